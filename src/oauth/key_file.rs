//! A private key as a user keeps it: PEM ([`PrivateKey::from_pem`]), a
//! JWK or a JWKS with one private key ([`super::private_jwk`]), told apart
//! by its first character.

use super::keys::{LoadedKey, PrivateKey};
use crate::error::Result;

/// Reads a private key given as PEM, as a JWK or as a JWKS with one private
/// key. `origin` names where it came from, for messages (never the key
/// itself).
pub fn read(text: &str, origin: &str) -> Result<LoadedKey> {
    if super::private_jwk::looks_like_json(text) {
        return super::private_jwk::parse(text, origin);
    }
    Ok(LoadedKey {
        key: PrivateKey::from_pem(text, origin)?,
        kid: None,
        alg: None,
    })
}
