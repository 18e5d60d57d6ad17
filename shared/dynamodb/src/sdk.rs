//! The DynamoDB adapter on `aws-sdk-dynamodb`, for native hosts (Lambda, the local server).
//! The client is built once per process; region and credentials come from the standard AWS
//! chain, and `OMNICANAL_DYNAMODB_ENDPOINT` points it at a local server. The SDK's own
//! retries are off: the shared policy in [`failure`](super::failure) retries, so both
//! DynamoDB adapters behave (and count round trips) alike.

use std::collections::HashMap;
use std::future::Future;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue as SdkValue, ConditionCheck, Delete, KeysAndAttributes, Put, ReturnValue,
    ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};

use super::RoundTrips;
use super::expr::{Placeholders, key_item};
use super::failure::{Failure, MAX_ATTEMPTS, Transient, backoff, classify};
use super::http::{in_key_order, page};
use super::request::{Action, RenderedWrite, render_query, render_write};
use omnicanal_platform::clock::SharedClock;
use omnicanal_store::{Condition, Item, Key, Page, Query, Store, StoreError, Updated, WriteOp, is_expired, validate};

type SdkItem = HashMap<String, SdkValue>;

fn to_sdk(item: &Item) -> SdkItem {
    item.iter().map(|(name, value)| (name.clone(), value.clone().into())).collect()
}

fn from_sdk(item: SdkItem) -> Item {
    item.into_iter().map(|(name, value)| (name, value.into())).collect()
}

fn sdk_values(placeholders: &Placeholders) -> Option<SdkItem> {
    placeholders.values_or_none().map(|values| to_sdk(&values))
}

/// The table through the AWS SDK.
#[derive(Clone)]
pub struct SdkStore {
    client: Client,
    table: String,
    clock: SharedClock,
    round_trips: RoundTrips,
}

impl SdkStore {
    /// A client from the standard AWS chain (region, credentials), optionally aimed at
    /// `endpoint`. Call once per process and share.
    pub async fn connect(table: &str, endpoint: Option<&str>, clock: SharedClock) -> Self {
        let shared = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        let mut config = aws_sdk_dynamodb::config::Builder::from(&shared).retry_config(RetryConfig::disabled());
        if let Some(endpoint) = endpoint {
            config = config.endpoint_url(endpoint);
        }
        Self::with_client(Client::from_conf(config.build()), table, clock)
    }

    /// An adapter over an existing client.
    pub fn with_client(client: Client, table: &str, clock: SharedClock) -> Self {
        Self { client, table: table.to_owned(), clock, round_trips: RoundTrips::default() }
    }

    /// The round-trip counter of this adapter.
    pub fn round_trips(&self) -> &RoundTrips {
        &self.round_trips
    }

    /// Runs `send` with the shared retry policy; `send` gets an idempotency token, renewed
    /// after every definite answer.
    async fn with_retries<T, F, Fut>(&self, action: &str, mut send: F) -> Result<T, StoreError>
    where
        F: FnMut(String) -> Fut,
        Fut: Future<Output = Result<T, Failure>>,
    {
        let mut token = fresh_token()?;
        for attempt in 1..=MAX_ATTEMPTS {
            self.round_trips.record(action);
            match send(token.clone()).await {
                Ok(value) => return Ok(value),
                Err(Failure::Fail(err)) => return Err(err),
                Err(Failure::Retry(kind, detail)) if attempt == MAX_ATTEMPTS => return Err(kind.exhausted(&detail)),
                Err(Failure::Retry(kind, detail)) => {
                    tracing::debug!(action, attempt, ?kind, detail, "dynamodb retry");
                    if kind != Transient::Unavailable {
                        token = fresh_token()?;
                    }
                    tokio::time::sleep(backoff(attempt)).await;
                }
            }
        }
        Err(StoreError::Unavailable(format!("{action}: no attempt made")))
    }

    fn now(&self) -> i64 {
        self.clock.epoch_secs()
    }

    async fn single(&self, write: &RenderedWrite) -> Result<bool, StoreError> {
        let names = write.placeholders.names_or_none();
        let values = sdk_values(&write.placeholders);
        let condition = write.condition.clone();
        let table = self.table.as_str();
        match &write.action {
            Action::Put { item } => {
                let item = to_sdk(item);
                self.with_retries("PutItem", |_| {
                    let request = self
                        .client
                        .put_item()
                        .table_name(table)
                        .set_item(Some(item.clone()))
                        .set_condition_expression(condition.clone())
                        .set_expression_attribute_names(names.clone())
                        .set_expression_attribute_values(values.clone());
                    async move { request.send().await.map(|_| ()).map_err(failure) }
                })
                .await?;
            }
            Action::Update { key, expression } => {
                let key = to_sdk(key);
                self.with_retries("UpdateItem", |_| {
                    let request = self
                        .client
                        .update_item()
                        .table_name(table)
                        .set_key(Some(key.clone()))
                        .update_expression(expression.clone())
                        .set_condition_expression(condition.clone())
                        .set_expression_attribute_names(names.clone())
                        .set_expression_attribute_values(values.clone());
                    async move { request.send().await.map(|_| ()).map_err(failure) }
                })
                .await?;
            }
            Action::Delete { key } => {
                let key = to_sdk(key);
                self.with_retries("DeleteItem", |_| {
                    let request = self
                        .client
                        .delete_item()
                        .table_name(table)
                        .set_key(Some(key.clone()))
                        .set_condition_expression(condition.clone())
                        .set_expression_attribute_names(names.clone())
                        .set_expression_attribute_values(values.clone());
                    async move { request.send().await.map(|_| ()).map_err(failure) }
                })
                .await?;
            }
            Action::Check { .. } => return Ok(false),
        }
        Ok(true)
    }
}

fn fresh_token() -> Result<String, StoreError> {
    omnicanal_platform::random::token().map_err(|e| StoreError::Unavailable(format!("random source: {e}")))
}

/// Classifies an SDK error: service errors by their code, anything else (connection,
/// timeout, unreadable answer) as transient.
fn failure<E: ProvideErrorMetadata + std::error::Error + 'static>(err: SdkError<E, HttpResponse>) -> Failure {
    match &err {
        SdkError::ServiceError(service) => {
            let inner = service.err();
            let status = service.raw().status().as_u16();
            // A 5xx without a DynamoDB error body is the server failing, not our request.
            let fallback = if status >= 500 { "InternalServerError" } else { "Unknown" };
            classify(inner.code().unwrap_or(fallback), inner.message().unwrap_or_default(), &[])
        }
        _ => Failure::Retry(Transient::Unavailable, aws_sdk_dynamodb::error::DisplayErrorContext(&err).to_string()),
    }
}

/// Like [`failure`], with the per-action reasons of a cancelled transaction.
fn transact_failure(err: SdkError<TransactWriteItemsError, HttpResponse>) -> Failure {
    if let Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) = err.as_service_error() {
        let reasons: Vec<String> =
            cancelled.cancellation_reasons().iter().map(|reason| reason.code().unwrap_or("None").to_owned()).collect();
        return classify("TransactionCanceledException", cancelled.message().unwrap_or_default(), &reasons);
    }
    failure(err)
}

fn invalid(err: impl std::fmt::Display) -> StoreError {
    StoreError::Invalid(err.to_string())
}

/// One transaction item from a rendered write.
fn transact_item(table: &str, write: &RenderedWrite) -> Result<TransactWriteItem, StoreError> {
    let names = write.placeholders.names_or_none();
    let values = sdk_values(&write.placeholders);
    let condition = write.condition.clone();
    let item = match &write.action {
        Action::Put { item } => TransactWriteItem::builder().put(
            Put::builder()
                .table_name(table)
                .set_item(Some(to_sdk(item)))
                .set_condition_expression(condition)
                .set_expression_attribute_names(names)
                .set_expression_attribute_values(values)
                .build()
                .map_err(invalid)?,
        ),
        Action::Update { key, expression } => TransactWriteItem::builder().update(
            Update::builder()
                .table_name(table)
                .set_key(Some(to_sdk(key)))
                .update_expression(expression)
                .set_condition_expression(condition)
                .set_expression_attribute_names(names)
                .set_expression_attribute_values(values)
                .build()
                .map_err(invalid)?,
        ),
        Action::Delete { key } => TransactWriteItem::builder().delete(
            Delete::builder()
                .table_name(table)
                .set_key(Some(to_sdk(key)))
                .set_condition_expression(condition)
                .set_expression_attribute_names(names)
                .set_expression_attribute_values(values)
                .build()
                .map_err(invalid)?,
        ),
        Action::Check { key } => TransactWriteItem::builder().condition_check(
            ConditionCheck::builder()
                .table_name(table)
                .set_key(Some(to_sdk(key)))
                .set_condition_expression(condition)
                .set_expression_attribute_names(names)
                .set_expression_attribute_values(values)
                .build()
                .map_err(invalid)?,
        ),
    };
    Ok(item.build())
}

impl Store for SdkStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        validate::key(key)?;
        let sdk_key = to_sdk(&key_item(key));
        let answer = self
            .with_retries("GetItem", |_| {
                let request =
                    self.client.get_item().table_name(&self.table).set_key(Some(sdk_key.clone())).consistent_read(true);
                async move { request.send().await.map_err(failure) }
            })
            .await?;
        let now = self.now();
        Ok(answer.item.map(from_sdk).filter(|item| !is_expired(item, now)))
    }

    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, StoreError> {
        validate::batch_get(keys)?;
        let mut found = Vec::with_capacity(keys.len());
        let mut pending: Vec<SdkItem> = keys.iter().map(|k| to_sdk(&key_item(k))).collect();
        let mut attempt = 0;
        while !pending.is_empty() {
            attempt += 1;
            let request_keys = KeysAndAttributes::builder()
                .set_keys(Some(pending.clone()))
                .consistent_read(true)
                .build()
                .map_err(invalid)?;
            let answer = self
                .with_retries("BatchGetItem", |_| {
                    let request = self.client.batch_get_item().request_items(&self.table, request_keys.clone());
                    async move { request.send().await.map_err(failure) }
                })
                .await?;
            let mut responses = answer.responses.unwrap_or_default();
            found.extend(responses.remove(&self.table).unwrap_or_default().into_iter().map(from_sdk));
            pending = answer
                .unprocessed_keys
                .and_then(|mut unprocessed| unprocessed.remove(&self.table))
                .map(|keys| keys.keys)
                .unwrap_or_default();
            if !pending.is_empty() {
                if attempt >= MAX_ATTEMPTS {
                    return Err(StoreError::Throttled { retry_after_secs: 1 });
                }
                tokio::time::sleep(backoff(attempt)).await;
            }
        }
        Ok(in_key_order(keys, found, self.now()))
    }

    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        let start = validate::query(query)?;
        let rendered = render_query(query, start, self.now());
        let start_key = rendered.start_key.as_ref().map(to_sdk);
        let values = to_sdk(&rendered.placeholders.values);
        let answer = self
            .with_retries("Query", |_| {
                let request = self
                    .client
                    .query()
                    .table_name(&self.table)
                    .set_index_name(rendered.index_name.map(str::to_owned))
                    .key_condition_expression(&rendered.key_condition)
                    .filter_expression(&rendered.filter)
                    .set_expression_attribute_names(Some(rendered.placeholders.names.clone()))
                    .set_expression_attribute_values(Some(values.clone()))
                    .limit(rendered.limit)
                    .set_exclusive_start_key(start_key.clone())
                    .scan_index_forward(rendered.forward)
                    .consistent_read(rendered.consistent);
                async move { request.send().await.map_err(failure) }
            })
            .await?;
        let items = answer.items.unwrap_or_default().into_iter().map(from_sdk).collect();
        page(items, answer.last_evaluated_key.map(from_sdk), self.now())
    }

    async fn transact(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        validate::transact(&ops)?;
        let now = self.now();
        let writes: Vec<RenderedWrite> = ops.iter().map(|op| render_write(op, now)).collect();
        if let [write] = writes.as_slice()
            && self.single(write).await?
        {
            return Ok(());
        }
        let items = writes.iter().map(|w| transact_item(&self.table, w)).collect::<Result<Vec<_>, _>>()?;
        self.with_retries("TransactWriteItems", |token| {
            let request =
                self.client.transact_write_items().set_transact_items(Some(items.clone())).client_request_token(token);
            async move { request.send().await.map(|_| ()).map_err(transact_failure) }
        })
        .await
    }

    async fn update_returning(
        &self,
        key: &Key,
        updates: Vec<omnicanal_store::Update>,
        condition: Condition,
    ) -> Result<Updated, StoreError> {
        let op = WriteOp::Update { key: key.clone(), updates, condition: Some(condition) };
        validate::transact(std::slice::from_ref(&op))?;
        let now = self.now();
        let write = render_write(&op, now);
        let Action::Update { key, expression } = &write.action else {
            return Err(StoreError::Invalid("an update rendered as another action".into()));
        };
        let (key, names, values) = (to_sdk(key), write.placeholders.names_or_none(), sdk_values(&write.placeholders));
        let updated = self
            .with_retries("UpdateItem", |_| {
                let request = self
                    .client
                    .update_item()
                    .table_name(&self.table)
                    .set_key(Some(key.clone()))
                    .update_expression(expression.clone())
                    .set_condition_expression(write.condition.clone())
                    .set_expression_attribute_names(names.clone())
                    .set_expression_attribute_values(values.clone())
                    .return_values(ReturnValue::AllNew)
                    .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
                async move {
                    match request.send().await {
                        Ok(answer) => answer.attributes.map(|item| Updated::Applied(from_sdk(item))).ok_or_else(|| {
                            Failure::Fail(StoreError::Unavailable("UpdateItem answered no attributes".into()))
                        }),
                        Err(err) => match err.as_service_error() {
                            Some(UpdateItemError::ConditionalCheckFailedException(refused)) => {
                                Ok(Updated::Refused(refused.item.clone().map(from_sdk)))
                            }
                            _ => Err(failure(err)),
                        },
                    }
                }
            })
            .await?;
        // DynamoDB may still hold an expired item: the port calls it absent.
        Ok(match updated {
            Updated::Refused(old) => Updated::Refused(old.filter(|item| !is_expired(item, now))),
            applied => applied,
        })
    }

    async fn replace(&self, item: Item) -> Result<Option<Item>, StoreError> {
        let op = WriteOp::Put { item, condition: None };
        validate::transact(std::slice::from_ref(&op))?;
        let now = self.now();
        let WriteOp::Put { item, .. } = op else {
            return Err(StoreError::Invalid("a replace is a put".into()));
        };
        let item = to_sdk(&item);
        let answer = self
            .with_retries("PutItem", |_| {
                let request = self
                    .client
                    .put_item()
                    .table_name(&self.table)
                    .set_item(Some(item.clone()))
                    .return_values(ReturnValue::AllOld);
                async move { request.send().await.map_err(failure) }
            })
            .await?;
        // DynamoDB may still hold an expired item: the port calls it absent.
        Ok(answer.attributes.map(from_sdk).filter(|old| !is_expired(old, now)))
    }
}
