//! The server's signing key (RS256, the algorithm every OpenID Connect
//! relying party must support) for id_tokens, and its JWKS.
//!
//! RSA key generation takes a noticeable moment in debug builds, so the key
//! is made once per process and shared by every sandbox in it (tests start
//! many). The `id-token-bad-signature` fault signs with a second key that is
//! never published but claims the same `kid`.

use std::sync::{Arc, OnceLock};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use sha2::{Digest, Sha256};

pub(crate) const ID_TOKEN_ALG: Algorithm = Algorithm::RS256;
pub(crate) const ID_TOKEN_ALG_NAME: &str = "RS256";

pub(crate) struct ServerKeys {
    kid: String,
    encoding: EncodingKey,
    public_jwk: serde_json::Value,
    rogue: OnceLock<Option<EncodingKey>>,
}

fn generate() -> anyhow::Result<(EncodingKey, rsa::RsaPublicKey)> {
    let key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048)?;
    let der = key.to_pkcs1_der()?;
    Ok((
        EncodingKey::from_rsa_der(der.as_bytes()),
        key.to_public_key(),
    ))
}

impl ServerKeys {
    /// The process-wide key pair.
    pub(crate) fn shared() -> Arc<ServerKeys> {
        static KEYS: OnceLock<Arc<ServerKeys>> = OnceLock::new();
        KEYS.get_or_init(|| {
            // Generation from the OS RNG only fails if the OS has no
            // randomness, in which case nothing here could work anyway.
            let (encoding, public) = generate().expect("RSA key generation");
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
            Arc::new(ServerKeys {
                kid,
                encoding,
                public_jwk,
                rogue: OnceLock::new(),
            })
        })
        .clone()
    }

    /// `{"keys":[…]}` as served at `/auth/jwks`.
    pub(crate) fn jwks(&self) -> serde_json::Value {
        serde_json::json!({ "keys": [self.public_jwk] })
    }

    /// Signs claims as a JWT; with `rogue`, with a key not in the JWKS.
    pub(crate) fn sign(&self, claims: &serde_json::Value, rogue: bool) -> anyhow::Result<String> {
        let mut header = Header::new(ID_TOKEN_ALG);
        header.kid = Some(self.kid.clone());
        let key = if rogue {
            self.rogue
                .get_or_init(|| generate().ok().map(|(k, _)| k))
                .as_ref()
                .ok_or_else(|| anyhow::anyhow!("cannot generate the rogue key"))?
        } else {
            &self.encoding
        };
        Ok(jsonwebtoken::encode(&header, claims, key)?)
    }
}
