//! `smart create`, `smart update`, `smart delete`: the FHIR writes.
//!
//! The body (`-d @file.json`, `-d -` for stdin, or inline JSON) is checked
//! before anything is sent — size, JSON syntax with line and column, the
//! `resourceType` and `id` against the command line — because a server's
//! 400 for a typo is slower and usually less clear. Writes are never
//! retried (they are not idempotent); `--if-match` makes an update or a
//! delete conditional on the version the caller saw.

use std::io::{IsTerminal, Read};

use bytes::Bytes;
use reqwest::Method;
use reqwest::header::{ETAG, HeaderName, IF_MATCH, LOCATION};
use serde_json::Value;

use super::RunContext;
use super::connect;
use crate::cli::{CreateArgs, DeleteArgs, UpdateArgs};
use crate::error::{Error, Result};
use crate::fhir::client::{FHIR_JSON, Request};
use crate::fhir::types;
use crate::http::{Response, human_size};
use crate::output;
use crate::output::render::Format;

/// Largest body `-d` accepts.
pub const MAX_BODY: usize = 16 << 20;

pub async fn create(ctx: &RunContext, args: CreateArgs) -> Result<()> {
    types::check(&args.resource_type)?;
    let value = read_body(args.data.as_deref())?;
    check_body(&value, &args.resource_type, None)?;
    let conn = connect::connect(ctx, &args.fhir).await?;
    let url = conn.fhir.url(&args.resource_type)?;
    let req = write_request(Method::POST, url, Some(&value), None);
    let resp = conn.fhir.send_json(&req).await?;
    report(&args.fhir, "Created", &resp);
    print(&conn.fhir, &req, &resp)
}

pub async fn update(ctx: &RunContext, args: UpdateArgs) -> Result<()> {
    let (rtype, id) = type_and_id(&args.target)?;
    let mut value = read_body(args.data.as_deref())?;
    check_body(&value, rtype, Some(id))?;
    if value.get("id").is_none()
        && let Some(map) = value.as_object_mut()
    {
        // FHIR requires the id in the body of an update; the URL has it.
        map.insert("id".into(), Value::String(id.to_owned()));
    }
    let conn = connect::connect(ctx, &args.fhir).await?;
    let url = conn.fhir.url(&format!("{rtype}/{id}"))?;
    let req = write_request(Method::PUT, url, Some(&value), args.if_match.as_deref());
    let resp = conn.fhir.send_json(&req).await?;
    let verb = if resp.status.as_u16() == 201 {
        "Created"
    } else {
        "Updated"
    };
    report(&args.fhir, verb, &resp);
    print(&conn.fhir, &req, &resp)
}

pub async fn delete(ctx: &RunContext, args: DeleteArgs) -> Result<()> {
    let (rtype, id) = type_and_id(&args.target)?;
    let conn = connect::connect(ctx, &args.fhir).await?;
    let url = conn.fhir.url(&format!("{rtype}/{id}"))?;
    let req = write_request(Method::DELETE, url, None, args.if_match.as_deref());
    // 404 and 410 are answers here, not failures: the resource is gone,
    // which is what a delete asks for.
    let resp = conn.fhir.send_passing(&req, &[404, 410]).await?;
    if !args.fhir.quiet {
        match already_gone(&resp) {
            Some(why) => eprintln!("{rtype}/{id} was already gone ({why}); nothing deleted"),
            None => eprintln!("Deleted {rtype}/{id}"),
        }
    }
    if !resp.body.is_empty() && resp.is_json() {
        // Some servers answer a delete with an OperationOutcome; show it.
        return print(&conn.fhir, &req, &resp);
    }
    Ok(())
}

/// Why a delete's answer says that there was nothing to delete: a 404 or
/// 410, or (FHIR lets a server answer a delete of a deleted or unknown
/// resource with success) an OperationOutcome whose issue is `deleted` or
/// `not-found`. Exit 0 either way: the resource is not there, as asked,
/// and a script that deletes twice is not broken.
fn already_gone(resp: &Response) -> Option<String> {
    let status = resp.status;
    if matches!(status.as_u16(), 404 | 410) {
        return Some(format!(
            "the server answered {} {}",
            status.as_u16(),
            status.canonical_reason().unwrap_or("")
        ));
    }
    let v: Value = serde_json::from_slice(&resp.body).ok()?;
    if v["resourceType"] != "OperationOutcome" {
        return None;
    }
    v["issue"].as_array()?.iter().find_map(|i| {
        matches!(i["code"].as_str(), Some("deleted" | "not-found")).then(|| {
            i["diagnostics"]
                .as_str()
                .map(|d| crate::redact::printable(d).into_owned())
                .unwrap_or_else(|| {
                    format!("the server says `{}`", i["code"].as_str().unwrap_or(""))
                })
        })
    })
}

fn write_request(
    method: Method,
    url: url::Url,
    body: Option<&Value>,
    if_match: Option<&str>,
) -> Request {
    let mut headers: Vec<(HeaderName, String)> = Vec::new();
    if body.is_some() {
        headers.push((
            HeaderName::from_static("prefer"),
            "return=representation".into(),
        ));
    }
    if let Some(tag) = if_match {
        headers.push((IF_MATCH, etag(tag)));
    }
    Request {
        method,
        url,
        body: body.map(|v| (FHIR_JSON, Bytes::from(v.to_string().into_bytes()))),
        headers,
        idempotent: false,
    }
}

/// `3`, `"3"` or `W/"3"` → an ETag as servers expect it.
pub fn etag(tag: &str) -> String {
    let t = tag.trim();
    if t.starts_with("W/") || t.starts_with('"') {
        t.to_owned()
    } else {
        format!("W/\"{t}\"")
    }
}

/// `Patient/123` → ("Patient", "123"), both checked.
fn type_and_id(target: &str) -> Result<(&str, &str)> {
    let t = target.trim().trim_start_matches('/');
    let Some((rtype, id)) = t.split_once('/') else {
        return Err(Error::usage(format!(
            "`{target}`: expected Type/id, e.g. Patient/123"
        )));
    };
    types::check(rtype)?;
    let valid = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    if !valid {
        return Err(Error::usage(format!(
            "`{id}` is not a FHIR id (1-64 letters, digits, `-` and `.`)"
        )));
    }
    Ok((rtype, id))
}

/// The `-d` body: `@file`, `-` (stdin, also the default when stdin is not
/// a terminal) or inline JSON; parsed, with line and column on error.
fn read_body(data: Option<&str>) -> Result<Value> {
    let (source, bytes) = match data {
        Some(d) if d.starts_with('@') => {
            let path = &d[1..];
            let file = std::fs::File::open(path)
                .map_err(|e| Error::usage(format!("cannot read -d {d}: {e}")))?;
            (d.to_owned(), read_limited(file, d)?)
        }
        Some("-") => (
            "-d - (stdin)".to_owned(),
            read_limited(std::io::stdin(), "stdin")?,
        ),
        Some(inline) => {
            if inline.len() > MAX_BODY {
                return Err(too_large("-d"));
            }
            ("-d".to_owned(), inline.as_bytes().to_vec())
        }
        None if !std::io::stdin().is_terminal() => {
            ("stdin".to_owned(), read_limited(std::io::stdin(), "stdin")?)
        }
        None => {
            return Err(Error::usage("no resource given")
                .with_hint("pass -d @file.json, -d - (stdin) or -d '{\"resourceType\": …}'"));
        }
    };
    serde_json::from_slice(&bytes).map_err(|e| {
        let what = if e.is_eof() {
            "incomplete JSON"
        } else {
            "invalid JSON"
        };
        Error::usage(format!(
            "{what} in {source}: line {}, column {}: {}",
            e.line(),
            e.column(),
            e.to_string().split(" at line ").next().unwrap_or("")
        ))
    })
}

fn read_limited(r: impl Read, what: &str) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    r.take(MAX_BODY as u64 + 1)
        .read_to_end(&mut buf)
        .map_err(|e| Error::usage(format!("cannot read {what}: {e}")))?;
    if buf.len() > MAX_BODY {
        return Err(too_large(what));
    }
    Ok(buf)
}

fn too_large(what: &str) -> Error {
    Error::usage(format!(
        "the resource in {what} is larger than {}; refusing to send it",
        human_size(MAX_BODY)
    ))
}

/// The body must be a resource of the command line's type (and id).
fn check_body(v: &Value, rtype: &str, id: Option<&str>) -> Result<()> {
    let Some(obj) = v.as_object() else {
        return Err(Error::usage(
            "the body must be a JSON object (a FHIR resource)",
        ));
    };
    match obj.get("resourceType").and_then(Value::as_str) {
        None => {
            return Err(Error::usage(format!(
                "the body has no resourceType; expected \"resourceType\": \"{rtype}\""
            )));
        }
        Some(t) if t != rtype => {
            return Err(Error::usage(format!(
                "the body is a {t}, but the command names {rtype}"
            )));
        }
        Some(_) => {}
    }
    if let (Some(want), Some(have)) = (id, obj.get("id").and_then(Value::as_str))
        && want != have
    {
        return Err(Error::usage(format!(
            "the body's id `{have}` differs from `{want}` on the command line"
        )));
    }
    Ok(())
}

/// `Created Patient/123 (version 1)` on stderr, for people; the resource
/// goes to stdout for scripts.
fn report(args: &crate::cli::FhirArgs, verb: &str, resp: &Response) {
    if args.quiet {
        return;
    }
    let header = |h| resp.headers.get(h).and_then(|v| v.to_str().ok());
    let mut what = header(LOCATION)
        .map(|l| {
            let l = l.split("/_history/").next().unwrap_or(l);
            let mut parts = l.rsplit('/');
            let id = parts.next().unwrap_or("");
            let t = parts.next().unwrap_or("");
            format!("{t}/{id}")
        })
        .unwrap_or_else(|| "the resource".to_owned());
    if let Some(tag) = header(ETAG) {
        what.push_str(&format!(" (ETag {tag})"));
    }
    eprintln!("{verb} {what}");
}

fn print(fhir: &crate::fhir::client::Fhir, req: &Request, resp: &Response) -> Result<()> {
    output::resource::print(&fhir.describe(req), &resp.body, Format::Json)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn etags_are_normalized() {
        assert_eq!(etag("3"), "W/\"3\"");
        assert_eq!(etag("W/\"3\""), "W/\"3\"");
        assert_eq!(etag("\"abc\""), "\"abc\"");
    }

    #[test]
    fn targets_and_bodies_are_checked() {
        assert_eq!(type_and_id("Patient/p1").unwrap(), ("Patient", "p1"));
        assert!(
            type_and_id("patient/p1")
                .unwrap_err()
                .hint
                .unwrap()
                .contains("Patient")
        );
        assert!(type_and_id("Patient").is_err());
        assert!(type_and_id("Patient/a b").is_err());
        assert!(check_body(&json!({"resourceType":"Patient"}), "Patient", None).is_ok());
        assert!(check_body(&json!({"resourceType":"Observation"}), "Patient", None).is_err());
        assert!(
            check_body(
                &json!({"resourceType":"Patient","id":"x"}),
                "Patient",
                Some("y")
            )
            .is_err()
        );
        assert!(check_body(&json!([1]), "Patient", None).is_err());
    }

    #[test]
    fn invalid_json_names_line_and_column() {
        let e = read_body(Some("{\n \"resourceType\": \"Patient\",\n oops }")).unwrap_err();
        assert!(e.message.contains("line 3, column 2"), "{}", e.message);
        let e = read_body(Some("{\"resourceType\": ")).unwrap_err();
        assert!(e.message.contains("incomplete JSON"), "{}", e.message);
    }
}
