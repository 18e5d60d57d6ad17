//! How carts live in the single table, and what each call costs.
//!
//! | item | key | attributes |
//! |---|---|---|
//! | a cart | `pk = CART#<cart_id>`, `sk = CART` | the [`Cart`]: `lines` (live lines by SKU), `removed` (tombstones by SKU), `horizon`, `version`, `status`, `customer_id` (customers' carts only), `expires_at` (TTL, anonymous carts only); at most [`WORST_CASE_CART_BYTES`] |
//! | a customer's active cart | `pk = CUSTOMER#<sub>`, `sk = CART#ACTIVE` | `cart_id` |
//!
//! | API call | round trips, without a race |
//! |---|---|
//! | `POST /cart/carts` anonymous | 1 conditional put |
//! | `POST /cart/carts` customer | 1 read of the pointer; then 1 read of the cart (`200`), or 1 transaction putting cart and pointer (`201`) |
//! | `GET /cart/carts/{id}` | 1 read |
//! | `GET /cart/me` | 2 reads (pointer, cart) |
//! | `PUT`/`DELETE` a line | 1 conditional update answering the new cart (see [`crate::line_update`]); when one of its assumptions fails, the refused update answers the cart as it is, and that serves as the read: then 1 conditional put at most, or an answer without writing (`404`, `401`/`403`, `409`, `412`, `422`, unchanged) |
//! | sync | 1 read + 1 conditional put (`version` check); a lost race repeats both |
//! | merge | 2 reads (in one batch) + 1 transaction of 2 conditional puts |
//!
//! Every write of a cart is conditioned on what it assumed: a put on the version it read, a
//! line update on the line's stamp, the owner, the status and the line limit. Two writers
//! never overwrite each other: the loser re-reads and re-applies, or answers `412` under
//! `If-Match`. Live lines and tombstones are kept in two maps so that DynamoDB's `size()`
//! counts live lines for the limit, and a line moves between them in one update.

use crate::keys::part;
use std::collections::BTreeMap;

use omnicanal_store::{Condition, Item, Key, StoreError, WriteOp};
use serde::{Deserialize, Serialize};

use crate::cart::model::{Cart, Line, Stamp, Status};

/// The sort key of cart items.
pub const CART_SK: &str = "CART";
/// The attribute holding live lines by SKU.
pub const LINES: &str = "lines";
/// The attribute holding tombstones by SKU.
pub const REMOVED: &str = "removed";
/// The attribute holding the cart's horizon (see [`crate::cart::model`]).
pub const HORIZON: &str = "horizon";
/// The largest a cart item can be (bytes, as DynamoDB counts them): 100 live lines and 500
/// tombstones with the longest SKUs, devices and channels. [`crate::worst_case`] builds that
/// cart, a test measures it.
pub const WORST_CASE_CART_BYTES: usize = 128 * 1024;
/// The attribute naming a customer's cart's owner (absent on anonymous carts).
pub const CUSTOMER_ID: &str = "customer_id";

/// The sort key of the active-cart pointer.
pub const ACTIVE_SK: &str = "CART#ACTIVE";

/// The key of a cart.
pub fn cart_key(cart_id: &str) -> Key {
    Key::new(format!("CART#{}", part(cart_id)), CART_SK)
}

/// The key of a customer's active-cart pointer.
pub fn pointer_key(customer_id: &str) -> Key {
    Key::new(format!("CUSTOMER#{}", part(customer_id)), ACTIVE_SK)
}

/// A cart as stored: the [`Cart`]'s registers split into live lines and tombstones.
#[derive(Serialize, Deserialize)]
struct CartItem {
    pk: String,
    sk: String,
    cart_id: String,
    // Absent (not null) on anonymous carts: a line update's condition tests its absence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    customer_id: Option<String>,
    status: Status,
    version: u64,
    lines: BTreeMap<String, Line>,
    #[serde(default)]
    removed: BTreeMap<String, Line>,
    created_at: String,
    updated_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    merged_into: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    horizon: Option<Stamp>,
}

#[derive(Serialize, Deserialize)]
struct PointerItem {
    pk: String,
    sk: String,
    cart_id: String,
}

/// The item of a cart.
pub fn to_item(cart: &Cart) -> Result<Item, StoreError> {
    let key = cart_key(&cart.cart_id);
    let (removed, lines) = cart.lines.clone().into_iter().partition(|(_, line)| line.is_tombstone());
    let stored = CartItem {
        pk: key.pk,
        sk: key.sk,
        cart_id: cart.cart_id.clone(),
        customer_id: cart.customer_id.clone(),
        status: cart.status,
        version: cart.version,
        lines,
        removed,
        created_at: cart.created_at.clone(),
        updated_at: cart.updated_at.clone(),
        expires_at: cart.expires_at,
        merged_into: cart.merged_into.clone(),
        horizon: cart.horizon.clone(),
    };
    serde_dynamo::to_item(stored).map_err(|e| StoreError::Invalid(format!("cart mapping: {e}")))
}

/// A cart from its item.
pub fn from_item(item: Item) -> Result<Cart, StoreError> {
    let stored =
        serde_dynamo::from_item::<_, CartItem>(item).map_err(|e| StoreError::because("corrupt cart record", e))?;
    let mut lines = stored.removed;
    lines.extend(stored.lines);
    Ok(Cart {
        cart_id: stored.cart_id,
        customer_id: stored.customer_id,
        status: stored.status,
        version: stored.version,
        lines,
        created_at: stored.created_at,
        updated_at: stored.updated_at,
        expires_at: stored.expires_at,
        merged_into: stored.merged_into,
        horizon: stored.horizon,
    })
}

/// The pointer item naming a customer's active cart.
pub fn pointer_item(customer_id: &str, cart_id: &str) -> Result<Item, StoreError> {
    let key = pointer_key(customer_id);
    serde_dynamo::to_item(PointerItem { pk: key.pk, sk: key.sk, cart_id: cart_id.to_owned() })
        .map_err(|e| StoreError::Invalid(format!("pointer mapping: {e}")))
}

/// The cart id a pointer names.
pub fn pointer_cart_id(item: Item) -> Result<String, StoreError> {
    serde_dynamo::from_item::<_, PointerItem>(item)
        .map(|p| p.cart_id)
        .map_err(|e| StoreError::because("corrupt cart pointer", e))
}

/// The writes that open `cart` as its customer's active cart: the cart, and the pointer to
/// it, conditioned on pointing where it pointed when read (`previous`; `None`: nowhere), so
/// two devices opening at once end up with one cart.
pub fn open_for_customer(customer_id: &str, cart: &Cart, previous: Option<&str>) -> Result<Vec<WriteOp>, StoreError> {
    let pointer_condition = match previous {
        Some(old) => Condition::eq("cart_id", omnicanal_store::s(old)),
        None => Condition::NotExists,
    };
    Ok(vec![
        put_if_version(cart, None)?,
        WriteOp::Put { item: pointer_item(customer_id, &cart.cart_id)?, condition: Some(pointer_condition) },
    ])
}

/// A put of `cart` that only applies if the stored cart still has `read_version` (or, for a
/// new cart, if there is none).
pub fn put_if_version(cart: &Cart, read_version: Option<u64>) -> Result<WriteOp, StoreError> {
    let condition = match read_version {
        Some(version) => Condition::version_equals(version),
        None => Condition::NotExists,
    };
    Ok(WriteOp::Put { item: to_item(cart)?, condition: Some(condition) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cart::model::{Stamp, Write};

    #[test]
    fn a_cart_round_trips_with_its_ttl_attribute() {
        let mut cart = Cart::new("abc".into(), None, "2026-11-22T10:00:00Z", Some(1_800_000_000));
        cart.apply(
            Write { sku: "A1".into(), qty: 2, stamp: Stamp { at_ns: 5, device: "d".into() }, channel: "web".into() },
            "2026-11-22T10:00:00Z",
        );
        cart.apply(
            Write { sku: "B.2".into(), qty: 0, stamp: Stamp { at_ns: 6, device: "d".into() }, channel: "web".into() },
            "2026-11-22T10:00:00Z",
        );
        let item = to_item(&cart).expect("item");
        assert_eq!(item.get("pk"), Some(&omnicanal_store::s("CART#abc")));
        let keys = |attr: &str| match item.get(attr) {
            Some(omnicanal_store::AttributeValue::M(map)) => map.keys().cloned().collect::<Vec<_>>(),
            other => panic!("{attr} is {other:?}"),
        };
        assert_eq!(keys(LINES), vec!["A1".to_owned()], "live lines apart");
        assert_eq!(keys(REMOVED), vec!["B.2".to_owned()], "tombstones apart");
        assert!(!item.contains_key(CUSTOMER_ID), "an anonymous cart has no owner attribute");
        assert_eq!(item.get("expires_at"), Some(&omnicanal_store::num(1_800_000_000)));
        assert_eq!(from_item(item).expect("cart"), cart);
        let customer = Cart::new("def".into(), Some("cust-1".into()), "t", None);
        let item = to_item(&customer).expect("item");
        assert!(!matches!(item.get("expires_at"), Some(omnicanal_store::AttributeValue::N(_))));
    }
}
