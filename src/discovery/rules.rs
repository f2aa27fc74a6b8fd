//! The one rule book for a SMART configuration document (SMART App Launch
//! 2.2, Conformance), used by `smart discover` (its findings) and by `smart
//! check`'s discovery group (one verdict per check). Each finding names the
//! check it belongs to; the check's severity is the finding's (a SHALL is an
//! error, a SHOULD a warning).
//!
//! Where the two commands used to disagree, the spec settled it:
//! - `authorization_code` in `grant_types_supported` when a `launch-*`
//!   capability is claimed: required by both (conformance "Metadata": the
//!   options are "authorization_code (when SMART App Launch is supported)";
//!   Inferno 1.1.02 asserts it). `check` did not look.
//! - list fields are arrays of strings, not just arrays ("Array of …
//!   strings"); `check` accepted `[1, 2]`.
//! - `issuer` is an https URL like the endpoints (OpenID Connect Discovery
//!   §3: "URL using the https scheme"); `check` did not look.
//! - `/.well-known/smart-configuration` answered with another Content-Type
//!   than application/json is an error (conformance: "SHALL respond with
//!   application/json", 2.2.0@377); `discover` ignored the type.
//! - `scopes_supported` and `response_types_supported` missing: a warning
//!   (RECOMMENDED, @389 @390); `check` did not look.
//! - the implicit grant in `response_types_supported`: a warning in both
//!   (RFC 9700 §2.1.2); `discover` did not look.
//! - `client-confidential-asymmetric` without `private_key_jwt` in
//!   `token_endpoint_auth_methods_supported`, without `scopes_supported` or
//!   without RS384/ES384 in `token_endpoint_auth_signing_alg_values_supported`:
//!   an error (client-confidential-asymmetric "SHALL include", @286–@289);
//!   `discover` warned only for the first, `check` not at all.
//!   `client-confidential-symmetric` without a secret method stays a
//!   warning: no SHALL says so.
//!
//! `discover`'s warning about a token endpoint on another origin is a
//! security hint, not a conformance rule, and is not here.

use serde_json::{Map, Value};
use url::Url;

use super::{ENDPOINTS, Finding, Severity, is_loopback};

pub const WELL_KNOWN: &str = "discovery.well-known";
pub const REQUIRED_FIELDS: &str = "discovery.required-fields";
pub const PKCE_S256: &str = "discovery.pkce-s256";
pub const HTTPS: &str = "discovery.https-endpoints";
pub const OPENID_FIELDS: &str = "discovery.openid-fields";
pub const CAPABILITIES: &str = "discovery.capabilities";
pub const RECOMMENDED_FIELDS: &str = "discovery.recommended-fields";
pub const NO_IMPLICIT: &str = "discovery.no-implicit";
pub const ISSUER_WITHOUT_OPENID: &str = "discovery.issuer-only-with-openid";

/// Every rule (the `smart check` id it belongs to) and the severity of its
/// findings.
pub const RULES: &[(&str, Severity)] = &[
    (WELL_KNOWN, Severity::Error),
    (REQUIRED_FIELDS, Severity::Error),
    (PKCE_S256, Severity::Error),
    (HTTPS, Severity::Error),
    (OPENID_FIELDS, Severity::Error),
    (CAPABILITIES, Severity::Warning),
    (RECOMMENDED_FIELDS, Severity::Warning),
    (NO_IMPLICIT, Severity::Warning),
    (ISSUER_WITHOUT_OPENID, Severity::Warning),
];

fn finding(rule: &'static str, field: &str, message: impl Into<String>) -> Finding {
    let severity = RULES
        .iter()
        .find(|(r, _)| *r == rule)
        .map_or(Severity::Error, |(_, s)| *s);
    Finding {
        severity,
        field: field.to_owned(),
        message: message.into(),
        check: Some(rule),
    }
}

/// The Content-Type of the `.well-known/smart-configuration` answer.
pub fn content_type(ct: Option<&str>) -> Option<Finding> {
    let essence = ct
        .and_then(|c| c.split(';').next())
        .map(|c| c.trim().to_ascii_lowercase());
    match essence.as_deref() {
        Some("application/json") => None,
        _ => Some(finding(
            WELL_KNOWN,
            ".well-known/smart-configuration",
            format!(
                "served as `{}`; SMART requires application/json",
                ct.unwrap_or("no Content-Type")
            ),
        )),
    }
}

/// Every finding on a `.well-known/smart-configuration` document, errors
/// first.
pub fn judge(doc: &Map<String, Value>) -> Vec<Finding> {
    let mut f = Vec::new();
    let caps = string_list(doc, "capabilities", true, &mut f);
    let has = |c: &str| caps.iter().any(|x| x == c);
    for c in &caps {
        if !smart_vocab::capabilities::is_known(c) {
            f.push(finding(
                CAPABILITIES,
                "capabilities",
                format!("`{c}` is not a SMART App Launch 2.x capability"),
            ));
        }
    }
    let launches = has("launch-ehr") || has("launch-standalone");

    let pkce = string_list(doc, "code_challenge_methods_supported", true, &mut f);
    if !pkce.iter().any(|m| m == "S256") {
        f.push(finding(
            PKCE_S256,
            "code_challenge_methods_supported",
            "must include `S256`",
        ));
    }
    if pkce.iter().any(|m| m == "plain") {
        f.push(finding(
            PKCE_S256,
            "code_challenge_methods_supported",
            "must not include `plain`",
        ));
    }

    let grants = string_list(doc, "grant_types_supported", true, &mut f);
    if launches
        && doc.contains_key("grant_types_supported")
        && !grants.iter().any(|g| g == "authorization_code")
    {
        f.push(finding(
            REQUIRED_FIELDS,
            "grant_types_supported",
            "must include `authorization_code` when a launch capability is advertised",
        ));
    }

    f.extend(judge_endpoints(doc));
    if launches && !doc.contains_key("authorization_endpoint") {
        f.push(finding(
            REQUIRED_FIELDS,
            "authorization_endpoint",
            "required when `launch-ehr` or `launch-standalone` is advertised",
        ));
    }
    if has("sso-openid-connect") {
        for field in ["issuer", "jwks_uri"] {
            if !doc.get(field).is_some_and(Value::is_string) {
                f.push(finding(
                    OPENID_FIELDS,
                    field,
                    "required when `sso-openid-connect` is advertised",
                ));
            }
        }
    }
    // Conformance, Metadata: issuer is "REQUIRED if sso-openid-connect,
    // otherwise omitted" (Inferno 1.1.02 warns).
    if !has("sso-openid-connect") && doc.contains_key("issuer") {
        f.push(finding(
            ISSUER_WITHOUT_OPENID,
            "issuer",
            "given, but `sso-openid-connect` is not in capabilities (omit it, or claim the capability)",
        ));
    }
    for field in ["issuer", "jwks_uri"] {
        if let Some(u) = doc.get(field).and_then(Value::as_str) {
            url(field, u, &mut f);
        }
    }

    for field in ["scopes_supported", "response_types_supported"] {
        if !doc.contains_key(field) {
            f.push(finding(
                RECOMMENDED_FIELDS,
                field,
                "recommended, but missing",
            ));
        }
    }
    let responses = string_list(doc, "response_types_supported", false, &mut f);
    if responses
        .iter()
        .any(|t| t.split_whitespace().any(|w| w == "token"))
    {
        f.push(finding(
            NO_IMPLICIT,
            "response_types_supported",
            "includes `token` (the implicit grant)",
        ));
    }
    let scopes = string_list(doc, "scopes_supported", false, &mut f);
    let methods = string_list(doc, "token_endpoint_auth_methods_supported", false, &mut f);
    let algs = string_list(
        doc,
        "token_endpoint_auth_signing_alg_values_supported",
        false,
        &mut f,
    );
    if has("client-confidential-asymmetric") {
        if !methods.iter().any(|m| m == "private_key_jwt") {
            f.push(finding(
                REQUIRED_FIELDS,
                "token_endpoint_auth_methods_supported",
                "must include `private_key_jwt` when `client-confidential-asymmetric` is advertised",
            ));
        }
        if !algs.iter().any(|a| a == "RS384" || a == "ES384") {
            f.push(finding(
                REQUIRED_FIELDS,
                "token_endpoint_auth_signing_alg_values_supported",
                "must include RS384 or ES384 when `client-confidential-asymmetric` is advertised",
            ));
        }
        if scopes.is_empty() && !doc.contains_key("scopes_supported") {
            f.push(finding(
                REQUIRED_FIELDS,
                "scopes_supported",
                "required when `client-confidential-asymmetric` is advertised",
            ));
        }
    }
    if has("client-confidential-symmetric")
        && doc.contains_key("token_endpoint_auth_methods_supported")
        && !methods
            .iter()
            .any(|m| m == "client_secret_basic" || m == "client_secret_post")
    {
        f.push(finding(
            RECOMMENDED_FIELDS,
            "token_endpoint_auth_methods_supported",
            "`client-confidential-symmetric` is advertised but no client_secret method is listed",
        ));
    }
    f.sort_by_key(|a| a.severity);
    f
}

/// The rules a document built from `/metadata`'s oauth-uris can meet: a
/// token endpoint, and every endpoint an absolute https URL (http only on
/// loopback).
pub fn judge_endpoints(doc: &Map<String, Value>) -> Vec<Finding> {
    let mut f = Vec::new();
    match doc.get("token_endpoint") {
        None => f.push(finding(
            REQUIRED_FIELDS,
            "token_endpoint",
            "required, but missing",
        )),
        Some(Value::String(_)) => {}
        Some(_) => f.push(finding(
            REQUIRED_FIELDS,
            "token_endpoint",
            "must be a string (a URL)",
        )),
    }
    for (field, _) in ENDPOINTS {
        match doc.get(*field) {
            None => {}
            Some(Value::String(u)) => url(field, u, &mut f),
            Some(_) if *field == "token_endpoint" => {}
            Some(_) => f.push(finding(HTTPS, field, "must be a string (a URL)")),
        }
    }
    f
}

fn url(field: &str, value: &str, f: &mut Vec<Finding>) {
    match Url::parse(value) {
        Err(_) => f.push(finding(
            HTTPS,
            field,
            format!("`{value}` is not an absolute URL"),
        )),
        Ok(u) if u.scheme() == "https" => {}
        Ok(u) if u.scheme() == "http" && is_loopback(&u) => {}
        Ok(_) => f.push(finding(
            HTTPS,
            field,
            format!("`{value}` must use https (http only on loopback)"),
        )),
    }
}

/// Reads a list-of-strings field, reporting a missing (when required) or
/// mistyped one (a required-fields error: the type is what the spec fixes).
fn string_list(
    doc: &Map<String, Value>,
    field: &str,
    required: bool,
    f: &mut Vec<Finding>,
) -> Vec<String> {
    match doc.get(field) {
        None => {
            if required {
                f.push(finding(REQUIRED_FIELDS, field, "required, but missing"));
            }
            Vec::new()
        }
        Some(Value::Array(items)) => {
            if items.iter().any(|v| !v.is_string()) {
                f.push(finding(
                    REQUIRED_FIELDS,
                    field,
                    "must be an array of strings",
                ));
            }
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        }
        Some(_) => {
            f.push(finding(
                REQUIRED_FIELDS,
                field,
                "must be an array of strings",
            ));
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn rules(f: &[Finding]) -> Vec<&str> {
        f.iter().filter_map(|x| x.check).collect()
    }

    #[test]
    fn an_issuer_without_sso_openid_connect_is_a_warning() {
        let doc =
            json!({"capabilities": ["launch-standalone"], "issuer": "https://ehr.example.org"});
        let f = judge(doc.as_object().unwrap());
        let hit: Vec<_> = f
            .iter()
            .filter(|f| f.check == Some(ISSUER_WITHOUT_OPENID))
            .collect();
        assert_eq!(hit.len(), 1, "{f:?}");
        assert_eq!(hit[0].severity, Severity::Warning);
        let doc =
            json!({"capabilities": ["sso-openid-connect"], "issuer": "https://ehr.example.org"});
        let f = judge(doc.as_object().unwrap());
        assert!(!f.iter().any(|f| f.check == Some(ISSUER_WITHOUT_OPENID)));
    }

    #[test]
    fn a_launch_needs_the_authorization_code_grant() {
        let d = doc(
            json!({"token_endpoint": "https://x/t", "authorization_endpoint": "https://x/a",
            "capabilities": ["launch-standalone"], "code_challenge_methods_supported": ["S256"],
            "grant_types_supported": ["client_credentials"],
            "scopes_supported": [], "response_types_supported": ["code"]}),
        );
        let f = judge(&d);
        assert_eq!(rules(&f), [REQUIRED_FIELDS], "{f:?}");
        assert_eq!(f[0].field, "grant_types_supported");
    }

    #[test]
    fn lists_must_hold_strings_and_the_issuer_must_be_https() {
        let d = doc(json!({"token_endpoint": "https://x/t", "capabilities": [1],
            "code_challenge_methods_supported": ["S256"], "grant_types_supported": [],
            "issuer": "http://ehr.example.org",
            "scopes_supported": [], "response_types_supported": ["code", "token"]}));
        let f = judge(&d);
        let mut got = rules(&f);
        got.sort();
        assert_eq!(
            got,
            [HTTPS, ISSUER_WITHOUT_OPENID, NO_IMPLICIT, REQUIRED_FIELDS],
            "{f:?}"
        );
    }

    #[test]
    fn an_asymmetric_capability_needs_its_method_and_algorithms() {
        let d = doc(
            json!({"token_endpoint": "https://x/t", "capabilities": ["client-confidential-asymmetric"],
            "code_challenge_methods_supported": ["S256"], "grant_types_supported": ["client_credentials"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            "response_types_supported": ["code"]}),
        );
        let found = judge(&d);
        let fields: Vec<&str> = found
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .map(|f| f.field.as_str())
            .collect();
        assert_eq!(
            fields,
            [
                "token_endpoint_auth_methods_supported",
                "token_endpoint_auth_signing_alg_values_supported",
                "scopes_supported"
            ]
        );
    }

    #[test]
    fn the_well_known_answer_must_be_application_json() {
        assert!(content_type(Some("application/json; charset=utf-8")).is_none());
        let f = content_type(Some("text/html")).unwrap();
        assert_eq!((f.check, f.severity), (Some(WELL_KNOWN), Severity::Error));
        assert!(content_type(None).is_some());
    }
}
