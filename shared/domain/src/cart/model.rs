//! The cart as plain data, and every rule that changes it: pure functions, no I/O, time
//! passed in.
//!
//! Each line is a last-writer-wins register with tombstones and a horizon
//! ([`crate::registers`], which the wishlist shares): applying the same batches in any order,
//! any number of times, gives the same cart. A cart keeps at most [`MAX_REGISTERS`], live
//! lines and tombstones alike: a live line is dropped once more than `MAX_REGISTERS − 1`
//! other SKUs were written after it (500 removes of other SKUs in a full cart).

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::registers::{self, Register};
pub use crate::registers::{MAX_CLOCK_AHEAD_NS, MAX_SYNC_OPS, SERVER_DEVICE, Stamp, clamp};

/// At most this many live lines in a cart.
pub const MAX_LINES: usize = 100;
/// The largest quantity of one line.
pub const MAX_QTY: u32 = 999;
/// Registers (live lines and tombstones) a cart keeps above its horizon: room for a full
/// cart and 500 tombstones. Worst case of the item: [`crate::cart::record::WORST_CASE_CART_BYTES`].
pub const MAX_REGISTERS: usize = 600;

/// A cart's lifecycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Open for changes.
    Active,
    /// Folded into another cart at login; closed.
    Merged,
    /// Turned into an order; closed.
    Ordered,
}

/// One register: the latest write to a SKU, live or removed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    /// The winning write's stamp.
    pub stamp: Stamp,
    /// Quantity, `0` for a tombstone.
    pub qty: u32,
    /// The channel the winning write came through (empty on a tombstone).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub channel: String,
    /// Server time of the winning write, RFC 3339 (empty on a tombstone).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub updated_at: String,
}

impl Line {
    /// A register. A tombstone keeps only its stamp: nobody sees its channel or time, and
    /// 500 of them must fit in the cart's item.
    pub fn new(stamp: Stamp, qty: u32, channel: String, updated_at: &str) -> Self {
        if qty == 0 {
            Self { stamp, qty, channel: String::new(), updated_at: String::new() }
        } else {
            Self { stamp, qty, channel, updated_at: updated_at.to_owned() }
        }
    }

    /// Whether the line is removed.
    pub fn is_tombstone(&self) -> bool {
        self.qty == 0
    }
}

impl Register for Line {
    fn stamp(&self) -> &Stamp {
        &self.stamp
    }

    fn is_tombstone(&self) -> bool {
        Line::is_tombstone(self)
    }

    /// Stamp, then tombstone over set, then the larger quantity, then the channel, so two
    /// different writes never tie.
    fn order(&self, other: &Self) -> Ordering {
        (self.stamp.at_ns, &self.stamp.device, self.is_tombstone(), self.qty, &self.channel).cmp(&(
            other.stamp.at_ns,
            &other.stamp.device,
            other.is_tombstone(),
            other.qty,
            &other.channel,
        ))
    }
}

/// A cart.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cart {
    /// The id (a capability for anonymous carts).
    pub cart_id: String,
    /// The owner, for a customer's cart.
    pub customer_id: Option<String>,
    /// Lifecycle.
    pub status: Status,
    /// Bumped by every change; the `ETag`.
    pub version: u64,
    /// Registers by SKU, tombstones included.
    pub lines: BTreeMap<String, Line>,
    /// Creation time (RFC 3339).
    pub created_at: String,
    /// Last change (RFC 3339).
    pub updated_at: String,
    /// When an anonymous cart expires (epoch seconds; the table's TTL attribute); `None`
    /// for customers' carts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
    /// The cart this one was merged into.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<String>,
    /// Writes stamped at or below this are forgotten, and ignored (see the module docs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub horizon: Option<Stamp>,
}

/// A write to one line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Write {
    /// SKU.
    pub sku: String,
    /// New quantity; `0` removes.
    pub qty: u32,
    /// Its stamp.
    pub stamp: Stamp,
    /// Its channel.
    pub channel: String,
}

/// Why a change is refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CartError {
    /// The cart is merged or ordered.
    #[error("the cart is {0:?} and can no longer change")]
    Closed(Status),
    /// More than [`MAX_LINES`] live lines would result.
    #[error("a cart holds at most {MAX_LINES} lines")]
    TooManyLines,
    /// No cart has this id.
    #[error("no such cart")]
    NoSuchCart,
    /// A customer's cart, and the caller is not that customer.
    #[error("this cart belongs to another customer")]
    NotYours {
        /// Whether the caller sent a token at all (`403`) or none (`401`).
        signed_in: bool,
    },
    /// `If-Match` named another version than the cart's.
    #[error("If-Match {sent} does not match the cart's version \"{}\"", current.version)]
    VersionMismatch {
        /// The cart as it is.
        current: Box<Cart>,
        /// The tag the caller sent.
        sent: String,
    },
    /// A stored cart could not be read or written.
    #[error(transparent)]
    Record(#[from] omnicanal_store::StoreError),
}

impl Cart {
    /// A new, empty, active cart.
    pub fn new(cart_id: String, customer_id: Option<String>, now: &str, expires_at: Option<i64>) -> Self {
        Self {
            cart_id,
            customer_id,
            status: Status::Active,
            version: 1,
            lines: BTreeMap::new(),
            created_at: now.to_owned(),
            updated_at: now.to_owned(),
            expires_at,
            merged_into: None,
            horizon: None,
        }
    }

    /// Live lines (tombstones left out), in SKU order.
    pub fn live_lines(&self) -> impl Iterator<Item = (&String, &Line)> {
        self.lines.iter().filter(|(_, line)| !line.is_tombstone())
    }

    /// Number of live lines.
    pub fn line_count(&self) -> usize {
        registers::live_count(&self.lines)
    }

    /// Refuses changes to a closed cart.
    pub fn ensure_active(&self) -> Result<(), CartError> {
        match self.status {
            Status::Active => Ok(()),
            closed => Err(CartError::Closed(closed)),
        }
    }

    /// The stamp of a write the server makes to `sku` at `now_ns` (a line `PUT`/`DELETE`):
    /// after the line's register and the horizon, so the server's write always wins.
    pub fn server_stamp(&self, sku: &str, now_ns: i64) -> Stamp {
        registers::server_stamp(&self.lines, self.horizon.as_ref(), sku, now_ns)
    }

    /// Whether a write stamped `stamp` is above the horizon (it may count at all).
    pub fn above_horizon(&self, stamp: &Stamp) -> bool {
        registers::above_horizon(self.horizon.as_ref(), stamp)
    }

    /// Applies one write if it is above the horizon and newer than the line's register.
    /// Returns whether it won.
    pub fn apply(&mut self, write: Write, updated_at: &str) -> bool {
        let candidate = Line::new(write.stamp, write.qty, write.channel, updated_at);
        registers::apply(&mut self.lines, self.horizon.as_ref(), write.sku, candidate)
    }

    /// Checks the line limit and keeps at most [`MAX_REGISTERS`]; call after a batch of
    /// writes.
    pub fn settle(&mut self) -> Result<(), CartError> {
        self.settle_within(MAX_REGISTERS)
    }

    /// [`Cart::settle`] with another register limit (the property tests use small ones).
    pub fn settle_within(&mut self, limit: usize) -> Result<(), CartError> {
        if self.line_count() > MAX_LINES {
            return Err(CartError::TooManyLines);
        }
        registers::keep_within(&mut self.lines, &mut self.horizon, limit);
        Ok(())
    }
}

/// How a merge combines the two carts' quantities.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Strategy {
    /// Add quantities (capped at [`MAX_QTY`]).
    Sum,
    /// Keep the larger quantity.
    Max,
    /// The source cart's lines replace the target's.
    Replace,
}

/// The target's lines after folding `source` into it: new writes stamped at `stamp`.
/// Returns the writes to apply, so the usual register rules decide.
pub fn merge_writes(target: &Cart, source: &Cart, strategy: Strategy, stamp: &Stamp, channel: &str) -> Vec<Write> {
    let write =
        |sku: &str, qty: u32| Write { sku: sku.to_owned(), qty, stamp: stamp.clone(), channel: channel.to_owned() };
    let target_qty = |sku: &str| target.lines.get(sku).filter(|l| !l.is_tombstone()).map_or(0, |l| l.qty);
    let mut writes: Vec<Write> = source
        .live_lines()
        .map(|(sku, line)| {
            let have = target_qty(sku);
            let qty = match strategy {
                Strategy::Sum => (have + line.qty).min(MAX_QTY),
                Strategy::Max => have.max(line.qty),
                Strategy::Replace => line.qty,
            };
            write(sku, qty)
        })
        .filter(|w| w.qty != target_qty(&w.sku))
        .collect();
    if strategy == Strategy::Replace {
        let keep: Vec<&String> = source.live_lines().map(|(sku, _)| sku).collect();
        writes.extend(target.live_lines().filter(|(sku, _)| !keep.contains(sku)).map(|(sku, _)| write(sku, 0)));
    }
    writes
}

#[cfg(test)]
#[path = "model_tests.rs"]
mod tests;
