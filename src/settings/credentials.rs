//! Secrets and keys: read from the flag, the environment or the token store
//! only when a command needs them.

use std::path::Path;

use crate::error::{Error, Result};
use crate::oauth::keys::{LoadedKey, PrivateKey, SigningAlg, SigningKey};
use crate::token_store::{Item, TokenStore};

use oauth2::ClientSecret;

use super::*;
use crate::blocking::blocking;
use crate::config::TokenAuthMethod;

/// The profile value `private_key = "keychain"`: the key is the profile's
/// private-key item in the token store.
pub(crate) const KEY_IN_STORE: &str = "keychain";

/// What a profile stores for a key given on the command line: `keychain`
/// as is, a path made absolute (so the profile works from any directory).
pub(crate) fn key_reference(given: &str) -> String {
    if given == KEY_IN_STORE {
        return given.to_owned();
    }
    std::path::absolute(given)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| given.to_owned())
}

/// The kid under which the JWKS beside the key file `path` publishes `key`;
/// none when there is no such file or it is another key's.
pub(crate) fn published_beside(
    key: &PrivateKey,
    path: &Path,
) -> Option<(String, Option<SigningAlg>)> {
    let text = std::fs::read_to_string(crate::oauth::keys::jwks_beside(path)).ok()?;
    key.published_as(&serde_json::from_str(&text).ok()?)
}

impl Settings {
    /// The private key, read from wherever the settings say (PEM, a JWK or
    /// a JWKS with one private key), with the kid and alg a JWK names.
    pub fn private_key(&self, store: &TokenStore) -> Result<Option<LoadedKey>> {
        let Some(k) = &self.private_key else {
            return Ok(None);
        };
        let origin = k.source.label();
        match &k.value {
            KeyRef::Inline(text) => crate::oauth::key_file::read(text.expose(), &origin).map(Some),
            KeyRef::Unusable { len } => Err(Error::usage(format!(
                "{origin} is not a PEM or JWK key, nor a readable file ({len} characters)"
            ))
            .with_hint(
                "give the key with its -----BEGIN … KEY----- lines, as a JWK (JSON), or the path of a PEM or JWK file",
            )),
            KeyRef::File(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    Error::usage(format!(
                        "cannot read the private key {} ({origin}): {e}",
                        path.display()
                    ))
                })?;
                crate::oauth::key_file::read(&text, &path.display().to_string()).map(Some)
            }
            KeyRef::Store => {
                let name = self.name().to_owned();
                let pem = crate::blocking::blocking(|| store.get(&name, Item::PrivateKey))?.ok_or_else(|| {
                    Error::auth(format!(
                        "profile `{name}` keeps its private key in the token store ({}), and none is there",
                        store.describe()
                    ))
                    .with_hint(format!("create one with `smart keys generate --keychain -p {name}`"))
                })?;
                crate::oauth::key_file::read(
                    pem.expose(),
                    &format!("the {} item of profile `{name}`", Item::PrivateKey.label()),
                )
                .map(Some)
            }
        }
    }

    /// The key, algorithm, kid and jku for client assertions. The kid and
    /// alg: as set (flag > environment > profile), else as the key's JWK
    /// names them, else as the JWKS beside a key file publishes it, else the
    /// key's thumbprint and natural algorithm.
    pub fn signing_key(&self, store: &TokenStore) -> Result<SigningKey> {
        let loaded = self.private_key(store)?.ok_or_else(|| {
            Error::auth(format!(
                "profile `{}` is a {} client and has no private key",
                self.name(),
                self.client_type.value
            ))
            .with_hint(format!(
                "set SMART_PRIVATE_KEY (PEM, a JWK or a path), or run `smart keys generate -p {}`",
                self.name()
            ))
        })?;
        let key = loaded.key;
        let published = self.published_kid(&key);
        let alg = match (&self.alg, loaded.alg, &published) {
            (Some(a), _, _) => {
                key.check_alg(a.value).map_err(|e| {
                    Error::usage(format!("alg from {}: {}", a.source.label(), e.message))
                })?;
                a.value
            }
            // The JWK's own alg was checked against the key when read.
            (None, Some(a), _) => a,
            (None, None, Some((_, Some(a)))) if key.check_alg(*a).is_ok() => *a,
            (None, None, _) => key.natural_alg(),
        };
        let kid = match (&self.kid, loaded.kid, published) {
            (Some(k), _, _) => k.value.clone(),
            (None, Some(k), _) => k,
            (None, None, Some((k, _))) => k,
            (None, None, None) => key.thumbprint(),
        };
        Ok(SigningKey {
            key,
            alg,
            kid,
            jku: self.jku.as_ref().map(|j| j.value.clone()),
        })
    }

    /// With no kid given, a key file's kid as published beside it (see
    /// `keys::jwks_beside`): what `smart keys generate --kid` registered.
    pub fn published_kid(&self, key: &PrivateKey) -> Option<(String, Option<SigningAlg>)> {
        if self.kid.is_some() {
            return None;
        }
        match &self.private_key.as_ref()?.value {
            KeyRef::File(path) => published_beside(key, path),
            _ => None,
        }
    }
}

/// The client secret for a profile: `SMART_CLIENT_SECRET` (see
/// [`Settings`]), else the store.
pub(crate) fn client_secret(
    store: &TokenStore,
    settings: &Settings,
) -> Result<Option<ClientSecret>> {
    if let Some(s) = &settings.client_secret {
        return Ok(Some(ClientSecret::new(s.value.expose().to_owned())));
    }
    let stored = blocking(|| store.get(settings.name(), Item::ClientSecret))?;
    Ok(stored.map(|s| ClientSecret::new(s.expose().to_owned())))
}

/// What `method` needs from the store: the client secret for the secret
/// methods, the signing key for `private_key_jwt`, nothing otherwise.
pub(crate) fn credentials_for(
    method: TokenAuthMethod,
    store: &TokenStore,
    settings: &Settings,
) -> Result<(Option<ClientSecret>, Option<SigningKey>)> {
    Ok(match method {
        TokenAuthMethod::ClientSecretBasic | TokenAuthMethod::ClientSecretPost => {
            (client_secret(store, settings)?, None)
        }
        TokenAuthMethod::PrivateKeyJwt => (None, Some(settings.signing_key(store)?)),
        TokenAuthMethod::None => (None, None),
    })
}
