//! `DIR/.smart-export.json`: the job and each file's state, so that
//! `--resume` after a crash, a kill or Ctrl-C goes on without a new
//! kick-off. It is a snapshot, written atomically (temp file, fsync, rename)
//! only at the steps that change the job — the kick-off, the manifest, the
//! end — and what happens in between (a file opened, a file complete, a page
//! of a partial manifest) is appended to the journal beside it
//! ([`super::journal`]): O(1) disk writes per file, not O(files). Bytes of a
//! file being downloaded are in its `.part` file, whose size on disk is the
//! truth about them.
//!
//! Both are data from disk, not trusted: [`State::load`] replays the journal
//! and then [`State::check`]s the result — the files must be exactly the ones
//! the saved manifest pages plan, under plain names inside DIR — so that a
//! planted state can neither write outside DIR nor send requests to URLs of
//! its choosing. (The job URL is checked by the command against the user's
//! own record of kick-offs, [`super::kickoffs`].)

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use url::Url;

pub use super::journal::Done;
use super::journal::{self, Event, Journal};
use super::manifest::{Manifest, Part, Planned};
use super::safe_fs;
use crate::error::{Error, Result};
use crate::fsutil::{Access, Replace, write_atomically_with};

pub const STATE_FILE: &str = ".smart-export.json";

/// Bumped when the layout changes incompatibly.
const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub v: u32,
    /// Which journal lines belong to this snapshot: bumped at every save,
    /// so that lines a newer snapshot already holds are not applied twice.
    #[serde(default)]
    pub epoch: u64,
    /// The FHIR base the job was started on: a resume elsewhere is refused.
    pub fhir_base: String,
    /// The status URL (`Content-Location` of the kick-off).
    pub job: String,
    /// The kick-off request, `GET /fhir/$export?…` or `POST /fhir/$export`.
    pub request: String,
    /// Unix seconds.
    pub started_at: u64,
    pub gzip: bool,
    /// The `exportId` of `DIR/log.ndjson`: every run of this export logs
    /// under the id of its kick-off.
    #[serde(default)]
    pub export_id: String,
    /// The kick-off asked `allowPartialManifests`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub partial: bool,
    /// The manifest (its first page, with partial manifests).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest: Option<Manifest>,
    /// The pages after the first, in order (partial manifests).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pages: Vec<Manifest>,
    /// The next page to fetch (`link` `next` of the last page).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
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
    /// The job was deleted at the server after the last file.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub job_deleted: bool,
    /// How much of the journal replay found whole (where appends go).
    #[serde(skip)]
    journal_len: u64,
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

/// Where a part's files go under DIR.
fn part_dir(part: Part) -> &'static str {
    match part {
        Part::Output => "",
        Part::Error => "error/",
        Part::Deleted => "deleted/",
    }
}

/// The files of `page`, numbered per type after the `existing` ones (a
/// partial manifest's second page goes on from `Patient.3.ndjson`).
pub fn plan_page(page: &Manifest, existing: &[FileState]) -> Result<Vec<FileState>> {
    let mut seen = Numbering::default();
    for f in existing {
        seen.count(f.part, &f.rtype);
    }
    let mut out = Vec::with_capacity(page.len());
    each_planned(page, &mut seen, |f| {
        out.push(f);
        Ok(())
    })?;
    Ok(out)
}

/// How many files of each part and type are numbered so far.
#[derive(Default)]
struct Numbering(HashMap<(Part, String), usize>);

impl Numbering {
    /// The number of one more file of `part` and `rtype`.
    fn count(&mut self, part: Part, rtype: &str) -> usize {
        let n = match self.0.get_mut(&(part, rtype.to_owned())) {
            Some(n) => n,
            None => self.0.entry((part, rtype.to_owned())).or_default(),
        };
        *n += 1;
        *n
    }
}

/// [`plan_page`], one file at a time, numbered after those `seen`.
fn each_planned(
    page: &Manifest,
    seen: &mut Numbering,
    mut each: impl FnMut(FileState) -> Result<()>,
) -> Result<()> {
    page.each_planned(|p| {
        let n = seen.count(p.part, &p.rtype);
        let mut f = FileState::planned(&p);
        // Files of mixed types (`organizeOutputBy`) are `output.<n>.ndjson`.
        let stem = match p.rtype.as_str() {
            crate::bulk::manifest::MIXED => "output",
            t => t,
        };
        f.name = format!("{}{stem}.{n}.ndjson", part_dir(p.part));
        each(f)
    })
}

/// Windows device names: a file called `CON.1.ndjson` or `nul.txt` there
/// is the device, not a file.
const DEVICES: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// Why `name` is not a plain file name (one path component that means the
/// same file on every system), if it is not.
pub fn not_plain(name: &str) -> Option<&'static str> {
    if name.is_empty() || name.len() > 200 {
        return Some("empty or too long");
    }
    if name.contains(['/', '\\']) {
        return Some("has a path separator");
    }
    if name.contains('\0') || name.chars().any(char::is_control) {
        return Some("has a control character");
    }
    if name.starts_with('.') {
        return Some("starts with a dot (`..`, or a hidden name)");
    }
    if name.ends_with(['.', ' ']) || name.contains([':', '*', '?', '"', '<', '>', '|']) {
        return Some("is not a valid file name on Windows");
    }
    let stem = name.split('.').next().unwrap_or(name).trim_end();
    if DEVICES.iter().any(|d| d.eq_ignore_ascii_case(stem)) {
        return Some("is a Windows device name");
    }
    None
}

/// `name` as a path under DIR: `[error/|deleted/]<plain name>`.
fn check_name(part: Part, name: &str) -> std::result::Result<(), String> {
    let plain = name
        .strip_prefix(part_dir(part))
        .ok_or_else(|| format!("`{}` is not under {}", printable(name), part_dir(part)))?;
    match not_plain(plain) {
        Some(why) => Err(format!("`{}` {why}", printable(name))),
        None => Ok(()),
    }
}

fn printable(s: &str) -> String {
    crate::redact::printable(&s.chars().take(80).collect::<String>()).into_owned()
}

impl State {
    pub fn new(fhir_base: &str, job: &str, request: &str, started_at: u64, gzip: bool) -> State {
        State {
            v: VERSION,
            epoch: 0,
            fhir_base: fhir_base.to_owned(),
            job: job.to_owned(),
            request: request.to_owned(),
            started_at,
            gzip,
            export_id: String::new(),
            partial: false,
            manifest: None,
            pages: Vec::new(),
            next: None,
            expires: None,
            files: Vec::new(),
            complete: false,
            types: Vec::new(),
            job_deleted: false,
            journal_len: 0,
        }
    }

    pub fn path(dir: &Path) -> PathBuf {
        dir.join(STATE_FILE)
    }

    /// The state in `dir` with its journal applied, if there is one: a
    /// state file that exists but cannot be read is an error, never "no
    /// export here" (a new kick-off would overwrite it), and so is one that
    /// fails [`State::check`].
    pub fn load(dir: &Path) -> Result<Option<State>> {
        let path = State::path(dir);
        let refused = |why: String| {
            Error::usage(format!("{} is refused: {why}", path.display())).with_hint(
                "it was not written by smart for this export; remove the directory's .smart-export.* files to start a new export there",
            )
        };
        let text = match safe_fs::read_if_there(&path) {
            Ok(Some(text)) => text,
            Ok(None) => {
                if journal::path(dir).exists() || safe_fs::is_symlink(&journal::path(dir)) {
                    return Err(refused(format!(
                        "no {STATE_FILE}, but a {} beside it",
                        journal::JOURNAL_FILE
                    )));
                }
                return Ok(None);
            }
            Err(e) => {
                return Err(Error::usage(format!("cannot read {}: {e}", path.display())));
            }
        };
        let mut state: State = serde_json::from_slice(&text).map_err(|e| {
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
        let (events, whole) = journal::replay(dir, state.epoch)?;
        for e in events {
            state.apply(e).map_err(refused)?;
        }
        state.journal_len = whole;
        state.check().map_err(refused)?;
        Ok(Some(state))
    }

    /// One journal event, as replay or a running download applies it.
    pub fn apply(&mut self, e: Event) -> std::result::Result<(), String> {
        let n = self.files.len();
        fn file(
            i: usize,
            n: usize,
            files: &mut [FileState],
        ) -> std::result::Result<&mut FileState, String> {
            files
                .get_mut(i)
                .ok_or_else(|| format!("its journal names file {i} of {n}"))
        }
        match e {
            Event::Opened {
                i,
                ranges,
                validator,
            } => {
                let f = file(i, n, &mut self.files)?;
                f.ranges = ranges;
                f.validator = validator;
            }
            Event::Done { i, done } => file(i, n, &mut self.files)?.done = Some(done),
            Event::Page { page, next } => {
                let more = plan_page(&page, &self.files).map_err(|e| e.message)?;
                self.files.extend(more);
                self.pages.push(page);
                self.next = next;
            }
        }
        Ok(())
    }

    /// What a state must be to be acted on, whether it came from the
    /// server (checked before it is saved) or from disk: its URLs parse as
    /// http(s); its files are exactly those its manifest pages plan, in
    /// order, each under a plain name inside DIR, no two the same but for
    /// case; a complete file's path is its name (or name.gz).
    pub fn check(&self) -> std::result::Result<(), String> {
        for (what, u) in [("job", Some(&self.job)), ("next page", self.next.as_ref())] {
            if let Some(u) = u
                && !Url::parse(u).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
            {
                return Err(format!(
                    "its {what} URL `{}` is not an http(s) URL",
                    crate::redact::url_str(u)
                ));
            }
        }
        let mut pages = Vec::new();
        if let Some(m) = &self.manifest {
            pages.push(m);
            pages.extend(&self.pages);
        } else if !self.pages.is_empty() || self.next.is_some() {
            return Err("it has manifest pages but no manifest".into());
        }
        // The planned files are compared with ours one by one as they are
        // made, never listed (a second list of 10,000 files was most of an
        // export's peak memory); the first difference is kept and said
        // after the whole plan was made and counted, as before.
        let planned = pages.iter().map(|p| p.len()).sum::<usize>();
        let compare = planned == self.files.len();
        let mut seen = Numbering::default();
        let mut names = HashSet::new();
        let mut k = 0;
        let mut first: Option<String> = None;
        for page in pages {
            each_planned(page, &mut seen, |p| {
                if compare && first.is_none() {
                    first = self.file_against_plan(&self.files[k], &p, &mut names).err();
                }
                k += 1;
                Ok(())
            })
            .map_err(|e| e.message)?;
        }
        if !compare {
            return Err(format!(
                "it lists {} files, its manifest {planned}",
                self.files.len(),
            ));
        }
        if let Some(why) = first {
            return Err(why);
        }
        if self.complete && (self.next.is_some() || self.files.iter().any(|f| f.done.is_none())) {
            return Err("it says complete with files missing".into());
        }
        Ok(())
    }

    /// One of [`State::check`]'s files against the file planned in its
    /// place; `names` holds the names seen so far, in lower case.
    fn file_against_plan(
        &self,
        f: &FileState,
        p: &FileState,
        names: &mut HashSet<String>,
    ) -> std::result::Result<(), String> {
        if (f.part, &f.rtype, &f.url, &f.name, f.count)
            != (p.part, &p.rtype, &p.url, &p.name, p.count)
        {
            return Err(format!(
                "its file `{}` ({}) is not the manifest's `{}` ({})",
                printable(&f.name),
                crate::redact::url_str(&f.url),
                printable(&p.name),
                crate::redact::url_str(&p.url)
            ));
        }
        check_name(f.part, &f.name)?;
        if !names.insert(f.name.to_lowercase()) {
            return Err(format!(
                "two of its files are named `{}` but for case",
                printable(&f.name)
            ));
        }
        if let Some(d) = &f.done
            && d.path != f.name
            && d.path != format!("{}.gz", f.name)
        {
            return Err(format!(
                "its file `{}` is said to be saved as `{}`",
                printable(&f.name),
                printable(&d.path)
            ));
        }
        Ok(())
    }

    /// The snapshot, written atomically and durably, mode 0600 (the job
    /// URL may be a capability), with a new epoch; then the journal, whose
    /// lines it now holds, is removed.
    pub fn save(&mut self, dir: &Path) -> Result<()> {
        let path = State::path(dir);
        safe_fs::not_a_link(&path)
            .map_err(|e| Error::usage(format!("cannot write {}: {e}", path.display())))?;
        self.epoch += 1;
        // Streamed to the file: as text, the state of 10,000 files is
        // several MB that need not be in memory at once.
        write_atomically_with(&path, Access::Private, Replace::Yes, |w| {
            serde_json::to_writer(&mut *w, self).map_err(std::io::Error::other)?;
            w.write_all(b"\n")
        })
        .map_err(|e| Error::usage(format!("cannot write {}: {e}", path.display())))?;
        journal::remove(dir)?;
        self.journal_len = 0;
        Ok(())
    }

    /// The journal for this snapshot, open for appending.
    pub fn journal(&self, dir: &Path) -> Result<Journal> {
        Journal::open(dir, self.epoch, self.journal_len)
    }

    /// Removes the state, its journal and the `.part` files of unfinished
    /// downloads (after a cancel); complete files stay. Every removal that
    /// fails is reported: a state left behind would be taken up again.
    pub fn remove(&self, dir: &Path) -> Result<()> {
        let mut failed = Vec::new();
        for p in self
            .files
            .iter()
            .filter(|f| f.done.is_none())
            .map(|f| f.part_path(dir))
            .chain([journal::path(dir), State::path(dir)])
        {
            if let Err(e) = safe_fs::remove_if_there(&p) {
                failed.push(format!("{}: {e}", p.display()));
            }
        }
        match failed.first() {
            None => Ok(()),
            Some(first) => Err(Error::usage(format!(
                "cannot remove {first}{}",
                if failed.len() > 1 {
                    format!(" (and {} more)", failed.len() - 1)
                } else {
                    String::new()
                }
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

    /// Records the manifest (its first page) and the files it lists (fresh:
    /// none done); refused when it fails [`State::check`].
    pub fn set_manifest(
        &mut self,
        m: Manifest,
        next: Option<String>,
        expires: Option<String>,
    ) -> Result<()> {
        self.files = plan_page(&m, &[])?;
        self.manifest = Some(m);
        self.pages.clear();
        self.next = next;
        self.expires = expires;
        self.check()
            .map_err(|why| Error::server(format!("the manifest is refused: {why}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bulk::manifest::Manifest;
    use crate::bulk::ndjson::Tally;

    const MANIFEST: &str = r#"{"transactionTime":"2024-01-01T00:00:00Z","request":"r","requiresAccessToken":true,
                 "output":[{"type":"Patient","url":"http://h/fhir/$export-file/j/Patient.1.ndjson","count":3}],
                 "error":[{"type":"OperationOutcome","url":"http://h/fhir/$export-file/j/OperationOutcome.1.ndjson"}]}"#;

    fn fresh() -> State {
        let m = Manifest::parse("x", MANIFEST.as_bytes()).unwrap();
        let mut s = State::new(
            "http://h/fhir",
            "http://h/fhir/$export-status/j",
            "GET /fhir/$export",
            1_700_000_000,
            false,
        );
        s.set_manifest(m, None, Some("Mon, 01 Jan 2024 01:00:00 GMT".into()))
            .unwrap();
        s
    }

    fn patient_done() -> Done {
        Done {
            path: "Patient.1.ndjson".into(),
            bytes: 120,
            check: Tally {
                resources: 3,
                by_type: [("Patient".to_owned(), 3)].into(),
                ..Tally::default()
            },
        }
    }

    fn sample() -> State {
        let mut s = fresh();
        s.files[0].ranges = true;
        s.files[0].validator = Some("\"v1\"".into());
        s.files[0].done = Some(patient_done());
        s
    }

    /// The state as on disk, edited, written back.
    fn plant(dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
        let mut s = sample();
        s.save(dir).unwrap();
        let mut v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(State::path(dir)).unwrap()).unwrap();
        edit(&mut v);
        std::fs::write(State::path(dir), v.to_string()).unwrap();
    }

    #[test]
    fn state_round_trips_through_its_file() {
        let d = tempfile::tempdir().unwrap();
        assert_eq!(State::load(d.path()).unwrap(), None);
        let mut s = sample();
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
        s.complete = true;
        s.files[1].done = Some(Done {
            path: "error/OperationOutcome.1.ndjson".into(),
            bytes: 1,
            check: Tally::default(),
        });
        s.save(d.path()).unwrap();
        assert!(State::load(d.path()).unwrap().unwrap().complete);
    }

    #[test]
    fn the_journal_carries_what_happened_since_the_snapshot() {
        let d = tempfile::tempdir().unwrap();
        let mut s = fresh();
        s.save(d.path()).unwrap();
        let snapshot = std::fs::read(State::path(d.path())).unwrap();
        let mut j = s.journal(d.path()).unwrap();
        j.append(&Event::Opened {
            i: 0,
            ranges: true,
            validator: Some("\"v1\"".into()),
        })
        .unwrap();
        j.append(&Event::Done {
            i: 0,
            done: patient_done(),
        })
        .unwrap();
        drop(j);
        // The snapshot is untouched: one line per event, no rewrite.
        assert_eq!(std::fs::read(State::path(d.path())).unwrap(), snapshot);
        let loaded = State::load(d.path()).unwrap().unwrap();
        assert_eq!(loaded.files, sample().files);
        // A save folds the journal in and removes it; its old lines, if
        // the removal had not happened, belong to the old epoch.
        let mut loaded = loaded;
        loaded.save(d.path()).unwrap();
        assert!(!journal::path(d.path()).exists());
        assert_eq!(
            State::load(d.path()).unwrap().unwrap().files,
            sample().files
        );
    }

    #[test]
    fn pages_of_a_partial_manifest_number_on_and_replay() {
        let d = tempfile::tempdir().unwrap();
        let mut s = fresh();
        s.next = Some("http://h/fhir/$export-status/j?page=2".into());
        s.save(d.path()).unwrap();
        let page = Manifest::parse(
            "x",
            br#"{"output":[{"type":"Patient","url":"http://h/p2"},{"type":"Observation","url":"http://h/o2"}]}"#,
        )
        .unwrap();
        let mut j = s.journal(d.path()).unwrap();
        j.append(&Event::Page { page, next: None }).unwrap();
        j.append(&Event::Done {
            i: 2,
            done: Done {
                path: "Patient.2.ndjson".into(),
                bytes: 1,
                check: Tally::default(),
            },
        })
        .unwrap();
        drop(j);
        let loaded = State::load(d.path()).unwrap().unwrap();
        let names: Vec<_> = loaded.files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "Patient.1.ndjson",
                "error/OperationOutcome.1.ndjson",
                "Patient.2.ndjson",
                "Observation.1.ndjson"
            ]
        );
        assert_eq!(loaded.next, None);
        assert!(loaded.files[2].done.is_some());
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
    fn a_state_file_that_cannot_be_read_is_not_no_export() {
        let d = tempfile::tempdir().unwrap();
        // A directory where the state goes cannot be read (whoever runs
        // the test, root included).
        std::fs::create_dir(State::path(d.path())).unwrap();
        let e = State::load(d.path()).unwrap_err();
        assert!(e.message.contains("cannot read"), "{}", e.message);
        // A journal without its snapshot is not "no export" either.
        let d = tempfile::tempdir().unwrap();
        std::fs::write(journal::path(d.path()), "").unwrap();
        assert!(State::load(d.path()).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_state_file_is_not_no_export() {
        // Open refuses the link (it is not "not found"): an error, never
        // the "no export here" that would let a new kick-off write over it.
        let d = tempfile::tempdir().unwrap();
        assert_eq!(State::load(d.path()).unwrap(), None);
        let target = d.path().join("elsewhere");
        std::fs::write(&target, "{}").unwrap();
        std::os::unix::fs::symlink(&target, State::path(d.path())).unwrap();
        assert!(State::load(d.path()).is_err());
        // A dangling link where the journal goes is no journal to ignore.
        let d = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(d.path().join("gone"), journal::path(d.path())).unwrap();
        assert!(State::load(d.path()).is_err());
    }

    #[test]
    fn planted_states_are_refused() {
        type Edit = Box<dyn FnOnce(&mut serde_json::Value)>;
        let cases: Vec<(&str, Edit)> = vec![
            (
                "a path out of DIR",
                Box::new(|v| v["files"][0]["name"] = "../../etc/passwd".into()),
            ),
            (
                "an absolute path",
                Box::new(|v| v["files"][0]["name"] = "/etc/passwd".into()),
            ),
            (
                "a NUL",
                Box::new(|v| v["files"][0]["name"] = "Patient\u{0}.ndjson".into()),
            ),
            (
                "a device name",
                Box::new(|v| v["files"][0]["name"] = "CON.1.ndjson".into()),
            ),
            (
                "a saved path elsewhere",
                Box::new(|v| v["files"][0]["done"]["path"] = "../x".into()),
            ),
            (
                "a URL not the manifest's",
                Box::new(|v| v["files"][0]["url"] = "http://h/fhir/Patient/1".into()),
            ),
            (
                "a file the manifest has not",
                Box::new(|v| {
                    let f = v["files"][0].clone();
                    v["files"].as_array_mut().unwrap().push(f);
                }),
            ),
            (
                "a job URL that is not http",
                Box::new(|v| v["job"] = "file:///etc/passwd".into()),
            ),
            (
                "a manifest type that is a path",
                Box::new(|v| {
                    v["manifest"]["output"][0]["type"] = "../Patient".into();
                }),
            ),
        ];
        for (what, edit) in cases {
            let d = tempfile::tempdir().unwrap();
            plant(d.path(), edit);
            let e = State::load(d.path()).expect_err(what);
            assert!(e.message.contains("refused"), "{what}: {}", e.message);
        }
    }

    /// A manifest type may be any FHIR-style name, `CON` too: the file it
    /// plans (`CON.1.ndjson`) matches the manifest, and only the name rule
    /// stands between it and a Windows device. The refusal names the file.
    #[test]
    fn a_manifest_type_that_plans_a_device_name_is_refused_by_name() {
        let d = tempfile::tempdir().unwrap();
        plant(d.path(), |v| {
            v["manifest"]["output"][0]["type"] = "CON".into();
            v["files"][0]["type"] = "CON".into();
            v["files"][0]["name"] = "CON.1.ndjson".into();
            v["files"][0]["done"] = serde_json::Value::Null;
        });
        let e = State::load(d.path()).unwrap_err();
        assert!(
            e.message
                .contains("`CON.1.ndjson` is a Windows device name"),
            "{}",
            e.message
        );
    }

    #[test]
    fn names_that_differ_only_in_case_are_refused() {
        let m = Manifest::parse(
            "x",
            br#"{"output":[{"type":"Patient","url":"http://h/1"},{"type":"PATIENT","url":"http://h/2"}]}"#,
        )
        .unwrap();
        let mut s = fresh();
        let e = s.set_manifest(m, None, None).unwrap_err();
        assert!(e.message.contains("but for case"), "{}", e.message);
    }

    #[test]
    fn a_state_must_hold_together() {
        // Before the manifest: nothing but the job.
        let mut s = State::new("http://h/fhir", "http://h/job", "GET /x", 0, false);
        assert_eq!(s.check(), Ok(()));
        s.next = Some("http://h/page2".into());
        assert!(s.check().unwrap_err().contains("no manifest"));
        // Complete, with a file not done.
        let mut s = fresh();
        s.complete = true;
        assert!(
            s.check()
                .unwrap_err()
                .contains("complete with files missing")
        );
        for f in &mut s.files {
            f.done = Some(Done {
                path: f.name.clone(),
                ..patient_done()
            });
        }
        assert_eq!(s.check(), Ok(()));
        // A done file may be saved compressed, under its name plus `.gz`.
        s.files[0].done.as_mut().unwrap().path = "Patient.1.ndjson.gz".into();
        assert_eq!(s.check(), Ok(()));
    }

    #[test]
    fn every_save_is_a_new_epoch() {
        let d = tempfile::tempdir().unwrap();
        let mut s = sample();
        s.save(d.path()).unwrap();
        s.save(d.path()).unwrap();
        assert_eq!(s.epoch, 2);
        assert_eq!(State::load(d.path()).unwrap().unwrap().epoch, 2);
    }

    #[test]
    fn plain_names() {
        assert_eq!(not_plain("Patient.1.ndjson"), None);
        assert_eq!(not_plain(&"a".repeat(200)), None);
        assert!(not_plain(&"a".repeat(201)).is_some());
        for bad in [
            "", "a/b", "a\\b", "..", ".hidden", "nul.txt", "Lpt1", "a:b", "a.", "x\u{7}",
        ] {
            assert!(not_plain(bad).is_some(), "{bad:?}");
        }
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
        let mut s = sample();
        s.save(d.path()).unwrap();
        std::fs::write(d.path().join("Patient.1.ndjson"), "x").unwrap();
        std::fs::create_dir_all(d.path().join("error")).unwrap();
        let part = s.files[1].part_path(d.path());
        std::fs::write(&part, "half").unwrap();
        std::fs::write(journal::path(d.path()), "").unwrap();
        s.remove(d.path()).unwrap();
        assert!(!State::path(d.path()).exists());
        assert!(!journal::path(d.path()).exists());
        assert!(!part.exists());
        assert!(d.path().join("Patient.1.ndjson").exists());
    }

    #[test]
    fn a_failed_removal_is_an_error() {
        let d = tempfile::tempdir().unwrap();
        let s = sample();
        // A non-empty directory where the state file goes cannot be removed
        // as a file.
        std::fs::create_dir(State::path(d.path())).unwrap();
        std::fs::write(State::path(d.path()).join("x"), "").unwrap();
        let e = s.remove(d.path()).unwrap_err();
        assert!(e.message.contains("cannot remove"), "{}", e.message);
    }
}
