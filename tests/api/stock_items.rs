//! Product records through the HTTP contract: create, replace, read.

use omnicanal_pipeline::auth::Role;
use serde_json::json;

use crate::helpers::{TestServer, problem};

#[tokio::test]
async fn create_then_replace_then_read() {
    let server = TestServer::start();
    let staff = server.token("staff-1", &[Role::Staff]);
    let body = json!({"name": "Trail shoe", "category": "shoes",
                      "price": {"amount": 8999, "currency": "EUR"}, "safety_stock": 2, "reorder_point": 5});
    let url = server.url("/stock/items/SHOE-1");
    let created = server.client.put(&url).bearer_auth(&staff).json(&body).send().await.expect("request");
    assert_eq!(created.status(), 201);
    let created: serde_json::Value = created.json().await.expect("json");
    assert_eq!(created["sku"], "SHOE-1");
    assert_eq!(created["price"], json!({"amount": 8999, "currency": "EUR"}));

    let mut changed = body.clone();
    changed["price"]["amount"] = json!(7999);
    let replaced = server.client.put(&url).bearer_auth(&staff).json(&changed).send().await.expect("request");
    assert_eq!(replaced.status(), 200);

    let read = server.client.get(&url).send().await.expect("request");
    assert_eq!(read.status(), 200);
    let read: serde_json::Value = read.json().await.expect("json");
    assert_eq!(read["price"]["amount"], 7999);
    assert_eq!(read["safety_stock"], 2);
    assert_eq!(read["reorder_point"], 5);
    assert!(read["updated_at"].as_str().is_some_and(|t| t.ends_with('Z')));

    problem(server.client.get(server.url("/stock/items/NOPE")).send().await.expect("request"), 404, "not_found").await;
}
