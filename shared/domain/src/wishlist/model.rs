//! A customer's wishlist as plain data: one last-writer-wins register per SKU, with
//! tombstones and a horizon, exactly as a cart's lines ([`crate::registers`]), so offline
//! devices sync the same way and a late older save never revives a newer remove.
//!
//! What a register keeps besides its stamp: the channel the winning save came through and
//! the product's price when it was saved. `added_at` is the winning save's time. A save that
//! lands on an item still on the list keeps the price it was first saved at (the list shows a
//! price drop against that), as a server `PUT` of a saved item writes nothing at all.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::registers::{self, Register, Stamp};
use crate::values::Money;

/// At most this many items on a wishlist.
pub const MAX_ITEMS: usize = 200;
/// Registers (items and tombstones) a wishlist keeps above its horizon: a full list and 400
/// removes. Worst case of the item: [`crate::wishlist::record::WORST_CASE_WISHLIST_BYTES`].
pub const MAX_REGISTERS: usize = 600;

/// One register: the latest save or remove of a SKU.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Saved {
    /// The winning write's stamp.
    pub stamp: Stamp,
    /// Whether the winning write removed the item (a tombstone keeps only its stamp).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub removed: bool,
    /// The channel the winning save came through (empty on a tombstone).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub channel: String,
    /// The product's price when the item was saved (`None` on a tombstone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_when_added: Option<Money>,
}

impl Register for Saved {
    fn stamp(&self) -> &Stamp {
        &self.stamp
    }

    fn is_tombstone(&self) -> bool {
        self.removed
    }

    /// Stamp, then a remove over a save, then the channel. The price is what the server saw,
    /// not part of the write: the same save applied twice is one write.
    fn order(&self, other: &Self) -> Ordering {
        (self.stamp.at_ns, &self.stamp.device, self.removed, &self.channel).cmp(&(
            other.stamp.at_ns,
            &other.stamp.device,
            other.removed,
            &other.channel,
        ))
    }
}

/// A save (`price` is the product's price now) or a remove of one SKU.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wish {
    /// SKU.
    pub sku: String,
    /// `true` removes the item.
    pub remove: bool,
    /// Its stamp.
    pub stamp: Stamp,
    /// Its channel.
    pub channel: String,
    /// The product's price now, for a save.
    pub price: Option<Money>,
}

/// Why a wishlist change is refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WishlistError {
    /// More than [`MAX_ITEMS`] items would result.
    #[error("a wishlist holds at most {MAX_ITEMS} items")]
    TooManyItems,
    /// Saves of SKUs without a product record: `(field, sku)` each.
    #[error("no product with SKU {}", .0.iter().map(|(_, sku)| sku.as_str()).collect::<Vec<_>>().join(", "))]
    UnknownProducts(Vec<(String, String)>),
    /// A move of a SKU that is not on the list.
    #[error("{0} is not on your wishlist")]
    NotSaved(String),
    /// The cart a move puts the item on refused it (full, or closed).
    #[error(transparent)]
    Cart(Box<crate::cart::model::CartError>),
    /// A stored wishlist could not be read or written.
    #[error(transparent)]
    Record(#[from] omnicanal_store::StoreError),
}

/// A customer's wishlist.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wishlist {
    /// The owner.
    pub customer_id: String,
    /// Bumped by every change; `0` before the first.
    pub version: u64,
    /// Registers by SKU, tombstones included.
    pub items: BTreeMap<String, Saved>,
    /// Last change (RFC 3339).
    pub updated_at: String,
    /// Writes stamped at or below this are forgotten, and ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub horizon: Option<Stamp>,
}

impl Wishlist {
    /// An empty list (nothing saved yet, never written).
    pub fn empty(customer_id: &str, now: &str) -> Self {
        Self {
            customer_id: customer_id.to_owned(),
            version: 0,
            items: BTreeMap::new(),
            updated_at: now.to_owned(),
            horizon: None,
        }
    }

    /// Items on the list (tombstones left out), in SKU order.
    pub fn saved(&self) -> impl Iterator<Item = (&String, &Saved)> {
        self.items.iter().filter(|(_, item)| !item.removed)
    }

    /// Whether `sku` is on the list.
    pub fn holds(&self, sku: &str) -> bool {
        self.items.get(sku).is_some_and(|item| !item.removed)
    }

    /// The stamp of a write the server makes to `sku` at `now_ns`: it always wins.
    pub fn server_stamp(&self, sku: &str, now_ns: i64) -> Stamp {
        registers::server_stamp(&self.items, self.horizon.as_ref(), sku, now_ns)
    }

    /// Applies one write if it wins its register. A save landing on an item still on the
    /// list keeps the price it was first saved at. Returns whether it won.
    pub fn apply(&mut self, wish: Wish) -> bool {
        let kept_price = self.items.get(&wish.sku).filter(|item| !item.removed).and_then(|item| item.price_when_added);
        let candidate = if wish.remove {
            Saved { stamp: wish.stamp, removed: true, channel: String::new(), price_when_added: None }
        } else {
            Saved {
                stamp: wish.stamp,
                removed: false,
                channel: wish.channel,
                price_when_added: kept_price.or(wish.price),
            }
        };
        registers::apply(&mut self.items, self.horizon.as_ref(), wish.sku, candidate)
    }

    /// Checks the item limit and keeps at most [`MAX_REGISTERS`]; call after a batch.
    pub fn settle(&mut self) -> Result<(), WishlistError> {
        self.settle_within(MAX_REGISTERS)
    }

    /// [`Wishlist::settle`] with another register limit (the property tests use small ones).
    pub fn settle_within(&mut self, limit: usize) -> Result<(), WishlistError> {
        if registers::live_count(&self.items) > MAX_ITEMS {
            return Err(WishlistError::TooManyItems);
        }
        registers::keep_within(&mut self.items, &mut self.horizon, limit);
        Ok(())
    }
}

#[cfg(test)]
#[path = "model_tests.rs"]
mod tests;
