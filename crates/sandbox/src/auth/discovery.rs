//! Discovery documents: `/.well-known/smart-configuration` (SMART App Launch
//! 2.x §Conformance), `/.well-known/openid-configuration`, the JWKS and the
//! `smart_style_url` document.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Json;
use axum::extract::State as AxState;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::{Fault, Quirk, State};

/// SMART 2.x capabilities the sandbox does not implement; it advertises all
/// the others (`smart_vocab::KNOWN_CAPABILITIES` is the one list).
const NOT_IMPLEMENTED: &[&str] = &["context-standalone-encounter"];

/// What the sandbox advertises: every capability it implements, less the
/// scope dialect a `scopes-v*-only` quirk takes away.
fn capabilities(state: &State) -> Vec<&'static str> {
    let only = crate::scopes::only_dialect(&state.opts.quirks);
    let no_openid = state.opts.faults.has(Fault::IssuerWithoutOpenid);
    smart_vocab::KNOWN_CAPABILITIES
        .iter()
        .copied()
        .filter(|c| !NOT_IMPLEMENTED.contains(c))
        .filter(|c| !(no_openid && *c == "sso-openid-connect"))
        .filter(|c| only.is_none_or(|d| !c.starts_with("permission-v") || *c == d.capability()))
        .collect()
}

/// `scopes_supported`, in the one dialect when a quirk leaves only one.
fn scopes_supported(state: &State) -> Vec<&'static str> {
    SCOPES_SUPPORTED
        .iter()
        .copied()
        .filter(|s| !crate::scopes::outside_dialect(&state.opts.quirks, s))
        .collect()
}

const SCOPES_SUPPORTED: &[&str] = &[
    "openid",
    "fhirUser",
    "profile",
    "launch",
    "launch/patient",
    "offline_access",
    "online_access",
    "patient/*.rs",
    "patient/*.cruds",
    "patient/*.read",
    "patient/*.write",
    "patient/*.*",
    "user/*.rs",
    "user/*.cruds",
    "user/*.read",
    "user/*.write",
    "user/*.*",
    "system/*.rs",
    "system/*.cruds",
    "system/*.read",
    "system/*.*",
    // SMART App State (`fhir/app_state.rs`).
    "patient/Basic.cruds",
    "user/Basic.cruds",
];

const AUTH_METHODS: &[&str] = &[
    "client_secret_basic",
    "client_secret_post",
    "private_key_jwt",
];
const GRANT_TYPES: &[&str] = &["authorization_code", "refresh_token", "client_credentials"];
const ASSERTION_ALGS: &[&str] = &["RS384", "ES384"];

fn smart_document(state: &State) -> Value {
    let mut doc = json!({
        "issuer": state.fhir_base_str(),
        "jwks_uri": state.auth_url("jwks").as_str(),
        "authorization_endpoint": state.auth_url("authorize").as_str(),
        "token_endpoint": state.auth_url("token").as_str(),
        "token_endpoint_auth_methods_supported": AUTH_METHODS,
        "token_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGS,
        "grant_types_supported": GRANT_TYPES,
        "registration_endpoint": state.auth_url("register").as_str(),
        "introspection_endpoint": state.auth_url("introspect").as_str(),
        "revocation_endpoint": state.auth_url("revoke").as_str(),
        "scopes_supported": scopes_supported(state),
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["S256"],
        "capabilities": capabilities(state),
    });
    if state.opts.faults.has(Fault::PkceNotAdvertised)
        && let Some(o) = doc.as_object_mut()
    {
        o.remove("code_challenge_methods_supported");
    }
    // `http-endpoint`: one URL built from the host name behind a TLS proxy.
    // No check uses the management endpoint, so only the https one fails.
    if state.opts.faults.has(Fault::HttpEndpoint) {
        doc["management_endpoint"] = json!(HTTP_MANAGEMENT_ENDPOINT);
    }
    doc
}

/// What `http-endpoint` advertises: plain http, and not loopback.
const HTTP_MANAGEMENT_ENDPOINT: &str = "http://sandbox.internal:8080/auth/manage";

pub(crate) async fn smart_configuration(AxState(state): AxState<Arc<State>>) -> Response {
    if state.opts.quirks.has(Quirk::NoWellKnown) {
        return (StatusCode::NOT_FOUND, "Not Found").into_response();
    }
    // Browser apps read discovery cross-origin (the CapabilityStatement
    // says `cors: true`).
    if state.opts.faults.has(crate::Fault::NoCors) {
        return Json(smart_document(&state)).into_response();
    }
    (
        [(axum::http::header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")],
        Json(smart_document(&state)),
    )
        .into_response()
}

pub(crate) async fn openid_configuration(AxState(state): AxState<Arc<State>>) -> Response {
    let mut doc = json!({
        "issuer": state.fhir_base_str(),
        "authorization_endpoint": state.auth_url("authorize").as_str(),
        "token_endpoint": state.auth_url("token").as_str(),
        "jwks_uri": state.auth_url("jwks").as_str(),
        "registration_endpoint": state.auth_url("register").as_str(),
        "introspection_endpoint": state.auth_url("introspect").as_str(),
        "revocation_endpoint": state.auth_url("revoke").as_str(),
        "scopes_supported": scopes_supported(&state),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": GRANT_TYPES,
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [super::keys::ID_TOKEN_ALG_NAME],
        "token_endpoint_auth_methods_supported": AUTH_METHODS,
        "token_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGS,
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "nonce", "fhirUser", "name"],
        "code_challenge_methods_supported": ["S256"],
    });
    if state.opts.faults.has(Fault::PkceNotAdvertised)
        && let Some(o) = doc.as_object_mut()
    {
        o.remove("code_challenge_methods_supported");
    }
    if state.opts.faults.has(Fault::OpenidConfigNoRs256) {
        doc["id_token_signing_alg_values_supported"] = json!(["ES256"]);
    }
    Json(doc).into_response()
}

/// The JWKS. With the `jwks-rotation` quirk the first answer is the set
/// from before the rotation: a client that fetched it once and caches it
/// meets id_tokens signed with a key it does not have yet.
pub(crate) async fn jwks(AxState(state): AxState<Arc<State>>) -> Response {
    let served = state.auth.jwks_served.fetch_add(1, Ordering::Relaxed);
    let rotated = state.opts.quirks.has(Quirk::JwksRotation) && served > 0;
    match state.auth.keys.jwks(rotated) {
        Ok(set) => Json(set).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// The `smart_style_url` target (SMART App Launch §Styling).
pub(crate) async fn smart_style() -> Response {
    Json(json!({
        "color_background": "#f6f7f9",
        "color_error": "#b3261e",
        "color_highlight": "#5b3cc4",
        "color_modal_backdrop": "",
        "color_success": "#2e7d32",
        "color_text": "#1c1b1f",
        "dim_border_radius": "6px",
        "dim_font_size": "14px",
        "dim_spacing_size": "16px",
        "font_family_body": "system-ui, sans-serif",
        "font_family_heading": "system-ui, sans-serif"
    }))
    .into_response()
}
