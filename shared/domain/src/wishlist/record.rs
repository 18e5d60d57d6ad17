//! How a wishlist lives in the single table, and what each call costs.
//!
//! | item | key | attributes |
//! |---|---|---|
//! | a customer's wishlist | `pk = CUSTOMER#<sub>`, `sk = WISHLIST` | the [`Wishlist`]: `items` (registers by SKU, tombstones flagged `removed`), `horizon`, `version`, `updated_at`; at most [`WORST_CASE_WISHLIST_BYTES`] |
//!
//! | API call | round trips, without a race |
//! |---|---|
//! | `GET /cart/wishlist` | 1 read of the list beside 1 query of the locations; then ⌈k·(1+n)/100⌉ batch reads (issued together) of the k items' products and levels at the n locations selling to the channel |
//! | `PUT`/`DELETE` an item, sync | 1 batch read (the list and the saved SKUs' products) beside the locations query; 1 conditional put (`version`); then the products and levels as for a read. A lost race repeats the read and the put |
//! | move to cart | 1 batch read (the list and the cart pointer); 1 read of the cart; 1 transaction: the cart's line (and, with no active cart, the new cart and its pointer) and the list's tombstone |
//!
//! Every write of a list is a put conditioned on the version it read (absent for the first
//! one), so two devices never overwrite each other: the loser reads again and re-applies.

use omnicanal_store::{Condition, Item, Key, StoreError, WriteOp, s};

use crate::keys::part;
use crate::wishlist::model::Wishlist;

/// The sort key of a wishlist.
pub const WISHLIST_SK: &str = "WISHLIST";
/// The largest a wishlist item can be (bytes, as DynamoDB counts them): 200 items and 400
/// tombstones with the longest SKUs, devices and channels. [`crate::worst_case`] builds that
/// list, a test measures it.
pub const WORST_CASE_WISHLIST_BYTES: usize = 144 * 1024;

/// The key of `customer_id`'s wishlist.
pub fn wishlist_key(customer_id: &str) -> Key {
    Key::new(format!("CUSTOMER#{}", part(customer_id)), WISHLIST_SK)
}

/// The item of a wishlist.
pub fn to_item(list: &Wishlist) -> Result<Item, StoreError> {
    let mut item: Item =
        serde_dynamo::to_item(list).map_err(|e| StoreError::Invalid(format!("wishlist mapping: {e}")))?;
    let key = wishlist_key(&list.customer_id);
    item.insert("pk".into(), s(key.pk));
    item.insert("sk".into(), s(key.sk));
    Ok(item)
}

/// A wishlist from its item.
pub fn from_item(item: Item) -> Result<Wishlist, StoreError> {
    serde_dynamo::from_item(item).map_err(|e| StoreError::because("corrupt wishlist record", e))
}

/// A put of `list` that applies only if the stored list still has `read_version` (`0`: there
/// was none).
pub fn put_if_version(list: &Wishlist, read_version: u64) -> Result<WriteOp, StoreError> {
    let condition = if read_version == 0 { Condition::NotExists } else { Condition::version_equals(read_version) };
    Ok(WriteOp::Put { item: to_item(list)?, condition: Some(condition) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registers::Stamp;
    use crate::values::{Currency, Money};
    use crate::wishlist::model::Wish;

    #[test]
    fn a_wishlist_round_trips_and_its_first_put_needs_no_list() {
        let mut list = Wishlist::empty("alice", "2026-11-22T10:00:00Z");
        let stamp = |at_ns| Stamp { at_ns, device: "phone".into() };
        let price = Some(Money { amount: 1999, currency: Currency::EUR });
        list.apply(Wish { sku: "A1".into(), remove: false, stamp: stamp(5), channel: "app".into(), price });
        list.apply(Wish { sku: "B2".into(), remove: true, stamp: stamp(6), channel: "app".into(), price: None });
        list.version = 1;
        let item = to_item(&list).expect("item");
        assert_eq!(item.get("pk"), Some(&s("CUSTOMER#alice")));
        assert_eq!(from_item(item).expect("a list"), list);
        let Ok(WriteOp::Put { condition, .. }) = put_if_version(&list, 0) else { panic!("a put") };
        assert_eq!(condition, Some(Condition::NotExists));
    }
}
