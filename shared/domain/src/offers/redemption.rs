//! Redeeming an offer for an order, as a plan: once per (offer, customer, order), within the
//! offer's window, only where it is eligible (the rule `/offers/me` ranks by), and within its
//! per-customer and total limits. The limits are enforced by
//! conditions on two counters written in the same transaction as the redemption record, so
//! concurrent redemptions can never pass a limit; the decision reads the counters too, so a
//! limit reached is refused at once instead of retried.

use omnicanal_store::{CompareOp, Condition, Item, Key, StoreError, Update, WriteOp, num, s};
use serde::{Deserialize, Serialize};

use crate::offers::records::{count, customer_count_key, from_item, offer_key, redemption_key, total_key};
use crate::offers::rules::{PricedLine, Shopper, is_eligible};
use crate::plan::{Plan, Reads, Step};

/// One counted redemption, as stored and shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redemption {
    /// The offer.
    pub offer_id: String,
    /// The customer it was redeemed for.
    pub customer_id: String,
    /// The order it was redeemed for.
    pub order_id: String,
    /// When (RFC 3339).
    pub redeemed_at: String,
}

/// Why a redemption is refused.
#[derive(Debug, thiserror::Error)]
pub enum RedeemError {
    /// No offer has this id.
    #[error("no such offer")]
    NoSuchOffer,
    /// The offer is outside its window.
    #[error("the offer is outside its start and end")]
    NotActive,
    /// The offer is not for this shopper, channel or cart (`rules::evaluate`).
    #[error("the offer is not for this customer, channel or cart")]
    NotEligible,
    /// A limit is reached.
    #[error("the offer's {which} redemption limit is reached")]
    LimitReached {
        /// `per-customer` or `total`.
        which: &'static str,
    },
    /// A stored item could not be read or written.
    #[error(transparent)]
    Record(#[from] StoreError),
}

/// What a redemption plan answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redeemed {
    /// The redemption.
    pub redemption: Redemption,
    /// Whether this plan counted it (`false`: a repeat answered from the record).
    pub first: bool,
}

/// Redeem `offer_id` for `customer_id`'s order `order_id` at `now`.
#[derive(Clone, Debug)]
pub struct Redeem {
    /// The offer.
    pub offer_id: String,
    /// The customer.
    pub customer_id: String,
    /// The order.
    pub order_id: String,
    /// Now (epoch seconds): the window is checked at this time.
    pub now: i64,
    /// Now as the record shows it (RFC 3339).
    pub redeemed_at: String,
    /// Who redeems, through which channel: eligibility is judged on them.
    pub shopper: Shopper,
    /// Their cart, priced: eligibility (minimum subtotal, currency) is judged on it.
    pub lines: Vec<PricedLine>,
}

impl Redeem {
    fn record_key(&self) -> Key {
        redemption_key(&self.offer_id, &self.customer_id, &self.order_id)
    }
}

/// `count < limit`, or the counter not there yet; no condition without a limit.
fn below(limit: Option<u32>) -> Option<Condition> {
    limit.map(|l| {
        Condition::Or(vec![
            Condition::AttributeNotExists("count".into()),
            Condition::compare("count", CompareOp::Lt, num(l)),
        ])
    })
}

fn reached(limit: Option<u32>, counter: Option<&Item>) -> bool {
    limit.is_some_and(|l| count(counter) >= i64::from(l))
}

impl Plan for Redeem {
    type Answer = Redeemed;
    type Refusal = RedeemError;

    /// The definition, this order's redemption and both counters: one batch read.
    fn reads(&self) -> Vec<Key> {
        vec![
            offer_key(&self.offer_id),
            self.record_key(),
            customer_count_key(&self.offer_id, &self.customer_id),
            total_key(&self.offer_id),
        ]
    }

    /// A repeat answers its record; otherwise the window and the limits as read decide, and
    /// the writes carry the limits as conditions (the read may be stale, the table is not).
    fn decide(&self, read: &Reads) -> Result<Step<Redeemed>, RedeemError> {
        let offer = from_item(read.get(&offer_key(&self.offer_id)).cloned().ok_or(RedeemError::NoSuchOffer)?)?;
        if let Some(existing) = read.get(&self.record_key()) {
            let redemption =
                serde_dynamo::from_item(existing.clone()).map_err(|e| StoreError::because("corrupt redemption", e))?;
            return Ok(Step::Done(Redeemed { redemption, first: false }));
        }
        if !offer.is_active(self.now) {
            return Err(RedeemError::NotActive);
        }
        // The one eligibility rule `/offers/me` ranks by; the limits come next, apart, so a
        // used-up offer says so.
        if !is_eligible(&offer, &self.lines, &self.shopper, self.now) {
            return Err(RedeemError::NotEligible);
        }
        let customer_key = customer_count_key(&self.offer_id, &self.customer_id);
        if reached(offer.per_customer_limit, read.get(&customer_key)) {
            return Err(RedeemError::LimitReached { which: "per-customer" });
        }
        if reached(offer.total_limit, read.get(&total_key(&self.offer_id))) {
            return Err(RedeemError::LimitReached { which: "total" });
        }
        let redemption = Redemption {
            offer_id: self.offer_id.clone(),
            customer_id: self.customer_id.clone(),
            order_id: self.order_id.clone(),
            redeemed_at: self.redeemed_at.clone(),
        };
        let mut record: Item =
            serde_dynamo::to_item(&redemption).map_err(|e| StoreError::because("redemption mapping", e))?;
        let key = self.record_key();
        record.insert("pk".into(), s(key.pk));
        record.insert("sk".into(), s(key.sk));
        let ops = vec![
            WriteOp::Put { item: record, condition: Some(Condition::NotExists) },
            WriteOp::Update {
                key: customer_key,
                updates: vec![Update::add("count", 1)],
                condition: below(offer.per_customer_limit),
            },
            WriteOp::Update {
                key: total_key(&self.offer_id),
                updates: vec![Update::add("count", 1)],
                condition: below(offer.total_limit),
            },
        ];
        Ok(Step::Write { ops, then: Redeemed { redemption, first: true } })
    }
}

#[cfg(test)]
#[path = "redemption_tests.rs"]
mod tests;
