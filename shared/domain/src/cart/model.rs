//! The cart as plain data, and every rule that changes it: pure functions, no I/O, time
//! passed in.
//!
//! Each line is a last-writer-wins register. A write carries a stamp (`at`, `device`, and the
//! operation itself as a final tie-break), and a line keeps the greatest stamp it has seen,
//! whether that write set a quantity or removed the line (a tombstone). Because "keep the
//! greatest" is commutative, associative and idempotent, applying the same batches in any
//! order, any number of times, gives the same cart.
//!
//! A cart is one item, so its registers cannot grow with the removes: it keeps at most
//! [`MAX_REGISTERS`], live lines and tombstones alike, and a *horizon*. When there are more,
//! the horizon rises to the stamp of the newest register that does not fit, every register
//! at or below it goes, and every later write at or below it is ignored. So a late set older
//! than a forgotten remove never revives the line: it is below the horizon too. That stays
//! convergent because the horizon depends only on the set of writes seen, never on their
//! order: the number of registers above any stamp only grows as writes arrive (a register's
//! stamp only rises, and SKUs are never forgotten above the horizon), so the horizon is the
//! (`MAX_REGISTERS` + 1)-th greatest register stamp of all the writes, whichever came first.
//! The price: a live line is dropped once more than `MAX_REGISTERS − 1` other SKUs were
//! written after it (500 removes of other SKUs in a full cart).

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// At most this many live lines in a cart.
pub const MAX_LINES: usize = 100;
/// The largest quantity of one line.
pub const MAX_QTY: u32 = 999;
/// At most this many operations in one sync batch.
pub const MAX_SYNC_OPS: usize = 100;
/// Client times further ahead than this (nanoseconds: 5 minutes) are clamped to server time.
pub const MAX_CLOCK_AHEAD_NS: i64 = 5 * 60 * 1_000_000_000;
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

/// Who wrote a line last, and when: the register's order (time, then device).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Stamp {
    /// Client (or server) time, nanoseconds since the epoch, after clamping.
    pub at_ns: i64,
    /// The writing device; the server's own writes use [`SERVER_DEVICE`].
    pub device: String,
}

/// The device name of writes made through the line and merge endpoints.
pub const SERVER_DEVICE: &str = "~server";

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

    /// The total order of writes: stamp, then tombstone over set, then the larger quantity,
    /// then the channel, so two different writes never tie.
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
        self.live_lines().count()
    }

    /// Refuses changes to a closed cart.
    pub fn ensure_active(&self) -> Result<(), CartError> {
        match self.status {
            Status::Active => Ok(()),
            closed => Err(CartError::Closed(closed)),
        }
    }

    /// The stamp of a write the server makes to `sku` at `now_ns` (a line `PUT`/`DELETE`):
    /// after the line's register and the horizon, even when a client clock ran ahead, so the
    /// server's write always wins.
    pub fn server_stamp(&self, sku: &str, now_ns: i64) -> Stamp {
        let after_line = self.lines.get(sku).map_or(i64::MIN, |line| line.stamp.at_ns.saturating_add(1));
        let after_horizon = self.horizon.as_ref().map_or(i64::MIN, |h| h.at_ns.saturating_add(1));
        Stamp { at_ns: now_ns.max(after_line).max(after_horizon), device: SERVER_DEVICE.to_owned() }
    }

    /// Whether a write stamped `stamp` is above the horizon (it may count at all).
    pub fn above_horizon(&self, stamp: &Stamp) -> bool {
        self.horizon.as_ref().is_none_or(|horizon| stamp > horizon)
    }

    /// Applies one write if it is above the horizon and newer than the line's register.
    /// Returns whether it won.
    pub fn apply(&mut self, write: Write, updated_at: &str) -> bool {
        if !self.above_horizon(&write.stamp) {
            return false;
        }
        let candidate = Line::new(write.stamp, write.qty, write.channel, updated_at);
        match self.lines.get(&write.sku) {
            Some(current) if candidate.order(current) != Ordering::Greater => false,
            _ => {
                self.lines.insert(write.sku, candidate);
                true
            }
        }
    }

    /// Checks the line limit and keeps at most [`MAX_REGISTERS`]; call after a batch of
    /// writes.
    pub fn settle(&mut self) -> Result<(), CartError> {
        self.settle_within(MAX_REGISTERS)
    }

    /// [`Cart::settle`] with another register limit (the property tests use small ones).
    pub fn settle_within(&mut self, registers: usize) -> Result<(), CartError> {
        if self.line_count() > MAX_LINES {
            return Err(CartError::TooManyLines);
        }
        if self.lines.len() > registers {
            let mut stamps: Vec<&Stamp> = self.lines.values().map(|line| &line.stamp).collect();
            stamps.sort_unstable_by(|a, b| b.cmp(a));
            // The newest register that does not fit: it, and everything at or below it, goes.
            let newest_dropped = stamps[registers].clone();
            let horizon = match self.horizon.take() {
                Some(old) => old.max(newest_dropped),
                None => newest_dropped,
            };
            self.lines.retain(|_, line| line.stamp > horizon);
            self.horizon = Some(horizon);
        }
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

/// Clamps a client time that is too far ahead of the server's.
pub fn clamp(at_ns: i64, now_ns: i64) -> i64 {
    if at_ns > now_ns.saturating_add(MAX_CLOCK_AHEAD_NS) { now_ns } else { at_ns }
}

#[cfg(test)]
#[path = "model_tests.rs"]
mod tests;
