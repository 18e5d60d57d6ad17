//! Cart sync: one cart across devices and channels (prefix `/cart`).
//!
//! This crate holds the routes; the cart features arrive with their own issue, so today it
//! answers `GET /cart/health`.

use std::sync::LazyLock;

use bytes::Bytes;
use omnicanal_shared::error::ApiError;
use omnicanal_shared::http::{self as pipeline, Call, Env, Routes};
use omnicanal_shared::store::Store;

/// The path prefix of every route of this function.
pub const PREFIX: &str = "/cart";

/// What a request asks for (the health route is the pipeline's own).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Route {}

static ROUTES: LazyLock<Routes<Route>> = LazyLock::new(|| {
    Routes::new(PREFIX, &[])
        // The table is a constant: a bad pattern fails every test, never a request.
        .expect("the cart route table is valid")
});

/// The function's one entry point, the same on every host.
pub async fn handle<S: Store>(request: http::Request<Bytes>, env: &Env<S>) -> http::Response<Bytes> {
    pipeline::serve(request, env, &ROUTES, dispatch).await
}

async fn dispatch<S: Store>(_call: Call<'_, S>, route: Route) -> Result<http::Response<Bytes>, ApiError> {
    match route {}
}
