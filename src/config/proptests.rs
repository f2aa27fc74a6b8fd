//! Properties of the config file: what `smart` writes it reads back the
//! same (unknown keys included), and any text is read or refused with a
//! line and a key, never with a panic.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;
use crate::testgen;

/// The keys `Profile` knows: unknown keys (`extra`) are any others.
const KNOWN: &[&str] = &[
    "headers",
    "header_token_endpoint",
    "basic_auth_encoding",
    "scope_translation",
    "max_retry_wait",
    "token_origins",
    "fhir_base",
    "client_id",
    "scope",
    "redirect_port",
    "client_type",
    "aud",
    "send_aud",
    "pkce",
    "token_auth_method",
    "authorize_params",
    "format_json",
    "private_key",
    "kid",
    "alg",
    "jku",
];

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![testgen::text(), "\\PC{0,12}", ".{0,12}"]
}

fn url() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "https://ehr.example.org/fhir",
            "http://127.0.0.1:8321/fhir",
            "http://localhost",
            "https://[::1]:8443/r4/",
            "https://ehr.example.org/a%20b/c",
        ])
        .prop_map(str::to_owned),
        "https://[a-z]{1,10}\\.example(/[a-z0-9._~-]{1,6}){0,2}",
    ]
}

/// A value a newer `smart` or a hand edit may have left: any TOML.
fn toml_value() -> impl Strategy<Value = toml::Value> {
    let leaf = prop_oneof![
        any_text().prop_map(toml::Value::String),
        any::<i64>().prop_map(toml::Value::Integer),
        any::<f64>()
            .prop_filter("NaN is not equal to itself", |f| !f.is_nan())
            .prop_map(toml::Value::Float),
        any::<bool>().prop_map(toml::Value::Boolean),
        prop::sample::select(vec![
            "1979-05-27T07:32:00Z",
            "1979-05-27T00:32:00.999999-07:00",
            "1979-05-27",
            "07:32:00",
        ])
        .prop_map(|d| toml::Value::Datetime(d.parse().unwrap())),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(toml::Value::Array),
            prop::collection::btree_map(any_text(), inner, 0..4)
                .prop_map(|m| toml::Value::Table(m.into_iter().collect())),
        ]
    })
}

fn profile() -> impl Strategy<Value = Profile> {
    let reserved = RESERVED_AUTHORIZE_PARAMS;
    (
        (
            url(),
            prop::option::of(any_text()),
            prop::option::of(any_text()),
            prop::option::of(1u16..),
            prop::option::of(prop::sample::select(ClientType::ALL.to_vec())),
            prop::option::of(url()),
            any::<bool>(),
            prop::option::of(prop::sample::select(vec![
                PkceMode::Always,
                PkceMode::IfAdvertised,
            ])),
        ),
        (
            prop::option::of(prop::sample::select(vec![
                TokenAuthMethod::None,
                TokenAuthMethod::ClientSecretBasic,
                TokenAuthMethod::ClientSecretPost,
                TokenAuthMethod::PrivateKeyJwt,
            ])),
            prop::collection::btree_map(
                any_text().prop_filter("reserved", move |k| !reserved.contains(&k.as_str())),
                any_text(),
                0..3,
            ),
            any::<bool>(),
            prop::option::of(any_text()),
            prop::option::of(any_text()),
            prop::option::of(prop::sample::select(vec![
                SigningAlg::ES384,
                SigningAlg::RS384,
            ])),
            prop::option::of(url()),
            prop::collection::btree_map(
                "[a-z_]{1,12}".prop_filter("known key", |k| !KNOWN.contains(&k.as_str())),
                toml_value(),
                0..3,
            ),
        ),
        (
            prop::option::of(prop::sample::select(vec![
                BasicAuthEncoding::Form,
                BasicAuthEncoding::Raw,
            ])),
            any::<bool>(),
            prop::option::of(0u64..1_000_000),
            prop::collection::btree_map(
                "[A-Za-z][A-Za-z0-9-]{0,12}".prop_filter("refused", |n| {
                    !crate::custom_headers::REFUSED.contains(&n.to_ascii_lowercase().as_str())
                }),
                "[!-~]([ -~]{0,18}[!-~])?",
                0..3,
            ),
            any::<bool>(),
        ),
    )
        .prop_map(
            |(
                (fhir_base, client_id, scope, redirect_port, client_type, aud, send_aud, pkce),
                (
                    token_auth_method,
                    authorize_params,
                    format_json,
                    private_key,
                    kid,
                    alg,
                    jku,
                    extra,
                ),
                (
                    basic_auth_encoding,
                    scope_translation,
                    max_retry_wait,
                    headers,
                    header_token_endpoint,
                ),
            )| Profile {
                headers,
                header_token_endpoint,
                basic_auth_encoding,
                scope_translation,
                max_retry_wait,
                token_origins: Vec::new(),
                fhir_base,
                client_id,
                scope,
                redirect_port,
                client_type,
                aud,
                send_aud,
                pkce,
                token_auth_method,
                authorize_params,
                format_json,
                private_key,
                kid,
                alg,
                jku,
                extra: extra.into_iter().collect(),
            },
        )
}

use crate::oauth::keys::SigningAlg;

fn config() -> impl Strategy<Value = Config> {
    (
        prop::collection::btree_map("[A-Za-z0-9_.-]{1,16}", profile(), 0..4),
        any::<prop::sample::Index>(),
        any::<bool>(),
    )
        .prop_map(
            |(profiles, i, with_default): (BTreeMap<String, Profile>, _, _)| {
                let names: Vec<&String> = profiles.keys().collect();
                let default =
                    (with_default && !names.is_empty()).then(|| i.get(&names).to_string());
                Config { default, profiles }
            },
        )
}

proptest! {
    #![proptest_config(testgen::cases(128))]

    /// A config as `smart` writes it reads back equal: every profile
    /// field, workaround and unknown key, whatever text they hold.
    #[test]
    fn prop_configs_round_trip(c in config()) {
        let text = toml::to_string_pretty(&c).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let back = parse(&text).map_err(|e| TestCaseError::fail(format!("{e:?}\n{text}")))?;
        prop_assert_eq!(&back.default, &c.default);
        prop_assert_eq!(&back.profiles, &c.profiles, "{}", text);
    }

    /// Any text — a written config with a character put in or taken out,
    /// or anything — is read or refused without a panic; a refusal's line
    /// is a line of the text.
    #[test]
    fn prop_any_config_text_is_read_or_refused_with_its_line(
        c in config(),
        edits in prop::collection::vec(
            (any::<prop::sample::Index>(), prop::option::of(prop::sample::select(vec![
                "=", "[", "]", "\"", "'", "\n", "#", ".", "é", "\u{0}", "[[", "\"\"\"", "{", "}", ",", " ", "😀",
            ]))),
            1..4,
        ),
        junk in prop::option::weighted(0.2, ".{0,64}"),
    ) {
        let mut text = match junk {
            Some(j) => j,
            None => toml::to_string_pretty(&c).unwrap_or_default(),
        };
        for (i, insert) in edits {
            let bounds: Vec<usize> = text.char_indices().map(|(b, _)| b).chain([text.len()]).collect();
            let at = *i.get(&bounds);
            match insert {
                Some(s) => text.insert_str(at, s),
                None if at < text.len() => {
                    text.remove(at);
                }
                None => {}
            }
        }
        if let Err(e) = parse(&text) {
            if let Some(line) = e.line {
                prop_assert!(line >= 1 && line <= text.lines().count() + 1, "{line}");
            }
            let err = e.in_file(std::path::Path::new("config.toml"));
            prop_assert!(err.message.starts_with("invalid config file config.toml"));
        }
    }
}
