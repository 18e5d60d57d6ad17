//! The cart as plain data, and every rule that changes it: pure functions, no I/O, time
//! passed in.
//!
//! Each line is a last-writer-wins register. A write carries a stamp (`at`, `device`, and the
//! operation itself as a final tie-break), and a line keeps the greatest stamp it has seen,
//! whether that write set a quantity or removed the line (a tombstone). Because "keep the
//! greatest" is commutative, associative and idempotent, applying the same batches in any
//! order, any number of times, gives the same cart.

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
/// Tombstones kept beyond the live lines; the oldest go first (a remove older than every
/// kept tombstone can then no longer be told from "never seen").
pub const MAX_TOMBSTONES: usize = 200;

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

/// Who wrote a line last, and when: the register's order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
    /// The channel the winning write came through.
    pub channel: String,
    /// Server time of the winning write (RFC 3339).
    pub updated_at: String,
}

impl Line {
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

    /// Applies one write if it is newer than the line's register. Returns whether it won.
    pub fn apply(&mut self, write: Write, updated_at: &str) -> bool {
        let candidate =
            Line { stamp: write.stamp, qty: write.qty, channel: write.channel, updated_at: updated_at.to_owned() };
        match self.lines.get(&write.sku) {
            Some(current) if candidate.order(current) != Ordering::Greater => false,
            _ => {
                self.lines.insert(write.sku, candidate);
                true
            }
        }
    }

    /// Checks the line limit and trims old tombstones; call after a batch of writes.
    pub fn settle(&mut self) -> Result<(), CartError> {
        if self.line_count() > MAX_LINES {
            return Err(CartError::TooManyLines);
        }
        let mut tombstones: Vec<(i64, String)> = self
            .lines
            .iter()
            .filter(|(_, line)| line.is_tombstone())
            .map(|(sku, line)| (line.stamp.at_ns, sku.clone()))
            .collect();
        if tombstones.len() > MAX_TOMBSTONES {
            tombstones.sort();
            for (_, sku) in tombstones.iter().take(tombstones.len() - MAX_TOMBSTONES) {
                self.lines.remove(sku);
            }
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
