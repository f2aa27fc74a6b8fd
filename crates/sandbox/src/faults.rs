//! Named ways the sandbox can misbehave (`--fault NAME`), so that clients and
//! the conformance checker can be tested against servers that get SMART wrong.

use std::collections::BTreeSet;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Fault {
    NoPkce,
    StateDropped,
    WrongAudAccepted,
    TokenNoExpiresIn,
    SlowToken,
    Http429,
    RefreshInvalid,
    ExpiredTokens,
    BadJson,
    IdTokenBadSignature,
    BigIdToken,
    IdTokenUnknownKid,
    PkceNotAdvertised,
    ScopeReduced,
    AssertionUnchecked,
    CodeReusable,
    NoTokenRequired,
    RefreshNotRotated,
    OpenRedirect,
    CrossPatientRead,
    AdvertisesUnsupportedAuth,
    TypeScopeIgnored,
    NoLaunchContext,
    UnknownKidAccepted,
    HttpEndpoint,
    EchoSecrets,
    NoCors,
    RefreshNoPragma,
    FhirContextStrings,
    RefreshScopeWidened,
    OpenidConfigNoRs256,
    IdTokenNoIat,
    FhirUserBadType,
    UnknownGrant500,
    AssertionTypeUnchecked,
    IntrospectionFieldsMissing,
    IntrospectionUnknownTokenError,
    IntrospectionInactiveSaysMore,
    IssuerWithoutOpenid,
    RefreshCacheable,
    // The EHR launch, authorization by POST and TLS.
    EhrLaunchWrongIss,
    EhrLaunchNoParam,
    AuthorizePostRefused,
    TlsLegacy,
    // client-confidential-asymmetric: assertions a server must refuse.
    AssertionJkuUnchecked,
    AssertionSubUnchecked,
    AssertionLongExpAccepted,
    AssertionAlgNoneAccepted,
    AssertionHs256PublicKey,
    // SMART App State.
    AppStateNoIfMatch,
    AppStateStaleAccepted,
    AppStateDeleteKept,
    // Bulk Data export.
    ExportJobFails,
    ExportStatus429,
    ExportRetryAfterHours,
    ExportRetryAfterDate,
    ExportFileRedirect,
    ExportOffOriginFiles,
    ExportLaterPagesOffOrigin,
    ExportTruncatedFile,
    ExportWithErrors,
    ExportNoRange,
    ExportSlowFiles,
    RateLimited,
    ExportFilesOutsideBase,
    ExportTokenFilesOnStorage,
    ExportTransientOnce,
    ExportTransientRepeated,
    ExportRetryAfterEpoch,
    ExportOnePerClient,
    // Bulk Data export, for `smart check`'s bulk group.
    ExportNotDeclared,
    ExportNoInstantiates,
    ExportKickoffNoToken,
    ExportNoContentLocation,
    ExportManifestNoRequest,
    ExportRelativeUrls,
    ExportFilesNoToken,
    ExportBadNdjsonLine,
    ExportOnePatient,
    ExportDeleteRefused,
    ExportCancelledNoOutcome,
    ExportFormatAliasesRefused,
    ExportSinceRefused,
    ExportCountWrong,
    ExportExtraTypes,
    ExportUnknownParamIgnored,
    ExportPostRefused,
    ExportFilesKeptAfterDelete,
}

/// (name, fault, what it does) — the `--fault help` listing.
pub const ALL: &[(&str, Fault, &str)] = &[
    (
        "no-pkce",
        Fault::NoPkce,
        "token endpoint accepts a missing or wrong code_verifier",
    ),
    (
        "state-dropped",
        Fault::StateDropped,
        "authorize redirects back without `state`",
    ),
    (
        "wrong-aud-accepted",
        Fault::WrongAudAccepted,
        "authorize accepts any `aud`, or none",
    ),
    (
        "token-no-expires-in",
        Fault::TokenNoExpiresIn,
        "token responses omit `expires_in`",
    ),
    (
        "slow-token",
        Fault::SlowToken,
        "token endpoint answers after a 3 s delay",
    ),
    (
        "http-429",
        Fault::Http429,
        "every other FHIR call gets 429 Too Many Requests with Retry-After: 1",
    ),
    (
        "refresh-invalid",
        Fault::RefreshInvalid,
        "refresh_token grants fail with invalid_grant",
    ),
    (
        "expired-tokens",
        Fault::ExpiredTokens,
        "access tokens are issued already expired",
    ),
    (
        "bad-json",
        Fault::BadJson,
        "FHIR responses have a truncated JSON body",
    ),
    (
        "id-token-bad-signature",
        Fault::IdTokenBadSignature,
        "id_tokens are signed with a key not in the JWKS",
    ),
    (
        "big-id-token",
        Fault::BigIdToken,
        "id_tokens carry 6 KB of extra claims (over some keychains' item size limit)",
    ),
    (
        "id-token-unknown-kid",
        Fault::IdTokenUnknownKid,
        "id_tokens are signed with a kid the JWKS never publishes",
    ),
    (
        "pkce-not-advertised",
        Fault::PkceNotAdvertised,
        "PKCE works but S256 is not advertised",
    ),
    (
        "scope-reduced",
        Fault::ScopeReduced,
        "grants fewer scopes than requested (drops offline_access and write scopes)",
    ),
    (
        "assertion-unchecked",
        Fault::AssertionUnchecked,
        "client assertions are checked for their key and signature only: an expired one, one for another aud or a replayed jti is accepted",
    ),
    (
        "code-reusable",
        Fault::CodeReusable,
        "an authorization code can be exchanged again (and the first tokens stay valid)",
    ),
    (
        "no-token-required",
        Fault::NoTokenRequired,
        "FHIR reads without a token are answered (as if by a user/*.rs token)",
    ),
    (
        "refresh-not-rotated",
        Fault::RefreshNotRotated,
        "refresh tokens are not rotated: a refresh answer has no new one and the old one stays valid",
    ),
    (
        "open-redirect",
        Fault::OpenRedirect,
        "authorize redirects to any redirect_uri, registered or not",
    ),
    (
        "cross-patient-read",
        Fault::CrossPatientRead,
        "a patient-limited token can read any resource by id (the compartment is not enforced on reads)",
    ),
    (
        "advertises-unsupported-auth",
        Fault::AdvertisesUnsupportedAuth,
        "client_secret_post is advertised, and the token endpoint refuses it (invalid_client)",
    ),
    (
        "type-scope-ignored",
        Fault::TypeScopeIgnored,
        "the resource type of a scope is not enforced: a patient/Patient.rs token reads every type",
    ),
    (
        "no-launch-context",
        Fault::NoLaunchContext,
        "token responses omit `patient`, even when launch/patient was granted",
    ),
    (
        "unknown-kid-accepted",
        Fault::UnknownKidAccepted,
        "a client assertion whose kid the client never registered is verified with any of its keys",
    ),
    (
        "http-endpoint",
        Fault::HttpEndpoint,
        "the smart-configuration advertises a plain-http management_endpoint on a non-loopback host",
    ),
    (
        "echo-secrets",
        Fault::EchoSecrets,
        "every answer echoes the request (body, query, Authorization) and the tokens it carries in an x-echo header and, in JSON objects, `debug` and `error_description`",
    ),
    (
        "no-cors",
        Fault::NoCors,
        "no Access-Control-Allow-Origin on the smart-configuration, /metadata or the token endpoint",
    ),
    (
        "refresh-no-pragma",
        Fault::RefreshNoPragma,
        "refresh answers carry Cache-Control: no-store but no Pragma: no-cache",
    ),
    (
        "fhir-context-strings",
        Fault::FhirContextStrings,
        "token responses with launch context carry fhirContext as strings (the 2.0 form), not 2.2 objects",
    ),
    (
        "refresh-scope-widened",
        Fault::RefreshScopeWidened,
        "a refresh answer's scope names one more scope than was granted (or asked for)",
    ),
    (
        "openid-config-no-rs256",
        Fault::OpenidConfigNoRs256,
        "the openid-configuration's id_token_signing_alg_values_supported says ES256 only (id_tokens stay RS256)",
    ),
    (
        "id-token-no-iat",
        Fault::IdTokenNoIat,
        "id_tokens have no iat claim",
    ),
    (
        "fhir-user-bad-type",
        Fault::FhirUserBadType,
        "the id_token's fhirUser names an Organization, not the user's Patient/Practitioner",
    ),
    (
        "unknown-grant-500",
        Fault::UnknownGrant500,
        "an unknown grant_type is answered 500 server_error, not 400",
    ),
    (
        "assertion-type-unchecked",
        Fault::AssertionTypeUnchecked,
        "a client assertion is verified whatever client_assertion_type says",
    ),
    (
        "introspection-fields-missing",
        Fault::IntrospectionFieldsMissing,
        "introspection of a live token answers active: true without client_id or exp",
    ),
    (
        "introspection-unknown-token-error",
        Fault::IntrospectionUnknownTokenError,
        "introspection of an unknown, expired or revoked token answers 400 invalid_token, not 200 active: false",
    ),
    (
        "introspection-inactive-says-more",
        Fault::IntrospectionInactiveSaysMore,
        "introspection of an inactive token answers active: false with a token_type and an exp of 0",
    ),
    (
        "issuer-without-openid",
        Fault::IssuerWithoutOpenid,
        "the smart-configuration leaves sso-openid-connect out of capabilities but still gives issuer (id_tokens are issued as before)",
    ),
    (
        "refresh-cacheable",
        Fault::RefreshCacheable,
        "refresh answers carry Cache-Control: max-age=60 in place of no-store (Pragma: no-cache stays)",
    ),
    // The EHR launch, authorization by POST and TLS.
    (
        "ehr-launch-wrong-iss",
        Fault::EhrLaunchWrongIss,
        "EHR launches (/auth/launch) name the server's origin as iss, not its FHIR base",
    ),
    (
        "ehr-launch-no-param",
        Fault::EhrLaunchNoParam,
        "EHR launches (/auth/launch) open the app with iss but without launch",
    ),
    (
        "authorize-post-refused",
        Fault::AuthorizePostRefused,
        "the authorization endpoint answers POST with 405 (GET only), though authorize-post is advertised",
    ),
    (
        "tls-legacy",
        Fault::TlsLegacy,
        "with --tls-cert, a ClientHello offering only TLS 1.0/1.1 is answered with a TLS 1.1 ServerHello instead of an alert",
    ),
    // client-confidential-asymmetric: assertions a server must refuse.
    (
        "assertion-jku-unchecked",
        Fault::AssertionJkuUnchecked,
        "a client assertion's jku header is ignored, whatever URL it names (keys still come from the registration)",
    ),
    (
        "assertion-sub-unchecked",
        Fault::AssertionSubUnchecked,
        "a client assertion whose sub is not its iss (the client_id) is accepted",
    ),
    (
        "assertion-long-exp-accepted",
        Fault::AssertionLongExpAccepted,
        "a client assertion that expires more than five minutes ahead is accepted",
    ),
    (
        "assertion-alg-none-accepted",
        Fault::AssertionAlgNoneAccepted,
        "an unsigned client assertion (alg none) is accepted on its claims",
    ),
    (
        "assertion-hs256-public-key",
        Fault::AssertionHs256PublicKey,
        "an HS256 client assertion is verified with the client's public key (SPKI PEM) as the HMAC secret (algorithm confusion)",
    ),
    // SMART App State.
    (
        "app-state-no-if-match",
        Fault::AppStateNoIfMatch,
        "an app-state update (PUT Basic/{id}) without If-Match is accepted",
    ),
    (
        "app-state-stale-accepted",
        Fault::AppStateStaleAccepted,
        "an app-state update whose If-Match names an old version is accepted",
    ),
    (
        "app-state-delete-kept",
        Fault::AppStateDeleteKept,
        "an app-state DELETE answers 204 but the state stays, found by search as before",
    ),
    // Bulk Data export.
    (
        "export-job-fails",
        Fault::ExportJobFails,
        "export status answers 500 with an OperationOutcome once the delay has passed",
    ),
    (
        "export-status-429",
        Fault::ExportStatus429,
        "every other export status poll gets 429 with Retry-After: 1",
    ),
    (
        "export-retry-after-hours",
        Fault::ExportRetryAfterHours,
        "export status says Retry-After: 7200 while in progress; the job takes 2 s regardless",
    ),
    (
        "export-retry-after-date",
        Fault::ExportRetryAfterDate,
        "export status gives Retry-After as an HTTP-date about 1 s ahead",
    ),
    (
        "export-file-redirect",
        Fault::ExportFileRedirect,
        "export file URLs (token required) answer 307 to the storage origin",
    ),
    (
        "export-off-origin-files",
        Fault::ExportOffOriginFiles,
        "the export manifest says requiresAccessToken: false, with file URLs on the storage origin",
    ),
    (
        "export-later-pages-off-origin",
        Fault::ExportLaterPagesOffOrigin,
        "a paged export manifest (allowPartialManifests) puts the file URLs of its pages after the first on the storage origin",
    ),
    (
        "export-truncated-file",
        Fault::ExportTruncatedFile,
        "the first download of each export file is cut off after half its declared Content-Length",
    ),
    (
        "export-with-errors",
        Fault::ExportWithErrors,
        "the export manifest has an error file (one OperationOutcome per type)",
    ),
    (
        "export-no-range",
        Fault::ExportNoRange,
        "export files ignore Range (always 200, no Accept-Ranges)",
    ),
    (
        "export-slow-files",
        Fault::ExportSlowFiles,
        "export files arrive in 20 pieces 150 ms apart (at least 3 s each)",
    ),
    (
        "rate-limited",
        Fault::RateLimited,
        "FHIR calls past the rate limit (10 a second unless set) in one second get 429 with Retry-After",
    ),
    (
        "export-files-outside-base",
        Fault::ExportFilesOutsideBase,
        "export file URLs are on the sandbox's origin outside the FHIR base ({origin}/{job}/fhir/bulkfiles/{name}, as the SMART reference server does), token required",
    ),
    (
        "export-token-files-on-storage",
        Fault::ExportTokenFilesOnStorage,
        "export file URLs are on the storage origin and require the token (requiresAccessToken: true); smart sends it there only with --token-origin",
    ),
    (
        "export-transient-once",
        Fault::ExportTransientOnce,
        "the first export status poll and the first request of each file answer 500 with an OperationOutcome issue `transient`",
    ),
    (
        "export-transient-3x",
        Fault::ExportTransientRepeated,
        "the first 3 export status polls and the first 3 requests of each file answer 500 with an OperationOutcome issue `transient`",
    ),
    (
        "export-retry-after-epoch",
        Fault::ExportRetryAfterEpoch,
        "export status gives Retry-After as a Unix time (seconds since 1970, about 2 s ahead) instead of seconds to wait",
    ),
    (
        "export-one-per-client",
        Fault::ExportOnePerClient,
        "a kick-off while the client has an export not yet DELETEd answers 429 (Retry-After: 3600) with an OperationOutcome",
    ),
    // Bulk Data export, for `smart check`'s bulk group.
    (
        "export-not-declared",
        Fault::ExportNotDeclared,
        "the CapabilityStatement declares no export operation (still instantiates the Bulk Data IG; $export works)",
    ),
    (
        "export-no-instantiates",
        Fault::ExportNoInstantiates,
        "the CapabilityStatement leaves out instantiates (the Bulk Data IG's CapabilityStatement)",
    ),
    (
        "export-kickoff-no-token",
        Fault::ExportKickoffNoToken,
        "an $export kick-off without a token is answered 202 (with a status URL of no job)",
    ),
    (
        "export-no-content-location",
        Fault::ExportNoContentLocation,
        "export kick-offs answer 202 without Content-Location",
    ),
    (
        "export-manifest-no-request",
        Fault::ExportManifestNoRequest,
        "the export manifest has no `request`",
    ),
    (
        "export-relative-urls",
        Fault::ExportRelativeUrls,
        "the export manifest's file URLs are relative ($export-file/{job}/{name})",
    ),
    (
        "export-files-no-token",
        Fault::ExportFilesNoToken,
        "export files are served without a token though the manifest says requiresAccessToken: true",
    ),
    (
        "export-bad-ndjson-line",
        Fault::ExportBadNdjsonLine,
        "the first line of each export file is cut-off JSON (the count stays right)",
    ),
    (
        "export-one-patient",
        Fault::ExportOnePatient,
        "an export has one Patient at most",
    ),
    (
        "export-delete-refused",
        Fault::ExportDeleteRefused,
        "DELETE of an export status URL answers 405",
    ),
    (
        "export-cancelled-no-outcome",
        Fault::ExportCancelledNoOutcome,
        "the status URL of an unknown (cancelled) export job answers 404 with a plain-text body",
    ),
    (
        "export-format-aliases-refused",
        Fault::ExportFormatAliasesRefused,
        "_outputFormat application/ndjson and ndjson are refused (400); only application/fhir+ndjson is accepted",
    ),
    (
        "export-since-refused",
        Fault::ExportSinceRefused,
        "an export kick-off with _since answers 400",
    ),
    (
        "export-count-wrong",
        Fault::ExportCountWrong,
        "each export manifest entry's count is one more than its file's lines",
    ),
    (
        "export-extra-types",
        Fault::ExportExtraTypes,
        "an export with _type also exports one type that was not asked for",
    ),
    (
        "export-unknown-param-ignored",
        Fault::ExportUnknownParamIgnored,
        "unsupported export parameters are ignored (202) without Prefer: handling=lenient",
    ),
    (
        "export-post-refused",
        Fault::ExportPostRefused,
        "a POST export kick-off answers 405 (GET only)",
    ),
    (
        "export-files-kept-after-delete",
        Fault::ExportFilesKeptAfterDelete,
        "DELETE of an export job answers 202 and its status URL 404, but its files are still served",
    ),
];

impl Fault {
    pub fn name(self) -> &'static str {
        ALL.iter()
            .find(|(_, f, _)| *f == self)
            .map(|(n, _, _)| *n)
            .unwrap_or("?")
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Fault {
    /// The fault named `name` exactly, if there is one (`FromStr`, with a
    /// hint for a quirk's name, is in `by_name.rs`).
    pub fn named(name: &str) -> Option<Fault> {
        ALL.iter().find(|(n, _, _)| *n == name).map(|(_, f, _)| *f)
    }
}

/// The set of faults a sandbox runs with.
#[derive(Debug, Clone, Default)]
pub struct Faults(BTreeSet<Fault>);

impl Faults {
    /// Names as given to `--fault`: repeated, or comma-separated.
    pub fn parse(names: &[String]) -> Result<Faults, String> {
        each_name(names)
            .map(str::parse)
            .collect::<Result<_, _>>()
            .map(Faults)
    }
    pub fn has(&self, f: Fault) -> bool {
        self.0.contains(&f)
    }
    pub(crate) fn iter(&self) -> impl Iterator<Item = Fault> + '_ {
        self.0.iter().copied()
    }
}

/// The names in `--fault a,b --fault c` (also `--quirk`), blanks skipped.
pub(crate) fn each_name(given: &[String]) -> impl Iterator<Item = &str> {
    given
        .iter()
        .flat_map(|g| g.split(','))
        .map(str::trim)
        .filter(|n| !n.is_empty())
}

/// The `--fault help` text.
pub fn help() -> String {
    let w = ALL.iter().map(|(n, _, _)| n.len()).max().unwrap_or(0);
    ALL.iter()
        .map(|(n, _, d)| format!("  {n:<w$}  {d}\n"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for (n, f, _) in ALL {
            assert_eq!(n.parse::<Fault>().unwrap(), *f);
            assert_eq!(f.name(), *n);
        }
        assert!("nope".parse::<Fault>().is_err());
        let f = Faults::parse(&["no-pkce, http-429".into()]).unwrap();
        assert!(f.has(Fault::NoPkce) && f.has(Fault::Http429));
    }
}
