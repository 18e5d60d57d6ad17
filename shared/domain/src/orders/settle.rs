//! What happens to an order after its checkout, as one plan per change, each one
//! transaction: **confirm** (the hold becomes a sale, the points are earned once per order),
//! **cancel** (a placed order's hold is released; a confirmed one's units go back on hand and
//! its earned points are reversed; both restore spent points and give the redemption back),
//! and **expire** (a placed order past its time gives everything back). The parts are the
//! domains' own: the stock domain's [`Finish`] and [`restock`], the loyalty domain's
//! [`earn`], [`reverse`] and [`restore`] (in one account write, [`together`]), the offers
//! domain's [`Release`]. The order's own write is conditioned on the status it was read in,
//! so of two racing changes one applies and the other decides again on what it left.

use omnicanal_platform::clock::rfc3339;
use omnicanal_store::{Key, StoreError, WriteOp};

use crate::customer::loyalty_account_key;
use crate::loyalty::change::together;
use crate::loyalty::operations::{Changed, Purchase, earn, earned, restore, restore_some, reverse};
use crate::loyalty::records::{earn_key, redeem_key, restore_key, reverse_key};
use crate::loyalty::rules::LoyaltyRules;
use crate::offers::release::Release;
use crate::orders::record::{Order, OrderStatus, hold_id, order_key};
use crate::orders::refusal::OrderError;
use crate::plan::{Plan, Reads, Step};
use crate::stock::count::{restock, restock_keys};
use crate::stock::finish::Finish;
use crate::stock::records::{Reservation, ReservationStatus, reservation_key};
use crate::stock::refusal::StockError;
use crate::stock::view::StockView;
use crate::values::Sku;

/// A change to an order after its checkout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// Payment taken (service).
    Confirm {
        /// The payment's reference.
        payment_reference: Option<String>,
    },
    /// Give everything back; `staff` (staff and services) may also cancel a confirmed order.
    Cancel {
        /// Whether the caller is staff or a service.
        staff: bool,
    },
    /// A placed order past its time gives everything back (lazily, or by the sweep).
    Expire,
    /// Handed over in store, or shipped (staff, service).
    Fulfil,
}

/// `change` to the order last read as `order`, at `now`.
#[derive(Clone, Debug)]
pub struct Settle<'r> {
    /// The order as last read (its lines, location, customer and offer never change).
    pub order: Order,
    /// What to do.
    pub change: Change,
    /// The loyalty rules.
    pub rules: &'r LoyaltyRules,
    /// Now.
    pub now: time::OffsetDateTime,
}

/// What a change answers: the order as it now stands, and whether this call changed it.
#[derive(Clone, Debug, PartialEq)]
pub struct Settled {
    /// The order.
    pub order: Order,
    /// `false`: it already stood so (a repeat).
    pub changed: bool,
}

impl Settle<'_> {
    fn order_id(&self) -> &str {
        &self.order.order_id
    }

    fn skus(&self) -> Vec<Sku> {
        self.order.lines.iter().filter_map(|l| Sku::parse(&l.sku).ok()).collect()
    }

    fn location(&self) -> &str {
        &self.order.fulfilment.location_id
    }

    /// The order's hold, from what was read.
    fn reservation(&self, read: &Reads) -> Result<Option<Reservation>, StoreError> {
        read.get(&reservation_key(&hold_id(self.order_id()))).cloned().map(Reservation::from_item).transpose()
    }

    /// The hold's end as `target`, when the hold is still there to end.
    fn finish(&self, read: &Reads, target: ReservationStatus) -> Result<Option<Step<()>>, OrderError> {
        let Some(reservation) = self.reservation(read)? else { return Ok(None) };
        let plan = Finish { reservation, target, now: self.now.unix_timestamp() };
        match plan.decide(read) {
            Ok(step) => Ok(Some(step.map(|_| ()))),
            Err(StockError::WrongState { shown: ReservationStatus::Expired, .. }) => Err(OrderError::Expired),
            Err(other) => Err(other.into()),
        }
    }

    /// The spent points back and the redemption given back (cancel and expiry).
    fn give_back(&self, read: &Reads, reversing: bool) -> Result<Step<()>, OrderError> {
        let mut step = Step::Done(());
        if let Some(customer) = self.order.customer_id.as_deref() {
            // What returns already gave back is not given back twice: the order keeps what
            // they restored, the reversal marker what they (or `/loyalty/reverse`) took back.
            let restored: i64 = self.order.lines.iter().map(|l| l.returned.points_restored).sum();
            let remaining = self.order.points_redeemed - restored;
            let earning = match (reversing, read.get(&earn_key(self.order_id()))) {
                (true, Some(marker)) => Some(earned(marker)?),
                _ => None,
            };
            let (rules, order_id, now) = (self.rules, self.order_id(), self.now);
            let account: Option<Step<()>> = match (&earning, remaining > 0, restored > 0) {
                (Some(e), true, false) => Some(
                    together(reverse(rules, e, order_id, now), restore(rules, customer, order_id, now))
                        .decide(read)?
                        .map(|_| ()),
                ),
                (Some(e), true, true) => Some(
                    together(
                        reverse(rules, e, order_id, now),
                        restore_some(rules, customer, order_id, restored, remaining, now),
                    )
                    .decide(read)?
                    .map(|_| ()),
                ),
                (Some(e), false, _) => Some(reverse(rules, e, order_id, now).decide(read)?.map(|_| ())),
                (None, true, false) => Some(restore(rules, customer, order_id, now).decide(read)?.map(|_| ())),
                (None, true, true) => {
                    Some(restore_some(rules, customer, order_id, restored, remaining, now).decide(read)?.map(|_| ()))
                }
                (None, false, _) => None,
            };
            if let Some(account) = account {
                step = step.and(account).map(|_| ());
            }
            if let Some(discount) = &self.order.discount {
                let release = Release {
                    offer_id: discount.offer_id.clone(),
                    customer_id: customer.to_owned(),
                    order_id: self.order_id().to_owned(),
                };
                step = step.and(release.decide(read)?).map(|_| ());
            }
        }
        Ok(step)
    }

    /// What confirming earns: the loyalty domain's earning for this order, once.
    fn earn(&self, read: &Reads) -> Result<Option<Step<Changed>>, OrderError> {
        let Some(customer) = self.order.customer_id.as_deref() else { return Ok(None) };
        if self.order.currency != self.rules.currency {
            // The programme counts one currency; an order in another earns nothing.
            return Ok(None);
        }
        let purchase = Purchase {
            customer_id: customer,
            order_id: self.order_id(),
            amount_minor: self.order.total.amount,
            channel: &self.order.channel,
            at: self.now.unix_timestamp(),
        };
        Ok(Some(earn(self.rules, purchase, self.now).decide(read)?))
    }

    /// The order's own write: `next`, only over the version read (so only while it still
    /// stands as read).
    fn put(next: &Order, read: &Order) -> Result<Vec<WriteOp>, StoreError> {
        next.update_from(read)
    }
}

impl Plan for Settle<'_> {
    type Answer = Settled;
    type Refusal = OrderError;

    /// The order, its hold and the levels (and products and location) it touches, the
    /// account and the order's loyalty markers, and its redemption; a fulfilment only the
    /// order.
    fn reads(&self) -> Vec<Key> {
        if self.change == Change::Fulfil {
            // Only the order's status and times change.
            return vec![order_key(self.order_id())];
        }
        let skus = self.skus();
        let mut keys = vec![order_key(self.order_id()), reservation_key(&hold_id(self.order_id()))];
        keys.extend(StockView::keys(&skus, &[self.location().to_owned()]));
        keys.extend(restock_keys(&skus, self.location()).into_iter().filter(|k| !keys.contains(k)).collect::<Vec<_>>());
        keys.push(earn_key(self.order_id()));
        keys.push(reverse_key(self.order_id()));
        if let Some(customer) = self.order.customer_id.as_deref() {
            keys.push(loyalty_account_key(customer));
            keys.push(redeem_key(customer, self.order_id()));
            keys.push(restore_key(customer, self.order_id()));
            if let Some(discount) = &self.order.discount {
                keys.extend(
                    Release {
                        offer_id: discount.offer_id.clone(),
                        customer_id: customer.to_owned(),
                        order_id: self.order_id().to_owned(),
                    }
                    .reads(),
                );
            }
        }
        keys
    }

    fn decide(&self, read: &Reads) -> Result<Step<Settled>, OrderError> {
        let item = read.get(&order_key(self.order_id())).ok_or(OrderError::NoSuchOrder)?;
        let order = Order::from_item(item.clone())?;
        let now = self.now.unix_timestamp();
        let at = rfc3339(self.now);
        let shown = order.status_at(now);
        let unchanged = |order: Order| Ok(Step::Done(Settled { order, changed: false }));
        let mut next = order.clone();
        let step = match (&self.change, order.status) {
            (Change::Expire, OrderStatus::Placed) if shown == OrderStatus::Expired => {
                next.status = OrderStatus::Expired;
                // Released outright while the hold still runs (it may outlast the order by
                // its rounding); otherwise it ran out and expires.
                let target = match self.reservation(read)? {
                    Some(r) if r.status_at(now) == ReservationStatus::Held => ReservationStatus::Released,
                    _ => ReservationStatus::Expired,
                };
                let hold = self.finish(read, target)?.unwrap_or(Step::Done(()));
                hold.and(self.give_back(read, false)?).map(|_| ())
            }
            (Change::Expire, _) => return unchanged(order),
            (Change::Confirm { .. }, OrderStatus::Confirmed | OrderStatus::Fulfilled) => return unchanged(order),
            (Change::Confirm { .. }, OrderStatus::Placed) if shown == OrderStatus::Expired => {
                return Err(OrderError::Expired);
            }
            (Change::Confirm { payment_reference }, OrderStatus::Placed) => {
                let Some(sale) = self.finish(read, ReservationStatus::Committed)? else {
                    return Err(StoreError::Invalid("a placed order without its hold".into()).into());
                };
                next.status = OrderStatus::Confirmed;
                next.confirmed_at = Some(at.clone());
                next.payment_reference.clone_from(payment_reference);
                let earning = self.earn(read)?;
                next.points_earned = Some(match &earning {
                    Some(Step::Write { then, .. } | Step::Done(then)) => then.answer["points"].as_i64().unwrap_or(0),
                    _ => 0,
                });
                match earning {
                    Some(earning) => sale.and(earning).map(|_| ()),
                    None => sale,
                }
            }
            (Change::Confirm { .. }, OrderStatus::Expired) => return Err(OrderError::Expired),
            (Change::Confirm { .. }, status) => return Err(OrderError::InvalidStatus { status, wanted: "placed" }),
            (Change::Fulfil, OrderStatus::Fulfilled) => return unchanged(order),
            (Change::Fulfil, OrderStatus::Confirmed) => {
                next.status = OrderStatus::Fulfilled;
                next.fulfilled_at = Some(at.clone());
                Step::Done(())
            }
            (Change::Fulfil, OrderStatus::Expired) => return Err(OrderError::Expired),
            (Change::Fulfil, OrderStatus::Placed) if shown == OrderStatus::Expired => return Err(OrderError::Expired),
            (Change::Fulfil, status) => return Err(OrderError::InvalidStatus { status, wanted: "confirmed" }),
            (Change::Cancel { .. }, OrderStatus::Cancelled) => return unchanged(order),
            (Change::Cancel { .. }, OrderStatus::Placed) if shown == OrderStatus::Expired => {
                return Err(OrderError::Expired);
            }
            (Change::Cancel { .. }, OrderStatus::Placed) => {
                next.status = OrderStatus::Cancelled;
                next.cancelled_at = Some(at.clone());
                let hold = self.finish(read, ReservationStatus::Released)?.unwrap_or(Step::Done(()));
                hold.and(self.give_back(read, false)?).map(|_| ())
            }
            (Change::Cancel { staff: true }, OrderStatus::Confirmed) => {
                next.status = OrderStatus::Cancelled;
                next.cancelled_at = Some(at.clone());
                let lines: Vec<(Sku, i64)> = order
                    .lines
                    .iter()
                    .filter_map(|l| Some((Sku::parse(&l.sku).ok()?, l.qty - l.returned_qty)))
                    .collect();
                let back = restock(read, &lines, self.location(), now)?;
                Step::Write { ops: back, then: () }.and(self.give_back(read, true)?).map(|_| ())
            }
            (Change::Cancel { .. }, OrderStatus::Expired) => return Err(OrderError::Expired),
            (Change::Cancel { staff }, status) => {
                let wanted =
                    if *staff { "placed or confirmed" } else { "placed (a confirmed order is cancelled by the store)" };
                return Err(OrderError::InvalidStatus { status, wanted });
            }
        };
        next.version = order.version + 1;
        let own = Self::put(&next, &order)?;
        Ok(Step::Write { ops: own, then: () }.and(step).map(|_| Settled { order: next, changed: true }))
    }
}
