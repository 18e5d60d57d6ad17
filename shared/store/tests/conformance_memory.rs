//! The Store conformance suite on the in-memory adapter: one test per case.
#![cfg(feature = "conformance")]

use std::sync::Arc;

use omnicanal_store::conformance_tests;
use omnicanal_store::memory::MemoryStore;

conformance_tests!(|clock| MemoryStore::new(Arc::new(clock.clone())));
