//! The content behind synthetic attachments (`Binary/{id}`): a
//! DocumentReference's clinical note and a DiagnosticReport's
//! `presentedForm`, as plain text or HTML, made from the same seed as the
//! rest, so that a hydrated note says what the structured data says.

use std::fmt::Write as _;

use super::super::dates;
use super::super::names::*;
use super::*;

impl Synth {
    /// The attachment of `id` as (content type, body); `None` for a
    /// resource without one.
    pub(crate) fn attachment_content(&self, id: SynId) -> Option<(&'static str, String)> {
        let a = self.attachment(id)?;
        let (SynId::DocumentReference(p, e) | SynId::DiagnosticReport(p, e)) = id else {
            return None;
        };
        let lines = self.note_lines(p, e, a.title);
        let body = match a.content_type {
            "text/html" => html(a.title, &lines),
            _ => {
                let mut s = String::new();
                for l in &lines {
                    s.push_str(l);
                    s.push('\n');
                }
                s
            }
        };
        Some((a.content_type, body))
    }

    /// The note, line by line: who, when, where, the vital signs measured
    /// and the conditions recorded at the encounter.
    fn note_lines(&self, p: u32, e: u8, title: &str) -> Vec<String> {
        let (start, _, ty) = self.encounter(p, e);
        let gp = self.rec(p).gp as u32;
        let org = self.organization_name(self.organization_of(gp));
        let mut vitals = String::new();
        for (k, v) in VITALS.iter().enumerate() {
            let when = self.observation_time(p, e, k as u8);
            let (x, y) = self.vital_value(p, e, k as u8, when);
            if !vitals.is_empty() {
                vitals.push_str(", ");
            }
            let _ = match k {
                BP_INDEX => write!(vitals, "blood pressure {x:.0}/{y:.0} {}", v.unit),
                _ => write!(
                    vitals,
                    "{} {:.*} {}",
                    v.display.to_lowercase(),
                    v.decimals,
                    x,
                    v.unit
                ),
            };
        }
        let conditions: Vec<&str> = (0..self.rec(p).n_cond)
            .map(|c| self.condition(p, c))
            .filter(|(_, at, _, _)| *at == e)
            .map(|(ix, _, _, _)| CONDITIONS[ix].2)
            .collect();
        vec![
            title.to_owned(),
            format!(
                "Patient: {} (Patient/{})",
                self.patient_display(p),
                SynId::Patient(p).id()
            ),
            format!("Date: {}", dates::format_instant(start)),
            format!("Encounter: {}", ENCOUNTER_TYPES[ty].1),
            format!("Clinician: {}, {org}", self.practitioner_display(gp)),
            format!("Vital signs: {vitals}."),
            match conditions.is_empty() {
                true => "Assessment: no new problems.".to_owned(),
                false => format!("Assessment: {}.", conditions.join(", ")),
            },
            "Plan: follow up as needed.".to_owned(),
        ]
    }
}

/// A small HTML page: the title as a heading, a paragraph per line.
fn html(title: &str, lines: &[String]) -> String {
    let mut s = String::from("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>");
    s.push_str(&escape(title));
    s.push_str("</title></head><body>\n");
    for (i, l) in lines.iter().enumerate() {
        let tag = if i == 0 { "h1" } else { "p" };
        let _ = writeln!(s, "<{tag}>{}</{tag}>", escape(l));
    }
    s.push_str("</body></html>\n");
    s
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
