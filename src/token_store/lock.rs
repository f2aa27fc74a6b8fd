//! The per-profile advisory lock: two `smart` processes that both find an
//! expired access token must refresh once, not race (with refresh-token
//! rotation, the loser's refresh token is already spent and it would be logged
//! out).
//!
//! A lock file `<state dir>/locks/<profile>.lock` held with `File::lock`
//! (flock on Unix, LockFileEx on Windows). The OS drops the lock when the
//! process dies, so a crash never leaves a stale lock, and the file itself is
//! left in place (deleting it would let a third process lock a new inode
//! while the second still waits on the old one). It lives in the state
//! directory for every store kind, so the keychain store is serialized too.
//!
//! We poll `try_lock` instead of calling the blocking `lock`, so that a stuck
//! holder (a login waiting for a browser) gives a clear message after the
//! timeout instead of a silent hang.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::file::ensure_private_dir;
use crate::error::{Error, Result};

/// Held until dropped; dropping closes the file, which releases the lock.
#[derive(Debug)]
pub struct ProfileLock {
    _file: File,
    path: PathBuf,
}

impl ProfileLock {
    /// The lock file (for messages).
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Exclusive lock for `profile` in the state directory `dir`; waits up to
/// `timeout` for another holder (see also `TokenStore::lock`).
pub fn lock_profile_in(state_dir: &Path, profile: &str, timeout: Duration) -> Result<ProfileLock> {
    super::check_profile(profile)?;
    let dir = state_dir.join("locks");
    ensure_private_dir(state_dir)
        .and_then(|()| ensure_private_dir(&dir))
        .map_err(|e| {
            Error::usage(format!(
                "cannot create the lock directory {}: {e}",
                dir.display()
            ))
        })?;
    let path = dir.join(format!("{profile}.lock"));
    let file = open_lock_file(&path)
        .map_err(|e| Error::usage(format!("cannot open lock file {}: {e}", path.display())))?;

    let start = Instant::now();
    // Short enough that a waiting `smart token` follows a finished refresh
    // promptly; long enough not to spin.
    let poll = Duration::from_millis(25);
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(ProfileLock { _file: file, path }),
            Err(TryLockError::WouldBlock) => {}
            Err(TryLockError::Error(e)) => {
                return Err(Error::usage(format!("cannot lock {}: {e}", path.display())));
            }
        }
        let waited = start.elapsed();
        if waited >= timeout {
            return Err(Error::auth(format!(
                "profile `{profile}` is busy: another smart process holds its lock \
                 (waited {:.1} s for {})",
                waited.as_secs_f64(),
                path.display()
            ))
            .with_hint(
                "wait for the other smart command (a login waiting for the browser?) to \
                 finish, or stop it; the lock goes away when that process exits",
            ));
        }
        std::thread::sleep(poll.min(timeout - waited));
    }
}

fn open_lock_file(path: &Path) -> std::io::Result<File> {
    let mut opts = OpenOptions::new();
    opts.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)
}
