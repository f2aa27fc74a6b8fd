//! FHIR responses: JSON bodies with the FHIR content type, and errors as
//! OperationOutcome resources with the status code the spec asks for.

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

pub(crate) const FHIR_JSON: &str = "application/fhir+json; charset=utf-8";

/// An error answered with an OperationOutcome.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub(crate) status: StatusCode,
    /// FHIR `IssueType` code.
    pub(crate) code: &'static str,
    pub(crate) diagnostics: String,
    pub(crate) headers: Vec<(HeaderName, String)>,
}

impl Outcome {
    pub(crate) fn new(
        status: StatusCode,
        code: &'static str,
        diagnostics: impl Into<String>,
    ) -> Self {
        Outcome {
            status,
            code,
            diagnostics: diagnostics.into(),
            headers: Vec::new(),
        }
    }
    pub(crate) fn bad_request(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid", d)
    }
    pub(crate) fn forbidden(d: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", d)
    }
    pub(crate) fn not_found(d: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", d)
    }
    pub(crate) fn unprocessable(d: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "processing", d)
    }
    pub(crate) fn with_header(mut self, name: HeaderName, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub(crate) fn json(&self) -> String {
        serde_json::json!({
            "resourceType": "OperationOutcome",
            "issue": [{
                "severity": "error",
                "code": self.code,
                "diagnostics": self.diagnostics,
            }]
        })
        .to_string()
    }
}

impl IntoResponse for Outcome {
    fn into_response(self) -> Response {
        let mut r = fhir(self.status, self.json());
        for (k, v) in self.headers {
            if let Ok(v) = HeaderValue::from_str(&v) {
                r.headers_mut().append(k, v);
            }
        }
        r
    }
}

/// A FHIR JSON response.
pub(crate) fn fhir(status: StatusCode, body: impl Into<Body>) -> Response {
    let mut r = Response::new(body.into());
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(FHIR_JSON));
    r
}

/// `ETag` for a version id.
pub(crate) fn etag(vid: u32) -> String {
    format!("W/\"{vid}\"")
}

/// The version an `If-Match` names (`W/"3"`, `"3"` or `3`), if well formed.
pub(crate) fn if_match_version(v: &str) -> Option<u32> {
    let v = v.trim();
    let v = v.strip_prefix("W/").unwrap_or(v);
    v.trim_matches('"').parse().ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn if_match() {
        assert_eq!(super::if_match_version("W/\"3\""), Some(3));
        assert_eq!(super::if_match_version("\"3\""), Some(3));
        assert_eq!(super::if_match_version("x"), None);
    }
}
