//! Reading the status endpoint's answers, and how long to wait before the
//! next poll: `Retry-After` (seconds or an HTTP date) when the server says,
//! a bounded backoff when it does not, and never longer than the cap
//! (`--max-retry-wait`, profile `max_retry_wait`): a server asking for
//! hours is polled again at the cap, and told so. A `Retry-After` that
//! makes no sense (a Unix time where seconds belong, a date in the past)
//! counts as absent, with a note, and is never shown as a wait.
//!
//! A 5xx whose OperationOutcome has a transient issue code is "try again
//! later" (the IG), not the end of the job: [`Status::Transient`].

use std::time::{Duration, SystemTime};

use reqwest::header::{EXPIRES, HeaderMap, RETRY_AFTER};

use super::manifest::Manifest;
use crate::error::{Error, Kind, Result};
use crate::fhir::{outcome, retry};
use crate::http::Response;

/// Polls are never closer than this, whatever the server says (a
/// `Retry-After: 0`, or a date already past).
pub const MIN_POLL: Duration = Duration::from_millis(250);

/// The backoff when the server gives no `Retry-After`: 1 s, doubling, up to this.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// What one poll found.
#[derive(Debug, Clone, PartialEq)]
// One per status answer, moved once: its size does not matter.
#[allow(clippy::large_enum_variant)]
pub enum Status {
    /// 202: still running.
    InProgress {
        progress: Option<String>,
        retry_after: Option<String>,
    },
    /// 429 or 503: polled too often, or the server is busy; poll again.
    Throttled {
        status: u16,
        retry_after: Option<String>,
    },
    /// Another 5xx whose OperationOutcome says the error is transient: the
    /// job goes on; poll again later.
    Transient {
        status: u16,
        retry_after: Option<String>,
        /// The transient issue, as one line.
        issue: String,
    },
    /// 200 with the manifest.
    Complete {
        manifest: Manifest,
        expires: Option<String>,
    },
}

/// The status answer `resp` to `what` (`GET /fhir/$export-status/…`).
/// `hide` is what the request carried that must not show.
pub fn interpret(what: &str, resp: &Response, hide: &[String]) -> Result<Status> {
    let header = |h: &HeaderMap, name| {
        h.get(name)
            .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
            .map(str::to_owned)
    };
    match resp.status.as_u16() {
        202 => Ok(Status::InProgress {
            progress: header(&resp.headers, "x-progress").map(|p| shown(&p)),
            retry_after: header(&resp.headers, RETRY_AFTER.as_str()),
        }),
        429 | 503 => Ok(Status::Throttled {
            status: resp.status.as_u16(),
            retry_after: header(&resp.headers, RETRY_AFTER.as_str()),
        }),
        200 => Ok(Status::Complete {
            manifest: Manifest::parse(what, &resp.body)?,
            expires: header(&resp.headers, EXPIRES.as_str()),
        }),
        404 | 410 => Err(gone(what, resp, hide)),
        s if s >= 500
            && let Some(issue) = transient_issue(&resp.body) =>
        {
            Ok(Status::Transient {
                status: s,
                retry_after: header(&resp.headers, RETRY_AFTER.as_str()),
                issue: crate::redact::values(&issue, hide),
            })
        }
        s if s >= 500 => {
            let mut e = outcome::status_error(what, resp, hide);
            e.message = format!("the export job failed: {}", e.message);
            Err(e.with_hint("the job is over at the server; start a new export"))
        }
        _ => Err(outcome::status_error(what, resp, hide)),
    }
}

/// The job is unknown to the server (expired, cancelled, never existed).
pub fn gone(what: &str, resp: &Response, hide: &[String]) -> Error {
    let mut e = outcome::status_error(what, resp, hide);
    e.kind = Kind::Server;
    e.message = format!(
        "{}; the server no longer knows the export job (it expired or was cancelled)",
        e.message
    );
    e.with_hint("start a new export (without --resume)")
}

/// The issue codes that mean "try again later": `transient` and its
/// specific codes in FHIR's IssueType, except `exception`, which servers
/// use for failures of every kind (a failed job among them).
const TRANSIENT_CODES: &[&str] = &[
    "transient",
    "lock-error",
    "no-store",
    "timeout",
    "incomplete",
    "throttled",
];

/// The first transient issue of an OperationOutcome body, as one line
/// (`error [transient] database busy`); `None` when it has none or is not
/// an OperationOutcome.
pub fn transient_issue(body: &[u8]) -> Option<String> {
    let oo = outcome::parse_outcome(body)?;
    let issues = oo.get("issue")?.as_array()?;
    let i = issues.iter().position(|i| {
        i.get("code")
            .and_then(|c| c.as_str())
            .is_some_and(|c| TRANSIENT_CODES.contains(&c))
    })?;
    let one = serde_json::json!({"resourceType": "OperationOutcome", "issue": [issues[i].clone()]});
    Some(
        outcome::issue_lines(&one)
            .into_iter()
            .next()
            .map_or_else(|| "transient".to_owned(), |l| shown(&l)),
    )
}

/// A `Retry-After` as the export reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetryAfter {
    Wait(Duration),
    Absent,
    /// Sent, but meaningless; why, for a note (`is … which looks like …`).
    Nonsense(String),
}

/// Delta seconds at or above this are a Unix time sent where seconds
/// belong (2001-09-09 as a Unix time; as a wait, 31 years).
const UNIX_TIME_LIKE: u64 = 1_000_000_000;

/// Reads `Retry-After` (RFC 9110 §10.2.3: delta seconds or an HTTP date);
/// a Unix time where seconds belong, a date in the past and anything that
/// parses as neither are [`RetryAfter::Nonsense`].
pub fn read_retry_after(value: Option<&str>, now: SystemTime) -> RetryAfter {
    let Some(v) = value.map(str::trim) else {
        return RetryAfter::Absent;
    };
    let quoted = shown(v);
    if let Ok(secs) = v.parse::<u64>() {
        if secs >= UNIX_TIME_LIKE {
            return RetryAfter::Nonsense(format!(
                "`{quoted}` looks like a Unix time, not a number of seconds to wait"
            ));
        }
        return RetryAfter::Wait(Duration::from_secs(secs));
    }
    match retry::parse_retry_after(v, now) {
        // A date already past parses as "now".
        Some(d) if d.is_zero() => RetryAfter::Nonsense(format!("`{quoted}` is a date in the past")),
        Some(d) => RetryAfter::Wait(d),
        None => RetryAfter::Nonsense(format!(
            "`{quoted}` is neither a number of seconds nor an HTTP date"
        )),
    }
}

/// X-Progress is a server's free text: printable, one short line.
fn shown(s: &str) -> String {
    crate::redact::printable(&s.chars().take(80).collect::<String>()).into_owned()
}

/// The wait before the next poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wait {
    pub wait: Duration,
    /// What the server asked for when that was more than the cap.
    pub capped_from: Option<Duration>,
    /// Why the server's `Retry-After` was ignored, when it made no sense.
    pub ignored: Option<String>,
}

/// `retry_after` as the server sent it; `attempt` counts the polls so far
/// without a usable one (for the backoff); `cap` is the longest wait
/// honoured.
pub fn next_wait(retry_after: Option<&str>, attempt: u32, now: SystemTime, cap: Duration) -> Wait {
    let cap = cap.max(MIN_POLL);
    let (asked, ignored) = match read_retry_after(retry_after, now) {
        RetryAfter::Wait(d) => (Some(d), None),
        RetryAfter::Absent => (None, None),
        RetryAfter::Nonsense(why) => (None, Some(why)),
    };
    let wait =
        asked.unwrap_or_else(|| Duration::from_secs(1u64 << attempt.min(5)).min(MAX_BACKOFF));
    if wait > cap {
        return Wait {
            wait: cap,
            capped_from: asked,
            ignored,
        };
    }
    Wait {
        wait: wait.max(MIN_POLL),
        capped_from: None,
        ignored,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAP: Duration = Duration::from_secs(60);

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_770);
        let w = next_wait(Some("3"), 0, now, CAP);
        assert_eq!(
            w,
            Wait {
                wait: Duration::from_secs(3),
                capped_from: None,
                ignored: None
            }
        );
        // 784111777 = Sun, 06 Nov 1994 08:49:37 GMT
        let w = next_wait(Some("Sun, 06 Nov 1994 08:49:37 GMT"), 0, now, CAP);
        assert_eq!(w.wait, Duration::from_secs(7));
        // 0: soon, but not at once.
        assert_eq!(next_wait(Some("0"), 0, now, CAP).wait, MIN_POLL);
    }

    #[test]
    fn retry_after_that_makes_no_sense_is_absent_with_a_reason() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_765_000_000);
        // A Unix time where seconds belong (now + 2 s, or in ms): the backoff.
        for v in ["1765000002", "1765000002000"] {
            let w = next_wait(Some(v), 2, now, CAP);
            assert_eq!(w.wait, Duration::from_secs(4), "{v}");
            assert_eq!(w.capped_from, None, "never taken as a wait: {v}");
            let why = w.ignored.unwrap();
            assert!(why.contains("looks like a Unix time"), "{why}");
        }
        // A date in the past: the backoff, not "now".
        let w = next_wait(Some("Sun, 06 Nov 1994 08:00:00 GMT"), 0, now, CAP);
        assert_eq!(w.wait, Duration::from_secs(1));
        assert!(w.ignored.unwrap().contains("is a date in the past"));
        let w = next_wait(Some("soon"), 0, now, CAP);
        assert!(
            w.ignored
                .unwrap()
                .contains("neither a number of seconds nor an HTTP date")
        );
        // Large but plausible: a wait (capped), not nonsense.
        let w = next_wait(Some("86400"), 0, now, CAP);
        assert_eq!((w.wait, w.ignored), (CAP, None));
        assert_eq!(read_retry_after(None, now), RetryAfter::Absent);
        assert_eq!(
            read_retry_after(Some(" 3 "), now),
            RetryAfter::Wait(Duration::from_secs(3))
        );
    }

    #[test]
    fn transient_issues_are_found_in_an_outcome() {
        let oo = |code: &str| {
            format!(
                r#"{{"resourceType":"OperationOutcome","issue":[{{"severity":"error","code":"processing"}},{{"severity":"error","code":"{code}","diagnostics":"busy"}}]}}"#
            )
        };
        assert_eq!(
            transient_issue(oo("transient").as_bytes()).as_deref(),
            Some("error [transient] busy")
        );
        assert!(transient_issue(oo("timeout").as_bytes()).is_some());
        assert!(transient_issue(oo("exception").as_bytes()).is_none());
        assert!(transient_issue(b"<html>busy</html>").is_none());
        assert!(transient_issue(br#"{"resourceType":"Bundle"}"#).is_none());
    }

    #[test]
    fn long_waits_are_capped_and_say_what_was_asked() {
        let now = SystemTime::now();
        let w = next_wait(Some("7200"), 0, now, CAP);
        assert_eq!(
            w,
            Wait {
                wait: CAP,
                capped_from: Some(Duration::from_secs(7200)),
                ignored: None
            }
        );
        // A zero cap still leaves a pause between polls.
        assert_eq!(
            next_wait(Some("7200"), 0, now, Duration::ZERO).wait,
            MIN_POLL
        );
    }

    #[test]
    fn without_retry_after_the_backoff_doubles_and_is_bounded() {
        let now = SystemTime::now();
        let waits: Vec<u64> = (0..8)
            .map(|a| next_wait(None, a, now, CAP).wait.as_secs())
            .collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 30, 30, 30]);
        assert_eq!(next_wait(Some("soon"), 2, now, CAP).wait.as_secs(), 4);
        // The backoff never exceeds a smaller cap, and is no "capped" request.
        let w = next_wait(None, 7, now, Duration::from_secs(5));
        assert_eq!(
            w,
            Wait {
                wait: Duration::from_secs(5),
                capped_from: None,
                ignored: None
            }
        );
    }

    fn resp(status: u16, headers: &[(&str, &str)], body: &str) -> Response {
        let mut r = crate::testgen::response(status, Some("application/json"), body.into());
        for (k, v) in headers {
            r.headers.insert(
                reqwest::header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        r
    }

    #[test]
    fn answers_are_read_by_status() {
        let w = "GET /fhir/$export-status/1";
        let s = interpret(
            w,
            &resp(
                202,
                &[("x-progress", "42% (Observation)"), ("retry-after", "1")],
                "",
            ),
            &[],
        )
        .unwrap();
        assert_eq!(
            s,
            Status::InProgress {
                progress: Some("42% (Observation)".into()),
                retry_after: Some("1".into())
            }
        );
        let s = interpret(w, &resp(429, &[("retry-after", "5")], ""), &[]).unwrap();
        assert_eq!(
            s,
            Status::Throttled {
                status: 429,
                retry_after: Some("5".into())
            }
        );
        let s = interpret(
            w,
            &resp(
                200,
                &[("expires", "Mon, 01 Jan 2024 00:00:00 GMT")],
                r#"{"transactionTime":"t","request":"r","requiresAccessToken":true,"output":[]}"#,
            ),
            &[],
        )
        .unwrap();
        assert!(matches!(
            s,
            Status::Complete {
                expires: Some(_),
                ..
            }
        ));

        let failed = interpret(
            w,
            &resp(500, &[], r#"{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"exception","diagnostics":"disk full"}]}"#),
            &[],
        )
        .unwrap_err();
        assert_eq!(failed.kind, Kind::Server);
        assert!(
            failed.message.starts_with("the export job failed"),
            "{}",
            failed.message
        );
        assert_eq!(failed.details, ["error [exception] disk full"]);

        let s = interpret(
            w,
            &resp(500, &[("retry-after", "2")], r#"{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"transient","diagnostics":"store busy"}]}"#),
            &[],
        )
        .unwrap();
        assert_eq!(
            s,
            Status::Transient {
                status: 500,
                retry_after: Some("2".into()),
                issue: "error [transient] store busy".into()
            }
        );

        let gone = interpret(w, &resp(404, &[], ""), &[]).unwrap_err();
        assert!(
            gone.message.contains("no longer knows the export job"),
            "{}",
            gone.message
        );
        assert_eq!(
            interpret(w, &resp(401, &[], ""), &[]).unwrap_err().kind,
            Kind::Auth
        );
    }
}
