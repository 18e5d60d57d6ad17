//! How stock lives in the single table, and what each call costs.
//!
//! | item | key | attributes |
//! |---|---|---|
//! | product (shared with offers and loyalty, see `crate::catalog`) | `SKU#<sku>` / `PRODUCT` | name, category, price, safety_stock, reorder_point |
//! | location | `LOCATIONS` / `<location_id>` | kind, name, channels |
//! | level of a SKU at a location | `SKU#<sku>` / `LEVEL#<location_id>` | `on_hand`, `held`, `free` (= on_hand − held), `exp#<until>` units held until then (one per rounded end, not per hold), `folded`; GSI `REORDER#<location_id>` / `<sku>` while `on_hand` ≤ the reorder point (sparse); at most [`WORST_CASE_LEVEL_BYTES`] whatever the holds |
//! | reservation | `RES#<reservation_id>` / `RES` | status, location, lines, until, owner; GSI `HELD#<shard>` / `<until>#<id>` while held (sparse: the sweep's work list) |
//! | applied adjustment | `EVENT#<event_id>` / `EVENT` | the request's fingerprint and the level after it |
//!
//! | API call | round trips |
//! |---|---|
//! | `PUT /stock/items/{sku}`, `PUT /stock/locations/{id}` | 1 put answering the record it replaced (`201`/`200`) |
//! | `PUT …/levels/{location}` | 1 batch read (product, location) + 1 conditional update |
//! | `POST /stock/adjustments` | 1 batch read (product, location) + 1 transaction (once-only marker + level) |
//! | availability / check for k SKUs | 1 query (locations) + ⌈k·(1+locations)/100⌉ batch reads |
//! | reserve k SKUs | the availability reads (carrying the reservation's own record) + 1 transaction of 1 + k actions |
//! | commit | 1 read + 1 batch read + 1 transaction of 1 + k actions |
//! | release | 1 read + 1 transaction of 1 + k actions |
//! | reorder list | 1 GSI query per page + 1 batch read |
//!
//! A reservation moves units from `free` to `held` with a condition `free ≥ qty + safety
//! stock` on each level, all lines in one transaction: the table refuses an oversell, whatever
//! the handlers race. Expired holds keep their units in `held` until folded, but their bucket
//! carries its end, so availability adds them back at once (lazy expiry), and a reservation
//! that finds them in its way folds them into `free` in its own write.

use crate::keys::part;
use std::collections::BTreeMap;

use omnicanal_store::{AttributeValue, Item, Key, StoreError};
use serde::{Deserialize, Serialize};

/// Partition of all locations.
pub const LOCATIONS_PK: &str = "LOCATIONS";
/// Prefix of a level's attributes holding the units of the holds ending at one time.
pub const BUCKET_PREFIX: &str = "exp#";
/// Shards of the held-reservations index, so the sweep's list has no hot partition.
pub const HELD_SHARDS: u32 = 8;
/// The sweep's list of held reservations.
pub const HELD_INDEX: crate::plan::DueIndex<'static> =
    crate::plan::DueIndex { prefix: "HELD", shards: HELD_SHARDS, id_attr: "reservation_id" };

fn mapping(what: &str) -> impl Fn(serde_dynamo::Error) -> StoreError + '_ {
    move |e| StoreError::Invalid(format!("{what} mapping: {e}"))
}

fn corrupt(what: &str) -> impl Fn(serde_dynamo::Error) -> StoreError + '_ {
    move |e| StoreError::because(format!("corrupt {what}"), e)
}

/// The kind of a location.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LocationKind {
    /// A warehouse.
    Warehouse,
    /// A physical store.
    Store,
}

/// A place that holds stock, and the channels that may sell from it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// Its id.
    pub location_id: String,
    /// Warehouse or store.
    pub kind: LocationKind,
    /// Display name.
    pub name: String,
    /// Channels (`web`, `app`, `marketplace`, `store:<id>`) that sell from it.
    pub channels: Vec<String>,
    /// Last change (RFC 3339).
    pub updated_at: String,
}

/// The key of a location.
pub fn location_key(location_id: &str) -> Key {
    Key::new(LOCATIONS_PK, part(location_id))
}

impl Location {
    /// The item of a location.
    pub fn to_item(&self) -> Result<Item, StoreError> {
        let mut item: Item = serde_dynamo::to_item(self).map_err(mapping("location"))?;
        let key = location_key(&self.location_id);
        item.insert("pk".into(), AttributeValue::S(key.pk));
        item.insert("sk".into(), AttributeValue::S(key.sk));
        Ok(item)
    }

    /// A location from its item.
    pub fn from_item(item: Item) -> Result<Self, StoreError> {
        serde_dynamo::from_item(item).map_err(corrupt("location"))
    }
}

/// A SKU's stock at one location.
///
/// A level keeps no attribute per hold, so a flash sale's holds cannot grow it past
/// DynamoDB's 400 KB: it keeps the units held per end time (`exp#<until>`, a *bucket*), and
/// hold ends are rounded to a step ([`crate::stock::rules::hold_until`]) so that the live
/// buckets are a few hundred at most. A bucket whose time has passed still counts in `held`
/// until a later hold *folds* it back into `free` in its own write (at most
/// [`crate::stock::rules::MAX_FOLDS`] at once); `folded` is the latest end folded, so a
/// reservation whose end is at or before it knows its units are back already. Availability
/// stays exact and costs one read: `free` plus the expired buckets, less the safety stock.
/// Worst case: [`WORST_CASE_LEVEL_BYTES`].
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Level {
    /// SKU.
    pub sku: String,
    /// Location.
    pub location_id: String,
    /// Units physically there.
    pub on_hand: i64,
    /// Units in the buckets (expired ones included until folded).
    pub held: i64,
    /// `on_hand − held`, kept in the item so a condition can test it.
    pub free: i64,
    /// Units held per end time (epoch seconds).
    pub buckets: BTreeMap<i64, i64>,
    /// The latest end folded back into `free` (0: none yet).
    pub folded: i64,
}

/// The largest a level item can be (bytes, as DynamoDB counts them), whatever the number of
/// holds: the keys and counters, plus one bucket per distinct rounded end in the next 7 days
/// (under 600) and the expired ones a hold folds (at most [`crate::stock::rules::MAX_FOLDS`]
/// more). [`crate::worst_case`] builds that level, a test measures it.
pub const WORST_CASE_LEVEL_BYTES: usize = 24 * 1024;

#[derive(Serialize, Deserialize)]
struct LevelCore {
    sku: String,
    location_id: String,
    #[serde(default)]
    on_hand: i64,
    #[serde(default)]
    held: i64,
    #[serde(default)]
    free: i64,
    #[serde(default)]
    folded: i64,
}

/// The key of a level.
pub fn level_key(sku: &str, location_id: &str) -> Key {
    Key::new(format!("SKU#{}", part(sku)), format!("LEVEL#{}", part(location_id)))
}

/// The attribute of the bucket of holds ending at `until`.
pub fn bucket_attr(until: i64) -> String {
    format!("{BUCKET_PREFIX}{until:012}")
}

impl Level {
    /// A level from its item, buckets included.
    pub fn from_item(item: Item) -> Result<Self, StoreError> {
        let mut buckets = BTreeMap::new();
        for (name, value) in &item {
            if let Some(until) = name.strip_prefix(BUCKET_PREFIX) {
                let until: i64 = until.parse().map_err(|e| StoreError::because("corrupt hold bucket name", e))?;
                let units: i64 = serde_dynamo::from_attribute_value(value.clone()).map_err(corrupt("hold bucket"))?;
                buckets.insert(until, units);
            }
        }
        let core: LevelCore = serde_dynamo::from_item(item).map_err(corrupt("level"))?;
        Ok(Self {
            sku: core.sku,
            location_id: core.location_id,
            on_hand: core.on_hand,
            held: core.held,
            free: core.free,
            buckets,
            folded: core.folded,
        })
    }

    /// Units held by holds that expired but were not folded back yet.
    pub fn expired_held(&self, now: i64) -> i64 {
        self.buckets.range(..now).map(|(_, units)| units).sum()
    }

    /// The expired buckets, oldest first: `(until, units)`.
    pub fn expired_buckets(&self, now: i64) -> Vec<(i64, i64)> {
        self.buckets.range(..now).map(|(until, units)| (*until, *units)).collect()
    }

    /// Whether the units of a hold ending at `until` are still in its bucket (not folded).
    pub fn still_holds(&self, until: i64) -> bool {
        until > self.folded
    }
}

/// Where a reservation stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReservationStatus {
    /// Units are held.
    Held,
    /// Turned into a sale.
    Committed,
    /// Given back.
    Released,
    /// Ran out of time (released by the sweep, or lazily).
    Expired,
}

/// One line of a reservation (one SKU, quantities summed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReservedLine {
    /// SKU.
    pub sku: String,
    /// Units.
    pub qty: i64,
}

/// A reservation record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reservation {
    /// The client's id (idempotency).
    pub reservation_id: String,
    /// Status as stored; [`Reservation::status_at`] applies lazy expiry.
    pub status: ReservationStatus,
    /// Where the units are held.
    pub location_id: String,
    /// Lines, one per SKU, sorted.
    pub lines: Vec<ReservedLine>,
    /// Epoch seconds the hold lasts until.
    pub until: i64,
    /// The cart it was made for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cart_id: Option<String>,
    /// The customer it belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    /// The channel it was made through.
    pub channel: String,
    /// A hash of the request, to tell a retry from a reuse of the id.
    pub fingerprint: String,
    /// Whether this is the one live hold of its cart's holder ([`cart_hold_key`]), which
    /// ending it gives up.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cart_hold: bool,
    /// Creation time (RFC 3339).
    pub created_at: String,
}

#[derive(Serialize, Deserialize)]
struct ReservationItem {
    pk: String,
    sk: String,
    #[serde(flatten)]
    reservation: Reservation,
}

/// The key of a reservation.
pub fn reservation_key(reservation_id: &str) -> Key {
    Key::new(format!("RES#{}", part(reservation_id)), "RES")
}

/// The key of an anonymous cart's one live hold: `{reservation_id, until}`. A cart's holder
/// proves no more than a shopper about to pay, so they get one hold at a time.
pub fn cart_hold_key(cart_id: &str) -> Key {
    Key::new(format!("CART#{}", part(cart_id)), "HOLD")
}

/// The sweep index partition of a reservation id.
pub fn held_shard(reservation_id: &str) -> String {
    HELD_INDEX.partition(reservation_id)
}

/// The sweep index sort key: expiry first, so the sweep reads only what is due.
pub fn held_sort_key(until: i64, reservation_id: &str) -> String {
    format!("{until:012}#{}", part(reservation_id))
}

impl Reservation {
    /// The status a client sees: a hold past `until` is `expired` at once.
    pub fn status_at(&self, now: i64) -> ReservationStatus {
        match self.status {
            ReservationStatus::Held if self.until < now => ReservationStatus::Expired,
            other => other,
        }
    }

    /// The item, with the sweep index entry while held.
    pub fn to_item(&self) -> Result<Item, StoreError> {
        let key = reservation_key(&self.reservation_id);
        let stored = ReservationItem { pk: key.pk, sk: key.sk, reservation: self.clone() };
        let mut item: Item = serde_dynamo::to_item(stored).map_err(mapping("reservation"))?;
        if self.status == ReservationStatus::Held {
            item.insert("gsi1pk".into(), AttributeValue::S(held_shard(&self.reservation_id)));
            item.insert("gsi1sk".into(), AttributeValue::S(held_sort_key(self.until, &self.reservation_id)));
        }
        Ok(item)
    }

    /// A reservation from its item.
    pub fn from_item(item: Item) -> Result<Self, StoreError> {
        serde_dynamo::from_item::<_, ReservationItem>(item).map(|r| r.reservation).map_err(corrupt("reservation"))
    }
}

/// The key of an applied adjustment.
pub fn event_key(event_id: &str) -> Key {
    Key::new(format!("EVENT#{}", part(event_id)), "EVENT")
}

/// The reorder index partition of a location.
pub fn reorder_pk(location_id: &str) -> String {
    format!("REORDER#{}", part(location_id))
}

/// Every location: one query per 1,000.
pub async fn all_locations<S: omnicanal_store::Store>(store: &S) -> Result<Vec<Location>, StoreError> {
    let mut all = Vec::new();
    let mut query = omnicanal_store::Query::partition(LOCATIONS_PK, 1000);
    loop {
        let page = store.query(&query).await?;
        for item in page.items {
            all.push(Location::from_item(item)?);
        }
        match page.cursor {
            Some(cursor) => query = query.after(Some(cursor)),
            None => return Ok(all),
        }
    }
}
