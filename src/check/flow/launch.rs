//! `smart check --ehr`: the launch an EHR sent to the loopback launch URL,
//! and the authorization that goes on from it in the EHR's browser (with
//! `launch` and the `launch` scope), as an app launched from the EHR does.
//! Its code is the one the token group's good exchange spends, so that the
//! token, FHIR and refresh checks run on the EHR launch.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::super::model::Verdict;
use super::super::probe::Exchange;
use super::super::run::Run;
use super::authorization::{Client, Request};
use super::exchange::s256;
use crate::oauth::callback::{Launch, LaunchSeen, Listener, PendingLaunch};
use crate::oauth::pkce;

/// What the EHR's launch requests showed, for the checks that judge them.
#[derive(Debug, Clone)]
pub enum Arrival {
    /// A launch from the checked server (with `launch`): its `iss`.
    Launched { iss: String },
    /// A launch from the checked server without `launch`.
    WithoutLaunch { iss: String },
    /// Only launches the listener refused came in time: the last one's reason.
    Refused(String),
}

/// A code from the EHR launch's authorization, kept for the good exchange.
pub struct LaunchedCode {
    pub code: String,
    pub verifier: String,
    pub evidence: Exchange,
}

/// The EHR launch of a `--ehr` run.
pub struct EhrLaunch {
    listener: Arc<Listener>,
    /// How long the EHR's browser may take to come back with a code.
    wait: Duration,
    pub arrival: Arrival,
    /// The launch and its browser, until the authorization sends it on.
    pending: Mutex<Option<(Launch, PendingLaunch)>>,
    /// The code the authorization gave, until the good exchange takes it.
    code: Mutex<Option<LaunchedCode>>,
    /// The launch request, as evidence.
    pub request: Exchange,
}

impl EhrLaunch {
    pub fn new(listener: Arc<Listener>, seen: LaunchSeen, wait: Duration) -> EhrLaunch {
        let mut url = url::Url::parse(&listener.launch_url()).expect("a loopback URL");
        let (arrival, pending) = match seen {
            LaunchSeen::Launched(l, p) => {
                url.query_pairs_mut()
                    .append_pair("iss", l.iss.as_str())
                    .append_pair("launch", &l.launch);
                let a = Arrival::Launched {
                    iss: l.iss.as_str().to_owned(),
                };
                (a, Some((l, p)))
            }
            LaunchSeen::WithoutLaunch(iss) => {
                url.query_pairs_mut().append_pair("iss", iss.as_str());
                let a = Arrival::WithoutLaunch {
                    iss: iss.as_str().to_owned(),
                };
                (a, None)
            }
            LaunchSeen::Refused(why) => (Arrival::Refused(why), None),
        };
        // The launch request as it reached the listener (the refused ones
        // are in the reason).
        let request = Exchange {
            method: "EHR".into(),
            url: crate::redact::url(&url),
            request_headers: vec![],
            request_body: None,
            status: None,
            response_headers: vec![],
            response_body: None,
            error: None,
        };
        EhrLaunch {
            listener,
            wait,
            arrival,
            pending: Mutex::new(pending),
            code: Mutex::new(None),
            request,
        }
    }

    /// The code of the EHR launch, once: the good exchange spends it.
    pub fn take_code(&self) -> Option<LaunchedCode> {
        self.code.lock().expect("launch code").take()
    }

    /// Shows a browser still waiting why the run did not send it on.
    pub fn release(&self, why: &str) {
        if let Some((_, browser)) = self.pending.lock().expect("launch").take() {
            browser.fail(why);
        }
    }
}

/// The scope of an EHR launch's authorization: `launch` in place of the
/// standalone `launch/…` scopes (the EHR gives the context).
pub fn ehr_scope(scope: &str) -> String {
    let rest = scope
        .split_whitespace()
        .filter(|s| *s != "launch" && !s.starts_with("launch/"));
    std::iter::once("launch")
        .chain(rest)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Sends the EHR's browser on to the authorization request of the launch
/// and waits for it to come back. `None` when there is no launch to go on
/// from; else the verdict on the launch's use (a code came back, or the
/// server refused its own launch), with the evidence. The code is kept for
/// [`EhrLaunch::take_code`].
pub async fn authorize(
    run: &Run<'_>,
    ehr: &EhrLaunch,
    endpoint: &url::Url,
    client: &Client,
) -> Option<(Verdict, Exchange)> {
    let (launch, browser) = ehr.pending.lock().expect("launch").take()?;
    let state = pkce::random_b64(32);
    let verifier = pkce::random_b64(32);
    let challenge = s256(&verifier);
    let aud = run.base.as_str().to_owned();
    let launched = Client {
        scope: ehr_scope(&client.scope),
        ..client.clone()
    };
    let url = Request {
        launch: Some(&launch.launch),
        ..Request::code(endpoint, &launched, &aud, &state, &challenge)
    }
    .url();
    browser.redirect(&url);
    let deadline = Instant::now() + ehr.wait;
    let listener = ehr.listener.clone();
    let back = tokio::task::block_in_place(|| listener.wait_for_redirect(deadline));
    let back = match back {
        Ok(b) => b,
        Err(e) => {
            let ex = super::exchange::unsent_get(url.as_str());
            return Some((
                Verdict::skip(format!(
                    "the EHR's browser did not come back from the authorization request: {}",
                    e.message
                )),
                ex,
            ));
        }
    };
    let ex = run.probe.note_browser(&url, &back);
    let get = |k: &str| {
        back.query_pairs()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.into_owned())
    };
    let v = match (get("code"), get("error")) {
        (Some(code), _) if get("state").as_deref() == Some(state.as_str()) => {
            *ehr.code.lock().expect("launch code") = Some(LaunchedCode {
                code,
                verifier,
                evidence: ex.clone(),
            });
            Verdict::met(format!(
                "launch={} came with iss={}, and the authorization request that carried it was granted",
                launch.launch, launch.iss
            ))
        }
        (Some(_), _) => Verdict::skip(
            "the authorization of the launch came back without our state (authorize.state-echoed judges that)",
        ),
        (None, Some(e)) => Verdict::unmet(format!(
            "the authorization server refused the authorization request carrying its own launch value: error={}",
            crate::redact::printable(&e)
        )),
        (None, None) => Verdict::unmet(
            "the authorization request carrying the launch came back with neither a code nor an error",
        ),
    };
    Some((v, ex))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ehr_scope_asks_for_launch_instead_of_launch_patient() {
        assert_eq!(
            ehr_scope("openid fhirUser launch/patient patient/*.rs offline_access"),
            "launch openid fhirUser patient/*.rs offline_access"
        );
        assert_eq!(ehr_scope("launch patient/*.rs"), "launch patient/*.rs");
    }
}
