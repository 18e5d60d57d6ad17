//! The scheduled expiry, through the function's entry point on the memory store: lapsed lots
//! become `expire` entries, accounts with nothing due are left alone.

use std::sync::Arc;

use bytes::Bytes;
use omnicanal_pipeline::auth::{Authenticator, Role, mint_hs256};
use omnicanal_pipeline::config::{Config, JwtConfig, JwtKey};
use omnicanal_pipeline::http::Env;
use omnicanal_platform::clock::{Clock as _, ManualClock, rfc3339};
use omnicanal_store::memory::MemoryStore;
use serde_json::{Value, json};

const SECRET: &[u8] = b"loyalty-sweep-secret-0123456789abcd";

async fn call(env: &Env<MemoryStore>, method: &str, path: &str, sub: &str, role: Role, body: Value) -> Value {
    let token = mint_hs256(SECRET, sub, &[role], None, None, env.clock.epoch_secs(), 3600).expect("token");
    let request = http::Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(if body.is_null() { Bytes::new() } else { Bytes::from(body.to_string()) })
        .expect("request");
    let response = omnicanal_loyalty::handle(request, env).await;
    serde_json::from_slice(response.body()).unwrap_or(Value::Null)
}

#[tokio::test]
async fn the_sweep_writes_off_lapsed_points() {
    let clock = ManualClock::new(time::macros::datetime!(2026-11-22 10:00 UTC));
    let jwt = JwtConfig { key: Some(JwtKey::Secret(SECRET.to_vec())), issuer: None, audience: None };
    let env = Env {
        store: MemoryStore::new(Arc::new(clock.clone())),
        clock: Arc::new(clock.clone()),
        auth: Authenticator::new(&jwt).expect("key"),
        config: Config { jwt, ..Config::default() },
    };
    for (customer, days_ago) in [("old", 10), ("new", 1)] {
        let at = rfc3339(clock.now() - time::Duration::days(days_ago));
        let body = json!({"customer_id": customer, "order_id": format!("o-{customer}"),
                          "amount": {"amount": 10_000, "currency": "EUR"}, "channel": "web", "at": at});
        assert_eq!(call(&env, "POST", "/loyalty/earn", "oms", Role::Service, body).await["points"], 100);
    }
    let nothing = omnicanal_loyalty::sweep(&env.store, clock.now(), 100).await.expect("sweep");
    assert_eq!(nothing, 0);
    clock.advance(time::Duration::days(360));
    let swept = omnicanal_loyalty::sweep(&env.store, clock.now(), 100).await.expect("sweep");
    assert_eq!(swept, 1, "only the account whose lot lapsed");
    let ledger = call(&env, "GET", "/loyalty/me/transactions", "old", Role::Customer, Value::Null).await;
    assert_eq!(ledger["transactions"][0]["type"], "expire");
    assert_eq!(ledger["transactions"][0]["points"], -100);
    assert_eq!(call(&env, "GET", "/loyalty/me", "new", Role::Customer, Value::Null).await["balance"], 100);
    assert_eq!(omnicanal_loyalty::sweep(&env.store, clock.now(), 100).await.expect("sweep"), 0, "nothing left due");
}
