//! Per-customer items that several functions read: the behaviour profile (written by offers)
//! and the loyalty account (written by loyalty, whose tier offers read). Their keys live here,
//! once.
//!
//! | item | key |
//! |---|---|
//! | behaviour profile | `CUSTOMER#<sub>` / `PROFILE` |
//! | loyalty account (balance, tier) | `CUSTOMER#<sub>` / `LOYALTY` |

use serde::{Deserialize, Serialize};

use omnicanal_store::{AttributeValue, Item, Key};

/// The key of a customer's behaviour profile.
pub fn profile_key(customer_id: &str) -> Key {
    Key::new(format!("CUSTOMER#{customer_id}"), "PROFILE")
}

/// The key of a customer's loyalty account.
pub fn loyalty_account_key(customer_id: &str) -> Key {
    Key::new(format!("CUSTOMER#{customer_id}"), "LOYALTY")
}

/// Loyalty tiers, lowest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    /// From 0.
    #[default]
    Bronze,
    /// From 500.00 of 12-month spend.
    Silver,
    /// From 2000.00 of 12-month spend.
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
