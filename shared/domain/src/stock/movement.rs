//! Every change to a level's counters, written once. A level keeps `on_hand`, `held` and
//! `free = on_hand − held` (stored, so a condition can test it), and the held units per end
//! time (`exp#<until>` buckets, see [`Level`]); each [`Movement`] changes them together, so
//! that `free = on_hand − held` and `held = Σ buckets` hold after every write, and
//! [`Movement::apply`] does the same to a level in memory, so an answer shows what the write
//! leaves. A movement that sets `on_hand` also keeps the sparse reorder entry right in the
//! same write.
//!
//! Stock takes and adjustments set `on_hand` conditioned on the value they read (they never
//! lose a concurrent movement); holds and releases only `ADD` to the counters, so they never
//! conflict with them. A hold also folds expired buckets back into `free` ([`Fold`]), each
//! conditioned on the units read, and a release or a sale touches a bucket only while it is
//! not folded (`folded < until`), so no unit comes back twice.

use omnicanal_store::{CompareOp, Condition, GSI1PK, GSI1SK, Update, WriteOp, num, s};

use crate::stock::records::{Level, bucket_attr, level_key, reorder_pk};
use crate::stock::rules;

/// Expired buckets to fold back into `free`, as read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fold {
    /// The level's `folded` as read (0: never folded).
    pub floor: i64,
    /// `(until, units)` of each bucket to fold, oldest first.
    pub buckets: Vec<(i64, i64)>,
}

impl Fold {
    /// The oldest expired buckets of `level` at `now`, at most [`rules::MAX_FOLDS`].
    pub fn of(level: Option<&Level>, now: i64) -> Self {
        level.map_or_else(Self::default, |l| Self {
            floor: l.folded,
            buckets: l.expired_buckets(now).into_iter().take(rules::MAX_FOLDS).collect(),
        })
    }

    /// Units the fold gives back to `free`.
    pub fn units(&self) -> i64 {
        self.buckets.iter().map(|(_, units)| units).sum()
    }

    fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }

    /// Removes each bucket and moves the floor up to the last one.
    fn updates(&self) -> Vec<Update> {
        let mut updates: Vec<Update> =
            self.buckets.iter().map(|(until, _)| Update::remove(bucket_attr(*until))).collect();
        if let Some((last, _)) = self.buckets.last() {
            updates.push(Update::set("folded", num(*last)));
        }
        updates
    }

    /// Each bucket still holds what was read, and nobody folded since (the floor is as read).
    fn conditions(&self) -> Vec<Condition> {
        let mut conditions: Vec<Condition> =
            self.buckets.iter().map(|(until, units)| Condition::eq(bucket_attr(*until), num(*units))).collect();
        if !self.is_empty() {
            conditions.push(if self.floor == 0 {
                Condition::AttributeNotExists("folded".into())
            } else {
                Condition::eq("folded", num(self.floor))
            });
        }
        conditions
    }
}

/// The bucket ending at `until` is not folded yet: its units are still held.
fn not_folded(until: i64) -> Condition {
    Condition::Or(vec![
        Condition::AttributeNotExists("folded".into()),
        Condition::compare("folded", CompareOp::Lt, num(until)),
    ])
}

/// One change to a level's counters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Movement {
    /// A stock take or an adjustment: `on_hand` from what was read (`None`: no level yet) to
    /// `to`; `free` moves with it.
    Count {
        /// `on_hand` as read.
        from: Option<i64>,
        /// `on_hand` after.
        to: i64,
    },
    /// Units held until `until`: into its bucket, `held` up, `free` down, only while the units
    /// are free beyond the safety stock ([`rules::can_hold`]), counting the expired buckets
    /// this write folds.
    Hold {
        /// Units.
        qty: i64,
        /// The product's safety stock.
        safety_stock: i64,
        /// When the hold ends (its bucket).
        until: i64,
        /// Expired buckets folded in the same write.
        fold: Fold,
    },
    /// Only folding expired buckets (more were in a hold's way than one write folds).
    Fold(Fold),
    /// Held units given back (a release or an expiry): out of their bucket, `held` down,
    /// `free` up.
    Release {
        /// Units.
        qty: i64,
        /// The hold's end (its bucket).
        until: i64,
    },
    /// Held units sold: out of their bucket, `on_hand` (from what was read) and `held` down,
    /// `free` as it was.
    Sell {
        /// `on_hand` as read.
        from: i64,
        /// Units.
        qty: i64,
        /// The hold's end (its bucket).
        until: i64,
    },
}

impl Movement {
    /// `on_hand` after the movement, for the movements that set it.
    fn on_hand_after(&self) -> Option<i64> {
        match self {
            Self::Count { to, .. } => Some(*to),
            Self::Sell { from, qty, .. } => Some(from - qty),
            Self::Hold { .. } | Self::Fold(_) | Self::Release { .. } => None,
        }
    }

    /// How `(held, free)` move, and the bucket a hold, release or sale changes.
    fn deltas(&self) -> (i64, i64, Option<(i64, i64)>) {
        match self {
            Self::Count { from, to } => (0, to - from.unwrap_or(0), None),
            Self::Hold { qty, until, fold, .. } => (qty - fold.units(), fold.units() - qty, Some((*until, *qty))),
            Self::Fold(fold) => (-fold.units(), fold.units(), None),
            Self::Release { qty, until } => (-qty, *qty, Some((*until, -qty))),
            Self::Sell { qty, until, .. } => (-qty, 0, Some((*until, -qty))),
        }
    }

    /// The counter and bucket updates.
    fn updates(&self) -> Vec<Update> {
        let (held, free, bucket) = self.deltas();
        let mut updates = Vec::new();
        if let Some(on_hand) = self.on_hand_after() {
            updates.push(Update::set("on_hand", num(on_hand)));
        }
        if held != 0 {
            updates.push(Update::add("held", held));
        }
        if free != 0 || matches!(self, Self::Count { .. }) {
            updates.push(Update::add("free", free));
        }
        if let Some((until, units)) = bucket {
            updates.push(Update::add(bucket_attr(until), units));
        }
        if let Self::Hold { fold, .. } | Self::Fold(fold) = self {
            updates.extend(fold.updates());
        }
        updates
    }

    /// What the level must be for the movement to apply.
    fn conditions(&self) -> Vec<Condition> {
        match self {
            Self::Count { from: Some(from), .. } => vec![Condition::eq("on_hand", num(*from))],
            Self::Count { from: None, .. } => vec![Condition::AttributeNotExists("on_hand".into())],
            Self::Hold { qty, safety_stock, until, fold } => {
                let mut all = vec![
                    Condition::AttributeExists("on_hand".into()),
                    rules::can_hold(*qty, *safety_stock, fold.units()),
                ];
                // Folding pins the floor below `until`; without it, the floor is tested.
                if fold.is_empty() {
                    all.push(not_folded(*until));
                }
                all.extend(fold.conditions());
                all
            }
            Self::Fold(fold) => fold.conditions(),
            Self::Release { until, .. } => vec![not_folded(*until)],
            Self::Sell { from, until, .. } => vec![Condition::eq("on_hand", num(*from)), not_folded(*until)],
        }
    }

    /// The level after the movement, in memory (an absent level counts as empty).
    pub fn apply(&self, level: Option<&Level>) -> Level {
        let mut after = level.cloned().unwrap_or_default();
        let (held, free, bucket) = self.deltas();
        if let Some(on_hand) = self.on_hand_after() {
            after.on_hand = on_hand;
        }
        after.held += held;
        after.free += free;
        if let Some((until, units)) = bucket {
            *after.buckets.entry(until).or_insert(0) += units;
        }
        if let Self::Hold { fold, .. } | Self::Fold(fold) = self {
            for (until, _) in &fold.buckets {
                after.buckets.remove(until);
                after.folded = after.folded.max(*until);
            }
        }
        after
    }

    /// The write of this movement on the level of `sku` at `location_id`, with `extra`
    /// updates and an `extra` condition in the same action. A movement that sets `on_hand`
    /// also sets or removes the reorder entry, by `reorder_point`.
    pub fn write(
        &self,
        sku: &str,
        location_id: &str,
        reorder_point: i64,
        extra: Vec<Update>,
        extra_condition: Option<Condition>,
    ) -> WriteOp {
        let mut updates = self.updates();
        if let Some(on_hand) = self.on_hand_after() {
            updates.push(Update::set("sku", s(sku)));
            updates.push(Update::set("location_id", s(location_id)));
            if on_hand <= reorder_point {
                updates.push(Update::set(GSI1PK, s(reorder_pk(location_id))));
                updates.push(Update::set(GSI1SK, s(sku)));
            } else {
                updates.push(Update::remove(GSI1PK));
                updates.push(Update::remove(GSI1SK));
            }
        }
        updates.extend(extra);
        let mut conditions = self.conditions();
        conditions.extend(extra_condition);
        let condition = match conditions.len() {
            0 => None,
            1 => conditions.pop(),
            _ => Some(Condition::And(conditions)),
        };
        WriteOp::Update { key: level_key(sku, location_id), updates, condition }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use omnicanal_store::AttributeValue;

    fn level(on_hand: i64, buckets: &[(i64, i64)], folded: i64) -> Level {
        let held = buckets.iter().map(|(_, units)| units).sum::<i64>();
        Level {
            on_hand,
            held,
            free: on_hand - held,
            buckets: buckets.iter().copied().collect(),
            folded,
            ..Level::default()
        }
    }

    /// What the write's updates do to a level, read off the updates themselves.
    fn written(op: &WriteOp, before: &Level) -> Level {
        let WriteOp::Update { updates, .. } = op else { panic!("a level write is an update") };
        let mut after = before.clone();
        let number = |value: &AttributeValue| match value {
            AttributeValue::N(n) => n.parse::<i64>().expect("a number"),
            other => panic!("not a number: {other:?}"),
        };
        let bucket = |attr: &omnicanal_store::path::Path| {
            attr.top().strip_prefix("exp#").map(|until| until.parse::<i64>().expect("a time"))
        };
        for update in updates {
            match update {
                Update::Set { attr, value } if *attr == "on_hand".into() => after.on_hand = number(value),
                Update::Set { attr, value } if *attr == "folded".into() => after.folded = number(value),
                Update::Add { attr, delta } if *attr == "held".into() => after.held += delta,
                Update::Add { attr, delta } if *attr == "free".into() => after.free += delta,
                Update::Add { attr, delta } => {
                    *after.buckets.entry(bucket(attr).expect("a bucket")).or_insert(0) += delta;
                }
                Update::Remove { attr } => {
                    if let Some(until) = bucket(attr) {
                        after.buckets.remove(&until);
                    }
                }
                Update::Set { .. } | Update::SetIfNotExists { .. } => {}
            }
        }
        after
    }

    #[test]
    fn every_movement_keeps_the_counters_and_buckets_together_in_the_table_and_in_memory() {
        let before = level(10, &[(50, 1), (80, 2), (500, 3)], 20);
        let fold = Fold::of(Some(&before), 100);
        assert_eq!(fold.buckets, vec![(50, 1), (80, 2)]);
        let movements = [
            Movement::Count { from: Some(10), to: 4 },
            Movement::Count { from: Some(10), to: 25 },
            Movement::Hold { qty: 2, safety_stock: 1, until: 500, fold: Fold::default() },
            Movement::Hold { qty: 2, safety_stock: 1, until: 700, fold: fold.clone() },
            Movement::Fold(fold),
            Movement::Release { qty: 3, until: 500 },
            Movement::Sell { from: 10, qty: 3, until: 500 },
        ];
        for movement in movements {
            let in_table = written(&movement.write("SKU-1", "PAR-01", 5, Vec::new(), None), &before);
            let in_memory = movement.apply(Some(&before));
            assert_eq!(in_table, in_memory, "{movement:?}: the write and the model agree");
            assert_eq!(in_memory.free, in_memory.on_hand - in_memory.held, "{movement:?}: free = on_hand − held");
            assert_eq!(in_memory.held, in_memory.buckets.values().sum::<i64>(), "{movement:?}: held = Σ buckets");
        }
    }

    #[test]
    fn a_hold_counts_what_it_folds_and_pins_the_floor() {
        let before = level(10, &[(50, 4)], 0);
        let hold = Movement::Hold { qty: 5, safety_stock: 1, until: 700, fold: Fold::of(Some(&before), 100) };
        let WriteOp::Update { condition: Some(Condition::And(all)), .. } = hold.write("S", "L", 0, Vec::new(), None)
        else {
            panic!("conditions")
        };
        assert!(all.contains(&rules::can_hold(5, 1, 4)), "free (6) + the 4 folded ≥ 5 + 1");
        assert!(all.contains(&Condition::eq(bucket_attr(50), num(4))), "the bucket as read");
        assert!(all.contains(&Condition::AttributeNotExists("folded".into())), "nobody folded since");
    }

    #[test]
    fn a_first_count_creates_the_level_and_only_counts_set_the_reorder_entry() {
        let first = Movement::Count { from: None, to: 3 }.write("SKU-1", "PAR-01", 5, Vec::new(), None);
        let WriteOp::Update { updates, condition, .. } = &first else { panic!("an update") };
        assert_eq!(condition, &Some(Condition::AttributeNotExists("on_hand".into())));
        assert!(updates.contains(&Update::set(GSI1PK, s(reorder_pk("PAR-01")))), "3 ≤ the reorder point of 5");
        let hold = Movement::Hold { qty: 1, safety_stock: 0, until: 100, fold: Fold::default() };
        let WriteOp::Update { updates, .. } = &hold.write("SKU-1", "PAR-01", 5, Vec::new(), None) else {
            panic!("an update")
        };
        assert!(updates.iter().all(|u| u.attr() != &GSI1PK.into()), "a hold leaves on_hand and the entry alone");
    }
}
