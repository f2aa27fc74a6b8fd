//! Named ways real EHR servers depart from the letter of SMART, OAuth and
//! OpenID (`--quirk NAME`), so that clients can rehearse them offline.
//!
//! A fault ([`crate::faults`]) is a server getting something wrong that a
//! client should refuse or report; a quirk is something servers in the field
//! do that a client has to cope with. Each quirk names where it is seen.

use std::collections::BTreeSet;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Quirk {
    BasicAuthRaw,
    ExpiresInString,
    RefreshWithoutOfflineAccess,
    RefreshKeepsToken,
    RefreshDropsContext,
    JwksRotation,
    NoWellKnown,
    IssuerTrailingSlash,
    ScopesV1Only,
    ScopesV2Only,
    OpaqueTokens,
    RetryAfterHours,
    NoBulkExport,
    ExportPostOnly,
    ExportManifestV4,
}

/// One entry of the `--quirk help` listing.
pub struct Entry {
    pub name: &'static str,
    pub quirk: Quirk,
    /// Where it is seen: a vendor only where that is commonly reported.
    pub seen: &'static str,
    pub what: &'static str,
}

const SEVERAL: &str = "several servers";

pub const ALL: &[Entry] = &[
    Entry {
        name: "basic-auth-raw",
        quirk: Quirk::BasicAuthRaw,
        seen: "reported for Epic",
        what: "Basic client credentials are base64 of the raw id:secret, not form-encoded first (RFC 6749 §2.3.1)",
    },
    Entry {
        name: "expires-in-string",
        quirk: Quirk::ExpiresInString,
        seen: "Azure AD style",
        what: "token responses give expires_in as a JSON string (\"3600\")",
    },
    Entry {
        name: "refresh-without-offline-access",
        quirk: Quirk::RefreshWithoutOfflineAccess,
        seen: SEVERAL,
        what: "a refresh token comes with a granted scope that leaves out offline_access",
    },
    Entry {
        name: "refresh-keeps-token",
        quirk: Quirk::RefreshKeepsToken,
        seen: SEVERAL,
        what: "refresh answers carry no new refresh token; the old one stays valid",
    },
    Entry {
        name: "refresh-drops-context",
        quirk: Quirk::RefreshDropsContext,
        seen: SEVERAL,
        what: "refresh answers leave out patient, encounter and the other launch context",
    },
    Entry {
        name: "jwks-rotation",
        quirk: Quirk::JwksRotation,
        seen: "Azure AD style",
        what: "id_tokens are signed with a new kid that the first JWKS fetched does not have yet",
    },
    Entry {
        name: "no-well-known",
        quirk: Quirk::NoWellKnown,
        seen: SEVERAL,
        what: "no /.well-known/smart-configuration (404); /metadata has the oauth-uris extension but no SMART-on-FHIR service coding",
    },
    Entry {
        name: "issuer-trailing-slash",
        quirk: Quirk::IssuerTrailingSlash,
        seen: SEVERAL,
        what: "id_tokens' iss is the discovered issuer with a trailing slash",
    },
    Entry {
        name: "scopes-v1-only",
        quirk: Quirk::ScopesV1Only,
        seen: SEVERAL,
        what: "advertises permission-v1 only and drops v2 scopes (patient/*.rs)",
    },
    Entry {
        name: "scopes-v2-only",
        quirk: Quirk::ScopesV2Only,
        seen: SEVERAL,
        what: "advertises permission-v2 only and drops v1 scopes (patient/*.read)",
    },
    Entry {
        name: "opaque-tokens",
        quirk: Quirk::OpaqueTokens,
        seen: SEVERAL,
        what: "access tokens are opaque strings, not JWTs",
    },
    Entry {
        name: "retry-after-hours",
        quirk: Quirk::RetryAfterHours,
        seen: SEVERAL,
        what: "FHIR calls answer 429/503 with Retry-After: 7200 (bulk-data style waits)",
    },
    Entry {
        name: "no-bulk-export",
        quirk: Quirk::NoBulkExport,
        seen: "most servers",
        what: "no $export: the kick-offs answer 404 and the CapabilityStatement declares no export operation (crawl instead)",
    },
    Entry {
        name: "export-post-only",
        quirk: Quirk::ExportPostOnly,
        seen: "Bulk Data 4.0 ballot",
        what: "a GET $export kick-off answers 405 (Allow: POST): kick-off is POST with a Parameters body only",
    },
    Entry {
        name: "export-manifest-v4",
        quirk: Quirk::ExportManifestV4,
        seen: "Bulk Data 4.0 ballot",
        what: "export manifests have `outcome` instead of `error`, `manifestType` and `outputFormat`, and no `request`",
    },
];

impl Quirk {
    fn entry(self) -> &'static Entry {
        ALL.iter()
            .find(|e| e.quirk == self)
            .expect("every quirk is listed")
    }

    pub fn name(self) -> &'static str {
        self.entry().name
    }
}

impl fmt::Display for Quirk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Quirk {
    /// The quirk named `name` exactly, if there is one (`FromStr`, with a
    /// hint for a fault's name, is in `by_name.rs`).
    pub fn named(name: &str) -> Option<Quirk> {
        ALL.iter().find(|e| e.name == name).map(|e| e.quirk)
    }
}

/// The set of quirks a sandbox runs with.
#[derive(Debug, Clone, Default)]
pub struct Quirks(BTreeSet<Quirk>);

impl Quirks {
    /// Names as given to `--quirk`: repeated, or comma-separated.
    pub fn parse(names: &[String]) -> Result<Quirks, String> {
        crate::faults::each_name(names)
            .map(str::parse)
            .collect::<Result<_, _>>()
            .map(Quirks)
    }
    pub fn has(&self, q: Quirk) -> bool {
        self.0.contains(&q)
    }
    pub(crate) fn iter(&self) -> impl Iterator<Item = Quirk> + '_ {
        self.0.iter().copied()
    }
}

/// The `--quirk help` text: name, where it is seen, what the sandbox does.
pub fn help() -> String {
    let w = ALL.iter().map(|e| e.name.len()).max().unwrap_or(0);
    let s = ALL.iter().map(|e| e.seen.len()).max().unwrap_or(0);
    ALL.iter()
        .map(|e| format!("  {:<w$}  {:<s$}  {}\n", e.name, e.seen, e.what))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_lists_split() {
        for e in ALL {
            assert_eq!(e.name.parse::<Quirk>().unwrap(), e.quirk);
            assert_eq!(e.quirk.name(), e.name);
        }
        let q =
            Quirks::parse(&["opaque-tokens,jwks-rotation".into(), "no-well-known".into()]).unwrap();
        assert!(q.has(Quirk::OpaqueTokens) && q.has(Quirk::JwksRotation));
        assert!(q.has(Quirk::NoWellKnown));
        assert!("nope".parse::<Quirk>().is_err());
    }
}
