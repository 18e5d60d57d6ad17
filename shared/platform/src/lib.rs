//! What the platform provides, natively and on `wasm32-unknown-unknown` alike: the time (a
//! [`clock::Clock`] passed in, never read by the domain itself), unguessable random ids, and
//! the one backoff schedule retries wait by.
//! The bottom layer: every other crate may use it, it uses none of them.

pub mod backoff;
pub mod clock;
pub mod random;
