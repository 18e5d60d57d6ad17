//! The mixed workload: a shop opened without faults, then shoppers' journeys run side by side
//! under faults, each step retried by its client until a definite answer. What was
//! acknowledged is kept for the invariants.

use std::collections::BTreeMap;
use std::sync::Mutex;

use omnicanal_pipeline::auth::Role;
use omnicanal_platform::clock::rfc3339;
use reqwest::Method;
use serde_json::{Value, json};

use super::client::{Client, Seen};
use crate::helpers::TestServer;

/// Shoppers running at once.
pub(crate) const SHOPPERS: usize = 16;
/// The products, their units on hand at the warehouse and at the store when the shop opens.
/// Each product is in 12 of the 16 carts: the first three have enough for most of them, the
/// last is scarce (3 units, at the warehouse only), so most of its checkouts are refused.
pub(crate) const PRODUCTS: [(&str, i64, i64); 4] = [("CH-0", 10, 3), ("CH-1", 10, 3), ("CH-2", 8, 2), ("CH-3", 3, 0)];
/// The offer every other shopper uses, once per customer.
pub(crate) const OFFER: &str = "chaos10";
/// Uses of the offer in all: fewer than the 8 shoppers who try it.
pub(crate) const OFFER_LIMIT: i64 = 5;

/// What the shoppers were told happened.
#[derive(Default, Debug)]
pub(crate) struct Acknowledged {
    /// Cart lines each customer's cart answered `200` for: (customer, cart id, SKU).
    pub cart_lines: Vec<(String, String, String)>,
    /// Orders a checkout answered `201`/`200` for.
    pub orders: Vec<String>,
}

/// The shop under test.
pub(crate) struct Shop<'a> {
    pub server: &'a TestServer,
    client: Client,
    staff: String,
    service: String,
    pub acknowledged: Mutex<Acknowledged>,
}

/// The customer id of shopper `i`.
pub(crate) fn customer(i: usize) -> String {
    format!("chaos-{i}")
}

fn sku(i: usize) -> &'static str {
    PRODUCTS[i % PRODUCTS.len()].0
}

impl<'a> Shop<'a> {
    pub(crate) fn new(server: &'a TestServer) -> Self {
        Self {
            server,
            client: Client::new(&server.base),
            staff: server.token("staff-1", &[Role::Staff]),
            service: server.token("oms", &[Role::Service]),
            acknowledged: Mutex::default(),
        }
    }

    pub(crate) fn seen(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.client.seen.lock().expect("seen")
    }

    /// A call that must succeed (the shop opening, before any fault).
    async fn must(&self, method: Method, path: &str, token: &str, body: Value) {
        let (status, answer) = self.client.call(method, path, Some(token), Some(&body), None).await;
        assert!((200..300).contains(&status), "{path}: {status} {answer}");
    }

    /// Locations, products and stock, the offer, and points for every shopper.
    pub(crate) async fn open(&self) {
        let warehouse = json!({"kind": "warehouse", "name": "central", "channels": ["web", "app"]});
        self.must(Method::PUT, "/stock/locations/central", &self.staff, warehouse).await;
        let store = json!({"kind": "store", "name": "lyon", "channels": ["store:lyon", "web"]});
        self.must(Method::PUT, "/stock/locations/lyon", &self.staff, store).await;
        for (sku, central, lyon) in PRODUCTS {
            let product = json!({"name": sku, "category": "shoes", "price": {"amount": 2_000, "currency": "EUR"},
                                 "safety_stock": 0, "reorder_point": 0});
            self.must(Method::PUT, &format!("/stock/items/{sku}"), &self.staff, product).await;
            for (location, on_hand) in [("central", central), ("lyon", lyon)] {
                let path = format!("/stock/items/{sku}/levels/{location}");
                self.must(Method::PUT, &path, &self.staff, json!({"on_hand": on_hand})).await;
            }
        }
        let now = time::OffsetDateTime::now_utc();
        let offer = json!({"title": "10% off", "discount": {"percent": 10}, "per_customer_limit": 1, "total_limit": OFFER_LIMIT,
                           "starts_at": rfc3339(now - time::Duration::hours(1)),
                           "ends_at": rfc3339(now + time::Duration::days(1)), "priority": 1});
        self.must(Method::PUT, &format!("/offers/{OFFER}"), &self.staff, offer).await;
        for i in 0..SHOPPERS {
            let earn = json!({"customer_id": customer(i), "order_id": format!("seed-{i}"),
                              "amount": {"amount": 50_000, "currency": "EUR"}, "channel": "web", "at": rfc3339(now)});
            self.must(Method::POST, "/loyalty/earn", &self.service, earn).await;
        }
    }

    /// Every shopper's journey, side by side. Answers a summary.
    pub(crate) async fn run(&self) -> String {
        let journeys = (0..SHOPPERS).map(|i| self.journey(i));
        let outcomes = futures::future::join_all(journeys).await;
        let mut summary = BTreeMap::new();
        for outcome in outcomes.into_iter().flatten() {
            *summary.entry(outcome).or_insert(0) += 1;
        }
        format!("journeys: {summary:?}")
    }

    /// One shopper: a cart on two devices, a wishlist move, a checkout with points (and the
    /// offer, for every other one), then a confirm and a return or a cancel, an earning and a
    /// redemption of their own, and a stock movement and a reservation by the shop.
    async fn journey(&self, i: usize) -> Vec<&'static str> {
        let me = customer(i);
        let token = self.server.token(&me, &[Role::Customer]);
        let mut outcome = Vec::new();
        let call = |method: Method, path: String, token: String, body: Option<Value>, key: Option<String>| async move {
            self.client.call(method, &path, Some(&token), body.as_ref(), key.as_deref()).await
        };

        let (status, cart) = call(Method::POST, "/cart/carts".into(), token.clone(), None, None).await;
        let Some(cart_id) = cart["cart_id"].as_str().filter(|_| status < 300).map(str::to_owned) else {
            return vec!["no cart"];
        };
        for (device, sku) in [("phone", sku(i)), ("laptop", sku(i + 1))] {
            let ops = json!({"device_id": device, "ops": [{"op": "set", "sku": sku, "qty": 1,
                                                              "at": rfc3339(time::OffsetDateTime::now_utc())}]});
            let (status, _) =
                call(Method::POST, format!("/cart/carts/{cart_id}/sync"), token.clone(), Some(ops), None).await;
            if status == 200 {
                self.ack_line(&me, &cart_id, sku);
            }
        }
        let saved = sku(i + 2);
        call(Method::PUT, format!("/cart/wishlist/items/{saved}"), token.clone(), None, None).await;
        let path = format!("/cart/wishlist/items/{saved}/move");
        let (status, moved) = call(Method::POST, path, token.clone(), None, Some(format!("move-{i}"))).await;
        if status == 200 && moved["cart_id"] == cart_id.as_str() {
            self.ack_line(&me, &cart_id, saved);
        }

        let order_id = format!("ord-{i}");
        let mut checkout =
            json!({"order_id": order_id, "cart_id": cart_id, "fulfilment": {"type": "ship"}, "points": 100});
        if i.is_multiple_of(2) {
            checkout["offer_id"] = json!(OFFER);
        }
        let (status, _) = call(Method::POST, "/orders".into(), token.clone(), Some(checkout), None).await;
        if status == 201 || status == 200 {
            self.acknowledged.lock().expect("ack").orders.push(order_id.clone());
            if i.is_multiple_of(3) {
                let (status, _) =
                    call(Method::POST, format!("/orders/{order_id}/cancel"), self.service.clone(), None, None).await;
                outcome.push(if status == 200 { "cancelled" } else { "cancel refused" });
            } else {
                let (status, order) =
                    call(Method::POST, format!("/orders/{order_id}/confirm"), self.service.clone(), None, None).await;
                outcome.push(if status == 200 { "confirmed" } else { "confirm refused" });
                if let Some(first) = order["lines"][0]["sku"].as_str().filter(|_| status == 200) {
                    let back = json!({"return_id": format!("ret-{i}"), "location_id": "lyon",
                                      "lines": [{"sku": first, "qty": 1}]});
                    let path = format!("/orders/{order_id}/returns");
                    let (status, _) = call(Method::POST, path, self.staff.clone(), Some(back), None).await;
                    outcome.push(if status == 201 || status == 200 { "returned" } else { "return refused" });
                }
            }
        } else {
            outcome.push("checkout refused");
        }

        let now = rfc3339(time::OffsetDateTime::now_utc());
        let earn = json!({"customer_id": me, "order_id": format!("pos-{i}"), "amount": {"amount": 3_000, "currency": "EUR"},
                          "channel": "store:lyon", "at": now});
        call(Method::POST, "/loyalty/earn".into(), self.service.clone(), Some(earn), None).await;
        let redeem = json!({"points": 10, "order_id": format!("gift-{i}")});
        call(Method::POST, "/loyalty/redeem".into(), token.clone(), Some(redeem), Some(format!("redeem-{i}"))).await;

        let movement = json!({"event_id": format!("adj-{i}"), "sku": sku(i), "location_id": "central", "delta": 1,
                              "reason": "chaos delivery"});
        call(Method::POST, "/stock/adjustments".into(), self.service.clone(), Some(movement), None).await;
        let reservation_id = format!("res-{i}");
        let reserve = json!({"reservation_id": reservation_id, "location_id": "central",
                             "lines": [{"sku": sku(i + 3), "qty": 1}], "ttl_seconds": 3_600});
        let (status, _) =
            call(Method::POST, "/stock/reservations".into(), self.service.clone(), Some(reserve), None).await;
        if status == 201 || status == 200 {
            let path = format!("/stock/reservations/{reservation_id}");
            if i.is_multiple_of(2) {
                call(Method::POST, format!("{path}/commit"), self.service.clone(), None, None).await;
            } else {
                call(Method::DELETE, path, self.service.clone(), None, None).await;
            }
        }
        outcome
    }

    fn ack_line(&self, customer: &str, cart_id: &str, sku: &str) {
        let line = (customer.to_owned(), cart_id.to_owned(), sku.to_owned());
        self.acknowledged.lock().expect("ack").cart_lines.push(line);
    }
}
