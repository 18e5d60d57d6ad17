//! Every kind of bad input gets the right problem JSON, and changes nothing.

use omnicanal_pipeline::auth::Role;
use serde_json::json;

use crate::helpers::{TestServer, problem};

fn product() -> serde_json::Value {
    json!({"name": "Trail shoe", "category": "shoes", "price": {"amount": 8999, "currency": "EUR"},
           "safety_stock": 1, "reorder_point": 3})
}

#[tokio::test]
async fn unknown_routes_are_404_and_wrong_methods_405() {
    let server = TestServer::start();
    for path in ["/cart/nothing-here", "/nowhere", "/", "/stock/items"] {
        let response = server.client.get(server.url(path)).send().await.expect("request");
        problem(response, 404, "route_not_found").await;
    }
    let response = server.client.post(server.url("/stock/items/A1")).send().await.expect("request");
    assert_eq!(response.headers()["allow"], "PUT, GET");
    problem(response, 405, "method_not_allowed").await;
}

#[tokio::test]
async fn malformed_unknown_wrong_typed_and_invalid_bodies() {
    let server = TestServer::start();
    let staff = server.token("staff-1", &[Role::Staff]);
    let put = |body: String| {
        server
            .client
            .put(server.url("/stock/items/SHOE-1"))
            .bearer_auth(&staff)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };

    problem(put("{\"name\": ".into()).await.expect("request"), 400, "malformed_json").await;
    problem(put(String::new()).await.expect("request"), 400, "malformed_json").await;

    let mut unknown = product();
    unknown["colour"] = json!("red");
    let body = problem(put(unknown.to_string()).await.expect("request"), 400, "invalid_request").await;
    assert!(body["errors"][0]["message"].as_str().is_some_and(|m| m.contains("colour")), "{body}");

    let mut wrong_type = product();
    wrong_type["price"]["amount"] = json!("lots");
    let body = problem(put(wrong_type.to_string()).await.expect("request"), 400, "invalid_request").await;
    assert_eq!(body["errors"][0]["field"], "price.amount");

    let mut out_of_range = product();
    out_of_range["safety_stock"] = json!(-1);
    let body = problem(put(out_of_range.to_string()).await.expect("request"), 400, "invalid_request").await;
    assert_eq!(body["errors"][0]["field"], "safety_stock");

    let mut invalid = product();
    invalid["name"] = json!("");
    invalid["price"]["amount"] = json!(-5);
    let body = problem(put(invalid.to_string()).await.expect("request"), 422, "validation_failed").await;
    let fields: Vec<&str> =
        body["errors"].as_array().into_iter().flatten().filter_map(|e| e["field"].as_str()).collect();
    assert_eq!(fields, vec!["name", "price.amount"]);

    let bad_sku = server
        .client
        .put(server.url("/stock/items/has%20space"))
        .bearer_auth(&staff)
        .json(&product())
        .send()
        .await
        .expect("request");
    problem(bad_sku, 400, "invalid_sku").await;

    // None of the refused writes created the record.
    let read = server.client.get(server.url("/stock/items/SHOE-1")).send().await.expect("request");
    problem(read, 404, "not_found").await;
}

#[tokio::test]
async fn oversized_bodies_are_413_and_change_nothing() {
    let server = TestServer::start();
    let staff = server.token("staff-1", &[Role::Staff]);
    let mut huge = product();
    huge["name"] = json!("x".repeat(70 * 1024));
    let response = server
        .client
        .put(server.url("/stock/items/SHOE-1"))
        .bearer_auth(&staff)
        .json(&huge)
        .send()
        .await
        .expect("request");
    let body = problem(response, 413, "payload_too_large").await;
    assert!(body["detail"].as_str().is_some_and(|d| d.contains("65536")));
    let read = server.client.get(server.url("/stock/items/SHOE-1")).send().await.expect("request");
    problem(read, 404, "not_found").await;
}

#[tokio::test]
async fn non_json_media_type_is_415_and_bad_channel_400() {
    let server = TestServer::start();
    let staff = server.token("staff-1", &[Role::Staff]);
    let response = server
        .client
        .put(server.url("/stock/items/SHOE-1"))
        .bearer_auth(&staff)
        .header("content-type", "text/plain")
        .body(product().to_string())
        .send()
        .await
        .expect("request");
    problem(response, 415, "unsupported_media_type").await;
    // JSON without a label, or labelled in another charset than UTF-8, is refused too.
    for content_type in [None, Some("application/json; charset=utf-16"), Some("application/json;charset=latin1")] {
        let mut request = server.client.put(server.url("/stock/items/SHOE-1")).bearer_auth(&staff);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let response = request.body(product().to_string()).send().await.expect("request");
        problem(response, 415, "unsupported_media_type").await;
    }
    let missing = server.client.get(server.url("/stock/items/SHOE-1")).send().await.expect("request");
    problem(missing, 404, "not_found").await;

    let response =
        server.client.get(server.url("/stock/items/SHOE-1")).header("x-channel", "fax").send().await.expect("request");
    let body = problem(response, 400, "invalid_channel").await;
    assert_eq!(body["errors"][0]["field"], "X-Channel");

    let response = server
        .client
        .put(server.url("/stock/items/SHOE-1"))
        .bearer_auth(&staff)
        .header("idempotency-key", "")
        .json(&product())
        .send()
        .await
        .expect("request");
    // PUT ignores Idempotency-Key (only POSTs use it), so the write goes through.
    assert_eq!(response.status(), 201);
}
