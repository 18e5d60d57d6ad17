//! The stock plans decided on items built here, without a store.

use omnicanal_store::{Condition, Item, Update, WriteOp, num, s};

use crate::catalog::{Product, product_key};
use crate::ids::{Quantity, ReservationId};
use crate::plan::{Plan, Reads, Step};
use crate::stock::finish::{Finish, Finished};
use crate::stock::records::{ReservationStatus, bucket_attr, level_key, reservation_key};
use crate::stock::refusal::StockError;
use crate::stock::reserve::{HoldRequest, Reserve, WantedLine};
use crate::stock::rules::hold_until;
use crate::values::{Currency, Money, Sku};

const NOW: i64 = 1_795_341_600;

fn sku(text: &str) -> Sku {
    Sku::parse(text).expect("a SKU")
}

fn product(text: &str, safety_stock: u32) -> (omnicanal_store::Key, Item) {
    let product = Product {
        sku: sku(text),
        name: text.into(),
        category: "shoes".into(),
        price: Money { amount: 1000, currency: Currency::parse("EUR").expect("EUR") },
        safety_stock,
        reorder_point: 2,
        updated_at: String::new(),
    };
    (product_key(&product.sku), product.to_item().expect("an item"))
}

fn level(text: &str, location: &str, on_hand: i64, held: i64) -> (omnicanal_store::Key, Item) {
    let key = level_key(text, location);
    let item = Item::from([
        ("pk".to_owned(), s(key.pk.clone())),
        ("sk".to_owned(), s(key.sk.clone())),
        ("sku".to_owned(), s(text)),
        ("location_id".to_owned(), s(location)),
        ("on_hand".to_owned(), num(on_hand)),
        ("held".to_owned(), num(held)),
        ("free".to_owned(), num(on_hand - held)),
    ]);
    (key, item)
}

fn reserve(lines: &[(&str, i64)], candidates: &[&str]) -> Reserve {
    let lines = lines
        .iter()
        .enumerate()
        .map(|(i, (text, qty))| WantedLine {
            field: format!("lines[{i}].sku"),
            sku: sku(text),
            qty: Quantity::parse(*qty).expect("a quantity"),
        })
        .collect();
    Reserve {
        request: HoldRequest {
            reservation_id: ReservationId::parse("r-1").expect("an id"),
            lines,
            ttl_seconds: 900,
            cart_id: None,
            customer_id: Some("alice".into()),
            channel: "web".into(),
            fingerprint: "f".into(),
            created_at: "2026-11-22T10:00:00Z".into(),
            cart_hold: false,
        },
        candidates: candidates.iter().map(|c| (*c).to_owned()).collect(),
        now: NOW,
    }
}

#[test]
fn a_hold_reads_products_levels_at_every_candidate_and_its_own_record() {
    let keys = reserve(&[("SHOE", 1), ("SOCK", 2), ("SHOE", 1)], &["A", "B"]).reads();
    // Two SKUs, each a product and two levels, and the reservation.
    assert_eq!(keys.len(), 2 * 3 + 1);
    assert!(keys.contains(&reservation_key("r-1")));
}

#[test]
fn a_hold_picks_the_location_with_the_most_and_guards_each_level_with_safety_stock() {
    let plan = reserve(&[("SHOE", 1), ("SHOE", 1)], &["A", "B"]);
    let read = Reads::of([product("SHOE", 1), level("SHOE", "A", 3, 0), level("SHOE", "B", 9, 4)]);
    let Ok(Step::Write { ops, then }) = plan.decide(&read) else { panic!("enough stock") };
    assert_eq!(then.reservation.location_id, "B", "B has 4 available, A has 2");
    assert_eq!(then.reservation.lines[0].qty, 2, "quantities summed per SKU");
    assert_eq!(ops.len(), 2);
    assert!(matches!(&ops[0], WriteOp::Put { condition: Some(Condition::NotExists), .. }));
    let WriteOp::Update { key, updates, condition } = &ops[1] else { panic!("the level update") };
    assert_eq!(key, &level_key("SHOE", "B"));
    assert!(updates.contains(&Update::add(bucket_attr(hold_until(NOW, 900)), 2)), "into the bucket of its end");
    assert!(format!("{condition:?}").contains("free"), "guarded by free ≥ qty + safety: {condition:?}");
}

#[test]
fn short_stock_names_each_short_line_with_the_best_location_and_writes_nothing() {
    let plan = reserve(&[("SHOE", 5)], &["A", "B"]);
    let read = Reads::of([product("SHOE", 0), level("SHOE", "A", 3, 0), level("SHOE", "B", 4, 0)]);
    match plan.decide(&read) {
        Err(StockError::Insufficient { short }) => {
            assert_eq!((short.len(), short[0].available), (1, 4));
        }
        other => panic!("expected insufficient stock, got {other:?}"),
    }
}

#[test]
fn unknown_skus_are_named_by_their_field() {
    let plan = reserve(&[("SHOE", 1), ("GHOST", 1)], &["A"]);
    let read = Reads::of([product("SHOE", 0), level("SHOE", "A", 3, 0)]);
    let Err(StockError::UnknownProducts(errors)) = plan.decide(&read) else { panic!("refused") };
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].field, "lines[1].sku");
}

#[test]
fn a_repeat_answers_the_record_and_another_request_under_the_id_is_refused() {
    let plan = reserve(&[("SHOE", 1)], &["A"]);
    let read = Reads::of([product("SHOE", 0), level("SHOE", "A", 3, 0)]);
    let Ok(Step::Write { then, .. }) = plan.decide(&read) else { panic!("enough") };
    let mut after = read.clone();
    after.insert(reservation_key("r-1"), then.reservation.to_item().expect("an item"));
    let Ok(Step::Done(again)) = plan.decide(&after) else { panic!("a repeat writes nothing") };
    assert!(!again.first);
    let mut other = plan.clone();
    other.request.fingerprint = "another request".into();
    assert!(matches!(other.decide(&after), Err(StockError::ReservationIdReused)));
}

#[test]
fn commit_sells_release_gives_back_and_an_expired_hold_cannot_be_committed() {
    let plan = reserve(&[("SHOE", 2)], &["A"]);
    let read = Reads::of([product("SHOE", 0), level("SHOE", "A", 3, 0)]);
    let Ok(Step::Write { then, .. }) = plan.decide(&read) else { panic!("enough") };
    let held = then.reservation;
    let mut stored = Reads::of([level("SHOE", "A", 3, 2), product("SHOE", 0)]);
    stored.insert(reservation_key("r-1"), held.to_item().expect("an item"));
    let known = Reads::of([(reservation_key("r-1"), held.to_item().expect("an item"))]);

    let commit = Finish { reservation: held.clone(), target: ReservationStatus::Committed, now: NOW };
    assert_eq!(commit.reads().len(), 3, "the reservation, the product and the level");
    let Ok(Step::Write { ops, then: (done, after) }) = commit.decide(&stored) else { panic!("committed") };
    assert_eq!((done, after.status, ops.len()), (Finished::Done, ReservationStatus::Committed, 2));
    let WriteOp::Update { updates, .. } = &ops[1] else { panic!("the level") };
    assert!(format!("{updates:?}").contains("on_hand"), "a sale changes on_hand: {updates:?}");

    let release = Finish { reservation: held.clone(), target: ReservationStatus::Released, now: NOW };
    assert_eq!(release.reads(), vec![reservation_key("r-1"), level_key("SHOE", "A")], "no product");
    let Ok(Step::Write { ops, .. }) = release.decide(&known) else { panic!("released on the record alone") };
    assert!(matches!(&ops[1], WriteOp::Update { condition: Some(_), .. }), "only while the bucket is there");

    let late = Finish { reservation: held, target: ReservationStatus::Committed, now: NOW + 1000 };
    let Err(StockError::WrongState { shown, .. }) = late.decide(&stored) else { panic!("refused") };
    assert_eq!(shown, ReservationStatus::Expired);
}

/// A level item with holds in buckets (`(until, units)`) and a fold floor.
fn level_with(
    text: &str,
    location: &str,
    on_hand: i64,
    buckets: &[(i64, i64)],
    folded: i64,
) -> (omnicanal_store::Key, Item) {
    let held: i64 = buckets.iter().map(|(_, units)| units).sum();
    let (key, mut item) = level(text, location, on_hand, held);
    for (until, units) in buckets {
        item.insert(bucket_attr(*until), num(*units));
    }
    if folded > 0 {
        item.insert("folded".into(), num(folded));
    }
    (key, item)
}

#[test]
fn a_hold_folds_the_expired_buckets_in_its_way_in_its_own_write() {
    // 5 on hand, all 5 held by holds that ended: availability says 5, free says 0.
    let plan = reserve(&[("SHOE", 4)], &["A"]);
    let read = Reads::of([product("SHOE", 0), level_with("SHOE", "A", 5, &[(NOW - 60, 3), (NOW - 10, 2)], 0)]);
    let Ok(Step::Write { ops, .. }) = plan.decide(&read) else { panic!("the expired units count") };
    let WriteOp::Update { updates, condition: Some(Condition::And(all)), .. } = &ops[1] else { panic!("a level") };
    assert!(
        updates.contains(&Update::remove(bucket_attr(NOW - 60)))
            && updates.contains(&Update::set("folded", num(NOW - 10)))
    );
    assert!(all.contains(&Condition::eq(bucket_attr(NOW - 10), num(2))), "folded only as read");
}

#[test]
fn more_expired_buckets_than_one_write_folds_are_cleared_first() {
    let many: Vec<(i64, i64)> = (0..crate::stock::rules::MAX_FOLDS as i64 + 10).map(|i| (NOW - 1000 + i, 1)).collect();
    let plan = reserve(&[("SHOE", 55)], &["A"]);
    let read = Reads::of([product("SHOE", 0), level_with("SHOE", "A", 60, &many, 0)]);
    let Ok(Step::Clear(ops)) = plan.decide(&read) else { panic!("folds first") };
    assert_eq!(ops.len(), 1, "one fold of the level, nothing held yet");
}

#[test]
fn ending_a_hold_whose_bucket_was_folded_gives_nothing_back_twice() {
    let plan = reserve(&[("SHOE", 2)], &["A"]);
    let read = Reads::of([product("SHOE", 0), level("SHOE", "A", 3, 0)]);
    let Ok(Step::Write { then, .. }) = plan.decide(&read) else { panic!("enough") };
    let held = then.reservation;
    // A later hold folded the bucket after it ended: the units are in free already.
    let mut stored = Reads::of([product("SHOE", 0), level_with("SHOE", "A", 3, &[], held.until)]);
    stored.insert(reservation_key("r-1"), held.to_item().expect("an item"));
    let expire = Finish { reservation: held.clone(), target: ReservationStatus::Expired, now: held.until + 5 };
    let Ok(Step::Write { ops, .. }) = expire.decide(&stored) else { panic!("expired") };
    assert_eq!(ops.len(), 1, "only the reservation's status: {ops:?}");
    let commit = Finish { reservation: held.clone(), target: ReservationStatus::Committed, now: held.until - 5 };
    assert!(matches!(commit.decide(&stored), Err(StockError::WrongState { shown: ReservationStatus::Expired, .. })));
}
