//! `smart profile …` against a temp `SMART_CONFIG`.

use crate::support;

use predicates::prelude::*;
use serde_json::Value;
use support::TempConfig;

#[test]
fn add_list_show_use_remove() {
    let cfg = TempConfig::new();
    cfg.cmd()
        .args([
            "profile",
            "add",
            "epic",
            "--fhir-base",
            "https://fhir.epic.example/api/FHIR/R4/",
            "--client-id",
            "abc",
            "--scope",
            "openid patient/*.rs",
            "--redirect-port",
            "8765",
            "--client-type",
            "confidential-symmetric",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "added profile `epic` (the default)",
        ));
    cfg.cmd()
        .args([
            "profile",
            "add",
            "cerner",
            "--fhir-base",
            "https://fhir.cerner.example/r4",
            "--no-aud",
            "--pkce",
            "if-advertised",
            "--token-auth-method",
            "client_secret_post",
            "--authorize-param",
            "prompt=login",
            "--format-json",
        ])
        .assert()
        .success();

    let out = cfg
        .cmd()
        .args(["profile", "list", "--color", "never"])
        .assert()
        .success();
    let list = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(
        list.contains("  cerner  https://fhir.cerner.example/r4"),
        "{list}"
    );
    assert!(
        list.contains("* epic    https://fhir.epic.example/api/FHIR/R4"),
        "{list}"
    );

    let out = cfg
        .cmd()
        .args(["profile", "show", "--json"])
        .assert()
        .success();
    let v: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(v["name"], "epic");
    assert_eq!(v["default"], true);
    assert_eq!(v["fhir_base"], "https://fhir.epic.example/api/FHIR/R4");
    assert_eq!(v["redirect_port"], 8765);
    assert_eq!(v["client_type"], "confidential-symmetric");

    // Every workaround is visible in `profile show`.
    let out = cfg
        .cmd()
        .args(["profile", "show", "cerner", "--color", "never"])
        .assert()
        .success();
    let show = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    for needle in [
        "aud                 not sent",
        "pkce                if-advertised",
        "token_auth_method   client_secret_post",
        "authorize_param     prompt=login",
        "format_json         add _format=json",
    ] {
        assert!(show.contains(needle), "missing `{needle}` in:\n{show}");
    }

    cfg.cmd()
        .args(["profile", "use", "cerner"])
        .assert()
        .success();
    cfg.cmd()
        .args(["profile", "show", "--json"])
        .assert()
        .success()
        .stdout(predicate::str::contains("\"name\": \"cerner\""));
    // -p and SMART_PROFILE choose a profile for one command.
    cfg.cmd()
        .args(["-p", "epic", "profile", "show", "--json"])
        .assert()
        .success()
        .stdout(predicate::str::contains("\"name\": \"epic\""));
    cfg.cmd()
        .env("SMART_PROFILE", "epic")
        .args(["profile", "show", "--json"])
        .assert()
        .success()
        .stdout(predicate::str::contains("\"name\": \"epic\""));

    cfg.cmd()
        .args(["profile", "remove", "cerner"])
        .assert()
        .success();
    let text = cfg.read();
    assert!(!text.contains("cerner"), "{text}");
    assert!(
        !text.contains("default ="),
        "default cleared with its profile:\n{text}"
    );
}

#[test]
fn duplicates_need_force_and_unknown_names_are_named() {
    let cfg = TempConfig::new();
    cfg.cmd()
        .args(["profile", "add", "a", "--fhir-base", "https://x.org/fhir"])
        .assert()
        .success();
    cfg.cmd()
        .args(["profile", "add", "a", "--fhir-base", "https://y.org/fhir"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("already exists"));
    cfg.cmd()
        .args([
            "profile",
            "add",
            "a",
            "--fhir-base",
            "https://y.org/fhir",
            "--force",
        ])
        .assert()
        .success();
    assert!(cfg.read().contains("https://y.org/fhir"));
    cfg.cmd()
        .args(["profile", "use", "nope"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no profile named `nope`"))
        .stderr(predicate::str::contains("known profiles: a"));
    cfg.cmd()
        .args(["profile", "add", "bad name", "--fhir-base", "https://x.org"])
        .assert()
        .code(1);
    cfg.cmd()
        .args([
            "profile",
            "add",
            "b",
            "--fhir-base",
            "http://remote.example.org",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("https"));
}

#[test]
fn unknown_keys_and_other_profiles_survive_a_write() {
    let cfg = TempConfig::new();
    cfg.write(
        "default = \"keep\"\n\n[profiles.keep]\nfhir_base = \"https://keep.example.org/fhir\"\nfuture_option = \"yes\"\n\n[profiles.keep.future_table]\nn = 3\n",
    );
    cfg.cmd()
        .args([
            "profile",
            "add",
            "new",
            "--fhir-base",
            "https://new.example.org",
        ])
        .assert()
        .success();
    let text = cfg.read();
    assert!(text.contains("future_option = \"yes\""), "{text}");
    assert!(text.contains("n = 3"), "{text}");
    assert!(text.contains("default = \"keep\""), "{text}");
    cfg.cmd()
        .args(["profile", "show", "keep", "--color", "never"])
        .assert()
        .success()
        .stdout(predicate::str::contains("future_option"));
}

#[test]
fn a_malformed_file_is_reported_and_never_overwritten() {
    let cfg = TempConfig::new();
    let bad = "[profiles.a]\nfhir_base = \"https://x.org\"\nredirect_port = \"eighty\"\n";
    cfg.write(bad);
    let out = cfg
        .cmd()
        .args(["profile", "add", "b", "--fhir-base", "https://y.org"])
        .assert()
        .code(1);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        err.contains(&cfg.path().display().to_string()),
        "names the file: {err}"
    );
    assert!(err.contains("line 3"), "names the line: {err}");
    assert!(
        err.contains("profiles.a.redirect_port"),
        "names the key: {err}"
    );
    assert_eq!(cfg.read(), bad, "file untouched");

    cfg.write("this is = = not toml");
    cfg.cmd()
        .args(["profile", "list"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("line 1"));
}

#[test]
fn no_profile_gives_a_hint() {
    let cfg = TempConfig::new();
    cfg.cmd()
        .args(["profile", "show"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("smart profile add"));
    cfg.cmd()
        .args(["profile", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("no profiles"));
}

#[test]
fn writes_are_atomic_renames() {
    // A write replaces the file through a rename: a hard link to the old
    // file keeps the old content, which an in-place write would change.
    let cfg = TempConfig::new();
    cfg.cmd()
        .args(["profile", "add", "a", "--fhir-base", "https://x.org"])
        .assert()
        .success();
    let link = cfg.dir.path().join("old.toml");
    std::fs::hard_link(cfg.path(), &link).unwrap();
    cfg.cmd()
        .args(["profile", "add", "b", "--fhir-base", "https://y.org"])
        .assert()
        .success();
    assert!(!std::fs::read_to_string(&link).unwrap().contains("y.org"));
    assert!(cfg.read().contains("y.org"));
    // Nothing else left behind (temp files), whatever they are named; the
    // writers' lock file stays, as lock files do.
    let mut names: Vec<String> = std::fs::read_dir(cfg.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["config.toml", "config.toml.lock", "old.toml"]);
}

#[test]
fn usage_errors_exit_1_and_help_exits_0() {
    let cfg = TempConfig::new();
    cfg.cmd()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("Exit codes"));
    cfg.cmd().arg("frobnicate").assert().code(1);
    cfg.cmd()
        .args(["discover", "--timeout", "0", "https://x.org"])
        .assert()
        .code(1);
}

/// A mistyped `-p` gets "did you mean …?" from every command, as
/// `profile use` does: no command's general hint may replace it.
#[test]
fn a_mistyped_profile_is_suggested_by_every_command() {
    let cfg = TempConfig::new();
    cfg.cmd()
        .args([
            "profile",
            "add",
            "sandbox",
            "--fhir-base",
            "https://x.org/fhir",
        ])
        .assert()
        .success();
    for args in [
        &["-p", "sandbx", "status"][..],
        &["-p", "sandbx", "discover"],
        &["-p", "sandbx", "check"],
        &["-p", "sandbx", "query", "Patient"],
        &["profile", "use", "sandbx"],
    ] {
        let out = cfg.cmd().args(args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "smart {args:?}: {err}");
        assert!(
            err.contains("did you mean sandbox?"),
            "smart {args:?}: {err}"
        );
    }
}

/// With SMART_TOKEN_STORE and SMART_PROFILE set, the usage line after an
/// argument error shows what was typed, not `--token-store <STORE>` as if
/// it were required.
#[test]
fn usage_lines_leave_out_what_the_environment_set() {
    let cfg = TempConfig::new();
    let out = cfg
        .cmd()
        .env("SMART_TOKEN_STORE", "file")
        .env("SMART_PROFILE", "x")
        .arg("get")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let usage = err
        .lines()
        .find(|l| l.starts_with("Usage:"))
        .expect("a usage line");
    assert_eq!(usage, "Usage: smart get <TARGET>", "{err}");
    // A bad value from the environment is still named.
    let out = cfg
        .cmd()
        .env("SMART_TOKEN_STORE", "nope")
        .arg("status")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope"));
}

/// A logout with nothing stored says so instead of printing nothing.
#[test]
fn a_second_logout_says_there_was_nothing_to_do() {
    let cfg = TempConfig::new();
    cfg.cmd()
        .args(["profile", "add", "sb", "--fhir-base", "https://x.org/fhir"])
        .assert()
        .success();
    let out = cfg.file_store_cmd().arg("logout").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "`sb` was not logged in; nothing to do"
    );
}

#[test]
fn profile_show_names_the_default_scope_login_would_ask() {
    let cfg = TempConfig::new();
    for args in [
        &["profile", "add", "app", "--fhir-base", "https://x.org/fhir"][..],
        &[
            "profile",
            "add",
            "svc",
            "--fhir-base",
            "https://x.org/fhir",
            "--client-type",
            "backend",
        ],
        &[
            "profile",
            "add",
            "mine",
            "--fhir-base",
            "https://x.org/fhir",
            "--scope",
            "patient/Patient.r",
        ],
    ] {
        cfg.cmd().args(args).assert().success();
    }
    let show = |name: &str| {
        let out = cfg
            .cmd()
            .args(["profile", "show", name, "--color", "never"])
            .assert()
            .success();
        String::from_utf8_lossy(&out.get_output().stdout).to_string()
    };
    let scope_line = |text: String| {
        text.lines()
            .find_map(|l| l.trim_start().strip_prefix("Scope "))
            .map(|l| l.trim().to_owned())
            .unwrap_or_else(|| panic!("no Scope line in:\n{text}"))
    };
    assert_eq!(
        scope_line(show("app")),
        "openid fhirUser launch/patient patient/*.rs offline_access (default)"
    );
    assert_eq!(scope_line(show("svc")), "system/*.rs (default)");
    assert_eq!(scope_line(show("mine")), "patient/Patient.r");
}
