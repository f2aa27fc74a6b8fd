//! Hydration (`smart export --hydrate`): what an export leaves out, fetched
//! afterwards into its directory, whatever made it (a bulk export, a crawl):
//!
//! - `refs`: which references name what is missing (Medication, Practitioner,
//!   PractitionerRole, Organization, Location; Observations of
//!   `DiagnosticReport.result` and `Observation.hasMember`), and which may be
//!   followed (only `[base]/Type/id`: the token stays on the FHIR base);
//! - `fetch`: reading them, `parallel` at a time, each once;
//! - `attachments`: notes inlined into DocumentReference and DiagnosticReport;
//! - `layout`: the directory's data files and the new files beside them.
//!
//! Idempotent rather than journaled: what is on disk is the record. A
//! second run finds every reference already there and every note already
//! inlined, and fetches nothing; a run stopped midway left only whole
//! files (at most [`layout::FILE_LINES`] resources per file are lost, and
//! fetched again next time).
//!
//! References of fetched resources are followed too (a PractitionerRole's
//! Organization and Location, a Location's managing Organization), for at
//! most [`MAX_ROUNDS`] rounds, so that a server's chain of `partOf` cannot
//! keep a run going.

pub mod attachments;
pub mod fetch;
pub mod layout;
#[cfg(test)]
mod proptests;
pub mod refs;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;
use serde_json::{Value, json};

use crate::discovery::FhirBase;
use crate::error::{Error, Result};
use crate::event_log::{EventId, EventLog, LOG_FILE};
use crate::fhir::client::Fhir;
use crate::reporter::Reporter;

/// Rounds of fetching: the exported resources' references, then those of
/// what the first round fetched, then one level more.
pub const MAX_ROUNDS: usize = 3;

/// Problems listed in the report (all are counted).
const KEEP_PROBLEMS: usize = 20;

pub struct Options {
    pub parallel: usize,
    pub attachments: attachments::Rules,
    pub reporter: Reporter,
}

/// What a hydration did, for the summary and `--json`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub dir: String,
    /// Distinct `Type/id` references on the FHIR base.
    pub referenced: u64,
    /// Of those, already in DIR.
    pub already_there: u64,
    /// Fetched by this run, per type.
    pub fetched: BTreeMap<String, u64>,
    pub not_found: u64,
    pub refused: u64,
    pub failed: u64,
    /// References (occurrences) not followed: not `[base]/Type/id`.
    pub off_base: u64,
    pub rounds: usize,
    pub files: Vec<Written>,
    pub attachments: attachments::Tally,
    pub problems: Vec<String>,
    pub seconds: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Written {
    pub path: String,
    #[serde(rename = "type")]
    pub rtype: String,
    pub resources: u64,
}

impl Report {
    pub fn fetched_total(&self) -> u64 {
        self.fetched.values().sum()
    }

    fn problem(&mut self, p: String) {
        if self.problems.len() < KEEP_PROBLEMS {
            self.problems
                .push(crate::redact::printable(&p).into_owned());
        }
    }
}

/// The `Type/id`s on disk, as 128-bit digests: an export of ten million
/// Observations is 160 MB of these, not a gigabyte of strings.
#[derive(Default)]
struct Seen(HashSet<u128>);

impl Seen {
    fn digest(key: &str) -> u128 {
        use std::hash::{Hash, Hasher};
        let half = |salt: u8| {
            // Fixed keys: the same key digests the same in every run.
            let mut h = std::hash::DefaultHasher::new();
            salt.hash(&mut h);
            key.hash(&mut h);
            h.finish()
        };
        (u128::from(half(0)) << 64) | u128::from(half(1))
    }

    fn insert(&mut self, key: &str) {
        self.0.insert(Self::digest(key));
    }

    fn contains(&self, key: &str) -> bool {
        self.0.contains(&Self::digest(key))
    }
}

/// What DIR holds, read once.
#[derive(Default)]
struct Scan {
    /// `Type/id` of the fetched types that are on disk.
    have: Seen,
    wanted: BTreeSet<String>,
    off_base: u64,
    note_files: Vec<PathBuf>,
    tally: attachments::Tally,
}

/// Reads every data file of DIR, a few files at a time on threads of
/// their own (JSON parsing is the cost of a run with nothing to fetch).
fn scan(dir: &Path, base: &FhirBase, rules: &attachments::Rules) -> Result<Scan> {
    let files = layout::data_files(dir)?;
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .clamp(1, 8)
        .min(files.len().max(1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let parts: Vec<Result<Scan>> = std::thread::scope(|sc| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                sc.spawn(|| {
                    let mut s = Scan::default();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(path) = files.get(i) else {
                            return Ok(s);
                        };
                        scan_file(path, base, rules, &mut s)?;
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| {
                w.join()
                    .unwrap_or_else(|_| Err(Error::usage("scanning DIR failed")))
            })
            .collect()
    });
    let mut all = Scan::default();
    for p in parts {
        let p = p?;
        all.have.0.extend(p.have.0);
        all.wanted.extend(p.wanted);
        all.off_base += p.off_base;
        all.note_files.extend(p.note_files);
        all.tally.add(&p.tally);
    }
    all.note_files.sort();
    Ok(all)
}

fn scan_file(path: &Path, base: &FhirBase, rules: &attachments::Rules, s: &mut Scan) -> Result<()> {
    let mut notes = false;
    for line in layout::reader(path)?.split(b'\n') {
        let line =
            line.map_err(|e| Error::usage(format!("cannot read {}: {e}", path.display())))?;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        // A line that is not JSON is the export's own check's business.
        let Ok(v) = serde_json::from_slice::<Value>(&line) else {
            continue;
        };
        if let (Some(t), Some(id)) = (
            v.get("resourceType").and_then(Value::as_str),
            v.get("id").and_then(Value::as_str),
        ) && refs::FETCHED.contains(&t)
        {
            s.have.insert(&format!("{t}/{id}"));
        }
        let found = refs::wanted(&v, base);
        s.off_base += found.off_base;
        s.wanted.extend(found.local);
        notes |= attachments::survey(&v, rules, base, &mut s.tally);
    }
    if notes {
        s.note_files.push(path.to_path_buf());
    }
    Ok(())
}

/// Hydrates DIR: the entry point for `smart export --hydrate` and for any
/// command that has just written an export directory (a crawl).
pub async fn run(dir: &Path, fhir: Arc<Fhir>, opts: &Options) -> Result<Report> {
    let start = Instant::now();
    let mut report = Report {
        dir: dir.display().to_string(),
        ..Report::default()
    };
    layout::sweep(dir)?;
    let base = fhir.on_base().clone();
    let (d, b, r) = (dir.to_path_buf(), base.clone(), opts.attachments.clone());
    let s = tokio::task::spawn_blocking(move || scan(&d, &b, &r))
        .await
        .map_err(|e| Error::usage(format!("reading {} failed: {e}", dir.display())))??;
    report.off_base = s.off_base;
    report.attachments = s.tally;
    let mut have = s.have;
    let mut wanted = s.wanted;
    let mut referenced: HashSet<String> = HashSet::new();
    for round in 0..MAX_ROUNDS {
        referenced.extend(wanted.iter().cloned());
        let missing: Vec<String> = wanted
            .iter()
            .filter(|k| !have.contains(k))
            .cloned()
            .collect();
        if round == 0 {
            report.already_there = (wanted.len() - missing.len()) as u64;
        }
        if missing.is_empty() {
            break;
        }
        report.rounds = round + 1;
        opts.reporter.note(&format!(
            "hydrating {}: {} referenced resource{} to fetch",
            dir.display(),
            missing.len(),
            if missing.len() == 1 { "" } else { "s" }
        ));
        let files = layout::data_files(dir)?;
        let b = fetch::batch(&fhir, dir, missing.clone(), opts.parallel, |t| {
            layout::next_number(&files, t)
        })
        .await?;
        // Tried once, whatever came of it: never again in this run.
        for k in &missing {
            have.insert(k);
        }
        for (t, n) in b.fetched {
            *report.fetched.entry(t).or_insert(0) += n;
        }
        report.not_found += b.not_found;
        report.refused += b.refused;
        report.failed += b.failed.len() as u64;
        for p in b.failed {
            report.problem(p);
        }
        for (name, n) in b.files {
            let rtype = name.split('.').next().unwrap_or_default().to_owned();
            report.files.push(Written {
                path: name,
                rtype,
                resources: n,
            });
        }
        report.off_base += b.off_base;
        wanted = b.wanted;
        wanted.retain(|k| !have.contains(k));
    }
    report.referenced = referenced.len() as u64;

    if !s.note_files.is_empty() {
        opts.reporter.note(&format!(
            "hydrating {}: inlining notes of {} file{}",
            dir.display(),
            s.note_files.len(),
            if s.note_files.len() == 1 { "" } else { "s" }
        ));
    }
    let mut problems = Vec::new();
    for f in &s.note_files {
        attachments::inline_file(
            &fhir,
            f,
            &opts.attachments,
            &mut report.attachments,
            &mut problems,
        )
        .await?;
    }
    for p in problems {
        report.problem(p);
    }
    report.seconds = start.elapsed().as_secs_f64();
    log(dir, &report, &opts.reporter);
    Ok(report)
}

/// One `hydration_complete` line in DIR's `log.ndjson`, under the export id
/// of the log's last line (the export hydrated), else a new one.
fn log(dir: &Path, r: &Report, reporter: &Reporter) {
    let id = last_export_id(&dir.join(LOG_FILE)).unwrap_or_else(crate::event_log::new_export_id);
    let done = EventLog::open(dir, &id).and_then(|l| {
        l.event(
            EventId::HydrationComplete,
            json!({
                "referenced": r.referenced,
                "alreadyThere": r.already_there,
                "fetched": r.fetched,
                "notFound": r.not_found,
                "refused": r.refused,
                "failed": r.failed,
                "offBase": r.off_base,
                "files": r.files.iter().map(|f| &f.path).collect::<Vec<_>>(),
                "attachments": r.attachments,
                "duration": (r.seconds * 1000.0) as u64,
            }),
        )
        .map_err(|e| Error::usage(format!("cannot write {}: {e}", l.path().display())))
    });
    if let Err(e) = done {
        reporter.note(&e.message);
    }
}

fn last_export_id(path: &Path) -> Option<String> {
    let f = crate::bulk::safe_fs::open_read(path).ok()?;
    let mut last = None;
    for line in std::io::BufReader::new(f)
        .lines()
        .map_while(std::io::Result::ok)
    {
        if let Ok(v) = serde_json::from_str::<Value>(&line)
            && let Some(id) = v.get("exportId").and_then(Value::as_str)
        {
            last = Some(id.to_owned());
        }
    }
    last
}

/// Removes what hydrations wrote into `dir` and their record: a new export
/// into DIR replaces the old one's files, and these went with it.
pub fn forget(dir: &Path) {
    for name in layout::recorded(dir) {
        let _ = crate::bulk::safe_fs::remove_if_there(&dir.join(name));
    }
    let _ = crate::bulk::safe_fs::remove_if_there(&dir.join(layout::RECORD_FILE));
}
