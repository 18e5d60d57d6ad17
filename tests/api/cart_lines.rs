//! A line write is one conditional update that assumes the cart is open, the caller's, the
//! line's stamp older, the quantity different and the limits kept: each assumption that
//! fails must still end in the contract's answer, with nothing changed unless the general
//! path writes.

use omnicanal_pipeline::auth::Role;
use serde_json::{Value, json};

use crate::cart::{Shop, id, lines};
use crate::helpers::{TestServer, problem};

fn rfc3339(at: time::OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339).expect("a time")
}

async fn cart_of(response: reqwest::Response) -> Value {
    assert_eq!(response.status(), 200, "a line write answers 200");
    response.json().await.expect("cart")
}

#[tokio::test]
async fn limits_and_no_ops_hold_without_a_read() {
    let server = TestServer::start();
    let shop = Shop::new(&server);
    let cart_id = id(&shop.anonymous().await);
    let hundred: Vec<Value> = (0..100)
        .map(|i| json!({"op": "set", "sku": format!("S{i:03}"), "qty": 1, "at": "2026-11-22T10:00:00Z"}))
        .collect();
    let full = cart_of(shop.sync(&cart_id, &json!({"device_id": "d", "ops": hundred})).await).await;
    assert_eq!(lines(&full).len(), 100);

    let refused = problem(shop.put_line(&cart_id, "S100", json!(1), None).await, 422, "validation_failed").await;
    assert_eq!(refused["errors"][0]["field"], "lines", "the 101st line");
    let changed = cart_of(shop.put_line(&cart_id, "S042", json!(3), None).await).await;
    assert_eq!(changed["version"], full["version"].as_u64().expect("v") + 1, "a full cart's line still changes");
    let same = cart_of(shop.put_line(&cart_id, "S042", json!(3), None).await).await;
    assert_eq!(same["version"], changed["version"], "the same quantity again writes nothing");
    let removed = cart_of(shop.put_line(&cart_id, "S042", json!(0), None).await).await;
    assert_eq!(lines(&removed).len(), 99);
    let readded = cart_of(shop.put_line(&cart_id, "S100", json!(2), None).await).await;
    assert_eq!(lines(&readded).len(), 100, "a freed place takes a new line");
    problem(shop.put_line(&cart_id, "S042", json!(1), None).await, 422, "validation_failed").await;
}

#[tokio::test]
async fn a_line_stamped_ahead_by_a_client_is_still_overwritten() {
    let server = TestServer::start();
    let shop = Shop::new(&server);
    let cart_id = id(&shop.anonymous().await);
    // Four minutes ahead: within the clamp, so the client's stamp is kept as sent.
    let ahead = rfc3339(time::OffsetDateTime::now_utc() + time::Duration::minutes(4));
    let ops = json!({"device_id": "phone", "ops": [{"op": "set", "sku": "MUG-1", "qty": 5, "at": ahead}]});
    cart_of(shop.sync(&cart_id, &ops).await).await;
    let cart = cart_of(shop.put_line(&cart_id, "MUG-1", json!(2), None).await).await;
    assert_eq!(lines(&cart), vec![("MUG-1".into(), 2)], "the server's write wins as the caller expects");
    let cart = cart_of(shop.put_line(&cart_id, "MUG-1", json!(0), None).await).await;
    assert!(lines(&cart).is_empty(), "and so does its removal");
}

#[tokio::test]
async fn owners_and_versions_are_checked_by_the_update_itself() {
    let server = TestServer::start();
    let shop = Shop::new(&server);
    let alice = server.token("alice", &[Role::Customer]);
    let bob = server.token("bob", &[Role::Customer]);
    let hers: Value = shop.create(Some(&alice)).await.json().await.expect("cart");
    let hers_id = id(&hers);
    let written = cart_of(shop.put_line(&hers_id, "A1", json!(1), Some(&alice)).await).await;
    assert_eq!(written["expires_at"], Value::Null, "a customer's cart never expires");

    problem(shop.put_line(&hers_id, "A1", json!(9), Some(&bob)).await, 403, "forbidden").await;
    problem(shop.put_line(&hers_id, "A1", json!(9), None).await, 401, "unauthenticated").await;
    problem(shop.put_line(&hers_id, "A1", json!(9), Some("not-a-token")).await, 401, "invalid_token").await;
    let stale = shop
        .request(reqwest::Method::DELETE, &format!("/cart/carts/{hers_id}/lines/A1"), Some(&alice))
        .header("if-match", "\"1\"")
        .send()
        .await
        .expect("delete");
    let body = problem(stale, 412, "version_mismatch").await;
    assert_eq!(body["cart"]["version"], written["version"], "the current cart comes with the 412");
    let unchanged: Value = shop.get(&hers_id, Some(&alice)).await.json().await.expect("cart");
    assert_eq!(unchanged["version"], written["version"], "no refused write changed anything");
    assert_eq!(lines(&unchanged), vec![("A1".into(), 1)]);

    // A signed-in customer may still hold an anonymous cart's id (before merging it).
    let anonymous = shop.anonymous().await;
    let anonymous_id = id(&anonymous);
    let cart = cart_of(shop.put_line(&anonymous_id, "B2", json!(2), Some(&alice)).await).await;
    assert_eq!(lines(&cart), vec![("B2".into(), 2)]);
    assert_eq!(cart["customer_id"], Value::Null, "it stays anonymous");
    assert!(cart["expires_at"].as_str().is_some(), "and keeps expiring");
}
