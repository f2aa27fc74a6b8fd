//! `smart discover` against canned servers: each source, each failure mode,
//! and the exit code a script can branch on.

use crate::support;

use predicates::prelude::*;
use serde_json::{Value, json};
use std::time::Duration;
use support::{Canned, CannedServer, TempConfig, smart_configuration};

const WELL_KNOWN: &str = "/fhir/.well-known/smart-configuration";
const METADATA: &str = "/fhir/metadata";

/// Exactly one error line (plus an optional hint line), no panic.
fn assert_one_line_error(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr).to_string();
    let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with("  hint:")).collect();
    assert_eq!(lines.len(), 1, "expected one error line, got:\n{text}");
    assert!(lines[0].starts_with("smart: error: "), "{text}");
    assert!(!text.contains("panicked"), "{text}");
    text
}

/// Serves a conformant SMART configuration at the well-known path, its
/// endpoints on the server's own origin.
fn conformant_server() -> CannedServer {
    CannedServer::start(vec![(
        WELL_KNOWN,
        Canned::json(smart_configuration(support::ORIGIN)),
    )])
}

#[test]
fn well_known_configuration_is_shown_and_validated() {
    let srv = conformant_server();
    let cfg = TempConfig::new();
    let out = cfg
        .cmd()
        .args(["discover", &srv.url("/fhir"), "--color", "never"])
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(
        stdout.contains(".well-known/smart-configuration"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Launch modes    ehr, standalone"),
        "{stdout}"
    );
    assert!(stdout.contains("PKCE methods    S256"), "{stdout}");
    assert!(
        stdout.contains("none: the configuration conforms"),
        "{stdout}"
    );
    assert!(
        !stdout.contains('\u{1b}'),
        "no color escapes with --color never"
    );
}

#[test]
fn json_output_has_document_source_and_findings() {
    let srv = conformant_server();
    let cfg = TempConfig::new();
    let out = cfg
        .cmd()
        .args(["discover", &srv.url("/fhir/"), "--json"])
        .assert()
        .success();
    let v: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(v["source"], "well-known");
    assert_eq!(v["fhir_base"], srv.url("/fhir"));
    assert_eq!(v["document"]["token_endpoint"], srv.url("/token"));
    assert_eq!(v["findings"], json!([]));
}

#[test]
fn a_token_endpoint_on_another_origin_is_a_warning() {
    let srv = CannedServer::start(vec![(
        WELL_KNOWN,
        Canned::json(smart_configuration("https://auth.example.org")),
    )]);
    let cfg = TempConfig::new();
    let out = cfg
        .cmd()
        .args(["discover", &srv.url("/fhir"), "--color", "never"])
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(
        stdout.contains("warning token_endpoint: `https://auth.example.org/token` is on another origin than the FHIR base"),
        "{stdout}"
    );
    let out = cfg
        .cmd()
        .args(["discover", &srv.url("/fhir"), "--json"])
        .assert()
        .success();
    let v: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0]["field"], "token_endpoint");
    assert_eq!(findings[0]["severity"], "warning");
}

#[test]
fn metadata_oauth_uris_are_the_fallback() {
    let cs = json!({"resourceType": "CapabilityStatement", "rest": [{"mode": "server", "security": {
        "extension": [{"url": "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
            "extension": [{"url": "authorize", "valueUri": "https://ehr.example.org/authorize"},
                          {"url": "token", "valueUri": "https://ehr.example.org/token"}]}]}}]});
    let srv = CannedServer::start(vec![(METADATA, Canned::json(cs))]);
    let cfg = TempConfig::new();
    let out = cfg
        .cmd()
        .args(["discover", &srv.url("/fhir"), "--json"])
        .assert()
        .success();
    let v: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(v["source"], "metadata");
    assert_eq!(
        v["document"]["authorization_endpoint"],
        "https://ehr.example.org/authorize"
    );
    assert!(v["fallback_reason"].as_str().unwrap().contains("404"));
    assert_eq!(v["findings"][0]["severity"], "warning");
    assert_eq!(v["findings"][0]["field"], ".well-known/smart-configuration");

    cfg.cmd()
        .args(["discover", &srv.url("/fhir"), "--color", "never"])
        .assert()
        .success()
        .stdout(predicate::str::contains("metadata (oauth-uris extension)"));
}

#[test]
fn both_sources_missing_is_a_server_error() {
    let srv = CannedServer::start(vec![]);
    let cfg = TempConfig::new();
    let out = cfg
        .cmd()
        .args(["discover", &srv.url("/fhir")])
        .assert()
        .code(3);
    let err = assert_one_line_error(&out.get_output().stderr);
    assert!(err.contains("no SMART configuration"), "{err}");
}

#[test]
fn invalid_json_falls_back_then_fails_clearly() {
    let srv = CannedServer::start(vec![
        (
            WELL_KNOWN,
            Canned::raw(200, "application/json", "{\"issuer\": "),
        ),
        (
            METADATA,
            Canned::raw(200, "text/html", "<html><body>Login</body></html>"),
        ),
    ]);
    let cfg = TempConfig::new();
    let out = cfg
        .cmd()
        .args(["discover", &srv.url("/fhir")])
        .assert()
        .code(3);
    let err = assert_one_line_error(&out.get_output().stderr);
    assert!(err.contains("is not JSON"), "{err}");
    assert!(err.contains("text/html"), "names the content type: {err}");
    assert!(err.contains("<html>"), "shows the first bytes: {err}");
}

#[test]
fn missing_s256_is_a_finding_with_its_own_exit_code() {
    let mut doc = smart_configuration("https://ehr.example.org");
    doc["code_challenge_methods_supported"] = json!(["plain"]);
    let srv = CannedServer::start(vec![(WELL_KNOWN, Canned::json(doc))]);
    let cfg = TempConfig::new();
    let out = cfg
        .cmd()
        .args(["discover", &srv.url("/fhir"), "--color", "never"])
        .assert()
        .code(5);
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(
        stdout.contains("error   code_challenge_methods_supported: must include `S256`"),
        "{stdout}"
    );
    assert!(stdout.contains("must not include `plain`"), "{stdout}");
    assert_one_line_error(&out.get_output().stderr);

    let out = cfg
        .cmd()
        .args(["discover", &srv.url("/fhir"), "--json"])
        .assert()
        .code(5);
    let v: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["field"] == "code_challenge_methods_supported" && f["severity"] == "error")
    );
}

#[test]
fn http_remote_base_and_non_urls_are_usage_errors() {
    let cfg = TempConfig::new();
    for bad in [
        "http://fhir.example.org/r4",
        "not a url",
        "ftp://x.org/fhir",
        "https://x.org/fhir?x=1",
    ] {
        let out = cfg.cmd().args(["discover", bad]).assert().code(1);
        assert_one_line_error(&out.get_output().stderr);
    }
}

#[test]
fn timeout_is_a_network_error() {
    let srv = CannedServer::start(vec![(
        WELL_KNOWN,
        Canned::json(smart_configuration("https://x")).delayed(Duration::from_secs(5)),
    )]);
    let cfg = TempConfig::new();
    let start = std::time::Instant::now();
    let out = cfg
        .cmd()
        .args(["discover", &srv.url("/fhir"), "--timeout", "1"])
        .assert()
        .code(2);
    assert!(start.elapsed() < Duration::from_secs(4), "gave up in time");
    let err = assert_one_line_error(&out.get_output().stderr);
    assert!(err.contains("no answer within 1s"), "{err}");
}

#[test]
fn unreachable_host_is_a_network_error() {
    // Bind then drop a listener to get a port that refuses connections.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cfg = TempConfig::new();
    let out = cfg
        .cmd()
        .args(["discover", &format!("http://127.0.0.1:{port}/fhir")])
        .assert()
        .code(2);
    let err = assert_one_line_error(&out.get_output().stderr);
    assert!(err.contains("cannot connect"), "{err}");
}

#[test]
fn a_huge_body_is_refused() {
    let big = vec![b' '; 10 * 1024 * 1024];
    let srv = CannedServer::start(vec![(
        WELL_KNOWN,
        Canned::raw(200, "application/json", big),
    )]);
    let cfg = TempConfig::new();
    let out = cfg
        .cmd()
        .args(["discover", &srv.url("/fhir")])
        .assert()
        .code(3);
    let err = assert_one_line_error(&out.get_output().stderr);
    assert!(err.contains("larger than"), "{err}");
}

#[test]
fn discover_uses_the_default_profile_when_no_base_is_given() {
    let srv = conformant_server();
    let cfg = TempConfig::new();
    cfg.cmd()
        .args(["profile", "add", "local", "--fhir-base", &srv.url("/fhir")])
        .assert()
        .success();
    let out = cfg.cmd().args(["discover", "--json"]).assert().success();
    let v: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(v["fhir_base"], srv.url("/fhir"));
}

#[test]
fn discover_takes_the_base_from_the_environment() {
    let srv = conformant_server();
    let cfg = TempConfig::new();
    let out = cfg
        .cmd()
        .env("SMART_FHIR_BASE", srv.url("/fhir"))
        .args(["discover", "--json"])
        .assert()
        .success();
    let v: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(v["fhir_base"], srv.url("/fhir"));
    assert!(!cfg.path().exists(), "no config file needed or written");
}

#[test]
fn errors_can_be_json() {
    let cfg = TempConfig::new();
    let out = cfg
        .cmd()
        .args(["discover", "http://fhir.example.org", "--json"])
        .assert()
        .code(1);
    let v: Value = serde_json::from_slice(&out.get_output().stderr).unwrap();
    assert_eq!(v["error"]["exit_code"], 1);
    assert!(v["error"]["message"].as_str().unwrap().contains("https"));
}

#[test]
fn verbose_traces_the_wire_on_stderr() {
    let srv = conformant_server();
    let cfg = TempConfig::new();
    let out = cfg
        .cmd()
        .args(["discover", &srv.url("/fhir"), "-v", "--json"])
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr);
    assert!(stderr.contains("> GET http://"), "{stderr}");
    assert!(stderr.contains("< 200 OK"), "{stderr}");
    // stdout stays pure JSON.
    serde_json::from_slice::<Value>(&out.get_output().stdout).unwrap();
}

#[test]
fn color_follows_the_flag_and_no_color() {
    let srv = conformant_server();
    let cfg = TempConfig::new();
    cfg.cmd()
        .args(["discover", &srv.url("/fhir"), "--color", "always"])
        .assert()
        .success()
        .stdout(predicate::str::contains("\u{1b}["));
    // auto: stdout is a pipe here, so no color.
    cfg.cmd()
        .args(["discover", &srv.url("/fhir")])
        .assert()
        .success()
        .stdout(predicate::str::contains("\u{1b}[").not());
}

#[test]
fn a_document_cannot_drive_the_terminal() {
    let mut doc = smart_configuration("https://ehr.example.org");
    doc["issuer"] = json!("https://ehr.example.org/fhir\u{1b}[2J");
    doc["capabilities"] = json!(["launch-ehr", "evil\u{1b}]0;pwned\u{7}"]);
    let srv = CannedServer::start(vec![(WELL_KNOWN, Canned::json(doc))]);
    let out = TempConfig::new()
        .cmd()
        .args(["discover", &srv.url("/fhir"), "--color", "never"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Launch modes"),
        "the document was shown: {text}"
    );
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{text:?}"
    );
    assert!(text.contains("\\u{1b}"), "shown escaped: {text}");
}
