//! A Bulk Data export as the `bulk` checks drive it: kick-offs (GET with a
//! query, or POST with a `Parameters` body), polling the status URL to the
//! manifest, downloads, and DELETE. Every request goes through the probe
//! (so it is evidence and in the transcript); the request's parameters,
//! the status answers, the manifest and the lines of a file are read by
//! `crate::bulk`, the client `smart export` uses.

use std::time::{Duration, Instant, SystemTime};

use reqwest::Method;
use reqwest::header::{ACCEPT, CONTENT_LOCATION, CONTENT_TYPE};
use url::Url;

use super::super::probe::{Exchange, Probe};
use crate::bulk::request::ExportRequest;
use crate::bulk::status::{self, Status};
use crate::discovery::FhirBase;
use crate::http::Response;
use crate::secret::Secret;

/// What a kick-off answered: its status, the job's status URL (the
/// `Content-Location`, resolved), the answer and the exchange.
pub struct Kicked {
    pub answer: Result<Response, String>,
    pub job: Option<Url>,
    pub exchange: Exchange,
}

impl Kicked {
    pub fn status(&self) -> Option<u16> {
        self.answer.as_ref().ok().map(|r| r.status.as_u16())
    }
}

/// Sends the kick-off of `req`: POST with its `Parameters` when `req.post`,
/// else GET with its query; with `token` when there is one.
pub async fn kick_off(
    probe: &Probe,
    base: &FhirBase,
    req: &ExportRequest,
    token: Option<&Secret>,
) -> Kicked {
    let mut url = base.join(&req.level.path());
    let mut prefer = "respond-async".to_owned();
    if req.lenient {
        prefer.push_str(", handling=lenient");
    }
    let builder = if req.post {
        probe
            .http()
            .request(Method::POST, url)
            .header(CONTENT_TYPE, "application/fhir+json")
            .body(req.parameters().to_string())
    } else {
        url.set_query(Some(&req.query()));
        probe.http().request(Method::GET, url)
    }
    .header(ACCEPT, "application/fhir+json")
    .header("prefer", prefer);
    let builder = match token {
        Some(t) => builder.bearer_auth(t.expose()),
        None => builder,
    };
    let (resp, exchange) = probe.send(builder).await;
    let job = resp.as_ref().ok().and_then(|r| {
        let loc = r.headers.get(CONTENT_LOCATION)?.to_str().ok()?;
        r.url.join(loc).ok()
    });
    Kicked {
        answer: resp.map_err(|e| e.message),
        job,
        exchange,
    }
}

/// GET or DELETE of a status URL with the token.
pub async fn status_request(
    probe: &Probe,
    method: Method,
    url: &Url,
    token: &Secret,
) -> (Result<Response, String>, Exchange) {
    let req = probe
        .http()
        .request(method, url.clone())
        .header(ACCEPT, "application/json")
        .bearer_auth(token.expose());
    let (resp, ex) = probe.send(req).await;
    (resp.map_err(|e| e.message), ex)
}

/// How polling ended.
// One per job, moved once: its size does not matter.
#[allow(clippy::large_enum_variant)]
pub enum Polled {
    /// 200: the answer (its body the manifest), after `polls` polls.
    Complete { answer: Response, polls: u32 },
    /// Anything else that ends the job, said as one line.
    Failed(String),
    /// Still in progress at the deadline.
    TimedOut(String),
}

/// Polls `job` until it is complete, fails or `timeout` passes, waiting
/// as `Retry-After` says (read as `smart export` reads it). Returns the
/// last exchange with the outcome.
pub async fn poll(
    probe: &Probe,
    job: &Url,
    token: &Secret,
    timeout: Duration,
) -> (Polled, Option<Exchange>) {
    let start = Instant::now();
    let mut polls = 0u32;
    loop {
        let (resp, ex) = status_request(probe, Method::GET, job, token).await;
        polls += 1;
        let last = Some(ex);
        let r = match resp {
            Ok(r) => r,
            Err(e) => return (Polled::Failed(format!("no answer: {e}")), last),
        };
        let retry_after = match status::interpret("the status request", &r, &[]) {
            Ok(Status::Complete { .. }) => {
                return (Polled::Complete { answer: r, polls }, last);
            }
            // A manifest that does not parse is still the complete answer:
            // the checks judge its body.
            Err(_) if r.status.as_u16() == 200 => {
                return (Polled::Complete { answer: r, polls }, last);
            }
            Err(e) => return (Polled::Failed(e.message), last),
            Ok(Status::InProgress { retry_after, .. })
            | Ok(Status::Throttled { retry_after, .. })
            | Ok(Status::Transient { retry_after, .. }) => retry_after,
        };
        let wait = status::next_wait(
            retry_after.as_deref(),
            polls,
            SystemTime::now(),
            timeout.min(status::MAX_BACKOFF),
        )
        .wait;
        if start.elapsed() + wait > timeout {
            return (
                Polled::TimedOut(format!(
                    "still in progress after {} polls in {} s (--bulk-timeout {} s)",
                    polls,
                    start.elapsed().as_secs(),
                    timeout.as_secs()
                )),
                last,
            );
        }
        tokio::time::sleep(wait).await;
    }
}

/// GET of an output file, with the token or without; a redirect (to a
/// storage service) is followed without the token, as the IG has it.
pub async fn download(
    probe: &Probe,
    url: &Url,
    token: Option<&Secret>,
) -> (Result<Response, String>, Vec<Exchange>) {
    let mut url = url.clone();
    let mut token = token;
    let mut exchanges = Vec::new();
    for _ in 0..=crate::bulk::download::MAX_REDIRECTS {
        let req = probe
            .http()
            .request(Method::GET, url.clone())
            .header(ACCEPT, "application/fhir+ndjson");
        let req = match token {
            Some(t) => req.bearer_auth(t.expose()),
            None => req,
        };
        let (resp, ex) = probe.send(req).await;
        exchanges.push(ex);
        let next = resp.as_ref().ok().and_then(|r| {
            if !r.status.is_redirection() {
                return None;
            }
            let loc = r.headers.get(reqwest::header::LOCATION)?.to_str().ok()?;
            r.url.join(loc).ok()
        });
        match next {
            Some(n) => {
                url = n;
                token = None;
            }
            None => return (resp.map_err(|e| e.message), exchanges),
        }
    }
    (Err("too many redirects".to_owned()), exchanges)
}
