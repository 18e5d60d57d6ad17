//! Ids that carry the key separator `#` (or `%`, which escapes it): every id of every route is
//! either refused with a 4xx problem or names its own item, never another one's.

use omnicanal_pipeline::auth::Role;
use omnicanal_platform::clock::rfc3339;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestServer, call as send};

fn earning(customer: &str, order_id: &str, amount: i64) -> Value {
    let at = rfc3339(time::OffsetDateTime::now_utc());
    json!({"customer_id": customer, "order_id": order_id, "amount": {"amount": amount, "currency": "EUR"},
           "channel": "web", "at": at})
}

#[tokio::test]
async fn a_customer_id_with_a_separator_never_reaches_another_customers_ledger() {
    let server = TestServer::start();
    let service = server.token("oms", &[Role::Service]);
    let victim = server.token("victim", &[Role::Customer]);
    assert_eq!(
        send(&server, Method::POST, "/loyalty/earn", Some(&service), Some(earning("victim", "o-v", 10_000))).await.0,
        201
    );
    // An account whose key would sit inside the victim's ledger partition.
    for forged in ["victim#LEDGER", "victim%23LEDGER"] {
        let (status, _) = send(
            &server,
            Method::POST,
            "/loyalty/earn",
            Some(&service),
            Some(earning(forged, &format!("o-{forged}"), 500)),
        )
        .await;
        assert_eq!(status, 201, "{forged}");
    }
    let (status, ledger) = send(&server, Method::GET, "/loyalty/me/transactions", Some(&victim), None).await;
    assert_eq!(status, 200, "the victim's ledger still reads: {ledger}");
    let entries = ledger["transactions"].as_array().expect("entries");
    assert_eq!(entries.len(), 1, "only the victim's own entry: {ledger}");
    let (_, me) = send(&server, Method::GET, "/loyalty/me", Some(&victim), None).await;
    assert_eq!(me["balance"], 100);
    let forged = server.token("victim#LEDGER", &[Role::Customer]);
    let (_, theirs) = send(&server, Method::GET, "/loyalty/me", Some(&forged), None).await;
    assert_eq!(theirs["balance"], 5, "the forged account is its own");
}

#[tokio::test]
async fn ids_that_differ_only_around_a_separator_name_different_items() {
    let server = TestServer::start();
    let staff = server.token("staff", &[Role::Staff]);
    let service = server.token("oms", &[Role::Service]);
    let offer = json!({"title": "Ten", "discount": {"percent": 10},
                       "starts_at": "2020-01-01T00:00:00Z", "ends_at": "2099-01-01T00:00:00Z"});
    assert!(matches!(send(&server, Method::PUT, "/offers/TEN", Some(&staff), Some(offer)).await.0, 200 | 201));
    // carol's order `x#y` and order `y` of the subject `carol#x` would share one key.
    let carol = server.token("carol", &[Role::Customer]);
    let carol_x = server.token("carol#x", &[Role::Customer]);
    let first = send(&server, Method::POST, "/offers/TEN/redeem", Some(&carol), Some(json!({"order_id": "x#y"}))).await;
    let second =
        send(&server, Method::POST, "/offers/TEN/redeem", Some(&carol_x), Some(json!({"order_id": "y"}))).await;
    assert_eq!((first.0, second.0), (201, 201), "two redemptions: {first:?} {second:?}");
    assert_eq!(second.1["customer_id"], "carol#x");

    // Order ids and event ids that differ only in how a `#` is written.
    for (a, b) in [("o#1", "o%231"), ("o%1", "o%251")] {
        let one = send(&server, Method::POST, "/loyalty/earn", Some(&service), Some(earning("dora", a, 1000))).await;
        let two = send(&server, Method::POST, "/loyalty/earn", Some(&service), Some(earning("dora", b, 1000))).await;
        assert_eq!((one.0, two.0), (201, 201), "{a} and {b} are two orders");
    }
    send(
        &server,
        Method::PUT,
        "/stock/locations/wh",
        Some(&staff),
        Some(json!({"kind": "warehouse", "name": "wh", "channels": ["web"]})),
    )
    .await;
    send(
        &server,
        Method::PUT,
        "/stock/items/A",
        Some(&staff),
        Some(json!({"name": "A", "category": "t", "price": {"amount": 100, "currency": "EUR"}})),
    )
    .await;
    for event_id in ["e#1", "e%231"] {
        let body = json!({"event_id": event_id, "sku": "A", "location_id": "wh", "delta": 5, "reason": "delivery"});
        let (status, level) = send(&server, Method::POST, "/stock/adjustments", Some(&staff), Some(body)).await;
        assert_eq!(status, 201, "{event_id}: {level}");
    }
    let (_, level) =
        send(&server, Method::PUT, "/stock/items/A/levels/wh", Some(&staff), Some(json!({"on_hand": 10}))).await;
    assert_eq!(level["on_hand"], 10, "both movements applied, then the count");
}

#[tokio::test]
async fn ids_a_route_checks_refuse_separators_with_a_4xx_problem() {
    let server = TestServer::start();
    let staff = server.token("staff", &[Role::Staff]);
    let service = server.token("oms", &[Role::Service]);
    let alice = server.token("alice", &[Role::Customer]);
    let product = json!({"name": "A", "category": "t", "price": {"amount": 100, "currency": "EUR"}});
    let location = json!({"kind": "store", "name": "s", "channels": ["web"]});
    let lines = json!([{"sku": "A", "qty": 1}]);
    let cases: Vec<(Method, String, &str, Option<Value>)> = vec![
        (Method::PUT, "/stock/items/A%23B".into(), &staff, Some(product.clone())),
        (Method::GET, "/stock/items/A%23B".into(), &staff, None),
        (Method::PUT, "/stock/locations/s%23x".into(), &staff, Some(location)),
        (Method::PUT, "/stock/items/A/levels/s%23x".into(), &staff, Some(json!({"on_hand": 1}))),
        (Method::GET, "/stock/availability?sku=A%23B".into(), &staff, None),
        (Method::GET, "/stock/availability?sku=A&location_id=s%23x".into(), &staff, None),
        (
            Method::POST,
            "/stock/reservations".into(),
            &service,
            Some(json!({"reservation_id": "r#1", "lines": lines, "ttl_seconds": 60})),
        ),
        (Method::GET, "/stock/reservations/r%231".into(), &service, None),
        (Method::POST, "/stock/reservations/r%231/commit".into(), &service, None),
        (Method::DELETE, "/stock/reservations/r%231".into(), &service, None),
        (Method::GET, "/cart/carts/c%23x".into(), &alice, None),
        (Method::PUT, "/cart/carts/c%23x/lines/A".into(), &alice, Some(json!({"qty": 1}))),
        (Method::PUT, "/offers/o%23x".into(), &staff, Some(json!({"title": "t"}))),
        (Method::GET, "/offers/o%23x".into(), &staff, None),
        (Method::POST, "/offers/o%23x/redeem".into(), &alice, Some(json!({"order_id": "o-1"}))),
    ];
    for (method, path, token, body) in cases {
        let (status, problem) = send(&server, method.clone(), &path, Some(token), body).await;
        assert!((400..500).contains(&status), "{method} {path}: {status} {problem}");
        assert!(problem["code"].is_string(), "{method} {path}: problem JSON, got {problem}");
    }
}
