//! The orders plans on a store of their own: one checkout decided on items built here (no
//! write happens until the transaction does), and a property test: for any sequence of
//! checkouts, confirms, cancels, expiries, returns and waits, units are conserved, the ledger sums to
//! the balance and an offer's counter equals its live redemptions.

use std::sync::Arc;

use omnicanal_platform::clock::{Clock, ManualClock, rfc3339};
use omnicanal_store::memory::MemoryStore;
use omnicanal_store::{AttributeValue, Condition, Query, Store, StoreError, WriteOp};
use proptest::prelude::*;

use super::checkout::{Checkout, CheckoutRequest, Placed, Wanted};
use super::record::{Order, OrderStatus, order_key};
use super::refusal::OrderError;
use super::returns::{Made, ReturnRequest, ReturnUnits};
use super::settle::{Change, Settle, Settled};
use crate::cart::model::{Cart, Write};
use crate::cart::record::{cart_key, to_item as cart_item};
use crate::catalog::Product;
use crate::customer::loyalty_account_key;
use crate::ids::{CartId, ExternalId};
use crate::loyalty::operations::{Purchase, earn};
use crate::loyalty::records::{account_from, ledger_pk};
use crate::loyalty::rules::{LoyaltyRules, Tier};
use crate::offers::records::{count, to_item as offer_item, total_key};
use crate::offers::rules::Shopper;
use crate::plan::{self, Contended, Plan, Step};
use crate::stock::count::StockTake;
use crate::stock::records::{Level, Location, LocationKind, level_key};
use crate::stock::rules::available;
use crate::values::{Currency, Money, Sku};

const START: i64 = 1_795_341_600; // 2026-11-22T10:00:00Z
const SKUS: [&str; 3] = ["A", "B", "C"];
const ON_HAND: i64 = 5;
const CUSTOMER: &str = "alice";
const OFFER: &str = "TEN";

/// Why a plan run in a test failed (shown through `Debug` when a test fails).
#[derive(Debug)]
#[allow(dead_code, reason = "the fields are read through Debug only")]
enum Failure {
    Order(OrderError),
    Store(StoreError),
    Contended,
}

impl From<OrderError> for Failure {
    fn from(err: OrderError) -> Self {
        Self::Order(err)
    }
}

impl From<StoreError> for Failure {
    fn from(err: StoreError) -> Self {
        Self::Store(err)
    }
}

impl From<Contended> for Failure {
    fn from(_: Contended) -> Self {
        Self::Contended
    }
}

impl From<crate::stock::refusal::StockError> for Failure {
    fn from(err: crate::stock::refusal::StockError) -> Self {
        Self::Order(err.into())
    }
}

impl From<crate::loyalty::account::LoyaltyError> for Failure {
    fn from(err: crate::loyalty::account::LoyaltyError) -> Self {
        Self::Order(err.into())
    }
}

/// A shop on a memory store: three products at one web warehouse, an offer with two uses,
/// and a customer with 200 points.
struct Shop {
    store: MemoryStore,
    clock: Arc<ManualClock>,
    rules: LoyaltyRules,
    carts: u32,
    returns: u32,
}

impl Shop {
    async fn open() -> Self {
        let clock = Arc::new(ManualClock::from_epoch_millis(START * 1000));
        let store = MemoryStore::new(clock.clone());
        let shop = Self { store, clock, rules: LoyaltyRules::default(), carts: 0, returns: 0 };
        let at = rfc3339(shop.now());
        let location = Location {
            location_id: "central".into(),
            kind: LocationKind::Warehouse,
            name: "central".into(),
            channels: vec!["web".into()],
            updated_at: at.clone(),
        };
        let mut puts = vec![location.to_item().expect("location")];
        for sku in SKUS {
            let product = Product {
                sku: Sku::parse(sku).expect("sku"),
                name: format!("{sku} name"),
                category: "shoes".into(),
                price: Money { amount: 1000, currency: Currency::EUR },
                safety_stock: 0,
                reorder_point: 0,
                updated_at: at.clone(),
            };
            puts.push(product.to_item().expect("product"));
        }
        let offer =
            crate::offers::definition::Offer { total_limit: Some(2), ..crate::offers::rules::tests::offer(OFFER) };
        puts.push(offer_item(&offer).expect("offer"));
        let ops = puts.into_iter().map(|item| WriteOp::Put { item, condition: None }).collect();
        shop.store.transact(ops).await.expect("seed");
        for sku in SKUS {
            let take = StockTake {
                sku: Sku::parse(sku).expect("sku"),
                location_id: "central".into(),
                on_hand: ON_HAND,
                now: START,
            };
            plan::execute::<_, _, Failure>(&shop.store, 4, &take).await.expect("stock");
        }
        let purchase =
            Purchase { customer_id: CUSTOMER, order_id: "before", amount_minor: 20_000, channel: "web", at: START };
        plan::execute::<_, _, Failure>(&shop.store, 4, &earn(&shop.rules, purchase, shop.now())).await.expect("points");
        shop
    }

    fn now(&self) -> time::OffsetDateTime {
        self.clock.now()
    }

    /// A customer's cart with these lines, stored.
    async fn cart(&mut self, lines: &[(usize, u32)]) -> Cart {
        self.carts += 1;
        let id = format!("cart{:018}", self.carts);
        let at = rfc3339(self.now());
        let mut cart = Cart::new(id, Some(CUSTOMER.into()), &at, None);
        for (i, qty) in lines {
            let sku = SKUS[i % SKUS.len()];
            let stamp = cart.server_stamp(sku, self.now().unix_timestamp() * 1_000_000_000);
            cart.apply(Write { sku: sku.into(), qty: *qty, stamp, channel: "web".into() }, &at);
        }
        let item = cart_item(&cart).expect("cart item");
        self.store.transact(vec![WriteOp::Put { item, condition: None }]).await.expect("cart");
        cart
    }

    fn checkout_of(&self, cart: Cart, order_id: &str, offer: bool, points: i64, ttl: i64) -> Checkout<'_> {
        let request = CheckoutRequest {
            order_id: ExternalId::parse(order_id).expect("order id"),
            cart_id: CartId::parse(&cart.cart_id).expect("cart id"),
            fulfilment: Wanted::Ship,
            offer_id: offer.then(|| OFFER.to_owned()),
            points,
            expected_total: None,
            cart_version: None,
            ttl_seconds: ttl,
            customer_id: Some(CUSTOMER.into()),
            channel: "web".into(),
            fingerprint: format!("fp-{order_id}"),
        };
        let shopper = Shopper { tier: Tier::Bronze, channel: "web".into(), affinity: Default::default() };
        Checkout {
            request,
            cart,
            candidates: vec!["central".into()],
            shopper: Some(shopper),
            offers: Vec::new(),
            rules: &self.rules,
            now: self.now(),
        }
    }

    async fn checkout(
        &mut self,
        lines: &[(usize, u32)],
        order_id: &str,
        offer: bool,
        points: i64,
        ttl: i64,
    ) -> Result<Placed, Failure> {
        let cart = self.cart(lines).await;
        let plan = self.checkout_of(cart, order_id, offer, points, ttl);
        plan::execute::<_, _, Failure>(&self.store, 8, &plan).await
    }

    async fn order(&self, order_id: &str) -> Option<Order> {
        self.store.get(&order_key(order_id)).await.expect("read").map(|item| Order::from_item(item).expect("order"))
    }

    async fn settle(&self, order_id: &str, change: Change) -> Result<Settled, Failure> {
        let order = self.order(order_id).await.ok_or(OrderError::NoSuchOrder)?;
        let plan = Settle { order, change, rules: &self.rules, now: self.now() };
        plan::execute::<_, _, Failure>(&self.store, 8, &plan).await
    }

    async fn give_back(&mut self, order_id: &str, sku: &str, qty: i64) -> Result<Made, Failure> {
        self.returns += 1;
        let order = self.order(order_id).await.ok_or(OrderError::NoSuchOrder)?;
        let request = ReturnRequest {
            return_id: format!("ret-{}", self.returns),
            location_id: "central".into(),
            lines: [(Sku::parse(sku).expect("sku"), qty)].into_iter().collect(),
            fingerprint: format!("ret-{}", self.returns),
        };
        let plan = ReturnUnits { order, request, rules: &self.rules, now: self.now() };
        plan::execute::<_, _, Failure>(&self.store, 8, &plan).await
    }

    async fn level(&self, sku: &str) -> Level {
        Level::from_item(self.store.get(&level_key(sku, "central")).await.expect("read").expect("a level"))
            .expect("level")
    }

    async fn ledger_sum(&self) -> i64 {
        let page = self.store.query(&Query::partition(ledger_pk(CUSTOMER), 1000)).await.expect("ledger");
        page.items
            .iter()
            .map(|entry| match entry.get("points") {
                Some(AttributeValue::N(n)) => n.parse::<i64>().expect("points"),
                _ => 0,
            })
            .sum()
    }

    async fn balance(&self) -> i64 {
        let item = self.store.get(&loyalty_account_key(CUSTOMER)).await.expect("read").expect("account");
        account_from(item).expect("account").balance
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
}

#[test]
fn a_checkout_is_decided_as_one_transaction_of_every_domain() {
    runtime().block_on(async {
        let mut shop = Shop::open().await;
        let cart = shop.cart(&[(0, 2), (1, 1)]).await;
        let version = cart.version;
        let plan = shop.checkout_of(cart, "O-1", true, 50, 900);
        let read = plan::read(&shop.store, &plan.reads()).await.expect("read");
        let Step::Write { ops, then } = plan.decide(&read).expect("decides") else { panic!("a checkout writes") };
        // The decision wrote nothing yet: the stock is as it was.
        assert_eq!(shop.level("A").await.held, 0);
        let order = &then.order;
        assert_eq!((order.subtotal.amount, order.points_value.amount, order.total.amount), (3000, 50, 2650));
        assert_eq!(order.discount.as_ref().map(|d| d.saving.amount), Some(300));
        let key_of = |op: &WriteOp| op.key().expect("every write has a key");
        let keys: Vec<_> = ops.iter().map(key_of).collect();
        for wanted in [
            order_key("O-1"),
            cart_key(&order.cart_id),
            level_key("A", "central"),
            level_key("B", "central"),
            total_key(OFFER),
            loyalty_account_key(CUSTOMER),
        ] {
            assert!(keys.contains(&wanted), "{wanted:?} in {keys:?}");
        }
        let cart_put = ops.iter().find(|op| key_of(op) == cart_key(&order.cart_id)).expect("the cart's write");
        assert!(
            matches!(cart_put, WriteOp::Put { condition: Some(c), .. } if *c == Condition::version_equals(version))
        );
        shop.store.transact(ops).await.expect("the transaction applies");
        assert_eq!(shop.level("A").await.held, 2);
    });
}

#[derive(Clone, Debug)]
enum Op {
    Checkout { lines: Vec<(usize, u32)>, offer: bool, points: i64, ttl: i64 },
    Confirm(usize),
    Cancel(usize, bool),
    Expire(usize),
    Return(usize, usize, i64),
    Wait(i64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (prop::collection::vec((0..3usize, 1..4u32), 0..4), any::<bool>(), prop_oneof![Just(0i64), 1..120i64], 1..600i64)
            .prop_map(|(lines, offer, points, ttl)| Op::Checkout { lines, offer, points, ttl }),
        2 => (0..8usize).prop_map(Op::Confirm),
        2 => (0..8usize, any::<bool>()).prop_map(|(i, staff)| Op::Cancel(i, staff)),
        1 => (0..8usize).prop_map(Op::Expire),
        2 => (0..8usize, 0..3usize, 1..4i64).prop_map(|(i, sku, qty)| Op::Return(i, sku, qty)),
        1 => (1..900i64).prop_map(Op::Wait),
    ]
}

/// Checks every invariant against what the store holds now.
async fn invariants(shop: &Shop, orders: &[String]) -> Result<(), TestCaseError> {
    let now = shop.now().unix_timestamp();
    let mut stored = Vec::new();
    for id in orders {
        if let Some(order) = shop.order(id).await {
            stored.push(order);
        }
    }
    for sku in SKUS {
        let level = shop.level(sku).await;
        let qty = |order: &Order| order.lines.iter().filter(|l| l.sku == sku).map(|l| l.qty).sum::<i64>();
        let kept =
            |order: &Order| order.lines.iter().filter(|l| l.sku == sku).map(|l| l.qty - l.returned_qty).sum::<i64>();
        let sold: i64 = stored.iter().filter(|o| o.status == OrderStatus::Confirmed).map(kept).sum();
        let held: i64 = stored.iter().filter(|o| o.status_at(now) == OrderStatus::Placed).map(qty).sum();
        prop_assert_eq!(level.on_hand + sold, ON_HAND, "{} on hand + sold", sku);
        prop_assert_eq!(available(Some(&level), 0, now), level.on_hand - held, "{} available", sku);
    }
    let live = |o: &&Order| matches!(o.status, OrderStatus::Placed | OrderStatus::Confirmed);
    let balance = shop.balance().await;
    prop_assert_eq!(shop.ledger_sum().await, balance, "the ledger sums to the balance");
    let given_back = |o: &Order| o.lines.iter().map(|l| l.returned.points_restored).sum::<i64>();
    let taken_back = |o: &Order| o.lines.iter().map(|l| l.returned.points_reversed).sum::<i64>();
    let spent: i64 = stored.iter().filter(live).map(|o| o.points_redeemed - given_back(o)).sum();
    let earned: i64 = stored
        .iter()
        .filter(|o| o.status == OrderStatus::Confirmed)
        .map(|o| o.points_earned.unwrap_or(0) - taken_back(o))
        .sum();
    for order in &stored {
        let refunded: i64 = order.returns.iter().map(|r| r.refund.amount).sum();
        prop_assert!(refunded <= order.total.amount, "never more refunded than paid");
        if order.lines.iter().all(|l| l.returned_qty == l.qty) {
            prop_assert_eq!(refunded, order.total.amount, "every unit back: exactly what was paid");
        }
    }
    prop_assert_eq!(balance, 200 - spent + earned, "points move only with live orders");
    let counter = count(shop.store.get(&total_key(OFFER)).await.expect("read").as_ref());
    let redeemed = i64::try_from(stored.iter().filter(live).filter(|o| o.discount.is_some()).count()).expect("small");
    prop_assert_eq!(counter, redeemed, "the offer's counter equals its live redemptions");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn any_sequence_conserves_units_points_refunds_and_offer_uses(ops in prop::collection::vec(op(), 1..14)) {
        runtime().block_on(async {
            let mut shop = Shop::open().await;
            let mut orders: Vec<String> = Vec::new();
            for op in ops {
                let pick = |i: usize| (!orders.is_empty()).then(|| orders[i % orders.len()].clone());
                match op {
                    Op::Checkout { lines, offer, points, ttl } => {
                        let id = format!("O-{}", orders.len());
                        if shop.checkout(&lines, &id, offer, points, ttl).await.is_ok() {
                            orders.push(id);
                        }
                    }
                    Op::Confirm(i) => if let Some(id) = pick(i) {
                        let _ = shop.settle(&id, Change::Confirm { payment_reference: None }).await;
                    },
                    Op::Cancel(i, staff) => if let Some(id) = pick(i) {
                        let _ = shop.settle(&id, Change::Cancel { staff }).await;
                    },
                    Op::Expire(i) => if let Some(id) = pick(i) {
                        let _ = shop.settle(&id, Change::Expire).await;
                    },
                    Op::Return(i, sku, qty) => if let Some(id) = pick(i) {
                        let _ = shop.give_back(&id, SKUS[sku], qty).await;
                    },
                    Op::Wait(secs) => shop.clock.advance(time::Duration::seconds(secs)),
                }
                invariants(&shop, &orders).await?;
            }
            Ok::<(), TestCaseError>(())
        })?;
    }
}
