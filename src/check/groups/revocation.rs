//! The `revocation` group, for servers that advertise RFC 7009 revocation
//! and RFC 7662 introspection: a revoked token stops working, and
//! introspection says so.

use serde_json::Value;
use url::Url;

use super::super::catalogue::{Check, INTROSPECTION_INACTIVE, REVOKED_REFUSED};
use super::super::flow::Client;
use super::super::flow::exchange::{Granted, obtain};
use super::super::flow::read::read;
use super::super::model::Verdict;
use super::super::run::Run;
use crate::secret::Secret;

const CHECKS: [&Check; 2] = [&REVOKED_REFUSED, &INTROSPECTION_INACTIVE];

/// Where the group sends its requests.
pub struct Endpoints<'a> {
    pub authorize: &'a Url,
    pub token: &'a Url,
    pub revoke: Option<&'a Url>,
    pub introspect: Option<&'a Url>,
}

pub async fn run(run: &mut Run<'_>, at: &Endpoints<'_>, client: &Client, granted: &Granted) {
    let (revoke_url, introspect_url) = (at.revoke, at.introspect);
    let Some(token) = &granted.access_token else {
        for c in CHECKS {
            run.record(c, Verdict::skip("no access token was obtained"), vec![]);
        }
        return;
    };
    let Some(revoke_url) = revoke_url else {
        for c in CHECKS {
            run.record(
                c,
                Verdict::skip("no revocation_endpoint is advertised"),
                vec![],
            );
        }
        return;
    };
    if !CHECKS.iter().any(|c| run.wants(c)) {
        return;
    }

    let pairs = [
        ("token", token.expose()),
        ("token_type_hint", "access_token"),
    ];
    let req = match run
        .probe
        .client_form(revoke_url, &pairs, &client.auth, at.token)
    {
        Ok(r) => r,
        Err(e) => {
            for c in CHECKS {
                run.record(c, Verdict::skip(e.message.clone()), vec![]);
            }
            return;
        }
    };
    let (resp, ex) = run.probe.send(req).await;
    match resp {
        Ok(r) if r.status.is_success() => {
            let (status, ex2) = read(run, token, granted.patient.as_deref()).await;
            let v = match status {
                Ok(401) => Verdict::met("the revoked token gets 401"),
                Ok(s) => Verdict::unmet(format!("the revoked token still gets {s}")),
                Err(e) => Verdict::skip(format!("no answer: {e}")),
            };
            run.record(&REVOKED_REFUSED, v, vec![ex, ex2]);
        }
        Ok(r) => {
            let v = Verdict::unmet(format!("revocation answered {}", r.status));
            run.record(&REVOKED_REFUSED, v, vec![ex.clone()]);
            run.record(
                &INTROSPECTION_INACTIVE,
                Verdict::skip("the revocation failed"),
                vec![ex],
            );
            return;
        }
        Err(e) => {
            run.record(
                &REVOKED_REFUSED,
                Verdict::skip(format!("no answer: {}", e.message)),
                vec![ex],
            );
            run.record(
                &INTROSPECTION_INACTIVE,
                Verdict::skip("the revocation failed"),
                vec![],
            );
            return;
        }
    }
    let caller = match introspect_url {
        Some(_) if run.wants(&INTROSPECTION_INACTIVE) => {
            obtain(run, at.authorize, at.token, client).await.ok()
        }
        _ => None,
    };
    introspect(run, introspect_url, token, caller.as_ref()).await;
}

/// Introspects the revoked token, authorised by another live token (a
/// public client holds no credential of its own, and RFC 7662 §2.1 allows a
/// bearer token whatever the client).
async fn introspect(
    run: &mut Run<'_>,
    url: Option<&Url>,
    revoked: &Secret,
    caller: Option<&Secret>,
) {
    let Some(url) = url else {
        run.record(
            &INTROSPECTION_INACTIVE,
            Verdict::skip("no introspection_endpoint is advertised"),
            vec![],
        );
        return;
    };
    let Some(caller) = caller else {
        run.record(
            &INTROSPECTION_INACTIVE,
            Verdict::skip("needs a second live token to authorise the call, and none was issued"),
            vec![],
        );
        return;
    };
    let req = run
        .probe
        .form(url, &[("token", revoked.expose())])
        .bearer_auth(caller.expose());
    let (resp, ex) = run.probe.send(req).await;
    let v = match resp {
        Err(e) => Verdict::skip(format!("no answer: {}", e.message)),
        Ok(r) => match serde_json::from_slice::<Value>(&r.body)
            .ok()
            .map(|v| v["active"].clone())
        {
            Some(Value::Bool(false)) => Verdict::met("active: false"),
            Some(Value::Bool(true)) => Verdict::unmet("the revoked token is reported active"),
            _ if !r.status.is_success() => Verdict::skip(format!(
                "introspection answered {} (it may want other credentials)",
                r.status
            )),
            _ => Verdict::unmet("the answer has no boolean `active`"),
        },
    };
    run.record(&INTROSPECTION_INACTIVE, v, vec![ex]);
}
