//! Moving a saved item onto the customer's active cart: the cart's line and the list's
//! tombstone in one transaction, so the item is never in neither place nor (once the
//! transaction applies) in both. With no active cart, the cart is created and the customer's
//! pointer set to it in the same transaction. A move whose end already holds (the item off
//! the list, on the active cart) answers that cart and writes nothing.

use omnicanal_store::{Key, WriteOp};

use crate::cart::change::Written;
use crate::cart::model::{Cart, CartError, MAX_QTY, Status, Write};
use crate::cart::record::{
    cart_key, from_item as cart_from_item, open_for_customer, pointer_cart_id, pointer_key, put_if_version as put_cart,
};
use crate::plan::Reads;
use crate::wishlist::model::{Wish, WishlistError};
use crate::wishlist::record::{from_item, put_if_version, wishlist_key};

/// Move `qty` of `sku` from `customer_id`'s list onto their active cart.
#[derive(Clone, Debug)]
pub struct MoveToCart {
    /// Whose list and cart.
    pub customer_id: String,
    /// The saved SKU.
    pub sku: String,
    /// Units to put on the cart (added to a line already there, up to the line's most).
    pub qty: u32,
    /// The channel the move comes through (the cart line's).
    pub channel: String,
    /// Now, nanoseconds since the epoch.
    pub now_ns: i64,
    /// When the cart is written (a customer's cart never expires).
    pub written: Written,
    /// The id a new cart gets, when the customer has no active cart.
    pub new_cart_id: String,
}

impl MoveToCart {
    /// What to read first: the list and the customer's cart pointer.
    pub fn first_reads(&self) -> Vec<Key> {
        vec![wishlist_key(&self.customer_id), pointer_key(&self.customer_id)]
    }

    /// The cart the pointer names, if any: what to read next.
    pub fn cart_named(&self, read: &Reads) -> Result<Option<String>, WishlistError> {
        Ok(read.get(&pointer_key(&self.customer_id)).cloned().map(pointer_cart_id).transpose()?)
    }

    /// The transaction, and the cart as it will stand: `read` holds the first reads and the
    /// cart they named (absent when it was not read or is gone). No writes: already moved.
    pub fn decide(&self, read: &Reads, named: Option<&str>) -> Result<(Vec<WriteOp>, Cart), WishlistError> {
        let list = read.get(&wishlist_key(&self.customer_id)).cloned().map(from_item).transpose()?;
        let stored = match named {
            Some(id) => read.get(&cart_key(id)).cloned().map(cart_from_item).transpose()?,
            None => None,
        };
        let active =
            stored.filter(|c| c.status == Status::Active && c.customer_id.as_deref() == Some(&self.customer_id));
        let Some(current) = list.filter(|l| l.holds(&self.sku)) else {
            // Already moved: off the list and on the active cart. A move retried after its
            // answer was lost (or tapped twice) finds its own end and answers it, unwritten.
            return match active.filter(|cart| cart.lines.get(&self.sku).is_some_and(|l| !l.is_tombstone())) {
                Some(cart) => Ok((Vec::new(), cart)),
                None => Err(WishlistError::NotSaved(self.sku.clone())),
            };
        };
        let (mut cart, read_version) = match active {
            Some(cart) => {
                let version = cart.version;
                (cart, Some(version))
            }
            None => (Cart::new(self.new_cart_id.clone(), Some(self.customer_id.clone()), &self.written.at, None), None),
        };
        let have = cart.lines.get(&self.sku).filter(|l| !l.is_tombstone()).map_or(0, |l| l.qty);
        let stamp = cart.server_stamp(&self.sku, self.now_ns);
        let qty = have.saturating_add(self.qty).min(MAX_QTY);
        cart.apply(Write { sku: self.sku.clone(), qty, stamp, channel: self.channel.clone() }, &self.written.at);
        cart.settle().map_err(WishlistError::from)?;
        let mut ops = match read_version {
            Some(version) => {
                self.written.stamp(&mut cart, version);
                vec![put_cart(&cart, Some(version))?]
            }
            None => open_for_customer(&self.customer_id, &cart, named)?,
        };
        let mut next = current.clone();
        let stamp = next.server_stamp(&self.sku, self.now_ns);
        next.apply(Wish { sku: self.sku.clone(), remove: true, stamp, channel: self.channel.clone(), price: None });
        next.settle()?;
        next.version = current.version + 1;
        next.updated_at.clone_from(&self.written.at);
        ops.push(put_if_version(&next, current.version)?);
        Ok((ops, cart))
    }
}

impl From<CartError> for WishlistError {
    fn from(err: CartError) -> Self {
        Self::Cart(Box::new(err))
    }
}
