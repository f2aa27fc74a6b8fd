//! The explicit file store (`--token-store file`): for machines without a
//! usable keychain (headless servers, containers), chosen by the user, never
//! as a silent fallback.
//!
//! Secrets on disk get the protections a file can have: the directory is 0700,
//! each file 0600 from the moment it is created (the temp file is opened with
//! that mode, so the value is never world-readable even briefly), and writes
//! replace the file atomically (temp file in the same directory, fsync,
//! rename, fsync of the directory) so a crash leaves the old or the new value.

use std::io::ErrorKind;
use std::path::Path;
use std::sync::Once;

use super::Item;
use crate::error::{Error, Result};
use crate::report::Reporter;
use crate::secret::Secret;

static WARNED: Once = Once::new();

/// Plain files are a downgrade from the keychain; say so once per process,
/// on first use, so that a script's log shows it but is not flooded.
fn warn_once(dir: &Path, reporter: &Reporter) {
    // A silent reporter must not use up the one warning of the process.
    if reporter.is_silent() {
        return;
    }
    WARNED.call_once(|| {
        reporter.warn(&format!(
            "tokens are stored in plain files (mode 0600) under {} instead of the OS keychain",
            dir.display()
        ));
    });
}

pub(super) fn get(
    dir: &Path,
    reporter: &Reporter,
    profile: &str,
    item: Item,
) -> Result<Option<Secret>> {
    warn_once(dir, reporter);
    let path = dir.join(item.file_name(profile));
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Some(Secret::new(text))),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) if e.kind() == ErrorKind::InvalidData => Err(Error::auth(format!(
            "the stored {} for profile `{profile}` in {} is not UTF-8 text",
            item.label(),
            path.display()
        ))
        .with_hint(format!(
            "delete the file and run `smart login -p {profile}` again"
        ))),
        Err(e) => Err(Error::auth(format!("cannot read {}: {e}", path.display()))),
    }
}

pub(super) fn put(
    dir: &Path,
    reporter: &Reporter,
    profile: &str,
    item: Item,
    value: &Secret,
) -> Result<()> {
    warn_once(dir, reporter);
    let path = dir.join(item.file_name(profile));
    ensure_private_dir(dir)
        .and_then(|()| {
            crate::fsutil::write_atomically(
                &path,
                value.expose().as_bytes(),
                crate::fsutil::Access::Private,
                crate::fsutil::Replace::Yes,
            )
        })
        .map_err(|e| Error::auth(format!("cannot write {}: {e}", path.display())))
}

pub(super) fn delete(dir: &Path, reporter: &Reporter, profile: &str, item: Item) -> Result<bool> {
    warn_once(dir, reporter);
    let path = dir.join(item.file_name(profile));
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
        Err(e) => Err(Error::auth(format!(
            "cannot delete {}: {e}",
            path.display()
        ))),
    }
}

/// Creates `dir` (and parents) as 0700. A directory that already exists is
/// not chmod-ed (it may be `$HOME`, given as `SMART_STATE_DIR`), but one that
/// others can write to is refused: they could swap our files for theirs.
pub(super) fn ensure_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        builder.mode(0o700);
        builder.create(dir)?;
        let mode = std::fs::metadata(dir)?.permissions().mode();
        if mode & 0o022 != 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                format!(
                    "{} is writable by other users (mode {:o}); use a private directory (chmod 700)",
                    dir.display(),
                    mode & 0o777
                ),
            ));
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        builder.create(dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn new_directories_are_private_and_shared_ones_refused() {
        use std::os::unix::fs::PermissionsExt;
        let t = tempfile::tempdir().expect("tempdir");
        let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        let fresh = t.path().join("a/b");
        ensure_private_dir(&fresh).expect("create");
        assert_eq!(mode(&fresh), 0o700);

        let readable = t.path().join("readable");
        std::fs::create_dir(&readable).expect("mkdir");
        std::fs::set_permissions(&readable, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        ensure_private_dir(&readable).expect("a readable existing dir is used as it is");
        assert_eq!(mode(&readable), 0o755, "not chmod-ed");

        let shared = t.path().join("shared");
        std::fs::create_dir(&shared).expect("mkdir");
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o777)).expect("chmod");
        let e = ensure_private_dir(&shared).unwrap_err();
        assert!(e.to_string().contains("writable by other users"), "{e}");
    }
}
