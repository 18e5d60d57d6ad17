//! The DynamoDB adapters and what they share: one rendering of expressions ([`expr`],
//! [`request`]), one classification of errors with bounded retries ([`failure`]), one
//! definition of the table ([`table`]), and a round-trip counter.
//!
//! - [`http::HttpStore`]: DynamoDB's JSON protocol signed with SigV4; builds for wasm32 and
//!   runs inside Workers over `worker::Fetch`.
//! - `sdk::SdkStore` (feature `dynamodb-sdk`, native): `aws-sdk-dynamodb`, for the Lambda
//!   binaries and the local server with `OMNICANAL_STORE=dynamodb`.
//!
//! Both read and write the same items, cursors and conditions as the local adapters; the
//! conformance suite runs on each against a real DynamoDB-compatible server.

pub mod core;
pub mod expr;
pub mod failure;
pub mod http;
#[cfg(all(feature = "native-http", not(target_arch = "wasm32")))]
pub mod native_transport;
pub mod request;
#[cfg(all(feature = "sdk", not(target_arch = "wasm32")))]
pub mod sdk;
pub mod table;
pub mod wire;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Counts the requests an adapter sends (retries included), and logs each at `debug` with
/// its action inside the current request's span, so an API call's cost can be read off
/// its log lines or off the counter.
#[derive(Clone, Debug, Default)]
pub struct RoundTrips(Arc<AtomicU64>);

impl RoundTrips {
    /// Records one request.
    pub fn record(&self, action: &str) {
        self.0.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(dynamodb_action = action, "dynamodb round trip");
    }

    /// Requests sent so far.
    pub fn count(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}
