//! What eligibility is judged on, read for this request: the domain's
//! [`omnicanal_domain::offers::shopper`] with the request's channel, time and configuration.

use omnicanal_domain::cart::model::Cart;
use omnicanal_domain::customer::{loyalty_account_key, profile_key};
use omnicanal_domain::offers::rules::{PricedLine, Shopper};
use omnicanal_domain::offers::shopper as judged;
use omnicanal_pipeline::error::ApiError;
use omnicanal_pipeline::http::Call;
use omnicanal_store::{Item, Key};

use crate::events::half_life;

pub(crate) use judged::product_keys;

/// The keys of the shopper's profile and loyalty account.
pub(crate) fn keys(customer: &str) -> [Key; 2] {
    [profile_key(customer), loyalty_account_key(customer)]
}

/// The shopper from their profile and loyalty account as read (either may be absent).
pub(crate) fn shopper<S>(
    call: &Call<'_, S>,
    profile: Option<Item>,
    account: Option<&Item>,
) -> Result<Shopper, ApiError> {
    let channel = call.channel.to_string();
    Ok(judged::shopper(profile, account, &channel, call.now().unix_timestamp(), half_life(call))?)
}

/// The cart's live lines, refused when it is another customer's.
pub(crate) fn cart_lines(cart: &Cart, customer: &str) -> Result<Vec<(String, u32)>, ApiError> {
    if cart.customer_id.as_deref().is_some_and(|owner| owner != customer) {
        return Err(ApiError::forbidden("this cart belongs to another customer"));
    }
    Ok(cart.live_lines().map(|(sku, line)| (sku.clone(), line.qty)).collect())
}

/// The lines priced from the product records read; a line without one is left out.
pub(crate) fn priced(lines: &[(String, u32)], products: &[Option<Item>]) -> Result<Vec<PricedLine>, ApiError> {
    let products = judged::products(products.iter().flatten().cloned())?;
    Ok(judged::priced(lines, &products))
}
