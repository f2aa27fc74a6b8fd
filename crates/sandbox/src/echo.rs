//! `--fault echo-secrets`: a server that echoes what it was sent, as debug
//! builds of real servers do. Every answer repeats the request's body,
//! query and `Authorization` header, and the tokens the answer itself
//! carries, in an `x-echo` header and, in a JSON object, in `debug` (and in
//! `error_description` of an error). A client's reports must not repeat any
//! of it.

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::header::{AUTHORIZATION, CONTENT_LENGTH, LOCATION};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// More than any request or answer a client sends or reads here.
const LIMIT: usize = 4 << 20;

/// The token-shaped fields of an answer, echoed beside it.
const TOKENS: &[&str] = &[
    "access_token",
    "refresh_token",
    "id_token",
    "registration_access_token",
];

pub(crate) async fn echo(req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, LIMIT).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let mut said = vec![String::from_utf8_lossy(&bytes).into_owned()];
    said.extend(parts.uri.query().map(str::to_owned));
    said.extend(
        parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    );
    let resp = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;

    let (mut parts, body) = resp.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, LIMIT).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    // A redirect's Location carries the code (or the error) back.
    said.extend(
        parts
            .headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    );
    let mut json: Option<Value> = serde_json::from_slice(&bytes).ok().filter(Value::is_object);
    if let Some(doc) = &json {
        said.extend(
            TOKENS
                .iter()
                .filter_map(|t| doc.get(*t).and_then(Value::as_str).map(str::to_owned)),
        );
    }
    let said = said
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" | ");
    if let Ok(v) = HeaderValue::from_str(&said) {
        parts.headers.insert("x-echo", v);
    }
    let body = match &mut json {
        Some(doc) => {
            doc["debug"] = Value::String(format!("you sent: {said}"));
            if doc.get("error").is_some() {
                doc["error_description"] = Value::String(format!("bad request: {said}"));
            }
            parts.headers.remove(CONTENT_LENGTH);
            Bytes::from(serde_json::to_vec(&*doc).unwrap_or_default())
        }
        None => bytes,
    };
    Response::from_parts(parts, Body::from(body))
}
