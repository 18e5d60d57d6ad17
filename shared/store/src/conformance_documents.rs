//! Conformance cases for document paths, `size()` and single writes that answer an item
//! ([`Store::update_returning`], [`Store::replace`]): what the one-round-trip writes (a cart
//! line, an idempotency claim, a `PUT` that tells 201 from 200) rely on.

use futures::future::join_all;

use super::{get, item, must, put};
use crate::{
    AttributeValue, CompareOp, Condition, EXPIRES_AT, Item, Key, Path, Store, StoreError, Update, Updated, num,
};
use omnicanal_platform::clock::{Clock, ManualClock};

/// A map attribute from its entries.
fn map(entries: &[(&str, AttributeValue)]) -> AttributeValue {
    AttributeValue::M(entries.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect())
}

fn line(key: &str) -> Path {
    Path::attr("lines").key(key)
}

fn size(attr: &str, op: CompareOp, value: u64) -> Condition {
    Condition::Size { attr: Path::attr(attr), op, value }
}

/// Nested `SET` and `REMOVE` under name placeholders per segment (a key with a dot stays
/// one key), conditions on nested values and on `size()`, and `ALL_NEW` / `ALL_OLD` answers.
pub async fn nested_updates_answer_the_item<S: Store>(store: &S, _clock: &ManualClock, run: &str) {
    let pk = format!("{run}#doc");
    let key = Key::new(&pk, "CART");
    let seeded = item(
        &pk,
        "CART",
        &[
            ("lines", map(&[("A.1", map(&[("qty", num(2)), ("at", num(5))]))])),
            ("removed", map(&[("B.2", map(&[("at", num(3))]))])),
            ("version", num(1)),
        ],
    );
    must(store, vec![put(seeded, None)], "seed").await;

    let set_b = vec![
        Update::set(line("B.2"), map(&[("qty", num(1)), ("at", num(9))])),
        Update::remove(Path::attr("removed").key("B.2")),
        Update::add("version", 1),
    ];
    let holds = Condition::And(vec![
        Condition::has(line("A.1")),
        Condition::lacks(line("B.2")),
        Condition::lacks(line("A")),
        Condition::compare(line("A.1").key("at"), CompareOp::Lt, num(9)),
        size("lines", CompareOp::Lt, 2),
        size("removed", CompareOp::Eq, 1),
    ]);
    let after = match store.update_returning(&key, set_b.clone(), holds).await {
        Ok(Updated::Applied(after)) => after,
        other => panic!("nested update: expected Applied, got {other:?}"),
    };
    assert_eq!(line("B.2").key("qty").get(&after), Some(&num(1)), "nested set");
    assert_eq!(line("A.1").key("qty").get(&after), Some(&num(2)), "sibling kept");
    assert_eq!(after.get("removed"), Some(&map(&[])), "nested remove leaves the map");
    assert_eq!(after.get("version"), Some(&num(2)), "ALL_NEW has every attribute");
    assert_eq!(get(store, &pk, "CART").await.as_ref(), Some(&after), "the answer is what is stored");

    // Now two lines: the size condition fails, and the answer is the item as it is.
    let refused = store.update_returning(&key, vec![Update::add("version", 1)], size("lines", CompareOp::Lt, 2)).await;
    assert_eq!(refused, Ok(Updated::Refused(Some(after.clone()))), "ALL_OLD on a failed condition");
    let missing =
        store.update_returning(&key, vec![Update::add("version", 1)], size("nothing", CompareOp::Ge, 0)).await;
    assert_eq!(missing, Ok(Updated::Refused(Some(after.clone()))), "size of a missing attribute is false");
    assert_eq!(get(store, &pk, "CART").await.as_ref(), Some(&after), "refusals change nothing");
}

/// The rules of document paths in updates: the maps above must exist, paths may not overlap.
pub async fn invalid_document_paths_are_refused<S: Store>(store: &S, _clock: &ManualClock, run: &str) {
    let pk = format!("{run}#docbad");
    let key = Key::new(&pk, "CART");
    must(store, vec![put(item(&pk, "CART", &[("lines", map(&[]))]), None)], "seed").await;
    let no_parent =
        store.update_returning(&key, vec![Update::set(Path::attr("nope").key("x"), num(1))], Condition::Exists).await;
    assert!(matches!(no_parent, Err(StoreError::Invalid(_))), "missing parent map: {no_parent:?}");
    let overlap = vec![Update::set("lines", map(&[])), Update::remove(line("x"))];
    let overlapping = store.update_returning(&key, overlap, Condition::Exists).await;
    assert!(matches!(overlapping, Err(StoreError::Invalid(_))), "overlapping paths: {overlapping:?}");
    assert_eq!(get(store, &pk, "CART").await, Some(item(&pk, "CART", &[("lines", map(&[]))])), "nothing changed");
}

/// An absent or expired item is refused as `None`, and nothing is created.
pub async fn refusals_of_absent_items_answer_none<S: Store>(store: &S, clock: &ManualClock, run: &str) {
    let pk = format!("{run}#docnone");
    let absent = store.update_returning(&Key::new(&pk, "gone"), vec![Update::add("n", 1)], Condition::Exists).await;
    assert_eq!(absent, Ok(Updated::Refused(None)), "absent");
    assert_eq!(get(store, &pk, "gone").await, None, "nothing created");
    let expired = item(&pk, "old", &[(EXPIRES_AT, num(clock.epoch_secs() - 10)), ("n", num(1))]);
    must(store, vec![put(expired, None)], "seed expired").await;
    let refused = store.update_returning(&Key::new(&pk, "old"), vec![Update::add("n", 1)], Condition::Exists).await;
    assert_eq!(refused, Ok(Updated::Refused(None)), "expired reads as absent");
}

/// Racing single updates each answer their own result: twenty increments answer 1 to 20.
pub async fn racing_updates_answer_their_own_results<S: Store>(store: &S, _clock: &ManualClock, run: &str) {
    let pk = format!("{run}#docrace");
    let key = Key::new(&pk, "n");
    must(store, vec![put(item(&pk, "n", &[("n", num(0))]), None)], "seed").await;
    let answers =
        join_all((0..20).map(|_| store.update_returning(&key, vec![Update::add("n", 1)], Condition::Exists))).await;
    let mut seen: Vec<i64> = answers
        .into_iter()
        .map(|answer| match answer {
            Ok(Updated::Applied(after)) => match after.get("n") {
                Some(AttributeValue::N(n)) => n.parse().expect("number"),
                other => panic!("racing updates: n is {other:?}"),
            },
            other => panic!("racing updates: {other:?}"),
        })
        .collect();
    seen.sort_unstable();
    assert_eq!(seen, (1..=20).collect::<Vec<i64>>(), "every increment answered its own value");
    let stored: Option<Item> = get(store, &pk, "n").await;
    assert_eq!(stored.and_then(|i| i.get("n").cloned()), Some(num(20)), "stored total");
}

/// A replace answers what it replaced: nothing, the old item, nothing again past its expiry.
pub async fn replace_answers_the_item_it_replaced<S: Store>(store: &S, clock: &ManualClock, run: &str) {
    let pk = format!("{run}#replace");
    let first = item(&pk, "p", &[("name", AttributeValue::S("Mug".into())), ("price", num(900))]);
    assert_eq!(store.replace(first.clone()).await, Ok(None), "created");
    let second = item(&pk, "p", &[("name", AttributeValue::S("Big mug".into()))]);
    assert_eq!(store.replace(second.clone()).await, Ok(Some(first)), "replaced: the old item comes back");
    assert_eq!(get(store, &pk, "p").await, Some(second), "the whole item is replaced, `price` is gone");
    let expiring = item(&pk, "e", &[(EXPIRES_AT, num(clock.epoch_secs() - 1))]);
    must(store, vec![put(expiring, None)], "seed expired").await;
    assert_eq!(store.replace(item(&pk, "e", &[])).await, Ok(None), "an expired item was not there");
}
