//! Headers the user adds to every request to the FHIR server (`-H/--header
//! 'Name: value'`, the profile's `[profiles.X.headers]`): an API gateway's
//! subscription key, a tenant id.
//!
//! They go to one origin only, the FHIR base's, and [`crate::http::Http`]
//! decides that per request, so a `next` link, a bulk file URL or a redirect
//! on another origin never gets them, whatever command made the request.
//! Requests to the authorization server's endpoints (token, revocation,
//! introspection, registration) are marked by their senders and get them
//! only with `--header-token-endpoint` (profile `header_token_endpoint`):
//! a gateway key has no business at an identity provider that merely shares
//! the host. The browser's authorize page is not our request at all.
//!
//! A custom header never replaces one `smart` sets for the protocol: the
//! headers that carry credentials or frame the message are refused when
//! given ([`REFUSED`]), and a request's own headers (`Accept`, `Prefer`…)
//! win over a custom one of the same name.

use std::collections::BTreeMap;

use reqwest::header::{HeaderName, HeaderValue};
use url::{Origin, Url};

use crate::error::{Error, Result};

/// Headers a user may not set: the credentials `smart` sends itself, and
/// the framing of the message (a wrong `Content-Length` or `Host` would make
/// another request of it).
pub const REFUSED: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "host",
    "content-length",
    "content-type",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "te",
    "trailer",
    "upgrade",
    "expect",
];

/// The custom headers of a run, and where they may go.
#[derive(Debug, Clone, Default)]
pub struct CustomHeaders {
    list: Vec<(HeaderName, HeaderValue)>,
    /// Also to the authorization server's endpoints.
    pub to_token_endpoint: bool,
    /// The FHIR base's origin; none yet: the headers go nowhere.
    origin: Option<Origin>,
}

/// One header from its name and value; `from` says where it was given
/// (`-H`, `profile `x``), for the message. Values are never quoted: a
/// header worth adding is often a key.
pub fn header(name: &str, value: &str, from: &str) -> Result<(HeaderName, HeaderValue)> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Error::usage(format!("{from}: the header name is empty"))
            .with_hint("write it as 'Name: value', e.g. -H 'Ocp-Apim-Subscription-Key: …'"));
    }
    let shown = crate::redact::printable(name);
    let parsed = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
        Error::usage(format!(
            "{from}: `{shown}` is not a header name (letters, digits and !#$%&'*+-.^_`|~ only)"
        ))
        .with_hint("write it as 'Name: value'")
    })?;
    if REFUSED.contains(&parsed.as_str()) {
        let why = if parsed.as_str().ends_with("authorization") {
            "smart sends the credentials itself (log in, or set SMART_ACCESS_TOKEN for a token from elsewhere)"
        } else {
            "smart sets it for each request"
        };
        return Err(Error::usage(format!(
            "{from}: the `{shown}` header cannot be set: {why}"
        )));
    }
    let mut value = HeaderValue::from_str(value.trim()).map_err(|_| {
        Error::usage(format!(
            "{from}: the value of `{shown}` has characters a header cannot carry (line breaks, control characters)"
        ))
    })?;
    // A header worth adding is often a key: `Debug` of these options (and
    // of the requests they go into) shows "Sensitive", and HTTP/2 never
    // indexes it. `-v` decides by name what it shows (redact::header_value).
    value.set_sensitive(true);
    Ok((parsed, value))
}

/// `Name: value`, as `-H` takes it (curl's form).
pub fn parse_flag(text: &str) -> Result<(HeaderName, HeaderValue)> {
    let Some((name, value)) = text.split_once(':') else {
        // Without a colon the text may be all value: not quoted.
        return Err(
            Error::usage("-H/--header takes 'Name: value', and this one has no `:`")
                .with_hint("e.g. -H 'Ocp-Apim-Subscription-Key: …'"),
        );
    };
    header(name, value, "-H/--header")
}

impl CustomHeaders {
    /// The `-H` values, in order; `to_token_endpoint` is
    /// `--header-token-endpoint`.
    pub fn from_flags(flags: &[String], to_token_endpoint: bool) -> Result<CustomHeaders> {
        let list = flags.iter().map(|f| parse_flag(f)).collect::<Result<_>>()?;
        Ok(CustomHeaders {
            list,
            to_token_endpoint,
            origin: None,
        })
    }

    /// With a profile's headers added: those of a name no `-H` gave (the
    /// command line wins); `to_token_endpoint` if either says so.
    pub fn with_profile(
        mut self,
        name: &str,
        headers: &BTreeMap<String, String>,
        to_token_endpoint: bool,
    ) -> Result<CustomHeaders> {
        let from = format!("profile `{name}` headers");
        for (n, v) in headers {
            let (n, v) = header(n, v, &from)?;
            if !self.list.iter().any(|(have, _)| *have == n) {
                self.list.push((n, v));
            }
        }
        self.to_token_endpoint |= to_token_endpoint;
        Ok(self)
    }

    /// Bound to the origin of `base` (the FHIR base): only requests there
    /// get the headers.
    pub fn for_base(mut self, base: &Url) -> CustomHeaders {
        self.origin = Some(base.origin());
        self
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Every header, wherever it may go.
    pub fn iter(&self) -> impl Iterator<Item = &(HeaderName, HeaderValue)> {
        self.list.iter()
    }

    /// What a request to `url` gets: all of them on the bound origin (for a
    /// request to the authorization server only with
    /// `--header-token-endpoint`), else none.
    pub fn for_request(
        &self,
        url: &Url,
        to_authorization_server: bool,
    ) -> &[(HeaderName, HeaderValue)] {
        let here = self.origin.as_ref().is_some_and(|o| *o == url.origin());
        if here && (!to_authorization_server || self.to_token_endpoint) {
            &self.list
        } else {
            &[]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        parse_flag(text).unwrap_err().message
    }

    #[test]
    fn debug_output_never_shows_a_value() {
        let h = CustomHeaders::from_flags(&["X-Api-Key: k-3f9a".to_owned()], false).unwrap();
        let shown = format!("{h:?}");
        assert!(
            shown.contains("x-api-key") && !shown.contains("k-3f9a"),
            "{shown}"
        );
    }

    #[test]
    fn flags_parse_as_curl_writes_them() {
        let (n, v) = parse_flag("Ocp-Apim-Subscription-Key:  abc123 ").unwrap();
        assert_eq!(n.as_str(), "ocp-apim-subscription-key");
        assert_eq!(v.to_str().unwrap(), "abc123");
        // A value may hold colons (a URL, a time).
        let (_, v) = parse_flag("X-Origin: https://a.example:8443/x").unwrap();
        assert_eq!(v.to_str().unwrap(), "https://a.example:8443/x");
        assert_eq!(parse_flag("X-Empty:").unwrap().1.to_str().unwrap(), "");
    }

    #[test]
    fn malformed_and_refused_headers_are_one_line_without_the_value() {
        let m = err("sk-live-0123456789");
        assert!(m.contains("no `:`") && !m.contains("sk-live"), "{m}");
        assert!(err(": v").contains("name is empty"));
        let m = err("Bad Name: sk-live-1");
        assert!(
            m.contains("`Bad Name` is not a header name") && !m.contains("sk-live"),
            "{m}"
        );
        let m = err("X-Key: a\u{7}b-sk-live");
        assert!(m.contains("cannot carry") && !m.contains("sk-live"), "{m}");
        for name in ["Authorization", "authorization", "Proxy-Authorization"] {
            let m = err(&format!("{name}: Bearer sk-live-2"));
            assert!(
                m.contains("cannot be set: smart sends the credentials itself"),
                "{m}"
            );
            assert!(!m.contains("sk-live"), "{m}");
        }
        for name in [
            "Host",
            "Content-Length",
            "Transfer-Encoding",
            "Content-Type",
        ] {
            assert!(err(&format!("{name}: x")).contains("smart sets it for each request"));
        }
        for m in [err("a"), err("Authorization: x"), err("Host: y")] {
            assert!(!m.contains('\n'), "{m}");
        }
    }

    #[test]
    fn headers_go_to_the_bound_origin_only() {
        let base = Url::parse("https://fhir.example.org/r4").unwrap();
        let h = CustomHeaders::from_flags(&["X-Tenant: t1".into()], false).unwrap();
        let at = |s: &str| Url::parse(s).unwrap();
        assert!(
            h.for_request(&at("https://fhir.example.org/r4/Patient"), false)
                .is_empty(),
            "unbound: nowhere"
        );
        let h = h.for_base(&base);
        assert_eq!(
            h.for_request(&at("https://fhir.example.org/other"), false)
                .len(),
            1
        );
        for elsewhere in [
            "https://files.example.org/x",
            "http://fhir.example.org/r4",
            "https://fhir.example.org:444/r4",
        ] {
            assert!(
                h.for_request(&at(elsewhere), false).is_empty(),
                "{elsewhere}"
            );
        }
        assert!(
            h.for_request(&at("https://fhir.example.org/auth/token"), true)
                .is_empty()
        );
        let mut h = h;
        h.to_token_endpoint = true;
        assert_eq!(
            h.for_request(&at("https://fhir.example.org/auth/token"), true)
                .len(),
            1
        );
    }

    #[test]
    fn the_command_line_wins_over_the_profile_by_name() {
        let profile: BTreeMap<String, String> = [
            ("x-tenant".to_owned(), "p".to_owned()),
            ("X-Other".to_owned(), "o".to_owned()),
        ]
        .into();
        let h = CustomHeaders::from_flags(&["X-Tenant: flag".into()], false)
            .unwrap()
            .with_profile("p", &profile, true)
            .unwrap();
        let values: Vec<(&str, &str)> = h
            .list
            .iter()
            .map(|(n, v)| (n.as_str(), v.to_str().unwrap()))
            .collect();
        assert_eq!(values, [("x-tenant", "flag"), ("x-other", "o")]);
        assert!(h.to_token_endpoint);
        let bad: BTreeMap<String, String> = [("Authorization".to_owned(), "x".to_owned())].into();
        let e = CustomHeaders::default()
            .with_profile("p", &bad, false)
            .unwrap_err();
        assert!(
            e.message
                .starts_with("profile `p` headers: the `Authorization` header"),
            "{}",
            e.message
        );
    }
}
