//! Properties of the OAuth parsers of untrusted input: the loopback
//! callback, token responses and the token set made from them, id_tokens
//! against a JWKS, `token --decode`, and PEM and JWK private keys.

use std::sync::LazyLock;

use base64::Engine;
use jsonwebtoken::jwk::JwkSet;
use oauth2::CsrfToken;
use proptest::prelude::*;
use serde_json::{Value, json};
use url::Url;

use super::callback::{check_callback, html_escape};
use super::id_token::{self, Expect};
use super::keys::{PrivateKey, SigningAlg};
use super::response::SmartTokenResponse;
use super::token_set::{Issuer, TokenSet};
use crate::config::TokenAuthMethod;
use crate::secret::Secret;
use crate::testgen::{self, gives_away, secret, unguessable};

const STATE: &str = "expected-state-0123";

/// Callback parameters: ours, and the ones a forged request might add.
fn callback_pairs() -> impl Strategy<Value = Vec<(String, String)>> {
    let name = prop_oneof![
        4 => prop::sample::select(vec!["state", "code", "error", "error_description", "iss"])
            .prop_map(str::to_owned),
        1 => prop::sample::select(vec!["STATE", "state ", "code[]", "co%64e", ""])
            .prop_map(str::to_owned),
        1 => testgen::text(),
    ];
    let value = prop_oneof![
        2 => Just(STATE.to_owned()),
        1 => Just(format!("{STATE} ")),
        1 => Just(STATE[..STATE.len() - 1].to_owned()),
        3 => secret(),
        2 => testgen::text(),
        1 => prop::sample::select(vec!["access_denied", "invalid_scope", "server_error"])
            .prop_map(str::to_owned),
    ];
    prop::collection::vec((name, value), 0..6)
}

/// How many times `name` occurs in the query, and its first value.
fn param(url: &Url, name: &str) -> (usize, Option<String>) {
    let mut all = url.query_pairs().filter(|(n, _)| n == name);
    let first = all.next().map(|(_, v)| v.into_owned());
    (first.iter().count() + all.count(), first)
}

proptest! {
    /// A callback yields a code only with exactly one `state`, ours, no
    /// `error` and exactly one non-empty `code` — that very code; every
    /// refusal is one printable line that shows no code, and trusts no
    /// `error_description` that came without our state.
    #[test]
    fn prop_a_callback_yields_the_code_only_with_our_state(
        pairs in callback_pairs(),
        raw in prop::option::weighted(0.2, ".{0,40}"),
    ) {
        let mut url = Url::parse("http://127.0.0.1:1/callback").unwrap();
        match &raw {
            Some(q) => url.set_query(Some(q)),
            None => {
                url.query_pairs_mut().extend_pairs(&pairs);
            }
        }
        let state = CsrfToken::new(STATE.into());
        let (states, our_state) = param(&url, "state");
        let (codes, code) = param(&url, "code");
        let (errors, _) = param(&url, "error");
        let (_, description) = param(&url, "error_description");
        let (_, error) = param(&url, "error");
        let error = error.unwrap_or_default();
        let ours = states == 1 && our_state.as_deref() == Some(STATE);
        match check_callback(&url, &state) {
            Ok(c) => {
                prop_assert!(ours && errors == 0 && codes == 1);
                prop_assert_eq!(Some(c.secret()), code.as_ref());
                prop_assert!(!c.secret().is_empty());
            }
            Err(e) => {
                prop_assert!(!e.message.chars().any(char::is_control), "{:?}", e.message);
                // (The message may quote the `error` parameter.)
                let fixed = format!("{STATE} {error}");
                if let Some(code) = code.filter(|c| c.len() >= 8 && unguessable(c, &fixed)) {
                    prop_assert!(!gives_away(&e.message, &code), "{}", e.message);
                }
                if !ours {
                    prop_assert!(e.oauth.is_none());
                    let d = description.unwrap_or_default();
                    let d = d.trim();
                    if d.len() >= 8 && !fixed.contains(d) {
                        prop_assert!(!e.message.contains(d), "{}", e.message);
                    }
                }
            }
        }
    }

    /// Any request target makes a URL (no panic), and the page text we
    /// build from a message cannot open a tag or an attribute.
    #[test]
    fn prop_request_targets_and_pages_take_any_text(target in ".{0,64}", message in ".{0,64}") {
        let _ = super::callback::request_url(&target);
        let escaped = html_escape(&message);
        prop_assert!(!escaped.contains(['<', '>', '"']));
        let back = escaped
            .replace("&quot;", "\"")
            .replace("&gt;", ">")
            .replace("&lt;", "<")
            .replace("&amp;", "&");
        prop_assert_eq!(back, message);
    }
}

const TOKEN_FIELDS: &[&str] = &[
    "access_token",
    "token_type",
    "expires_in",
    "refresh_token",
    "scope",
    "patient",
    "encounter",
    "fhirUser",
    "fhirContext",
    "need_patient_banner",
    "smart_style_url",
    "intent",
    "tenant",
    "id_token",
];

/// A token response: each field usually of its type, sometimes not.
fn token_response() -> impl Strategy<Value = Value> {
    testgen::object_of(TOKEN_FIELDS, |field| match field {
        "access_token" | "refresh_token" | "id_token" => secret().prop_map(Value::String).boxed(),
        "token_type" => prop::sample::select(vec!["Bearer", "bearer", "BEARER", "mac", "DPoP", ""])
            .prop_map(Value::from)
            .boxed(),
        "expires_in" => prop_oneof![
            testgen::number(),
            testgen::text().prop_map(Value::String),
            (0u64..100_000).prop_map(|n| Value::String(n.to_string())),
        ]
        .boxed(),
        "need_patient_banner" => prop_oneof![
            any::<bool>().prop_map(Value::Bool),
            prop::sample::select(vec!["true", "false", "yes", "1"]).prop_map(Value::from),
        ]
        .boxed(),
        "fhirContext" => testgen::json().boxed(),
        _ => prop_oneof![testgen::text().prop_map(Value::String), testgen::number()].boxed(),
    })
    .prop_map(Value::Object)
}

fn issuer_parts() -> (crate::discovery::FhirBase, Url) {
    (
        crate::discovery::parse_base("https://ehr.example.org/fhir").unwrap(),
        Url::parse("https://ehr.example.org/token").unwrap(),
    )
}

proptest! {
    /// Any token response body reads without a panic; one that passes the
    /// checks has a Bearer access token; a refusal names no token; and
    /// the token set made from it — whatever its `expires_in`, at any
    /// time — answers when it expires without a panic or an overflow.
    #[test]
    fn prop_token_responses_read_leniently_and_check_strictly(
        body in testgen::body_from(token_response()),
        now in prop_oneof![Just(1_700_000_000u64), any::<u64>(), Just(u64::MAX)],
        later in any::<u32>(),
    ) {
        let Ok(resp) = serde_json::from_slice::<SmartTokenResponse>(&body) else {
            return Ok(());
        };
        let doc: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let secrets: Vec<String> = ["access_token", "refresh_token", "id_token"]
            .iter()
            .filter_map(|k| doc.get(*k)?.as_str().map(str::to_owned))
            .filter(|s| s.len() >= 8)
            .collect();
        let resp = match resp.checked() {
            Ok(r) => r,
            Err(e) => {
                for s in &secrets {
                    prop_assert!(!e.message.contains(s.as_str()), "{}", e.message);
                }
                return Ok(());
            }
        };
        use oauth2::TokenResponse;
        prop_assert!(!resp.access_token().secret().is_empty());
        prop_assert_eq!(resp.token_type(), &oauth2::basic::BasicTokenType::Bearer);
        let (base, token_url) = issuer_parts();
        let issuer = Issuer {
            fhir_base: &base,
            client_id: "app",
            token_endpoint: &token_url,
            auth_method: TokenAuthMethod::None,
            discovery: None,
        };
        let set = TokenSet::issued(issuer, &resp, "openid patient/*.rs", now);
        let after = now.saturating_add(u64::from(later));
        let left = set.expires_in(after);
        prop_assert_eq!(left.is_some(), resp.lifetime().is_some());
        if let (Some(left), Some(life)) = (left, resp.lifetime()) {
            // Never more than the lifetime, never "expired" before it is.
            prop_assert!(left <= i64::try_from(life).unwrap_or(i64::MAX));
            if u64::from(later) < life && now < u64::MAX / 2 {
                prop_assert!(left > 0, "{left} {life} {later}");
            }
        }
        let _ = set.expires_within(std::time::Duration::from_secs(60), after);
        let again = set.refreshed(&resp, after);
        let _ = again.expires_in(now);
        // What is stored reads back as it was written.
        let stored = set.to_json();
        let back = TokenSet::from_json(&stored).map_err(TestCaseError::fail)?;
        let again = back.to_json();
        prop_assert_eq!(again.expose(), stored.expose());
    }

    /// A stored token set that is not one (hand-edited, truncated, another
    /// version) is refused without a panic and without quoting a token.
    #[test]
    fn prop_stored_token_sets_are_refused_without_quoting_them(
        body in testgen::body_from(testgen::object_of(STORED_FIELDS, |f| match f {
            "v" | "obtained_at" | "expires_at" => testgen::number().boxed(),
            "access_token" | "refresh_token" | "id_token" => secret().prop_map(Value::String).boxed(),
            "auth_method" => prop::sample::select(vec!["none", "client_secret_basic", "private_key_jwt", "x"])
                .prop_map(Value::from).boxed(),
            _ => testgen::text().prop_map(Value::String).boxed(),
        }).prop_map(Value::Object)),
    ) {
        let text = String::from_utf8_lossy(&body).into_owned();
        if let Err(e) = TokenSet::from_json(&Secret::new(text.clone())) {
            let doc: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            for k in ["access_token", "refresh_token", "id_token"] {
                if let Some(s) = doc.get(k).and_then(Value::as_str).filter(|s| s.len() >= 8) {
                    prop_assert!(!e.contains(s), "{e}");
                }
            }
        }
    }
}

const STORED_FIELDS: &[&str] = &[
    "v",
    "fhir_base",
    "client_id",
    "token_endpoint",
    "auth_method",
    "access_token",
    "token_type",
    "expires_at",
    "scope",
    "refresh_token",
    "id_token",
    "obtained_at",
];

/// Keys made once: an ES384 and an RSA key (RSA keys are slow to make).
static ES: LazyLock<PrivateKey> =
    LazyLock::new(|| PrivateKey::generate(SigningAlg::ES384).unwrap());
static OTHER_ES: LazyLock<PrivateKey> =
    LazyLock::new(|| PrivateKey::generate(SigningAlg::ES384).unwrap());
static RSA: LazyLock<PrivateKey> =
    LazyLock::new(|| PrivateKey::generate(SigningAlg::RS384).unwrap());

/// One thing wrong with an id_token, or nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flaw {
    None,
    Issuer,
    Audience,
    Expired,
    NoExp,
    NoSub,
    Nonce,
    NoNonce,
    SeveralAudiencesNoAzp,
    AzpOther,
    OtherKey,
    PayloadChanged,
    SignatureChanged,
    AlgNone,
    UnknownKid,
    Hmac,
}

const FLAWS: &[Flaw] = &[
    Flaw::None,
    Flaw::Issuer,
    Flaw::Audience,
    Flaw::Expired,
    Flaw::NoExp,
    Flaw::NoSub,
    Flaw::Nonce,
    Flaw::NoNonce,
    Flaw::SeveralAudiencesNoAzp,
    Flaw::AzpOther,
    Flaw::OtherKey,
    Flaw::PayloadChanged,
    Flaw::SignatureChanged,
    Flaw::AlgNone,
    Flaw::UnknownKid,
    Flaw::Hmac,
];

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

const NONCE: &str = "nonce-0123456789";

/// A signed id_token with `flaw`, and extra claims of any kind.
fn signed_id_token(
    flaw: Flaw,
    rsa: bool,
    several: bool,
    extra: &serde_json::Map<String, Value>,
) -> String {
    let now = crate::clock::Clock::now(&crate::clock::SystemClock);
    let mut claims = extra.clone();
    let aud = if several {
        json!(["app", "other"])
    } else {
        json!("app")
    };
    for (k, v) in [
        ("iss", json!("https://ehr")),
        ("sub", json!("u1")),
        ("aud", aud),
        ("exp", json!(now + 300)),
        ("nonce", json!(NONCE)),
    ] {
        claims.insert(k.into(), v);
    }
    if several {
        claims.insert("azp".into(), json!("app"));
    }
    match flaw {
        Flaw::Issuer => {
            claims.insert("iss".into(), json!("https://evil"));
        }
        Flaw::Audience => {
            claims.insert("aud".into(), json!(["other"]));
        }
        Flaw::Expired => {
            claims.insert("exp".into(), json!(now - 3600));
        }
        Flaw::NoExp => {
            claims.remove("exp");
        }
        Flaw::NoSub => {
            claims.remove("sub");
        }
        Flaw::Nonce => {
            claims.insert("nonce".into(), json!("other-nonce"));
        }
        Flaw::NoNonce => {
            claims.remove("nonce");
        }
        Flaw::SeveralAudiencesNoAzp => {
            claims.insert("aud".into(), json!(["app", "other"]));
            claims.remove("azp");
        }
        Flaw::AzpOther => {
            claims.insert("aud".into(), json!(["app", "other"]));
            claims.insert("azp".into(), json!("other"));
        }
        _ => {}
    }
    let (key, alg) = match (flaw, rsa) {
        (Flaw::OtherKey, _) => (&*OTHER_ES, jsonwebtoken::Algorithm::ES384),
        (_, true) => (&*RSA, jsonwebtoken::Algorithm::RS384),
        (_, false) => (&*ES, jsonwebtoken::Algorithm::ES384),
    };
    let mut header = jsonwebtoken::Header::new(alg);
    header.kid = Some(
        if flaw == Flaw::UnknownKid {
            "k9"
        } else if rsa {
            "r1"
        } else {
            "e1"
        }
        .into(),
    );
    let body = Value::Object(claims);
    match flaw {
        Flaw::AlgNone => {
            let h = json!({"alg": "none", "kid": header.kid});
            return format!(
                "{}.{}.",
                b64(h.to_string().as_bytes()),
                b64(body.to_string().as_bytes())
            );
        }
        Flaw::Hmac => {
            // Algorithm confusion: the public key's bytes as an HMAC secret.
            let mut h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
            h.kid = header.kid.clone();
            let secret = key.public_jwk("x").to_string();
            let k = jsonwebtoken::EncodingKey::from_secret(secret.as_bytes());
            return jsonwebtoken::encode(&h, &body, &k).unwrap();
        }
        _ => {}
    }
    let token = jsonwebtoken::encode(&header, &body, &key.encoding_key().unwrap()).unwrap();
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    match flaw {
        Flaw::PayloadChanged => {
            let mut c = body.clone();
            c["sub"] = json!("u2");
            parts[1] = b64(c.to_string().as_bytes());
        }
        Flaw::SignatureChanged => {
            let mut sig = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(&parts[2])
                .unwrap();
            sig[3] ^= 1;
            parts[2] = b64(&sig);
        }
        _ => {}
    }
    parts.join(".")
}

fn jwks() -> JwkSet {
    let mut keys = ES.public_jwks("e1");
    keys["keys"]
        .as_array_mut()
        .unwrap()
        .push(RSA.public_jwk("r1"));
    serde_json::from_value(keys).unwrap()
}

/// Claims a server may add, without the ones the checks read.
fn extra_claims() -> impl Strategy<Value = serde_json::Map<String, Value>> {
    prop::collection::vec(
        (
            "[a-z_]{1,8}".prop_filter("checked claim", |k| {
                !["iss", "sub", "aud", "exp", "nonce", "azp", "nbf", "iat"].contains(&k.as_str())
            }),
            testgen::json(),
        ),
        0..4,
    )
    .prop_map(|kv| kv.into_iter().collect())
}

proptest! {
    #![proptest_config(testgen::cases(48))]

    /// An id_token passes only when nothing is wrong with it; any one
    /// flaw — issuer, audience, expiry, subject, nonce, azp, key,
    /// signature, `alg: none`, an HMAC made with the public key — fails it.
    #[test]
    fn prop_an_id_token_verifies_only_when_nothing_is_wrong(
        flaw in prop::sample::select(FLAWS),
        rsa in any::<bool>(),
        several in any::<bool>(),
        extra in extra_claims(),
    ) {
        let token = signed_id_token(flaw, rsa, several, &extra);
        let nonce = Secret::new(NONCE);
        let expect = Expect { issuer: "https://ehr", client_id: "app", nonce: Some(&nonce) };
        let result = id_token::verify(&Secret::new(token.clone()), &jwks(), &expect);
        match result {
            Ok(claims) => {
                prop_assert_eq!(flaw, Flaw::None);
                prop_assert_eq!(claims["sub"].as_str(), Some("u1"));
            }
            Err(e) => {
                prop_assert_ne!(flaw, Flaw::None, "{}", e.message);
                prop_assert!(!e.message.contains(&token), "{}", e.message);
                let sig = token.rsplit('.').next().unwrap_or_default();
                prop_assert!(sig.len() < 8 || !e.message.contains(sig), "{}", e.message);
            }
        }
    }
}

const JWK_FIELDS: &[&str] = &[
    "kty", "crv", "x", "y", "n", "e", "k", "d", "alg", "kid", "use", "key_ops", "x5c",
];

/// A JWK: usually well-formed members of random content, sometimes a
/// real public key with a member changed.
fn jwk() -> impl Strategy<Value = Value> {
    let b64_value = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..80).prop_map(|b| Value::String(b64(&b))),
        Just(Value::String(String::new())),
        Just(Value::String("AQAB".into())),
        Just(Value::String("AA".into())),
        Just(Value::String("=".into())),
        testgen::text().prop_map(Value::String),
    ];
    let made = testgen::object_of(JWK_FIELDS, move |f| match f {
        "kty" => prop::sample::select(vec!["EC", "RSA", "oct", "OKP", "", "ec"])
            .prop_map(Value::from)
            .boxed(),
        "crv" => prop::sample::select(vec!["P-256", "P-384", "P-521", "Ed25519", "secp256k1"])
            .prop_map(Value::from)
            .boxed(),
        "alg" => prop::sample::select(vec![
            "ES384", "ES256", "RS256", "RS384", "HS256", "none", "EdDSA",
        ])
        .prop_map(Value::from)
        .boxed(),
        "kid" => prop::sample::select(vec!["e1", "r1", "k9", ""])
            .prop_map(Value::from)
            .boxed(),
        _ => b64_value.clone().boxed(),
    })
    .prop_map(Value::Object);
    let changed = (
        any::<bool>(),
        prop::sample::select(JWK_FIELDS),
        testgen::scalar(),
    )
        .prop_map(|(rsa, field, v)| {
            let mut k = if rsa {
                RSA.public_jwk("r1")
            } else {
                ES.public_jwk("e1")
            };
            k[field] = v;
            k
        });
    prop_oneof![3 => made, 2 => changed]
}

/// A token-shaped string: three base64url parts of hostile JSON headers
/// and claims, a real token cut or changed, or any text.
fn hostile_token() -> impl Strategy<Value = String> {
    let header = testgen::object_of(&["alg", "kid", "typ", "jku", "x5c", "crit"], |f| match f {
        "alg" => prop::sample::select(vec![
            "ES384", "ES256", "RS256", "RS384", "PS256", "HS256", "none", "EdDSA", "es384",
        ])
        .prop_map(Value::from)
        .boxed(),
        "kid" => prop::sample::select(vec!["e1", "r1", "k9", ""])
            .prop_map(Value::from)
            .boxed(),
        _ => testgen::json().boxed(),
    });
    let claims = testgen::json_with(&["iss", "sub", "aud", "exp", "nbf", "nonce", "azp"]);
    prop_oneof![
        3 => (header, claims, prop::collection::vec(any::<u8>(), 0..120)).prop_map(|(h, c, sig)| {
            format!(
                "{}.{}.{}",
                b64(Value::Object(h).to_string().as_bytes()),
                b64(c.to_string().as_bytes()),
                b64(&sig)
            )
        }),
        1 => (prop::sample::select(FLAWS), any::<prop::sample::Index>(), any::<bool>()).prop_map(|(f, i, rsa)| {
            let t = signed_id_token(f, rsa, false, &serde_json::Map::new());
            let cut = i.index(t.len() + 1);
            t[..cut].to_owned()
        }),
        1 => ".{0,64}",
        1 => "[A-Za-z0-9_=.-]{0,80}",
    ]
}

proptest! {
    #![proptest_config(testgen::cases(128))]

    /// Any token against any key set: no panic, and a refusal never quotes
    /// the token.
    #[test]
    fn prop_hostile_tokens_and_key_sets_never_panic(
        token in hostile_token(),
        keys in prop::collection::vec(jwk(), 0..3),
    ) {
        let set: JwkSet = match serde_json::from_value(json!({ "keys": keys })) {
            Ok(s) => s,
            Err(_) => jwks(),
        };
        let expect = Expect { issuer: "https://ehr", client_id: "app", nonce: None };
        if let Err(e) = id_token::verify(&Secret::new(token.clone()), &set, &expect) {
            prop_assert!(token.len() < 8 || !e.message.contains(&token), "{}", e.message);
        }
    }

    /// `token --decode` reads back the header and claims that were encoded,
    /// padded or not, and takes any text without a panic.
    #[test]
    fn prop_decode_reads_back_what_was_encoded(
        header in testgen::json(),
        claims in testgen::json(),
        sig in "[A-Za-z0-9_-]{0,40}",
        padded in any::<bool>(),
        junk in ".{0,80}",
    ) {
        let enc = |v: &Value| {
            let s = b64(v.to_string().as_bytes());
            if padded { format!("{s}{}", "=".repeat((4 - s.len() % 4) % 4)) } else { s }
        };
        let token = format!("{}.{}.{sig}", enc(&header), enc(&claims));
        // As any JSON reader sees them (serde_json's float parsing may be a
        // unit in the last place off its printing).
        let read = |v: &Value| serde_json::from_str::<Value>(&v.to_string()).unwrap();
        prop_assert_eq!(id_token::decode_unverified(&token), Some((read(&header), read(&claims))));
        let _ = id_token::decode_unverified(&junk);
    }
}

/// DER: a tag, a length (short or long form), the content.
fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = content.len();
    if n < 128 {
        out.push(n as u8);
    } else {
        let bytes: Vec<u8> = n
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

/// A DER INTEGER from big-endian bytes (kept as given: may be negative,
/// zero-length or not minimal).
fn der_int(bytes: &[u8]) -> Vec<u8> {
    der(0x02, bytes)
}

fn integer() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::sample::select(vec![
            vec![0u8],
            vec![1],
            vec![2],
            vec![3],
            vec![1, 0, 1],
            vec![],
            vec![0xff]
        ]),
        prop::collection::vec(any::<u8>(), 1..40),
        prop::collection::vec(any::<u8>(), 1..3).prop_map(|mut b| {
            b.insert(0, 0);
            b
        }),
    ]
}

/// The DER of a private key with hostile content: PKCS#1 RSA with any
/// numbers, SEC1 EC with any scalar and point, PKCS#8 around either with
/// any algorithm, or a real key's DER with bytes changed.
fn hostile_der() -> impl Strategy<Value = (&'static str, Vec<u8>)> {
    let rsa = prop::collection::vec(integer(), 8)
        .prop_map(|ints| {
            let mut content = der_int(&[0]);
            for i in &ints {
                content.extend(der_int(i));
            }
            der(0x30, &content)
        })
        .boxed();
    let p384_oid = der(0x06, &[0x2b, 0x81, 0x04, 0x00, 0x22]);
    let ec = (
        prop::collection::vec(any::<u8>(), 0..60),
        prop::option::of(prop::collection::vec(any::<u8>(), 0..100)),
        any::<bool>(),
    )
        .prop_map(move |(scalar, point, with_oid)| {
            let mut content = der_int(&[1]);
            content.extend(der(0x04, &scalar));
            if with_oid {
                content.extend(der(0xa0, &p384_oid));
            }
            if let Some(p) = point {
                let mut bits = vec![0u8, 4];
                bits.extend(p);
                content.extend(der(0xa1, &der(0x03, &bits)));
            }
            der(0x30, &content)
        })
        .boxed();
    let real = (
        any::<bool>(),
        prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
    )
        .prop_map(|(rsa, changes)| {
            let pem = if rsa {
                RSA.to_pkcs8_pem()
            } else {
                ES.to_pkcs8_pem()
            }
            .unwrap();
            let body: String = pem
                .expose()
                .lines()
                .filter(|l| !l.starts_with("-----"))
                .collect();
            let mut der = base64::engine::general_purpose::STANDARD
                .decode(body)
                .unwrap();
            for (i, b) in changes {
                let at = i.index(der.len());
                der[at] = b;
            }
            der
        });
    let algorithms = prop::sample::select(vec![
        vec![0x2au8, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01], // rsaEncryption
        vec![0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01],               // ecPublicKey
        vec![0x2b, 0x65, 0x70],                                       // Ed25519
    ]);
    let curves = prop::sample::select(vec![
        vec![0x2bu8, 0x81, 0x04, 0x00, 0x22],                 // P-384
        vec![0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07], // P-256
    ]);
    let inner = prop_oneof![rsa.clone(), ec.clone()];
    let pkcs8 = (algorithms, curves, inner).prop_map(|(alg, curve, inner)| {
        let mut ident = der(0x06, &alg);
        ident.extend(if alg.len() == 7 {
            der(0x06, &curve)
        } else {
            vec![0x05, 0x00]
        });
        let mut content = der_int(&[0]);
        content.extend(der(0x30, &ident));
        content.extend(der(0x04, &inner));
        der(0x30, &content)
    });
    prop_oneof![
        rsa.prop_map(|d| ("RSA PRIVATE KEY", d)),
        ec.prop_map(|d| ("EC PRIVATE KEY", d)),
        pkcs8.prop_map(|d| ("PRIVATE KEY", d)),
        real.prop_map(|d| ("PRIVATE KEY", d)),
        prop::collection::vec(any::<u8>(), 0..200).prop_map(|d| ("PRIVATE KEY", d)),
    ]
}

fn armour(label: &str, der: &[u8], width: usize, crlf: bool) -> String {
    let b = base64::engine::general_purpose::STANDARD.encode(der);
    let nl = if crlf { "\r\n" } else { "\n" };
    let lines: Vec<&str> = b
        .as_bytes()
        .chunks(width)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----{nl}{}{nl}-----END {label}-----{nl}",
        lines.join(nl)
    )
}

proptest! {
    #![proptest_config(testgen::cases(128))]

    /// A PEM private key of any content — numbers that make no key, a
    /// point off the curve, another algorithm, changed bytes — is read or
    /// refused without a panic, and a refusal never quotes the PEM.
    #[test]
    fn prop_hostile_private_keys_are_refused_without_quoting_them(
        (label, der) in hostile_der(),
        crlf in any::<bool>(),
    ) {
        let pem = armour(label, &der, 64, crlf);
        if let Err(e) = PrivateKey::from_pem(&pem, "SMART_PRIVATE_KEY") {
            let body = base64::engine::general_purpose::STANDARD.encode(&der);
            let shown = format!("{} {:?}", e.message, e.hint);
            prop_assert!(body.len() < 8 || !shown.contains(&body[..8]), "{shown}");
            prop_assert!(e.message.starts_with("SMART_PRIVATE_KEY:"));
        }
    }

    /// A key written as PEM reads back as the same key (same thumbprint),
    /// with LF or CRLF line ends and surrounding blank lines.
    #[test]
    fn prop_keys_read_back_from_the_pem_they_write(rsa in any::<bool>(), crlf in any::<bool>(), pad in "[ \n\t]{0,3}") {
        let key = if rsa { &*RSA } else { &*ES };
        let pem = key.to_pkcs8_pem().unwrap();
        let text = if crlf { pem.expose().replace('\n', "\r\n") } else { pem.expose().to_owned() };
        let back = PrivateKey::from_pem(&format!("{pad}{text}{pad}"), "test").map_err(|e| TestCaseError::fail(e.message))?;
        prop_assert_eq!(back.thumbprint(), key.thumbprint());
        prop_assert_eq!(back.natural_alg(), key.natural_alg());
    }
}

/// A private JWK of `key` with one member changed: removed, replaced by
/// another type, by text, or by another key's value.
fn hostile_jwk() -> impl Strategy<Value = (bool, String)> {
    let members = vec![
        "kty", "crv", "alg", "kid", "d", "x", "y", "n", "e", "p", "q", "dp", "qi", "keys",
    ];
    let change = prop_oneof![
        Just(None),
        Just(Some(Value::Null)),
        Just(Some(json!(42))),
        Just(Some(json!([]))),
        Just(Some(json!("AAAA"))),
        testgen::text().prop_map(|t| Some(json!(t))),
        prop::sample::select(vec![
            "RS384", "ES384", "RS256", "EC", "RSA", "P-384", "P-256"
        ])
        .prop_map(|t| Some(json!(t))),
    ];
    (
        any::<bool>(),
        prop::sample::select(members),
        change,
        any::<bool>(),
    )
        .prop_map(|(rsa, name, change, in_set)| {
            let key = if rsa { &*RSA } else { &*ES };
            let mut jwk = super::private_jwk::to_private_jwk(key, "k");
            let m = jwk.as_object_mut().unwrap();
            match change {
                None => {
                    m.remove(name);
                }
                Some(v) => {
                    m.insert(name.into(), v);
                }
            }
            let text = if in_set { json!({"keys": [jwk]}) } else { jwk };
            (rsa, text.to_string())
        })
}

proptest! {
    #![proptest_config(testgen::cases(64))]

    /// A JWK with any member removed or changed is read or refused without
    /// a panic; a refusal is one line that never quotes the private part,
    /// and a key that is read is the key it was made from.
    #[test]
    fn prop_hostile_jwks_are_refused_without_quoting_them((rsa, text) in hostile_jwk()) {
        let key = if rsa { &*RSA } else { &*ES };
        let d = super::private_jwk::to_private_jwk(key, "k")["d"].as_str().unwrap().to_owned();
        match crate::oauth::key_file::read(&text, "SMART_PRIVATE_KEY") {
            Ok(back) => prop_assert_eq!(back.key.thumbprint(), key.thumbprint()),
            Err(e) => {
                let shown = format!("{} {:?}", e.message, e.hint);
                prop_assert!(!shown.contains(&d[..12]), "{shown}");
                prop_assert!(e.message.starts_with("SMART_PRIVATE_KEY:"));
                prop_assert!(!e.message.contains('\n'));
            }
        }
    }
}
