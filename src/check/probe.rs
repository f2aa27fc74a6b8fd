//! The HTTP side of a check run: every request a check sends goes through
//! [`Probe::send`], which keeps a redacted copy of the exchange. The copies
//! are the evidence of each result and, all together, the `--transcript`.

use std::sync::Mutex;

use reqwest::header::{CONTENT_TYPE, HeaderMap};
use serde::Serialize;

use crate::error::Result;
use crate::http::{Http, Response};
use crate::oauth::token_endpoint::ClientAuth;
use crate::redact;

/// Bodies are kept up to this many characters: enough to show what a server
/// said, not a whole CapabilityStatement.
const BODY_SHOWN: usize = 4000;
/// The most any probe reads of an answer.
pub const LIMIT: usize = 16 << 20;

/// One request and what came back, with every secret redacted.
#[derive(Debug, Clone, Serialize)]
pub struct Exchange {
    pub method: String,
    pub url: String,
    pub request_headers: Vec<(String, String)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_body: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    pub response_headers: Vec<(String, String)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_body: Option<String>,
    /// A transport failure instead of an answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Exchange {
    /// Every secret value `known` holds replaced, wherever a server echoed
    /// it (the fields were already redacted by name).
    pub fn redact_values(&mut self, known: &redact::Known) {
        self.url = known.apply(&self.url);
        for (_, v) in self
            .request_headers
            .iter_mut()
            .chain(self.response_headers.iter_mut())
        {
            *v = known.apply(v);
        }
        for text in [
            &mut self.request_body,
            &mut self.response_body,
            &mut self.error,
        ]
        .into_iter()
        .flatten()
        {
            *text = known.apply(text);
        }
    }

    /// The exchange as text, as a bug report quotes it.
    pub fn to_text(&self) -> String {
        let mut out = format!("> {} {}\n", self.method, self.url);
        for (k, v) in &self.request_headers {
            out.push_str(&format!("> {k}: {v}\n"));
        }
        if let Some(b) = &self.request_body {
            out.push_str(&format!(">\n> {b}\n"));
        }
        match (&self.status, &self.error) {
            (_, Some(e)) => out.push_str(&format!("! {e}\n")),
            (Some(s), None) => {
                out.push_str(&format!("< {s}\n"));
                for (k, v) in &self.response_headers {
                    out.push_str(&format!("< {k}: {v}\n"));
                }
                if let Some(b) = &self.response_body {
                    out.push_str(&format!("<\n< {b}\n"));
                }
            }
            (None, None) => {}
        }
        out
    }
}

/// Sends the checks' requests and remembers them.
pub struct Probe {
    http: Http,
    log: Mutex<Vec<Exchange>>,
}

impl Probe {
    /// `http` must not follow redirects: several checks are about where a
    /// server redirects to.
    pub fn new(http: Http) -> Probe {
        assert!(
            !http.follows_redirects(),
            "a probe sees every redirect itself"
        );
        Probe {
            http,
            log: Mutex::new(Vec::new()),
        }
    }

    pub fn http(&self) -> &Http {
        &self.http
    }

    /// Every secret sent or received so far (see [`redact::Known`]).
    pub fn known(&self) -> &redact::Known {
        self.http.known()
    }

    /// Sends `req` and returns the answer (or the transport error) with the
    /// redacted exchange.
    pub async fn send(&self, req: reqwest::RequestBuilder) -> (Result<Response>, Exchange) {
        let mut ex = match req.try_clone().and_then(|r| r.build().ok()) {
            Some(r) => request_part(&r),
            None => Exchange {
                method: "?".into(),
                url: "?".into(),
                request_headers: vec![],
                request_body: None,
                status: None,
                response_headers: vec![],
                response_body: None,
                error: None,
            },
        };
        let retry = req.try_clone();
        let mut resp = self.http.send(req, LIMIT).await;
        // A busy server is not a failing one: one retry of a GET after a
        // short Retry-After (a long one is the answer that is judged).
        if let (Ok(r), Some(again)) = (&resp, retry)
            && ex.method == "GET"
            && let Some(wait) = short_retry_after(r)
        {
            tokio::time::sleep(wait).await;
            resp = self.http.send(again, LIMIT).await;
        }
        match &resp {
            Ok(r) => {
                ex.status = Some(r.status.as_u16());
                ex.response_headers = headers(&r.headers);
                if !r.body.is_empty() {
                    let text = String::from_utf8_lossy(&r.body);
                    ex.response_body = Some(shown(&redact::body(r.content_type(), &text)));
                }
            }
            Err(e) => ex.error = Some(e.message.clone()),
        }
        ex.redact_values(self.known());
        self.log.lock().expect("probe log").push(ex.clone());
        (resp, ex)
    }

    /// A form POST that wants JSON back: token, revocation and
    /// introspection requests.
    pub fn form(&self, url: &url::Url, pairs: &[(&str, &str)]) -> reqwest::RequestBuilder {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        crate::http::to_authorization_server(
            self.http
                .request(reqwest::Method::POST, url.clone())
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(reqwest::header::ACCEPT, "application/json")
                .body(body),
        )
    }

    /// [`Probe::form`], authenticated as `auth` would at the token endpoint
    /// `token_url` (the audience of an assertion): Basic credentials, the
    /// secret in the form, a fresh assertion, or the bare `client_id`.
    pub fn client_form(
        &self,
        url: &url::Url,
        pairs: &[(&str, &str)],
        auth: &ClientAuth,
        token_url: &url::Url,
    ) -> Result<reqwest::RequestBuilder> {
        let own = auth.own_request(token_url.as_str())?;
        let mut all = pairs.to_vec();
        all.extend(own.form.iter().map(|(k, v)| (*k, v.as_str())));
        let req = self.form(url, &all);
        Ok(match own.authorization {
            Some(a) => req.header(reqwest::header::AUTHORIZATION, a),
            None => req,
        })
    }

    /// Records an authorization request that went through the browser: the
    /// request, and where the browser was sent back to.
    pub fn note_browser(&self, asked: &url::Url, back: &url::Url) -> Exchange {
        self.known().learn_url(back.as_str());
        let mut ex = Exchange {
            method: "BROWSER".into(),
            url: redact::url(asked),
            request_headers: vec![],
            request_body: None,
            status: None,
            response_headers: vec![("location".into(), redact::url(back))],
            response_body: None,
            error: None,
        };
        ex.redact_values(self.known());
        self.log.lock().expect("probe log").push(ex.clone());
        ex
    }

    /// Every exchange so far, in order, redacted with every secret known
    /// now (a secret learnt late is taken out of earlier exchanges too).
    pub fn transcript(&self) -> Vec<Exchange> {
        let mut all = self.log.lock().expect("probe log").clone();
        for ex in &mut all {
            ex.redact_values(self.known());
        }
        all
    }
}

/// An OAuth error answer's `error` code, fit to quote in a reason: only a
/// code-shaped one (a server that echoes its input could put a secret
/// there, and reasons are not redacted the way evidence is).
pub fn oauth_error(body: &serde_json::Value) -> Option<String> {
    let code = body.get("error")?.as_str()?;
    let shaped = !code.is_empty()
        && code.len() <= 64
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.');
    Some(if shaped {
        code.to_owned()
    } else {
        "an unrecognised error code".to_owned()
    })
}

/// The wait a 429 or 503 asks for, when it is at most 3 s.
pub(super) fn short_retry_after(r: &Response) -> Option<std::time::Duration> {
    if !matches!(r.status.as_u16(), 429 | 503) {
        return None;
    }
    let secs: u64 = r
        .headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    (secs <= 3).then(|| std::time::Duration::from_secs(secs))
}

fn request_part(r: &reqwest::Request) -> Exchange {
    let body = r.body().and_then(|b| b.as_bytes()).map(|b| {
        let ct = r.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
        let text = String::from_utf8_lossy(b);
        let redacted = match ct {
            Some(ct) if ct.starts_with("application/x-www-form-urlencoded") => redact::form(&text),
            _ => redact::body(ct, &text),
        };
        shown(&redacted)
    });
    Exchange {
        method: r.method().to_string(),
        url: redact::url(r.url()),
        // Not the mark of an authorization server request: it never leaves.
        request_headers: headers(r.headers())
            .into_iter()
            .filter(|(k, _)| !crate::http::is_mark(k))
            .collect(),
        request_body: body,
        status: None,
        response_headers: vec![],
        response_body: None,
        error: None,
    }
}

fn headers(h: &HeaderMap) -> Vec<(String, String)> {
    h.iter()
        .map(|(k, v)| {
            let v = v.to_str().unwrap_or("<binary>");
            (k.to_string(), redact::header_value(k.as_str(), v))
        })
        .collect()
}

/// At most [`BODY_SHOWN`] characters, control characters escaped.
fn shown(text: &str) -> String {
    let mut s: String = text.chars().take(BODY_SHOWN).collect();
    if text.chars().nth(BODY_SHOWN).is_some() {
        s.push('…');
    }
    redact::printable(&s).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_code_shaped_errors_are_quoted() {
        assert_eq!(
            oauth_error(&json!({"error": "invalid_grant"})).as_deref(),
            Some("invalid_grant")
        );
        let echo = json!({"error": "eyJhbGciOi.secret assertion"});
        assert_eq!(
            oauth_error(&echo).as_deref(),
            Some("an unrecognised error code")
        );
        assert_eq!(oauth_error(&json!({"error": 3})), None);
    }
}
