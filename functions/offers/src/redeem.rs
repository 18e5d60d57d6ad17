//! `POST /offers/{offer_id}/redeem` (customer, service): counted once per (offer, customer,
//! order) within the offer's limits; the rules and the writes are the offers domain's
//! [`Redeem`] plan.

use bytes::Bytes;
use http::StatusCode;
use omnicanal_pipeline::error::ApiError;
use omnicanal_pipeline::http::{Call, json};
use omnicanal_platform::clock::rfc3339;
use omnicanal_store::{Item, Store};
use serde::Deserialize;

use crate::definitions::path_offer_id;
use crate::{shopper, subject};
use omnicanal_domain::cart::record::{cart_key, from_item as cart_from_item, pointer_cart_id, pointer_key};
use omnicanal_domain::ids::ExternalId;
use omnicanal_domain::offers::redemption::{Redeem, Redeemed};
use omnicanal_domain::offers::rules::{PricedLine, Shopper};
use omnicanal_domain::plan;

/// Rounds of read–decide–write before answering busy: each lost round means another
/// redemption of this offer was counted meanwhile.
const MAX_ATTEMPTS: u32 = 16;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RedeemBody {
    order_id: String,
    #[serde(default)]
    customer_id: Option<String>,
}

/// What eligibility is judged on: the customer (tier, affinity, this channel) and their
/// active cart, priced. Cost: 1 batch read (profile, account, cart pointer), then the cart and
/// its prices (1 read, 1 batch read) when there is one.
async fn judged_on<S: Store>(call: &Call<'_, S>, customer: &str) -> Result<(Shopper, Vec<PricedLine>), ApiError> {
    let store = &call.env.store;
    let [profile_key, account_key] = shopper::keys(customer);
    let found = store.batch_get(&[profile_key, account_key, pointer_key(customer)]).await?;
    let [profile, account, pointer] = <[Option<Item>; 3]>::try_from(found).unwrap_or_default();
    let shopper = shopper::shopper(call, profile, account.as_ref())?;
    let Some(pointer) = pointer else { return Ok((shopper, Vec::new())) };
    let cart = match store.get(&cart_key(&pointer_cart_id(pointer)?)).await? {
        Some(item) => cart_from_item(item)?,
        None => return Ok((shopper, Vec::new())),
    };
    let lines = shopper::cart_lines(&cart, customer)?;
    let products = store.batch_get(&shopper::product_keys(&lines)).await?;
    Ok((shopper, shopper::priced(&lines, &products)?))
}

/// Redeems: `201` the first time, `200` with the same redemption for a repeated order,
/// `409 offer_not_active`, `409 offer_not_eligible` (not for this customer, channel or their
/// active cart) or `409 offer_limit_reached`. Cost: what eligibility is judged on (above), 1
/// batch read (the offer, this order's redemption, both counters), 1 transaction (redemption
/// + both counters, each conditioned).
pub(crate) async fn redeem<S: Store>(call: &Call<'_, S>) -> Result<http::Response<Bytes>, ApiError> {
    let offer_id = path_offer_id(call)?;
    let body: RedeemBody = call.json()?;
    let customer = subject::customer(call, body.customer_id.as_deref())?;
    let order_id = ExternalId::parse(&body.order_id).map_err(|m| ApiError::invalid("order_id", m))?;
    let (shopper, lines) = judged_on(call, &customer).await?;
    let plan = Redeem {
        offer_id,
        customer_id: customer,
        order_id: order_id.into_string(),
        now: call.now().unix_timestamp(),
        redeemed_at: rfc3339(call.now()),
        shopper,
        lines,
    };
    let Redeemed { redemption, first } = plan::execute::<_, _, ApiError>(&call.env.store, MAX_ATTEMPTS, &plan).await?;
    json::response(if first { StatusCode::CREATED } else { StatusCode::OK }, &redemption)
}
