//! `PUT /offers/{offer_id}` (staff) and `GET /offers/{offer_id}` (anyone).

use bytes::Bytes;
use http::StatusCode;
use omnicanal_pipeline::auth::Role;
use omnicanal_pipeline::error::{ApiError, FieldError};
use omnicanal_pipeline::http::{Call, json};
use omnicanal_platform::clock::rfc3339;
use omnicanal_store::{Store, put_create_or_replace};

use omnicanal_domain::offers::definition::{Offer, validate};
use omnicanal_domain::offers::records::{from_item, offer_key, to_item};

/// The offer id of the path, or `400`.
pub(crate) fn path_offer_id<S>(call: &Call<'_, S>) -> Result<String, ApiError> {
    let id = call.param("offer_id")?;
    let ok = (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(id.to_owned())
    } else {
        Err(ApiError::BadRequest {
            code: "invalid_path",
            detail: "an offer id is 1-64 of A-Z a-z 0-9 _ -".into(),
            errors: vec![FieldError::new("offer_id", "must be 1-64 of A-Z a-z 0-9 _ -")],
        })
    }
}

/// Creates (`201`) or replaces (`200`) a definition.
pub(crate) async fn put<S: Store>(call: &Call<'_, S>) -> Result<http::Response<Bytes>, ApiError> {
    call.require(&[Role::Staff])?;
    let offer_id = path_offer_id(call)?;
    let mut offer: Offer = call.json()?;
    if !offer.offer_id.is_empty() && offer.offer_id != offer_id {
        return Err(ApiError::invalid("offer_id", "must match the path, or be left out"));
    }
    validate(&offer).map_err(ApiError::Validation)?;
    offer.offer_id = offer_id;
    offer.updated_at = rfc3339(call.now());
    let item = to_item(&offer)?;
    let status = if put_create_or_replace(&call.env.store, item).await? { StatusCode::CREATED } else { StatusCode::OK };
    json::response(status, &offer)
}

/// Reads a definition. Cost: 1 read.
pub(crate) async fn get<S: Store>(call: &Call<'_, S>) -> Result<http::Response<Bytes>, ApiError> {
    let offer_id = path_offer_id(call)?;
    let item = call.env.store.get(&offer_key(&offer_id)).await?.ok_or_else(|| ApiError::not_found("no such offer"))?;
    json::response(StatusCode::OK, &from_item(item)?)
}
