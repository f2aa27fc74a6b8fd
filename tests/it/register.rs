//! `smart register` (RFC 7591) round trips against the sandbox: a backend
//! client with a key from `smart keys generate` (inline JWKS or a jwks_url),
//! a public and a confidential-symmetric native app, a
//! confidential-asymmetric app — each registered, saved as a profile, and
//! then used to log in and read data.

use crate::backend_support;
use crate::support;

use backend_support::*;
use serde_json::{Value, json};
use support::{APPROVE, Canned, CannedServer, SandboxServer, TempConfig, smart_configuration};

#[test]
fn register_a_backend_client_then_use_it() {
    let env = Env::new(SandboxServer::auto_approve());
    let (key, _) = keygen(env.dir(), "ES384", None);
    let a = env
        .cmd()
        .args(["-p", "bot", "register", "--fhir-base", &env.sb.fhir_base])
        .args([
            "--name",
            "CI bot",
            "--scope",
            "system/Patient.rs system/Observation.rs",
        ])
        .arg("--private-key")
        .arg(&key)
        .assert()
        .success();
    let out = stdout(&a);
    assert!(out.contains("registered backend client `dyn-"), "{out}");
    assert!(out.contains("profile `bot` (the default)"), "{out}");

    let p = env.json(&["profile", "show", "bot"]);
    assert_eq!(p["client_type"], "backend");
    assert!(p["client_id"].as_str().unwrap().starts_with("dyn-"), "{p}");
    assert_eq!(p["scope"], "system/Patient.rs system/Observation.rs");
    assert_eq!(p["private_key"], key.display().to_string());

    env.cmd().args(["-p", "bot", "login"]).assert().success();
    let t = env.token("bot");
    assert_eq!(fhir_get(&env.sb.fhir_base, "Patient", &t).0, 200);
    // Registered scope limits hold: no Condition.
    assert_eq!(fhir_get(&env.sb.fhir_base, "Condition", &t).0, 403);

    // The name is taken now.
    env.cmd()
        .args(["-p", "bot", "register", "--fhir-base", &env.sb.fhir_base])
        .arg("--private-key")
        .arg(&key)
        .assert()
        .code(1);
}

#[test]
fn register_with_a_jwks_url() {
    let env = Env::new(SandboxServer::start(smart_sandbox::Options {
        auto_approve: true,
        allow_loopback_jwks_uri: true,
        ..Default::default()
    }));
    let (key, jwks) = keygen(env.dir(), "RS384", Some("rot-1"));
    let host = CannedServer::start(vec![("/jwks.json", Canned::json(jwks))]);
    let url = host.url("/jwks.json");
    let a = env
        .cmd()
        .args([
            "--json",
            "-p",
            "hosted",
            "register",
            "--fhir-base",
            &env.sb.fhir_base,
        ])
        .args(["--jwks-url", &url, "--private-key"])
        .arg(&key)
        .assert()
        .success();
    let r: Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
    assert_eq!(r["registration"]["jwks_uri"], url);
    assert!(r["registration"].get("jwks").is_none());
    // kid rot-1 comes from the environment, as CI would give it.
    env.cmd()
        .env("SMART_KID", "rot-1")
        .args(["-p", "hosted", "login"])
        .assert()
        .success();
}

#[test]
fn register_native_apps_public_and_confidential() {
    let env = Env::new(SandboxServer::auto_approve());
    env.cmd()
        .args(["-p", "pub", "register", "--fhir-base", &env.sb.fhir_base])
        .assert()
        .success()
        .stdout(predicates::str::contains("registered public client"));
    env.cmd()
        .env("BROWSER", env.browser(APPROVE))
        .args(["-p", "pub", "login", "--timeout", "20"])
        .assert()
        .success();

    let a = env
        .cmd()
        .args([
            "--json",
            "-p",
            "conf",
            "register",
            "--fhir-base",
            &env.sb.fhir_base,
        ])
        .args([
            "--client-type",
            "confidential-symmetric",
            "--redirect-port",
            "8799",
        ])
        .assert()
        .success();
    let r: Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
    assert_eq!(r["registration"]["client_secret"], "[redacted]", "{r}");
    assert_eq!(
        r["registration"]["redirect_uris"],
        json!(["http://127.0.0.1:8799/callback"])
    );
    let secret = std::fs::read_to_string(env.state().join("conf.client_secret")).unwrap();
    assert!(secret.len() >= 16, "the secret went to the token store");
    assert!(
        !env.cfg.read().contains(secret.trim()),
        "never into the config"
    );
    let a = env
        .cmd()
        .env("BROWSER", env.browser(APPROVE))
        .args(["-p", "conf", "login", "--timeout", "20"])
        .assert()
        .success();
    assert!(!stdout(&a).contains(secret.trim()));
    env.cmd().args(["-p", "conf", "refresh"]).assert().success();
}

#[test]
fn register_a_confidential_asymmetric_app_and_log_in() {
    let env = Env::new(SandboxServer::auto_approve());
    let (key, _) = keygen(env.dir(), "ES384", None);
    env.cmd()
        .args(["-p", "asym", "register", "--fhir-base", &env.sb.fhir_base])
        .args(["--client-type", "confidential-asymmetric", "--private-key"])
        .arg(&key)
        .assert()
        .success()
        .stdout(predicates::str::contains("confidential-asymmetric"));
    env.cmd()
        .env("BROWSER", env.browser(APPROVE))
        .args(["-p", "asym", "login", "--timeout", "20"])
        .assert()
        .success();
    env.cmd().args(["-p", "asym", "refresh"]).assert().success();
}

#[test]
fn a_server_without_registration_says_so() {
    // Endpoints that are never reached: discovery is where this ends.
    let server = CannedServer::start(vec![(
        "/fhir/.well-known/smart-configuration",
        Canned::json(smart_configuration("http://127.0.0.1:9")),
    )]);
    let base = server.url("/fhir");
    let cfg = TempConfig::new();
    let a = cfg
        .cmd()
        .env("SMART_TOKEN_STORE", "none")
        .args(["-p", "x", "register", "--fhir-base", &base])
        .assert()
        .code(3);
    assert!(
        stderr(&a).contains("registration_endpoint"),
        "{}",
        stderr(&a)
    );
    assert!(!cfg.path().exists(), "no profile saved");
}

#[test]
fn registration_refusals_are_reported() {
    let env = Env::new(SandboxServer::auto_approve());
    // A backend client needs keys: there are none here.
    let a = env
        .cmd()
        .args(["-p", "nokey", "register", "--fhir-base", &env.sb.fhir_base])
        .args(["--client-type", "backend"])
        .assert()
        .code(1);
    assert!(
        stderr(&a).contains("no public keys to register"),
        "{}",
        stderr(&a)
    );
    // A JWKS file holding a private key is refused before anything is sent.
    let jwk = json!({"keys": [{"kty": "EC", "crv": "P-384", "x": "a", "y": "b", "d": "secret"}]});
    let f = env.dir().join("bad.jwks.json");
    std::fs::write(&f, jwk.to_string()).unwrap();
    let a = env
        .cmd()
        .args([
            "-p",
            "bad",
            "register",
            "--fhir-base",
            &env.sb.fhir_base,
            "--jwks",
        ])
        .arg(&f)
        .assert()
        .code(1);
    assert!(stderr(&a).contains("private key"), "{}", stderr(&a));
}
