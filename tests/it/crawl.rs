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

/// The patient ids of the sandbox, in its order.
fn patient_ids(b: &Bulk, n: usize) -> Vec<String> {
    let token = b.env.token("svc");
    let (status, bundle) = crate::backend_support::fhir_get(
        &b.env.sb.fhir_base,
        &format!("Patient?_count={n}"),
        &token,
    );
    assert_eq!(status, 200);
    bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["resource"]["id"].as_str().unwrap().to_owned())
        .collect()
}

/// The (type, patient) of every search a crawl made for its units.
fn units(journal: &[Received]) -> Vec<(String, String)> {
    searches(journal)
        .into_iter()
        .filter_map(|(t, q)| {
            let key = if t == "Patient" { "_id" } else { "patient" };
            param(&q, key).first().map(|p| (t.clone(), (*p).to_owned()))
        })
        .collect()
}

#[test]
fn a_crawl_killed_mid_way_resumes_from_its_journal_without_duplicates() {
    let b = bulk(no_bulk);
    let dir = b.out.clone();
    // Slow enough to be caught mid-way: 141 requests at 12 a second.
    let mut child = b.spawn(&["--crawl", "--max-rate", "12", "--parallel", "2"]);
    let journal_file = dir.join(".smart-crawl.journal");
    let until = Instant::now() + Duration::from_secs(120);
    loop {
        let text = std::fs::read_to_string(&journal_file).unwrap_or_default();
        if text.lines().any(|l| l.contains("\"done\"")) {
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the crawl ended before it was killed"
        );
        assert!(Instant::now() < until, "no finished search was journaled");
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    // What the journal vouched for at the kill, as (type, patient).
    let state: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join(".smart-crawl.json")).unwrap())
            .unwrap();
    let types: Vec<String> = state["types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["type"].as_str().unwrap().to_owned())
        .collect();
    let patients: Vec<String> = state["patients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_owned())
        .collect();
    let mut done: HashSet<(String, String)> = HashSet::new();
    for l in std::fs::read_to_string(&journal_file).unwrap().lines() {
        let Ok(v) = serde_json::from_str::<Value>(l) else {
            continue; // a torn last line
        };
        for u in v["done"]["units"].as_array().into_iter().flatten() {
            let (p, t) = (u[0].as_u64().unwrap(), u[1].as_u64().unwrap());
            done.insert((types[t as usize].clone(), patients[p as usize].clone()));
        }
    }
    let all = types.len() * patients.len();
    assert!(
        !done.is_empty() && done.len() < all,
        "{} of {all} done at the kill",
        done.len()
    );
    let before = b.journal().len();
    // --resume finds the crawl in DIR by itself (no --crawl needed).
    let o = b.ok(&["--resume", "--json"]);
    let after = &b.journal()[before..];
    assert!(
        !after.iter().any(|r| r.path.ends_with("/fhir/metadata")),
        "a resume crawls the saved plan"
    );
    let again = units(after);
    for u in &again {
        assert!(
            !done.contains(u),
            "{u:?} was searched again after the journal had it"
        );
    }
    let again: HashSet<(String, String)> = again.into_iter().collect();
    assert_eq!(again.len() + done.len(), all, "every other search is made");
    // The files: each resource once, the same as an uninterrupted crawl.
    let resumed = resources(&dir);
    let fresh_dir = b.env.dir().join("fresh");
    crawl_ok(&b, &fresh_dir, &[]);
    assert_eq!(ids(&resumed), ids(&resources(&fresh_dir)));
    let summary = o.json();
    for (t, m) in &resumed {
        assert_eq!(summary["resources"][t], m.len() as u64, "{t}");
    }
    assert!(
        !journal_file.exists(),
        "the snapshot holds the journal at the end"
    );
}

/// A sandbox whose backend client may ask `scope` (profile `svc`).
fn scoped(scope: &str, f: impl FnOnce(&mut Options)) -> Bulk {
    use crate::backend_support::{Env, backend_client, keygen, sandbox_with};
    let keys = tempfile::tempdir().unwrap();
    let (key, jwks) = keygen(keys.path(), "ES384", None);
    let sb = sandbox_with(keys.path(), vec![backend_client("svc", jwks)], |o| {
        o.patients = 20;
        f(o);
    });
    let env = Env::new(sb);
    env.cmd()
        .args(["profile", "add", "svc", "--fhir-base", &env.sb.fhir_base])
        .args(["--client-id", "svc", "--client-type", "backend"])
        .args(["--scope", scope, "--private-key"])
        .arg(&key)
        .assert()
        .success();
    let out = env.dir().join("out");
    Bulk::from_parts(keys, env, out)
}

#[test]
fn a_type_the_server_refuses_is_reported_and_the_scopes_narrow_the_defaults() {
    let b = scoped("system/Patient.rs system/Observation.rs", no_bulk);
    // Named types are tried; the server's 403 for Condition is reported.
    let dir = b.env.dir().join("named");
    let o = crawl_ok(
        &b,
        &dir,
        &["--type", "Patient,Observation,Condition", "--json"],
    );
    let summary = o.json();
    let refused = summary["crawl"]["refused"]["Condition"].as_str().unwrap();
    assert!(refused.contains("403"), "{refused}");
    assert!(o.stderr.contains("Condition is left out"), "{}", o.stderr);
    assert!(summary["resources"].get("Condition").is_none());
    assert!(!dir.join("Condition.1.ndjson").exists());
    let files = resources(&dir);
    assert_eq!(files["Patient"].len(), 20);
    assert!(!files["Observation"].is_empty());
    let conditions = units(&b.journal())
        .into_iter()
        .filter(|(t, _)| t == "Condition")
        .count();
    assert!(
        (1..20).contains(&conditions),
        "a refused type is not searched for every patient ({conditions})"
    );
    // By default only what the token may search is crawled.
    let before = b.journal().len();
    let dir = b.env.dir().join("default");
    let o = crawl_ok(&b, &dir, &["--json"]);
    let summary = o.json();
    let types: Vec<&str> = summary["crawl"]["types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert_eq!(types, ["Patient", "Observation"]);
    assert!(
        summary["crawl"]["left_out"]["Encounter"]
            .as_str()
            .unwrap()
            .contains("scopes")
    );
    let searched: BTreeSet<String> = units(&b.journal()[before..])
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    assert_eq!(
        searched,
        ["Observation".to_string(), "Patient".to_string()].into()
    );
}

#[test]
fn throttling_is_waited_out_and_max_rate_keeps_under_the_limit() {
    let b = bulk(|o| {
        no_bulk(o);
        o.patients = 3;
        o.faults = faults(&["rate-limited"]);
        o.rate_limit = 10;
    });
    // First, on a quiet server: at 2 requests a second (a fifth of the
    // limit, so that a stall of the loaded test machine cannot bunch them
    // past it) nothing is throttled, so nothing is made twice.
    let dir = b.env.dir().join("polite");
    crawl_ok(&b, &dir, &["--parallel", "8", "--max-rate", "2"]);
    let made = units(&b.journal());
    let distinct: HashSet<&(String, String)> = made.iter().collect();
    assert_eq!(distinct.len(), 3 * TYPES.len());
    assert_eq!(made.len(), distinct.len(), "no search was throttled");
    let polite = ids(&resources(&dir));
    // Then 8 at once: past 10 a second the sandbox answers 429 with
    // Retry-After, and those searches are made again after it.
    let before = b.journal().len();
    let dir = b.env.dir().join("fast");
    crawl_ok(&b, &dir, &["--parallel", "8"]);
    let made = units(&b.journal()[before..]);
    let distinct: HashSet<&(String, String)> = made.iter().collect();
    assert_eq!(distinct.len(), 3 * TYPES.len());
    assert!(
        made.len() > distinct.len(),
        "some searches were throttled and made again"
    );
    assert_eq!(ids(&resources(&dir)), polite);
}

#[test]
fn cohorts_from_a_group_a_file_of_ids_a_csv_and_an_earlier_export() {
    let b = bulk(|_| {});
    let all = patient_ids(&b, 20);
    // Group/sample: every 10th patient.
    let dir = b.env.dir().join("group");
    crawl_ok(&b, &dir, &["group", "sample"]);
    let journal = b.journal();
    assert!(
        journal
            .iter()
            .any(|r| r.method == "GET" && r.path == "/fhir/Group/sample")
    );
    let group: BTreeSet<String> = resources(&dir)["Patient"].keys().cloned().collect();
    assert!(!group.is_empty() && group.len() < 20, "{group:?}");
    // A file of ids, and a CSV with an ID column.
    let list = b.env.dir().join("ids.txt");
    std::fs::write(&list, format!("# two\n{}\n{}\n", all[0], all[1])).unwrap();
    let dir = b.env.dir().join("file");
    crawl_ok(&b, &dir, &["--patients", list.to_str().unwrap()]);
    let got: BTreeSet<String> = resources(&dir)["Patient"].keys().cloned().collect();
    assert_eq!(got, [all[0].clone(), all[1].clone()].into());
    let csv = b.env.dir().join("ids.csv");
    std::fs::write(&csv, format!("name,ID\n\"Doe, J\",{}\n", all[2])).unwrap();
    let dir2 = b.env.dir().join("csv");
    crawl_ok(&b, &dir2, &["--patients", csv.to_str().unwrap()]);
    let got: BTreeSet<String> = resources(&dir2)["Patient"].keys().cloned().collect();
    assert_eq!(got, [all[2].clone()].into());
    // An earlier export's directory: its Patients.
    let before = b.journal().len();
    let dir3 = b.env.dir().join("again");
    crawl_ok(
        &b,
        &dir3,
        &["--patients", dir.to_str().unwrap(), "--type", "Condition"],
    );
    let searched: BTreeSet<String> = units(&b.journal()[before..])
        .into_iter()
        .map(|(_, p)| p)
        .collect();
    assert_eq!(searched, [all[0].clone(), all[1].clone()].into());
    // Bad input is refused before any request.
    let before = b.journal().len();
    std::fs::write(&list, "a&b=c\n").unwrap();
    let o = crawl(
        &b,
        &b.env.dir().join("bad"),
        &["--patients", list.to_str().unwrap()],
    );
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.stderr.contains("not a FHIR id"), "{}", o.stderr);
    let o = crawl(
        &b,
        &b.env.dir().join("bad2"),
        &["--type-filter", "Observation?status=final"],
    );
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.stderr.contains("--type-filter"), "{}", o.stderr);
    let searches_after = searches(&b.journal()[before..]);
    assert!(searches_after.is_empty(), "{searches_after:?}");
}

#[test]
fn since_auto_numbers_exports_and_new_patients_get_their_whole_history() {
    let b = bulk(no_bulk);
    let all = patient_ids(&b, 3);
    let top = b.env.dir().join("series");
    let first = format!("{},{}", all[0], all[1]);
    crawl_ok(&b, &top, &["--since", "auto", "--patient", &first]);
    let one = top.join("001");
    assert!(one.join("Patient.1.ndjson").exists());
    assert_eq!(
        std::fs::read_link(top.join("latest")).unwrap(),
        PathBuf::from("001")
    );
    assert!(
        units(&b.journal()).iter().all(|_| true)
            && searches(&b.journal())
                .iter()
                .all(|(_, q)| param(q, "_lastUpdated").is_empty()),
        "the first of a series is whole"
    );
    let t1 = log_events(&one)
        .iter()
        .find(|l| l["eventId"] == "status_complete")
        .unwrap()["eventDetail"]["transactionTime"]
        .as_str()
        .unwrap()
        .to_owned();
    let files_of_one: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&one)
        .unwrap()
        .flatten()
        .map(|e| (e.path(), std::fs::read(e.path()).unwrap()))
        .collect();
    // The second: a new patient joins the cohort.
    let before = b.journal().len();
    let second = format!("{},{},{}", all[0], all[1], all[2]);
    let o = crawl_ok(
        &b,
        &top,
        &["--since", "auto", "--patient", &second, "--json"],
    );
    let two = top.join("002");
    assert_eq!(o.json()["dir"], two.display().to_string());
    assert_eq!(
        std::fs::read_link(top.join("latest")).unwrap(),
        PathBuf::from("002")
    );
    for (t, q) in searches(&b.journal()[before..]) {
        let key = if t == "Patient" { "_id" } else { "patient" };
        let p = param(&q, key)[0];
        let window = param(&q, "_lastUpdated");
        if p == all[2] {
            assert!(
                window.is_empty(),
                "a new patient's whole history: {t} {q:?}"
            );
        } else {
            assert_eq!(window, [format!("ge{t1}").as_str()], "{t} {q:?}");
        }
    }
    // Nothing changed since the first for the old patients (the sandbox's
    // data is from 2025): the second holds the new patient's data only.
    for (t, m) in resources(&two) {
        for v in m.values() {
            assert_eq!(patient_of(&t, v), all[2], "{t}");
        }
    }
    for (p, bytes) in files_of_one {
        assert_eq!(
            std::fs::read(&p).unwrap(),
            bytes,
            "{} is untouched",
            p.display()
        );
    }
    // A plain export DIR is not numbered over.
    let plain = b.env.dir().join("plain");
    crawl_ok(&b, &plain, &["--patient", &all[0]]);
    let o = crawl(&b, &plain, &["--since", "auto"]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.stderr.contains("single export"), "{}", o.stderr);
}

#[test]
fn since_auto_numbers_bulk_exports_too_from_the_manifest_transaction_time() {
    let b = bulk(|_| {});
    let top = b.env.dir().join("series");
    let run = |args: &[&str]| {
        let o = b
            .env
            .cmd()
            .args(["-p", "svc", "export", "--out"])
            .arg(&top)
            .args(args)
            .output()
            .unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    run(&["--since", "auto"]);
    let one = top.join("001");
    let t1 = log_events(&one)
        .iter()
        .find(|l| l["eventId"] == "status_complete")
        .unwrap()["eventDetail"]["transactionTime"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        std::fs::read_link(top.join("latest")).unwrap(),
        PathBuf::from("001")
    );
    let before = resources(&one);
    // A DIR of numbered exports: the next one is numbered too, even
    // without --since auto (a new export never replaces a finished one).
    run(&["--since", "auto"]);
    run(&[]);
    let kickoffs: Vec<Option<String>> = b
        .kickoffs()
        .iter()
        .map(|r| r.param("_since").map(str::to_owned))
        .collect();
    assert_eq!(kickoffs.len(), 3);
    assert_eq!(kickoffs[0], None, "the first of a series is whole");
    assert_eq!(kickoffs[1].as_deref(), Some(t1.as_str()));
    assert_eq!(kickoffs[2], None);
    assert_eq!(
        std::fs::read_link(top.join("latest")).unwrap(),
        PathBuf::from("003")
    );
    assert_eq!(ids(&resources(&one)), ids(&before), "001 is untouched");
    assert!(top.join("002/log.ndjson").exists() && top.join("003/log.ndjson").exists());
}

#[test]
fn an_mrn_column_with_id_system_is_searched_by_identifier() {
    let b = bulk(no_bulk);
    let token = b.env.token("svc");
    let (_, bundle) =
        crate::backend_support::fhir_get(&b.env.sb.fhir_base, "Patient?_count=2", &token);
    let mrn = |e: &Value| -> (String, String) {
        let i = &e["resource"]["identifier"][0];
        (
            i["system"].as_str().unwrap().to_owned(),
            i["value"].as_str().unwrap().to_owned(),
        )
    };
    let entries = bundle["entry"].as_array().unwrap();
    let (system, first) = mrn(&entries[0]);
    let (_, second) = mrn(&entries[1]);
    let csv = b.env.dir().join("mrns.csv");
    std::fs::write(
        &csv,
        format!("MRN,note\n{first},a\n{second},b\n99999999,unknown\n"),
    )
    .unwrap();
    // Without --id-system an MRN column is refused, before any search.
    let o = crawl(
        &b,
        &b.env.dir().join("no-system"),
        &["--patients", csv.to_str().unwrap()],
    );
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.stderr.contains("--id-system"), "{}", o.stderr);
    let dir = b.env.dir().join("mrn");
    let o = crawl_ok(
        &b,
        &dir,
        &[
            "--patients",
            csv.to_str().unwrap(),
            "--id-system",
            &system,
            "--type",
            "Patient",
        ],
    );
    assert!(
        o.stderr.contains("1 identifier found no Patient"),
        "{}",
        o.stderr
    );
    let asked: BTreeSet<String> = searches(&b.journal())
        .into_iter()
        .flat_map(|(_, q)| {
            param(&q, "identifier")
                .into_iter()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(
        asked,
        [first, second, "99999999".to_string()]
            .iter()
            .map(|v| format!("{system}|{v}"))
            .collect()
    );
    let got: Vec<String> = resources(&dir)["Patient"].keys().cloned().collect();
    let want: Vec<String> = entries
        .iter()
        .map(|e| e["resource"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(got, want);
}
