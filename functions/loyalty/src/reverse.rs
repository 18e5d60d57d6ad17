//! `POST /loyalty/reverse` (service): a refund takes back what the order earned, once, even
//! into a negative balance (the loyalty domain's `reverse`).

use bytes::Bytes;
use omnicanal_domain::ids::ExternalId;
use omnicanal_domain::loyalty::account::LoyaltyError;
use omnicanal_domain::loyalty::operations::{earned, reverse as take_back};
use omnicanal_domain::loyalty::records::earn_key;
use omnicanal_pipeline::auth::Role;
use omnicanal_pipeline::error::ApiError;
use omnicanal_pipeline::http::{Call, json};
use omnicanal_store::Store;
use serde::Deserialize;

use crate::ledger::{run, status};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReverseBody {
    order_id: String,
}

/// Reverses: `201 {points, balance, tier}` (points negative), `200` with the same answer
/// again, `404` for an order that never earned. Cost: 1 read (the earning), 1 batch read
/// (account, marker), 1 transaction.
pub(crate) async fn reverse<S: Store>(call: &Call<'_, S>) -> Result<http::Response<Bytes>, ApiError> {
    call.require(&[Role::Service])?;
    let body: ReverseBody = call.json()?;
    let order_id = ExternalId::parse(&body.order_id).map_err(|m| ApiError::invalid("order_id", m))?;
    let marker = call.env.store.get(&earn_key(order_id.as_str())).await?.ok_or(LoyaltyError::NothingEarned)?;
    let earning = earned(&marker)?;
    let rules = &call.env.config.loyalty;
    let changed = run(&call.env.store, &take_back(rules, &earning, order_id.as_str(), call.now())).await?;
    json::response(status(changed.first), &changed.answer)
}
