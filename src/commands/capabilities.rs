//! `smart capabilities`: what the server says it can do, from its
//! CapabilityStatement (`[base]/metadata`) — software, FHIR version,
//! formats, SMART security, and per resource type the interactions and
//! search parameters. `--json` (or `--output json`) prints the statement
//! itself.

use std::io::Write;

use serde_json::Value;

use super::RunContext;
use super::connect;
use crate::cli::CapabilitiesArgs;
use crate::error::{Error, Result};
use crate::fhir::client::Request;
use crate::fhir::outcome;
use crate::output;
use crate::output::render;
use crate::output::stdout_error;

pub async fn run(ctx: &RunContext, args: CapabilitiesArgs) -> Result<()> {
    let conn = connect::connect(ctx, &args.fhir).await?;
    let mut url = conn.fhir.url("metadata")?;
    conn.fhir.with_format(&mut url);
    let req = Request::get(url);
    let resp = conn.fhir.send_json(&req).await?;
    let what = conn.fhir.describe(&req);
    let v: Value = serde_json::from_slice(&resp.body)
        .map_err(|e| outcome::json_error(&what, &resp.body, &e))?;
    if v.get("resourceType").and_then(Value::as_str) != Some("CapabilityStatement") {
        return Err(Error::server(format!(
            "{what}: expected a CapabilityStatement, got {}",
            v.get("resourceType")
                .and_then(Value::as_str)
                .unwrap_or("something else")
        )));
    }
    let mut out = std::io::stdout();
    let written = if ctx.json || args.json_statement {
        render::write_document(&mut out, &v, crate::output::color())
    } else {
        out.write_all(summary(&v).as_bytes())
            .and_then(|_| out.flush())
    };
    written.or_else(|e| stdout_error(e).map_or(Ok(()), Err))
}

/// Everything from the statement goes through `printable`: the server's
/// text cannot drive the terminal.
pub(crate) fn summary(v: &Value) -> String {
    let p = crate::redact::printable;
    let s = |p: &str| v.pointer(p).and_then(Value::as_str).unwrap_or("");
    let mut out = String::new();
    let row = |out: &mut String, label: &str, value: &str| {
        if !value.is_empty() {
            out.push_str(&format!("{} {}\n", output::label(label, 12), p(value)));
        }
    };
    let software = format!("{} {}", s("/software/name"), s("/software/version"));
    row(&mut out, "server", software.trim());
    row(&mut out, "FHIR", s("/fhirVersion"));
    row(&mut out, "status", s("/status"));
    let formats: Vec<&str> = v
        .get("format")
        .and_then(Value::as_array)
        .map(|f| f.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    row(&mut out, "formats", &formats.join(", "));
    let rest = v.pointer("/rest/0");
    let security = rest.and_then(|r| r.get("security"));
    let services: Vec<String> = security
        .and_then(|s| s.get("service"))
        .and_then(Value::as_array)
        .map(|svc| {
            svc.iter()
                .filter_map(|c| {
                    c.pointer("/coding/0/code")
                        .or_else(|| c.get("text"))
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                })
                .collect()
        })
        .unwrap_or_default();
    row(&mut out, "security", &services.join(", "));
    let oauth: Vec<String> = security
        .and_then(|s| s.get("extension"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|e| {
            e.get("url")
                .and_then(Value::as_str)
                .is_some_and(|u| u.ends_with("oauth-uris"))
        })
        .filter_map(|e| e.get("extension").and_then(Value::as_array))
        .flatten()
        .filter_map(|e| {
            Some(format!(
                "{}={}",
                e.get("url")?.as_str()?,
                e.get("valueUri")?.as_str()?
            ))
        })
        .collect();
    for o in &oauth {
        row(&mut out, "oauth", o);
    }
    let resources = rest
        .and_then(|r| r.get("resource"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if !resources.is_empty() {
        out.push_str(&format!("{}\n", output::label("resources", 12)));
        let w = resources
            .iter()
            .filter_map(|r| r.get("type").and_then(Value::as_str))
            .map(str::len)
            .max()
            .unwrap_or(0);
        for r in &resources {
            let t = r.get("type").and_then(Value::as_str).unwrap_or("?");
            let codes: Vec<&str> = r
                .get("interaction")
                .and_then(Value::as_array)
                .map(|i| i.iter().filter_map(|x| x.get("code")?.as_str()).collect())
                .unwrap_or_default();
            let params: Vec<&str> = r
                .get("searchParam")
                .and_then(Value::as_array)
                .map(|p| p.iter().filter_map(|x| x.get("name")?.as_str()).collect())
                .unwrap_or_default();
            out.push_str(&format!("    {:<w$}  {}\n", p(t), p(&codes.join(" "))));
            if !params.is_empty() {
                out.push_str(&format!(
                    "    {:<w$}  search: {}\n",
                    "",
                    p(&params.join(" "))
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    // Found by prop_capability_summaries_are_printable.
    #[test]
    fn the_servers_text_is_shown_escaped() {
        colored::control::set_override(false);
        let v = json!({"resourceType":"CapabilityStatement","software":{"name":"S\u{1b}]0;pwned\u{7}"},
            "rest":[{"resource":[{"type":"Patient\u{1b}[2J","interaction":[{"code":"read"}]}]}]});
        let s = summary(&v);
        assert!(!s.contains('\u{1b}') && !s.contains('\u{7}'), "{s:?}");
        assert!(s.contains("S\\u{1b}]0;pwned\\u{7}"), "{s}");
    }

    #[test]
    fn summary_lists_resources_and_security() {
        colored::control::set_override(false);
        let v = json!({"resourceType":"CapabilityStatement","fhirVersion":"4.0.1","format":["json"],
            "software":{"name":"S","version":"1"},
            "rest":[{"security":{"service":[{"coding":[{"code":"SMART-on-FHIR"}]}],
                "extension":[{"url":"http://x/oauth-uris","extension":[{"url":"token","valueUri":"http://t"}]}]},
                "resource":[{"type":"Patient","interaction":[{"code":"read"}],"searchParam":[{"name":"name"}]}]}]});
        let s = summary(&v);
        assert!(
            s.contains("4.0.1") && s.contains("SMART-on-FHIR") && s.contains("token=http://t"),
            "{s}"
        );
        assert!(
            s.contains("Patient  read") && s.contains("search: name"),
            "{s}"
        );
    }
}
