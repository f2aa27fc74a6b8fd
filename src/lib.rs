//! `smart`: a command-line SMART on FHIR launch and query tool.
//!
//! The binary (`src/main.rs`) only parses the command line and maps errors to
//! exit codes; everything else lives in these modules so that tests and
//! benchmarks can call it directly.

pub mod cli;
pub mod commands;
pub mod config;
pub mod discovery;
pub mod error;
pub mod fhir;
pub mod fsutil;
pub mod http;
pub mod oauth;
pub mod output;
pub mod prompt;
pub mod redact;
pub mod secret;
pub mod session;
pub mod settings;
pub mod token_store;
