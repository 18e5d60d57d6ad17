//! The sweep, driven through the function's entry point on the memory store with a clock we
//! move: expired holds are released for real, running ones stay, and a second sweep finds
//! nothing to do.

use std::sync::Arc;

use bytes::Bytes;
use omnicanal_domain::stock::records::{Level, level_key};
use omnicanal_pipeline::auth::{Authenticator, Role, mint_hs256};
use omnicanal_pipeline::config::{Config, JwtConfig, JwtKey};
use omnicanal_pipeline::http::Env;
use omnicanal_platform::clock::{Clock as _, ManualClock};
use omnicanal_store::Store;
use omnicanal_store::memory::MemoryStore;
use serde_json::{Value, json};

const SECRET: &[u8] = b"sweep-test-secret-0123456789abcdef";

fn env(clock: &ManualClock) -> Env<MemoryStore> {
    let jwt = JwtConfig { key: Some(JwtKey::Secret(SECRET.to_vec())), issuer: None, audience: None };
    let auth = Authenticator::new(&jwt).expect("key");
    let config = Config { jwt, ..Config::default() };
    Env { store: MemoryStore::new(Arc::new(clock.clone())), clock: Arc::new(clock.clone()), config, auth }
}

async fn call(env: &Env<MemoryStore>, method: &str, path: &str, role: Role, body: Value) -> (u16, Value) {
    let token = mint_hs256(SECRET, "tester", &[role], None, None, env.clock.epoch_secs(), 3600).expect("token");
    let request = http::Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(Bytes::from(body.to_string()))
        .expect("request");
    let response = omnicanal_stock::handle(request, env).await;
    let status = response.status().as_u16();
    (status, serde_json::from_slice(response.body()).unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_sweep_releases_expired_holds_and_only_those() {
    let clock = ManualClock::new(time::macros::datetime!(2026-11-22 10:00 UTC));
    let env = env(&clock);
    let staff = Role::Staff;
    call(&env, "PUT", "/stock/locations/wh", staff, json!({"kind": "warehouse", "name": "WH", "channels": ["web"]}))
        .await;
    let product = json!({"name": "Mug", "category": "kitchen", "price": {"amount": 900, "currency": "EUR"}});
    call(&env, "PUT", "/stock/items/MUG", staff, product).await;
    call(&env, "PUT", "/stock/items/MUG/levels/wh", staff, json!({"on_hand": 10})).await;
    for (id, ttl) in [("short-1", 60), ("short-2", 60), ("long", 3600)] {
        let body = json!({"reservation_id": id, "lines": [{"sku": "MUG", "qty": 2}], "ttl_seconds": ttl});
        let (status, _) = call(&env, "POST", "/stock/reservations", Role::Service, body).await;
        assert_eq!(status, 201, "{id}");
    }
    let level = || async {
        Level::from_item(env.store.get(&level_key("MUG", "wh")).await.expect("get").expect("level")).expect("level")
    };
    assert_eq!(level().await.held, 6);

    let nothing = omnicanal_stock::sweep(&env.store, clock.epoch_secs(), 100).await.expect("sweep");
    assert_eq!(nothing.expired, 0, "nothing is due yet");
    clock.advance(time::Duration::seconds(61));
    let report = omnicanal_stock::sweep(&env.store, clock.epoch_secs(), 100).await.expect("sweep");
    assert_eq!(report.expired, 2);
    let after = level().await;
    assert_eq!((after.held, after.free, after.on_hand), (2, 8, 10), "units back in free, the long hold kept");
    assert_eq!(after.buckets.values().filter(|units| **units > 0).sum::<i64>(), 2, "only the long hold's units");
    let (_, short) = call(&env, "GET", "/stock/reservations/short-1", Role::Service, Value::Null).await;
    assert_eq!(short["status"], "expired");
    let again = omnicanal_stock::sweep(&env.store, clock.epoch_secs(), 100).await.expect("sweep");
    assert_eq!((again.expired, again.skipped), (0, 0), "the index entry went with the hold");
}
