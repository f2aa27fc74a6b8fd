//! The `authorize` group: requests to the authorization endpoint that a
//! server must refuse, and the `state` it must echo. Without a user
//! (`--no-login`) a request is judged only when the server answers it at
//! once (a redirect back, or an error page); a sign-in page leaves it
//! undecided, and the check says so.

use url::Url;

use super::super::catalogue::{
    AUD_CHECKED, ERROR_HAS_STATE, PKCE_PLAIN, PKCE_REQUIRED, REDIRECT_UNREGISTERED, STATE_ECHOED,
};
use super::super::flow::authorization::{Answer, Client, Request, ask};
use super::super::flow::exchange::{self, Outcome, TokenAttempt, s256};
use super::super::model::Verdict;
use super::super::run::Run;
use crate::oauth::pkce;

/// A redirect URI no server has registered.
const FOREIGN_REDIRECT: &str = "https://smart-check.invalid/callback";
const FOREIGN_AUD: &str = "https://smart-check.invalid/fhir";

/// An answer that needs a user to go on.
fn undecided(a: &Answer) -> Verdict {
    match a {
        Answer::Page(200) | Answer::Elsewhere(_) => Verdict::skip(
            "the server asks for a user to sign in; run with --browser to decide this",
        ),
        Answer::Page(s) => Verdict::skip(format!("the authorization endpoint answered {s}")),
        Answer::Failed(e) => Verdict::skip(format!("no answer: {e}")),
        Answer::Back(_) => Verdict::skip("unexpected redirect"),
    }
}

/// The group. `token` is where codes obtained by the PKCE probes are tried.
pub async fn run(run: &mut Run<'_>, endpoint: &Url, token_url: Option<&Url>, client: &Client) {
    let aud = run.base.as_str().to_owned();
    let fresh = || pkce::random_b64(32);

    // A request the server should simply grant: `state` must come back.
    if run.wants(&STATE_ECHOED) {
        let state = fresh();
        let verifier = fresh();
        let challenge = s256(&verifier);
        let (a, ex) = ask(
            run,
            &Request::code(endpoint, client, &aud, &state, &challenge),
        )
        .await;
        let v = match (&a, a.param("state")) {
            (Answer::Back(_), Some(s)) if s == state => Verdict::met("state came back unchanged"),
            (Answer::Back(_), Some(_)) => Verdict::unmet("state came back changed"),
            (Answer::Back(_), None) => Verdict::unmet("the redirect back has no state"),
            _ => undecided(&a),
        };
        run.record(&STATE_ECHOED, v, vec![ex]);
    }

    if run.wants(&ERROR_HAS_STATE) {
        let state = fresh();
        let (a, ex) = ask(
            run,
            &Request {
                response_type: "smart-check-unsupported",
                ..Request::code(endpoint, client, &aud, &state, &s256(&fresh()))
            },
        )
        .await;
        let v = match (&a, a.param("error"), a.param("state")) {
            (Answer::Back(_), Some(_), Some(s)) if s == state => {
                Verdict::met("the error redirect carries state")
            }
            (Answer::Back(_), Some(e), _) => {
                Verdict::unmet(format!("error={e} came back without our state"))
            }
            (Answer::Back(_), None, _) => Verdict::unmet(
                "an unsupported response_type was answered with a redirect that is not an error",
            ),
            (Answer::Page(s), ..) if *s >= 400 => Verdict::skip(format!(
                "the server showed an error page ({s}) instead of redirecting, so no state to check"
            )),
            _ => undecided(&a),
        };
        run.record(&ERROR_HAS_STATE, v, vec![ex]);
    }

    // No PKCE at all, then `plain`: refused at authorize, or the code they
    // give refused at the token endpoint.
    for (check, challenge) in [(&PKCE_REQUIRED, None), (&PKCE_PLAIN, Some("plain"))] {
        if !run.wants(check) {
            continue;
        }
        let state = fresh();
        let verifier = fresh();
        let (a, ex) = ask(
            run,
            &Request {
                challenge: challenge.map(|m| (verifier.as_str(), m)),
                ..Request::code(endpoint, client, &aud, &state, &s256(&fresh()))
            },
        )
        .await;
        let mut evidence = vec![ex];
        let v = match (&a, a.param("error"), a.param("code")) {
            (Answer::Back(_), Some(e), _) => {
                Verdict::met(format!("refused at authorize: error={e}"))
            }
            (Answer::Back(_), None, Some(code)) => match token_url {
                None => {
                    Verdict::skip("a code was issued, and there is no token endpoint to try it at")
                }
                Some(t) => {
                    let attempt =
                        TokenAttempt::code(client, &code, challenge.map(|_| verifier.as_str()));
                    let (outcome, ex) = exchange::attempt(run, t, &attempt).await;
                    evidence.push(ex);
                    match outcome {
                        Outcome::Tokens => Verdict::unmet(if challenge.is_none() {
                            "a code issued without code_challenge was exchanged without code_verifier"
                        } else {
                            "code_challenge_method=plain was accepted and its code exchanged"
                        }),
                        Outcome::Refused(e) => {
                            Verdict::met(format!("the code was refused at the token endpoint: {e}"))
                        }
                        Outcome::Broken(e) => Verdict::skip(e),
                    }
                }
            },
            (Answer::Page(s), ..) if *s >= 400 => {
                Verdict::met(format!("refused with an error page ({s})"))
            }
            _ => undecided(&a),
        };
        run.record(check, v, evidence);
    }

    if run.wants(&REDIRECT_UNREGISTERED) {
        let state = fresh();
        let (a, ex) = ask(
            run,
            &Request {
                redirect_uri: FOREIGN_REDIRECT,
                ..Request::code(endpoint, client, &aud, &state, &s256(&fresh()))
            },
        )
        .await;
        let v = match &a {
            Answer::Back(_) => Verdict::unmet(format!(
                "the server redirected to the unregistered {FOREIGN_REDIRECT} (an open redirector)"
            )),
            Answer::Page(s) if *s >= 400 => {
                Verdict::met(format!("refused with an error page ({s})"))
            }
            Answer::Failed(e) => Verdict::skip(format!("no answer: {e}")),
            // A sign-in page or a redirect to one: not to the foreign URI,
            // which is what this check is about.
            Answer::Page(s) => Verdict::met(format!(
                "no redirect to the unregistered URI (answered {s}; it may still refuse after sign-in)"
            )),
            Answer::Elsewhere(to) => Verdict::met(format!(
                "no redirect to the unregistered URI (went to {to})"
            )),
        };
        run.record(&REDIRECT_UNREGISTERED, v, vec![ex]);
    }

    if run.wants(&AUD_CHECKED) {
        let state = fresh();
        let (a, ex) = ask(
            run,
            &Request::code(endpoint, client, FOREIGN_AUD, &state, &s256(&fresh())),
        )
        .await;
        let v = match (&a, a.param("error"), a.param("code")) {
            (Answer::Back(_), Some(e), _) => Verdict::met(format!("refused: error={e}")),
            (Answer::Back(_), None, Some(_)) => {
                Verdict::unmet(format!("a code was issued for aud={FOREIGN_AUD}"))
            }
            (Answer::Page(s), ..) if *s >= 400 => {
                Verdict::met(format!("refused with an error page ({s})"))
            }
            _ => undecided(&a),
        };
        run.record(&AUD_CHECKED, v, vec![ex]);
    }
}
