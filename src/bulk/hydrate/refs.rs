//! Which references of an exported resource name something hydration
//! fetches, and where from.
//!
//! - The directory types (who, where, which drug: [`DIRECTORY`]) from any
//!   `reference` anywhere in any resource: `MedicationRequest.medicationReference`,
//!   `MedicationAdministration.medicationReference`, `Encounter.location`,
//!   `Patient.generalPractitioner`, `DocumentReference.custodian`… a walk finds
//!   them all without a list per type to keep up to date.
//! - Observations only from `DiagnosticReport.result` and
//!   `Observation.hasMember` (servers leave those out of exports and searches).
//!
//! Only `Type/id` (relative, optionally `/_history/v`) and absolute URLs under
//! the FHIR base are followed: the token never goes to another origin, so a
//! reference elsewhere is counted, not fetched. Contained (`#x`), `urn:`,
//! conditional (`Type?…`) references and ids that are not FHIR ids are
//! skipped: nothing a server's data says can make a path of its own.

use serde_json::Value;
use url::Url;

use crate::discovery::FhirBase;

/// The types no patient's compartment holds, which a Patient or Group
/// export leaves out.
pub const DIRECTORY: [&str; 5] = [
    "Medication",
    "Practitioner",
    "PractitionerRole",
    "Organization",
    "Location",
];

/// Every type hydration may fetch.
pub const FETCHED: [&str; 6] = [
    "Medication",
    "Practitioner",
    "PractitionerRole",
    "Organization",
    "Location",
    "Observation",
];

/// What one reference turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `Type/id` on the FHIR base.
    Local(String),
    /// A reference of a fetched type that is not `[base]/Type/id`: on
    /// another origin, another base, or deeper in a path. Never requested.
    OffBase,
}

/// The references of one resource, as [`Target`]s.
#[derive(Debug, Default)]
pub struct Found {
    pub local: Vec<String>,
    pub off_base: u64,
}

impl Found {
    fn add(&mut self, t: Option<Target>) {
        match t {
            Some(Target::Local(k)) => self.local.push(k),
            Some(Target::OffBase) => self.off_base += 1,
            None => {}
        }
    }
}

/// The references in `resource` hydration would fetch.
pub fn wanted(resource: &Value, base: &FhirBase) -> Found {
    let mut found = Found::default();
    walk(resource, base, &mut found);
    let member_field = match resource.get("resourceType").and_then(Value::as_str) {
        Some("DiagnosticReport") => Some("result"),
        Some("Observation") => Some("hasMember"),
        _ => None,
    };
    if let Some(field) = member_field
        && let Some(items) = resource.get(field).and_then(Value::as_array)
    {
        for r in items
            .iter()
            .filter_map(|i| i.get("reference").and_then(Value::as_str))
        {
            found.add(resolve(r, base, &["Observation"]));
        }
    }
    found
}

fn walk(v: &Value, base: &FhirBase, found: &mut Found) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("reference") {
                found.add(resolve(r, base, &DIRECTORY));
            }
            for x in m.values() {
                walk(x, base, found);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| walk(x, base, found)),
        _ => {}
    }
}

/// `reference` as a target of one of `types`; `None` when it names none of
/// them or is not a reference hydration can follow.
pub fn resolve(reference: &str, base: &FhirBase, types: &[&str]) -> Option<Target> {
    let r = reference.trim();
    if r.starts_with('#') || r.starts_with("urn:") || r.contains('?') {
        return None;
    }
    if r.contains("://") {
        let url = Url::parse(r).ok()?;
        let key = type_and_id(url.path().trim_end_matches('/'), types, true)?;
        if base.contains(&url) && url.query().is_none() && url.fragment().is_none() {
            let rest = url
                .path()
                .strip_prefix(base.url().path().trim_end_matches('/'))?;
            // Directly under the base: `[base]/Type/id`, nothing in between.
            return Some(
                type_and_id(rest.trim_start_matches('/'), types, false)
                    .filter(|k| *k == key)
                    .map_or(Target::OffBase, Target::Local),
            );
        }
        return Some(Target::OffBase);
    }
    type_and_id(r, types, false).map(Target::Local)
}

/// `Type/id` or `Type/id/_history/v` (at the end of `path` when `tail`)
/// as `Type/id`, for a type in `types` and a valid FHIR id.
fn type_and_id(path: &str, types: &[&str], tail: bool) -> Option<String> {
    let segs: Vec<&str> = path.split('/').collect();
    let n = segs.len();
    let at = if n >= 4 && segs[n - 2] == "_history" {
        n - 4
    } else if n >= 2 {
        n - 2
    } else {
        return None;
    };
    if !tail && at != 0 {
        return None;
    }
    let (t, id) = (segs[at], segs[at + 1]);
    (types.contains(&t) && is_fhir_id(id)).then(|| format!("{t}/{id}"))
}

/// FHIR's `id`: 1 to 64 of `A-Z a-z 0-9 - .`.
pub fn is_fhir_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        && id != "."
        && id != ".."
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn base() -> FhirBase {
        FhirBase::parse("https://ehr.example/r4/fhir").unwrap()
    }

    fn local(s: &str) -> Option<Target> {
        Some(Target::Local(s.into()))
    }

    #[test]
    fn references_resolve_to_type_and_id_on_the_base_only() {
        let b = base();
        let r = |s: &str| resolve(s, &b, &DIRECTORY);
        assert_eq!(r("Medication/med1"), local("Medication/med1"));
        assert_eq!(r(" Practitioner/p-1.2 "), local("Practitioner/p-1.2"));
        assert_eq!(r("Organization/o/_history/3"), local("Organization/o"));
        assert_eq!(
            r("https://ehr.example/r4/fhir/Location/l9"),
            local("Location/l9")
        );
        assert_eq!(
            r("https://ehr.example/r4/fhir/Location/l9/_history/2"),
            local("Location/l9")
        );
        // Another origin, another base on the same origin, a path in between.
        assert_eq!(
            r("https://other.example/fhir/Organization/o1"),
            Some(Target::OffBase)
        );
        assert_eq!(
            r("https://ehr.example/other/fhir/Organization/o1"),
            Some(Target::OffBase)
        );
        assert_eq!(
            r("https://ehr.example/r4/fhir/x/Organization/o1"),
            Some(Target::OffBase)
        );
        for skipped in [
            "#med",
            "urn:uuid:0b2d7a2e-1f0a-4a8e-9a53-5f3b7f1c2d3e",
            "Medication?code=123",
            "Patient/p1",
            "Medication",
            "Medication/",
            "Medication/../../secret",
            "Medication/a%2Fb",
            "Medication/a b",
            "x/Medication/m1",
            "https://other.example/fhir/Patient/p1",
        ] {
            assert_eq!(r(skipped), None, "{skipped}");
        }
        let long = format!("Medication/{}", "a".repeat(65));
        assert_eq!(r(&long), None);
    }

    #[test]
    fn directory_references_anywhere_and_observations_from_result_and_has_member() {
        let b = base();
        let dr = json!({
            "resourceType": "DiagnosticReport",
            "id": "d1",
            "subject": {"reference": "Patient/p1"},
            "performer": [{"reference": "PractitionerRole/r1"}, {"reference": "Organization/o1"}],
            "result": [{"reference": "Observation/a"}, {"reference": "Observation/b"}],
            "contained": [{"resourceType": "Medication", "id": "m", "manufacturer": {"reference": "Organization/o2"}}],
            "extension": [{"valueReference": {"reference": "Location/l1"}}],
            "specimen": [{"reference": "Observation/not-a-result"}]
        });
        let f = wanted(&dr, &b);
        let mut got = f.local.clone();
        got.sort();
        assert_eq!(
            got,
            [
                "Location/l1",
                "Observation/a",
                "Observation/b",
                "Organization/o1",
                "Organization/o2",
                "PractitionerRole/r1"
            ]
        );
        let obs = json!({
            "resourceType": "Observation",
            "hasMember": [{"reference": "Observation/w"}, {"reference": "https://elsewhere.example/Observation/x"}],
            "derivedFrom": [{"reference": "Observation/z"}]
        });
        let f = wanted(&obs, &b);
        assert_eq!(f.local, ["Observation/w"]);
        assert_eq!(f.off_base, 1);
        let mr = json!({
            "resourceType": "MedicationRequest",
            "medicationReference": {"reference": "Medication/m7", "display": "x"},
            "requester": {"reference": "https://elsewhere.example/fhir/Practitioner/q"}
        });
        let f = wanted(&mr, &b);
        assert_eq!(f.local, ["Medication/m7"]);
        assert_eq!(f.off_base, 1);
    }
}
