//! `smart token`: the access token alone on stdout, for
//! `curl -H "Authorization: Bearer $(smart token)"` — the one command that
//! prints a secret, because that is what it was asked for. Refreshes first
//! when the token expires within a minute.

use reqwest::Method;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde_json::{Value, json};

use super::RunContext;
use crate::cli::TokenArgs;
use crate::error::{Error, Result};
use crate::http::Http;
use crate::oauth::id_token;
use crate::output;
use crate::session;
use crate::settings::Settings;
use crate::token_store::TokenStore;

pub async fn run(ctx: &RunContext, args: TokenArgs) -> Result<()> {
    let http_opts = ctx.http_options(false);
    let access = session::acquire(&ctx.invocation, &http_opts, false).await?;
    let (store, set) = (&access.store, &access.tokens);

    if args.decode {
        let mut out = serde_json::Map::new();
        for (label, tok) in [
            ("access_token", Some(&set.access_token)),
            ("id_token", set.id_token.as_ref()),
        ] {
            let Some(tok) = tok else { continue };
            out.insert(
                label.to_owned(),
                match id_token::decode_unverified(tok.expose()) {
                    Some((h, c)) => json!({"header": h, "claims": c}),
                    None => json!("not a JWT (opaque token)"),
                },
            );
        }
        return output::print_json(&out);
    }
    if args.introspect {
        let http = Http::new(&http_opts)?;
        let v = introspect(&http, store, &access.settings, set).await?;
        return output::print_json(&v);
    }
    if ctx.json {
        return output::print_json(&json!({
            "access_token": set.access_token.expose(),
            "token_type": set.token_type,
            "expires_in": set.expires_in(),
            "scope": set.scope,
        }));
    }
    println!("{}", set.access_token.expose());
    Ok(())
}

/// RFC 7662: the server's view of our access token.
async fn introspect(
    http: &Http,
    store: &TokenStore,
    settings: &Settings,
    set: &crate::oauth::tokens::TokenSet,
) -> Result<Value> {
    let ep = set
        .introspection_endpoint
        .as_deref()
        .ok_or_else(|| Error::server("the server advertises no introspection_endpoint"))?;
    let ep = crate::discovery::secure_url("introspection_endpoint", ep)?;
    let form = |client_id: Option<&str>| {
        let mut f = url::form_urlencoded::Serializer::new(String::new());
        f.append_pair("token", set.access_token.expose())
            .append_pair("token_type_hint", "access_token");
        if let Some(id) = client_id {
            f.append_pair("client_id", id);
        }
        f.finish()
    };
    let request = || {
        http.request(Method::POST, ep.clone())
            .header(ACCEPT, "application/json")
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
    };
    // Introspection needs the caller authenticated: client credentials when
    // we have them. A public client has none; RFC 7662 §2.1 lets it use the
    // token itself as bearer (what SMART servers and our sandbox accept),
    // while other servers (oidc-provider) want its client_id in the form:
    // try the first, then the second.
    let resp = match session::client_secret(store, settings)? {
        Some(secret) if set.auth_method != crate::config::TokenAuthMethod::None => {
            let req = request().header(
                reqwest::header::AUTHORIZATION,
                crate::oauth::token::basic_authorization(&set.client_id, &secret),
            );
            http.send(req.body(form(None)), 1 << 20).await?
        }
        _ => {
            let req = request().bearer_auth(set.access_token.expose());
            let resp = http.send(req.body(form(None)), 1 << 20).await?;
            if matches!(resp.status.as_u16(), 400 | 401) {
                http.send(request().body(form(Some(&set.client_id))), 1 << 20)
                    .await?
            } else {
                resp
            }
        }
    };
    if !resp.status.is_success() {
        return Err(Error::server(format!(
            "introspection answered {} ({})",
            resp.status,
            resp.snippet()
        )));
    }
    serde_json::from_slice(&resp.body)
        .map_err(|e| Error::server(format!("introspection answer is not JSON ({e})")))
}
