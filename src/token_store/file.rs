//! The explicit file store (`--token-store file`): for machines without a
//! usable keychain (headless servers, containers), chosen by the user, never
//! as a silent fallback.
//!
//! Secrets on disk get the protections a file can have: the directory is 0700,
//! each file 0600 from the moment it is created (the temp file is opened with
//! that mode, so the value is never world-readable even briefly), and writes
//! replace the file atomically (temp file in the same directory, fsync,
//! rename, fsync of the directory) so a crash leaves the old or the new value.
//!
//! What is read must be the user's own: a directory or file that belongs to
//! someone else, or that others may write to, is refused with the `chmod`
//! that fixes it. Whoever could write there could swap in tokens of theirs
//! (and with them the server the next command sends its requests to).
//!
//! That the tokens are in plain files is said once: when the store gets a
//! new file (the first login, a new secret), not on each login or command
//! that reads or refreshes them, so a script's stderr is not filled with it;
//! and not at all when `--token-store file` was typed on the command line
//! (see `Invocation::store`).

use std::io::ErrorKind;
use std::path::Path;
use std::sync::Once;

use super::Item;
use crate::error::{Error, Result};
use crate::reporter::Reporter;
use crate::secret::Secret;

static WARNED: Once = Once::new();

/// Plain files are a downgrade from the keychain: says so (once per
/// process), when something new is stored.
pub(super) fn announce(dir: &Path, reporter: &Reporter) {
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

pub(super) fn get(dir: &Path, profile: &str, item: Item) -> Result<Option<Secret>> {
    let path = dir.join(item.file_name(profile));
    match read_own(dir, &path) {
        Ok(text) => Ok(Some(Secret::new(text))),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) if e.kind() == ErrorKind::PermissionDenied => Err(Error::usage(format!(
            "refusing to read the stored {} of profile `{profile}`: {e}",
            item.label()
        ))),
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
    let path = dir.join(item.file_name(profile));
    if std::fs::symlink_metadata(&path).is_err() {
        announce(dir, reporter);
    }
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

pub(super) fn delete(dir: &Path, profile: &str, item: Item) -> Result<bool> {
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
/// is not ours or that others can write to is refused: they could swap our
/// files for theirs.
pub(super) fn ensure_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
        builder.create(dir)?;
        check_own(dir, &std::fs::metadata(dir)?)
    }
    #[cfg(not(unix))]
    {
        builder.create(dir)
    }
}

/// A file of the store, read only when it and its directory are ours: the
/// file is checked on the handle it is read from, so it cannot be swapped
/// between the check and the read.
fn read_own(dir: &Path, path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    check_own(dir, &std::fs::metadata(dir)?)?;
    let mut file = std::fs::File::open(path)?;
    check_own(path, &file.metadata()?)?;
    let mut text = String::new();
    file.read_to_string(&mut text)?;
    Ok(text)
}

/// `PermissionDenied`, naming `path` and the fix, unless it belongs to this
/// user and nobody else may write to it.
fn check_own(path: &Path, meta: &std::fs::Metadata) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let me = rustix::process::geteuid().as_raw();
        match untrusted(path, meta.uid(), meta.mode(), me, meta.is_dir()) {
            Some(why) => Err(std::io::Error::new(ErrorKind::PermissionDenied, why)),
            None => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (path, meta);
        Ok(())
    }
}

/// Why `path` (owner `uid`, `mode`) cannot be trusted by user `me`, with
/// the command that fixes it; `None` when it can.
#[cfg(unix)]
fn untrusted(path: &Path, uid: u32, mode: u32, me: u32, is_dir: bool) -> Option<String> {
    let p = path.display();
    let private = if is_dir { "700" } else { "600" };
    if uid != me {
        return Some(format!(
            "{p} belongs to user id {uid}, not to you (user id {me}); remove it, or `chown {me} {p}` and `chmod {private} {p}`"
        ));
    }
    if mode & 0o022 != 0 {
        return Some(format!(
            "{p} is writable by other users (mode {:o}); `chmod {private} {p}`",
            mode & 0o777
        ));
    }
    None
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

    #[cfg(unix)]
    #[test]
    fn only_own_paths_that_nobody_else_writes_are_trusted() {
        let p = Path::new("/s/p.tokens.json");
        assert_eq!(untrusted(p, 1000, 0o100600, 1000, false), None);
        assert_eq!(untrusted(p, 1000, 0o100644, 1000, false), None);
        let e = untrusted(p, 1000, 0o100620, 1000, false).unwrap();
        assert!(
            e.contains("/s/p.tokens.json") && e.contains("chmod 600"),
            "{e}"
        );
        assert!(untrusted(p, 1000, 0o100602, 1000, false).is_some());
        let e = untrusted(p, 0, 0o100600, 1000, false).unwrap();
        assert!(e.contains("user id 0") && e.contains("chown 1000"), "{e}");
        let d = Path::new("/s");
        assert_eq!(untrusted(d, 1000, 0o40700, 1000, true), None);
        assert!(
            untrusted(d, 1000, 0o40770, 1000, true)
                .unwrap()
                .contains("chmod 700")
        );
        assert!(untrusted(d, 1001, 0o40700, 1000, true).is_some());
    }

    #[cfg(unix)]
    #[test]
    fn a_token_file_others_may_write_or_do_not_own_is_not_read() {
        use std::os::unix::fs::PermissionsExt;
        let t = tempfile::tempdir().expect("tempdir");
        let dir = t.path().join("state");
        let v = Secret::new("tok-value");
        put(&dir, &Reporter::default(), "p", Item::Tokens, &v).unwrap();
        assert_eq!(get(&dir, "p", Item::Tokens).unwrap(), Some(v));
        let file = dir.join(Item::Tokens.file_name("p"));
        let chmod = |p: &Path, m| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m));

        chmod(&file, 0o620).unwrap();
        let e = get(&dir, "p", Item::Tokens).unwrap_err();
        assert!(
            e.message.contains("writable by other users"),
            "{}",
            e.message
        );
        assert!(e.message.contains(&format!("chmod 600 {}", file.display())));
        assert!(!e.message.contains("tok-value"), "{}", e.message);
        chmod(&file, 0o600).unwrap();

        chmod(&dir, 0o720).unwrap();
        assert!(get(&dir, "p", Item::Tokens).is_err(), "a shared directory");
        chmod(&dir, 0o700).unwrap();

        // Ownership for real where we may give files away (as root).
        let nobody = 65534;
        if std::os::unix::fs::chown(&file, Some(nobody), None).is_ok() {
            let e = get(&dir, "p", Item::Tokens).unwrap_err();
            assert!(e.message.contains("user id 65534"), "{}", e.message);
            std::os::unix::fs::chown(&file, Some(rustix::process::geteuid().as_raw()), None)
                .unwrap();
            std::os::unix::fs::chown(&dir, Some(nobody), None).unwrap();
            assert!(
                get(&dir, "p", Item::Tokens).is_err(),
                "another user's directory"
            );
            assert!(ensure_private_dir(&dir).is_err());
        } else {
            eprintln!("not root: the ownership check is tested on `untrusted` only");
        }
    }
}
