//! The `backend` group (SMART Backend Services), with a backend profile:
//! `client_credentials` with a signed assertion works, and the assertions a
//! server must refuse (a replayed `jti`, an expired one, another `aud`, an
//! unknown `kid`) are refused.

use serde_json::Value;
use url::Url;

use super::super::catalogue::{
    CLIENT_CREDENTIALS, Check, EXPIRED, JTI_REPLAY, UNKNOWN_KID, WRONG_AUD,
};
use super::super::flow::exchange::Trial;
use super::super::model::Verdict;
use super::super::probe::Exchange;
use super::super::run::Run;
use crate::oauth::assertion::{self, JWT_BEARER};
use crate::oauth::keys::SigningKey;
use crate::secret::Secret;

/// The group's checks, the good request first.
const CHECKS: [&Check; 5] = [
    &CLIENT_CREDENTIALS,
    &JTI_REPLAY,
    &EXPIRED,
    &WRONG_AUD,
    &UNKNOWN_KID,
];

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
    let req = run.probe.form(
        token_url,
        &[
            ("grant_type", "client_credentials"),
            ("scope", &b.scope),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", jwt.expose()),
        ],
    );
    let (resp, ex) = run.probe.send(req).await;
    let answer = match resp {
        Err(e) => Answer::Broken(format!("no answer: {}", e.message)),
        Ok(r) => {
            let v: Value = serde_json::from_slice(&r.body).unwrap_or_default();
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
    (answer, ex)
}

/// A check whose assertion must be refused.
fn refused(a: Answer, accepted: &str) -> Verdict {
    match a {
        Answer::Token => Verdict::unmet(accepted.to_owned()),
        Answer::Refused(e) => Verdict::met(format!("refused: {e}")),
        Answer::Broken(e) => Verdict::skip(e),
    }
}

/// The group; returns how its good request fared, which also proves
/// `private_key_jwt` for `token.auth-methods-work`.
pub async fn run(run: &mut Run<'_>, token_url: &Url, b: &Backend) -> Trial {
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
            return Trial::Untried(why);
        }
    };
    let (first, ex) = send(run, token_url, b, &jwt).await;
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
        return trial;
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
    trial
}
