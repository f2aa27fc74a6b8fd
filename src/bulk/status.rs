//! Reading the status endpoint's answers, and how long to wait before the
//! next poll: `Retry-After` (seconds or an HTTP date) when the server says,
//! a bounded backoff when it does not, and never longer than the cap
//! (`--max-retry-wait`, profile `max_retry_wait`): a server asking for
//! hours is polled again at the cap, and told so.

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

/// X-Progress is a server's free text: printable, one short line.
fn shown(s: &str) -> String {
    crate::redact::printable(&s.chars().take(80).collect::<String>()).into_owned()
}

/// The wait before the next poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wait {
    pub wait: Duration,
    /// What the server asked for when that was more than the cap.
    pub capped_from: Option<Duration>,
}

/// `retry_after` as the server sent it; `attempt` counts the polls so far
/// that had none (for the backoff); `cap` is the longest wait honoured.
pub fn next_wait(retry_after: Option<&str>, attempt: u32, now: SystemTime, cap: Duration) -> Wait {
    let cap = cap.max(MIN_POLL);
    let asked = retry_after.and_then(|v| retry::parse_retry_after(v, now));
    let wait =
        asked.unwrap_or_else(|| Duration::from_secs(1u64 << attempt.min(5)).min(MAX_BACKOFF));
    if wait > cap {
        return Wait {
            wait: cap,
            capped_from: asked,
        };
    }
    Wait {
        wait: wait.max(MIN_POLL),
        capped_from: None,
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
                capped_from: None
            }
        );
        // 784111777 = Sun, 06 Nov 1994 08:49:37 GMT
        let w = next_wait(Some("Sun, 06 Nov 1994 08:49:37 GMT"), 0, now, CAP);
        assert_eq!(w.wait, Duration::from_secs(7));
        // A date in the past, or 0: soon, but not at once.
        let w = next_wait(Some("Sun, 06 Nov 1994 08:00:00 GMT"), 0, now, CAP);
        assert_eq!(w.wait, MIN_POLL);
        assert_eq!(next_wait(Some("0"), 0, now, CAP).wait, MIN_POLL);
    }

    #[test]
    fn long_waits_are_capped_and_say_what_was_asked() {
        let now = SystemTime::now();
        let w = next_wait(Some("7200"), 0, now, CAP);
        assert_eq!(
            w,
            Wait {
                wait: CAP,
                capped_from: Some(Duration::from_secs(7200))
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
                capped_from: None
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
