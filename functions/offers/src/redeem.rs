//! `POST /offers/{offer_id}/redeem` (customer, service): counted once per (offer, customer,
//! order), with the per-customer and total limits enforced by conditions on two counters in
//! the same transaction as the redemption record.

use bytes::Bytes;
use http::StatusCode;
use omnicanal_pipeline::error::ApiError;
use omnicanal_pipeline::http::{Call, json};
use omnicanal_platform::clock::rfc3339;
use omnicanal_store::{CompareOp, Condition, Item, Store, StoreError, Update, WriteOp, num};
use serde::{Deserialize, Serialize};

use crate::definitions::path_offer_id;
use crate::subject;
use omnicanal_domain::offers::records::{customer_count_key, from_item, offer_key, redemption_key, total_key};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RedeemBody {
    order_id: String,
    #[serde(default)]
    customer_id: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct Redemption {
    offer_id: String,
    customer_id: String,
    order_id: String,
    redeemed_at: String,
}

fn below(limit: Option<u32>) -> Option<Condition> {
    limit.map(|l| {
        Condition::Or(vec![
            Condition::AttributeNotExists("count".into()),
            Condition::compare("count", CompareOp::Lt, num(l)),
        ])
    })
}

/// Redeems: `201` the first time, `200` with the same redemption for a repeated order,
/// `409 offer_limit_reached` or `409 offer_not_active`. Cost: 1 batch read (the offer, this
/// order's redemption), 1 transaction (redemption + both counters, each conditioned).
pub(crate) async fn redeem<S: Store>(call: &Call<'_, S>) -> Result<http::Response<Bytes>, ApiError> {
    let offer_id = path_offer_id(call)?;
    let body: RedeemBody = call.json()?;
    let customer = subject::customer(call, body.customer_id.as_deref())?;
    if !(1..=128).contains(&body.order_id.len()) || !body.order_id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::invalid("order_id", "must be 1-128 printable ASCII characters"));
    }
    let store = &call.env.store;
    let key = redemption_key(&offer_id, &customer, &body.order_id);
    // The offer and this order's redemption in one batch read.
    let mut found = store.batch_get(&[offer_key(&offer_id), key.clone()]).await?.into_iter();
    let (stored_offer, existing) = (found.next().flatten(), found.next().flatten());
    let offer = from_item(stored_offer.ok_or_else(|| ApiError::not_found("no such offer"))?)?;
    if let Some(existing) = existing {
        return replay(existing);
    }
    if !offer.is_active(call.now().unix_timestamp()) {
        return Err(ApiError::conflict("offer_not_active", "the offer is outside its start and end"));
    }
    let redemption = Redemption {
        offer_id: offer_id.clone(),
        customer_id: customer.clone(),
        order_id: body.order_id.clone(),
        redeemed_at: rfc3339(call.now()),
    };
    let mut record: Item = serde_dynamo::to_item(&redemption).map_err(|e| ApiError::Internal(e.to_string()))?;
    record.insert("pk".into(), omnicanal_store::s(key.pk.clone()));
    record.insert("sk".into(), omnicanal_store::s(key.sk.clone()));
    let ops = vec![
        WriteOp::Put { item: record, condition: Some(Condition::NotExists) },
        WriteOp::Update {
            key: customer_count_key(&offer_id, &customer),
            updates: vec![Update::add("count", 1)],
            condition: below(offer.per_customer_limit),
        },
        WriteOp::Update {
            key: total_key(&offer_id),
            updates: vec![Update::add("count", 1)],
            condition: below(offer.total_limit),
        },
    ];
    match store.transact(ops).await {
        Ok(()) => json::response(StatusCode::CREATED, &redemption),
        Err(StoreError::ConditionFailed { failed }) if failed.contains(&0) => {
            // The same order raced itself: the other attempt counted it.
            let existing = store.get(&key).await?.ok_or(ApiError::Unavailable { retry_after_secs: 1 })?;
            replay(existing)
        }
        Err(StoreError::ConditionFailed { failed }) => {
            let which = if failed.contains(&1) { "per-customer" } else { "total" };
            Err(ApiError::conflict("offer_limit_reached", format!("the offer's {which} redemption limit is reached")))
        }
        Err(other) => Err(other.into()),
    }
}

fn replay(item: Item) -> Result<http::Response<Bytes>, ApiError> {
    let redemption: Redemption =
        serde_dynamo::from_item(item).map_err(|e| ApiError::Internal(format!("corrupt redemption: {e}")))?;
    json::response(StatusCode::OK, &redemption)
}
