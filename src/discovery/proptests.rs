//! Properties of discovery: any SMART configuration or CapabilityStatement
//! a server sends is checked without a panic, and no endpoint we would send
//! a secret to is anything but https (or http on loopback).

use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::*;
use crate::testgen;

const CONFIG_FIELDS: &[&str] = &[
    "issuer",
    "jwks_uri",
    "authorization_endpoint",
    "token_endpoint",
    "registration_endpoint",
    "management_endpoint",
    "introspection_endpoint",
    "revocation_endpoint",
    "capabilities",
    "code_challenge_methods_supported",
    "grant_types_supported",
    "scopes_supported",
    "response_types_supported",
    "token_endpoint_auth_methods_supported",
];

/// URLs as servers write them, right and wrong.
fn endpoint_url() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "https://ehr.example.org/auth/token",
            "http://127.0.0.1:9/token",
            "http://localhost/token",
            "http://[::1]:8080/t",
            "http://127.1.2.3/t",
            "http://ehr.example.org/token",
            "http://localhost.evil.example/t",
            "http://127.0.0.1.evil.example/t",
            "HTTPS://EHR.EXAMPLE.ORG/T",
            "ftp://ehr.example.org/t",
            "/auth/token",
            "token",
            "",
            "https://",
            "https://user:pw@ehr.example.org/t",
            "javascript:alert(1)",
            "https://ehr.example.org/t\u{1b}[2J",
        ])
        .prop_map(str::to_owned),
        "(https?|ftp)://[a-z0-9.:\\[\\]@-]{0,20}(/[a-z]{0,5})?",
        testgen::text(),
    ]
}

fn string_list(words: &'static [&'static str]) -> BoxedStrategy<Value> {
    prop::collection::vec(
        prop_oneof![
            4 => prop::sample::select(words).prop_map(Value::from),
            1 => testgen::scalar(),
        ],
        0..6,
    )
    .prop_map(Value::Array)
    .boxed()
}

/// A SMART configuration, each field usually of its type.
fn smart_configuration() -> impl Strategy<Value = Map<String, Value>> {
    testgen::object_of(CONFIG_FIELDS, |f| match f {
        "capabilities" => string_list(&[
            "launch-ehr",
            "launch-standalone",
            "client-public",
            "client-confidential-symmetric",
            "client-confidential-asymmetric",
            "sso-openid-connect",
            "permission-v2",
            "lauch-ehr",
        ]),
        "code_challenge_methods_supported" => string_list(&["S256", "plain", "s256"]),
        "grant_types_supported" => {
            string_list(&["authorization_code", "client_credentials", "refresh_token"])
        }
        "token_endpoint_auth_methods_supported" => string_list(&[
            "private_key_jwt",
            "client_secret_basic",
            "client_secret_post",
            "none",
        ]),
        "scopes_supported" | "response_types_supported" => {
            string_list(&["openid", "patient/*.rs", "code"])
        }
        _ => endpoint_url().prop_map(Value::String).boxed(),
    })
}

fn fit_for_secrets(u: &url::Url) -> bool {
    u.scheme() == "https" || (u.scheme() == "http" && is_loopback(u))
}

proptest! {
    /// Any configuration is checked without a panic; every endpoint that
    /// is not https (http only on loopback) is an error finding, and
    /// `endpoint()` hands out only URLs fit for secrets; errors come
    /// before warnings.
    #[test]
    fn prop_configurations_never_pass_an_unfit_endpoint(doc in smart_configuration()) {
        let findings = validate(&doc);
        for (field, _) in ENDPOINTS {
            let fit = match doc.get(*field) {
                None => true,
                Some(Value::String(s)) => url::Url::parse(s).is_ok_and(|u| fit_for_secrets(&u)),
                Some(_) => false,
            };
            if !fit {
                prop_assert!(
                    findings.iter().any(|f| f.field == *field && f.severity == Severity::Error),
                    "{field}: {findings:?}"
                );
            }
            let d = Discovery {
                fhir_base: "https://ehr.example.org/fhir".into(),
                source: Source::WellKnown,
                url: String::new(),
                fallback_reason: None,
                document: doc.clone(),
                openid_configuration: None,
                findings: findings.clone(),
            };
            match d.endpoint(field) {
                Ok(Some(u)) => prop_assert!(fit_for_secrets(&u), "{u}"),
                Ok(None) => prop_assert!(!matches!(doc.get(*field), Some(Value::String(_)))),
                Err(e) => prop_assert!(!e.message.is_empty()),
            }
            let _ = (d.capabilities(), d.supports_s256(), d.has_errors());
        }
        if !doc.contains_key("token_endpoint") {
            prop_assert!(findings.iter().any(|f| f.field == "token_endpoint"));
        }
        prop_assert!(findings.windows(2).all(|w| w[0].severity <= w[1].severity));
    }

    /// Any answer to the discovery requests is used or explained without a
    /// panic.
    #[test]
    fn prop_discovery_answers_are_read_or_explained(
        body in testgen::body_from(smart_configuration().prop_map(Value::Object)),
        status in prop_oneof![Just(200u16), Just(404), 100u16..600],
        ct in testgen::content_type(),
    ) {
        let resp = testgen::response(status, ct.as_deref(), body);
        match usable_json(&resp, &[]) {
            Ok(Value::Object(doc)) => {
                let _ = validate(&doc);
            }
            Ok(other) => prop_assert!(!other.is_object()),
            Err(why) => prop_assert!(!why.is_empty()),
        }
    }
}

/// A CapabilityStatement whose security extensions may or may not be the
/// oauth-uris one, with inner extensions of any shape.
fn capability_statement() -> impl Strategy<Value = Value> {
    let inner = (
        prop::sample::select(vec![
            "authorize",
            "token",
            "register",
            "manage",
            "introspect",
            "revoke",
            "other",
            "",
        ]),
        prop_oneof![
            3 => endpoint_url().prop_map(Value::String),
            1 => testgen::scalar(),
        ],
        any::<bool>(),
    )
        .prop_map(|(name, uri, as_uri)| {
            if as_uri {
                json!({"url": name, "valueUri": uri})
            } else {
                json!({"url": name, "valueString": uri})
            }
        });
    let ext = (
        prop::sample::select(vec![
            OAUTH_URIS_EXTENSION,
            "http://example.org/other",
            "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris/",
        ]),
        prop_oneof![
            3 => prop::collection::vec(inner, 0..8).prop_map(Value::Array),
            1 => testgen::json(),
        ],
    )
        .prop_map(|(url, inner)| json!({"url": url, "extension": inner}));
    let rest = prop_oneof![
        3 => prop::collection::vec(ext, 0..3).prop_map(|e| json!({"mode": "server", "security": {"extension": e}})),
        1 => testgen::json(),
    ];
    prop_oneof![
        4 => prop::collection::vec(rest, 0..3)
            .prop_map(|r| json!({"resourceType": "CapabilityStatement", "rest": r})),
        1 => testgen::json_with(&["rest", "security", "extension", "url", "valueUri"]),
    ]
}

proptest! {
    /// From any CapabilityStatement, only the oauth-uris extension's
    /// string `valueUri`s become endpoints, under their SMART names.
    #[test]
    fn prop_capability_statements_yield_only_their_oauth_uris(cs in capability_statement()) {
        let Some(doc) = from_capability_statement(&cs) else { return Ok(()) };
        let text = cs.to_string();
        for (field, v) in &doc {
            prop_assert!(ENDPOINTS.iter().any(|(f, _)| f == field), "{field}");
            let uri = v.as_str().ok_or_else(|| TestCaseError::fail("not a string"))?;
            prop_assert!(text.contains(&serde_json::to_string(uri).unwrap()));
        }
        let _ = rules::judge_endpoints(&doc);
    }
}
