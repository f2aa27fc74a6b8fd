//! One export job: its progress while the writer runs, its outputs once
//! written, and what its status endpoint answers at each moment.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::super::dates;
use super::super::outcome::Outcome;
use super::super::types::RType;
use crate::clock::unix_ms;
use crate::{Fault, Quirk};

/// The media type of the files, in the manifest and on each download.
pub(crate) const NDJSON: &str = "application/fhir+ndjson";

/// Files per manifest page when the kick-off asked `allowPartialManifests`.
pub(crate) const PAGE_FILES: usize = 2;

/// How long a finished job's files are kept (the manifest's `Expires`).
pub(crate) const EXPIRY: Duration = Duration::from_secs(3600);

/// One written file.
#[derive(Debug, Clone)]
pub(crate) struct Output {
    /// Resource type of every line.
    pub(crate) rtype: &'static str,
    /// File name in the job's directory and in its URL: `Observation.2.ndjson`.
    pub(crate) name: String,
    /// Lines (= resources).
    pub(crate) count: u64,
    /// Bytes.
    pub(crate) len: u64,
    /// An `error` file (OperationOutcomes) rather than an `output` one.
    pub(crate) error: bool,
    /// Resources of several types in blocks (`organizeOutputBy`): the
    /// manifest gives no `type`.
    pub(crate) mixed: bool,
}

pub(crate) enum State {
    Writing,
    Written {
        outputs: Vec<Output>,
        at: SystemTime,
    },
    Failed(String),
}

pub(crate) struct Job {
    pub(crate) id: String,
    /// Only the client that started a job sees it.
    pub(crate) client_id: String,
    /// The grant that started it (`guard::admits` says who else sees it).
    pub(crate) owner: std::sync::OnceLock<crate::Grant>,
    /// The kick-off URL, for the manifest.
    pub(crate) request: String,
    pub(crate) transaction_time: String,
    /// By the sandbox's clock (tests move it on instead of waiting).
    pub(crate) started: SystemTime,
    /// The job is in progress at least this long.
    pub(crate) delay: Duration,
    pub(crate) dir: PathBuf,
    pub(crate) types: Vec<RType>,
    /// Progress of the writer, in synthetic resources considered.
    pub(crate) total: AtomicU64,
    pub(crate) done: AtomicU64,
    /// Index in `types` of the type being written.
    pub(crate) current: AtomicUsize,
    pub(crate) cancelled: AtomicBool,
    pub(crate) state: Mutex<State>,
    /// Files served at least once (the `export-truncated-file` fault).
    served: Mutex<HashSet<String>>,
    /// `organizeOutputBy` of the kick-off, for the manifest.
    pub(crate) organized_by: Option<&'static str>,
    /// Transient errors answered so far: status polls, and per file (the
    /// `export-transient-*` faults).
    status_errors: AtomicU32,
    file_errors: Mutex<HashMap<String, u32>>,
    /// `allowPartialManifests`: the manifest is served in pages of
    /// [`PAGE_FILES`], page n+1 only once every file of page n was asked
    /// for (so a client that waits for all pages before it downloads
    /// never gets them).
    pub(crate) paged: bool,
    requested: Mutex<HashSet<String>>,
    /// DELETEd, its files kept (`export-files-kept-after-delete`).
    pub(crate) deleted: AtomicBool,
}

/// What the status endpoint needs besides the job.
pub(crate) struct Context<'a> {
    pub(crate) faults: &'a crate::Faults,
    pub(crate) quirks: &'a crate::Quirks,
    /// `{base}/$export-file/{job}/{name}` or the storage URL of a file.
    pub(crate) file_url: &'a dyn Fn(&Job, &Output) -> String,
    /// The sandbox clock's time.
    pub(crate) now: SystemTime,
    /// `{base}/$export-status/{job}?page=N`.
    pub(crate) page_url: &'a dyn Fn(&Job, usize) -> String,
}

impl Job {
    pub(crate) fn new(
        id: String,
        client_id: String,
        request: String,
        delay: Duration,
        dir: PathBuf,
        types: Vec<RType>,
        now: SystemTime,
    ) -> Job {
        Job {
            id,
            client_id,
            owner: std::sync::OnceLock::new(),
            request,
            transaction_time: dates::format_instant(unix_ms(now)),
            started: now,
            delay,
            dir,
            types,
            total: AtomicU64::new(0),
            done: AtomicU64::new(0),
            current: AtomicUsize::new(0),
            cancelled: AtomicBool::new(false),
            state: Mutex::new(State::Writing),
            served: Mutex::new(HashSet::new()),
            organized_by: None,
            status_errors: AtomicU32::new(0),
            file_errors: Mutex::new(HashMap::new()),
            paged: false,
            requested: Mutex::new(HashSet::new()),
            deleted: AtomicBool::new(false),
        }
    }

    /// Serves the manifest in pages (`allowPartialManifests`).
    pub(crate) fn with_pages(mut self, paged: bool) -> Job {
        self.paged = paged;
        self
    }

    /// A download of `name` was asked for (partial-manifest paging).
    pub(crate) fn requested(&self, name: &str) {
        self.requested
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(name.to_string());
    }

    /// True while fewer than `times` transient errors were answered to the
    /// status endpoint (counting this one).
    pub(crate) fn transient_status(&self, times: u32) -> bool {
        self.status_errors
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                (n < times).then_some(n + 1)
            })
            .is_ok()
    }

    /// The same for the requests of file `name`.
    pub(crate) fn transient_file(&self, name: &str, times: u32) -> bool {
        let mut m = self.file_errors.lock().unwrap_or_else(|e| e.into_inner());
        let n = m.entry(name.to_owned()).or_default();
        *n += 1;
        *n <= times
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn finish(&self, result: std::io::Result<Vec<Output>>, now: SystemTime) {
        *self.lock() = match result {
            Ok(outputs) => State::Written { outputs, at: now },
            Err(e) => State::Failed(format!("the export could not be written: {e}")),
        };
    }

    /// A written file of this job, by name.
    pub(crate) fn output(&self, name: &str) -> Option<Output> {
        match &*self.lock() {
            State::Written { outputs, .. } => outputs.iter().find(|o| o.name == name).cloned(),
            _ => None,
        }
    }

    /// When a finished job is due for removal.
    pub(crate) fn expires(&self) -> Option<SystemTime> {
        match &*self.lock() {
            State::Written { at, .. } => Some(*at + EXPIRY),
            _ => None,
        }
    }

    /// Still counted against its client's bound: its files are being
    /// written, or its delay has not passed.
    pub(crate) fn is_running(&self, now: SystemTime) -> bool {
        matches!(*self.lock(), State::Writing) || self.elapsed(now) < self.delay
    }

    /// True the first time it is asked for `name`.
    pub(crate) fn first_download(&self, name: &str) -> bool {
        self.served
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(name.to_string())
    }

    /// `42% (Observation)`: the smaller of the time and the work done, so
    /// it climbs with either and reaches 100 only when both are through.
    fn progress(&self, written: bool, now: SystemTime) -> String {
        let time = match self.delay.as_secs_f64() {
            d if d > 0.0 => self.elapsed(now).as_secs_f64() / d,
            _ => 1.0,
        };
        let work = if written {
            1.0
        } else {
            self.done.load(Ordering::Relaxed) as f64
                / self.total.load(Ordering::Relaxed).max(1) as f64
        };
        let pct = (time.min(work).clamp(0.0, 1.0) * 100.0).floor().min(99.0);
        let current = self
            .types
            .get(self.current.load(Ordering::Relaxed))
            .map_or("", |t| t.name());
        match written {
            true => format!("{pct}% (files written)"),
            false => format!("{pct}% ({current})"),
        }
    }

    /// Time since the kick-off, by the sandbox's clock.
    fn elapsed(&self, now: SystemTime) -> Duration {
        now.duration_since(self.started).unwrap_or_default()
    }

    /// The answer of `GET $export-status/{id}` (`?page=N`: a later page of
    /// a paged manifest).
    pub(crate) fn status(&self, cx: &Context, page: usize) -> Response {
        let delay_over = self.elapsed(cx.now) >= self.delay;
        if cx.faults.has(Fault::ExportJobFails) && delay_over {
            return Outcome::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "exception",
                "the export job failed (sandbox fault export-job-fails)",
            )
            .into_response();
        }
        let (outputs, at) = match &*self.lock() {
            State::Failed(why) => {
                return Outcome::new(StatusCode::INTERNAL_SERVER_ERROR, "exception", why.clone())
                    .into_response();
            }
            State::Written { outputs, at } if delay_over => (outputs.clone(), *at),
            State::Written { .. } => return self.in_progress(cx, true),
            State::Writing => return self.in_progress(cx, false),
        };
        if !self.paged {
            return self.manifest(cx, &outputs, at, None);
        }
        // Page n (from 1): its files; page n-1's must all have been asked
        // for first.
        let page = page.max(1);
        let pages: Vec<&[Output]> = outputs.chunks(PAGE_FILES).collect();
        let Some(these) = pages.get(page - 1) else {
            return Outcome::not_found(format!("the manifest has no page {page}")).into_response();
        };
        if page > 1 {
            let asked = self.requested.lock().unwrap_or_else(|e| e.into_inner());
            if !pages[page - 2].iter().all(|o| asked.contains(&o.name)) {
                drop(asked);
                return self.in_progress(cx, true);
            }
        }
        let next = (page < pages.len()).then(|| page + 1);
        self.manifest(cx, these, at, next)
    }

    fn in_progress(&self, cx: &Context, written: bool) -> Response {
        let retry_after = if cx.faults.has(Fault::ExportRetryAfterHours) {
            "7200".to_string()
        } else if cx.faults.has(Fault::ExportRetryAfterEpoch) {
            // What a server that confuses "when" with "how long" sends.
            (unix_ms(cx.now) / 1000 + 2).to_string()
        } else if cx.faults.has(Fault::ExportRetryAfterDate) {
            // At least a whole second ahead, whatever the clock's fraction.
            let at = (unix_ms(cx.now) / 1000 + 2) * 1000;
            dates::http_date(at)
        } else {
            "1".to_string()
        };
        let mut r = StatusCode::ACCEPTED.into_response();
        let h = r.headers_mut();
        for (k, v) in [
            (
                header::HeaderName::from_static("x-progress"),
                self.progress(written, cx.now),
            ),
            (header::RETRY_AFTER, retry_after),
        ] {
            if let Ok(v) = HeaderValue::from_str(&v) {
                h.insert(k, v);
            }
        }
        r
    }

    fn manifest(
        &self,
        cx: &Context,
        outputs: &[Output],
        at: SystemTime,
        next: Option<usize>,
    ) -> Response {
        let off_origin = cx.faults.has(Fault::ExportOffOriginFiles);
        let item = |o: &Output| {
            let count = o.count + u64::from(cx.faults.has(Fault::ExportCountWrong));
            let mut i = json!({
                "url": (cx.file_url)(self, o),
                "count": count,
            });
            if !o.mixed {
                i["type"] = o.rtype.into();
            }
            i
        };
        let outputs_ = outputs
            .iter()
            .filter(|o| !o.error)
            .map(item)
            .collect::<Vec<_>>();
        let errors = outputs
            .iter()
            .filter(|o| o.error)
            .map(item)
            .collect::<Vec<_>>();
        let mut body = json!({
            "transactionTime": self.transaction_time,
            "requiresAccessToken": !off_origin,
            "output": outputs_,
            "deleted": [],
        });
        if let Some(by) = self.organized_by {
            body["outputOrganizedBy"] = by.into();
        }
        if cx.quirks.has(Quirk::ExportManifestV4) {
            // Bulk Data 4.0 ballot: `error` renamed, `request` gone.
            body["manifestType"] = "export".into();
            body["outputFormat"] = NDJSON.into();
            body["outcome"] = errors.into();
        } else {
            if !cx.faults.has(Fault::ExportManifestNoRequest) {
                body["request"] = self.request.clone().into();
            }
            body["error"] = errors.into();
        }
        if let Some(n) = next {
            body["link"] = json!([{"relation": "next", "url": (cx.page_url)(self, n)}]);
        }
        let mut r = (StatusCode::OK, body.to_string()).into_response();
        let h = r.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        let expires = (at + EXPIRY)
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        if let Ok(v) = HeaderValue::from_str(&dates::http_date(expires)) {
            h.insert(header::EXPIRES, v);
        }
        r
    }
}
