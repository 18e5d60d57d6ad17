//! Stock: levels per SKU per location, holds and reservations ([`records`]), every change to
//! a level's counters ([`movement`]), and the rules of availability and of the location a
//! reservation uses ([`rules`]).

pub mod movement;
pub mod records;
pub mod rules;
