//! What an export produced, for the summary on stderr and `--json`: files,
//! resources per type, bytes, time and throughput, what did not check out,
//! and the issues of the server's error files, counted.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use super::download::count_mismatch;
use super::manifest::Part;
use super::state::State;

/// Distinct issue lines kept from the error files (all are counted).
const KEEP_ISSUES: usize = 20;

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub job: String,
    pub transaction_time: String,
    pub dir: String,
    /// How many files the export has (all complete).
    pub files: usize,
    pub file_list: Vec<FileSummary>,
    /// Resources per type in the output files.
    pub resources: BTreeMap<String, u64>,
    /// On disk, all files.
    pub bytes: u64,
    /// Transferred by this run.
    pub transferred: u64,
    /// The whole run, kick-off and polling included (set by the command).
    pub seconds: f64,
    /// This run's download phase: first file request to last byte.
    pub download_seconds: f64,
    /// Bytes per second transferred by this run's downloads.
    pub throughput: f64,
    /// Files that did not check out: bad lines, counts unlike the manifest's.
    pub problems: Vec<String>,
    pub errors: ErrorDigest,
    /// What `--hydrate` added after the export.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hydration: Option<super::hydrate::Report>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileSummary {
    pub path: String,
    pub part: Part,
    #[serde(rename = "type")]
    pub rtype: String,
    pub resources: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<u64>,
    pub bytes: u64,
}

/// The issues of the error files.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ErrorDigest {
    pub files: usize,
    /// Issues of severity error or fatal.
    pub errors: u64,
    pub issues: u64,
    /// The most frequent distinct issue lines, with their counts.
    pub top: Vec<IssueCount>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct IssueCount {
    pub line: String,
    pub count: u64,
}

impl Summary {
    /// From a state whose files are all complete.
    pub fn of(state: &State, dir: &Path, transferred: u64, took: Duration) -> Summary {
        let mut files = Vec::new();
        let mut resources = BTreeMap::new();
        let mut problems = Vec::new();
        let mut bytes = 0;
        let mut error_paths = Vec::new();
        for f in &state.files {
            let Some(d) = &f.done else { continue };
            bytes += d.bytes;
            if f.part == Part::Output {
                for (t, n) in d.check.by_type.iter() {
                    match resources.get_mut(t) {
                        Some(c) => *c += n,
                        None => {
                            resources.insert(t.to_owned(), n);
                        }
                    }
                }
            }
            if f.part == Part::Error {
                error_paths.push(dir.join(&d.path));
            }
            for p in &d.check.problems {
                problems.push(format!("{}: {p}", d.path));
            }
            let hidden = d
                .check
                .bad_lines
                .saturating_sub(d.check.problems.len() as u64);
            if hidden > 0 {
                problems.push(format!("{}: {hidden} more lines like these", d.path));
            }
            problems.extend(count_mismatch(f, &d.check));
            files.push(FileSummary {
                path: d.path.clone(),
                part: f.part,
                rtype: f.rtype.clone(),
                resources: d.check.resources,
                expected: f.count,
                bytes: d.bytes,
            });
        }
        let secs = took.as_secs_f64();
        Summary {
            job: state.job.clone(),
            transaction_time: state
                .manifest
                .as_ref()
                .map(|m| m.transaction_time.clone())
                .unwrap_or_default(),
            dir: dir.display().to_string(),
            files: files.len(),
            file_list: files,
            resources,
            bytes,
            transferred,
            seconds: secs,
            download_seconds: secs,
            throughput: if secs > 0.0 {
                transferred as f64 / secs
            } else {
                0.0
            },
            problems,
            errors: digest(&error_paths),
            hydration: None,
        }
    }
}

/// Reads the error files (OperationOutcome per line, gzip or not) and
/// counts their issues by line.
pub fn digest(paths: &[std::path::PathBuf]) -> ErrorDigest {
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut d = ErrorDigest {
        files: paths.len(),
        ..ErrorDigest::default()
    };
    for p in paths {
        let Ok(file) = std::fs::File::open(p) else {
            continue;
        };
        let reader: Box<dyn BufRead> = if p.extension().is_some_and(|e| e == "gz") {
            Box::new(std::io::BufReader::new(flate2::read::MultiGzDecoder::new(
                file,
            )))
        } else {
            Box::new(std::io::BufReader::new(file))
        };
        for line in reader.split(b'\n').map_while(std::result::Result::ok) {
            let Some(o) = crate::fhir::outcome::parse_outcome(&line) else {
                continue;
            };
            for issue in crate::fhir::outcome::issue_lines(&o) {
                d.issues += 1;
                if issue.starts_with("error ") || issue.starts_with("fatal ") {
                    d.errors += 1;
                }
                // The server's words: short and printable, so that a
                // hostile file cannot flood memory or drive the terminal.
                let shown: String = issue.chars().take(200).collect();
                let shown = crate::redact::printable(&shown).into_owned();
                if let Some(c) = counts.get_mut(&shown) {
                    *c += 1;
                } else if counts.len() < 10_000 {
                    counts.insert(shown, 1);
                }
            }
        }
    }
    let mut top: Vec<IssueCount> = counts
        .into_iter()
        .map(|(line, count)| IssueCount { line, count })
        .collect();
    top.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.line.cmp(&b.line)));
    top.truncate(KEEP_ISSUES);
    d.top = top;
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_files_are_counted_by_issue() {
        let d = tempfile::tempdir().unwrap();
        let a = d.path().join("OperationOutcome.1.ndjson");
        let oo = |sev: &str, text: &str| {
            format!(
                r#"{{"resourceType":"OperationOutcome","issue":[{{"severity":"{sev}","code":"processing","diagnostics":"{text}"}}]}}"#
            )
        };
        std::fs::write(
            &a,
            format!(
                "{}\n{}\n{}\nnot json\n",
                oo("error", "Observation 7 failed"),
                oo("error", "Observation 7 failed"),
                oo("warning", "slow")
            ),
        )
        .unwrap();
        let g = d.path().join("OperationOutcome.2.ndjson.gz");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut enc, format!("{}\n", oo("fatal", "gone")).as_bytes())
            .unwrap();
        std::fs::write(&g, enc.finish().unwrap()).unwrap();
        let dg = digest(&[a, g]);
        assert_eq!((dg.files, dg.issues, dg.errors), (2, 4, 3));
        assert_eq!(
            dg.top[0],
            IssueCount {
                line: "error [processing] Observation 7 failed".into(),
                count: 2
            }
        );
        assert_eq!(dg.top.len(), 3);
    }
}
