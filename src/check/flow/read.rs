//! FHIR requests with a token: the read that shows whether a token works.

use reqwest::Method;
use reqwest::header::ACCEPT;

use super::super::probe::Exchange;
use super::super::run::Run;
use crate::secret::Secret;

/// What a FHIR client accepts.
pub const FHIR_JSON: &str = "application/fhir+json, application/json;q=0.9";

/// GET of the launch patient (or a one-entry search) with `token`.
pub async fn read(
    run: &Run<'_>,
    token: &Secret,
    patient: Option<&str>,
) -> (Result<u16, String>, Exchange) {
    let url = match patient {
        Some(id) => run
            .base
            .join(&format!("Patient/{}", urlencoding_segment(id))),
        None => {
            let mut u = run.base.join("Patient");
            u.query_pairs_mut().append_pair("_count", "1");
            u
        }
    };
    let req = with_token_get(run, url, token);
    let (resp, ex) = run.probe.send(req).await;
    (resp.map(|r| r.status.as_u16()).map_err(|e| e.message), ex)
}

/// A FHIR GET carrying `token`.
pub fn with_token_get(run: &Run<'_>, url: url::Url, token: &Secret) -> reqwest::RequestBuilder {
    run.probe
        .http()
        .request(Method::GET, url)
        .header(ACCEPT, FHIR_JSON)
        .bearer_auth(token.expose())
}

/// A patient id as one path segment.
fn urlencoding_segment(id: &str) -> String {
    url::form_urlencoded::byte_serialize(id.as_bytes()).collect()
}
