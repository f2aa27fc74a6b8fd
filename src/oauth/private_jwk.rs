//! Private keys kept as a JWK (RFC 7517: a JSON object with `d`) or as a
//! JWKS holding exactly one private key — how bulk-data-client and SMART
//! Fetch users keep their backend keys — read into a [`PrivateKey`], and a
//! generated key written back as one (`smart keys generate --format jwk`).
//!
//! Only what SMART requires servers to accept is read: an EC key on P-384
//! (ES384) or an RSA key (RS384). The public members a JWK carries are
//! checked against its private part, so that a JWK pasted together from two
//! keys fails here, in words, rather than at the server as `invalid_client`.
//! Messages name the file or variable and the member at fault, never a
//! value.

use base64::Engine;
use p384::elliptic_curve::sec1::ToEncodedPoint;
use rsa::BigUint;
use rsa::traits::PrivateKeyParts;
use serde_json::{Map, Value, json};

use super::keys::{KeyMaterial, LoadedKey, PrivateKey, SigningAlg};
use crate::error::{Error, Result};

/// Whether `text` is meant as JSON (a JWK or JWKS) rather than PEM.
pub fn looks_like_json(text: &str) -> bool {
    text.trim_start().starts_with('{')
}

/// Reads a private JWK, or a JWKS with exactly one private key (public keys
/// beside it are ignored). `origin` names where the text came from.
pub fn parse(text: &str, origin: &str) -> Result<LoadedKey> {
    let bad = |why: String| {
        Error::usage(format!("{origin}: {why}")).with_hint(
            "give a private JWK (a JSON object with `d`) of an EC P-384 or RSA key, or a JWKS holding one",
        )
    };
    let v: Value = serde_json::from_str(text).map_err(|e| {
        // The position only: serde's message may quote the text.
        bad(format!(
            "not valid JSON (line {}, column {})",
            e.line(),
            e.column()
        ))
    })?;
    let Value::Object(obj) = v else {
        return Err(bad("not a JSON object".into()));
    };
    let jwk = match obj.get("keys") {
        Some(Value::Array(keys)) => {
            let private: Vec<&Map<String, Value>> = keys
                .iter()
                .filter_map(Value::as_object)
                .filter(|k| k.contains_key("d"))
                .collect();
            match private.as_slice() {
                [one] => *one,
                _ => {
                    return Err(bad(format!(
                        "a JWKS needs exactly one private key (with `d`); this one has {} private key{} among {} key{}",
                        private.len(),
                        if private.len() == 1 { "" } else { "s" },
                        keys.len(),
                        if keys.len() == 1 { "" } else { "s" },
                    )));
                }
            }
        }
        Some(_) => return Err(bad("`keys` is not an array".into())),
        None => &obj,
    };
    read_jwk(jwk).map_err(bad)
}

/// One JWK object; the error says what is wrong with it, without values.
fn read_jwk(jwk: &Map<String, Value>) -> std::result::Result<LoadedKey, String> {
    let text = |name: &str| -> std::result::Result<Option<&str>, String> {
        match jwk.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(format!("the JWK's `{name}` is not a string")),
        }
    };
    if text("d")?.is_none() {
        return Err(
            "the JWK has no `d`: it is a public key, and signing needs the private one".into(),
        );
    }
    let kty = text("kty")?.ok_or("the JWK has no `kty`")?;
    let alg = match text("alg")? {
        None => None,
        Some(a) => Some(
            SigningAlg::parse(a)
                .filter(|_| a == a.trim())
                .ok_or_else(|| {
                    format!(
                        "the JWK's alg `{}` is not supported: use RS384 or ES384",
                        crate::redact::printable(a)
                    )
                })?,
        ),
    };
    let material = match kty {
        "EC" => ec_key(jwk)?,
        "RSA" => rsa_key(jwk)?,
        other => {
            return Err(format!(
                "the JWK's kty `{}` is not supported: use an EC (P-384) or RSA key",
                crate::redact::printable(other)
            ));
        }
    };
    let key = PrivateKey::from_material(material);
    if let Some(a) = alg
        && a != key.natural_alg()
    {
        return Err(format!(
            "the JWK says alg {a}, but it is a{} key, which signs {}",
            if kty == "EC" { "n EC" } else { "n RSA" },
            key.natural_alg()
        ));
    }
    let kid = text("kid")?.map(str::to_owned);
    if kid.as_deref() == Some("") {
        return Err("the JWK's `kid` is empty".into());
    }
    Ok(LoadedKey { key, kid, alg })
}

/// A base64url member decoded (padding tolerated), or why not.
fn member(jwk: &Map<String, Value>, name: &str) -> std::result::Result<Option<Vec<u8>>, String> {
    let Some(v) = jwk.get(name) else {
        return Ok(None);
    };
    let s = v
        .as_str()
        .ok_or_else(|| format!("the JWK's `{name}` is not a string"))?;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s.trim_end_matches('='))
        .map(Some)
        .map_err(|_| format!("the JWK's `{name}` is not base64url"))
}

fn required(jwk: &Map<String, Value>, name: &str) -> std::result::Result<Vec<u8>, String> {
    member(jwk, name)?.ok_or_else(|| format!("the JWK has no `{name}`"))
}

fn ec_key(jwk: &Map<String, Value>) -> std::result::Result<KeyMaterial, String> {
    match jwk.get("crv").and_then(Value::as_str) {
        Some("P-384") => {}
        Some(other) => {
            return Err(format!(
                "the JWK's curve `{}` is not supported: only P-384 (ES384)",
                crate::redact::printable(other)
            ));
        }
        None => return Err("the EC JWK has no `crv`".into()),
    }
    let d = required(jwk, "d")?;
    if d.len() != 48 {
        return Err(format!(
            "the JWK's `d` is {} bytes; a P-384 private key is 48",
            d.len()
        ));
    }
    let secret = p384::SecretKey::from_slice(&d)
        .map_err(|_| "the JWK's `d` is not a valid P-384 private key".to_owned())?;
    let point = secret.public_key().to_encoded_point(false);
    for (name, mine) in [("x", point.x()), ("y", point.y())] {
        let given = required(jwk, name)?;
        if mine.map(|m| &m[..]) != Some(&given[..]) {
            return Err(format!(
                "the JWK's `{name}` does not belong to its `d` (public and private parts of different keys?)"
            ));
        }
    }
    Ok(KeyMaterial::P384(secret))
}

fn rsa_key(jwk: &Map<String, Value>) -> std::result::Result<KeyMaterial, String> {
    let big = |name: &str| required(jwk, name).map(|b| BigUint::from_bytes_be(&b));
    let (n, e, d) = (big("n")?, big("e")?, big("d")?);
    let primes = match (member(jwk, "p")?, member(jwk, "q")?) {
        (Some(p), Some(q)) => vec![BigUint::from_bytes_be(&p), BigUint::from_bytes_be(&q)],
        (None, None) => Vec::new(),
        _ => return Err("the JWK has one of `p` and `q` without the other".into()),
    };
    if jwk.contains_key("oth") {
        return Err("multi-prime RSA keys (`oth`) are not supported".into());
    }
    // Checks that n, e, d (and p, q) make one key; recovers p and q if absent.
    let key = rsa::RsaPrivateKey::from_components(n, e, d, primes)
        .map_err(|_| "the JWK's RSA members do not make a valid key".to_owned())?;
    Ok(KeyMaterial::Rsa(Box::new(key)))
}

/// `key` as a private JWK with `kid` and its `alg` (for a 0600 file).
pub fn to_private_jwk(key: &PrivateKey, kid: &str) -> Value {
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let big = |b: &BigUint| b64(&b.to_bytes_be());
    let mut jwk = key.public_jwk(kid);
    let Value::Object(m) = &mut jwk else {
        return jwk;
    };
    // A private key file signs: it is not published with `key_ops: [verify]`.
    m.remove("key_ops");
    match key.material() {
        KeyMaterial::P384(k) => {
            m.insert("d".into(), json!(b64(&k.to_bytes()[..])));
        }
        KeyMaterial::Rsa(k) => {
            m.insert("d".into(), json!(big(k.d())));
            if let [p, q] = k.primes() {
                m.insert("p".into(), json!(big(p)));
                m.insert("q".into(), json!(big(q)));
            }
            let crt = [
                ("dp", k.dp().cloned()),
                ("dq", k.dq().cloned()),
                ("qi", k.qinv().and_then(|q| q.to_biguint())),
            ];
            for (name, v) in crt {
                if let Some(v) = v {
                    m.insert(name.into(), json!(big(&v)));
                }
            }
        }
    }
    jwk
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(alg: SigningAlg) {
        let k = PrivateKey::generate(alg).unwrap();
        let jwk = to_private_jwk(&k, "k-1");
        assert_eq!(jwk["alg"], alg.name());
        let back = parse(&jwk.to_string(), "test").unwrap();
        assert_eq!(back.key.thumbprint(), k.thumbprint());
        assert_eq!(back.kid.as_deref(), Some("k-1"));
        assert_eq!(back.alg, Some(alg));
        // Inside a JWKS, beside a public key.
        let jwks = json!({"keys": [k.public_jwk("pub"), jwk]});
        let back = parse(&jwks.to_string(), "test").unwrap();
        assert_eq!(back.key.thumbprint(), k.thumbprint());
    }

    #[test]
    fn ec_and_rsa_keys_round_trip_through_a_jwk() {
        round_trip(SigningAlg::ES384);
        round_trip(SigningAlg::RS384);
    }

    #[test]
    fn an_rsa_jwk_without_primes_is_read() {
        let k = PrivateKey::generate(SigningAlg::RS384).unwrap();
        let mut jwk = to_private_jwk(&k, "k");
        for m in ["p", "q", "dp", "dq", "qi"] {
            jwk.as_object_mut().unwrap().remove(m);
        }
        let back = parse(&jwk.to_string(), "k.json").unwrap();
        assert_eq!(back.key.thumbprint(), k.thumbprint());
    }

    fn refused(text: &str) -> String {
        let e = parse(text, "k.json").unwrap_err();
        assert!(e.message.starts_with("k.json: "), "{}", e.message);
        assert!(!e.message.contains('\n'), "one line: {}", e.message);
        e.message
    }

    #[test]
    fn bad_jwks_are_refused_in_words_without_their_values() {
        let ec = PrivateKey::generate(SigningAlg::ES384).unwrap();
        let jwk = to_private_jwk(&ec, "k");
        let secret_d = jwk["d"].as_str().unwrap().to_owned();
        let with = |name: &str, v: Value| {
            let mut j = jwk.clone();
            j[name] = v;
            j.to_string()
        };
        let public = ec.public_jwk("k").to_string();
        assert!(refused(&public).contains("no `d`"));
        let m = refused(&with("alg", json!("RS256")));
        assert!(
            m.contains("alg `RS256` is not supported: use RS384 or ES384"),
            "{m}"
        );
        assert!(refused(&with("alg", json!("RS384"))).contains("signs ES384"));
        assert!(refused(&with("crv", json!("P-256"))).contains("curve `P-256`"));
        assert!(refused(&with("kty", json!("OKP"))).contains("kty `OKP`"));
        let other = PrivateKey::generate(SigningAlg::ES384).unwrap();
        let m = refused(&with("x", to_private_jwk(&other, "o")["x"].clone()));
        assert!(m.contains("`x` does not belong"), "{m}");
        assert!(refused(&with("d", json!("AAAA"))).contains("3 bytes"));
        assert!(refused(&with("d", json!("***"))).contains("not base64url"));
        let m = refused(&format!("{{\"d\": \"{secret_d}\", "));
        assert!(
            m.contains("not valid JSON") && !m.contains(&secret_d),
            "{m}"
        );
        assert!(refused("[]").contains("not a JSON object"));
        // JWKS: zero or several private keys, named by count.
        let m = refused(&json!({"keys": [ec.public_jwk("a")]}).to_string());
        assert!(m.contains("has 0 private keys among 1 key"), "{m}");
        let two = json!({"keys": [jwk, to_private_jwk(&other, "o")]}).to_string();
        assert!(refused(&two).contains("has 2 private keys among 2 keys"));
        for m in [refused(&public), refused(&two)] {
            assert!(!m.contains(&secret_d));
        }
        let rsa = PrivateKey::generate(SigningAlg::RS384).unwrap();
        let mut r = to_private_jwk(&rsa, "r");
        r["d"] =
            to_private_jwk(&PrivateKey::generate(SigningAlg::RS384).unwrap(), "x")["d"].clone();
        assert!(refused(&r.to_string()).contains("do not make a valid key"));
    }
}
