//! The domains: cart, wishlist, stock, offers, loyalty and orders, each as records (how it lives in the single
//! table, with its keys and costs) and pure rules (plain functions over plain data, the time
//! passed in). The values every domain shares ([`values`], [`ids`], [`channel`], [`field`]),
//! the sync registers the cart and the wishlist share ([`registers`]) and the
//! per-customer items several read ([`catalog`], [`customer`]) live beside them.
//!
//! This layer uses only the store port and the platform: no HTTP, no host. Function crates
//! above it parse requests into these values and answer with them.

pub mod cart;
pub mod catalog;
pub mod channel;
pub mod customer;
pub mod field;
pub mod ids;
pub mod keys;
pub mod loyalty;
pub mod offers;
pub mod orders;
pub mod plan;
pub mod registers;
pub mod stock;
pub mod values;
pub mod wishlist;
pub mod worst_case;
