//! Client signing keys for `private_key_jwt` (SMART Backend Services and
//! confidential-asymmetric clients): generating a P-384 or RSA key pair,
//! reading one back from PEM, and publishing its public half as a JWKS.
//!
//! Only the two algorithms SMART requires servers to accept are offered
//! (ES384 and RS384), so a key made here works with every conformant server.
//! The private key is held parsed inside [`PrivateKey`], whose `Debug`
//! prints only its algorithm, so that no log or error message can show it.
//!
//! A key's default `kid` is its RFC 7638 JWK thumbprint: it is derived from
//! the key itself, so `smart keys jwks` prints the same `kid` that
//! `smart keys generate` printed without anything else being stored. A key
//! generated with its own `--kid` keeps it in the public JWKS written beside
//! the PEM file ([`jwks_beside`]), where [`PrivateKey::published_as`] finds it
//! again when the file is used without a kid.

use base64::Engine;
use p384::elliptic_curve::sec1::ToEncodedPoint;
use p384::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
use rsa::traits::PublicKeyParts;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::fmt;

use crate::error::{Error, Result};
use crate::secret::Secret;

/// RSA modulus size for generated RS384 keys: the common floor that SMART
/// servers (and NIST until 2030) accept, and quick to generate.
const RSA_BITS: usize = 2048;

/// A JWS algorithm for client assertions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SigningAlg {
    /// ECDSA on P-384 with SHA-384 (small keys, fast; the default)
    ES384,
    /// RSASSA-PKCS1-v1_5 with SHA-384
    RS384,
}

impl SigningAlg {
    pub fn name(self) -> &'static str {
        match self {
            SigningAlg::ES384 => "ES384",
            SigningAlg::RS384 => "RS384",
        }
    }

    /// Case-insensitive, for `SMART_ALG`.
    pub fn parse(s: &str) -> Option<SigningAlg> {
        match s.trim().to_ascii_uppercase().as_str() {
            "ES384" => Some(SigningAlg::ES384),
            "RS384" => Some(SigningAlg::RS384),
            _ => None,
        }
    }

    pub fn jwt_alg(self) -> jsonwebtoken::Algorithm {
        match self {
            SigningAlg::ES384 => jsonwebtoken::Algorithm::ES384,
            SigningAlg::RS384 => jsonwebtoken::Algorithm::RS384,
        }
    }
}

impl fmt::Display for SigningAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A private key of one of the supported kinds.
#[derive(Clone)]
pub(super) enum KeyMaterial {
    P384(p384::SecretKey),
    Rsa(Box<rsa::RsaPrivateKey>),
}

/// A private signing key. `Debug` never shows the key.
#[derive(Clone)]
pub struct PrivateKey {
    material: KeyMaterial,
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PrivateKey({}, [redacted])", self.natural_alg())
    }
}

/// A private key as read from a file or variable, with the `kid` and `alg`
/// it names itself (a JWK may; PEM never does).
#[derive(Debug, Clone)]
pub struct LoadedKey {
    pub key: PrivateKey,
    pub kid: Option<String>,
    pub alg: Option<SigningAlg>,
}

impl PrivateKey {
    pub(super) fn from_material(material: KeyMaterial) -> PrivateKey {
        PrivateKey { material }
    }

    pub(super) fn material(&self) -> &KeyMaterial {
        &self.material
    }

    /// A new random key for `alg` (from the OS random source).
    pub fn generate(alg: SigningAlg) -> Result<PrivateKey> {
        let mut rng = rand::rngs::OsRng;
        let material = match alg {
            SigningAlg::ES384 => KeyMaterial::P384(p384::SecretKey::random(&mut rng)),
            SigningAlg::RS384 => KeyMaterial::Rsa(Box::new(
                rsa::RsaPrivateKey::new(&mut rng, RSA_BITS)
                    .map_err(|e| Error::usage(format!("cannot generate an RSA key: {e}")))?,
            )),
        };
        Ok(PrivateKey { material })
    }

    /// Reads a PEM private key: PKCS#8 (`PRIVATE KEY`, what `smart keys
    /// generate` and `openssl genpkey` write), or the older PKCS#1
    /// (`RSA PRIVATE KEY`) and SEC1 (`EC PRIVATE KEY`) forms. `origin` names
    /// where it came from, for messages (never the key itself).
    pub fn from_pem(pem: &str, origin: &str) -> Result<PrivateKey> {
        let bad = |why: &str| {
            Error::usage(format!("{origin}: {why}"))
                .with_hint("use a P-384 (ES384) or RSA (RS384) key in PKCS#8 PEM or as a JWK, e.g. from `smart keys generate`")
        };
        let pem = pem.trim();
        if pem.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") {
            return Err(bad("the private key is encrypted; smart needs it unencrypted")
                .with_hint("decrypt it with `openssl pkcs8 -in KEY -out PLAIN` and keep PLAIN at mode 0600"));
        }
        let material = if pem.contains("-----BEGIN PRIVATE KEY-----") {
            if let Ok(k) = p384::SecretKey::from_pkcs8_pem(pem) {
                KeyMaterial::P384(k)
            } else if let Ok(k) = rsa::RsaPrivateKey::from_pkcs8_pem(pem) {
                KeyMaterial::Rsa(Box::new(k))
            } else {
                return Err(bad(
                    "not a P-384 or RSA private key (other curves and Ed25519 are not supported)",
                ));
            }
        } else if pem.contains("-----BEGIN RSA PRIVATE KEY-----") {
            KeyMaterial::Rsa(Box::new(
                rsa::RsaPrivateKey::from_pkcs1_pem(pem)
                    .map_err(|_| bad("the RSA PRIVATE KEY block does not parse"))?,
            ))
        } else if pem.contains("-----BEGIN EC PRIVATE KEY-----") {
            KeyMaterial::P384(
                p384::SecretKey::from_sec1_pem(pem)
                    .map_err(|_| bad("not a P-384 EC PRIVATE KEY (only P-384 is supported)"))?,
            )
        } else {
            return Err(bad("no PEM private key found"));
        };
        Ok(PrivateKey { material })
    }

    /// The algorithm this key signs with.
    pub fn natural_alg(&self) -> SigningAlg {
        match self.material {
            KeyMaterial::P384(_) => SigningAlg::ES384,
            KeyMaterial::Rsa(_) => SigningAlg::RS384,
        }
    }

    /// Checks that `alg` is what this key can sign with.
    pub fn check_alg(&self, alg: SigningAlg) -> Result<()> {
        if alg == self.natural_alg() {
            return Ok(());
        }
        Err(Error::usage(format!(
            "the private key is a{} key, which signs {}, not {alg}",
            match self.material {
                KeyMaterial::P384(_) => " P-384",
                KeyMaterial::Rsa(_) => "n RSA",
            },
            self.natural_alg()
        ))
        .with_hint("leave alg unset (it follows the key) or use a matching key"))
    }

    /// The key as PKCS#8 PEM (for a 0600 file or the keychain).
    pub fn to_pkcs8_pem(&self) -> Result<Secret> {
        let pem = match &self.material {
            KeyMaterial::P384(k) => k.to_pkcs8_pem(LineEnding::LF),
            KeyMaterial::Rsa(k) => k.to_pkcs8_pem(LineEnding::LF),
        }
        .map_err(|e| Error::usage(format!("cannot encode the private key: {e}")))?;
        Ok(Secret::new(pem.as_str()))
    }

    /// The public half as SubjectPublicKeyInfo PEM (LF line ends): the form
    /// a careless server hands its JWT library, and so the HMAC secret of
    /// the algorithm-confusion assertion `smart check` sends.
    pub fn public_key_pem(&self) -> Result<String> {
        use p384::pkcs8::EncodePublicKey;
        match &self.material {
            KeyMaterial::P384(k) => k.public_key().to_public_key_pem(LineEnding::LF),
            KeyMaterial::Rsa(k) => {
                rsa::RsaPublicKey::from(k.as_ref()).to_public_key_pem(LineEnding::LF)
            }
        }
        .map_err(|e| Error::usage(format!("cannot encode the public key: {e}")))
    }

    /// The signing key in the form jsonwebtoken takes.
    pub fn encoding_key(&self) -> Result<jsonwebtoken::EncodingKey> {
        let fail = |e: String| Error::usage(format!("cannot use the private key: {e}"));
        Ok(match &self.material {
            KeyMaterial::P384(k) => jsonwebtoken::EncodingKey::from_ec_der(
                k.to_pkcs8_der()
                    .map_err(|e| fail(e.to_string()))?
                    .as_bytes(),
            ),
            KeyMaterial::Rsa(k) => jsonwebtoken::EncodingKey::from_rsa_der(
                k.to_pkcs1_der()
                    .map_err(|e| fail(e.to_string()))?
                    .as_bytes(),
            ),
        })
    }

    /// The public key's JWK members (`kty` and the key parameters only).
    fn public_members(&self) -> serde_json::Map<String, Value> {
        let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
        let v = match &self.material {
            KeyMaterial::P384(k) => {
                let point = k.public_key().to_encoded_point(false);
                // An uncompressed point always has both coordinates.
                let x = point.x().map(|x| b64(x)).unwrap_or_default();
                let y = point.y().map(|y| b64(y)).unwrap_or_default();
                json!({"kty": "EC", "crv": "P-384", "x": x, "y": y})
            }
            KeyMaterial::Rsa(k) => {
                json!({"kty": "RSA", "n": b64(&k.n().to_bytes_be()), "e": b64(&k.e().to_bytes_be())})
            }
        };
        match v {
            Value::Object(m) => m,
            _ => serde_json::Map::new(),
        }
    }

    /// RFC 7638 JWK thumbprint (SHA-256, base64url): the default `kid`.
    pub fn thumbprint(&self) -> String {
        let m = self.public_members();
        let s = |k: &str| m.get(k).and_then(Value::as_str).unwrap_or_default();
        // Required members only, in lexicographic order, no whitespace.
        let canonical = match self.material {
            KeyMaterial::P384(_) => format!(
                r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#,
                s("crv"),
                s("x"),
                s("y")
            ),
            KeyMaterial::Rsa(_) => {
                format!(r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#, s("e"), s("n"))
            }
        };
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(canonical))
    }

    /// The public key as a JWK ready to register: `kid`, `alg`, `use: sig`,
    /// `key_ops: [verify]`.
    pub fn public_jwk(&self, kid: &str) -> Value {
        let mut m = self.public_members();
        m.insert("kid".into(), json!(kid));
        m.insert("alg".into(), json!(self.natural_alg().name()));
        m.insert("use".into(), json!("sig"));
        m.insert("key_ops".into(), json!(["verify"]));
        Value::Object(m)
    }

    /// `{"keys": [public JWK]}`.
    pub fn public_jwks(&self, kid: &str) -> Value {
        json!({ "keys": [self.public_jwk(kid)] })
    }

    /// The `kid` (and `alg`, if it names one) under which `jwks` publishes
    /// this key; `None` when no JWK there is this key's public half (a JWKS
    /// of another key says nothing about this one).
    pub fn published_as(&self, jwks: &Value) -> Option<(String, Option<SigningAlg>)> {
        let mine = self.public_members();
        let jwk = jwks.get("keys")?.as_array()?.iter().find(|k| {
            mine.iter()
                .all(|(name, value)| k.get(name.as_str()) == Some(value))
        })?;
        let kid = jwk.get("kid")?.as_str()?.to_owned();
        let alg = jwk
            .get("alg")
            .and_then(Value::as_str)
            .and_then(SigningAlg::parse);
        Some((kid, alg))
    }
}

/// The public JWKS that `smart keys generate` writes beside a key file:
/// `NAME.key.pem` (or `NAME.pem`, `NAME.key.json`) → `NAME.jwks.json`.
pub fn jwks_beside(pem: &std::path::Path) -> std::path::PathBuf {
    let name = pem.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let stem = name
        .strip_suffix(".pem")
        .or_else(|| name.strip_suffix(".key.json"))
        .unwrap_or(name);
    let stem = stem.strip_suffix(".key").unwrap_or(stem);
    pem.with_file_name(format!("{stem}.jwks.json"))
}

/// Everything needed to sign a client assertion: the key, its algorithm,
/// the `kid` the server knows it by, and the `jku` to advertise, if any.
#[derive(Debug, Clone)]
pub struct SigningKey {
    pub key: PrivateKey,
    pub alg: SigningAlg,
    pub kid: String,
    pub jku: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_published_kid_is_found_for_its_own_key_only() {
        let k = PrivateKey::generate(SigningAlg::ES384).unwrap();
        let other = PrivateKey::generate(SigningAlg::ES384).unwrap();
        let jwks = k.public_jwks("mine");
        assert_eq!(
            k.published_as(&jwks),
            Some(("mine".to_owned(), Some(SigningAlg::ES384)))
        );
        assert_eq!(other.published_as(&jwks), None);
        assert_eq!(k.published_as(&json!({"keys": "x"})), None);
        let p = std::path::Path::new("/d/svc.key.pem");
        assert_eq!(jwks_beside(p), std::path::Path::new("/d/svc.jwks.json"));
        assert_eq!(
            jwks_beside(std::path::Path::new("k.pem")),
            std::path::Path::new("k.jwks.json")
        );
    }

    #[test]
    fn ec_keys_round_trip_through_pem_and_keep_their_thumbprint() {
        let k = PrivateKey::generate(SigningAlg::ES384).unwrap();
        let pem = k.to_pkcs8_pem().unwrap();
        assert!(pem.expose().starts_with("-----BEGIN PRIVATE KEY-----"));
        let back = PrivateKey::from_pem(pem.expose(), "test").unwrap();
        assert_eq!(back.natural_alg(), SigningAlg::ES384);
        assert_eq!(back.thumbprint(), k.thumbprint());
        let jwk = back.public_jwk("k1");
        assert_eq!(jwk["kty"], "EC");
        assert_eq!(jwk["crv"], "P-384");
        assert_eq!(jwk["alg"], "ES384");
        assert_eq!(jwk["use"], "sig");
        assert_eq!(jwk["key_ops"], json!(["verify"]));
        assert!(jwk.get("d").is_none(), "no private part in the public JWK");
        assert!(!format!("{k:?}").contains("PRIVATE"));
    }

    #[test]
    fn rsa_keys_round_trip_and_the_thumbprint_matches_jsonwebtoken() {
        let k = PrivateKey::generate(SigningAlg::RS384).unwrap();
        let back = PrivateKey::from_pem(k.to_pkcs8_pem().unwrap().expose(), "test").unwrap();
        assert_eq!(back.natural_alg(), SigningAlg::RS384);
        let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(back.public_jwk("x")).unwrap();
        let theirs = jwk
            .thumbprint(jsonwebtoken::jwk::ThumbprintHash::SHA256)
            .unwrap();
        assert_eq!(theirs, back.thumbprint());
        assert!(back.check_alg(SigningAlg::ES384).is_err());
    }

    #[test]
    fn unusable_pem_is_refused_without_echoing_it() {
        let e = PrivateKey::from_pem(
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
            "SMART_PRIVATE_KEY",
        )
        .unwrap_err();
        assert!(e.message.starts_with("SMART_PRIVATE_KEY:"), "{}", e.message);
        assert!(!e.message.contains("AAAA"));
        assert!(PrivateKey::from_pem("not a key", "x").is_err());
        assert!(PrivateKey::from_pem("-----BEGIN ENCRYPTED PRIVATE KEY-----", "x").is_err());
    }

    #[test]
    fn alg_names_parse_case_insensitively() {
        assert_eq!(SigningAlg::parse("es384"), Some(SigningAlg::ES384));
        assert_eq!(SigningAlg::parse("RS384"), Some(SigningAlg::RS384));
        assert_eq!(SigningAlg::parse("RS256"), None);
    }
}
