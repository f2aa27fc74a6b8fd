//! What search matches on, for a synthetic resource: the same [`Facts`] a
//! stored copy of its JSON would give (a test in `generate` holds them
//! equal), computed without rendering it.

use std::borrow::Cow;

use super::super::dates::DateRange;
use super::super::facts::{Facts, GENDER_SYSTEM};
use super::super::names::*;
use super::super::types::{DateField, RefField, StrField, TokField};
use super::*;

impl Synth {
    pub(crate) fn facts(&self, id: SynId) -> Facts<'static> {
        let mut f = Facts {
            id: Cow::Owned(id.id()),
            last_updated: SYNTHETIC_LAST_UPDATED,
            ..Facts::default()
        };
        let patient_ref = |p: u32| Cow::Owned(format!("Patient/{}", SynId::Patient(p).id()));
        let reference = |r: SynId| Cow::Owned(format!("{}/{}", r.rtype().name(), r.id()));
        match id {
            SynId::Patient(p) => {
                let rec = *self.rec(p);
                let (given, family) = self.patient_names(p);
                f.strings.push((StrField::Family, Cow::Borrowed(family)));
                for g in given.into_iter().flatten() {
                    f.strings.push((StrField::Given, Cow::Borrowed(g)));
                }
                f.strings
                    .push((StrField::Text, Cow::Owned(self.patient_display(p))));
                f.token(
                    TokField::Gender,
                    Some(GENDER_SYSTEM),
                    GENDERS[rec.gender as usize],
                );
                f.token(
                    TokField::Identifier,
                    Some(MRN_SYSTEM),
                    format!("{:08}", self.mrn(p)),
                );
                f.dates
                    .push((DateField::Birth, DateRange::day(rec.birth as i64)));
                f.refs.push((
                    RefField::Practitioner,
                    Cow::Owned(format!(
                        "Practitioner/{}",
                        SynId::Practitioner(rec.gp as u32).id()
                    )),
                ));
            }
            SynId::Practitioner(q) => {
                let (given, family, gender, npi) = self.practitioner(q);
                f.strings.push((StrField::Family, Cow::Borrowed(family)));
                f.strings.push((StrField::Given, Cow::Borrowed(given)));
                f.strings
                    .push((StrField::Text, Cow::Owned(format!("Dr. {given} {family}"))));
                f.token(TokField::Gender, Some(GENDER_SYSTEM), gender);
                f.token(TokField::Identifier, Some(NPI_SYSTEM), npi.to_string());
            }
            SynId::Encounter(p, e) => {
                let (start, end, ty) = self.encounter(p, e);
                let t = ENCOUNTER_TYPES[ty];
                f.token(TokField::Status, None, "finished");
                f.token(TokField::Class, Some(ACT_CODE), t.2);
                f.token(TokField::Type, Some(SNOMED), t.0);
                // Same range a stored copy would give: the end is second-precise.
                f.dates.push((
                    DateField::Date,
                    DateRange {
                        start,
                        end: end + 1000,
                    },
                ));
                f.refs.push((RefField::Subject, patient_ref(p)));
                let gp = SynId::Practitioner(self.rec(p).gp as u32).id();
                f.refs.push((
                    RefField::Practitioner,
                    Cow::Owned(format!("Practitioner/{gp}")),
                ));
            }
            SynId::Observation(p, e, k) => {
                f.token(TokField::Status, None, "final");
                f.token(TokField::Category, Some(OBS_CATEGORY), "vital-signs");
                f.token(TokField::Code, Some(LOINC), VITALS[k as usize].loinc);
                f.dates.push((
                    DateField::Date,
                    DateRange::second(self.observation_time(p, e, k)),
                ));
                f.refs.push((RefField::Subject, patient_ref(p)));
                let enc = SynId::Encounter(p, e).id();
                f.refs
                    .push((RefField::Encounter, Cow::Owned(format!("Encounter/{enc}"))));
            }
            SynId::Condition(p, c) => {
                let (ix, e, onset, recorded) = self.condition(p, c);
                let (code, _, _, chronic) = CONDITIONS[ix];
                let (status, category) = if chronic {
                    ("active", "problem-list-item")
                } else {
                    ("resolved", "encounter-diagnosis")
                };
                f.token(TokField::ClinicalStatus, Some(COND_CLINICAL), status);
                f.token(TokField::Category, Some(COND_CATEGORY), category);
                f.token(TokField::Code, Some(SNOMED), code);
                f.dates.push((DateField::Onset, DateRange::day(onset)));
                f.dates
                    .push((DateField::Recorded, DateRange::second(recorded)));
                f.refs.push((RefField::Subject, patient_ref(p)));
                let enc = SynId::Encounter(p, e).id();
                f.refs
                    .push((RefField::Encounter, Cow::Owned(format!("Encounter/{enc}"))));
            }
            SynId::MedicationRequest(p, c) => {
                let (ix, e, _, recorded) = self.condition(p, c);
                let status = if CONDITIONS[ix].3 {
                    "active"
                } else {
                    "completed"
                };
                f.token(TokField::Status, None, status);
                f.dates.push((DateField::Date, DateRange::second(recorded)));
                f.refs.push((RefField::Subject, patient_ref(p)));
                f.refs
                    .push((RefField::Encounter, reference(SynId::Encounter(p, e))));
                f.refs
                    .push((RefField::Medication, reference(SynId::Medication(ix as u8))));
            }
            SynId::DiagnosticReport(p, e) => {
                f.token(TokField::Status, None, "final");
                f.token(TokField::Code, Some(LOINC), VITALS_PANEL.0);
                f.token(TokField::Category, Some(OBS_CATEGORY), "vital-signs");
                let (start, _, _) = self.encounter(p, e);
                f.dates.push((DateField::Date, DateRange::second(start)));
                f.refs.push((RefField::Subject, patient_ref(p)));
                f.refs
                    .push((RefField::Encounter, reference(SynId::Encounter(p, e))));
                for k in 0..VITALS.len() as u8 {
                    f.refs
                        .push((RefField::Result, reference(SynId::Observation(p, e, k))));
                }
            }
            SynId::DocumentReference(p, e) => {
                f.token(TokField::Status, None, "current");
                let title = self.attachment(id).map_or("Progress note", |a| a.title);
                let loinc = match title {
                    "Discharge summary" => "18842-5",
                    "Emergency department note" => "34111-5",
                    _ => "11506-3",
                };
                f.token(TokField::Type, Some(LOINC), loinc);
                f.token(
                    TokField::Category,
                    Some(US_CORE_DOC_CATEGORY),
                    "clinical-note",
                );
                let (_, end, _) = self.encounter(p, e);
                f.dates.push((DateField::Date, DateRange::second(end)));
                f.refs.push((RefField::Subject, patient_ref(p)));
            }
            SynId::Medication(m) => {
                f.token(TokField::Status, None, "active");
                f.token(TokField::Code, Some(RXNORM), MEDICATIONS[m as usize].0);
            }
            SynId::Organization(o) => {
                f.strings
                    .push((StrField::Text, Cow::Owned(self.organization_name(o))));
                let npi = self.organization_npi(o);
                f.token(TokField::Identifier, Some(NPI_SYSTEM), npi.to_string());
            }
            SynId::Location(o) => {
                f.strings.push((
                    StrField::Text,
                    Cow::Owned(format!("{} – Main Campus", self.organization_name(o))),
                ));
                f.token(TokField::Status, None, "active");
                f.refs
                    .push((RefField::Organization, reference(SynId::Organization(o))));
            }
            SynId::PractitionerRole(q) => {
                let org = self.organization_of(q);
                f.refs
                    .push((RefField::Practitioner, reference(SynId::Practitioner(q))));
                f.refs
                    .push((RefField::Organization, reference(SynId::Organization(org))));
                f.refs
                    .push((RefField::Location, reference(SynId::Location(org))));
            }
        }
        f
    }
}
