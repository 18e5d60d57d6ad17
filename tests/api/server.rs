//! The process: graceful shutdown, durability of the embedded store, the dev secret and the
//! `token` command.

use std::process::Command;

use omnicanal_pipeline::auth::Role;
use serde_json::json;

use crate::helpers::{TestServer, scratch_dir};

fn embedded() -> bool {
    std::env::var("OMNICANAL_TEST_STORE").map_or(true, |store| store == "embedded")
}

#[tokio::test]
async fn sigterm_stops_the_server_cleanly() {
    if !crate::helpers::local_only("sigterm_stops_the_server_cleanly") {
        return;
    }
    let server = TestServer::start();
    let response = server.client.get(server.url("/cart/health")).send().await.expect("request");
    assert_eq!(response.status(), 200);
    let status = server.terminate();
    assert!(status.success(), "exit status after SIGTERM: {status:?}");
}

#[tokio::test]
async fn the_embedded_store_survives_a_restart() {
    if !crate::helpers::local_only("the_embedded_store_survives_a_restart") {
        return;
    }
    if !embedded() {
        return;
    }
    let dir = scratch_dir();
    let server = TestServer::start_in(dir.clone(), &[]);
    let staff = server.token("staff-1", &[Role::Staff]);
    let body = json!({"name": "Lamp", "category": "home", "price": {"amount": 4500, "currency": "EUR"}});
    let created = server
        .client
        .put(server.url("/stock/items/LAMP-1"))
        .bearer_auth(&staff)
        .json(&body)
        .send()
        .await
        .expect("request");
    assert_eq!(created.status(), 201);
    // Stop gracefully (keeping the directory), then start again on the same data dir.
    assert!(server.terminate().success());
    let again = TestServer::start_in(dir, &[]);
    let read = again.client.get(again.url("/stock/items/LAMP-1")).send().await.expect("request");
    assert_eq!(read.status(), 200);
    let read: serde_json::Value = read.json().await.expect("json");
    assert_eq!(read["name"], "Lamp");
}

#[tokio::test]
async fn without_a_secret_the_server_creates_one_and_token_uses_it() {
    if !crate::helpers::local_only("without_a_secret_the_server_creates_one_and_token_uses_it") {
        return;
    }
    let dir = scratch_dir();
    // An empty value counts as unset: the server must create its development secret.
    let server = TestServer::start_in(
        dir.clone(),
        &[("OMNICANAL_JWT_SECRET", ""), ("OMNICANAL_JWT_ISSUER", ""), ("OMNICANAL_JWT_AUDIENCE", "")],
    );
    assert!(dir.join("jwt-secret").is_file(), "the dev secret is created in the data dir");
    let output = Command::new(env!("CARGO_BIN_EXE_omnicanal"))
        .args(["token", "--sub", "staff-9", "--roles", "staff"])
        .env_clear()
        .env("OMNICANAL_DATA_DIR", &dir)
        .output()
        .expect("token runs");
    assert!(output.status.success(), "token: {}", String::from_utf8_lossy(&output.stderr));
    let token = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    assert_eq!(token.split('.').count(), 3, "a JWT: {token}");
    let body = json!({"name": "Cup", "category": "kitchen", "price": {"amount": 500, "currency": "EUR"}});
    let response = server
        .client
        .put(server.url("/stock/items/CUP-1"))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 201);

    let refused = Command::new(env!("CARGO_BIN_EXE_omnicanal"))
        .args(["token", "--sub", "x", "--roles", "wizard"])
        .env_clear()
        .env("OMNICANAL_DATA_DIR", &dir)
        .output()
        .expect("token runs");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("unknown role"));
}

#[tokio::test]
async fn bad_configuration_fails_fast_with_the_variable_named() {
    if !crate::helpers::local_only("bad_configuration_fails_fast_with_the_variable_named") {
        return;
    }
    let output = Command::new(env!("CARGO_BIN_EXE_omnicanal"))
        .arg("serve")
        .env_clear()
        .env("OMNICANAL_STORE", "postgres")
        .env("OMNICANAL_JWT_SECRET", "short")
        .output()
        .expect("serve runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("OMNICANAL_STORE"), "{stderr}");
    assert!(stderr.contains("OMNICANAL_JWT_SECRET"), "{stderr}");
}

#[test]
fn the_sweep_command_runs_on_the_configured_store() {
    let data_dir = crate::helpers::scratch_dir();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_omnicanal"))
        .arg("sweep")
        .env_clear()
        .env("OMNICANAL_DATA_DIR", &data_dir)
        .output()
        .expect("omnicanal sweep runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("a JSON report");
    assert_eq!(
        report,
        serde_json::json!({
            "reservations_expired": 0,
            "reservations_skipped": 0,
            "loyalty_accounts_expired": 0,
            "orders_expired": 0,
            "orders_skipped": 0,
        })
    );
    let _ = std::fs::remove_dir_all(&data_dir);
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    if !crate::helpers::local_only("a_client_that_never_finishes_its_headers_is_cut_off") {
        return;
    }
    let server = TestServer::start_in(scratch_dir(), &[("OMNICANAL_HEADER_READ_TIMEOUT_SECONDS", "1")]);
    let addr = server.url("").trim_start_matches("http://").trim_end_matches('/').to_owned();
    let mut half_open = Vec::new();
    for _ in 0..20 {
        let mut stream = tokio::net::TcpStream::connect(&addr).await.expect("connect");
        stream.write_all(b"GET /cart/health HTTP/1.1\r\nHost: x\r\n").await.expect("partial headers");
        half_open.push(stream);
    }
    for mut stream in half_open {
        let mut rest = Vec::new();
        // The server closes each one (a liveness bound, far above the 1 s configured, so a
        // slow machine cannot fail it; a server that never closes fails it).
        let closed = tokio::time::timeout(std::time::Duration::from_secs(60), stream.read_to_end(&mut rest)).await;
        assert!(closed.is_ok(), "the half-open connection was closed");
    }
    let response = server.client.get(server.url("/cart/health")).send().await.expect("request");
    assert_eq!(response.status(), 200, "whole requests are still served");
}

#[tokio::test]
async fn requests_hyper_cannot_parse_get_problem_json() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    if !crate::helpers::local_only("requests_hyper_cannot_parse_get_problem_json") {
        return;
    }
    let server = TestServer::start();
    let addr = server.url("").trim_start_matches("http://").trim_end_matches('/').to_owned();
    let malformed: [&[u8]; 3] = [
        b"POST /cart/carts HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
        b"POST /cart/carts HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc",
        b"GET /stock/health HTTP/1.1\r\nHost: x\r\nX-Odd: a\x01b\r\n\r\n",
    ];
    for request in malformed {
        let mut stream = tokio::net::TcpStream::connect(&addr).await.expect("connect");
        stream.write_all(request).await.expect("send");
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.expect("the server answers and closes");
        let answer = String::from_utf8_lossy(&answer);
        let (head, body) = answer.split_once("\r\n\r\n").expect("a head");
        assert!(head.starts_with("HTTP/1.1 400 "), "{head}");
        assert!(head.to_ascii_lowercase().contains("content-type: application/problem+json"), "{head}");
        let problem: serde_json::Value = serde_json::from_str(body).expect("problem JSON");
        assert_eq!(problem["code"], "malformed_request", "{problem}");
        assert!(problem["request_id"].as_str().is_some_and(|id| !id.is_empty()));
    }
    let response = server.client.get(server.url("/cart/health")).send().await.expect("request");
    assert_eq!(response.status(), 200, "well-formed requests are served as before");
}
