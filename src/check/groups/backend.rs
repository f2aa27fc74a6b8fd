//! The `backend` group (SMART Backend Services), with a backend profile:
//! `client_credentials` with a signed assertion works, and the assertions a
//! server must refuse (a replayed `jti`, an expired one, another `aud`, an
//! unknown `kid`) are refused, and so are the client-confidential-asymmetric
//! forgeries of `forged.rs` (each only with `invalid_client`).

mod forged;

use serde_json::Value;
use url::Url;

use super::super::catalogue::{
    ALG_NONE, BACKEND_RESPONSE, BAD_ASSERTION_TYPE, BAD_GRANT_TYPE, CLIENT_CREDENTIALS, Check,
    EXP_TOO_FAR, EXPIRED, HS256_PUBLIC_KEY, ISS_NOT_SUB, JKU_UNREGISTERED, JTI_REPLAY, UNKNOWN_KID,
    WRONG_AUD,
};
use super::super::flow::exchange::Trial;
use super::super::model::Verdict;
use super::super::probe::Exchange;
use super::super::run::Run;
use crate::oauth::assertion::{self, JWT_BEARER};
use crate::oauth::keys::SigningKey;
use crate::secret::Secret;
use forged::Forgery;

/// The group's checks, the good request first.
const CHECKS: [&Check; 13] = [
    &CLIENT_CREDENTIALS,
    &BACKEND_RESPONSE,
    &BAD_GRANT_TYPE,
    &BAD_ASSERTION_TYPE,
    &JTI_REPLAY,
    &EXPIRED,
    &WRONG_AUD,
    &UNKNOWN_KID,
    &JKU_UNREGISTERED,
    &ISS_NOT_SUB,
    &EXP_TOO_FAR,
    &ALG_NONE,
    &HS256_PUBLIC_KEY,
];

/// The check that proves the server refuses `f`.
fn check_of(f: Forgery) -> &'static Check {
    match f {
        Forgery::ForeignJku => &JKU_UNREGISTERED,
        Forgery::SubNotIss => &ISS_NOT_SUB,
        Forgery::FarExp => &EXP_TOO_FAR,
        Forgery::AlgNone => &ALG_NONE,
        Forgery::Hs256PublicKey => &HS256_PUBLIC_KEY,
    }
}

/// A backend client: its id, key and scope.
#[derive(Debug, Clone)]
pub struct Backend {
    pub client_id: String,
    pub key: SigningKey,
    pub scope: String,
}

/// What the token endpoint made of one assertion.
enum Answer {
    Token,
    Refused(String),
    Broken(String),
}

async fn send(run: &Run<'_>, token_url: &Url, b: &Backend, jwt: &Secret) -> (Answer, Exchange) {
    let (a, ex, _) = send_as(run, token_url, b, jwt, "client_credentials", JWT_BEARER).await;
    (a, ex)
}

/// A token request with this grant_type and client_assertion_type; also
/// the answer's status and JSON body.
async fn send_as(
    run: &Run<'_>,
    token_url: &Url,
    b: &Backend,
    jwt: &Secret,
    grant_type: &str,
    assertion_type: &str,
) -> (Answer, Exchange, Option<(u16, Value)>) {
    let req = run.probe.form(
        token_url,
        &[
            ("grant_type", grant_type),
            ("scope", &b.scope),
            ("client_assertion_type", assertion_type),
            ("client_assertion", jwt.expose()),
        ],
    );
    let (resp, ex) = run.probe.send(req).await;
    let mut seen = None;
    let answer = match resp {
        Err(e) => Answer::Broken(format!("no answer: {}", e.message)),
        Ok(r) => {
            let v: Value = serde_json::from_slice(&r.body).unwrap_or_default();
            seen = Some((r.status.as_u16(), v.clone()));
            match (
                r.status.is_success(),
                v["access_token"].is_string(),
                super::super::probe::oauth_error(&v),
            ) {
                (true, true, _) => Answer::Token,
                (false, _, Some(e)) => Answer::Refused(format!("{} {e}", r.status.as_u16())),
                _ => Answer::Broken(format!("answered {} without an OAuth document", r.status)),
            }
        }
    };
    (answer, ex, seen)
}

/// Inferno's `smart_backend_services_auth_response_body`.
fn response_fields(body: &Value) -> Verdict {
    let mut wrong = Vec::new();
    if !body["access_token"].is_string() {
        wrong.push("no access_token string".to_owned());
    }
    match body["token_type"].as_str() {
        Some(t) if t.eq_ignore_ascii_case("bearer") => {}
        Some(t) => wrong.push(format!("token_type is `{t}`")),
        None => wrong.push("no token_type".to_owned()),
    }
    match &body["expires_in"] {
        Value::Number(_) => {}
        Value::Null => wrong.push("no expires_in".to_owned()),
        other => wrong.push(format!("expires_in is {other}, not a number")),
    }
    if !body["scope"].is_string() {
        wrong.push("no scope string".to_owned());
    }
    if wrong.is_empty() {
        Verdict::met("access_token, token_type bearer, a numeric expires_in and scope")
    } else {
        Verdict::unmet(wrong.join("; "))
    }
}

/// A status among `want`, or what came instead.
fn status_in(seen: Option<(u16, Value)>, want: &[u16], what: &str) -> Verdict {
    match seen {
        None => Verdict::skip("no answer"),
        Some((s, v)) if want.contains(&s) => Verdict::met(format!(
            "{what}: {s}{}",
            super::super::probe::oauth_error(&v)
                .map(|e| format!(" {e}"))
                .unwrap_or_default()
        )),
        Some((s, _)) => Verdict::unmet(format!(
            "{what}: answered {s}, not {}",
            want.iter()
                .map(u16::to_string)
                .collect::<Vec<_>>()
                .join(" or ")
        )),
    }
}

/// A check whose assertion must be refused.
fn refused(a: Answer, accepted: &str) -> Verdict {
    match a {
        Answer::Token => Verdict::unmet(accepted.to_owned()),
        Answer::Refused(e) => Verdict::met(format!("refused: {e}")),
        Answer::Broken(e) => Verdict::skip(e),
    }
}

/// SMART asymmetric §Response (@340): an assertion that fails is answered
/// `invalid_client`, with 400 or 401 (RFC 6749 §5.2 allows either).
fn refused_invalid_client(seen: Option<(u16, Value)>, accepted: &str) -> Verdict {
    let Some((status, body)) = seen else {
        return Verdict::skip("no answer");
    };
    let error = body["error"].as_str();
    match (status, error) {
        (200..=299, _) if body["access_token"].is_string() => Verdict::unmet(accepted.to_owned()),
        (400 | 401, Some("invalid_client")) => {
            Verdict::met(format!("refused: {status} invalid_client"))
        }
        (_, Some(e)) => Verdict::unmet(format!(
            "refused, but with {status} {e}: SMART asks for invalid_client (400 or 401)"
        )),
        _ => Verdict::unmet(format!(
            "answered {status} without an OAuth error: SMART asks for invalid_client (400 or 401)"
        )),
    }
}

/// The group; returns how its good request fared, which also proves
/// `private_key_jwt` for `token.auth-methods-work`, and the token it got
/// (for the bulk group).
pub async fn run(run: &mut Run<'_>, token_url: &Url, b: &Backend) -> (Trial, Option<Secret>) {
    let url = token_url.as_str();
    let sign =
        |key: &SigningKey, aud: &str, now: u64| assertion::sign_at(key, &b.client_id, aud, now);
    let now = crate::clock::Clock::now(&crate::clock::SystemClock);

    let jwt = match sign(&b.key, url, now) {
        Ok(j) => j,
        Err(e) => {
            let why = format!("cannot sign: {}", e.message);
            for c in CHECKS {
                run.record(c, Verdict::skip(why.clone()), vec![]);
            }
            return (Trial::Untried(why), None);
        }
    };
    let (first, ex, seen) =
        send_as(run, token_url, b, &jwt, "client_credentials", JWT_BEARER).await;
    let good_body = seen.map(|(_, v)| v).unwrap_or_default();
    let token = good_body["access_token"].as_str().map(Secret::new);
    let (v, trial) = match first {
        Answer::Token => (
            Verdict::met("a token was issued"),
            Trial::Accepted(vec![ex.clone()]),
        ),
        Answer::Refused(e) => (
            Verdict::unmet(format!("refused: {e}")),
            Trial::Refused(e, vec![ex.clone()]),
        ),
        Answer::Broken(e) => (Verdict::unmet(e.clone()), Trial::Untried(e)),
    };
    run.record(&CLIENT_CREDENTIALS, v, vec![ex.clone()]);
    if !matches!(trial, Trial::Accepted(_)) {
        for c in &CHECKS[1..] {
            run.record(
                c,
                Verdict::skip("the good assertion itself was refused"),
                vec![],
            );
        }
        return (trial, None);
    }
    run.record(
        &BACKEND_RESPONSE,
        response_fields(&good_body),
        vec![ex.clone()],
    );

    // Each with a fresh assertion: a replayed jti must not be why it fails.
    if run.wants(&BAD_GRANT_TYPE)
        && let Ok(j) = sign(&b.key, url, now)
    {
        let (_, ex, seen) = send_as(run, token_url, b, &j, "not_a_grant_type", JWT_BEARER).await;
        let v = status_in(seen, &[400], "grant_type=not_a_grant_type");
        run.record(&BAD_GRANT_TYPE, v, vec![ex]);
    }
    if run.wants(&BAD_ASSERTION_TYPE)
        && let Ok(j) = sign(&b.key, url, now)
    {
        let (_, ex, seen) = send_as(
            run,
            token_url,
            b,
            &j,
            "client_credentials",
            "not_an_assertion_type",
        )
        .await;
        let v = status_in(
            seen,
            &[400, 401],
            "client_assertion_type=not_an_assertion_type",
        );
        run.record(&BAD_ASSERTION_TYPE, v, vec![ex]);
    }

    if run.wants(&JTI_REPLAY) {
        let (a, ex2) = send(run, token_url, b, &jwt).await;
        run.record(
            &JTI_REPLAY,
            refused(a, "the same assertion (same jti) was accepted twice"),
            vec![ex, ex2],
        );
    }
    if run.wants(&EXPIRED) {
        // Signed ten minutes ago: exp passed six minutes ago.
        if let Ok(old) = sign(&b.key, url, now.saturating_sub(600)) {
            let (a, ex) = send(run, token_url, b, &old).await;
            run.record(
                &EXPIRED,
                refused(a, "an assertion that expired 6 minutes ago was accepted"),
                vec![ex],
            );
        }
    }
    if run.wants(&WRONG_AUD) {
        let other = format!("{}/not-this-endpoint", url.trim_end_matches('/'));
        if let Ok(j) = sign(&b.key, &other, now) {
            let (a, ex) = send(run, token_url, b, &j).await;
            run.record(
                &WRONG_AUD,
                refused(a, &format!("an assertion with aud {other} was accepted")),
                vec![ex],
            );
        }
    }
    if run.wants(&UNKNOWN_KID) {
        let unknown = SigningKey {
            kid: "smart-check-unknown-kid".into(),
            ..b.key.clone()
        };
        if let Ok(j) = sign(&unknown, url, now) {
            let (a, ex) = send(run, token_url, b, &j).await;
            run.record(
                &UNKNOWN_KID,
                refused(
                    a,
                    "an assertion with kid smart-check-unknown-kid was accepted",
                ),
                vec![ex],
            );
        }
    }
    for f in Forgery::ALL {
        let check = check_of(f);
        if !run.wants(check) {
            continue;
        }
        match f.make(b, url, now) {
            Ok(jwt) => {
                let (_, ex, seen) =
                    send_as(run, token_url, b, &jwt, "client_credentials", JWT_BEARER).await;
                run.record(check, refused_invalid_client(seen, &f.accepted()), vec![ex]);
            }
            Err(e) => run.record(
                check,
                Verdict::skip(format!("cannot make the assertion: {}", e.message)),
                vec![],
            ),
        }
    }
    (trial, token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_invalid_client_with_400_or_401_is_a_refusal_smart_accepts() {
        let v = |s: u16, b: Value| refused_invalid_client(Some((s, b)), "accepted");
        assert_eq!(
            v(401, json!({"error": "invalid_client"})),
            Verdict::met("refused: 401 invalid_client")
        );
        assert!(matches!(
            v(400, json!({"error": "invalid_client"})),
            Verdict::Met(_)
        ));
        assert!(
            matches!(v(400, json!({"error": "invalid_grant"})), Verdict::Unmet(r) if r.contains("400 invalid_grant"))
        );
        assert!(matches!(
            v(500, json!({"error": "invalid_client"})),
            Verdict::Unmet(_)
        ));
        assert!(
            matches!(v(403, json!("nope")), Verdict::Unmet(r) if r.contains("without an OAuth error"))
        );
        assert_eq!(
            v(200, json!({"access_token": "t"})),
            Verdict::unmet("accepted")
        );
        assert!(matches!(
            refused_invalid_client(None, "x"),
            Verdict::Skip(_)
        ));
    }
}
