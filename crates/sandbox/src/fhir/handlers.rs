//! The FHIR REST interactions over the synthetic store: read, vread,
//! search (GET and POST `_search`), create, update, delete.
//!
//! Update-as-create is allowed: `PUT` to an id that does not exist (or was
//! deleted) creates it and answers 201. Reads of resources outside a
//! patient-scoped token's compartment answer 403 (the sandbox prefers a
//! debuggable answer over hiding existence); searches are silently filtered.

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::Value;

use super::outcome::{Outcome, etag, fhir, if_match_version};
use super::store::{Lookup, Store, Version};
use super::types::RType;
use super::{bundle, dates, search};
use crate::{Access, Grant, Interaction, State};

fn now_ms(state: &State) -> i64 {
    crate::clock::unix_ms(state.now())
}

fn verb(i: Interaction) -> &'static str {
    match i {
        Interaction::Read => "read",
        Interaction::Search => "search",
        Interaction::Create => "create",
        Interaction::Update => "update",
        Interaction::Delete => "delete",
    }
}

/// The grant's access, or a 403.
pub(crate) fn authorize(
    grant: &Grant,
    rtype: &str,
    i: Interaction,
) -> Result<Option<String>, Outcome> {
    match grant.access(rtype, i) {
        Access::Denied => Err(Outcome::forbidden(format!(
            "the granted scopes ({}) do not permit {} on {rtype}",
            grant.scopes.join(" "),
            verb(i)
        ))),
        Access::Compartment(p) => Ok(Some(p)),
        Access::All => Ok(None),
    }
}

fn outside(rtype: RType, id: &str, patient: &str) -> Outcome {
    Outcome::forbidden(format!(
        "{rtype}/{id} is outside the compartment of Patient/{patient} this token is limited to"
    ))
}

/// The synthetic store (absent in proxy mode, where no handler runs).
pub(super) fn store(state: &State) -> Result<&Store, Outcome> {
    state
        .fhir
        .store
        .as_ref()
        .ok_or_else(|| Outcome::new(StatusCode::INTERNAL_SERVER_ERROR, "exception", "no store"))
}

fn in_compartment(store: &Store, rtype: RType, v: &Version, patient: Option<&str>) -> bool {
    match patient {
        None => true,
        Some(p) => store
            .facts(rtype, v)
            .is_some_and(|f| f.in_compartment(rtype, p)),
    }
}

/// A resource body with its version headers.
fn resource_response(store: &Store, status: StatusCode, v: &Version) -> Response {
    let mut body = String::with_capacity(1024);
    store.render(v, &mut body);
    let mut r = fhir(status, body);
    let h = r.headers_mut();
    if let Ok(e) = etag(v.vid).parse() {
        h.insert(header::ETAG, e);
    }
    if let Ok(d) = dates::http_date(v.last_updated).parse() {
        h.insert(header::LAST_MODIFIED, d);
    }
    r
}

fn gone(rtype: RType, id: &str, tombstone: &Version) -> Outcome {
    Outcome::new(
        StatusCode::GONE,
        "deleted",
        format!("{rtype}/{id} was deleted"),
    )
    .with_header(header::ETAG, etag(tombstone.vid))
}

pub(crate) fn read(
    state: &State,
    grant: &Grant,
    rtype: RType,
    id: &str,
) -> Result<Response, Outcome> {
    let patient = authorize(grant, rtype.name(), Interaction::Read)?
        .filter(|_| !state.opts.faults.has(crate::Fault::CrossPatientRead));
    let store = store(state)?;
    let ov = store.read();
    match store.lookup(&ov, rtype, id) {
        Lookup::Found(v) => {
            if !in_compartment(store, rtype, &v, patient.as_deref()) {
                return Err(outside(rtype, id, patient.as_deref().unwrap_or("")));
            }
            Ok(resource_response(store, StatusCode::OK, &v))
        }
        Lookup::Deleted { tombstone, last } => {
            if !in_compartment(store, rtype, &last, patient.as_deref()) {
                return Err(outside(rtype, id, patient.as_deref().unwrap_or("")));
            }
            Err(gone(rtype, id, &tombstone))
        }
        Lookup::Missing => Err(Outcome::not_found(format!("{rtype}/{id} does not exist"))),
    }
}

pub(crate) fn vread(
    state: &State,
    grant: &Grant,
    rtype: RType,
    id: &str,
    vid: &str,
) -> Result<Response, Outcome> {
    let patient = authorize(grant, rtype.name(), Interaction::Read)?;
    let store = store(state)?;
    let ov = store.read();
    let history = store.history(&ov, rtype, id);
    if history.is_empty() {
        return Err(Outcome::not_found(format!("{rtype}/{id} does not exist")));
    }
    let wanted = history
        .iter()
        .find(|v| vid.parse::<u32>().ok() == Some(v.vid))
        .ok_or_else(|| Outcome::not_found(format!("{rtype}/{id} has no version {vid}")))?;
    let live = if wanted.body.is_some() {
        wanted
    } else {
        history
            .iter()
            .rev()
            .find(|v| v.vid < wanted.vid && v.body.is_some())
            .unwrap_or(wanted)
    };
    if !in_compartment(store, rtype, live, patient.as_deref()) {
        return Err(outside(rtype, id, patient.as_deref().unwrap_or("")));
    }
    if wanted.body.is_none() {
        return Err(gone(rtype, id, wanted));
    }
    Ok(resource_response(store, StatusCode::OK, wanted))
}

pub(crate) fn search(
    state: &State,
    grant: &Grant,
    rtype: RType,
    pairs: &[(String, String)],
    lenient: bool,
) -> Result<Response, Outcome> {
    let patient = authorize(grant, rtype.name(), Interaction::Search)?;
    let store = store(state)?;
    let q = search::parse(rtype, pairs, lenient).map_err(Outcome::bad_request)?;
    let ov = store.read();
    let keys = state
        .fhir
        .cached_search(&ov, &q.cache_key(rtype, patient.as_deref()), || {
            search::execute(store, &ov, rtype, &q, patient.as_deref())
        });
    let total = keys.len();
    let page: Vec<Version> = if q.summary_count {
        Vec::new()
    } else {
        let start = q.offset.min(total);
        let end = start.saturating_add(q.count).min(total);
        keys[start..end]
            .iter()
            .filter_map(|k| store.resolve(&ov, rtype, *k))
            .collect()
    };
    let body = bundle::searchset(
        store,
        state.fhir_base_str(),
        rtype,
        &q,
        total,
        &page,
        now_ms(state),
    );
    Ok(fhir(StatusCode::OK, body))
}

/// A FHIR id: `[A-Za-z0-9\-\.]{1,64}`.
pub(crate) fn valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

/// Parses and checks a request body for `rtype`.
fn parse_body(headers: &HeaderMap, body: &Bytes, rtype: RType) -> Result<Value, Outcome> {
    if let Some(ct) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    {
        let mime = ct.split(';').next().unwrap_or("").trim();
        if !mime.is_empty() && !mime.ends_with("json") {
            return Err(Outcome::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "not-supported",
                format!("content type `{mime}` is not supported; send application/fhir+json"),
            ));
        }
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| Outcome::bad_request(format!("the body is not valid JSON: {e}")))?;
    let Some(obj) = value.as_object() else {
        return Err(Outcome::bad_request(
            "the body must be a JSON object (a FHIR resource)",
        ));
    };
    match obj.get("resourceType").and_then(Value::as_str) {
        None => return Err(Outcome::bad_request("the body has no resourceType")),
        Some(t) if t != rtype.name() => {
            return Err(Outcome::bad_request(format!(
                "resourceType `{t}` does not match the URL's `{rtype}`"
            )));
        }
        Some(_) => {}
    }
    validate(rtype, &value)?;
    Ok(value)
}

/// Basic content rules (the required elements and code sets a client most
/// often gets wrong); failures are 422.
fn validate(rtype: RType, v: &Value) -> Result<(), Outcome> {
    let s = |k: &str| v.get(k).and_then(Value::as_str);
    let require = |k: &str| {
        if v.get(k).is_none() {
            Err(Outcome::unprocessable(format!("{rtype}.{k} is required")))
        } else {
            Ok(())
        }
    };
    let one_of = |k: &str, allowed: &[&str]| match v.get(k) {
        None => Ok(()),
        Some(Value::String(x)) if allowed.contains(&x.as_str()) => Ok(()),
        Some(x) => Err(Outcome::unprocessable(format!(
            "{rtype}.{k} must be one of {}, not {x}",
            allowed.join(", ")
        ))),
    };
    let reference = |k: &str| match v.get(k) {
        None => Ok(()),
        Some(r) if r.get("reference").and_then(Value::as_str).is_some() => Ok(()),
        Some(_) => Err(Outcome::unprocessable(format!(
            "{rtype}.{k} must be a Reference with a `reference`"
        ))),
    };
    match rtype {
        RType::Patient | RType::Practitioner => {
            one_of("gender", &["male", "female", "other", "unknown"])?;
            if let Some(b) = s("birthDate") {
                if b.contains('T') || dates::parse(b).is_none() {
                    return Err(Outcome::unprocessable(format!(
                        "{rtype}.birthDate `{b}` is not a FHIR date"
                    )));
                }
            } else if v.get("birthDate").is_some() {
                return Err(Outcome::unprocessable(format!(
                    "{rtype}.birthDate must be a string"
                )));
            }
        }
        RType::Observation => {
            require("status")?;
            require("code")?;
            one_of(
                "status",
                &[
                    "registered",
                    "preliminary",
                    "final",
                    "amended",
                    "corrected",
                    "cancelled",
                    "entered-in-error",
                    "unknown",
                ],
            )?;
            reference("subject")?;
        }
        RType::Condition => {
            require("subject")?;
            reference("subject")?;
        }
        RType::Encounter => {
            require("status")?;
            require("class")?;
            reference("subject")?;
        }
        RType::MedicationRequest => {
            require("status")?;
            require("intent")?;
            require("subject")?;
            reference("subject")?;
        }
        RType::DiagnosticReport => {
            require("status")?;
            require("code")?;
            reference("subject")?;
        }
        RType::DocumentReference => {
            require("status")?;
            require("content")?;
            reference("subject")?;
        }
        RType::Medication | RType::Organization | RType::Location | RType::PractitionerRole => {}
    }
    Ok(())
}

fn check_new_in_compartment(
    rtype: RType,
    value: &Value,
    patient: Option<&str>,
) -> Result<(), Outcome> {
    let Some(p) = patient else { return Ok(()) };
    let f = super::facts::from_json(rtype, value, 0);
    if f.in_compartment(rtype, p) {
        Ok(())
    } else {
        Err(Outcome::forbidden(format!(
            "this token is limited to Patient/{p}'s compartment; the resource must reference it as subject"
        )))
    }
}

fn prefers_minimal(headers: &HeaderMap) -> bool {
    headers
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(',').any(|p| p.trim() == "return=minimal"))
}

fn written(
    state: &State,
    store: &Store,
    headers: &HeaderMap,
    status: StatusCode,
    rtype: RType,
    id: &str,
    v: &Version,
) -> Response {
    let mut r = if prefers_minimal(headers) {
        let mut r = StatusCode::OK.into_response();
        *r.status_mut() = status;
        r
    } else {
        resource_response(store, status, v)
    };
    let h = r.headers_mut();
    let location = format!("{}/{rtype}/{id}/_history/{}", state.fhir_base_str(), v.vid);
    if let Ok(l) = location.parse() {
        h.insert(header::LOCATION, l);
    }
    if let Ok(e) = etag(v.vid).parse() {
        h.insert(header::ETAG, e);
    }
    if let Ok(d) = dates::http_date(v.last_updated).parse() {
        h.insert(header::LAST_MODIFIED, d);
    }
    r
}

pub(crate) fn create(
    state: &State,
    grant: &Grant,
    rtype: RType,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Response, Outcome> {
    let patient = authorize(grant, rtype.name(), Interaction::Create)?;
    let store = store(state)?;
    let value = parse_body(headers, body, rtype)?;
    check_new_in_compartment(rtype, &value, patient.as_deref())?;
    let mut ov = store.write();
    let id = store.new_id(&mut ov, rtype);
    let v = store.put(&mut ov, rtype, &id, Some(value), now_ms(state));
    drop(ov);
    Ok(written(
        state,
        store,
        headers,
        StatusCode::CREATED,
        rtype,
        &id,
        &v,
    ))
}

fn if_match(headers: &HeaderMap) -> Result<Option<u32>, Outcome> {
    match headers.get(header::IF_MATCH) {
        None => Ok(None),
        Some(v) => v
            .to_str()
            .ok()
            .and_then(if_match_version)
            .map(Some)
            .ok_or_else(|| Outcome::bad_request("If-Match must be an ETag like W/\"3\"")),
    }
}

fn precondition_failed(rtype: RType, id: &str, current: Option<u32>, wanted: u32) -> Outcome {
    let now = current.map_or("it does not exist".to_string(), |c| {
        format!("the current version is {c}")
    });
    Outcome::new(
        StatusCode::PRECONDITION_FAILED,
        "conflict",
        format!("If-Match names version {wanted} of {rtype}/{id}, but {now}"),
    )
}

pub(crate) fn update(
    state: &State,
    grant: &Grant,
    rtype: RType,
    id: &str,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Response, Outcome> {
    let patient = authorize(grant, rtype.name(), Interaction::Update)?;
    let store = store(state)?;
    if !valid_id(id) {
        return Err(Outcome::bad_request(format!(
            "`{id}` is not a valid FHIR id"
        )));
    }
    let value = parse_body(headers, body, rtype)?;
    match value.get("id").and_then(Value::as_str) {
        None => {
            return Err(Outcome::bad_request(
                "the resource must carry its id in an update",
            ));
        }
        Some(body_id) if body_id != id => {
            return Err(Outcome::bad_request(format!(
                "the body's id `{body_id}` does not match the URL's `{id}`"
            )));
        }
        Some(_) => {}
    }
    check_new_in_compartment(rtype, &value, patient.as_deref())?;
    let wanted = if_match(headers)?;
    let mut ov = store.write();
    let status = match store.lookup(&ov, rtype, id) {
        Lookup::Found(current) => {
            if !in_compartment(store, rtype, &current, patient.as_deref()) {
                return Err(outside(rtype, id, patient.as_deref().unwrap_or("")));
            }
            if let Some(w) = wanted
                && w != current.vid
            {
                return Err(precondition_failed(rtype, id, Some(current.vid), w));
            }
            StatusCode::OK
        }
        Lookup::Deleted { tombstone, .. } => {
            if let Some(w) = wanted {
                return Err(precondition_failed(rtype, id, Some(tombstone.vid), w));
            }
            StatusCode::CREATED
        }
        Lookup::Missing => {
            if let Some(w) = wanted {
                return Err(precondition_failed(rtype, id, None, w));
            }
            StatusCode::CREATED
        }
    };
    let v = store.put(&mut ov, rtype, id, Some(value), now_ms(state));
    drop(ov);
    Ok(written(state, store, headers, status, rtype, id, &v))
}

pub(crate) fn delete(
    state: &State,
    grant: &Grant,
    rtype: RType,
    id: &str,
    headers: &HeaderMap,
) -> Result<Response, Outcome> {
    let patient = authorize(grant, rtype.name(), Interaction::Delete)?;
    let store = store(state)?;
    let wanted = if_match(headers)?;
    let mut ov = store.write();
    match store.lookup(&ov, rtype, id) {
        Lookup::Found(current) => {
            if !in_compartment(store, rtype, &current, patient.as_deref()) {
                return Err(outside(rtype, id, patient.as_deref().unwrap_or("")));
            }
            if let Some(w) = wanted
                && w != current.vid
            {
                return Err(precondition_failed(rtype, id, Some(current.vid), w));
            }
            let v = store.put(&mut ov, rtype, id, None, now_ms(state));
            let mut r = StatusCode::NO_CONTENT.into_response();
            if let Ok(e) = etag(v.vid).parse() {
                r.headers_mut().insert(header::ETAG, e);
            }
            Ok(r)
        }
        // Deleting twice is idempotent; the answer says that nothing was
        // deleted (as FHIR allows: 200 with a payload), so a client can
        // tell the user.
        Lookup::Deleted { last, .. } => {
            if !in_compartment(store, rtype, &last, patient.as_deref()) {
                return Err(outside(rtype, id, patient.as_deref().unwrap_or("")));
            }
            let oo = serde_json::json!({
                "resourceType": "OperationOutcome",
                "issue": [{
                    "severity": "warning",
                    "code": "deleted",
                    "diagnostics": format!("{rtype}/{id} was already deleted"),
                }]
            });
            Ok(super::outcome::fhir(StatusCode::OK, oo.to_string()))
        }
        Lookup::Missing => Err(Outcome::not_found(format!("{rtype}/{id} does not exist"))),
    }
}
