//! The changes callers ask of an account, each an [`AccountChange`] plan made once per order
//! by its marker: earn points for an order, spend (redeem) points for one, take back what an
//! order earned. A repeat answers exactly what the first call answered, kept in the marker.

use omnicanal_store::{AttributeValue, Item, Key};
use serde_json::{Map, Value, json};

use crate::loyalty::account::{Account, Entry, LoyaltyError, Spent};
use crate::loyalty::change::{AccountChange, DecideOn, Decision};
use crate::loyalty::records::{Marker, answer_attr, earn_key, marker_answer, redeem_key, restore_key, reverse_key};
use crate::loyalty::rules::LoyaltyRules;

/// What a change answers: the API's answer, and whether this call made the change.
#[derive(Clone, Debug, PartialEq)]
pub struct Changed {
    /// `false` when a repeat was answered from the marker.
    pub first: bool,
    /// The answer (as the first call gave it).
    pub answer: Value,
}

/// The decision a change's plan carries.
pub trait Decide: Fn(&mut Account, &[Option<&Item>]) -> Result<Decision<Changed>, LoyaltyError> {}
impl<F: Fn(&mut Account, &[Option<&Item>]) -> Result<Decision<Changed>, LoyaltyError>> Decide for F {}

/// What one change does to the account: its ledger entry, the answer, and what the marker
/// keeps besides the answer.
type Applied = (Entry, Value, Map<String, Value>);

/// A change made once per `marker_key`: a repeat answers the marker's answer (refused when
/// `owner` is given and the marker names another customer); otherwise lapsed lots expire
/// first, `apply` changes the account, and the marker keeps its answer.
fn once<'a>(
    customer_id: &'a str,
    marker_key: Key,
    owner: Option<&'a str>,
    now: time::OffsetDateTime,
    apply: impl Fn(&mut Account, i64) -> Result<Applied, LoyaltyError> + 'a,
) -> AccountChange<impl Decide + 'a> {
    let at_now = now.unix_timestamp();
    AccountChange {
        customer_id: customer_id.to_owned(),
        markers: vec![marker_key.clone()],
        now,
        decide: move |account: &mut Account, found: &[Option<&Item>]| {
            if let Some(marker) = found.first().copied().flatten() {
                if let Some(owner) = owner
                    && !matches!(marker.get("customer_id"), Some(AttributeValue::S(c)) if c == owner)
                {
                    return Err(LoyaltyError::OrderOfAnotherCustomer);
                }
                let answer = marker_answer(marker).unwrap_or(Value::Null);
                return Ok(Decision::Answer(Changed { first: false, answer }));
            }
            let mut entries = account.expire(at_now);
            let (entry, answer, mut body) = apply(account, at_now)?;
            entries.push(entry);
            body.insert("answer".into(), answer_attr(&answer));
            let marker = Marker { key: marker_key.clone(), body: Value::Object(body), replaces: None };
            Ok(Decision::Write { entries, markers: vec![marker], answer: Changed { first: true, answer } })
        },
    }
}

/// What an order to earn points says.
#[derive(Clone, Copy, Debug)]
pub struct Purchase<'a> {
    /// The buyer.
    pub customer_id: &'a str,
    /// The order.
    pub order_id: &'a str,
    /// What it cost, in minor units.
    pub amount_minor: i64,
    /// The channel it was bought through.
    pub channel: &'a str,
    /// When it was bought (epoch seconds).
    pub at: i64,
}

/// Earns points for `purchase` under `rules`: `{points, balance, tier}`. The marker is the
/// order's, so an order earns once whoever asks; an order that earned for another customer is
/// refused.
pub fn earn<'a>(
    rules: &'a LoyaltyRules,
    purchase: Purchase<'a>,
    now: time::OffsetDateTime,
) -> AccountChange<impl Decide + 'a> {
    let key = earn_key(purchase.order_id);
    once(purchase.customer_id, key, Some(purchase.customer_id), now, move |account, at_now| {
        let (earning, entry) =
            account.earn(rules, purchase.order_id, purchase.amount_minor, purchase.channel, purchase.at);
        let answer =
            json!({"points": earning.points, "balance": account.balance, "tier": account.tier_at(rules, at_now)});
        let mut kept = Map::new();
        kept.insert("customer_id".into(), json!(purchase.customer_id));
        kept.insert("points".into(), json!(earning.points));
        // The lot the points went into, which a reversal takes from first.
        kept.insert("lot".into(), json!(Account::lot_of(rules, purchase.at)));
        Ok((entry, answer, kept))
    })
}

/// Spends `points` of `customer_id`'s balance for `order_id`, oldest lots first, never below
/// zero: `{points, balance, order_id}`.
pub fn spend<'a>(
    customer_id: &'a str,
    points: i64,
    order_id: &'a str,
    now: time::OffsetDateTime,
) -> AccountChange<impl Decide + 'a> {
    once(customer_id, redeem_key(customer_id, order_id), None, now, move |account, _| {
        let (entry, spent) = account.redeem(points, order_id)?;
        let mut kept = Map::new();
        // Which lots the points came from: a restore puts them back there.
        kept.insert("spent".into(), json!(spent));
        Ok((entry, json!({"points": points, "balance": account.balance, "order_id": order_id}), kept))
    })
}

/// Takes back what `order_id` earned (see [`earned`]) and returns have not taken back yet,
/// once, even into a negative balance: `{points, balance, tier}` with `points` negative (0
/// when returns took it all back already). A repeat answers the first answer.
pub fn reverse<'a>(
    rules: &'a LoyaltyRules,
    earning: &'a Earned,
    order_id: &'a str,
    now: time::OffsetDateTime,
) -> AccountChange<impl Decide + 'a> {
    reversal(earning, order_id, now, move |account, marker, at_now| {
        if let Some(answer) = marker.and_then(marker_answer) {
            return Ok(Decision::Answer(Changed { first: false, answer }));
        }
        let tally = Reversals::of(marker);
        let points = (earning.points - tally.reversed).max(0);
        let mut entries = account.expire(at_now);
        if points > 0 {
            entries.push(account.reverse(rules, points, order_id, earning.lot));
        }
        let answer = json!({"points": -points, "balance": account.balance, "tier": account.tier_at(rules, at_now)});
        let marker = tally.next(order_id, tally.reversed + points, Some(&answer));
        Ok(Decision::Write { entries, markers: vec![marker], answer: Changed { first: true, answer } })
    })
}

/// A change to `earning`'s account that reads the order's reversal marker: `decide` sees the
/// account, the marker (if any) and now (epoch seconds).
fn reversal<'a, T>(
    earning: &'a Earned,
    order_id: &'a str,
    now: time::OffsetDateTime,
    decide: impl Fn(&mut Account, Option<&Item>, i64) -> Result<Decision<T>, LoyaltyError> + 'a,
) -> AccountChange<impl DecideOn<T, LoyaltyError> + 'a> {
    let at_now = now.unix_timestamp();
    AccountChange {
        customer_id: earning.customer_id.clone(),
        markers: vec![reverse_key(order_id)],
        now,
        decide: move |account: &mut Account, found: &[Option<&Item>]| {
            decide(account, found.first().copied().flatten(), at_now)
        },
    }
}

/// How much of an order's earning reversals took back so far, as the order's reversal marker
/// keeps it. Returns take back part by part and `/loyalty/reverse` (or a cancel) what is left,
/// so the order system calling both never takes a point back twice.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Reversals {
    /// Points taken back so far.
    reversed: i64,
    /// The marker's version; `None` when there is no marker.
    version: Option<u64>,
}

impl Reversals {
    /// The tally a marker (as read) keeps.
    fn of(marker: Option<&Item>) -> Self {
        match marker {
            Some(item) => Self {
                reversed: crate::loyalty::records::number(item, "reversed"),
                version: Some(u64::try_from(crate::loyalty::records::number(item, "version")).unwrap_or(0)),
            },
            None => Self::default(),
        }
    }

    /// The marker after reversing up to `reversed` in all: put over the one read (the
    /// account's version condition orders the changes; the marker's own guards the read).
    /// With `answer` the earning is reversed for good and a repeat answers that.
    fn next(self, order_id: &str, reversed: i64, answer: Option<&Value>) -> Marker {
        let version = self.version.map_or(1, |v| v + 1);
        let mut body = Map::new();
        body.insert("reversed".into(), json!(reversed));
        body.insert("version".into(), json!(version));
        if let Some(answer) = answer {
            body.insert("answer".into(), answer_attr(answer));
        }
        Marker { key: reverse_key(order_id), body: Value::Object(body), replaces: self.version }
    }
}

/// Gives back what `customer_id` spent for `order_id` (its redemption marker says from which
/// lots), once: the order was cancelled or expired. `{points, balance}`; `points` is 0 when
/// the order spent nothing. A repeat answers the first answer.
pub fn restore<'a>(
    rules: &'a LoyaltyRules,
    customer_id: &'a str,
    order_id: &'a str,
    now: time::OffsetDateTime,
) -> AccountChange<impl Decide + 'a> {
    let at_now = now.unix_timestamp();
    let marker_key = restore_key(customer_id, order_id);
    AccountChange {
        customer_id: customer_id.to_owned(),
        markers: vec![marker_key.clone(), redeem_key(customer_id, order_id)],
        now,
        decide: move |account: &mut Account, found: &[Option<&Item>]| {
            if let Some(marker) = found.first().copied().flatten() {
                let answer = marker_answer(marker).unwrap_or(Value::Null);
                return Ok(Decision::Answer(Changed { first: false, answer }));
            }
            let spent: Vec<Spent> = match found.get(1).copied().flatten() {
                Some(redemption) => spent_of(redemption)?,
                None => Vec::new(),
            };
            let mut entries = account.expire(at_now);
            entries.extend(account.restore(rules, &spent, order_id, at_now));
            let points: i64 = spent.iter().map(|s| s.points).sum();
            let answer = json!({"points": points, "balance": account.balance});
            let mut body = Map::new();
            body.insert("answer".into(), answer_attr(&answer));
            let marker = Marker { key: marker_key.clone(), body: Value::Object(body), replaces: None };
            Ok(Decision::Write { entries, markers: vec![marker], answer: Changed { first: true, answer } })
        },
    }
}

/// Gives back `points` more of what `customer_id` spent for `order_id` (a return of part of
/// the order), after the `already` given back before: the lots walked in the order the
/// redemption marker lists them, skipping what earlier returns restored. No marker of its own:
/// the order's transaction, conditioned on the order's version, makes it happen once.
/// Answers the points given back.
pub fn restore_some<'a>(
    rules: &'a LoyaltyRules,
    customer_id: &'a str,
    order_id: &'a str,
    already: i64,
    points: i64,
    now: time::OffsetDateTime,
) -> AccountChange<impl DecideOn<i64, LoyaltyError> + 'a> {
    let at_now = now.unix_timestamp();
    AccountChange {
        customer_id: customer_id.to_owned(),
        markers: vec![redeem_key(customer_id, order_id)],
        now,
        decide: move |account: &mut Account, found: &[Option<&Item>]| {
            let spent: Vec<Spent> = match found.first().copied().flatten() {
                Some(redemption) => spent_of(redemption)?,
                None => Vec::new(),
            };
            let part = slice(&spent, already, points);
            let given: i64 = part.iter().map(|s| s.points).sum();
            if given == 0 {
                return Ok(Decision::Answer(0));
            }
            let mut entries = account.expire(at_now);
            entries.extend(account.restore(rules, &part, order_id, at_now));
            Ok(Decision::Write { entries, markers: Vec::new(), answer: given })
        },
    }
}

/// `points` of `spent` after skipping its first `skip`, lot by lot.
fn slice(spent: &[Spent], skip: i64, points: i64) -> Vec<Spent> {
    let (mut skip, mut wanted) = (skip.max(0), points.max(0));
    let mut part = Vec::new();
    for lot in spent {
        let skipped = skip.min(lot.points);
        skip -= skipped;
        let take = (lot.points - skipped).min(wanted);
        if take > 0 {
            part.push(Spent { expires_at: lot.expires_at, points: take });
            wanted -= take;
        }
    }
    part
}

/// Takes back `points` of what an order earned (`earning`, as its marker says), for a return
/// of part of it, even into a negative balance; never more than what reversals have left
/// (a `/loyalty/reverse` before the return took it all). Answers the points taken back.
pub fn reverse_some<'a>(
    rules: &'a LoyaltyRules,
    earning: &'a Earned,
    order_id: &'a str,
    points: i64,
    now: time::OffsetDateTime,
) -> AccountChange<impl DecideOn<i64, LoyaltyError> + 'a> {
    reversal(earning, order_id, now, move |account, marker, at_now| {
        let taken = points.min(reversible(earning, marker));
        if taken <= 0 {
            return Ok(Decision::Answer(0));
        }
        let tally = Reversals::of(marker);
        let mut entries = account.expire(at_now);
        entries.push(account.reverse(rules, taken, order_id, earning.lot));
        let marker = tally.next(order_id, tally.reversed + taken, None);
        Ok(Decision::Write { entries, markers: vec![marker], answer: taken })
    })
}

/// What reversals have left to take back of `earning` (an order's earning), as the order's
/// reversal marker says: what a return's answer can say it reversed.
pub fn reversible(earning: &Earned, reversal_marker: Option<&Item>) -> i64 {
    if reversal_marker.and_then(marker_answer).is_some() {
        return 0;
    }
    (earning.points - Reversals::of(reversal_marker).reversed).max(0)
}

/// What a redemption marker says was spent from which lot.
fn spent_of(redemption: &Item) -> Result<Vec<Spent>, LoyaltyError> {
    match redemption.get("spent") {
        Some(value) => serde_dynamo::from_attribute_value(value.clone())
            .map_err(|e| omnicanal_store::StoreError::because("corrupt redemption marker", e).into()),
        // Written before redemptions recorded their lots, when no order could spend points
        // (only orders restore): nothing to give back.
        None => Ok(Vec::new()),
    }
}

/// What an order earned, as its marker keeps it: what a reversal takes back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Earned {
    /// Who earned.
    pub customer_id: String,
    /// How many points.
    pub points: i64,
    /// The lot they went into ([`Account::lot_of`]); `None` for markers written before lots
    /// were shared, whose lot still carries the order's id.
    pub lot: Option<i64>,
}

/// What an order's earning marker says was earned.
pub fn earned(marker: &Item) -> Result<Earned, LoyaltyError> {
    let Some(AttributeValue::S(customer)) = marker.get("customer_id") else {
        return Err(omnicanal_store::StoreError::Invalid("earning marker without customer".into()).into());
    };
    let lot = marker.contains_key("lot").then(|| crate::loyalty::records::number(marker, "lot"));
    Ok(Earned { customer_id: customer.clone(), points: crate::loyalty::records::number(marker, "points"), lot })
}

#[cfg(test)]
#[path = "operations_tests.rs"]
mod tests;
