//! Giving a redemption back, as a plan: an order that redeemed an offer was cancelled or
//! expired, so the use returns to the offer's limits. The redemption record goes and both
//! counters go down by one, in one transaction conditioned on the record still being there,
//! so a use is given back once however often it is asked, and a counter always equals the
//! redemptions it counts.

use omnicanal_store::{Condition, Key, Update, WriteOp};

use crate::offers::records::{customer_count_key, redemption_key, total_key};
use crate::offers::redemption::RedeemError;
use crate::plan::{Plan, Reads, Step};

/// Give back the redemption of `offer_id` by `customer_id` for `order_id`.
#[derive(Clone, Debug)]
pub struct Release {
    /// The offer.
    pub offer_id: String,
    /// The customer.
    pub customer_id: String,
    /// The order.
    pub order_id: String,
}

impl Release {
    fn record_key(&self) -> Key {
        redemption_key(&self.offer_id, &self.customer_id, &self.order_id)
    }
}

impl Plan for Release {
    /// Whether this plan gave it back (`false`: there was nothing to give back).
    type Answer = bool;
    type Refusal = RedeemError;

    fn reads(&self) -> Vec<Key> {
        vec![self.record_key()]
    }

    fn decide(&self, read: &Reads) -> Result<Step<bool>, RedeemError> {
        if read.get(&self.record_key()).is_none() {
            return Ok(Step::Done(false));
        }
        let down = |key: Key| WriteOp::Update {
            key,
            updates: vec![Update::add("count", -1)],
            condition: Some(Condition::AttributeExists("count".into())),
        };
        let ops = vec![
            WriteOp::Delete { key: self.record_key(), condition: Some(Condition::AttributeExists("pk".into())) },
            down(customer_count_key(&self.offer_id, &self.customer_id)),
            down(total_key(&self.offer_id)),
        ];
        Ok(Step::Write { ops, then: true })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use omnicanal_store::{Item, s};

    fn release() -> Release {
        Release { offer_id: "o1".into(), customer_id: "alice".into(), order_id: "A-1".into() }
    }

    #[test]
    fn nothing_to_give_back_writes_nothing() {
        let step = release().decide(&Reads::default()).expect("decides");
        assert!(matches!(step, Step::Done(false)));
    }

    #[test]
    fn a_redemption_goes_with_one_use_of_each_counter() {
        let plan = release();
        let key = plan.record_key();
        let record = Item::from([("pk".to_owned(), s(key.pk.clone())), ("sk".to_owned(), s(key.sk.clone()))]);
        let Step::Write { ops, then } = plan.decide(&Reads::of([(key.clone(), record)])).expect("decides") else {
            panic!("a write");
        };
        assert!(then);
        assert_eq!(ops.len(), 3);
        assert!(matches!(&ops[0], WriteOp::Delete { key: k, condition: Some(_) } if *k == key));
        for (op, counter) in ops[1..].iter().zip([customer_count_key("o1", "alice"), total_key("o1")]) {
            assert!(
                matches!(op, WriteOp::Update { key, updates, .. } if *key == counter && *updates == vec![Update::add("count", -1)])
            );
        }
    }
}
