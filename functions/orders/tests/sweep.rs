//! The orders sweep, driven through the function's entry point on the memory store with a
//! clock we move: placed orders past their time expire for real and give their points back,
//! running and confirmed ones stay, and a second sweep finds nothing to do.

use std::sync::Arc;

use bytes::Bytes;
use omnicanal_pipeline::auth::{Authenticator, Role, mint_hs256};
use omnicanal_pipeline::config::{Config, JwtConfig, JwtKey};
use omnicanal_pipeline::http::Env;
use omnicanal_platform::clock::{Clock as _, ManualClock, rfc3339};
use omnicanal_store::memory::MemoryStore;
use serde_json::{Value, json};

const SECRET: &[u8] = b"sweep-test-secret-0123456789abcdef";

fn env(clock: &ManualClock) -> Env<MemoryStore> {
    let jwt = JwtConfig { key: Some(JwtKey::Secret(SECRET.to_vec())), issuer: None, audience: None };
    let auth = Authenticator::new(&jwt).expect("key");
    let config = Config { jwt, ..Config::default() };
    Env { store: MemoryStore::new(Arc::new(clock.clone())), clock: Arc::new(clock.clone()), config, auth }
}

/// Calls the orders function as `ivy` with `role`.
async fn call(env: &Env<MemoryStore>, method: &str, path: &str, role: Role, body: Value) -> (u16, Value) {
    let token = mint_hs256(SECRET, "ivy", &[role], None, None, env.clock.epoch_secs(), 3600).expect("token");
    let request = http::Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(Bytes::from(if body.is_null() { String::new() } else { body.to_string() }))
        .expect("request");
    let response = omnicanal_orders::handle(request, env).await;
    let status = response.status().as_u16();
    (status, serde_json::from_slice(response.body()).unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_sweep_expires_due_orders_and_only_those() {
    use omnicanal_domain::cart::model::{Cart, Write};
    use omnicanal_domain::cart::record::to_item as cart_item;
    use omnicanal_domain::catalog::Product;
    use omnicanal_domain::loyalty::operations::{Purchase, earn};
    use omnicanal_domain::plan;
    use omnicanal_domain::stock::count::StockTake;
    use omnicanal_domain::stock::records::{Location, LocationKind};
    use omnicanal_domain::values::{Currency, Money, Sku};
    use omnicanal_store::{Store, WriteOp};

    let clock = ManualClock::new(time::macros::datetime!(2026-11-22 10:00 UTC));
    let env = env(&clock);
    let at = rfc3339(clock.now());
    let location = Location {
        location_id: "wh".into(),
        kind: LocationKind::Warehouse,
        name: "WH".into(),
        channels: vec!["web".into()],
        updated_at: at.clone(),
    };
    let mug = Product {
        sku: Sku::parse("MUG").expect("sku"),
        name: "Mug".into(),
        category: "kitchen".into(),
        price: Money { amount: 900, currency: Currency::EUR },
        safety_stock: 0,
        reorder_point: 0,
        updated_at: at.clone(),
    };
    let mut puts = vec![location.to_item().expect("location"), mug.to_item().expect("product")];
    let mut carts = Vec::new();
    for n in 0..3 {
        let mut cart = Cart::new(format!("cart{n:018}"), Some("ivy".into()), &at, None);
        let stamp = cart.server_stamp("MUG", clock.epoch_secs() * 1_000_000_000);
        cart.apply(Write { sku: "MUG".into(), qty: 2, stamp, channel: "web".into() }, &at);
        puts.push(cart_item(&cart).expect("cart"));
        carts.push(cart.cart_id);
    }
    env.store
        .transact(puts.into_iter().map(|item| WriteOp::Put { item, condition: None }).collect())
        .await
        .expect("seed");
    let take = StockTake {
        sku: Sku::parse("MUG").expect("sku"),
        location_id: "wh".into(),
        on_hand: 10,
        now: clock.epoch_secs(),
    };
    plan::execute::<_, _, omnicanal_pipeline::error::ApiError>(&env.store, 4, &take).await.expect("stock");
    let rules = env.config.loyalty.clone();
    let purchase = Purchase {
        customer_id: "ivy",
        order_id: "before",
        amount_minor: 10_000,
        channel: "web",
        at: clock.epoch_secs(),
    };
    plan::execute::<_, _, omnicanal_pipeline::error::ApiError>(&env.store, 4, &earn(&rules, purchase, clock.now()))
        .await
        .expect("points");

    for (n, (id, ttl)) in [("short", 60), ("long", 3600), ("paid", 60)].into_iter().enumerate() {
        let body = json!({"order_id": id, "cart_id": carts[n], "fulfilment": {"type": "ship"}, "points": 10, "ttl_seconds": ttl});
        let (status, order) = call(&env, "POST", "/orders", Role::Customer, body).await;
        assert_eq!(status, 201, "{id}: {order}");
    }
    let (status, _) = call(&env, "POST", "/orders/paid/confirm", Role::Service, Value::Null).await;
    assert_eq!(status, 200);

    let nothing = omnicanal_orders::sweep(&env.store, &rules, clock.now(), 100).await.expect("sweep");
    assert_eq!(nothing.expired, 0, "nothing is due yet");
    clock.advance(time::Duration::seconds(300));
    let report = omnicanal_orders::sweep(&env.store, &rules, clock.now(), 100).await.expect("sweep");
    assert_eq!((report.expired, report.skipped), (1, 0), "only the placed order past its time");
    let (_, short) = call(&env, "GET", "/orders/short", Role::Staff, Value::Null).await;
    assert_eq!(short["status"], "expired");
    let (_, long) = call(&env, "GET", "/orders/long", Role::Staff, Value::Null).await;
    assert_eq!(long["status"], "placed");
    let account =
        env.store.get(&omnicanal_domain::customer::loyalty_account_key("ivy")).await.expect("read").expect("account");
    let balance = omnicanal_domain::loyalty::records::account_from(account).expect("account").balance;
    // 100 earned before; three orders spent 10 each; `paid` earned 17 (on 17.90); the
    // expired one's 10 came back.
    assert_eq!(balance, 100 - 3 * 10 + 17 + 10, "the expired order's points are back, nothing else moved");
    let again = omnicanal_orders::sweep(&env.store, &rules, clock.now(), 100).await.expect("sweep");
    assert_eq!((again.expired, again.skipped), (0, 0), "the index entry went with the placed status");
}
