//! The Store conformance suite on the in-memory adapter.
#![cfg(feature = "conformance")]

use std::sync::Arc;

use omnicanal_platform::clock::ManualClock;
use omnicanal_store::conformance::run_all;
use omnicanal_store::memory::MemoryStore;

#[tokio::test]
async fn memory_store_conforms() {
    let clock = ManualClock::new(time::OffsetDateTime::now_utc());
    let store = MemoryStore::new(Arc::new(clock.clone()));
    run_all(&store, &clock).await;
}
