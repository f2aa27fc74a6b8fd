//! An export job from kick-off to the last file: the steps, each of which
//! leaves the state (snapshot and journal, see [`super::state`]) right for
//! `--resume`, and writes its events to `DIR/log.ndjson`
//! ([`crate::event_log`]).

use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use reqwest::Method;
use reqwest::header::{CONTENT_LOCATION, HeaderName};
use serde_json::{Value, json};
use tokio::task::JoinSet;
use url::Url;

use super::download::{Fetcher, missing};
use super::journal::Event;
use super::manifest::{Manifest, Part};
use super::reach::{Reach, TokenRule};
use super::request::ExportRequest;
use super::state::State;
use super::status::{self, Status};
use super::summary::Summary;
use super::watch::Watch;
use crate::error::{Error, Result};
use crate::event_log::{self, EventId, EventLog};
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
    /// `DIR/log.ndjson`, once the export has an id (after the kick-off, or
    /// from the state on a resume).
    pub log: Mutex<Option<Arc<EventLog>>>,
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

type PageFuture<'a> =
    Pin<Box<dyn std::future::Future<Output = Result<(Manifest, Option<String>)>> + Send + 'a>>;

impl Export {
    /// Opens `DIR/log.ndjson` for the export `id` (a failure is a note:
    /// the files are the product).
    pub fn open_log(&self, export_id: &str) {
        match EventLog::open(&self.dir, export_id) {
            Ok(l) => *self.log.lock().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(l)),
            Err(e) => self.watch.reporter().note(&format!(
                "{}; the export goes on without its log",
                e.message
            )),
        }
    }

    fn logger(&self) -> Option<Arc<EventLog>> {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// One event in `DIR/log.ndjson`, if there is one.
    pub fn log(&self, id: EventId, detail: Value) {
        if let Some(l) = self.logger()
            && let Err(e) = l.event(id, detail)
        {
            self.watch
                .reporter()
                .note(&format!("cannot write {}: {e}", l.path().display()));
        }
    }

    /// Sends the kick-off (GET, or POST with a `Parameters` body when asked
    /// for or a parameter needs it; POST again when a GET is answered 405,
    /// as Bulk Data 4.0 servers do) and saves the job's state at once.
    /// `partial` asks for partial manifests (`allowPartialManifests`).
    pub async fn kick_off(&self, req: &ExportRequest, partial: bool) -> Result<State> {
        let mut url = self.fhir.url(&req.level.path())?;
        let mut query = req.query();
        if partial {
            query.push_str("&allowPartialManifests=true");
        }
        url.set_query(Some(&query));
        let mut prefer = "respond-async".to_owned();
        if req.lenient {
            prefer.push_str(", handling=lenient");
        }
        let headers = vec![(HeaderName::from_static("prefer"), prefer)];
        let export_url = url.to_string();
        let post = |mut url: Url| {
            url.set_query(None);
            let mut params = req.parameters();
            if partial && let Some(list) = params["parameter"].as_array_mut() {
                list.push(json!({"name": "allowPartialManifests", "valueBoolean": true}));
            }
            let body = serde_json::to_vec(&params).expect("parameters serialize");
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
        state.partial = partial;
        state.export_id = event_log::new_export_id();
        state.save(&self.dir)?;
        self.open_log(&state.export_id);
        let params: serde_json::Map<String, Value> = url::form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect();
        self.log(
            EventId::Kickoff,
            json!({
                "exportUrl": event_log::url(&export_url),
                "errorCode": null,
                "errorBody": null,
                "softwareName": null,
                "softwareVersion": null,
                "softwareReleaseDate": null,
                "fhirVersion": null,
                "requestParameters": params,
                "responseHeaders": {},
                "logVersion": "2",
            }),
        );
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

    /// Polls `url` (the status URL, or a partial manifest's next page)
    /// until a manifest comes; its `Expires` with it.
    async fn poll_for_manifest(&self, url: Url) -> Result<(Manifest, Option<String>)> {
        let req = Request::get(url);
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
            let answer = match status::interpret(&what, &resp, &hide) {
                Ok(s) => s,
                Err(e) => {
                    self.log(
                        EventId::StatusError,
                        json!({
                            "body": null,
                            "code": resp.status.as_u16(),
                            "message": e.message,
                            "responseHeaders": {},
                        }),
                    );
                    return Err(e);
                }
            };
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
                Status::Complete { manifest, expires } => return Ok((manifest, expires)),
                Status::InProgress { progress, .. } => {
                    transient = 0;
                    self.log(
                        EventId::StatusProgress,
                        json!({
                            "body": null,
                            "xProgress": progress.clone().unwrap_or_default(),
                            "retryAfter": retry_after.clone().unwrap_or_default(),
                        }),
                    );
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

    /// The `next` link of a manifest page, resolved against where it came
    /// from.
    fn next_of(m: &Manifest, from: &Url) -> Result<Option<String>> {
        let Some(next) = m.next_page() else {
            return Ok(None);
        };
        from.join(next)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .map(|u| Some(u.to_string()))
            .ok_or_else(|| {
                Error::server(format!(
                    "the manifest's next page `{}` is not an http(s) URL",
                    crate::redact::url_str(next)
                ))
            })
    }

    /// Refuses a manifest page whose file URLs or next page lead into the
    /// user's own network (before any of its files is fetched).
    fn check_reach(&self, m: &Manifest, next: Option<&str>) -> Result<()> {
        for p in &m.plan()? {
            self.reach
                .check(&p.url, &format!("the manifest's {} file URL", p.name))?;
        }
        if let Some(n) = next {
            let u = Url::parse(n).map_err(|e| {
                Error::server(format!("the next manifest page's URL does not parse ({e})"))
            })?;
            self.reach.check(&u, "the manifest's next page URL")?;
        }
        Ok(())
    }

    /// Logs what bulk-data-client logs when a manifest page arrives.
    fn log_page(&self, m: &Manifest, state: &State) {
        self.log(
            EventId::StatusPageComplete,
            json!({
                "transactionTime": m.transaction_time,
                "outputFileCount": m.output.len(),
                "deletedFileCount": m.deleted.len(),
                "errorFileCount": m.error.len(),
            }),
        );
        if state.next.is_none() {
            let count = |p: Part| state.files.iter().filter(|f| f.part == p).count();
            self.log(
                EventId::ManifestComplete,
                json!({
                    "transactionTime": m.transaction_time,
                    "totalOutputFileCount": count(Part::Output),
                    "totalDeletedFileCount": count(Part::Deleted),
                    "totalErrorFileCount": count(Part::Error),
                    "totalManifests": 1 + state.pages.len(),
                }),
            );
        }
    }

    /// Polls until the manifest (its first page) arrives, then saves it
    /// with the files to fetch.
    pub async fn wait_for_manifest(&self, state: &mut State) -> Result<()> {
        let url = self.status_request(state)?.url;
        let (manifest, expires) = self.poll_for_manifest(url.clone()).await?;
        self.log(
            EventId::StatusComplete,
            json!({ "transactionTime": manifest.transaction_time }),
        );
        let next = Self::next_of(&manifest, &url)?;
        self.check_reach(&manifest, next.as_deref())?;
        // Moved into the state, not copied: it lists every file.
        state.set_manifest(manifest, next, expires)?;
        state.save(&self.dir)?;
        if let Some(m) = &state.manifest {
            self.log_page(m, state);
        }
        Ok(())
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

    /// Fetches every file not yet complete, `parallel` at a time, and the
    /// pages of a partial manifest as they come (each page's files start as
    /// soon as it arrives), recording each step in the journal; then the
    /// summary.
    pub async fn download(&self, mut state: State) -> Result<(Summary, State)> {
        let Some(requires_token) = state.manifest.as_ref().map(|m| m.requires_access_token) else {
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
        let journal = Arc::new(Mutex::new(state.journal(&self.dir)?));
        let mut next_page = state.next.clone();
        let mixed_types = state.types.clone();
        let state = Arc::new(Mutex::new(state));
        let fetcher = Arc::new(Fetcher {
            http: self.http.clone(),
            fhir: self.fhir.clone(),
            tokens: TokenRule {
                requires_token,
                base: self.fhir.on_base().clone(),
                origins: self.token_origins.clone(),
            },
            reach: self.reach.clone(),
            gzip: self.gzip,
            mixed_types,
        });
        // At most `parallel` downloads exist at a time, the others wait as
        // indexes: a task per file up front made memory grow with the
        // number of files.
        let parallel = self.parallel.max(1);
        let mut queue: std::collections::VecDeque<usize> = Default::default();
        let mut tasks = JoinSet::new();
        let spawn = |i: usize, tasks: &mut JoinSet<Result<u64>>| {
            let (state, journal, fetcher) = (state.clone(), journal.clone(), fetcher.clone());
            let (dir, watch, log) = (self.dir.clone(), self.watch.clone(), self.logger());
            tasks.spawn(async move {
                let f = lock(&state).files[i].clone();
                let event = |id, detail| {
                    if let Some(l) = &log {
                        let _ = l.event(id, detail);
                    }
                };
                event(
                    EventId::DownloadRequest,
                    json!({
                        "fileUrl": event_log::file_url(&f.url),
                        "itemType": part_name(f.part),
                        "resourceType": f.rtype,
                    }),
                );
                let record = |e: Event| -> Result<()> {
                    lock(&journal).append(&e)?;
                    lock(&state).apply(e).map_err(Error::usage)
                };
                let opened = |o: &super::download::Opened| record(Event::opened(i, o));
                let got = match fetcher.fetch(&f, &dir, watch.as_ref(), &opened).await {
                    Ok(g) => g,
                    Err(e) => {
                        event(
                            EventId::DownloadError,
                            json!({
                                "body": null,
                                "code": null,
                                "fileUrl": event_log::file_url(&f.url),
                                "message": e.message,
                                "responseHeaders": {},
                            }),
                        );
                        return Err(e);
                    }
                };
                event(
                    EventId::DownloadComplete,
                    json!({
                        "fileUrl": event_log::file_url(&f.url),
                        "fileSize": got.done.bytes,
                        "resourceCount": got.done.check.resources,
                    }),
                );
                record(Event::Done { i, done: got.done })?;
                Ok::<u64, Error>(got.transferred)
            });
        };
        let (mut total, mut complete) = {
            let s = lock(&state);
            let todo: Vec<usize> = (0..s.files.len())
                .filter(|&i| s.files[i].done.is_none())
                .collect();
            let complete = s.files.len() - todo.len();
            drop(s);
            queue.extend(todo);
            (lock(&state).files.len(), complete)
        };
        let mut page: Option<PageFuture<'_>> = None;
        let fetch_page = |url: String| -> PageFuture<'_> {
            Box::pin(async move {
                let u = Url::parse(&url).map_err(|e| {
                    Error::server(format!("the next manifest page's URL does not parse ({e})"))
                })?;
                let (m, _) = self.poll_for_manifest(u.clone()).await?;
                let next = Self::next_of(&m, &u)?;
                self.check_reach(&m, next.as_deref())?;
                Ok((m, next))
            })
        };
        if let Some(u) = next_page.take() {
            page = Some(fetch_page(u));
        }
        let mut transferred = 0;
        let mut failed = Vec::new();
        self.watch
            .job(&format!("downloading: {complete}/{total} files"));
        let mut stop = self.stop.clone();
        loop {
            while tasks.len() < parallel
                && let Some(i) = queue.pop_front()
            {
                spawn(i, &mut tasks);
            }
            if tasks.is_empty() && page.is_none() {
                break;
            }
            tokio::select! {
                Some(joined) = tasks.join_next(), if !tasks.is_empty() => match joined {
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
                },
                got = async { page.as_mut().expect("guarded").await }, if page.is_some() => {
                    page = None;
                    match got {
                        Ok((m, next)) => {
                            let before = lock(&state).files.len();
                            let e = Event::Page { page: m.clone(), next: next.clone() };
                            let applied = lock(&journal).append(&e).and_then(|()| {
                                let mut s = lock(&state);
                                s.apply(e).map_err(|why| Error::server(format!("a manifest page is refused: {why}")))?;
                                s.check().map_err(|why| Error::server(format!("a manifest page is refused: {why}")))
                            });
                            if let Err(e) = applied {
                                failed.push(e);
                                continue;
                            }
                            self.log_page(&m, &lock(&state));
                            total = lock(&state).files.len();
                            queue.extend(before..total);
                            if let Some(u) = next {
                                page = Some(fetch_page(u));
                            }
                        }
                        Err(e) => failed.push(e),
                    }
                },
                Ok(_) = stop.wait_for(|s| *s) => {
                    tasks.shutdown().await;
                    return Err(stopped());
                }
            }
        }
        drop(page);
        let took = start.elapsed();
        // Taken out, not cloned: a copy of every file's state was most of
        // the peak memory of a 10,000-file export.
        let mut state = std::mem::replace(&mut *lock(&state), State::new("", "", "", 0, false));
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
        // Durable before the state says complete (the files were not
        // fsynced one by one); the caller saves it after the DELETE.
        let paths: Vec<PathBuf> = state
            .files
            .iter()
            .filter_map(|f| f.done.as_ref().map(|d| self.dir.join(&d.path)))
            .collect();
        crate::bulk::safe_fs::sync_all(&self.dir, &paths).map_err(|e| {
            Error::usage(format!(
                "cannot sync the files in {}: {e}",
                self.dir.display()
            ))
        })?;
        state.complete = true;
        let summary = Summary::of(&state, &self.dir, transferred, took);
        self.log_complete(&summary);
        Ok((summary, state))
    }

    /// `export_complete`, with what bulk-data-client counts.
    pub fn log_complete(&self, s: &Summary) {
        self.log(
            EventId::ExportComplete,
            json!({
                "files": s.files,
                "resources": s.file_list.iter().map(|f| f.resources).sum::<u64>(),
                "bytes": s.bytes,
                "attachments": 0,
                "duration": (s.download_seconds * 1000.0) as u64,
            }),
        );
    }

    /// After a complete download: DELETE the job, the IG's signal that the
    /// server may remove its files (some servers allow one export per
    /// client until then). A job the server no longer knows is fine; any
    /// other failure is a note (the files are good), and the next
    /// `--resume` tries again. The caller saves the state.
    pub async fn delete_finished(&self, state: &mut State) {
        match self.cancel(state).await {
            Ok(_) => state.job_deleted = true,
            Err(e) => self.watch.reporter().note(&format!(
                "the export is complete, but deleting the job at the server failed: {}; `smart export --resume --out DIR` tries again",
                e.message
            )),
        }
    }
}

/// bulk-data-client's `itemType`.
fn part_name(p: Part) -> &'static str {
    match p {
        Part::Output => "output",
        Part::Error => "error",
        Part::Deleted => "deleted",
    }
}

/// Transient errors in a row that a status poll waits out before the
/// export gives up (with backoff, about ten minutes at the default cap).
pub const MAX_TRANSIENT: u32 = 20;

fn stopped() -> Error {
    Error::interrupted("interrupted")
}

fn lock<T>(s: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
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
