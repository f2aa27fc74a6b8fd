//! `DIR/.smart-export.journal`: what happened since the state file
//! (`.smart-export.json`, the snapshot) was last written, one JSON line per
//! event, appended. A finished file costs one short line instead of a
//! rewrite of the whole state (which made 1,267 files write 1.9 GB), and the
//! snapshot is written again only at the steps that change the job itself
//! (kick-off, manifest, the end), after which the journal is removed.
//!
//! Crash safety: a kill at any point leaves whole lines plus at most one
//! torn last line, which replay drops (and the next append cuts off, so that
//! it never glues onto new text). Lines are not fsynced: a power loss may
//! take the last ones back, which only means files fetched again (a file's
//! own bytes are fsynced before its line is written, so a line never
//! claims a file the disk may not have). Every line carries the snapshot's
//! `epoch`, so lines left from another job's snapshot never apply to this
//! one's files.
//!
//! The journal is data from disk like the snapshot: a line that is not the
//! last and does not parse means the file was damaged or written by
//! someone else, and the export is refused rather than guessed at.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::manifest::Manifest;
use super::ndjson::Tally;
use super::safe_fs;
use crate::error::{Error, Result};

/// What the job learns when a file's answer arrives, saved before its body
/// is read (so that a kill mid-file leaves it for `--resume`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    pub ranges: bool,
    pub validator: Option<String>,
}

/// A complete file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Done {
    /// Under DIR, as saved (`Patient.1.ndjson` or `Patient.1.ndjson.gz`).
    pub path: String,
    pub bytes: u64,
    pub check: Tally,
}

pub const JOURNAL_FILE: &str = ".smart-export.journal";

/// One change to the snapshot's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// File `i`'s answer arrived: whether it can be continued with `Range`.
    Opened {
        i: usize,
        ranges: bool,
        validator: Option<String>,
    },
    /// File `i` is complete and fsynced.
    Done { i: usize, done: Done },
    /// A page of a partial manifest arrived (`allowPartialManifests`); its
    /// files follow the ones already known, and `next` is the page after it.
    Page {
        page: Manifest,
        next: Option<String>,
    },
}

impl Event {
    pub fn opened(i: usize, o: &Opened) -> Event {
        Event::Opened {
            i,
            ranges: o.ranges,
            validator: o.validator.clone(),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Line<E> {
    epoch: u64,
    #[serde(flatten)]
    event: E,
}

/// A line as appended: the event borrowed.
#[derive(Serialize)]
struct LineOut<'a, E> {
    epoch: u64,
    #[serde(flatten)]
    event: &'a E,
}

pub fn path(dir: &Path) -> PathBuf {
    dir.join(JOURNAL_FILE)
}

/// The events of the journal in `dir` for snapshot `epoch`, in order, and
/// the length of its whole lines (where the next append goes).
pub fn replay(dir: &Path, epoch: u64) -> Result<(Vec<Event>, u64)> {
    replay_file(&path(dir), epoch)
}

/// [`replay`] of any journal of this shape (one `{epoch, …event}` line per
/// event), such as a crawl's (`crate::crawl::state`), whose events differ.
pub fn replay_file<E: DeserializeOwned>(p: &Path, epoch: u64) -> Result<(Vec<E>, u64)> {
    let p = p.to_path_buf();
    let mut text = Vec::new();
    match safe_fs::open_read(&p) {
        Ok(mut f) => {
            f.read_to_end(&mut text)
                .map_err(|e| Error::usage(format!("cannot read {}: {e}", p.display())))?;
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), 0)),
        Err(e) => return Err(Error::usage(format!("cannot read {}: {e}", p.display()))),
    }
    let mut events = Vec::new();
    let mut good = 0usize;
    let mut rest = &text[..];
    while !rest.is_empty() {
        let Some(end) = memchr::memchr(b'\n', rest) else {
            // A torn last line: the write a kill interrupted.
            break;
        };
        let line = &rest[..end];
        match serde_json::from_slice::<Line<E>>(line) {
            Ok(l) => {
                if l.epoch == epoch {
                    events.push(l.event);
                }
            }
            // The last line may be torn yet end in a newline only if the
            // newline is its own; anything else is damage.
            Err(e) => {
                return Err(Error::usage(format!(
                    "{} is damaged at byte {good} ({e}); it is not a journal this version of smart wrote",
                    p.display()
                ))
                .with_hint(
                    "remove the directory's .smart-export.* files to start a new export there",
                ));
            }
        }
        good += end + 1;
        rest = &rest[end + 1..];
    }
    Ok((events, good as u64))
}

/// The journal, open for appending.
pub struct Journal<E = Event> {
    file: std::fs::File,
    epoch: u64,
    path: PathBuf,
    events: std::marker::PhantomData<fn(&E)>,
}

impl Journal<Event> {
    /// Opens (or creates, 0600) the journal and cuts off a torn last line
    /// (`whole` is the length replay found whole).
    pub fn open(dir: &Path, epoch: u64, whole: u64) -> Result<Journal> {
        Journal::open_file(&path(dir), epoch, whole)
    }
}

impl<E: Serialize> Journal<E> {
    /// [`Journal::open`] of the journal at `p`.
    pub fn open_file(p: &Path, epoch: u64, whole: u64) -> Result<Journal<E>> {
        let p = p.to_path_buf();
        let mut file = safe_fs::open_append(&p)
            .map_err(|e| Error::usage(format!("cannot write {}: {e}", p.display())))?;
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        if len > whole {
            file.set_len(whole)
                .map_err(|e| Error::usage(format!("cannot write {}: {e}", p.display())))?;
        }
        file.seek(SeekFrom::End(0))
            .map_err(|e| Error::usage(format!("cannot write {}: {e}", p.display())))?;
        Ok(Journal {
            file,
            epoch,
            path: p,
            events: std::marker::PhantomData,
        })
    }

    /// Appends one line, in one write (so a kill tears at most this line).
    pub fn append(&mut self, event: &E) -> Result<()> {
        let mut line = serde_json::to_vec(&LineOut {
            epoch: self.epoch,
            event,
        })
        .expect("events serialize");
        line.push(b'\n');
        self.file
            .write_all(&line)
            .map_err(|e| Error::usage(format!("cannot write {}: {e}", self.path.display())))
    }
}

/// Removes the journal once a snapshot holds all it said.
pub fn remove(dir: &Path) -> Result<()> {
    let p = path(dir);
    match std::fs::remove_file(&p) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::usage(format!("cannot remove {}: {e}", p.display()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bulk::ndjson::Tally;

    fn done(i: usize) -> Event {
        Event::Done {
            i,
            done: Done {
                path: format!("Patient.{i}.ndjson"),
                bytes: 10,
                check: Tally::default(),
            },
        }
    }

    #[test]
    fn events_come_back_in_order_and_other_epochs_are_skipped() {
        let d = tempfile::tempdir().unwrap();
        let mut j = Journal::open(d.path(), 7, 0).unwrap();
        j.append(&done(0)).unwrap();
        j.append(&Event::Opened {
            i: 1,
            ranges: true,
            validator: Some("\"v\"".into()),
        })
        .unwrap();
        drop(j);
        let mut other = Journal::open(d.path(), 8, u64::MAX).unwrap();
        other.append(&done(5)).unwrap();
        let (events, _) = replay(d.path(), 7).unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!(events[0], done(0));
        assert_eq!(replay(d.path(), 8).unwrap().0, [done(5)]);
    }

    #[test]
    fn a_torn_last_line_is_dropped_and_cut_before_the_next_append() {
        let d = tempfile::tempdir().unwrap();
        let mut j = Journal::open(d.path(), 1, 0).unwrap();
        j.append(&done(0)).unwrap();
        drop(j);
        let whole = std::fs::metadata(path(d.path())).unwrap().len();
        // Every cut of a second line is a torn write.
        let second = {
            let mut l = serde_json::to_vec(&Line {
                epoch: 1,
                event: done(1),
            })
            .unwrap();
            l.push(b'\n');
            l
        };
        for cut in 0..second.len() {
            let mut bytes = std::fs::read(path(d.path())).unwrap();
            bytes.truncate(whole as usize);
            bytes.extend_from_slice(&second[..cut]);
            std::fs::write(path(d.path()), &bytes).unwrap();
            let (events, good) = replay(d.path(), 1).unwrap();
            assert_eq!(events, [done(0)], "cut at {cut}");
            assert_eq!(good, whole);
        }
        let (_, good) = replay(d.path(), 1).unwrap();
        let mut j = Journal::open(d.path(), 1, good).unwrap();
        j.append(&done(2)).unwrap();
        assert_eq!(replay(d.path(), 1).unwrap().0, [done(0), done(2)]);
    }

    #[test]
    fn a_damaged_line_before_the_last_is_refused() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(path(d.path()), "{\"epoch\":1,\"garbage\n{\"epoch\":1}\n").unwrap();
        let e = replay(d.path(), 1).unwrap_err();
        assert!(e.message.contains("damaged"), "{}", e.message);
    }

    #[test]
    fn a_journal_that_cannot_be_read_or_removed_is_an_error() {
        // A non-empty directory where the journal goes: neither read (it
        // is not "no journal") nor removed (it is not "removed").
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(path(d.path())).unwrap();
        std::fs::write(path(d.path()).join("x"), "").unwrap();
        let e = replay(d.path(), 1).unwrap_err();
        assert!(e.message.contains("cannot read"), "{}", e.message);
        let e = remove(d.path()).unwrap_err();
        assert!(e.message.contains("cannot remove"), "{}", e.message);
        // No journal at all: nothing to replay, nothing to remove.
        let d = tempfile::tempdir().unwrap();
        assert_eq!(replay(d.path(), 1).unwrap(), (Vec::new(), 0));
        remove(d.path()).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_journal_is_never_followed() {
        let d = tempfile::tempdir().unwrap();
        let target = d.path().join("elsewhere");
        std::fs::write(&target, "").unwrap();
        std::os::unix::fs::symlink(&target, path(d.path())).unwrap();
        assert!(replay(d.path(), 1).is_err());
        assert!(Journal::open(d.path(), 1, 0).is_err());
        assert_eq!(std::fs::read(&target).unwrap(), b"");
    }
}
