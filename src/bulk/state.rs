//! `DIR/.smart-export.json`: the job and each file's state, written
//! atomically (temp file, fsync, rename) at every step that matters — after
//! the kick-off, when the manifest arrives, when a file starts and when it
//! is complete — so that `--resume` after a crash, a kill or Ctrl-C goes on
//! without a new kick-off. Bytes of a file being downloaded are in its
//! `.part` file, whose size on disk is the truth about them.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::manifest::{Manifest, Part, Planned};
use super::ndjson::Check;
use crate::error::{Error, Result};
use crate::fsutil::{Access, Durable, Replace, write_atomically_as};

pub const STATE_FILE: &str = ".smart-export.json";

/// Bumped when the layout changes incompatibly.
const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub v: u32,
    /// The FHIR base the job was started on: a resume elsewhere is refused.
    pub fhir_base: String,
    /// The status URL (`Content-Location` of the kick-off).
    pub job: String,
    /// The kick-off request, `GET /fhir/$export?…` or `POST /fhir/$export`.
    pub request: String,
    /// Unix seconds.
    pub started_at: u64,
    pub gzip: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest: Option<Manifest>,
    /// The manifest's `Expires` header, when it sent one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    #[serde(default)]
    pub files: Vec<FileState>,
    /// Every file is complete.
    #[serde(default)]
    pub complete: bool,
    /// The requested `_type`s of an `organizeOutputBy` export, whose files
    /// mix them: what their lines are checked against (empty: any type).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub types: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileState {
    pub part: Part,
    #[serde(rename = "type")]
    pub rtype: String,
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// Under DIR, without the `.gz` that a compressed answer adds.
    pub name: String,
    /// The answer said `Accept-Ranges: bytes`: a `.part` left behind can be
    /// continued with `Range`.
    #[serde(default)]
    pub ranges: bool,
    /// `ETag` (or else `Last-Modified`) of the answer, sent as `If-Range`
    /// so that a file that changed is fetched whole instead of spliced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validator: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done: Option<Done>,
}

/// A complete file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Done {
    /// Under DIR, as saved (`Patient.1.ndjson` or `Patient.1.ndjson.gz`).
    pub path: String,
    pub bytes: u64,
    pub check: Check,
}

impl FileState {
    pub fn planned(p: &Planned) -> FileState {
        FileState {
            part: p.part,
            rtype: p.rtype.clone(),
            url: p.url.to_string(),
            count: p.count,
            name: p.name.clone(),
            ranges: false,
            validator: None,
            done: None,
        }
    }

    /// The temp file the download streams into, beside the final one.
    pub fn part_path(&self, dir: &Path) -> PathBuf {
        let final_path = dir.join(&self.name);
        let file = final_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        final_path.with_file_name(format!(".{file}.part"))
    }
}

impl State {
    pub fn new(fhir_base: &str, job: &str, request: &str, started_at: u64, gzip: bool) -> State {
        State {
            v: VERSION,
            fhir_base: fhir_base.to_owned(),
            job: job.to_owned(),
            request: request.to_owned(),
            started_at,
            gzip,
            manifest: None,
            expires: None,
            files: Vec::new(),
            complete: false,
            types: Vec::new(),
        }
    }

    pub fn path(dir: &Path) -> PathBuf {
        dir.join(STATE_FILE)
    }

    /// The state in `dir`, if there is one.
    pub fn load(dir: &Path) -> Result<Option<State>> {
        let path = State::path(dir);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(Error::usage(format!("cannot read {}: {e}", path.display())));
            }
        };
        let state: State = serde_json::from_str(&text).map_err(|e| {
            Error::usage(format!(
                "{} is not an export state file ({e})",
                path.display()
            ))
            .with_hint("remove it to start a new export in that directory")
        })?;
        if state.v != VERSION {
            return Err(Error::usage(format!(
                "{} was written by another version of smart (v{})",
                path.display(),
                state.v
            ))
            .with_hint("finish it with that version, or remove it to start a new export"));
        }
        Ok(Some(state))
    }

    /// Written atomically and durably, mode 0600 (the job URL may be a
    /// capability).
    pub fn save(&self, dir: &Path) -> Result<()> {
        self.save_as(dir, Durable::Yes)
    }

    /// [`State::save`] without fsync, for what a power loss may take back
    /// at the price of work done again (a file's `Accept-Ranges` and
    /// validator, saved as each download starts).
    pub fn save_as(&self, dir: &Path, durable: Durable) -> Result<()> {
        let path = State::path(dir);
        let mut bytes = serde_json::to_vec_pretty(self).expect("state serializes");
        bytes.push(b'\n');
        write_atomically_as(&path, &bytes, Access::Private, Replace::Yes, durable)
            .map_err(|e| Error::usage(format!("cannot write {}: {e}", path.display())))
    }

    /// Removes the state file and the `.part` files of unfinished
    /// downloads (after a cancel); complete files stay.
    pub fn remove(&self, dir: &Path) -> Result<()> {
        for f in self.files.iter().filter(|f| f.done.is_none()) {
            let _ = std::fs::remove_file(f.part_path(dir));
        }
        match std::fs::remove_file(State::path(dir)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::usage(format!(
                "cannot remove {}: {e}",
                State::path(dir).display()
            ))),
        }
    }

    /// The files of a `previous` export into the same directory that this
    /// one will not write over: they would pass for part of it.
    pub fn leftovers_of(&self, previous: &State) -> Vec<String> {
        let ours: std::collections::HashSet<String> = self
            .files
            .iter()
            .flat_map(|f| [f.name.clone(), format!("{}.gz", f.name)])
            .collect();
        previous
            .files
            .iter()
            .filter_map(|f| f.done.as_ref())
            .map(|d| d.path.clone())
            .filter(|p| !ours.contains(p))
            .collect()
    }

    /// Records the manifest and the files it lists (fresh: none done).
    pub fn set_manifest(&mut self, m: Manifest, planned: &[Planned], expires: Option<String>) {
        self.files = planned.iter().map(FileState::planned).collect();
        self.manifest = Some(m);
        self.expires = expires;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bulk::manifest::Manifest;

    fn sample() -> State {
        let m = Manifest::parse(
            "x",
            br#"{"transactionTime":"2024-01-01T00:00:00Z","request":"r","requiresAccessToken":true,
                 "output":[{"type":"Patient","url":"http://h/fhir/$export-file/j/Patient.1.ndjson","count":3}],
                 "error":[{"type":"OperationOutcome","url":"http://h/fhir/$export-file/j/OperationOutcome.1.ndjson"}]}"#,
        )
        .unwrap();
        let plan = m.plan().unwrap();
        let mut s = State::new(
            "http://h/fhir",
            "http://h/fhir/$export-status/j",
            "GET /fhir/$export",
            1_700_000_000,
            false,
        );
        s.set_manifest(m, &plan, Some("Mon, 01 Jan 2024 01:00:00 GMT".into()));
        s.files[0].ranges = true;
        s.files[0].validator = Some("\"v1\"".into());
        let check = Check {
            resources: 3,
            by_type: [("Patient".to_owned(), 3)].into(),
            ..Check::default()
        };
        s.files[0].done = Some(Done {
            path: "Patient.1.ndjson".into(),
            bytes: 120,
            check,
        });
        s
    }

    #[test]
    fn state_round_trips_through_its_file() {
        let d = tempfile::tempdir().unwrap();
        assert_eq!(State::load(d.path()).unwrap(), None);
        let s = sample();
        s.save(d.path()).unwrap();
        assert_eq!(State::load(d.path()).unwrap(), Some(s.clone()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(State::path(d.path()))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // Saving again replaces it whole.
        let mut s2 = s;
        s2.complete = true;
        s2.save(d.path()).unwrap();
        assert!(State::load(d.path()).unwrap().unwrap().complete);
    }

    #[test]
    fn a_damaged_or_foreign_state_file_is_a_usage_error() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(State::path(d.path()), "{\"v\":1,").unwrap();
        let e = State::load(d.path()).unwrap_err();
        assert_eq!(e.kind, crate::error::Kind::Usage);
        assert!(
            e.message.contains("not an export state file"),
            "{}",
            e.message
        );
        let mut v = serde_json::to_value(sample()).unwrap();
        v["v"] = 99.into();
        std::fs::write(State::path(d.path()), v.to_string()).unwrap();
        assert!(
            State::load(d.path())
                .unwrap_err()
                .message
                .contains("another version")
        );
    }

    #[test]
    fn a_new_export_knows_which_files_of_the_previous_one_it_leaves() {
        let previous = sample();
        let mut next = sample();
        assert!(next.leftovers_of(&previous).is_empty(), "same names");
        next.files.remove(0);
        assert_eq!(next.leftovers_of(&previous), ["Patient.1.ndjson"]);
    }

    #[test]
    fn part_files_sit_beside_their_final_names() {
        let s = sample();
        let d = Path::new("/out");
        assert_eq!(
            s.files[0].part_path(d),
            Path::new("/out/.Patient.1.ndjson.part")
        );
        assert_eq!(
            s.files[1].part_path(d),
            Path::new("/out/error/.OperationOutcome.1.ndjson.part")
        );
    }

    #[test]
    fn remove_keeps_complete_files() {
        let d = tempfile::tempdir().unwrap();
        let s = sample();
        s.save(d.path()).unwrap();
        std::fs::write(d.path().join("Patient.1.ndjson"), "x").unwrap();
        std::fs::create_dir_all(d.path().join("error")).unwrap();
        let part = s.files[1].part_path(d.path());
        std::fs::write(&part, "half").unwrap();
        s.remove(d.path()).unwrap();
        assert!(!State::path(d.path()).exists());
        assert!(!part.exists());
        assert!(d.path().join("Patient.1.ndjson").exists());
    }
}
