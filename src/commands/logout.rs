//! `smart logout [--all]`: revoke at the server (RFC 7009) when it has a
//! revocation endpoint, then delete the stored tokens — even when revocation
//! fails, since the user asked to be logged out here.

use reqwest::Method;
use reqwest::header::CONTENT_TYPE;
use serde_json::json;
use url::Url;

use super::RunContext;
use crate::cli::LogoutArgs;
use crate::config::{Store, TokenAuthMethod};
use crate::error::Result;
use crate::http::Http;
use crate::oauth::tokens::TokenSet;
use crate::output;
use crate::secret::Secret;
use crate::session;
use crate::settings::{Flags, Settings};
use crate::token_store::{Item, TokenStore};

pub async fn run(ctx: &RunContext, args: LogoutArgs) -> Result<()> {
    let names: Vec<String> = if args.all {
        Store::load_from(ctx.env().config_path()?)?
            .config
            .profiles
            .keys()
            .cloned()
            .collect()
    } else {
        // The same resolution as every other command, so that a profile
        // given only by the environment can log out too.
        let settings = Settings::resolve(&ctx.invocation, &Flags::default())?;
        vec![settings.name().to_owned()]
    };
    let store = ctx.invocation.store();
    let http = Http::new(&ctx.http_options(false))?;
    let mut report = Vec::new();
    for name in names {
        // Held until the tokens are gone, so that a refresh running in
        // parallel cannot save them back after we deleted them.
        let _lock = session::lock(&store, &name)?;
        let revoked = match session::load(&store, &name) {
            Ok(None) => {
                report.push(json!({"profile": name, "logged_in": false}));
                continue;
            }
            Ok(Some(set)) => revoke_all(ctx, &http, &store, &name, &set).await,
            // Unreadable tokens cannot be revoked, but must still go.
            Err(e) => Err(e),
        };
        session::blocking(|| store.delete(&name, Item::Tokens))?;
        if !ctx.json {
            match &revoked {
                Ok(true) => println!("logged out of `{name}` (tokens revoked at the server)"),
                Ok(false) => println!(
                    "logged out of `{name}` (the server has no revocation endpoint; tokens deleted here)"
                ),
                Err(e) => {
                    output::warn(&format!("revocation failed: {}", e.message));
                    println!("logged out of `{name}` (tokens deleted here)");
                }
            }
        }
        report.push(json!({
            "profile": name,
            "logged_in": false,
            "revoked": revoked.as_ref().ok().copied().unwrap_or(false),
            "revocation_error": revoked.err().map(|e| e.message),
        }));
    }
    if ctx.json {
        output::print_json(&report)?;
    }
    Ok(())
}

/// Revokes the refresh token (which on most servers ends the grant) and the
/// access token. `Ok(false)` when there is no endpoint.
async fn revoke_all(
    ctx: &RunContext,
    http: &Http,
    store: &TokenStore,
    profile: &str,
    set: &TokenSet,
) -> Result<bool> {
    let Some(ep) = set.revocation_endpoint.as_deref() else {
        return Ok(false);
    };
    let ep = crate::discovery::secure_url("revocation_endpoint", ep)?;
    let settings = || Settings::for_named(&ctx.invocation, profile, store.kind());
    let secret = match set.auth_method {
        TokenAuthMethod::ClientSecretBasic | TokenAuthMethod::ClientSecretPost => {
            session::client_secret(store, &settings()?)?
        }
        _ => None,
    };
    // private_key_jwt clients authenticate here with an assertion, too.
    let key = match set.auth_method {
        TokenAuthMethod::PrivateKeyJwt => Some(settings()?.signing_key(store)?),
        _ => None,
    };
    let auth = (secret.as_ref(), key.as_ref());
    if let Some(rt) = &set.refresh_token {
        revoke(http, &ep, set, rt, "refresh_token", auth).await?;
    }
    revoke(http, &ep, set, &set.access_token, "access_token", auth).await?;
    Ok(true)
}

async fn revoke(
    http: &Http,
    ep: &Url,
    set: &TokenSet,
    token: &Secret,
    hint: &str,
    (secret, key): (Option<&Secret>, Option<&crate::oauth::keys::SigningKey>),
) -> Result<()> {
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    form.append_pair("token", token.expose())
        .append_pair("token_type_hint", hint);
    let mut req = http
        .request(Method::POST, ep.clone())
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded");
    match (set.auth_method, secret, key) {
        (TokenAuthMethod::ClientSecretBasic, Some(s), _) => {
            req = req.header(
                reqwest::header::AUTHORIZATION,
                crate::oauth::token::basic_authorization(&set.client_id, s),
            );
        }
        (TokenAuthMethod::ClientSecretPost, Some(s), _) => {
            form.append_pair("client_id", &set.client_id)
                .append_pair("client_secret", s.expose());
        }
        (TokenAuthMethod::PrivateKeyJwt, _, Some(k)) => {
            // RFC 7523 / SMART: the assertion's aud is the token endpoint.
            let jwt = crate::oauth::assertion::sign(k, &set.client_id, &set.token_endpoint)?;
            form.append_pair("client_id", &set.client_id)
                .append_pair("client_assertion_type", crate::oauth::assertion::JWT_BEARER)
                .append_pair("client_assertion", jwt.expose());
        }
        _ => {
            form.append_pair("client_id", &set.client_id);
        }
    }
    let resp = http.send(req.body(form.finish()), 1 << 16).await?;
    if resp.status.is_success() {
        Ok(())
    } else {
        Err(crate::error::Error::server(format!(
            "the revocation endpoint answered {}",
            resp.status
        )))
    }
}
