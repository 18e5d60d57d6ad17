//! Who may touch a cart (the rule is the cart domain's [`Holder::may_touch`]), and cart ids
//! from the path.

use omnicanal_domain::cart::access::Holder;
use omnicanal_domain::cart::model::Cart;
use omnicanal_domain::ids::CartId;
use omnicanal_pipeline::error::ApiError;
use omnicanal_pipeline::http::Call;

use crate::repo::holder;

/// Refuses a caller who may not read or change `cart`: `401` without a token on a
/// customer's cart, `403` with someone else's.
pub(crate) fn authorize<S>(call: &Call<'_, S>, cart: &Cart) -> Result<(), ApiError> {
    let holder: Holder = holder(call)?;
    Ok(holder.may_touch(cart)?)
}

/// A cart id from the path, if it has the form we issue (22 URL-safe characters: 128 random
/// bits). Anything else cannot name a cart.
pub(crate) fn cart_id<S>(call: &Call<'_, S>, name: &str) -> Result<String, ApiError> {
    let id = CartId::parse(call.param(name)?).map_err(|_| ApiError::not_found("no such cart"))?;
    Ok(id.into_string())
}
