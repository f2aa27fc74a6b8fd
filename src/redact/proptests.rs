//! Properties of the redaction: a secret we sent, generated and then
//! echoed back by a server in every encoding the code claims to handle,
//! never shows — not in a token endpoint's error, not in `server_text`,
//! not in the `-v` trace — and no input makes a redactor panic.

use oauth2::basic::BasicErrorResponse;
use oauth2::{ClientSecret, RequestTokenError};
use proptest::prelude::*;

use super::*;
use crate::oauth::transport::ErrorAnswer;
use crate::testgen::{self, gives_away, secret, unguessable};

/// Form fields of the token requests that hold secrets.
const SECRET_FIELDS: &[&str] = &[
    "code",
    "code_verifier",
    "refresh_token",
    "client_secret",
    "client_assertion",
    "assertion",
    "token",
    "subject_token",
    "device_code",
    "password",
];

/// A secret-named key as servers and clients spell them: the listed
/// names, the shapes `is_secret_key` knows, in any case.
fn secret_key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(SECRET_KEYS).prop_map(str::to_owned),
        "[a-z]{1,8}_(token|secret|assertion|code|password)",
        "(api|my)_secret[a-z_]{0,6}",
    ]
    .prop_flat_map(|k| {
        prop::collection::vec(any::<bool>(), k.len()).prop_map(move |upper| {
            k.chars()
                .zip(upper)
                .map(|(c, u)| if u { c.to_ascii_uppercase() } else { c })
                .collect()
        })
    })
}

/// Which of the secret's encodings the server writes back.
fn echo_of(secret: &str, how: usize) -> String {
    testgen::encodings(secret)[how % 3].clone()
}

fn form_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A token request: secret-named fields with generated secrets, ordinary
/// fields, and maybe client_secret_basic credentials.
#[derive(Debug, Clone)]
struct SentRequest {
    form: String,
    authorization: Option<String>,
    secrets: Vec<String>,
}

fn sent_request() -> impl Strategy<Value = SentRequest> {
    (
        prop::collection::vec((prop::sample::select(SECRET_FIELDS), secret()), 1..4),
        "[a-z0-9_.-]{1,12}",
        prop::option::of(secret()),
    )
        .prop_map(|(fields, client_id, basic)| {
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            form.append_pair("grant_type", "refresh_token");
            let mut secrets = Vec::new();
            for (name, value) in &fields {
                form.append_pair(name, value);
                secrets.push(value.clone());
            }
            form.append_pair("client_id", &client_id)
                .append_pair("redirect_uri", "http://127.0.0.1:5000/callback");
            let authorization = basic.map(|s| {
                secrets.push(s.clone());
                crate::oauth::token_endpoint::basic_authorization(
                    &client_id,
                    &ClientSecret::new(s),
                    crate::config::BasicAuthEncoding::Form,
                )
            });
            SentRequest {
                form: form.finish(),
                authorization,
                secrets,
            }
        })
}

/// An error answer that echoes `echo`: an RFC 6749 error, a JSON document
/// without `error`, an HTML page or plain text; with padding before it so
/// that a length limit may cut through it.
fn echoing_body(echo: &str, shape: usize, pad: usize) -> (Option<&'static str>, String) {
    let pad = "x".repeat(pad);
    let json_text = |s: &str| serde_json::to_string(s).unwrap_or_default();
    match shape % 5 {
        0 => (
            Some("application/json"),
            format!(
                r#"{{"error":"invalid_grant","error_description":{}}}"#,
                json_text(&format!("{pad} unknown {echo} here"))
            ),
        ),
        1 => (
            Some("application/json"),
            format!(
                r#"{{"message":{},"status":400}}"#,
                json_text(&format!("{pad}bad request {echo}"))
            ),
        ),
        2 => (
            Some("text/html"),
            format!("<html><body>{pad} rejected {echo}</body></html>"),
        ),
        3 => (
            Some("application/json"),
            format!(r#"{{"error":{}}}"#, json_text(&format!("{pad}{echo}"))),
        ),
        _ => (None, format!("{pad}{echo}")),
    }
}

/// The fixed text of a token endpoint error, for [`unguessable`].
const FIXED: &str = "the token endpoint refused: invalid_grant unknown here bad request \
     rejected message status error <html><body></body></html> 400 Bad Request \
     401 Unauthorized 500 Internal Server Error xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…";

/// The error the token request ends with, as `oauth::token_endpoint` makes it from
/// the crate's result and the transport's reading of the answer.
fn token_error(status: u16, ct: Option<&str>, body: &str, sent: &[String]) -> crate::error::Error {
    let resp = testgen::response(status, ct, body.as_bytes().to_vec());
    let seen = ErrorAnswer::read(&resp, sent);
    let result = match serde_json::from_str::<BasicErrorResponse>(body) {
        Ok(e) => Err(RequestTokenError::ServerResponse(e)),
        Err(_) => Err(RequestTokenError::Other("unreadable".into())),
    };
    crate::oauth::token_endpoint::read_answer(Some(seen), result).unwrap_err()
}

fn error_text(e: &crate::error::Error) -> String {
    format!(
        "{}\n{:?}\n{:?}\n{:?}",
        e.message, e.hint, e.details, e.oauth
    )
}

proptest! {
    /// The echo of any secret of a token request (a form field or the
    /// Basic credentials), in any claimed encoding, in any kind of error
    /// body and wherever a length limit cuts, is not in the error.
    #[test]
    fn prop_an_echoed_secret_never_reaches_a_token_error(
        req in sent_request(),
        which in any::<prop::sample::Index>(),
        how in 0usize..3,
        shape in 0usize..5,
        pad in 0usize..120,
        status in prop::sample::select(vec![400u16, 401, 500]),
    ) {
        let secret = which.get(&req.secrets).clone();
        prop_assume!(unguessable(&secret, FIXED));
        let sent = secrets_in_request(&req.form, req.authorization.as_deref());
        // A JSON body escapes the echo itself: the JSON-escaped form is for
        // the other bodies.
        let how = if matches!(shape, 0 | 1 | 3) && how == 2 { 0 } else { how };
        let (ct, body) = echoing_body(&echo_of(&secret, how), shape, pad);
        let e = token_error(status, ct, &body, &sent);
        let shown = error_text(&e);
        prop_assert!(!gives_away(&shown, &secret), "{shown}");
    }

    /// The same for the whole Basic credentials, echoed as sent.
    #[test]
    fn prop_echoed_basic_credentials_never_reach_a_token_error(
        req in sent_request(),
        shape in 0usize..5,
        pad in 0usize..120,
    ) {
        let Some(auth) = &req.authorization else { return Ok(()) };
        let creds = auth.trim_start_matches("Basic ").to_owned();
        prop_assume!(unguessable(&creds, FIXED));
        let sent = secrets_in_request(&req.form, Some(auth));
        let (ct, body) = echoing_body(&creds, shape, pad);
        let shown = error_text(&token_error(400, ct, &body, &sent));
        prop_assert!(!gives_away(&shown, &creds), "{shown}");
    }

    /// `server_text` hides every secret it is given, in every claimed
    /// encoding, drops control characters and keeps to its length.
    #[test]
    fn prop_server_text_hides_secrets_and_control_characters(
        req in sent_request(),
        which in any::<prop::sample::Index>(),
        how in 0usize..3,
        before in testgen::text(),
        after in testgen::text(),
        max in 1usize..400,
    ) {
        let secret = which.get(&req.secrets).clone();
        prop_assume!(unguessable(&secret, &format!("{before}{after}")));
        let sent = secrets_in_request(&req.form, req.authorization.as_deref());
        let echo = echo_of(&secret, how);
        let shown = server_text(&format!("{before}{echo}{after}"), &sent, max);
        prop_assert!(!gives_away(&shown, &secret), "{shown}");
        prop_assert!(!shown.chars().any(char::is_control), "{shown:?}");
        prop_assert!(shown.chars().count() <= max + 1);
    }

    /// Whatever a form carries, each secret-named value is among the
    /// secrets to hide, plain and form-encoded.
    #[test]
    fn prop_secrets_in_request_finds_every_secret_field(
        fields in prop::collection::vec((secret_key(), secret()), 1..5),
        other in prop::collection::vec(("[a-z_]{1,10}", testgen::text()), 0..4),
    ) {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in other.iter().chain(&fields) {
            form.append_pair(k, v);
        }
        let sent = secrets_in_request(&form.finish(), None);
        for (k, v) in &fields {
            prop_assert!(is_secret_key(k), "{k}");
            prop_assert!(sent.contains(v), "{v:?} not in {sent:?}");
            prop_assert!(sent.contains(&form_encode(v)));
        }
    }
}

/// Where in a request or response a generated secret goes.
#[derive(Debug, Clone)]
enum Carrier {
    /// `?name=secret` in the URL.
    Query,
    /// `#name=secret` in the URL (a fragment-mode redirect).
    Fragment,
    /// `https://user:secret@host/`
    Password,
    /// `Authorization: Bearer secret`, `Cookie: a=secret`
    Header(&'static str),
    /// A form body.
    Form,
    /// A JSON body, the secret a few levels down.
    Json(usize),
    /// Plain text naming the secret (`Refresh_Token: secret`).
    Text,
}

fn carrier() -> impl Strategy<Value = Carrier> {
    prop_oneof![
        Just(Carrier::Query),
        Just(Carrier::Fragment),
        Just(Carrier::Password),
        prop::sample::select(vec![
            "authorization",
            "proxy-authorization",
            "cookie",
            "set-cookie"
        ])
        .prop_map(Carrier::Header),
        Just(Carrier::Form),
        (0usize..4).prop_map(Carrier::Json),
        Just(Carrier::Text),
    ]
}

/// A body that carries `secret` under `key`, and the content type it is
/// labelled with (a JSON or form body may come labelled as anything).
fn body_with(
    carrier: &Carrier,
    key: &str,
    secret: &str,
    label: Option<String>,
) -> Option<(Option<String>, String)> {
    Some(match carrier {
        Carrier::Form => (
            label.or(Some("application/x-www-form-urlencoded".into())),
            format!(
                "grant_type=x&{}={}&scope=openid",
                form_encode(key),
                form_encode(secret)
            ),
        ),
        Carrier::Json(depth) => {
            let mut v = serde_json::json!({ key: secret, "token_type": "Bearer" });
            for i in 0..*depth {
                v = if i % 2 == 0 {
                    serde_json::json!([1, v])
                } else {
                    serde_json::json!({"entry": v, "n": i})
                };
            }
            (label, v.to_string())
        }
        // Text is read as a form only when labelled as one.
        Carrier::Text => (
            label.filter(|l| !l.to_ascii_lowercase().contains("x-www-form-urlencoded")),
            format!("error: the {key}: {secret} is not valid"),
        ),
        _ => return None,
    })
}

fn url_with(carrier: &Carrier, key: &str, secret: &str) -> url::Url {
    let mut u = url::Url::parse("https://ehr.example.org/auth/token?aud=x").expect("static URL");
    let pair = format!("{}={}", form_encode(key), form_encode(secret));
    match carrier {
        Carrier::Query => u.set_query(Some(&format!("aud=x&{pair}"))),
        Carrier::Fragment => u.set_fragment(Some(&format!("{pair}&state2=1"))),
        Carrier::Password => {
            let _ = u.set_username("app");
            let _ = u.set_password(Some(secret));
        }
        _ => {}
    }
    u
}

/// The fixed text of a trace, for [`unguessable`].
const TRACE_FIXED: &str = "> POST https://ehr.example.org/auth/token?aud=x&state2=1 app@ \
     content-type: application/x-www-form-urlencoded application/json Bearer Basic a= \
     grant_type=x&scope=openid token_type entry error: the is not valid < 200 OK \
     location: https://ehr.example.org/cb bytes withheld: may contain a secret";

proptest! {
    /// The `-v` trace of a request and of a response shows no secret,
    /// wherever it is carried: query, fragment, password, secret headers,
    /// form, JSON or text bodies under any label.
    #[test]
    fn prop_the_trace_never_shows_a_secret(
        carrier in carrier(),
        key in secret_key(),
        secret in secret(),
        label in testgen::content_type(),
        scheme in prop::sample::select(vec!["Bearer", "Basic", "DPoP"]),
    ) {
        prop_assume!(unguessable(&secret, &format!("{TRACE_FIXED} {key}")));
        // `code` and `state` are secrets as OAuth parameters, not as JSON
        // members (a FHIR body's LOINC code): see `is_secret_json_key`.
        prop_assume!(!matches!(carrier, Carrier::Json(_)) || is_secret_json_key(&key));
        let url = url_with(&carrier, &key, &secret);
        let mut req = reqwest::Request::new(reqwest::Method::POST, url.clone());
        let mut headers = reqwest::header::HeaderMap::new();
        if let Carrier::Header(name) = carrier {
            let value = if name.ends_with("authorization") {
                format!("{scheme} {secret}")
            } else {
                format!("a={}", form_encode(&secret))
            };
            if let Ok(v) = reqwest::header::HeaderValue::from_str(&value) {
                headers.insert(name, v.clone());
                req.headers_mut().insert(name, v);
            }
        }
        // A redirect to our callback, carrying the secret.
        if let Ok(v) = reqwest::header::HeaderValue::from_str(url.as_str()) {
            headers.insert(reqwest::header::LOCATION, v);
        }
        let mut body = Vec::new();
        if let Some((ct, text)) = body_with(&carrier, &key, &secret, label) {
            if let Some(v) = ct.and_then(|c| reqwest::header::HeaderValue::from_str(&c).ok()) {
                req.headers_mut().insert(reqwest::header::CONTENT_TYPE, v.clone());
                headers.insert(reqwest::header::CONTENT_TYPE, v);
            }
            *req.body_mut() = Some(text.clone().into());
            body = text.into_bytes();
        }
        let resp = crate::http::Response {
            status: reqwest::StatusCode::OK,
            url,
            headers,
            body: body.into(),
        };
        let trace = format!(
            "{}{}",
            crate::http::request_trace(&req),
            crate::http::response_trace(&resp)
        );
        prop_assert!(!gives_away(&trace, &secret), "{trace}");
    }

    /// A JSON document loses every secret-named member, however deep, and
    /// keeps everything else.
    #[test]
    fn prop_json_redaction_hides_secret_members(v in testgen::json_with(SECRET_FIELDS)) {
        fn check(v: &serde_json::Value, r: &serde_json::Value) -> bool {
            use serde_json::Value;
            match (v, r) {
                (Value::Object(a), Value::Object(b)) => a.len() == b.len() && a.iter().all(|(k, x)| {
                    let y = &b[k];
                    if is_secret_json_key(k) && !x.is_null() {
                        y.as_str() == Some(REDACTED)
                    } else {
                        check(x, y)
                    }
                }),
                (Value::Array(a), Value::Array(b)) => {
                    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| check(x, y))
                }
                (x, y) => x == y,
            }
        }
        prop_assert!(check(&v, &json(&v)));
    }

    /// No input makes a redactor panic; `printable` leaves no control
    /// character and changes nothing else.
    #[test]
    fn prop_redactors_take_any_input(
        s in prop_oneof![testgen::text(), ".{0,64}", "[?#=&%+a-z:/@.]{0,40}"],
        ct in testgen::content_type(),
        secrets in prop::collection::vec(".{0,12}", 0..4),
        max in 0usize..100,
    ) {
        let _ = form(&s);
        let _ = url_str(&s);
        let _ = body(ct.as_deref(), &s);
        let _ = header_value("Authorization", &s);
        let _ = header_value("Location", &s);
        let _ = header_value(&s, &s);
        let _ = is_secret_key(&s);
        let _ = secrets_in_request(&s, Some(&format!("Basic {s}")));
        let shown = server_text(&s, &secrets, max);
        prop_assert!(shown.chars().count() <= max + 1);
        let p = printable(&s);
        prop_assert!(!p.chars().any(char::is_control));
        if !s.chars().any(char::is_control) {
            prop_assert_eq!(p.as_ref(), s.as_str());
        }
    }
}
