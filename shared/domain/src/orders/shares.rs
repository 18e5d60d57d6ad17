//! What an order paid, spread over its lines, and what a return of some units refunds
//! (`/work/shared/api.md`, Orders → Returns).
//!
//! [`spread`] splits what the order paid over its lines, in SKU order:
//!
//! 1. the saving over the lines the offer applied to ([`LineCost::discounted`]), in
//!    proportion to their totals;
//! 2. the points spent (`points_redeemed`, in points), the money those points paid
//!    (`points_value`, in minor units) and the points earned (`points_earned`) each over all
//!    lines, in proportion to what each line cost after its saving share.
//!
//! Every split is [`largest_remainder`]: each part is floored, and the units the floors leave
//! over go one each to the largest remainders, ties to the line that comes first by SKU, so
//! the parts add up exactly. A line's money share is what it cost after the saving less its
//! share of `points_value`; the money shares add up to `total = subtotal − saving −
//! points_value` and none is negative.
//!
//! [`refund`] says what returning some units of a line gives back: `floor(share × q / Q)` of
//! each share for a return of `q` of the line's `Q` units, and the return that brings the
//! line's last unit back takes whatever of its shares is left, so once every unit is back the
//! refunds add up to `total`, the restored points to `points_redeemed` and the reversed points
//! to `points_earned`.

/// Splits `total` in proportion to `weights`: part `i` is `floor(total × weights[i] / Σ
/// weights)`, and the units those floors leave over (fewer than there are weights) go one each
/// to the parts with the largest remainders, ties to the earlier index. The parts add up
/// exactly to `total`. Callers pass lines sorted by SKU, so "earlier" is "first by SKU".
///
/// - A negative weight counts as 0.
/// - If every weight is 0 (or negative), `total` is split as if every weight were 1: equal
///   parts, the leftover units to the first indexes. Nothing is lost: the parts still add up
///   to `total`.
/// - A negative `total` is split as its magnitude and the parts negated (they add up to
///   `total`, each is `≤ 0`).
/// - No weights: no parts (the empty vector), whatever `total` is.
///
/// Products are taken in `i128`, so no `i64` inputs overflow, and no part is larger in
/// magnitude than `total`.
pub fn largest_remainder(total: i64, weights: &[i64]) -> Vec<i64> {
    if weights.is_empty() {
        return Vec::new();
    }
    let magnitude = i128::from(total).abs();
    let mut weights: Vec<i128> = weights.iter().map(|&w| i128::from(w.max(0))).collect();
    let mut sum: i128 = weights.iter().sum();
    if sum == 0 {
        weights.iter_mut().for_each(|w| *w = 1);
        sum = i128::from(len_i64(weights.len()));
    }
    let mut parts: Vec<i128> = weights.iter().map(|w| magnitude * w / sum).collect();
    let given: i128 = parts.iter().sum();
    let leftover = usize::try_from(magnitude - given).unwrap_or(0);
    if leftover > 0 {
        let mut order: Vec<usize> = (0..weights.len()).collect();
        // Largest remainder first; the sort is stable, so equal remainders keep index order.
        order.sort_by_key(|&i| std::cmp::Reverse(magnitude * weights[i] % sum));
        for &i in order.iter().take(leftover) {
            parts[i] += 1;
        }
    }
    let sign = if total < 0 { -1 } else { 1 };
    parts.into_iter().map(|p| narrow(sign * p)).collect()
}

/// One line of an order, as [`spread`] needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineCost {
    /// The line's SKU: lines are taken, and ties broken, in SKU order.
    pub sku: String,
    /// Units bought.
    pub qty: i64,
    /// `qty × unit_price`, in minor units.
    pub line_total: i64,
    /// Whether the order's offer applied to this line (its saving is spread over these lines).
    pub discounted: bool,
}

/// What the order paid besides money, and what it earned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Paid {
    /// The offer's saving, in minor units: `0..=` the subtotal of the discounted lines.
    pub saving: i64,
    /// Points spent.
    pub points_redeemed: i64,
    /// The money the points spent paid, in minor units: `0..=subtotal − saving`.
    pub points_value: i64,
    /// Points earned at confirm (0 if none).
    pub points_earned: i64,
}

/// One line's share of what the order paid ([`spread`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineShare {
    /// The line's SKU.
    pub sku: String,
    /// Units bought.
    pub qty: i64,
    /// The money the line paid: its total less its saving share less its share of the points'
    /// value. `≥ 0`; the lines' money shares add up to the order's `total`.
    pub money: i64,
    /// The points spent on this line; the lines' shares add up to `points_redeemed`.
    pub points_spent: i64,
    /// The points this line earned; the lines' shares add up to `points_earned`.
    pub points_earned: i64,
    /// The line's share of the offer's saving; the lines' shares add up to `saving`.
    pub saving: i64,
}

/// Spreads what the order paid over its `lines`, returned in SKU order (a stable sort: lines
/// with equal SKUs keep their order).
///
/// - **Saving**: over the discounted lines, in proportion to their `line_total`s. (Should no
///   discounted line have a positive total, the saving is spread over all lines by their
///   totals instead, so it is never dropped.)
/// - **After-saving cost** of a line: `line_total − saving share` (`≥ 0`, as the saving is at
///   most the total of the lines it is spread over).
/// - **Points spent**: `points_redeemed` (points) over all lines in proportion to their
///   after-saving costs.
/// - **Points' value**: `points_value` (money) over all lines by the same proportions, with
///   its own largest-remainder rounding (so a line's points share and its value share are
///   each exact in total, each rounded on its own). Each line's value share is at most its
///   after-saving cost, as `points_value` is at most their sum.
/// - **Money** of a line: after-saving cost less its value share: `≥ 0`, and the lines' add
///   up to `subtotal − saving − points_value`, the order's `total`.
/// - **Points earned**: `points_earned` over all lines by the after-saving costs.
///
/// Every split is [`largest_remainder`] (ties to the line first by SKU; all-zero weights,
/// e.g. every line free after the saving, split equally). Amounts outside their ranges are
/// brought into them rather than refused: negative totals and amounts count as 0, a saving
/// above what it is spread over is cut to that, and `points_value` above what is left after
/// the saving is cut to that. An order as checkout builds it is always in range, so nothing
/// is cut.
pub fn spread(lines: &[LineCost], paid: &Paid) -> Vec<LineShare> {
    let mut lines: Vec<&LineCost> = lines.iter().collect();
    lines.sort_by(|a, b| a.sku.cmp(&b.sku));
    let totals: Vec<i64> = lines.iter().map(|l| l.line_total.max(0)).collect();

    let discounted: Vec<i64> = lines.iter().zip(&totals).map(|(l, &t)| if l.discounted { t } else { 0 }).collect();
    let saving_weights = if discounted.iter().any(|&w| w > 0) { discounted } else { totals.clone() };
    let saving = paid.saving.clamp(0, sum_i64(&saving_weights));
    let savings = largest_remainder(saving, &saving_weights);

    let costs: Vec<i64> = totals.iter().zip(&savings).map(|(t, s)| t - s).collect();
    let points_value = paid.points_value.clamp(0, sum_i64(&costs));
    let values = largest_remainder(points_value, &costs);
    let spent = largest_remainder(paid.points_redeemed.max(0), &costs);
    let earned = largest_remainder(paid.points_earned.max(0), &costs);

    lines
        .iter()
        .enumerate()
        .map(|(i, line)| LineShare {
            sku: line.sku.clone(),
            qty: line.qty,
            money: costs[i] - values[i],
            points_spent: spent[i],
            points_earned: earned[i],
            saving: savings[i],
        })
        .collect()
}

/// What a return gives back (or, as `already` in [`refund`], what a line's earlier returns
/// gave back, summed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Returned {
    /// Money refunded, in minor units.
    pub refund: i64,
    /// Spent points given back to the customer.
    pub points_restored: i64,
    /// Earned points taken back from the customer.
    pub points_reversed: i64,
}

impl Returned {
    /// `self` and `other` summed field by field (saturating), to keep a line's running
    /// `already` for [`refund`].
    pub fn plus(&self, other: &Returned) -> Returned {
        Returned {
            refund: self.refund.saturating_add(other.refund),
            points_restored: self.points_restored.saturating_add(other.points_restored),
            points_reversed: self.points_reversed.saturating_add(other.points_reversed),
        }
    }
}

/// What returning `returning` more units of the line `share` gives back, when
/// `already_returned_qty` of its units came back before and gave back `already` in all.
///
/// The contract read literally, each return on its own: a return of `q = returning` of the
/// line's `Q = share.qty` units gives `floor(money × q / Q)` of the money share, and likewise
/// `floor(points_spent × q / Q)` restored and `floor(points_earned × q / Q)` reversed. The
/// return that brings the line's last unit back (`already_returned_qty + returning ≥ Q`)
/// gives instead whatever of each share is left (`share − already`). This is not the floor of
/// the cumulative fraction: money 2 over 3 units returned one at a time gives 0, 0, then 2
/// (a cumulative floor would give 0, 1, 1). Each return is floored separately, so earlier
/// returns never add up to more than the share and the last one takes exactly the rest: once
/// every unit is back, the line's returns add up to its shares exactly.
///
/// Never negative: `returning ≤ 0` gives nothing, and each amount is at least 0 and at most
/// what is left of its share (should `already` be more than the share, nothing more is
/// given). Returning more units than are left counts as returning the last ones (the caller
/// refuses that beforehand: `409 return_exceeds_order`).
pub fn refund(share: &LineShare, already_returned_qty: i64, already: &Returned, returning: i64) -> Returned {
    if returning <= 0 {
        return Returned::default();
    }
    let last = already_returned_qty.saturating_add(returning) >= share.qty;
    let part = |whole: i64, given: i64| -> i64 {
        let left = whole.saturating_sub(given).max(0);
        if last {
            left
        } else {
            // Not the last units, so `0 < returning < share.qty` here.
            let fraction = i128::from(whole.max(0)) * i128::from(returning) / i128::from(share.qty);
            narrow(fraction).clamp(0, left)
        }
    };
    Returned {
        refund: part(share.money, already.refund),
        points_restored: part(share.points_spent, already.points_restored),
        points_reversed: part(share.points_earned, already.points_reversed),
    }
}

/// An `i128` known to fit an `i64` (every part above is at most the `i64` it is a part of),
/// saturating should it not.
fn narrow(value: i128) -> i64 {
    i64::try_from(value).unwrap_or(if value < 0 { i64::MIN } else { i64::MAX })
}

/// A count as an `i64` (saturating; a slice's length always fits).
fn len_i64(len: usize) -> i64 {
    i64::try_from(len).unwrap_or(i64::MAX)
}

/// The sum of non-negative amounts, saturating at `i64::MAX`.
fn sum_i64(values: &[i64]) -> i64 {
    narrow(values.iter().map(|&v| i128::from(v)).sum())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn line(sku: &str, qty: i64, unit_price: i64, discounted: bool) -> LineCost {
        LineCost { sku: sku.to_owned(), qty, line_total: qty * unit_price, discounted }
    }

    fn paid(saving: i64, points_redeemed: i64, points_value: i64, points_earned: i64) -> Paid {
        Paid { saving, points_redeemed, points_value, points_earned }
    }

    fn skus(shares: &[LineShare]) -> Vec<&str> {
        shares.iter().map(|s| s.sku.as_str()).collect()
    }

    fn field(shares: &[LineShare], f: fn(&LineShare) -> i64) -> Vec<i64> {
        shares.iter().map(f).collect()
    }

    /// Returns every unit of `share` in the given steps (the last one must bring the last
    /// unit back) and gives each return.
    fn return_in(share: &LineShare, steps: &[i64]) -> Vec<Returned> {
        let mut already = Returned::default();
        let mut qty = 0;
        let mut out = Vec::new();
        for &q in steps {
            let r = refund(share, qty, &already, q);
            already = already.plus(&r);
            qty += q;
            out.push(r);
        }
        out
    }

    #[test]
    fn largest_remainder_conserves_and_breaks_ties_by_index() {
        assert_eq!(largest_remainder(1, &[1, 1, 1]), vec![1, 0, 0]);
        assert_eq!(largest_remainder(2, &[5, 5, 5]), vec![1, 1, 0]);
        assert_eq!(largest_remainder(10, &[1, 2, 3]), vec![2, 3, 5]);
        assert_eq!(largest_remainder(100, &[1, 1, 1]), vec![34, 33, 33]);
        assert_eq!(largest_remainder(0, &[3, 4]), vec![0, 0]);
        assert_eq!(largest_remainder(7, &[0, 3, 0]), vec![0, 7, 0]);
        // The largest remainder wins over the earlier index: 5 × 3/7 = 2.14, 5 × 4/7 = 2.86.
        assert_eq!(largest_remainder(5, &[3, 4]), vec![2, 3]);
    }

    #[test]
    fn largest_remainder_edge_cases() {
        // All weights zero: equal parts, the leftover to the first indexes.
        assert_eq!(largest_remainder(5, &[0, 0, 0]), vec![2, 2, 1]);
        assert_eq!(largest_remainder(1, &[0, -4]), vec![1, 0]);
        // Negative weights count as zero.
        assert_eq!(largest_remainder(9, &[-5, 3, 6]), vec![0, 3, 6]);
        // A negative total: the magnitude split, negated.
        assert_eq!(largest_remainder(-100, &[1, 1, 1]), vec![-34, -33, -33]);
        assert_eq!(largest_remainder(3, &[]), Vec::<i64>::new());
        // No overflow with the largest amounts.
        let parts = largest_remainder(i64::MAX, &[i64::MAX, i64::MAX, 1]);
        assert_eq!(parts.iter().map(|&p| i128::from(p)).sum::<i128>(), i128::from(i64::MAX));
    }

    #[test]
    fn one_point_over_three_equal_lines_goes_to_the_first_by_sku() {
        let lines = [line("C", 1, 100, false), line("A", 1, 100, false), line("B", 1, 100, false)];
        let shares = spread(&lines, &paid(0, 1, 1, 1));
        assert_eq!(skus(&shares), ["A", "B", "C"]);
        assert_eq!(field(&shares, |s| s.points_spent), [1, 0, 0]);
        assert_eq!(field(&shares, |s| s.points_earned), [1, 0, 0]);
        assert_eq!(field(&shares, |s| s.money), [99, 100, 100]);
        assert_eq!(field(&shares, |s| s.saving), [0, 0, 0]);
    }

    #[test]
    fn the_saving_goes_only_to_the_discounted_lines() {
        let lines = [line("B", 3, 1000, false), line("C", 1, 2000, true), line("A", 1, 1000, true)];
        let shares = spread(&lines, &paid(1000, 100, 50, 0));
        assert_eq!(skus(&shares), ["A", "B", "C"]);
        // 1000 over A 1000 and C 2000: 333.33 and 666.67.
        assert_eq!(field(&shares, |s| s.saving), [333, 0, 667]);
        // After the saving: A 667, B 3000, C 1333 (5000). 100 points: 13.34, 60, 26.66.
        assert_eq!(field(&shares, |s| s.points_spent), [13, 60, 27]);
        // Their value, 50: 6.67, 30, 13.33, so A 7, B 30, C 13.
        assert_eq!(field(&shares, |s| s.money), [660, 2970, 1320]);
        assert_eq!(field(&shares, |s| s.money).iter().sum::<i64>(), 6000 - 1000 - 50);
        assert_eq!(field(&shares, |s| s.points_earned), [0, 0, 0]);
    }

    #[test]
    fn a_saving_with_no_discounted_line_is_spread_over_all_lines() {
        let lines = [line("A", 1, 300, false), line("B", 1, 100, false)];
        let shares = spread(&lines, &paid(100, 0, 0, 0));
        assert_eq!(field(&shares, |s| s.saving), [75, 25]);
        assert_eq!(field(&shares, |s| s.money), [225, 75]);
    }

    #[test]
    fn a_hundred_lines_add_up() {
        let lines: Vec<LineCost> = (0..100)
            .map(|i| line(&format!("SKU-{:03}", (i * 37) % 100), i % 10 + 1, (i * 7919) % 1000 + 1, i % 3 == 0))
            .collect();
        let subtotal: i64 = lines.iter().map(|l| l.line_total).sum();
        let discounted: i64 = lines.iter().filter(|l| l.discounted).map(|l| l.line_total).sum();
        let saving = discounted / 3 + 1;
        let p = paid(saving, 12_345, (subtotal - saving) / 7, 999);
        let shares = spread(&lines, &p);
        assert_eq!(shares.len(), 100);
        assert!(shares.windows(2).all(|w| w[0].sku < w[1].sku), "in SKU order");
        assert_eq!(field(&shares, |s| s.saving).iter().sum::<i64>(), saving);
        assert_eq!(field(&shares, |s| s.points_spent).iter().sum::<i64>(), 12_345);
        assert_eq!(field(&shares, |s| s.points_earned).iter().sum::<i64>(), 999);
        assert_eq!(field(&shares, |s| s.money).iter().sum::<i64>(), subtotal - saving - p.points_value);
        for (share, cost) in shares.iter().zip({
            let mut sorted = lines.clone();
            sorted.sort_by(|a, b| a.sku.cmp(&b.sku));
            sorted
        }) {
            assert!(share.money >= 0 && share.points_spent >= 0 && share.points_earned >= 0);
            assert!(cost.discounted || share.saving == 0, "{} got a saving", share.sku);
        }
    }

    #[test]
    fn zero_points_leave_the_after_saving_cost_as_money() {
        let lines = [line("A", 2, 250, true), line("B", 1, 999, false)];
        let shares = spread(&lines, &paid(100, 0, 0, 0));
        assert_eq!(field(&shares, |s| s.money), [400, 999]);
        assert_eq!(field(&shares, |s| s.points_spent), [0, 0]);
        assert_eq!(field(&shares, |s| s.points_earned), [0, 0]);
        let back = return_in(&shares[0], &[1, 1]);
        assert_eq!(back[0], Returned { refund: 200, points_restored: 0, points_reversed: 0 });
        assert_eq!(back[1], Returned { refund: 200, points_restored: 0, points_reversed: 0 });
    }

    #[test]
    fn points_paying_everything_left_leave_no_money() {
        let lines = [line("A", 3, 333, true), line("B", 1, 1, false), line("C", 2, 50, false)];
        let subtotal = 999 + 1 + 100;
        let shares = spread(&lines, &paid(99, 10_000, subtotal - 99, 7));
        assert_eq!(field(&shares, |s| s.money), [0, 0, 0]);
        assert_eq!(field(&shares, |s| s.points_spent).iter().sum::<i64>(), 10_000);
        assert_eq!(field(&shares, |s| s.points_earned).iter().sum::<i64>(), 7);
        let back = return_in(&shares[0], &[1, 2]);
        assert_eq!(back.iter().map(|r| r.refund).sum::<i64>(), 0);
        assert_eq!(back.iter().map(|r| r.points_restored).sum::<i64>(), shares[0].points_spent);
    }

    #[test]
    fn everything_free_after_the_saving_splits_points_equally() {
        let lines = [line("A", 1, 10, true), line("B", 1, 20, true)];
        let shares = spread(&lines, &paid(30, 5, 0, 3));
        assert_eq!(field(&shares, |s| s.money), [0, 0]);
        assert_eq!(field(&shares, |s| s.points_spent), [3, 2]);
        assert_eq!(field(&shares, |s| s.points_earned), [2, 1]);
    }

    #[test]
    fn a_single_line_returned_one_unit_at_a_time() {
        let share = LineShare { sku: "A".into(), qty: 3, money: 100, points_spent: 10, points_earned: 7, saving: 0 };
        let back = return_in(&share, &[1, 1, 1]);
        assert_eq!(field_r(&back, |r| r.refund), [33, 33, 34]);
        assert_eq!(field_r(&back, |r| r.points_restored), [3, 3, 4]);
        assert_eq!(field_r(&back, |r| r.points_reversed), [2, 2, 3]);

        // Each return floored on its own: 2 over 3 units gives 0, 0, then the 2 left.
        let small = LineShare { sku: "B".into(), qty: 3, money: 2, points_spent: 1, points_earned: 0, saving: 0 };
        assert_eq!(field_r(&return_in(&small, &[1, 1, 1]), |r| r.refund), [0, 0, 2]);
        assert_eq!(field_r(&return_in(&small, &[2, 1]), |r| r.refund), [1, 1]);
        assert_eq!(field_r(&return_in(&small, &[3]), |r| r.refund), [2]);
    }

    #[test]
    fn refund_never_goes_negative() {
        let share = LineShare { sku: "A".into(), qty: 4, money: 10, points_spent: 4, points_earned: 4, saving: 0 };
        assert_eq!(refund(&share, 0, &Returned::default(), 0), Returned::default());
        assert_eq!(refund(&share, 0, &Returned::default(), -2), Returned::default());
        // More than is left counts as the last units.
        assert_eq!(
            refund(&share, 3, &Returned { refund: 7, points_restored: 3, points_reversed: 3 }, 5),
            Returned { refund: 3, points_restored: 1, points_reversed: 1 }
        );
        // An `already` above the share gives nothing more.
        let over = Returned { refund: 50, points_restored: 50, points_reversed: 50 };
        assert_eq!(refund(&share, 1, &over, 1), Returned::default());
        assert_eq!(refund(&share, 1, &over, 3), Returned::default());
    }

    fn field_r(returns: &[Returned], f: fn(&Returned) -> i64) -> Vec<i64> {
        returns.iter().map(f).collect()
    }

    /// An order: its lines (qty, unit price, discounted, an SKU key), and picks for its
    /// saving, points and value.
    #[derive(Debug, Clone)]
    struct Order {
        lines: Vec<LineCost>,
        paid: Paid,
    }

    /// Picks an amount in `0..=max`: often one of the ends, otherwise anywhere.
    fn pick(selector: u8, seed: u64, max: i64) -> i64 {
        let max = max.max(0);
        match selector {
            0 => 0,
            1 => max,
            _ => i64::try_from(seed % (u64::try_from(max).unwrap_or(0) + 1)).unwrap_or(0),
        }
    }

    fn order() -> impl Strategy<Value = Order> {
        let lines = prop::collection::vec((1..=10i64, 1..=100_000i64, any::<bool>(), any::<u16>()), 1..=20);
        let points = (0u8..4, any::<u64>(), 0u8..4, any::<u64>(), 0..=200i64, 0..=10_000i64);
        (lines, points).prop_map(|(lines, (s_sel, s_seed, v_sel, v_seed, point_value, points_earned))| {
            let lines: Vec<LineCost> = lines
                .into_iter()
                .enumerate()
                .map(|(i, (qty, price, discounted, key))| line(&format!("{key:05}-{i}"), qty, price, discounted))
                .collect();
            let subtotal: i64 = lines.iter().map(|l| l.line_total).sum();
            let discounted: i64 = lines.iter().filter(|l| l.discounted).map(|l| l.line_total).sum();
            let saving = pick(s_sel, s_seed, discounted);
            let left = subtotal - saving;
            // Points spent: up to 1 000 000; their value `points × point_value`, capped at
            // what is left, or exactly what is left.
            let points_redeemed = pick(2, v_seed >> 8, 1_000_000);
            let points_value = match v_sel {
                0 => 0,
                1 => left,
                _ => (points_redeemed * point_value).min(left),
            };
            let points_redeemed = if v_sel == 0 { 0 } else { points_redeemed };
            Order { lines, paid: Paid { saving, points_redeemed, points_value, points_earned } }
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn returning_every_unit_gives_back_exactly_what_the_order_paid(
            order in order(),
            steps in prop::collection::vec((any::<u32>(), any::<u32>()), 0..80),
        ) {
            let Order { lines, paid } = order;
            let subtotal: i64 = lines.iter().map(|l| l.line_total).sum();
            let total = subtotal - paid.saving - paid.points_value;
            prop_assert!(total >= 0);

            let shares = spread(&lines, &paid);
            prop_assert_eq!(shares.len(), lines.len());
            prop_assert!(shares.windows(2).all(|w| w[0].sku <= w[1].sku), "in SKU order");
            prop_assert_eq!(shares.iter().map(|s| s.money).sum::<i64>(), total);
            prop_assert_eq!(shares.iter().map(|s| s.saving).sum::<i64>(), paid.saving);
            prop_assert_eq!(shares.iter().map(|s| s.points_spent).sum::<i64>(), paid.points_redeemed);
            prop_assert_eq!(shares.iter().map(|s| s.points_earned).sum::<i64>(), paid.points_earned);
            for s in &shares {
                prop_assert!(s.money >= 0 && s.points_spent >= 0 && s.points_earned >= 0 && s.saving >= 0, "{:?}", s);
                let cost = lines.iter().find(|l| l.sku == s.sku).expect("the line");
                prop_assert!(cost.discounted || s.saving == 0, "a saving on an undiscounted line: {:?}", s);
                prop_assert!(s.money + s.saving <= cost.line_total);
            }

            // Random partial returns, then whatever is left of each line in one return.
            let mut returned_qty = vec![0i64; shares.len()];
            let mut already = vec![Returned::default(); shares.len()];
            let mut all = Returned::default();
            let mut give_back = |i: usize, q: i64, returned_qty: &mut Vec<i64>, already: &mut Vec<Returned>|
                -> Result<(), TestCaseError> {
                let r = refund(&shares[i], returned_qty[i], &already[i], q);
                prop_assert!(r.refund >= 0 && r.points_restored >= 0 && r.points_reversed >= 0, "{:?}", r);
                returned_qty[i] += q;
                already[i] = already[i].plus(&r);
                all = all.plus(&r);
                Ok(())
            };
            for (line_seed, qty_seed) in steps {
                let open: Vec<usize> = (0..shares.len()).filter(|&i| returned_qty[i] < shares[i].qty).collect();
                if open.is_empty() {
                    break;
                }
                let i = open[usize::try_from(line_seed).unwrap_or(0) % open.len()];
                let left = shares[i].qty - returned_qty[i];
                let q = i64::from(qty_seed) % left + 1;
                give_back(i, q, &mut returned_qty, &mut already)?;
            }
            for i in 0..shares.len() {
                let left = shares[i].qty - returned_qty[i];
                if left > 0 {
                    give_back(i, left, &mut returned_qty, &mut already)?;
                }
            }
            for (s, a) in shares.iter().zip(&already) {
                prop_assert_eq!((a.refund, a.points_restored, a.points_reversed), (s.money, s.points_spent, s.points_earned));
            }
            prop_assert_eq!(all.refund, total);
            prop_assert_eq!(all.points_restored, paid.points_redeemed);
            prop_assert_eq!(all.points_reversed, paid.points_earned);
        }
    }
}
