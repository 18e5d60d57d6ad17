//! The cart: lines synced across devices by last-writer-wins registers with tombstones
//! ([`model`]), how a cart lives in the table ([`record`]), and a line write as one
//! conditional update ([`line_update`]).

pub mod line_update;
pub mod model;
pub mod record;
