//! `POST /orders/{order_id}/returns` (staff, service): units of a confirmed or fulfilled
//! order back at any location, the orders domain's [`ReturnUnits`] plan. Cost: 1 read of the
//! order, 1 batch read (the return's record, the location, products and levels there, the
//! account and markers), 1 transaction.

use std::collections::BTreeMap;

use bytes::Bytes;
use http::StatusCode;
use omnicanal_domain::ids::{ExternalId, Quantity};
use omnicanal_domain::orders::returns::{Made, ReturnRequest, ReturnUnits};
use omnicanal_domain::plan;
use omnicanal_domain::values::Sku;
use omnicanal_pipeline::auth::Role;
use omnicanal_pipeline::error::{ApiError, FieldError};
use omnicanal_pipeline::http::{Call, json};
use omnicanal_store::Store;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::order::{current, load};

/// Attempts: a lost race is another return or change of the same order.
const MAX_ATTEMPTS: u32 = 8;
/// The most lines one return names (an order's most).
const MAX_LINES: usize = 100;

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct ReturnBody {
    return_id: String,
    location_id: String,
    lines: Vec<LineBody>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct LineBody {
    sku: String,
    qty: i64,
}

/// The command, once every field is checked: every problem as one `422`.
fn parse(body: &ReturnBody) -> Result<ReturnRequest, ApiError> {
    let mut errors = Vec::new();
    if let Err(message) = ExternalId::parse(&body.return_id) {
        errors.push(FieldError::new("return_id", message));
    }
    if !omnicanal_domain::channel::is_location_id(&body.location_id) {
        errors.push(FieldError::new("location_id", "must be 1-64 of A-Z a-z 0-9 _ -"));
    }
    if body.lines.is_empty() || body.lines.len() > MAX_LINES {
        errors.push(FieldError::new("lines", format!("must hold 1-{MAX_LINES} lines")));
    }
    let mut lines: BTreeMap<Sku, i64> = BTreeMap::new();
    for (i, line) in body.lines.iter().enumerate() {
        let sku = Sku::parse(&line.sku).map_err(|m| errors.push(FieldError::new(format!("lines[{i}].sku"), m))).ok();
        let qty =
            Quantity::parse(line.qty).map_err(|m| errors.push(FieldError::new(format!("lines[{i}].qty"), m))).ok();
        if let (Some(sku), Some(qty)) = (sku, qty) {
            *lines.entry(sku).or_insert(0) += qty.get();
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let canonical = serde_json::to_string(body).map_err(|e| ApiError::internal_because("return fingerprint", e))?;
    let fingerprint = Sha256::digest(canonical.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    Ok(ReturnRequest { return_id: body.return_id.clone(), location_id: body.location_id.clone(), lines, fingerprint })
}

/// Makes the return: `201` the first time, `200` with the same return again, `422
/// return_id_reused` for another body, `409 return_exceeds_order`, `409 invalid_status`.
pub(crate) async fn create<S: Store>(call: &Call<'_, S>) -> Result<http::Response<Bytes>, ApiError> {
    call.require(&[Role::Staff, Role::Service])?;
    let body: ReturnBody = call.json()?;
    let request = parse(&body)?;
    let order = current(call, load(call).await?).await?;
    let now = call.now();
    let plan = ReturnUnits { order, request, rules: &call.env.config.loyalty, now };
    let Made { view, first } = plan::execute::<_, _, ApiError>(&call.env.store, MAX_ATTEMPTS, &plan).await?;
    json::response(if first { StatusCode::CREATED } else { StatusCode::OK }, &view)
}
