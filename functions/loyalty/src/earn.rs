//! `POST /loyalty/earn` (service): points for a purchase, once per `order_id`.

use bytes::Bytes;
use omnicanal_domain::ids::{CustomerId, ExternalId};
use omnicanal_domain::loyalty::operations::{Purchase, earn as earn_points};
use omnicanal_domain::values::Money;
use omnicanal_pipeline::auth::Role;
use omnicanal_pipeline::context::Channel;
use omnicanal_pipeline::error::{ApiError, FieldError};
use omnicanal_pipeline::http::{Call, json};
use omnicanal_platform::clock::parse_rfc3339;
use omnicanal_store::Store;
use serde::Deserialize;

use crate::ledger::{run, status};

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

/// Awards the points: `201 {points, balance, tier}`, or `200` with the same answer again.
/// Cost: 1 batch read (account, the order's marker), 1 transaction.
pub(crate) async fn earn<S: Store>(call: &Call<'_, S>) -> Result<http::Response<Bytes>, ApiError> {
    call.require(&[Role::Service])?;
    let body: EarnBody = call.json()?;
    let now = call.now().unix_timestamp();
    let mut errors = Vec::new();
    let customer_id =
        CustomerId::parse(&body.customer_id).map_err(|m| errors.push(FieldError::new("customer_id", m))).ok();
    let order_id = ExternalId::parse(&body.order_id).map_err(|m| errors.push(FieldError::new("order_id", m))).ok();
    if !(1..=1_000_000_000_000).contains(&body.amount.amount) {
        errors.push(FieldError::new("amount.amount", "must be positive (minor units)"));
    }
    let programme = call.env.config.loyalty.currency;
    if body.amount.currency != programme {
        errors.push(FieldError::new(
            "amount.currency",
            format!("the loyalty programme counts in {}", programme.as_str()),
        ));
    }
    let channel = Channel::parse(&body.channel).map_err(|m| errors.push(FieldError::new("channel", m))).ok();
    let at = parse_rfc3339(&body.at).map(|t| t.unix_timestamp()).filter(|t| *t <= now + MAX_AHEAD_SECS);
    if at.is_none() {
        errors.push(FieldError::new("at", "must be an RFC 3339 time, not in the future"));
    }
    let (Some(customer_id), Some(order_id), Some(channel), Some(at), true) =
        (customer_id, order_id, channel, at, errors.is_empty())
    else {
        return Err(ApiError::Validation(errors));
    };
    let channel = channel.to_string();
    let purchase = Purchase {
        customer_id: customer_id.as_str(),
        order_id: order_id.as_str(),
        amount_minor: body.amount.amount,
        channel: &channel,
        at,
    };
    let changed = run(&call.env.store, &earn_points(&call.env.config.loyalty, purchase, call.now())).await?;
    json::response(status(changed.first), &changed.answer)
}
