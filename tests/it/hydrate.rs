//! `smart export --hydrate` against the in-process sandbox, whose Patient
//! exports leave out the Medications, Practitioners, PractitionerRoles,
//! Organizations and Locations they reference and whose notes are
//! `Binary/…` URLs. Asserted on the sandbox's journal (each referenced
//! resource read once, each note once, with the token and its own
//! `Accept`; a second run reads nothing), on a listener of another origin
//! (never reached) and on the files written.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use base64::Engine;
use serde_json::Value;
use sha1::Digest;
use smart_sandbox::Received;

use crate::export::{Bulk, bulk, faults, has_token, read_maybe_gz};

const DIRECTORY: [&str; 5] = [
    "Medication",
    "Practitioner",
    "PractitionerRole",
    "Organization",
    "Location",
];
const FETCHED: [&str; 6] = [
    "Medication",
    "Practitioner",
    "PractitionerRole",
    "Organization",
    "Location",
    "Observation",
];

/// Every resource in DIR's data files, with the file it is in.
fn resources(dir: &Path) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| {
            (n.ends_with(".ndjson") || n.ends_with(".ndjson.gz"))
                && n != "log.ndjson"
                && !n.starts_with('.')
        })
        .collect();
    names.sort();
    for n in names {
        for line in read_maybe_gz(&dir.join(&n)).lines() {
            if line.trim().is_empty() {
                continue;
            }
            let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{n}: {e}"));
            out.push((n.clone(), v));
        }
    }
    out
}

fn key(v: &Value) -> String {
    format!(
        "{}/{}",
        v["resourceType"].as_str().unwrap(),
        v["id"].as_str().unwrap()
    )
}

/// `Type/id` of the directory types referenced anywhere in `v`, and of the
/// Observations of `DiagnosticReport.result` and `Observation.hasMember`.
fn refs_of(v: &Value, out: &mut BTreeSet<String>) {
    fn walk(v: &Value, out: &mut BTreeSet<String>) {
        match v {
            Value::Object(m) => {
                if let Some(r) = m.get("reference").and_then(Value::as_str)
                    && let Some((t, _)) = r.split_once('/')
                    && DIRECTORY.contains(&t)
                {
                    out.insert(r.to_owned());
                }
                m.values().for_each(|x| walk(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    walk(v, out);
    for field in ["result", "hasMember"] {
        for r in v[field].as_array().into_iter().flatten() {
            if let Some(r) = r["reference"].as_str() {
                out.insert(r.to_owned());
            }
        }
    }
}

/// GET reads of the fetched types on the FHIR base, by `Type/id`.
fn reads(journal: &[Received]) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for r in journal.iter().filter(|r| r.method == "GET") {
        let Some(rest) = r.path.strip_prefix("/fhir/") else {
            continue;
        };
        if let Some((t, id)) = rest.split_once('/')
            && FETCHED.contains(&t)
            && !id.contains('/')
        {
            *out.entry(rest.to_owned()).or_insert(0) += 1;
        }
    }
    out
}

fn binary_reads(journal: &[Received]) -> Vec<&Received> {
    journal
        .iter()
        .filter(|r| r.method == "GET" && r.path.starts_with("/fhir/Binary/"))
        .collect()
}

/// The hydrated files (from `.smart-hydrate.json`).
fn hydrated_files(dir: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(dir.join(".smart-hydrate.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_owned())
        .collect()
}

/// What the export itself wrote references, and what hydration wrote
/// references in turn (its rounds): the set hydration had to read.
fn closure(all: &[(String, Value)], hydrated: &BTreeSet<String>) -> BTreeSet<String> {
    let on_disk: BTreeSet<String> = all.iter().map(|(_, v)| key(v)).collect();
    let exported: BTreeSet<String> = all
        .iter()
        .filter(|(f, _)| !hydrated.contains(f))
        .map(|(_, v)| key(v))
        .collect();
    let mut wanted = BTreeSet::new();
    for (_, v) in all {
        refs_of(v, &mut wanted);
    }
    assert!(
        wanted.iter().all(|k| on_disk.contains(k)),
        "every reference is on disk after hydration: {:?}",
        wanted.difference(&on_disk).collect::<Vec<_>>()
    );
    wanted.difference(&exported).cloned().collect()
}

/// Checks an inlined attachment: data, size and SHA-1 hash agree.
fn check_inlined(a: &Value) -> String {
    let b64 = base64::engine::general_purpose::STANDARD;
    let data = b64
        .decode(a["data"].as_str().expect("data inlined"))
        .unwrap();
    assert_eq!(a["size"].as_u64(), Some(data.len() as u64));
    let hash = b64.encode(sha1::Sha1::digest(&data));
    assert_eq!(a["hash"].as_str(), Some(hash.as_str()));
    String::from_utf8(data).unwrap()
}

fn hydrate_json(b: &Bulk, args: &[&str]) -> Value {
    let mut all = vec!["--hydrate", "--json"];
    all.extend_from_slice(args);
    b.ok(&all).json()
}

#[test]
fn a_patient_export_is_hydrated_each_reference_read_once_notes_inlined_and_a_second_run_reads_nothing()
 {
    let b = bulk(|_| {});
    let s = hydrate_json(&b, &["patient"]);
    let h = &s["hydration"];
    let journal = b.journal();
    let all = resources(&b.out);
    let hydrated = hydrated_files(&b.out);
    assert!(!hydrated.is_empty());

    // Each resource once on disk.
    let mut seen = BTreeSet::new();
    for (f, v) in &all {
        assert!(seen.insert(key(v)), "{f}: {} twice", key(v));
    }
    // Read: exactly what was referenced and not exported, each once.
    let want = closure(&all, &hydrated);
    for t in DIRECTORY {
        assert!(
            want.iter().any(|k| k.starts_with(&format!("{t}/"))),
            "the sandbox's patient export leaves out {t}"
        );
    }
    let got = reads(&journal);
    assert!(
        got.values().all(|n| *n == 1),
        "read more than once: {got:?}"
    );
    assert_eq!(got.keys().cloned().collect::<BTreeSet<_>>(), want);
    // The files: in the layout, their types, counted as written.
    for f in &hydrated {
        let t = f.split('.').next().unwrap();
        assert!(DIRECTORY.contains(&t), "{f}");
        assert!(f.ends_with(".ndjson"), "{f}");
        assert!(
            all.iter()
                .filter(|(n, _)| n == f)
                .all(|(_, v)| v["resourceType"] == t)
        );
    }
    let fetched: u64 = h["fetched"]
        .as_object()
        .unwrap()
        .values()
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert_eq!(fetched, want.len() as u64);
    assert_eq!(h["failed"], 0);
    assert_eq!(h["not_found"], 0);

    // Notes: every DocumentReference's, and the DiagnosticReports' with a
    // presentedForm, inlined; each Binary read once, with the token and
    // the attachment's own type as Accept.
    let binaries = binary_reads(&journal);
    let mut notes = 0;
    for (_, v) in &all {
        let atts: Vec<&Value> = match v["resourceType"].as_str().unwrap() {
            "DocumentReference" => v["content"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| &c["attachment"])
                .collect(),
            "DiagnosticReport" => v["presentedForm"]
                .as_array()
                .into_iter()
                .flatten()
                .collect(),
            _ => continue,
        };
        for a in atts {
            let text = check_inlined(a);
            assert!(text.contains("Patient:"), "{text}");
            let url = a["url"].as_str().unwrap();
            let asked: Vec<&&Received> = binaries
                .iter()
                .filter(|r| r.path == format!("/fhir/{url}"))
                .collect();
            assert_eq!(asked.len(), 1, "{url} read once");
            assert!(has_token(asked[0]));
            let mime = a["contentType"]
                .as_str()
                .unwrap()
                .split(';')
                .next()
                .unwrap();
            assert_eq!(asked[0].headers["accept"].to_str().unwrap(), mime);
            notes += 1;
        }
    }
    assert!(notes > 20, "{notes}");
    assert_eq!(binaries.len(), notes);
    assert_eq!(h["attachments"]["inlined"], notes);

    // log.ndjson: the hydration under the export's id.
    let log = std::fs::read_to_string(b.out.join("log.ndjson")).unwrap();
    let lines: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let last = lines.last().unwrap();
    assert_eq!(last["eventId"], "hydration_complete");
    assert_eq!(last["exportId"], lines[0]["exportId"]);
    assert_eq!(
        last["eventDetail"]["attachments"]["inlined"].as_u64(),
        Some(notes as u64)
    );

    // A second run on the directory: no kick-off, nothing read, nothing
    // rewritten.
    let before = std::fs::read_dir(&b.out)
        .unwrap()
        .flatten()
        .filter(|e| !e.file_name().to_string_lossy().starts_with("log."))
        .map(|e| (e.file_name(), std::fs::read(e.path()).ok()))
        .collect::<BTreeMap<_, _>>();
    let n = b.journal().len();
    let s2 = b.ok(&["--hydrate", "--json"]).json();
    let again: Vec<Received> = b.journal().into_iter().skip(n).collect();
    assert!(reads(&again).is_empty(), "{:?}", reads(&again));
    assert!(binary_reads(&again).is_empty());
    assert!(again.iter().all(|r| !r.path.ends_with("$export")));
    let h2 = &s2["hydration"];
    assert_eq!(h2["fetched"], serde_json::json!({}));
    assert_eq!(h2["attachments"]["inlined"], 0);
    assert_eq!(h2["attachments"]["already"], notes);
    assert_eq!(h2["referenced"], h["referenced"]);
    let after = std::fs::read_dir(&b.out)
        .unwrap()
        .flatten()
        .filter(|e| !e.file_name().to_string_lossy().starts_with("log."))
        .map(|e| (e.file_name(), std::fs::read(e.path()).ok()))
        .collect::<BTreeMap<_, _>>();
    assert!(before == after, "the second run changed files");
}

#[test]
fn observations_a_report_points_at_are_read_when_the_export_left_them_out() {
    let b = bulk(|_| {});
    let s = hydrate_json(&b, &["patient", "--type", "DiagnosticReport"]);
    let all = resources(&b.out);
    let hydrated = hydrated_files(&b.out);
    let results: BTreeSet<String> = all
        .iter()
        .filter(|(_, v)| v["resourceType"] == "DiagnosticReport")
        .flat_map(|(_, v)| v["result"].as_array().unwrap().clone())
        .map(|r| r["reference"].as_str().unwrap().to_owned())
        .collect();
    assert!(results.len() > 50, "{}", results.len());
    let got = reads(&b.journal());
    assert!(got.values().all(|n| *n == 1), "read more than once");
    let obs: BTreeSet<String> = got
        .keys()
        .filter(|k| k.starts_with("Observation/"))
        .cloned()
        .collect();
    assert_eq!(obs, results);
    // Two rounds: the PractitionerRoles the reports name, then their
    // Practitioners and Locations.
    assert_eq!(closure(&all, &hydrated), got.keys().cloned().collect());
    assert!(got.keys().any(|k| k.starts_with("Practitioner/")));
    assert!(s["hydration"]["rounds"].as_u64().unwrap() >= 2);
    let on_disk = all
        .iter()
        .filter(|(_, v)| v["resourceType"] == "Observation")
        .count();
    assert_eq!(on_disk, results.len());
}

/// DIR made by hand (no state of smart's: another tool's export or a
/// crawl), with references and a note on another origin, which a plain
/// listener stands for: it must never be reached.
#[test]
fn references_and_notes_off_the_fhir_base_are_not_requested_and_missing_ones_are_counted() {
    let b = bulk(|_| {});
    let other = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    other.set_nonblocking(true).unwrap();
    let elsewhere = format!("http://127.0.0.1:{}", other.local_addr().unwrap().port());
    let base = &b.env.sb.fhir_base;
    std::fs::create_dir(&b.out).unwrap();
    let mr = [
        serde_json::json!({"resourceType": "MedicationRequest", "id": "mr1",
            "medicationReference": {"reference": "Medication/med0001"},
            "requester": {"reference": format!("{elsewhere}/fhir/Practitioner/pr0001")}}),
        serde_json::json!({"resourceType": "MedicationRequest", "id": "mr2",
            "medicationReference": {"reference": format!("{base}/Medication/med0002")},
            "performer": {"reference": "Practitioner/nope"}}),
    ];
    let doc = serde_json::json!({"resourceType": "DocumentReference", "id": "dr1", "content": [
        {"attachment": {"contentType": "text/plain", "url": format!("{elsewhere}/fhir/Binary/d000001-1")}},
        {"attachment": {"contentType": "text/plain", "url": "Binary/d000001-1"}},
        {"attachment": {"contentType": "application/pdf", "url": "Binary/d000001-2"}}
    ]});
    let lines = |vs: &[Value]| vs.iter().map(|v| format!("{v}\n")).collect::<String>();
    std::fs::write(b.out.join("MedicationRequest.1.ndjson"), lines(&mr)).unwrap();
    std::fs::write(b.out.join("DocumentReference.1.ndjson"), lines(&[doc])).unwrap();

    let s = hydrate_json(&b, &[]);
    let h = &s["hydration"];
    let journal = b.journal();
    assert_eq!(
        reads(&journal).into_iter().collect::<Vec<_>>(),
        [
            ("Medication/med0001".to_owned(), 1),
            ("Medication/med0002".to_owned(), 1),
            ("Practitioner/nope".to_owned(), 1)
        ]
    );
    assert_eq!(h["not_found"], 1);
    assert_eq!(h["off_base"], 1);
    assert_eq!(h["attachments"]["off_base"], 1);
    assert_eq!(h["attachments"]["other_type"], 1);
    assert_eq!(h["attachments"]["inlined"], 1);
    let binaries = binary_reads(&journal);
    assert_eq!(binaries.len(), 1);
    assert_eq!(binaries[0].path, "/fhir/Binary/d000001-1");
    // Nothing reached the other origin: no connection at all.
    match other.accept() {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        other => panic!("the other origin was reached: {other:?}"),
    }
    // The note on the base is inlined, the others are as they were.
    let docs = read_maybe_gz(&b.out.join("DocumentReference.1.ndjson"));
    let d: Value = serde_json::from_str(docs.trim()).unwrap();
    assert!(d["content"][0]["attachment"].get("data").is_none());
    check_inlined(&d["content"][1]["attachment"]);
    assert!(d["content"][2]["attachment"].get("data").is_none());
    let meds = read_maybe_gz(&b.out.join("Medication.1.ndjson"));
    assert_eq!(meds.lines().count(), 2);

    // Again, for people: only the reference that was not found is asked
    // for again (the server may have it by now), and the summary says so.
    let n = b.journal().len();
    let o = b.ok(&["--hydrate"]);
    let again: Vec<Received> = b.journal().into_iter().skip(n).collect();
    assert_eq!(
        reads(&again).into_keys().collect::<Vec<_>>(),
        ["Practitioner/nope"]
    );
    assert!(binary_reads(&again).is_empty());
    let text = o.stderr.replace(b.out.to_str().unwrap(), "DIR");
    eprintln!("{text}");
    assert!(
        text.contains(
            "0 referenced resources fetched into 0 files (2 of 3 referenced already there)"
        ),
        "{text}"
    );
    assert!(
        text.contains("  1 not found; 1 reference not on the FHIR base, not followed"),
        "{text}"
    );
    assert!(
        text.contains(
            "  Notes: 0 inlined (0 bytes) in 0 files; 1 already inlined, 1 of other types, 1 off the FHIR base, 0 failed"
        ),
        "{text}"
    );
}

#[test]
fn a_rate_limited_server_is_waited_for_and_everything_arrives_once() {
    let b = bulk(|o| {
        o.faults = faults(&["rate-limited"]);
        o.rate_limit = 4;
    });
    std::fs::create_dir(&b.out).unwrap();
    let mut wanted = Vec::new();
    for i in 1..=8 {
        wanted.push(format!("Medication/med{i:04}"));
    }
    for i in 1..=3 {
        wanted.push(format!("PractitionerRole/prr{i:04}"));
    }
    let lines: String = wanted
        .iter()
        .enumerate()
        .map(|(i, r)| {
            format!(
                "{}\n",
                serde_json::json!({"resourceType": "MedicationRequest", "id": format!("mr{i}"),
                    "medicationReference": {"reference": r}})
            )
        })
        .collect();
    std::fs::write(b.out.join("MedicationRequest.1.ndjson"), lines).unwrap();
    let s = hydrate_json(&b, &["--parallel", "8", "--retries", "10"]);
    let all = resources(&b.out);
    let hydrated = hydrated_files(&b.out);
    let want = closure(&all, &hydrated);
    for w in &wanted {
        assert!(want.contains(w), "{w}");
    }
    let mut seen = BTreeSet::new();
    for (f, v) in &all {
        assert!(seen.insert(key(v)), "{f}: {} twice", key(v));
    }
    // Some reads were answered 429 and sent again.
    let journal = b.journal();
    let got = reads(&journal);
    assert_eq!(got.keys().cloned().collect::<BTreeSet<_>>(), want);
    let sent: usize = got.values().sum();
    assert!(
        sent > want.len(),
        "{sent} reads for {} resources",
        want.len()
    );
    assert_eq!(s["hydration"]["failed"], 0);
}

#[test]
fn gzip_files_stay_gzip_and_a_new_export_takes_what_hydration_added_with_the_old_one() {
    let b = bulk(|_| {});
    let s = hydrate_json(&b, &["patient", "--gzip"]);
    assert!(s["hydration"]["attachments"]["inlined"].as_u64().unwrap() > 0);
    let docs: Vec<_> = std::fs::read_dir(&b.out)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("DocumentReference."))
        .collect();
    assert!(!docs.is_empty());
    for d in &docs {
        assert!(d.ends_with(".ndjson.gz"), "{d}");
        for line in read_maybe_gz(&b.out.join(d)).lines() {
            let v: Value = serde_json::from_str(line).unwrap();
            check_inlined(&v["content"][0]["attachment"]);
        }
    }
    let hydrated = hydrated_files(&b.out);
    assert!(hydrated.iter().all(|f| b.out.join(f).exists()));
    // A new export into DIR replaces the old one, hydration's files too.
    b.ok(&["patient", "--type", "Patient"]);
    for f in &hydrated {
        assert!(!b.out.join(f).exists(), "{f} left behind");
    }
    assert!(!b.out.join(".smart-hydrate.json").exists());
    let types: BTreeSet<String> = resources(&b.out)
        .iter()
        .map(|(_, v)| v["resourceType"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(types, BTreeSet::from(["Patient".to_owned()]));
}

#[test]
fn attachment_types_and_the_size_cap_choose_what_is_inlined_and_a_rerun_finishes() {
    let b = bulk(|_| {});
    // Only HTML notes, and a cap no note fits under: each is tried once,
    // fails, and is left as it was (exit 3, saying how to try again).
    let o = b.export(&[
        "patient",
        "--hydrate",
        "--attachment-types",
        "text/html",
        "--attachment-max-size",
        "100",
        "--json",
    ]);
    assert_eq!(o.code, 3, "{}", o.stderr);
    assert!(o.stderr.contains("--hydrate --out"), "{}", o.stderr);
    let h = &o.json()["hydration"];
    let html = h["attachments"]["failed"].as_u64().unwrap();
    assert!(html > 0);
    assert!(h["attachments"]["other_type"].as_u64().unwrap() > 0);
    assert_eq!(h["attachments"]["inlined"], 0);
    assert_eq!(binary_reads(&b.journal()).len() as u64, html);
    for (_, v) in resources(&b.out) {
        assert!(!v.to_string().contains("\"data\""), "{}", key(&v));
    }
    // Again with the default cap: the HTML notes, and nothing else.
    let n = b.journal().len();
    let s = hydrate_json(&b, &["--attachment-types", "text/html"]);
    assert_eq!(s["hydration"]["attachments"]["inlined"], html);
    assert_eq!(s["hydration"]["fetched"], serde_json::json!({}));
    let again: Vec<Received> = b.journal().into_iter().skip(n).collect();
    assert_eq!(binary_reads(&again).len() as u64, html);
    for r in binary_reads(&again) {
        assert_eq!(r.headers["accept"], "text/html");
    }
}

#[test]
fn bad_hydration_flags_are_refused_before_any_request() {
    let b = bulk(|_| {});
    let o = b.export(&["--hydrate", "--attachment-types", "text"]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(
        o.stderr
            .contains("--attachment-types `text` is not a MIME type"),
        "{}",
        o.stderr
    );
    let o = b.export(&["--hydrate", "--status"]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    let o = b.export(&["--attachment-types", "text/plain"]);
    assert_ne!(o.code, 0);
    assert!(o.stderr.contains("--hydrate"), "{}", o.stderr);
    let o = b.export(&["--hydrate", "--attachment-max-size", "10X"]);
    assert_ne!(o.code, 0);
    assert!(o.stderr.contains("the unit is K, M or G"), "{}", o.stderr);
    assert!(b.journal().is_empty(), "{:?}", b.journal());
}

/// Killed midway (SIGKILL, no clean-up of its own), a hydration leaves
/// whole files only; the next run sweeps what was left and reads exactly
/// what is still missing.
#[test]
fn a_killed_hydration_leaves_whole_files_and_the_next_run_reads_only_what_is_missing() {
    let b = bulk(|o| {
        o.faults = faults(&["rate-limited"]);
        o.rate_limit = 2;
    });
    std::fs::create_dir(&b.out).unwrap();
    let lines: String = (1..=10)
        .map(|i| format!("Medication/med{i:04}"))
        .chain((1..=3).map(|i| format!("PractitionerRole/prr{i:04}")))
        .enumerate()
        .map(|(i, r)| {
            format!(
                "{}\n",
                serde_json::json!({"resourceType": "MedicationRequest", "id": format!("mr{i}"),
                    "medicationReference": {"reference": r}})
            )
        })
        .collect();
    std::fs::write(b.out.join("MedicationRequest.1.ndjson"), lines).unwrap();
    let mut child = b.spawn(&["--hydrate", "--parallel", "1", "--retries", "10"]);
    let started = std::time::Instant::now();
    while reads(&b.journal()).len() < 3 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(120),
            "no reads"
        );
        assert!(child.try_wait().unwrap().is_none(), "ended before the kill");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    // Every line on disk is whole (resources() parses each).
    let kept: BTreeSet<String> = resources(&b.out).iter().map(|(_, v)| key(v)).collect();

    let n = b.journal().len();
    let s = hydrate_json(&b, &["--retries", "10"]);
    let leftovers: Vec<_> = std::fs::read_dir(&b.out)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".hydrating") || n.ends_with(".part"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let all = resources(&b.out);
    let mut seen = BTreeSet::new();
    for (f, v) in &all {
        assert!(seen.insert(key(v)), "{f}: {} twice", key(v));
    }
    let want = closure(&all, &hydrated_files(&b.out));
    assert!(want.len() >= 13, "{want:?}");
    let again: Vec<Received> = b.journal().into_iter().skip(n).collect();
    let second: BTreeSet<String> = reads(&again).into_keys().collect();
    let missing: BTreeSet<String> = want.difference(&kept).cloned().collect();
    assert_eq!(second, missing);
    assert_eq!(s["hydration"]["failed"], 0);
}

#[test]
fn hydrate_alone_on_the_top_of_a_since_auto_series_hydrates_its_newest_export() {
    let b = bulk(|_| {});
    b.ok(&["patient", "--since", "auto"]);
    let first = b.out.join("001");
    assert!(
        first.join("log.ndjson").exists(),
        "the series' first export"
    );
    let kickoffs = b.kickoffs().len();
    let s = hydrate_json(&b, &[]);
    let fetched = s["hydration"]["fetched"].as_object();
    assert!(fetched.is_some_and(|m| !m.is_empty()), "{s}");
    assert_eq!(b.kickoffs().len(), kickoffs, "hydration alone kicked off");
    assert!(
        !b.out.join("002").exists(),
        "a new numbered export was begun"
    );
    assert!(!b.out.join(".smart-hydrate.json").exists());
    let hydrated = hydrated_files(&first);
    assert!(hydrated.iter().all(|f| first.join(f).exists()));
}
