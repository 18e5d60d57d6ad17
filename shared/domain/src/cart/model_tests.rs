use proptest::prelude::*;

use super::{
    Cart, CartError, MAX_CLOCK_AHEAD_NS, MAX_LINES, MAX_TOMBSTONES, SERVER_DEVICE, Stamp, Status,
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
fn tombstones_are_trimmed_oldest_first() {
    let mut c = cart();
    for i in 0..(MAX_TOMBSTONES + 10) {
        c.apply(write(&format!("T{i:04}"), 0, i as i64, "d"), "t");
    }
    c.settle().expect("no live lines");
    assert_eq!(c.lines.len(), MAX_TOMBSTONES);
    assert!(!c.lines.contains_key("T0000"), "oldest dropped");
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
