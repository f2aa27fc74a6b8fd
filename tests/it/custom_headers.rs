//! Custom headers (issue 21 §2): `-H/--header` and `[profiles.X.headers]`
//! reach every request to the FHIR server's origin — discovery, FHIR
//! requests, export kick-off, status and files on that origin — and nothing
//! else: not the token endpoint (unless `--header-token-endpoint`), not
//! another origin (the sandbox's storage origin on its own port, a canned
//! server a redirect or a `next` link points to). Asserted on what the
//! servers received; keys are redacted in `-v` and in errors; Authorization
//! and malformed headers are refused before any request.

use crate::backend_support;
use crate::export;
use crate::support;

use backend_support::*;
use serde_json::json;
use smart_sandbox::Received;
use support::{Canned, CannedServer, SandboxServer, smart_configuration};

const KEY: &str = "sk-live-0123456789";
const KEY_HEADER: &str = "Ocp-Apim-Subscription-Key";

/// The two headers of these tests, as `-H` takes them.
fn h() -> Vec<String> {
    vec![
        "-H".into(),
        format!("{KEY_HEADER}: {KEY}"),
        "--header".into(),
        "X-Tenant: t1".into(),
    ]
}

fn has_headers(r: &Received) -> bool {
    let get = |n: &str| r.headers.get(n).and_then(|v| v.to_str().ok());
    get(KEY_HEADER) == Some(KEY) && get("x-tenant") == Some("t1")
}

fn has_none(r: &Received) -> bool {
    !r.headers.contains_key(KEY_HEADER) && !r.headers.contains_key("x-tenant")
}

/// A sandbox with a backend client `svc` and its profile.
fn backend() -> (tempfile::TempDir, Env) {
    let keys = tempfile::tempdir().unwrap();
    let (key, jwks) = keygen(keys.path(), "ES384", None);
    let env = Env::new(sandbox_with(
        keys.path(),
        vec![backend_client("svc", jwks)],
        |_| {},
    ));
    env.cmd()
        .args(["profile", "add", "svc", "--fhir-base", &env.sb.fhir_base])
        .args(["--client-id", "svc", "--client-type", "backend"])
        .args(["--scope", "system/*.rs", "--private-key"])
        .arg(&key)
        .assert()
        .success();
    (keys, env)
}

fn to(env: &Env, path_end: &str) -> Vec<Received> {
    env.sb
        .journal
        .all()
        .into_iter()
        .filter(|r| r.path.ends_with(path_end))
        .collect()
}

#[test]
fn headers_go_to_discovery_and_fhir_requests_and_not_to_the_token_endpoint() {
    let (_keys, env) = backend();
    env.cmd()
        .args(h())
        .args(["-p", "svc", "query", "Patient", "_count=2"])
        .assert()
        .success();
    let discovery = to(&env, "/.well-known/smart-configuration");
    let patients = to(&env, "/Patient");
    let tokens = env.sb.journal.to("/auth/token");
    assert!(!discovery.is_empty() && discovery.iter().all(has_headers));
    assert!(!patients.is_empty() && patients.iter().all(has_headers));
    assert_eq!(tokens.len(), 1);
    assert!(
        tokens.iter().all(has_none),
        "not to the token endpoint by default"
    );

    // capabilities (/metadata), get, and discover with the base given.
    env.cmd()
        .args(h())
        .args(["-p", "svc", "capabilities"])
        .assert()
        .success();
    let id = "p000001";
    env.cmd()
        .args(h())
        .args(["-p", "svc", "get", &format!("Patient/{id}")])
        .assert()
        .success();
    env.cmd()
        .args(h())
        .args(["discover", &env.sb.fhir_base])
        .assert()
        .success();
    let metadata = to(&env, "/metadata");
    assert!(!metadata.is_empty() && metadata.iter().all(has_headers));
    assert!(to(&env, &format!("/Patient/{id}")).iter().all(has_headers));
    assert!(
        to(&env, "/.well-known/smart-configuration")
            .iter()
            .all(has_headers)
    );

    // --header-token-endpoint: the token request gets them too.
    env.cmd()
        .args(h())
        .args(["--header-token-endpoint", "-p", "svc", "refresh"])
        .assert()
        .success();
    let tokens = env.sb.journal.to("/auth/token");
    assert_eq!(tokens.len(), 2, "refresh fetched a new backend token");
    assert!(has_headers(&tokens[1]), "{:?}", tokens[1].headers);
    // Without -H nothing is added.
    let before = env.sb.journal.all().len();
    env.cmd()
        .args(["-p", "svc", "query", "Patient"])
        .assert()
        .success();
    assert!(env.sb.journal.all()[before..].iter().all(has_none));
}

#[test]
fn a_profile_table_of_headers_goes_with_every_request_and_the_flag_wins() {
    let (_keys, env) = backend();
    let text = env.cfg.read().replace(
        "[profiles.svc]\n",
        "[profiles.svc]\nheader_token_endpoint = true\n",
    );
    env.cfg.write(&format!(
        "{text}\n[profiles.svc.headers]\n{KEY_HEADER} = \"{KEY}\"\nX-Tenant = \"from-profile\"\n"
    ));
    env.cmd()
        .args(["-p", "svc", "query", "Patient"])
        .assert()
        .success();
    let tenant = |r: &Received| {
        r.headers
            .get("x-tenant")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let all = env.sb.journal.all();
    assert!(!all.is_empty());
    assert!(
        all.iter()
            .all(|r| tenant(r).as_deref() == Some("from-profile")),
        "discovery, the token endpoint (header_token_endpoint) and FHIR"
    );
    assert_eq!(env.sb.journal.to("/auth/token").len(), 1);
    // -H replaces a profile header of the same name, and keeps the others.
    let before = all.len();
    env.cmd()
        .args(["-H", "x-tenant: flag", "-p", "svc", "query", "Patient"])
        .assert()
        .success();
    let after = &env.sb.journal.all()[before..];
    assert!(!after.is_empty());
    for r in after {
        assert_eq!(tenant(r).as_deref(), Some("flag"));
        assert_eq!(r.headers.get_all("x-tenant").iter().count(), 1);
        assert!(r.headers.contains_key(KEY_HEADER));
    }
    // `status` and `profile show` never show the key; the tenant is shown.
    let st = env
        .cmd()
        .args(["-p", "svc", "status", "--json"])
        .assert()
        .success();
    assert!(!stdout(&st).contains(KEY));
    let shown = env.json(&["profile", "show", "svc"]);
    assert_eq!(shown["headers"][KEY_HEADER], "[redacted]", "{shown}");
    assert_eq!(shown["headers"]["X-Tenant"], "from-profile");
    let human = env
        .cmd()
        .args(["profile", "show", "svc"])
        .assert()
        .success();
    assert!(
        stdout(&human).contains("X-Tenant: from-profile"),
        "{}",
        stdout(&human)
    );
    assert!(!stdout(&human).contains(KEY));
}

#[test]
fn export_sends_headers_on_the_fhir_origin_and_never_to_the_storage_origin() {
    // File URLs on the base answer 307 to the storage origin (the sandbox's
    // second listener, another port): the first hop gets the headers, the
    // storage hop does not.
    let b = export::bulk(|o| o.faults = export::faults(&["export-file-redirect"]));
    let o = b
        .env
        .cmd()
        .args(h())
        .args(["-p", "svc", "export", "--out", &b.out_str(), "--json"])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!b.kickoffs().is_empty() && b.kickoffs().iter().all(has_headers));
    assert!(!b.polls().is_empty() && b.polls().iter().all(has_headers));
    let files = b.file_requests();
    let (on_base, storage): (Vec<_>, Vec<_>) = files
        .iter()
        .partition(|r| r.path.contains("/$export-file/"));
    assert!(!on_base.is_empty() && on_base.len() == storage.len());
    assert!(on_base.iter().all(|r| has_headers(r)));
    assert!(
        storage.iter().all(|r| has_none(r)),
        "nothing after the hop to storage"
    );
    assert!(b.env.sb.journal.to("/auth/token").iter().all(has_none));

    // Files on the storage origin to begin with.
    let b = export::bulk(|o| o.faults = export::faults(&["export-off-origin-files"]));
    let o = b
        .env
        .cmd()
        .args(h())
        .args(["-p", "svc", "export", "--out", &b.out_str(), "--json"])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let files = b.file_requests();
    assert!(!files.is_empty() && files.iter().all(|r| r.path.starts_with("/bucket/")));
    assert!(files.iter().all(has_none));
    assert!(b.kickoffs().iter().all(has_headers));
}

fn seen_has(s: &support::Seen, name: &str) -> bool {
    s.headers.contains_key(name)
}

#[test]
fn a_redirect_or_a_next_link_to_another_origin_gets_no_headers() {
    let bundle = |next: Option<String>| {
        let mut b = json!({"resourceType": "Bundle", "type": "searchset",
            "entry": [{"resource": {"resourceType": "Patient", "id": "x"}}]});
        if let Some(n) = next {
            b["link"] = json!([{"relation": "next", "url": n}]);
        }
        Canned::raw(200, "application/fhir+json", b.to_string())
    };
    let elsewhere = CannedServer::start(vec![
        (
            "/wk",
            Canned::json(smart_configuration("http://127.0.0.1:9")),
        ),
        ("/fhir/Patient", bundle(None)),
    ]);
    let home = CannedServer::start(vec![
        (
            "/fhir/.well-known/smart-configuration",
            Canned::redirect(elsewhere.url("/wk")),
        ),
        (
            "/fhir/Patient",
            bundle(Some(elsewhere.url("/fhir/Patient?page=2"))),
        ),
    ]);
    let cfg = support::TempConfig::new();
    let base = home.url("/fhir");
    // Discovery redirected to another origin: followed, without the headers.
    let a = cfg
        .cmd()
        .args(h())
        .args(["discover", &base, "--json"])
        .assert();
    let code = a.get_output().status.code();
    assert!(matches!(code, Some(0 | 5)), "{}", stderr(&a));
    assert_eq!(
        elsewhere.seen_under("/wk").len(),
        1,
        "the redirect was followed"
    );
    let first = &home.seen_under("/fhir/.well-known")[0];
    assert!(seen_has(first, "x-tenant") && seen_has(first, KEY_HEADER));
    assert!(
        elsewhere
            .seen()
            .iter()
            .all(|s| !seen_has(s, "x-tenant") && !seen_has(s, KEY_HEADER))
    );

    // A `next` link to another origin (no token: the client follows it).
    let a = cfg
        .cmd()
        .env("SMART_FHIR_BASE", &base)
        .args(h())
        .args(["query", "Patient", "--all", "--no-auth"])
        .assert();
    let next = elsewhere.seen_under("/fhir/Patient");
    assert_eq!(next.len(), 1, "the next page was fetched: {}", stderr(&a));
    assert!(!seen_has(&next[0], "x-tenant") && !seen_has(&next[0], KEY_HEADER));
    assert!(
        home.seen_under("/fhir/Patient")
            .iter()
            .all(|s| seen_has(s, "x-tenant"))
    );
}

#[test]
fn keys_in_headers_are_redacted_in_the_trace_and_in_errors() {
    let (_keys, env) = backend();
    let a = env
        .cmd()
        .args(h())
        .args(["-v", "-p", "svc", "query", "Patient", "_count=1"])
        .assert()
        .success();
    let err = stderr(&a);
    assert!(
        err.contains("ocp-apim-subscription-key: [redacted]"),
        "{err}"
    );
    assert!(err.contains("x-tenant: t1"), "not a secret name: shown");
    assert!(!err.contains(KEY), "{err}");
    assert!(!stdout(&a).contains(KEY));

    // A server that echoes the key in an error: the message hides it.
    let echo = CannedServer::start(vec![(
        "/fhir/Patient/1",
        Canned::raw(
            400,
            "application/fhir+json",
            json!({"resourceType": "OperationOutcome", "issue": [{"severity": "error",
                "code": "security", "diagnostics": format!("bad subscription key {KEY}")}]})
            .to_string(),
        ),
    )]);
    let a = support::TempConfig::new()
        .cmd()
        .env("SMART_FHIR_BASE", echo.url("/fhir"))
        .args(["-H", &format!("X-Api-Key: {KEY}")])
        .args(["get", "Patient/1", "--no-auth"])
        .assert()
        .code(3);
    let err = stderr(&a);
    assert!(err.contains("bad subscription key"), "{err}");
    assert!(!err.contains(KEY), "{err}");
    assert_eq!(echo.seen()[0].headers["x-api-key"], KEY, "the key was sent");

    // Discovery too: a gateway page in place of the configuration, echoing
    // the key, is quoted without it.
    let page = format!("<html>key {KEY} refused</html>");
    let echo = CannedServer::start(vec![
        (
            "/fhir/.well-known/smart-configuration",
            Canned::raw(200, "text/html", page.clone()),
        ),
        ("/fhir/metadata", Canned::raw(200, "text/html", page)),
    ]);
    let a = support::TempConfig::new()
        .cmd()
        .args(["-H", &format!("X-Api-Key: {KEY}")])
        .args(["discover", &echo.url("/fhir")])
        .assert()
        .failure();
    let err = stderr(&a);
    assert!(err.contains("is not JSON"), "{err}");
    assert!(err.contains("refused"), "the page is quoted: {err}");
    assert!(!err.contains(KEY), "{err}");
    assert_eq!(echo.seen()[0].headers["x-api-key"], KEY, "the key was sent");
}

#[test]
fn authorization_and_malformed_headers_are_refused_before_any_request() {
    let sb = SandboxServer::auto_approve();
    let cfg = support::TempConfig::new();
    let cases = [
        (
            "Authorization: Bearer sk-live-9",
            "the `Authorization` header cannot be set",
        ),
        (
            "authorization: Basic sk-live-9",
            "the `authorization` header cannot be set",
        ),
        (
            "Host: evil.example",
            "the `Host` header cannot be set: smart sets it",
        ),
        ("Content-Length: 5", "`Content-Length` header cannot be set"),
        ("sk-live-9", "takes 'Name: value', and this one has no `:`"),
        ("Bad Name: sk-live-9", "`Bad Name` is not a header name"),
        (": sk-live-9", "the header name is empty"),
    ];
    for (given, expected) in cases {
        let a = cfg
            .cmd()
            .args(["-H", given, "discover", &sb.fhir_base])
            .assert()
            .code(1);
        let err = stderr(&a);
        let first = err.lines().next().unwrap_or_default();
        assert!(first.contains(expected), "{given}: {err}");
        assert!(!err.contains("sk-live-9"), "{err}");
        // One line, and at most its hint.
        assert!(err.lines().count() <= 2, "{err}");
    }
    // In the profile: the config file is refused, naming the key.
    cfg.write(&format!(
        "[profiles.x]\nfhir_base = \"{}\"\n\n[profiles.x.headers]\nAuthorization = \"Bearer sk-live-9\"\n",
        sb.fhir_base
    ));
    let a = cfg.cmd().args(["-p", "x", "discover"]).assert().code(1);
    let err = stderr(&a);
    assert!(
        err.contains("headers: the `Authorization` header cannot be set"),
        "{err}"
    );
    assert!(!err.contains("sk-live-9"), "{err}");
    assert_eq!(sb.journal.all().len(), 0, "no request was made");
}

#[test]
fn a_user_login_sends_them_to_discovery_and_to_the_token_endpoint_only_when_asked() {
    let env = Env::new(SandboxServer::auto_approve());
    env.cmd()
        .args(["profile", "add", "ehr", "--fhir-base", &env.sb.fhir_base])
        .args(["--client-id", "smart-cli"])
        .assert()
        .success();
    env.cmd()
        .env("BROWSER", env.browser(support::APPROVE))
        .args(h())
        .args(["-p", "ehr", "login", "--timeout", "20"])
        .assert()
        .success();
    let wk = to(&env, "/.well-known/smart-configuration");
    assert!(!wk.is_empty() && wk.iter().all(has_headers));
    // The authorize page is the browser's request, not ours.
    let authorize = env.sb.journal.to("/auth/authorize");
    assert!(!authorize.is_empty() && authorize.iter().all(has_none));
    let code = env.sb.journal.to("/auth/token");
    assert_eq!(code.len(), 1);
    assert_eq!(code[0].param("grant_type"), Some("authorization_code"));
    assert!(
        has_none(&code[0]),
        "the code exchange gets no custom header"
    );

    env.cmd()
        .args(h())
        .args(["--header-token-endpoint", "-p", "ehr", "refresh"])
        .assert()
        .success();
    let tokens = env.sb.journal.to("/auth/token");
    assert_eq!(tokens[1].param("grant_type"), Some("refresh_token"));
    assert!(has_headers(&tokens[1]), "with --header-token-endpoint");
}

/// `smart check` honours them as every command does: its discovery and
/// FHIR probes get them, its authorization server probes (authorize
/// requests, form POSTs to the token, revocation and introspection
/// endpoints) do not.
#[test]
fn check_sends_them_to_discovery_and_fhir_probes_not_token_probes() {
    let sb = SandboxServer::auto_approve();
    let out = support::TempConfig::new()
        .cmd()
        .args(h())
        .args(["check", &sb.fhir_base, "--client-id", "smart-cli", "--json"])
        .args(["--only", "discovery,authorize,token,fhir"])
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 5)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let all = sb.journal.all();
    let wk: Vec<_> = all
        .iter()
        .filter(|r| r.path.ends_with("/.well-known/smart-configuration"))
        .collect();
    assert!(!wk.is_empty() && wk.iter().all(|r| has_headers(r)));
    let fhir: Vec<_> = all
        .iter()
        .filter(|r| r.path.starts_with("/fhir/") && !r.path.contains(".well-known"))
        .collect();
    assert!(
        !fhir.is_empty() && fhir.iter().all(|r| has_headers(r)),
        "{:?}",
        fhir.iter().map(|r| &r.path).collect::<Vec<_>>()
    );
    for path in ["/auth/token", "/auth/authorize"] {
        let to: Vec<_> = all.iter().filter(|r| r.path == path).collect();
        assert!(!to.is_empty() && to.iter().all(|r| has_none(r)), "{path}");
    }
}
