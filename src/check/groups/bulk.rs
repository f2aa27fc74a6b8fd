//! The `bulk` group (Bulk Data Access 2.0, with the backend client's
//! token): what Inferno's `bulk_data_v200` suite tests at each export
//! level, and more. Each level asked for (`--bulk-level`; by default those
//! the CapabilityStatement declares) runs on its own, all at once: one
//! export job of a small `_type` list that most checks judge (polled while
//! the short-lived kick-offs of the parameter checks are sent, each
//! DELETEd at once), then its files, then its DELETE. A check's verdict is
//! the worst of its levels'.

use std::collections::BTreeSet;
use std::time::Duration;

use reqwest::Method;
use serde_json::Value;
use url::Url;

use super::super::catalogue::{
    BULK_CANCEL, BULK_CANCELLED_GONE, BULK_COUNT, BULK_FILE_TOKEN, BULK_FILES_GONE, BULK_FORMATS,
    BULK_INSTANTIATES, BULK_KICKOFF, BULK_KICKOFF_TOKEN, BULK_NDJSON, BULK_OPERATION,
    BULK_OUTPUT_ENTRIES, BULK_PATIENTS, BULK_POST, BULK_SINCE, BULK_STATUS_COMPLETE, BULK_TLS,
    BULK_TYPES, BULK_UNSUPPORTED, Check,
};
use super::super::flow::bulk::{self as flow, Kicked, Polled};
use super::super::model::Verdict;
use super::super::probe::{Exchange, Probe};
use super::super::run::Run;
use crate::bulk::manifest::Manifest;
use crate::bulk::ndjson::Checker;
use crate::bulk::request::{ExportRequest, Level, OUTPUT_FORMATS};
use crate::discovery::FhirBase;
use crate::secret::Secret;

/// Every check of the group, in catalogue order.
pub const CHECKS: [&Check; 19] = [
    &BULK_OPERATION,
    &BULK_INSTANTIATES,
    &BULK_TLS,
    &BULK_KICKOFF_TOKEN,
    &BULK_KICKOFF,
    &BULK_STATUS_COMPLETE,
    &BULK_OUTPUT_ENTRIES,
    &BULK_FILE_TOKEN,
    &BULK_NDJSON,
    &BULK_PATIENTS,
    &BULK_CANCEL,
    &BULK_CANCELLED_GONE,
    &BULK_FORMATS,
    &BULK_SINCE,
    &BULK_COUNT,
    &BULK_TYPES,
    &BULK_UNSUPPORTED,
    &BULK_POST,
    &BULK_FILES_GONE,
];

/// The checks judged from the one export job of a level.
const FROM_THE_JOB: [&Check; 10] = [
    &BULK_TLS,
    &BULK_KICKOFF,
    &BULK_STATUS_COMPLETE,
    &BULK_OUTPUT_ENTRIES,
    &BULK_FILE_TOKEN,
    &BULK_NDJSON,
    &BULK_PATIENTS,
    &BULK_COUNT,
    &BULK_TYPES,
    &BULK_FILES_GONE,
];

/// The types the job asks for: small, and enough for two checks (at least
/// two Patients; only the types asked for).
const TYPES: [&str; 2] = ["Patient", "Observation"];

/// The IG's CapabilityStatement, which a server `instantiates`.
const BULK_DATA_CS: &str = "http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data";

/// Why a kick-off with the backend client's fresh token answered 401 is
/// not judged: the token checks judge the token.
const TOKEN_REFUSED: &str =
    "the backend client's token was refused (401), so the export was not judged";

/// Why the kick-offs that are cancelled at once were not sent.
const NOT_CANCELLABLE: &str = "not sent: this server's export jobs cannot be cancelled (no status URL, or DELETE refused), so each kick-off would leave a job running";

/// An unknown kick-off parameter (bulk.unsupported-param).
const UNSUPPORTED_PARAM: &str = "smartCheckUnsupported";

/// What the group is given.
pub struct Given<'a> {
    /// The CapabilityStatement, when `/metadata` gave one.
    pub capability_statement: Option<&'a Value>,
    /// The backend client's token, or why there is none.
    pub token: Result<&'a Secret, String>,
    /// `--bulk-level`: empty for the levels the CapabilityStatement declares.
    pub levels: &'a [Level],
    /// `--bulk-timeout`: how long a job may take to complete.
    pub timeout: Duration,
}

/// One check's verdict at one level.
type Finding = (&'static Check, Verdict, Vec<Exchange>);

pub async fn run(run: &mut Run<'_>, given: Given<'_>) {
    if !CHECKS.iter().any(|c| run.wants(c)) {
        return;
    }
    let cs = given.capability_statement;
    let declared = cs.map(declared_levels).unwrap_or_default();
    // The levels to run, and the group level left out for want of an id.
    let (levels, mut notes) = if given.levels.is_empty() {
        let mut notes = Vec::new();
        let mut levels: Vec<Level> = declared
            .iter()
            .filter(|l| !matches!(l, Level::Group(_)))
            .cloned()
            .collect();
        if declared.iter().any(|l| matches!(l, Level::Group(_))) {
            notes.push(
                "Group export is declared but not checked: pass --bulk-level group:ID".to_owned(),
            );
        }
        if levels.is_empty() {
            // Nothing declared: the system level is tried all the same, so
            // that the other checks still say what the server does.
            levels.push(Level::System);
        }
        (levels, notes)
    } else {
        (given.levels.to_vec(), Vec::new())
    };

    let instantiates = match cs {
        None => Verdict::skip("no CapabilityStatement to read"),
        Some(cs) => instantiates(cs),
    };
    run.record(&BULK_INSTANTIATES, instantiates, vec![]);
    let declared_verdict = match cs {
        None => Verdict::skip("no CapabilityStatement to read"),
        Some(_) => {
            let missing: Vec<String> = levels
                .iter()
                .filter(|l| !declared.iter().any(|d| same_kind(d, l)))
                .map(label)
                .collect();
            if missing.is_empty() {
                Verdict::met(format!(
                    "export declared at {}",
                    levels.iter().map(label).collect::<Vec<_>>().join(", ")
                ))
            } else if declared.is_empty() {
                Verdict::unmet(
                    "the CapabilityStatement declares no export operation (the system level was checked anyway)",
                )
            } else {
                Verdict::unmet(format!("not declared at {}", missing.join(", ")))
            }
        }
    };
    run.record(&BULK_OPERATION, declared_verdict, vec![]);

    let token = match given.token {
        Ok(t) => t,
        Err(why) => {
            for c in &CHECKS[2..] {
                run.record(c, Verdict::skip(why.clone()), vec![]);
            }
            return;
        }
    };
    let wants: BTreeSet<&'static str> = CHECKS
        .iter()
        .filter(|c| run.wants(c))
        .map(|c| c.id)
        .collect();
    let (probe, base) = (run.probe, run.base);
    let per_level = futures_util::future::join_all(levels.iter().map(|l| async {
        let found = one_level(probe, base, &wants, token, l, given.timeout).await;
        (label(l), found)
    }))
    .await;
    if levels.len() > 1 {
        notes.push(format!(
            "levels: {}",
            levels.iter().map(label).collect::<Vec<_>>().join(", ")
        ));
    }
    for c in &CHECKS[2..] {
        let found: Vec<(String, Verdict, Vec<Exchange>)> = per_level
            .iter()
            .flat_map(|(l, fs)| {
                fs.iter()
                    .filter(|(fc, _, _)| fc.id == c.id)
                    .map(|(_, v, e)| (l.clone(), v.clone(), e.clone()))
            })
            .collect();
        let (verdict, evidence) = combine(found, levels.len() > 1);
        let verdict = match (&verdict, notes.is_empty()) {
            (_, true) => verdict,
            (Verdict::Skip(_), _) => verdict,
            _ => verdict.with_note(&notes.join("; ")),
        };
        run.record(c, verdict, evidence);
    }
}

/// One verdict from a check's verdicts at each level: unmet if any level's
/// is, else met if any is, else skipped; the reasons named by level.
fn combine(
    found: Vec<(String, Verdict, Vec<Exchange>)>,
    name_levels: bool,
) -> (Verdict, Vec<Exchange>) {
    if found.is_empty() {
        return (Verdict::skip("not run at any level"), vec![]);
    }
    let reason = |v: &Verdict, l: &str| {
        if name_levels {
            format!("{l}: {}", v.reason())
        } else {
            v.reason().to_owned()
        }
    };
    let pick = |want: fn(&Verdict) -> bool| -> Vec<String> {
        found
            .iter()
            .filter(|(_, v, _)| want(v))
            .map(|(l, v, _)| reason(v, l))
            .collect()
    };
    let unmet = pick(|v| matches!(v, Verdict::Unmet(_)));
    let met = pick(|v| matches!(v, Verdict::Met(_)));
    let skipped = pick(|v| matches!(v, Verdict::Skip(_)));
    let evidence: Vec<Exchange> = found.into_iter().flat_map(|(_, _, e)| e).collect();
    let verdict = if !unmet.is_empty() {
        Verdict::unmet(unmet.join("; "))
    } else if !met.is_empty() {
        let mut all = met;
        all.extend(skipped);
        Verdict::met(all.join("; "))
    } else {
        Verdict::skip(skipped.join("; "))
    };
    (verdict, evidence)
}

fn label(l: &Level) -> String {
    match l {
        Level::System => "system level".to_owned(),
        Level::Patient => "patient level".to_owned(),
        Level::Group(id) => format!("Group/{id}"),
    }
}

fn same_kind(a: &Level, b: &Level) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}

/// The levels whose `$export` the CapabilityStatement declares (an
/// operation named `export` where Inferno looks: `rest.operation` for the
/// system level, the Patient and Group resources' `operation`). A declared
/// Group export comes with an empty id.
pub fn declared_levels(cs: &Value) -> Vec<Level> {
    let has_export = |ops: Option<&Value>| {
        ops.and_then(Value::as_array)
            .is_some_and(|a| a.iter().any(|o| o["name"].as_str() == Some("export")))
    };
    let mut out = Vec::new();
    let rests = cs["rest"].as_array().cloned().unwrap_or_default();
    if rests.iter().any(|r| has_export(r.get("operation"))) {
        out.push(Level::System);
    }
    let on = |t: &str| {
        rests.iter().any(|r| {
            r["resource"].as_array().is_some_and(|rs| {
                rs.iter()
                    .any(|x| x["type"].as_str() == Some(t) && has_export(x.get("operation")))
            })
        })
    };
    if on("Patient") {
        out.push(Level::Patient);
    }
    if on("Group") {
        out.push(Level::Group(String::new()));
    }
    out
}

fn instantiates(cs: &Value) -> Verdict {
    let list: Vec<&str> = cs["instantiates"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    // The canonical, optionally with `|version`.
    let ok = list.iter().any(|c| {
        c.strip_prefix(BULK_DATA_CS)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('|'))
    });
    if ok {
        Verdict::met(format!("instantiates {BULK_DATA_CS}"))
    } else {
        Verdict::unmet(format!(
            "CapabilityStatement.instantiates ({}) does not name {BULK_DATA_CS}",
            if list.is_empty() {
                "absent".to_owned()
            } else {
                list.join(", ")
            }
        ))
    }
}

/// A kick-off request at `level` for `types`.
fn request(level: &Level, types: &[&str]) -> ExportRequest {
    let mut r = ExportRequest::everything();
    r.level = level.clone();
    r.types = types.iter().map(|t| t.to_string()).collect();
    r
}

/// An answer's status and, when it has one, its first OperationOutcome
/// issue: `400 (error [invalid] …)`.
fn said(k: &Kicked) -> String {
    match &k.answer {
        Err(e) => format!("no answer ({e})"),
        Ok(r) => {
            let issue = crate::fhir::outcome::parse_outcome(&r.body)
                .and_then(|o| crate::fhir::outcome::issue_lines(&o).into_iter().next());
            match issue {
                Some(i) => format!("{} ({})", r.status.as_u16(), shorten(&i)),
                None => r.status.as_u16().to_string(),
            }
        }
    }
}

fn shorten(s: &str) -> String {
    let s: String = s.chars().take(160).collect();
    crate::redact::printable(&s).into_owned()
}

/// Whether a body is a JSON OperationOutcome.
fn is_outcome(body: &[u8]) -> bool {
    crate::fhir::outcome::parse_outcome(body).is_some()
}

/// A kick-off that should start a job: 202 (the job DELETEd at once, so
/// that it costs the server nothing). `Ok(note)`, `Err(Verdict)` when not.
async fn accepted(
    probe: &Probe,
    token: &Secret,
    k: &Kicked,
    what: &str,
) -> Result<String, Verdict> {
    match k.status() {
        Some(202) => {
            if let Some(job) = &k.job {
                let _ = flow::status_request(probe, Method::DELETE, job, token).await;
            }
            Ok(format!("{what}: 202"))
        }
        // Busy is no refusal of the parameter: not judged.
        Some(429) | Some(503) => Err(Verdict::skip(format!(
            "{what}: the server is busy ({}); not judged",
            said(k)
        ))),
        Some(401) => Err(Verdict::skip(format!("{what}: {TOKEN_REFUSED}"))),
        _ => Err(Verdict::unmet(format!(
            "{what}: answered {}, not 202",
            said(k)
        ))),
    }
}

/// The checks at one level.
async fn one_level(
    probe: &Probe,
    base: &FhirBase,
    wants: &BTreeSet<&'static str>,
    token: &Secret,
    level: &Level,
    timeout: Duration,
) -> Vec<Finding> {
    let want = |c: &Check| wants.contains(c.id);
    let mut out: Vec<Finding> = Vec::new();
    let job_wanted = FROM_THE_JOB.iter().any(|c| want(c));
    // The job first: it runs while the other kick-offs are sent.
    let main_req = request(level, &TYPES);
    let main = if job_wanted {
        Some(flow::kick_off(probe, base, &main_req, Some(token)).await)
    } else {
        None
    };

    if want(&BULK_KICKOFF_TOKEN) {
        let k = flow::kick_off(probe, base, &request(level, &["Patient"]), None).await;
        let v = match k.status() {
            Some(400) | Some(401) => Verdict::met(format!("refused: {}", said(&k))),
            Some(202) => {
                if let Some(job) = &k.job {
                    let _ = flow::status_request(probe, Method::DELETE, job, token).await;
                }
                Verdict::unmet("a kick-off without a token was accepted (202)")
            }
            _ => Verdict::unmet(format!("answered {}, not 400 or 401", said(&k))),
        };
        out.push((&BULK_KICKOFF_TOKEN, v, vec![k.exchange]));
    }
    // Before the kick-offs that are DELETEd at once: where a job cannot be
    // cancelled (no status URL, or DELETE refused) they are not sent, as
    // each would be left running (and the server may refuse more, 429).
    let mut cancellable = main
        .as_ref()
        .is_none_or(|m| m.status() != Some(202) || m.job.is_some());
    if want(&BULK_CANCEL) || want(&BULK_CANCELLED_GONE) {
        let (found, works) = cancel(probe, base, token, level).await;
        out.extend(found);
        cancellable &= works;
    }
    if !cancellable {
        for c in [&BULK_FORMATS, &BULK_SINCE, &BULK_UNSUPPORTED, &BULK_POST] {
            if want(c) {
                out.push((c, Verdict::skip(NOT_CANCELLABLE), vec![]));
            }
        }
        if let Some(main) = main {
            out.extend(the_job(probe, base, token, main, timeout).await);
        }
        return out;
    }
    if want(&BULK_FORMATS) {
        let mut evidence = Vec::new();
        let (mut ok, mut bad, mut busy) = (Vec::new(), Vec::new(), Vec::new());
        for f in OUTPUT_FORMATS {
            let mut r = request(level, &["Patient"]);
            r.output_format = f.to_string();
            let k = flow::kick_off(probe, base, &r, Some(token)).await;
            match accepted(probe, token, &k, &format!("_outputFormat={f}")).await {
                Ok(n) => ok.push(n),
                Err(Verdict::Skip(s)) => busy.push(s),
                Err(v) => bad.push(v.reason().to_owned()),
            }
            evidence.push(k.exchange);
        }
        let v = if !bad.is_empty() {
            Verdict::unmet(bad.join("; "))
        } else if !busy.is_empty() {
            Verdict::skip(busy.join("; "))
        } else {
            Verdict::met(ok.join(", "))
        };
        out.push((&BULK_FORMATS, v, evidence));
    }
    if want(&BULK_SINCE) {
        let mut r = request(level, &["Patient"]);
        r.since = Some(week_ago());
        let k = flow::kick_off(probe, base, &r, Some(token)).await;
        let what = format!("_since={}", r.since.as_deref().unwrap_or(""));
        let v = accepted(probe, token, &k, &what)
            .await
            .map_or_else(|v| v, Verdict::met);
        out.push((&BULK_SINCE, v, vec![k.exchange]));
    }
    if want(&BULK_UNSUPPORTED) {
        let mut r = request(level, &["Patient"]);
        r.extra = vec![(UNSUPPORTED_PARAM.to_owned(), "1".to_owned())];
        let strict = flow::kick_off(probe, base, &r, Some(token)).await;
        r.lenient = true;
        let lenient = flow::kick_off(probe, base, &r, Some(token)).await;
        let strict_v = match (strict.status(), &strict.answer) {
            (Some(400), Ok(resp)) if is_outcome(&resp.body) => Ok(format!(
                "without Prefer: handling=lenient: {}",
                said(&strict)
            )),
            (Some(400), _) => Err(Verdict::unmet(
                "refused with 400 but no OperationOutcome in the body",
            )),
            (Some(202), _) => {
                if let Some(job) = &strict.job {
                    let _ = flow::status_request(probe, Method::DELETE, job, token).await;
                }
                Err(Verdict::unmet(format!(
                    "{UNSUPPORTED_PARAM}=1 was accepted (202) without Prefer: handling=lenient"
                )))
            }
            (Some(429) | Some(503), _) => Err(Verdict::skip(format!(
                "the server is busy ({}); not judged",
                said(&strict)
            ))),
            (Some(401), _) => Err(Verdict::skip(TOKEN_REFUSED)),
            _ => Err(Verdict::unmet(format!(
                "without Prefer: handling=lenient: answered {}, not 400",
                said(&strict)
            ))),
        };
        let lenient_v = accepted(probe, token, &lenient, "with Prefer: handling=lenient").await;
        let v = match (strict_v, lenient_v) {
            (Err(v @ Verdict::Unmet(_)), _) | (_, Err(v @ Verdict::Unmet(_))) => v,
            (Err(v), _) | (_, Err(v)) => v,
            (Ok(a), Ok(b)) => Verdict::met(format!("{a}; {b}")),
        };
        out.push((
            &BULK_UNSUPPORTED,
            v,
            vec![strict.exchange, lenient.exchange],
        ));
    }
    if want(&BULK_POST) {
        let mut r = request(level, &["Patient"]);
        r.post = true;
        let k = flow::kick_off(probe, base, &r, Some(token)).await;
        let v = accepted(probe, token, &k, "POST with a Parameters body")
            .await
            .map_or_else(|v| v, Verdict::met);
        out.push((&BULK_POST, v, vec![k.exchange]));
    }
    if let Some(main) = main {
        out.extend(the_job(probe, base, token, main, timeout).await);
    }
    out
}

/// A week ago, as a FHIR instant.
fn week_ago() -> String {
    let t = time::OffsetDateTime::now_utc() - time::Duration::days(7);
    let t = t.replace_nanosecond(0).unwrap_or(t);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "2024-01-01T00:00:00Z".to_owned())
}

/// Inferno's cancel tests: DELETE of a job just started → 202; its status
/// URL then → 404 with an OperationOutcome. Also whether jobs can be
/// cancelled here at all.
async fn cancel(
    probe: &Probe,
    base: &FhirBase,
    token: &Secret,
    level: &Level,
) -> (Vec<Finding>, bool) {
    let k = flow::kick_off(probe, base, &request(level, &["Patient"]), Some(token)).await;
    let job = match (&k.job, k.status()) {
        (Some(job), Some(202)) => job.clone(),
        (job, status) => {
            let why = match status {
                Some(401) => TOKEN_REFUSED.to_owned(),
                _ => format!(
                    "the kick-off to cancel answered {}, without a job",
                    said(&k)
                ),
            };
            // A job started without a status URL cannot be cancelled.
            let works = !(status == Some(202) && job.is_none());
            return (
                vec![
                    (
                        &BULK_CANCEL,
                        Verdict::skip(why.clone()),
                        vec![k.exchange.clone()],
                    ),
                    (&BULK_CANCELLED_GONE, Verdict::skip(why), vec![k.exchange]),
                ],
                works,
            );
        }
    };
    let (resp, del) = flow::status_request(probe, Method::DELETE, &job, token).await;
    let deleted = matches!(&resp, Ok(r) if r.status.as_u16() == 202);
    let cancel_v = match &resp {
        Ok(r) if r.status.as_u16() == 202 => Verdict::met("DELETE of the running job: 202"),
        Ok(r) => Verdict::unmet(format!(
            "DELETE of the running job answered {}, not 202",
            r.status.as_u16()
        )),
        Err(e) => Verdict::unmet(format!("DELETE of the running job: no answer ({e})")),
    };
    let gone = if deleted {
        let (resp, ex) = flow::status_request(probe, Method::GET, &job, token).await;
        let v = match &resp {
            Ok(r) if r.status.as_u16() == 404 && is_outcome(&r.body) => {
                Verdict::met("after DELETE the status URL answers 404 with an OperationOutcome")
            }
            Ok(r) if r.status.as_u16() == 404 => Verdict::unmet(
                "after DELETE the status URL answers 404 without an OperationOutcome",
            ),
            Ok(r) => Verdict::unmet(format!(
                "after DELETE the status URL answers {}, not 404",
                r.status.as_u16()
            )),
            Err(e) => Verdict::unmet(format!("after DELETE: no answer ({e})")),
        };
        (&BULK_CANCELLED_GONE, v, vec![del.clone(), ex])
    } else {
        (
            &BULK_CANCELLED_GONE,
            Verdict::skip("the DELETE was not accepted"),
            vec![del.clone()],
        )
    };
    (
        vec![(&BULK_CANCEL, cancel_v, vec![k.exchange, del]), gone],
        deleted,
    )
}

/// The verdicts judged from the level's export job.
async fn the_job(
    probe: &Probe,
    base: &FhirBase,
    token: &Secret,
    main: Kicked,
    timeout: Duration,
) -> Vec<Finding> {
    let mut out: Vec<Finding> = Vec::new();
    let skip_rest = |out: &mut Vec<Finding>, why: &str| {
        for c in FROM_THE_JOB {
            if !out.iter().any(|(d, _, _)| d.id == c.id) {
                out.push((c, Verdict::skip(why), vec![]));
            }
        }
    };
    let kicked = vec![main.exchange.clone()];
    let job = match (main.status(), &main.job) {
        (Some(202), Some(job)) => {
            let note = if main
                .answer
                .as_ref()
                .ok()
                .and_then(|r| r.headers.get(reqwest::header::CONTENT_LOCATION))
                .and_then(|v| v.to_str().ok())
                .is_some_and(|l| Url::parse(l).is_ok())
            {
                ""
            } else {
                " (relative: the IG asks for an absolute URL)"
            };
            out.push((
                &BULK_KICKOFF,
                Verdict::met(format!("202 with Content-Location {job}{note}")),
                kicked,
            ));
            job.clone()
        }
        (Some(202), None) => {
            out.push((
                &BULK_KICKOFF,
                Verdict::unmet("202 without a Content-Location (the job's status URL)"),
                kicked,
            ));
            skip_rest(&mut out, "the kick-off gave no status URL");
            return out;
        }
        (Some(429) | Some(503), _) => {
            let why = format!("the server is busy ({}); not judged", said(&main));
            skip_rest(&mut out, &why);
            return out;
        }
        (Some(401), _) => {
            skip_rest(&mut out, TOKEN_REFUSED);
            return out;
        }
        _ => {
            out.push((
                &BULK_KICKOFF,
                Verdict::unmet(format!("answered {}, not 202", said(&main))),
                kicked,
            ));
            skip_rest(&mut out, "the kick-off did not start a job");
            return out;
        }
    };

    let (polled, last) = flow::poll(probe, &job, token, timeout).await;
    let last: Vec<Exchange> = last.into_iter().collect();
    let (answer, polls) = match polled {
        Polled::Complete { answer, polls } => (answer, polls),
        Polled::Failed(why) => {
            out.push((
                &BULK_STATUS_COMPLETE,
                Verdict::unmet(format!("the job failed: {why}")),
                last,
            ));
            skip_rest(&mut out, "the job did not complete");
            return out;
        }
        Polled::TimedOut(why) => {
            out.push((&BULK_STATUS_COMPLETE, Verdict::skip(why.clone()), last));
            skip_rest(&mut out, &why);
            let _ = flow::status_request(probe, Method::DELETE, &job, token).await;
            return out;
        }
    };
    let body: Value = serde_json::from_slice(&answer.body).unwrap_or(Value::Null);
    let mut wrong = Vec::new();
    if !answer
        .content_type()
        .is_some_and(|ct| ct.to_ascii_lowercase().contains("application/json"))
    {
        wrong.push(format!(
            "Content-Type is {}, not application/json",
            answer.content_type().unwrap_or("absent")
        ));
    }
    if !body.is_object() {
        wrong.push("the body is not a JSON object".to_owned());
    } else {
        let missing: Vec<&str> = [
            "transactionTime",
            "request",
            "requiresAccessToken",
            "output",
            "error",
        ]
        .into_iter()
        .filter(|k| body.get(k).is_none())
        .collect();
        if !missing.is_empty() {
            wrong.push(format!("the manifest has no {}", missing.join(", ")));
        }
    }
    out.push((
        &BULK_STATUS_COMPLETE,
        if wrong.is_empty() {
            Verdict::met(format!(
                "complete after {polls} poll{}, with every required field",
                if polls == 1 { "" } else { "s" }
            ))
        } else {
            Verdict::unmet(wrong.join("; "))
        },
        last.clone(),
    ));
    let manifest = match Manifest::parse("the manifest", &answer.body) {
        Ok(m) => m,
        Err(e) => {
            skip_rest(
                &mut out,
                &format!("the manifest does not parse: {}", e.message),
            );
            let _ = flow::status_request(probe, Method::DELETE, &job, token).await;
            return out;
        }
    };

    // Output entries: a type and an absolute URL each (read from the JSON,
    // where a missing field is still missing).
    let entries: Vec<Value> = body["output"].as_array().cloned().unwrap_or_default();
    let mut bad = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        if !e["type"].is_string() {
            bad.push(format!("output[{i}] has no type"));
        }
        match e["url"].as_str() {
            None => bad.push(format!("output[{i}] has no url")),
            Some(u) if !(u.starts_with("https://") || u.starts_with("http://")) => {
                bad.push(format!("output[{i}].url `{}` is not absolute", shorten(u)))
            }
            Some(_) => {}
        }
    }
    out.push((
        &BULK_OUTPUT_ENTRIES,
        match (bad.is_empty(), entries.is_empty()) {
            (_, true) => Verdict::skip("the manifest lists no output file"),
            (true, _) => Verdict::met(format!(
                "{} files, each with a type and an absolute URL",
                entries.len()
            )),
            (false, _) => Verdict::unmet(bad.join("; ")),
        },
        last.clone(),
    ));
    // The files, a relative URL resolved against the FHIR base (so that
    // it is judged above only).
    let dir = Url::parse(&format!("{}/", base.as_str())).ok();
    let files: Vec<(String, Url, Option<u64>)> = manifest
        .output
        .iter()
        .filter_map(|e| {
            let url = Url::parse(&e.url)
                .ok()
                .or_else(|| dir.as_ref()?.join(&e.url).ok())?;
            Some((e.rtype.clone(), url, e.count))
        })
        .collect();

    out.push((&BULK_TLS, tls(base, &files), vec![]));

    let needs_token = body["requiresAccessToken"].as_bool();
    match (needs_token, files.first()) {
        (Some(true), Some((_, url, _))) => {
            let (resp, ex) = flow::download(probe, url, None).await;
            let v = match &resp {
                Ok(r) if matches!(r.status.as_u16(), 400 | 401) => {
                    Verdict::met(format!("without a token: {}", r.status.as_u16()))
                }
                Ok(r) => Verdict::unmet(format!(
                    "a file was answered {} without a token, not 400 or 401",
                    r.status.as_u16()
                )),
                Err(e) => Verdict::unmet(format!("no answer ({e})")),
            };
            out.push((&BULK_FILE_TOKEN, v, ex));
        }
        (Some(false), _) => out.push((
            &BULK_FILE_TOKEN,
            Verdict::skip("requiresAccessToken is false: the files need no token"),
            vec![],
        )),
        (None, _) => out.push((
            &BULK_FILE_TOKEN,
            Verdict::skip("the manifest gives no requiresAccessToken"),
            vec![],
        )),
        (Some(true), None) => out.push((
            &BULK_FILE_TOKEN,
            Verdict::skip("the manifest lists no output file"),
            vec![],
        )),
    }

    out.extend(files_checks(probe, token, needs_token != Some(false), &files).await);

    // DELETE of the finished job; then its files must be gone.
    let (resp, del) = flow::status_request(probe, Method::DELETE, &job, token).await;
    let v = match (&resp, files.first()) {
        (Ok(r), Some((_, url, _))) if r.status.as_u16() == 202 => {
            let (again, ex) = flow::download(probe, url, Some(token)).await;
            let v = match &again {
                Ok(a) if a.status.is_client_error() => Verdict::met(format!(
                    "DELETE: 202; a file then answers {}",
                    a.status.as_u16()
                )),
                Ok(a) => Verdict::unmet(format!(
                    "DELETE: 202, but a file still answers {}",
                    a.status.as_u16()
                )),
                Err(e) => Verdict::met(format!("DELETE: 202; a file is no longer served ({e})")),
            };
            let mut ev = vec![del];
            ev.extend(ex);
            out.push((&BULK_FILES_GONE, v, ev));
            return out;
        }
        (Ok(r), _) if r.status.as_u16() != 202 => Verdict::unmet(format!(
            "DELETE of the finished job answered {}, not 202",
            r.status.as_u16()
        )),
        (Ok(_), _) => Verdict::skip("the manifest lists no output file"),
        (Err(e), _) => Verdict::unmet(format!("DELETE of the finished job: no answer ({e})")),
    };
    out.push((&BULK_FILES_GONE, v, vec![del]));
    out
}

/// TLS: https everywhere is met (rustls negotiates TLS 1.2 or 1.3 only);
/// plain http is skipped on loopback (a test server) and unmet elsewhere.
/// Whether TLS 1.0 and 1.1 are refused is not tested here.
fn tls(base: &FhirBase, files: &[(String, Url, Option<u64>)]) -> Verdict {
    let urls: Vec<&Url> = std::iter::once(base.url())
        .chain(files.iter().map(|(_, u, _)| u))
        .collect();
    let plain: Vec<&&Url> = urls.iter().filter(|u| u.scheme() != "https").collect();
    if plain.is_empty() {
        return Verdict::met(
            "the FHIR base and every file are https, reached over TLS 1.2 or later (rustls offers nothing older; whether TLS 1.0/1.1 are refused is not tested)",
        );
    }
    let outside: Vec<String> = plain
        .iter()
        .filter(|u| !crate::discovery::is_loopback(u))
        .map(|u| u.origin().ascii_serialization())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if outside.is_empty() {
        Verdict::skip("plain http on loopback (a test server): there is no TLS to check")
    } else {
        Verdict::unmet(format!("plain http: {}", outside.join(", ")))
    }
}

/// The checks that read the files: lines, counts, types, Patients.
async fn files_checks(
    probe: &Probe,
    token: &Secret,
    with_token: bool,
    files: &[(String, Url, Option<u64>)],
) -> Vec<Finding> {
    let token = with_token.then_some(token);
    let asked: BTreeSet<&str> = TYPES.into_iter().collect();
    let (mut problems, mut counts, mut extra) = (Vec::new(), Vec::new(), BTreeSet::new());
    let mut evidence = Vec::new();
    let mut patients: BTreeSet<String> = BTreeSet::new();
    let (mut resources, mut with_count) = (0u64, 0usize);
    for (i, (rtype, url, count)) in files.iter().enumerate() {
        if !asked.contains(rtype.as_str()) {
            extra.insert(rtype.clone());
        }
        let (resp, ex) = flow::download(probe, url, token).await;
        if i < 2 {
            evidence.extend(ex);
        }
        let r = match resp {
            Ok(r) if r.status.is_success() => r,
            Ok(r) => {
                problems.push(format!(
                    "{rtype} file {}: answered {}",
                    i + 1,
                    r.status.as_u16()
                ));
                continue;
            }
            Err(e) => {
                problems.push(format!("{rtype} file {}: no answer ({e})", i + 1));
                continue;
            }
        };
        let mut checker = Checker::new(rtype);
        checker.feed(&r.body);
        let tally = checker.finish();
        resources += tally.resources;
        for p in tally.problems.iter().take(2) {
            problems.push(format!("{rtype} file {}: {p}", i + 1));
        }
        if tally.bad_lines > 2 {
            problems.push(format!(
                "{rtype} file {}: {} bad lines in all",
                i + 1,
                tally.bad_lines
            ));
        }
        extra.extend(
            tally
                .by_type
                .iter()
                .map(|(t, _)| t)
                .filter(|t| !asked.contains(t))
                .map(str::to_owned),
        );
        let lines = r
            .body
            .split(|b| *b == b'\n')
            .filter(|l| !l.trim_ascii().is_empty())
            .count() as u64;
        if let Some(c) = count {
            with_count += 1;
            if *c != lines {
                counts.push(format!("{rtype} file {}: count {c}, {lines} lines", i + 1));
            }
        }
        if rtype == "Patient" {
            for line in r.body.split(|b| *b == b'\n') {
                if let Ok(v) = serde_json::from_slice::<Value>(line)
                    && v["resourceType"] == "Patient"
                    && let Some(id) = v["id"].as_str()
                {
                    patients.insert(id.to_owned());
                }
            }
        }
    }
    let ndjson = if files.is_empty() {
        Verdict::skip("the manifest lists no output file")
    } else if problems.is_empty() {
        Verdict::met(format!(
            "{} files, {resources} resources, each line a resource of its file's type",
            files.len()
        ))
    } else {
        Verdict::unmet(problems.join("; "))
    };
    let count = if files.is_empty() || with_count == 0 {
        Verdict::skip("no output entry gives a count")
    } else if counts.is_empty() {
        Verdict::met(format!("{with_count} counts, each the file's line count"))
    } else {
        Verdict::unmet(counts.join("; "))
    };
    let types = if extra.is_empty() {
        Verdict::met(format!(
            "asked for {}; nothing else came back",
            TYPES.join(",")
        ))
    } else {
        Verdict::unmet(format!(
            "asked for _type={}, got {} as well",
            TYPES.join(","),
            extra.into_iter().collect::<Vec<_>>().join(", ")
        ))
    };
    let two = if patients.len() >= 2 {
        Verdict::met(format!("{} Patients", patients.len()))
    } else {
        Verdict::unmet(format!(
            "{} Patient{} in the export",
            patients.len(),
            if patients.len() == 1 { "" } else { "s" }
        ))
    };
    vec![
        (&BULK_NDJSON, ndjson, evidence.clone()),
        (&BULK_COUNT, count, vec![]),
        (&BULK_TYPES, types, vec![]),
        (&BULK_PATIENTS, two, vec![]),
    ]
}
