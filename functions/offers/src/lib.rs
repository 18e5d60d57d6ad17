//! Personalized offers: rules plus the customer's cross-channel behaviour, ranked and
//! explained, redemption limits enforced atomically (prefix `/offers`). Keys and costs are
//! in [`omnicanal_domain::offers::records`], the ranking score in [`omnicanal_domain::offers::rules`].

mod definitions;
#[cfg(all(feature = "worker", target_arch = "wasm32"))]
mod edge;
mod events;
mod me;
mod redeem;
mod shopper;
mod subject;

use std::sync::LazyLock;

use bytes::Bytes;
use http::Method;
use omnicanal_pipeline::error::ApiError;
use omnicanal_pipeline::http::{self as pipeline, Call, Env, Routes};
use omnicanal_store::Store;

/// The path prefix of every route of this function.
pub const PREFIX: &str = "/offers";

/// What a request asks for (the health route is the pipeline's own).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Route {
    Put,
    Get,
    Events,
    Me,
    Redeem,
}

static ROUTES: LazyLock<Routes<Route>> = LazyLock::new(|| {
    Routes::new(
        PREFIX,
        &[
            ("/offers/events", &[(Method::POST, Route::Events)]),
            ("/offers/me", &[(Method::GET, Route::Me)]),
            ("/offers/{offer_id}", &[(Method::PUT, Route::Put), (Method::GET, Route::Get)]),
            ("/offers/{offer_id}/redeem", &[(Method::POST, Route::Redeem)]),
        ],
    )
    // The table is a constant: a bad pattern fails every test, never a request.
    .expect("the offers route table is valid")
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
        Route::Put => definitions::put(&call).await,
        Route::Get => definitions::get(&call).await,
        Route::Events => events::record(&call).await,
        Route::Me => me::list(&call).await,
        Route::Redeem => redeem::redeem(&call).await,
    }
}
