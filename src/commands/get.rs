//! `smart get <Type/id | relative-url | absolute-url>`: one GET on the
//! profile's FHIR server, the answer on stdout — pretty and colored on a
//! terminal, plain JSON in a pipe. A Bundle answer can also be shown as a
//! search's output (`--output ndjson|table|ids`).
//!
//! This is the command the start-up budget is for (≤ 1.3× curl), so it does
//! only what it must: no discovery, no TLS roots for a plain-http base.

use url::Url;

use super::RunContext;
use super::connect;
use crate::cli::GetArgs;
use crate::error::{Error, Result};
use crate::fhir::client::Request;
use crate::fhir::types;
use crate::output;
use crate::output::render::Format;

pub async fn run(ctx: &RunContext, args: GetArgs) -> Result<()> {
    let target = args.target.trim();
    if target.is_empty() {
        return Err(Error::usage(
            "nothing to get: give Type/id, a relative URL or a URL",
        ));
    }
    if let Some(id) = &args.stray {
        return Err(Error::usage(format!(
            "`smart get` takes one target, not `{target}` and `{id}`"
        ))
        .with_hint(format!(
            "did you mean `smart get {}/{}`?",
            target.trim_end_matches('/'),
            id.trim_start_matches('/')
        )));
    }
    let absolute = target.starts_with("http://") || target.starts_with("https://");
    if !absolute {
        check_type(target)?;
    }
    let conn = connect::connect(ctx, &args.fhir).await?;
    let fhir = conn.fhir;
    let mut url = if absolute {
        let u = Url::parse(target)
            .map_err(|e| Error::usage(format!("`{target}` is not a URL ({e})")))?;
        fhir.check_on_base(&u)?;
        u
    } else {
        fhir.url(target)?
    };
    fhir.with_format(&mut url);
    let req = Request::get(url);
    let resp = fhir.send_json(&req).await?;
    let format = args.output.map_or(Format::Json, Format::from);
    output::resource::print(&fhir.describe(&req), &resp.body, format)
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
