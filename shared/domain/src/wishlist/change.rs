//! A change to a customer's wishlist, as a plan: read the list and the products of the SKUs
//! being saved (a save keeps the price it was saved at, and a SKU without a product cannot be
//! saved), apply the writes, and put the list back only if its version did not move meanwhile.
//! A lost race is decided again on a fresh read.

use omnicanal_store::Key;

use crate::catalog::{Product, product_key};
use crate::plan::{Plan, Reads, Step};
use crate::registers::Stamp;
use crate::values::Sku;
use crate::wishlist::model::{Wish, Wishlist, WishlistError};
use crate::wishlist::record::{from_item, put_if_version, wishlist_key};

/// One requested write to the list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WishOp {
    /// Where it came from in the request (`sku`, `ops[2].sku`), for a refusal.
    pub field: String,
    /// The SKU.
    pub sku: Sku,
    /// `true` removes it.
    pub remove: bool,
    /// A device's stamp (sync), or `None` for the server's own write (`PUT`/`DELETE`), which
    /// wins its register but changes nothing when the list already says so.
    pub stamp: Option<Stamp>,
}

/// Change `customer_id`'s list with `ops`, through `channel`, at `now` (nanoseconds since
/// the epoch; `at` is the same time in RFC 3339).
#[derive(Clone, Debug)]
pub struct WishlistChange {
    /// Whose list.
    pub customer_id: String,
    /// The writes, in order.
    pub ops: Vec<WishOp>,
    /// The channel saves come through.
    pub channel: String,
    /// Now, nanoseconds since the epoch.
    pub now_ns: i64,
    /// Now, RFC 3339.
    pub at: String,
}

impl WishlistChange {
    /// The SKUs being saved, each once.
    fn saved_skus(&self) -> Vec<&Sku> {
        let mut skus: Vec<&Sku> = self.ops.iter().filter(|op| !op.remove).map(|op| &op.sku).collect();
        skus.sort();
        skus.dedup();
        skus
    }
}

impl Plan for WishlistChange {
    /// The list as it stands after the change, and how many writes won.
    type Answer = (Wishlist, usize);
    type Refusal = WishlistError;

    fn reads(&self) -> Vec<Key> {
        let mut keys = vec![wishlist_key(&self.customer_id)];
        keys.extend(self.saved_skus().into_iter().map(product_key));
        keys
    }

    fn decide(&self, read: &Reads) -> Result<Step<(Wishlist, usize)>, WishlistError> {
        let mut unknown = Vec::new();
        let mut prices = std::collections::BTreeMap::new();
        for op in self.ops.iter().filter(|op| !op.remove) {
            match read.get(&product_key(&op.sku)) {
                Some(item) => {
                    prices.insert(op.sku.as_str(), Product::from_item(item.clone())?.price);
                }
                None => unknown.push((op.field.clone(), op.sku.as_str().to_owned())),
            }
        }
        if !unknown.is_empty() {
            return Err(WishlistError::UnknownProducts(unknown));
        }
        let current = match read.get(&wishlist_key(&self.customer_id)) {
            Some(item) => from_item(item.clone())?,
            None => Wishlist::empty(&self.customer_id, &self.at),
        };
        let mut next = current.clone();
        let mut applied = 0;
        for op in &self.ops {
            let sku = op.sku.as_str();
            let stamp = match &op.stamp {
                Some(stamp) => stamp.clone(),
                // The server's save of a saved item, or remove of an absent one, is no change.
                None if next.holds(sku) != op.remove => continue,
                None => next.server_stamp(sku, self.now_ns),
            };
            let wish = Wish {
                sku: sku.to_owned(),
                remove: op.remove,
                stamp,
                channel: self.channel.clone(),
                price: prices.get(sku).copied(),
            };
            if next.apply(wish) {
                applied += 1;
            }
        }
        if applied == 0 {
            return Ok(Step::Done((current, 0)));
        }
        next.settle()?;
        next.version = current.version + 1;
        next.updated_at.clone_from(&self.at);
        let ops = vec![put_if_version(&next, current.version)?];
        Ok(Step::Write { ops, then: (next, applied) })
    }
}

#[cfg(test)]
#[path = "change_tests.rs"]
mod tests;
