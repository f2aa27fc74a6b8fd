//! `smart profile add|list|show|use|remove`.

use colored::Colorize;
use serde_json::json;

use super::RunContext;
use crate::cli::{ProfileAddArgs, ProfileCommand};
use crate::config::{self, ClientType, ConfigFile, Profile};
use crate::error::{Error, Result};
use crate::output;

pub async fn run(ctx: &RunContext, cmd: ProfileCommand) -> Result<()> {
    let mut store = ConfigFile::load_from(ctx.env().config_path()?)?;
    match cmd {
        ProfileCommand::Add(args) => add(ctx, &mut store, *args),
        ProfileCommand::List => list(ctx, &store),
        ProfileCommand::Show { name } => {
            let requested = name.as_deref().or(ctx.invocation.profile_name());
            let (name, profile) = store.resolve(requested)?;
            let is_default = store.config.default.as_deref() == Some(name);
            show(ctx, name, profile, is_default)
        }
        ProfileCommand::Use { name } => {
            let unknown = store.unknown_profile(&name);
            store.update(|c| {
                if !c.profiles.contains_key(&name) {
                    return Err(unknown);
                }
                c.default = Some(name.clone());
                Ok(())
            })?;
            done(ctx, &format!("default profile is now `{name}`"), &name)
        }
        ProfileCommand::SetSecret { name } => {
            let requested = name.as_deref().or(ctx.invocation.profile_name());
            let (name, _) = store.resolve(requested)?;
            let secret = crate::prompt::read_secret_stdin(ctx.env().in_ci())?;
            let tokens = ctx.invocation.store();
            crate::blocking::blocking(|| {
                tokens.put(name, crate::token_store::Item::ClientSecret, &secret)
            })?;
            done(
                ctx,
                &format!(
                    "stored the client secret of `{name}` in {}",
                    tokens.describe()
                ),
                name,
            )
        }
        ProfileCommand::Remove { name } => {
            let unknown = store.unknown_profile(&name);
            store.update(|c| {
                if c.profiles.remove(&name).is_none() {
                    return Err(unknown);
                }
                if c.default.as_deref() == Some(name.as_str()) {
                    c.default = None;
                }
                Ok(())
            })?;
            done(ctx, &format!("removed profile `{name}`"), &name)
        }
    }
}

fn add(ctx: &RunContext, store: &mut ConfigFile, a: ProfileAddArgs) -> Result<()> {
    config::validate_name(&a.name).map_err(Error::usage)?;
    let profile = Profile {
        fhir_base: crate::discovery::parse_base(&a.fhir_base)?.to_string(),
        client_id: a.client_id,
        scope: a.scope,
        redirect_port: a.redirect_port,
        client_type: a.client_type.map(Into::into),
        aud: a.aud,
        send_aud: !a.no_aud,
        pkce: a.pkce.map(Into::into),
        token_auth_method: a.token_auth_method.map(Into::into),
        authorize_params: a.authorize_params.into_iter().collect(),
        format_json: a.format_json,
        basic_auth_encoding: a.basic_auth_encoding.map(Into::into),
        scope_translation: !a.no_scope_translation,
        max_retry_wait: a.max_retry_wait,
        token_origins: Vec::new(),
        headers: Default::default(),
        header_token_endpoint: false,
        private_key: a.private_key.map(|k| crate::settings::key_reference(&k)),
        kid: a.kid,
        alg: a.alg.map(Into::into),
        jku: a.jku,
        extra: Default::default(),
    };
    config::validate_profile(&a.name, &profile).map_err(Error::usage)?;
    let first = store.update(|c| {
        if c.profiles.contains_key(&a.name) && !a.force {
            return Err(Error::usage(format!("profile `{}` already exists", a.name))
                .with_hint("pass --force to replace it, or `smart profile remove` it first"));
        }
        c.profiles.insert(a.name.clone(), profile);
        let first = c.default.is_none();
        if first {
            c.default = Some(a.name.clone());
        }
        Ok(first)
    })?;
    let mut msg = format!("added profile `{}`", a.name);
    if first {
        msg.push_str(" (the default)");
    }
    done(ctx, &msg, &a.name)
}

fn done(ctx: &RunContext, message: &str, name: &str) -> Result<()> {
    if ctx.json {
        output::print_json(&json!({"ok": true, "profile": name, "message": message}))
    } else {
        outln!("{message}");
        Ok(())
    }
}

fn list(ctx: &RunContext, store: &ConfigFile) -> Result<()> {
    let default = store.config.default.as_deref();
    if ctx.json {
        let items: Vec<_> = store
            .config
            .profiles
            .iter()
            .map(|(name, p)| {
                json!({"name": name, "default": Some(name.as_str()) == default,
                       "fhir_base": p.fhir_base, "client_id": p.client_id})
            })
            .collect();
        return output::print_json(&items);
    }
    if store.config.profiles.is_empty() {
        outln!("no profiles; add one with `smart profile add NAME --fhir-base URL`");
        return Ok(());
    }
    let width = store
        .config
        .profiles
        .keys()
        .map(String::len)
        .max()
        .unwrap_or(0);
    for (name, p) in &store.config.profiles {
        let mark = if Some(name.as_str()) == default {
            "*"
        } else {
            " "
        };
        outln!(
            "{mark} {}  {}",
            format!("{name:<width$}").bold(),
            p.fhir_base
        );
    }
    Ok(())
}

/// The profile's custom headers, values of secret-looking names redacted
/// (see [`crate::redact::header_value`]).
fn shown_headers(p: &Profile) -> std::collections::BTreeMap<String, String> {
    p.headers
        .iter()
        .map(|(k, v)| (k.clone(), crate::redact::header_value(k, v)))
        .collect()
}

/// The profile's scope, or the one a login would ask for, marked as the
/// default (as "Client type" marks its own).
fn shown_scope(p: &Profile) -> String {
    match &p.scope {
        Some(s) => s.clone(),
        None => format!(
            "{} (default)",
            crate::settings::default_scope(client_type(p).0)
        ),
    }
}

/// The profile's client type, and whether it is the default that login
/// would take (a key and no type: a backend service, as `settings` decides).
fn client_type(p: &Profile) -> (ClientType, bool) {
    match p.client_type {
        Some(t) => (t, false),
        None if p.private_key.is_some() => (ClientType::Backend, true),
        None => (ClientType::Public, true),
    }
}

fn show(ctx: &RunContext, name: &str, p: &Profile, is_default: bool) -> Result<()> {
    if ctx.json {
        let mut v = serde_json::to_value(p)
            .map_err(|e| Error::usage(format!("cannot serialize profile: {e}")))?;
        v["name"] = json!(name);
        v["default"] = json!(is_default);
        v["send_aud"] = json!(p.send_aud);
        v["scope_translation"] = json!(p.scope_translation);
        // A gateway key kept in the profile is shown by name only.
        if !p.headers.is_empty() {
            v["headers"] = json!(shown_headers(p));
        }
        return output::print_json(&v);
    }
    const W: usize = 20;
    let l = |t: &str| output::label(t, W);
    outln!(
        "{}{}{}",
        l("Profile"),
        name,
        if is_default { " (default)" } else { "" }
    );
    outln!("{}{}", l("FHIR base"), p.fhir_base);
    outln!(
        "{}{}",
        l("Client id"),
        p.client_id.as_deref().unwrap_or("-")
    );
    outln!(
        "{}{}",
        l("Client type"),
        match client_type(p) {
            (t, true) => format!("{t} (default)"),
            (t, false) => t.to_string(),
        }
    );
    outln!("{}{}", l("Scope"), shown_scope(p));
    outln!(
        "{}{}",
        l("Redirect port"),
        p.redirect_port
            .map_or("ephemeral".to_owned(), |n| n.to_string())
    );
    let aud = match p.effective_aud() {
        None => "not sent".to_owned(),
        Some(a) if p.aud.is_some() => format!("{a} (override)"),
        Some(a) => a.to_owned(),
    };
    outln!("{}{}", l("aud"), aud);

    let mut workarounds = Vec::new();
    if let Some(m) = p.pkce {
        workarounds.push(("pkce", m.to_string()));
    }
    if let Some(m) = p.token_auth_method {
        workarounds.push(("token_auth_method", m.to_string()));
    }
    for (k, v) in &p.authorize_params {
        workarounds.push(("authorize_param", format!("{k}={v}")));
    }
    if p.format_json {
        workarounds.push(("format_json", "add _format=json".to_owned()));
    }
    if !p.send_aud {
        workarounds.push(("send_aud", "false".to_owned()));
    }
    if let Some(e) = p.basic_auth_encoding {
        workarounds.push(("basic_auth_encoding", e.to_string()));
    }
    if !p.scope_translation {
        workarounds.push(("scope_translation", "false".to_owned()));
    }
    if let Some(s) = p.max_retry_wait {
        workarounds.push(("max_retry_wait", format!("{s} s")));
    }
    for o in &p.token_origins {
        workarounds.push(("token_origins", o.clone()));
    }
    for (k, v) in shown_headers(p) {
        workarounds.push(("header", format!("{k}: {v}")));
    }
    if p.header_token_endpoint {
        workarounds.push(("header_token_endpoint", "true".to_owned()));
    }
    outln!("\n{}", "Workarounds".bold().underline());
    if workarounds.is_empty() {
        outln!("none");
    }
    for (k, v) in workarounds {
        outln!("{}{}", l(k), v);
    }
    if !p.extra.is_empty() {
        outln!(
            "\n{}",
            "Other keys (kept, not used by this version)"
                .bold()
                .underline()
        );
        for (k, v) in &p.extra {
            outln!("{}{}", l(k), v);
        }
    }
    Ok(())
}
