//! Stock takes and adjustments, as plans: both a [`Movement::Count`], which sets `on_hand`
//! conditioned on the value read and keeps `free` and the reorder entry right in the same
//! write. An adjustment applies once per `event_id`, by a marker written in the same
//! transaction that keeps the first answer.

use omnicanal_store::{AttributeValue, Condition, Item, Key, StoreError, WriteOp};
use serde::{Deserialize, Serialize};

use crate::catalog::{self, Product};
use crate::plan::{Plan, Reads, Step};
use crate::stock::movement::Movement;
use crate::stock::records::{Level, Location, event_key, level_key, location_key};
use crate::stock::refusal::StockError;
use crate::stock::rules;
use crate::values::Sku;

/// A level as the API shows it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct LevelView {
    /// SKU.
    pub sku: String,
    /// Location.
    pub location_id: String,
    /// Units there.
    pub on_hand: i64,
    /// Units held by live reservations.
    pub held: i64,
    /// Units the channel can sell.
    pub available: i64,
}

/// What a count answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counted {
    /// The level after it.
    pub level: LevelView,
    /// `false`: a repeated adjustment, answered from its marker.
    pub first: bool,
}

/// What both counts read: the product, the location and the level.
struct Target<'a> {
    sku: &'a Sku,
    location_id: &'a str,
}

impl Target<'_> {
    fn keys(&self) -> Vec<Key> {
        vec![
            catalog::product_key(self.sku),
            location_key(self.location_id),
            level_key(self.sku.as_str(), self.location_id),
        ]
    }

    /// The product and the level (`None`: no level yet); a missing product or location is
    /// refused.
    fn read(&self, read: &Reads) -> Result<(Product, Option<Level>), StockError> {
        let product = read
            .get(&catalog::product_key(self.sku))
            .ok_or_else(|| StockError::NoSuchProduct(self.sku.as_str().to_owned()))?;
        let location = read
            .get(&location_key(self.location_id))
            .ok_or_else(|| StockError::NoSuchLocation(self.location_id.to_owned()))?;
        Location::from_item(location.clone())?;
        let level =
            read.get(&level_key(self.sku.as_str(), self.location_id)).cloned().map(Level::from_item).transpose()?;
        Ok((Product::from_item(product.clone())?, level))
    }

    /// The write setting `on_hand` to `to`, and the level it leaves as the API shows it.
    fn count(&self, product: &Product, level: Option<&Level>, to: i64, now: i64) -> (WriteOp, LevelView) {
        let movement = Movement::Count { from: level.map(|l| l.on_hand), to };
        let after = movement.apply(level);
        let shown = LevelView {
            sku: self.sku.as_str().to_owned(),
            location_id: self.location_id.to_owned(),
            on_hand: to,
            held: level.map_or(0, |l| l.held - l.expired_held(now)),
            available: rules::available(Some(&after), i64::from(product.safety_stock), now),
        };
        let write = movement.write(self.sku.as_str(), self.location_id, i64::from(product.reorder_point), vec![], None);
        (write, shown)
    }
}

/// A stock take: `on_hand` of `sku` at `location_id` is counted as `on_hand`.
#[derive(Clone, Debug)]
pub struct StockTake {
    /// SKU.
    pub sku: Sku,
    /// Location.
    pub location_id: String,
    /// The count.
    pub on_hand: i64,
    /// Now (epoch seconds).
    pub now: i64,
}

impl StockTake {
    fn target(&self) -> Target<'_> {
        Target { sku: &self.sku, location_id: &self.location_id }
    }
}

impl Plan for StockTake {
    type Answer = Counted;
    type Refusal = StockError;

    fn reads(&self) -> Vec<Key> {
        self.target().keys()
    }

    fn decide(&self, read: &Reads) -> Result<Step<Counted>, StockError> {
        let target = self.target();
        let (product, level) = target.read(read)?;
        let (write, level) = target.count(&product, level.as_ref(), self.on_hand, self.now);
        Ok(Step::Write { ops: vec![write], then: Counted { level, first: true } })
    }
}

/// A movement of `delta` units of `sku` at `location_id`, once per `event_id`.
#[derive(Clone, Debug)]
pub struct Adjust {
    /// The caller's id for the movement.
    pub event_id: String,
    /// SKU.
    pub sku: Sku,
    /// Location.
    pub location_id: String,
    /// Units in (positive) or out (negative).
    pub delta: i64,
    /// A hash of the request: the same one again is a repeat, another one a reuse.
    pub fingerprint: String,
    /// Now, as the marker shows it (RFC 3339).
    pub applied_at: String,
    /// Now (epoch seconds).
    pub now: i64,
}

/// The marker of an applied adjustment.
#[derive(Deserialize, Serialize)]
struct EventRecord {
    pk: String,
    sk: String,
    fingerprint: String,
    result: LevelView,
}

impl Adjust {
    fn target(&self) -> Target<'_> {
        Target { sku: &self.sku, location_id: &self.location_id }
    }
}

impl Plan for Adjust {
    type Answer = Counted;
    type Refusal = StockError;

    fn reads(&self) -> Vec<Key> {
        let mut keys = self.target().keys();
        keys.push(event_key(&self.event_id));
        keys
    }

    fn decide(&self, read: &Reads) -> Result<Step<Counted>, StockError> {
        let target = self.target();
        let (product, level) = target.read(read)?;
        if let Some(marker) = read.get(&event_key(&self.event_id)) {
            let record: EventRecord =
                serde_dynamo::from_item(marker.clone()).map_err(|e| StoreError::because("corrupt event record", e))?;
            if record.fingerprint != self.fingerprint {
                return Err(StockError::EventIdReused);
            }
            return Ok(Step::Done(Counted { level: record.result, first: false }));
        }
        let before = level.as_ref().map_or(0, |l| l.on_hand);
        // On hand never goes below zero; a movement in always applies.
        let on_hand = before.checked_add(self.delta).filter(|after| *after >= 0 || self.delta > 0);
        let Some(on_hand) = on_hand else { return Err(StockError::NotEnoughOnHand { on_hand: before }) };
        let (write, shown) = target.count(&product, level.as_ref(), on_hand, self.now);
        let key = event_key(&self.event_id);
        let record =
            EventRecord { pk: key.pk, sk: key.sk, fingerprint: self.fingerprint.clone(), result: shown.clone() };
        let mut marker: Item =
            serde_dynamo::to_item(&record).map_err(|e| StoreError::Invalid(format!("event record mapping: {e}")))?;
        marker.insert("applied_at".into(), AttributeValue::S(self.applied_at.clone()));
        let ops = vec![WriteOp::Put { item: marker, condition: Some(Condition::NotExists) }, write];
        Ok(Step::Write { ops, then: Counted { level: shown, first: true } })
    }
}

/// The keys [`restock`] reads: the products, the location and the levels there.
pub fn restock_keys(skus: &[Sku], location_id: &str) -> Vec<Key> {
    let mut keys = vec![location_key(location_id)];
    for sku in skus {
        keys.push(catalog::product_key(sku));
        keys.push(level_key(sku.as_str(), location_id));
    }
    keys
}

/// Units coming back on hand at `location_id` (a sale undone): per line, a
/// [`Movement::Count`] from the `on_hand` read to that plus the units, conditioned on the
/// value read, so no concurrent movement is lost. Lines of one SKU must be summed first.
pub fn restock(read: &Reads, lines: &[(Sku, i64)], location_id: &str, now: i64) -> Result<Vec<WriteOp>, StockError> {
    let mut writes = Vec::with_capacity(lines.len());
    for (sku, qty) in lines {
        let target = Target { sku, location_id };
        let (product, level) = target.read(read)?;
        let before = level.as_ref().map_or(0, |l| l.on_hand);
        let after = before.checked_add(*qty).ok_or(StockError::NotEnoughOnHand { on_hand: before })?;
        writes.push(target.count(&product, level.as_ref(), after, now).0);
    }
    Ok(writes)
}
