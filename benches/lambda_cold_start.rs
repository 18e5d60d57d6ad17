//! Cold starts of the Lambda binaries under the Runtime-API emulator of the black-box suite:
//! from the process's spawn to the first answer through the emulated API Gateway (init, the
//! first poll, one request that reads or writes the table), then one warm request, and the
//! process's peak RSS (`VmHWM`). Each function is started afresh `RUNS` times, alone.
//!
//! With `OMNICANAL_BENCH_BASELINE_DIR` naming a directory of another build's Lambda binaries
//! (`omnicanal-<function>-lambda`), each run starts both builds, one after the other and in
//! alternating order, so the machine's drift and noise fall on both alike, and the table shows
//! the ratio of their medians: an A/B read in one run, not two tables from two hours.
//!
//! Needs the release Lambda binaries (`cargo build --release --all-features --bins`) and the
//! DynamoDB-compatible server at `OMNICANAL_BENCH_DYNAMODB_ENDPOINT`; `scripts/bench` does both.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use omnicanal_pipeline::auth::{Role, mint_hs256};
use omnicanal_platform::clock::SystemClock;

#[path = "../tests/api/child_logs.rs"]
mod child_logs;
#[path = "../tests/api/lambda_host.rs"]
mod lambda_host;
mod support;

const RUNS: usize = 15;
const SECRET: &str = "cold-start-secret-0123456789abcdef-0123";

/// The request each function answers first: one that touches the table.
fn first_request(function: &str) -> (&'static str, String, u16) {
    match function {
        "cart" => ("POST", "/cart/carts".into(), 201),
        "stock" => ("GET", "/stock/items/NO-SUCH-SKU".into(), 404),
        "offers" => ("GET", "/offers/no-such-offer".into(), 404),
        "loyalty" => ("GET", "/loyalty/me".into(), 200),
        _ => ("GET", "/orders/no-such-order".into(), 404),
    }
}

/// Peak resident set of a process so far, in KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .unwrap_or(0)
}

/// One sample: time to the first answer, time of a warm one, peak RSS.
struct Sample {
    cold: Duration,
    warm: Duration,
    rss_kib: u64,
}

async fn sample(
    dir: &Path,
    function: &'static str,
    env: &[(String, String)],
    client: &reqwest::Client,
    token: &str,
) -> Sample {
    let logs = Arc::new(Mutex::new(Vec::new()));
    let host = lambda_host::LambdaHost::start_with(dir, &[function], 1, env, logs.clone());
    let (method, path, status) = first_request(function);
    let send = || {
        let request = client.request(method.parse().expect("a method"), format!("{}{path}", host.base));
        // Only the loyalty and orders routes need a caller; the cart is anonymous, so each run
        // creates one.
        if matches!(function, "loyalty" | "orders") { request.bearer_auth(token) } else { request }.send()
    };
    let first = send().await.expect("the first request is answered");
    let cold = host.spawned_at.elapsed();
    assert_eq!(first.status().as_u16(), status, "{function}: {:?}", logs.lock().map(|l| l.join("\n")));
    let started = Instant::now();
    let second = send().await.expect("the second request is answered");
    let warm = started.elapsed();
    assert_eq!(second.status().as_u16(), status, "{function}: the warm request");
    let rss_kib = host.pids().first().map_or(0, |pid| peak_rss_kib(*pid));
    Sample { cold, warm, rss_kib }
}

fn percentile(sorted: &[Duration], p: usize) -> Duration {
    sorted[(sorted.len() * p / 100).min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let endpoint = support::endpoint();
    let store = support::fresh_table(&endpoint, "cold-start", Arc::new(SystemClock)).await;
    let env: Vec<(String, String)> = [
        ("OMNICANAL_STORE", "dynamodb"),
        ("OMNICANAL_TABLE", store.table()),
        ("OMNICANAL_DYNAMODB_ENDPOINT", endpoint.as_str()),
        ("OMNICANAL_JWT_SECRET", SECRET),
        ("AWS_ACCESS_KEY_ID", "bench"),
        ("AWS_SECRET_ACCESS_KEY", "bench"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("RUST_LOG", "warn"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let token = mint_hs256(SECRET.as_bytes(), "alice", &[Role::Customer], None, None, now, 3600).expect("a token");
    let client = reqwest::Client::new();

    let mut builds: Vec<(String, PathBuf)> = vec![("this build".into(), lambda_host::build_dir())];
    if let Ok(baseline) = std::env::var("OMNICANAL_BENCH_BASELINE_DIR") {
        builds.push((format!("baseline ({baseline})"), PathBuf::from(baseline)));
    }
    println!(
        "| function | build | first answer p50 | p90 | max | warm request p50 | peak RSS max | p50 / this build's |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for function in lambda_host::FUNCTIONS {
        let mut samples: Vec<Vec<Sample>> = builds.iter().map(|_| Vec::with_capacity(RUNS)).collect();
        for run in 0..RUNS {
            // Alternate which build goes first, so neither always starts on a warmer cache.
            for b in 0..builds.len() {
                let index = (b + run) % builds.len();
                let sampled = sample(&builds[index].1, function, &env, &client, &token).await;
                samples[index].push(sampled);
            }
        }
        let mut ours = None;
        for ((name, _), samples) in builds.iter().zip(&samples) {
            let mut cold: Vec<Duration> = samples.iter().map(|s| s.cold).collect();
            cold.sort();
            let mut warm: Vec<Duration> = samples.iter().map(|s| s.warm).collect();
            warm.sort();
            let rss = samples.iter().map(|s| s.rss_kib).max().unwrap_or(0);
            let p50 = percentile(&cold, 50);
            let base = *ours.get_or_insert(p50);
            println!(
                "| {function} | {name} | {} | {} | {} | {} | {:.1} MiB | {:.2} |",
                ms(p50),
                ms(percentile(&cold, 90)),
                ms(cold[cold.len() - 1]),
                ms(percentile(&warm, 50)),
                rss as f64 / 1024.0,
                p50.as_secs_f64() / base.as_secs_f64()
            );
        }
    }
}
