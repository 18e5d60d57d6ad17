//! Ending a held reservation, as a plan: committed (a sale), released or expired. One
//! transaction of the reservation's status change and each line's level update, all
//! conditioned on the hold still being there. Committing sells the units (`on_hand` goes
//! down, the reorder entry follows); releasing and expiring give them back to `free`.

use omnicanal_store::{Condition, GSI1PK, GSI1SK, Key, StoreError, Update, WriteOp, s};

use crate::plan::{Plan, Reads, Step};
use crate::stock::movement::Movement;
use crate::stock::records::{Reservation, ReservationStatus, cart_hold_key, hold_attr, reservation_key};
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

    fn reads(&self) -> Vec<Key> {
        let mut keys = vec![reservation_key(&self.reservation.reservation_id)];
        if self.needs_stock() {
            keys.extend(StockView::keys(&self.skus(), &self.location()));
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
        let attr = hold_attr(id);
        let location = &reservation.location_id;
        let view = if self.needs_stock() {
            StockView::from_reads(read, &self.skus(), &self.location())?
        } else {
            StockView::default()
        };
        for line in &reservation.lines {
            let own = vec![Update::remove(attr.clone())];
            let still_held = Some(Condition::has(attr.clone()));
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
                let sale = Movement::Sell { from: on_hand, qty: line.qty };
                sale.write(&line.sku, location, view.reorder_point(&line.sku), own, still_held)
            } else {
                Movement::Release { qty: line.qty }.write(&line.sku, location, 0, own, still_held)
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
