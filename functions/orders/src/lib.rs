//! Orders: a cart checked out (prefix `/orders`). A checkout prices the cart from the
//! product records, holds its stock at one location, applies at most one offer and spends
//! points, all in one transaction of the shared table; then the order is confirmed (the
//! holds become sales, points are earned), cancelled (everything given back) or expires.
//! The rules and plans are in [`omnicanal_domain::orders`].

mod body;
mod checkout;
#[cfg(all(feature = "worker", target_arch = "wasm32"))]
mod edge;
mod lists;
mod order;
mod returns;
pub mod sweep;

use std::sync::LazyLock;

use bytes::Bytes;
use http::Method;
use omnicanal_pipeline::error::ApiError;
use omnicanal_pipeline::http::{self as pipeline, Call, Env, Routes};
use omnicanal_store::Store;

pub use sweep::{SweepReport, sweep};

/// The path prefix of every route of this function.
pub const PREFIX: &str = "/orders";

/// What a request asks for (the health route is the pipeline's own).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Route {
    Quote,
    Checkout,
    Get,
    Confirm,
    Cancel,
    Fulfil,
    Me,
    Pickups,
    Returns,
}

static ROUTES: LazyLock<Routes<Route>> = LazyLock::new(|| {
    Routes::new(
        PREFIX,
        &[
            ("/orders/quote", &[(Method::POST, Route::Quote)]),
            ("/orders", &[(Method::POST, Route::Checkout)]),
            ("/orders/me", &[(Method::GET, Route::Me)]),
            ("/orders/pickups", &[(Method::GET, Route::Pickups)]),
            ("/orders/{order_id}", &[(Method::GET, Route::Get)]),
            ("/orders/{order_id}/confirm", &[(Method::POST, Route::Confirm)]),
            ("/orders/{order_id}/cancel", &[(Method::POST, Route::Cancel)]),
            ("/orders/{order_id}/fulfil", &[(Method::POST, Route::Fulfil)]),
            ("/orders/{order_id}/returns", &[(Method::POST, Route::Returns)]),
        ],
    )
    // The table is a constant: a bad pattern fails every test, never a request.
    .expect("the orders route table is valid")
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
        Route::Quote => checkout::quote(&call).await,
        Route::Checkout => checkout::checkout(&call).await,
        Route::Get => order::get(&call).await,
        Route::Confirm => order::confirm(&call).await,
        Route::Cancel => order::cancel(&call).await,
        Route::Fulfil => order::fulfil(&call).await,
        Route::Me => lists::me(&call).await,
        Route::Pickups => lists::pickups(&call).await,
        Route::Returns => returns::create(&call).await,
    }
}
