//! Stock: levels per SKU per location, holds and reservations ([`records`]), what a decision
//! reads ([`view`]), every change to a level's counters ([`movement`]), the rules of
//! availability and of the location a reservation uses ([`rules`]), and the plans that hold
//! ([`reserve`]), end holds ([`finish`]) and count stock ([`count`]), refused with a
//! [`refusal::StockError`].

pub mod count;
pub mod finish;
pub mod movement;
pub mod records;
pub mod refusal;
pub mod reserve;
pub mod rules;
pub mod view;

#[cfg(test)]
mod plans_tests;
