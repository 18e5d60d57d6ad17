//! The reads every stock decision starts from: locations, product records and levels,
//! fetched in as few round trips as the table allows.

use std::collections::BTreeMap;

use omnicanal_domain::catalog::{self, Product};
use omnicanal_domain::values::Sku;
use omnicanal_pipeline::error::{ApiError, FieldError};
use omnicanal_store::{Item, Key, MAX_BATCH_GET_KEYS, Query, Store, StoreError};

use omnicanal_domain::stock::records::{LOCATIONS_PK, Level, Location, level_key};
use omnicanal_domain::stock::rules;

/// Every location (1 query per 1000).
pub(crate) async fn locations<S: Store>(store: &S) -> Result<Vec<Location>, StoreError> {
    let mut all = Vec::new();
    let mut query = Query::partition(LOCATIONS_PK, 1000);
    loop {
        let page = store.query(&query).await?;
        for item in page.items {
            all.push(Location::from_item(item)?);
        }
        match page.cursor {
            Some(cursor) => query = query.after(Some(cursor)),
            None => return Ok(all),
        }
    }
}

/// Reads many keys, 100 per batch read.
pub(crate) async fn batch_get_all<S: Store>(store: &S, keys: &[Key]) -> Result<Vec<Option<Item>>, StoreError> {
    let mut found = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(MAX_BATCH_GET_KEYS) {
        found.extend(store.batch_get(chunk).await?);
    }
    Ok(found)
}

/// Products and their levels at some locations, as one set of batch reads.
#[derive(Debug, Default)]
pub(crate) struct Stock {
    /// Products by SKU (only the ones that exist).
    pub products: BTreeMap<String, Product>,
    /// Levels by (SKU, location).
    pub levels: BTreeMap<(String, String), Level>,
}

impl Stock {
    /// Reads `skus` and their levels at `location_ids`: ⌈k·(1+n)/100⌉ batch reads.
    pub(crate) async fn read<S: Store>(
        store: &S,
        skus: &[String],
        location_ids: &[String],
    ) -> Result<Self, StoreError> {
        Ok(Self::read_along(store, skus, location_ids, None).await?.0)
    }

    /// As [`Stock::read`], fetching one more item, `along`, in the same batch reads, so a
    /// decision that also needs it (a reservation's own record) costs no extra round trip.
    pub(crate) async fn read_along<S: Store>(
        store: &S,
        skus: &[String],
        location_ids: &[String],
        along: Option<&Key>,
    ) -> Result<(Self, Option<Item>), StoreError> {
        let mut keys = Vec::with_capacity(skus.len() * (1 + location_ids.len()) + 1);
        for sku in skus {
            let parsed = Sku::parse(sku).map_err(StoreError::Invalid)?;
            keys.push(catalog::product_key(&parsed));
            keys.extend(location_ids.iter().map(|loc| level_key(sku, loc)));
        }
        keys.extend(along.cloned());
        let mut found = batch_get_all(store, &keys).await?;
        let extra = if along.is_some() { found.pop().flatten() } else { None };
        let mut stock = Self::default();
        for item in found.into_iter().flatten() {
            if item
                .get("sk")
                .is_some_and(|sk| matches!(sk, omnicanal_store::AttributeValue::S(s) if s == catalog::PRODUCT_SK))
            {
                let product = Product::from_item(item)?;
                stock.products.insert(product.sku.as_str().to_owned(), product);
            } else {
                let level = Level::from_item(item)?;
                stock.levels.insert((level.sku.clone(), level.location_id.clone()), level);
            }
        }
        Ok((stock, extra))
    }

    /// Units of `sku` available now at `location_id`.
    pub(crate) fn available(&self, sku: &str, location_id: &str, now: i64) -> i64 {
        let safety = self.products.get(sku).map_or(0, |p| i64::from(p.safety_stock));
        rules::available(self.levels.get(&(sku.to_owned(), location_id.to_owned())), safety, now)
    }

    /// `422` naming the SKUs (at `field[i]`) that have no product record.
    pub(crate) fn require_products(&self, skus: &[(String, String)]) -> Result<(), ApiError> {
        let errors: Vec<FieldError> = skus
            .iter()
            .filter(|(_, sku)| !self.products.contains_key(sku))
            .map(|(field, sku)| FieldError::new(field.clone(), format!("no product with SKU {sku}")))
            .collect();
        if errors.is_empty() { Ok(()) } else { Err(ApiError::Validation(errors)) }
    }
}

/// The locations that sell to `channel`, narrowed to `only` when given (`422` if `only` is
/// not a known location).
pub(crate) async fn selling_locations<S: Store>(
    store: &S,
    channel: &str,
    only: Option<&str>,
) -> Result<Vec<Location>, ApiError> {
    let all = locations(store).await?;
    if let Some(only) = only
        && !all.iter().any(|l| l.location_id == only)
    {
        return Err(ApiError::invalid("location_id", format!("no location {only}")));
    }
    Ok(all.into_iter().filter(|l| rules::sells_to(l, channel) && only.is_none_or(|o| o == l.location_id)).collect())
}
