//! The sandbox's authorization server: discovery documents, authorize,
//! token, introspect, revoke, register, JWKS, EHR launch helper.
//!
//! All state lives in memory in `AuthState`; each concern has its own
//! module and its own small lock, so FHIR calls (which only touch the access
//! token map) never wait on the authorization flow.

mod assertion;
mod authorize;
mod client_auth;
pub(crate) mod clients;
mod discovery;
mod error;
mod introspect;
pub(crate) mod keys;
mod launch;
mod pages;
mod params;
mod register;
mod revoke;
mod store;
mod token;

use std::sync::Arc;
use std::time::SystemTime;

use axum::http::HeaderMap;
use axum::routing::{get, post};

use super::{Grant, Options, State};
pub use clients::Client;
pub(crate) use store::LaunchContext;
use store::Store;

pub(crate) struct AuthState {
    pub(crate) clients: clients::Registry,
    pub(crate) keys: Arc<keys::ServerKeys>,
    store: Store,
    clock: Arc<dyn crate::clock::Clock>,
    /// For fetching clients' `jwks_uri` (no redirects; size and time are
    /// capped where it is used, in `assertion`).
    http: reqwest::Client,
    /// The `iss` and `aud` of JWT access tokens; `None` for opaque ones
    /// (the `opaque-tokens` quirk).
    jwt_access: Option<String>,
    /// JWKS requests answered so far (the `jwks-rotation` quirk publishes
    /// the new key from the second on).
    pub(crate) jwks_served: std::sync::atomic::AtomicU64,
    /// The `registration_access_token` of each client registered at run
    /// time (RFC 7592: it authorizes the DELETE of that registration).
    pub(crate) registrations: std::sync::Mutex<std::collections::HashMap<String, String>>,
}

/// Why a bearer token was not accepted (rendered as a 401 with
/// `WWW-Authenticate: Bearer error="invalid_token"`).
#[derive(Debug, Clone)]
pub(crate) struct Unauthorized {
    /// RFC 6750 error code: `invalid_request` (no token) or `invalid_token`.
    pub(crate) error: &'static str,
    pub(crate) description: String,
}

impl AuthState {
    /// `fhir_base` is the issuer and audience of the access tokens.
    pub(crate) fn new(opts: &Options, fhir_base: &url::Url) -> anyhow::Result<AuthState> {
        let clients = clients::Registry::with_builtins();
        if let Some(path) = &opts.clients_file {
            clients.load_file(path, opts.allow_loopback_jwks_uri)?;
        }
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(AuthState {
            clients,
            keys: keys::ServerKeys::shared(),
            store: Store::new(opts.clock.clone()),
            clock: opts.clock.clone(),
            http,
            jwt_access: (!opts.quirks.has(crate::Quirk::OpaqueTokens))
                .then(|| fhir_base.as_str().trim_end_matches('/').to_owned()),
            jwks_served: Default::default(),
            registrations: Default::default(),
        })
    }

    /// Issues an access token for a grant, outside any authorization.
    pub fn issue_access_token(&self, grant: Grant) -> String {
        self.issue_access(grant, None)
    }

    /// An access token for `grant`, recorded under `family`: a JWT
    /// (RFC 9068) signed with the published key, or with the
    /// `opaque-tokens` quirk 256 random bits. What the token says is for the
    /// client to read; what it grants is what the store records.
    pub(crate) fn issue_access(&self, grant: Grant, family: Option<String>) -> String {
        let jwt = self.jwt_access.as_ref().and_then(|base| {
            let now = unix(self.clock.now());
            let claims = serde_json::json!({
                "iss": base,
                "aud": base,
                "sub": grant.fhir_user.as_deref().unwrap_or(&grant.client_id),
                "client_id": grant.client_id,
                "scope": grant.scopes.join(" "),
                "iat": now,
                "exp": unix(grant.expires_at),
                "jti": random_token(),
            });
            // Signing with our own key does not fail; if it ever did, an
            // opaque token serves just as well.
            self.keys
                .sign(&claims, keys::Signer::Current, "at+jwt")
                .ok()
        });
        let token = jwt.unwrap_or_else(random_token);
        self.store.insert_access(token.clone(), grant, family);
        token
    }

    /// The grant behind the request's `Authorization: Bearer` token.
    pub(crate) fn authenticate(&self, headers: &HeaderMap) -> Result<Grant, Unauthorized> {
        let token = bearer_token(headers)?;
        let grant = self.store.access_grant(token).ok_or_else(|| Unauthorized {
            error: "invalid_token",
            description: "unknown or revoked token".into(),
        })?;
        if grant.expires_at <= self.clock.now() {
            return Err(Unauthorized {
                error: "invalid_token",
                description: "token expired".into(),
            });
        }
        Ok(grant)
    }

    /// Registers an EHR launch context and returns its `launch` value (what
    /// `/auth/launch` does, for callers inside the process).
    pub(crate) fn create_launch(&self, ctx: LaunchContext) -> String {
        self.store.create_launch(ctx)
    }
}

/// The token of an `Authorization: Bearer …` header.
fn bearer_token(headers: &HeaderMap) -> Result<&str, Unauthorized> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| Unauthorized {
            error: "invalid_request",
            description: "no bearer token".into(),
        })?;
    value
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Unauthorized {
            error: "invalid_request",
            description: "Authorization is not a Bearer token".into(),
        })
}

/// 256 random bits, base64url.
pub fn random_token() -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// Seconds since the Unix epoch.
fn unix(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

pub(crate) fn router() -> axum::Router<Arc<State>> {
    axum::Router::new()
        .route(
            "/fhir/.well-known/smart-configuration",
            get(discovery::smart_configuration),
        )
        .route(
            "/fhir/.well-known/openid-configuration",
            get(discovery::openid_configuration),
        )
        .route("/auth/jwks", get(discovery::jwks))
        .route("/auth/smart-style.json", get(discovery::smart_style))
        .route(
            "/auth/authorize",
            get(authorize::authorize_get).post(authorize::authorize_post),
        )
        .route("/auth/consent", post(authorize::consent))
        .route("/auth/token", post(token::token))
        .route("/auth/introspect", post(introspect::introspect))
        .route("/auth/revoke", post(revoke::revoke))
        .route("/auth/register", post(register::register))
        .route(
            "/auth/register/{client_id}",
            axum::routing::delete(register::unregister),
        )
        .route(
            "/auth/launch",
            get(launch::launch_get).post(launch::launch_post),
        )
}
