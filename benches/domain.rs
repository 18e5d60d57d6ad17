//! The domain's hot paths, measured with criterion (`scripts/bench`, or
//! `cargo bench --bench domain`): the pure rules on the sizes the contract allows at most,
//! and availability through the stock function's own entry on the in-memory store, so the
//! item mapping and the JSON answer are counted too.
#![allow(clippy::cast_possible_truncation, reason = "fixtures are built from small index ranges")]

use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::Arc;

use bytes::Bytes;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use omnicanal_domain::cart::model::{Cart, SERVER_DEVICE, Stamp, Strategy, Write, merge_writes};
use omnicanal_domain::loyalty::account::{Account, Lot};
use omnicanal_domain::loyalty::rules::LoyaltyRules;
use omnicanal_domain::loyalty::rules::Tier;
use omnicanal_domain::offers::definition::{Discount, Offer, Scope};
use omnicanal_domain::offers::rules::{PricedLine, Shopper, evaluate, rank};
use omnicanal_domain::stock::records::{Level, Location, LocationKind};
use omnicanal_domain::stock::rules::{available, choose_location};
use omnicanal_domain::values::{Currency, Money};
use omnicanal_pipeline::auth::{Authenticator, Role, mint_hs256};
use omnicanal_pipeline::config::{Config, JwtConfig, JwtKey};
use omnicanal_pipeline::http::Env;
use omnicanal_platform::clock::ManualClock;
use omnicanal_store::memory::MemoryStore;

/// 2026-11-22T10:00:00Z.
const NOW: i64 = 1_795_341_600;
const NOW_NS: i64 = NOW * 1_000_000_000;
const SECRET: &[u8] = b"bench-secret-0123456789abcdef-0123456789";

fn sku(i: usize) -> String {
    format!("SKU-{i:04}")
}

fn stamp(at_ns: i64, device: &str) -> Stamp {
    Stamp { at_ns, device: device.to_owned() }
}

/// A cart with `n` live lines, each written by the phone a minute ago.
fn cart_with(n: usize, cart_id: &str) -> Cart {
    let mut cart = Cart::new(cart_id.to_owned(), None, "2026-11-22T10:00:00Z", None);
    for i in 0..n {
        let write =
            Write { sku: sku(i), qty: 1, stamp: stamp(NOW_NS - 60_000_000_000, "phone"), channel: "app".into() };
        cart.apply(write, "2026-11-22T09:59:00Z");
    }
    cart
}

fn cart(c: &mut Criterion) {
    let target = cart_with(100, "target");
    // An offline batch of 100 ops from a second device: half newer (they win), half older
    // (they lose), a fifth of them removes.
    let ops: Vec<Write> = (0..100)
        .map(|i| Write {
            sku: sku(i),
            qty: if i % 5 == 0 { 0 } else { 2 },
            stamp: stamp(NOW_NS + if i % 2 == 0 { 1 } else { -120_000_000_000 }, "tablet"),
            channel: "web".into(),
        })
        .collect();
    c.bench_function("cart: sync of 100 ops into a 100-line cart", |b| {
        b.iter_batched(
            || (target.clone(), ops.clone()),
            |(mut cart, ops)| {
                let won = ops.into_iter().filter(|w| cart.apply(w.clone(), "2026-11-22T10:00:00Z")).count();
                cart.settle().expect("within limits");
                black_box((cart, won))
            },
            BatchSize::SmallInput,
        );
    });
    let source = cart_with(100, "source");
    c.bench_function("cart: merge of a 100-line cart into a 100-line cart (sum)", |b| {
        b.iter_batched(
            || target.clone(),
            |mut cart| {
                let writes =
                    merge_writes(&cart, &source, Strategy::Sum, &stamp(NOW_NS, SERVER_DEVICE), black_box("web"));
                for write in writes {
                    cart.apply(write, "2026-11-22T10:00:00Z");
                }
                cart.settle().expect("within limits");
                black_box(cart)
            },
            BatchSize::SmallInput,
        );
    });
}

fn level(i: usize) -> Level {
    // Three holds: one expired, two live (ending at two rounded times).
    let buckets: BTreeMap<i64, i64> = [(NOW - 10, 1), (NOW + 600, 1), (NOW + 608, 1)].into_iter().collect();
    Level { sku: sku(0), location_id: format!("loc-{i:02}"), on_hand: 20, held: 3, free: 17, buckets, folded: 0 }
}

fn env(clock: &ManualClock) -> Env<MemoryStore> {
    let jwt = JwtConfig { key: Some(JwtKey::Secret(SECRET.to_vec())), issuer: None, audience: None };
    let auth = Authenticator::new(&jwt).expect("the bench key is valid");
    let config = Config { jwt, ..Config::default() };
    Env { store: MemoryStore::new(Arc::new(clock.clone())), clock: Arc::new(clock.clone()), config, auth }
}

fn request(method: &str, path: &str, token: Option<&str>, body: serde_json::Value) -> http::Request<Bytes> {
    let mut builder = http::Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json")
        .header("x-channel", "web");
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    let body = if body.is_null() { Bytes::new() } else { Bytes::from(body.to_string()) };
    builder.body(body).expect("a well-formed request")
}

/// 50 locations selling to the web, one product with a level (three holds) at each.
async fn seed_stock(env: &Env<MemoryStore>) {
    let token = mint_hs256(SECRET, "bench", &[Role::Staff], None, None, env.clock.epoch_secs(), 3600).expect("token");
    let mut calls = vec![request(
        "PUT",
        "/stock/items/SKU-0000",
        Some(&token),
        serde_json::json!({"name": "Mug", "category": "kitchen", "price": {"amount": 900, "currency": "EUR"}, "reorder_point": 5}),
    )];
    for i in 0..50 {
        calls.push(request(
            "PUT",
            &format!("/stock/locations/loc-{i:02}"),
            Some(&token),
            serde_json::json!({"kind": "store", "name": format!("Store {i}"), "channels": ["web", "app"]}),
        ));
        calls.push(request(
            "PUT",
            &format!("/stock/items/SKU-0000/levels/loc-{i:02}"),
            Some(&token),
            serde_json::json!({"on_hand": 20}),
        ));
    }
    for call in calls {
        let response = omnicanal_stock::handle(call, env).await;
        assert!(response.status().is_success(), "seeding failed: {}", response.status());
    }
}

fn stock(c: &mut Criterion) {
    let locations: Vec<Location> = (0..50)
        .map(|i| Location {
            location_id: format!("loc-{i:02}"),
            kind: LocationKind::Store,
            name: format!("Store {i}"),
            channels: vec!["web".into()],
            updated_at: String::new(),
        })
        .collect();
    let levels: Vec<Level> = (0..50).map(level).collect();
    c.bench_function("stock: availability of one SKU over 50 locations (rules)", |b| {
        b.iter(|| {
            let per_location: Vec<i64> = locations
                .iter()
                .zip(&levels)
                .filter(|(l, _)| omnicanal_domain::stock::rules::sells_to(l, black_box("web")))
                .map(|(_, level)| available(Some(level), 2, NOW))
                .collect();
            black_box(per_location.iter().sum::<i64>())
        });
    });
    let offer: BTreeMap<String, BTreeMap<String, i64>> = (0..50)
        .map(|i| (format!("loc-{i:02}"), (0..5).map(|s| (sku(s), ((i * 7 + s * 3) % 11) as i64)).collect()))
        .collect();
    let wanted: BTreeMap<String, i64> = (0..5).map(|s| (sku(s), 2)).collect();
    c.bench_function("stock: choosing the location for 5 lines among 50", |b| {
        b.iter(|| black_box(choose_location(black_box(&offer), &wanted)));
    });

    let runtime = tokio::runtime::Builder::new_current_thread().build().expect("a runtime");
    let clock = ManualClock::new(time::macros::datetime!(2026-11-22 10:00 UTC));
    let env = env(&clock);
    runtime.block_on(seed_stock(&env));
    c.bench_function("stock: GET /stock/availability over 50 locations (entry, memory store)", |b| {
        b.iter(|| {
            let response = runtime.block_on(omnicanal_stock::handle(
                request("GET", "/stock/availability?sku=SKU-0000", None, serde_json::Value::Null),
                &env,
            ));
            assert_eq!(response.status(), 200);
            black_box(response)
        });
    });
}

fn eur(amount: i64) -> Money {
    Money { amount, currency: Currency::parse("EUR").expect("EUR is a currency") }
}

/// 200 offers: a mix of whole-cart, category and SKU scopes, percent and amount, with
/// channel, tier and affinity rules, so that some are eligible and some are not.
fn offers() -> Vec<Offer> {
    (0..200)
        .map(|i| Offer {
            offer_id: format!("offer-{i:03}"),
            title: format!("Offer {i}"),
            discount: if i % 2 == 0 {
                Discount { percent: Some(5 + (i % 30) as u32), amount: None }
            } else {
                Discount { percent: None, amount: Some(eur(100 * (i as i64 % 20 + 1))) }
            },
            applies_to: match i % 3 {
                0 => Scope::default(),
                1 => Scope { skus: vec![], categories: vec![format!("cat-{}", i % 7)] },
                _ => Scope { skus: vec![sku(i % 20), sku((i + 1) % 20)], categories: vec![] },
            },
            min_subtotal: (i % 4 == 0).then(|| eur(5_000)),
            channels: if i % 5 == 0 { vec!["app".into()] } else { vec![] },
            tiers: if i % 6 == 0 { vec![Tier::Gold] } else { vec![] },
            affinity_categories: if i % 8 == 0 { vec![format!("cat-{}", i % 7)] } else { vec![] },
            starts_at: "2026-11-01T00:00:00Z".into(),
            ends_at: "2026-12-31T00:00:00Z".into(),
            per_customer_limit: None,
            total_limit: None,
            priority: (i % 10) as i32,
            updated_at: String::new(),
        })
        .collect()
}

fn offers_ranking(c: &mut Criterion) {
    let offers = offers();
    let lines: Vec<PricedLine> = (0..20)
        .map(|i| PricedLine {
            sku: sku(i),
            category: format!("cat-{}", i % 7),
            qty: 1 + i as u32 % 3,
            unit: eur(1_000 + 250 * i as i64),
        })
        .collect();
    let shopper = Shopper {
        tier: Tier::Silver,
        channel: "web".into(),
        affinity: (0..7).map(|i| (format!("cat-{i}"), f64::from(i) * 1.5)).collect(),
    };
    c.bench_function("offers: evaluating and ranking 200 offers on a 20-line cart", |b| {
        b.iter(|| {
            let ranked =
                rank(offers.iter().filter_map(|o| evaluate(o, &lines, black_box(&shopper), NOW, false)).collect());
            black_box(ranked)
        });
    });
}

/// An account with 100 lots of 100 points, earned a day apart, none lapsed at `NOW`.
fn account_with_lots() -> Account {
    let lots: Vec<Lot> = (0..100)
        .map(|i| Lot {
            order_id: Some(format!("order-{i:03}")),
            earned_at: NOW - 200 * 86_400 + i * 86_400,
            expires_at: NOW + 165 * 86_400 + i * 86_400,
            remaining: 100,
        })
        .collect();
    let spend = (0..100).map(|i| (NOW - 200 * 86_400 + i * 86_400, 10_000)).collect();
    Account { balance: 10_000, lifetime_points: 10_000, lots, spend, ..Account::default() }
}

fn loyalty(c: &mut Criterion) {
    let rules = LoyaltyRules::default();
    let account = account_with_lots();
    c.bench_function("loyalty: earning on an account with 100 lots", |b| {
        b.iter_batched(
            || account.clone(),
            |mut account| black_box(account.earn(&rules, "order-new", 12_345, black_box("store:lyon"), NOW)),
            BatchSize::SmallInput,
        );
    });
    c.bench_function("loyalty: redeeming across all 100 lots", |b| {
        b.iter_batched(
            || account.clone(),
            |mut account| black_box(account.redeem(black_box(9_950), "order-redeem").expect("enough points").0),
            BatchSize::SmallInput,
        );
    });
    c.bench_function("loyalty: lazy expiry and the 30-day outlook over 100 lots", |b| {
        b.iter_batched(
            || account.clone(),
            |mut account| {
                let lapsed = account.expire(NOW + 200 * 86_400);
                black_box((lapsed, account.expiring(NOW + 200 * 86_400, 30)))
            },
            BatchSize::SmallInput,
        );
    });
}

// criterion's macro defines a public `benches` function it gives no doc comment.
#[allow(missing_docs)]
mod group {
    use super::*;
    criterion_group!(benches, cart, stock, offers_ranking, loyalty);
}
use group::benches;
criterion_main!(benches);
