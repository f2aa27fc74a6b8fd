//! The `oauth2` crate's requests over the project's one HTTP client
//! ([`Http`]): the crate builds the request and reads the answer, [`Http`]
//! sends it, so the `-v` trace with redaction, the TLS policy and the
//! no-redirect rule of token requests stay in one place.
//!
//! The crate is stricter than the servers SMART clients meet: it wants
//! exactly `200` with `Content-Type: application/json`. A 2xx whose body
//! is a JSON object is handed on as that; anything else that is not an
//! error answer is refused here, in our own words. Error answers go to the
//! crate unchanged (it reads the RFC 6749 `error` code), and their status
//! and a redacted snippet are kept for the message.

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

use oauth2::http;
use oauth2::{AsyncHttpClient, HttpRequest, HttpResponse};
use reqwest::StatusCode;

use crate::error::{Error, Result};
use crate::http::Http;

const RESPONSE_LIMIT: usize = 1 << 20;
/// How much of a server's error text goes into a message.
const SERVER_TEXT_LIMIT: usize = 300;

/// What the last error answer looked like, for messages the crate's error
/// type cannot make (it keeps no status).
#[derive(Debug, Clone)]
pub struct ErrorAnswer {
    pub status: StatusCode,
    /// The first bytes of the body, redacted.
    pub snippet: String,
    /// The RFC 6749 §5.2 `error` (and `error_description`) read leniently,
    /// for bodies the crate's stricter error type refuses (a non-string
    /// `error_uri`, say): the code still decides the outcome.
    pub oauth: Option<crate::error::OAuthError>,
}

impl ErrorAnswer {
    /// An error answer as messages may quote it: without what the request
    /// carried (`sent`, see [`crate::redact::secrets_in_request`]), should
    /// the server echo it, and without control characters.
    pub fn read(resp: &crate::http::Response, sent: &[String]) -> ErrorAnswer {
        let text = |t: &str| crate::redact::server_text(t, sent, SERVER_TEXT_LIMIT);
        ErrorAnswer {
            status: resp.status,
            snippet: text(&resp.snippet_hiding(sent)),
            oauth: lenient_oauth_error(&resp.body).map(|mut o| {
                // An unknown code is shown as sent: it may echo, too.
                if let crate::error::OAuthErrorCode::Other(c) = &o.code {
                    o.code = crate::error::OAuthErrorCode::Other(text(c));
                }
                o.description = o.description.as_deref().map(text);
                o
            }),
        }
    }
}

fn lenient_oauth_error(body: &[u8]) -> Option<crate::error::OAuthError> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let code = v.get("error")?.as_str()?;
    Some(crate::error::OAuthError {
        code: crate::error::OAuthErrorCode::parse(code),
        description: v
            .get("error_description")
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned),
    })
}

/// One endpoint's requests through [`Http`]. Made per request: it remembers
/// the error answer it saw.
pub struct Transport<'a> {
    http: &'a Http,
    /// `token endpoint`, `introspection endpoint`: for messages.
    what: &'static str,
    error_answer: Mutex<Option<ErrorAnswer>>,
    /// Sent instead of the crate's `Authorization` header (raw Basic).
    authorization: Option<String>,
}

impl<'a> Transport<'a> {
    /// `http` must not follow redirects (RFC 9700 §4.11): a followed 307
    /// would re-POST the code, verifier, secret or assertion to wherever it
    /// points, and the 3xx check below would never see it.
    pub fn new(http: &'a Http, what: &'static str) -> Transport<'a> {
        assert!(
            !http.follows_redirects(),
            "token requests need an Http that does not follow redirects"
        );
        Transport {
            http,
            what,
            error_answer: Mutex::new(None),
            authorization: None,
        }
    }

    /// Replaces the `Authorization` header the crate builds, when given.
    pub fn with_authorization(mut self, authorization: Option<String>) -> Transport<'a> {
        self.authorization = authorization;
        self
    }

    /// The error answer (non-2xx, non-3xx) this transport passed on, if any.
    pub fn error_answer(&self) -> Option<ErrorAnswer> {
        self.error_answer
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    async fn send(&self, request: HttpRequest) -> Result<HttpResponse> {
        let (mut parts, body) = request.into_parts();
        if let Some(a) = &self.authorization {
            let value = http::HeaderValue::from_str(a)
                .map_err(|_| Error::usage("the client credentials cannot go in a header"))?;
            parts.headers.insert(http::header::AUTHORIZATION, value);
        }
        // A server that echoes its input must not put what we sent into a
        // message: everything secret in this request is redacted by value.
        let mut sent = crate::redact::secrets_in_request(
            &String::from_utf8_lossy(&body),
            parts
                .headers
                .get(http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok()),
        );
        sent.extend(self.http.secret_header_values());
        let url = url::Url::parse(&parts.uri.to_string())
            .map_err(|e| Error::usage(format!("the {} URL cannot be parsed: {e}", self.what)))?;
        let req = crate::http::to_authorization_server(
            self.http
                .request(parts.method, url.clone())
                .headers(parts.headers)
                .body(body),
        );
        let resp = self.http.send(req, RESPONSE_LIMIT).await?;
        let target = crate::http::origin_path(&url);
        if resp.status.is_redirection() {
            return Err(Error::server(format!(
                "{target} answered a redirect ({}); token requests never follow redirects",
                resp.status
            )));
        }
        if resp.status.is_success() {
            let is_object = serde_json::from_slice::<serde_json::Value>(&resp.body)
                .is_ok_and(|v| v.is_object());
            if !is_object {
                return Err(Error::server(format!(
                    "{target} answered {} that is not a JSON object ({}: `{}`)",
                    resp.status,
                    resp.content_type().unwrap_or("no content type"),
                    resp.snippet_hiding(&sent)
                )));
            }
            // A JSON object under any 2xx and any content type is read, as
            // it always was; the crate wants exactly this.
            return http::Response::builder()
                .status(http::StatusCode::OK)
                .header(http::header::CONTENT_TYPE, "application/json")
                .body(resp.body.to_vec())
                .map_err(|e| Error::server(format!("{target}: unusable answer: {e}")));
        }
        *self.error_answer.lock().unwrap_or_else(|e| e.into_inner()) =
            Some(ErrorAnswer::read(&resp, &sent));
        let mut out = http::Response::builder().status(resp.status);
        if let Some(ct) = resp.headers.get(http::header::CONTENT_TYPE) {
            out = out.header(http::header::CONTENT_TYPE, ct);
        }
        out.body(resp.body.to_vec())
            .map_err(|e| Error::server(format!("{target}: unusable answer: {e}")))
    }
}

impl<'c> AsyncHttpClient<'c> for Transport<'_> {
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, Error>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(self.send(request))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(body: &str, secret: &str) -> ErrorAnswer {
        let sent = crate::redact::secrets_in_request(
            &format!("grant_type=refresh_token&refresh_token={secret}"),
            None,
        );
        let resp = crate::testgen::response(400, Some("application/json"), body.into());
        ErrorAnswer::read(&resp, &sent)
    }

    // Found by prop_echoed_basic_credentials_never_reach_a_token_error: the
    // snippet was cut at 80 bytes first, and half a secret stayed.
    #[test]
    fn a_secret_cut_by_the_snippet_limit_is_still_hidden() {
        let secret = "RT-0123456789abcdefghijklmnopqrstuvwxyz";
        let body = format!(r#"{{"message":"{}{secret}"}}"#, "x".repeat(50));
        let a = answer(&body, secret);
        assert!(!a.snippet.contains("RT-0123"), "{}", a.snippet);
    }

    // Found by prop_an_echoed_secret_never_reaches_a_token_error: an
    // unknown `error` code was shown as sent.
    #[test]
    fn an_error_code_that_echoes_a_secret_is_hidden() {
        let secret = "RT-0123456789";
        let a = answer(&format!(r#"{{"error":"bad {secret}"}}"#), secret);
        let code = a.oauth.unwrap().code;
        assert_eq!(code.as_str(), "bad [redacted]");
    }
}
