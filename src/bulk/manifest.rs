//! The complete-status manifest (Bulk Data v2, 3.0 and the 4.0 ballot) and
//! the local file each of its entries is saved as. A manifest is a server's
//! answer: its types become file names here, so they are checked to be
//! plain type names (no `/`, no `..`), and its URLs to be absolute http(s)
//! URLs.
//!
//! 4.0 renames `error` to `outcome` (read alike, into `error/`), adds
//! `manifestType` and `outputFormat`, and drops `request`. With
//! `organizeOutputBy` (3.0) output entries have no `type`: their files mix
//! types and are saved as `output.<n>.ndjson`.

use serde::{Deserialize, Serialize};
use url::Url;

use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    #[serde(rename = "transactionTime", default)]
    pub transaction_time: String,
    #[serde(default)]
    pub request: String,
    #[serde(rename = "requiresAccessToken", default)]
    pub requires_access_token: bool,
    #[serde(default)]
    pub output: Vec<Entry>,
    #[serde(default)]
    pub error: Vec<Entry>,
    /// 4.0: `error` renamed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outcome: Vec<Entry>,
    /// 3.0: the `organizeOutputBy` the files are organized by.
    #[serde(
        rename = "outputOrganizedBy",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub output_organized_by: Option<String>,
    /// 4.0, informational.
    #[serde(
        rename = "manifestType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub manifest_type: Option<String>,
    /// 4.0, informational.
    #[serde(
        rename = "outputFormat",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub output_format: Option<String>,
    /// v2: Bundles of the resources deleted since `_since`.
    #[serde(default)]
    pub deleted: Vec<Entry>,
    /// Partial manifests (`allowPartialManifests`): `[{relation: next, url}]`
    /// points to the page after this one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub link: Vec<Link>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    #[serde(default)]
    pub relation: String,
    #[serde(default)]
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Absent in the output entries of an `organizeOutputBy` export.
    #[serde(rename = "type", default)]
    pub rtype: String,
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
}

/// Which list of the manifest a file comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Part {
    Output,
    Error,
    Deleted,
}

/// One file to fetch: where from, what it holds, and its name under DIR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub part: Part,
    pub rtype: String,
    pub url: Url,
    pub count: Option<u64>,
    /// `Patient.1.ndjson`, `error/OperationOutcome.1.ndjson`,
    /// `deleted/Bundle.1.ndjson` (the error and deleted files in their own
    /// directories, so that their names never meet an output type's).
    pub name: String,
}

impl Manifest {
    pub fn parse(what: &str, body: &[u8]) -> Result<Manifest> {
        serde_json::from_slice(body).map_err(|e| {
            crate::fhir::outcome::json_error(&format!("{what}: the manifest"), body, &e)
        })
    }

    /// The `next` page of a partial manifest.
    pub fn next_page(&self) -> Option<&str> {
        self.link
            .iter()
            .find(|l| l.relation == "next")
            .map(|l| l.url.as_str())
    }

    /// The files to fetch, numbered per type in manifest order (files of
    /// mixed types: `output.<n>.ndjson`, of type [`MIXED`]).
    pub fn plan(&self) -> Result<Vec<Planned>> {
        let mut out = Vec::with_capacity(self.len());
        self.each_planned(|p| {
            out.push(p);
            Ok(())
        })?;
        Ok(out)
    }

    /// How many files the manifest lists.
    pub fn len(&self) -> usize {
        self.output.len() + self.error.len() + self.outcome.len() + self.deleted.len()
    }

    /// [`Manifest::plan`], one file at a time, none kept (a manifest of
    /// 10,000 files is checked without a second list of them in memory).
    pub fn each_planned(&self, mut each: impl FnMut(Planned) -> Result<()>) -> Result<()> {
        let mut seen: std::collections::HashMap<(Part, &str), usize> = Default::default();
        let parts = [
            (Part::Output, &self.output, ""),
            (Part::Error, &self.error, "error/"),
            (Part::Error, &self.outcome, "error/"),
            (Part::Deleted, &self.deleted, "deleted/"),
        ];
        for (part, entries, dir) in parts {
            for e in entries {
                let mixed = part == Part::Output && self.output_organized_by.is_some();
                if !mixed {
                    check_type_name(&e.rtype)?;
                }
                let url = Url::parse(&e.url)
                    .ok()
                    .filter(|u| matches!(u.scheme(), "http" | "https"))
                    .ok_or_else(|| {
                        Error::server(format!(
                            "the manifest's {} file URL `{}` is not an absolute http(s) URL",
                            e.rtype,
                            crate::redact::url_str(&e.url)
                        ))
                    })?;
                let rtype = if mixed { MIXED } else { e.rtype.as_str() };
                let n = seen.entry((part, rtype)).or_default();
                *n += 1;
                each(Planned {
                    part,
                    rtype: rtype.to_owned(),
                    url,
                    count: e.count,
                    name: match mixed {
                        true => format!("output.{n}.ndjson"),
                        false => format!("{dir}{}.{n}.ndjson", e.rtype),
                    },
                })?;
            }
        }
        Ok(())
    }
}

/// The type of a file that mixes types (`organizeOutputBy`): not a name a
/// resource type can have.
pub const MIXED: &str = "*";

/// A resource type as a server may name it: a FHIR-style name (custom types
/// included), never something that would leave DIR as a file name.
fn check_type_name(t: &str) -> Result<()> {
    let ok = t.len() <= 64
        && t.bytes().next().is_some_and(|b| b.is_ascii_uppercase())
        && t.bytes().all(|b| b.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(Error::server(format!(
            "the manifest names a file type `{}`, which is not a resource type name",
            crate::redact::printable(&t.chars().take(60).collect::<String>())
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(body: &str) -> Manifest {
        Manifest::parse("GET /fhir/$export-status/1", body.as_bytes()).unwrap()
    }

    #[test]
    fn files_are_numbered_per_type_and_part() {
        let m = manifest(
            r#"{"transactionTime":"2024-01-01T00:00:00Z","request":"x","requiresAccessToken":true,
               "output":[{"type":"Patient","url":"http://h/f/1","count":2},
                         {"type":"Observation","url":"http://h/f/2"},
                         {"type":"Patient","url":"http://h/f/3","count":1}],
               "error":[{"type":"OperationOutcome","url":"http://h/f/4"}],
               "deleted":[{"type":"Bundle","url":"https://h/f/5"}]}"#,
        );
        let names: Vec<_> = m.plan().unwrap().into_iter().map(|p| p.name).collect();
        assert_eq!(
            names,
            [
                "Patient.1.ndjson",
                "Observation.1.ndjson",
                "Patient.2.ndjson",
                "error/OperationOutcome.1.ndjson",
                "deleted/Bundle.1.ndjson"
            ]
        );
        assert!(m.requires_access_token);
        assert_eq!(m.plan().unwrap()[0].count, Some(2));
    }

    #[test]
    fn bulk_data_4_manifests_are_read_outcome_like_error() {
        // No `request`, `manifestType` and `outputFormat` present, `outcome`
        // for `error`.
        let m = manifest(
            r#"{"transactionTime":"2024-01-01T00:00:00Z","requiresAccessToken":true,
               "manifestType":"export","outputFormat":"application/fhir+ndjson",
               "output":[{"type":"Patient","url":"http://h/f/1"}],
               "outcome":[{"type":"OperationOutcome","url":"http://h/f/2"}],
               "error":[{"type":"OperationOutcome","url":"http://h/f/3"}]}"#,
        );
        let plan = m.plan().unwrap();
        let names: Vec<_> = plan.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "Patient.1.ndjson",
                "error/OperationOutcome.1.ndjson",
                "error/OperationOutcome.2.ndjson"
            ]
        );
        assert_eq!(plan[2].url.as_str(), "http://h/f/2");
        assert_eq!(plan[1].part, Part::Error);
        assert_eq!(m.manifest_type.as_deref(), Some("export"));
    }

    #[test]
    fn organized_output_is_mixed_and_named_output_n() {
        let m = manifest(
            r#"{"transactionTime":"t","requiresAccessToken":true,"outputOrganizedBy":"Patient",
               "output":[{"url":"http://h/f/1","count":3},{"url":"http://h/f/2"}],
               "error":[{"type":"OperationOutcome","url":"http://h/f/3"}]}"#,
        );
        let plan = m.plan().unwrap();
        let got: Vec<_> = plan
            .iter()
            .map(|p| (p.name.as_str(), p.rtype.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("output.1.ndjson", MIXED),
                ("output.2.ndjson", MIXED),
                ("error/OperationOutcome.1.ndjson", "OperationOutcome")
            ]
        );
        // A type-less error entry is still refused.
        let bad = manifest(r#"{"error":[{"url":"http://h/f/3"}]}"#);
        assert!(bad.plan().is_err());
    }

    #[test]
    fn a_manifest_without_lists_has_no_files() {
        let m = manifest(r#"{"transactionTime":"t","request":"r","requiresAccessToken":false}"#);
        assert!(m.plan().unwrap().is_empty());
    }

    #[test]
    fn hostile_types_and_urls_are_refused() {
        for t in ["../../etc/passwd", "Patient/..", "", "patient", "Pa tient"] {
            let body = format!(r#"{{"output":[{{"type":{t:?},"url":"http://h/1"}}]}}"#);
            let e = manifest(&body).plan().unwrap_err();
            assert!(e.message.contains("not a resource type name"), "{t}");
        }
        for u in ["/relative", "file:///etc/passwd", "ftp://h/x"] {
            let body = format!(r#"{{"output":[{{"type":"Patient","url":{u:?}}}]}}"#);
            assert!(manifest(&body).plan().is_err(), "{u}");
        }
    }

    #[test]
    fn a_bad_manifest_is_a_server_error() {
        let e = Manifest::parse("GET x", b"{\"output\": [").unwrap_err();
        assert_eq!(e.kind, crate::error::Kind::Server);
        assert!(e.message.contains("truncated"), "{}", e.message);
    }
}
