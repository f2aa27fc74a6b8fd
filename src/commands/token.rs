//! `smart token`: the access token alone on stdout, for
//! `curl -H "Authorization: Bearer $(smart token)"` — the one command that
//! prints a secret, because that is what it was asked for. Refreshes first
//! when the token expires within a minute.
//!
//! `--introspect` (RFC 7662) is our own request, not the `oauth2` crate's:
//! it prints the server's answer as sent, which the crate's response type
//! would reshape (it needs `active`, turns `aud` into a list, drops order),
//! and a public client authenticates with the token as bearer, which the
//! crate cannot send (see the test below).

use reqwest::Method;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde_json::{Value, json};

use super::RunContext;
use crate::cli::TokenArgs;
use crate::clock::Clock as _;
use crate::error::{Error, Result};
use crate::http::Http;
use crate::oauth::id_token;
use crate::output;
use crate::session;
use crate::settings::Settings;
use crate::token_store::TokenStore;

pub async fn run(ctx: &RunContext, args: TokenArgs) -> Result<()> {
    let access = session::acquire(&ctx.invocation, &ctx.http_options(false), false).await?;
    let http_opts = access.settings.http_options(&ctx.http_options(false))?;
    let (store, set) = (&access.store, &access.tokens);

    if args.decode {
        return output::print_json(&decoded(
            set,
            (!ctx.json).then_some(&ctx.invocation.reporter),
        ));
    }
    if args.introspect {
        let stored = set
            .introspection_endpoint
            .as_deref()
            .ok_or_else(|| Error::server("the server advertises no introspection_endpoint"))?;
        // The token goes there: only to the endpoint the base advertises.
        let base = access.settings.require_base()?;
        let ep =
            session::trusted_endpoint(&http_opts, &base, "introspection_endpoint", stored).await?;
        let http = Http::new(&http_opts)?;
        let v = introspect(&http, &ep, store, &access.settings, set).await?;
        return output::print_json(&v);
    }
    if ctx.json {
        return output::print_json(&json!({
            "access_token": set.access_token.secret(),
            "token_type": set.token_type,
            "expires_in": set.expires_in(crate::clock::SystemClock.now()),
            "scope": set.scope,
        }));
    }
    outln!("{}", set.access_token.secret());
    Ok(())
}

/// `--decode`: header and claims of each token that is a JWT (unverified),
/// `"format": "opaque"` for one that is not — many servers issue opaque
/// access tokens, which only the server can read (`--introspect`). The
/// `reporter` (human output) also says so in words.
fn decoded(
    set: &crate::oauth::token_set::TokenSet,
    reporter: Option<&crate::reporter::Reporter>,
) -> serde_json::Map<String, Value> {
    let mut out = serde_json::Map::new();
    for (label, tok) in [
        ("access_token", Some(set.access_token.secret().as_str())),
        ("id_token", set.id_token.as_ref().map(|t| t.expose())),
    ] {
        let Some(tok) = tok else { continue };
        let v = match id_token::decode_unverified(tok) {
            Some((h, c)) => json!({"format": "jwt", "header": h, "claims": c}),
            None => {
                if let Some(r) = reporter {
                    r.note(&format!(
                        "{label}: opaque token (not a JWT): nothing to decode; `smart token --introspect` asks the server about it"
                    ));
                }
                json!({"format": "opaque"})
            }
        };
        out.insert(label.to_owned(), v);
    }
    out
}

/// RFC 7662: the server's view of our access token, asked at `ep` (checked
/// by the caller).
async fn introspect(
    http: &Http,
    ep: &url::Url,
    store: &TokenStore,
    settings: &Settings,
    set: &crate::oauth::token_set::TokenSet,
) -> Result<Value> {
    let ep = crate::discovery::secure_url("introspection_endpoint", ep.as_str())?;
    let form = |client_id: Option<&str>| {
        let mut f = url::form_urlencoded::Serializer::new(String::new());
        f.append_pair("token", set.access_token.secret())
            .append_pair("token_type_hint", "access_token");
        if let Some(id) = client_id {
            f.append_pair("client_id", id);
        }
        f.finish()
    };
    // What the requests carry, should the server echo it in an error.
    let sent = crate::redact::secrets_in_request(&form(None), None);
    let request = || {
        crate::http::to_authorization_server(
            http.request(Method::POST, ep.clone())
                .header(ACCEPT, "application/json")
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded"),
        )
    };
    // Introspection needs the caller authenticated: client credentials when
    // we have them. A public client has none; RFC 7662 §2.1 lets it use the
    // token itself as bearer (what SMART servers and our sandbox accept),
    // while other servers (oidc-provider) want its client_id in the form:
    // try the first, then the second.
    let resp = match crate::settings::client_secret(store, settings)? {
        Some(secret) if set.auth_method != crate::config::TokenAuthMethod::None => {
            let req = request().header(
                reqwest::header::AUTHORIZATION,
                crate::oauth::token_endpoint::basic_authorization(
                    &set.client_id,
                    &secret,
                    settings.stored.basic_encoding(),
                ),
            );
            http.send(req.body(form(None)), 1 << 20).await?
        }
        _ => {
            let req = request().bearer_auth(set.access_token.secret());
            let resp = http.send(req.body(form(None)), 1 << 20).await?;
            if matches!(resp.status.as_u16(), 400 | 401) {
                http.send(request().body(form(Some(&set.client_id))), 1 << 20)
                    .await?
            } else {
                resp
            }
        }
    };
    read_introspection(&resp, &sent)
}

/// The introspection endpoint's answer as sent, or why not; `sent` (the
/// token, see [`crate::redact::secrets_in_request`]) never shows.
pub(crate) fn read_introspection(resp: &crate::http::Response, sent: &[String]) -> Result<Value> {
    if !resp.status.is_success() {
        return Err(Error::server(format!(
            "introspection answered {} ({})",
            resp.status,
            resp.snippet_hiding(sent)
        )));
    }
    serde_json::from_slice(&resp.body)
        .map_err(|e| Error::server(format!("introspection answer is not JSON ({e})")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::token_set::TokenSet;
    use crate::secret::Secret;
    use crate::token_store::StoreKind;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Answers each connection in turn, handing back what it received.
    async fn server(answers: Vec<&'static str>) -> (u16, tokio::task::JoinHandle<Vec<String>>) {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        let seen = tokio::spawn(async move {
            let mut seen = Vec::new();
            for body in answers {
                let (mut s, _) = l.accept().await.unwrap();
                let mut buf = vec![0u8; 8192];
                let n = s.read(&mut buf).await.unwrap();
                seen.push(String::from_utf8_lossy(&buf[..n]).to_string());
                let status = if body.is_empty() {
                    "401 Unauthorized"
                } else {
                    "200 OK"
                };
                let resp = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                s.write_all(resp.as_bytes()).await.unwrap();
                s.shutdown().await.unwrap();
            }
            seen
        });
        (port, seen)
    }

    // Found by prop_introspection_errors_never_show_the_token.
    #[test]
    fn an_introspection_error_that_echoes_the_token_hides_it() {
        let sent = crate::redact::secrets_in_request("token=AT-0123456789", None);
        let resp = crate::testgen::response(
            400,
            Some("application/json"),
            br#"{"error":"invalid_request","message":"unknown token AT-0123456789"}"#.to_vec(),
        );
        let e = read_introspection(&resp, &sent).unwrap_err();
        assert!(!e.message.contains("AT-0123456789"), "{}", e.message);
    }

    #[tokio::test]
    async fn a_public_client_tries_the_token_as_bearer_then_its_client_id() {
        let answer = r#"{"active":true,"aud":"https://x/fhir","x_custom":1,"scope":"openid"}"#;
        let (port, seen) = server(vec!["", answer]).await;
        let set = TokenSet::from_json(&Secret::new(format!(
            r#"{{"v":1,"fhir_base":"https://x/fhir","client_id":"app","token_endpoint":"https://x/token","auth_method":"none","introspection_endpoint":"http://127.0.0.1:{port}/introspect","access_token":"AT-1","token_type":"Bearer","obtained_at":0}}"#
        )))
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let env = crate::settings::Environment::from_pairs([(
            "SMART_CONFIG",
            dir.path().join("config.toml").to_str().unwrap(),
        )]);
        let inv = crate::settings::Invocation::new(
            None,
            Some(StoreKind::None),
            true,
            env,
            crate::output::Reporter::default(),
        );
        let settings = Settings::for_named(&inv, "p", StoreKind::None).unwrap();
        let store = TokenStore::with_state_dir(StoreKind::None, dir.path());
        let http = Http::new(&crate::http::Options::default()).unwrap();
        let ep = url::Url::parse(set.introspection_endpoint.as_deref().unwrap()).unwrap();
        let v = introspect(&http, &ep, &store, &settings, &set)
            .await
            .unwrap();
        // The server's answer as sent: aud stays a string, unknown fields stay.
        assert_eq!(v, serde_json::from_str::<Value>(answer).unwrap());
        let seen = seen.await.unwrap();
        assert!(
            seen[0]
                .to_ascii_lowercase()
                .contains("authorization: bearer at-1"),
            "{}",
            seen[0]
        );
        assert!(!seen[0].contains("client_id="), "{}", seen[0]);
        assert!(seen[1].contains("client_id=app"), "{}", seen[1]);
        assert!(
            !seen[1].to_ascii_lowercase().contains("authorization:"),
            "{}",
            seen[1]
        );
    }
}
