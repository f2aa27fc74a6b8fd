//! The sandbox's own integration tests, over real HTTP on 127.0.0.1: one
//! binary, a module per side of the server.

mod auth;
mod crawl;
mod export;
mod fhir;
mod raw;
mod server;
