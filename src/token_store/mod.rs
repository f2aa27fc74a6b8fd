//! Where tokens, client secrets and private keys live: the OS keychain by
//! default, an explicit 0600 file store, or nowhere.
//!
//! The values are opaque strings (the callers write JSON); this module only
//! decides where they go and keeps them whole: the keychain splits large values
//! into chunks behind an atomic head item (`keychain.rs`), the file store
//! replaces files atomically (`file.rs`). A per-profile advisory lock
//! (`lock.rs`) lets concurrent `smart` processes refresh once instead of
//! racing.
//!
//! The keychain is the only silent choice. When it is unusable the error says
//! why and what to do (exit 4); there is never a silent fallback to the file
//! store, because that would quietly move secrets to disk.
//!
//! Blocking: every method here does blocking I/O (files, and a D-Bus round trip
//! for the keychain on Linux). Async callers go through
//! `blocking::blocking` (`block_in_place`); calling them directly from a tokio
//! worker thread is also safe (the Secret Service client runs its own
//! executor, not tokio's) but stalls that worker for the round trip.

mod file;
mod keychain;
mod lock;

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::reporter::Reporter;
use crate::secret::Secret;

pub use lock::{ProfileLock, lock_profile_in};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreKind {
    /// The OS keychain (Secret Service, macOS Keychain, Windows Credential Manager)
    #[default]
    Keychain,
    /// Files under $XDG_STATE_HOME/smart, mode 0600 (explicit fallback)
    File,
    /// Keep nothing: tokens live for one command (CI with SMART_ACCESS_TOKEN)
    None,
}

impl std::fmt::Display for StoreKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StoreKind::Keychain => "keychain",
            StoreKind::File => "file",
            StoreKind::None => "none",
        })
    }
}

/// What is stored for a profile. Each item is a separate keychain entry /
/// file, so that logging out can drop the tokens and keep the client secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Item {
    /// The token set (access/refresh/id tokens, expiry, context), as JSON.
    Tokens,
    /// A confidential client's secret.
    ClientSecret,
    /// A confidential-asymmetric / backend client's private key.
    PrivateKey,
}

impl Item {
    pub const ALL: [Item; 3] = [Item::Tokens, Item::ClientSecret, Item::PrivateKey];

    /// For messages: "tokens", "client secret", "private key".
    pub fn label(self) -> &'static str {
        match self {
            Item::Tokens => "tokens",
            Item::ClientSecret => "client secret",
            Item::PrivateKey => "private key",
        }
    }

    /// The keychain account. `Tokens` uses the bare profile name so that
    /// `secret-tool lookup service smart username <profile>` finds the token
    /// set; the `:` suffixes cannot collide because profile names have no `:`.
    pub fn account(self, profile: &str) -> String {
        match self {
            Item::Tokens => profile.to_owned(),
            Item::ClientSecret => format!("{profile}:client_secret"),
            Item::PrivateKey => format!("{profile}:private_key"),
        }
    }

    /// The file store's file name.
    pub fn file_name(self, profile: &str) -> String {
        match self {
            Item::Tokens => format!("{profile}.tokens.json"),
            Item::ClientSecret => format!("{profile}.client_secret"),
            Item::PrivateKey => format!("{profile}.private_key"),
        }
    }
}

/// The selected store. Cheap to create; nothing is touched until used.
#[derive(Debug, Clone)]
pub struct TokenStore {
    kind: StoreKind,
    /// The state directory, resolved at creation; `Err` only matters to the
    /// file store (and is reported when it is used).
    dir: std::result::Result<PathBuf, Error>,
    /// Where the file store's warning goes.
    reporter: Reporter,
}

impl TokenStore {
    /// A store of `kind` whose file store and locks live in `dir` (see
    /// [`state_dir`]); it reports nothing until given a reporter.
    pub(crate) fn new(kind: StoreKind, dir: Result<PathBuf>) -> TokenStore {
        TokenStore {
            kind,
            dir,
            reporter: Reporter::default(),
        }
    }

    /// A store whose file store and locks live in `dir` (tests, and callers
    /// that resolved the directory themselves).
    pub fn with_state_dir(kind: StoreKind, dir: impl Into<PathBuf>) -> TokenStore {
        TokenStore::new(kind, Ok(dir.into()))
    }

    /// Sends the store's warnings (plain files instead of the keychain) to
    /// `reporter`.
    pub fn reporting_to(mut self, reporter: Reporter) -> TokenStore {
        self.reporter = reporter;
        self
    }

    /// The per-profile lock (see `lock.rs`), in this store's state
    /// directory, whatever the kind.
    pub fn lock(&self, profile: &str, timeout: std::time::Duration) -> Result<ProfileLock> {
        lock_profile_in(self.state_dir()?, profile, timeout)
    }

    pub fn kind(&self) -> StoreKind {
        self.kind
    }

    /// The state directory in use (file store and lock files).
    pub fn state_dir(&self) -> Result<&Path> {
        self.dir.as_deref().map_err(Clone::clone)
    }

    /// The stored value; `Ok(None)` when nothing is stored (not logged in).
    pub fn get(&self, profile: &str, item: Item) -> Result<Option<Secret>> {
        check_profile(profile)?;
        match self.kind {
            StoreKind::Keychain => keychain::get(profile, item),
            StoreKind::File => file::get(self.state_dir()?, profile, item),
            StoreKind::None => Ok(None),
        }
    }

    /// Stores `value`, replacing what was there, atomically: a reader sees the
    /// old or the new value, never a mix. Concurrent writers of one profile
    /// should hold [`TokenStore::lock`].
    pub fn put(&self, profile: &str, item: Item, value: &Secret) -> Result<()> {
        check_profile(profile)?;
        match self.kind {
            StoreKind::Keychain => keychain::put(profile, item, value),
            StoreKind::File => file::put(self.state_dir()?, &self.reporter, profile, item, value),
            StoreKind::None => Ok(()),
        }
    }

    /// Removes the item; `true` if something was there.
    pub fn delete(&self, profile: &str, item: Item) -> Result<bool> {
        check_profile(profile)?;
        match self.kind {
            StoreKind::Keychain => keychain::delete(profile, item),
            StoreKind::File => file::delete(self.state_dir()?, profile, item),
            StoreKind::None => Ok(false),
        }
    }

    /// One line for `smart status` and messages.
    pub fn describe(&self) -> String {
        match self.kind {
            StoreKind::Keychain => format!("OS keychain ({})", keychain::BACKEND_NAME),
            StoreKind::File => match &self.dir {
                Ok(d) => format!("file store {}", d.display()),
                Err(_) => "file store (no state directory found)".to_owned(),
            },
            StoreKind::None => "none".to_owned(),
        }
    }
}

/// Where the file store and the lock files live: `explicit`
/// (`$SMART_STATE_DIR`), else `$XDG_STATE_HOME/smart`, else the platform's
/// state (Linux) or local data directory. The caller reads the environment
/// (see `settings::Environment::state_dir`).
pub(crate) fn state_dir(
    explicit: Option<PathBuf>,
    xdg_state_home: Option<PathBuf>,
) -> Result<PathBuf> {
    if let Some(d) = explicit {
        return Ok(d);
    }
    if let Some(x) = xdg_state_home {
        return Ok(x.join("smart"));
    }
    directories::ProjectDirs::from("", "", "smart")
        .map(|d| {
            d.state_dir()
                .unwrap_or_else(|| d.data_local_dir())
                .to_path_buf()
        })
        .ok_or_else(|| {
            Error::usage("cannot find a state directory for the token store (no home directory)")
                .with_hint("set SMART_STATE_DIR or XDG_STATE_HOME")
        })
}

/// Profile names become file names and keychain accounts. Config already
/// validates them, but a name from elsewhere (env, a future command) must not
/// be able to walk out of the state directory or collide with the `:`/`#`
/// suffixes of other items.
fn check_profile(profile: &str) -> Result<()> {
    crate::config::validate_name(profile).map_err(Error::usage)?;
    if profile == "." || profile == ".." {
        return Err(Error::usage(format!(
            "profile name `{profile}` is not allowed"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_names_cannot_escape_the_directory() {
        for bad in ["../x", "a/b", "a\\b", "", ".", "..", "a:b", "a#1", "a\0b"] {
            assert!(check_profile(bad).is_err(), "{bad:?}");
        }
        for good in ["dev", "epic-sandbox", "a.b_c", "A1"] {
            assert!(check_profile(good).is_ok(), "{good}");
        }
    }

    #[test]
    fn accounts_and_file_names_are_distinct() {
        let mut seen = std::collections::HashSet::new();
        for item in Item::ALL {
            assert!(seen.insert(item.account("p")));
            assert!(seen.insert(item.file_name("p")));
        }
        assert_eq!(Item::Tokens.account("p"), "p");
    }
}
