//! `smart login` with the real parts a user has: the OS keychain
//! (gnome-keyring over D-Bus; `scripts/test` sets it up and sets
//! SMART_TEST_KEYCHAIN=1) and a real headless Chromium as the browser
//! (SMART_TEST_CHROMIUM=/usr/bin/chromium). Without them these tests
//! are marked ignored (`cargo test` lists them as such); `scripts/test`
//! runs them with `--include-ignored`.

use crate::support;

use serde_json::Value;
use std::time::{Duration, Instant};
use support::{APPROVE, SandboxServer, TempConfig, browser_script, keychain_available};

/// A profile name no other test (or earlier run) uses.
fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    )
}

/// A profile of its own, logged in to `sb` with its tokens in the OS
/// keychain (no `SMART_TOKEN_STORE`).
struct KeychainUser {
    cfg: TempConfig,
    name: String,
}

impl KeychainUser {
    fn logged_in(sb: &SandboxServer, tag: &str) -> KeychainUser {
        let user = KeychainUser {
            cfg: TempConfig::new(),
            name: unique(tag),
        };
        user.cmd()
            .args(["profile", "add", &user.name, "--fhir-base", &sb.fhir_base])
            .args(["--client-id", "smart-cli"])
            .assert()
            .success();
        let browser = browser_script(user.cfg.dir.path(), "browser.sh", APPROVE);
        user.cmd()
            .env("BROWSER", &browser)
            .args(["login", "--timeout", "20"])
            .assert()
            .success();
        user
    }

    fn cmd(&self) -> assert_cmd::Command {
        let mut c = self.cfg.cmd();
        c.env("SMART_STATE_DIR", self.cfg.state());
        c
    }
}

#[test]
#[ignore = "needs the OS keychain: run scripts/test"]
fn tokens_land_in_the_os_keychain() {
    if !keychain_available() {
        return;
    }
    // Opaque access tokens keep the set small enough for one keychain item
    // (the sandbox's JWT ones make it two or more: the split has its own
    // test below), which an outside reader can then look up whole.
    let sb = SandboxServer::with_quirks("opaque-tokens");
    let user = KeychainUser::logged_in(&sb, "kc");
    let (cfg, name) = (&user.cfg, &user.name);
    let cmd = || user.cmd();
    let token = String::from_utf8(
        cmd()
            .arg("token")
            .assert()
            .success()
            .get_output()
            .stdout
            .clone(),
    )
    .unwrap();
    let token = token.trim();

    // An outside reader finds the item in the Secret Service.
    let out = std::process::Command::new("secret-tool")
        .args(["lookup", "service", "smart", "username", name])
        .output()
        .expect("secret-tool runs");
    assert!(out.status.success(), "secret-tool lookup failed");
    let stored: Value = serde_json::from_slice(&out.stdout).expect("the item is our token set");
    assert_eq!(stored["access_token"], token);
    assert!(
        !cfg.dir
            .path()
            .join("state")
            .join(format!("{name}.tokens.json"))
            .exists(),
        "no file copy"
    );

    cmd().arg("logout").assert().success();
    let out = std::process::Command::new("secret-tool")
        .args(["lookup", "service", "smart", "username", name])
        .output()
        .unwrap();
    assert!(out.stdout.is_empty(), "logout deleted the keychain item");
}

#[test]
#[ignore = "needs the OS keychain: run scripts/test"]
fn a_6kb_id_token_fits_the_keychain() {
    if !keychain_available() {
        return;
    }
    let sb = SandboxServer::with_fault("big-id-token");
    let user = KeychainUser::logged_in(&sb, "big");
    let name = &user.name;
    let cmd = || user.cmd();
    // The id_token alone is over 6 KB; the head item only points at chunks.
    let head = std::process::Command::new("secret-tool")
        .args(["lookup", "service", "smart", "username", name])
        .output()
        .expect("secret-tool runs");
    let head = String::from_utf8_lossy(&head.stdout).to_string();
    assert!(head.contains("smart_chunks") && head.len() < 1000, "{head}");
    let st: Value = serde_json::from_slice(
        &cmd()
            .args(["status", "--json"])
            .assert()
            .success()
            .get_output()
            .stdout,
    )
    .unwrap();
    assert_eq!(st["id_token"], true);
    let decoded: Value = serde_json::from_slice(
        &cmd()
            .args(["token", "--decode"])
            .assert()
            .success()
            .get_output()
            .stdout,
    )
    .unwrap();
    assert!(
        decoded["id_token"]["claims"]["sandbox_padding"]
            .as_str()
            .unwrap()
            .len()
            >= 6 * 1024,
        "the whole id_token came back from the keychain"
    );
    cmd().arg("logout").assert().success();
}

#[test]
fn no_keychain_is_reported_not_papered_over() {
    let cfg = TempConfig::new();
    cfg.cmd()
        .args([
            "profile",
            "add",
            "p",
            "--fhir-base",
            "https://fhir.example.org",
        ])
        .assert()
        .success();
    let start = Instant::now();
    let out = cfg
        .cmd()
        .env_remove("SMART_TOKEN_STORE")
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
        .arg("status")
        .assert()
        .code(4);
    assert!(start.elapsed() < Duration::from_secs(5), "fails fast");
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    if cfg!(target_os = "linux") {
        assert!(err.contains("D-Bus"), "says which part is missing: {err}");
        assert!(err.contains("--token-store file"), "says what to do: {err}");
    }
}

#[test]
#[ignore = "needs Debian's chromium: run scripts/test"]
fn login_with_a_real_headless_chromium() {
    let Some(chromium) = support::chromium() else {
        return;
    };
    let sb = SandboxServer::auto_approve();
    let cfg = TempConfig::new();
    let cmd = || cfg.file_store_cmd();
    cmd()
        .args([
            "profile",
            "add",
            "chrome",
            "--fhir-base",
            &sb.fhir_base,
            "--client-id",
            "smart-cli",
        ])
        .assert()
        .success();
    let profile_dir = cfg.dir.path().join("chromium-profile");
    let browser = browser_script(
        cfg.dir.path(),
        "chromium.sh",
        &format!(
            "timeout 60 {chromium} {} --dump-dom \"$1\"",
            support::chromium_flags(&profile_dir)
        ),
    );
    cmd()
        .env("BROWSER", &browser)
        .args(["login", "--timeout", "60"])
        .assert()
        .success();
    let st: Value = serde_json::from_slice(
        &cmd()
            .args(["status", "--json"])
            .assert()
            .success()
            .get_output()
            .stdout,
    )
    .unwrap();
    assert_eq!(st["logged_in"], true);
    // Chromium rendered our "you can close this tab" page (it dumps the DOM
    // after the login has already finished, so wait for it).
    let log_path = cfg.dir.path().join("chromium.sh.log");
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut log = String::new();
    while Instant::now() < deadline {
        log = std::fs::read_to_string(&log_path).unwrap_or_default();
        if log.contains("You can close this tab") {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        log.contains("You can close this tab"),
        "chromium output:\n{log}"
    );
}
