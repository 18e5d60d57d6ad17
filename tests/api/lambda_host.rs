//! A small AWS Lambda emulator, so the black-box suite can drive the real Lambda binaries.
//!
//! It plays both sides AWS plays: the **Runtime API** each binary polls
//! (`/2018-06-01/runtime/invocation/next`, `…/{id}/response`, `…/{id}/error`, one listener per
//! function, as `AWS_LAMBDA_RUNTIME_API` is a bare host:port), and **API Gateway HTTP API**
//! in front, turning each HTTP request into a payload-2.0 event for the function that owns
//! the path's first segment and the function's answer back into HTTP. Each function runs as
//! two processes polling one queue, as Lambda runs instances side by side.

use std::collections::HashMap;
use std::path::{Path as FilePath, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, Response, StatusCode};
use axum::routing::{any, get, post};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use tokio::sync::{Mutex as AsyncMutex, mpsc, oneshot};

/// The functions and the binaries that serve them.
pub(crate) const FUNCTIONS: [&str; 5] = ["cart", "stock", "offers", "loyalty", "orders"];
/// Processes per function in the black-box suite.
const INSTANCES: usize = 2;

type Pending = Arc<Mutex<HashMap<String, oneshot::Sender<Value>>>>;

/// One function's side of the Runtime API: its queue of events and the callers waiting.
#[derive(Clone)]
struct Function {
    queue: Arc<AsyncMutex<mpsc::UnboundedReceiver<(String, Value)>>>,
    sender: mpsc::UnboundedSender<(String, Value)>,
    pending: Pending,
}

impl Function {
    fn new() -> Self {
        let (sender, receiver) = mpsc::unbounded_channel();
        Self { queue: Arc::new(AsyncMutex::new(receiver)), sender, pending: Arc::default() }
    }
}

/// The running emulator and its function processes; everything stops on drop.
pub(crate) struct LambdaHost {
    /// `http://127.0.0.1:PORT` of the API Gateway side.
    pub base: String,
    /// When the first function process was spawned: cold starts count from here.
    #[allow(dead_code, reason = "read by the cold-start bench, which includes this file")]
    pub spawned_at: std::time::Instant,
    children: Vec<Child>,
    stop: Option<oneshot::Sender<()>>,
}

/// Where this build's Lambda binaries are: beside the test binary's `deps` directory.
pub(crate) fn build_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    exe.parent().and_then(|deps| deps.parent()).expect("target dir").to_path_buf()
}

/// A function's Lambda binary in `dir`.
fn binary(dir: &FilePath, function: &str) -> PathBuf {
    let path = dir.join(format!("omnicanal-{function}-lambda"));
    assert!(path.exists(), "{} is built (cargo build --all-features --bins)", path.display());
    path
}

impl LambdaHost {
    /// Starts the emulator and every function, two instances each, with `env`, collecting
    /// their output in `logs`.
    #[allow(dead_code, reason = "the cold-start bench, which includes this file, starts one function")]
    pub(crate) fn start(env: &[(String, String)], logs: Arc<Mutex<Vec<String>>>) -> Self {
        Self::start_with(&build_dir(), &FUNCTIONS, INSTANCES, env, logs)
    }

    /// Starts the emulator and `instances` processes of each of `functions`, their binaries
    /// taken from `dir` (the cold-start bench compares two builds).
    pub(crate) fn start_with(
        dir: &FilePath,
        functions: &[&'static str],
        instances: usize,
        env: &[(String, String)],
        logs: Arc<Mutex<Vec<String>>>,
    ) -> Self {
        let names = functions.to_vec();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("emulator runtime");
            runtime.block_on(async move {
                let functions: HashMap<&'static str, Function> = names.iter().map(|f| (*f, Function::new())).collect();
                let mut runtime_ports = HashMap::new();
                for (name, function) in &functions {
                    let app = Router::new()
                        .route("/2018-06-01/runtime/invocation/next", get(next))
                        .route("/2018-06-01/runtime/invocation/{id}/response", post(respond))
                        .route("/2018-06-01/runtime/invocation/{id}/error", post(failed))
                        .route("/2018-06-01/runtime/init/error", post(init_failed))
                        .with_state(function.clone());
                    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind runtime api");
                    runtime_ports.insert(*name, listener.local_addr().expect("addr").port());
                    tokio::spawn(async move { axum::serve(listener, app).await });
                }
                let front = Router::new().fallback(any(gateway)).with_state(Arc::new(functions));
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind gateway");
                let base = format!("http://{}", listener.local_addr().expect("addr"));
                let front = front.into_make_service_with_connect_info::<std::net::SocketAddr>();
                tokio::spawn(async move { axum::serve(listener, front).await });
                ready_tx.send((base, runtime_ports)).expect("report ports");
                let _ = stop_rx.await;
            });
        });
        let (base, runtime_ports) = ready_rx.recv_timeout(Duration::from_secs(10)).expect("emulator starts");
        let mut children = Vec::new();
        let spawned_at = std::time::Instant::now();
        for function in functions {
            for instance in 0..instances {
                let mut command = Command::new(binary(dir, function));
                command
                    .env_clear()
                    .env("PATH", std::env::var("PATH").unwrap_or_default())
                    .env("AWS_LAMBDA_RUNTIME_API", format!("127.0.0.1:{}", runtime_ports[*function]))
                    .env("AWS_LAMBDA_FUNCTION_NAME", format!("omnicanal-{function}"))
                    .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
                    .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
                    .env("AWS_LAMBDA_LOG_STREAM_NAME", format!("instance-{instance}"))
                    .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/omnicanal-{function}"))
                    .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
                    .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped());
                let mut child = command.spawn().expect("a Lambda binary starts");
                crate::child_logs::drain(&mut child, &logs);
                children.push(child);
            }
        }
        Self { base, spawned_at, children, stop: Some(stop_tx) }
    }

    /// The function processes' ids.
    #[allow(dead_code, reason = "read by the cold-start bench, which includes this file")]
    pub(crate) fn pids(&self) -> Vec<u32> {
        self.children.iter().map(Child::id).collect()
    }
}

impl Drop for LambdaHost {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// `GET …/invocation/next`: waits for the next event of this function.
async fn next(State(function): State<Function>) -> Response<Body> {
    let Some((id, event)) = function.queue.lock().await.recv().await else {
        return Response::builder().status(StatusCode::GONE).body(Body::empty()).expect("response");
    };
    let deadline =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis()) + 30_000;
    Response::builder()
        .header("lambda-runtime-aws-request-id", &id)
        .header("lambda-runtime-deadline-ms", deadline.to_string())
        .header("lambda-runtime-invoked-function-arn", "arn:aws:lambda:us-east-1:000000000000:function:omnicanal")
        .header("lambda-runtime-trace-id", "Root=1-00000000-000000000000000000000000")
        .header("content-type", "application/json")
        .body(Body::from(event.to_string()))
        .expect("response")
}

/// `POST …/invocation/{id}/response`: the function's answer.
async fn respond(State(function): State<Function>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    let answer: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if let Some(waiter) = function.pending.lock().expect("pending").remove(&id) {
        let _ = waiter.send(answer);
    }
    StatusCode::ACCEPTED
}

/// `POST …/invocation/{id}/error`: a failed invocation becomes a 502, as API Gateway does.
async fn failed(State(function): State<Function>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    let detail = String::from_utf8_lossy(&body).into_owned();
    if let Some(waiter) = function.pending.lock().expect("pending").remove(&id) {
        let _ = waiter.send(json!({"statusCode": 502, "body": format!("invocation error: {detail}")}));
    }
    StatusCode::ACCEPTED
}

async fn init_failed(body: Bytes) -> StatusCode {
    eprintln!("Lambda init error: {}", String::from_utf8_lossy(&body));
    StatusCode::ACCEPTED
}

/// The API Gateway side: an HTTP request in, payload-2.0 event to the owning function, its
/// answer back out.
async fn gateway(
    State(functions): State<Arc<HashMap<&'static str, Function>>>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    request: Request,
) -> Response<Body> {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_owned();
    let owner = path.trim_start_matches('/').split('/').next().unwrap_or_default().to_owned();
    // Paths of no function go to the `$default` route, which template.yaml gives the cart
    // function, so that they too get the contract's problem JSON 404.
    let Some(function) = functions.get(owner.as_str()).or_else(|| functions.get("cart")) else {
        return Response::builder().status(StatusCode::BAD_GATEWAY).body(Body::empty()).expect("502");
    };
    let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap_or_default();
    let id = format!("{:032x}", rand_id());
    let event = event(&parts.method, &parts.uri, &parts.headers, &bytes, &id, &peer.ip().to_string());
    let (tx, rx) = oneshot::channel();
    function.pending.lock().expect("pending").insert(id.clone(), tx);
    if function.sender.send((id, event)).is_err() {
        return Response::builder().status(StatusCode::BAD_GATEWAY).body(Body::empty()).expect("502");
    }
    match tokio::time::timeout(Duration::from_secs(30), rx).await {
        Ok(Ok(answer)) => answer_to_http(&answer),
        _ => Response::builder().status(StatusCode::GATEWAY_TIMEOUT).body(Body::empty()).expect("504"),
    }
}

fn rand_id() -> u128 {
    let token = omnicanal_platform::random::bytes::<16>().expect("random");
    u128::from_le_bytes(token)
}

/// The payload-2.0 event API Gateway would send; `source_ip` is the caller's address, as
/// API Gateway reports the TCP peer.
fn event(
    method: &axum::http::Method,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    body: &[u8],
    id: &str,
    source_ip: &str,
) -> Value {
    let mut joined: HashMap<String, String> = HashMap::new();
    for (name, value) in headers {
        let value = value.to_str().unwrap_or_default();
        joined
            .entry(name.as_str().to_owned())
            .and_modify(|v| *v = format!("{v},{value}"))
            .or_insert_with(|| value.to_owned());
    }
    let query = uri.query().unwrap_or_default();
    let mut parameters: HashMap<String, String> = HashMap::new();
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        parameters.entry(k.into_owned()).and_modify(|e| *e = format!("{e},{v}")).or_insert_with(|| v.into_owned());
    }
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis());
    json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": uri.path(),
        "rawQueryString": query,
        "headers": joined,
        "queryStringParameters": parameters,
        "requestContext": {
            "accountId": "000000000000", "apiId": "local", "domainName": "127.0.0.1", "domainPrefix": "local",
            "http": {"method": method.as_str(), "path": uri.path(), "protocol": "HTTP/1.1", "sourceIp": source_ip,
                     "userAgent": joined.get("user-agent").cloned().unwrap_or_default()},
            "requestId": id, "routeKey": "$default", "stage": "$default", "time": "", "timeEpoch": now
        },
        "body": STANDARD.encode(body),
        "isBase64Encoded": true
    })
}

fn answer_to_http(answer: &Value) -> Response<Body> {
    let status = answer["statusCode"].as_u64().and_then(|s| u16::try_from(s).ok()).unwrap_or(502);
    let mut response = Response::builder().status(status);
    if let Some(headers) = answer["headers"].as_object() {
        for (name, value) in headers {
            if let Some(value) = value.as_str().and_then(|v| HeaderValue::from_str(v).ok()) {
                response = response.header(name.as_str(), value);
            }
        }
    }
    if let Some(headers) = answer["multiValueHeaders"].as_object() {
        for (name, values) in headers {
            for value in values.as_array().into_iter().flatten().filter_map(|v| v.as_str()) {
                if let Ok(value) = HeaderValue::from_str(value) {
                    response = response.header(name.as_str(), value);
                }
            }
        }
    }
    let text = answer["body"].as_str().unwrap_or_default();
    let body = if answer["isBase64Encoded"].as_bool().unwrap_or(false) {
        STANDARD.decode(text).unwrap_or_default()
    } else {
        text.as_bytes().to_vec()
    };
    response.body(Body::from(body)).expect("response")
}
