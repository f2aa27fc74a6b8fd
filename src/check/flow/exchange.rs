//! Code exchanges and the tokens they give: a code from an authorization
//! request the server grants without a user, the exchange itself (as the
//! client sends it, or with one field varied), and a fresh token for a check
//! that needs one of its own.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use sha2::{Digest, Sha256};
use url::Url;

use super::super::model::Verdict;
use super::super::probe::Exchange;
use super::super::run::Run;
use super::authorization::{self, Answer, Client, Request};
use crate::oauth::pkce;
use crate::oauth::token_endpoint::ClientAuth;
use crate::secret::Secret;

/// The tokens of the one good exchange, for the groups that need a token.
/// Held as [`Secret`]s: only redacted copies reach the evidence.
#[derive(Debug)]
pub struct Granted {
    /// The newest live access token (the refreshed one after a refresh).
    pub access_token: Option<Secret>,
    /// The refresh token of the exchange, until the refresh checks spend it.
    pub refresh_token: Option<Secret>,
    pub patient: Option<String>,
    /// The scope the exchange granted (its answer's `scope`).
    pub scope: Option<String>,
    /// How the client's own authentication method fared in that exchange.
    pub exchange: Trial,
    /// The exchange that gave the tokens.
    pub issued: Option<Exchange>,
}

impl Granted {
    pub fn none(exchange: Trial) -> Granted {
        Granted {
            access_token: None,
            refresh_token: None,
            patient: None,
            scope: None,
            exchange,
            issued: None,
        }
    }
}

/// One token request made to prove a client authentication method.
#[derive(Debug, Clone)]
pub enum Trial {
    Accepted(Vec<Exchange>),
    /// Refused: the OAuth error (or what came instead).
    Refused(String, Vec<Exchange>),
    /// Not sent: why.
    Untried(String),
}

/// The S256 challenge of a verifier.
pub fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// A code exchange as the client sends it.
pub struct TokenAttempt<'a> {
    pub code: &'a str,
    pub verifier: Option<&'a str>,
    pub redirect_uri: &'a str,
    /// The client's own authentication, or another method under test.
    pub auth: &'a ClientAuth,
    /// An `Origin` header, as a browser app's exchange carries one.
    pub origin: Option<&'a str>,
}

impl<'a> TokenAttempt<'a> {
    pub fn code(client: &'a Client, code: &'a str, verifier: Option<&'a str>) -> Self {
        TokenAttempt {
            code,
            verifier,
            redirect_uri: &client.redirect_uri,
            auth: &client.auth,
            origin: None,
        }
    }

    /// The same exchange, authenticated another way.
    pub fn authenticated(self, auth: &'a ClientAuth) -> Self {
        TokenAttempt { auth, ..self }
    }
}

/// What the token endpoint made of an attempt.
#[derive(Debug)]
pub enum Outcome {
    Tokens,
    /// An OAuth error answer: its `error` code.
    Refused(String),
    /// Neither: the answer is not usable to judge.
    Broken(String),
}

/// Sends a code exchange; returns how it went, the exchange, and the answer
/// (for the checks that look at its fields).
pub async fn attempt(run: &Run<'_>, url: &Url, a: &TokenAttempt<'_>) -> (Outcome, Exchange) {
    let (o, ex, _) = attempt_full(run, url, a).await;
    (o, ex)
}

pub async fn attempt_full(
    run: &Run<'_>,
    url: &Url,
    a: &TokenAttempt<'_>,
) -> (Outcome, Exchange, Option<crate::http::Response>) {
    let mut pairs = vec![
        ("grant_type", "authorization_code"),
        ("code", a.code),
        ("redirect_uri", a.redirect_uri),
    ];
    pairs.extend(a.verifier.map(|v| ("code_verifier", v)));
    let req = match run.probe.client_form(url, &pairs, a.auth, url) {
        Ok(r) => match a.origin {
            Some(o) => r.header(reqwest::header::ORIGIN, o),
            None => r,
        },
        Err(e) => return (Outcome::Broken(e.message), unsent(url), None),
    };
    let (resp, ex) = run.probe.send(req).await;
    let resp = match resp {
        Ok(r) => r,
        Err(e) => {
            return (
                Outcome::Broken(format!("no answer: {}", e.message)),
                ex,
                None,
            );
        }
    };
    let body: Option<Value> = serde_json::from_slice(&resp.body).ok();
    let outcome = match (&body, resp.status.is_success()) {
        (Some(v), true) if v["access_token"].is_string() => Outcome::Tokens,
        (Some(v), false) if v["error"].is_string() => {
            Outcome::Refused(super::super::probe::oauth_error(v).unwrap_or_default())
        }
        _ => Outcome::Broken(format!(
            "the token endpoint answered {} without an OAuth document",
            resp.status
        )),
    };
    (outcome, ex, Some(resp))
}

/// The evidence of a request that could not be built (an assertion that
/// could not be signed).
pub fn unsent(url: &Url) -> Exchange {
    Exchange {
        method: "POST".into(),
        url: crate::redact::url(url),
        request_headers: vec![],
        request_body: None,
        status: None,
        response_headers: vec![],
        response_body: None,
        error: Some("not sent".into()),
    }
}

/// The evidence of a GET that could not be made (no URL to send it to).
pub fn unsent_get(url: &str) -> Exchange {
    Exchange {
        method: "GET".into(),
        url: crate::redact::printable(url).into_owned(),
        request_headers: vec![],
        request_body: None,
        status: None,
        response_headers: vec![],
        response_body: None,
        error: Some("not sent".into()),
    }
}

/// A code for `client`, when the server grants one without a user.
pub async fn fresh_code(
    run: &Run<'_>,
    endpoint: &Url,
    client: &Client,
) -> Result<(String, String, Exchange), (Verdict, Exchange)> {
    let state = pkce::random_b64(32);
    let verifier = pkce::random_b64(32);
    let challenge = s256(&verifier);
    let aud = run.base.as_str().to_owned();
    let (a, ex) = authorization::ask(
        run,
        &Request::code(endpoint, client, &aud, &state, &challenge),
    )
    .await;
    let code = match &a {
        Answer::Back(u) => u
            .query_pairs()
            .find(|(k, _)| k == "code")
            .map(|(_, v)| v.into_owned()),
        _ => None,
    };
    match code {
        Some(c) => Ok((c, verifier, ex)),
        None => Err((
            Verdict::skip(match a {
                Answer::Back(_) => {
                    "the authorization request was refused; no code to try".to_owned()
                }
                _ => "needs a code, and the server asks for a user to sign in; run with --browser"
                    .to_owned(),
            }),
            ex,
        )),
    }
}

/// A fresh access token from a grant of its own, for a check that needs a
/// second live token (or a new client's first). Without one: why, as a
/// skip when the server wants a user, else as unmet.
pub async fn obtain(
    run: &Run<'_>,
    authorize_url: &Url,
    token_url: &Url,
    client: &Client,
) -> Result<Secret, Verdict> {
    obtain_answer(run, authorize_url, token_url, client)
        .await
        .map(|(token, _)| token)
}

/// [`obtain`], with the token endpoint's whole answer (which holds the
/// tokens too: it stays in memory, never in evidence), for a check that
/// compares what the server says of the token later with what it said
/// when it issued it.
pub async fn obtain_answer(
    run: &Run<'_>,
    authorize_url: &Url,
    token_url: &Url,
    client: &Client,
) -> Result<(Secret, Value), Verdict> {
    let (code, verifier, _) = fresh_code(run, authorize_url, client)
        .await
        .map_err(|(v, _)| v)?;
    let attempt = TokenAttempt::code(client, &code, Some(&verifier));
    let (o, _, resp) = attempt_full(run, token_url, &attempt).await;
    let answer = resp.and_then(|r| serde_json::from_slice::<Value>(&r.body).ok());
    let token = answer
        .as_ref()
        .and_then(|b| Some(Secret::new(b["access_token"].as_str()?)));
    match (o, token, answer) {
        (Outcome::Tokens, Some(t), Some(a)) => Ok((t, a)),
        (o, _, _) => Err(Verdict::unmet(format!(
            "the code exchange gave no token ({o:?})"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_matches_rfc7636_appendix_b() {
        assert_eq!(
            s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }
}
