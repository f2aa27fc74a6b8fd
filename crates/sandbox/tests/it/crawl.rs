//! What the sandbox offers a crawl and a hydration to rehearse against:
//! a server without `$export` (`no-bulk-export`), references to resources
//! outside every patient compartment (Medication, Practitioner,
//! PractitionerRole, Organization, Location), Observations referenced by
//! DiagnosticReports and by other Observations, notes behind attachment
//! URLs (`Binary/…`), and a rate limit (`rate-limited`).

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime};

use base64::Engine;
use reqwest::StatusCode;
use serde_json::Value;
use smart_sandbox::clock::ManualClock;
use smart_sandbox::{Faults, Grant, Options, Quirks, Sandbox};

const PATIENTS: usize = 20;

fn opts() -> Options {
    Options {
        patients: PATIENTS,
        export_delay: Duration::ZERO,
        ..Options::default()
    }
}

async fn start(o: Options) -> Sandbox {
    Sandbox::start(o).await.expect("sandbox starts")
}

fn token(sb: &Sandbox, scopes: &str, patient: Option<&str>) -> String {
    sb.issue_access_token(Grant {
        client_id: "crawler".into(),
        scopes: scopes.split(' ').map(str::to_owned).collect(),
        patient: patient.map(str::to_owned),
        encounter: None,
        fhir_user: None,
        expires_at: SystemTime::now() + Duration::from_secs(3600),
    })
}

struct Reply {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
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
}

/// GET `{base}/{path}` with `token` (none: no Authorization) and `accept`.
async fn get(sb: &Sandbox, path: &str, token: Option<&str>, accept: Option<&str>) -> Reply {
    let base = sb.fhir_base().as_str().trim_end_matches('/');
    let mut req = reqwest::Client::new().get(format!("{base}/{path}"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(a) = accept {
        req = req.header("accept", a);
    }
    let r = req.send().await.expect("request");
    Reply {
        status: r.status(),
        headers: r.headers().clone(),
        body: r.bytes().await.expect("body").to_vec(),
    }
}

/// Every resource a search finds, following `next` links.
async fn search_all(sb: &Sandbox, query: &str, token: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut next = Some(format!("{query}&_count=200"));
    let base = format!("{}/", sb.fhir_base().as_str().trim_end_matches('/'));
    while let Some(path) = next.take() {
        let r = get(sb, &path, Some(token), None).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text());
        let b = r.json();
        for e in b["entry"].as_array().into_iter().flatten() {
            out.push(e["resource"].clone());
        }
        next = b["link"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|l| l["relation"] == "next")
            .and_then(|l| l["url"].as_str())
            .map(|u| u.strip_prefix(&base).unwrap_or(u).to_owned());
    }
    out
}

/// Every `reference` anywhere in `v`, as `Type/id`.
fn references(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                match (k.as_str(), x) {
                    ("reference", Value::String(r)) => {
                        out.insert(r.clone());
                    }
                    _ => references(x, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| references(x, out)),
        _ => {}
    }
}

fn type_of(reference: &str) -> &str {
    reference.split('/').next().unwrap_or("")
}

#[tokio::test]
async fn quirk_no_bulk_export_has_no_routes_and_declares_none() {
    let plain = start(opts()).await;
    let m = get(&plain, "metadata", None, None).await.json();
    assert!(m["rest"][0]["operation"].is_array(), "{m}");
    assert!(m.to_string().contains("$export") || m.to_string().contains("export"));

    let sb = start(Options {
        quirks: Quirks::parse(&["no-bulk-export".into()]).unwrap(),
        ..opts()
    })
    .await;
    let m = get(&sb, "metadata", None, None).await.json();
    let text = m.to_string();
    assert!(!text.contains("export"), "an export in {text}");
    assert!(m.get("instantiates").is_none(), "{m}");
    assert!(m["rest"][0].get("operation").is_none(), "{m}");
    let types: Vec<&str> = m["rest"][0]["resource"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["type"].as_str())
        .collect();
    assert!(!types.contains(&"Group"), "{types:?}");
    assert!(
        types.contains(&"Patient") && types.contains(&"Binary"),
        "{types:?}"
    );
    let t = token(&sb, "system/*.rs", None);
    for path in [
        "$export",
        "Patient/$export",
        "Group/all/$export",
        "%24export",
        "$export-status/x",
    ] {
        let r = get(&sb, path, Some(&t), Some("application/fhir+json")).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.text());
        let oo = r.json();
        assert_eq!(oo["resourceType"], "OperationOutcome");
        assert_eq!(oo["issue"][0]["code"], "not-supported", "{oo}");
    }
    // The rest of the server is there: a crawl searches per patient.
    let found = search_all(&sb, "Observation?patient=p000001", &t).await;
    assert!(!found.is_empty());
}

/// The references of a patient's compartment that point outside it: what a
/// Patient export leaves out and a hydration must fetch.
#[tokio::test]
async fn references_leave_the_compartment_and_resolve_by_id() {
    let sb = start(opts()).await;
    let t = token(&sb, "system/*.rs", None);
    let mut refs = BTreeSet::new();
    let mut compartment = BTreeSet::new();
    for ty in [
        "Patient",
        "Encounter",
        "Observation",
        "Condition",
        "MedicationRequest",
        "DiagnosticReport",
        "DocumentReference",
    ] {
        let q = match ty {
            "Patient" => "Patient?_id=p000001,p000002,p000003".to_owned(),
            _ => format!("{ty}?patient=p000001,p000002,p000003"),
        };
        let found = search_all(&sb, &q, &t).await;
        assert!(!found.is_empty() || ty == "MedicationRequest", "{ty}");
        for r in &found {
            compartment.insert(format!("{ty}/{}", r["id"].as_str().unwrap()));
            references(r, &mut refs);
        }
    }
    let outside: BTreeSet<&str> = refs
        .iter()
        .filter(|r| !compartment.contains(*r))
        .map(|r| type_of(r))
        .collect();
    for ty in [
        "Practitioner",
        "PractitionerRole",
        "Organization",
        "Location",
    ] {
        assert!(outside.contains(ty), "no reference to a {ty}: {outside:?}");
    }
    // Every reference resolves, inside the compartment or not.
    for r in &refs {
        let reply = get(&sb, r, Some(&t), None).await;
        assert_eq!(reply.status, StatusCode::OK, "{r}: {}", reply.text());
        let v = reply.json();
        assert_eq!(
            format!(
                "{}/{}",
                v["resourceType"].as_str().unwrap(),
                v["id"].as_str().unwrap()
            ),
            *r
        );
    }
    // Medications come from MedicationRequest.medicationReference.
    let meds = search_all(&sb, "MedicationRequest?status=active,completed", &t).await;
    assert!(!meds.is_empty());
    for m in &meds {
        let r = m["medicationReference"]["reference"].as_str().unwrap();
        assert!(r.starts_with("Medication/med"), "{m}");
        assert_eq!(get(&sb, r, Some(&t), None).await.status, StatusCode::OK);
    }
    // The shared types are searchable at the system level.
    for ty in [
        "Medication",
        "Practitioner",
        "PractitionerRole",
        "Organization",
        "Location",
    ] {
        let found = search_all(&sb, &format!("{ty}?_lastUpdated=ge2000-01-01"), &t).await;
        assert!(!found.is_empty(), "{ty}");
        assert!(found.iter().all(|r| r["resourceType"] == ty));
    }
}

#[tokio::test]
async fn a_patient_export_leaves_the_shared_resources_out() {
    let sb = start(opts()).await;
    let t = token(&sb, "system/*.rs", None);
    let http = reqwest::Client::new();
    let base = sb.fhir_base().as_str().trim_end_matches('/').to_owned();
    let r = http
        .get(format!("{base}/Patient/$export"))
        .bearer_auth(&t)
        .header("accept", "application/fhir+json")
        .header("prefer", "respond-async")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let status = r.headers()["content-location"].to_str().unwrap().to_owned();
    let manifest = loop {
        let r = http.get(&status).bearer_auth(&t).send().await.unwrap();
        if r.status() == StatusCode::OK {
            break r.json::<Value>().await.unwrap();
        }
        assert_eq!(r.status(), StatusCode::ACCEPTED);
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let types: BTreeSet<&str> = manifest["output"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        BTreeSet::from([
            "Patient",
            "Encounter",
            "Observation",
            "Condition",
            "MedicationRequest",
            "DiagnosticReport",
            "DocumentReference"
        ])
    );
}

/// What a crawl gathers (`Type?patient=ID` for every patient and type)
/// is what a Patient export writes, type by type, id by id.
#[tokio::test]
async fn per_patient_searches_find_what_a_patient_export_writes() {
    let sb = start(Options {
        patients: 8,
        ..opts()
    })
    .await;
    let t = token(&sb, "system/*.rs", None);
    let http = reqwest::Client::new();
    let base = sb.fhir_base().as_str().trim_end_matches('/').to_owned();
    let r = http
        .get(format!("{base}/Patient/$export"))
        .bearer_auth(&t)
        .header("accept", "application/fhir+json")
        .header("prefer", "respond-async")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let status = r.headers()["content-location"].to_str().unwrap().to_owned();
    let manifest = loop {
        let r = http.get(&status).bearer_auth(&t).send().await.unwrap();
        if r.status() == StatusCode::OK {
            break r.json::<Value>().await.unwrap();
        }
        assert_eq!(r.status(), StatusCode::ACCEPTED);
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let mut exported: std::collections::BTreeMap<String, BTreeSet<String>> = Default::default();
    for o in manifest["output"].as_array().unwrap() {
        let text = http
            .get(o["url"].as_str().unwrap())
            .bearer_auth(&t)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        for line in text.lines() {
            let v: Value = serde_json::from_str(line).unwrap();
            exported
                .entry(v["resourceType"].as_str().unwrap().to_owned())
                .or_default()
                .insert(v["id"].as_str().unwrap().to_owned());
        }
    }
    let patients: Vec<String> = exported["Patient"].iter().cloned().collect();
    assert_eq!(patients.len(), 8);
    for (ty, ids) in &exported {
        let mut crawled = BTreeSet::new();
        for p in &patients {
            let q = match ty.as_str() {
                "Patient" => format!("Patient?_id={p}"),
                _ => format!("{ty}?patient={p}"),
            };
            for r in search_all(&sb, &q, &t).await {
                assert!(
                    crawled.insert(r["id"].as_str().unwrap().to_owned()),
                    "{ty}: twice"
                );
            }
        }
        assert_eq!(&crawled, ids, "{ty}");
    }
    assert_eq!(exported.len(), 7, "{:?}", exported.keys());
}

#[tokio::test]
async fn reports_and_observations_reference_observations() {
    let sb = start(opts()).await;
    let t = token(&sb, "system/*.rs", None);
    let r = get(&sb, "DiagnosticReport/r000001-1", Some(&t), None)
        .await
        .json();
    let results: Vec<&str> = r["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["reference"].as_str().unwrap())
        .collect();
    assert_eq!(results.len(), 8, "{r}");
    assert!(
        results
            .iter()
            .all(|x| x.starts_with("Observation/o000001-1-"))
    );
    for x in &results {
        assert_eq!(get(&sb, x, Some(&t), None).await.status, StatusCode::OK);
    }
    // Searchable by result, as a hydration would check.
    let by = search_all(&sb, "DiagnosticReport?result=Observation/o000001-1-3", &t).await;
    assert_eq!(by.len(), 1);
    assert_eq!(by[0]["id"], "r000001-1");
    // The BMI has the weight and height it was made from as members.
    let bmi = get(&sb, "Observation/o000001-1-7", Some(&t), None)
        .await
        .json();
    assert_eq!(bmi["code"]["coding"][0]["code"], "39156-5", "{bmi}");
    let members: Vec<&str> = bmi["hasMember"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["reference"].as_str().unwrap())
        .collect();
    assert_eq!(
        members,
        ["Observation/o000001-1-5", "Observation/o000001-1-6"]
    );
    for m in members {
        let v = get(&sb, m, Some(&t), None).await.json();
        assert!(["29463-7", "8302-2"].contains(&v["code"]["coding"][0]["code"].as_str().unwrap()));
    }
}

/// `Binary/{id}` behind each DocumentReference and every second
/// DiagnosticReport: the token rule, both content types, and the Binary
/// resource for a client that asks for FHIR JSON.
#[tokio::test]
async fn attachments_are_served_under_the_base_with_the_token() {
    let sb = start(opts()).await;
    let t = token(&sb, "system/*.rs", None);
    let docs = search_all(
        &sb,
        "DocumentReference?patient=p000001,p000002,p000003,p000004",
        &t,
    )
    .await;
    assert!(!docs.is_empty());
    let mut kinds = BTreeSet::new();
    for d in &docs {
        let a = &d["content"][0]["attachment"];
        let url = a["url"].as_str().unwrap();
        assert_eq!(url, format!("Binary/{}", d["id"].as_str().unwrap()));
        let ct = a["contentType"].as_str().unwrap();
        kinds.insert(ct.to_owned());
        let r = get(&sb, url, Some(&t), None).await;
        assert_eq!(r.status, StatusCode::OK, "{url}: {}", r.text());
        assert_eq!(r.header("content-type"), format!("{ct}; charset=utf-8"));
        let patient = d["subject"]["display"].as_str().unwrap();
        assert!(r.text().contains(patient), "{}", r.text());
        if ct == "text/html" {
            assert!(r.text().starts_with("<!DOCTYPE html>"));
        }
    }
    assert_eq!(
        kinds,
        BTreeSet::from(["text/html".into(), "text/plain".into()])
    );
    // A DiagnosticReport's presentedForm: the even encounters have one.
    let first = get(&sb, "DiagnosticReport/r000001-1", Some(&t), None)
        .await
        .json();
    assert!(first.get("presentedForm").is_none(), "{first}");
    let reports = search_all(
        &sb,
        "DiagnosticReport?patient=p000001,p000002,p000003,p000004",
        &t,
    )
    .await;
    let with_form: Vec<&Value> = reports
        .iter()
        .filter(|r| r.get("presentedForm").is_some())
        .collect();
    assert!(!with_form.is_empty());
    for r in with_form {
        let url = r["presentedForm"][0]["url"].as_str().unwrap();
        let reply = get(&sb, url, Some(&t), None).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.header("content-type"), "text/html; charset=utf-8");
        assert!(reply.text().contains("Vital signs report"));
    }

    let doc = &docs[0];
    let url = doc["content"][0]["attachment"]["url"].as_str().unwrap();
    let raw = get(&sb, url, Some(&t), None).await.text();
    // The token rule: none, someone else's patient, or no scope for it.
    assert_eq!(
        get(&sb, url, None, None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let owner = doc["subject"]["reference"]
        .as_str()
        .unwrap()
        .strip_prefix("Patient/")
        .unwrap();
    let other = if owner == "p000001" {
        "p000002"
    } else {
        "p000001"
    };
    let theirs = token(&sb, "patient/*.rs", Some(other));
    assert_eq!(
        get(&sb, url, Some(&theirs), None).await.status,
        StatusCode::FORBIDDEN
    );
    let obs_only = token(&sb, "system/Observation.rs", None);
    assert_eq!(
        get(&sb, url, Some(&obs_only), None).await.status,
        StatusCode::FORBIDDEN
    );
    // The patient's own token, by the document's scope or by Binary's.
    for scope in ["patient/DocumentReference.rs", "patient/Binary.r"] {
        let mine = token(&sb, scope, Some(owner));
        let r = get(&sb, url, Some(&mine), None).await;
        assert_eq!(r.status, StatusCode::OK, "{scope}: {}", r.text());
        assert_eq!(r.text(), raw);
    }
    // Asked for FHIR JSON: a Binary resource with the same bytes.
    let b = get(&sb, url, Some(&t), Some("application/fhir+json")).await;
    assert_eq!(b.header("content-type"), "application/fhir+json");
    let b = b.json();
    assert_eq!(b["resourceType"], "Binary");
    let data = base64::engine::general_purpose::STANDARD
        .decode(b["data"].as_str().unwrap())
        .unwrap();
    assert_eq!(String::from_utf8(data).unwrap(), raw);
    // No attachment, no Binary.
    for missing in ["Binary/r000001-1", "Binary/d999999-1", "Binary/p000001"] {
        assert_eq!(
            get(&sb, missing, Some(&t), None).await.status,
            StatusCode::NOT_FOUND,
            "{missing}"
        );
    }
}

#[tokio::test]
async fn the_new_data_is_deterministic() {
    let a = start(opts()).await;
    let b = start(opts()).await;
    for path in [
        "DocumentReference/d000003-1",
        "Binary/d000003-1",
        "DiagnosticReport/r000002-2",
        "Binary/r000002-2",
        "PractitionerRole/prr0001",
        "Organization/org0002",
        "Location/loc0001",
        "Medication/med0002",
    ] {
        let ta = token(&a, "system/*.rs", None);
        let tb = token(&b, "system/*.rs", None);
        let (ra, rb) = (
            get(&a, path, Some(&ta), None).await,
            get(&b, path, Some(&tb), None).await,
        );
        assert_eq!(ra.status, StatusCode::OK, "{path}: {}", ra.text());
        assert_eq!(ra.text(), rb.text(), "{path}");
    }
}

#[tokio::test]
async fn fault_rate_limited_answers_429_past_the_rate() {
    let clock = ManualClock::new();
    let sb = start(Options {
        faults: Faults::parse(&["rate-limited".into()]).unwrap(),
        rate_limit: 3,
        clock: clock.clone(),
        ..opts()
    })
    .await;
    let t = token(&sb, "system/*.rs", None);
    // One second of the clock: three answered, then 429 until it turns.
    clock.advance(Duration::from_secs(1));
    for _ in 0..3 {
        assert_eq!(
            get(&sb, "Patient/p000001", Some(&t), None).await.status,
            StatusCode::OK
        );
    }
    for _ in 0..2 {
        let r = get(&sb, "Patient/p000001", Some(&t), None).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text());
        assert_eq!(r.header("retry-after"), "1");
        assert_eq!(r.json()["resourceType"], "OperationOutcome");
    }
    clock.advance(Duration::from_secs(1));
    assert_eq!(
        get(&sb, "Patient/p000001", Some(&t), None).await.status,
        StatusCode::OK
    );
}
