//! One module per command. Each takes its parsed args plus the run context
//! (the global options, resolved once: [`RunContext`]) and does the work;
//! `run` only dispatches. Commands do not call each other: what two of them
//! share lives below (`output`, `prompt`, `session`, `settings`).

mod capabilities;
mod check;
mod connect;
mod context;
mod discover;
mod export;
mod get;
mod keys;
mod login;
mod logout;
mod profile;
mod query;
mod refresh;
mod register;
mod sandbox;
mod status;
mod token;
mod write;

use std::io::Write;

pub use context::RunContext;

use crate::cli::Command;
use crate::error::Result;

pub async fn run(g: &RunContext, command: Command) -> Result<()> {
    if let Some(e) = &g.bad_header {
        return Err(e.clone());
    }
    match command {
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
        Command::Export(args) => export::run(g, args).await,
        Command::Capabilities(args) => capabilities::run(g, args).await,
        Command::Check(args) => check::run(g, args).await,
        Command::Completions(args) => write_stdout(&crate::cli::generate::completion(args.shell)),
        Command::Man => write_stdout(&crate::cli::generate::man_page()),
    }
}

fn write_stdout(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|_| out.flush())
        .or_else(|e| crate::stdout::stop(e))
}

#[cfg(test)]
mod proptests;
