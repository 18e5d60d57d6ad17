//! Stock: central stock per SKU per location, shared by every channel (prefix `/stock`).
//!
//! Product records (read by offers and loyalty too), locations and the channels they sell
//! to, levels with stock takes and once-only movements, availability per channel,
//! all-or-nothing reservations that the table itself keeps from overselling, the sweep of
//! expired holds, and the reorder list. Keys and costs are in
//! [`omnicanal_domain::stock::records`].

mod availability;
#[cfg(all(feature = "worker", target_arch = "wasm32"))]
mod edge;
mod items;
mod levels;
mod locations;
mod reads;
mod reorder;
mod reservations;
pub mod sweep;

use std::sync::LazyLock;

use bytes::Bytes;
use http::Method;
use omnicanal_pipeline::error::ApiError;
use omnicanal_pipeline::http::{self as pipeline, Call, Env, Routes};
use omnicanal_store::Store;

pub use sweep::{SweepReport, sweep};

/// The path prefix of every route of this function.
pub const PREFIX: &str = "/stock";

/// What a request asks for (the health route is the pipeline's own).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Route {
    PutItem,
    GetItem,
    PutLocation,
    PutLevel,
    Adjust,
    Availability,
    Check,
    Reserve,
    GetReservation,
    Commit,
    Release,
    Reorder,
}

static ROUTES: LazyLock<Routes<Route>> = LazyLock::new(|| {
    Routes::new(
        PREFIX,
        &[
            ("/stock/items/{sku}", &[(Method::PUT, Route::PutItem), (Method::GET, Route::GetItem)]),
            ("/stock/locations/{location_id}", &[(Method::PUT, Route::PutLocation)]),
            ("/stock/items/{sku}/levels/{location_id}", &[(Method::PUT, Route::PutLevel)]),
            ("/stock/adjustments", &[(Method::POST, Route::Adjust)]),
            ("/stock/availability", &[(Method::GET, Route::Availability)]),
            ("/stock/check", &[(Method::POST, Route::Check)]),
            ("/stock/reservations", &[(Method::POST, Route::Reserve)]),
            (
                "/stock/reservations/{reservation_id}",
                &[(Method::GET, Route::GetReservation), (Method::DELETE, Route::Release)],
            ),
            ("/stock/reservations/{reservation_id}/commit", &[(Method::POST, Route::Commit)]),
            ("/stock/reorder", &[(Method::GET, Route::Reorder)]),
        ],
    )
    // The table is a constant: a bad pattern fails every test, never a request.
    .expect("the stock route table is valid")
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
        Route::PutItem => items::put(&call).await,
        Route::GetItem => items::get(&call).await,
        Route::PutLocation => locations::put(&call).await,
        Route::PutLevel => levels::put(&call).await,
        Route::Adjust => levels::adjust(&call).await,
        Route::Availability => availability::get(&call).await,
        Route::Check => availability::check(&call).await,
        Route::Reserve => reservations::create(&call).await,
        Route::GetReservation => reservations::get(&call).await,
        Route::Commit => reservations::commit(&call).await,
        Route::Release => reservations::release(&call).await,
        Route::Reorder => reorder::list(&call).await,
    }
}
