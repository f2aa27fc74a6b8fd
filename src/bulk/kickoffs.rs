//! The user's own record of the job URLs that kick-offs returned, in the
//! state directory (`$SMART_STATE_DIR`, `$XDG_STATE_HOME/smart`), as
//! SHA-256 digests (a job URL may be a capability), one per line.
//!
//! Why: the job URL of `DIR/.smart-export.json` is data from disk. A state
//! planted in DIR (an unpacked archive, a shared disk) could name
//! `[base]/Patient/123` as its job, and `--cancel` would DELETE it with the
//! user's token. A job URL is acted on only if this record, which nobody
//! else can write, says a kick-off of this user returned it.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

pub const RECORD_FILE: &str = "export-jobs";

fn digest(job: &str) -> String {
    Sha256::digest(job.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn path(state_dir: &Path) -> PathBuf {
    state_dir.join(RECORD_FILE)
}

/// Records `job` (appended; the directory is made 0700 if missing).
pub fn record(state_dir: &Path, job: &str) -> Result<()> {
    let p = path(state_dir);
    let fail = |e: std::io::Error| Error::usage(format!("cannot write {}: {e}", p.display()));
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(state_dir).map_err(fail)?;
    let mut f = super::safe_fs::open_log(&p).map_err(fail)?;
    f.write_all(format!("{}\n", digest(job)).as_bytes())
        .map_err(fail)
}

/// Whether a kick-off of this user returned `job`.
pub fn known(state_dir: &Path, job: &str) -> Result<bool> {
    let p = path(state_dir);
    let f = match super::safe_fs::open_read(&p) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(Error::usage(format!("cannot read {}: {e}", p.display()))),
    };
    let want = digest(job);
    for line in BufReader::new(f).lines() {
        let line = line.map_err(|e| Error::usage(format!("cannot read {}: {e}", p.display())))?;
        if line.trim() == want {
            return Ok(true);
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_jobs_are_known_and_others_not() {
        let d = tempfile::tempdir().unwrap();
        let sd = d.path().join("state");
        assert!(!known(&sd, "http://h/fhir/$export-status/1").unwrap());
        record(&sd, "http://h/fhir/$export-status/1").unwrap();
        record(&sd, "http://h/fhir/$export-status/2").unwrap();
        assert!(known(&sd, "http://h/fhir/$export-status/1").unwrap());
        assert!(known(&sd, "http://h/fhir/$export-status/2").unwrap());
        assert!(!known(&sd, "http://h/fhir/Patient/1").unwrap());
        let text = std::fs::read_to_string(path(&sd)).unwrap();
        assert!(!text.contains("http"), "digests only: {text}");
    }
}
