//! The loyalty account as plain data, and every change to it, each returning the ledger
//! entries it makes: pure functions, time passed in.
//!
//! Points live in *lots* (one per earning, with its expiry), spent oldest first. A reversal
//! can take back more than is left: the shortfall is taken from the other lots (oldest
//! first) and, past them, kept as `debt`, which later earnings pay back first. So the balance
//! is always `Σ lots − debt`, and it always equals the sum of the ledger.

use std::collections::BTreeMap;

use crate::loyalty::rules::LoyaltyRules;
use crate::loyalty::rules::Tier;
use serde::{Deserialize, Serialize};

/// Seconds in a day.
pub const DAY: i64 = 86_400;

/// Points earned by one order, until they expire.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lot {
    /// The order that earned them.
    pub order_id: String,
    /// When (epoch seconds).
    pub earned_at: i64,
    /// When they lapse (epoch seconds).
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
    /// Unspent lots, oldest first.
    pub lots: Vec<Lot>,
    /// Purchases of the last year: (epoch seconds, minor units).
    pub spend: Vec<(i64, i64)>,
    /// Channels bought through per month (`YYYY-MM`), the current and last month.
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
    /// Spend in the 365 days before `at` (`at` itself excluded).
    pub fn spend_before(&self, at: i64) -> i64 {
        self.spend.iter().filter(|(t, _)| *t >= at - YEAR && *t < at).map(|(_, amount)| amount).sum()
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
                Entry { kind: EntryType::Expire, points: -lot.remaining, order_id: Some(lot.order_id) }
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
        if !channels.iter().any(|c| c == channel) {
            channels.push(channel.to_owned());
            channels.sort();
        }
        let bonus = channels.len() >= rules.multi_channel_min;
        let points = rules.points(amount_minor, spend_before, bonus);

        self.channels.insert(this_month.clone(), channels);
        self.spend.push((at, amount_minor.max(0)));
        self.prune(at);
        self.lifetime_points += points;
        self.balance += points;
        let paid_back = self.debt.min(points);
        self.debt -= paid_back;
        if points > paid_back {
            let lot = Lot {
                order_id: order_id.to_owned(),
                earned_at: at,
                expires_at: at + i64::from(rules.expiry_days) * DAY,
                remaining: points - paid_back,
            };
            // Keep lots oldest first even when orders arrive out of order.
            let index = self.lots.partition_point(|l| l.expires_at <= lot.expires_at);
            self.lots.insert(index, lot);
        }
        self.tier = self.tier_at(rules, at + 1);
        (
            Earning { points, tier: rules.tier_for(spend_before).tier, bonus },
            Entry { kind: EntryType::Earn, points, order_id: Some(order_id.to_owned()) },
        )
    }

    /// Spends `points`, oldest lots first; never below zero.
    pub fn redeem(&mut self, points: i64, order_id: &str) -> Result<Entry, LoyaltyError> {
        if points > self.balance {
            return Err(LoyaltyError::InsufficientPoints { balance: self.balance });
        }
        self.take_from_lots(points);
        self.balance -= points;
        Ok(Entry { kind: EntryType::Redeem, points: -points, order_id: Some(order_id.to_owned()) })
    }

    /// Takes back the `points` an order earned: from its own lot, then the oldest others,
    /// then as debt. The balance may go below zero.
    pub fn reverse(&mut self, points: i64, order_id: &str) -> Entry {
        let mut left = points;
        if let Some(index) = self.lots.iter().position(|l| l.order_id == order_id) {
            let own = self.lots[index].remaining.min(left);
            self.lots[index].remaining -= own;
            left -= own;
            if self.lots[index].remaining == 0 {
                self.lots.remove(index);
            }
        }
        left = self.take_from_lots(left);
        self.debt += left;
        self.balance -= points;
        self.lifetime_points -= points;
        Entry { kind: EntryType::Reverse, points: -points, order_id: Some(order_id.to_owned()) }
    }

    /// Takes up to `points` from the lots, oldest first; returns what could not be taken.
    fn take_from_lots(&mut self, points: i64) -> i64 {
        let mut left = points;
        for lot in &mut self.lots {
            let take = lot.remaining.min(left);
            lot.remaining -= take;
            left -= take;
            if left == 0 {
                break;
            }
        }
        self.lots.retain(|l| l.remaining > 0);
        left
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
    /// channel sets of months before the previous one.
    fn prune(&mut self, at: i64) {
        let latest = self.spend.iter().map(|(t, _)| *t).max().unwrap_or(at).max(at);
        self.spend.retain(|(t, _)| *t >= latest - YEAR - DAY);
        self.spend.sort_unstable();
        let oldest_kept = month(latest - 32 * DAY);
        self.channels.retain(|m, _| *m >= oldest_kept);
    }
}

#[cfg(test)]
#[path = "account_tests.rs"]
mod tests;
