//! Bulk Data export over real HTTP: the kick-off at system, Patient and
//! Group level, its headers and parameters, the job's status, manifest and
//! files (Range, gzip), cancelling, scopes, the storage origin and every
//! export fault.

use std::collections::BTreeMap;
use std::io::Read as _;
use std::time::{Duration, Instant, SystemTime};

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use smart_sandbox::clock::{Clock as _, ManualClock};
use smart_sandbox::{Faults, Grant, Options, Sandbox};

fn opts() -> Options {
    Options {
        patients: 25,
        export_delay: Duration::ZERO,
        export_file_lines: 40,
        ..Options::default()
    }
}

fn with_faults(names: &str) -> Options {
    Options {
        faults: Faults::parse(&[names.to_string()]).unwrap(),
        ..opts()
    }
}

async fn start(o: Options) -> Sandbox {
    Sandbox::start(o).await.expect("sandbox starts")
}

fn grant(client_id: &str, scopes: &str, lifetime: Duration) -> Grant {
    Grant {
        client_id: client_id.into(),
        scopes: scopes.split(' ').map(str::to_owned).collect(),
        patient: None,
        encounter: None,
        fhir_user: None,
        expires_at: SystemTime::now() + lifetime,
    }
}

/// A bulk client: a token, and the sandbox's URLs.
struct Bulk {
    http: reqwest::Client,
    base: String,
    token: String,
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.text()))
    }
    /// The diagnostics of an OperationOutcome body.
    fn issue(&self) -> String {
        let v = self.json();
        assert_eq!(v["resourceType"], "OperationOutcome", "{}", self.text());
        v["issue"][0]["diagnostics"].as_str().unwrap().to_string()
    }
}

impl Bulk {
    fn new(sb: &Sandbox, scopes: &str) -> Bulk {
        Bulk::for_client(sb, "bulk", scopes)
    }

    fn for_client(sb: &Sandbox, client: &str, scopes: &str) -> Bulk {
        Bulk {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: sb.fhir_base().as_str().trim_end_matches('/').to_string(),
            token: sb.issue_access_token(grant(client, scopes, Duration::from_secs(3600))),
        }
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}/{path}", self.base)
        }
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Reply {
        let r = req.send().await.expect("request");
        Reply {
            status: r.status(),
            headers: r.headers().clone(),
            body: r.bytes().await.expect("body").to_vec(),
        }
    }

    fn kick_request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, self.url(path))
            .bearer_auth(&self.token)
            .header("accept", "application/fhir+json")
            .header("prefer", "respond-async")
    }

    async fn kick(&self, path: &str) -> Reply {
        self.send(self.kick_request(reqwest::Method::GET, path))
            .await
    }

    async fn kick_post(&self, path: &str, params: Value) -> Reply {
        let body = json!({"resourceType": "Parameters", "parameter": params});
        self.send(
            self.kick_request(reqwest::Method::POST, path)
                .header("content-type", "application/fhir+json")
                .body(body.to_string()),
        )
        .await
    }

    /// Kicks off and answers the status URL.
    async fn start(&self, path: &str) -> String {
        let r = self.kick(path).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{path}: {}", r.text());
        assert!(r.body.is_empty());
        r.header("content-location").to_string()
    }

    async fn get(&self, url: &str) -> Reply {
        self.send(self.http.get(self.url(url)).bearer_auth(&self.token))
            .await
    }

    /// Polls `status` until the manifest (within 30 s).
    async fn manifest(&self, status: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let r = self.get(status).await;
            match r.status {
                StatusCode::OK => return r.json(),
                StatusCode::ACCEPTED | StatusCode::TOO_MANY_REQUESTS => {}
                s => panic!("status {s}: {}", r.text()),
            }
            assert!(Instant::now() < deadline, "no manifest within 30 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn export(&self, path: &str) -> Value {
        let status = self.start(path).await;
        self.manifest(&status).await
    }

    /// A file's resources, checking each line is one resource of `rtype`.
    async fn lines(&self, url: &str, rtype: &str) -> Vec<Value> {
        let r = self.get(url).await;
        assert_eq!(r.status, StatusCode::OK, "{url}: {}", r.text());
        assert_eq!(r.header("content-type"), "application/fhir+ndjson");
        let text = r.text();
        assert!(text.ends_with('\n'), "{url}");
        text.lines()
            .map(|l| {
                let v: Value = serde_json::from_str(l).unwrap();
                assert_eq!(v["resourceType"], rtype, "{l}");
                v
            })
            .collect()
    }

    /// Every output resource by type, checking the manifest's counts.
    async fn all(&self, manifest: &Value) -> BTreeMap<String, Vec<Value>> {
        let mut by_type: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for o in manifest["output"].as_array().unwrap() {
            let t = o["type"].as_str().unwrap();
            let lines = self.lines(o["url"].as_str().unwrap(), t).await;
            assert_eq!(o["count"].as_u64().unwrap(), lines.len() as u64, "{o}");
            by_type.entry(t.to_string()).or_default().extend(lines);
        }
        by_type
    }

    /// `total` of a search.
    async fn count(&self, search: &str) -> usize {
        let sep = if search.contains('?') { '&' } else { '?' };
        let r = self.get(&format!("{search}{sep}_summary=count")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        r.json()["total"].as_u64().unwrap() as usize
    }
}

const ADMIN: &str = "system/*.rs";

fn ids(rs: &[Value]) -> Vec<String> {
    rs.iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

fn subject_of(r: &Value) -> String {
    r["subject"]["reference"].as_str().unwrap_or("").to_string()
}

#[tokio::test]
async fn system_export_has_every_resource_once_in_split_files() {
    let sb = start(opts()).await;
    let c = Bulk::new(&sb, ADMIN);
    let status = c.start("$export").await;
    assert!(
        status.starts_with(&format!("{}/$export-status/", c.base)),
        "{status}"
    );
    let m = c.manifest(&status).await;
    assert_eq!(m["requiresAccessToken"], true);
    assert_eq!(m["request"], format!("{}/$export", c.base));
    assert!(m["transactionTime"].as_str().unwrap().ends_with('Z'));
    assert_eq!(m["error"], json!([]));
    assert_eq!(m["deleted"], json!([]));
    let names: Vec<&str> = m["output"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["url"].as_str().unwrap().rsplit('/').next().unwrap())
        .collect();
    assert!(names.contains(&"Observation.1.ndjson"), "{names:?}");
    assert!(names.contains(&"Observation.2.ndjson"), "{names:?}");
    for o in m["output"].as_array().unwrap() {
        assert!(o["count"].as_u64().unwrap() <= 40, "{o}");
    }
    let all = c.all(&m).await;
    for t in [
        "Patient",
        "Practitioner",
        "Encounter",
        "Observation",
        "Condition",
    ] {
        let got = ids(&all[t]);
        let mut unique = got.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), got.len(), "{t} has duplicates");
        assert_eq!(got.len(), c.count(t).await, "{t}");
    }
}

#[tokio::test]
async fn patient_and_group_exports_cover_their_patients_only() {
    let sb = start(opts()).await;
    let c = Bulk::new(&sb, ADMIN);

    let m = c.export("Patient/$export").await;
    assert_eq!(m["request"], format!("{}/Patient/$export", c.base));
    let all = c.all(&m).await;
    assert!(
        !all.contains_key("Practitioner"),
        "not in the Patient compartment"
    );
    assert_eq!(all["Patient"].len(), 25);
    assert_eq!(all["Observation"].len(), c.count("Observation").await);

    let m = c.export("Group/all/$export").await;
    assert_eq!(c.all(&m).await["Patient"].len(), 25);

    let m = c
        .export("Group/sample/$export?_type=Patient,Observation")
        .await;
    let all = c.all(&m).await;
    assert_eq!(ids(&all["Patient"]), ["p000001", "p000011", "p000021"]);
    let subjects: std::collections::BTreeSet<String> =
        all["Observation"].iter().map(subject_of).collect();
    assert_eq!(
        subjects.into_iter().collect::<Vec<_>>(),
        ["Patient/p000001", "Patient/p000011", "Patient/p000021"]
    );
    let want: usize = c.count("Observation?patient=p000001,p000011,p000021").await;
    assert_eq!(all["Observation"].len(), want);
    assert_eq!(all.len(), 2, "only the _type asked for");

    // `%24` is a `$` too; a `+` left unencoded is still one.
    c.start("Group/sample/%24export").await;
    c.start("$export?_outputFormat=application/fhir+ndjson&_since=2024-01-01T00:00:00+02:00")
        .await;
    c.start("$export?_outputFormat=ndjson").await;
    let r = c.kick("Group/nope/$export").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.issue().contains("Group/nope"), "{}", r.text());
}

#[tokio::test]
async fn post_kick_off_takes_parameters_and_patients() {
    let sb = start(opts()).await;
    let c = Bulk::new(&sb, ADMIN);
    let r = c
        .kick_post(
            "Patient/$export",
            json!([
                {"name": "_type", "valueString": "Patient,Condition"},
                {"name": "_type", "valueString": "Observation"},
                {"name": "_outputFormat", "valueString": "application/fhir+ndjson"},
                {"name": "patient", "valueReference": {"reference": "Patient/p000002"}},
                {"name": "patient", "valueReference": {"reference": "Patient/p000005"}},
            ]),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text());
    let m = c.manifest(r.header("content-location")).await;
    let all = c.all(&m).await;
    assert_eq!(ids(&all["Patient"]), ["p000002", "p000005"]);
    for t in ["Observation", "Condition"] {
        for r in all.get(t).into_iter().flatten() {
            let s = subject_of(r);
            assert!(s == "Patient/p000002" || s == "Patient/p000005", "{s}");
        }
    }
    assert_eq!(
        all["Observation"].len(),
        c.count("Observation?patient=p000002,p000005").await
    );

    // A patient outside the group.
    let r = c
        .kick_post(
            "Group/sample/$export",
            json!([{"name": "patient", "valueReference": {"reference": "Patient/p000002"}}]),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.issue().contains("Patient/p000002"), "{}", r.text());
}

#[tokio::test]
async fn kick_off_needs_accept_and_prefer() {
    let sb = start(opts()).await;
    let c = Bulk::new(&sb, ADMIN);
    let url = c.url("$export");
    let cases = [
        (None, Some("respond-async"), "Accept"),
        (Some("application/json"), Some("respond-async"), "Accept"),
        (Some("application/fhir+json"), None, "Prefer"),
        (
            Some("application/fhir+json"),
            Some("respond-sync"),
            "Prefer",
        ),
    ];
    for (accept, prefer, named) in cases {
        let mut req = c.http.get(&url).bearer_auth(&c.token);
        if let Some(a) = accept {
            req = req.header("accept", a);
        }
        if let Some(p) = prefer {
            req = req.header("prefer", p);
        }
        let r = c.send(req).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{accept:?} {prefer:?}");
        assert!(r.issue().contains(named), "{}", r.text());
    }
    // No token: 401, as for any FHIR call.
    let r = c
        .send(
            c.http
                .get(&url)
                .header("accept", "application/fhir+json")
                .header("prefer", "respond-async"),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn bad_parameters_are_400_naming_them() {
    let sb = start(opts()).await;
    let c = Bulk::new(&sb, ADMIN);
    for (path, named) in [
        ("$export?_outputFormat=text/csv", "text/csv"),
        ("$export?_since=yesterday", "_since `yesterday`"),
        ("$export?_since=2024-01-01", "_since `2024-01-01`"),
        ("$export?_type=Patient,Immunization", "`Immunization`"),
        ("Patient/$export?_type=Practitioner", "Practitioner"),
        ("$export?_typeFilter=Observation%3Fcolour%3Dred", "colour"),
        ("$export?_typeFilter=Observation", "Type?search"),
        (
            "$export?_type=Patient&_typeFilter=Observation%3Fcode%3D8867-4",
            "Observation",
        ),
        ("$export?_elements=a.b.c", "a.b.c"),
        ("$export?_elements=Nope.id", "Nope"),
        ("$export?_colour=red", "_colour"),
        ("Patient/$export?patient=Patient/p000001", "POST"),
    ] {
        let r = c.kick(path).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{path}: {}", r.text());
        let d = r.issue();
        assert!(d.contains(named), "{path}: {d}");
    }
    for (path, params, named) in [
        (
            "$export",
            json!([{"name": "patient", "valueReference": {"reference": "Patient/p000001"}}]),
            "patient",
        ),
        (
            "Patient/$export",
            json!([{"name": "patient", "valueReference": {"reference": "Patient/p999999"}}]),
            "Patient/p999999",
        ),
        (
            "Patient/$export",
            json!([{"name": "patient", "valueReference": {"reference": "Group/x"}}]),
            "Group/x",
        ),
        (
            "Patient/$export",
            json!([{"name": "_type", "valueString": "Nope"}]),
            "`Nope`",
        ),
    ] {
        let r = c.kick_post(path, params).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{path}: {}", r.text());
        let d = r.issue();
        assert!(d.contains(named), "{path}: {d}");
    }
    let r = c
        .send(
            c.kick_request(reqwest::Method::POST, "$export")
                .header("content-type", "application/fhir+json")
                .body(r#"{"resourceType":"Patient"}"#),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.issue().contains("Parameters"));
    let r = c
        .send(c.kick_request(reqwest::Method::DELETE, "$export"))
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn type_filter_since_and_elements_narrow_the_export() {
    let sb = start(opts()).await;
    let c = Bulk::new(&sb, "system/*.cruds");

    let m = c
        .export("$export?_type=Observation&_typeFilter=Observation%3Fcode%3D8867-4,Observation%3Fcode%3D9279-1")
        .await;
    let obs = &c.all(&m).await["Observation"];
    assert_eq!(obs.len(), c.count("Observation?code=8867-4,9279-1").await);
    assert!(obs.iter().all(|o| {
        let code = o["code"]["coding"][0]["code"].as_str().unwrap();
        code == "8867-4" || code == "9279-1"
    }));

    // Only what changed after `_since`: a write, not the synthetic data.
    let before = time::OffsetDateTime::now_utc() - time::Duration::seconds(2);
    let since = before
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let r = c
        .send(
            c.http
                .put(c.url("Patient/p000003"))
                .bearer_auth(&c.token)
                .header("content-type", "application/fhir+json")
                .body(
                    json!({"resourceType": "Patient", "id": "p000003", "gender": "other"})
                        .to_string(),
                ),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let m = c
        .export(&format!(
            "Patient/$export?_since={}",
            url::form_urlencoded::byte_serialize(since.as_bytes()).collect::<String>()
        ))
        .await;
    let all = c.all(&m).await;
    assert_eq!(all.keys().collect::<Vec<_>>(), ["Patient"]);
    assert_eq!(all["Patient"].len(), 1);
    assert_eq!(all["Patient"][0]["gender"], "other");

    // The write shows in a full export, once, in its new version.
    let m = c.export("$export?_type=Patient").await;
    let ps = &c.all(&m).await["Patient"];
    assert_eq!(ps.len(), 25);
    let p3: Vec<&Value> = ps.iter().filter(|p| p["id"] == "p000003").collect();
    assert_eq!(p3.len(), 1);
    assert_eq!(p3[0]["meta"]["versionId"], "2");

    let m = c
        .export("$export?_type=Patient,Condition&_elements=gender,Condition.code")
        .await;
    let all = c.all(&m).await;
    for p in &all["Patient"] {
        let mut keys: Vec<&str> = p.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["gender", "id", "meta", "resourceType"], "{p}");
        assert_eq!(p["meta"]["tag"][0]["code"], "SUBSETTED", "{p}");
    }
    for cond in &all["Condition"] {
        assert!(
            cond["code"].is_object() && cond["subject"].is_null(),
            "{cond}"
        );
    }
}

#[tokio::test]
async fn status_is_in_progress_for_the_delay_then_the_manifest() {
    let clock = ManualClock::new();
    let sb = start(Options {
        export_delay: Duration::from_secs(60),
        clock: clock.clone(),
        ..opts()
    })
    .await;
    let c = Bulk::new(&sb, ADMIN);
    let status = c.start("$export").await;
    let mut percents = Vec::new();
    let manifest = loop {
        let r = c.get(&status).await;
        if r.status == StatusCode::OK {
            break r;
        }
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text());
        assert_eq!(r.header("retry-after"), "1");
        let p = r.header("x-progress");
        let pct: u32 = p
            .split('%')
            .next()
            .unwrap()
            .parse()
            .unwrap_or_else(|_| panic!("{p}"));
        percents.push(pct);
        // The clock moves on a sixth of the delay a poll; the writer is
        // waited for by polling (a 202 until its files are written).
        clock.advance(Duration::from_secs(10));
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(percents.len() >= 4, "{percents:?}");
    assert!(percents.windows(2).all(|w| w[0] <= w[1]), "{percents:?}");
    assert!(percents.last().unwrap() > &percents[0], "{percents:?}");
    assert_eq!(manifest.header("content-type"), "application/json");
    assert!(manifest.header("expires").ends_with("GMT"));

    // Another client does not see the job; an unknown job is 404.
    let other = Bulk::for_client(&sb, "someone-else", ADMIN);
    assert_eq!(other.get(&status).await.status, StatusCode::NOT_FOUND);
    let r = c.get("$export-status/nope").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    r.issue();
}

#[tokio::test]
async fn an_expired_token_is_refused_mid_export() {
    let clock = ManualClock::new();
    let sb = start(Options {
        export_delay: Duration::from_secs(300),
        clock: clock.clone(),
        ..opts()
    })
    .await;
    let mut c = Bulk::new(&sb, ADMIN);
    // The grant runs out by the sandbox's clock, not the real one (which a
    // loaded machine moves on by more than a second between two lines).
    c.token = sb.issue_access_token(Grant {
        expires_at: clock.now() + Duration::from_secs(60),
        ..grant("bulk", ADMIN, Duration::ZERO)
    });
    let status = c.start("$export").await;
    assert_eq!(c.get(&status).await.status, StatusCode::ACCEPTED);
    clock.advance(Duration::from_secs(61));
    assert_eq!(c.get(&status).await.status, StatusCode::UNAUTHORIZED);
    // A fresh token of the same client goes on with the same job, which
    // finishes once its delay has passed.
    c.token = sb.issue_access_token(grant("bulk", ADMIN, Duration::from_secs(3600)));
    assert_eq!(c.get(&status).await.status, StatusCode::ACCEPTED);
    clock.advance(Duration::from_secs(240));
    c.manifest(&status).await;
}

#[tokio::test]
async fn ranges_and_gzip() {
    let sb = start(opts()).await;
    let c = Bulk::new(&sb, ADMIN);
    let m = c.export("$export?_type=Observation").await;
    let url = m["output"][0]["url"].as_str().unwrap().to_string();
    let full = c.get(&url).await;
    assert_eq!(full.header("accept-ranges"), "bytes");
    assert_eq!(full.header("content-length"), full.body.len().to_string());
    let len = full.body.len();

    let ranged = |range: &str| {
        c.send(
            c.http
                .get(&url)
                .bearer_auth(&c.token)
                .header("range", range),
        )
    };
    let r = ranged("bytes=100-").await;
    assert_eq!(r.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        r.header("content-range"),
        format!("bytes 100-{}/{len}", len - 1)
    );
    assert_eq!(r.body, full.body[100..]);
    let r = ranged("bytes=10-19").await;
    assert_eq!(r.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(r.header("content-range"), format!("bytes 10-19/{len}"));
    assert_eq!(r.body, full.body[10..20]);
    let r = ranged(&format!("bytes={len}-")).await;
    assert_eq!(r.status, StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(r.header("content-range"), format!("bytes */{len}"));

    // gzip on request; then no Range.
    let r = c
        .send(
            c.http
                .get(&url)
                .bearer_auth(&c.token)
                .header("accept-encoding", "gzip")
                .header("range", "bytes=100-"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-encoding"), "gzip");
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(&r.body[..])
        .read_to_end(&mut plain)
        .unwrap();
    assert_eq!(plain, full.body);
    assert!(r.body.len() < len / 3, "compressed");

    // Files need the token too.
    let r = c.send(c.http.get(&url)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = c.get(&format!("{url}x")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

fn job_dirs(sb: &Sandbox) -> usize {
    match sb.export_dir() {
        Some(d) => std::fs::read_dir(d).unwrap().count(),
        None => 0,
    }
}

#[tokio::test]
async fn delete_cancels_the_job_and_removes_its_files() {
    let sb = start(opts()).await;
    let c = Bulk::new(&sb, ADMIN);
    let status = c.start("$export").await;
    let m = c.manifest(&status).await;
    let dir = sb.export_dir().unwrap();
    assert_eq!(job_dirs(&sb), 1);
    let url = m["output"][0]["url"].as_str().unwrap();
    let r = c.send(c.http.delete(&status).bearer_auth(&c.token)).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert_eq!(c.get(&status).await.status, StatusCode::NOT_FOUND);
    assert_eq!(c.get(url).await.status, StatusCode::NOT_FOUND);
    assert_eq!(job_dirs(&sb), 0);

    // Cancelled while in progress.
    let sb2 = start(Options {
        export_delay: Duration::from_secs(30),
        ..opts()
    })
    .await;
    let c2 = Bulk::new(&sb2, ADMIN);
    let status = c2.start("$export").await;
    assert_eq!(c2.get(&status).await.status, StatusCode::ACCEPTED);
    let r = c2
        .send(c2.http.delete(&status).bearer_auth(&c2.token))
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert_eq!(c2.get(&status).await.status, StatusCode::NOT_FOUND);
    let r = c2
        .send(c2.http.delete(&status).bearer_auth(&c2.token))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Stopping the sandbox removes everything.
    c.start("$export").await;
    drop(sb);
    assert!(!dir.exists(), "{} is left", dir.display());
}

#[tokio::test]
async fn scopes_leave_types_out() {
    let sb = start(opts()).await;
    let c = Bulk::new(
        &sb,
        "system/Patient.rs system/Observation.read user/Condition.rs",
    );
    let m = c.export("$export").await;
    let types: std::collections::BTreeSet<&str> = m["output"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types.into_iter().collect::<Vec<_>>(),
        ["Condition", "Observation", "Patient"]
    );
    for scopes in ["patient/*.rs", "system/Practitioner.rs", "system/*.c"] {
        let c = Bulk::new(&sb, scopes);
        let r = c.kick("Patient/$export").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{scopes}");
        assert!(r.issue().contains(scopes), "{}", r.text());
    }
}

#[tokio::test]
async fn capability_statement_declares_bulk_export() {
    let sb = start(opts()).await;
    let c = Bulk::new(&sb, ADMIN);
    let cs = c.get("metadata").await.json();
    assert!(cs["instantiates"].as_array().unwrap().contains(&json!(
        "http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data"
    )));
    let rest = &cs["rest"][0];
    let export_op = |ops: &Value| {
        ops.as_array()
            .into_iter()
            .flatten()
            .any(|o| o["name"] == "export")
    };
    assert!(export_op(&rest["operation"]), "system level");
    for t in ["Patient", "Group"] {
        let r = rest["resource"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["type"] == t)
            .unwrap_or_else(|| panic!("{t}"));
        assert!(export_op(&r["operation"]), "{t}");
    }
}

#[tokio::test]
async fn a_big_kick_off_answers_at_once_and_reports_progress() {
    let sb = start(Options {
        patients: 4000,
        export_file_lines: 10_000,
        ..opts()
    })
    .await;
    let c = Bulk::new(&sb, ADMIN);
    let t = Instant::now();
    let status = c.start("$export").await;
    let kicked = t.elapsed();
    let mut progress = Vec::new();
    loop {
        let r = c.get(&status).await;
        if r.status == StatusCode::OK {
            break;
        }
        progress.push(r.header("x-progress").to_string());
        // Other requests are served meanwhile.
        assert_eq!(c.get("Patient/p000001").await.status, StatusCode::OK);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let done = t.elapsed();
    assert!(kicked * 4 < done, "kick-off {kicked:?}, whole job {done:?}");
    assert!(
        progress.iter().any(|p| p.contains("(Observation)")),
        "{progress:?}"
    );
}

// ------------------------------------------------------------------ storage

#[tokio::test]
async fn off_origin_files_need_no_token_and_are_journaled() {
    let sb = start(Options {
        record: true,
        ..with_faults("export-off-origin-files")
    })
    .await;
    let c = Bulk::new(&sb, ADMIN);
    let m = c.export("$export?_type=Patient").await;
    assert_eq!(m["requiresAccessToken"], false);
    let url = m["output"][0]["url"].as_str().unwrap();
    let storage = sb.storage_origin().as_str().trim_end_matches('/');
    assert!(url.starts_with(&format!("{storage}/bucket/")), "{url}");
    assert_ne!(sb.storage_origin().port(), sb.origin().port());

    let r = c.send(c.http.get(url)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.text().lines().count(), 25);
    // A token is not refused, but seen.
    let r = c.get(url).await;
    assert_eq!(r.status, StatusCode::OK);
    let seen: Vec<bool> = sb
        .journal()
        .all()
        .iter()
        .filter(|r| r.path.starts_with("/bucket/"))
        .map(|r| r.headers.contains_key("authorization"))
        .collect();
    assert_eq!(seen, [false, true]);

    // The signature is checked.
    let (unsigned, _) = url.split_once("?sig=").unwrap();
    for bad in [unsigned.to_string(), format!("{unsigned}?sig=x")] {
        let r = c.send(c.http.get(&bad)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{bad}");
    }
}

#[tokio::test]
async fn file_redirect_sends_the_download_to_the_storage_origin() {
    let sb = start(Options {
        record: true,
        ..with_faults("export-file-redirect")
    })
    .await;
    let c = Bulk::new(&sb, ADMIN);
    let m = c.export("$export?_type=Patient").await;
    assert_eq!(m["requiresAccessToken"], true);
    let url = m["output"][0]["url"].as_str().unwrap();
    assert!(url.starts_with(&c.base), "{url}");
    let r = c.get(url).await;
    assert_eq!(r.status, StatusCode::TEMPORARY_REDIRECT);
    let location = r.header("location");
    let storage = sb.storage_origin().as_str().trim_end_matches('/');
    assert!(
        location.starts_with(&format!("{storage}/bucket/")),
        "{location}"
    );
    let r = c.send(c.http.get(location)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.text().lines().count(), 25);
    // Without a token the FHIR-base URL is still refused.
    assert_eq!(
        c.send(c.http.get(url)).await.status,
        StatusCode::UNAUTHORIZED
    );
}

// ------------------------------------------------------------------- faults

#[tokio::test]
async fn fault_export_job_fails() {
    let clock = ManualClock::new();
    let sb = start(Options {
        export_delay: Duration::from_secs(30),
        clock: clock.clone(),
        ..with_faults("export-job-fails")
    })
    .await;
    let c = Bulk::new(&sb, ADMIN);
    let status = c.start("$export").await;
    assert_eq!(c.get(&status).await.status, StatusCode::ACCEPTED);
    clock.advance(Duration::from_secs(29));
    assert_eq!(c.get(&status).await.status, StatusCode::ACCEPTED);
    clock.advance(Duration::from_secs(1));
    let r = c.get(&status).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(r.issue().contains("export-job-fails"));
}

#[tokio::test]
async fn fault_export_status_429() {
    let sb = start(with_faults("export-status-429")).await;
    let c = Bulk::new(&sb, ADMIN);
    let status = c.start("$export").await;
    // Polls alternate 429 and an answer: wait (polling) for the first
    // complete answer, then the next four must go on alternating.
    let mut answers = 0;
    loop {
        let r = c.get(&status).await;
        if r.status == StatusCode::OK {
            break;
        }
        answers += 1;
        assert!(answers < 2000, "the job never finished");
        assert!(
            [429, 202].contains(&r.status.as_u16()),
            "{}: {}",
            r.status,
            r.text()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let codes: Vec<u16> = {
        let mut v = Vec::new();
        for _ in 0..4 {
            let r = c.get(&status).await;
            if r.status == StatusCode::TOO_MANY_REQUESTS {
                assert_eq!(r.header("retry-after"), "1");
            }
            v.push(r.status.as_u16());
        }
        v
    };
    assert_eq!(codes, [429, 200, 429, 200]);
}

#[tokio::test]
async fn fault_export_retry_after_hours() {
    let sb = start(Options {
        export_delay: Duration::from_secs(60),
        ..with_faults("export-retry-after-hours")
    })
    .await;
    let c = Bulk::new(&sb, ADMIN);
    let t = Instant::now();
    let status = c.start("$export").await;
    let r = c.get(&status).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert_eq!(r.header("retry-after"), "7200");
    c.manifest(&status).await;
    let took = t.elapsed();
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(20),
        "{took:?}"
    );
}

#[tokio::test]
async fn fault_export_retry_after_date() {
    let sb = start(Options {
        export_delay: Duration::from_secs(5),
        ..with_faults("export-retry-after-date")
    })
    .await;
    let c = Bulk::new(&sb, ADMIN);
    let status = c.start("$export").await;
    let r = c.get(&status).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let when = time::OffsetDateTime::parse(
        r.header("retry-after"),
        &time::format_description::well_known::Rfc2822,
    )
    .unwrap_or_else(|e| panic!("{}: {e}", r.header("retry-after")));
    let ahead = when - time::OffsetDateTime::now_utc();
    assert!(
        ahead > time::Duration::ZERO && ahead <= time::Duration::seconds(2),
        "{ahead}"
    );
}

/// The first download of a file: how much arrived, of how much declared,
/// and whether it ended in an error.
async fn first_download(c: &Bulk, url: &str, range: Option<&str>) -> (u64, u64, bool) {
    let mut req = c.http.get(url).bearer_auth(&c.token);
    if let Some(r) = range {
        req = req.header("range", r);
    }
    let mut r = req.send().await.expect("the response head arrives");
    assert!(r.status().is_success(), "{}", r.status());
    let declared = r.content_length().unwrap();
    let mut got = 0;
    loop {
        match r.chunk().await {
            Ok(Some(b)) => got += b.len() as u64,
            Ok(None) => return (got, declared, false),
            Err(_) => return (got, declared, true),
        }
    }
}

#[tokio::test]
async fn fault_export_truncated_file() {
    let sb = start(with_faults("export-truncated-file")).await;
    let c = Bulk::new(&sb, ADMIN);
    // Small files (a few KiB) too: the head and the first half must reach
    // the client before the connection is cut.
    let m = c.export("$export?_type=Patient,Practitioner").await;
    for o in m["output"].as_array().unwrap() {
        let url = o["url"].as_str().unwrap();
        let t = o["type"].as_str().unwrap();
        let (got, declared, cut) = first_download(&c, url, None).await;
        assert!(cut, "{url}: the body is cut off");
        assert_eq!(got, declared / 2, "{url}: half of {declared} arrived");
        // Later downloads are whole, with or without Range.
        let lines = c.lines(url, t).await;
        assert_eq!(lines.len() as u64, o["count"].as_u64().unwrap());
        let again = c.get(url).await;
        assert_eq!(again.body.len() as u64, declared);
    }
    // A first download with Range is cut too, then resumed.
    let m = c.export("$export?_type=Patient").await;
    let url = m["output"][0]["url"].as_str().unwrap();
    let (got, declared, cut) = first_download(&c, url, Some("bytes=10-")).await;
    assert!(cut && got == declared / 2, "{got} of {declared}");
}

#[tokio::test]
async fn fault_export_with_errors() {
    let sb = start(with_faults("export-with-errors")).await;
    let c = Bulk::new(&sb, ADMIN);
    let m = c.export("$export?_type=Patient,Condition").await;
    let errors = m["error"].as_array().unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["type"], "OperationOutcome");
    assert_eq!(errors[0]["count"], 2);
    let lines = c
        .lines(errors[0]["url"].as_str().unwrap(), "OperationOutcome")
        .await;
    assert_eq!(lines.len(), 2);
    assert!(lines.iter().all(|l| l["issue"][0]["severity"] == "error"));
    assert_eq!(c.all(&m).await.len(), 2, "the outputs are still there");
}

#[tokio::test]
async fn fault_export_no_range() {
    let sb = start(with_faults("export-no-range")).await;
    let c = Bulk::new(&sb, ADMIN);
    let m = c.export("$export?_type=Patient").await;
    let url = m["output"][0]["url"].as_str().unwrap();
    let full = c.get(url).await;
    let r = c
        .send(
            c.http
                .get(url)
                .bearer_auth(&c.token)
                .header("range", "bytes=100-"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("accept-ranges"), "");
    assert_eq!(r.header("content-range"), "");
    assert_eq!(r.body, full.body);
}

#[tokio::test]
async fn fault_export_slow_files() {
    let sb = start(with_faults("export-slow-files")).await;
    let c = Bulk::new(&sb, ADMIN);
    let m = c.export("$export?_type=Practitioner").await;
    let url = m["output"][0]["url"].as_str().unwrap();
    let t = Instant::now();
    let ranged = c.send(
        c.http
            .get(url)
            .bearer_auth(&c.token)
            .header("range", "bytes=10-"),
    );
    let (full, part) = tokio::join!(c.get(url), ranged);
    let took = t.elapsed();
    assert!(took >= Duration::from_millis(2900), "{took:?}");
    assert_eq!(full.status, StatusCode::OK);
    assert_eq!(full.header("accept-ranges"), "bytes");
    assert_eq!(full.header("content-length"), full.body.len().to_string());
    assert_eq!(part.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.body, full.body[10..]);
    assert_eq!(full.text().lines().count(), 3);
}

#[test]
fn every_export_fault_has_a_help_line() {
    let help = smart_sandbox::faults::help();
    for name in [
        "export-job-fails",
        "export-status-429",
        "export-retry-after-hours",
        "export-retry-after-date",
        "export-file-redirect",
        "export-off-origin-files",
        "export-truncated-file",
        "export-with-errors",
        "export-no-range",
        "export-slow-files",
    ] {
        let line = help
            .lines()
            .find(|l| l.trim_start().starts_with(name))
            .unwrap_or_else(|| panic!("{name}"));
        assert!(line.len() > name.len() + 10, "{line}");
    }
}

// ------------------------------------- whose job, and how many (issue 18)

#[tokio::test]
async fn a_patient_token_of_the_same_client_cannot_see_a_system_job() {
    let sb = start(opts()).await;
    let system = Bulk::new(&sb, ADMIN);
    let status = system.start("$export?_type=Patient,Observation").await;
    let m = system.manifest(&status).await;
    let file = m["output"][0]["url"].as_str().unwrap().to_string();
    let mut patient = Bulk::new(&sb, "patient/*.rs");
    patient.token = sb.issue_access_token(Grant {
        patient: Some("p000001".into()),
        ..grant("bulk", "patient/*.rs", Duration::from_secs(3600))
    });
    for url in [&status, &file] {
        let r = patient.get(url).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{url}: {}", r.text());
    }
    let r = patient
        .send(patient.http.delete(&status).bearer_auth(&patient.token))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    // A system token narrower than the one that started it: not either.
    let narrow = Bulk::new(&sb, "system/Patient.rs");
    assert_eq!(narrow.get(&file).await.status, StatusCode::NOT_FOUND);
    // A fresh token as wide as the first (v1 words): the job is there.
    let again = Bulk::new(&sb, "system/*.read");
    assert_eq!(again.get(&status).await.status, StatusCode::OK);
    assert_eq!(again.get(&file).await.status, StatusCode::OK);
}

#[tokio::test]
async fn kick_offs_past_the_running_jobs_bound_get_429() {
    let clock = ManualClock::new();
    let sb = start(Options {
        export_delay: Duration::from_secs(60),
        export_jobs_per_client: 2,
        clock: clock.clone(),
        ..opts()
    })
    .await;
    let c = Bulk::new(&sb, ADMIN);
    let first = c.start("$export?_type=Patient").await;
    c.start("$export?_type=Patient").await;
    let r = c.kick("$export?_type=Patient").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text());
    assert_eq!(r.header("retry-after"), "10");
    assert!(r.issue().contains("2 export jobs running"), "{}", r.text());
    // Another client has its own bound.
    Bulk::for_client(&sb, "other", ADMIN)
        .start("$export?_type=Patient")
        .await;
    // A cancelled job frees its place; so does a finished one.
    let r = c.send(c.http.delete(&first).bearer_auth(&c.token)).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let third = c.start("$export?_type=Patient").await;
    assert_eq!(
        c.kick("$export?_type=Patient").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    clock.advance(Duration::from_secs(60));
    c.manifest(&third).await;
    c.start("$export?_type=Patient").await;
}

#[tokio::test]
async fn kick_offs_past_the_disk_bound_get_429() {
    let sb = start(Options {
        export_disk_limit: 1,
        ..opts()
    })
    .await;
    let c = Bulk::new(&sb, ADMIN);
    let status = c.start("$export?_type=Patient").await;
    c.manifest(&status).await;
    let r = c.kick("$export?_type=Patient").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text());
    assert!(r.header("retry-after").parse::<u64>().is_ok());
    assert!(r.issue().contains("bytes"), "{}", r.text());
    // Deleting the finished export gives the room back.
    let r = c.send(c.http.delete(&status).bearer_auth(&c.token)).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    c.start("$export?_type=Patient").await;
}
