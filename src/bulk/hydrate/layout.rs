//! The export directory as hydration sees it: whatever wrote it (a bulk
//! export, a crawl, another tool), its data is the `*.ndjson` and
//! `*.ndjson.gz` files at its top level (`<Type>.<n>.ndjson`, or mixed
//! `output.<n>.ndjson`); `error/`, `deleted/`, hidden files and `log.ndjson`
//! are not data. What hydration adds goes beside them as `<Type>.<n>.ndjson`
//! with the next free `n`, never over an existing file, through the same
//! symlink-refusing, 0600 opens as the export's downloads ([`safe_fs`]).
//!
//! `.smart-hydrate.json` lists the files hydration wrote, so that a new
//! export into DIR removes them with the old export's files.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use crate::bulk::safe_fs;
use crate::error::{Error, Result};
use crate::event_log::LOG_FILE;

/// Resources per file hydration writes: a kill loses at most one
/// unfinished file's worth of fetches (the next run fetches them again).
pub const FILE_LINES: usize = 1000;

/// A file open this long is settled at its next write, so that a slow
/// server's fetches are not all at risk until a file fills.
pub const SETTLE_AFTER: std::time::Duration = std::time::Duration::from_secs(30);

pub const RECORD_FILE: &str = ".smart-hydrate.json";

fn io_error(path: &Path, e: std::io::Error) -> Error {
    Error::usage(format!("cannot write {}: {e}", path.display()))
}

/// The data files of `dir`, by name.
pub fn data_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let rd = std::fs::read_dir(dir)
        .map_err(|e| Error::usage(format!("cannot read {}: {e}", dir.display())))?;
    let mut out = Vec::new();
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let data = (name.ends_with(".ndjson") || name.ends_with(".ndjson.gz"))
            && !name.starts_with('.')
            && name != LOG_FILE;
        // A symlink is not a file of the export (and is never followed).
        if data && e.file_type().is_ok_and(|t| t.is_file()) {
            out.push(e.path());
        }
    }
    out.sort();
    Ok(out)
}

pub fn is_gz(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "gz")
}

/// The lines of a data file, plain or gzip, never through a symlink.
pub fn reader(path: &Path) -> Result<Box<dyn BufRead + Send>> {
    let f = safe_fs::open_read(path)
        .map_err(|e| Error::usage(format!("cannot read {}: {e}", path.display())))?;
    Ok(if is_gz(path) {
        Box::new(BufReader::new(flate2::read::MultiGzDecoder::new(f)))
    } else {
        Box::new(BufReader::with_capacity(64 << 10, f))
    })
}

/// `Type.7.ndjson` or `Type.7.ndjson.gz` → 7.
fn number_of(name: &str, rtype: &str) -> Option<u64> {
    let rest = name.strip_prefix(rtype)?.strip_prefix('.')?;
    let n = rest
        .strip_suffix(".ndjson")
        .or_else(|| rest.strip_suffix(".ndjson.gz"))?;
    n.parse().ok()
}

/// The `n` after the highest `Type.<n>.ndjson[.gz]` in `files`.
pub fn next_number(files: &[PathBuf], rtype: &str) -> u64 {
    files
        .iter()
        .filter_map(|p| p.file_name()?.to_str())
        .filter_map(|n| number_of(n, rtype))
        .max()
        .map_or(1, |n| n + 1)
}

/// The name a file has while hydration writes it: `.NAME.hydrating`, apart
/// from the export's own `.NAME.part` downloads.
fn temp_name(name: &str) -> String {
    format!(".{name}.hydrating")
}

/// Removes what a hydration killed midway left (its temporary files).
pub fn sweep(dir: &Path) -> Result<()> {
    let rd = std::fs::read_dir(dir)
        .map_err(|e| Error::usage(format!("cannot read {}: {e}", dir.display())))?;
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') && name.ends_with(".hydrating") {
            safe_fs::remove_if_there(&e.path()).map_err(|x| io_error(&e.path(), x))?;
        }
    }
    Ok(())
}

/// One type's new files: `.Type.n.ndjson.hydrating` while written, renamed
/// to `Type.n.ndjson` every [`FILE_LINES`] resources or [`SETTLE_AFTER`],
/// and at the end.
pub struct TypeWriter {
    dir: PathBuf,
    rtype: String,
    next: u64,
    open: Option<(PathBuf, std::io::BufWriter<std::fs::File>)>,
    opened: std::time::Instant,
    lines: usize,
    /// Resources written per settled file, and their names.
    pub settled: Vec<(String, u64)>,
}

impl TypeWriter {
    pub fn new(dir: &Path, rtype: &str, next: u64) -> TypeWriter {
        TypeWriter {
            dir: dir.to_path_buf(),
            rtype: rtype.to_owned(),
            next,
            open: None,
            opened: std::time::Instant::now(),
            lines: 0,
            settled: Vec::new(),
        }
    }

    /// Appends one resource (a JSON line without its newline).
    pub fn write(&mut self, line: &[u8]) -> Result<()> {
        if self.open.is_none() {
            let part = self
                .dir
                .join(temp_name(&format!("{}.{}.ndjson", self.rtype, self.next)));
            safe_fs::remove_if_there(&part).map_err(|e| io_error(&part, e))?;
            let f = safe_fs::create_new(&part).map_err(|e| io_error(&part, e))?;
            self.open = Some((part, std::io::BufWriter::new(f)));
            self.opened = std::time::Instant::now();
        }
        let (part, w) = self.open.as_mut().expect("opened above");
        w.write_all(line)
            .and_then(|()| w.write_all(b"\n"))
            .map_err(|e| io_error(part, e))?;
        self.lines += 1;
        if self.lines >= FILE_LINES || self.opened.elapsed() >= SETTLE_AFTER {
            self.settle()?;
        }
        Ok(())
    }

    /// Renames the open file to its name (the next free one: nothing is
    /// written over).
    pub fn settle(&mut self) -> Result<()> {
        let Some((part, w)) = self.open.take() else {
            return Ok(());
        };
        let f = w
            .into_inner()
            .map_err(|e| io_error(&part, e.into_error()))?;
        f.sync_all().map_err(|e| io_error(&part, e))?;
        drop(f);
        let name = loop {
            let name = format!("{}.{}.ndjson", self.rtype, self.next);
            self.next += 1;
            let there = std::fs::symlink_metadata(self.dir.join(&name)).is_ok()
                || std::fs::symlink_metadata(self.dir.join(format!("{name}.gz"))).is_ok();
            if !there {
                break name;
            }
        };
        let to = self.dir.join(&name);
        std::fs::rename(&part, &to).map_err(|e| io_error(&to, e))?;
        // Recorded as it is settled: a run stopped later still leaves a
        // record of every file it wrote.
        record(&self.dir, std::slice::from_ref(&name))?;
        self.settled.push((name, self.lines as u64));
        self.lines = 0;
        Ok(())
    }
}

impl Drop for TypeWriter {
    /// A writer dropped unsettled (an error, Ctrl-C) leaves no temporary file.
    fn drop(&mut self) {
        if let Some((part, _)) = self.open.take() {
            let _ = safe_fs::remove_if_there(&part);
        }
    }
}

/// The files hydration wrote into `dir` (from [`RECORD_FILE`]).
pub fn recorded(dir: &Path) -> BTreeSet<String> {
    let path = dir.join(RECORD_FILE);
    let Ok(mut f) = safe_fs::open_read(&path) else {
        return BTreeSet::new();
    };
    let mut text = String::new();
    let _ = std::io::Read::read_to_string(&mut f, &mut text);
    serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| {
            v.get("files")?.as_array().map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str())
                    // Only plain names: the record may not point outside DIR.
                    .filter(|n| !n.contains('/') && !n.contains('\\') && !n.starts_with('.'))
                    .map(str::to_owned)
                    .collect()
            })
        })
        .unwrap_or_default()
}

/// Adds `names` to [`RECORD_FILE`] (replaced atomically).
pub fn record(dir: &Path, names: &[String]) -> Result<()> {
    if names.is_empty() {
        return Ok(());
    }
    let mut all = recorded(dir);
    all.extend(names.iter().cloned());
    let text = serde_json::to_vec_pretty(&serde_json::json!({ "files": all }))
        .expect("a list of names serializes");
    replace(dir, RECORD_FILE, |w| w.write_all(&text))
}

/// Writes `DIR/name` anew through `.name.hydrating` and a rename, so that a
/// reader (or a crash) sees the old file or the new one, never half.
pub fn replace(
    dir: &Path,
    name: &str,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    let mut r = Replacement::start(dir, name, false)?;
    write(&mut r.w).map_err(|e| io_error(&r.to, e))?;
    r.commit()
}

/// A file being written anew beside the one it replaces (`.name.hydrating`),
/// gzip when asked; [`Replacement::commit`] renames it over the old one,
/// and a replacement dropped uncommitted leaves no trace.
pub struct Replacement {
    part: PathBuf,
    to: PathBuf,
    pub w: Sink,
    done: bool,
}

pub enum Sink {
    Plain(std::io::BufWriter<std::fs::File>),
    Gz(flate2::write::GzEncoder<std::io::BufWriter<std::fs::File>>),
    Gone,
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Sink::Plain(w) => w.write(buf),
            Sink::Gz(w) => w.write(buf),
            Sink::Gone => Err(std::io::Error::other("the file is closed")),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Sink::Plain(w) => w.flush(),
            Sink::Gz(w) => w.flush(),
            Sink::Gone => Ok(()),
        }
    }
}

impl Sink {
    /// Everything written out (the gzip trailer too) and synced.
    fn finish(self) -> std::io::Result<()> {
        let buf = match self {
            Sink::Plain(w) => w,
            Sink::Gz(w) => w.finish()?,
            Sink::Gone => return Ok(()),
        };
        buf.into_inner().map_err(|e| e.into_error())?.sync_all()
    }
}

impl Replacement {
    pub fn start(dir: &Path, name: &str, gz: bool) -> Result<Replacement> {
        let to = dir.join(name);
        let part = dir.join(temp_name(name));
        safe_fs::not_a_link(&to).map_err(|e| io_error(&to, e))?;
        safe_fs::remove_if_there(&part).map_err(|e| io_error(&part, e))?;
        let f = safe_fs::create_new(&part).map_err(|e| io_error(&part, e))?;
        let buf = std::io::BufWriter::with_capacity(64 << 10, f);
        let w = if gz {
            Sink::Gz(flate2::write::GzEncoder::new(
                buf,
                flate2::Compression::default(),
            ))
        } else {
            Sink::Plain(buf)
        };
        Ok(Replacement {
            part,
            to,
            w,
            done: false,
        })
    }

    pub fn path(&self) -> &Path {
        &self.to
    }

    pub fn commit(mut self) -> Result<()> {
        std::mem::replace(&mut self.w, Sink::Gone)
            .finish()
            .map_err(|e| io_error(&self.part, e))?;
        safe_fs::not_a_link(&self.to).map_err(|e| io_error(&self.to, e))?;
        std::fs::rename(&self.part, &self.to).map_err(|e| io_error(&self.to, e))?;
        self.done = true;
        Ok(())
    }
}

impl Drop for Replacement {
    fn drop(&mut self) {
        if !self.done {
            let _ = safe_fs::remove_if_there(&self.part);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_files_are_the_ndjson_at_the_top_and_numbers_continue() {
        let d = tempfile::tempdir().unwrap();
        for n in [
            "Patient.1.ndjson",
            "Organization.2.ndjson.gz",
            "output.1.ndjson",
            "log.ndjson",
            ".Organization.3.ndjson.part",
            ".Location.1.ndjson.hydrating",
            "notes.txt",
        ] {
            std::fs::write(d.path().join(n), "").unwrap();
        }
        std::fs::create_dir(d.path().join("error")).unwrap();
        std::fs::write(d.path().join("error/OperationOutcome.1.ndjson"), "").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink("/etc/passwd", d.path().join("Location.1.ndjson")).unwrap();
        let files = data_files(d.path()).unwrap();
        let names: Vec<_> = files
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            [
                "Organization.2.ndjson.gz",
                "Patient.1.ndjson",
                "output.1.ndjson"
            ]
        );
        assert_eq!(next_number(&files, "Organization"), 3);
        assert_eq!(next_number(&files, "Medication"), 1);
        assert_eq!(next_number(&files, "Patient"), 2);
    }

    #[test]
    fn writers_never_write_over_a_file_and_rotate() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("Medication.1.ndjson"), "keep\n").unwrap();
        let mut w = TypeWriter::new(d.path(), "Medication", 1);
        for _ in 0..FILE_LINES + 1 {
            w.write(b"{}").unwrap();
        }
        w.settle().unwrap();
        assert_eq!(
            w.settled,
            [
                ("Medication.2.ndjson".to_owned(), FILE_LINES as u64),
                ("Medication.3.ndjson".to_owned(), 1)
            ]
        );
        assert_eq!(
            std::fs::read_to_string(d.path().join("Medication.1.ndjson")).unwrap(),
            "keep\n"
        );
        // Dropped before settling: the part goes.
        let mut w = TypeWriter::new(d.path(), "Location", 1);
        w.write(b"{}").unwrap();
        drop(w);
        assert!(!d.path().join(".Location.1.ndjson.hydrating").exists());
        assert!(!d.path().join("Location.1.ndjson").exists());
    }

    #[test]
    fn a_sweep_takes_hydration_leftovers_only() {
        let d = tempfile::tempdir().unwrap();
        for n in [
            ".Medication.1.ndjson.hydrating",
            ".Patient.1.ndjson.part",
            "x.hydrating",
        ] {
            std::fs::write(d.path().join(n), "").unwrap();
        }
        sweep(d.path()).unwrap();
        let mut left: Vec<_> = std::fs::read_dir(d.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, [".Patient.1.ndjson.part", "x.hydrating"]);
    }

    #[test]
    fn the_record_keeps_plain_names_only() {
        let d = tempfile::tempdir().unwrap();
        record(d.path(), &["Medication.2.ndjson".into()]).unwrap();
        record(d.path(), &["Location.1.ndjson".into()]).unwrap();
        assert_eq!(
            recorded(d.path()).into_iter().collect::<Vec<_>>(),
            ["Location.1.ndjson", "Medication.2.ndjson"]
        );
        std::fs::write(
            d.path().join(RECORD_FILE),
            r#"{"files":["../x","/etc/passwd",".smart-export.json","ok.ndjson"]}"#,
        )
        .unwrap();
        assert_eq!(
            recorded(d.path()).into_iter().collect::<Vec<_>>(),
            ["ok.ndjson"]
        );
    }
}
