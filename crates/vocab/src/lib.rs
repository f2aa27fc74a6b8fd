//! The SMART App Launch vocabulary that both sides of `smart` speak: the
//! client (`smart`) and the embedded server (`smart-sandbox`). It lives here,
//! not in either of them, so that the two cannot drift and the sandbox never
//! depends on the CLI.
//!
//! Pure data and parsing: no I/O, no async, one dependency (`url`).

pub mod base;
pub mod capabilities;
pub mod capability_sets;
pub mod launch;
pub mod scope;

pub use base::{BaseError, FhirBase, is_loopback};
pub use capabilities::KNOWN_CAPABILITIES;

#[cfg(test)]
mod proptests;
