//! Client assertions for `private_key_jwt` (RFC 7523 §2.2 and §3, as SMART
//! Backend Services and client-confidential-asymmetric profile them): a JWT
//! signed with the client's key that stands in for a client secret at the
//! token endpoint.
//!
//! Each assertion is made for one request and thrown away: a fresh random
//! `jti` every time (servers refuse a replayed one), a short life (`exp` well
//! inside the five minutes servers allow, with room for clock skew), and
//! `aud` set to the exact token URL it is sent to. The JWT is returned as a
//! [`Secret`] so that it is never printed; the wire trace redacts the
//! `client_assertion` parameter as well.

use base64::Engine;
use rand::RngCore;
use serde_json::json;

use super::keys::SigningKey;
use crate::clock::Clock as _;
use crate::error::{Error, Result};
use crate::secret::Secret;

/// RFC 7523 §2.2: the value of `client_assertion_type`.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Seconds an assertion lives. SMART caps `exp` at five minutes from now;
/// four leave a minute for a server whose clock runs behind ours.
pub const LIFETIME: u64 = 240;

/// A signed assertion for `client_id` at `token_url`, valid from now.
pub fn sign(key: &SigningKey, client_id: &str, token_url: &str) -> Result<Secret> {
    sign_at(key, client_id, token_url, crate::clock::SystemClock.now())
}

/// [`sign`] with an explicit clock, so that tests can make stale assertions.
pub fn sign_at(key: &SigningKey, client_id: &str, token_url: &str, now: u64) -> Result<Secret> {
    sign_claims(key, &claims(client_id, token_url, now))
}

/// The RFC 7523 claims of an assertion for `client_id` at `token_url`,
/// made at `now`, with a fresh `jti`. `smart check` alters one of them to
/// make the assertions a server must refuse.
pub fn claims(client_id: &str, token_url: &str, now: u64) -> serde_json::Value {
    json!({
        "iss": client_id,
        "sub": client_id,
        "aud": token_url,
        "iat": now,
        "exp": now + LIFETIME,
        "jti": new_jti(),
    })
}

/// `claims` signed with `key`; the header has `alg`, `typ`, `kid` and the
/// key's `jku`, if it has one.
pub fn sign_claims(key: &SigningKey, claims: &serde_json::Value) -> Result<Secret> {
    key.key.check_alg(key.alg)?;
    let mut header = jsonwebtoken::Header::new(key.alg.jwt_alg());
    header.typ = Some("JWT".into());
    header.kid = Some(key.kid.clone());
    header.jku = key.jku.clone();
    let encoding = key.key.encoding_key()?;
    jsonwebtoken::encode(&header, claims, &encoding)
        .map(Secret::new)
        .map_err(|e| Error::usage(format!("cannot sign the client assertion: {e}")))
}

/// 128 random bits, base64url: unique enough that a server's replay cache
/// never sees the same one twice.
fn new_jti() -> String {
    let mut b = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::keys::{PrivateKey, SigningAlg};
    use jsonwebtoken::{DecodingKey, Validation};
    use serde_json::Value;

    fn key(alg: SigningAlg) -> SigningKey {
        let key = PrivateKey::generate(alg).unwrap();
        SigningKey {
            kid: key.thumbprint(),
            key,
            alg,
            jku: None,
        }
    }

    fn verify(
        k: &SigningKey,
        jwt: &str,
        leeway: u64,
    ) -> Result<Value, jsonwebtoken::errors::Error> {
        let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(k.key.public_jwk(&k.kid)).unwrap();
        let dk = DecodingKey::from_jwk(&jwk).unwrap();
        let mut v = Validation::new(k.alg.jwt_alg());
        v.leeway = leeway;
        v.set_audience(&["https://as.example/token"]);
        v.set_issuer(&["client-1"]);
        v.sub = Some("client-1".into());
        jsonwebtoken::decode::<Value>(jwt, &dk, &v).map(|d| d.claims)
    }

    #[test]
    fn assertions_carry_the_rfc_7523_claims_and_verify_for_both_algs() {
        for alg in [SigningAlg::ES384, SigningAlg::RS384] {
            let mut k = key(alg);
            k.jku = Some("https://app.example/jwks.json".into());
            let jwt = sign(&k, "client-1", "https://as.example/token").unwrap();
            let header = jsonwebtoken::decode_header(jwt.expose()).unwrap();
            assert_eq!(header.alg, alg.jwt_alg());
            assert_eq!(header.typ.as_deref(), Some("JWT"));
            assert_eq!(header.kid.as_deref(), Some(k.kid.as_str()));
            assert_eq!(header.jku.as_deref(), Some("https://app.example/jwks.json"));
            let claims = verify(&k, jwt.expose(), 0).unwrap();
            let exp = claims["exp"].as_u64().unwrap();
            let now = crate::clock::SystemClock.now();
            assert!(exp > now && exp <= now + 300, "exp within five minutes");
            assert!(claims["jti"].as_str().unwrap().len() >= 20);
        }
    }

    #[test]
    fn every_assertion_has_a_new_jti() {
        let k = key(SigningAlg::ES384);
        let jti = |jwt: Secret| -> String {
            let c: Value = jsonwebtoken::dangerous::insecure_decode_claims(jwt.expose()).unwrap();
            c["jti"].as_str().unwrap().to_owned()
        };
        let a = jti(sign(&k, "c", "https://as.example/token").unwrap());
        let b = jti(sign(&k, "c", "https://as.example/token").unwrap());
        assert_ne!(a, b);
    }

    #[test]
    fn an_assertion_made_ten_minutes_ago_has_expired() {
        let k = key(SigningAlg::ES384);
        let then = crate::clock::SystemClock.now() - 600;
        let jwt = sign_at(&k, "client-1", "https://as.example/token", then).unwrap();
        let e = verify(&k, jwt.expose(), 5).unwrap_err();
        assert!(matches!(
            e.kind(),
            jsonwebtoken::errors::ErrorKind::ExpiredSignature
        ));
    }

    #[test]
    fn a_key_is_not_used_with_the_wrong_alg() {
        let mut k = key(SigningAlg::ES384);
        k.alg = SigningAlg::RS384;
        assert!(sign(&k, "c", "https://as.example/token").is_err());
    }
}
