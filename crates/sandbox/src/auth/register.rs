//! `/auth/register`: RFC 7591 dynamic client registration, open (no initial
//! access token) as befits a sandbox.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State as AxState;
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
    state.auth.clients.insert(client);
    no_store_json(StatusCode::CREATED, out)
}
