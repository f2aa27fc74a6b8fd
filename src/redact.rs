//! Redaction of secrets in anything we may print: URLs, headers, form and
//! JSON bodies. Used by the `--verbose` wire trace and by error messages that
//! quote what a server sent.

use url::Url;

/// Parameter and field names whose values are secrets wherever they appear:
/// query strings, form bodies, JSON objects.
pub const SECRET_KEYS: &[&str] = &[
    "access_token",
    "refresh_token",
    "id_token",
    "code",
    "code_verifier",
    "client_secret",
    "client_assertion",
    "assertion",
    "token",
    "password",
    "launch",
    "state",
    "nonce",
];

/// Header names whose values are secrets.
pub const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
];

pub const REDACTED: &str = "[redacted]";

/// A secret by name, or by the shape of its name: `*token`
/// (`registration_access_token`, `subject_token`…), `*secret*`,
/// `*assertion`, `*_code` (`device_code`).
pub fn is_secret_key(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    SECRET_KEYS.contains(&n.as_str())
        || n.ends_with("token")
        || n.contains("secret")
        || n.ends_with("assertion")
        || n.ends_with("_code")
        || n.ends_with("password")
}

/// Names that are secrets only as OAuth parameters (query strings, form
/// bodies, redirects): `code` is the authorization code there, but in a FHIR
/// JSON body it is a LOINC code or an OperationOutcome issue code, and
/// `state` an address's state. No OAuth message carries either in JSON.
const OAUTH_PARAMETERS_ONLY: &[&str] = &["code", "state"];

/// A JSON member whose value is a secret: [`is_secret_key`], except the
/// names that are secrets only as OAuth parameters.
pub fn is_secret_json_key(name: &str) -> bool {
    is_secret_key(name)
        && !OAUTH_PARAMETERS_ONLY
            .iter()
            .any(|k| k.eq_ignore_ascii_case(name))
}

/// A header whose value is a secret: [`SECRET_HEADERS`], and by the shape
/// of its name `*key*` (`Ocp-Apim-Subscription-Key`, `X-Api-Key`),
/// `*token*`, `*secret*`, `*password*`, `*cookie*`, `*authorization`: what
/// users add with `-H` for API gateways.
pub fn is_secret_header(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    SECRET_HEADERS.contains(&n.as_str())
        || ["key", "token", "secret", "password", "cookie"]
            .iter()
            .any(|part| n.contains(part))
        || n.ends_with("authorization")
}

/// A header value fit for printing: the scheme of an `Authorization` header
/// stays visible (`Bearer [redacted]`), the credential does not.
pub fn header_value(name: &str, value: &str) -> String {
    // A redirect to a client's callback carries the code in its query.
    if name.eq_ignore_ascii_case("location") || name.eq_ignore_ascii_case("content-location") {
        return url_str(value);
    }
    if !is_secret_header(name) {
        return value.to_owned();
    }
    match value.split_once(' ') {
        Some((scheme, _)) if name.to_ascii_lowercase().ends_with("authorization") => {
            format!("{scheme} {REDACTED}")
        }
        _ => REDACTED.to_owned(),
    }
}

/// `a=1&code=xyz` → `a=1&code=[redacted]`, keeping the original encoding of
/// everything else.
pub fn form(body: &str) -> String {
    body.split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _)) if is_secret_key(&decode(k)) => format!("{k}={REDACTED}"),
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// The secret values a form request carries (by field name, see
/// [`is_secret_key`]), plain and form-encoded, and the credentials of a
/// Basic `Authorization` header: what a server that echoes its input could
/// send back in an error message.
pub fn secrets_in_request(form_body: &str, authorization: Option<&str>) -> Vec<String> {
    let mut out = Vec::new();
    for (k, v) in url::form_urlencoded::parse(form_body.as_bytes()) {
        if is_secret_key(&k) && !v.is_empty() {
            out.push(url::form_urlencoded::byte_serialize(v.as_bytes()).collect());
            out.push(v.into_owned());
        }
    }
    if let Some(basic) = authorization.and_then(|a| a.strip_prefix("Basic ")) {
        out.push(basic.trim().to_owned());
        use base64::Engine;
        if let Some(creds) = base64::engine::general_purpose::STANDARD
            .decode(basic.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            && let Some((_, secret)) = creds.split_once(':')
            && !secret.is_empty()
        {
            out.push(decode(secret));
            out.push(secret.to_owned());
        }
    }
    out.sort_by_key(|s| std::cmp::Reverse(s.len()));
    out.dedup();
    out
}

/// Server-supplied text fit for a message: every value in `secrets` replaced,
/// control characters (ESC, BEL, newlines) dropped, and at most `max` chars.
pub fn server_text(text: &str, secrets: &[String], max: usize) -> String {
    let t = values(text, secrets);
    let mut shown = t.chars().filter(|c| !c.is_control());
    let mut out: String = shown.by_ref().take(max).collect();
    if shown.next().is_some() {
        out.push('…');
    }
    out
}

/// `text` with every value in `secrets` replaced, as it is and as JSON
/// escapes it (a JSON body we quote is re-serialized: `"` becomes `\"`).
/// Values shorter than 4 bytes are left: they would blank out ordinary words.
pub fn values(text: &str, secrets: &[String]) -> String {
    let mut t = text.to_owned();
    for s in secrets.iter().filter(|s| s.len() >= 4) {
        let json = serde_json::to_string(s).unwrap_or_default();
        let escaped = json
            .strip_prefix('"')
            .and_then(|j| j.strip_suffix('"'))
            .unwrap_or(s);
        for form in [s.as_str(), escaped] {
            if t.contains(form) {
                t = t.replace(form, REDACTED);
            }
        }
    }
    t
}

/// A JSON value with every value in `secrets` replaced in its strings, as
/// [`values`] does for text.
pub fn json_values(v: &serde_json::Value, secrets: &[String]) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::String(s) => Value::String(values(s, secrets)),
        Value::Array(items) => {
            Value::Array(items.iter().map(|i| json_values(i, secrets)).collect())
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (values(k, secrets), json_values(v, secrets)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The secret values one process has sent or been given (client secrets,
/// codes, verifiers, assertions, tokens), to redact BY VALUE wherever a
/// server echoes them: in a `debug` field, an `error_description`, a
/// header. Redaction by field name cannot see those. Shared by an
/// [`crate::http::Http`] and everything it traces or records.
#[derive(Debug, Default)]
pub struct Known(std::sync::Mutex<Vec<String>>);

impl Known {
    /// Adds a secret, as it is and form-encoded (a URL or a form body
    /// carries it that way). Values shorter than 4 bytes are ignored, as
    /// [`values`] ignores them.
    pub fn add(&self, secret: &str) {
        if secret.len() < 4 {
            return;
        }
        let encoded: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
        let mut known = self.0.lock().unwrap_or_else(|e| e.into_inner());
        for v in [secret.to_owned(), encoded] {
            if !known.contains(&v) {
                known.push(v);
            }
        }
        // Longest first: a secret that contains another is replaced whole.
        known.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }

    /// The secrets a request carries: secret-named form fields, a Basic
    /// credential (the base64 and the secret in it), a Bearer token. Not
    /// the query: FHIR searches have a `code` parameter that is no secret
    /// (the URL is still redacted by name where it is shown).
    pub fn learn_request(&self, form_body: Option<&str>, authorization: Option<&str>) {
        let mut found = secrets_in_request(form_body.unwrap_or(""), authorization);
        if let Some(token) = authorization.and_then(|a| a.strip_prefix("Bearer ")) {
            found.push(token.trim().to_owned());
        }
        for s in found {
            self.add(&s);
        }
    }

    /// The secrets an answer carries: token-like fields of a JSON body, and
    /// secret-named parameters of a redirect (the code).
    pub fn learn_response(&self, body: &[u8], location: Option<&str>) {
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) {
            self.learn_json(&v);
        }
        if let Some(loc) = location {
            self.learn_url(loc);
        }
    }

    /// Secret-named query and fragment parameters of a URL (a redirect back
    /// with a code).
    pub fn learn_url(&self, url: &str) {
        let (rest, fragment) = url.split_once('#').unwrap_or((url, ""));
        let query = rest.split_once('?').map_or("", |(_, q)| q);
        for part in [query, fragment] {
            for s in secrets_in_request(part, None) {
                self.add(&s);
            }
        }
    }

    /// The token-like fields at the top of an OAuth answer (tokens,
    /// secrets, assertions). Not `code` and the like, nor anything deeper:
    /// a FHIR resource is full of `"code": "read"` that is no secret.
    fn learn_json(&self, v: &serde_json::Value) {
        let Some(map) = v.as_object() else {
            return;
        };
        for (k, v) in map {
            let k = k.to_ascii_lowercase();
            let token_like = k.ends_with("token")
                || k.contains("secret")
                || k.ends_with("assertion")
                || k.ends_with("password");
            if let (true, Some(s)) = (token_like, v.as_str()) {
                self.add(s);
            }
        }
    }

    /// `text` with every known secret replaced (see [`values`]).
    pub fn apply(&self, text: &str) -> String {
        let known = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if known.is_empty() {
            return text.to_owned();
        }
        values(text, &known)
    }
}

/// Server text made harmless for a terminal: control characters (ESC, which
/// starts colour and cursor sequences, OSC's BEL, CR…) are shown escaped
/// (`\u{1b}`) instead of being obeyed. JSON output never goes through this.
pub fn printable(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(s);
    }
    std::borrow::Cow::Owned(
        s.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_unicode().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

/// A URL with secret query parameters and any userinfo password redacted;
/// a fragment is redacted like a query (`#code=…` of `response_mode=fragment`,
/// `#access_token=…` of the implicit grant).
pub fn url(u: &Url) -> String {
    let mut out = u.clone();
    if out.password().is_some() {
        let _ = out.set_password(Some(REDACTED));
    }
    if let Some(q) = u.query() {
        out.set_query(Some(&form(q)));
    }
    if let Some(f) = u.fragment() {
        out.set_fragment(Some(&form(f)));
    }
    out.to_string()
}

/// Same as [`url()`] for a string that may not parse as a URL.
pub fn url_str(s: &str) -> String {
    if let Ok(u) = Url::parse(s) {
        return url(&u);
    }
    let (rest, fragment) = match s.split_once('#') {
        Some((r, f)) => (r, Some(form(f))),
        None => (s, None),
    };
    let mut out = match rest.split_once('?') {
        Some((path, q)) => format!("{path}?{}", form(q)),
        None => rest.to_owned(),
    };
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(&f);
    }
    out
}

/// A JSON value with every secret-named field replaced, recursively.
pub fn json(v: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = if is_secret_json_key(k) && !v.is_null() {
                        Value::String(REDACTED.into())
                    } else {
                        json(v)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(json).collect()),
        other => other.clone(),
    }
}

/// A body of unknown shape: JSON is redacted field by field, a form body pair
/// by pair; anything else that mentions a secret key is withheld entirely.
pub fn body(content_type: Option<&str>, text: &str) -> String {
    // JSON whatever the label says: a JSON answer labelled as a form would
    // otherwise go through `form`, which finds no pairs in it.
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(text) {
        return serde_json::to_string(&json(&v)).unwrap_or_default();
    }
    let ct = content_type.unwrap_or("").to_ascii_lowercase();
    if ct.contains("x-www-form-urlencoded") {
        return form(text);
    }
    if mentions_secret_key(text) {
        return format!("[{} bytes withheld: may contain a secret]", text.len());
    }
    text.to_owned()
}

/// Whether `text` names a secret the way [`is_secret_key`] knows them, in
/// any case (`CLIENT_SECRET=…`, `Refresh_Token: …`, `api_secret`).
fn mentions_secret_key(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    SECRET_KEYS.iter().any(|k| t.contains(k)) || t.contains("secret")
}

fn decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("{s}=").as_bytes())
        .next()
        .map(|(k, _)| k.into_owned())
        .unwrap_or_else(|| s.to_owned())
}

#[cfg(test)]
mod proptests;

#[cfg(test)]
mod tests {
    use super::*;

    /// A body of no known shape is shown as it is unless it names a secret
    /// key, in any case; then it is withheld whole.
    #[test]
    fn a_plain_body_is_shown_unless_it_names_a_secret() {
        let plain = "upstream timed out after 30 s";
        assert_eq!(body(Some("text/plain"), plain), plain);
        assert_eq!(body(None, plain), plain);
        for secretive in ["Refresh_Token: abc", "CLIENT_SECRET=abc", "api_secret abc"] {
            assert_eq!(
                body(Some("text/plain"), secretive),
                format!("[{} bytes withheld: may contain a secret]", secretive.len()),
                "{secretive}"
            );
        }
    }

    #[test]
    fn control_characters_are_shown_not_obeyed() {
        assert_eq!(printable("plain"), "plain");
        assert_eq!(printable("a\x1b]0;pwned\x07b"), "a\\u{1b}]0;pwned\\u{7}b");
    }

    #[test]
    fn an_echoed_secret_is_redacted_by_value() {
        let form = "grant_type=refresh_token&refresh_token=RT%2Bsecret%2F1&client_id=app";
        let basic = format!(
            "Basic {}",
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, "app:s3cret%3Ax")
        );
        let secrets = secrets_in_request(form, Some(&basic));
        let echoed =
            "bad request: refresh_token=RT%2Bsecret%2F1 (RT+secret/1), secret s3cret:x\x1b[31m\x07";
        let shown = server_text(echoed, &secrets, 200);
        assert!(
            !shown.contains("RT") && !shown.contains("s3cret"),
            "{shown}"
        );
        assert!(
            !shown.contains('\x1b') && !shown.contains('\x07'),
            "{shown}"
        );
        assert!(
            shown.contains("client") || shown.contains("bad request"),
            "{shown}"
        );
        assert_eq!(server_text(&"x".repeat(10), &[], 4), "xxxx…");
    }

    #[test]
    fn known_secrets_are_learnt_from_requests_and_answers_and_redacted_anywhere() {
        let k = Known::default();
        let basic = format!(
            "Basic {}",
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, "app:SECRET-1")
        );
        k.learn_request(
            Some("code=CODE%2F1&code_verifier=VERIFIER-1&client_assertion=eyJ.A.B"),
            Some(&basic),
        );
        k.learn_request(None, Some("Bearer AT-BEARER"));
        // A FHIR answer's codes are no secrets.
        k.learn_response(
            br#"{"resourceType":"CapabilityStatement","code":"delete","rest":[{"code":"read"}]}"#,
            None,
        );
        k.learn_response(
            br#"{"token_type":"Bearer","refresh_token":"RT-1"}"#,
            Some("http://127.0.0.1/cb?code=CODE-2&state=abcd1234"),
        );
        let echoed = format!(
            "you sent VERIFIER-1 CODE/1 CODE%2F1 eyJ.A.B {basic} SECRET-1 AT-BEARER RT-1 CODE-2 abcd1234"
        );
        let shown = k.apply(&echoed);
        for secret in [
            "VERIFIER-1",
            "CODE/1",
            "CODE%2F1",
            "eyJ.A.B",
            "SECRET-1",
            "AT-BEARER",
            "RT-1",
            "CODE-2",
            "abcd1234",
        ] {
            assert!(!shown.contains(secret), "{secret}: {shown}");
        }
        assert!(
            !shown.contains(basic.trim_start_matches("Basic ")),
            "{shown}"
        );
        assert!(shown.starts_with("you sent "), "{shown}");
        assert_eq!(k.apply("read, delete"), "read, delete");
    }

    #[test]
    fn secrets_in_request_are_the_secret_fields_only() {
        let found = secrets_in_request(
            "grant_type=authorization_code&client_id=app-1&code=C0DE%2F1&redirect_uri=x&code_verifier=",
            Some("Bearer not-basic"),
        );
        assert_eq!(found, ["C0DE%2F1", "C0DE/1"]);
    }

    #[test]
    fn json_values_hides_known_secrets_in_every_string() {
        let secrets = vec!["SECRET-9".to_owned()];
        let v = serde_json::json!({"issue": [{"diagnostics": "you sent SECRET-9", "n": 1}],
            "SECRET-9": true, "ok": "fine"});
        assert_eq!(
            json_values(&v, &secrets),
            serde_json::json!({"issue": [{"diagnostics": "you sent [redacted]", "n": 1}],
                "[redacted]": true, "ok": "fine"})
        );
    }

    #[test]
    fn every_token_like_field_of_an_answer_is_learnt() {
        // A registration answer (RFC 7591) carries the new client's secret;
        // other OAuth answers may carry assertions or passwords.
        let k = Known::default();
        k.learn_response(
            br#"{"client_id":"app-1","client_secret":"CS-1234","subject_assertion":"SA-1234",
                 "user_password":"PW-1234","id_token":"IDT-1234","expires_in":3600}"#,
            None,
        );
        assert_eq!(
            k.apply("app-1 CS-1234 SA-1234 PW-1234 IDT-1234 3600"),
            "app-1 [redacted] [redacted] [redacted] [redacted] 3600"
        );
    }

    // Found by prop_server_text_hides_secrets_and_control_characters.
    #[test]
    fn a_json_escaped_echo_is_redacted_too() {
        let secrets = secrets_in_request("refresh_token=RT%22quoted%5Cx", None);
        let shown = server_text(r#"{"detail":"RT\"quoted\\x"}"#, &secrets, 200);
        assert!(!shown.contains("quoted"), "{shown}");
    }

    // Found by prop_the_trace_never_shows_a_secret.
    #[test]
    fn bodies_naming_a_secret_in_any_case_are_withheld() {
        for (ct, text) in [
            (Some("application/json"), "grant_type=x&Access_Token=AT-1"),
            (Some("text/plain"), "CLIENT_SECRET: s3cret-1"),
            (None, "api_secret=s3cret-1"),
        ] {
            let shown = body(ct, text);
            assert!(shown.contains("withheld"), "{text}: {shown}");
        }
        // JSON is redacted as JSON, whatever the label.
        let shown = body(
            Some("application/x-www-form-urlencoded"),
            r#"{"access_token":"AT-1","token_type":"Bearer"}"#,
        );
        assert_eq!(
            shown,
            r#"{"access_token":"[redacted]","token_type":"Bearer"}"#
        );
    }

    // Found by prop_the_trace_never_shows_a_secret.
    #[test]
    fn fragments_lose_their_secrets_too() {
        let u = Url::parse("http://127.0.0.1:1/cb#code=C-1&state=S-1&x=1").unwrap();
        assert_eq!(
            url(&u),
            "http://127.0.0.1:1/cb#code=[redacted]&state=[redacted]&x=1"
        );
        assert_eq!(
            url_str("/cb?x=1#access_token=AT-1"),
            "/cb?x=1#access_token=[redacted]"
        );
        assert_eq!(
            url_str("https://x.org/a#section-2"),
            "https://x.org/a#section-2"
        );
    }

    #[test]
    fn form_bodies_lose_their_secrets_only() {
        let b = "grant_type=authorization_code&code=abc123&redirect_uri=http%3A%2F%2F127.0.0.1&code_verifier=v&client_secret=s";
        let r = form(b);
        assert!(!r.contains("abc123"));
        assert!(!r.contains("=v&") && !r.ends_with("=s"));
        assert!(r.contains("grant_type=authorization_code"));
        assert!(r.contains("redirect_uri=http%3A%2F%2F127.0.0.1"));
    }

    #[test]
    fn authorization_header_keeps_its_scheme() {
        assert_eq!(
            header_value("Authorization", "Bearer abc"),
            "Bearer [redacted]"
        );
        assert_eq!(
            header_value("Location", "http://127.0.0.1:9/callback?code=C&state=S&x=1"),
            "http://127.0.0.1:9/callback?code=[redacted]&state=[redacted]&x=1"
        );
        assert_eq!(
            header_value("Accept", "application/json"),
            "application/json"
        );
    }

    #[test]
    fn urls_lose_code_and_state() {
        let u = Url::parse("http://127.0.0.1:1/callback?code=SECRET&state=S2&x=1").unwrap();
        let r = url(&u);
        assert!(!r.contains("SECRET") && !r.contains("S2"));
        assert!(r.contains("x=1"));
    }

    #[test]
    fn secret_shaped_names_are_secrets() {
        for k in [
            "registration_access_token",
            "initial_access_token",
            "device_code",
            "subject_token",
            "client_secret",
            "CLIENT_SECRET",
            "jwt_assertion",
        ] {
            assert!(is_secret_key(k), "{k}");
        }
        for k in [
            "token_type",
            "expires_in",
            "scope",
            "token_endpoint",
            "client_id",
        ] {
            assert!(!is_secret_key(k), "{k}");
        }
    }

    #[test]
    fn fhir_codes_stay_in_json_but_not_in_oauth_urls_and_forms() {
        let obs = serde_json::json!({"resourceType": "Observation",
            "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
            "issue": [{"code": "not-found"}], "address": {"state": "MA"}});
        assert_eq!(json(&obs), obs);
        assert!(!body(Some("application/fhir+json"), &obs.to_string()).contains(REDACTED));
        assert_eq!(form("code=C-1&x=1"), "code=[redacted]&x=1");
        assert_eq!(
            url_str("http://127.0.0.1:9/cb?code=C-1"),
            "http://127.0.0.1:9/cb?code=[redacted]"
        );
        let tokens = serde_json::json!({"access_token": "A", "device_code": "D"});
        assert_eq!(
            json(&tokens),
            serde_json::json!({"access_token": REDACTED, "device_code": REDACTED})
        );
    }

    #[test]
    fn a_cookie_with_attributes_is_redacted_whole() {
        // Only an Authorization header keeps its first word (the scheme); a
        // cookie's first word is the secret itself.
        assert_eq!(header_value("Set-Cookie", "sid=SECRET; Path=/"), REDACTED);
        assert_eq!(header_value("Cookie", "sid=SECRET; theme=dark"), REDACTED);
        assert_eq!(
            header_value("Proxy-Authorization", "Basic QQ=="),
            "Basic [redacted]"
        );
    }

    #[test]
    fn json_is_redacted_recursively() {
        let v = serde_json::json!({"access_token":"A","nested":{"refresh_token":"R"},"scope":"x"});
        let r = json(&v).to_string();
        assert!(!r.contains("\"A\"") && !r.contains("\"R\""));
        assert!(r.contains("\"scope\":\"x\""));
    }
}
