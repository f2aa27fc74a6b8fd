//! The `token` group: what the token endpoint does with codes it must
//! refuse (a wrong verifier, a replay, another redirect_uri) and the shape
//! of the answer it gives. The codes come from authorization requests the
//! server grants without a user (an auto-approving test server); a server
//! that asks for a sign-in leaves the group undecided.

use reqwest::Method;
use reqwest::header::{ACCEPT, CACHE_CONTROL};
use serde_json::Value;
use url::Url;

use super::super::catalogue::{
    CODE_SINGLE_USE, EXPIRES_IN, ID_TOKEN_VALID, LAUNCH_CONTEXT, NO_STORE, REDIRECT_CHECKED,
    REFRESH, REFRESH_REUSE, REFRESH_ROTATES, REPLAY_REVOKES, RESPONSE_FIELDS, VERIFIER_CHECKED,
};
use super::super::flow::Client;
use super::super::flow::exchange::{
    Granted, Outcome, TokenAttempt, Trial, attempt, attempt_full, fresh_code, unsent,
};
use super::super::flow::read;
use super::super::model::Verdict;
use super::super::probe::Exchange;
use super::super::run::Run;
use crate::oauth::pkce;
use crate::secret::Secret;

/// Where id_tokens are checked: the configuration's `issuer` and
/// `jwks_uri`.
pub struct Oidc {
    pub issuer: String,
    pub jwks_uri: Url,
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
    if run.wants(&VERIFIER_CHECKED) {
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

    if run.wants(&REDIRECT_CHECKED) {
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
    if run.wants(&CODE_SINGLE_USE) || run.wants(&REPLAY_REVOKES) {
        replay_checks(run, authorize_url, token_url, client).await;
    }

    // One good exchange: its answer's fields and headers, and a refresh.
    // Later groups need this exchange's token whatever was selected here.
    const GOOD: [&super::super::catalogue::Check; 8] = [
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
    let granted = Granted {
        access_token: body["access_token"].as_str().map(Secret::new),
        refresh_token: body["refresh_token"].as_str().map(Secret::new),
        patient: body["patient"].as_str().map(str::to_owned),
        exchange: Trial::Accepted(vec![ex2.clone()]),
        issued: Some(ex2.clone()),
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
    granted
}

/// The refresh checks, on the good exchange's refresh token (after the
/// reads with its access token: a server may retire that token once it is
/// refreshed). Keeps the newest access token in `granted`.
pub async fn run_refresh(
    run: &mut Run<'_>,
    token_url: &Url,
    client: &Client,
    granted: &mut Granted,
) {
    // Without a good exchange the refresh checks were decided with it.
    let Some(issued) = granted.issued.clone() else {
        return;
    };
    match granted.refresh_token.take() {
        None => {
            let why = "no refresh token was issued (the scope asks for offline_access)";
            for c in [&REFRESH, &REFRESH_ROTATES, &REFRESH_REUSE] {
                run.record(c, Verdict::skip(why), vec![issued.clone()]);
            }
        }
        Some(rt) => {
            if let Some(new) = refresh_checks(run, token_url, client, rt.expose(), &issued).await {
                granted.access_token = Some(new);
            }
        }
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
    let (status, ex3) = read::read(run, &token, patient.as_deref()).await;
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
                _ => Err(match super::super::probe::oauth_error(&body) {
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
