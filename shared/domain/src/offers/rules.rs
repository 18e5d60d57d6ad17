//! Eligibility, saving, ranking and reasons: pure functions over an offer, the priced cart and
//! the shopper, at a given time.
//!
//! **Score** (higher first): `saving + 100 × priority + 500 × min(affinity, 10)`, where
//! `saving` is in minor units and `affinity` is the customer's highest decayed score among the
//! offer's categories (scope, affinity list, and the categories of the lines it applies to).
//! Ties go to the larger saving, then the higher priority, then the smaller `offer_id`: the
//! same profile, cart and time always give the same order.

use std::collections::BTreeMap;

use crate::loyalty::rules::Tier;
use crate::values::{Currency, Money};
use serde::Serialize;

use crate::offers::definition::Offer;

/// A cart line with its stored price and category.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PricedLine {
    /// SKU.
    pub sku: String,
    /// The product's category.
    pub category: String,
    /// Quantity.
    pub qty: u32,
    /// Unit price from the product record.
    pub unit: Money,
}

/// Who is looking, through which channel.
#[derive(Clone, Debug, PartialEq)]
pub struct Shopper {
    /// Loyalty tier.
    pub tier: Tier,
    /// The request's channel.
    pub channel: String,
    /// Decayed affinity per category, now.
    pub affinity: BTreeMap<String, f64>,
}

/// An eligible offer with what it is worth to this shopper and why.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Ranked {
    /// The offer.
    pub offer_id: String,
    /// Its title.
    pub title: String,
    /// Its discount.
    pub discount: crate::offers::definition::Discount,
    /// What it saves on this cart.
    pub saving: Money,
    /// Why it was chosen, in words.
    pub reasons: Vec<String>,
    /// The ranking score (see the module docs).
    pub score: i64,
    #[serde(skip)]
    priority: i32,
}

/// Formats minor units with the currency's own decimals: `12.50 EUR`, `1250 JPY`,
/// `1.250 KWD`.
pub fn format_money(money: Money) -> String {
    let sign = if money.amount < 0 { "-" } else { "" };
    let abs = money.amount.unsigned_abs();
    let code = money.currency.as_str();
    let per_unit = money.currency.minor_per_unit().unsigned_abs();
    match usize::try_from(money.currency.exponent()).unwrap_or(2) {
        0 => format!("{sign}{abs} {code}"),
        digits => format!("{sign}{}.{:0digits$} {code}", abs / per_unit, abs % per_unit),
    }
}

/// The currency the cart is priced in: the one most of its lines use (ties: alphabetical).
pub fn cart_currency(lines: &[PricedLine]) -> Option<Currency> {
    let mut counts: BTreeMap<Currency, usize> = BTreeMap::new();
    for line in lines {
        *counts.entry(line.unit.currency).or_default() += 1;
    }
    counts
        .into_iter()
        .fold(None, |best: Option<(Currency, usize)>, (c, n)| match best {
            Some((_, m)) if m >= n => best,
            _ => Some((c, n)),
        })
        .map(|(c, _)| c)
}

fn subtotal<'a>(lines: impl Iterator<Item = &'a PricedLine>, currency: Currency) -> i64 {
    lines.filter(|l| l.unit.currency == currency).map(|l| l.unit.amount.saturating_mul(i64::from(l.qty))).sum()
}

/// The category of the offer's `affinity_categories` the shopper likes most, with its score.
fn liked<'a>(offer: &'a Offer, shopper: &Shopper) -> Option<(&'a String, f64)> {
    let score_of = |category: &str| shopper.affinity.get(category).copied().unwrap_or(0.0);
    offer.affinity_categories.iter().map(|c| (c, score_of(c))).filter(|(_, s)| *s > 0.0).fold(None, |best, (c, s)| {
        match best {
            Some((_, b)) if b >= s => best,
            _ => Some((c, s)),
        }
    })
}

/// Whether the offer is for this shopper and cart at `now`: in its window, through one of its
/// channels, for one of its tiers, with affinity for one of its categories, in the cart's
/// currency, and over its minimum subtotal. The one eligibility rule: `/offers/me` ranks by
/// it and a redemption is refused without it. Limits are judged apart.
pub fn is_eligible(offer: &Offer, lines: &[PricedLine], shopper: &Shopper, now: i64) -> bool {
    let channel_ok = offer.channels.is_empty() || offer.channels.contains(&shopper.channel);
    let tier_ok = offer.tiers.is_empty() || offer.tiers.contains(&shopper.tier);
    let affinity_ok = offer.affinity_categories.is_empty() || liked(offer, shopper).is_some();
    if !offer.is_active(now) || !channel_ok || !tier_ok || !affinity_ok {
        return false;
    }
    match (offer.currency(), cart_currency(lines)) {
        // An offer in one currency says nothing of a cart priced in another.
        (Some(offer_currency), Some(cart)) if offer_currency != cart => false,
        (currency, cart) => offer
            .min_subtotal
            .is_none_or(|min| currency.or(cart).is_some_and(|c| subtotal(lines.iter(), c) >= min.amount)),
    }
}

/// The offer's value for this shopper and cart at `now`, or `None` when it is not eligible
/// ([`is_eligible`]), its limits are used up, or the cart gives it no currency to save in.
pub fn evaluate(offer: &Offer, lines: &[PricedLine], shopper: &Shopper, now: i64, used_up: bool) -> Option<Ranked> {
    if used_up || !is_eligible(offer, lines, shopper, now) {
        return None;
    }
    let score_of = |category: &str| shopper.affinity.get(category).copied().unwrap_or(0.0);
    let liked = liked(offer, shopper);
    let currency = offer.currency().or_else(|| cart_currency(lines))?;
    let applicable: Vec<&PricedLine> = lines.iter().filter(|l| offer.applies_to.covers(&l.sku, &l.category)).collect();
    let base = subtotal(applicable.iter().copied(), currency);
    let saving = match (offer.discount.percent, offer.discount.amount) {
        (Some(percent), _) => base.saturating_mul(i64::from(percent)) / 100,
        (None, Some(amount)) => amount.amount.min(base),
        (None, None) => 0,
    };
    let affinity = offer
        .categories()
        .map(String::as_str)
        .chain(applicable.iter().map(|l| l.category.as_str()))
        .map(score_of)
        .fold(0.0_f64, f64::max);
    let score = saving + 100 * i64::from(offer.priority) + affinity_points(affinity);
    let saving = Money { amount: saving, currency };
    Some(Ranked {
        offer_id: offer.offer_id.clone(),
        title: offer.title.clone(),
        discount: offer.discount.clone(),
        saving,
        reasons: reasons(offer, shopper, liked, saving, now),
        score,
        priority: offer.priority,
    })
}

fn reasons(offer: &Offer, shopper: &Shopper, liked: Option<(&String, f64)>, saving: Money, now: i64) -> Vec<String> {
    let mut reasons = Vec::new();
    let what = match (offer.discount.percent, offer.discount.amount) {
        (Some(p), _) => format!("{p}% off"),
        (None, Some(m)) => format!("{} off", format_money(m)),
        (None, None) => "a discount".to_owned(),
    };
    let scope = if offer.applies_to.is_whole_cart() {
        "your whole cart".to_owned()
    } else {
        let mut names: Vec<&str> = offer.applies_to.categories.iter().map(String::as_str).collect();
        names.extend(offer.applies_to.skus.iter().map(String::as_str));
        names.join(", ")
    };
    match offer.min_subtotal {
        Some(min) => reasons.push(format!("{what} {scope} over {}", format_money(min))),
        None => reasons.push(format!("{what} {scope}")),
    }
    if let Some((category, score)) = liked {
        let how = if score >= 3.0 { "often" } else { "recently" };
        reasons.push(format!("you {how} look at {category}"));
    }
    if !offer.tiers.is_empty() {
        reasons.push(format!("for {} members", shopper.tier.as_str()));
    }
    if !offer.channels.is_empty() {
        reasons.push(format!("only on {}", shopper.channel));
    }
    if saving.amount > 0 {
        reasons.push(format!("saves {} on this cart", format_money(saving)));
    }
    if offer.window().ends - now <= 48 * 3600 {
        reasons.push("ends within 48 hours".to_owned());
    }
    reasons
}

/// Orders eligible offers best first (see the module docs for the total order).
pub fn rank(mut offers: Vec<Ranked>) -> Vec<Ranked> {
    offers.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then(b.saving.amount.cmp(&a.saving.amount))
            .then(b.priority.cmp(&a.priority))
            .then(a.offer_id.cmp(&b.offer_id))
    });
    offers
}

/// The affinity's weight in the score: 500 points per unit of affinity, capped at 10 units.
fn affinity_points(affinity: f64) -> i64 {
    #[allow(clippy::cast_possible_truncation, reason = "capped at 10, the product is within ±5,000")]
    let points = (500.0 * affinity.min(10.0)).round() as i64;
    points
}

#[cfg(test)]
#[path = "rules_tests.rs"]
pub(crate) mod tests;
