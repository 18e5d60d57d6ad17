//! Stock: central stock per SKU per location, shared by every channel (prefix `/stock`).
//!
//! Today it serves the product records (`PUT`/`GET /stock/items/{sku}`), which the offers and
//! loyalty functions read from the same table; levels, availability and reservations arrive
//! with their own issue.

mod items;

use std::sync::LazyLock;

use bytes::Bytes;
use http::Method;
use omnicanal_shared::error::ApiError;
use omnicanal_shared::http::{self as pipeline, Call, Env, Routes};
use omnicanal_shared::store::Store;

/// The path prefix of every route of this function.
pub const PREFIX: &str = "/stock";

/// What a request asks for (the health route is the pipeline's own).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Route {
    PutItem,
    GetItem,
}

static ROUTES: LazyLock<Routes<Route>> = LazyLock::new(|| {
    Routes::new(PREFIX, &[("/stock/items/{sku}", &[(Method::PUT, Route::PutItem), (Method::GET, Route::GetItem)])])
        // The table is a constant: a bad pattern fails every test, never a request.
        .expect("the stock route table is valid")
});

/// The function's one entry point, the same on every host.
pub async fn handle<S: Store>(request: http::Request<Bytes>, env: &Env<S>) -> http::Response<Bytes> {
    pipeline::serve(request, env, &ROUTES, dispatch).await
}

async fn dispatch<S: Store>(call: Call<'_, S>, route: Route) -> Result<http::Response<Bytes>, ApiError> {
    match route {
        Route::PutItem => items::put(&call).await,
        Route::GetItem => items::get(&call).await,
    }
}
