//! Loyalty: the account with its lots and every change to it ([`account`]), how the ledger
//! lives in the table ([`records`]), and the programme's configurable rules ([`rules`]).

pub mod account;
pub mod records;
pub mod rules;
