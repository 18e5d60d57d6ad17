//! The wishlist: saved items that follow a customer across devices. The cart's sync model
//! applied to a set ([`model`], over [`crate::registers`]), how a list lives in the table
//! ([`record`]), a change to one as a plan ([`change`]), moving an item onto the cart in one
//! transaction ([`move_to_cart`]), and how the API shows a list ([`view`]).

pub mod change;
pub mod model;
pub mod move_to_cart;
pub mod record;
pub mod view;
