//! `private_key_jwt` client assertions (RFC 7523 §3, SMART Backend Services
//! and client-confidential-asymmetric): RS384 or ES384, `iss` = `sub` =
//! client_id, `aud` = the token URL, `exp` present, in the future and at
//! most five minutes away, `jti` never seen before, `kid` selecting a key of
//! the client's registered JWKS (inline or fetched from its `jwks_uri`), and
//! a `jku` header, if any, equal to that registered `jwks_uri`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;

use super::clients::{AuthMethod, Client};
use super::error::OAuthError;
use crate::State;
use crate::faults::Fault;

/// SMART Backend Services §Authenticating: "no more than five minutes in the future".
const MAX_LIFETIME: u64 = 300;
/// Clock skew tolerated on `exp`.
const LEEWAY: u64 = 5;

fn bad(d: impl Into<String>) -> OAuthError {
    OAuthError::invalid_client(d)
}

pub(crate) async fn verify(
    state: &State,
    jwt: &str,
    client_id_param: Option<&str>,
) -> Result<Client, OAuthError> {
    let faults = &state.opts.faults;
    // jsonwebtoken has no `none` algorithm: an unsigned assertion does not
    // even parse as a header, so the fault that accepts one looks first.
    if faults.has(Fault::AssertionAlgNoneAccepted) && raw_alg(jwt).as_deref() == Some("none") {
        return unsigned(state, jwt, client_id_param).await;
    }
    let header = jsonwebtoken::decode_header(jwt)
        .map_err(|e| bad(format!("client_assertion is not a JWT: {e}")))?;
    let alg = header.alg;
    // `assertion-hs256-public-key`: the classic algorithm confusion, an
    // HMAC keyed with the client's public key.
    let confused = alg == Algorithm::HS256 && faults.has(Fault::AssertionHs256PublicKey);
    if !matches!(alg, Algorithm::RS384 | Algorithm::ES384) && !confused {
        return Err(bad(format!(
            "client_assertion alg {alg:?} is not accepted; use RS384 or ES384"
        )));
    }
    let kid = header
        .kid
        .ok_or_else(|| bad("client_assertion header has no kid"))?;
    let unverified: Value = jsonwebtoken::dangerous::insecure_decode_claims(jwt)
        .map_err(|e| bad(format!("client_assertion claims unreadable: {e}")))?;
    let client = client_of(state, &unverified, client_id_param)?;

    // SMART client-confidential-asymmetric: a `jku` header must name the
    // JWKS URL registered for this client; the server never fetches keys
    // from a URL the assertion merely claims.
    if let Some(jku) = &header.jku
        && client.jwks_uri.as_ref().is_none_or(|u| u.as_str() != jku)
        && !faults.has(Fault::AssertionJkuUnchecked)
    {
        return Err(bad(format!(
            "client_assertion jku `{jku}` is not the client's registered jwks_uri"
        )));
    }
    let jwks = client_jwks(state, &client).await?;
    let key = if confused {
        let pem = jwks_keys(&jwks)
            .find(|k| k.get("kid").and_then(Value::as_str) == Some(kid.as_str()))
            .and_then(public_pem)
            .ok_or_else(|| bad(format!("no key with kid `{kid}` in the client's JWKS")))?;
        DecodingKey::from_secret(pem.as_bytes())
    } else {
        // `unknown-kid-accepted`: a kid the client never registered falls
        // back to the first key of the right type (the assertion still has
        // to verify).
        let fallback = || {
            faults
                .has(Fault::UnknownKidAccepted)
                .then(|| select_key(&jwks, None, alg))
                .flatten()
        };
        let jwk = select_key(&jwks, Some(&kid), alg)
            .or_else(fallback)
            .ok_or_else(|| {
                bad(format!(
                    "no {alg:?} key with kid `{kid}` in the client's JWKS"
                ))
            })?;
        let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(jwk.clone())
            .map_err(|e| bad(format!("the client's key `{kid}` is unusable: {e}")))?;
        DecodingKey::from_jwk(&jwk)
            .map_err(|e| bad(format!("the client's key `{kid}` is unusable: {e}")))?
    };

    let token_url = state.auth_url("token").to_string();
    let unchecked = faults.has(Fault::AssertionUnchecked);
    let mut v = Validation::new(alg);
    v.leeway = LEEWAY;
    v.set_audience(&[&token_url]);
    if unchecked {
        v.validate_exp = false;
        v.validate_aud = false;
    }
    v.set_issuer(&[&client.client_id]);
    if !faults.has(Fault::AssertionSubUnchecked) {
        v.sub = Some(client.client_id.clone());
    }
    v.set_required_spec_claims(&["exp", "iss", "sub", "aud"]);
    let claims: Value = jsonwebtoken::decode::<Value>(jwt, &key, &v)
        .map_err(|e| {
            bad(match e.kind() {
                ErrorKind::ExpiredSignature => "client_assertion has expired".to_owned(),
                ErrorKind::InvalidAudience => format!("client_assertion aud must be {token_url}"),
                ErrorKind::InvalidIssuer | ErrorKind::InvalidSubject => {
                    "client_assertion iss and sub must both be the client_id".to_owned()
                }
                ErrorKind::InvalidSignature => "client_assertion signature is invalid".to_owned(),
                ErrorKind::MissingRequiredClaim(c) => format!("client_assertion has no `{c}`"),
                _ => format!("client_assertion rejected: {e}"),
            })
        })?
        .claims;
    lifetime_and_jti(state, &client, &claims)?;
    Ok(client)
}

/// The registered private_key_jwt client an assertion's `iss` names (and
/// the `client_id` parameter, when sent, agrees with).
fn client_of(
    state: &State,
    claims: &Value,
    client_id_param: Option<&str>,
) -> Result<Client, OAuthError> {
    let iss = claims
        .get("iss")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("client_assertion has no iss"))?;
    if client_id_param.is_some_and(|c| c != iss) {
        return Err(bad("client_id differs from the assertion's iss"));
    }
    let client = state.auth.clients.get(iss).ok_or_else(|| {
        bad(format!(
            "unknown client `{iss}` ({})",
            super::clients::FORGOTTEN
        ))
    })?;
    if !client.auth_methods.contains(&AuthMethod::PrivateKeyJwt) {
        return Err(bad(format!(
            "client `{iss}` is not registered for private_key_jwt"
        )));
    }
    Ok(client)
}

/// The checks after the signature: `exp` at most five minutes away, and a
/// `jti` never seen before.
fn lifetime_and_jti(state: &State, client: &Client, claims: &Value) -> Result<(), OAuthError> {
    let faults = &state.opts.faults;
    let now = now();
    let exp = claims.get("exp").and_then(Value::as_u64).unwrap_or(0);
    if exp > now + MAX_LIFETIME + LEEWAY && !faults.has(Fault::AssertionLongExpAccepted) {
        return Err(bad(
            "client_assertion exp is more than five minutes in the future",
        ));
    }
    let jti = claims
        .get("jti")
        .and_then(Value::as_str)
        .filter(|j| !j.is_empty())
        .ok_or_else(|| bad("client_assertion has no jti"))?;
    let exp_time = UNIX_EPOCH + Duration::from_secs(exp + LEEWAY);
    if !state.auth.store.fresh_jti(&client.client_id, jti, exp_time)
        && !faults.has(Fault::AssertionUnchecked)
    {
        return Err(bad("client_assertion jti was already used"));
    }
    Ok(())
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The `alg` of a JWT's header, read without judging the rest.
fn raw_alg(jwt: &str) -> Option<String> {
    use base64::Engine;
    let header = jwt.split('.').next()?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header.trim_end_matches('='))
        .ok()?;
    let v: Value = serde_json::from_slice(&bytes).ok()?;
    v.get("alg")?.as_str().map(str::to_owned)
}

/// `assertion-alg-none-accepted`: every claim judged as for a signed
/// assertion, only the signature is never looked at.
async fn unsigned(
    state: &State,
    jwt: &str,
    client_id_param: Option<&str>,
) -> Result<Client, OAuthError> {
    let claims: Value = jwt
        .split('.')
        .nth(1)
        .and_then(|c| {
            use base64::Engine;
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(c.trim_end_matches('='))
                .ok()
        })
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| bad("client_assertion claims unreadable"))?;
    let client = client_of(state, &claims, client_id_param)?;
    let s = |n: &str| claims.get(n).and_then(Value::as_str);
    if s("sub") != Some(client.client_id.as_str()) {
        return Err(bad(
            "client_assertion iss and sub must both be the client_id",
        ));
    }
    let token_url = state.auth_url("token").to_string();
    if s("aud") != Some(token_url.as_str()) {
        return Err(bad(format!("client_assertion aud must be {token_url}")));
    }
    let exp = claims.get("exp").and_then(Value::as_u64).unwrap_or(0);
    if exp + LEEWAY < now() {
        return Err(bad("client_assertion has expired"));
    }
    lifetime_and_jti(state, &client, &claims)?;
    Ok(client)
}

/// The keys of a JWKS.
fn jwks_keys(jwks: &Value) -> impl Iterator<Item = &Value> {
    jwks.get("keys")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// A public JWK (RSA or P-384) as SubjectPublicKeyInfo PEM with LF line
/// ends: what a server that keeps PEM would key an HMAC with.
fn public_pem(jwk: &Value) -> Option<String> {
    use p384::pkcs8::{EncodePublicKey, LineEnding};
    let s = |n: &str| jwk.get(n).and_then(Value::as_str);
    match s("kty")? {
        "RSA" => {
            use base64::Engine;
            let b = |n: &str| {
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(s(n)?)
                    .ok()
                    .map(|v| rsa::BigUint::from_bytes_be(&v))
            };
            rsa::RsaPublicKey::new(b("n")?, b("e")?)
                .ok()?
                .to_public_key_pem(LineEnding::LF)
                .ok()
        }
        "EC" if s("crv") == Some("P-384") => {
            let bare = serde_json::json!({"kty": "EC", "crv": "P-384", "x": s("x")?, "y": s("y")?});
            p384::PublicKey::from_jwk_str(&bare.to_string())
                .ok()?
                .to_public_key_pem(LineEnding::LF)
                .ok()
        }
        _ => None,
    }
}

/// The client's registered key set, inline or fetched now (keys rotate, so
/// the sandbox does not cache a `jwks_uri`).
async fn client_jwks(state: &State, client: &Client) -> Result<Value, OAuthError> {
    if let Some(j) = &client.jwks {
        return Ok(j.clone());
    }
    let Some(uri) = &client.jwks_uri else {
        return Err(bad("the client has no registered keys"));
    };
    match tokio::time::timeout(JWKS_FETCH_TIME, fetch_jwks(&state.auth.http, uri)).await {
        Ok(Ok(jwks)) => Ok(jwks),
        Ok(Err(why)) => Err(bad(format!(
            "cannot fetch the client's jwks_uri {uri}: {why}"
        ))),
        Err(_) => Err(bad(format!(
            "cannot fetch the client's jwks_uri {uri}: no complete answer within {} s",
            JWKS_FETCH_TIME.as_secs()
        ))),
    }
}

/// A JWKS holds a few public keys; more than this is not one.
const JWKS_MAX_BYTES: usize = 64 * 1024;
/// The whole fetch, body included: an assertion waits for it.
const JWKS_FETCH_TIME: Duration = Duration::from_secs(5);

/// GETs a JWKS, reading the body chunk by chunk and giving up as soon as
/// it passes [`JWKS_MAX_BYTES`], whatever `Content-Length` says.
async fn fetch_jwks(http: &reqwest::Client, uri: &url::Url) -> Result<Value, String> {
    let too_big = || format!("the answer is larger than {} KiB", JWKS_MAX_BYTES / 1024);
    let mut resp = http
        .get(uri.clone())
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| e.without_url().to_string())?;
    if resp
        .content_length()
        .is_some_and(|n| n > JWKS_MAX_BYTES as u64)
    {
        return Err(too_big());
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| e.without_url().to_string())?
    {
        if body.len() + chunk.len() > JWKS_MAX_BYTES {
            return Err(too_big());
        }
        body.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&body).map_err(|e| format!("not JSON: {e}"))
}

/// The key with this `kid` (any kid: `None`) whose type fits `alg`.
fn select_key<'a>(jwks: &'a Value, kid: Option<&str>, alg: Algorithm) -> Option<&'a Value> {
    jwks.get("keys")?.as_array()?.iter().find(|k| {
        let s = |n: &str| k.get(n).and_then(Value::as_str);
        kid.is_none_or(|kid| s("kid") == Some(kid))
            && match alg {
                Algorithm::RS384 => s("kty") == Some("RSA"),
                Algorithm::ES384 => s("kty") == Some("EC") && s("crv") == Some("P-384"),
                _ => false,
            }
            && s("alg").is_none_or(|a| a == format!("{alg:?}"))
    })
}
