//! Loyalty points: a ledger that always balances (prefix `/loyalty`).
//!
//! This crate holds the routes; the ledger features arrive with their own issue, so today it
//! answers `GET /loyalty/health`.

use std::sync::LazyLock;

use bytes::Bytes;
use omnicanal_shared::error::ApiError;
use omnicanal_shared::http::{self as pipeline, Call, Env, Routes};
use omnicanal_shared::store::Store;

/// The path prefix of every route of this function.
pub const PREFIX: &str = "/loyalty";

/// What a request asks for (the health route is the pipeline's own).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Route {}

static ROUTES: LazyLock<Routes<Route>> = LazyLock::new(|| {
    Routes::new(PREFIX, &[])
        // The table is a constant: a bad pattern fails every test, never a request.
        .expect("the loyalty route table is valid")
});

/// The function's one entry point, the same on every host.
pub async fn handle<S: Store>(request: http::Request<Bytes>, env: &Env<S>) -> http::Response<Bytes> {
    pipeline::serve(request, env, &ROUTES, dispatch).await
}

async fn dispatch<S: Store>(_call: Call<'_, S>, route: Route) -> Result<http::Response<Bytes>, ApiError> {
    match route {}
}
