//! Checks a file as it streams in: every line one JSON resource of the
//! declared type. Lines are parsed as they complete (fully, so that a line
//! cut short or malformed is caught, but into nothing but their
//! `resourceType`), so memory stays at one line whatever the file's size.
//! A gzip file (`--gzip`) is checked through a streaming decoder.
//!
//! A file of mixed types (`organizeOutputBy`) is checked line by line as a
//! resource of any requested type; its block headers (`Parameters`) are
//! counted apart, as headers, not as exported resources.

use std::borrow::Cow;
use std::io::Write;

use serde::{Deserialize, Serialize};

use super::scan::{self, Bad, Head};
use super::scan_stream::LongLine;

/// A line split across chunks is buffered up to this; a longer one is
/// checked as it streams ([`LongLine`]), so memory stays at this much per
/// download whatever a line's length (a gzip bomb inflating to one endless
/// line included).
pub const LONG_LINE: usize = 1 << 20;

/// How many problem lines are kept per file (all are counted).
const KEEP_PROBLEMS: usize = 5;

/// What a file turned out to hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Lines that are JSON resources (of any type).
    pub resources: u64,
    pub by_type: TypeCounts,
    /// Lines that are not a resource of the declared type.
    pub bad_lines: u64,
    /// The first few of those, `line N: …`.
    pub problems: Vec<String>,
    /// Block headers (`Parameters`) of a file of mixed types.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub headers: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Resources per type in one file, in type order: a short sorted list, not
/// a map, since every finished file's tally stays in memory until the end
/// of the export and nearly every file holds one type (a `BTreeMap` node
/// is 368 bytes whatever it holds, most of the memory of a 10,000-file
/// export). Written and read as the JSON object a map was.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TypeCounts(Vec<(Box<str>, u64)>);

impl TypeCounts {
    /// Counts one more resource of type `t`.
    pub fn add(&mut self, t: &str, n: u64) {
        match self.0.binary_search_by(|(k, _)| k.as_ref().cmp(t)) {
            Ok(i) => self.0[i].1 += n,
            Err(i) => {
                // One more, not double: most tallies stay at one type.
                self.0.reserve_exact(1);
                self.0.insert(i, (t.into(), n));
            }
        }
    }

    #[cfg(test)]
    pub fn contains_key(&self, t: &str) -> bool {
        self.0.iter().any(|(k, _)| k.as_ref() == t)
    }

    /// In type order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, u64)> {
        self.0.iter().map(|(k, n)| (k.as_ref(), *n))
    }
}

impl std::ops::Index<&str> for TypeCounts {
    type Output = u64;
    fn index(&self, t: &str) -> &u64 {
        let i = self
            .0
            .binary_search_by(|(k, _)| k.as_ref().cmp(t))
            .unwrap_or_else(|_| panic!("no count for {t}"));
        &self.0[i].1
    }
}

impl<const N: usize> From<[(String, u64); N]> for TypeCounts {
    fn from(pairs: [(String, u64); N]) -> Self {
        let mut c = TypeCounts::default();
        for (t, n) in pairs {
            c.add(&t, n);
        }
        c
    }
}

impl Serialize for TypeCounts {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter())
    }
}

impl<'de> Deserialize<'de> for TypeCounts {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = std::collections::BTreeMap::<String, u64>::deserialize(d)?;
        let mut v: Vec<(Box<str>, u64)> = map
            .into_iter()
            .map(|(k, n)| (k.into_boxed_str(), n))
            .collect();
        v.shrink_to_fit();
        Ok(TypeCounts(v))
    }
}

/// What the lines of a file must be.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Expect {
    /// Resources of this type.
    One(String),
    /// `organizeOutputBy`: resources of any of these types (any type when
    /// empty), and `Parameters` block headers.
    Mixed(Vec<String>),
}

impl Tally {
    fn problem(&mut self, line: String) {
        self.bad_lines += 1;
        if self.problems.len() < KEEP_PROBLEMS {
            self.problems.push(line);
        }
    }
}

/// The line checker for plain NDJSON.
pub struct Checker {
    expected: Expect,
    pending: Vec<u8>,
    /// The line being read is past [`LONG_LINE`]: checked as it streams.
    long: Option<LongLine>,
    line_no: u64,
    check: Tally,
    /// The validator's scratch stack, kept between lines.
    stack: Vec<u8>,
}

impl Checker {
    pub fn new(expected: &str) -> Checker {
        Checker::expecting(Expect::One(expected.to_owned()))
    }

    /// For a file of mixed types: resources of any of `types` (of any type
    /// when empty), and block headers.
    pub fn mixed(types: &[String]) -> Checker {
        Checker::expecting(Expect::Mixed(types.to_vec()))
    }

    fn expecting(expected: Expect) -> Checker {
        Checker {
            expected,
            pending: Vec::new(),
            long: None,
            line_no: 0,
            check: Tally::default(),
            stack: Vec::new(),
        }
    }

    pub fn feed(&mut self, mut chunk: &[u8]) {
        while let Some(i) = memchr::memchr(b'\n', chunk) {
            let (line, rest) = (&chunk[..i], &chunk[i + 1..]);
            if let Some(mut l) = self.long.take() {
                l.feed(line);
                self.long_line(l);
            } else if self.pending.is_empty() {
                // Whole in this chunk: checked where it is, whatever its length.
                self.line(line);
            } else if self.pending.len() + line.len() <= LONG_LINE {
                let mut whole = std::mem::take(&mut self.pending);
                whole.extend_from_slice(line);
                self.line(&whole);
                whole.clear();
                self.pending = whole;
            } else {
                let mut l = self.go_long();
                l.feed(line);
                self.long_line(l);
            }
            chunk = rest;
        }
        if chunk.is_empty() {
            return;
        }
        if let Some(l) = &mut self.long {
            l.feed(chunk);
        } else if self.pending.len() + chunk.len() <= LONG_LINE {
            self.pending.extend_from_slice(chunk);
        } else {
            let mut l = self.go_long();
            l.feed(chunk);
            self.long = Some(l);
        }
    }

    /// The buffered start of a line, handed to a streaming check (and the
    /// buffer given back).
    fn go_long(&mut self) -> LongLine {
        let mut l = LongLine::new();
        l.feed(&self.pending);
        self.pending = Vec::new();
        l
    }

    fn long_line(&mut self, l: LongLine) {
        self.line_no += 1;
        if l.is_blank() {
            return;
        }
        let n = self.line_no;
        match l.finish() {
            Ok(Some(raw)) => self.typed(n, &raw),
            Ok(None) => self.check.problem(format!("line {n}: no resourceType")),
            Err(e) => self.bad(n, e),
        }
    }

    pub fn finish(mut self) -> Tally {
        if let Some(l) = self.long.take() {
            self.long_line(l);
        } else if !self.pending.is_empty() {
            let last = std::mem::take(&mut self.pending);
            self.line(&last);
        }
        self.check
    }

    fn bad(&mut self, n: u64, e: Bad) {
        match e {
            Bad::Eof => self
                .check
                .problem(format!("line {n}: cut off (its JSON does not end)")),
            Bad::At(col, what) => self.check.problem(format!(
                "line {n}: not a JSON resource (column {col}: {what})"
            )),
        }
    }

    /// A resource whose `resourceType` is `raw` (as written between its
    /// quotes).
    fn typed(&mut self, n: u64, raw: &[u8]) {
        // The usual line: the declared type, as written (no escapes), so
        // nothing to decode or report.
        if let Expect::One(e) = &self.expected
            && raw == e.as_bytes()
            && !raw.contains(&b'\\')
        {
            self.check.resources += 1;
            self.check.by_type.add(e, 1);
            return;
        }
        if matches!(self.expected, Expect::Mixed(_)) && raw == b"Parameters" {
            self.check.headers += 1;
            return;
        }
        self.check.resources += 1;
        let t: Cow<'_, str> = if raw.contains(&b'\\') {
            // Escaped: rare; serde decodes the quoted string.
            let quoted = [b"\"", raw, b"\""].concat();
            Cow::Owned(serde_json::from_slice::<String>(&quoted).unwrap_or_default())
        } else {
            // Valid UTF-8: the scanner checked the line.
            String::from_utf8_lossy(raw)
        };
        let shown =
            || crate::redact::printable(&t.chars().take(64).collect::<String>()).into_owned();
        match &self.expected {
            Expect::One(e) if t != e.as_str() => {
                let msg = format!("line {n}: a {}, not a {e}", shown());
                self.check.problem(msg);
            }
            Expect::Mixed(types) if !types.is_empty() && !types.iter().any(|e| t == e.as_str()) => {
                let msg = format!(
                    "line {n}: a {}, not one of the requested types ({})",
                    shown(),
                    types.join(", ")
                );
                self.check.problem(msg);
            }
            _ => {}
        }
        self.check.by_type.add(&t, 1);
    }

    fn line(&mut self, line: &[u8]) {
        self.line_no += 1;
        let n = self.line_no;
        let line = line.trim_ascii();
        if line.is_empty() {
            return;
        }
        match scan::scan(line, &mut self.stack) {
            Ok(Head::Type(raw)) => self.typed(n, raw),
            Ok(Head::NoType) => self.check.problem(format!("line {n}: no resourceType")),
            Err(e) => self.bad(n, e),
        }
    }
}

/// A checker of plain or gzip-compressed NDJSON.
// One per download: its size does not matter, and boxing the checker
// would add an indirection to every chunk.
#[allow(clippy::large_enum_variant)]
pub enum Stream {
    Plain(Checker),
    Gzip(Box<flate2::write::MultiGzDecoder<Sink>>, Option<String>),
}

/// Where the decoder writes: the line checker.
pub struct Sink(Checker);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.feed(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Stream {
    pub fn new(expected: &str, gzip: bool) -> Stream {
        Stream::of(Checker::new(expected), gzip)
    }

    pub fn of(c: Checker, gzip: bool) -> Stream {
        if gzip {
            Stream::Gzip(Box::new(flate2::write::MultiGzDecoder::new(Sink(c))), None)
        } else {
            Stream::Plain(c)
        }
    }

    pub fn feed(&mut self, chunk: &[u8]) {
        match self {
            Stream::Plain(c) => c.feed(chunk),
            Stream::Gzip(d, failed) => {
                if failed.is_none()
                    && let Err(e) = d.write_all(chunk)
                {
                    *failed = Some(e.to_string());
                }
            }
        }
    }

    pub fn finish(self) -> Tally {
        match self {
            Stream::Plain(c) => c.finish(),
            Stream::Gzip(mut d, mut failed) => {
                if failed.is_none()
                    && let Err(e) = d.try_finish()
                {
                    failed = Some(e.to_string());
                }
                let mut check = match d.finish() {
                    Ok(sink) => sink.0.finish(),
                    Err(e) => {
                        failed.get_or_insert(e.to_string());
                        Tally::default()
                    }
                };
                if let Some(e) = failed {
                    check.problem(format!("not a complete gzip stream ({e})"));
                }
                check
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(expected: &str, chunks: &[&[u8]]) -> Tally {
        let mut c = Checker::new(expected);
        for ch in chunks {
            c.feed(ch);
        }
        c.finish()
    }

    #[test]
    fn lines_are_counted_across_chunk_boundaries() {
        let body = b"{\"resourceType\":\"Patient\",\"id\":\"1\"}\n{\"resourceType\":\"Patient\",\"id\":\"2\"}\n";
        // Every split point gives the same answer.
        for cut in 0..body.len() {
            let c = check("Patient", &[&body[..cut], &body[cut..]]);
            assert_eq!(c.resources, 2, "cut at {cut}");
            assert_eq!(c.bad_lines, 0);
            assert_eq!(c.by_type["Patient"], 2);
        }
        // No final newline, CRLF, blank lines: fine.
        let c = check(
            "Patient",
            &[b"{\"resourceType\":\"Patient\"}\r\n\n{\"resourceType\":\"Patient\"}"],
        );
        assert_eq!((c.resources, c.bad_lines), (2, 0));
    }

    #[test]
    fn wrong_types_bad_json_and_cut_lines_are_problems() {
        let c = check(
            "Patient",
            &[b"{\"resourceType\":\"Observation\"}\n[1]\n{\"id\":1}\nnot json\n{\"resourceType\":\"Pat"],
        );
        assert_eq!(c.resources, 1);
        assert_eq!(c.bad_lines, 5);
        assert_eq!(c.by_type["Observation"], 1);
        assert_eq!(c.problems[0], "line 1: a Observation, not a Patient");
        assert!(
            c.problems[1].starts_with("line 2: not a JSON resource"),
            "{:?}",
            c.problems
        );
        assert_eq!(c.problems[2], "line 3: no resourceType");
        assert!(c.problems[3].starts_with("line 4: not a JSON resource"));
        assert_eq!(c.problems[4], "line 5: cut off (its JSON does not end)");
    }

    #[test]
    fn mixed_files_take_any_requested_type_and_count_headers_apart() {
        let body = concat!(
            r#"{"resourceType":"Parameters","parameter":[{"name":"header","valueReference":{"reference":"Patient/1"}}]}"#,
            "\n",
            r#"{"resourceType":"Patient","id":"1"}"#,
            "\n",
            r#"{"resourceType":"Observation","id":"o1"}"#,
            "\n",
            r#"{"resourceType":"Condition","id":"c1"}"#,
            "\n"
        );
        let mut c = Checker::mixed(&["Patient".into(), "Observation".into()]);
        c.feed(body.as_bytes());
        let r = c.finish();
        assert_eq!((r.resources, r.headers, r.bad_lines), (3, 1, 1));
        assert_eq!(r.by_type["Patient"], 1);
        assert_eq!(r.by_type["Observation"], 1);
        assert!(!r.by_type.contains_key("Parameters"));
        assert_eq!(
            r.problems,
            ["line 4: a Condition, not one of the requested types (Patient, Observation)"]
        );
        // No _type asked: any type.
        let mut c = Checker::mixed(&[]);
        c.feed(body.as_bytes());
        let r = c.finish();
        assert_eq!((r.resources, r.headers, r.bad_lines), (3, 1, 0));
        // In a file of one type, Parameters is just another wrong type.
        let r = check("Patient", &[body.as_bytes()]);
        assert_eq!((r.headers, r.bad_lines), (0, 3));
    }

    use proptest::prelude::*;

    proptest! {
        #![proptest_config(crate::testgen::cases(256))]

        /// The fast path for a line of the declared type agrees with the
        /// full check: per line, what serde_json reads as its resourceType
        /// decides (escaped spellings of the type, other types, near
        /// misses, `Parameters`, not JSON, no type).
        #[test]
        fn prop_tally_agrees_with_serde_json(
            lines in proptest::collection::vec(
                prop_oneof![
                    Just(r#"{"resourceType":"Patient","id":"1"}"#),
                    Just(r#"{"id":"1","resourceType":"Patient"}"#),
                    Just(r#"{"resourceType":"Patient"}"#),
                    Just(r#"{"resourceType":"Patient\n"}"#),
                    Just(r#"{"resourceType":"Patien"}"#),
                    Just(r#"{"resourceType":"Patients"}"#),
                    Just(r#"{"resourceType":"Observation"}"#),
                    Just(r#"{"resourceType":"Parameters"}"#),
                    Just(r#"{"resourceType":"Patient","x":}"#),
                    Just(r#"{"resourceType":1}"#),
                    Just(r#"{"resourceType":"Patient""#),
                    Just("not json"),
                ],
                0..12,
            ),
        ) {
            let body: String = lines.iter().map(|l| format!("{l}\n")).collect();
            let mut c = Checker::new("Patient");
            c.feed(body.as_bytes());
            let got = c.finish();
            let (mut resources, mut bad) = (0u64, 0u64);
            let mut by_type = TypeCounts::default();
            for l in &lines {
                match serde_json::from_str::<serde_json::Value>(l) {
                    Ok(v) => match v["resourceType"].as_str() {
                        Some(t) => {
                            resources += 1;
                            by_type.add(t, 1);
                            if t != "Patient" {
                                bad += 1;
                            }
                        }
                        None => bad += 1,
                    },
                    Err(_) => bad += 1,
                }
            }
            prop_assert_eq!((got.resources, got.bad_lines, got.by_type), (resources, bad, by_type));
        }
    }

    #[test]
    fn type_counts_read_and_write_as_a_map() {
        let mut c = TypeCounts::default();
        c.add("Patient", 2);
        c.add("Observation", 1);
        c.add("Patient", 1);
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(json, r#"{"Observation":1,"Patient":3}"#);
        let back: TypeCounts = serde_json::from_str(&json).unwrap();
        assert_eq!(back, c);
        assert_eq!(back["Patient"], 3);
    }

    #[test]
    fn only_the_first_problems_are_kept() {
        let body = "x\n".repeat(100);
        let c = check("Patient", &[body.as_bytes()]);
        assert_eq!(c.bad_lines, 100);
        assert_eq!(c.problems.len(), KEEP_PROBLEMS);
    }

    #[test]
    fn a_long_line_is_checked_as_it_streams_not_buffered() {
        let mut c = Checker::new("Patient");
        // A line of 3 MiB in chunks of 64 KiB: valid, then one cut off.
        let body = format!(
            "{{\"resourceType\":\"Patient\",\"text\":\"{}\"}}\n{{\"resourceType\":\"Patient\",\"x\":[{}",
            "a".repeat(3 << 20),
            "1,".repeat(1 << 20)
        );
        for ch in body.as_bytes().chunks(64 << 10) {
            c.feed(ch);
            assert!(c.pending.capacity() <= 2 * LONG_LINE, "bounded buffer");
        }
        let r = c.finish();
        assert_eq!(r.resources, 1);
        assert_eq!(r.bad_lines, 1);
        assert_eq!(r.problems[0], "line 2: cut off (its JSON does not end)");
    }

    #[test]
    fn a_gzip_bomb_of_one_endless_line_stays_in_bounded_memory() {
        // 64 MiB of spaces after an opening brace, compressed to ~64 KiB.
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(b"{").unwrap();
        let spaces = vec![b' '; 1 << 20];
        for _ in 0..64 {
            enc.write_all(&spaces).unwrap();
        }
        let gz = enc.finish().unwrap();
        let mut s = Stream::new("Patient", true);
        for ch in gz.chunks(16 << 10) {
            s.feed(ch);
            if let Stream::Gzip(d, _) = &s {
                assert!(d.get_ref().0.pending.capacity() <= 2 * LONG_LINE);
            }
        }
        let c = s.finish();
        assert_eq!(c.bad_lines, 1);
        assert!(c.problems[0].contains("cut off"), "{:?}", c.problems);
    }

    #[test]
    fn gzip_is_checked_on_the_decompressed_lines() {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(b"{\"resourceType\":\"Patient\"}\n{\"resourceType\":\"Patient\"}\n")
            .unwrap();
        let gz = enc.finish().unwrap();
        let mut s = Stream::new("Patient", true);
        for b in gz.chunks(7) {
            s.feed(b);
        }
        let c = s.finish();
        assert_eq!((c.resources, c.bad_lines), (2, 0));

        // Cut short: the stream is incomplete.
        let mut s = Stream::new("Patient", true);
        s.feed(&gz[..gz.len() - 6]);
        let c = s.finish();
        assert!(
            c.problems.iter().any(|p| p.contains("gzip")),
            "{:?}",
            c.problems
        );

        let mut s = Stream::new("Patient", true);
        s.feed(b"{\"resourceType\":\"Patient\"}\n");
        assert!(s.finish().bad_lines > 0, "plain text is not gzip");
    }
}
