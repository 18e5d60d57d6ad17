//! Loyalty: the account with its lots and every change to it ([`account`]), how the ledger
//! lives in the table ([`records`]), the programme's configurable rules ([`rules`]), and the
//! changes as plans: their shared shape ([`change`]) and each one ([`operations`]).

pub mod account;
pub mod change;
pub mod operations;
pub mod records;
pub mod rules;
