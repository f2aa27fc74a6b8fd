//! `smart logout [--all]`: revoke at the server (RFC 7009) when it has a
//! revocation endpoint, then delete the stored tokens — even when revocation
//! fails, since the user asked to be logged out here.
//!
//! Revocation is our own code, not the `oauth2` crate's: the crate refuses
//! non-https revocation URLs, and the sandbox and loopback test servers are
//! `http://127.0.0.1` (see the test below).

use reqwest::Method;
use reqwest::header::CONTENT_TYPE;
use serde_json::json;
use url::Url;

use super::RunContext;
use crate::cli::LogoutArgs;
use crate::config::{ConfigFile, TokenAuthMethod};
use crate::error::Result;
use crate::http::Http;
use crate::oauth::token_endpoint::ClientAuth;
use crate::oauth::token_set::TokenSet;
use crate::output;
use crate::session;
use crate::settings::{Flags, Settings};
use crate::token_store::{Item, TokenStore};

pub async fn run(ctx: &RunContext, args: LogoutArgs) -> Result<()> {
    let names: Vec<String> = if args.all {
        ConfigFile::load_from(ctx.env().config_path()?)?
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
                // Said, so that a second logout is not mistaken for a hang
                // or a silent failure.
                if !ctx.json {
                    outln!("`{name}` was not logged in; nothing to do");
                }
                report.push(json!({"profile": name, "logged_in": false}));
                continue;
            }
            Ok(Some(set)) => revoke_all(ctx, &http, &store, &name, &set).await,
            // Unreadable tokens cannot be revoked, but must still go.
            Err(e) => Err(e),
        };
        crate::blocking::blocking(|| store.delete(&name, Item::Tokens))?;
        if !ctx.json {
            match &revoked {
                Ok(true) => outln!("logged out of `{name}` (tokens revoked at the server)"),
                Ok(false) => outln!(
                    "logged out of `{name}` (the server has no revocation endpoint; tokens deleted here)"
                ),
                Err(e) => {
                    output::warn(&format!("revocation failed: {}", e.message));
                    outln!("logged out of `{name}` (tokens deleted here)");
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
    let Some(stored) = set.revocation_endpoint.as_deref() else {
        return Ok(false);
    };
    // The tokens (and the client's credentials) go there: only to the
    // endpoint the profile's own base advertises, whatever the stored set
    // (a file anyone running as the user can edit) says.
    let settings = Settings::for_named(&ctx.invocation, profile, store.kind())?;
    let base = settings.require_base()?;
    if crate::discovery::parse_base(&set.fhir_base).ok().as_ref() != Some(&base) {
        return Err(crate::error::Error::auth(format!(
            "the stored tokens name {}, not the profile's {base}; not revoking there",
            crate::redact::printable(&set.fhir_base)
        )));
    }
    // This profile's headers (see `custom_headers`): the discovery gets
    // them, the revocation only with --header-token-endpoint.
    let opts = settings.http_options(&ctx.http_options(false))?;
    let ep = session::trusted_endpoint(&opts, &base, "revocation_endpoint", stored).await?;
    let bound;
    let http = if opts.headers.is_empty() {
        http
    } else {
        bound = Http::new(&opts)?;
        &bound
    };
    let auth = revocation_auth(store, profile, set, &settings)?;
    if let Some(rt) = &set.refresh_token {
        revoke(http, &ep, set, rt.secret(), "refresh_token", &auth).await?;
    }
    revoke(
        http,
        &ep,
        set,
        set.access_token.secret(),
        "access_token",
        &auth,
    )
    .await?;
    Ok(true)
}

/// How the client authenticates for revocation. A secret client whose
/// secret is gone still asks, with its client_id: the user wants out.
fn revocation_auth(
    store: &TokenStore,
    profile: &str,
    set: &TokenSet,
    settings: &Settings,
) -> Result<ClientAuth> {
    let client_id = set.client_id.clone();
    match set.auth_method {
        TokenAuthMethod::ClientSecretBasic | TokenAuthMethod::ClientSecretPost => {
            match crate::settings::client_secret(store, settings)? {
                Some(s) => ClientAuth::build(set.auth_method, &client_id, profile, Some(s), None)
                    .map(|a| a.with_basic_encoding(settings.stored.basic_encoding())),
                None => Ok(ClientAuth::None { client_id }),
            }
        }
        // private_key_jwt clients authenticate here with an assertion, too.
        TokenAuthMethod::PrivateKeyJwt => Ok(ClientAuth::Assertion {
            client_id,
            key: settings.signing_key(store)?,
        }),
        TokenAuthMethod::None => Ok(ClientAuth::None { client_id }),
    }
}

/// One RFC 7009 request.
async fn revoke(
    http: &Http,
    ep: &Url,
    set: &TokenSet,
    token: &str,
    hint: &str,
    auth: &ClientAuth,
) -> Result<()> {
    // RFC 7523 / SMART: an assertion's aud is the token endpoint.
    let client = auth.own_request(&set.token_endpoint)?;
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    form.append_pair("token", token)
        .append_pair("token_type_hint", hint);
    for (k, v) in &client.form {
        form.append_pair(k, v);
    }
    let mut req = crate::http::to_authorization_server(
        http.request(Method::POST, ep.clone())
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded"),
    );
    if let Some(a) = client.authorization {
        req = req.header(reqwest::header::AUTHORIZATION, a);
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

#[cfg(test)]
mod tests {
    use oauth2::basic::BasicClient;
    use oauth2::{AccessToken, ClientId, RevocationUrl, StandardRevocableToken};

    /// Why revocation is our own code: the crate will not revoke at a plain
    /// http URL, and the sandbox and loopback test servers are exactly that.
    #[test]
    fn the_crate_refuses_http_revocation_urls() {
        let client = BasicClient::new(ClientId::new("c".into()))
            .set_revocation_url(RevocationUrl::new("http://127.0.0.1:8080/revoke".into()).unwrap());
        let token = StandardRevocableToken::AccessToken(AccessToken::new("t".into()));
        assert!(matches!(
            client.revoke_token(token),
            Err(oauth2::ConfigurationError::InsecureUrl("revocation"))
        ));
    }
}
