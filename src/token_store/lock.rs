//! The per-profile advisory lock: two `smart` processes that both find an
//! expired access token must refresh once, not race (with refresh-token
//! rotation, the loser's refresh token is already spent and it would be logged
//! out).
//!
//! A lock file `<state dir>/locks/<profile>.lock` held with
//! [`fsutil::lock_file`](crate::fsutil::lock_file). It lives in the state
//! directory for every store kind, so the keychain store is serialized too.

use std::path::Path;
use std::time::Duration;

use super::file::ensure_private_dir;
use crate::error::{Error, Result};
use crate::fsutil::{FileLock, lock_file};

/// Held until dropped; dropping closes the file, which releases the lock.
pub type ProfileLock = FileLock;

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
    lock_file(&path, timeout).map_err(|e| {
        if e.kind() == std::io::ErrorKind::WouldBlock {
            Error::auth(format!(
                "profile `{profile}` is busy: another smart process holds its lock ({e})"
            ))
            .with_hint(
                "wait for the other smart command (a login waiting for the browser?) to \
                 finish, or stop it; the lock goes away when that process exits",
            )
        } else {
            Error::usage(format!("cannot lock {}: {e}", path.display()))
        }
    })
}
