//! Black-box tests: the real `omnicanal` binary on a free port, driven over HTTP.
//!
//! The store under the server is `OMNICANAL_TEST_STORE` (`embedded` by default; the test
//! script runs the suite again with `dynamodb`).

mod child_logs;
mod helpers;
mod lambda_host;

mod auth;
mod cart;
mod cart_lines;
mod chaos;
mod errors;
mod forged_ids;
mod health;
mod loyalty;
mod offers;
mod orders;
mod server;
mod stock;
mod stock_items;
mod wishlist;
mod worker_host;
