//! Starting the real binary and talking to it.

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use omnicanal_pipeline::auth::{Role, mint_hs256};

/// The HS256 secret every test server verifies with.
pub(crate) const SECRET: &str = "black-box-test-secret-0123456789abcdef";
/// The issuer test servers require.
pub(crate) const ISSUER: &str = "https://id.omnicanal.test";
/// The audience test servers require.
pub(crate) const AUDIENCE: &str = "omnicanal-api";
/// The origin test servers allow for CORS.
pub(crate) const ORIGIN: &str = "https://shop.omnicanal.test";

/// What the suite runs against (`OMNICANAL_TEST_TARGET`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    /// `omnicanal serve` (the default).
    Local,
    /// The five Lambda binaries under the Runtime-API emulator (always on DynamoDB).
    Lambda,
    /// The five Workers under `wrangler dev --local` (always on DynamoDB).
    Worker,
}

/// The target of this run.
pub(crate) fn target() -> Target {
    match std::env::var("OMNICANAL_TEST_TARGET").as_deref() {
        Ok("lambda") => Target::Lambda,
        Ok("worker") => Target::Worker,
        _ => Target::Local,
    }
}

/// Whether a test about `omnicanal serve` itself (signals, restarts, its commands) applies;
/// says so when it does not.
pub(crate) fn local_only(test: &str) -> bool {
    let local = target() == Target::Local;
    if !local {
        eprintln!("{test}: about `omnicanal serve` itself, not run against {:?}", target());
    }
    local
}

/// How many requests a volume test sends: `full` against the embedded store, `on_dynamodb`
/// against the DynamoDB-compatible server, which serves one request at a time in Python
/// (5,000 earnings there took over 20 minutes). The smaller count still reaches each record's
/// worst case (every day of a year, hold ends across a week); the worst-case items themselves
/// are written to the server by `shared/dynamodb/tests/worst_case_items.rs`. Says which ran.
pub(crate) fn volume(test: &str, full: usize, on_dynamodb: usize) -> usize {
    let dynamodb = target() != Target::Local || std::env::var("OMNICANAL_TEST_STORE").is_ok_and(|s| s == "dynamodb");
    let count = if dynamodb { on_dynamodb } else { full };
    eprintln!("{test}: {count} requests ({} store)", if dynamodb { "DynamoDB-compatible" } else { "embedded" });
    count
}

/// Whether a test about the Workers host itself (its platform bindings) applies; says so when
/// it does not.
pub(crate) fn worker_only(test: &str) -> bool {
    let worker = target() == Target::Worker;
    if !worker {
        eprintln!("{test}: about the Workers host's bindings, not run against {:?}", target());
    }
    worker
}

enum Process {
    Local(Child),
    /// Kept for its `Drop`, which stops the emulator and the binaries.
    Lambda {
        _host: crate::lambda_host::LambdaHost,
    },
    /// Kept for its `Drop`, which stops the Workers and the proxy.
    Worker {
        _host: crate::worker_host::WorkerHost,
    },
}

/// A running `omnicanal serve` (or the Lambda binaries behind the emulator), stopped when
/// dropped.
pub(crate) struct TestServer {
    process: Process,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// Every log line the server printed so far.
    pub logs: Arc<Mutex<Vec<String>>>,
    /// The data dir (embedded store and dev secret).
    pub data_dir: PathBuf,
    /// A client for it.
    pub client: reqwest::Client,
}

/// A fresh, unique scratch directory under the system temp dir.
pub(crate) fn scratch_dir() -> PathBuf {
    let suffix = omnicanal_platform::random::token().unwrap_or_else(|_| format!("{}", std::process::id()));
    std::env::temp_dir().join(format!("omnicanal-test-{suffix}"))
}

impl TestServer {
    /// Starts a server with the test key, issuer, audience and CORS origin.
    pub(crate) fn start() -> Self {
        Self::start_in(scratch_dir(), &[])
    }

    /// Starts a server on its own table on the test script's DynamoDB-compatible server,
    /// whatever `OMNICANAL_TEST_STORE` says (the chaos suite puts its proxy in between through
    /// `extra_env`).
    pub(crate) fn start_on_dynamodb(data_dir: PathBuf, extra_env: &[(&str, &str)]) -> Self {
        // The Lambda and Worker hosts are always on DynamoDB; only the local server chooses.
        if target() == Target::Local {
            Self::start_local(data_dir, extra_env, true)
        } else {
            Self::start_in(data_dir, extra_env)
        }
    }

    /// Starts a server on `data_dir` with extra environment variables.
    pub(crate) fn start_in(data_dir: PathBuf, extra_env: &[(&str, &str)]) -> Self {
        match target() {
            Target::Lambda => return Self::start_lambda(data_dir, extra_env),
            Target::Worker => return Self::start_worker(data_dir, extra_env),
            Target::Local => {}
        }
        let on_dynamodb = std::env::var("OMNICANAL_TEST_STORE").is_ok_and(|s| s == "dynamodb");
        Self::start_local(data_dir, extra_env, on_dynamodb)
    }

    /// `omnicanal serve` on `data_dir`, on the embedded store or its own DynamoDB table.
    fn start_local(data_dir: PathBuf, extra_env: &[(&str, &str)], on_dynamodb: bool) -> Self {
        let store = if on_dynamodb { "dynamodb" } else { "embedded" };
        let mut command = Command::new(env!("CARGO_BIN_EXE_omnicanal"));
        command
            .arg("serve")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("OMNICANAL_ADDR", "127.0.0.1:0")
            .env("OMNICANAL_STORE", store)
            .env("OMNICANAL_DATA_DIR", &data_dir)
            .env("OMNICANAL_JWT_SECRET", SECRET)
            .env("OMNICANAL_JWT_ISSUER", ISSUER)
            .env("OMNICANAL_JWT_AUDIENCE", AUDIENCE)
            .env("OMNICANAL_CORS_ORIGINS", ORIGIN)
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if on_dynamodb {
            for (name, value) in dynamodb_env(&data_dir) {
                command.env(name, value);
            }
        }
        for (name, value) in extra_env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("the omnicanal binary starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let logs = Arc::new(Mutex::new(Vec::new()));
        let (addr_tx, addr_rx) = mpsc::channel();
        let sink = logs.clone();
        std::thread::spawn(move || {
            // Keep draining stdout for the server's whole life, or it would block on a full pipe.
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Ok(event) = serde_json::from_str::<serde_json::Value>(&line)
                    && event["message"] == "listening"
                {
                    let _ = addr_tx.send(event["addr"].as_str().unwrap_or_default().to_owned());
                }
                sink.lock().expect("log lock").push(line);
            }
        });
        let addr = addr_rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the server logs `listening` with its address within 30 s");
        Self {
            process: Process::Local(child),
            base: format!("http://{addr}"),
            logs,
            data_dir,
            client: reqwest::Client::new(),
        }
    }

    /// The configuration every platform target gets: the test key, issuer, audience and
    /// origin, its own table on the DynamoDB-compatible server, and `extra_env`.
    fn platform_env(data_dir: &std::path::Path, extra_env: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut env: Vec<(String, String)> = [
            ("OMNICANAL_STORE", "dynamodb"),
            ("OMNICANAL_JWT_SECRET", SECRET),
            ("OMNICANAL_JWT_ISSUER", ISSUER),
            ("OMNICANAL_JWT_AUDIENCE", AUDIENCE),
            ("OMNICANAL_CORS_ORIGINS", ORIGIN),
            ("RUST_LOG", "info"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        env.extend(dynamodb_env(data_dir).into_iter().map(|(k, v)| (k.to_owned(), v)));
        env.extend(extra_env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        env
    }

    /// The same configuration, on the Lambda binaries behind the emulator.
    fn start_lambda(data_dir: PathBuf, extra_env: &[(&str, &str)]) -> Self {
        let env = Self::platform_env(&data_dir, extra_env);
        let logs = Arc::new(Mutex::new(Vec::new()));
        let host = crate::lambda_host::LambdaHost::start(&env, logs.clone());
        let base = host.base.clone();
        Self { process: Process::Lambda { _host: host }, base, logs, data_dir, client: reqwest::Client::new() }
    }

    /// The same configuration, on the Workers under `wrangler dev --local`.
    fn start_worker(data_dir: PathBuf, extra_env: &[(&str, &str)]) -> Self {
        let env = Self::platform_env(&data_dir, extra_env);
        let logs = Arc::new(Mutex::new(Vec::new()));
        let host = crate::worker_host::WorkerHost::start(&data_dir, &env, logs.clone());
        let base = host.base.clone();
        Self { process: Process::Worker { _host: host }, base, logs, data_dir, client: reqwest::Client::new() }
    }

    /// The URL of `path`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A valid token for `sub` with `roles`, signed with the test secret.
    pub(crate) fn token(&self, sub: &str, roles: &[Role]) -> String {
        token_with(SECRET, sub, roles, Some(ISSUER), Some(AUDIENCE), 0, 3600)
    }

    /// Sends SIGTERM and waits for the exit status (local server only).
    pub(crate) fn terminate(mut self) -> std::process::ExitStatus {
        let Process::Local(child) = &mut self.process else { panic!("terminate is for the local server") };
        let pid = child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().expect("kill runs");
        assert!(sent.success(), "SIGTERM delivered");
        let status = child.wait().expect("the server exits");
        std::mem::forget(self);
        status
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Process::Local(child) = &mut self.process {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

/// With `OMNICANAL_TEST_STORE=dynamodb`: the environment that points a server at its own
/// table on the test script's DynamoDB-compatible server, creating the table first (one
/// table per data dir, so a restarted server finds its data and tests never share items).
/// The table of the server on `data_dir`: one per test server.
pub(crate) fn table_name(data_dir: &std::path::Path) -> String {
    let dir_name = data_dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    format!("api-{dir_name}")
}

fn dynamodb_env(data_dir: &std::path::Path) -> Vec<(&'static str, String)> {
    let endpoint = std::env::var("OMNICANAL_TEST_DYNAMODB_ENDPOINT")
        .expect("OMNICANAL_TEST_STORE=dynamodb needs OMNICANAL_TEST_DYNAMODB_ENDPOINT");
    let env = vec![
        ("OMNICANAL_DYNAMODB_ENDPOINT", endpoint),
        ("OMNICANAL_TABLE", table_name(data_dir)),
        ("AWS_ACCESS_KEY_ID", "test".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "test".to_owned()),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        // moto runs one request at a time, and the suite sends many at once on a 2-core CI
        // machine: an attempt can wait seconds in its queue. Timeouts are the chaos suite's
        // subject (it sets the production value back), not this suite's.
        (omnicanal_dynamodb::sdk::ATTEMPT_TIMEOUT_VAR, "30000".to_owned()),
    ];
    let status = Command::new(env!("CARGO_BIN_EXE_omnicanal"))
        .args(["table", "create"])
        .env_clear()
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::null())
        .status()
        .expect("omnicanal table create runs");
    assert!(status.success(), "omnicanal table create succeeds");
    env
}

/// Now, in epoch seconds (tests run natively, where the system clock is fine).
pub(crate) fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// A token with every knob: secret, issuer, audience, issue time offset and lifetime.
pub(crate) fn token_with(
    secret: &str,
    sub: &str,
    roles: &[Role],
    issuer: Option<&str>,
    audience: Option<&str>,
    offset_secs: i64,
    ttl_secs: i64,
) -> String {
    mint_hs256(secret.as_bytes(), sub, roles, issuer, audience, now() + offset_secs, ttl_secs)
        .expect("test token mints")
}

/// Sends `body` as JSON with `token`; answers the status and the JSON body (`null` when the
/// answer has none).
pub(crate) async fn call(
    server: &TestServer,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let mut request = server.client.request(method, server.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(serde_json::Value::Null))
}

/// The body of a response as JSON, asserting the content type it must carry.
pub(crate) async fn problem(response: reqwest::Response, status: u16, code: &str) -> serde_json::Value {
    assert_eq!(response.status().as_u16(), status, "status for {code}");
    let content_type =
        response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert_eq!(content_type, "application/problem+json", "problem media type for {code}");
    let request_id =
        response.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let body: serde_json::Value = response.json().await.expect("problem JSON body");
    assert_eq!(body["code"], code, "code in {body}");
    assert_eq!(body["status"], status, "status member in {body}");
    assert_eq!(body["type"], format!("/problems/{code}"));
    assert!(body["title"].as_str().is_some_and(|t| !t.is_empty()), "title in {body}");
    assert_eq!(body["request_id"], request_id.as_str(), "request id in body and header");
    assert!(body["errors"].is_array(), "errors array in {body}");
    body
}
