//! Which searches a crawl makes: the types (the Patient compartment's that
//! the CapabilityStatement supports and the token's scopes allow, or those
//! `--type` names) and, per type, the search parameter that names the
//! patient (the compartment parameter the CapabilityStatement declares).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use smart_vocab::scope::{Interaction, ResourceScope};

use crate::error::{Error, Result};

/// FHIR R4's CompartmentDefinition `patient`: the types a patient's
/// compartment holds and the parameters that put a resource there.
/// `Group` (by `member`) is left out: a Group is a list of patients, not
/// their data, and a bulk Patient export does not hold it either.
pub const PATIENT_COMPARTMENT: &[(&str, &[&str])] = &[
    ("Account", &["subject"]),
    ("AdverseEvent", &["subject"]),
    ("AllergyIntolerance", &["patient", "recorder", "asserter"]),
    ("Appointment", &["actor"]),
    ("AppointmentResponse", &["actor"]),
    ("AuditEvent", &["patient"]),
    ("Basic", &["patient", "author"]),
    ("BodyStructure", &["patient"]),
    ("CarePlan", &["patient", "performer"]),
    ("CareTeam", &["patient", "participant"]),
    ("ChargeItem", &["subject"]),
    ("Claim", &["patient", "payee"]),
    ("ClaimResponse", &["patient"]),
    ("ClinicalImpression", &["subject"]),
    ("Communication", &["subject", "sender", "recipient"]),
    (
        "CommunicationRequest",
        &["subject", "sender", "recipient", "requester"],
    ),
    ("Composition", &["subject", "author", "attester"]),
    ("Condition", &["patient", "asserter"]),
    ("Consent", &["patient"]),
    (
        "Coverage",
        &["policy-holder", "subscriber", "beneficiary", "payor"],
    ),
    ("CoverageEligibilityRequest", &["patient"]),
    ("CoverageEligibilityResponse", &["patient"]),
    ("DetectedIssue", &["patient"]),
    ("DeviceRequest", &["subject", "performer"]),
    ("DeviceUseStatement", &["subject"]),
    ("DiagnosticReport", &["subject"]),
    ("DocumentManifest", &["subject", "author", "recipient"]),
    ("DocumentReference", &["subject", "author"]),
    ("Encounter", &["patient"]),
    ("EnrollmentRequest", &["subject"]),
    ("EpisodeOfCare", &["patient"]),
    ("ExplanationOfBenefit", &["patient", "payee"]),
    ("FamilyMemberHistory", &["patient"]),
    ("Flag", &["patient"]),
    ("Goal", &["patient"]),
    ("ImagingStudy", &["patient"]),
    ("Immunization", &["patient"]),
    ("ImmunizationEvaluation", &["patient"]),
    ("ImmunizationRecommendation", &["patient"]),
    ("Invoice", &["subject", "patient", "recipient"]),
    ("List", &["subject", "source"]),
    ("MeasureReport", &["patient"]),
    ("Media", &["subject"]),
    (
        "MedicationAdministration",
        &["patient", "performer", "subject"],
    ),
    ("MedicationDispense", &["subject", "patient", "receiver"]),
    ("MedicationRequest", &["subject"]),
    ("MedicationStatement", &["subject"]),
    ("MolecularSequence", &["patient"]),
    ("NutritionOrder", &["patient"]),
    ("Observation", &["subject", "performer"]),
    ("Patient", &["link"]),
    ("Person", &["patient"]),
    ("Procedure", &["patient", "performer"]),
    ("Provenance", &["patient"]),
    ("QuestionnaireResponse", &["subject", "author"]),
    ("RelatedPerson", &["patient"]),
    ("RequestGroup", &["subject", "participant"]),
    ("ResearchSubject", &["individual"]),
    ("RiskAssessment", &["subject"]),
    ("Schedule", &["actor"]),
    ("ServiceRequest", &["subject", "performer"]),
    ("Specimen", &["subject"]),
    ("SupplyDelivery", &["patient"]),
    ("SupplyRequest", &["subject"]),
    ("VisionPrescription", &["patient"]),
];

fn compartment_params(rtype: &str) -> Option<&'static [&'static str]> {
    PATIENT_COMPARTMENT
        .iter()
        .find(|(t, _)| *t == rtype)
        .map(|(_, p)| *p)
}

/// One type to crawl and how its search names the patient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypePlan {
    #[serde(rename = "type")]
    pub name: String,
    /// `patient`, `subject`, …; `_id` for Patient itself.
    pub param: String,
}

/// What the crawl needs from the CapabilityStatement.
#[derive(Debug, Default)]
pub struct Capability {
    /// Each type the server lists, with the search parameters it declares
    /// (`None`: it lists none, which says nothing either way) and whether
    /// it can be searched.
    types: BTreeMap<String, (Option<Vec<String>>, bool)>,
    /// An `export` operation, at the system level or on Patient or Group.
    pub has_export: bool,
}

impl Capability {
    pub fn parse(v: &Value) -> Capability {
        let mut cap = Capability::default();
        let is_export = |ops: Option<&Value>| {
            ops.and_then(Value::as_array).is_some_and(|ops| {
                ops.iter().any(|o| {
                    o["name"]
                        .as_str()
                        .is_some_and(|n| n.trim_start_matches('$') == "export")
                })
            })
        };
        for rest in v["rest"].as_array().into_iter().flatten() {
            if rest["mode"].as_str().is_some_and(|m| m != "server") {
                continue;
            }
            cap.has_export |= is_export(rest.get("operation"));
            for r in rest["resource"].as_array().into_iter().flatten() {
                let Some(t) = r["type"].as_str() else {
                    continue;
                };
                cap.has_export |= is_export(r.get("operation"));
                let params = r["searchParam"].as_array().map(|ps| {
                    ps.iter()
                        .filter_map(|p| p["name"].as_str().map(str::to_owned))
                        .collect::<Vec<_>>()
                });
                let searchable = match r["interaction"].as_array() {
                    Some(is) => is.iter().any(|i| i["code"] == "search-type"),
                    None => true,
                };
                cap.types.insert(t.to_owned(), (params, searchable));
            }
        }
        cap
    }

    fn searchable(&self, t: &str) -> bool {
        self.types.get(t).is_some_and(|(_, s)| *s)
    }

    /// The parameter that names the patient in a search of `t`: the first
    /// the server declares of `patient`, `subject` and the compartment's
    /// own; when it declares none of its parameters, the compartment's
    /// (`patient` first).
    fn param(&self, t: &str) -> Option<String> {
        if t == "Patient" {
            return Some("_id".into());
        }
        let compartment = compartment_params(t)?;
        let preferred = ["patient", "subject"]
            .into_iter()
            .filter(|p| *p == "patient" || compartment.contains(p))
            .chain(compartment.iter().copied());
        match self.types.get(t).and_then(|(p, _)| p.as_ref()) {
            Some(declared) if !declared.is_empty() => preferred
                .clone()
                .find(|p| declared.iter().any(|d| d == p))
                .map(str::to_owned),
            _ => preferred.into_iter().next().map(str::to_owned),
        }
    }
}

/// The types a crawl searches, and the default ones it leaves out (with
/// why), for the report.
#[derive(Debug, Default)]
pub struct Plan {
    pub types: Vec<TypePlan>,
    pub left_out: Vec<(String, String)>,
}

/// Does the granted `scope` let this token search `t`? An unknown grant
/// (no resource scopes in it) is not a reason to leave a type out.
fn scope_allows(scopes: &[ResourceScope], t: &str) -> bool {
    scopes.is_empty() || scopes.iter().any(|s| s.covers(t, Interaction::Search))
}

/// The crawl's types: `wanted` (from `--type`) or, when empty, every
/// compartment type the server can search and the `granted` scope allows.
/// A named type outside the Patient compartment is refused (a per-patient
/// search cannot find it); a named type the server does not list is still
/// tried (its answer decides, and a refusal is reported).
pub fn plan(cap: &Capability, wanted: &[String], granted: Option<&str>) -> Result<Plan> {
    let scopes: Vec<ResourceScope> = granted
        .unwrap_or("")
        .split_ascii_whitespace()
        .filter_map(ResourceScope::parse)
        .collect();
    let mut out = Plan::default();
    if !wanted.is_empty() {
        for t in wanted {
            if out.types.iter().any(|p| &p.name == t) {
                continue;
            }
            let param = cap.param(t).ok_or_else(|| {
                Error::usage(format!(
                    "--type {}: not a type of the Patient compartment, which a crawl searches patient by patient",
                    crate::redact::printable(t)
                ))
                .with_hint("resources that patients' data refer to (Medication, Practitioner, …) come with --hydrate")
            })?;
            out.types.push(TypePlan {
                name: t.clone(),
                param,
            });
        }
        return Ok(out);
    }
    for (t, _) in PATIENT_COMPARTMENT {
        if !cap.types.contains_key(*t) {
            continue;
        }
        if !cap.searchable(t) {
            out.left_out
                .push(((*t).into(), "the server lists no search for it".into()));
        } else if !scope_allows(&scopes, t) {
            out.left_out.push((
                (*t).into(),
                "the token's scopes do not allow searching it".into(),
            ));
        } else if let Some(param) = cap.param(t) {
            out.types.push(TypePlan {
                name: (*t).into(),
                param,
            });
        } else {
            out.left_out.push((
                (*t).into(),
                "the server declares none of its Patient compartment parameters".into(),
            ));
        }
    }
    // Patient first: a cohort member's own record before the rest.
    out.types.sort_by_key(|p| p.name != "Patient");
    if out.types.is_empty() {
        return Err(Error::server(
            "the CapabilityStatement lists no type of the Patient compartment that this token may search",
        )
        .with_hint("name the types with --type"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cap() -> Capability {
        Capability::parse(&json!({"rest": [{"mode": "server", "resource": [
            {"type": "Patient", "interaction": [{"code": "search-type"}], "searchParam": [{"name": "_id"}]},
            {"type": "Observation", "interaction": [{"code": "search-type"}],
             "searchParam": [{"name": "subject"}, {"name": "patient"}]},
            {"type": "DocumentReference", "interaction": [{"code": "search-type"}],
             "searchParam": [{"name": "subject"}]},
            {"type": "Encounter", "interaction": [{"code": "read"}]},
            {"type": "Condition"},
            {"type": "Medication", "interaction": [{"code": "search-type"}]},
            {"type": "Group", "operation": [{"name": "export"}]}
        ]}]}))
    }

    #[test]
    fn defaults_are_searchable_compartment_types_with_their_declared_parameter() {
        let c = cap();
        assert!(c.has_export);
        let p = plan(&c, &[], None).unwrap();
        let got: Vec<(&str, &str)> = p
            .types
            .iter()
            .map(|t| (t.name.as_str(), t.param.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("Patient", "_id"),
                ("Condition", "patient"),
                ("DocumentReference", "subject"),
                ("Observation", "patient"),
            ]
        );
        assert_eq!(
            p.left_out,
            [(
                "Encounter".to_string(),
                "the server lists no search for it".to_string()
            )]
        );
    }

    #[test]
    fn scopes_narrow_the_defaults_and_named_types_must_be_in_the_compartment() {
        let c = cap();
        let p = plan(
            &c,
            &[],
            Some("system/Patient.rs system/Observation.read openid"),
        )
        .unwrap();
        let names: Vec<&str> = p.types.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["Patient", "Observation"]);
        assert!(
            p.left_out
                .iter()
                .any(|(t, why)| t == "Condition" && why.contains("scopes"))
        );
        let e = plan(&c, &["Medication".into()], None).unwrap_err();
        assert!(e.message.contains("Patient compartment"), "{}", e.message);
        let p = plan(&c, &["Immunization".into(), "Observation".into()], None).unwrap();
        assert_eq!(p.types[0].param, "patient");
        assert_eq!(p.types[1].param, "patient");
    }
}
