//! Properties of the answers commands read themselves: dynamic client
//! registration, token introspection, and the CapabilityStatement summary.

use proptest::prelude::*;
use serde_json::{Value, json};

use crate::testgen::{self, gives_away, secret, unguessable};

const REGISTRATION_FIELDS: &[&str] = &[
    "client_id",
    "client_secret",
    "registration_access_token",
    "registration_client_uri",
    "scope",
    "error",
    "error_description",
    "client_id_issued_at",
    "client_secret_expires_at",
    "jwks",
];

fn registration_answer() -> impl Strategy<Value = Value> {
    testgen::object_of(REGISTRATION_FIELDS, |f| match f {
        "client_secret" | "registration_access_token" => secret().prop_map(Value::String).boxed(),
        "client_id_issued_at" | "client_secret_expires_at" => testgen::number().boxed(),
        "jwks" => testgen::json_with(&["keys", "kty", "d"]).boxed(),
        _ => testgen::text().prop_map(Value::String).boxed(),
    })
    .prop_map(Value::Object)
}

proptest! {
    /// Any registration answer is read or refused without a panic; a
    /// client is registered only with a non-empty string `client_id`; a
    /// secret is kept exactly when one was issued as a string; and what
    /// `--json` prints of the answer holds no secret.
    #[test]
    fn prop_registration_answers_are_read_or_refused(
        body in testgen::body_from(registration_answer()),
        status in prop_oneof![Just(201u16), Just(200), Just(400), Just(401), 100u16..600],
        ct in testgen::content_type(),
    ) {
        let resp = testgen::response(status, ct.as_deref(), body.clone());
        let doc: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        match super::register::read_answer(&resp) {
            Ok(r) => {
                prop_assert!((200..300).contains(&status));
                prop_assert_eq!(Some(r.client_id.as_str()), doc["client_id"].as_str());
                prop_assert!(!r.client_id.is_empty());
                prop_assert_eq!(r.secret.as_ref().map(|s| s.expose()), doc["client_secret"].as_str());
                let printed = crate::redact::json(&r.answer);
                for k in ["client_secret", "registration_access_token"] {
                    if !doc[k].is_null() {
                        prop_assert_eq!(printed[k].as_str(), Some(crate::redact::REDACTED));
                    }
                }
            }
            Err(e) => {
                prop_assert!(!e.message.chars().any(char::is_control));
                prop_assert!(e.message.starts_with("the registration"), "{}", e.message);
            }
        }
    }

    /// An introspection error answer that echoes the token (the form's
    /// `token`) shows none of it, whatever the body.
    #[test]
    fn prop_introspection_errors_never_show_the_token(
        token in secret(),
        shape in 0usize..3,
        pad in 0usize..100,
        status in prop_oneof![Just(400u16), Just(401), Just(500), 300u16..600],
    ) {
        prop_assume!(unguessable(&token, "introspection answered Bad Request Unauthorized Internal Server Error error invalid_token message html xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…"));
        let form = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("token", &token)
            .append_pair("token_type_hint", "access_token")
            .finish();
        let sent = crate::redact::secrets_in_request(&form, None);
        let pad = "x".repeat(pad);
        let (ct, body) = match shape {
            0 => ("application/json", json!({"error": "invalid_token", "message": format!("{pad} {token}")}).to_string()),
            1 => ("text/html", format!("<html>{pad} {token}</html>")),
            _ => ("text/plain", format!("{pad}{}", url::form_urlencoded::byte_serialize(token.as_bytes()).collect::<String>())),
        };
        let resp = testgen::response(status, Some(ct), body.into_bytes());
        if let Err(e) = super::token::read_introspection(&resp, &sent) {
            prop_assert!(!gives_away(&e.message, &token), "{}", e.message);
        }
    }

    /// Any introspection answer at all: read as sent, or refused, no panic.
    #[test]
    fn prop_introspection_answers_are_read_as_sent(
        body in testgen::body_from(testgen::json_with(&["active", "scope", "aud", "exp", "client_id"])),
    ) {
        let resp = testgen::response(200, Some("application/json"), body.clone());
        if let Ok(v) = super::token::read_introspection(&resp, &[]) {
            prop_assert_eq!(Some(v), serde_json::from_slice::<Value>(&body).ok());
        }
    }
}

const CAPABILITY_FIELDS: &[&str] = &["software", "fhirVersion", "status", "format", "rest"];

fn capability_statement() -> impl Strategy<Value = Value> {
    let rest = testgen::object_of(&["security", "resource", "mode"], |f| match f {
        "security" => testgen::json_with(&[
            "service",
            "coding",
            "code",
            "text",
            "extension",
            "url",
            "valueUri",
        ])
        .boxed(),
        "resource" => prop::collection::vec(
            testgen::json_with(&["type", "interaction", "code", "searchParam", "name"]),
            0..4,
        )
        .prop_map(Value::Array)
        .boxed(),
        _ => testgen::text().prop_map(Value::String).boxed(),
    })
    .boxed();
    testgen::object_of(CAPABILITY_FIELDS, move |f| match f {
        "software" => testgen::json_with(&["name", "version"]).boxed(),
        "format" => prop::collection::vec(testgen::scalar(), 0..3)
            .prop_map(Value::Array)
            .boxed(),
        "rest" => prop::collection::vec(rest.clone().prop_map(Value::Object), 0..2)
            .prop_map(Value::Array)
            .boxed(),
        _ => testgen::text().prop_map(Value::String).boxed(),
    })
    .prop_map(Value::Object)
}

proptest! {
    /// `smart capabilities` summarizes any CapabilityStatement without a
    /// panic, and the server's text cannot drive the terminal.
    #[test]
    fn prop_capability_summaries_are_printable(cs in capability_statement()) {
        colored::control::set_override(false);
        let s = super::capabilities::summary(&cs);
        prop_assert!(!s.chars().any(|c| c.is_control() && c != '\n'), "{s:?}");
    }
}
