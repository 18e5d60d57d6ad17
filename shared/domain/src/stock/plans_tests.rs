//! The stock plans decided on items built here, without a store.

use omnicanal_store::{Condition, Item, WriteOp, num, s};

use crate::catalog::{Product, product_key};
use crate::ids::{Quantity, ReservationId};
use crate::plan::{Plan, Reads, Step};
use crate::stock::finish::{Finish, Finished};
use crate::stock::records::{ReservationStatus, hold_attr, level_key, reservation_key};
use crate::stock::refusal::StockError;
use crate::stock::reserve::{HoldRequest, Reserve, WantedLine};
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
            until: NOW + 900,
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
    assert!(updates.iter().any(|u| format!("{u:?}").contains(&hold_attr("r-1"))));
    assert!(format!("{condition:?}").contains("free"), "guarded by free ≥ qty + safety: {condition:?}");
}

#[test]
fn short_stock_names_each_short_line_with_the_best_location_and_writes_nothing() {
    let plan = reserve(&[("SHOE", 5)], &["A", "B"]);
    let read = Reads::of([product("SHOE", 0), level("SHOE", "A", 3, 0), level("SHOE", "B", 4, 0)]);
    match plan.decide(&read) {
        Err(StockError::Insufficient { short, expired }) => {
            assert_eq!((short.len(), short[0].available, expired.len()), (1, 4, 0));
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

    let commit = Finish { reservation: held.clone(), target: ReservationStatus::Committed, now: NOW };
    assert_eq!(commit.reads().len(), 3, "the reservation, the product and the level");
    let Ok(Step::Write { ops, then: (done, after) }) = commit.decide(&stored) else { panic!("committed") };
    assert_eq!((done, after.status, ops.len()), (Finished::Done, ReservationStatus::Committed, 2));
    let WriteOp::Update { updates, .. } = &ops[1] else { panic!("the level") };
    assert!(format!("{updates:?}").contains("on_hand"), "a sale changes on_hand: {updates:?}");

    let release = Finish { reservation: held.clone(), target: ReservationStatus::Released, now: NOW };
    assert_eq!(release.reads(), vec![reservation_key("r-1")], "a release needs only the reservation");
    let Ok(Step::Write { ops, .. }) = release.decide(&stored) else { panic!("released") };
    assert!(matches!(&ops[1], WriteOp::Update { condition: Some(_), .. }), "only while the hold is there");

    let late = Finish { reservation: held, target: ReservationStatus::Committed, now: NOW + 901 };
    let Err(StockError::WrongState { shown, .. }) = late.decide(&stored) else { panic!("refused") };
    assert_eq!(shown, ReservationStatus::Expired);
}
