//! Loyalty points: a ledger that always balances (prefix `/loyalty`). Earn, redeem, expire,
//! reverse; tiers on 12-month spend; a bonus for buying through several channels in a month.
//! The rules are in [`omnicanal_domain::loyalty::account`], keys and costs in
//! [`omnicanal_domain::loyalty::records`].

mod earn;
#[cfg(all(feature = "worker", target_arch = "wasm32"))]
mod edge;
mod ledger;
mod me;
mod redeem;
mod reverse;
pub mod sweep;

use std::sync::LazyLock;

use bytes::Bytes;
use http::Method;
use omnicanal_pipeline::error::ApiError;
use omnicanal_pipeline::http::{self as pipeline, Call, Env, Routes};
use omnicanal_store::Store;

pub use sweep::sweep;

/// The path prefix of every route of this function.
pub const PREFIX: &str = "/loyalty";

/// What a request asks for (the health route is the pipeline's own).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Route {
    Me,
    Transactions,
    Earn,
    Redeem,
    Reverse,
}

static ROUTES: LazyLock<Routes<Route>> = LazyLock::new(|| {
    Routes::new(
        PREFIX,
        &[
            ("/loyalty/me", &[(Method::GET, Route::Me)]),
            ("/loyalty/me/transactions", &[(Method::GET, Route::Transactions)]),
            ("/loyalty/earn", &[(Method::POST, Route::Earn)]),
            ("/loyalty/redeem", &[(Method::POST, Route::Redeem)]),
            ("/loyalty/reverse", &[(Method::POST, Route::Reverse)]),
        ],
    )
    // The table is a constant: a bad pattern fails every test, never a request.
    .expect("the loyalty route table is valid")
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
        Route::Me => me::me(&call).await,
        Route::Transactions => me::transactions(&call).await,
        Route::Earn => earn::earn(&call).await,
        Route::Redeem => redeem::redeem(&call).await,
        Route::Reverse => reverse::reverse(&call).await,
    }
}
