//! Proxy mode (`--upstream URL`): SMART authorization in front of a plain
//! FHIR server.
//!
//! Each authorized request is forwarded with its method, path, query, body
//! and the content-negotiation/precondition headers — never the client's
//! `Authorization`, which is our token, not the upstream's. Upstream URLs in
//! the response (paging links, `fullUrl`, `Location`) are rewritten to this
//! sandbox's base so clients keep talking to us.
//!
//! Scopes are enforced on the resource type in the path. A patient-scoped
//! token is confined to its compartment twice over: searches get an extra
//! `_id=` (Patient) or `patient=` (other types) constraint, and whatever
//! comes back is checked — Bundle entries outside the compartment are
//! dropped, a single resource outside it is a 403. Writes are checked on the
//! body and, for update/delete, on the current upstream version.

use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use serde_json::Value;
use url::Url;

use smart_vocab::base::has_path_parameter;

use super::facts::normalize_ref;
use super::handlers::authorize;
use super::outcome::Outcome;
use crate::{Grant, Interaction, State};

pub(crate) struct Proxy {
    /// Upstream FHIR base without trailing slash, as text (for rewriting).
    base: String,
    /// The same base as a URL, to which request paths are appended segment
    /// by segment.
    base_url: Url,
    client: reqwest::Client,
}

/// `Accept` is not among them: the proxy always asks for JSON, the one
/// format whose compartment it can check.
const FORWARD_REQUEST: &[HeaderName] = &[
    header::CONTENT_TYPE,
    header::IF_MATCH,
    header::IF_NONE_MATCH,
    header::IF_MODIFIED_SINCE,
];
const FORWARD_REQUEST_NAMED: &[&str] = &["prefer", "if-none-exist"];
const FORWARD_RESPONSE: &[HeaderName] = &[
    header::CONTENT_TYPE,
    header::ETAG,
    header::LAST_MODIFIED,
    header::LOCATION,
    header::CONTENT_LOCATION,
    header::RETRY_AFTER,
];

fn bad_gateway(e: impl std::fmt::Display) -> Outcome {
    Outcome::new(
        StatusCode::BAD_GATEWAY,
        "exception",
        format!("upstream FHIR server: {e}"),
    )
}

/// One segment of a proxied path, percent-decoded. Dot segments and
/// encoded `.`, `/` or `\` are refused: the upstream URL is normalized
/// (WHATWG URL: `%2e%2e` is `..`) and a later decoder may split on `%2f`,
/// so any of them could walk a request out of the upstream base to the
/// upstream's other paths. So are path parameters (`;`, `%3b`): Tomcat and
/// Jetty take `..;` for `..`, which no URL parser resolves.
fn checked_segment(raw: &str) -> Result<String, Outcome> {
    let lower = raw.to_ascii_lowercase();
    if has_path_parameter(raw) {
        return Err(Outcome::bad_request(format!(
            "the path segment `{raw}` is refused: a proxied path has no path parameters (`;`)"
        )));
    }
    if matches!(raw, "." | "..")
        || raw.contains('\\')
        || ["%2e", "%2f", "%5c"].iter().any(|e| lower.contains(e))
    {
        return Err(Outcome::bad_request(format!(
            "the path segment `{raw}` is refused: a proxied path has no dot segments and no encoded `.`, `/` or `\\`"
        )));
    }
    percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| Outcome::bad_request(format!("the path segment `{raw}` is not UTF-8")))
}

/// Replaces `from` by `to` wherever `from` is followed by a URL boundary,
/// so `http://up/fhir` is rewritten in `http://up/fhir/Patient` but not in
/// `http://up/fhirish`.
pub(crate) fn rewrite(body: &[u8], from: &str, to: &str) -> Vec<u8> {
    let from = from.as_bytes();
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        if body[i..].starts_with(from) {
            let next = body.get(i + from.len()).copied();
            if matches!(next, None | Some(b'/' | b'?' | b'"' | b'#' | b'\\')) {
                out.extend_from_slice(to.as_bytes());
                i += from.len();
                continue;
            }
        }
        out.push(body[i]);
        i += 1;
    }
    out
}

/// Is this JSON resource in `Patient/{patient}`'s compartment? Checked on
/// the usual patient-pointing elements, since the upstream may hold types
/// the synthetic store does not.
fn resource_in_compartment(v: &Value, patient: &str) -> bool {
    let rtype = v.get("resourceType").and_then(Value::as_str).unwrap_or("");
    if rtype == "Patient" {
        return v.get("id").and_then(Value::as_str) == Some(patient);
    }
    if rtype == "OperationOutcome" {
        return true;
    }
    let want = format!("Patient/{patient}");
    ["subject", "patient", "beneficiary", "individual"]
        .iter()
        .filter_map(|k| v.get(*k))
        .flat_map(|r| match r {
            Value::Array(a) => a.iter().collect::<Vec<_>>(),
            other => vec![other],
        })
        .filter_map(|r| r.get("reference").and_then(Value::as_str))
        .any(|r| normalize_ref(r) == want)
}

/// Drops Bundle entries outside the compartment; `Err` if a single resource
/// is outside it, or if the answer is not JSON: what cannot be checked is
/// never passed through to a patient-limited token.
fn confine(body: &[u8], patient: &str) -> Result<Option<Vec<u8>>, Outcome> {
    let Ok(mut v) = serde_json::from_slice::<Value>(body) else {
        return Err(bad_gateway(
            "the upstream answer is not JSON, so its patient compartment cannot be checked",
        ));
    };
    if v.get("resourceType").and_then(Value::as_str) == Some("Bundle") {
        let mut dropped = 0;
        if let Some(entries) = v.get_mut("entry").and_then(Value::as_array_mut) {
            let before = entries.len();
            entries.retain(|e| {
                e.get("resource")
                    .is_none_or(|r| resource_in_compartment(r, patient))
            });
            dropped = before - entries.len();
        }
        if dropped == 0 {
            return Ok(None);
        }
        if let Some(t) = v.get("total").and_then(Value::as_u64) {
            v["total"] = Value::from(t.saturating_sub(dropped as u64));
        }
        return Ok(Some(v.to_string().into_bytes()));
    }
    if resource_in_compartment(&v, patient) {
        Ok(None)
    } else {
        Err(Outcome::forbidden(format!(
            "the resource is outside the compartment of Patient/{patient} this token is limited to"
        )))
    }
}

impl Proxy {
    pub(crate) fn new(url: &Url) -> anyhow::Result<Proxy> {
        if url.cannot_be_a_base() {
            anyhow::bail!("the upstream `{url}` is not an http(s) URL with a path");
        }
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let base = url.as_str().trim_end_matches('/').to_string();
        let mut base_url = url.clone();
        base_url.set_query(None);
        base_url.set_fragment(None);
        Ok(Proxy {
            base,
            base_url,
            client,
        })
    }

    /// The upstream base with `segs` appended as path segments (each
    /// percent-encoded again by `push`, never re-parsed from joined text)
    /// and `query` as the query.
    fn upstream_url(&self, segs: &[&str], query: &str) -> Url {
        let mut url = self.base_url.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segs);
        }
        url.set_query((!query.is_empty()).then_some(query));
        url
    }

    /// The upstream CapabilityStatement, URLs rewritten.
    pub(crate) async fn metadata(&self, state: &State) -> Result<Value, Outcome> {
        let r = self
            .client
            .get(format!("{}/metadata", self.base))
            .header(header::ACCEPT, "application/fhir+json")
            .send()
            .await
            .map_err(bad_gateway)?;
        if !r.status().is_success() {
            return Err(bad_gateway(format!("/metadata answered {}", r.status())));
        }
        let body = r.bytes().await.map_err(bad_gateway)?;
        let body = rewrite(&body, &self.base, state.fhir_base_str());
        serde_json::from_slice(&body).map_err(|e| bad_gateway(format!("/metadata: {e}")))
    }

    async fn send(
        &self,
        method: Method,
        url: Url,
        headers: &HeaderMap,
        body: Bytes,
    ) -> Result<reqwest::Response, Outcome> {
        let method =
            reqwest::Method::from_bytes(method.as_str().as_bytes()).map_err(bad_gateway)?;
        let mut req = self
            .client
            .request(method, url)
            .header(header::ACCEPT, "application/fhir+json");
        for name in FORWARD_REQUEST {
            for v in headers.get_all(name) {
                req = req.header(name.as_str(), v.as_bytes());
            }
        }
        for name in FORWARD_REQUEST_NAMED {
            for v in headers.get_all(*name) {
                req = req.header(*name, v.as_bytes());
            }
        }
        if !body.is_empty() {
            req = req.body(body);
        }
        req.send().await.map_err(bad_gateway)
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn forward(
        &self,
        state: &State,
        grant: &Grant,
        method: &Method,
        raw_segs: &[&str],
        query: Option<&str>,
        headers: &HeaderMap,
        body: Bytes,
    ) -> Result<Response, Outcome> {
        let decoded = raw_segs
            .iter()
            .map(|s| checked_segment(s))
            .collect::<Result<Vec<_>, _>>()?;
        let segs: Vec<&str> = decoded.iter().map(String::as_str).collect();
        let rtype = segs.first().copied().unwrap_or("");
        if !(rtype.starts_with(|c: char| c.is_ascii_uppercase())
            && rtype.chars().all(|c| c.is_ascii_alphanumeric()))
        {
            return Err(Outcome::not_found(format!(
                "the proxy forwards type and instance interactions only; `{rtype}` is not a resource type"
            )));
        }
        let rest = &segs[1..];
        let interaction = match (method, rest) {
            (&Method::GET, []) | (&Method::POST, ["_search"]) => Interaction::Search,
            (&Method::GET, [op]) if op.starts_with('$') => Interaction::Search,
            (&Method::GET, _) => Interaction::Read,
            (&Method::POST, []) => Interaction::Create,
            (&Method::PUT | &Method::PATCH, [_]) => Interaction::Update,
            (&Method::DELETE, [_]) => Interaction::Delete,
            _ => {
                return Err(Outcome::new(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "not-supported",
                    format!("the proxy does not forward {method} {}", segs.join("/")),
                ));
            }
        };
        let patient = authorize(grant, rtype, interaction)?;
        let ours = state.fhir_base_str();

        let mut method = method.clone();
        let mut path = segs.clone();
        // `_format` would override the Accept the proxy sends (FHIR http.html).
        let mut query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(
                url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
                    .filter(|(k, _)| k != "_format"),
            )
            .finish();
        let mut body = body;
        if interaction == Interaction::Search {
            if method == Method::POST {
                // A form-encoded _search becomes a GET with the same
                // parameters, which is simpler to constrain.
                let form = String::from_utf8_lossy(&body).into_owned();
                query = [query, form]
                    .into_iter()
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join("&");
                method = Method::GET;
                path = vec![rtype];
                body = Bytes::new();
            }
            if let Some(p) = &patient {
                let key = if rtype == "Patient" { "_id" } else { "patient" };
                let extra = url::form_urlencoded::Serializer::new(String::new())
                    .append_pair(key, p)
                    .finish();
                query = if query.is_empty() {
                    extra
                } else {
                    format!("{query}&{extra}")
                };
            }
        }
        let url = self.upstream_url(&path, &query);

        if let Some(p) = &patient {
            if matches!(interaction, Interaction::Create | Interaction::Update) {
                let v: Value = serde_json::from_slice(&body).map_err(|e| {
                    Outcome::bad_request(format!("the body is not valid JSON: {e}"))
                })?;
                if !resource_in_compartment(&v, p) {
                    return Err(Outcome::forbidden(format!(
                        "this token is limited to Patient/{p}'s compartment; the resource must reference it"
                    )));
                }
            }
            if matches!(interaction, Interaction::Update | Interaction::Delete) {
                let current = self
                    .send(
                        Method::GET,
                        self.upstream_url(&path, ""),
                        &HeaderMap::new(),
                        Bytes::new(),
                    )
                    .await?;
                if current.status().is_success() {
                    let b = current.bytes().await.map_err(bad_gateway)?;
                    confine(&b, p)?;
                }
            }
        }

        let upstream = self.send(method, url, headers, body).await?;
        let status = StatusCode::from_u16(upstream.status().as_u16()).map_err(bad_gateway)?;
        let mut out_headers = HeaderMap::new();
        for name in FORWARD_RESPONSE {
            for v in upstream.headers().get_all(name.as_str()) {
                let v = if *name == header::LOCATION || *name == header::CONTENT_LOCATION {
                    let s = String::from_utf8_lossy(v.as_bytes());
                    let r = rewrite(s.as_bytes(), &self.base, ours);
                    HeaderValue::from_bytes(&r).ok()
                } else {
                    HeaderValue::from_bytes(v.as_bytes()).ok()
                };
                if let Some(v) = v {
                    out_headers.append(name.clone(), v);
                }
            }
        }
        let raw = upstream.bytes().await.map_err(bad_gateway)?;
        let mut bytes = rewrite(&raw, &self.base, ours);
        if let Some(p) = &patient
            && status.is_success()
            && matches!(interaction, Interaction::Read | Interaction::Search)
            && let Some(filtered) = confine(&bytes, p)?
        {
            bytes = filtered;
        }
        let mut r = Response::new(axum::body::Body::from(bytes));
        *r.status_mut() = status;
        *r.headers_mut() = out_headers;
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_that_is_not_json_is_never_passed_to_a_patient_token() {
        let xml = br#"<Patient xmlns="http://hl7.org/fhir"><id value="2"/></Patient>"#;
        let e = confine(xml, "1").unwrap_err();
        assert_eq!(e.status, StatusCode::BAD_GATEWAY);
        let own = br#"{"resourceType":"Patient","id":"1"}"#;
        assert!(confine(own, "1").unwrap().is_none());
        let other = br#"{"resourceType":"Patient","id":"2"}"#;
        assert_eq!(
            confine(other, "1").unwrap_err().status,
            StatusCode::FORBIDDEN
        );
    }

    #[test]
    fn rewrites_on_boundaries_only() {
        let body =
            br#"{"url":"http://up/fhir/Patient?x=1","b":"http://up/fhir","c":"http://up/fhirish"}"#;
        let out = rewrite(body, "http://up/fhir", "http://me/fhir");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"url":"http://me/fhir/Patient?x=1","b":"http://me/fhir","c":"http://up/fhirish"}"#
        );
    }

    #[test]
    fn compartment_filter() {
        let bundle = serde_json::json!({"resourceType": "Bundle", "total": 2, "entry": [
            {"resource": {"resourceType": "Observation", "subject": {"reference": "Patient/a"}}},
            {"resource": {"resourceType": "Observation", "subject": {"reference": "Patient/b"}}}
        ]});
        let out = confine(bundle.to_string().as_bytes(), "a")
            .unwrap()
            .unwrap();
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["entry"].as_array().unwrap().len(), 1);
        let one = serde_json::json!({"resourceType": "Patient", "id": "b"});
        assert!(confine(one.to_string().as_bytes(), "a").is_err());
    }
}
