//! The OS keychain store (the default): `keyring` items under service `smart`.
//!
//! Why chunks: macOS and Windows cap an item at about 2.5 KB (Windows stores
//! passwords as UTF-16, so 1280 ASCII characters), and a token set with an
//! id_token carrying many claims is larger. A large value is written as chunk
//! items `<account>#<gen>.<i>` under the generation id the current head does
//! not use, then the head item `<account>` is switched to a small JSON
//! pointer `{"smart_chunks":{"gen":…,"n":…,"sha256":…}}` — that single write
//! is the commit — and only then are the previous generation's chunks
//! deleted. A crash at any step leaves either the old head (whose chunks still
//! exist) or the new one (whose chunks were all written first), never a mix;
//! the hash catches a reader that raced a writer (it then reads the head
//! again). Generation ids alternate between two slots, `a` and `b`, so the
//! leftovers of an interrupted write are always found and cleared by the next
//! write, on every backend, without listing the keychain. Small values are
//! stored in the head item as they are, so
//! `secret-tool lookup service smart username <profile>` shows them.
//!
//! Why the careful error mapping: "the keychain does not work" has several
//! causes with different fixes (no D-Bus session, locked keyring, no Secret
//! Service, no backend at all); the user must be told which, with exit 4, and
//! we never fall back to the file store on our own.

use sha2::{Digest, Sha256};

use super::Item;
use crate::error::{Error, Result};
use crate::secret::Secret;

const SERVICE: &str = "smart";

/// Largest value stored in one item, in UTF-8 bytes. Windows converts to
/// UTF-16 (at most 2 bytes per UTF-8 byte) under a 2560-byte limit.
#[cfg(windows)]
const MAX_ITEM: usize = 1200;
#[cfg(not(windows))]
const MAX_ITEM: usize = 2000;

/// Sanity bound on a head read back from the keychain (2000 × 4096 = 8 MB).
const MAX_CHUNKS: usize = 4096;

/// The two chunk generations. A write uses the one the current head does not
/// point to and clears it first, so leftovers of an interrupted write are
/// found and deleted by the next write without listing the keychain (which
/// not every backend can do).
const SLOTS: [&str; 2] = ["a", "b"];

#[cfg(target_os = "macos")]
pub(super) const BACKEND_NAME: &str = "macOS Keychain";
#[cfg(windows)]
pub(super) const BACKEND_NAME: &str = "Windows Credential Manager";
#[cfg(not(any(target_os = "macos", windows)))]
pub(super) const BACKEND_NAME: &str = "Secret Service";

/// The handful of keychain operations the chunking needs; a trait so that
/// the crash-safety of the protocol can be unit-tested with an in-memory
/// store that fails on demand.
trait Items {
    fn get(&self, account: &str) -> keyring::Result<String>;
    fn set(&self, account: &str, value: &str) -> keyring::Result<()>;
    fn delete(&self, account: &str) -> keyring::Result<()>;
}

struct OsKeychain;

impl Items for OsKeychain {
    fn get(&self, account: &str) -> keyring::Result<String> {
        keyring::Entry::new(SERVICE, account)?.get_password()
    }
    fn set(&self, account: &str, value: &str) -> keyring::Result<()> {
        keyring::Entry::new(SERVICE, account)?.set_password(value)
    }
    fn delete(&self, account: &str) -> keyring::Result<()> {
        keyring::Entry::new(SERVICE, account)?.delete_credential()
    }
}

pub(super) fn get(profile: &str, item: Item) -> Result<Option<Secret>> {
    read(&OsKeychain, &item.account(profile))
        .map(|v| v.map(Secret::new))
        .map_err(|f| f.into_error("read", profile, item))
}

pub(super) fn put(profile: &str, item: Item, value: &Secret) -> Result<()> {
    write(&OsKeychain, &item.account(profile), value.expose())
        .map_err(|f| f.into_error("store", profile, item))
}

pub(super) fn delete(profile: &str, item: Item) -> Result<bool> {
    remove(&OsKeychain, &item.account(profile)).map_err(|f| f.into_error("delete", profile, item))
}

/// Why an operation failed, before it is given user-facing words.
#[derive(Debug)]
enum Failure {
    Keyring(keyring::Error),
    /// The head points to chunks that are missing or do not add up. The
    /// reason never contains stored data.
    Corrupt(&'static str),
}

impl From<keyring::Error> for Failure {
    fn from(e: keyring::Error) -> Self {
        Failure::Keyring(e)
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Head {
    smart_chunks: Chunks,
}

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Chunks {
    #[serde(rename = "gen")]
    generation: String,
    n: usize,
    sha256: String,
}

/// A head item, if `value` is one. A caller's value that happens to look like
/// a head is always written chunked (see `write`), so this is unambiguous.
fn parse_head(value: &str) -> Option<Chunks> {
    if !value.contains("\"smart_chunks\"") {
        return None;
    }
    let head: Head = serde_json::from_str(value).ok()?;
    let c = head.smart_chunks;
    (SLOTS.contains(&c.generation.as_str()) && (1..=MAX_CHUNKS).contains(&c.n)).then_some(c)
}

fn chunk_account(head: &str, slot: &str, i: usize) -> String {
    format!("{head}#{slot}.{i}")
}

fn sha256_hex(value: &str) -> String {
    Sha256::digest(value.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Pieces of at most `max` bytes, cut on character boundaries.
fn split(value: &str, max: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = value;
    while !rest.is_empty() {
        let mut end = rest.len().min(max);
        while !rest.is_char_boundary(end) {
            end -= 1;
        }
        let (piece, tail) = rest.split_at(end);
        out.push(piece);
        rest = tail;
    }
    out
}

fn read(items: &dyn Items, head: &str) -> std::result::Result<Option<String>, Failure> {
    // A writer may replace the value between our reading the head and its
    // chunks (deleting the chunks we follow): read the head again.
    const ATTEMPTS: usize = 3;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let value = match items.get(head) {
            Ok(v) => v,
            Err(keyring::Error::NoEntry) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let Some(chunks) = parse_head(&value) else {
            return Ok(Some(value));
        };
        match read_chunks(items, head, &chunks) {
            Ok(v) => return Ok(Some(v)),
            Err(Failure::Corrupt(_) | Failure::Keyring(keyring::Error::NoEntry))
                if attempt < ATTEMPTS =>
            {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            Err(Failure::Keyring(keyring::Error::NoEntry)) => {
                return Err(Failure::Corrupt("a chunk item is missing"));
            }
            Err(e) => return Err(e),
        }
    }
}

fn read_chunks(items: &dyn Items, head: &str, c: &Chunks) -> std::result::Result<String, Failure> {
    let mut value = String::new();
    for i in 0..c.n {
        value.push_str(&items.get(&chunk_account(head, &c.generation, i))?);
    }
    if sha256_hex(&value) != c.sha256 {
        return Err(Failure::Corrupt("the chunks do not match their checksum"));
    }
    Ok(value)
}

fn write(items: &dyn Items, head: &str, value: &str) -> std::result::Result<(), Failure> {
    let previous = match items.get(head) {
        Ok(v) => parse_head(&v),
        Err(keyring::Error::NoEntry) => None,
        Err(e) => return Err(e.into()),
    };
    if value.len() <= MAX_ITEM && parse_head(value).is_none() {
        items.set(head, value)?;
        // Committed; what is left in the slots is litter.
        clear_slot(items, head, SLOTS[0]);
        clear_slot(items, head, SLOTS[1]);
        return Ok(());
    }
    // The slot the current head does not use: a crash before the head switch
    // leaves the current value untouched.
    let slot = match &previous {
        Some(c) if c.generation == SLOTS[0] => SLOTS[1],
        _ => SLOTS[0],
    };
    let other = if slot == SLOTS[0] { SLOTS[1] } else { SLOTS[0] };
    clear_slot(items, head, slot);
    let pieces = split(value, MAX_ITEM);
    for (i, piece) in pieces.iter().enumerate() {
        if let Err(e) = items.set(&chunk_account(head, slot, i), piece) {
            clear_slot(items, head, slot);
            return Err(e.into());
        }
    }
    let pointer = Head {
        smart_chunks: Chunks {
            generation: slot.to_owned(),
            n: pieces.len(),
            sha256: sha256_hex(value),
        },
    };
    let pointer = serde_json::to_string(&pointer)
        .map_err(|_| Failure::Corrupt("cannot encode the chunk head"))?;
    if let Err(e) = items.set(head, &pointer) {
        clear_slot(items, head, slot);
        return Err(e.into());
    }
    clear_slot(items, head, other);
    Ok(())
}

fn remove(items: &dyn Items, head: &str) -> std::result::Result<bool, Failure> {
    // Head first: once it is gone nothing points to the chunks, so a crash
    // in between leaves litter (cleared by the next write), never a half value.
    let existed = match items.delete(head) {
        Ok(()) => true,
        Err(keyring::Error::NoEntry) => false,
        Err(e) => return Err(e.into()),
    };
    clear_slot(items, head, SLOTS[0]);
    clear_slot(items, head, SLOTS[1]);
    Ok(existed)
}

/// Deletes the chunks in one slot. Chunks are written in ascending order and
/// deleted in descending order, so whatever a crash leaves in a slot is a
/// prefix `0..k`: probing upwards from 0 finds all of it. Failures leave
/// litter, not a wrong value, so they are not errors.
fn clear_slot(items: &dyn Items, head: &str, slot: &str) {
    let mut present = 0;
    while present < MAX_CHUNKS && items.get(&chunk_account(head, slot, present)).is_ok() {
        present += 1;
    }
    for i in (0..present).rev() {
        let _ = items.delete(&chunk_account(head, slot, i));
    }
}

impl Failure {
    fn into_error(self, verb: &str, profile: &str, item: Item) -> Error {
        let what = format!(
            "cannot {verb} the {} for profile `{profile}` in the OS keychain",
            item.label()
        );
        match self {
            Failure::Corrupt(reason) => Error::auth(format!(
                "the stored {} for profile `{profile}` in the OS keychain is incomplete: {reason}",
                item.label()
            ))
            .with_hint(format!(
                "run `smart login -p {profile}` again to replace it"
            )),
            Failure::Keyring(e) => keyring_error(&what, &e, profile, item),
        }
    }
}

const USE_FILE: &str =
    "or use `--token-store file` (SMART_TOKEN_STORE=file) to keep tokens in a 0600 file";

/// Words for a keyring error. Never uses `Debug` on the error: some variants
/// carry the stored bytes.
fn keyring_error(what: &str, e: &keyring::Error, profile: &str, item: Item) -> Error {
    use keyring::Error as K;
    match e {
        K::NoDefaultStore => match keyring::Entry::store_status() {
            // The real reason is the one-time store initialization's error.
            Err(init) if !matches!(init, K::NoDefaultStore) => {
                keyring_error(what, init, profile, item)
            }
            _ => Error::auth(format!("{what}: no OS keychain is available"))
                .with_hint(format!("start a keychain service, {USE_FILE}")),
        },
        K::Invalid(param, _) if param == "platform" => Error::auth(format!(
            "{what}: there is no OS keychain backend on this platform"
        ))
        .with_hint("use `--token-store file` (SMART_TOKEN_STORE=file)"),
        K::NoStorageAccess(inner) => Error::auth(format!(
            "{what}: the keyring is locked or refused access ({})",
            chain(inner.as_ref())
        ))
        .with_hint(format!(
            "unlock it (log in to the desktop session, or `gnome-keyring-daemon --unlock`), {USE_FILE}"
        )),
        K::PlatformFailure(inner) => platform_failure(what, &chain(inner.as_ref())),
        K::Ambiguous(found) => {
            let account = item.account(profile);
            Error::auth(format!(
                "{what}: {} keychain items match service `{SERVICE}` and account `{account}`",
                found.len()
            ))
            .with_hint(format!(
                "remove the duplicates (e.g. `secret-tool clear service {SERVICE} username {account}`) and log in again"
            ))
        }
        K::BadEncoding(_) | K::BadDataFormat(..) => Error::auth(format!(
            "{what}: the stored item is not text"
        ))
        .with_hint(format!(
            "delete it (`smart logout -p {profile}`) and log in again"
        )),
        K::TooLong(attr, limit) => Error::auth(format!(
            "{what}: the {attr} is longer than the keychain allows ({limit})"
        )),
        // Invalid, BadStoreFormat, NotSupportedByStore, and future variants:
        // their Display carries names and reasons, not stored data.
        other => Error::auth(format!("{what}: {other}"))
            .with_hint(format!("check the keychain service, {USE_FILE}")),
    }
}

/// A platform failure is usually "cannot reach the keychain service"; tell
/// apart "no session bus at all" from "a bus but nobody serving secrets".
fn platform_failure(what: &str, detail: &str) -> Error {
    if cfg!(any(target_os = "macos", windows)) {
        return Error::auth(format!("{what}: {detail}"))
            .with_hint(format!("check that the keychain is unlocked, {USE_FILE}"));
    }
    let d = detail.to_ascii_lowercase();
    let no_service = [
        "serviceunknown",
        "org.freedesktop.secrets",
        "not provided by any .service",
    ];
    let no_bus = [
        "dbus_session_bus_address",
        "no such file",
        "connection refused",
        "address",
        "no session bus",
        "failed to connect",
        "i/o error",
        "io error",
    ];
    if no_service.iter().any(|s| d.contains(s)) {
        Error::auth(format!(
            "{what}: no Secret Service is running on the D-Bus session bus ({detail})"
        ))
        .with_hint(format!(
            "start one (gnome-keyring-daemon, KeePassXC with Secret Service integration), {USE_FILE}"
        ))
    } else if no_bus.iter().any(|s| d.contains(s)) {
        Error::auth(format!(
            "{what}: no D-Bus session bus to reach the Secret Service ({detail})"
        ))
        .with_hint(format!(
            "run inside a desktop session or under `dbus-run-session` with an unlocked keyring, {USE_FILE}"
        ))
    } else {
        Error::auth(format!("{what}: the Secret Service failed ({detail})"))
            .with_hint(format!("check the keyring daemon, {USE_FILE}"))
    }
}

/// An error and its sources on one line: the useful part of a zbus error is
/// often the innermost one.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::{Cell, RefCell};
    use std::collections::BTreeMap;

    /// An in-memory keychain that can fail the n-th write, as a crash would.
    #[derive(Default)]
    struct Fake {
        map: RefCell<BTreeMap<String, String>>,
        writes_left: Cell<Option<usize>>,
    }

    impl Items for Fake {
        fn get(&self, account: &str) -> keyring::Result<String> {
            self.map
                .borrow()
                .get(account)
                .cloned()
                .ok_or(keyring::Error::NoEntry)
        }
        fn set(&self, account: &str, value: &str) -> keyring::Result<()> {
            if let Some(n) = self.writes_left.get() {
                if n == 0 {
                    return Err(keyring::Error::PlatformFailure("crash".into()));
                }
                self.writes_left.set(Some(n - 1));
            }
            self.map.borrow_mut().insert(account.into(), value.into());
            Ok(())
        }
        fn delete(&self, account: &str) -> keyring::Result<()> {
            self.map
                .borrow_mut()
                .remove(account)
                .map(drop)
                .ok_or(keyring::Error::NoEntry)
        }
    }

    fn big(tag: char, len: usize) -> String {
        std::iter::repeat_n(tag, len).collect()
    }

    #[test]
    fn large_values_round_trip_in_chunks() {
        let k = Fake::default();
        let v = big('a', 6000);
        write(&k, "p", &v).expect("write");
        assert_eq!(read(&k, "p").expect("read").as_deref(), Some(v.as_str()));
        assert_eq!(k.map.borrow().len(), 1 + 3);
        assert!(k.map.borrow().values().all(|x| x.len() <= MAX_ITEM));
    }

    #[test]
    fn multibyte_text_is_cut_on_character_boundaries() {
        let v: String = std::iter::repeat_n("é€𝄞", 700).collect();
        let k = Fake::default();
        write(&k, "p", &v).expect("write");
        assert_eq!(read(&k, "p").expect("read"), Some(v));
    }

    #[test]
    fn replacing_leaves_no_old_chunks() {
        let k = Fake::default();
        write(&k, "p", &big('a', 6000)).expect("write");
        write(&k, "p", &big('b', 4500)).expect("write");
        assert_eq!(k.map.borrow().len(), 1 + 3);
        write(&k, "p", "small").expect("write");
        assert_eq!(k.map.borrow().keys().collect::<Vec<_>>(), ["p"]);
        assert_eq!(read(&k, "p").expect("read").as_deref(), Some("small"));
    }

    #[test]
    fn a_crash_at_any_write_leaves_old_or_new() {
        let old = big('o', 5000);
        let new = big('n', 7000);
        for crash_at in 0..8 {
            let k = Fake::default();
            write(&k, "p", &old).expect("write");
            k.writes_left.set(Some(crash_at));
            let result = write(&k, "p", &new);
            k.writes_left.set(None);
            let got = read(&k, "p").expect("read").expect("some value");
            assert!(got == old || got == new, "crash at {crash_at}: mixed value");
            assert_eq!(result.is_ok(), got == new);
            // Whatever the crash left behind goes with the next write.
            write(&k, "p", &big('c', 3000)).expect("write");
            write(&k, "p", "x").expect("write");
            assert_eq!(k.map.borrow().keys().collect::<Vec<_>>(), ["p"]);
        }
    }

    #[test]
    fn a_missing_chunk_is_reported_not_returned() {
        let k = Fake::default();
        write(&k, "p", &big('a', 6000)).expect("write");
        let chunk = k.map.borrow().keys().find(|a| a.ends_with(".1")).cloned();
        k.map.borrow_mut().remove(&chunk.expect("chunk"));
        assert!(matches!(read(&k, "p"), Err(Failure::Corrupt(_))));
    }

    #[test]
    fn a_value_that_looks_like_a_head_is_stored_safely() {
        let k = Fake::default();
        let tricky = r#"{"smart_chunks":{"gen":"ab","n":1,"sha256":"00"}}"#;
        write(&k, "p", tricky).expect("write");
        assert_eq!(read(&k, "p").expect("read").as_deref(), Some(tricky));
    }

    #[test]
    fn delete_removes_head_chunks_and_litter() {
        let k = Fake::default();
        write(&k, "p", &big('a', 6000)).expect("write");
        k.map
            .borrow_mut()
            .insert("p:client_secret".into(), "keep".into());
        k.map
            .borrow_mut()
            .insert("pq#a.0".into(), "other profile".into());
        assert!(remove(&k, "p").expect("delete"));
        assert_eq!(
            k.map.borrow().keys().collect::<Vec<_>>(),
            ["p:client_secret", "pq#a.0"]
        );
        assert!(!remove(&k, "p").expect("delete again"));
        assert_eq!(read(&k, "p").expect("read"), None);
    }

    #[test]
    fn errors_say_which_problem_and_hide_data() {
        let e = keyring_error(
            "cannot read",
            &keyring::Error::BadEncoding(b"secret-bytes".to_vec()),
            "p",
            Item::Tokens,
        );
        assert!(!e.message.contains("secret-bytes"));
        let e = keyring_error(
            "cannot read",
            &keyring::Error::NoStorageAccess("locked".into()),
            "p",
            Item::Tokens,
        );
        assert!(e.message.contains("locked"), "{}", e.message);
        assert!(e.hint.as_deref().unwrap_or("").contains("--unlock"));
        let e = platform_failure(
            "cannot read",
            "I/O error: No such file or directory (os error 2)",
        );
        if cfg!(not(any(target_os = "macos", windows))) {
            assert!(e.message.contains("D-Bus"), "{}", e.message);
            assert!(e.hint.as_deref().unwrap_or("").contains("dbus-run-session"));
        }
        assert_eq!(e.kind, crate::error::Kind::Auth);
    }
}
