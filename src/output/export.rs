//! `smart export`'s reports: the summary (stderr for people, since the
//! files are the product; `--json` on stdout), `--status` and `--cancel`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::json;

use super::print_json;
use crate::bulk::hydrate::Report as HydrationReport;
use crate::bulk::job::human_bytes;
use crate::bulk::manifest::Part;
use crate::bulk::status::Status;
use crate::bulk::summary::Summary;
use crate::error::Result;
use crate::redact::printable;

pub fn print_summary(s: &Summary, json: bool) -> Result<()> {
    if json {
        return print_json(s);
    }
    eprint!("{}", summary_text(s));
    if let Some(h) = &s.hydration {
        eprint!("{}", hydration_text(h));
    }
    Ok(())
}

/// `smart export --hydrate --out DIR` on its own.
pub fn print_hydration(r: &HydrationReport, json: bool) -> Result<()> {
    if json {
        return print_json(&serde_json::json!({ "hydration": r }));
    }
    eprint!("{}", hydration_text(r));
    Ok(())
}

pub fn hydration_text(r: &HydrationReport) -> String {
    let mut out = String::new();
    let n = r.fetched_total();
    let _ = writeln!(
        out,
        "Hydrated {} in {:.1} s: {n} referenced resource{} fetched into {} file{} ({} of {} referenced already there)",
        printable(&r.dir),
        r.seconds,
        plural(n as usize),
        r.files.len(),
        plural(r.files.len()),
        r.already_there,
        r.referenced
    );
    let width = r.fetched.keys().map(String::len).max().unwrap_or(0);
    for (t, count) in &r.fetched {
        let _ = writeln!(out, "  {:<width$}  {count:>9}", printable(t));
    }
    let mut misses = Vec::new();
    if r.not_found > 0 {
        misses.push(format!("{} not found", r.not_found));
    }
    if r.refused > 0 {
        misses.push(format!("{} refused (403)", r.refused));
    }
    if r.failed > 0 {
        misses.push(format!("{} failed", r.failed));
    }
    if r.off_base > 0 {
        misses.push(format!(
            "{} reference{} not on the FHIR base, not followed",
            r.off_base,
            plural(r.off_base as usize)
        ));
    }
    if !misses.is_empty() {
        let _ = writeln!(out, "  {}", misses.join("; "));
    }
    let a = &r.attachments;
    let _ = writeln!(
        out,
        "  Notes: {} inlined ({}) in {} file{}; {} already inlined, {} of other types, {} off the FHIR base, {} failed",
        a.inlined,
        human_bytes(a.bytes),
        a.files,
        plural(a.files as usize),
        a.already,
        a.other_type,
        a.off_base,
        a.failed
    );
    if !r.problems.is_empty() {
        let _ = writeln!(out, "  Not fetched:");
        for p in &r.problems {
            let _ = writeln!(out, "    {}", printable(p));
        }
    }
    out
}

/// The summary for people.
pub fn summary_text(s: &Summary) -> String {
    let mut out = String::new();
    let n = s.files;
    let rate = format!("{}/s", human_bytes(s.throughput as u64));
    let _ = write!(
        out,
        "Exported {n} file{} into {}: {}",
        plural(n),
        printable(&s.dir),
        human_bytes(s.bytes)
    );
    if s.transferred == s.bytes {
        let _ = writeln!(
            out,
            " in {:.1} s (downloads {:.1} s, {rate})",
            s.seconds, s.download_seconds
        );
    } else {
        let _ = writeln!(
            out,
            ", {} of it fetched by this run in {:.1} s (downloads {:.1} s, {rate})",
            human_bytes(s.transferred),
            s.seconds,
            s.download_seconds
        );
    }
    let mut files_per_type: BTreeMap<&str, usize> = BTreeMap::new();
    for f in s.file_list.iter().filter(|f| f.part == Part::Output) {
        *files_per_type.entry(f.rtype.as_str()).or_default() += 1;
    }
    let width = s.resources.keys().map(String::len).max().unwrap_or(0);
    for (t, count) in &s.resources {
        let files = files_per_type.get(t.as_str()).copied().unwrap_or(0);
        let _ = writeln!(
            out,
            "  {:<width$}  {count:>9} resources in {files} file{}",
            printable(t),
            plural(files)
        );
    }
    let e = &s.errors;
    if e.files > 0 {
        let _ = writeln!(
            out,
            "  The server's error files ({} under error/): {} issue{}, {} of them errors",
            e.files,
            e.issues,
            plural(e.issues as usize),
            e.errors
        );
        for i in &e.top {
            let _ = writeln!(out, "    {:>6}× {}", i.count, i.line);
        }
    }
    if !s.problems.is_empty() {
        let _ = writeln!(out, "  Files that do not check out:");
        for p in &s.problems {
            let _ = writeln!(out, "    {}", printable(p));
        }
    }
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// ` after N s` for a server's `Retry-After` that makes sense; nothing for
/// one that does not (never echoed as a wait).
fn asked_wait(retry_after: Option<&str>) -> String {
    match crate::bulk::status::read_retry_after(retry_after, std::time::SystemTime::now()) {
        crate::bulk::status::RetryAfter::Wait(d) => format!(" after {} s", d.as_secs()),
        _ => String::new(),
    }
}

/// `--status`: what one poll found; `downloaded` when the files are all
/// in DIR already.
pub fn print_status(job: &str, status: &Status, downloaded: bool, json: bool) -> Result<()> {
    let (value, text) = match status {
        Status::InProgress {
            progress,
            retry_after,
        } => (
            json!({"job": job, "status": "in-progress", "progress": progress, "retry_after": retry_after}),
            format!(
                "in progress: {}",
                progress
                    .as_deref()
                    .unwrap_or("(the server gives no progress)")
            ),
        ),
        Status::Throttled {
            status,
            retry_after,
        } => (
            json!({"job": job, "status": "throttled", "http_status": status, "retry_after": retry_after}),
            format!(
                "the server answered {status} (polled too often or busy); ask again{}",
                asked_wait(retry_after.as_deref())
            ),
        ),
        Status::Transient {
            status,
            retry_after,
            issue,
        } => (
            json!({"job": job, "status": "transient-error", "http_status": status, "issue": issue, "retry_after": retry_after}),
            format!(
                "the server answered {status} with a transient error ({}): the job goes on; ask again{}",
                printable(issue),
                asked_wait(retry_after.as_deref())
            ),
        ),
        Status::Complete { manifest, expires } => {
            let mut per_type: BTreeMap<&str, u64> = BTreeMap::new();
            for e in &manifest.output {
                let t = match e.rtype.as_str() {
                    "" => crate::bulk::manifest::MIXED,
                    t => t,
                };
                *per_type.entry(t).or_default() += e.count.unwrap_or(0);
            }
            let errors = manifest.error.len() + manifest.outcome.len();
            let types: Vec<String> = per_type
                .iter()
                .map(|(t, n)| format!("{} {n}", printable(t)))
                .collect();
            (
                json!({"job": job, "status": "complete", "transaction_time": manifest.transaction_time,
                       "expires": expires, "output": manifest.output.len(), "error": errors,
                       "resources": per_type, "downloaded": downloaded}),
                format!(
                    "complete: {} file{} ({}), {} error file{}; {}",
                    manifest.output.len(),
                    plural(manifest.output.len()),
                    if types.is_empty() {
                        "no resources".to_owned()
                    } else {
                        types.join(", ")
                    },
                    errors,
                    plural(errors),
                    if downloaded {
                        "all downloaded"
                    } else {
                        "`--resume` downloads them"
                    }
                ),
            )
        }
    };
    if json {
        return print_json(&value);
    }
    outln!("{text}");
    outln!("job: {}", crate::redact::url_str(job));
    Ok(())
}

/// `--cancel`: `known` is false when the server no longer knew the job.
pub fn print_cancelled(job: &str, known: bool, json: bool) -> Result<()> {
    if json {
        return print_json(&json!({"job": job, "cancelled": true, "known_to_server": known}));
    }
    if known {
        outln!(
            "Cancelled the export job {}; its saved state is removed",
            crate::redact::url_str(job)
        );
    } else {
        outln!(
            "The server no longer knows the export job {}; its saved state is removed",
            crate::redact::url_str(job)
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bulk::summary::{ErrorDigest, FileSummary, IssueCount};

    fn file(path: &str, part: Part, rtype: &str, resources: u64) -> FileSummary {
        FileSummary {
            path: path.into(),
            part,
            rtype: rtype.into(),
            resources,
            expected: Some(resources),
            bytes: 100,
        }
    }

    #[test]
    fn the_summary_names_types_errors_and_problems() {
        let s = Summary {
            job: "http://h/fhir/$export-status/1".into(),
            transaction_time: "t".into(),
            dir: "out".into(),
            files: 4,
            file_list: vec![
                file("Patient.1.ndjson", Part::Output, "Patient", 10),
                file("Observation.1.ndjson", Part::Output, "Observation", 7),
                file("Observation.2.ndjson", Part::Output, "Observation", 3),
                file(
                    "error/OperationOutcome.1.ndjson",
                    Part::Error,
                    "OperationOutcome",
                    1,
                ),
            ],
            resources: [("Observation".to_owned(), 10), ("Patient".to_owned(), 10)].into(),
            bytes: 4096,
            transferred: 4096,
            seconds: 2.5,
            download_seconds: 2.0,
            throughput: 2048.0,
            problems: vec!["Patient.1.ndjson: 9 resources, but the manifest says 10".into()],
            errors: ErrorDigest {
                files: 1,
                errors: 1,
                issues: 1,
                top: vec![IssueCount {
                    line: "error [processing] no".into(),
                    count: 1,
                }],
            },
            hydration: None,
        };
        let text = summary_text(&s);
        assert_eq!(
            text,
            "Exported 4 files into out: 4.0 KiB in 2.5 s (downloads 2.0 s, 2.0 KiB/s)\n\
             \x20 Observation         10 resources in 2 files\n\
             \x20 Patient             10 resources in 1 file\n\
             \x20 The server's error files (1 under error/): 1 issue, 1 of them errors\n\
             \x20        1× error [processing] no\n\
             \x20 Files that do not check out:\n\
             \x20   Patient.1.ndjson: 9 resources, but the manifest says 10\n"
        );
    }
}
