//! The cart: lines synced across devices by last-writer-wins registers with tombstones
//! ([`model`]), how a cart lives in the table ([`record`]), who may touch one ([`access`]), a
//! change to one as a plan ([`change`]), a line write as one conditional update
//! ([`line_update`]), and how the API shows a cart ([`view`]).

pub mod access;
pub mod change;
pub mod line_update;
pub mod model;
pub mod record;
pub mod view;
