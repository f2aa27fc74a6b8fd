//! Properties of the FHIR answers we read: searchset pages and their
//! `next` links, error answers and OperationOutcomes, and the `name=value`
//! search words. (Their display in every format is `output`'s: its
//! proptests use the generators here.)

use std::sync::LazyLock;

use proptest::prelude::*;
use serde_json::{Value, json};

use super::client::{ClientOptions, Fhir, TokenSource};
use super::outcome;
use super::pages;
use super::params::{self, Param};
use crate::testgen::{self, gives_away, secret, unguessable};

const RESOURCE_FIELDS: &[&str] = &[
    "resourceType",
    "id",
    "meta",
    "name",
    "gender",
    "birthDate",
    "code",
    "valueQuantity",
    "valueString",
    "valueBoolean",
    "component",
    "clinicalStatus",
    "status",
    "class",
    "period",
    "effectiveDateTime",
    "issue",
];

pub(crate) const TYPES: &[&str] = &[
    "Patient",
    "Observation",
    "Condition",
    "Encounter",
    "OperationOutcome",
    "Device",
    "",
];

/// A resource: the fields the table reads, of their type or not.
pub(crate) fn resource() -> impl Strategy<Value = Value> {
    testgen::object_of(RESOURCE_FIELDS, |f| match f {
        "resourceType" => prop::sample::select(TYPES).prop_map(Value::from).boxed(),
        "id" | "gender" | "birthDate" | "status" | "effectiveDateTime" | "valueString" => {
            testgen::text().prop_map(Value::String).boxed()
        }
        "name" => testgen::json_with(&["given", "family", "text"]).boxed(),
        "code" | "clinicalStatus" | "class" => {
            testgen::json_with(&["coding", "display", "code", "text"]).boxed()
        }
        "valueQuantity" => testgen::json_with(&["value", "unit", "code"]).boxed(),
        "component" => prop::collection::vec(
            testgen::json_with(&["valueQuantity", "value", "unit"]),
            0..3,
        )
        .prop_map(Value::Array)
        .boxed(),
        "issue" => prop::collection::vec(issue(), 0..3)
            .prop_map(Value::Array)
            .boxed(),
        _ => testgen::json_with(&["lastUpdated", "start", "value"]).boxed(),
    })
    .prop_map(Value::Object)
}

const ISSUE_FIELDS: &[&str] = &[
    "severity",
    "code",
    "diagnostics",
    "details",
    "expression",
    "location",
];

fn issue() -> impl Strategy<Value = Value> {
    testgen::object_of(ISSUE_FIELDS, |f| match f {
        "details" => testgen::json_with(&["text", "coding", "display"]).boxed(),
        "expression" | "location" => prop::collection::vec(testgen::scalar(), 0..3)
            .prop_map(Value::Array)
            .boxed(),
        _ => testgen::text().prop_map(Value::String).boxed(),
    })
    .prop_map(Value::Object)
}

/// A `next` link's URL: relative, same origin, another origin in all the
/// ways a URL can spell one, or any text.
fn link_url() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "Patient?page=2",
            "/fhir/Patient?page=2",
            "https://ehr.example.org/fhir/Patient?_getpages=x",
            "https://ehr.example.org:443/fhir?x",
            "https://EHR.example.org/fhir?x",
            "https://ehr.example.org./fhir?x",
            "https://ehr.example.org:8443/fhir?x",
            "http://ehr.example.org/fhir?x",
            "//evil.example/fhir",
            "\\\\evil.example/fhir",
            "/\\evil.example/fhir",
            "https:evil.example",
            "https:/evil.example/x",
            "https://ehr.example.org@evil.example/",
            "https://evil.example#@ehr.example.org/",
            "https://evil.example\\@ehr.example.org/",
            "https://ehr.example.org%2F@evil.example/",
            "ftp://ehr.example.org/",
            "javascript:alert(1)",
            "data:text/plain,x",
            "https://[::1]/",
            "https://xn--ehr-example-org/",
            " https://evil.example/",
            "\thttps://evil.example/",
            "https://ehr.example.org\t.evil/",
            "../../../other",
            "?page=3",
            "#x",
            "",
        ])
        .prop_map(str::to_owned),
        "(https?:)?(//)?[a-z.@:%\\\\/]{0,24}[?#]?[a-z=&]{0,8}",
        testgen::text(),
    ]
}

fn link() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(vec!["next", "self", "previous", "NEXT", ""]),
        link_url(),
    )
        .prop_map(|(r, u)| json!({"relation": r, "url": u}))
}

fn entry() -> impl Strategy<Value = Value> {
    testgen::object_of(&["resource", "search", "fullUrl"], |f| match f {
        "resource" => resource().boxed(),
        "search" => prop::sample::select(vec!["match", "include", "outcome", "other"])
            .prop_map(|m| json!({ "mode": m }))
            .boxed(),
        _ => testgen::text().prop_map(Value::String).boxed(),
    })
    .prop_map(Value::Object)
}

/// A searchset page: mostly a Bundle of the right shape.
pub(crate) fn bundle() -> impl Strategy<Value = Value> {
    testgen::object_of(
        &["resourceType", "type", "total", "link", "entry"],
        |f| match f {
            "resourceType" => prop_oneof![
                4 => Just(Value::from("Bundle")),
                1 => prop::sample::select(TYPES).prop_map(Value::from),
            ]
            .boxed(),
            "total" => testgen::number().boxed(),
            "link" => prop::collection::vec(link(), 0..3)
                .prop_map(Value::Array)
                .boxed(),
            "entry" => prop::collection::vec(entry(), 0..5)
                .prop_map(Value::Array)
                .boxed(),
            _ => testgen::text().prop_map(Value::String).boxed(),
        },
    )
    .prop_map(Value::Object)
}

/// A client of `https://ehr.example.org/fhir` that holds a token (so the
/// origin rule applies), made once.
static FHIR: LazyLock<Fhir> = LazyLock::new(|| fhir(false));
static FHIR_FORMAT: LazyLock<Fhir> = LazyLock::new(|| fhir(true));

fn fhir(format_json: bool) -> Fhir {
    let source = TokenSource {
        refresh: Box::new(|| {
            Box::pin(async {
                Err::<oauth2::AccessToken, _>(crate::error::Error::auth("no refresh"))
            })
        }),
        profile: "p".into(),
    };
    Fhir::new(
        &crate::http::Options::default(),
        ClientOptions {
            base: crate::discovery::parse_base("https://ehr.example.org/fhir").unwrap(),
            format_json,
            retries: 0,
            max_wait: std::time::Duration::from_secs(60),
            wait_reports: crate::fhir::client::WaitReports::Quiet,
        },
        Some((oauth2::AccessToken::new("AT-0123456789".into()), source)),
    )
    .unwrap()
}

proptest! {
    /// A `next` link is followed only on the FHIR base's origin, however
    /// it is spelled; `_format=json` is added once when the profile asks.
    #[test]
    fn prop_next_links_never_leave_the_origin(link in link_url(), format in any::<bool>()) {
        let fhir = if format { &*FHIR_FORMAT } else { &*FHIR };
        match pages::next_url(fhir, &link) {
            Ok(u) => {
                prop_assert_eq!(u.origin(), fhir.base().origin(), "{}", u);
                let formats = u.query_pairs().filter(|(k, _)| k == "_format").count();
                prop_assert!(!format || formats >= 1);
            }
            Err(e) => {
                prop_assert_eq!(e.kind, crate::error::Kind::Server);
                prop_assert!(!e.message.chars().any(char::is_control));
            }
        }
    }
}

/// A FHIR error answer that may echo the bearer token: an
/// OperationOutcome, another JSON document, HTML, or anything.
fn error_body(token: &str, echo: bool) -> impl Strategy<Value = (Option<String>, Vec<u8>)> {
    let token = token.to_owned();
    let said = move |s: String| {
        if echo {
            format!("{s} Bearer {token} rejected")
        } else {
            s
        }
    };
    let said2 = said.clone();
    let said3 = said.clone();
    prop_oneof![
        3 => (prop::collection::vec(issue(), 0..3), testgen::text()).prop_map(move |(mut issues, text)| {
            issues.push(json!({"severity": "error", "code": "security", "diagnostics": said(text)}));
            (Some("application/fhir+json".to_owned()), json!({"resourceType": "OperationOutcome", "issue": issues}).to_string().into_bytes())
        }),
        1 => (testgen::content_type(), testgen::text()).prop_map(move |(ct, t)| {
            (ct, json!({"message": said2(t)}).to_string().into_bytes())
        }),
        1 => (testgen::content_type(), testgen::text()).prop_map(move |(ct, t)| {
            (ct, format!("<html>{}</html>", said3(t)).into_bytes())
        }),
        1 => (testgen::content_type(), testgen::body_from(testgen::json_with(&["resourceType", "issue"]))),
    ]
}

fn error_text(e: &crate::error::Error) -> String {
    format!(
        "{}\n{:?}\n{:?}\n{}",
        e.message,
        e.hint,
        e.details,
        e.outcome
            .as_ref()
            .map(|o| o.to_string())
            .unwrap_or_default()
    )
}

proptest! {
    /// An error answer of any status and body makes one error without a
    /// panic: its lines are printable, and a token the server echoes back
    /// is in none of it (message, details, the OperationOutcome kept for
    /// `--json`).
    #[test]
    fn prop_error_answers_never_show_the_token(
        token in secret(),
        (ct, body) in error_body("TOKEN-PLACEHOLDER", true),
        status in prop_oneof![Just(401u16), Just(403), Just(404), Just(412), Just(500), 400u16..600],
    ) {
        prop_assume!(unguessable(&token, "GET /fhir/Patient: the server answered Bearer rejected security error html message resourceType OperationOutcome issue severity code diagnostics application/fhir+json"));
        // Into JSON as JSON writes it; into anything else as it is.
        let text = String::from_utf8_lossy(&body);
        let as_written = if serde_json::from_str::<Value>(&text).is_ok() {
            let j = serde_json::to_string(&token).unwrap();
            j[1..j.len() - 1].to_owned()
        } else {
            token.clone()
        };
        let body = text.replace("TOKEN-PLACEHOLDER", &as_written);
        let resp = testgen::response(status, ct.as_deref(), body.into_bytes());
        let e = outcome::status_error("GET /fhir/Patient", &resp, std::slice::from_ref(&token));
        prop_assert!(!e.message.chars().any(char::is_control));
        for line in &e.details {
            prop_assert!(!line.chars().any(char::is_control), "{line:?}");
        }
        let shown = error_text(&e);
        prop_assert!(!gives_away(&shown, &token), "{shown}");
    }

    /// Bodies that are not JSON, cut short or malformed, are explained in
    /// one line without a panic.
    #[test]
    fn prop_unusable_bodies_are_explained(
        body in testgen::body_from(bundle()),
        ct in testgen::content_type(),
    ) {
        let resp = testgen::response(200, ct.as_deref(), body.clone());
        let _ = outcome::require_json("GET /fhir/x", &resp);
        if let Err(e) = serde_json::from_slice::<Value>(&body) {
            let err = outcome::json_error("GET /fhir/x", &body, &e);
            prop_assert!(!err.message.chars().any(char::is_control));
        }
        if let Some(o) = outcome::parse_outcome(&body) {
            let _ = outcome::issue_lines(&o);
        }
    }
}

/// A search parameter name as FHIR writes them (modifiers, chains,
/// reverse chains).
fn param_name() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_$.:-]{1,24}"
}

proptest! {
    /// `name=value` reads back as that name and value, whatever the value
    /// holds (`=`, `&`, `#`, `+`, `%`, spaces, unicode); and what `encode`
    /// writes, a server's form decoder reads back exactly.
    #[test]
    fn prop_search_words_round_trip(
        words in prop::collection::vec((param_name(), ".{1,24}"), 1..5),
    ) {
        let mut parsed = Vec::new();
        for (name, value) in &words {
            let p = params::parse_word(&format!("{name}={value}")).map_err(|e| TestCaseError::fail(e.message))?;
            prop_assert_eq!(&p, &Param { name: name.clone(), value: value.clone() });
            parsed.push(p);
        }
        let query = params::encode(&parsed);
        prop_assert!(!query.contains([' ', '#', '+']), "{query}");
        let back: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
        prop_assert_eq!(back, words);
    }

    /// Any word is a parameter or one clear refusal: a parameter's name
    /// holds no character that changes the request's shape.
    #[test]
    fn prop_any_word_is_read_or_refused(word in prop_oneof![".{0,32}", "[a-z&#= :.%+-]{0,16}"]) {
        match params::parse_word(&word) {
            Ok(p) => {
                prop_assert_eq!(format!("{}={}", p.name, p.value), word);
                prop_assert!(!p.name.contains(['&', '#', ' ', '=', '?']));
                prop_assert!(!p.value.is_empty());
            }
            Err(e) => prop_assert!(e.message.starts_with("malformed search parameter")),
        }
    }
}
