//! The `registration` group, for servers that advertise RFC 7591 dynamic
//! registration: a public client registered there can get a token. It
//! registers a client named "smart check" (`--skip
//! registration.usable-client` leaves it out), public, with the
//! `--redirect-uri` and `--scope` of the run (no client of the user's is
//! needed), and deletes it again (RFC 7592) when the server says how.

use reqwest::Method;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde_json::{Value, json};
use url::Url;

use super::super::catalogue::USABLE_CLIENT;
use super::super::flow::Client;
use super::super::flow::exchange::obtain;
use super::super::model::Verdict;
use super::super::probe::Exchange;
use super::super::run::Run;
use crate::secret::Secret;

pub async fn run(
    run: &mut Run<'_>,
    register_url: Option<&Url>,
    authorize_url: &Url,
    token_url: &Url,
    template: &Client,
) {
    let Some(register_url) = register_url else {
        run.record(
            &USABLE_CLIENT,
            Verdict::skip("no registration_endpoint is advertised"),
            vec![],
        );
        return;
    };
    if !run.wants(&USABLE_CLIENT) {
        return;
    }
    let metadata = json!({
        "client_name": "smart check",
        "redirect_uris": [template.redirect_uri],
        "token_endpoint_auth_method": "none",
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
        "scope": template.scope,
    });
    let req = crate::http::to_authorization_server(
        run.probe
            .http()
            .request(Method::POST, register_url.clone())
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, "application/json")
            .body(metadata.to_string()),
    );
    let (resp, ex) = run.probe.send(req).await;
    let (client_id, manage) = match resp {
        Err(e) => {
            run.record(
                &USABLE_CLIENT,
                Verdict::skip(format!("no answer: {}", e.message)),
                vec![ex],
            );
            return;
        }
        Ok(r) => {
            let body: Value = serde_json::from_slice(&r.body).unwrap_or_default();
            match (r.status.as_u16(), body["client_id"].as_str()) {
                (201 | 200, Some(id)) => (
                    id.to_owned(),
                    body["registration_client_uri"]
                        .as_str()
                        .zip(body["registration_access_token"].as_str())
                        .map(|(u, t)| (u.to_owned(), Secret::new(t))),
                ),
                (s, _) => {
                    let why = match super::super::probe::oauth_error(&body) {
                        Some(e) => format!("registration answered {s} {e}"),
                        None => format!("registration answered {s} without a client_id"),
                    };
                    // A server may allow registration only to some callers.
                    let v = if s == 401 || s == 403 {
                        Verdict::skip(format!(
                            "{why} (registration may need an initial access token)"
                        ))
                    } else {
                        Verdict::unmet(why)
                    };
                    run.record(&USABLE_CLIENT, v, vec![ex]);
                    return;
                }
            }
        }
    };
    let registered = Client::public(
        client_id,
        template.redirect_uri.clone(),
        template.scope.clone(),
    );
    let v = match obtain(run, authorize_url, token_url, &registered).await {
        Ok(_) => Verdict::met(format!("client {} got a token", registered.client_id())),
        Err(Verdict::Unmet(why)) => Verdict::unmet(format!(
            "client {} was registered, and {why}",
            registered.client_id()
        )),
        Err(other) => other,
    };
    let (note, deleted) = delete(run, registered.client_id(), manage).await;
    run.record(
        &USABLE_CLIENT,
        v.with_note(&note),
        [vec![ex], deleted.into_iter().collect()].concat(),
    );
}

/// Deletes the client registered for the check (RFC 7592 §2.3) when the
/// server gave the means: what came of it, for the reason, and the exchange.
async fn delete(
    run: &Run<'_>,
    client_id: &str,
    manage: Option<(String, Secret)>,
) -> (String, Option<Exchange>) {
    let Some((uri, token)) = manage else {
        return (
            format!(
                "the server gave no registration_client_uri and registration_access_token (RFC 7592), so client {client_id} was left registered"
            ),
            None,
        );
    };
    let url = match crate::discovery::secure_url("registration_client_uri", &uri) {
        Ok(u) => u,
        Err(_) => {
            return (
                format!(
                    "its registration_client_uri is not an https URL, so client {client_id} was left registered"
                ),
                None,
            );
        }
    };
    let req = crate::http::to_authorization_server(
        run.probe
            .http()
            .request(Method::DELETE, url)
            .bearer_auth(token.expose()),
    );
    let (resp, ex) = run.probe.send(req).await;
    let note = match resp {
        Ok(r) if r.status.is_success() => format!("client {client_id} was deleted again"),
        Ok(r) => format!(
            "deleting it answered {}, so client {client_id} was left registered",
            r.status.as_u16()
        ),
        Err(e) => format!(
            "deleting it failed ({}), so client {client_id} was left registered",
            e.message
        ),
    };
    (note, Some(ex))
}
