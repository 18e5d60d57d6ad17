//! A wishlist answer: the list with each item's price now and in-stock state for the
//! caller's channel, read in one wave beside whatever else the call reads.

use bytes::Bytes;
use http::StatusCode;
use omnicanal_domain::plan;
use omnicanal_domain::stock::records::{Location, all_locations};
use omnicanal_domain::stock::rules::sells_to;
use omnicanal_domain::wishlist::model::Wishlist;
use omnicanal_domain::wishlist::view::{self, WishlistView};
use omnicanal_pipeline::error::ApiError;
use omnicanal_pipeline::http::{Call, json};
use omnicanal_store::{Store, StoreError};
use serde_json::{Map, Value};

/// The locations selling to the caller's channel: 1 query.
pub(super) async fn selling<S: Store>(call: &Call<'_, S>) -> Result<Vec<Location>, StoreError> {
    let channel = call.channel.to_string();
    Ok(all_locations(&call.env.store).await?.into_iter().filter(|l| sells_to(l, &channel)).collect())
}

/// Answers `list` (`extra` members besides, a sync's counts): its products and levels at
/// `locations` in batch reads issued together.
pub(super) async fn respond<S: Store>(
    call: &Call<'_, S>,
    list: &Wishlist,
    locations: &[Location],
    extra: Option<Map<String, Value>>,
) -> Result<http::Response<Bytes>, ApiError> {
    let read = plan::read(&call.env.store, &view::keys(list, locations)).await?;
    let shown = WishlistView::of(list, &read, locations, call.now().unix_timestamp())?;
    let mut body = serde_json::to_value(shown).map_err(|e| ApiError::internal_because("wishlist view", e))?;
    if let (Value::Object(members), Some(extra)) = (&mut body, extra) {
        members.extend(extra);
    }
    json::response(StatusCode::OK, &body)
}
