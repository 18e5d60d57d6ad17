use super::*;

use crate::loyalty::rules::Tier;
use crate::offers::definition::Offer;
use crate::offers::records::to_item;
use crate::values::{Currency, Money};

const NOW: i64 = 1_795_341_600; // 2026-11-22T10:00:00Z

fn offer(per_customer: Option<u32>, total: Option<u32>) -> Offer {
    Offer { per_customer_limit: per_customer, total_limit: total, ..crate::offers::rules::tests::offer("FALL10") }
}

fn shopper() -> Shopper {
    Shopper { tier: Tier::Bronze, channel: "web".into(), affinity: Default::default() }
}

fn plan(now: i64) -> Redeem {
    Redeem {
        offer_id: "FALL10".into(),
        customer_id: "alice".into(),
        order_id: "o-1".into(),
        now,
        redeemed_at: "2026-11-22T10:00:00Z".into(),
        shopper: shopper(),
        lines: vec![],
    }
}

fn counter(n: i64) -> Item {
    Item::from([("count".to_owned(), num(n))])
}

fn reads(offer: &Offer, counters: [Option<i64>; 2]) -> Reads {
    let mut read = Reads::of([(offer_key("FALL10"), to_item(offer).expect("an item"))]);
    if let Some(n) = counters[0] {
        read.insert(customer_count_key("FALL10", "alice"), counter(n));
    }
    if let Some(n) = counters[1] {
        read.insert(total_key("FALL10"), counter(n));
    }
    read
}

#[test]
fn it_reads_the_offer_the_record_and_both_counters_in_one_batch() {
    let keys = plan(NOW).reads();
    assert_eq!(keys.len(), 4);
    assert!(keys.contains(&redemption_key("FALL10", "alice", "o-1")));
}

#[test]
fn a_first_redemption_writes_the_record_and_both_counters_each_conditioned() {
    let step = plan(NOW).decide(&reads(&offer(Some(1), Some(100)), [None, Some(99)])).expect("allowed");
    let Step::Write { ops, then } = step else { panic!("a first redemption writes") };
    assert!(then.first);
    assert_eq!(ops.len(), 3);
    assert!(matches!(&ops[0], WriteOp::Put { condition: Some(Condition::NotExists), .. }));
    for op in &ops[1..] {
        assert!(matches!(op, WriteOp::Update { condition: Some(Condition::Or(_)), .. }), "{op:?}");
    }
}

#[test]
fn without_limits_the_counters_carry_no_condition() {
    let Ok(Step::Write { ops, .. }) = plan(NOW).decide(&reads(&offer(None, None), [None, None])) else {
        panic!("allowed")
    };
    assert!(ops[1..].iter().all(|op| matches!(op, WriteOp::Update { condition: None, .. })));
}

#[test]
fn a_reached_limit_is_refused_without_writing() {
    let per_customer = plan(NOW).decide(&reads(&offer(Some(1), None), [Some(1), None]));
    assert!(matches!(per_customer, Err(RedeemError::LimitReached { which: "per-customer" })));
    let total = plan(NOW).decide(&reads(&offer(None, Some(5)), [Some(0), Some(5)]));
    assert!(matches!(total, Err(RedeemError::LimitReached { which: "total" })));
}

#[test]
fn outside_the_window_or_without_an_offer_it_is_refused() {
    let late = plan(NOW + 60 * 86_400).decide(&reads(&offer(None, None), [None, None]));
    assert!(matches!(late, Err(RedeemError::NotActive)));
    assert!(matches!(plan(NOW).decide(&Reads::default()), Err(RedeemError::NoSuchOffer)));
}

#[test]
fn a_repeat_answers_the_stored_redemption() {
    let Ok(Step::Write { ops, then }) = plan(NOW).decide(&reads(&offer(Some(1), None), [None, None])) else {
        panic!("allowed")
    };
    let WriteOp::Put { item, .. } = &ops[0] else { panic!("the record first") };
    // The counter already reached the limit: the repeat is still answered, not refused.
    let mut read = reads(&offer(Some(1), None), [Some(1), None]);
    read.insert(redemption_key("FALL10", "alice", "o-1"), item.clone());
    let Ok(Step::Done(again)) = plan(NOW + 5).decide(&read) else { panic!("a repeat writes nothing") };
    assert_eq!((again.first, again.redemption), (false, then.redemption));
}

#[test]
fn an_offer_not_for_this_shopper_channel_or_cart_is_refused() {
    let mut gold_app_only = offer(None, None);
    gold_app_only.tiers = vec![Tier::Gold];
    let read = reads(&gold_app_only, [None, None]);
    assert!(matches!(plan(NOW).decide(&read), Err(RedeemError::NotEligible)), "a bronze customer");
    let mut app_only = offer(None, None);
    app_only.channels = vec!["app".into()];
    assert!(matches!(plan(NOW).decide(&reads(&app_only, [None, None])), Err(RedeemError::NotEligible)), "on web");
    let mut big_minimum = offer(None, None);
    big_minimum.min_subtotal = Some(Money { amount: 1_000_000, currency: Currency::EUR });
    assert!(
        matches!(plan(NOW).decide(&reads(&big_minimum, [None, None])), Err(RedeemError::NotEligible)),
        "an empty cart"
    );
}
