//! Every change to a level's counters, written once. A level keeps `on_hand`, `held` and
//! `free = on_hand − held` (stored, so a condition can test it); each [`Movement`] changes
//! them together, so that identity holds after every write, and [`Movement::apply`] does the
//! same to a level in memory, so an answer shows what the write leaves. A movement that sets
//! `on_hand` also keeps the sparse reorder entry right in the same write.
//!
//! Stock takes and adjustments set `on_hand` conditioned on the value they read (they never
//! lose a concurrent movement); holds and releases only `ADD` to `held` and `free`, so they
//! never conflict with them.

use omnicanal_store::{Condition, GSI1PK, GSI1SK, Update, WriteOp, num, s};

use crate::stock::records::{Level, level_key, reorder_pk};
use crate::stock::rules;

/// One change to a level's counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Movement {
    /// A stock take or an adjustment: `on_hand` from what was read (`None`: no level yet) to
    /// `to`; `free` moves with it.
    Count {
        /// `on_hand` as read.
        from: Option<i64>,
        /// `on_hand` after.
        to: i64,
    },
    /// Units held for a reservation: `held` up, `free` down, only while the units are free
    /// beyond the safety stock ([`rules::can_hold`]).
    Hold {
        /// Units.
        qty: i64,
        /// The product's safety stock.
        safety_stock: i64,
    },
    /// Held units given back (a release or an expiry): `held` down, `free` up.
    Release {
        /// Units.
        qty: i64,
    },
    /// Held units sold: `on_hand` (from what was read) and `held` down, `free` as it was.
    Sell {
        /// `on_hand` as read.
        from: i64,
        /// Units.
        qty: i64,
    },
}

impl Movement {
    /// `on_hand` after the movement, for the movements that set it.
    fn on_hand_after(self) -> Option<i64> {
        match self {
            Self::Count { to, .. } => Some(to),
            Self::Sell { from, qty } => Some(from - qty),
            Self::Hold { .. } | Self::Release { .. } => None,
        }
    }

    /// The counter updates.
    fn counter_updates(self) -> Vec<Update> {
        match self {
            Self::Count { from, to } => {
                vec![Update::set("on_hand", num(to)), Update::add("free", to - from.unwrap_or(0))]
            }
            Self::Hold { qty, .. } => vec![Update::add("held", qty), Update::add("free", -qty)],
            Self::Release { qty } => vec![Update::add("held", -qty), Update::add("free", qty)],
            Self::Sell { from, qty } => vec![Update::set("on_hand", num(from - qty)), Update::add("held", -qty)],
        }
    }

    /// What the level must be for the movement to apply.
    fn condition(self) -> Option<Condition> {
        match self {
            Self::Count { from: Some(from), .. } | Self::Sell { from, .. } => Some(Condition::eq("on_hand", num(from))),
            Self::Count { from: None, .. } => Some(Condition::AttributeNotExists("on_hand".into())),
            Self::Hold { qty, safety_stock } => Some(Condition::And(vec![
                Condition::AttributeExists("on_hand".into()),
                rules::can_hold(qty, safety_stock),
            ])),
            Self::Release { .. } => None,
        }
    }

    /// The level after the movement, in memory (an absent level counts as empty).
    pub fn apply(self, level: Option<&Level>) -> Level {
        let mut after = level.cloned().unwrap_or_default();
        match self {
            Self::Count { to, .. } => {
                after.free += to - after.on_hand;
                after.on_hand = to;
            }
            Self::Hold { qty, .. } => {
                after.held += qty;
                after.free -= qty;
            }
            Self::Release { qty } => {
                after.held -= qty;
                after.free += qty;
            }
            Self::Sell { qty, .. } => {
                after.on_hand -= qty;
                after.held -= qty;
            }
        }
        after
    }

    /// The write of this movement on the level of `sku` at `location_id`, with `extra`
    /// updates (a hold's own attribute) and an `extra` condition, both in the same action.
    /// A movement that sets `on_hand` also sets or removes the reorder entry, by
    /// `reorder_point`.
    pub fn write(
        self,
        sku: &str,
        location_id: &str,
        reorder_point: i64,
        extra: Vec<Update>,
        extra_condition: Option<Condition>,
    ) -> WriteOp {
        let mut updates = self.counter_updates();
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
        let condition = match (self.condition(), extra_condition) {
            (Some(own), Some(extra)) => Some(Condition::And(vec![own, extra])),
            (own, extra) => own.or(extra),
        };
        WriteOp::Update { key: level_key(sku, location_id), updates, condition }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use omnicanal_store::AttributeValue;

    fn level(on_hand: i64, held: i64) -> Level {
        Level { on_hand, held, free: on_hand - held, ..Level::default() }
    }

    /// What the write's counter updates do to a level, read off the updates themselves.
    fn written(op: &WriteOp, before: &Level) -> Level {
        let WriteOp::Update { updates, .. } = op else { panic!("a level write is an update") };
        let mut after = before.clone();
        for update in updates {
            let number = |value: &AttributeValue| match value {
                AttributeValue::N(n) => n.parse::<i64>().expect("a number"),
                other => panic!("not a number: {other:?}"),
            };
            match update {
                Update::Set { attr, value } if *attr == "on_hand".into() => after.on_hand = number(value),
                Update::Add { attr, delta } if *attr == "held".into() => after.held += delta,
                Update::Add { attr, delta } if *attr == "free".into() => after.free += delta,
                _ => {}
            }
        }
        after
    }

    #[test]
    fn every_movement_keeps_free_equal_to_on_hand_less_held_in_the_table_and_in_memory() {
        let before = level(10, 3);
        let movements = [
            Movement::Count { from: Some(10), to: 4 },
            Movement::Count { from: Some(10), to: 25 },
            Movement::Hold { qty: 2, safety_stock: 1 },
            Movement::Release { qty: 3 },
            Movement::Sell { from: 10, qty: 3 },
        ];
        for movement in movements {
            let in_table = written(&movement.write("SKU-1", "PAR-01", 5, Vec::new(), None), &before);
            let in_memory = movement.apply(Some(&before));
            assert_eq!(in_table, in_memory, "{movement:?}: the write and the model agree");
            assert_eq!(in_memory.free, in_memory.on_hand - in_memory.held, "{movement:?} keeps the identity");
        }
    }

    #[test]
    fn a_first_count_creates_the_level_and_only_counts_set_the_reorder_entry() {
        let first = Movement::Count { from: None, to: 3 }.write("SKU-1", "PAR-01", 5, Vec::new(), None);
        let WriteOp::Update { updates, condition, .. } = &first else { panic!("an update") };
        assert_eq!(condition, &Some(Condition::AttributeNotExists("on_hand".into())));
        assert!(updates.contains(&Update::set(GSI1PK, s(reorder_pk("PAR-01")))), "3 ≤ the reorder point of 5");
        let hold = Movement::Hold { qty: 1, safety_stock: 0 }.write("SKU-1", "PAR-01", 5, Vec::new(), None);
        let WriteOp::Update { updates, .. } = &hold else { panic!("an update") };
        assert!(updates.iter().all(|u| u.attr() != &GSI1PK.into()), "a hold leaves on_hand and the entry alone");
    }
}
