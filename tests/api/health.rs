//! `GET <prefix>/health` on every function, without auth.

use crate::helpers::TestServer;

#[tokio::test]
async fn every_function_answers_health_without_auth() {
    let server = TestServer::start();
    for prefix in ["/cart", "/stock", "/offers", "/loyalty", "/orders"] {
        let response = server.client.get(server.url(&format!("{prefix}/health"))).send().await.expect("request");
        assert_eq!(response.status(), 200, "{prefix}");
        assert_eq!(response.headers()["content-type"], "application/json");
        assert!(response.headers().contains_key("x-request-id"));
        let body: serde_json::Value = response.json().await.expect("json");
        assert_eq!(body, serde_json::json!({"status": "ok"}), "{prefix}");
    }
}

#[tokio::test]
async fn request_ids_are_echoed_and_logged() {
    let server = TestServer::start();
    let response = server
        .client
        .get(server.url("/stock/health"))
        .header("x-request-id", "trace-me-42")
        .send()
        .await
        .expect("request");
    assert_eq!(response.headers()["x-request-id"], "trace-me-42");
    // The log line is written once the answer is built; give the reader thread a moment.
    let mut found = false;
    for _ in 0..50 {
        found = server.logs.lock().expect("logs").iter().any(|line| {
            // The local server flattens event fields; Lambda's JSON format nests them.
            serde_json::from_str::<serde_json::Value>(line).is_ok_and(|event| {
                let fields = if event["fields"].is_object() { &event["fields"] } else { &event };
                fields["request_id"] == "trace-me-42" && fields["status"] == 200
            })
        });
        if found {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    if !found {
        let logs = server.logs.lock().expect("logs");
        let tail: Vec<&String> = logs.iter().rev().take(5).collect();
        panic!("a JSON log line carries the request id and status; last lines: {tail:#?}");
    }
}

#[tokio::test]
async fn cors_preflight_and_answers() {
    let server = TestServer::start();
    let preflight = server
        .client
        .request(reqwest::Method::OPTIONS, server.url("/stock/items/A1"))
        .header("origin", crate::helpers::ORIGIN)
        .header("access-control-request-method", "PUT")
        .send()
        .await
        .expect("request");
    assert_eq!(preflight.status(), 204);
    assert_eq!(preflight.headers()["access-control-allow-origin"], crate::helpers::ORIGIN);
    assert!(preflight.headers()["access-control-allow-headers"].to_str().is_ok_and(|h| h.contains("Idempotency-Key")));

    let foreign = server
        .client
        .get(server.url("/cart/health"))
        .header("origin", "https://elsewhere.test")
        .send()
        .await
        .expect("request");
    assert!(!foreign.headers().contains_key("access-control-allow-origin"));
}
