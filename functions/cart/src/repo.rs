//! Running the cart domain's changes (see [`omnicanal_domain::cart::change`]) for a request:
//! who asks, `If-Match`, and the time and expiry a write gets.

use omnicanal_domain::cart::access::Holder;
use omnicanal_domain::cart::change::{CartChange, Written};
use omnicanal_domain::cart::model::Cart;
use omnicanal_domain::cart::record::{cart_key, from_item};
use omnicanal_domain::plan::{self, Plan, Reads};
use omnicanal_pipeline::auth::Role;
use omnicanal_pipeline::error::ApiError;
use omnicanal_pipeline::http::Call;
use omnicanal_platform::clock::rfc3339;
use omnicanal_store::Store;

/// Attempts before a write gives up under contention (each lost race means another writer
/// won, so forty writers need at most forty rounds).
pub(crate) const MAX_ATTEMPTS: u32 = 64;

/// A cart by id, or `404`. Cost: 1 read.
pub(crate) async fn load<S: Store>(store: &S, cart_id: &str) -> Result<Cart, ApiError> {
    let item = store.get(&cart_key(cart_id)).await?.ok_or_else(|| ApiError::not_found("no such cart"))?;
    Ok(from_item(item)?)
}

/// Who asks; a bad token is refused here, before anything is read.
pub(crate) fn holder<S>(call: &Call<'_, S>) -> Result<Holder, ApiError> {
    Ok(match call.caller()? {
        None => Holder::Anonymous,
        Some(caller) if caller.has(Role::Customer) => Holder::Customer(caller.sub.clone()),
        Some(_) => Holder::Other,
    })
}

/// The `If-Match` version, if sent: `Ok(None)` without the header or with `*`.
pub(crate) fn if_match<S>(call: &Call<'_, S>) -> Result<Option<(u64, String)>, ApiError> {
    let Some(value) = call.headers.get(http::header::IF_MATCH) else { return Ok(None) };
    let text = value.to_str().unwrap_or_default().trim().to_owned();
    if text == "*" {
        return Ok(None);
    }
    // A strong tag `"n"`; anything else never matches a version.
    let version = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')).and_then(|v| v.parse().ok());
    Ok(Some((version.unwrap_or(0), text)))
}

/// When a cart written by this request is written, and when an anonymous one then expires:
/// `cart_ttl_seconds` past its last change.
pub(crate) fn written<S>(call: &Call<'_, S>) -> Written {
    let ttl = i64::try_from(call.env.config.cart_ttl_seconds).unwrap_or(i64::MAX);
    Written { at: rfc3339(call.now()), anonymous_expires_at: call.now().unix_timestamp().saturating_add(ttl) }
}

/// Now in nanoseconds since the epoch.
pub(crate) fn now_ns<S>(call: &Call<'_, S>) -> i64 {
    i64::try_from(call.now().unix_timestamp_nanos()).unwrap_or(i64::MAX)
}

/// The change `change` to cart `cart_id` as this request makes it: its holder, `If-Match`
/// and time.
pub(crate) fn change_for<S, F>(call: &Call<'_, S>, cart_id: &str, change: F) -> Result<CartChange<F>, ApiError> {
    Ok(CartChange {
        cart_id: cart_id.to_owned(),
        holder: holder(call)?,
        expected: if_match(call)?,
        written: written(call),
        change,
    })
}

/// Runs a cart change; `known` is the stored cart when the caller already holds it (a
/// refused single update answers it), so the first attempt reads nothing.
pub(crate) async fn run<S, P>(store: &S, plan: &P, known: Option<Cart>) -> Result<P::Answer, ApiError>
where
    S: Store,
    P: Plan<Refusal = ApiError> + Sync,
{
    let mut known = known.map(|cart| omnicanal_domain::cart::record::to_item(&cart)).transpose()?;
    let keys = &plan.reads();
    plan::run(store, MAX_ATTEMPTS, |_| {
        // What the caller read serves the first attempt only.
        let first = known.take();
        async move {
            let read = match first {
                Some(item) => Reads::of(keys.iter().cloned().zip([item])),
                None => plan::read(store, keys).await?,
            };
            plan.decide(&read)
        }
    })
    .await
}
