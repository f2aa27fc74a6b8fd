//! `smart export` for production: the state as a snapshot plus a journal
//! (resume after SIGKILL and a torn last line), the directory as untrusted
//! data (planted states, symlinks: each refused before any request or
//! write), private modes, `DIR/log.ndjson` in bulk-data-client's format,
//! the DELETE of a finished job, `--out` defaults, `--deadline`, and
//! partial manifests paged with `link`. Assertions are on what the
//! sandbox's journal received and on the files on disk.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::export::{Bulk, bulk, check_files, faults, part_files};
use crate::support::Out;

const STATE: &str = ".smart-export.json";
const JOURNAL: &str = ".smart-export.journal";

fn log_lines(dir: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(dir.join("log.ndjson")).expect("log.ndjson");
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn events<'a>(log: &'a [Value], id: &str) -> Vec<&'a Value> {
    log.iter().filter(|l| l["eventId"] == id).collect()
}

fn deletes(b: &Bulk) -> Vec<smart_sandbox::Received> {
    b.journal()
        .into_iter()
        .filter(|r| r.method == "DELETE")
        .collect()
}

/// Everything under `dir`, with sizes, for "nothing was written".
fn listing(dir: &Path) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    for e in walk(dir) {
        let m = std::fs::symlink_metadata(&e).unwrap();
        out.push((e.display().to_string(), m.len()));
    }
    out.sort();
    out
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                out.extend(walk(&p));
            }
            out.push(p);
        }
    }
    out
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777
}

/// Runs until a journal line for a finished file is written, then SIGKILL.
fn kill_mid_download(b: &Bulk, args: &[&str], until: impl Fn(&str) -> bool) {
    let mut child = b.spawn(args);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let j = std::fs::read_to_string(b.out.join(JOURNAL)).unwrap_or_default();
        if until(&j) {
            break;
        }
        if let Ok(Some(st)) = child.try_wait() {
            panic!("smart export ended ({st}) before the point to kill it");
        }
        assert!(Instant::now() < deadline, "the point to kill never came");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn files_finished_go_to_the_journal_and_a_torn_last_line_resumes() {
    let b = bulk(|o| {
        o.faults = faults(&["export-slow-files"]);
        o.export_file_lines = 100;
    });
    kill_mid_download(&b, &["--parallel", "2"], |j| j.contains("\"done\""));
    // The snapshot was not rewritten per file: it has no file done; the
    // journal does.
    let snapshot = b.state();
    assert!(
        snapshot["files"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["done"].is_null()),
        "no rewrite of the state per file"
    );
    let journal = std::fs::read_to_string(b.out.join(JOURNAL)).unwrap();
    let done_before = journal.lines().filter(|l| l.contains("\"done\"")).count();
    assert!(done_before >= 1);
    // A kill mid-append leaves a torn last line.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(b.out.join(JOURNAL))
        .unwrap();
    std::io::Write::write_all(&mut f, b"{\"epoch\":1,\"done\":{\"i\":0,\"do").unwrap();
    drop(f);
    let fetched_before = b.file_requests().len();

    let o = b.ok(&["--resume", "--json"]);
    assert_eq!(b.kickoffs().len(), 1, "no new kick-off");
    let state = b.state();
    assert_eq!(state["complete"], true);
    assert_eq!(check_files(&b.out, &state)["Patient"], 20);
    assert_eq!(o.json()["resources"]["Patient"], 20);
    // Compacted at the end: the journal is gone, nothing partial is left.
    assert!(!b.out.join(JOURNAL).exists());
    assert!(part_files(&b.out).is_empty());
    // The files the journal had as done were not fetched again.
    let files = state["files"].as_array().unwrap().len();
    let fetched_after = b.file_requests().len() - fetched_before;
    assert!(
        fetched_after <= files - done_before,
        "{fetched_after} fetched again of {files}, {done_before} were done"
    );
}

/// A state as `smart` writes it, for the sandbox `b`, with `edit` applied.
fn plant(b: &Bulk, edit: impl FnOnce(&mut Value)) -> Value {
    let base = &b.env.sb.fhir_base;
    let mut v = json!({
        "v": 1,
        "epoch": 1,
        "fhir_base": base,
        "job": format!("{base}/$export-status/planted"),
        "request": "GET /fhir/$export",
        "started_at": 1_700_000_000u64,
        "gzip": false,
        "manifest": {
            "transactionTime": "2024-01-01T00:00:00Z",
            "request": format!("{base}/$export"),
            "requiresAccessToken": true,
            "output": [{"type": "Patient", "url": format!("{base}/$export-file/planted/Patient.1.ndjson")}],
            "error": [],
        },
        "files": [{
            "part": "output",
            "type": "Patient",
            "url": format!("{base}/$export-file/planted/Patient.1.ndjson"),
            "name": "Patient.1.ndjson",
            "ranges": false,
        }],
        "complete": false,
    });
    edit(&mut v);
    std::fs::create_dir_all(&b.out).unwrap();
    std::fs::write(b.out.join(STATE), v.to_string()).unwrap();
    v
}

/// `smart export ARGS` on the planted DIR: refused (exit 1, saying why),
/// no request at all reached the sandbox, and DIR is as it was.
fn refused(b: &Bulk, args: &[&str], why: &str) -> Out {
    let before = listing(&b.out);
    let o = b.export(args);
    assert_eq!(o.code, 1, "{args:?}: {}", o.stderr);
    assert!(o.stderr.contains(why), "{args:?}: {}", o.stderr);
    assert!(
        b.journal().is_empty(),
        "{args:?}: the sandbox got {:?}",
        b.journal()
            .iter()
            .map(|r| format!("{} {}", r.method, r.path))
            .collect::<Vec<_>>()
    );
    assert_eq!(listing(&b.out), before, "{args:?}: nothing written");
    o
}

#[test]
fn planted_states_are_refused_before_any_request_or_write() {
    type Edit = Box<dyn FnOnce(&mut Value)>;
    let cases: Vec<(&str, Edit)> = vec![
        (
            "a name out of DIR",
            Box::new(|v| v["files"][0]["name"] = "../escaped.ndjson".into()),
        ),
        (
            "an absolute name",
            Box::new(|v| v["files"][0]["name"] = "/tmp/escaped.ndjson".into()),
        ),
        (
            "a NUL in a name",
            Box::new(|v| v["files"][0]["name"] = "Patient\u{0}.1.ndjson".into()),
        ),
        (
            "a Windows device name",
            Box::new(|v| {
                v["manifest"]["output"][0]["type"] = "CON".into();
                v["files"][0]["type"] = "CON".into();
                v["files"][0]["name"] = "CON.1.ndjson".into();
            }),
        ),
        (
            "names that differ only in case",
            Box::new(|v| {
                let base = v["fhir_base"].as_str().unwrap().to_owned();
                v["manifest"]["output"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!({"type": "PATIENT", "url": format!("{base}/x")}));
                v["files"].as_array_mut().unwrap().push(json!({
                    "part": "output", "type": "PATIENT", "url": format!("{base}/x"),
                    "name": "PATIENT.1.ndjson",
                }));
            }),
        ),
        (
            "a file URL that is not the manifest's",
            Box::new(|v| {
                let base = v["fhir_base"].as_str().unwrap().to_owned();
                v["files"][0]["url"] = format!("{base}/Patient/1").into();
            }),
        ),
        (
            "a saved path elsewhere",
            Box::new(|v| {
                v["files"][0]["done"] = json!({"path": "../../.bashrc", "bytes": 1, "check": {"resources": 0, "by_type": {}, "bad_lines": 0, "problems": []}});
            }),
        ),
    ];
    for (what, edit) in cases {
        let b = bulk(|_| {});
        plant(&b, edit);
        for args in [&["--resume"][..], &["--cancel"], &["--status"], &[]] {
            let o = refused(&b, args, "is refused");
            assert!(o.stderr.contains(STATE), "{what}: {}", o.stderr);
        }
        assert!(!b.env.dir().join("escaped.ndjson").exists(), "{what}");
    }
}

#[test]
fn cancel_deletes_only_a_job_a_kick_off_of_yours_returned() {
    let b = bulk(|_| {});
    // A well-formed state whose job is a patient: a DELETE would remove it.
    plant(&b, |v| {
        v["job"] = format!("{}/Patient/{}", v["fhir_base"].as_str().unwrap(), "p1").into();
    });
    for args in [&["--cancel"][..], &["--resume"], &["--status"]] {
        let o = refused(&b, args, "was not returned by a kick-off of yours");
        assert!(o.stderr.contains("export-jobs"), "{}", o.stderr);
    }
    assert!(b.out.join(STATE).exists(), "nothing deleted");
}

#[test]
fn a_state_file_that_cannot_be_read_is_not_overwritten_by_a_new_export() {
    let b = bulk(|_| {});
    // A directory where the state goes: it exists, and cannot be read.
    std::fs::create_dir_all(b.out.join(STATE)).unwrap();
    refused(&b, &[], "cannot read");
    // A journal without its snapshot is not "no export" either.
    let b = bulk(|_| {});
    std::fs::create_dir_all(&b.out).unwrap();
    std::fs::write(b.out.join(JOURNAL), "").unwrap();
    refused(&b, &[], "is refused");
}

#[cfg(unix)]
#[test]
fn symlinks_in_dir_are_never_followed() {
    use std::os::unix::fs::symlink;
    // A symlinked state file: refused, its target untouched.
    let b = bulk(|_| {});
    let elsewhere = b.env.dir().join("elsewhere.json");
    std::fs::write(&elsewhere, "{}").unwrap();
    std::fs::create_dir_all(&b.out).unwrap();
    symlink(&elsewhere, b.out.join(STATE)).unwrap();
    refused(&b, &["--resume"], "symbolic link");
    refused(&b, &[], "symbolic link");
    assert_eq!(std::fs::read_to_string(&elsewhere).unwrap(), "{}");

    // A link where a `.part` goes, and one where a final file goes: the
    // download fails naming it, the targets stay as they were.
    for (link_name, what) in [
        (".Patient.1.ndjson.part", "part"),
        ("Patient.1.ndjson", "final"),
    ] {
        let b = bulk(|o| o.export_delay = Duration::from_secs(1));
        let target = b.env.dir().join("target");
        std::fs::write(&target, "precious").unwrap();
        std::fs::create_dir_all(&b.out).unwrap();
        symlink(&target, b.out.join(link_name)).unwrap();
        let o = b.export(&[]);
        assert_eq!(o.code, 1, "{what}: {}", o.stderr);
        assert!(o.stderr.contains("symbolic link"), "{what}: {}", o.stderr);
        assert_eq!(
            std::fs::read_to_string(&target).unwrap(),
            "precious",
            "{what}"
        );
        // A failed download never deletes the job.
        assert!(deletes(&b).is_empty(), "{what}");
    }
}

#[cfg(unix)]
#[test]
fn exported_files_are_private() {
    // With error files, so that smart makes DIR/error too.
    let b = bulk(|o| o.faults = faults(&["export-with-errors"]));
    assert_eq!(b.export(&[]).code, 3, "the server reported errors");
    assert_eq!(mode(&b.out), 0o700);
    assert_eq!(mode(&b.out.join("error")), 0o700, "made by smart");
    for p in walk(&b.out) {
        if p.is_file() {
            assert_eq!(mode(&p), 0o600, "{}", p.display());
        }
    }
    assert!(b.out.join("log.ndjson").exists());
}

#[test]
fn the_log_is_bulk_data_clients_and_cumulus_reads_it() {
    let b = bulk(|_| {});
    let o = b.ok(&["--json"]);
    let summary = o.json();
    let state = b.state();
    let log = log_lines(&b.out);
    let id = log[0]["exportId"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 20, "10 random bytes in hex");
    for l in &log {
        assert_eq!(l["exportId"], id.as_str());
        let keys: Vec<_> = l.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys.len(), 4, "{keys:?}");
        let ts = l["timestamp"].as_str().unwrap();
        assert!(
            time::OffsetDateTime::parse(ts, &time::format_description::well_known::Rfc3339).is_ok(),
            "{ts}"
        );
    }
    let order: Vec<&str> = log
        .iter()
        .map(|l| l["eventId"].as_str().unwrap())
        .filter(|e| !e.starts_with("download_") && *e != "status_progress")
        .collect();
    assert_eq!(
        order,
        [
            "kickoff",
            "status_complete",
            "status_page_complete",
            "manifest_complete",
            "export_complete"
        ]
    );
    assert!(!events(&log, "status_progress").is_empty());
    let k = &log[0]["eventDetail"];
    assert_eq!(k["logVersion"], "2");
    assert!(
        k["exportUrl"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{}/$export", b.env.sb.fhir_base)),
        "{k}"
    );
    assert_eq!(
        k["requestParameters"]["_outputFormat"],
        "application/fhir+ndjson"
    );
    let tt = state["manifest"]["transactionTime"].as_str().unwrap();
    assert_eq!(
        events(&log, "status_complete")[0]["eventDetail"]["transactionTime"],
        tt
    );
    let files = state["files"].as_array().unwrap();
    let mc = &events(&log, "manifest_complete")[0]["eventDetail"];
    assert_eq!(mc["totalManifests"], 1);
    assert_eq!(
        mc["totalOutputFileCount"].as_u64().unwrap() + mc["totalErrorFileCount"].as_u64().unwrap(),
        files.len() as u64
    );
    assert_eq!(events(&log, "download_request").len(), files.len());
    let completes = events(&log, "download_complete");
    assert_eq!(completes.len(), files.len());
    for c in completes {
        let d = &c["eventDetail"];
        assert!(d["fileUrl"].as_str().unwrap().contains("/$export-file/"));
        assert!(d["fileSize"].as_u64().unwrap() > 0);
        assert!(d["resourceCount"].as_u64().is_some());
    }
    let ec = &events(&log, "export_complete")[0]["eventDetail"];
    assert_eq!(ec["files"], files.len());
    assert_eq!(ec["bytes"], summary["bytes"]);

    // What Cumulus ETL's export_log.py does: the last kickoff's exportId,
    // its exportUrl, and the status_complete of that id.
    let last = log
        .iter()
        .rev()
        .find(|l| l["eventId"] == "kickoff")
        .unwrap();
    let complete = log
        .iter()
        .find(|l| l["eventId"] == "status_complete" && l["exportId"] == last["exportId"])
        .expect("Cumulus finds the status_complete of the export");
    assert!(
        time::OffsetDateTime::parse(
            complete["eventDetail"]["transactionTime"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339
        )
        .is_ok()
    );
}

#[test]
fn a_resumed_export_logs_under_the_id_of_its_kick_off() {
    let b = bulk(|o| {
        o.faults = faults(&["export-slow-files"]);
        o.export_file_lines = 100;
    });
    kill_mid_download(&b, &[], |j| j.contains("\"done\""));
    b.ok(&["--resume"]);
    let log = log_lines(&b.out);
    let ids: std::collections::HashSet<_> = log.iter().map(|l| l["exportId"].clone()).collect();
    assert_eq!(ids.len(), 1, "one export, one id");
    assert_eq!(events(&log, "kickoff").len(), 1);
    assert_eq!(events(&log, "export_complete").len(), 1);
}

#[test]
fn a_finished_job_is_deleted_unless_kept() {
    let b = bulk(|_| {});
    b.ok(&[]);
    let job = b.state()["job"].as_str().unwrap().to_owned();
    let d = deletes(&b);
    assert_eq!(d.len(), 1, "one DELETE");
    assert!(job.ends_with(&d[0].path), "{job} vs {}", d[0].path);
    // After every file: the DELETE is the sandbox's last export request.
    let j = b.journal();
    let at = j.iter().position(|r| r.method == "DELETE").unwrap();
    assert!(
        j[at..].iter().all(|r| !r.path.contains("$export-file")),
        "files after the DELETE"
    );
    assert_eq!(b.state()["job_deleted"], true);
    // A resume of the finished export does not DELETE again.
    b.ok(&["--resume"]);
    assert_eq!(deletes(&b).len(), 1);

    // --keep-job: no DELETE; a later resume without it deletes, and a job
    // the server no longer knows (404) is no error.
    let b = bulk(|_| {});
    b.ok(&["--keep-job"]);
    assert!(deletes(&b).is_empty());
    let job = b.state()["job"].as_str().unwrap().to_owned();
    let token = b.env.token("svc");
    let st = reqwest::blocking::Client::new()
        .delete(&job)
        .bearer_auth(token)
        .send()
        .unwrap()
        .status();
    assert!(st.is_success());
    b.ok(&["--resume"]);
    assert_eq!(deletes(&b).len(), 2, "ours after the test's own");
}

#[test]
fn a_failed_job_is_never_deleted() {
    let b = bulk(|o| o.faults = faults(&["export-job-fails"]));
    let o = b.export(&[]);
    assert_eq!(o.code, 3, "{}", o.stderr);
    assert!(deletes(&b).is_empty());
    let log = log_lines(&b.out);
    let e = events(&log, "status_error");
    assert_eq!(e.len(), 1, "{log:?}");
    assert_eq!(e[0]["eventDetail"]["code"], 500);
}

#[test]
fn without_out_a_new_directory_is_made_and_a_refused_kick_off_leaves_none() {
    let b = bulk(|_| {});
    let cwd = tempfile::tempdir().unwrap();
    let o = b
        .env
        .cmd()
        .current_dir(cwd.path())
        .args(["-p", "svc", "export"])
        .output()
        .unwrap();
    let o = Out::of(o);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let made: Vec<_> = std::fs::read_dir(cwd.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(made.len(), 1, "{made:?}");
    assert!(made[0].starts_with("export-"), "{made:?}");
    assert!(cwd.path().join(&made[0]).join("Patient.1.ndjson").exists());

    // A kick-off the server refuses (no such group): no directory left.
    let cwd = tempfile::tempdir().unwrap();
    let o = Out::of(
        b.env
            .cmd()
            .current_dir(cwd.path())
            .args(["-p", "svc", "export", "group", "nope"])
            .output()
            .unwrap(),
    );
    assert_eq!(o.code, 3, "{}", o.stderr);
    assert_eq!(std::fs::read_dir(cwd.path()).unwrap().count(), 0);
    let out = b.env.dir().join("refused");
    let o = b
        .env
        .cmd()
        .args(["-p", "svc", "export", "group", "nope", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(Out::of(o).code, 3);
    assert!(!out.exists());

    // --resume without --out says what it needs.
    let o = Out::of(
        b.env
            .cmd()
            .args(["-p", "svc", "export", "--resume"])
            .output()
            .unwrap(),
    );
    assert_eq!(o.code, 1);
    assert!(o.stderr.contains("need --out DIR"), "{}", o.stderr);
}

#[test]
fn a_deadline_stops_the_run_and_resume_goes_on() {
    let b = bulk(|o| o.export_delay = Duration::from_secs(4));
    let o = b.export(&["--deadline", "2s"]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("--deadline of 2s passed"), "{}", o.stderr);
    assert!(o.stderr.contains("--resume"), "{}", o.stderr);
    assert!(deletes(&b).is_empty());
    b.ok(&["--resume"]);
    assert_eq!(b.kickoffs().len(), 1);
    assert_eq!(b.state()["complete"], true);
}

#[test]
fn partial_manifests_are_paged_and_each_page_downloads_as_it_comes() {
    let b = bulk(|_| {});
    let o = b.ok(&["--partial-manifests", "--json"]);
    let k = b.kickoffs();
    assert_eq!(k[0].param("allowPartialManifests"), Some("true"));
    let state = b.state();
    let files = state["files"].as_array().unwrap().len();
    assert!(files > 4, "several pages of 2 files: {files}");
    assert_eq!(check_files(&b.out, &state)["Patient"], 20);
    assert_eq!(o.json()["resources"]["Patient"], 20);
    // Every page was asked for, and the sandbox serves page n+1 only once
    // every file of page n was requested: downloads started per page.
    let pages: Vec<_> = b
        .polls()
        .into_iter()
        .filter_map(|r| r.param("page").map(str::to_owned))
        .collect();
    let last = files.div_ceil(2);
    assert!(pages.contains(&last.to_string()), "{pages:?}");
    let log = log_lines(&b.out);
    assert_eq!(events(&log, "status_page_complete").len(), last);
    let mc = events(&log, "manifest_complete");
    assert_eq!(mc.len(), 1);
    assert_eq!(mc[0]["eventDetail"]["totalManifests"], last);
    assert_eq!(b.file_requests().len(), files, "each file once");
}

#[test]
fn partial_manifests_resume_across_pages_after_a_kill() {
    let b = bulk(|o| {
        o.faults = faults(&["export-slow-files"]);
        o.export_file_lines = 100;
    });
    // Killed once a second page is in the journal.
    kill_mid_download(&b, &["--partial-manifests"], |j| j.contains("\"page\""));
    let j = std::fs::read_to_string(b.out.join(JOURNAL)).unwrap();
    let pages_before = j.lines().filter(|l| l.contains("\"page\"")).count();
    let o = b.ok(&["--resume", "--json"]);
    assert_eq!(b.kickoffs().len(), 1, "no new kick-off");
    let state = b.state();
    assert_eq!(state["complete"], true);
    assert!(state["next"].is_null());
    assert_eq!(check_files(&b.out, &state)["Patient"], 20);
    assert_eq!(o.json()["resources"]["Patient"], 20);
    assert!(state["pages"].as_array().unwrap().len() >= pages_before);
    let names: Vec<_> = state["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_owned())
        .collect();
    let unique: std::collections::HashSet<_> = names.iter().collect();
    assert_eq!(unique.len(), names.len(), "no page taken twice: {names:?}");
}

#[test]
fn a_deadline_that_makes_no_sense_is_refused() {
    let b = bulk(|_| {});
    for bad in ["0s", "5x", "", "soon"] {
        let o = b.export(&["--deadline", bad]);
        assert_eq!(o.code, 1, "{bad}: {}", o.stderr);
        assert!(o.stderr.contains("--deadline"), "{bad}: {}", o.stderr);
    }
    assert!(b.journal().is_empty());
}
