//! `smart`: a command-line SMART on FHIR launch and query tool.
//!
//! The binary (`src/main.rs`) only parses the command line and maps errors to
//! exit codes; everything else lives in these modules so that tests and
//! benchmarks can call it directly.

// First, in its own group: its macros (`outln!`, `out!`) are in scope for
// the modules declared after it.
#[macro_use]
pub mod stdout;

pub(crate) mod blocking;
pub(crate) mod bulk;
pub(crate) mod check;
pub mod cli;
pub(crate) mod clock;
pub mod commands;
pub(crate) mod config;
pub(crate) mod crawl;
pub(crate) mod custom_headers;
pub(crate) mod discovery;
pub mod error;
pub(crate) mod event_log;
pub(crate) mod fhir;
pub(crate) mod fsutil;
pub(crate) mod http;
pub(crate) mod oauth;
pub mod output;
pub(crate) mod prompt;
pub(crate) mod redact;
pub mod reporter;
pub mod secret;
pub(crate) mod session;
pub mod settings;
pub(crate) mod similar;
#[cfg(test)]
pub(crate) mod testgen;
pub mod token_store;
