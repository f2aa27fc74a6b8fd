//! The `authorize` group: requests to the authorization endpoint that a
//! server must refuse, and the `state` it must echo. Without a user
//! (`--no-login`) a request is judged only when the server answers it at
//! once (a redirect back, or an error page); a sign-in page leaves it
//! undecided, and the check says so.

use url::Url;

use super::super::catalogue::{
    AUD_CHECKED, AUTHORIZE_POST, EHR_LAUNCH, EHR_LAUNCH_PARAM, ERROR_HAS_STATE, PKCE_PLAIN,
    PKCE_REQUIRED, REDIRECT_UNREGISTERED, STATE_ECHOED, TLS,
};
use super::super::flow::authorization::{Answer, Client, Request, ask, ask_post};
use super::super::flow::exchange::{self, Outcome, TokenAttempt, s256};
use super::super::flow::launch::{self, Arrival, EhrLaunch};
use super::super::flow::tls::{self, Legacy};
use super::super::model::Verdict;
use super::super::probe::Exchange;
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

    // The request the GET above sends, as a form POST: answered as the GET
    // is (a redirect back with a code and our state, or a sign-in page).
    if run.wants(&AUTHORIZE_POST) {
        let state = fresh();
        let (a, ex) = ask_post(
            run,
            &Request::code(endpoint, client, &aud, &state, &s256(&fresh())),
        )
        .await;
        run.record(&AUTHORIZE_POST, post_verdict(&a, &state), vec![ex]);
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

/// `--ehr`: what the EHR's launch requests showed (2.2.01, and 2.2.02 when
/// the launch came without `launch`). A launch with it is judged by
/// [`ehr_authorize`], once its authorization request was answered.
pub fn ehr_arrival(run: &mut Run<'_>, ehr: &EhrLaunch) {
    let base = run.base.as_str().to_owned();
    let evidence = vec![ehr.request.clone()];
    let (launched, param) = match &ehr.arrival {
        Arrival::Launched { iss, .. } => (
            Verdict::met(format!("the EHR opened the launch URL with iss={iss}")),
            None,
        ),
        Arrival::WithoutLaunch { iss } => (
            Verdict::met(format!("the EHR opened the launch URL with iss={iss}")),
            Some(Verdict::unmet(
                "the EHR's launch request has iss but no launch parameter",
            )),
        ),
        Arrival::Refused(why) => (
            Verdict::unmet(format!(
                "no launch naming {base} as iss arrived in time; the last launch request was refused: {why}"
            )),
            Some(Verdict::skip(
                "no launch from this server arrived to look at",
            )),
        ),
    };
    run.record(&EHR_LAUNCH, launched, evidence.clone());
    if let Some(v) = param {
        run.record(&EHR_LAUNCH_PARAM, v, evidence);
    }
}

/// `--ehr`: sends the EHR's browser on to the authorization request with
/// the launch, and judges 2.2.02 on its answer. The code it gives is kept
/// for the token group's good exchange.
pub async fn ehr_authorize(run: &mut Run<'_>, ehr: &EhrLaunch, endpoint: &Url, client: &Client) {
    if let Some((v, ex)) = launch::authorize(run, ehr, endpoint, client).await {
        run.record(&EHR_LAUNCH_PARAM, v, vec![ehr.request.clone(), ex]);
    }
}

/// How a form POST of a good authorization request was answered.
fn post_verdict(a: &Answer, state: &str) -> Verdict {
    match (a, a.param("code"), a.param("state"), a.param("error")) {
        (Answer::Back(_), Some(_), Some(s), _) if s == state => {
            Verdict::met("redirected back with a code and our state")
        }
        (Answer::Back(_), Some(_), _, _) => {
            Verdict::unmet("redirected back with a code but without our state")
        }
        (Answer::Back(_), None, _, Some(e)) => Verdict::unmet(format!(
            "the POSTed request was refused: error={}",
            crate::redact::printable(&e)
        )),
        (Answer::Back(_), None, _, None) => {
            Verdict::unmet("redirected back with neither a code nor an error")
        }
        (Answer::Page(200), ..) => Verdict::met(
            "answered with a page (a sign-in form, as for the GET; --browser completes it)",
        ),
        (Answer::Elsewhere(to), ..) => Verdict::met(format!(
            "sent on to {to} (a sign-in, as for the GET; --browser completes it)"
        )),
        (Answer::Page(s), ..) => Verdict::unmet(format!(
            "the authorization endpoint answered the POST with {s}"
        )),
        (Answer::Failed(e), ..) => Verdict::skip(format!("no answer: {e}")),
    }
}

/// How long the hand-made TLS 1.0/1.1 hello waits for the first record.
const LEGACY_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// TLS on the authorization, token and FHIR endpoints (each origin once):
/// a request through rustls, which speaks TLS 1.2 and 1.3 only, must be
/// answered, and a hello offering only TLS 1.0/1.1 must be refused.
pub async fn tls(run: &mut Run<'_>, endpoints: &[(&str, Option<&Url>)]) {
    let mut seen: Vec<(String, u16)> = Vec::new();
    let mut plain: Vec<String> = Vec::new();
    let (mut found, mut fine, mut undecided) = (Vec::new(), Vec::new(), Vec::new());
    let mut evidence = Vec::new();
    for (name, url) in endpoints {
        let Some(url) = url else { continue };
        let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else {
            continue;
        };
        let origin = format!("{host}:{port}");
        if url.scheme() != "https" {
            plain.push(format!("{name} ({origin})"));
            continue;
        }
        if seen.contains(&(host.to_owned(), port)) {
            continue;
        }
        seen.push((host.to_owned(), port));
        // TLS 1.2+: any answer through rustls is a handshake it completed.
        let (resp, ex) = run
            .probe
            .send(
                run.probe
                    .http()
                    .request(reqwest::Method::GET, (*url).clone()),
            )
            .await;
        evidence.push(ex);
        if let Err(e) = resp {
            found.push(format!(
                "the {name} endpoint ({origin}) gave no answer over TLS 1.2+: {}",
                e.message
            ));
        }
        let legacy = tls::probe(host, port, LEGACY_WAIT).await;
        evidence.push(legacy_evidence(&origin, &legacy));
        match legacy {
            Ok(l) if l.refused() => fine.push(format!("{name} ({origin}): {}", l.describe())),
            Ok(l @ Legacy::Accepted(_)) => found.push(format!(
                "the {name} endpoint ({origin}) accepts a TLS 1.0/1.1-only hello: {}",
                l.describe()
            )),
            Ok(l) => undecided.push(format!("{name} ({origin}): {}", l.describe())),
            Err(e) => undecided.push(format!("{name} ({origin}): {e}")),
        }
    }
    let v = if !found.is_empty() {
        Verdict::unmet(found.join("; "))
    } else if !undecided.is_empty() {
        Verdict::skip(format!(
            "the TLS 1.0/1.1 probe could not decide: {}",
            undecided.join("; ")
        ))
    } else if fine.is_empty() {
        Verdict::skip(format!(
            "no https endpoint to check: {} plain http (loopback), without TLS",
            if plain.is_empty() {
                "none given".to_owned()
            } else {
                plain.join(", ")
            }
        ))
    } else {
        let mut why = format!("TLS 1.2+ answered; TLS 1.0/1.1 {}", fine.join("; "));
        if !plain.is_empty() {
            why.push_str(&format!(
                "; plain http (loopback), not checked: {}",
                plain.join(", ")
            ));
        }
        Verdict::met(why)
    };
    run.record(&TLS, v, evidence);
}

/// The hand-made hello and what came back, as evidence.
fn legacy_evidence(origin: &str, got: &Result<Legacy, String>) -> Exchange {
    let (body, error) = match got {
        Ok(l) => (Some(l.describe()), None),
        Err(e) => (None, Some(e.clone())),
    };
    Exchange {
        method: "TLS".into(),
        url: format!("{origin} (a ClientHello offering only TLS 1.0 and 1.1)"),
        request_headers: vec![],
        request_body: None,
        status: None,
        response_headers: vec![],
        response_body: body,
        error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn back(q: &str) -> Answer {
        Answer::Back(Url::parse(&format!("http://127.0.0.1:1/callback?{q}")).unwrap())
    }

    #[test]
    fn a_posted_request_is_judged_as_the_get() {
        let met = |a: &Answer| matches!(post_verdict(a, "S"), Verdict::Met(_));
        assert!(met(&back("code=c&state=S")));
        assert!(met(&Answer::Page(200)));
        assert!(met(&Answer::Elsewhere("https://as.example/login".into())));
        for a in [
            back("code=c"),
            back("code=c&state=T"),
            back("error=invalid_request&state=S"),
            back("state=S"),
            Answer::Page(405),
            Answer::Page(400),
        ] {
            assert!(matches!(post_verdict(&a, "S"), Verdict::Unmet(_)), "{a:?}");
        }
        assert!(matches!(
            post_verdict(&Answer::Failed("reset".into()), "S"),
            Verdict::Skip(_)
        ));
    }
}
