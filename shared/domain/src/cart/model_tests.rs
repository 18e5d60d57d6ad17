use proptest::prelude::*;

use super::{
    Cart, CartError, MAX_CLOCK_AHEAD_NS, MAX_LINES, MAX_REGISTERS, SERVER_DEVICE, Stamp, Status,
    Strategy as MergeStrategy, Write, clamp, merge_writes,
};

fn cart() -> Cart {
    Cart::new("c1".into(), None, "2026-11-22T10:00:00Z", None)
}

fn write(sku: &str, qty: u32, at_ns: i64, device: &str) -> Write {
    Write { sku: sku.into(), qty, stamp: Stamp { at_ns, device: device.into() }, channel: "web".into() }
}

fn quantities(cart: &Cart) -> Vec<(String, u32)> {
    cart.live_lines().map(|(sku, line)| (sku.clone(), line.qty)).collect()
}

#[test]
fn a_late_older_set_does_not_revive_a_removed_line() {
    let mut c = cart();
    assert!(c.apply(write("A1", 2, 100, "phone"), "t"));
    assert!(c.apply(write("A1", 0, 300, "laptop"), "t"));
    // The phone comes back online with a set made before the remove.
    assert!(!c.apply(write("A1", 5, 200, "phone"), "t"));
    assert_eq!(quantities(&c), vec![]);
    // A newer set does bring it back.
    assert!(c.apply(write("A1", 1, 400, "phone"), "t"));
    assert_eq!(quantities(&c), vec![("A1".to_owned(), 1)]);
}

#[test]
fn equal_times_are_broken_by_device_then_operation() {
    let mut a = cart();
    a.apply(write("A1", 2, 100, "a"), "t");
    a.apply(write("A1", 3, 100, "b"), "t");
    let mut b = cart();
    b.apply(write("A1", 3, 100, "b"), "t");
    b.apply(write("A1", 2, 100, "a"), "t");
    assert_eq!(quantities(&a), vec![("A1".to_owned(), 3)]);
    assert_eq!(a.lines, b.lines);
    // Same stamp, remove against set: the remove wins whatever the order.
    let mut c = cart();
    c.apply(write("B", 0, 5, "x"), "t");
    assert!(!c.apply(write("B", 4, 5, "x"), "t"));
    assert_eq!(quantities(&c), vec![]);
}

#[test]
fn clock_clamping_and_limits() {
    let now = 1_000 * 1_000_000_000;
    assert_eq!(clamp(now + MAX_CLOCK_AHEAD_NS, now), now + MAX_CLOCK_AHEAD_NS);
    assert_eq!(clamp(now + MAX_CLOCK_AHEAD_NS + 1, now), now);
    let mut c = cart();
    for i in 0..=MAX_LINES {
        c.apply(write(&format!("S{i:03}"), 1, 1, "d"), "t");
    }
    assert_eq!(c.settle(), Err(CartError::TooManyLines));
    c.status = Status::Merged;
    assert_eq!(c.ensure_active(), Err(CartError::Closed(Status::Merged)));
}

#[test]
fn past_the_register_limit_the_horizon_rises_and_a_late_older_set_stays_out() {
    let mut c = cart();
    c.apply(write("KEEP", 1, 5_000, "d"), "t");
    for i in 0..1_000 {
        c.apply(write(&format!("T{i:04}"), 0, 100 + i, "d"), "t");
    }
    c.settle().expect("one live line");
    assert_eq!(c.lines.len(), MAX_REGISTERS);
    assert!(c.lines.contains_key("KEEP"), "the newest registers stay, the live line among them");
    let horizon = c.horizon.clone().expect("a horizon");
    assert!(!c.lines.contains_key("T0000"), "the oldest tombstones went");
    // A set older than its remove, of a tombstone that was forgotten: below the horizon.
    assert!(!c.apply(write("T0000", 3, 99, "e"), "t"), "ignored");
    assert!(!c.apply(write("NEVER-SEEN", 3, horizon.at_ns, "d"), "t"), "at the horizon: ignored too");
    assert!(c.apply(write("T0000", 3, 2_000, "e"), "t"), "a newer set counts");
    assert_eq!(c.server_stamp("X", 0).at_ns, horizon.at_ns + 1, "the server's writes land above the horizon");
}

#[test]
fn merge_strategies() {
    let stamp = Stamp { at_ns: 10, device: SERVER_DEVICE.into() };
    let mut target = cart();
    target.apply(write("A", 2, 1, "d"), "t");
    target.apply(write("B", 5, 1, "d"), "t");
    let mut source = cart();
    source.apply(write("A", 3, 1, "e"), "t");
    source.apply(write("C", 1, 1, "e"), "t");
    let result = |strategy| {
        let mut merged = target.clone();
        for w in merge_writes(&target, &source, strategy, &stamp, "web") {
            merged.apply(w, "t");
        }
        quantities(&merged)
    };
    let q = |v: &[(&str, u32)]| v.iter().map(|(s, q)| ((*s).to_owned(), *q)).collect::<Vec<_>>();
    assert_eq!(result(MergeStrategy::Sum), q(&[("A", 5), ("B", 5), ("C", 1)]));
    assert_eq!(result(MergeStrategy::Max), q(&[("A", 3), ("B", 5), ("C", 1)]));
    assert_eq!(result(MergeStrategy::Replace), q(&[("A", 3), ("C", 1)]));
}

fn arb_write() -> impl Strategy<Value = Write> {
    ("[A-D]", 0u32..4, 0i64..6, "[xyz]").prop_map(|(sku, qty, at, device)| write(&sku, qty, at, &device))
}

/// Writes over more SKUs than a small register limit keeps, so the horizon moves.
fn arb_crowded_write() -> impl Strategy<Value = Write> {
    ("[A-J]", 0u32..3, 0i64..12, "[xy]").prop_map(|(sku, qty, at, device)| write(&sku, qty, at, &device))
}

/// Applies `batches` in this order, settling after each as the server does.
fn applied(batches: &[&Vec<Write>], limit: usize) -> Cart {
    let mut c = cart();
    for batch in batches {
        for w in batch.iter() {
            c.apply(w.clone(), "t");
        }
        c.settle_within(limit).expect("few live lines");
    }
    c
}

proptest! {
    /// Any interleaving and any repetition of the same batches gives the same cart.
    #[test]
    fn batches_converge_in_any_order_and_repetition(
        batches in prop::collection::vec(prop::collection::vec(arb_write(), 0..8), 1..5),
        order in prop::collection::vec(any::<prop::sample::Index>(), 1..12),
    ) {
        let mut reference = cart();
        for batch in &batches {
            for w in batch {
                reference.apply(w.clone(), "t");
            }
        }
        // Replay: every batch at least once (reversed), then random repeats.
        let mut replay = cart();
        for batch in batches.iter().rev() {
            for w in batch.iter().rev() {
                replay.apply(w.clone(), "t");
            }
        }
        for index in &order {
            for w in &batches[index.index(batches.len())] {
                replay.apply(w.clone(), "t");
            }
        }
        prop_assert_eq!(quantities(&reference), quantities(&replay));
        let stamps = |c: &Cart| c.lines.iter().map(|(s, l)| (s.clone(), l.stamp.clone(), l.qty)).collect::<Vec<_>>();
        prop_assert_eq!(stamps(&reference), stamps(&replay));
    }
}

proptest! {
    /// With a register limit small enough that the horizon moves (evictions included): any
    /// order and repetition of the batches gives the same cart, horizon and all, and no set
    /// older than a remove of its SKU is ever live at the end.
    #[test]
    fn batches_converge_with_evictions_and_no_late_set_revives(
        batches in prop::collection::vec(prop::collection::vec(arb_crowded_write(), 0..8), 1..6),
        order in prop::collection::vec(any::<prop::sample::Index>(), 0..12),
        limit in 2usize..6,
    ) {
        let forward: Vec<&Vec<Write>> = batches.iter().collect();
        let reference = applied(&forward, limit);
        let mut replay: Vec<&Vec<Write>> = batches.iter().rev().collect();
        replay.extend(order.iter().map(|i| &batches[i.index(batches.len())]));
        let replayed = applied(&replay, limit);
        prop_assert_eq!(&reference.lines, &replayed.lines);
        prop_assert_eq!(&reference.horizon, &replayed.horizon);
        prop_assert!(reference.lines.len() <= limit);
        for (sku, line) in reference.live_lines() {
            let newer_remove = batches.iter().flatten().any(|w| w.sku == *sku && w.qty == 0 && w.stamp > line.stamp);
            prop_assert!(!newer_remove, "{} is live at {:?} though removed later", sku, line.stamp);
        }
    }
}
