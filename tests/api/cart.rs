//! The cart function, row by row of the contract, its races and its bad inputs.

use omnicanal_pipeline::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{TestServer, problem};

/// A client of the cart function (shared with [`crate::cart_lines`]).
pub(crate) struct Shop<'a> {
    server: &'a TestServer,
}

impl<'a> Shop<'a> {
    pub(crate) fn new(server: &'a TestServer) -> Self {
        Self { server }
    }

    pub(crate) fn request(&self, method: reqwest::Method, path: &str, token: Option<&str>) -> reqwest::RequestBuilder {
        let request = self.server.client.request(method, self.server.url(path));
        match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    pub(crate) async fn create(&self, token: Option<&str>) -> reqwest::Response {
        self.request(reqwest::Method::POST, "/cart/carts", token).send().await.expect("create")
    }

    pub(crate) async fn anonymous(&self) -> Value {
        let response = self.create(None).await;
        assert_eq!(response.status(), 201);
        response.json().await.expect("cart")
    }

    pub(crate) async fn get(&self, id: &str, token: Option<&str>) -> reqwest::Response {
        self.request(reqwest::Method::GET, &format!("/cart/carts/{id}"), token).send().await.expect("get")
    }

    pub(crate) async fn put_line(&self, id: &str, sku: &str, qty: Value, token: Option<&str>) -> reqwest::Response {
        self.request(reqwest::Method::PUT, &format!("/cart/carts/{id}/lines/{sku}"), token)
            .json(&json!({"qty": qty}))
            .send()
            .await
            .expect("put line")
    }

    pub(crate) async fn sync(&self, id: &str, body: &Value) -> reqwest::Response {
        self.request(reqwest::Method::POST, &format!("/cart/carts/{id}/sync"), None)
            .json(body)
            .send()
            .await
            .expect("sync")
    }
}

/// The live lines of a cart, as (sku, qty).
pub(crate) fn lines(cart: &Value) -> Vec<(String, u64)> {
    cart["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| (l["sku"].as_str().expect("sku").to_owned(), l["qty"].as_u64().expect("qty")))
        .collect()
}

/// The id of a cart.
pub(crate) fn id(cart: &Value) -> String {
    cart["cart_id"].as_str().expect("cart_id").to_owned()
}

#[tokio::test]
async fn anonymous_carts_hold_lines_with_etags_and_expire() {
    let server = TestServer::start();
    let shop = Shop::new(&server);
    let cart = shop.anonymous().await;
    let cart_id = id(&cart);
    assert!(cart_id.len() >= 21, "at least 122 random bits");
    assert_eq!(cart["status"], "active");
    assert_eq!(cart["customer_id"], Value::Null);
    assert!(cart["expires_at"].as_str().is_some(), "anonymous carts expire");

    let response = shop.put_line(&cart_id, "SHOE-1", json!(2), None).await;
    assert_eq!(response.status(), 200);
    let etag = response.headers()["etag"].to_str().expect("etag").to_owned();
    let cart: Value = response.json().await.expect("cart");
    assert_eq!(etag, format!("\"{}\"", cart["version"]));
    assert_eq!(lines(&cart), vec![("SHOE-1".into(), 2)]);
    assert_eq!(cart["lines"][0]["channel"], "web");

    let response = shop
        .request(reqwest::Method::PUT, &format!("/cart/carts/{cart_id}/lines/MUG-1"), None)
        .header("x-channel", "store:paris-01")
        .json(&json!({"qty": 1}))
        .send()
        .await
        .expect("put");
    let cart: Value = response.json().await.expect("cart");
    assert_eq!(lines(&cart), vec![("MUG-1".into(), 1), ("SHOE-1".into(), 2)], "sorted by sku");
    assert_eq!(cart["lines"][0]["channel"], "store:paris-01");

    // qty 0 and DELETE both remove; deleting again changes nothing.
    let cart: Value = shop.put_line(&cart_id, "MUG-1", json!(0), None).await.json().await.expect("cart");
    assert_eq!(lines(&cart), vec![("SHOE-1".into(), 2)]);
    let delete = shop.request(reqwest::Method::DELETE, &format!("/cart/carts/{cart_id}/lines/SHOE-1"), None);
    let cart: Value = delete.send().await.expect("delete").json().await.expect("cart");
    assert!(lines(&cart).is_empty());
    let version = cart["version"].clone();
    let again = shop.request(reqwest::Method::DELETE, &format!("/cart/carts/{cart_id}/lines/SHOE-1"), None);
    let cart: Value = again.send().await.expect("delete").json().await.expect("cart");
    assert_eq!(cart["version"], version, "a no-op does not bump the version");

    let response = shop.get(&cart_id, None).await;
    assert_eq!(response.status(), 200);
    assert!(response.headers().contains_key("etag"));
}

#[tokio::test]
async fn a_stale_if_match_is_412_with_the_current_cart() {
    let server = TestServer::start();
    let shop = Shop::new(&server);
    let cart_id = id(&shop.anonymous().await);
    let first: Value = shop.put_line(&cart_id, "A1", json!(1), None).await.json().await.expect("cart");
    let stale = format!("\"{}\"", first["version"].as_u64().expect("v") - 1);
    let response = shop
        .request(reqwest::Method::PUT, &format!("/cart/carts/{cart_id}/lines/B2"), None)
        .header("if-match", stale)
        .json(&json!({"qty": 1}))
        .send()
        .await
        .expect("put");
    let body = problem(response, 412, "version_mismatch").await;
    assert_eq!(body["cart"]["version"], first["version"]);
    assert_eq!(lines(&body["cart"]), vec![("A1".into(), 1)], "nothing changed");

    let current = format!("\"{}\"", first["version"]);
    let response = shop
        .request(reqwest::Method::PUT, &format!("/cart/carts/{cart_id}/lines/B2"), None)
        .header("if-match", current)
        .json(&json!({"qty": 1}))
        .send()
        .await
        .expect("put");
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn forty_concurrent_writers_leave_forty_lines() {
    let server = TestServer::start();
    let shop = Shop::new(&server);
    let cart_id = id(&shop.anonymous().await);
    let writes = (0..40).map(|i| {
        let shop = &shop;
        let cart_id = &cart_id;
        async move { shop.put_line(cart_id, &format!("SKU-{i:02}"), json!(i + 1), None).await.status() }
    });
    let statuses = futures::future::join_all(writes).await;
    assert!(statuses.iter().all(|s| *s == 200), "every write lands: {statuses:?}");
    let cart: Value = shop.get(&cart_id, None).await.json().await.expect("cart");
    let got = lines(&cart);
    assert_eq!(got.len(), 40, "no lost line");
    for (i, (sku, qty)) in got.iter().enumerate() {
        assert_eq!((sku.as_str(), *qty), (format!("SKU-{i:02}").as_str(), i as u64 + 1));
    }
    assert_eq!(cart["version"], 41, "one version per write");
}

#[tokio::test]
async fn a_customer_has_one_active_cart_from_every_device() {
    let server = TestServer::start();
    let shop = Shop::new(&server);
    let alice = server.token("alice", &[Role::Customer]);
    let bob = server.token("bob", &[Role::Customer]);

    let me = shop.request(reqwest::Method::GET, "/cart/me", Some(&alice)).send().await.expect("me");
    problem(me, 404, "not_found").await;

    // Five devices log in at once: one cart, created once.
    let creates = (0..5).map(|_| shop.create(Some(&alice)));
    let responses = futures::future::join_all(creates).await;
    let mut ids = Vec::new();
    let mut created = 0;
    for response in responses {
        if response.status() == 201 {
            created += 1;
        } else {
            assert_eq!(response.status(), 200);
        }
        let cart: Value = response.json().await.expect("cart");
        assert_eq!(cart["customer_id"], "alice");
        assert_eq!(cart["expires_at"], Value::Null, "customers' carts do not expire");
        ids.push(id(&cart));
    }
    assert_eq!(created, 1, "exactly one create");
    ids.dedup();
    assert_eq!(ids.len(), 1, "every device sees the same cart");
    let cart_id = ids.remove(0);

    assert_eq!(shop.put_line(&cart_id, "A1", json!(3), Some(&alice)).await.status(), 200);
    let me: Value = shop
        .request(reqwest::Method::GET, "/cart/me", Some(&alice))
        .send()
        .await
        .expect("me")
        .json()
        .await
        .expect("cart");
    assert_eq!(lines(&me), vec![("A1".into(), 3)]);

    // Nobody else reads or changes it.
    problem(shop.get(&cart_id, None).await, 401, "unauthenticated").await;
    problem(shop.get(&cart_id, Some(&bob)).await, 403, "forbidden").await;
    problem(shop.put_line(&cart_id, "A1", json!(9), Some(&bob)).await, 403, "forbidden").await;
    let cart: Value = shop.get(&cart_id, Some(&alice)).await.json().await.expect("cart");
    assert_eq!(lines(&cart), vec![("A1".into(), 3)], "unchanged by others");
    let me = shop.request(reqwest::Method::GET, "/cart/me", None).send().await.expect("me");
    problem(me, 401, "unauthenticated").await;
}

#[tokio::test]
async fn offline_batches_merge_deterministically() {
    let server = TestServer::start();
    let shop = Shop::new(&server);
    let cart_id = id(&shop.anonymous().await);
    let phone = json!({"device_id": "phone", "ops": [
        {"op": "set", "sku": "A1", "qty": 2, "at": "2026-11-22T10:00:00Z"},
        {"op": "set", "sku": "B2", "qty": 1, "at": "2026-11-22T10:00:05Z"}]});
    let laptop = json!({"device_id": "laptop", "ops": [
        {"op": "remove", "sku": "A1", "at": "2026-11-22T10:01:00Z"},
        {"op": "set", "sku": "C3", "qty": 4, "at": "2026-11-22T10:01:00Z"}]});
    let late_phone = json!({"device_id": "phone", "ops": [
        {"op": "set", "sku": "A1", "qty": 7, "at": "2026-11-22T10:00:30Z"}]});

    let first: Value = shop.sync(&cart_id, &phone).await.json().await.expect("sync");
    assert_eq!((first["applied"].as_u64(), first["ignored"].as_u64()), (Some(2), Some(0)));
    shop.sync(&cart_id, &laptop).await;
    let late: Value = shop.sync(&cart_id, &late_phone).await.json().await.expect("sync");
    assert_eq!(late["ignored"], 1, "an older set does not revive a removed line");
    let again: Value = shop.sync(&cart_id, &phone).await.json().await.expect("sync");
    assert_eq!((again["applied"].as_u64(), again["ignored"].as_u64()), (Some(0), Some(2)));
    let expected = vec![("B2".to_owned(), 1), ("C3".to_owned(), 4)];
    assert_eq!(lines(&again), expected);

    // The same batches in another order, on another cart: the same lines.
    let other = id(&shop.anonymous().await);
    for batch in [&late_phone, &laptop, &phone, &laptop] {
        assert_eq!(shop.sync(&other, batch).await.status(), 200);
    }
    let cart: Value = shop.get(&other, None).await.json().await.expect("cart");
    assert_eq!(lines(&cart), expected);

    // A clock far ahead is clamped to server time, so a later real write still wins.
    let future = json!({"device_id": "broken-clock", "ops": [
        {"op": "set", "sku": "D4", "qty": 9, "at": "2099-01-01T00:00:00Z"}]});
    shop.sync(&other, &future).await;
    let cart: Value = shop.put_line(&other, "D4", json!(1), None).await.json().await.expect("cart");
    assert!(lines(&cart).contains(&("D4".to_owned(), 1)));

    // Any RFC 3339 time is taken, even past what nanoseconds in 64 bits reach (1677–2262):
    // the far future is clamped to now, the far past loses to every later write.
    let extremes = json!({"device_id": "odd-clock", "ops": [
        {"op": "set", "sku": "E5", "qty": 2, "at": "9999-12-31T23:59:59Z"},
        {"op": "set", "sku": "F6", "qty": 3, "at": "0001-01-01T00:00:00Z"}]});
    let response = shop.sync(&other, &extremes).await;
    assert_eq!(response.status(), 200, "the whole batch is taken");
    let cart: Value = response.json().await.expect("cart");
    assert_eq!(cart["applied"], 2);
    assert!(lines(&cart).contains(&("E5".to_owned(), 2)) && lines(&cart).contains(&("F6".to_owned(), 3)));
}

#[tokio::test]
async fn login_merges_fold_the_anonymous_cart_once() {
    let server = TestServer::start();
    let shop = Shop::new(&server);
    let carol = server.token("carol", &[Role::Customer]);
    for (strategy, expected) in [
        ("sum", vec![("A1", 5), ("B2", 1), ("C3", 2)]),
        ("max", vec![("A1", 3), ("B2", 1), ("C3", 2)]),
        ("replace", vec![("A1", 3), ("C3", 2)]),
    ] {
        let token = server.token(&format!("carol-{strategy}"), &[Role::Customer]);
        let target: Value = shop.create(Some(&token)).await.json().await.expect("cart");
        let target_id = id(&target);
        shop.put_line(&target_id, "A1", json!(2), Some(&token)).await;
        shop.put_line(&target_id, "B2", json!(1), Some(&token)).await;
        let source_id = id(&shop.anonymous().await);
        shop.put_line(&source_id, "A1", json!(3), None).await;
        shop.put_line(&source_id, "C3", json!(2), None).await;
        let merge = |token: &str| {
            shop.request(reqwest::Method::POST, &format!("/cart/carts/{target_id}/merge"), Some(token))
                .json(&json!({"source_cart_id": source_id, "strategy": strategy}))
                .send()
        };
        let merged: Value = merge(&token).await.expect("merge").json().await.expect("cart");
        let want: Vec<(String, u64)> = expected.iter().map(|(s, q)| ((*s).to_owned(), *q)).collect();
        assert_eq!(lines(&merged), want, "{strategy}");
        // A retried merge changes nothing.
        let retry: Value = merge(&token).await.expect("merge").json().await.expect("cart");
        assert_eq!(retry["version"], merged["version"], "{strategy}: retry is a no-op");
        assert_eq!(lines(&retry), want);
        // The source is closed.
        let source: Value = shop.get(&source_id, None).await.json().await.expect("source");
        assert_eq!(source["status"], "merged");
        problem(shop.put_line(&source_id, "Z9", json!(1), None).await, 409, "cart_closed").await;
        // Someone else cannot merge into this cart.
        problem(merge(&carol).await.expect("merge"), 403, "forbidden").await;
    }
}

#[tokio::test]
async fn bad_inputs_are_refused_and_change_nothing() {
    let server = TestServer::start();
    let shop = Shop::new(&server);
    let cart_id = id(&shop.anonymous().await);
    shop.put_line(&cart_id, "A1", json!(1), None).await;

    problem(shop.put_line(&cart_id, "A1", json!("two"), None).await, 400, "invalid_request").await;
    problem(shop.put_line(&cart_id, "A1", json!(1000), None).await, 422, "validation_failed").await;
    problem(shop.put_line(&cart_id, "A1", json!(-1), None).await, 400, "invalid_request").await;
    problem(shop.put_line(&cart_id, "bad%20sku", json!(1), None).await, 400, "invalid_sku").await;
    problem(shop.get("AAAAAAAAAAAAAAAAAAAAAA", None).await, 404, "not_found").await;
    problem(shop.put_line("nope", "A1", json!(1), None).await, 404, "not_found").await;

    let too_many: Vec<Value> = (0..101)
        .map(|i| json!({"op": "set", "sku": format!("S{i:03}"), "qty": 1, "at": "2026-11-22T10:00:00Z"}))
        .collect();
    let body = json!({"device_id": "d", "ops": too_many});
    problem(shop.sync(&cart_id, &body).await, 422, "validation_failed").await;
    let hundred: Vec<Value> = (0..100)
        .map(|i| json!({"op": "set", "sku": format!("S{i:03}"), "qty": 1, "at": "2026-11-22T10:00:00Z"}))
        .collect();
    let body = json!({"device_id": "d", "ops": hundred});
    let response = shop.sync(&cart_id, &body).await;
    let problem_body = problem(response, 422, "validation_failed").await;
    assert_eq!(problem_body["errors"][0]["field"], "lines", "101 lines with the one already there");
    let bad_op = json!({"device_id": "d", "ops": [{"op": "set", "sku": "A1", "at": "yesterday"}]});
    let problem_body = problem(shop.sync(&cart_id, &bad_op).await, 422, "validation_failed").await;
    let fields: Vec<&str> =
        problem_body["errors"].as_array().expect("errors").iter().filter_map(|e| e["field"].as_str()).collect();
    assert_eq!(fields, vec!["ops[0].qty", "ops[0].at"]);
    let unknown = json!({"device_id": "d", "ops": [], "extra": true});
    problem(shop.sync(&cart_id, &unknown).await, 400, "invalid_request").await;

    let cart: Value = shop.get(&cart_id, None).await.json().await.expect("cart");
    assert_eq!(lines(&cart), vec![("A1".into(), 1)], "nothing changed");
    assert_eq!(cart["version"], 2);

    let create =
        shop.request(reqwest::Method::POST, "/cart/carts", None).json(&json!({"x": 1})).send().await.expect("create");
    problem(create, 400, "invalid_request").await;
    let merge = shop
        .request(reqwest::Method::POST, &format!("/cart/carts/{cart_id}/merge"), None)
        .json(&json!({"source_cart_id": cart_id, "strategy": "sum"}))
        .send()
        .await
        .expect("merge");
    problem(merge, 401, "unauthenticated").await;
}

#[tokio::test]
async fn an_anonymous_idempotency_key_replays_only_for_its_own_client() {
    let server = TestServer::start();
    // Two strangers on two addresses of the loopback network, one key.
    let from = |last: u8| {
        reqwest::Client::builder()
            .local_address(std::net::IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, last)))
            .build()
            .expect("client")
    };
    let create = |client: reqwest::Client| {
        let url = server.url("/cart/carts");
        async move {
            let response = client.post(url).header("idempotency-key", "k-1").send().await.expect("create");
            assert!(response.status().is_success(), "{}", response.status());
            let cart: Value = response.json().await.expect("cart");
            cart["cart_id"].as_str().expect("id").to_owned()
        }
    };
    let first = create(from(2)).await;
    let again = create(from(2)).await;
    let stranger = create(from(3)).await;
    assert_eq!(first, again, "the same client's retry is the same cart");
    assert_ne!(first, stranger, "another client never gets that cart's id");
}

/// A cart is one item, and DynamoDB refuses items over 400 KB, so it cannot keep a tombstone
/// per remove forever. With 1,000 removes (200 used to push the oldest out, and a late older
/// set then revived its line), the late set still stays out, a line set before them survives,
/// and the same batches in another order give the same cart.
#[tokio::test]
async fn a_thousand_removes_then_the_late_set_does_not_revive_the_line() {
    let server = TestServer::start();
    let shop = Shop::new(&server);
    let at = |second: usize| format!("2026-11-22T10:{:02}:{:02}Z", second / 60, second % 60);
    let keep = json!({"device_id": "tablet", "ops": [{"op": "set", "sku": "KEEP", "qty": 1, "at": at(3000)}]});
    let removes: Vec<Value> = (0..10)
        .map(|batch| {
            let ops: Vec<Value> = (0..100)
                .map(|i| json!({"op": "remove", "sku": format!("R{:04}", batch * 100 + i), "at": at(1 + batch * 100 + i)}))
                .collect();
            json!({"device_id": "laptop", "ops": ops})
        })
        .collect();
    // Older than the first remove of R0000: it must never show.
    let late = json!({"device_id": "phone", "ops": [{"op": "set", "sku": "R0000", "qty": 3, "at": at(0)}]});
    let mut first_order = vec![&keep];
    first_order.extend(&removes);
    first_order.push(&late);
    let mut second_order = vec![&late];
    second_order.extend(removes.iter().rev());
    second_order.push(&keep);
    let mut carts = Vec::new();
    for order in [first_order, second_order] {
        let cart_id = id(&shop.anonymous().await);
        for batch in order {
            assert_eq!(shop.sync(&cart_id, batch).await.status(), 200);
        }
        let cart: Value = shop.get(&cart_id, None).await.json().await.expect("cart");
        assert_eq!(lines(&cart), vec![("KEEP".to_owned(), 1)], "no removed line came back");
        carts.push(cart);
    }
    let again: Value = shop.sync(&id(&carts[0]), &late).await.json().await.expect("sync");
    assert_eq!((again["applied"].as_u64(), again["ignored"].as_u64()), (Some(0), Some(1)));
}
