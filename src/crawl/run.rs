//! The crawl itself: for each patient × type not yet done, a search
//! (`Type?patient=ID&_count=1000`, every `next` page under the base-path
//! rule), `--parallel` of them at once, each request through the [`Gate`];
//! their resources appended to `DIR/<Type>.1.ndjson`, de-duplicated by id,
//! by this one loop (so files need no locks). Finished searches are
//! recorded in batches: the files are synced, then one journal line names
//! the searches and the files' lengths ([`super::state`]).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufRead, BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime};

use futures_util::{StreamExt, stream};
use reqwest::header::RETRY_AFTER;
use serde::Deserialize;
use url::Url;

use super::gate::Gate;
use super::state::{CrawlEvent, CrawlState, Mark, file_name};
use crate::bulk::journal::Journal;
use crate::bulk::safe_fs;
use crate::bulk::watch::Watch;
use crate::error::{Error, Result};
use crate::fhir::client::{Fhir, Request};
use crate::fhir::pages::{BundleView, Mode, next_url};
use crate::fhir::{outcome, retry};
use crate::http::Response;

/// Results per page: large, so that most searches are one request (the
/// server caps it where it must).
pub const COUNT: u32 = 1000;

/// Tries of one request the server throttles (429/503) before the crawl
/// stops (resumable): more than a single request's `--retries`, since a
/// crawl of many searches meets throttling as a matter of course.
const THROTTLED_TRIES: u32 = 10;

/// Statuses that mean "this type cannot be searched here" rather than a
/// failure: the type is reported as refused and the crawl goes on.
const REFUSALS: [u16; 6] = [400, 403, 404, 405, 410, 501];

/// How often finished searches are synced and journaled.
const BATCH: Duration = Duration::from_secs(2);

pub struct Crawl {
    pub fhir: Arc<Fhir>,
    pub dir: PathBuf,
    pub parallel: usize,
    pub gate: Arc<Gate>,
    pub watch: Arc<dyn Watch>,
    pub stop: tokio::sync::watch::Receiver<bool>,
}

/// What a run of the crawl did.
#[derive(Debug, Default)]
pub struct Ran {
    pub requests: u64,
    /// Bytes of search answers received.
    pub fetched: u64,
    /// Resources written by this run.
    pub written: u64,
    /// Their bytes.
    pub written_bytes: u64,
    pub seconds: f64,
    /// Answers that were not what a search returns (reported, exit 3).
    pub problems: Vec<String>,
}

/// One finished search.
enum Found {
    Resources {
        lines: Vec<(Box<str>, Vec<u8>)>,
        requests: u64,
        bytes: u64,
        problems: Vec<String>,
    },
    Refused {
        why: String,
        requests: u64,
    },
    /// Not made: its type was refused meanwhile, or the crawl is stopping.
    Skipped,
}

#[derive(Deserialize)]
struct Ided<'a> {
    #[serde(rename = "resourceType", default, borrow)]
    resource_type: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, borrow)]
    id: Option<std::borrow::Cow<'a, str>>,
}

/// An output file being appended to.
struct Out {
    path: PathBuf,
    file: BufWriter<std::fs::File>,
    ids: HashSet<Box<str>>,
    mark: Mark,
    dirty: bool,
}

impl Out {
    /// Opens `DIR/<Type>.1.ndjson` (never through a symlink), cut back to
    /// `mark` (what the journal vouches for), with the ids it holds.
    fn open(dir: &Path, rtype: &str, mark: Mark) -> Result<Out> {
        let path = dir.join(file_name(rtype));
        let err = |e: std::io::Error| Error::usage(format!("cannot write {}: {e}", path.display()));
        let mut file = safe_fs::open_append(&path).map_err(err)?;
        file.set_len(mark.len).map_err(err)?;
        let mut ids = HashSet::new();
        if mark.len > 0 {
            file.seek(SeekFrom::Start(0)).map_err(err)?;
            let reader = std::io::BufReader::new(&mut file);
            for line in reader.split(b'\n') {
                let line = line.map_err(err)?;
                if let Ok(r) = serde_json::from_slice::<Ided>(&line)
                    && let Some(id) = r.id
                {
                    ids.insert(Box::from(id.as_ref()));
                }
            }
        }
        file.seek(SeekFrom::End(0)).map_err(err)?;
        Ok(Out {
            path,
            file: BufWriter::with_capacity(256 << 10, file),
            ids,
            mark,
            dirty: false,
        })
    }
}

/// The writing side: files by type, the searches finished since the last
/// journal line.
struct Writer<'a> {
    dir: &'a Path,
    outs: HashMap<String, Out>,
    pending: Vec<(u32, u16)>,
    journal: Journal<CrawlEvent>,
    last: Instant,
}

impl Writer<'_> {
    fn out(&mut self, rtype: &str, mark: Mark) -> Result<&mut Out> {
        if !self.outs.contains_key(rtype) {
            let o = Out::open(self.dir, rtype, mark)?;
            self.outs.insert(rtype.to_owned(), o);
        }
        Ok(self.outs.get_mut(rtype).expect("just opened"))
    }

    /// Syncs what was written and journals the searches it finished.
    fn flush(&mut self, state: &mut CrawlState) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let mut files = BTreeMap::new();
        // An fdatasync of each file written to, not a syncfs of the whole
        // filesystem: that would wait for every other writer's data too.
        for (t, o) in self.outs.iter_mut().filter(|(_, o)| o.dirty) {
            o.file
                .flush()
                .and_then(|()| o.file.get_ref().sync_data())
                .map_err(|e| Error::usage(format!("cannot write {}: {e}", o.path.display())))?;
            files.insert(t.clone(), o.mark);
            o.dirty = false;
        }
        let e = CrawlEvent::Done {
            units: std::mem::take(&mut self.pending),
            files,
        };
        self.journal.append(&e)?;
        state.apply(e).map_err(Error::usage)?;
        self.last = Instant::now();
        Ok(())
    }
}

impl Crawl {
    /// Crawls what `state` has not done yet. On an error (or a stop) what
    /// finished is journaled first, so that `--resume` goes on from there.
    pub async fn run(&self, state: &mut CrawlState) -> Result<Ran> {
        let start = Instant::now();
        let mut ran = Ran::default();
        let mut w = Writer {
            dir: &self.dir,
            outs: HashMap::new(),
            pending: Vec::new(),
            journal: state.journal(&self.dir)?,
            last: Instant::now(),
        };
        // Every file of the plan that is there is cut back to what the
        // journal vouches for, even if no search of this run adds to it.
        for t in &state.types {
            let mark = state.files.get(&t.name).copied().unwrap_or_default();
            if std::fs::symlink_metadata(self.dir.join(file_name(&t.name))).is_ok() {
                w.out(&t.name, mark)?;
            }
        }
        let refused: Arc<RwLock<HashSet<u16>>> = Arc::new(RwLock::new(
            state
                .types
                .iter()
                .enumerate()
                .filter(|(_, t)| state.refused.contains_key(&t.name))
                .map(|(i, _)| i as u16)
                .collect(),
        ));
        let n_types = state.types.len() as u16;
        let todo: Vec<(u32, u16)> = (0..state.patients.len() as u32)
            .flat_map(|p| (0..n_types).map(move |t| (p, t)))
            .filter(|u| !state.done.contains(u) && !refused.read().unwrap().contains(&u.1))
            .collect();
        let mut left: Vec<u16> = vec![0; state.patients.len()];
        for (p, _) in &todo {
            left[*p as usize] += 1;
        }
        let total = state.patients.len();
        let mut patients_done = left.iter().filter(|n| **n == 0).count();
        let mut resources_seen: u64 = state.files.values().map(|m| m.count).sum();

        // What the searches need, apart from the state the loop updates.
        let types: Arc<Vec<super::plan::TypePlan>> = Arc::new(state.types.clone());
        let patients: Arc<Vec<String>> = Arc::new(state.patients.clone());
        let since: Arc<Vec<Option<String>>> = Arc::new(
            (0..state.patients.len() as u32)
                .map(|p| state.since_for(p).map(str::to_owned))
                .collect(),
        );
        let until = state.until.clone();
        let searches = todo.into_iter().map(|(p, t)| {
            let plan = &types[t as usize];
            let mut url = self
                .fhir
                .base()
                .join(&plan.name)
                .expect("a type name joins");
            {
                let mut q = url.query_pairs_mut();
                q.append_pair(&plan.param, &patients[p as usize]);
                if let Some(s) = &since[p as usize] {
                    q.append_pair("_lastUpdated", &format!("ge{s}"));
                }
                if let Some(u) = &until {
                    q.append_pair("_lastUpdated", &format!("lt{u}"));
                }
                q.append_pair("_count", &COUNT.to_string());
            }
            self.fhir.with_format(&mut url);
            let (fhir, gate, refused, stop) = (
                self.fhir.clone(),
                self.gate.clone(),
                refused.clone(),
                self.stop.clone(),
            );
            let rtype = plan.name.clone();
            async move {
                let found = tokio::spawn(async move {
                    if *stop.borrow() || refused.read().unwrap().contains(&t) {
                        return Ok(Found::Skipped);
                    }
                    search(&fhir, &gate, url, &rtype).await
                })
                .await
                .unwrap_or_else(|e| Err(Error::usage(format!("a search failed: {e}"))));
                (p, t, found)
            }
        });
        let mut results = stream::iter(searches).buffer_unordered(self.parallel.max(1));
        let mut stop = self.stop.clone();
        let mut shown = Instant::now() - Duration::from_secs(1);
        let outcome: Result<()> = loop {
            let next = tokio::select! {
                r = results.next() => r,
                _ = stop.wait_for(|s| *s) => break Err(Error::interrupted("the crawl was stopped")),
            };
            let Some((p, t, found)) = next else {
                break Ok(());
            };
            let rtype = state.types[t as usize].name.clone();
            match found {
                Err(e) => break Err(e),
                Ok(Found::Skipped) => {
                    if *self.stop.borrow() {
                        continue;
                    }
                }
                Ok(Found::Refused { why, requests }) => {
                    ran.requests += requests;
                    if refused.write().unwrap().insert(t) {
                        self.watch
                            .reporter()
                            .warn(&format!("{rtype} is left out: {why}"));
                        let e = CrawlEvent::Refused {
                            t: rtype.clone(),
                            why,
                        };
                        w.journal.append(&e)?;
                        state.apply(e).map_err(Error::usage)?;
                    }
                }
                Ok(Found::Resources {
                    lines,
                    requests,
                    bytes,
                    problems,
                }) => {
                    ran.requests += requests;
                    ran.fetched += bytes;
                    ran.problems.extend(problems);
                    // No file for a type nothing was found of, as in a bulk export.
                    if !lines.is_empty() {
                        let mark = state.files.get(&rtype).copied().unwrap_or_default();
                        let out = w.out(&rtype, mark)?;
                        for (id, line) in lines {
                            if !out.ids.insert(id) {
                                continue;
                            }
                            out.file
                                .write_all(&line)
                                .and_then(|()| out.file.write_all(b"\n"))
                                .map_err(|e| {
                                    Error::usage(format!(
                                        "cannot write {}: {e}",
                                        out.path.display()
                                    ))
                                })?;
                            out.mark.len += line.len() as u64 + 1;
                            out.mark.count += 1;
                            out.dirty = true;
                            ran.written += 1;
                            ran.written_bytes += line.len() as u64 + 1;
                            resources_seen += 1;
                        }
                    }
                    w.pending.push((p, t));
                }
            }
            let l = &mut left[p as usize];
            *l = l.saturating_sub(1);
            if *l == 0 {
                patients_done += 1;
            }
            if w.last.elapsed() >= BATCH {
                w.flush(state)?;
            }
            if shown.elapsed() >= Duration::from_millis(250) {
                shown = Instant::now();
                self.watch.job(&progress_line(
                    patients_done,
                    total,
                    resources_seen,
                    ran.written,
                    start.elapsed(),
                ));
            }
        };
        // Whatever happened, what finished is kept.
        w.flush(state)?;
        outcome?;
        ran.seconds = start.elapsed().as_secs_f64();
        Ok(ran)
    }
}

/// `crawling: 120 of 1000 patients, 34,512 resources (850/s)`.
pub fn progress_line(done: usize, total: usize, seen: u64, written: u64, took: Duration) -> String {
    let secs = took.as_secs_f64();
    let rate = if secs > 0.0 {
        written as f64 / secs
    } else {
        0.0
    };
    format!("crawling: {done} of {total} patients, {seen} resources ({rate:.0}/s)")
}

/// One search, every page: the resources of `rtype` it matched, as NDJSON
/// lines with their ids.
async fn search(fhir: &Fhir, gate: &Gate, first: Url, rtype: &str) -> Result<Found> {
    let mut url = first;
    let mut lines = Vec::new();
    let mut problems = Vec::new();
    let (mut requests, mut bytes) = (0u64, 0u64);
    loop {
        let req = Request::get(url);
        let resp = send(fhir, gate, &req).await?;
        requests += 1;
        bytes += resp.body.len() as u64;
        let what = fhir.describe(&req);
        if REFUSALS.contains(&resp.status.as_u16()) {
            let e = outcome::status_error(&what, &resp, &hide(fhir));
            return Ok(Found::Refused {
                why: e.message,
                requests,
            });
        }
        outcome::require_json(&what, &resp)?;
        let page = BundleView::parse(&what, &resp.body)?;
        for e in &page.entry {
            let Some(raw) = e.resource.filter(|_| e.mode() == Mode::Match) else {
                continue;
            };
            let text = raw.get();
            let ided: Ided = serde_json::from_str(text).unwrap_or(Ided {
                resource_type: None,
                id: None,
            });
            match (ided.resource_type.as_deref(), ided.id.as_deref()) {
                (Some(t), Some(id)) if t == rtype && super::names::is_fhir_id(id) => {
                    // One line per resource, whatever the server's layout.
                    let line = if memchr::memchr2(b'\n', b'\r', text.as_bytes()).is_some() {
                        serde_json::from_str::<serde_json::Value>(text)
                            .map(|v| v.to_string().into_bytes())
                            .unwrap_or_default()
                    } else {
                        text.as_bytes().to_vec()
                    };
                    lines.push((Box::from(id), line));
                }
                (t, id) if problems.len() < 5 => problems.push(format!(
                    "{what}: a match that is not a {rtype} with an id ({} {})",
                    crate::redact::printable(t.unwrap_or("no resourceType")),
                    crate::redact::printable(id.unwrap_or("no id"))
                )),
                _ => {}
            }
        }
        match page.next() {
            Some(n) => url = next_url(fhir, n)?,
            None => {
                return Ok(Found::Resources {
                    lines,
                    requests,
                    bytes,
                    problems,
                });
            }
        }
    }
}

/// A request through the gate; a 429 or 503 pauses every search for its
/// `Retry-After` (or a backoff) and is tried again.
async fn send(fhir: &Fhir, gate: &Gate, req: &Request) -> Result<Response> {
    let pass = [429, 503, 400, 403, 404, 405, 410, 501];
    let mut attempt = 0u32;
    loop {
        gate.pass().await;
        let resp = fhir.send_passing(req, &pass).await?;
        let status = resp.status.as_u16();
        if !retry::is_retryable(status) {
            return Ok(resp);
        }
        let what = fhir.describe(req);
        let ra = resp.headers.get(RETRY_AFTER).and_then(|v| v.to_str().ok());
        let wait = retry::delay(ra, attempt, SystemTime::now());
        if attempt + 1 >= THROTTLED_TRIES || wait > fhir.max_wait() {
            let mut e = outcome::status_error(&what, &resp, &hide(fhir));
            e.message
                .push_str(&format!(" (after {} tries)", attempt + 1));
            return Err(e.with_hint(
                "the server is throttling the crawl: --resume continues it; a lower --max-rate or --parallel asks less of it",
            ));
        }
        gate.pause(wait).await;
        attempt += 1;
    }
}

/// What an error message must not show: the token the request carried
/// (a server may echo it).
fn hide(fhir: &Fhir) -> Vec<String> {
    fhir.current_token()
        .map(|t| t.secret().clone())
        .into_iter()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_says_patients_done_of_total_and_resources_per_second() {
        assert_eq!(
            progress_line(120, 1000, 34_512, 1700, Duration::from_secs(2)),
            "crawling: 120 of 1000 patients, 34512 resources (850/s)"
        );
        assert_eq!(
            progress_line(0, 5, 0, 0, Duration::ZERO),
            "crawling: 0 of 5 patients, 0 resources (0/s)"
        );
    }
}
