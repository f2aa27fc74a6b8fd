//! One module per command. Each takes its parsed args plus the global
//! options and does the work; `run` only dispatches.

pub mod capabilities;
pub mod discover;
pub mod fhir_common;
pub mod get;
pub mod keys;
pub mod login;
pub mod logout;
pub mod profile;
pub mod query;
pub mod refresh;
pub mod register;
pub mod sandbox;
pub mod status;
pub mod token;
pub mod write;

use std::io::Write;
use std::time::Duration;

use crate::cli::{Cli, Command, GlobalArgs};
use crate::error::{Error, Result};
use crate::http;

pub async fn run(cli: Cli) -> Result<()> {
    let g = &cli.global;
    match cli.command {
        Command::Discover(args) => discover::run(g, args).await,
        Command::Profile(cmd) => profile::run(g, cmd).await,
        Command::Login(args) => login::run(g, args).await,
        Command::Status => status::run(g).await,
        Command::Token(args) => token::run(g, args).await,
        Command::Refresh => refresh::run(g).await,
        Command::Logout(args) => logout::run(g, args).await,
        Command::Sandbox(args) => sandbox::run(g, args).await,
        Command::Keys(cmd) => keys::run(g, cmd).await,
        Command::Register(args) => register::run(g, args).await,
        Command::Query(args) => query::run(g, args).await,
        Command::Get(args) => get::run(g, args).await,
        Command::Create(args) => write::create(g, args).await,
        Command::Update(args) => write::update(g, args).await,
        Command::Delete(args) => write::delete(g, args).await,
        Command::Capabilities(args) => capabilities::run(g, args).await,
        Command::Completions(args) => write_stdout(&crate::cli::generate::completion(args.shell)),
        Command::Man => write_stdout(&crate::cli::generate::man_page()),
    }
}

/// HTTP options from the global flags.
pub fn http_options(g: &GlobalArgs, follow_redirects: bool) -> http::Options {
    http::Options {
        timeout: Duration::from_secs(g.timeout.unwrap_or(30)),
        cacert: g.cacert.clone(),
        verbose: g.verbose,
        follow_redirects,
    }
}

fn write_stdout(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|_| out.flush())
        .map_err(|e| Error::usage(format!("cannot write to stdout: {e}")))
}
