//! SMART discovery: fetch a server's SMART configuration and check it against
//! SMART App Launch 2.x conformance.
//!
//! `{base}/.well-known/smart-configuration` is the source of truth; when it is
//! absent or not JSON we fall back to the (deprecated, SMART 1.0) `oauth-uris`
//! extension of `{base}/metadata`, and say so.

use reqwest::{Method, StatusCode, header::ACCEPT};
use serde::Serialize;
use serde_json::{Map, Value, json};
use url::Url;

use crate::error::{Error, Result};
use crate::http::{self, Http};

pub const OAUTH_URIS_EXTENSION: &str =
    "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris";

/// The fields of the findings a fallback to `/metadata` brings: warnings
/// that a login repeats, since it goes on with what the server did not say
/// properly.
pub const WELL_KNOWN_FIELD: &str = ".well-known/smart-configuration";
pub const SERVICE_FIELD: &str = "security.service";

/// Larger answers are refused: no SMART configuration is near this size.
const WELL_KNOWN_LIMIT: usize = 2 << 20;
/// CapabilityStatements of big EHRs run to a few MiB.
const METADATA_LIMIT: usize = 16 << 20;

pub use smart_vocab::{FhirBase, is_loopback};

/// Endpoint fields of a SMART configuration, and their `oauth-uris` names.
pub const ENDPOINTS: &[(&str, &str)] = &[
    ("authorization_endpoint", "authorize"),
    ("token_endpoint", "token"),
    ("registration_endpoint", "register"),
    ("management_endpoint", "manage"),
    ("introspection_endpoint", "introspect"),
    ("revocation_endpoint", "revoke"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// `/.well-known/smart-configuration`
    WellKnown,
    /// the `oauth-uris` extension of `/metadata`
    Metadata,
}

impl Source {
    pub fn describe(self) -> &'static str {
        match self {
            Source::WellKnown => ".well-known/smart-configuration",
            Source::Metadata => "metadata (oauth-uris extension)",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    pub field: String,
    pub message: String,
    /// The `smart check` id of the rule (see [`rules`]); none for the
    /// fallback notes and hints that are no conformance rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<&'static str>,
}

impl Finding {
    fn warning(field: &str, message: impl Into<String>) -> Self {
        Finding {
            severity: Severity::Warning,
            field: field.to_owned(),
            message: message.into(),
            check: None,
        }
    }
}

pub mod rules;
pub use rules::judge as validate;

/// What discovery found about a server.
#[derive(Debug, Clone, Serialize)]
pub struct Discovery {
    pub fhir_base: String,
    pub source: Source,
    /// Where the document was read from.
    pub url: String,
    /// Why `.well-known/smart-configuration` was not used, when it was not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fallback_reason: Option<String>,
    /// The SMART configuration (for `metadata`, built from the extension).
    pub document: Map<String, Value>,
    /// For `metadata`: where `issuer` and `jwks_uri` were read from, the
    /// extension having neither (`.well-known/openid-configuration`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub openid_configuration: Option<String>,
    pub findings: Vec<Finding>,
}

impl Discovery {
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    pub fn str_field(&self, name: &str) -> Option<&str> {
        self.document.get(name)?.as_str()
    }

    /// An advertised endpoint we may send secrets to; an endpoint that is
    /// not an absolute https URL (http only on loopback) is an error, not
    /// just a finding.
    pub fn endpoint(&self, name: &str) -> Result<Option<Url>> {
        self.str_field(name)
            .map(|s| secure_url(name, s))
            .transpose()
    }

    pub fn list(&self, name: &str) -> Vec<&str> {
        string_list(self.document.get(name))
    }

    pub fn capabilities(&self) -> Vec<&str> {
        self.list("capabilities")
    }

    pub fn supports_s256(&self) -> bool {
        self.list("code_challenge_methods_supported")
            .contains(&"S256")
    }

    /// What a login warns about before going on: the fallback to
    /// `/metadata` and its shortcomings.
    pub fn fallback_findings(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.field == WELL_KNOWN_FIELD || f.field == SERVICE_FIELD)
    }
}

fn string_list(v: Option<&Value>) -> Vec<&str> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// Parses and checks a FHIR base URL (see [`FhirBase`]); the error says
/// how to write one.
pub fn parse_base(s: &str) -> Result<FhirBase> {
    FhirBase::parse(s).map_err(|e| {
        let hint = match e {
            smart_vocab::BaseError::NotAUrl { .. } => {
                Some("give the FHIR base URL, e.g. https://fhir.example.org/r4")
            }
            smart_vocab::BaseError::PlainHttpToRemote { .. } => {
                Some("use https:// (http is allowed only for 127.0.0.1, ::1 and localhost)")
            }
            _ => None,
        };
        let err = Error::usage(e.to_string());
        match hint {
            Some(h) => err.with_hint(h),
            None => err,
        }
    })
}

/// A URL fit to receive codes, tokens, secrets or assertions: absolute,
/// https, or http on loopback only (exit 3 otherwise: the server's document
/// is at fault).
pub fn secure_url(field: &str, value: &str) -> Result<Url> {
    let url = Url::parse(value)
        .map_err(|e| Error::server(format!("{field} `{value}` is not an absolute URL ({e})")))?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        _ => Err(Error::server(format!(
            "{field} `{value}` is not https; refusing to use it (anyone on the way could read or rewrite what goes through it)"
        ))
        .with_hint("SMART requires TLS for every endpoint (plain http only on loopback)")),
    }
}

/// Fetches and validates the SMART configuration of `base`.
pub async fn discover(http: &Http, base: &FhirBase) -> Result<Discovery> {
    let well_known = base.join(".well-known/smart-configuration");
    let resp = http
        .send(
            http.request(Method::GET, well_known.clone())
                .header(ACCEPT, "application/json"),
            WELL_KNOWN_LIMIT,
        )
        .await?;
    let reason = match usable_json(&resp, &http.secret_header_values()) {
        Ok(Value::Object(doc)) => {
            let mut findings: Vec<Finding> = rules::content_type(resp.content_type())
                .into_iter()
                .collect();
            findings.extend(validate(&doc));
            findings.extend(foreign_token_endpoint(&doc, base));
            return Ok(Discovery {
                fhir_base: base.url().to_string(),
                source: Source::WellKnown,
                url: well_known.to_string(),
                fallback_reason: None,
                document: doc,
                openid_configuration: None,
                findings,
            });
        }
        Ok(_) => "answered JSON that is not an object".to_owned(),
        Err(why) => why,
    };

    let metadata = base.join("metadata");
    let resp = http
        .send(
            http.request(Method::GET, metadata.clone())
                .header(ACCEPT, "application/fhir+json, application/json;q=0.9"),
            METADATA_LIMIT,
        )
        .await?;
    let no_config = |what: String| {
        Error::server(format!(
            "no SMART configuration at {}: .well-known/smart-configuration {reason}; metadata {what}",
            base.url()
        ))
    };
    let cs = match usable_json(&resp, &http.secret_header_values()) {
        Ok(v) => v,
        Err(why) => return Err(no_config(why)),
    };
    let Some(mut doc) = from_capability_statement(&cs) else {
        return Err(no_config(format!(
            "has no `{OAUTH_URIS_EXTENSION}` extension"
        )));
    };
    let mut findings = vec![Finding::warning(
        WELL_KNOWN_FIELD,
        format!(
            "{reason}; SMART App Launch 2.x requires it (endpoints were read from the deprecated oauth-uris extension of /metadata)"
        ),
    )];
    if !has_smart_service(&cs) {
        findings.push(Finding::warning(
            SERVICE_FIELD,
            "/metadata has no SMART-on-FHIR security service coding; its oauth-uris extension was used anyway",
        ));
    }
    findings.extend(rules::judge_endpoints(&doc));
    findings.extend(foreign_token_endpoint(&doc, base));
    let openid_configuration = openid_keys(http, base, &mut doc).await;
    Ok(Discovery {
        fhir_base: base.url().to_string(),
        source: Source::Metadata,
        url: metadata.to_string(),
        fallback_reason: Some(reason),
        document: doc,
        openid_configuration,
        findings,
    })
}

/// A token endpoint on another origin than the FHIR base: allowed (many
/// EHRs run their authorization server on a host of its own) but worth a
/// look, since the client's secret, the codes and the refresh tokens go
/// there — a document altered on the way or on the server could point it
/// anywhere.
pub fn foreign_token_endpoint(doc: &Map<String, Value>, base: &FhirBase) -> Option<Finding> {
    let url = Url::parse(doc.get("token_endpoint")?.as_str()?).ok()?;
    if url.origin() == base.url().origin() {
        return None;
    }
    Some(Finding::warning(
        "token_endpoint",
        format!(
            "`{}` is on another origin than the FHIR base ({}); the client's credentials go there",
            http::origin_path(&url),
            base.url().origin().ascii_serialization()
        ),
    ))
}

/// The oauth-uris extension has no `issuer` or `jwks_uri`, which an
/// id_token needs checking against: servers old enough to lack the SMART
/// configuration often have an OpenID one. Takes those two fields from it
/// into `doc`, and returns where they came from; nothing when it is absent
/// or unusable (it is optional).
async fn openid_keys(http: &Http, base: &FhirBase, doc: &mut Map<String, Value>) -> Option<String> {
    let url = base.join(".well-known/openid-configuration");
    let resp = http
        .send(
            http.request(Method::GET, url.clone())
                .header(ACCEPT, "application/json"),
            WELL_KNOWN_LIMIT,
        )
        .await
        .ok()?;
    let Ok(Value::Object(oidc)) = usable_json(&resp, &http.secret_header_values()) else {
        return None;
    };
    let mut took = false;
    for field in ["issuer", "jwks_uri"] {
        if let Some(v @ Value::String(_)) = oidc.get(field)
            && !doc.contains_key(field)
        {
            doc.insert(field.to_owned(), v.clone());
            took = true;
        }
    }
    took.then(|| url.to_string())
}

/// True when a `rest` entry's security names the SMART-on-FHIR service
/// (`http://terminology.hl7.org/CodeSystem/restful-security-service`).
fn has_smart_service(cs: &Value) -> bool {
    let rests = cs.get("rest").and_then(Value::as_array);
    rests.into_iter().flatten().any(|rest| {
        let services = rest.pointer("/security/service").and_then(Value::as_array);
        services.into_iter().flatten().any(|svc| {
            let codings = svc.get("coding").and_then(Value::as_array);
            codings
                .into_iter()
                .flatten()
                .any(|c| c.get("code").and_then(Value::as_str) == Some("SMART-on-FHIR"))
        })
    })
}

/// The body as JSON when the answer is a 2xx JSON document; else why not,
/// without `hide` (the secret custom header values the request carried,
/// should the server echo them).
fn usable_json(resp: &http::Response, hide: &[String]) -> std::result::Result<Value, String> {
    if resp.status == StatusCode::NOT_FOUND {
        return Err("is absent (404 Not Found)".into());
    }
    if !resp.status.is_success() {
        return Err(format!("answered {}", resp.status));
    }
    match serde_json::from_slice::<Value>(&resp.body) {
        Ok(v) => Ok(v),
        Err(e) => {
            let ct = resp.content_type().unwrap_or("no content type");
            Err(format!(
                "is not JSON ({ct}, {e}; starts with `{}`)",
                resp.snippet_hiding(hide)
            ))
        }
    }
}

/// Builds a SMART-configuration-shaped document from the `oauth-uris`
/// extension of a CapabilityStatement.
pub fn from_capability_statement(cs: &Value) -> Option<Map<String, Value>> {
    let rests = cs.get("rest")?.as_array()?;
    for rest in rests {
        let Some(exts) = rest
            .pointer("/security/extension")
            .and_then(Value::as_array)
        else {
            continue;
        };
        for ext in exts {
            if ext.get("url").and_then(Value::as_str) != Some(OAUTH_URIS_EXTENSION) {
                continue;
            }
            let mut doc = Map::new();
            for inner in ext
                .get("extension")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let (Some(name), Some(uri)) = (
                    inner.get("url").and_then(Value::as_str),
                    inner.get("valueUri").and_then(Value::as_str),
                ) else {
                    continue;
                };
                if let Some((field, _)) = ENDPOINTS.iter().find(|(_, short)| *short == name) {
                    doc.insert((*field).to_owned(), json!(uri));
                }
            }
            return Some(doc);
        }
    }
    None
}

#[cfg(test)]
mod proptests;

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> Map<String, Value> {
        json!({
            "issuer": "https://ehr.example.org",
            "jwks_uri": "https://ehr.example.org/jwks",
            "authorization_endpoint": "https://ehr.example.org/auth/authorize",
            "token_endpoint": "https://ehr.example.org/auth/token",
            "grant_types_supported": ["authorization_code", "client_credentials"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "private_key_jwt"],
            "scopes_supported": ["openid", "patient/*.rs"],
            "response_types_supported": ["code"],
            "capabilities": ["launch-standalone", "client-public", "sso-openid-connect"],
            "code_challenge_methods_supported": ["S256"]
        })
        .as_object()
        .unwrap()
        .clone()
    }

    fn fields(f: &[Finding], sev: Severity) -> Vec<&str> {
        f.iter()
            .filter(|x| x.severity == sev)
            .map(|x| x.field.as_str())
            .collect()
    }

    #[test]
    fn a_conformant_document_has_no_findings() {
        assert_eq!(validate(&good()), vec![]);
    }

    #[test]
    fn missing_s256_and_plain_are_errors() {
        let mut d = good();
        d.insert("code_challenge_methods_supported".into(), json!(["plain"]));
        let f = validate(&d);
        assert_eq!(
            fields(&f, Severity::Error),
            [
                "code_challenge_methods_supported",
                "code_challenge_methods_supported"
            ]
        );
    }

    #[test]
    fn launch_needs_authorize_endpoint_and_oidc_needs_issuer() {
        let mut d = good();
        d.remove("authorization_endpoint");
        d.remove("issuer");
        let f = validate(&d);
        let errs = fields(&f, Severity::Error);
        assert!(errs.contains(&"authorization_endpoint"), "{f:?}");
        assert!(errs.contains(&"issuer"), "{f:?}");
    }

    #[test]
    fn http_endpoints_are_errors_unless_loopback() {
        let mut d = good();
        d.insert(
            "token_endpoint".into(),
            json!("http://ehr.example.org/token"),
        );
        assert_eq!(fields(&validate(&d), Severity::Error), ["token_endpoint"]);
        d.insert("token_endpoint".into(), json!("http://127.0.0.1:9/token"));
        assert!(fields(&validate(&d), Severity::Error).is_empty());
    }

    #[test]
    fn unknown_capabilities_and_missing_recommended_fields_are_warnings() {
        let mut d = good();
        d.insert(
            "capabilities".into(),
            json!(["launch-standalone", "lauch-ehr"]),
        );
        d.remove("scopes_supported");
        let f = validate(&d);
        assert!(fields(&f, Severity::Error).is_empty(), "{f:?}");
        // (sso-openid-connect went with the old list: the issuer warns too)
        assert_eq!(
            fields(&f, Severity::Warning),
            ["capabilities", "issuer", "scopes_supported"]
        );
    }

    #[test]
    fn oauth_uris_are_read_from_a_capability_statement() {
        let cs = json!({"resourceType":"CapabilityStatement","rest":[{"mode":"server","security":{"extension":[{
            "url": OAUTH_URIS_EXTENSION,
            "extension":[{"url":"authorize","valueUri":"https://x/a"},{"url":"token","valueUri":"https://x/t"},{"url":"revoke","valueUri":"https://x/r"}]}]}}]});
        let d = from_capability_statement(&cs).unwrap();
        assert_eq!(d["authorization_endpoint"], "https://x/a");
        assert_eq!(d["token_endpoint"], "https://x/t");
        assert_eq!(d["revocation_endpoint"], "https://x/r");
        assert!(from_capability_statement(&json!({"rest":[{}]})).is_none());
    }

    #[test]
    fn the_smart_service_coding_is_found() {
        let coded = json!({"rest": [{"security": {"service": [{"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
            "code": "SMART-on-FHIR"}]}]}}]});
        assert!(has_smart_service(&coded));
        assert!(!has_smart_service(
            &json!({"rest": [{"security": {"service": [{"text": "OAuth"}]}}]})
        ));
        assert!(!has_smart_service(&json!({"rest": [{}]})));
    }

    #[test]
    fn base_urls_are_checked() {
        assert_eq!(
            parse_base("https://x.org/fhir/").unwrap().as_str(),
            "https://x.org/fhir"
        );
        assert!(parse_base("http://127.0.0.1:8080/fhir").is_ok());
        assert!(parse_base("http://localhost/fhir").is_ok());
        assert!(parse_base("http://x.org/fhir").is_err());
        assert!(parse_base("not a url").is_err());
        assert!(parse_base("ftp://x.org").is_err());
        assert!(parse_base("https://x.org/fhir?a=b").is_err());
    }

    #[test]
    fn a_token_endpoint_on_another_origin_is_a_warning() {
        let base = parse_base("https://ehr.example.org/fhir").unwrap();
        let doc = good();
        assert_eq!(foreign_token_endpoint(&doc, &base), None);
        let mut d = good();
        d.insert(
            "token_endpoint".into(),
            json!("https://auth.example.net/token"),
        );
        let f = foreign_token_endpoint(&d, &base).unwrap();
        assert_eq!(
            (f.severity, f.field.as_str()),
            (Severity::Warning, "token_endpoint")
        );
        assert!(
            f.message.contains("https://auth.example.net/token"),
            "{}",
            f.message
        );
        assert!(
            f.message.contains("https://ehr.example.org"),
            "{}",
            f.message
        );
        // Same host, another port: another origin.
        d.insert(
            "token_endpoint".into(),
            json!("https://ehr.example.org:8443/token"),
        );
        assert!(foreign_token_endpoint(&d, &base).is_some());
    }

    #[test]
    fn join_keeps_the_base_path() {
        let b = parse_base("https://x.org/r4/").unwrap();
        assert_eq!(
            b.join(".well-known/smart-configuration").as_str(),
            "https://x.org/r4/.well-known/smart-configuration"
        );
    }
}
