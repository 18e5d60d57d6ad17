//! `POST /loyalty/redeem` (customer): spends points, oldest first, never below zero; once per
//! `order_id`.

use bytes::Bytes;
use http::StatusCode;
use omnicanal_pipeline::auth::Role;
use omnicanal_pipeline::error::{ApiError, FieldError};
use omnicanal_pipeline::http::{Call, json};
use omnicanal_store::Store;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::earn::is_external_id;
use crate::ledger::{Decision, run};
use omnicanal_domain::loyalty::account::LoyaltyError;
use omnicanal_domain::loyalty::records::{Marker, answer_attr, marker_answer, redeem_key};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RedeemBody {
    points: i64,
    order_id: String,
}

/// Redeems: `201 {points, balance, order_id}`, `200` with the same answer for the same order,
/// `409 insufficient_points` (with `balance`) when the balance does not cover it.
pub(crate) async fn redeem<S: Store>(call: &Call<'_, S>) -> Result<http::Response<Bytes>, ApiError> {
    let customer = call.require(&[Role::Customer])?.sub.clone();
    let body: RedeemBody = call.json()?;
    let mut errors = Vec::new();
    if !(1..=1_000_000_000).contains(&body.points) {
        errors.push(FieldError::new("points", "must be between 1 and 1000000000"));
    }
    if !is_external_id(&body.order_id) {
        errors.push(FieldError::new("order_id", "must be 1-128 printable ASCII characters"));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let now = call.now().unix_timestamp();
    let marker_key = redeem_key(&customer, &body.order_id);
    let (status, answer) = run(call, &customer, std::slice::from_ref(&marker_key), |account, found| {
        if let Some(marker) = found.first().and_then(Option::as_ref) {
            return Ok(Decision::Answer((StatusCode::OK, marker_answer(marker).unwrap_or(Value::Null))));
        }
        let mut entries = account.expire(now);
        let entry =
            account.redeem(body.points, &body.order_id).map_err(|LoyaltyError::InsufficientPoints { balance }| {
                let mut extra = Map::new();
                extra.insert("balance".into(), json!(balance));
                ApiError::Conflict {
                    code: "insufficient_points",
                    detail: format!("the balance is {balance} points"),
                    extra,
                }
            })?;
        entries.push(entry);
        let answer = json!({"points": body.points, "balance": account.balance, "order_id": body.order_id});
        let marker = Marker { key: marker_key.clone(), body: json!({"answer": answer_attr(&answer)}) };
        Ok(Decision::Write { entries, markers: vec![marker], answer: (StatusCode::CREATED, answer) })
    })
    .await?;
    json::response(status, &answer)
}
