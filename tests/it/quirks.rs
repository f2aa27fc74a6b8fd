//! What real EHR servers do, and how `smart` copes: each quirk of
//! `smart sandbox --quirk NAME` (see `--quirk help`), imitated by the
//! in-process sandbox, with `smart` run against it end to end. The journal
//! shows what the server received.

use crate::backend_support::{Env, sandbox_with, stderr, stdout};
use crate::support::{APPROVE, SandboxServer};

use base64::Engine;
use serde_json::{Value, json};

/// `smart profile add NAME` for the sandbox, with `extra` flags.
fn add_profile(env: &Env, name: &str, client_id: &str, extra: &[&str]) {
    env.cmd()
        .args(["profile", "add", name, "--fhir-base", &env.sb.fhir_base])
        .args(["--client-id", client_id, "--force"])
        .args(extra)
        .assert()
        .success();
}

/// `smart -p PROFILE login` with the auto-approving browser (and `stdin`).
fn login(env: &Env, profile: &str, stdin: Option<&str>) -> assert_cmd::assert::Assert {
    let mut c = env.cmd();
    c.env("BROWSER", env.browser(APPROVE))
        .args(["-p", profile, "login", "--timeout", "20"]);
    if let Some(s) = stdin {
        c.arg("--secret-stdin").write_stdin(s);
    }
    c.assert()
}

// ------------------------------------------------------------ basic-auth-raw

/// A secret with every character that form-encoding changes.
const ODD_SECRET: &str = "s+cr/t=&%41";

fn odd_secret_client() -> Value {
    json!({
        "client_id": "odd-secret",
        "client_secret": ODD_SECRET,
        "token_endpoint_auth_method": "client_secret_basic",
        "grant_types": ["authorization_code", "refresh_token"],
        "redirect_uris": ["http://127.0.0.1/callback"],
    })
}

/// The id and secret of the Basic credentials the token endpoint received.
fn basic_credentials(sb: &SandboxServer) -> Vec<String> {
    sb.journal
        .to("/auth/token")
        .iter()
        .filter_map(|r| {
            r.headers
                .get("authorization")?
                .to_str()
                .ok()
                .map(str::to_owned)
        })
        .filter_map(|h| {
            let b64 = h.strip_prefix("Basic ")?;
            let raw = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
            String::from_utf8(raw).ok()
        })
        .collect()
}

#[test]
fn basic_auth_raw_fails_with_a_hint_then_works_with_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let env = Env::new(sandbox_with(dir.path(), vec![odd_secret_client()], |o| {
        o.quirks = smart_sandbox::Quirks::parse(&["basic-auth-raw".into()]).unwrap();
    }));
    let secret_in = format!("{ODD_SECRET}\n");
    add_profile(
        &env,
        "odd",
        "odd-secret",
        &["--client-type", "confidential-symmetric"],
    );
    let a = login(&env, "odd", Some(&secret_in)).code(4);
    let err = stderr(&a);
    assert!(err.contains("invalid_client"), "{err}");
    assert!(err.contains(r#"basic_auth_encoding = "raw""#), "{err}");
    assert!(
        !err.contains(ODD_SECRET),
        "the secret is never shown: {err}"
    );
    assert_eq!(
        basic_credentials(&env.sb),
        ["odd-secret:s%2Bcr%2Ft%3D%26%2541"]
    );

    add_profile(
        &env,
        "odd",
        "odd-secret",
        &[
            "--client-type",
            "confidential-symmetric",
            "--basic-auth-encoding",
            "raw",
        ],
    );
    login(&env, "odd", Some(&secret_in)).success();
    // The refresh, in a new process, authenticates the same way; the
    // trace shows the raw header redacted like any other.
    let a = env
        .cmd()
        .args(["-v", "-p", "odd", "refresh"])
        .assert()
        .success();
    let trace = stderr(&a);
    assert!(
        trace
            .to_ascii_lowercase()
            .contains("authorization: basic [redacted]"),
        "{trace}"
    );
    assert!(
        !trace.contains(ODD_SECRET) && !trace.contains("s%2Bcr"),
        "{trace}"
    );
    let sent = basic_credentials(&env.sb);
    assert_eq!(sent.len(), 3, "{sent:?}");
    assert!(
        sent[1..].iter().all(|c| c == "odd-secret:s+cr/t=&%41"),
        "{sent:?}"
    );
}

#[test]
fn the_default_encoding_suits_a_server_that_follows_rfc_6749() {
    let dir = tempfile::tempdir().unwrap();
    let env = Env::new(sandbox_with(dir.path(), vec![odd_secret_client()], |_| {}));
    add_profile(
        &env,
        "odd",
        "odd-secret",
        &["--client-type", "confidential-symmetric"],
    );
    login(&env, "odd", Some(&format!("{ODD_SECRET}\n"))).success();
    // And raw against it fails, with the hint pointing back.
    add_profile(
        &env,
        "odd",
        "odd-secret",
        &[
            "--client-type",
            "confidential-symmetric",
            "--basic-auth-encoding",
            "raw",
        ],
    );
    let a = login(&env, "odd", Some(&format!("{ODD_SECRET}\n"))).code(4);
    assert!(
        stderr(&a).contains("remove basic_auth_encoding"),
        "{}",
        stderr(&a)
    );
}

// ------------------------------------------------------------ expires-in-string

#[test]
fn expires_in_as_a_string_is_read_as_seconds() {
    let env = Env::new(SandboxServer::with_quirks("expires-in-string"));
    add_profile(&env, "sb", "smart-cli", &[]);
    let a = login(&env, "sb", None).success();
    assert!(!stderr(&a).contains("expires_in"), "{}", stderr(&a));
    let st = env.json(&["-p", "sb", "status"]);
    let left = st["expires_in"].as_i64().expect("a known lifetime");
    assert!((3500..=3600).contains(&left), "{st}");
    env.cmd().args(["-p", "sb", "refresh"]).assert().success();
    let st = env.json(&["-p", "sb", "status"]);
    assert!(st["expires_in"].as_i64().unwrap() > 3500, "{st}");
}

// ------------------------------------------------------------ refresh tokens

#[test]
fn a_refresh_token_without_offline_access_in_scope_is_not_warned_about() {
    let env = Env::new(SandboxServer::with_quirks("refresh-without-offline-access"));
    add_profile(&env, "sb", "smart-cli", &[]);
    let a = login(&env, "sb", None).success();
    assert!(!stderr(&a).contains("not granted"), "{}", stderr(&a));
    let st = env.json(&["-p", "sb", "status"]);
    let granted = st["scopes"].as_array().unwrap();
    assert!(
        !granted.iter().any(|s| s == "offline_access"),
        "the server left it out: {st}"
    );
    assert_eq!(st["refresh_token"], true, "{st}");
    assert_eq!(st["scopes_dropped"], json!([]), "{st}");
    let human = env.cmd().args(["-p", "sb", "status"]).assert().success();
    assert!(
        !stdout(&human).contains("Not granted"),
        "{}",
        stdout(&human)
    );
    // And it works.
    env.cmd().args(["-p", "sb", "refresh"]).assert().success();
    assert_eq!(env.sb.token_requests("refresh_token"), 1);
}

#[test]
fn a_refresh_without_a_new_refresh_token_keeps_the_old_one() {
    let env = Env::new(SandboxServer::with_quirks("refresh-keeps-token"));
    add_profile(&env, "sb", "smart-cli", &[]);
    login(&env, "sb", None).success();
    let first = env.token("sb");
    env.cmd().args(["-p", "sb", "refresh"]).assert().success();
    let st = env.json(&["-p", "sb", "status"]);
    assert_eq!(st["refresh_token"], true, "kept: {st}");
    // A second refresh works with the token kept, and it is the same one.
    env.cmd().args(["-p", "sb", "refresh"]).assert().success();
    assert_ne!(env.token("sb"), first);
    let sent: Vec<String> = env
        .sb
        .journal
        .to("/auth/token")
        .iter()
        .filter_map(|r| r.param("refresh_token").map(str::to_owned))
        .collect();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(sent[0], sent[1], "the one refresh token, used twice");
}

#[test]
fn a_refresh_without_launch_context_keeps_the_context() {
    let env = Env::new(SandboxServer::with_quirks("refresh-drops-context"));
    add_profile(&env, "sb", "smart-cli", &[]);
    login(&env, "sb", None).success();
    let before = env.json(&["-p", "sb", "status"]);
    let patient = before["context"]["patient"]
        .as_str()
        .expect("a patient")
        .to_owned();
    env.cmd().args(["-p", "sb", "refresh"]).assert().success();
    let after = env.json(&["-p", "sb", "status"]);
    assert_eq!(after["context"]["patient"], patient.as_str(), "{after}");
    assert_eq!(
        after["context"]["need_patient_banner"],
        before["context"]["need_patient_banner"]
    );
    // The FHIR calls still go to that patient's compartment.
    let out = env
        .cmd()
        .args(["-p", "sb", "get", &format!("Patient/{patient}")])
        .assert()
        .success();
    assert!(stdout(&out).contains(&patient));
}

// ------------------------------------------------------------ jwks-rotation

#[test]
fn a_rotated_signing_key_is_fetched_once_more() {
    let env = Env::new(SandboxServer::with_quirks("jwks-rotation"));
    add_profile(&env, "sb", "smart-cli", &[]);
    let a = login(&env, "sb", None).success();
    assert!(stderr(&a).contains("fetching it again"), "{}", stderr(&a));
    assert_eq!(env.sb.requests_to("/auth/jwks"), 2, "one re-fetch, no more");
    let st = env.json(&["-p", "sb", "status"]);
    assert!(
        st["user"].is_string(),
        "fhirUser from the verified id_token: {st}"
    );
}

#[test]
fn a_key_never_published_fails_clearly_after_one_re_fetch() {
    let env = Env::new(SandboxServer::with_fault("id-token-unknown-kid"));
    add_profile(&env, "sb", "smart-cli", &[]);
    let a = login(&env, "sb", None).code(4);
    let err = stderr(&a);
    assert!(err.contains("the id_token is not valid"), "{err}");
    assert!(
        err.contains("which the server's JWKS does not publish"),
        "{err}"
    );
    assert_eq!(env.sb.requests_to("/auth/jwks"), 2, "fetched at most twice");
    env.cmd().args(["-p", "sb", "status"]).assert().code(4);
}

#[test]
fn a_known_key_costs_one_jwks_fetch() {
    let env = Env::new(SandboxServer::auto_approve());
    add_profile(&env, "sb", "smart-cli", &[]);
    login(&env, "sb", None).success();
    assert_eq!(env.sb.requests_to("/auth/jwks"), 1);
}

// ------------------------------------------------------------ no-well-known

#[test]
fn without_well_known_the_metadata_extension_is_used_with_warnings() {
    let env = Env::new(SandboxServer::with_quirks("no-well-known"));
    let d = env.json(&["discover", &env.sb.fhir_base]);
    assert_eq!(d["source"], "metadata", "{d}");
    let warned: Vec<&str> = d["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "warning")
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert!(warned.contains(&".well-known/smart-configuration"), "{d}");
    assert!(warned.contains(&"security.service"), "{d}");
    // The OpenID configuration fills in what the extension cannot say.
    assert_eq!(d["document"]["issuer"], env.sb.fhir_base.as_str(), "{d}");
    assert!(
        d["document"]["jwks_uri"]
            .as_str()
            .unwrap()
            .ends_with("/auth/jwks"),
        "{d}"
    );
    assert!(
        d["openid_configuration"]
            .as_str()
            .unwrap()
            .ends_with("/.well-known/openid-configuration")
    );

    add_profile(&env, "sb", "smart-cli", &[]);
    let a = login(&env, "sb", None).success();
    let err = stderr(&a);
    assert!(
        err.contains("warning: .well-known/smart-configuration"),
        "{err}"
    );
    assert!(err.contains("warning: security.service"), "{err}");
    let st = env.json(&["-p", "sb", "status"]);
    assert!(st["user"].is_string(), "the id_token was verified: {st}");
    assert_eq!(env.sb.requests_to("/auth/jwks"), 1);
}

// ------------------------------------------------------------ issuer-trailing-slash

#[test]
fn an_issuer_with_a_trailing_slash_is_accepted_with_a_warning() {
    let env = Env::new(SandboxServer::with_quirks("issuer-trailing-slash"));
    // Discovery has nothing to say: the difference is in the id_token.
    let d = env.json(&["discover", &env.sb.fhir_base]);
    assert_eq!(d["document"]["issuer"], env.sb.fhir_base.as_str(), "{d}");
    assert_eq!(d["findings"], json!([]), "{d}");
    add_profile(&env, "sb", "smart-cli", &[]);
    let a = login(&env, "sb", None).success();
    let err = stderr(&a);
    assert!(
        err.contains(&format!(
            "iss `{}/` differs from the issuer `{}` by a trailing slash",
            env.sb.fhir_base, env.sb.fhir_base
        )),
        "{err}"
    );
    let st = env.json(&["-p", "sb", "status"]);
    assert!(st["user"].is_string(), "{st}");
}

// ------------------------------------------------------------ scope dialects

/// The `scope` of the authorization request the server received.
fn asked_scope(sb: &SandboxServer) -> String {
    let reqs = sb.journal.to("/auth/authorize");
    reqs.last()
        .and_then(|r| r.param("scope"))
        .expect("an authorization request")
        .to_owned()
}

#[test]
fn a_v1_only_server_is_asked_in_v1() {
    let env = Env::new(SandboxServer::with_quirks("scopes-v1-only"));
    add_profile(&env, "sb", "smart-cli", &[]);
    let a = login(&env, "sb", None).success();
    let err = stderr(&a);
    assert!(
        err.contains("permission-v1 scopes only: asking for patient/*.read for patient/*.rs"),
        "{err}"
    );
    assert!(!err.contains("not granted"), "{err}");
    assert_eq!(
        asked_scope(&env.sb),
        "openid fhirUser launch/patient patient/*.read offline_access"
    );
    let st = env.json(&["-p", "sb", "status"]);
    assert!(
        st["scopes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == "patient/*.read"),
        "{st}"
    );
    assert_eq!(st["scopes_dropped"], json!([]), "{st}");
    // The translated scope works for FHIR calls.
    env.cmd()
        .args(["-p", "sb", "query", "Observation", "--limit", "1"])
        .assert()
        .success();
}

#[test]
fn a_v2_only_server_is_asked_in_v2() {
    let env = Env::new(SandboxServer::with_quirks("scopes-v2-only"));
    let v1 = "openid fhirUser launch/patient patient/*.read offline_access";
    add_profile(&env, "sb", "smart-cli", &["--scope", v1]);
    let a = login(&env, "sb", None).success();
    let err = stderr(&a);
    assert!(
        err.contains("permission-v2 scopes only: asking for patient/*.rs for patient/*.read"),
        "{err}"
    );
    assert_eq!(
        asked_scope(&env.sb),
        "openid fhirUser launch/patient patient/*.rs offline_access"
    );
    let st = env.json(&["-p", "sb", "status"]);
    assert_eq!(st["scopes_dropped"], json!([]), "{st}");
}

#[test]
fn with_translation_off_the_dropped_scope_is_shown() {
    let env = Env::new(SandboxServer::with_quirks("scopes-v1-only"));
    add_profile(&env, "sb", "smart-cli", &["--no-scope-translation"]);
    let a = login(&env, "sb", None).success();
    let err = stderr(&a);
    assert!(!err.contains("asking for"), "{err}");
    assert!(err.contains("not granted: patient/*.rs"), "{err}");
    assert!(asked_scope(&env.sb).contains("patient/*.rs"));
    let st = env.json(&["-p", "sb", "status"]);
    assert_eq!(st["scopes_dropped"], json!(["patient/*.rs"]), "{st}");
    assert!(
        st["scopes_asked"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == "patient/*.rs"),
        "{st}"
    );
    let human = stdout(
        &env.cmd()
            .args(["-p", "sb", "status", "--color", "never"])
            .assert()
            .success(),
    );
    assert!(
        human
            .contains("Asked for       openid fhirUser launch/patient patient/*.rs offline_access"),
        "{human}"
    );
    assert!(human.contains("Not granted     patient/*.rs"), "{human}");
    let p = env.json(&["profile", "show", "sb"]);
    assert_eq!(p["scope_translation"], false, "{p}");
}

#[test]
fn a_token_set_stored_before_scope_asked_was_kept_still_loads() {
    let env = Env::new(SandboxServer::auto_approve());
    add_profile(&env, "sb", "smart-cli", &[]);
    login(&env, "sb", None).success();
    let path = env.state().join("sb.tokens.json");
    let mut set: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert!(set["scope_asked"].is_string(), "{set}");
    set.as_object_mut().unwrap().remove("scope_asked");
    std::fs::write(&path, set.to_string()).unwrap();
    let st = env.json(&["-p", "sb", "status"]);
    assert_eq!(st["logged_in"], true);
    assert_eq!(st["scopes_asked"], Value::Null, "{st}");
    assert_eq!(st["scopes_dropped"], json!([]), "{st}");
}

// ------------------------------------------------------------ opaque-tokens

#[test]
fn an_opaque_access_token_is_named_as_such_by_decode() {
    let env = Env::new(SandboxServer::with_quirks("opaque-tokens"));
    add_profile(&env, "sb", "smart-cli", &[]);
    login(&env, "sb", None).success();
    let d = env.json(&["-p", "sb", "token", "--decode"]);
    assert_eq!(d["access_token"], json!({"format": "opaque"}), "{d}");
    assert_eq!(d["id_token"]["format"], "jwt", "{d}");
    let a = env
        .cmd()
        .args(["-p", "sb", "token", "--decode"])
        .assert()
        .success();
    assert!(
        stderr(&a).contains("access_token: opaque token (not a JWT)"),
        "{}",
        stderr(&a)
    );
    let plain: Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
    assert_eq!(plain, d, "the same document with or without --json");
    // The token is good all the same.
    env.cmd()
        .args(["-p", "sb", "get", "metadata"])
        .assert()
        .success();
}

#[test]
fn a_jwt_access_token_is_decoded() {
    let env = Env::new(SandboxServer::auto_approve());
    add_profile(&env, "sb", "smart-cli", &[]);
    login(&env, "sb", None).success();
    let d = env.json(&["-p", "sb", "token", "--decode"]);
    assert_eq!(d["access_token"]["format"], "jwt", "{d}");
    assert_eq!(d["access_token"]["header"]["typ"], "at+jwt", "{d}");
    assert_eq!(d["access_token"]["claims"]["client_id"], "smart-cli", "{d}");
    assert_eq!(
        d["access_token"]["claims"]["aud"],
        env.sb.fhir_base.as_str(),
        "{d}"
    );
}

// ------------------------------------------------------------ retry-after-hours

#[test]
fn a_server_asking_to_wait_hours_fails_at_once_and_says_why() {
    let env = Env::new(SandboxServer::with_quirks("retry-after-hours"));
    add_profile(&env, "sb", "smart-cli", &[]);
    login(&env, "sb", None).success();
    for (args, status) in [
        (vec!["query", "Patient"], "429"),
        (vec!["get", "Patient/p000001"], "503"),
    ] {
        let start = std::time::Instant::now();
        let a = env.cmd().args(["-p", "sb"]).args(&args).assert().code(3);
        assert!(
            start.elapsed() < std::time::Duration::from_secs(15),
            "no sleeping"
        );
        let err = stderr(&a);
        assert!(err.contains(status), "{err}");
        assert!(
            err.contains("asks to wait 7200 s before retrying, longer than the 60 s smart waits"),
            "{err}"
        );
        assert!(err.contains("--max-retry-wait"), "{err}");
    }
    // Each was asked once: no retry was attempted.
    assert_eq!(env.sb.requests_to("/fhir/Patient"), 1);
    assert_eq!(env.sb.requests_to("/fhir/Patient/p000001"), 1);
}

#[test]
fn the_retry_wait_cap_is_a_flag_and_a_profile_key() {
    // http-429 answers every other FHIR call 429 with Retry-After: 1; a new
    // sandbox for each case starts on a 429.
    let get = |profile_flags: &[&str], flags: &[&str]| {
        let env = Env::new(SandboxServer::with_fault("http-429"));
        add_profile(&env, "sb", "smart-cli", profile_flags);
        login(&env, "sb", None).success();
        let o = env
            .cmd()
            .args(["-p", "sb", "get", "Patient/p000001"])
            .args(flags)
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stderr).to_string(),
        )
    };
    let (code, err) = get(&[], &[]);
    assert_eq!(code, Some(0), "1 s is within the default cap: {err}");
    for (profile, flag) in [
        (&[][..], &["--max-retry-wait", "0"][..]),
        (&["--max-retry-wait", "0"], &[]),
    ] {
        let (code, err) = get(profile, flag);
        assert_eq!(code, Some(3), "{err}");
        assert!(err.contains("longer than the 0 s smart waits"), "{err}");
    }
    let (code, err) = get(&["--max-retry-wait", "0"], &["--max-retry-wait", "5"]);
    assert_eq!(code, Some(0), "the flag wins over the profile: {err}");
}
