//! Every check of `smart check`, defined once: id, group, severity, title,
//! spec reference, the SMART App Launch 2.2 requirements it proves, the
//! Inferno tests that test the same thing, the fix, what it needs to run and
//! the sandbox fault that fails it. `--list`, the report headers, the README
//! table and the fault table test are all made from [`ALL`]; the groups
//! (`groups/`) only decide verdicts for these entries.
//!
//! # Requirement ids
//! `requirements` holds the numbers NN of `hl7.fhir.uv.smart-app-launch_2.2.0@NN`,
//! from inferno-framework/smart-app-launch-test-kit,
//! `lib/smart_app_launch/requirements/generated/smart_stu2_2_requirements_coverage.csv`
//! (the `ID` column; rows whose `Actors` is `Server`). A check names a
//! requirement when its verdict decides that requirement for what it tried;
//! checks whose rule comes from an RFC alone (state on error redirects, code
//! reuse, refresh rotation…) name none.
//!
//! # Inferno short ids
//! `inferno` holds the short ids at which Inferno's `smart_stu2_2` suite
//! (`smart_stu2_2_suite.rb`) runs the same test. A short id is
//! `group.subgroup.test`, numbered in the order the suite's groups include
//! them (the CSV's last two columns pair short and full ids where a test
//! verifies a requirement). Only the standalone-launch instance (1.x), the
//! backend one (3.x) and the introspection one (4.2/4.3) are named: the EHR
//! launch (2.x) and the introspection group's own launch (4.1.x) repeat the
//! same tests, except 2.2.01 and 2.2.02, which only an EHR launch has.
//!
//! | short id | Inferno test id | here |
//! |---|---|---|
//! | 1.1.01 | `well_known_endpoint` | discovery.well-known |
//! | 1.1.02 | `well_known_capabilities_stu2` | discovery.required-fields, pkce-s256, openid-fields, issuer-only-with-openid |
//! | 1.1.03 | `smart_cors_well_known_endpoint` | discovery.cors |
//! | 1.1.04 | `smart_cors_metadata_request` | fhir.metadata-cors |
//! | 1.2.01 | `smart_tls` (authorize endpoint) | authorize.tls (the token and FHIR endpoints too) |
//! | 1.2.02 | `smart_app_redirect_stu2` | authorize.state-echoed (GET), authorize.post (POST) |
//! | 1.2.03 | `smart_code_received` | authorize.state-echoed (the redirect carries a code and `state`) |
//! | 1.2.04 | `smart_tls` (token endpoint) | authorize.tls |
//! | 1.2.05 | `smart_token_exchange_stu2_2` | token.response-fields (the good exchange) |
//! | 1.2.06 | `smart_token_response_body_stu2_2` | token.response-fields, token.response-types |
//! | 1.2.07 | `smart_token_response_headers` | token.no-store, token.pragma-no-cache |
//! | 1.2.08 | `smart_cors_token_exchange` | token.cors (every client; Inferno: public only) |
//! | 1.3.01 | `smart_openid_decode_id_token` | token.id-token-valid |
//! | 1.3.02 | `smart_openid_retrieve_configuration` | token.openid-configuration |
//! | 1.3.03 | `smart_openid_required_configuration_fields` | token.openid-configuration |
//! | 1.3.04 | `smart_openid_retrieve_jwks` | token.id-token-valid, token.id-token-rs256 |
//! | 1.3.05 | `smart_openid_token_header` | token.id-token-valid, token.id-token-rs256 |
//! | 1.3.06 | `smart_openid_token_payload` | token.id-token-valid, token.id-token-claims |
//! | 1.3.07, 1.3.08 | `smart_openid_fhir_user_claim`, `smart_cors_openid_fhir_user_claim` | token.fhir-user |
//! | 1.4.01 | `smart_token_refresh_stu2` (no `scope`) | token.refresh |
//! | 1.4.02 | `smart_token_refresh_body` | token.refresh-response |
//! | 1.4.03 | `smart_token_response_headers` (refresh) | token.no-store, token.pragma-no-cache |
//! | 1.5.01–1.5.03 | the same, refreshing with `scope` | token.refresh-with-scope, token.no-store, token.pragma-no-cache |
//! | 3.1.01–3.1.04 | the discovery tests again | as 1.1.x |
//! | 2.2.01 | `smart_app_launch` | authorize.ehr-launch (`--ehr`) |
//! | 2.2.02 | `smart_launch_received` | authorize.ehr-launch-param (`--ehr`; also that the server grants the request carrying it) |
//! | 3.2.01 | `smart_tls` (token endpoint) | authorize.tls |
//! | 3.2.02 | `smart_backend_services_invalid_grant_type` | backend.unknown-grant-type |
//! | 3.2.03, 3.2.04 | `smart_backend_services_invalid_client_assertion`, `…_invalid_jwt` | backend.wrong-assertion-type (Inferno's 3.2.04 sends the same not_an_assertion_type request; the invalid JWTs proper are backend.expired-assertion, wrong-aud, unknown-kid) |
//! | 3.2.05 | `smart_backend_services_auth_request_success` | backend.client-credentials |
//! | 3.2.06 | `smart_backend_services_auth_response_body` | backend.response-fields |
//! | 4.2.01, 4.3.01 | introspection of an active token (request, fields) | revocation.introspection-active |
//! | 4.2.02 | introspection of an invalid token: a 200 answer | revocation.introspection-unknown-token |
//! | 4.3.02 | introspection of an invalid token: `active: false` | revocation.introspection-unknown-token, revocation.introspection-inactive (a revoked one) |
//!
//! To add a check: define it here (a `pub const`, and in [`ALL`] at its
//! place), decide its verdict in its group's file under `groups/` with
//! `run.record(&catalogue::X, verdict, evidence)`, and give it a sandbox
//! fault in `failed_by` (the fault table test in `tests/it/check.rs` reads
//! `failed_by` from `smart check --list --json`). Then regenerate README's
//! table: `SMART_UPDATE_README=1 cargo test --test it check::the_readme_table`.

pub use super::model::{Check, Needs};
use super::model::{Fails, Group, Severity};
pub use super::model::{NO_BACKEND, NO_CLIENT, NO_EHR};

const PKCE: &str =
    "https://hl7.org/fhir/smart-app-launch/app-launch.html#considerations-for-pkce-support";
const TOKEN_RESPONSE: &str = "https://hl7.org/fhir/smart-app-launch/app-launch.html#response-5";
const BACKEND: &str = "https://hl7.org/fhir/smart-app-launch/backend-services.html";
const ASYMMETRIC_VERIFY: &str = "https://hl7.org/fhir/smart-app-launch/client-confidential-asymmetric.html#signature-verification";

const fn fault(name: &'static str) -> Fails {
    Fails::Fault(name)
}

// ---- discovery -----------------------------------------------------------

pub const WELL_KNOWN: Check = Check {
    id: "discovery.well-known",
    group: Group::Discovery,
    severity: Severity::Required,
    title: "/.well-known/smart-configuration is served as a JSON object",
    reference: "https://hl7.org/fhir/smart-app-launch/conformance.html#using-well-known",
    requirements: &[30, 372, 374, 377],
    inferno: &["1.1.01"],
    fix: "serve the SMART configuration at {base}/.well-known/smart-configuration with status 200 and Content-Type application/json",
    needs: Needs::Nothing,
    failed_by: &[Fails::Quirk("no-well-known")],
};
pub const REQUIRED_FIELDS: Check = Check {
    id: "discovery.required-fields",
    group: Group::Discovery,
    severity: Severity::Required,
    title: "the configuration has every required field",
    reference: "https://hl7.org/fhir/smart-app-launch/conformance.html#metadata",
    requirements: &[373, 383, 384, 385, 393, 394, 286, 287, 288],
    inferno: &["1.1.02"],
    fix: "add token_endpoint, capabilities, code_challenge_methods_supported and grant_types_supported as arrays of strings (authorization_endpoint and authorization_code when a launch-* capability is claimed; scopes_supported and private_key_jwt in token_endpoint_auth_methods_supported when client-confidential-asymmetric is)",
    needs: Needs::Nothing,
    failed_by: &[fault("pkce-not-advertised")],
};
pub const PKCE_S256: Check = Check {
    id: "discovery.pkce-s256",
    group: Group::Discovery,
    severity: Severity::Required,
    title: "S256 PKCE is advertised and plain is not",
    reference: PKCE,
    requirements: &[14, 15, 394],
    inferno: &["1.1.02"],
    fix: "set code_challenge_methods_supported to [\"S256\"]",
    needs: Needs::Nothing,
    failed_by: &[fault("pkce-not-advertised")],
};
pub const HTTPS: Check = Check {
    id: "discovery.https-endpoints",
    group: Group::Discovery,
    severity: Severity::Required,
    title: "every endpoint (and the issuer) is an absolute https URL",
    reference: "https://hl7.org/fhir/smart-app-launch/conformance.html#using-well-known",
    requirements: &[378],
    inferno: &[],
    fix: "publish absolute https URLs for every endpoint and the issuer (plain http only for loopback test servers)",
    needs: Needs::Nothing,
    failed_by: &[fault("http-endpoint")],
};
pub const OPENID_FIELDS: Check = Check {
    id: "discovery.openid-fields",
    group: Group::Discovery,
    severity: Severity::Required,
    title: "issuer and jwks_uri are given when sso-openid-connect is claimed",
    reference: "https://hl7.org/fhir/smart-app-launch/conformance.html#metadata",
    requirements: &[381, 382],
    inferno: &["1.1.02"],
    fix: "add issuer and jwks_uri, or drop the sso-openid-connect capability",
    needs: Needs::Nothing,
    failed_by: &[],
};
pub const CAPABILITIES: Check = Check {
    id: "discovery.capabilities",
    group: Group::Discovery,
    severity: Severity::Recommended,
    title: "capabilities are from the SMART vocabulary",
    reference: "https://hl7.org/fhir/smart-app-launch/conformance.html#capabilities",
    requirements: &[],
    inferno: &[],
    fix: "list only SMART App Launch 2.x capability names (misspelt ones are ignored by clients)",
    needs: Needs::Nothing,
    failed_by: &[],
};
pub const RECOMMENDED_FIELDS: Check = Check {
    id: "discovery.recommended-fields",
    group: Group::Discovery,
    severity: Severity::Recommended,
    title: "the recommended fields are there and agree with the capabilities",
    reference: "https://hl7.org/fhir/smart-app-launch/conformance.html#metadata",
    requirements: &[389, 390],
    inferno: &[],
    fix: "add scopes_supported and response_types_supported (arrays of strings), and a client_secret method in token_endpoint_auth_methods_supported when client-confidential-symmetric is claimed",
    needs: Needs::Nothing,
    failed_by: &[],
};
pub const NO_IMPLICIT: Check = Check {
    id: "discovery.no-implicit",
    group: Group::Discovery,
    severity: Severity::Recommended,
    title: "the implicit grant (response_type token) is not advertised",
    reference: "https://www.rfc-editor.org/rfc/rfc9700#section-2.1.2",
    requirements: &[],
    inferno: &[],
    fix: "remove `token` from response_types_supported; SMART uses the code flow with PKCE",
    needs: Needs::Nothing,
    failed_by: &[],
};
pub const CORS: Check = Check {
    id: "discovery.cors",
    group: Group::Discovery,
    severity: Severity::Recommended,
    title: "the configuration can be read from a browser app (CORS)",
    reference: "https://hl7.org/fhir/smart-app-launch/app-launch.html#considerations-for-cross-origin-resource-sharing-cors-support",
    requirements: &[16],
    inferno: &["1.1.03"],
    fix: "answer discovery requests that carry an Origin header with Access-Control-Allow-Origin",
    needs: Needs::Nothing,
    failed_by: &[fault("no-cors")],
};
pub const ISSUER_WITHOUT_OPENID: Check = Check {
    id: "discovery.issuer-only-with-openid",
    group: Group::Discovery,
    severity: Severity::Recommended,
    title: "issuer is given only when sso-openid-connect is claimed",
    reference: "https://hl7.org/fhir/smart-app-launch/conformance.html#metadata",
    requirements: &[381],
    inferno: &["1.1.02"],
    fix: "omit issuer from the configuration unless sso-openid-connect is in capabilities (or add sso-openid-connect)",
    needs: Needs::Nothing,
    failed_by: &[fault("issuer-without-openid")],
};
pub const METADATA_CONSISTENT: Check = Check {
    id: "discovery.metadata-consistent",
    group: Group::Discovery,
    severity: Severity::Required,
    title: "/metadata's oauth-uris extension agrees with the configuration",
    reference: "https://hl7.org/fhir/smart-app-launch/conformance.html#declaring-support-for-oauth2-endpoints",
    requirements: &[],
    inferno: &[],
    fix: "make the oauth-uris extension of the CapabilityStatement name the same endpoints as .well-known/smart-configuration (or drop it)",
    needs: Needs::Nothing,
    failed_by: &[],
};

// ---- authorize -----------------------------------------------------------

pub const STATE_ECHOED: Check = Check {
    id: "authorize.state-echoed",
    group: Group::Authorize,
    severity: Severity::Required,
    title: "the redirect back carries `state` exactly as sent",
    reference: "https://hl7.org/fhir/smart-app-launch/app-launch.html#response-4",
    requirements: &[56, 59],
    inferno: &["1.2.03"],
    fix: "return the request's `state` parameter unchanged on every redirect to the client",
    needs: Needs::UserClient,
    failed_by: &[fault("state-dropped")],
};
pub const ERROR_HAS_STATE: Check = Check {
    id: "authorize.error-has-state",
    group: Group::Authorize,
    severity: Severity::Required,
    title: "an error redirect carries `state`",
    reference: "https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1",
    requirements: &[],
    inferno: &[],
    fix: "add the request's `state` to error redirects (error=unsupported_response_type&state=…)",
    needs: Needs::UserClient,
    failed_by: &[fault("state-dropped")],
};
pub const PKCE_REQUIRED: Check = Check {
    id: "authorize.pkce-required",
    group: Group::Authorize,
    severity: Severity::Required,
    title: "a request without PKCE is refused (at authorize or at token)",
    reference: PKCE,
    requirements: &[31],
    inferno: &[],
    fix: "require code_challenge (S256) on every authorization request, or refuse the code without a code_verifier",
    needs: Needs::UserClient,
    failed_by: &[fault("no-pkce")],
};
pub const PKCE_PLAIN: Check = Check {
    id: "authorize.pkce-plain-rejected",
    group: Group::Authorize,
    severity: Severity::Required,
    title: "the `plain` PKCE method is refused",
    reference: PKCE,
    requirements: &[15],
    inferno: &[],
    fix: "accept only code_challenge_method=S256",
    needs: Needs::UserClient,
    failed_by: &[fault("no-pkce")],
};
pub const REDIRECT_UNREGISTERED: Check = Check {
    id: "authorize.redirect-uri-unregistered",
    group: Group::Authorize,
    severity: Severity::Required,
    title: "an unregistered redirect_uri is refused without a redirect to it",
    reference: "https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1",
    requirements: &[18],
    inferno: &[],
    fix: "compare redirect_uri with the client's registered URIs before redirecting anywhere; show an error page instead",
    needs: Needs::UserClient,
    failed_by: &[fault("open-redirect")],
};
pub const AUD_CHECKED: Check = Check {
    id: "authorize.aud-checked",
    group: Group::Authorize,
    severity: Severity::Required,
    title: "an `aud` that is not this FHIR server is refused",
    reference: "https://hl7.org/fhir/smart-app-launch/app-launch.html#obtain-authorization-code",
    requirements: &[96],
    inferno: &[],
    fix: "compare `aud` with the FHIR base URL and refuse the request when it differs (no token for another server)",
    needs: Needs::UserClient,
    failed_by: &[fault("wrong-aud-accepted")],
};

// The EHR launch (`--ehr`), authorization by POST and TLS.

pub const EHR_LAUNCH: Check = Check {
    id: "authorize.ehr-launch",
    group: Group::Authorize,
    severity: Severity::Required,
    title: "the EHR opens the app's launch URL with its FHIR base as iss",
    reference: "https://hl7.org/fhir/smart-app-launch/app-launch.html#launch-app-ehr-launch",
    requirements: &[352],
    inferno: &["2.2.01"],
    fix: "open the app's registered launch URL with iss set to the FHIR base URL (the one the app was registered for) and launch",
    needs: Needs::EhrLaunch,
    failed_by: &[fault("ehr-launch-wrong-iss")],
};
pub const EHR_LAUNCH_PARAM: Check = Check {
    id: "authorize.ehr-launch-param",
    group: Group::Authorize,
    severity: Severity::Required,
    title: "the EHR sends `launch`, and an authorization request carrying it is granted",
    reference: "https://hl7.org/fhir/smart-app-launch/app-launch.html#launch-app-ehr-launch",
    requirements: &[352],
    inferno: &["2.2.02"],
    fix: "add the launch parameter to the launch URL, and accept it (with the `launch` scope) in the authorization request that follows",
    needs: Needs::EhrLaunch,
    failed_by: &[fault("ehr-launch-no-param")],
};
pub const AUTHORIZE_POST: Check = Check {
    id: "authorize.post",
    group: Group::Authorize,
    severity: Severity::Required,
    title: "an authorization request sent as a form POST is answered as the GET is",
    reference: "https://hl7.org/fhir/smart-app-launch/app-launch.html#request-4",
    requirements: &[49, 57, 354],
    inferno: &["1.2.02"],
    fix: "accept POST application/x-www-form-urlencoded at the authorization endpoint with the same parameters as the GET (and advertise authorize-post)",
    needs: Needs::UserClient,
    failed_by: &[fault("authorize-post-refused"), fault("state-dropped")],
};
pub const TLS: Check = Check {
    id: "authorize.tls",
    group: Group::Authorize,
    severity: Severity::Required,
    title: "the authorization, token and FHIR endpoints speak TLS 1.2 or later and refuse TLS 1.0 and 1.1",
    reference: "https://hl7.org/fhir/smart-app-launch/app-launch.html#security-and-privacy-considerations",
    requirements: &[231],
    inferno: &["1.2.01", "1.2.04", "3.2.01"],
    fix: "disable TLS 1.0 and 1.1 on every endpoint (authorization, token, FHIR), keeping TLS 1.2 and 1.3",
    needs: Needs::Nothing,
    failed_by: &[fault("tls-legacy")],
};

// ---- token ---------------------------------------------------------------

pub const VERIFIER_CHECKED: Check = Check {
    id: "token.code-verifier-checked",
    group: Group::Token,
    severity: Severity::Required,
    title: "a wrong code_verifier is refused",
    reference: "https://www.rfc-editor.org/rfc/rfc7636#section-4.6",
    requirements: &[31],
    inferno: &[],
    fix: "compare BASE64URL(SHA256(code_verifier)) with the code_challenge of the authorization request and answer invalid_grant when they differ",
    needs: Needs::UserClient,
    failed_by: &[fault("no-pkce")],
};
pub const CODE_SINGLE_USE: Check = Check {
    id: "token.code-single-use",
    group: Group::Token,
    severity: Severity::Required,
    title: "an authorization code works once",
    reference: "https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2",
    requirements: &[],
    inferno: &[],
    fix: "mark a code used when it is exchanged and refuse it (invalid_grant) the second time",
    needs: Needs::UserClient,
    failed_by: &[fault("code-reusable")],
};
pub const REPLAY_REVOKES: Check = Check {
    id: "token.code-replay-revokes",
    group: Group::Token,
    severity: Severity::Recommended,
    title: "a replayed code revokes the tokens it gave",
    reference: "https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2",
    requirements: &[],
    inferno: &[],
    fix: "when a used code is presented again, revoke the tokens issued for it",
    needs: Needs::UserClient,
    failed_by: &[],
};
pub const REDIRECT_CHECKED: Check = Check {
    id: "token.redirect-uri-checked",
    group: Group::Token,
    severity: Severity::Required,
    title: "a redirect_uri other than the authorization request's is refused",
    reference: "https://www.rfc-editor.org/rfc/rfc6749#section-4.1.3",
    requirements: &[],
    inferno: &[],
    fix: "require the token request's redirect_uri to be identical to the one of the authorization request",
    needs: Needs::UserClient,
    failed_by: &[],
};
pub const RESPONSE_FIELDS: Check = Check {
    id: "token.response-fields",
    group: Group::Token,
    severity: Severity::Required,
    title: "the token response has token_type Bearer and scope",
    reference: TOKEN_RESPONSE,
    requirements: &[73, 74, 75, 78, 84],
    inferno: &["1.2.05", "1.2.06"],
    fix: "answer with access_token, token_type \"Bearer\" and the granted scope",
    needs: Needs::UserClient,
    failed_by: &[],
};
pub const RESPONSE_TYPES: Check = Check {
    id: "token.response-types",
    group: Group::Token,
    severity: Severity::Required,
    title: "the token response's fields have their types, fhirContext holds SMART 2.2 objects",
    reference: TOKEN_RESPONSE,
    requirements: &[73, 74, 75, 78, 84, 172, 178],
    inferno: &["1.2.06"],
    fix: "send access_token, token_type, scope, refresh_token, id_token, patient and encounter as strings, expires_in as a number, need_patient_banner as a boolean, and fhirContext as an array of objects each with reference (relative), canonical or identifier (and type a resource type)",
    needs: Needs::UserClient,
    failed_by: &[fault("fhir-context-strings")],
};
pub const EXPIRES_IN: Check = Check {
    id: "token.expires-in",
    group: Group::Token,
    severity: Severity::Recommended,
    title: "the token response says when the token expires (expires_in)",
    reference: TOKEN_RESPONSE,
    requirements: &[76],
    inferno: &[],
    fix: "add expires_in, the access token's lifetime in seconds, as a JSON number",
    needs: Needs::UserClient,
    failed_by: &[fault("token-no-expires-in")],
};
pub const NO_STORE: Check = Check {
    id: "token.no-store",
    group: Group::Token,
    severity: Severity::Required,
    title: "every answer that carries a token (code exchange and refreshes) has Cache-Control: no-store",
    reference: TOKEN_RESPONSE,
    requirements: &[86],
    inferno: &["1.2.07", "1.4.03", "1.5.03"],
    fix: "send `Cache-Control: no-store` with every answer that carries a token, refresh answers too",
    needs: Needs::UserClient,
    failed_by: &[fault("refresh-cacheable")],
};
pub const PRAGMA: Check = Check {
    id: "token.pragma-no-cache",
    group: Group::Token,
    severity: Severity::Required,
    title: "the code exchange and every refresh answer carry Pragma: no-cache",
    reference: TOKEN_RESPONSE,
    requirements: &[87],
    inferno: &["1.2.07", "1.4.03", "1.5.03"],
    fix: "send `Pragma: no-cache` beside `Cache-Control: no-store` with every token answer, refreshes included",
    needs: Needs::UserClient,
    failed_by: &[fault("refresh-no-pragma")],
};
pub const TOKEN_CORS: Check = Check {
    id: "token.cors",
    group: Group::Token,
    severity: Severity::Recommended,
    title: "a code exchange can be made from a browser app (CORS)",
    reference: "https://hl7.org/fhir/smart-app-launch/app-launch.html#considerations-for-cross-origin-resource-sharing-cors-support",
    requirements: &[17],
    inferno: &["1.2.08"],
    fix: "answer token requests that carry an Origin header with Access-Control-Allow-Origin (the client's origin or *)",
    needs: Needs::UserClient,
    failed_by: &[fault("no-cors")],
};
pub const LAUNCH_CONTEXT: Check = Check {
    id: "token.launch-context",
    group: Group::Token,
    severity: Severity::Required,
    title: "a granted launch/patient comes with the patient in the token response (an EHR launch, with its context)",
    reference: "https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html#launch-context-arrives-with-your-access_token",
    requirements: &[164, 169, 170],
    inferno: &[],
    fix: "add `patient` (the selected patient's id) to the token response whenever launch/patient is granted",
    needs: Needs::UserClient,
    failed_by: &[fault("no-launch-context")],
};
pub const ID_TOKEN_VALID: Check = Check {
    id: "token.id-token-valid",
    group: Group::Token,
    severity: Severity::Required,
    title: "the id_token (asked for with openid) is valid against the JWKS",
    reference: "https://openid.net/specs/openid-connect-core-1_0.html#IDTokenValidation",
    requirements: &[200, 207],
    inferno: &["1.3.01", "1.3.04", "1.3.05", "1.3.06"],
    fix: "sign id_tokens with a key published at jwks_uri (matching kid, RS256/RS384/ES256/ES384), with iss = issuer, aud = the client id, exp and sub",
    needs: Needs::UserClient,
    failed_by: &[
        fault("id-token-bad-signature"),
        fault("id-token-unknown-kid"),
    ],
};
pub const OPENID_CONFIG: Check = Check {
    id: "token.openid-configuration",
    group: Group::Token,
    severity: Severity::Required,
    title: "{iss}/.well-known/openid-configuration is served with its required fields and RS256",
    reference: "https://hl7.org/fhir/smart-app-launch/app-launch.html#openid-connect",
    requirements: &[210],
    inferno: &["1.3.02", "1.3.03"],
    fix: "serve OpenID Connect Discovery at the id_token's iss + /.well-known/openid-configuration (application/json) with issuer, authorization_endpoint, token_endpoint, jwks_uri, response_types_supported, subject_types_supported and id_token_signing_alg_values_supported including RS256",
    needs: Needs::UserClient,
    failed_by: &[fault("openid-config-no-rs256")],
};
pub const ID_TOKEN_RS256: Check = Check {
    id: "token.id-token-rs256",
    group: Group::Token,
    severity: Severity::Required,
    title: "the JWKS's RSA keys import, the id_token is RS256 under a kid the JWKS publishes",
    reference: "https://hl7.org/fhir/smart-app-launch/app-launch.html#openid-connect",
    requirements: &[207, 210],
    inferno: &["1.3.04", "1.3.05"],
    fix: "sign id_tokens with RS256 and an RSA key of the configuration's jwks_uri, naming it by kid (required when the JWKS has several keys)",
    needs: Needs::UserClient,
    failed_by: &[fault("id-token-unknown-kid")],
};
pub const ID_TOKEN_CLAIMS: Check = Check {
    id: "token.id-token-claims",
    group: Group::Token,
    severity: Severity::Required,
    title: "the id_token has iss, sub, aud, exp and iat; sub at most 255 characters",
    reference: "https://openid.net/specs/openid-connect-core-1_0.html#IDToken",
    requirements: &[94, 96],
    inferno: &["1.3.06"],
    fix: "put iss, sub (1 to 255 characters), aud, exp and iat in every id_token",
    needs: Needs::UserClient,
    failed_by: &[fault("id-token-no-iat")],
};
pub const FHIR_USER: Check = Check {
    id: "token.fhir-user",
    group: Group::Token,
    severity: Severity::Required,
    title: "asked for, the id_token's fhirUser names a Patient, Practitioner, RelatedPerson or Person that reads with the token (CORS)",
    reference: "https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html#scopes-for-requesting-identity-data",
    requirements: &[198],
    inferno: &["1.3.07", "1.3.08"],
    fix: "put fhirUser (the user's Patient, Practitioner, RelatedPerson or Person URL) in the id_token when fhirUser is granted, and let the access token read it, cross-origin",
    needs: Needs::UserClient,
    failed_by: &[
        fault("fhir-user-bad-type"),
        fault("no-cors"),
        fault("bad-json"),
        fault("expired-tokens"),
    ],
};
pub const REFRESH: Check = Check {
    id: "token.refresh",
    group: Group::Token,
    severity: Severity::Required,
    title: "the refresh token gives a new access token",
    reference: "https://hl7.org/fhir/smart-app-launch/app-launch.html#step-7-app-uses-a-refresh-token-to-obtain-a-new-access-token",
    requirements: &[101, 109],
    inferno: &["1.4.01"],
    fix: "accept grant_type=refresh_token with the refresh token you issued (and the client's credentials) and answer with a new access token",
    needs: Needs::UserClient,
    failed_by: &[fault("refresh-invalid")],
};
pub const REFRESH_RESPONSE: Check = Check {
    id: "token.refresh-response",
    group: Group::Token,
    severity: Severity::Required,
    title: "the refresh answer has access_token, token_type Bearer, expires_in and scope, no wider than the original grant",
    reference: "https://hl7.org/fhir/smart-app-launch/app-launch.html#step-7-app-uses-a-refresh-token-to-obtain-a-new-access-token",
    requirements: &[110, 111, 112, 113, 114],
    inferno: &["1.4.02"],
    fix: "answer a refresh with access_token, token_type \"Bearer\", expires_in (a number) and scope, granting no scope the original authorization did not",
    needs: Needs::UserClient,
    failed_by: &[fault("refresh-scope-widened"), fault("token-no-expires-in")],
};
pub const REFRESH_WITH_SCOPE: Check = Check {
    id: "token.refresh-with-scope",
    group: Group::Token,
    severity: Severity::Required,
    title: "a refresh that asks for fewer scopes gets a token for no more than those",
    reference: "https://hl7.org/fhir/smart-app-launch/app-launch.html#step-7-app-uses-a-refresh-token-to-obtain-a-new-access-token",
    requirements: &[109, 110, 111, 112, 113, 114],
    inferno: &["1.5.01", "1.5.02"],
    fix: "accept a refresh with a scope that is a subset of the original grant and grant no scope beyond it",
    needs: Needs::UserClient,
    failed_by: &[fault("refresh-scope-widened")],
};
pub const REFRESH_ROTATES: Check = Check {
    id: "token.refresh-rotates",
    group: Group::Token,
    severity: Severity::Recommended,
    title: "a refresh gives a new refresh token (rotation)",
    reference: "https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2",
    requirements: &[],
    inferno: &[],
    fix: "issue a new refresh token with every refresh and invalidate the old one (public clients need rotation or sender-constrained tokens)",
    needs: Needs::UserClient,
    failed_by: &[fault("refresh-not-rotated")],
};
pub const REFRESH_REUSE: Check = Check {
    id: "token.refresh-reuse-refused",
    group: Group::Token,
    severity: Severity::Required,
    title: "a rotated-out refresh token is refused",
    reference: "https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2",
    requirements: &[],
    inferno: &[],
    fix: "refuse (invalid_grant) a refresh token once it has been exchanged for a new one",
    needs: Needs::UserClient,
    failed_by: &[],
};
pub const AUTH_METHODS: Check = Check {
    id: "token.auth-methods-work",
    group: Group::Token,
    severity: Severity::Required,
    title: "every advertised client authentication method is accepted",
    reference: "https://www.rfc-editor.org/rfc/rfc8414#section-2",
    requirements: &[356, 357],
    inferno: &[],
    fix: "accept every method in token_endpoint_auth_methods_supported at the token endpoint, or stop advertising the ones you refuse",
    needs: Needs::AnyClient,
    failed_by: &[fault("advertises-unsupported-auth")],
};

// ---- fhir ----------------------------------------------------------------

pub const CAPABILITY_STATEMENT: Check = Check {
    id: "fhir.capability-statement",
    group: Group::Fhir,
    severity: Severity::Required,
    title: "the CapabilityStatement is readable without a token",
    reference: "https://hl7.org/fhir/R4/http.html#capabilities",
    requirements: &[],
    inferno: &[],
    fix: "answer GET {base}/metadata with a CapabilityStatement as application/fhir+json, without requiring a token",
    needs: Needs::Nothing,
    failed_by: &[fault("bad-json")],
};
pub const METADATA_CORS: Check = Check {
    id: "fhir.metadata-cors",
    group: Group::Fhir,
    severity: Severity::Recommended,
    title: "/metadata can be read from a browser app (CORS)",
    reference: "https://hl7.org/fhir/smart-app-launch/app-launch.html#considerations-for-cross-origin-resource-sharing-cors-support",
    requirements: &[16],
    inferno: &["1.1.04"],
    fix: "answer GET /metadata with an Origin header with Access-Control-Allow-Origin: * (or that origin)",
    needs: Needs::Nothing,
    failed_by: &[fault("no-cors")],
};
pub const TOKEN_REQUIRED: Check = Check {
    id: "fhir.token-required",
    group: Group::Fhir,
    severity: Severity::Required,
    title: "a read without a token is refused with 401 and WWW-Authenticate",
    reference: "https://www.rfc-editor.org/rfc/rfc6750#section-3",
    requirements: &[],
    inferno: &[],
    fix: "refuse FHIR requests without a valid access token with 401 and `WWW-Authenticate: Bearer`",
    needs: Needs::Nothing,
    failed_by: &[fault("no-token-required")],
};
pub const READ_WITH_TOKEN: Check = Check {
    id: "fhir.read-with-token",
    group: Group::Fhir,
    severity: Severity::Required,
    title: "a read with the issued access token succeeds",
    reference: "https://hl7.org/fhir/smart-app-launch/app-launch.html#step-6-app-accesses-clinical-data-via-fhir-api",
    requirements: &[],
    inferno: &[],
    fix: "accept the access tokens your token endpoint issues (`Authorization: Bearer …`) for the scopes they grant",
    needs: Needs::UserClient,
    failed_by: &[fault("expired-tokens")],
};
pub const PAGING_ON_BASE: Check = Check {
    id: "fhir.paging-on-base",
    group: Group::Fhir,
    severity: Severity::Required,
    title: "a search Bundle's paging links stay under the FHIR base",
    reference: "https://hl7.org/fhir/R4/http.html#paging",
    requirements: &[],
    inferno: &[],
    fix: "write Bundle.link URLs as absolute URLs under the FHIR base the client called (clients send their token only there)",
    needs: Needs::UserClient,
    failed_by: &[],
};
pub const PATIENT_COMPARTMENT: Check = Check {
    id: "fhir.patient-compartment",
    group: Group::Fhir,
    severity: Severity::Required,
    title: "a patient-scoped token cannot read another patient",
    reference: "https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html#patient-specific-scopes",
    requirements: &[136, 170],
    inferno: &[],
    fix: "limit patient/ scopes to the compartment of the launch patient: refuse (403 or 404) reads of other patients' resources",
    needs: Needs::UserClient,
    failed_by: &[fault("cross-patient-read")],
};
pub const TYPE_SCOPE: Check = Check {
    id: "fhir.type-scope",
    group: Group::Fhir,
    severity: Severity::Required,
    title: "a token scoped to one resource type cannot read another",
    reference: "https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html#scopes-for-requesting-fhir-resources",
    requirements: &[95],
    inferno: &[],
    fix: "enforce the resource type of each granted scope: a patient/Patient.rs token gets 403 for Observation",
    needs: Needs::UserClient,
    failed_by: &[fault("type-scope-ignored")],
};

// SMART App State (app-state.html): Inferno has no test of it.
const APP_STATE: &str = "https://hl7.org/fhir/smart-app-launch/app-state.html";
pub const APP_STATE_ROUND_TRIP: Check = Check {
    id: "fhir.app-state",
    group: Group::Fhir,
    severity: Severity::Required,
    title: "smart-app-state: a Basic is created, updated with If-Match, found by code and subject, and deleted",
    reference: APP_STATE,
    requirements: &[371],
    inferno: &[],
    fix: "when advertising smart-app-state, serve POST Basic (201 with id, meta.versionId and an ETag), PUT and DELETE Basic/[id] with If-Match, and GET Basic?code=system|code&subject=absolute-reference (a searchset that no longer has a deleted state)",
    needs: Needs::UserClient,
    // `bad-json` breaks every FHIR answer, the created Basic's among them;
    // `expired-tokens` makes its token useless.
    failed_by: &[
        fault("app-state-delete-kept"),
        fault("bad-json"),
        fault("expired-tokens"),
    ],
};
pub const APP_STATE_IF_MATCH: Check = Check {
    id: "fhir.app-state-if-match",
    group: Group::Fhir,
    severity: Severity::Required,
    title: "smart-app-state: an update without If-Match is refused",
    reference: APP_STATE,
    requirements: &[371],
    inferno: &[],
    fix: "refuse PUT Basic/[id] of app state without an If-Match header (412 Precondition Failed, or 428)",
    needs: Needs::UserClient,
    failed_by: &[fault("app-state-no-if-match")],
};
pub const APP_STATE_STALE: Check = Check {
    id: "fhir.app-state-stale-version",
    group: Group::Fhir,
    severity: Severity::Required,
    title: "smart-app-state: an update naming an old version in If-Match gets 412",
    reference: APP_STATE,
    requirements: &[371],
    inferno: &[],
    fix: "answer 412 Precondition Failed to an app-state update whose If-Match ETag is not the current version",
    needs: Needs::UserClient,
    failed_by: &[fault("app-state-stale-accepted")],
};

// ---- revocation ----------------------------------------------------------

pub const REVOKED_REFUSED: Check = Check {
    id: "revocation.revoked-token-refused",
    group: Group::Revocation,
    severity: Severity::Required,
    title: "a revoked access token is refused by the FHIR server",
    reference: "https://www.rfc-editor.org/rfc/rfc7009#section-2.2",
    requirements: &[],
    inferno: &[],
    fix: "answer revocation with 200 and make the FHIR server refuse (401) the revoked token at once",
    needs: Needs::UserClient,
    failed_by: &[],
};
pub const INTROSPECTION_INACTIVE: Check = Check {
    id: "revocation.introspection-inactive",
    group: Group::Revocation,
    severity: Severity::Required,
    title: "introspection of a revoked token says active: false",
    reference: "https://www.rfc-editor.org/rfc/rfc7662#section-2.2",
    requirements: &[271, 272],
    inferno: &["4.3.02"],
    fix: "answer {\"active\": false} for a token that was revoked",
    needs: Needs::UserClient,
    failed_by: &[],
};

pub const INTROSPECTION_ACTIVE: Check = Check {
    id: "revocation.introspection-active",
    group: Group::Revocation,
    severity: Severity::Required,
    title: "introspection of a live token says active: true with the scope, client_id, exp and context it was issued with",
    reference: "https://hl7.org/fhir/smart-app-launch/token-introspection.html#required-fields-in-the-introspection-response",
    requirements: &[271, 272, 273, 274, 275, 276, 277, 278, 279],
    inferno: &["4.2.01", "4.3.01"],
    fix: "answer introspection of a live token with 200 {\"active\": true} and the token response's scope, client_id, an exp, its launch context (patient, encounter) and, when an id_token was issued, its iss and sub",
    needs: Needs::UserClient,
    failed_by: &[fault("introspection-fields-missing")],
};
pub const INTROSPECTION_UNKNOWN: Check = Check {
    id: "revocation.introspection-unknown-token",
    group: Group::Revocation,
    severity: Severity::Required,
    title: "introspection of a token the server never issued answers 200 with active: false",
    reference: "https://www.rfc-editor.org/rfc/rfc7662#section-2.2",
    requirements: &[271, 272],
    inferno: &["4.2.02", "4.3.02"],
    fix: "answer introspection of an unknown token with 200 {\"active\": false}, not an error status",
    needs: Needs::UserClient,
    failed_by: &[fault("introspection-unknown-token-error")],
};
pub const INTROSPECTION_INACTIVE_QUIET: Check = Check {
    id: "revocation.introspection-inactive-quiet",
    group: Group::Revocation,
    severity: Severity::Recommended,
    title: "introspection of an inactive token says nothing but active: false",
    reference: "https://www.rfc-editor.org/rfc/rfc7662#section-2.2",
    requirements: &[],
    inferno: &[],
    fix: "answer {\"active\": false} alone for an unknown, expired or revoked token (RFC 7662: SHOULD NOT include more)",
    needs: Needs::UserClient,
    failed_by: &[fault("introspection-inactive-says-more")],
};

// ---- registration --------------------------------------------------------

pub const USABLE_CLIENT: Check = Check {
    id: "registration.usable-client",
    group: Group::Registration,
    severity: Severity::Required,
    title: "a registered public client can get a token",
    reference: "https://www.rfc-editor.org/rfc/rfc7591#section-3.2.1",
    requirements: &[24],
    inferno: &[],
    fix: "answer a valid registration with 201 and a client_id that the authorization and token endpoints accept at once",
    needs: Needs::Nothing,
    failed_by: &[],
};

// ---- backend -------------------------------------------------------------

pub const CLIENT_CREDENTIALS: Check = Check {
    id: "backend.client-credentials",
    group: Group::Backend,
    severity: Severity::Required,
    title: "client_credentials with a signed assertion gives a token",
    reference: BACKEND,
    requirements: &[249, 253],
    inferno: &["3.2.05"],
    fix: "accept grant_type=client_credentials with client_assertion_type jwt-bearer and an RS384/ES384 assertion signed by a registered key",
    needs: Needs::BackendClient,
    failed_by: &[],
};
pub const BACKEND_RESPONSE: Check = Check {
    id: "backend.response-fields",
    group: Group::Backend,
    severity: Severity::Required,
    title: "the client_credentials answer has access_token, token_type bearer, a numeric expires_in and scope",
    reference: "https://hl7.org/fhir/smart-app-launch/backend-services.html#issue-access-token",
    requirements: &[254, 255, 256, 257],
    inferno: &["3.2.06"],
    fix: "answer client_credentials with access_token, token_type \"bearer\", expires_in (a number of seconds) and scope",
    needs: Needs::BackendClient,
    failed_by: &[fault("token-no-expires-in")],
};
pub const BAD_GRANT_TYPE: Check = Check {
    id: "backend.unknown-grant-type",
    group: Group::Backend,
    severity: Severity::Required,
    title: "grant_type=not_a_grant_type is answered 400",
    reference: "https://hl7.org/fhir/smart-app-launch/backend-services.html#response-1",
    requirements: &[251],
    inferno: &["3.2.02"],
    fix: "answer an unknown grant_type with 400 and error unsupported_grant_type (RFC 6749 §5.2)",
    needs: Needs::BackendClient,
    failed_by: &[fault("unknown-grant-500")],
};
pub const BAD_ASSERTION_TYPE: Check = Check {
    id: "backend.wrong-assertion-type",
    group: Group::Backend,
    severity: Severity::Required,
    title: "a client_assertion_type other than jwt-bearer is answered 400 or 401",
    reference: "https://hl7.org/fhir/smart-app-launch/backend-services.html#response-1",
    requirements: &[251],
    inferno: &["3.2.03", "3.2.04"],
    fix: "refuse a token request whose client_assertion_type is not urn:ietf:params:oauth:client-assertion-type:jwt-bearer with 400 (invalid_request) or 401 (invalid_client)",
    needs: Needs::BackendClient,
    failed_by: &[fault("assertion-type-unchecked")],
};
pub const JTI_REPLAY: Check = Check {
    id: "backend.jti-replay",
    group: Group::Backend,
    severity: Severity::Required,
    title: "an assertion whose jti was used before is refused",
    reference: ASYMMETRIC_VERIFY,
    requirements: &[336],
    inferno: &[],
    fix: "remember the jti of every accepted assertion until it expires and refuse a repeat (invalid_client)",
    needs: Needs::BackendClient,
    failed_by: &[fault("assertion-unchecked")],
};
pub const EXPIRED: Check = Check {
    id: "backend.expired-assertion",
    group: Group::Backend,
    severity: Severity::Required,
    title: "an expired assertion is refused",
    reference: "https://www.rfc-editor.org/rfc/rfc7523#section-3",
    requirements: &[335],
    inferno: &[],
    fix: "refuse an assertion whose exp is in the past (invalid_client)",
    needs: Needs::BackendClient,
    failed_by: &[fault("assertion-unchecked")],
};
pub const WRONG_AUD: Check = Check {
    id: "backend.wrong-aud",
    group: Group::Backend,
    severity: Severity::Required,
    title: "an assertion for another token URL (aud) is refused",
    reference: "https://www.rfc-editor.org/rfc/rfc7523#section-3",
    requirements: &[335],
    inferno: &[],
    fix: "require the assertion's aud to be this token endpoint's URL",
    needs: Needs::BackendClient,
    failed_by: &[fault("assertion-unchecked")],
};
pub const UNKNOWN_KID: Check = Check {
    id: "backend.unknown-kid",
    group: Group::Backend,
    severity: Severity::Required,
    title: "an assertion signed under an unknown kid is refused",
    reference: ASYMMETRIC_VERIFY,
    requirements: &[338],
    inferno: &[],
    fix: "verify assertions only with the client's registered keys and refuse a kid you do not know",
    needs: Needs::BackendClient,
    failed_by: &[fault("unknown-kid-accepted")],
};

// ---- bulk (Bulk Data Access 2.0) ----------------------------------------
//
// `inferno` names the tests of Inferno's Bulk Data suite (`bulk_data_v200`,
// inferno-framework/bulk-data-test-kit, lib/bulk_data_test_kit/v2.0.0/) as
// `bulk_data_v200:` and the short id: 2.2.x is the group level, 2.3.x the
// patient level, 2.4.x the system level (each run at every level asked
// for). Its SMART tests map to the backend and discovery checks:
// 1.1.01 discovery.well-known, 1.1.02 discovery.required-fields,
// 1.2.02 backend.unknown-grant-type, 1.2.03 and 1.2.04
// backend.wrong-assertion-type, 1.2.05 backend.client-credentials, 1.2.06
// backend.response-fields; its TLS tests (1.2.01, 2.1.01, 2.x.2.01) are
// bulk.tls.

const BULK_EXPORT: &str = "https://hl7.org/fhir/uv/bulkdata/STU2/export.html";
const BULK_KICKOFF_REQUEST: &str =
    "https://hl7.org/fhir/uv/bulkdata/STU2/export.html#bulk-data-kick-off-request";
const BULK_STATUS: &str =
    "https://hl7.org/fhir/uv/bulkdata/STU2/export.html#bulk-data-status-request";
const BULK_DELETE: &str =
    "https://hl7.org/fhir/uv/bulkdata/STU2/export.html#bulk-data-delete-request";
const BULK_FILE: &str = "https://hl7.org/fhir/uv/bulkdata/STU2/export.html#file-request";
const BULK_PARAMS: &str = "https://hl7.org/fhir/uv/bulkdata/STU2/export.html#query-parameters";

pub const BULK_OPERATION: Check = Check {
    id: "bulk.operation-declared",
    group: Group::Bulk,
    severity: Severity::Required,
    title: "the CapabilityStatement declares $export at each level checked",
    reference: "https://hl7.org/fhir/uv/bulkdata/STU2/CapabilityStatement-bulk-data.html",
    requirements: &[],
    inferno: &[
        "bulk_data_v200:2.2.1.01",
        "bulk_data_v200:2.3.1.01",
        "bulk_data_v200:2.4.1.01",
    ],
    fix: "declare an operation named export (definition http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export, patient-export, group-export) in rest.operation (system) or on the Patient and Group resources",
    needs: Needs::BackendClient,
    failed_by: &[fault("export-not-declared")],
};
pub const BULK_INSTANTIATES: Check = Check {
    id: "bulk.instantiates",
    group: Group::Bulk,
    severity: Severity::Recommended,
    title: "the CapabilityStatement instantiates the Bulk Data IG's",
    reference: "https://hl7.org/fhir/uv/bulkdata/STU2/#conformance",
    requirements: &[],
    inferno: &[
        "bulk_data_v200:2.2.1.01",
        "bulk_data_v200:2.3.1.01",
        "bulk_data_v200:2.4.1.01",
    ],
    fix: "add http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data to CapabilityStatement.instantiates",
    needs: Needs::BackendClient,
    failed_by: &[fault("export-no-instantiates")],
};
pub const BULK_KICKOFF_TOKEN: Check = Check {
    id: "bulk.kickoff-needs-token",
    group: Group::Bulk,
    severity: Severity::Required,
    title: "a kick-off without a token is refused (400 or 401)",
    reference: BULK_KICKOFF_REQUEST,
    requirements: &[],
    inferno: &[
        "bulk_data_v200:2.2.1.02",
        "bulk_data_v200:2.3.1.02",
        "bulk_data_v200:2.4.1.02",
    ],
    fix: "answer an $export request without an Authorization header with 401 (and WWW-Authenticate: Bearer)",
    needs: Needs::BackendClient,
    failed_by: &[fault("export-kickoff-no-token"), fault("no-token-required")],
};
pub const BULK_KICKOFF: Check = Check {
    id: "bulk.kickoff-accepted",
    group: Group::Bulk,
    severity: Severity::Required,
    title: "a kick-off is answered 202 Accepted with a Content-Location",
    reference: BULK_KICKOFF_REQUEST,
    requirements: &[],
    inferno: &[
        "bulk_data_v200:2.2.1.03",
        "bulk_data_v200:2.3.1.03",
        "bulk_data_v200:2.4.1.03",
    ],
    fix: "answer a kick-off with Prefer: respond-async with 202 and the job's status URL (absolute) in Content-Location",
    needs: Needs::BackendClient,
    failed_by: &[fault("export-no-content-location")],
};
pub const BULK_STATUS_COMPLETE: Check = Check {
    id: "bulk.status-complete",
    group: Group::Bulk,
    severity: Severity::Required,
    title: "polling ends in 200 with a JSON manifest of every required field",
    reference: BULK_STATUS,
    requirements: &[],
    inferno: &[
        "bulk_data_v200:2.2.1.04",
        "bulk_data_v200:2.3.1.04",
        "bulk_data_v200:2.4.1.04",
    ],
    fix: "answer the status URL 202 while the job runs, then 200 with Content-Type application/json and transactionTime, request, requiresAccessToken, output and error",
    needs: Needs::BackendClient,
    failed_by: &[fault("export-manifest-no-request"), fault("bad-json")],
};
pub const BULK_OUTPUT_ENTRIES: Check = Check {
    id: "bulk.output-entries",
    group: Group::Bulk,
    severity: Severity::Required,
    title: "each output entry has a type and an absolute URL",
    reference: BULK_STATUS,
    requirements: &[],
    inferno: &[
        "bulk_data_v200:2.2.1.05",
        "bulk_data_v200:2.3.1.05",
        "bulk_data_v200:2.4.1.05",
    ],
    fix: "give every output entry its resource type and the file's absolute http(s) URL",
    needs: Needs::BackendClient,
    failed_by: &[fault("export-relative-urls")],
};
pub const BULK_TLS: Check = Check {
    id: "bulk.tls",
    group: Group::Bulk,
    severity: Severity::Required,
    title: "the FHIR server and the file server are reached over TLS 1.2 or later",
    reference: "https://hl7.org/fhir/uv/bulkdata/STU2/export.html#privacy-and-security-considerations",
    requirements: &[],
    inferno: &[
        "bulk_data_v200:1.2.01",
        "bulk_data_v200:2.1.01",
        "bulk_data_v200:2.2.2.01",
        "bulk_data_v200:2.3.2.01",
        "bulk_data_v200:2.4.2.01",
    ],
    fix: "serve the FHIR base and the export files over https (TLS 1.2 or later)",
    needs: Needs::BackendClient,
    failed_by: &[],
};
pub const BULK_FILE_TOKEN: Check = Check {
    id: "bulk.file-needs-token",
    group: Group::Bulk,
    severity: Severity::Required,
    title: "a file is refused without a token when requiresAccessToken is true",
    reference: BULK_FILE,
    requirements: &[],
    inferno: &[
        "bulk_data_v200:2.2.2.02",
        "bulk_data_v200:2.3.2.02",
        "bulk_data_v200:2.4.2.02",
    ],
    fix: "answer a file request without the access token 401 when the manifest says requiresAccessToken: true",
    needs: Needs::BackendClient,
    failed_by: &[fault("export-files-no-token"), fault("no-token-required")],
};
pub const BULK_NDJSON: Check = Check {
    id: "bulk.ndjson-valid",
    group: Group::Bulk,
    severity: Severity::Required,
    title: "every file line is a JSON resource of the entry's type (no profile validation)",
    reference: BULK_FILE,
    requirements: &[],
    inferno: &[
        "bulk_data_v200:2.2.2.03",
        "bulk_data_v200:2.3.2.03",
        "bulk_data_v200:2.4.2.03",
    ],
    fix: "write one complete JSON resource per line, of the type the manifest entry names",
    needs: Needs::BackendClient,
    failed_by: &[fault("export-bad-ndjson-line")],
};
pub const BULK_PATIENTS: Check = Check {
    id: "bulk.multiple-patients",
    group: Group::Bulk,
    severity: Severity::Required,
    title: "the export has at least two Patients",
    reference: BULK_EXPORT,
    requirements: &[],
    inferno: &[
        "bulk_data_v200:2.2.2.04",
        "bulk_data_v200:2.3.2.04",
        "bulk_data_v200:2.4.2.04",
    ],
    fix: "export every Patient the client may read (a test server needs at least two)",
    needs: Needs::BackendClient,
    failed_by: &[fault("export-one-patient")],
};
pub const BULK_CANCEL: Check = Check {
    id: "bulk.cancel-accepted",
    group: Group::Bulk,
    severity: Severity::Required,
    title: "DELETE of a running job's status URL is answered 202",
    reference: BULK_DELETE,
    requirements: &[],
    inferno: &[
        "bulk_data_v200:2.2.3.01",
        "bulk_data_v200:2.3.3.01",
        "bulk_data_v200:2.4.3.01",
    ],
    fix: "accept DELETE on the status URL: stop the job, remove its files and answer 202",
    needs: Needs::BackendClient,
    failed_by: &[fault("export-delete-refused")],
};
pub const BULK_CANCELLED_GONE: Check = Check {
    id: "bulk.cancelled-gone",
    group: Group::Bulk,
    severity: Severity::Required,
    title: "a cancelled job's status URL answers 404 with an OperationOutcome",
    reference: BULK_DELETE,
    requirements: &[],
    inferno: &[
        "bulk_data_v200:2.2.3.02",
        "bulk_data_v200:2.3.3.02",
        "bulk_data_v200:2.4.3.02",
    ],
    fix: "answer the status URL of a deleted job 404 with an OperationOutcome (JSON)",
    needs: Needs::BackendClient,
    failed_by: &[fault("export-cancelled-no-outcome")],
};
pub const BULK_FORMATS: Check = Check {
    id: "bulk.output-formats",
    group: Group::Bulk,
    severity: Severity::Required,
    title: "_outputFormat application/fhir+ndjson, application/ndjson and ndjson are accepted",
    reference: BULK_PARAMS,
    requirements: &[],
    inferno: &[
        "bulk_data_v200:2.2.4.01",
        "bulk_data_v200:2.3.4.01",
        "bulk_data_v200:2.4.4.01",
    ],
    fix: "accept the full NDJSON content type and its abbreviations application/ndjson and ndjson",
    needs: Needs::BackendClient,
    failed_by: &[fault("export-format-aliases-refused")],
};
pub const BULK_SINCE: Check = Check {
    id: "bulk.since",
    group: Group::Bulk,
    severity: Severity::Required,
    title: "a kick-off with _since is accepted",
    reference: BULK_PARAMS,
    requirements: &[],
    inferno: &[
        "bulk_data_v200:2.2.4.02",
        "bulk_data_v200:2.3.4.02",
        "bulk_data_v200:2.4.4.02",
    ],
    fix: "support _since (a FHIR instant): export only resources changed after it",
    needs: Needs::BackendClient,
    failed_by: &[fault("export-since-refused")],
};
pub const BULK_COUNT: Check = Check {
    id: "bulk.count-matches",
    group: Group::Bulk,
    severity: Severity::Recommended,
    title: "each output entry's count is the number of resources in its file",
    reference: BULK_STATUS,
    requirements: &[],
    inferno: &[],
    fix: "give count as the number of resources (lines) in the file, or leave it out",
    needs: Needs::BackendClient,
    failed_by: &[fault("export-count-wrong")],
};
pub const BULK_TYPES: Check = Check {
    id: "bulk.requested-types",
    group: Group::Bulk,
    severity: Severity::Required,
    title: "only the _type resource types requested come back",
    reference: BULK_PARAMS,
    requirements: &[],
    inferno: &[],
    fix: "export only the resource types listed in _type",
    needs: Needs::BackendClient,
    failed_by: &[fault("export-extra-types")],
};
pub const BULK_UNSUPPORTED: Check = Check {
    id: "bulk.unsupported-param",
    group: Group::Bulk,
    severity: Severity::Required,
    title: "an unsupported parameter is refused (400 + OperationOutcome) unless Prefer: handling=lenient",
    reference: BULK_PARAMS,
    requirements: &[],
    inferno: &[],
    fix: "answer a kick-off with a parameter the server does not support 400 with an OperationOutcome, and ignore it when the request says Prefer: handling=lenient",
    needs: Needs::BackendClient,
    failed_by: &[fault("export-unknown-param-ignored")],
};
pub const BULK_POST: Check = Check {
    id: "bulk.post-kickoff",
    group: Group::Bulk,
    severity: Severity::Required,
    title: "a POST kick-off with a Parameters body is accepted",
    reference: BULK_KICKOFF_REQUEST,
    requirements: &[],
    inferno: &[],
    fix: "accept POST of a FHIR Parameters resource at the $export endpoints",
    needs: Needs::BackendClient,
    failed_by: &[fault("export-post-refused")],
};
pub const BULK_FILES_GONE: Check = Check {
    id: "bulk.files-gone-after-delete",
    group: Group::Bulk,
    severity: Severity::Recommended,
    title: "after DELETE of a finished job (202) its files are gone",
    reference: BULK_DELETE,
    requirements: &[],
    inferno: &[],
    fix: "on DELETE of a finished job's status URL answer 202 and remove its files (their URLs then answer 404)",
    needs: Needs::BackendClient,
    failed_by: &[
        fault("export-files-kept-after-delete"),
        fault("export-delete-refused"),
    ],
};

// client-confidential-asymmetric: assertions a server must refuse, which
// Inferno does not send. Each is refused only with `invalid_client` (@340).
pub const JKU_UNREGISTERED: Check = Check {
    id: "backend.jku-unregistered",
    group: Group::Backend,
    severity: Severity::Required,
    title: "an assertion whose jku is not the registered JWKS URL is refused with invalid_client",
    reference: ASYMMETRIC_VERIFY,
    requirements: &[338, 340],
    inferno: &[],
    fix: "when an assertion has a jku header, refuse it (401 invalid_client) unless jku is exactly the JWKS URL registered for the client; never fetch keys from the jku itself",
    needs: Needs::BackendClient,
    failed_by: &[fault("assertion-jku-unchecked")],
};
pub const ISS_NOT_SUB: Check = Check {
    id: "backend.iss-not-sub",
    group: Group::Backend,
    severity: Severity::Required,
    title: "an assertion whose sub is not its iss (the client_id) is refused with invalid_client",
    reference: ASYMMETRIC_VERIFY,
    requirements: &[335, 340],
    inferno: &[],
    fix: "require both iss and sub of the assertion to be the client_id (RFC 7523 §3) and answer 401 invalid_client otherwise",
    needs: Needs::BackendClient,
    failed_by: &[fault("assertion-sub-unchecked")],
};
pub const EXP_TOO_FAR: Check = Check {
    id: "backend.exp-too-far",
    group: Group::Backend,
    severity: Severity::Required,
    title: "an assertion that expires more than five minutes ahead is refused with invalid_client",
    reference: "https://hl7.org/fhir/smart-app-launch/client-confidential-asymmetric.html#request",
    requirements: &[335, 340],
    inferno: &[],
    fix: "refuse an assertion whose exp is more than five minutes after now (401 invalid_client): SMART caps its lifetime there, and the jti replay cache only has to remember that long",
    needs: Needs::BackendClient,
    failed_by: &[fault("assertion-long-exp-accepted")],
};
pub const ALG_NONE: Check = Check {
    id: "backend.alg-none",
    group: Group::Backend,
    severity: Severity::Required,
    title: "an unsigned assertion (alg none) is refused with invalid_client",
    reference: ASYMMETRIC_VERIFY,
    requirements: &[335, 340],
    inferno: &[],
    fix: "accept only the signature algorithms you list in token_endpoint_auth_signing_alg_values_supported (RS384, ES384) and verify every assertion's signature; answer 401 invalid_client",
    needs: Needs::BackendClient,
    failed_by: &[fault("assertion-alg-none-accepted")],
};
pub const HS256_PUBLIC_KEY: Check = Check {
    id: "backend.hs256-public-key",
    group: Group::Backend,
    severity: Severity::Required,
    title: "an HS256 assertion keyed with the client's public key is refused with invalid_client",
    reference: ASYMMETRIC_VERIFY,
    requirements: &[335, 338, 340],
    inferno: &[],
    fix: "pick the verification algorithm from the registered key, never from the assertion's alg header: an HMAC keyed with a public key is forgeable by anyone; answer 401 invalid_client",
    needs: Needs::BackendClient,
    failed_by: &[fault("assertion-hs256-public-key")],
};

/// Every check, in the order they are reported.
pub const ALL: &[Check] = &[
    WELL_KNOWN,
    REQUIRED_FIELDS,
    PKCE_S256,
    HTTPS,
    OPENID_FIELDS,
    CAPABILITIES,
    RECOMMENDED_FIELDS,
    NO_IMPLICIT,
    CORS,
    ISSUER_WITHOUT_OPENID,
    METADATA_CONSISTENT,
    STATE_ECHOED,
    ERROR_HAS_STATE,
    PKCE_REQUIRED,
    PKCE_PLAIN,
    REDIRECT_UNREGISTERED,
    AUD_CHECKED,
    EHR_LAUNCH,
    EHR_LAUNCH_PARAM,
    AUTHORIZE_POST,
    TLS,
    VERIFIER_CHECKED,
    CODE_SINGLE_USE,
    REPLAY_REVOKES,
    REDIRECT_CHECKED,
    RESPONSE_FIELDS,
    RESPONSE_TYPES,
    EXPIRES_IN,
    NO_STORE,
    PRAGMA,
    TOKEN_CORS,
    LAUNCH_CONTEXT,
    ID_TOKEN_VALID,
    OPENID_CONFIG,
    ID_TOKEN_RS256,
    ID_TOKEN_CLAIMS,
    FHIR_USER,
    REFRESH,
    REFRESH_RESPONSE,
    REFRESH_WITH_SCOPE,
    REFRESH_ROTATES,
    REFRESH_REUSE,
    AUTH_METHODS,
    CAPABILITY_STATEMENT,
    METADATA_CORS,
    TOKEN_REQUIRED,
    READ_WITH_TOKEN,
    PAGING_ON_BASE,
    PATIENT_COMPARTMENT,
    TYPE_SCOPE,
    APP_STATE_ROUND_TRIP,
    APP_STATE_IF_MATCH,
    APP_STATE_STALE,
    INTROSPECTION_ACTIVE,
    INTROSPECTION_UNKNOWN,
    INTROSPECTION_INACTIVE_QUIET,
    REVOKED_REFUSED,
    INTROSPECTION_INACTIVE,
    USABLE_CLIENT,
    CLIENT_CREDENTIALS,
    BACKEND_RESPONSE,
    BAD_GRANT_TYPE,
    BAD_ASSERTION_TYPE,
    JTI_REPLAY,
    EXPIRED,
    WRONG_AUD,
    UNKNOWN_KID,
    JKU_UNREGISTERED,
    ISS_NOT_SUB,
    EXP_TOO_FAR,
    ALG_NONE,
    HS256_PUBLIC_KEY,
    BULK_OPERATION,
    BULK_INSTANTIATES,
    BULK_TLS,
    BULK_KICKOFF_TOKEN,
    BULK_KICKOFF,
    BULK_STATUS_COMPLETE,
    BULK_OUTPUT_ENTRIES,
    BULK_FILE_TOKEN,
    BULK_NDJSON,
    BULK_PATIENTS,
    BULK_CANCEL,
    BULK_CANCELLED_GONE,
    BULK_FORMATS,
    BULK_SINCE,
    BULK_COUNT,
    BULK_TYPES,
    BULK_UNSUPPORTED,
    BULK_POST,
    BULK_FILES_GONE,
];

/// The entry of `id`.
pub fn find(id: &str) -> Option<&'static Check> {
    ALL.iter().find(|c| c.id == id)
}

/// The README's check table (README.md, "Checking a server"), made from
/// [`ALL`]; a test keeps the README equal to it.
pub fn markdown_table() -> String {
    let mut out = String::from(
        "| check id | severity | what it proves | SMART 2.2 requirements | Inferno | needs | sandbox fault that fails it |\n|---|---|---|---|---|---|---|\n",
    );
    let or_dash = |v: Vec<String>| {
        if v.is_empty() {
            "—".to_owned()
        } else {
            v.join(", ")
        }
    };
    for c in ALL {
        let severity = match c.severity {
            Severity::Required => "required",
            Severity::Recommended => "recommended",
        };
        let reqs = or_dash(c.requirements.iter().map(|n| format!("@{n}")).collect());
        let inferno = or_dash(c.inferno.iter().map(|s| s.to_string()).collect());
        let faults = or_dash(
            c.failed_by
                .iter()
                .map(|f| format!("`{}`", f.flag()))
                .collect(),
        );
        let needs = match c.needs {
            Needs::Nothing => "—",
            n => n.describe(),
        };
        out.push_str(&format!(
            "| `{}` | {severity} | {} | {reqs} | {inferno} | {needs} | {faults} |\n",
            c.id,
            c.title.replace('|', "\\|"),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The prefix of an `inferno` entry that names a test of Inferno's Bulk
    /// Data suite rather than its SMART App Launch suite.
    const BULK_SUITE: &str = "bulk_data_v200:";

    #[test]
    fn ids_are_unique_and_start_with_their_group() {
        let mut ids: Vec<&str> = ALL.iter().map(|c| c.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), ALL.len(), "duplicate check ids");
        for c in ALL {
            assert_eq!(
                c.id.split('.').next(),
                Some(c.group.name()),
                "{} is not in its group",
                c.id
            );
            assert!(c.reference.starts_with("https://"), "{}", c.id);
            assert!(!c.fix.is_empty(), "{}", c.id);
        }
    }

    #[test]
    fn checks_are_listed_group_by_group_in_the_groups_order() {
        let groups: Vec<Group> = ALL.iter().map(|c| c.group).collect();
        let mut sorted = groups.clone();
        sorted.sort();
        assert_eq!(groups, sorted);
    }

    #[test]
    fn inferno_short_ids_and_requirements_are_well_formed() {
        for c in ALL {
            for s in c.inferno {
                // smart_stu2_2 ids are `1.2.03`; the Bulk Data suite's are
                // `bulk_data_v200:2.4.1.03` (or `…:2.1.01`).
                let (bulk, short) = match s.strip_prefix(BULK_SUITE) {
                    Some(rest) => (true, rest),
                    None => (false, *s),
                };
                let parts: Vec<&str> = short.split('.').collect();
                let (last, head) = parts.split_last().unwrap();
                assert!(
                    (parts.len() == 3 || (bulk && parts.len() == 4))
                        && head.iter().all(|p| p.parse::<u8>().is_ok())
                        && last.len() == 2
                        && last.parse::<u8>().is_ok(),
                    "{}: {s}",
                    c.id
                );
                assert_eq!(bulk, c.group == Group::Bulk, "{}: {s}", c.id);
            }
            assert!(c.requirements.iter().all(|n| (1..=439).contains(n)));
        }
        assert_eq!(
            PKCE_S256.requirement_ids()[0],
            "hl7.fhir.uv.smart-app-launch_2.2.0@14"
        );
    }

    #[test]
    fn the_table_has_a_row_per_check() {
        let t = markdown_table();
        assert_eq!(t.lines().count(), ALL.len() + 2);
        assert!(t.contains("| `token.no-store` | required |"));
    }
}
