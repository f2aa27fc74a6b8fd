//! What the sandbox received, for tests of protocol rules that must assert on
//! the server's side ("the token endpoint was never called", "one refresh for
//! two processes"), not only on the client's exit code. Off unless
//! [`Options::record`](crate::Options): a long `smart sandbox` run should not
//! grow its memory with every request.

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Bodies larger than this are not buffered for the journal (no SMART form is).
const FORM_LIMIT: usize = 1 << 20;

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    /// The path without the query, e.g. `/auth/token`.
    pub path: String,
    pub query: Vec<(String, String)>,
    /// The fields of an `application/x-www-form-urlencoded` body.
    pub form: Vec<(String, String)>,
    pub headers: HeaderMap,
    /// A JSON body (`application/json`, `application/fhir+json`), parsed;
    /// `None` for any other body, or one that is not JSON.
    pub json: Option<serde_json::Value>,
}

impl Received {
    /// The first value of a query or form field.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .chain(&self.form)
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A handle on the journal; clones share it.
#[derive(Debug, Clone, Default)]
pub struct Journal(Arc<Mutex<Vec<Received>>>);

impl Journal {
    pub fn all(&self) -> Vec<Received> {
        self.0.lock().expect("journal lock").clone()
    }

    /// The requests to `path`, in the order they arrived.
    pub fn to(&self, path: &str) -> Vec<Received> {
        self.all().into_iter().filter(|r| r.path == path).collect()
    }

    fn push(&self, r: Received) {
        self.0.lock().expect("journal lock").push(r);
    }
}

fn pairs(s: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(s.as_bytes())
        .into_owned()
        .collect()
}

/// Middleware: records the request, then hands it on unchanged.
pub(crate) async fn record(State(journal): State<Journal>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let ct = parts
        .headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let is_form = ct.starts_with("application/x-www-form-urlencoded");
    let mime = ct.split(';').next().unwrap_or("").trim();
    let is_json = mime == "application/json" || mime.ends_with("+json");
    let bytes = match axum::body::to_bytes(body, FORM_LIMIT).await {
        Ok(b) => b,
        Err(_) => return axum::http::StatusCode::PAYLOAD_TOO_LARGE.into_response(),
    };
    journal.push(Received {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(pairs).unwrap_or_default(),
        form: if is_form {
            pairs(&String::from_utf8_lossy(&bytes))
        } else {
            Vec::new()
        },
        headers: parts.headers.clone(),
        json: if is_json {
            serde_json::from_slice(&bytes).ok()
        } else {
            None
        },
    });
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}
