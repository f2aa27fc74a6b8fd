//! The display of one FHIR answer (`smart get`, and the resource a write
//! returns): pretty JSON on a terminal, or a Bundle shown as a search's
//! output (`--output ndjson|table|ids`).

use std::io::{BufWriter, Write};

use serde_json::Value;

use crate::error::{Error, Result};
use crate::fhir::outcome;
use crate::fhir::pages::BundleView;
use crate::output::render::{self, Format, SearchOut};

/// Writes one answer on stdout; a closed pipe (`| head`) ends quietly.
/// `what` names the request in messages (`GET /fhir/Patient/1`).
pub fn print(what: &str, body: &[u8], format: Format) -> Result<()> {
    let out = BufWriter::new(std::io::stdout());
    show(what, body, format, out, super::color()).or_else(|e| match e {
        Shown::Io(e) => super::stdout_error(e).map_or(Ok(()), Err),
        Shown::Err(e) => Err(e),
    })
}

/// Why an answer was not shown: writing failed, or the answer is not what
/// the format needs.
pub enum Shown {
    Io(std::io::Error),
    Err(Error),
}

impl From<std::io::Error> for Shown {
    fn from(e: std::io::Error) -> Self {
        Shown::Io(e)
    }
}

impl From<Error> for Shown {
    fn from(e: Error) -> Self {
        Shown::Err(e)
    }
}

/// Writes one answer in the chosen format.
pub fn show(
    what: &str,
    body: &[u8],
    format: Format,
    mut out: impl Write,
    color: bool,
) -> std::result::Result<(), Shown> {
    if body.is_empty() {
        return Ok(());
    }
    if format == Format::Bundle {
        out.write_all(body.trim_ascii_end())?;
        out.write_all(b"\n")?;
        out.flush()?;
        return Ok(());
    }
    let is_bundle = format != Format::Json && looks_like_bundle(body);
    if is_bundle {
        return show_bundle(what, body, format, out, color);
    }
    let v: Value = serde_json::from_slice(body).map_err(|e| outcome::json_error(what, body, &e))?;
    if format == Format::Table && v.get("resourceType").is_some_and(Value::is_string) {
        // One resource is a table of one row, as a search would show it.
        let one = serde_json::json!({"resourceType": "Bundle", "type": "searchset",
            "entry": [{"resource": v}]})
        .to_string();
        return show_bundle(what, one.as_bytes(), format, out, color);
    }
    match format {
        Format::Ndjson => {
            render::write_compact(&mut out, &serde_json::to_string(&v).unwrap_or_default())?
        }
        Format::Ids => writeln!(out, "{}", render::type_and_id(&v))?,
        _ => {
            render::write_document(&mut out, &v, color)?;
        }
    }
    out.flush()?;
    Ok(())
}

/// A Bundle shown as a search's output.
fn show_bundle(
    what: &str,
    body: &[u8],
    format: Format,
    out: impl Write,
    color: bool,
) -> std::result::Result<(), Shown> {
    let view = BundleView::parse(what, body)?;
    let mut s = SearchOut::new(format, out, color, &bundle_type(&view));
    s.page(body, &view, None)?;
    s.finish()?;
    Ok(())
}

fn looks_like_bundle(body: &[u8]) -> bool {
    // Cheap: the resourceType of a Bundle is near the start in practice,
    // and a wrong guess only costs a clear "not a Bundle" error.
    let head = &body[..body.len().min(200)];
    head.windows(8).any(|w| w == b"\"Bundle\"")
}

/// The type of the first matched resource, which picks the table columns.
fn bundle_type(view: &BundleView) -> String {
    view.entry
        .iter()
        .find_map(|e| e.resource)
        .and_then(|r| {
            serde_json::from_str::<Value>(r.get())
                .ok()?
                .get("resourceType")?
                .as_str()
                .map(str::to_owned)
        })
        .unwrap_or_default()
}
