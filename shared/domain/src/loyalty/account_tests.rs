use crate::loyalty::rules::LoyaltyRules;
use crate::loyalty::rules::Tier;
use proptest::prelude::*;

use super::{
    Account, DAY, Entry, EntryType, LoyaltyError, MAX_CHANNELS_PER_MONTH, Spent, WORST_CASE_ITEM_BYTES, YEAR, month,
};

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
    assert_eq!(
        a.lots.iter().map(|l| (l.order_id.as_deref(), l.remaining)).collect::<Vec<_>>(),
        vec![(Some("new"), 50)]
    );
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
    let entry = a.reverse(&rules(), 100, "o1", Some(Account::lot_of(&rules(), T0)));
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
    Restore(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0i64..50_000, 0u8..3).prop_map(|(amount, channel)| Op::Earn(amount, channel)),
        (1i64..400).prop_map(Op::Redeem),
        (0usize..10).prop_map(Op::Reverse),
        (0i64..500).prop_map(Op::Expire),
        (0usize..10).prop_map(Op::Restore),
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
        let mut redeemed: Vec<(String, Vec<Spent>)> = Vec::new();
        let mut restored = std::collections::BTreeSet::new();
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
                    match a.redeem(points, &format!("r{i}")) {
                        Ok((entry, spent)) => {
                            prop_assert!(before - points >= 0, "redeem never goes below zero");
                            prop_assert_eq!(spent.iter().map(|s| s.points).sum::<i64>(), points);
                            redeemed.push((format!("r{i}"), spent));
                            ledger.push(entry);
                        }
                        Err(LoyaltyError::InsufficientPoints { balance }) => prop_assert!(points > balance),
                        Err(other) => prop_assert!(false, "redeem refused for another reason: {other}"),
                    }
                }
                Op::Reverse(k) => {
                    if let Some((id, points)) = earned.get(k).cloned() && reversed.insert(id.clone()) {
                        ledger.push(a.reverse(&rules, points, &id, None));
                    }
                }
                Op::Expire(days) => {
                    now += days * DAY;
                    ledger.extend(a.expire(now));
                }
                Op::Restore(k) => {
                    if let Some((id, spent)) = redeemed.get(k).cloned() && restored.insert(id.clone()) {
                        ledger.extend(a.restore(&rules, &spent, &id, now));
                    }
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

#[test]
fn earnings_lapsing_the_same_day_share_one_lot() {
    let mut a = Account::default();
    a.earn(&rules(), "morning", 10_000, "web", T0);
    a.earn(&rules(), "evening", 5_000, "web", T0 + 8 * 3600);
    assert_eq!(a.lots.len(), 1);
    assert_eq!((a.lots[0].order_id.as_deref(), a.lots[0].remaining), (None, 150), "two orders: no single order id");
    assert_eq!(a.lots[0].expires_at, T0 + 8 * 3600 + YEAR, "no point lapses before its 365 days");
    a.earn(&rules(), "next-day", 1_000, "web", T0 + DAY);
    assert_eq!(a.lots.len(), 2);
    // Reversing "evening" takes from its own (shared) lot first, not from the older one.
    a.reverse(&rules(), 50, "evening", Some(Account::lot_of(&rules(), T0 + 8 * 3600)));
    assert_eq!(a.lots.iter().map(|l| l.remaining).collect::<Vec<_>>(), vec![100, 10]);
    let lapsed = a.expire(T0 + 8 * 3600 + YEAR);
    assert_eq!(lapsed, vec![Entry { kind: EntryType::Expire, points: -100, order_id: None }]);
    assert_eq!(a.balance, 10);
}

#[test]
fn a_days_purchases_count_for_the_tier_of_its_later_orders() {
    let mut a = Account::default();
    a.earn(&rules(), "big", 50_000, "web", T0);
    let (later, _) = a.earn(&rules(), "later", 10_000, "web", T0 + 3600);
    assert_eq!(later.tier, Tier::Silver, "500.00 spent earlier that day");
    assert_eq!(a.spend, vec![(super::day_of(T0), 60_000)], "one number per day");
    assert_eq!(a.tier_at(&rules(), T0 + YEAR - DAY), Tier::Silver, "the 365th day still counts");
    assert_eq!(a.tier_at(&rules(), T0 + YEAR), Tier::Bronze);
}

#[test]
fn five_thousand_earnings_over_a_year_keep_the_account_bounded() {
    let rules = rules();
    let mut a = Account::default();
    let mut sum = 0;
    for i in 0..5_000i64 {
        // Orders a year apart and out of order, through many stores: every way an account grew.
        let at = T0 + (i * 7919 % 365) * DAY + i % 3600;
        a.expire(T0);
        let channel = format!("store:s{}", i % 40);
        let (earning, _) = a.earn(&rules, &format!("order-{i}"), 1_000 + i, &channel, at);
        sum += earning.points;
    }
    assert_eq!(a.balance, sum);
    assert!(a.lots.len() <= 367, "{} lots", a.lots.len());
    assert!(a.spend.len() <= 368, "{} days of spend", a.spend.len());
    assert!(a.channels.values().all(|c| c.len() <= MAX_CHANNELS_PER_MONTH));
    let size = item_size(&a);
    assert!(size <= WORST_CASE_ITEM_BYTES, "{size} bytes");
}

/// The stored item of `account` for the longest customer id, as DynamoDB counts its size.
fn item_size(account: &Account) -> usize {
    let customer = "c".repeat(255);
    let now = time::OffsetDateTime::from_unix_timestamp(T0).expect("a time");
    let (ops, _) = crate::loyalty::records::change(&customer, account, None, &[], Vec::new(), now).expect("maps");
    let omnicanal_store::WriteOp::Put { item, .. } = &ops[0] else { panic!("the account is put") };
    omnicanal_store::size::item_size(item)
}

#[test]
fn a_restore_puts_spent_points_back_into_their_lots_and_lapses_what_expired_meanwhile() {
    let mut a = Account::default();
    a.earn(&rules(), "old", 10_000, "web", T0);
    a.earn(&rules(), "new", 10_000, "web", T0 + 100 * DAY);
    let (_, spent) = a.redeem(150, "order-1").expect("fits");
    assert_eq!(
        spent,
        vec![Spent { expires_at: T0 + YEAR, points: 100 }, Spent { expires_at: T0 + 100 * DAY + YEAR, points: 50 }]
    );
    // Restored before the older lot lapses: both lots whole again, each with its expiry.
    let mut early = a.clone();
    let entries = early.restore(&rules(), &spent, "order-1", T0 + 10 * DAY);
    assert_eq!(entries, vec![Entry { kind: EntryType::Restore, points: 150, order_id: Some("order-1".into()) }]);
    assert_eq!(
        early.lots.iter().map(|l| (l.expires_at, l.remaining)).collect::<Vec<_>>(),
        vec![(T0 + YEAR, 100), (T0 + 100 * DAY + YEAR, 100)]
    );
    assert_eq!(early.balance, 200);
    // Restored after the older lot's expiry: its 100 points come back and lapse at once.
    let late = a.restore(&rules(), &spent, "order-1", T0 + YEAR + DAY);
    assert_eq!(
        late.iter().map(|e| (e.kind, e.points)).collect::<Vec<_>>(),
        vec![(EntryType::Restore, 150), (EntryType::Expire, -100)]
    );
    assert_eq!(a.balance, 100);
}

#[test]
fn a_restore_pays_a_debt_first() {
    let mut a = Account::default();
    a.earn(&rules(), "o1", 10_000, "web", T0);
    let (_, spent) = a.redeem(100, "spend").expect("fits");
    a.reverse(&rules(), 100, "o1", None);
    assert_eq!((a.balance, a.debt), (-100, 100));
    a.restore(&rules(), &spent, "spend", T0 + DAY);
    assert_eq!((a.balance, a.debt, a.lots.len()), (0, 0, 0), "the restored points paid the debt");
}
