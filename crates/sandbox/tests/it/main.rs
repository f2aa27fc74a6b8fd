//! The sandbox's own integration tests, over real HTTP on 127.0.0.1: one
//! binary, a module per side of the server.

// Tests and benches may print (clippy.toml keeps `println!` out of the crates).
#![allow(clippy::disallowed_macros)]

mod auth;
mod crawl;
mod export;
mod fhir;
mod raw;
mod server;
