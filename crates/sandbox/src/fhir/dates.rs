//! FHIR dates as millisecond ranges.
//!
//! FHIR compares dates as *ranges*: `2020` means all of 2020, a `birthDate`
//! is a whole day and `le2020-03` must be judged against the implicit range of
//! both sides. Everything here works on half-open `[start, end)` ranges of
//! Unix milliseconds (UTC), which keeps the comparisons in `search` trivial.
//! Civil-date arithmetic is Howard Hinnant's algorithm, so no date crate is
//! needed on the hot path of rendering thousands of resources.

/// A half-open range of Unix milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DateRange {
    pub(crate) start: i64,
    pub(crate) end: i64,
}

pub(crate) const MS_PER_DAY: i64 = 86_400_000;

impl DateRange {
    pub(crate) fn day(days: i64) -> DateRange {
        DateRange {
            start: days * MS_PER_DAY,
            end: (days + 1) * MS_PER_DAY,
        }
    }
    /// A millisecond-precise instant.
    pub(crate) fn instant(ms: i64) -> DateRange {
        DateRange {
            start: ms,
            end: ms + 1,
        }
    }
    /// A timestamp written with second precision.
    pub(crate) fn second(ms: i64) -> DateRange {
        DateRange {
            start: ms,
            end: ms + 1000,
        }
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The (year, month, day) of a day count since 1970-01-01.
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// `YYYY-MM-DD`.
pub(crate) fn format_date(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `YYYY-MM-DDThh:mm:ss[.mmm]Z` — milliseconds only when there are some, so
/// synthetic timestamps stay short.
pub(crate) fn format_instant(ms: i64) -> String {
    let days = ms.div_euclid(MS_PER_DAY);
    let rem = ms.rem_euclid(MS_PER_DAY);
    let (h, mi, s, milli) = (
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000,
    );
    if milli == 0 {
        format!("{}T{h:02}:{mi:02}:{s:02}Z", format_date(days))
    } else {
        format!("{}T{h:02}:{mi:02}:{s:02}.{milli:03}Z", format_date(days))
    }
}

/// RFC 9110 IMF-fixdate, for `Last-Modified`.
pub(crate) fn http_date(ms: i64) -> String {
    const WD: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MON: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{}, {d:02} {} {y:04} {:02}:{:02}:{:02} GMT",
        WD[days.rem_euclid(7) as usize],
        MON[(m - 1) as usize],
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

fn digits(s: &str, n: usize) -> Option<u32> {
    (s.len() == n && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// Parses a FHIR `date`, `dateTime` or `instant` (any precision) into the
/// range it denotes. A time without a zone is taken as UTC.
pub(crate) fn parse(s: &str) -> Option<DateRange> {
    let (date, time) = match s.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let mut parts = date.split('-');
    let y = digits(parts.next()?, 4)? as i64;
    let m = parts.next().map(|p| digits(p, 2)).unwrap_or(Some(0))?;
    let d = parts.next().map(|p| digits(p, 2)).unwrap_or(Some(0))?;
    if parts.next().is_some() || m > 12 || (m == 0 && d != 0) {
        return None;
    }
    if m == 0 {
        let start = days_from_civil(y, 1, 1) * MS_PER_DAY;
        let end = days_from_civil(y + 1, 1, 1) * MS_PER_DAY;
        return time.is_none().then_some(DateRange { start, end });
    }
    if d == 0 {
        let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
        let start = days_from_civil(y, m, 1) * MS_PER_DAY;
        let end = days_from_civil(ny, nm, 1) * MS_PER_DAY;
        return time.is_none().then_some(DateRange { start, end });
    }
    if d < 1 || d > days_in_month(y, m) {
        return None;
    }
    let day = days_from_civil(y, m, d);
    let Some(time) = time else {
        return Some(DateRange::day(day));
    };
    // Split off the zone: `Z`, `+hh:mm` or `-hh:mm`.
    let (clock, offset_ms) = if let Some(c) = time.strip_suffix('Z') {
        (c, 0)
    } else if let Some(i) = time.rfind(['+', '-']) {
        let (c, z) = time.split_at(i);
        let sign = if z.starts_with('-') { -1 } else { 1 };
        let (zh, zm) = z[1..].split_once(':')?;
        let (zh, zm) = (digits(zh, 2)? as i64, digits(zm, 2)? as i64);
        if zh > 14 || zm > 59 {
            return None;
        }
        (c, sign * (zh * 3_600_000 + zm * 60_000))
    } else {
        (time, 0)
    };
    let mut hms = clock.split(':');
    let h = digits(hms.next()?, 2)? as i64;
    let mi = digits(hms.next()?, 2)? as i64;
    let (s, frac, precision) = match hms.next() {
        None => (0, 0, 60_000),
        Some(sec) => {
            let (whole, frac) = match sec.split_once('.') {
                Some((w, f)) => (w, Some(f)),
                None => (sec, None),
            };
            let s = digits(whole, 2)? as i64;
            match frac {
                None => (s, 0, 1000),
                Some(f) if !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()) => {
                    let ms: String = f.chars().chain("000".chars()).take(3).collect();
                    (s, ms.parse::<i64>().ok()?, 1)
                }
                Some(_) => return None,
            }
        }
    };
    if hms.next().is_some() || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let start = day * MS_PER_DAY + h * 3_600_000 + mi * 60_000 + s * 1000 + frac - offset_ms;
    Some(DateRange {
        start,
        end: start + precision,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for days in [-800_000, -1, 0, 1, 10_957, 19_000, 20_089, 2_000_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn partial_dates_are_ranges() {
        let y = parse("2020").unwrap();
        assert_eq!(y.start, days_from_civil(2020, 1, 1) * MS_PER_DAY);
        assert_eq!(y.end, days_from_civil(2021, 1, 1) * MS_PER_DAY);
        let m = parse("2020-02").unwrap();
        assert_eq!(m.end - m.start, 29 * MS_PER_DAY);
        let dec = parse("2019-12").unwrap();
        assert_eq!(dec.end, y.start);
        assert_eq!(
            parse("2020-02-29").unwrap().end - parse("2020-02-29").unwrap().start,
            MS_PER_DAY
        );
        assert!(parse("2019-02-29").is_none());
        assert!(parse("2020-13").is_none());
        assert!(parse("20-01-01").is_none());
        assert!(parse("2020-1-01").is_none());
        assert!(parse("").is_none());
        assert!(parse("2020T10:00").is_none());
    }

    #[test]
    fn times_and_zones() {
        let t = parse("2020-01-01T10:00:00Z").unwrap();
        assert_eq!(t.end - t.start, 1000);
        let z = parse("2020-01-01T12:00:00+02:00").unwrap();
        assert_eq!(z, t);
        let minute = parse("2020-01-01T10:00").unwrap();
        assert_eq!(minute.start, t.start);
        assert_eq!(minute.end - minute.start, 60_000);
        let ms = parse("2020-01-01T10:00:00.5Z").unwrap();
        assert_eq!(ms.start, t.start + 500);
        assert!(parse("2020-01-01T25:00:00Z").is_none());
        assert!(parse("2020-01-01T10:00:00+2:00").is_none());
    }

    #[test]
    fn formatting() {
        let ms = parse("2024-02-29T13:14:15Z").unwrap().start;
        assert_eq!(format_instant(ms), "2024-02-29T13:14:15Z");
        assert_eq!(format_instant(ms + 7), "2024-02-29T13:14:15.007Z");
        assert_eq!(http_date(ms), "Thu, 29 Feb 2024 13:14:15 GMT");
        assert_eq!(format_date(0), "1970-01-01");
    }
}
