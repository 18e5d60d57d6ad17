//! `POST /orders/quote` and `POST /orders`: the orders domain's [`Checkout`] plan, read in
//! the fewest sequential round trips the data allows, then (a checkout) one transaction.
//!
//! Cost: **3 round trips**, the floor, since the products and levels to read are only known
//! once the cart is: (1) one batch read of the cart, the order's id, the customer's profile
//! and loyalty account, issued together with the query of the locations (and, for a quote,
//! the query of the active offers); (2) one batch read of the products, their levels at every
//! candidate location, the offer, its counters and this order's redemption, and the order's
//! loyalty marker; (3) one transaction. A quote stops after (2). A lost race repeats all
//! three on fresh reads.

use bytes::Bytes;
use http::StatusCode;
use omnicanal_domain::cart::model::{CartError, Status};
use omnicanal_domain::cart::record::{cart_key, from_item as cart_from_item};
use omnicanal_domain::customer::{loyalty_account_key, profile_key};
use omnicanal_domain::offers::records::active_offers;
use omnicanal_domain::offers::shopper::shopper;
use omnicanal_domain::orders::checkout::{Checkout, Placed, Wanted, replay};
use omnicanal_domain::plan::{self, Plan, Reads, Step};
use omnicanal_domain::stock::records::{LocationKind, all_locations};
use omnicanal_domain::stock::rules::sells_to;
use omnicanal_pipeline::error::ApiError;
use omnicanal_pipeline::http::{Call, json};
use omnicanal_store::{Item, Store};

use crate::body::{CheckoutBody, checker};
use crate::order::{current, respond};

/// Attempts of a checkout: a lost race (a line written to the cart, the last units taken,
/// the points spent elsewhere) is decided again on fresh reads.
const MAX_ATTEMPTS: u32 = 8;

/// The half-life of category affinity, in seconds (configuration).
fn half_life<S>(call: &Call<'_, S>) -> f64 {
    f64::from(call.env.config.affinity_half_life_days) * 86_400.0
}

/// What the first round trip found.
enum First<'r> {
    /// The order exists already (a checkout's repeat, or a reuse of its id).
    Exists(Item),
    /// The plan, built on the cart, shopper and locations read.
    Plan(Box<Checkout<'r>>),
}

/// Round trip 1, and the plan built from it.
async fn first<'r, S: Store>(call: &'r Call<'_, S>, body: &CheckoutBody, quote: bool) -> Result<First<'r>, ApiError> {
    let store = &call.env.store;
    let now = call.now();
    let cart_id = body.cart_id()?;
    let caller = call.caller()?;
    let signed_in = caller.filter(|c| c.has(omnicanal_pipeline::auth::Role::Customer)).map(|c| c.sub.clone());
    let mut keys = vec![cart_key(cart_id.as_str())];
    if let Some(order_id) = body_order_key(body, quote) {
        keys.push(order_id);
    }
    if let Some(me) = &signed_in {
        keys.extend([profile_key(me), loyalty_account_key(me)]);
    }
    let offers = async {
        if quote && signed_in.is_some() { active_offers(store, now.unix_timestamp()).await } else { Ok(Vec::new()) }
    };
    let (found, locations, offers) = futures::join!(plan::read(store, &keys), all_locations(store), offers);
    let (found, locations, offers) = (found?, locations?, offers?);
    if let Some(existing) = keys.get(1).filter(|_| !quote).and_then(|key| found.get(key)) {
        return Ok(First::Exists(existing.clone()));
    }
    let cart = cart_from_item(found.get(&keys[0]).cloned().ok_or(CartError::NoSuchCart)?)?;
    let customer = checker(caller, &cart, body)?;
    if cart.status != Status::Active {
        return Err(CartError::Closed(cart.status).into());
    }
    let channel = call.channel.to_string();
    let request = body.command(quote, customer.clone(), channel.clone())?;
    let candidates: Vec<String> = match &request.fulfilment {
        Wanted::Ship => locations.iter().filter(|l| sells_to(l, &channel)).map(|l| l.location_id.clone()).collect(),
        Wanted::Pickup(id) => {
            let store = locations.iter().find(|l| &l.location_id == id);
            match store {
                Some(l) if l.kind == LocationKind::Store && sells_to(l, &channel) => vec![id.clone()],
                Some(l) if l.kind != LocationKind::Store => {
                    return Err(ApiError::invalid("fulfilment.location_id", format!("{id} is not a store")));
                }
                Some(_) => {
                    return Err(ApiError::invalid(
                        "fulfilment.location_id",
                        format!("the store {id} does not sell to channel {channel}"),
                    ));
                }
                None => return Err(ApiError::invalid("fulfilment.location_id", format!("no location {id}"))),
            }
        }
    };
    let shopper = match &customer {
        Some(me) => {
            let (profile, account) = (found.get(&profile_key(me)).cloned(), found.get(&loyalty_account_key(me)));
            Some(shopper(profile, account, &channel, now.unix_timestamp(), half_life(call))?)
        }
        None => None,
    };
    Ok(First::Plan(Box::new(Checkout {
        request,
        cart,
        candidates,
        shopper,
        offers,
        rules: &call.env.config.loyalty,
        now,
    })))
}

fn body_order_key(body: &CheckoutBody, quote: bool) -> Option<omnicanal_store::Key> {
    (!quote).then(|| body.order_key()).flatten()
}

/// `POST /orders/quote` (cart holder, owner): what a checkout of this cart would be now;
/// writes nothing. Cost: 2 round trips (see the module docs).
pub(crate) async fn quote<S: Store>(call: &Call<'_, S>) -> Result<http::Response<Bytes>, ApiError> {
    let body: CheckoutBody = call.json()?;
    let First::Plan(checkout) = first(call, &body, true).await? else {
        return Err(ApiError::internal("a quote found an order"));
    };
    let read = plan::read(&call.env.store, &checkout.keys()).await?;
    let assessed = checkout.assess(&read)?;
    json::response(StatusCode::OK, &assessed.quote)
}

/// `POST /orders` (cart holder, owner): `201` with the order; the same `order_id` again
/// answers `200` with it. Cost: 3 round trips (see the module docs).
pub(crate) async fn checkout<S: Store>(call: &Call<'_, S>) -> Result<http::Response<Bytes>, ApiError> {
    let body: CheckoutBody = call.json()?;
    let store = &call.env.store;
    let body = &body;
    let placed: Placed = plan::run(store, MAX_ATTEMPTS, |_| async move {
        let checkout = match first(call, body, false).await? {
            First::Exists(item) => {
                // The fingerprint needs the caller and channel, as the plan would have them.
                let fingerprint = body.command(false, current_customer(call)?, call.channel.to_string())?.fingerprint;
                return Ok(Step::Done(replay(&item, &fingerprint)?));
            }
            First::Plan(checkout) => checkout,
        };
        let read: Reads = plan::read(store, &checkout.keys()).await?;
        Ok::<_, ApiError>(checkout.decide(&read)?)
    })
    .await?;
    let Placed { order, first } = placed;
    let order = if first { order } else { current(call, order).await? };
    respond(if first { StatusCode::CREATED } else { StatusCode::OK }, &order, call.now().unix_timestamp())
}

/// The signed-in customer, if any.
fn current_customer<S>(call: &Call<'_, S>) -> Result<Option<String>, ApiError> {
    Ok(call.caller()?.filter(|c| c.has(omnicanal_pipeline::auth::Role::Customer)).map(|c| c.sub.clone()))
}
