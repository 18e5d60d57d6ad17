//! Offers: definitions checked strictly ([`definition`]), the customer's category affinity
//! ([`profile`]), how they live in the table ([`records`]), redeeming one ([`redemption`]), and
//! eligibility, saving and ranking ([`rules`]).

pub mod definition;
pub mod profile;
pub mod records;
pub mod redemption;
pub mod release;
pub mod rules;
pub mod shopper;
