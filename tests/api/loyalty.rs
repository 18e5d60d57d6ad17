//! The loyalty function: earn, redeem, reverse, expire, the ledger's paging, the race of
//! redemptions, and bad input.

use omnicanal_pipeline::auth::Role;
use omnicanal_platform::clock::rfc3339;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestServer, problem};

async fn send(server: &TestServer, method: Method, path: &str, token: &str, body: Option<Value>) -> reqwest::Response {
    let mut request = server.client.request(method, server.url(path)).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.expect("request")
}

fn ago(days: i64) -> String {
    rfc3339(time::OffsetDateTime::now_utc() - time::Duration::days(days))
}

fn order(customer: &str, order_id: &str, amount: i64, channel: &str, at: &str) -> Value {
    json!({"customer_id": customer, "order_id": order_id, "amount": {"amount": amount, "currency": "EUR"},
           "channel": channel, "at": at})
}

async fn earn(server: &TestServer, service: &str, body: Value) -> (u16, Value) {
    let response = send(server, Method::POST, "/loyalty/earn", service, Some(body)).await;
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

async fn me(server: &TestServer, token: &str) -> Value {
    send(server, Method::GET, "/loyalty/me", token, None).await.json().await.expect("me")
}

async fn ledger(server: &TestServer, token: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut path = "/loyalty/me/transactions?limit=2".to_owned();
    loop {
        let page: Value = send(server, Method::GET, &path, token, None).await.json().await.expect("page");
        all.extend(page["transactions"].as_array().expect("transactions").iter().cloned());
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/loyalty/me/transactions?limit=2&cursor={cursor}"),
            None => return all,
        }
    }
}

fn sum(entries: &[Value]) -> i64 {
    entries.iter().map(|e| e["points"].as_i64().expect("points")).sum()
}

#[tokio::test]
async fn earning_follows_the_rules_once_per_order() {
    let server = TestServer::start();
    let service = server.token("oms", &[Role::Service]);
    let gina = server.token("gina", &[Role::Customer]);
    let now = ago(0);
    let (status, first) = earn(&server, &service, order("gina", "o-1", 12_345, "web", &now)).await;
    assert_eq!(status, 201);
    assert_eq!(first, json!({"points": 123, "balance": 123, "tier": "bronze"}));
    let (status, again) = earn(&server, &service, order("gina", "o-1", 12_345, "web", &now)).await;
    assert_eq!((status, &again), (200, &first), "an order earns once");
    let (_, second) = earn(&server, &service, order("gina", "o-2", 10_000, "store:paris", &now)).await;
    assert_eq!(second["points"], 110, "+10% for a second channel this month");
    let account = me(&server, &gina).await;
    assert_eq!(account["balance"], 233);
    assert_eq!(account["lifetime_points"], 233);
    assert_eq!(account["tier"], "bronze");
    assert_eq!(account["channels_this_period"], json!(["store:paris", "web"]));
    assert_eq!(account["expiring"], json!([]));
    let (status, _) = earn(&server, &service, order("someone-else", "o-1", 1_000, "web", &now)).await;
    assert_eq!(status, 409, "an order belongs to one customer");
}

#[tokio::test]
async fn eight_racing_redemptions_never_overdraw() {
    let server = TestServer::start();
    let service = server.token("oms", &[Role::Service]);
    let hal = server.token("hal", &[Role::Customer]);
    earn(&server, &service, order("hal", "big", 10_000, "web", &ago(0))).await;
    let attempts = (0..8).map(|i| {
        let (server, hal) = (&server, &hal);
        async move {
            let body = json!({"points": 30, "order_id": format!("r-{i}")});
            send(server, Method::POST, "/loyalty/redeem", hal, Some(body)).await.status().as_u16()
        }
    });
    let statuses = futures::future::join_all(attempts).await;
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 3, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 5, "{statuses:?}");
    assert_eq!(me(&server, &hal).await["balance"], 10);
    let entries = ledger(&server, &hal).await;
    assert_eq!(entries.len(), 4);
    assert_eq!(sum(&entries), 10, "the balance is the sum of the ledger");
    let won = statuses.iter().position(|s| *s == 201).expect("a winner");
    let replay = send(
        &server,
        Method::POST,
        "/loyalty/redeem",
        &hal,
        Some(json!({"points": 30, "order_id": format!("r-{won}")})),
    )
    .await;
    assert_eq!(replay.status(), 200, "the same redemption again");
    let short =
        send(&server, Method::POST, "/loyalty/redeem", &hal, Some(json!({"points": 11, "order_id": "x"}))).await;
    let body = problem(short, 409, "insufficient_points").await;
    assert_eq!(body["balance"], 10);
}

#[tokio::test]
async fn a_reversal_can_go_negative_and_earnings_pay_it_back() {
    let server = TestServer::start();
    let service = server.token("oms", &[Role::Service]);
    let ida = server.token("ida", &[Role::Customer]);
    earn(&server, &service, order("ida", "o-1", 10_000, "web", &ago(0))).await;
    send(&server, Method::POST, "/loyalty/redeem", &ida, Some(json!({"points": 80, "order_id": "spend"}))).await;
    let reversed = send(&server, Method::POST, "/loyalty/reverse", &service, Some(json!({"order_id": "o-1"}))).await;
    assert_eq!(reversed.status(), 201);
    let reversed: Value = reversed.json().await.expect("json");
    assert_eq!((reversed["points"].as_i64(), reversed["balance"].as_i64()), (Some(-100), Some(-80)));
    let again = send(&server, Method::POST, "/loyalty/reverse", &service, Some(json!({"order_id": "o-1"}))).await;
    assert_eq!(again.status(), 200, "reversed once");
    let (_, paid) = earn(&server, &service, order("ida", "o-2", 15_000, "web", &ago(0))).await;
    assert_eq!(paid["balance"], 70, "the debt is paid back first");
    let unknown = send(&server, Method::POST, "/loyalty/reverse", &service, Some(json!({"order_id": "never"}))).await;
    problem(unknown, 404, "not_found").await;
    let entries = ledger(&server, &ida).await;
    let kinds: Vec<&str> = entries.iter().filter_map(|e| e["type"].as_str()).collect();
    assert_eq!(kinds, vec!["earn", "reverse", "redeem", "earn"], "newest first");
    assert_eq!(sum(&entries), 70);
}

#[tokio::test]
async fn old_points_expire_and_soon_lapsing_ones_are_shown() {
    let server = TestServer::start();
    let service = server.token("oms", &[Role::Service]);
    let jo = server.token("jo", &[Role::Customer]);
    earn(&server, &service, order("jo", "ancient", 50_000, "web", &ago(400))).await;
    earn(&server, &service, order("jo", "soon", 20_000, "web", &ago(350))).await;
    earn(&server, &service, order("jo", "fresh", 10_000, "app", &ago(1))).await;
    let account = me(&server, &jo).await;
    let expiring = account["expiring"].as_array().expect("expiring");
    assert_eq!(expiring.len(), 1);
    // "soon" earned at silver: 500.00 were spent in the 365 days before it.
    assert_eq!(expiring[0]["points"], 250);
    assert_eq!(account["balance"], 250 + 100, "the 400-day-old points lapsed");
    let entries = ledger(&server, &jo).await;
    assert!(entries.iter().any(|e| e["type"] == "expire" && e["points"] == -500 && e["order_id"] == "ancient"));
    assert_eq!(sum(&entries), 350);
    assert_eq!(account["tier"], "bronze", "300.00 spent in the last 365 days");
}

#[tokio::test]
async fn bad_input_is_refused() {
    let server = TestServer::start();
    let service = server.token("oms", &[Role::Service]);
    let kim = server.token("kim", &[Role::Customer]);
    problem(
        send(&server, Method::POST, "/loyalty/earn", &kim, Some(order("kim", "o", 1000, "web", &ago(0)))).await,
        403,
        "forbidden",
    )
    .await;
    problem(
        send(&server, Method::POST, "/loyalty/earn", &service, Some(order("kim", "o", 0, "web", &ago(0)))).await,
        422,
        "validation_failed",
    )
    .await;
    problem(
        send(&server, Method::POST, "/loyalty/earn", &service, Some(order("kim", "o", 1000, "fax", &ago(0)))).await,
        422,
        "validation_failed",
    )
    .await;
    for points in [json!(0), json!(-5)] {
        let response =
            send(&server, Method::POST, "/loyalty/redeem", &kim, Some(json!({"points": points, "order_id": "x"})))
                .await;
        problem(response, 422, "validation_failed").await;
    }
    let typed =
        send(&server, Method::POST, "/loyalty/redeem", &kim, Some(json!({"points": "many", "order_id": "x"}))).await;
    problem(typed, 400, "invalid_request").await;
    problem(
        send(&server, Method::POST, "/loyalty/reverse", &kim, Some(json!({"order_id": "x"}))).await,
        403,
        "forbidden",
    )
    .await;
    problem(
        send(&server, Method::GET, "/loyalty/me/transactions?cursor=garbage", &kim, None).await,
        400,
        "invalid_cursor",
    )
    .await;
    assert_eq!(me(&server, &kim).await["balance"], 0, "nothing changed");
}

#[tokio::test]
async fn earnings_count_only_in_the_programmes_currency() {
    let server = TestServer::start();
    let service = server.token("oms", &[Role::Service]);
    let now = ago(0);
    for (i, code) in ["JPY", "KWD", "USD"].iter().enumerate() {
        let mut body = order("yuki", &format!("fx-{i}"), 10_000, "web", &now);
        body["amount"]["currency"] = json!(code);
        let response = send(&server, Method::POST, "/loyalty/earn", &service, Some(body)).await;
        let problem = problem(response, 422, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], "amount.currency", "{code}: {problem}");
    }
    let mut made_up = order("yuki", "fx-zzz", 10_000, "web", &now);
    made_up["amount"]["currency"] = json!("ZZZ");
    let response = send(&server, Method::POST, "/loyalty/earn", &service, Some(made_up)).await;
    let problem = problem(response, 400, "invalid_request").await;
    assert_eq!(problem["errors"][0]["field"], "amount.currency", "{problem}");
    let yuki = server.token("yuki", &[Role::Customer]);
    assert_eq!(me(&server, &yuki).await["balance"], 0, "nothing was earned");
    let (status, _) = earn(&server, &service, order("yuki", "eur-1", 10_000, "web", &now)).await;
    assert_eq!(status, 201);
    assert_eq!(me(&server, &yuki).await["balance"], 100);
}

/// An account is one item, and DynamoDB refuses items over 400 KB: 5,000 earnings spread over
/// a year (about 2,000 broke every later earning when each kept its own lot and spend entry)
/// all succeed, and the balance is still their sum. On the DynamoDB server, 400: every day of
/// the year, the account's worst case.
#[tokio::test]
async fn five_thousand_earnings_for_one_customer_all_succeed() {
    let server = TestServer::start();
    let service = server.token("oms", &[Role::Service]);
    let max = server.token("max", &[Role::Customer]);
    let mut total = 0;
    let count = crate::helpers::volume("five_thousand_earnings_for_one_customer_all_succeed", 5_000, 400);
    for i in 0..i64::try_from(count).expect("small") {
        // A day of the last year for each, out of order, through many stores.
        let body = order("max", &format!("o-{i}"), 1_000 + i, &format!("store:s{}", i % 40), &ago(i * 7919 % 364));
        let (status, answer) = earn(&server, &service, body).await;
        assert_eq!(status, 201, "earning {i}: {answer}");
        total += answer["points"].as_i64().expect("points");
    }
    let account = me(&server, &max).await;
    assert_eq!(account["balance"], total);
    assert_eq!(account["lifetime_points"], total);
}
