//! The sandbox's FHIR side over real HTTP: reads, every search parameter,
//! paging, writes with ETags, scopes and compartments, faults, proxy mode.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use serde_json::{Value, json};
use smart_sandbox::{Fault, Faults, Grant, Options, Sandbox};

use super::raw;

async fn start(opts: Options) -> Sandbox {
    Sandbox::start(opts).await.expect("sandbox starts")
}

async fn sandbox() -> Sandbox {
    start(Options::default()).await
}

fn grant(scopes: &str, patient: Option<&str>, lifetime: i64) -> Grant {
    let now = SystemTime::now();
    Grant {
        client_id: "test".into(),
        scopes: scopes.split(' ').map(str::to_owned).collect(),
        patient: patient.map(str::to_owned),
        encounter: None,
        fhir_user: None,
        expires_at: if lifetime >= 0 {
            now + Duration::from_secs(lifetime as u64)
        } else {
            now - Duration::from_secs((-lifetime) as u64)
        },
    }
}

fn token(sb: &Sandbox, scopes: &str, patient: Option<&str>) -> String {
    sb.issue_access_token(grant(scopes, patient, 3600))
}

fn admin(sb: &Sandbox) -> String {
    token(sb, "user/*.cruds", None)
}

struct Client {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

struct Reply {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    text: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("{e}: {}", self.text))
    }
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

impl Client {
    fn new(sb: &Sandbox, token: Option<String>) -> Client {
        Client {
            http: reqwest::Client::new(),
            base: sb.fhir_base().as_str().trim_end_matches('/').to_string(),
            token,
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
        let req = match &self.token {
            Some(t) => req.bearer_auth(t),
            None => req,
        };
        let r = req.send().await.expect("request");
        Reply {
            status: r.status(),
            headers: r.headers().clone(),
            text: r.text().await.expect("body"),
        }
    }

    async fn get(&self, path: &str) -> Reply {
        self.send(self.http.get(self.url(path))).await
    }

    async fn ok(&self, path: &str) -> Value {
        let r = self.get(path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
        r.json()
    }

    async fn post_json(&self, path: &str, body: &Value) -> Reply {
        self.send(
            self.http
                .post(self.url(path))
                .header("content-type", "application/fhir+json")
                .body(body.to_string()),
        )
        .await
    }

    async fn put_json(&self, path: &str, body: &Value, if_match: Option<&str>) -> Reply {
        let mut req = self
            .http
            .put(self.url(path))
            .header("content-type", "application/fhir+json")
            .body(body.to_string());
        if let Some(m) = if_match {
            req = req.header("if-match", m);
        }
        self.send(req).await
    }
}

fn ids(bundle: &Value) -> Vec<String> {
    bundle["entry"]
        .as_array()
        .map(|es| {
            es.iter()
                .map(|e| e["resource"]["id"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn resources(bundle: &Value) -> Vec<Value> {
    bundle["entry"]
        .as_array()
        .map(|es| es.iter().map(|e| e["resource"].clone()).collect())
        .unwrap_or_default()
}

fn total(bundle: &Value) -> u64 {
    bundle["total"].as_u64().expect("total")
}

fn issue(r: &Reply) -> String {
    let v = r.json();
    assert_eq!(v["resourceType"], "OperationOutcome", "{}", r.text);
    v["issue"][0]["diagnostics"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

#[tokio::test]
async fn read_patient_with_version_headers() {
    let sb = sandbox().await;
    let c = Client::new(&sb, Some(admin(&sb)));
    let r = c.get("Patient/p000001").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.header("content-type"),
        "application/fhir+json; charset=utf-8"
    );
    assert_eq!(r.header("etag"), "W/\"1\"");
    assert!(r.header("last-modified").ends_with("GMT"));
    let p = r.json();
    assert_eq!(p["resourceType"], "Patient");
    assert_eq!(p["id"], "p000001");
    assert_eq!(p["meta"]["versionId"], "1");
    assert_eq!(
        p["identifier"][0]["system"],
        smart_sandbox::fhir::MRN_SYSTEM
    );
    assert!(p["name"][0]["family"].is_string());
    assert!(p["birthDate"].is_string());
    assert!(p["address"][0]["city"].is_string());

    // Every type reads, and references resolve.
    let obs = c.ok("Observation?patient=p000001&_count=1").await;
    let o = &resources(&obs)[0];
    assert_eq!(o["category"][0]["coding"][0]["code"], "vital-signs");
    assert_eq!(o["code"]["coding"][0]["system"], "http://loinc.org");
    let enc = o["encounter"]["reference"].as_str().unwrap();
    c.ok(enc).await;
    let prac = p["generalPractitioner"][0]["reference"].as_str().unwrap();
    assert_eq!(c.ok(prac).await["resourceType"], "Practitioner");
    let conds = c.ok("Condition?_count=1").await;
    assert_eq!(
        resources(&conds)[0]["code"]["coding"][0]["system"],
        "http://snomed.info/sct"
    );

    assert_eq!(c.get("Patient/p999999").await.status, StatusCode::NOT_FOUND);
    assert_eq!(c.get("Patient/nope").await.status, StatusCode::NOT_FOUND);
    let v = c.ok("Patient/p000001/_history/1").await;
    assert_eq!(v["id"], "p000001");
    assert_eq!(
        c.get("Patient/p000001/_history/2").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn vital_signs_have_loinc_and_ucum() {
    let sb = sandbox().await;
    let c = Client::new(&sb, Some(admin(&sb)));
    for (code, unit) in [
        ("8867-4", "/min"),
        ("8310-5", "Cel"),
        ("29463-7", "kg"),
        ("8302-2", "cm"),
    ] {
        let b = c
            .ok(&format!(
                "Observation?code=http://loinc.org|{code}&_count=3"
            ))
            .await;
        assert!(total(&b) > 0);
        for o in resources(&b) {
            assert_eq!(o["code"]["coding"][0]["code"], code);
            assert_eq!(o["valueQuantity"]["system"], "http://unitsofmeasure.org");
            assert_eq!(o["valueQuantity"]["code"], unit);
        }
    }
    let bp = c.ok("Observation?code=85354-9&_count=1").await;
    let o = &resources(&bp)[0];
    assert_eq!(o["component"][0]["code"]["coding"][0]["code"], "8480-6");
    assert_eq!(o["component"][1]["code"]["coding"][0]["code"], "8462-4");
    assert_eq!(o["component"][1]["valueQuantity"]["code"], "mm[Hg]");
}

#[tokio::test]
async fn patient_search_parameters() {
    let sb = sandbox().await;
    let c = Client::new(&sb, Some(admin(&sb)));
    let p1 = c.ok("Patient/p000001").await;
    let family = p1["name"][0]["family"].as_str().unwrap().to_string();
    let given = p1["name"][0]["given"][0].as_str().unwrap().to_string();

    // family: case-insensitive prefix.
    let prefix = family[..3].to_lowercase();
    let b = c.ok(&format!("Patient?family={prefix}&_count=1000")).await;
    assert!(ids(&b).contains(&"p000001".to_string()));
    for p in resources(&b) {
        let f = p["name"][0]["family"].as_str().unwrap().to_lowercase();
        assert!(f.starts_with(&prefix), "{f}");
    }
    assert_eq!(total(&b) as usize, ids(&b).len());
    // :exact is case-sensitive and whole.
    let exact = c
        .ok(&format!("Patient?family:exact={family}&_count=1000"))
        .await;
    assert!(total(&exact) >= 1);
    assert!(total(&exact) <= total(&b));
    let wrong = c
        .ok(&format!("Patient?family:exact={}", family.to_lowercase()))
        .await;
    assert_eq!(total(&wrong), 0);
    // :contains.
    let mid = &family[1..family.len() - 1];
    let cont = c.ok(&format!("Patient?family:contains={mid}")).await;
    assert!(total(&cont) >= total(&exact));
    // given, name.
    let g = c.ok(&format!("Patient?given={given}&_count=1000")).await;
    assert!(ids(&g).contains(&"p000001".to_string()));
    let n = c.ok(&format!("Patient?name={given}&_count=1000")).await;
    assert!(total(&n) >= total(&g));

    // gender
    let f = c.ok("Patient?gender=female&_count=1000").await;
    let m = c.ok("Patient?gender=male&_count=1000").await;
    assert!(total(&f) > 20 && total(&m) > 20);
    assert!(resources(&f).iter().all(|p| p["gender"] == "female"));
    // Comma = OR.
    let fm = c.ok("Patient?gender=female,male").await;
    assert_eq!(total(&fm), total(&f) + total(&m));
    // Repeated = AND.
    let both = c.ok("Patient?gender=female&gender=male").await;
    assert_eq!(total(&both), 0);

    // birthdate prefixes on partial dates.
    let ge = c.ok("Patient?birthdate=ge1980&_count=1000").await;
    let lt = c.ok("Patient?birthdate=lt1980&_count=1000").await;
    assert_eq!(total(&ge) + total(&lt), 100);
    assert!(
        resources(&ge)
            .iter()
            .all(|p| p["birthDate"].as_str().unwrap() >= "1980")
    );
    let bd = p1["birthDate"].as_str().unwrap();
    let eq = c.ok(&format!("Patient?birthdate={bd}")).await;
    assert!(ids(&eq).contains(&"p000001".to_string()));
    let year = c.ok(&format!("Patient?birthdate=eq{}", &bd[..4])).await;
    assert!(total(&year) >= total(&eq));
    let ne = c.ok(&format!("Patient?birthdate=ne{bd}&_count=1000")).await;
    assert_eq!(total(&ne) + total(&eq), 100);

    // identifier: system|value and value alone.
    let mrn = p1["identifier"][0]["value"].as_str().unwrap();
    let sys = p1["identifier"][0]["system"].as_str().unwrap();
    let by_sys = c.ok(&format!("Patient?identifier={sys}|{mrn}")).await;
    assert_eq!(ids(&by_sys), vec!["p000001"]);
    let by_value = c.ok(&format!("Patient?identifier={mrn}")).await;
    assert_eq!(ids(&by_value), vec!["p000001"]);
    let other_sys = c.ok(&format!("Patient?identifier=urn:x|{mrn}")).await;
    assert_eq!(total(&other_sys), 0);

    // _id, _sort.
    let two = c.ok("Patient?_id=p000002,p000001").await;
    assert_eq!(ids(&two), vec!["p000001", "p000002"]);
    let sorted = c.ok("Patient?_sort=birthdate&_count=1000").await;
    let bds: Vec<String> = resources(&sorted)
        .iter()
        .map(|p| p["birthDate"].as_str().unwrap().to_string())
        .collect();
    assert!(bds.windows(2).all(|w| w[0] <= w[1]));
    let desc = c.ok("Patient?_sort=-_id&_count=3").await;
    assert_eq!(ids(&desc), vec!["p000100", "p000099", "p000098"]);
    let fam = c.ok("Patient?_sort=family,given&_count=1000").await;
    let fams: Vec<String> = resources(&fam)
        .iter()
        .map(|p| p["name"][0]["family"].as_str().unwrap().to_lowercase())
        .collect();
    assert!(fams.windows(2).all(|w| w[0] <= w[1]));

    // _summary=count, _total=none.
    let count = c.ok("Patient?gender=female&_summary=count").await;
    assert_eq!(total(&count), total(&f));
    assert!(count.get("entry").is_none());
    let none = c.ok("Patient?_total=none&_count=1").await;
    assert!(none.get("total").is_none());
    assert_eq!(ids(&none).len(), 1);
}

#[tokio::test]
async fn clinical_search_parameters() {
    let sb = sandbox().await;
    let c = Client::new(&sb, Some(admin(&sb)));
    let all = c.ok("Observation?patient=p000001&_count=1000").await;
    let n = total(&all);
    assert!(n >= 8 && n.is_multiple_of(8), "{n}");
    assert!(
        resources(&all)
            .iter()
            .all(|o| o["subject"]["reference"] == "Patient/p000001")
    );
    // subject accepts a typed reference, patient a bare id; absolute too.
    let subj = c
        .ok("Observation?subject=Patient/p000001&_count=1000")
        .await;
    assert_eq!(ids(&subj), ids(&all));
    let abs = format!("Observation?patient={}/Patient/p000001&_count=1000", c.base);
    assert_eq!(ids(&c.ok(&abs).await), ids(&all));
    // code with and without system; category.
    let hr = c
        .ok("Observation?patient=p000001&code=http://loinc.org|8867-4")
        .await;
    assert_eq!(total(&hr), n / 8);
    let hr2 = c.ok("Observation?patient=p000001&code=8867-4").await;
    assert_eq!(total(&hr2), total(&hr));
    let wrong_sys = c
        .ok("Observation?patient=p000001&code=http://snomed.info/sct|8867-4")
        .await;
    assert_eq!(total(&wrong_sys), 0);
    let two = c.ok("Observation?patient=p000001&code=8867-4,8310-5").await;
    assert_eq!(total(&two), 2 * total(&hr));
    let cat = c
        .ok("Observation?patient=p000001&category=vital-signs&_count=1000")
        .await;
    assert_eq!(total(&cat), n);
    // date, with -date sort.
    let sorted = c
        .ok("Observation?patient=p000001&_sort=-date&_count=1000")
        .await;
    let dates: Vec<String> = resources(&sorted)
        .iter()
        .map(|o| o["effectiveDateTime"].as_str().unwrap().to_string())
        .collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]));
    let newest = &dates[0][..10];
    let on_day = c
        .ok(&format!(
            "Observation?patient=p000001&date={newest}&_count=1000"
        ))
        .await;
    assert!(total(&on_day) >= 8);
    let after = c
        .ok(&format!("Observation?patient=p000001&date=gt{newest}"))
        .await;
    assert_eq!(total(&after), 0);

    // Encounters and Conditions of the same patient.
    let enc = c.ok("Encounter?patient=p000001&_count=1000").await;
    assert_eq!(total(&enc), n / 8);
    let e = &resources(&enc)[0];
    assert!(e["period"]["start"].is_string());
    let by_date = c
        .ok(&format!(
            "Encounter?patient=p000001&date={}",
            &e["period"]["start"].as_str().unwrap()[..10]
        ))
        .await;
    assert!(ids(&by_date).contains(&e["id"].as_str().unwrap().to_string()));
    let conds = c.ok("Condition?_count=1000").await;
    let cond = &resources(&conds)[0];
    let code = cond["code"]["coding"][0]["code"].as_str().unwrap();
    let by_code = c
        .ok(&format!(
            "Condition?code=http://snomed.info/sct|{code}&_count=1000"
        ))
        .await;
    assert!(ids(&by_code).contains(&cond["id"].as_str().unwrap().to_string()));
    let pl = c
        .ok("Condition?category=problem-list-item&_count=1000")
        .await;
    let ed = c
        .ok("Condition?category=encounter-diagnosis&_count=1000")
        .await;
    assert_eq!(total(&pl) + total(&ed), total(&conds));

    // Practitioner by name.
    let pr = c.ok("Practitioner?_count=1").await;
    let pfam = resources(&pr)[0]["name"][0]["family"]
        .as_str()
        .unwrap()
        .to_string();
    let by_name = c.ok(&format!("Practitioner?name={pfam}")).await;
    assert!(total(&by_name) >= 1);
    let pid = resources(&pr)[0]["id"].as_str().unwrap().to_string();
    assert_eq!(
        ids(&c.ok(&format!("Practitioner?_id={pid}")).await),
        vec![pid]
    );
}

#[tokio::test]
async fn bad_searches_are_400_unless_lenient() {
    let sb = sandbox().await;
    let c = Client::new(&sb, Some(admin(&sb)));
    for q in [
        "Patient?colour=blue",
        "Patient?birthdate=2020-13-01",
        "Patient?birthdate=xx2020",
        "Patient?_count=many",
        "Patient?_sort=colour",
        "Patient?gender:exact=male",
        "Observation?patient=Group/1",
    ] {
        let r = c.get(q).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{q}: {}", r.text);
        assert!(!issue(&r).is_empty());
    }
    let r = c
        .send(
            c.http
                .get(c.url("Patient?colour=blue&_count=2"))
                .header("prefer", "handling=lenient"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let b = r.json();
    assert_eq!(total(&b), 100);
    // The ignored parameter is not echoed in the self link.
    let self_link = b["link"][0]["url"].as_str().unwrap();
    assert!(!self_link.contains("colour"), "{self_link}");
}

#[tokio::test]
async fn paging_covers_every_match_once() {
    let sb = sandbox().await;
    let c = Client::new(&sb, Some(admin(&sb)));
    for first in ["Patient?_count=7", "Observation?_count=250&_sort=-date"] {
        let mut next = Some(c.url(first));
        let mut seen = Vec::new();
        let mut expected = None;
        let mut pages = 0;
        while let Some(url) = next {
            let b = c.ok(&url).await;
            assert_eq!(b["type"], "searchset");
            let t = total(&b);
            assert_eq!(*expected.get_or_insert(t), t);
            let links = b["link"].as_array().unwrap();
            assert_eq!(links[0]["relation"], "self");
            assert!(links[0]["url"].as_str().unwrap().starts_with(&c.base));
            if pages > 0 {
                assert!(links.iter().any(|l| l["relation"] == "previous"));
            }
            for e in b["entry"].as_array().unwrap() {
                let id = e["resource"]["id"].as_str().unwrap();
                let rt = e["resource"]["resourceType"].as_str().unwrap();
                assert_eq!(e["fullUrl"], format!("{}/{rt}/{id}", c.base));
                assert_eq!(e["search"]["mode"], "match");
                seen.push(id.to_string());
            }
            next = links
                .iter()
                .find(|l| l["relation"] == "next")
                .map(|l| l["url"].as_str().unwrap().to_string());
            pages += 1;
        }
        let unique: HashSet<_> = seen.iter().collect();
        assert_eq!(unique.len(), seen.len(), "{first}: duplicates");
        assert_eq!(seen.len() as u64, expected.unwrap(), "{first}");
        assert!(pages > 1);
    }
    // Paging the same query twice gives the same pages.
    let a = c.ok("Patient?_sort=family&_count=10&_offset=20").await;
    let b = c.ok("Patient?_sort=family&_count=10&_offset=20").await;
    assert_eq!(ids(&a), ids(&b));
}

#[tokio::test]
async fn post_search_equals_get_search() {
    let sb = sandbox().await;
    let c = Client::new(&sb, Some(admin(&sb)));
    let q = "gender=female&birthdate=ge1970&_sort=birthdate&_count=20";
    let get = c.ok(&format!("Patient?{q}")).await;
    let r = c
        .send(
            c.http
                .post(c.url("Patient/_search"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(q),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let post = r.json();
    assert_eq!(ids(&get), ids(&post));
    assert_eq!(total(&get), total(&post));
    assert_eq!(get["link"], post["link"]);
}

#[tokio::test]
async fn create_update_delete_with_etags() {
    let sb = sandbox().await;
    let c = Client::new(&sb, Some(admin(&sb)));
    let patient = json!({
        "resourceType": "Patient",
        "id": "ignored-on-create",
        "name": [{"family": "Zyzzyva", "given": ["Quentin"]}],
        "gender": "male",
        "birthDate": "1999-09-09"
    });
    let r = c.post_json("Patient", &patient).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.header("etag"), "W/\"1\"");
    let created = r.json();
    let id = created["id"].as_str().unwrap().to_string();
    assert_ne!(id, "ignored-on-create");
    assert_eq!(created["meta"]["versionId"], "1");
    assert!(created["meta"]["lastUpdated"].is_string());
    assert_eq!(
        r.header("location"),
        format!("{}/Patient/{id}/_history/1", c.base)
    );
    // Search sees it.
    let found = c.ok("Patient?family=zyzz").await;
    assert_eq!(ids(&found), vec![id.clone()]);
    assert_eq!(total(&c.ok("Patient?_summary=count").await), 101);

    // Update with the right If-Match.
    let mut updated = created.clone();
    updated["name"][0]["family"] = json!("Zyzzyx");
    let r = c
        .put_json(&format!("Patient/{id}"), &updated, Some("W/\"1\""))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.header("etag"), "W/\"2\"");
    assert_eq!(r.json()["meta"]["versionId"], "2");
    // Stale If-Match.
    let r = c
        .put_json(&format!("Patient/{id}"), &updated, Some("W/\"1\""))
        .await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED, "{}", r.text);
    issue(&r);
    // vread both versions.
    assert_eq!(
        c.ok(&format!("Patient/{id}/_history/1")).await["name"][0]["family"],
        "Zyzzyva"
    );
    assert_eq!(
        c.ok(&format!("Patient/{id}")).await["name"][0]["family"],
        "Zyzzyx"
    );

    // Updating a synthetic resource makes version 2 of it.
    let mut p2 = c.ok("Patient/p000002").await;
    p2["gender"] = json!("unknown");
    let r = c.put_json("Patient/p000002", &p2, Some("W/\"1\"")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.header("etag"), "W/\"2\"");
    let unk = c.ok("Patient?gender=unknown&_count=1000").await;
    assert!(ids(&unk).contains(&"p000002".to_string()));

    // Delete, then 410; delete again is idempotent; vread of the old version works.
    let r = c.send(c.http.delete(c.url(&format!("Patient/{id}")))).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = c.get(&format!("Patient/{id}")).await;
    assert_eq!(r.status, StatusCode::GONE);
    issue(&r);
    // Idempotent, and it says that nothing was deleted (200 with a payload).
    let r = c.send(c.http.delete(c.url(&format!("Patient/{id}")))).await;
    assert_eq!(r.status, StatusCode::OK);
    let oo: serde_json::Value = serde_json::from_str(&r.text).unwrap();
    assert_eq!(oo["issue"][0]["code"], "deleted", "{oo}");
    assert_eq!(oo["issue"][0]["severity"], "warning", "{oo}");
    assert_eq!(
        c.get(&format!("Patient/{id}/_history/3")).await.status,
        StatusCode::GONE
    );
    c.ok(&format!("Patient/{id}/_history/2")).await;
    assert_eq!(total(&c.ok("Patient?family=zyzz").await), 0);
    let r = c.send(c.http.delete(c.url("Patient/p000003"))).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(c.get("Patient/p000003").await.status, StatusCode::GONE);
    let r = c.send(c.http.delete(c.url("Patient/never"))).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Update-as-create.
    let fresh = json!({"resourceType": "Patient", "id": "mine-1", "gender": "other"});
    let r = c.put_json("Patient/mine-1", &fresh, None).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    c.ok("Patient/mine-1").await;
    // If-Match on something that does not exist.
    let r = c
        .put_json(
            "Patient/mine-2",
            &json!({"resourceType": "Patient", "id": "mine-2"}),
            Some("W/\"1\""),
        )
        .await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED);
}

#[tokio::test]
async fn invalid_writes_are_rejected() {
    let sb = sandbox().await;
    let c = Client::new(&sb, Some(admin(&sb)));
    let r = c
        .send(
            c.http
                .post(c.url("Patient"))
                .header("content-type", "application/fhir+json")
                .body("{\"resourceType\": \"Patient\", "),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(issue(&r).contains("JSON"));
    let r = c
        .post_json("Patient", &json!({"resourceType": "Observation"}))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = c
        .put_json(
            "Patient/p000001",
            &json!({"resourceType": "Patient", "id": "p000002"}),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(issue(&r).contains("does not match"));
    let r = c
        .post_json("Observation", &json!({"resourceType": "Observation"}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = c
        .post_json(
            "Patient",
            &json!({"resourceType": "Patient", "gender": "mail"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = c
        .send(c.http.patch(c.url("Patient/p000001")).body("{}"))
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    issue(&r);
}

#[tokio::test]
async fn unknown_type_is_404() {
    let sb = sandbox().await;
    let c = Client::new(&sb, Some(admin(&sb)));
    for path in ["patient", "patient/p000001", "Immunization?_count=1"] {
        let r = c.get(path).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        let d = issue(&r);
        assert!(d.contains("Unknown resource type"), "{d}");
    }
    assert!(issue(&c.get("patient").await).contains("`patient`"));
}

#[tokio::test]
async fn tokens_and_scopes_are_enforced() {
    let sb = sandbox().await;
    let anon = Client::new(&sb, None);
    let r = anon.get("Patient/p000001").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let www = r.header("www-authenticate");
    assert!(www.starts_with("Bearer realm=\"smart-sandbox\""), "{www}");
    assert!(www.contains("error="), "{www}");
    issue(&r);

    let bogus = Client::new(&sb, Some("not-a-token".into()));
    let r = bogus.get("Patient").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.header("www-authenticate").contains("invalid_token"));

    let expired = sb.issue_access_token(grant("user/*.cruds", None, -10));
    let r = Client::new(&sb, Some(expired)).get("Patient").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.header("www-authenticate").contains("invalid_token"));

    // Metadata needs no token.
    assert_eq!(anon.get("metadata").await.status, StatusCode::OK);

    // Read-only Patient scope.
    let c = Client::new(&sb, Some(token(&sb, "user/Patient.rs", None)));
    c.ok("Patient/p000001").await;
    let r = c.get("Observation?patient=p000001").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    issue(&r);
    let r = c
        .post_json("Patient", &json!({"resourceType": "Patient"}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = c.send(c.http.delete(c.url("Patient/p000001"))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn patient_tokens_see_only_their_compartment() {
    let sb = sandbox().await;
    let c = Client::new(&sb, Some(token(&sb, "patient/*.cruds", Some("p000001"))));
    c.ok("Patient/p000001").await;
    let r = c.get("Patient/p000002").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    issue(&r);

    let pats = c.ok("Patient?_count=1000").await;
    assert_eq!(ids(&pats), vec!["p000001"]);
    let obs = c.ok("Observation?_count=1000").await;
    assert!(total(&obs) >= 8);
    assert!(
        resources(&obs)
            .iter()
            .all(|o| o["subject"]["reference"] == "Patient/p000001")
    );
    assert_eq!(total(&c.ok("Observation?patient=p000002").await), 0);
    assert_eq!(total(&c.ok("Patient?_id=p000002").await), 0);
    let other = Client::new(&sb, Some(admin(&sb)));
    let other_obs = other.ok("Observation?patient=p000002&_count=1").await;
    let oid = ids(&other_obs)[0].clone();
    assert_eq!(
        c.get(&format!("Observation/{oid}")).await.status,
        StatusCode::FORBIDDEN
    );
    let mine = ids(&obs)[0].clone();
    c.ok(&format!("Observation/{mine}")).await;

    // Writes stay in the compartment too.
    let obs_for = |p: &str| {
        json!({
            "resourceType": "Observation",
            "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
            "subject": {"reference": format!("Patient/{p}")},
            "valueQuantity": {"value": 70, "unit": "/min", "system": "http://unitsofmeasure.org", "code": "/min"}
        })
    };
    let r = c.post_json("Observation", &obs_for("p000002")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = c.post_json("Observation", &obs_for("p000001")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(
        total(&c.ok("Observation?_count=1000").await),
        total(&obs) + 1
    );
    let r = c
        .send(c.http.delete(c.url(&format!("Observation/{oid}"))))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // A patient scope without a patient in the grant permits nothing.
    let nobody = Client::new(&sb, Some(token(&sb, "patient/*.rs", None)));
    assert_eq!(nobody.get("Patient").await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn data_is_deterministic_per_seed() {
    let a = start(Options {
        seed: 42,
        ..Default::default()
    })
    .await;
    let b = start(Options {
        seed: 42,
        ..Default::default()
    })
    .await;
    let d = start(Options {
        seed: 43,
        ..Default::default()
    })
    .await;
    let get = |sb: &Sandbox| {
        let c = Client::new(sb, Some(admin(sb)));
        async move {
            let p = c.get("Patient?_count=20").await.json();
            let o = c.get("Observation?patient=p000005&_count=50").await.json();
            (resources(&p), resources(&o))
        }
    };
    let (pa, oa) = get(&a).await;
    let (pb, ob) = get(&b).await;
    let (pd, _) = get(&d).await;
    assert_eq!(pa, pb);
    assert_eq!(oa, ob);
    assert_ne!(pa, pd);
    let choices = a.patient_choices(3);
    assert_eq!(choices.len(), 3);
    assert_eq!(choices[0].0, "p000001");
    assert_eq!(
        choices[0].1,
        pa[0]["name"][0]["text"].as_str().unwrap().to_string()
    );
}

#[tokio::test]
async fn large_population_starts_fast() {
    let t = std::time::Instant::now();
    let sb = start(Options {
        patients: 100_000,
        ..Default::default()
    })
    .await;
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    let c = Client::new(&sb, Some(admin(&sb)));
    let b = c.ok("Patient?_count=1000&_offset=99000").await;
    assert_eq!(total(&b), 100_000);
    assert_eq!(ids(&b).len(), 1000);
    assert_eq!(ids(&b).last().unwrap(), "p100000");
    c.ok("Patient/p100000").await;
}

#[tokio::test]
async fn metadata_has_smart_security() {
    let sb = sandbox().await;
    let c = Client::new(&sb, None);
    let r = c.get("metadata").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.header("content-type"),
        "application/fhir+json; charset=utf-8"
    );
    let m = r.json();
    assert_eq!(m["resourceType"], "CapabilityStatement");
    assert_eq!(m["fhirVersion"], "4.0.1");
    let rest = &m["rest"][0];
    assert_eq!(rest["mode"], "server");
    assert_eq!(
        rest["security"]["service"][0]["coding"][0]["code"],
        "SMART-on-FHIR"
    );
    let ext = rest["security"]["extension"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| {
            e["url"] == "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"
        })
        .expect("oauth-uris");
    let uri = |name: &str| {
        ext["extension"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["url"] == name)
            .and_then(|e| e["valueUri"].as_str())
            .map(str::to_owned)
    };
    for name in ["authorize", "token", "register", "introspect", "revoke"] {
        assert_eq!(
            uri(name).as_deref(),
            Some(sb.auth_url(name).as_str()),
            "{name}"
        );
    }
    let types: Vec<&str> = rest["resource"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "Patient",
            "Practitioner",
            "Encounter",
            "Observation",
            "Condition",
            "MedicationRequest",
            "DiagnosticReport",
            "DocumentReference",
            "Medication",
            "Organization",
            "Location",
            "PractitionerRole",
            // The content of attachments, read only.
            "Binary",
            // For its `$export` only.
            "Group"
        ]
    );
    let patient = &rest["resource"][0];
    assert!(
        patient["searchParam"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "birthdate" && p["type"] == "date")
    );
}

#[tokio::test]
async fn fault_http_429_every_other_call() {
    let sb = start(Options {
        faults: Faults::parse(&["http-429".into()]).unwrap(),
        ..Default::default()
    })
    .await;
    assert!(sb.options().faults.has(Fault::Http429));
    let c = Client::new(&sb, Some(admin(&sb)));
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let r = c.get("Patient/p000001").await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(r.header("retry-after"), "1");
            issue(&r);
        }
        statuses.push(r.status.as_u16());
        // metadata is never throttled and does not count.
        assert_eq!(c.get("metadata").await.status, StatusCode::OK);
    }
    assert_eq!(statuses, [429, 200, 429, 200]);
}

#[tokio::test]
async fn fault_bad_json_truncates_bodies() {
    let sb = start(Options {
        faults: Faults::parse(&["bad-json".into()]).unwrap(),
        ..Default::default()
    })
    .await;
    let c = Client::new(&sb, Some(admin(&sb)));
    for path in ["Patient/p000001", "Patient?_count=3", "metadata"] {
        let r = c.get(path).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(!r.text.is_empty());
        assert!(
            serde_json::from_str::<Value>(&r.text).is_err(),
            "{path} should be broken"
        );
    }
}

// ---- proxy mode ---------------------------------------------------------

/// A sandbox in proxy mode in front of `up`.
async fn proxying_to(up: &str) -> Sandbox {
    start(Options {
        upstream: Some(url::Url::parse(up).unwrap()),
        ..Default::default()
    })
    .await
}

/// What the fake upstream saw.
#[derive(Default)]
struct Seen {
    requests: Vec<(String, String, Option<String>)>,
    /// The `Accept` of each request.
    accepts: Vec<String>,
}

/// A plain (no auth) FHIR server with two patients and one observation each,
/// whose responses carry its own absolute URLs.
async fn upstream() -> (String, Arc<Mutex<Seen>>, tokio::task::JoinHandle<()>) {
    use axum::extract::{Path, RawQuery, State};
    use axum::http::HeaderMap;
    use axum::response::IntoResponse;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/r4", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Seen::default()));
    type S = (String, Arc<Mutex<Seen>>);
    fn record(s: &S, path: &str, q: &Option<String>, h: &HeaderMap) {
        let accept = h
            .get("accept")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        s.1.lock().unwrap().accepts.push(accept);
        s.1.lock().unwrap().requests.push((
            path.to_string(),
            q.clone().unwrap_or_default(),
            h.get("authorization")
                .map(|v| v.to_str().unwrap().to_string()),
        ));
    }
    fn patient(id: &str) -> Value {
        json!({"resourceType": "Patient", "id": id, "name": [{"family": format!("Up{id}")}]})
    }
    fn obs(id: &str, p: &str) -> Value {
        json!({"resourceType": "Observation", "id": id, "status": "final",
               "code": {"text": "x"}, "subject": {"reference": format!("Patient/{p}")}})
    }
    let fhir = |v: Value| {
        (
            [
                ("content-type", "application/fhir+json"),
                ("etag", "W/\"7\""),
            ],
            v.to_string(),
        )
            .into_response()
    };
    let app = axum::Router::new()
        .route(
            "/r4/metadata",
            axum::routing::get(move || async move {
                fhir(json!({"resourceType": "CapabilityStatement", "fhirVersion": "4.0.1",
                            "rest": [{"mode": "server"}]}))
            }),
        )
        .route(
            "/r4/{ty}",
            axum::routing::get(
                move |State(s): State<S>, Path(ty): Path<String>, RawQuery(q): RawQuery, h: HeaderMap| async move {
                    record(&s, &ty, &q, &h);
                    let base = &s.0;
                    let entries: Vec<Value> = match ty.as_str() {
                        "Patient" => vec![patient("1"), patient("2")],
                        _ => vec![obs("o1", "1"), obs("o2", "2")],
                    }
                    .into_iter()
                    .map(|r| json!({"fullUrl": format!("{base}/{ty}/{}", r["id"].as_str().unwrap()), "resource": r}))
                    .collect();
                    fhir(json!({"resourceType": "Bundle", "type": "searchset", "total": 2,
                        "link": [{"relation": "self", "url": format!("{base}/{ty}?{}", q.clone().unwrap_or_default())},
                                 {"relation": "next", "url": format!("{base}/{ty}?page=2")}],
                        "entry": entries}))
                },
            )
            .post(
                move |State(s): State<S>, Path(ty): Path<String>, h: HeaderMap, body: String| async move {
                    record(&s, &ty, &None, &h);
                    let mut v: Value = serde_json::from_str(&body).unwrap();
                    v["id"] = json!("new1");
                    let mut r = fhir(v);
                    *r.status_mut() = axum::http::StatusCode::CREATED;
                    r.headers_mut().insert(
                        "location",
                        format!("{}/{ty}/new1/_history/1", s.0).parse().unwrap(),
                    );
                    r
                },
            ),
        )
        .route(
            "/r4/{ty}/{id}",
            axum::routing::get(
                move |State(s): State<S>, Path((ty, id)): Path<(String, String)>, RawQuery(q): RawQuery, h: HeaderMap| async move {
                    record(&s, &format!("{ty}/{id}"), &q, &h);
                    // Like real servers, XML when asked for it.
                    let xml = h.get("accept").is_some_and(|a| a.to_str().unwrap().contains("xml"))
                        || q.as_deref().is_some_and(|q| q.contains("_format=xml"));
                    if xml {
                        return (
                            [("content-type", "application/fhir+xml")],
                            format!(r#"<{ty} xmlns="http://hl7.org/fhir"><id value="{id}"/></{ty}>"#),
                        )
                            .into_response();
                    }
                    match ty.as_str() {
                        "Patient" => fhir(patient(&id)),
                        _ => fhir(obs(&id, if id == "o1" { "1" } else { "2" })),
                    }
                },
            ),
        )
        .with_state((base.clone(), seen.clone()));
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (base, seen, task)
}

#[tokio::test]
async fn proxy_forwards_and_rewrites() {
    let (up, seen, task) = upstream().await;
    let sb = proxying_to(&up).await;
    let c = Client::new(&sb, Some(admin(&sb)));
    let b = c.ok("Patient?family=Up").await;
    assert_eq!(total(&b), 2);
    let text = b.to_string();
    assert!(!text.contains(&up), "upstream URL leaked: {text}");
    assert_eq!(b["entry"][0]["fullUrl"], format!("{}/Patient/1", c.base));
    assert_eq!(b["link"][1]["url"], format!("{}/Patient?page=2", c.base));
    let r = c.get("Patient/2").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("etag"), "W/\"7\"");
    assert_eq!(r.json()["id"], "2");
    // POST _search is forwarded with the same parameters.
    let r = c
        .send(
            c.http
                .post(c.url("Patient/_search"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body("family=Up"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // Create: Location is rewritten.
    let r = c
        .post_json(
            "Observation",
            &json!({"resourceType": "Observation", "status": "final"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(
        r.header("location"),
        format!("{}/Observation/new1/_history/1", c.base)
    );
    // The metadata is the upstream's, with our security block.
    let m = Client::new(&sb, None).ok("metadata").await;
    assert_eq!(
        m["rest"][0]["security"]["extension"][0]["url"],
        "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"
    );
    {
        let seen = seen.lock().unwrap();
        assert!(seen.requests.iter().all(|(_, _, auth)| auth.is_none()));
        assert!(
            seen.requests
                .contains(&("Patient".into(), "family=Up".into(), None))
        );
        assert_eq!(
            seen.requests
                .iter()
                .filter(|(p, q, _)| p == "Patient" && q == "family=Up")
                .count(),
            2
        );
    }

    // No token, no forwarding.
    let before = seen.lock().unwrap().requests.len();
    assert_eq!(
        Client::new(&sb, None).get("Patient").await.status,
        StatusCode::UNAUTHORIZED
    );
    let c2 = Client::new(&sb, Some(token(&sb, "user/Patient.rs", None)));
    assert_eq!(c2.get("Observation").await.status, StatusCode::FORBIDDEN);
    assert_eq!(seen.lock().unwrap().requests.len(), before);
    task.abort();
}

#[tokio::test]
async fn proxy_asks_for_json_so_a_patient_token_cannot_read_another_patient_as_xml() {
    let (up, seen, task) = upstream().await;
    let sb = proxying_to(&up).await;
    let c = Client::new(&sb, Some(token(&sb, "patient/*.rs", Some("1"))));
    let r = c
        .send(
            c.http
                .get(c.url("Patient/2"))
                .header("accept", "application/fhir+xml"),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let r = c.get("Patient/2?_format=xml").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert!(!r.text.contains("<Patient"), "{}", r.text);
    c.ok("Patient/1?_format=xml").await;
    {
        let seen = seen.lock().unwrap();
        assert!(!seen.accepts.is_empty());
        assert!(
            seen.accepts.iter().all(|a| a == "application/fhir+json"),
            "the upstream was asked for JSON only: {:?}",
            seen.accepts
        );
        assert!(
            seen.requests.iter().all(|(_, q, _)| !q.contains("_format")),
            "_format is not forwarded"
        );
    }
    task.abort();
}

#[tokio::test]
async fn proxy_confines_patient_tokens() {
    let (up, seen, task) = upstream().await;
    let sb = proxying_to(&up).await;
    let c = Client::new(&sb, Some(token(&sb, "patient/*.rs", Some("1"))));
    let b = c.ok("Observation").await;
    // The upstream ignores `patient=`, so the proxy's own filter kicks in.
    assert_eq!(ids(&b), vec!["o1"]);
    let p = c.ok("Patient").await;
    assert_eq!(ids(&p), vec!["1"]);
    {
        let seen = seen.lock().unwrap();
        assert!(
            seen.requests
                .contains(&("Observation".into(), "patient=1".into(), None))
        );
        assert!(
            seen.requests
                .contains(&("Patient".into(), "_id=1".into(), None))
        );
    }
    c.ok("Patient/1").await;
    c.ok("Observation/o1").await;
    assert_eq!(c.get("Patient/2").await.status, StatusCode::FORBIDDEN);
    assert_eq!(c.get("Observation/o2").await.status, StatusCode::FORBIDDEN);
    assert!(sb.patient_choices(5).is_empty());
    task.abort();
}

/// An upstream under `/r4` that records the path of every request it gets
/// and answers each with an empty Bundle (so a request that climbed out of
/// `/r4` would look like a success).
async fn recording_upstream() -> (String, Arc<Mutex<Vec<String>>>, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/r4", listener.local_addr().unwrap());
    let paths = Arc::new(Mutex::new(Vec::new()));
    let seen = paths.clone();
    let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
        let seen = seen.clone();
        async move {
            seen.lock().unwrap().push(uri.path().to_owned());
            (
                [("content-type", "application/fhir+json")],
                json!({"resourceType": "Bundle", "type": "searchset", "total": 0}).to_string(),
            )
        }
    });
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (base, paths, task)
}

#[tokio::test]
async fn proxy_refuses_paths_that_climb_out_of_the_upstream_base() {
    let (up, paths, task) = recording_upstream().await;
    let sb = proxying_to(&up).await;
    let t = admin(&sb);
    for target in [
        "/fhir/Patient/../../admin",
        "/fhir/Patient/../admin",
        "/fhir/Patient/./../../admin",
        "/fhir/Patient/%2e%2e/%2e%2e/admin",
        "/fhir/Patient/%2E%2E/%2E%2E/admin",
        "/fhir/Patient/.%2e/%2e./admin",
        "/fhir/Patient/..%2f..%2fadmin",
        "/fhir/Patient/..%2F..%2Fadmin",
        "/fhir/Patient/..%5c..%5cadmin",
        "/fhir/Patient/%2e%2e%5C%2e%2e%5Cadmin",
        "/fhir/Patient/1/%2e%2e%2f%2e%2e%2f%2e%2e%2fadmin",
    ] {
        let r = raw::get(&sb, target, &t).await;
        assert_eq!(raw::status(&r), 400, "{target}: {r}");
        assert!(r.contains("\"OperationOutcome\""), "{target}: {r}");
    }
    let climbed: Vec<String> = paths
        .lock()
        .unwrap()
        .iter()
        .filter(|p| p.contains("admin"))
        .cloned()
        .collect();
    assert!(climbed.is_empty(), "the upstream was asked for {climbed:?}");
    // Ordinary paths still go through, segment by segment.
    let r = raw::get(&sb, "/fhir/Patient/a-1.b", &t).await;
    assert_eq!(raw::status(&r), 200, "{r}");
    let r = raw::get(&sb, "/fhir/Patient/x%20y", &t).await;
    assert_eq!(raw::status(&r), 200, "{r}");
    assert_eq!(
        *paths.lock().unwrap(),
        vec![
            "/r4/Patient/a-1.b".to_owned(),
            "/r4/Patient/x%20y".to_owned()
        ]
    );
    task.abort();
}

#[tokio::test]
async fn proxy_refuses_path_parameters() {
    let (up, paths, task) = recording_upstream().await;
    let sb = proxying_to(&up).await;
    let t = admin(&sb);
    for target in [
        "/fhir/Patient/..;/..;/admin",
        "/fhir/Patient/..;x=1/admin",
        "/fhir/Patient/..%3b/..%3B/admin",
        "/fhir/Patient;jsessionid=1",
        "/fhir/Patient/1;v=2",
    ] {
        let r = raw::get(&sb, target, &t).await;
        assert_eq!(raw::status(&r), 400, "{target}: {r}");
        assert!(r.contains("path parameters"), "{target}: {r}");
    }
    assert!(
        paths.lock().unwrap().is_empty(),
        "the upstream was asked for {:?}",
        paths.lock().unwrap()
    );
    // A `;` in the query is no path parameter.
    let r = raw::get(&sb, "/fhir/Patient?name=a;b", &t).await;
    assert_eq!(raw::status(&r), 200, "{r}");
    assert_eq!(*paths.lock().unwrap(), vec!["/r4/Patient".to_owned()]);
    task.abort();
}

#[tokio::test]
async fn quirk_retry_after_hours() {
    let sb = smart_sandbox::Sandbox::start(smart_sandbox::Options {
        patients: 5,
        quirks: smart_sandbox::Quirks::parse(&["retry-after-hours".into()]).unwrap(),
        ..Default::default()
    })
    .await
    .unwrap();
    let base = sb.fhir_base().as_str().trim_end_matches('/').to_owned();
    let c = reqwest::Client::new();
    let mut statuses = Vec::new();
    for _ in 0..2 {
        let r = c.get(format!("{base}/Patient")).send().await.unwrap();
        assert_eq!(r.headers()["retry-after"], "7200");
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses, [429, 503]);
    let r = c.get(format!("{base}/metadata")).send().await.unwrap();
    assert_eq!(
        r.status().as_u16(),
        200,
        "the CapabilityStatement is served"
    );
}
