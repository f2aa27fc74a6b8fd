//! `smart sandbox` — see `crate::sandbox`: turns the command line into
//! [`Options`], starts the server, tells the user (or a script, with
//! `--json`) where it is and which clients it knows, and serves until Ctrl-C
//! or SIGTERM. `smart sandbox launch-url` asks a running sandbox for an EHR
//! launch URL.

use std::io::Write;
use std::time::Duration;

use reqwest::Method;
use serde_json::Value;
use url::Url;

use super::RunContext;
use crate::cli::{SandboxArgs, SandboxCommand, SandboxLaunchUrlArgs, SandboxServeArgs};
use crate::error::{Error, Result};
use smart_sandbox::{Faults, Options, Quirks, Sandbox};

pub async fn run(ctx: &RunContext, args: SandboxArgs) -> Result<()> {
    match args.action {
        Some(SandboxCommand::LaunchUrl(a)) => launch_url(ctx, a).await,
        None => serve(ctx, args.serve).await,
    }
}

/// Command line → [`Options`], with every check that needs no server.
pub fn options(args: &SandboxServeArgs) -> Result<Options> {
    let faults = Faults::parse(&args.faults).map_err(Error::usage)?;
    let quirks = Quirks::parse(&args.quirks).map_err(Error::usage)?;
    let upstream = match &args.upstream {
        None => None,
        Some(u) => {
            let url = Url::parse(u)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https"))
                .ok_or_else(|| Error::usage(format!("--upstream `{u}` is not an http(s) URL")))?;
            Some(url)
        }
    };
    if args.token_lifetime == 0 {
        return Err(Error::usage("--token-lifetime must be at least 1 second"));
    }
    if args.patients == 0 {
        return Err(Error::usage("--patients must be at least 1"));
    }
    let export_delay = Duration::try_from_secs_f64(args.export_delay).map_err(|_| {
        Error::usage(format!(
            "--export-delay {} is not a number of seconds (0 or more)",
            args.export_delay
        ))
    })?;
    if args.export_file_lines == 0 {
        return Err(Error::usage("--export-file-lines must be at least 1"));
    }
    if let Some(path) = &args.clients
        && !path.is_file()
    {
        return Err(Error::usage(format!(
            "--clients {}: no such file",
            path.display()
        )));
    }
    Ok(Options {
        bind: args.bind,
        storage_bind: None,
        port: args.port,
        patients: args.patients,
        seed: args.seed,
        upstream,
        token_lifetime: Duration::from_secs(args.token_lifetime),
        clients_file: args.clients.clone(),
        faults,
        quirks,
        auto_approve: args.auto_approve,
        tls: match (&args.tls_cert, &args.tls_key) {
            (Some(c), Some(k)) => Some((c.clone(), k.clone())),
            _ => None,
        },
        record: false,
        allow_loopback_jwks_uri: args.allow_loopback_jwks_uri,
        // The limits `smart sandbox --help` states.
        header_read_timeout: Options::default().header_read_timeout,
        max_connections: Options::default().max_connections,
        export_delay,
        export_file_lines: args.export_file_lines,
        // The `rate-limited` fault's rate, the export bounds and the clock:
        // what README states.
        ..Options::default()
    })
}

async fn serve(ctx: &RunContext, args: SandboxServeArgs) -> Result<()> {
    let asks_help = |given: &[String]| {
        given
            .iter()
            .any(|g| g.split(',').any(|n| n.trim() == "help"))
    };
    if asks_help(&args.faults) {
        out!("{}", smart_sandbox::faults::help());
        return Ok(());
    }
    if asks_help(&args.quirks) {
        out!("{}", smart_sandbox::quirks::help());
        return Ok(());
    }
    let opts = options(&args)?;
    if !opts.bind.is_loopback() {
        crate::output::warn(&format!(
            "binding {}: the sandbox is reachable from other machines, and its client secrets are public",
            opts.bind
        ));
    }
    let at = std::net::SocketAddr::new(opts.bind, opts.port);
    let sandbox = Sandbox::start(opts).await.map_err(|e| {
        let err = Error::usage(format!("cannot start the sandbox: {e:#}"));
        // Told apart by the io::Error's kind in the chain, not by its text.
        let in_use = e.chain().any(|c| {
            c.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::AddrInUse)
        });
        if in_use {
            err.with_hint(format!(
                "{at} is taken (another sandbox?): stop it, pick another --port, or --port 0 for a free one"
            ))
        } else {
            err
        }
    })?;
    let info = sandbox.summary();
    if ctx.json {
        // One line, flushed: scripts read it to learn the port.
        let mut out = std::io::stdout().lock();
        writeln!(out, "{info}")
            .and_then(|_| out.flush())
            .unwrap_or_else(|e| crate::stdout::stop(e));
    } else {
        print_human(&info);
    }
    wait_for_shutdown().await;
    sandbox.stop().await;
    Ok(())
}

fn print_human(info: &Value) {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    outln!(
        "smart sandbox: SMART on FHIR server at {}",
        s(&info["fhir_base"])
    );
    outln!("  discovery  {}", s(&info["smart_configuration"]));
    outln!("  authorize  {}", s(&info["authorization_endpoint"]));
    outln!("  token      {}", s(&info["token_endpoint"]));
    outln!(
        "  EHR launch {} (or `smart sandbox launch-url --app URL`)",
        s(&info["launch_endpoint"])
    );
    outln!(
        "  bulk export {} (files also on {})",
        s(&info["export_endpoint"]),
        s(&info["storage_origin"])
    );
    outln!("Clients:");
    for c in info["clients"].as_array().into_iter().flatten() {
        let methods: Vec<String> = c["token_endpoint_auth_methods"]
            .as_array()
            .into_iter()
            .flatten()
            .map(s)
            .collect();
        let mut line = format!(
            "  {:<20} {} ({})",
            s(&c["client_id"]),
            s(&c["type"]),
            methods.join(", ")
        );
        if let Some(secret) = c["client_secret"].as_str() {
            line.push_str(&format!(", secret {secret}"));
        }
        outln!("{line}");
        let uris: Vec<String> = c["redirect_uris"]
            .as_array()
            .into_iter()
            .flatten()
            .map(s)
            .collect();
        if !uris.is_empty() {
            let loopback = uris.iter().any(|u| {
                ["http://127.0.0.1", "http://localhost", "http://[::1]"]
                    .iter()
                    .any(|p| u.starts_with(p))
            });
            outln!(
                "  {:<20} redirect {}{}",
                "",
                uris.join(" "),
                if loopback {
                    " (loopback: any port)"
                } else {
                    ""
                }
            );
        }
    }
    let faults: Vec<String> = info["faults"]
        .as_array()
        .into_iter()
        .flatten()
        .map(s)
        .collect();
    if !faults.is_empty() {
        outln!("Faults: {}", faults.join(", "));
    }
    let quirks: Vec<String> = info["quirks"]
        .as_array()
        .into_iter()
        .flatten()
        .map(s)
        .collect();
    if !quirks.is_empty() {
        outln!("Quirks: {}", quirks.join(", "));
    }
    if info["auto_approve"].as_bool() == Some(true) {
        outln!("Consent: auto-approved (first patient picked)");
    }
    outln!("Press Ctrl-C to stop.");
    let _ = std::io::stdout().flush();
}

async fn wait_for_shutdown() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

async fn launch_url(ctx: &RunContext, a: SandboxLaunchUrlArgs) -> Result<()> {
    let base = Url::parse(&a.base)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or_else(|| Error::usage(format!("--base `{}` is not an http(s) URL", a.base)))?;
    let app = Url::parse(&a.app)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or_else(|| Error::usage(format!("--app `{}` is not an http(s) URL", a.app)))?;
    // The sandbox serves its launch helper next to the FHIR base, at /auth/launch.
    let endpoint = base
        .join("/auth/launch")
        .map_err(|e| Error::usage(format!("--base `{base}`: {e}")))?;
    let http = crate::http::Http::new(&ctx.http_options(false))?;
    let mut form = vec![("app", app.to_string())];
    if let Some(p) = &a.patient {
        form.push(("patient", p.clone()));
    }
    if let Some(e) = &a.encounter {
        form.push(("encounter", e.clone()));
    }
    let resp = http
        .send(
            http.request(Method::POST, endpoint.clone()).form(&form),
            64 * 1024,
        )
        .await?;
    let body: Option<Value> = serde_json::from_slice(&resp.body).ok();
    if !resp.status.is_success() {
        let why = body
            .as_ref()
            .and_then(|b| b["error_description"].as_str())
            .map(str::to_owned)
            .unwrap_or_else(|| resp.snippet());
        return Err(
            Error::server(format!("{endpoint}: HTTP {}: {why}", resp.status.as_u16()))
                .with_hint("is `smart sandbox` running at --base?"),
        );
    }
    let body = body.filter(|b| b["url"].is_string()).ok_or_else(|| {
        Error::server(format!(
            "{endpoint}: the answer is not a launch (is this a smart sandbox?)"
        ))
    })?;
    if ctx.json {
        crate::output::print_json(&body)
    } else {
        outln!("{}", body["url"].as_str().unwrap_or_default());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use crate::cli::{Cli, Command};

    fn options(args: &[&str]) -> crate::error::Result<smart_sandbox::Options> {
        let cli = Cli::try_parse_from([&["smart", "sandbox"], args].concat()).unwrap();
        match cli.command {
            Command::Sandbox(a) => super::options(&a.serve),
            _ => unreachable!(),
        }
    }

    #[test]
    fn export_flags_reach_the_options() {
        let o = options(&[]).unwrap();
        assert_eq!(o.export_delay, std::time::Duration::from_secs(2));
        assert_eq!(o.export_file_lines, 10_000);
        let o = options(&["--export-delay", "0.25", "--export-file-lines", "7"]).unwrap();
        assert_eq!(o.export_delay, std::time::Duration::from_millis(250));
        assert_eq!(o.export_file_lines, 7);
        for bad in [
            &["--export-delay=-1"][..],
            &["--export-delay", "NaN"],
            &["--export-file-lines", "0"],
        ] {
            let e = options(bad).unwrap_err().to_string();
            assert!(e.contains(bad[0].trim_end_matches("=-1")), "{e}");
        }
    }
}
