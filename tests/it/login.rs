//! `smart login` and the token life end to end, against an in-process
//! `smart sandbox`, with `BROWSER` set to a script that plays the user.
//! Tokens go to the explicit file store in a temp dir (the keychain has its
//! own tests in `token_store` and `login_real_parts`).

use crate::support;

use predicates::prelude::*;
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};
use support::{APPROVE, SandboxServer, TempConfig, browser_script};

struct Env {
    cfg: TempConfig,
    sb: SandboxServer,
}

impl Env {
    fn new(sb: SandboxServer) -> Env {
        Env {
            cfg: TempConfig::new(),
            sb,
        }
    }
    fn dir(&self) -> &Path {
        self.cfg.dir.path()
    }
    fn cmd(&self) -> assert_cmd::Command {
        self.cfg.file_store_cmd()
    }
    fn add_profile(&self, name: &str, extra: &[&str]) {
        self.cmd()
            .args([
                "profile",
                "add",
                name,
                "--fhir-base",
                &self.sb.fhir_base,
                "--client-id",
                "smart-cli",
            ])
            .args(extra)
            .assert()
            .success();
    }
    fn browser(&self, body: &str) -> String {
        browser_script(self.dir(), "browser.sh", body)
            .display()
            .to_string()
    }
    fn login(&self, browser_body: &str) -> assert_cmd::assert::Assert {
        self.cmd()
            .env("BROWSER", self.browser(browser_body))
            .args(["login", "--timeout", "20"])
            .assert()
    }
    fn json(&self, args: &[&str]) -> Value {
        let out = self.cmd().args(args).arg("--json").assert().success();
        serde_json::from_slice(&out.get_output().stdout).unwrap()
    }
    fn token(&self) -> String {
        let out = self.cmd().arg("token").assert().success();
        String::from_utf8(out.get_output().stdout.clone())
            .unwrap()
            .trim()
            .to_owned()
    }
}

fn stdout(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stdout).to_string()
}

fn stderr(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stderr).to_string()
}

#[test]
fn standalone_public_login_then_token_refresh_logout() {
    let env = Env::new(SandboxServer::auto_approve());
    env.add_profile("sb", &[]);
    let a = env.login(APPROVE).success();
    let out = String::from_utf8_lossy(&a.get_output().stdout).to_string();
    assert!(out.contains("Logged in"), "{out}");
    assert!(out.contains("Patient"), "patient context shown: {out}");
    let err = stderr(&a);
    assert!(
        err.contains("code_challenge_method=S256"),
        "authorize URL printed: {err}"
    );

    let st = env.json(&["status"]);
    assert_eq!(st["logged_in"], true);
    assert!(st["context"]["patient"].is_string(), "{st}");
    assert!(
        st["user"].as_str().unwrap_or("").contains('/'),
        "fhirUser from the verified id_token: {st}"
    );
    assert_eq!(st["refresh_token"], true);
    assert!(st["expires_in"].as_i64().unwrap() > 3000);

    let t1 = env.token();
    assert!(t1.len() >= 20);
    assert_eq!(env.token(), t1, "a fresh token is not refreshed");

    // Refresh rotates the access token (and the refresh token, server side).
    env.cmd().arg("refresh").assert().success();
    let t2 = env.token();
    assert_ne!(t1, t2);

    // The new token works; introspection agrees.
    let intro = env.json(&["token", "--introspect"]);
    assert_eq!(intro["active"], true, "{intro}");

    env.cmd()
        .arg("logout")
        .assert()
        .success()
        .stdout(predicate::str::contains("revoked"));
    env.cmd().arg("status").assert().code(4);
    env.cmd()
        .arg("token")
        .assert()
        .code(4)
        .stderr(predicate::str::contains("smart login"));

    // Revoked at the server, not just forgotten here.
    let resp = reqwest::blocking::Client::new()
        .get(format!("{}/Patient", env.sb.fhir_base))
        .bearer_auth(&t2)
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
}

#[test]
fn login_with_flags_creates_a_profile() {
    let env = Env::new(SandboxServer::auto_approve());
    env.cmd()
        .env("BROWSER", env.browser(APPROVE))
        .args([
            "login",
            "--fhir-base",
            &env.sb.fhir_base,
            "--client-id",
            "smart-cli",
            "--timeout",
            "20",
        ])
        .assert()
        .success();
    let p = env.json(&["profile", "show"]);
    assert_eq!(p["fhir_base"], env.sb.fhir_base);
    assert_eq!(p["client_id"], "smart-cli");
    env.cmd().arg("status").assert().success();
}

#[test]
fn confidential_symmetric_client_with_secret_from_stdin() {
    let env = Env::new(SandboxServer::auto_approve());
    env.cmd()
        .args([
            "profile",
            "add",
            "conf",
            "--fhir-base",
            &env.sb.fhir_base,
            "--client-id",
            "smart-confidential",
            "--client-type",
            "confidential-symmetric",
        ])
        .assert()
        .success();
    // Without a secret: a clear auth error naming the fix.
    env.cmd()
        .env("BROWSER", env.browser(APPROVE))
        .args(["login", "--timeout", "20"])
        .assert()
        .code(4)
        .stderr(predicate::str::contains("set-secret"));
    env.cmd()
        .env("BROWSER", env.browser(APPROVE))
        .args(["login", "--secret-stdin", "--timeout", "20"])
        .write_stdin("smart-sandbox-secret\n")
        .assert()
        .success();
    // Refresh authenticates with the stored secret.
    env.cmd().arg("refresh").assert().success();
    let all = std::fs::read_dir(env.dir().join("state")).unwrap().count();
    assert!(all >= 2, "tokens and secret stored");
}

#[test]
fn a_secret_from_stdin_makes_an_untyped_profile_confidential() {
    let env = Env::new(SandboxServer::auto_approve());
    // No --client-type: the profile alone says public.
    env.add_profile("conf", &[]);
    let cfg = env.cfg.read().replace("smart-cli", "smart-confidential");
    env.cfg.write(&cfg);
    env.cmd()
        .env("BROWSER", env.browser(APPROVE))
        .args(["login", "--secret-stdin", "--timeout", "20"])
        .write_stdin("smart-sandbox-secret\n")
        .assert()
        .success();
    let exchange: Vec<_> = env
        .sb
        .journal
        .to("/auth/token")
        .into_iter()
        .filter(|r| r.param("grant_type") == Some("authorization_code"))
        .collect();
    assert_eq!(exchange.len(), 1);
    let auth = exchange[0]
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(auth.starts_with("Basic "), "client_secret_basic: {auth:?}");
    assert_eq!(exchange[0].param("client_secret"), None);
    // The stored secret serves the refresh too.
    env.cmd().arg("refresh").assert().success();

    // A profile that says it is public does not take a secret in silence.
    env.add_profile("pub", &["--client-type", "public"]);
    let before = env.sb.journal.all().len();
    let a = env
        .cmd()
        .env("BROWSER", env.browser(APPROVE))
        .args(["-p", "pub", "login", "--secret-stdin", "--timeout", "20"])
        .write_stdin("smart-sandbox-secret\n")
        .assert()
        .code(1);
    let err = stderr(&a);
    assert!(
        err.contains("--secret-stdin") && err.contains("public"),
        "{err}"
    );
    assert!(!err.contains("smart-sandbox-secret"), "{err}");
    assert_eq!(env.sb.journal.all().len(), before, "nothing was sent");
}

/// Sends the callback with its `state` replaced first; with `then_real`, the
/// real callback after it.
fn forging_browser(then_real: bool) -> String {
    let real = if then_real {
        "\ncurl -sS -o /dev/null \"$real\""
    } else {
        ""
    };
    format!(
        r#"real=$(curl -sS -o /dev/null -w '%{{redirect_url}}' "$1")
forged=$(printf %s "$real" | sed 's/state=[^&]*/state=forged/')
curl -sS -o /dev/null "$forged"{real}"#
    )
}

#[test]
fn a_forged_callback_does_not_end_the_login() {
    let env = Env::new(SandboxServer::auto_approve());
    env.add_profile("sb", &[]);
    env.login(&forging_browser(true)).success();
    assert_eq!(
        env.sb.token_requests("authorization_code"),
        1,
        "only the callback with our state was exchanged"
    );
}

#[test]
fn a_wrong_state_alone_gets_no_token_exchange() {
    let env = Env::new(SandboxServer::auto_approve());
    env.add_profile("sb", &[]);
    let a = env
        .cmd()
        .env("BROWSER", env.browser(&forging_browser(false)))
        .args(["login", "--timeout", "2"])
        .assert()
        .code(4);
    assert!(stderr(&a).contains("wrong `state`"), "{}", stderr(&a));
    env.cmd().arg("status").assert().code(4);
    assert_eq!(
        env.sb.journal.to("/auth/authorize").len(),
        1,
        "the login got as far as the authorization request"
    );
    assert!(
        env.sb.journal.to("/auth/token").is_empty(),
        "the token endpoint was never called"
    );
}

#[test]
fn a_denied_consent_is_reported() {
    let env = Env::new(SandboxServer::start(Default::default()));
    env.add_profile("sb", &[]);
    let deny = format!(
        r#"page=$(curl -sS "$1")
pending=$(printf %s "$page" | sed -n 's/.*name="pending" value="\([^"]*\)".*/\1/p' | head -n1)
curl -sS -L -o /dev/null --data-urlencode "pending=$pending" -d decision=deny "{}/auth/consent""#,
        env.sb.origin
    );
    let a = env.login(&deny).code(4);
    assert!(stderr(&a).contains("access_denied"), "{}", stderr(&a));
    // A refusal ends the login: no code was exchanged at the token endpoint.
    assert_eq!(env.sb.journal.to("/auth/token").len(), 0);
}

#[test]
fn a_silent_browser_times_out() {
    let env = Env::new(SandboxServer::auto_approve());
    env.add_profile("sb", &[]);
    let start = Instant::now();
    let a = env
        .cmd()
        .env("BROWSER", env.browser("true"))
        .args(["login", "--timeout", "2"])
        .assert()
        .code(4);
    assert!(start.elapsed() < Duration::from_secs(10));
    assert!(stderr(&a).contains("in time"), "{}", stderr(&a));
}

#[test]
fn a_taken_port_is_reported() {
    let env = Env::new(SandboxServer::auto_approve());
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    env.add_profile("sb", &["--redirect-port", &port]);
    let a = env.login(APPROVE).code(1);
    assert!(
        stderr(&a).contains(&format!("127.0.0.1:{port}")),
        "{}",
        stderr(&a)
    );
}

#[test]
fn no_browser_prints_the_url_and_how_to_finish() {
    let env = Env::new(SandboxServer::auto_approve());
    env.add_profile("sb", &[]);
    let a = env
        .cmd()
        .args(["login", "--no-browser", "--timeout", "1"])
        .assert()
        .code(4);
    let err = stderr(&a);
    assert!(err.contains("/auth/authorize?"), "{err}");
    assert!(err.contains("ssh -L"), "{err}");
}

#[test]
fn ci_without_a_browser_fails_fast() {
    let env = Env::new(SandboxServer::auto_approve());
    env.add_profile("sb", &[]);
    let start = Instant::now();
    env.cmd()
        .env("CI", "true")
        .env_remove("BROWSER")
        .args(["login"])
        .assert()
        .code(4)
        .stderr(predicate::str::contains("CI"));
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[test]
fn a_bad_id_token_signature_fails_the_login() {
    let env = Env::new(SandboxServer::with_fault("id-token-bad-signature"));
    env.add_profile("sb", &[]);
    let a = env.login(APPROVE).code(4);
    assert!(stderr(&a).contains("id_token"), "{}", stderr(&a));
    env.cmd().arg("status").assert().code(4);
}

#[test]
fn a_server_that_drops_state_is_refused() {
    let env = Env::new(SandboxServer::with_fault("state-dropped"));
    env.add_profile("sb", &[]);
    // Refused, and waited past: a response without our state ends nothing.
    let a = env
        .cmd()
        .env("BROWSER", env.browser(APPROVE))
        .args(["login", "--timeout", "2"])
        .assert()
        .code(4);
    assert!(stderr(&a).contains("no `state`"), "{}", stderr(&a));
}

#[test]
fn a_server_that_ignores_pkce_does_not_matter_to_us() {
    let env = Env::new(SandboxServer::with_fault("no-pkce"));
    env.add_profile("sb", &[]);
    env.login(APPROVE).success();
    // We still sent PKCE: an S256 challenge, and its verifier with the code.
    let authorize = env.sb.journal.to("/auth/authorize");
    assert_eq!(authorize.len(), 1);
    assert_eq!(authorize[0].param("code_challenge_method"), Some("S256"));
    assert!(
        authorize[0]
            .param("code_challenge")
            .is_some_and(|c| c.len() == 43)
    );
    let token = env.sb.journal.to("/auth/token");
    assert_eq!(token.len(), 1);
    assert!(
        token[0]
            .param("code_verifier")
            .is_some_and(|v| v.len() >= 43)
    );
}

#[test]
fn pkce_is_sent_even_when_not_advertised_unless_the_profile_says_otherwise() {
    let env = Env::new(SandboxServer::with_fault("pkce-not-advertised"));
    env.add_profile("sb", &[]);
    let a = env.login(APPROVE).success();
    assert!(stderr(&a).contains("code_challenge_method=S256"));
    env.add_profile("lax", &["--pkce", "if-advertised"]);
    // The sandbox requires PKCE, so leaving it out fails — which is why
    // `always` is the default.
    let a = env
        .cmd()
        .env("BROWSER", env.browser(APPROVE))
        .args(["-p", "lax", "login", "--timeout", "5"])
        .assert()
        .code(4);
    let err = stderr(&a);
    let url = err
        .lines()
        .find(|l| l.contains("/auth/authorize?"))
        .expect("URL printed");
    assert!(!url.contains("code_challenge="), "{url}");
    assert!(err.contains("PKCE is off"), "{err}");
}

#[test]
fn ungranted_scopes_are_warned_about() {
    let env = Env::new(SandboxServer::with_fault("scope-reduced"));
    env.add_profile("sb", &[]);
    let a = env.login(APPROVE).success();
    let err = stderr(&a);
    // The warning names exactly the scopes asked for and not granted.
    let warned: std::collections::BTreeSet<String> = err
        .lines()
        .find_map(|l| l.split("not granted: ").nth(1))
        .unwrap_or_else(|| panic!("{err}"))
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let authorize = env.sb.journal.to("/auth/authorize");
    let asked: std::collections::BTreeSet<String> = authorize[0]
        .param("scope")
        .unwrap()
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let granted: std::collections::BTreeSet<String> = env.json(&["status"])["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect();
    let expected: std::collections::BTreeSet<String> =
        asked.difference(&granted).cloned().collect();
    assert!(
        !expected.is_empty() && warned == expected,
        "warned {warned:?}, asked {asked:?}, granted {granted:?}"
    );
}

/// `smart login --ehr …` running, and the launch URL it printed (`None`
/// when it ended without printing one).
struct EhrLogin {
    child: std::process::Child,
    launch_url: Option<String>,
    /// The rest of stderr, read on a thread so that the child never blocks.
    stderr: std::thread::JoinHandle<String>,
}

impl EhrLogin {
    fn start(mut cmd: std::process::Command) -> EhrLogin {
        use std::io::{BufRead, Read};
        let mut child = cmd
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
        let mut seen = String::new();
        let mut launch_url = None;
        let mut line = String::new();
        while err.read_line(&mut line).unwrap() > 0 {
            seen.push_str(&line);
            if let Some(i) = line.find("http://127.0.0.1:") {
                launch_url = Some(line[i..].trim().to_owned());
                break;
            }
            line.clear();
        }
        let stderr = std::thread::spawn(move || {
            let _ = err.read_to_string(&mut seen);
            seen
        });
        EhrLogin {
            child,
            launch_url,
            stderr,
        }
    }

    /// What the browser gets for `GET launch_url?query`: status and body.
    fn open(&self, query: &str) -> (u16, String) {
        let url = format!(
            "{}?{query}",
            self.launch_url.as_deref().expect("launch URL")
        );
        let resp = reqwest::blocking::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap()
            .get(url)
            .send()
            .unwrap();
        (resp.status().as_u16(), resp.text().unwrap_or_default())
    }

    fn finish(mut self) -> (i32, String) {
        let status = self.child.wait().unwrap();
        (status.code().unwrap_or(-1), self.stderr.join().unwrap())
    }
}

/// The EHR (the sandbox) issues a launch for the app at `launch_url`; its
/// `iss` and `launch`, as the EHR would open the app with them.
fn ehr_launch(sb: &SandboxServer, launch_url: &str) -> (String, String) {
    let ehr: Value = reqwest::blocking::Client::new()
        .post(format!("{}/auth/launch", sb.origin))
        .json(&serde_json::json!({"app": launch_url}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let url = url::Url::parse(ehr["url"].as_str().expect("launch url")).unwrap();
    let get = |k: &str| {
        url.query_pairs()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_else(|| panic!("{k} in {url}"))
    };
    (get("iss"), get("launch"))
}

/// Opens the app's launch URL with `iss` and `launch`, following the
/// redirects to the callback as the user's browser would.
fn open_in_browser(launch_url: &str, iss: &str, launch: &str) {
    let mut url = url::Url::parse(launch_url).unwrap();
    url.query_pairs_mut()
        .append_pair("iss", iss)
        .append_pair("launch", launch);
    let status = std::process::Command::new("curl")
        .args(["-sS", "-L", "-o", "/dev/null", url.as_str()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn ehr_launch_through_the_loopback_launch_url() {
    let env = Env::new(SandboxServer::auto_approve());
    env.add_profile("sb", &[]);
    let mut cmd = env.cfg.file_store_std();
    cmd.args(["login", "--ehr", "--timeout", "30"]);
    let login = EhrLogin::start(cmd);
    let launch_url = login.launch_url.clone().expect("launch URL printed");
    assert!(launch_url.ends_with("/launch"), "{launch_url}");
    // The EHR issues a launch for this app and opens it in "the browser".
    let (iss, launch) = ehr_launch(&env.sb, &launch_url);
    open_in_browser(&launch_url, &iss, &launch);
    let (code, err) = login.finish();
    assert_eq!(code, 0, "{err}");
    let st = env.json(&["status"]);
    assert_eq!(st["logged_in"], true);
    assert!(st["context"]["patient"].is_string(), "{st}");
    assert!(
        st["scopes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == "launch"),
        "{st}"
    );
}

/// A server an attacker controls: a conformant SMART configuration, and a
/// record of whatever reaches it.
fn attacker() -> support::CannedServer {
    support::CannedServer::start(vec![(
        "/fhir/.well-known/smart-configuration",
        support::Canned::json(support::smart_configuration(support::ORIGIN)),
    )])
}

#[test]
fn an_ehr_launch_for_a_new_profile_needs_its_fhir_base() {
    // A confidential client, so that there is a secret to steal.
    let evil = attacker();
    let cfg = TempConfig::new();
    let mut cmd = cfg.file_store_std();
    cmd.env("SMART_CLIENT_TYPE", "confidential-symmetric")
        .env("SMART_CLIENT_SECRET", "secret-for-the-real-server")
        .args(["-p", "new", "login", "--ehr", "--client-id", "app"])
        .args(["--timeout", "20"]);
    let login = EhrLogin::start(cmd);
    // Any page or process that finds the port launches with its own iss.
    if login.launch_url.is_some() {
        let _ = login.open(&format!("iss={}&launch=x", evil.url("/fhir")));
    }
    let (code, err) = login.finish();
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("--fhir-base"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert!(evil.seen().is_empty(), "the attacker got {:?}", evil.seen());
    assert!(!cfg.read().contains("[profiles.new]"), "{}", cfg.read());
}

#[test]
fn a_launch_from_another_server_is_refused_and_the_real_one_goes_on() {
    let evil = attacker();
    let env = Env::new(SandboxServer::auto_approve());
    let mut cmd = env.cfg.file_store_std();
    cmd.env("SMART_CLIENT_TYPE", "confidential-symmetric")
        .env("SMART_CLIENT_SECRET", "smart-sandbox-secret")
        .args([
            "-p",
            "conf",
            "login",
            "--ehr",
            "--fhir-base",
            &env.sb.fhir_base,
        ])
        .args(["--client-id", "smart-confidential", "--timeout", "30"]);
    let login = EhrLogin::start(cmd);
    let launch_url = login.launch_url.clone().expect("launch URL printed");
    // Forged launches: another server, and another base on the same origin.
    for iss in [evil.url("/fhir"), format!("{}/other/fhir", env.sb.origin)] {
        let q = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("iss", &iss)
            .append_pair("launch", "forged")
            .finish();
        let (status, page) = login.open(&q);
        assert_eq!(status, 400, "{iss}: {page}");
        assert!(page.contains("Launch refused"), "{page}");
    }
    // The EHR's own launch, its iss with a trailing slash: the same base.
    let (iss, launch) = ehr_launch(&env.sb, &launch_url);
    open_in_browser(&launch_url, &format!("{iss}/"), &launch);
    let (code, err) = login.finish();
    assert_eq!(code, 0, "{err}");
    assert!(evil.seen().is_empty(), "the attacker got {:?}", evil.seen());
    assert!(
        env.sb
            .journal
            .all()
            .iter()
            .all(|r| !r.path.starts_with("/other")),
        "nothing went to the other base"
    );
    assert_eq!(env.sb.token_requests("authorization_code"), 1);
    let p = env.json(&["profile", "show", "conf"]);
    assert_eq!(p["fhir_base"], env.sb.fhir_base);
}

/// A `BROWSER` that skips the authorization server: it answers the
/// loopback callback itself, with the authorize URL's `state` and a code.
const CALLBACK_WITH_STATE: &str = r#"state=$(printf %s "$1" | sed -n 's/.*[?&]state=\([^&]*\).*/\1/p')
cb=$(printf %s "$1" | sed -n 's/.*[?&]redirect_uri=\([^&]*\).*/\1/p' | sed 's/%3A/:/g; s/%2F/\//g')
curl -sS -o /dev/null "$cb?code=canned-code&state=$state""#;

#[test]
fn a_plain_http_jwks_uri_fails_the_login_before_the_code_is_exchanged() {
    // One server per jwks_uri; what reached its token endpoint, and how the
    // login ended.
    let login = |jwks_uri: &str| {
        let mut conf = support::smart_configuration(support::ORIGIN);
        conf["jwks_uri"] = Value::from(jwks_uri);
        let server = support::CannedServer::start(vec![
            (
                "/fhir/.well-known/smart-configuration",
                support::Canned::json(conf),
            ),
            (
                "/token",
                support::Canned::json(serde_json::json!({
                    "access_token": "at", "token_type": "Bearer", "expires_in": 3600
                })),
            ),
        ]);
        let cfg = TempConfig::new();
        let browser = browser_script(cfg.dir.path(), "browser.sh", CALLBACK_WITH_STATE);
        let o = cfg
            .file_store_cmd()
            .env("BROWSER", &browser)
            .args(["login", "--fhir-base", &server.url("/fhir")])
            .args(["--client-id", "app", "--scope", "openid fhirUser"])
            .args(["--timeout", "10"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr).to_string();
        (o.status.code(), err, server.seen_under("/token").len())
    };
    // The control: with a loopback jwks_uri this browser gets the login
    // as far as the code exchange.
    let (code, err, exchanges) = login(&format!("{}/jwks", support::ORIGIN));
    assert_eq!((code, exchanges), (Some(0), 1), "{err}");

    let (code, err, exchanges) = login("http://keys.example.org/jwks");
    assert_eq!(code, Some(3), "{err}");
    assert!(
        err.contains("jwks_uri `http://keys.example.org/jwks` is not https"),
        "{err}"
    );
    assert_eq!(exchanges, 0, "the token endpoint was never called");
}

#[test]
fn a_token_endpoint_on_another_origin_is_warned_about() {
    let auth = support::CannedServer::start(vec![]);
    let mut conf = support::smart_configuration(support::ORIGIN);
    conf["token_endpoint"] = Value::from(auth.url("/token"));
    let server = support::CannedServer::start(vec![(
        "/fhir/.well-known/smart-configuration",
        support::Canned::json(conf),
    )]);
    let a = TempConfig::new()
        .file_store_cmd()
        .args([
            "login",
            "--fhir-base",
            &server.url("/fhir"),
            "--client-id",
            "app",
        ])
        .args(["--no-browser", "--timeout", "1"])
        .assert()
        .code(4);
    let err = stderr(&a);
    let warning = format!(
        "warning: token_endpoint `{}` is on another origin than the FHIR base",
        auth.url("/token")
    );
    assert!(err.contains(&warning), "{err}");
}

#[test]
fn parallel_commands_refresh_once() {
    let env = Env::new(SandboxServer::auto_approve());
    env.add_profile("sb", &[]);
    env.login(APPROVE).success();
    // Inside the 60 s refresh margin, without waiting for it.
    let before = support::expire_in(&env.cfg.state(), "sb", 10);
    let outs = support::in_parallel(&env.cfg, 2, &["token"]);
    assert_ne!(outs[0], before, "refreshed");
    assert_eq!(
        outs[0], outs[1],
        "both processes use the one refreshed token"
    );
    assert_eq!(
        env.sb.token_requests("refresh_token"),
        1,
        "the server saw one refresh"
    );
}

/// Points an endpoint `field` of the stored token set of `profile` (file
/// store) at `url`, as anything that can write the user's files could.
fn plant(state: &Path, profile: &str, field: &str, url: &str) {
    let path = state.join(format!("{profile}.tokens.json"));
    let mut set: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    set[field] = Value::from(url);
    std::fs::write(&path, set.to_string()).unwrap();
}

#[test]
fn a_planted_token_endpoint_gets_no_refresh_token() {
    let evil = support::CannedServer::start(vec![(
        "/token",
        support::Canned::json(serde_json::json!({
            "access_token": "from-the-attacker", "token_type": "Bearer", "expires_in": 3600
        })),
    )]);
    let env = Env::new(SandboxServer::auto_approve());
    env.add_profile("sb", &[]);
    env.login(APPROVE).success();
    plant(
        &env.cfg.state(),
        "sb",
        "token_endpoint",
        &evil.url("/token"),
    );
    support::expire_in(&env.cfg.state(), "sb", 10);
    for args in [&["token"][..], &["refresh"], &["get", "Patient"]] {
        let a = env.cmd().args(args).assert().code(4);
        let err = stderr(&a);
        assert!(err.contains("smart login"), "{args:?}: {err}");
        assert!(err.contains("refusing to send tokens there"), "{err}");
    }
    assert!(
        evil.seen().is_empty(),
        "the planted endpoint got {:?}",
        evil.seen()
    );
    assert_eq!(env.sb.token_requests("refresh_token"), 0);
    // Logging in again replaces the set; refresh works again.
    env.login(APPROVE).success();
    env.cmd().arg("refresh").assert().success();
    assert_eq!(env.sb.token_requests("refresh_token"), 1);
    assert!(evil.seen().is_empty());
}

#[test]
fn planted_introspection_and_revocation_endpoints_get_no_token() {
    let evil = support::CannedServer::start(vec![
        (
            "/introspect",
            support::Canned::json(serde_json::json!({"active": true})),
        ),
        ("/revoke", support::Canned::json(serde_json::json!({}))),
    ]);
    let env = Env::new(SandboxServer::auto_approve());
    env.add_profile("sb", &[]);
    env.login(APPROVE).success();
    plant(
        &env.cfg.state(),
        "sb",
        "introspection_endpoint",
        &evil.url("/introspect"),
    );
    plant(
        &env.cfg.state(),
        "sb",
        "revocation_endpoint",
        &evil.url("/revoke"),
    );
    let a = env.cmd().args(["token", "--introspect"]).assert().code(4);
    assert!(
        stderr(&a).contains("stored introspection_endpoint"),
        "{}",
        stderr(&a)
    );
    // Logging out still forgets the tokens here, without revoking there.
    let a = env.cmd().arg("logout").assert().success();
    assert!(stderr(&a).contains("revocation failed"), "{}", stderr(&a));
    env.cmd().arg("status").assert().code(4);
    assert!(
        evil.seen().is_empty(),
        "the planted endpoints got {:?}",
        evil.seen()
    );
    assert!(env.sb.journal.to("/auth/introspect").is_empty());
    assert!(env.sb.journal.to("/auth/revoke").is_empty());
}

#[test]
fn a_failed_refresh_keeps_the_stored_tokens() {
    let env = Env::new(SandboxServer::with_fault("refresh-invalid"));
    env.add_profile("sb", &[]);
    env.login(APPROVE).success();
    let before = std::fs::read_dir(env.dir().join("state"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("token"))
        .map(|e| std::fs::read(e.path()).unwrap())
        .collect::<Vec<_>>();
    env.cmd()
        .arg("refresh")
        .assert()
        .code(4)
        .stderr(predicate::str::contains("smart login"));
    let after = std::fs::read_dir(env.dir().join("state"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("token"))
        .map(|e| std::fs::read(e.path()).unwrap())
        .collect::<Vec<_>>();
    assert_eq!(before, after, "stored token set untouched");
    env.cmd().arg("status").assert().success();
}

#[test]
fn secrets_never_reach_other_outputs() {
    // A confidential client, so that a client secret is in play too; every
    // token that exists at some point is collected, not only the last ones.
    let env = Env::new(SandboxServer::auto_approve());
    env.cmd()
        .args([
            "profile",
            "add",
            "sb",
            "--fhir-base",
            &env.sb.fhir_base,
            "--client-id",
            "smart-confidential",
            "--client-type",
            "confidential-symmetric",
            "--scope",
            "openid fhirUser launch/patient patient/*.cruds offline_access",
        ])
        .assert()
        .success();
    let final_url = env.dir().join("final-url");
    let browser = env.browser(&format!(
        r#"curl -sS -L -o /dev/null -w '%{{url_effective}}' "$1" > "{}""#,
        final_url.display()
    ));
    let stored = || -> Value {
        let dir = env.dir().join("state");
        let f = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .find(|e| e.file_name().to_string_lossy().ends_with(".tokens.json"))
            .expect("token file");
        serde_json::from_slice(&std::fs::read(f.path()).unwrap()).unwrap()
    };
    let mut outputs = Vec::new();
    let mut secrets: Vec<(String, String)> =
        vec![("client_secret".into(), "smart-sandbox-secret".into())];
    let collect = |set: &Value, secrets: &mut Vec<(String, String)>| {
        for key in ["access_token", "refresh_token", "id_token"] {
            let v = set[key].as_str().unwrap_or_else(|| panic!("{key} stored"));
            secrets.push((key.to_owned(), v.to_owned()));
        }
    };
    // Runs a command that must succeed and keeps its stdout and stderr.
    let mut run = |args: &[&str], stdin: Option<&str>| {
        let mut c = env.cmd();
        c.env("BROWSER", &browser).args(args);
        if let Some(s) = stdin {
            c.write_stdin(s);
        }
        let o = c.output().unwrap();
        assert!(
            o.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        outputs.push(String::from_utf8_lossy(&o.stdout).to_string());
        outputs.push(String::from_utf8_lossy(&o.stderr).to_string());
    };
    run(
        &["-v", "login", "--secret-stdin", "--timeout", "20"],
        Some("smart-sandbox-secret\n"),
    );
    collect(&stored(), &mut secrets);
    let callback = std::fs::read_to_string(&final_url).expect("the browser reached the callback");
    let code = url::Url::parse(callback.trim())
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("code in the callback URL");
    secrets.push(("authorization code".into(), code));
    run(&["-v", "status"], None);
    run(&["-v", "status", "--json"], None);
    run(&["-v", "refresh"], None);
    collect(&stored(), &mut secrets);
    run(&["-v", "token", "--decode"], None);
    run(&["-v", "token", "--introspect"], None);
    // The FHIR commands, in every output format.
    for output in ["json", "ndjson", "bundle", "table", "ids"] {
        run(
            &["-v", "query", "Patient", "--all", "--output", output],
            None,
        );
    }
    run(
        &[
            "-v",
            "query",
            "Observation",
            "code=8867-4",
            "--post",
            "--limit",
            "3",
        ],
        None,
    );
    run(&["-v", "get", "Patient/p000001"], None);
    run(&["-v", "capabilities"], None);
    run(
        &[
            "-v",
            "create",
            "Observation",
            "-d",
            r#"{"resourceType":"Observation","status":"final","code":{"text":"test"},"subject":{"reference":"Patient/p000001"}}"#,
        ],
        None,
    );
    run(&["-v", "logout"], None);
    for (what, secret) in &secrets {
        for o in &outputs {
            assert!(!o.contains(secret.as_str()), "{what} leaked into:\n{o}");
        }
    }
    assert!(
        outputs
            .iter()
            .any(|o| o.contains("Authorization: Basic [redacted]")
                || o.contains("authorization: Basic [redacted]")),
        "the verbose trace shows redacted client authentication"
    );
}

#[test]
fn the_file_store_warning_comes_once_and_not_when_the_store_was_typed() {
    let env = Env::new(SandboxServer::auto_approve());
    env.add_profile("sb", &[]);
    let warning = "tokens are stored in plain files";
    let login = env.login(APPROVE).success();
    assert_eq!(
        stderr(&login).matches(warning).count(),
        1,
        "{}",
        stderr(&login)
    );
    for args in [&["status"][..], &["token"], &["get", "Patient?_count=1"]] {
        let a = env.cmd().args(args).assert().success();
        assert!(!stderr(&a).contains(warning), "{args:?}: {}", stderr(&a));
    }
    // Said once: a second login writes over the file it already said.
    let again = env.login(APPROVE).success();
    assert!(!stderr(&again).contains(warning), "{}", stderr(&again));
    // Chosen on the command line, it goes without saying, even for a new file.
    env.cmd().arg("logout").assert().success();
    let typed = env
        .cmd()
        .env_remove("SMART_TOKEN_STORE")
        .env("BROWSER", env.browser(APPROVE))
        .args(["--token-store", "file", "login", "--timeout", "20"])
        .assert()
        .success();
    assert!(!stderr(&typed).contains(warning), "{}", stderr(&typed));
    assert!(env.cfg.state().join("sb.tokens.json").exists());
}

#[cfg(unix)]
#[test]
fn a_token_file_others_may_write_is_refused_unread() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new(SandboxServer::auto_approve());
    env.add_profile("sb", &[]);
    env.login(APPROVE).success();
    let file = env.cfg.state().join("sb.tokens.json");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o664)).unwrap();
    let before = env.sb.journal.all().len();
    for args in [&["token"][..], &["get", "Patient?_count=1"]] {
        let a = env.cmd().args(args).assert().code(1);
        assert!(
            a.get_output().stdout.is_empty(),
            "{args:?}: nothing printed"
        );
        let err = stderr(&a);
        let first = err.lines().next().unwrap_or_default();
        assert!(
            first.contains(&file.display().to_string())
                && first.contains(&format!("chmod 600 {}", file.display())),
            "{args:?}: {err}"
        );
    }
    assert_eq!(env.sb.journal.all().len(), before, "no request was made");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    env.cmd().arg("token").assert().success();
}

#[test]
fn login_keeps_config_edits_made_while_it_waited() {
    let env = Env::new(SandboxServer::auto_approve());
    // While the login waits for the browser, another command adds a profile.
    let smart_bin = assert_cmd::cargo::cargo_bin("smart");
    let browser = env.browser(&format!(
        "'{}' profile add other --fhir-base https://other.example.org/fhir --client-id o\n{APPROVE}",
        smart_bin.display()
    ));
    let a = env
        .cmd()
        .env("BROWSER", browser)
        .args(["login", "--fhir-base", &env.sb.fhir_base])
        .args(["--client-id", "smart-cli", "--timeout", "20"])
        .assert()
        .success();
    let log = std::fs::read_to_string(env.dir().join("browser.sh.log")).unwrap_or_default();
    assert!(log.contains("added profile `other`"), "{log}");
    let list = env.json(&["profile", "list"]);
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert!(
        names.contains(&"other"),
        "the other edit is kept: {names:?}"
    );
    let made = list
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["fhir_base"] == env.sb.fhir_base.as_str())
        .unwrap_or_else(|| panic!("the login's profile is saved: {list}"));
    assert_eq!(made["client_id"], "smart-cli");
    assert!(stdout(&a).contains("Logged in"));
}
