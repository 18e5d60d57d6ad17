//! A return, as a plan: units of a confirmed or fulfilled order come back at any location.
//! One transaction puts them back on hand there (the stock domain's [`restock`], the reorder
//! entry kept right), gives back the points they were paid with and takes back the points
//! they earned (the loyalty domain's [`restore_some`] and [`reverse_some`], one account
//! write), records the return (its own item, once per `return_id`) and the units and shares
//! on the order, conditioned on the order's version: two racing returns of the last unit give
//! one. What each return refunds is [`crate::orders::shares`].

use std::collections::BTreeMap;

use omnicanal_store::{Condition, Item, Key, StoreError, WriteOp};
use serde::{Deserialize, Serialize};

use crate::customer::loyalty_account_key;
use crate::keys::part;
use crate::loyalty::change::together;
use crate::loyalty::operations::{Earned, earned, restore_some, reverse_some, reversible};
use crate::loyalty::records::{earn_key, redeem_key, reverse_key};
use crate::loyalty::rules::LoyaltyRules;
use crate::orders::record::{MAX_RETURNS, Order, OrderStatus, ReturnSummary, order_key};
use crate::orders::refusal::OrderError;
use crate::orders::shares::{LineCost, Paid, Returned, refund, spread};
use crate::plan::{Plan, Reads, Step};
use crate::stock::count::{restock, restock_keys};
use crate::stock::records::location_key;
use crate::values::{Money, Sku};

/// The key of a return's record: in its order's partition.
pub fn return_key(order_id: &str, return_id: &str) -> Key {
    Key::new(format!("ORDER#{}", part(order_id)), format!("RETURN#{}", part(return_id)))
}

/// One line of a return as shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnedLine {
    /// SKU.
    pub sku: String,
    /// Units.
    pub qty: i64,
}

/// A return as the API shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnView {
    /// The caller's id for it.
    pub return_id: String,
    /// The order.
    pub order_id: String,
    /// Where the units came back.
    pub location_id: String,
    /// The lines, by SKU.
    pub lines: Vec<ReturnedLine>,
    /// What it refunds (paid by the order system).
    pub refund: Money,
    /// Spent points given back.
    pub points_restored: i64,
    /// Earned points taken back.
    pub points_reversed: i64,
    /// When (RFC 3339).
    pub at: String,
}

/// A return's record: the answer, and the request's hash to tell a retry from a reuse.
#[derive(Serialize, Deserialize)]
struct ReturnRecord {
    pk: String,
    sk: String,
    fingerprint: String,
    #[serde(flatten)]
    view: ReturnView,
}

/// What a return asks, checked: the command a handler builds.
#[derive(Clone, Debug)]
pub struct ReturnRequest {
    /// The caller's id for it.
    pub return_id: String,
    /// Where the units come back (any existing location).
    pub location_id: String,
    /// Units per SKU (summed).
    pub lines: BTreeMap<Sku, i64>,
    /// A hash of the request.
    pub fingerprint: String,
}

/// What a return answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Made {
    /// The return.
    pub view: ReturnView,
    /// `false`: a repeat, answered from its record.
    pub first: bool,
}

/// Return `request` against the order last read as `order`, at `now`.
#[derive(Clone, Debug)]
pub struct ReturnUnits<'r> {
    /// The order as last read (its lines, customer and shares never change).
    pub order: Order,
    /// The return.
    pub request: ReturnRequest,
    /// The loyalty rules.
    pub rules: &'r LoyaltyRules,
    /// Now.
    pub now: time::OffsetDateTime,
}

impl ReturnUnits<'_> {
    fn order_id(&self) -> &str {
        &self.order.order_id
    }

    fn skus(&self) -> Vec<Sku> {
        self.request.lines.keys().cloned().collect()
    }

    /// What the order paid, line by line.
    fn paid(order: &Order) -> (Vec<LineCost>, Paid) {
        let lines = order
            .lines
            .iter()
            .map(|l| LineCost {
                sku: l.sku.clone(),
                qty: l.qty,
                line_total: l.line_total.amount,
                discounted: l.discounted,
            })
            .collect();
        let paid = Paid {
            saving: order.discount.as_ref().map_or(0, |d| d.saving.amount),
            points_redeemed: order.points_redeemed,
            points_value: order.points_value.amount,
            points_earned: order.points_earned.unwrap_or(0),
        };
        (lines, paid)
    }
}

impl Plan for ReturnUnits<'_> {
    type Answer = Made;
    type Refusal = OrderError;

    /// The order, the return's record, the location and the products and levels there, the
    /// account and the order's earning and redemption markers.
    fn reads(&self) -> Vec<Key> {
        let mut keys = vec![order_key(self.order_id()), return_key(self.order_id(), &self.request.return_id)];
        keys.extend(restock_keys(&self.skus(), &self.request.location_id));
        keys.push(earn_key(self.order_id()));
        keys.push(reverse_key(self.order_id()));
        if let Some(customer) = self.order.customer_id.as_deref() {
            keys.push(loyalty_account_key(customer));
            keys.push(redeem_key(customer, self.order_id()));
        }
        keys
    }

    fn decide(&self, read: &Reads) -> Result<Step<Made>, OrderError> {
        let item = read.get(&order_key(self.order_id())).ok_or(OrderError::NoSuchOrder)?;
        let order = Order::from_item(item.clone())?;
        let request = &self.request;
        if let Some(record) = read.get(&return_key(self.order_id(), &request.return_id)) {
            let record: ReturnRecord =
                serde_dynamo::from_item(record.clone()).map_err(|e| StoreError::because("corrupt return", e))?;
            if record.fingerprint != request.fingerprint {
                return Err(OrderError::ReturnIdReused);
            }
            return Ok(Step::Done(Made { view: record.view, first: false }));
        }
        if !matches!(order.status, OrderStatus::Confirmed | OrderStatus::Fulfilled) {
            return Err(OrderError::InvalidStatus { status: order.status, wanted: "confirmed or fulfilled" });
        }
        if read.get(&location_key(&request.location_id)).is_none() {
            return Err(OrderError::NoSuchLocation(request.location_id.clone()));
        }
        if order.returns.len() >= MAX_RETURNS {
            return Err(OrderError::TooManyReturns);
        }
        let (costs, paid) = Self::paid(&order);
        let shares = spread(&costs, &paid);
        let mut next = order.clone();
        let mut total = Returned::default();
        for (sku, qty) in &request.lines {
            let Some(line) = next.lines.iter_mut().find(|l| l.sku == sku.as_str()) else {
                return Err(OrderError::ReturnExceedsOrder { sku: sku.as_str().to_owned(), left: 0 });
            };
            let left = line.qty - line.returned_qty;
            if *qty > left {
                return Err(OrderError::ReturnExceedsOrder { sku: sku.as_str().to_owned(), left });
            }
            let Some(share) = shares.iter().find(|s| s.sku == line.sku) else {
                return Err(StoreError::Invalid("an order line without its share".into()).into());
            };
            let back = refund(share, line.returned_qty, &line.returned, *qty);
            line.returned_qty += qty;
            line.returned = line.returned.plus(&back);
            total = total.plus(&back);
        }
        // What the order earned, and how much of it a return may still take back: a
        // `/loyalty/reverse` of the whole order before this return leaves nothing.
        let earning: Option<Earned> = read.get(&earn_key(self.order_id())).map(earned).transpose()?;
        let points_reversed = earning
            .as_ref()
            .map_or(0, |e| total.points_reversed.min(reversible(e, read.get(&reverse_key(self.order_id())))));
        let at = omnicanal_platform::clock::rfc3339(self.now);
        let view = ReturnView {
            return_id: request.return_id.clone(),
            order_id: order.order_id.clone(),
            location_id: request.location_id.clone(),
            lines: request
                .lines
                .iter()
                .map(|(sku, qty)| ReturnedLine { sku: sku.as_str().to_owned(), qty: *qty })
                .collect(),
            refund: Money { amount: total.refund, currency: order.currency },
            points_restored: total.points_restored,
            points_reversed,
            at: at.clone(),
        };
        next.returns.push(ReturnSummary {
            return_id: view.return_id.clone(),
            location_id: view.location_id.clone(),
            units: request.lines.values().sum(),
            refund: view.refund,
            points_restored: view.points_restored,
            points_reversed: view.points_reversed,
            at,
        });
        next.version = order.version + 1;
        let mut ops = next.update_from(&order)?;
        let key = return_key(self.order_id(), &request.return_id);
        let record =
            ReturnRecord { pk: key.pk, sk: key.sk, fingerprint: request.fingerprint.clone(), view: view.clone() };
        let record: Item = serde_dynamo::to_item(&record).map_err(|e| StoreError::because("return mapping", e))?;
        ops.push(WriteOp::Put { item: record, condition: Some(Condition::NotExists) });
        let lines: Vec<(Sku, i64)> = request.lines.iter().map(|(sku, qty)| (sku.clone(), *qty)).collect();
        ops.extend(restock(read, &lines, &request.location_id, self.now.unix_timestamp())?);
        let mut step = Step::Write { ops, then: () };
        if let Some(customer) = order.customer_id.as_deref() {
            let (already_restored, _) = order
                .lines
                .iter()
                .fold((0, 0), |(r, v), l| (r + l.returned.points_restored, v + l.returned.points_reversed));
            let restoring =
                restore_some(self.rules, customer, self.order_id(), already_restored, total.points_restored, self.now);
            let account = match earning.as_ref().filter(|_| points_reversed > 0) {
                Some(earning) => {
                    let reversing = reverse_some(self.rules, earning, self.order_id(), points_reversed, self.now);
                    together(restoring, reversing).decide(read)?.map(|_| ())
                }
                None => restoring.decide(read)?.map(|_| ()),
            };
            step = step.and(account).map(|_| ());
        }
        Ok(step.map(|()| Made { view, first: true }))
    }
}
