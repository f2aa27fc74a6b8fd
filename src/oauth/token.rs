//! Token endpoint requests (code exchange, refresh, client credentials) with
//! client authentication, and checks of the answer.
//!
//! The HTTP client used here never follows redirects (RFC 9700 §4.11): a 3xx
//! from a token endpoint is an error, not a hop.

use base64::Engine;
use reqwest::Method;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use serde_json::Value;
use url::Url;

use crate::config::TokenAuthMethod;
use crate::error::{Error, Result};
use crate::http::Http;
use crate::secret::Secret;

const TOKEN_RESPONSE_LIMIT: usize = 1 << 20;

/// How the client proves who it is at the token endpoint.
#[derive(Debug, Clone)]
pub struct ClientAuth {
    pub client_id: String,
    pub method: TokenAuthMethod,
    pub secret: Option<Secret>,
    /// The signing key for `private_key_jwt`.
    pub key: Option<super::keys::SigningKey>,
}

/// A successful token response, checked. `Debug` is written by hand:
/// `raw` holds the tokens in plain text.
#[derive(Clone)]
pub struct TokenResponse {
    pub access_token: Secret,
    pub token_type: String,
    pub expires_in: Option<u64>,
    /// Granted scope; `None` when the server omitted it (= as requested).
    pub scope: Option<String>,
    pub refresh_token: Option<Secret>,
    pub id_token: Option<Secret>,
    /// The whole JSON object, for launch context fields.
    pub raw: serde_json::Map<String, Value>,
}

impl std::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &self.access_token)
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .field("refresh_token", &self.refresh_token)
            .field("id_token", &self.id_token)
            .field(
                "raw",
                &crate::redact::json(&Value::Object(self.raw.clone())),
            )
            .finish()
    }
}

impl TokenResponse {
    pub fn str_field(&self, name: &str) -> Option<String> {
        match self.raw.get(name)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }
    pub fn bool_field(&self, name: &str) -> Option<bool> {
        match self.raw.get(name)? {
            Value::Bool(b) => Some(*b),
            Value::String(s) => s.parse().ok(),
            _ => None,
        }
    }
}

/// POSTs a form to the token endpoint with client authentication.
pub async fn request(
    http: &Http,
    endpoint: &Url,
    mut form: Vec<(&'static str, String)>,
    auth: &ClientAuth,
) -> Result<TokenResponse> {
    let mut req = http
        .request(Method::POST, endpoint.clone())
        .header(ACCEPT, "application/json");
    match auth.method {
        TokenAuthMethod::None => form.push(("client_id", auth.client_id.clone())),
        TokenAuthMethod::ClientSecretBasic => {
            let secret = need_secret(auth)?;
            req = req.header(AUTHORIZATION, basic_authorization(&auth.client_id, secret));
        }
        TokenAuthMethod::ClientSecretPost => {
            let secret = need_secret(auth)?;
            form.push(("client_id", auth.client_id.clone()));
            form.push(("client_secret", secret.expose().to_owned()));
        }
        TokenAuthMethod::PrivateKeyJwt => {
            let key = auth.key.as_ref().ok_or_else(|| {
                Error::auth(format!(
                    "client `{}` authenticates with private_key_jwt, and no private key is configured",
                    auth.client_id
                ))
                .with_hint("set SMART_PRIVATE_KEY, or the profile's private_key (`smart keys generate`)")
            })?;
            // A new assertion per request: its jti must never repeat, and
            // its aud is exactly the URL it goes to.
            let jwt = super::assertion::sign(key, &auth.client_id, endpoint.as_str())?;
            // client_id is optional with an assertion, but helps servers route.
            form.push(("client_id", auth.client_id.clone()));
            form.push((
                "client_assertion_type",
                super::assertion::JWT_BEARER.to_owned(),
            ));
            form.push(("client_assertion", jwt.expose().to_owned()));
        }
    }
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form.iter().map(|(k, v)| (*k, v.as_str())))
        .finish();
    let req = req
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body);
    let resp = http.send(req, TOKEN_RESPONSE_LIMIT).await?;
    let target = crate::http::origin_path(endpoint);

    if resp.status.is_redirection() {
        return Err(Error::server(format!(
            "{target} answered a redirect ({}); token requests never follow redirects",
            resp.status
        )));
    }
    let json: Option<serde_json::Map<String, Value>> = serde_json::from_slice(&resp.body).ok();
    if !resp.status.is_success() {
        let (code, desc) = json
            .as_ref()
            .map(|j| {
                (
                    j.get("error").and_then(Value::as_str).map(str::to_owned),
                    j.get("error_description")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                )
            })
            .unwrap_or((None, None));
        let detail = match (code, desc) {
            (Some(c), Some(d)) => format!("{c}: {d}"),
            (Some(c), None) => c,
            _ => format!("{} ({})", resp.status, resp.snippet()),
        };
        let msg = format!("the token endpoint refused: {detail}");
        // 4xx means our credentials or grant were not accepted; 5xx is the server's fault.
        return Err(if resp.status.is_client_error() {
            Error::auth(msg)
        } else {
            Error::server(msg)
        });
    }
    let Some(raw) = json else {
        return Err(Error::server(format!(
            "{target} answered {} that is not a JSON object ({}: `{}`)",
            resp.status,
            resp.content_type().unwrap_or("no content type"),
            resp.snippet()
        )));
    };
    parse(raw)
}

fn need_secret(auth: &ClientAuth) -> Result<&Secret> {
    auth.secret.as_ref().ok_or_else(|| {
        Error::auth(format!(
            "client `{}` needs a client secret, and none is stored",
            auth.client_id
        ))
        .with_hint("store it with `smart profile set-secret`, or pass --secret-stdin")
    })
}

/// `Basic …` for client_secret_basic. RFC 6749 §2.3.1 form-urlencodes the
/// id and the secret before base64 (plain HTTP Basic does not), so a secret
/// with `:` or `%` in it works.
pub fn basic_authorization(client_id: &str, secret: &Secret) -> String {
    let creds = format!(
        "{}:{}",
        form_encode(client_id),
        form_encode(secret.expose())
    );
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(creds)
    )
}

fn form_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Checks a token response: access_token present, Bearer type, sane fields.
pub fn parse(raw: serde_json::Map<String, Value>) -> Result<TokenResponse> {
    let access_token = raw
        .get("access_token")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Error::server("the token response has no access_token"))?;
    let token_type = raw
        .get("token_type")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::server("the token response has no token_type"))?;
    if !token_type.eq_ignore_ascii_case("bearer") {
        return Err(Error::server(format!(
            "the token response has token_type `{token_type}`; only Bearer is supported"
        )));
    }
    let expires_in = match raw.get("expires_in") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => n.as_u64().or_else(|| n.as_f64().map(|f| f.max(0.0) as u64)),
        // Some servers send it as a string.
        Some(Value::String(s)) => s.trim().parse().ok(),
        Some(_) => None,
    };
    let secret_field = |k: &str| {
        raw.get(k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(Secret::from)
    };
    Ok(TokenResponse {
        access_token: Secret::new(access_token),
        token_type: "Bearer".into(),
        expires_in,
        scope: raw.get("scope").and_then(Value::as_str).map(str::to_owned),
        refresh_token: secret_field("refresh_token"),
        id_token: secret_field("id_token"),
        raw,
    })
}

/// Scopes asked for but not granted (for a warning).
pub fn missing_scopes<'a>(requested: &'a str, granted: &str) -> Vec<&'a str> {
    let granted: Vec<&str> = granted.split_whitespace().collect();
    requested
        .split_whitespace()
        .filter(|s| !granted.contains(s))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> serde_json::Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn bearer_is_case_insensitive_and_expires_in_may_be_a_string() {
        let r = parse(obj(
            json!({"access_token":"a","token_type":"bearer","expires_in":"3600","patient":"p1"}),
        ))
        .unwrap();
        assert_eq!(r.expires_in, Some(3600));
        assert_eq!(r.str_field("patient").as_deref(), Some("p1"));
    }

    #[test]
    fn non_bearer_and_missing_tokens_are_refused() {
        assert!(parse(obj(json!({"access_token":"a","token_type":"mac"}))).is_err());
        assert!(parse(obj(json!({"token_type":"Bearer"}))).is_err());
        assert!(parse(obj(json!({"access_token":"a"}))).is_err());
    }

    #[test]
    fn missing_scopes_lists_the_difference() {
        assert_eq!(
            missing_scopes("openid patient/*.rs offline_access", "openid patient/*.rs"),
            vec!["offline_access"]
        );
    }

    #[test]
    fn basic_credentials_are_form_encoded() {
        assert_eq!(form_encode("a b:c"), "a+b%3Ac");
    }
}
