//! The cart as the API shows it, and its answers with `ETag`.

use bytes::Bytes;
use http::{HeaderValue, StatusCode, header};
use omnicanal_pipeline::error::ApiError;
use omnicanal_pipeline::http::json;
use omnicanal_platform::clock::rfc3339;
use serde::Serialize;
use serde_json::{Map, Value};

use omnicanal_domain::cart::model::{Cart, Status};

/// One line as clients see it.
#[derive(Serialize)]
pub(crate) struct LineView<'a> {
    sku: &'a str,
    qty: u32,
    updated_at: &'a str,
    channel: &'a str,
}

/// The contract's cart shape (tombstones are internal and never shown).
#[derive(Serialize)]
pub(crate) struct CartView<'a> {
    cart_id: &'a str,
    customer_id: Option<&'a str>,
    version: u64,
    status: Status,
    lines: Vec<LineView<'a>>,
    updated_at: &'a str,
    expires_at: Option<String>,
}

impl<'a> CartView<'a> {
    /// The view of `cart`.
    pub(crate) fn of(cart: &'a Cart) -> Self {
        Self {
            cart_id: &cart.cart_id,
            customer_id: cart.customer_id.as_deref(),
            version: cart.version,
            status: cart.status,
            lines: cart
                .live_lines()
                .map(|(sku, line)| LineView {
                    sku,
                    qty: line.qty,
                    updated_at: &line.updated_at,
                    channel: &line.channel,
                })
                .collect(),
            updated_at: &cart.updated_at,
            expires_at: cart
                .expires_at
                .and_then(|secs| time::OffsetDateTime::from_unix_timestamp(secs).ok())
                .map(rfc3339),
        }
    }
}

/// The `ETag` of a cart version.
pub(crate) fn etag(version: u64) -> String {
    format!("\"{version}\"")
}

/// The cart with its `ETag`, plus any `extra` members (a sync's counts).
pub(crate) fn respond(
    status: StatusCode,
    cart: &Cart,
    extra: Option<Map<String, Value>>,
) -> Result<http::Response<Bytes>, ApiError> {
    let mut body =
        serde_json::to_value(CartView::of(cart)).map_err(|e| ApiError::internal_because("record mapping", e))?;
    if let (Value::Object(members), Some(extra)) = (&mut body, extra) {
        members.extend(extra);
    }
    let mut response = json::response(status, &body)?;
    if let Ok(value) = HeaderValue::from_str(&etag(cart.version)) {
        response.headers_mut().insert(header::ETAG, value);
    }
    Ok(response)
}

/// `412 version_mismatch` with the current cart under `cart`.
pub(crate) fn version_mismatch(cart: &Cart, sent: &str) -> ApiError {
    let mut extra = Map::new();
    extra.insert("cart".into(), serde_json::to_value(CartView::of(cart)).unwrap_or(Value::Null));
    ApiError::PreconditionFailed {
        code: "version_mismatch",
        detail: format!("If-Match {sent} does not match the cart's version {}", etag(cart.version)),
        extra,
    }
}
