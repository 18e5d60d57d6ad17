//! The stock rules as pure functions: availability, and the location a reservation uses.

use std::collections::BTreeMap;

use omnicanal_store::{CompareOp, Condition, num};

use crate::stock::records::{Level, Location};

/// Available units of a level for sale now: `on_hand − live holds − safety stock`, never
/// below 0. Expired holds no longer count, even before they are released.
pub fn available(level: Option<&Level>, safety_stock: i64, now: i64) -> i64 {
    level.map_or(0, |l| (l.free + l.expired_held(now) - safety_stock).max(0))
}

/// The table's guard for holding `qty` units: `free ≥ qty + safety stock`. The same rule as
/// [`available`] on what the table holds now: expired holds still count in `free` until they
/// are released, so a hold may be refused that availability promised (the reservation then
/// releases them and looks again), never the other way round: no unit is oversold.
pub fn can_hold(qty: i64, safety_stock: i64) -> Condition {
    Condition::compare("free", CompareOp::Ge, num(qty + safety_stock))
}

/// Whether a location sells to `channel`.
pub fn sells_to(location: &Location, channel: &str) -> bool {
    location.channels.iter().any(|c| c == channel)
}

/// Sums quantities per SKU (two lines of one SKU reserve their total).
pub fn sum_lines<'a>(lines: impl IntoIterator<Item = (&'a str, i64)>) -> BTreeMap<String, i64> {
    let mut summed = BTreeMap::new();
    for (sku, qty) in lines {
        *summed.entry(sku.to_owned()).or_insert(0) += qty;
    }
    summed
}

/// The location that can serve every wanted line, choosing the one with the most units
/// available across those SKUs, then the smallest id: the same inputs always choose the
/// same location. `offer[location][sku]` is what each candidate has available.
pub fn choose_location(
    offer: &BTreeMap<String, BTreeMap<String, i64>>,
    wanted: &BTreeMap<String, i64>,
) -> Option<String> {
    offer
        .iter()
        .filter(|(_, have)| wanted.iter().all(|(sku, qty)| have.get(sku).copied().unwrap_or(0) >= *qty))
        .map(|(id, have)| (wanted.keys().map(|sku| have.get(sku).copied().unwrap_or(0)).sum::<i64>(), id))
        // Candidates come in id order; a later one replaces the best only with strictly more
        // units, so among equals the smallest id stays.
        .fold(None, |best: Option<(i64, &String)>, (total, id)| match best {
            Some((best_total, _)) if best_total >= total => best,
            _ => Some((total, id)),
        })
        .map(|(_, id)| id.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stock::records::{Hold, LocationKind};

    fn level(on_hand: i64, held: i64, holds: &[(&str, i64, i64)]) -> Level {
        Level {
            on_hand,
            held,
            free: on_hand - held,
            holds: holds.iter().map(|(id, qty, until)| ((*id).to_owned(), Hold { qty: *qty, until: *until })).collect(),
            ..Level::default()
        }
    }

    #[test]
    fn availability_keeps_safety_stock_back_and_ignores_expired_holds() {
        let l = level(10, 4, &[("live", 3, 200), ("old", 1, 50)]);
        assert_eq!(available(Some(&l), 2, 100), 10 - 3 - 2, "the expired hold counts again");
        assert_eq!(available(Some(&l), 2, 300), 8, "both expired");
        assert_eq!(available(Some(&l), 20, 100), 0, "never below 0");
        assert_eq!(available(None, 0, 100), 0);
    }

    #[test]
    fn lines_of_one_sku_are_summed() {
        let summed = sum_lines([("A", 2), ("B", 1), ("A", 3)]);
        assert_eq!(summed.get("A"), Some(&5));
        assert_eq!(summed.len(), 2);
    }

    #[test]
    fn the_chosen_location_serves_every_line_most_available_first_then_by_id() {
        let offer: BTreeMap<String, BTreeMap<String, i64>> = [
            ("paris", vec![("A", 5), ("B", 1)]),
            ("lyon", vec![("A", 9), ("B", 0)]),
            ("berlin", vec![("A", 3), ("B", 3)]),
            ("amsterdam", vec![("A", 3), ("B", 3)]),
        ]
        .into_iter()
        .map(|(id, have)| (id.to_owned(), have.into_iter().map(|(s, q)| (s.to_owned(), q)).collect()))
        .collect();
        let wanted = sum_lines([("A", 2), ("B", 1)]);
        // lyon lacks B; paris has 6, berlin and amsterdam 6 each: smallest id wins the tie.
        assert_eq!(choose_location(&offer, &wanted).as_deref(), Some("amsterdam"));
        let more_a = sum_lines([("A", 4)]);
        assert_eq!(choose_location(&offer, &more_a).as_deref(), Some("lyon"));
        assert_eq!(choose_location(&offer, &sum_lines([("A", 10)])), None);
    }

    #[test]
    fn channels_decide_who_sells() {
        let store = Location {
            location_id: "paris".into(),
            kind: LocationKind::Store,
            name: "Paris".into(),
            channels: vec!["store:paris".into(), "web".into()],
            updated_at: String::new(),
        };
        assert!(sells_to(&store, "web"));
        assert!(!sells_to(&store, "app"));
    }
}
