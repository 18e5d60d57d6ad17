//! Reading the list and saving or removing one item: `GET /cart/wishlist`, `PUT` and
//! `DELETE /cart/wishlist/items/{sku}`.

use bytes::Bytes;
use omnicanal_domain::plan;
use omnicanal_domain::wishlist::change::{WishOp, WishlistChange};
use omnicanal_domain::wishlist::model::Wishlist;
use omnicanal_domain::wishlist::record::{from_item, wishlist_key};
use omnicanal_pipeline::auth::Role;
use omnicanal_pipeline::error::ApiError;
use omnicanal_pipeline::http::Call;
use omnicanal_platform::clock::rfc3339;
use omnicanal_store::Store;
use serde::Deserialize;

use super::shown::{respond, selling};
use crate::lines::path_sku;
use crate::repo::{MAX_ATTEMPTS, now_ns};

/// A save takes no fields; an empty body or `{}` are both fine.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SaveBody {}

/// `GET /cart/wishlist`: the list, newest first (empty when nothing was saved). Cost: the
/// list beside the locations query, then the products and levels (see the domain's record).
pub(crate) async fn get<S: Store>(call: &Call<'_, S>) -> Result<http::Response<Bytes>, ApiError> {
    let customer = call.require(&[Role::Customer])?.sub.clone();
    let key = wishlist_key(&customer);
    let (stored, locations) = futures::join!(call.env.store.get(&key), selling(call));
    let list = match stored? {
        Some(item) => from_item(item)?,
        None => Wishlist::empty(&customer, &rfc3339(call.now())),
    };
    respond(call, &list, &locations?, None).await
}

/// `PUT /cart/wishlist/items/{sku}`: saves the item; a saved one changes nothing.
pub(crate) async fn put<S: Store>(call: &Call<'_, S>) -> Result<http::Response<Bytes>, ApiError> {
    if !call.body.is_empty() {
        call.json::<SaveBody>()?;
    }
    change(call, false).await
}

/// `DELETE /cart/wishlist/items/{sku}`: removes the item; an absent one changes nothing.
pub(crate) async fn delete<S: Store>(call: &Call<'_, S>) -> Result<http::Response<Bytes>, ApiError> {
    change(call, true).await
}

/// One server write of the path's SKU. Cost: the list and the product beside the locations
/// query, 1 conditional put (none when nothing changes), then the products and levels.
async fn change<S: Store>(call: &Call<'_, S>, remove: bool) -> Result<http::Response<Bytes>, ApiError> {
    let customer = call.require(&[Role::Customer])?.sub.clone();
    let sku = path_sku(call)?;
    let plan = WishlistChange {
        customer_id: customer,
        ops: vec![WishOp { field: "sku".into(), sku, remove, stamp: None }],
        channel: call.channel.to_string(),
        now_ns: now_ns(call),
        at: rfc3339(call.now()),
    };
    let (changed, locations) =
        futures::join!(plan::execute::<_, _, ApiError>(&call.env.store, MAX_ATTEMPTS, &plan), selling(call));
    let (list, _) = changed?;
    respond(call, &list, &locations?, None).await
}
