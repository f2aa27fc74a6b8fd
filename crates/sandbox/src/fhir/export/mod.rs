//! FHIR Bulk Data export (IG v2) over the synthetic data: the `$export`
//! kick-off at system, Patient and Group level, the job's status endpoint
//! (`$export-status/{job}`, DELETE cancels), its files
//! (`$export-file/{job}/{name}`) and the same files on a second, "storage"
//! origin as presigned URLs (`{storage}/bucket/{job}/{name}?sig=…`).
//!
//! A kick-off answers at once; a blocking task writes the job's NDJSON
//! files into a directory of the sandbox's own (removed on cancel, on
//! expiry and when the sandbox stops), and downloads stream them from
//! disk. Modules: `kickoff` (parameters), `write` (the files), `job`
//! (state, status, manifest), `serve` (downloads).
//!
//! Faults and quirks put files elsewhere: on the sandbox's origin outside
//! the FHIR base (`{origin}/{job}/fhir/bulkfiles/{name}`, as the SMART
//! reference server does), on the storage origin with the token required
//! (`{storage}/protected/{job}/{name}`), or at inside addresses nothing
//! serves.

mod faulty;
mod group;
mod guard;
mod job;
mod kickoff;
mod serve;
mod write;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::extract::{Path as AxPath, Query as AxQuery, State as AxState};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

use super::outcome::Outcome;
use crate::{Fault, Grant, Quirk, State};
pub(crate) use faulty::{file_without_token, kickoff_without_token};
use job::{Job, Output};
use kickoff::{Group, Level};

/// The jobs of one sandbox and the directory their files are in.
pub(crate) struct Exports {
    /// Created at the first kick-off.
    root: Mutex<Option<PathBuf>>,
    jobs: Mutex<HashMap<String, Arc<Job>>>,
    /// Signs storage URLs.
    secret: String,
    /// Status polls so far, for `export-status-429`.
    polls: AtomicU64,
}

impl Exports {
    pub(crate) fn new() -> Exports {
        Exports {
            root: Mutex::new(None),
            jobs: Mutex::new(HashMap::new()),
            secret: crate::auth::random_token(),
            polls: AtomicU64::new(0),
        }
    }

    pub(super) fn jobs(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Job>>> {
        self.jobs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The directory holding every job's directory, once there is one.
    pub(crate) fn root(&self) -> Option<PathBuf> {
        self.root.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// A new, empty directory for a job.
    fn job_dir(&self, id: &str) -> std::io::Result<PathBuf> {
        let mut root = self.root.lock().unwrap_or_else(|e| e.into_inner());
        let root = match &*root {
            Some(r) => r.clone(),
            None => {
                let tmp = std::env::temp_dir();
                remove_stale(&tmp);
                let prefix = format!("{ROOT_PREFIX}{}-", std::process::id());
                let dir = tempfile::Builder::new()
                    .prefix(&prefix)
                    .tempdir_in(tmp)?
                    .keep();
                root.insert(dir).clone()
            }
        };
        let dir = root.join(id);
        std::fs::create_dir(&dir)?;
        Ok(dir)
    }

    fn get(&self, id: &str) -> Option<Arc<Job>> {
        self.jobs().get(id).cloned()
    }

    /// Cancels a job and removes its files (the writer, if still running,
    /// stops at its next look at the flag and removes what it wrote since).
    fn remove(&self, id: &str) -> Option<Arc<Job>> {
        let job = self.jobs().remove(id)?;
        job.cancelled.store(true, Ordering::Relaxed);
        let _ = std::fs::remove_dir_all(&job.dir);
        Some(job)
    }

    /// Removes the jobs past their `Expires` at `now`.
    fn sweep(&self, now: SystemTime) {
        let expired: Vec<String> = self
            .jobs()
            .values()
            .filter(|j| j.expires().is_some_and(|e| e <= now))
            .map(|j| j.id.clone())
            .collect();
        for id in expired {
            self.remove(&id);
        }
    }

    /// Cancels every job and removes every file: the sandbox is stopping.
    pub(crate) fn shutdown(&self) {
        let ids: Vec<String> = self.jobs().keys().cloned().collect();
        for id in ids {
            self.remove(&id);
        }
        if let Some(root) = self.root.lock().unwrap_or_else(|e| e.into_inner()).take() {
            // A writer still running may create a file between the listing
            // and the rmdir (ENOTEMPTY); it stops at its next look at the
            // cancel flag, so a few tries see the directory go.
            for _ in 0..200 {
                let _ = std::fs::remove_dir_all(&root);
                if !root.exists() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }

    /// The `sig` of a storage URL: only the sandbox can make one.
    fn sign(&self, job: &str, name: &str) -> String {
        use base64::Engine;
        use sha2::Digest;
        let mac = sha2::Sha256::new()
            .chain_update(self.secret.as_bytes())
            .chain_update(b"\0")
            .chain_update(job.as_bytes())
            .chain_update(b"\0")
            .chain_update(name.as_bytes())
            .finalize();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac)
    }
}

/// `{tmp}/smart-sandbox-export-{pid}-XXXXXX`: the pid tells whose it is.
const ROOT_PREFIX: &str = "smart-sandbox-export-";

/// Removes the export directories of sandboxes that were killed without a
/// chance to clean up (SIGKILL): their process is gone, and they are older
/// than any job's expiry (so that a sandbox in another pid namespace, whose
/// process this one cannot see, loses nothing it still serves).
fn remove_stale(tmp: &std::path::Path) {
    let proc = std::path::Path::new("/proc");
    if !proc.join("self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(tmp) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(ROOT_PREFIX))
            .and_then(|rest| rest.split_once('-'))
            .and_then(|(pid, _)| pid.parse::<u32>().ok())
        else {
            continue;
        };
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > job::EXPIRY);
        if old && pid != std::process::id() && !proc.join(pid.to_string()).exists() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

impl Drop for Exports {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// `$export`, `%24export` (a percent-encoded `$`): an operation segment.
fn is_op(seg: &str, name: &str) -> bool {
    let op = seg
        .strip_prefix('$')
        .or_else(|| seg.strip_prefix("%24"))
        .unwrap_or("");
    op == name
}

/// True for a segment naming one of the export operations (`$export`,
/// `$export-status`, `$export-file`, `$` encoded or not).
pub(crate) fn is_export_op(seg: &str) -> bool {
    ["export", "export-status", "export-file"]
        .iter()
        .any(|name| is_op(seg, name))
}

/// The export endpoints; `None` for any other path.
pub(crate) async fn route(
    state: &Arc<State>,
    grant: &Grant,
    method: &Method,
    segs: &[&str],
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> Option<Result<Response, Outcome>> {
    let level = match segs {
        [op] if is_op(op, "export") => Some(Level::System),
        ["Patient", op] if is_op(op, "export") => Some(Level::Patient),
        ["Group", id, op] if is_op(op, "export") => match Group::parse(id) {
            Some(g) => Some(Level::Group(g)),
            None => {
                return Some(Err(Outcome::not_found(format!(
                    "Group/{id} does not exist; this server has Group/all and Group/sample"
                ))));
            }
        },
        _ => None,
    };
    if let Some(level) = level {
        return Some(kick_off(state, grant, level, method, uri, headers, body));
    }
    // The groups themselves, read (a crawl's cohort).
    if let ["Group", id] = segs
        && method == Method::GET
    {
        return Some(super::handlers::store(state).and_then(|s| group::read(s, grant, id)));
    }
    Some(match segs {
        [op, job] if is_op(op, "export-status") => status(state, grant, method, job, page_of(uri)),
        [op, job, name] if is_op(op, "export-file") => {
            file(state, grant, method, job, name, headers).await
        }
        _ => return None,
    })
}

fn kick_off(
    state: &Arc<State>,
    grant: &Grant,
    level: Level,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Response, Outcome> {
    if method != Method::GET && method != Method::POST {
        return Err(super::method_not_allowed(method, "GET, POST"));
    }
    if method == Method::GET && state.opts.quirks.has(Quirk::ExportPostOnly) {
        return Err(Outcome::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "not-supported",
            "GET kick-off is not supported (Bulk Data 4.0): POST a Parameters resource (sandbox quirk export-post-only)",
        )
        .with_header(header::ALLOW, "POST"));
    }
    kickoff::check_headers(headers)?;
    let faults = &state.opts.faults;
    if let Some(refused) = faulty::refuse_kickoff(faults, method, uri, body) {
        return Err(refused);
    }
    let store = super::handlers::store(state)?;
    let mut spec = kickoff::parse(
        store,
        grant,
        level,
        method,
        uri.query(),
        headers,
        body,
        super::lenient(headers) || faults.has(Fault::ExportUnknownParamIgnored),
    )?;
    faulty::after_parse(faults, level, &mut spec)?;
    let exports = &state.fhir.exports;
    exports.sweep(state.now());
    guard::check_bounds(
        exports,
        &grant.client_id,
        state.now(),
        state.opts.export_jobs_per_client,
        state.opts.export_disk_limit,
    )?;
    if state.opts.faults.has(Fault::ExportOnePerClient)
        && exports
            .jobs()
            .values()
            .any(|j| j.client_id == grant.client_id)
    {
        return Err(Outcome::new(
            StatusCode::TOO_MANY_REQUESTS,
            "throttled",
            "this server runs one export per client: DELETE the previous export's status URL once its files are downloaded (sandbox fault export-one-per-client)",
        )
        .with_header(header::RETRY_AFTER, "3600"));
    }
    let id = crate::auth::random_token();
    let dir = exports.job_dir(&id).map_err(|e| {
        Outcome::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "exception",
            format!("cannot make the export's directory: {e}"),
        )
    })?;
    let delay = if faults.has(Fault::ExportRetryAfterHours) {
        Duration::from_secs(2)
    } else {
        state.opts.export_delay
    };
    let origin = state.origin.as_str().trim_end_matches('/');
    let request = format!(
        "{origin}{}",
        uri.path_and_query().map_or(uri.path(), |p| p.as_str())
    );
    let mut job = Job::new(
        id.clone(),
        grant.client_id.clone(),
        request,
        delay,
        dir,
        spec.types.clone(),
        state.now(),
    )
    .with_pages(spec.partial);
    job.organized_by = spec.organize_by_patient.then_some("Patient");
    let job = Arc::new(job);
    let _ = job.owner.set(grant.clone());
    exports.jobs().insert(id.clone(), job.clone());
    // A job that is to fail needs no files.
    if !faults.has(Fault::ExportJobFails) {
        let state = state.clone();
        tokio::task::spawn_blocking(move || {
            let Some(store) = state.fhir.store.as_ref() else {
                return;
            };
            let mut result = write::run(
                store,
                &spec,
                &job,
                state.opts.export_file_lines,
                state.opts.faults.has(Fault::ExportWithErrors),
            );
            if let Ok(outputs) = &mut result {
                faulty::spoil_files(&state.opts.faults, &job.dir, outputs);
            }
            if job.cancelled.load(Ordering::Relaxed) {
                let _ = std::fs::remove_dir_all(&job.dir);
            } else {
                job.finish(result, state.now());
            }
        });
    }
    let mut r = StatusCode::ACCEPTED.into_response();
    let location = format!("{}/$export-status/{id}", state.fhir_base_str());
    if !faults.has(Fault::ExportNoContentLocation)
        && let Ok(v) = HeaderValue::from_str(&location)
    {
        r.headers_mut().insert(header::CONTENT_LOCATION, v);
    }
    Ok(r)
}

/// `?page=N` of a paged manifest's status URL (1 without it).
fn page_of(uri: &Uri) -> usize {
    url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "page")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(1)
}

/// The caller's job: another client's, or one started by a grant that
/// reached further than the caller's, is as good as absent.
fn own_job(state: &State, grant: &Grant, id: &str) -> Result<Arc<Job>, Outcome> {
    state
        .fhir
        .exports
        .get(id)
        .filter(|j| j.client_id == grant.client_id)
        .filter(|j| {
            j.owner
                .get()
                .is_some_and(|o| guard::admits(o, &j.types, grant))
        })
        .ok_or_else(|| Outcome::not_found(format!("there is no export job `{id}`")))
}

fn status(
    state: &State,
    grant: &Grant,
    method: &Method,
    id: &str,
    page: usize,
) -> Result<Response, Outcome> {
    let exports = &state.fhir.exports;
    match *method {
        Method::GET => {}
        Method::DELETE if state.opts.faults.has(Fault::ExportDeleteRefused) => {
            return Err(super::method_not_allowed(method, "GET"));
        }
        Method::DELETE => {
            let job = own_job(state, grant, id)?;
            if state.opts.faults.has(Fault::ExportFilesKeptAfterDelete) {
                // Gone for the status URL only: the files stay served.
                job.deleted.store(true, Ordering::Relaxed);
            } else {
                exports.remove(id);
            }
            return Ok(StatusCode::ACCEPTED.into_response());
        }
        _ => return Err(super::method_not_allowed(method, "GET, DELETE")),
    }
    if state.opts.faults.has(Fault::ExportStatus429)
        && exports
            .polls
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(2)
    {
        return Err(Outcome::new(
            StatusCode::TOO_MANY_REQUESTS,
            "throttled",
            "too many status polls (sandbox fault export-status-429); retry after 1 s",
        )
        .with_header(header::RETRY_AFTER, "1"));
    }
    // A cancelled job is unknown (404 with an OperationOutcome, which
    // `export-cancelled-no-outcome` leaves out).
    let job = match own_job(state, grant, id) {
        Ok(j) if !j.deleted.load(Ordering::Relaxed) => j,
        _ if state.opts.faults.has(Fault::ExportCancelledNoOutcome) => {
            return Ok((
                StatusCode::NOT_FOUND,
                [(header::CONTENT_TYPE, "text/plain")],
                "not found",
            )
                .into_response());
        }
        _ => return Err(Outcome::not_found(format!("there is no export job `{id}`"))),
    };
    if let Some(times) = transient_times(&state.opts.faults)
        && job.transient_status(times)
    {
        return Err(transient("the status store is busy"));
    }
    let faults = &state.opts.faults;
    let file_url = |job: &Job, o: &Output| -> String {
        let origin = state.origin.as_str().trim_end_matches('/');
        let storage = state.storage_origin.as_str().trim_end_matches('/');
        if faults.has(Fault::ExportOffOriginFiles)
            || (faults.has(Fault::ExportLaterPagesOffOrigin) && page > 1)
        {
            storage_url(state, job, o)
        } else if faults.has(Fault::ExportFilesOutsideBase) {
            format!("{origin}/{}/fhir/bulkfiles/{}", job.id, o.name)
        } else if faults.has(Fault::ExportTokenFilesOnStorage) {
            format!("{storage}/protected/{}/{}", job.id, o.name)
        } else if faults.has(Fault::ExportRelativeUrls) {
            format!("$export-file/{}/{}", job.id, o.name)
        } else {
            format!(
                "{}/$export-file/{}/{}",
                state.fhir_base_str(),
                job.id,
                o.name
            )
        }
    };
    let page_url = |job: &Job, n: usize| -> String {
        format!(
            "{}/$export-status/{}?page={n}",
            state.fhir_base_str(),
            job.id
        )
    };
    Ok(job.status(
        &job::Context {
            faults: &state.opts.faults,
            quirks: &state.opts.quirks,
            file_url: &file_url,
            page_url: &page_url,
            now: state.now(),
        },
        page,
    ))
}

/// How many times the `export-transient-*` faults answer a transient error.
pub(crate) fn transient_times(faults: &crate::Faults) -> Option<u32> {
    if faults.has(Fault::ExportTransientRepeated) {
        Some(3)
    } else if faults.has(Fault::ExportTransientOnce) {
        Some(1)
    } else {
        None
    }
}

/// A 500 that is no failure of the job: try again later (the IG's
/// `transient` issue code).
pub(crate) fn transient(what: &str) -> Outcome {
    Outcome::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "transient",
        format!("{what}; try again later (sandbox fault export-transient)"),
    )
}

/// `{storage}/bucket/{job}/{name}?sig=…`
fn storage_url(state: &State, job: &Job, o: &Output) -> String {
    format!(
        "{}/bucket/{}/{}?sig={}",
        state.storage_origin.as_str().trim_end_matches('/'),
        job.id,
        o.name,
        state.fhir.exports.sign(&job.id, &o.name)
    )
}

async fn file(
    state: &State,
    grant: &Grant,
    method: &Method,
    id: &str,
    name: &str,
    headers: &HeaderMap,
) -> Result<Response, Outcome> {
    if method != Method::GET && method != Method::HEAD {
        return Err(super::method_not_allowed(method, "GET"));
    }
    let job = own_job(state, grant, id)?;
    let out = job
        .output(name)
        .ok_or_else(|| Outcome::not_found(format!("export job `{id}` has no file `{name}`")))?;
    job.requested(name);
    if state.opts.faults.has(Fault::ExportFileRedirect) {
        let mut r = StatusCode::TEMPORARY_REDIRECT.into_response();
        if let Ok(v) = HeaderValue::from_str(&storage_url(state, &job, &out)) {
            r.headers_mut().insert(header::LOCATION, v);
        }
        return Ok(r);
    }
    Ok(serve::file(&job, &out, headers, &state.opts.faults).await)
}

/// The storage origin: presigned downloads, no token needed; and the same
/// files with the token required (`export-token-files-on-storage`).
pub(crate) fn storage_router() -> axum::Router<Arc<State>> {
    axum::Router::new()
        .route("/bucket/{job}/{name}", axum::routing::get(bucket))
        .route("/protected/{job}/{name}", axum::routing::get(with_token))
}

/// Files on the sandbox's origin outside the FHIR base
/// (`export-files-outside-base`), protected like the kick-off.
pub(crate) fn outside_base_router() -> axum::Router<Arc<State>> {
    axum::Router::new().route(
        "/{job}/fhir/bulkfiles/{name}",
        axum::routing::get(with_token),
    )
}

/// A job's file, for the bearer of a token of the client that started it.
async fn with_token(
    AxState(state): AxState<Arc<State>>,
    AxPath((id, name)): AxPath<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let Ok(grant) = state.auth.authenticate(&headers) else {
        return Outcome::new(
            StatusCode::UNAUTHORIZED,
            "login",
            "this file needs the access token (requiresAccessToken: true)",
        )
        .with_header(header::WWW_AUTHENTICATE, "Bearer realm=\"smart-sandbox\"")
        .into_response();
    };
    let out = own_job(&state, &grant, &id).and_then(|job| {
        job.output(&name)
            .map(|o| (job, o))
            .ok_or_else(|| Outcome::not_found(format!("export job `{id}` has no file `{name}`")))
    });
    match out {
        Ok((job, o)) => serve::file(&job, &o, &headers, &state.opts.faults).await,
        Err(o) => o.into_response(),
    }
}

async fn bucket(
    AxState(state): AxState<Arc<State>>,
    AxPath((id, name)): AxPath<(String, String)>,
    AxQuery(q): AxQuery<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let exports = &state.fhir.exports;
    let signed = q.get("sig").is_some_and(|s| {
        use sha2::Digest;
        // Compared as digests, so the time taken says nothing of the sig.
        sha2::Sha256::digest(s.as_bytes())
            == sha2::Sha256::digest(exports.sign(&id, &name).as_bytes())
    });
    if !signed {
        return Outcome::forbidden("the sig of this storage URL is missing or wrong")
            .into_response();
    }
    let Some((job, out)) = exports
        .get(&id)
        .and_then(|j| j.output(&name).map(|o| (j, o)))
    else {
        return Outcome::not_found(format!("there is no file `{name}` of export job `{id}`"))
            .into_response();
    };
    job.requested(&name);
    serve::file(&job, &out, &headers, &state.opts.faults).await
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    #[test]
    #[cfg(target_os = "linux")]
    fn stale_directories_of_dead_sandboxes_are_removed() {
        let tmp = tempfile::tempdir().unwrap();
        // Above any pid_max, so never a live process.
        let dead = 4_999_999;
        let mine = std::process::id();
        let make = |name: String, age: Duration| {
            let p = tmp.path().join(name);
            std::fs::create_dir(&p).unwrap();
            std::fs::write(p.join("Patient.1.ndjson"), "{}\n").unwrap();
            std::fs::File::open(&p)
                .unwrap()
                .set_modified(SystemTime::now() - age)
                .unwrap();
            p
        };
        let hours = Duration::from_secs(2 * 3600);
        let stale = make(format!("smart-sandbox-export-{dead}-aaa"), hours);
        let recent = make(format!("smart-sandbox-export-{dead}-bbb"), Duration::ZERO);
        let own = make(format!("smart-sandbox-export-{mine}-ccc"), hours);
        let other = make("smart-sandbox-export-x-ddd".into(), hours);
        super::remove_stale(tmp.path());
        assert!(!stale.exists());
        for kept in [recent, own, other] {
            assert!(kept.exists(), "{}", kept.display());
        }
    }
}
