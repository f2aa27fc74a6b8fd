//! The `token` group: what the token endpoint does with codes it must
//! refuse (a wrong verifier, a replay, another redirect_uri) and the shape
//! of the answer it gives. The codes come from authorization requests the
//! server grants without a user (an auto-approving test server); a server
//! that asks for a sign-in leaves the group undecided.

use reqwest::Method;
use reqwest::header::{ACCEPT, ACCESS_CONTROL_ALLOW_ORIGIN};
use serde_json::Value;
use url::Url;

mod openid;

use super::super::catalogue::{
    CODE_SINGLE_USE, EXPIRES_IN, ID_TOKEN_VALID, LAUNCH_CONTEXT, NO_STORE, PRAGMA,
    REDIRECT_CHECKED, REFRESH, REFRESH_RESPONSE, REFRESH_REUSE, REFRESH_ROTATES,
    REFRESH_WITH_SCOPE, REPLAY_REVOKES, RESPONSE_FIELDS, RESPONSE_TYPES, TOKEN_CORS,
    VERIFIER_CHECKED,
};
use super::super::flow::exchange::{
    Granted, Outcome, TokenAttempt, Trial, attempt, attempt_full, fresh_code, unsent,
};
use super::super::flow::launch::LaunchedCode;
use super::super::flow::read;
use super::super::flow::{Client, PROBE_ORIGIN, cors_allows};
use super::super::model::Verdict;
use super::super::probe::Exchange;
use super::super::run::Run;
use crate::oauth::pkce;
use crate::secret::Secret;

/// Where id_tokens are checked: the configuration's `issuer` and
/// `jwks_uri`.
pub struct Oidc {
    pub issuer: String,
    pub jwks_uri: Url,
}

/// The group; returns the tokens of its good exchange (empty when there
/// was none).
pub async fn run(
    run: &mut Run<'_>,
    authorize_url: &Url,
    token_url: &Url,
    client: &Client,
    oidc: Option<&Oidc>,
    launched: Option<LaunchedCode>,
) -> Granted {
    // A wrong verifier first, then the right one for the same code (which
    // must fail too if the code was spent by the wrong attempt: either way
    // no token for a wrong verifier).
    if run.wants(&VERIFIER_CHECKED) {
        match fresh_code(run, authorize_url, client).await {
            Err((v, ex)) => run.record(&VERIFIER_CHECKED, v, vec![ex]),
            Ok((code, _right, ex)) => {
                let wrong = pkce::random_b64(32);
                let (o, ex2) = attempt(
                    run,
                    token_url,
                    &TokenAttempt::code(client, &code, Some(&wrong)),
                )
                .await;
                let v = match o {
                    Outcome::Tokens => {
                        Verdict::unmet("tokens were issued for a wrong code_verifier")
                    }
                    Outcome::Refused(e) => Verdict::met(format!("refused: {e}")),
                    Outcome::Broken(e) => Verdict::skip(e),
                };
                run.record(&VERIFIER_CHECKED, v, vec![ex, ex2]);
            }
        }
    }

    if run.wants(&REDIRECT_CHECKED) {
        match fresh_code(run, authorize_url, client).await {
            Err((v, ex)) => run.record(&REDIRECT_CHECKED, v, vec![ex]),
            Ok((code, verifier, ex)) => {
                let other = format!("{}-other", client.redirect_uri.trim_end_matches('/'));
                let a = TokenAttempt {
                    redirect_uri: &other,
                    ..TokenAttempt::code(client, &code, Some(&verifier))
                };
                let (o, ex2) = attempt(run, token_url, &a).await;
                let v = match o {
                    Outcome::Tokens => {
                        Verdict::unmet(format!("tokens were issued with redirect_uri {other}"))
                    }
                    Outcome::Refused(e) => Verdict::met(format!("refused: {e}")),
                    Outcome::Broken(e) => Verdict::skip(e),
                };
                run.record(&REDIRECT_CHECKED, v, vec![ex, ex2]);
            }
        }
    }

    // A replay on a code of its own: a server that does what RFC 6749
    // asks revokes the tokens of the first exchange, which later checks
    // must not be holding.
    if run.wants(&CODE_SINGLE_USE) || run.wants(&REPLAY_REVOKES) {
        replay_checks(run, authorize_url, token_url, client).await;
    }

    // One good exchange: its answer's fields and headers, and a refresh.
    // Later groups need this exchange's token whatever was selected here.
    const GOOD: [&super::super::catalogue::Check; 17] = [
        openid::CHECKS[0],
        openid::CHECKS[1],
        openid::CHECKS[2],
        openid::CHECKS[3],
        &RESPONSE_FIELDS,
        &RESPONSE_TYPES,
        &EXPIRES_IN,
        &NO_STORE,
        &PRAGMA,
        &TOKEN_CORS,
        &REFRESH_RESPONSE,
        &REFRESH_WITH_SCOPE,
        &LAUNCH_CONTEXT,
        &ID_TOKEN_VALID,
        &REFRESH,
        &REFRESH_ROTATES,
        &REFRESH_REUSE,
    ];
    // With --ehr, the EHR launch's code: the answer must carry its context.
    let code = match launched {
        Some(l) => Ok((l.code, l.verifier, l.evidence)),
        None => fresh_code(run, authorize_url, client).await,
    };
    let (code, verifier, ex) = match code {
        Ok(x) => x,
        Err((v, ex)) => {
            for c in GOOD {
                run.record(c, v.clone(), vec![ex.clone()]);
            }
            return Granted::none(Trial::Untried(v.reason().to_owned()));
        }
    };
    // The good exchange carries no Origin: a server that keeps an Origin
    // allow-list per client (oidc-provider does) refuses an unknown one,
    // and every later check needs these tokens.
    let good = TokenAttempt::code(client, &code, Some(&verifier));
    let (o, ex2, resp) = attempt_full(run, token_url, &good).await;
    let Some(resp) = resp.filter(|_| matches!(o, Outcome::Tokens)) else {
        let why = format!("the code exchange itself did not give tokens ({o:?})");
        for c in GOOD {
            run.record(c, Verdict::skip(why.clone()), vec![ex.clone(), ex2.clone()]);
        }
        let trial = match o {
            Outcome::Refused(e) => Trial::Refused(e, vec![ex2]),
            other => Trial::Untried(format!(
                "the code exchange gave no answer to judge ({other:?})"
            )),
        };
        return Granted::none(trial);
    };
    let body: Value = serde_json::from_slice(&resp.body).unwrap_or_default();
    let granted = Granted {
        access_token: body["access_token"].as_str().map(Secret::new),
        refresh_token: body["refresh_token"].as_str().map(Secret::new),
        patient: body["patient"].as_str().map(str::to_owned),
        scope: body["scope"].as_str().map(str::to_owned),
        exchange: Trial::Accepted(vec![ex2.clone()]),
        issued: Some(ex2.clone()),
    };
    run.record(&RESPONSE_FIELDS, response_fields(&body), vec![ex2.clone()]);
    run.record(&RESPONSE_TYPES, response_types(&body), vec![ex2.clone()]);
    run.record(&EXPIRES_IN, expires_in(&body), vec![ex2.clone()]);
    // CORS is judged on an exchange of its own, with an Origin, as a
    // browser app's would carry (Inferno judges this for public clients
    // only; a confidential client's is judged too, as a recommendation).
    // Its code is made up, so whatever it is refused for, no grant is spent.
    let probe = TokenAttempt {
        origin: Some(PROBE_ORIGIN),
        ..TokenAttempt::code(client, "smart-check-cors-probe", Some(&verifier))
    };
    let (_, ex_cors, cors_resp) = attempt_full(run, token_url, &probe).await;
    let v = match cors_resp {
        Some(r) => {
            let allow = r
                .headers
                .get(ACCESS_CONTROL_ALLOW_ORIGIN)
                .and_then(|v| v.to_str().ok());
            match cors_allows(allow) {
                Ok(m) => Verdict::met(m),
                Err(e) => Verdict::unmet(e),
            }
        }
        None => Verdict::skip("the token endpoint gave no answer to a request with an Origin"),
    };
    run.record(&TOKEN_CORS, v, vec![ex_cors]);
    run.record(&LAUNCH_CONTEXT, launch_context(&body), vec![ex2.clone()]);
    let v = id_token(run, &body, client, oidc).await;
    run.record(&ID_TOKEN_VALID, v.0, [vec![ex2.clone()], v.1].concat());
    openid::run(run, &body, client, granted.access_token.as_ref(), &ex2).await;
    granted
}

/// The refresh checks, on the good exchange's refresh token (after the
/// reads with its access token: a server may retire that token once it is
/// refreshed). Keeps the newest access token in `granted`.
pub async fn run_refresh(
    run: &mut Run<'_>,
    token_url: &Url,
    client: &Client,
    granted: &mut Granted,
) {
    // Without a good exchange the refresh checks were decided with it.
    let Some(issued) = granted.issued.clone() else {
        return;
    };
    // Every answer that carried a token, for the Pragma check.
    let mut answers = vec![("the code exchange", issued.clone())];
    match granted.refresh_token.take() {
        None => {
            let why = "no refresh token was issued (the scope asks for offline_access)";
            for c in [
                &REFRESH,
                &REFRESH_RESPONSE,
                &REFRESH_WITH_SCOPE,
                &REFRESH_ROTATES,
                &REFRESH_REUSE,
            ] {
                run.record(c, Verdict::skip(why), vec![issued.clone()]);
            }
        }
        Some(rt) => {
            let original = granted.scope.clone().unwrap_or_default();
            let (new, refreshed) =
                refresh_checks(run, token_url, client, rt.expose(), &issued, &original).await;
            answers.extend(refreshed);
            if let Some(new) = new {
                granted.access_token = Some(new);
            }
        }
    }
    let evidence: Vec<Exchange> = answers.iter().map(|(_, ex)| ex.clone()).collect();
    run.record(&NO_STORE, no_store(&answers), evidence.clone());
    run.record(&PRAGMA, pragma(&answers), evidence);
}

/// `Cache-Control: no-store` on every answer that carried a token (SMART's
/// token response section; Inferno asks it of refresh answers too).
fn no_store(answers: &[(&str, Exchange)]) -> Verdict {
    let mut wrong = Vec::new();
    for (what, ex) in answers {
        match header(ex, "cache-control") {
            Some(v)
                if v.split(',')
                    .any(|d| d.trim().eq_ignore_ascii_case("no-store")) => {}
            Some(v) => wrong.push(format!("Cache-Control: {v} on {what}")),
            None => wrong.push(format!("no Cache-Control on {what}")),
        }
    }
    if wrong.is_empty() {
        let all: Vec<&str> = answers.iter().map(|(what, _)| *what).collect();
        Verdict::met(format!("Cache-Control: no-store on {}", all.join(", ")))
    } else {
        Verdict::unmet(wrong.join("; "))
    }
}

/// A response header of an exchange (names compared case-insensitively).
fn header<'a>(ex: &'a Exchange, name: &str) -> Option<&'a str> {
    ex.response_headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// `Pragma: no-cache` on every answer that carried a token (RFC 6749
/// §5.1; SMART's token response section repeats it).
fn pragma(answers: &[(&str, Exchange)]) -> Verdict {
    let without: Vec<&str> = answers
        .iter()
        .filter(|(_, ex)| {
            !header(ex, "pragma").is_some_and(|v| v.to_ascii_lowercase().contains("no-cache"))
        })
        .map(|(what, _)| *what)
        .collect();
    let all: Vec<&str> = answers.iter().map(|(what, _)| *what).collect();
    if without.is_empty() {
        Verdict::met(format!("Pragma: no-cache on {}", all.join(", ")))
    } else {
        Verdict::unmet(format!("no Pragma: no-cache on {}", without.join(", ")))
    }
}

/// Exchanges a code twice; then reads with the first exchange's token.
async fn replay_checks(run: &mut Run<'_>, authorize_url: &Url, token_url: &Url, client: &Client) {
    let (code, verifier, ex) = match fresh_code(run, authorize_url, client).await {
        Ok(x) => x,
        Err((v, ex)) => {
            for c in [&CODE_SINGLE_USE, &REPLAY_REVOKES] {
                run.record(c, v.clone(), vec![ex.clone()]);
            }
            return;
        }
    };
    let first = TokenAttempt::code(client, &code, Some(&verifier));
    let (o, ex1, resp) = attempt_full(run, token_url, &first).await;
    let token = resp
        .filter(|_| matches!(o, Outcome::Tokens))
        .and_then(|r| serde_json::from_slice::<Value>(&r.body).ok())
        .and_then(|b| {
            Some((
                Secret::new(b["access_token"].as_str()?),
                b["patient"].as_str().map(str::to_owned),
            ))
        });
    let Some((token, patient)) = token else {
        let why = format!("the code exchange itself did not give tokens ({o:?})");
        for c in [&CODE_SINGLE_USE, &REPLAY_REVOKES] {
            run.record(c, Verdict::skip(why.clone()), vec![ex.clone(), ex1.clone()]);
        }
        return;
    };
    let (o, ex2) = attempt(run, token_url, &first).await;
    let refused = matches!(o, Outcome::Refused(_));
    let v = match o {
        Outcome::Tokens => Verdict::unmet("the same code was exchanged twice"),
        Outcome::Refused(e) => Verdict::met(format!("the replay was refused: {e}")),
        Outcome::Broken(e) => Verdict::skip(e),
    };
    run.record(&CODE_SINGLE_USE, v, vec![ex1, ex2.clone()]);
    if !refused {
        run.record(
            &REPLAY_REVOKES,
            Verdict::skip("the replay was not refused"),
            vec![],
        );
        return;
    }
    let (status, ex3) = read::read(run, &token, patient.as_deref()).await;
    let v = match status {
        Ok(401) => Verdict::met("the first exchange's access token now gets 401"),
        Ok(s) if (200..300).contains(&s) => Verdict::unmet(format!(
            "the first exchange's access token still reads ({s})"
        )),
        Ok(s) => Verdict::skip(format!("the read answered {s}")),
        Err(e) => Verdict::skip(format!("no answer: {e}")),
    };
    run.record(&REPLAY_REVOKES, v, vec![ex2, ex3]);
}

/// Refresh once (without `scope`), then once asking for a subset of the
/// scope, then try the rotated-out refresh token again. Returns the newest
/// access token and the refresh answers that carried a token.
async fn refresh_checks(
    run: &mut Run<'_>,
    token_url: &Url,
    client: &Client,
    old: &str,
    issued: &Exchange,
    original: &str,
) -> (Option<Secret>, Vec<(&'static str, Exchange)>) {
    let mut answers = Vec::new();
    let (first, ex) = refresh(run, token_url, client, old, None).await;
    let body = match first {
        Ok(b) => b,
        Err(why) => {
            run.record(
                &REFRESH,
                Verdict::unmet(why),
                vec![issued.clone(), ex.clone()],
            );
            for c in [
                &REFRESH_RESPONSE,
                &REFRESH_WITH_SCOPE,
                &REFRESH_ROTATES,
                &REFRESH_REUSE,
            ] {
                run.record(
                    c,
                    Verdict::skip("the refresh itself failed"),
                    vec![ex.clone()],
                );
            }
            return (None, answers);
        }
    };
    answers.push(("the refresh", ex.clone()));
    run.record(
        &REFRESH,
        Verdict::met("a new access token was issued"),
        vec![ex.clone()],
    );
    run.record(
        &REFRESH_RESPONSE,
        refresh_response(&body, original),
        vec![issued.clone(), ex.clone()],
    );
    let mut new_access = body["access_token"].as_str().map(Secret::new);
    let rotated = body["refresh_token"]
        .as_str()
        .filter(|new| *new != old)
        .map(str::to_owned);

    // The scoped refresh, on the live refresh token: what was granted
    // less offline/online_access (a subset that keeps every resource
    // scope, so that its access token serves the later checks).
    let live = rotated.as_deref().unwrap_or(old);
    let granted = body["scope"].as_str().unwrap_or(original);
    let asked: Vec<&str> = granted
        .split_whitespace()
        .filter(|s| !matches!(*s, "offline_access" | "online_access"))
        .collect();
    let asked = asked.join(" ");
    let (scoped, ex_s) = refresh(run, token_url, client, live, Some(&asked)).await;
    let v = match scoped {
        Err(why) => Verdict::unmet(format!("a refresh with scope `{asked}`: {why}")),
        Ok(b) => {
            answers.push(("the refresh with scope", ex_s.clone()));
            if let Some(t) = b["access_token"].as_str() {
                new_access = Some(Secret::new(t));
            }
            match b["scope"].as_str() {
                None => Verdict::unmet("the answer has no scope"),
                Some(got) => {
                    let extra = beyond(got, &asked);
                    if extra.is_empty() {
                        Verdict::met(format!("asked for `{asked}`, granted `{got}`"))
                    } else {
                        Verdict::unmet(format!(
                            "asked for `{asked}`, and the answer also grants {}",
                            extra.join(", ")
                        ))
                    }
                }
            }
        }
    };
    run.record(&REFRESH_WITH_SCOPE, v, vec![ex_s]);

    match rotated {
        Some(_) => {
            run.record(
                &REFRESH_ROTATES,
                Verdict::met("a new refresh token came back"),
                vec![ex.clone()],
            );
            let (again, ex2) = refresh(run, token_url, client, old, None).await;
            let v = match again {
                Ok(_) => Verdict::unmet("the rotated-out refresh token was accepted again"),
                Err(why) => Verdict::met(format!("refused: {why}")),
            };
            run.record(&REFRESH_REUSE, v, vec![ex2]);
        }
        None => {
            let why = if body["refresh_token"].is_string() {
                "the same refresh token came back"
            } else {
                "the refresh answer has no refresh token (the old one stays valid)"
            };
            run.record(&REFRESH_ROTATES, Verdict::unmet(why), vec![ex.clone()]);
            run.record(
                &REFRESH_REUSE,
                Verdict::skip("the refresh token is not rotated"),
                vec![],
            );
        }
    }
    (new_access, answers)
}

/// The scopes of `got` that `allowed` does not hold.
fn beyond<'a>(got: &'a str, allowed: &str) -> Vec<&'a str> {
    got.split_whitespace()
        .filter(|s| !allowed.split_whitespace().any(|a| a == *s))
        .collect()
}

/// A refresh answer as Inferno's `smart_token_refresh_body` judges it:
/// access_token, token_type Bearer, expires_in and scope present and of
/// their types, and no scope beyond the original grant.
fn refresh_response(body: &Value, original: &str) -> Verdict {
    let mut wrong = field_type_faults(body);
    for f in ["access_token", "token_type", "expires_in", "scope"] {
        if body[f].is_null() {
            wrong.push(format!("no {f}"));
        }
    }
    if let Some(t) = body["token_type"].as_str()
        && !t.eq_ignore_ascii_case("bearer")
    {
        wrong.push(format!("token_type is `{t}`"));
    }
    if let Some(got) = body["scope"].as_str() {
        let extra = beyond(got, original);
        if !extra.is_empty() {
            wrong.push(format!(
                "scope grants {} beyond the original `{original}`",
                extra.join(", ")
            ));
        }
    }
    if wrong.is_empty() {
        Verdict::met(
            "access_token, token_type Bearer, expires_in and scope (within the original grant)",
        )
    } else {
        Verdict::unmet(wrong.join("; "))
    }
}

/// A refresh as the client sends it: the answer's JSON, or why not.
async fn refresh(
    run: &Run<'_>,
    token_url: &Url,
    client: &Client,
    refresh_token: &str,
    scope: Option<&str>,
) -> (Result<Value, String>, Exchange) {
    let mut pairs = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
    ];
    pairs.extend(scope.map(|s| ("scope", s)));
    let req = match run
        .probe
        .client_form(token_url, &pairs, &client.auth, token_url)
    {
        Ok(r) => r,
        Err(e) => return (Err(e.message), unsent(token_url)),
    };
    let (resp, ex) = run.probe.send(req).await;
    let result = match resp {
        Err(e) => Err(format!("no answer: {}", e.message)),
        Ok(r) => {
            let body: Value = serde_json::from_slice(&r.body).unwrap_or_default();
            match (r.status.is_success(), body["access_token"].is_string()) {
                (true, true) => Ok(body),
                _ => Err(match super::super::probe::oauth_error(&body) {
                    Some(e) => format!("answered {} {e}", r.status.as_u16()),
                    None => format!("answered {} without a token", r.status.as_u16()),
                }),
            }
        }
    };
    (result, ex)
}

fn response_fields(body: &Value) -> Verdict {
    let mut wrong = Vec::new();
    match body["token_type"].as_str() {
        Some(t) if t.eq_ignore_ascii_case("bearer") => {}
        Some(t) => wrong.push(format!("token_type is `{t}`")),
        None => wrong.push("no token_type".to_owned()),
    }
    if !body["scope"].is_string() {
        wrong.push("no scope".to_owned());
    }
    if wrong.is_empty() {
        Verdict::met("token_type Bearer and scope are there")
    } else {
        Verdict::unmet(wrong.join("; "))
    }
}

/// Fields present with the wrong JSON type.
fn field_type_faults(body: &Value) -> Vec<String> {
    let mut wrong = Vec::new();
    let strings = [
        "access_token",
        "token_type",
        "scope",
        "refresh_token",
        "id_token",
        "patient",
        "encounter",
        "smart_style_url",
        "intent",
        "tenant",
        "fhirUser",
    ];
    for f in strings {
        let v = &body[f];
        if !v.is_null() && !v.is_string() {
            wrong.push(format!("{f} is {v}, not a string"));
        }
    }
    let v = &body["expires_in"];
    if !v.is_null() && !v.is_number() {
        wrong.push(format!("expires_in is {v}, not a number"));
    }
    let v = &body["need_patient_banner"];
    if !v.is_null() && !v.is_boolean() {
        wrong.push(format!("need_patient_banner is {v}, not a boolean"));
    }
    wrong
}

/// SMART 2.2 `fhirContext`: an array of objects, each with `reference`
/// (relative, Type/id), `canonical` (an absolute URL) or `identifier` (an
/// object); `type` and `role` strings.
fn fhir_context_faults(ctx: &Value) -> Vec<String> {
    let Some(items) = ctx.as_array() else {
        return match ctx {
            Value::Null => vec![],
            other => vec![format!("fhirContext is {other}, not an array")],
        };
    };
    let mut wrong = Vec::new();
    for item in items {
        let Some(o) = item.as_object() else {
            wrong.push(format!(
                "fhirContext item {item} is not an object (SMART 2.2 replaced the 2.0 strings)"
            ));
            continue;
        };
        let (r, c, i) = (o.get("reference"), o.get("canonical"), o.get("identifier"));
        if r.is_none() && c.is_none() && i.is_none() {
            wrong.push(format!(
                "fhirContext item {item} has none of reference, canonical, identifier"
            ));
        }
        if let Some(r) = r {
            let ok = r.as_str().is_some_and(|r| {
                !r.starts_with("http")
                    && r.split_once('/').is_some_and(|(t, id)| {
                        t.chars().next().is_some_and(|c| c.is_ascii_uppercase())
                            && !id.is_empty()
                            && id.len() <= 64
                            && id
                                .chars()
                                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
                    })
            });
            if !ok {
                wrong.push(format!(
                    "fhirContext reference {r} is not a relative Type/id reference"
                ));
            }
        }
        if let Some(c) = c
            && !c.as_str().is_some_and(|c| c.starts_with("http"))
        {
            wrong.push(format!("fhirContext canonical {c} is not a canonical URL"));
        }
        if let Some(i) = i
            && !i.is_object()
        {
            wrong.push(format!("fhirContext identifier {i} is not an object"));
        }
        for f in ["type", "role"] {
            if let Some(v) = o.get(f)
                && !v.is_string()
            {
                wrong.push(format!("fhirContext {f} {v} is not a string"));
            }
        }
    }
    wrong
}

/// Inferno's `smart_token_response_body_stu2_2`: the fields' types and
/// the 2.2 `fhirContext`.
fn response_types(body: &Value) -> Verdict {
    let mut wrong = field_type_faults(body);
    wrong.extend(fhir_context_faults(&body["fhirContext"]));
    if wrong.is_empty() {
        Verdict::met(match body["fhirContext"].as_array() {
            Some(a) => format!(
                "every field of its type; fhirContext holds {} 2.2 object(s)",
                a.len()
            ),
            None => "every field of its type".to_owned(),
        })
    } else {
        Verdict::unmet(wrong.join("; "))
    }
}

fn granted_scopes(body: &Value) -> Vec<&str> {
    body["scope"]
        .as_str()
        .unwrap_or_default()
        .split_whitespace()
        .collect()
}

fn launch_context(body: &Value) -> Verdict {
    let scopes = granted_scopes(body);
    if !scopes.contains(&"launch/patient") && scopes.contains(&"launch") {
        // An EHR launch: the EHR's context (a chart open, an encounter),
        // whichever it is, comes with the token.
        return match (&body["patient"], &body["encounter"], &body["fhirContext"]) {
            (Value::String(p), ..) if !p.is_empty() => Verdict::met(format!("patient: {p}")),
            (Value::Null, Value::String(e), _) if !e.is_empty() => {
                Verdict::met(format!("encounter: {e}"))
            }
            (Value::Null, Value::Null, Value::Null) => Verdict::unmet(
                "an EHR launch was granted and the answer carries no context (patient, encounter or fhirContext)",
            ),
            (Value::Null, Value::Null, _) => Verdict::met("fhirContext"),
            (p, e, _) => Verdict::unmet(format!(
                "patient ({p}) and encounter ({e}) must be string ids"
            )),
        };
    }
    if !scopes.contains(&"launch/patient") {
        return Verdict::skip("launch/patient was not granted");
    }
    match &body["patient"] {
        Value::String(p) if !p.is_empty() => Verdict::met(format!("patient: {p}")),
        Value::Null => Verdict::unmet("launch/patient was granted and the answer has no patient"),
        other => Verdict::unmet(format!("patient is {other}, not a string id")),
    }
}

/// Verifies the answer's id_token with the JWKS (fetched through the probe,
/// so that it is part of the evidence).
async fn id_token(
    run: &Run<'_>,
    body: &Value,
    client: &Client,
    oidc: Option<&Oidc>,
) -> (Verdict, Vec<Exchange>) {
    if !client.scope.split_whitespace().any(|s| s == "openid") {
        return (Verdict::skip("openid was not asked for"), vec![]);
    }
    let Some(token) = body["id_token"].as_str() else {
        return (
            Verdict::unmet("openid was asked for and the answer has no id_token"),
            vec![],
        );
    };
    let Some(oidc) = oidc else {
        return (
            // discovery.openid-fields (or discovery.well-known) is where
            // the missing fields are reported.
            Verdict::skip(
                "an id_token came, and there is no configuration issuer and jwks_uri to check it with",
            ),
            vec![],
        );
    };
    let req = run
        .probe
        .http()
        .request(Method::GET, oidc.jwks_uri.clone())
        .header(ACCEPT, "application/json");
    let (resp, ex) = run.probe.send(req).await;
    let jwks = resp
        .ok()
        .filter(|r| r.status.is_success())
        .and_then(|r| serde_json::from_slice::<jsonwebtoken::jwk::JwkSet>(&r.body).ok());
    let Some(jwks) = jwks else {
        return (Verdict::unmet("the jwks_uri gives no JWK set"), vec![ex]);
    };
    let expect = crate::oauth::id_token::Expect {
        issuer: &oidc.issuer,
        client_id: client.client_id(),
        nonce: None,
    };
    let v = match crate::oauth::id_token::verify(&Secret::new(token), &jwks, &expect) {
        Ok(claims) => Verdict::met(format!(
            "signed by a published key; iss, aud, exp and sub check out (sub {})",
            claims.get("sub").and_then(Value::as_str).unwrap_or("?")
        )),
        Err(e) => Verdict::unmet(e.message),
    };
    (v, vec![ex])
}

fn expires_in(body: &Value) -> Verdict {
    match &body["expires_in"] {
        v if v.is_u64() => Verdict::met(format!("expires_in: {v}")),
        Value::Null => Verdict::unmet("no expires_in"),
        other => Verdict::unmet(format!("expires_in is {other}, not a number of seconds")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn response_fields_name_what_is_missing() {
        let v = response_fields(&json!({"access_token": "a", "token_type": "mac"}));
        assert_eq!(v, Verdict::unmet("token_type is `mac`; no scope"));
        let v = expires_in(&json!({"expires_in": "3600"}));
        assert_eq!(
            v,
            Verdict::unmet("expires_in is \"3600\", not a number of seconds")
        );
        let v =
            response_fields(&json!({"token_type": "Bearer", "expires_in": 300, "scope": "openid"}));
        assert!(matches!(v, Verdict::Met(_)));
    }

    #[test]
    fn fhir_context_must_be_2_2_objects() {
        let ok = json!({"access_token": "a", "token_type": "Bearer", "scope": "s", "expires_in": 60,
            "need_patient_banner": true,
            "fhirContext": [{"reference": "Patient/p-1", "role": "launch"},
                {"canonical": "http://x.org/Questionnaire/q|1", "type": "Questionnaire"},
                {"identifier": {"value": "1"}, "type": "Encounter"}]});
        assert!(
            matches!(response_types(&ok), Verdict::Met(_)),
            "{:?}",
            response_types(&ok)
        );
        let v =
            response_types(&json!({"fhirContext": ["Patient/1"], "need_patient_banner": "yes"}));
        let Verdict::Unmet(why) = v else {
            panic!("{v:?}")
        };
        assert!(
            why.contains("not an object") && why.contains("need_patient_banner"),
            "{why}"
        );
        let v = response_types(
            &json!({"fhirContext": [{"reference": "https://x/Patient/1"}, {"type": "Patient"}]}),
        );
        let Verdict::Unmet(why) = v else {
            panic!("{v:?}")
        };
        assert!(
            why.contains("not a relative") && why.contains("none of"),
            "{why}"
        );
    }

    #[test]
    fn a_refresh_answer_needs_its_fields_and_no_wider_scope() {
        let body = json!({"access_token": "a", "token_type": "bearer", "expires_in": 60,
            "scope": "openid patient/*.rs"});
        assert!(matches!(
            refresh_response(&body, "openid patient/*.rs offline_access"),
            Verdict::Met(_)
        ));
        let body = json!({"access_token": "a", "token_type": "Bearer", "expires_in": "60",
            "scope": "openid user/*.rs"});
        let Verdict::Unmet(why) = refresh_response(&body, "openid patient/*.rs") else {
            panic!()
        };
        assert!(
            why.contains("expires_in is \"60\"") && why.contains("user/*.rs beyond"),
            "{why}"
        );
        assert_eq!(beyond("a b c", "c a"), vec!["b"]);
    }

    #[test]
    fn no_store_is_wanted_on_every_answer() {
        let with = |v: Option<&str>| Exchange {
            method: "POST".into(),
            url: "http://127.0.0.1/token".into(),
            request_headers: vec![],
            request_body: None,
            status: Some(200),
            response_headers: v
                .map(|v| ("Cache-Control".to_owned(), v.to_owned()))
                .into_iter()
                .collect(),
            response_body: None,
            error: None,
        };
        let good = ("the code exchange", with(Some("private, No-Store")));
        assert!(matches!(
            no_store(std::slice::from_ref(&good)),
            Verdict::Met(_)
        ));
        let v = no_store(&[good.clone(), ("a refresh", with(Some("max-age=60")))]);
        assert!(
            matches!(&v, Verdict::Unmet(w) if w == "Cache-Control: max-age=60 on a refresh"),
            "{v:?}"
        );
        let v = no_store(&[good, ("a refresh", with(None))]);
        assert!(
            matches!(&v, Verdict::Unmet(w) if w == "no Cache-Control on a refresh"),
            "{v:?}"
        );
    }

    #[test]
    fn pragma_is_wanted_on_every_answer() {
        let with = |v: Option<&str>| Exchange {
            method: "POST".into(),
            url: "http://127.0.0.1/token".into(),
            request_headers: vec![],
            request_body: None,
            status: Some(200),
            response_headers: v
                .map(|v| ("pragma".to_owned(), v.to_owned()))
                .into_iter()
                .collect(),
            response_body: None,
            error: None,
        };
        let v = pragma(&[
            ("the code exchange", with(Some("no-cache"))),
            ("the refresh", with(None)),
        ]);
        assert_eq!(v, Verdict::unmet("no Pragma: no-cache on the refresh"));
        assert!(matches!(
            pragma(&[("x", with(Some("No-Cache")))]),
            Verdict::Met(_)
        ));
    }
}
