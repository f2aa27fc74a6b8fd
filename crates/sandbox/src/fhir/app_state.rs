//! SMART App State (app-state.html, capability `smart-app-state`): `Basic`
//! resources an app keeps on the FHIR base, apart from the synthetic data.
//! Create with `POST /Basic`; update and delete only with an `If-Match`
//! naming the current version (412 otherwise, and for a deleted id ever
//! after); search by `code` (`system|code`) and `subject` (an absolute
//! reference, or `subject:missing=true`). Scopes: `patient/Basic.*` manages
//! the state of the in-context patient, `user/Basic.*` any state.
//!
//! Faults: `app-state-no-if-match` takes an update without `If-Match`;
//! `app-state-stale-accepted` takes one whose `If-Match` is out of date;
//! `app-state-delete-kept` answers a DELETE but keeps the state.

use std::collections::BTreeMap;
use std::sync::Mutex;

use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{Value, json};

use super::handlers::authorize;
use super::outcome::{Outcome, etag, fhir, if_match_version};
use crate::{Fault, Grant, Interaction, State};

/// SMART's cap on a stored resource ("SHALL NOT exceed 256KB").
const MAX_BYTES: usize = 256 * 1024;

/// One stored state: its current version, or the version that deleted it.
#[derive(Debug, Clone)]
struct Entry {
    vid: u32,
    /// `None` once deleted.
    resource: Option<Value>,
}

#[derive(Debug, Default)]
pub(crate) struct AppStates {
    entries: Mutex<BTreeMap<u64, Entry>>,
}

impl AppStates {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Entry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The `Basic` interactions; `segs` is the path after the base.
pub(crate) fn route(
    state: &State,
    grant: &Grant,
    method: &Method,
    segs: &[&str],
    query: &[(String, String)],
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Response, Outcome> {
    match (segs, method.clone()) {
        (["Basic"], Method::POST) => create(state, grant, body),
        (["Basic"], Method::GET) => search(state, grant, query),
        (["Basic", id], Method::GET) => read(state, grant, id),
        (["Basic", id], Method::PUT) => update(state, grant, id, headers, body),
        (["Basic", id], Method::DELETE) => delete(state, grant, id, headers),
        _ => Err(Outcome::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "not-supported",
            format!("{method} is not an app-state interaction here"),
        )),
    }
}

/// The absolute reference of the in-context patient of a patient-limited
/// grant.
fn patient_ref(state: &State, patient: &str) -> String {
    format!("{}/Patient/{patient}", state.fhir_base_str())
}

fn subject(v: &Value) -> Option<&str> {
    v.get("subject")?.get("reference")?.as_str()
}

/// `system|code` of the one coding.
fn code(v: &Value) -> Option<String> {
    let c = v.get("code")?.get("coding")?.as_array()?;
    match c.as_slice() {
        [one] => Some(format!(
            "{}|{}",
            one.get("system")?.as_str()?,
            one.get("code")?.as_str()?
        )),
        _ => None,
    }
}

/// A patient-limited grant reaches only its patient's state.
fn reachable(state: &State, patient: Option<&str>, v: &Value) -> bool {
    patient.is_none_or(|p| subject(v) == Some(patient_ref(state, p).as_str()))
}

/// The rules of a POSTed or PUT body, beside the ones of each interaction.
fn valid(state: &State, body: &Bytes) -> Result<Value, Outcome> {
    if body.len() > MAX_BYTES {
        return Err(Outcome::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-costly",
            format!("app state is limited to {} KiB", MAX_BYTES / 1024),
        ));
    }
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| Outcome::bad_request(format!("the body is not JSON: {e}")))?;
    if v.get("resourceType").and_then(Value::as_str) != Some("Basic") {
        return Err(Outcome::bad_request("app state is a Basic resource"));
    }
    if code(&v).is_none() {
        return Err(Outcome::bad_request(
            "Basic.code.coding must hold exactly one coding with system and code",
        ));
    }
    if let Some(s) = subject(&v)
        && !s.starts_with(&format!("{}/", state.fhir_base_str()))
    {
        return Err(Outcome::bad_request(
            "Basic.subject.reference must be an absolute reference to a resource of this FHIR server",
        ));
    }
    let only_strings = v
        .get("extension")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .all(|e| {
            e.as_object().is_some_and(|o| {
                o.keys()
                    .filter(|k| k.starts_with("value"))
                    .all(|k| k == "valueString")
            })
        });
    if !only_strings {
        return Err(Outcome::bad_request(
            "app-state extensions may only have valueString",
        ));
    }
    Ok(v)
}

fn with_version(mut v: Value, id: u64, vid: u32) -> Value {
    v["id"] = json!(id.to_string());
    v["meta"] = json!({"versionId": vid.to_string()});
    v
}

fn answer(state: &State, status: StatusCode, id: u64, v: &Value, vid: u32) -> Response {
    let mut r = fhir(status, v.to_string());
    let h = r.headers_mut();
    if let Ok(e) = etag(vid).parse() {
        h.insert(header::ETAG, e);
    }
    if let Ok(l) = format!("{}/Basic/{id}", state.fhir_base_str()).parse() {
        h.insert(header::LOCATION, l);
    }
    r
}

fn create(state: &State, grant: &Grant, body: &Bytes) -> Result<Response, Outcome> {
    let patient = authorize(grant, "Basic", Interaction::Create)?;
    let v = valid(state, body)?;
    if v.get("id").is_some() || v.pointer("/meta/versionId").is_some() {
        return Err(Outcome::bad_request(
            "a new app state carries neither id nor meta.versionId",
        ));
    }
    if !reachable(state, patient.as_deref(), &v) {
        return Err(Outcome::forbidden(
            "this token manages only the in-context patient's app state",
        ));
    }
    let mut entries = state.fhir.app_states.lock();
    let id = entries.keys().next_back().map_or(1, |k| k + 1);
    let v = with_version(v, id, 1);
    entries.insert(
        id,
        Entry {
            vid: 1,
            resource: Some(v.clone()),
        },
    );
    Ok(answer(state, StatusCode::CREATED, id, &v, 1))
}

fn parse_id(id: &str) -> Result<u64, Outcome> {
    id.parse()
        .map_err(|_| Outcome::not_found(format!("Basic/{id} does not exist")))
}

fn read(state: &State, grant: &Grant, id: &str) -> Result<Response, Outcome> {
    let patient = authorize(grant, "Basic", Interaction::Read)?;
    let n = parse_id(id)?;
    let entries = state.fhir.app_states.lock();
    match entries.get(&n) {
        Some(Entry {
            vid,
            resource: Some(v),
        }) if reachable(state, patient.as_deref(), v) => {
            Ok(answer(state, StatusCode::OK, n, v, *vid))
        }
        Some(Entry { resource: None, .. }) => Err(Outcome::new(
            StatusCode::GONE,
            "deleted",
            format!("Basic/{id} was deleted"),
        )),
        _ => Err(Outcome::not_found(format!("Basic/{id} does not exist"))),
    }
}

/// The version `If-Match` names; a missing header is a 412 too (SMART:
/// updates and deletes "requiring the presence of If-Match"), unless the
/// `app-state-no-if-match` fault lets an update through without one.
fn wanted(headers: &HeaderMap, update: bool, state: &State) -> Result<Option<u32>, Outcome> {
    match headers.get(header::IF_MATCH) {
        None if update && state.opts.faults.has(Fault::AppStateNoIfMatch) => Ok(None),
        None => Err(Outcome::new(
            StatusCode::PRECONDITION_FAILED,
            "conflict",
            "app state is changed only with an If-Match naming its current version",
        )),
        Some(v) => v
            .to_str()
            .ok()
            .and_then(if_match_version)
            .map(Some)
            .ok_or_else(|| Outcome::bad_request("If-Match must be an ETag like W/\"3\"")),
    }
}

fn stale(id: &str, current: u32, wanted: u32) -> Outcome {
    Outcome::new(
        StatusCode::PRECONDITION_FAILED,
        "conflict",
        format!(
            "If-Match names version {wanted} of Basic/{id}, but the current version is {current}"
        ),
    )
}

/// The entry `n` an update or delete may touch: there, not deleted (412),
/// and this grant's patient's (404 otherwise, as if it were not there).
fn live<'a>(
    state: &State,
    entries: &'a mut BTreeMap<u64, Entry>,
    n: u64,
    id: &str,
    patient: Option<&str>,
) -> Result<&'a mut Entry, Outcome> {
    let entry = entries
        .get_mut(&n)
        .ok_or_else(|| Outcome::not_found(format!("Basic/{id} does not exist")))?;
    let Some(current) = &entry.resource else {
        return Err(gone_precondition(id));
    };
    if !reachable(state, patient, current) {
        return Err(Outcome::not_found(format!("Basic/{id} does not exist")));
    }
    Ok(entry)
}

fn gone_precondition(id: &str) -> Outcome {
    Outcome::new(
        StatusCode::PRECONDITION_FAILED,
        "conflict",
        format!("Basic/{id} was deleted"),
    )
}

fn update(
    state: &State,
    grant: &Grant,
    id: &str,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Response, Outcome> {
    let patient = authorize(grant, "Basic", Interaction::Update)?;
    let n = parse_id(id)?;
    let v = valid(state, body)?;
    if v.get("id").and_then(Value::as_str) != Some(id) {
        return Err(Outcome::bad_request(format!(
            "the body's id must be `{id}`, the URL's"
        )));
    }
    let wanted = wanted(headers, true, state)?;
    let mut entries = state.fhir.app_states.lock();
    let entry = live(state, &mut entries, n, id, patient.as_deref())?;
    if let Some(w) = wanted
        && w != entry.vid
        && !state.opts.faults.has(Fault::AppStateStaleAccepted)
    {
        return Err(stale(id, entry.vid, w));
    }
    let current = entry.resource.as_ref().expect("live");
    if subject(&v) != subject(current) || code(&v) != code(current) {
        return Err(Outcome::new(
            StatusCode::PRECONDITION_FAILED,
            "conflict",
            "Basic.subject and Basic.code of app state never change",
        ));
    }
    entry.vid += 1;
    let v = with_version(v, n, entry.vid);
    entry.resource = Some(v.clone());
    Ok(answer(state, StatusCode::OK, n, &v, entry.vid))
}

fn delete(
    state: &State,
    grant: &Grant,
    id: &str,
    headers: &HeaderMap,
) -> Result<Response, Outcome> {
    let patient = authorize(grant, "Basic", Interaction::Delete)?;
    let n = parse_id(id)?;
    let wanted = wanted(headers, false, state)?;
    let mut entries = state.fhir.app_states.lock();
    let entry = live(state, &mut entries, n, id, patient.as_deref())?;
    if let Some(w) = wanted
        && w != entry.vid
    {
        return Err(stale(id, entry.vid, w));
    }
    if !state.opts.faults.has(Fault::AppStateDeleteKept) {
        entry.vid += 1;
        entry.resource = None;
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn search(state: &State, grant: &Grant, query: &[(String, String)]) -> Result<Response, Outcome> {
    let patient = authorize(grant, "Basic", Interaction::Search)?;
    let mut code_q = None;
    // Some(Some(ref)): that subject; Some(None): subject:missing=true.
    let mut subject_q: Option<Option<&str>> = None;
    for (k, v) in query {
        match k.as_str() {
            "code" => code_q = Some(v.as_str()),
            "subject" => subject_q = Some(Some(v.as_str())),
            "subject:missing" if v == "true" => subject_q = Some(None),
            "_count" => {}
            _ => {
                return Err(Outcome::bad_request(format!(
                    "app state is searched by code and subject (or subject:missing=true), not `{k}`"
                )));
            }
        }
    }
    let Some(code_q) = code_q else {
        return Err(Outcome::bad_request(
            "app state is searched by code (system|code)",
        ));
    };
    let entries = state.fhir.app_states.lock();
    let found: Vec<Value> = entries
        .values()
        .filter_map(|e| e.resource.as_ref())
        .filter(|v| code(v).as_deref() == Some(code_q))
        .filter(|v| subject_q.is_none_or(|s| subject(v) == s))
        .filter(|v| reachable(state, patient.as_deref(), v))
        .cloned()
        .collect();
    let bundle = json!({
        "resourceType": "Bundle",
        "type": "searchset",
        "total": found.len(),
        "entry": found.iter().map(|v| json!({
            "fullUrl": format!("{}/Basic/{}", state.fhir_base_str(), v["id"].as_str().unwrap_or_default()),
            "resource": v,
            "search": {"mode": "match"},
        })).collect::<Vec<_>>(),
    });
    Ok(fhir(StatusCode::OK, bundle.to_string()))
}
