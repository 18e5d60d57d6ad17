use super::*;

use omnicanal_store::{Condition, WriteOp};

use crate::customer::loyalty_account_key;
use crate::loyalty::records::{earn_key, reverse_key};
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

/// `reads` with the puts of `ops` over it, as the next read would find them.
fn after(reads: &Reads, ops: &[WriteOp]) -> Reads {
    let mut next = reads.clone();
    for op in ops {
        if let WriteOp::Put { item, .. } = op {
            next.insert(item_key(item), item.clone());
        }
    }
    next
}

#[test]
fn returns_and_a_whole_reversal_never_take_back_a_point_twice() {
    let rules = LoyaltyRules::default();
    let Ok(Step::Write { ops, .. }) = earn(&rules, purchase("alice", "o-1"), now()).decide(&Reads::default()) else {
        panic!("earned")
    };
    let state = after(&Reads::default(), &ops);
    let earning = earned(state.get(&earn_key("o-1")).expect("the earning marker")).expect("an earning");
    assert_eq!(earning.points, 100);
    // A return takes back 30: the reversal marker is created, only if absent.
    let Ok(Step::Write { ops, then: 30 }) = reverse_some(&rules, &earning, "o-1", 30, now()).decide(&state) else {
        panic!("a return takes back its share")
    };
    let marker_put =
        ops.iter().find(|op| matches!(op, WriteOp::Put { item, .. } if item_key(item) == reverse_key("o-1")));
    assert!(matches!(marker_put, Some(WriteOp::Put { condition: Some(Condition::NotExists), .. })), "{marker_put:?}");
    let state = after(&state, &ops);
    // A second return asking for 80 gets only the 70 left, over the marker it read.
    let Ok(Step::Write { ops, then: 70 }) = reverse_some(&rules, &earning, "o-1", 80, now()).decide(&state) else {
        panic!("a return takes back what is left")
    };
    let marker_put =
        ops.iter().find(|op| matches!(op, WriteOp::Put { item, .. } if item_key(item) == reverse_key("o-1")));
    assert!(
        matches!(marker_put, Some(WriteOp::Put { condition: Some(Condition::Compare { .. }), .. })),
        "{marker_put:?}"
    );
    let state = after(&state, &ops);
    assert_eq!(reversible(&earning, state.get(&reverse_key("o-1"))), 0);
    // The order system's refund after both returns takes back nothing more.
    let Ok(Step::Write { ops, then }) = reverse(&rules, &earning, "o-1", now()).decide(&state) else {
        panic!("the whole reversal closes the tally")
    };
    assert_eq!(then.answer, json!({"points": 0, "balance": 0, "tier": "bronze"}));
    let state = after(&state, &ops);
    let Ok(Step::Done(again)) = reverse(&rules, &earning, "o-1", now()).decide(&state) else { panic!("a repeat") };
    assert_eq!((again.first, again.answer), (false, then.answer));
}

#[test]
fn after_a_whole_reversal_a_return_takes_back_nothing() {
    let rules = LoyaltyRules::default();
    let Ok(Step::Write { ops, .. }) = earn(&rules, purchase("alice", "o-1"), now()).decide(&Reads::default()) else {
        panic!("earned")
    };
    let state = after(&Reads::default(), &ops);
    let earning = earned(state.get(&earn_key("o-1")).expect("the earning marker")).expect("an earning");
    let Ok(Step::Write { ops, .. }) = reverse_some(&rules, &earning, "o-1", 25, now()).decide(&state) else {
        panic!("a return")
    };
    let state = after(&state, &ops);
    let Ok(Step::Write { ops, then }) = reverse(&rules, &earning, "o-1", now()).decide(&state) else {
        panic!("the rest")
    };
    assert_eq!(then.answer["points"], json!(-75), "only what the return left");
    let state = after(&state, &ops);
    assert_eq!(reversible(&earning, state.get(&reverse_key("o-1"))), 0);
    assert!(matches!(reverse_some(&rules, &earning, "o-1", 10, now()).decide(&state), Ok(Step::Done(0))));
}
