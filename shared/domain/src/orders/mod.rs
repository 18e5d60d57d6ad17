//! Orders: a cart checked out. The [`checkout`] composes the stock, offers, loyalty and cart
//! domains' plans into one transaction with the order's record ([`record`]); [`settle`]
//! confirms, cancels and expires it the same way; [`refusal`] says why either refuses.

pub mod checkout;
pub mod record;
pub mod refusal;
pub mod returns;
pub mod settle;
pub mod shares;

#[cfg(test)]
mod tests;
