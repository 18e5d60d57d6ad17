//! `GET /stock/reorder?location_id=L` (staff): the items at or under their reorder point at
//! a location, read from the sparse GSI entry the level writes keep. Cost: 1 GSI query per
//! page (`limit`, `cursor`) + 1 batch read of the products.

use bytes::Bytes;
use http::StatusCode;
use omnicanal_domain::catalog;
use omnicanal_domain::values::Sku;
use omnicanal_pipeline::auth::Role;
use omnicanal_pipeline::error::ApiError;
use omnicanal_pipeline::http::{Call, json};
use omnicanal_store::{Query, Store};
use serde_json::json;

use omnicanal_domain::stock::records::{Level, reorder_pk};

/// Lists the location's items to reorder, by SKU, with on hand and reorder point.
pub(crate) async fn list<S: Store>(call: &Call<'_, S>) -> Result<http::Response<Bytes>, ApiError> {
    call.require(&[Role::Staff])?;
    let location_id = call
        .query_value("location_id")?
        .filter(|id| omnicanal_pipeline::context::is_location_id(id))
        .ok_or_else(|| ApiError::invalid("location_id", "a location id is required"))?
        .to_owned();
    let (limit, cursor) = call.paging(100, 100)?;
    let query = Query::gsi1(reorder_pk(&location_id), limit).after(cursor);
    // A foreign cursor is a 400 `invalid_cursor` (mapped with every store error).
    let page = call.env.store.query(&query).await?;
    let levels: Vec<Level> = page.items.into_iter().map(Level::from_item).collect::<Result<_, _>>()?;
    let keys: Vec<_> =
        levels.iter().filter_map(|l| Sku::parse(&l.sku).ok()).map(|sku| catalog::product_key(&sku)).collect();
    let products = call.env.store.batch_get(&keys).await?;
    let items: Vec<_> = levels
        .iter()
        .zip(products)
        .filter_map(|(level, product)| {
            let product = catalog::Product::from_item(product?).ok()?;
            // An entry written before the reorder point was lowered is dropped here.
            (level.on_hand <= i64::from(product.reorder_point)).then(|| {
                json!({"sku": level.sku, "location_id": level.location_id, "on_hand": level.on_hand,
                       "reorder_point": product.reorder_point, "name": product.name})
            })
        })
        .collect();
    json::response(StatusCode::OK, &json!({"items": items, "next_cursor": page.cursor.map(|c| c.as_str().to_owned())}))
}
