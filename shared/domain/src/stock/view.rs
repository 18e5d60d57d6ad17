//! What a stock decision reads: the product records of some SKUs and their levels at some
//! locations, as one set of keys ([`StockView::keys`]) and the view built from them.

use std::collections::BTreeMap;

use omnicanal_store::{Key, StoreError};

use crate::catalog::{self, Product};
use crate::field::FieldError;
use crate::plan::Reads;
use crate::stock::records::{Level, level_key};
use crate::stock::rules;
use crate::values::Sku;

/// Products and their levels at some locations.
#[derive(Clone, Debug, Default)]
pub struct StockView {
    /// Products by SKU (only the ones that exist).
    pub products: BTreeMap<String, Product>,
    /// Levels by (SKU, location).
    pub levels: BTreeMap<(String, String), Level>,
}

impl StockView {
    /// The keys of `skus`' products and their levels at `location_ids`: `k·(1+n)` keys.
    pub fn keys(skus: &[Sku], location_ids: &[String]) -> Vec<Key> {
        let mut keys = Vec::with_capacity(skus.len() * (1 + location_ids.len()));
        for sku in skus {
            keys.push(catalog::product_key(sku));
            keys.extend(location_ids.iter().map(|loc| level_key(sku.as_str(), loc)));
        }
        keys
    }

    /// The view of what a read of [`StockView::keys`] found.
    pub fn from_reads(read: &Reads, skus: &[Sku], location_ids: &[String]) -> Result<Self, StoreError> {
        let mut view = Self::default();
        for sku in skus {
            if let Some(item) = read.get(&catalog::product_key(sku)) {
                view.products.insert(sku.as_str().to_owned(), Product::from_item(item.clone())?);
            }
            for loc in location_ids {
                if let Some(item) = read.get(&level_key(sku.as_str(), loc)) {
                    view.levels.insert((sku.as_str().to_owned(), loc.clone()), Level::from_item(item.clone())?);
                }
            }
        }
        Ok(view)
    }

    /// The level of `sku` at `location_id`, if it has one.
    pub fn level(&self, sku: &str, location_id: &str) -> Option<&Level> {
        self.levels.get(&(sku.to_owned(), location_id.to_owned()))
    }

    /// The safety stock of `sku` (0 without a product record).
    pub fn safety_stock(&self, sku: &str) -> i64 {
        self.products.get(sku).map_or(0, |p| i64::from(p.safety_stock))
    }

    /// The reorder point of `sku` (0 without a product record).
    pub fn reorder_point(&self, sku: &str) -> i64 {
        self.products.get(sku).map_or(0, |p| i64::from(p.reorder_point))
    }

    /// Units of `sku` available now at `location_id`.
    pub fn available(&self, sku: &str, location_id: &str, now: i64) -> i64 {
        rules::available(self.level(sku, location_id), self.safety_stock(sku), now)
    }

    /// One field error for each named SKU (`(field, sku)`) that has no product record.
    pub fn unknown_products(&self, named: &[(String, String)]) -> Vec<FieldError> {
        named
            .iter()
            .filter(|(_, sku)| !self.products.contains_key(sku))
            .map(|(field, sku)| FieldError::new(field.clone(), format!("no product with SKU {sku}")))
            .collect()
    }
}
