//! The one core of both DynamoDB adapters: everything but moving a request is written here,
//! once. [`DynamoStore`] implements the Store port over any [`Sender`]: it validates each call
//! as DynamoDB would, renders it ([`crate::request`]), sends it through the retry and token
//! policy ([`crate::failure`]), pages through unprocessed keys, drops expired items from every
//! answer, and counts round trips. A sender only turns one rendered call into one request of
//! its own kind (the AWS SDK natively, SigV4-signed JSON over fetch in Workers) and its answer
//! or error back.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use omnicanal_platform::clock::SharedClock;
use omnicanal_store::{
    Condition, Cursor, Item, Key, Page, Query, Store, StoreError, Update, Updated, WriteOp, is_expired, validate,
};

use crate::RoundTrips;
use crate::expr::key_item;
use crate::failure::{BACKOFF, Failure, MAX_ATTEMPTS, Transient, classify};
use crate::request::{RenderedQuery, RenderedWrite, render_query, render_write};

/// DynamoDB's code for a failed condition of a single-item call.
const CONDITION_FAILED: &str = "ConditionalCheckFailedException";

/// Why one attempt of one call did not succeed, as a sender reports it.
#[derive(Debug)]
pub enum SendError {
    /// DynamoDB answered with an error.
    Service {
        /// The code without its namespace (`ConditionalCheckFailedException`); for an answer
        /// without one, `InternalServerError` for a 5xx and `HTTP<status>` otherwise.
        code: String,
        /// Its message.
        message: String,
        /// `CancellationReasons[*].Code` of a cancelled transaction (`"None"` for the fine ones).
        reasons: Vec<String>,
        /// The item a failed condition returned (`ReturnValuesOnConditionCheckFailure`).
        item: Option<Item>,
    },
    /// No answer (refused or cut connection, timeout): the request may or may not have been
    /// applied, so a retry keeps its idempotency token.
    Transport(String),
    /// The request could not be built, or the answer could not be read: not worth a retry.
    Fail(StoreError),
}

impl SendError {
    /// What the retry policy makes of it.
    fn classify(self) -> Failure {
        match self {
            Self::Service { code, message, reasons, .. } => classify(&code, &message, &reasons),
            Self::Transport(detail) => Failure::Retry(Transient::Unavailable, detail),
            Self::Fail(err) => Failure::Fail(err),
        }
    }
}

/// The answer to one `BatchGetItem` attempt.
#[derive(Debug, Default)]
pub struct BatchAnswer {
    /// Items found (in no particular order).
    pub found: Vec<Item>,
    /// Keys DynamoDB did not get to (`UnprocessedKeys`), to be asked again.
    pub unprocessed: Vec<Item>,
}

/// The answer to one `Query` attempt.
#[derive(Debug, Default)]
pub struct QueryAnswer {
    /// The items of the page.
    pub items: Vec<Item>,
    /// `LastEvaluatedKey`.
    pub last: Option<Item>,
}

/// Sends one attempt of one rendered call to the table named `table` and reads its answer.
/// Nothing else: no validation, no retries, no expiry filtering (the core does those).
#[allow(async_fn_in_trait)]
pub trait Sender {
    /// `GetItem`, strongly consistent.
    async fn get_item(&self, table: &str, key: &Item) -> Result<Option<Item>, SendError>;

    /// `BatchGetItem` of `keys` (at most 100), strongly consistent.
    async fn batch_get_item(&self, table: &str, keys: &[Item]) -> Result<BatchAnswer, SendError>;

    /// `Query`.
    async fn query(&self, table: &str, query: &RenderedQuery) -> Result<QueryAnswer, SendError>;

    /// `PutItem`, `UpdateItem` or `DeleteItem` of one write (never a lone check).
    async fn write_item(&self, table: &str, write: &RenderedWrite) -> Result<(), SendError>;

    /// `TransactWriteItems` with `token` as its `ClientRequestToken`.
    async fn transact_write_items(&self, table: &str, writes: &[RenderedWrite], token: &str) -> Result<(), SendError>;

    /// `UpdateItem` answering `ALL_NEW`, and `ALL_OLD` on a failed condition (in
    /// [`SendError::Service`]'s `item`).
    async fn update_item_returning(&self, table: &str, write: &RenderedWrite) -> Result<Option<Item>, SendError>;

    /// `PutItem` answering `ALL_OLD`.
    async fn put_item_returning_old(&self, table: &str, write: &RenderedWrite) -> Result<Option<Item>, SendError>;

    /// Waits between attempts.
    async fn sleep(&self, duration: Duration);
}

/// The table on DynamoDB, through a [`Sender`].
#[derive(Clone)]
pub struct DynamoStore<S> {
    sender: S,
    table: String,
    clock: SharedClock,
    round_trips: RoundTrips,
}

impl<S: Sender> DynamoStore<S> {
    /// An adapter over `sender` for `table`; TTL follows `clock`.
    pub fn over(sender: S, table: &str, clock: SharedClock) -> Self {
        Self { sender, table: table.to_owned(), clock, round_trips: RoundTrips::default() }
    }

    /// The round-trip counter of this adapter.
    pub fn round_trips(&self) -> &RoundTrips {
        &self.round_trips
    }

    /// The table name.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// The sender.
    pub fn sender(&self) -> &S {
        &self.sender
    }

    fn now(&self) -> i64 {
        self.clock.epoch_secs()
    }

    /// One call with bounded, jittered retries. `send` makes one attempt with an idempotency
    /// token, which is renewed after every definite answer and kept when the outcome of the
    /// last attempt is unknown (so a lost answer is never applied twice).
    pub async fn attempts<T, F, Fut>(&self, action: &str, mut send: F) -> Result<T, StoreError>
    where
        F: FnMut(String) -> Fut,
        Fut: Future<Output = Result<T, SendError>>,
    {
        let mut token = fresh_token()?;
        for attempt in 1..=MAX_ATTEMPTS {
            self.round_trips.record(action);
            let failure = match send(token.clone()).await {
                Ok(value) => return Ok(value),
                Err(err) => err.classify(),
            };
            match failure {
                Failure::Fail(err) => return Err(err),
                Failure::Retry(kind, detail) if attempt == MAX_ATTEMPTS => return Err(kind.exhausted(&detail)),
                Failure::Retry(kind, detail) => {
                    tracing::debug!(action, attempt, ?kind, detail, "dynamodb retry");
                    if kind != Transient::Unavailable {
                        token = fresh_token()?;
                    }
                    self.sender.sleep(BACKOFF.wait(attempt)).await;
                }
            }
        }
        Err(StoreError::unavailable(format!("{action}: no attempt made")))
    }
}

fn fresh_token() -> Result<String, StoreError> {
    omnicanal_platform::random::token().map_err(|e| StoreError::because("random source", e))
}

/// DynamoDB may still hold an expired item: the port calls it absent.
fn live(item: Option<Item>, now: i64) -> Option<Item> {
    item.filter(|item| !is_expired(item, now))
}

/// The answer to a batch get, one entry per key in the keys' order, expired items absent.
fn in_key_order(keys: &[Key], found: Vec<Item>, now: i64) -> Vec<Option<Item>> {
    let mut by_key: HashMap<Key, Item> = found
        .into_iter()
        .filter(|item| !is_expired(item, now))
        .filter_map(|item| Key::of(&item).map(|key| (key, item)))
        .collect();
    keys.iter().map(|key| by_key.remove(key)).collect()
}

/// The single write of a batch of one, with its single-item call, when it has one: one item
/// costs half a transaction's capacity. A lone check has none.
fn single_write(writes: &[RenderedWrite]) -> Option<(&'static str, &RenderedWrite)> {
    match writes {
        [write] => write.action.single_item_call().map(|action| (action, write)),
        _ => None,
    }
}

/// Validates a single-item write as a batch of one, and renders it.
fn render_one(op: &WriteOp, now: i64) -> Result<RenderedWrite, StoreError> {
    validate::transact(std::slice::from_ref(op))?;
    Ok(render_write(op, now))
}

impl<S: Sender> Store for DynamoStore<S> {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        validate::key(key)?;
        let (sender, table, key) = (&self.sender, self.table.as_str(), &key_item(key));
        let item = self.attempts("GetItem", move |_| async move { sender.get_item(table, key).await }).await?;
        Ok(live(item, self.now()))
    }

    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, StoreError> {
        validate::batch_get(keys)?;
        let (sender, table) = (&self.sender, self.table.as_str());
        let mut found: Vec<Item> = Vec::with_capacity(keys.len());
        let mut pending: Vec<Item> = keys.iter().map(key_item).collect();
        let mut round = 0;
        while !pending.is_empty() {
            round += 1;
            let asked = &pending;
            let answer = self
                .attempts("BatchGetItem", move |_| async move { sender.batch_get_item(table, asked).await })
                .await?;
            found.extend(answer.found);
            if !answer.unprocessed.is_empty() {
                if round >= MAX_ATTEMPTS {
                    return Err(StoreError::Throttled { retry_after_secs: 1 });
                }
                self.sender.sleep(BACKOFF.wait(round)).await;
            }
            pending = answer.unprocessed;
        }
        Ok(in_key_order(keys, found, self.now()))
    }

    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        let start = validate::query(query)?;
        let rendered = &render_query(query, start, self.now());
        let (sender, table) = (&self.sender, self.table.as_str());
        let answer = self.attempts("Query", move |_| async move { sender.query(table, rendered).await }).await?;
        let now = self.now();
        Ok(Page {
            items: answer.items.into_iter().filter(|item| !is_expired(item, now)).collect(),
            cursor: answer.last.as_ref().map(Cursor::from_last_evaluated_key).transpose()?,
        })
    }

    async fn transact(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        validate::transact(&ops)?;
        let now = self.now();
        let writes: &[RenderedWrite] = &ops.iter().map(|op| render_write(op, now)).collect::<Vec<_>>();
        let (sender, table) = (&self.sender, self.table.as_str());
        if let Some((action, write)) = single_write(writes) {
            return self.attempts(action, move |_| async move { sender.write_item(table, write).await }).await;
        }
        self.attempts("TransactWriteItems", move |token| async move {
            sender.transact_write_items(table, writes, &token).await
        })
        .await
    }

    async fn update_returning(
        &self,
        key: &Key,
        updates: Vec<Update>,
        condition: Condition,
    ) -> Result<Updated, StoreError> {
        let now = self.now();
        let op = WriteOp::Update { key: key.clone(), updates, condition: Some(condition) };
        let write = &render_one(&op, now)?;
        let (sender, table) = (&self.sender, self.table.as_str());
        self.attempts("UpdateItem", move |_| async move {
            match sender.update_item_returning(table, write).await {
                Ok(Some(item)) => Ok(Updated::Applied(item)),
                Ok(None) => Err(SendError::Fail(StoreError::unavailable("UpdateItem answered no attributes"))),
                Err(SendError::Service { code, item, .. }) if code == CONDITION_FAILED => {
                    Ok(Updated::Refused(live(item, now)))
                }
                Err(err) => Err(err),
            }
        })
        .await
    }

    async fn replace(&self, item: Item) -> Result<Option<Item>, StoreError> {
        let now = self.now();
        let write = &render_one(&WriteOp::Put { item, condition: None }, now)?;
        let (sender, table) = (&self.sender, self.table.as_str());
        let old =
            self.attempts("PutItem", move |_| async move { sender.put_item_returning_old(table, write).await }).await?;
        Ok(live(old, now))
    }

    async fn pause(&self, duration: Duration) {
        self.sender.sleep(duration).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::cell::RefCell;
    use std::sync::Arc;

    use omnicanal_platform::clock::ManualClock;
    use omnicanal_store::{num, s};

    /// A sender that answers from a script and records the tokens it was given.
    #[derive(Default)]
    struct Scripted {
        answers: RefCell<Vec<Result<(), SendError>>>,
        tokens: RefCell<Vec<String>>,
    }

    impl Sender for Scripted {
        async fn get_item(&self, _: &str, _: &Item) -> Result<Option<Item>, SendError> {
            unreachable!("not scripted")
        }
        async fn batch_get_item(&self, _: &str, _: &[Item]) -> Result<BatchAnswer, SendError> {
            unreachable!("not scripted")
        }
        async fn query(&self, _: &str, _: &RenderedQuery) -> Result<QueryAnswer, SendError> {
            unreachable!("not scripted")
        }
        async fn write_item(&self, _: &str, _: &RenderedWrite) -> Result<(), SendError> {
            unreachable!("not scripted")
        }
        async fn transact_write_items(&self, _: &str, _: &[RenderedWrite], token: &str) -> Result<(), SendError> {
            self.tokens.borrow_mut().push(token.to_owned());
            self.answers.borrow_mut().remove(0)
        }
        async fn update_item_returning(&self, _: &str, _: &RenderedWrite) -> Result<Option<Item>, SendError> {
            unreachable!("not scripted")
        }
        async fn put_item_returning_old(&self, _: &str, _: &RenderedWrite) -> Result<Option<Item>, SendError> {
            unreachable!("not scripted")
        }
        async fn sleep(&self, _: Duration) {}
    }

    fn service(code: &str, reasons: &[&str]) -> SendError {
        SendError::Service {
            code: code.to_owned(),
            message: String::new(),
            reasons: reasons.iter().map(|r| (*r).to_owned()).collect(),
            item: None,
        }
    }

    fn two_puts() -> Vec<WriteOp> {
        ["a", "b"]
            .map(|sk| WriteOp::Put {
                item: Item::from([("pk".into(), s("p")), ("sk".into(), s(sk)), ("n".into(), num(1))]),
                condition: None,
            })
            .into()
    }

    fn store(answers: Vec<Result<(), SendError>>) -> DynamoStore<Scripted> {
        let sender = Scripted { answers: RefCell::new(answers), ..Scripted::default() };
        DynamoStore::over(sender, "t", Arc::new(ManualClock::from_epoch_millis(1_800_000_000_000)))
    }

    fn block_on<F: Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread().build().expect("a runtime").block_on(future)
    }

    #[test]
    fn an_unknown_outcome_keeps_the_token_and_a_definite_answer_renews_it() {
        let store = store(vec![
            Err(SendError::Transport("connection reset".into())),
            Err(service("TransactionCanceledException", &["None", "TransactionConflict"])),
            Ok(()),
        ]);
        block_on(store.transact(two_puts())).expect("applied on the third attempt");
        let tokens = store.sender().tokens.borrow();
        assert_eq!(tokens.len(), 3);
        assert_eq!(tokens[0], tokens[1], "a lost answer may have applied: the retry must carry the same token");
        assert_ne!(tokens[1], tokens[2], "a conflict is a definite answer: the next attempt is a new request");
        assert_eq!(store.round_trips().count(), 3);
    }

    #[test]
    fn a_failed_condition_is_not_retried_and_names_the_action() {
        let store = store(vec![Err(service("TransactionCanceledException", &["None", "ConditionalCheckFailed"]))]);
        let err = block_on(store.transact(two_puts())).expect_err("refused");
        assert!(matches!(err, StoreError::ConditionFailed { failed } if failed == vec![1]));
        assert_eq!(store.round_trips().count(), 1);
    }

    #[test]
    fn retries_are_bounded() {
        let store = store((0..MAX_ATTEMPTS).map(|_| Err(service("ThrottlingException", &[]))).collect());
        let err = block_on(store.transact(two_puts())).expect_err("throttled throughout");
        assert!(matches!(err, StoreError::Throttled { .. }));
        assert_eq!(store.round_trips().count(), u64::from(MAX_ATTEMPTS));
    }
}
