//! What eligibility is judged on (`omnicanal_domain::offers::rules::evaluate`): the shopper
//! (tier, channel, affinity) and their cart priced from the product records. `/offers/me`
//! and redeem read them the same way.

use std::collections::BTreeMap;

use omnicanal_domain::cart::model::Cart;
use omnicanal_domain::catalog::{self, Product};
use omnicanal_domain::customer::{loyalty_account_key, profile_key};
use omnicanal_domain::loyalty::rules::Tier;
use omnicanal_domain::offers::profile::{Profile, from_item as profile_from_item};
use omnicanal_domain::offers::rules::{PricedLine, Shopper};
use omnicanal_domain::values::Sku;
use omnicanal_pipeline::error::ApiError;
use omnicanal_pipeline::http::Call;
use omnicanal_store::{Item, Key};

use crate::events::half_life;

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
    let profile = profile.map(profile_from_item).transpose()?.unwrap_or_else(Profile::default);
    let now = call.now().unix_timestamp();
    Ok(Shopper {
        tier: Tier::of_account(account),
        channel: call.channel.to_string(),
        affinity: profile.decayed(now, half_life(call)),
    })
}

/// The cart's live lines, refused when it is another customer's.
pub(crate) fn cart_lines(cart: &Cart, customer: &str) -> Result<Vec<(String, u32)>, ApiError> {
    if cart.customer_id.as_deref().is_some_and(|owner| owner != customer) {
        return Err(ApiError::forbidden("this cart belongs to another customer"));
    }
    Ok(cart.live_lines().map(|(sku, line)| (sku.clone(), line.qty)).collect())
}

/// The product keys of the cart's lines.
pub(crate) fn product_keys(lines: &[(String, u32)]) -> Vec<Key> {
    lines.iter().filter_map(|(sku, _)| Sku::parse(sku).ok()).map(|s| catalog::product_key(&s)).collect()
}

/// The lines priced from the product records read; a line without one cannot be priced and
/// is left out.
pub(crate) fn priced(lines: &[(String, u32)], products: &[Option<Item>]) -> Result<Vec<PricedLine>, ApiError> {
    let mut prices: BTreeMap<String, Product> = BTreeMap::new();
    for item in products.iter().flatten() {
        let product = Product::from_item(item.clone())?;
        prices.insert(product.sku.as_str().to_owned(), product);
    }
    Ok(lines
        .iter()
        .filter_map(|(sku, qty)| {
            prices.get(sku).map(|p| PricedLine {
                sku: sku.clone(),
                category: p.category.clone(),
                qty: *qty,
                unit: p.price,
            })
        })
        .collect())
}
