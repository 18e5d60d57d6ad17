//! Why the stock domain refuses a change.

use omnicanal_store::StoreError;
use serde::Serialize;

use crate::field::FieldError;
use crate::stock::records::ReservationStatus;

/// A line no single location could serve: what was asked, and the most any one has.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ShortLine {
    /// SKU.
    pub sku: String,
    /// Units asked for.
    pub qty: i64,
    /// The units available at the one location that could serve the most of the request.
    pub available: i64,
}

/// A refused stock change.
#[derive(Debug, thiserror::Error)]
pub enum StockError {
    /// No single location can serve every line.
    #[error("{}", if short.is_empty() { "no single location can serve every line".to_owned() } else { format!("{} line(s) cannot be served", short.len()) })]
    Insufficient {
        /// The lines that cannot be served anywhere (empty: each can somewhere, not all at one).
        short: Vec<ShortLine>,
    },
    /// Lines name SKUs without a product record.
    #[error("no product with this SKU")]
    UnknownProducts(Vec<FieldError>),
    /// The reservation id was used for another request.
    #[error("this reservation_id was used for another reservation")]
    ReservationIdReused,
    /// No product has this SKU.
    #[error("no product with SKU {0}")]
    NoSuchProduct(String),
    /// No location has this id.
    #[error("no location {0}")]
    NoSuchLocation(String),
    /// A movement out of more units than are on hand.
    #[error("only {on_hand} on hand")]
    NotEnoughOnHand {
        /// Units on hand.
        on_hand: i64,
    },
    /// The event id was used for another movement.
    #[error("this event_id was applied to another movement")]
    EventIdReused,
    /// The cart's holder already holds stock with another live reservation.
    #[error("this cart already holds stock with reservation {0}; release it first")]
    CartAlreadyHolds(String),
    /// No reservation has this id.
    #[error("no such reservation")]
    NoSuchReservation,
    /// The reservation cannot move from where it stands to where it was asked to.
    #[error("{}", format!("the reservation is {shown:?}, it cannot become {target:?}").to_lowercase())]
    WrongState {
        /// Where it stands (lazy expiry applied).
        shown: ReservationStatus,
        /// Where it was asked to go.
        target: ReservationStatus,
    },
    /// A stored item could not be read or written.
    #[error(transparent)]
    Record(#[from] StoreError),
}
