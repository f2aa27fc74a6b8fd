//! Writing files so that nothing is lost or exposed: a temp file in the
//! target's directory (same filesystem), created with its final mode before a
//! byte is written, fsync, rename over the target, fsync of the directory. A
//! crash leaves the old file or the new one, never a mix; a secret is never
//! readable by others, not even for a moment.

use std::io::Write;
use std::path::Path;

/// Who may read the file once it is in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// 0600: secrets, and the config (it is nobody else's business).
    Private,
    /// 0644: public keys and other shareable output.
    Public,
}

/// Whether an existing file at the target may be replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replace {
    Yes,
    /// Fail with `AlreadyExists` instead (checked at the rename, so no race).
    No,
}

/// Writes `bytes` to `path` atomically; creates missing parent directories.
pub fn write_atomically(
    path: &Path,
    bytes: &[u8],
    access: Access,
    replace: Replace,
) -> std::io::Result<()> {
    write_atomically_with(path, access, replace, |w| w.write_all(bytes))
}

/// [`write_atomically`] of what `write` writes, streamed through a buffer
/// (a large document is never whole in memory).
pub fn write_atomically_with(
    path: &Path,
    access: Access,
    replace: Replace,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".smart-").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = match access {
            Access::Private => 0o600,
            Access::Public => 0o644,
        };
        builder.permissions(std::fs::Permissions::from_mode(mode));
    }
    #[cfg(not(unix))]
    let _ = access;
    let mut tmp = builder.tempfile_in(dir)?;
    {
        let mut w = std::io::BufWriter::with_capacity(64 << 10, &mut tmp);
        write(&mut w)?;
        w.flush()?;
    }
    tmp.as_file().sync_all()?;
    match replace {
        Replace::Yes => tmp.persist(path).map(drop).map_err(|e| e.error)?,
        Replace::No => tmp.persist_noclobber(path).map(drop).map_err(|e| e.error)?,
    }
    // The rename itself is durable only once the directory is synced.
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    Ok(())
}

/// An exclusive advisory lock on a file (`File::lock`: flock on Unix,
/// LockFileEx on Windows), held until dropped. The OS drops it when the
/// process dies, so a crash never leaves a stale lock; the file itself stays
/// (deleting it would let a third process lock a new inode while a second
/// still waits on the old one).
#[derive(Debug)]
pub struct FileLock {
    _file: std::fs::File,
    path: std::path::PathBuf,
}

impl FileLock {
    /// The lock file (for messages).
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Locks `path` (created 0600 if missing), waiting up to `timeout` for
/// another holder; then `Err` of kind `WouldBlock`. It polls `try_lock`
/// rather than blocking, so that a stuck holder (a login waiting for a
/// browser) gives the caller's clear message instead of a silent hang.
pub fn lock_file(path: &Path, timeout: std::time::Duration) -> std::io::Result<FileLock> {
    use std::fs::TryLockError;
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let file = opts.open(path)?;
    let start = std::time::Instant::now();
    // Short enough that a waiter follows a finished holder promptly; long
    // enough not to spin.
    let poll = std::time::Duration::from_millis(25);
    loop {
        match file.try_lock() {
            Ok(()) => {
                return Ok(FileLock {
                    _file: file,
                    path: path.to_path_buf(),
                });
            }
            Err(TryLockError::WouldBlock) => {}
            Err(TryLockError::Error(e)) => return Err(e),
        }
        let waited = start.elapsed();
        if waited >= timeout {
            return Err(std::io::Error::new(
                std::io::ErrorKind::WouldBlock,
                format!(
                    "waited {:.1} s for {}",
                    waited.as_secs_f64(),
                    path.display()
                ),
            ));
        }
        std::thread::sleep(poll.min(timeout - waited));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn modes_are_set_and_no_temp_file_is_left() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let secret = d.path().join("sub/secret");
        write_atomically(&secret, b"s", Access::Private, Replace::Yes).unwrap();
        assert_eq!(mode(&secret), 0o600);
        let public = d.path().join("public");
        write_atomically(&public, b"p", Access::Public, Replace::Yes).unwrap();
        assert_eq!(mode(&public), 0o644);
        let names: Vec<_> = std::fs::read_dir(d.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
    }

    #[test]
    fn no_replace_keeps_the_existing_file() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("f");
        write_atomically(&p, b"old", Access::Private, Replace::No).unwrap();
        let e = write_atomically(&p, b"new", Access::Private, Replace::No).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&p).unwrap(), b"old");
        write_atomically(&p, b"new", Access::Private, Replace::Yes).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"new");
    }
}
