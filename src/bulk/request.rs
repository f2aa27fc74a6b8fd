//! What to export: the level (system, patient, group) and the Bulk Data
//! kick-off parameters, checked offline so that a typo fails before any
//! request (and before a backend token is fetched), then written as a query
//! string for GET or as a FHIR `Parameters` body for POST.
//!
//! Bulk Data 3.0 and the 4.0 ballot: `_until`, `organizeOutputBy`,
//! `includeAssociatedData`, and `_typeFilter` repeated, one parameter per
//! filter, never comma-joined (a comma inside a filter's search is
//! ambiguous in the joined form, and 4.0 forbids it).

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
    /// `_until`: only resources changed before this instant.
    pub until: Option<String>,
    /// `organizeOutputBy`: files of mixed types, in blocks per resource of
    /// this type.
    pub organize_output_by: Option<String>,
    /// `includeAssociatedData` values.
    pub include_associated_data: Vec<String>,
    /// `--param NAME=VALUE`: parameters a server has that smart does not name.
    pub extra: Vec<(String, String)>,
    /// `Prefer: handling=lenient`: the server may ignore what it does not
    /// support instead of refusing the kick-off.
    pub lenient: bool,
    /// Kick off with POST and a `Parameters` body (`--post`).
    pub post: bool,
}

/// The `organizeOutputBy` values smart asks for (Bulk Data 3.0).
pub const ORGANIZE_OUTPUT_BY: &[&str] = &["Patient", "Group", "Organization"];

/// The `includeAssociatedData` values the IG defines; servers may define
/// their own, which start with `_`.
pub const ASSOCIATED_DATA: &[&str] = &["LatestProvenanceResources", "RelevantProvenanceResources"];

/// Parameters smart sends from its own flags: `--param` may not set them.
const NAMED: &[(&str, &str)] = &[
    ("_outputFormat", "--output-format"),
    ("_since", "--since"),
    ("_until", "--until"),
    ("_type", "--type"),
    ("_elements", "--elements"),
    ("_typeFilter", "--type-filter"),
    ("patient", "--patient"),
    ("organizeOutputBy", "--organize-output-by"),
    ("includeAssociatedData", "--include-associated-data"),
];

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
            until: None,
            organize_output_by: None,
            include_associated_data: vec![],
            extra: vec![],
            lenient: false,
            post: false,
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
            check_instant("--since", s)?;
        }
        if let Some(s) = &self.until {
            check_instant("--until", s)?;
        }
        if let Some(o) = &self.organize_output_by
            && !ORGANIZE_OUTPUT_BY.contains(&o.as_str())
        {
            return Err(Error::usage(format!(
                "--organize-output-by `{}` is not one of {}",
                shown(o),
                ORGANIZE_OUTPUT_BY.join(", ")
            )));
        }
        for v in &self.include_associated_data {
            check_associated_data(v)?;
        }
        for (name, _) in &self.extra {
            check_extra_name(name)?;
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

    /// The parameters as (name, value) pairs, in a fixed order, repeated
    /// where they repeat; `patient` is left out (it exists only in a POST
    /// body).
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        let mut out = vec![("_outputFormat".to_owned(), self.output_format.clone())];
        let mut add = |k: &str, v: &str| out.push((k.to_owned(), v.to_owned()));
        if let Some(s) = &self.since {
            add("_since", s);
        }
        if let Some(s) = &self.until {
            add("_until", s);
        }
        if !self.types.is_empty() {
            add("_type", &self.types.join(","));
        }
        if !self.elements.is_empty() {
            add("_elements", &self.elements.join(","));
        }
        for f in &self.type_filters {
            add("_typeFilter", f);
        }
        if let Some(o) = &self.organize_output_by {
            add("organizeOutputBy", o);
        }
        for v in &self.include_associated_data {
            add("includeAssociatedData", v);
        }
        for (k, v) in &self.extra {
            add(k, v);
        }
        out
    }

    /// The query string of a GET kick-off.
    pub fn query(&self) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in self.query_pairs() {
            q.append_pair(&k, &v);
        }
        q.finish()
    }

    /// The FHIR `Parameters` resource of a POST kick-off.
    pub fn parameters(&self) -> Value {
        let mut params: Vec<Value> = self
            .query_pairs()
            .into_iter()
            .map(|(name, v)| match name.as_str() {
                "_since" | "_until" => json!({"name": name, "valueInstant": v}),
                "includeAssociatedData" => json!({"name": name, "valueCode": v}),
                _ => json!({"name": name, "valueString": v}),
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

    /// Whether the kick-off must be a POST: asked for, `patient` exists
    /// only there, and a long GET URL may be refused on the way.
    pub fn needs_post(&self, get_url_len: usize) -> bool {
        self.post || !self.patients.is_empty() || get_url_len > MAX_GET_URL
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

/// `includeAssociatedData`: a value the IG defines, or a server's own
/// (`_` first).
fn check_associated_data(v: &str) -> Result<()> {
    let custom = v.len() > 1
        && v.starts_with('_')
        && v[1..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ASSOCIATED_DATA.contains(&v) || custom {
        return Ok(());
    }
    Err(Error::usage(format!(
        "--include-associated-data `{}` is not a value the IG defines",
        shown(v)
    ))
    .with_hint(format!(
        "use {}, or a server's own value, which starts with `_`",
        ASSOCIATED_DATA.join(" or ")
    )))
}

/// A `--param` name: a plain parameter name, not one of smart's own.
fn check_extra_name(name: &str) -> Result<()> {
    if let Some((_, flag)) = NAMED.iter().find(|(n, _)| *n == name) {
        return Err(Error::usage(format!(
            "--param {name}=…: smart sends `{name}` from {flag}; use that"
        )));
    }
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':'));
    if ok {
        Ok(())
    } else {
        Err(Error::usage(format!(
            "--param `{}` is not a parameter name (letters, digits, `_`, `-`, `.`, `:`)",
            shown(name)
        )))
    }
}

/// A FHIR `instant`: a date, a time with seconds and a zone
/// (`2024-01-01T00:00:00Z`, `2024-01-01T00:00:00.123+02:00`); `flag`
/// names it in the error.
pub fn check_instant(flag: &str, s: &str) -> Result<()> {
    use time::format_description::well_known::Rfc3339;
    // RFC 3339 also takes a lower-case `t`/`z` and a space; FHIR does not.
    let shaped = s.len() >= 20 && s.as_bytes().get(10) == Some(&b'T') && !s.contains(['t', 'z']);
    if shaped && time::OffsetDateTime::parse(s, &Rfc3339).is_ok() {
        return Ok(());
    }
    Err(Error::usage(format!(
        "{flag} `{}` is not a FHIR instant (e.g. 2024-01-01T00:00:00Z: date, time with seconds, zone)",
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
    fn type_filters_repeat_and_are_never_joined() {
        let r = ExportRequest {
            types: vec!["Observation".into()],
            until: Some("2025-01-01T00:00:00Z".into()),
            type_filters: vec![
                "Observation?code=1,2".into(),
                "Observation?status=final".into(),
            ],
            organize_output_by: Some("Patient".into()),
            include_associated_data: vec!["LatestProvenanceResources".into(), "_mine".into()],
            extra: vec![("_mode".into(), "fast".into())],
            ..req()
        };
        assert_eq!(
            r.query(),
            "_outputFormat=application%2Ffhir%2Bndjson&_until=2025-01-01T00%3A00%3A00Z\
             &_type=Observation&_typeFilter=Observation%3Fcode%3D1%2C2\
             &_typeFilter=Observation%3Fstatus%3Dfinal&organizeOutputBy=Patient\
             &includeAssociatedData=LatestProvenanceResources&includeAssociatedData=_mine&_mode=fast"
        );
        let params = r.parameters();
        let named = |n: &str| -> Vec<Value> {
            params["parameter"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|p| p["name"] == n)
                .cloned()
                .collect()
        };
        assert_eq!(
            named("_typeFilter"),
            [
                json!({"name": "_typeFilter", "valueString": "Observation?code=1,2"}),
                json!({"name": "_typeFilter", "valueString": "Observation?status=final"})
            ]
        );
        assert_eq!(
            named("_until"),
            [json!({"name": "_until", "valueInstant": "2025-01-01T00:00:00Z"})]
        );
        assert_eq!(named("includeAssociatedData")[1]["valueCode"], "_mine");
        assert_eq!(named("organizeOutputBy")[0]["valueString"], "Patient");
        assert_eq!(named("_mode")[0]["valueString"], "fast");
        assert!(r.check().is_ok());
        assert!(!r.needs_post(10));
        assert!(
            ExportRequest {
                post: true,
                ..req()
            }
            .needs_post(10)
        );
    }

    #[test]
    fn new_parameters_are_checked() {
        let msg = |r: ExportRequest| r.check().unwrap_err().message;
        assert!(
            msg(ExportRequest {
                until: Some("2024-01-01".into()),
                ..req()
            })
            .starts_with("--until `2024-01-01` is not a FHIR instant")
        );
        assert!(
            msg(ExportRequest {
                organize_output_by: Some("Encounter".into()),
                ..req()
            })
            .contains("is not one of Patient, Group, Organization")
        );
        let e = ExportRequest {
            include_associated_data: vec!["AllProvenance".into()],
            ..req()
        }
        .check()
        .unwrap_err();
        assert!(
            e.message.contains("not a value the IG defines"),
            "{}",
            e.message
        );
        assert!(e.hint.unwrap().contains("LatestProvenanceResources"));
        assert_eq!(
            msg(ExportRequest {
                extra: vec![("_typeFilter".into(), "x".into())],
                ..req()
            }),
            "--param _typeFilter=…: smart sends `_typeFilter` from --type-filter; use that"
        );
        assert!(
            msg(ExportRequest {
                extra: vec![("a b".into(), "x".into())],
                ..req()
            })
            .contains("is not a parameter name")
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
            assert!(check_instant("--since", good).is_ok(), "{good}");
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
