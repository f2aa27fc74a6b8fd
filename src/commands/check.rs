//! `smart check`: run the conformance checks and report them on the
//! terminal, as JSON, as JUnit XML and as a transcript.

use super::RunContext;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::check::{self, Backend, Client, EhrLaunch, Plan, Probe, Selection, User};
use crate::cli::CheckArgs;
use crate::config::{BasicAuthEncoding, ClientType, TokenAuthMethod};
use crate::discovery;
use crate::error::{Error, Result};
use crate::http::Http;
use crate::oauth::callback::Listener;
use crate::oauth::token_endpoint::{ClientAuth, SecretMethod};
use crate::output;
use crate::settings::{Flags, Settings};

pub async fn run(ctx: &RunContext, args: CheckArgs) -> Result<()> {
    if args.list {
        return list(ctx);
    }
    let selection = Selection::new(&args.only, &args.skip)?;
    let bulk_levels = bulk_levels(&args.bulk_level)?;
    if args.bulk_timeout == 0 {
        return Err(Error::usage("--bulk-timeout must be at least 1 (seconds)"));
    }
    // A base on the command line without -p is checked on its own: no
    // profile's client is used for a server the profile is not for.
    let from_settings = args.fhir_base.is_none() || ctx.invocation.profile_name().is_some();
    // The probe sends the custom headers (-H, and the profile's when a
    // profile is used) to the checked server's origin; its token,
    // revocation, introspection and registration requests only with
    // --header-token-endpoint (see `custom_headers`).
    let (base, user_client, backend, http_opts) = if from_settings {
        let mut s = Settings::resolve(
            &ctx.invocation,
            &Flags {
                fhir_base: args.fhir_base.as_deref(),
                ..Flags::default()
            },
        )
        .map_err(|e| {
            e.or_hint("pass the FHIR base to check: smart check https://fhir.example.org/r4")
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
            let opts = s.http_options(&ctx.http_options(false))?;
            // --client-id names the user client beside the backend one.
            (
                base,
                args.client_id.clone().map(UserClient::Named),
                Some(b),
                opts,
            )
        } else {
            let own = s.client_id.as_ref().map(|c| c.value.clone());
            let user = match (&args.client_id, own) {
                // The profile's credentials are for its own client only.
                (Some(id), own) if own.as_ref() != Some(id) => Some(UserClient::Named(id.clone())),
                (_, Some(own)) => Some(UserClient::Profile(Box::new(profile_auth(
                    ctx, &args, &mut s, &own,
                )?))),
                (_, None) => None,
            };
            let opts = s.http_options(&ctx.http_options(false))?;
            (base, user, None, opts)
        }
    } else {
        let b = args.fhir_base.as_deref().unwrap_or_default();
        let user = args.client_id.clone().map(UserClient::Named);
        let base = discovery::parse_base(b)?;
        let opts = ctx.http_options(false).for_base(base.url());
        (base, user, None, opts)
    };
    let client_auth = match user_client {
        None if args.secret_stdin => {
            return Err(Error::usage(
                "--secret-stdin gives the secret of the client the checks act as, and there is none",
            )
            .with_hint("pass --client-id ID (or -p PROFILE) beside it"));
        }
        None => None,
        Some(UserClient::Profile(auth)) => Some(*auth),
        Some(UserClient::Named(client_id)) if args.secret_stdin => {
            let secret = crate::prompt::read_secret_stdin(ctx.env().in_ci())?;
            Some((
                ClientAuth::Secret {
                    client_id,
                    secret: oauth2::ClientSecret::new(secret.expose().to_owned()),
                    method: SecretMethod::Basic(BasicAuthEncoding::Form),
                },
                false,
            ))
        }
        Some(UserClient::Named(client_id)) => Some((ClientAuth::None { client_id }, false)),
    };
    if args.ehr && client_auth.is_none() {
        return Err(Error::usage(
            "--ehr runs the checks on an EHR launch, and needs the client the EHR launches",
        )
        .with_hint("pass --client-id ID (or -p PROFILE) beside it"));
    }
    // One loopback listener takes the EHR's launch and the redirects back
    // (of the launch's authorization, and of --browser's sign-ins).
    let listener = if args.browser || args.ehr {
        Some(Arc::new(listen(&args.redirect_uri, args.ehr)?))
    } else {
        None
    };
    let wait = Duration::from_secs(ctx.timeout.unwrap_or(120));
    let user = match (&listener, args.browser) {
        (Some(l), true) => Some(User::new(l.clone(), ctx.env().clone(), wait)),
        _ => None,
    };
    let redirect_uri = listener
        .as_ref()
        .map_or_else(|| args.redirect_uri.clone(), |l| l.redirect_uri());
    if user.is_some() && client_auth.is_some() {
        eprintln!("smart check: authorization requests that need a sign-in open in the browser");
    }
    let ehr = match (&listener, args.ehr) {
        (Some(l), true) => Some(ehr_launch(l.clone(), &base, wait)?),
        _ => None,
    };
    let plan = Plan {
        base,
        client: client_auth.map(|(auth, method_pinned)| Client {
            redirect_uri: redirect_uri.clone(),
            scope: args.scope.clone(),
            auth,
            method_pinned,
        }),
        redirect_uri,
        scope: args.scope.clone(),
        backend,
        other_patient: args.other_patient.clone(),
        selection,
        bulk_levels,
        bulk_timeout: Duration::from_secs(args.bulk_timeout),
    };
    let probe = Probe::new(Http::new(&http_opts)?);
    // Every output below is made from the report and the transcript, both
    // redacted by name and by value (a server may echo a secret anywhere).
    let report = check::run(&probe, user.as_ref(), &plan, ehr.as_ref()).await;

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
        out!("{}", output::check::checklist(&report));
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

/// `--bulk-level` values: `system`, `patient`, `group:ID`.
fn bulk_levels(given: &[String]) -> Result<Vec<crate::bulk::request::Level>> {
    use crate::bulk::request::Level;
    let mut out = Vec::new();
    for w in given.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        let level = match w {
            "system" => Level::System,
            "patient" => Level::Patient,
            _ => match w.strip_prefix("group:") {
                Some(id)
                    if !id.is_empty()
                        && id.len() <= 64
                        && id
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.') =>
                {
                    Level::Group(id.to_owned())
                }
                _ => {
                    return Err(Error::usage(format!(
                        "--bulk-level `{}` is not system, patient or group:ID",
                        crate::redact::printable(w)
                    ))
                    .with_hint("a group id is 1 to 64 letters, digits, `-` or `.`"));
                }
            },
        };
        if !out.contains(&level) {
            out.push(level);
        }
    }
    Ok(out)
}

/// The client the user checks act as.
enum UserClient {
    /// `--client-id`: public, or confidential with `--secret-stdin`.
    Named(String),
    /// The profile's own client, with its credentials, and whether the
    /// profile names the method.
    Profile(Box<(ClientAuth, bool)>),
}

/// How the profile's own client authenticates, as `smart login` would: its
/// method, or the one its client type implies, with the secret
/// (`--secret-stdin`, `SMART_CLIENT_SECRET` or the store) or the key.
fn profile_auth(
    ctx: &RunContext,
    args: &CheckArgs,
    s: &mut Settings,
    client_id: &str,
) -> Result<(ClientAuth, bool)> {
    let given = if args.secret_stdin {
        s.secret_given("--secret-stdin")?;
        Some(crate::prompt::read_secret_stdin(ctx.env().in_ci())?)
    } else {
        None
    };
    let pinned = s.stored.token_auth_method;
    // A secret's method is settled against the server's list later
    // (Client::for_server); Basic until then.
    let method = pinned.unwrap_or_else(|| s.client_type.value.default_auth_method(&[]));
    let (secret, key) = match (method, given) {
        (TokenAuthMethod::ClientSecretBasic | TokenAuthMethod::ClientSecretPost, Some(g)) => {
            (Some(oauth2::ClientSecret::new(g.expose().to_owned())), None)
        }
        _ => crate::settings::credentials_for(method, &s.store(), s)?,
    };
    let auth = ClientAuth::build(method, client_id, s.name(), secret, key)?
        .with_basic_encoding(s.stored.basic_encoding());
    Ok((auth, pinned.is_some()))
}

/// The loopback listener for `--browser` and `--ehr`, on the redirect URI's
/// port (an ephemeral one when it names none: loopback redirects match any
/// port, RFC 8252 §7.3).
fn listen(redirect_uri: &str, ehr: bool) -> Result<Listener> {
    let u = url::Url::parse(redirect_uri)
        .map_err(|e| Error::usage(format!("--redirect-uri `{redirect_uri}`: {e}")))?;
    if u.scheme() != "http" || !discovery::is_loopback(&u) {
        let flag = if ehr { "--ehr" } else { "--browser" };
        return Err(Error::usage(format!(
            "--redirect-uri `{redirect_uri}`: {flag} needs a loopback http URI (http://127.0.0.1[:PORT]/PATH)"
        )));
    }
    Listener::bind(u.port().unwrap_or(0), u.path())
}

/// `--ehr`: prints the launch URL and waits for the EHR to open it, with
/// `smart login --ehr`'s rule: a launch naming another server than `base`
/// is refused, and the wait goes on. No launch at all in `wait` is an
/// error (exit 4); refused or incomplete ones are findings of the report.
fn ehr_launch(
    listener: Arc<Listener>,
    base: &discovery::FhirBase,
    wait: Duration,
) -> Result<EhrLaunch> {
    eprintln!("Launch URL: {}", listener.launch_url());
    eprintln!(
        "Open it from the EHR of {base} (register it as the app's launch URL); waiting up to {}s…",
        wait.as_secs()
    );
    let deadline = Instant::now() + wait;
    let seen = tokio::task::block_in_place(|| listener.wait_for_launch_judged(deadline, base))?;
    Ok(EhrLaunch::new(listener, seen, wait))
}

fn list(ctx: &RunContext) -> Result<()> {
    let all = check::catalog();
    if ctx.json {
        let v: Vec<_> = all.iter().map(check::Check::listing).collect();
        return output::print_json(&v);
    }
    out!("{}", output::check::catalogue(all));
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
