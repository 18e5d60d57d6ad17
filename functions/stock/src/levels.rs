//! Stock takes (`PUT /stock/items/{sku}/levels/{location_id}`) and movements
//! (`POST /stock/adjustments`, once per `event_id`): the stock domain's `StockTake` and
//! `Adjust` plans (`omnicanal_domain::stock::count`), each one conditioned write of `on_hand`.

use bytes::Bytes;
use http::StatusCode;
use omnicanal_domain::plan;
use omnicanal_domain::stock::count::{Adjust, Counted, StockTake};
use omnicanal_domain::values::Sku;
use omnicanal_pipeline::auth::Role;
use omnicanal_pipeline::context::is_location_id;
use omnicanal_pipeline::error::{ApiError, FieldError};
use omnicanal_pipeline::http::{Call, json};
use omnicanal_platform::clock::rfc3339;
use omnicanal_store::Store;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::items::path_sku;
use crate::locations::path_location;

/// The largest count accepted.
pub(crate) const MAX_COUNT: i64 = 1_000_000_000;
/// Attempts when concurrent movements keep changing `on_hand`.
const MAX_ATTEMPTS: u32 = 32;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StockTakeBody {
    on_hand: i64,
}

/// Sets the counted `on_hand` (staff / service). Cost: 1 batch read + 1 conditional update.
pub(crate) async fn put<S: Store>(call: &Call<'_, S>) -> Result<http::Response<Bytes>, ApiError> {
    call.require(&[Role::Staff, Role::Service])?;
    let sku = path_sku(call)?;
    let location_id = path_location(call)?;
    let body: StockTakeBody = call.json()?;
    if !(0..=MAX_COUNT).contains(&body.on_hand) {
        return Err(ApiError::invalid("on_hand", format!("must be between 0 and {MAX_COUNT}")));
    }
    let take = StockTake { sku, location_id, on_hand: body.on_hand, now: call.now().unix_timestamp() };
    let counted: Counted = plan::execute::<_, _, ApiError>(&call.env.store, MAX_ATTEMPTS, &take).await?;
    json::response(StatusCode::OK, &counted.level)
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct Adjustment {
    event_id: String,
    sku: String,
    location_id: String,
    delta: i64,
    reason: String,
}

fn check(body: &Adjustment) -> Result<Sku, ApiError> {
    let mut errors = Vec::new();
    if !(1..=128).contains(&body.event_id.len()) || !body.event_id.bytes().all(|b| b.is_ascii_graphic()) {
        errors.push(FieldError::new("event_id", "must be 1-128 printable ASCII characters"));
    }
    let sku = Sku::parse(&body.sku).map_err(|m| FieldError::new("sku", m));
    if !is_location_id(&body.location_id) {
        errors.push(FieldError::new("location_id", "must be 1-64 of A-Z a-z 0-9 _ -"));
    }
    // A range check, not `abs()`: `i64::MIN.abs()` overflows.
    if body.delta == 0 || !(-MAX_COUNT..=MAX_COUNT).contains(&body.delta) {
        errors.push(FieldError::new("delta", format!("must be non-zero, between -{MAX_COUNT} and {MAX_COUNT}")));
    }
    if !(1..=200).contains(&body.reason.chars().count()) {
        errors.push(FieldError::new("reason", "must be 1-200 characters"));
    }
    match sku {
        Ok(sku) if errors.is_empty() => Ok(sku),
        Ok(_) => Err(ApiError::Validation(errors)),
        Err(e) => {
            errors.insert(0, e);
            Err(ApiError::Validation(errors))
        }
    }
}

/// Applies a movement once per `event_id` (staff / service): `201` the first time, `200`
/// with the same result on a repeat, `409 event_id_reused` for another movement under the
/// same id. Cost: 1 batch read + 1 transaction (marker + level).
pub(crate) async fn adjust<S: Store>(call: &Call<'_, S>) -> Result<http::Response<Bytes>, ApiError> {
    call.require(&[Role::Staff, Role::Service])?;
    let body: Adjustment = call.json()?;
    let sku = check(&body)?;
    let adjust = Adjust {
        fingerprint: hex_digest(&serde_json::to_vec(&body).unwrap_or_default()),
        event_id: body.event_id,
        sku,
        location_id: body.location_id,
        delta: body.delta,
        applied_at: rfc3339(call.now()),
        now: call.now().unix_timestamp(),
    };
    let counted: Counted = plan::execute::<_, _, ApiError>(&call.env.store, MAX_ATTEMPTS, &adjust).await?;
    json::response(if counted.first { StatusCode::CREATED } else { StatusCode::OK }, &counted.level)
}

fn hex_digest(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}
