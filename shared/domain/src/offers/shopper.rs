//! What eligibility is judged on ([`crate::offers::rules::is_eligible`]): the shopper (tier,
//! channel, affinity) and their cart priced from the product records. `/offers/me`, redeem
//! and the checkout read them the same way, from the same items.

use std::collections::BTreeMap;

use omnicanal_store::{Item, Key, StoreError};

use crate::catalog::{self, Product};
use crate::loyalty::rules::Tier;
use crate::offers::profile::from_item as profile_from_item;
use crate::offers::rules::{PricedLine, Shopper};
use crate::values::Sku;

/// The shopper from their profile and loyalty account as read (either may be absent),
/// shopping through `channel` at `now`, their affinity decayed with `half_life_secs`.
pub fn shopper(
    profile: Option<Item>,
    account: Option<&Item>,
    channel: &str,
    now: i64,
    half_life_secs: f64,
) -> Result<Shopper, StoreError> {
    let profile = profile.map(profile_from_item).transpose()?.unwrap_or_default();
    Ok(Shopper {
        tier: Tier::of_account(account),
        channel: channel.to_owned(),
        affinity: profile.decayed(now, half_life_secs),
    })
}

/// The product keys of `lines` (SKU, quantity).
pub fn product_keys(lines: &[(String, u32)]) -> Vec<Key> {
    lines.iter().filter_map(|(sku, _)| Sku::parse(sku).ok()).map(|s| catalog::product_key(&s)).collect()
}

/// The products among `found`, by SKU.
pub fn products(found: impl IntoIterator<Item = Item>) -> Result<BTreeMap<String, Product>, StoreError> {
    let mut by_sku = BTreeMap::new();
    for item in found {
        let product = Product::from_item(item)?;
        by_sku.insert(product.sku.as_str().to_owned(), product);
    }
    Ok(by_sku)
}

/// `lines` priced from `products`; a line without a product record cannot be priced and is
/// left out.
pub fn priced(lines: &[(String, u32)], products: &BTreeMap<String, Product>) -> Vec<PricedLine> {
    lines
        .iter()
        .filter_map(|(sku, qty)| {
            products.get(sku).map(|p| PricedLine {
                sku: sku.clone(),
                category: p.category.clone(),
                qty: *qty,
                unit: p.price,
            })
        })
        .collect()
}
