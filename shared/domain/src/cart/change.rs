//! A change to one cart, as a plan: read the cart, check the holder, `If-Match` and status,
//! apply the change, and put it back only if its version did not move meanwhile. A lost race
//! is decided again on a fresh read, unless the caller sent `If-Match`: the version then moved,
//! and the next decision refuses with the current cart.

use omnicanal_store::{Key, StoreError};

use crate::cart::access::Holder;
use crate::cart::model::{Cart, CartError};
use crate::cart::record::{cart_key, from_item, put_if_version};
use crate::plan::{Plan, Reads, Step};

/// When a cart is written, and what that makes its expiry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written {
    /// Now (RFC 3339).
    pub at: String,
    /// When an anonymous cart written now expires (epoch seconds); customers' carts never do.
    pub anonymous_expires_at: i64,
}

impl Written {
    /// Stamps `cart` as written now: its version after `read_version`, time and expiry.
    pub fn stamp(&self, cart: &mut Cart, read_version: u64) {
        cart.version = read_version + 1;
        cart.updated_at.clone_from(&self.at);
        cart.expires_at = cart.customer_id.is_none().then_some(self.anonymous_expires_at);
    }
}

/// Change cart `cart_id` for `holder` with `change`, which answers whether it changed
/// anything (an unchanged cart is not written) and what to answer.
pub struct CartChange<F> {
    /// The cart.
    pub cart_id: String,
    /// Who asks.
    pub holder: Holder,
    /// The `If-Match` version and the tag as sent, if any.
    pub expected: Option<(u64, String)>,
    /// When.
    pub written: Written,
    /// The change.
    pub change: F,
}

impl<T, E, F> Plan for CartChange<F>
where
    F: Fn(&mut Cart) -> Result<(bool, T), E>,
    E: From<CartError> + From<StoreError>,
{
    type Answer = (Cart, T);
    type Refusal = E;

    fn reads(&self) -> Vec<Key> {
        vec![cart_key(&self.cart_id)]
    }

    fn decide(&self, read: &Reads) -> Result<Step<(Cart, T)>, E> {
        let item = read.get(&cart_key(&self.cart_id)).ok_or(CartError::NoSuchCart)?;
        let current = from_item(item.clone())?;
        self.holder.may_touch(&current)?;
        if let Some((version, sent)) = &self.expected
            && *version != current.version
        {
            return Err(CartError::VersionMismatch { current: Box::new(current), sent: sent.clone() }.into());
        }
        current.ensure_active()?;
        let mut next = current.clone();
        let (changed, outcome) = (self.change)(&mut next)?;
        if !changed {
            return Ok(Step::Done((current, outcome)));
        }
        next.settle()?;
        self.written.stamp(&mut next, current.version);
        let ops = vec![put_if_version(&next, Some(current.version))?];
        Ok(Step::Write { ops, then: (next, outcome) })
    }
}

#[cfg(test)]
#[path = "change_tests.rs"]
mod tests;
