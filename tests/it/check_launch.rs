//! `smart check --ehr` (the EHR launch: 2.2.01, 2.2.02, and the token and
//! FHIR checks run on it), `authorize.post` and `authorize.tls`, against the
//! sandbox: its EHR plays the EHR (`/auth/launch`), curl plays the browser,
//! and its TLS listener (a test certificate made by openssl) is probed.

use crate::check::result;
use crate::support::{self, SandboxServer, TempConfig};

use serde_json::Value;
use std::collections::BTreeSet;
use std::io::{BufRead, Read, Write};

/// The checks a plain-http sandbox checked without `--ehr` leaves skipped
/// (the TLS ones because it is plain http on loopback),
/// with the words their reason must have.
pub(crate) const MODE_SKIPS: &[(&str, &str)] = &[
    ("authorize.ehr-launch", "--ehr"),
    ("authorize.ehr-launch-param", "--ehr"),
    ("authorize.tls", "plain http (loopback)"),
    ("bulk.tls", "plain http on loopback"),
];

/// `id` (one of [`MODE_SKIPS`]) is skipped in `report`, and says why.
pub(crate) fn assert_mode_skip(report: &Value, id: &str) {
    let (_, why) = MODE_SKIPS
        .iter()
        .find(|(m, _)| *m == id)
        .expect("a mode skip");
    let r = result(report, id);
    assert_eq!(r["status"], "skip", "{r:#}");
    assert!(r["reason"].as_str().unwrap().contains(why), "{r:#}");
}

/// Whether `id` is skipped on a plain-http sandbox without `--ehr`.
pub(crate) fn mode_skip(id: &str) -> bool {
    MODE_SKIPS.iter().any(|(m, _)| *m == id)
}

/// What the sandbox's EHR issued for a launch.
pub(crate) struct Issued {
    pub launch: String,
    pub patient: String,
}

/// The sandbox's EHR issues a launch of the app at `launch_url`, and "the
/// browser" opens the URL it gives, following every redirect (launch →
/// authorize → the loopback callback) as a browser would.
pub(crate) fn ehr_opens(sb: &SandboxServer, launch_url: &str) -> Issued {
    let ehr: Value = reqwest::blocking::Client::new()
        .post(format!("{}/auth/launch", sb.origin))
        .json(&serde_json::json!({"app": launch_url}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let url = ehr["url"].as_str().expect("the EHR's launch URL");
    let status = std::process::Command::new("curl")
        .args(["-sS", "-L", "--max-time", "120", "-o", "/dev/null", url])
        .status()
        .unwrap();
    assert!(status.success(), "curl {url}");
    Issued {
        launch: ehr["launch"].as_str().unwrap().to_owned(),
        patient: ehr["patient"].as_str().unwrap().to_owned(),
    }
}

/// Runs `cmd` (a `smart check --ehr … --json`), writes `stdin` to it, and
/// once it printed its launch URL has the sandbox's EHR open it (unless
/// `launch` is false). The report, the exit code, stderr, and what the EHR
/// issued.
pub(crate) fn run_ehr(
    sb: &SandboxServer,
    mut cmd: std::process::Command,
    stdin: Option<String>,
    launch: bool,
) -> (Value, i32, String, Option<Issued>) {
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(s) = stdin {
        input.write_all(s.as_bytes()).unwrap();
    }
    drop(input);
    let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    let mut launch_url = None;
    let mut line = String::new();
    while err.read_line(&mut line).unwrap() > 0 {
        seen.push_str(&line);
        if let Some(i) = line.find("Launch URL: ") {
            launch_url = Some(line[i + "Launch URL: ".len()..].trim().to_owned());
            break;
        }
        line.clear();
    }
    let rest = std::thread::spawn(move || {
        let _ = err.read_to_string(&mut seen);
        seen
    });
    let issued = match (&launch_url, launch) {
        (Some(u), true) => Some(ehr_opens(sb, u)),
        _ => None,
    };
    let out = child.wait_with_output().unwrap();
    let stderr = rest.join().unwrap();
    let report = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (report, out.status.code().unwrap_or(-1), stderr, issued)
}

fn with_status(report: &Value, status: &str) -> BTreeSet<String> {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == status)
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

/// `smart check BASE --client-id smart-cli --json --ehr` on an ephemeral
/// loopback port.
fn ehr_cmd(cfg: &TempConfig, sb: &SandboxServer, extra: &[&str]) -> std::process::Command {
    let mut cmd = support::smart_std(&cfg.path());
    cmd.args(["check", &sb.fhir_base, "--client-id", "smart-cli", "--json"])
        .args(["--ehr", "--redirect-uri", "http://127.0.0.1/callback"])
        .args(["--other-patient", "p000002"])
        .args(extra);
    cmd
}

#[test]
fn an_ehr_launch_is_checked_and_the_token_and_fhir_checks_run_on_it() {
    let sb = SandboxServer::auto_approve();
    let cfg = TempConfig::new();
    let (report, code, stderr, issued) =
        run_ehr(&sb, ehr_cmd(&cfg, &sb, &["--timeout", "60"]), None, true);
    let issued = issued.expect("a launch URL was printed");
    assert_eq!(code, 0, "{stderr}\n{report:#}");
    assert_eq!(with_status(&report, "fail"), BTreeSet::new(), "{report:#}");
    assert_eq!(with_status(&report, "warn"), BTreeSet::new(), "{report:#}");
    // Left undecided: TLS on plain http, the backend and bulk checks (no
    // backend client), and the secret methods (a public client).
    for r in report["results"].as_array().unwrap() {
        if r["status"] == "skip" {
            let id = r["id"].as_str().unwrap();
            assert!(
                id == "authorize.tls"
                    || id.starts_with("backend.")
                    || id.starts_with("bulk.")
                    || id == "token.auth-methods-work",
                "{r:#}"
            );
        }
    }
    for id in ["authorize.ehr-launch", "authorize.ehr-launch-param"] {
        assert_eq!(result(&report, id)["status"], "pass", "{report:#}");
    }
    // The server's side: exactly one authorization request carried the
    // EHR's launch value, with the `launch` scope in place of launch/patient.
    let launched: Vec<_> = sb
        .journal
        .to("/auth/authorize")
        .into_iter()
        .filter(|r| r.param("launch").is_some())
        .collect();
    assert_eq!(launched.len(), 1, "{launched:?}");
    assert_eq!(launched[0].param("launch"), Some(issued.launch.as_str()));
    let scope: Vec<&str> = launched[0].param("scope").unwrap().split(' ').collect();
    assert!(
        scope.contains(&"launch") && !scope.contains(&"launch/patient"),
        "{scope:?}"
    );
    // The good exchange was the launch's: its context is the EHR's patient,
    // and the FHIR checks read that patient with its token.
    let context = result(&report, "token.launch-context");
    assert_eq!(context["status"], "pass");
    assert_eq!(
        context["reason"],
        format!("patient: {}", issued.patient),
        "{context:#}"
    );
    assert!(
        sb.journal
            .to(&format!("/fhir/Patient/{}", issued.patient))
            .iter()
            .any(|r| r.headers.contains_key("authorization")),
        "the launch patient was read with a token"
    );
}

#[test]
fn without_a_launch_in_time_check_ehr_ends_with_exit_4_before_any_request() {
    let sb = SandboxServer::auto_approve();
    let cfg = TempConfig::new();
    let (report, code, stderr, _) =
        run_ehr(&sb, ehr_cmd(&cfg, &sb, &["--timeout", "3"]), None, false);
    assert_eq!(code, 4, "{stderr}");
    assert!(report.is_null(), "{report:#}");
    assert!(
        stderr.contains("no EHR launch arrived at http://127.0.0.1:"),
        "{stderr}"
    );
    assert!(stderr.contains("--timeout SECS"), "{stderr}");
    assert!(sb.journal.all().is_empty(), "nothing sent before a launch");
}

#[test]
fn check_ehr_needs_a_client_and_a_loopback_redirect_uri() {
    let cfg = TempConfig::new();
    let out = cfg
        .cmd()
        .args(["check", "https://fhir.example.org/r4", "--ehr"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--client-id"));
    let out = cfg
        .cmd()
        .args(["check", "https://fhir.example.org/r4", "--ehr"])
        .args([
            "--client-id",
            "app",
            "--redirect-uri",
            "https://app.example/cb",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--ehr needs a loopback http URI"), "{err}");
}

#[test]
fn an_ehr_launch_naming_another_iss_is_refused_and_fails_ehr_launch() {
    let sb = SandboxServer::with_fault("ehr-launch-wrong-iss");
    let cfg = TempConfig::new();
    let (report, code, stderr, _) =
        run_ehr(&sb, ehr_cmd(&cfg, &sb, &["--timeout", "8"]), None, true);
    assert_eq!(code, 5, "{stderr}");
    let r = result(&report, "authorize.ehr-launch");
    assert_eq!(r["status"], "fail", "{r:#}");
    let why = r["reason"].as_str().unwrap();
    assert!(why.contains(&format!("it names {}", sb.origin)), "{why}");
    assert_eq!(
        result(&report, "authorize.ehr-launch-param")["status"],
        "skip"
    );
    // Nothing went on from the refused launch.
    assert!(
        sb.journal
            .to("/auth/authorize")
            .iter()
            .all(|r| r.param("launch").is_none())
    );
}

#[test]
fn the_authorization_request_is_also_sent_as_a_form_post() {
    let sb = SandboxServer::auto_approve();
    let cfg = TempConfig::new();
    let out = cfg
        .cmd()
        .args(["check", &sb.fhir_base, "--client-id", "smart-cli", "--json"])
        .args(["--only", "authorize.post"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(result(&report, "authorize.post")["status"], "pass");
    let posts: Vec<_> = sb
        .journal
        .to("/auth/authorize")
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    assert_eq!(posts.len(), 1);
    let p = &posts[0];
    assert!(
        p.query.is_empty(),
        "the fields are in the body: {:?}",
        p.query
    );
    for f in [
        "response_type",
        "client_id",
        "redirect_uri",
        "scope",
        "state",
        "aud",
        "code_challenge",
        "code_challenge_method",
    ] {
        assert!(p.form.iter().any(|(k, _)| k == f), "{f} in {:?}", p.form);
    }
    assert_eq!(
        p.headers.get("content-type").and_then(|v| v.to_str().ok()),
        Some("application/x-www-form-urlencoded")
    );
    // A server that takes GET only fails it, and nothing else in the group.
    let sb = SandboxServer::with_fault("authorize-post-refused");
    let out = cfg
        .cmd()
        .args(["check", &sb.fhir_base, "--client-id", "smart-cli", "--json"])
        .args(["--only", "authorize"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let r = result(&report, "authorize.post");
    assert_eq!(
        (r["status"].as_str(), r["reason"].as_str()),
        (
            Some("fail"),
            Some("the authorization endpoint answered the POST with 405")
        )
    );
    assert_eq!(
        with_status(&report, "fail"),
        BTreeSet::from(["authorize.post".to_owned()])
    );
}

#[test]
fn tls_1_0_and_1_1_are_refused_by_the_sandbox_and_the_legacy_fault_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let Some((ca, cert, key)) = support::test_certificate(dir.path(), &["127.0.0.1"]) else {
        support::real_part("openssl", false, "apt-get install openssl");
        return;
    };
    let run = |fault: Option<&str>| {
        let sb = SandboxServer::start(smart_sandbox::Options {
            auto_approve: true,
            tls: Some((cert.clone(), key.clone())),
            faults: smart_sandbox::Faults::parse(
                &fault.map(|f| vec![f.to_owned()]).unwrap_or_default(),
            )
            .unwrap(),
            ..Default::default()
        });
        assert!(sb.fhir_base.starts_with("https://127.0.0.1:"));
        let out = TempConfig::new()
            .cmd()
            .args(["--cacert", ca.to_str().unwrap()])
            .args(["check", &sb.fhir_base, "--client-id", "smart-cli", "--json"])
            .args(["--only", "authorize.tls"])
            .output()
            .unwrap();
        let report: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
        (
            result(&report, "authorize.tls").clone(),
            out.status.code(),
            sb,
        )
    };
    let (r, code, sb) = run(None);
    assert_eq!(
        (r["status"].as_str(), code),
        (Some("pass"), Some(0)),
        "{r:#}"
    );
    let why = r["reason"].as_str().unwrap();
    // rustls answers a hello with no version and no suite it speaks with
    // handshake_failure.
    assert!(
        why.contains("TLS 1.0/1.1 authorization (127.0.0.1:"),
        "{why}"
    );
    assert!(
        why.contains("refused with a handshake_failure alert"),
        "{why}"
    );
    // One origin serves all three endpoints: probed once, and the request
    // through rustls (TLS 1.2+) reached the server.
    let probes = r["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["method"] == "TLS")
        .count();
    assert_eq!(probes, 1, "{r:#}");
    assert!(!sb.journal.to("/auth/authorize").is_empty());
    // Independent of our hello: OpenSSL's own TLS 1.1 handshake is refused.
    let port = sb.origin.rsplit(':').next().unwrap().to_owned();
    if let Ok(o) = std::process::Command::new("openssl")
        .args(["s_client", "-connect", &format!("127.0.0.1:{port}")])
        .args(["-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"])
        .stdin(std::process::Stdio::null())
        .output()
    {
        assert!(!o.status.success(), "openssl negotiated TLS 1.1");
    }

    let (r, code, _sb) = run(Some("tls-legacy"));
    assert_eq!(
        (r["status"].as_str(), code),
        (Some("fail"), Some(5)),
        "{r:#}"
    );
    let why = r["reason"].as_str().unwrap();
    assert!(
        why.contains(
            "accepts a TLS 1.0/1.1-only hello: it answered with a ServerHello for TLS 1.1"
        ),
        "{why}"
    );
}

#[test]
fn on_plain_http_the_tls_check_says_why_it_is_skipped() {
    let sb = SandboxServer::auto_approve();
    let out = TempConfig::new()
        .cmd()
        .args(["check", &sb.fhir_base, "--json", "--only", "authorize.tls"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let r = result(&report, "authorize.tls");
    assert_eq!(r["status"], "skip");
    let why = r["reason"].as_str().unwrap();
    assert!(why.contains("plain http (loopback)"), "{why}");
    assert!(why.contains("FHIR (127.0.0.1:"), "{why}");
}
