//! Who may touch a cart: anyone holding an anonymous cart's id (the id is the capability),
//! and only its owner for a customer's cart.

use omnicanal_pipeline::auth::{AuthError, Role};
use omnicanal_pipeline::error::ApiError;
use omnicanal_pipeline::http::Call;

use omnicanal_domain::cart::model::Cart;
pub(crate) use omnicanal_domain::cart::record::is_cart_id;

/// Refuses a caller who may not read or change `cart`: `401` without a token on a
/// customer's cart, `403` with someone else's.
pub(crate) fn authorize<S>(call: &Call<'_, S>, cart: &Cart) -> Result<(), ApiError> {
    let Some(owner) = &cart.customer_id else {
        // Still surface a bad token rather than silently ignoring it.
        call.caller()?;
        return Ok(());
    };
    match call.caller()? {
        None => Err(ApiError::Unauthenticated(AuthError::Missing)),
        Some(caller) if caller.has(Role::Customer) && &caller.sub == owner => Ok(()),
        Some(_) => Err(ApiError::forbidden("this cart belongs to another customer")),
    }
}

/// A cart id from the path, if it has the form we issue (22 URL-safe characters: 128 random
/// bits). Anything else cannot name a cart.
pub(crate) fn cart_id<S>(call: &Call<'_, S>, name: &str) -> Result<String, ApiError> {
    let id = call.param(name)?;
    if is_cart_id(id) { Ok(id.to_owned()) } else { Err(ApiError::not_found("no such cart")) }
}
