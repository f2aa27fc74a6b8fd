//! The `token` group: what the token endpoint does with codes it must
//! refuse (a wrong verifier, a replay, another redirect_uri) and the shape
//! of the answer it gives. The codes come from authorization requests the
//! server grants without a user (an auto-approving test server); a server
//! that asks for a sign-in leaves the group undecided.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::Method;
use reqwest::header::{ACCEPT, CACHE_CONTROL};
use serde_json::Value;
use sha2::{Digest, Sha256};
use url::Url;

use super::authorize::{self, Answer, Client, Request};
use super::model::{Check, Severity, Verdict};
use super::probe::Exchange;
use super::run::Run;
use crate::oauth::pkce;
use crate::oauth::token_endpoint::ClientAuth;
use crate::secret::Secret;

pub const VERIFIER_CHECKED: Check = Check {
    id: "token.code-verifier-checked",
    title: "a wrong code_verifier is refused",
    reference: "https://www.rfc-editor.org/rfc/rfc7636#section-4.6",
    severity: Severity::Required,
    fix: "compare BASE64URL(SHA256(code_verifier)) with the code_challenge of the authorization request and answer invalid_grant when they differ",
};
pub const CODE_SINGLE_USE: Check = Check {
    id: "token.code-single-use",
    title: "an authorization code works once",
    reference: "https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2",
    severity: Severity::Required,
    fix: "mark a code used when it is exchanged and refuse it (invalid_grant) the second time",
};
pub const REDIRECT_CHECKED: Check = Check {
    id: "token.redirect-uri-checked",
    title: "a redirect_uri other than the authorization request's is refused",
    reference: "https://www.rfc-editor.org/rfc/rfc6749#section-4.1.3",
    severity: Severity::Required,
    fix: "require the token request's redirect_uri to be identical to the one of the authorization request",
};
pub const RESPONSE_FIELDS: Check = Check {
    id: "token.response-fields",
    title: "the token response has token_type Bearer and scope",
    reference: "https://hl7.org/fhir/smart-app-launch/app-launch.html#response-5",
    severity: Severity::Required,
    fix: "answer with access_token, token_type \"Bearer\" and the granted scope",
};
pub const EXPIRES_IN: Check = Check {
    id: "token.expires-in",
    title: "the token response says when the token expires (expires_in)",
    reference: "https://hl7.org/fhir/smart-app-launch/app-launch.html#response-5",
    severity: Severity::Recommended,
    fix: "add expires_in, the access token's lifetime in seconds, as a JSON number",
};
pub const NO_STORE: Check = Check {
    id: "token.no-store",
    title: "the token response is sent with Cache-Control: no-store",
    reference: "https://www.rfc-editor.org/rfc/rfc6749#section-5.1",
    severity: Severity::Required,
    fix: "send `Cache-Control: no-store` with every answer that carries a token",
};

pub const LAUNCH_CONTEXT: Check = Check {
    id: "token.launch-context",
    title: "a granted launch/patient comes with the patient in the token response",
    reference: "https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html#launch-context-arrives-with-your-access_token",
    severity: Severity::Required,
    fix: "add `patient` (the selected patient's id) to the token response whenever launch/patient is granted",
};
pub const ID_TOKEN_VALID: Check = Check {
    id: "token.id-token-valid",
    title: "the id_token (asked for with openid) is valid against the JWKS",
    reference: "https://openid.net/specs/openid-connect-core-1_0.html#IDTokenValidation",
    severity: Severity::Required,
    fix: "sign id_tokens with a key published at jwks_uri (matching kid, RS256/RS384/ES256/ES384), with iss = issuer, aud = the client id, exp and sub",
};
pub const REPLAY_REVOKES: Check = Check {
    id: "token.code-replay-revokes",
    title: "a replayed code revokes the tokens it gave",
    reference: "https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2",
    severity: Severity::Recommended,
    fix: "when a used code is presented again, revoke the tokens issued for it",
};
pub const REFRESH: Check = Check {
    id: "token.refresh",
    title: "the refresh token gives a new access token",
    reference: "https://hl7.org/fhir/smart-app-launch/app-launch.html#step-7-app-uses-a-refresh-token-to-obtain-a-new-access-token",
    severity: Severity::Required,
    fix: "accept grant_type=refresh_token with the refresh token you issued (and the client's credentials) and answer with a new access token",
};
pub const REFRESH_ROTATES: Check = Check {
    id: "token.refresh-rotates",
    title: "a refresh gives a new refresh token (rotation)",
    reference: "https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2",
    severity: Severity::Recommended,
    fix: "issue a new refresh token with every refresh and invalidate the old one (public clients need rotation or sender-constrained tokens)",
};
pub const REFRESH_REUSE: Check = Check {
    id: "token.refresh-reuse-refused",
    title: "a rotated-out refresh token is refused",
    reference: "https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2",
    severity: Severity::Required,
    fix: "refuse (invalid_grant) a refresh token once it has been exchanged for a new one",
};

pub const AUTH_METHODS: Check = Check {
    id: "token.auth-methods-work",
    title: "every advertised client authentication method is accepted",
    reference: "https://www.rfc-editor.org/rfc/rfc8414#section-2",
    severity: Severity::Required,
    fix: "accept every method in token_endpoint_auth_methods_supported at the token endpoint, or stop advertising the ones you refuse",
};

/// The group. [`AUTH_METHODS`] comes last: it is recorded once the backend
/// client has run too (see [`CODE_FLOW`]).
pub const CHECKS: &[Check] = &[
    VERIFIER_CHECKED,
    CODE_SINGLE_USE,
    REPLAY_REVOKES,
    REDIRECT_CHECKED,
    RESPONSE_FIELDS,
    EXPIRES_IN,
    NO_STORE,
    LAUNCH_CONTEXT,
    ID_TOKEN_VALID,
    REFRESH,
    REFRESH_ROTATES,
    REFRESH_REUSE,
    AUTH_METHODS,
];

/// The checks the code flow decides: all of the group but the last.
pub const CODE_FLOW: &[Check] = match CHECKS.split_last() {
    Some((_, rest)) => rest,
    None => &[],
};

/// Where id_tokens are checked: the configuration's `issuer` and
/// `jwks_uri`.
pub struct Oidc {
    pub issuer: String,
    pub jwks_uri: Url,
}

/// The tokens of the one good exchange, for the groups that need a token.
/// Held as [`Secret`]s: only redacted copies reach the evidence.
#[derive(Debug)]
pub struct Granted {
    /// The newest live access token (the refreshed one after a refresh).
    pub access_token: Option<Secret>,
    pub patient: Option<String>,
    /// How the client's own authentication method fared in that exchange.
    pub exchange: Trial,
}

impl Granted {
    fn none(exchange: Trial) -> Granted {
        Granted {
            access_token: None,
            patient: None,
            exchange,
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
    code: &'a str,
    verifier: Option<&'a str>,
    redirect_uri: &'a str,
    /// The client's own authentication, or another method under test.
    auth: &'a ClientAuth,
}

impl<'a> TokenAttempt<'a> {
    pub fn code(client: &'a Client, code: &'a str, verifier: Option<&'a str>) -> Self {
        TokenAttempt {
            code,
            verifier,
            redirect_uri: &client.redirect_uri,
            auth: &client.auth,
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

async fn attempt_full(
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
        Ok(r) => r,
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
            Outcome::Refused(super::probe::oauth_error(v).unwrap_or_default())
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
fn unsent(url: &Url) -> Exchange {
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

/// A code for `client`, when the server grants one without a user.
pub(super) async fn fresh_code(
    run: &Run<'_>,
    endpoint: &Url,
    client: &Client,
) -> Result<(String, String, Exchange), (Verdict, Exchange)> {
    let state = pkce::random_b64(32);
    let verifier = pkce::random_b64(32);
    let challenge = s256(&verifier);
    let aud = run.base.as_str().to_owned();
    let (a, ex) = authorize::ask(
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

/// The group; returns the tokens of its good exchange (empty when there
/// was none).
pub async fn run(
    run: &mut Run<'_>,
    authorize_url: &Url,
    token_url: &Url,
    client: &Client,
    oidc: Option<&Oidc>,
) -> Granted {
    // A wrong verifier first, then the right one for the same code (which
    // must fail too if the code was spent by the wrong attempt: either way
    // no token for a wrong verifier).
    if run.selection.wants(&VERIFIER_CHECKED) {
        match fresh_code(run, authorize_url, client).await {
            Err((v, ex)) => run.record(&VERIFIER_CHECKED, v, vec![ex]),
            Ok((code, _right, ex)) => {
                let wrong = pkce::random_b64(32);
                let (o, ex2) = attempt(
                    run,
                    token_url,
                    &TokenAttempt::code(client, &code, Some(&wrong)),
                )
                .await;
                let v = match o {
                    Outcome::Tokens => {
                        Verdict::unmet("tokens were issued for a wrong code_verifier")
                    }
                    Outcome::Refused(e) => Verdict::met(format!("refused: {e}")),
                    Outcome::Broken(e) => Verdict::skip(e),
                };
                run.record(&VERIFIER_CHECKED, v, vec![ex, ex2]);
            }
        }
    }

    if run.selection.wants(&REDIRECT_CHECKED) {
        match fresh_code(run, authorize_url, client).await {
            Err((v, ex)) => run.record(&REDIRECT_CHECKED, v, vec![ex]),
            Ok((code, verifier, ex)) => {
                let other = format!("{}-other", client.redirect_uri.trim_end_matches('/'));
                let a = TokenAttempt {
                    redirect_uri: &other,
                    ..TokenAttempt::code(client, &code, Some(&verifier))
                };
                let (o, ex2) = attempt(run, token_url, &a).await;
                let v = match o {
                    Outcome::Tokens => {
                        Verdict::unmet(format!("tokens were issued with redirect_uri {other}"))
                    }
                    Outcome::Refused(e) => Verdict::met(format!("refused: {e}")),
                    Outcome::Broken(e) => Verdict::skip(e),
                };
                run.record(&REDIRECT_CHECKED, v, vec![ex, ex2]);
            }
        }
    }

    // A replay on a code of its own: a server that does what RFC 6749
    // asks revokes the tokens of the first exchange, which later checks
    // must not be holding.
    if run.selection.wants(&CODE_SINGLE_USE) || run.selection.wants(&REPLAY_REVOKES) {
        replay_checks(run, authorize_url, token_url, client).await;
    } else {
        for c in [&CODE_SINGLE_USE, &REPLAY_REVOKES] {
            run.record(c, Verdict::skip("not selected"), vec![]);
        }
    }

    // One good exchange: its answer's fields and headers, and a refresh.
    // Later groups need this exchange's token whatever was selected here.
    const GOOD: [&Check; 8] = [
        &RESPONSE_FIELDS,
        &EXPIRES_IN,
        &NO_STORE,
        &LAUNCH_CONTEXT,
        &ID_TOKEN_VALID,
        &REFRESH,
        &REFRESH_ROTATES,
        &REFRESH_REUSE,
    ];
    let (code, verifier, ex) = match fresh_code(run, authorize_url, client).await {
        Ok(x) => x,
        Err((v, ex)) => {
            for c in GOOD {
                run.record(c, v.clone(), vec![ex.clone()]);
            }
            return Granted::none(Trial::Untried(v.reason().to_owned()));
        }
    };
    let good = TokenAttempt::code(client, &code, Some(&verifier));
    let (o, ex2, resp) = attempt_full(run, token_url, &good).await;
    let Some(resp) = resp.filter(|_| matches!(o, Outcome::Tokens)) else {
        let why = format!("the code exchange itself did not give tokens ({o:?})");
        for c in GOOD {
            run.record(c, Verdict::skip(why.clone()), vec![ex.clone(), ex2.clone()]);
        }
        let trial = match o {
            Outcome::Refused(e) => Trial::Refused(e, vec![ex2]),
            other => Trial::Untried(format!(
                "the code exchange gave no answer to judge ({other:?})"
            )),
        };
        return Granted::none(trial);
    };
    let body: Value = serde_json::from_slice(&resp.body).unwrap_or_default();
    let mut granted = Granted {
        access_token: body["access_token"].as_str().map(Secret::new),
        patient: body["patient"].as_str().map(str::to_owned),
        exchange: Trial::Accepted(vec![ex2.clone()]),
    };
    run.record(&RESPONSE_FIELDS, response_fields(&body), vec![ex2.clone()]);
    run.record(&EXPIRES_IN, expires_in(&body), vec![ex2.clone()]);
    let cache = resp
        .headers
        .get(CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let v = if cache
        .split(',')
        .any(|d| d.trim().eq_ignore_ascii_case("no-store"))
    {
        Verdict::met(format!("Cache-Control: {cache}"))
    } else if cache.is_empty() {
        Verdict::unmet("no Cache-Control header")
    } else {
        Verdict::unmet(format!("Cache-Control: {cache} (no no-store)"))
    };
    run.record(&NO_STORE, v, vec![ex2.clone()]);
    run.record(&LAUNCH_CONTEXT, launch_context(&body), vec![ex2.clone()]);
    let v = id_token(run, &body, client, oidc).await;
    run.record(&ID_TOKEN_VALID, v.0, [vec![ex2.clone()], v.1].concat());
    // Read now: a server may retire this token once it is refreshed.
    super::fhir::with_token(
        run,
        granted.access_token.as_ref(),
        granted.patient.as_deref(),
    )
    .await;

    match body["refresh_token"].as_str() {
        None => {
            let why = "no refresh token was issued (the scope asks for offline_access)";
            for c in [&REFRESH, &REFRESH_ROTATES, &REFRESH_REUSE] {
                run.record(c, Verdict::skip(why), vec![ex2.clone()]);
            }
        }
        Some(rt) => {
            if let Some(new) = refresh_checks(run, token_url, client, rt, &ex2).await {
                granted.access_token = Some(new);
            }
        }
    }
    granted
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
    let (code, verifier, _) = fresh_code(run, authorize_url, client)
        .await
        .map_err(|(v, _)| v)?;
    let attempt = TokenAttempt::code(client, &code, Some(&verifier));
    let (o, _, resp) = attempt_full(run, token_url, &attempt).await;
    let token = resp
        .and_then(|r| serde_json::from_slice::<Value>(&r.body).ok())
        .and_then(|b| Some(Secret::new(b["access_token"].as_str()?)));
    match (o, token) {
        (Outcome::Tokens, Some(t)) => Ok(t),
        (o, _) => Err(Verdict::unmet(format!(
            "the code exchange gave no token ({o:?})"
        ))),
    }
}

/// Exchanges a code twice; then reads with the first exchange's token.
async fn replay_checks(run: &mut Run<'_>, authorize_url: &Url, token_url: &Url, client: &Client) {
    let (code, verifier, ex) = match fresh_code(run, authorize_url, client).await {
        Ok(x) => x,
        Err((v, ex)) => {
            for c in [&CODE_SINGLE_USE, &REPLAY_REVOKES] {
                run.record(c, v.clone(), vec![ex.clone()]);
            }
            return;
        }
    };
    let first = TokenAttempt::code(client, &code, Some(&verifier));
    let (o, ex1, resp) = attempt_full(run, token_url, &first).await;
    let token = resp
        .filter(|_| matches!(o, Outcome::Tokens))
        .and_then(|r| serde_json::from_slice::<Value>(&r.body).ok())
        .and_then(|b| {
            Some((
                Secret::new(b["access_token"].as_str()?),
                b["patient"].as_str().map(str::to_owned),
            ))
        });
    let Some((token, patient)) = token else {
        let why = format!("the code exchange itself did not give tokens ({o:?})");
        for c in [&CODE_SINGLE_USE, &REPLAY_REVOKES] {
            run.record(c, Verdict::skip(why.clone()), vec![ex.clone(), ex1.clone()]);
        }
        return;
    };
    let (o, ex2) = attempt(run, token_url, &first).await;
    let refused = matches!(o, Outcome::Refused(_));
    let v = match o {
        Outcome::Tokens => Verdict::unmet("the same code was exchanged twice"),
        Outcome::Refused(e) => Verdict::met(format!("the replay was refused: {e}")),
        Outcome::Broken(e) => Verdict::skip(e),
    };
    run.record(&CODE_SINGLE_USE, v, vec![ex1, ex2.clone()]);
    if !refused {
        run.record(
            &REPLAY_REVOKES,
            Verdict::skip("the replay was not refused"),
            vec![],
        );
        return;
    }
    let (status, ex3) = super::fhir::read(run, &token, patient.as_deref()).await;
    let v = match status {
        Ok(401) => Verdict::met("the first exchange's access token now gets 401"),
        Ok(s) if (200..300).contains(&s) => Verdict::unmet(format!(
            "the first exchange's access token still reads ({s})"
        )),
        Ok(s) => Verdict::skip(format!("the read answered {s}")),
        Err(e) => Verdict::skip(format!("no answer: {e}")),
    };
    run.record(&REPLAY_REVOKES, v, vec![ex2, ex3]);
}

/// Refresh once, then try the old refresh token again.
async fn refresh_checks(
    run: &mut Run<'_>,
    token_url: &Url,
    client: &Client,
    old: &str,
    issued: &Exchange,
) -> Option<Secret> {
    let (first, ex) = refresh(run, token_url, client, old).await;
    let body = match first {
        Ok(b) => b,
        Err(why) => {
            run.record(
                &REFRESH,
                Verdict::unmet(why),
                vec![issued.clone(), ex.clone()],
            );
            for c in [&REFRESH_ROTATES, &REFRESH_REUSE] {
                run.record(
                    c,
                    Verdict::skip("the refresh itself failed"),
                    vec![ex.clone()],
                );
            }
            return None;
        }
    };
    run.record(
        &REFRESH,
        Verdict::met("a new access token was issued"),
        vec![ex.clone()],
    );
    let new_access = body["access_token"].as_str().map(Secret::new);
    match body["refresh_token"].as_str() {
        Some(new) if new != old => {
            run.record(
                &REFRESH_ROTATES,
                Verdict::met("a new refresh token came back"),
                vec![ex.clone()],
            );
            let (again, ex2) = refresh(run, token_url, client, old).await;
            let v = match again {
                Ok(_) => Verdict::unmet("the rotated-out refresh token was accepted again"),
                Err(why) => Verdict::met(format!("refused: {why}")),
            };
            run.record(&REFRESH_REUSE, v, vec![ex2]);
        }
        other => {
            let why = if other.is_some() {
                "the same refresh token came back"
            } else {
                "the refresh answer has no refresh token (the old one stays valid)"
            };
            run.record(&REFRESH_ROTATES, Verdict::unmet(why), vec![ex.clone()]);
            run.record(
                &REFRESH_REUSE,
                Verdict::skip("the refresh token is not rotated"),
                vec![],
            );
        }
    }
    new_access
}

/// A refresh as the client sends it: the answer's JSON, or why not.
async fn refresh(
    run: &Run<'_>,
    token_url: &Url,
    client: &Client,
    refresh_token: &str,
) -> (Result<Value, String>, Exchange) {
    let pairs = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
    ];
    let req = match run
        .probe
        .client_form(token_url, &pairs, &client.auth, token_url)
    {
        Ok(r) => r,
        Err(e) => return (Err(e.message), unsent(token_url)),
    };
    let (resp, ex) = run.probe.send(req).await;
    let result = match resp {
        Err(e) => Err(format!("no answer: {}", e.message)),
        Ok(r) => {
            let body: Value = serde_json::from_slice(&r.body).unwrap_or_default();
            match (r.status.is_success(), body["access_token"].is_string()) {
                (true, true) => Ok(body),
                _ => Err(match super::probe::oauth_error(&body) {
                    Some(e) => format!("answered {} {e}", r.status.as_u16()),
                    None => format!("answered {} without a token", r.status.as_u16()),
                }),
            }
        }
    };
    (result, ex)
}

fn response_fields(body: &Value) -> Verdict {
    let mut wrong = Vec::new();
    match body["token_type"].as_str() {
        Some(t) if t.eq_ignore_ascii_case("bearer") => {}
        Some(t) => wrong.push(format!("token_type is `{t}`")),
        None => wrong.push("no token_type".to_owned()),
    }
    if !body["scope"].is_string() {
        wrong.push("no scope".to_owned());
    }
    if wrong.is_empty() {
        Verdict::met("token_type Bearer and scope are there")
    } else {
        Verdict::unmet(wrong.join("; "))
    }
}

fn granted_scopes(body: &Value) -> Vec<&str> {
    body["scope"]
        .as_str()
        .unwrap_or_default()
        .split_whitespace()
        .collect()
}

fn launch_context(body: &Value) -> Verdict {
    if !granted_scopes(body).contains(&"launch/patient") {
        return Verdict::skip("launch/patient was not granted");
    }
    match &body["patient"] {
        Value::String(p) if !p.is_empty() => Verdict::met(format!("patient: {p}")),
        Value::Null => Verdict::unmet("launch/patient was granted and the answer has no patient"),
        other => Verdict::unmet(format!("patient is {other}, not a string id")),
    }
}

/// Verifies the answer's id_token with the JWKS (fetched through the probe,
/// so that it is part of the evidence).
async fn id_token(
    run: &Run<'_>,
    body: &Value,
    client: &Client,
    oidc: Option<&Oidc>,
) -> (Verdict, Vec<Exchange>) {
    if !client.scope.split_whitespace().any(|s| s == "openid") {
        return (Verdict::skip("openid was not asked for"), vec![]);
    }
    let Some(token) = body["id_token"].as_str() else {
        return (
            Verdict::unmet("openid was asked for and the answer has no id_token"),
            vec![],
        );
    };
    let Some(oidc) = oidc else {
        return (
            // discovery.openid-fields (or discovery.well-known) is where
            // the missing fields are reported.
            Verdict::skip(
                "an id_token came, and there is no configuration issuer and jwks_uri to check it with",
            ),
            vec![],
        );
    };
    let req = run
        .probe
        .http()
        .request(Method::GET, oidc.jwks_uri.clone())
        .header(ACCEPT, "application/json");
    let (resp, ex) = run.probe.send(req).await;
    let jwks = resp
        .ok()
        .filter(|r| r.status.is_success())
        .and_then(|r| serde_json::from_slice::<jsonwebtoken::jwk::JwkSet>(&r.body).ok());
    let Some(jwks) = jwks else {
        return (Verdict::unmet("the jwks_uri gives no JWK set"), vec![ex]);
    };
    let expect = crate::oauth::id_token::Expect {
        issuer: &oidc.issuer,
        client_id: client.client_id(),
        nonce: None,
    };
    let v = match crate::oauth::id_token::verify(&Secret::new(token), &jwks, &expect) {
        Ok(claims) => Verdict::met(format!(
            "signed by a published key; iss, aud, exp and sub check out (sub {})",
            claims.get("sub").and_then(Value::as_str).unwrap_or("?")
        )),
        Err(e) => Verdict::unmet(e.message),
    };
    (v, vec![ex])
}

fn expires_in(body: &Value) -> Verdict {
    match &body["expires_in"] {
        v if v.is_u64() => Verdict::met(format!("expires_in: {v}")),
        Value::Null => Verdict::unmet("no expires_in"),
        other => Verdict::unmet(format!("expires_in is {other}, not a number of seconds")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn s256_matches_rfc7636_appendix_b() {
        assert_eq!(
            s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn response_fields_name_what_is_missing() {
        let v = response_fields(&json!({"access_token": "a", "token_type": "mac"}));
        assert_eq!(v, Verdict::unmet("token_type is `mac`; no scope"));
        let v = expires_in(&json!({"expires_in": "3600"}));
        assert_eq!(
            v,
            Verdict::unmet("expires_in is \"3600\", not a number of seconds")
        );
        let v =
            response_fields(&json!({"token_type": "Bearer", "expires_in": 300, "scope": "openid"}));
        assert!(matches!(v, Verdict::Met(_)));
    }
}
