//! `/auth/revoke` (RFC 7009). The client authenticates as at the token
//! endpoint; revoking an unknown, expired or foreign token still answers
//! 200, so that the endpoint reveals nothing about tokens (§2.2).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::client_auth;
use super::error::OAuthError;
use super::params::{Params, is_form};
use crate::State;

pub(crate) async fn revoke(
    AxState(state): AxState<Arc<State>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !is_form(&headers) {
        return OAuthError::invalid_request(
            "the revocation request must be application/x-www-form-urlencoded",
        )
        .into_response();
    }
    let p = Params::parse(&body);
    let authn = match client_auth::authenticate(&state, &headers, &p).await {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let Some(token) = p.get("token") else {
        return OAuthError::invalid_request("token is missing").into_response();
    };
    state.auth.store.revoke(token, &authn.client.client_id);
    StatusCode::OK.into_response()
}
