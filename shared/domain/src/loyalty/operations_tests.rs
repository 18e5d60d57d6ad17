use super::*;

use omnicanal_store::{Condition, WriteOp};

use crate::customer::loyalty_account_key;
use crate::loyalty::records::earn_key;
use crate::plan::{Plan, Reads, Step};

const NOW: i64 = 1_795_341_600; // 2026-11-22T10:00:00Z

fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(NOW).expect("a time")
}

fn purchase<'a>(customer_id: &'a str, order_id: &'a str) -> Purchase<'a> {
    Purchase { customer_id, order_id, amount_minor: 10_000, channel: "web", at: NOW }
}

/// The items a plan's writes leave, as the next read would find them.
fn written(ops: &[WriteOp]) -> Reads {
    Reads::of(ops.iter().filter_map(|op| match op {
        WriteOp::Put { item, .. } => Some((item_key(item), item.clone())),
        _ => None,
    }))
}

fn item_key(item: &Item) -> omnicanal_store::Key {
    let text = |name: &str| match item.get(name) {
        Some(AttributeValue::S(s)) => s.clone(),
        _ => String::new(),
    };
    omnicanal_store::Key::new(text("pk"), text("sk"))
}

#[test]
fn a_first_earning_creates_the_account_entries_and_marker_only_if_absent() {
    let rules = LoyaltyRules::default();
    let plan = earn(&rules, purchase("alice", "o-1"), now());
    assert_eq!(plan.reads(), vec![loyalty_account_key("alice"), earn_key("o-1")]);
    let Ok(Step::Write { ops, then }) = plan.decide(&Reads::default()) else { panic!("a first earning writes") };
    assert_eq!(then, Changed { first: true, answer: json!({"points": 100, "balance": 100, "tier": "bronze"}) });
    // The account, one entry, the marker: each put only if absent (there was no account).
    assert_eq!(ops.len(), 3);
    assert!(ops.iter().all(|op| matches!(op, WriteOp::Put { condition: Some(Condition::NotExists), .. })));
}

#[test]
fn a_repeat_answers_the_first_answer_and_another_customer_is_refused() {
    let rules = LoyaltyRules::default();
    let Ok(Step::Write { ops, then }) = earn(&rules, purchase("alice", "o-1"), now()).decide(&Reads::default()) else {
        panic!("writes")
    };
    let after = written(&ops);
    let Ok(Step::Done(again)) = earn(&rules, purchase("alice", "o-1"), now()).decide(&after) else {
        panic!("a repeat writes nothing")
    };
    assert_eq!((again.first, again.answer), (false, then.answer));
    let bob = earn(&rules, purchase("bob", "o-1"), now()).decide(&after);
    assert!(matches!(bob, Err(LoyaltyError::OrderOfAnotherCustomer)));
}

#[test]
fn spending_more_than_the_balance_is_refused_and_spending_it_is_conditioned_on_the_version() {
    let rules = LoyaltyRules::default();
    let Ok(Step::Write { ops, .. }) = earn(&rules, purchase("alice", "o-1"), now()).decide(&Reads::default()) else {
        panic!("writes")
    };
    let after = written(&ops);
    let too_much = spend("alice", 101, "o-2", now()).decide(&after);
    assert!(matches!(too_much, Err(LoyaltyError::InsufficientPoints { balance: 100 })));
    let Ok(Step::Write { ops, then }) = spend("alice", 40, "o-2", now()).decide(&after) else { panic!("allowed") };
    assert_eq!(then.answer, json!({"points": 40, "balance": 60, "order_id": "o-2"}));
    assert!(matches!(&ops[0], WriteOp::Put { condition: Some(Condition::Compare { .. }), .. }), "{:?}", ops[0]);
}

#[test]
fn a_reversal_may_go_below_zero() {
    let rules = LoyaltyRules::default();
    let earning = Earned { customer_id: "alice".into(), points: 30, lot: None };
    let Ok(Step::Write { then, .. }) = reverse(&rules, &earning, "o-1", now()).decide(&Reads::default()) else {
        panic!("writes")
    };
    assert_eq!(then.answer["balance"], json!(-30));
}

#[test]
fn two_accounts_changes_join_into_one_transaction() {
    let rules = LoyaltyRules::default();
    let joined = earn(&rules, purchase("alice", "o-1"), now()).join(earn(&rules, purchase("bob", "o-2"), now()));
    assert_eq!(joined.reads().len(), 4);
    let Ok(Step::Write { ops, then: (alice, bob) }) = joined.decide(&Reads::default()) else { panic!("writes") };
    assert_eq!(ops.len(), 6, "both accounts, entries and markers in one transaction");
    assert!(alice.first && bob.first);
}

#[test]
fn spent_points_are_restored_once_into_their_lots() {
    let rules = LoyaltyRules::default();
    let Ok(Step::Write { ops, .. }) = earn(&rules, purchase("alice", "o-1"), now()).decide(&Reads::default()) else {
        panic!("earned")
    };
    let Ok(Step::Write { ops, .. }) = spend("alice", 40, "order-2", now()).decide(&written(&ops)) else {
        panic!("spent")
    };
    let after_spend = written(&ops);
    let plan = restore(&rules, "alice", "order-2", now());
    let Ok(Step::Write { ops, then }) = plan.decide(&after_spend) else { panic!("restored") };
    assert_eq!(then.answer, json!({"points": 40, "balance": 100}));
    let mut after = after_spend.clone();
    for (key, item) in ops.iter().filter_map(|op| match op {
        WriteOp::Put { item, .. } => Some((item_key(item), item.clone())),
        _ => None,
    }) {
        after.insert(key, item);
    }
    let Ok(Step::Done(again)) = restore(&rules, "alice", "order-2", now()).decide(&after) else {
        panic!("a repeat writes nothing")
    };
    assert_eq!((again.first, again.answer), (false, json!({"points": 40, "balance": 100})));
    let Ok(Step::Write { then, .. }) = restore(&rules, "alice", "never-spent", now()).decide(&after) else {
        panic!("a marker all the same")
    };
    assert_eq!(then.answer, json!({"points": 0, "balance": 100}), "an order that spent nothing restores nothing");
}
