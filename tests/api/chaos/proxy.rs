//! A fault-injecting proxy between the functions' DynamoDB adapters and the
//! DynamoDB-compatible server: each request, with probability `rate` (by a seeded generator,
//! so a run can be replayed), meets one fault instead of a plain answer.
//!
//! | fault | what the adapter sees | was the request applied? |
//! |---|---|---|
//! | `Throttling` | 400 `ThrottlingException` | no |
//! | `ThroughputExceeded` | 400 `ProvisionedThroughputExceededException` | no |
//! | `InternalError` | 500 `InternalServerError` | no |
//! | `Unavailable` | 503 without a body | no |
//! | `Conflict` | 400 `TransactionCanceledException` (reasons `TransactionConflict`) for a transaction, `TransactionConflictException` otherwise | no |
//! | `Reset` | the connection cut before an answer | no |
//! | `Slow` | no answer before the client's attempt timeout; the request goes on and applies late | yes, late |
//! | `Dropped` | the connection cut after the server answered | yes |

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Response, StatusCode};
use serde_json::{Value, json};
use tokio::sync::oneshot;

/// One kind of fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Fault {
    Throttling,
    ThroughputExceeded,
    InternalError,
    Unavailable,
    Conflict,
    Reset,
    Slow,
    Dropped,
}

const FAULTS: [Fault; 8] = [
    Fault::Throttling,
    Fault::ThroughputExceeded,
    Fault::InternalError,
    Fault::Unavailable,
    Fault::Conflict,
    Fault::Reset,
    Fault::Slow,
    Fault::Dropped,
];

/// splitmix64: a seeded sequence that stays the same across toolchains and crate versions,
/// so a seed names one run.
struct Seeded(u64);

impl Seeded {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

struct Shared {
    upstream: String,
    client: reqwest::Client,
    /// Faults per million requests.
    rate_ppm: AtomicU32,
    random: Mutex<Seeded>,
    /// How long a `Slow` answer is held: past the client's attempt timeout.
    slow: Duration,
    counts: Mutex<BTreeMap<String, u64>>,
}

/// The running proxy; it stops when dropped.
pub(crate) struct FaultProxy {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
}

impl FaultProxy {
    /// A proxy to `upstream`, faultless until [`FaultProxy::set_rate`]; `slow` is how long a
    /// `Slow` fault holds its answer.
    pub(crate) async fn start(upstream: &str, seed: u64, slow: Duration) -> Self {
        let shared = Arc::new(Shared {
            upstream: upstream.trim_end_matches('/').to_owned(),
            client: reqwest::Client::new(),
            rate_ppm: AtomicU32::new(0),
            random: Mutex::new(Seeded(seed)),
            slow,
            counts: Mutex::default(),
        });
        let app = Router::new().fallback(forward).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port for the proxy");
        let url = format!("http://{}", listener.local_addr().expect("its address"));
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Self { url, shared, stop: Some(stop) }
    }

    /// Faults from now on, at `rate` (0 to 1) of requests.
    pub(crate) fn set_rate(&self, rate: f64) {
        let ppm = (rate.clamp(0.0, 1.0) * 1_000_000.0).round();
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "clamped to 0..=1e6")]
        self.shared.rate_ppm.store(ppm as u32, Ordering::SeqCst);
    }

    /// Requests seen and faults injected, by name.
    pub(crate) fn counts(&self) -> BTreeMap<String, u64> {
        self.shared.counts.lock().expect("counts").clone()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl Shared {
    /// The fault for the next request, if any.
    fn draw(&self) -> Option<Fault> {
        let rate = u64::from(self.rate_ppm.load(Ordering::SeqCst));
        let mut random = self.random.lock().expect("generator");
        if random.next() % 1_000_000 >= rate {
            return None;
        }
        let index = usize::try_from(random.next() % FAULTS.len() as u64).unwrap_or(0);
        Some(FAULTS[index])
    }

    fn count(&self, name: &str) {
        *self.counts.lock().expect("counts").entry(name.to_owned()).or_default() += 1;
    }

    /// Sends the request on, as the adapter sent it.
    async fn pass(&self, headers: &HeaderMap, body: Bytes) -> Result<Response<Body>, String> {
        let mut request = self.client.post(&self.upstream).body(body);
        for (name, value) in headers {
            if name != "host" && name != "content-length" {
                request = request.header(name.as_str(), value.as_bytes());
            }
        }
        let answer = request.send().await.map_err(|e| e.to_string())?;
        let mut response = Response::builder().status(answer.status().as_u16());
        for (name, value) in answer.headers() {
            if name != "content-length" && name != "transfer-encoding" && name != "connection" {
                response = response.header(name.as_str(), value.as_bytes());
            }
        }
        let bytes = answer.bytes().await.map_err(|e| e.to_string())?;
        response.body(Body::from(bytes)).map_err(|e| e.to_string())
    }
}

/// A DynamoDB error answer.
fn error(status: StatusCode, code: &str, extra: Value) -> Response<Body> {
    let mut body =
        json!({"__type": format!("com.amazonaws.dynamodb.v20120810#{code}"), "message": "injected by the chaos proxy"});
    if let (Value::Object(members), Value::Object(more)) = (&mut body, extra) {
        members.extend(more);
    }
    Response::builder()
        .status(status)
        .header("content-type", "application/x-amz-json-1.0")
        .body(Body::from(body.to_string()))
        .unwrap_or_default()
}

/// An answer whose body fails after the status line: the client sees the connection cut.
fn cut() -> Response<Body> {
    let failing = futures::stream::once(async { Err::<Bytes, std::io::Error>(std::io::Error::other("chaos: cut")) });
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/x-amz-json-1.0")
        .body(Body::from_stream(failing))
        .unwrap_or_default()
}

async fn forward(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response<Body> {
    let target = headers.get("x-amz-target").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    shared.count("requests");
    let Some(fault) = shared.draw() else {
        return shared.pass(&headers, body).await.unwrap_or_else(|_| cut());
    };
    shared.count(&format!("{fault:?}"));
    match fault {
        Fault::Throttling => error(StatusCode::BAD_REQUEST, "ThrottlingException", json!({})),
        Fault::ThroughputExceeded => {
            error(StatusCode::BAD_REQUEST, "ProvisionedThroughputExceededException", json!({}))
        }
        Fault::InternalError => error(StatusCode::INTERNAL_SERVER_ERROR, "InternalServerError", json!({})),
        Fault::Unavailable => {
            Response::builder().status(StatusCode::SERVICE_UNAVAILABLE).body(Body::empty()).unwrap_or_default()
        }
        Fault::Conflict if target.ends_with("TransactWriteItems") => {
            let items = serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|v| v["TransactItems"].as_array().map(Vec::len))
                .unwrap_or(1);
            let reasons: Vec<Value> = (0..items).map(|_| json!({"Code": "TransactionConflict"})).collect();
            error(StatusCode::BAD_REQUEST, "TransactionCanceledException", json!({"CancellationReasons": reasons}))
        }
        Fault::Conflict => error(StatusCode::BAD_REQUEST, "TransactionConflictException", json!({})),
        Fault::Reset => cut(),
        Fault::Slow => {
            tokio::time::sleep(shared.slow).await;
            shared.pass(&headers, body).await.unwrap_or_else(|_| cut())
        }
        Fault::Dropped => {
            let _ = shared.pass(&headers, body).await;
            cut()
        }
    }
}
