//! The offers function: definitions, behaviour events, ranked and explained offers, and
//! redemptions whose limits hold under races.

use omnicanal_pipeline::auth::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestServer, problem};

async fn send(
    server: &TestServer,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> reqwest::Response {
    let mut request = server.client.request(method, server.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.expect("request")
}

fn definition(title: &str) -> Value {
    json!({"title": title, "discount": {"percent": 10},
           "starts_at": "2020-01-01T00:00:00Z", "ends_at": "2099-01-01T00:00:00Z"})
}

async fn put_offer(server: &TestServer, staff: &str, id: &str, body: Value) {
    let response = send(server, Method::PUT, &format!("/offers/{id}"), Some(staff), Some(body)).await;
    assert!(response.status().is_success(), "{id}: {}", response.status());
}

async fn catalog(server: &TestServer, staff: &str) {
    for (sku, category, price) in [("SHOE-1", "shoes", 8000), ("SOCK-1", "socks", 500)] {
        let body = json!({"name": sku, "category": category, "price": {"amount": price, "currency": "EUR"}});
        let response = send(server, Method::PUT, &format!("/stock/items/{sku}"), Some(staff), Some(body)).await;
        assert!(response.status().is_success());
    }
}

#[tokio::test]
async fn definitions_are_validated_strictly() {
    let server = TestServer::start();
    let staff = server.token("staff-1", &[Role::Staff]);
    let created = send(&server, Method::PUT, "/offers/welcome", Some(&staff), Some(definition("Welcome"))).await;
    assert_eq!(created.status(), 201);
    let replaced = send(&server, Method::PUT, "/offers/welcome", Some(&staff), Some(definition("Welcome back"))).await;
    assert_eq!(replaced.status(), 200);
    let got: Value = send(&server, Method::GET, "/offers/welcome", None, None).await.json().await.expect("offer");
    assert_eq!(got["title"], "Welcome back");
    assert_eq!(got["offer_id"], "welcome");

    let mut cases: Vec<(Value, u16, &str)> = Vec::new();
    let with = |field: &str, value: Value| {
        let mut body = definition("x");
        body[field] = value;
        body
    };
    cases.push((with("discount", json!({"percent": 0})), 422, "discount.percent"));
    cases.push((with("discount", json!({"percent": 101})), 422, "discount.percent"));
    cases.push((
        with("discount", json!({"percent": 5, "amount": {"amount": 100, "currency": "EUR"}})),
        422,
        "discount",
    ));
    cases.push((with("discount", json!({"amount": {"amount": -5, "currency": "EUR"}})), 422, "discount.amount.amount"));
    let mut mixed = with("discount", json!({"amount": {"amount": 500, "currency": "EUR"}}));
    mixed["min_subtotal"] = json!({"amount": 5000, "currency": "USD"});
    cases.push((mixed, 422, "min_subtotal.currency"));
    cases.push((with("ends_at", json!("2019-01-01T00:00:00Z")), 422, "ends_at"));
    cases.push((with("channels", json!(["fax"])), 422, "channels[0]"));
    cases.push((with("per_customer_limit", json!(0)), 422, "per_customer_limit"));
    for (body, status, field) in cases {
        let response = send(&server, Method::PUT, "/offers/bad", Some(&staff), Some(body)).await;
        let problem_body = problem(response, status, "validation_failed").await;
        assert_eq!(problem_body["errors"][0]["field"], field);
    }
    let tier = with("tiers", json!(["platinum"]));
    problem(send(&server, Method::PUT, "/offers/bad", Some(&staff), Some(tier)).await, 400, "invalid_request").await;
    let customer = server.token("c", &[Role::Customer]);
    problem(send(&server, Method::PUT, "/offers/bad", Some(&customer), Some(definition("x"))).await, 403, "forbidden")
        .await;
    problem(send(&server, Method::GET, "/offers/bad", None, None).await, 404, "not_found").await;
}

#[tokio::test]
async fn offers_for_me_are_eligible_ranked_and_explained() {
    let server = TestServer::start();
    let staff = server.token("staff-1", &[Role::Staff]);
    let dana = server.token("dana", &[Role::Customer]);
    catalog(&server, &staff).await;
    let mut shoes = definition("10% on shoes");
    shoes["applies_to"] = json!({"categories": ["shoes"]});
    shoes["affinity_categories"] = json!(["shoes"]);
    put_offer(&server, &staff, "shoes10", shoes).await;
    let mut five = definition("5 off over 50");
    five["discount"] = json!({"amount": {"amount": 500, "currency": "EUR"}});
    five["min_subtotal"] = json!({"amount": 5000, "currency": "EUR"});
    put_offer(&server, &staff, "five-off", five).await;
    let mut app = definition("app only");
    app["channels"] = json!(["app"]);
    put_offer(&server, &staff, "app-only", app).await;
    let mut gold = definition("gold only");
    gold["tiers"] = json!(["gold"]);
    put_offer(&server, &staff, "gold-only", gold).await;
    let mut hats = definition("hat lovers");
    hats["affinity_categories"] = json!(["hats"]);
    put_offer(&server, &staff, "hats", hats).await;
    let mut later = definition("later");
    later["starts_at"] = json!("2098-01-01T00:00:00Z");
    put_offer(&server, &staff, "later", later).await;

    let cart: Value = send(&server, Method::POST, "/cart/carts", Some(&dana), None).await.json().await.expect("cart");
    let cart_id = cart["cart_id"].as_str().expect("id").to_owned();
    for (sku, qty) in [("SHOE-1", 1), ("SOCK-1", 2)] {
        let path = format!("/cart/carts/{cart_id}/lines/{sku}");
        assert_eq!(send(&server, Method::PUT, &path, Some(&dana), Some(json!({"qty": qty}))).await.status(), 200);
    }
    let now = time::OffsetDateTime::now_utc();
    let at = omnicanal_platform::clock::rfc3339(now);
    let events = json!({"events": [
        {"type": "view", "sku": "SHOE-1", "at": at}, {"type": "add_to_cart", "category": "shoes", "at": at}]});
    let recorded = send(&server, Method::POST, "/offers/events", Some(&dana), Some(events)).await;
    assert_eq!(recorded.status(), 200);
    let recorded: Value = recorded.json().await.expect("profile");
    assert!(recorded["affinity"]["shoes"].as_f64().is_some_and(|s| (s - 4.0).abs() < 0.01), "{recorded}");

    let me = |channel: &'static str| {
        let request = server
            .client
            .get(server.url(&format!("/offers/me?cart_id={cart_id}")))
            .bearer_auth(&dana)
            .header("x-channel", channel);
        async move { request.send().await.expect("me").json::<Value>().await.expect("offers") }
    };
    let web = me("web").await;
    let ids: Vec<&str> =
        web["offers"].as_array().expect("offers").iter().filter_map(|o| o["offer_id"].as_str()).collect();
    // five-off: 500 + 2000 (shoes affinity via the cart's shoes) = 2500 + 0; shoes10: 800 + 2000 = 2800;
    // the plain ones (app-only excluded on web) are not here; gold-only, hats, later are not eligible.
    assert_eq!(ids, vec!["shoes10", "five-off"], "{web}");
    let first = &web["offers"][0];
    assert_eq!(first["saving"], json!({"amount": 800, "currency": "EUR"}));
    let reasons: Vec<&str> = first["reasons"].as_array().expect("reasons").iter().filter_map(|r| r.as_str()).collect();
    assert!(reasons.contains(&"10% off shoes"), "{reasons:?}");
    assert!(reasons.contains(&"you often look at shoes"), "{reasons:?}");
    assert_eq!(web["offers"][1]["reasons"][0], "5.00 EUR off your whole cart over 50.00 EUR");
    assert_eq!(me("web").await, web, "the same inputs give the same order");
    let app = me("app").await;
    assert!(app["offers"].as_array().expect("offers").iter().any(|o| o["offer_id"] == "app-only"));

    let eve = server.token("eve", &[Role::Customer]);
    let other = server
        .client
        .get(server.url(&format!("/offers/me?cart_id={cart_id}")))
        .bearer_auth(&eve)
        .send()
        .await
        .expect("me");
    problem(other, 403, "forbidden").await;
    let bad_event = json!({"events": [{"type": "stare", "sku": "SHOE-1", "at": at}]});
    problem(send(&server, Method::POST, "/offers/events", Some(&dana), Some(bad_event)).await, 400, "invalid_request")
        .await;
    let unknown = json!({"events": [{"type": "view", "sku": "NOPE", "at": at}]});
    problem(send(&server, Method::POST, "/offers/events", Some(&dana), Some(unknown)).await, 422, "validation_failed")
        .await;
}

#[tokio::test]
async fn redemptions_count_once_and_limits_hold_under_races() {
    let server = TestServer::start();
    let staff = server.token("staff-1", &[Role::Staff]);
    let frank = server.token("frank", &[Role::Customer]);
    let mut once = definition("once per customer");
    once["per_customer_limit"] = json!(1);
    put_offer(&server, &staff, "once", once).await;

    let attempts = (0..8).map(|i| {
        let (server, frank) = (&server, &frank);
        async move {
            let body = json!({"order_id": format!("order-{i}")});
            send(server, Method::POST, "/offers/once/redeem", Some(frank), Some(body)).await.status().as_u16()
        }
    });
    let statuses = futures::future::join_all(attempts).await;
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 7, "{statuses:?}");

    // The winning order again: the same redemption, counted once.
    let winner = (0..8).find(|i| statuses[*i] == 201).map(|i| format!("order-{i}")).expect("a winner");
    let again =
        send(&server, Method::POST, "/offers/once/redeem", Some(&frank), Some(json!({"order_id": winner}))).await;
    assert_eq!(again.status(), 200);
    let loser =
        send(&server, Method::POST, "/offers/once/redeem", Some(&frank), Some(json!({"order_id": "another"}))).await;
    problem(loser, 409, "offer_limit_reached").await;

    let mut total = definition("two in all");
    total["total_limit"] = json!(2);
    put_offer(&server, &staff, "two", total).await;
    let service = server.token("oms", &[Role::Service]);
    for (customer, status) in [("a", 201), ("b", 201), ("c", 409)] {
        let body = json!({"order_id": "o1", "customer_id": customer});
        assert_eq!(
            send(&server, Method::POST, "/offers/two/redeem", Some(&service), Some(body)).await.status(),
            status
        );
    }
    let mut past = definition("over");
    past["starts_at"] = json!("2020-01-01T00:00:00Z");
    past["ends_at"] = json!("2020-02-01T00:00:00Z");
    put_offer(&server, &staff, "over", past).await;
    let late = send(&server, Method::POST, "/offers/over/redeem", Some(&frank), Some(json!({"order_id": "x"}))).await;
    problem(late, 409, "offer_not_active").await;
    let nobody = send(&server, Method::POST, "/offers/two/redeem", None, Some(json!({"order_id": "x"}))).await;
    problem(nobody, 401, "unauthenticated").await;
    let no_customer =
        send(&server, Method::POST, "/offers/two/redeem", Some(&service), Some(json!({"order_id": "x"}))).await;
    problem(no_customer, 422, "validation_failed").await;
}

#[tokio::test]
async fn an_offer_redeems_only_where_it_is_eligible() {
    let server = TestServer::start();
    let staff = server.token("staff", &[Role::Staff]);
    let bronze = server.token("bronze-web", &[Role::Customer]);
    let mut exclusive = definition("Gold app club");
    exclusive["tiers"] = json!(["gold"]);
    exclusive["channels"] = json!(["app"]);
    exclusive["min_subtotal"] = json!({"amount": 1_000_000, "currency": "EUR"});
    put_offer(&server, &staff, "gold-app", exclusive).await;
    let refused =
        send(&server, Method::POST, "/offers/gold-app/redeem", Some(&bronze), Some(json!({"order_id": "o-1"}))).await;
    problem(refused, 409, "offer_not_eligible").await;

    // Each rule alone refuses too; the same customer with a cart that qualifies redeems.
    catalog(&server, &staff).await;
    let mut over_100 = definition("Over 100");
    over_100["min_subtotal"] = json!({"amount": 10_000, "currency": "EUR"});
    put_offer(&server, &staff, "over-100", over_100).await;
    let empty =
        send(&server, Method::POST, "/offers/over-100/redeem", Some(&bronze), Some(json!({"order_id": "o-2"}))).await;
    problem(empty, 409, "offer_not_eligible").await;
    let cart: Value = send(&server, Method::POST, "/cart/carts", Some(&bronze), None).await.json().await.expect("cart");
    let id = cart["cart_id"].as_str().expect("id");
    let line =
        send(&server, Method::PUT, &format!("/cart/carts/{id}/lines/SHOE-1"), Some(&bronze), Some(json!({"qty": 2})))
            .await;
    assert_eq!(line.status(), 200);
    let redeemed =
        send(&server, Method::POST, "/offers/over-100/redeem", Some(&bronze), Some(json!({"order_id": "o-2"}))).await;
    assert_eq!(redeemed.status(), 201, "160.00 EUR in the cart");
    let mut app_only = definition("App");
    app_only["channels"] = json!(["app"]);
    put_offer(&server, &staff, "app-only", app_only).await;
    let on_web =
        send(&server, Method::POST, "/offers/app-only/redeem", Some(&bronze), Some(json!({"order_id": "o-3"}))).await;
    problem(on_web, 409, "offer_not_eligible").await;
    let on_app = server
        .client
        .post(server.url("/offers/app-only/redeem"))
        .bearer_auth(&bronze)
        .header("x-channel", "app")
        .json(&json!({"order_id": "o-3"}))
        .send()
        .await
        .expect("request");
    assert_eq!(on_app.status(), 201);
}
