//! The loyalty account as plain data, and every change to it, each returning the ledger
//! entries it makes: pure functions, time passed in.
//!
//! Points live in *lots*, spent oldest first. A reversal can take back more than is left: the
//! shortfall is taken from the other lots (oldest first) and, past them, kept as `debt`, which
//! later earnings pay back first. So the balance is always `Σ lots − debt`, and it always
//! equals the sum of the ledger.
//!
//! The account is one item, and DynamoDB refuses items over 400 KB, so nothing in it may grow
//! with the number of earnings: earnings whose points lapse in the same expiry step share one
//! lot ([`lot_step`]: a day under the default 365-day expiry), spend is kept per UTC day, and
//! a month keeps at most [`MAX_CHANNELS_PER_MONTH`] channels. Each is bounded by the
//! programme's rules instead: see [`WORST_CASE_ITEM_BYTES`].

use std::collections::BTreeMap;

use crate::loyalty::rules::LoyaltyRules;
use crate::loyalty::rules::Tier;
use serde::{Deserialize, Serialize};

/// Seconds in a day.
pub const DAY: i64 = 86_400;

/// The most distinct channels a month keeps: enough for any bonus rule (the rules' own
/// `multi_channel_min` is capped at it), and a bound on the item however many stores a
/// customer visits.
pub const MAX_CHANNELS_PER_MONTH: usize = 16;

/// The largest an account item can be (bytes, as DynamoDB counts them) under any valid rules
/// and any traffic: at most 368 lots with a 128-character order id, 368 spend days, two
/// months of 16 channels, a 255-character customer id in the keys. [`crate::worst_case`] builds
/// that account and measures it.
pub const WORST_CASE_ITEM_BYTES: usize = 82 * 1024;

/// Points that lapse in the same expiry step, however many earnings brought them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lot {
    /// The order that earned them, while one order did; `None` once several share the lot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// The latest earning in the lot (epoch seconds).
    pub earned_at: i64,
    /// When they lapse (epoch seconds): the latest expiry of its earnings, so no point lapses
    /// before its time.
    pub expires_at: i64,
    /// Points not spent yet.
    pub remaining: i64,
}

/// The kind of a ledger entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryType {
    /// Points for a purchase.
    Earn,
    /// Points spent.
    Redeem,
    /// Points of a refunded order taken back.
    Reverse,
    /// Points that lapsed.
    Expire,
    /// Points an order spent, given back (the order was cancelled, expired or returned),
    /// into the lots they came from.
    Restore,
}

/// Points a redemption took from one lot: what a restore gives back to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Spent {
    /// The lot's expiry (the lot is found again by its step).
    pub expires_at: i64,
    /// Points taken from it.
    pub points: i64,
}

/// One ledger entry (its id and time are added when it is written).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Kind.
    pub kind: EntryType,
    /// Signed points.
    pub points: i64,
    /// The order, if any.
    pub order_id: Option<String>,
}

/// A customer's account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Account {
    /// Current balance (`Σ lots − debt`).
    pub balance: i64,
    /// Points reversed beyond what was left.
    pub debt: i64,
    /// Points ever earned, net of reversals.
    pub lifetime_points: i64,
    /// Tier for the next order.
    pub tier: Tier,
    /// Unspent lots, oldest first, one per expiry step.
    pub lots: Vec<Lot>,
    /// Purchases of the last year per UTC day: (the day's first second, minor units).
    pub spend: Vec<(i64, i64)>,
    /// Channels bought through per month (`YYYY-MM`), the current and last month, at most
    /// [`MAX_CHANNELS_PER_MONTH`] each.
    pub channels: BTreeMap<String, Vec<String>>,
    /// Bumped by every write.
    pub version: u64,
}

/// `YYYY-MM` of an epoch second (UTC).
pub fn month(at: i64) -> String {
    let date = time::OffsetDateTime::from_unix_timestamp(at).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!("{:04}-{:02}", date.year(), u8::from(date.month()))
}

/// The length of the tier window: 365 days.
pub const YEAR: i64 = 365 * DAY;

/// The first second of `at`'s UTC day.
pub fn day_of(at: i64) -> i64 {
    at.div_euclid(DAY) * DAY
}

/// The width of a lot: earnings lapsing within the same step share a lot. One day for
/// expiries up to 365 days, wider for longer ones, so an account never holds more than 367
/// lots: expiries fall within `expiry_days` of now (earlier ones lapse at the next change).
pub fn lot_step(rules: &LoyaltyRules) -> i64 {
    i64::from(rules.expiry_days.div_ceil(365).max(1)) * DAY
}

/// Why a change is refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LoyaltyError {
    /// A redemption larger than the balance.
    #[error("the balance is {balance} points")]
    InsufficientPoints {
        /// The balance.
        balance: i64,
    },
    /// The order already earned, for another customer.
    #[error("this order earned points for another customer")]
    OrderOfAnotherCustomer,
    /// The order never earned, so there is nothing to take back.
    #[error("no points were earned for this order")]
    NothingEarned,
    /// A stored item could not be read or written.
    #[error(transparent)]
    Record(#[from] omnicanal_store::StoreError),
}

/// What an earning is worth, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Earning {
    /// Points.
    pub points: i64,
    /// The tier the order earned at.
    pub tier: Tier,
    /// Whether the cross-channel bonus applied.
    pub bonus: bool,
}

impl Account {
    /// Spend in the 365 UTC days up to `at`'s day, that day included: the 12-month spend
    /// before an order, counted in whole days so that a year of purchases is 365 numbers.
    pub fn spend_before(&self, at: i64) -> i64 {
        let today = day_of(at);
        self.spend
            .iter()
            .filter(|(t, _)| (today - YEAR + DAY..=today).contains(&day_of(*t)))
            .map(|(_, amount)| amount)
            .sum()
    }

    /// The tier at `at` under `rules`.
    pub fn tier_at(&self, rules: &LoyaltyRules, at: i64) -> Tier {
        rules.tier_for(self.spend_before(at)).tier
    }

    /// Distinct channels bought through in `at`'s month.
    pub fn channels_in(&self, at: i64) -> Vec<String> {
        self.channels.get(&month(at)).cloned().unwrap_or_default()
    }

    /// Lapses every lot whose time has come: one `expire` entry per lot.
    pub fn expire(&mut self, now: i64) -> Vec<Entry> {
        let (lapsed, kept): (Vec<Lot>, Vec<Lot>) =
            std::mem::take(&mut self.lots).into_iter().partition(|l| l.expires_at <= now);
        self.lots = kept;
        lapsed
            .into_iter()
            .filter(|lot| lot.remaining > 0)
            .map(|lot| {
                self.balance -= lot.remaining;
                Entry { kind: EntryType::Expire, points: -lot.remaining, order_id: lot.order_id }
            })
            .collect()
    }

    /// Points for an order of `amount_minor` through `channel` at `at` (the order's time).
    pub fn earn(
        &mut self,
        rules: &LoyaltyRules,
        order_id: &str,
        amount_minor: i64,
        channel: &str,
        at: i64,
    ) -> (Earning, Entry) {
        let spend_before = self.spend_before(at);
        let this_month = month(at);
        let mut channels = self.channels.get(&this_month).cloned().unwrap_or_default();
        // A full month already has every bonus a rule can ask for (`multi_channel_min` is at
        // most the cap), so a channel past it changes nothing but the item's size.
        if !channels.iter().any(|c| c == channel) && channels.len() < MAX_CHANNELS_PER_MONTH {
            channels.push(channel.to_owned());
            channels.sort();
        }
        let bonus = channels.len() >= rules.multi_channel_min;
        let points = rules.points(amount_minor, spend_before, bonus);

        self.channels.insert(this_month.clone(), channels);
        self.add_spend(at, amount_minor.max(0));
        self.prune(at);
        self.lifetime_points += points;
        self.balance += points;
        let paid_back = self.debt.min(points);
        self.debt -= paid_back;
        if points > paid_back {
            let expires_at = at + i64::from(rules.expiry_days) * DAY;
            self.add_to_lot(lot_step(rules), Some(order_id), at, expires_at, points - paid_back);
        }
        self.tier = self.tier_at(rules, at + 1);
        (
            Earning { points, tier: rules.tier_for(spend_before).tier, bonus },
            Entry { kind: EntryType::Earn, points, order_id: Some(order_id.to_owned()) },
        )
    }

    /// Spends `points`, oldest lots first; never below zero. Answers the entry and what it
    /// took from which lot, for a later [`Account::restore`].
    pub fn redeem(&mut self, points: i64, order_id: &str) -> Result<(Entry, Vec<Spent>), LoyaltyError> {
        if points > self.balance {
            return Err(LoyaltyError::InsufficientPoints { balance: self.balance });
        }
        let (_, spent) = self.take_from_lots(points);
        self.balance -= points;
        Ok((Entry { kind: EntryType::Redeem, points: -points, order_id: Some(order_id.to_owned()) }, spent))
    }

    /// Gives back what a redemption for `order_id` took (`spent`, as [`Account::redeem`]
    /// answered it) into the lots it came from, each keeping its expiry; a debt is paid back
    /// first, oldest points first, as an earning pays it. Points whose lot lapsed meanwhile
    /// come back and lapse at once (a `restore` and an `expire` entry), so the ledger shows
    /// both. Returns the entries.
    pub fn restore(&mut self, rules: &LoyaltyRules, spent: &[Spent], order_id: &str, now: i64) -> Vec<Entry> {
        let total: i64 = spent.iter().map(|s| s.points).sum();
        if total == 0 {
            return Vec::new();
        }
        self.balance += total;
        let mut parts: Vec<Spent> = spent.to_vec();
        parts.sort_by_key(|s| s.expires_at);
        for part in &mut parts {
            let paid = self.debt.min(part.points);
            self.debt -= paid;
            part.points -= paid;
        }
        for part in parts.iter().filter(|p| p.points > 0) {
            self.add_to_lot(lot_step(rules), None, now, part.expires_at, part.points);
        }
        let mut entries = vec![Entry { kind: EntryType::Restore, points: total, order_id: Some(order_id.to_owned()) }];
        entries.extend(self.expire(now));
        entries
    }

    /// Adds `points` lapsing at `expires_at` to the lot of that step, or a new one in its
    /// place (lots stay oldest first even when orders arrive out of order). `order_id` is the
    /// order that earned them (`None`: restored points, of no one order).
    fn add_to_lot(&mut self, step: i64, order_id: Option<&str>, earned_at: i64, expires_at: i64, points: i64) {
        let bucket = expires_at.div_euclid(step);
        let index = self.lots.partition_point(|l| l.expires_at.div_euclid(step) < bucket);
        match self.lots.get_mut(index) {
            Some(lot) if lot.expires_at.div_euclid(step) == bucket => {
                if order_id.is_none() || lot.order_id.as_deref() != order_id {
                    lot.order_id = None;
                }
                lot.earned_at = lot.earned_at.max(earned_at);
                lot.expires_at = lot.expires_at.max(expires_at);
                lot.remaining += points;
            }
            _ => {
                let lot = Lot { order_id: order_id.map(str::to_owned), earned_at, expires_at, remaining: points };
                self.lots.insert(index, lot);
            }
        }
    }

    /// Adds a purchase to its day's spend.
    fn add_spend(&mut self, at: i64, amount_minor: i64) {
        let day = day_of(at);
        match self.spend.iter_mut().find(|(t, _)| *t == day) {
            Some((_, amount)) => *amount += amount_minor,
            None => self.spend.push((day, amount_minor)),
        }
    }

    /// The expiry step of the lot an earning at `at` went into: what a reversal of that order
    /// takes from first (the earning's marker keeps it).
    pub fn lot_of(rules: &LoyaltyRules, at: i64) -> i64 {
        (at + i64::from(rules.expiry_days) * DAY).div_euclid(lot_step(rules))
    }

    /// Takes back the `points` an order earned: from the lot its points went into (`lot`, as
    /// [`Account::lot_of`] gave it when it earned; by its order id for earnings recorded
    /// before lots were shared), then the oldest others, then as debt. The balance may go
    /// below zero.
    pub fn reverse(&mut self, rules: &LoyaltyRules, points: i64, order_id: &str, lot: Option<i64>) -> Entry {
        let mut left = points;
        let step = lot_step(rules);
        let own = |l: &Lot| match lot {
            Some(bucket) => l.expires_at.div_euclid(step) == bucket,
            None => l.order_id.as_deref() == Some(order_id),
        };
        if let Some(index) = self.lots.iter().position(own) {
            let own = self.lots[index].remaining.min(left);
            self.lots[index].remaining -= own;
            left -= own;
            if self.lots[index].remaining == 0 {
                self.lots.remove(index);
            }
        }
        left = self.take_from_lots(left).0;
        self.debt += left;
        self.balance -= points;
        self.lifetime_points -= points;
        Entry { kind: EntryType::Reverse, points: -points, order_id: Some(order_id.to_owned()) }
    }

    /// Takes up to `points` from the lots, oldest first; returns what could not be taken and
    /// what was taken from which lot.
    fn take_from_lots(&mut self, points: i64) -> (i64, Vec<Spent>) {
        let mut left = points;
        let mut spent = Vec::new();
        for lot in &mut self.lots {
            if left == 0 {
                break;
            }
            let take = lot.remaining.min(left);
            if take > 0 {
                lot.remaining -= take;
                left -= take;
                spent.push(Spent { expires_at: lot.expires_at, points: take });
            }
        }
        self.lots.retain(|l| l.remaining > 0);
        (left, spent)
    }

    /// Points lapsing within `days` of `now`, by expiry time.
    pub fn expiring(&self, now: i64, days: i64) -> Vec<(i64, i64)> {
        let mut by_time: BTreeMap<i64, i64> = BTreeMap::new();
        for lot in self.lots.iter().filter(|l| l.expires_at > now && l.expires_at <= now + days * DAY) {
            *by_time.entry(lot.expires_at).or_insert(0) += lot.remaining;
        }
        by_time.into_iter().collect()
    }

    /// The earliest lot expiry, for the sweep's index.
    pub fn next_expiry(&self) -> Option<i64> {
        self.lots.iter().map(|l| l.expires_at).min()
    }

    /// Forgets what no rule can use any more: purchases over a year older than the latest,
    /// channel sets of months before the previous one. Spend recorded per second (before it
    /// was kept per day) is folded into its day here.
    fn prune(&mut self, at: i64) {
        let latest = self.spend.iter().map(|(t, _)| *t).max().unwrap_or(at).max(at);
        let mut days: BTreeMap<i64, i64> = BTreeMap::new();
        for (t, amount) in self.spend.drain(..).filter(|(t, _)| *t >= day_of(latest) - YEAR - DAY) {
            *days.entry(day_of(t)).or_insert(0) += amount;
        }
        self.spend = days.into_iter().collect();
        let oldest_kept = month(latest - 32 * DAY);
        self.channels.retain(|m, _| *m >= oldest_kept);
    }
}

#[cfg(test)]
#[path = "account_tests.rs"]
mod tests;
