//! The FHIR REST client behind `query`, `get`, `create`, `update`, `delete`
//! and `capabilities`: one place that decides where the token may go, when
//! a request is tried again, and what a failed answer means.
//!
//! - The token is only ever sent to URLs under the profile's FHIR base
//!   ([`FhirBase::contains`]): not to another origin, and not to another
//!   path on the same origin (multi-tenant hosts serve many bases from one).
//!   Anything else — a URL the user typed, a `next` link, a redirect — is
//!   refused before a byte leaves, with a message saying why.
//! - A 401 refreshes the token once (shared by all requests of the command)
//!   and repeats the request; a second 401 is an auth error: `smart login`.
//! - 429 and 503 are retried for idempotent requests only (GET, POST
//!   `_search`), honouring `Retry-After`; see [`super::retry`].
//! - Bodies are read up to [`BODY_LIMIT`] and must be JSON.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures_util::future::BoxFuture;
use reqwest::Method;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderName, LOCATION, RETRY_AFTER};
use url::Url;

use super::{outcome, retry};
use crate::discovery::FhirBase;
use crate::error::{Error, Result};
use crate::http::{self, Http, Response};
use crate::reporter::Reporter;
use oauth2::AccessToken;

/// Largest answer we read: a page of 1000 large resources fits many times.
pub const BODY_LIMIT: usize = 256 << 20;

pub const FHIR_JSON: &str = "application/fhir+json";

/// Gets a fresh token when the server refuses the current one (a forced
/// refresh of the profile the first token came from).
pub type Refresh = Box<dyn Fn() -> BoxFuture<'static, Result<AccessToken>> + Send + Sync>;

/// Where the client's token comes from after the first one.
pub struct TokenSource {
    pub refresh: Refresh,
    /// For the "log in again" hint.
    pub profile: String,
}

struct Auth {
    source: TokenSource,
    token: std::sync::Mutex<AccessToken>,
    /// Held while refreshing, so that concurrent 401s refresh once.
    refreshing: tokio::sync::Mutex<bool>,
}

/// Which waits before a retry are reported.
#[derive(Clone, Default)]
pub enum WaitReports {
    /// None (`--quiet`).
    #[default]
    Quiet,
    /// Those of [`retry::LONG_WAIT`] or more (stderr is not a terminal).
    Long(Reporter),
    /// Every one.
    All(Reporter),
}

impl WaitReports {
    fn reporter_for(&self, wait: Duration) -> Option<&Reporter> {
        match self {
            WaitReports::All(r) => Some(r),
            WaitReports::Long(r) if wait >= retry::LONG_WAIT => Some(r),
            _ => None,
        }
    }
}

/// How the client was asked to behave.
pub struct ClientOptions {
    pub base: FhirBase,
    /// Add `_format=json` (profile workaround for servers that answer XML).
    pub format_json: bool,
    pub retries: u32,
    /// The longest `Retry-After` honoured; a server asking for more fails
    /// the request.
    pub max_wait: Duration,
    pub wait_reports: WaitReports,
}

pub struct Fhir {
    http: Http,
    /// The base the token is for; `base` is its URL with a trailing slash.
    on_base: FhirBase,
    base: Url,
    auth: Option<Auth>,
    format_json: bool,
    retries: u32,
    max_wait: Duration,
    wait_reports: WaitReports,
}

/// One request, kept whole so it can be sent again.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    pub url: Url,
    pub body: Option<(&'static str, Bytes)>,
    pub headers: Vec<(HeaderName, String)>,
    /// Safe to repeat on 429/503.
    pub idempotent: bool,
}

impl Request {
    pub fn get(url: Url) -> Request {
        Request {
            method: Method::GET,
            url,
            body: None,
            headers: Vec::new(),
            idempotent: true,
        }
    }
}

impl Fhir {
    /// A client for `options.base`; `token` is `None` for `--no-auth`.
    pub fn new(
        http_opts: &http::Options,
        options: ClientOptions,
        token: Option<(AccessToken, TokenSource)>,
    ) -> Result<Fhir> {
        let on_base = options.base.clone();
        let with_token = token.is_some();
        let plain_http = options.base.url().scheme() == "http";
        // The policy below decides every hop; the custom headers are for
        // this base's origin (which the policy never leaves).
        let mut http_opts = http_opts.clone().for_base(options.base.url());
        http_opts.follow_redirects = false;
        let http = Http::with_builder(&http_opts, move |b| {
            // Redirects under the base only (same origin without a token):
            // reqwest drops the token on a cross-host hop, but not on a hop
            // to another base of the same host, and would still follow it.
            let b = b.redirect(reqwest::redirect::Policy::custom(move |a| {
                let allowed = if with_token {
                    on_base.contains(a.url())
                } else {
                    a.url().origin() == on_base.url().origin()
                };
                if a.previous().len() >= 5 {
                    a.error("too many redirects")
                } else if allowed {
                    a.follow()
                } else {
                    a.stop()
                }
            }));
            // A plain-http base never needs TLS (redirects cannot change the
            // origin), so skip loading the system's CA store: that is most of
            // the client's start-up time.
            if plain_http {
                b.tls_built_in_root_certs(false)
            } else {
                b
            }
        })?;
        let auth = token.map(|(t, source)| Auth {
            source,
            token: std::sync::Mutex::new(t),
            refreshing: tokio::sync::Mutex::new(false),
        });
        let mut base = options.base.url().clone();
        if !base.path().ends_with('/') {
            let p = format!("{}/", base.path());
            base.set_path(&p);
        }
        Ok(Fhir {
            http,
            on_base: options.base,
            base,
            auth,
            format_json: options.format_json,
            retries: options.retries,
            max_wait: options.max_wait,
            wait_reports: options.wait_reports,
        })
    }

    /// The FHIR base, with a trailing slash.
    pub fn base(&self) -> &Url {
        &self.base
    }

    /// `[base]/{path}`; `path` is relative (`Patient/1`, `metadata`).
    pub fn url(&self, path: &str) -> Result<Url> {
        self.base
            .join(path.trim_start_matches('/'))
            .map_err(|e| Error::usage(format!("`{path}` does not make a URL ({e})")))
    }

    /// A URL the user gave or a server returned, checked to be under the
    /// FHIR base when a token would go with it.
    pub fn check_on_base(&self, url: &Url) -> Result<()> {
        if self.auth.is_none() || self.on_base.contains(url) {
            return Ok(());
        }
        Err(Error::usage(format!(
            "refusing to send the token to {}: it is not under the profile's FHIR base {}",
            http::origin_path(url),
            self.on_base
        ))
        .with_hint(
            "only URLs under the profile's FHIR base get the token; use --no-auth for open servers",
        ))
    }

    /// Adds `_format=json` when the profile asks for it and it is not there.
    pub fn with_format(&self, url: &mut Url) {
        if self.format_json && !url.query_pairs().any(|(k, _)| k == "_format") {
            url.query_pairs_mut().append_pair("_format", "json");
        }
    }

    pub fn format_json(&self) -> bool {
        self.format_json
    }

    /// The base the token is for ([`FhirBase::contains`] decides where it may go).
    pub fn on_base(&self) -> &FhirBase {
        &self.on_base
    }

    /// The longest `Retry-After` this client honours.
    pub fn max_wait(&self) -> Duration {
        self.max_wait
    }

    /// `GET /fhir/Patient` — for messages; never the query, which may hold PHI.
    pub fn describe(&self, req: &Request) -> String {
        format!("{} {}", req.method, req.url.path())
    }

    /// Sends a request: token, refresh on 401, retries on 429/503; answers
    /// other than 2xx become errors with the server's OperationOutcome.
    pub async fn send(&self, req: &Request) -> Result<Response> {
        self.send_passing(req, &[]).await
    }

    /// [`Fhir::send`], but answers whose status is in `pass` come back as
    /// they are, for the caller to read (bulk export's kick-off: 405 means
    /// "POST instead").
    pub async fn send_passing(&self, req: &Request, pass: &[u16]) -> Result<Response> {
        self.send_capped(req, pass, BODY_LIMIT).await
    }

    /// [`Fhir::send_passing`], reading at most `limit` bytes of the answer
    /// (a larger one is an error): hydration's attachments have a size cap.
    pub async fn send_capped(&self, req: &Request, pass: &[u16], limit: usize) -> Result<Response> {
        self.check_on_base(&req.url)?;
        let what = self.describe(req);
        let mut attempt: u32 = 0;
        let mut refreshed = false;
        loop {
            let (resp, hide) = self.exchange_once(req, &mut refreshed, limit).await?;
            let status = resp.status.as_u16();
            if pass.contains(&status) {
                return Ok(resp);
            }
            if retry::is_retryable(status) && req.idempotent && attempt < self.retries {
                let ra = resp.headers.get(RETRY_AFTER).and_then(|v| v.to_str().ok());
                let wait = retry::delay(ra, attempt, SystemTime::now());
                if wait > self.max_wait {
                    let mut err = outcome::status_error(&what, &resp, &hide);
                    err.message.push_str(&format!(
                        "; the server asks to wait {} s before retrying, longer than the {} s smart waits",
                        wait.as_secs(),
                        self.max_wait.as_secs()
                    ));
                    return Err(err.with_hint(
                        "try again later, or allow longer waits with --max-retry-wait SECS (profile key max_retry_wait)",
                    ));
                }
                attempt += 1;
                if let Some(r) = self.wait_reports.reporter_for(wait) {
                    r.note(&format!(
                        "{what}: {status}, retrying in {:.1} s ({attempt}/{})",
                        wait.as_secs_f64(),
                        self.retries
                    ));
                }
                tokio::time::sleep(wait).await;
                continue;
            }
            if resp.status.is_redirection() {
                let to = resp
                    .headers
                    .get(LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|l| resp.url.join(l).ok());
                return Err(match to {
                    Some(to) => Error::server(format!(
                        "{what}: the server redirects to {}, outside the FHIR base {}; not following with the token",
                        http::origin_path(&to),
                        self.on_base
                    )),
                    None => outcome::status_error(&what, &resp, &hide),
                });
            }
            if !resp.status.is_success() {
                let mut err = outcome::status_error(&what, &resp, &hide);
                if status == 403 {
                    let path = req.url.path().strip_prefix(self.base.path()).unwrap_or("");
                    let hint = outcome::forbidden_hint(&req.method, path, &err.details);
                    err = err.with_hint(hint);
                }
                if retry::is_retryable(status) && req.idempotent && attempt > 0 {
                    err.message.push_str(&format!(" (after {attempt} retries)"));
                } else if retry::is_retryable(status) && !req.idempotent {
                    err = err.with_hint("not retried: the request is not idempotent");
                }
                return Err(err);
            }
            return Ok(resp);
        }
    }

    /// One exchange whatever the answer's status: the token (refreshed and
    /// the request repeated once on 401), no retries, no redirects off the
    /// base. For protocols that read statuses themselves (bulk export's
    /// 202/429 polling). Also returns what the answer must not show (the
    /// token it carried), for error messages.
    pub async fn exchange(&self, req: &Request) -> Result<(Response, Vec<String>)> {
        self.check_on_base(&req.url)?;
        self.exchange_once(req, &mut false, BODY_LIMIT).await
    }

    /// `refreshed` is shared by the attempts of one logical request: one
    /// refresh for all of them.
    async fn exchange_once(
        &self,
        req: &Request,
        refreshed: &mut bool,
        limit: usize,
    ) -> Result<(Response, Vec<String>)> {
        // A request's own Accept (an attachment's MIME type) replaces
        // FHIR JSON rather than joining it: a server reads either header.
        let own_accept = req.headers.iter().any(|(k, _)| k == ACCEPT);
        loop {
            let token = self.current_token();
            let mut rb = self.http.request(req.method.clone(), req.url.clone());
            if !own_accept {
                rb = rb.header(ACCEPT, FHIR_JSON);
            }
            if let Some(t) = &token {
                rb = rb.bearer_auth(t.secret());
            }
            for (k, v) in &req.headers {
                rb = rb.header(k, v);
            }
            if let Some((ct, body)) = &req.body {
                rb = rb.header(CONTENT_TYPE, *ct).body(body.clone());
            }
            let resp = self.http.send(rb, limit).await?;
            // A server may echo the token, or a key in a custom header, in
            // its error text.
            let mut hide: Vec<String> = token.iter().map(|t| t.secret().clone()).collect();
            hide.extend(self.http.secret_header_values());
            if resp.status.as_u16() == 401
                && !*refreshed
                && let Some(used) = &token
            {
                self.refresh(used).await?;
                *refreshed = true;
                continue;
            }
            return Ok((resp, hide));
        }
    }

    /// Sends a request whose answer must be JSON; returns it with the body.
    pub async fn send_json(&self, req: &Request) -> Result<Response> {
        let resp = self.send(req).await?;
        if !resp.body.is_empty() {
            outcome::require_json(&self.describe(req), &resp)?;
        }
        Ok(resp)
    }

    /// The token requests go with now (`None` for `--no-auth`).
    pub(crate) fn current_token(&self) -> Option<AccessToken> {
        self.auth
            .as_ref()
            .map(|a| a.token.lock().unwrap_or_else(|e| e.into_inner()).clone())
    }

    /// After a 401 with `used`: a forced refresh, unless another request
    /// of this command already got a newer token meanwhile.
    pub(crate) async fn refresh(&self, used: &AccessToken) -> Result<()> {
        let Some(auth) = &self.auth else {
            return Ok(());
        };
        let _guard = auth.refreshing.lock().await;
        if self.current_token().as_ref().map(AccessToken::secret) != Some(used.secret()) {
            return Ok(());
        }
        // The refresh error's own hint names the fix when it has one (a
        // client the server no longer knows cannot be fixed by a login).
        let token = (auth.source.refresh)().await.map_err(|e| {
            Error {
                kind: crate::error::Kind::Auth,
                ..e.context("the server refused the token and refreshing it failed")
            }
            .or_hint(format!("run `smart login -p {}`", auth.source.profile))
        })?;
        *auth.token.lock().unwrap_or_else(|e| e.into_inner()) = token;
        Ok(())
    }
}

/// Fetches a request in the background, so the next page can arrive while
/// the current one is being written.
pub fn spawn_fetch(
    fhir: &Arc<Fhir>,
    req: Request,
) -> tokio::task::JoinHandle<Result<(Request, Response)>> {
    let fhir = fhir.clone();
    tokio::spawn(async move {
        let resp = fhir.send_json(&req).await?;
        Ok((req, resp))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_waits_are_reported_even_off_a_terminal() {
        let r = Reporter::new(|_, _| {});
        let short = Duration::from_secs(1);
        assert!(WaitReports::All(r.clone()).reporter_for(short).is_some());
        assert!(WaitReports::Long(r.clone()).reporter_for(short).is_none());
        assert!(
            WaitReports::Long(r)
                .reporter_for(retry::LONG_WAIT)
                .is_some()
        );
        assert!(WaitReports::Quiet.reporter_for(retry::LONG_WAIT).is_none());
    }
}
