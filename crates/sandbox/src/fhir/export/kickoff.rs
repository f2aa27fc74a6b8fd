//! The `$export` kick-off request: its headers and parameters (query string
//! for GET, a `Parameters` resource for POST), checked into a [`Spec`] the
//! writer can run without further validation. Every refusal is one 400 (or
//! 403/404/415) naming the header or parameter to fix.

use std::collections::HashMap;

use axum::http::{HeaderMap, Method, StatusCode, header};
use bytes::Bytes;
use serde_json::Value;

use super::super::generate::SynId;
use super::super::outcome::Outcome;
use super::super::search::{self, Query};
use super::super::store::{Lookup, Store};
use super::super::types::RType;
use super::super::{dates, facts};
use crate::{Access, Grant, Interaction};

/// Where the export was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Level {
    System,
    Patient,
    Group(Group),
}

/// The sandbox's groups (it has no Group resources otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Group {
    /// Every patient.
    All,
    /// Every 10th patient (p000001, p000011, …).
    Sample,
}

impl Group {
    pub(crate) fn parse(id: &str) -> Option<Group> {
        match id {
            "all" => Some(Group::All),
            "sample" => Some(Group::Sample),
            _ => None,
        }
    }
}

/// Whose resources a patient- or group-level export covers.
#[derive(Debug, Clone)]
pub(crate) enum Cohort {
    /// System level: every resource, whatever it references.
    Everything,
    /// Every patient's compartment.
    AllPatients,
    /// Every 10th synthetic patient's compartment.
    Sample,
    /// These patients' compartments (the `patient` parameter), by id.
    Listed(Vec<String>),
}

/// Index of a synthetic patient in `Group/sample`.
pub(crate) fn in_sample(p: u32) -> bool {
    p.is_multiple_of(10)
}

impl Cohort {
    /// Does the compartment of `Patient/{id}` belong to the cohort?
    pub(crate) fn has_patient(&self, store: &Store, id: &str) -> bool {
        match self {
            Cohort::Everything | Cohort::AllPatients => true,
            Cohort::Sample => matches!(
                store.synth.parse_id(RType::Patient, id),
                Some(SynId::Patient(p)) if in_sample(p)
            ),
            Cohort::Listed(ids) => ids.iter().any(|i| i == id),
        }
    }

    /// The synthetic patients whose synthetic resources are candidates, in
    /// order (`None`: every one).
    pub(crate) fn synthetic_patients(&self, store: &Store) -> Option<Vec<u32>> {
        match self {
            Cohort::Everything | Cohort::AllPatients => None,
            Cohort::Sample => Some(
                (0..store.synth.patient_count())
                    .filter(|p| in_sample(*p))
                    .collect(),
            ),
            Cohort::Listed(ids) => {
                let mut ps: Vec<u32> = ids
                    .iter()
                    .filter_map(|id| match store.synth.parse_id(RType::Patient, id) {
                        Some(SynId::Patient(p)) => Some(p),
                        _ => None,
                    })
                    .collect();
                ps.sort_unstable();
                ps.dedup();
                Some(ps)
            }
        }
    }
}

/// Per type: the top-level elements to keep (`None`: the whole resource).
#[derive(Debug, Clone, Default)]
pub(crate) struct Elements {
    all_types: Vec<String>,
    per_type: HashMap<RType, Vec<String>>,
}

impl Elements {
    /// The elements to keep for `rtype`, if it is subsetted at all.
    pub(crate) fn for_type(&self, rtype: RType) -> Option<Vec<&str>> {
        let mut keep: Vec<&str> = self.all_types.iter().map(String::as_str).collect();
        if let Some(own) = self.per_type.get(&rtype) {
            keep.extend(own.iter().map(String::as_str));
        }
        (!keep.is_empty()).then_some(keep)
    }
}

/// A checked kick-off: everything the job needs.
#[derive(Debug, Clone)]
pub(crate) struct Spec {
    pub(crate) cohort: Cohort,
    /// Permitted types, in export order.
    pub(crate) types: Vec<RType>,
    /// Only resources last updated after this (Unix ms).
    pub(crate) since: Option<i64>,
    /// `_until` (Bulk Data 3.0): only resources last updated before it.
    pub(crate) until: Option<i64>,
    /// `organizeOutputBy` (Bulk Data 3.0): files of patient blocks.
    pub(crate) organize_by_patient: bool,
    /// Per type, searches of which a resource must match one.
    pub(crate) filters: HashMap<RType, Vec<Query>>,
    pub(crate) elements: Elements,
    /// `allowPartialManifests=true`: the manifest comes in pages.
    pub(crate) partial: bool,
}

/// `application/fhir+ndjson` and the aliases the IG says servers accept.
const OUTPUT_FORMATS: &[&str] = &["application/fhir+ndjson", "application/ndjson", "ndjson"];

/// Search parameters that shape a result page, not the matched set: in a
/// `_typeFilter` they would be silently meaningless.
const NOT_FILTERS: &[&str] = &[
    "_count", "_offset", "_sort", "_summary", "_total", "_format", "_pretty",
];

/// The types of the Patient compartment this server has, in export order.
pub(crate) const COMPARTMENT_TYPES: [RType; 7] = [
    RType::Patient,
    RType::Encounter,
    RType::Observation,
    RType::Condition,
    RType::MedicationRequest,
    RType::DiagnosticReport,
    RType::DocumentReference,
];

fn type_names(types: &[RType]) -> String {
    types
        .iter()
        .map(|t| t.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `Accept: application/fhir+json` and `Prefer: respond-async`, as the IG
/// requires of every kick-off.
pub(crate) fn check_headers(headers: &HeaderMap) -> Result<(), Outcome> {
    let values = |name: header::HeaderName| -> Vec<String> {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .collect()
    };
    let accept = values(header::ACCEPT);
    if !accept.iter().any(|a| a == "application/fhir+json") {
        return Err(Outcome::bad_request(match accept.is_empty() {
            true => "the Accept header is missing; a bulk export kick-off needs Accept: application/fhir+json".to_string(),
            false => format!(
                "Accept `{}` is not supported; a bulk export kick-off needs Accept: application/fhir+json",
                accept.join(", ")
            ),
        }));
    }
    let prefer = values(header::HeaderName::from_static("prefer"));
    if !prefer.iter().any(|p| p == "respond-async") {
        return Err(Outcome::bad_request(
            "the Prefer header must be `respond-async` for a bulk export kick-off",
        ));
    }
    Ok(())
}

/// The raw parameters: `(name, value)` pairs, and the `patient` references
/// (POST only).
struct Raw {
    pairs: Vec<(String, String)>,
    patients: Vec<String>,
}

fn from_query(query: Option<&str>) -> Raw {
    let pairs = url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .into_owned()
        .map(|(k, v)| match k.as_str() {
            // A literal `+` (`application/fhir+ndjson`, `+02:00`) decodes
            // as a space; neither value can hold a real one.
            "_outputFormat" | "_since" | "_until" => (k, v.replace(' ', "+")),
            _ => (k, v),
        })
        .collect();
    Raw {
        pairs,
        patients: Vec::new(),
    }
}

fn from_parameters(headers: &HeaderMap, body: &Bytes) -> Result<Raw, Outcome> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = ct.split(';').next().unwrap_or("").trim();
    if !mime.ends_with("json") {
        return Err(Outcome::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "not-supported",
            format!(
                "Content-Type `{mime}` is not supported for a POST kick-off; send a Parameters resource as application/fhir+json"
            ),
        ));
    }
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| Outcome::bad_request(format!("the body is not valid JSON: {e}")))?;
    if v.get("resourceType").and_then(Value::as_str) != Some("Parameters") {
        return Err(Outcome::bad_request(
            "the body of a POST kick-off must be a Parameters resource",
        ));
    }
    let mut raw = Raw {
        pairs: Vec::new(),
        patients: Vec::new(),
    };
    for p in v
        .get("parameter")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(name) = p.get("name").and_then(Value::as_str) else {
            return Err(Outcome::bad_request("a Parameters.parameter has no name"));
        };
        if name == "patient" {
            let r = p
                .get("valueReference")
                .and_then(|r| r.get("reference"))
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    Outcome::bad_request("the patient parameter needs a valueReference.reference")
                })?;
            raw.patients.push(r.to_string());
            continue;
        }
        let value = p.as_object().and_then(|o| {
            o.iter()
                .find(|(k, _)| k.starts_with("value"))
                .and_then(|(_, v)| match v {
                    // `allowPartialManifests` is a valueBoolean.
                    Value::Bool(b) => Some(if *b { "true" } else { "false" }),
                    v => v.as_str(),
                })
        });
        let Some(value) = value else {
            return Err(Outcome::bad_request(format!(
                "the parameter `{name}` needs a string value (valueString, valueInstant, …)"
            )));
        };
        raw.pairs.push((name.to_string(), value.to_string()));
    }
    Ok(raw)
}

/// Checks the kick-off of `level` and what `grant` may read.
#[allow(clippy::too_many_arguments)]
pub(crate) fn parse(
    store: &Store,
    grant: &Grant,
    level: Level,
    method: &Method,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &Bytes,
    lenient: bool,
) -> Result<Spec, Outcome> {
    let raw = if method == Method::POST {
        from_parameters(headers, body)?
    } else {
        from_query(query)
    };
    let offered: &[RType] = match level {
        Level::System => &RType::ALL,
        _ => &COMPARTMENT_TYPES,
    };
    let mut types: Vec<RType> = Vec::new();
    let mut since = None;
    let mut until = None;
    let mut organize_by_patient = false;
    let mut typefilters: Vec<String> = Vec::new();
    let mut elements = Elements::default();
    let mut partial = false;
    for (name, value) in &raw.pairs {
        match name.as_str() {
            "_outputFormat" => {
                if !OUTPUT_FORMATS.contains(&value.as_str()) {
                    return Err(Outcome::bad_request(format!(
                        "_outputFormat `{value}` is not supported; use {}",
                        OUTPUT_FORMATS.join(", ")
                    )));
                }
            }
            "_since" => since = Some(parse_instant("_since", value)?),
            "_until" => until = Some(parse_instant("_until", value)?),
            "organizeOutputBy" => match value.as_str() {
                "Patient" => organize_by_patient = true,
                _ if lenient => {}
                _ => {
                    return Err(Outcome::new(
                        StatusCode::BAD_REQUEST,
                        "not-supported",
                        format!(
                            "organizeOutputBy `{value}` is not supported; this server organizes output by Patient only"
                        ),
                    ));
                }
            },
            "includeAssociatedData" if !lenient => {
                return Err(Outcome::new(
                    StatusCode::BAD_REQUEST,
                    "not-supported",
                    format!(
                        "includeAssociatedData `{value}` is not supported (this server keeps no Provenance); send Prefer: handling=lenient to export without it"
                    ),
                ));
            }
            "_type" => {
                for t in value.split(',').map(str::trim).filter(|t| !t.is_empty()) {
                    let rtype = RType::parse(t).ok_or_else(|| {
                        Outcome::bad_request(format!(
                            "_type: unknown resource type `{t}`; this server exports {}",
                            type_names(&RType::ALL)
                        ))
                    })?;
                    if !offered.contains(&rtype) {
                        return Err(Outcome::bad_request(format!(
                            "_type: {t} is not in the Patient compartment; a patient or group export has {}",
                            type_names(offered)
                        )));
                    }
                    if !types.contains(&rtype) {
                        types.push(rtype);
                    }
                }
            }
            "_typeFilter" => typefilters.extend(split_type_filters(value)),
            "_elements" => parse_elements(value, &mut elements)?,
            "allowPartialManifests" => partial = value == "true",
            "patient" => {
                return Err(Outcome::bad_request(
                    "the patient parameter is accepted in a POST Parameters body only",
                ));
            }
            _ if lenient => {}
            _ => {
                return Err(Outcome::bad_request(format!(
                    "unknown $export parameter `{name}`; this server takes _outputFormat, _since, _until, _type, _typeFilter, _elements, organizeOutputBy and (POST) patient"
                )));
            }
        }
    }
    let explicit = !types.is_empty();
    if !explicit {
        types = offered.to_vec();
    }
    let mut filters: HashMap<RType, Vec<Query>> = HashMap::new();
    for f in &typefilters {
        let (rtype, q) = parse_type_filter(f)?;
        if explicit && !types.contains(&rtype) {
            return Err(Outcome::bad_request(format!(
                "_typeFilter `{f}`: {rtype} is not among the _type ({})",
                type_names(&types)
            )));
        }
        if !offered.contains(&rtype) {
            return Err(Outcome::bad_request(format!(
                "_typeFilter `{f}`: {rtype} is not in the Patient compartment"
            )));
        }
        filters.entry(rtype).or_default().push(q);
    }
    let cohort = cohort(store, level, &raw.patients)?;
    let denied: Vec<RType> = types
        .iter()
        .copied()
        .filter(|t| grant.access(t.name(), Interaction::Read) != Access::All)
        .collect();
    types.retain(|t| !denied.contains(t));
    if types.is_empty() {
        return Err(Outcome::forbidden(format!(
            "the granted scopes ({}) do not permit reading any of {} (a bulk export needs system/ or user/ read scopes)",
            grant.scopes.join(" "),
            type_names(&denied)
        )));
    }
    Ok(Spec {
        cohort,
        types,
        since,
        until,
        organize_by_patient,
        filters,
        elements,
        partial,
    })
}

/// One `_typeFilter` value as one or more filters. The comma-joined form
/// of Bulk Data 2.0 and 3.0 is still read, but split only where a comma
/// starts another `Type?` filter, so that a comma inside a search
/// (`code=1,2`, an OR) stays in its filter. (4.0 forbids the joined form;
/// repeated parameters are the unambiguous way.)
fn split_type_filters(value: &str) -> Vec<String> {
    let starts_filter = |rest: &str| {
        rest.split_once('?').is_some_and(|(t, _)| {
            t.bytes().next().is_some_and(|b| b.is_ascii_uppercase())
                && t.bytes().all(|b| b.is_ascii_alphanumeric())
        })
    };
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    for (i, piece) in value.split(',').enumerate() {
        if i > 0 && starts_filter(piece.trim_start()) {
            out.push(std::mem::take(&mut cur));
        } else if i > 0 {
            cur.push(',');
        }
        cur.push_str(if i > 0 && cur.is_empty() {
            piece.trim_start()
        } else {
            piece
        });
    }
    out.push(cur);
    out.into_iter()
        .map(|f| f.trim().to_owned())
        .filter(|f| !f.is_empty())
        .collect()
}

/// A FHIR `instant`: date, time to the second and a zone, nothing less.
fn parse_instant(name: &str, value: &str) -> Result<i64, Outcome> {
    let bad = || {
        Outcome::bad_request(format!(
            "{name} `{value}` is not a FHIR instant (like 2024-01-01T00:00:00Z)"
        ))
    };
    let (_, time) = value.split_once('T').ok_or_else(bad)?;
    let zoned = time.ends_with('Z') || time.rfind(['+', '-']).is_some();
    let seconds = time.split(['Z', '+', '-']).next().unwrap_or("").len() >= 8;
    if !zoned || !seconds {
        return Err(bad());
    }
    dates::parse(value).map(|r| r.start).ok_or_else(bad)
}

fn parse_elements(value: &str, into: &mut Elements) -> Result<(), Outcome> {
    let element = |e: &str| {
        e.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && e.chars().all(|c| c.is_ascii_alphanumeric())
    };
    for e in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        match e.split_once('.') {
            Some((t, name)) => {
                let rtype = RType::parse(t).ok_or_else(|| {
                    Outcome::bad_request(format!("_elements `{e}`: unknown resource type `{t}`"))
                })?;
                if !element(name) {
                    return Err(Outcome::bad_request(format!(
                        "_elements `{e}`: `{name}` is not a top-level element name"
                    )));
                }
                into.per_type
                    .entry(rtype)
                    .or_default()
                    .push(name.to_string());
            }
            None if element(e) => into.all_types.push(e.to_string()),
            None => {
                return Err(Outcome::bad_request(format!(
                    "_elements: `{e}` is not an element name"
                )));
            }
        }
    }
    Ok(())
}

/// `Observation?code=8867-4&date=ge2024` → (Observation, the search).
fn parse_type_filter(f: &str) -> Result<(RType, Query), Outcome> {
    let bad = |why: String| Outcome::bad_request(format!("_typeFilter `{f}`: {why}"));
    let (t, search) = f
        .split_once('?')
        .ok_or_else(|| bad("expected Type?search-parameters".into()))?;
    let rtype = RType::parse(t).ok_or_else(|| bad(format!("unknown resource type `{t}`")))?;
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(search.as_bytes())
        .into_owned()
        .collect();
    if let Some((k, _)) = pairs
        .iter()
        .find(|(k, _)| NOT_FILTERS.contains(&k.as_str()))
    {
        return Err(bad(format!("`{k}` is not supported in a type filter")));
    }
    let q = search::parse(rtype, &pairs, false).map_err(bad)?;
    if q.filters.is_empty() {
        return Err(bad("no search parameter".into()));
    }
    Ok((rtype, q))
}

fn cohort(store: &Store, level: Level, patients: &[String]) -> Result<Cohort, Outcome> {
    if level == Level::System {
        if !patients.is_empty() {
            return Err(Outcome::bad_request(
                "the patient parameter is for patient- and group-level exports only",
            ));
        }
        return Ok(Cohort::Everything);
    }
    let group = match level {
        Level::Group(Group::Sample) => Cohort::Sample,
        _ => Cohort::AllPatients,
    };
    if patients.is_empty() {
        return Ok(group);
    }
    let ov = store.read();
    let mut ids = Vec::new();
    for r in patients {
        let norm = facts::normalize_ref(r);
        let id = norm.strip_prefix("Patient/").ok_or_else(|| {
            Outcome::bad_request(format!("patient `{r}` must reference Patient/{{id}}"))
        })?;
        if !matches!(store.lookup(&ov, RType::Patient, id), Lookup::Found(_)) {
            return Err(Outcome::bad_request(format!(
                "patient: Patient/{id} does not exist"
            )));
        }
        if !group.has_patient(store, id) {
            return Err(Outcome::bad_request(format!(
                "patient: Patient/{id} is not a member of Group/sample"
            )));
        }
        ids.push(id.to_string());
    }
    Ok(Cohort::Listed(ids))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_need_time_and_zone() {
        assert!(parse_instant("_since", "2024-01-01T00:00:00Z").is_ok());
        assert!(parse_instant("_until", "2024-01-01T00:00:00.5+02:00").is_ok());
        for bad in [
            "2024-01-01",
            "2024-01-01T00:00Z",
            "2024-01-01T00:00:00",
            "soon",
        ] {
            assert!(parse_instant("_since", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn joined_type_filters_split_only_where_a_filter_starts() {
        assert_eq!(
            split_type_filters("Observation?code=1,2,Condition?clinical-status=active"),
            ["Observation?code=1,2", "Condition?clinical-status=active"]
        );
        assert_eq!(
            split_type_filters("Observation?code=1,2"),
            ["Observation?code=1,2"]
        );
        assert_eq!(
            split_type_filters("Patient?gender=male, Patient?gender=female"),
            ["Patient?gender=male", "Patient?gender=female"]
        );
        assert!(split_type_filters("").is_empty());
    }

    #[test]
    fn type_filters() {
        let (t, q) = parse_type_filter("Observation?code=http://loinc.org|8867-4").unwrap();
        assert_eq!(t, RType::Observation);
        assert_eq!(q.filters.len(), 1);
        for bad in [
            "Observation",
            "Nope?x=1",
            "Observation?colour=red",
            "Observation?_count=5",
            "Observation?",
        ] {
            let e = parse_type_filter(bad).unwrap_err();
            assert!(e.diagnostics.contains(bad), "{}", e.diagnostics);
        }
    }

    #[test]
    fn elements_by_type() {
        let mut e = Elements::default();
        parse_elements("status,Patient.name", &mut e).unwrap();
        assert_eq!(e.for_type(RType::Patient), Some(vec!["status", "name"]));
        assert_eq!(e.for_type(RType::Condition), Some(vec!["status"]));
        assert!(parse_elements("a.b.c", &mut e).is_err());
        assert!(parse_elements("Nope.x", &mut e).is_err());
        assert!(Elements::default().for_type(RType::Patient).is_none());
    }
}
