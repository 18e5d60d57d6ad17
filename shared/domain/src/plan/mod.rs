//! Read, decide, write: the one loop behind every change that reads before it writes.
//!
//! An attempt reads what it needs, decides with the domain's pure rules, and either answers
//! without writing ([`Step::Done`]) or hands back the writes, each with the condition that
//! what it read still holds ([`Step::Write`]). [`run`] writes them as one transaction; when
//! another writer got there first (a condition failed, or the table reported a conflict) it
//! backs off, jittered, and starts again from a fresh read, a bounded number of times. The
//! table's conditions decide, never the read: a stale read can only cost another attempt.
//!
//! A domain hands its changes out as [`Plan`] values (keys to read, a decision over what was
//! read); [`execute`] runs one, and [`Plan::join`] makes several domains' plans one
//! transaction.

mod due;
mod reads;
mod value;

pub use due::DueIndex;
pub use reads::Reads;
pub use value::{Joined, Plan, execute, read};

use omnicanal_platform::backoff::Backoff;
use omnicanal_store::{Store, StoreError, WriteOp};

/// What an attempt decided.
#[derive(Debug)]
pub enum Step<T> {
    /// Nothing to write (a replay, no change, a refusal the caller answers): this is the
    /// answer.
    Done(T),
    /// Write these in one transaction; when it applies, this is the answer.
    Write {
        /// The writes, each conditioned on what the attempt read.
        ops: Vec<WriteOp>,
        /// The answer once they applied.
        then: T,
    },
    /// Something in the way must go first (expired holds a single write cannot fold): write
    /// these, whether or not their conditions still hold (another writer may have cleared
    /// them already), then read and decide again.
    Clear(Vec<WriteOp>),
}

/// Every attempt lost its race: the caller should answer "busy, retry shortly".
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("other writers kept changing what this change read; retry shortly")]
pub struct Contended;

/// How long an attempt waits after losing a race: from 2 ms, doubling, up to 64 ms. Short:
/// the winner's write is already done, and the loser only needs to read it.
pub const BACKOFF: Backoff =
    Backoff { base: std::time::Duration::from_millis(2), cap: std::time::Duration::from_millis(64) };

/// Runs `attempt` until its writes apply or it answers without writing, at most `attempts`
/// times; it is called with the attempt's number, from 1. An error of the attempt or of the
/// table (other than a lost race) ends it.
///
/// `attempt` returns a future rather than being an async closure so that the loop's future
/// stays `Send` where its parts are (the native hosts need that).
pub async fn run<S, T, E, F, Fut>(store: &S, attempts: u32, mut attempt: F) -> Result<T, E>
where
    S: Store,
    E: From<StoreError> + From<Contended>,
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<Step<T>, E>>,
{
    for tried in 1..=attempts {
        match attempt(tried).await? {
            Step::Done(answer) => return Ok(answer),
            Step::Clear(ops) => match store.transact(ops).await {
                Ok(()) | Err(StoreError::ConditionFailed { .. } | StoreError::Conflict) => {}
                Err(other) => return Err(other.into()),
            },
            Step::Write { ops, then } => match store.transact(ops).await {
                Ok(()) => return Ok(then),
                Err(StoreError::ConditionFailed { .. } | StoreError::Conflict) if tried < attempts => {
                    store.pause(BACKOFF.wait(tried)).await;
                }
                Err(StoreError::ConditionFailed { .. } | StoreError::Conflict) => break,
                Err(other) => return Err(other.into()),
            },
        }
    }
    Err(Contended.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::sync::Arc;

    use omnicanal_platform::clock::ManualClock;
    use omnicanal_store::memory::MemoryStore;
    use omnicanal_store::{AttributeValue, Condition, Item, Key, num, s};

    #[derive(Debug, PartialEq)]
    enum Error {
        Store(StoreError),
        Contended,
        Refused,
    }

    impl From<StoreError> for Error {
        fn from(err: StoreError) -> Self {
            Self::Store(err)
        }
    }

    impl From<Contended> for Error {
        fn from(_: Contended) -> Self {
            Self::Contended
        }
    }

    fn store() -> MemoryStore {
        MemoryStore::new(Arc::new(ManualClock::from_epoch_millis(1_800_000_000_000)))
    }

    fn counter(n: i64) -> Item {
        Item::from([("pk".to_owned(), s("C")), ("sk".to_owned(), s("N")), ("n".to_owned(), num(n))])
    }

    fn n_of(item: &Item) -> i64 {
        match item.get("n") {
            Some(AttributeValue::N(n)) => n.parse().expect("a number"),
            _ => 0,
        }
    }

    /// An increment that reads the counter and writes `n + 1` if `n` is still what it read.
    async fn increment(store: &MemoryStore, attempts: u32) -> Result<i64, Error> {
        run(store, attempts, |_| async move {
            let read = store.get(&Key::new("C", "N")).await?;
            let n = read.as_ref().map_or(0, n_of);
            let condition = match read {
                Some(_) => Condition::eq("n", num(n)),
                None => Condition::NotExists,
            };
            Ok(Step::Write {
                ops: vec![WriteOp::Put { item: counter(n + 1), condition: Some(condition) }],
                then: n + 1,
            })
        })
        .await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn racing_read_decide_writes_lose_nothing() {
        let store = store();
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move { increment(&store, 64).await })
            })
            .collect();
        let mut answers = Vec::new();
        for task in tasks {
            answers.push(task.await.expect("the task").expect("every increment applies"));
        }
        answers.sort_unstable();
        assert_eq!(answers, (1..=20).collect::<Vec<_>>(), "each saw its own result");
        let stored = store.get(&Key::new("C", "N")).await.expect("read").expect("the counter");
        assert_eq!(n_of(&stored), 20);
    }

    #[tokio::test]
    async fn a_decision_without_writes_and_a_refusal_end_the_loop() {
        let store = store();
        let done: Result<i64, Error> = run(&store, 3, |_| async { Ok(Step::Done(7)) }).await;
        assert_eq!(done, Ok(7));
        let refused: Result<i64, Error> = run(&store, 3, |tried| async move {
            assert_eq!(tried, 1, "a refusal is not retried");
            Err(Error::Refused)
        })
        .await;
        assert_eq!(refused, Err(Error::Refused));
    }

    #[tokio::test]
    async fn a_race_lost_every_time_is_contention_after_the_last_attempt() {
        let store = store();
        store.transact(vec![WriteOp::Put { item: counter(5), condition: None }]).await.expect("seed");
        let mut calls = Vec::new();
        let lost: Result<(), Error> = run(&store, 4, |tried| {
            calls.push(tried);
            // Always conditioned on a value the counter never has.
            let ops = vec![WriteOp::Put { item: counter(1), condition: Some(Condition::eq("n", num(-1))) }];
            async move { Ok(Step::Write { ops, then: () }) }
        })
        .await;
        assert_eq!((lost, calls), (Err(Error::Contended), vec![1, 2, 3, 4]));
    }
}
