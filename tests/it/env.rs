//! Configuration from the environment, as a CI job has it: no config file,
//! no HOME settings, no D-Bus, `CI=true`, token store `none` or `file`.
//! Precedence flag > env > profile > default and its provenance in
//! `smart status --json`; `SMART_ACCESS_TOKEN` without any store; commands
//! that would need a person fail at once.

use crate::backend_support;
use crate::support;

use backend_support::*;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::SandboxServer;

/// `smart` with nothing from the caller's environment: an empty HOME, no
/// config, no session bus, CI set.
fn bare(home: &Path) -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("smart"));
    c.env_clear()
        .env("HOME", home)
        .env("PATH", "/usr/bin:/bin")
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")
        .env("CI", "true")
        .stdin(Stdio::null());
    c
}

fn run(c: &mut Command) -> (i32, String, String) {
    let o = c.output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).to_string(),
        String::from_utf8_lossy(&o.stderr).to_string(),
    )
}

/// Does this build have `smart query` (issue 6, developed in parallel)?
fn has_query() -> bool {
    let home = tempfile::tempdir().unwrap();
    run(bare(home.path()).args(["query", "--help"])).0 == 0
}

#[test]
fn env_only_backend_config_runs_an_authenticated_request_in_ci() {
    let keys = tempfile::tempdir().unwrap();
    let (key, jwks) = keygen(keys.path(), "ES384", None);
    let sb = sandbox_with(keys.path(), vec![backend_client("ci-bot", jwks)], |_| {});
    let pem = std::fs::read_to_string(&key).unwrap();
    let query = has_query();

    for (store, key_value) in [("none", pem.clone()), ("file", key.display().to_string())] {
        let home = tempfile::tempdir().unwrap();
        let env = |c: &mut Command| {
            c.env("SMART_FHIR_BASE", &sb.fhir_base)
                .env("SMART_CLIENT_ID", "ci-bot")
                .env("SMART_SCOPE", "system/*.rs")
                .env("SMART_PRIVATE_KEY", &key_value)
                .env("SMART_TOKEN_STORE", store);
        };
        let mut c = bare(home.path());
        env(&mut c);
        let (code, token, err) = run(c.arg("token"));
        assert_eq!(code, 0, "store {store}: {err}");
        let token = token.trim();
        let (status, body) = fhir_get(&sb.fhir_base, "Patient?_count=1", token);
        assert_eq!(status, 200, "{body}");

        if query {
            let mut c = bare(home.path());
            env(&mut c);
            let (code, out, err) = run(c.args(["query", "Patient", "--json"]));
            assert_eq!(code, 0, "smart query: {err}");
            assert!(out.contains("Patient"), "{out}");
        }

        // Provenance: everything from the environment; the key redacted
        // when it is the PEM itself.
        let mut c = bare(home.path());
        env(&mut c);
        let (code, out, err) = run(c.args(["status", "--json"]));
        let st: Value = serde_json::from_str(&out).unwrap_or_else(|_| panic!("{out}\n{err}"));
        let s = &st["settings"];
        assert_eq!(s["fhir_base"]["source"], "env SMART_FHIR_BASE", "{st}");
        assert_eq!(s["client_id"]["source"], "env SMART_CLIENT_ID");
        assert_eq!(s["scope"]["source"], "env SMART_SCOPE");
        assert_eq!(s["client_type"]["value"], "backend");
        assert_eq!(s["token_store"]["value"], store);
        assert_eq!(s["token_store"]["source"], "env SMART_TOKEN_STORE");
        assert_eq!(s["private_key"]["source"], "env SMART_PRIVATE_KEY");
        assert_eq!(s["profile"]["saved"], false);
        assert!(!out.contains("PRIVATE KEY"), "{out}");
        match store {
            "none" => {
                assert_eq!(s["private_key"]["value"], "[redacted]");
                assert_eq!(code, 4, "nothing kept, so not logged in");
            }
            _ => {
                assert_eq!(code, 0, "the file store kept the token: {err}");
                assert_eq!(st["logged_in"], true);
            }
        }
        // Nothing was written to HOME but the (explicit) file store.
        assert!(!home.path().join(".config").exists(), "no config written");
        let kept = home.path().join(".local/state/smart");
        assert_eq!(kept.exists(), store == "file");

        // A profile given only by the environment can log out too.
        if store == "file" {
            let mut c = bare(home.path());
            env(&mut c);
            let (code, out, err) = run(c.arg("logout"));
            assert_eq!(code, 0, "{err}");
            assert!(out.contains("logged out"), "{out}");
            let mut c = bare(home.path());
            env(&mut c);
            assert_eq!(run(c.args(["status", "--json"])).0, 4, "tokens gone");
        }
    }
}

#[test]
fn a_private_key_without_its_armour_is_never_echoed() {
    let keys = tempfile::tempdir().unwrap();
    let (key, _) = keygen(keys.path(), "ES384", None);
    let pem = std::fs::read_to_string(&key).unwrap();
    // The base64 body alone, as a CI secret pasted without its PEM lines.
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let home = tempfile::tempdir().unwrap();
    let env = |c: &mut Command| {
        c.env("SMART_FHIR_BASE", "https://ehr.example.org/r4")
            .env("SMART_CLIENT_ID", "ci-bot")
            .env("SMART_CLIENT_TYPE", "backend")
            .env("SMART_PRIVATE_KEY", &body)
            .env("SMART_TOKEN_STORE", "none");
    };
    let mut token = bare(home.path());
    env(&mut token);
    let (code, out, err) = run(token.arg("token"));
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("not a PEM or JWK key, nor a readable file"),
        "{err}"
    );
    let mut status = bare(home.path());
    env(&mut status);
    let (_, status_out, status_err) = run(status.args(["status", "--json"]));
    for text in [&out, &err, &status_out, &status_err] {
        assert!(!text.contains(&body[..40]), "the key leaked: {text}");
    }
    let v: serde_json::Value = serde_json::from_str(&status_out).unwrap();
    assert!(
        v["settings"]["private_key"]["value"]
            .as_str()
            .unwrap()
            .contains(&format!("{} characters", body.len())),
        "{v}"
    );
}

#[test]
fn backend_login_in_ci_needs_no_browser() {
    let keys = tempfile::tempdir().unwrap();
    let (key, jwks) = keygen(keys.path(), "RS384", None);
    let sb = sandbox_with(keys.path(), vec![backend_client("ci-bot", jwks)], |_| {});
    let home = tempfile::tempdir().unwrap();
    let (code, out, err) = run(bare(home.path())
        .env("SMART_FHIR_BASE", &sb.fhir_base)
        .env("SMART_CLIENT_ID", "ci-bot")
        .env("SMART_PRIVATE_KEY", &key)
        .env("SMART_TOKEN_STORE", "none")
        .arg("login"));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Logged in"), "{out}");
    assert!(!out.contains('\x1b'), "no color in CI");
    assert!(
        err.contains("not kept"),
        "says the none store keeps nothing: {err}"
    );
}

#[test]
fn a_login_that_needs_a_browser_fails_at_once_in_ci() {
    let sb = SandboxServer::auto_approve();
    let home = tempfile::tempdir().unwrap();
    for extra in [&[][..], &["--no-browser"]] {
        let start = Instant::now();
        // stdin stays open: a prompt would wait for it.
        let mut child = bare(home.path())
            .env("SMART_FHIR_BASE", &sb.fhir_base)
            .env("SMART_CLIENT_ID", "smart-cli")
            .env("SMART_TOKEN_STORE", "none")
            .arg("login")
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // "At once" means without waiting for a browser or a prompt (stdin
        // stays open): a bound far above any start-up on a loaded machine,
        // far below the login's own wait, and no authorize request.
        let mut status = None;
        while start.elapsed() < Duration::from_secs(60) {
            if let Some(s) = child.try_wait().unwrap() {
                status = Some(s);
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        if status.is_none() {
            child.kill().unwrap();
        }
        let o = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(status.is_some(), "still waiting after a minute: {err}");
        assert_eq!(sb.requests_to("/auth/authorize"), 0, "{err}");
        assert_eq!(o.status.code(), Some(4), "{err}");
        assert!(err.contains("CI"), "{err}");
        assert!(
            err.contains("SMART_ACCESS_TOKEN"),
            "says what to set: {err}"
        );
        assert!(!err.contains("/auth/authorize"), "no URL to visit: {err}");
        assert!(!err.contains("paste"), "no prompt: {err}");
    }
}

#[test]
fn an_access_token_from_the_environment_needs_no_store() {
    let keys = tempfile::tempdir().unwrap();
    let (key, jwks) = keygen(keys.path(), "ES384", None);
    let sb = sandbox_with(keys.path(), vec![backend_client("ci-bot", jwks)], |_| {});
    let home = tempfile::tempdir().unwrap();
    let (code, token, err) = run(bare(home.path())
        .env("SMART_FHIR_BASE", &sb.fhir_base)
        .env("SMART_CLIENT_ID", "ci-bot")
        .env("SMART_PRIVATE_KEY", &key)
        .env("SMART_TOKEN_STORE", "none")
        .arg("token"));
    assert_eq!(code, 0, "{err}");
    let token = token.trim().to_owned();

    // Default store (the keychain), no D-Bus: never asked.
    let with_token = |c: &mut Command| {
        c.env("SMART_FHIR_BASE", &sb.fhir_base)
            .env("SMART_ACCESS_TOKEN", &token);
    };
    let mut c = bare(home.path());
    with_token(&mut c);
    let (code, out, err) = run(c.arg("token"));
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), token);

    let mut c = bare(home.path());
    with_token(&mut c);
    let (code, out, err) = run(c.args(["status", "--json"]));
    assert_eq!(code, 0, "{err}");
    let st: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(st["logged_in"], true);
    assert_eq!(st["settings"]["access_token"]["value"], "[redacted]");
    assert_eq!(
        st["settings"]["access_token"]["source"],
        "env SMART_ACCESS_TOKEN"
    );
    assert!(!out.contains(&token), "status never prints the token");

    let mut c = bare(home.path());
    with_token(&mut c);
    let (code, _, err) = run(c.arg("refresh"));
    assert_eq!(code, 1, "nothing to refresh: {err}");
}

#[test]
fn precedence_is_flag_then_env_then_profile_then_default() {
    let sb = SandboxServer::auto_approve();
    let env = Env::new(sb);
    env.cmd()
        .args(["profile", "add", "p", "--fhir-base", &env.sb.fhir_base])
        .args(["--client-id", "from-profile", "--scope", "patient/*.rs"])
        .assert()
        .success();
    let a = env
        .cmd()
        .env("SMART_CLIENT_ID", "from-env")
        .env("SMART_CLIENT_SECRET", "s3cr3t-value")
        .env("SMART_TOKEN_STORE", "none")
        .args(["-p", "p", "status", "--json", "--token-store", "file"])
        .assert()
        .code(4);
    let out = stdout(&a);
    let s: Value = serde_json::from_str::<Value>(&out).unwrap()["settings"].clone();
    assert_eq!(s["profile"]["source"], "flag --profile");
    assert_eq!(s["fhir_base"]["source"], "profile");
    assert_eq!(s["client_id"]["value"], "from-env");
    assert_eq!(s["client_id"]["source"], "env SMART_CLIENT_ID");
    assert_eq!(s["scope"]["value"], "patient/*.rs");
    assert_eq!(s["scope"]["source"], "profile");
    assert_eq!(s["token_store"]["value"], "file");
    assert_eq!(s["token_store"]["source"], "flag --token-store");
    assert_eq!(s["client_secret"]["value"], "[redacted]");
    assert_eq!(s["client_type"]["value"], "confidential-symmetric");
    assert_eq!(s["client_type"]["source"], "default");
    assert!(!out.contains("s3cr3t-value"));

    // Human status names the variables that supplied values.
    let a = env
        .cmd()
        .env("SMART_SCOPE", "openid")
        .args(["-p", "p", "status"])
        .assert()
        .code(4);
    let _ = a;
    let a = env
        .cmd()
        .env("SMART_ACCESS_TOKEN", "opaque-token-value")
        .env("SMART_SCOPE", "openid")
        .args(["-p", "p", "status"])
        .assert()
        .success();
    let out = stdout(&a);
    assert!(out.contains("From env"), "{out}");
    assert!(out.contains("SMART_SCOPE"), "{out}");
    assert!(!out.contains("opaque-token-value"), "{out}");
}
