//! `smart check`: a SMART conformance smoke test of a server, for the people
//! who build and run one. Each check has a stable id, a spec reference, a
//! severity and a result with its evidence (the exchanges, redacted). The
//! groups run in order and pass what they learnt on (the configuration, a
//! client); a check that cannot run says why and what would let it.

mod auth_methods;
mod authorize;
mod backend;
mod discovery;
mod fhir;
mod model;
mod probe;
mod registration;
mod revocation;
mod run;
mod token;
mod user;

pub use authorize::Client;
pub use backend::Backend;
pub use model::{Check, CheckResult, Group, Report, Severity, Status, Totals};
pub use probe::{Exchange, Probe};
pub use run::Selection;
pub use user::User;

use crate::discovery::FhirBase;
use run::Run;

/// Every check, in the order they are reported.
pub fn catalog() -> Vec<&'static Check> {
    [
        discovery::CHECKS,
        authorize::CHECKS,
        token::CHECKS,
        fhir::CHECKS,
        revocation::CHECKS,
        registration::CHECKS,
        backend::CHECKS,
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// What to check.
#[derive(Debug, Clone)]
pub struct Plan {
    pub base: FhirBase,
    /// The client the authorize and token checks act as; without one they
    /// are skipped.
    pub client: Option<Client>,
    /// The backend client the backend checks act as.
    pub backend: Option<Backend>,
    /// A patient id the launched patient's token must not read.
    pub other_patient: Option<String>,
    pub selection: Selection,
}

/// Runs the selected checks; the report plus every exchange, in order.
pub async fn run(probe: &Probe, user: Option<&User>, plan: &Plan) -> Report {
    let mut run = Run::new(probe, user, &plan.base, &plan.selection);
    run.other_patient = plan.other_patient.as_deref();

    // Discovery and /metadata run whatever the selection: the other groups
    // need the endpoints (results of unselected groups are not reported).
    let doc = discovery::run(&mut run).await;
    let cs = fhir::run(&mut run).await;
    discovery::compare_with_metadata(&mut run, doc.as_ref(), cs.as_ref().map(|(v, e)| (v, e)));
    // Without a configuration the endpoints of /metadata's oauth-uris let
    // the other groups run (its absence is already the discovery failure).
    let endpoints = doc.or_else(|| {
        cs.as_ref()
            .and_then(|(v, _)| crate::discovery::from_capability_statement(v))
    });

    let endpoint = |field: &str| {
        endpoints
            .as_ref()
            .and_then(|d| d.get(field)?.as_str())
            .and_then(|s| crate::discovery::secure_url(field, s).ok())
    };
    let (authorize_url, token_url) = (
        endpoint("authorization_endpoint"),
        endpoint("token_endpoint"),
    );
    let auth_methods: Option<Vec<String>> = endpoints
        .as_ref()
        .and_then(|d| d.get("token_endpoint_auth_methods_supported")?.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|m| m.as_str().map(str::to_owned))
                .collect()
        });
    let client = plan.client.as_ref().map(|c| {
        let listed: Vec<&str> = auth_methods.iter().flatten().map(String::as_str).collect();
        c.for_server(&listed)
    });
    let with_client: &[&[Check]] = &[
        authorize::CHECKS,
        token::CODE_FLOW,
        &[
            fhir::READ_WITH_TOKEN,
            fhir::PAGING_ON_BASE,
            fhir::PATIENT_COMPARTMENT,
            fhir::TYPE_SCOPE,
        ],
        revocation::CHECKS,
        registration::CHECKS,
    ];
    // How the user client's own authentication method fared.
    let mut exchange = token::Trial::Untried(NO_CLIENT.into());
    match (&client, &authorize_url) {
        (None, _) => skip_all(&mut run, with_client, NO_CLIENT),
        (Some(_), None) => {
            let why = "the configuration gives no usable (https) authorization_endpoint";
            skip_all(&mut run, with_client, why);
            exchange = token::Trial::Untried(why.into());
        }
        (Some(client), Some(a)) => {
            authorize::run(&mut run, a, token_url.as_ref(), client).await;
            match &token_url {
                Some(t) => {
                    let oidc = endpoint("jwks_uri").zip(
                        endpoints
                            .as_ref()
                            .and_then(|d| d.get("issuer")?.as_str())
                            .map(str::to_owned),
                    );
                    let oidc = oidc.map(|(jwks_uri, issuer)| token::Oidc { issuer, jwks_uri });
                    let granted = token::run(&mut run, a, t, client, oidc.as_ref()).await;
                    exchange = granted.exchange.clone();
                    fhir::type_scope(&mut run, a, t, client).await;
                    let (revoke, introspect) = (
                        endpoint("revocation_endpoint"),
                        endpoint("introspection_endpoint"),
                    );
                    let at = revocation::Endpoints {
                        authorize: a,
                        token: t,
                        revoke: revoke.as_ref(),
                        introspect: introspect.as_ref(),
                    };
                    revocation::run(&mut run, &at, client, &granted).await;
                    let register = endpoint("registration_endpoint");
                    registration::run(&mut run, register.as_ref(), a, t, client).await;
                }
                None => {
                    let why = "the configuration gives no usable (https) token_endpoint";
                    skip_all(&mut run, &with_client[1..], why);
                    exchange = token::Trial::Untried(why.into());
                }
            }
        }
    }

    let backend_trial = match (&plan.backend, &token_url) {
        (None, _) => {
            skip_all(
                &mut run,
                &[backend::CHECKS],
                "needs a backend client: -p PROFILE of client_type backend (or SMART_CLIENT_ID and SMART_PRIVATE_KEY)",
            );
            None
        }
        (Some(_), None) => {
            skip_all(
                &mut run,
                &[backend::CHECKS],
                "the configuration gives no usable (https) token_endpoint",
            );
            None
        }
        (Some(b), Some(t)) => Some(backend::run(&mut run, t, b).await),
    };
    let user = client.as_ref().map(|c| auth_methods::UserSide {
        client: c,
        endpoints: authorize_url.as_ref().zip(token_url.as_ref()),
        exchange: &exchange,
    });
    auth_methods::run(
        &mut run,
        auth_methods.as_deref(),
        user,
        backend_trial.as_ref(),
    )
    .await;

    let mut results = run.into_results();
    let order = catalog();
    results.sort_by_key(|r| order.iter().position(|c| c.id == r.id));
    Report::new(plan.base.as_str().to_owned(), results)
}

const NO_CLIENT: &str = "needs a client: pass --client-id ID (a public client with a loopback redirect URI; --secret-stdin makes it confidential) or -p PROFILE";

fn skip_all(run: &mut Run<'_>, groups: &[&[Check]], why: &str) {
    for c in groups.iter().copied().flatten() {
        run.record(c, model::Verdict::skip(why), vec![]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_ids_are_unique_and_start_with_their_group() {
        let all = catalog();
        let mut ids: Vec<&str> = all.iter().map(|c| c.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), all.len(), "duplicate check ids");
        for c in all {
            let _ = c.group();
            assert!(
                c.reference.starts_with("https://"),
                "{} has no reference URL",
                c.id
            );
            assert!(!c.fix.is_empty());
        }
    }

    #[test]
    fn the_code_flow_is_the_token_group_but_the_check_recorded_last() {
        assert_eq!(token::CODE_FLOW.len() + 1, token::CHECKS.len());
        assert_eq!(token::CHECKS.last().unwrap().id, token::AUTH_METHODS.id);
    }
}
