//! The stock rules as pure functions: availability, and the location a reservation uses.

use std::collections::BTreeMap;

use omnicanal_store::{CompareOp, Condition, num};

use crate::stock::records::{Level, Location};
use crate::stock::refusal::ShortLine;

/// Available units of a level for sale now: `on_hand − live holds − safety stock`, never
/// below 0. Expired holds no longer count, even before they are released.
pub fn available(level: Option<&Level>, safety_stock: i64, now: i64) -> i64 {
    level.map_or(0, |l| (l.free + l.expired_held(now) - safety_stock).max(0))
}

/// The table's guard for holding `qty` units: `free + folding ≥ qty + safety stock`, where
/// `folding` are the expired units the same write folds back into `free` (each bucket
/// conditioned on the units read). The same rule as [`available`] on what the table holds
/// then: no unit is oversold, however the writers race.
pub fn can_hold(qty: i64, safety_stock: i64, folding: i64) -> Condition {
    Condition::compare("free", CompareOp::Ge, num(qty + safety_stock - folding))
}

/// The most expired buckets one level write folds back into `free`: each is a `REMOVE` and a
/// condition in the update, and DynamoDB caps an expression at 4 KB.
pub const MAX_FOLDS: usize = 50;

/// When a hold of `ttl` seconds made at `now` ends: `now + ttl` rounded up to a step of at
/// most a sixteenth of the ttl (a power of two seconds, so the steps of shorter ttls divide
/// those of longer ones). A hold lasts at least what was asked and at most 1/16 more, and
/// the holds of the next 7 days end on fewer than 600 distinct seconds, whatever their
/// number: one bucket each on a level.
pub fn hold_until(now: i64, ttl: i64) -> i64 {
    let step = 1_i64 << (ttl.max(16) / 16).ilog2();
    let end = now + ttl;
    end + (step - end.rem_euclid(step)) % step
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
    let serving = offer.iter().filter(|(_, have)| wanted.iter().all(|(sku, qty)| units(have, sku) >= *qty));
    highest(serving.map(|(id, have)| (wanted.keys().map(|sku| units(have, sku)).sum(), id)))
}

/// The candidate that could serve the most of the wanted units (each line counted up to its
/// quantity), then the smallest id: where a refusal shows what is short, and where a quote
/// shows availability, when no candidate can serve every line.
pub fn closest_location(
    offer: &BTreeMap<String, BTreeMap<String, i64>>,
    wanted: &BTreeMap<String, i64>,
) -> Option<String> {
    highest(offer.iter().map(|(id, have)| (wanted.iter().map(|(sku, qty)| units(have, sku).min(*qty)).sum(), id)))
}

fn units(have: &BTreeMap<String, i64>, sku: &str) -> i64 {
    have.get(sku).copied().unwrap_or(0)
}

/// The id with the highest score. Candidates come in id order and a later one replaces the
/// best only with a strictly higher score, so among equals the smallest id stays.
fn highest<'a>(scored: impl Iterator<Item = (i64, &'a String)>) -> Option<String> {
    scored
        .fold(None, |best: Option<(i64, &String)>, (score, id)| match best {
            Some((top, _)) if top >= score => best,
            _ => Some((score, id)),
        })
        .map(|(_, id)| id.clone())
}

/// The lines short at one location, [`closest_location`]: a reservation holds at one
/// location, so units spread over several are still short. Never empty when no candidate
/// can serve every line (each SKU may be in stock somewhere, yet not all at one place).
pub fn short_lines(offer: &BTreeMap<String, BTreeMap<String, i64>>, wanted: &BTreeMap<String, i64>) -> Vec<ShortLine> {
    let closest = closest_location(offer, wanted).and_then(|id| offer.get(&id));
    wanted
        .iter()
        .map(|(sku, qty)| ShortLine {
            sku: sku.clone(),
            qty: *qty,
            available: closest.and_then(|have| have.get(sku)).copied().unwrap_or(0),
        })
        .filter(|line| line.available < line.qty)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stock::records::LocationKind;

    fn level(on_hand: i64, held: i64, buckets: &[(i64, i64)]) -> Level {
        Level { on_hand, held, free: on_hand - held, buckets: buckets.iter().copied().collect(), ..Level::default() }
    }

    #[test]
    fn availability_keeps_safety_stock_back_and_ignores_expired_holds() {
        let l = level(10, 4, &[(200, 3), (50, 1)]);
        assert_eq!(available(Some(&l), 2, 100), 10 - 3 - 2, "the expired hold counts again");
        assert_eq!(available(Some(&l), 2, 300), 8, "both expired");
        assert_eq!(available(Some(&l), 20, 100), 0, "never below 0");
        assert_eq!(available(None, 0, 100), 0);
    }

    #[test]
    fn a_hold_ends_no_earlier_than_asked_and_at_most_a_sixteenth_later() {
        const NOW: i64 = 1_795_341_613;
        for ttl in (1..=7 * 86_400).step_by(37) {
            let until = hold_until(NOW, ttl);
            assert!(until >= NOW + ttl, "ttl {ttl}: ends at {until}");
            assert!(until - (NOW + ttl) <= (ttl / 16).max(0), "ttl {ttl}: {} s late", until - NOW - ttl);
        }
        assert_eq!(hold_until(NOW, 1), NOW + 1, "short holds are not rounded");
    }

    #[test]
    fn a_week_of_holds_of_every_length_ends_on_few_distinct_seconds() {
        // A hold every 7 s for a week, each of another length up to 7 days: the ends live at
        // the last moment are what one level's buckets can be.
        const START: i64 = 1_795_341_600;
        let last = START + 7 * 86_400;
        let mut live = std::collections::BTreeSet::new();
        for (i, now) in (START..last).step_by(7).enumerate() {
            let ttl = 1 + (i as i64 * 7_919) % (7 * 86_400);
            let until = hold_until(now, ttl);
            if until >= last {
                live.insert(until);
            }
        }
        assert!(live.len() < 600, "{} distinct live ends", live.len());
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
    fn stock_spread_over_locations_is_short_at_the_closest_one() {
        let offer = BTreeMap::from([
            ("lyon".to_owned(), sum_lines([("A", 5), ("B", 0)])),
            ("paris".to_owned(), sum_lines([("A", 0), ("B", 5)])),
        ]);
        let wanted = sum_lines([("A", 2), ("B", 1)]);
        assert_eq!(choose_location(&offer, &wanted), None, "no one location has both");
        assert_eq!(closest_location(&offer, &wanted).as_deref(), Some("lyon"), "2 of 3 units beat 1 of 3");
        let short = short_lines(&offer, &wanted);
        assert_eq!(
            short,
            [ShortLine { sku: "B".into(), qty: 1, available: 0 }],
            "each SKU in stock somewhere, yet short"
        );
        let tied = sum_lines([("A", 1), ("B", 1)]);
        assert_eq!(closest_location(&offer, &tied).as_deref(), Some("lyon"), "equals: the smallest id");
        assert_eq!(short_lines(&BTreeMap::new(), &tied).len(), 2, "no candidate: every line short");
        assert!(short_lines(&offer, &sum_lines([("A", 5)])).is_empty(), "served: nothing short");
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
