//! One order after its checkout: `GET /orders/{id}`, confirm and cancel, each the orders
//! domain's [`Settle`] plan. A placed order past its time is expired first, whoever touches
//! it (its holds stopped counting at once; its points and its offer's use come back now).
//!
//! Cost: 1 read of the order; a change then 1 batch read (its hold, levels, products,
//! account, markers, redemption) and 1 transaction; the lazy expiry of a due order the same
//! two again.

use bytes::Bytes;
use http::StatusCode;
use omnicanal_domain::ids::ExternalId;
use omnicanal_domain::orders::record::{Order, OrderStatus, order_key};
use omnicanal_domain::orders::refusal::OrderError;
use omnicanal_domain::orders::settle::{Change, Settle, Settled};
use omnicanal_domain::plan::{self, Plan, Reads};
use omnicanal_pipeline::auth::{AuthError, Caller, Role};
use omnicanal_pipeline::error::ApiError;
use omnicanal_pipeline::http::{Call, json};
use omnicanal_store::Store;
use serde::Deserialize;

/// Attempts of a change: a lost race is decided again on what the winner left.
const MAX_ATTEMPTS: u32 = 8;

/// The order as the API shows it.
pub(crate) fn respond(status: StatusCode, order: &Order, now: i64) -> Result<http::Response<Bytes>, ApiError> {
    json::response(status, &order.view(now))
}

/// Runs `change` on `order` (as last read) with the domain's [`Settle`] plan.
pub(crate) async fn settle<S: Store>(
    store: &S,
    rules: &omnicanal_domain::loyalty::rules::LoyaltyRules,
    order: Order,
    change: Change,
    now: time::OffsetDateTime,
) -> Result<Settled, ApiError> {
    let known = order.to_item()?;
    let plan = &Settle { order, change, rules, now };
    let keys = &plan.reads();
    // A change that reads only the order decides its first attempt on the order just read:
    // its write's condition (the version) says whether that is still the order.
    let mut first = (keys.len() == 1).then_some(known);
    plan::run(store, MAX_ATTEMPTS, |_| {
        let known = first.take();
        async move {
            let read = match known {
                Some(item) => Reads::of([(order_key(&plan.order.order_id), item)]),
                None => plan::read(store, keys).await?,
            };
            Ok::<_, ApiError>(plan.decide(&read)?)
        }
    })
    .await
}

/// `order` as it stands now: a placed order past its time is expired first.
pub(crate) async fn current<S: Store>(call: &Call<'_, S>, order: Order) -> Result<Order, ApiError> {
    let now = call.now();
    if order.status == OrderStatus::Placed && order.status_at(now.unix_timestamp()) == OrderStatus::Expired {
        let settled = settle(&call.env.store, &call.env.config.loyalty, order, Change::Expire, now).await?;
        return Ok(settled.order);
    }
    Ok(order)
}

/// The order in the path (`404` when there is none, or its id cannot be one).
pub(crate) async fn load<S: Store>(call: &Call<'_, S>) -> Result<Order, ApiError> {
    let id = ExternalId::parse(call.param("order_id")?).map_err(|_| OrderError::NoSuchOrder)?;
    let item = call.env.store.get(&order_key(id.as_str())).await?.ok_or(OrderError::NoSuchOrder)?;
    Ok(Order::from_item(item)?)
}

/// Who is asking about an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Viewer {
    /// Staff or a service.
    Store,
    /// Its customer, or the holder of a guest order's cart.
    Owner,
}

/// The caller may see the order: staff, a service, its customer, or for a guest's order
/// whoever shows its cart id (`?cart_id=`). Anyone else: `404` to a customer (no order of
/// theirs has this id), `401` without a token.
fn viewer<S>(call: &Call<'_, S>, order: &Order) -> Result<Viewer, ApiError> {
    let caller: Option<&Caller> = call.caller()?;
    if caller.is_some_and(|c| c.has(Role::Staff) || c.has(Role::Service)) {
        return Ok(Viewer::Store);
    }
    if let (Some(owner), Some(c)) = (&order.customer_id, caller)
        && c.has(Role::Customer)
        && &c.sub == owner
    {
        return Ok(Viewer::Owner);
    }
    if order.customer_id.is_none() && call.query_value("cart_id")? == Some(order.cart_id.as_str()) {
        return Ok(Viewer::Owner);
    }
    match caller {
        None => Err(ApiError::Unauthenticated(AuthError::Missing)),
        Some(_) => Err(ApiError::forbidden("this order is not yours")),
    }
}

/// `GET /orders/{order_id}` (owner; guest with `?cart_id=`; staff; service).
pub(crate) async fn get<S: Store>(call: &Call<'_, S>) -> Result<http::Response<Bytes>, ApiError> {
    let order = load(call).await?;
    viewer(call, &order)?;
    let order = current(call, order).await?;
    respond(StatusCode::OK, &order, call.now().unix_timestamp())
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ConfirmBody {
    #[serde(default)]
    payment_reference: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct CancelBody {}

/// `POST /orders/{order_id}/confirm` (service): the holds become sales and the points are
/// earned, once; a confirmed order answers `200` again; `409 order_expired`, `409
/// invalid_status`.
pub(crate) async fn confirm<S: Store>(call: &Call<'_, S>) -> Result<http::Response<Bytes>, ApiError> {
    call.require(&[Role::Service])?;
    let body: ConfirmBody = if call.body.is_empty() { ConfirmBody::default() } else { call.json()? };
    if let Some(reference) = &body.payment_reference
        && !(1..=255).contains(&reference.len())
    {
        return Err(ApiError::invalid("payment_reference", "must be 1-255 characters"));
    }
    let order = current(call, load(call).await?).await?;
    let change = Change::Confirm { payment_reference: body.payment_reference };
    let now = call.now();
    let settled = settle(&call.env.store, &call.env.config.loyalty, order, change, now).await?;
    respond(StatusCode::OK, &settled.order, now.unix_timestamp())
}

/// `POST /orders/{order_id}/cancel` (owner while placed; staff and services while placed or
/// confirmed): gives everything back; cancelling again answers `200`.
pub(crate) async fn cancel<S: Store>(call: &Call<'_, S>) -> Result<http::Response<Bytes>, ApiError> {
    let _: CancelBody = if call.body.is_empty() { CancelBody::default() } else { call.json()? };
    let order = load(call).await?;
    let staff = viewer(call, &order)? == Viewer::Store;
    let order = current(call, order).await?;
    let now = call.now();
    let settled = settle(&call.env.store, &call.env.config.loyalty, order, Change::Cancel { staff }, now).await?;
    respond(StatusCode::OK, &settled.order, now.unix_timestamp())
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FulfilBody {}

/// `POST /orders/{order_id}/fulfil` (staff, service): a confirmed order handed over in store
/// or shipped; it leaves the pickup queue. Fulfilling again answers `200`.
pub(crate) async fn fulfil<S: Store>(call: &Call<'_, S>) -> Result<http::Response<Bytes>, ApiError> {
    call.require(&[Role::Staff, Role::Service])?;
    let _: FulfilBody = if call.body.is_empty() { FulfilBody::default() } else { call.json()? };
    let order = current(call, load(call).await?).await?;
    let now = call.now();
    let settled = settle(&call.env.store, &call.env.config.loyalty, order, Change::Fulfil, now).await?;
    respond(StatusCode::OK, &settled.order, now.unix_timestamp())
}
