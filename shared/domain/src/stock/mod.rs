//! Stock: levels per SKU per location, holds and reservations ([`records`]), and the rules of
//! availability and of the location a reservation uses ([`rules`]).

pub mod records;
pub mod rules;
