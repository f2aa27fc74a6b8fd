//! The sandbox's authorization server: discovery documents, authorize,
//! token, introspect, revoke, register, JWKS, EHR launch helper.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use axum::http::HeaderMap;

use super::{Grant, Options, State};

pub struct AuthState {
    /// Opaque access token → what it grants.
    access_tokens: Mutex<HashMap<String, Grant>>,
}

/// Why a bearer token was not accepted (rendered as a 401 with
/// `WWW-Authenticate: Bearer error="invalid_token"`).
#[derive(Debug, Clone)]
pub struct Unauthorized {
    /// RFC 6750 error code: `invalid_request` (no token) or `invalid_token`.
    pub error: &'static str,
    pub description: String,
}

impl AuthState {
    pub fn new(_opts: &Options) -> anyhow::Result<AuthState> {
        Ok(AuthState {
            access_tokens: Mutex::new(HashMap::new()),
        })
    }

    /// Issues an opaque access token for a grant.
    pub fn issue_access_token(&self, grant: Grant) -> String {
        let token = random_token();
        self.access_tokens
            .lock()
            .expect("token map lock")
            .insert(token.clone(), grant);
        token
    }

    /// The grant behind the request's `Authorization: Bearer` token.
    pub fn authenticate(&self, headers: &HeaderMap) -> Result<Grant, Unauthorized> {
        let value = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| Unauthorized {
                error: "invalid_request",
                description: "no bearer token".into(),
            })?;
        let token = value
            .split_once(' ')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim())
            .ok_or_else(|| Unauthorized {
                error: "invalid_request",
                description: "Authorization is not a Bearer token".into(),
            })?;
        let grant = self
            .access_tokens
            .lock()
            .expect("token map lock")
            .get(token)
            .cloned()
            .ok_or_else(|| Unauthorized {
                error: "invalid_token",
                description: "unknown or revoked token".into(),
            })?;
        if grant.expires_at <= SystemTime::now() {
            return Err(Unauthorized {
                error: "invalid_token",
                description: "token expired".into(),
            });
        }
        Ok(grant)
    }
}

/// 256 random bits, base64url.
pub fn random_token() -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

pub fn router() -> axum::Router<Arc<State>> {
    axum::Router::new()
}
