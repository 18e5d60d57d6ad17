//! The five Workers under `wrangler dev --local` (workerd), so the black-box suite can drive
//! them: one `wrangler dev` per function on its own port, each given a generated config (the
//! built bundle, no build step, the test's vars), and a small proxy in front that sends each
//! path to the Worker owning its first segment, as routes do on Cloudflare.

use std::collections::HashMap;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Response, StatusCode};
use axum::routing::any;
use tokio::sync::oneshot;

use crate::lambda_host::FUNCTIONS;

/// The running Workers and their proxy; everything stops on drop.
pub(crate) struct WorkerHost {
    /// `http://127.0.0.1:PORT` of the proxy.
    pub base: String,
    children: Vec<Child>,
    stop: Option<oneshot::Sender<()>>,
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `n` distinct free ports, below the kernel's ephemeral range (32768 and up on Linux): a
/// port that bind(0) or an outgoing connection can be handed (workerd binds several, every
/// client connection takes one) could be taken between our choosing it and wrangler binding
/// it. Each process walks its own stretch of 10000-32000 and never reuses a port.
fn free_ports(n: usize) -> Vec<u16> {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    const FIRST: u32 = 10_000;
    const SPAN: u32 = 22_000;
    let offset = (std::process::id() * 7919) % SPAN;
    let mut ports = Vec::with_capacity(n);
    while ports.len() < n {
        let step = NEXT.fetch_add(1, Ordering::Relaxed);
        assert!(step < SPAN, "no free port left below the ephemeral range");
        let port = u16::try_from(FIRST + (offset + step) % SPAN).expect("below 32000");
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            ports.push(port);
        }
    }
    ports
}

/// The variable a test sets to lower the Workers' limit on anonymous writes (per minute); it
/// goes into the rate-limit binding, not the Worker's vars.
pub(crate) const ANONYMOUS_LIMIT_VAR: &str = "OMNICANAL_TEST_ANONYMOUS_WRITES_PER_MINUTE";

/// A config for one Worker: the bundle scripts/build-worker made, and `vars`.
fn config(dir: &Path, function: &str, vars: &[(String, String)]) -> PathBuf {
    let main = repo().join(format!("functions/{function}/build/worker/shim.mjs"));
    assert!(main.exists(), "{} is built (scripts/build-worker {function})", main.display());
    let mut text = format!(
        "name = \"omnicanal-{function}\"\nmain = {:?}\ncompatibility_date = \"2025-06-01\"\n\n[vars]\n",
        main.display().to_string()
    );
    // The limit on anonymous writes, as wrangler.toml binds it; a test lowers it to see it
    // bite, the others never reach it.
    let mut limit = "100000".to_owned();
    for (name, value) in vars {
        if name == ANONYMOUS_LIMIT_VAR {
            limit.clone_from(value);
            continue;
        }
        text.push_str(&format!("{name} = {value:?}\n"));
    }
    if matches!(function, "cart" | "stock" | "orders") {
        text.push_str(&format!(
            "\n[[ratelimits]]\nname = \"ANONYMOUS_WRITES\"\nnamespace_id = \"1001\"\nsimple = {{ limit = {limit}, period = 60 }}\n"
        ));
    }
    let path = dir.join(format!("wrangler-{function}.toml"));
    std::fs::create_dir_all(dir).expect("scratch dir");
    std::fs::write(&path, text).expect("write config");
    path
}

impl WorkerHost {
    /// Starts the five Workers with `vars` and the proxy, and waits until each answers its
    /// health route.
    pub(crate) fn start(dir: &Path, vars: &[(String, String)], logs: Arc<Mutex<Vec<String>>>) -> Self {
        let wrangler = repo().join("node_modules/.bin/wrangler");
        assert!(wrangler.exists(), "wrangler is installed (scripts/install-worker-tools)");
        let mut ports = HashMap::new();
        // The host owns the processes from the start, so a failed start still stops them.
        let mut host = Self { base: String::new(), children: Vec::new(), stop: None };
        for function in FUNCTIONS {
            let [port, inspector] = free_ports(2)[..] else { unreachable!("two ports") };
            ports.insert(function, port);
            host.children.push(spawn(&wrangler, dir, function, vars, port, inspector, &logs));
        }
        for (index, function) in FUNCTIONS.iter().enumerate() {
            // wrangler dev now and then dies while starting on a loaded machine (its esbuild
            // or workerd crashes, or a port is taken): start that Worker again, on fresh
            // ports, a bounded number of times.
            let mut attempt = 1;
            while !healthy(function, ports[function], &mut host.children[index]) {
                assert!(attempt < 3, "the {function} Worker did not start; last log lines: {:#?}", tail(&logs));
                stop(&mut host.children[index]);
                let [port, inspector] = free_ports(2)[..] else { unreachable!("two ports") };
                ports.insert(function, port);
                host.children[index] = spawn(&wrangler, dir, function, vars, port, inspector, &logs);
                attempt += 1;
            }
        }
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let routes = Arc::new(ports);
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("proxy runtime");
            runtime.block_on(async move {
                let app = Router::new().fallback(any(proxy)).with_state((routes, reqwest::Client::new()));
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
                let base = format!("http://{}", listener.local_addr().expect("addr"));
                let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
                tokio::spawn(async move { axum::serve(listener, app).await });
                ready_tx.send(base).expect("report");
                let _ = stop_rx.await;
            });
        });
        host.stop = Some(stop_tx);
        host.base = ready_rx.recv_timeout(Duration::from_secs(10)).expect("proxy starts");
        host
    }
}

/// Starts `wrangler dev` for one Worker, its output going to `logs`.
fn spawn(
    wrangler: &Path,
    dir: &Path,
    function: &str,
    vars: &[(String, String)],
    port: u16,
    inspector: u16,
    logs: &Arc<Mutex<Vec<String>>>,
) -> Child {
    let mut command = Command::new(wrangler);
    command
        .args(["dev", "--local", "--ip", "127.0.0.1", "--port", &port.to_string()])
        .args(["--inspector-port", &inspector.to_string()])
        .arg("--config")
        .arg(config(dir, function, vars))
        .arg("--persist-to")
        .arg(dir.join(format!("wrangler-state-{function}")))
        .arg("--show-interactive-dev-session=false")
        .current_dir(dir)
        .env("WRANGLER_SEND_METRICS", "false")
        .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
        .env("CI", "true")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, so stopping it also stops workerd.
        .process_group(0);
    let mut child = command.spawn().expect("wrangler dev starts");
    crate::child_logs::drain(&mut child, logs);
    child
}

fn tail(logs: &Arc<Mutex<Vec<String>>>) -> Vec<String> {
    logs.lock().expect("logs").iter().rev().take(30).cloned().collect()
}

/// Whether the Worker on `port` answers its health route within 60 s (false at once if its
/// wrangler exited).
fn healthy(function: &str, port: u16, child: &mut Child) -> bool {
    let started = Instant::now();
    let url = format!("http://127.0.0.1:{port}/{function}/health");
    while started.elapsed() < Duration::from_secs(60) {
        let answered =
            Command::new("curl").args(["-sf", "-m", "2", "-o", "/dev/null", &url]).status().is_ok_and(|s| s.success());
        if answered {
            return true;
        }
        if !matches!(child.try_wait(), Ok(None)) {
            return false;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    false
}

/// Stops a `wrangler dev` and its workerd: SIGTERM to the group, then SIGKILL, as wrangler
/// does not always exit on SIGTERM.
fn stop(child: &mut Child) {
    let group = format!("-{}", child.id());
    let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline && matches!(child.try_wait(), Ok(None)) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
    let _ = child.wait();
}

impl Drop for WorkerHost {
    fn drop(&mut self) {
        for child in &mut self.children {
            stop(child);
        }
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Forwards a request to the Worker owning its path, and its answer back, as Cloudflare's
/// edge does: with the caller's address in `CF-Connecting-IP` (whatever the caller sent
/// there is dropped). Paths of no function go to the cart Worker, whose pipeline answers them
/// with problem JSON.
async fn proxy(
    State((ports, client)): State<(Arc<HashMap<&'static str, u16>>, reqwest::Client)>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    request: Request,
) -> Response<Body> {
    let (parts, body) = request.into_parts();
    let owner = parts.uri.path().trim_start_matches('/').split('/').next().unwrap_or_default();
    let port = ports.get(owner).or_else(|| ports.get("cart")).copied().unwrap_or_default();
    let target = format!("http://127.0.0.1:{port}{}", parts.uri.path_and_query().map_or("/", |p| p.as_str()));
    let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap_or_default();
    let mut forward = client.request(parts.method.clone(), target).body(bytes.to_vec());
    for (name, value) in &parts.headers {
        if name != "host" && name != "content-length" && name != "cf-connecting-ip" {
            forward = forward.header(name, value);
        }
    }
    forward = forward.header("cf-connecting-ip", peer.ip().to_string());
    match forward.send().await {
        Ok(answer) => {
            let mut response = Response::builder().status(answer.status().as_u16());
            for (name, value) in answer.headers() {
                if name != "content-length" && name != "transfer-encoding" {
                    response = response.header(name, value);
                }
            }
            let body = answer.bytes().await.unwrap_or_default();
            response.body(Body::from(body)).expect("response")
        }
        Err(_) => Response::builder().status(StatusCode::BAD_GATEWAY).body(Body::empty()).expect("502"),
    }
}

#[tokio::test]
async fn anonymous_writes_are_rate_limited_per_client_on_workers() {
    if !crate::helpers::worker_only("anonymous_writes_are_rate_limited_per_client_on_workers") {
        return;
    }
    let server = crate::helpers::TestServer::start_in(crate::helpers::scratch_dir(), &[(ANONYMOUS_LIMIT_VAR, "3")]);
    let mut statuses = Vec::new();
    for _ in 0..8 {
        let response = server.client.post(server.url("/cart/carts")).send().await.expect("create");
        if response.status() == 429 {
            assert!(response.headers().contains_key("retry-after"), "429 says when to retry");
            crate::helpers::problem(response, 429, "rate_limited").await;
            statuses.push(429);
        } else {
            statuses.push(response.status().as_u16());
        }
    }
    assert!(statuses.iter().take(3).all(|s| *s == 201), "the first three pass: {statuses:?}");
    assert!(statuses.contains(&429), "then the client is limited: {statuses:?}");
    let signed_in = server.token("carol", &[omnicanal_pipeline::auth::Role::Customer]);
    let response = server.client.post(server.url("/cart/carts")).bearer_auth(&signed_in).send().await.expect("create");
    assert_eq!(response.status(), 201, "a signed-in customer is not an anonymous write");
}
