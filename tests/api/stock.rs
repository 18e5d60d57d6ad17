//! The stock function: locations, levels, movements, availability, reservations, reorder,
//! the race for the last units, expiry, and bad inputs.

use omnicanal_pipeline::auth::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestServer, problem};

struct Desk<'a> {
    server: &'a TestServer,
    staff: String,
    service: String,
}

impl<'a> Desk<'a> {
    fn new(server: &'a TestServer) -> Self {
        Self { server, staff: server.token("staff-1", &[Role::Staff]), service: server.token("oms", &[Role::Service]) }
    }

    async fn send(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> reqwest::Response {
        let mut request = self.server.client.request(method, self.server.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.expect("request")
    }

    async fn ok(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Value {
        let response = self.send(method, path, token, body).await;
        assert!(response.status().is_success(), "{path}: {}", response.status());
        response.json().await.expect("json")
    }

    async fn location(&self, id: &str, kind: &str, channels: &[&str]) {
        let body = json!({"kind": kind, "name": id, "channels": channels});
        self.ok(Method::PUT, &format!("/stock/locations/{id}"), Some(&self.staff), Some(body)).await;
    }

    async fn product(&self, sku: &str, safety: u32, reorder: u32) {
        let body = json!({"name": sku, "category": "test", "price": {"amount": 1000, "currency": "EUR"},
                          "safety_stock": safety, "reorder_point": reorder});
        self.ok(Method::PUT, &format!("/stock/items/{sku}"), Some(&self.staff), Some(body)).await;
    }

    async fn level(&self, sku: &str, location: &str, on_hand: i64) -> Value {
        let path = format!("/stock/items/{sku}/levels/{location}");
        self.ok(Method::PUT, &path, Some(&self.staff), Some(json!({"on_hand": on_hand}))).await
    }

    async fn availability(&self, query: &str, channel: &str) -> Value {
        let response = self
            .server
            .client
            .get(self.server.url(&format!("/stock/availability?{query}")))
            .header("x-channel", channel)
            .send()
            .await
            .expect("availability");
        assert_eq!(response.status(), 200);
        response.json().await.expect("json")
    }

    async fn reserve(&self, body: Value) -> reqwest::Response {
        self.send(Method::POST, "/stock/reservations", Some(&self.service), Some(body)).await
    }
}

/// Two locations and two products, as most tests start.
async fn shop(desk: &Desk<'_>) {
    desk.location("wh-1", "warehouse", &["web", "app"]).await;
    desk.location("paris", "store", &["store:paris", "web"]).await;
    desk.product("A", 1, 3).await;
    desk.product("B", 0, 3).await;
    desk.level("A", "wh-1", 10).await;
    desk.level("A", "paris", 5).await;
    desk.level("B", "wh-1", 2).await;
}

#[tokio::test]
async fn availability_per_channel_with_safety_stock_and_checks() {
    let server = TestServer::start();
    let desk = Desk::new(&server);
    shop(&desk).await;

    let web = desk.availability("sku=A&sku=B", "web").await;
    let a = &web["items"][0];
    assert_eq!(a["sku"], "A");
    assert_eq!(a["available"], 9 + 4, "safety stock kept back at each location");
    assert_eq!(a["in_stock"], true);
    assert_eq!(a["low_stock"], false);
    let per_location: Vec<(String, i64)> = a["locations"]
        .as_array()
        .expect("locations")
        .iter()
        .map(|l| (l["location_id"].as_str().expect("id").to_owned(), l["available"].as_i64().expect("n")))
        .collect();
    assert_eq!(per_location, vec![("paris".into(), 4), ("wh-1".into(), 9)]);
    assert_eq!(web["items"][1]["available"], 2);
    assert_eq!(web["items"][1]["low_stock"], true, "2 available, reorder point 3");

    let app = desk.availability("sku=A", "app").await;
    assert_eq!(app["items"][0]["available"], 9, "paris does not sell to the app");
    let store = desk.availability("sku=A", "store:paris").await;
    assert_eq!(store["items"][0]["available"], 4);
    let narrowed = desk.availability("sku=A&location_id=paris", "web").await;
    assert_eq!(narrowed["items"][0]["available"], 4);

    let check = desk
        .ok(
            Method::POST,
            "/stock/check",
            None,
            Some(json!({"lines": [
        {"sku": "A", "qty": 6}, {"sku": "A", "qty": 7}, {"sku": "B", "qty": 1}]})),
        )
        .await;
    assert_eq!(check["ok"], true);
    assert_eq!(check["lines"][0]["qty"], 13, "lines of one SKU are summed");
    let check = desk.ok(Method::POST, "/stock/check", None, Some(json!({"lines": [{"sku": "A", "qty": 14}]}))).await;
    assert_eq!(check["ok"], false);
    assert_eq!(check["lines"][0]["available"], 13);

    let unknown = server.client.get(server.url("/stock/availability?sku=A&sku=NOPE")).send().await.expect("get");
    let body = problem(unknown, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "sku[1]");
}

#[tokio::test]
async fn movements_apply_once_per_event_and_feed_the_reorder_list() {
    let server = TestServer::start();
    let desk = Desk::new(&server);
    shop(&desk).await;
    let adjustment = json!({"event_id": "pos-1", "sku": "A", "location_id": "wh-1", "delta": -8, "reason": "sale"});
    let first = desk.send(Method::POST, "/stock/adjustments", Some(&desk.service), Some(adjustment.clone())).await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.expect("json");
    assert_eq!(first["on_hand"], 2);
    let again = desk.send(Method::POST, "/stock/adjustments", Some(&desk.service), Some(adjustment.clone())).await;
    assert_eq!(again.status(), 200);
    assert_eq!(again.json::<Value>().await.expect("json"), first, "the first result, applied once");
    let mut other = adjustment.clone();
    other["delta"] = json!(-1);
    let reused = desk.send(Method::POST, "/stock/adjustments", Some(&desk.service), Some(other)).await;
    problem(reused, 409, "event_id_reused").await;
    let too_much = json!({"event_id": "pos-2", "sku": "A", "location_id": "wh-1", "delta": -3, "reason": "sale"});
    let response = desk.send(Method::POST, "/stock/adjustments", Some(&desk.service), Some(too_much)).await;
    problem(response, 409, "insufficient_stock").await;

    let reorder = desk.ok(Method::GET, "/stock/reorder?location_id=wh-1", Some(&desk.staff), None).await;
    let skus: Vec<&str> =
        reorder["items"].as_array().expect("items").iter().filter_map(|i| i["sku"].as_str()).collect();
    assert_eq!(skus, vec!["A", "B"], "A at 2 and B at 2, both at or under 3");
    desk.level("A", "wh-1", 50).await;
    let reorder = desk.ok(Method::GET, "/stock/reorder?location_id=wh-1", Some(&desk.staff), None).await;
    let skus: Vec<&str> =
        reorder["items"].as_array().expect("items").iter().filter_map(|i| i["sku"].as_str()).collect();
    assert_eq!(skus, vec!["B"], "a stock take above the point takes A off the list");
    let customer = server.token("cust", &[Role::Customer]);
    problem(desk.send(Method::GET, "/stock/reorder?location_id=wh-1", Some(&customer), None).await, 403, "forbidden")
        .await;
}

#[tokio::test]
async fn reservations_hold_commit_and_release() {
    let server = TestServer::start();
    let desk = Desk::new(&server);
    shop(&desk).await;
    let body = json!({"reservation_id": "r-1", "lines": [{"sku": "A", "qty": 2}, {"sku": "A", "qty": 1}, {"sku": "B", "qty": 1}], "ttl_seconds": 600});
    let created = desk.reserve(body.clone()).await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.expect("json");
    assert_eq!(created["status"], "held");
    assert_eq!(created["location_id"], "wh-1", "the only location that serves A and B");
    assert_eq!(created["lines"], json!([{"sku": "A", "qty": 3}, {"sku": "B", "qty": 1}]));
    let repeat = desk.reserve(body.clone()).await;
    assert_eq!(repeat.status(), 200, "same reservation_id, same request");
    let web = desk.availability("sku=A", "web").await;
    assert_eq!(web["items"][0]["available"], 13 - 3, "held once, not twice");
    let mut other = body.clone();
    other["lines"] = json!([{"sku": "A", "qty": 1}]);
    problem(desk.reserve(other).await, 409, "reservation_id_reused").await;

    let short =
        desk.reserve(json!({"reservation_id": "r-2", "lines": [{"sku": "B", "qty": 5}], "ttl_seconds": 60})).await;
    let body = problem(short, 409, "insufficient_stock").await;
    assert_eq!(body["lines"], json!([{"sku": "B", "qty": 5, "available": 1}]));

    let got = desk.ok(Method::GET, "/stock/reservations/r-1", Some(&desk.service), None).await;
    assert_eq!(got["status"], "held");
    let committed = desk.ok(Method::POST, "/stock/reservations/r-1/commit", Some(&desk.service), None).await;
    assert_eq!(committed["status"], "committed");
    let again = desk.ok(Method::POST, "/stock/reservations/r-1/commit", Some(&desk.service), None).await;
    assert_eq!(again["status"], "committed", "commit is idempotent");
    problem(
        desk.send(Method::DELETE, "/stock/reservations/r-1", Some(&desk.service), None).await,
        409,
        "invalid_reservation_state",
    )
    .await;
    let web = desk.availability("sku=A&sku=B", "web").await;
    assert_eq!(web["items"][0]["available"], 13 - 3, "sold units stay gone");
    let reorder = desk.ok(Method::GET, "/stock/reorder?location_id=wh-1", Some(&desk.staff), None).await;
    assert_eq!(reorder["items"][0]["sku"], "B");
    assert_eq!(reorder["items"][0]["on_hand"], 1, "the sale lowered on hand");

    // Release gives units back, once; a released hold cannot be committed.
    let held = desk.reserve(json!({"reservation_id": "r-3", "location_id": "paris", "lines": [{"sku": "A", "qty": 4}], "ttl_seconds": 60})).await;
    assert_eq!(held.status(), 201);
    assert_eq!(desk.availability("sku=A&location_id=paris", "web").await["items"][0]["available"], 0);
    let released = desk.ok(Method::DELETE, "/stock/reservations/r-3", Some(&desk.service), None).await;
    assert_eq!(released["status"], "released");
    desk.ok(Method::DELETE, "/stock/reservations/r-3", Some(&desk.service), None).await;
    assert_eq!(desk.availability("sku=A&location_id=paris", "web").await["items"][0]["available"], 4);
    problem(
        desk.send(Method::POST, "/stock/reservations/r-3/commit", Some(&desk.service), None).await,
        409,
        "invalid_reservation_state",
    )
    .await;
}

#[tokio::test]
async fn thirty_racers_for_seven_units_get_exactly_seven() {
    let server = TestServer::start();
    let desk = Desk::new(&server);
    desk.location("wh-1", "warehouse", &["web"]).await;
    desk.product("LAST", 0, 0).await;
    desk.level("LAST", "wh-1", 7).await;
    let racers = (0..30).map(|i| {
        let desk = &desk;
        async move {
            desk.reserve(json!({"reservation_id": format!("race-{i}"), "lines": [{"sku": "LAST", "qty": 1}], "ttl_seconds": 600}))
                .await
                .status()
                .as_u16()
        }
    });
    let statuses = futures::future::join_all(racers).await;
    let won = statuses.iter().filter(|s| **s == 201).count();
    let lost = statuses.iter().filter(|s| **s == 409).count();
    assert_eq!((won, lost), (7, 23), "{statuses:?}");
    assert_eq!(desk.availability("sku=LAST", "web").await["items"][0]["available"], 0);
}

#[tokio::test]
async fn an_expired_hold_stops_counting_at_once() {
    let server = TestServer::start();
    let desk = Desk::new(&server);
    desk.location("wh-1", "warehouse", &["web"]).await;
    desk.product("E", 0, 0).await;
    desk.level("E", "wh-1", 3).await;
    let hold =
        desk.reserve(json!({"reservation_id": "short", "lines": [{"sku": "E", "qty": 3}], "ttl_seconds": 1})).await;
    assert_eq!(hold.status(), 201);
    assert_eq!(desk.availability("sku=E", "web").await["items"][0]["available"], 0);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(desk.availability("sku=E", "web").await["items"][0]["available"], 3, "lazy: no sweep ran");
    let got = desk.ok(Method::GET, "/stock/reservations/short", Some(&desk.service), None).await;
    assert_eq!(got["status"], "expired");
    problem(
        desk.send(Method::POST, "/stock/reservations/short/commit", Some(&desk.service), None).await,
        409,
        "reservation_expired",
    )
    .await;
    // A new reservation gets the units (releasing the expired hold on its way).
    let next =
        desk.reserve(json!({"reservation_id": "next", "lines": [{"sku": "E", "qty": 3}], "ttl_seconds": 60})).await;
    assert_eq!(next.status(), 201);
}

#[tokio::test]
async fn a_location_is_created_then_replaced() {
    let server = TestServer::start();
    let desk = Desk::new(&server);
    let body = |name: &str| json!({"kind": "store", "name": name, "channels": ["web", "store:lyon"]});
    let created = desk.send(Method::PUT, "/stock/locations/lyon", Some(&desk.staff), Some(body("Lyon"))).await;
    assert_eq!(created.status(), 201);
    let replaced =
        desk.send(Method::PUT, "/stock/locations/lyon", Some(&desk.staff), Some(body("Lyon Part-Dieu"))).await;
    assert_eq!(replaced.status(), 200);
    let shown: Value = replaced.json().await.expect("json");
    assert_eq!(shown["name"], "Lyon Part-Dieu");
    assert_eq!(shown["channels"], json!(["store:lyon", "web"]));
}

#[tokio::test]
async fn bad_inputs_and_wrong_callers_are_refused() {
    let server = TestServer::start();
    let desk = Desk::new(&server);
    shop(&desk).await;
    let customer = server.token("cust", &[Role::Customer]);
    let location = json!({"kind": "store", "name": "x", "channels": ["web"]});
    problem(
        desk.send(Method::PUT, "/stock/locations/x", Some(&customer), Some(location.clone())).await,
        403,
        "forbidden",
    )
    .await;
    let bad_channel = json!({"kind": "store", "name": "x", "channels": ["fax"]});
    problem(
        desk.send(Method::PUT, "/stock/locations/x", Some(&desk.staff), Some(bad_channel)).await,
        422,
        "validation_failed",
    )
    .await;
    problem(
        desk.send(Method::PUT, "/stock/items/A/levels/wh-1", Some(&customer), Some(json!({"on_hand": 1}))).await,
        403,
        "forbidden",
    )
    .await;
    problem(
        desk.send(Method::PUT, "/stock/items/A/levels/nowhere", Some(&desk.staff), Some(json!({"on_hand": 1}))).await,
        404,
        "not_found",
    )
    .await;
    problem(
        desk.send(Method::PUT, "/stock/items/NOPE/levels/wh-1", Some(&desk.staff), Some(json!({"on_hand": 1}))).await,
        404,
        "not_found",
    )
    .await;
    problem(
        desk.send(Method::PUT, "/stock/items/A/levels/wh-1", Some(&desk.staff), Some(json!({"on_hand": -1}))).await,
        422,
        "validation_failed",
    )
    .await;

    let negative = json!({"reservation_id": "n", "lines": [{"sku": "A", "qty": -1}], "ttl_seconds": 60});
    let body = problem(desk.reserve(negative).await, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "lines[0].qty");
    let unknown = json!({"reservation_id": "u", "lines": [{"sku": "NOPE", "qty": 1}], "ttl_seconds": 60});
    let body = problem(desk.reserve(unknown).await, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "lines[0].sku");
    let nowhere =
        json!({"reservation_id": "w", "location_id": "nowhere", "lines": [{"sku": "A", "qty": 1}], "ttl_seconds": 60});
    problem(desk.reserve(nowhere).await, 422, "validation_failed").await;
    let anonymous = desk
        .send(
            Method::POST,
            "/stock/reservations",
            None,
            Some(json!({"reservation_id": "a", "lines": [{"sku": "A", "qty": 1}], "ttl_seconds": 60})),
        )
        .await;
    problem(anonymous, 401, "unauthenticated").await;
    problem(desk.send(Method::POST, "/stock/reservations/none/commit", Some(&customer), None).await, 403, "forbidden")
        .await;
    problem(desk.send(Method::GET, "/stock/reservations/none", Some(&desk.service), None).await, 404, "not_found")
        .await;
    let typed = json!({"event_id": "e", "sku": "A", "location_id": "wh-1", "delta": "lots", "reason": "x"});
    problem(
        desk.send(Method::POST, "/stock/adjustments", Some(&desk.staff), Some(typed)).await,
        400,
        "invalid_request",
    )
    .await;

    let web = desk.availability("sku=A", "web").await;
    assert_eq!(web["items"][0]["available"], 13, "nothing changed");
}

#[tokio::test]
async fn a_cart_holder_reserves_for_pickup_in_store() {
    let server = TestServer::start();
    let desk = Desk::new(&server);
    shop(&desk).await;
    let cart_id = &cart_with(&desk, None, &[("A", 2)]).await;
    let body = json!({"reservation_id": "bopis-1", "cart_id": cart_id, "location_id": "paris",
                      "lines": [{"sku": "A", "qty": 2}], "ttl_seconds": 900});
    let created = desk.send(Method::POST, "/stock/reservations", None, Some(body)).await;
    assert_eq!(created.status(), 201);
    let seen = desk.ok(Method::GET, &format!("/stock/reservations/bopis-1?cart_id={cart_id}"), None, None).await;
    assert_eq!(seen["location_id"], "paris");
    problem(desk.send(Method::GET, "/stock/reservations/bopis-1", None, None).await, 401, "unauthenticated").await;
    let released = desk.ok(Method::DELETE, &format!("/stock/reservations/bopis-1?cart_id={cart_id}"), None, None).await;
    assert_eq!(released["status"], "released");
}

#[tokio::test]
async fn on_hand_never_goes_below_zero_and_a_movement_in_always_applies() {
    let server = TestServer::start();
    let desk = Desk::new(&server);
    desk.location("wh-1", "warehouse", &["web"]).await;
    desk.product("A", 0, 0).await;
    desk.level("A", "wh-1", 10).await;
    let body =
        json!({"reservation_id": "big", "location_id": "wh-1", "lines": [{"sku": "A", "qty": 8}], "ttl_seconds": 600});
    assert_eq!(desk.reserve(body).await.status(), 201);
    // A stock take finds only 2 of the 8 held units.
    desk.level("A", "wh-1", 2).await;
    let commit = desk.send(Method::POST, "/stock/reservations/big/commit", Some(&desk.service), None).await;
    problem(commit, 409, "insufficient_stock").await;
    let held = desk.ok(Method::GET, "/stock/reservations/big", Some(&desk.service), None).await;
    assert_eq!(held["status"], "held", "a refused commit leaves the hold");
    let delivery = json!({"event_id": "in-1", "sku": "A", "location_id": "wh-1", "delta": 1, "reason": "delivery"});
    let applied = desk.send(Method::POST, "/stock/adjustments", Some(&desk.staff), Some(delivery)).await;
    assert_eq!(applied.status(), 201, "a movement in applies whatever is held");
    let level: Value = applied.json().await.expect("level");
    assert_eq!(level["on_hand"], 3);
    let out = json!({"event_id": "out-1", "sku": "A", "location_id": "wh-1", "delta": -4, "reason": "damage"});
    problem(
        desk.send(Method::POST, "/stock/adjustments", Some(&desk.staff), Some(out)).await,
        409,
        "insufficient_stock",
    )
    .await;
}

#[tokio::test]
async fn deltas_out_of_range_are_422_and_change_nothing() {
    let server = TestServer::start();
    let desk = Desk::new(&server);
    desk.location("wh-1", "warehouse", &["web"]).await;
    desk.product("A", 0, 0).await;
    desk.level("A", "wh-1", 5).await;
    for delta in [i64::MIN, i64::MIN + 1, i64::MAX, -1_000_000_001, 1_000_000_001] {
        let body =
            json!({"event_id": format!("e{delta}"), "sku": "A", "location_id": "wh-1", "delta": delta, "reason": "x"});
        let body = problem(
            desk.send(Method::POST, "/stock/adjustments", Some(&desk.staff), Some(body)).await,
            422,
            "validation_failed",
        )
        .await;
        assert_eq!(body["errors"][0]["field"], "delta", "{delta}");
    }
    let level = desk.level("A", "wh-1", 5).await;
    assert_eq!(level["on_hand"], 5);
}

/// A new anonymous cart holding `lines`; its id.
async fn cart_with(desk: &Desk<'_>, token: Option<&str>, lines: &[(&str, u32)]) -> String {
    let mut request = desk.server.client.post(desk.server.url("/cart/carts"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let cart: Value = request.send().await.expect("cart").json().await.expect("json");
    let id = cart["cart_id"].as_str().expect("id").to_owned();
    for (sku, qty) in lines {
        let mut put = desk.server.client.put(desk.server.url(&format!("/cart/carts/{id}/lines/{sku}")));
        if let Some(token) = token {
            put = put.bearer_auth(token);
        }
        assert_eq!(put.json(&json!({"qty": qty})).send().await.expect("line").status(), 200);
    }
    id
}

#[tokio::test]
async fn a_cart_holder_holds_at_most_the_cart_once_and_briefly() {
    let server = TestServer::start();
    let desk = Desk::new(&server);
    shop(&desk).await;
    let cart = cart_with(&desk, None, &[("A", 2)]).await;
    let hold = |id: &str, lines: Value, ttl: i64| json!({"reservation_id": id, "cart_id": cart, "lines": lines, "ttl_seconds": ttl});
    let web = desk.availability("sku=A", "web").await["items"][0]["available"].clone();

    // More than the cart holds, a SKU it does not hold, a week-long hold: refused.
    for (lines, ttl, field) in [
        (json!([{"sku": "A", "qty": 3}]), 600, "lines[0].qty"),
        (json!([{"sku": "A", "qty": 1}, {"sku": "A", "qty": 2}]), 600, "lines[1].qty"),
        (json!([{"sku": "B", "qty": 1}]), 600, "lines[0].qty"),
        (json!([{"sku": "A", "qty": 1}]), 7 * 24 * 3600, "ttl_seconds"),
    ] {
        let body = problem(
            desk.send(Method::POST, "/stock/reservations", None, Some(hold("x", lines, ttl))).await,
            422,
            "validation_failed",
        )
        .await;
        assert_eq!(body["errors"][0]["field"], field, "{body}");
    }
    assert_eq!(desk.availability("sku=A", "web").await["items"][0]["available"], web, "nothing was held");

    // One live hold per cart; releasing it frees the cart for the next.
    let first = desk
        .send(Method::POST, "/stock/reservations", None, Some(hold("h-1", json!([{"sku": "A", "qty": 2}]), 900)))
        .await;
    assert_eq!(first.status(), 201);
    let second = desk
        .send(Method::POST, "/stock/reservations", None, Some(hold("h-2", json!([{"sku": "A", "qty": 1}]), 900)))
        .await;
    problem(second, 409, "cart_already_reserved").await;
    let again = desk
        .send(Method::POST, "/stock/reservations", None, Some(hold("h-1", json!([{"sku": "A", "qty": 2}]), 900)))
        .await;
    assert_eq!(again.status(), 200, "a repeat of the live hold is answered, not refused");
    desk.ok(Method::DELETE, &format!("/stock/reservations/h-1?cart_id={cart}"), None, None).await;
    let next = desk
        .send(Method::POST, "/stock/reservations", None, Some(hold("h-3", json!([{"sku": "A", "qty": 1}]), 900)))
        .await;
    assert_eq!(next.status(), 201);
}

#[tokio::test]
async fn a_customers_cart_id_is_no_capability_for_anyone_else() {
    let server = TestServer::start();
    let desk = Desk::new(&server);
    shop(&desk).await;
    let alice = server.token("alice", &[Role::Customer]);
    let bob = server.token("bob", &[Role::Customer]);
    let cart = cart_with(&desk, Some(&alice), &[("A", 1)]).await;
    let body = |id: &str| json!({"reservation_id": id, "cart_id": cart, "lines": [{"sku": "A", "qty": 1}], "ttl_seconds": 600});
    problem(desk.send(Method::POST, "/stock/reservations", Some(&bob), Some(body("bob-1"))).await, 403, "forbidden")
        .await;
    problem(desk.send(Method::POST, "/stock/reservations", None, Some(body("anon-1"))).await, 401, "unauthenticated")
        .await;
    let mine = desk.send(Method::POST, "/stock/reservations", Some(&alice), Some(body("alice-1"))).await;
    assert_eq!(mine.status(), 201);
    // Knowing the cart's id reads or releases nothing of alice's.
    let path = format!("/stock/reservations/alice-1?cart_id={cart}");
    problem(desk.send(Method::GET, &path, None, None).await, 401, "unauthenticated").await;
    problem(desk.send(Method::DELETE, &path, None, None).await, 401, "unauthenticated").await;
    problem(desk.send(Method::DELETE, &path, Some(&bob), None).await, 403, "forbidden").await;
    let held = desk.ok(Method::GET, "/stock/reservations/alice-1", Some(&alice), None).await;
    assert_eq!(held["status"], "held");
}

/// A level is one item, and DynamoDB refuses items over 400 KB: 10,000 live holds of one SKU
/// at one location (about 2,700 made every later reservation a 500 when each hold was an
/// attribute of the level), of every length up to a week, all succeed, and availability and
/// the next reservation still count exactly. On the DynamoDB server, 600 holds of lengths
/// across the week.
#[tokio::test]
async fn ten_thousand_live_holds_on_one_level() {
    use futures::StreamExt as _;
    let server = TestServer::start();
    let desk = Desk::new(&server);
    let count = crate::helpers::volume("ten_thousand_live_holds_on_one_level", 10_000, 600);
    let on_hand = i64::try_from(count).expect("small") + 100;
    desk.location("wh-1", "warehouse", &["web"]).await;
    desk.product("HOT", 2, 0).await;
    desk.level("HOT", "wh-1", on_hand).await;
    let statuses: Vec<(usize, u16)> = futures::stream::iter(0..count)
        .map(|i| {
            let desk = &desk;
            // An hour to 7 days, spread so that the ends fall on as many seconds as they can;
            // none may lapse while the test runs (minutes on a slow target).
            let ttl = 3600 + (i as i64 * 7_919) % (7 * 24 * 3600 - 3600);
            async move {
                let body = json!({"reservation_id": format!("hot-{i}"), "lines": [{"sku": "HOT", "qty": 1}], "ttl_seconds": ttl});
                (i, desk.reserve(body).await.status().as_u16())
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    let refused: Vec<&(usize, u16)> = statuses.iter().filter(|(_, status)| *status != 201).collect();
    assert!(refused.is_empty(), "{} refused, first {:?}", refused.len(), refused.first());
    let item = &desk.availability("sku=HOT", "web").await["items"][0];
    assert_eq!(item["available"], 100 - 2, "on hand less the holds and the safety stock");
    let last = json!({"reservation_id": "hot-last", "lines": [{"sku": "HOT", "qty": 98}], "ttl_seconds": 600});
    assert_eq!(desk.reserve(last).await.status(), 201, "the last 98 units");
    let over = json!({"reservation_id": "hot-over", "lines": [{"sku": "HOT", "qty": 1}], "ttl_seconds": 600});
    assert_eq!(desk.reserve(over).await.status(), 409, "and not one more");
    // A stock take of the same count answers the level as it stands.
    let level = desk.level("HOT", "wh-1", on_hand).await;
    assert_eq!((level["on_hand"].as_i64(), level["held"].as_i64()), (Some(on_hand), Some(on_hand - 2)));
}
