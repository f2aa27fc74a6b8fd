//! Turning what a FHIR server answered into something a person can act on:
//! OperationOutcome issues as one line each, error statuses as exit codes
//! (401/403 → 4, other 4xx/5xx → 3), and bodies we cannot use (not JSON,
//! cut off, malformed) as one clear line that quotes the first bytes.

use serde_json::Value;

use crate::error::{Error, Kind, Result};
use crate::http::{self, Response};

/// One line per issue: `error [not-found] Patient/x does not exist (at Patient.id)`.
pub fn issue_lines(outcome: &Value) -> Vec<String> {
    let Some(issues) = outcome.get("issue").and_then(Value::as_array) else {
        return Vec::new();
    };
    issues.iter().map(issue_line).collect()
}

fn issue_line(issue: &Value) -> String {
    let s = |k: &str| issue.get(k).and_then(Value::as_str);
    let severity = s("severity").unwrap_or("error");
    let code = s("code").unwrap_or("unknown");
    let text = s("diagnostics")
        .or_else(|| issue.pointer("/details/text").and_then(Value::as_str))
        .or_else(|| {
            issue
                .pointer("/details/coding/0/display")
                .and_then(Value::as_str)
        })
        .unwrap_or("(no diagnostics)");
    let mut line = format!("{severity} [{code}] {text}");
    let at: Vec<&str> = ["expression", "location"]
        .iter()
        .filter_map(|k| issue.get(*k).and_then(Value::as_array))
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if !at.is_empty() {
        line.push_str(&format!(" (at {})", at.join(", ")));
    }
    line
}

/// The OperationOutcome in a body, if that is what it is.
pub fn parse_outcome(body: &[u8]) -> Option<Value> {
    let v: Value = serde_json::from_slice(body).ok()?;
    (v.get("resourceType")?.as_str()? == "OperationOutcome").then_some(v)
}

/// The error for a non-success answer to `what` (e.g. `GET /fhir/Patient/x`).
/// `hide` is what the request carried that must not show (the token), should
/// the server echo it.
pub fn status_error(what: &str, resp: &Response, hide: &[String]) -> Error {
    let status = resp.status;
    let kind = match status.as_u16() {
        401 | 403 => Kind::Auth,
        _ => Kind::Server,
    };
    let reason = status.canonical_reason().unwrap_or("");
    let mut err = Error::new(
        kind,
        format!("{what}: the server answered {} {reason}", status.as_u16()),
    );
    match parse_outcome(&resp.body) {
        Some(o) => {
            let o = crate::redact::json_values(&o, hide);
            err = err.with_details(issue_lines(&o)).with_outcome(o);
        }
        None if !resp.body.is_empty() => {
            err = err.with_details(vec![format!(
                "{}: {}",
                resp.content_type().unwrap_or("no content type"),
                resp.snippet_hiding(hide)
            )]);
        }
        None => {}
    }
    match status.as_u16() {
        401 => err.with_hint("run `smart login` (the token was refused even after a refresh)"),
        403 => err.with_hint("the granted scopes do not allow this; `smart status` shows them"),
        412 => err.with_hint(
            "the resource changed since that version; read it again for the current ETag",
        ),
        _ => err,
    }
}

/// The hint for a 403 to `method` on `path` (relative to the FHIR base,
/// `Patient/p1`): the scope that would allow it (`user/Patient.c`), or, when
/// the server says the refusal is a patient compartment's, that no scope of
/// this login changes it. A server says "compartment" only in its words (no
/// issue code means it), so the OperationOutcome lines are read for it.
pub fn forbidden_hint(method: &reqwest::Method, path: &str, details: &[String]) -> String {
    if details
        .iter()
        .any(|l| l.to_ascii_lowercase().contains("compartment"))
    {
        return "the token is limited to one patient's compartment (a patient-level login), and this is outside it: no added scope changes that; a user-level login (`user/…` scopes) can reach it".to_owned();
    }
    let mut segments = path.trim_matches('/').split('/').filter(|s| !s.is_empty());
    let rtype = segments
        .next()
        .filter(|t| t.starts_with(|c: char| c.is_ascii_uppercase()));
    let rest: Vec<&str> = segments.collect();
    let (Some(rtype), Some(letter)) = (rtype, scope_letter(method, &rest)) else {
        return "the granted scopes do not allow this; `smart status` shows them".to_owned();
    };
    format!(
        "the granted scopes do not allow this: it needs `user/{rtype}.{letter}` (or `patient/{rtype}.{letter}`, `system/{rtype}.{letter}`, or `*` for the type); log in asking for it (`smart login --scope '… user/{rtype}.{letter}'`); `smart status` shows what was granted"
    )
}

/// The SMART v2 scope letter an interaction needs (`c r u d s`).
fn scope_letter(method: &reqwest::Method, rest: &[&str]) -> Option<char> {
    use reqwest::Method;
    let search = rest.first().is_none_or(|s| *s == "_search");
    Some(match *method {
        Method::GET | Method::HEAD if search => 's',
        Method::GET | Method::HEAD => 'r',
        Method::POST if rest.first() == Some(&"_search") => 's',
        Method::POST if rest.is_empty() => 'c',
        Method::PUT | Method::PATCH => 'u',
        Method::DELETE => 'd',
        _ => return None,
    })
}

/// Refuses bodies that are not JSON, with the content type and first bytes.
pub fn require_json(what: &str, resp: &Response) -> Result<()> {
    let ct = resp.content_type().unwrap_or("");
    let looks_json = matches!(
        resp.body.iter().find(|b| !b.is_ascii_whitespace()),
        Some(b'{') | Some(b'[')
    );
    if resp.is_json() || (ct.is_empty() && looks_json) {
        return Ok(());
    }
    let shown = if ct.is_empty() { "no content type" } else { ct };
    let err = Error::server(format!(
        "{what}: the answer is not JSON ({shown}): {}",
        resp.snippet()
    ));
    Err(if ct.contains("xml") {
        err.with_hint("set `format_json = true` in the profile to ask for JSON with _format=json")
    } else {
        err
    })
}

/// Explains a JSON parse failure of a server's answer: cut off, or malformed
/// at a line and column.
pub fn json_error(what: &str, body: &[u8], e: &serde_json::Error) -> Error {
    if e.is_eof() {
        Error::server(format!(
            "{what}: the answer is truncated: its JSON ends after {} (…{})",
            http::human_size(body.len()),
            tail(body)
        ))
        .with_hint("the server or a proxy cut the response short; try again")
    } else {
        Error::server(format!(
            "{what}: the answer is not valid JSON (line {}, column {}: {}): {}",
            e.line(),
            e.column(),
            short(e),
            http::snippet(body)
        ))
    }
}

/// serde's message without its own " at line X column Y".
fn short(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_owned(),
        None => s,
    }
}

fn tail(body: &[u8]) -> String {
    let mut start = body.len().saturating_sub(40);
    while start < body.len() && (body[start] & 0xC0) == 0x80 {
        start += 1;
    }
    http::snippet(&body[start..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn issues_render_one_line_each() {
        let o = json!({"resourceType":"OperationOutcome","issue":[
            {"severity":"error","code":"invalid","diagnostics":"bad date","expression":["Patient.birthDate"]},
            {"severity":"warning","code":"processing","details":{"text":"ignored _foo"}}
        ]});
        assert_eq!(
            issue_lines(&o),
            vec![
                "error [invalid] bad date (at Patient.birthDate)",
                "warning [processing] ignored _foo"
            ]
        );
    }

    // Found by prop_error_answers_never_show_the_token.
    #[test]
    fn a_token_the_server_echoes_is_not_shown() {
        let token = "AT-0123456789".to_owned();
        let body = json!({"resourceType":"OperationOutcome","issue":[
            {"severity":"error","code":"security","diagnostics":"Bearer AT-0123456789 expired"}]});
        let resp =
            crate::testgen::response(401, Some("application/fhir+json"), body.to_string().into());
        let e = status_error("GET /fhir/Patient", &resp, std::slice::from_ref(&token));
        assert_eq!(e.details, ["error [security] Bearer [redacted] expired"]);
        assert!(!e.outcome.unwrap().to_string().contains(&token));
        let resp = crate::testgen::response(
            401,
            Some("application/json"),
            br#"{"message":"bad token AT-0123456789"}"#.to_vec(),
        );
        let e = status_error("GET /fhir/Patient", &resp, std::slice::from_ref(&token));
        assert!(
            !format!("{:?}", e.details).contains(&token),
            "{:?}",
            e.details
        );
    }

    #[test]
    fn truncation_and_syntax_errors_differ() {
        let body = br#"{"resourceType":"Patient","na"#;
        let e = serde_json::from_slice::<Value>(body).unwrap_err();
        assert!(json_error("GET x", body, &e).message.contains("truncated"));
        let body = b"{\n  \"a\": 1,\n  oops\n}";
        let e = serde_json::from_slice::<Value>(body).unwrap_err();
        let m = json_error("GET x", body, &e).message;
        assert!(m.contains("line 3, column 3"), "{m}");
    }

    #[test]
    fn a_403_names_the_scope_the_interaction_needs() {
        use reqwest::Method;
        let h = |m: Method, p: &str| forbidden_hint(&m, p, &[]);
        assert!(h(Method::POST, "Patient").contains("`user/Patient.c`"));
        assert!(h(Method::GET, "Observation/o1").contains("`user/Observation.r`"));
        assert!(h(Method::GET, "Observation").contains("`user/Observation.s`"));
        assert!(h(Method::POST, "Observation/_search").contains("`user/Observation.s`"));
        assert!(h(Method::PUT, "Patient/p1").contains("`user/Patient.u`"));
        assert!(h(Method::DELETE, "Patient/p1").contains("`user/Patient.d`"));
        assert!(!h(Method::GET, "metadata").contains("user/"));
        let lines =
            vec!["forbidden: Patient/p2 is outside the compartment of Patient/p1".to_owned()];
        let c = forbidden_hint(&Method::GET, "Patient/p2", &lines);
        assert!(
            c.contains("compartment") && !c.contains("user/Patient.r"),
            "{c}"
        );
    }
}
