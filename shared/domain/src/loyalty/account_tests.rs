use crate::loyalty::rules::LoyaltyRules;
use crate::loyalty::rules::Tier;
use proptest::prelude::*;

use super::{Account, DAY, Entry, EntryType, LoyaltyError, month};

const T0: i64 = 1_795_341_600; // 2026-11-22T10:00:00Z

fn rules() -> LoyaltyRules {
    LoyaltyRules::default()
}

#[test]
fn points_follow_rate_tier_and_cross_channel_bonus() {
    let mut a = Account::default();
    let (first, entry) = a.earn(&rules(), "o1", 12_345, "web", T0);
    assert_eq!((first.points, first.tier, first.bonus), (123, Tier::Bronze, false), "floor(123.45)");
    assert_eq!(entry, Entry { kind: EntryType::Earn, points: 123, order_id: Some("o1".into()) });
    // A second channel in the same month: +10%.
    let (second, _) = a.earn(&rules(), "o2", 10_000, "store:paris", T0 + DAY);
    assert_eq!((second.points, second.bonus), (110, true));
    // 12-month spend before the order reaches silver (500.00): ×1.25, and the bonus holds.
    a.earn(&rules(), "o3", 30_000, "web", T0 + 2 * DAY);
    let (silver, _) = a.earn(&rules(), "o4", 10_000, "app", T0 + 3 * DAY);
    assert_eq!((silver.tier, silver.points), (Tier::Silver, 137), "floor(100 × 1.25 × 1.1)");
    assert_eq!(a.balance, 123 + 110 + 330 + 137);
    assert_eq!(a.channels_in(T0 + 3 * DAY), vec!["app", "store:paris", "web"]);
    // A new month starts without the bonus; a year later the spend no longer counts.
    let next_month = T0 + 10 * DAY;
    assert_ne!(month(next_month), month(T0));
    let (plain, _) = a.earn(&rules(), "o5", 10_000, "web", next_month);
    assert!(!plain.bonus);
    assert_eq!(a.tier_at(&rules(), T0 + 400 * DAY), Tier::Bronze);
}

#[test]
fn oldest_points_are_spent_first_and_expire() {
    let mut a = Account::default();
    a.earn(&rules(), "old", 10_000, "web", T0);
    a.earn(&rules(), "new", 10_000, "web", T0 + 100 * DAY);
    a.redeem(150, "r1").expect("fits");
    assert_eq!(a.lots.iter().map(|l| (l.order_id.as_str(), l.remaining)).collect::<Vec<_>>(), vec![("new", 50)]);
    assert_eq!(a.redeem(51, "r2"), Err(LoyaltyError::InsufficientPoints { balance: 50 }));
    assert_eq!(a.expiring(T0 + 440 * DAY, 30), vec![(T0 + 465 * DAY, 50)]);
    let lapsed = a.expire(T0 + 465 * DAY);
    assert_eq!(lapsed, vec![Entry { kind: EntryType::Expire, points: -50, order_id: Some("new".into()) }]);
    assert_eq!(a.balance, 0);
}

#[test]
fn a_reversal_of_spent_points_goes_negative_and_later_earnings_pay_it_back() {
    let mut a = Account::default();
    a.earn(&rules(), "o1", 10_000, "web", T0);
    a.redeem(100, "r1").expect("fits");
    let entry = a.reverse(100, "o1");
    assert_eq!(entry.points, -100);
    assert_eq!((a.balance, a.debt), (-100, 100));
    a.earn(&rules(), "o2", 15_000, "web", T0 + DAY);
    assert_eq!((a.balance, a.debt), (50, 0));
    assert_eq!(a.lots.len(), 1);
    assert_eq!(a.lots[0].remaining, 50, "the new lot holds only what is left after the debt");
}

#[derive(Clone, Debug)]
enum Op {
    Earn(i64, u8),
    Redeem(i64),
    Reverse(usize),
    Expire(i64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0i64..50_000, 0u8..3).prop_map(|(amount, channel)| Op::Earn(amount, channel)),
        (1i64..400).prop_map(Op::Redeem),
        (0usize..10).prop_map(Op::Reverse),
        (0i64..500).prop_map(Op::Expire),
    ]
}

proptest! {
    /// Any sequence of earn, redeem, reverse and expire: the balance equals the sum of the
    /// ledger, lots minus debt, and no redemption takes it below zero.
    #[test]
    fn the_ledger_always_balances(ops in prop::collection::vec(op(), 1..60)) {
        let rules = rules();
        let mut a = Account::default();
        let mut ledger: Vec<Entry> = Vec::new();
        let mut earned: Vec<(String, i64)> = Vec::new();
        let mut reversed = std::collections::BTreeSet::new();
        let mut now = T0;
        for (i, op) in ops.into_iter().enumerate() {
            now += DAY;
            ledger.extend(a.expire(now));
            match op {
                Op::Earn(amount, channel) => {
                    let id = format!("o{i}");
                    let (earning, entry) = a.earn(&rules, &id, amount, ["web", "app", "store:x"][channel as usize], now);
                    earned.push((id, earning.points));
                    ledger.push(entry);
                }
                Op::Redeem(points) => {
                    let before = a.balance;
                    match a.redeem(points, "r") {
                        Ok(entry) => {
                            prop_assert!(before - points >= 0, "redeem never goes below zero");
                            ledger.push(entry);
                        }
                        Err(LoyaltyError::InsufficientPoints { balance }) => prop_assert!(points > balance),
                        Err(other) => prop_assert!(false, "redeem refused for another reason: {other}"),
                    }
                }
                Op::Reverse(k) => {
                    if let Some((id, points)) = earned.get(k).cloned() && reversed.insert(id.clone()) {
                        ledger.push(a.reverse(points, &id));
                    }
                }
                Op::Expire(days) => {
                    now += days * DAY;
                    ledger.extend(a.expire(now));
                }
            }
            let sum: i64 = ledger.iter().map(|e| e.points).sum();
            prop_assert_eq!(a.balance, sum);
            prop_assert_eq!(a.balance, a.lots.iter().map(|l| l.remaining).sum::<i64>() - a.debt);
            prop_assert!(a.debt == 0 || a.lots.is_empty(), "debt only when nothing is left to take");
        }
    }
}

#[test]
fn points_count_whole_units_of_the_programmes_currency() {
    use crate::loyalty::rules::LoyaltyRules;
    use crate::values::Currency;
    let euro = LoyaltyRules::default();
    assert_eq!(euro.points(10_000, 0, false), 100, "100.00 EUR");
    let yen = LoyaltyRules { currency: Currency::parse("JPY").expect("JPY"), ..LoyaltyRules::default() };
    assert_eq!(yen.points(10_000, 0, false), 10_000, "10,000 JPY are 10,000 whole units");
    let dinar = LoyaltyRules { currency: Currency::parse("KWD").expect("KWD"), ..LoyaltyRules::default() };
    assert_eq!(dinar.points(10_000, 0, false), 10, "10.000 KWD");
}
