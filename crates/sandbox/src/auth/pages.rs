//! The two HTML pages of the authorization server: consent (with the
//! patient picker) and the error page shown when a request cannot be
//! answered by redirect (unknown client, bad redirect_uri).
//!
//! The consent form is a plain form so that tests and scripts can drive it
//! without a browser: `POST /auth/consent` with `pending` (hidden, from the
//! page), `patient` (a patient id, when a patient must be picked) and
//! `decision` = `approve` | `deny`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;\
padding:0 1rem;color:#1c1b1f}code{background:#eee;padding:0 .2rem}\
button{padding:.4rem 1.2rem;margin-right:.5rem}select{min-width:20rem;padding:.3rem}";

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>{t} — smart sandbox</title><style>{STYLE}</style></head><body>\
<h1>{t}</h1>{body}</body></html>",
        t = escape(title)
    );
    let mut resp = (status, Html(html)).into_response();
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // The consent page must not be framed (clickjacking, RFC 6749 §10.13).
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("frame-ancestors 'none'"),
    );
    resp
}

/// A request that cannot be sent back to the client.
pub(crate) fn error_page(error: &str, description: &str) -> Response {
    page(
        StatusCode::BAD_REQUEST,
        "Authorization request refused",
        &format!(
            "<p><code>{}</code>: {}</p><p>The request is not sent back to the \
application because its client or redirect URI is not trusted.</p>",
            escape(error),
            escape(description)
        ),
    )
}

pub(crate) struct Consent<'a> {
    pub(crate) pending: &'a str,
    pub(crate) client_label: &'a str,
    pub(crate) scopes: &'a [String],
    /// (id, display name); `None` when no patient needs picking.
    pub(crate) patients: Option<&'a [(String, String)]>,
    pub(crate) launch_patient: Option<&'a str>,
}

pub(crate) fn consent_page(c: &Consent<'_>) -> Response {
    let scopes: String = c
        .scopes
        .iter()
        .map(|s| format!("<li><code>{}</code></li>", escape(s)))
        .collect();
    let picker = match c.patients {
        Some(list) => {
            let options: String = list
                .iter()
                .enumerate()
                .map(|(i, (id, name))| {
                    format!(
                        "<option value=\"{}\"{}>{} ({})</option>",
                        escape(id),
                        if i == 0 { " selected" } else { "" },
                        escape(name),
                        escape(id)
                    )
                })
                .collect();
            format!(
                "<p><label for=\"patient\">Patient:</label><br>\
<select id=\"patient\" name=\"patient\">{options}</select></p>"
            )
        }
        None => String::new(),
    };
    let context = c
        .launch_patient
        .map(|p| format!("<p>Patient in context: <code>{}</code></p>", escape(p)))
        .unwrap_or_default();
    let body = format!(
        "<p><strong>{client}</strong> asks for access:</p><ul>{scopes}</ul>{context}\
<form method=\"post\" action=\"/auth/consent\">\
<input type=\"hidden\" name=\"pending\" value=\"{pending}\">{picker}\
<p><button type=\"submit\" name=\"decision\" value=\"approve\">Approve</button>\
<button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button></p></form>",
        client = escape(c.client_label),
        pending = escape(c.pending),
    );
    page(StatusCode::OK, "Authorize application", &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
