//! OpenID Connect id_token validation: signature against the server's JWKS
//! (RS256/RS384/ES256/ES384), `iss`, `aud` = client_id, `exp`, `nonce`.
//! A failed check fails the login.

use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use reqwest::Method;
use reqwest::header::ACCEPT;
use serde_json::Value;
use url::Url;

use crate::discovery::{Discovery, FhirBase};
use crate::error::{Error, Result};
use crate::http::Http;
use crate::oauth::pkce;
use crate::reporter::Reporter;
use crate::secret::Secret;

const ALLOWED: &[Algorithm] = &[
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::ES256,
    Algorithm::ES384,
];

/// What we expect of the token.
pub struct Expect<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub nonce: Option<&'a Secret>,
}

pub async fn fetch_jwks(http: &Http, jwks_uri: &Url) -> Result<JwkSet> {
    let resp = http
        .send(
            http.request(Method::GET, jwks_uri.clone())
                .header(ACCEPT, "application/json"),
            1 << 20,
        )
        .await?;
    if !resp.status.is_success() {
        return Err(Error::server(format!(
            "{}: answered {} for the JWKS",
            crate::http::origin_path(jwks_uri),
            resp.status
        )));
    }
    serde_json::from_slice(&resp.body).map_err(|e| {
        Error::server(format!(
            "{}: not a JWK set ({e})",
            crate::http::origin_path(jwks_uri)
        ))
    })
}

/// Verifies `token` and returns its claims.
pub fn verify(
    token: &Secret,
    jwks: &JwkSet,
    expect: &Expect,
) -> Result<serde_json::Map<String, Value>> {
    let fail = |why: String| Error::auth(format!("the id_token is not valid: {why}"));
    let header = jsonwebtoken::decode_header(token.expose())
        .map_err(|e| fail(format!("cannot read its header ({e})")))?;
    if !ALLOWED.contains(&header.alg) {
        return Err(fail(format!("algorithm {:?} is not accepted", header.alg)));
    }
    let key = pick_key(jwks, header.kid.as_deref(), header.alg).ok_or_else(|| {
        fail(match &header.kid {
            Some(kid) => format!(
                "it is signed with key `{}`, which the server's JWKS does not publish",
                crate::redact::printable(kid)
            ),
            None => "it names no key (kid), and the server's JWKS has no single key for it".into(),
        })
    })?;
    let key = DecodingKey::from_jwk(key).map_err(|e| fail(format!("unusable JWK ({e})")))?;
    let mut v = Validation::new(header.alg);
    v.set_audience(&[expect.client_id]);
    // An issuer that differs only by a trailing slash is the same server
    // (servers are seen to disagree with their own discovery document on
    // it); the caller says so when it happens ([`issuer_mismatch`]).
    v.set_issuer(&[expect.issuer, &slash_toggled(expect.issuer)]);
    v.leeway = 60;
    v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    let data = jsonwebtoken::decode::<serde_json::Map<String, Value>>(token.expose(), &key, &v)
        .map_err(|e| fail(describe(&e)))?;
    let claims = data.claims;
    // OIDC Core 3.1.3.7: with several audiences, `azp` says which client
    // the token was issued to, and it must be us.
    if claims
        .get("aud")
        .and_then(Value::as_array)
        .is_some_and(|a| a.len() > 1)
    {
        match claims.get("azp").and_then(Value::as_str) {
            Some(azp) if azp == expect.client_id => {}
            Some(azp) => {
                return Err(fail(format!(
                    "it was issued to `{azp}` (azp), not to this client"
                )));
            }
            None => return Err(fail("it has several audiences and no azp".into())),
        }
    }
    if let Some(n) = expect.nonce {
        match claims.get("nonce").and_then(Value::as_str) {
            Some(got) if pkce::same(got, n.expose()) => {}
            Some(_) => return Err(fail("its nonce does not match the one sent".into())),
            None => return Err(fail("it has no nonce, but one was sent".into())),
        }
    }
    Ok(claims)
}

fn slash_toggled(issuer: &str) -> String {
    match issuer.strip_suffix('/') {
        Some(bare) => bare.to_owned(),
        None => format!("{issuer}/"),
    }
}

/// The `iss` of verified `claims` when it is not exactly `issuer` (then it
/// differs by a trailing slash only: [`verify`] accepts nothing else).
pub fn issuer_mismatch<'a>(
    claims: &'a serde_json::Map<String, Value>,
    issuer: &str,
) -> Option<&'a str> {
    claims
        .get("iss")
        .and_then(Value::as_str)
        .filter(|iss| *iss != issuer)
}

/// The `kid` of `token`'s header when `jwks` has no key by that id: the
/// server may have rotated its keys since the JWKS was fetched.
pub fn unknown_kid(token: &Secret, jwks: &JwkSet) -> Option<String> {
    let kid = jsonwebtoken::decode_header(token.expose()).ok()?.kid?;
    jwks.find(&kid).is_none().then_some(kid)
}

fn pick_key<'a>(jwks: &'a JwkSet, kid: Option<&str>, alg: Algorithm) -> Option<&'a Jwk> {
    match kid {
        Some(k) => jwks.find(k),
        None => {
            // Without a kid, only an unambiguous key of the right family will do.
            let family = |j: &&Jwk| {
                matches!(
                    (&j.algorithm, alg),
                    (
                        jsonwebtoken::jwk::AlgorithmParameters::RSA(_),
                        Algorithm::RS256 | Algorithm::RS384
                    ) | (
                        jsonwebtoken::jwk::AlgorithmParameters::EllipticCurve(_),
                        Algorithm::ES256 | Algorithm::ES384
                    )
                )
            };
            let mut it = jwks.keys.iter().filter(family);
            match (it.next(), it.next()) {
                (Some(k), None) => Some(k),
                _ => None,
            }
        }
    }
}

fn describe(e: &jsonwebtoken::errors::Error) -> String {
    use jsonwebtoken::errors::ErrorKind as K;
    match e.kind() {
        K::InvalidSignature => "bad signature".into(),
        K::ExpiredSignature => "expired".into(),
        K::InvalidIssuer => "wrong issuer (iss)".into(),
        K::InvalidAudience => "wrong audience (aud is not our client_id)".into(),
        K::MissingRequiredClaim(c) => format!("missing claim `{c}`"),
        K::ImmatureSignature => "not valid yet (nbf)".into(),
        other => format!("{other:?}"),
    }
}

/// Header and claims of a JWT, not verified (for `smart token --decode`).
pub fn decode_unverified(token: &str) -> Option<(Value, Value)> {
    use base64::Engine;
    let mut parts = token.split('.');
    let (h, c) = (parts.next()?, parts.next()?);
    parts.next()?;
    let dec = |s: &str| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(s.trim_end_matches('='))
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
    };
    Some((dec(h)?, dec(c)?))
}

/// Verifies an id_token against the JWKS the server advertises (fetched
/// once more for a `kid` it does not list yet), with the discovery
/// document's `issuer` (else the FHIR base) as the expected `iss`.
pub async fn verify_from_server(
    reporter: &Reporter,
    http: &Http,
    d: &Discovery,
    base: &FhirBase,
    client_id: &str,
    idt: &Secret,
    nonce: Option<&Secret>,
) -> Result<serde_json::Map<String, serde_json::Value>> {
    let jwks_uri = d.endpoint("jwks_uri")?.ok_or_else(|| {
        Error::auth("the server sent an id_token but advertises no jwks_uri to check it with")
    })?;
    let mut jwks = fetch_jwks(http, &jwks_uri).await?;
    // A kid we do not have may be a key the server rotated in since: fetch
    // the JWKS once more, and only then call it unknown.
    if let Some(kid) = unknown_kid(idt, &jwks) {
        reporter.note(&format!(
            "the id_token is signed with key `{}`, not in the JWKS; fetching it again",
            crate::redact::printable(&kid)
        ));
        jwks = fetch_jwks(http, &jwks_uri).await?;
    }
    let base_str = base.to_string();
    let issuer = d.str_field("issuer").unwrap_or(&base_str);
    let claims = verify(
        idt,
        &jwks,
        &Expect {
            issuer,
            client_id,
            nonce,
        },
    )?;
    if let Some(iss) = issuer_mismatch(&claims, issuer) {
        reporter.warn(&format!(
            "the id_token's iss `{}` differs from the issuer `{}` by a trailing slash; accepted as the same",
            crate::redact::printable(iss),
            crate::redact::printable(issuer)
        ));
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::keys::{PrivateKey, SigningAlg};
    use serde_json::json;

    fn signed(claims: Value) -> (Secret, JwkSet) {
        let k = PrivateKey::generate(SigningAlg::ES384).unwrap();
        let mut h = jsonwebtoken::Header::new(Algorithm::ES384);
        h.kid = Some("k1".into());
        let t = jsonwebtoken::encode(&h, &claims, &k.encoding_key().unwrap()).unwrap();
        (
            Secret::new(t),
            serde_json::from_value(k.public_jwks("k1")).unwrap(),
        )
    }

    fn check(aud: Value, azp: Option<&str>) -> Result<serde_json::Map<String, Value>> {
        let now = crate::clock::Clock::now(&crate::clock::SystemClock);
        let mut claims = json!({"iss": "https://ehr", "sub": "u", "aud": aud, "exp": now + 300});
        if let Some(a) = azp {
            claims["azp"] = json!(a);
        }
        let (token, jwks) = signed(claims);
        let expect = Expect {
            issuer: "https://ehr",
            client_id: "app",
            nonce: None,
        };
        verify(&token, &jwks, &expect)
    }

    #[test]
    fn an_unknown_kid_is_found_and_named() {
        let now = crate::clock::Clock::now(&crate::clock::SystemClock);
        let (token, jwks) =
            signed(json!({"iss": "https://ehr", "sub": "u", "aud": "app", "exp": now + 300}));
        assert_eq!(unknown_kid(&token, &jwks), None);
        let other: JwkSet = serde_json::from_value(json!({"keys": []})).unwrap();
        assert_eq!(unknown_kid(&token, &other).as_deref(), Some("k1"));
        let expect = Expect {
            issuer: "https://ehr",
            client_id: "app",
            nonce: None,
        };
        let e = verify(&token, &other, &expect).unwrap_err();
        assert!(
            e.message
                .contains("signed with key `k1`, which the server's JWKS does not publish"),
            "{}",
            e.message
        );
    }

    #[test]
    fn an_issuer_may_differ_by_a_trailing_slash_only() {
        let now = crate::clock::Clock::now(&crate::clock::SystemClock);
        let check = |iss: &str, expected: &str| {
            let (token, jwks) =
                signed(json!({"iss": iss, "sub": "u", "aud": "app", "exp": now + 300}));
            let expect = Expect {
                issuer: expected,
                client_id: "app",
                nonce: None,
            };
            verify(&token, &jwks, &expect)
        };
        let claims = check("https://ehr/", "https://ehr").unwrap();
        assert_eq!(
            issuer_mismatch(&claims, "https://ehr"),
            Some("https://ehr/")
        );
        let claims = check("https://ehr", "https://ehr/").unwrap();
        assert_eq!(
            issuer_mismatch(&claims, "https://ehr/"),
            Some("https://ehr")
        );
        let claims = check("https://ehr", "https://ehr").unwrap();
        assert_eq!(issuer_mismatch(&claims, "https://ehr"), None);
        for other in ["https://ehr//", "https://ehr/x", "https://evil"] {
            let e = check(other, "https://ehr").unwrap_err();
            assert!(e.message.contains("wrong issuer"), "{other}: {}", e.message);
        }
    }

    #[test]
    fn several_audiences_need_our_azp() {
        assert!(check(json!("app"), None).is_ok());
        assert!(check(json!(["app"]), None).is_ok());
        assert!(check(json!(["app", "other"]), Some("app")).is_ok());
        let e = check(json!(["app", "other"]), None).unwrap_err();
        assert!(e.message.contains("no azp"), "{}", e.message);
        let e = check(json!(["app", "other"]), Some("other")).unwrap_err();
        assert!(e.message.contains("issued to `other`"), "{}", e.message);
    }
}
