//! The groups: each decides the verdicts of its checks (defined in
//! `catalogue.rs`) with the requests of `flow/`. No group uses another;
//! what one learns for the next (a token, a configuration) goes back to
//! the runner in `check/mod.rs`, which hands it on.

pub mod app_state;
pub mod auth_methods;
pub mod authorize;
pub mod backend;
pub mod bulk;
pub mod discovery;
pub mod fhir;
pub mod registration;
pub mod revocation;
pub mod token;
