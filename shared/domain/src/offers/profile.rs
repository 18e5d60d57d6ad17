//! The customer's category affinity: an exponentially decaying score per category, kept in
//! one profile item per customer (`crate::customer::profile_key`).
//!
//! Each category stores `{score, at}`: the score as of time `at`. Its value at `t` is
//! `score × 2^(−(t − at) / half_life)`. Adding an event of weight `w` at `e` keeps the later
//! of the two times as the reference, so events can arrive in any order and give the same
//! profile. Scores that decay below [`FORGET_BELOW`] are dropped (and count as 0).

use std::collections::BTreeMap;

use omnicanal_store::{Condition, Item, Key, StoreError, WriteOp, s};
use serde::{Deserialize, Serialize};

use crate::customer::profile_key;
use crate::plan::{Plan, Reads, Step};

/// Scores under this are forgotten: about seven half-lives after a single view.
pub const FORGET_BELOW: f64 = 0.01;

/// The most categories a profile keeps: events may name any category, and the profile is one
/// item. Past it the weakest scores at `now` go first, which only the offers with affinity
/// to those weakest interests notice. Worst case: [`WORST_CASE_PROFILE_BYTES`].
pub const MAX_CATEGORIES: usize = 200;

/// The largest a profile item can be (bytes): 200 categories of 64 characters, each a score
/// and a time, and the keys of a 255-character customer id; measured by a test.
pub const WORST_CASE_PROFILE_BYTES: usize = 24 * 1024;

/// Weight of a behaviour event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventType {
    /// Looked at a product (weight 1).
    View,
    /// Put it in a cart (weight 3).
    AddToCart,
    /// Bought it (weight 5).
    Purchase,
}

impl EventType {
    /// The event's weight in the score.
    pub fn weight(self) -> f64 {
        match self {
            Self::View => 1.0,
            Self::AddToCart => 3.0,
            Self::Purchase => 5.0,
        }
    }
}

/// One category's score as of `at` (epoch seconds).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// The score at `at`.
    pub score: f64,
    /// Reference time.
    pub at: i64,
}

fn decay(score: f64, from: i64, to: i64, half_life_secs: f64) -> f64 {
    score * (-((to - from) as f64) / half_life_secs).exp2()
}

/// The profile: scores by category, and a version for conditional writes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct Profile {
    /// Scores by category.
    #[serde(default)]
    pub affinity: BTreeMap<String, Score>,
    /// Bumped by every write.
    #[serde(default)]
    pub version: u64,
}

impl Profile {
    /// Adds an event of `weight` in `category` at `at`.
    pub fn add(&mut self, category: &str, weight: f64, at: i64, half_life_secs: f64) {
        let entry = self.affinity.entry(category.to_owned()).or_insert(Score { score: 0.0, at });
        if at >= entry.at {
            entry.score = decay(entry.score, entry.at, at, half_life_secs) + weight;
            entry.at = at;
        } else {
            entry.score += decay(weight, at, entry.at, half_life_secs);
        }
    }

    /// Every category's score at `now`, forgotten ones left out.
    pub fn decayed(&self, now: i64, half_life_secs: f64) -> BTreeMap<String, f64> {
        self.affinity
            .iter()
            .map(|(c, s)| (c.clone(), decay(s.score, s.at, now, half_life_secs)))
            .filter(|(_, s)| *s >= FORGET_BELOW)
            .collect()
    }

    /// Drops categories that decayed below [`FORGET_BELOW`] by `now`, and past
    /// [`MAX_CATEGORIES`] the weakest at `now` (ties by name), keeping the item bounded.
    pub fn forget(&mut self, now: i64, half_life_secs: f64) {
        self.affinity.retain(|_, s| decay(s.score, s.at, now, half_life_secs) >= FORGET_BELOW);
        if self.affinity.len() > MAX_CATEGORIES {
            let mut weakest: Vec<(f64, String)> =
                self.affinity.iter().map(|(c, s)| (decay(s.score, s.at, now, half_life_secs), c.clone())).collect();
            weakest.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
            for (_, category) in weakest.into_iter().take(self.affinity.len() - MAX_CATEGORIES) {
                self.affinity.remove(&category);
            }
        }
    }
}

/// A profile from its item.
pub fn from_item(item: Item) -> Result<Profile, StoreError> {
    serde_dynamo::from_item(item).map_err(|e| StoreError::because("corrupt profile", e))
}

/// One behaviour event, its category known.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// The category it counts for.
    pub category: String,
    /// What happened.
    pub kind: EventType,
    /// When (epoch seconds).
    pub at: i64,
}

/// Records `events` in `customer_id`'s profile, as a plan: one read, one put conditioned on
/// the version read. Answers the profile after.
#[derive(Clone, Debug)]
pub struct RecordEvents {
    /// Whose profile.
    pub customer_id: String,
    /// The events.
    pub events: Vec<Event>,
    /// Now (epoch seconds): what decayed away by then is forgotten.
    pub now: i64,
    /// The half-life of affinity, in seconds.
    pub half_life_secs: f64,
}

impl Plan for RecordEvents {
    type Answer = Profile;
    type Refusal = StoreError;

    fn reads(&self) -> Vec<Key> {
        vec![profile_key(&self.customer_id)]
    }

    fn decide(&self, read: &Reads) -> Result<Step<Profile>, StoreError> {
        let stored = read.get(&profile_key(&self.customer_id)).cloned().map(from_item).transpose()?;
        let read_version = stored.as_ref().map(|p| p.version);
        let mut profile = stored.unwrap_or_default();
        for event in &self.events {
            profile.add(&event.category, event.kind.weight(), event.at, self.half_life_secs);
        }
        profile.forget(self.now, self.half_life_secs);
        profile.version = read_version.unwrap_or(0) + 1;
        let mut item: Item =
            serde_dynamo::to_item(&profile).map_err(|e| StoreError::Invalid(format!("profile mapping: {e}")))?;
        let key = profile_key(&self.customer_id);
        item.insert("pk".into(), s(key.pk));
        item.insert("sk".into(), s(key.sk));
        let condition = match read_version {
            Some(v) => Condition::version_equals(v),
            None => Condition::NotExists,
        };
        Ok(Step::Write { ops: vec![WriteOp::Put { item, condition: Some(condition) }], then: profile })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recording_events_puts_the_profile_conditioned_on_the_version_read() {
        let plan = RecordEvents {
            customer_id: "alice".into(),
            events: vec![Event { category: "shoes".into(), kind: EventType::Purchase, at: 100 }],
            now: 100,
            half_life_secs: HALF,
        };
        let Ok(Step::Write { ops, then }) = plan.decide(&Reads::default()) else { panic!("a first profile") };
        assert_eq!((then.version, then.decayed(100, HALF).get("shoes").copied()), (1, Some(5.0)));
        assert!(matches!(&ops[0], WriteOp::Put { condition: Some(Condition::NotExists), .. }));
        let WriteOp::Put { item, .. } = &ops[0] else { panic!("a put") };
        let again = plan.decide(&Reads::of([(profile_key("alice"), item.clone())]));
        let Ok(Step::Write { ops, then }) = again else { panic!("a second write") };
        assert_eq!(then.version, 2);
        assert!(matches!(&ops[0], WriteOp::Put { condition: Some(Condition::Compare { .. }), .. }));
    }

    const DAY: i64 = 86_400;
    const HALF: f64 = 14.0 * 86_400.0;

    #[test]
    fn scores_halve_every_half_life_and_order_does_not_matter() {
        let mut a = Profile::default();
        a.add("shoes", 1.0, 0, HALF);
        a.add("shoes", 3.0, 14 * DAY, HALF);
        let mut b = Profile::default();
        b.add("shoes", 3.0, 14 * DAY, HALF);
        b.add("shoes", 1.0, 0, HALF);
        let now = 28 * DAY;
        let (x, y) = (a.decayed(now, HALF)["shoes"], b.decayed(now, HALF)["shoes"]);
        assert!((x - 1.75).abs() < 1e-9, "(0.5 + 3) / 2 = {x}");
        assert!((x - y).abs() < 1e-9);
    }

    #[test]
    fn a_profile_keeps_its_strongest_categories_whatever_the_events_name() {
        let mut events: Vec<Event> = (0..5_000)
            .map(|i| Event { category: format!("c{i:063}"), kind: EventType::View, at: i64::from(i) })
            .collect();
        events.push(Event { category: "shoes".into(), kind: EventType::Purchase, at: 0 });
        let plan = RecordEvents { customer_id: "a".repeat(255), events, now: 5_000, half_life_secs: HALF };
        let Ok(Step::Write { ops, then }) = plan.decide(&Reads::default()) else { panic!("written") };
        assert_eq!(then.affinity.len(), MAX_CATEGORIES);
        assert!(then.affinity.contains_key("shoes"), "the strongest interest stays");
        assert!(!then.affinity.contains_key(&format!("c{:063}", 0)), "the oldest view went");
        let WriteOp::Put { item, .. } = &ops[0] else { panic!("a put") };
        let size = omnicanal_store::size::item_size(item);
        assert!(size <= WORST_CASE_PROFILE_BYTES && size > WORST_CASE_PROFILE_BYTES / 2, "{size} bytes");
    }

    #[test]
    fn old_interest_is_forgotten() {
        let mut p = Profile::default();
        p.add("hats", 1.0, 0, HALF);
        assert!(p.decayed(7 * 14 * DAY, HALF).is_empty(), "2^-7 < 0.01");
        p.forget(7 * 14 * DAY, HALF);
        assert!(p.affinity.is_empty());
    }
}
