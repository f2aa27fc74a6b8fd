//! A synthetic resource as FHIR R4 JSON, written straight into a buffer
//! (no `serde_json::Value` in between: exports render millions).

use std::fmt::Write as _;

use super::super::dates;
use super::super::json;
use super::super::names::*;
use super::*;

impl Synth {
    /// Appends the resource's JSON.
    pub(crate) fn render(&self, id: SynId, out: &mut String) {
        out.push_str("{\"resourceType\":\"");
        out.push_str(id.rtype().name());
        out.push_str("\",\"id\":\"");
        id.write_id(out);
        out.push_str("\",\"meta\":{\"versionId\":\"1\",\"lastUpdated\":\"2025-01-01T00:00:00Z\"},");
        match id {
            SynId::Patient(p) => self.render_patient(p, out),
            SynId::Practitioner(q) => self.render_practitioner(q, out),
            SynId::Encounter(p, e) => self.render_encounter(p, e, out),
            SynId::Observation(p, e, k) => self.render_observation(p, e, k, out),
            SynId::Condition(p, c) => self.render_condition(p, c, out),
            SynId::MedicationRequest(p, c) => self.render_medication_request(p, c, out),
            SynId::DiagnosticReport(p, e) => self.render_diagnostic_report(p, e, out),
            SynId::DocumentReference(p, e) => self.render_document_reference(p, e, out),
            SynId::Medication(m) => self.render_medication(m, out),
            SynId::Organization(o) => self.render_organization(o, out),
            SynId::Location(o) => self.render_location(o, out),
            SynId::PractitionerRole(q) => self.render_practitioner_role(q, out),
        }
        json::close(out, '}');
    }

    fn render_patient(&self, p: u32, out: &mut String) {
        let rec = *self.rec(p);
        let (given, family) = self.patient_names(p);
        let _ = write!(
            out,
            "\"identifier\":[{{\"use\":\"usual\",\"type\":{{\"coding\":[{{\"system\":\"{V2_0203}\",\"code\":\"MR\",\"display\":\"Medical record number\"}}],\"text\":\"MRN\"}},\"system\":\"{MRN_SYSTEM}\",\"value\":\"{:08}\"}}],\"active\":true,",
            self.mrn(p)
        );
        out.push_str("\"name\":[{\"use\":\"official\",");
        json::field(out, "text", &self.patient_display(p));
        json::field(out, "family", family);
        json::key(out, "given");
        out.push('[');
        for g in given.into_iter().flatten() {
            json::string(out, g);
            out.push(',');
        }
        json::close(out, ']');
        out.push_str("}],");
        let mut r = Rng::new(self.seed, S_CONTACT, p as u64);
        let (city, state, zip) = CITIES[r.below(CITIES.len() as u64) as usize];
        let _ = write!(
            out,
            "\"telecom\":[{{\"system\":\"phone\",\"value\":\"555-{:03}-{:04}\",\"use\":\"home\"}}],",
            200 + r.below(800),
            r.below(10_000)
        );
        json::field(out, "gender", GENDERS[rec.gender as usize]);
        json::field(out, "birthDate", &dates::format_date(rec.birth as i64));
        let _ = write!(
            out,
            "\"address\":[{{\"use\":\"home\",\"line\":[\"{} {}\"],\"city\":\"{city}\",\"state\":\"{state}\",\"postalCode\":\"{zip}{:02}\",\"country\":\"US\"}}],",
            1 + r.below(9_000),
            STREETS[r.below(STREETS.len() as u64) as usize],
            r.below(100)
        );
        let (pg, pf, _, _) = self.practitioner(rec.gp as u32);
        out.push_str("\"generalPractitioner\":[{\"reference\":\"Practitioner/");
        SynId::Practitioner(rec.gp as u32).write_id(out);
        let _ = write!(out, "\",\"display\":\"Dr. {pg} {pf}\"}}],");
    }

    fn render_practitioner(&self, q: u32, out: &mut String) {
        let (given, family, gender, npi) = self.practitioner(q);
        let _ = write!(
            out,
            "\"identifier\":[{{\"system\":\"{NPI_SYSTEM}\",\"value\":\"{npi}\"}}],\"active\":true,\"name\":[{{\"use\":\"official\",\"text\":\"Dr. {given} {family}\",\"family\":\"{family}\",\"given\":[\"{given}\"],\"prefix\":[\"Dr.\"]}}],\"telecom\":[{{\"system\":\"phone\",\"value\":\"555-010-{:04}\",\"use\":\"work\"}}],\"gender\":\"{gender}\",",
            q % 10_000
        );
    }

    fn subject(&self, p: u32, out: &mut String) {
        out.push_str("\"subject\":{\"reference\":\"Patient/");
        SynId::Patient(p).write_id(out);
        out.push_str("\",\"display\":");
        json::string(out, &self.patient_display(p));
        out.push_str("},");
    }

    fn encounter_ref(&self, p: u32, e: u8, out: &mut String) {
        out.push_str("\"encounter\":{\"reference\":\"Encounter/");
        SynId::Encounter(p, e).write_id(out);
        out.push_str("\"},");
    }

    fn render_encounter(&self, p: u32, e: u8, out: &mut String) {
        let (start, end, ty) = self.encounter(p, e);
        let (code, display, class, class_display, _) = ENCOUNTER_TYPES[ty];
        let _ = write!(
            out,
            "\"status\":\"finished\",\"class\":{{\"system\":\"{ACT_CODE}\",\"code\":\"{class}\",\"display\":\"{class_display}\"}},\"type\":[{{\"coding\":[{{\"system\":\"{SNOMED}\",\"code\":\"{code}\",\"display\":\"{display}\"}}],\"text\":\"{display}\"}}],"
        );
        self.subject(p, out);
        let gp = self.rec(p).gp as u32;
        let (pg, pf, _, _) = self.practitioner(gp);
        out.push_str("\"participant\":[{\"individual\":{\"reference\":\"Practitioner/");
        SynId::Practitioner(gp).write_id(out);
        let _ = write!(
            out,
            "\",\"display\":\"Dr. {pg} {pf}\"}}}}],\"period\":{{\"start\":\"{}\",\"end\":\"{}\"}},",
            dates::format_instant(start),
            dates::format_instant(end)
        );
        // Where, and for whom: references a Patient export leaves out.
        let org = self.organization_of(gp);
        out.push_str("\"location\":[{\"location\":");
        self.reference(SynId::Location(org), None, out);
        out.push_str("}],\"serviceProvider\":");
        self.reference(
            SynId::Organization(org),
            Some(&self.organization_name(org)),
            out,
        );
        out.push(',');
    }

    /// `{"reference":"Type/id","display":"…"}` (no trailing comma).
    fn reference(&self, id: SynId, display: Option<&str>, out: &mut String) {
        out.push_str("{\"reference\":\"");
        out.push_str(id.rtype().name());
        out.push('/');
        id.write_id(out);
        out.push('"');
        if let Some(d) = display {
            out.push_str(",\"display\":");
            json::string(out, d);
        }
        out.push('}');
    }

    /// `"content"`-style attachment object, its URL relative to the base
    /// (as Epic and others write it), so the data stays the same whatever
    /// port the sandbox listens on.
    fn attachment_json(&self, id: SynId, out: &mut String) {
        let Some(a) = self.attachment(id) else {
            return;
        };
        let _ = write!(
            out,
            "{{\"contentType\":\"{}\",\"url\":\"Binary/",
            a.content_type
        );
        id.write_id(out);
        let _ = write!(out, "\",\"title\":\"{}\"}}", a.title);
    }

    fn render_medication_request(&self, p: u32, c: u8, out: &mut String) {
        let (ix, e, _, recorded) = self.condition(p, c);
        let status = if CONDITIONS[ix].3 {
            "active"
        } else {
            "completed"
        };
        let _ = write!(out, "\"status\":\"{status}\",\"intent\":\"order\",");
        out.push_str("\"medicationReference\":");
        self.reference(SynId::Medication(ix as u8), Some(MEDICATIONS[ix].1), out);
        out.push(',');
        self.subject(p, out);
        self.encounter_ref(p, e, out);
        let _ = write!(
            out,
            "\"authoredOn\":\"{}\",\"requester\":",
            dates::format_instant(recorded)
        );
        let gp = self.rec(p).gp as u32;
        self.reference(
            SynId::Practitioner(gp),
            Some(&self.practitioner_display(gp)),
            out,
        );
        out.push_str(",\"reasonReference\":[");
        self.reference(SynId::Condition(p, c), Some(CONDITIONS[ix].2), out);
        out.push_str("],\"dosageInstruction\":[{\"text\":\"As directed\"}],");
    }

    fn render_diagnostic_report(&self, p: u32, e: u8, out: &mut String) {
        let (start, end, _) = self.encounter(p, e);
        let (code, display) = VITALS_PANEL;
        let _ = write!(
            out,
            "\"status\":\"final\",\"category\":[{{\"coding\":[{{\"system\":\"{OBS_CATEGORY}\",\"code\":\"vital-signs\",\"display\":\"Vital Signs\"}}]}}],\"code\":{{\"coding\":[{{\"system\":\"{LOINC}\",\"code\":\"{code}\",\"display\":\"{display}\"}}],\"text\":\"Vital signs panel\"}},"
        );
        self.subject(p, out);
        self.encounter_ref(p, e, out);
        let _ = write!(
            out,
            "\"effectiveDateTime\":\"{}\",\"issued\":\"{}\",\"performer\":[",
            dates::format_instant(start),
            dates::format_instant(end)
        );
        let gp = self.rec(p).gp as u32;
        let org = self.organization_of(gp);
        self.reference(SynId::PractitionerRole(gp), None, out);
        out.push(',');
        self.reference(
            SynId::Organization(org),
            Some(&self.organization_name(org)),
            out,
        );
        out.push_str("],\"result\":[");
        for k in 0..VITALS.len() as u8 {
            if k > 0 {
                out.push(',');
            }
            self.reference(SynId::Observation(p, e, k), None, out);
        }
        out.push_str("],");
        let id = SynId::DiagnosticReport(p, e);
        if self.attachment(id).is_some() {
            out.push_str("\"presentedForm\":[");
            self.attachment_json(id, out);
            out.push_str("],");
        }
    }

    fn render_document_reference(&self, p: u32, e: u8, out: &mut String) {
        let id = SynId::DocumentReference(p, e);
        let (start, end, _) = self.encounter(p, e);
        let title = self.attachment(id).map_or("Progress note", |a| a.title);
        let loinc = match title {
            "Discharge summary" => "18842-5",
            "Emergency department note" => "34111-5",
            _ => "11506-3",
        };
        let _ = write!(
            out,
            "\"status\":\"current\",\"docStatus\":\"final\",\"type\":{{\"coding\":[{{\"system\":\"{LOINC}\",\"code\":\"{loinc}\",\"display\":\"{title}\"}}],\"text\":\"{title}\"}},\"category\":[{{\"coding\":[{{\"system\":\"{US_CORE_DOC_CATEGORY}\",\"code\":\"clinical-note\",\"display\":\"Clinical Note\"}}]}}],"
        );
        self.subject(p, out);
        let _ = write!(
            out,
            "\"date\":\"{}\",\"author\":[",
            dates::format_instant(end)
        );
        let gp = self.rec(p).gp as u32;
        let org = self.organization_of(gp);
        self.reference(
            SynId::Practitioner(gp),
            Some(&self.practitioner_display(gp)),
            out,
        );
        out.push_str("],\"custodian\":");
        self.reference(
            SynId::Organization(org),
            Some(&self.organization_name(org)),
            out,
        );
        out.push_str(",\"content\":[{\"attachment\":");
        self.attachment_json(id, out);
        out.push_str("}],\"context\":{\"encounter\":[");
        self.reference(SynId::Encounter(p, e), None, out);
        let _ = write!(
            out,
            "],\"period\":{{\"start\":\"{}\",\"end\":\"{}\"}}}},",
            dates::format_instant(start),
            dates::format_instant(end)
        );
    }

    fn render_medication(&self, m: u8, out: &mut String) {
        let (code, display) = MEDICATIONS[m as usize];
        out.push_str("\"code\":{\"coding\":[{\"system\":\"");
        out.push_str(RXNORM);
        let _ = write!(out, "\",\"code\":\"{code}\",\"display\":");
        json::string(out, display);
        out.push_str("}],\"text\":");
        json::string(out, display);
        out.push_str("},\"status\":\"active\",");
    }

    fn render_organization(&self, o: u32, out: &mut String) {
        let npi = self.organization_npi(o);
        let (city, state, zip) = CITIES[o as usize % CITIES.len()];
        let _ = write!(
            out,
            "\"identifier\":[{{\"system\":\"{NPI_SYSTEM}\",\"value\":\"{npi}\"}}],\"active\":true,"
        );
        json::field(out, "name", &self.organization_name(o));
        let _ = write!(
            out,
            "\"telecom\":[{{\"system\":\"phone\",\"value\":\"555-020-{:04}\",\"use\":\"work\"}}],\"address\":[{{\"line\":[\"{} Main Street\"],\"city\":\"{city}\",\"state\":\"{state}\",\"postalCode\":\"{zip}00\",\"country\":\"US\"}}],",
            o % 10_000,
            100 + o
        );
    }

    fn render_location(&self, o: u32, out: &mut String) {
        let (city, state, zip) = CITIES[o as usize % CITIES.len()];
        out.push_str("\"status\":\"active\",");
        json::field(
            out,
            "name",
            &format!("{} – Main Campus", self.organization_name(o)),
        );
        let _ = write!(
            out,
            "\"mode\":\"instance\",\"address\":{{\"line\":[\"{} Main Street\"],\"city\":\"{city}\",\"state\":\"{state}\",\"postalCode\":\"{zip}00\",\"country\":\"US\"}},\"managingOrganization\":",
            100 + o
        );
        self.reference(
            SynId::Organization(o),
            Some(&self.organization_name(o)),
            out,
        );
        out.push(',');
    }

    fn render_practitioner_role(&self, q: u32, out: &mut String) {
        let org = self.organization_of(q);
        out.push_str("\"active\":true,\"practitioner\":");
        self.reference(
            SynId::Practitioner(q),
            Some(&self.practitioner_display(q)),
            out,
        );
        out.push_str(",\"organization\":");
        self.reference(
            SynId::Organization(org),
            Some(&self.organization_name(org)),
            out,
        );
        out.push_str(",\"location\":[");
        self.reference(SynId::Location(org), None, out);
        out.push_str("],");
    }

    fn render_observation(&self, p: u32, e: u8, k: u8, out: &mut String) {
        let v = &VITALS[k as usize];
        let when = self.observation_time(p, e, k);
        let (value, second) = self.vital_value(p, e, k, when);
        let _ = write!(
            out,
            "\"status\":\"final\",\"category\":[{{\"coding\":[{{\"system\":\"{OBS_CATEGORY}\",\"code\":\"vital-signs\",\"display\":\"Vital Signs\"}}],\"text\":\"Vital Signs\"}}],\"code\":{{\"coding\":[{{\"system\":\"{LOINC}\",\"code\":\"{}\",\"display\":\"{}\"}}],\"text\":\"{}\"}},",
            v.loinc, v.display, v.display
        );
        self.subject(p, out);
        self.encounter_ref(p, e, out);
        let ts = dates::format_instant(when);
        let _ = write!(out, "\"effectiveDateTime\":\"{ts}\",\"issued\":\"{ts}\",");
        // The BMI groups the weight and height it was computed from, so
        // that Observations reference Observations (`hasMember`).
        if k as usize == BMI_INDEX {
            out.push_str("\"hasMember\":[");
            for (i, m) in BMI_MEMBERS.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                self.reference(SynId::Observation(p, e, *m as u8), None, out);
            }
            out.push_str("],");
        }
        let quantity = |out: &mut String, x: f64| {
            let _ = write!(
                out,
                "{{\"value\":{:.*},\"unit\":\"{}\",\"system\":\"{UCUM}\",\"code\":\"{}\"}}",
                v.decimals, x, v.unit, v.ucum
            );
        };
        if k as usize == BP_INDEX {
            out.push_str("\"component\":[");
            for (i, ((code, display), x)) in [(SYSTOLIC, value), (DIASTOLIC, second)]
                .into_iter()
                .enumerate()
            {
                if i > 0 {
                    out.push(',');
                }
                let _ = write!(
                    out,
                    "{{\"code\":{{\"coding\":[{{\"system\":\"{LOINC}\",\"code\":\"{code}\",\"display\":\"{display}\"}}],\"text\":\"{display}\"}},\"valueQuantity\":"
                );
                quantity(out, x);
                out.push('}');
            }
            out.push_str("],");
        } else {
            out.push_str("\"valueQuantity\":");
            quantity(out, value);
            out.push(',');
        }
    }

    fn render_condition(&self, p: u32, c: u8, out: &mut String) {
        let (ix, e, onset, recorded) = self.condition(p, c);
        let (code, display, text, chronic) = CONDITIONS[ix];
        let (status, category, cat_display) = if chronic {
            ("active", "problem-list-item", "Problem List Item")
        } else {
            ("resolved", "encounter-diagnosis", "Encounter Diagnosis")
        };
        let _ = write!(
            out,
            "\"clinicalStatus\":{{\"coding\":[{{\"system\":\"{COND_CLINICAL}\",\"code\":\"{status}\"}}]}},\"verificationStatus\":{{\"coding\":[{{\"system\":\"{COND_VERIFICATION}\",\"code\":\"confirmed\"}}]}},\"category\":[{{\"coding\":[{{\"system\":\"{COND_CATEGORY}\",\"code\":\"{category}\",\"display\":\"{cat_display}\"}}]}}],\"code\":{{\"coding\":[{{\"system\":\"{SNOMED}\",\"code\":\"{code}\",\"display\":\"{display}\"}}],\"text\":\"{text}\"}},"
        );
        self.subject(p, out);
        self.encounter_ref(p, e, out);
        let _ = write!(
            out,
            "\"onsetDateTime\":\"{}\",\"recordedDate\":\"{}\",",
            dates::format_date(onset),
            dates::format_instant(recorded)
        );
        if !chronic {
            let _ = write!(
                out,
                "\"abatementDateTime\":\"{}\",",
                dates::format_date(onset + 14)
            );
        }
    }
}
