//! Names of the launch context parameters that arrive with the access token
//! (app-launch.html, "Launch context arrives with your access_token") and of
//! the claims the client keeps from the id_token.

pub const PATIENT: &str = "patient";
pub const ENCOUNTER: &str = "encounter";
pub const FHIR_CONTEXT: &str = "fhirContext";
pub const NEED_PATIENT_BANNER: &str = "need_patient_banner";
pub const SMART_STYLE_URL: &str = "smart_style_url";
pub const INTENT: &str = "intent";
pub const TENANT: &str = "tenant";
pub const ID_TOKEN: &str = "id_token";
/// The id_token claim naming the user (`Patient/…`, `Practitioner/…`).
pub const FHIR_USER: &str = "fhirUser";

/// The launch context scopes (scopes-and-launch-context.html).
pub const SCOPE_LAUNCH: &str = "launch";
pub const SCOPE_LAUNCH_PATIENT: &str = "launch/patient";
pub const SCOPE_LAUNCH_ENCOUNTER: &str = "launch/encounter";
