//! The run context: the global options turned, once, into the plain values
//! every command and everything below it works with. Nothing below
//! `commands/` sees clap's types (the model is ripgrep's `HiArgs`).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use crate::cli::{ColorChoice, GlobalArgs};
use crate::custom_headers::CustomHeaders;
use crate::http;
use crate::output::Reporter;
use crate::settings::{Environment, Invocation};

/// What a command runs with besides its own arguments.
#[derive(Debug, Clone)]
pub struct RunContext {
    /// `--json`: machine-readable output.
    pub json: bool,
    /// `--verbose`: the HTTP trace on stderr.
    pub verbose: bool,
    /// `--timeout`, when given (each command has its own default).
    pub timeout: Option<u64>,
    /// `--cacert`.
    pub cacert: Option<PathBuf>,
    /// Whether stdout gets colors (`--color`, `NO_COLOR`, `TERM`, CI, TTY).
    pub color: bool,
    /// The profile and store chosen, the environment, where warnings go.
    pub(crate) invocation: Invocation,
    /// `-H` and `--header-token-endpoint`, not yet bound to a server.
    pub(crate) headers: CustomHeaders,
    /// A malformed `-H`: every command fails with it before doing anything.
    pub(crate) bad_header: Option<crate::error::Error>,
}

impl RunContext {
    /// Reads the process environment once.
    pub fn from_args(g: &GlobalArgs) -> RunContext {
        RunContext::with_env(g, Environment::capture())
    }

    pub fn with_env(g: &GlobalArgs, env: Environment) -> RunContext {
        let color = match g.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            // CI logs are read later, often as plain text.
            ColorChoice::Auto => {
                !env.colors_unwanted() && std::io::stdout().is_terminal() && !env.in_ci()
            }
        };
        let (headers, bad_header) =
            match CustomHeaders::from_flags(&g.header, g.header_token_endpoint) {
                Ok(h) => (h, None),
                Err(e) => (CustomHeaders::default(), Some(e)),
            };
        RunContext {
            headers,
            bad_header,
            json: g.json,
            verbose: g.verbose,
            timeout: g.timeout,
            cacert: g.cacert.clone(),
            color,
            invocation: Invocation::new(
                g.profile.clone(),
                g.token_store.map(Into::into),
                g.token_store_from_flag,
                env,
                Reporter::stderr(),
            ),
        }
    }

    /// The environment snapshot.
    pub(crate) fn env(&self) -> &Environment {
        &self.invocation.env
    }

    /// HTTP options from the global flags.
    pub(crate) fn http_options(&self, follow_redirects: bool) -> http::Options {
        http::Options {
            timeout: Duration::from_secs(self.timeout.unwrap_or(30)),
            cacert: self.cacert.clone(),
            verbose: self.verbose,
            follow_redirects,
            headers: self.headers.clone(),
        }
    }
}
