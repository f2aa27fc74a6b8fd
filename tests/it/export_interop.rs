//! `smart export` against servers in the field: files on the FHIR base's
//! origin outside its path (the SMART reference server), files on another
//! origin that need the token (`--token-origin`), transient errors once and
//! several times, a Unix time in `Retry-After`; Bulk Data 3.0 and the 4.0
//! ballot (`_until`, repeated `_typeFilter`, `organizeOutputBy`, lenient
//! handling, `includeAssociatedData`, extra parameters, POST kick-off and
//! 405 on GET, `outcome` for `error`, one export per client); and manifest
//! URLs that lead into the user's own network. Each asserts on what the
//! sandbox's journal received.

use std::time::Duration;

use serde_json::Value;
use smart_sandbox::{Quirks, Received};

use crate::export::{bulk, check_files, faults, has_token};

fn quirks(names: &[&str]) -> Quirks {
    let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    Quirks::parse(&names).expect("known quirks")
}

fn outside_base(r: &Received) -> bool {
    r.path.contains("/fhir/bulkfiles/")
}

#[test]
fn files_on_the_base_origin_outside_its_path_get_the_token() {
    let b = bulk(|o| o.faults = faults(&["export-files-outside-base"]));
    let o = b.ok(&["--json"]);
    assert_eq!(o.json()["resources"]["Patient"], 20);
    check_files(&b.out, &b.state());
    let fr: Vec<Received> = b.journal().into_iter().filter(outside_base).collect();
    let files = b.state()["files"].as_array().unwrap().len();
    assert_eq!(fr.len(), files, "each file fetched once, outside the base");
    assert!(fr.iter().all(|r| !r.path.starts_with("/fhir/")));
    assert!(
        fr.iter().all(has_token),
        "same origin: the token goes along"
    );
}

#[test]
fn files_on_another_origin_get_the_token_only_when_it_is_named() {
    let b = bulk(|o| o.faults = faults(&["export-token-files-on-storage"]));
    let o = b.export(&["--type", "Patient"]);
    assert_eq!(o.code, 4, "a 401 is an auth error: {}", o.stderr);
    assert!(
        o.stderr.contains("smart sent it without the token")
            && o.stderr.contains("on another origin than the FHIR base"),
        "{}",
        o.stderr
    );
    let flag = o
        .stderr
        .split("--token-origin ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("the hint names the flag: {}", o.stderr))
        .to_owned();
    assert!(flag.starts_with("http://127.0.0.1:"), "{flag}");
    assert!(
        o.stderr.contains("profile key token_origins"),
        "{}",
        o.stderr
    );
    let protected = |b: &crate::export::Bulk| -> Vec<Received> {
        b.journal()
            .into_iter()
            .filter(|r| r.path.starts_with("/protected/"))
            .collect()
    };
    let first = protected(&b);
    assert!(!first.is_empty());
    assert!(first.iter().all(|r| !has_token(r)), "not named: no token");

    // Named: the token goes there, and the export completes.
    std::fs::remove_dir_all(&b.out).unwrap();
    let before = first.len();
    let o = b.ok(&["--type", "Patient", "--json", "--token-origin", &flag]);
    assert_eq!(o.json()["resources"]["Patient"], 20);
    let named = &protected(&b)[before..];
    assert!(!named.is_empty());
    assert!(named.iter().all(has_token), "named: the token goes along");

    // The same from the profile (`token_origins`).
    let cfg = b.env.cfg.path();
    let text = std::fs::read_to_string(&cfg).unwrap();
    assert!(text.contains("[profiles.svc]"), "{text}");
    let text = text.replace(
        "[profiles.svc]\n",
        &format!("[profiles.svc]\ntoken_origins = [\"{flag}\"]\n"),
    );
    std::fs::write(&cfg, text).unwrap();
    std::fs::remove_dir_all(&b.out).unwrap();
    let before = protected(&b).len();
    let o = b.ok(&["--type", "Patient", "--json"]);
    assert_eq!(o.json()["resources"]["Patient"], 20);
    let from_profile = &protected(&b)[before..];
    assert!(!from_profile.is_empty() && from_profile.iter().all(has_token));

    // A bad origin is refused before any request.
    let journal = b.journal().len();
    let o = b.export(&["--token-origin", "http://files.example.org/x"]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(
        o.stderr
            .contains("--token-origin `http://files.example.org/x`"),
        "{}",
        o.stderr
    );
    assert_eq!(b.journal().len(), journal);
}

#[test]
fn the_token_never_follows_a_redirect_to_another_origin_even_a_named_one() {
    let b = bulk(|o| o.faults = faults(&["export-file-redirect"]));
    let o = b.ok(&["--json", "--type", "Patient"]);
    assert_eq!(o.json()["resources"]["Patient"], 20);
    let fr = b.file_requests();
    // The storage origin, as its requests reached it.
    let storage_port = fr
        .iter()
        .find(|r| r.path.starts_with("/bucket/"))
        .and_then(|r| r.headers.get("host"))
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .expect("the storage hop reached the sandbox");
    std::fs::remove_dir_all(&b.out).unwrap();
    let before = b.file_requests().len();
    let o = b.ok(&[
        "--json",
        "--type",
        "Patient",
        "--token-origin",
        &format!("http://{storage_port}"),
    ]);
    assert_eq!(o.json()["resources"]["Patient"], 20);
    let fr = &b.file_requests()[before..];
    let (on_base, storage): (Vec<_>, Vec<_>) =
        fr.iter().partition(|r| r.path.contains("/$export-file/"));
    assert!(!storage.is_empty() && on_base.iter().all(|r| has_token(r)));
    assert!(
        storage.iter().all(|r| !has_token(r)),
        "no token after a redirect to another origin, named or not"
    );
}

fn transient_notes(stderr: &str) -> usize {
    stderr.matches("a transient error").count()
}

#[test]
fn transient_errors_once_are_retried_and_the_job_goes_on() {
    let b = bulk(|o| o.faults = faults(&["export-transient-once"]));
    let o = b.ok(&["--json", "--type", "Patient,Condition"]);
    let s = o.json();
    assert_eq!(s["resources"]["Patient"], 20);
    check_files(&b.out, &b.state());
    let files = b.state()["files"].as_array().unwrap().len();
    // One transient status answer, one per file: each tried again.
    let fr = b.file_requests();
    assert_eq!(fr.len(), 2 * files, "each file: one 500, one 200");
    assert!(b.polls().len() >= 2);
    assert!(
        o.stderr
            .contains("export status: 500, a transient error (error [transient]"),
        "{}",
        o.stderr
    );
    assert!(o.stderr.contains("the job goes on"), "{}", o.stderr);
    assert_eq!(transient_notes(&o.stderr), 1 + files, "{}", o.stderr);
}

#[test]
fn transient_errors_several_times_are_waited_out_with_backoff() {
    let b = bulk(|o| o.faults = faults(&["export-transient-3x"]));
    let o = b.ok(&["--json", "--type", "Patient"]);
    assert_eq!(o.json()["resources"]["Patient"], 20);
    let files = b.state()["files"].as_array().unwrap().len();
    assert_eq!(
        b.file_requests().len(),
        4 * files,
        "3 transient answers, then the file"
    );
    assert!(b.polls().len() >= 4, "3 transient answers, then more polls");
    assert!(o.stderr.contains("(3/20)"), "counted: {}", o.stderr);
    assert_eq!(transient_notes(&o.stderr), 3 + 3 * files, "{}", o.stderr);

    // A non-transient 500 ends the job at once: one poll after the delay.
    let b = bulk(|o| o.faults = faults(&["export-job-fails"]));
    let o = b.export(&[]);
    assert_eq!(o.code, 3, "{}", o.stderr);
    assert!(o.stderr.contains("the export job failed"), "{}", o.stderr);
    assert_eq!(transient_notes(&o.stderr), 0);
    assert!(b.file_requests().is_empty());
}

#[test]
fn a_unix_time_in_retry_after_is_ignored_with_a_note_never_waited() {
    let b = bulk(|o| {
        o.faults = faults(&["export-retry-after-epoch"]);
        o.export_delay = Duration::from_secs(2);
    });
    let o = b.ok(&["--json", "--type", "Patient"]);
    assert_eq!(o.json()["resources"]["Patient"], 20);
    assert!(
        o.stderr
            .contains("looks like a Unix time, not a number of seconds to wait"),
        "{}",
        o.stderr
    );
    assert_eq!(
        o.stderr.matches("looks like a Unix time").count(),
        1,
        "said once: {}",
        o.stderr
    );
    assert!(
        !o.stderr.contains("asks to wait"),
        "never echoed as a wait: {}",
        o.stderr
    );
    // Polled with backoff (1, 2, … s), not at the cap.
    let polls = b.polls().len();
    assert!((2..=6).contains(&polls), "{polls} polls");
}

fn kickoff(b: &crate::export::Bulk) -> Received {
    let k = b.kickoffs();
    assert_eq!(k.len(), 1, "one kick-off");
    k.into_iter().next().unwrap()
}

fn all(r: &Received, name: &str) -> Vec<String> {
    r.query
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .collect()
}

#[test]
fn type_filters_are_sent_repeated_and_ored_until_is_sent_and_applied() {
    let b = bulk(|_| {});
    let o = b.ok(&[
        "--json",
        "--type",
        "Observation,Patient",
        "--type-filter",
        "Observation?code=http://loinc.org|8867-4,http://loinc.org|8310-5",
        "--type-filter",
        "Observation?code=http://loinc.org|9279-1",
        "--until",
        "2999-01-01T00:00:00Z",
    ]);
    let k = kickoff(&b);
    assert_eq!(
        all(&k, "_typeFilter"),
        [
            "Observation?code=http://loinc.org|8867-4,http://loinc.org|8310-5",
            "Observation?code=http://loinc.org|9279-1"
        ],
        "one parameter per filter, never joined"
    );
    assert_eq!(k.param("_until"), Some("2999-01-01T00:00:00Z"));
    // ORed: the three codes, and no other Observation.
    let mut codes = std::collections::BTreeSet::new();
    for f in b.state()["files"].as_array().unwrap() {
        if f["type"] != "Observation" {
            continue;
        }
        let text =
            std::fs::read_to_string(b.out.join(f["done"]["path"].as_str().unwrap())).unwrap();
        for line in text.lines() {
            let v: Value = serde_json::from_str(line).unwrap();
            codes.insert(v["code"]["coding"][0]["code"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(
        codes.into_iter().collect::<Vec<_>>(),
        ["8310-5", "8867-4", "9279-1"]
    );
    assert_eq!(o.json()["resources"]["Patient"], 20);

    // _until before the data was last updated: nothing.
    std::fs::remove_dir_all(&b.out).unwrap();
    let o = b.ok(&[
        "--json",
        "--type",
        "Patient",
        "--until",
        "2001-01-01T00:00:00Z",
    ]);
    assert!(
        o.json()["resources"].get("Patient").is_none(),
        "{}",
        o.stdout
    );
    let o = b.export(&["--until", "2001-01-01"]);
    assert_eq!(o.code, 1);
    assert!(
        o.stderr
            .contains("--until `2001-01-01` is not a FHIR instant"),
        "{}",
        o.stderr
    );
}

#[test]
fn post_kick_off_sends_the_same_parameters_in_a_parameters_body() {
    let b = bulk(|_| {});
    let o = b.ok(&[
        "--json",
        "--post",
        "--type",
        "Observation",
        "--type-filter",
        "Observation?code=http://loinc.org|8867-4",
        "--type-filter",
        "Observation?code=http://loinc.org|9279-1",
        "--until",
        "2999-01-01T00:00:00Z",
    ]);
    assert!(o.json()["resources"]["Observation"].as_u64().unwrap() > 0);
    let k = kickoff(&b);
    assert_eq!(k.method, "POST");
    assert!(k.query.is_empty(), "{:?}", k.query);
    let body = k.json.expect("a JSON body");
    assert_eq!(body["resourceType"], "Parameters");
    let named = |n: &str| -> Vec<Value> {
        body["parameter"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["name"] == n)
            .cloned()
            .collect()
    };
    let filters: Vec<String> = named("_typeFilter")
        .iter()
        .map(|p| p["valueString"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        filters,
        [
            "Observation?code=http://loinc.org|8867-4",
            "Observation?code=http://loinc.org|9279-1"
        ]
    );
    assert_eq!(named("_until")[0]["valueInstant"], "2999-01-01T00:00:00Z");
}

#[test]
fn a_get_kick_off_answered_405_is_sent_again_as_post() {
    let b = bulk(|o| o.quirks = quirks(&["export-post-only"]));
    let o = b.ok(&["--json", "--type", "Patient"]);
    assert_eq!(o.json()["resources"]["Patient"], 20);
    let k = b.kickoffs();
    assert_eq!(
        k.iter().map(|r| r.method.as_str()).collect::<Vec<_>>(),
        ["GET", "POST"]
    );
    assert_eq!(k[1].json.as_ref().unwrap()["resourceType"], "Parameters");
    assert!(o.stderr.contains("405"), "said: {}", o.stderr);
    assert_eq!(
        b.state()["request"].as_str().unwrap().split(' ').next(),
        Some("POST")
    );
}

#[test]
fn lenient_handling_associated_data_and_extra_parameters_are_sent() {
    let b = bulk(|_| {});
    // The sandbox keeps no Provenance: it refuses includeAssociatedData…
    let o = b.export(&["--include-associated-data", "LatestProvenanceResources"]);
    assert_eq!(o.code, 3, "{}", o.stderr);
    assert!(o.stderr.contains("includeAssociatedData"), "{}", o.stderr);
    // …unless the kick-off says it may be lenient.
    let o = b.ok(&[
        "--json",
        "--type",
        "Patient",
        "--lenient",
        "--include-associated-data",
        "LatestProvenanceResources",
        "--include-associated-data",
        "_sandboxCustom",
        "--param",
        "_mode=fast",
    ]);
    assert_eq!(o.json()["resources"]["Patient"], 20);
    let k = b.kickoffs();
    let k = k.last().unwrap();
    assert_eq!(k.headers["prefer"], "respond-async, handling=lenient");
    assert_eq!(
        all(k, "includeAssociatedData"),
        ["LatestProvenanceResources", "_sandboxCustom"]
    );
    assert_eq!(k.param("_mode"), Some("fast"));
    let before = b.journal().len();
    let o = b.export(&["--param", "_type=Patient"]);
    assert_eq!(o.code, 1);
    assert!(o.stderr.contains("use that"), "{}", o.stderr);
    assert_eq!(b.journal().len(), before, "refused before any request");
}

#[test]
fn organized_output_is_saved_as_output_n_and_checked_per_line() {
    let b = bulk(|_| {});
    let o = b.ok(&[
        "--json",
        "patient",
        "--type",
        "Patient,Condition,Observation",
        "--organize-output-by",
        "Patient",
    ]);
    let s = o.json();
    let k = kickoff(&b);
    assert_eq!(k.param("organizeOutputBy"), Some("Patient"));
    assert_eq!(s["resources"]["Patient"], 20, "{s}");
    assert!(s["resources"]["Condition"].as_u64().unwrap() > 0, "{s}");
    assert!(
        s["resources"].get("Parameters").is_none(),
        "headers are not resources: {s}"
    );
    assert!(s["problems"].as_array().unwrap().is_empty(), "{s}");
    let state = b.state();
    let files = state["files"].as_array().unwrap();
    assert!(files.len() >= 2, "files of blocks, split: {}", files.len());
    for (i, f) in files.iter().enumerate() {
        assert_eq!(f["name"], format!("output.{}.ndjson", i + 1));
        let text = std::fs::read_to_string(b.out.join(f["name"].as_str().unwrap())).unwrap();
        let first: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        assert_eq!(
            first["resourceType"], "Parameters",
            "a file starts with a block header"
        );
        let types: std::collections::BTreeSet<String> = text
            .lines()
            .map(|l| {
                serde_json::from_str::<Value>(l).unwrap()["resourceType"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert!(
            types.iter().all(
                |t| ["Parameters", "Patient", "Condition", "Observation"].contains(&t.as_str())
            ),
            "{types:?}"
        );
    }
    assert!(b.out.join("output.1.ndjson").exists());

    // A type the sandbox does not organize by: refused, with its outcome.
    std::fs::remove_dir_all(&b.out).unwrap();
    let o = b.export(&["--organize-output-by", "Group"]);
    assert_eq!(o.code, 3, "{}", o.stderr);
    assert!(
        o.stderr
            .contains("organizeOutputBy `Group` is not supported"),
        "{}",
        o.stderr
    );
}

#[test]
fn a_bulk_data_4_manifest_is_read_with_outcome_for_error() {
    let b = bulk(|o| {
        o.quirks = quirks(&["export-manifest-v4"]);
        o.faults = faults(&["export-with-errors"]);
    });
    let o = b.export(&["--json", "--type", "Patient"]);
    // The server's errors fail the command (exit 3), as `error` does.
    assert_eq!(o.code, 3, "{}", o.stderr);
    let s = o.json();
    assert_eq!(s["resources"]["Patient"], 20);
    assert!(s["errors"]["errors"].as_u64().unwrap() >= 1, "{s}");
    assert!(b.out.join("error/OperationOutcome.1.ndjson").exists());
    let m = &b.state()["manifest"];
    assert!(m.get("request").is_none() || m["request"] == "", "{m}");
    assert_eq!(m["manifestType"], "export");
}

#[test]
fn one_export_per_client_is_refused_with_the_servers_outcome_until_deleted() {
    let b = bulk(|o| o.faults = faults(&["export-one-per-client"]));
    let token = b.env.token("svc");
    let http = reqwest::blocking::Client::new();
    let first = http
        .get(format!("{}/$export?_type=Patient", b.env.sb.fhir_base))
        .bearer_auth(&token)
        .header("accept", "application/fhir+json")
        .header("prefer", "respond-async")
        .send()
        .unwrap();
    assert_eq!(first.status().as_u16(), 202);
    let job = first.headers()["content-location"]
        .to_str()
        .unwrap()
        .to_owned();

    let o = b.export(&["--type", "Patient"]);
    assert_eq!(o.code, 3, "{}", o.stderr);
    assert!(o.stderr.contains("429"), "{}", o.stderr);
    assert!(
        o.stderr.contains("one export per client"),
        "the outcome: {}",
        o.stderr
    );
    assert!(
        !b.out.join(".smart-export.json").exists(),
        "no job saved for a refused kick-off"
    );

    let del = http.delete(&job).bearer_auth(&token).send().unwrap();
    assert!(del.status().is_success());
    let o = b.ok(&["--json", "--type", "Patient"]);
    assert_eq!(o.json()["resources"]["Patient"], 20);
    assert_eq!(b.kickoffs().len(), 3, "{:?}", b.kickoffs().len());
}

#[test]
fn manifest_urls_into_the_users_network_are_refused_before_connecting() {
    // The base is on loopback, so loopback is allowed; these are not.
    let b = bulk(|o| o.faults = faults(&["export-inside-file-urls"]));
    let o = b.export(&["--type", "Patient,Condition"]);
    assert_eq!(o.code, 3, "{}", o.stderr);
    assert!(
        o.stderr.contains("refusing the manifest's")
            && (o.stderr.contains("a private address (10.255.255.1)")
                || o.stderr.contains("a link-local address (169.254.169.254)"))
            && o.stderr.contains("and the FHIR base is not"),
        "{}",
        o.stderr
    );
    // Refused when the manifest arrived: no file was planned or asked for.
    let state = b.state();
    assert!(
        state["files"].as_array().is_none_or(|f| f.is_empty()),
        "{state}"
    );
    assert!(b.file_requests().is_empty());
}

/// A Bulk Data server on loopback whose one file answers 307 to the
/// cloud metadata address (link-local), which nothing here serves.
fn redirecting_server() -> (
    String,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
    tokio::sync::oneshot::Sender<()>,
) {
    use axum::http::{HeaderMap, StatusCode, header};
    use std::sync::atomic::{AtomicUsize, Ordering};
    let hits = std::sync::Arc::new(AtomicUsize::new(0));
    let (tx, rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let counted = hits.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let origin = format!("http://{}", l.local_addr().unwrap());
            tx.send(origin.clone()).unwrap();
            let (o1, o2) = (origin.clone(), origin.clone());
            let app = axum::Router::new()
                .route(
                    "/fhir/$export",
                    axum::routing::get(move || async move {
                        let mut h = HeaderMap::new();
                        h.insert(
                            header::CONTENT_LOCATION,
                            format!("{o1}/fhir/status").parse().unwrap(),
                        );
                        (StatusCode::ACCEPTED, h)
                    }),
                )
                .route(
                    "/fhir/status",
                    axum::routing::get(move || async move {
                        axum::Json(serde_json::json!({
                            "transactionTime": "2024-01-01T00:00:00Z",
                            "requiresAccessToken": false,
                            "output": [{"type": "Patient", "url": format!("{o2}/fhir/f1")}],
                        }))
                    }),
                )
                .route(
                    "/fhir/f1",
                    axum::routing::get(move || async move {
                        counted.fetch_add(1, Ordering::SeqCst);
                        let mut h = HeaderMap::new();
                        h.insert(
                            header::LOCATION,
                            "http://169.254.169.254/latest/meta-data/".parse().unwrap(),
                        );
                        (StatusCode::TEMPORARY_REDIRECT, h)
                    }),
                );
            axum::serve(l, app)
                .with_graceful_shutdown(async {
                    let _ = stop_rx.await;
                })
                .await
                .unwrap();
        });
    });
    (rx.recv().unwrap(), hits, stop_tx)
}

#[test]
fn a_redirect_hop_into_the_users_network_is_refused_and_named() {
    let (origin, hits, _stop) = redirecting_server();
    let cfg = crate::support::TempConfig::new();
    let out = cfg.dir.path().join("out");
    let o = crate::support::Out::of(
        cfg.cmd()
            .env("SMART_FHIR_BASE", format!("{origin}/fhir"))
            .args(["export", "--no-auth", "--out"])
            .arg(&out)
            .output()
            .unwrap(),
    );
    assert_eq!(o.code, 3, "{}", o.stderr);
    assert!(
        o.stderr.contains(&format!(
            "refusing the redirect from {origin}/fhir/f1 to http://169.254.169.254/latest/meta-data/"
        )) && o.stderr.contains("a link-local address (169.254.169.254)"),
        "names the hop: {}",
        o.stderr
    );
    // The file was asked for once per try; the hop was never followed
    // (a followed hop would be a network error, not this refusal).
    assert_eq!(
        hits.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "not tried again"
    );
    assert!(!o.stderr.contains("after 5 tries"), "{}", o.stderr);
}
