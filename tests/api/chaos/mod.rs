//! Chaos: a mixed workload through the real binaries on the DynamoDB-compatible server, with a
//! fault-injecting proxy ([`proxy`]) between the functions' adapters and the table, at 10%
//! and at 30% of requests. Clients retry as the contract tells them ([`client`]). At the end
//! the faults stop and the invariants are read from the table itself ([`invariants`]): stock
//! conserved and never oversold, every ledger equal to its balance, no acknowledged cart line
//! lost, no redemption counted twice, no order half-applied; and no answer was a `500`, a
//! `503` without `Retry-After`, or a hang.
//!
//! The local server runs it in the embedded suite's step (`--include-ignored`), the Lambda
//! binaries in a step of their own (`OMNICANAL_TEST_TARGET=lambda`); each run's seed and
//! fault counts are printed. `OMNICANAL_CHAOS_SEED` replays a run.

mod client;
mod invariants;
mod proxy;
mod workload;

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures::FutureExt;

use crate::helpers::{TestServer, scratch_dir, target};

/// One run at `rate`: the workload, then the invariants.
async fn chaos(rate: f64) {
    let endpoint = std::env::var("OMNICANAL_TEST_DYNAMODB_ENDPOINT").expect(
        "the chaos suite needs the test script's DynamoDB-compatible server (OMNICANAL_TEST_DYNAMODB_ENDPOINT)",
    );
    let seed = std::env::var("OMNICANAL_CHAOS_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        u64::try_from(time::OffsetDateTime::now_utc().unix_timestamp_nanos() % 1_000_000_007).unwrap_or(7)
    });
    // Past the adapter's attempt timeout, so the adapter gives up and tries again.
    let slow = omnicanal_dynamodb::sdk::ATTEMPT_TIMEOUT + Duration::from_millis(500);
    let proxy = proxy::FaultProxy::start(&endpoint, seed, slow).await;
    let data_dir = scratch_dir();
    // The production attempt timeout, which the slow answers outlast.
    let timeout = omnicanal_dynamodb::sdk::ATTEMPT_TIMEOUT.as_millis().to_string();
    let env =
        [("OMNICANAL_DYNAMODB_ENDPOINT", proxy.url.as_str()), (omnicanal_dynamodb::sdk::ATTEMPT_TIMEOUT_VAR, &timeout)];
    let server = TestServer::start_on_dynamodb(data_dir, &env);
    let shop = workload::Shop::new(&server);
    shop.open().await;
    proxy.set_rate(rate);
    let journeys = shop.run().await;
    proxy.set_rate(0.0);
    let counts = proxy.counts();
    eprintln!("chaos at {rate} on {:?}, seed {seed}: {counts:?}; {journeys}", target());
    let violations = {
        let seen = shop.seen();
        eprintln!("answers by status: {:?}; unknown outcomes: {}", seen.statuses, seen.unknown);
        eprintln!("refusals: {:?}", seen.refusals);
        if seen.unknown > 0 {
            // Not a broken rule (the client stopped trying), but worth a look: the host's
            // warnings say which calls kept failing.
            let logs = server.logs.lock().expect("logs");
            for line in logs.iter().filter(|l| l.contains("\"WARN\"")) {
                eprintln!("host warning: {line}");
            }
        }
        seen.violations.clone()
    };
    if !violations.is_empty() {
        // The host's own account of each forbidden answer, found by its request id.
        let logs = server.logs.lock().expect("logs");
        let told = |violation: &String| {
            let id = violation.split("\"request_id\":\"").nth(1).and_then(|rest| rest.split('"').next());
            id.map(|id| logs.iter().filter(|line| line.contains(id)).cloned().collect::<Vec<_>>().join("\n"))
        };
        let account: Vec<String> = violations.iter().filter_map(told).collect();
        panic!(
            "answers the contract forbids:\n{}\nthe host's logs of them:\n{}",
            violations.join("\n"),
            account.join("\n")
        );
    }
    let injected: u64 = counts.iter().filter(|(name, _)| name.as_str() != "requests").map(|(_, n)| n).sum();
    assert!(injected > 0, "the proxy injected no fault: the run proved nothing");
    invariants::hold(&shop, &server).await;
}

/// The invariants can fail: the workload without faults passes them, and each way of
/// breaking the table behind the functions' backs is then caught.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs the DynamoDB-compatible server: scripts/test runs it"]
async fn the_invariants_catch_a_table_changed_behind_the_functions() {
    let server = TestServer::start_on_dynamodb(scratch_dir(), &[]);
    let shop = workload::Shop::new(&server);
    shop.open().await;
    shop.run().await;
    invariants::hold(&shop, &server).await;
    for tamper in invariants::Tamper::ALL {
        let before = tamper.apply(&server).await;
        let caught = AssertUnwindSafe(invariants::hold(&shop, &server)).catch_unwind().await;
        invariants::Tamper::undo(&server, before).await;
        assert!(caught.is_err(), "{tamper:?} went unnoticed");
    }
    invariants::hold(&shop, &server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs the DynamoDB-compatible server: scripts/test runs it"]
async fn nothing_is_lost_or_doubled_at_10_percent_faults() {
    chaos(0.10).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs the DynamoDB-compatible server: scripts/test runs it"]
async fn nothing_is_lost_or_doubled_at_30_percent_faults() {
    chaos(0.30).await;
}
