//! A JSON validator for one NDJSON line that keeps nothing but the
//! top-level `resourceType`. It checks the whole grammar (RFC 8259: UTF-8,
//! strings and their escapes, numbers, literals, nesting) without building
//! anything, in one pass with a reused stack: an export's check must keep
//! up with the network (a generic parser that skips values spends several
//! times longer per byte).
//!
//! Its helpers are `#[inline(always)]`: the crate is built for size
//! (`opt-level = "s"`), which left them as calls in the loop that every
//! byte of an export goes through (a fifth of the scan's time, measured).

/// Why a line is not a JSON object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bad {
    /// It ends before its JSON does (a file cut short).
    Eof,
    /// Not JSON, or not an object, at this column (1-based).
    At(usize, &'static str),
}

/// What a valid line held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Head<'a> {
    /// The `resourceType` string as written between its quotes (an escaped
    /// one is rare enough to be decoded by the caller).
    Type(&'a [u8]),
    /// No `resourceType` key, or not a string.
    NoType,
}

/// Scans `line` (one JSON text, whitespace around it allowed); `stack` is
/// scratch space kept between calls.
pub fn scan<'a>(line: &'a [u8], stack: &mut Vec<u8>) -> Result<Head<'a>, Bad> {
    if std::str::from_utf8(line).is_err() {
        let at = match std::str::from_utf8(line) {
            Err(e) if e.error_len().is_none() => return Err(Bad::Eof),
            Err(e) => e.valid_up_to() + 1,
            Ok(_) => 0,
        };
        return Err(Bad::At(at, "invalid UTF-8"));
    }
    stack.clear();
    let b = line;
    // Without control bytes (the usual line), strings are scanned with
    // memchr; with them, byte by byte, to tell whitespace from what a
    // string may not hold.
    let plain = !has_control(b);
    let mut i = skip_ws(b, 0);
    if i >= b.len() {
        return Err(Bad::Eof);
    }
    if b[i] != b'{' {
        return Err(Bad::At(i + 1, "a resource must be a JSON object"));
    }
    let mut found: Option<Head<'a>> = None;
    // The next value is the top-level resourceType's.
    let mut want_type = false;
    // State: true = a value is expected, false = after a value.
    let mut expect_value = true;
    loop {
        if expect_value {
            i = skip_ws(b, i);
            let Some(&c) = b.get(i) else {
                return Err(Bad::Eof);
            };
            if want_type && matches!(c, b'{' | b'[') {
                found = Some(Head::NoType);
                want_type = false;
            }
            match c {
                b'{' => {
                    stack.push(b'{');
                    i = skip_ws(b, i + 1);
                    match b.get(i) {
                        None => return Err(Bad::Eof),
                        Some(b'}') => {
                            stack.pop();
                            i += 1;
                            expect_value = false;
                        }
                        Some(_) => {
                            let (next, is_type) = key(b, i, stack.len() == 1, plain)?;
                            i = next;
                            want_type = is_type && found.is_none();
                        }
                    }
                    continue;
                }
                b'[' => {
                    stack.push(b'[');
                    i = skip_ws(b, i + 1);
                    match b.get(i) {
                        None => return Err(Bad::Eof),
                        Some(b']') => {
                            stack.pop();
                            i += 1;
                            expect_value = false;
                        }
                        Some(_) => {}
                    }
                    continue;
                }
                b'"' => {
                    let end = string(b, i, plain)?;
                    if want_type {
                        found = Some(Head::Type(&b[i + 1..end - 1]));
                    }
                    i = end;
                }
                b'-' | b'0'..=b'9' => i = number(b, i)?,
                b't' => i = literal(b, i, b"true")?,
                b'f' => i = literal(b, i, b"false")?,
                b'n' => i = literal(b, i, b"null")?,
                _ => return Err(Bad::At(i + 1, "expected a value")),
            }
            if want_type && found.is_none() {
                found = Some(Head::NoType);
            }
            want_type = false;
            expect_value = false;
            continue;
        }
        // After a value.
        let Some(&top) = stack.last() else {
            i = skip_ws(b, i);
            return if i == b.len() {
                Ok(found.unwrap_or(Head::NoType))
            } else {
                Err(Bad::At(i + 1, "more after the resource"))
            };
        };
        i = skip_ws(b, i);
        let Some(&c) = b.get(i) else {
            return Err(Bad::Eof);
        };
        match (c, top) {
            (b',', b'{') => {
                let (next, is_type) = key(b, skip_ws(b, i + 1), stack.len() == 1, plain)?;
                i = next;
                want_type = is_type && found.is_none();
                expect_value = true;
            }
            (b',', _) => {
                i += 1;
                expect_value = true;
            }
            (b'}', b'{') | (b']', b'[') => {
                stack.pop();
                i += 1;
            }
            _ => {
                return Err(Bad::At(
                    i + 1,
                    "expected `,` or the end of the object or array",
                ));
            }
        }
    }
}

#[inline(always)]
fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = b.get(i) {
        i += 1;
    }
    i
}

/// A key and its `:` at `i`; returns the index after the colon and whether
/// the key is a top-level `resourceType`.
#[inline(always)]
fn key(b: &[u8], i: usize, top: bool, plain: bool) -> Result<(usize, bool), Bad> {
    match b.get(i) {
        None => return Err(Bad::Eof),
        Some(b'"') => {}
        Some(_) => return Err(Bad::At(i + 1, "expected a key")),
    }
    let end = string(b, i, plain)?;
    let is_type = top && &b[i + 1..end - 1] == b"resourceType";
    let j = skip_ws(b, end);
    match b.get(j) {
        None => Err(Bad::Eof),
        Some(b':') => Ok((j + 1, is_type)),
        Some(_) => Err(Bad::At(j + 1, "expected `:`")),
    }
}

/// Whether `b` has a byte below 0x20 (written so that it vectorizes).
#[inline(always)]
fn has_control(b: &[u8]) -> bool {
    b.chunks(64)
        .any(|c| c.iter().fold(false, |acc, &x| acc | (x < 0x20)))
}

/// A string starting at its quote `i`; returns the index after its end
/// quote. `plain`: the line has no control bytes.
#[inline(always)]
fn string(b: &[u8], i: usize, plain: bool) -> Result<usize, Bad> {
    let mut j = i + 1;
    loop {
        // The common case: plain characters.
        if plain {
            j = quote_or_backslash(b, j);
        } else {
            while let Some(&c) = b.get(j) {
                if c == b'"' || c == b'\\' || c < 0x20 {
                    break;
                }
                j += 1;
            }
        }
        match b.get(j) {
            None => return Err(Bad::Eof),
            Some(b'"') => return Ok(j + 1),
            Some(b'\\') => match b.get(j + 1) {
                None => return Err(Bad::Eof),
                Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => j += 2,
                Some(b'u') => {
                    let hex = b.get(j + 2..j + 6).ok_or(Bad::Eof)?;
                    if !hex.iter().all(u8::is_ascii_hexdigit) {
                        return Err(Bad::At(j + 1, "bad \\u escape"));
                    }
                    j += 6;
                }
                Some(_) => return Err(Bad::At(j + 1, "bad escape")),
            },
            Some(_) => return Err(Bad::At(j + 1, "a control character in a string")),
        }
    }
}

/// The index of the first `"` or `\\` in `b` from `j` (`b.len()` if none),
/// eight bytes at a time: most strings of a resource are a few bytes long,
/// where a word at a time beats `memchr2`, whose set-up was a quarter of the
/// scan's time.
#[inline(always)]
fn quote_or_backslash(b: &[u8], mut j: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    while let Some(w) = b.get(j..j + 8) {
        let x = u64::from_le_bytes(w.try_into().expect("eight bytes"));
        let q = x ^ (ONES * u64::from(b'"'));
        let s = x ^ (ONES * u64::from(b'\\'));
        // A zero byte in q or s is a match. The lowest byte flagged is
        // exact (a borrow only runs upwards, past a real zero).
        let m = (q.wrapping_sub(ONES) & !q | s.wrapping_sub(ONES) & !s) & HIGH;
        if m != 0 {
            return j + (m.trailing_zeros() / 8) as usize;
        }
        j += 8;
    }
    while b.get(j).is_some_and(|&c| c != b'"' && c != b'\\') {
        j += 1;
    }
    j
}

/// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?` at `i`.
#[inline(always)]
fn number(b: &[u8], i: usize) -> Result<usize, Bad> {
    let mut j = i;
    if b.get(j) == Some(&b'-') {
        j += 1;
    }
    let digits = |mut k: usize| {
        let start = k;
        while b.get(k).is_some_and(u8::is_ascii_digit) {
            k += 1;
        }
        (k, k - start)
    };
    match b.get(j) {
        None => return Err(Bad::Eof),
        Some(b'0') => j += 1,
        Some(b'1'..=b'9') => j = digits(j).0,
        Some(_) => return Err(Bad::At(j + 1, "bad number")),
    }
    if b.get(j) == Some(&b'.') {
        let (k, n) = digits(j + 1);
        if n == 0 {
            return Err(if k >= b.len() {
                Bad::Eof
            } else {
                Bad::At(k + 1, "bad number")
            });
        }
        j = k;
    }
    if let Some(b'e' | b'E') = b.get(j) {
        j += 1;
        if let Some(b'+' | b'-') = b.get(j) {
            j += 1;
        }
        let (k, n) = digits(j);
        if n == 0 {
            return Err(if k >= b.len() {
                Bad::Eof
            } else {
                Bad::At(k + 1, "bad number")
            });
        }
        j = k;
    }
    Ok(j)
}

#[inline(always)]
fn literal(b: &[u8], i: usize, lit: &[u8]) -> Result<usize, Bad> {
    let end = i + lit.len();
    match b.get(i..end) {
        Some(s) if s == lit => Ok(end),
        // A prefix of the literal cut off by the end of the line.
        None if lit.starts_with(&b[i..]) => Err(Bad::Eof),
        _ => Err(Bad::At(i + 1, "expected a value")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan_str(s: &str) -> Result<Head<'_>, Bad> {
        scan(s.as_bytes(), &mut Vec::new())
    }

    #[test]
    fn the_top_level_resource_type_is_found() {
        assert_eq!(
            scan_str(r#"{"id":"1","resourceType":"Patient","contained":[{"resourceType":"X"}]}"#),
            Ok(Head::Type(b"Patient"))
        );
        // Only the top level counts.
        assert_eq!(
            scan_str(r#"{"contained":[{"resourceType":"X"}],"a":{"resourceType":"Y"}}"#),
            Ok(Head::NoType)
        );
        assert_eq!(scan_str(r#"{"resourceType":1}"#), Ok(Head::NoType));
        assert_eq!(scan_str(r#"{"resourceType":["X"]}"#), Ok(Head::NoType));
        assert_eq!(scan_str(r#"{"resourceType":{"a":"X"}}"#), Ok(Head::NoType));
        assert_eq!(scan_str(r#"  {}  "#), Ok(Head::NoType));
        assert_eq!(
            scan_str(r#"{"resourceType":"A","resourceType":"B"}"#),
            Ok(Head::Type(b"A"))
        );
    }

    /// The validator agrees with serde_json on what is JSON.
    #[test]
    fn it_agrees_with_serde_json() {
        let cases = [
            r#"{"a":[1,-2.5e+3,0,0.1,1E5,true,false,null,"x\"\\\/\b\f\n\r\t\u00e9"],"b":{}}"#,
            r#"{"a":[[],[{}],{"b":[]}]}"#,
            "{\"é\":\"ü\"}",
            r#"{"a":01}"#,
            r#"{"a":1.}"#,
            r#"{"a":1e}"#,
            r#"{"a":-}"#,
            r#"{"a":+1}"#,
            r#"{"a":.5}"#,
            r#"{"a":tru}"#,
            r#"{"a":nul,"b":1}"#,
            r#"{"a":"\x"}"#,
            r#"{"a":"\u12G4"}"#,
            "{\"a\":\"tab\there\"}",
            r#"{"a":1,}"#,
            r#"{"a":[1,]}"#,
            r#"{,"a":1}"#,
            r#"{"a" 1}"#,
            r#"{"a":1}}"#,
            r#"{"a":[1}"#,
            r#"{"a":{1:2}}"#,
            r#"{"a":1} x"#,
            r#"{"a":1}{"b":2}"#,
            r#"{'a':1}"#,
        ];
        for c in cases {
            let ours = scan_str(c).is_ok();
            let serde = serde_json::from_str::<serde_json::Value>(c).is_ok();
            assert_eq!(ours, serde, "{c}");
        }
    }

    #[test]
    fn a_line_cut_anywhere_is_cut_off() {
        let line = r#"{"resourceType":"Patient","n":[1.5e3,true,null,"a\u00e9b"],"o":{"x":-0}}"#;
        for cut in 0..line.len() {
            assert_eq!(
                scan_str(&line[..cut]),
                Err(Bad::Eof),
                "cut at {cut}: {}",
                &line[..cut]
            );
        }
        let cut_utf8 = &"{\"a\":\"é\"}".as_bytes()[..7];
        assert_eq!(scan(cut_utf8, &mut Vec::new()), Err(Bad::Eof));
    }

    use proptest::prelude::*;

    proptest! {
        #![proptest_config(crate::testgen::cases(512))]

        /// The word-at-a-time search finds what memchr2 finds, from any
        /// start, in bytes rich in quotes, backslashes, their neighbours
        /// (0x21, 0x23, 0x5b, 0x5d: off by one bit or one value) and high
        /// bytes.
        #[test]
        fn prop_quote_or_backslash_is_memchr2(
            b in proptest::collection::vec(
                prop_oneof![
                    Just(b'"'), Just(b'\\'), Just(0x21u8), Just(0x23u8), Just(0x5bu8),
                    Just(0x5du8), Just(0xa2u8), Just(0xdcu8), Just(0u8), any::<u8>(),
                    Just(b'a'), Just(b'a'), Just(b'a'), Just(b'a'),
                ],
                0..80,
            ),
            start in 0usize..80,
        ) {
            let start = start.min(b.len());
            let want = memchr::memchr2(b'"', b'\\', &b[start..]).map_or(b.len(), |k| start + k);
            prop_assert_eq!(quote_or_backslash(&b, start), want);
        }
    }

    #[test]
    fn quote_or_backslash_at_every_offset() {
        for len in 0..20 {
            for at in 0..len {
                for c in [b'"', b'\\'] {
                    let mut b = vec![b'x'; len];
                    b[at] = c;
                    assert_eq!(quote_or_backslash(&b, 0), at, "{len} {at}");
                }
            }
            assert_eq!(quote_or_backslash(&vec![0xffu8; len], 0), len);
        }
    }

    const FIELDS: &[&str] = &["resourceType", "id", "contained", "entry", "resource"];

    proptest! {
        #![proptest_config(crate::testgen::cases(512))]

        /// On anything, JSON or nearly: the same verdict as serde_json and
        /// the same top-level resourceType. (serde_json alone refuses
        /// nesting deeper than 128 and numbers beyond f64; those are JSON.)
        #[test]
        fn prop_scan_agrees_with_serde_json(
            body in crate::testgen::body_from(crate::testgen::json_with(FIELDS)),
        ) {
            let ours = scan(&body, &mut Vec::new());
            match serde_json::from_slice::<serde_json::Value>(&body) {
                Ok(v) if v.is_object() => {
                    let want = match v.get("resourceType") {
                        Some(serde_json::Value::String(t)) => Some(t.clone()),
                        _ => None,
                    };
                    let got = match &ours {
                        Ok(Head::Type(raw)) => Some(serde_json::from_slice::<String>(
                            &[b"\"", *raw, b"\""].concat()).unwrap()),
                        Ok(Head::NoType) => None,
                        Err(e) => panic!("{e:?} for {}", String::from_utf8_lossy(&body)),
                    };
                    prop_assert_eq!(got, want);
                }
                Ok(_) => prop_assert!(ours.is_err()),
                Err(e) => {
                    let m = e.to_string();
                    let json_all_the_same =
                        m.contains("recursion limit") || m.contains("number out of range");
                    prop_assert!(ours.is_err() || json_all_the_same, "{m}: {ours:?}");
                    // Cut short (and nothing else wrong): cut off, for both.
                    let cut = e.is_eof()
                        && !json_all_the_same
                        && std::str::from_utf8(&body).is_ok()
                        && body.trim_ascii_start().first() == Some(&b'{');
                    if cut {
                        prop_assert_eq!(ours, Err(Bad::Eof));
                    }
                }
            }
        }
    }

    #[test]
    fn what_is_not_a_resource_is_said_with_its_column() {
        assert_eq!(
            scan_str("[1]"),
            Err(Bad::At(1, "a resource must be a JSON object"))
        );
        assert_eq!(
            scan_str("not json"),
            Err(Bad::At(1, "a resource must be a JSON object"))
        );
        assert_eq!(scan_str(r#"{"a":x}"#), Err(Bad::At(6, "expected a value")));
        assert_eq!(
            scan(b"{\"a\":\"\xff\"}", &mut Vec::new()),
            Err(Bad::At(7, "invalid UTF-8"))
        );
    }
}
