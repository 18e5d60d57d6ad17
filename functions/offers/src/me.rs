//! `GET /offers/me?cart_id=C` (customer): the offers this customer can use now, through this
//! channel, on this cart, best first, each with its saving and reasons. Three round trips
//! (see [`omnicanal_domain::offers::records`]).

use std::collections::BTreeMap;

use bytes::Bytes;
use http::StatusCode;
use omnicanal_pipeline::auth::Role;
use omnicanal_pipeline::error::ApiError;
use omnicanal_pipeline::http::{Call, json};
use omnicanal_store::{Key, MAX_BATCH_GET_KEYS, Store};
use serde_json::json;

use crate::shopper;
use omnicanal_domain::ids::CartId;
use omnicanal_domain::offers::definition::Offer;
use omnicanal_domain::offers::records::{active_offers, count, customer_count_key, total_key};
use omnicanal_domain::offers::rules::{evaluate, rank};

/// Lists the eligible offers.
pub(crate) async fn list<S: Store>(call: &Call<'_, S>) -> Result<http::Response<Bytes>, ApiError> {
    let customer = call.require(&[Role::Customer])?.sub.clone();
    let cart_id = match call.query_value("cart_id")? {
        Some(id) => Some(CartId::parse(id).map_err(|_| ApiError::not_found("no such cart"))?),
        None => None,
    };
    let store = &call.env.store;
    let now = call.now().unix_timestamp();

    // Round trip 1: the cart, the profile and the loyalty account.
    let mut keys = shopper::keys(&customer).to_vec();
    if let Some(id) = &cart_id {
        keys.push(omnicanal_domain::cart::record::cart_key(id.as_str()));
    }
    let mut first = store.batch_get(&keys).await?.into_iter();
    let (profile, account) = (first.next().flatten(), first.next().flatten());
    let shopper = shopper::shopper(call, profile, account.as_ref())?;
    let cart_lines: Vec<(String, u32)> = match (cart_id.is_some(), first.next().flatten()) {
        (false, _) => Vec::new(),
        (true, None) => return Err(ApiError::not_found("no such cart")),
        (true, Some(item)) => shopper::cart_lines(&omnicanal_domain::cart::record::from_item(item)?, &customer)?,
    };

    // Round trip 2: the definitions.
    let offers: Vec<Offer> = active_offers(store, now).await?;

    // Round trip 3: prices of the cart's SKUs and the counters of limited offers.
    let mut keys: Vec<Key> = shopper::product_keys(&cart_lines);
    let products_end = keys.len();
    for offer in &offers {
        if offer.per_customer_limit.is_some() {
            keys.push(customer_count_key(&offer.offer_id, &customer));
        }
        if offer.total_limit.is_some() {
            keys.push(total_key(&offer.offer_id));
        }
    }
    let mut found = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(MAX_BATCH_GET_KEYS) {
        found.extend(store.batch_get(chunk).await?);
    }
    let lines = shopper::priced(&cart_lines, &found[..products_end])?;
    let counters: BTreeMap<Key, i64> =
        keys[products_end..].iter().cloned().zip(found[products_end..].iter().map(|i| count(i.as_ref()))).collect();
    let eligible = offers
        .iter()
        .filter_map(|offer| {
            let mine = counters.get(&customer_count_key(&offer.offer_id, &customer)).copied().unwrap_or(0);
            let all = counters.get(&total_key(&offer.offer_id)).copied().unwrap_or(0);
            let used_up = offer.per_customer_limit.is_some_and(|l| mine >= i64::from(l))
                || offer.total_limit.is_some_and(|l| all >= i64::from(l));
            evaluate(offer, &lines, &shopper, now, used_up)
        })
        .collect();
    json::response(StatusCode::OK, &json!({"offers": rank(eligible)}))
}
