//! `POST /loyalty/earn` (service): points for a purchase, once per `order_id`.

use bytes::Bytes;
use http::StatusCode;
use omnicanal_domain::values::Money;
use omnicanal_pipeline::auth::Role;
use omnicanal_pipeline::context::Channel;
use omnicanal_pipeline::error::{ApiError, FieldError};
use omnicanal_pipeline::http::{Call, json};
use omnicanal_platform::clock::parse_rfc3339;
use omnicanal_store::{AttributeValue, Store};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::ledger::{Decision, run};
use omnicanal_domain::loyalty::records::{Marker, answer_attr, earn_key, marker_answer};

/// Client times further ahead than this are refused.
const MAX_AHEAD_SECS: i64 = 300;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EarnBody {
    customer_id: String,
    order_id: String,
    amount: Money,
    channel: String,
    at: String,
}

/// Whether `id` is a sane external id (1-128 printable ASCII).
pub(crate) fn is_external_id(id: &str) -> bool {
    (1..=128).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_graphic())
}

/// Awards the points: `201 {points, balance, tier}`, or `200` with the same answer again.
pub(crate) async fn earn<S: Store>(call: &Call<'_, S>) -> Result<http::Response<Bytes>, ApiError> {
    call.require(&[Role::Service])?;
    let body: EarnBody = call.json()?;
    let now = call.now().unix_timestamp();
    let mut errors = Vec::new();
    if !(1..=255).contains(&body.customer_id.len()) {
        errors.push(FieldError::new("customer_id", "must be 1-255 characters"));
    }
    if !is_external_id(&body.order_id) {
        errors.push(FieldError::new("order_id", "must be 1-128 printable ASCII characters"));
    }
    if !(1..=1_000_000_000_000).contains(&body.amount.amount) {
        errors.push(FieldError::new("amount.amount", "must be positive (minor units)"));
    }
    let channel = Channel::parse(&body.channel).map_err(|m| FieldError::new("channel", m));
    let at = parse_rfc3339(&body.at).map(|t| t.unix_timestamp()).filter(|t| *t <= now + MAX_AHEAD_SECS);
    if at.is_none() {
        errors.push(FieldError::new("at", "must be an RFC 3339 time, not in the future"));
    }
    let channel = match channel {
        Ok(c) => c.to_string(),
        Err(e) => {
            errors.push(e);
            String::new()
        }
    };
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let at = at.unwrap_or(now);
    let rules = &call.env.config.loyalty;
    let marker_key = earn_key(&body.order_id);
    let (status, answer) = run(call, &body.customer_id, std::slice::from_ref(&marker_key), |account, found| {
        if let Some(marker) = found.first().and_then(Option::as_ref) {
            let same_customer =
                matches!(marker.get("customer_id"), Some(AttributeValue::S(c)) if *c == body.customer_id);
            if !same_customer {
                return Err(ApiError::conflict("order_conflict", "this order earned points for another customer"));
            }
            let answer = marker_answer(marker).unwrap_or(Value::Null);
            return Ok(Decision::Answer((StatusCode::OK, answer)));
        }
        let mut entries = account.expire(now);
        let (earning, entry) = account.earn(rules, &body.order_id, body.amount.amount, &channel, at);
        entries.push(entry);
        let answer = json!({"points": earning.points, "balance": account.balance, "tier": account.tier_at(rules, now)});
        let marker = Marker {
            key: marker_key.clone(),
            body: json!({"customer_id": body.customer_id, "points": earning.points, "answer": answer_attr(&answer)}),
        };
        Ok(Decision::Write { entries, markers: vec![marker], answer: (StatusCode::CREATED, answer) })
    })
    .await?;
    json::response(status, &answer)
}
