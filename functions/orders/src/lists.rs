//! The lists of orders: a customer's history (`GET /orders/me`) and a store's pickup queue
//! (`GET /orders/pickups`), each one query per page.

use bytes::Bytes;
use http::StatusCode;
use omnicanal_domain::orders::record::{Order, history_pk, pickup_pk};
use omnicanal_pipeline::auth::Role;
use omnicanal_pipeline::error::ApiError;
use omnicanal_pipeline::http::{Call, json};
use omnicanal_store::{Query, Store};
use serde_json::{Value, json};

/// The orders of a page, as the API shows them now.
fn shown(items: Vec<omnicanal_store::Item>, now: i64) -> Result<Vec<Value>, ApiError> {
    items.into_iter().map(|item| Ok(Order::from_item(item)?.view(now))).collect()
}

/// `GET /orders/me?limit=&cursor=` (customer): their orders from every channel, newest
/// first (`limit` 1-100, default 20). Cost: 1 query of their history partition per page.
pub(crate) async fn me<S: Store>(call: &Call<'_, S>) -> Result<http::Response<Bytes>, ApiError> {
    let customer = call.require(&[Role::Customer])?.sub.clone();
    let (limit, cursor) = call.paging(20, 100)?;
    let query = Query::partition(history_pk(&customer), limit).descending().after(cursor);
    let page = call.env.store.query(&query).await?;
    let orders = shown(page.items, call.now().unix_timestamp())?;
    let next = page.cursor.map(|c| c.as_str().to_owned());
    json::response(StatusCode::OK, &json!({"orders": orders, "next_cursor": next}))
}

/// `GET /orders/pickups?location_id=L&limit=&cursor=` (staff): the store's confirmed pickup
/// orders not yet handed over, oldest confirmation first. Cost: 1 query of the sparse index
/// per page (the entry is written when a pickup is confirmed and removed when it is
/// fulfilled or cancelled, in the same transactions).
pub(crate) async fn pickups<S: Store>(call: &Call<'_, S>) -> Result<http::Response<Bytes>, ApiError> {
    call.require(&[Role::Staff])?;
    let location = match call.query_value("location_id")? {
        Some(id) if omnicanal_domain::channel::is_location_id(id) => id.to_owned(),
        Some(_) => return Err(ApiError::invalid("location_id", "must be 1-64 of A-Z a-z 0-9 _ -")),
        None => return Err(ApiError::invalid("location_id", "is required")),
    };
    let (limit, cursor) = call.paging(50, 100)?;
    let query = Query::gsi1(pickup_pk(&location), limit).after(cursor);
    let page = call.env.store.query(&query).await?;
    let orders = shown(page.items, call.now().unix_timestamp())?;
    let next = page.cursor.map(|c| c.as_str().to_owned());
    json::response(StatusCode::OK, &json!({"orders": orders, "next_cursor": next}))
}
