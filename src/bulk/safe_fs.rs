//! Opening files in an export directory without trusting it: DIR may have
//! been prepared by someone else (a shared disk, an unpacked archive), so a
//! symlink planted where `smart` writes must not send PHI, or a truncation,
//! somewhere else. Every open here refuses to follow a symlink (`O_NOFOLLOW`;
//! new files `create_new`), and what `smart` creates is private: files 0600,
//! directories 0700 (the umask can only make them stricter).

use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::path::Path;

fn nofollow(o: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32);
    }
    o
}

fn private(o: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o
}

/// An error that names the symlink, for the open that refused it (ELOOP
/// says "too many levels of symbolic links", which misleads).
fn explain(path: &Path, e: io::Error) -> io::Error {
    if is_symlink(path) {
        io::Error::other(format!(
            "{} is a symbolic link; smart does not follow links in an export directory",
            path.display()
        ))
    } else {
        e
    }
}

pub fn is_symlink(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// Refuses a symlink at `path` (nothing there is fine).
pub fn not_a_link(path: &Path) -> io::Result<()> {
    if is_symlink(path) {
        return Err(explain(path, io::Error::other("symlink")));
    }
    Ok(())
}

/// For reading; a symlink is refused.
pub fn open_read(path: &Path) -> io::Result<File> {
    #[cfg(not(unix))]
    not_a_link(path)?;
    nofollow(OpenOptions::new().read(true))
        .open(path)
        .map_err(|e| explain(path, e))
}

/// For appending to a file of our own, created 0600 if missing.
pub fn open_append(path: &Path) -> io::Result<File> {
    #[cfg(not(unix))]
    not_a_link(path)?;
    private(nofollow(
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false),
    ))
    .open(path)
    .map_err(|e| explain(path, e))
}

/// For appending lines (`O_APPEND`), created 0600 if missing.
pub fn open_log(path: &Path) -> io::Result<File> {
    #[cfg(not(unix))]
    not_a_link(path)?;
    private(nofollow(OpenOptions::new().append(true).create(true)))
        .open(path)
        .map_err(|e| explain(path, e))
}

/// A new file, 0600: whatever is at `path` already (a symlink included) is
/// an error. Used for `.part` files after the old one is removed.
pub fn create_new(path: &Path) -> io::Result<File> {
    private(nofollow(
        OpenOptions::new().read(true).write(true).create_new(true),
    ))
    .open(path)
    .map_err(|e| explain(path, e))
}

/// An existing file to continue writing (a `.part` resumed with `Range`).
pub fn open_existing(path: &Path) -> io::Result<File> {
    #[cfg(not(unix))]
    not_a_link(path)?;
    nofollow(OpenOptions::new().read(true).write(true))
        .open(path)
        .map_err(|e| explain(path, e))
}

/// Removes a file if there is one (a symlink itself, never its target).
pub fn remove_if_there(path: &Path) -> io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// The whole of the file at `path` (read without following a symlink), or
/// `None` when there is none: the state files of exports and crawls, for
/// which "absent" and "unreadable" must stay apart.
pub fn read_if_there(path: &Path) -> io::Result<Option<Vec<u8>>> {
    let mut text = Vec::new();
    match open_read(path) {
        Ok(mut f) => f.read_to_end(&mut text).map(|_| Some(text)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Makes everything written under `dir` durable: one `syncfs` of its
/// filesystem on Linux instead of an fsync per file; elsewhere an fsync of
/// each of `files`.
pub fn sync_all(dir: &Path, files: &[std::path::PathBuf]) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        let _ = files;
        let d = File::open(dir)?;
        rustix::fs::syncfs(&d).map_err(io::Error::from)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = dir;
        for f in files {
            File::open(f)?.sync_all()?;
        }
        Ok(())
    }
}

/// A directory of our own (DIR, `DIR/error`): created 0700 when missing; a
/// symlink, or a file, where it goes is an error.
pub fn make_dir(path: &Path) -> io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    match b.create(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            let m = std::fs::symlink_metadata(path)?;
            if m.file_type().is_symlink() {
                Err(explain(path, e))
            } else if m.is_dir() {
                Ok(())
            } else {
                Err(io::Error::other(format!(
                    "{} is a file, not a directory",
                    path.display()
                )))
            }
        }
        Err(e) => Err(e),
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn links_are_refused_and_their_targets_untouched() {
        let d = tempfile::tempdir().unwrap();
        let target = d.path().join("target");
        std::fs::write(&target, "keep").unwrap();
        let link = d.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        for r in [
            open_read(&link).map(drop),
            open_append(&link).map(drop),
            create_new(&link).map(drop),
            open_existing(&link).map(drop),
            not_a_link(&link),
        ] {
            let e = r.unwrap_err();
            assert!(e.to_string().contains("symbolic link"), "{e}");
        }
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
        let dlink = d.path().join("dlink");
        std::os::unix::fs::symlink(d.path(), &dlink).unwrap();
        assert!(make_dir(&dlink).is_err());
    }

    #[test]
    fn what_smart_creates_is_private() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("f");
        drop(create_new(&f).unwrap());
        assert_eq!(mode(&f), 0o600);
        assert!(create_new(&f).is_err(), "never over an existing file");
        let sub = d.path().join("sub");
        make_dir(&sub).unwrap();
        make_dir(&sub).unwrap();
        assert_eq!(mode(&sub), 0o700);
    }

    #[test]
    fn a_sync_that_cannot_be_made_is_an_error_not_durable() {
        // Whether bytes reach the disk no test can see; that a sync which
        // could not even start is reported (and the export not called
        // durable) it can.
        let d = tempfile::tempdir().unwrap();
        let gone = d.path().join("gone");
        assert!(sync_all(&gone, &[gone.join("Patient.1.ndjson")]).is_err());
        assert!(sync_all(d.path(), &[]).is_ok());
    }
}
