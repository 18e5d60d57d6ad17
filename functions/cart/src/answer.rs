//! A cart answer: the cart as the API shows it ([`CartView`]) with its `ETag`.

use bytes::Bytes;
use http::{HeaderValue, StatusCode, header};
use omnicanal_domain::cart::model::Cart;
use omnicanal_domain::cart::view::{CartView, etag};
use omnicanal_pipeline::error::ApiError;
use omnicanal_pipeline::http::json;
use serde_json::{Map, Value};

/// The cart with its `ETag`, plus any `extra` members (a sync's counts).
pub(crate) fn respond(
    status: StatusCode,
    cart: &Cart,
    extra: Option<Map<String, Value>>,
) -> Result<http::Response<Bytes>, ApiError> {
    let mut body = serde_json::to_value(CartView::of(cart)).map_err(|e| ApiError::internal_because("cart view", e))?;
    if let (Value::Object(members), Some(extra)) = (&mut body, extra) {
        members.extend(extra);
    }
    let mut response = json::response(status, &body)?;
    if let Ok(value) = HeaderValue::from_str(&etag(cart.version)) {
        response.headers_mut().insert(header::ETAG, value);
    }
    Ok(response)
}
