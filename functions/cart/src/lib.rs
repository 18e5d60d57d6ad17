//! Cart sync: one cart and one wishlist across devices and channels (prefix `/cart`).
//!
//! Anonymous carts are addressed by an unguessable id; a customer's carts are bound to their
//! `sub`, with one active cart found again from any device. Offline devices send batches of
//! operations that merge deterministically (see [`omnicanal_domain::cart::model`]); an anonymous cart is folded into
//! the customer's at login. A customer's wishlist syncs the same way (see
//! [`omnicanal_domain::wishlist`]). Keys and per-call costs are in
//! [`omnicanal_domain::cart::record`] and [`omnicanal_domain::wishlist::record`].

mod access;
mod answer;
mod carts;
#[cfg(all(feature = "worker", target_arch = "wasm32"))]
mod edge;
mod lines;
mod merge;
mod offline;
mod repo;
mod sync;
mod wishlist;

use std::sync::LazyLock;

use bytes::Bytes;
use http::Method;
use omnicanal_pipeline::error::ApiError;
use omnicanal_pipeline::http::{self as pipeline, Call, Env, Routes};
use omnicanal_store::Store;

/// The path prefix of every route of this function.
pub const PREFIX: &str = "/cart";

/// What a request asks for (the health route is the pipeline's own).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Route {
    Create,
    Get,
    Me,
    PutLine,
    DeleteLine,
    Sync,
    Merge,
    Wishlist,
    SaveItem,
    RemoveItem,
    SyncWishlist,
    MoveItem,
}

static ROUTES: LazyLock<Routes<Route>> = LazyLock::new(|| {
    Routes::new(
        PREFIX,
        &[
            ("/cart/carts", &[(Method::POST, Route::Create)]),
            ("/cart/carts/{cart_id}", &[(Method::GET, Route::Get)]),
            ("/cart/me", &[(Method::GET, Route::Me)]),
            (
                "/cart/carts/{cart_id}/lines/{sku}",
                &[(Method::PUT, Route::PutLine), (Method::DELETE, Route::DeleteLine)],
            ),
            ("/cart/carts/{cart_id}/sync", &[(Method::POST, Route::Sync)]),
            ("/cart/carts/{cart_id}/merge", &[(Method::POST, Route::Merge)]),
            ("/cart/wishlist", &[(Method::GET, Route::Wishlist)]),
            ("/cart/wishlist/items/{sku}", &[(Method::PUT, Route::SaveItem), (Method::DELETE, Route::RemoveItem)]),
            ("/cart/wishlist/sync", &[(Method::POST, Route::SyncWishlist)]),
            ("/cart/wishlist/items/{sku}/move", &[(Method::POST, Route::MoveItem)]),
        ],
    )
    // The table is a constant: a bad pattern fails every test, never a request.
    .expect("the cart route table is valid")
});

/// Every path pattern and method this function answers (the OpenAPI document is checked
/// against them).
pub fn operations() -> &'static [(String, Method)] {
    ROUTES.operations()
}

/// The function's one entry point, the same on every host.
pub async fn handle<S: Store>(request: http::Request<Bytes>, env: &Env<S>) -> http::Response<Bytes> {
    pipeline::serve(request, env, &ROUTES, dispatch).await
}

async fn dispatch<S: Store>(call: Call<'_, S>, route: Route) -> Result<http::Response<Bytes>, ApiError> {
    match route {
        Route::Create => carts::create(&call).await,
        Route::Get => carts::get(&call).await,
        Route::Me => carts::me(&call).await,
        Route::PutLine => lines::put(&call).await,
        Route::DeleteLine => lines::delete(&call).await,
        Route::Sync => sync::apply(&call).await,
        Route::Merge => merge::merge(&call).await,
        Route::Wishlist => wishlist::items::get(&call).await,
        Route::SaveItem => wishlist::items::put(&call).await,
        Route::RemoveItem => wishlist::items::delete(&call).await,
        Route::SyncWishlist => wishlist::sync::apply(&call).await,
        Route::MoveItem => wishlist::moving::move_to_cart(&call).await,
    }
}
