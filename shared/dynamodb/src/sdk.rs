//! The DynamoDB sender on `aws-sdk-dynamodb`, for native hosts (Lambda, the local server).
//! The client is built once per process; region and credentials come from the standard AWS
//! chain, and `OMNICANAL_DYNAMODB_ENDPOINT` points it at a local server. The SDK's own
//! retries are off: the core's policy ([`crate::core`]) retries, so both DynamoDB adapters
//! behave (and count round trips) alike. This file only builds SDK requests from rendered
//! calls and reads their answers and errors.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue as SdkValue, ConditionCheck, Delete, KeysAndAttributes, Put, ReturnValue,
    ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use omnicanal_platform::clock::SharedClock;
use omnicanal_store::{Item, StoreError};

use crate::core::{BatchAnswer, DynamoStore, QueryAnswer, SendError, Sender};
use crate::expr::Placeholders;
use crate::request::{Action, RenderedQuery, RenderedWrite};

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

/// How long one attempt may take before the core's policy tries again (with the same
/// idempotency token: its outcome is unknown). The SDK sets none by default, so an answer
/// that never came would hold a request until the host's own timeout. DynamoDB answers in
/// milliseconds; two seconds leaves room for a large transaction and a slow network.
/// `OMNICANAL_DYNAMODB_ATTEMPT_TIMEOUT_MS` sets another (the test suites give a loaded,
/// one-threaded test server more; the chaos suite keeps this one).
pub const ATTEMPT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);
/// The variable that overrides [`ATTEMPT_TIMEOUT`], in milliseconds.
pub const ATTEMPT_TIMEOUT_VAR: &str = "OMNICANAL_DYNAMODB_ATTEMPT_TIMEOUT_MS";

/// [`ATTEMPT_TIMEOUT`], or what [`ATTEMPT_TIMEOUT_VAR`] says when it is a positive number.
fn attempt_timeout() -> std::time::Duration {
    std::env::var(ATTEMPT_TIMEOUT_VAR)
        .ok()
        .and_then(|ms| ms.parse::<u64>().ok())
        .filter(|ms| *ms > 0)
        .map_or(ATTEMPT_TIMEOUT, std::time::Duration::from_millis)
}
/// How long connecting may take.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);

/// The table through the AWS SDK.
pub type SdkStore = DynamoStore<SdkSender>;

/// Sends each call with the SDK's client.
#[derive(Clone)]
pub struct SdkSender {
    client: Client,
}

impl SdkStore {
    /// A client from the standard AWS chain (region, credentials), optionally aimed at
    /// `endpoint`. Call once per process and share.
    pub async fn connect(table: &str, endpoint: Option<&str>, clock: SharedClock) -> Self {
        let shared = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        let timeouts = TimeoutConfig::builder()
            .operation_attempt_timeout(attempt_timeout())
            .connect_timeout(CONNECT_TIMEOUT)
            .build();
        let mut config = aws_sdk_dynamodb::config::Builder::from(&shared)
            .retry_config(RetryConfig::disabled())
            .timeout_config(timeouts);
        if let Some(endpoint) = endpoint {
            config = config.endpoint_url(endpoint);
        }
        Self::with_client(Client::from_conf(config.build()), table, clock)
    }

    /// An adapter over an existing client (its retries should be off: the core retries).
    pub fn with_client(client: Client, table: &str, clock: SharedClock) -> Self {
        DynamoStore::over(SdkSender { client }, table, clock)
    }
}

/// Reads an SDK error: service errors by their code, anything else (connection, timeout,
/// unreadable answer) as an unknown outcome.
fn send_error<E: ProvideErrorMetadata + std::error::Error + 'static>(err: SdkError<E, HttpResponse>) -> SendError {
    match &err {
        SdkError::ServiceError(service) => {
            let inner = service.err();
            let status = service.raw().status().as_u16();
            // A 5xx without a DynamoDB error body is the server failing, not our request.
            let fallback = if status >= 500 { "InternalServerError".to_owned() } else { format!("HTTP{status}") };
            SendError::Service {
                code: inner.code().map_or(fallback, str::to_owned),
                message: inner.message().unwrap_or_default().to_owned(),
                reasons: Vec::new(),
                item: None,
            }
        }
        _ => SendError::Transport(aws_sdk_dynamodb::error::DisplayErrorContext(&err).to_string()),
    }
}

fn invalid(err: impl std::fmt::Display) -> SendError {
    SendError::Fail(StoreError::Invalid(err.to_string()))
}

/// Sets a write's condition and placeholders on an SDK request builder. Each operation and
/// transaction item has a builder type of its own with the same three setters, so this is
/// a macro rather than a function.
macro_rules! with_expressions {
    ($builder:expr, $write:expr) => {
        $builder
            .set_condition_expression($write.condition.clone())
            .set_expression_attribute_names($write.placeholders.names_or_none())
            .set_expression_attribute_values(sdk_values(&$write.placeholders))
    };
}

/// One transaction item from a rendered write.
fn transact_item(table: &str, write: &RenderedWrite) -> Result<TransactWriteItem, SendError> {
    let item = match &write.action {
        Action::Put { item } => TransactWriteItem::builder().put(
            with_expressions!(Put::builder().table_name(table).set_item(Some(to_sdk(item))), write)
                .build()
                .map_err(invalid)?,
        ),
        Action::Update { key, expression } => TransactWriteItem::builder().update(
            with_expressions!(
                Update::builder().table_name(table).set_key(Some(to_sdk(key))).update_expression(expression),
                write
            )
            .build()
            .map_err(invalid)?,
        ),
        Action::Delete { key } => TransactWriteItem::builder().delete(
            with_expressions!(Delete::builder().table_name(table).set_key(Some(to_sdk(key))), write)
                .build()
                .map_err(invalid)?,
        ),
        Action::Check { key } => TransactWriteItem::builder().condition_check(
            with_expressions!(ConditionCheck::builder().table_name(table).set_key(Some(to_sdk(key))), write)
                .build()
                .map_err(invalid)?,
        ),
    };
    Ok(item.build())
}

impl Sender for SdkSender {
    async fn get_item(&self, table: &str, key: &Item) -> Result<Option<Item>, SendError> {
        let request = self.client.get_item().table_name(table).set_key(Some(to_sdk(key))).consistent_read(true);
        let answer = request.send().await.map_err(send_error)?;
        Ok(answer.item.map(from_sdk))
    }

    async fn batch_get_item(&self, table: &str, keys: &[Item]) -> Result<BatchAnswer, SendError> {
        let request_keys = KeysAndAttributes::builder()
            .set_keys(Some(keys.iter().map(to_sdk).collect()))
            .consistent_read(true)
            .build()
            .map_err(invalid)?;
        let answer =
            self.client.batch_get_item().request_items(table, request_keys).send().await.map_err(send_error)?;
        let found = answer.responses.and_then(|mut by_table| by_table.remove(table)).unwrap_or_default();
        let unprocessed = answer
            .unprocessed_keys
            .and_then(|mut by_table| by_table.remove(table))
            .map(|keys| keys.keys)
            .unwrap_or_default();
        Ok(BatchAnswer {
            found: found.into_iter().map(from_sdk).collect(),
            unprocessed: unprocessed.into_iter().map(from_sdk).collect(),
        })
    }

    async fn query(&self, table: &str, query: &RenderedQuery) -> Result<QueryAnswer, SendError> {
        let request = self
            .client
            .query()
            .table_name(table)
            .set_index_name(query.index_name.map(str::to_owned))
            .key_condition_expression(&query.key_condition)
            .filter_expression(&query.filter)
            .set_expression_attribute_names(Some(query.placeholders.names.clone()))
            .set_expression_attribute_values(Some(to_sdk(&query.placeholders.values)))
            .limit(query.limit)
            .set_exclusive_start_key(query.start_key.as_ref().map(to_sdk))
            .scan_index_forward(query.forward)
            .consistent_read(query.consistent);
        let answer = request.send().await.map_err(send_error)?;
        Ok(QueryAnswer {
            items: answer.items.unwrap_or_default().into_iter().map(from_sdk).collect(),
            last: answer.last_evaluated_key.map(from_sdk),
        })
    }

    async fn write_item(&self, table: &str, write: &RenderedWrite) -> Result<(), SendError> {
        let client = &self.client;
        match &write.action {
            Action::Put { item } => {
                with_expressions!(client.put_item().table_name(table).set_item(Some(to_sdk(item))), write)
                    .send()
                    .await
                    .map(drop)
                    .map_err(send_error)
            }
            Action::Update { key, expression } => with_expressions!(
                client.update_item().table_name(table).set_key(Some(to_sdk(key))).update_expression(expression),
                write
            )
            .send()
            .await
            .map(drop)
            .map_err(send_error),
            Action::Delete { key } => {
                with_expressions!(client.delete_item().table_name(table).set_key(Some(to_sdk(key))), write)
                    .send()
                    .await
                    .map(drop)
                    .map_err(send_error)
            }
            Action::Check { .. } => Err(invalid("a lone check has no single-item call")),
        }
    }

    async fn transact_write_items(&self, table: &str, writes: &[RenderedWrite], token: &str) -> Result<(), SendError> {
        let items = writes.iter().map(|write| transact_item(table, write)).collect::<Result<Vec<_>, _>>()?;
        let request = self.client.transact_write_items().set_transact_items(Some(items)).client_request_token(token);
        match request.send().await {
            Ok(_) => Ok(()),
            Err(err) => match err.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => Err(SendError::Service {
                    code: "TransactionCanceledException".to_owned(),
                    message: cancelled.message().unwrap_or_default().to_owned(),
                    reasons: cancelled
                        .cancellation_reasons()
                        .iter()
                        .map(|reason| reason.code().unwrap_or("None").to_owned())
                        .collect(),
                    item: None,
                }),
                _ => Err(send_error(err)),
            },
        }
    }

    async fn update_item_returning(&self, table: &str, write: &RenderedWrite) -> Result<Option<Item>, SendError> {
        let Action::Update { key, expression } = &write.action else {
            return Err(invalid("an update rendered as another action"));
        };
        let request = with_expressions!(
            self.client.update_item().table_name(table).set_key(Some(to_sdk(key))).update_expression(expression),
            write
        )
        .return_values(ReturnValue::AllNew)
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        match request.send().await {
            Ok(answer) => Ok(answer.attributes.map(from_sdk)),
            Err(err) => match err.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(refused)) => Err(SendError::Service {
                    code: "ConditionalCheckFailedException".to_owned(),
                    message: refused.message().unwrap_or_default().to_owned(),
                    reasons: Vec::new(),
                    item: refused.item.clone().map(from_sdk),
                }),
                _ => Err(send_error(err)),
            },
        }
    }

    async fn put_item_returning_old(&self, table: &str, write: &RenderedWrite) -> Result<Option<Item>, SendError> {
        let Action::Put { item } = &write.action else {
            return Err(invalid("a replace rendered as another action"));
        };
        let request =
            self.client.put_item().table_name(table).set_item(Some(to_sdk(item))).return_values(ReturnValue::AllOld);
        let answer = request.send().await.map_err(send_error)?;
        Ok(answer.attributes.map(from_sdk))
    }

    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}
