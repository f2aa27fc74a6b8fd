//! The resource types the sandbox serves and the search parameters each one
//! supports — one table that drives parsing, matching, sorting and the
//! CapabilityStatement, so they cannot drift apart.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum RType {
    Patient,
    Practitioner,
    Encounter,
    Observation,
    Condition,
    MedicationRequest,
    DiagnosticReport,
    DocumentReference,
    Medication,
    Organization,
    Location,
    PractitionerRole,
}

impl RType {
    /// In system-level export order.
    pub(crate) const ALL: [RType; 12] = [
        RType::Patient,
        RType::Practitioner,
        RType::Encounter,
        RType::Observation,
        RType::Condition,
        RType::MedicationRequest,
        RType::DiagnosticReport,
        RType::DocumentReference,
        RType::Medication,
        RType::Organization,
        RType::Location,
        RType::PractitionerRole,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            RType::Patient => "Patient",
            RType::Practitioner => "Practitioner",
            RType::Encounter => "Encounter",
            RType::Observation => "Observation",
            RType::Condition => "Condition",
            RType::MedicationRequest => "MedicationRequest",
            RType::DiagnosticReport => "DiagnosticReport",
            RType::DocumentReference => "DocumentReference",
            RType::Medication => "Medication",
            RType::Organization => "Organization",
            RType::Location => "Location",
            RType::PractitionerRole => "PractitionerRole",
        }
    }

    /// Exact, case-sensitive: FHIR type names are.
    pub(crate) fn parse(s: &str) -> Option<RType> {
        RType::ALL.into_iter().find(|t| t.name() == s)
    }

    /// Search parameters specific to the type (the common `_id` and
    /// `_lastUpdated` come from [`COMMON`]).
    pub(crate) fn params(self) -> &'static [Param] {
        match self {
            RType::Patient => PATIENT_PARAMS,
            RType::Practitioner => PRACTITIONER_PARAMS,
            RType::Encounter => ENCOUNTER_PARAMS,
            RType::Observation => OBSERVATION_PARAMS,
            RType::Condition => CONDITION_PARAMS,
            RType::MedicationRequest => MEDICATION_REQUEST_PARAMS,
            RType::DiagnosticReport => DIAGNOSTIC_REPORT_PARAMS,
            RType::DocumentReference => DOCUMENT_REFERENCE_PARAMS,
            RType::Medication => MEDICATION_PARAMS,
            RType::Organization => ORGANIZATION_PARAMS,
            RType::Location => LOCATION_PARAMS,
            RType::PractitionerRole => PRACTITIONER_ROLE_PARAMS,
        }
    }

    /// Looks a parameter up among the common and the type's own.
    pub(crate) fn param(self, name: &str) -> Option<&'static Param> {
        COMMON.iter().chain(self.params()).find(|p| p.name == name)
    }

    /// Whether resources of this type belong to a patient's compartment
    /// through their `subject`.
    pub(crate) fn has_subject(self) -> bool {
        matches!(
            self,
            RType::Encounter
                | RType::Observation
                | RType::Condition
                | RType::MedicationRequest
                | RType::DiagnosticReport
                | RType::DocumentReference
        )
    }

    /// Types no patient's compartment holds (the directory: who, where,
    /// which drug): a Patient or Group export leaves them out, and a crawl
    /// or hydration has to fetch them by reference.
    pub(crate) fn is_shared(self) -> bool {
        matches!(
            self,
            RType::Practitioner
                | RType::Medication
                | RType::Organization
                | RType::Location
                | RType::PractitionerRole
        )
    }
}

impl fmt::Display for RType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

use DateField as D;
use ParamKind::*;
use RefField as R;
use StrField as S;
use TokField as T;
const NAME: &[StrField] = &[S::Family, S::Given, S::Text];

const PATIENT_PARAMS: &[Param] = &[
    Param::new("name", Str(NAME)),
    Param::new("family", Str(&[S::Family])),
    Param::new("given", Str(&[S::Given])),
    Param::new("birthdate", Date(D::Birth)),
    Param::new("gender", Token(T::Gender)),
    Param::new("identifier", Token(T::Identifier)),
    Param::new("general-practitioner", Ref(R::Practitioner, None)),
];
const PRACTITIONER_PARAMS: &[Param] = &[
    Param::new("name", Str(NAME)),
    Param::new("family", Str(&[S::Family])),
    Param::new("given", Str(&[S::Given])),
    Param::new("gender", Token(T::Gender)),
    Param::new("identifier", Token(T::Identifier)),
];
const ENCOUNTER_PARAMS: &[Param] = &[
    Param::new("patient", Ref(R::Subject, Some("Patient"))),
    Param::new("subject", Ref(R::Subject, None)),
    Param::new("date", Date(D::Date)),
    Param::new("type", Token(T::Type)),
    Param::new("class", Token(T::Class)),
    Param::new("status", Token(T::Status)),
    Param::new("practitioner", Ref(R::Practitioner, Some("Practitioner"))),
];
const OBSERVATION_PARAMS: &[Param] = &[
    Param::new("patient", Ref(R::Subject, Some("Patient"))),
    Param::new("subject", Ref(R::Subject, None)),
    Param::new("code", Token(T::Code)),
    Param::new("category", Token(T::Category)),
    Param::new("date", Date(D::Date)),
    Param::new("status", Token(T::Status)),
    Param::new("encounter", Ref(R::Encounter, Some("Encounter"))),
];
const CONDITION_PARAMS: &[Param] = &[
    Param::new("patient", Ref(R::Subject, Some("Patient"))),
    Param::new("subject", Ref(R::Subject, None)),
    Param::new("code", Token(T::Code)),
    Param::new("category", Token(T::Category)),
    Param::new("clinical-status", Token(T::ClinicalStatus)),
    Param::new("onset-date", Date(D::Onset)),
    Param::new("recorded-date", Date(D::Recorded)),
    // Not an R4 Condition parameter; a sandbox convenience alias of
    // `onset-date` so `date` works on every clinical type.
    Param::new("date", Date(D::Onset)),
    Param::new("encounter", Ref(R::Encounter, Some("Encounter"))),
];

const MEDICATION_REQUEST_PARAMS: &[Param] = &[
    Param::new("patient", Ref(R::Subject, Some("Patient"))),
    Param::new("subject", Ref(R::Subject, None)),
    Param::new("status", Token(T::Status)),
    Param::new("authoredon", Date(D::Date)),
    Param::new("encounter", Ref(R::Encounter, Some("Encounter"))),
    Param::new("medication", Ref(R::Medication, Some("Medication"))),
];
const DIAGNOSTIC_REPORT_PARAMS: &[Param] = &[
    Param::new("patient", Ref(R::Subject, Some("Patient"))),
    Param::new("subject", Ref(R::Subject, None)),
    Param::new("code", Token(T::Code)),
    Param::new("category", Token(T::Category)),
    Param::new("date", Date(D::Date)),
    Param::new("status", Token(T::Status)),
    Param::new("encounter", Ref(R::Encounter, Some("Encounter"))),
    Param::new("result", Ref(R::Result, Some("Observation"))),
];
const DOCUMENT_REFERENCE_PARAMS: &[Param] = &[
    Param::new("patient", Ref(R::Subject, Some("Patient"))),
    Param::new("subject", Ref(R::Subject, None)),
    Param::new("type", Token(T::Type)),
    Param::new("category", Token(T::Category)),
    Param::new("date", Date(D::Date)),
    Param::new("status", Token(T::Status)),
];
const MEDICATION_PARAMS: &[Param] = &[Param::new("code", Token(T::Code))];
const ORGANIZATION_PARAMS: &[Param] = &[
    Param::new("name", Str(&[S::Text])),
    Param::new("identifier", Token(T::Identifier)),
];
const LOCATION_PARAMS: &[Param] = &[
    Param::new("name", Str(&[S::Text])),
    Param::new("status", Token(T::Status)),
    Param::new("organization", Ref(R::Organization, Some("Organization"))),
];
const PRACTITIONER_ROLE_PARAMS: &[Param] = &[
    Param::new("practitioner", Ref(R::Practitioner, Some("Practitioner"))),
    Param::new("organization", Ref(R::Organization, Some("Organization"))),
    Param::new("location", Ref(R::Location, Some("Location"))),
];

/// Parameters every type supports.
pub(crate) const COMMON: &[Param] = &[
    Param::new("_id", ParamKind::Id),
    Param::new("_lastUpdated", ParamKind::LastUpdated),
];

#[derive(Debug)]
pub(crate) struct Param {
    pub(crate) name: &'static str,
    pub(crate) kind: ParamKind,
}

impl Param {
    const fn new(name: &'static str, kind: ParamKind) -> Param {
        Param { name, kind }
    }

    /// The FHIR search parameter type, for the CapabilityStatement.
    pub(crate) fn fhir_type(&self) -> &'static str {
        match self.kind {
            ParamKind::Id | ParamKind::Token(_) => "token",
            ParamKind::LastUpdated | ParamKind::Date(_) => "date",
            ParamKind::Str(_) => "string",
            ParamKind::Ref(..) => "reference",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ParamKind {
    Id,
    LastUpdated,
    /// Matches any of these string fields.
    Str(&'static [StrField]),
    Token(TokField),
    Date(DateField),
    /// A reference field, and the resource type it must point to, if fixed.
    Ref(RefField, Option<&'static str>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StrField {
    Family,
    Given,
    Text,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokField {
    Gender,
    Identifier,
    Code,
    Category,
    Type,
    Class,
    Status,
    ClinicalStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DateField {
    Birth,
    Date,
    Onset,
    Recorded,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefField {
    Subject,
    Encounter,
    Practitioner,
    Medication,
    /// DiagnosticReport.result
    Result,
    Organization,
    Location,
}
