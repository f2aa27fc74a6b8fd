//! `smart export` against the in-process sandbox's Bulk Data server: the
//! three levels and their parameters, resume after SIGKILL mid-download,
//! Ctrl-C and cancel, error files, a token refresh mid-export, where the
//! token goes (never off the FHIR base, never after a redirect to storage),
//! polling (Retry-After capped, as a date, 429), a truncated file continued
//! with Range, and bad input refused before any request. Assertions are on
//! what the sandbox's journal received as much as on the exit code.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;
use smart_sandbox::{Faults, Options, Received};

use crate::backend_support::{Env, backend_client, keygen, sandbox_with};
use crate::support::{APPROVE, Out, browser_script};

/// A sandbox with a backend client `svc` (system/*.rs) and its profile.
pub(crate) struct Bulk {
    _keys: tempfile::TempDir,
    pub(crate) env: Env,
    pub(crate) out: PathBuf,
}

pub(crate) fn faults(names: &[&str]) -> Faults {
    let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    Faults::parse(&names).expect("known faults")
}

/// 20 patients, files of 50 lines (so a type has several), a short job.
pub(crate) fn bulk(f: impl FnOnce(&mut Options)) -> Bulk {
    let keys = tempfile::tempdir().unwrap();
    let (key, jwks) = keygen(keys.path(), "ES384", None);
    let sb = sandbox_with(keys.path(), vec![backend_client("svc", jwks)], |o| {
        o.patients = 20;
        o.export_delay = Duration::from_millis(300);
        o.export_file_lines = 50;
        f(o);
    });
    let env = Env::new(sb);
    env.cmd()
        .args(["profile", "add", "svc", "--fhir-base", &env.sb.fhir_base])
        .args(["--client-id", "svc", "--client-type", "backend"])
        .args(["--scope", "system/*.rs", "--private-key"])
        .arg(&key)
        .assert()
        .success();
    let out = env.dir().join("out");
    Bulk {
        _keys: keys,
        env,
        out,
    }
}

impl Bulk {
    /// A `Bulk` of a sandbox set up elsewhere (another client's scopes).
    pub(crate) fn from_parts(keys: tempfile::TempDir, env: Env, out: PathBuf) -> Bulk {
        Bulk {
            _keys: keys,
            env,
            out,
        }
    }

    pub(crate) fn out_str(&self) -> String {
        self.out.display().to_string()
    }

    /// `smart -p svc export --out OUT ARGS…`
    pub(crate) fn export(&self, args: &[&str]) -> Out {
        let o = self
            .env
            .cmd()
            .args(["-p", "svc", "export", "--out", &self.out_str()])
            .args(args)
            .output()
            .expect("smart runs");
        Out::of(o)
    }

    pub(crate) fn ok(&self, args: &[&str]) -> Out {
        let o = self.export(args);
        assert_eq!(o.code, 0, "smart export {args:?} failed:\n{}", o.stderr);
        o
    }

    pub(crate) fn spawn(&self, args: &[&str]) -> std::process::Child {
        let mut c = self.env.cfg.file_store_std();
        c.args(["-p", "svc", "export", "--out", &self.out_str()])
            .args(args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        c.spawn().expect("smart starts")
    }

    pub(crate) fn state(&self) -> Value {
        let text =
            std::fs::read_to_string(self.out.join(".smart-export.json")).expect("state file");
        serde_json::from_str(&text).unwrap()
    }

    pub(crate) fn journal(&self) -> Vec<Received> {
        self.env.sb.journal.all()
    }

    pub(crate) fn kickoffs(&self) -> Vec<Received> {
        self.journal()
            .into_iter()
            .filter(|r| r.path.ends_with("/$export"))
            .collect()
    }

    pub(crate) fn polls(&self) -> Vec<Received> {
        self.journal()
            .into_iter()
            .filter(|r| r.path.contains("/$export-status/") && r.method == "GET")
            .collect()
    }

    /// Requests for export files, on the FHIR base or the storage origin.
    pub(crate) fn file_requests(&self) -> Vec<Received> {
        self.journal()
            .into_iter()
            .filter(|r| r.path.contains("/$export-file/") || r.path.starts_with("/bucket/"))
            .collect()
    }
}

pub(crate) fn has_token(r: &Received) -> bool {
    r.headers.contains_key("authorization")
}

/// The lines of every complete file the state lists, checked: each parses,
/// has the file's type, ids are unique per type across files, and each
/// file holds exactly the manifest's count. Returns resources per type.
pub(crate) fn check_files(out: &Path, state: &Value) -> BTreeMap<String, u64> {
    let mut per_type = BTreeMap::new();
    let mut ids: HashSet<(String, String)> = HashSet::new();
    for f in state["files"].as_array().expect("files") {
        let path = f["done"]["path"].as_str().expect("every file complete");
        let text = read_maybe_gz(&out.join(path));
        let t = f["type"].as_str().unwrap();
        let mut n = 0;
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let v: Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("{path}: {e}: {line}"));
            assert_eq!(v["resourceType"], t, "{path}");
            let id = v["id"].as_str().unwrap_or_default().to_owned();
            if f["part"] == "output" {
                assert!(
                    ids.insert((t.to_owned(), id.clone())),
                    "{path}: duplicate {t}/{id}"
                );
            }
            n += 1;
        }
        if let Some(c) = f["count"].as_u64() {
            assert_eq!(n, c, "{path}: lines vs manifest count");
        }
        if f["part"] == "output" {
            *per_type.entry(t.to_owned()).or_insert(0) += n;
        }
    }
    per_type
}

pub(crate) fn read_maybe_gz(p: &Path) -> String {
    let bytes = std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    if p.extension().is_some_and(|e| e == "gz") {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut flate2::read::MultiGzDecoder::new(&bytes[..]), &mut s)
            .unwrap();
        s
    } else {
        String::from_utf8(bytes).unwrap()
    }
}

/// `.part` files left in `dir` (and its error/ and deleted/ directories).
pub(crate) fn part_files(dir: &Path) -> Vec<(PathBuf, u64)> {
    let mut out = Vec::new();
    for d in [dir.to_path_buf(), dir.join("error"), dir.join("deleted")] {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.ends_with(".part") {
                out.push((e.path(), e.metadata().map(|m| m.len()).unwrap_or(0)));
            }
        }
    }
    out
}

#[test]
fn a_system_export_downloads_every_file_checked_and_counted() {
    let b = bulk(|_| {});
    let o = b.ok(&["--json"]);
    let summary = o.json();
    let state = b.state();
    assert_eq!(state["complete"], true);
    let per_type = check_files(&b.out, &state);
    assert_eq!(per_type["Patient"], 20);
    assert!(
        per_type["Observation"] > 50,
        "several Observation files: {per_type:?}"
    );
    let files = state["files"].as_array().unwrap().len();
    assert_eq!(summary["files"], files);
    assert!(files > per_type.len(), "a type split over several files");
    for (t, n) in &per_type {
        assert_eq!(summary["resources"][t], *n, "{t}");
    }
    assert!(summary["bytes"].as_u64().unwrap() > 0);
    assert!(summary["download_seconds"].as_f64().is_some());
    assert!(summary["seconds"].as_f64().unwrap() >= summary["download_seconds"].as_f64().unwrap());
    assert!(b.out.join("Patient.1.ndjson").exists());
    assert!(part_files(&b.out).is_empty());

    // What the server received: one kick-off as the IG wants it, polls, and
    // every file with the token (requiresAccessToken, on the FHIR base).
    let k = b.kickoffs();
    assert_eq!(k.len(), 1);
    assert_eq!(k[0].method, "GET");
    assert_eq!(k[0].path, "/fhir/$export");
    assert_eq!(k[0].headers["prefer"], "respond-async");
    assert_eq!(k[0].headers["accept"], "application/fhir+json");
    assert_eq!(k[0].param("_outputFormat"), Some("application/fhir+ndjson"));
    assert!(!b.polls().is_empty());
    let fr = b.file_requests();
    assert_eq!(fr.len(), files, "each file fetched once");
    assert!(fr.iter().all(has_token));

    // Human summary on stderr; stdout stays empty.
    std::fs::remove_dir_all(&b.out).unwrap();
    let o = b.ok(&[]);
    assert!(o.stdout.is_empty(), "{}", o.stdout);
    assert!(
        o.stderr.contains(&format!("Exported {files} files into")),
        "{}",
        o.stderr
    );
    assert!(o.stderr.contains("Patient"), "{}", o.stderr);
    assert!(o.stderr.contains("       20 resources"), "{}", o.stderr);
    // Not a terminal: no progress drawn, no escape sequences.
    assert!(!o.stderr.contains("export in progress"), "{}", o.stderr);
    assert!(
        !o.stderr.contains('\r') && !o.stderr.contains('\u{1b}'),
        "{:?}",
        o.stderr
    );
}

#[test]
fn patient_and_group_exports_send_their_parameters() {
    let b = bulk(|_| {});
    // Patient level, GET, with _type, _since, _typeFilter and _elements.
    let o = b.ok(&[
        "patient",
        "--type",
        "Patient,Observation",
        "--since",
        "2000-01-01T00:00:00Z",
        "--type-filter",
        "Patient?gender=female",
        "--elements",
        "gender",
        "--json",
    ]);
    let k = b.kickoffs();
    assert_eq!(k[0].path, "/fhir/Patient/$export");
    assert_eq!(k[0].param("_type"), Some("Patient,Observation"));
    assert_eq!(k[0].param("_since"), Some("2000-01-01T00:00:00Z"));
    assert_eq!(k[0].param("_typeFilter"), Some("Patient?gender=female"));
    assert_eq!(k[0].param("_elements"), Some("gender"));
    let res = o.json()["resources"].clone();
    assert_eq!(
        res.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["Observation", "Patient"]
    );
    let state = b.state();
    check_files(&b.out, &state);
    for line in std::fs::read_to_string(b.out.join("Patient.1.ndjson"))
        .unwrap()
        .lines()
    {
        let p: Value = serde_json::from_str(line).unwrap();
        assert_eq!(p["gender"], "female", "{line}");
        assert!(
            p.get("name").is_none(),
            "_elements keeps only gender: {line}"
        );
    }

    // Group level: `sample` is every 10th patient.
    let g = b.env.dir().join("group");
    let o = Out::of(
        b.env
            .cmd()
            .args([
                "-p", "svc", "export", "group", "sample", "--type", "Patient", "--json", "--out",
            ])
            .arg(&g)
            .output()
            .unwrap(),
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.json()["resources"]["Patient"], 2);
    assert_eq!(b.kickoffs()[1].path, "/fhir/Group/sample/$export");

    // `--patient` exists only in a POST body (a Parameters resource).
    let p = b.env.dir().join("one");
    let o = Out::of(
        b.env
            .cmd()
            .args([
                "-p",
                "svc",
                "export",
                "patient",
                "--patient",
                "p000003",
                "--type",
                "Patient",
            ])
            .args(["--json", "--out"])
            .arg(&p)
            .output()
            .unwrap(),
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    let post = &b.kickoffs()[2];
    assert_eq!(post.method, "POST");
    assert_eq!(post.headers["content-type"], "application/fhir+json");
    assert_eq!(post.headers["prefer"], "respond-async");
    assert!(
        post.query.is_empty(),
        "no parameters in the URL: {:?}",
        post.query
    );
    assert_eq!(o.json()["resources"]["Patient"], 1);
    let line = std::fs::read_to_string(p.join("Patient.1.ndjson")).unwrap();
    assert!(line.contains("\"p000003\""), "{line}");

    // A query too long for a URL goes as a POST too.
    let long = b.env.dir().join("long");
    let mut c = b.env.cmd();
    c.args([
        "-p", "svc", "export", "--type", "Patient", "--json", "--out",
    ])
    .arg(&long);
    for _ in 0..100 {
        c.args(["--type-filter", "Patient?gender=female"]);
    }
    let o = Out::of(c.output().unwrap());
    assert_eq!(o.code, 0, "{}", o.stderr);
    let k = b.kickoffs();
    let last = k.last().unwrap();
    assert_eq!(last.method, "POST");
    assert!(last.query.is_empty());
    assert!(o.json()["resources"]["Patient"].as_u64().unwrap() > 0);

    // The server's refusal: its OperationOutcome, one line per issue.
    let bad = b.env.dir().join("bad");
    let o = Out::of(
        b.env
            .cmd()
            .args([
                "-p",
                "svc",
                "export",
                "--type-filter",
                "Patient?nonsense=1",
                "--out",
            ])
            .arg(&bad)
            .output()
            .unwrap(),
    );
    assert_eq!(o.code, 3, "{}", o.stderr);
    assert!(o.stderr.contains("400"), "{}", o.stderr);
    assert!(
        o.stderr
            .lines()
            .any(|l| l.starts_with("  error [") && l.contains("nonsense")),
        "{}",
        o.stderr
    );
    assert!(!bad.join(".smart-export.json").exists(), "no job, no state");

    // An unknown group is the server's 404, shown as such.
    let o = b.export(&["group", "nope"]);
    assert_eq!(o.code, 3, "{}", o.stderr);
    assert!(o.stderr.contains("404"), "{}", o.stderr);
}

#[test]
fn gzip_keeps_the_files_compressed_and_checks_them_decompressed() {
    let b = bulk(|_| {});
    let o = b.ok(&["--gzip", "--type", "Patient", "--json"]);
    assert_eq!(o.json()["resources"]["Patient"], 20);
    assert!(b.out.join("Patient.1.ndjson.gz").exists());
    assert!(!b.out.join("Patient.1.ndjson").exists());
    let state = b.state();
    assert_eq!(check_files(&b.out, &state)["Patient"], 20);
    assert!(
        b.file_requests()
            .iter()
            .all(|r| r.headers["accept-encoding"] == "gzip")
    );
}

#[test]
fn a_killed_export_resumes_without_a_new_kick_off_and_without_duplicates() {
    let b = bulk(|o| {
        o.faults = faults(&["export-slow-files"]);
        o.export_file_lines = 200;
    });
    let mut child = b.spawn(&["--parallel", "2"]);
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        if part_files(&b.out).iter().any(|(_, n)| *n > 0) {
            break;
        }
        if let Ok(Some(st)) = child.try_wait() {
            panic!("smart export ended ({st}) before a file was half written");
        }
        assert!(Instant::now() < deadline, "no partly written file appeared");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL: no chance to tidy up
    child.wait().unwrap();
    let before = b.state();
    assert!(before["manifest"].is_object(), "the manifest was saved");
    assert!(
        before["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["done"].is_null()),
        "killed mid-download"
    );
    let partial: Vec<_> = part_files(&b.out)
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .collect();
    assert!(!partial.is_empty());

    let o = b.ok(&["--resume", "--json"]);
    assert_eq!(b.kickoffs().len(), 1, "no new kick-off");
    assert!(part_files(&b.out).is_empty(), "no temp file left");
    let state = b.state();
    assert_eq!(state["complete"], true);
    let per_type = check_files(&b.out, &state);
    assert_eq!(per_type["Patient"], 20);
    assert_eq!(o.json()["resources"]["Patient"], 20);
    // The half-written file went on from where it stopped.
    let ranged: Vec<_> = b
        .file_requests()
        .into_iter()
        .filter(|r| r.headers.contains_key("range"))
        .collect();
    assert!(
        !ranged.is_empty(),
        "a Range request continued a partial file"
    );
    for r in &ranged {
        let v = r.headers["range"].to_str().unwrap();
        assert!(
            v.starts_with("bytes=") && v.ends_with('-') && v != "bytes=0-",
            "{v}"
        );
    }
    // A second resume has nothing left to do.
    let o = b.ok(&["--resume", "--json"]);
    assert_eq!(o.json()["transferred"], 0);
}

#[test]
fn interrupt_tells_how_to_resume_and_cancel_deletes_the_job() {
    let b = bulk(|o| o.export_delay = Duration::from_secs(120));
    let child = b.spawn(&[]);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !b.out.join(".smart-export.json").exists() {
        assert!(Instant::now() < deadline, "no job saved");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Ctrl-C without a terminal: no question, the job keeps running.
    let st = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let o = Out::of(child.wait_with_output().unwrap());
    assert_eq!(o.code, 130, "{}", o.stderr);
    assert!(
        o.stderr.contains("keeps running at the server"),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr.contains("smart -p svc export --resume --out"),
        "{}",
        o.stderr
    );
    assert!(b.journal().iter().all(|r| r.method != "DELETE"));

    // A new export in the same directory is refused; --status polls once.
    let o = b.export(&[]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.stderr.contains("not finished"), "{}", o.stderr);
    let polls = b.polls().len();
    let o = b.ok(&["--status", "--json"]);
    assert_eq!(o.json()["status"], "in-progress", "{}", o.stdout);
    assert_eq!(b.polls().len(), polls + 1);

    // --cancel: a DELETE of the job, and the saved state is gone.
    let job = b.state()["job"].as_str().unwrap().to_owned();
    let o = b.ok(&["--cancel"]);
    assert!(
        o.stdout.contains("Cancelled the export job"),
        "{}",
        o.stdout
    );
    let deletes: Vec<_> = b
        .journal()
        .into_iter()
        .filter(|r| r.method == "DELETE")
        .collect();
    assert_eq!(deletes.len(), 1);
    assert!(
        job.ends_with(&deletes[0].path),
        "{job} vs {}",
        deletes[0].path
    );
    assert!(!b.out.join(".smart-export.json").exists());
    // The server's side: the job is gone.
    let token = b.env.token("svc");
    let status = reqwest::blocking::Client::new()
        .get(&job)
        .bearer_auth(token)
        .send()
        .unwrap()
        .status();
    assert_eq!(status, 404);
    let o = b.export(&["--status"]);
    assert_eq!(o.code, 1);
    assert!(o.stderr.contains("no export saved"), "{}", o.stderr);
}

#[test]
fn error_files_are_downloaded_and_reported() {
    let b = bulk(|o| o.faults = faults(&["export-with-errors"]));
    let o = b.export(&[]);
    assert_eq!(o.code, 3, "{}", o.stderr);
    assert!(
        o.stderr.contains("The server's error files"),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr.contains("error ["),
        "the issues are shown: {}",
        o.stderr
    );
    assert!(o.stderr.contains("the server reported"), "{}", o.stderr);
    assert!(b.out.join("error/OperationOutcome.1.ndjson").exists());
    // Everything else is there all the same.
    assert_eq!(check_files(&b.out, &b.state())["Patient"], 20);

    let b = bulk(|o| o.faults = faults(&["export-with-errors"]));
    let o = b.export(&["--json"]);
    assert_eq!(o.code, 3);
    let s = o.json();
    assert_eq!(s["errors"]["files"], 1);
    assert!(s["errors"]["errors"].as_u64().unwrap() > 0);
}

#[test]
fn a_failed_job_is_a_server_error_with_its_outcome() {
    let b = bulk(|o| o.faults = faults(&["export-job-fails"]));
    let o = b.export(&[]);
    assert_eq!(o.code, 3, "{}", o.stderr);
    assert!(o.stderr.contains("the export job failed"), "{}", o.stderr);
    assert!(
        o.stderr.contains("  error ["),
        "one line per issue: {}",
        o.stderr
    );
}

#[test]
fn a_backend_token_that_expires_mid_export_is_fetched_again() {
    let b = bulk(|o| {
        o.token_lifetime = Duration::from_secs(2);
        o.export_delay = Duration::from_secs(4);
    });
    let before = b.env.sb.token_requests("client_credentials");
    let o = b.ok(&["--json"]);
    assert_eq!(o.json()["resources"]["Patient"], 20);
    let grants = b.env.sb.token_requests("client_credentials") - before;
    assert!(grants >= 2, "a new grant mid-export: {grants}");
    assert_eq!(b.kickoffs().len(), 1);
}

#[test]
fn a_user_token_that_expires_mid_export_is_refreshed() {
    let keys = tempfile::tempdir().unwrap();
    let sb = sandbox_with(keys.path(), vec![], |o| {
        o.patients = 5;
        o.export_delay = Duration::from_secs(4);
        o.token_lifetime = Duration::from_secs(2);
    });
    let env = Env::new(sb);
    env.cmd()
        .args(["profile", "add", "sb", "--fhir-base", &env.sb.fhir_base])
        .args(["--client-id", "smart-cli"])
        .assert()
        .success();
    let browser = browser_script(env.dir(), "browser.sh", APPROVE);
    env.cmd()
        .env("BROWSER", &browser)
        .args([
            "login",
            "--timeout",
            "20",
            "--scope",
            "openid fhirUser user/*.rs offline_access",
        ])
        .assert()
        .success();
    let before = env.sb.token_requests("refresh_token");
    let out = env.dir().join("out");
    let o = Out::of(
        env.cmd()
            .args(["export", "--type", "Patient", "--json", "--out"])
            .arg(&out)
            .output()
            .unwrap(),
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.json()["resources"]["Patient"], 5);
    assert!(
        env.sb.token_requests("refresh_token") - before >= 2,
        "refreshed mid-export"
    );
}

#[test]
fn files_off_the_fhir_base_never_get_the_token() {
    // requiresAccessToken false, files on the storage origin.
    let b = bulk(|o| o.faults = faults(&["export-off-origin-files"]));
    let o = b.ok(&["--json"]);
    assert_eq!(o.json()["resources"]["Patient"], 20);
    let fr = b.file_requests();
    assert!(!fr.is_empty());
    assert!(fr.iter().all(|r| r.path.starts_with("/bucket/")));
    assert!(fr.iter().all(|r| !has_token(r)), "no token off the base");
    assert!(b.polls().iter().all(has_token), "status polls do carry it");

    // requiresAccessToken true, file URLs on the base answering 307 to
    // storage: the first hop carries the token, the storage hop does not.
    let b = bulk(|o| o.faults = faults(&["export-file-redirect"]));
    let o = b.ok(&["--json"]);
    assert_eq!(o.json()["resources"]["Patient"], 20);
    let fr = b.file_requests();
    let (on_base, storage): (Vec<_>, Vec<_>) =
        fr.iter().partition(|r| r.path.contains("/$export-file/"));
    assert!(!on_base.is_empty() && on_base.len() == storage.len());
    assert!(on_base.iter().all(|r| has_token(r)));
    assert!(
        storage.iter().all(|r| !has_token(r)),
        "no token after the 307"
    );
}

#[test]
fn a_long_retry_after_is_capped_and_reported() {
    let b = bulk(|o| o.faults = faults(&["export-retry-after-hours"]));
    let start = Instant::now();
    let o = b.ok(&["--max-retry-wait", "1"]);
    assert!(start.elapsed() < Duration::from_secs(30));
    assert!(
        o.stderr.contains("asks to wait 7200 s")
            && o.stderr.contains("polling again in 1 s instead"),
        "{}",
        o.stderr
    );
    assert_eq!(
        o.stderr.matches("asks to wait 7200 s").count(),
        1,
        "said once, not at every poll: {}",
        o.stderr
    );
}

#[test]
fn retry_after_as_a_date_and_429_on_status_are_waited_out() {
    let b = bulk(|o| {
        o.faults = faults(&["export-retry-after-date"]);
        o.export_delay = Duration::from_secs(2);
    });
    let o = b.ok(&["--json"]);
    assert_eq!(o.json()["resources"]["Patient"], 20);
    // About one poll a second, not a hammering.
    let polls = b.polls().len();
    assert!((2..=10).contains(&polls), "{polls} polls");

    let b = bulk(|o| {
        o.faults = faults(&["export-status-429"]);
        o.export_delay = Duration::from_secs(2);
    });
    let o = b.ok(&["--json"]);
    assert_eq!(o.json()["resources"]["Patient"], 20);
    assert!(b.polls().len() >= 3, "polled again after the 429s");
}

#[test]
fn a_truncated_file_is_caught_and_continued_with_range() {
    let b = bulk(|o| o.faults = faults(&["export-truncated-file"]));
    let o = b.ok(&["--json"]);
    assert_eq!(o.json()["resources"]["Patient"], 20);
    let state = b.state();
    check_files(&b.out, &state);
    let files = state["files"].as_array().unwrap().len();
    let fr = b.file_requests();
    assert_eq!(fr.len(), 2 * files, "each file cut once, then continued");
    let ranged: Vec<_> = fr
        .iter()
        .filter(|r| r.headers.contains_key("range"))
        .collect();
    assert_eq!(
        ranged.len(),
        files,
        "continued with Range, not fetched again whole"
    );

    // Without Range support the file is fetched again from the start.
    let b = bulk(|o| o.faults = faults(&["export-truncated-file", "export-no-range"]));
    let o = b.ok(&["--json", "--type", "Patient"]);
    assert_eq!(o.json()["resources"]["Patient"], 20);
    check_files(&b.out, &b.state());
    let fr = b.file_requests();
    assert!(fr.len() >= 2);
    assert!(fr.iter().all(|r| !r.headers.contains_key("range")));
}

#[test]
fn bad_input_is_refused_before_any_request() {
    let b = bulk(|_| {});
    let cases: &[(&[&str], &str)] = &[
        (&["--type", "Patinet"], "unknown resource type `Patinet`"),
        (
            &["--since", "2024-01-01"],
            "--since `2024-01-01` is not a FHIR instant",
        ),
        (&["--since", "yesterday"], "is not a FHIR instant"),
        (&["--parallel", "0"], "--parallel"),
        (&["group"], "GROUP_ID"),
        (&["patient", "x"], "takes no group id"),
        (&["--type-filter", "status=final"], "is not Type?search"),
        (&["--elements", "Bad-Name"], "is not an element name"),
        (&["--output-format", "text/csv"], "not an NDJSON format"),
        (&["--patient", "p1"], "not system"),
        (&["--resume"], "no export saved"),
        (
            &["--resume", "--type", "Patient"],
            "give no level or export parameters",
        ),
        (&["--status", "--cancel"], "cannot be used with"),
    ];
    for (args, said) in cases {
        let o = b.export(args);
        assert_eq!(o.code, 1, "{args:?}: {}", o.stderr);
        assert!(o.stderr.contains(said), "{args:?}: {}", o.stderr);
        let first = o.stderr.lines().next().unwrap_or_default();
        assert!(first.contains("error"), "{args:?}: {}", o.stderr);
    }
    assert!(
        b.journal().is_empty(),
        "no request at all, not even for a token: {:?}",
        b.journal().iter().map(|r| &r.path).collect::<Vec<_>>()
    );
    assert!(!b.out.join(".smart-export.json").exists());
}

/// `smart export …` on a terminal (a pty made by util-linux `script`), its
/// stdin ours to type into; what it draws accumulates in the returned buffer,
/// whose reader thread ends (join it) when the terminal closes.
fn on_a_terminal(
    b: &Bulk,
    args: &[&str],
) -> (
    std::process::Child,
    std::sync::Arc<std::sync::Mutex<String>>,
    std::thread::JoinHandle<()>,
) {
    use std::io::Read;
    let smart = assert_cmd::cargo::cargo_bin("smart");
    let line = format!(
        "{} -p svc export --out {} {}",
        smart.display(),
        b.out_str(),
        args.join(" ")
    );
    // The pty is `script`'s; the command inside it inherits the test
    // environment of `smart` (variables set and removed), plus a terminal.
    let base = b.env.cfg.file_store_std();
    let mut cmd = std::process::Command::new("script");
    for (k, v) in base.get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    cmd.args(["-qfec", &line, "/dev/null"])
        .env("TERM", "xterm")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    let mut child = cmd.spawn().expect("script runs");
    let mut stdout = child.stdout.take().unwrap();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let sink = seen.clone();
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    (child, seen, reader)
}

pub(crate) fn wait_for(what: &str, deadline: Duration, mut f: impl FnMut() -> bool) {
    let end = Instant::now() + deadline;
    while !f() {
        assert!(Instant::now() < end, "waited in vain for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn on_a_terminal_progress_is_drawn_and_ctrl_c_offers_to_cancel() {
    use std::io::Write;
    let have_script = std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !crate::support::real_part(
        "util-linux `script`",
        have_script,
        "apt-get install bsdutils",
    ) {
        return;
    }
    let b = bulk(|o| o.export_delay = Duration::from_secs(120));
    let (mut child, seen, reader) = on_a_terminal(&b, &[]);
    wait_for("the job line", Duration::from_secs(20), || {
        seen.lock().unwrap().contains("export in progress")
    });
    assert!(b.out.join(".smart-export.json").exists());
    // Ctrl-C, typed: the terminal turns it into SIGINT.
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"\x03").unwrap();
    stdin.flush().unwrap();
    wait_for("the question", Duration::from_secs(10), || {
        seen.lock()
            .unwrap()
            .contains("Cancel the export job at the server? [y/N]")
    });
    stdin.write_all(b"y\n").unwrap();
    stdin.flush().unwrap();
    let st = child.wait().unwrap();
    reader.join().unwrap();
    let text = seen.lock().unwrap().clone();
    assert_eq!(st.code(), Some(130), "{text}");
    assert!(
        text.contains("the export job is cancelled at the server"),
        "{text}"
    );
    let deletes = b
        .journal()
        .into_iter()
        .filter(|r| r.method == "DELETE")
        .count();
    assert_eq!(deletes, 1, "the job was DELETEd");
    assert!(!b.out.join(".smart-export.json").exists());

    // A whole export on a terminal: the job line, then the summary; the
    // lines are gone when the summary comes.
    let b = bulk(|_| {});
    let (mut child, seen, reader) = on_a_terminal(&b, &[]);
    let st = child.wait().unwrap();
    // The reader ends at the terminal's end of file: all output is in.
    reader.join().unwrap();
    let text = seen.lock().unwrap().clone();
    assert_eq!(st.code(), Some(0), "{text}");
    assert!(text.contains("export in progress"), "{text}");
    assert!(text.contains("Exported "), "{text}");
}

#[test]
fn a_new_export_into_a_finished_one_replaces_its_files() {
    let b = bulk(|_| {});
    b.ok(&[]);
    assert!(b.out.join("Observation.2.ndjson").exists());
    std::fs::write(b.out.join("notes.txt"), "mine").unwrap();
    let o = b.ok(&["--type", "Patient", "--json"]);
    assert_eq!(o.json()["files"], 1);
    assert!(b.out.join("Patient.1.ndjson").exists());
    assert!(
        !b.out.join("Observation.1.ndjson").exists()
            && !b.out.join("Observation.2.ndjson").exists(),
        "the previous export's files would pass for this one's"
    );
    assert!(
        b.out.join("notes.txt").exists(),
        "files smart did not write stay"
    );
}

#[test]
fn ctrl_c_mid_download_leaves_a_state_that_resumes() {
    let b = bulk(|o| {
        o.faults = faults(&["export-slow-files"]);
        o.export_file_lines = 200;
    });
    let child = b.spawn(&["--parallel", "2"]);
    wait_for("a partly written file", Duration::from_secs(40), || {
        part_files(&b.out).iter().any(|(_, n)| *n > 0)
    });
    let st = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let o = Out::of(child.wait_with_output().unwrap());
    assert_eq!(o.code, 130, "{}", o.stderr);
    assert!(
        o.stderr.contains("keeps running at the server"),
        "{}",
        o.stderr
    );
    // The downloads were stopped and waited for: the state names no file
    // as complete that is not, and the partial ones are on disk.
    let state = b.state();
    for f in state["files"].as_array().unwrap() {
        if let Some(p) = f["done"]["path"].as_str() {
            assert!(b.out.join(p).exists(), "{p}");
        }
    }
    let o = b.ok(&["--resume", "--json"]);
    assert_eq!(o.json()["resources"]["Patient"], 20);
    assert_eq!(b.kickoffs().len(), 1);
    check_files(&b.out, &b.state());
    assert!(part_files(&b.out).is_empty());
}

#[test]
fn a_token_that_expires_between_files_is_fetched_again_for_the_next() {
    // Each file takes ~3 s; the token lives 2 s: the second file's request
    // meets a 401, and goes again with a new token.
    let b = bulk(|o| {
        o.faults = faults(&["export-slow-files"]);
        o.token_lifetime = Duration::from_secs(2);
        o.export_delay = Duration::from_millis(100);
    });
    let before = b.env.sb.token_requests("client_credentials");
    let o = b.ok(&[
        "--parallel",
        "1",
        "--type",
        "Patient,Practitioner",
        "--json",
    ]);
    assert_eq!(o.json()["resources"]["Patient"], 20);
    check_files(&b.out, &b.state());
    assert!(b.env.sb.token_requests("client_credentials") - before >= 2);
    let fr = b.file_requests();
    assert!(
        fr.len() > b.state()["files"].as_array().unwrap().len(),
        "a file request was refused and repeated"
    );
    assert!(fr.iter().all(has_token));
}

/// A bulk server of three canned answers whose file is not what its
/// manifest says: a line of another type, and one resource fewer.
fn lying_server() -> (String, tokio::sync::oneshot::Sender<()>) {
    use axum::http::{HeaderMap, StatusCode, header};
    let (tx, rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
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
                            "request": format!("{o2}/fhir/$export"),
                            "requiresAccessToken": false,
                            "output": [{"type": "Patient", "url": format!("{o2}/fhir/f1"), "count": 3}],
                            "error": []
                        }))
                    }),
                )
                .route(
                    "/fhir/f1",
                    axum::routing::get(|| async {
                        "{\"resourceType\":\"Patient\",\"id\":\"a\"}\n{\"resourceType\":\"Observation\",\"id\":\"b\"}\n"
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
    (rx.recv().unwrap(), stop_tx)
}

#[test]
fn a_file_unlike_its_manifest_is_kept_and_reported_exit_3() {
    let (origin, _stop) = lying_server();
    let cfg = crate::support::TempConfig::new();
    let out = cfg.dir.path().join("out");
    let o = Out::of(
        cfg.cmd()
            .env("SMART_FHIR_BASE", format!("{origin}/fhir"))
            .args(["export", "--no-auth", "--out"])
            .arg(&out)
            .output()
            .unwrap(),
    );
    assert_eq!(o.code, 3, "{}", o.stderr);
    assert!(
        o.stderr
            .contains("Patient.1.ndjson: line 2: a Observation, not a Patient"),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr
            .contains("Patient.1.ndjson: 2 resources, but the manifest says 3"),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr.contains("2 problems in the downloaded files"),
        "{}",
        o.stderr
    );
    assert!(out.join("Patient.1.ndjson").exists(), "kept as it came");
}
