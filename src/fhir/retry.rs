//! When to try a throttled request again: `Retry-After` (delta seconds or an
//! HTTP date) when the server says, else exponential backoff with jitter so
//! that parallel clients do not come back in lockstep.
//!
//! Only 429 and 503 are retried, and only for requests that are safe to
//! repeat (GET, POST `_search`); the caller decides that.

use std::time::{Duration, SystemTime};

/// A server asking us to wait longer than this (unless `--max-retry-wait`
/// or the profile's `max_retry_wait` says otherwise) is treated as a
/// failure: hanging a script for minutes — or, as bulk-data style servers
/// ask, for hours — is worse than saying so.
pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(60);

/// Waits at least this long are reported even where shorter ones are not
/// (stderr not a terminal): a long silence looks like a hang.
pub const LONG_WAIT: Duration = Duration::from_secs(5);

pub fn is_retryable(status: u16) -> bool {
    status == 429 || status == 503
}

/// The wait before retry number `attempt` (0-based): `Retry-After` if it
/// parses, else 0.5 s · 2^attempt (at most 8 s) plus up to 25% jitter.
pub fn delay(retry_after: Option<&str>, attempt: u32, now: SystemTime) -> Duration {
    if let Some(d) = retry_after.and_then(|v| parse_retry_after(v, now)) {
        return d;
    }
    let base = Duration::from_millis(500) * 2u32.saturating_pow(attempt.min(4));
    let jitter = rand::random::<f64>() * 0.25;
    base.mul_f64(1.0 + jitter)
}

/// `Retry-After: 120` or `Retry-After: Fri, 31 Dec 1999 23:59:59 GMT`
/// (RFC 9110 §10.2.3). A date in the past means "now".
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = parse_http_date(v)?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// IMF-fixdate, the only HTTP date form senders may generate:
/// `Sun, 06 Nov 1994 08:49:37 GMT`.
fn parse_http_date(v: &str) -> Option<SystemTime> {
    let mut parts = v.split_ascii_whitespace();
    let _weekday = parts.next()?.strip_suffix(',')?;
    let day: u8 = parts.next()?.parse().ok()?;
    let month = match parts.next()? {
        "Jan" => time::Month::January,
        "Feb" => time::Month::February,
        "Mar" => time::Month::March,
        "Apr" => time::Month::April,
        "May" => time::Month::May,
        "Jun" => time::Month::June,
        "Jul" => time::Month::July,
        "Aug" => time::Month::August,
        "Sep" => time::Month::September,
        "Oct" => time::Month::October,
        "Nov" => time::Month::November,
        "Dec" => time::Month::December,
        _ => return None,
    };
    let year: i32 = parts.next()?.parse().ok()?;
    let mut hms = parts.next()?.split(':').map(|x| x.parse::<u8>().ok());
    let (h, m, s) = (hms.next()??, hms.next()??, hms.next()??);
    if parts.next()? != "GMT" || parts.next().is_some() {
        return None;
    }
    let date = time::Date::from_calendar_date(year, month, day).ok()?;
    let t = time::Time::from_hms(h, m, s).ok()?;
    let unix = time::PrimitiveDateTime::new(date, t)
        .assume_utc()
        .unix_timestamp();
    let unix = u64::try_from(unix).ok()?;
    Some(SystemTime::UNIX_EPOCH + Duration::from_secs(unix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_770);
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        // 784111777 = Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            parse_retry_after(
                "Sun, 06 Nov 1994 08:49:37 GMT",
                now + Duration::from_secs(60)
            ),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 PST", now),
            None
        );
    }

    #[test]
    fn backoff_grows_and_is_bounded() {
        let now = SystemTime::now();
        let d0 = delay(None, 0, now);
        let d3 = delay(None, 3, now);
        assert!(d0 >= Duration::from_millis(500) && d0 <= Duration::from_millis(625));
        assert!(d3 >= Duration::from_secs(4));
        assert!(delay(None, 30, now) <= Duration::from_secs(10));
        assert_eq!(delay(Some("1"), 5, now), Duration::from_secs(1));
    }
}
