//! The DynamoDB sender for Workers: DynamoDB's JSON protocol over HTTPS ([`crate::wire`]),
//! signed with SigV4 by `aws-sigv4`. It builds for wasm32; the [`Transport`] moves the bytes
//! (`worker::Fetch` inside a Worker, a native HTTP client in the tests), so the native test
//! suite exercises this very code against a real server. Retries, paging and expiry are the
//! core's ([`crate::core`]).

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use serde_json::Value;

use omnicanal_platform::clock::SharedClock;
use omnicanal_store::{Item, StoreError};

use crate::core::{BatchAnswer, DynamoStore, QueryAnswer, SendError, Sender};
use crate::request::{RenderedQuery, RenderedWrite};
use crate::wire;

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
pub type HttpStore<T> = DynamoStore<HttpSender<T>>;

/// Signs and posts one request through a [`Transport`].
#[derive(Clone)]
pub struct HttpSender<T> {
    transport: T,
    config: Arc<HttpConfig>,
    identity: aws_smithy_runtime_api::client::identity::Identity,
    clock: SharedClock,
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
        let table = config.table.clone();
        let sender =
            HttpSender { transport, config: Arc::new(config), identity: credentials.into(), clock: clock.clone() };
        DynamoStore::over(sender, &table, clock)
    }

    /// Any DynamoDB action with a JSON body, under the same signing and retry policy (table
    /// administration uses it).
    pub async fn call_json(&self, action: &str, body: &Value) -> Result<Value, StoreError> {
        let sender = self.sender();
        let answer = self.attempts(action, move |_| async move { sender.post(action, body).await }).await?;
        serde_json::from_slice(&answer).map_err(|e| StoreError::because(format!("{action} answer"), e))
    }
}

impl<T: Transport> HttpSender<T> {
    /// The SigV4 headers (and ours) for one request.
    fn signed_headers(&self, action: &str, body: &[u8]) -> Result<Vec<(String, String)>, SendError> {
        let signing = |e: &dyn fmt::Display| SendError::Fail(StoreError::unavailable(format!("signing: {e}")));
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
            .map_err(|e| signing(&e))?
            .into();
        let signable = SignableRequest::new(
            "POST",
            self.config.endpoint.as_str(),
            headers.iter().map(|(name, value)| (name.as_str(), value.as_str())),
            SignableBody::Bytes(body),
        )
        .map_err(|e| signing(&e))?;
        let (instructions, _signature) = sign(signable, &params).map_err(|e| signing(&e))?.into_parts();
        for (name, value) in instructions.headers() {
            headers.push((name.to_owned(), value.to_owned()));
        }
        Ok(headers)
    }

    /// One signed POST of `body` as `action`: the answer's body on a 200, DynamoDB's error
    /// otherwise.
    async fn post(&self, action: &str, body: &Value) -> Result<Vec<u8>, SendError> {
        let body = serde_json::to_vec(body)
            .map_err(|e| SendError::Fail(StoreError::because(format!("encoding {action}"), e)))?;
        let headers = self.signed_headers(action, &body)?;
        match self.transport.post(&self.config.endpoint, &headers, body).await {
            Ok((200, answer)) => Ok(answer),
            Ok((status, answer)) => {
                let error = wire::parse_error(status, &answer);
                Err(SendError::Service {
                    code: error.code,
                    message: error.message,
                    reasons: error.reasons,
                    item: error.item,
                })
            }
            Err(err) => Err(SendError::Transport(err)),
        }
    }
}

impl<T: Transport> Sender for HttpSender<T> {
    async fn get_item(&self, table: &str, key: &Item) -> Result<Option<Item>, SendError> {
        let answer = self.post("GetItem", &wire::get_item(table, key)).await?;
        wire::parse_get_item(&answer).map_err(SendError::Fail)
    }

    async fn batch_get_item(&self, table: &str, keys: &[Item]) -> Result<BatchAnswer, SendError> {
        let answer = self.post("BatchGetItem", &wire::batch_get_item(table, keys)).await?;
        let (found, unprocessed) = wire::parse_batch_get_item(table, &answer).map_err(SendError::Fail)?;
        Ok(BatchAnswer { found, unprocessed })
    }

    async fn query(&self, table: &str, query: &RenderedQuery) -> Result<QueryAnswer, SendError> {
        let answer = self.post("Query", &wire::query(table, query)).await?;
        let (items, last) = wire::parse_query(&answer).map_err(SendError::Fail)?;
        Ok(QueryAnswer { items, last })
    }

    async fn write_item(&self, table: &str, write: &RenderedWrite) -> Result<(), SendError> {
        let (action, body) = wire::single_write(table, write)
            .ok_or_else(|| SendError::Fail(StoreError::Invalid("a lone check has no single-item call".into())))?;
        self.post(action, &body).await.map(drop)
    }

    async fn transact_write_items(&self, table: &str, writes: &[RenderedWrite], token: &str) -> Result<(), SendError> {
        self.post("TransactWriteItems", &wire::transact_write_items(table, writes, token)).await.map(drop)
    }

    async fn update_item_returning(&self, table: &str, write: &RenderedWrite) -> Result<Option<Item>, SendError> {
        let answer = self.post("UpdateItem", &wire::update_item_returning(table, write)).await?;
        wire::parse_attributes(&answer).map_err(SendError::Fail)
    }

    async fn put_item_returning_old(&self, table: &str, write: &RenderedWrite) -> Result<Option<Item>, SendError> {
        let answer = self.post("PutItem", &wire::put_item_returning_old(table, write)).await?;
        wire::parse_attributes(&answer).map_err(SendError::Fail)
    }

    async fn sleep(&self, duration: Duration) {
        self.transport.sleep(duration).await;
    }
}
