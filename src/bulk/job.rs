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
    /// Sends the kick-off (GET, or POST with a `Parameters` body when a
    /// parameter needs it) and saves the job's state at once.
    pub async fn kick_off(&self, req: &ExportRequest) -> Result<State> {
        let mut url = self.fhir.url(&req.level.path())?;
        url.set_query(Some(&req.query()));
        let prefer = vec![(
            HeaderName::from_static("prefer"),
            "respond-async".to_owned(),
        )];
        let request = if req.needs_post(url.as_str().len()) {
            url.set_query(None);
            let body = serde_json::to_vec(&req.parameters()).expect("parameters serialize");
            Request {
                method: Method::POST,
                url,
                body: Some((FHIR_JSON, Bytes::from(body))),
                headers: prefer,
                // A 429/503 means the job was not accepted: safe to repeat.
                idempotent: true,
            }
        } else {
            Request {
                headers: prefer,
                ..Request::get(url)
            }
        };
        let what = self.fhir.describe(&request);
        let resp = self.fhir.send(&request).await?;
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
        let state = State::new(
            self.fhir.on_base().as_str(),
            job.as_str(),
            &format!("{} {}", request.method, http::origin_path(&request.url)),
            now_secs(),
            self.gzip,
        );
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
        loop {
            let (resp, hide) = self.fhir.exchange(&req).await?;
            let retry_after = match status::interpret(&what, &resp, &hide)? {
                Status::Complete { manifest, expires } => {
                    let plan = manifest.plan()?;
                    state.set_manifest(manifest, &plan, expires);
                    state.save(&self.dir)?;
                    return Ok(());
                }
                Status::InProgress {
                    progress,
                    retry_after,
                } => {
                    self.watch.job(&format!(
                        "export in progress: {}",
                        progress.as_deref().unwrap_or("(no progress given)")
                    ));
                    retry_after
                }
                Status::Throttled {
                    status,
                    retry_after,
                } => {
                    self.watch
                        .job(&format!("export status: {status}, polling less often"));
                    retry_after
                }
            };
            let w = status::next_wait(retry_after.as_deref(), backoff, SystemTime::now(), cap);
            if retry_after.is_none() {
                backoff += 1;
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
        let state = Arc::new(Mutex::new(state));
        let fetcher = Arc::new(Fetcher {
            http: self.http.clone(),
            fhir: self.fhir.clone(),
            requires_token: manifest.requires_access_token,
            gzip: self.gzip,
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
            return Err(Error {
                message: if n == 1 {
                    first.message.clone()
                } else {
                    format!("{n} files failed; the first: {}", first.message)
                },
                ..first.clone()
            }
            .with_hint("`smart export --resume` fetches what is missing"));
        }
        state.complete = true;
        state.save(&self.dir)?;
        Ok(Summary::of(&state, &self.dir, transferred, took))
    }
}

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
