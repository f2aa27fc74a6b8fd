//! A profile's tokens in use: load them, refresh when they are about to
//! expire (once, under the profile lock, however many `smart` processes ask
//! at the same time), and save them back.
//!
//! Backend-services profiles have no refresh token: when their access token
//! is about to expire they simply ask again with `client_credentials` and a
//! fresh client assertion — under the same lock, so that parallel commands
//! fetch once. A token given in `SMART_ACCESS_TOKEN` is used as it is, and
//! the token store is never touched.
//!
//! A failed refresh leaves the stored set untouched, so nothing is lost and
//! the message can say to log in again.
//!
//! Expiry is decided against a [`Clock`]: commands pass [`SystemClock`],
//! tests a fixed time.

use oauth2::AccessToken;
use std::time::Duration;
use url::Url;

use crate::blocking::blocking;
use crate::clock::{Clock, SystemClock};
use crate::config::{ClientType, TokenAuthMethod};
use crate::discovery::FhirBase;
use crate::error::{Error, Kind, OAuthErrorCode, Result};
use crate::http::Http;
use crate::oauth::keys::SigningKey;
use crate::oauth::token_endpoint::{self, ClientAuth};
use crate::oauth::token_set::{Issuer, LaunchContext, TokenSet};
use crate::secret::Secret;
use crate::settings::credentials_for;
use crate::settings::{Flags, Invocation, Settings};
use crate::token_store::{self, Item, StoreKind, TokenStore};

/// Tokens that expire within this margin are refreshed before use.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// How long to wait for another process holding the profile lock.
const LOCK_WAIT: Duration = Duration::from_secs(60);

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

/// True when `set` can be used as it is at `now`: not forced, and not
/// expiring within [`REFRESH_MARGIN`].
pub fn still_good(set: &TokenSet, force: bool, now: u64) -> bool {
    !force && !set.expires_within(REFRESH_MARGIN, now)
}

/// What a command that needs a token works with.
#[derive(Debug)]
pub struct Access {
    pub settings: Settings,
    pub store: TokenStore,
    pub tokens: TokenSet,
}

/// The access token for the selected profile (flag > env > profile, see
/// [`Settings`]): `SMART_ACCESS_TOKEN` as given, else the stored tokens —
/// refreshed, or for a backend client fetched anew, when they expire within
/// [`REFRESH_MARGIN`]. `force` refreshes (re-fetches) regardless.
pub async fn acquire(
    inv: &Invocation,
    http_opts: &crate::http::Options,
    force: bool,
) -> Result<Access> {
    let settings = Settings::resolve(inv, &Flags::default())?;
    let store = settings.store();
    if let Some(at) = &settings.access_token {
        if force {
            return Err(Error::usage(
                "SMART_ACCESS_TOKEN is set: that token is used as it is and cannot be refreshed",
            ));
        }
        let tokens = external(&settings, &at.value);
        return Ok(Access {
            settings,
            store,
            tokens,
        });
    }
    let tokens = usable_with(http_opts, &store, &settings, force, &SystemClock).await?;
    Ok(Access {
        settings,
        store,
        tokens,
    })
}

/// A token set for a token obtained elsewhere: its expiry is read from the
/// token when it is a JWT, otherwise unknown.
pub fn external(settings: &Settings, token: &Secret) -> TokenSet {
    let exp = crate::oauth::id_token::decode_unverified(token.expose())
        .and_then(|(_, claims)| claims.get("exp").and_then(serde_json::Value::as_u64));
    TokenSet {
        v: 1,
        fhir_base: settings
            .fhir_base
            .as_ref()
            .map(|b| b.value.to_string())
            .unwrap_or_default(),
        client_id: settings
            .client_id
            .as_ref()
            .map(|c| c.value.clone())
            .unwrap_or_default(),
        token_endpoint: String::new(),
        auth_method: TokenAuthMethod::None,
        revocation_endpoint: None,
        introspection_endpoint: None,
        issuer: None,
        access_token: AccessToken::new(token.expose().to_owned()),
        token_type: "Bearer".into(),
        expires_at: exp,
        scope: String::new(),
        scope_asked: None,
        refresh_token: None,
        id_token: None,
        context: LaunchContext::default(),
        obtained_at: SystemClock.now(),
    }
}

/// A token set whose access token is good for at least [`REFRESH_MARGIN`],
/// refreshing when needed; `force` refreshes regardless. The HTTP client is
/// built only when a refresh is due: `smart token` with a valid token does
/// no TLS setup at all.
pub async fn usable_with(
    http_opts: &crate::http::Options,
    store: &TokenStore,
    settings: &Settings,
    force: bool,
    clock: &dyn Clock,
) -> Result<TokenSet> {
    // The profile's custom headers, for its base (see `custom_headers`).
    let http_opts = &settings.http_options(http_opts)?;
    if settings.client_type.value == ClientType::Backend {
        return backend_usable(http_opts, store, settings, force, clock).await;
    }
    let profile = settings.name();
    // Tokens go only to the server that issued them, whatever the flags or
    // the environment now say the base is.
    let base = settings.require_base()?.to_string();
    let for_this_base = |s: TokenSet| {
        if s.fhir_base == base {
            Ok(s)
        } else {
            Err(Error::auth(format!(
                "the tokens of profile `{profile}` were issued for {}, not {base}; refusing to send them elsewhere",
                s.fhir_base
            ))
            .with_hint(format!("run `smart login -p {profile}` for {base}")))
        }
    };
    let current = for_this_base(load(store, profile)?.ok_or_else(|| not_logged_in(profile))?)?;
    if still_good(&current, force, clock.now()) {
        return Ok(current);
    }
    let _lock = lock(store, profile)?;
    // Another process may have refreshed while we waited for the lock.
    let current = for_this_base(load(store, profile)?.ok_or_else(|| not_logged_in(profile))?)?;
    if still_good(&current, force, clock.now()) {
        return Ok(current);
    }
    let hint = format!("run `smart login -p {profile}`; the stored tokens were kept");
    let failed = |e: Error| match e.kind {
        // The server's fault or the network's: say so, keep the exit code.
        Kind::Network | Kind::Server => Error {
            message: format!("refresh failed: {}", e.message),
            ..e
        },
        // The error's own hint names the fix when it has one.
        _ => Error {
            kind: Kind::Auth,
            message: format!("refresh failed: {}", e.message),
            hint: e.hint.clone().or_else(|| Some(hint.clone())),
            ..e
        },
    };
    // Without a refresh token there is nothing to authenticate for: say that,
    // not what the client's credentials lack.
    if current.refresh_token.is_none() {
        return Err(failed(no_refresh_token(&current, clock.now())));
    }
    let (secret, key) = credentials_for(current.auth_method, store, settings)?;
    // A secret method with no secret stored fails here, before any request.
    let auth = ClientAuth::build(
        current.auth_method,
        &current.client_id,
        profile,
        secret,
        key,
    )
    .map_err(failed)?
    .with_basic_encoding(settings.stored.basic_encoding());
    let endpoint = trusted_token_endpoint(http_opts, &settings.require_base()?, &current)
        .await
        .map_err(failed)?;
    // Token requests never follow redirects, whatever the caller's options say.
    let mut no_follow = http_opts.clone();
    no_follow.follow_redirects = false;
    let http = Http::new(&no_follow)?;
    let fresh = refresh(&http, &endpoint, &current, &auth, clock.now())
        .await
        .map_err(failed)?;
    save_rotated(store, settings, &fresh);
    Ok(fresh)
}

/// The token endpoint a refresh may go to: the stored one, checked by
/// [`trusted_endpoint`].
async fn trusted_token_endpoint(
    http_opts: &crate::http::Options,
    base: &FhirBase,
    current: &TokenSet,
) -> Result<Url> {
    trusted_endpoint(http_opts, base, "token_endpoint", &current.token_endpoint).await
}

/// An endpoint a stored token set names (`field`: token, revocation or
/// introspection), used only when it is what the profile's base advertises
/// now. The stored set is a file (or a keychain item) anything running as
/// the user can edit; a planted endpoint would receive the tokens and the
/// client's credentials. Exit 4 on a mismatch: `smart login` replaces it.
pub async fn trusted_endpoint(
    http_opts: &crate::http::Options,
    base: &FhirBase,
    field: &str,
    stored: &str,
) -> Result<Url> {
    let advertised = discover_endpoint(http_opts, base, field).await?.0;
    if Url::parse(stored).ok().as_ref() != Some(&advertised) {
        return Err(Error::auth(format!(
            "the stored {field} `{}` is not the one {base} advertises ({advertised}); refusing to send tokens there",
            crate::redact::printable(stored)
        ))
        .with_hint("run `smart login` to replace the stored tokens"));
    }
    Ok(advertised)
}

/// An endpoint the profile's base advertises, from its discovery document
/// (which is returned too).
async fn discover_endpoint(
    http_opts: &crate::http::Options,
    base: &FhirBase,
    field: &str,
) -> Result<(Url, crate::discovery::Discovery)> {
    let mut follow = http_opts.clone();
    follow.follow_redirects = true;
    let d = crate::discovery::discover(&Http::new(&follow)?, base).await?;
    let t = d
        .endpoint(field)?
        .ok_or_else(|| Error::server(format!("{base} advertises no {field}")))?;
    Ok((t, d))
}

/// Saves a refreshed set. The old refresh token may already be spent
/// (rotation), so a failed save must not fail the command that now holds
/// good tokens: retry once, then warn loudly.
fn save_rotated(store: &TokenStore, settings: &Settings, fresh: &TokenSet) {
    let profile = settings.name();
    if let Err(first) = save(store, profile, fresh)
        && let Err(e) = save(store, profile, fresh).map_err(|_| first)
    {
        settings.reporter().warn(&format!(
            "could not store the refreshed tokens of `{profile}` ({}); this command goes on, but the next one may need `smart login -p {profile}`",
            e.message
        ));
    }
}

/// The per-profile lock, except for the `none` store, which shares nothing
/// between processes (and may run where there is no state directory).
pub fn lock(store: &TokenStore, profile: &str) -> Result<Option<token_store::ProfileLock>> {
    if store.kind() == StoreKind::None {
        return Ok(None);
    }
    blocking(|| store.lock(profile, LOCK_WAIT)).map(Some)
}

/// A backend client's token: the cached one while it is good, else a new
/// one from `client_credentials`. A cached set made for another server or
/// client id (the environment changed) is not used.
async fn backend_usable(
    http_opts: &crate::http::Options,
    store: &TokenStore,
    settings: &Settings,
    force: bool,
    clock: &dyn Clock,
) -> Result<TokenSet> {
    let profile = settings.name();
    let base = settings.require_base()?;
    let base_str = base.to_string();
    let client_id = settings.require_client_id()?;
    let fits = |s: &TokenSet| s.client_id == client_id && s.fhir_base == base_str;
    let good = |s: &TokenSet| fits(s) && still_good(s, false, clock.now());
    if !force && let Some(s) = load(store, profile)?.filter(good) {
        return Ok(s);
    }
    let _lock = lock(store, profile)?;
    let cached = load(store, profile)?.filter(fits);
    if !force && let Some(s) = cached.as_ref().filter(|s| good(s)) {
        return Ok(s.clone());
    }
    let key = settings.signing_key(store)?;
    let set = fetch_backend(
        http_opts,
        &base,
        &client_id,
        &settings.scope.value,
        key,
        clock.now(),
    )
    .await
    .map_err(|e| forgotten_client(e, profile, &base_str, settings))?;
    let missing = set.ungranted(&settings.scope.value);
    if !missing.is_empty() {
        settings
            .reporter()
            .warn(&format!("not granted: {}", missing.join(" ")));
    }
    save(store, profile, &set)?;
    Ok(set)
}

/// An `invalid_client` for a backend profile: besides a key the server does
/// not know, the server may have forgotten the client itself (`smart sandbox`
/// keeps registrations in memory, so a restart drops them). A login cannot
/// fix that; registering again can, so the hint gives that command.
fn forgotten_client(e: Error, profile: &str, base: &str, settings: &Settings) -> Error {
    if e.oauth_code() != Some(&OAuthErrorCode::InvalidClient) {
        return e;
    }
    let key = match settings.private_key.as_ref().map(|k| &k.value) {
        Some(crate::settings::KeyRef::File(path)) => format!(" --private-key {}", path.display()),
        _ => String::new(),
    };
    let hint = format!(
        "the server must know this client and its public key (`smart keys jwks -p {profile}` prints it); a server that forgets registered clients (the sandbox keeps them in memory: a restart drops them) needs `smart register -p {profile} --fhir-base {base}{key} --force`"
    );
    Error { hint: None, ..e }.with_hint(hint)
}

/// SMART Backend Services: `client_credentials` with a signed client
/// assertion, at the token endpoint the base advertises (never the one a
/// cached set names: that file could have been edited). `now` is when the
/// token is issued.
pub async fn fetch_backend(
    http_opts: &crate::http::Options,
    base: &FhirBase,
    client_id: &str,
    scope: &str,
    key: SigningKey,
    now: u64,
) -> Result<TokenSet> {
    let kid = key.kid.clone();
    let alg = key.alg;
    let (endpoint, d) = discover_endpoint(http_opts, base, "token_endpoint").await?;
    let mut no_follow = http_opts.clone();
    no_follow.follow_redirects = false;
    let http = Http::new(&no_follow)?;
    let auth = ClientAuth::Assertion {
        client_id: client_id.to_owned(),
        key,
    };
    let resp = token_endpoint::client_credentials(&http, &endpoint, &auth, scope)
        .await
        .map_err(|e| {
            if e.oauth_code() == Some(&OAuthErrorCode::InvalidClient) {
                e.with_hint(format!(
                    "the server must know client `{client_id}` with the public key {alg} kid `{kid}`; `smart keys jwks` prints it"
                ))
            } else {
                e
            }
        })?;
    let mut set = TokenSet::issued(
        Issuer {
            fhir_base: base,
            client_id,
            token_endpoint: &endpoint,
            auth_method: TokenAuthMethod::PrivateKeyJwt,
            discovery: Some(&d),
        },
        &resp,
        scope,
        now,
    );
    // Backend services get no refresh token, no user and no launch context;
    // what a server sends anyway is not kept.
    set.refresh_token = None;
    set.id_token = None;
    set.context = LaunchContext::default();
    Ok(set)
}

/// Exchanges the refresh token for a new token set at `now`. A server that
/// does not rotate refresh tokens leaves the old one in place.
fn no_refresh_token(current: &TokenSet, now: u64) -> Error {
    let why = if current.expires_within(Duration::ZERO, now) {
        "the access token has expired"
    } else {
        "the access token is about to expire"
    };
    Error::auth(format!(
        "{why} and there is no refresh token (ask for offline_access or online_access)"
    ))
}

/// `endpoint` is the checked token endpoint ([`trusted_token_endpoint`]).
pub async fn refresh(
    http: &Http,
    endpoint: &Url,
    current: &TokenSet,
    auth: &ClientAuth,
    now: u64,
) -> Result<TokenSet> {
    let Some(rt) = &current.refresh_token else {
        return Err(no_refresh_token(current, now));
    };
    let endpoint = crate::discovery::secure_url("token_endpoint", endpoint.as_str())?;
    let resp = token_endpoint::refresh(http, &endpoint, auth, rt).await?;
    Ok(current.refreshed(&resp, now))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;

    fn set(expires_at: Option<u64>) -> TokenSet {
        let mut s = external_set();
        s.expires_at = expires_at;
        s
    }

    fn external_set() -> TokenSet {
        TokenSet::from_json(&Secret::new(
            r#"{"v":1,"fhir_base":"https://x/fhir","client_id":"c","token_endpoint":"https://x/token","auth_method":"none","access_token":"AT","token_type":"Bearer","obtained_at":0}"#,
        ))
        .unwrap()
    }

    #[test]
    fn a_token_is_refreshed_a_margin_before_it_expires() {
        let t0 = 1_700_000_000;
        let s = set(Some(t0 + 3600));
        assert!(still_good(&s, false, FixedClock(t0).now()));
        assert!(!still_good(&s, true, t0), "forced");
        // An hour later, without sleeping: inside the margin, then expired.
        assert!(!still_good(&s, false, t0 + 3600 - REFRESH_MARGIN.as_secs()));
        assert!(still_good(
            &s,
            false,
            t0 + 3600 - REFRESH_MARGIN.as_secs() - 1
        ));
        assert!(!still_good(&s, false, t0 + 7200));
        // Unknown lifetime: used until the server refuses it.
        assert!(still_good(&set(None), false, t0 + 1_000_000));
    }

    #[tokio::test]
    async fn refresh_without_a_refresh_token_says_whether_it_expired() {
        let http = Http::new(&crate::http::Options::default()).unwrap();
        let auth = ClientAuth::None {
            client_id: "c".into(),
        };
        let s = set(Some(1000));
        let ep = Url::parse(&s.token_endpoint).unwrap();
        let e = refresh(&http, &ep, &s, &auth, 990).await.unwrap_err();
        assert!(e.message.starts_with("the access token is about to expire"));
        let e = refresh(&http, &ep, &s, &auth, 1000).await.unwrap_err();
        assert!(e.message.starts_with("the access token has expired"));
    }
}
