//! How an order lives in the single table, and what it shows.
//!
//! | item | key | attributes | worst case |
//! |---|---|---|---|
//! | an order | `ORDER#<order_id>` / `ORDER` | the [`Order`]; GSI `ORDERS_DUE#<shard>` / `<until>#<order_id>` while `placed` (the sweep's list), `PICKUP#<location>` / `<confirmed_at>#<order_id>` while a pickup is confirmed (the store's queue) | 100 lines of the longest SKUs and 200-character names, at most 100 returns listed: under 160 KiB ([`WORST_CASE_ORDER_BYTES`], measured: 142 KiB) |
//! | a customer's copy | `CUSTOMER#<sub>#ORDERS` / `<created_at>#<order_id>` | the same [`Order`], written in every transaction that writes the order (`/orders/me`: one query per page) | as the order |
//!
//! The order's stock is held by a reservation of the stock domain whose id is
//! [`ReservationId::of_order`], its redemption and spent points are the offers' and the
//! loyalty domain's own records for the same `order_id`, and what confirming earned is the
//! loyalty earning marker of that `order_id` (`ORDER#<order_id>` / `LOYALTY#EARN`), so
//! `/loyalty/earn` for the same order earns nothing more.

use omnicanal_store::{AttributeValue, GSI1PK, GSI1SK, Item, Key, StoreError};
use serde::{Deserialize, Serialize};

use omnicanal_platform::clock::rfc3339;

use crate::ids::{ExternalId, ReservationId};
use crate::keys::part;
use crate::values::{Currency, Money};

/// The sort key of an order.
pub const ORDER_SK: &str = "ORDER";
/// Shards of the sweep's index of placed orders.
pub const DUE_SHARDS: u32 = 8;
/// The sweep's list of placed orders.
pub const DUE_INDEX: crate::plan::DueIndex<'static> =
    crate::plan::DueIndex { prefix: "ORDERS_DUE", shards: DUE_SHARDS, id_attr: "order_id" };
/// The largest an order item can be: 100 lines (a cart's most) of the longest SKUs and
/// names (200 characters of up to 4 bytes), [`MAX_RETURNS`] returns, and the fixed fields. [`crate::worst_case`] builds it, a test measures it.
pub const WORST_CASE_ORDER_BYTES: usize = 160 * 1024;

/// The key of order `order_id`.
pub fn order_key(order_id: &str) -> Key {
    Key::new(format!("ORDER#{}", part(order_id)), ORDER_SK)
}

/// The partition of a customer's order history: a copy of each of their orders, kept in the
/// same transactions as the order, so `/orders/me` pages with one query.
pub fn history_pk(customer_id: &str) -> String {
    format!("CUSTOMER#{}#ORDERS", part(customer_id))
}

/// The key of a customer's copy of an order: by checkout time, so the partition sorts oldest
/// first (and reads newest first backwards).
pub fn history_key(customer_id: &str, created_at: &str, order_id: &str) -> Key {
    Key::new(history_pk(customer_id), format!("{created_at}#{}", part(order_id)))
}

/// The pickup queue partition of a store.
pub fn pickup_pk(location_id: &str) -> String {
    format!("PICKUP#{}", part(location_id))
}

/// The id of the reservation that holds order `order_id`'s stock.
pub fn hold_id(order_id: &str) -> String {
    ExternalId::parse(order_id)
        .map_or_else(|_| format!("~order~{order_id}"), |id| ReservationId::of_order(&id).into_string())
}

/// The sweep index partition of an order.
pub fn due_shard(order_id: &str) -> String {
    DUE_INDEX.partition(order_id)
}

/// The sweep index sort key: the expiry first, so the sweep reads only what is due.
pub fn due_sort_key(until: i64, order_id: &str) -> String {
    format!("{until:012}#{}", part(order_id))
}

/// Where an order stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrderStatus {
    /// Checked out: stock held, offer and points taken, not paid yet.
    Placed,
    /// Paid: the holds are sales, the points earned.
    Confirmed,
    /// Handed over or shipped.
    Fulfilled,
    /// Given back.
    Cancelled,
    /// Not confirmed in time: given back.
    Expired,
}

impl OrderStatus {
    /// The status as the API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Placed => "placed",
            Self::Confirmed => "confirmed",
            Self::Fulfilled => "fulfilled",
            Self::Cancelled => "cancelled",
            Self::Expired => "expired",
        }
    }
}

/// How an order is handed over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FulfilmentType {
    /// Shipped from the location chosen.
    Ship,
    /// Picked up in the store named.
    Pickup,
}

/// How an order is handed over, and from where.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fulfilment {
    /// Ship or pickup.
    #[serde(rename = "type")]
    pub kind: FulfilmentType,
    /// The location holding (then selling) the stock.
    pub location_id: String,
}

/// One line of an order: a SKU, priced at checkout.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    /// SKU.
    pub sku: String,
    /// The product's name at checkout.
    pub name: String,
    /// Units.
    pub qty: i64,
    /// The product's price at checkout.
    pub unit_price: Money,
    /// `qty × unit_price`.
    pub line_total: Money,
    /// Units returned so far.
    pub returned_qty: i64,
    /// Whether the order's offer applied to this line (its saving is spread over these).
    #[serde(default)]
    pub discounted: bool,
    /// What this line's returns gave back so far (the last unit takes what is left).
    #[serde(default)]
    pub returned: crate::orders::shares::Returned,
}

/// The most returns one order takes: each is listed in the order, whose size stays bounded.
pub const MAX_RETURNS: usize = 100;

/// A return as the order lists it (its lines are in its own record).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnSummary {
    /// The caller's id for it.
    pub return_id: String,
    /// Where the units came back.
    pub location_id: String,
    /// Units returned, in all.
    pub units: i64,
    /// Money refunded.
    pub refund: Money,
    /// Spent points given back.
    pub points_restored: i64,
    /// Earned points taken back.
    pub points_reversed: i64,
    /// When (RFC 3339).
    pub at: String,
}

/// The offer an order used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Discount {
    /// The offer.
    pub offer_id: String,
    /// Its title.
    pub title: String,
    /// What it took off the subtotal.
    pub saving: Money,
}

/// An order as stored; [`Order::view`] is what the API shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Order {
    /// The caller's id for it.
    pub order_id: String,
    /// Status as stored; [`Order::status_at`] applies lazy expiry.
    pub status: OrderStatus,
    /// The customer, or `None` for a guest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    /// The cart checked out.
    pub cart_id: String,
    /// The channel of the checkout.
    pub channel: String,
    /// How it is handed over.
    pub fulfilment: Fulfilment,
    /// The currency of every amount.
    pub currency: Currency,
    /// Lines, by SKU.
    pub lines: Vec<OrderLine>,
    /// `Σ line_total`.
    pub subtotal: Money,
    /// The offer applied, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount: Option<Discount>,
    /// Points spent.
    pub points_redeemed: i64,
    /// What they paid.
    pub points_value: Money,
    /// `subtotal − saving − points_value`.
    pub total: Money,
    /// What confirming earns under today's rules.
    pub points_to_earn: i64,
    /// What confirming earned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points_earned: Option<i64>,
    /// Returns so far, oldest first (at most [`MAX_RETURNS`]).
    #[serde(default)]
    pub returns: Vec<ReturnSummary>,
    /// Checkout time (RFC 3339).
    pub created_at: String,
    /// Confirmation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed_at: Option<String>,
    /// Hand-over time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fulfilled_at: Option<String>,
    /// Cancellation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled_at: Option<String>,
    /// The payment's reference, as confirm gave it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_reference: Option<String>,
    /// When a placed order expires (epoch seconds; shown as `expires_at`): the hold's end.
    /// Not stored as `expires_at`, the table's TTL attribute, which would delete the order.
    pub until: i64,
    /// A hash of the checkout request: the same one again is a repeat.
    pub fingerprint: String,
    /// Bumped by every write: a change is written only over the version it read.
    #[serde(default)]
    pub version: u64,
}

/// The fields the API shows as `null` until they happen.
const NULLABLE: [&str; 7] =
    ["customer_id", "discount", "points_earned", "confirmed_at", "fulfilled_at", "cancelled_at", "payment_reference"];

#[derive(Serialize, Deserialize)]
struct OrderItem {
    pk: String,
    sk: String,
    #[serde(flatten)]
    order: Order,
}

impl Order {
    /// The status a client sees: a placed order past its time is `expired` at once.
    pub fn status_at(&self, now: i64) -> OrderStatus {
        match self.status {
            OrderStatus::Placed if self.until < now => OrderStatus::Expired,
            other => other,
        }
    }

    /// The item, with its one sparse index entry: the sweep's while placed, the store's
    /// pickup queue while a pickup is confirmed (oldest confirmation first).
    pub fn to_item(&self) -> Result<Item, StoreError> {
        let mut item = self.item_at(order_key(&self.order_id))?;
        let entry = match (self.status, self.fulfilment.kind) {
            (OrderStatus::Placed, _) => Some((due_shard(&self.order_id), due_sort_key(self.until, &self.order_id))),
            (OrderStatus::Confirmed, FulfilmentType::Pickup) => Some((
                pickup_pk(&self.fulfilment.location_id),
                format!("{}#{}", self.confirmed_at.as_deref().unwrap_or_default(), part(&self.order_id)),
            )),
            _ => None,
        };
        if let Some((pk, sk)) = entry {
            item.insert(GSI1PK.into(), AttributeValue::S(pk));
            item.insert(GSI1SK.into(), AttributeValue::S(sk));
        }
        Ok(item)
    }

    fn item_at(&self, key: Key) -> Result<Item, StoreError> {
        let stored = OrderItem { pk: key.pk, sk: key.sk, order: self.clone() };
        serde_dynamo::to_item(stored).map_err(|e| StoreError::because("order mapping", e))
    }

    /// The customer's copy for their history (`None` for a guest's order).
    fn history_item(&self) -> Result<Option<Item>, StoreError> {
        let Some(customer) = self.customer_id.as_deref() else { return Ok(None) };
        self.item_at(history_key(customer, &self.created_at, &self.order_id)).map(Some)
    }

    /// The writes of a new order: the order, only if its id is free, and the customer's copy.
    pub fn create(&self) -> Result<Vec<omnicanal_store::WriteOp>, StoreError> {
        let mut ops = vec![omnicanal_store::WriteOp::Put {
            item: self.to_item()?,
            condition: Some(omnicanal_store::Condition::NotExists),
        }];
        ops.extend(self.history_item()?.map(|item| omnicanal_store::WriteOp::Put { item, condition: None }));
        Ok(ops)
    }

    /// An order from its item.
    pub fn from_item(item: Item) -> Result<Self, StoreError> {
        serde_dynamo::from_item::<_, OrderItem>(item)
            .map(|o| o.order)
            .map_err(|e| StoreError::because("corrupt order", e))
    }

    /// The writes turning the stored `read` into `self`: one update of the order setting what
    /// changed and removing what went (an index entry it no longer has), only over the
    /// version read, and the customer's copy put again.
    pub fn update_from(&self, read: &Self) -> Result<Vec<omnicanal_store::WriteOp>, StoreError> {
        let (before, after) = (read.to_item()?, self.to_item()?);
        let mut updates: Vec<omnicanal_store::Update> = after
            .iter()
            .filter(|(name, value)| before.get(*name) != Some(*value))
            .map(|(name, value)| omnicanal_store::Update::set(name.as_str(), value.clone()))
            .collect();
        updates.extend(
            before
                .keys()
                .filter(|name| !after.contains_key(*name))
                .map(|name| omnicanal_store::Update::remove(name.as_str())),
        );
        let mut ops = vec![omnicanal_store::WriteOp::Update {
            key: order_key(&self.order_id),
            updates,
            condition: Some(omnicanal_store::Condition::version_equals(read.version)),
        }];
        ops.extend(self.history_item()?.map(|item| omnicanal_store::WriteOp::Put { item, condition: None }));
        Ok(ops)
    }

    /// The order as the API shows it at `now` (lazy expiry applied, internals left out).
    pub fn view(&self, now: i64) -> serde_json::Value {
        let mut shown = serde_json::to_value(self).unwrap_or_default();
        if let Some(fields) = shown.as_object_mut() {
            // Absent in the item (DynamoDB Local and moto compare NULLs badly), `null` here.
            for name in NULLABLE {
                fields.entry(name).or_insert(serde_json::Value::Null);
            }
            let expires_at = time::OffsetDateTime::from_unix_timestamp(self.until).map(rfc3339).unwrap_or_default();
            fields.insert("expires_at".into(), serde_json::json!(expires_at));
            fields.remove("until");
            fields.remove("fingerprint");
            fields.remove("version");
            // What the lines' returns gave back is the order's own bookkeeping.
            if let Some(lines) = fields.get_mut("lines").and_then(serde_json::Value::as_array_mut) {
                for line in lines.iter_mut().filter_map(serde_json::Value::as_object_mut) {
                    line.remove("discounted");
                    line.remove("returned");
                }
            }
            fields.insert("status".into(), serde_json::json!(self.status_at(now).as_str()));
        }
        shown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_order_hold_is_out_of_reach_of_the_stock_api() {
        let id = hold_id("A-1");
        assert_eq!(id, "~order~A-1");
        assert!(ReservationId::parse(&id).is_err(), "no caller can name it");
    }

    #[test]
    fn due_orders_sort_by_expiry() {
        assert!(due_sort_key(99, "z") < due_sort_key(100, "a"));
        assert_eq!(due_sort_key(5, "x#y"), "000000000005#x%23y");
    }
}
