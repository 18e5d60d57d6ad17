//! Why the orders domain refuses: every problem a checkout finds (a quote lists them all, a
//! checkout refuses with the first by the contract's precedence), and what a confirm or a
//! cancel runs into. Mapped to HTTP in `omnicanal_pipeline::refusal`, the one place.

use omnicanal_store::StoreError;
use serde::Serialize;

use crate::cart::model::CartError;
use crate::loyalty::account::LoyaltyError;
use crate::offers::redemption::RedeemError;
use crate::orders::record::OrderStatus;
use crate::stock::refusal::StockError;

/// One reason a checkout cannot happen as asked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Stable code: `empty_cart`, `unknown_sku`, `insufficient_stock`, …
    pub code: &'static str,
    /// The line it is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    /// What is wrong, in words.
    pub detail: String,
}

impl Problem {
    /// A problem of the whole checkout.
    pub fn new(code: &'static str, detail: impl Into<String>) -> Self {
        Self { code, sku: None, detail: detail.into() }
    }

    /// A problem of one line.
    pub fn of_line(code: &'static str, sku: &str, detail: impl Into<String>) -> Self {
        Self { code, sku: Some(sku.to_owned()), detail: detail.into() }
    }

    /// Whether the request itself is wrong (`422`) rather than the state it met (`409`).
    pub fn is_unprocessable(&self) -> bool {
        UNPROCESSABLE.contains(&self.code)
    }

    /// Where it ranks when several apply: `422`s first, then the `409`s in the contract's
    /// order.
    pub fn rank(&self) -> usize {
        UNPROCESSABLE.iter().chain(CONFLICTS.iter()).position(|c| *c == self.code).unwrap_or(usize::MAX)
    }
}

/// The `422` problems, first to last.
const UNPROCESSABLE: [&str; 5] =
    ["empty_cart", "unknown_sku", "mixed_currencies", "points_exceed_total", "order_too_large"];
/// The `409` problems in the contract's order.
const CONFLICTS: [&str; 6] = [
    "cart_changed",
    "insufficient_stock",
    "offer_not_eligible",
    "offer_limit_reached",
    "insufficient_points",
    "total_changed",
];

/// Why an orders plan refuses.
#[derive(Debug, thiserror::Error)]
pub enum OrderError {
    /// The checkout found problems: every one, ranked, and the quote they were found in.
    #[error("{}", .problems.first().map_or("the checkout cannot happen as asked", |p| p.detail.as_str()))]
    Refused {
        /// Every problem, first by precedence.
        problems: Vec<Problem>,
        /// The quote as it stands now (`total_changed` answers it).
        quote: Box<serde_json::Value>,
    },
    /// No order has this id.
    #[error("no such order")]
    NoSuchOrder,
    /// The order id is taken by another checkout (another cart, customer or request).
    #[error("this order_id was used for another checkout")]
    OrderIdReused,
    /// The order expired before this could happen.
    #[error("the order expired before it was confirmed")]
    Expired,
    /// The order's status does not allow this.
    #[error("the order is {}; this needs it {wanted}", .status.as_str())]
    InvalidStatus {
        /// Where it stands.
        status: OrderStatus,
        /// What the change needs.
        wanted: &'static str,
    },
    /// A return id used for another return of this order.
    #[error("this return_id was used for another return")]
    ReturnIdReused,
    /// More units than were bought less those returned.
    #[error("{sku}: only {left} units can still be returned")]
    ReturnExceedsOrder {
        /// The line.
        sku: String,
        /// Units that can still come back.
        left: i64,
    },
    /// The order has as many returns as it can list.
    #[error("this order has had as many returns as one order takes")]
    TooManyReturns,
    /// No location has this id.
    #[error("no location {0}")]
    NoSuchLocation(String),
    /// The cart refuses (closed, not the caller's).
    #[error(transparent)]
    Cart(#[from] CartError),
    /// The stock domain refuses (a sale of more than is on hand).
    #[error(transparent)]
    Stock(#[from] StockError),
    /// The offers domain refuses (lost a race for the last use).
    #[error(transparent)]
    Offer(#[from] RedeemError),
    /// The loyalty domain refuses (lost a race for the points).
    #[error(transparent)]
    Loyalty(#[from] LoyaltyError),
    /// A stored item could not be read or written.
    #[error(transparent)]
    Record(#[from] StoreError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unprocessable_problems_rank_before_conflicts_in_the_contracts_order() {
        let codes = ["total_changed", "cart_changed", "unknown_sku", "insufficient_stock", "empty_cart"];
        let mut problems: Vec<Problem> = codes.iter().map(|c| Problem::new(c, "x")).collect();
        problems.sort_by_key(Problem::rank);
        let sorted: Vec<&str> = problems.iter().map(|p| p.code).collect();
        assert_eq!(sorted, ["empty_cart", "unknown_sku", "cart_changed", "insufficient_stock", "total_changed"]);
        assert!(problems[1].is_unprocessable() && !problems[2].is_unprocessable());
    }
}
