//! Last-writer-wins registers with tombstones and a horizon: how a cart's lines and a
//! wishlist's items sync across offline devices. Pure functions, no I/O, time passed in.
//!
//! Each key (a SKU) has one register. A write carries a stamp (`at`, `device`, and the write
//! itself as a final tie-break), and a register keeps the greatest write it has seen, whether
//! that write set a value or removed it (a tombstone). Because "keep the greatest" is
//! commutative, associative and idempotent, applying the same batches in any order, any
//! number of times, gives the same registers.
//!
//! A set is one item, so its registers cannot grow with the removes: it keeps at most a fixed
//! number, live and tombstones alike, and a *horizon*. When there are more, the horizon rises
//! to the stamp of the newest register that does not fit, every register at or below it goes,
//! and every later write at or below it is ignored. So a late write older than a forgotten
//! remove never revives the key: it is below the horizon too. That stays convergent because
//! the horizon depends only on the set of writes seen, never on their order: the number of
//! registers above any stamp only grows as writes arrive (a register's stamp only rises, and
//! keys are never forgotten above the horizon), so the horizon is the (limit + 1)-th greatest
//! register stamp of all the writes, whichever came first. The price: a live key is dropped
//! once more than limit − 1 other keys were written after it.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// At most this many operations in one sync batch.
pub const MAX_SYNC_OPS: usize = 100;
/// Client times further ahead than this (nanoseconds: 5 minutes) are clamped to server time.
pub const MAX_CLOCK_AHEAD_NS: i64 = 5 * 60 * 1_000_000_000;
/// The device name of writes the server makes itself (a line or item `PUT`, a merge, a move).
pub const SERVER_DEVICE: &str = "~server";

/// Who wrote a register last, and when: the register's order (time, then device).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Stamp {
    /// Client (or server) time, nanoseconds since the epoch, after clamping.
    pub at_ns: i64,
    /// The writing device; the server's own writes use [`SERVER_DEVICE`].
    pub device: String,
}

/// One register's value: the latest write to its key, live or removed.
pub trait Register {
    /// The winning write's stamp.
    fn stamp(&self) -> &Stamp;
    /// Whether the key is removed.
    fn is_tombstone(&self) -> bool;
    /// The total order of writes: the stamp first, then whatever tells two different writes
    /// with one stamp apart (a tombstone over a set, so a remove and a set made at the same
    /// instant on one device end removed whatever the order they arrive in).
    fn order(&self, other: &Self) -> Ordering;
}

/// Whether a write stamped `stamp` is above `horizon` (it may count at all).
pub fn above_horizon(horizon: Option<&Stamp>, stamp: &Stamp) -> bool {
    horizon.is_none_or(|horizon| stamp > horizon)
}

/// Applies `candidate` to `key`'s register if it is above the horizon and greater than the
/// register. Returns whether it won.
pub fn apply<R: Register>(
    registers: &mut BTreeMap<String, R>,
    horizon: Option<&Stamp>,
    key: String,
    candidate: R,
) -> bool {
    if !above_horizon(horizon, candidate.stamp()) {
        return false;
    }
    match registers.get(&key) {
        Some(current) if candidate.order(current) != Ordering::Greater => false,
        _ => {
            registers.insert(key, candidate);
            true
        }
    }
}

/// The stamp of a write the server makes to `key` at `now_ns`: after the key's register and
/// the horizon, even when a client clock ran ahead, so the server's write always wins.
pub fn server_stamp<R: Register>(
    registers: &BTreeMap<String, R>,
    horizon: Option<&Stamp>,
    key: &str,
    now_ns: i64,
) -> Stamp {
    let after_register = registers.get(key).map_or(i64::MIN, |r| r.stamp().at_ns.saturating_add(1));
    let after_horizon = horizon.map_or(i64::MIN, |h| h.at_ns.saturating_add(1));
    Stamp { at_ns: now_ns.max(after_register).max(after_horizon), device: SERVER_DEVICE.to_owned() }
}

/// Keeps at most `limit` registers: when there are more, raises the horizon to the newest
/// register that does not fit and forgets everything at or below it (see the module docs).
pub fn keep_within<R: Register>(registers: &mut BTreeMap<String, R>, horizon: &mut Option<Stamp>, limit: usize) {
    if registers.len() <= limit {
        return;
    }
    let mut stamps: Vec<&Stamp> = registers.values().map(Register::stamp).collect();
    stamps.sort_unstable_by(|a, b| b.cmp(a));
    // The newest register that does not fit: it, and everything at or below it, goes.
    let newest_dropped = stamps[limit].clone();
    let raised = match horizon.take() {
        Some(old) => old.max(newest_dropped),
        None => newest_dropped,
    };
    registers.retain(|_, register| *register.stamp() > raised);
    *horizon = Some(raised);
}

/// The number of live registers.
pub fn live_count<R: Register>(registers: &BTreeMap<String, R>) -> usize {
    registers.values().filter(|r| !r.is_tombstone()).count()
}

/// Clamps a client time that is too far ahead of the server's.
pub fn clamp(at_ns: i64, now_ns: i64) -> i64 {
    if at_ns > now_ns.saturating_add(MAX_CLOCK_AHEAD_NS) { now_ns } else { at_ns }
}
