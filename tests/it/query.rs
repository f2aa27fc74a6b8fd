//! `smart query`, `get`, `create`, `update`, `delete` and `capabilities`
//! end to end: the binary against an in-process `smart sandbox` (and its
//! faults), logged in through a `BROWSER` script that plays the user, with
//! tokens in the explicit file store of a temp dir. Servers that misbehave in
//! ways the sandbox cannot (off-origin links, HTML answers) are canned.

use crate::support;

use std::collections::HashSet;
use std::io::Read;
use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};
use smart_sandbox::{Faults, Options};
use support::{APPROVE, Canned, CannedServer, Out, SandboxServer, TempConfig, browser_script};

const SCOPE: &str = "openid fhirUser user/*.cruds offline_access";

struct Env {
    cfg: TempConfig,
    sb: SandboxServer,
}

fn sandbox(patients: usize, faults: &[&str]) -> SandboxServer {
    let names: Vec<String> = faults.iter().map(|s| s.to_string()).collect();
    SandboxServer::start(Options {
        auto_approve: true,
        patients,
        faults: Faults::parse(&names).expect("known faults"),
        ..Default::default()
    })
}

impl Env {
    /// A sandbox, a profile and a login with user-level scopes.
    fn logged_in(sb: SandboxServer) -> Env {
        let env = Env {
            cfg: TempConfig::new(),
            sb,
        };
        env.cmd()
            .args(["profile", "add", "sb", "--fhir-base", &env.sb.fhir_base])
            .args(["--client-id", "smart-cli"])
            .assert()
            .success();
        let browser = browser_script(env.dir(), "browser.sh", APPROVE);
        env.cmd()
            .env("BROWSER", &browser)
            .args(["login", "--timeout", "20", "--scope", SCOPE])
            .assert()
            .success();
        env
    }
    fn dir(&self) -> &Path {
        self.cfg.dir.path()
    }
    fn cmd(&self) -> assert_cmd::Command {
        self.cfg.file_store_cmd()
    }
    fn run(&self, args: &[&str]) -> Out {
        Out::of(self.cmd().args(args).output().expect("smart runs"))
    }
    fn ok(&self, args: &[&str]) -> Out {
        let o = self.run(args);
        assert_eq!(o.code, 0, "smart {args:?} failed: {}", o.stderr);
        o
    }
    fn token(&self) -> String {
        self.ok(&["token"]).stdout.trim().to_owned()
    }
}

#[test]
fn reads_and_searches_with_modifiers() {
    let env = Env::logged_in(sandbox(120, &[]));
    let p = env.ok(&["get", "Patient/p000001"]).json();
    assert_eq!(p["resourceType"], "Patient");
    assert_eq!(p["id"], "p000001");
    let family = p["name"][0]["family"].as_str().unwrap().to_owned();

    // The same read, relative URL and absolute URL on the same server.
    let abs = format!("{}/Patient/p000001", env.sb.fhir_base);
    assert_eq!(env.ok(&["get", &abs]).json()["id"], "p000001");

    // :exact is case-sensitive, plain string search is a prefix match.
    let exact = format!("family:exact={family}");
    let ids = env.ok(&["query", "Patient", &exact, "-o", "ids"]).stdout;
    assert!(ids.lines().any(|l| l == "Patient/p000001"), "{ids}");
    let lower = format!("family:exact={}", family.to_lowercase());
    assert_eq!(
        env.ok(&["query", "Patient", &lower, "-o", "ids"]).stdout,
        ""
    );
    let prefix = format!("family={}", &family[..3].to_lowercase());
    let found = env.ok(&["query", "Patient", &prefix, "--all"]).ndjson();
    assert!(!found.is_empty());
    for r in &found {
        let f = r["name"][0]["family"].as_str().unwrap().to_lowercase();
        assert!(f.starts_with(&family[..3].to_lowercase()), "{f}");
    }

    // Token search with a system and a `|`, OR with a comma, a date prefix.
    let hr = env
        .ok(&[
            "query",
            "Observation",
            "code=http://loinc.org|8867-4",
            "--limit",
            "5",
        ])
        .ndjson();
    assert_eq!(hr.len(), 5);
    assert!(
        hr.iter()
            .all(|o| o["code"]["coding"][0]["code"] == "8867-4")
    );
    let both = env
        .ok(&[
            "query",
            "Patient",
            "gender=male,female",
            "birthdate=ge2000",
            "--all",
        ])
        .ndjson();
    assert!(!both.is_empty());
    assert!(
        both.iter()
            .all(|p| p["birthDate"].as_str().unwrap() >= "2000")
    );

    // A parameter the server does not know: its OperationOutcome, exit 3.
    let bad = env.run(&["query", "Patient", "nonsense:exact=1"]);
    assert_eq!(bad.code, 3, "{}", bad.stderr);
    assert!(bad.stderr.contains("400 Bad Request"), "{}", bad.stderr);
}

#[test]
fn all_follows_every_page_and_matches_bundle_total() {
    let env = Env::logged_in(sandbox(257, &[]));
    let first = env.ok(&["get", "Patient?_count=1", "-o", "bundle"]).json();
    let total = first["total"].as_u64().expect("the sandbox sends total") as usize;
    assert_eq!(total, 257);

    let all = env
        .ok(&["query", "Patient", "--all", "--count", "20", "-q"])
        .ndjson();
    assert_eq!(all.len(), total);
    let ids: HashSet<&str> = all.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), total, "no resource twice");

    // --limit stops in the middle of a page, and across pages.
    assert_eq!(
        env.ok(&["query", "Patient", "--limit", "45", "--count", "20"])
            .ndjson()
            .len(),
        45
    );
    // Without --all or --limit: one page.
    assert_eq!(
        env.ok(&["query", "Patient", "--count", "7"]).ndjson().len(),
        7
    );
    // Bundles unchanged, one per line, as many as pages.
    let bundles = env.ok(&[
        "query", "Patient", "--all", "--count", "100", "-o", "bundle",
    ]);
    let pages = bundles.ndjson();
    assert_eq!(pages.len(), 3);
    assert!(pages.iter().all(|b| b["resourceType"] == "Bundle"));
}

#[test]
fn post_search_sends_no_query_parameters_in_the_url() {
    let env = Env::logged_in(sandbox(60, &[]));
    let out = env.ok(&[
        "-v",
        "query",
        "Patient",
        "--post",
        "gender=female",
        "--count",
        "5",
    ]);
    let found = out.ndjson();
    assert_eq!(found.len(), 5);
    assert!(found.iter().all(|p| p["gender"] == "female"));
    let post = out
        .stderr
        .lines()
        .find(|l| l.starts_with("> POST "))
        .unwrap_or_else(|| panic!("trace shows the POST: {}", out.stderr));
    assert_eq!(post, format!("> POST {}/Patient/_search", env.sb.fhir_base));
    assert!(out.stderr.contains("application/x-www-form-urlencoded"));
    assert!(
        out.stderr.contains("gender=female&_count=5"),
        "{}",
        out.stderr
    );

    // A profile can make it the default.
    let cfg = env.cfg.read() + "post_search = true\n";
    env.cfg.write(&cfg);
    let out = env.ok(&["-v", "query", "Patient", "family=x", "--count", "2"]);
    assert!(out.stderr.contains("/Patient/_search"), "{}", out.stderr);
    let out = env.ok(&[
        "-v", "query", "Patient", "--get", "family=x", "--count", "2",
    ]);
    assert!(out.stderr.contains("> GET "), "{}", out.stderr);
}

#[test]
fn writes_with_etags() {
    let env = Env::logged_in(sandbox(10, &[]));
    let file = env.dir().join("new.json");
    std::fs::write(
        &file,
        json!({"resourceType":"Patient","name":[{"family":"Writer","given":["Wanda"]}],"gender":"female"})
            .to_string(),
    )
    .unwrap();
    let created = env.ok(&["create", "Patient", "-d", &format!("@{}", file.display())]);
    let p = created.json();
    let id = p["id"].as_str().expect("server assigned an id").to_owned();
    assert!(
        created.stderr.contains(&format!("Created Patient/{id}")),
        "{}",
        created.stderr
    );
    assert!(created.stderr.contains("W/\"1\""), "{}", created.stderr);
    let target = format!("Patient/{id}");

    // Update with the right version; the id comes from the command line.
    let body =
        json!({"resourceType":"Patient","name":[{"family":"Writer"}],"gender":"other"}).to_string();
    let updated = env.ok(&["update", &target, "-d", &body, "--if-match", "1"]);
    assert_eq!(updated.json()["gender"], "other");
    assert!(updated.stderr.contains("W/\"2\""), "{}", updated.stderr);

    // A stale ETag: 412, exit 3, with the server's words.
    let stale = env.run(&["update", &target, "-d", &body, "--if-match", "W/\"1\""]);
    assert_eq!(stale.code, 3, "{}", stale.stderr);
    assert!(stale.stderr.contains("412"), "{}", stale.stderr);
    assert!(stale.stderr.contains("[conflict]"), "{}", stale.stderr);

    // Body from stdin.
    let piped = env
        .cmd()
        .args(["update", &target, "-d", "-"])
        .write_stdin(json!({"resourceType":"Patient","id":id,"gender":"male"}).to_string())
        .output()
        .unwrap();
    assert!(
        piped.status.success(),
        "{}",
        String::from_utf8_lossy(&piped.stderr)
    );

    let del = env.run(&["delete", &target, "--if-match", "2"]);
    assert_eq!(
        del.code, 3,
        "version 2 is no longer current: {}",
        del.stderr
    );
    env.ok(&["delete", &target, "--if-match", "3"]);
    let gone = env.run(&["get", &target]);
    assert_eq!(gone.code, 3);
    assert!(gone.stderr.contains("410"), "{}", gone.stderr);
    // Deleting again, or what never was: said so, and exit 0 (it is gone,
    // as asked).
    let again = env.run(&["delete", &target]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again.stderr.contains(&format!(
            "{target} was already gone ({target} was already deleted)"
        )),
        "{}",
        again.stderr
    );
    assert!(!again.stderr.contains("Deleted"), "{}", again.stderr);
    let never = env.run(&["delete", "Patient/never-was-here"]);
    assert_eq!(never.code, 0, "{}", never.stderr);
    assert!(
        never.stderr.contains(
            "Patient/never-was-here was already gone (the server answered 404 Not Found)"
        ),
        "{}",
        never.stderr
    );
}

#[test]
fn bad_input_is_one_clear_line_before_any_request() {
    let env = Env::logged_in(sandbox(5, &[]));
    let cases: &[(&[&str], &str)] = &[
        (&["query", "patient"], "did you mean Patient?"),
        (&["query", "Observations"], "did you mean Observation?"),
        (&["get", "patient/1"], "did you mean Patient?"),
        (
            &["query", "Patient", "family"],
            "malformed search parameter `family`",
        ),
        (&["query", "Patient", "=x"], "empty name"),
        (
            &[
                "create",
                "Patient",
                "-d",
                "{\"resourceType\": \"Patient\",\n  oops}",
            ],
            "line 2, column 3",
        ),
        (
            &["create", "Patient", "-d", "{\"resourceType\":"],
            "incomplete JSON",
        ),
        (
            &[
                "create",
                "Patient",
                "-d",
                "{\"resourceType\":\"Observation\"}",
            ],
            "is a Observation",
        ),
        (
            &["create", "Patient", "-d", "@/nonexistent/x.json"],
            "cannot read",
        ),
        (&["update", "Patient", "-d", "{}"], "expected Type/id"),
    ];
    for (args, want) in cases {
        let o = env.run(args);
        assert_eq!(o.code, 1, "{args:?}: {}", o.stderr);
        assert!(o.stderr.contains(want), "{args:?}: {}", o.stderr);
        assert!(!o.stderr.contains("panicked"), "{}", o.stderr);
    }
    // Too large a body.
    let big = env.dir().join("big.json");
    std::fs::write(&big, vec![b' '; 17 << 20]).unwrap();
    let o = env.run(&["create", "Patient", "-d", &format!("@{}", big.display())]);
    assert_eq!(o.code, 1);
    assert!(o.stderr.contains("larger than 16 MiB"), "{}", o.stderr);
}

#[test]
fn a_refused_token_is_refreshed_once_and_the_request_repeated() {
    let env = Env::logged_in(sandbox(5, &[]));
    // The server no longer knows the stored access token (as after a
    // restart), though it has not expired by the clock.
    let path = env.dir().join("state").join("sb.tokens.json");
    let mut set: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let old = set["access_token"].as_str().unwrap().to_owned();
    set["access_token"] = json!("not-a-token-the-server-knows");
    std::fs::write(&path, set.to_string()).unwrap();

    let out = env.ok(&["-v", "get", "Patient/p000001"]);
    assert_eq!(out.json()["id"], "p000001");
    // (The refresh's discovery, which checks the token endpoint, is a GET
    // of its own.)
    let gets = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("> GET ") && l.contains("/Patient/p000001"))
        .count();
    assert_eq!(gets, 2, "one 401, one retry: {}", out.stderr);
    assert!(out.stderr.contains("< 401"), "{}", out.stderr);
    assert!(
        out.stderr.contains("grant_type=refresh_token"),
        "{}",
        out.stderr
    );
    let fresh = env.token();
    assert_ne!(fresh, "not-a-token-the-server-knows");
    assert_ne!(fresh, old);
}

#[test]
fn a_token_refused_after_refresh_is_exit_4_run_smart_login() {
    // Every token the server issues is already expired.
    let env = Env::logged_in(sandbox(5, &["expired-tokens"]));
    let o = env.run(&["query", "Patient"]);
    assert_eq!(o.code, 4, "{}", o.stderr);
    assert!(o.stderr.contains("401"), "{}", o.stderr);
    assert!(o.stderr.contains("smart login"), "{}", o.stderr);
}

#[test]
fn throttling_is_retried_for_reads_only() {
    let env = Env::logged_in(sandbox(30, &["http-429"]));
    // The first FHIR call is throttled: a create is not retried.
    let c = env.run(&["create", "Patient", "-d", r#"{"resourceType":"Patient"}"#]);
    assert_eq!(c.code, 3, "{}", c.stderr);
    assert!(c.stderr.contains("429"), "{}", c.stderr);
    assert!(c.stderr.contains("not retried"), "{}", c.stderr);
    // Reads wait out Retry-After: 1 s and go on, page after page.
    let started = std::time::Instant::now();
    let all = env.ok(&["-v", "query", "Patient", "--all", "--count", "10"]);
    assert_eq!(all.ndjson().len(), 30);
    assert!(all.stderr.contains("< 429"), "{}", all.stderr);
    assert!(
        started.elapsed().as_secs_f64() >= 1.0,
        "Retry-After honoured"
    );
    let none = env.run(&["query", "Patient", "--retries", "0", "--count", "1"]);
    let again = env.run(&["query", "Patient", "--retries", "0", "--count", "1"]);
    assert!(
        [none.code, again.code].contains(&3),
        "one of two calls is throttled: {} / {}",
        none.stderr,
        again.stderr
    );
}

#[test]
fn truncated_json_is_a_clear_error() {
    let env = Env::logged_in(sandbox(5, &["bad-json"]));
    for args in [&["get", "Patient/p000001"][..], &["query", "Patient"][..]] {
        let o = env.run(args);
        assert_eq!(o.code, 3, "{args:?}: {}", o.stderr);
        assert!(o.stderr.contains("truncated"), "{args:?}: {}", o.stderr);
        assert_eq!(
            o.stderr.lines().filter(|l| l.contains("error")).count(),
            1,
            "{}",
            o.stderr
        );
    }
}

#[test]
fn operation_outcomes_render_one_line_per_issue_and_as_json() {
    let env = Env::logged_in(sandbox(5, &[]));
    let o = env.run(&["get", "Patient/nope"]);
    assert_eq!(o.code, 3);
    assert!(o.stderr.contains("404 Not Found"), "{}", o.stderr);
    assert!(
        o.stderr
            .contains("  error [not-found] Patient/nope does not exist"),
        "{}",
        o.stderr
    );
    let j = env.run(&["--json", "query", "Patient", "birthdate=xx2020"]);
    assert_eq!(j.code, 3);
    let line = j
        .stderr
        .lines()
        .find(|l| l.starts_with('{'))
        .expect("JSON error");
    let v: Value = serde_json::from_str(line).unwrap();
    assert_eq!(v["error"]["exit_code"], 3);
    assert_eq!(
        v["error"]["operation_outcome"]["resourceType"],
        "OperationOutcome"
    );
    assert_eq!(
        v["error"]["operation_outcome"]["issue"][0]["code"],
        "invalid"
    );
}

#[test]
fn output_formats() {
    let env = Env::logged_in(sandbox(12, &[]));
    let args = ["query", "Patient", "--count", "4"];
    let nd = env.ok(&args).ndjson();
    assert_eq!(nd.len(), 4, "piped default is NDJSON");
    let arr = env.ok(&[&args[..], &["-o", "json"]].concat()).json();
    assert_eq!(arr.as_array().unwrap().len(), 4);
    assert_eq!(arr[0], nd[0]);
    assert_eq!(env.ok(&[&args[..], &["--json"]].concat()).json(), arr);
    let ids = env.ok(&[&args[..], &["-o", "ids"]].concat()).stdout;
    assert_eq!(ids.lines().next(), Some("Patient/p000001"));
    let table = env.ok(&[&args[..], &["-o", "table"]].concat()).stdout;
    let mut lines = table.lines();
    let header: Vec<&str> = lines
        .next()
        .unwrap()
        .split("  ")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    assert_eq!(header, ["ID", "NAME", "GENDER", "BIRTH DATE"]);
    assert!(lines.next().unwrap().starts_with("p000001  "), "{table}");
    assert!(!table.contains('\x1b'), "no colors when piped");
    let bundle = env.ok(&[&args[..], &["-o", "bundle"]].concat()).json();
    assert_eq!(bundle["resourceType"], "Bundle");
    assert_eq!(bundle["entry"].as_array().unwrap().len(), 4);

    // One resource: JSON (pretty) when piped; NDJSON on one line on request.
    let one = env.ok(&["get", "Patient/p000002"]);
    assert!(
        one.stdout.starts_with("{\n  \"resourceType\": \"Patient\""),
        "{}",
        one.stdout
    );
    let line = env.ok(&["get", "Patient/p000002", "-o", "ndjson"]).stdout;
    assert_eq!(line.lines().count(), 1);
    let colored = env
        .ok(&["--color", "always", "get", "Patient/p000002"])
        .stdout;
    assert!(
        colored.contains("\x1b[34;1m\"resourceType\"\x1b[0m"),
        "{colored}"
    );
    // One resource as a table: a table of one row, not JSON.
    let row = env.ok(&["get", "Patient/p000002", "-o", "table"]).stdout;
    let rows: Vec<&str> = row.lines().collect();
    assert_eq!(rows.len(), 2, "{row}");
    assert!(
        rows[0].starts_with("ID ") && rows[0].contains("GENDER"),
        "{row}"
    );
    assert!(rows[1].starts_with("p000002  "), "{row}");
    // `get Type id` (two words) suggests `Type/id`, before any request.
    let two = env.run(&["get", "Patient", "p000002"]);
    assert_eq!(two.code, 1, "{}", two.stderr);
    assert!(
        two.stderr
            .contains("did you mean `smart get Patient/p000002`?"),
        "{}",
        two.stderr
    );
    // A searchset via get can be shown as a search.
    let via_get = env.ok(&["get", "Patient?_count=3", "-o", "ids"]).stdout;
    assert_eq!(via_get.lines().count(), 3);

    let caps = env.ok(&["capabilities"]).stdout;
    assert!(caps.contains("SMART-on-FHIR"), "{caps}");
    assert!(
        caps.contains("Patient") && caps.contains("search-type"),
        "{caps}"
    );
    let statement = env.ok(&["--json", "capabilities"]).json();
    assert_eq!(statement["resourceType"], "CapabilityStatement");
}

/// A port that records whether anything connected to it.
fn tripwire() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    std::thread::spawn(move || {
        for mut s in listener.incoming().flatten() {
            h.fetch_add(1, Ordering::SeqCst);
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
        }
    });
    (format!("http://{addr}"), hits)
}

#[test]
fn the_token_never_leaves_the_fhir_base_origin() {
    let (elsewhere, hits) = tripwire();
    let page = json!({
        "resourceType": "Bundle", "type": "searchset", "total": 2,
        "link": [{"relation": "next", "url": format!("{elsewhere}/fhir/Patient?page=2")}],
        "entry": [{"resource": {"resourceType": "Patient", "id": "a"}}]
    });
    let server = CannedServer::start(vec![
        ("/fhir/Patient", Canned::json(page)),
        (
            "/fhir/Patient/html",
            Canned::raw(200, "text/html", "<html><body>Sign in</body></html>"),
        ),
        (
            "/fhir/Patient/x",
            Canned::json(json!({"resourceType": "Patient", "id": "x"})),
        ),
    ]);
    let cfg = TempConfig::new();
    let token = "SECRET-access-token-value";
    let run = |args: &[&str]| {
        Out::of(
            cfg.cmd()
                .env("SMART_FHIR_BASE", server.url("/fhir"))
                .env("SMART_ACCESS_TOKEN", token)
                .env("SMART_TOKEN_STORE", "none")
                .env_remove("CI")
                .args(args)
                .output()
                .unwrap(),
        )
    };

    // An absolute next link to another origin: the page in hand is
    // written, the link is refused, nothing connects there.
    let o = run(&["-v", "query", "Patient", "--all"]);
    assert_eq!(o.code, 3, "{}", o.stderr);
    assert_eq!(o.ndjson().len(), 1);
    assert!(
        o.stderr.contains("refusing to send the token"),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr.contains("Bearer [redacted]"),
        "the trace redacts: {}",
        o.stderr
    );
    assert!(!o.stderr.contains(token), "{}", o.stderr);

    // A URL on another origin given by hand.
    let o = run(&["get", &format!("{elsewhere}/fhir/Patient/1")]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(
        o.stderr.contains("refusing to send the token"),
        "{}",
        o.stderr
    );
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "nothing was sent off-origin"
    );

    // Same origin is fine; an HTML answer is named as such.
    assert_eq!(run(&["get", "Patient/x"]).json()["id"], "x");
    let o = run(&["get", "Patient/html"]);
    assert_eq!(o.code, 3);
    assert!(
        o.stderr
            .contains("not JSON (text/html): <html><body>Sign in"),
        "{}",
        o.stderr
    );
    assert!(!o.stdout.contains(token) && !o.stderr.contains(token));
}

#[test]
fn the_token_stays_under_the_fhir_base_on_a_shared_origin() {
    // One host, two tenants: the profile is for tenant A only.
    let page = |next: &str| {
        Canned::json(json!({
            "resourceType": "Bundle", "type": "searchset",
            "link": [{"relation": "next", "url": next}],
            "entry": [{"resource": {"resourceType": "Patient", "id": "a"}}]
        }))
    };
    let trap = Canned::json(json!({"resourceType": "Patient", "id": "other-tenant"}));
    let server = CannedServer::start(vec![
        (
            "/tenantA/fhir/Patient",
            page("/tenantB/fhir/Patient?page=2"),
        ),
        (
            "/tenantA/fhir/Observation",
            page("../../tenantB/fhir/Observation?page=2"),
        ),
        (
            "/tenantA/fhir/Patient/moved",
            Canned::redirect("/tenantB/fhir/Patient/1"),
        ),
        (
            "/tenantA/fhir/Patient/x",
            Canned::json(json!({"resourceType": "Patient", "id": "x"})),
        ),
        ("/tenantB/fhir/Patient", trap.clone()),
        ("/tenantB/fhir/Patient/1", trap.clone()),
        ("/tenantB/fhir/Observation", trap.clone()),
        ("/tenantA/fhir2/Patient/1", trap),
    ]);
    let cfg = TempConfig::new();
    let token = "SECRET-tenant-a-token";
    let run = |args: &[&str]| {
        Out::of(
            cfg.cmd()
                .env("SMART_FHIR_BASE", server.url("/tenantA/fhir"))
                .env("SMART_ACCESS_TOKEN", token)
                .env("SMART_TOKEN_STORE", "none")
                .args(args)
                .output()
                .unwrap(),
        )
    };

    // The server's next links to the other tenant (an absolute path, and a
    // relative one climbing out of the base): exit 3 after the first page.
    for t in ["Patient", "Observation"] {
        let o = run(&["query", t, "--all", "--output", "ndjson"]);
        assert_eq!(o.code, 3, "{t}: {}", o.stderr);
        assert_eq!(o.ndjson().len(), 1, "{t}: the page in hand is written");
        assert!(
            o.stderr.contains("not under the profile's FHIR base"),
            "{}",
            o.stderr
        );
    }
    // URLs given by hand: another tenant, and a string-prefix look-alike.
    for elsewhere in ["/tenantB/fhir/Patient/1", "/tenantA/fhir2/Patient/1"] {
        let o = run(&["get", &server.url(elsewhere)]);
        assert_eq!(o.code, 1, "{elsewhere}: {}", o.stderr);
        assert!(
            o.stderr.contains("refusing to send the token"),
            "{}",
            o.stderr
        );
    }
    // A redirect to the other tenant is not followed.
    let o = run(&["get", "Patient/moved"]);
    assert_eq!(o.code, 3, "{}", o.stderr);
    assert!(o.stderr.contains("outside the FHIR base"), "{}", o.stderr);
    // An absolute URL under the base is fine.
    let o = run(&["get", &server.url("/tenantA/fhir/Patient/x")]);
    assert_eq!(o.code, 0, "{}", o.stderr);

    for r in server.seen() {
        let auth = r.headers.get("authorization").map(|v| v.to_str().unwrap());
        if r.path.starts_with("/tenantA/fhir/") {
            assert_eq!(auth, Some(format!("Bearer {token}").as_str()), "{}", r.path);
        } else {
            panic!(
                "{} {} reached the server (authorization: {auth:?})",
                r.method, r.path
            );
        }
    }
    assert_eq!(server.seen_under("/tenantA/fhir/").len(), 4);
}

#[test]
fn a_next_link_that_loops_stops_with_an_error() {
    // Every page says the next one is `?page=2`: the same page again.
    let page = json!({
        "resourceType": "Bundle", "type": "searchset",
        "link": [{"relation": "next", "url": "Patient?page=2"}],
        "entry": [{"resource": {"resourceType": "Patient", "id": "a"}}]
    });
    let server = CannedServer::start(vec![("/fhir/Patient", Canned::json(page))]);
    let cfg = TempConfig::new();
    let o = Out::of(
        cfg.cmd()
            .env("SMART_FHIR_BASE", server.url("/fhir"))
            .env("SMART_ACCESS_TOKEN", "at")
            .env("SMART_TOKEN_STORE", "none")
            .args(["query", "Patient", "--all", "--output", "ndjson"])
            .output()
            .unwrap(),
    );
    assert_eq!(o.code, 3, "{}", o.stderr);
    assert_eq!(
        o.ndjson().len(),
        2,
        "the first page and the one it linked to"
    );
    assert!(o.stderr.contains("leads back to a page"), "{}", o.stderr);
}

#[test]
fn server_text_cannot_drive_the_terminal() {
    let page = json!({
        "resourceType": "Bundle", "type": "searchset",
        "entry": [{"resource": {"resourceType": "Patient", "id": "a",
            "name": [{"family": "\u{1b}]0;pwned\u{7}\u{1b}[2JEvil"}]}}]
    });
    let outcome = json!({"resourceType": "OperationOutcome", "issue": [{"severity": "error",
        "code": "not-found", "diagnostics": "gone \u{1b}[31mred"}]});
    let server = CannedServer::start(vec![
        ("/fhir/Patient", Canned::json(page)),
        (
            "/fhir/Patient/x",
            Canned::raw(404, "application/fhir+json", outcome.to_string()),
        ),
    ]);
    let cfg = TempConfig::new();
    let run = |args: &[&str]| {
        Out::of(
            cfg.cmd()
                .env("SMART_FHIR_BASE", server.url("/fhir"))
                .env("SMART_ACCESS_TOKEN", "at")
                .env("SMART_TOKEN_STORE", "none")
                .args(args)
                .output()
                .unwrap(),
        )
    };
    let o = run(&["query", "Patient", "--output", "table"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        !o.stdout.contains('\u{1b}') && !o.stdout.contains('\u{7}'),
        "{:?}",
        o.stdout
    );
    assert!(o.stdout.contains("\\u{1b}"), "shown escaped: {}", o.stdout);
    let o = run(&["get", "Patient/x"]);
    assert_eq!(o.code, 3, "{}", o.stderr);
    assert!(!o.stderr.contains('\u{1b}'), "{:?}", o.stderr);
    // JSON output stays exact.
    let o = run(&["query", "Patient", "--output", "ndjson"]);
    assert!(o.stdout.contains("\\u001b"), "{}", o.stdout);
}

/// A 403 says which scope would allow the write (`user/Patient.c`), and a
/// patient-level login's refusal outside its patient says that it is the
/// compartment, not a scope.
#[test]
fn a_refused_write_names_its_scope_and_a_compartment_says_so() {
    let env = Env {
        cfg: TempConfig::new(),
        sb: sandbox(5, &[]),
    };
    env.cmd()
        .args(["profile", "add", "sb", "--fhir-base", &env.sb.fhir_base])
        .args(["--client-id", "smart-cli"])
        .assert()
        .success();
    let browser = browser_script(env.dir(), "browser.sh", APPROVE);
    let login = |scope: &str| {
        env.cmd()
            .env("BROWSER", &browser)
            .args(["login", "--timeout", "20", "--scope", scope])
            .assert()
            .success();
    };
    login("openid fhirUser user/*.rs offline_access");
    let o = env.run(&["create", "Patient", "-d", r#"{"resourceType":"Patient"}"#]);
    assert_eq!(o.code, 4, "{}", o.stderr);
    let hint = o
        .stderr
        .lines()
        .find(|l| l.contains("hint:"))
        .unwrap_or_default();
    assert!(hint.contains("`user/Patient.c`"), "{}", o.stderr);
    // The server refused it: no Patient was created.
    assert!(
        env.sb
            .journal
            .to("/fhir/Patient")
            .iter()
            .any(|r| r.method == "POST")
    );

    login("openid fhirUser launch/patient patient/*.rs offline_access");
    let status = env.ok(&["--json", "status"]).json();
    let mine = status["context"]["patient"]
        .as_str()
        .expect("a patient")
        .to_owned();
    let other = if mine == "p000001" {
        "p000002"
    } else {
        "p000001"
    };
    let o = env.run(&["get", &format!("Patient/{other}")]);
    assert_eq!(o.code, 4, "{}", o.stderr);
    let hint = o
        .stderr
        .lines()
        .find(|l| l.contains("hint:"))
        .unwrap_or_default();
    assert!(
        hint.contains("compartment") && !hint.contains("patient/Patient.r"),
        "{}",
        o.stderr
    );
}
