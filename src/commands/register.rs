//! `smart register`: RFC 7591 dynamic client registration at the server's
//! `registration_endpoint`, saved as a new profile — so that a CI job (or a
//! developer trying a server) can go from nothing to a working client
//! without a registration form.
//!
//! The client metadata follows from the client type: a native app
//! (loopback redirect, `none`), a confidential client (a secret the server
//! issues, kept in the token store, never in the config file), or a
//! `private_key_jwt` client whose public keys are registered inline or as a
//! `jwks_uri`. The server's answer is printed with secrets redacted.

use reqwest::Method;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde_json::{Value, json};

use super::RunContext;
use crate::cli::RegisterArgs;
use crate::config::{self, ClientType, Profile};
use crate::discovery;
use crate::error::{Error, Result};
use crate::http::Http;
use crate::output;
use crate::secret::Secret;
use crate::settings::{self, Flags, Settings};
use crate::token_store::Item;

const DEFAULT_CLIENT_NAME: &str = "smart (command-line SMART on FHIR client)";
const RESPONSE_LIMIT: usize = 1 << 20;

pub async fn run(ctx: &RunContext, a: RegisterArgs) -> Result<()> {
    let mut config = ctx.invocation.load_config()?;
    let (name, base) = new_profile_name(ctx, &a, &config)?;
    let base_str = base.to_string();
    let mut profile = Profile {
        fhir_base: base_str.clone(),
        redirect_port: a.redirect_port,
        private_key: a.private_key.as_deref().map(settings::key_reference),
        jku: a.jwks_url.clone(),
        ..Profile::default()
    };
    // The key, kid and store as the new profile will see them (the
    // environment still counts: SMART_PRIVATE_KEY is the CI way).
    let flags = Flags {
        fhir_base: Some(&base_str),
        ..Flags::default()
    };
    let pre = Settings::for_profile(&ctx.invocation, &flags, &name, &profile, false)?;
    let store = pre.store();
    let client_type = client_type_for(&a, &pre);
    let scope = a.scope.clone().or_else(|| {
        (client_type == ClientType::Backend).then(|| settings::DEFAULT_BACKEND_SCOPE.to_owned())
    });
    let meta = client_metadata(&a, client_type, scope.as_deref(), &pre, &name)?;
    // The server shows a client secret once: it must have somewhere to go.
    if client_type == ClientType::ConfidentialSymmetric
        && store.kind() == crate::token_store::StoreKind::None
    {
        return Err(Error::usage(
            "a confidential-symmetric client gets a secret that must be kept, and --token-store is none",
        )
        .with_hint("use the keychain (default) or --token-store file"));
    }

    let (endpoint, registered) = post_registration(ctx, &base, &meta).await?;
    let Registered {
        client_id,
        secret,
        scope: granted,
        answer,
    } = registered;
    if let Some(secret) = &secret {
        keep_secret(&store, &name, &client_id, secret)?;
    }

    profile.client_id = Some(client_id.clone());
    profile.client_type = Some(client_type);
    profile.scope = granted.or(scope);
    let first = save_profile(&mut config, &name, &client_id, profile)?;

    if ctx.json {
        return output::print_json(&json!({
            "profile": name,
            "default": first,
            "client_id": client_id,
            "client_type": client_type.to_string(),
            "registration_endpoint": endpoint.as_str(),
            "registration": crate::redact::json(&answer),
        }));
    }
    outln!(
        "registered {client_type} client `{client_id}` at {}",
        crate::http::origin_path(&endpoint)
    );
    outln!(
        "saved as profile `{name}`{}",
        if first { " (the default)" } else { "" }
    );
    if secret.is_some() {
        outln!("client secret kept in {}", store.describe());
    }
    Ok(())
}

/// The server (`--fhir-base` or `SMART_FHIR_BASE`) and the name of the
/// profile to make for it, refused when that profile exists (unless `--force`).
fn new_profile_name(
    ctx: &RunContext,
    a: &RegisterArgs,
    config: &config::ConfigFile,
) -> Result<(String, discovery::FhirBase)> {
    let base_text = ctx
        .invocation
        .base_given(a.fhir_base.as_deref())
        .ok_or_else(|| {
            Error::usage("which server? pass --fhir-base URL (or set SMART_FHIR_BASE)")
        })?;
    let base = discovery::parse_base(base_text)?;
    let name = ctx.invocation.profile_name().map_or_else(
        || settings::profile_name_for(&base.to_string()),
        str::to_owned,
    );
    config::validate_name(&name).map_err(Error::usage)?;
    if config.config.profiles.contains_key(&name) && !a.force {
        return Err(Error::usage(format!("profile `{name}` already exists"))
            .with_hint("pass -p NEW_NAME for the new client, or --force to replace the profile"));
    }
    Ok((name, base))
}

/// The client type asked for, else the one the given key and port imply.
fn client_type_for(a: &RegisterArgs, pre: &Settings) -> ClientType {
    let has_key = a.jwks.is_some() || a.jwks_url.is_some() || pre.private_key.is_some();
    a.client_type
        .map(ClientType::from)
        .unwrap_or(match (has_key, a.redirect_port) {
            (true, Some(_)) => ClientType::ConfidentialAsymmetric,
            (true, None) => ClientType::Backend,
            (false, _) => ClientType::Public,
        })
}

/// The RFC 7591 client metadata that the client type implies.
fn client_metadata(
    a: &RegisterArgs,
    client_type: ClientType,
    scope: Option<&str>,
    pre: &Settings,
    name: &str,
) -> Result<Value> {
    let asymmetric = matches!(
        client_type,
        ClientType::Backend | ClientType::ConfidentialAsymmetric
    );
    let mut meta = json!({
        "client_name": a.name.clone().unwrap_or_else(|| DEFAULT_CLIENT_NAME.to_owned()),
    });
    if client_type == ClientType::Backend {
        meta["grant_types"] = json!(["client_credentials"]);
    } else {
        // RFC 8252 §7.3: a loopback redirect matches on any port, so the
        // port is registered only when the profile pins one.
        let redirect = match a.redirect_port {
            Some(p) => format!("http://127.0.0.1:{p}/callback"),
            None => "http://127.0.0.1/callback".to_owned(),
        };
        meta["redirect_uris"] = json!([redirect]);
        meta["grant_types"] = json!(["authorization_code", "refresh_token"]);
        meta["response_types"] = json!(["code"]);
    }
    meta["token_endpoint_auth_method"] = json!(match client_type {
        ClientType::Public => "none",
        ClientType::ConfidentialSymmetric => "client_secret_basic",
        _ => "private_key_jwt",
    });
    if let Some(s) = scope {
        meta["scope"] = json!(s);
    }
    if asymmetric {
        if let Some(u) = &a.jwks_url {
            url::Url::parse(u).map_err(|e| Error::usage(format!("--jwks-url `{u}`: {e}")))?;
            meta["jwks_uri"] = json!(u);
        } else {
            meta["jwks"] = registered_jwks(a, pre, &pre.store())?;
        }
        if pre.private_key.is_none() {
            output::warn(&format!(
                "profile `{name}` has no private key to sign with: set SMART_PRIVATE_KEY, or `smart -p {name} keys generate` and register its JWKS"
            ));
        }
    }
    Ok(meta)
}

/// POSTs the metadata to the advertised `registration_endpoint`.
async fn post_registration(
    ctx: &RunContext,
    base: &discovery::FhirBase,
    meta: &Value,
) -> Result<(url::Url, Registered)> {
    // -H headers for the server being registered at: its discovery gets
    // them, the registration only with --header-token-endpoint.
    let http = Http::new(&ctx.http_options(true).for_base(base.url()))?;
    let d = discovery::discover(&http, base).await?;
    let endpoint = d.endpoint("registration_endpoint")?.ok_or_else(|| {
        Error::server(format!(
            "{base} advertises no registration_endpoint: it does not offer dynamic client registration"
        ))
        .with_hint("register the client with the server's administrators, then `smart profile add`")
    })?;
    let req = crate::http::to_authorization_server(
        http.request(Method::POST, endpoint.clone())
            .header(ACCEPT, "application/json")
            .header(CONTENT_TYPE, "application/json")
            .body(meta.to_string()),
    );
    let resp = http.send(req, RESPONSE_LIMIT).await?;
    Ok((endpoint, read_answer(&resp)?))
}

/// The secret the server issued goes to the token store at once: it is
/// shown only this once.
fn keep_secret(
    store: &crate::token_store::TokenStore,
    name: &str,
    client_id: &str,
    secret: &Secret,
) -> Result<()> {
    crate::blocking::blocking(|| store.put(name, Item::ClientSecret, secret)).map_err(|e| {
        Error::new(
            e.kind,
            format!(
                "registered client `{client_id}`, but cannot keep its secret: {}",
                e.message
            ),
        )
        .with_hint("register again with a usable --token-store (the secret is shown only once)")
    })
}

/// Saves the new profile; true when it became the default (the first one).
fn save_profile(
    config: &mut config::ConfigFile,
    name: &str,
    client_id: &str,
    profile: Profile,
) -> Result<bool> {
    config::validate_profile(name, &profile).map_err(Error::usage)?;
    if config.path.as_os_str().is_empty() {
        return Err(Error::usage(format!(
            "registered client `{client_id}`, but there is no config file to save profile `{name}` in"
        ))
        .with_hint("set SMART_CONFIG (or HOME), or use SMART_CLIENT_ID with the environment"));
    }
    config.update(|c| {
        c.profiles.insert(name.to_owned(), profile);
        let first = c.default.is_none();
        if first {
            c.default = Some(name.to_owned());
        }
        Ok(first)
    })
}

/// A registration endpoint's answer, read: the client it registered.
pub(crate) struct Registered {
    pub client_id: String,
    /// The client secret it issued, if any (kept in the token store).
    pub secret: Option<Secret>,
    /// The scope it granted, if it says.
    pub scope: Option<String>,
    /// The whole answer (printed redacted with --json).
    pub answer: Value,
}

/// Reads the registration endpoint's answer: a refusal in the server's
/// words (RFC 7591 §3.2.2), else a JSON object with a `client_id`.
pub(crate) fn read_answer(resp: &crate::http::Response) -> Result<Registered> {
    let body: Option<Value> = serde_json::from_slice(&resp.body).ok();
    if !resp.status.is_success() {
        let detail = body
            .as_ref()
            .and_then(|b| {
                let e = b.get("error")?.as_str()?;
                Some(match b.get("error_description").and_then(Value::as_str) {
                    Some(d) => format!("{e}: {d}"),
                    None => e.to_owned(),
                })
            })
            .unwrap_or_else(|| format!("{} ({})", resp.status, resp.snippet()));
        let msg = format!("the registration endpoint refused: {detail}");
        return Err(match resp.status.as_u16() {
            401 | 403 => Error::auth(msg).with_hint(
                "this server needs an initial access token for registration; register by hand",
            ),
            _ => Error::server(msg),
        });
    }
    let answer = body.filter(Value::is_object).ok_or_else(|| {
        Error::server(format!(
            "the registration endpoint answered {} without a JSON object",
            resp.status
        ))
    })?;
    let client_id = answer
        .get("client_id")
        .and_then(Value::as_str)
        .filter(|c| !c.is_empty())
        .ok_or_else(|| Error::server("the registration answer has no client_id"))?
        .to_owned();
    Ok(Registered {
        client_id,
        secret: answer
            .get("client_secret")
            .and_then(Value::as_str)
            .map(Secret::new),
        scope: answer
            .get("scope")
            .and_then(Value::as_str)
            .map(str::to_owned),
        answer,
    })
}

/// The JWKS to register inline: `--jwks FILE`, else the public half of the
/// profile's key.
fn registered_jwks(
    a: &RegisterArgs,
    pre: &Settings,
    store: &crate::token_store::TokenStore,
) -> Result<Value> {
    if let Some(path) = &a.jwks {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::usage(format!("cannot read {}: {e}", path.display())))?;
        let v: Value = serde_json::from_str(&text)
            .map_err(|e| Error::usage(format!("{} is not JSON: {e}", path.display())))?;
        let ok = v
            .get("keys")
            .and_then(Value::as_array)
            .is_some_and(|k| !k.is_empty());
        if !ok {
            return Err(Error::usage(format!(
                "{} is not a JWKS (an object with a non-empty `keys` array)",
                path.display()
            )));
        }
        if v.get("keys")
            .and_then(Value::as_array)
            .is_some_and(|keys| keys.iter().any(|k| k.get("d").is_some()))
        {
            return Err(Error::usage(format!(
                "{} holds a private key; register only the public JWKS (`smart keys jwks`)",
                path.display()
            )));
        }
        return Ok(v);
    }
    // Missing local input (exit 1), whatever the key lookup's own kind; its
    // hint (which key, which variable) is kept beside the register options.
    let key = pre.signing_key(store).map_err(|e| {
        let own = e.hint.clone().map_or(String::new(), |h| format!("; {h}"));
        Error {
            kind: crate::error::Kind::Usage,
            hint: None,
            ..e.context("no public keys to register")
        }
        .with_hint(format!(
            "pass --jwks FILE or --jwks-url URL, or --private-key FILE (`smart keys generate` makes one){own}"
        ))
    })?;
    Ok(key.key.public_jwks(&key.kid))
}
