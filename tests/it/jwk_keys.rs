//! Private keys kept as a JWK or a one-key JWKS (issue 21 §3): made by
//! `smart keys generate --format jwk`, given as a file or inline in
//! `SMART_PRIVATE_KEY`, signing the client assertions of a backend client
//! (client_credentials) and of a confidential-asymmetric app (the code
//! exchange). Each assertion the sandbox accepted is verified again here,
//! from its journal, against the public key that was registered: the
//! server's acceptance was a real signature check, and the kid and alg came
//! from the JWK.

use crate::backend_support;
use crate::support;

use backend_support::*;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use support::{APPROVE, SandboxServer};

/// `smart keys generate --format jwk` in a fresh directory: (private JWK
/// file, public JWKS printed).
fn keygen_jwk(dir: &Path, alg: &str, kid: Option<&str>) -> (PathBuf, Value) {
    let out_dir = dir.join(format!("jwk-{alg}-{}", kid.unwrap_or("thumb")));
    let mut c = support::smart(&dir.join("keygen-config.toml"));
    c.args(["keys", "generate", "--format", "jwk", "--alg", alg, "--out"])
        .arg(&out_dir);
    if let Some(k) = kid {
        c.args(["--kid", k]);
    }
    let out = c.assert().success();
    let jwks: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    (out_dir.join("smart.key.json"), jwks)
}

/// How many client assertions named by `kid` the sandbox received at its
/// token endpoint for `grant_type`, each checked: signed with `alg`, and its
/// signature good under the public key in `jwks` (what was registered).
fn verified_assertions(
    sb: &SandboxServer,
    grant_type: &str,
    jwks: &Value,
    kid: &str,
    alg: &str,
) -> usize {
    let set: jsonwebtoken::jwk::JwkSet = serde_json::from_value(jwks.clone()).unwrap();
    let public = set.find(kid).expect("the registered JWKS has the kid");
    let key = jsonwebtoken::DecodingKey::from_jwk(public).unwrap();
    let sent: Vec<_> = sb
        .journal
        .to("/auth/token")
        .into_iter()
        .filter(|r| r.param("grant_type") == Some(grant_type))
        .filter(|r| {
            let jwt = r.param("client_assertion").expect("an assertion was sent");
            jsonwebtoken::decode_header(jwt).unwrap().kid.as_deref() == Some(kid)
        })
        .collect();
    for r in &sent {
        let jwt = r.param("client_assertion").unwrap();
        let header = jsonwebtoken::decode_header(jwt).unwrap();
        assert_eq!(format!("{:?}", header.alg), alg);
        let mut v = jsonwebtoken::Validation::new(header.alg);
        v.validate_aud = false;
        v.set_required_spec_claims(&["exp", "iss", "sub"]);
        jsonwebtoken::decode::<Value>(jwt, &key, &v).expect("the signature verifies");
    }
    sent.len()
}

fn add_backend(env: &Env, name: &str, client_id: &str, key: &Path) {
    env.cmd()
        .args(["profile", "add", name, "--fhir-base", &env.sb.fhir_base])
        .args(["--client-id", client_id, "--client-type", "backend"])
        .args(["--scope", "system/*.rs", "--private-key"])
        .arg(key)
        .assert()
        .success();
}

#[test]
fn rsa_and_ec_jwk_keys_sign_backend_assertions_the_sandbox_verifies() {
    let keys = tempfile::tempdir().unwrap();
    let (es_key, es_jwks) = keygen_jwk(keys.path(), "ES384", Some("es-jwk"));
    let (rs_key, rs_jwks) = keygen_jwk(keys.path(), "RS384", None);
    let rs_kid = rs_jwks["keys"][0]["kid"].as_str().unwrap().to_owned();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for k in [&es_key, &rs_key] {
            let mode = std::fs::metadata(k).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "the private JWK file is 0600");
        }
    }
    // The file is a private JWK that names its kid and alg; the JWKS beside
    // it and on stdout is the public half only.
    let private: Value = serde_json::from_str(&std::fs::read_to_string(&es_key).unwrap()).unwrap();
    assert_eq!(private["kid"], "es-jwk");
    assert_eq!(private["alg"], "ES384");
    assert!(private["d"].is_string());
    let beside: Value = serde_json::from_str(
        &std::fs::read_to_string(es_key.with_file_name("smart.jwks.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(beside, es_jwks);
    assert!(es_jwks["keys"][0].get("d").is_none() && rs_jwks["keys"][0].get("d").is_none());

    let env = Env::new(sandbox_with(
        keys.path(),
        vec![
            backend_client("svc-es", es_jwks.clone()),
            backend_client("svc-rs", rs_jwks.clone()),
        ],
        |_| {},
    ));
    add_backend(&env, "es", "svc-es", &es_key);
    add_backend(&env, "rs", "svc-rs", &rs_key);
    let t = env.token("es");
    assert_eq!(fhir_get(&env.sb.fhir_base, "Patient", &t).0, 200);
    assert_eq!(
        verified_assertions(&env.sb, "client_credentials", &es_jwks, "es-jwk", "ES384"),
        1
    );
    let t = env.token("rs");
    assert_eq!(fhir_get(&env.sb.fhir_base, "Patient", &t).0, 200);
    assert_eq!(
        verified_assertions(&env.sb, "client_credentials", &rs_jwks, &rs_kid, "RS384"),
        1
    );
    // `keys jwks` prints the profile's public key under the JWK's kid.
    assert_eq!(env.json(&["-p", "es", "keys", "jwks"]), es_jwks);
    assert_eq!(
        env.json(&["keys", "jwks", "--key", rs_key.to_str().unwrap()]),
        rs_jwks
    );
}

#[test]
fn a_jwk_that_names_a_registered_kid_but_is_another_key_is_refused_by_the_server() {
    let keys = tempfile::tempdir().unwrap();
    let (_, registered) = keygen_jwk(keys.path(), "ES384", Some("same-kid"));
    let (impostor, _) = keygen_jwk(&keys.path().join("other"), "ES384", Some("same-kid"));
    let env = Env::new(sandbox_with(
        keys.path(),
        vec![backend_client("svc", registered)],
        |_| {},
    ));
    add_backend(&env, "svc", "svc", &impostor);
    env.cmd().args(["-p", "svc", "token"]).assert().code(4);
    let sent = env.sb.journal.to("/auth/token");
    assert_eq!(sent.len(), 1, "one assertion was sent, and refused");
    let header = jsonwebtoken::decode_header(sent[0].param("client_assertion").unwrap()).unwrap();
    assert_eq!(header.kid.as_deref(), Some("same-kid"));
}

#[test]
fn a_jwks_with_one_private_key_works_inline_in_the_environment() {
    let keys = tempfile::tempdir().unwrap();
    let (key, jwks) = keygen_jwk(keys.path(), "RS384", Some("ci-key"));
    let (_, other_public) = keygen_jwk(keys.path(), "ES384", Some("someone-else"));
    let private: Value = serde_json::from_str(&std::fs::read_to_string(&key).unwrap()).unwrap();
    // A JWKS as bulk-data-client users keep it: the private key beside
    // another public one.
    let set = json!({"keys": [other_public["keys"][0].clone(), private]});
    let env = Env::new(sandbox_with(
        keys.path(),
        vec![backend_client("ci", jwks.clone())],
        |_| {},
    ));
    let a = env
        .cmd()
        .env("SMART_FHIR_BASE", &env.sb.fhir_base)
        .env("SMART_CLIENT_ID", "ci")
        .env("SMART_CLIENT_TYPE", "backend")
        .env("SMART_PRIVATE_KEY", set.to_string())
        .arg("token")
        .assert()
        .success();
    let t = stdout(&a).trim().to_owned();
    assert_eq!(fhir_get(&env.sb.fhir_base, "Patient", &t).0, 200);
    assert_eq!(
        verified_assertions(&env.sb, "client_credentials", &jwks, "ci-key", "RS384"),
        1
    );
    // The key itself stays out of `status --json`.
    let st = env
        .cmd()
        .env("SMART_FHIR_BASE", &env.sb.fhir_base)
        .env("SMART_PRIVATE_KEY", set.to_string())
        .args(["status", "--json"])
        .assert();
    let d = set["keys"][1]["d"].as_str().unwrap();
    assert!(!stdout(&st).contains(&d[..16]) && !stderr(&st).contains(&d[..16]));
}

#[test]
fn a_jwk_key_signs_the_code_exchange_of_a_confidential_asymmetric_app() {
    let keys = tempfile::tempdir().unwrap();
    let (key, jwks) = keygen_jwk(keys.path(), "ES384", Some("app-jwk"));
    let env = Env::new(sandbox_with(
        keys.path(),
        vec![asymmetric_client("app-asym", jwks.clone())],
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
    env.cmd()
        .env("BROWSER", env.browser(APPROVE))
        .args(["-p", "asym", "login", "--timeout", "20"])
        .assert()
        .success();
    assert_eq!(
        verified_assertions(&env.sb, "authorization_code", &jwks, "app-jwk", "ES384"),
        1
    );
    env.cmd().args(["-p", "asym", "refresh"]).assert().success();
    assert_eq!(
        verified_assertions(&env.sb, "refresh_token", &jwks, "app-jwk", "ES384"),
        1
    );
}

#[test]
fn keys_generate_jwk_round_trips_through_registration() {
    let env = Env::new(SandboxServer::auto_approve());
    let (key, jwks) = keygen_jwk(env.dir(), "RS384", Some("dyn-jwk"));
    env.cmd()
        .args(["-p", "bot", "register", "--fhir-base", &env.sb.fhir_base])
        .args(["--scope", "system/Patient.rs", "--private-key"])
        .arg(&key)
        .assert()
        .success();
    // What was registered is the JWK's public half, under its kid.
    let reg = env.sb.journal.to("/auth/register");
    let sent = reg
        .last()
        .and_then(|r| r.json.clone())
        .expect("a registration");
    assert_eq!(sent["jwks"], jwks, "{sent}");
    let t = env.token("bot");
    assert_eq!(fhir_get(&env.sb.fhir_base, "Patient", &t).0, 200);
    assert_eq!(
        verified_assertions(&env.sb, "client_credentials", &jwks, "dyn-jwk", "RS384"),
        1
    );
}

/// Bad JWKs: one line naming what is wrong, exit 1, no request made, and
/// the private part never shown.
#[test]
fn bad_jwk_keys_are_refused_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let (key, _) = keygen_jwk(dir.path(), "ES384", Some("k"));
    let (key2, _) = keygen_jwk(&dir.path().join("2"), "ES384", Some("k2"));
    let private: Value = serde_json::from_str(&std::fs::read_to_string(&key).unwrap()).unwrap();
    let private2: Value = serde_json::from_str(&std::fs::read_to_string(&key2).unwrap()).unwrap();
    let d = private["d"].as_str().unwrap().to_owned();
    let mut rs256 = private.clone();
    rs256["alg"] = json!("RS256");
    let mut public = private.clone();
    public.as_object_mut().unwrap().remove("d");
    let cases = [
        (rs256, "alg `RS256` is not supported: use RS384 or ES384"),
        (
            json!({"keys": [private, private2]}),
            "exactly one private key (with `d`); this one has 2 private keys",
        ),
        (
            json!({"keys": [public.clone()]}),
            "this one has 0 private keys",
        ),
        (public, "it is a public key"),
    ];
    let sb = SandboxServer::auto_approve();
    for (jwk, expected) in cases {
        let a = support::smart(&dir.path().join("none.toml"))
            .env("SMART_FHIR_BASE", &sb.fhir_base)
            .env("SMART_CLIENT_ID", "ci")
            .env("SMART_CLIENT_TYPE", "backend")
            .env("SMART_TOKEN_STORE", "none")
            .env("SMART_PRIVATE_KEY", jwk.to_string())
            .arg("token")
            .assert()
            .code(1);
        let err = stderr(&a);
        let first = err.lines().next().unwrap_or_default();
        assert!(
            first.contains("SMART_PRIVATE_KEY") && first.contains(expected),
            "{err}"
        );
        assert!(!err.contains(&d[..16]), "{err}");
    }
    assert_eq!(sb.requests_to("/auth/token"), 0);
}
