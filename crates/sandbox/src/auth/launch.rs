//! `/auth/launch`: plays the EHR for an EHR launch. Given the app's launch
//! URL and a context (patient, encounter), it issues a `launch` value and
//! returns the URL the EHR would open: `app?iss=FHIR_BASE&launch=ID`.
//!
//! Parameters (`app`, `patient`, `encounter`) come from the query string of
//! a GET, or a form or JSON body of a POST. Without `patient`, the first
//! synthetic patient is in context, as in an EHR where a chart is open.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State as AxState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use url::Url;

use super::error::OAuthError;
use super::params::Params;
use super::store::LaunchContext;
use crate::{Fault, State};

pub(crate) async fn launch_get(
    AxState(state): AxState<Arc<State>>,
    RawQuery(q): RawQuery,
) -> Response {
    let p = Params::parse(q.unwrap_or_default().as_bytes());
    respond(&state, p.get("app"), p.get("patient"), p.get("encounter"))
}

pub(crate) async fn launch_post(
    AxState(state): AxState<Arc<State>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if super::params::is_json(&headers) {
        let v: Value = match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(e) => {
                return OAuthError::invalid_request(format!("the body is not JSON: {e}"))
                    .into_response();
            }
        };
        let s = |k: &str| v.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
        respond(&state, s("app"), s("patient"), s("encounter"))
    } else {
        let p = Params::parse(&body);
        respond(&state, p.get("app"), p.get("patient"), p.get("encounter"))
    }
}

fn respond(
    state: &State,
    app: Option<&str>,
    patient: Option<&str>,
    encounter: Option<&str>,
) -> Response {
    let Some(app) = app else {
        return OAuthError::invalid_request("app (the app's launch URL) is required")
            .into_response();
    };
    let mut url = match Url::parse(app) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => u,
        _ => {
            return OAuthError::invalid_request(format!("app `{app}` is not an http(s) URL"))
                .into_response();
        }
    };
    let patient = match patient {
        Some(p) => Some(p.to_owned()),
        None => state
            .fhir
            .patient_choices(1)
            .into_iter()
            .next()
            .map(|(id, _)| id),
    };
    let launch = state.auth.create_launch(LaunchContext {
        patient: patient.clone(),
        encounter: encounter.map(str::to_owned),
    });
    {
        let faults = &state.opts.faults;
        // `ehr-launch-wrong-iss`: the origin, a base an EHR may think is its own.
        let iss = match faults.has(Fault::EhrLaunchWrongIss) {
            true => state.origin.as_str().trim_end_matches('/'),
            false => state.fhir_base_str(),
        };
        let mut q = url.query_pairs_mut();
        q.append_pair("iss", iss);
        if !faults.has(Fault::EhrLaunchNoParam) {
            q.append_pair("launch", &launch);
        }
    }
    (
        StatusCode::OK,
        axum::Json(json!({
            "launch": launch,
            "url": url.as_str(),
            "iss": state.fhir_base_str(),
            "patient": patient,
            "encounter": encounter,
        })),
    )
        .into_response()
}
