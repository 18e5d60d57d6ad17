//! The wishlist (customers only): `GET /cart/wishlist`, `PUT` and `DELETE
//! /cart/wishlist/items/{sku}`, `POST /cart/wishlist/sync` and `POST
//! /cart/wishlist/items/{sku}/move`. The rules are the wishlist domain's
//! ([`omnicanal_domain::wishlist`]); keys and costs are in its `record`.

pub(crate) mod items;
pub(crate) mod moving;
mod shown;
pub(crate) mod sync;
