//! The searchable facts of one resource.
//!
//! Synthetic resources (computed from the seed) and written ones (stored as
//! JSON) are both reduced to a [`Facts`], so search matching and sorting have
//! a single implementation. Synthetic facts borrow `'static` name tables and
//! are cheap to produce; JSON facts borrow the stored document.

use std::borrow::Cow;

use serde_json::Value;

use super::dates::{self, DateRange};
use super::types::{DateField, RType, RefField, StrField, TokField};

#[derive(Debug, Default)]
pub(crate) struct Facts<'a> {
    pub(crate) id: Cow<'a, str>,
    pub(crate) last_updated: i64,
    pub(crate) strings: Vec<(StrField, Cow<'a, str>)>,
    pub(crate) tokens: Vec<Token<'a>>,
    pub(crate) dates: Vec<(DateField, DateRange)>,
    /// References as `Type/id`.
    pub(crate) refs: Vec<(RefField, Cow<'a, str>)>,
}

#[derive(Debug)]
pub(crate) struct Token<'a> {
    pub(crate) field: TokField,
    pub(crate) system: Option<Cow<'a, str>>,
    pub(crate) code: Cow<'a, str>,
}

impl<'a> Facts<'a> {
    pub(crate) fn token(
        &mut self,
        field: TokField,
        system: Option<&'a str>,
        code: impl Into<Cow<'a, str>>,
    ) {
        self.tokens.push(Token {
            field,
            system: system.map(Cow::Borrowed),
            code: code.into(),
        });
    }

    /// Is this resource in `Patient/{patient}`'s compartment?
    pub(crate) fn in_compartment(&self, rtype: RType, patient: &str) -> bool {
        if rtype == RType::Patient {
            return self.id == patient;
        }
        rtype.has_subject()
            && self.refs.iter().any(|(f, r)| {
                *f == RefField::Subject && r.strip_prefix("Patient/") == Some(patient)
            })
    }
}

pub(crate) const GENDER_SYSTEM: &str = "http://hl7.org/fhir/administrative-gender";

/// Normalizes a reference (relative, absolute or `urn:`) to `Type/id`.
pub(crate) fn normalize_ref(r: &str) -> &str {
    let r = r.split(['?', '#']).next().unwrap_or(r);
    let r = match r.find("/_history/") {
        Some(i) => &r[..i],
        None => r,
    };
    let mut parts = r.rsplitn(3, '/');
    match (parts.next(), parts.next()) {
        (Some(id), Some(ty)) if !id.is_empty() && !ty.is_empty() => {
            &r[r.len() - id.len() - ty.len() - 1..]
        }
        _ => r,
    }
}

fn codings<'a>(cc: &'a Value, field: TokField, f: &mut Facts<'a>) {
    if let Some(cs) = cc.get("coding").and_then(Value::as_array) {
        for c in cs {
            if let Some(code) = c.get("code").and_then(Value::as_str) {
                f.token(field, c.get("system").and_then(Value::as_str), code);
            }
        }
    }
}

fn each<'a>(v: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    match v.get(key) {
        Some(Value::Array(a)) => a.iter().collect::<Vec<_>>().into_iter(),
        Some(other) => vec![other].into_iter(),
        None => Vec::new().into_iter(),
    }
}

fn date_of(v: &Value, key: &str) -> Option<DateRange> {
    v.get(key).and_then(Value::as_str).and_then(dates::parse)
}

fn period_of(v: &Value, key: &str) -> Option<DateRange> {
    let p = v.get(key)?;
    let start = date_of(p, "start");
    let end = date_of(p, "end");
    match (start, end) {
        (Some(s), Some(e)) => Some(DateRange {
            start: s.start,
            end: e.end.max(s.end),
        }),
        (Some(s), None) => Some(DateRange {
            start: s.start,
            end: i64::MAX,
        }),
        (None, Some(e)) => Some(DateRange {
            start: i64::MIN,
            end: e.end,
        }),
        (None, None) => None,
    }
}

/// Facts of a stored (written) resource.
pub(crate) fn from_json<'a>(rtype: RType, v: &'a Value, last_updated: i64) -> Facts<'a> {
    let mut f = Facts {
        id: Cow::Borrowed(v.get("id").and_then(Value::as_str).unwrap_or("")),
        last_updated,
        ..Facts::default()
    };
    for n in each(v, "name") {
        if let Some(s) = n.get("family").and_then(Value::as_str) {
            f.strings.push((StrField::Family, Cow::Borrowed(s)));
        }
        for g in each(n, "given").filter_map(Value::as_str) {
            f.strings.push((StrField::Given, Cow::Borrowed(g)));
        }
        if let Some(s) = n.get("text").and_then(Value::as_str) {
            f.strings.push((StrField::Text, Cow::Borrowed(s)));
        }
    }
    // Organization and Location names are plain strings.
    if let Some(s) = v.get("name").and_then(Value::as_str) {
        f.strings.push((StrField::Text, Cow::Borrowed(s)));
    }
    if let Some(g) = v.get("gender").and_then(Value::as_str) {
        f.token(TokField::Gender, Some(GENDER_SYSTEM), g);
    }
    for i in each(v, "identifier") {
        if let Some(val) = i.get("value").and_then(Value::as_str) {
            f.token(
                TokField::Identifier,
                i.get("system").and_then(Value::as_str),
                val,
            );
        }
    }
    if let Some(s) = v.get("status").and_then(Value::as_str) {
        f.token(TokField::Status, None, s);
    }
    for (key, field) in [
        ("code", TokField::Code),
        ("category", TokField::Category),
        ("type", TokField::Type),
        ("clinicalStatus", TokField::ClinicalStatus),
    ] {
        for cc in each(v, key) {
            codings(cc, field, &mut f);
        }
    }
    if rtype == RType::Encounter
        && let Some(class) = v.get("class")
        && let Some(code) = class.get("code").and_then(Value::as_str)
    {
        f.token(
            TokField::Class,
            class.get("system").and_then(Value::as_str),
            code,
        );
    }
    if let Some(d) = date_of(v, "birthDate") {
        f.dates.push((DateField::Birth, d));
    }
    let clinical_date = match rtype {
        RType::Encounter => period_of(v, "period"),
        RType::Observation | RType::DiagnosticReport => date_of(v, "effectiveDateTime")
            .or_else(|| period_of(v, "effectivePeriod"))
            .or_else(|| date_of(v, "effectiveInstant")),
        RType::DocumentReference => date_of(v, "date"),
        RType::MedicationRequest => date_of(v, "authoredOn"),
        _ => None,
    };
    if let Some(d) = clinical_date {
        f.dates.push((DateField::Date, d));
    }
    if let Some(d) = date_of(v, "onsetDateTime").or_else(|| period_of(v, "onsetPeriod")) {
        f.dates.push((DateField::Onset, d));
    }
    if let Some(d) = date_of(v, "recordedDate") {
        f.dates.push((DateField::Recorded, d));
    }
    let reference = |key: &str| -> Vec<&'a str> {
        each(v, key)
            .filter_map(|r| r.get("reference").and_then(Value::as_str))
            .map(normalize_ref)
            .collect()
    };
    for r in reference("subject").into_iter().chain(reference("patient")) {
        f.refs.push((RefField::Subject, Cow::Borrowed(r)));
    }
    for r in reference("encounter") {
        f.refs.push((RefField::Encounter, Cow::Borrowed(r)));
    }
    for r in reference("generalPractitioner") {
        f.refs.push((RefField::Practitioner, Cow::Borrowed(r)));
    }
    for p in each(v, "participant") {
        if let Some(r) = p
            .get("individual")
            .and_then(|i| i.get("reference"))
            .and_then(Value::as_str)
        {
            f.refs
                .push((RefField::Practitioner, Cow::Borrowed(normalize_ref(r))));
        }
    }
    let mut refs = |key: &str, field: RefField| {
        for r in reference(key) {
            f.refs.push((field, Cow::Borrowed(r)));
        }
    };
    match rtype {
        RType::MedicationRequest => refs("medicationReference", RefField::Medication),
        RType::DiagnosticReport => refs("result", RefField::Result),
        RType::PractitionerRole => {
            refs("practitioner", RefField::Practitioner);
            refs("organization", RefField::Organization);
            refs("location", RefField::Location);
        }
        RType::Location => refs("managingOrganization", RefField::Organization),
        _ => {}
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_normalize() {
        assert_eq!(normalize_ref("Patient/1"), "Patient/1");
        assert_eq!(normalize_ref("http://x/fhir/Patient/1"), "Patient/1");
        assert_eq!(
            normalize_ref("http://x/fhir/Patient/1/_history/2"),
            "Patient/1"
        );
        assert_eq!(normalize_ref("1"), "1");
    }

    #[test]
    fn json_facts() {
        let v = serde_json::json!({
            "resourceType": "Observation", "id": "o1", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
            "subject": {"reference": "Patient/p1"},
            "effectiveDateTime": "2020-01-02"
        });
        let f = from_json(RType::Observation, &v, 0);
        assert!(f.in_compartment(RType::Observation, "p1"));
        assert!(!f.in_compartment(RType::Observation, "p2"));
        assert_eq!(f.tokens.len(), 2);
        assert_eq!(f.dates.len(), 1);
    }
}
