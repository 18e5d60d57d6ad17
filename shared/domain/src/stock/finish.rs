//! Ending a held reservation, as a plan: committed (a sale), released or expired. One
//! transaction of the reservation's status change (conditioned on it still being held) and
//! each line's level update, conditioned on the hold's bucket not being folded yet.
//! Committing sells the units (`on_hand` goes down, the reorder entry follows); releasing and
//! expiring give them back to `free`. When a later hold already folded the bucket, its units
//! are back: a release or an expiry then changes only the reservation, and a commit is too
//! late.

use omnicanal_store::{Condition, GSI1PK, GSI1SK, Key, StoreError, Update, WriteOp, s};

use crate::plan::{Plan, Reads, Step};
use crate::stock::movement::Movement;
use crate::stock::records::{Level, Reservation, ReservationStatus, cart_hold_key, level_key, reservation_key};
use crate::stock::refusal::StockError;
use crate::stock::view::StockView;
use crate::values::Sku;

/// The outcome of ending a hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Finished {
    /// It ended now.
    Done,
    /// It had already ended this way (a repeat).
    Already,
}

/// End `reservation` as `target` at `now`. The reservation is the one read before (its
/// lines and location never change); the plan reads it again, so the decision is on its
/// current status.
#[derive(Clone, Debug)]
pub struct Finish {
    /// The reservation as last read.
    pub reservation: Reservation,
    /// Committed, released or expired.
    pub target: ReservationStatus,
    /// Now (epoch seconds).
    pub now: i64,
}

impl Finish {
    fn skus(&self) -> Vec<Sku> {
        self.reservation.lines.iter().filter_map(|l| Sku::parse(&l.sku).ok()).collect()
    }

    fn location(&self) -> Vec<String> {
        vec![self.reservation.location_id.clone()]
    }

    /// Whether the decision needs the levels and products (a sale sets `on_hand` and the
    /// reorder entry from them); releasing needs only the reservation.
    pub fn needs_stock(&self) -> bool {
        self.target == ReservationStatus::Committed
    }
}

impl Plan for Finish {
    type Answer = (Finished, Reservation);
    type Refusal = StockError;

    /// The reservation and its levels (whose `folded` tells whether a hold's units are still
    /// in its bucket), and for a sale the products. A release may decide a first attempt on
    /// the reservation alone: its writes' conditions hold only while the buckets are there.
    fn reads(&self) -> Vec<Key> {
        let mut keys = vec![reservation_key(&self.reservation.reservation_id)];
        if self.needs_stock() {
            keys.extend(StockView::keys(&self.skus(), &self.location()));
        } else {
            let location = &self.reservation.location_id;
            keys.extend(self.reservation.lines.iter().map(|l| level_key(&l.sku, location)));
        }
        keys
    }

    fn decide(&self, read: &Reads) -> Result<Step<Self::Answer>, StockError> {
        let id = &self.reservation.reservation_id;
        let item = read.get(&reservation_key(id)).ok_or(StockError::NoSuchReservation)?;
        let mut reservation = Reservation::from_item(item.clone())?;
        let (target, now) = (self.target, self.now);
        let shown = reservation.status_at(now);
        if reservation.status == target || (shown == target && target != ReservationStatus::Expired) {
            return Ok(Step::Done((Finished::Already, reservation)));
        }
        let allowed = match target {
            ReservationStatus::Committed => shown == ReservationStatus::Held,
            ReservationStatus::Released => reservation.status == ReservationStatus::Held,
            ReservationStatus::Expired => shown == ReservationStatus::Expired,
            ReservationStatus::Held => false,
        };
        if !allowed {
            return Err(StockError::WrongState { shown, target });
        }
        let status = serde_dynamo::to_attribute_value(target)
            .map_err(|e| StoreError::Invalid(format!("status mapping: {e}")))?;
        let mut ops = vec![WriteOp::Update {
            key: reservation_key(id),
            updates: vec![Update::set("status", status), Update::remove(GSI1PK), Update::remove(GSI1SK)],
            condition: Some(Condition::eq("status", s("held"))),
        }];
        let location = &reservation.location_id;
        let view = if self.needs_stock() {
            StockView::from_reads(read, &self.skus(), &self.location())?
        } else {
            StockView::default()
        };
        let until = reservation.until;
        for line in &reservation.lines {
            // A level not read (a release's first attempt) counts as still holding: the
            // write's condition says whether it does.
            let level = match read.get(&level_key(&line.sku, location)) {
                Some(item) => Some(Level::from_item(item.clone())?),
                None => None,
            };
            if level.as_ref().is_some_and(|l| !l.still_holds(until)) {
                if target == ReservationStatus::Committed {
                    return Err(StockError::WrongState { shown: ReservationStatus::Expired, target });
                }
                continue;
            }
            let op = if target == ReservationStatus::Committed {
                if !view.products.contains_key(&line.sku) {
                    return Err(StoreError::Invalid(format!("the product {} of a held line is gone", line.sku)).into());
                }
                let on_hand = view.level(&line.sku, location).map_or(0, |l| l.on_hand);
                // A stock take may have counted fewer units than are held: selling them would
                // take on hand below zero. Refused; the hold stays for staff to resolve.
                if on_hand < line.qty {
                    return Err(StockError::NotEnoughOnHand { on_hand });
                }
                let sale = Movement::Sell { from: on_hand, qty: line.qty, until };
                sale.write(&line.sku, location, view.reorder_point(&line.sku), Vec::new(), None)
            } else {
                Movement::Release { qty: line.qty, until }.write(&line.sku, location, 0, Vec::new(), None)
            };
            ops.push(op);
        }
        // A cart holder's hold gives up the cart's one live hold, while it is still this
        // one's: once expired, a newer reservation may own it.
        if let Some(cart_id) =
            reservation.cart_id.as_deref().filter(|_| reservation.cart_hold && reservation.until >= now)
        {
            let mine = Condition::Or(vec![Condition::NotExists, Condition::eq("reservation_id", s(id.as_str()))]);
            ops.push(WriteOp::Delete { key: cart_hold_key(cart_id), condition: Some(mine) });
        }
        reservation.status = target;
        Ok(Step::Write { ops, then: (Finished::Done, reservation) })
    }
}
