//! Generators for the property tests (`*/proptests.rs`): hostile input of
//! the right shape. Pure random bytes rarely get past a parser's first
//! check, so these make documents that are nearly valid — the right fields
//! with wrong types, numbers at the edges, deep nesting, unicode and
//! control characters, truncated bodies — and secrets to hide.

use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::{Map, Number, Value};

/// proptest's own number of cases when PROPTEST_CASES is not set.
const PROPTEST_DEFAULT_CASES: u32 = 256;

/// The default config with `cases` instead of proptest's 256, for the
/// slower properties. `Config::default()` has already read PROPTEST_CASES
/// (`scripts/fuzz` sets it), so a count other than 256 came from there and
/// is kept; nothing here reads the environment itself.
pub fn cases(cases: u32) -> Config {
    let mut c = Config::default();
    if c.cases == PROPTEST_DEFAULT_CASES {
        c.cases = cases;
    }
    c
}

/// Text a server might send: plain words, edge numbers in strings, URLs,
/// control characters (ESC, BEL, NUL, CR/LF, C1), wide unicode, or anything.
pub fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-zA-Z0-9 _./:-]{0,24}",
        1 => prop::sample::select(EDGE_TEXT).prop_map(str::to_owned),
        1 => "[\\x00-\\x1f\\x7f\\u{80}-\\u{9f}\\u{1b}a\\[\\]0-9;]{0,16}",
        1 => "\\PC{0,16}",
        1 => ".{0,16}",
        1 => (prop::sample::select(EDGE_TEXT), "[a-z]{1,8}").prop_map(|(a, b)| format!("{a}{b}")),
    ]
}

const EDGE_TEXT: &[&str] = &[
    "",
    " ",
    "Bearer",
    "bearer",
    "BEARER",
    "mac",
    "3600",
    " 3600 ",
    "-1",
    "0",
    "1e400",
    "-1e400",
    "18446744073709551615",
    "18446744073709551616",
    "9223372036854775808",
    "NaN",
    "true",
    "TRUE",
    "false",
    "null",
    "https://ehr.example.org/fhir",
    "http://127.0.0.1:9/token",
    "http://evil.example/token",
    "//evil.example/x",
    "javascript:alert(1)",
    "file:///etc/passwd",
    "https://[::1]:1/x",
    "http://[::1]/cb",
    "https://user:pw@host/x?code=c#frag",
    "Patient/1",
    "patient/*.rs",
    "\u{1b}[2J\u{1b}]0;pwned\u{7}",
    "\r\n\r\n",
    "\0",
    "é",
    "\u{202e}",
    "\u{feff}",
    "😀",
    "a\u{300}",
];

/// Numbers at the edges: zero, negatives, u64/i64 limits, huge and tiny
/// floats, fractions.
pub fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        prop::sample::select(vec![
            0.0,
            -0.0,
            0.5,
            299.7,
            -1.0,
            1e19,
            1.8446744073709552e19,
            9.3e18,
            1e300,
            -1e300,
            f64::MAX,
            f64::MIN,
            f64::MIN_POSITIVE,
            5e-324
        ])
        .prop_map(|f| Number::from_f64(f).map_or(Value::Null, Value::Number)),
        any::<f64>().prop_map(|f| Number::from_f64(f).map_or(Value::Null, Value::Number)),
        Just(Value::from(u64::MAX)),
        Just(Value::from(i64::MIN)),
    ]
}

/// A JSON leaf of any type.
pub fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        2 => number(),
        4 => text().prop_map(Value::String),
    ]
}

/// Any JSON value, nested a few levels, with keys from `keys` (and some
/// others) so that a parser's own field names come up.
pub fn json_with(keys: &'static [&'static str]) -> impl Strategy<Value = Value> {
    scalar().prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(keys), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// Any JSON value with arbitrary keys.
pub fn json() -> impl Strategy<Value = Value> {
    json_with(&[])
}

/// A key from `keys` most of the time, else any text.
pub fn key(keys: &'static [&'static str]) -> BoxedStrategy<String> {
    if keys.is_empty() {
        text().boxed()
    } else {
        prop_oneof![
            4 => prop::sample::select(keys).prop_map(str::to_owned),
            1 => text(),
        ]
        .boxed()
    }
}

/// An object with some of `fields`, each of the type `value` makes for it
/// (the right one, usually) or any other, plus a stray key now and then.
pub fn object_of(
    fields: &'static [&'static str],
    value: impl Fn(&'static str) -> BoxedStrategy<Value> + 'static,
) -> impl Strategy<Value = Map<String, Value>> {
    let per_field: Vec<BoxedStrategy<Option<(String, Value)>>> = fields
        .iter()
        .map(|f| {
            prop::option::weighted(
                0.7,
                prop_oneof![
                    4 => value(f),
                    1 => json_with(fields).boxed(),
                ]
                .prop_map(move |v| (f.to_string(), v)),
            )
            .boxed()
        })
        .collect();
    (per_field, prop::collection::vec((text(), scalar()), 0..2))
        .prop_map(|(known, stray)| known.into_iter().flatten().chain(stray).collect())
}

/// A body made from a document: as it is, cut short, with a byte changed,
/// or replaced by arbitrary bytes or a very deep nesting.
pub fn body_from(doc: impl Strategy<Value = Value> + 'static) -> impl Strategy<Value = Vec<u8>> {
    let doc = doc
        .prop_map(|v| serde_json::to_vec(&v).unwrap_or_default())
        .boxed();
    prop_oneof![
        6 => doc.clone(),
        1 => (doc.clone(), any::<prop::sample::Index>())
            .prop_map(|(b, i)| b[..i.index(b.len() + 1)].to_vec()),
        1 => (doc, any::<prop::sample::Index>(), any::<u8>()).prop_map(|(mut b, i, x)| {
            if !b.is_empty() {
                let at = i.index(b.len());
                b[at] = x;
            }
            b
        }),
        1 => prop::collection::vec(any::<u8>(), 0..64),
        1 => (1usize..3000, prop::bool::ANY).prop_map(|(n, obj)| deep(n, obj)),
    ]
}

/// `[[[…]]]` or `{"a":{"a":…}}`, `depth` levels deep.
pub fn deep(depth: usize, objects: bool) -> Vec<u8> {
    let (open, close) = if objects {
        ("{\"a\":", "}")
    } else {
        ("[", "]")
    };
    let mut s = open.repeat(depth);
    s.push('1');
    s.push_str(&close.repeat(depth));
    s.into_bytes()
}

/// A secret value (a token, code, client secret…): 8 to 40 characters
/// with the ones encoders treat specially (`+ / = % & : " \` space,
/// non-ASCII).
pub fn secret() -> impl Strategy<Value = String> {
    "[A-Za-z0-9._~+/=%&:\"\\\\ éЖ€😀-]{8,40}"
}

/// Every way a secret may be written back by a server that echoes its
/// input and that the redaction claims to recognise: as it is,
/// form-encoded, and JSON-escaped.
pub fn encodings(secret: &str) -> Vec<String> {
    let json = serde_json::to_string(secret).unwrap_or_default();
    vec![
        secret.to_owned(),
        url::form_urlencoded::byte_serialize(secret.as_bytes()).collect(),
        json[1..json.len() - 1].to_owned(),
    ]
}

/// True when `shown` gives away `secret`: the whole of it in any of its
/// [`encodings`], or any 8 characters of it in a row (a secret cut in
/// half by a length limit is still given away).
pub fn gives_away(shown: &str, secret: &str) -> bool {
    let chars: Vec<char> = secret.chars().collect();
    if chars.is_empty() {
        return false;
    }
    encodings(secret).iter().any(|e| shown.contains(e.as_str()))
        || chars
            .windows(8.min(chars.len()))
            .any(|w| shown.contains(&w.iter().collect::<String>()))
}

/// A secret that the surrounding fixed text could not give away by chance.
pub fn unguessable(secret: &str, fixed: &str) -> bool {
    !gives_away(fixed, secret) && !gives_away(crate::redact::REDACTED, secret)
}

/// A server's answer, as [`crate::http::Http::send`] returns it.
pub fn response(status: u16, content_type: Option<&str>, body: Vec<u8>) -> crate::http::Response {
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(ct) = content_type.and_then(|c| reqwest::header::HeaderValue::from_str(c).ok()) {
        headers.insert(reqwest::header::CONTENT_TYPE, ct);
    }
    crate::http::Response {
        status: reqwest::StatusCode::from_u16(status).unwrap_or(reqwest::StatusCode::BAD_REQUEST),
        url: url::Url::parse("https://ehr.example.org/x").expect("static URL"),
        headers,
        body: body.into(),
    }
}

/// Content types servers send, right and wrong.
pub fn content_type() -> impl Strategy<Value = Option<String>> {
    prop::option::weighted(
        0.85,
        prop_oneof![
            prop::sample::select(vec![
                "application/json",
                "application/json; charset=utf-8",
                "application/fhir+json",
                "APPLICATION/JSON",
                "text/html",
                "text/plain",
                "application/x-www-form-urlencoded",
                "application/xml",
                "",
            ])
            .prop_map(str::to_owned),
            "[ -~]{0,20}",
        ],
    )
}
