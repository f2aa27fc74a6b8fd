//! `smart check`: run the conformance checks and report them on the
//! terminal, as JSON, as JUnit XML and as a transcript.

use super::RunContext;
use std::time::Duration;

use crate::check::{self, Backend, Client, Plan, Probe, Selection, User};
use crate::cli::CheckArgs;
use crate::config::ClientType;
use crate::discovery;
use crate::error::{Error, Result};
use crate::http::Http;
use crate::oauth::callback::Listener;
use crate::output;
use crate::settings::{Flags, Settings};

pub async fn run(ctx: &RunContext, args: CheckArgs) -> Result<()> {
    if args.list {
        return list(ctx);
    }
    let selection = Selection::new(&args.only, &args.skip)?;
    // A base on the command line without -p is checked on its own: no
    // profile's client is used for a server the profile is not for.
    let from_settings = args.fhir_base.is_none() || ctx.invocation.profile_name().is_some();
    let (base, client_id, backend) = if from_settings {
        let s = Settings::resolve(
            &ctx.invocation,
            &Flags {
                fhir_base: args.fhir_base.as_deref(),
                ..Flags::default()
            },
        )
        .map_err(|e| {
            e.with_hint("pass the FHIR base to check: smart check https://fhir.example.org/r4")
        })?;
        let base = s.require_base()?;
        if s.client_type.value == ClientType::Backend {
            let client_id = s
                .client_id
                .as_ref()
                .map(|c| c.value.clone())
                .ok_or_else(|| {
                    Error::usage(format!(
                        "profile `{}` is a backend client without a client id",
                        s.name()
                    ))
                })?;
            let key = s.signing_key(&s.store())?;
            let b = Backend {
                client_id,
                key,
                scope: s.scope.value.clone(),
            };
            // --client-id names the user client beside the backend one.
            (base, args.client_id.clone(), Some(b))
        } else {
            let user = args.client_id.clone().or(s.client_id.map(|c| c.value));
            (base, user, None)
        }
    } else {
        let b = args.fhir_base.as_deref().unwrap_or_default();
        (discovery::parse_base(b)?, args.client_id.clone(), None)
    };
    let user = if args.browser {
        Some(user(ctx, &args.redirect_uri)?)
    } else {
        None
    };
    let redirect_uri = user
        .as_ref()
        .map_or_else(|| args.redirect_uri.clone(), User::redirect_uri);
    if user.is_some() && client_id.is_some() {
        eprintln!("smart check: authorization requests that need a sign-in open in the browser");
    }
    let plan = Plan {
        base,
        client: client_id.map(|client_id| Client {
            client_id,
            redirect_uri,
            scope: args.scope.clone(),
        }),
        backend,
        other_patient: args.other_patient.clone(),
        selection,
    };
    let probe = Probe::new(Http::new(&ctx.http_options(false))?);
    let report = check::run(&probe, user.as_ref(), &plan).await;

    if let Some(path) = &args.junit {
        write(path, &output::check::junit(&report), "--junit")?;
    }
    if let Some(path) = &args.html {
        write(path, &output::check::html(&report), "--html")?;
    }
    if let Some(path) = &args.transcript {
        write(
            path,
            &output::check::transcript(&report, &probe.transcript()),
            "--transcript",
        )?;
    }
    if ctx.json {
        output::print_json(&report)?;
    } else {
        print!("{}", output::check::checklist(&report));
    }
    if report.failed() {
        let n = report.totals.fail;
        return Err(Error::findings(format!(
            "{n} required check{} failed for {}",
            if n == 1 { "" } else { "s" },
            report.fhir_base
        )));
    }
    Ok(())
}

/// The loopback listener for `--browser`, on the redirect URI's port (an
/// ephemeral one when it names none: loopback redirects match any port,
/// RFC 8252 §7.3).
fn user(ctx: &RunContext, redirect_uri: &str) -> Result<User> {
    let u = url::Url::parse(redirect_uri)
        .map_err(|e| Error::usage(format!("--redirect-uri `{redirect_uri}`: {e}")))?;
    if u.scheme() != "http" || !discovery::is_loopback(&u) {
        return Err(Error::usage(format!(
            "--redirect-uri `{redirect_uri}`: --browser needs a loopback http URI (http://127.0.0.1[:PORT]/PATH)"
        )));
    }
    let listener = Listener::bind(u.port().unwrap_or(0), u.path())?;
    let wait = Duration::from_secs(ctx.timeout.unwrap_or(120));
    Ok(User::new(listener, ctx.env().clone(), wait))
}

fn list(ctx: &RunContext) -> Result<()> {
    let all = check::catalog();
    if ctx.json {
        let v: Vec<_> = all
            .iter()
            .map(|c| {
                serde_json::json!({
                    "id": c.id, "group": c.group(), "title": c.title,
                    "severity": c.severity, "reference": c.reference, "fix": c.fix,
                })
            })
            .collect();
        return output::print_json(&v);
    }
    for c in all {
        let sev = match c.severity {
            check::Severity::Required => "required",
            check::Severity::Recommended => "recommended",
        };
        println!(
            "{:<38} {sev:<11} {}\n{:<38} {}",
            c.id, c.title, "", c.reference
        );
    }
    Ok(())
}

fn write(path: &std::path::Path, text: &str, flag: &str) -> Result<()> {
    crate::fsutil::write_atomically(
        path,
        text.as_bytes(),
        crate::fsutil::Access::Public,
        crate::fsutil::Replace::Yes,
    )
    .map_err(|e| Error::usage(format!("{flag} {}: cannot write: {e}", path.display())))
}
