//! The token store against real parts: files on disk with their modes, the
//! real OS keychain (gnome-keyring over a private D-Bus session, set up by
//! `scripts/test`), a keychain that is not there, and the profile lock across
//! threads.
//!
//! Keychain tests are marked ignored (plain `cargo test` lists them so);
//! `scripts/test` runs them with `--include-ignored` and
//! `SMART_TEST_KEYCHAIN=1` inside a D-Bus session. Some checks need a fresh
//! process (the keychain backend is initialized once per process, the
//! file-store warning is printed once per process): those re-run this test
//! binary on a single `child_*` test with `SMART_TEST_CHILD` set. The
//! `child_*` tests are ignored on their own and do nothing without it.

use std::path::Path;
use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use smart::error::Kind;
use smart::output::Reporter;
use smart::secret::Secret;
use smart::settings::Environment;
use smart::token_store::{Item, StoreKind, TokenStore, lock_profile_in};

/// A profile name no other test (or earlier run) uses: tests run in parallel
/// and share one keychain.
fn unique(tag: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("t-{tag}-{}-{nanos}", std::process::id())
}

/// A JSON-ish token set of about `len` bytes, like one with a big id_token.
fn token_set(len: usize) -> Secret {
    let id_token: String = (0..len)
        .map(|i| char::from(b'A' + (i % 26) as u8))
        .collect();
    Secret::new(format!(
        r#"{{"access_token":"at-{}","id_token":"{id_token}"}}"#,
        len
    ))
}

fn file_store(dir: &Path) -> TokenStore {
    TokenStore::with_state_dir(StoreKind::File, dir)
}

// ---------------------------------------------------------------- file store

#[test]
fn file_store_round_trip_and_delete() {
    let t = tempfile::tempdir().expect("tempdir");
    let store = file_store(t.path());
    let p = "alpha";
    assert_eq!(store.get(p, Item::Tokens).expect("get"), None);
    let v = Secret::new(r#"{"access_token":"abc"}"#);
    store.put(p, Item::Tokens, &v).expect("put");
    store
        .put(p, Item::ClientSecret, &Secret::new("s3cret"))
        .expect("put secret");
    assert_eq!(store.get(p, Item::Tokens).expect("get"), Some(v));
    assert_eq!(
        store
            .get(p, Item::ClientSecret)
            .expect("get")
            .as_ref()
            .map(Secret::expose),
        Some("s3cret")
    );
    assert!(t.path().join("alpha.tokens.json").is_file());
    assert!(store.delete(p, Item::Tokens).expect("delete"));
    assert!(!store.delete(p, Item::Tokens).expect("delete again"));
    assert_eq!(store.get(p, Item::Tokens).expect("get"), None);
    // Logging out of the tokens keeps the client secret.
    assert!(store.get(p, Item::ClientSecret).expect("get").is_some());
    assert!(
        store.describe().starts_with("file store "),
        "{}",
        store.describe()
    );
}

#[cfg(unix)]
#[test]
fn file_store_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let t = tempfile::tempdir().expect("tempdir");
    let dir = t.path().join("state").join("smart");
    let store = file_store(&dir);
    store
        .put("beta", Item::Tokens, &Secret::new("{}"))
        .expect("put");
    let mode = |p: &Path| std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("beta.tokens.json")), 0o600);
    // Even with a permissive umask-independent check: a rewrite stays 0600.
    store
        .put("beta", Item::Tokens, &Secret::new("{\"x\":1}"))
        .expect("put");
    assert_eq!(mode(&dir.join("beta.tokens.json")), 0o600);
    // No temp files are left behind.
    let names: Vec<_> = std::fs::read_dir(&dir)
        .expect("read_dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names, ["beta.tokens.json"]);
}

#[test]
fn file_store_replaces_atomically() {
    let t = tempfile::tempdir().expect("tempdir");
    let store = file_store(t.path());
    store
        .put("gamma", Item::Tokens, &Secret::new("old"))
        .expect("put");
    let file = t.path().join("gamma.tokens.json");
    let link = t.path().join("old-inode");
    std::fs::hard_link(&file, &link).expect("hard link");
    store
        .put("gamma", Item::Tokens, &Secret::new("new"))
        .expect("put");
    // A rename swaps the directory entry; the old inode never saw new bytes,
    // so a reader holding the old file never sees a half-written one.
    assert_eq!(std::fs::read_to_string(&link).expect("read link"), "old");
    assert_eq!(std::fs::read_to_string(&file).expect("read"), "new");
}

#[test]
fn file_store_keeps_a_6kb_token_set() {
    let t = tempfile::tempdir().expect("tempdir");
    let store = file_store(t.path());
    let v = token_set(6 * 1024);
    store.put("delta", Item::Tokens, &v).expect("put");
    assert_eq!(store.get("delta", Item::Tokens).expect("get"), Some(v));
}

#[test]
fn bad_profile_names_are_rejected() {
    let t = tempfile::tempdir().expect("tempdir");
    for kind in [StoreKind::File, StoreKind::Keychain, StoreKind::None] {
        let store = TokenStore::with_state_dir(kind, t.path());
        for bad in ["../escape", "a/b", "", "..", "a:b"] {
            let e = store.get(bad, Item::Tokens).expect_err(bad);
            assert_eq!(e.kind, Kind::Usage, "{bad}: {}", e.message);
            assert!(store.put(bad, Item::Tokens, &Secret::new("x")).is_err());
        }
    }
    assert!(lock_profile_in(t.path(), "../x", Duration::from_secs(1)).is_err());
    // Nothing was written outside (or inside) the directory.
    assert!(
        !t.path()
            .parent()
            .expect("parent")
            .join("escape.tokens.json")
            .exists()
    );
}

#[test]
fn none_store_keeps_nothing() {
    let store = Environment::capture().token_store(StoreKind::None);
    assert_eq!(store.kind(), StoreKind::None);
    assert_eq!(store.describe(), "none");
    store
        .put("eps", Item::Tokens, &Secret::new("x"))
        .expect("put");
    assert_eq!(store.get("eps", Item::Tokens).expect("get"), None);
    assert!(!store.delete("eps", Item::Tokens).expect("delete"));
}

#[test]
fn default_store_is_the_keychain() {
    let store = Environment::capture().token_store(StoreKind::default());
    assert_eq!(store.kind(), StoreKind::Keychain);
    assert!(
        store.describe().starts_with("OS keychain ("),
        "{}",
        store.describe()
    );
}

#[test]
fn file_store_warns_once_per_process() {
    let t = tempfile::tempdir().expect("tempdir");
    let out = run_child("child_file_store_user", |c| {
        c.env("SMART_STATE_DIR", t.path());
    });
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.matches("plain files (mode 0600)").count(),
        1,
        "stderr: {stderr}"
    );
    assert!(!stderr.contains("child-secret"), "stderr: {stderr}");
}

#[test]
#[ignore = "a child-process entry point, run by other tests"]
fn child_file_store_user() {
    if std::env::var("SMART_TEST_CHILD").as_deref() != Ok("child_file_store_user") {
        return;
    }
    let store = Environment::capture()
        .token_store(StoreKind::File)
        .reporting_to(Reporter::stderr());
    let v = Secret::new("child-secret");
    store.put("zeta", Item::Tokens, &v).expect("put");
    assert_eq!(store.get("zeta", Item::Tokens).expect("get"), Some(v));
    assert!(store.delete("zeta", Item::Tokens).expect("delete"));
}

// ---------------------------------------------------------------------- lock

#[test]
fn second_locker_waits_for_the_first() {
    let t = tempfile::tempdir().expect("tempdir");
    let dir = t.path().to_path_buf();
    let first = lock_profile_in(&dir, "eta", Duration::from_secs(5)).expect("first lock");
    let (tx, rx) = mpsc::channel();
    let waiter = std::thread::spawn(move || {
        let start = Instant::now();
        let lock = lock_profile_in(&dir, "eta", Duration::from_secs(10));
        tx.send(()).ok();
        (lock.is_ok(), start.elapsed())
    });
    // Still waiting while the first lock is held.
    assert!(rx.recv_timeout(Duration::from_millis(400)).is_err());
    drop(first);
    let (ok, waited) = waiter.join().expect("join");
    assert!(ok);
    assert!(waited >= Duration::from_millis(400), "{waited:?}");
    assert!(waited < Duration::from_secs(5), "{waited:?}");
    // Other profiles are independent.
    let _a = lock_profile_in(t.path(), "theta", Duration::ZERO).expect("theta");
    let _b = lock_profile_in(t.path(), "iota", Duration::ZERO).expect("iota");
}

#[test]
fn lock_timeout_is_a_clear_error() {
    let t = tempfile::tempdir().expect("tempdir");
    let _held = lock_profile_in(t.path(), "kappa", Duration::from_secs(5)).expect("lock");
    let start = Instant::now();
    let e = lock_profile_in(t.path(), "kappa", Duration::from_millis(300)).expect_err("busy");
    let waited = start.elapsed();
    assert!(waited >= Duration::from_millis(300), "{waited:?}");
    assert!(waited < Duration::from_secs(3), "{waited:?}");
    assert_eq!(e.kind, Kind::Auth);
    assert!(
        e.message.contains("`kappa`") && e.message.contains("busy"),
        "{}",
        e.message
    );
    assert!(e.hint.is_some());
}

#[test]
fn lock_is_held_against_another_process() {
    let t = tempfile::tempdir().expect("tempdir");
    let held = lock_profile_in(t.path(), "lambda", Duration::from_secs(5)).expect("lock");
    let out = run_child("child_try_lock", |c| {
        c.env("SMART_STATE_DIR", t.path());
    });
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("CHILD busy"), "{stdout}");
    drop(held);
    let out = run_child("child_try_lock", |c| {
        c.env("SMART_STATE_DIR", t.path());
    });
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("CHILD locked"), "{stdout}");
}

#[test]
#[ignore = "a child-process entry point, run by other tests"]
fn child_try_lock() {
    if std::env::var("SMART_TEST_CHILD").as_deref() != Ok("child_try_lock") {
        return;
    }
    let store = Environment::capture().token_store(StoreKind::Keychain);
    match store.lock("lambda", Duration::from_millis(200)) {
        Ok(_) => println!("CHILD locked"),
        Err(e) if e.kind == Kind::Auth => println!("CHILD busy"),
        Err(e) => println!("CHILD error {}", e.message),
    }
}

// -------------------------------------------------------------- child runs

/// Runs this test binary on exactly one `child_*` test with
/// `SMART_TEST_CHILD` naming it.
fn run_child(name: &str, configure: impl FnOnce(&mut Command)) -> std::process::Output {
    let exe = std::env::current_exe().expect("current exe");
    let mut cmd = Command::new(exe);
    cmd.args([
        &child_test_path(name),
        "--exact",
        "--include-ignored",
        "--nocapture",
        "--test-threads=1",
    ]);
    run_child_command(cmd, name, configure)
}

/// The child's test name as the harness knows it: the suite is one binary,
/// so test names carry their module path.
fn child_test_path(name: &str) -> String {
    format!(
        "{}::{name}",
        module_path!().split_once("::").map_or("", |(_, m)| m)
    )
}

/// `cmd` runs the test binary (directly or through a wrapper).
fn run_child_command(
    mut cmd: Command,
    name: &str,
    configure: impl FnOnce(&mut Command),
) -> std::process::Output {
    cmd.env("SMART_TEST_CHILD", name).env_remove("NO_COLOR");
    configure(&mut cmd);
    let out = cmd.output().expect("run child");
    assert!(
        out.status.success(),
        "child {name} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

// ---------------------------------------------------------- no keychain

/// The child's `PROBE …` reports (the test harness may print its own
/// `test … ... ` in front of the first one on the same line).
fn probe_lines(stdout: &str) -> Vec<&str> {
    stdout
        .lines()
        .filter_map(|l| l.find("PROBE ").map(|i| &l[i..]))
        .collect()
}

#[test]
fn missing_session_bus_fails_fast_and_says_so() {
    let start = Instant::now();
    let out = run_child("child_keychain_probe", |c| {
        c.env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent");
    });
    let elapsed = start.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines = probe_lines(&stdout);
    let line = *lines
        .first()
        .unwrap_or_else(|| panic!("no probe line in: {stdout}"));
    if cfg!(any(target_os = "macos", windows)) {
        return; // no D-Bus involved there
    }
    assert!(line.starts_with("PROBE get err exit=4"), "{line}");
    assert_eq!(lines.len(), 4, "{stdout}");
    assert!(
        lines
            .iter()
            .all(|l| l.contains("err exit=4") && l.contains("D-Bus")),
        "{stdout}"
    );
    assert!(!stdout.contains("probe-value"), "{stdout}");
    assert!(line.contains("D-Bus"), "{line}");
    assert!(line.contains("--token-store file"), "{line}");
    // The whole child process, including its start, well under a few seconds.
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
}

/// A Secret Service that is running but has no unlocked keyring: a fresh
/// gnome-keyring in a private session bus, never unlocked. Reading finds
/// nothing (there is no collection yet); storing must fail with exit 4 and
/// name the problem, quickly, rather than wait for a prompt nobody can answer.
#[test]
#[ignore = "needs the OS keychain: run scripts/test"]
fn locked_keyring_fails_fast_and_says_so() {
    if !keychain_available() {
        return;
    }
    let name = "child_keychain_probe";
    let data = tempfile::tempdir().expect("tempdir");
    let mut cmd = Command::new("dbus-run-session");
    cmd.arg("--")
        .arg(std::env::current_exe().expect("current exe"))
        .args([
            child_test_path(name).as_str(),
            "--exact",
            "--include-ignored",
            "--nocapture",
            "--test-threads=1",
        ]);
    let start = Instant::now();
    let out = run_child_command(cmd, name, |c| {
        c.env("XDG_DATA_HOME", data.path());
    });
    let elapsed = start.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let put = probe_lines(&stdout)
        .into_iter()
        .find(|l| l.starts_with("PROBE put "))
        .unwrap_or_else(|| panic!("no put line in: {stdout}"));
    assert!(put.starts_with("PROBE put err exit=4"), "{put}");
    assert!(put.contains("locked"), "{put}");
    assert!(put.contains("gnome-keyring-daemon --unlock"), "{put}");
    assert!(put.contains("--token-store file"), "{put}");
    assert!(!stdout.contains("probe-value"), "{stdout}");
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}

#[test]
#[ignore = "a child-process entry point, run by other tests"]
fn child_keychain_probe() {
    if std::env::var("SMART_TEST_CHILD").as_deref() != Ok("child_keychain_probe") {
        return;
    }
    let store = Environment::capture().token_store(StoreKind::Keychain);
    let report = |op: &str, start: Instant, r: Result<String, smart::error::Error>| match r {
        Ok(v) => println!("PROBE {op} ok {v} ms={}", start.elapsed().as_millis()),
        Err(e) => println!(
            "PROBE {op} err exit={} ms={} message={} hint={}",
            e.kind.exit_code(),
            start.elapsed().as_millis(),
            e.message,
            e.hint.unwrap_or_default()
        ),
    };
    let t = Instant::now();
    report(
        "get",
        t,
        store
            .get("probe", Item::Tokens)
            .map(|v| v.is_some().to_string()),
    );
    // Again: the backend's failed initialization is cached; same words.
    let t = Instant::now();
    report(
        "get",
        t,
        store
            .get("probe", Item::Tokens)
            .map(|v| v.is_some().to_string()),
    );
    let t = Instant::now();
    report(
        "put",
        t,
        store
            .put("probe", Item::Tokens, &Secret::new("probe-value"))
            .map(|()| String::new()),
    );
    let t = Instant::now();
    report(
        "delete",
        t,
        store.delete("probe", Item::Tokens).map(|d| d.to_string()),
    );
}

// ----------------------------------------------------------- real keychain

use crate::support::keychain_available;

fn keychain() -> TokenStore {
    Environment::capture().token_store(StoreKind::Keychain)
}

/// The usernames of all `service smart` items, as an outside reader sees them.
fn keychain_accounts() -> Vec<String> {
    // Other tests delete items concurrently; secret-tool gives up on an item
    // that vanished between its search and its read. Ask again then.
    for _ in 0..20 {
        let out = Command::new("secret-tool")
            .args(["search", "--all", "service", "smart"])
            .output()
            .expect("secret-tool search");
        // Attributes go to stderr, label and secret to stdout.
        let stderr = String::from_utf8_lossy(&out.stderr);
        if out.status.success() {
            return stderr
                .lines()
                .filter_map(|l| l.trim().strip_prefix("attribute.username = "))
                .map(str::to_owned)
                .collect();
        }
        eprintln!(
            "secret-tool search failed, again: {}",
            stderr.lines().last().unwrap_or("")
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("secret-tool search keeps failing");
}

#[test]
#[ignore = "needs the OS keychain: run scripts/test"]
fn keychain_round_trip_and_missing_entry() {
    if !keychain_available() {
        return;
    }
    let store = keychain();
    let p = unique("rt");
    assert_eq!(store.get(&p, Item::Tokens).expect("get missing"), None);
    assert!(!store.delete(&p, Item::Tokens).expect("delete missing"));
    let v = Secret::new(r#"{"access_token":"kc-abc","refresh_token":"kc-def"}"#);
    store.put(&p, Item::Tokens, &v).expect("put");
    store
        .put(&p, Item::ClientSecret, &Secret::new("kc-client-secret"))
        .expect("put client secret");
    assert_eq!(store.get(&p, Item::Tokens).expect("get"), Some(v));
    assert!(store.delete(&p, Item::Tokens).expect("delete"));
    assert_eq!(store.get(&p, Item::Tokens).expect("get deleted"), None);
    assert!(store.get(&p, Item::ClientSecret).expect("get").is_some());
    assert!(store.delete(&p, Item::ClientSecret).expect("delete"));
}

#[test]
#[ignore = "needs the OS keychain: run scripts/test"]
fn keychain_chunks_a_6kb_token_set_and_leaves_no_orphans() {
    if !keychain_available() {
        return;
    }
    let store = keychain();
    let p = unique("big");
    let chunks_of = |p: &str| -> Vec<String> {
        keychain_accounts()
            .into_iter()
            .filter(|a| a.starts_with(&format!("{p}#")))
            .collect()
    };
    let big = token_set(6 * 1024);
    store.put(&p, Item::Tokens, &big).expect("put big");
    assert_eq!(store.get(&p, Item::Tokens).expect("get big"), Some(big));
    assert!(chunks_of(&p).len() >= 4, "{:?}", chunks_of(&p));

    // Big over big: the old generation goes.
    let bigger = token_set(9 * 1024);
    store.put(&p, Item::Tokens, &bigger).expect("put bigger");
    assert_eq!(store.get(&p, Item::Tokens).expect("get"), Some(bigger));
    let n = chunks_of(&p).len();
    assert!((5..=6).contains(&n), "{:?}", chunks_of(&p));

    // Small over big: no chunks at all.
    let small = Secret::new(r#"{"access_token":"small"}"#);
    store.put(&p, Item::Tokens, &small).expect("put small");
    assert_eq!(store.get(&p, Item::Tokens).expect("get small"), Some(small));
    assert_eq!(chunks_of(&p), Vec::<String>::new());

    // Delete of a chunked value takes the chunks too.
    store
        .put(&p, Item::PrivateKey, &token_set(5000))
        .expect("put key");
    assert!(store.delete(&p, Item::PrivateKey).expect("delete"));
    assert!(store.delete(&p, Item::Tokens).expect("delete"));
    let left: Vec<String> = keychain_accounts()
        .into_iter()
        .filter(|a| a.starts_with(&p))
        .collect();
    assert_eq!(left, Vec::<String>::new());
}

#[test]
#[ignore = "needs the OS keychain: run scripts/test"]
fn keychain_item_is_visible_to_secret_tool() {
    if !keychain_available() {
        return;
    }
    let store = keychain();
    let p = unique("outside");
    let v = Secret::new(r#"{"access_token":"seen-from-outside"}"#);
    store.put(&p, Item::Tokens, &v).expect("put");
    let out = Command::new("secret-tool")
        .args(["lookup", "service", "smart", "username", &p])
        .output()
        .expect("secret-tool lookup");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim_end(), v.expose());
    assert!(store.delete(&p, Item::Tokens).expect("delete"));
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the OS keychain: run scripts/test"]
async fn keychain_works_from_a_tokio_worker() {
    if !keychain_available() {
        return;
    }
    let p = unique("tokio");
    let store = keychain();
    let v = token_set(3000);
    // Directly on the worker thread…
    store.put(&p, Item::Tokens, &v).expect("put");
    assert_eq!(store.get(&p, Item::Tokens).expect("get"), Some(v.clone()));
    // …and the recommended way.
    let (s, q) = (store.clone(), p.clone());
    let got = tokio::task::spawn_blocking(move || s.get(&q, Item::Tokens))
        .await
        .expect("join")
        .expect("get");
    assert_eq!(got, Some(v));
    assert!(store.delete(&p, Item::Tokens).expect("delete"));
}

#[test]
#[ignore = "needs the OS keychain: run scripts/test"]
fn keychain_errors_and_debug_never_show_the_value() {
    if !keychain_available() {
        return;
    }
    let store = keychain();
    let p = unique("redact");
    let v = Secret::new("never-print-this-value");
    store.put(&p, Item::Tokens, &v).expect("put");
    let got = store.get(&p, Item::Tokens);
    assert!(!format!("{got:?}").contains("never-print"));
    assert!(!format!("{store:?}").contains("never-print"));
    assert!(store.delete(&p, Item::Tokens).expect("delete"));
}
