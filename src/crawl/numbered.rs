//! Incremental exports into one directory (`--since auto`): each export in
//! a numbered subdirectory of its own (`DIR/001`, `DIR/002`, …) with its own
//! `log.ndjson`, and `DIR/latest`, a relative symlink to the newest finished
//! one. A new export never writes into an earlier one.
//!
//! Why a symlink and not an index file: whatever reads exports (Cumulus
//! ETL, a script, `ls`) opens `DIR/latest/Patient.1.ndjson` without knowing
//! anything about `smart`. smart itself never follows it: the directory is
//! data from disk, so the latest export is found by listing the numbered
//! subdirectories and reading their logs.
//!
//! "Finished" is what the export's own `log.ndjson` says: an
//! `export_complete` event, and the `transactionTime` of the
//! `status_complete` of the same `exportId` (a bulk export's, or a crawl's
//! start time) is where the next `--since auto` starts.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::{Error, Result};
use crate::event_log::LOG_FILE;

pub const LATEST: &str = "latest";

/// `001` … `999999`: a numbered export's directory name.
fn number(name: &str) -> Option<u32> {
    (name.len() >= 3 && name.len() <= 6 && name.bytes().all(|b| b.is_ascii_digit()))
        .then(|| name.parse().ok())
        .flatten()
}

/// The numbered exports in `dir`, in order (real directories only).
pub fn exports(dir: &Path) -> Vec<(u32, PathBuf)> {
    let mut out: Vec<(u32, PathBuf)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| {
            let n = number(e.file_name().to_str()?)?;
            Some((n, e.path()))
        })
        .collect();
    out.sort();
    out
}

/// The `transactionTime` an export in `dir` started from, if its log says
/// it finished.
pub fn finished(dir: &Path) -> Option<String> {
    let f = crate::bulk::safe_fs::open_read(&dir.join(LOG_FILE)).ok()?;
    let mut times: Vec<(String, String)> = Vec::new();
    let mut done: Option<String> = None;
    for line in std::io::BufReader::new(f)
        .split(b'\n')
        .map_while(std::result::Result::ok)
    {
        let Ok(v) = serde_json::from_slice::<Value>(&line) else {
            continue;
        };
        let id = v["exportId"].as_str().unwrap_or_default().to_owned();
        match v["eventId"].as_str() {
            Some("status_complete") => {
                if let Some(t) = v["eventDetail"]["transactionTime"].as_str() {
                    times.push((id, t.to_owned()));
                }
            }
            Some("export_complete") => done = Some(id),
            _ => {}
        }
    }
    let id = done?;
    times
        .into_iter()
        .rev()
        .find(|(i, _)| *i == id)
        .map(|(_, t)| t)
}

/// The newest finished numbered export in `dir`, if `dir` holds any.
pub fn latest(dir: &Path) -> Result<Option<PathBuf>> {
    Ok(exports(dir)
        .into_iter()
        .rev()
        .find(|(_, p)| finished(p).is_some())
        .map(|(_, p)| p))
}

/// Does `dir` hold one export of its own (not numbered): files a plain
/// `smart export --out DIR` leaves.
pub fn holds_plain_export(dir: &Path) -> bool {
    [
        LOG_FILE,
        crate::bulk::state::STATE_FILE,
        super::state::STATE_FILE,
    ]
    .iter()
    .any(|f| std::fs::symlink_metadata(dir.join(f)).is_ok())
}

/// Where the next export of an incremental series goes, and where it
/// starts from.
#[derive(Debug)]
pub struct Next {
    pub dir: PathBuf,
    /// The previous finished export's start (`None`: there is none, so
    /// this one is whole).
    pub since: Option<String>,
    /// The finished exports before it.
    pub earlier: Vec<PathBuf>,
}

/// The next numbered export in `dir`. Refused when `dir` holds a plain
/// export (numbering it would move files a reader relies on) or when its
/// newest numbered export is not finished (it is resumed, not skipped).
pub fn next(dir: &Path) -> Result<Next> {
    if holds_plain_export(dir) {
        return Err(Error::usage(format!(
            "{} holds a single export, not numbered ones; --since auto keeps each export in a numbered subdirectory",
            dir.display()
        ))
        .with_hint("start incremental exports in a new directory, or give --since INSTANT"));
    }
    let all = exports(dir);
    if let Some((_, last)) = all.last()
        && finished(last).is_none()
    {
        return Err(
            Error::usage(format!("{} is not finished", last.display())).with_hint(format!(
                "`smart export --resume --out {}` finishes it (or remove it)",
                last.display()
            )),
        );
    }
    let n = all.last().map_or(1, |(n, _)| n + 1);
    let since = all.last().and_then(|(_, p)| finished(p));
    Ok(Next {
        dir: dir.join(format!("{n:03}")),
        since,
        earlier: all.into_iter().map(|(_, p)| p).collect(),
    })
}

/// The unfinished newest numbered export in `dir`, for `--resume --out DIR`.
pub fn unfinished(dir: &Path) -> Option<PathBuf> {
    exports(dir)
        .pop()
        .filter(|(_, p)| finished(p).is_none())
        .map(|(_, p)| p)
}

/// Points `dir/latest` at `export` (a subdirectory of it), atomically: a
/// new link beside it, renamed over the old one.
pub fn point_latest(dir: &Path, export: &Path) -> Result<()> {
    let Some(name) = export.file_name() else {
        return Ok(());
    };
    let link = dir.join(LATEST);
    let tmp = dir.join(format!(".{LATEST}.tmp"));
    let fail = |e: std::io::Error| {
        Error::usage(format!(
            "cannot point {} at {}: {e}",
            link.display(),
            export.display()
        ))
    };
    let _ = std::fs::remove_file(&tmp);
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(name, &tmp).map_err(fail)?;
        std::fs::rename(&tmp, &link).map_err(fail)?;
    }
    #[cfg(not(unix))]
    {
        // No unprivileged symlinks: a small file naming the latest.
        std::fs::write(&tmp, name.to_string_lossy().as_bytes()).map_err(fail)?;
        std::fs::rename(&tmp, &link).map_err(fail)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(dir: &Path, lines: &[(&str, &str, Value)]) {
        std::fs::create_dir_all(dir).unwrap();
        let text: String = lines
            .iter()
            .map(|(id, ev, d)| {
                format!(
                    "{}\n",
                    serde_json::json!({"exportId": id, "eventId": ev, "eventDetail": d})
                )
            })
            .collect();
        std::fs::write(dir.join(LOG_FILE), text).unwrap();
    }

    #[test]
    fn numbered_exports_their_since_and_the_next_number() {
        let d = tempfile::tempdir().unwrap();
        let n = next(d.path()).unwrap();
        assert_eq!(
            (n.dir.clone(), n.since.clone()),
            (d.path().join("001"), None)
        );
        let t = serde_json::json!({"transactionTime": "2025-01-01T00:00:00Z"});
        log(
            &d.path().join("001"),
            &[
                ("a", "status_complete", t.clone()),
                ("a", "export_complete", serde_json::json!({})),
            ],
        );
        let n = next(d.path()).unwrap();
        assert_eq!(n.dir, d.path().join("002"));
        assert_eq!(n.since.as_deref(), Some("2025-01-01T00:00:00Z"));
        // Unfinished: resumed, not skipped.
        log(&d.path().join("002"), &[("b", "status_complete", t)]);
        assert!(next(d.path()).unwrap_err().message.contains("not finished"));
        assert_eq!(unfinished(d.path()), Some(d.path().join("002")));
        point_latest(d.path(), &d.path().join("001")).unwrap();
        assert_eq!(latest(d.path()).unwrap(), Some(d.path().join("001")));
        #[cfg(unix)]
        assert_eq!(
            std::fs::read_link(d.path().join(LATEST)).unwrap(),
            PathBuf::from("001")
        );
    }

    #[test]
    fn a_plain_export_is_not_numbered_over() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join(LOG_FILE), "").unwrap();
        assert!(
            next(d.path())
                .unwrap_err()
                .message
                .contains("single export")
        );
    }
}
