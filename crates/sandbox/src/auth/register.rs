//! `/auth/register`: RFC 7591 dynamic client registration, open (no initial
//! access token) as befits a sandbox; and `DELETE /auth/register/{id}`
//! (RFC 7592 §2.3) with the `registration_access_token` the registration
//! gave, so that a client registered by a test or a check can be removed.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State as AxState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::clients::{Client, MetadataError};
use super::error::no_store_json;
use super::{random_token, unix};
use crate::State;

fn refuse(e: MetadataError) -> Response {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(json!({ "error": e.error, "error_description": e.description })),
    )
        .into_response()
}

pub(crate) async fn register(
    AxState(state): AxState<Arc<State>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !super::params::is_json(&headers) {
        return refuse(MetadataError {
            error: "invalid_client_metadata",
            description: "the registration request must be application/json".into(),
        });
    }
    let meta: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return refuse(MetadataError {
                error: "invalid_client_metadata",
                description: format!("the body is not JSON: {e}"),
            });
        }
    };
    let client_id = format!("dyn-{}", &random_token()[..16]);
    // A secret is generated for the symmetric methods only; from_metadata
    // discards it otherwise.
    let client = match Client::from_metadata(
        &meta,
        client_id,
        Some(random_token()),
        state.opts.allow_loopback_jwks_uri,
    ) {
        Ok(c) => c,
        Err(e) => return refuse(e),
    };
    let mut out = client.metadata();
    out["client_id_issued_at"] = json!(unix(state.now()));
    let access = random_token();
    out["registration_client_uri"] = json!(
        state
            .auth_url(&format!("register/{}", client.client_id))
            .as_str()
    );
    out["registration_access_token"] = json!(access);
    state
        .auth
        .registrations
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(client.client_id.clone(), access);
    state.auth.clients.insert(client);
    no_store_json(StatusCode::CREATED, out)
}

/// RFC 7592 §2.3: deletes a client registered at run time, authorized by its
/// `registration_access_token`; 204, or 401 for any other token (an unknown
/// client included, as §2 asks, so that ids cannot be probed).
pub(crate) async fn unregister(
    AxState(state): AxState<Arc<State>>,
    Path(client_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let given = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let mut registrations = state
        .auth
        .registrations
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    match (given, registrations.get(&client_id)) {
        (Some(g), Some(t)) if g == t => {
            registrations.remove(&client_id);
            state.auth.clients.remove(&client_id);
            StatusCode::NO_CONTENT.into_response()
        }
        _ => (
            StatusCode::UNAUTHORIZED,
            [(
                axum::http::header::WWW_AUTHENTICATE,
                "Bearer error=\"invalid_token\"",
            )],
        )
            .into_response(),
    }
}
