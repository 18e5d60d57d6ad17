//! The wishlist as the API shows it: each saved item with its price now, its price when
//! saved, whether it dropped, and whether the caller's channel can sell it now (as
//! `/stock/availability` counts it: the sum over the locations selling to the channel).

use serde::Serialize;

use crate::plan::Reads;
use crate::registers::Stamp;
use crate::stock::records::Location;
use crate::stock::view::StockView;
use crate::values::{Money, Sku};
use crate::wishlist::model::Wishlist;
use omnicanal_store::{Key, StoreError};

/// One saved item as clients see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ItemView {
    sku: String,
    added_at: String,
    channel: String,
    price: Option<Money>,
    price_when_added: Option<Money>,
    price_dropped: bool,
    in_stock: bool,
}

/// The contract's wishlist shape: items newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WishlistView {
    items: Vec<ItemView>,
    version: u64,
}

/// What a view of `list` reads: the saved items' products and their levels at the
/// `locations` selling to the caller's channel.
pub fn keys(list: &Wishlist, locations: &[Location]) -> Vec<Key> {
    StockView::keys(&saved_skus(list), &location_ids(locations))
}

fn saved_skus(list: &Wishlist) -> Vec<Sku> {
    list.saved().filter_map(|(sku, _)| Sku::parse(sku).ok()).collect()
}

fn location_ids(locations: &[Location]) -> Vec<String> {
    locations.iter().map(|l| l.location_id.clone()).collect()
}

/// The time of a stamp, RFC 3339.
fn stamp_time(stamp: &Stamp) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(stamp.at_ns))
        .map(omnicanal_platform::clock::rfc3339)
        .unwrap_or_default()
}

impl WishlistView {
    /// The view of `list` from a read of [`keys`] (`locations` sell to the caller's channel),
    /// availability as of `now` (epoch seconds).
    pub fn of(list: &Wishlist, read: &Reads, locations: &[Location], now: i64) -> Result<Self, StoreError> {
        let skus = saved_skus(list);
        let ids = location_ids(locations);
        let stock = StockView::from_reads(read, &skus, &ids)?;
        let mut saved: Vec<(&String, &crate::wishlist::model::Saved)> = list.saved().collect();
        // Newest first; one instant: by SKU.
        saved.sort_by(|(a_sku, a), (b_sku, b)| b.stamp.at_ns.cmp(&a.stamp.at_ns).then_with(|| a_sku.cmp(b_sku)));
        let items = saved
            .into_iter()
            .map(|(sku, item)| {
                let price = stock.products.get(sku.as_str()).map(|p| p.price);
                let price_dropped = matches!((price, item.price_when_added),
                    (Some(current), Some(then)) if current.currency == then.currency && current.amount < then.amount);
                let available: i64 = ids.iter().map(|loc| stock.available(sku, loc, now)).sum();
                ItemView {
                    sku: sku.clone(),
                    added_at: stamp_time(&item.stamp),
                    channel: item.channel.clone(),
                    price,
                    price_when_added: item.price_when_added,
                    price_dropped,
                    in_stock: available > 0,
                }
            })
            .collect();
        Ok(Self { items, version: list.version })
    }
}
