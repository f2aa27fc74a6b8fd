//! The server's signing key (RS256, the algorithm every OpenID Connect
//! relying party must support) for id_tokens, and its JWKS.
//!
//! RSA key generation takes a noticeable moment in debug builds, so the key
//! is made once per process and shared by every sandbox in it (tests start
//! many). A second key, made when first needed, serves the key-rotation
//! cases: the `id-token-bad-signature` fault signs with it but claims the
//! first key's `kid`; the `id-token-unknown-kid` fault signs with it under
//! its own `kid`, never published; the `jwks-rotation` quirk does the same
//! and publishes it from the second JWKS request on.

use std::sync::{Arc, OnceLock};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use sha2::{Digest, Sha256};

pub(crate) const ID_TOKEN_ALG: Algorithm = Algorithm::RS256;
pub(crate) const ID_TOKEN_ALG_NAME: &str = "RS256";

/// A signing key, its `kid` (RFC 7638 thumbprint) and its public JWK.
struct Key {
    kid: String,
    encoding: EncodingKey,
    public_jwk: serde_json::Value,
}

pub(crate) struct ServerKeys {
    current: Key,
    next: OnceLock<Option<Key>>,
}

/// Which key signs, and under which `kid`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Signer {
    /// The published key.
    Current,
    /// The second key under the published key's kid: a bad signature.
    Impostor,
    /// The second key under its own kid (rotation, or never published).
    Next,
}

fn generate() -> anyhow::Result<Key> {
    let key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048)?;
    let der = key.to_pkcs1_der()?;
    let public = key.to_public_key();
    let n = URL_SAFE_NO_PAD.encode(public.n().to_bytes_be());
    let e = URL_SAFE_NO_PAD.encode(public.e().to_bytes_be());
    // RFC 7638 thumbprint: members in lexicographic order, no spaces.
    let canonical = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
    let kid = URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()));
    let public_jwk = serde_json::json!({
        "kty": "RSA",
        "use": "sig",
        "alg": "RS256",
        "kid": kid,
        "n": n,
        "e": e,
    });
    Ok(Key {
        kid,
        encoding: EncodingKey::from_rsa_der(der.as_bytes()),
        public_jwk,
    })
}

impl ServerKeys {
    /// The process-wide key pair.
    pub(crate) fn shared() -> Arc<ServerKeys> {
        static KEYS: OnceLock<Arc<ServerKeys>> = OnceLock::new();
        KEYS.get_or_init(|| {
            // Generation from the OS RNG only fails if the OS has no
            // randomness, in which case nothing here could work anyway.
            Arc::new(ServerKeys {
                current: generate().expect("RSA key generation"),
                next: OnceLock::new(),
            })
        })
        .clone()
    }

    fn next(&self) -> anyhow::Result<&Key> {
        self.next
            .get_or_init(|| generate().ok())
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("cannot generate the second key"))
    }

    /// `{"keys":[…]}` as served at `/auth/jwks`; `with_next` adds the second
    /// key (after a rotation).
    pub(crate) fn jwks(&self, with_next: bool) -> anyhow::Result<serde_json::Value> {
        let mut keys = vec![self.current.public_jwk.clone()];
        if with_next {
            keys.push(self.next()?.public_jwk.clone());
        }
        Ok(serde_json::json!({ "keys": keys }))
    }

    /// Signs claims as a JWT (RS256) with the header type `typ`.
    pub(crate) fn sign(
        &self,
        claims: &serde_json::Value,
        signer: Signer,
        typ: &str,
    ) -> anyhow::Result<String> {
        let (key, kid) = match signer {
            Signer::Current => (&self.current.encoding, &self.current.kid),
            Signer::Impostor => (&self.next()?.encoding, &self.current.kid),
            Signer::Next => {
                let next = self.next()?;
                (&next.encoding, &next.kid)
            }
        };
        let mut header = Header::new(ID_TOKEN_ALG);
        header.kid = Some(kid.clone());
        header.typ = Some(typ.to_owned());
        Ok(jsonwebtoken::encode(&header, claims, key)?)
    }
}
