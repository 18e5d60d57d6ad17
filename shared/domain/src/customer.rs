//! Per-customer items that several functions read: the behaviour profile (written by offers)
//! and the loyalty account (written by loyalty, whose tier offers read, see
//! [`crate::loyalty::rules::Tier`]). Their keys live here, once.
//!
//! | item | key |
//! |---|---|
//! | behaviour profile | `CUSTOMER#<sub>` / `PROFILE` |
//! | loyalty account (balance, tier) | `CUSTOMER#<sub>` / `LOYALTY` |

use crate::keys::part;
use omnicanal_store::Key;

/// The key of a customer's behaviour profile.
pub fn profile_key(customer_id: &str) -> Key {
    Key::new(format!("CUSTOMER#{}", part(customer_id)), "PROFILE")
}

/// The key of a customer's loyalty account.
pub fn loyalty_account_key(customer_id: &str) -> Key {
    Key::new(format!("CUSTOMER#{}", part(customer_id)), "LOYALTY")
}
