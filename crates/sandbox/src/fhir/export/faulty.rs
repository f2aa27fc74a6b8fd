//! The export faults that `smart check`'s bulk group is tested with, each
//! a Bulk Data rule broken on purpose, kept here so that the kick-off,
//! status and file paths only ask.

use std::io::Write;
use std::path::Path;

use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::Value;

use super::super::outcome::Outcome;
use super::super::types::RType;
use super::job::Output;
use super::kickoff::{COMPARTMENT_TYPES, Level, Spec};
use crate::{Fault, Faults, State};

/// A kick-off the faults refuse before it is read: POST
/// (`export-post-refused`), an `_outputFormat` abbreviation
/// (`export-format-aliases-refused`).
pub(super) fn refuse_kickoff(
    faults: &Faults,
    method: &Method,
    uri: &Uri,
    body: &Bytes,
) -> Option<Outcome> {
    if *method == Method::POST && faults.has(Fault::ExportPostRefused) {
        return Some(
            Outcome::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "not-supported",
                "POST kick-off is not supported; use GET (sandbox fault export-post-refused)",
            )
            .with_header(header::ALLOW, "GET"),
        );
    }
    if faults.has(Fault::ExportFormatAliasesRefused)
        && let Some(f) = output_format(method, uri, body)
        && f != "application/fhir+ndjson"
    {
        return Some(Outcome::bad_request(format!(
            "_outputFormat `{f}` is not supported; use application/fhir+ndjson (sandbox fault export-format-aliases-refused)"
        )));
    }
    None
}

/// The `_outputFormat` of a kick-off, from its query or its Parameters.
fn output_format(method: &Method, uri: &Uri, body: &Bytes) -> Option<String> {
    if *method == Method::POST {
        let v: Value = serde_json::from_slice(body).ok()?;
        return v["parameter"]
            .as_array()?
            .iter()
            .find(|p| p["name"] == "_outputFormat")?["valueString"]
            .as_str()
            .map(str::to_owned);
    }
    url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "_outputFormat")
        .map(|(_, v)| v.into_owned())
}

/// A checked kick-off as the faults change it: `_since` refused
/// (`export-since-refused`); one type more than `_type` asked for
/// (`export-extra-types`).
pub(super) fn after_parse(faults: &Faults, level: Level, spec: &mut Spec) -> Result<(), Outcome> {
    if faults.has(Fault::ExportSinceRefused) && spec.since.is_some() {
        return Err(Outcome::bad_request(
            "_since is not supported (sandbox fault export-since-refused)",
        ));
    }
    if faults.has(Fault::ExportExtraTypes) {
        let offered: &[RType] = match level {
            Level::System => &RType::ALL,
            _ => &COMPARTMENT_TYPES,
        };
        if let Some(t) = offered.iter().find(|t| !spec.types.contains(t)) {
            spec.types.push(*t);
        }
    }
    Ok(())
}

/// The written files as the faults spoil them: the first line of each cut
/// off (`export-bad-ndjson-line`), one Patient at most
/// (`export-one-patient`).
pub(super) fn spoil_files(faults: &Faults, dir: &Path, outputs: &mut Vec<Output>) {
    if faults.has(Fault::ExportOnePatient) {
        let mut kept = false;
        outputs.retain_mut(|o| {
            if o.rtype != "Patient" || o.error {
                return true;
            }
            if kept {
                let _ = std::fs::remove_file(dir.join(&o.name));
                return false;
            }
            kept = true;
            rewrite(dir, o, |lines| lines.truncate(1));
            true
        });
    }
    if faults.has(Fault::ExportBadNdjsonLine) {
        for o in outputs.iter_mut().filter(|o| !o.error) {
            rewrite(dir, o, |lines| {
                if let Some(first) = lines.first_mut() {
                    let cut = first.len() / 2;
                    first.truncate(cut);
                }
            });
        }
    }
}

/// Rewrites one file's lines with `change`; its count and length follow.
fn rewrite(dir: &Path, o: &mut Output, change: impl FnOnce(&mut Vec<Vec<u8>>)) {
    let path = dir.join(&o.name);
    let Ok(text) = std::fs::read(&path) else {
        return;
    };
    let mut lines: Vec<Vec<u8>> = text
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect();
    change(&mut lines);
    let Ok(mut f) = std::fs::File::create(&path) else {
        return;
    };
    let mut len = 0u64;
    for l in &lines {
        if f.write_all(l).and_then(|_| f.write_all(b"\n")).is_err() {
            return;
        }
        len += l.len() as u64 + 1;
    }
    o.count = lines.len() as u64;
    o.len = len;
}

/// `export-kickoff-no-token`: a kick-off without a token is "accepted".
pub(crate) fn kickoff_without_token(
    state: &State,
    segs: &[&str],
    headers: &HeaderMap,
) -> Option<Response> {
    let kick_off = segs.last().is_some_and(|s| super::is_op(s, "export"));
    if !state.opts.faults.has(Fault::ExportKickoffNoToken)
        || headers.contains_key(header::AUTHORIZATION)
        || !kick_off
    {
        return None;
    }
    let mut r = StatusCode::ACCEPTED.into_response();
    let location = format!("{}/$export-status/no-such-job", state.fhir_base_str());
    if let Ok(v) = HeaderValue::from_str(&location) {
        r.headers_mut().insert(header::CONTENT_LOCATION, v);
    }
    Some(r)
}

/// `export-files-no-token`: a file asked for without a token is served.
pub(crate) async fn file_without_token(
    state: &State,
    segs: &[&str],
    headers: &HeaderMap,
) -> Option<Response> {
    if !state.opts.faults.has(Fault::ExportFilesNoToken)
        || headers.contains_key(header::AUTHORIZATION)
    {
        return None;
    }
    let [op, id, name] = segs else {
        return None;
    };
    if !super::is_op(op, "export-file") {
        return None;
    }
    let job = state.fhir.exports.get(id)?;
    let out = job.output(name)?;
    Some(super::serve::file(&job, &out, headers, &state.opts.faults).await)
}
