//! Offer definitions: the body staff send, checked strictly, and the stored record.

use omnicanal_platform::clock::parse_rfc3339;

use crate::channel::Channel;
use crate::field::FieldError;
use crate::loyalty::rules::Tier;
use crate::values::{Currency, Money, Sku};
use serde::{Deserialize, Serialize};

/// The discount: a percentage, or a fixed amount off.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Discount {
    /// 1 to 100 percent off the lines the offer applies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent: Option<u32>,
    /// A fixed amount off, never more than those lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Money>,
}

/// What an offer applies to; both empty means the whole cart.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Scope {
    /// These SKUs.
    #[serde(default)]
    pub skus: Vec<String>,
    /// Products of these categories.
    #[serde(default)]
    pub categories: Vec<String>,
}

impl Scope {
    /// Whether the offer covers the whole cart.
    pub fn is_whole_cart(&self) -> bool {
        self.skus.is_empty() && self.categories.is_empty()
    }

    /// Whether a line of `sku` in `category` is covered.
    pub fn covers(&self, sku: &str, category: &str) -> bool {
        self.is_whole_cart() || self.skus.iter().any(|s| s == sku) || self.categories.iter().any(|c| c == category)
    }
}

/// An offer as staff define it (`PUT /offers/{offer_id}`) and everyone reads it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Offer {
    /// Its id (from the path).
    #[serde(default)]
    pub offer_id: String,
    /// Shown to shoppers.
    pub title: String,
    /// Percent or amount.
    pub discount: Discount,
    /// SKUs and categories it applies to.
    #[serde(default)]
    pub applies_to: Scope,
    /// The cart subtotal it needs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_subtotal: Option<Money>,
    /// Channels it is offered through (empty: all).
    #[serde(default)]
    pub channels: Vec<String>,
    /// Loyalty tiers it is for (empty: all).
    #[serde(default)]
    pub tiers: Vec<Tier>,
    /// Categories the customer must show affinity for (empty: no condition).
    #[serde(default)]
    pub affinity_categories: Vec<String>,
    /// Start (RFC 3339), inclusive.
    pub starts_at: String,
    /// End (RFC 3339), exclusive.
    pub ends_at: String,
    /// Redemptions per customer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_customer_limit: Option<u32>,
    /// Redemptions in all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_limit: Option<u32>,
    /// Staff's thumb on the scale, -1000 to 1000.
    #[serde(default)]
    pub priority: i32,
    /// Last change (RFC 3339), set by the server.
    #[serde(default)]
    pub updated_at: String,
}

/// The window of an offer in epoch seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// Inclusive start.
    pub starts: i64,
    /// Exclusive end.
    pub ends: i64,
}

impl Offer {
    /// The offer's window (validated at definition time).
    pub fn window(&self) -> Window {
        let secs = |t: &str| parse_rfc3339(t).map_or(0, |t| t.unix_timestamp());
        Window { starts: secs(&self.starts_at), ends: secs(&self.ends_at) }
    }

    /// Whether it runs at `now`.
    pub fn is_active(&self, now: i64) -> bool {
        let window = self.window();
        window.starts <= now && now < window.ends
    }

    /// The currency its amounts are in, if any.
    pub fn currency(&self) -> Option<Currency> {
        self.discount.amount.map(|m| m.currency).or(self.min_subtotal.map(|m| m.currency))
    }

    /// Every category the offer is about (scope and affinity), for ranking and reasons.
    pub fn categories(&self) -> impl Iterator<Item = &String> {
        self.affinity_categories.iter().chain(self.applies_to.categories.iter())
    }
}

fn is_category(text: &str) -> bool {
    (1..=64).contains(&text.len())
        && text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// Checks a definition strictly; every problem is listed with its field.
pub fn validate(offer: &Offer) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut bad = |field: &str, message: &str| errors.push(FieldError::new(field, message));
    if !(1..=200).contains(&offer.title.chars().count()) {
        bad("title", "must be 1-200 characters");
    }
    match (&offer.discount.percent, &offer.discount.amount) {
        (Some(p), None) if (1..=100).contains(p) => {}
        (Some(_), None) => bad("discount.percent", "must be between 1 and 100"),
        (None, Some(m)) if m.amount > 0 && m.amount <= 1_000_000_000 => {}
        (None, Some(_)) => bad("discount.amount.amount", "must be positive (minor units, at most 1e9)"),
        _ => bad("discount", "give exactly one of `percent` or `amount`"),
    }
    if let (Some(amount), Some(min)) = (&offer.discount.amount, &offer.min_subtotal)
        && amount.currency != min.currency
    {
        bad("min_subtotal.currency", "must be the discount's currency");
    }
    if offer.min_subtotal.is_some_and(|m| m.amount < 0 || m.amount > 1_000_000_000_000) {
        bad("min_subtotal.amount", "must be between 0 and 1e12 minor units");
    }
    for (i, sku) in offer.applies_to.skus.iter().enumerate() {
        if Sku::parse(sku).is_err() {
            bad(&format!("applies_to.skus[{i}]"), "is not a SKU");
        }
    }
    for (field, list) in
        [("applies_to.categories", &offer.applies_to.categories), ("affinity_categories", &offer.affinity_categories)]
    {
        for (i, category) in list.iter().enumerate() {
            if !is_category(category) {
                bad(&format!("{field}[{i}]"), "must be 1-64 of a-z 0-9 - _");
            }
        }
    }
    for (i, channel) in offer.channels.iter().enumerate() {
        if Channel::parse(channel).is_err() {
            bad(&format!("channels[{i}]"), "must be web, app, marketplace or store:<id>");
        }
    }
    let starts = parse_rfc3339(&offer.starts_at);
    let ends = parse_rfc3339(&offer.ends_at);
    match (starts, ends) {
        (None, _) => bad("starts_at", "must be an RFC 3339 time"),
        (_, None) => bad("ends_at", "must be an RFC 3339 time"),
        (Some(s), Some(e)) if s >= e => bad("ends_at", "must be after starts_at"),
        _ => {}
    }
    if offer.per_customer_limit == Some(0) {
        bad("per_customer_limit", "must be at least 1");
    }
    if offer.total_limit == Some(0) {
        bad("total_limit", "must be at least 1");
    }
    if !(-1000..=1000).contains(&offer.priority) {
        bad("priority", "must be between -1000 and 1000");
    }
    let lists = offer.applies_to.skus.len()
        + offer.applies_to.categories.len()
        + offer.channels.len()
        + offer.affinity_categories.len();
    if lists > 200 {
        bad("applies_to", "at most 200 SKUs, categories and channels in all");
    }
    if errors.is_empty() { Ok(()) } else { Err(errors) }
}
