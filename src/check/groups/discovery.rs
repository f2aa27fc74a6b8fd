//! The `discovery` group: the SMART configuration document itself, and
//! whether `/metadata` agrees with it. Needs no client.

use reqwest::Method;
use reqwest::header::{ACCEPT, ORIGIN};
use serde_json::{Map, Value};

use super::super::catalogue::{
    CAPABILITIES, CORS, Check, HTTPS, ISSUER_WITHOUT_OPENID, METADATA_CONSISTENT, NO_IMPLICIT,
    OPENID_FIELDS, PKCE_S256, RECOMMENDED_FIELDS, REQUIRED_FIELDS, WELL_KNOWN,
};
use super::super::model::Verdict;
use super::super::probe::Exchange;
use super::super::run::Run;
use crate::discovery::{self, ENDPOINTS, rules};

use super::super::flow::PROBE_ORIGIN;

/// Reads the configuration and runs the group's checks on it. Returns the
/// document (when there is one) for the groups that follow.
pub async fn run(run: &mut Run<'_>) -> Option<Map<String, Value>> {
    let url = run.base.join(".well-known/smart-configuration");
    let (resp, ex) = run
        .probe
        .send(
            run.probe
                .http()
                .request(Method::GET, url)
                .header(ACCEPT, "application/json")
                .header(ORIGIN, PROBE_ORIGIN),
        )
        .await;
    let ev = || vec![ex.clone()];
    let doc = match &resp {
        Err(e) => {
            run.record(&WELL_KNOWN, Verdict::unmet(e.message.clone()), ev());
            None
        }
        Ok(r) => {
            let parsed = serde_json::from_slice::<Value>(&r.body).ok();
            let verdict = if !r.status.is_success() {
                Verdict::unmet(format!("answered {}", r.status))
            } else if let Some(f) = rules::content_type(r.content_type()) {
                Verdict::unmet(f.message)
            } else if !matches!(parsed, Some(Value::Object(_))) {
                Verdict::unmet("the body is not a JSON object")
            } else {
                Verdict::met("200, application/json, a JSON object")
            };
            run.record(&WELL_KNOWN, verdict, ev());
            let cors = match r.headers.get("access-control-allow-origin") {
                _ if !r.status.is_success() => {
                    Verdict::skip("no configuration to read cross-origin")
                }
                Some(v) => Verdict::met(format!(
                    "Access-Control-Allow-Origin: {}",
                    v.to_str().unwrap_or("?")
                )),
                None => {
                    Verdict::unmet("no Access-Control-Allow-Origin for a request with an Origin")
                }
            };
            run.record(&CORS, cors, ev());
            match parsed {
                Some(Value::Object(doc)) if r.status.is_success() => Some(doc),
                _ => None,
            }
        }
    };

    let Some(doc) = doc else {
        for c in JUDGED {
            run.record(c, Verdict::skip("no SMART configuration to check"), ev());
        }
        return None;
    };
    let findings = rules::judge(&doc);
    for c in JUDGED {
        let said: Vec<String> = findings
            .iter()
            .filter(|f| f.check == Some(c.id))
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect();
        let v = if said.is_empty() {
            Verdict::met(met(c))
        } else {
            Verdict::unmet(said.join("; "))
        };
        run.record(c, v, ev());
    }
    Some(doc)
}

/// The checks the rule book decides on the document.
const JUDGED: [&Check; 8] = [
    &REQUIRED_FIELDS,
    &PKCE_S256,
    &HTTPS,
    &OPENID_FIELDS,
    &CAPABILITIES,
    &RECOMMENDED_FIELDS,
    &NO_IMPLICIT,
    &ISSUER_WITHOUT_OPENID,
];

/// What a met rule says.
fn met(c: &Check) -> &'static str {
    match c.id {
        rules::REQUIRED_FIELDS => "every required field is there, each of its type",
        rules::PKCE_S256 => "S256 is advertised, plain is not",
        rules::HTTPS => "every endpoint given is https (or loopback)",
        rules::OPENID_FIELDS => {
            "issuer and jwks_uri are given, or sso-openid-connect is not claimed"
        }
        rules::CAPABILITIES => "every capability is a SMART 2.x name",
        rules::RECOMMENDED_FIELDS => "scopes_supported and response_types_supported are there",
        rules::NO_IMPLICIT => "no implicit response type is advertised",
        rules::ISSUER_WITHOUT_OPENID => "issuer is absent, or sso-openid-connect is claimed",
        _ => "met",
    }
}

/// The `metadata-consistent` check, run once the fhir group has read
/// `/metadata`.
pub fn compare_with_metadata(
    run: &mut Run<'_>,
    doc: Option<&Map<String, Value>>,
    cs: Option<(&Value, &Exchange)>,
) {
    let (Some(doc), Some((cs, ex))) = (doc, cs) else {
        run.record(
            &METADATA_CONSISTENT,
            Verdict::skip("needs both the SMART configuration and the CapabilityStatement"),
            vec![],
        );
        return;
    };
    let Some(ext) = discovery::from_capability_statement(cs) else {
        run.record(
            &METADATA_CONSISTENT,
            Verdict::met("the CapabilityStatement has no oauth-uris extension (optional in 2.x)"),
            vec![ex.clone()],
        );
        return;
    };
    let differ: Vec<String> = ENDPOINTS
        .iter()
        .filter_map(|(field, short)| {
            let (a, b) = (
                ext.get(*field)?.as_str()?,
                doc.get(*field).and_then(Value::as_str),
            );
            (Some(a.trim_end_matches('/')) != b.map(|b| b.trim_end_matches('/')))
                .then(|| format!("{short}: `{a}` vs `{}`", b.unwrap_or("absent")))
        })
        .collect();
    let v = if differ.is_empty() {
        Verdict::met("the oauth-uris extension names the same endpoints")
    } else {
        Verdict::unmet(format!(
            "oauth-uris differs from the configuration: {}",
            differ.join("; ")
        ))
    };
    run.record(&METADATA_CONSISTENT, v, vec![ex.clone()]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::catalogue;
    use crate::check::model::Severity;

    #[test]
    fn every_rule_of_the_rule_book_is_a_judged_check_of_its_severity() {
        for (id, severity) in rules::RULES {
            let c = catalogue::find(id).unwrap_or_else(|| panic!("{id} is no check"));
            let required = *severity == discovery::Severity::Error;
            assert_eq!(required, c.severity == Severity::Required, "{id}");
            assert!(
                *id == rules::WELL_KNOWN || JUDGED.iter().any(|j| j.id == *id),
                "{id}"
            );
        }
        for c in JUDGED {
            assert_ne!(met(c), "met", "{}", c.id);
        }
    }
}
