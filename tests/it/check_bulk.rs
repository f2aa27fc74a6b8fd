//! `smart check`'s bulk group against the sandbox: every level passes
//! clean, and the protocol rules are asserted on what the sandbox received
//! (the kick-off without a token went without one, the file without a
//! token too, the lenient kick-off said so, every job was DELETEd). The
//! faults that fail each check are in `check::each_fault_fails_exactly…`.

use serde_json::Value;
use std::collections::BTreeSet;

use crate::check::{As, check_as, findings, result, with_backend_client};
use crate::check_launch::assert_mode_skip;
use crate::support::TempConfig;

/// The ids of the bulk group, from the catalogue.
fn bulk_ids(report: &Value) -> Vec<String> {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["group"] == "bulk")
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

fn kickoffs(sb: &crate::support::SandboxServer, path: &str) -> Vec<smart_sandbox::Received> {
    sb.journal
        .all()
        .into_iter()
        .filter(|r| r.path == path && (r.method == "GET" || r.method == "POST"))
        .collect()
}

#[test]
fn the_clean_sandbox_passes_every_bulk_check_at_every_level() {
    let dir = tempfile::tempdir().unwrap();
    let (sb, env) = with_backend_client(dir.path(), |_| {});
    let (report, code) = check_as(
        &env,
        As::Public,
        &[
            "--only",
            "bulk",
            "--bulk-level",
            "system,patient",
            "--bulk-level",
            "group:sample",
        ],
    );
    assert_eq!(findings(&report), BTreeSet::new(), "{report:#}");
    assert_eq!(code, 0);
    let ids = bulk_ids(&report);
    assert_eq!(ids.len(), 19, "{ids:?}");
    for id in &ids {
        if id == "bulk.tls" {
            assert_mode_skip(&report, "bulk.tls");
        } else {
            let r = result(&report, id);
            assert_eq!(r["status"], "pass", "{r:#}");
            // Each level said its piece.
            if !["bulk.operation-declared", "bulk.instantiates"].contains(&id.as_str()) {
                let why = r["reason"].as_str().unwrap();
                for level in ["system level", "patient level", "Group/sample"] {
                    assert!(why.contains(level), "{id}: {why}");
                }
            }
        }
    }

    for path in [
        "/fhir/$export",
        "/fhir/Patient/$export",
        "/fhir/Group/sample/$export",
    ] {
        let all = kickoffs(&sb, path);
        // The job, the one without a token, three formats, _since, the
        // unsupported parameter twice, the POST, the one cancelled.
        assert_eq!(all.len(), 10, "{path}: {all:#?}");
        let without: Vec<_> = all
            .iter()
            .filter(|r| !r.headers.contains_key("authorization"))
            .collect();
        assert_eq!(
            without.len(),
            1,
            "{path}: exactly one kick-off went without a token"
        );
        assert_eq!(without[0].method, "GET");
        // The job asked for the small _type list; the others for Patient.
        let types: Vec<Option<&str>> = all.iter().map(|r| r.param("_type")).collect();
        assert_eq!(types[0], Some("Patient,Observation"), "{path}");
        for f in ["application/fhir+ndjson", "application/ndjson", "ndjson"] {
            assert!(
                all.iter().any(|r| r.param("_outputFormat") == Some(f)),
                "{path}: _outputFormat={f}"
            );
        }
        assert!(all.iter().any(|r| r.param("_since").is_some()), "{path}");
        // The unsupported parameter: once strict, once lenient.
        let unsupported: Vec<_> = all
            .iter()
            .filter(|r| r.param("smartCheckUnsupported").is_some())
            .collect();
        assert_eq!(unsupported.len(), 2, "{path}");
        let prefer = |r: &smart_sandbox::Received| {
            r.headers
                .get("prefer")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        assert_eq!(prefer(unsupported[0]), "respond-async");
        assert_eq!(prefer(unsupported[1]), "respond-async, handling=lenient");
        // The POST carried a Parameters resource.
        let posts: Vec<_> = all.iter().filter(|r| r.method == "POST").collect();
        assert_eq!(posts.len(), 1, "{path}");
        assert_eq!(
            posts[0].json.as_ref().unwrap()["resourceType"],
            "Parameters"
        );
    }
    // Every job started was DELETEd (eight per level: all but the two
    // refused kick-offs), with the token.
    let deletes: Vec<_> = sb
        .journal
        .all()
        .into_iter()
        .filter(|r| r.method == "DELETE")
        .collect();
    assert_eq!(deletes.len(), 3 * 8, "{deletes:#?}");
    assert!(
        deletes
            .iter()
            .all(|r| r.headers.contains_key("authorization"))
    );
    // A file was asked for without a token (requiresAccessToken: true),
    // once per level, and answered 401.
    let files: Vec<_> = sb
        .journal
        .all()
        .into_iter()
        .filter(|r| r.path.starts_with("/fhir/$export-file/"))
        .collect();
    let bare = files
        .iter()
        .filter(|r| !r.headers.contains_key("authorization"))
        .count();
    assert_eq!(bare, 3, "{files:#?}");
}

#[test]
fn by_default_the_declared_levels_run_and_a_declared_group_asks_for_its_id() {
    let dir = tempfile::tempdir().unwrap();
    let (sb, env) = with_backend_client(dir.path(), |_| {});
    let (report, code) = check_as(&env, As::Public, &["--only", "bulk.kickoff-accepted"]);
    assert_eq!(code, 0);
    let r = result(&report, "bulk.kickoff-accepted");
    assert_eq!(r["status"], "pass", "{r:#}");
    let why = r["reason"].as_str().unwrap();
    assert!(
        why.contains("system level") && why.contains("patient level"),
        "{why}"
    );
    assert!(why.contains("--bulk-level group:ID"), "{why}");
    assert_eq!(kickoffs(&sb, "/fhir/$export").len(), 1);
    assert_eq!(kickoffs(&sb, "/fhir/Patient/$export").len(), 1);
    assert!(
        sb.journal
            .all()
            .iter()
            .all(|r| !r.path.starts_with("/fhir/Group/")),
        "no group level without an id"
    );
}

#[test]
fn a_bad_bulk_level_or_timeout_is_refused_before_any_request() {
    for (flag, value, says) in [
        ("--bulk-level", "groups:x", "--bulk-level `groups:x`"),
        ("--bulk-level", "group:", "--bulk-level `group:`"),
        ("--bulk-timeout", "0", "--bulk-timeout"),
    ] {
        let out = TempConfig::new()
            .cmd()
            .args(["check", "http://127.0.0.1:9/fhir", flag, value])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{flag} {value}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{err}");
    }
}
