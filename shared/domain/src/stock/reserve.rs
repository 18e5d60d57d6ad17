//! Holding stock for a reservation, as a plan: every line at one location or nothing. The
//! table enforces "never oversell": each line's level update carries the condition `free ≥
//! qty + safety`, all in one transaction with the reservation record, whose `NotExists`
//! condition makes the reservation id idempotent.

use std::collections::BTreeMap;

use omnicanal_store::{AttributeValue, Condition, EXPIRES_AT, Item, Key, StoreError, WriteOp, num, s};

use crate::ids::{Quantity, ReservationId};
use crate::plan::{Plan, Reads, Step};
use crate::stock::movement::{Fold, Movement};
use crate::stock::records::{Reservation, ReservationStatus, ReservedLine, cart_hold_key, reservation_key};
use crate::stock::refusal::StockError;
use crate::stock::rules::{choose_location, closest_location, hold_until, short_lines};
use crate::stock::view::StockView;
use crate::values::Sku;

/// One line as asked for, before quantities are summed per SKU.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WantedLine {
    /// The field it came from, for a `422` (`lines[2].sku`).
    pub field: String,
    /// SKU.
    pub sku: Sku,
    /// Units.
    pub qty: Quantity,
}

/// What a reservation asks to hold, checked: the command a handler builds from its request.
#[derive(Clone, Debug)]
pub struct HoldRequest {
    /// The caller's id for it (idempotency).
    pub reservation_id: ReservationId,
    /// The lines.
    pub lines: Vec<WantedLine>,
    /// How long the hold lasts, in seconds (its end is rounded up, see [`hold_until`]).
    pub ttl_seconds: i64,
    /// The cart it is for.
    pub cart_id: Option<String>,
    /// The customer it belongs to.
    pub customer_id: Option<String>,
    /// The channel it is made through.
    pub channel: String,
    /// A hash of the request: the same request again is a repeat, another one a reuse.
    pub fingerprint: String,
    /// Now, as the record shows it (RFC 3339).
    pub created_at: String,
    /// Made by the holder of an anonymous cart (`cart_id`): the cart's one live hold.
    pub cart_hold: bool,
}

/// What a hold plan answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Held {
    /// The reservation.
    pub reservation: Reservation,
    /// `false`: a repeat, answered from the record.
    pub first: bool,
}

/// Hold `request` at the best of `candidates` at `now`.
#[derive(Clone, Debug)]
pub struct Reserve {
    /// The request.
    pub request: HoldRequest,
    /// The locations that may serve it (already narrowed to the channel and any location
    /// asked for).
    pub candidates: Vec<String>,
    /// Now (epoch seconds).
    pub now: i64,
}

impl Reserve {
    /// Units wanted per SKU.
    pub fn wanted(&self) -> BTreeMap<Sku, i64> {
        let mut summed = BTreeMap::new();
        for line in &self.request.lines {
            *summed.entry(line.sku.clone()).or_insert(0) += line.qty.get();
        }
        summed
    }

    /// The candidate that could serve the most of the request ([`closest_location`]): where
    /// availability is shown when no candidate can serve every line.
    pub fn closest_location(&self, view: &StockView) -> Option<String> {
        closest_location(&self.offer(view), &self.wanted_by_sku())
    }

    /// What each candidate has available now of each wanted SKU: `offer[location][sku]`.
    fn offer(&self, view: &StockView) -> BTreeMap<String, BTreeMap<String, i64>> {
        let wanted = self.wanted();
        self.candidates
            .iter()
            .map(|loc| {
                let have =
                    wanted.keys().map(|sku| (sku.as_str().to_owned(), view.available(sku.as_str(), loc, self.now)));
                (loc.clone(), have.collect())
            })
            .collect()
    }

    /// The wanted units by SKU, keyed as [`Reserve::offer`] is.
    fn wanted_by_sku(&self) -> BTreeMap<String, i64> {
        self.wanted().into_iter().map(|(sku, qty)| (sku.as_str().to_owned(), qty)).collect()
    }

    fn skus(&self) -> Vec<Sku> {
        self.wanted().into_keys().collect()
    }

    /// The stock this plan read.
    pub fn view(&self, read: &Reads) -> Result<StockView, StoreError> {
        StockView::from_reads(read, &self.skus(), &self.candidates)
    }

    /// When the hold ends: now plus the ttl, rounded up so a level keeps few buckets.
    pub fn until(&self) -> i64 {
        hold_until(self.now, self.request.ttl_seconds)
    }
}

impl Reserve {
    /// The cart hold this reservation takes, when it is a cart holder's.
    fn cart_hold_key(&self) -> Option<Key> {
        self.request.cart_id.as_deref().filter(|_| self.request.cart_hold).map(cart_hold_key)
    }

    /// The write of the cart's one live hold, which lapses with the hold (its `expires_at`
    /// is the hold's end, so the table counts it absent after): refused at once when another
    /// live one is read, and conditioned so two racing holders get one hold between them.
    fn cart_hold(&self, read: &Reads, until: i64) -> Result<Option<WriteOp>, StockError> {
        let Some(key) = self.cart_hold_key() else { return Ok(None) };
        if let Some(live) = read.get(&key) {
            let other = match live.get("reservation_id") {
                Some(AttributeValue::S(id)) => id.clone(),
                _ => String::new(),
            };
            return Err(StockError::CartAlreadyHolds(other));
        }
        let item = Item::from([
            ("pk".to_owned(), s(key.pk.clone())),
            ("sk".to_owned(), s(key.sk.clone())),
            ("reservation_id".to_owned(), s(self.request.reservation_id.as_str())),
            (EXPIRES_AT.to_owned(), num(until)),
        ]);
        Ok(Some(WriteOp::Put { item, condition: Some(Condition::NotExists) }))
    }
}

impl Plan for Reserve {
    type Answer = Held;
    type Refusal = StockError;

    /// The products, their levels at every candidate, and the reservation's own record (a
    /// repeat is answered from it, whatever the stock is now).
    fn reads(&self) -> Vec<Key> {
        let mut keys = StockView::keys(&self.skus(), &self.candidates);
        keys.push(reservation_key(self.request.reservation_id.as_str()));
        keys.extend(self.cart_hold_key());
        keys
    }

    fn decide(&self, read: &Reads) -> Result<Step<Held>, StockError> {
        let request = &self.request;
        if let Some(item) = read.get(&reservation_key(request.reservation_id.as_str())) {
            let existing = Reservation::from_item(item.clone())?;
            if existing.fingerprint != request.fingerprint {
                return Err(StockError::ReservationIdReused);
            }
            return Ok(Step::Done(Held { reservation: existing, first: false }));
        }
        let view = self.view(read)?;
        let named: Vec<(String, String)> =
            request.lines.iter().map(|l| (l.field.clone(), l.sku.as_str().to_owned())).collect();
        let unknown = view.unknown_products(&named);
        if !unknown.is_empty() {
            return Err(StockError::UnknownProducts(unknown));
        }
        let wanted = self.wanted_by_sku();
        let offer = self.offer(&view);
        let Some(location_id) = choose_location(&offer, &wanted) else {
            return Err(StockError::Insufficient { short: short_lines(&offer, &wanted) });
        };
        let reservation = Reservation {
            reservation_id: request.reservation_id.as_str().to_owned(),
            status: ReservationStatus::Held,
            location_id: location_id.clone(),
            lines: wanted.iter().map(|(sku, qty)| ReservedLine { sku: sku.clone(), qty: *qty }).collect(),
            until: self.until(),
            cart_id: request.cart_id.clone(),
            customer_id: request.customer_id.clone(),
            channel: request.channel.clone(),
            fingerprint: request.fingerprint.clone(),
            created_at: request.created_at.clone(),
            cart_hold: self.cart_hold_key().is_some(),
        };
        let mut ops = vec![WriteOp::Put { item: reservation.to_item()?, condition: Some(Condition::NotExists) }];
        ops.extend(self.cart_hold(read, reservation.until)?);
        let mut clear = Vec::new();
        for line in &reservation.lines {
            let level = view.level(&line.sku, &location_id);
            let safety_stock = view.safety_stock(&line.sku);
            let fold = Fold::of(level, self.now);
            // Availability counted every expired bucket; when more are in the way than one
            // write folds, fold those first and decide again.
            if level.map_or(0, |l| l.free) + fold.units() < line.qty + safety_stock {
                clear.push(Movement::Fold(fold).write(&line.sku, &location_id, 0, Vec::new(), None));
                continue;
            }
            let movement = Movement::Hold { qty: line.qty, safety_stock, until: reservation.until, fold };
            // A hold leaves on_hand, so the reorder point plays no part.
            ops.push(movement.write(&line.sku, &location_id, 0, Vec::new(), None));
        }
        if !clear.is_empty() {
            return Ok(Step::Clear(clear));
        }
        Ok(Step::Write { ops, then: Held { reservation, first: true } })
    }
}
