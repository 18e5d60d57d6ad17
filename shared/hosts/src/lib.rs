//! Host adapters that more than one function uses: they only convert requests and answers
//! and build the [`Env`](omnicanal_pipeline::http::Env) once per cold start.

#[cfg(all(feature = "lambda", not(target_arch = "wasm32")))]
pub mod lambda;
#[cfg(all(feature = "worker", target_arch = "wasm32"))]
pub mod worker;
