//! An export job from kick-off to the last file: the steps, each of which
//! leaves the state file right for `--resume` (see [`super::state`]).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use reqwest::Method;
use reqwest::header::{CONTENT_LOCATION, HeaderName};
use tokio::task::JoinSet;
use url::Url;

use super::download::{Fetcher, Opened, missing};
use super::reach::{Reach, TokenRule};
use super::request::ExportRequest;
use super::state::State;
use super::status::{self, Status};
use super::summary::Summary;
use super::watch::Watch;
use crate::error::{Error, Result};
use crate::fhir::client::{FHIR_JSON, Fhir, Request};
use crate::fhir::outcome;
use crate::http::{self, Http};

/// What every step works with.
pub struct Export {
    pub fhir: Arc<Fhir>,
    /// The download client ([`Fetcher::client`]).
    pub http: Http,
    pub dir: PathBuf,
    pub parallel: usize,
    pub gzip: bool,
    pub watch: Arc<dyn Watch>,
    /// Origins besides the FHIR base's that get the token for files
    /// (`--token-origin`, profile `token_origins`).
    pub token_origins: Vec<url::Origin>,
    /// Which inside addresses the export may reach (those of the base's kind).
    pub reach: Reach,
    /// Turns true on Ctrl-C: polling stops, downloads are aborted (and
    /// waited for, so that nothing writes the state afterwards).
    pub stop: tokio::sync::watch::Receiver<bool>,
}

/// What a DELETE found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cancelled {
    /// The server accepted the cancel.
    Yes,
    /// The server no longer knew the job.
    Gone,
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Export {
    /// Sends the kick-off (GET, or POST with a `Parameters` body when asked
    /// for or a parameter needs it; POST again when a GET is answered 405,
    /// as Bulk Data 4.0 servers do) and saves the job's state at once.
    pub async fn kick_off(&self, req: &ExportRequest) -> Result<State> {
        let mut url = self.fhir.url(&req.level.path())?;
        url.set_query(Some(&req.query()));
        let mut prefer = "respond-async".to_owned();
        if req.lenient {
            prefer.push_str(", handling=lenient");
        }
        let headers = vec![(HeaderName::from_static("prefer"), prefer)];
        let post = |mut url: Url| {
            url.set_query(None);
            let body = serde_json::to_vec(&req.parameters()).expect("parameters serialize");
            Request {
                method: Method::POST,
                url,
                body: Some((FHIR_JSON, Bytes::from(body))),
                headers: headers.clone(),
                // A 429/503 means the job was not accepted: safe to repeat.
                idempotent: true,
            }
        };
        let mut request = if req.needs_post(url.as_str().len()) {
            post(url)
        } else {
            Request {
                headers: headers.clone(),
                ..Request::get(url)
            }
        };
        let mut what = self.fhir.describe(&request);
        let mut resp = self.fhir.send_passing(&request, &[405, 409]).await?;
        if resp.status.as_u16() == 405 && request.method == Method::GET {
            self.watch.reporter().note(&format!(
                "{what}: 405 Method Not Allowed; kicking off again with POST and a Parameters body (Bulk Data 4.0 servers take POST only)"
            ));
            request = post(request.url.clone());
            what = self.fhir.describe(&request);
            resp = self.fhir.send_passing(&request, &[409]).await?;
        }
        if resp.status.as_u16() == 409 {
            let hide: Vec<String> = self
                .fhir
                .current_token()
                .map(|t| t.secret().clone())
                .into_iter()
                .collect();
            return Err(outcome::status_error(&what, &resp, &hide).with_hint(
                "the server may run one export per client at a time: finish or cancel the other (`smart export --cancel --out DIR`), then try again",
            ));
        }
        if resp.status.as_u16() != 202 {
            return Err(Error::server(format!(
                "{what}: the server answered {}, not 202 Accepted: it did not start an export job",
                resp.status.as_u16()
            ))
            .with_hint("`smart capabilities` shows whether the server supports $export"));
        }
        let job = resp
            .headers
            .get(CONTENT_LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|l| resp.url.join(l).ok())
            .ok_or_else(|| {
                Error::server(format!(
                    "{what}: 202 Accepted without a Content-Location (the job's status URL)"
                ))
            })?;
        self.reach.check(&job, "the job's status URL")?;
        let mut state = State::new(
            self.fhir.on_base().as_str(),
            job.as_str(),
            &format!("{} {}", request.method, http::origin_path(&request.url)),
            now_secs(),
            self.gzip,
        );
        if req.organize_output_by.is_some() {
            state.types = req.types.clone();
        }
        state.save(&self.dir)?;
        Ok(state)
    }

    fn status_request(&self, state: &State) -> Result<Request> {
        let url = Url::parse(&state.job)
            .map_err(|e| Error::usage(format!("the state's job URL does not parse ({e})")))?;
        Ok(Request::get(url))
    }

    /// One status poll.
    pub async fn poll_once(&self, state: &State) -> Result<Status> {
        let req = self.status_request(state)?;
        let (resp, hide) = self.fhir.exchange(&req).await?;
        status::interpret(&self.fhir.describe(&req), &resp, &hide)
    }

    /// Polls until the manifest arrives, then saves it with the files to
    /// fetch.
    pub async fn wait_for_manifest(&self, state: &mut State) -> Result<()> {
        let req = self.status_request(state)?;
        let what = self.fhir.describe(&req);
        let reporter = self.watch.reporter();
        let cap = self.fhir.max_wait();
        let mut backoff = 0;
        let mut told: Option<Duration> = None;
        let mut told_ignored = false;
        // Transient errors in a row.
        let mut transient = 0u32;
        loop {
            let (resp, hide) = self.fhir.exchange(&req).await?;
            let answer = status::interpret(&what, &resp, &hide)?;
            let retry_after = match &answer {
                Status::Complete { .. } => None,
                Status::InProgress { retry_after, .. }
                | Status::Throttled { retry_after, .. }
                | Status::Transient { retry_after, .. } => retry_after.clone(),
            };
            let now = SystemTime::now();
            let w = status::next_wait(retry_after.as_deref(), backoff, now, cap);
            if !matches!(
                status::read_retry_after(retry_after.as_deref(), now),
                status::RetryAfter::Wait(_)
            ) {
                backoff += 1;
            }
            match answer {
                Status::Complete { manifest, expires } => {
                    let plan = manifest.plan()?;
                    for p in &plan {
                        self.reach
                            .check(&p.url, &format!("the manifest's {} file URL", p.name))?;
                    }
                    state.set_manifest(manifest, &plan, expires);
                    state.save(&self.dir)?;
                    return Ok(());
                }
                Status::InProgress { progress, .. } => {
                    transient = 0;
                    self.watch.job(&format!(
                        "export in progress: {}",
                        progress.as_deref().unwrap_or("(no progress given)")
                    ));
                }
                Status::Throttled { status, .. } => {
                    self.watch
                        .job(&format!("export status: {status}, polling less often"));
                }
                Status::Transient { status, issue, .. } => {
                    transient += 1;
                    if transient > MAX_TRANSIENT {
                        return Err(Error::server(format!(
                            "{what}: {status}, a transient error {MAX_TRANSIENT} times in a row ({issue}); giving up"
                        ))
                        .with_hint("the job may still be running at the server: `smart export --resume` polls it again"));
                    }
                    reporter.note(&format!(
                        "export status: {status}, a transient error ({issue}); the job goes on, polling again in {:.1} s ({transient}/{MAX_TRANSIENT})",
                        w.wait.as_secs_f64()
                    ));
                }
            }
            if let Some(why) = &w.ignored
                && !told_ignored
            {
                reporter.note(&format!(
                    "the server's Retry-After {why}; ignored: polling again in {:.1} s, with backoff",
                    w.wait.as_secs_f64()
                ));
                told_ignored = true;
            }
            if let Some(asked) = w.capped_from
                && told != Some(asked)
            {
                reporter.note(&format!(
                    "the server asks to wait {} s before the next status poll; polling again in {} s instead (the --max-retry-wait cap, profile key max_retry_wait)",
                    asked.as_secs(),
                    w.wait.as_secs()
                ));
                told = Some(asked);
            }
            let mut stop = self.stop.clone();
            tokio::select! {
                _ = tokio::time::sleep(w.wait) => {}
                Ok(_) = stop.wait_for(|s| *s) => return Err(stopped()),
            }
        }
    }

    /// DELETE of the job.
    pub async fn cancel(&self, state: &State) -> Result<Cancelled> {
        let req = Request {
            method: Method::DELETE,
            idempotent: false,
            ..self.status_request(state)?
        };
        let (resp, hide) = self.fhir.exchange(&req).await?;
        match resp.status.as_u16() {
            200..=299 => Ok(Cancelled::Yes),
            404 | 410 => Ok(Cancelled::Gone),
            _ => Err(outcome::status_error(
                &self.fhir.describe(&req),
                &resp,
                &hide,
            )),
        }
    }

    /// Fetches every file not yet complete, `parallel` at a time, saving
    /// each one's progress in the state; then the summary.
    pub async fn download(&self, mut state: State) -> Result<Summary> {
        let Some(manifest) = state.manifest.clone() else {
            return Err(Error::usage("the export has no manifest yet"));
        };
        let gone = missing(&self.dir, &state.files);
        for f in &mut state.files {
            if f.done
                .as_ref()
                .is_some_and(|d| gone.contains(&self.dir.join(&d.path)))
            {
                f.done = None;
            }
        }
        let start = Instant::now();
        let total = state.files.len();
        let todo: Vec<usize> = (0..total)
            .filter(|&i| state.files[i].done.is_none())
            .collect();
        let mixed_types = state.types.clone();
        let state = Arc::new(Mutex::new(state));
        let fetcher = Arc::new(Fetcher {
            http: self.http.clone(),
            fhir: self.fhir.clone(),
            tokens: TokenRule {
                requires_token: manifest.requires_access_token,
                base: self.fhir.on_base().clone(),
                origins: self.token_origins.clone(),
            },
            reach: self.reach.clone(),
            gzip: self.gzip,
            mixed_types,
        });
        let permits = Arc::new(tokio::sync::Semaphore::new(self.parallel.max(1)));
        let mut tasks = JoinSet::new();
        for i in todo.iter().copied() {
            let (state, fetcher, permits) = (state.clone(), fetcher.clone(), permits.clone());
            let (dir, watch) = (self.dir.clone(), self.watch.clone());
            tasks.spawn(async move {
                let _permit = permits.acquire_owned().await.expect("never closed");
                let f = lock(&state).files[i].clone();
                let save = |o: &Opened| {
                    let mut s = lock(&state);
                    s.files[i].ranges = o.ranges;
                    s.files[i].validator = o.validator.clone();
                    s.save_as(&dir, crate::fsutil::Durable::CrashOnly)
                };
                let got = fetcher.fetch(&f, &dir, watch.as_ref(), &save).await?;
                let mut s = lock(&state);
                s.files[i].done = Some(got.done);
                s.save(&dir)?;
                Ok::<u64, Error>(got.transferred)
            });
        }
        let mut transferred = 0;
        let mut failed = Vec::new();
        let mut complete = total - todo.len();
        self.watch
            .job(&format!("downloading: {complete}/{total} files"));
        let mut stop = self.stop.clone();
        loop {
            let joined = tokio::select! {
                j = tasks.join_next() => match j {
                    Some(j) => j,
                    None => break,
                },
                Ok(_) = stop.wait_for(|s| *s) => {
                    tasks.shutdown().await;
                    return Err(stopped());
                }
            };
            match joined {
                Ok(Ok(n)) => {
                    transferred += n;
                    complete += 1;
                    self.watch.job(&format!(
                        "downloading: {complete}/{total} files, {} this run",
                        human_bytes(transferred)
                    ));
                }
                Ok(Err(e)) => failed.push(e),
                Err(e) => failed.push(Error::usage(format!("a download task failed: {e}"))),
            }
        }
        let took = start.elapsed();
        let mut state = lock(&state).clone();
        if let Some(first) = failed.first() {
            let n = failed.len();
            let e = Error {
                message: if n == 1 {
                    first.message.clone()
                } else {
                    format!("{n} files failed; the first: {}", first.message)
                },
                ..first.clone()
            };
            // The file's own hint (what to change) says more than "resume".
            return Err(match e.hint {
                Some(_) => e,
                None => e.with_hint("`smart export --resume` fetches what is missing"),
            });
        }
        state.complete = true;
        state.save(&self.dir)?;
        Ok(Summary::of(&state, &self.dir, transferred, took))
    }
}

/// Transient errors in a row that a status poll waits out before the
/// export gives up (with backoff, about ten minutes at the default cap).
pub const MAX_TRANSIENT: u32 = 20;

fn stopped() -> Error {
    Error::interrupted("interrupted")
}

fn lock(s: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    s.lock().unwrap_or_else(|e| e.into_inner())
}

/// `12.3 MiB`, for the job line and the summary.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} bytes")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_well() {
        assert_eq!(human_bytes(5), "5 bytes");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(10 << 20), "10.0 MiB");
    }
}
