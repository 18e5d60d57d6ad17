//! The Store conformance suite on the embedded (redb) adapter, one test per case, each in a
//! file of its own; plus durability across a reopen.
#![cfg(all(feature = "conformance", feature = "embedded"))]

use std::sync::Arc;

use omnicanal_platform::clock::ManualClock;
use omnicanal_store::conformance_tests;
use omnicanal_store::embedded::EmbeddedStore;
use omnicanal_store::{GSI1PK, GSI1SK, Item, Key, PK, Query, SK, Store, WriteOp, s};

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("omnicanal-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Each case's own file, under a random name in cargo's scratch space: cases run in
/// parallel.
fn case_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("conformance-{}", omnicanal_platform::random::token().expect("random source")))
}

conformance_tests!(|clock| EmbeddedStore::open(&case_dir(), Arc::new(clock.clone())).expect("open"));

#[tokio::test]
async fn writes_survive_a_reopen_and_failed_batches_leave_no_trace() {
    let dir = temp_dir("reopen");
    let clock = Arc::new(ManualClock::new(time::OffsetDateTime::now_utc()));
    let item = |sk: &str| -> Item {
        [(PK, s("P")), (SK, s(sk)), (GSI1PK, s("G")), (GSI1SK, s(sk))]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect()
    };
    {
        let store = EmbeddedStore::open(&dir, clock.clone()).expect("open");
        let ops =
            vec![WriteOp::Put { item: item("a"), condition: None }, WriteOp::Put { item: item("b"), condition: None }];
        store.transact(ops).await.expect("write");
        let refused = vec![
            WriteOp::Put { item: item("c"), condition: None },
            WriteOp::Put { item: item("a"), condition: Some(omnicanal_store::Condition::NotExists) },
        ];
        assert!(store.transact(refused).await.is_err());
        store.transact(vec![WriteOp::Delete { key: Key::new("P", "b"), condition: None }]).await.expect("delete");
    }
    let store = EmbeddedStore::open(&dir, clock).expect("reopen");
    assert!(store.get(&Key::new("P", "a")).await.expect("get").is_some());
    assert!(store.get(&Key::new("P", "b")).await.expect("get").is_none(), "delete persisted");
    assert!(store.get(&Key::new("P", "c")).await.expect("get").is_none(), "refused batch persisted nothing");
    let page = store.query(&Query::gsi1("G", 10)).await.expect("gsi");
    assert_eq!(page.items.len(), 1, "the index is rebuilt on open");
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Writers that arrive together share a commit: each must see the ones before it (the
/// counter compounds), and every one of them must be on disk afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn writers_committed_together_each_see_the_ones_before_and_all_persist() {
    let dir = temp_dir("group-commit");
    let clock = Arc::new(ManualClock::new(time::OffsetDateTime::now_utc()));
    const WRITERS: usize = 64;
    {
        let store = EmbeddedStore::open(&dir, clock.clone()).expect("open");
        let tasks: Vec<_> = (0..WRITERS)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move {
                    let item: Item = [(PK, s("G")), (SK, s(format!("item-{i:02}")))]
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect();
                    let ops = vec![
                        WriteOp::Put { item, condition: Some(omnicanal_store::Condition::NotExists) },
                        WriteOp::Update {
                            key: Key::new("G", "counter"),
                            updates: vec![omnicanal_store::Update::add("n", 1)],
                            condition: None,
                        },
                    ];
                    store.transact(ops).await
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("task").expect("every writer commits");
        }
    }
    let store = EmbeddedStore::open(&dir, clock).expect("reopen");
    let counter = store.get(&Key::new("G", "counter")).await.expect("get").expect("counter");
    assert_eq!(counter.get("n"), Some(&omnicanal_store::AttributeValue::N(WRITERS.to_string())));
    let page = store.query(&Query::partition("G", 1000)).await.expect("query");
    assert_eq!(page.items.len(), WRITERS + 1, "every item and the counter");
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}
