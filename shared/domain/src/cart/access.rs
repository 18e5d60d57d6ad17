//! Who may touch a cart: anyone holding an anonymous cart's id (the id is the capability),
//! and only its owner for a customer's cart.

use crate::cart::model::{Cart, CartError};

/// Who is asking, as far as carts care.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Holder {
    /// No token.
    Anonymous,
    /// A customer's token: the customer's id.
    Customer(String),
    /// A valid token without the customer role.
    Other,
}

impl Holder {
    /// The customer's id, when a customer asks.
    pub fn customer(&self) -> Option<&str> {
        match self {
            Self::Customer(id) => Some(id),
            Self::Anonymous | Self::Other => None,
        }
    }

    /// Refuses a holder who may not read or change `cart`.
    pub fn may_touch(&self, cart: &Cart) -> Result<(), CartError> {
        match (&cart.customer_id, self) {
            (None, _) => Ok(()),
            (Some(owner), Self::Customer(id)) if owner == id => Ok(()),
            (Some(_), holder) => Err(CartError::NotYours { signed_in: *holder != Self::Anonymous }),
        }
    }
}
