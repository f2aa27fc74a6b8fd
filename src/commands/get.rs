//! `smart get <Type/id | relative-url | absolute-url>`: one GET on the
//! profile's FHIR server, the answer on stdout — pretty and colored on a
//! terminal, plain JSON in a pipe. A Bundle answer can also be shown as a
//! search's output (`--output ndjson|table|ids`).
//!
//! This is the command the start-up budget is for (≤ 1.3× curl), so it does
//! only what it must: no discovery, no TLS roots for a plain-http base.

use std::io::{BufWriter, Write};

use serde_json::Value;
use url::Url;

use super::RunContext;
use super::fhir_common::{self, stdout_error};
use crate::cli::GetArgs;
use crate::error::{Error, Result};
use crate::fhir::client::{Fhir, Request};
use crate::fhir::outcome;
use crate::fhir::pages::BundleView;
use crate::fhir::render::{self, Format, SearchOut};
use crate::fhir::types;

pub async fn run(ctx: &RunContext, args: GetArgs) -> Result<()> {
    let target = args.target.trim();
    if target.is_empty() {
        return Err(Error::usage(
            "nothing to get: give Type/id, a relative URL or a URL",
        ));
    }
    let absolute = target.starts_with("http://") || target.starts_with("https://");
    if !absolute {
        check_type(target)?;
    }
    let conn = fhir_common::connect(ctx, &args.fhir).await?;
    let fhir = conn.fhir;
    let mut url = if absolute {
        let u = Url::parse(target)
            .map_err(|e| Error::usage(format!("`{target}` is not a URL ({e})")))?;
        fhir.check_origin(&u)?;
        u
    } else {
        fhir.url(target)?
    };
    fhir.with_format(&mut url);
    let req = Request::get(url);
    let resp = fhir.send_json(&req).await?;
    let format = args.output.map_or(Format::Json, Format::from);
    let out = BufWriter::new(std::io::stdout());
    show(&fhir, &req, &resp.body, format, out).or_else(|e| match e {
        Shown::Io(e) => stdout_error(e).map_or(Ok(()), Err),
        Shown::Err(e) => Err(e),
    })
}

/// The first path segment, when it names a type, must be a known one:
/// `patient/1` gets "did you mean Patient?". `metadata`, `_history`,
/// `$operation` and the like are passed through.
fn check_type(target: &str) -> Result<()> {
    let path = target.trim_start_matches('/');
    let first = path.split(['/', '?', '#']).next().unwrap_or("");
    if first.is_empty() || first.starts_with(['_', '$']) || first == "metadata" {
        return Ok(());
    }
    types::check(first)
}

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
    fhir: &Fhir,
    req: &Request,
    body: &[u8],
    format: Format,
    mut out: impl Write,
) -> std::result::Result<(), Shown> {
    let what = fhir.describe(req);
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
        let view = BundleView::parse(&what, body)?;
        let mut s = SearchOut::new(format, out, crate::output::color(), &bundle_type(&view));
        s.page(body, &view, None)?;
        s.finish()?;
        return Ok(());
    }
    let v: Value =
        serde_json::from_slice(body).map_err(|e| outcome::json_error(&what, body, &e))?;
    match format {
        Format::Ndjson => {
            render::write_compact(&mut out, &serde_json::to_string(&v).unwrap_or_default())?
        }
        Format::Ids => writeln!(
            out,
            "{}/{}",
            v["resourceType"].as_str().unwrap_or(""),
            v["id"].as_str().unwrap_or("")
        )?,
        _ => {
            render::write_document(&mut out, &v, crate::output::color())?;
        }
    }
    out.flush()?;
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
