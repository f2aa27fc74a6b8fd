//! The `backend` group (SMART Backend Services), with a backend profile:
//! `client_credentials` with a signed assertion works, and the assertions a
//! server must refuse (a replayed `jti`, an expired one, another `aud`, an
//! unknown `kid`) are refused.

use serde_json::Value;
use url::Url;

use super::model::{Check, Severity, Verdict};
use super::probe::Exchange;
use super::run::Run;
use super::token::Trial;
use crate::oauth::assertion::{self, JWT_BEARER};
use crate::oauth::keys::SigningKey;
use crate::secret::Secret;

const SPEC: &str = "https://hl7.org/fhir/smart-app-launch/backend-services.html";

pub const CLIENT_CREDENTIALS: Check = Check {
    id: "backend.client-credentials",
    title: "client_credentials with a signed assertion gives a token",
    reference: SPEC,
    severity: Severity::Required,
    fix: "accept grant_type=client_credentials with client_assertion_type jwt-bearer and an RS384/ES384 assertion signed by a registered key",
};
pub const JTI_REPLAY: Check = Check {
    id: "backend.jti-replay",
    title: "an assertion whose jti was used before is refused",
    reference: "https://www.rfc-editor.org/rfc/rfc7523#section-3",
    severity: Severity::Required,
    fix: "remember the jti of every accepted assertion until it expires and refuse a repeat (invalid_client)",
};
pub const EXPIRED: Check = Check {
    id: "backend.expired-assertion",
    title: "an expired assertion is refused",
    reference: "https://www.rfc-editor.org/rfc/rfc7523#section-3",
    severity: Severity::Required,
    fix: "refuse an assertion whose exp is in the past (invalid_client)",
};
pub const WRONG_AUD: Check = Check {
    id: "backend.wrong-aud",
    title: "an assertion for another token URL (aud) is refused",
    reference: "https://www.rfc-editor.org/rfc/rfc7523#section-3",
    severity: Severity::Required,
    fix: "require the assertion's aud to be this token endpoint's URL",
};
pub const UNKNOWN_KID: Check = Check {
    id: "backend.unknown-kid",
    title: "an assertion signed under an unknown kid is refused",
    reference: SPEC,
    severity: Severity::Required,
    fix: "verify assertions only with the client's registered keys and refuse a kid you do not know",
};

pub const CHECKS: &[Check] = &[
    CLIENT_CREDENTIALS,
    JTI_REPLAY,
    EXPIRED,
    WRONG_AUD,
    UNKNOWN_KID,
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
                super::probe::oauth_error(&v),
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

    if run.selection.wants(&JTI_REPLAY) {
        let (a, ex2) = send(run, token_url, b, &jwt).await;
        run.record(
            &JTI_REPLAY,
            refused(a, "the same assertion (same jti) was accepted twice"),
            vec![ex, ex2],
        );
    }
    if run.selection.wants(&EXPIRED) {
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
    if run.selection.wants(&WRONG_AUD) {
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
    if run.selection.wants(&UNKNOWN_KID) {
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
    for c in &CHECKS[1..] {
        if !run.selection.wants(c) {
            run.record(c, Verdict::skip("not selected"), vec![]);
        }
    }
    trial
}
