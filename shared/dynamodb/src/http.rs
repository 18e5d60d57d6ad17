//! The DynamoDB adapter for Workers: DynamoDB's JSON protocol over HTTPS, signed with SigV4
//! by `aws-sigv4`. Everything but moving bytes lives here and builds for wasm32; the
//! [`Transport`] moves the bytes (`worker::Fetch` inside a Worker, a native HTTP client in
//! the tests), so the native test suite exercises this very code against a real server.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use serde_json::Value;

use super::RoundTrips;
use super::expr::key_item;
use super::failure::{Failure, MAX_ATTEMPTS, Transient, backoff, classify};
use super::request::{render_query, render_write};
use super::wire;
use omnicanal_platform::clock::SharedClock;
use omnicanal_store::{
    Condition, Cursor, Item, Key, Page, Query, Store, StoreError, Update, Updated, WriteOp, is_expired, validate,
};

/// Moves one signed request and its answer. Implementations report only transport failures
/// as `Err` (no connection, timeout); any HTTP answer is `Ok((status, body))`.
#[allow(async_fn_in_trait)]
pub trait Transport {
    /// POSTs `body` with `headers` to `url`.
    async fn post(&self, url: &str, headers: &[(String, String)], body: Vec<u8>) -> Result<(u16, Vec<u8>), String>;

    /// Waits (between retries).
    async fn sleep(&self, duration: Duration);
}

/// Where the table is and how to sign for it.
#[derive(Clone)]
pub struct HttpConfig {
    /// `https://dynamodb.<region>.amazonaws.com`, or a local server's URL.
    pub endpoint: String,
    /// The signing region.
    pub region: String,
    /// The table name.
    pub table: String,
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: String,
    /// Session token, for temporary credentials.
    pub session_token: Option<String>,
}

impl fmt::Debug for HttpConfig {
    // Never print the secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpConfig")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("table", &self.table)
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

impl HttpConfig {
    /// The public endpoint of a region.
    pub fn aws_endpoint(region: &str) -> String {
        format!("https://dynamodb.{region}.amazonaws.com")
    }
}

/// The table over DynamoDB's HTTP API.
#[derive(Clone)]
pub struct HttpStore<T> {
    transport: T,
    config: Arc<HttpConfig>,
    identity: aws_smithy_runtime_api::client::identity::Identity,
    clock: SharedClock,
    round_trips: RoundTrips,
}

impl<T: Transport> HttpStore<T> {
    /// An adapter sending through `transport`; TTL and signing times follow `clock`.
    pub fn new(transport: T, config: HttpConfig, clock: SharedClock) -> Self {
        let credentials = Credentials::new(
            config.access_key_id.clone(),
            config.secret_access_key.clone(),
            config.session_token.clone(),
            None,
            "omnicanal-config",
        );
        Self {
            transport,
            config: Arc::new(config),
            identity: credentials.into(),
            clock,
            round_trips: RoundTrips::default(),
        }
    }

    /// The round-trip counter of this adapter.
    pub fn round_trips(&self) -> &RoundTrips {
        &self.round_trips
    }

    /// The SigV4 headers (and ours) for one request.
    fn signed_headers(&self, action: &str, body: &[u8]) -> Result<Vec<(String, String)>, StoreError> {
        let mut headers = vec![
            ("content-type".to_owned(), wire::CONTENT_TYPE.to_owned()),
            ("x-amz-target".to_owned(), format!("{}{action}", wire::TARGET_PREFIX)),
        ];
        // `SystemTime::now()` panics on wasm32: the time comes from the clock.
        let nanos = u64::try_from(self.clock.now().unix_timestamp_nanos()).unwrap_or(0);
        let time = SystemTime::UNIX_EPOCH + Duration::from_nanos(nanos);
        let params = v4::SigningParams::builder()
            .identity(&self.identity)
            .region(&self.config.region)
            .name("dynamodb")
            .time(time)
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| StoreError::Unavailable(format!("signing: {e}")))?
            .into();
        let signable = SignableRequest::new(
            "POST",
            self.config.endpoint.as_str(),
            headers.iter().map(|(name, value)| (name.as_str(), value.as_str())),
            SignableBody::Bytes(body),
        )
        .map_err(|e| StoreError::Unavailable(format!("signing: {e}")))?;
        let (instructions, _signature) =
            sign(signable, &params).map_err(|e| StoreError::Unavailable(format!("signing: {e}")))?.into_parts();
        for (name, value) in instructions.headers() {
            headers.push((name.to_owned(), value.to_owned()));
        }
        Ok(headers)
    }

    /// One API call with bounded, jittered retries. `build` makes the body from an
    /// idempotency token, which is renewed after every definite answer and kept when the
    /// outcome of the last attempt is unknown (so a lost answer is never applied twice).
    async fn call(&self, action: &str, build: &dyn Fn(&str) -> Value) -> Result<Vec<u8>, StoreError> {
        match self.call_keeping_refusal(action, build, false).await? {
            Answer::Body(body) => Ok(body),
            Answer::Refused(_) => Err(StoreError::ConditionFailed { failed: vec![0] }),
        }
    }

    /// As [`Self::call`]; with `keep_refusal`, a failed condition answers the item it
    /// carries instead of an error.
    async fn call_keeping_refusal(
        &self,
        action: &str,
        build: &dyn Fn(&str) -> Value,
        keep_refusal: bool,
    ) -> Result<Answer, StoreError> {
        let mut token = fresh_token()?;
        for attempt in 1..=MAX_ATTEMPTS {
            let body = serde_json::to_vec(&build(&token))
                .map_err(|e| StoreError::Unavailable(format!("encoding {action}: {e}")))?;
            let headers = self.signed_headers(action, &body)?;
            self.round_trips.record(action);
            let failure = match self.transport.post(&self.config.endpoint, &headers, body).await {
                Ok((200, answer)) => return Ok(Answer::Body(answer)),
                Ok((status, answer)) => {
                    let error = wire::parse_error(status, &answer);
                    if keep_refusal && error.code == "ConditionalCheckFailedException" {
                        return Ok(Answer::Refused(error.item));
                    }
                    classify(&error.code, &error.message, &error.reasons)
                }
                Err(err) => Failure::Retry(Transient::Unavailable, err),
            };
            match failure {
                Failure::Fail(err) => return Err(err),
                Failure::Retry(kind, detail) if attempt == MAX_ATTEMPTS => return Err(kind.exhausted(&detail)),
                Failure::Retry(kind, detail) => {
                    tracing::debug!(action, attempt, ?kind, detail, "dynamodb retry");
                    if kind != Transient::Unavailable {
                        token = fresh_token()?;
                    }
                    self.transport.sleep(backoff(attempt)).await;
                }
            }
        }
        Err(StoreError::Unavailable(format!("{action}: no attempt made")))
    }

    fn now(&self) -> i64 {
        self.clock.epoch_secs()
    }

    /// Any DynamoDB action with a JSON body, under the same signing and retry policy (table
    /// administration uses it).
    pub async fn call_json(&self, action: &str, body: &Value) -> Result<Value, StoreError> {
        let answer = self.call(action, &|_| body.clone()).await?;
        serde_json::from_slice(&answer).map_err(|e| StoreError::Unavailable(format!("{action} answer: {e}")))
    }

    /// Waits through the transport.
    pub async fn sleep(&self, duration: Duration) {
        self.transport.sleep(duration).await;
    }

    /// The table name.
    pub fn table(&self) -> &str {
        &self.config.table
    }
}

/// A call's successful answer, or the item its failed condition returned.
enum Answer {
    Body(Vec<u8>),
    Refused(Option<Item>),
}

fn fresh_token() -> Result<String, StoreError> {
    omnicanal_platform::random::token().map_err(|e| StoreError::Unavailable(format!("random source: {e}")))
}

impl<T: Transport> Store for HttpStore<T> {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        validate::key(key)?;
        let body = wire::get_item(&self.config.table, &key_item(key));
        let answer = self.call("GetItem", &|_| body.clone()).await?;
        let now = self.now();
        Ok(wire::parse_get_item(&answer)?.filter(|item| !is_expired(item, now)))
    }

    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, StoreError> {
        validate::batch_get(keys)?;
        let mut found: Vec<Item> = Vec::with_capacity(keys.len());
        let mut pending: Vec<Item> = keys.iter().map(key_item).collect();
        let mut attempt = 0;
        while !pending.is_empty() {
            attempt += 1;
            let body = wire::batch_get_item(&self.config.table, &pending);
            let answer = self.call("BatchGetItem", &|_| body.clone()).await?;
            let (items, unprocessed) = wire::parse_batch_get_item(&self.config.table, &answer)?;
            found.extend(items);
            if !unprocessed.is_empty() {
                if attempt >= MAX_ATTEMPTS {
                    return Err(StoreError::Throttled { retry_after_secs: 1 });
                }
                self.transport.sleep(backoff(attempt)).await;
            }
            pending = unprocessed;
        }
        Ok(in_key_order(keys, found, self.now()))
    }

    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        let start = validate::query(query)?;
        let rendered = render_query(query, start, self.now());
        let body = wire::query(&self.config.table, &rendered);
        let answer = self.call("Query", &|_| body.clone()).await?;
        let (items, last) = wire::parse_query(&answer)?;
        page(items, last, self.now())
    }

    async fn transact(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        validate::transact(&ops)?;
        let now = self.now();
        let writes: Vec<_> = ops.iter().map(|op| render_write(op, now)).collect();
        let table = &self.config.table;
        if let [write] = writes.as_slice()
            && let Some((action, body)) = wire::single_write(table, write)
        {
            // One item: the single-item call costs half a transaction's capacity.
            self.call(action, &|_| body.clone()).await?;
            return Ok(());
        }
        self.call("TransactWriteItems", &|token| wire::transact_write_items(table, &writes, token)).await?;
        Ok(())
    }

    async fn update_returning(
        &self,
        key: &Key,
        updates: Vec<Update>,
        condition: Condition,
    ) -> Result<Updated, StoreError> {
        let op = WriteOp::Update { key: key.clone(), updates, condition: Some(condition) };
        validate::transact(std::slice::from_ref(&op))?;
        let now = self.now();
        let body = wire::update_item_returning(&self.config.table, &render_write(&op, now));
        match self.call_keeping_refusal("UpdateItem", &|_| body.clone(), true).await? {
            Answer::Body(answer) => wire::parse_attributes(&answer)?
                .map(Updated::Applied)
                .ok_or_else(|| StoreError::Unavailable("UpdateItem answered no attributes".into())),
            // DynamoDB may still hold an expired item: the port calls it absent.
            Answer::Refused(old) => Ok(Updated::Refused(old.filter(|item| !is_expired(item, now)))),
        }
    }

    async fn replace(&self, item: Item) -> Result<Option<Item>, StoreError> {
        let op = WriteOp::Put { item, condition: None };
        validate::transact(std::slice::from_ref(&op))?;
        let now = self.now();
        let body = wire::put_item_returning_old(&self.config.table, &render_write(&op, now));
        let answer = self.call("PutItem", &|_| body.clone()).await?;
        // DynamoDB may still hold an expired item: the port calls it absent.
        Ok(wire::parse_attributes(&answer)?.filter(|old| !is_expired(old, now)))
    }
}

/// The answer to a batch get, one entry per key in the keys' order, expired items absent.
pub fn in_key_order(keys: &[Key], found: Vec<Item>, now: i64) -> Vec<Option<Item>> {
    let mut by_key: std::collections::HashMap<Key, Item> = found
        .into_iter()
        .filter(|item| !is_expired(item, now))
        .filter_map(|item| Key::of(&item).map(|key| (key, item)))
        .collect();
    keys.iter().map(|key| by_key.remove(key)).collect()
}

/// A page from a query answer: expired items dropped, `LastEvaluatedKey` as the cursor.
pub fn page(items: Vec<Item>, last: Option<Item>, now: i64) -> Result<Page, StoreError> {
    Ok(Page {
        items: items.into_iter().filter(|item| !is_expired(item, now)).collect(),
        cursor: last.as_ref().map(Cursor::from_last_evaluated_key).transpose()?,
    })
}
