//! The human output people read, pinned by snapshots (insta): `discover`,
//! `status`, the table formats and error lines. A change to any of them shows
//! up as a snapshot diff in review (`tests/it/snapshots/`), not as a surprise
//! for users. Ports, temp paths and times are filtered out.

use crate::support::{APPROVE, Canned, CannedServer, SandboxServer, TempConfig, browser_script};

/// Runs `smart` and returns (exit code, stdout, stderr).
fn run(cmd: &mut assert_cmd::Command) -> (i32, String, String) {
    let out = cmd.output().expect("smart runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Temp paths wherever the platform keeps them (`/tmp`, `$TMPDIR`).
fn temp_dir_pattern() -> String {
    let tmp = std::env::temp_dir();
    format!(
        r"{}/?[^\s`]*",
        regex_escape(
            tmp.to_str()
                .expect("a UTF-8 temp dir")
                .trim_end_matches('/')
        )
    )
}

fn regex_escape(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            let special = "\\.+*?()|[]{}^$#&-~".contains(c);
            special.then_some('\\').into_iter().chain([c])
        })
        .collect()
}

macro_rules! snapshot {
    ($name:expr, $text:expr) => {
        insta::with_settings!({
            filters => vec![
                (r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
                (temp_dir_pattern().as_str(), "[TMP]"),
                (r"expires in [^\n]+", "expires in [DURATION]"),
            ],
            prepend_module_to_snapshot => false,
        }, {
            insta::assert_snapshot!($name, $text);
        })
    };
}

/// A sandbox, a profile `sb` and a login, tokens in a file store.
fn logged_in() -> (SandboxServer, TempConfig) {
    let sb = SandboxServer::auto_approve();
    let cfg = TempConfig::new();
    cfg.file_store_cmd()
        .args(["profile", "add", "sb", "--fhir-base", &sb.fhir_base])
        .args(["--client-id", "smart-cli"])
        .assert()
        .success();
    let browser = browser_script(cfg.dir.path(), "browser.sh", APPROVE);
    cfg.file_store_cmd()
        .env("BROWSER", browser)
        .args(["login", "--timeout", "20"])
        .assert()
        .success();
    (sb, cfg)
}

#[test]
fn discover_a_conformant_server() {
    let sb = SandboxServer::auto_approve();
    let (code, out, _) = run(TempConfig::new().cmd().args(["discover", &sb.fhir_base]));
    assert_eq!(code, 0);
    snapshot!("discover_conformant", out);
}

#[test]
fn discover_reports_each_finding() {
    let doc = serde_json::json!({
        "authorization_endpoint": "http://ehr.example.org/authorize",
        "token_endpoint": "https://ehr.example.org/token",
        "capabilities": ["launch-standalone", "client-public", "launch-implicit", "sso-openid-connect"],
        "code_challenge_methods_supported": ["plain", "S256"],
        "response_types_supported": ["code", "token"]
    });
    let srv = CannedServer::start(vec![(
        "/fhir/.well-known/smart-configuration",
        Canned::json(doc),
    )]);
    let (code, out, err) = run(TempConfig::new()
        .cmd()
        .args(["discover", &srv.url("/fhir")]));
    assert_eq!(code, 5, "findings exit 5: {err}");
    snapshot!("discover_findings", format!("{out}--- stderr\n{err}"));
}

#[test]
fn status_of_a_login() {
    let (_sb, cfg) = logged_in();
    let (code, out, _) = run(cfg.file_store_cmd().arg("status"));
    assert_eq!(code, 0);
    snapshot!("status_logged_in", out);
}

#[test]
fn tables_of_patients_and_observations() {
    let (_sb, cfg) = logged_in();
    let (code, patients, err) = run(cfg
        .file_store_cmd()
        .args(["query", "Patient", "--output", "table"]));
    assert_eq!(code, 0, "{err}");
    let (code, observations, err) = run(cfg.file_store_cmd().args([
        "query",
        "Observation",
        "--limit",
        "6",
        "--output",
        "table",
    ]));
    assert_eq!(code, 0, "{err}");
    snapshot!(
        "tables",
        format!(
            "$ smart query Patient\n{patients}\n$ smart query Observation --limit 6\n{observations}"
        )
    );
}

#[test]
fn error_lines() {
    let (_sb, cfg) = logged_in();
    let mut lines = String::new();
    for args in [
        vec!["query", "Patinet"],
        vec!["get", "Patient/does-not-exist"],
        vec!["discover", "http://ehr.example.org/r4"],
        vec!["discover", "not a url"],
        vec!["-p", "nobody", "status"],
    ] {
        let (code, _, err) = run(cfg.file_store_cmd().args(&args));
        let err: String = err
            .lines()
            .filter(|l| !l.contains("plain files (mode 0600)"))
            .map(|l| format!("{l}\n"))
            .collect();
        lines.push_str(&format!(
            "$ smart {} (exit {code})\n{err}\n",
            args.join(" ")
        ));
    }
    snapshot!("error_lines", lines);
}
