//! The `revocation` group, for servers that advertise RFC 7009 revocation
//! and RFC 7662 introspection: introspection tells a live token, an unknown
//! one and a revoked one apart, and a revoked token stops working.

use serde_json::Value;
use url::Url;

use super::super::catalogue::{
    Check, INTROSPECTION_ACTIVE, INTROSPECTION_INACTIVE, INTROSPECTION_INACTIVE_QUIET,
    INTROSPECTION_UNKNOWN, REVOKED_REFUSED,
};
use super::super::flow::Client;
use super::super::flow::exchange::{Granted, obtain, obtain_answer};
use super::super::flow::read::read;
use super::super::model::Verdict;
use super::super::run::Run;
use crate::clock::{Clock, SystemClock};
use crate::oauth::id_token::decode_unverified;
use crate::secret::Secret;

const CHECKS: [&Check; 5] = [
    &INTROSPECTION_ACTIVE,
    &INTROSPECTION_UNKNOWN,
    &INTROSPECTION_INACTIVE_QUIET,
    &REVOKED_REFUSED,
    &INTROSPECTION_INACTIVE,
];
/// The checks that introspect before anything is revoked.
const BEFORE_REVOCATION: [&Check; 3] = [
    &INTROSPECTION_ACTIVE,
    &INTROSPECTION_UNKNOWN,
    &INTROSPECTION_INACTIVE_QUIET,
];

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
    if !CHECKS.iter().any(|c| run.wants(c)) {
        return;
    }
    introspect_before_revocation(run, at, client).await;
    let Some(revoke_url) = revoke_url else {
        for c in [&REVOKED_REFUSED, &INTROSPECTION_INACTIVE] {
            run.record(
                c,
                Verdict::skip("no revocation_endpoint is advertised"),
                vec![],
            );
        }
        return;
    };
    if !run.wants(&REVOKED_REFUSED) && !run.wants(&INTROSPECTION_INACTIVE) {
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
            for c in [&REVOKED_REFUSED, &INTROSPECTION_INACTIVE] {
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

/// Introspection of a live token (compared with the token response that
/// issued it) and of a token the server never issued, authorised by a
/// third live token.
async fn introspect_before_revocation(run: &mut Run<'_>, at: &Endpoints<'_>, client: &Client) {
    if !BEFORE_REVOCATION.iter().any(|c| run.wants(c)) {
        return;
    }
    let Some(url) = at.introspect else {
        for c in BEFORE_REVOCATION {
            let why = "no introspection_endpoint is advertised";
            run.record(c, Verdict::skip(why), vec![]);
        }
        return;
    };
    let caller = match obtain(run, at.authorize, at.token, client).await {
        Ok(t) => t,
        Err(v) => {
            let why = format!("needs a live token to authorise the calls: {}", v.reason());
            for c in BEFORE_REVOCATION {
                run.record(c, Verdict::skip(why.clone()), vec![]);
            }
            return;
        }
    };

    // Why the server turned our caller away, when it did: then nothing can
    // be learnt of the unknown token either.
    let mut turned_away = None;
    if run.wants(&INTROSPECTION_ACTIVE) {
        match obtain_answer(run, at.authorize, at.token, client).await {
            Err(v) => {
                let why = format!("no token to introspect: {}", v.reason());
                run.record(&INTROSPECTION_ACTIVE, Verdict::skip(why), vec![]);
            }
            Ok((subject, answer)) => {
                let issued_at = SystemClock.now();
                let req = run
                    .probe
                    .form(url, &[("token", subject.expose())])
                    .bearer_auth(caller.expose());
                let (resp, ex) = run.probe.send(req).await;
                let v = match resp {
                    Err(e) => Verdict::skip(format!("no answer: {}", e.message)),
                    Ok(r) if turns_away(r.status.as_u16(), &r.body) => {
                        let why = format!(
                            "introspection refused the bearer token that authorised it ({}; it may want client credentials)",
                            r.status.as_u16()
                        );
                        turned_away = Some(why.clone());
                        Verdict::skip(why)
                    }
                    Ok(r) => judge_active(
                        r.status.as_u16(),
                        &r.body,
                        &Issued {
                            answer: &answer,
                            client_id: client.client_id(),
                            at: issued_at,
                        },
                    ),
                };
                run.record(&INTROSPECTION_ACTIVE, v, vec![ex]);
            }
        }
    }

    if let Some(why) = turned_away {
        for c in [&INTROSPECTION_UNKNOWN, &INTROSPECTION_INACTIVE_QUIET] {
            run.record(c, Verdict::skip(why.clone()), vec![]);
        }
    } else if run.wants(&INTROSPECTION_UNKNOWN) || run.wants(&INTROSPECTION_INACTIVE_QUIET) {
        let made_up = format!(
            "smart-check-unknown-token-{}",
            crate::oauth::pkce::random_b64(16)
        );
        let req = run
            .probe
            .form(url, &[("token", &made_up)])
            .bearer_auth(caller.expose());
        let (resp, ex) = run.probe.send(req).await;
        let (unknown, quiet) = match resp {
            Err(e) => {
                let why = format!("no answer: {}", e.message);
                (Verdict::skip(why.clone()), Verdict::skip(why))
            }
            Ok(r) => judge_unknown(r.status.as_u16(), &r.body),
        };
        run.record(&INTROSPECTION_UNKNOWN, unknown, vec![ex.clone()]);
        run.record(&INTROSPECTION_INACTIVE_QUIET, quiet, vec![ex]);
    }
}

/// What the token endpoint said when it issued the token being introspected.
struct Issued<'a> {
    answer: &'a Value,
    client_id: &'a str,
    /// When the answer arrived (Unix seconds, our clock).
    at: u64,
}

/// How far `exp` may stray from the time the token response's `expires_in`
/// points to: the two clocks, and the time between issue and answer.
const EXP_SLACK: i64 = 300;

/// SMART's token introspection rules (required fields, launch context, the
/// id_token's `iss` and `sub`) for the answer about a live token.
fn judge_active(status: u16, body: &[u8], issued: &Issued<'_>) -> Verdict {
    if refused_credentials(status, body) {
        return Verdict::skip(format!(
            "introspection refused the bearer token that authorised it ({status}; it may want client credentials)"
        ));
    }
    if status != 200 {
        return Verdict::unmet(format!("introspection of a live token answered {status}"));
    }
    let Ok(Value::Object(got)) = serde_json::from_slice::<Value>(body) else {
        return Verdict::unmet("the answer is not a JSON object");
    };
    if got.get("active") != Some(&Value::Bool(true)) {
        return Verdict::unmet("a live token is not reported active: true");
    }
    let mut wrong = Vec::new();
    let text = |k: &str| got.get(k).and_then(Value::as_str);
    match text("client_id") {
        Some(c) if c == issued.client_id => {}
        Some(c) => wrong.push(format!("client_id is {c:?}, not {:?}", issued.client_id)),
        None => wrong.push("no client_id".into()),
    }
    match (text("scope"), issued.answer["scope"].as_str()) {
        (None, _) => wrong.push("no scope".into()),
        (Some(got), Some(want)) => {
            let set = |s: &str| {
                s.split_whitespace()
                    .map(str::to_owned)
                    .collect::<std::collections::BTreeSet<_>>()
            };
            if set(got) != set(want) {
                wrong.push(format!(
                    "scope {got:?} is not the token response's {want:?}"
                ));
            }
        }
        (Some(_), None) => {}
    }
    match got.get("exp").and_then(Value::as_i64) {
        None => wrong.push("no integer exp".into()),
        Some(exp) => {
            if let Some(n) = issued.answer["expires_in"].as_i64() {
                let due = issued.at as i64 + n;
                if (exp - due).abs() > EXP_SLACK {
                    wrong.push(format!(
                        "exp {exp} is not the token response's expires_in ({n} s) from its issue (about {due})"
                    ));
                }
            }
        }
    }
    for k in ["patient", "encounter"] {
        if let Some(want) = issued.answer[k].as_str() {
            match text(k) {
                Some(g) if g == want => {}
                Some(g) => wrong.push(format!("{k} is {g:?}, not the token response's {want:?}")),
                None => wrong.push(format!("no {k} (the token response had one)")),
            }
        }
    }
    let mut note = None;
    if let Some((_, claims)) = issued.answer["id_token"]
        .as_str()
        .and_then(decode_unverified)
    {
        for k in ["iss", "sub"] {
            let want = claims[k].as_str();
            match (want, text(k)) {
                (Some(w), Some(g)) if w == g => {}
                (Some(w), Some(g)) => wrong.push(format!("{k} is {g:?}, not the id_token's {w:?}")),
                (Some(_), None) => wrong.push(format!("no {k} (an id_token was issued)")),
                (None, _) => {}
            }
        }
        if let Some(w) = claims["fhirUser"].as_str()
            && text("fhirUser") != Some(w)
        {
            note = Some("fhirUser is not the id_token's (a SHOULD)");
        }
    }
    let v = if wrong.is_empty() {
        Verdict::met("active: true, with the scope, client_id, exp and context it was issued with")
    } else {
        Verdict::unmet(wrong.join("; "))
    };
    match note {
        Some(n) => v.with_note(n),
        None => v,
    }
}

/// An answer that turns the caller away (RFC 7662 §2.1) rather than
/// judging the token: nothing about the token can be read from it.
fn refused_credentials(status: u16, body: &[u8]) -> bool {
    matches!(status, 401 | 403) || oauth_error(body).as_deref() == Some("invalid_client")
}

/// [`refused_credentials`], or `invalid_request` about a live token, which
/// a well-formed request gets only for the way it was authorised (a
/// server that wants client credentials and found none).
fn turns_away(status: u16, body: &[u8]) -> bool {
    refused_credentials(status, body) || oauth_error(body).as_deref() == Some("invalid_request")
}

fn oauth_error(body: &[u8]) -> Option<String> {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v["error"].as_str().map(str::to_owned))
}

/// RFC 7662 §2.2 for a token the server never issued: 200 and `active:
/// false` (the first verdict), and nothing else said of it (the second).
fn judge_unknown(status: u16, body: &[u8]) -> (Verdict, Verdict) {
    if refused_credentials(status, body) {
        let why = format!(
            "introspection refused the bearer token that authorised it ({status}; it may want client credentials)"
        );
        return (Verdict::skip(why.clone()), Verdict::skip(why));
    }
    if status != 200 {
        let why = format!("an unknown token's introspection answered {status}, not 200");
        return (Verdict::unmet(why), Verdict::skip("no 200 answer to judge"));
    }
    let Ok(Value::Object(got)) = serde_json::from_slice::<Value>(body) else {
        let why = "the answer is not a JSON object";
        return (Verdict::unmet(why), Verdict::skip(why));
    };
    match got.get("active") {
        Some(Value::Bool(false)) => {}
        Some(Value::Bool(true)) => {
            let why = "a token the server never issued is reported active";
            return (Verdict::unmet(why), Verdict::skip(why));
        }
        _ => {
            let why = "the answer has no boolean `active`";
            return (Verdict::unmet(why), Verdict::skip(why));
        }
    }
    let more: Vec<&str> = got
        .keys()
        .map(String::as_str)
        .filter(|k| *k != "active")
        .collect();
    let quiet = if more.is_empty() {
        Verdict::met("active: false alone")
    } else {
        Verdict::unmet(format!("active: false, with {}", more.join(", ")))
    };
    (Verdict::met("200, active: false"), quiet)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn issued(answer: &Value) -> Issued<'_> {
        Issued {
            answer,
            client_id: "app",
            at: 1_000_000,
        }
    }

    fn met(v: &Verdict) -> bool {
        matches!(v, Verdict::Met(_))
    }

    #[test]
    fn a_full_answer_about_a_live_token_is_met() {
        let answer =
            json!({"scope": "launch/patient patient/*.rs", "expires_in": 3600, "patient": "p1"});
        let body = json!({"active": true, "client_id": "app", "scope": "patient/*.rs launch/patient",
            "exp": 1_003_610, "patient": "p1"});
        let v = judge_active(200, body.to_string().as_bytes(), &issued(&answer));
        assert!(met(&v), "{v:?}");
    }

    #[test]
    fn each_missing_or_different_field_is_named() {
        let answer =
            json!({"scope": "a b", "expires_in": 3600, "patient": "p1", "encounter": "e1"});
        let body = json!({"active": true, "client_id": "other", "scope": "a", "exp": 2_000_000,
            "encounter": "e2"});
        let v = judge_active(200, body.to_string().as_bytes(), &issued(&answer));
        let Verdict::Unmet(why) = v else {
            panic!("{v:?}")
        };
        for part in [
            "client_id is \"other\"",
            "scope \"a\"",
            "exp 2000000",
            "no patient",
            "encounter is \"e2\"",
        ] {
            assert!(why.contains(part), "{part}: {why}");
        }
        let v = judge_active(
            200,
            br#"{"active": true, "scope": "a b"}"#,
            &issued(&answer),
        );
        let Verdict::Unmet(why) = v else {
            panic!("{v:?}")
        };
        assert!(
            why.contains("no client_id") && why.contains("no integer exp"),
            "{why}"
        );
    }

    #[test]
    fn the_id_tokens_iss_and_sub_must_come_back() {
        let claims =
            json!({"iss": "https://ehr", "sub": "u1", "fhirUser": "https://ehr/Practitioner/u1"});
        let jwt = format!(
            "e30.{}.sig",
            base64::Engine::encode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                claims.to_string()
            )
        );
        let answer = json!({"id_token": jwt});
        let good = json!({"active": true, "client_id": "app", "scope": "openid", "exp": 1,
            "iss": "https://ehr", "sub": "u1", "fhirUser": "https://ehr/Practitioner/u1"});
        assert!(met(&judge_active(
            200,
            good.to_string().as_bytes(),
            &issued(&answer)
        )));
        let mut no_sub = good.clone();
        no_sub.as_object_mut().unwrap().remove("sub");
        let v = judge_active(200, no_sub.to_string().as_bytes(), &issued(&answer));
        assert!(
            matches!(&v, Verdict::Unmet(w) if w.contains("no sub")),
            "{v:?}"
        );
        let mut no_user = good.clone();
        no_user.as_object_mut().unwrap().remove("fhirUser");
        let v = judge_active(200, no_user.to_string().as_bytes(), &issued(&answer));
        assert!(
            matches!(&v, Verdict::Met(w) if w.contains("fhirUser")),
            "{v:?}"
        );
    }

    #[test]
    fn a_live_token_not_reported_active_or_an_error_status_is_unmet() {
        let answer = json!({});
        assert!(!met(&judge_active(
            200,
            br#"{"active": false}"#,
            &issued(&answer)
        )));
        assert!(!met(&judge_active(
            500,
            br#"{"active": true}"#,
            &issued(&answer)
        )));
        let refused = judge_active(401, br#"{"error": "invalid_token"}"#, &issued(&answer));
        assert!(matches!(refused, Verdict::Skip(_)), "{refused:?}");
        assert!(!met(&judge_active(200, b"<html>", &issued(&answer))));
    }

    #[test]
    fn a_caller_is_turned_away_by_401_403_or_a_client_error() {
        assert!(turns_away(401, b""));
        assert!(turns_away(403, b"{}"));
        assert!(turns_away(400, br#"{"error": "invalid_client"}"#));
        assert!(turns_away(400, br#"{"error": "invalid_request"}"#));
        assert!(!turns_away(400, br#"{"error": "invalid_token"}"#));
        assert!(!turns_away(200, br#"{"active": true}"#));
    }

    #[test]
    fn an_unknown_token_wants_200_and_active_false_alone() {
        let (a, q) = judge_unknown(200, br#"{"active": false}"#);
        assert!(met(&a) && met(&q));
        let (a, q) = judge_unknown(200, br#"{"active": false, "client_id": "x"}"#);
        assert!(met(&a));
        assert!(
            matches!(&q, Verdict::Unmet(w) if w.contains("client_id")),
            "{q:?}"
        );
        let (a, q) = judge_unknown(400, br#"{"error": "invalid_token"}"#);
        assert!(!met(&a) && matches!(q, Verdict::Skip(_)));
        let (a, _) = judge_unknown(200, br#"{"active": true}"#);
        assert!(!met(&a));
    }
}
