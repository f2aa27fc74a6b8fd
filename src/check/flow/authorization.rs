//! Authorization requests as a browser sends them: the client they are for,
//! the request (a code request with one field varied), and what came back.

use reqwest::Method;
use reqwest::header::{ACCEPT, CONTENT_TYPE, LOCATION};
use url::Url;

use super::super::probe::Exchange;
use super::super::run::Run;
use crate::config::{ClientType, TokenAuthMethod};
use crate::oauth::token_endpoint::{ClientAuth, SecretMethod};

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
    pub fn param(&self, name: &str) -> Option<String> {
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
    /// The EHR's `launch` value, for the authorization of an EHR launch.
    pub launch: Option<&'a str>,
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
            launch: None,
        }
    }

    /// The request as a GET's URL (or a form POST's fields, as its query).
    pub fn url(&self) -> Url {
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
            if let Some(launch) = self.launch {
                q.append_pair("launch", launch);
            }
        }
        u
    }
}

/// Sends one authorization request as a browser would, without following
/// the redirect (which may carry a code meant for the client). As a
/// browser's, it gets no custom header unless the token endpoint does.
pub async fn ask(run: &Run<'_>, req: &Request<'_>) -> (Answer, Exchange) {
    let (resp, ex) = run
        .probe
        .send(crate::http::to_authorization_server(
            run.probe.http().request(Method::GET, req.url()),
        ))
        .await;
    let answer = judge(resp, req);
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

/// The same request as a form POST (SMART's `authorize-post`), as a page
/// that submits a form sends it. With a user, a sign-in page is completed
/// in the browser from a local page that submits the same form.
pub async fn ask_post(run: &Run<'_>, req: &Request<'_>) -> (Answer, Exchange) {
    let fields = req.url();
    let body = fields.query().unwrap_or_default().to_owned();
    let (resp, ex) = run
        .probe
        .send(crate::http::to_authorization_server(
            run.probe
                .http()
                .request(Method::POST, req.endpoint.clone())
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(ACCEPT, "text/html,application/xhtml+xml")
                .body(body),
        ))
        .await;
    let answer = judge(resp, req);
    match (run.user, &answer) {
        (Some(user), Answer::Page(200) | Answer::Elsewhere(_))
            if req.redirect_uri == req.client.redirect_uri =>
        {
            let pairs: Vec<(String, String)> = fields.query_pairs().into_owned().collect();
            match user.authorize_post(req.endpoint, &pairs).await {
                Ok(back) => {
                    let ex = run.probe.note_browser(&fields, &back);
                    (Answer::Back(back), ex)
                }
                Err(e) => (Answer::Failed(e.message), ex),
            }
        }
        _ => (answer, ex),
    }
}

/// What an authorization request's answer was, for `req`'s redirect URI.
fn judge(resp: crate::error::Result<crate::http::Response>, req: &Request<'_>) -> Answer {
    match resp {
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
    }
}
