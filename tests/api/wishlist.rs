//! The wishlist, row by row of the contract: saved items that follow the customer across
//! devices with their prices and stock, offline sync, move to cart, the races of saves and
//! moves, and bad input, which changes nothing.

use omnicanal_pipeline::auth::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestServer, problem};

/// A shop with products and stock, and a customer's devices.
struct Shop<'a> {
    server: &'a TestServer,
    staff: String,
}

impl<'a> Shop<'a> {
    fn new(server: &'a TestServer) -> Self {
        Self { server, staff: server.token("staff-1", &[Role::Staff]) }
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        channel: &str,
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

    async fn ok(&self, method: Method, path: &str, token: &str, channel: &str, body: Option<Value>) -> Value {
        let response = self.send(method, path, Some(token), channel, body).await;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        // The wishlist's and cart's answers are 200; a shop's setup may create (201).
        if path.starts_with("/cart/") {
            assert_eq!(status, 200, "{path}: {body}");
        } else {
            assert!(status.is_success(), "{path}: {status} {body}");
        }
        body
    }

    /// A warehouse selling to the web and the app, products at these prices (EUR cents) with
    /// these units on hand there.
    async fn stocked(&self, products: &[(&str, i64, i64)]) {
        let warehouse = json!({"kind": "warehouse", "name": "central", "channels": ["web", "app"]});
        self.ok(Method::PUT, "/stock/locations/central", &self.staff, "web", Some(warehouse)).await;
        for (sku, price, on_hand) in products {
            self.price(sku, *price).await;
            let path = format!("/stock/items/{sku}/levels/central");
            self.ok(Method::PUT, &path, &self.staff, "web", Some(json!({"on_hand": on_hand}))).await;
        }
    }

    async fn price(&self, sku: &str, amount: i64) {
        let product = json!({"name": sku, "category": "shoes", "price": {"amount": amount, "currency": "EUR"},
                             "safety_stock": 0, "reorder_point": 0});
        let response =
            self.send(Method::PUT, &format!("/stock/items/{sku}"), Some(&self.staff), "web", Some(product)).await;
        assert!(response.status().is_success(), "{}", response.status());
    }

    async fn list(&self, token: &str, channel: &str) -> Value {
        self.ok(Method::GET, "/cart/wishlist", token, channel, None).await
    }

    async fn save(&self, token: &str, channel: &str, sku: &str) -> Value {
        self.ok(Method::PUT, &format!("/cart/wishlist/items/{sku}"), token, channel, None).await
    }

    async fn sync(&self, token: &str, device: &str, ops: Value) -> reqwest::Response {
        let body = json!({"device_id": device, "ops": ops});
        self.send(Method::POST, "/cart/wishlist/sync", Some(token), "app", Some(body)).await
    }

    async fn move_item(&self, token: &str, sku: &str, body: Option<Value>) -> reqwest::Response {
        self.send(Method::POST, &format!("/cart/wishlist/items/{sku}/move"), Some(token), "web", body).await
    }
}

fn skus(list: &Value) -> Vec<String> {
    list["items"].as_array().expect("items").iter().map(|i| i["sku"].as_str().expect("sku").to_owned()).collect()
}

fn item<'v>(list: &'v Value, sku: &str) -> &'v Value {
    list["items"].as_array().expect("items").iter().find(|i| i["sku"] == sku).expect("the item")
}

#[tokio::test]
async fn a_saved_item_follows_the_customer_with_its_price_and_stock() {
    let server = TestServer::start();
    let shop = Shop::new(&server);
    shop.stocked(&[("SHOE", 8_000, 3), ("SOLD-OUT", 5_000, 0)]).await;
    let ana = server.token("ana", &[Role::Customer]);
    let empty = shop.list(&ana, "web").await;
    assert_eq!(empty, json!({"items": [], "version": 0}), "nothing saved yet");

    // Saved on the phone…
    shop.save(&ana, "app", "SHOE").await;
    let saved = shop.save(&ana, "app", "SOLD-OUT").await;
    assert_eq!(skus(&saved), ["SOLD-OUT", "SHOE"], "newest first");
    // …there on the laptop.
    let laptop = shop.list(&ana, "web").await;
    assert_eq!(laptop, saved);
    let shoe = item(&laptop, "SHOE");
    assert_eq!(shoe["channel"], "app");
    assert_eq!(shoe["price"], json!({"amount": 8_000, "currency": "EUR"}));
    assert_eq!(shoe["price_when_added"], shoe["price"]);
    assert_eq!((shoe["price_dropped"].as_bool(), shoe["in_stock"].as_bool()), (Some(false), Some(true)));
    assert_eq!(item(&laptop, "SOLD-OUT")["in_stock"], false);
    // A store channel that no location sells to has nothing in stock.
    assert_eq!(item(&shop.list(&ana, "store:nowhere").await, "SHOE")["in_stock"], false);

    // Saving a saved item changes nothing, added_at stays.
    let again = shop.save(&ana, "web", "SHOE").await;
    assert_eq!(again, laptop);

    // A price drop shows against the price when saved.
    shop.price("SHOE", 6_500).await;
    let dropped = shop.list(&ana, "web").await;
    let shoe = item(&dropped, "SHOE");
    assert_eq!(shoe["price"]["amount"], 6_500);
    assert_eq!(shoe["price_when_added"]["amount"], 8_000);
    assert_eq!(shoe["price_dropped"], true);

    // Another customer's list is their own.
    let bo = server.token("bo", &[Role::Customer]);
    assert_eq!(skus(&shop.list(&bo, "web").await), Vec::<String>::new());

    let removed = shop.ok(Method::DELETE, "/cart/wishlist/items/SHOE", &ana, "web", None).await;
    assert_eq!(skus(&removed), ["SOLD-OUT"]);
    let version = removed["version"].clone();
    let absent = shop.ok(Method::DELETE, "/cart/wishlist/items/SHOE", &ana, "web", None).await;
    assert_eq!(absent["version"], version, "removing an absent item changes nothing");
}

#[tokio::test]
async fn offline_devices_sync_and_a_late_older_save_never_revives_a_remove() {
    let server = TestServer::start();
    let shop = Shop::new(&server);
    shop.stocked(&[("A1", 1_000, 1), ("B2", 2_000, 1), ("C3", 3_000, 1)]).await;
    let ana = server.token("ana", &[Role::Customer]);
    let phone = json!([
        {"op": "add", "sku": "A1", "at": "2026-11-22T10:00:00Z"},
        {"op": "add", "sku": "B2", "at": "2026-11-22T10:01:00Z"},
    ]);
    let response = shop.sync(&ana, "phone", phone.clone()).await;
    assert_eq!(response.status(), 200);
    let first: Value = response.json().await.expect("list");
    assert_eq!((first["applied"].as_u64(), first["ignored"].as_u64()), (Some(2), Some(0)));
    assert_eq!(item(&first, "A1")["added_at"], "2026-11-22T10:00:00Z");
    // The laptop removed A1 later; the phone, offline, saved it again before that.
    let laptop = json!([{"op": "remove", "sku": "A1", "at": "2026-11-22T10:05:00Z"},
                        {"op": "add", "sku": "C3", "at": "2026-11-22T10:06:00Z"}]);
    shop.sync(&ana, "laptop", laptop.clone()).await;
    let late = json!([{"op": "add", "sku": "A1", "at": "2026-11-22T10:03:00Z"}]);
    let response: Value = shop.sync(&ana, "phone", late).await.json().await.expect("list");
    assert_eq!((response["applied"].as_u64(), response["ignored"].as_u64()), (Some(0), Some(1)));
    assert_eq!(skus(&response), ["C3", "B2"]);
    // The same batches again, in another order: the same list, nothing applied.
    let replay: Value = shop.sync(&ana, "laptop", laptop).await.json().await.expect("list");
    let replay_phone: Value = shop.sync(&ana, "phone", phone).await.json().await.expect("list");
    assert_eq!(replay["applied"], 0);
    assert_eq!(replay_phone["applied"], 0);
    assert_eq!(replay_phone["items"], response["items"]);
}

#[tokio::test]
async fn moving_an_item_puts_it_on_the_cart_and_off_the_list_once() {
    let server = TestServer::start();
    let shop = Shop::new(&server);
    shop.stocked(&[("SHOE", 8_000, 5), ("SOCK", 900, 5)]).await;
    let ana = server.token("ana", &[Role::Customer]);
    shop.save(&ana, "app", "SHOE").await;
    shop.save(&ana, "app", "SOCK").await;
    // No cart yet: the move creates the customer's active cart.
    let response = shop.move_item(&ana, "SHOE", Some(json!({"qty": 2}))).await;
    assert_eq!(response.status(), 200);
    assert!(response.headers().contains_key("etag"));
    let cart: Value = response.json().await.expect("cart");
    assert_eq!(cart["lines"][0]["sku"], "SHOE");
    assert_eq!(cart["lines"][0]["qty"], 2);
    assert_eq!(cart["customer_id"], "ana");
    assert_eq!(skus(&shop.list(&ana, "web").await), ["SOCK"], "off the list");
    let me = shop.ok(Method::GET, "/cart/me", &ana, "web", None).await;
    assert_eq!(me["cart_id"], cart["cart_id"], "it is the customer's active cart");
    // Moved already (a retry whose answer was lost, a double tap): the cart, unchanged.
    let again = shop.move_item(&ana, "SHOE", Some(json!({"qty": 2}))).await;
    assert_eq!(again.status(), 200);
    let again: Value = again.json().await.expect("cart");
    assert_eq!((again["lines"][0]["qty"].clone(), again["version"].clone()), (json!(2), cart["version"].clone()));
    problem(shop.move_item(&ana, "BOOT", None).await, 404, "not_found").await;
    // Saved again and moved again: onto the same cart, added to its line.
    shop.save(&ana, "web", "SHOE").await;
    let cart: Value = shop.move_item(&ana, "SHOE", None).await.json().await.expect("cart");
    assert_eq!(cart["cart_id"], me["cart_id"]);
    assert_eq!(cart["lines"][0]["qty"], 3);

    // Eight devices move the same item at once: it lands on the cart once, and each device is
    // answered the cart it is on.
    let racing = (0..8).map(|_| async { shop.move_item(&ana, "SOCK", None).await.status().as_u16() });
    let statuses = futures::future::join_all(racing).await;
    assert_eq!(statuses, [200; 8]);
    let me = shop.ok(Method::GET, "/cart/me", &ana, "web", None).await;
    let sock = me["lines"].as_array().expect("lines").iter().find(|l| l["sku"] == "SOCK").expect("the sock");
    assert_eq!(sock["qty"], 1);
    assert_eq!(skus(&shop.list(&ana, "web").await), Vec::<String>::new());
}

#[tokio::test]
async fn racing_saves_from_many_devices_lose_nothing() {
    let server = TestServer::start();
    let shop = Shop::new(&server);
    let products: Vec<(String, i64, i64)> = (0..12).map(|i| (format!("P{i:02}"), 1_000 + i, 1)).collect();
    let named: Vec<(&str, i64, i64)> = products.iter().map(|(s, p, q)| (s.as_str(), *p, *q)).collect();
    shop.stocked(&named).await;
    let ana = server.token("ana", &[Role::Customer]);
    let saves = products.iter().enumerate().map(|(i, (sku, _, _))| {
        let (shop, ana) = (&shop, &ana);
        async move {
            if i % 2 == 0 {
                shop.save(ana, "web", sku).await;
            } else {
                let ops = json!([{"op": "add", "sku": sku, "at": "2026-11-22T10:00:00Z"}]);
                assert_eq!(shop.sync(ana, &format!("device-{i}"), ops).await.status(), 200);
            }
        }
    });
    futures::future::join_all(saves).await;
    let list = shop.list(&ana, "web").await;
    let mut saved = skus(&list);
    saved.sort();
    let want: Vec<String> = products.iter().map(|(s, _, _)| s.clone()).collect();
    assert_eq!(saved, want, "every acknowledged save is on the list");
    assert_eq!(list["version"], 12, "one version per save");
}

#[tokio::test]
async fn bad_wishlist_input_is_refused_and_changes_nothing() {
    let server = TestServer::start();
    let shop = Shop::new(&server);
    shop.stocked(&[("SHOE", 8_000, 1)]).await;
    let ana = server.token("ana", &[Role::Customer]);
    let before = shop.save(&ana, "web", "SHOE").await;

    problem(shop.send(Method::GET, "/cart/wishlist", None, "web", None).await, 401, "unauthenticated").await;
    let staff = shop.staff.clone();
    problem(shop.send(Method::PUT, "/cart/wishlist/items/SHOE", Some(&staff), "web", None).await, 403, "forbidden")
        .await;
    problem(
        shop.send(Method::PUT, "/cart/wishlist/items/bad%20sku", Some(&ana), "web", None).await,
        400,
        "invalid_sku",
    )
    .await;
    let unknown = problem(
        shop.send(Method::PUT, "/cart/wishlist/items/GHOST", Some(&ana), "web", None).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(unknown["errors"][0]["field"], "sku");
    let extra = Some(json!({"note": "x"}));
    problem(
        shop.send(Method::PUT, "/cart/wishlist/items/SHOE", Some(&ana), "web", extra).await,
        400,
        "invalid_request",
    )
    .await;

    let ghost = json!([{"op": "add", "sku": "SHOE", "at": "2026-11-22T10:00:00Z"},
                      {"op": "add", "sku": "GHOST", "at": "2026-11-22T10:00:00Z"}]);
    let refused = problem(shop.sync(&ana, "phone", ghost).await, 422, "validation_failed").await;
    assert_eq!(refused["errors"][0]["field"], "ops[1].sku");
    let unknown_op = json!([{"op": "set", "sku": "SHOE", "at": "2026-11-22T10:00:00Z"}]);
    problem(shop.sync(&ana, "phone", unknown_op).await, 400, "invalid_request").await;
    let bad_time = json!([{"op": "remove", "sku": "SHOE", "at": "yesterday"}]);
    let refused = problem(shop.sync(&ana, "phone", bad_time).await, 422, "validation_failed").await;
    assert_eq!(refused["errors"][0]["field"], "ops[0].at");
    let too_many: Vec<Value> =
        (0..101).map(|i| json!({"op": "remove", "sku": format!("S{i:03}"), "at": "2026-11-22T10:00:00Z"})).collect();
    problem(shop.sync(&ana, "phone", json!(too_many)).await, 422, "validation_failed").await;
    problem(shop.sync(&ana, "~server", json!([])).await, 422, "validation_failed").await;
    problem(shop.move_item(&ana, "SHOE", Some(json!({"qty": 0}))).await, 422, "validation_failed").await;
    problem(shop.move_item(&ana, "SHOE", Some(json!({"qty": 1000}))).await, 422, "validation_failed").await;

    assert_eq!(shop.list(&ana, "web").await, before, "nothing changed");
}

#[tokio::test]
async fn a_wishlist_holds_two_hundred_items() {
    let server = TestServer::start();
    let shop = Shop::new(&server);
    let products: Vec<(String, i64, i64)> = (0..201).map(|i| (format!("W{i:03}"), 100, 1)).collect();
    let warehouse = json!({"kind": "warehouse", "name": "central", "channels": ["web"]});
    shop.ok(Method::PUT, "/stock/locations/central", &shop.staff, "web", Some(warehouse)).await;
    for chunk in products.chunks(20) {
        futures::future::join_all(chunk.iter().map(|(sku, price, _)| shop.price(sku, *price))).await;
    }
    let ana = server.token("ana", &[Role::Customer]);
    let ops = |range: std::ops::Range<usize>| -> Value {
        range.map(|i| json!({"op": "add", "sku": products[i].0, "at": "2026-11-22T10:00:00Z"})).collect()
    };
    assert_eq!(shop.sync(&ana, "phone", ops(0..100)).await.status(), 200);
    assert_eq!(shop.sync(&ana, "phone", ops(100..200)).await.status(), 200);
    let full = shop.list(&ana, "web").await;
    assert_eq!(skus(&full).len(), 200);
    assert!(full["items"].as_array().expect("items").iter().all(|i| i["in_stock"] == false), "no levels set");
    let over = problem(shop.sync(&ana, "phone", ops(200..201)).await, 422, "validation_failed").await;
    assert_eq!(over["errors"][0]["field"], "items");
    let path = format!("/cart/wishlist/items/{}", products[200].0);
    problem(shop.send(Method::PUT, &path, Some(&ana), "web", None).await, 422, "validation_failed").await;
    assert_eq!(shop.list(&ana, "web").await, full, "nothing changed");
}
