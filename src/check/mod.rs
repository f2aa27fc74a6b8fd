//! `smart check`: a SMART conformance smoke test of a server, for the people
//! who build and run one. Each check has a stable id, a spec reference, a
//! severity and a result with its evidence (the exchanges, redacted). The
//! groups run in order and pass what they learnt on (the configuration, a
//! client); a check that cannot run says why and what would let it.
//!
//! The layers point one way: this file (the order the groups run in) →
//! `groups/` (one file per group, deciding verdicts; none uses another) →
//! `flow/` (what a client does: authorization requests, code exchanges,
//! reads) → `run`, `probe`, `model` and `catalogue` (every check's
//! definition).

pub mod capability_sets;
pub mod catalogue;
pub mod fingerprint;
mod flow;
mod groups;
mod model;
mod probe;
mod run;
mod user;

pub use catalogue::Check;
pub use flow::Client;
pub use flow::launch::EhrLaunch;
pub use groups::backend::Backend;
pub use model::{CheckResult, Group, Report, Severity, Status, Totals, Verdict};
pub use probe::{Exchange, Probe};
pub use run::Selection;
pub use user::User;

use catalogue::Needs;
use flow::exchange::Trial;
use groups::{
    app_state, auth_methods, authorize, backend, bulk, discovery, fhir, registration, revocation,
    token,
};

use run::Run;

use crate::discovery::FhirBase;

/// Every check, in the order they are reported.
pub fn catalog() -> &'static [Check] {
    catalogue::ALL
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
    /// The redirect URI and scope of a client the checks register
    /// themselves (registration.usable-client).
    pub redirect_uri: String,
    pub scope: String,
    pub selection: Selection,
    /// `--bulk-level`: the export levels the bulk group checks (empty: those
    /// the CapabilityStatement declares).
    pub bulk_levels: Vec<crate::bulk::request::Level>,
    /// `--bulk-timeout`: how long an export job may take.
    pub bulk_timeout: std::time::Duration,
}

/// Runs the selected checks; the report plus every exchange, in order.
/// With `ehr` (`--ehr`), the good code exchange is the EHR launch's.
pub async fn run(
    probe: &Probe,
    user: Option<&User>,
    plan: &Plan,
    ehr: Option<&EhrLaunch>,
) -> Report {
    // Known from the start, whatever form it is sent in.
    if let Some(Client {
        auth: crate::oauth::token_endpoint::ClientAuth::Secret { secret, .. },
        ..
    }) = &plan.client
    {
        probe.known().add(secret.secret());
    }
    let mut run = Run::new(probe, user, &plan.base, &plan.selection);
    run.other_patient = plan.other_patient.as_deref();

    // Discovery and /metadata run whatever the selection: the other groups
    // need the endpoints (results of unselected checks are not reported).
    let doc = discovery::run(&mut run).await;
    let capability_sets = doc
        .as_ref()
        .and_then(|d| capability_sets::of_configuration(&serde_json::Value::Object(d.clone())));
    let cs = fhir::run(&mut run).await;
    discovery::compare_with_metadata(&mut run, doc.as_ref(), cs.as_ref().map(|(v, e)| (v, e)));
    // Without a configuration the endpoints of /metadata's oauth-uris let
    // the other groups run (its absence is already the discovery failure).
    let mut observed = fingerprint::Observed {
        config_from_metadata: doc.is_none(),
        capability_statement: cs.as_ref().map(|(v, _)| v.clone()),
        ..Default::default()
    };
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
    // The configuration as one JSON value, for the parts that read it whole.
    let config = endpoints.clone().map(serde_json::Value::Object);
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
    if run.wants(&catalogue::TLS) {
        let endpoints = [
            ("authorization", authorize_url.as_ref()),
            ("token", token_url.as_ref()),
            ("FHIR", Some(plan.base.url())),
        ];
        authorize::tls(&mut run, &endpoints).await;
    }
    match ehr {
        None => run.skip_needing(Needs::EhrLaunch, catalogue::NO_EHR),
        Some(e) => authorize::ehr_arrival(&mut run, e),
    }
    // How the user client's own authentication method fared.
    let mut exchange = Trial::Untried(catalogue::NO_CLIENT.into());
    const NO_AUTHORIZE: &str = "the configuration gives no usable (https) authorization_endpoint";
    const NO_TOKEN: &str = "the configuration gives no usable (https) token_endpoint";
    match (&client, &authorize_url, &token_url) {
        (None, ..) => run.skip_needing(Needs::UserClient, catalogue::NO_CLIENT),
        (Some(_), None, _) => {
            run.skip_needing(Needs::UserClient, NO_AUTHORIZE);
            exchange = Trial::Untried(NO_AUTHORIZE.into());
        }
        (Some(client), Some(a), None) => {
            if let Some(e) = ehr {
                authorize::ehr_authorize(&mut run, e, a, client).await;
            }
            authorize::run(&mut run, a, None, client).await;
            run.skip_needing(Needs::UserClient, NO_TOKEN);
            exchange = Trial::Untried(NO_TOKEN.into());
        }
        (Some(client), Some(a), Some(t)) => {
            if let Some(e) = ehr {
                authorize::ehr_authorize(&mut run, e, a, client).await;
            }
            authorize::run(&mut run, a, Some(t), client).await;
            let oidc = endpoint("jwks_uri").zip(
                endpoints
                    .as_ref()
                    .and_then(|d| d.get("issuer")?.as_str())
                    .map(str::to_owned),
            );
            let oidc = oidc.map(|(jwks_uri, issuer)| token::Oidc { issuer, jwks_uri });
            let launched = ehr.and_then(EhrLaunch::take_code);
            let mut granted = token::run(&mut run, a, t, client, oidc.as_ref(), launched).await;
            // Read now: a server may retire this token once it is refreshed.
            fhir::with_token(
                &mut run,
                granted.access_token.as_ref(),
                granted.patient.as_deref(),
            )
            .await;
            observed.token_answer = granted
                .issued
                .as_ref()
                .and_then(|ex| serde_json::from_str(ex.response_body.as_deref()?).ok());
            observed.access_token_is_jwt = granted
                .access_token
                .as_ref()
                .map(|t| fingerprint::is_jwt(t.expose()));
            token::run_refresh(&mut run, t, client, &mut granted).await;
            exchange = granted.exchange.clone();
            fhir::type_scope(&mut run, a, t, client).await;
            app_state::run(&mut run, config.as_ref(), a, t, client).await;
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
        }
    }
    // Registration needs no client of the user's: it registers its own.
    match (&authorize_url, &token_url) {
        (Some(a), Some(t)) => {
            let template =
                Client::public(String::new(), plan.redirect_uri.clone(), plan.scope.clone());
            let register = endpoint("registration_endpoint");
            registration::run(&mut run, register.as_ref(), a, t, &template).await;
        }
        (None, _) => run.record(
            &catalogue::USABLE_CLIENT,
            Verdict::skip(NO_AUTHORIZE),
            vec![],
        ),
        (_, None) => run.record(&catalogue::USABLE_CLIENT, Verdict::skip(NO_TOKEN), vec![]),
    }

    let (backend_trial, backend_token) = match (&plan.backend, &token_url) {
        (None, _) => {
            run.skip_needing(Needs::BackendClient, catalogue::NO_BACKEND);
            (None, None)
        }
        (Some(_), None) => {
            run.skip_needing(Needs::BackendClient, NO_TOKEN);
            (None, None)
        }
        (Some(b), Some(t)) => {
            let (trial, token) = backend::run(&mut run, t, b).await;
            (Some(trial), Some(token))
        }
    };
    // Bulk Data, with the backend client's token.
    if let Some(token) = &backend_token {
        let given = bulk::Given {
            capability_statement: cs.as_ref().map(|(v, _)| v),
            token: token
                .as_ref()
                .ok_or_else(|| "the backend client got no token".to_owned()),
            levels: &plan.bulk_levels,
            timeout: plan.bulk_timeout,
        };
        bulk::run(&mut run, given).await;
    }
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

    if let Some(e) = ehr {
        // A launch the run could not go on with: no authorization endpoint.
        let why = "the launch came, and there is no usable authorization endpoint to go on to";
        run.skip_needing(Needs::EhrLaunch, why);
        e.release(why);
    }
    observed.config_from_metadata &= endpoints.is_some();
    observed.config = config;
    // The first refresh (it sends no scope): what a plain refresh answers.
    observed.refresh_answer = probe
        .transcript()
        .iter()
        .find(|ex| {
            ex.request_body
                .as_deref()
                .is_some_and(|b| b.contains("grant_type=refresh_token") && !b.contains("scope="))
        })
        .and_then(|ex| serde_json::from_str(ex.response_body.as_deref()?).ok());
    let mut report = Report::new(plan.base.as_str().to_owned(), run.finish());
    // Shown with the discovery group, so only when that group is reported.
    if report.group(Group::Discovery).next().is_some() {
        report.capability_sets = capability_sets;
    }
    report.quirks = fingerprint::fingerprint(&observed);
    report.redact_values(probe.known());
    report
}

#[cfg(test)]
mod tests {
    /// No group file names another group, and `flow/` names none: the
    /// layers of the module doc, kept by reading the sources.
    #[test]
    fn no_group_uses_another_and_flow_uses_none() {
        const GROUPS: &[(&str, &str)] = &[
            ("app_state", include_str!("groups/app_state.rs")),
            ("auth_methods", include_str!("groups/auth_methods.rs")),
            ("authorize", include_str!("groups/authorize.rs")),
            ("backend", include_str!("groups/backend.rs")),
            ("bulk", include_str!("groups/bulk.rs")),
            ("discovery", include_str!("groups/discovery.rs")),
            ("fhir", include_str!("groups/fhir.rs")),
            ("registration", include_str!("groups/registration.rs")),
            ("revocation", include_str!("groups/revocation.rs")),
            ("token", include_str!("groups/token.rs")),
        ];
        const FLOW: &[&str] = &[
            include_str!("flow/mod.rs"),
            include_str!("flow/authorization.rs"),
            include_str!("flow/bulk.rs"),
            include_str!("flow/exchange.rs"),
            include_str!("flow/launch.rs"),
            include_str!("flow/tls.rs"),
            include_str!("flow/read.rs"),
        ];
        let uses = |src: &str, module: &str| {
            [
                format!("super::{module}"),
                format!("groups::{module}"),
                format!("check::{module}"),
            ]
            .iter()
            .any(|p| {
                src.match_indices(p.as_str()).any(|(i, _)| {
                    // `super::super::flow` is fine; `super::token` is not.
                    !src[i + p.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_')
                })
            })
        };
        for (name, src) in GROUPS {
            for (other, _) in GROUPS.iter().filter(|(o, _)| o != name) {
                assert!(!uses(src, other), "groups/{name}.rs uses the {other} group");
            }
        }
        for src in FLOW {
            assert!(!src.contains("groups::"), "flow/ uses a group");
        }
    }
}
