//! The assertions of SMART's client-confidential-asymmetric profile that a
//! server must refuse and Inferno never sends: each is a good assertion
//! (the claims of `oauth::assertion`) with one thing wrong, so that a
//! refusal can only be for that thing.

use base64::Engine;
use serde_json::{Value, json};

use super::Backend;
use crate::error::{Error, Result};
use crate::oauth::assertion;
use crate::oauth::keys::SigningKey;
use crate::secret::Secret;

/// A JWKS URL no client registered (`.invalid` never resolves, so a server
/// that fetched it would fail rather than reach someone).
pub const FOREIGN_JKU: &str = "https://smart-check.invalid/jwks.json";
/// A `sub` that is not the client.
pub const OTHER_SUB: &str = "smart-check-not-the-client";
/// How far ahead the long-lived assertion expires: twice SMART's cap, so
/// that a server's clock-skew leeway cannot explain an acceptance.
pub const FAR_EXP: u64 = 600;

/// The five rules, in the order they are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forgery {
    /// `jku` header naming a JWKS URL that is not the registered one.
    ForeignJku,
    /// `sub` ≠ `iss`.
    SubNotIss,
    /// `exp` ten minutes ahead.
    FarExp,
    /// `alg: none`, no signature.
    AlgNone,
    /// HS256, the HMAC keyed with the client's public key (SPKI PEM).
    Hs256PublicKey,
}

impl Forgery {
    pub const ALL: [Forgery; 5] = [
        Forgery::ForeignJku,
        Forgery::SubNotIss,
        Forgery::FarExp,
        Forgery::AlgNone,
        Forgery::Hs256PublicKey,
    ];

    /// What was accepted, as the unmet verdict says it.
    pub fn accepted(self) -> String {
        match self {
            Forgery::ForeignJku => format!("an assertion with jku {FOREIGN_JKU} was accepted"),
            Forgery::SubNotIss => {
                format!("an assertion with sub `{OTHER_SUB}` (not its iss) was accepted")
            }
            Forgery::FarExp => format!(
                "an assertion expiring {} minutes ahead was accepted",
                FAR_EXP / 60
            ),
            Forgery::AlgNone => "an unsigned assertion (alg none) was accepted".to_owned(),
            Forgery::Hs256PublicKey => {
                "an HS256 assertion keyed with the client's public key was accepted".to_owned()
            }
        }
    }

    /// The assertion, for `b` at `token_url`, made at `now`.
    pub fn make(self, b: &Backend, token_url: &str, now: u64) -> Result<Secret> {
        let mut claims = assertion::claims(&b.client_id, token_url, now);
        match self {
            Forgery::ForeignJku => {
                let key = SigningKey {
                    jku: Some(FOREIGN_JKU.to_owned()),
                    ..b.key.clone()
                };
                assertion::sign_claims(&key, &claims)
            }
            Forgery::SubNotIss => {
                claims["sub"] = json!(OTHER_SUB);
                assertion::sign_claims(&b.key, &claims)
            }
            Forgery::FarExp => {
                claims["exp"] = json!(now + FAR_EXP);
                assertion::sign_claims(&b.key, &claims)
            }
            Forgery::AlgNone => Ok(unsigned(&b.key.kid, &claims)),
            Forgery::Hs256PublicKey => {
                let pem = b.key.key.public_key_pem()?;
                let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
                header.typ = Some("JWT".into());
                header.kid = Some(b.key.kid.clone());
                let key = jsonwebtoken::EncodingKey::from_secret(pem.as_bytes());
                jsonwebtoken::encode(&header, &claims, &key)
                    .map(Secret::new)
                    .map_err(|e| Error::usage(format!("cannot make the HS256 assertion: {e}")))
            }
        }
    }
}

/// An unsecured JWT (RFC 7519 §6): header `alg: none`, an empty signature.
fn unsigned(kid: &str, claims: &Value) -> Secret {
    let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let header = json!({"alg": "none", "typ": "JWT", "kid": kid});
    Secret::new(format!("{}.{}.", b64(&header), b64(claims)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::keys::{PrivateKey, SigningAlg};
    use jsonwebtoken::{DecodingKey, Validation};

    fn backend(alg: SigningAlg) -> Backend {
        Backend {
            client_id: "bot".into(),
            key: SigningKey {
                key: PrivateKey::generate(alg).unwrap(),
                alg,
                kid: "k1".into(),
                jku: None,
            },
            scope: "system/*.rs".into(),
        }
    }

    fn parts(jwt: &Secret) -> (Value, Value) {
        let seg = |i: usize| -> Value {
            let s = jwt.expose().split('.').nth(i).unwrap();
            serde_json::from_slice(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(s)
                    .unwrap(),
            )
            .unwrap()
        };
        (seg(0), seg(1))
    }

    #[test]
    fn each_forgery_differs_from_a_good_assertion_in_its_one_rule() {
        let b = backend(SigningAlg::ES384);
        let now = 1_800_000_000;
        for f in Forgery::ALL {
            let jwt = f.make(&b, "https://as.example/token", now).unwrap();
            let (h, c) = parts(&jwt);
            assert_eq!(c["iss"], "bot", "{f:?}");
            assert_eq!(c["aud"], "https://as.example/token", "{f:?}");
            assert_eq!(h["kid"], "k1", "{f:?}");
            let want_sub = if f == Forgery::SubNotIss {
                OTHER_SUB
            } else {
                "bot"
            };
            assert_eq!(c["sub"], want_sub, "{f:?}");
            let want_exp = now
                + if f == Forgery::FarExp {
                    FAR_EXP
                } else {
                    assertion::LIFETIME
                };
            assert_eq!(c["exp"], want_exp, "{f:?}");
            assert_eq!(h.get("jku").is_some(), f == Forgery::ForeignJku, "{f:?}");
            let want_alg = match f {
                Forgery::AlgNone => "none",
                Forgery::Hs256PublicKey => "HS256",
                _ => "ES384",
            };
            assert_eq!(h["alg"], want_alg, "{f:?}");
        }
        let none = Forgery::AlgNone
            .make(&b, "https://as.example/token", now)
            .unwrap();
        assert!(none.expose().ends_with('.'), "no signature");
    }

    #[test]
    fn the_hs256_assertion_verifies_with_the_public_key_pem_as_the_hmac_secret() {
        for alg in [SigningAlg::ES384, SigningAlg::RS384] {
            let b = backend(alg);
            let now = crate::clock::Clock::now(&crate::clock::SystemClock);
            let jwt = Forgery::Hs256PublicKey
                .make(&b, "https://as.example/token", now)
                .unwrap();
            let pem = b.key.key.public_key_pem().unwrap();
            assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n"), "{pem}");
            let mut v = Validation::new(jsonwebtoken::Algorithm::HS256);
            v.set_audience(&["https://as.example/token"]);
            jsonwebtoken::decode::<Value>(
                jwt.expose(),
                &DecodingKey::from_secret(pem.as_bytes()),
                &v,
            )
            .unwrap();
        }
    }
}
