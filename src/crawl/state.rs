//! `DIR/.smart-crawl.json` and `DIR/.smart-crawl.journal`: a crawl's
//! snapshot (the cohort, the types, the window — fixed at the start, so a
//! resume crawls the same searches) and what finished since, in the same
//! snapshot-plus-journal shape as a bulk export's state
//! ([`crate::bulk::journal`]): a batch of finished patient × type searches
//! is one appended line, written after their resources are synced to disk,
//! carrying each output file's length then. A resume cuts every file back
//! to the length the journal last vouched for — whatever a killed run
//! wrote after it goes, and its searches are made again — so no resource is
//! written twice.
//!
//! Like a bulk state, these files are data from disk: [`CrawlState::load`]
//! checks them (names, ids, indexes, lengths) before anything is acted on.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use super::names::is_type_name;
use super::names::{is_fhir_id, is_param_name};
use super::plan::TypePlan;
use crate::bulk::journal::{Journal, replay_file};
use crate::bulk::safe_fs;
use crate::error::{Error, Result};
use crate::fsutil::{Access, Replace, write_atomically};

pub const STATE_FILE: &str = ".smart-crawl.json";
pub const JOURNAL_FILE: &str = ".smart-crawl.journal";
const VERSION: u32 = 1;

/// An output file's length and resources, as last synced.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    pub len: u64,
    pub count: u64,
}

/// One journal line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CrawlEvent {
    /// These (patient, type) searches are complete and their resources
    /// synced; the files (by type) are this long now.
    Done {
        units: Vec<(u32, u16)>,
        files: BTreeMap<String, Mark>,
    },
    /// The server refused the searches of a type: reported, not retried.
    Refused { t: String, why: String },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CrawlState {
    pub v: u32,
    pub epoch: u64,
    pub fhir_base: String,
    /// The `exportId` of `DIR/log.ndjson`.
    pub export_id: String,
    /// `system`, `Group/x`, a file: for the log and the summary.
    pub cohort_source: String,
    /// When the crawl started, a FHIR instant: the next `--since auto`
    /// starts there (resources changed during the crawl are caught again).
    pub started: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    pub types: Vec<TypePlan>,
    pub patients: Vec<String>,
    /// Patients (indexes) no earlier export had: their whole history is
    /// crawled, not only what changed since `since`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub whole: Vec<u32>,
    /// The output files by type (after the end; during the crawl, the
    /// journal has them).
    #[serde(default)]
    pub files: BTreeMap<String, Mark>,
    #[serde(default)]
    pub refused: BTreeMap<String, String>,
    #[serde(default)]
    pub complete: bool,
    /// Finished units, from the journal (all of them once complete).
    #[serde(skip)]
    pub done: HashSet<(u32, u16)>,
    #[serde(skip)]
    journal_len: u64,
}

/// `Observation.1.ndjson`: a crawl writes one file per type.
pub fn file_name(rtype: &str) -> String {
    format!("{rtype}.1.ndjson")
}

impl CrawlState {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        fhir_base: &str,
        export_id: String,
        cohort_source: String,
        started: String,
        since: Option<String>,
        until: Option<String>,
        types: Vec<TypePlan>,
        patients: Vec<String>,
        whole: Vec<u32>,
    ) -> CrawlState {
        CrawlState {
            v: VERSION,
            epoch: 0,
            fhir_base: fhir_base.to_owned(),
            export_id,
            cohort_source,
            started,
            since,
            until,
            types,
            patients,
            whole,
            files: BTreeMap::new(),
            refused: BTreeMap::new(),
            complete: false,
            done: HashSet::new(),
            journal_len: 0,
        }
    }

    pub fn path(dir: &Path) -> PathBuf {
        dir.join(STATE_FILE)
    }

    fn journal_path(dir: &Path) -> PathBuf {
        dir.join(JOURNAL_FILE)
    }

    /// The crawl saved in `dir` with its journal applied and checked, if
    /// there is one.
    pub fn load(dir: &Path) -> Result<Option<CrawlState>> {
        let path = Self::path(dir);
        let refused = |why: String| {
            Error::usage(format!("{} is refused: {why}", path.display())).with_hint(
                "it was not written by smart for this crawl; remove the directory's .smart-crawl.* files to start a new one there",
            )
        };
        let text = match safe_fs::read_if_there(&path) {
            Ok(Some(text)) => text,
            Ok(None) => {
                if std::fs::symlink_metadata(Self::journal_path(dir)).is_ok() {
                    return Err(refused(format!(
                        "no {STATE_FILE}, but a {JOURNAL_FILE} beside it"
                    )));
                }
                return Ok(None);
            }
            Err(e) => return Err(Error::usage(format!("cannot read {}: {e}", path.display()))),
        };
        let mut s: CrawlState = serde_json::from_slice(&text)
            .map_err(|e| refused(format!("not a crawl state file ({e})")))?;
        if s.v != VERSION {
            return Err(refused(format!(
                "written by another version of smart (v{})",
                s.v
            )));
        }
        let (events, whole) = replay_file::<CrawlEvent>(&Self::journal_path(dir), s.epoch)?;
        for e in events {
            s.apply(e).map_err(refused)?;
        }
        s.journal_len = whole;
        if s.complete {
            s.done = (0..s.patients.len() as u32)
                .flat_map(|p| (0..s.types.len() as u16).map(move |t| (p, t)))
                .collect();
        }
        s.check(dir).map_err(refused)?;
        Ok(Some(s))
    }

    pub fn apply(&mut self, e: CrawlEvent) -> std::result::Result<(), String> {
        match e {
            CrawlEvent::Done { units, files } => {
                for (p, t) in units {
                    if p as usize >= self.patients.len() || t as usize >= self.types.len() {
                        return Err(format!(
                            "its journal names search ({p}, {t}), which it does not plan"
                        ));
                    }
                    self.done.insert((p, t));
                }
                self.files.extend(files);
            }
            CrawlEvent::Refused { t, why } => {
                self.refused.insert(t, why);
            }
        }
        Ok(())
    }

    /// Names and ids that may go into file names and searches; files no
    /// shorter than the journal says (a shorter one was changed by someone
    /// else, and cutting it back would not make it right).
    fn check(&self, dir: &Path) -> std::result::Result<(), String> {
        if !url::Url::parse(&self.fhir_base).is_ok_and(|u| matches!(u.scheme(), "http" | "https")) {
            return Err("its FHIR base is not an http(s) URL".into());
        }
        for t in &self.types {
            if !is_type_name(&t.name) || !(t.param == "_id" || is_param_name(&t.param)) {
                return Err(format!(
                    "its type `{}` or parameter `{}` is not a FHIR name",
                    crate::redact::printable(&t.name),
                    crate::redact::printable(&t.param)
                ));
            }
        }
        if let Some(bad) = self.patients.iter().find(|p| !is_fhir_id(p)) {
            return Err(format!(
                "its patient `{}` is not a FHIR id",
                crate::redact::printable(bad)
            ));
        }
        if self
            .whole
            .iter()
            .any(|&i| i as usize >= self.patients.len())
        {
            return Err("it names a patient it does not have".into());
        }
        for (t, m) in &self.files {
            if !is_type_name(t) {
                return Err(format!(
                    "its file type `{}` is not a FHIR name",
                    crate::redact::printable(t)
                ));
            }
            let on_disk = std::fs::symlink_metadata(dir.join(file_name(t)))
                .map(|md| md.len())
                .unwrap_or(0);
            if on_disk < m.len {
                return Err(format!(
                    "{} is shorter ({on_disk} bytes) than the crawl wrote ({} bytes)",
                    file_name(t),
                    m.len
                ));
            }
        }
        Ok(())
    }

    /// The snapshot, written atomically (0600) with a new epoch; the
    /// journal, whose lines it now holds, is removed.
    pub fn save(&mut self, dir: &Path) -> Result<()> {
        let path = Self::path(dir);
        safe_fs::not_a_link(&path)
            .map_err(|e| Error::usage(format!("cannot write {}: {e}", path.display())))?;
        self.epoch += 1;
        let mut bytes = serde_json::to_vec(self).expect("state serializes");
        bytes.push(b'\n');
        write_atomically(&path, &bytes, Access::Private, Replace::Yes)
            .map_err(|e| Error::usage(format!("cannot write {}: {e}", path.display())))?;
        let j = Self::journal_path(dir);
        match std::fs::remove_file(&j) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(Error::usage(format!("cannot remove {}: {e}", j.display())));
            }
            _ => {}
        }
        self.journal_len = 0;
        Ok(())
    }

    pub fn journal(&self, dir: &Path) -> Result<Journal<CrawlEvent>> {
        Journal::open_file(&Self::journal_path(dir), self.epoch, self.journal_len)
    }

    /// Is patient `p`'s search windowed by `since`?
    pub fn since_for(&self, p: u32) -> Option<&str> {
        match self.since.as_deref() {
            Some(s) if !self.whole.contains(&p) => Some(s),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fresh() -> CrawlState {
        CrawlState::new(
            "http://h/fhir",
            "id".into(),
            "system".into(),
            "2025-01-01T00:00:00Z".into(),
            None,
            None,
            vec![TypePlan {
                name: "Observation".into(),
                param: "patient".into(),
            }],
            vec!["p1".into(), "p2".into()],
            vec![],
        )
    }

    #[test]
    fn the_journal_replays_onto_the_snapshot_and_is_checked() {
        let d = tempfile::tempdir().unwrap();
        let mut s = fresh();
        s.save(d.path()).unwrap();
        std::fs::write(d.path().join("Observation.1.ndjson"), "{}\n{}\n").unwrap();
        let mut j = s.journal(d.path()).unwrap();
        j.append(&CrawlEvent::Done {
            units: vec![(1, 0)],
            files: [("Observation".to_string(), Mark { len: 3, count: 1 })].into(),
        })
        .unwrap();
        j.append(&CrawlEvent::Refused {
            t: "Observation".into(),
            why: "403".into(),
        })
        .unwrap();
        let back = CrawlState::load(d.path()).unwrap().unwrap();
        assert_eq!(back.done, [(1, 0)].into());
        assert_eq!(back.files["Observation"], Mark { len: 3, count: 1 });
        assert_eq!(back.refused["Observation"], "403");
        // A file shorter than the journal says is refused.
        std::fs::write(d.path().join("Observation.1.ndjson"), "{").unwrap();
        assert!(
            CrawlState::load(d.path())
                .unwrap_err()
                .message
                .contains("shorter")
        );
        // A unit out of range is refused.
        std::fs::write(d.path().join("Observation.1.ndjson"), "{}\n{}\n").unwrap();
        let mut j = back.journal(d.path()).unwrap();
        j.append(&CrawlEvent::Done {
            units: vec![(9, 0)],
            files: BTreeMap::new(),
        })
        .unwrap();
        assert!(
            CrawlState::load(d.path())
                .unwrap_err()
                .message
                .contains("does not plan")
        );
    }

    #[test]
    fn planted_names_are_refused() {
        let d = tempfile::tempdir().unwrap();
        let mut s = fresh();
        s.types[0].name = "../x".into();
        s.save(d.path()).unwrap();
        assert!(CrawlState::load(d.path()).is_err());
        let mut s = fresh();
        s.patients.push("a&b".into());
        s.save(d.path()).unwrap();
        assert!(CrawlState::load(d.path()).is_err());
    }
}
