//! `smart discover`: show what a server supports and what is wrong with its
//! SMART configuration.

use colored::Colorize;

use super::RunContext;
use crate::cli::DiscoverArgs;
use crate::discovery::{self, Discovery, Severity};
use crate::error::{Error, Result};
use crate::http::Http;
use crate::output;
use crate::settings::{Flags, Settings};

pub async fn run(ctx: &RunContext, args: DiscoverArgs) -> Result<()> {
    // A base given here gets the -H headers; the profile's base also the
    // profile's own (see `custom_headers`).
    let (base, opts) = match args.fhir_base {
        Some(b) => {
            let base = discovery::parse_base(&b)?;
            let opts = ctx.http_options(true).for_base(base.url());
            (base, opts)
        }
        // The profile's base, as every command resolves it (so SMART_FHIR_BASE works).
        None => Settings::resolve(&ctx.invocation, &Flags::default())
            .and_then(|s| Ok((s.require_base()?, s.http_options(&ctx.http_options(true))?)))
            .map_err(|e| {
                e.or_hint("pass a FHIR base URL: smart discover https://fhir.example.org/r4")
            })?,
    };
    let http = Http::new(&opts)?;
    let d = discovery::discover(&http, &base).await?;
    if ctx.json {
        output::print_json(&d)?;
    } else {
        print_human(&d);
    }
    if d.has_errors() {
        let n = d
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count();
        return Err(Error::findings(format!(
            "the SMART configuration of {} has {n} error{}",
            d.fhir_base,
            if n == 1 { "" } else { "s" }
        )));
    }
    Ok(())
}

/// Capability groups shown on their own line, with the prefix each drops.
const GROUPS: &[(&str, &str)] = &[
    ("Launch modes", "launch-"),
    ("Client types", "client-"),
    ("Permissions", "permission-"),
    ("Context", "context-"),
    ("Single sign-on", "sso-"),
];

const W: usize = 16;

/// Everything from the server's document goes through `printable`: its
/// text cannot drive the terminal.
fn print_human(d: &Discovery) {
    let p = crate::redact::printable;
    outln!("{} {}", "SMART configuration of".bold(), d.fhir_base);
    outln!("{}{}", output::label("Source", W), d.source.describe());
    if let Some(why) = &d.fallback_reason {
        outln!(
            "{}.well-known/smart-configuration {why}",
            output::label("", W)
        );
    }
    if let Some(issuer) = d.str_field("issuer") {
        outln!("{}{}", output::label("Issuer", W), p(issuer));
    }

    outln!("\n{}", "Endpoints".bold().underline());
    for (field, short) in discovery::ENDPOINTS {
        if let Some(u) = d.str_field(field) {
            outln!("{}{}", output::label(short, W), p(u));
        }
    }
    if let Some(u) = d.str_field("jwks_uri") {
        outln!("{}{}", output::label("jwks", W), p(u));
    }

    let caps = d.capabilities();
    if !caps.is_empty() {
        outln!("\n{}", "Capabilities".bold().underline());
        let mut shown = Vec::new();
        for (title, prefix) in GROUPS {
            let items: Vec<&str> = caps
                .iter()
                .filter(|c| c.starts_with(prefix))
                .map(|c| &c[prefix.len()..])
                .collect();
            shown.extend(caps.iter().filter(|c| c.starts_with(prefix)));
            if !items.is_empty() {
                outln!("{}{}", output::label(title, W), p(&items.join(", ")));
            }
        }
        let other: Vec<&str> = caps
            .iter()
            .filter(|c| !shown.contains(c))
            .copied()
            .collect();
        if !other.is_empty() {
            outln!("{}{}", output::label("Other", W), p(&other.join(", ")));
        }
    }

    let lists = [
        ("PKCE methods", "code_challenge_methods_supported"),
        ("Grant types", "grant_types_supported"),
        ("Client auth", "token_endpoint_auth_methods_supported"),
        ("Scopes", "scopes_supported"),
    ];
    let mut header = false;
    for (title, field) in lists {
        let items = d.list(field);
        if items.is_empty() {
            continue;
        }
        if !header {
            outln!("\n{}", "Protocol".bold().underline());
            header = true;
        }
        outln!("{}{}", output::label(title, W), p(&items.join(", ")));
    }

    outln!("\n{}", "Findings".bold().underline());
    if d.findings.is_empty() {
        outln!(
            "{}",
            "none: the configuration conforms to SMART App Launch 2.x".green()
        );
    }
    for f in &d.findings {
        let sev = match f.severity {
            Severity::Error => "error  ".red().bold(),
            Severity::Warning => "warning".yellow().bold(),
        };
        outln!("{sev} {}: {}", f.field.bold(), p(&f.message));
    }
}
