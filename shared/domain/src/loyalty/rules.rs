//! The loyalty programme's rules, from configuration (`OMNICANAL_LOYALTY_RULES`, a JSON
//! document; every field optional), with the contract's defaults.

use serde::Deserialize;

use crate::customer::Tier;

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
        if self.multi_channel_bonus_percent > 1000 || self.multi_channel_min < 1 {
            return Err("multi_channel_bonus_percent must be 0-1000 and multi_channel_min at least 1".into());
        }
        if !(1..=3650).contains(&self.expiry_days) {
            return Err("expiry_days must be 1-3650".into());
        }
        Ok(())
    }

    /// The tier for a 12-month spend.
    pub fn tier_for(&self, spend: i64) -> &TierRule {
        self.tiers.iter().rev().find(|t| spend >= t.from).unwrap_or(&self.tiers[0])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides() {
        let rules = LoyaltyRules::default();
        assert_eq!(rules.tier_for(49_999).tier, Tier::Bronze);
        assert_eq!(rules.tier_for(50_000).tier, Tier::Silver);
        assert_eq!(rules.tier_for(200_000).tier, Tier::Gold);
        let custom = LoyaltyRules::parse(r#"{"points_per_unit": 2, "expiry_days": 30}"#).expect("valid");
        assert_eq!((custom.points_per_unit, custom.expiry_days, custom.tiers.len()), (2, 30, 3));
        assert!(LoyaltyRules::parse(r#"{"tiers": []}"#).is_err());
        assert!(LoyaltyRules::parse(r#"{"bonus": 1}"#).is_err());
    }
}
