//! A searchset page, read without building a tree: the entries' resources
//! stay borrowed slices of the page's bytes (`RawValue`), so a page of 1000
//! patients costs its body plus a small index, and NDJSON output copies
//! bytes instead of re-serializing. Memory stays flat however many pages.

use serde::Deserialize;
use serde_json::value::RawValue;
use url::Url;

use super::client::Fhir;
use super::outcome;
use crate::error::{Error, Result};

#[derive(Deserialize)]
pub struct BundleView<'a> {
    #[serde(rename = "resourceType", default)]
    pub resource_type: Option<String>,
    #[serde(default)]
    pub total: Option<u64>,
    #[serde(default)]
    pub link: Vec<Link>,
    #[serde(default, borrow)]
    pub entry: Vec<Entry<'a>>,
}

#[derive(Deserialize)]
pub struct Link {
    #[serde(default)]
    pub relation: String,
    #[serde(default)]
    pub url: String,
}

#[derive(Deserialize)]
pub struct Entry<'a> {
    #[serde(borrow, default)]
    pub resource: Option<&'a RawValue>,
    #[serde(default)]
    pub search: Option<EntrySearch>,
}

#[derive(Deserialize)]
pub struct EntrySearch {
    #[serde(default)]
    pub mode: Option<String>,
}

/// What an entry is there for (FHIR `Bundle.entry.search.mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Match,
    Include,
    /// An OperationOutcome about the search itself (warnings).
    Outcome,
}

impl Entry<'_> {
    pub fn mode(&self) -> Mode {
        match self.search.as_ref().and_then(|s| s.mode.as_deref()) {
            Some("include") => Mode::Include,
            Some("outcome") => Mode::Outcome,
            _ => Mode::Match,
        }
    }
}

impl<'a> BundleView<'a> {
    /// Parses a page; `what` names the request for messages.
    pub fn parse(what: &str, body: &'a [u8]) -> Result<BundleView<'a>> {
        let view: BundleView = serde_json::from_slice(body).map_err(|e| {
            // A type error (say `entry` not an array) is not a syntax error;
            // tell which by parsing as plain JSON.
            match serde_json::from_slice::<serde::de::IgnoredAny>(body) {
                Err(syntax) => outcome::json_error(what, body, &syntax),
                Ok(_) => Error::server(format!("{what}: the answer is not a FHIR Bundle ({e})")),
            }
        })?;
        match view.resource_type.as_deref() {
            Some("Bundle") => Ok(view),
            Some(other) => Err(Error::server(format!(
                "{what}: expected a Bundle, the server answered a {other}"
            ))),
            None => Err(Error::server(format!(
                "{what}: the answer has no resourceType; not a FHIR Bundle"
            ))),
        }
    }

    pub fn next(&self) -> Option<&str> {
        self.link
            .iter()
            .find(|l| l.relation == "next" && !l.url.is_empty())
            .map(|l| l.url.as_str())
    }

    pub fn matches(&self) -> usize {
        self.entry
            .iter()
            .filter(|e| e.resource.is_some() && e.mode() == Mode::Match)
            .count()
    }
}

/// The URL of a `next` link, resolved against the base and refused when it
/// would take the token outside the base.
pub fn next_url(fhir: &Fhir, link: &str) -> Result<Url> {
    let mut url = fhir.base().join(link).map_err(|e| {
        Error::server(format!(
            "the server's next link `{link}` is not a URL ({e})"
        ))
    })?;
    fhir.check_on_base(&url).map_err(|e| {
        Error::server(format!(
            "the server's next link points elsewhere: {}",
            e.message
        ))
        .with_hint("smart never sends the token outside the profile's FHIR base")
    })?;
    fhir.with_format(&mut url);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_borrow_resources_and_find_next() {
        let body = br#"{"resourceType":"Bundle","type":"searchset","total":2,
            "link":[{"relation":"self","url":"a"},{"relation":"next","url":"b?x=1"}],
            "entry":[{"fullUrl":"u","resource":{"resourceType":"Patient","id":"1"},"search":{"mode":"match"}},
                     {"resource":{"resourceType":"Practitioner","id":"2"},"search":{"mode":"include"}}]}"#;
        let v = BundleView::parse("GET x", body).unwrap();
        assert_eq!(v.total, Some(2));
        assert_eq!(v.next(), Some("b?x=1"));
        assert_eq!(v.matches(), 1);
        assert_eq!(
            v.entry[0].resource.unwrap().get(),
            r#"{"resourceType":"Patient","id":"1"}"#
        );
    }

    #[test]
    fn non_bundles_and_broken_json_are_explained() {
        let e = BundleView::parse("GET x", br#"{"resourceType":"Patient"}"#)
            .err()
            .unwrap();
        assert!(e.message.contains("expected a Bundle"), "{}", e.message);
        let e = BundleView::parse("GET x", br#"{"resourceType":"Bundle","entry":[{"#)
            .err()
            .unwrap();
        assert!(e.message.contains("truncated"), "{}", e.message);
        let e = BundleView::parse("GET x", br#"{"resourceType":"Bundle","entry":3}"#)
            .err()
            .unwrap();
        assert!(e.message.contains("not a FHIR Bundle"), "{}", e.message);
    }
}
