//! The host-neutral core every omnicanal function is built on.
//!
//! Layering (see `../shared/architecture.md` beside the checkout): host adapters (local
//! server, Lambda, Worker) convert requests and build an [`http::Env`] once per cold start;
//! function crates route and handle through [`http::serve`]; this crate holds the rules that
//! are the same everywhere (errors and problem JSON, auth, config, idempotency, the request
//! context, the clock) and the [`store::Store`] port with its adapters.
//!
//! It builds for native targets and for `wasm32-unknown-unknown`; native-only pieces (the
//! embedded store, the system clock) are gated by target and feature.

pub mod auth;
pub mod catalog;
pub mod clock;
pub mod config;
pub mod context;
pub mod customer;
pub mod domain;
pub mod error;
pub mod host;
pub mod http;
pub mod idempotency;
pub mod loyalty_rules;
pub mod problem;
pub mod random;
pub mod store;
