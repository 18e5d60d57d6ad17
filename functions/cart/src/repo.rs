//! Reading and writing carts with optimistic concurrency (see [`omnicanal_domain::cart::record`] for keys and
//! costs).

use omnicanal_pipeline::error::ApiError;
use omnicanal_pipeline::http::Call;
use omnicanal_platform::clock::rfc3339;
use std::sync::{Mutex, PoisonError};

use omnicanal_domain::plan::{self, Step};
use omnicanal_store::Store;

use crate::access::authorize;
use crate::view::version_mismatch;
use omnicanal_domain::cart::model::{Cart, CartError, SERVER_DEVICE, Stamp};
use omnicanal_domain::cart::record::{cart_key, from_item, put_if_version};

/// Attempts before a write gives up under contention (each lost race means another writer
/// won, so forty writers need at most forty rounds).
pub(crate) const MAX_ATTEMPTS: u32 = 64;

/// A cart by id, or `404`. Cost: 1 read.
pub(crate) async fn load<S: Store>(store: &S, cart_id: &str) -> Result<Cart, ApiError> {
    let item = store.get(&cart_key(cart_id)).await?.ok_or_else(|| ApiError::not_found("no such cart"))?;
    Ok(from_item(item)?)
}

/// Maps a domain refusal to its answer.
pub(crate) fn refusal(err: CartError) -> ApiError {
    match err {
        CartError::Closed(_) => ApiError::conflict("cart_closed", err.to_string()),
        CartError::TooManyLines => ApiError::invalid("lines", err.to_string()),
    }
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

/// The new expiry of a cart written now: anonymous carts live `cart_ttl_seconds` past their
/// last change; customers' carts never expire.
pub(crate) fn expiry<S>(call: &Call<'_, S>, customer_id: Option<&str>) -> Option<i64> {
    customer_id.is_none().then(|| anonymous_expiry(call))
}

/// The new expiry of an anonymous cart written now (epoch seconds).
pub(crate) fn anonymous_expiry<S>(call: &Call<'_, S>) -> i64 {
    let ttl = i64::try_from(call.env.config.cart_ttl_seconds).unwrap_or(i64::MAX);
    call.now().unix_timestamp().saturating_add(ttl)
}

/// A stamp for a server-side write to `sku`: now, or just after the line's current stamp if
/// a client clock ran ahead, so the write always wins as the caller expects.
pub(crate) fn server_stamp(cart: &Cart, sku: &str, now_ns: i64) -> Stamp {
    let after = cart.lines.get(sku).map_or(i64::MIN, |line| line.stamp.at_ns.saturating_add(1));
    Stamp { at_ns: now_ns.max(after), device: SERVER_DEVICE.to_owned() }
}

/// Now in nanoseconds since the epoch.
pub(crate) fn now_ns<S>(call: &Call<'_, S>) -> i64 {
    i64::try_from(call.now().unix_timestamp_nanos()).unwrap_or(i64::MAX)
}

/// Reads the cart, checks access, `If-Match` and status, applies `change`, and writes it
/// back if the version did not move meanwhile. A lost race is retried from a fresh read,
/// unless the caller sent `If-Match`, who then gets `412` with the current cart. `change`
/// returns whether it changed anything; an unchanged cart is not written.
pub(crate) async fn update<S, T, F>(call: &Call<'_, S>, cart_id: &str, change: F) -> Result<(Cart, T), ApiError>
where
    S: Store,
    F: FnMut(&mut Cart) -> Result<(bool, T), ApiError>,
{
    update_from(call, cart_id, None, change).await
}

/// As [`update`], starting from `read` when the caller already holds the stored cart (a
/// refused single update answers it), so the first attempt reads nothing.
pub(crate) async fn update_from<S, T, F>(
    call: &Call<'_, S>,
    cart_id: &str,
    mut read: Option<Cart>,
    change: F,
) -> Result<(Cart, T), ApiError>
where
    S: Store,
    F: FnMut(&mut Cart) -> Result<(bool, T), ApiError>,
{
    let expected = &if_match(call)?;
    // Called between the attempt's read and its write, never across an await.
    let change = &Mutex::new(change);
    let store = &call.env.store;
    plan::run(store, MAX_ATTEMPTS, |_| {
        // The caller's read serves the first attempt only.
        let read = read.take();
        async move {
            let current = match read {
                Some(cart) => cart,
                None => load(store, cart_id).await?,
            };
            authorize(call, &current)?;
            // A lost race under `If-Match` ends here on the next attempt: the version moved.
            if let Some((version, sent)) = expected
                && *version != current.version
            {
                return Err(version_mismatch(&current, sent));
            }
            current.ensure_active().map_err(refusal)?;
            let mut next = current.clone();
            let (changed, outcome) = (change.lock().unwrap_or_else(PoisonError::into_inner))(&mut next)?;
            if !changed {
                return Ok(Step::Done((current, outcome)));
            }
            next.settle().map_err(refusal)?;
            next.version = current.version + 1;
            next.updated_at = rfc3339(call.now());
            next.expires_at = expiry(call, next.customer_id.as_deref());
            let ops = vec![put_if_version(&next, Some(current.version))?];
            Ok(Step::Write { ops, then: (next, outcome) })
        }
    })
    .await
}
