//! The `smart` CLI's integration tests: one binary (it links the crate once),
//! one module per feature. Every test drives the real `smart` binary against
//! real parts: the in-process sandbox (which keeps a journal of what it
//! received, for assertions on the server's side), canned HTTP servers, the
//! OS keychain, Chromium and oidc-provider where named.

// Tests and benches may print (clippy.toml keeps `println!` out of the crates).
#![allow(clippy::disallowed_macros)]

mod backend_support;
mod support;

mod backend;
mod check;
mod check_beyond;
mod check_bulk;
mod check_launch;
mod cli_discover;
mod cli_profile;
mod closed_stdout;
mod completions;
mod crawl;
mod custom_headers;
mod env;
mod export;
mod export_interop;
mod export_netns;
mod export_state;
mod house;
mod human_output;
mod hydrate;
mod interop;
mod jwk_keys;
mod login;
mod login_real_parts;
mod query;
mod quirks;
mod register;
mod sandbox_cmd;
mod token_store;
