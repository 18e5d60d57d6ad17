//! The request pipeline every function runs, whatever the host: routing, problem JSON and
//! the API's errors (mapped to HTTP in [`problem`], once), bearer-token auth, idempotency,
//! typed configuration, CORS and request ids.
//!
//! It sits above the domains and the store port and below the function crates; it knows no
//! host (see `omnicanal-hosts`) and builds for `wasm32-unknown-unknown`.

pub mod auth;
pub mod config;
pub mod context;
pub mod error;
pub mod http;
pub mod idempotency;
pub mod problem;
pub mod refusal;
