//! `/auth/authorize` (GET and POST, SMART App Launch §authorize-post) and
//! `/auth/consent`, the answer of the consent page.
//!
//! Order matters for safety: the client and its redirect URI are checked
//! first, and until both are trusted every error is shown as a page, never
//! redirected (no open redirector, RFC 6749 §4.1.2.1). After that, errors go
//! back to the client as `error`/`error_description`/`state`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State as AxState};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use url::Url;

use super::pages::{self, Consent};
use super::params::{Params, is_form};
use super::store::{Authorization, CODE_LIFETIME, Code, PENDING_LIFETIME, Pending};
use super::{Client, random_token};
use crate::scopes::{self, ResourceScope};
use crate::{Fault, State};

/// How many patients the consent page offers.
const PICKER_SIZE: usize = 20;

pub(crate) async fn authorize_get(
    AxState(state): AxState<Arc<State>>,
    RawQuery(q): RawQuery,
) -> Response {
    let params = Params::parse(q.unwrap_or_default().as_bytes());
    authorize(&state, &params)
}

pub(crate) async fn authorize_post(
    AxState(state): AxState<Arc<State>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if state.opts.faults.has(Fault::AuthorizePostRefused) {
        let mut resp = pages::error_page(
            "invalid_request",
            "this authorization endpoint takes GET only",
        );
        *resp.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
        resp.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET"));
        return resp;
    }
    if !is_form(&headers) {
        return pages::error_page(
            "invalid_request",
            "POST to the authorization endpoint must be application/x-www-form-urlencoded",
        );
    }
    authorize(&state, &Params::parse(&body))
}

/// Where an authorization response goes: the trusted redirect URI and the
/// `state` to echo.
struct Reply<'a> {
    redirect_uri: &'a str,
    state: Option<&'a str>,
    drop_state: bool,
}

impl Reply<'_> {
    fn send(&self, pairs: &[(&str, &str)]) -> Response {
        let Ok(mut url) = Url::parse(self.redirect_uri) else {
            return pages::error_page("invalid_request", "redirect_uri is not a URL");
        };
        {
            let mut q = url.query_pairs_mut();
            for (k, v) in pairs {
                q.append_pair(k, v);
            }
            if let (Some(s), false) = (self.state, self.drop_state) {
                q.append_pair("state", s);
            }
        }
        redirect(url.as_str())
    }

    fn error(&self, error: &str, description: &str) -> Response {
        self.send(&[("error", error), ("error_description", description)])
    }
}

fn redirect(location: &str) -> Response {
    let mut resp = StatusCode::FOUND.into_response();
    match HeaderValue::from_str(location) {
        Ok(v) => {
            resp.headers_mut().insert(header::LOCATION, v);
            resp.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            resp
        }
        Err(_) => pages::error_page(
            "invalid_request",
            "redirect_uri cannot be used in a redirect",
        ),
    }
}

fn authorize(state: &State, p: &Params) -> Response {
    let repeated = p.repeated();
    if let Some(k @ ("client_id" | "redirect_uri")) = repeated {
        return pages::error_page("invalid_request", &format!("`{k}` is given more than once"));
    }
    let Some(client_id) = p.get("client_id") else {
        return pages::error_page("invalid_request", "client_id is missing");
    };
    let Some(client) = state.auth.clients.get(client_id) else {
        return pages::error_page(
            "invalid_client",
            &format!("unknown client_id `{client_id}`"),
        );
    };
    let Some(redirect_uri) = p.get("redirect_uri") else {
        return pages::error_page("invalid_request", "redirect_uri is missing");
    };
    if !client.redirect_uri_allowed(redirect_uri) && !state.opts.faults.has(Fault::OpenRedirect) {
        return pages::error_page(
            "invalid_request",
            &format!("redirect_uri `{redirect_uri}` is not registered for client `{client_id}`"),
        );
    }

    let reply = Reply {
        redirect_uri,
        state: p.get("state"),
        drop_state: state.opts.faults.has(Fault::StateDropped),
    };
    match validate(state, &client, redirect_uri, p, repeated) {
        Err((error, description)) => reply.error(error, &description),
        Ok(pending) if state.opts.auto_approve => {
            let first = if pending.needs_patient {
                match state.fhir.patient_choices(1).into_iter().next() {
                    Some((id, _)) => Some(id),
                    None => return reply.error("access_denied", "the sandbox has no patients"),
                }
            } else {
                None
            };
            approve(state, pending, first)
        }
        Ok(pending) => {
            let needs_patient = pending.needs_patient;
            let launch_patient = pending.launch.as_ref().and_then(|l| l.patient.clone());
            let scopes = pending.scopes.clone();
            let id = state.auth.store.add_pending(pending);
            let choices = needs_patient.then(|| state.fhir.patient_choices(PICKER_SIZE));
            let label = client
                .client_name
                .as_ref()
                .map(|n| format!("{n} ({client_id})"))
                .unwrap_or_else(|| client_id.to_owned());
            pages::consent_page(&Consent {
                pending: &id,
                client_label: &label,
                scopes: &scopes,
                patients: choices.as_deref(),
                launch_patient: launch_patient.as_deref(),
            })
        }
    }
}

/// Everything after the client and redirect URI are trusted. Errors are
/// (OAuth error code, description), sent back by redirect.
fn validate(
    state: &State,
    client: &Client,
    redirect_uri: &str,
    p: &Params,
    repeated: Option<&str>,
) -> Result<Pending, (&'static str, String)> {
    let faults = &state.opts.faults;
    if let Some(k) = repeated {
        return Err(("invalid_request", format!("`{k}` is given more than once")));
    }
    match p.get("response_type") {
        Some("code") => {}
        Some(other) => {
            return Err((
                "unsupported_response_type",
                format!("response_type `{other}` is not supported; use `code`"),
            ));
        }
        None => return Err(("invalid_request", "response_type is missing".into())),
    }
    if !client.allows_grant("authorization_code") {
        return Err((
            "unauthorized_client",
            "this client is not registered for the authorization_code grant".into(),
        ));
    }
    if p.get("state").is_none() {
        return Err((
            "invalid_request",
            "state is required (SMART App Launch)".into(),
        ));
    }
    if !faults.has(Fault::WrongAudAccepted) {
        match p.get("aud") {
            Some(aud) if aud.trim_end_matches('/') == state.fhir_base_str() => {}
            Some(aud) => {
                return Err((
                    "invalid_request",
                    format!(
                        "aud `{aud}` is not this server's FHIR base {}",
                        state.fhir_base_str()
                    ),
                ));
            }
            None => {
                return Err((
                    "invalid_request",
                    format!("aud is required: the FHIR base {}", state.fhir_base_str()),
                ));
            }
        }
    }

    let code_challenge = match (p.get("code_challenge"), p.get("code_challenge_method")) {
        (Some(c), Some("S256")) if is_pkce_value(c) => Some(c.to_owned()),
        (Some(_), Some("S256")) => {
            return Err((
                "invalid_request",
                "code_challenge must be 43-128 characters of [A-Za-z0-9-._~]".into(),
            ));
        }
        (c, _) if faults.has(Fault::NoPkce) => c.map(str::to_owned),
        (_, Some(m)) => {
            return Err((
                "invalid_request",
                format!("code_challenge_method `{m}` is not supported; use S256"),
            ));
        }
        (None, None) => {
            return Err((
                "invalid_request",
                "PKCE is required: code_challenge with code_challenge_method=S256".into(),
            ));
        }
        (Some(_), None) => {
            return Err((
                "invalid_request",
                "code_challenge_method is missing (plain is not accepted; use S256)".into(),
            ));
        }
    };

    let Some(scope) = p.get("scope") else {
        return Err(("invalid_request", "scope is required".into()));
    };
    let mut granted: Vec<String> = scopes::split(scope)
        .into_iter()
        .filter(|s| scopes::is_known(s))
        .filter(|s| {
            client
                .scope
                .as_ref()
                .is_none_or(|allowed| scopes::is_covered(s, allowed))
        })
        .filter(|s| !s.starts_with("system/"))
        .filter(|s| !scopes::outside_dialect(&state.opts.quirks, s))
        .collect();
    if faults.has(Fault::ScopeReduced) {
        granted.retain(|s| !reduced_away(s));
    }
    if granted.is_empty() {
        return Err((
            "invalid_scope",
            "none of the requested scopes can be granted".into(),
        ));
    }

    let launch = match p.get("launch") {
        Some(id) => {
            if !granted.iter().any(|s| s == "launch") {
                return Err((
                    "invalid_scope",
                    "a launch parameter needs the `launch` scope".into(),
                ));
            }
            Some(state.auth.store.launch(id).ok_or_else(|| {
                (
                    "invalid_request",
                    "unknown launch value (not issued by this server)".to_owned(),
                )
            })?)
        }
        None if granted.iter().any(|s| s == "launch") => {
            return Err((
                "invalid_request",
                "the `launch` scope needs the launch parameter from the EHR".into(),
            ));
        }
        None => None,
    };
    let has = |s: &str| granted.iter().any(|g| g == s);
    let launch_patient = launch.as_ref().and_then(|l| l.patient.as_ref());
    // The sandbox's users are patients: a standalone `launch/patient`, or an
    // OpenID sign-in without a patient in context, asks who it is.
    let needs_patient = launch_patient.is_none()
        && (has("launch/patient") || (has("openid") && (has("fhirUser") || has("profile"))));

    Ok(Pending {
        client_id: client.client_id.clone(),
        redirect_uri: redirect_uri.to_owned(),
        state: p.get("state").map(str::to_owned),
        scopes: granted,
        code_challenge,
        nonce: p.get("nonce").map(str::to_owned),
        launch,
        needs_patient,
        expires: state.now() + PENDING_LIFETIME,
    })
}

/// What the `scope-reduced` fault withholds: offline access and writes.
pub(crate) fn reduced_away(scope: &str) -> bool {
    scope == "offline_access" || ResourceScope::parse(scope).is_some_and(|r| r.perms.writes())
}

/// RFC 7636 §4.1/4.2: 43–128 unreserved characters.
pub(crate) fn is_pkce_value(s: &str) -> bool {
    (43..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// A FHIR id: 1–64 of `[A-Za-z0-9-.]`.
fn is_fhir_id(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

/// Issues the code for an approved request and redirects back with it.
fn approve(state: &State, pending: Pending, picked: Option<String>) -> Response {
    let reply = Reply {
        redirect_uri: &pending.redirect_uri,
        state: pending.state.as_deref(),
        drop_state: state.opts.faults.has(Fault::StateDropped),
    };
    let picked = match (pending.needs_patient, picked) {
        (false, _) => None,
        (true, Some(p)) if is_fhir_id(&p) => Some(p),
        (true, Some(_)) => {
            return reply.error("invalid_request", "the chosen patient id is not a FHIR id");
        }
        (true, None) => return reply.error("access_denied", "no patient was chosen"),
    };
    let has = |s: &str| pending.scopes.iter().any(|g| g == s);
    let launch = pending.launch.clone();
    let patient_context = has("launch/patient") && launch.is_none();
    let patient = match &launch {
        Some(l) => l.patient.clone(),
        None if patient_context => picked.clone(),
        None => None,
    };
    let user = picked.clone().or_else(|| patient.clone());
    let auth = Authorization {
        client_id: pending.client_id.clone(),
        scopes: pending.scopes.clone(),
        patient,
        encounter: launch.as_ref().and_then(|l| l.encounter.clone()),
        fhir_user: user.map(|p| format!("Patient/{p}")),
        need_patient_banner: launch.is_none(),
        has_context: launch.is_some() || patient_context,
        family: random_token(),
    };
    let code = state.auth.store.issue_code(Code {
        auth,
        redirect_uri: pending.redirect_uri.clone(),
        code_challenge: pending.code_challenge.clone(),
        nonce: pending.nonce.clone(),
        expires: state.now() + CODE_LIFETIME,
        used: false,
    });
    reply.send(&[("code", &code)])
}

/// `POST /auth/consent`: `pending`, `decision` (`approve`|`deny`), `patient`.
pub(crate) async fn consent(
    AxState(state): AxState<Arc<State>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !is_form(&headers) {
        return pages::error_page("invalid_request", "the consent form must be form-encoded");
    }
    let p = Params::parse(&body);
    let Some(pending) = p
        .get("pending")
        .and_then(|id| state.auth.store.take_pending(id))
    else {
        return pages::error_page(
            "invalid_request",
            "this authorization request expired or was already answered; start again from the application",
        );
    };
    match p.get("decision") {
        Some("approve") => approve(&state, pending, p.get("patient").map(str::to_owned)),
        _ => Reply {
            redirect_uri: &pending.redirect_uri,
            state: pending.state.as_deref(),
            drop_state: state.opts.faults.has(Fault::StateDropped),
        }
        .error("access_denied", "the user denied the request"),
    }
}
