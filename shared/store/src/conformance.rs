//! The Store port's conformance suite: any adapter runs it to show it has DynamoDB's
//! semantics. Every case writes under its own random partition prefix, so the suite can run
//! against a shared table, repeatedly and in parallel with other tests.
//!
//! [`conformance_tests!`](crate::conformance_tests) makes one test per case, so one failing
//! case hides no other. Each case takes the adapter, the [`ManualClock`] it was built with (the
//! TTL cases move it forward) and a partition prefix of its own.

use futures::future::join_all;

use super::{
    AttributeValue, CompareOp, Condition, EXPIRES_AT, GSI1PK, GSI1SK, Item, Key, MAX_ITEM_BYTES, PK, Query, SK, Store,
    StoreError, Update, WriteOp, num, s,
};
use omnicanal_platform::clock::{Clock, ManualClock};

#[path = "conformance_documents.rs"]
mod documents;

pub use documents::{
    invalid_document_paths_are_refused, nested_updates_answer_the_item, racing_updates_answer_their_own_results,
    refusals_of_absent_items_answer_none, replace_answers_the_item_it_replaced,
};

/// The clock an adapter under test is built with: now, movable by the TTL cases.
pub fn test_clock() -> ManualClock {
    ManualClock::new(time::OffsetDateTime::now_utc())
}

/// One `#[tokio::test]` per conformance case, each building its adapter afresh with
/// `|clock| make` (`clock` is the case's [`ManualClock`]; `make` may `.await`). Attributes
/// before the closure go on every test, e.g. `#[ignore = "needs a server"]`.
#[macro_export]
macro_rules! conformance_tests {
    ($(#[$attr:meta])* |$clock:ident| $make:expr) => {
        $crate::conformance_tests!(@each [$(#[$attr])*] |$clock| $make;
            put_and_get_round_trip_every_type,
            conditional_put_refuses_an_existing_item,
            updates_create_add_set_and_remove,
            failed_transaction_changes_nothing_and_names_the_action,
            check_and_delete_conditions,
            batch_get_answers_in_key_order,
            query_pages_by_prefix_in_both_orders,
            gsi_query_pages_in_index_order,
            foreign_cursors_are_refused,
            expired_items_are_invisible,
            dynamodb_limits_are_enforced,
            concurrent_conditional_writers_have_one_winner,
            concurrent_increments_lose_nothing,
            optimistic_writers_lose_nothing,
            nested_updates_answer_the_item,
            invalid_document_paths_are_refused,
            refusals_of_absent_items_answer_none,
            racing_updates_answer_their_own_results,
            replace_answers_the_item_it_replaced,
        );
    };
    (@each $attrs:tt |$clock:ident| $make:expr; $($case:ident,)*) => {
        $( $crate::conformance_tests!(@one $attrs $case |$clock| $make); )*
    };
    (@one [$(#[$attr:meta])*] $case:ident |$clock:ident| $make:expr) => {
        #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
        $(#[$attr])*
        async fn $case() {
            let $clock = $crate::conformance::test_clock();
            let store = $make;
            $crate::conformance::$case(&store, &$clock, &$crate::conformance::random_prefix()).await;
        }
    };
}

/// A fresh partition prefix, so cases can share a table and run in parallel.
pub fn random_prefix() -> String {
    let bytes = omnicanal_platform::random::bytes::<6>().expect("random source");
    format!("T{}", hex::encode(bytes))
}

fn item(pk: &str, sk: &str, extra: &[(&str, AttributeValue)]) -> Item {
    let mut item = Item::from([(PK.to_owned(), s(pk)), (SK.to_owned(), s(sk))]);
    for (name, value) in extra {
        item.insert((*name).to_owned(), value.clone());
    }
    item
}

fn put(item: Item, condition: Option<Condition>) -> WriteOp {
    WriteOp::Put { item, condition }
}

fn not_exists() -> Option<Condition> {
    Some(Condition::NotExists)
}

async fn must<S: Store>(store: &S, ops: Vec<WriteOp>, case: &str) {
    if let Err(err) = store.transact(ops).await {
        panic!("{case}: transact failed: {err}");
    }
}

async fn get<S: Store>(store: &S, pk: &str, sk: &str) -> Option<Item> {
    store.get(&Key::new(pk, sk)).await.expect("get")
}

/// Every attribute type the domain stores comes back as written (numbers canonical).
pub async fn put_and_get_round_trip_every_type<S: Store>(store: &S, _clock: &ManualClock, run: &str) {
    let pk = format!("{run}#types");
    let nested = AttributeValue::M([("qty".to_owned(), num(2)), ("sku".to_owned(), s("A-1"))].into());
    let written = item(
        &pk,
        "1",
        &[
            ("s", s("héllo")),
            ("empty", s("")),
            ("n", num(-42)),
            ("big", num(9_007_199_254_740_993_i64)),
            ("b", AttributeValue::B(vec![0, 1, 255])),
            ("t", AttributeValue::Bool(true)),
            ("null", AttributeValue::Null(true)),
            ("l", AttributeValue::L(vec![s("x"), num(1), nested.clone()])),
            ("m", nested),
            ("ss", AttributeValue::Ss(vec!["a".into(), "b".into()])),
        ],
    );
    must(store, vec![put(written.clone(), None)], "round trip").await;
    let mut read = get(store, &pk, "1").await.expect("round trip: item is there");
    let mut expected = written;
    // Set order is not significant.
    for it in [&mut read, &mut expected] {
        if let Some(AttributeValue::Ss(set)) = it.get_mut("ss") {
            set.sort();
        }
    }
    assert_eq!(read, expected, "round trip: same attributes");
    assert_eq!(get(store, &pk, "missing").await, None, "round trip: a missing item is None");
}

/// `NotExists` holds once; the second writer fails and changes nothing.
pub async fn conditional_put_refuses_an_existing_item<S: Store>(store: &S, _clock: &ManualClock, run: &str) {
    let pk = format!("{run}#cond");
    must(store, vec![put(item(&pk, "a", &[("v", num(1))]), not_exists())], "first put").await;
    let second = store.transact(vec![put(item(&pk, "a", &[("v", num(2))]), not_exists())]).await;
    assert_eq!(second, Err(StoreError::ConditionFailed { failed: vec![0] }), "second put");
    assert_eq!(get(store, &pk, "a").await.and_then(|i| i.get("v").cloned()), Some(num(1)));
    // Comparisons: version check passes on the right version only.
    let stale = put(item(&pk, "a", &[("v", num(3))]), Some(Condition::eq("v", num(7))));
    assert_eq!(store.transact(vec![stale]).await, Err(StoreError::ConditionFailed { failed: vec![0] }));
    let fresh = put(
        item(&pk, "a", &[("v", num(3))]),
        Some(Condition::And(vec![
            Condition::compare("v", CompareOp::Lt, num(2)),
            Condition::AttributeExists("v".into()),
            Condition::BeginsWith { attr: SK.into(), prefix: "a".into() },
        ])),
    );
    must(store, vec![fresh], "compare and begins_with").await;
    assert_eq!(get(store, &pk, "a").await.and_then(|i| i.get("v").cloned()), Some(num(3)));
}

/// Updates create the item, add to numbers, set, set-if-absent and remove attributes.
pub async fn updates_create_add_set_and_remove<S: Store>(store: &S, _clock: &ManualClock, run: &str) {
    let pk = format!("{run}#upd");
    let key = Key::new(&pk, "u");
    let update =
        |updates: Vec<Update>, condition: Option<Condition>| WriteOp::Update { key: key.clone(), updates, condition };
    must(store, vec![update(vec![Update::add("n", 5), Update::set("a", s("x"))], None)], "create").await;
    must(
        store,
        vec![update(
            vec![
                Update::add("n", -7),
                Update::remove("a"),
                Update::SetIfNotExists { attr: "first".into(), value: s("kept") },
            ],
            Some(Condition::eq("n", num(5))),
        )],
        "update",
    )
    .await;
    must(
        store,
        vec![update(vec![Update::SetIfNotExists { attr: "first".into(), value: s("overwritten") }], None)],
        "set if not exists",
    )
    .await;
    let now = get(store, &pk, "u").await.expect("updated item");
    assert_eq!(now.get("n"), Some(&num(-2)));
    assert_eq!(now.get("a"), None);
    assert_eq!(now.get("first"), Some(&s("kept")));
    let refused = store.transact(vec![update(vec![Update::add("n", 1)], Some(Condition::NotExists))]).await;
    assert_eq!(refused, Err(StoreError::ConditionFailed { failed: vec![0] }));
}

/// One failing action cancels the batch; the error names it and only it.
pub async fn failed_transaction_changes_nothing_and_names_the_action<S: Store>(
    store: &S,
    _clock: &ManualClock,
    run: &str,
) {
    let pk = format!("{run}#txn");
    must(store, vec![put(item(&pk, "taken", &[]), None)], "seed").await;
    let batch = vec![
        put(item(&pk, "new-1", &[]), not_exists()),
        WriteOp::Update { key: Key::new(&pk, "counter"), updates: vec![Update::add("n", 1)], condition: None },
        put(item(&pk, "taken", &[("v", num(1))]), not_exists()),
    ];
    let outcome = store.transact(batch).await;
    assert_eq!(outcome, Err(StoreError::ConditionFailed { failed: vec![2] }), "names the failing action");
    assert_eq!(get(store, &pk, "new-1").await, None, "first put rolled back");
    assert_eq!(get(store, &pk, "counter").await, None, "update rolled back");
    assert_eq!(get(store, &pk, "taken").await.and_then(|i| i.get("v").cloned()), None);

    // Two failing actions: both reported (DynamoDB lists a reason per action).
    let both = vec![
        put(item(&pk, "taken", &[]), not_exists()),
        put(item(&pk, "fresh", &[]), None),
        WriteOp::Check { key: Key::new(&pk, "absent"), condition: Condition::Exists },
    ];
    assert_eq!(store.transact(both).await, Err(StoreError::ConditionFailed { failed: vec![0, 2] }));
    assert_eq!(get(store, &pk, "fresh").await, None);
}

/// A passing check lets the batch apply; deletes honour their condition.
pub async fn check_and_delete_conditions<S: Store>(store: &S, _clock: &ManualClock, run: &str) {
    let pk = format!("{run}#chk");
    must(store, vec![put(item(&pk, "guard", &[("open", AttributeValue::Bool(true))]), None)], "seed").await;
    let guarded = vec![
        WriteOp::Check { key: Key::new(&pk, "guard"), condition: Condition::eq("open", AttributeValue::Bool(true)) },
        put(item(&pk, "x", &[]), None),
    ];
    must(store, guarded, "check passes").await;
    assert!(get(store, &pk, "x").await.is_some());
    let wrong = WriteOp::Delete { key: Key::new(&pk, "x"), condition: Some(Condition::AttributeExists("nope".into())) };
    assert_eq!(store.transact(vec![wrong]).await, Err(StoreError::ConditionFailed { failed: vec![0] }));
    assert!(get(store, &pk, "x").await.is_some(), "refused delete keeps the item");
    let right = WriteOp::Delete { key: Key::new(&pk, "x"), condition: Some(Condition::Exists) };
    must(store, vec![right], "delete").await;
    assert_eq!(get(store, &pk, "x").await, None);
    // Deleting an absent item without a condition succeeds, as on DynamoDB.
    must(store, vec![WriteOp::Delete { key: Key::new(&pk, "x"), condition: None }], "delete absent").await;
}

/// A batch read answers one entry per key, in the keys' order.
pub async fn batch_get_answers_in_key_order<S: Store>(store: &S, _clock: &ManualClock, run: &str) {
    let pk = format!("{run}#batch");
    let ops = (0..30).map(|i| put(item(&pk, &format!("{i:03}"), &[("i", num(i))]), None)).collect();
    must(store, ops, "seed").await;
    let mut keys: Vec<Key> = (0..30).rev().map(|i| Key::new(&pk, format!("{i:03}"))).collect();
    keys.insert(5, Key::new(&pk, "missing"));
    let got = store.batch_get(&keys).await.expect("batch get");
    assert_eq!(got.len(), keys.len());
    for (key, entry) in keys.iter().zip(&got) {
        match entry {
            None => assert_eq!(key.sk, "missing"),
            Some(found) => assert_eq!(Key::of(found).as_ref(), Some(key)),
        }
    }
    assert_eq!(store.batch_get(&[]).await, Ok(vec![]), "an empty batch reads nothing");
}

async fn collect_pages<S: Store>(store: &S, query: Query) -> (Vec<Item>, usize) {
    let mut all = Vec::new();
    let mut pages = 0;
    let mut query = query;
    loop {
        let page = store.query(&query).await.expect("query");
        pages += 1;
        assert!(page.items.len() <= query.limit as usize, "a page holds at most `limit` items");
        all.extend(page.items);
        match page.cursor {
            Some(cursor) => query = query.after(Some(cursor)),
            None => return (all, pages),
        }
        assert!(pages < 100, "paging terminates");
    }
}

fn sort_keys(items: &[Item], attr: &str) -> Vec<String> {
    items
        .iter()
        .map(|i| match i.get(attr) {
            Some(AttributeValue::S(text)) => text.clone(),
            other => panic!("{attr} is not a string: {other:?}"),
        })
        .collect()
}

/// Pages by `limit`, in sort key order, narrowed by prefix, in both directions.
pub async fn query_pages_by_prefix_in_both_orders<S: Store>(store: &S, _clock: &ManualClock, run: &str) {
    let pk = format!("{run}#q");
    let mut ops: Vec<WriteOp> = (0..25).map(|i| put(item(&pk, &format!("line#{i:02}"), &[]), None)).collect();
    ops.extend(["aaa", "line", "linf", "zzz"].map(|sk| put(item(&pk, sk, &[]), None)));
    must(store, ops, "seed").await;
    let expected: Vec<String> = (0..25).map(|i| format!("line#{i:02}")).collect();

    let (items, pages) = collect_pages(store, Query::partition(&pk, 10).with_prefix("line#")).await;
    assert_eq!(sort_keys(&items, SK), expected, "ascending pages");
    assert!(pages >= 3, "25 items at 10 a page take at least 3 pages");

    let (items, _) = collect_pages(store, Query::partition(&pk, 7).with_prefix("line#").descending()).await;
    let mut reversed = expected.clone();
    reversed.reverse();
    assert_eq!(sort_keys(&items, SK), reversed, "descending pages");

    let (items, _) = collect_pages(store, Query::partition(&pk, 100)).await;
    assert_eq!(items.len(), 29, "whole partition");
    let first = store.query(&Query::partition(&pk, 1)).await.expect("first");
    assert_eq!(sort_keys(&first.items, SK), vec!["aaa".to_owned()]);
    assert!(first.cursor.is_some(), "a page cut by the limit has a cursor");
    let none = store.query(&Query::partition(format!("{run}#empty"), 10)).await.expect("empty");
    assert!(none.items.is_empty() && none.cursor.is_none());
}

/// The GSI orders by `gsi1sk` within `gsi1pk`, and pages like the table.
pub async fn gsi_query_pages_in_index_order<S: Store>(store: &S, _clock: &ManualClock, run: &str) {
    let gsi_pk = format!("{run}#by-owner");
    let ops = (0..12)
        .map(|i| {
            // Table keys in the opposite order of the index keys.
            let extra = [(GSI1PK, s(&gsi_pk)), (GSI1SK, s(format!("t{:02}", 11 - i)))];
            put(item(&format!("{run}#g{i:02}"), "doc", &extra), None)
        })
        .collect();
    must(store, ops, "seed").await;
    must(store, vec![put(item(&format!("{run}#nogsi"), "doc", &[(GSI1PK, s(&gsi_pk))]), None)], "no sk").await;
    let (items, _) = collect_pages(store, Query::gsi1(&gsi_pk, 5)).await;
    let expected: Vec<String> = (0..12).map(|i| format!("t{i:02}")).collect();
    assert_eq!(sort_keys(&items, GSI1SK), expected, "index order, items without gsi1sk left out");
    let (items, _) = collect_pages(store, Query::gsi1(&gsi_pk, 5).with_prefix("t0")).await;
    assert_eq!(items.len(), 10);
}

/// A cursor of another partition or of the other index, or garbage, is refused.
pub async fn foreign_cursors_are_refused<S: Store>(store: &S, _clock: &ManualClock, run: &str) {
    let pk = format!("{run}#cur");
    let ops = (0..3).map(|i| put(item(&pk, &i.to_string(), &[]), None)).collect();
    must(store, ops, "seed").await;
    let page = store.query(&Query::partition(&pk, 1)).await.expect("page");
    let cursor = page.cursor.expect("cursor");
    let other = Query::partition(format!("{run}#other"), 1).after(Some(cursor.clone()));
    assert_eq!(store.query(&other).await, Err(StoreError::InvalidCursor));
    let gsi = Query::gsi1(&pk, 1).after(Some(cursor));
    assert_eq!(store.query(&gsi).await, Err(StoreError::InvalidCursor));
    let garbage = Query::partition(&pk, 1).after(Some(super::Cursor::from_client("%%%")));
    assert_eq!(store.query(&garbage).await, Err(StoreError::InvalidCursor));
}

/// Past `expires_at`, an item is gone for reads, queries and conditions.
pub async fn expired_items_are_invisible<S: Store>(store: &S, clock: &ManualClock, run: &str) {
    let pk = format!("{run}#ttl");
    let at = clock.epoch_secs() + 10;
    let expiring = item(&pk, "x", &[(EXPIRES_AT, num(at)), (GSI1PK, s(&pk)), (GSI1SK, s("x"))]);
    must(store, vec![put(expiring, None), put(item(&pk, "y", &[]), None)], "seed").await;
    assert!(get(store, &pk, "x").await.is_some(), "alive before expiry");
    clock.advance(time::Duration::seconds(11));
    assert_eq!(get(store, &pk, "x").await, None, "get");
    let keys = [Key::new(&pk, "x"), Key::new(&pk, "y")];
    let got = store.batch_get(&keys).await.expect("batch");
    assert!(got[0].is_none() && got[1].is_some(), "batch get");
    let page = store.query(&Query::partition(&pk, 10)).await.expect("query");
    assert_eq!(sort_keys(&page.items, SK), vec!["y".to_owned()], "query");
    let page = store.query(&Query::gsi1(&pk, 10)).await.expect("gsi query");
    assert!(page.items.is_empty(), "gsi query");
    let exists = WriteOp::Check { key: Key::new(&pk, "x"), condition: Condition::Exists };
    assert_eq!(store.transact(vec![exists]).await, Err(StoreError::ConditionFailed { failed: vec![0] }));
    must(store, vec![put(item(&pk, "x", &[("v", num(2))]), not_exists())], "recreate over expired").await;
    assert_eq!(get(store, &pk, "x").await.and_then(|i| i.get("v").cloned()), Some(num(2)));
}

/// Requests DynamoDB refuses are refused here too.
pub async fn dynamodb_limits_are_enforced<S: Store>(store: &S, _clock: &ManualClock, run: &str) {
    let pk = format!("{run}#lim");
    let too_many: Vec<WriteOp> = (0..101).map(|i| put(item(&pk, &i.to_string(), &[]), None)).collect();
    assert!(matches!(store.transact(too_many).await, Err(StoreError::Invalid(_))), "101 actions");
    let hundred: Vec<WriteOp> = (0..100).map(|i| put(item(&pk, &i.to_string(), &[]), None)).collect();
    must(store, hundred, "100 actions").await;
    let twice = vec![put(item(&pk, "a", &[]), None), put(item(&pk, "a", &[]), None)];
    assert!(matches!(store.transact(twice).await, Err(StoreError::Invalid(_))), "one action per item");
    let big = item(&pk, "big", &[("blob", s("x".repeat(MAX_ITEM_BYTES)))]);
    assert!(matches!(store.transact(vec![put(big, None)]).await, Err(StoreError::Invalid(_))), "400 KB");
    assert_eq!(get(store, &pk, "big").await, None);
    let dup_keys = [Key::new(&pk, "1"), Key::new(&pk, "1")];
    assert!(matches!(store.batch_get(&dup_keys).await, Err(StoreError::Invalid(_))), "duplicate keys");
}

const WRITERS: usize = 32;

/// Many writers race to create one item: exactly one wins, and its write is the one stored.
pub async fn concurrent_conditional_writers_have_one_winner<S: Store>(store: &S, _clock: &ManualClock, run: &str) {
    let pk = format!("{run}#race");
    let attempts = (0..WRITERS).map(|writer| {
        let op = put(item(&pk, "last-unit", &[("writer", num(writer as i64))]), not_exists());
        async move { (writer, store.transact(vec![op]).await) }
    });
    let outcomes = join_all(attempts).await;
    let winners: Vec<usize> = outcomes.iter().filter(|(_, r)| r.is_ok()).map(|(w, _)| *w).collect();
    assert_eq!(winners.len(), 1, "exactly one winner: {outcomes:?}");
    for (_, outcome) in &outcomes {
        if let Err(err) = outcome {
            assert!(
                matches!(err, StoreError::ConditionFailed { .. } | StoreError::Conflict),
                "losers fail cleanly: {err}"
            );
        }
    }
    let stored = get(store, &pk, "last-unit").await.expect("stored");
    assert_eq!(stored.get("writer"), Some(&num(winners[0] as i64)));
}

/// Concurrent `ADD`s all count.
pub async fn concurrent_increments_lose_nothing<S: Store>(store: &S, _clock: &ManualClock, run: &str) {
    let pk = format!("{run}#add");
    let adds = (0..WRITERS).map(|_| {
        let op = WriteOp::Update { key: Key::new(&pk, "n"), updates: vec![Update::add("n", 1)], condition: None };
        retry(store, move || vec![op.clone()])
    });
    join_all(adds).await;
    assert_eq!(get(store, &pk, "n").await.and_then(|i| i.get("n").cloned()), Some(num(WRITERS as i64)));
}

/// Read-modify-write with a version check: every writer eventually lands, none is lost.
pub async fn optimistic_writers_lose_nothing<S: Store>(store: &S, _clock: &ManualClock, run: &str) {
    let pk = format!("{run}#occ");
    must(store, vec![put(item(&pk, "doc", &[("version", num(0)), ("log", s(""))]), None)], "seed").await;
    let pk = pk.as_str();
    let writers = (0..8).map(|writer| async move {
        for _ in 0..50 {
            let current = get(store, pk, "doc").await.expect("doc");
            let version = match current.get("version") {
                Some(AttributeValue::N(n)) => n.parse::<u64>().expect("version"),
                other => panic!("version: {other:?}"),
            };
            let log = match current.get("log") {
                Some(AttributeValue::S(text)) => format!("{text}{writer},"),
                other => panic!("log: {other:?}"),
            };
            let next = item(pk, "doc", &[("version", num(version + 1)), ("log", s(log))]);
            match store.transact(vec![put(next, Some(Condition::version_equals(version)))]).await {
                Ok(()) => return,
                Err(StoreError::ConditionFailed { .. } | StoreError::Conflict) => continue,
                Err(err) => panic!("optimistic write: {err}"),
            }
        }
        panic!("writer {writer} never landed");
    });
    join_all(writers).await;
    let doc = get(store, pk, "doc").await.expect("doc");
    assert_eq!(doc.get("version"), Some(&num(8)));
    let Some(AttributeValue::S(log)) = doc.get("log") else { panic!("log") };
    let mut writers: Vec<&str> = log.trim_end_matches(',').split(',').collect();
    writers.sort_unstable();
    assert_eq!(writers, vec!["0", "1", "2", "3", "4", "5", "6", "7"], "every writer's change survived");
}

/// Retries a batch that lost only to a transient conflict.
async fn retry<S: Store, F: Fn() -> Vec<WriteOp>>(store: &S, ops: F) {
    for _ in 0..20 {
        match store.transact(ops()).await {
            Ok(()) => return,
            Err(StoreError::Conflict) => continue,
            Err(err) => panic!("transact: {err}"),
        }
    }
    panic!("still conflicting after 20 attempts");
}
