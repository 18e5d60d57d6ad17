//! The Cloudflare Workers host: one Worker per function.
//!
//! The table is reached with the HTTP DynamoDB adapter over `worker::Fetch`, time comes from
//! `worker::Date` (`SystemTime::now()` panics on wasm32), and the configuration from the
//! Worker's vars and secrets under the same names as everywhere (`OMNICANAL_*`), plus the AWS
//! credentials (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, optional `AWS_SESSION_TOKEN`)
//! and `AWS_REGION`. The environment is built once per isolate and reused.

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use time::OffsetDateTime;

use omnicanal_dynamodb::http::{HttpConfig, HttpStore, Transport};
use omnicanal_pipeline::auth::Authenticator;
use omnicanal_pipeline::config::Config;
use omnicanal_pipeline::context::{ANONYMOUS_WRITES_BINDING, ClientAddress};
use omnicanal_pipeline::error::ApiError;
use omnicanal_pipeline::http::Env;
use omnicanal_pipeline::problem::problem_response;
use omnicanal_platform::clock::Clock;

/// The Workers' transport: `fetch`.
#[derive(Clone, Copy, Debug, Default)]
pub struct FetchTransport;

impl Transport for FetchTransport {
    async fn post(&self, url: &str, headers: &[(String, String)], body: Vec<u8>) -> Result<(u16, Vec<u8>), String> {
        let js_headers = worker::Headers::new();
        for (name, value) in headers {
            js_headers.set(name, value).map_err(|e| e.to_string())?;
        }
        let mut init = worker::RequestInit::new();
        init.with_method(worker::Method::Post)
            .with_headers(js_headers)
            .with_body(Some(js_sys::Uint8Array::from(body.as_slice()).into()));
        let request = worker::Request::new_with_init(url, &init).map_err(|e| e.to_string())?;
        let mut response = worker::Fetch::Request(request).send().await.map_err(|e| e.to_string())?;
        let status = response.status_code();
        let bytes = response.bytes().await.map_err(|e| e.to_string())?;
        Ok((status, bytes))
    }

    async fn sleep(&self, duration: Duration) {
        worker::Delay::from(duration).await;
    }
}

/// The Workers' clock: `Date.now()`.
#[derive(Clone, Copy, Debug, Default)]
pub struct WorkerClock;

impl Clock for WorkerClock {
    fn now(&self) -> OffsetDateTime {
        let millis = i128::from(worker::Date::now().as_millis());
        OffsetDateTime::from_unix_timestamp_nanos(millis * 1_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }
}

/// The environment of one isolate.
pub type WorkerEnv = Rc<Env<HttpStore<FetchTransport>>>;

thread_local! {
    // Workers run one isolate per thread: the environment is built once and reused.
    static CACHED: RefCell<Option<WorkerEnv>> = const { RefCell::new(None) };
}

fn lookup(env: &worker::Env, name: &str) -> Option<String> {
    env.secret(name).ok().map(|s| s.to_string()).or_else(|| env.var(name).ok().map(|v| v.to_string()))
}

/// Builds (or reuses) the environment from the Worker's vars and secrets.
pub fn env(worker_env: &worker::Env) -> Result<WorkerEnv, String> {
    if let Some(cached) = CACHED.with(|c| c.borrow().clone()) {
        return Ok(cached);
    }
    let get = |name: &str| lookup(worker_env, name).filter(|v| !v.trim().is_empty());
    let config = Config::from_lookup(get).map_err(|e| e.to_string())?;
    if config.jwt.key.is_none() {
        return Err("set one of OMNICANAL_JWT_SECRET, OMNICANAL_JWT_PUBLIC_KEY, OMNICANAL_JWT_JWKS".to_owned());
    }
    let region = get("AWS_REGION").unwrap_or_else(|| "us-east-1".to_owned());
    let http = HttpConfig {
        endpoint: config.dynamodb_endpoint.clone().unwrap_or_else(|| HttpConfig::aws_endpoint(&region)),
        region,
        table: config.table.clone(),
        access_key_id: get("AWS_ACCESS_KEY_ID").ok_or("the secret AWS_ACCESS_KEY_ID is missing")?,
        secret_access_key: get("AWS_SECRET_ACCESS_KEY").ok_or("the secret AWS_SECRET_ACCESS_KEY is missing")?,
        session_token: get("AWS_SESSION_TOKEN"),
    };
    let clock = std::sync::Arc::new(WorkerClock);
    let store = HttpStore::new(FetchTransport, http, clock.clone());
    let auth = Authenticator::new(&config.jwt).map_err(|e| e.to_string())?;
    let built = Rc::new(Env { store, clock, config, auth });
    CACHED.with(|c| *c.borrow_mut() = Some(built.clone()));
    Ok(built)
}

/// The period of that binding's limit (Cloudflare allows 10 or 60): what a limited client is
/// told to wait.
const ANONYMOUS_WRITES_PERIOD_SECS: u32 = 60;

/// Whether this anonymous write is within its client's limit. A Worker deployed without the
/// binding is not limited (and says so in its log); a limiter that fails lets the request
/// through, since refusing every anonymous shopper is worse than one unmetered request.
async fn within_anonymous_limit(worker_env: &worker::Env, client: Option<&ClientAddress>) -> bool {
    let Ok(limiter) = worker_env.rate_limiter(ANONYMOUS_WRITES_BINDING) else {
        worker::console_warn!("no {ANONYMOUS_WRITES_BINDING} rate-limit binding: anonymous writes are not limited");
        return true;
    };
    let client = client.map_or_else(|| "unknown".to_owned(), |address| address.0.clone());
    match limiter.limit(client).await {
        Ok(outcome) => outcome.success,
        Err(err) => {
            worker::console_error!("rate limiter failed: {err}");
            true
        }
    }
}

/// Serves one request with `handler` (a function's entry). A configuration problem is a
/// `500` problem without detail (the detail goes to the Worker's log).
pub async fn serve<F, Fut>(
    request: worker::HttpRequest,
    worker_env: &worker::Env,
    handler: F,
) -> worker::Result<http::Response<Full<Bytes>>>
where
    F: FnOnce(http::Request<Bytes>, WorkerEnv) -> Fut,
    Fut: Future<Output = http::Response<Bytes>>,
{
    let request_id =
        omnicanal_pipeline::context::request_id(request.headers().get(omnicanal_pipeline::context::REQUEST_ID_HEADER));
    let env = match env(worker_env) {
        Ok(env) => env,
        Err(problem) => {
            worker::console_error!("omnicanal configuration: {problem}");
            let response = problem_response(&ApiError::internal(problem), &request_id);
            return Ok(response.map(Full::new));
        }
    };
    let (mut parts, body) = request.into_parts();
    // Cloudflare sets the client's address; a caller cannot choose it.
    if let Some(client) = parts.headers.get("cf-connecting-ip").and_then(|v| v.to_str().ok()).map(str::to_owned) {
        parts.extensions.insert(ClientAddress(client));
    }
    if omnicanal_pipeline::context::is_anonymous_write(&parts.method, parts.uri.path(), &parts.headers)
        && !within_anonymous_limit(worker_env, parts.extensions.get::<ClientAddress>()).await
    {
        let limited = ApiError::TooManyRequests { retry_after_secs: ANONYMOUS_WRITES_PERIOD_SECS };
        let mut response = problem_response(&limited, &request_id);
        // As the pipeline answers: the request id, and CORS for a browser to read the 429.
        let headers = response.headers_mut();
        if let Ok(value) = http::HeaderValue::from_str(&request_id) {
            headers.insert(omnicanal_pipeline::context::REQUEST_ID_HEADER, value);
        }
        let origin = parts.headers.get(http::header::ORIGIN).and_then(|v| v.to_str().ok());
        omnicanal_pipeline::http::cors::decorate(headers, &env.config.cors_origins, origin);
        return Ok(response.map(Full::new));
    }
    let (method, path) = (parts.method.to_string(), parts.uri.path().to_owned());
    let started = worker::Date::now().as_millis();
    let bytes = body.collect().await.map_err(|e| worker::Error::RustError(e.to_string()))?.to_bytes();
    let response = handler(http::Request::from_parts(parts, bytes), env).await;
    // One JSON line per request, as the other hosts log it (Workers have no tracing sink).
    let line = serde_json::json!({
        "level": "INFO",
        "message": "handled",
        "request_id": response.headers().get(omnicanal_pipeline::context::REQUEST_ID_HEADER).and_then(|v| v.to_str().ok()).unwrap_or(&request_id),
        "method": method,
        "path": path,
        "status": response.status().as_u16(),
        "elapsed_ms": worker::Date::now().as_millis().saturating_sub(started),
    });
    worker::console_log!("{line}");
    Ok(response.map(Full::new))
}
