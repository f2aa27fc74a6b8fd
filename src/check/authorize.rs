//! The `authorize` group: requests to the authorization endpoint that a
//! server must refuse, and the `state` it must echo. Without a user
//! (`--no-login`) a request is judged only when the server answers it at
//! once (a redirect back, or an error page); a sign-in page leaves it
//! undecided, and the check says so.

use reqwest::Method;
use reqwest::header::LOCATION;
use url::Url;

use super::model::{Check, Severity, Verdict};
use super::probe::Exchange;
use super::run::Run;
use super::token::{self, TokenAttempt};
use crate::config::{ClientType, TokenAuthMethod};
use crate::oauth::pkce;
use crate::oauth::token_endpoint::{ClientAuth, SecretMethod};

pub const STATE_ECHOED: Check = Check {
    id: "authorize.state-echoed",
    title: "the redirect back carries `state` exactly as sent",
    reference: "https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2",
    severity: Severity::Required,
    fix: "return the request's `state` parameter unchanged on every redirect to the client",
};
pub const ERROR_HAS_STATE: Check = Check {
    id: "authorize.error-has-state",
    title: "an error redirect carries `state`",
    reference: "https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1",
    severity: Severity::Required,
    fix: "add the request's `state` to error redirects (error=unsupported_response_type&state=…)",
};
pub const PKCE_REQUIRED: Check = Check {
    id: "authorize.pkce-required",
    title: "a request without PKCE is refused (at authorize or at token)",
    reference: "https://hl7.org/fhir/smart-app-launch/app-launch.html#considerations-for-pkce-support",
    severity: Severity::Required,
    fix: "require code_challenge (S256) on every authorization request, or refuse the code without a code_verifier",
};
pub const PKCE_PLAIN: Check = Check {
    id: "authorize.pkce-plain-rejected",
    title: "the `plain` PKCE method is refused",
    reference: "https://hl7.org/fhir/smart-app-launch/app-launch.html#considerations-for-pkce-support",
    severity: Severity::Required,
    fix: "accept only code_challenge_method=S256",
};
pub const REDIRECT_UNREGISTERED: Check = Check {
    id: "authorize.redirect-uri-unregistered",
    title: "an unregistered redirect_uri is refused without a redirect to it",
    reference: "https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1",
    severity: Severity::Required,
    fix: "compare redirect_uri with the client's registered URIs before redirecting anywhere; show an error page instead",
};
pub const AUD_CHECKED: Check = Check {
    id: "authorize.aud-checked",
    title: "an `aud` that is not this FHIR server is refused",
    reference: "https://hl7.org/fhir/smart-app-launch/app-launch.html#obtain-authorization-code",
    severity: Severity::Required,
    fix: "compare `aud` with the FHIR base URL and refuse the request when it differs (no token for another server)",
};

pub const CHECKS: &[Check] = &[
    STATE_ECHOED,
    ERROR_HAS_STATE,
    PKCE_REQUIRED,
    PKCE_PLAIN,
    REDIRECT_UNREGISTERED,
    AUD_CHECKED,
];

/// A redirect URI no server has registered.
const FOREIGN_REDIRECT: &str = "https://smart-check.invalid/callback";
const FOREIGN_AUD: &str = "https://smart-check.invalid/fhir";

/// The client the requests are made for.
#[derive(Debug, Clone)]
pub struct Client {
    pub redirect_uri: String,
    pub scope: String,
    /// How it authenticates at the token endpoint. A secret's method is
    /// settled against the server's list by [`Client::for_server`].
    pub auth: ClientAuth,
    /// The profile names the method: the server's list does not change it.
    pub method_pinned: bool,
}

impl Client {
    /// A public client: its `client_id` is all it sends.
    pub fn public(client_id: String, redirect_uri: String, scope: String) -> Client {
        Client {
            redirect_uri,
            scope,
            auth: ClientAuth::None { client_id },
            method_pinned: false,
        }
    }

    pub fn client_id(&self) -> &str {
        self.auth.client_id()
    }

    /// The client as it talks to a server advertising `methods`: a secret
    /// the profile did not pin to a method goes where `smart login` would
    /// send it.
    pub fn for_server(&self, methods: &[&str]) -> Client {
        let mut c = self.clone();
        if let ClientAuth::Secret { method, .. } = &mut c.auth
            && !self.method_pinned
            && ClientType::ConfidentialSymmetric.default_auth_method(methods)
                == TokenAuthMethod::ClientSecretPost
        {
            *method = SecretMethod::Post;
        }
        c
    }
}

/// What came of one authorization request.
#[derive(Debug)]
pub enum Answer {
    /// Redirected back to our redirect URI: its query.
    Back(Url),
    /// Redirected somewhere else (a sign-in page, an open redirector…).
    Elsewhere(String),
    /// Answered with a page (a sign-in form or an error page).
    Page(u16),
    Failed(String),
}

impl Answer {
    fn param(&self, name: &str) -> Option<String> {
        match self {
            Answer::Back(u) => u
                .query_pairs()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned()),
            _ => None,
        }
    }
}

pub struct Request<'a> {
    pub endpoint: &'a Url,
    pub client: &'a Client,
    pub aud: &'a str,
    pub state: &'a str,
    pub response_type: &'a str,
    pub redirect_uri: &'a str,
    pub challenge: Option<(&'a str, &'a str)>,
}

impl<'a> Request<'a> {
    /// The request a client sends for a code: `response_type=code`, its
    /// own redirect URI, an S256 challenge. Checks vary one field of it.
    pub fn code(
        endpoint: &'a Url,
        client: &'a Client,
        aud: &'a str,
        state: &'a str,
        challenge: &'a str,
    ) -> Request<'a> {
        Request {
            endpoint,
            client,
            aud,
            state,
            response_type: "code",
            redirect_uri: &client.redirect_uri,
            challenge: Some((challenge, "S256")),
        }
    }

    fn url(&self) -> Url {
        let mut u = self.endpoint.clone();
        {
            let mut q = u.query_pairs_mut();
            q.append_pair("response_type", self.response_type)
                .append_pair("client_id", self.client.client_id())
                .append_pair("redirect_uri", self.redirect_uri)
                .append_pair("scope", &self.client.scope)
                .append_pair("state", self.state)
                .append_pair("aud", self.aud);
            if let Some((challenge, method)) = self.challenge {
                q.append_pair("code_challenge", challenge)
                    .append_pair("code_challenge_method", method);
            }
        }
        u
    }
}

/// Sends one authorization request as a browser would, without following
/// the redirect (which may carry a code meant for the client).
pub async fn ask(run: &Run<'_>, req: &Request<'_>) -> (Answer, Exchange) {
    let (resp, ex) = run
        .probe
        .send(run.probe.http().request(Method::GET, req.url()))
        .await;
    let answer = match resp {
        Err(e) => Answer::Failed(e.message),
        Ok(r) if r.status.is_redirection() => {
            let loc = r
                .headers
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            match r.url.join(loc) {
                Ok(to) if to.as_str().split('?').next() == req.redirect_uri.split('?').next() => {
                    Answer::Back(to)
                }
                Ok(to) => Answer::Elsewhere(crate::redact::url(&to)),
                Err(_) => Answer::Elsewhere(loc.to_owned()),
            }
        }
        Ok(r) => Answer::Page(r.status.as_u16()),
    };
    // A sign-in page: the user completes it, when there is one, for the
    // requests that come back to us.
    match (run.user, &answer) {
        (Some(user), Answer::Page(200) | Answer::Elsewhere(_))
            if req.redirect_uri == req.client.redirect_uri =>
        {
            match user.authorize(&req.url()).await {
                Ok(back) => {
                    let ex = run.probe.note_browser(&req.url(), &back);
                    (Answer::Back(back), ex)
                }
                Err(e) => (Answer::Failed(e.message), ex),
            }
        }
        _ => (answer, ex),
    }
}

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
    if run.selection.wants(&STATE_ECHOED) {
        let state = fresh();
        let verifier = fresh();
        let challenge = token::s256(&verifier);
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

    if run.selection.wants(&ERROR_HAS_STATE) {
        let state = fresh();
        let (a, ex) = ask(
            run,
            &Request {
                response_type: "smart-check-unsupported",
                ..Request::code(endpoint, client, &aud, &state, &token::s256(&fresh()))
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
        if !run.selection.wants(check) {
            run.record(check, Verdict::skip("not selected"), vec![]);
            continue;
        }
        let state = fresh();
        let verifier = fresh();
        let (a, ex) = ask(
            run,
            &Request {
                challenge: challenge.map(|m| (verifier.as_str(), m)),
                ..Request::code(endpoint, client, &aud, &state, &token::s256(&fresh()))
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
                    let (outcome, ex) = token::attempt(run, t, &attempt).await;
                    evidence.push(ex);
                    match outcome {
                        token::Outcome::Tokens => Verdict::unmet(if challenge.is_none() {
                            "a code issued without code_challenge was exchanged without code_verifier"
                        } else {
                            "code_challenge_method=plain was accepted and its code exchanged"
                        }),
                        token::Outcome::Refused(e) => {
                            Verdict::met(format!("the code was refused at the token endpoint: {e}"))
                        }
                        token::Outcome::Broken(e) => Verdict::skip(e),
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

    if run.selection.wants(&REDIRECT_UNREGISTERED) {
        let state = fresh();
        let (a, ex) = ask(
            run,
            &Request {
                redirect_uri: FOREIGN_REDIRECT,
                ..Request::code(endpoint, client, &aud, &state, &token::s256(&fresh()))
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

    if run.selection.wants(&AUD_CHECKED) {
        let state = fresh();
        let (a, ex) = ask(
            run,
            &Request::code(
                endpoint,
                client,
                FOREIGN_AUD,
                &state,
                &token::s256(&fresh()),
            ),
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
