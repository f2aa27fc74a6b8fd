//! `smart login` and the token life against an authorization server we did
//! not write: `oidc-provider` (npm, pinned in tests/interop/package-lock.json),
//! run by tests/interop/server.mjs with SMART discovery and one FHIR read in
//! front of it. tests/interop/browser.mjs plays the user on its own login and
//! consent pages. `scripts/test` installs the npm packages and runs these
//! (they are ignored by plain `cargo test`); without node or
//! tests/interop/node_modules they say so and pass.

use crate::support;

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use support::{TempConfig, browser_script};

fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop")
}

/// False (after saying why) when node or the npm packages are missing.
fn node_ready() -> bool {
    let node = Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let installed = interop_dir()
        .join("node_modules/oidc-provider/package.json")
        .is_file();
    support::real_part(
        "the interop server (node and tests/interop/node_modules)",
        node && installed,
        &format!(
            "npm ci --prefix tests/interop (scripts/test does it); node found: {node}, packages installed: {installed}"
        ),
    )
}

/// tests/interop/server.mjs as a child process, killed on drop.
struct OidcProvider {
    child: Child,
    issuer: String,
    fhir_base: String,
}

impl OidcProvider {
    fn start(log: &Path) -> OidcProvider {
        let log = std::fs::File::create(log).expect("server log");
        let mut child = Command::new("node")
            .arg(interop_dir().join("server.mjs"))
            .current_dir(interop_dir())
            // The server also stops when its stdin closes, so it cannot
            // outlive this test process.
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("node server.mjs starts");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let first = lines.next().and_then(|l| l.ok()).unwrap_or_default();
            let _ = tx.send(first);
            // Keep draining, so that a late write can never meet a closed pipe.
            for _ in lines {}
        });
        let line = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(line) if !line.trim().is_empty() => line,
            other => {
                let _ = child.kill();
                panic!("server.mjs did not print its ready line: {other:?}");
            }
        };
        let ready: Value = serde_json::from_str(&line).expect("ready line is JSON");
        assert!(ready["port"].as_u64().is_some(), "{ready}");
        OidcProvider {
            child,
            issuer: ready["issuer"].as_str().unwrap().to_owned(),
            fhir_base: ready["fhir_base"].as_str().unwrap().to_owned(),
        }
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Env {
    cfg: TempConfig,
    server: OidcProvider,
}

impl Env {
    fn start() -> Option<Env> {
        if !node_ready() {
            return None;
        }
        let cfg = TempConfig::new();
        let server = OidcProvider::start(&cfg.dir.path().join("server.log"));
        Some(Env { cfg, server })
    }
    fn dir(&self) -> &Path {
        self.cfg.dir.path()
    }
    fn cmd(&self) -> assert_cmd::Command {
        let mut c = self.cfg.file_store_cmd();
        c.env_remove("SMART_TOKEN_STORE")
            .args(["--token-store", "file"]);
        c
    }
    fn json(&self, args: &[&str]) -> Value {
        let out = self.cmd().args(args).arg("--json").assert().success();
        serde_json::from_slice(&out.get_output().stdout).unwrap()
    }
    fn token(&self) -> String {
        let out = self.cmd().arg("token").assert().success();
        stdout(&out).trim().to_owned()
    }
    /// What the file store holds (to see the refresh token rotate).
    fn stored(&self) -> Value {
        let text = std::fs::read_to_string(self.dir().join("state/interop.tokens.json"))
            .expect("tokens stored");
        serde_json::from_str(&text).unwrap()
    }
    fn profile_and_login(&self) {
        self.cmd()
            .args([
                "profile",
                "add",
                "interop",
                "--fhir-base",
                &self.server.fhir_base,
                "--client-id",
                "smart-cli",
                "--scope",
                "openid fhirUser offline_access launch/patient patient/*.rs",
            ])
            .assert()
            .success();
        let browser = browser_script(
            self.dir(),
            "browser.sh",
            &format!(
                r#"node "{}" "$1" alice"#,
                interop_dir().join("browser.mjs").display()
            ),
        );
        let a = self
            .cmd()
            .env("BROWSER", &browser)
            .args(["login", "--timeout", "60"])
            .timeout(Duration::from_secs(120))
            .assert();
        let out = a.get_output();
        assert!(
            out.status.success(),
            "login failed: {}\n{}\nbrowser: {}",
            stdout(&a),
            stderr(&a),
            std::fs::read_to_string(self.dir().join("browser.sh.log")).unwrap_or_default()
        );
        assert!(stdout(&a).contains("Logged in"), "{}", stdout(&a));
        // OIDC Core drops offline_access from the granted scope without
        // prompt=consent (SMART clients do not send it), yet the server's
        // policy gives a refresh token: offline access in effect, so no
        // "not granted" (the refresh-without-offline-access quirk).
        assert!(!stderr(&a).contains("not granted"), "{}", stderr(&a));
    }
    /// GET `{fhir_base}/Patient/123` with this token, by hand: the status.
    fn read_patient_with(&self, token: &str) -> u16 {
        http()
            .get(format!("{}/Patient/123", self.server.fhir_base))
            .bearer_auth(token)
            .send()
            .unwrap()
            .status()
            .as_u16()
    }
    /// The token endpoint's answer to a refresh with this refresh token.
    fn refresh_by_hand(&self, refresh_token: &str) -> (u16, Value) {
        let resp = http()
            .post(format!("{}/token", self.server.issuer))
            .form(&[
                ("grant_type", "refresh_token"),
                ("client_id", "smart-cli"),
                ("refresh_token", refresh_token),
            ])
            .send()
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().unwrap_or(Value::Null))
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        if std::thread::panicking() {
            for log in ["server.log", "browser.sh.log"] {
                let text = std::fs::read_to_string(self.dir().join(log)).unwrap_or_default();
                eprintln!("--- {log}\n{text}");
            }
        }
    }
}

fn http() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn stdout(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stdout).to_string()
}

fn stderr(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stderr).to_string()
}

#[test]
#[ignore = "needs node and tests/interop/node_modules: run scripts/test"]
fn discover_login_token_refresh_logout_against_oidc_provider() {
    let Some(env) = Env::start() else { return };
    let srv = &env.server;

    // Discovery: the SMART document we serve in front of oidc-provider
    // conforms (no findings, exit 0).
    let a = env
        .cmd()
        .args(["discover", &srv.fhir_base])
        .assert()
        .success();
    assert!(
        stdout(&a).contains("conforms to SMART App Launch"),
        "{}",
        stdout(&a)
    );
    let d = env.json(&["discover", &srv.fhir_base]);
    assert_eq!(d["findings"], serde_json::json!([]), "{d}");

    // Login through oidc-provider's own login and consent pages; the
    // id_token is verified (signature via JWKS, iss, aud, exp, nonce).
    env.profile_and_login();
    let st = env.json(&["status"]);
    assert_eq!(st["logged_in"], true, "{st}");
    assert_eq!(st["id_token"], true, "{st}");
    assert_eq!(st["refresh_token"], true, "{st}");
    let user = format!("{}/Patient/123", srv.fhir_base);
    assert_eq!(st["user"], user, "fhirUser from the id_token: {st}");
    assert_eq!(st["context"]["patient"], "123", "{st}");
    let scopes: Vec<&str> = st["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for s in ["openid", "fhirUser", "launch/patient", "patient/*.rs"] {
        assert!(scopes.contains(&s), "{s} granted: {st}");
    }
    let decoded = env.json(&["token", "--decode"]);
    let claims = &decoded["id_token"]["claims"];
    assert_eq!(claims["iss"], srv.issuer.as_str(), "{decoded}");
    assert_eq!(claims["aud"], "smart-cli", "{decoded}");
    assert_eq!(claims["fhirUser"], user, "{decoded}");
    assert_eq!(claims["sub"], "alice", "{decoded}");
    assert_eq!(decoded["access_token"]["format"], "opaque", "{decoded}");
    assert_eq!(decoded["id_token"]["format"], "jwt", "{decoded}");

    // The access token works at the resource server.
    let t1 = env.token();
    assert!(t1.len() >= 20, "{t1}");
    assert_eq!(env.token(), t1, "a fresh token is not refreshed");
    let a = env.cmd().args(["get", "Patient/123"]).assert().success();
    let patient: Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
    assert_eq!(patient["resourceType"], "Patient");
    assert_eq!(patient["id"], "123");
    assert_eq!(env.read_patient_with("not-a-token"), 401);

    // Refresh: new access token, rotated refresh token.
    let rt1 = env.stored()["refresh_token"].as_str().unwrap().to_owned();
    env.cmd().arg("refresh").assert().success();
    let t2 = env.token();
    let rt2 = env.stored()["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(t1, t2, "a new access token");
    assert_ne!(rt1, rt2, "the refresh token rotated");
    assert_eq!(env.read_patient_with(&t2), 200);
    env.cmd().args(["get", "Patient/123"]).assert().success();

    // Introspection: oidc-provider refuses a public client's own token as
    // bearer (400 invalid_request) and wants its client_id in the form;
    // `smart token --introspect` falls back to that.
    let a = env.cmd().args(["token", "--introspect"]).assert().success();
    let mine: Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
    assert_eq!(mine["active"], true, "{mine}");
    // The same by hand.
    let intro: Value = http()
        .post(format!("{}/token/introspection", srv.issuer))
        .form(&[("token", t2.as_str()), ("client_id", "smart-cli")])
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(intro["active"], true, "{intro}");
    assert_eq!(intro["sub"], "alice", "{intro}");

    // Logout revokes at the server (the refresh token ends the grant, so
    // every access token of it stops working) and forgets here.
    let a = env.cmd().arg("logout").assert().success();
    assert!(stdout(&a).contains("revoked"), "{}", stdout(&a));
    env.cmd().arg("status").assert().code(4);
    env.cmd().arg("token").assert().code(4);
    assert_eq!(env.read_patient_with(&t2), 401);
    assert_eq!(env.read_patient_with(&t1), 401);
    let (status, body) = env.refresh_by_hand(&rt2);
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_grant", "{body}");
}

#[test]
#[ignore = "needs node and tests/interop/node_modules: run scripts/test"]
fn a_replayed_refresh_token_ends_the_grant_and_we_ask_for_a_login() {
    let Some(env) = Env::start() else { return };
    env.profile_and_login();
    let rt1 = env.stored()["refresh_token"].as_str().unwrap().to_owned();
    env.cmd().arg("refresh").assert().success();
    let t2 = env.token();
    assert_eq!(env.read_patient_with(&t2), 200);

    // The old refresh token is refused, and oidc-provider treats its reuse
    // as theft: the whole grant is revoked (RFC 9700 §4.14.2).
    let (status, body) = env.refresh_by_hand(&rt1);
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_grant", "{body}");
    assert_eq!(env.read_patient_with(&t2), 401);

    // We find out on the next request: 401, one refresh attempt that the
    // server refuses, then exit 4 with "run smart login"; the stored tokens
    // are kept (a refresh failure never deletes them).
    let a = env.cmd().args(["get", "Patient/123"]).assert().code(4);
    assert!(stderr(&a).contains("smart login"), "{}", stderr(&a));
    env.cmd().arg("refresh").assert().code(4);
}

/// `smart check --browser` against oidc-provider, signing in through its
/// own pages for every authorization request. What it finds is what this
/// setup lacks (a generic OpenID server behind two FHIR routes), pinned so
/// that a change in either shows.
#[test]
#[ignore = "needs node and tests/interop/node_modules: run scripts/test"]
fn smart_check_against_oidc_provider_finds_what_the_setup_lacks() {
    let Some(env) = Env::start() else {
        return;
    };
    let browser = browser_script(
        env.dir(),
        "browser.sh",
        &format!(
            r#"node "{}" "$1" alice"#,
            interop_dir().join("browser.mjs").display()
        ),
    );
    let out = env
        .cmd()
        .env("BROWSER", &browser)
        .args(["check", &env.server.fhir_base, "--client-id", "smart-cli"])
        .args(["--redirect-uri", "http://127.0.0.1/callback", "--browser"])
        .args(["--timeout", "30", "--json"])
        .timeout(Duration::from_secs(180))
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("no report: {}", String::from_utf8_lossy(&out.stderr)));
    let by_status = |s: &str| -> Vec<&str> {
        report["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["status"] == s)
            .map(|r| r["id"].as_str().unwrap())
            .collect()
    };
    // oidc-provider knows nothing of SMART's `aud` nor of `Pragma:
    // no-cache` on token answers, and answers a form POST to its
    // authorization endpoint with 404; the setup has no /metadata and no
    // search; neither discovery, the token endpoint nor its FHIR route
    // answer CORS.
    assert_eq!(
        by_status("fail"),
        [
            "authorize.aud-checked",
            "authorize.post",
            "token.pragma-no-cache",
            "token.fhir-user",
            "fhir.capability-statement",
            "fhir.token-required"
        ],
        "{report:#}"
    );
    assert_eq!(by_status("warn"), ["discovery.cors", "token.cors"]);
    // Everything the browser made possible was decided: codes, the
    // replay, refresh rotation, the id_token, the launch patient, the one
    // advertised client authentication (`none`, by the public client's
    // exchange), revocation.
    for id in [
        "authorize.state-echoed",
        "token.code-verifier-checked",
        "token.code-single-use",
        "token.id-token-valid",
        "token.refresh-reuse-refused",
        "token.launch-context",
        "token.auth-methods-work",
        "discovery.https-endpoints",
        "revocation.revoked-token-refused",
    ] {
        assert!(by_status("pass").contains(&id), "{id}: {report:#}");
    }
    // Without a search route a type-limited token has nothing to be
    // refused: undecided, not passed.
    assert!(by_status("skip").contains(&"fhir.type-scope"), "{report:#}");
    assert_eq!(out.status.code(), Some(5));
}
