//! What every FHIR command does first: pick the profile, check its base,
//! get a usable token (unless `--no-auth`) and build the client. Bad input
//! is checked by the commands before this, so a typo never waits on the
//! keychain or the network.

use std::io::IsTerminal;

use super::RunContext;
use crate::cli::FhirArgs;
use crate::config::Profile;
use crate::error::Result;
use crate::fhir::client::{ClientOptions, Fhir, TokenSource, WaitReports};
use crate::fhir::retry;
use crate::session;
use crate::settings::{Flags, Settings};
use std::time::Duration;

/// The profile (its workarounds) and a ready client.
pub struct Connected {
    pub profile: Profile,
    pub fhir: Fhir,
    /// The HTTP options of the profile's server (its custom headers bound
    /// to the FHIR base), for other clients of the same command.
    pub http_options: crate::http::Options,
    /// The scope the token was granted (`None` for `--no-auth`; empty when
    /// the server did not say).
    pub scope: Option<String>,
}

/// Settings by the usual precedence (flag > env > profile), a token from
/// `session::acquire` unless `--no-auth`, and the client.
pub async fn connect(ctx: &RunContext, args: &FhirArgs) -> Result<Connected> {
    let (settings, token, scope) = if args.no_auth {
        (
            Settings::resolve(&ctx.invocation, &Flags::default())?,
            None,
            None,
        )
    } else {
        let access = session::acquire(&ctx.invocation, &ctx.http_options(false), false).await?;
        let (inv, token_http) = (ctx.invocation.clone(), ctx.http_options(false));
        let source = TokenSource {
            refresh: Box::new(move || {
                let (inv, token_http) = (inv.clone(), token_http.clone());
                Box::pin(async move {
                    let access = session::acquire(&inv, &token_http, true).await?;
                    Ok(access.tokens.access_token)
                })
            }),
            profile: access.settings.name().to_owned(),
        };
        let scope = Some(access.tokens.scope.clone());
        (
            access.settings,
            Some((access.tokens.access_token, source)),
            scope,
        )
    };
    let base = settings.require_base()?;
    let http_opts = settings.http_options(&ctx.http_options(true))?;
    let reporter = ctx.invocation.reporter.clone();
    let client = ClientOptions {
        base,
        format_json: settings.stored.format_json,
        retries: args.retries,
        max_wait: args
            .max_retry_wait
            .or(settings.stored.max_retry_wait)
            .map_or(retry::DEFAULT_MAX_WAIT, Duration::from_secs),
        wait_reports: if args.quiet {
            WaitReports::Quiet
        } else if ctx.verbose || std::io::stderr().is_terminal() {
            WaitReports::All(reporter)
        } else {
            WaitReports::Long(reporter)
        },
    };
    let fhir = Fhir::new(&http_opts, client, token)?;
    Ok(Connected {
        profile: settings.stored,
        fhir,
        http_options: http_opts,
        scope,
    })
}
