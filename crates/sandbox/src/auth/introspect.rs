//! `/auth/introspect` (RFC 7662), for resource servers — the sandbox's own
//! proxy mode, `smart check`, or a test. The caller authenticates as a
//! confidential client or with any active bearer token; public clients
//! cannot introspect (they hold no credential).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::clients::AuthMethod;
use super::error::{OAuthError, no_store_json};
use super::params::{Params, is_form};
use super::store::Introspected;
use super::{client_auth, unix};
use crate::{Fault, State};

pub(crate) async fn introspect(
    AxState(state): AxState<Arc<State>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match handle(&state, &headers, &body).await {
        Ok(v) => no_store_json(StatusCode::OK, v),
        Err(e) => e.into_response(),
    }
}

fn uses_bearer(headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .is_some_and(|(s, _)| s.eq_ignore_ascii_case("bearer"))
}

async fn handle(state: &State, headers: &HeaderMap, body: &[u8]) -> Result<Value, OAuthError> {
    if !is_form(headers) {
        return Err(OAuthError::invalid_request(
            "the introspection request must be application/x-www-form-urlencoded",
        ));
    }
    let p = Params::parse(body);
    if uses_bearer(headers) {
        state.auth.authenticate(headers).map_err(|u| {
            OAuthError::new(StatusCode::UNAUTHORIZED, "invalid_token", u.description)
        })?;
    } else {
        let authn = client_auth::authenticate(state, headers, &p).await?;
        if authn.method == AuthMethod::None {
            return Err(OAuthError::invalid_client(
                "introspection needs client credentials or a bearer token",
            ));
        }
    }
    let token = p
        .get("token")
        .ok_or_else(|| OAuthError::invalid_request("token is missing"))?;
    let now = state.now();
    let base = state.fhir_base_str();
    let absolute = |u: &Option<String>| u.as_ref().map(|u| format!("{base}/{u}"));
    let faults = &state.opts.faults;
    let answer = match state.auth.store.introspect(token) {
        Some(Introspected::Access { grant, issued_at }) if grant.expires_at > now => {
            let mut v = json!({
                "active": true,
                "token_type": "Bearer",
                "scope": grant.scopes.join(" "),
                "client_id": grant.client_id,
                "exp": unix(grant.expires_at),
                "iat": unix(issued_at),
                "iss": base,
                "aud": base,
            });
            if let Some(u) = absolute(&grant.fhir_user) {
                v["sub"] = json!(grant.fhir_user);
                v["fhirUser"] = json!(u);
            }
            if let Some(pt) = &grant.patient {
                v["patient"] = json!(pt);
            }
            if let Some(e) = &grant.encounter {
                v["encounter"] = json!(e);
            }
            v
        }
        Some(Introspected::Refresh(r)) => {
            let mut v = json!({
                "active": true,
                "token_type": "refresh_token",
                "scope": r.auth.scopes.join(" "),
                "client_id": r.auth.client_id,
                "exp": unix(r.expires),
                "iat": unix(r.issued_at),
                "iss": base,
            });
            if let Some(u) = absolute(&r.auth.fhir_user) {
                v["sub"] = json!(r.auth.fhir_user);
                v["fhirUser"] = json!(u);
            }
            if let Some(pt) = &r.auth.patient {
                v["patient"] = json!(pt);
            }
            v
        }
        _ if faults.has(Fault::IntrospectionUnknownTokenError) => {
            return Err(OAuthError::new(
                StatusCode::BAD_REQUEST,
                "invalid_token",
                "no such token (fault introspection-unknown-token-error)",
            ));
        }
        _ if faults.has(Fault::IntrospectionInactiveSaysMore) => {
            json!({ "active": false, "token_type": "Bearer", "exp": 0 })
        }
        _ => json!({ "active": false }),
    };
    Ok(match answer {
        Value::Object(mut m)
            if m.get("active") == Some(&Value::Bool(true))
                && faults.has(Fault::IntrospectionFieldsMissing) =>
        {
            m.remove("client_id");
            m.remove("exp");
            Value::Object(m)
        }
        v => v,
    })
}
