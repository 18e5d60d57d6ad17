//! `POST /loyalty/reverse` (service): a refund takes back what the order earned, once, even
//! into a negative balance.

use bytes::Bytes;
use http::StatusCode;
use omnicanal_pipeline::auth::Role;
use omnicanal_pipeline::error::ApiError;
use omnicanal_pipeline::http::{Call, json};
use omnicanal_store::{AttributeValue, Store};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::earn::is_external_id;
use crate::ledger::{Decision, run};
use omnicanal_domain::loyalty::records::{Marker, answer_attr, earn_key, marker_answer, number, reverse_key};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReverseBody {
    order_id: String,
}

/// Reverses: `201 {points, balance, tier}` (points negative), `200` with the same answer
/// again, `404` for an order that never earned.
pub(crate) async fn reverse<S: Store>(call: &Call<'_, S>) -> Result<http::Response<Bytes>, ApiError> {
    call.require(&[Role::Service])?;
    let body: ReverseBody = call.json()?;
    if !is_external_id(&body.order_id) {
        return Err(ApiError::invalid("order_id", "must be 1-128 printable ASCII characters"));
    }
    let earned = call
        .env
        .store
        .get(&earn_key(&body.order_id))
        .await?
        .ok_or_else(|| ApiError::not_found("no points were earned for this order"))?;
    let Some(AttributeValue::S(customer)) = earned.get("customer_id").cloned() else {
        return Err(ApiError::Internal("earning marker without customer".into()));
    };
    let points = number(&earned, "points");
    let now = call.now().unix_timestamp();
    let rules = &call.env.config.loyalty;
    let marker_key = reverse_key(&body.order_id);
    let (status, answer) = run(call, &customer, std::slice::from_ref(&marker_key), |account, found| {
        if let Some(marker) = found.first().and_then(Option::as_ref) {
            return Ok(Decision::Answer((StatusCode::OK, marker_answer(marker).unwrap_or(Value::Null))));
        }
        let mut entries = account.expire(now);
        entries.push(account.reverse(points, &body.order_id));
        let answer = json!({"points": -points, "balance": account.balance, "tier": account.tier_at(rules, now)});
        let marker = Marker { key: marker_key.clone(), body: json!({"answer": answer_attr(&answer)}) };
        Ok(Decision::Write { entries, markers: vec![marker], answer: (StatusCode::CREATED, answer) })
    })
    .await?;
    json::response(status, &answer)
}
