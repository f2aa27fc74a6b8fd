//! `GET Binary/{id}`: the content behind synthetic attachments (a
//! DocumentReference's note, a DiagnosticReport's `presentedForm`), whose
//! `url` is `Binary/{the resource's id}`. What notes hydration rehearses
//! against: the token rule applies as to any FHIR read.
//!
//! The raw bytes with their own `Content-Type` unless the client asks for
//! FHIR JSON only, then a `Binary` resource with the bytes as base64 `data`
//! (FHIR R4 http.html#binary).

use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::json;

use super::handlers::{authorize, store};
use super::outcome::Outcome;
use super::types::RType;
use crate::{Grant, Interaction, State};

/// The types whose attachments are served here, tried in this order.
const OWNERS: [RType; 2] = [RType::DocumentReference, RType::DiagnosticReport];

pub(crate) fn route(
    state: &State,
    grant: &Grant,
    method: &Method,
    rest: &[&str],
    headers: &HeaderMap,
) -> Result<Response, Outcome> {
    let [id] = rest else {
        return Err(Outcome::not_found(
            "this server serves Binary/{id} reads only",
        ));
    };
    if method != Method::GET {
        return Err(super::method_not_allowed(method, "GET"));
    }
    read(state, grant, id, headers)
}

fn read(state: &State, grant: &Grant, id: &str, headers: &HeaderMap) -> Result<Response, Outcome> {
    let store = store(state)?;
    let missing = || Outcome::not_found(format!("Binary/{id} does not exist"));
    let owner = OWNERS
        .iter()
        .find_map(|t| store.synth.parse_id(*t, id))
        .ok_or_else(missing)?;
    // A `Binary` scope, or read access to the resource that points here.
    let patient = match authorize(grant, "Binary", Interaction::Read) {
        Ok(p) => p,
        Err(e) => authorize(grant, owner.rtype().name(), Interaction::Read).map_err(|_| e)?,
    };
    if let Some(p) = &patient
        && !store.synth.facts(owner).in_compartment(owner.rtype(), p)
    {
        return Err(Outcome::forbidden(format!(
            "Binary/{id} is outside the compartment of Patient/{p} this token is limited to"
        )));
    }
    let (content_type, body) = store.synth.attachment_content(owner).ok_or_else(missing)?;
    let mut r = if wants_fhir_json(headers, content_type) {
        let data = base64::engine::general_purpose::STANDARD.encode(body.as_bytes());
        let v = json!({
            "resourceType": "Binary",
            "id": id,
            "contentType": content_type,
            "data": data,
        });
        let mut r = (StatusCode::OK, v.to_string()).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/fhir+json"),
        );
        r
    } else {
        let mut r = (StatusCode::OK, body).into_response();
        let ct = format!("{content_type}; charset=utf-8");
        if let Ok(v) = HeaderValue::from_str(&ct) {
            r.headers_mut().insert(header::CONTENT_TYPE, v);
        }
        r
    };
    r.headers_mut()
        .insert(header::ETAG, HeaderValue::from_static("W/\"1\""));
    Ok(r)
}

/// True when `Accept` names FHIR JSON (or JSON) and neither the content's
/// own type nor a wildcard: a client that asks for the resource gets it.
fn wants_fhir_json(headers: &HeaderMap, content_type: &str) -> bool {
    let accept: Vec<String> = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|m| {
            m.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .collect();
    let json = accept
        .iter()
        .any(|m| m == "application/fhir+json" || m == "application/json");
    let raw = accept.iter().any(|m| {
        m == content_type
            || m == "*/*"
            || m.strip_suffix("/*")
                .is_some_and(|t| content_type.starts_with(t))
    });
    json && !raw
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_resource_only_when_asked_for_alone() {
        let h = |a: &str| {
            let mut m = HeaderMap::new();
            m.insert(header::ACCEPT, HeaderValue::from_str(a).unwrap());
            m
        };
        assert!(wants_fhir_json(&h("application/fhir+json"), "text/plain"));
        assert!(wants_fhir_json(&h("application/json;q=0.9"), "text/html"));
        assert!(!wants_fhir_json(&h("text/plain"), "text/plain"));
        assert!(!wants_fhir_json(
            &h("application/fhir+json, text/*"),
            "text/html"
        ));
        assert!(!wants_fhir_json(&h("*/*"), "text/html"));
        assert!(!wants_fhir_json(&HeaderMap::new(), "text/html"));
    }
}
