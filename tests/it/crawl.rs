//! `smart export --crawl` against the in-process sandbox: the searches it
//! makes (one per patient and type, the compartment parameter, `_count`,
//! `_lastUpdated` for `--since`), the files it writes (a bulk export's
//! layout, each resource once), resume after SIGKILL with no duplicates,
//! a type the server refuses, throttling, a crawl and a bulk export of the
//! same data holding the same resources, and numbered incremental exports
//! (`--since auto`). Assertions are on what the sandbox's journal received
//! and on the files on disk.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;
use smart_sandbox::{Options, Quirks, Received};

use crate::export::{Bulk, bulk, faults};
use crate::support::Out;

/// The types the sandbox has of the Patient compartment: a crawl's default.
const TYPES: [&str; 7] = [
    "Patient",
    "Encounter",
    "Observation",
    "Condition",
    "MedicationRequest",
    "DiagnosticReport",
    "DocumentReference",
];

fn no_bulk(o: &mut Options) {
    o.quirks = Quirks::parse(&["no-bulk-export".to_owned()]).expect("known quirk");
}

/// `smart -p svc export --crawl --out DIR ARGS…`
fn crawl(b: &Bulk, dir: &Path, args: &[&str]) -> Out {
    let o = b
        .env
        .cmd()
        .args(["-p", "svc", "export", "--crawl", "--out"])
        .arg(dir)
        .args(args)
        .output()
        .expect("smart runs");
    Out::of(o)
}

fn crawl_ok(b: &Bulk, dir: &Path, args: &[&str]) -> Out {
    let o = crawl(b, dir, args);
    assert_eq!(
        o.code, 0,
        "smart export --crawl {args:?} failed:\n{}",
        o.stderr
    );
    o
}

/// The searches the sandbox received: (type, query) for GETs of a type.
fn searches(journal: &[Received]) -> Vec<(String, Vec<(String, String)>)> {
    journal
        .iter()
        .filter(|r| r.method == "GET")
        .filter_map(|r| {
            let t = r.path.strip_prefix("/fhir/")?;
            (!t.contains('/') && t != "metadata").then(|| (t.to_owned(), r.query.clone()))
        })
        .collect()
}

fn param<'a>(q: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    q.iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

/// The `<Type>.<n>.ndjson` files of a directory: (type, id) → line, each
/// checked to be a resource of its file's type, none twice.
fn resources(dir: &Path) -> BTreeMap<String, BTreeMap<String, Value>> {
    let mut out: BTreeMap<String, BTreeMap<String, Value>> = BTreeMap::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(t) = name
            .strip_suffix(".ndjson")
            .and_then(|n| n.split('.').next())
        else {
            continue;
        };
        if name == "log.ndjson" {
            continue;
        }
        let text = std::fs::read_to_string(e.path()).unwrap();
        for line in text.lines() {
            let v: Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("{name}: {e}: {line}"));
            assert_eq!(v["resourceType"], t, "{name}");
            let id = v["id"].as_str().unwrap().to_owned();
            assert!(
                out.entry(t.to_owned())
                    .or_default()
                    .insert(id.clone(), v)
                    .is_none(),
                "{name}: {t}/{id} twice"
            );
        }
    }
    out
}

fn ids(r: &BTreeMap<String, BTreeMap<String, Value>>) -> BTreeMap<String, BTreeSet<String>> {
    r.iter()
        .map(|(t, m)| (t.clone(), m.keys().cloned().collect()))
        .collect()
}

fn log_events(dir: &Path) -> Vec<Value> {
    std::fs::read_to_string(dir.join("log.ndjson"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The patient a resource belongs to (`Patient/x` of its subject, or its
/// own id for a Patient).
fn patient_of(t: &str, v: &Value) -> String {
    if t == "Patient" {
        return v["id"].as_str().unwrap().to_owned();
    }
    v["subject"]["reference"]
        .as_str()
        .and_then(|r| r.strip_prefix("Patient/"))
        .unwrap_or_else(|| panic!("{t} without a patient subject: {v}"))
        .to_owned()
}

#[test]
fn a_crawl_searches_each_patient_and_type_and_writes_a_bulk_layout() {
    let b = bulk(no_bulk);
    let dir = b.env.dir().join("crawl");
    let o = crawl_ok(&b, &dir, &["--json"]);
    let journal = b.journal();
    assert!(
        !journal.iter().any(|r| r.path.contains("$export")),
        "a crawl never asks for $export"
    );
    assert!(journal.iter().any(|r| r.path == "/fhir/metadata"));
    let s = searches(&journal);
    // The cohort: every Patient, paged with a large _count.
    let cohort: Vec<&(String, Vec<(String, String)>)> = s
        .iter()
        .filter(|(t, q)| t == "Patient" && param(q, "_id").is_empty())
        .collect();
    assert_eq!(cohort.len(), 1, "{cohort:?}");
    assert_eq!(param(&cohort[0].1, "_count"), ["1000"]);
    let files = resources(&dir);
    let patients: BTreeSet<String> = files["Patient"].keys().cloned().collect();
    assert_eq!(patients.len(), 20);
    // One search per patient and type, with the compartment parameter.
    for t in TYPES {
        let by: Vec<String> = s
            .iter()
            .filter(|(st, q)| st == t && (t != "Patient" || !param(q, "_id").is_empty()))
            .map(|(_, q)| {
                assert_eq!(param(q, "_count"), ["1000"], "{t} {q:?}");
                assert!(param(q, "_lastUpdated").is_empty(), "{q:?}");
                let key = if t == "Patient" { "_id" } else { "patient" };
                param(q, key)[0].to_owned()
            })
            .collect();
        let set: BTreeSet<String> = by.iter().cloned().collect();
        assert_eq!(by.len(), 20, "{t}: one search per patient");
        assert_eq!(set, patients, "{t}");
    }
    for r in journal.iter().filter(|r| {
        r.path.starts_with("/fhir/")
            && !r.path.contains("well-known")
            && !r.path.ends_with("/metadata")
    }) {
        assert!(r.headers.contains_key("authorization"), "{}", r.path);
    }
    // Every resource belongs to a cohort patient; the summary counts them.
    let summary = o.json();
    for (t, m) in &files {
        for v in m.values() {
            assert!(patients.contains(&patient_of(t, v)));
        }
        assert_eq!(summary["resources"][t], m.len() as u64, "{t}");
    }
    assert!(files["Observation"].len() > 50);
    assert_eq!(summary["crawl"]["patients"], 20);
    assert_eq!(
        summary["crawl"]["types"].as_array().unwrap().len(),
        TYPES.len()
    );
    for f in summary["file_list"].as_array().unwrap() {
        let p = f["path"].as_str().unwrap();
        assert!(p.ends_with(".1.ndjson"), "{p}");
        assert_eq!(
            std::fs::metadata(dir.join(p)).unwrap().len(),
            f["bytes"].as_u64().unwrap()
        );
    }
    // log.ndjson as a bulk export's: kickoff, status_complete, export_complete.
    let log = log_events(&dir);
    let ev: Vec<&str> = log.iter().map(|l| l["eventId"].as_str().unwrap()).collect();
    assert_eq!(ev, ["kickoff", "status_complete", "export_complete"]);
    assert!(
        log[0]["eventDetail"]["exportUrl"]
            .as_str()
            .unwrap()
            .ends_with("/fhir/$export")
    );
    assert!(
        log[1]["eventDetail"]["transactionTime"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("Patient.1.ndjson"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "files are private");
    }
}

#[test]
fn a_crawl_and_a_bulk_export_hold_the_same_resources_per_type() {
    let b = bulk(|_| {});
    let bulk_dir = b.env.dir().join("bulk");
    let o = b
        .env
        .cmd()
        .args(["-p", "svc", "export", "patient", "--out"])
        .arg(&bulk_dir)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let crawl_dir = b.env.dir().join("crawl");
    crawl_ok(&b, &crawl_dir, &[]);
    let (from_bulk, from_crawl) = (resources(&bulk_dir), resources(&crawl_dir));
    assert_eq!(
        from_bulk.keys().collect::<Vec<_>>(),
        from_crawl.keys().collect::<Vec<_>>()
    );
    assert_eq!(ids(&from_bulk), ids(&from_crawl));
    // The same resources, not only the same ids.
    for (t, m) in &from_bulk {
        for (id, v) in m {
            assert_eq!(&from_crawl[t][id], v, "{t}/{id}");
        }
    }
}

#[test]
fn without_export_the_bulk_command_names_crawl() {
    let b = bulk(no_bulk);
    let o = b.export(&[]);
    assert_eq!(o.code, 3, "{}", o.stderr);
    assert!(o.stderr.contains("--crawl"), "{}", o.stderr);
    assert!(b.journal().iter().any(|r| r.path == "/fhir/metadata"));
}
