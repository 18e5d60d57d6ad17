use proptest::prelude::*;

use super::{MAX_ITEMS, Wish, Wishlist, WishlistError};
use crate::registers::Stamp;
use crate::values::{Currency, Money};

fn list() -> Wishlist {
    Wishlist::empty("alice", "2026-11-22T10:00:00Z")
}

fn price(amount: i64) -> Option<Money> {
    Some(Money { amount, currency: Currency::EUR })
}

fn wish(sku: &str, remove: bool, at_ns: i64, device: &str) -> Wish {
    Wish {
        sku: sku.into(),
        remove,
        stamp: Stamp { at_ns, device: device.into() },
        channel: "app".into(),
        // The price is what the server saw; one per SKU here, as within one instant.
        price: (!remove).then(|| price(1000 + i64::from(sku.as_bytes()[0]))).flatten(),
    }
}

fn skus(list: &Wishlist) -> Vec<String> {
    list.saved().map(|(sku, _)| sku.clone()).collect()
}

#[test]
fn a_late_older_save_does_not_revive_a_removed_item() {
    let mut l = list();
    assert!(l.apply(wish("A1", false, 100, "phone")));
    assert!(l.apply(wish("A1", true, 300, "laptop")));
    assert!(!l.apply(wish("A1", false, 200, "phone")), "older than the remove");
    assert_eq!(skus(&l), Vec::<String>::new());
    assert!(l.apply(wish("A1", false, 400, "phone")), "a newer save counts");
    assert_eq!(skus(&l), vec!["A1".to_owned()]);
}

#[test]
fn a_save_on_a_saved_item_keeps_the_price_it_was_saved_at() {
    let mut l = list();
    l.apply(Wish { price: price(5000), ..wish("SHOE", false, 100, "phone") });
    assert!(l.apply(Wish { price: price(4000), ..wish("SHOE", false, 200, "laptop") }));
    assert_eq!(l.items["SHOE"].price_when_added, price(5000), "still the first save's price");
    assert_eq!(l.items["SHOE"].stamp.device, "laptop", "the newer save wins the register");
    l.apply(wish("SHOE", true, 300, "laptop"));
    l.apply(Wish { price: price(3000), ..wish("SHOE", false, 400, "phone") });
    assert_eq!(l.items["SHOE"].price_when_added, price(3000), "saved again after a remove: a new price");
}

#[test]
fn at_one_instant_a_remove_wins_whatever_the_order() {
    let mut a = list();
    a.apply(wish("B", true, 5, "x"));
    assert!(!a.apply(wish("B", false, 5, "x")));
    let mut b = list();
    b.apply(wish("B", false, 5, "x"));
    assert!(b.apply(wish("B", true, 5, "x")));
    assert_eq!(a.items, b.items);
}

#[test]
fn more_than_the_item_limit_is_refused() {
    let mut l = list();
    for i in 0..=MAX_ITEMS {
        l.apply(wish(&format!("S{i:03}"), false, 1, "d"));
    }
    assert_eq!(l.settle(), Err(WishlistError::TooManyItems));
}

#[test]
fn past_the_register_limit_the_horizon_rises_and_a_late_older_save_stays_out() {
    let mut l = list();
    l.apply(wish("KEEP", false, 5_000, "d"));
    for i in 0..1_000 {
        l.apply(wish(&format!("T{i:04}"), true, 100 + i, "d"));
    }
    l.settle().expect("one item");
    assert_eq!(l.items.len(), super::MAX_REGISTERS);
    assert!(l.holds("KEEP"));
    let horizon = l.horizon.clone().expect("a horizon");
    assert!(!l.apply(wish("T0000", false, 99, "e")), "below the horizon: ignored");
    assert_eq!(l.server_stamp("X", 0).at_ns, horizon.at_ns + 1, "the server's writes land above it");
}

fn arb_wish() -> impl Strategy<Value = Wish> {
    ("[A-D]", any::<bool>(), 0i64..6, "[xyz]").prop_map(|(sku, remove, at, device)| wish(&sku, remove, at, &device))
}

/// Writes over more SKUs than a small register limit keeps, so the horizon moves.
fn arb_crowded_wish() -> impl Strategy<Value = Wish> {
    ("[A-J]", any::<bool>(), 0i64..12, "[xy]").prop_map(|(sku, remove, at, device)| wish(&sku, remove, at, &device))
}

/// Applies `batches` in this order, settling after each as the server does.
fn applied(batches: &[&Vec<Wish>], limit: usize) -> Wishlist {
    let mut l = list();
    for batch in batches {
        for w in batch.iter() {
            l.apply(w.clone());
        }
        l.settle_within(limit).expect("few items");
    }
    l
}

proptest! {
    /// Any interleaving and any repetition of the same batches gives the same list: the same
    /// items, stamps, channels and prices.
    #[test]
    fn batches_converge_in_any_order_and_repetition(
        batches in prop::collection::vec(prop::collection::vec(arb_wish(), 0..8), 1..5),
        order in prop::collection::vec(any::<prop::sample::Index>(), 1..12),
    ) {
        let forward: Vec<&Vec<Wish>> = batches.iter().collect();
        let reference = applied(&forward, super::MAX_REGISTERS);
        let mut replay: Vec<&Vec<Wish>> = batches.iter().rev().collect();
        replay.extend(order.iter().map(|i| &batches[i.index(batches.len())]));
        let replayed = applied(&replay, super::MAX_REGISTERS);
        prop_assert_eq!(&reference.items, &replayed.items);
    }

    /// With a register limit small enough that the horizon moves: any order and repetition
    /// gives the same list, horizon and all, and no save older than a remove of its SKU is
    /// on the list at the end.
    #[test]
    fn batches_converge_with_evictions_and_no_late_save_revives(
        batches in prop::collection::vec(prop::collection::vec(arb_crowded_wish(), 0..8), 1..6),
        order in prop::collection::vec(any::<prop::sample::Index>(), 0..12),
        limit in 2usize..6,
    ) {
        let forward: Vec<&Vec<Wish>> = batches.iter().collect();
        let reference = applied(&forward, limit);
        let mut replay: Vec<&Vec<Wish>> = batches.iter().rev().collect();
        replay.extend(order.iter().map(|i| &batches[i.index(batches.len())]));
        let replayed = applied(&replay, limit);
        prop_assert_eq!(&reference.items, &replayed.items);
        prop_assert_eq!(&reference.horizon, &replayed.horizon);
        prop_assert!(reference.items.len() <= limit);
        for (sku, item) in reference.saved() {
            let newer_remove = batches.iter().flatten().any(|w| w.sku == *sku && w.remove && w.stamp > item.stamp);
            prop_assert!(!newer_remove, "{} is saved at {:?} though removed later", sku, item.stamp);
        }
    }
}
