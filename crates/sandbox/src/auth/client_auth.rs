//! Client authentication at the token, introspection and revocation
//! endpoints: `none` (public, `client_id` only), `client_secret_basic`,
//! `client_secret_post` and `private_key_jwt`.
//!
//! A client may use exactly one method per request (RFC 6749 §2.3) and only
//! a method it is registered for: a confidential client that leaves out its
//! credentials is refused rather than treated as public.

use axum::http::{HeaderMap, header};
use base64::Engine;

use super::clients::{AuthMethod, Client};
use super::error::OAuthError;
use super::params::Params;
use crate::{Fault, Quirk, State};

pub(crate) const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

pub(crate) struct Authenticated {
    pub(crate) client: Client,
    pub(crate) method: AuthMethod,
}

/// `Authorization: Basic …` credentials, if that scheme is used.
/// `Some(Err)` when the header is Basic but malformed. `raw` (the
/// `basic-auth-raw` quirk) reads them as plain HTTP Basic, without the form
/// decoding RFC 6749 asks for.
fn basic_credentials(headers: &HeaderMap, raw: bool) -> Option<Result<(String, String), ()>> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok());
    Some(
        decoded
            .as_deref()
            .and_then(|s| s.split_once(':'))
            // RFC 6749 §2.3.1: id and secret are form-urlencoded first.
            .map(|(id, secret)| match raw {
                true => (id.to_owned(), secret.to_owned()),
                false => (form_decode(id), form_decode(secret)),
            })
            .ok_or(()),
    )
}

fn form_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// Equal secrets, compared in time independent of where they differ.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

pub(crate) async fn authenticate(
    state: &State,
    headers: &HeaderMap,
    p: &Params,
) -> Result<Authenticated, OAuthError> {
    let basic = basic_credentials(headers, state.opts.quirks.has(Quirk::BasicAuthRaw));
    let post_secret = p.get("client_secret");
    let assertion = p.get("client_assertion");
    let used = [basic.is_some(), post_secret.is_some(), assertion.is_some()]
        .iter()
        .filter(|b| **b)
        .count();
    if used > 1 {
        return Err(OAuthError::invalid_request(
            "use exactly one client authentication method",
        ));
    }
    let client_id_param = p.get("client_id");
    let lookup = |id: &str, method: AuthMethod, basic: bool| -> Result<Client, OAuthError> {
        let fail = |d: String| OAuthError::invalid_client(d).with_basic_challenge(basic);
        let client = state.auth.clients.get(id).ok_or_else(|| {
            fail(format!(
                "unknown client `{id}` ({})",
                super::clients::FORGOTTEN
            ))
        })?;
        if !client.auth_methods.contains(&method) {
            let registered: Vec<&str> = client.auth_methods.iter().map(|m| m.name()).collect();
            return Err(fail(format!(
                "client `{id}` authenticates with {}, not {}",
                registered.join(" or "),
                method.name()
            )));
        }
        Ok(client)
    };

    if let Some(creds) = basic {
        let (id, secret) = creds.map_err(|()| {
            OAuthError::invalid_client("malformed Basic credentials").with_basic_challenge(true)
        })?;
        if client_id_param.is_some_and(|c| c != id) {
            return Err(OAuthError::invalid_request(
                "client_id differs from the Basic credentials",
            ));
        }
        let client = lookup(&id, AuthMethod::ClientSecretBasic, true)?;
        if !client
            .secret
            .as_deref()
            .is_some_and(|s| same_secret(s, &secret))
        {
            return Err(
                OAuthError::invalid_client("wrong client secret").with_basic_challenge(true)
            );
        }
        return Ok(Authenticated {
            client,
            method: AuthMethod::ClientSecretBasic,
        });
    }
    if let Some(secret) = post_secret {
        // `advertises-unsupported-auth`: discovery still lists the method.
        if state.opts.faults.has(Fault::AdvertisesUnsupportedAuth) {
            return Err(OAuthError::invalid_client(
                "client_secret_post is not accepted here",
            ));
        }
        let id = client_id_param
            .ok_or_else(|| OAuthError::invalid_request("client_secret needs client_id"))?;
        let client = lookup(id, AuthMethod::ClientSecretPost, false)?;
        if !client
            .secret
            .as_deref()
            .is_some_and(|s| same_secret(s, secret))
        {
            return Err(OAuthError::invalid_client("wrong client secret"));
        }
        return Ok(Authenticated {
            client,
            method: AuthMethod::ClientSecretPost,
        });
    }
    if let Some(jwt) = assertion {
        if p.get("client_assertion_type") != Some(JWT_BEARER)
            && !state.opts.faults.has(crate::Fault::AssertionTypeUnchecked)
        {
            return Err(OAuthError::invalid_request(format!(
                "client_assertion_type must be {JWT_BEARER}"
            )));
        }
        let client = super::assertion::verify(state, jwt, client_id_param).await?;
        return Ok(Authenticated {
            client,
            method: AuthMethod::PrivateKeyJwt,
        });
    }
    let id = client_id_param
        .ok_or_else(|| OAuthError::invalid_client("no client authentication and no client_id"))?;
    let client = lookup(id, AuthMethod::None, false)?;
    Ok(Authenticated {
        client,
        method: AuthMethod::None,
    })
}
