//! `/auth/token`: the authorization_code, refresh_token and
//! client_credentials grants, and the token response (access token, refresh
//! token, id_token, SMART launch context).

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::authorize::{is_pkce_value, reduced_away};
use super::client_auth::{self, Authenticated};
use super::clients::AuthMethod;
use super::error::{OAuthError, no_store_json};
use super::keys::Signer;
use super::params::{Params, is_form};
use super::store::Authorization;
use super::{random_token, unix};
use crate::scopes::{self, Context, ResourceScope};
use crate::{Fault, Grant, Quirk, State};
use smart_vocab::launch;

/// Refresh token lifetimes: `offline_access` outlives the session,
/// `online_access` is bounded by it (the sandbox has no sessions: a day).
const OFFLINE_LIFETIME: Duration = Duration::from_secs(90 * 24 * 3600);
const ONLINE_LIFETIME: Duration = Duration::from_secs(24 * 3600);
/// What `slow-token` waits.
const SLOW_TOKEN_DELAY: Duration = Duration::from_secs(3);

pub(crate) async fn token(
    AxState(state): AxState<Arc<State>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if state.opts.faults.has(Fault::SlowToken) {
        tokio::time::sleep(SLOW_TOKEN_DELAY).await;
    }
    let refresh = Params::parse(&body).get("grant_type") == Some("refresh_token");
    let mut resp = match handle(&state, &headers, &body).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    };
    let h = resp.headers_mut();
    // Browser apps (public clients) exchange codes cross-origin.
    if !state.opts.faults.has(Fault::NoCors) {
        h.insert(
            axum::http::header::ACCESS_CONTROL_ALLOW_ORIGIN,
            axum::http::HeaderValue::from_static("*"),
        );
    }
    if refresh && state.opts.faults.has(Fault::RefreshNoPragma) {
        h.remove(axum::http::header::PRAGMA);
    }
    if refresh && state.opts.faults.has(Fault::RefreshCacheable) {
        h.insert(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("max-age=60"),
        );
    }
    if refresh && resp.status().is_success() && state.opts.faults.has(Fault::RefreshScopeWidened) {
        widen_scope(&mut resp).await;
    }
    resp
}

async fn handle(state: &State, headers: &HeaderMap, body: &[u8]) -> Result<Response, OAuthError> {
    if !is_form(headers) {
        return Err(OAuthError::invalid_request(
            "the token request must be application/x-www-form-urlencoded",
        ));
    }
    let p = Params::parse(body);
    if let Some(k) = p.repeated() {
        return Err(OAuthError::invalid_request(format!(
            "`{k}` is given more than once"
        )));
    }
    let grant_type = p
        .get("grant_type")
        .ok_or_else(|| OAuthError::invalid_request("grant_type is missing"))?;
    if !matches!(
        grant_type,
        "authorization_code" | "refresh_token" | "client_credentials"
    ) {
        if state.opts.faults.has(Fault::UnknownGrant500) {
            return Err(OAuthError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                format!("grant_type `{grant_type}` is not supported"),
            ));
        }
        return Err(OAuthError::new(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            format!("grant_type `{grant_type}` is not supported"),
        ));
    }
    let authn = client_auth::authenticate(state, headers, &p).await?;
    if !authn.client.allows_grant(grant_type) {
        return Err(OAuthError::unauthorized_client(format!(
            "client `{}` is not registered for the {grant_type} grant",
            authn.client.client_id
        )));
    }
    match grant_type {
        "authorization_code" => authorization_code(state, &authn, &p),
        "refresh_token" => refresh_token(state, &authn, &p),
        _ => client_credentials(state, &authn, &p),
    }
}

fn s256(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn authorization_code(
    state: &State,
    authn: &Authenticated,
    p: &Params,
) -> Result<Response, OAuthError> {
    let code_id = p
        .get("code")
        .ok_or_else(|| OAuthError::invalid_request("code is missing"))?;
    let code = match state.auth.store.redeem_code(code_id) {
        Ok(c) => c,
        Err(Some(_)) if state.opts.faults.has(Fault::CodeReusable) => state
            .auth
            .store
            .peek_code(code_id)
            .ok_or_else(|| OAuthError::invalid_grant("unknown or expired code"))?,
        Err(Some(family)) => {
            state.auth.store.revoke_family(&family);
            return Err(OAuthError::invalid_grant(
                "the code was already used; tokens issued from it are revoked",
            ));
        }
        Err(None) => return Err(OAuthError::invalid_grant("unknown or expired code")),
    };
    if code.auth.client_id != authn.client.client_id {
        return Err(OAuthError::invalid_grant(
            "the code was issued to another client",
        ));
    }
    if p.get("redirect_uri") != Some(code.redirect_uri.as_str()) {
        return Err(OAuthError::invalid_grant(
            "redirect_uri differs from the authorization request's",
        ));
    }
    if !state.opts.faults.has(Fault::NoPkce) {
        let verifier = p
            .get("code_verifier")
            .ok_or_else(|| OAuthError::invalid_grant("code_verifier is missing (PKCE)"))?;
        let ok = is_pkce_value(verifier)
            && code
                .code_challenge
                .as_deref()
                .is_some_and(|c| c == s256(verifier));
        if !ok {
            return Err(OAuthError::invalid_grant(
                "code_verifier does not match the code_challenge",
            ));
        }
    }
    let scopes = code.auth.scopes.clone();
    issue(state, &code.auth, scopes, true, Some(code.nonce.as_deref()))
}

fn refresh_token(state: &State, authn: &Authenticated, p: &Params) -> Result<Response, OAuthError> {
    if state.opts.faults.has(Fault::RefreshInvalid) {
        return Err(OAuthError::invalid_grant("refresh token rejected"));
    }
    let token = p
        .get("refresh_token")
        .ok_or_else(|| OAuthError::invalid_request("refresh_token is missing"))?;
    let quirks = &state.opts.quirks;
    // `refresh-keeps-token`: no rotation, the token stays good.
    let keeps =
        quirks.has(Quirk::RefreshKeepsToken) || state.opts.faults.has(Fault::RefreshNotRotated);
    let store = &state.auth.store;
    let client_id = &authn.client.client_id;
    let mut old = match keeps {
        true => store.peek_refresh(token, client_id),
        false => store.take_refresh(token, client_id),
    }
    .ok_or_else(|| {
        OAuthError::invalid_grant("unknown, expired, revoked or already used refresh token")
    })?;
    if quirks.has(Quirk::RefreshDropsContext) {
        old.auth.has_context = false;
    }
    // RFC 6749 §6: a refresh may narrow the scope, never widen it.
    let scopes = match p.get("scope") {
        None => old.auth.scopes.clone(),
        Some(s) => {
            let asked = scopes::split(s);
            // Covered, not word for word: `patient/*.rs` granted lets a
            // refresh ask `patient/Observation.rs` or `patient/*.read`.
            if let Some(extra) = asked
                .iter()
                .find(|a| !scopes::is_covered(a, &old.auth.scopes))
            {
                return Err(OAuthError::invalid_scope(format!(
                    "`{extra}` was not granted originally"
                )));
            }
            asked
        }
    };
    issue(state, &old.auth, scopes, !keeps, None)
}

fn client_credentials(
    state: &State,
    authn: &Authenticated,
    p: &Params,
) -> Result<Response, OAuthError> {
    if authn.method != AuthMethod::PrivateKeyJwt {
        return Err(OAuthError::invalid_client(
            "client_credentials needs private_key_jwt client authentication",
        ));
    }
    let asked = p
        .get("scope")
        .ok_or_else(|| OAuthError::invalid_scope("scope is required (e.g. system/*.rs)"))?;
    let client = &authn.client;
    let mut granted: Vec<String> = scopes::split(asked)
        .into_iter()
        .filter(|s| ResourceScope::parse(s).is_some_and(|r| r.context == Context::System))
        .filter(|s| {
            client
                .scope
                .as_ref()
                .is_none_or(|a| scopes::is_covered(s, a))
        })
        .filter(|s| !scopes::outside_dialect(&state.opts.quirks, s))
        .collect();
    if state.opts.faults.has(Fault::ScopeReduced) {
        granted.retain(|s| !reduced_away(s));
    }
    if granted.is_empty() {
        return Err(OAuthError::invalid_scope(
            "no grantable system/ scope was requested",
        ));
    }
    let auth = Authorization {
        client_id: client.client_id.clone(),
        scopes: granted.clone(),
        patient: None,
        encounter: None,
        fhir_user: None,
        need_patient_banner: false,
        has_context: false,
        family: random_token(),
    };
    issue(state, &auth, granted, false, None)
}

/// Builds the token response. `scopes` are the access token's (a refresh
/// may narrow them); the refresh token keeps the authorization's.
/// `id_token_nonce` is `Some` only for the code grant.
fn issue(
    state: &State,
    auth: &Authorization,
    scopes: Vec<String>,
    may_refresh: bool,
    id_token_nonce: Option<Option<&str>>,
) -> Result<Response, OAuthError> {
    let (faults, quirks) = (&state.opts.faults, &state.opts.quirks);
    let now = state.now();
    let lifetime = state.opts.token_lifetime;
    let expires_at = if faults.has(Fault::ExpiredTokens) {
        now - Duration::from_secs(1)
    } else {
        now + lifetime
    };
    let has = |s: &str| scopes.iter().any(|g| g == s);
    let grant = Grant {
        client_id: auth.client_id.clone(),
        scopes: scopes.clone(),
        patient: auth.patient.clone(),
        encounter: auth.encounter.clone(),
        fhir_user: auth.fhir_user.clone(),
        expires_at,
    };
    let access = state.auth.issue_access(grant, Some(auth.family.clone()));
    let mut body = json!({
        "access_token": access,
        "token_type": "Bearer",
        "scope": scopes.join(" "),
    });
    if !faults.has(Fault::TokenNoExpiresIn) {
        body["expires_in"] = if quirks.has(Quirk::ExpiresInString) {
            json!(lifetime.as_secs().to_string())
        } else {
            json!(lifetime.as_secs())
        };
    }
    let held = |s: &str| auth.scopes.iter().any(|g| g == s);
    if may_refresh && (held("offline_access") || held("online_access")) {
        let life = if held("offline_access") {
            OFFLINE_LIFETIME
        } else {
            ONLINE_LIFETIME
        };
        body["refresh_token"] = json!(state.auth.store.issue_refresh(auth.clone(), life));
        if quirks.has(Quirk::RefreshWithoutOfflineAccess) {
            let said: Vec<&str> = scopes
                .iter()
                .map(String::as_str)
                .filter(|s| !matches!(*s, "offline_access" | "online_access"))
                .collect();
            body["scope"] = json!(said.join(" "));
        }
    }
    if let Some(nonce) = id_token_nonce
        && has("openid")
        && (has("fhirUser") || has("profile"))
    {
        body[launch::ID_TOKEN] = json!(id_token(state, auth, nonce, now)?);
    }
    if auth.has_context {
        if let Some(p) = auth
            .patient
            .as_ref()
            .filter(|_| !faults.has(Fault::NoLaunchContext))
        {
            body[launch::PATIENT] = json!(p);
        }
        if let Some(e) = &auth.encounter {
            body[launch::ENCOUNTER] = json!(e);
        }
        body[launch::NEED_PATIENT_BANNER] = json!(auth.need_patient_banner);
        body[launch::SMART_STYLE_URL] = json!(state.auth_url("smart-style.json").as_str());
        if let Some(p) = &auth.patient {
            body["fhirContext"] = match faults.has(Fault::FhirContextStrings) {
                true => json!([format!("Patient/{p}")]),
                false => json!([{"reference": format!("Patient/{p}"), "role": "launch"}]),
            };
        }
    }
    Ok(no_store_json(StatusCode::OK, body))
}

fn id_token(
    state: &State,
    auth: &Authorization,
    nonce: Option<&str>,
    now: SystemTime,
) -> Result<String, OAuthError> {
    let iat = unix(now);
    let sub = auth
        .fhir_user
        .clone()
        .unwrap_or_else(|| "sandbox-user".to_owned());
    // SMART: the fhirUser claim is the user's resource as an absolute URL.
    let fhir_user = auth
        .fhir_user
        .as_ref()
        .map(|u| format!("{}/{u}", state.fhir_base_str()));
    // `issuer-trailing-slash`: the discovered issuer, plus a slash.
    let iss = match state.opts.quirks.has(Quirk::IssuerTrailingSlash) {
        true => format!("{}/", state.fhir_base_str()),
        false => state.fhir_base_str().to_owned(),
    };
    let mut claims: Value = json!({
        "iss": iss,
        "sub": sub,
        "aud": auth.client_id,
        "iat": iat,
        "exp": iat + state.opts.token_lifetime.as_secs(),
        "auth_time": iat,
    });
    if let Some(n) = nonce {
        claims["nonce"] = json!(n);
    }
    if let Some(u) = fhir_user {
        claims[launch::FHIR_USER] = match state.opts.faults.has(Fault::FhirUserBadType) {
            true => json!(format!("{}/Organization/org-1", state.fhir_base_str())),
            false => json!(u),
        };
    }
    if state.opts.faults.has(Fault::IdTokenNoIat)
        && let Some(o) = claims.as_object_mut()
    {
        o.remove("iat");
    }
    if state.opts.faults.has(Fault::BigIdToken) {
        claims["sandbox_padding"] = json!("x".repeat(6 * 1024));
    }
    let faults = &state.opts.faults;
    let signer = if faults.has(Fault::IdTokenBadSignature) {
        Signer::Impostor
    } else if faults.has(Fault::IdTokenUnknownKid) || state.opts.quirks.has(Quirk::JwksRotation) {
        Signer::Next
    } else {
        Signer::Current
    };
    state.auth.keys.sign(&claims, signer, "JWT").map_err(|e| {
        OAuthError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            format!("cannot sign the id_token: {e}"),
        )
    })
}

/// `refresh-scope-widened`: one scope more in the answer's `scope`.
async fn widen_scope(resp: &mut Response) {
    let body = std::mem::take(resp.body_mut());
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let mut v: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
    let scope = v["scope"].as_str().unwrap_or_default().to_owned();
    v["scope"] = json!(format!("{scope} user/Practitioner.rs").trim().to_owned());
    let out = serde_json::to_vec(&v).unwrap_or_default();
    resp.headers_mut()
        .remove(axum::http::header::CONTENT_LENGTH);
    *resp.body_mut() = axum::body::Body::from(out);
}
