//! A profile's tokens in use: load them, refresh when they are about to
//! expire (once, under the profile lock, however many `smart` processes ask
//! at the same time), and save them back.
//!
//! A failed refresh leaves the stored set untouched, so nothing is lost and
//! the message can say to log in again.

use std::time::Duration;
use url::Url;

use crate::config::TokenAuthMethod;
use crate::error::{Error, Kind, Result};
use crate::http::Http;
use crate::oauth::token::{self, ClientAuth};
use crate::oauth::tokens::{TokenSet, now_secs};
use crate::secret::Secret;
use crate::token_store::{self, Item, TokenStore};

/// Tokens that expire within this margin are refreshed before use.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// How long to wait for another process holding the profile lock.
const LOCK_WAIT: Duration = Duration::from_secs(60);

/// Runs blocking token-store work (keychain D-Bus calls, file locks) without
/// stalling the async runtime.
pub fn blocking<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

pub fn load(store: &TokenStore, profile: &str) -> Result<Option<TokenSet>> {
    let Some(json) = blocking(|| store.get(profile, Item::Tokens))? else {
        return Ok(None);
    };
    TokenSet::from_json(&json).map(Some).map_err(|why| {
        Error::auth(format!("profile `{profile}`: {why}"))
            .with_hint(format!("run `smart login -p {profile}` to replace it"))
    })
}

pub fn save(store: &TokenStore, profile: &str, set: &TokenSet) -> Result<()> {
    blocking(|| store.put(profile, Item::Tokens, &set.to_json()))
}

pub fn not_logged_in(profile: &str) -> Error {
    Error::auth(format!("not logged in to profile `{profile}`"))
        .with_hint(format!("run `smart login -p {profile}`"))
}

/// The client secret for a profile: `SMART_CLIENT_SECRET`, else the store.
pub fn client_secret(store: &TokenStore, profile: &str) -> Result<Option<Secret>> {
    if let Some(s) = std::env::var("SMART_CLIENT_SECRET")
        .ok()
        .filter(|s| !s.is_empty())
    {
        return Ok(Some(Secret::new(s)));
    }
    blocking(|| store.get(profile, Item::ClientSecret))
}

/// A token set whose access token is good for at least [`REFRESH_MARGIN`],
/// refreshing when needed; `force` refreshes regardless. The HTTP client is
/// built only when a refresh is due: `smart token` with a valid token does
/// no TLS setup at all.
pub async fn usable(
    http_opts: &crate::http::Options,
    store: &TokenStore,
    profile: &str,
    force: bool,
) -> Result<TokenSet> {
    let current = load(store, profile)?.ok_or_else(|| not_logged_in(profile))?;
    if !force && !current.expires_within(REFRESH_MARGIN) {
        return Ok(current);
    }
    let _lock = blocking(|| token_store::lock_profile(profile, LOCK_WAIT))?;
    // Another process may have refreshed while we waited for the lock.
    let current = load(store, profile)?.ok_or_else(|| not_logged_in(profile))?;
    if !force && !current.expires_within(REFRESH_MARGIN) {
        return Ok(current);
    }
    let secret = match current.auth_method {
        TokenAuthMethod::ClientSecretBasic | TokenAuthMethod::ClientSecretPost => {
            client_secret(store, profile)?
        }
        _ => None,
    };
    let http = Http::new(http_opts)?;
    let fresh = refresh(&http, &current, secret).await.map_err(|e| {
        let hint = format!("run `smart login -p {profile}`; the stored tokens were kept");
        match e.kind {
            Kind::Network => e,
            _ => Error::auth(format!("refresh failed: {}", e.message)).with_hint(hint),
        }
    })?;
    save(store, profile, &fresh)?;
    Ok(fresh)
}

/// Exchanges the refresh token for a new token set. A server that does not
/// rotate refresh tokens leaves the old one in place.
pub async fn refresh(http: &Http, current: &TokenSet, secret: Option<Secret>) -> Result<TokenSet> {
    let Some(rt) = &current.refresh_token else {
        let why = if current.expires_within(Duration::ZERO) {
            "the access token has expired"
        } else {
            "the access token is about to expire"
        };
        return Err(Error::auth(format!(
            "{why} and there is no refresh token (ask for offline_access or online_access)"
        )));
    };
    let endpoint = Url::parse(&current.token_endpoint).map_err(|e| {
        Error::auth(format!(
            "stored token endpoint `{}` is not a URL ({e})",
            current.token_endpoint
        ))
    })?;
    let auth = ClientAuth {
        client_id: current.client_id.clone(),
        method: current.auth_method,
        secret,
    };
    if auth.method == TokenAuthMethod::PrivateKeyJwt {
        return Err(Error::auth(
            "refreshing private_key_jwt clients is not supported yet",
        ));
    }
    let form = vec![
        ("grant_type", "refresh_token".to_owned()),
        ("refresh_token", rt.expose().to_owned()),
    ];
    let resp = token::request(http, &endpoint, form, &auth).await?;
    let now = now_secs();
    let mut next = current.clone();
    next.access_token = resp.access_token.clone();
    next.token_type = resp.token_type.clone();
    next.expires_at = resp.expires_in.map(|s| now + s);
    if let Some(s) = &resp.scope {
        next.scope = s.clone();
    }
    if let Some(r) = &resp.refresh_token {
        next.refresh_token = Some(r.clone());
    }
    if let Some(i) = &resp.id_token {
        next.id_token = Some(i.clone());
    }
    crate::commands::login::merge_context(&mut next.context, &resp);
    next.obtained_at = now;
    Ok(next)
}
