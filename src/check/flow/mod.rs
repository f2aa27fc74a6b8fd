//! What a client does, as the groups need it done: authorization requests,
//! code exchanges, fresh tokens and FHIR reads. Below the groups: every
//! group may use it, it uses no group, and no group uses another.

pub mod authorization;
pub mod bulk;
pub mod exchange;
pub mod launch;
pub mod read;
pub mod tls;

pub use authorization::Client;

/// An Origin no server knows, for the CORS checks: CORS for any app, not
/// for one the server happens to allow.
pub const PROBE_ORIGIN: &str = "https://smart-check.invalid";

/// Whether an answer to a request with [`PROBE_ORIGIN`] allows it:
/// `Access-Control-Allow-Origin` is `*` or that origin (as Inferno's CORS
/// tests judge it).
pub fn cors_allows(allow_origin: Option<&str>) -> Result<String, String> {
    match allow_origin.map(str::trim) {
        Some(v) if v == "*" || v == PROBE_ORIGIN => Ok(format!("Access-Control-Allow-Origin: {v}")),
        Some(v) => Err(format!(
            "Access-Control-Allow-Origin is `{v}`, not * or the request's Origin"
        )),
        None => Err("no Access-Control-Allow-Origin for a request with an Origin".to_owned()),
    }
}
