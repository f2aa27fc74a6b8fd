//! Notes inlined: the attachments of `DocumentReference.content[].attachment`
//! and `DiagnosticReport.presentedForm[]` that have a `url`, no `data` and
//! a MIME type asked for are fetched and written into the attachment as
//! `data` (base64), `size` and `hash` (base64 of the SHA-1, as FHIR's
//! Attachment defines it), so that the note travels with the export.
//!
//! Where they are fetched from: the URL resolved against the FHIR base, and
//! only if the result is under the base (the token rule of every FHIR read:
//! a note elsewhere is counted, not requested). Asked for with its own MIME
//! type as `Accept` (a FHIR server then answers the bytes, not a `Binary`
//! resource; one that answers the resource anyway is read too), and read
//! up to a size cap.
//!
//! A file with notes to inline is written anew beside itself and renamed
//! over the old one when complete ([`Replacement`]); lines without one stay
//! byte for byte. An attachment that fails keeps its `url` and no `data`,
//! so the next run tries it again; one with `data` is never fetched again.

use base64::Engine;
use futures_util::StreamExt;
use reqwest::header::ACCEPT;
use serde::Serialize;
use serde_json::{Map, Value};
use sha1::Digest;
use std::io::{BufRead, Write};
use std::path::Path;
use url::Url;

use super::layout::{self, Replacement};
use crate::discovery::FhirBase;
use crate::error::{Error, Kind, Result};
use crate::fhir::client::{Fhir, Request};

/// `--attachment-types` when not given: what SMART Fetch inlines too.
pub const DEFAULT_TYPES: [&str; 3] = ["text/plain", "text/html", "application/xhtml+xml"];

/// `--attachment-max-size` when not given.
pub const DEFAULT_MAX: u64 = 10 << 20;

/// What to inline.
#[derive(Debug, Clone)]
pub struct Rules {
    /// MIME types, lowercase, no parameters.
    pub types: Vec<String>,
    pub max_bytes: u64,
    pub parallel: usize,
}

/// How the attachments went.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Tally {
    /// Fetched and written in as `data`.
    pub inlined: u64,
    /// Bytes of notes inlined (before base64).
    pub bytes: u64,
    /// Already had `data` (inlined before, or by the server).
    pub already: u64,
    /// A MIME type not asked for (or none).
    pub other_type: u64,
    /// A URL not under the FHIR base: not requested.
    pub off_base: u64,
    /// Fetching failed (too large, an error answer, a network error).
    pub failed: u64,
    /// Files rewritten with notes inlined.
    pub files: u64,
}

impl Tally {
    pub fn add(&mut self, o: &Tally) {
        self.inlined += o.inlined;
        self.bytes += o.bytes;
        self.already += o.already;
        self.other_type += o.other_type;
        self.off_base += o.off_base;
        self.failed += o.failed;
        self.files += o.files;
    }
}

/// What to do with one attachment.
#[derive(Debug, PartialEq, Eq)]
pub enum Class {
    NoUrl,
    Already,
    OtherType,
    OffBase,
    Fetch(Url, String),
}

/// `text/HTML; charset=utf-8` → `text/html`.
pub fn mime(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// The attachments hydration looks at, by type.
fn attachments(v: &Value) -> Vec<&Map<String, Value>> {
    let list: Vec<&Value> = match v.get("resourceType").and_then(Value::as_str) {
        Some("DocumentReference") => v
            .get("content")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|c| c.get("attachment"))
            .collect(),
        Some("DiagnosticReport") => v
            .get("presentedForm")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .collect(),
        _ => Vec::new(),
    };
    list.into_iter().filter_map(Value::as_object).collect()
}

fn attachments_mut(v: &mut Value) -> Vec<&mut Map<String, Value>> {
    let list: Vec<&mut Value> = match v.get("resourceType").and_then(Value::as_str) {
        Some("DocumentReference") => v
            .get_mut("content")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
            .filter_map(|c| c.get_mut("attachment"))
            .collect(),
        Some("DiagnosticReport") => v
            .get_mut("presentedForm")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
            .collect(),
        _ => Vec::new(),
    };
    list.into_iter().filter_map(Value::as_object_mut).collect()
}

pub fn classify(a: &Map<String, Value>, types: &[String], base: &FhirBase) -> Class {
    let Some(url) = a.get("url").and_then(Value::as_str) else {
        return Class::NoUrl;
    };
    if a.get("data").is_some() {
        return Class::Already;
    }
    let m = mime(a.get("contentType").and_then(Value::as_str).unwrap_or(""));
    if m.is_empty() || !types.contains(&m) {
        return Class::OtherType;
    }
    // Relative URLs are relative to the FHIR base (`Binary/123`); `..`
    // and absolute URLs are checked by where they end up.
    let mut on = base.url().clone();
    if !on.path().ends_with('/') {
        let p = format!("{}/", on.path());
        on.set_path(&p);
    }
    match on.join(url.trim()) {
        Ok(u) if base.contains(&u) && matches!(u.scheme(), "http" | "https") => Class::Fetch(u, m),
        _ => Class::OffBase,
    }
}

/// Counts the attachments of `v` into `t` (all but those to fetch);
/// whether any is to be fetched.
pub fn survey(v: &Value, rules: &Rules, base: &FhirBase, t: &mut Tally) -> bool {
    let mut fetch = false;
    for a in attachments(v) {
        match classify(a, &rules.types, base) {
            Class::NoUrl => {}
            Class::Already => t.already += 1,
            Class::OtherType => t.other_type += 1,
            Class::OffBase => t.off_base += 1,
            Class::Fetch(..) => fetch = true,
        }
    }
    fetch
}

/// One line's outcome.
struct Line {
    bytes: Vec<u8>,
    inlined: u64,
    inlined_bytes: u64,
    failed: Vec<String>,
}

/// Inlines the notes of one data file; adds to `t` and `problems`.
pub async fn inline_file(
    fhir: &Fhir,
    path: &Path,
    rules: &Rules,
    t: &mut Tally,
    problems: &mut Vec<String>,
) -> Result<()> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| Error::usage(format!("{}: not a file name", path.display())))?
        .to_owned();
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut out = Replacement::start(dir, &name, layout::is_gz(path))?;
    let reader = layout::reader(path)?;
    let mut lines = futures_util::stream::iter(reader.split(b'\n'))
        .map(|l| async move {
            let l = l.map_err(|e| Error::usage(format!("cannot read {}: {e}", path.display())))?;
            inline_line(fhir, l, rules).await
        })
        .buffered(rules.parallel.max(1));
    let mut changed = false;
    while let Some(line) = lines.next().await {
        let line = line?;
        changed |= line.inlined > 0;
        t.inlined += line.inlined;
        t.bytes += line.inlined_bytes;
        t.failed += line.failed.len() as u64;
        problems.extend(line.failed);
        out.w
            .write_all(&line.bytes)
            .and_then(|()| out.w.write_all(b"\n"))
            .map_err(|e| Error::usage(format!("cannot write {}: {e}", out.path().display())))?;
    }
    if changed {
        out.commit()?;
        t.files += 1;
    }
    Ok(())
}

async fn inline_line(fhir: &Fhir, bytes: Vec<u8>, rules: &Rules) -> Result<Line> {
    let mut line = Line {
        bytes,
        inlined: 0,
        inlined_bytes: 0,
        failed: Vec::new(),
    };
    let Ok(mut v) = serde_json::from_slice::<Value>(&line.bytes) else {
        return Ok(line);
    };
    let what = format!(
        "{}/{}",
        v.get("resourceType").and_then(Value::as_str).unwrap_or("?"),
        v.get("id").and_then(Value::as_str).unwrap_or("?")
    );
    let what = crate::redact::printable(&what).into_owned();
    for a in attachments_mut(&mut v) {
        let Class::Fetch(url, m) = classify(a, &rules.types, fhir.on_base()) else {
            continue;
        };
        match fetch(fhir, url, &m, rules.max_bytes).await {
            Ok((body, content_type)) => {
                let hash = sha1::Sha1::digest(&body);
                let b64 = base64::engine::general_purpose::STANDARD;
                if let Some(ct) = content_type.filter(|ct| mime(ct) == m) {
                    // The server's own type: it may add the charset.
                    a.insert("contentType".into(), Value::String(ct));
                }
                a.insert("data".into(), Value::String(b64.encode(&body)));
                a.insert("size".into(), Value::from(body.len() as u64));
                a.insert("hash".into(), Value::String(b64.encode(hash)));
                line.inlined += 1;
                line.inlined_bytes += body.len() as u64;
            }
            Err(e) if e.kind == Kind::Auth => return Err(e),
            Err(e) => line.failed.push(format!("{what}: {}", e.message)),
        }
    }
    if line.inlined > 0 {
        line.bytes = serde_json::to_vec(&v).expect("a parsed value serializes");
    }
    Ok(line)
}

/// The note's bytes and the answer's content type.
async fn fetch(fhir: &Fhir, url: Url, mime: &str, max: u64) -> Result<(Vec<u8>, Option<String>)> {
    // No `_format=json` here even when the profile asks for it: that
    // would turn the note into a Binary resource.
    let mut req = Request::get(url);
    req.headers.push((ACCEPT, mime.to_owned()));
    let limit = usize::try_from(max).unwrap_or(usize::MAX);
    let resp = fhir.send_capped(&req, &[], limit).await?;
    let ct = resp.content_type().map(str::to_owned);
    // A server that answers the Binary resource despite the Accept.
    if ct
        .as_deref()
        .is_some_and(|c| mime_is_json(c) && !mime_is_json(mime))
        && let Ok(b) = serde_json::from_slice::<Value>(&resp.body)
        && b.get("resourceType").and_then(Value::as_str) == Some("Binary")
    {
        let data = b.get("data").and_then(Value::as_str).unwrap_or("");
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data)
            .map_err(|e| Error::server(format!("the Binary's data is not base64 ({e})")))?;
        if bytes.len() as u64 > max {
            return Err(Error::server(format!(
                "the note is larger than {}",
                crate::http::human_size(limit)
            )));
        }
        let ct = b
            .get("contentType")
            .and_then(Value::as_str)
            .map(str::to_owned);
        return Ok((bytes, ct));
    }
    Ok((resp.body.to_vec(), ct))
}

fn mime_is_json(ct: &str) -> bool {
    let m = mime(ct);
    m == "application/json" || m == "application/fhir+json"
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rules() -> Rules {
        Rules {
            types: DEFAULT_TYPES.iter().map(|s| s.to_string()).collect(),
            max_bytes: DEFAULT_MAX,
            parallel: 1,
        }
    }

    #[test]
    fn attachments_are_classified_by_data_type_and_where_their_url_leads() {
        let base = FhirBase::parse("https://ehr.example/r4/fhir").unwrap();
        let r = rules();
        let c = |a: Value| classify(a.as_object().unwrap(), &r.types, &base);
        assert_eq!(
            c(json!({"contentType": "text/plain", "url": "Binary/1"})),
            Class::Fetch(
                Url::parse("https://ehr.example/r4/fhir/Binary/1").unwrap(),
                "text/plain".into()
            )
        );
        assert_eq!(
            c(
                json!({"contentType": "Text/HTML; charset=utf-8", "url": "https://ehr.example/r4/fhir/Binary/2"})
            ),
            Class::Fetch(
                Url::parse("https://ehr.example/r4/fhir/Binary/2").unwrap(),
                "text/html".into()
            )
        );
        assert_eq!(
            c(json!({"contentType": "text/plain", "url": "Binary/1", "data": "eA=="})),
            Class::Already
        );
        assert_eq!(
            c(json!({"contentType": "application/pdf", "url": "Binary/1"})),
            Class::OtherType
        );
        assert_eq!(c(json!({"url": "Binary/1"})), Class::OtherType);
        assert_eq!(c(json!({"contentType": "text/plain"})), Class::NoUrl);
        for off in [
            "https://files.example/Binary/1",
            "https://ehr.example/other/Binary/1",
            "../../x/Binary/1",
            "//evil.example/Binary/1",
            "file:///etc/passwd",
        ] {
            assert_eq!(
                c(json!({"contentType": "text/plain", "url": off})),
                Class::OffBase,
                "{off}"
            );
        }
    }

    #[test]
    fn the_survey_counts_what_is_not_fetched_and_says_whether_anything_is() {
        let base = FhirBase::parse("https://ehr.example/fhir").unwrap();
        let mut t = Tally::default();
        let doc = json!({"resourceType": "DocumentReference", "content": [
            {"attachment": {"contentType": "text/plain", "url": "Binary/a"}},
            {"attachment": {"contentType": "application/pdf", "url": "Binary/b"}},
            {"attachment": {"contentType": "text/plain", "url": "Binary/c", "data": "eA=="}},
            {"attachment": {"contentType": "text/html", "url": "https://else.example/c"}}
        ]});
        assert!(survey(&doc, &rules(), &base, &mut t));
        assert_eq!((t.other_type, t.already, t.off_base), (1, 1, 1));
        let dr = json!({"resourceType": "DiagnosticReport", "presentedForm": [
            {"contentType": "image/png", "url": "Binary/p"}
        ]});
        assert!(!survey(&dr, &rules(), &base, &mut t));
        let other = json!({"resourceType": "Observation", "presentedForm": [
            {"contentType": "text/plain", "url": "Binary/p"}
        ]});
        assert!(!survey(&other, &rules(), &base, &mut t));
    }
}
