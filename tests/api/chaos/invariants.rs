//! What must hold after the chaos, read from the table itself (straight from the
//! DynamoDB-compatible server, not through the proxy nor the API).

use std::collections::BTreeMap;
use std::sync::Arc;

use omnicanal_domain::cart::model::Status as CartStatus;
use omnicanal_domain::cart::record::{cart_key, from_item as cart_from_item};
use omnicanal_domain::customer::loyalty_account_key;
use omnicanal_domain::loyalty::records::{account_from, ledger_pk, redeem_key};
use omnicanal_domain::offers::records::{customer_count_key, redemption_key, total_key};
use omnicanal_domain::orders::record::{Order, OrderStatus, hold_id, order_key};
use omnicanal_domain::stock::records::{Level, Reservation, ReservationStatus, event_key, level_key, reservation_key};
use omnicanal_dynamodb::http::{HttpConfig, HttpStore};
use omnicanal_dynamodb::native_transport::ReqwestTransport;
use omnicanal_store::{AttributeValue, Item, Key, Query, Store};

use super::workload::{OFFER, OFFER_LIMIT, PRODUCTS, SHOPPERS, Shop, customer};
use crate::helpers::{TestServer, table_name};

const LOCATIONS: [&str; 2] = ["central", "lyon"];

/// The server's table, read directly.
fn table(server: &TestServer) -> HttpStore<ReqwestTransport> {
    let endpoint = std::env::var("OMNICANAL_TEST_DYNAMODB_ENDPOINT").expect("the server's endpoint");
    let config = HttpConfig {
        endpoint,
        region: "us-east-1".into(),
        table: table_name(&server.data_dir),
        access_key_id: "test".into(),
        secret_access_key: "test".into(),
        session_token: None,
    };
    let clock = Arc::new(omnicanal_platform::clock::SystemClock);
    HttpStore::new(ReqwestTransport::new().expect("an HTTP client"), config, clock)
}

async fn get(store: &impl Store, key: &Key) -> Option<Item> {
    store.get(key).await.expect("the table answers")
}

/// Every item of a partition.
async fn partition(store: &impl Store, pk: &str) -> Vec<Item> {
    let mut items = Vec::new();
    let mut query = Query::partition(pk, 1000);
    loop {
        let page = store.query(&query).await.expect("the table answers");
        items.extend(page.items);
        match page.cursor {
            Some(cursor) => query = query.after(Some(cursor)),
            None => return items,
        }
    }
}

fn number(item: &Item, name: &str) -> i64 {
    match item.get(name) {
        Some(AttributeValue::N(n)) => n.parse().expect("a number"),
        _ => 0,
    }
}

fn text<'i>(item: &'i Item, name: &str) -> &'i str {
    match item.get(name) {
        Some(AttributeValue::S(s)) => s,
        _ => "",
    }
}

/// Asserts every invariant.
pub(crate) async fn hold(shop: &Shop<'_>, server: &TestServer) {
    let store = table(server);
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut orders = BTreeMap::new();
    for i in 0..SHOPPERS {
        let id = format!("ord-{i}");
        if let Some(item) = get(&store, &order_key(&id)).await {
            orders.insert(id, Order::from_item(item).expect("an order"));
        }
    }
    let mut reservations = Vec::new();
    for i in 0..SHOPPERS {
        for id in [format!("res-{i}"), hold_id(&format!("ord-{i}"))] {
            if let Some(item) = get(&store, &reservation_key(&id)).await {
                reservations.push(Reservation::from_item(item).expect("a reservation"));
            }
        }
    }
    stock_is_conserved_and_never_oversold(&store, &orders, &reservations, now).await;
    ledgers_balance(&store).await;
    redemptions_count_once(&store).await;
    orders_are_whole(&store, shop, &orders, &reservations).await;
    acknowledged_lines_are_kept(&store, shop).await;
}

/// Per SKU: on hand now = on hand at opening + movements applied + units returned + units
/// of confirmed orders cancelled − units sold; per level, the live holds are exactly the
/// held reservations' units, and never more than on hand.
async fn stock_is_conserved_and_never_oversold(
    store: &impl Store,
    orders: &BTreeMap<String, Order>,
    reservations: &[Reservation],
    now: i64,
) {
    for (i, (sku, central, lyon)) in PRODUCTS.iter().enumerate() {
        let mut expected = central + lyon;
        for shopper in 0..SHOPPERS {
            let moved = shopper % PRODUCTS.len() == i;
            if moved && get(store, &event_key(&format!("adj-{shopper}"))).await.is_some() {
                expected += 1;
            }
        }
        for order in orders.values() {
            for line in order.lines.iter().filter(|l| l.sku == *sku) {
                expected += line.returned_qty;
                if order.status == OrderStatus::Cancelled && order.confirmed_at.is_some() {
                    expected += line.qty - line.returned_qty;
                }
            }
        }
        for reservation in reservations.iter().filter(|r| r.status == ReservationStatus::Committed) {
            expected -= reservation.lines.iter().filter(|l| l.sku == *sku).map(|l| l.qty).sum::<i64>();
        }
        let mut on_hand = 0;
        for location in LOCATIONS {
            let level =
                Level::from_item(get(store, &level_key(sku, location)).await.expect("a level")).expect("a level");
            on_hand += level.on_hand;
            let live_held: i64 = level.buckets.iter().filter(|(end, _)| **end > now).map(|(_, units)| units).sum();
            let reserved: i64 = reservations
                .iter()
                .filter(|r| r.status == ReservationStatus::Held && r.until > now && r.location_id == location)
                .flat_map(|r| r.lines.iter().filter(|l| l.sku == *sku).map(|l| l.qty))
                .sum();
            assert_eq!(live_held, reserved, "{sku} at {location}: held units against held reservations");
            assert!(level.on_hand >= 0 && level.free >= 0, "{sku} at {location} oversold: {level:?}");
            assert_eq!(level.free, level.on_hand - level.held, "{sku} at {location}: free is on hand less held");
        }
        assert_eq!(on_hand, expected, "{sku}: units on hand against every movement, sale and return");
    }
}

/// Every shopper's ledger sums to their balance.
async fn ledgers_balance(store: &impl Store) {
    for i in 0..SHOPPERS {
        let me = customer(i);
        let account =
            account_from(get(store, &loyalty_account_key(&me)).await.expect("an account")).expect("an account");
        let entries: i64 = partition(store, &ledger_pk(&me)).await.iter().map(|e| number(e, "points")).sum();
        assert_eq!(account.balance, entries, "{me}: the balance is the sum of the ledger");
    }
}

/// The offer's counters equal the redemptions they count, within the limits.
async fn redemptions_count_once(store: &impl Store) {
    let items = partition(store, &total_key(OFFER).pk).await;
    let redemptions: Vec<&Item> = items.iter().filter(|i| text(i, "sk").starts_with("REDEMPTION#")).collect();
    let total = get(store, &total_key(OFFER)).await.map_or(0, |i| number(&i, "count"));
    assert_eq!(total, i64::try_from(redemptions.len()).unwrap_or(-1), "the total counts each redemption once");
    assert!(total <= OFFER_LIMIT, "the total limit held: {total}");
    for i in 0..SHOPPERS {
        let me = customer(i);
        let mine = redemptions.iter().filter(|r| text(r, "sk").starts_with(&format!("REDEMPTION#{me}#"))).count();
        let count = get(store, &customer_count_key(OFFER, &me)).await.map_or(0, |i| number(&i, "count"));
        assert_eq!(count, i64::try_from(mine).unwrap_or(-1), "{me}: the customer's counter");
        assert!(count <= 1, "{me}: once per customer");
    }
}

/// An order is all there or not at all: its cart, its hold, its points and its redemption
/// move with it; an acknowledged checkout is there.
async fn orders_are_whole(
    store: &impl Store,
    shop: &Shop<'_>,
    orders: &BTreeMap<String, Order>,
    reservations: &[Reservation],
) {
    for id in &shop.acknowledged.lock().expect("ack").orders {
        assert!(orders.contains_key(id), "{id} was acknowledged but is not in the table");
    }
    for i in 0..SHOPPERS {
        let (id, me) = (format!("ord-{i}"), customer(i));
        let hold = reservations.iter().find(|r| r.reservation_id == hold_id(&id));
        let spent = get(store, &redeem_key(&me, &id)).await.is_some();
        let redeemed = get(store, &redemption_key(OFFER, &me, &id)).await.is_some();
        let Some(order) = orders.get(&id) else {
            assert!(
                hold.is_none() && !spent && !redeemed,
                "{id}: no order, yet a part of one: {hold:?} {spent} {redeemed}"
            );
            continue;
        };
        let cart = cart_from_item(get(store, &cart_key(&order.cart_id)).await.expect("its cart")).expect("a cart");
        assert_eq!(cart.status, CartStatus::Ordered, "{id}: its cart is ordered");
        let hold = hold.unwrap_or_else(|| panic!("{id}: no hold"));
        let wanted: &[ReservationStatus] = match (order.status, order.confirmed_at.is_some()) {
            (OrderStatus::Placed, _) => &[ReservationStatus::Held],
            (OrderStatus::Cancelled | OrderStatus::Expired, false) => {
                &[ReservationStatus::Released, ReservationStatus::Expired]
            }
            (_, _) => &[ReservationStatus::Committed],
        };
        assert!(wanted.contains(&hold.status), "{id} is {:?}: its hold is {:?}", order.status, hold.status);
        assert_eq!(spent, order.points_redeemed > 0, "{id}: its points were spent with it");
        let live = !matches!(order.status, OrderStatus::Cancelled | OrderStatus::Expired);
        assert_eq!(redeemed, order.discount.is_some() && live, "{id}: its redemption stands while it does");
    }
}

/// Every cart line a device was told was written is in that cart.
async fn acknowledged_lines_are_kept(store: &impl Store, shop: &Shop<'_>) {
    let acknowledged = shop.acknowledged.lock().expect("ack").cart_lines.clone();
    for (me, cart_id, sku) in &acknowledged {
        let cart = cart_from_item(get(store, &cart_key(cart_id)).await.expect("the cart")).expect("a cart");
        let line = cart.lines.get(sku.as_str()).filter(|l| !l.is_tombstone());
        assert!(line.is_some(), "{me}'s cart {cart_id} lost the acknowledged line {sku}");
    }
}

/// Ways to break the table behind the functions' backs, each of which [`hold`] must catch:
/// the proof that the invariants can fail.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Tamper {
    /// A unit appears on a shelf from nowhere (on hand and free both one more).
    UnitFromNowhere,
    /// Points spent twice: a balance one point lower than its ledger.
    PointSpentTwice,
    /// A redemption counted twice: the offer's total one more than its redemptions.
    RedemptionCountedTwice,
}

impl Tamper {
    /// Every way.
    pub(crate) const ALL: [Tamper; 3] =
        [Tamper::UnitFromNowhere, Tamper::PointSpentTwice, Tamper::RedemptionCountedTwice];

    /// The item it changes and the numbers it moves by.
    fn target(self) -> (Key, &'static [(&'static str, i64)]) {
        match self {
            Tamper::UnitFromNowhere => (level_key(PRODUCTS[0].0, LOCATIONS[0]), &[("on_hand", 1), ("free", 1)]),
            Tamper::PointSpentTwice => (loyalty_account_key(&customer(0)), &[("balance", -1)]),
            Tamper::RedemptionCountedTwice => (total_key(OFFER), &[("count", 1)]),
        }
    }

    /// Changes the table directly; answers the item as it was, for [`Tamper::undo`].
    pub(crate) async fn apply(self, server: &TestServer) -> Item {
        let store = table(server);
        let (key, moves) = self.target();
        let before = get(&store, &key).await.unwrap_or_else(|| panic!("{self:?}: no item to tamper with"));
        let mut after = before.clone();
        for (name, by) in moves {
            after.insert((*name).into(), AttributeValue::N((number(&before, name) + by).to_string()));
        }
        store.replace(after).await.expect("the table answers");
        before
    }

    /// Puts back the item [`Tamper::apply`] changed.
    pub(crate) async fn undo(server: &TestServer, before: Item) {
        table(server).replace(before).await.expect("the table answers");
    }
}
