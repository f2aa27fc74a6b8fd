//! SMART Backend Services and confidential-asymmetric clients end to end,
//! against an in-process `smart sandbox` that verifies RFC 7523 assertions:
//! keys from `smart keys generate` (ES384 and RS384), registered inline or as
//! a jwks_url served by a tiny local server; wrong key, wrong kid, expired
//! and replayed assertions; caching and re-fetching; the code flow with
//! `private_key_jwt` at the token endpoint, refresh included.

use crate::backend_support;
use crate::support;

use backend_support::*;
use serde_json::{Value, json};
use std::time::Duration;
use support::{APPROVE, Canned, CannedServer};

fn add_backend(env: &Env, name: &str, client_id: &str, key: &Path, extra: &[&str]) {
    env.cmd()
        .args(["profile", "add", name, "--fhir-base", &env.sb.fhir_base])
        .args(["--client-id", client_id, "--client-type", "backend"])
        .args(["--scope", "system/*.rs", "--private-key"])
        .arg(key)
        .args(extra)
        .assert()
        .success();
}

use std::path::Path;

#[test]
fn backend_login_with_es384_and_rs384_keys_registered_inline() {
    let keys = tempfile::tempdir().unwrap();
    let (es_key, es_jwks) = keygen(keys.path(), "ES384", None);
    let (rs_key, rs_jwks) = keygen(keys.path(), "RS384", Some("rs-1"));
    assert_eq!(es_jwks["keys"][0]["alg"], "ES384");
    assert_eq!(es_jwks["keys"][0]["use"], "sig");
    assert_eq!(es_jwks["keys"][0]["key_ops"], json!(["verify"]));
    assert!(es_jwks["keys"][0].get("d").is_none(), "public only");
    assert_eq!(rs_jwks["keys"][0]["kid"], "rs-1");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&es_key).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "private key file is 0600");
    }
    let sb = sandbox_with(
        keys.path(),
        vec![
            backend_client("svc-es", es_jwks.clone()),
            backend_client("svc-rs", rs_jwks),
        ],
        |_| {},
    );
    let env = Env::new(sb);
    add_backend(&env, "es", "svc-es", &es_key, &[]);
    add_backend(&env, "rs", "svc-rs", &rs_key, &["--kid", "rs-1"]);

    for p in ["es", "rs"] {
        let a = env.cmd().args(["-p", p, "login"]).assert().success();
        assert!(stdout(&a).contains("Logged in"), "{}", stdout(&a));
        let st = env.json(&["-p", p, "status"]);
        assert_eq!(st["logged_in"], true);
        assert_eq!(
            st["refresh_token"], false,
            "backend services get no refresh token"
        );
        assert_eq!(st["client_type"], "backend");
        assert_eq!(st["scopes"], json!(["system/*.rs"]));
        let t = env.token(p);
        let (status, body) = fhir_get(&env.sb.fhir_base, "Patient?_count=2", &t);
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["resourceType"], "Bundle");
        assert_eq!(env.token(p), t, "a good token is reused from the store");
    }

    // `smart keys jwks` re-prints the profile's public key, same kid.
    let again = env.json(&["-p", "es", "keys", "jwks"]);
    assert_eq!(again, es_jwks);

    // Logout revokes at the server, authenticating with an assertion.
    let t = env.token("rs");
    env.cmd()
        .args(["-p", "rs", "logout"])
        .assert()
        .success()
        .stdout(predicates::str::contains("revoked at the server"));
    assert_eq!(fhir_get(&env.sb.fhir_base, "Patient", &t).0, 401);
}

#[test]
fn any_command_fetches_a_backend_token_without_login() {
    let keys = tempfile::tempdir().unwrap();
    let (key, jwks) = keygen(keys.path(), "ES384", None);
    let env = Env::new(sandbox_with(
        keys.path(),
        vec![backend_client("svc", jwks)],
        |_| {},
    ));
    add_backend(&env, "svc", "svc", &key, &[]);
    let t = env.token("svc");
    assert_eq!(fhir_get(&env.sb.fhir_base, "Patient", &t).0, 200);
}

#[test]
fn a_jwks_url_served_elsewhere_works_and_is_sent_as_jku() {
    let keys = tempfile::tempdir().unwrap();
    let (key, jwks) = keygen(keys.path(), "RS384", None);
    let host = CannedServer::start(vec![("/.well-known/jwks.json", Canned::json(jwks))]);
    let jwks_url = host.url("/.well-known/jwks.json");
    let client = json!({
        "client_id": "svc-url",
        "token_endpoint_auth_method": "private_key_jwt",
        "grant_types": ["client_credentials"],
        "jwks_uri": jwks_url,
    });
    let env = Env::new(sandbox_with(keys.path(), vec![client], |o| {
        o.allow_loopback_jwks_uri = true
    }));
    add_backend(&env, "url", "svc-url", &key, &["--jku", &jwks_url]);
    env.cmd().args(["-p", "url", "login"]).assert().success();
    let t = env.token("url");
    assert_eq!(fhir_get(&env.sb.fhir_base, "Patient", &t).0, 200);

    // The sandbox insists that a jku is the registered jwks_uri.
    let a = env
        .cmd()
        .env("SMART_JKU", host.url("/other.json"))
        .args(["-p", "url", "login"])
        .assert()
        .code(4);
    assert!(stderr(&a).contains("jku"), "{}", stderr(&a));
}

#[test]
fn a_wrong_key_or_kid_is_a_clear_auth_error() {
    let keys = tempfile::tempdir().unwrap();
    let (_, jwks) = keygen(keys.path(), "ES384", Some("k1"));
    let (other_key, _) = keygen(keys.path(), "ES384", Some("k1-other"));
    let (good_key, _) = (keys.path().join("keys-ES384-k1/smart.key.pem"), ());
    let env = Env::new(sandbox_with(
        keys.path(),
        vec![backend_client("svc", jwks)],
        |_| {},
    ));

    // Another key under the registered kid: the signature does not verify.
    add_backend(&env, "wrongkey", "svc", &other_key, &["--kid", "k1"]);
    let a = env.cmd().args(["-p", "wrongkey", "login"]).assert().code(4);
    let err = stderr(&a);
    assert!(err.contains("invalid_client"), "{err}");
    assert!(err.contains("signature"), "{err}");
    assert!(err.contains("smart keys jwks"), "hint names the fix: {err}");

    // The right key under a kid the server does not know.
    add_backend(&env, "wrongkid", "svc", &good_key, &["--kid", "nope"]);
    let a = env.cmd().args(["-p", "wrongkid", "token"]).assert().code(4);
    assert!(stderr(&a).contains("kid `nope`"), "{}", stderr(&a));

    // The same, with the kid from the environment: env beats the profile.
    let a = env
        .cmd()
        .env("SMART_KID", "k1")
        .args(["-p", "wrongkid", "token"])
        .assert()
        .success();
    assert!(!stdout(&a).trim().is_empty());

    // An RS384 alg for an EC key is refused before any request.
    let a = env
        .cmd()
        .env("SMART_ALG", "RS384")
        .env("SMART_KID", "k1")
        .args(["-p", "wrongkid", "login"])
        .assert()
        .code(1);
    assert!(stderr(&a).contains("RS384"), "{}", stderr(&a));
}

/// Signs an assertion the way a client would, but with a chosen `iat`/`exp`
/// and `jti` (what `smart` itself never does).
fn assertion(key_pem: &str, kid: &str, client: &str, aud: &str, exp: u64, jti: &str) -> String {
    let mut h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES384);
    h.kid = Some(kid.into());
    h.typ = Some("JWT".into());
    let claims =
        json!({"iss": client, "sub": client, "aud": aud, "exp": exp, "iat": exp - 60, "jti": jti});
    let k = jsonwebtoken::EncodingKey::from_ec_pem(key_pem.as_bytes()).unwrap();
    jsonwebtoken::encode(&h, &claims, &k).unwrap()
}

fn post_assertion(token_url: &str, jwt: &str) -> (u16, Value) {
    let resp = reqwest::blocking::Client::new()
        .post(token_url)
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "system/*.rs"),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", jwt),
        ])
        .send()
        .unwrap();
    (resp.status().as_u16(), resp.json().unwrap_or(Value::Null))
}

#[test]
fn expired_and_replayed_assertions_are_refused() {
    let keys = tempfile::tempdir().unwrap();
    let (key, jwks) = keygen(keys.path(), "ES384", Some("k1"));
    let pem = std::fs::read_to_string(&key).unwrap();
    let env = Env::new(sandbox_with(
        keys.path(),
        vec![backend_client("svc", jwks)],
        |_| {},
    ));
    let token_url = format!("{}/auth/token", env.sb.origin);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();

    let expired = assertion(&pem, "k1", "svc", &token_url, now - 600, "j-expired");
    let (status, body) = post_assertion(&token_url, &expired);
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"], "invalid_client");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("expired"),
        "{body}"
    );

    let good = assertion(&pem, "k1", "svc", &token_url, now + 120, "j-once");
    assert_eq!(post_assertion(&token_url, &good).0, 200);
    let (status, body) = post_assertion(&token_url, &good);
    assert_eq!(status, 401, "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("already used"),
        "{body}"
    );

    // What `smart` sends passes the same checks, again and again: the
    // server received three assertions with three different `jti`.
    add_backend(&env, "svc", "svc", &key, &["--kid", "k1"]);
    let before = env.sb.journal.to("/auth/token").len();
    for _ in 0..3 {
        env.cmd().args(["-p", "svc", "login"]).assert().success();
    }
    let jtis: std::collections::BTreeSet<String> = env.sb.journal.to("/auth/token")[before..]
        .iter()
        .map(|r| {
            let jwt = r.param("client_assertion").expect("an assertion");
            let claims = jwt.split('.').nth(1).expect("a JWT");
            let claims: Value = serde_json::from_slice(
                &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, claims)
                    .unwrap(),
            )
            .unwrap();
            claims["jti"].as_str().expect("a jti").to_owned()
        })
        .collect();
    assert_eq!(jtis.len(), 3, "{jtis:?}");
}

#[test]
fn an_expiring_backend_token_is_fetched_again_not_refreshed() {
    let keys = tempfile::tempdir().unwrap();
    let (key, jwks) = keygen(keys.path(), "ES384", None);
    // 30 s tokens are always inside the 60 s margin: every use re-fetches.
    let env = Env::new(sandbox_with(
        keys.path(),
        vec![backend_client("svc", jwks)],
        |o| {
            o.token_lifetime = Duration::from_secs(30);
        },
    ));
    add_backend(&env, "svc", "svc", &key, &[]);
    let t1 = env.token("svc");
    let t2 = env.token("svc");
    assert_ne!(t1, t2, "re-fetched with client_credentials");
    assert_eq!(fhir_get(&env.sb.fhir_base, "Patient", &t2).0, 200);
    // `smart refresh` for a backend profile fetches anew, too.
    env.cmd().args(["-p", "svc", "refresh"]).assert().success();
    assert_ne!(env.token("svc"), t2);
}

#[test]
fn a_planted_token_endpoint_gets_no_assertion() {
    let evil = CannedServer::start(vec![(
        "/token",
        Canned::json(json!({"access_token": "from-the-attacker", "token_type": "Bearer"})),
    )]);
    let keys = tempfile::tempdir().unwrap();
    let (key, jwks) = keygen(keys.path(), "ES384", None);
    let env = Env::new(sandbox_with(
        keys.path(),
        vec![backend_client("svc", jwks)],
        |_| {},
    ));
    add_backend(&env, "svc", "svc", &key, &[]);
    env.token("svc");
    // The cached set names the attacker's token endpoint, and is due.
    let path = env.state().join("svc.tokens.json");
    let mut set: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    set["token_endpoint"] = json!(evil.url("/token"));
    std::fs::write(&path, set.to_string()).unwrap();
    crate::support::expire_in(&env.state(), "svc", 10);
    let fetched = env.sb.token_requests("client_credentials");
    let t = env.token("svc");
    assert_ne!(t, "from-the-attacker");
    assert!(
        evil.seen().is_empty(),
        "the planted endpoint got {:?}",
        evil.seen()
    );
    assert_eq!(env.sb.token_requests("client_credentials"), fetched + 1);
}

#[test]
fn parallel_backend_commands_fetch_once() {
    let keys = tempfile::tempdir().unwrap();
    let (key, jwks) = keygen(keys.path(), "ES384", None);
    let env = Env::new(sandbox_with(
        keys.path(),
        vec![backend_client("svc", jwks)],
        |_| {},
    ));
    add_backend(&env, "svc", "svc", &key, &[]);
    env.token("svc");
    // Inside the 60 s margin, without waiting for it.
    let before = crate::support::expire_in(&env.state(), "svc", 10);
    let fetched = env.sb.token_requests("client_credentials");
    let outs = crate::support::in_parallel(&env.cfg, 3, &["-p", "svc", "token"]);
    assert_ne!(outs[0], before, "re-fetched");
    assert!(
        outs.iter().all(|o| o == &outs[0]),
        "one fetch for all: {outs:?}"
    );
    assert_eq!(
        env.sb.token_requests("client_credentials"),
        fetched + 1,
        "the server saw one fetch for three processes"
    );
}

#[test]
fn the_key_can_live_in_the_token_store() {
    let keys = tempfile::tempdir().unwrap();
    let env0 = Env::new(sandbox_with(keys.path(), vec![], |_| {}));
    // Make the key first (stored under the profile name), then register it.
    let out = env0
        .cmd()
        .args(["-p", "kc", "keys", "generate", "--keychain"])
        .assert()
        .success();
    let jwks: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert!(
        std::fs::read_dir(env0.state())
            .unwrap()
            .any(|e| e.unwrap().file_name() == "kc.private_key"),
        "kept in the (file) token store"
    );
    // A second sandbox that knows the key; same config and store.
    let env = Env {
        cfg: env0.cfg,
        sb: sandbox_with(
            keys.path(),
            vec![backend_client("svc", jwks.clone())],
            |_| {},
        ),
    };
    env.cmd()
        .args(["profile", "add", "kc", "--fhir-base", &env.sb.fhir_base])
        .args([
            "--client-id",
            "svc",
            "--client-type",
            "backend",
            "--private-key",
            "keychain",
        ])
        .assert()
        .success();
    env.cmd().args(["-p", "kc", "login"]).assert().success();
    assert_eq!(env.json(&["-p", "kc", "keys", "jwks"]), jwks);
}

#[test]
fn confidential_asymmetric_code_flow_login_and_refresh() {
    let keys = tempfile::tempdir().unwrap();
    let (key, jwks) = keygen(keys.path(), "RS384", None);
    let env = Env::new(sandbox_with(
        keys.path(),
        vec![asymmetric_client("app-asym", jwks)],
        |_| {},
    ));
    env.cmd()
        .args(["profile", "add", "asym", "--fhir-base", &env.sb.fhir_base])
        .args([
            "--client-id",
            "app-asym",
            "--client-type",
            "confidential-asymmetric",
        ])
        .arg("--private-key")
        .arg(&key)
        .assert()
        .success();
    let a = env
        .cmd()
        .env("BROWSER", env.browser(APPROVE))
        .args(["-p", "asym", "login", "--timeout", "20"])
        .assert()
        .success();
    assert!(stdout(&a).contains("Patient"), "{}", stdout(&a));
    let st = env.json(&["-p", "asym", "status"]);
    assert_eq!(st["refresh_token"], true, "{st}");
    let t1 = env.token("asym");
    // Refresh authenticates with a new assertion.
    env.cmd().args(["-p", "asym", "refresh"]).assert().success();
    let t2 = env.token("asym");
    assert_ne!(t1, t2);
    assert_eq!(fhir_get(&env.sb.fhir_base, "Patient", &t2).0, 200);
}

#[test]
fn keys_tokens_and_assertions_stay_out_of_every_output() {
    let keys = tempfile::tempdir().unwrap();
    let (key, jwks) = keygen(keys.path(), "ES384", None);
    let env = Env::new(sandbox_with(
        keys.path(),
        vec![backend_client("svc", jwks)],
        |_| {},
    ));
    add_backend(&env, "svc", "svc", &key, &[]);
    let mut outputs = Vec::new();
    for args in [
        &["-v", "-p", "svc", "login"][..],
        &["-v", "-p", "svc", "status", "--json"],
        &["-v", "-p", "svc", "refresh"],
        &["-v", "-p", "svc", "keys", "jwks"],
        &["-v", "-p", "svc", "token", "--decode"],
    ] {
        let o = env.cmd().args(args).output().unwrap();
        assert!(
            o.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        outputs.push(String::from_utf8_lossy(&o.stdout).to_string());
        outputs.push(String::from_utf8_lossy(&o.stderr).to_string());
    }
    // The private key, by its body lines; the access token, as stored.
    let pem = std::fs::read_to_string(&key).unwrap();
    let body_lines: Vec<&str> = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let set: Value =
        serde_json::from_slice(&std::fs::read(env.state().join("svc.tokens.json")).unwrap())
            .unwrap();
    let at = set["access_token"].as_str().unwrap();
    for o in &outputs {
        for l in &body_lines {
            assert!(!o.contains(l), "private key leaked into:\n{o}");
        }
        assert!(!o.contains(at), "access token leaked into:\n{o}");
        // An assertion is a JWT made of three base64url parts: ES384 ones
        // start with the header `{"typ":"JWT","alg":"ES384"` or similar.
        assert!(
            !o.contains("client_assertion=eyJ"),
            "assertion leaked into:\n{o}"
        );
    }
    assert!(
        outputs
            .iter()
            .any(|o| o.contains("client_assertion=[redacted]")),
        "the verbose trace shows the assertion redacted"
    );
}

#[test]
fn an_absurd_expires_in_is_a_long_valid_token() {
    // A token endpoint that says the token lives 1e300 seconds.
    let token_host = CannedServer::start(vec![(
        "/token",
        Canned::raw(
            200,
            "application/json",
            r#"{"access_token":"at-forever","token_type":"Bearer","expires_in":1e300}"#,
        ),
    )]);
    let origin = format!("http://{}", token_host.addr);
    let fhir = CannedServer::start(vec![(
        "/fhir/.well-known/smart-configuration",
        Canned::json(support::smart_configuration(&origin)),
    )]);
    let keys = tempfile::tempdir().unwrap();
    let (key, _) = keygen(keys.path(), "ES384", None);
    let cfg = support::TempConfig::new();
    let cmd = || {
        let mut c = cfg.file_store_cmd();
        c.env("SMART_FHIR_BASE", fhir.url("/fhir"))
            .env("SMART_CLIENT_ID", "svc")
            .env("SMART_PRIVATE_KEY", &key);
        c
    };
    cmd().arg("login").assert().success();
    let out = cmd().args(["status", "--json"]).assert().success();
    let st: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(st["logged_in"], true, "{st}");
    assert_eq!(st["expired"], false, "{st}");
    let left = st["expires_in"].as_i64().unwrap();
    let ten_years = 10 * 365 * 24 * 3600;
    assert!(left > ten_years - 60 && left <= ten_years, "{st}");
    // And the token is used as it is, not fetched again.
    let t = cmd().arg("token").assert().success();
    assert_eq!(stdout(&t).trim(), "at-forever");
}

#[test]
fn a_key_file_without_a_kid_signs_with_the_kid_it_was_generated_with() {
    let keys = tempfile::tempdir().unwrap();
    let (key, jwks) = keygen(keys.path(), "ES384", Some("registered-kid"));
    assert_eq!(jwks["keys"][0]["kid"], "registered-kid");
    let env = Env::new(sandbox_with(
        keys.path(),
        vec![backend_client("svc", jwks)],
        |_| {},
    ));
    // Only the key: no profile, no SMART_KID.
    let cmd = || {
        let mut c = env.cmd();
        c.env("SMART_FHIR_BASE", &env.sb.fhir_base)
            .env("SMART_CLIENT_ID", "svc")
            .env("SMART_PRIVATE_KEY", &key);
        c
    };
    let a = cmd().arg("login").assert().success();
    assert!(stdout(&a).contains("Logged in"), "{}", stdout(&a));
    let sent = env.sb.journal.to("/auth/token");
    let assertion = sent
        .last()
        .and_then(|r| r.param("client_assertion"))
        .expect("an assertion was sent");
    let header = jsonwebtoken::decode_header(assertion).unwrap();
    assert_eq!(header.kid.as_deref(), Some("registered-kid"));
    assert_eq!(header.alg, jsonwebtoken::Algorithm::ES384);

    // A JWKS beside the key that is not this key's says nothing about it:
    // the kid falls back to the thumbprint (and the server refuses it).
    let (other, _) = keygen(keys.path(), "ES384", Some("other-kid"));
    std::fs::copy(
        other.with_file_name("smart.jwks.json"),
        key.with_file_name("smart.jwks.json"),
    )
    .unwrap();
    let a = cmd().args(["login"]).assert().code(4);
    assert!(!stderr(&a).contains("other-kid"), "{}", stderr(&a));
}

/// A sandbox restarted after `smart register` has forgotten the client: the
/// error says that the sandbox keeps clients in memory and gives the
/// `smart register … --force` that fixes it, never a `smart login` (which
/// cannot help).
#[test]
fn a_client_the_sandbox_forgot_is_registered_again_not_logged_in() {
    let keys = tempfile::tempdir().unwrap();
    let (key, _) = keygen(keys.path(), "ES384", Some("k1"));
    // The sandbox knows no `forgotten` client, as after a restart.
    let env = Env::new(sandbox_with(keys.path(), vec![], |_| {}));
    add_backend(&env, "bulk", "forgotten", &key, &[]);
    for args in [
        &["-p", "bulk", "token"][..],
        &["-p", "bulk", "query", "Patient"],
    ] {
        let a = env.cmd().args(args).assert().code(4);
        let err = stderr(&a);
        assert!(err.contains("keeps registered clients in memory"), "{err}");
        let hint = err
            .lines()
            .find(|l| l.contains("hint:"))
            .unwrap_or_default();
        assert!(
            hint.contains("smart register -p bulk --fhir-base") && hint.contains("--force"),
            "{err}"
        );
        assert!(!hint.contains("smart login"), "{err}");
    }
}
