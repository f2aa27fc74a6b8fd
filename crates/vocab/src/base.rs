//! The FHIR base URL, parsed once: every other form of it (text in a profile,
//! the `aud` parameter, the token set's `fhir_base`) is derived from this one.

use std::fmt;
use std::net::IpAddr;
use url::Url;

/// An absolute http(s) FHIR base with a host, https unless the host is
/// loopback, no query or fragment, and no trailing slash.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FhirBase(Url);

/// Why a text is not a FHIR base; `Display` is one line naming the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaseError {
    NotAUrl { text: String, why: String },
    PlainHttpToRemote { text: String },
    UnsupportedScheme { text: String, scheme: String },
    NoHost { text: String },
    QueryOrFragment { text: String },
}

impl fmt::Display for BaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BaseError::NotAUrl { text, why } => write!(f, "`{text}` is not a URL ({why})"),
            BaseError::PlainHttpToRemote { text } => {
                write!(
                    f,
                    "`{text}` uses plain http to a remote host; SMART requires https"
                )
            }
            BaseError::UnsupportedScheme { text, scheme } => {
                write!(f, "`{text}`: unsupported scheme `{scheme}`; use https://")
            }
            BaseError::NoHost { text } => write!(f, "`{text}` has no host"),
            BaseError::QueryOrFragment { text } => {
                write!(f, "`{text}`: a FHIR base URL has no query or fragment")
            }
        }
    }
}

impl std::error::Error for BaseError {}

impl FhirBase {
    pub fn parse(text: &str) -> Result<FhirBase, BaseError> {
        let owned = || text.to_owned();
        let mut url = Url::parse(text.trim()).map_err(|e| BaseError::NotAUrl {
            text: owned(),
            why: e.to_string(),
        })?;
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(&url) => {}
            "http" => return Err(BaseError::PlainHttpToRemote { text: owned() }),
            other => {
                return Err(BaseError::UnsupportedScheme {
                    text: owned(),
                    scheme: other.to_owned(),
                });
            }
        }
        if url.host().is_none() {
            return Err(BaseError::NoHost { text: owned() });
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(BaseError::QueryOrFragment { text: owned() });
        }
        let trimmed = url.path().trim_end_matches('/').to_owned();
        url.set_path(&trimmed);
        Ok(FhirBase(url))
    }

    pub fn url(&self) -> &Url {
        &self.0
    }

    /// The base as profiles, token sets and `aud` write it: no trailing slash.
    pub fn as_str(&self) -> &str {
        self.0.as_str().trim_end_matches('/')
    }

    /// `{base}/{path}`.
    pub fn join(&self, path: &str) -> Url {
        let mut s = self.as_str().to_owned();
        s.push('/');
        s.push_str(path.trim_start_matches('/'));
        Url::parse(&s).expect("a valid base joined with a path is a valid URL")
    }

    /// True when `url` is this base or below it: same origin, and the base's
    /// path segments are the first segments of `url`'s (so `/fhir` does not
    /// contain `/fhir2`, nor `/tenantA/fhir` contain `/tenantB/fhir`). Dot
    /// segments are gone once a `Url` is parsed; an encoded slash or
    /// backslash below the base is refused, since a server that decodes it
    /// would see a path outside the base, and so is a path parameter (`;`,
    /// also encoded) anywhere in the path: Tomcat and Jetty read `..;` as
    /// `..`, which the URL parser leaves in place.
    pub fn contains(&self, url: &Url) -> bool {
        if url.origin() != self.0.origin() {
            return false;
        }
        let (Some(base), Some(mut path)) = (self.0.path_segments(), url.path_segments()) else {
            return false;
        };
        if url
            .path_segments()
            .is_some_and(|mut all| all.any(has_path_parameter))
        {
            return false;
        }
        let on_base = base
            .filter(|s| !s.is_empty())
            .all(|b| path.next() == Some(b));
        on_base && path.all(|s| !has_encoded_separator(s))
    }
}

fn has_encoded_separator(segment: &str) -> bool {
    let s = segment.to_ascii_lowercase();
    s.contains("%2f") || s.contains("%5c")
}

/// `..;`, `x;jsessionid=1`, `%3b`: a segment with a path parameter.
pub fn has_path_parameter(segment: &str) -> bool {
    segment.contains(';') || segment.to_ascii_lowercase().contains("%3b")
}

impl fmt::Display for FhirBase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for FhirBase {
    type Err = BaseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FhirBase::parse(s)
    }
}

/// True for 127.0.0.0/8, ::1 and `localhost`.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsed_once_written_without_trailing_slash() {
        let b = FhirBase::parse(" https://ehr.example/r4/ ").unwrap();
        assert_eq!(b.as_str(), "https://ehr.example/r4");
        assert_eq!(b.to_string(), "https://ehr.example/r4");
        assert_eq!(
            b.join("/Patient/1").as_str(),
            "https://ehr.example/r4/Patient/1"
        );
        assert_eq!(
            FhirBase::parse("http://127.0.0.1:8321/fhir")
                .unwrap()
                .as_str(),
            "http://127.0.0.1:8321/fhir"
        );
        assert_eq!(
            FhirBase::parse("http://localhost/").unwrap().as_str(),
            "http://localhost"
        );
    }

    #[test]
    fn refuses_what_is_not_a_base() {
        let e = |s: &str| FhirBase::parse(s).unwrap_err();
        assert!(matches!(e("not a url"), BaseError::NotAUrl { .. }));
        assert!(matches!(
            e("http://ehr.example/r4"),
            BaseError::PlainHttpToRemote { .. }
        ));
        assert!(matches!(
            e("ftp://ehr.example/r4"),
            BaseError::UnsupportedScheme { .. }
        ));
        assert!(matches!(
            e("https://ehr.example/r4?x=1"),
            BaseError::QueryOrFragment { .. }
        ));
        assert!(matches!(
            e("https://ehr.example/r4#f"),
            BaseError::QueryOrFragment { .. }
        ));
        assert_eq!(
            e("http://ehr.example/r4").to_string(),
            "`http://ehr.example/r4` uses plain http to a remote host; SMART requires https"
        );
    }

    #[test]
    fn contains_is_by_path_segment() {
        let b = FhirBase::parse("https://ehr.example/tenantA/fhir/").unwrap();
        let u = |s: &str| Url::parse(s).unwrap();
        assert!(b.contains(&u("https://ehr.example/tenantA/fhir")));
        assert!(b.contains(&u("https://ehr.example/tenantA/fhir/")));
        assert!(b.contains(&u("https://ehr.example/tenantA/fhir/Patient?x=%2F")));
        assert!(b.contains(&u("https://EHR.example:443/tenantA/fhir/Patient/1")));
        // Another base on the same origin, or a string-prefix look-alike.
        assert!(!b.contains(&u("https://ehr.example/tenantB/fhir/Patient")));
        assert!(!b.contains(&u("https://ehr.example/tenantA/fhir2/Patient")));
        assert!(!b.contains(&u("https://ehr.example/tenantA")));
        assert!(!b.contains(&u("https://ehr.example/")));
        // Dot segments are resolved by parsing, before the comparison.
        assert!(!b.contains(&u("https://ehr.example/tenantA/fhir/../../tenantB/fhir")));
        assert!(!b.contains(&u("https://ehr.example/tenantA/fhir/%2e%2e/x")));
        // Encoded separators would escape on a server that decodes them.
        assert!(!b.contains(&u("https://ehr.example/tenantA/fhir%2F..%2F..%2FtenantB")));
        assert!(!b.contains(&u(
            "https://ehr.example/tenantA/fhir/..%2F..%2FtenantB/fhir"
        )));
        assert!(!b.contains(&u("https://ehr.example/tenantA/fhir/..%5c..%5CtenantB")));
        // Path parameters: `..;` is `..` to Tomcat and Jetty, and the URL
        // parser keeps it; none is under the base, wherever it stands.
        assert!(!b.contains(&u("https://ehr.example/tenantA/fhir/..;/..;/tenantB/fhir")));
        assert!(!b.contains(&u("https://ehr.example/tenantA/fhir/..%3B/x")));
        assert!(!b.contains(&u("https://ehr.example/tenantA/fhir/Patient;x=1/1")));
        assert!(!b.contains(&u("https://ehr.example/tenantA;x/fhir/Patient")));
        assert!(!b.contains(&u("https://ehr.example/tenantA/fhir;/Patient")));
        assert!(b.contains(&u("https://ehr.example/tenantA/fhir/Patient?x=a;b")));
        // Another scheme, host or port is another origin.
        assert!(!b.contains(&u("http://ehr.example/tenantA/fhir/Patient")));
        assert!(!b.contains(&u("https://ehr.example:8443/tenantA/fhir/Patient")));
        assert!(!b.contains(&u("https://other.example/tenantA/fhir/Patient")));
        // A base at the root holds its whole origin.
        let root = FhirBase::parse("https://ehr.example").unwrap();
        assert!(root.contains(&u("https://ehr.example/anything/Patient")));
        assert!(!root.contains(&u("https://ehr.example.evil/Patient")));
    }
}
