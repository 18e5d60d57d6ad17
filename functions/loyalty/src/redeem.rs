//! `POST /loyalty/redeem` (customer): spends points, oldest first, never below zero; once per
//! `order_id` (the loyalty domain's `spend`).

use bytes::Bytes;
use omnicanal_domain::ids::ExternalId;
use omnicanal_domain::loyalty::operations::spend;
use omnicanal_pipeline::auth::Role;
use omnicanal_pipeline::error::{ApiError, FieldError};
use omnicanal_pipeline::http::{Call, json};
use omnicanal_store::Store;
use serde::Deserialize;

use crate::ledger::{run, status};

/// The most points one redemption may spend.
const MAX_POINTS: i64 = 1_000_000_000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RedeemBody {
    points: i64,
    order_id: String,
}

/// Redeems: `201 {points, balance, order_id}`, `200` with the same answer for the same order,
/// `409 insufficient_points` (with `balance`) when the balance does not cover it. Cost: 1
/// batch read (account, marker), 1 transaction.
pub(crate) async fn redeem<S: Store>(call: &Call<'_, S>) -> Result<http::Response<Bytes>, ApiError> {
    let customer = call.require(&[Role::Customer])?.sub.clone();
    let body: RedeemBody = call.json()?;
    let mut errors = Vec::new();
    if !(1..=MAX_POINTS).contains(&body.points) {
        errors.push(FieldError::new("points", format!("must be between 1 and {MAX_POINTS}")));
    }
    let order_id = ExternalId::parse(&body.order_id).map_err(|m| errors.push(FieldError::new("order_id", m)));
    let Ok(order_id) = order_id else { return Err(ApiError::Validation(errors)) };
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let changed = run(&call.env.store, &spend(&customer, body.points, order_id.as_str(), call.now())).await?;
    json::response(status(changed.first), &changed.answer)
}
