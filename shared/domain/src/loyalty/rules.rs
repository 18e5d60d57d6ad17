//! The loyalty programme's rules, from configuration (`OMNICANAL_LOYALTY_RULES`, a JSON
//! document; every field optional), with the contract's defaults.

use serde::{Deserialize, Serialize};

use omnicanal_store::{AttributeValue, Item};

use crate::values::Currency;

/// One tier: from a 12-month spend (minor units), with a multiplier (percent: 125 = ×1.25).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierRule {
    /// The tier.
    pub tier: Tier,
    /// 12-month spend, in minor units, from which it applies.
    pub from: i64,
    /// Points multiplier in percent.
    pub multiplier_percent: u32,
}

/// The programme's rules.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoyaltyRules {
    /// Points per whole currency unit spent (floor).
    pub points_per_unit: u32,
    /// Tiers, lowest first; the first must start at 0.
    pub tiers: Vec<TierRule>,
    /// Bonus in percent when the customer bought through this many channels in the month.
    pub multi_channel_bonus_percent: u32,
    /// Distinct channels in the calendar month (UTC), this order included, for the bonus.
    pub multi_channel_min: usize,
    /// Days until earned points expire.
    pub expiry_days: u32,
    /// The one currency the programme counts purchases in (EUR): an earning in another is
    /// refused, so spend never adds minor units of different currencies.
    pub currency: Currency,
    /// What a point spent at checkout is worth, in minor units of the order's currency (1:
    /// 100 points pay 1.00).
    pub point_value: i64,
}

impl Default for LoyaltyRules {
    fn default() -> Self {
        Self {
            points_per_unit: 1,
            tiers: vec![
                TierRule { tier: Tier::Bronze, from: 0, multiplier_percent: 100 },
                TierRule { tier: Tier::Silver, from: 50_000, multiplier_percent: 125 },
                TierRule { tier: Tier::Gold, from: 200_000, multiplier_percent: 150 },
            ],
            multi_channel_bonus_percent: 10,
            multi_channel_min: 2,
            expiry_days: 365,
            currency: Currency::EUR,
            point_value: 1,
        }
    }
}

impl LoyaltyRules {
    /// Parses and checks a rules document.
    pub fn parse(json: &str) -> Result<Self, String> {
        let rules: Self = serde_json::from_str(json).map_err(|e| format!("not a valid rules document: {e}"))?;
        rules.check()?;
        Ok(rules)
    }

    fn check(&self) -> Result<(), String> {
        if !(1..=1000).contains(&self.points_per_unit) {
            return Err("points_per_unit must be 1-1000".into());
        }
        if self.tiers.first().is_none_or(|t| t.from != 0) {
            return Err("the first tier must start at 0".into());
        }
        if self.tiers.windows(2).any(|w| w[0].from >= w[1].from || w[0].tier >= w[1].tier) {
            return Err("tiers must rise in spend and rank".into());
        }
        if self.tiers.iter().any(|t| !(1..=1000).contains(&t.multiplier_percent)) {
            return Err("multiplier_percent must be 1-1000".into());
        }
        let channels = 1..=crate::loyalty::account::MAX_CHANNELS_PER_MONTH;
        if self.multi_channel_bonus_percent > 1000 || !channels.contains(&self.multi_channel_min) {
            return Err(format!(
                "multi_channel_bonus_percent must be 0-1000 and multi_channel_min 1-{}",
                channels.end()
            ));
        }
        if !(1..=3650).contains(&self.expiry_days) {
            return Err("expiry_days must be 1-3650".into());
        }
        if !(1..=1_000_000).contains(&self.point_value) {
            return Err("point_value must be 1-1000000 (minor units per point)".into());
        }
        Ok(())
    }

    /// The tier for a 12-month spend.
    pub fn tier_for(&self, spend: i64) -> &TierRule {
        self.tiers.iter().rev().find(|t| spend >= t.from).unwrap_or(&self.tiers[0])
    }

    /// The points a purchase of `amount_minor` earns for a customer whose 12-month spend
    /// before it was `spend_before`, with or without the multi-channel bonus:
    /// `floor(units × points_per_unit × tier multiplier × (1 + bonus))`, in exact integer
    /// arithmetic (`units` are whole units of the programme's currency, refunds and
    /// negatives earn nothing).
    pub fn points(&self, amount_minor: i64, spend_before: i64, multi_channel: bool) -> i64 {
        let units = i128::from(amount_minor.max(0) / self.currency.minor_per_unit());
        let bonus_percent = if multi_channel { i128::from(self.multi_channel_bonus_percent) } else { 0 };
        let points = units
            * i128::from(self.points_per_unit)
            * i128::from(self.tier_for(spend_before).multiplier_percent)
            * (100 + bonus_percent)
            / 10_000;
        i64::try_from(points).unwrap_or(i64::MAX)
    }
}

/// Loyalty tiers, lowest first. Where each starts and what it multiplies are the programme's
/// [`LoyaltyRules`] (configurable), not properties of the tier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    /// The first tier.
    #[default]
    Bronze,
    /// The second.
    Silver,
    /// The third.
    Gold,
}

impl Tier {
    /// The tier's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bronze => "bronze",
            Self::Silver => "silver",
            Self::Gold => "gold",
        }
    }

    /// The tier with this name.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "bronze" => Some(Self::Bronze),
            "silver" => Some(Self::Silver),
            "gold" => Some(Self::Gold),
            _ => None,
        }
    }

    /// The tier a loyalty account item records (`tier` attribute); bronze without one.
    pub fn of_account(item: Option<&Item>) -> Self {
        match item.and_then(|i| i.get("tier")) {
            Some(AttributeValue::S(name)) => Self::parse(name).unwrap_or_default(),
            _ => Self::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides() {
        let rules = LoyaltyRules::default();
        assert_eq!(rules.tier_for(49_999).tier, Tier::Bronze);
        // 123.45 spent: 123 whole units; silver ×1.25 → 153.75; with the 10 % bonus 169.125.
        assert_eq!(rules.points(12_345, 0, false), 123);
        assert_eq!(rules.points(12_345, 50_000, false), 153);
        assert_eq!(rules.points(12_345, 50_000, true), 169);
        assert_eq!(rules.points(-500, 200_000, true), 0, "a negative amount earns nothing");
        assert_eq!(rules.tier_for(50_000).tier, Tier::Silver);
        assert_eq!(rules.tier_for(200_000).tier, Tier::Gold);
        let custom = LoyaltyRules::parse(r#"{"points_per_unit": 2, "expiry_days": 30}"#).expect("valid");
        assert_eq!((custom.points_per_unit, custom.expiry_days, custom.tiers.len()), (2, 30, 3));
        assert!(LoyaltyRules::parse(r#"{"tiers": []}"#).is_err());
        assert!(LoyaltyRules::parse(r#"{"bonus": 1}"#).is_err());
        assert_eq!(rules.point_value, 1, "100 points pay 1.00");
        assert_eq!(LoyaltyRules::parse(r#"{"point_value": 5}"#).map(|r| r.point_value), Ok(5));
        assert!(LoyaltyRules::parse(r#"{"point_value": 0}"#).is_err());
        assert!(LoyaltyRules::parse(r#"{"multi_channel_min": 17}"#).is_err(), "more than a month keeps");
    }
}
