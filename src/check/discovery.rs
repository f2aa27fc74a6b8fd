//! The `discovery` group: the SMART configuration document itself, and
//! whether `/metadata` agrees with it. Needs no client.

use reqwest::Method;
use reqwest::header::{ACCEPT, ORIGIN};
use serde_json::{Map, Value};

use super::model::{Check, Severity, Verdict};
use super::probe::Exchange;
use super::run::Run;
use crate::discovery::{self, ENDPOINTS};

const SPEC: &str = "https://hl7.org/fhir/smart-app-launch/conformance.html";

pub const WELL_KNOWN: Check = Check {
    id: "discovery.well-known",
    title: "/.well-known/smart-configuration is served as a JSON object",
    reference: "https://hl7.org/fhir/smart-app-launch/conformance.html#using-well-known",
    severity: Severity::Required,
    fix: "serve the SMART configuration at {base}/.well-known/smart-configuration with status 200 and Content-Type application/json",
};
pub const REQUIRED_FIELDS: Check = Check {
    id: "discovery.required-fields",
    title: "the configuration has every required field",
    reference: SPEC,
    severity: Severity::Required,
    fix: "add token_endpoint, capabilities, code_challenge_methods_supported and grant_types_supported (and authorization_endpoint when a launch-* capability is claimed)",
};
pub const PKCE_S256: Check = Check {
    id: "discovery.pkce-s256",
    title: "S256 PKCE is advertised and plain is not",
    reference: "https://hl7.org/fhir/smart-app-launch/app-launch.html#considerations-for-pkce-support",
    severity: Severity::Required,
    fix: "set code_challenge_methods_supported to [\"S256\"]",
};
pub const HTTPS: Check = Check {
    id: "discovery.https-endpoints",
    title: "every endpoint is an absolute https URL",
    reference: "https://www.rfc-editor.org/rfc/rfc6749#section-3.1",
    severity: Severity::Required,
    fix: "publish https URLs for every endpoint (plain http only for loopback test servers)",
};
pub const OPENID_FIELDS: Check = Check {
    id: "discovery.openid-fields",
    title: "issuer and jwks_uri are given when sso-openid-connect is claimed",
    reference: SPEC,
    severity: Severity::Required,
    fix: "add issuer and jwks_uri, or drop the sso-openid-connect capability",
};
pub const CAPABILITIES: Check = Check {
    id: "discovery.capabilities",
    title: "capabilities are from the SMART vocabulary",
    reference: "https://hl7.org/fhir/smart-app-launch/conformance.html#capabilities",
    severity: Severity::Recommended,
    fix: "list only SMART App Launch 2.x capability names (misspelt ones are ignored by clients)",
};
pub const NO_IMPLICIT: Check = Check {
    id: "discovery.no-implicit",
    title: "the implicit grant (response_type token) is not advertised",
    reference: "https://www.rfc-editor.org/rfc/rfc9700#section-2.1.2",
    severity: Severity::Recommended,
    fix: "remove `token` from response_types_supported; SMART uses the code flow with PKCE",
};
pub const CORS: Check = Check {
    id: "discovery.cors",
    title: "the configuration can be read from a browser app (CORS)",
    reference: "https://hl7.org/fhir/smart-app-launch/best-practices.html",
    severity: Severity::Recommended,
    fix: "answer discovery requests that carry an Origin header with Access-Control-Allow-Origin",
};
pub const METADATA_CONSISTENT: Check = Check {
    id: "discovery.metadata-consistent",
    title: "/metadata's oauth-uris extension agrees with the configuration",
    reference: "https://hl7.org/fhir/smart-app-launch/conformance.html#declaring-support-for-oauth2-endpoints",
    severity: Severity::Required,
    fix: "make the oauth-uris extension of the CapabilityStatement name the same endpoints as .well-known/smart-configuration (or drop it)",
};

pub const CHECKS: &[Check] = &[
    WELL_KNOWN,
    REQUIRED_FIELDS,
    PKCE_S256,
    HTTPS,
    OPENID_FIELDS,
    CAPABILITIES,
    NO_IMPLICIT,
    CORS,
    METADATA_CONSISTENT,
];

/// An Origin no server knows: CORS for any app, not for one it allows.
const PROBE_ORIGIN: &str = "https://smart-check.invalid";

/// Reads the configuration and runs the group's checks on it. Returns the
/// document (when there is one) for the groups that follow.
pub async fn run(run: &mut Run<'_>) -> Option<Map<String, Value>> {
    let url = run.base.join(".well-known/smart-configuration");
    let (resp, ex) = run
        .probe
        .send(
            run.probe
                .http()
                .request(Method::GET, url)
                .header(ACCEPT, "application/json")
                .header(ORIGIN, PROBE_ORIGIN),
        )
        .await;
    let ev = || vec![ex.clone()];
    let doc = match &resp {
        Err(e) => {
            run.record(&WELL_KNOWN, Verdict::unmet(e.message.clone()), ev());
            None
        }
        Ok(r) => {
            let parsed = serde_json::from_slice::<Value>(&r.body).ok();
            let verdict = if !r.status.is_success() {
                Verdict::unmet(format!("answered {}", r.status))
            } else if !r.is_json() {
                Verdict::unmet(format!(
                    "Content-Type is `{}`, not application/json",
                    r.content_type().unwrap_or("none")
                ))
            } else if !matches!(parsed, Some(Value::Object(_))) {
                Verdict::unmet("the body is not a JSON object")
            } else {
                Verdict::met("200, application/json, a JSON object")
            };
            run.record(&WELL_KNOWN, verdict, ev());
            let cors = match r.headers.get("access-control-allow-origin") {
                _ if !r.status.is_success() => {
                    Verdict::skip("no configuration to read cross-origin")
                }
                Some(v) => Verdict::met(format!(
                    "Access-Control-Allow-Origin: {}",
                    v.to_str().unwrap_or("?")
                )),
                None => {
                    Verdict::unmet("no Access-Control-Allow-Origin for a request with an Origin")
                }
            };
            run.record(&CORS, cors, ev());
            match parsed {
                Some(Value::Object(doc)) if r.status.is_success() => Some(doc),
                _ => None,
            }
        }
    };

    let Some(doc) = doc else {
        for c in [
            &REQUIRED_FIELDS,
            &PKCE_S256,
            &HTTPS,
            &OPENID_FIELDS,
            &CAPABILITIES,
            &NO_IMPLICIT,
        ] {
            run.record(c, Verdict::skip("no SMART configuration to check"), ev());
        }
        return None;
    };
    run.record(&REQUIRED_FIELDS, required_fields(&doc), ev());
    run.record(&PKCE_S256, pkce(&doc), ev());
    run.record(&HTTPS, https(&doc), ev());
    run.record(&OPENID_FIELDS, openid(&doc), ev());
    run.record(&CAPABILITIES, capabilities(&doc), ev());
    run.record(&NO_IMPLICIT, implicit(&doc), ev());
    Some(doc)
}

/// The `metadata-consistent` check, run once the fhir group has read
/// `/metadata`.
pub fn compare_with_metadata(
    run: &mut Run<'_>,
    doc: Option<&Map<String, Value>>,
    cs: Option<(&Value, &Exchange)>,
) {
    let (Some(doc), Some((cs, ex))) = (doc, cs) else {
        run.record(
            &METADATA_CONSISTENT,
            Verdict::skip("needs both the SMART configuration and the CapabilityStatement"),
            vec![],
        );
        return;
    };
    let Some(ext) = discovery::from_capability_statement(cs) else {
        run.record(
            &METADATA_CONSISTENT,
            Verdict::met("the CapabilityStatement has no oauth-uris extension (optional in 2.x)"),
            vec![ex.clone()],
        );
        return;
    };
    let differ: Vec<String> = ENDPOINTS
        .iter()
        .filter_map(|(field, short)| {
            let (a, b) = (
                ext.get(*field)?.as_str()?,
                doc.get(*field).and_then(Value::as_str),
            );
            (Some(a.trim_end_matches('/')) != b.map(|b| b.trim_end_matches('/')))
                .then(|| format!("{short}: `{a}` vs `{}`", b.unwrap_or("absent")))
        })
        .collect();
    let v = if differ.is_empty() {
        Verdict::met("the oauth-uris extension names the same endpoints")
    } else {
        Verdict::unmet(format!(
            "oauth-uris differs from the configuration: {}",
            differ.join("; ")
        ))
    };
    run.record(&METADATA_CONSISTENT, v, vec![ex.clone()]);
}

fn strings<'a>(doc: &'a Map<String, Value>, field: &str) -> Vec<&'a str> {
    doc.get(field)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn has_capability(doc: &Map<String, Value>, c: &str) -> bool {
    strings(doc, "capabilities").contains(&c)
}

fn required_fields(doc: &Map<String, Value>) -> Verdict {
    let mut missing = Vec::new();
    if !doc.get("token_endpoint").is_some_and(Value::is_string) {
        missing.push("token_endpoint");
    }
    for list in [
        "capabilities",
        "code_challenge_methods_supported",
        "grant_types_supported",
    ] {
        if !doc.get(list).is_some_and(Value::is_array) {
            missing.push(list);
        }
    }
    let launches = has_capability(doc, "launch-ehr") || has_capability(doc, "launch-standalone");
    if launches
        && !doc
            .get("authorization_endpoint")
            .is_some_and(Value::is_string)
    {
        missing.push("authorization_endpoint");
    }
    if missing.is_empty() {
        Verdict::met("all required fields are present")
    } else {
        Verdict::unmet(format!(
            "missing or not of the right type: {}",
            missing.join(", ")
        ))
    }
}

fn pkce(doc: &Map<String, Value>) -> Verdict {
    let methods = strings(doc, "code_challenge_methods_supported");
    match (methods.contains(&"S256"), methods.contains(&"plain")) {
        (true, false) => Verdict::met("S256 is advertised, plain is not"),
        (false, _) => Verdict::unmet(format!(
            "code_challenge_methods_supported is {:?}: no S256",
            methods
        )),
        (true, true) => Verdict::unmet("plain is advertised beside S256"),
    }
}

fn https(doc: &Map<String, Value>) -> Verdict {
    let fields = ENDPOINTS.iter().map(|(f, _)| *f).chain(["jwks_uri"]);
    let bad: Vec<String> = fields
        .filter_map(|f| {
            let v = doc.get(f)?.as_str()?;
            discovery::secure_url(f, v)
                .err()
                .map(|_| format!("{f} `{v}`"))
        })
        .collect();
    if bad.is_empty() {
        Verdict::met("every endpoint given is https (or loopback)")
    } else {
        Verdict::unmet(format!("not https: {}", bad.join(", ")))
    }
}

fn openid(doc: &Map<String, Value>) -> Verdict {
    if !has_capability(doc, "sso-openid-connect") {
        return Verdict::met("sso-openid-connect is not claimed");
    }
    let missing: Vec<&str> = ["issuer", "jwks_uri"]
        .into_iter()
        .filter(|f| !doc.get(*f).is_some_and(Value::is_string))
        .collect();
    if missing.is_empty() {
        Verdict::met("issuer and jwks_uri are given")
    } else {
        Verdict::unmet(format!(
            "sso-openid-connect is claimed without {}",
            missing.join(" and ")
        ))
    }
}

fn capabilities(doc: &Map<String, Value>) -> Verdict {
    let unknown: Vec<&str> = strings(doc, "capabilities")
        .into_iter()
        .filter(|c| !smart_vocab::capabilities::is_known(c))
        .collect();
    if unknown.is_empty() {
        Verdict::met("every capability is a SMART 2.x name")
    } else {
        Verdict::unmet(format!("unknown capabilities: {}", unknown.join(", ")))
    }
}

fn implicit(doc: &Map<String, Value>) -> Verdict {
    let implicit = strings(doc, "response_types_supported")
        .iter()
        .any(|t| t.split_whitespace().any(|w| w == "token"));
    if implicit {
        Verdict::unmet("response_types_supported includes `token` (the implicit grant)")
    } else {
        Verdict::met("no implicit response type is advertised")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn required_fields_follow_the_claimed_launches() {
        let d = doc(
            json!({"token_endpoint": "https://x/t", "capabilities": ["launch-ehr"],
            "code_challenge_methods_supported": ["S256"], "grant_types_supported": []}),
        );
        assert_eq!(
            required_fields(&d),
            Verdict::unmet("missing or not of the right type: authorization_endpoint")
        );
        let d = doc(json!({"token_endpoint": "https://x/t", "capabilities": [],
            "code_challenge_methods_supported": ["S256"], "grant_types_supported": []}));
        assert!(matches!(required_fields(&d), Verdict::Met(_)));
    }

    #[test]
    fn pkce_needs_s256_and_refuses_plain() {
        let m = |v: Value| pkce(&doc(json!({ "code_challenge_methods_supported": v })));
        assert!(matches!(m(json!(["S256"])), Verdict::Met(_)));
        assert!(matches!(m(json!(["S256", "plain"])), Verdict::Unmet(_)));
        assert!(matches!(m(json!(["plain"])), Verdict::Unmet(_)));
        assert!(
            matches!(m(json!("S256")), Verdict::Unmet(_)),
            "a string is not a list"
        );
    }

    #[test]
    fn http_endpoints_fail_except_on_loopback() {
        let d = doc(json!({"token_endpoint": "http://ehr.example/token",
            "authorization_endpoint": "http://127.0.0.1:9/a"}));
        assert_eq!(
            https(&d),
            Verdict::unmet("not https: token_endpoint `http://ehr.example/token`")
        );
    }

    #[test]
    fn implicit_is_found_in_combined_response_types() {
        let d = doc(json!({"response_types_supported": ["code", "id_token token"]}));
        assert!(matches!(implicit(&d), Verdict::Unmet(_)));
    }
}
