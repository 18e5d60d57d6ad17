//! The orders function: a quote, a checkout that holds stock, applies an offer and spends
//! points in one transaction, confirm, cancel and expiry; the races of checkouts for the
//! last units, the same points and a once-per-customer offer; a line written during a
//! checkout; and bad input, which changes nothing.

use omnicanal_pipeline::auth::Role;
use omnicanal_platform::clock::rfc3339;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestServer, problem};

/// One shop: staff, a service, and helpers for each function.
struct Shop<'a> {
    server: &'a TestServer,
    staff: String,
    service: String,
}

impl<'a> Shop<'a> {
    fn new(server: &'a TestServer) -> Self {
        Self { server, staff: server.token("staff-1", &[Role::Staff]), service: server.token("oms", &[Role::Service]) }
    }

    fn customer(&self, sub: &str) -> String {
        self.server.token(sub, &[Role::Customer])
    }

    async fn send(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> reqwest::Response {
        self.send_through("web", method, path, token, body).await
    }

    async fn send_through(
        &self,
        channel: &str,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> reqwest::Response {
        let mut request = self.server.client.request(method, self.server.url(path)).header("x-channel", channel);
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
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{path}: {status} {body}");
        body
    }

    /// A warehouse selling to the web, a store selling in store only, products and stock.
    async fn stocked(&self, lines: &[(&str, i64, &str)]) {
        let warehouse = json!({"kind": "warehouse", "name": "central", "channels": ["web", "app"]});
        self.ok(Method::PUT, "/stock/locations/central", Some(&self.staff), Some(warehouse)).await;
        let store = json!({"kind": "store", "name": "lyon", "channels": ["store:lyon"]});
        self.ok(Method::PUT, "/stock/locations/lyon", Some(&self.staff), Some(store)).await;
        let paris = json!({"kind": "store", "name": "paris", "channels": ["web", "store:paris"]});
        self.ok(Method::PUT, "/stock/locations/paris", Some(&self.staff), Some(paris)).await;
        for (sku, on_hand, currency) in lines {
            let product = json!({"name": format!("{sku} name"), "category": "shoes",
                                 "price": {"amount": 2500, "currency": currency}, "safety_stock": 0, "reorder_point": 0});
            self.ok(Method::PUT, &format!("/stock/items/{sku}"), Some(&self.staff), Some(product)).await;
            let path = format!("/stock/items/{sku}/levels/central");
            self.ok(Method::PUT, &path, Some(&self.staff), Some(json!({"on_hand": on_hand}))).await;
        }
    }

    async fn available(&self, sku: &str) -> i64 {
        let shown = self.ok(Method::GET, &format!("/stock/availability?sku={sku}"), None, None).await;
        shown["items"][0]["available"].as_i64().expect("available")
    }

    /// A cart (the customer's own with a token, anonymous without) with these lines.
    async fn cart(&self, token: Option<&str>, lines: &[(&str, u32)]) -> String {
        let cart = self.ok(Method::POST, "/cart/carts", token, None).await;
        let id = cart["cart_id"].as_str().expect("cart id").to_owned();
        for (sku, qty) in lines {
            self.ok(Method::PUT, &format!("/cart/carts/{id}/lines/{sku}"), token, Some(json!({"qty": qty}))).await;
        }
        id
    }

    async fn earn(&self, customer: &str, order_id: &str, amount: i64) {
        let body = json!({"customer_id": customer, "order_id": order_id, "amount": {"amount": amount, "currency": "EUR"},
                          "channel": "web", "at": rfc3339(time::OffsetDateTime::now_utc())});
        self.ok(Method::POST, "/loyalty/earn", Some(&self.service), Some(body)).await;
    }

    async fn balance(&self, token: &str) -> i64 {
        self.ok(Method::GET, "/loyalty/me", Some(token), None).await["balance"].as_i64().expect("balance")
    }

    async fn ledger_sum(&self, token: &str) -> i64 {
        let page = self.ok(Method::GET, "/loyalty/me/transactions?limit=100", Some(token), None).await;
        page["transactions"].as_array().expect("entries").iter().map(|e| e["points"].as_i64().expect("points")).sum()
    }

    async fn offer(&self, id: &str, percent: u32, per_customer: Option<u32>, total: Option<u32>) {
        let now = time::OffsetDateTime::now_utc();
        let mut body = json!({"title": format!("{percent}% off"), "discount": {"percent": percent},
                              "starts_at": rfc3339(now - time::Duration::hours(1)),
                              "ends_at": rfc3339(now + time::Duration::days(10)), "priority": 1});
        if let Some(limit) = per_customer {
            body["per_customer_limit"] = json!(limit);
        }
        if let Some(limit) = total {
            body["total_limit"] = json!(limit);
        }
        self.ok(Method::PUT, &format!("/offers/{id}"), Some(&self.staff), Some(body)).await;
    }

    async fn pickups(&self, location: &str) -> Value {
        self.ok(Method::GET, &format!("/orders/pickups?location_id={location}"), Some(&self.staff), None).await
    }

    async fn checkout(&self, token: Option<&str>, body: Value) -> reqwest::Response {
        self.send(Method::POST, "/orders", token, Some(body)).await
    }
}

fn ship(order_id: &str, cart_id: &str) -> Value {
    json!({"order_id": order_id, "cart_id": cart_id, "fulfilment": {"type": "ship"}})
}

#[tokio::test]
async fn a_checkout_holds_applies_spends_then_confirms_once() {
    let server = TestServer::start();
    let shop = Shop::new(&server);
    shop.stocked(&[("BOOT", 10, "EUR"), ("SOCK", 10, "EUR")]).await;
    shop.offer("tenoff", 10, Some(1), None).await;
    shop.earn("ana", "earlier", 50_000).await;
    let ana = shop.customer("ana");
    let before = shop.balance(&ana).await;
    assert_eq!(before, 500);
    let cart = shop.cart(Some(&ana), &[("BOOT", 2), ("SOCK", 1)]).await;

    let mut body = ship("A-1", &cart);
    body["offer_id"] = json!("tenoff");
    body["points"] = json!(200);
    let quote = shop.ok(Method::POST, "/orders/quote", Some(&ana), Some(body.clone())).await;
    assert_eq!(quote["ok"], true, "{quote}");
    assert_eq!(quote["subtotal"], json!({"amount": 7500, "currency": "EUR"}));
    assert_eq!(quote["discount"]["saving"], json!({"amount": 750, "currency": "EUR"}));
    assert_eq!(quote["points_value"], json!({"amount": 200, "currency": "EUR"}));
    assert_eq!(quote["total"], json!({"amount": 6550, "currency": "EUR"}));
    assert_eq!(quote["location_id"], "central");
    assert_eq!(quote["points_balance"], 500);
    assert_eq!(quote["offers"][0]["offer_id"], "tenoff");
    assert_eq!(shop.available("BOOT").await, 10, "a quote writes nothing");

    body["expected_total"] = json!({"amount": 6550, "currency": "EUR"});
    body["cart_version"] = quote["cart_version"].clone();
    let response = shop.checkout(Some(&ana), body.clone()).await;
    assert_eq!(response.status(), 201);
    let order: Value = response.json().await.expect("order");
    assert_eq!(order["status"], "placed");
    assert_eq!(order["customer_id"], "ana");
    assert_eq!(order["fulfilment"], json!({"type": "ship", "location_id": "central"}));
    assert_eq!(
        order["lines"][0],
        json!({"sku": "BOOT", "name": "BOOT name", "qty": 2,
        "unit_price": {"amount": 2500, "currency": "EUR"}, "line_total": {"amount": 5000, "currency": "EUR"}, "returned_qty": 0})
    );
    assert_eq!(order["total"]["amount"], 6550);
    assert_eq!(order["points_redeemed"], 200);
    assert_eq!(order["points_earned"], Value::Null);
    assert_eq!(shop.available("BOOT").await, 8, "held at once");
    assert_eq!(shop.balance(&ana).await, 300, "points spent in the same transaction");
    let closed = shop.ok(Method::GET, &format!("/cart/carts/{cart}"), Some(&ana), None).await;
    assert_eq!(closed["status"], "ordered");
    let late =
        shop.send(Method::PUT, &format!("/cart/carts/{cart}/lines/HAT"), Some(&ana), Some(json!({"qty": 1}))).await;
    assert_eq!(late.status(), 409, "an ordered cart takes no more changes");
    let fresh = shop.ok(Method::POST, "/cart/carts", Some(&ana), None).await;
    assert_ne!(fresh["cart_id"].as_str(), Some(cart.as_str()), "a new cart starts");

    let again = shop.checkout(Some(&ana), body).await;
    assert_eq!(again.status(), 200, "the same order_id answers the order");
    let again: Value = again.json().await.expect("order");
    assert_eq!(again["order_id"], "A-1");
    assert_eq!(shop.balance(&ana).await, 300, "a repeat spends nothing");

    let confirmed = shop
        .ok(Method::POST, "/orders/A-1/confirm", Some(&shop.service), Some(json!({"payment_reference": "psp-1"})))
        .await;
    assert_eq!(confirmed["status"], "confirmed");
    assert_eq!(confirmed["points_earned"], order["points_to_earn"]);
    assert!(confirmed["confirmed_at"].is_string());
    assert_eq!(shop.available("BOOT").await, 8, "the hold became a sale: the units stay gone");
    let earned = confirmed["points_earned"].as_i64().expect("earned");
    assert_eq!(shop.balance(&ana).await, 300 + earned);
    let repeat = shop.ok(Method::POST, "/orders/A-1/confirm", Some(&shop.service), None).await;
    assert_eq!(repeat["points_earned"], earned, "confirmed once");
    let body = json!({"customer_id": "ana", "order_id": "A-1", "amount": {"amount": 6550, "currency": "EUR"},
                      "channel": "web", "at": rfc3339(time::OffsetDateTime::now_utc())});
    let twice = shop.send(Method::POST, "/loyalty/earn", Some(&shop.service), Some(body)).await;
    assert_eq!(twice.status(), 200, "the order system's earn for the same order earns nothing more");
    assert_eq!(shop.balance(&ana).await, 300 + earned);
    assert_eq!(shop.ledger_sum(&ana).await, shop.balance(&ana).await, "the ledger balances");

    let seen = shop.ok(Method::GET, "/orders/A-1", Some(&ana), None).await;
    assert_eq!(seen["status"], "confirmed");
    let other = shop.send(Method::GET, "/orders/A-1", Some(&shop.customer("bob")), None).await;
    assert_eq!(other.status(), 403, "another customer's order");
    let anonymous = shop.send(Method::GET, "/orders/A-1", None, None).await;
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn cancelling_gives_stock_points_and_the_offer_back() {
    let server = TestServer::start();
    let shop = Shop::new(&server);
    shop.stocked(&[("BOOT", 5, "EUR")]).await;
    shop.offer("once", 20, None, Some(1)).await;
    shop.earn("cy", "earlier", 10_000).await;
    let cy = shop.customer("cy");
    let cart = shop.cart(Some(&cy), &[("BOOT", 2)]).await;
    let mut body = ship("C-1", &cart);
    body["offer_id"] = json!("once");
    body["points"] = json!(40);
    assert_eq!(shop.checkout(Some(&cy), body).await.status(), 201);
    assert_eq!((shop.available("BOOT").await, shop.balance(&cy).await), (3, 60));

    let cancelled = shop.ok(Method::POST, "/orders/C-1/cancel", Some(&cy), None).await;
    assert_eq!(cancelled["status"], "cancelled");
    assert!(cancelled["cancelled_at"].is_string());
    assert_eq!(shop.available("BOOT").await, 5, "the hold is released");
    assert_eq!(shop.balance(&cy).await, 100, "the points are restored");
    assert_eq!(shop.ledger_sum(&cy).await, 100);
    let again = shop.ok(Method::POST, "/orders/C-1/cancel", Some(&cy), None).await;
    assert_eq!(again["status"], "cancelled", "cancelling again answers 200");

    // The offer's one use came back: another order can take it, and confirm, and the store
    // can cancel a confirmed order, which puts the units back and reverses the points.
    let cart = shop.cart(Some(&cy), &[("BOOT", 1)]).await;
    let mut body = ship("C-2", &cart);
    body["offer_id"] = json!("once");
    assert_eq!(shop.checkout(Some(&cy), body).await.status(), 201);
    let confirmed = shop.ok(Method::POST, "/orders/C-2/confirm", Some(&shop.service), None).await;
    let earned = confirmed["points_earned"].as_i64().expect("earned");
    assert!(earned > 0);
    assert_eq!(shop.available("BOOT").await, 4);
    let refused = shop.send(Method::POST, "/orders/C-2/cancel", Some(&cy), None).await;
    problem(refused, 409, "invalid_status").await;
    let cancelled = shop.ok(Method::POST, "/orders/C-2/cancel", Some(&shop.staff), None).await;
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(shop.available("BOOT").await, 5, "the units are back on hand");
    assert_eq!(shop.balance(&cy).await, 100, "what it earned is reversed");
    assert_eq!(shop.ledger_sum(&cy).await, 100);
}

#[tokio::test]
async fn an_unconfirmed_order_expires_and_gives_everything_back() {
    let server = TestServer::start();
    let shop = Shop::new(&server);
    shop.stocked(&[("BOOT", 3, "EUR")]).await;
    shop.earn("di", "earlier", 10_000).await;
    let di = shop.customer("di");
    let cart = shop.cart(Some(&di), &[("BOOT", 3)]).await;
    let mut body = ship("E-1", &cart);
    body["points"] = json!(25);
    body["ttl_seconds"] = json!(1);
    let order: Value = shop.checkout(Some(&di), body).await.json().await.expect("order");
    assert_eq!(order["status"], "placed");
    assert_eq!(shop.available("BOOT").await, 0);
    tokio::time::sleep(std::time::Duration::from_millis(2_500)).await;
    assert_eq!(shop.available("BOOT").await, 3, "its holds stop counting at once");
    let expired = shop.ok(Method::GET, "/orders/E-1", Some(&di), None).await;
    assert_eq!(expired["status"], "expired");
    assert_eq!(shop.balance(&di).await, 100, "its points come back when it is next read");
    assert_eq!(shop.ledger_sum(&di).await, 100);
    let late = shop.send(Method::POST, "/orders/E-1/confirm", Some(&shop.service), None).await;
    problem(late, 409, "order_expired").await;
}

#[tokio::test]
async fn twelve_checkouts_for_six_units_give_six_orders() {
    let server = TestServer::start();
    let shop = Shop::new(&server);
    shop.stocked(&[("LAST", 6, "EUR")]).await;
    let mut carts = Vec::new();
    for _ in 0..12 {
        carts.push(shop.cart(None, &[("LAST", 1)]).await);
    }
    let attempts = carts.iter().enumerate().map(|(i, cart)| {
        let shop = &shop;
        async move { shop.checkout(None, ship(&format!("L-{i}"), cart)).await.status().as_u16() }
    });
    let statuses = futures::future::join_all(attempts).await;
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 6, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 6, "{statuses:?}");
    assert_eq!(shop.available("LAST").await, 0);
}

#[tokio::test]
async fn racing_checkouts_never_overspend_points_nor_an_offer() {
    let server = TestServer::start();
    let shop = Shop::new(&server);
    shop.stocked(&[("TEE", 100, "EUR")]).await;
    shop.offer("first", 10, Some(1), None).await;
    shop.earn("eve", "earlier", 10_000).await;
    let eve = shop.customer("eve");
    // A customer checking out the anonymous carts they hold: eight at once.
    let mut carts = Vec::new();
    for _ in 0..16 {
        carts.push(shop.cart(None, &[("TEE", 1)]).await);
    }
    let spend = carts[..8].iter().enumerate().map(|(i, cart)| {
        let (shop, eve) = (&shop, &eve);
        async move {
            let mut body = ship(&format!("P-{i}"), cart);
            body["points"] = json!(30);
            shop.checkout(Some(eve), body).await.status().as_u16()
        }
    });
    let statuses = futures::future::join_all(spend).await;
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 3, "{statuses:?}");
    assert_eq!(shop.balance(&eve).await, 10, "never below zero");
    assert_eq!(shop.ledger_sum(&eve).await, 10);
    let offer = carts[8..].iter().enumerate().map(|(i, cart)| {
        let (shop, eve) = (&shop, &eve);
        async move {
            let mut body = ship(&format!("O-{i}"), cart);
            body["offer_id"] = json!("first");
            let response = shop.checkout(Some(eve), body).await;
            let status = response.status().as_u16();
            let body: Value = response.json().await.expect("json");
            (status, body["code"].as_str().unwrap_or_default().to_owned())
        }
    });
    let outcomes = futures::future::join_all(offer).await;
    assert_eq!(outcomes.iter().filter(|(s, _)| *s == 201).count(), 1, "{outcomes:?}");
    assert!(
        outcomes.iter().filter(|(s, _)| *s != 201).all(|(s, c)| *s == 409 && c == "offer_limit_reached"),
        "{outcomes:?}"
    );
}

#[tokio::test]
async fn a_line_written_during_a_checkout_is_in_the_order_or_refused() {
    let server = TestServer::start();
    let shop = Shop::new(&server);
    shop.stocked(&[("A", 100, "EUR"), ("B", 100, "EUR")]).await;
    for round in 0..6 {
        let cart = shop.cart(None, &[("A", 1)]).await;
        let path = format!("/cart/carts/{cart}/lines/B");
        let line = shop.send(Method::PUT, &path, None, Some(json!({"qty": 1})));
        let order = shop.checkout(None, ship(&format!("W-{round}"), &cart));
        let (line, order) = tokio::join!(line, order);
        let (line_status, order_status) = (line.status().as_u16(), order.status().as_u16());
        assert_eq!(order_status, 201);
        let order: Value = order.json().await.expect("order");
        let skus: Vec<&str> =
            order["lines"].as_array().expect("lines").iter().filter_map(|l| l["sku"].as_str()).collect();
        match line_status {
            200 | 201 => assert_eq!(skus, ["A", "B"], "a line the cart took is in the order"),
            409 => assert_eq!(skus, ["A"], "a refused line is not"),
            other => panic!("line write answered {other}"),
        }
    }
}

#[tokio::test]
async fn bad_checkouts_are_refused_and_change_nothing() {
    let server = TestServer::start();
    let shop = Shop::new(&server);
    shop.stocked(&[("BOOT", 5, "EUR"), ("YEN", 5, "JPY")]).await;
    shop.earn("fay", "earlier", 10_000).await;
    let fay = shop.customer("fay");
    let empty = shop.cart(None, &[]).await;
    problem(shop.checkout(None, ship("X-1", &empty)).await, 422, "empty_cart").await;
    let unknown = shop.cart(None, &[("NOPE", 1)]).await;
    let refused = problem(shop.checkout(None, ship("X-2", &unknown)).await, 422, "unknown_sku").await;
    assert_eq!(refused["problems"][0]["sku"], "NOPE");
    let mixed = shop.cart(None, &[("BOOT", 1), ("YEN", 1)]).await;
    problem(shop.checkout(None, ship("X-3", &mixed)).await, 422, "mixed_currencies").await;
    let cart = shop.cart(None, &[("BOOT", 1)]).await;
    let mut body = ship("X-4", &cart);
    body["fulfilment"] = json!({"type": "pickup", "location_id": "central"});
    problem(shop.checkout(None, body.clone()).await, 422, "validation_failed").await;
    body["fulfilment"] = json!({"type": "pickup", "location_id": "lyon"});
    problem(shop.checkout(None, body.clone()).await, 422, "validation_failed").await;
    body["fulfilment"] = json!({"type": "drone"});
    let refused = problem(shop.checkout(None, body).await, 422, "validation_failed").await;
    assert_eq!(refused["errors"][0]["field"], "fulfilment.type");
    for ttl in [0, 86_401] {
        let mut body = ship("X-5", &cart);
        body["ttl_seconds"] = json!(ttl);
        problem(shop.checkout(None, body).await, 422, "validation_failed").await;
    }
    let mut guest_points = ship("X-6", &cart);
    guest_points["points"] = json!(10);
    problem(shop.checkout(None, guest_points).await, 401, "unauthenticated").await;
    let mut guest_offer = ship("X-7", &cart);
    guest_offer["offer_id"] = json!("any");
    problem(shop.checkout(None, guest_offer).await, 401, "unauthenticated").await;
    let theirs = shop.cart(Some(&fay), &[("BOOT", 1)]).await;
    problem(shop.checkout(Some(&shop.customer("gus")), ship("X-8", &theirs)).await, 403, "forbidden").await;
    problem(shop.checkout(None, ship("X-9", &theirs)).await, 401, "unauthenticated").await;
    let mut too_many = ship("X-10", &theirs);
    too_many["points"] = json!(2_600);
    let refused = problem(shop.checkout(Some(&fay), too_many).await, 422, "points_exceed_total").await;
    let codes: Vec<&str> =
        refused["problems"].as_array().expect("problems").iter().filter_map(|p| p["code"].as_str()).collect();
    assert_eq!(codes, ["points_exceed_total", "insufficient_points"], "every problem, 422 first");
    let mut stale = ship("X-11", &theirs);
    stale["cart_version"] = json!(1);
    stale["expected_total"] = json!({"amount": 1, "currency": "EUR"});
    let refused = problem(shop.checkout(Some(&fay), stale).await, 409, "cart_changed").await;
    assert_eq!(refused["problems"][1]["code"], "total_changed");
    let mut wrong_total = ship("X-12", &theirs);
    wrong_total["expected_total"] = json!({"amount": 1, "currency": "EUR"});
    let refused = problem(shop.checkout(Some(&fay), wrong_total).await, 409, "total_changed").await;
    assert_eq!(refused["quote"]["total"], json!({"amount": 2500, "currency": "EUR"}), "the fresh quote");
    let big = shop.cart(None, &[("BOOT", 6)]).await;
    let refused = problem(shop.checkout(None, ship("X-13", &big)).await, 409, "insufficient_stock").await;
    assert_eq!(refused["lines"], json!([{"sku": "BOOT", "qty": 6, "available": 5}]));

    assert_eq!(shop.available("BOOT").await, 5, "nothing was held");
    assert_eq!(shop.balance(&fay).await, 100, "nothing was spent");
    let still = shop.ok(Method::GET, &format!("/cart/carts/{theirs}"), Some(&fay), None).await;
    assert_eq!(still["status"], "active");
    let missing = shop.send(Method::GET, "/orders/X-4", Some(&shop.staff), None).await;
    problem(missing, 404, "not_found").await;
}

/// Found by the chaos suite: every SKU in stock somewhere, but no one location with them all.
/// A shipment is held at one location, so that is short stock (409 with the lines short at
/// the closest location), for a checkout as for a reservation, never a 500.
#[tokio::test]
async fn stock_spread_over_locations_is_short_at_one() {
    let server = TestServer::start();
    let shop = Shop::new(&server);
    shop.stocked(&[("BOOT", 5, "EUR"), ("SOCK", 0, "EUR")]).await;
    let path = "/stock/items/SOCK/levels/paris";
    shop.ok(Method::PUT, path, Some(&shop.staff), Some(json!({"on_hand": 3}))).await;
    let ida = shop.customer("ida");
    let cart = shop.cart(Some(&ida), &[("BOOT", 1), ("SOCK", 1)]).await;
    let short = json!([{"sku": "SOCK", "qty": 1, "available": 0}]);

    let body = json!({"cart_id": cart, "fulfilment": {"type": "ship"}});
    let quote = shop.ok(Method::POST, "/orders/quote", Some(&ida), Some(body)).await;
    assert_eq!(
        (quote["ok"].clone(), quote["problems"][0]["code"].clone()),
        (json!(false), json!("insufficient_stock"))
    );
    let refused = problem(shop.checkout(Some(&ida), ship("S-1", &cart)).await, 409, "insufficient_stock").await;
    assert_eq!(refused["lines"], short, "short at the closest location (central, by id among equals)");
    let reserve = json!({"reservation_id": "r-spread", "lines": [{"sku": "BOOT", "qty": 1}, {"sku": "SOCK", "qty": 1}],
                         "ttl_seconds": 60});
    let response = shop.send(Method::POST, "/stock/reservations", Some(&shop.service), Some(reserve)).await;
    assert_eq!(problem(response, 409, "insufficient_stock").await["lines"], short);

    assert_eq!((shop.available("BOOT").await, shop.available("SOCK").await), (5, 3), "nothing was held");
    let still = shop.ok(Method::GET, &format!("/cart/carts/{cart}"), Some(&ida), None).await;
    assert_eq!(still["status"], "active");
}

#[tokio::test]
async fn history_pages_newest_first_and_the_pickup_queue_empties_on_fulfilment() {
    let server = TestServer::start();
    let shop = Shop::new(&server);
    shop.stocked(&[("BOOT", 10, "EUR")]).await;
    let path = "/stock/items/BOOT/levels/paris";
    shop.ok(Method::PUT, path, Some(&shop.staff), Some(json!({"on_hand": 4}))).await;
    let hugo = shop.customer("hugo");
    let cart = shop.cart(Some(&hugo), &[("BOOT", 1)]).await;
    assert_eq!(shop.checkout(Some(&hugo), ship("H-1", &cart)).await.status(), 201);
    let cart = shop.cart(Some(&hugo), &[("BOOT", 1)]).await;
    let mut pickup = ship("H-2", &cart);
    pickup["fulfilment"] = json!({"type": "pickup", "location_id": "paris"});
    let placed: Value = shop.checkout(Some(&hugo), pickup).await.json().await.expect("order");
    assert_eq!(placed["fulfilment"], json!({"type": "pickup", "location_id": "paris"}));
    let cart = shop.cart(Some(&hugo), &[("BOOT", 2)]).await;
    let through_app = shop.send_through("app", Method::POST, "/orders", Some(&hugo), Some(ship("H-3", &cart))).await;
    assert_eq!(through_app.status(), 201);

    let first = shop.ok(Method::GET, "/orders/me?limit=2", Some(&hugo), None).await;
    let ids = |page: &Value| -> Vec<String> {
        page["orders"]
            .as_array()
            .expect("orders")
            .iter()
            .map(|o| o["order_id"].as_str().expect("id").to_owned())
            .collect()
    };
    assert_eq!(ids(&first), ["H-3", "H-2"], "newest first");
    assert_eq!(first["orders"][0]["channel"], "app", "every channel");
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let second = shop.ok(Method::GET, &format!("/orders/me?limit=2&cursor={cursor}"), Some(&hugo), None).await;
    assert_eq!(ids(&second), ["H-1"]);
    assert_eq!(second["next_cursor"], Value::Null);
    let other = shop.ok(Method::GET, "/orders/me", Some(&shop.customer("ines")), None).await;
    assert_eq!(other["orders"], json!([]), "only one's own");

    assert_eq!(shop.pickups("paris").await["orders"], json!([]), "placed orders wait for payment, not in the queue");
    for id in ["H-1", "H-2"] {
        shop.ok(Method::POST, &format!("/orders/{id}/confirm"), Some(&shop.service), None).await;
    }
    let waiting = shop.pickups("paris").await;
    assert_eq!(ids(&waiting), ["H-2"], "a confirmed pickup at paris, not the shipment");
    assert_eq!(waiting["orders"][0]["status"], "confirmed");
    let refused = shop.send(Method::POST, "/orders/H-2/fulfil", Some(&hugo), None).await;
    problem(refused, 403, "forbidden").await;
    let unpaid = shop.send(Method::POST, "/orders/H-3/fulfil", Some(&shop.staff), None).await;
    problem(unpaid, 409, "invalid_status").await;
    let handed = shop.ok(Method::POST, "/orders/H-2/fulfil", Some(&shop.staff), None).await;
    assert_eq!(handed["status"], "fulfilled");
    assert!(handed["fulfilled_at"].is_string());
    let again = shop.ok(Method::POST, "/orders/H-2/fulfil", Some(&shop.service), None).await;
    assert_eq!(again["fulfilled_at"], handed["fulfilled_at"], "fulfilled once");
    assert_eq!(shop.pickups("paris").await["orders"], json!([]), "it left the queue");
    let late = shop.send(Method::POST, "/orders/H-2/cancel", Some(&shop.staff), None).await;
    problem(late, 409, "invalid_status").await;
    let mine = shop.ok(Method::GET, "/orders/me", Some(&hugo), None).await;
    let statuses: Vec<&str> =
        mine["orders"].as_array().expect("orders").iter().filter_map(|o| o["status"].as_str()).collect();
    assert_eq!(statuses, ["placed", "fulfilled", "confirmed"], "the history follows every change");
    let no_store = shop.send(Method::GET, "/orders/pickups", Some(&shop.staff), None).await;
    problem(no_store, 422, "validation_failed").await;
}

#[tokio::test]
async fn an_online_order_comes_back_in_a_store_with_exact_refunds() {
    let server = TestServer::start();
    let shop = Shop::new(&server);
    shop.stocked(&[("BOOT", 10, "EUR")]).await;
    let sock = json!({"name": "Sock", "category": "socks", "price": {"amount": 1000, "currency": "EUR"},
                      "safety_stock": 0, "reorder_point": 0});
    shop.ok(Method::PUT, "/stock/items/SOCK", Some(&shop.staff), Some(sock)).await;
    shop.ok(Method::PUT, "/stock/items/SOCK/levels/central", Some(&shop.staff), Some(json!({"on_hand": 10}))).await;
    let now = time::OffsetDateTime::now_utc();
    let shoes = json!({"title": "10% off shoes", "discount": {"percent": 10}, "applies_to": {"categories": ["shoes"]},
                       "starts_at": rfc3339(now - time::Duration::hours(1)),
                       "ends_at": rfc3339(now + time::Duration::days(10)), "priority": 1});
    shop.ok(Method::PUT, "/offers/shoes10", Some(&shop.staff), Some(shoes)).await;
    shop.earn("jo", "earlier", 50_000).await;
    let jo = shop.customer("jo");
    let cart = shop.cart(Some(&jo), &[("BOOT", 3), ("SOCK", 2)]).await;
    let mut body = ship("R-1", &cart);
    body["offer_id"] = json!("shoes10");
    body["points"] = json!(300);
    let order: Value = shop.checkout(Some(&jo), body).await.json().await.expect("order");
    assert_eq!(order["discount"]["saving"]["amount"], 750, "10% of the boots only");
    assert_eq!(order["total"]["amount"], 9_500 - 750 - 300);
    let early = shop
        .send(
            Method::POST,
            "/orders/R-1/returns",
            Some(&shop.staff),
            Some(json!({"return_id": "r0", "location_id": "lyon", "lines": [{"sku": "BOOT", "qty": 1}]})),
        )
        .await;
    problem(early, 409, "invalid_status").await;
    let confirmed = shop.ok(Method::POST, "/orders/R-1/confirm", Some(&shop.service), None).await;
    let earned = confirmed["points_earned"].as_i64().expect("earned");
    let after_confirm = shop.balance(&jo).await;

    let returning =
        |id: &str, location: &str, lines: Value| json!({"return_id": id, "location_id": location, "lines": lines});
    let first = returning("r1", "lyon", json!([{"sku": "BOOT", "qty": 1}]));
    let response = shop.send(Method::POST, "/orders/R-1/returns", Some(&shop.staff), Some(first.clone())).await;
    assert_eq!(response.status(), 201);
    let r1: Value = response.json().await.expect("return");
    // The boots cost 6,750 after the saving and carry 231 of the 300 points' value (the socks
    // 69: largest remainder), so a boot refunds floor((6,750 - 231) / 3).
    assert_eq!(r1["refund"], json!({"amount": 2_173, "currency": "EUR"}));
    assert_eq!(r1["points_restored"], 77);
    assert_eq!((r1["order_id"].as_str(), r1["location_id"].as_str()), (Some("R-1"), Some("lyon")));
    let lyon = shop
        .send_through("store:lyon", Method::GET, "/stock/availability?sku=BOOT&location_id=lyon", None, None)
        .await
        .json::<Value>()
        .await
        .expect("availability");
    assert_eq!(lyon["items"][0]["available"], 1, "the boot is on the Lyon shelf");
    let again = shop.send(Method::POST, "/orders/R-1/returns", Some(&shop.staff), Some(first)).await;
    assert_eq!(again.status(), 200, "the same return again");
    assert_eq!(again.json::<Value>().await.expect("return"), r1);
    let reused = returning("r1", "lyon", json!([{"sku": "SOCK", "qty": 1}]));
    problem(
        shop.send(Method::POST, "/orders/R-1/returns", Some(&shop.staff), Some(reused)).await,
        422,
        "return_id_reused",
    )
    .await;
    let too_many = returning("r2", "central", json!([{"sku": "BOOT", "qty": 3}]));
    problem(
        shop.send(Method::POST, "/orders/R-1/returns", Some(&shop.staff), Some(too_many)).await,
        409,
        "return_exceeds_order",
    )
    .await;
    let nowhere = returning("r2", "atlantis", json!([{"sku": "BOOT", "qty": 1}]));
    problem(
        shop.send(Method::POST, "/orders/R-1/returns", Some(&shop.staff), Some(nowhere)).await,
        422,
        "validation_failed",
    )
    .await;
    let customer = returning("r2", "lyon", json!([{"sku": "BOOT", "qty": 1}]));
    problem(shop.send(Method::POST, "/orders/R-1/returns", Some(&jo), Some(customer)).await, 403, "forbidden").await;

    // Two returns race for the last sock but one: one wins.
    let racing = ["r3", "r4"].map(|id| {
        let shop = &shop;
        let body = returning(id, "central", json!([{"sku": "SOCK", "qty": 2}]));
        async move {
            shop.send(Method::POST, "/orders/R-1/returns", Some(&shop.service), Some(body)).await.status().as_u16()
        }
    });
    let mut statuses = futures::future::join_all(racing).await;
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409], "two racing returns of the same units give one");
    let last = returning("r5", "paris", json!([{"sku": "BOOT", "qty": 2}]));
    shop.ok(Method::POST, "/orders/R-1/returns", Some(&shop.staff), Some(last)).await;

    let done = shop.ok(Method::GET, "/orders/R-1", Some(&shop.staff), None).await;
    assert_eq!(done["status"], "confirmed", "every unit back, the order keeps its status");
    let returns = done["returns"].as_array().expect("returns");
    assert_eq!(returns.len(), 3);
    let sum = |field: &str| -> i64 {
        returns.iter().map(|r| r[field].as_i64().or_else(|| r[field]["amount"].as_i64()).expect(field)).sum()
    };
    assert_eq!(sum("refund"), done["total"]["amount"].as_i64().expect("total"), "the refunds add up to what was paid");
    assert_eq!(sum("points_restored"), 300);
    assert_eq!(sum("points_reversed"), earned);
    let returned: Vec<i64> =
        done["lines"].as_array().expect("lines").iter().map(|l| l["returned_qty"].as_i64().expect("qty")).collect();
    assert_eq!(returned, [3, 2]);
    assert_eq!(shop.balance(&jo).await, after_confirm + 300 - earned, "the points followed the units");
    assert_eq!(shop.ledger_sum(&jo).await, shop.balance(&jo).await);
    // The order system refunding the whole order after the returns takes back nothing more.
    let reversed =
        shop.ok(Method::POST, "/loyalty/reverse", Some(&shop.service), Some(json!({"order_id": "R-1"}))).await;
    assert_eq!(reversed["points"], 0, "the returns took back every point already");
    assert_eq!(shop.balance(&jo).await, after_confirm + 300 - earned);
}

#[tokio::test]
async fn a_refund_by_the_order_system_and_returns_never_reverse_a_point_twice() {
    let server = TestServer::start();
    let shop = Shop::new(&server);
    shop.stocked(&[("BOOT", 10, "EUR")]).await;
    let jo = shop.customer("jo");
    let cart = shop.cart(Some(&jo), &[("BOOT", 4)]).await;
    assert_eq!(shop.checkout(Some(&jo), ship("V-1", &cart)).await.status(), 201);
    let confirmed = shop.ok(Method::POST, "/orders/V-1/confirm", Some(&shop.service), None).await;
    let earned = confirmed["points_earned"].as_i64().expect("earned");
    assert_eq!(earned, 100, "1 point per euro of 100.00");
    let returning =
        |id: &str, qty: i64| json!({"return_id": id, "location_id": "lyon", "lines": [{"sku": "BOOT", "qty": qty}]});
    let first = shop.ok(Method::POST, "/orders/V-1/returns", Some(&shop.staff), Some(returning("v1", 1))).await;
    assert_eq!(first["points_reversed"], 25);
    // The order system's refund takes back what the return left, not the whole earning again.
    let reversed =
        shop.ok(Method::POST, "/loyalty/reverse", Some(&shop.service), Some(json!({"order_id": "V-1"}))).await;
    assert_eq!(reversed["points"], -75);
    let again = shop.ok(Method::POST, "/loyalty/reverse", Some(&shop.service), Some(json!({"order_id": "V-1"}))).await;
    assert_eq!(again, reversed, "a repeat answers the first answer");
    // A return after the refund takes back nothing more, and says so.
    let second = shop.ok(Method::POST, "/orders/V-1/returns", Some(&shop.staff), Some(returning("v2", 3))).await;
    assert_eq!(second["points_reversed"], 0);
    assert_eq!(shop.balance(&jo).await, 0, "every point earned taken back exactly once");
    assert_eq!(shop.ledger_sum(&jo).await, 0);
}
