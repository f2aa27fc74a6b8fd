//! The `fhir` group: the FHIR API as a client without a token sees it.

use reqwest::Method;
use reqwest::header::{ACCEPT, ORIGIN, WWW_AUTHENTICATE};
use serde_json::Value;

use super::super::catalogue::{
    CAPABILITY_STATEMENT, METADATA_CORS, PAGING_ON_BASE, PATIENT_COMPARTMENT, READ_WITH_TOKEN,
    TOKEN_REQUIRED, TYPE_SCOPE,
};
use super::super::flow::exchange::obtain;
use super::super::flow::read::{FHIR_JSON, read, with_token_get};
use super::super::flow::{Client, PROBE_ORIGIN, cors_allows};
use super::super::model::Verdict;
use super::super::probe::Exchange;
use super::super::run::Run;
use crate::secret::Secret;

/// The checks that need the token of the token group.
pub async fn with_token(run: &mut Run<'_>, token: Option<&Secret>, patient: Option<&str>) {
    let Some(token) = token else {
        for c in [&READ_WITH_TOKEN, &PAGING_ON_BASE, &PATIENT_COMPARTMENT] {
            run.record(c, Verdict::skip("no access token was obtained"), vec![]);
        }
        return;
    };
    paging(run, token).await;
    compartment(run, token, patient).await;
    if !run.wants(&READ_WITH_TOKEN) {
        return;
    }
    let (status, ex) = read(run, token, patient).await;
    let v = match status {
        Ok(s) if (200..300).contains(&s) => Verdict::met(format!("answered {s}")),
        Ok(s) => Verdict::unmet(format!("a fresh access token was refused with {s}")),
        Err(e) => Verdict::skip(format!("no answer: {e}")),
    };
    run.record(&READ_WITH_TOKEN, v, vec![ex]);
}

/// Reads `/metadata` and probes a read without a token. Returns the
/// CapabilityStatement and its exchange, for the discovery comparison.
pub async fn run(run: &mut Run<'_>) -> Option<(Value, Exchange)> {
    let (resp, ex) = run
        .probe
        .send(
            run.probe
                .http()
                .request(Method::GET, run.base.join("metadata"))
                .header(ACCEPT, FHIR_JSON)
                .header(ORIGIN, PROBE_ORIGIN),
        )
        .await;
    let cors = match &resp {
        Ok(r) if r.status.is_success() => {
            let allow = r
                .headers
                .get("access-control-allow-origin")
                .and_then(|v| v.to_str().ok());
            match cors_allows(allow) {
                Ok(m) => Verdict::met(m),
                Err(e) => Verdict::unmet(e),
            }
        }
        _ => Verdict::skip("no /metadata to read cross-origin"),
    };
    run.record(&METADATA_CORS, cors, vec![ex.clone()]);
    let cs = resp.ok().and_then(|r| {
        r.status
            .is_success()
            .then(|| serde_json::from_slice::<Value>(&r.body).ok())
            .flatten()
    });
    let verdict = match &cs {
        Some(v) if v["resourceType"] == "CapabilityStatement" => Verdict::met(format!(
            "a CapabilityStatement (FHIR {})",
            v["fhirVersion"].as_str().unwrap_or("version not given")
        )),
        Some(v) => Verdict::unmet(format!(
            "the answer is JSON but its resourceType is {}",
            v["resourceType"]
        )),
        None => Verdict::unmet(match (ex.status, &ex.error) {
            (_, Some(e)) => e.clone(),
            (Some(s), _) if !(200..300).contains(&s) => format!("answered {s}"),
            _ => "the answer is not JSON".to_owned(),
        }),
    };
    run.record(&CAPABILITY_STATEMENT, verdict, vec![ex.clone()]);

    if run.wants(&TOKEN_REQUIRED) {
        let ty = readable_type(cs.as_ref());
        let mut url = run.base.join(&ty);
        url.query_pairs_mut().append_pair("_count", "1");
        let (resp, ex2) = run
            .probe
            .send(
                run.probe
                    .http()
                    .request(Method::GET, url)
                    .header(ACCEPT, FHIR_JSON),
            )
            .await;
        let verdict = match resp {
            Err(e) => Verdict::skip(format!("no answer: {}", e.message)),
            Ok(r) if r.status.is_success() => Verdict::unmet(format!(
                "GET {ty} without a token answered {}: anyone can read the data",
                r.status
            )),
            Ok(r) if r.status == 401 => {
                match r
                    .headers
                    .get(WWW_AUTHENTICATE)
                    .and_then(|v| v.to_str().ok())
                {
                    Some(v) if v.trim_start().to_ascii_lowercase().starts_with("bearer") => {
                        Verdict::met(format!("401 with WWW-Authenticate: {v}"))
                    }
                    Some(v) => Verdict::unmet(format!(
                        "401, but WWW-Authenticate `{v}` names no Bearer scheme"
                    )),
                    None => Verdict::unmet("401 without a WWW-Authenticate header"),
                }
            }
            Ok(r) => Verdict::unmet(format!(
                "GET {ty} without a token answered {}, not 401",
                r.status
            )),
        };
        run.record(&TOKEN_REQUIRED, verdict, vec![ex2]);
    }
    cs.map(|v| (v, ex))
}

/// A read of `--other-patient` with the launch patient's token.
async fn compartment(run: &mut Run<'_>, token: &Secret, patient: Option<&str>) {
    let v = match (run.other_patient, patient) {
        _ if !run.wants(&PATIENT_COMPARTMENT) => return,
        (None, _) => Verdict::skip(
            "pass --other-patient ID (a patient other than the one the token is launched for)",
        ),
        (_, None) => Verdict::skip("the token has no launch patient"),
        (Some(o), Some(p)) if o == p => Verdict::skip("--other-patient is the launch patient"),
        (Some(other), Some(p)) => {
            let (status, ex) = read(run, token, Some(other)).await;
            let v = match status {
                Ok(s) if (200..300).contains(&s) => Verdict::unmet(format!(
                    "Patient/{other} was read ({s}) with a token for Patient/{p}"
                )),
                Ok(s @ (401 | 403 | 404)) => Verdict::met(format!("Patient/{other}: {s}")),
                Ok(s) => Verdict::skip(format!("the read answered {s}")),
                Err(e) => Verdict::skip(format!("no answer: {e}")),
            };
            run.record(&PATIENT_COMPARTMENT, v, vec![ex]);
            return;
        }
    };
    run.record(&PATIENT_COMPARTMENT, v, vec![]);
}

/// A token for `patient/Patient.rs` only, then a search of Observation
/// with it: refused, or at least empty.
pub async fn type_scope(
    run: &mut Run<'_>,
    authorize_url: &url::Url,
    token_url: &url::Url,
    client: &Client,
) {
    if !run.wants(&TYPE_SCOPE) {
        return;
    }
    let narrow = Client {
        scope: "launch/patient patient/Patient.rs".into(),
        ..client.clone()
    };
    let token = match obtain(run, authorize_url, token_url, &narrow).await {
        Ok(t) => t,
        Err(Verdict::Unmet(why)) => {
            run.record(
                &TYPE_SCOPE,
                Verdict::skip(format!("no patient/Patient.rs token: {why}")),
                vec![],
            );
            return;
        }
        Err(v) => {
            run.record(&TYPE_SCOPE, v, vec![]);
            return;
        }
    };
    let mut url = run.base.join("Observation");
    url.query_pairs_mut().append_pair("_count", "1");
    let req = with_token_get(run, url, &token);
    let (resp, ex) = run.probe.send(req).await;
    let v = match resp {
        Err(e) => Verdict::skip(format!("no answer: {}", e.message)),
        Ok(r) if matches!(r.status.as_u16(), 401 | 403) => Verdict::met(format!(
            "Observation with a patient/Patient.rs token: {}",
            r.status
        )),
        Ok(r) if r.status.is_success() => {
            let b: Value = serde_json::from_slice(&r.body).unwrap_or_default();
            let n = b["entry"].as_array().map_or(0, Vec::len);
            if n == 0 {
                Verdict::met("the search answered an empty Bundle")
            } else {
                Verdict::unmet(format!(
                    "a patient/Patient.rs token read {n} Observation entr{}",
                    if n == 1 { "y" } else { "ies" }
                ))
            }
        }
        Ok(r) => Verdict::skip(format!("the search answered {}", r.status)),
    };
    run.record(&TYPE_SCOPE, v, vec![ex]);
}

/// A two-entry search, whose `self` and `next` links must stay on the base.
async fn paging(run: &mut Run<'_>, token: &Secret) {
    if !run.wants(&PAGING_ON_BASE) {
        return;
    }
    let mut url = run.base.join("Observation");
    url.query_pairs_mut().append_pair("_count", "2");
    let req = with_token_get(run, url, token);
    let (resp, ex) = run.probe.send(req).await;
    let bundle = match resp {
        Ok(r) if r.status.is_success() => serde_json::from_slice::<Value>(&r.body).ok(),
        Ok(r) => {
            let v = Verdict::skip(format!("the search answered {}", r.status));
            run.record(&PAGING_ON_BASE, v, vec![ex]);
            return;
        }
        Err(e) => {
            run.record(
                &PAGING_ON_BASE,
                Verdict::skip(format!("no answer: {}", e.message)),
                vec![ex],
            );
            return;
        }
    };
    let v = match bundle {
        Some(b) if b["resourceType"] == "Bundle" => links_on_base(run.base, &b),
        Some(_) => Verdict::unmet("the search answer is not a Bundle"),
        // fhir.capability-statement and the reads say what is wrong with
        // the answers themselves.
        None => Verdict::skip("the search answer is not JSON"),
    };
    run.record(&PAGING_ON_BASE, v, vec![ex]);
}

fn links_on_base(base: &crate::discovery::FhirBase, bundle: &Value) -> Verdict {
    let links: Vec<(&str, &str)> = bundle["link"]
        .as_array()
        .map(|ls| {
            ls.iter()
                .filter_map(|l| Some((l["relation"].as_str()?, l["url"].as_str()?)))
                .collect()
        })
        .unwrap_or_default();
    if links.is_empty() {
        return Verdict::met("the Bundle has no links");
    }
    let off: Vec<String> = links
        .iter()
        .filter(|(_, u)| !url::Url::parse(u).is_ok_and(|u| base.contains(&u)))
        .map(|(rel, u)| format!("{rel} → {u}"))
        .collect();
    if off.is_empty() {
        let rels: Vec<&str> = links.iter().map(|(r, _)| *r).collect();
        Verdict::met(format!("{} under the base", rels.join(", ")))
    } else {
        Verdict::unmet(format!("links off the base: {}", off.join("; ")))
    }
}

/// Patient, unless the CapabilityStatement lists resources without it.
fn readable_type(cs: Option<&Value>) -> String {
    let types: Vec<&str> = cs
        .and_then(|v| v.pointer("/rest/0/resource"))
        .and_then(Value::as_array)
        .map(|rs| rs.iter().filter_map(|r| r["type"].as_str()).collect())
        .unwrap_or_default();
    if types.is_empty() || types.contains(&"Patient") {
        "Patient".to_owned()
    } else {
        types[0].to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paging_links_must_be_absolute_and_under_the_base() {
        let base = crate::discovery::FhirBase::parse("https://h/tenantA/fhir").unwrap();
        let b = |next: &str| {
            json!({"resourceType": "Bundle", "link": [
            {"relation": "self", "url": "https://h/tenantA/fhir/Observation?_count=2"},
            {"relation": "next", "url": next}]})
        };
        assert!(matches!(
            links_on_base(&base, &b("https://h/tenantA/fhir/Observation?page=2")),
            Verdict::Met(_)
        ));
        for bad in [
            "https://h/tenantB/fhir/Observation?page=2",
            "/tenantA/fhir/x",
            "https://evil/fhir",
        ] {
            assert!(
                matches!(links_on_base(&base, &b(bad)), Verdict::Unmet(_)),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_probe_reads_patient_or_the_first_listed_type() {
        assert_eq!(readable_type(None), "Patient");
        let cs = json!({"rest": [{"resource": [{"type": "Observation"}, {"type": "Patient"}]}]});
        assert_eq!(readable_type(Some(&cs)), "Patient");
        let cs = json!({"rest": [{"resource": [{"type": "Device"}]}]});
        assert_eq!(readable_type(Some(&cs)), "Device");
    }
}
