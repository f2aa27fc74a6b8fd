//! One export file, streamed to disk: `DIR/.<name>.part`, then renamed to
//! its name once complete and fsynced, checked line by line on the way
//! (memory stays at one chunk and one line whatever the file's size).
//!
//! Where the token goes: only when the manifest says `requiresAccessToken`,
//! and then by [`TokenRule`]: under the FHIR base or on its origin, or on
//! an origin the user named. Redirects are followed here, hop by hop
//! (reqwest follows none for this client), so that the rule is applied to
//! every hop: a 307 to a storage host never carries the token, nor does
//! any hop after a redirect left its origin; and [`Reach`] refuses a hop
//! into the user's own network before connecting.
//!
//! A 5xx whose OperationOutcome says `transient` is tried again, like 429
//! and 503; any other error answer ends the file.
//!
//! A transfer that breaks off is continued with `Range` from the bytes on
//! disk when the server said `Accept-Ranges: bytes` (with `If-Range`, so a
//! file that changed meanwhile comes whole); otherwise it starts again.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures_util::StreamExt;
use reqwest::header::{
    ACCEPT, ACCEPT_ENCODING, ACCEPT_RANGES, CONTENT_ENCODING, CONTENT_RANGE, ETAG, HeaderMap,
    IF_RANGE, LAST_MODIFIED, LOCATION, RANGE, RETRY_AFTER,
};
use reqwest::{Method, StatusCode};
use url::Url;

pub use super::journal::Opened;
use super::manifest::MIXED;
use super::ndjson::{Checker, Stream, Tally};
use super::reach::{Reach, TokenRule, Withheld};
use super::state::{Done, FileState};
use super::watch::Watch;
use crate::error::{Error, Kind, Result};
use crate::fhir::client::Fhir;
use crate::fhir::{outcome, retry};
use crate::http::{self, Http};

/// Hops followed for one file.
pub const MAX_REDIRECTS: usize = 5;

/// Tries per file: a broken transfer, a network error or a 429/503 each
/// use one.
pub const MAX_ATTEMPTS: u32 = 5;

/// Chunks queued between a download and its writer thread.
const WRITE_QUEUE: usize = 16;

/// Bytes queued between a download and its writer thread, at most (one
/// chunk larger than this goes alone). Counted in bytes, not only chunks:
/// hyper's chunks grow to hundreds of KB on a fast connection, and sixteen
/// of them per download, queued behind a writer that a loaded machine
/// slowed, took an export of big files to 48 MB.
const WRITE_BUDGET: usize = 1 << 20;

/// An error answer's body is read up to this, for its OperationOutcome.
const ERROR_BODY_LIMIT: usize = 64 << 10;

pub const NDJSON: &str = "application/fhir+ndjson";

/// A complete file, and how many bytes this run transferred for it.
#[derive(Debug)]
pub struct Fetched {
    pub done: Done,
    pub transferred: u64,
}

pub struct Fetcher {
    pub http: Http,
    pub fhir: Arc<Fhir>,
    pub tokens: TokenRule,
    pub reach: Reach,
    pub gzip: bool,
    /// The resource types a file of mixed types may hold (`organizeOutputBy`:
    /// the requested `_type`s; empty for any).
    pub mixed_types: Vec<String>,
}

impl Fetcher {
    /// The download client: no redirects followed by reqwest, and no limit
    /// on a whole answer's time (a large file takes what it takes), only on
    /// each read (`--timeout`); names resolve only to addresses `reach`
    /// allows.
    pub fn client(opts: &http::Options, reach: &Reach) -> Result<Http> {
        let mut opts = opts.clone();
        opts.follow_redirects = false;
        let read = opts.timeout;
        let resolver = reach.resolver();
        Http::with_builder(&opts, |b| {
            b.timeout(Duration::from_secs(7 * 24 * 3600))
                .read_timeout(read)
                .dns_resolver(resolver)
        })
    }

    /// Downloads `f` into `dir`. `opened` records what the answer said
    /// (ranges, validator) before the body is read.
    pub async fn fetch(
        &self,
        f: &FileState,
        dir: &Path,
        watch: &dyn Watch,
        opened: &(dyn Fn(&Opened) -> Result<()> + Send + Sync),
    ) -> Result<Fetched> {
        let url = Url::parse(&f.url)
            .map_err(|e| Error::server(format!("{}: bad URL in the state ({e})", f.name)))?;
        self.reach
            .check(&url, &format!("the file URL of {}", f.name))?;
        let part = f.part_path(dir);
        if let Some(parent) = part.parent()
            && parent != dir
        {
            // `DIR/error`, `DIR/deleted`: never through a symlink.
            super::safe_fs::make_dir(parent)
                .map_err(|e| Error::usage(format!("cannot create {}: {e}", parent.display())))?;
        }
        let bar = watch.file(&f.name);
        let mut last = Opened {
            ranges: f.ranges,
            validator: f.validator.clone(),
        };
        let mut transferred = 0u64;
        let mut attempt = 0u32;
        // A server that answered a Range with nonsense gets no Range again.
        let mut no_range = false;
        loop {
            attempt += 1;
            let have = if last.ranges && !self.gzip && !no_range {
                std::fs::metadata(&part).map(|m| m.len()).unwrap_or(0)
            } else {
                0
            };
            let (resp, withheld) = match self.open(&url, have, last.validator.as_deref()).await {
                Ok(r) => r,
                Err(e) if attempt < MAX_ATTEMPTS && e.kind == Kind::Network => {
                    self.pause(watch, &f.name, &e.message, attempt, None).await;
                    continue;
                }
                Err(e) => return Err(e),
            };
            let status = resp.status();
            if retry::is_retryable(status.as_u16()) && attempt < MAX_ATTEMPTS {
                let ra = header(resp.headers(), RETRY_AFTER);
                self.pause(watch, &f.name, &format!("{status}"), attempt, ra.as_deref())
                    .await;
                continue;
            }
            if status.is_server_error() {
                let r = error_response(resp).await;
                if attempt < MAX_ATTEMPTS
                    && let Some(issue) = super::status::transient_issue(&r.body)
                {
                    let ra = header(&r.headers, RETRY_AFTER);
                    let hide: Vec<String> = self
                        .fhir
                        .current_token()
                        .map(|t| t.secret().clone())
                        .into_iter()
                        .collect();
                    let issue = crate::redact::values(&issue, &hide);
                    let why = format!("{status}, a transient error ({issue})");
                    self.pause(watch, &f.name, &why, attempt, ra.as_deref())
                        .await;
                    continue;
                }
                return Err(self.refused(&f.name, &url, r, withheld));
            }
            let offset = match status {
                StatusCode::OK => 0,
                StatusCode::PARTIAL_CONTENT
                    if have > 0 && range_start(resp.headers()) == Some(have) =>
                {
                    have
                }
                StatusCode::PARTIAL_CONTENT | StatusCode::RANGE_NOT_SATISFIABLE if have > 0 => {
                    no_range = true;
                    continue;
                }
                _ => {
                    let r = error_response(resp).await;
                    return Err(self.refused(&f.name, &url, r, withheld));
                }
            };
            let gz = header(resp.headers(), CONTENT_ENCODING)
                .is_some_and(|e| e.eq_ignore_ascii_case("gzip"));
            last = Opened {
                // A compressed answer cannot be continued byte for byte.
                ranges: !gz
                    && header(resp.headers(), ACCEPT_RANGES)
                        .is_some_and(|v| v.eq_ignore_ascii_case("bytes")),
                validator: header(resp.headers(), ETAG)
                    .or_else(|| header(resp.headers(), LAST_MODIFIED)),
            };
            opened(&last)?;
            let total = total_length(resp.headers(), status).map(|t| t.max(offset));
            let mut check = match f.rtype.as_str() {
                MIXED => Stream::of(Checker::mixed(&self.mixed_types), gz),
                t => Stream::new(t, gz),
            };
            let out = open_part(&part, offset, &mut check)?;
            bar.start(offset, total);
            // The bytes go to a thread of their own that writes and checks
            // them, so that the line check never holds up the network (a
            // bounded queue: memory stays at a few chunks per download).
            let (tx, rx) = tokio::sync::mpsc::channel::<Queued>(WRITE_QUEUE);
            let budget = Arc::new(tokio::sync::Semaphore::new(WRITE_BUDGET));
            let writer = tokio::task::spawn_blocking(move || write_and_check(out, check, rx));
            let mut body = resp.bytes_stream();
            let mut broke = None;
            while let Some(chunk) = body.next().await {
                match chunk {
                    Ok(c) => {
                        let n = c.len() as u64;
                        let permit = budget
                            .clone()
                            .acquire_many_owned(c.len().min(WRITE_BUDGET) as u32)
                            .await
                            .expect("the budget is never closed");
                        if tx.send((c, permit)).await.is_err() {
                            // The writer stopped: its error is below.
                            break;
                        }
                        transferred += n;
                        bar.advance(n);
                    }
                    Err(e) => {
                        broke = Some(self.http.network_error(&url, e).await);
                        break;
                    }
                }
            }
            drop(tx);
            let (file, check) = writer
                .await
                .map_err(|e| Error::usage(format!("writing {} failed: {e}", part.display())))?
                .map_err(|e| write_error(&part, e))?;
            if let Some(e) = broke {
                drop(file);
                if attempt < MAX_ATTEMPTS {
                    self.pause(watch, &f.name, &e.message, attempt, Some("0"))
                        .await;
                    continue;
                }
                return Err(Error {
                    message: format!("{}: {} (after {attempt} tries)", f.name, e.message),
                    ..e
                }
                .with_hint("`smart export --resume` continues where it stopped"));
            }
            let saved = if gz {
                format!("{}.gz", f.name)
            } else {
                f.name.clone()
            };
            let bytes = settle(file, part.clone(), dir.join(&saved)).await?;
            return Ok(Fetched {
                done: Done {
                    path: saved,
                    bytes,
                    check: check.finish(),
                },
                transferred,
            });
        }
    }

    /// Waits before another try: `Retry-After` when given and sensible
    /// (capped), else a short backoff; says so.
    async fn pause(
        &self,
        watch: &dyn Watch,
        name: &str,
        why: &str,
        attempt: u32,
        retry_after: Option<&str>,
    ) {
        let (asked, ignored) = match super::status::read_retry_after(retry_after, SystemTime::now())
        {
            super::status::RetryAfter::Wait(d) => (Some(d), None),
            super::status::RetryAfter::Absent => (None, None),
            super::status::RetryAfter::Nonsense(why) => (None, Some(why)),
        };
        let wait = asked
            .unwrap_or_else(|| retry::delay(None, attempt - 1, SystemTime::now()))
            .min(self.fhir.max_wait());
        let ignored = ignored.map_or(String::new(), |w| {
            format!(" (the server's Retry-After {w}, so it is ignored)")
        });
        watch.reporter().note(&format!(
            "{name}: {why}; trying again in {:.1} s ({attempt}/{}){ignored}",
            wait.as_secs_f64(),
            MAX_ATTEMPTS - 1
        ));
        tokio::time::sleep(wait).await;
    }

    /// GET `url` (from byte `have`), following redirects hop by hop with the
    /// token only where it may go; a 401 with the token refreshes it once.
    /// Returns the answer and why its request went without the token, if it
    /// did.
    async fn open(
        &self,
        url: &Url,
        have: u64,
        validator: Option<&str>,
    ) -> Result<(reqwest::Response, Withheld)> {
        let mut refreshed = false;
        'fresh: loop {
            let mut at = url.clone();
            let mut crossed = false;
            for hop in 0..=MAX_REDIRECTS {
                let withheld = self.tokens.decide(&at, crossed);
                let token = match withheld {
                    Withheld::No => self.fhir.current_token(),
                    _ => None,
                };
                let mut rb = self
                    .http
                    .request(Method::GET, at.clone())
                    .header(ACCEPT, NDJSON)
                    .header(ACCEPT_ENCODING, if self.gzip { "gzip" } else { "identity" });
                if have > 0 {
                    rb = rb.header(RANGE, format!("bytes={have}-"));
                    if let Some(v) = validator {
                        rb = rb.header(IF_RANGE, v);
                    }
                }
                if let Some(t) = &token {
                    rb = rb.bearer_auth(t.secret());
                }
                let resp = self.http.open(rb).await?;
                let status = resp.status();
                if status.is_redirection()
                    && let Some(loc) = header(resp.headers(), LOCATION)
                {
                    let next = at.join(&loc).map_err(|e| {
                        Error::server(format!(
                            "{}: a redirect to `{}`, which is not a URL ({e})",
                            http::origin_path(&at),
                            crate::redact::url_str(&loc)
                        ))
                    })?;
                    check_hop(&at, &next)?;
                    self.reach.check(
                        &next,
                        &format!("the redirect from {} to", http::origin_path(&at)),
                    )?;
                    if hop == MAX_REDIRECTS {
                        return Err(Error::server(format!(
                            "{}: more than {MAX_REDIRECTS} redirects",
                            http::origin_path(url)
                        )));
                    }
                    crossed |= next.origin() != at.origin();
                    at = next;
                    continue;
                }
                if status == StatusCode::UNAUTHORIZED
                    && !refreshed
                    && let Some(used) = &token
                {
                    self.fhir.refresh(used).await?;
                    refreshed = true;
                    continue 'fresh;
                }
                let withheld = match token {
                    Some(_) => Withheld::No,
                    None => withheld,
                };
                return Ok((resp, withheld));
            }
            unreachable!("the loop returns at its last hop");
        }
    }

    /// The error for an answer `r` that is not the file; `withheld` says
    /// why its request went without the token, if it did.
    fn refused(&self, name: &str, url: &Url, r: http::Response, withheld: Withheld) -> Error {
        let status = r.status;
        let hide: Vec<String> = self
            .fhir
            .current_token()
            .map(|t| t.secret().clone())
            .into_iter()
            .collect();
        let mut e = outcome::status_error(&format!("GET {name}"), &r, &hide);
        let at = http::origin_path(&r.url);
        match (status.as_u16(), withheld) {
            (404 | 410, _) => {
                e.kind = Kind::Server;
                e.with_hint("the server no longer has the file (the export may have expired); start a new export")
            }
            (401 | 403, Withheld::OtherOrigin) => {
                let origin = r.url.origin().ascii_serialization();
                e.message = format!(
                    "{}; smart sent it without the token: {at} is on another origin than the FHIR base {}, and the token goes to another origin only when you name it",
                    e.message,
                    self.fhir.on_base()
                );
                e.with_hint(format!(
                    "if {origin} may have the token, name it: --token-origin {origin} (profile key token_origins)"
                ))
            }
            (401 | 403, Withheld::AfterRedirect) => {
                e.message = format!(
                    "{}; smart sent it without the token: {} redirected to another origin ({at}), and the token never follows a redirect there",
                    e.message,
                    http::origin_path(url)
                );
                e.with_hint("the server's redirect target must accept the request without the token (a presigned URL); ask its operators")
            }
            _ => e,
        }
    }
}

/// An error answer, its body read up to [`ERROR_BODY_LIMIT`] (for its
/// OperationOutcome).
async fn error_response(resp: reqwest::Response) -> http::Response {
    let status = resp.status();
    let headers = resp.headers().clone();
    let url = resp.url().clone();
    let body = read_some(resp, ERROR_BODY_LIMIT).await;
    http::Response {
        status,
        url,
        headers,
        body,
    }
}

/// A redirect hop: never from https to plain http (off loopback).
fn check_hop(from: &Url, to: &Url) -> Result<()> {
    if !matches!(to.scheme(), "http" | "https") {
        return Err(Error::server(format!(
            "{}: a redirect to a {} URL",
            http::origin_path(from),
            to.scheme()
        )));
    }
    if from.scheme() == "https" && to.scheme() != "https" && !smart_vocab::is_loopback(to) {
        return Err(Error::server(format!(
            "{}: refusing a redirect from https to plain http ({})",
            http::origin_path(from),
            http::origin_path(to)
        )));
    }
    Ok(())
}

fn header(h: &HeaderMap, name: reqwest::header::HeaderName) -> Option<String> {
    h.get(name)?.to_str().ok().map(str::to_owned)
}

/// `Content-Range: bytes 100-199/200` → 100.
fn range_start(h: &HeaderMap) -> Option<u64> {
    let v = header(h, CONTENT_RANGE)?;
    let rest = v.trim().strip_prefix("bytes ")?;
    rest.split('-').next()?.trim().parse().ok()
}

/// The whole file's length: from `Content-Range` for a 206, else
/// `Content-Length`.
fn total_length(h: &HeaderMap, status: StatusCode) -> Option<u64> {
    if status == StatusCode::PARTIAL_CONTENT {
        let v = header(h, CONTENT_RANGE)?;
        return v.rsplit('/').next()?.trim().parse().ok();
    }
    header(h, reqwest::header::CONTENT_LENGTH)?.parse().ok()
}

/// The `.part` file, ready for bytes from `offset`: created new (0600) for a
/// fresh start, else cut to `offset` and its bytes fed to the checker
/// first. Never through a symlink: one planted at the `.part` name is an
/// error, not a file to write into.
fn open_part(
    part: &Path,
    offset: u64,
    check: &mut Stream,
) -> Result<std::io::BufWriter<std::fs::File>> {
    use super::safe_fs;
    safe_fs::not_a_link(part).map_err(|e| write_error(part, e))?;
    let mut file = if offset == 0 {
        safe_fs::remove_if_there(part).map_err(|e| write_error(part, e))?;
        safe_fs::create_new(part).map_err(|e| write_error(part, e))?
    } else {
        safe_fs::open_existing(part).map_err(|e| write_error(part, e))?
    };
    if offset > 0 {
        file.set_len(offset).map_err(|e| write_error(part, e))?;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = file.read(&mut buf).map_err(|e| write_error(part, e))?;
            if n == 0 {
                break;
            }
            check.feed(&buf[..n]);
        }
    }
    Ok(std::io::BufWriter::with_capacity(64 << 10, file))
}

/// A chunk on its way to the writer thread, and its share of
/// [`WRITE_BUDGET`].
type Queued = (bytes::Bytes, tokio::sync::OwnedSemaphorePermit);

/// The writer thread of one download: writes and checks each chunk; when
/// the network has nothing new yet, flushes (what is on disk is what a
/// resume finds). Returns the file and the check once the queue closes.
fn write_and_check(
    mut out: std::io::BufWriter<std::fs::File>,
    mut check: Stream,
    mut rx: tokio::sync::mpsc::Receiver<Queued>,
) -> std::io::Result<(std::fs::File, Stream)> {
    use tokio::sync::mpsc::error::TryRecvError;
    loop {
        // The permit goes with the chunk: its bytes leave the budget once
        // written and checked.
        let (c, _permit) = match rx.try_recv() {
            Ok(c) => c,
            Err(TryRecvError::Empty) => {
                out.flush()?;
                match rx.blocking_recv() {
                    Some(c) => c,
                    None => break,
                }
            }
            Err(TryRecvError::Disconnected) => break,
        };
        out.write_all(&c)?;
        check.feed(&c);
    }
    let file = out.into_inner().map_err(|e| e.into_error())?;
    Ok((file, check))
}

/// The rename to the final name, off the async threads. No fsync here: one
/// per file made ten thousand small files crawl; the job syncs the
/// filesystem once before it records the export complete, and until then a
/// file lost to a power loss is found by its size ([`missing`]) and fetched
/// again.
async fn settle(file: std::fs::File, part: PathBuf, final_path: PathBuf) -> Result<u64> {
    tokio::task::spawn_blocking(move || {
        let bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
        drop(file);
        // A symlink where the file goes is refused (rename would replace
        // the link, but whoever planted it meant something by it).
        super::safe_fs::not_a_link(&final_path).map_err(|e| write_error(&final_path, e))?;
        std::fs::rename(&part, &final_path).map_err(|e| {
            Error::usage(format!(
                "cannot rename {} to {}: {e}",
                part.display(),
                final_path.display()
            ))
        })?;
        Ok(bytes)
    })
    .await
    .map_err(|e| Error::usage(format!("saving a file failed: {e}")))?
}

fn write_error(path: &Path, e: std::io::Error) -> Error {
    Error::usage(format!("cannot write {}: {e}", path.display()))
}

/// Up to `limit` bytes of a body; a failure just ends it.
async fn read_some(resp: reqwest::Response, limit: usize) -> bytes::Bytes {
    let mut stream = resp.bytes_stream();
    let mut buf = bytes::BytesMut::new();
    while let Some(Ok(c)) = stream.next().await {
        let room = limit - buf.len();
        buf.extend_from_slice(&c[..c.len().min(room)]);
        if buf.len() >= limit {
            break;
        }
    }
    buf.freeze()
}

/// The count of resources a file was expected to hold, against what it did.
pub fn count_mismatch(f: &FileState, check: &Tally) -> Option<String> {
    let expected = f.count?;
    // Whether a mixed file's count includes its block headers, the IG
    // does not say: either is right.
    let counted = expected == check.resources
        || (check.headers > 0 && expected == check.resources + check.headers);
    (!counted).then(|| {
        format!(
            "{}: {} resources, but the manifest says {expected}",
            f.name, check.resources
        )
    })
}

/// The files under DIR a state names as complete but that are gone or
/// not the size they were (removed, or cut short by a power loss).
pub fn missing(dir: &Path, files: &[FileState]) -> Vec<PathBuf> {
    files
        .iter()
        .filter_map(|f| f.done.as_ref())
        .filter(|d| {
            // symlink_metadata: a link is not the file that was saved.
            std::fs::symlink_metadata(dir.join(&d.path))
                .ok()
                .filter(|m| m.is_file())
                .map(|m| m.len())
                != Some(d.bytes)
        })
        .map(|d| dir.join(&d.path))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                reqwest::header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    #[test]
    fn content_range_gives_start_and_total() {
        let h = headers(&[
            ("content-range", "bytes 100-199/200"),
            ("content-length", "100"),
        ]);
        assert_eq!(range_start(&h), Some(100));
        assert_eq!(total_length(&h, StatusCode::PARTIAL_CONTENT), Some(200));
        assert_eq!(total_length(&h, StatusCode::OK), Some(100));
        assert_eq!(
            range_start(&headers(&[("content-range", "items 1-2/3")])),
            None
        );
    }

    #[test]
    fn redirects_never_downgrade_off_loopback() {
        let u = |s: &str| Url::parse(s).unwrap();
        assert!(check_hop(&u("https://a/x"), &u("https://b/y")).is_ok());
        assert!(check_hop(&u("https://a/x"), &u("http://127.0.0.1/y")).is_ok());
        assert!(check_hop(&u("http://a/x"), &u("http://b/y")).is_ok());
        assert!(check_hop(&u("https://a/x"), &u("http://b/y")).is_err());
        assert!(check_hop(&u("https://a/x"), &u("file:///etc/passwd")).is_err());
    }

    #[test]
    fn a_resumed_part_is_cut_to_the_offset_and_checked_from_its_start() {
        let d = tempfile::tempdir().unwrap();
        let part = d.path().join(".Patient.1.ndjson.part");
        let text = "{\"resourceType\":\"Patient\"}\n{\"resourceType\":\"Pa-junk";
        std::fs::write(&part, text).unwrap();
        let offset = text.find("-junk").unwrap() as u64;
        let mut check = Stream::new("Patient", false);
        let mut w = open_part(&part, offset, &mut check).unwrap();
        w.write_all(b"tient\"}\n").unwrap();
        drop(w);
        assert_eq!(
            std::fs::read_to_string(&part).unwrap(),
            "{\"resourceType\":\"Patient\"}\n{\"resourceType\":\"Patient\"}\n"
        );
        check.feed(b"tient\"}\n");
        let c = check.finish();
        assert_eq!((c.resources, c.bad_lines), (2, 0));
        // Offset 0 starts the file again.
        let mut check = Stream::new("Patient", false);
        drop(open_part(&part, 0, &mut check).unwrap());
        assert_eq!(std::fs::metadata(&part).unwrap().len(), 0);
    }

    #[test]
    fn complete_files_that_are_gone_or_changed_size_are_fetched_again() {
        let d = tempfile::tempdir().unwrap();
        let file = |name: &str, bytes: u64| FileState {
            part: super::super::manifest::Part::Output,
            rtype: "Patient".into(),
            url: "http://h/1".into(),
            count: None,
            name: name.into(),
            ranges: false,
            validator: None,
            done: Some(Done {
                path: name.into(),
                bytes,
                check: Tally::default(),
            }),
        };
        std::fs::write(d.path().join("a.ndjson"), "12345").unwrap();
        std::fs::write(d.path().join("b.ndjson"), "12").unwrap();
        let files = [
            file("a.ndjson", 5),
            file("b.ndjson", 5),
            file("c.ndjson", 1),
        ];
        assert_eq!(
            missing(d.path(), &files),
            [d.path().join("b.ndjson"), d.path().join("c.ndjson")]
        );
    }

    #[test]
    fn counts_are_compared_with_the_manifest() {
        let mut f = FileState {
            part: super::super::manifest::Part::Output,
            rtype: "Patient".into(),
            url: "http://h/1".into(),
            count: Some(3),
            name: "Patient.1.ndjson".into(),
            ranges: false,
            validator: None,
            done: None,
        };
        let check = Tally {
            resources: 2,
            ..Tally::default()
        };
        assert_eq!(
            count_mismatch(&f, &check).unwrap(),
            "Patient.1.ndjson: 2 resources, but the manifest says 3"
        );
        f.count = None;
        assert_eq!(count_mismatch(&f, &check), None);
    }
}
