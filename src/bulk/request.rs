//! What to export: the level (system, patient, group) and the Bulk Data
//! kick-off parameters, checked offline so that a typo fails before any
//! request (and before a backend token is fetched), then written as a query
//! string for GET or as a FHIR `Parameters` body for POST.

use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::fhir::types;

/// `_outputFormat` values every Bulk Data server must accept, and the only
/// ones whose files `smart` can check (NDJSON).
pub const OUTPUT_FORMATS: &[&str] = &["application/fhir+ndjson", "application/ndjson", "ndjson"];

/// A GET kick-off URL longer than this goes as a POST instead: proxies and
/// servers commonly refuse request lines past 2 to 8 KiB.
pub const MAX_GET_URL: usize = 2000;

/// Where the export runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Level {
    /// `[base]/$export`: everything the client may read.
    System,
    /// `[base]/Patient/$export`: every patient's compartment.
    Patient,
    /// `[base]/Group/{id}/$export`: the compartments of the group's members.
    Group(String),
}

impl Level {
    /// The operation's path relative to the base.
    pub fn path(&self) -> String {
        match self {
            Level::System => "$export".into(),
            Level::Patient => "Patient/$export".into(),
            Level::Group(id) => format!("Group/{id}/$export"),
        }
    }
}

/// A kick-off request, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRequest {
    pub level: Level,
    pub types: Vec<String>,
    pub since: Option<String>,
    pub type_filters: Vec<String>,
    pub elements: Vec<String>,
    /// Patient ids (patient and group levels only; POST only).
    pub patients: Vec<String>,
    pub output_format: String,
}

impl ExportRequest {
    /// A system-level export of everything, in the default format: what
    /// `smart export` sends with no parameters.
    pub fn everything() -> ExportRequest {
        ExportRequest {
            level: Level::System,
            types: vec![],
            since: None,
            type_filters: vec![],
            elements: vec![],
            patients: vec![],
            output_format: OUTPUT_FORMATS[0].into(),
        }
    }

    /// Checks every part; the first bad one is the error, naming it.
    pub fn check(&self) -> Result<()> {
        if let Level::Group(id) = &self.level {
            check_id("group id", id)?;
        }
        for t in &self.types {
            types::check(t).map_err(|e| prefix("--type", e))?;
        }
        if let Some(s) = &self.since {
            check_instant(s)?;
        }
        for f in &self.type_filters {
            check_type_filter(f)?;
        }
        for e in &self.elements {
            check_element(e)?;
        }
        if !self.patients.is_empty() && self.level == Level::System {
            return Err(Error::usage(
                "--patient is for patient and group exports, not system",
            ));
        }
        for p in &self.patients {
            check_id("--patient", p.strip_prefix("Patient/").unwrap_or(p))?;
        }
        if !OUTPUT_FORMATS.contains(&self.output_format.as_str()) {
            return Err(Error::usage(format!(
                "--output-format `{}` is not an NDJSON format",
                crate::redact::printable(&self.output_format)
            ))
            .with_hint(format!("use one of {}", OUTPUT_FORMATS.join(", "))));
        }
        Ok(())
    }

    /// The parameters as (name, value) pairs, in a fixed order; `patient`
    /// is left out (it exists only in a POST body).
    pub fn query_pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![("_outputFormat", self.output_format.clone())];
        if let Some(s) = &self.since {
            out.push(("_since", s.clone()));
        }
        if !self.types.is_empty() {
            out.push(("_type", self.types.join(",")));
        }
        if !self.elements.is_empty() {
            out.push(("_elements", self.elements.join(",")));
        }
        if !self.type_filters.is_empty() {
            out.push(("_typeFilter", self.type_filters.join(",")));
        }
        out
    }

    /// The query string of a GET kick-off.
    pub fn query(&self) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in self.query_pairs() {
            q.append_pair(k, &v);
        }
        q.finish()
    }

    /// The FHIR `Parameters` resource of a POST kick-off.
    pub fn parameters(&self) -> Value {
        let mut params: Vec<Value> = self
            .query_pairs()
            .into_iter()
            .map(|(name, v)| {
                if name == "_since" {
                    json!({"name": name, "valueInstant": v})
                } else {
                    json!({"name": name, "valueString": v})
                }
            })
            .collect();
        for p in &self.patients {
            let reference = if p.starts_with("Patient/") {
                p.clone()
            } else {
                format!("Patient/{p}")
            };
            params.push(json!({"name": "patient", "valueReference": {"reference": reference}}));
        }
        json!({"resourceType": "Parameters", "parameter": params})
    }

    /// Whether the kick-off must be a POST: `patient` exists only there,
    /// and a long GET URL may be refused on the way.
    pub fn needs_post(&self, get_url_len: usize) -> bool {
        !self.patients.is_empty() || get_url_len > MAX_GET_URL
    }
}

fn prefix(what: &str, mut e: Error) -> Error {
    e.message = format!("{what}: {}", e.message);
    e
}

/// A FHIR `id`: 1 to 64 of `A-Z a-z 0-9 - .`.
fn check_id(what: &str, id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    if ok {
        Ok(())
    } else {
        Err(Error::usage(format!(
            "{what} `{}` is not a FHIR id (1 to 64 letters, digits, `-` or `.`)",
            shown(id)
        )))
    }
}

/// A FHIR `instant`: a date, a time with seconds and a zone
/// (`2024-01-01T00:00:00Z`, `2024-01-01T00:00:00.123+02:00`).
pub fn check_instant(s: &str) -> Result<()> {
    use time::format_description::well_known::Rfc3339;
    // RFC 3339 also takes a lower-case `t`/`z` and a space; FHIR does not.
    let shaped = s.len() >= 20 && s.as_bytes().get(10) == Some(&b'T') && !s.contains(['t', 'z']);
    if shaped && time::OffsetDateTime::parse(s, &Rfc3339).is_ok() {
        return Ok(());
    }
    Err(Error::usage(format!(
        "--since `{}` is not a FHIR instant (e.g. 2024-01-01T00:00:00Z: date, time with seconds, zone)",
        shown(s)
    )))
}

/// `Type?search`, the type a known one and a search after the `?`.
fn check_type_filter(f: &str) -> Result<()> {
    let Some((t, q)) = f.split_once('?') else {
        return Err(Error::usage(format!(
            "--type-filter `{}` is not Type?search (e.g. Observation?status=final)",
            shown(f)
        )));
    };
    types::check(t).map_err(|e| prefix("--type-filter", e))?;
    if q.is_empty() {
        return Err(Error::usage(format!(
            "--type-filter `{}` has no search after the `?`",
            shown(f)
        )));
    }
    Ok(())
}

/// `element` or `Type.element`.
fn check_element(e: &str) -> Result<()> {
    let (t, name) = match e.split_once('.') {
        Some((t, n)) => (Some(t), n),
        None => (None, e),
    };
    if let Some(t) = t {
        types::check(t).map_err(|err| prefix("--elements", err))?;
    }
    let ok = name.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
        && name.bytes().all(|b| b.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(Error::usage(format!(
            "--elements `{}` is not an element name (e.g. id, status, Patient.birthDate)",
            shown(e)
        )))
    }
}

fn shown(s: &str) -> String {
    crate::redact::printable(&s.chars().take(80).collect::<String>()).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req() -> ExportRequest {
        ExportRequest::everything()
    }

    #[test]
    fn paths_per_level() {
        assert_eq!(Level::System.path(), "$export");
        assert_eq!(Level::Patient.path(), "Patient/$export");
        assert_eq!(Level::Group("g-1".into()).path(), "Group/g-1/$export");
    }

    #[test]
    fn query_string_is_encoded_in_a_fixed_order() {
        let r = ExportRequest {
            types: vec!["Patient".into(), "Observation".into()],
            since: Some("2024-01-01T00:00:00+02:00".into()),
            type_filters: vec!["Observation?status=final&code=1,2".into()],
            ..req()
        };
        assert_eq!(
            r.query(),
            "_outputFormat=application%2Ffhir%2Bndjson&_since=2024-01-01T00%3A00%3A00%2B02%3A00\
             &_type=Patient%2CObservation&_typeFilter=Observation%3Fstatus%3Dfinal%26code%3D1%2C2"
        );
    }

    #[test]
    fn parameters_body_has_typed_values_and_patient_references() {
        let r = ExportRequest {
            level: Level::Group("all".into()),
            types: vec!["Observation".into()],
            since: Some("2024-01-01T00:00:00Z".into()),
            elements: vec!["status".into()],
            patients: vec!["p1".into(), "Patient/p2".into()],
            ..req()
        };
        assert_eq!(
            r.parameters(),
            json!({"resourceType": "Parameters", "parameter": [
                {"name": "_outputFormat", "valueString": "application/fhir+ndjson"},
                {"name": "_since", "valueInstant": "2024-01-01T00:00:00Z"},
                {"name": "_type", "valueString": "Observation"},
                {"name": "_elements", "valueString": "status"},
                {"name": "patient", "valueReference": {"reference": "Patient/p1"}},
                {"name": "patient", "valueReference": {"reference": "Patient/p2"}},
            ]})
        );
        assert!(r.needs_post(10), "patient exists only in POST");
        assert!(!req().needs_post(MAX_GET_URL));
        assert!(req().needs_post(MAX_GET_URL + 1));
    }

    #[test]
    fn bad_parts_are_named() {
        let msg = |r: ExportRequest| r.check().unwrap_err().message;
        assert!(req().check().is_ok());
        let e = ExportRequest {
            types: vec!["Patinet".into()],
            ..req()
        }
        .check()
        .unwrap_err();
        assert_eq!(e.message, "--type: unknown resource type `Patinet`");
        assert!(e.hint.unwrap().contains("did you mean Patient?"));
        for bad in [
            "2024-01-01",
            "2024-01-01T00:00Z",
            "2024-01-01T00:00:00",
            "2024-13-01T00:00:00Z",
            "2024-01-01t00:00:00z",
            "yesterday",
        ] {
            let m = msg(ExportRequest {
                since: Some(bad.into()),
                ..req()
            });
            assert!(m.starts_with(&format!("--since `{bad}`")), "{m}");
        }
        for good in ["2024-01-01T00:00:00Z", "2024-01-01T10:00:00.123-05:00"] {
            assert!(check_instant(good).is_ok(), "{good}");
        }
        assert!(
            msg(ExportRequest {
                type_filters: vec!["status=final".into()],
                ..req()
            })
            .contains("is not Type?search")
        );
        assert!(
            msg(ExportRequest {
                type_filters: vec!["Obs?status=final".into()],
                ..req()
            })
            .starts_with("--type-filter: unknown resource type `Obs`")
        );
        assert!(
            msg(ExportRequest {
                elements: vec!["Patient.Birth-Date".into()],
                ..req()
            })
            .contains("is not an element name")
        );
        assert!(
            ExportRequest {
                elements: vec!["Patient.birthDate".into(), "status".into()],
                ..req()
            }
            .check()
            .is_ok()
        );
        assert!(
            msg(ExportRequest {
                level: Level::Group("a/b".into()),
                ..req()
            })
            .starts_with("group id `a/b` is not a FHIR id")
        );
        assert!(
            msg(ExportRequest {
                patients: vec!["p1".into()],
                ..req()
            })
            .contains("not system")
        );
        assert!(
            msg(ExportRequest {
                output_format: "text/csv".into(),
                ..req()
            })
            .contains("not an NDJSON format")
        );
    }
}
