//! SMART App State (app-state.html), part of the `fhir` group: when the
//! configuration advertises `smart-app-state`, one round trip with a token
//! of its own (`patient/Basic.cruds`): create a state for the launched
//! patient, try an update without `If-Match` and one naming the old
//! version (both must be refused), update it properly, find it by `code`
//! and `subject`, delete it, and find it gone.

use reqwest::Method;
use reqwest::header::{ACCEPT, CONTENT_TYPE, ETAG, IF_MATCH};
use serde_json::{Value, json};
use url::Url;

use super::super::catalogue::{APP_STATE_IF_MATCH, APP_STATE_ROUND_TRIP, APP_STATE_STALE, Check};
use super::super::flow::Client;
use super::super::flow::exchange::obtain_answer;
use super::super::flow::read::FHIR_JSON;
use super::super::model::Verdict;
use super::super::probe::Exchange;
use super::super::run::Run;
use crate::secret::Secret;

const CHECKS: [&Check; 3] = [&APP_STATE_ROUND_TRIP, &APP_STATE_IF_MATCH, &APP_STATE_STALE];

/// The scope the round trip asks for.
pub const SCOPE: &str = "launch/patient patient/Basic.cruds";
/// The state code's system: no app's, so no real state is touched.
const SYSTEM: &str = "https://smart-check.invalid";

/// Where app state lives: an `associated_endpoints` entry that lists
/// `smart-app-state`, else the FHIR base itself; `None` when the
/// capability is not advertised at all.
pub fn endpoint(config: &Value, base: &Url) -> Option<Url> {
    let has = |v: &Value| {
        v.get("capabilities")
            .and_then(Value::as_array)
            .is_some_and(|c| c.iter().any(|c| c == "smart-app-state"))
    };
    let associated = config
        .get("associated_endpoints")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|e| has(e))
        .and_then(|e| Url::parse(e.get("url")?.as_str()?).ok());
    match associated {
        Some(u) => Some(u),
        None if has(config) => Some(base.clone()),
        None => None,
    }
}

/// The ETag of a write's answer, else one made of `meta.versionId`.
fn etag_of(r: &crate::http::Response, body: &Value) -> Option<String> {
    r.headers
        .get(ETAG)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| {
            body.pointer("/meta/versionId")
                .and_then(Value::as_str)
                .map(|v| format!("W/\"{v}\""))
        })
}

struct Session<'a, 'r> {
    run: &'a mut Run<'r>,
    base: Url,
    token: Secret,
    evidence: Vec<Exchange>,
}

/// An answer: status and JSON body (null when none).
type Answer = Option<(u16, Value, Option<String>)>;

impl Session<'_, '_> {
    fn url(&self, path: &str) -> Url {
        let mut u = self.base.clone();
        let p = format!("{}/{path}", u.path().trim_end_matches('/'));
        u.set_path(&p);
        u
    }

    async fn send(
        &mut self,
        method: Method,
        url: Url,
        body: Option<&Value>,
        if_match: Option<&str>,
    ) -> Answer {
        let mut req = self
            .run
            .probe
            .http()
            .request(method, url)
            .header(ACCEPT, FHIR_JSON)
            .bearer_auth(self.token.expose());
        if let Some(b) = body {
            req = req
                .header(CONTENT_TYPE, "application/fhir+json")
                .body(b.to_string());
        }
        if let Some(m) = if_match {
            req = req.header(IF_MATCH, m);
        }
        // A busy server is asked again once after a short Retry-After, as
        // the probe does for GETs: a 429 changed nothing, so this is safe
        // for the writes too.
        let again = req.try_clone();
        let (mut resp, ex) = self.run.probe.send(req).await;
        self.evidence.push(ex);
        if let (Ok(r), Some(again)) = (&resp, again)
            && let Some(wait) = super::super::probe::short_retry_after(r)
        {
            tokio::time::sleep(wait).await;
            let (r2, ex) = self.run.probe.send(again).await;
            self.evidence.push(ex);
            resp = r2;
        }
        let r = resp.ok()?;
        let v: Value = serde_json::from_slice(&r.body).unwrap_or_default();
        let etag = etag_of(&r, &v);
        Some((r.status.as_u16(), v, etag))
    }

    /// Whether a search by code and subject finds the state `id`.
    async fn finds(&mut self, code: &str, subject: &str, id: &str) -> Result<bool, String> {
        let mut url = self.url("Basic");
        url.query_pairs_mut()
            .append_pair("code", &format!("{SYSTEM}|{code}"))
            .append_pair("subject", subject);
        match self.send(Method::GET, url, None, None).await {
            Some((200, b, _)) if b["resourceType"] == "Bundle" => Ok(b["entry"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|e| e.pointer("/resource/id").and_then(Value::as_str) == Some(id))),
            Some((s, _, _)) => Err(format!("the search by code and subject answered {s}")),
            None => Err("the search got no answer".into()),
        }
    }
}

/// Whether a granted scope string lets the app create Basic resources:
/// `patient|user|system/Basic` or `/*`, with `c` (v2) or `write`/`*` (v1).
fn grants_app_state(scope: &str) -> bool {
    scope.split_whitespace().any(|s| {
        let Some((_, rest)) = s.split_once('/') else {
            return false;
        };
        let Some((rtype, perms)) = rest.split_once('.') else {
            return false;
        };
        let perms = perms.split('?').next().unwrap_or_default();
        (rtype == "Basic" || rtype == "*")
            && (perms == "write" || perms == "*" || perms.contains('c'))
    })
}

fn refused(a: &Answer, what: &str, want: &[u16]) -> Verdict {
    match a {
        None => Verdict::skip(format!("{what}: no answer")),
        Some((s, _, _)) if want.contains(s) => Verdict::met(format!("{what}: {s}")),
        Some((s, _, _)) if (200..300).contains(s) => {
            Verdict::unmet(format!("{what} was accepted ({s})"))
        }
        Some((s, _, _)) => Verdict::unmet(format!(
            "{what}: answered {s}, not {}",
            want.iter()
                .map(u16::to_string)
                .collect::<Vec<_>>()
                .join(" or ")
        )),
    }
}

/// The round trip; `config` is the SMART configuration.
pub async fn run(
    run: &mut Run<'_>,
    config: Option<&Value>,
    authorize_url: &Url,
    token_url: &Url,
    client: &Client,
) {
    if !CHECKS.iter().any(|c| run.wants(c)) {
        return;
    }
    let skip_all = |run: &mut Run<'_>, why: String| {
        for c in CHECKS {
            run.record(c, Verdict::skip(why.clone()), vec![]);
        }
    };
    let fhir_base = Url::parse(run.base.as_str()).ok();
    let Some(base) = config
        .zip(fhir_base.as_ref())
        .and_then(|(c, b)| endpoint(c, b))
    else {
        return skip_all(
            run,
            "the configuration does not advertise smart-app-state".into(),
        );
    };
    let scoped = Client {
        scope: SCOPE.into(),
        ..client.clone()
    };
    let (token, answer) = match obtain_answer(run, authorize_url, token_url, &scoped).await {
        Ok(t) => t,
        Err(v) => return skip_all(run, format!("no {SCOPE} token: {}", v.reason())),
    };
    // A server may grant less (RFC 6749 §3.3): without a Basic write scope
    // the round trip cannot be made, which is no finding.
    if let Some(granted) = answer["scope"].as_str()
        && !grants_app_state(granted)
    {
        return skip_all(
            run,
            format!("asked for {SCOPE}, the server granted `{granted}` (no Basic writes)"),
        );
    }
    let Some(patient) = answer["patient"].as_str() else {
        return skip_all(
            run,
            "the token answer has no patient for the state's subject".into(),
        );
    };
    let subject = format!(
        "{}/Patient/{patient}",
        run.base.as_str().trim_end_matches('/')
    );
    // A new code each run: a state left by an interrupted run is not found.
    let code = format!("smart-check-{}", crate::oauth::pkce::random_b64(9));
    let mut s = Session {
        run,
        base,
        token,
        evidence: vec![],
    };
    let state = |value: &str, id: Option<&str>| {
        let mut v = json!({
            "resourceType": "Basic",
            "subject": {"reference": subject},
            "code": {"coding": [{"system": SYSTEM, "code": code}]},
            "extension": [{"url": format!("{SYSTEM}/state"), "valueString": value}],
        });
        if let Some(id) = id {
            v["id"] = json!(id);
        }
        v
    };

    // Create.
    let created = s
        .send(Method::POST, s.url("Basic"), Some(&state("1", None)), None)
        .await;
    let (id, mut etag) = match &created {
        Some((201 | 200, b, Some(e))) if b["id"].is_string() => {
            (b["id"].as_str().unwrap_or_default().to_owned(), e.clone())
        }
        Some((st, _, _)) => {
            let why = format!(
                "POST Basic answered {st} without an id and a version (ETag or meta.versionId)"
            );
            let ev = std::mem::take(&mut s.evidence);
            s.run
                .record(&APP_STATE_ROUND_TRIP, Verdict::unmet(why.clone()), ev);
            for c in &CHECKS[1..] {
                s.run.record(
                    c,
                    Verdict::skip(format!("no state to update: {why}")),
                    vec![],
                );
            }
            return;
        }
        None => return skip_all(s.run, "POST Basic got no answer".into()),
    };
    let first = etag.clone();
    let at = s.url(&format!("Basic/{id}"));
    let mut problems: Vec<String> = vec![];

    // An update without If-Match must be refused. 428 Precondition
    // Required is HTTP's own answer; SMART's examples use 412.
    let before = s.evidence.len();
    let bare = s
        .send(Method::PUT, at.clone(), Some(&state("2", Some(&id))), None)
        .await;
    if let Some((200..=299, _, Some(e))) = &bare {
        etag = e.clone();
    }
    let ev = s.evidence[before..].to_vec();
    s.run.record(
        &APP_STATE_IF_MATCH,
        refused(&bare, "PUT without If-Match", &[412, 428]),
        ev,
    );

    // A proper update, which makes `first` stale.
    let good = s
        .send(
            Method::PUT,
            at.clone(),
            Some(&state("3", Some(&id))),
            Some(&etag),
        )
        .await;
    match &good {
        Some((200 | 201, _, Some(e))) if *e != first => etag = e.clone(),
        Some((200 | 201, _, _)) => {
            problems.push("the update with If-Match gave no new version".into())
        }
        Some((st, b, _)) => problems.push(format!(
            "the update with If-Match {etag} answered {st}{}",
            b.pointer("/issue/0/diagnostics")
                .and_then(Value::as_str)
                .map(|d| format!(" ({d})"))
                .unwrap_or_default()
        )),
        None => problems.push("the update with If-Match got no answer".into()),
    }
    let before = s.evidence.len();
    let stale = s
        .send(
            Method::PUT,
            at.clone(),
            Some(&state("4", Some(&id))),
            Some(&first),
        )
        .await;
    if let Some((200..=299, _, Some(e))) = &stale {
        etag = e.clone();
    }
    let ev = s.evidence[before..].to_vec();
    let what = format!("PUT with the old If-Match {first}");
    s.run
        .record(&APP_STATE_STALE, refused(&stale, &what, &[412]), ev);

    // Found by code and subject; deleted; gone.
    match s.finds(&code, &subject, &id).await {
        Ok(true) => {}
        Ok(false) => problems.push("the search by code and subject did not find the state".into()),
        Err(e) => problems.push(e),
    }
    match s.send(Method::DELETE, at.clone(), None, Some(&etag)).await {
        Some((200 | 202 | 204, _, _)) => match s.finds(&code, &subject, &id).await {
            Ok(false) => {}
            Ok(true) => problems.push("the deleted state is still found by search".into()),
            Err(e) => problems.push(e),
        },
        Some((st, _, _)) => problems.push(format!("DELETE with If-Match {etag} answered {st}")),
        None => problems.push("DELETE got no answer".into()),
    }
    let v = if problems.is_empty() {
        Verdict::met("created, updated with If-Match, found by code and subject, deleted and gone")
    } else {
        Verdict::unmet(problems.join("; "))
    };
    let ev = std::mem::take(&mut s.evidence);
    s.run.record(&APP_STATE_ROUND_TRIP, v, ev);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_state_lives_where_the_configuration_says() {
        let base = Url::parse("https://ehr.example/fhir").unwrap();
        assert_eq!(
            endpoint(&json!({"capabilities": ["launch-ehr"]}), &base),
            None
        );
        assert_eq!(
            endpoint(&json!({"capabilities": ["smart-app-state"]}), &base),
            Some(base.clone())
        );
        let elsewhere = json!({"capabilities": [], "associated_endpoints": [
            {"url": "https://ehr.example/other", "capabilities": ["launch-ehr"]},
            {"url": "https://ehr.example/appstate", "capabilities": ["smart-app-state"]},
        ]});
        assert_eq!(
            endpoint(&elsewhere, &base).unwrap().as_str(),
            "https://ehr.example/appstate"
        );
    }

    #[test]
    fn a_grant_without_basic_writes_is_told_apart() {
        assert!(grants_app_state("launch/patient patient/Basic.cruds"));
        assert!(grants_app_state("patient/*.write"));
        assert!(grants_app_state("user/*.*"));
        assert!(grants_app_state("patient/Basic.c?code=https://a|b"));
        assert!(!grants_app_state("launch/patient patient/Basic.rs"));
        assert!(!grants_app_state("launch/patient patient/Basic.read"));
        assert!(!grants_app_state("launch/patient"));
    }

    #[test]
    fn a_refusal_must_be_one_of_the_wanted_statuses() {
        let a = |s: u16| Some((s, Value::Null, None));
        assert!(matches!(
            refused(&a(412), "x", &[412, 428]),
            Verdict::Met(_)
        ));
        assert!(matches!(
            refused(&a(428), "x", &[412, 428]),
            Verdict::Met(_)
        ));
        assert!(
            matches!(refused(&a(200), "x", &[412]), Verdict::Unmet(r) if r.contains("accepted"))
        );
        assert!(
            matches!(refused(&a(400), "x", &[412]), Verdict::Unmet(r) if r.contains("not 412"))
        );
        assert!(matches!(refused(&None, "x", &[412]), Verdict::Skip(_)));
    }
}
