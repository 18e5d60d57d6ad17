//! How each domain's refusals answer: the one place a domain error becomes an [`ApiError`]
//! (which [`crate::problem`] then renders). A domain names what went wrong; the status and
//! the stable `code` are decided here.

use omnicanal_domain::cart::model::CartError;
use omnicanal_domain::cart::view::CartView;
use omnicanal_domain::loyalty::account::LoyaltyError;
use omnicanal_domain::offers::redemption::RedeemError;
use omnicanal_domain::orders::refusal::OrderError;
use omnicanal_domain::stock::records::ReservationStatus;
use omnicanal_domain::stock::refusal::StockError;
use omnicanal_domain::wishlist::model::WishlistError;
use serde_json::{Map, Value, json};

use crate::auth::AuthError;
use crate::error::{ApiError, FieldError};

impl From<RedeemError> for ApiError {
    fn from(err: RedeemError) -> Self {
        match err {
            RedeemError::NoSuchOffer => Self::not_found("no such offer"),
            RedeemError::NotActive => Self::conflict("offer_not_active", err.to_string()),
            RedeemError::NotEligible => Self::conflict("offer_not_eligible", err.to_string()),
            RedeemError::LimitReached { .. } => Self::conflict("offer_limit_reached", err.to_string()),
            RedeemError::Record(store) => store.into(),
        }
    }
}

impl From<LoyaltyError> for ApiError {
    fn from(err: LoyaltyError) -> Self {
        match err {
            LoyaltyError::InsufficientPoints { balance } => {
                let mut extra = Map::new();
                extra.insert("balance".into(), json!(balance));
                Self::Conflict { code: "insufficient_points", detail: err.to_string(), extra }
            }
            LoyaltyError::OrderOfAnotherCustomer => Self::conflict("order_conflict", err.to_string()),
            LoyaltyError::NothingEarned => Self::not_found(err.to_string()),
            LoyaltyError::Record(store) => store.into(),
        }
    }
}

impl From<StockError> for ApiError {
    fn from(err: StockError) -> Self {
        match err {
            StockError::Insufficient { ref short, .. } => {
                let mut extra = Map::new();
                extra.insert("lines".into(), json!(short));
                Self::Conflict { code: "insufficient_stock", detail: err.to_string(), extra }
            }
            StockError::UnknownProducts(errors) => Self::Validation(errors),
            StockError::ReservationIdReused => Self::conflict("reservation_id_reused", err.to_string()),
            StockError::NoSuchProduct(_) | StockError::NoSuchLocation(_) => Self::not_found(err.to_string()),
            StockError::NotEnoughOnHand { .. } => Self::conflict("insufficient_stock", err.to_string()),
            StockError::EventIdReused => Self::conflict("event_id_reused", err.to_string()),
            StockError::NoSuchReservation => Self::not_found(err.to_string()),
            StockError::CartAlreadyHolds(_) => Self::conflict("cart_already_reserved", err.to_string()),
            StockError::WrongState { shown, .. } => {
                let code = if shown == ReservationStatus::Expired {
                    "reservation_expired"
                } else {
                    "invalid_reservation_state"
                };
                Self::conflict(code, err.to_string())
            }
            StockError::Record(store) => store.into(),
        }
    }
}

impl From<CartError> for ApiError {
    fn from(err: CartError) -> Self {
        match err {
            CartError::Closed(_) => Self::conflict("cart_closed", err.to_string()),
            CartError::TooManyLines => Self::invalid("lines", err.to_string()),
            CartError::NoSuchCart => Self::not_found(err.to_string()),
            CartError::NotYours { signed_in: false } => Self::Unauthenticated(AuthError::Missing),
            CartError::NotYours { signed_in: true } => Self::forbidden(err.to_string()),
            CartError::VersionMismatch { ref current, .. } => {
                let mut extra = Map::new();
                extra.insert("cart".into(), serde_json::to_value(CartView::of(current)).unwrap_or_default());
                Self::PreconditionFailed { code: "version_mismatch", detail: err.to_string(), extra }
            }
            CartError::Record(store) => store.into(),
        }
    }
}

impl From<WishlistError> for ApiError {
    fn from(err: WishlistError) -> Self {
        match err {
            WishlistError::TooManyItems => Self::invalid("items", err.to_string()),
            WishlistError::UnknownProducts(unknown) => Self::Validation(
                unknown
                    .into_iter()
                    .map(|(field, sku)| FieldError::new(field, format!("no product with SKU {sku}")))
                    .collect(),
            ),
            WishlistError::NotSaved(_) => Self::not_found(err.to_string()),
            WishlistError::Cart(cart) => (*cart).into(),
            WishlistError::Record(store) => store.into(),
        }
    }
}

impl From<OrderError> for ApiError {
    fn from(err: OrderError) -> Self {
        match err {
            OrderError::Refused { problems, quote } => {
                let Some(first) = problems.first().cloned() else {
                    return Self::internal("a refused checkout without a problem");
                };
                let mut extra = Map::new();
                if first.code == "insufficient_stock" {
                    // The short lines, as a reservation's refusal lists them.
                    let short: Vec<Value> = quote["lines"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter(|line| line["ok"] == json!(false))
                        .map(|line| json!({"sku": line["sku"], "qty": line["qty"], "available": line["available"]}))
                        .collect();
                    extra.insert("lines".into(), Value::Array(short));
                }
                extra.insert("problems".into(), json!(problems));
                extra.insert("quote".into(), *quote);
                if first.is_unprocessable() {
                    Self::Unprocessable { code: first.code, detail: first.detail, extra }
                } else {
                    Self::Conflict { code: first.code, detail: first.detail, extra }
                }
            }
            OrderError::NoSuchOrder => Self::not_found(err.to_string()),
            OrderError::OrderIdReused => Self::conflict("order_id_reused", err.to_string()),
            OrderError::Expired => Self::conflict("order_expired", err.to_string()),
            OrderError::InvalidStatus { .. } => Self::conflict("invalid_status", err.to_string()),
            OrderError::ReturnIdReused => {
                Self::Unprocessable { code: "return_id_reused", detail: err.to_string(), extra: Map::new() }
            }
            OrderError::ReturnExceedsOrder { ref sku, left } => {
                let mut extra = Map::new();
                extra.insert("sku".into(), json!(sku));
                extra.insert("returnable".into(), json!(left));
                Self::Conflict { code: "return_exceeds_order", detail: err.to_string(), extra }
            }
            OrderError::TooManyReturns => Self::conflict("too_many_returns", err.to_string()),
            OrderError::NoSuchLocation(_) => Self::invalid("location_id", err.to_string()),
            OrderError::Cart(cart) => cart.into(),
            OrderError::Stock(stock) => stock.into(),
            OrderError::Offer(offer) => offer.into(),
            OrderError::Loyalty(loyalty) => loyalty.into(),
            OrderError::Record(store) => store.into(),
        }
    }
}
