//! Runs the loyalty domain's account changes (`omnicanal_domain::loyalty::operations`): one
//! batch read, one transaction, again from a fresh read when another writer won.

use omnicanal_domain::plan::{self, Plan};
use omnicanal_pipeline::error::ApiError;
use omnicanal_store::Store;

/// Attempts before giving up under contention: each lost one means another change of the
/// same account was written meanwhile.
pub(crate) const MAX_ATTEMPTS: u32 = 32;

/// Runs an account change.
pub(crate) async fn run<S, P>(store: &S, plan: &P) -> Result<P::Answer, ApiError>
where
    S: Store,
    P: Plan + Sync,
    ApiError: From<P::Refusal>,
{
    plan::execute(store, MAX_ATTEMPTS, plan).await
}

/// `201` for a change this call made, `200` for a repeat answered from its marker.
pub(crate) fn status(first: bool) -> http::StatusCode {
    if first { http::StatusCode::CREATED } else { http::StatusCode::OK }
}
