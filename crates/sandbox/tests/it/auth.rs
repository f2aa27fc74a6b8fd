//! The sandbox's authorization server over real HTTP: the SMART App Launch
//! code flow with PKCE and consent, EHR launch, refresh rotation, backend
//! services with private_key_jwt, introspection, revocation, registration,
//! every rejection the spec asks for, and each auth-side fault.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use smart_sandbox::clock::ManualClock;
use smart_sandbox::{Fault, Faults, Options, Quirks, Sandbox};

const CLI: &str = "smart-cli";
const CONF: &str = "smart-confidential";
const CONF_SECRET: &str = "smart-sandbox-secret";
const REDIRECT: &str = "http://127.0.0.1:7777/callback";
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

async fn start_with(f: impl FnOnce(&mut Options)) -> Sandbox {
    let mut o = Options {
        patients: 30,
        ..Options::default()
    };
    f(&mut o);
    Sandbox::start(o).await.expect("sandbox starts")
}

async fn start() -> Sandbox {
    start_with(|_| {}).await
}

async fn start_fault(fault: Fault) -> Sandbox {
    start_with(|o| {
        o.faults = Faults::parse(&[fault.name().to_owned()]).unwrap();
        o.auto_approve = true;
    })
    .await
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn origin(sb: &Sandbox) -> String {
    sb.origin().as_str().trim_end_matches('/').to_owned()
}

fn base(sb: &Sandbox) -> String {
    sb.fhir_base().as_str().trim_end_matches('/').to_owned()
}

fn url(sb: &Sandbox, path: &str) -> String {
    format!("{}{path}", origin(sb))
}

/// (verifier, S256 challenge)
fn pkce() -> (String, String) {
    let verifier = smart_sandbox::auth::random_token();
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

/// A complete, valid authorization request, ready to be spoiled by a test.
struct AuthReq {
    params: Vec<(String, String)>,
    verifier: String,
}

impl AuthReq {
    fn new(sb: &Sandbox, client_id: &str, scope: &str) -> AuthReq {
        let (verifier, challenge) = pkce();
        let params = [
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", REDIRECT),
            ("scope", scope),
            ("state", "st-123"),
            ("aud", &base(sb)),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
            ("nonce", "n-456"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        AuthReq { params, verifier }
    }
    fn set(mut self, k: &str, v: &str) -> Self {
        self.params.retain(|(k2, _)| k2 != k);
        self.params.push((k.into(), v.into()));
        self
    }
    fn without(mut self, k: &str) -> Self {
        self.params.retain(|(k2, _)| k2 != k);
        self
    }
    async fn get(&self, sb: &Sandbox) -> reqwest::Response {
        http()
            .get(url(sb, "/auth/authorize"))
            .query(&self.params)
            .send()
            .await
            .unwrap()
    }
    async fn post(&self, sb: &Sandbox) -> reqwest::Response {
        http()
            .post(url(sb, "/auth/authorize"))
            .form(&self.params)
            .send()
            .await
            .unwrap()
    }
}

/// The query parameters of a redirect response's Location.
fn redirect_params(resp: &reqwest::Response) -> HashMap<String, String> {
    assert_eq!(resp.status(), StatusCode::FOUND, "expected a redirect");
    let loc = resp.headers()["location"].to_str().unwrap();
    let u = url::Url::parse(loc).unwrap();
    assert!(loc.starts_with("http://127.0.0.1:7777/callback?"), "{loc}");
    u.query_pairs().into_owned().collect()
}

/// The consent form's `pending` value and the patient ids it offers.
fn consent_form(html: &str) -> (String, Vec<String>) {
    let attr = |from: &str| -> String {
        let start = from.find("value=\"").unwrap() + 7;
        from[start..start + from[start..].find('"').unwrap()].to_owned()
    };
    let p = html.find("name=\"pending\"").expect("pending field");
    let pending = attr(&html[p..]);
    let patients = html
        .match_indices("<option ")
        .map(|(i, _)| attr(&html[i..]))
        .collect();
    (pending, patients)
}

async fn consent(
    sb: &Sandbox,
    pending: &str,
    decision: &str,
    patient: Option<&str>,
) -> reqwest::Response {
    let mut form = vec![("pending", pending), ("decision", decision)];
    if let Some(p) = patient {
        form.push(("patient", p));
    }
    http()
        .post(url(sb, "/auth/consent"))
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// Authorize, approve on the consent page (first patient if asked; or
/// straight through with auto-approve), return
/// the redirect's parameters.
async fn authorize_and_approve(sb: &Sandbox, req: &AuthReq) -> HashMap<String, String> {
    let resp = req.get(sb).await;
    if sb.options().auto_approve {
        return redirect_params(&resp);
    }
    assert_eq!(resp.status(), StatusCode::OK, "consent page expected");
    let html = resp.text().await.unwrap();
    let (pending, patients) = consent_form(&html);
    let r = consent(
        sb,
        &pending,
        "approve",
        patients.first().map(String::as_str),
    )
    .await;
    redirect_params(&r)
}

async fn token_req(
    sb: &Sandbox,
    form: &[(&str, &str)],
) -> (StatusCode, Value, reqwest::header::HeaderMap) {
    let r = http()
        .post(url(sb, "/auth/token"))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let headers = r.headers().clone();
    (status, r.json().await.unwrap_or(Value::Null), headers)
}

async fn exchange(sb: &Sandbox, code: &str, verifier: &str) -> (StatusCode, Value) {
    let (s, v, _) = token_req(
        sb,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
            ("client_id", CLI),
        ],
    )
    .await;
    (s, v)
}

/// A public-client code flow through consent; returns the token response.
async fn login(sb: &Sandbox, scope: &str) -> Value {
    let req = AuthReq::new(sb, CLI, scope);
    let q = authorize_and_approve(sb, &req).await;
    let (s, v) = exchange(sb, &q["code"], &req.verifier).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

async fn introspect(sb: &Sandbox, token: &str) -> Value {
    http()
        .post(url(sb, "/auth/introspect"))
        .basic_auth(CONF, Some(CONF_SECRET))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn fhir_get(sb: &Sandbox, path: &str, token: &str) -> StatusCode {
    http()
        .get(format!("{}{path}", base(sb)))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
}

fn assert_error(s: StatusCode, v: &Value, status: u16, error: &str) {
    assert_eq!(s.as_u16(), status, "{v}");
    assert_eq!(v["error"], error, "{v}");
}

const PATIENT_SCOPE: &str = "openid fhirUser launch/patient patient/*.rs offline_access";

// ---------------------------------------------------------------- discovery

#[tokio::test]
async fn discovery_documents_are_conformant() {
    let sb = start().await;
    let c = http();
    let doc: Value = c
        .get(format!("{}/.well-known/smart-configuration", base(&sb)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["issuer"], base(&sb));
    assert_eq!(doc["authorization_endpoint"], url(&sb, "/auth/authorize"));
    assert_eq!(doc["token_endpoint"], url(&sb, "/auth/token"));
    assert_eq!(doc["jwks_uri"], url(&sb, "/auth/jwks"));
    assert_eq!(doc["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(doc["response_types_supported"], json!(["code"]));
    for m in [
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
    ] {
        assert!(
            doc["token_endpoint_auth_methods_supported"]
                .as_array()
                .unwrap()
                .contains(&json!(m))
        );
    }
    for g in ["authorization_code", "refresh_token", "client_credentials"] {
        assert!(
            doc["grant_types_supported"]
                .as_array()
                .unwrap()
                .contains(&json!(g))
        );
    }
    let caps = doc["capabilities"].as_array().unwrap();
    for cap in [
        "launch-ehr",
        "launch-standalone",
        "authorize-post",
        "client-public",
        "client-confidential-symmetric",
        "client-confidential-asymmetric",
        "sso-openid-connect",
        "context-ehr-patient",
        "context-standalone-patient",
        "permission-offline",
        "permission-v1",
        "permission-v2",
    ] {
        assert!(caps.contains(&json!(cap)), "{cap}");
    }
    for k in [
        "introspection_endpoint",
        "revocation_endpoint",
        "registration_endpoint",
        "scopes_supported",
    ] {
        assert!(doc[k].is_string() || doc[k].is_array(), "{k}");
    }
    let oidc: Value = c
        .get(format!("{}/.well-known/openid-configuration", base(&sb)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(oidc["issuer"], base(&sb));
    assert!(
        oidc["id_token_signing_alg_values_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("RS256"))
    );
    let jwks: Value = c
        .get(url(&sb, "/auth/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks["keys"][0]["kty"], "RSA");
    assert!(jwks["keys"][0]["kid"].is_string());
}

// ---------------------------------------------------------- the code flow

#[tokio::test]
async fn standalone_code_flow_with_pkce_consent_and_id_token() {
    let sb = start().await;
    let req = AuthReq::new(&sb, CLI, PATIENT_SCOPE);
    let resp = req.get(&sb).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["x-frame-options"], "DENY");
    let html = resp.text().await.unwrap();
    assert!(html.contains("<form method=\"post\" action=\"/auth/consent\">"));
    let (pending, patients) = consent_form(&html);
    assert!(patients.len() >= 2, "picker lists patients: {patients:?}");
    let chosen = patients[1].clone();

    let q = redirect_params(&consent(&sb, &pending, "approve", Some(&chosen)).await);
    assert_eq!(q["state"], "st-123");
    // The consent answer is spent.
    let again = consent(&sb, &pending, "approve", Some(&chosen)).await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    assert!(again.headers().get("location").is_none());

    let (s, tok, headers) = token_req(
        &sb,
        &[
            ("grant_type", "authorization_code"),
            ("code", &q["code"]),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &req.verifier),
            ("client_id", CLI),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{tok}");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(tok["token_type"], "Bearer");
    assert_eq!(tok["expires_in"], 3600);
    assert_eq!(tok["scope"], PATIENT_SCOPE);
    assert_eq!(tok["patient"], chosen);
    assert_eq!(tok["need_patient_banner"], true);
    assert_eq!(tok["smart_style_url"], url(&sb, "/auth/smart-style.json"));
    assert!(tok["refresh_token"].is_string());

    // id_token: signed by the key in /auth/jwks, for this client, with nonce and fhirUser.
    let id_token = tok["id_token"].as_str().unwrap();
    let jwks: jsonwebtoken::jwk::JwkSet = http()
        .get(url(&sb, "/auth/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kid = jsonwebtoken::decode_header(id_token).unwrap().kid.unwrap();
    let key = DecodingKey::from_jwk(jwks.find(&kid).unwrap()).unwrap();
    let mut v = Validation::new(Algorithm::RS256);
    v.set_audience(&[CLI]);
    v.set_issuer(&[base(&sb)]);
    let claims = jsonwebtoken::decode::<Value>(id_token, &key, &v)
        .unwrap()
        .claims;
    assert_eq!(claims["nonce"], "n-456");
    assert_eq!(
        claims["fhirUser"],
        format!("{}/Patient/{chosen}", base(&sb))
    );
    assert!(claims["sub"].is_string());

    // The access token works on the FHIR side, inside the patient's compartment.
    let at = tok["access_token"].as_str().unwrap();
    assert_eq!(
        fhir_get(&sb, &format!("/Patient/{chosen}"), at).await,
        StatusCode::OK
    );
    assert_eq!(
        fhir_get(&sb, &format!("/Patient/{}", patients[0]), at)
            .await
            .as_u16()
            / 100,
        4,
        "another patient is out of the compartment"
    );
    let mut h = reqwest::header::HeaderMap::new();
    h.insert("authorization", format!("Bearer {at}").parse().unwrap());
    let grant = sb.authenticate(&h).unwrap();
    assert_eq!(grant.patient.as_deref(), Some(chosen.as_str()));
    assert_eq!(grant.client_id, CLI);
}

#[tokio::test]
async fn authorize_post_works_like_get() {
    let sb = start_with(|o| o.auto_approve = true).await;
    let req = AuthReq::new(&sb, CLI, "launch/patient patient/*.rs");
    let q = redirect_params(&req.post(&sb).await);
    let (s, tok) = exchange(&sb, &q["code"], &req.verifier).await;
    assert_eq!(s, StatusCode::OK, "{tok}");
    let first = sb.patient_choices(1)[0].0.clone();
    assert_eq!(
        tok["patient"], first,
        "auto-approve picks the first patient"
    );
    assert!(
        tok.get("refresh_token").is_none(),
        "no offline/online access asked"
    );
    assert!(tok.get("id_token").is_none(), "no openid asked");
}

#[tokio::test]
async fn code_rejections_wrong_verifier_reuse_redirect_client() {
    let sb = start_with(|o| o.auto_approve = true).await;
    let scope = "launch/patient patient/*.rs offline_access";

    // Wrong verifier; the code is spent even so.
    let req = AuthReq::new(&sb, CLI, scope);
    let q = redirect_params(&req.get(&sb).await);
    let (s, v) = exchange(&sb, &q["code"], &pkce().0).await;
    assert_error(s, &v, 400, "invalid_grant");
    let (s, v) = exchange(&sb, &q["code"], &req.verifier).await;
    assert_error(s, &v, 400, "invalid_grant");

    // Missing verifier.
    let req = AuthReq::new(&sb, CLI, scope);
    let q = redirect_params(&req.get(&sb).await);
    let (s, v, _) = token_req(
        &sb,
        &[
            ("grant_type", "authorization_code"),
            ("code", &q["code"]),
            ("redirect_uri", REDIRECT),
            ("client_id", CLI),
        ],
    )
    .await;
    assert_error(s, &v, 400, "invalid_grant");

    // Reused code: refused, and the tokens issued from it are revoked.
    let req = AuthReq::new(&sb, CLI, scope);
    let q = redirect_params(&req.get(&sb).await);
    let (s, first) = exchange(&sb, &q["code"], &req.verifier).await;
    assert_eq!(s, StatusCode::OK);
    let at = first["access_token"].as_str().unwrap();
    assert_eq!(introspect(&sb, at).await["active"], true);
    let (s, v) = exchange(&sb, &q["code"], &req.verifier).await;
    assert_error(s, &v, 400, "invalid_grant");
    assert_eq!(introspect(&sb, at).await["active"], false);
    let rt = first["refresh_token"].as_str().unwrap();
    assert_eq!(introspect(&sb, rt).await["active"], false);
    assert_eq!(
        fhir_get(&sb, "/Patient", at).await,
        StatusCode::UNAUTHORIZED
    );

    // Wrong redirect_uri at the token endpoint (another port counts as different here).
    let req = AuthReq::new(&sb, CLI, scope);
    let q = redirect_params(&req.get(&sb).await);
    let (s, v, _) = token_req(
        &sb,
        &[
            ("grant_type", "authorization_code"),
            ("code", &q["code"]),
            ("redirect_uri", "http://127.0.0.1:7778/callback"),
            ("code_verifier", &req.verifier),
            ("client_id", CLI),
        ],
    )
    .await;
    assert_error(s, &v, 400, "invalid_grant");

    // A code issued to one client cannot be redeemed by another.
    let req = AuthReq::new(&sb, CLI, scope);
    let q = redirect_params(&req.get(&sb).await);
    let (s, v, _) = token_req(
        &sb,
        &[
            ("grant_type", "authorization_code"),
            ("code", &q["code"]),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &req.verifier),
            ("client_id", CONF),
            ("client_secret", CONF_SECRET),
        ],
    )
    .await;
    assert_error(s, &v, 400, "invalid_grant");

    // Unknown grant type, unknown code, repeated parameter, wrong content type.
    let (s, v, _) = token_req(&sb, &[("grant_type", "password"), ("client_id", CLI)]).await;
    assert_error(s, &v, 400, "unsupported_grant_type");
    let (s, v) = exchange(&sb, "nope", &req.verifier).await;
    assert_error(s, &v, 400, "invalid_grant");
    let (s, v, _) = token_req(
        &sb,
        &[
            ("grant_type", "refresh_token"),
            ("grant_type", "refresh_token"),
        ],
    )
    .await;
    assert_error(s, &v, 400, "invalid_request");
    let r = http()
        .post(url(&sb, "/auth/token"))
        .json(&json!({"grant_type": "authorization_code"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn authorize_errors_go_back_by_redirect_with_state() {
    let sb = start().await;
    let s = "patient/*.rs";
    let cases: Vec<(AuthReq, &str)> = vec![
        (
            AuthReq::new(&sb, CLI, s).set("aud", "http://elsewhere.example/fhir"),
            "invalid_request",
        ),
        (AuthReq::new(&sb, CLI, s).without("aud"), "invalid_request"),
        (
            AuthReq::new(&sb, CLI, s)
                .without("code_challenge")
                .without("code_challenge_method"),
            "invalid_request",
        ),
        (
            AuthReq::new(&sb, CLI, s).set("code_challenge_method", "plain"),
            "invalid_request",
        ),
        (
            AuthReq::new(&sb, CLI, s).without("code_challenge_method"),
            "invalid_request",
        ),
        (
            AuthReq::new(&sb, CLI, s).set("code_challenge", "short"),
            "invalid_request",
        ),
        (
            AuthReq::new(&sb, CLI, s).set("response_type", "token"),
            "unsupported_response_type",
        ),
        (
            AuthReq::new(&sb, CLI, s).without("scope"),
            "invalid_request",
        ),
        (AuthReq::new(&sb, CLI, "bogus nonsense"), "invalid_scope"),
        (
            AuthReq::new(&sb, CLI, "launch patient/*.rs"),
            "invalid_request",
        ),
        (
            AuthReq::new(&sb, CLI, "launch patient/*.rs").set("launch", "forged"),
            "invalid_request",
        ),
    ];
    for (req, error) in cases {
        let q = redirect_params(&req.get(&sb).await);
        assert_eq!(q["error"], error, "{:?} → {q:?}", req.params);
        assert_eq!(q["state"], "st-123");
        assert!(q.contains_key("error_description"));
        assert!(!q.contains_key("code"));
    }
    // state is required; the error still goes back.
    let q = redirect_params(&AuthReq::new(&sb, CLI, s).without("state").get(&sb).await);
    assert_eq!(q["error"], "invalid_request");
}

#[tokio::test]
async fn untrusted_client_or_redirect_gets_a_page_never_a_redirect() {
    let sb = start().await;
    let s = "patient/*.rs";
    for req in [
        AuthReq::new(&sb, "no-such-client", s),
        AuthReq::new(&sb, CLI, s).set("redirect_uri", "http://evil.example/callback"),
        AuthReq::new(&sb, CLI, s).set("redirect_uri", "http://127.0.0.1:7777/other"),
        AuthReq::new(&sb, CLI, s).set("redirect_uri", "https://127.0.0.1:7777/callback"),
        AuthReq::new(&sb, CLI, s).without("redirect_uri"),
        AuthReq::new(&sb, CLI, s).without("client_id"),
        // Even with other errors present, an untrusted redirect is never used.
        AuthReq::new(&sb, CLI, s)
            .set("redirect_uri", "http://evil.example/callback")
            .set("aud", "x"),
    ] {
        let r = req.get(&sb).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{:?}", req.params);
        assert!(r.headers().get("location").is_none());
        assert!(
            r.text()
                .await
                .unwrap()
                .contains("Authorization request refused")
        );
    }
    // Loopback redirect URIs match on any port (RFC 8252 §7.3).
    let r = AuthReq::new(&sb, CLI, s)
        .set("redirect_uri", "http://127.0.0.1:9/callback")
        .get(&sb)
        .await;
    assert_eq!(r.status(), StatusCode::OK);
}

/// RFC 9700 §4.11.2: an error is redirected only once the client and the
/// redirect URI are known, and then only to that registered URI.
#[tokio::test]
async fn unsupported_response_type_is_redirected_only_to_a_registered_uri() {
    let sb = start().await;
    let registered = "https://app.example/cb";
    let r = http()
        .post(url(&sb, "/auth/register"))
        .json(&json!({"redirect_uris": [registered], "token_endpoint_auth_method": "none"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let id = r.json::<Value>().await.unwrap()["client_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = |client: &str, redirect: &str| {
        AuthReq::new(&sb, client, "patient/*.rs")
            .set("response_type", "token")
            .set("redirect_uri", redirect)
    };
    for req in [token(&id, registered), token(CLI, REDIRECT)] {
        for r in [req.get(&sb).await, req.post(&sb).await] {
            assert_eq!(r.status(), StatusCode::FOUND);
            let loc = url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
            let sent = req
                .params
                .iter()
                .find(|(k, _)| k == "redirect_uri")
                .unwrap();
            assert_eq!(&loc[..url::Position::AfterPath], sent.1, "{loc}");
            let q: HashMap<String, String> = loc.query_pairs().into_owned().collect();
            assert_eq!(q["error"], "unsupported_response_type");
            assert_eq!(q["state"], "st-123");
        }
    }
    for req in [
        token("no-such-client", registered),
        token("no-such-client", "https://evil.example/cb"),
        token(&id, "https://evil.example/cb"),
        token(&id, "https://app.example/cb/other"),
        token(&id, "https://app.example:8443/cb"),
        token(&id, "http://127.0.0.1:7777/callback"),
        token(CLI, "https://evil.example/cb"),
        token(CLI, "http://127.0.0.1:7777/callback/../evil"),
    ] {
        for r in [req.get(&sb).await, req.post(&sb).await] {
            assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{:?}", req.params);
            assert!(
                r.headers().get("location").is_none(),
                "{:?} was redirected",
                req.params
            );
            assert!(
                r.text()
                    .await
                    .unwrap()
                    .contains("Authorization request refused")
            );
        }
    }
}

#[tokio::test]
async fn deny_sends_access_denied() {
    let sb = start().await;
    let req = AuthReq::new(&sb, CLI, PATIENT_SCOPE);
    let html = req.get(&sb).await.text().await.unwrap();
    let (pending, _) = consent_form(&html);
    let q = redirect_params(&consent(&sb, &pending, "deny", None).await);
    assert_eq!(q["error"], "access_denied");
    assert_eq!(q["state"], "st-123");
}

#[tokio::test]
async fn ehr_launch_carries_its_context() {
    let sb = start().await;
    let patient = sb.patient_choices(3)[2].0.clone();
    let launch: Value = http()
        .post(url(&sb, "/auth/launch"))
        .form(&[
            ("app", "https://app.example/launch?x=1"),
            ("patient", patient.as_str()),
            ("encounter", "enc-1"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let launch_id = launch["launch"].as_str().unwrap();
    let app_url = url::Url::parse(launch["url"].as_str().unwrap()).unwrap();
    let q: HashMap<_, _> = app_url.query_pairs().into_owned().collect();
    assert_eq!(q["iss"], base(&sb));
    assert_eq!(q["launch"], launch_id);
    assert_eq!(q["x"], "1");

    let req =
        AuthReq::new(&sb, CLI, "launch openid fhirUser patient/*.rs").set("launch", launch_id);
    let html = req.get(&sb).await.text().await.unwrap();
    let (pending, offered) = consent_form(&html);
    assert!(offered.is_empty(), "the EHR already chose the patient");
    let q = redirect_params(&consent(&sb, &pending, "approve", None).await);
    let (s, tok) = exchange(&sb, &q["code"], &req.verifier).await;
    assert_eq!(s, StatusCode::OK, "{tok}");
    assert_eq!(tok["patient"], patient);
    assert_eq!(tok["encounter"], "enc-1");
    assert_eq!(tok["need_patient_banner"], false);
    assert!(tok["id_token"].is_string());

    // GET and JSON forms too; no patient → the first one.
    let v: Value = http()
        .get(url(&sb, "/auth/launch"))
        .query(&[("app", "https://app.example/")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["patient"], sb.patient_choices(1)[0].0);
    let r = http()
        .post(url(&sb, "/auth/launch"))
        .json(&json!({"app": "not a url"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    // A launch value without the launch scope.
    let q = redirect_params(
        &AuthReq::new(&sb, CLI, "patient/*.rs")
            .set("launch", launch_id)
            .get(&sb)
            .await,
    );
    assert_eq!(q["error"], "invalid_scope");
}

// ------------------------------------------------------- refresh, revoke

#[tokio::test]
async fn refresh_rotates_and_only_narrows() {
    let sb = start_with(|o| o.auto_approve = true).await;
    let tok = login(&sb, PATIENT_SCOPE).await;
    let rt1 = tok["refresh_token"].as_str().unwrap().to_owned();
    let refresh = |rt: String, scope: Option<&'static str>| {
        let sb = &sb;
        async move {
            let mut form = vec![
                ("grant_type", "refresh_token".to_owned()),
                ("refresh_token", rt),
                ("client_id", CLI.to_owned()),
            ];
            if let Some(s) = scope {
                form.push(("scope", s.to_owned()));
            }
            let r = http()
                .post(url(sb, "/auth/token"))
                .form(&form)
                .send()
                .await
                .unwrap();
            (r.status(), r.json::<Value>().await.unwrap())
        }
    };
    let (s, t2) = refresh(rt1.clone(), None).await;
    assert_eq!(s, StatusCode::OK, "{t2}");
    let rt2 = t2["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(rt1, rt2);
    assert_eq!(t2["patient"], tok["patient"]);
    let (s, v) = refresh(rt1, None).await;
    assert_error(s, &v, 400, "invalid_grant");
    // That reuse shows the refresh token leaked: its successor and the
    // access tokens of the grant are revoked too (RFC 9700 §4.14.2).
    assert_eq!(introspect(&sb, &rt2).await["active"], false);
    assert_eq!(
        introspect(&sb, t2["access_token"].as_str().unwrap()).await["active"],
        false
    );
    let (s, v) = refresh(rt2, None).await;
    assert_error(s, &v, 400, "invalid_grant");

    let tok = login(&sb, PATIENT_SCOPE).await;
    let rt2 = tok["refresh_token"].as_str().unwrap().to_owned();

    let (s, t3) = refresh(rt2, Some("patient/*.rs")).await;
    assert_eq!(s, StatusCode::OK, "{t3}");
    assert_eq!(t3["scope"], "patient/*.rs");
    let rt3 = t3["refresh_token"].as_str().unwrap().to_owned();
    // The refresh token keeps the original grant; widening beyond it fails.
    let (s, v) = refresh(rt3.clone(), Some("user/*.rs")).await;
    assert_error(s, &v, 400, "invalid_scope");

    // Another client cannot use it.
    let r = http()
        .post(url(&sb, "/auth/token"))
        .basic_auth(CONF, Some(CONF_SECRET))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", &rt3)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn revocation_and_introspection() {
    let sb = start_with(|o| o.auto_approve = true).await;
    let tok = login(&sb, PATIENT_SCOPE).await;
    let at = tok["access_token"].as_str().unwrap();
    let rt = tok["refresh_token"].as_str().unwrap();

    let i = introspect(&sb, at).await;
    assert_eq!(i["active"], true);
    assert_eq!(i["client_id"], CLI);
    assert_eq!(i["scope"], PATIENT_SCOPE);
    assert_eq!(i["patient"], tok["patient"]);
    assert_eq!(i["token_type"], "Bearer");
    assert!(i["exp"].as_u64().unwrap() > i["iat"].as_u64().unwrap());
    assert!(i["fhirUser"].as_str().unwrap().contains("/Patient/"));
    assert_eq!(introspect(&sb, "garbage").await, json!({"active": false}));
    assert_eq!(introspect(&sb, rt).await["active"], true);

    // Authenticated by a bearer token instead of client credentials.
    let v: Value = http()
        .post(url(&sb, "/auth/introspect"))
        .bearer_auth(at)
        .form(&[("token", at)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["active"], true);
    // Not authenticated at all (public client id only): 401.
    let r = http()
        .post(url(&sb, "/auth/introspect"))
        .form(&[("token", at), ("client_id", CLI)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // Another client's revocation does nothing; the owner's works. Always 200.
    let revoke = |token: &str, client: &str| {
        let req = http().post(url(&sb, "/auth/revoke"));
        let req = if client == CONF {
            req.basic_auth(CONF, Some(CONF_SECRET))
                .form(&[("token", token)])
        } else {
            req.form(&[("token", token), ("client_id", CLI)])
        };
        async move { req.send().await.unwrap().status() }
    };
    assert_eq!(revoke(at, CONF).await, StatusCode::OK);
    assert_eq!(introspect(&sb, at).await["active"], true);
    assert_eq!(fhir_get(&sb, "/Patient", at).await, StatusCode::OK);
    assert_eq!(revoke(at, CLI).await, StatusCode::OK);
    assert_eq!(introspect(&sb, at).await["active"], false);
    assert_eq!(
        fhir_get(&sb, "/Patient", at).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(revoke("unknown", CLI).await, StatusCode::OK);

    // Revoking a refresh token takes the access tokens of its grant along.
    let tok = login(&sb, PATIENT_SCOPE).await;
    let at = tok["access_token"].as_str().unwrap();
    assert_eq!(
        revoke(tok["refresh_token"].as_str().unwrap(), CLI).await,
        StatusCode::OK
    );
    assert_eq!(introspect(&sb, at).await["active"], false);
    let (s, v, _) = token_req(
        &sb,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", tok["refresh_token"].as_str().unwrap()),
            ("client_id", CLI),
        ],
    )
    .await;
    assert_error(s, &v, 400, "invalid_grant");
}

#[tokio::test]
async fn token_lifetime_is_enforced() {
    let clock = ManualClock::new();
    let sb = start_with(|o| {
        o.auto_approve = true;
        o.token_lifetime = Duration::from_secs(60);
        o.clock = clock.clone();
    })
    .await;
    let tok = login(&sb, "launch/patient patient/*.rs").await;
    assert_eq!(tok["expires_in"], 60);
    let at = tok["access_token"].as_str().unwrap();
    assert_eq!(fhir_get(&sb, "/Patient", at).await, StatusCode::OK);
    clock.advance(Duration::from_secs(59));
    assert_eq!(fhir_get(&sb, "/Patient", at).await, StatusCode::OK);
    assert_eq!(introspect(&sb, at).await["active"], true);
    clock.advance(Duration::from_secs(1));
    assert_eq!(
        fhir_get(&sb, "/Patient", at).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(introspect(&sb, at).await["active"], false);
}

// ------------------------------------------------- confidential clients

#[tokio::test]
async fn client_secret_basic_and_post() {
    let sb = start_with(|o| o.auto_approve = true).await;
    let scope = "launch/patient patient/*.rs";
    for method in ["basic", "post", "wrong-basic", "wrong-post", "none"] {
        let req = AuthReq::new(&sb, CONF, scope);
        let q = redirect_params(&req.get(&sb).await);
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", q["code"].as_str()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", req.verifier.as_str()),
        ];
        let mut r = http().post(url(&sb, "/auth/token"));
        match method {
            "basic" => r = r.basic_auth(CONF, Some(CONF_SECRET)),
            "wrong-basic" => r = r.basic_auth(CONF, Some("nope")),
            "post" => form.extend([("client_id", CONF), ("client_secret", CONF_SECRET)]),
            "wrong-post" => form.extend([("client_id", CONF), ("client_secret", "nope")]),
            _ => form.push(("client_id", CONF)),
        }
        let resp = r.form(&form).send().await.unwrap();
        let status = resp.status();
        let challenge = resp.headers().get("www-authenticate").cloned();
        let v: Value = resp.json().await.unwrap();
        match method {
            "basic" | "post" => assert_eq!(status, StatusCode::OK, "{method}: {v}"),
            _ => {
                assert_error(status, &v, 401, "invalid_client");
                assert_eq!(challenge.is_some(), method == "wrong-basic", "{method}");
            }
        }
    }
    // Both at once is refused.
    let (s, v, _) = token_req(
        &sb,
        &[("grant_type", "refresh_token"), ("refresh_token", "x")],
    )
    .await;
    assert_error(s, &v, 401, "invalid_client");
    let r = http()
        .post(url(&sb, "/auth/token"))
        .basic_auth(CONF, Some(CONF_SECRET))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "x"),
            ("client_secret", CONF_SECRET),
            ("client_id", CONF),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn dynamic_registration_round_trip() {
    let sb = start_with(|o| o.auto_approve = true).await;
    let register = |body: Value| {
        let sb = &sb;
        async move {
            let r = http()
                .post(url(sb, "/auth/register"))
                .json(&body)
                .send()
                .await
                .unwrap();
            (r.status(), r.json::<Value>().await.unwrap())
        }
    };
    let (s, reg) = register(json!({
        "client_name": "test app",
        "redirect_uris": [REDIRECT],
        "token_endpoint_auth_method": "client_secret_post",
        "grant_types": ["authorization_code", "refresh_token"],
        "scope": "launch/patient patient/*.rs offline_access",
    }))
    .await;
    assert_eq!(s, StatusCode::CREATED, "{reg}");
    let id = reg["client_id"].as_str().unwrap();
    let secret = reg["client_secret"].as_str().unwrap();
    assert_eq!(reg["token_endpoint_auth_method"], "client_secret_post");

    // Registered scope limits what is granted.
    let req = AuthReq::new(
        &sb,
        id,
        "launch/patient patient/*.rs user/*.rs offline_access",
    );
    let q = redirect_params(&req.get(&sb).await);
    let (s, tok, _) = token_req(
        &sb,
        &[
            ("grant_type", "authorization_code"),
            ("code", &q["code"]),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &req.verifier),
            ("client_id", id),
            ("client_secret", secret),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{tok}");
    assert_eq!(tok["scope"], "launch/patient patient/*.rs offline_access");

    // Public registration: no secret.
    let (s, reg) =
        register(json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none"})).await;
    assert_eq!(s, StatusCode::CREATED);
    assert!(reg.get("client_secret").is_none());

    // RFC 7592 §2.3: only the registration access token deletes it.
    let manage = reg["registration_client_uri"].as_str().unwrap().to_owned();
    let access = reg["registration_access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let public_id = reg["client_id"].as_str().unwrap().to_owned();
    assert!(
        manage.ends_with(&format!("/auth/register/{public_id}")),
        "{manage}"
    );
    let delete = |token: String| {
        let manage = manage.clone();
        async move {
            http()
                .delete(&manage)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(delete("not-it".into()).await, StatusCode::UNAUTHORIZED);
    assert_eq!(delete(access.clone()).await, StatusCode::NO_CONTENT);
    assert_eq!(delete(access).await, StatusCode::UNAUTHORIZED, "gone");
    let gone = AuthReq::new(&sb, &public_id, "patient/*.rs");
    let status = gone.get(&sb).await.status();
    assert!(
        status.is_client_error(),
        "a deleted client is unknown: {status}"
    );

    for (bad, error) in [
        (
            json!({"redirect_uris": ["http://evil.example/cb"], "token_endpoint_auth_method": "none"}),
            "invalid_redirect_uri",
        ),
        (
            json!({"token_endpoint_auth_method": "none"}),
            "invalid_redirect_uri",
        ),
        (
            json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "magic"}),
            "invalid_client_metadata",
        ),
        (
            json!({"grant_types": ["client_credentials"], "token_endpoint_auth_method": "private_key_jwt"}),
            "invalid_client_metadata",
        ),
        (json!(["not an object"]), "invalid_client_metadata"),
    ] {
        let (s, v) = register(bad.clone()).await;
        assert_error(s, &v, 400, error);
    }
}

// ------------------------------------------------------- private_key_jwt

enum TestKey {
    Rsa(Box<rsa::RsaPrivateKey>),
    Ec(p384::SecretKey),
}

impl TestKey {
    fn rsa() -> TestKey {
        TestKey::Rsa(Box::new(
            rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).unwrap(),
        ))
    }
    fn ec() -> TestKey {
        TestKey::Ec(p384::SecretKey::random(&mut rand::rngs::OsRng))
    }
    fn alg(&self) -> Algorithm {
        match self {
            TestKey::Rsa(_) => Algorithm::RS384,
            TestKey::Ec(_) => Algorithm::ES384,
        }
    }
    fn jwk(&self, kid: &str) -> Value {
        match self {
            TestKey::Rsa(k) => {
                use rsa::traits::PublicKeyParts;
                json!({
                    "kty": "RSA", "kid": kid, "alg": "RS384",
                    "n": URL_SAFE_NO_PAD.encode(k.n().to_bytes_be()),
                    "e": URL_SAFE_NO_PAD.encode(k.e().to_bytes_be()),
                })
            }
            TestKey::Ec(k) => {
                let mut v: Value = serde_json::from_str(&k.public_key().to_jwk_string()).unwrap();
                v["kid"] = json!(kid);
                v["alg"] = json!("ES384");
                v
            }
        }
    }
    fn sign(&self, kid: &str, claims: &Value) -> String {
        let key = match self {
            TestKey::Rsa(k) => {
                use rsa::pkcs1::EncodeRsaPrivateKey;
                EncodingKey::from_rsa_der(k.to_pkcs1_der().unwrap().as_bytes())
            }
            TestKey::Ec(k) => {
                use p384::pkcs8::EncodePrivateKey;
                EncodingKey::from_ec_der(k.to_pkcs8_der().unwrap().as_bytes())
            }
        };
        let mut h = Header::new(self.alg());
        h.kid = Some(kid.into());
        jsonwebtoken::encode(&h, claims, &key).unwrap()
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn assertion_claims(sb: &Sandbox, client_id: &str) -> Value {
    json!({
        "iss": client_id,
        "sub": client_id,
        "aud": url(sb, "/auth/token"),
        "exp": now() + 240,
        "jti": smart_sandbox::auth::random_token(),
    })
}

async fn backend_token(sb: &Sandbox, assertion: &str, scope: &str) -> (StatusCode, Value) {
    let (s, v, _) = token_req(
        sb,
        &[
            ("grant_type", "client_credentials"),
            ("scope", scope),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", assertion),
        ],
    )
    .await;
    (s, v)
}

async fn register_backend(sb: &Sandbox, keys: Value) -> String {
    let mut meta = json!({
        "client_name": "backend",
        "token_endpoint_auth_method": "private_key_jwt",
        "grant_types": ["client_credentials"],
    });
    for (k, v) in keys.as_object().unwrap() {
        meta[k] = v.clone();
    }
    let r = http()
        .post(url(sb, "/auth/register"))
        .json(&meta)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json::<Value>().await.unwrap()["client_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn backend_services_with_rs384_and_es384() {
    let sb = start().await;
    for key in [TestKey::rsa(), TestKey::ec()] {
        let id = register_backend(&sb, json!({"jwks": {"keys": [key.jwk("k1")]}})).await;
        let claims = assertion_claims(&sb, &id);
        let jwt = key.sign("k1", &claims);
        let (s, tok) = backend_token(&sb, &jwt, "system/*.rs patient/*.rs").await;
        assert_eq!(s, StatusCode::OK, "{:?}: {tok}", key.alg());
        assert_eq!(
            tok["scope"], "system/*.rs",
            "only system scopes for backend clients"
        );
        assert!(tok.get("refresh_token").is_none());
        let at = tok["access_token"].as_str().unwrap();
        assert_eq!(fhir_get(&sb, "/Patient?_count=1", at).await, StatusCode::OK);

        // Replayed jti.
        let (s, v) = backend_token(&sb, &jwt, "system/*.rs").await;
        assert_error(s, &v, 401, "invalid_client");

        let mut bad = Vec::new();
        // Wrong kid.
        bad.push(key.sign("k2", &assertion_claims(&sb, &id)));
        // Expired.
        let mut c = assertion_claims(&sb, &id);
        c["exp"] = json!(now() - 120);
        bad.push(key.sign("k1", &c));
        // Too far in the future.
        let mut c = assertion_claims(&sb, &id);
        c["exp"] = json!(now() + 3600);
        bad.push(key.sign("k1", &c));
        // aud is not the token URL.
        let mut c = assertion_claims(&sb, &id);
        c["aud"] = json!(base(&sb));
        bad.push(key.sign("k1", &c));
        // sub differs from iss.
        let mut c = assertion_claims(&sb, &id);
        c["sub"] = json!("someone-else");
        bad.push(key.sign("k1", &c));
        // No jti.
        let mut c = assertion_claims(&sb, &id);
        c.as_object_mut().unwrap().remove("jti");
        bad.push(key.sign("k1", &c));
        // Signed by another key under the registered kid.
        let other = match key {
            TestKey::Rsa(_) => TestKey::rsa(),
            TestKey::Ec(_) => TestKey::ec(),
        };
        bad.push(other.sign("k1", &assertion_claims(&sb, &id)));
        for jwt in bad {
            let (s, v) = backend_token(&sb, &jwt, "system/*.rs").await;
            assert_error(s, &v, 401, "invalid_client");
        }
        // No system scope at all.
        let (s, v) = backend_token(
            &sb,
            &key.sign("k1", &assertion_claims(&sb, &id)),
            "patient/*.rs",
        )
        .await;
        assert_error(s, &v, 400, "invalid_scope");
    }
    // A public client cannot use client_credentials.
    let (s, v, _) = token_req(
        &sb,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", CLI),
            ("scope", "system/*.rs"),
        ],
    )
    .await;
    assert_error(s, &v, 400, "unauthorized_client");
}

#[tokio::test]
async fn backend_keys_from_jwks_uri() {
    let sb = start_with(|o| o.allow_loopback_jwks_uri = true).await;
    let key = TestKey::ec();
    let jwks = json!({"keys": [key.jwk("remote")]});
    let app = axum::Router::new().route(
        "/jwks.json",
        axum::routing::get(move || {
            let jwks = jwks.clone();
            async move { axum::Json(jwks) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let id = register_backend(&sb, json!({"jwks_uri": format!("http://{addr}/jwks.json")})).await;
    let (s, tok) = backend_token(
        &sb,
        &key.sign("remote", &assertion_claims(&sb, &id)),
        "system/Patient.rs",
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{tok}");
    // jku must be the registered jwks_uri.
    let jku_jwt = |jku: &str| {
        let der = match &key {
            TestKey::Ec(k) => {
                use p384::pkcs8::EncodePrivateKey;
                k.to_pkcs8_der().unwrap()
            }
            TestKey::Rsa(_) => unreachable!(),
        };
        let mut h = Header::new(Algorithm::ES384);
        h.kid = Some("remote".into());
        h.jku = Some(jku.into());
        jsonwebtoken::encode(
            &h,
            &assertion_claims(&sb, &id),
            &EncodingKey::from_ec_der(der.as_bytes()),
        )
        .unwrap()
    };
    let (s, tok) = backend_token(
        &sb,
        &jku_jwt(&format!("http://{addr}/jwks.json")),
        "system/Patient.rs",
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{tok}");
    let (s, v) = backend_token(
        &sb,
        &jku_jwt(&format!("http://{addr}/other.json")),
        "system/Patient.rs",
    )
    .await;
    assert_error(s, &v, 401, "invalid_client");
    let (s, v) = backend_token(
        &sb,
        &key.sign("other", &assertion_claims(&sb, &id)),
        "system/Patient.rs",
    )
    .await;
    assert_error(s, &v, 401, "invalid_client");
}

/// A backend registration with this `jwks_uri`: (status, answer).
async fn register_jwks_uri(sb: &Sandbox, jwks_uri: &str) -> (StatusCode, Value) {
    let r = http()
        .post(url(sb, "/auth/register"))
        .json(&json!({
            "token_endpoint_auth_method": "private_key_jwt",
            "grant_types": ["client_credentials"],
            "jwks_uri": jwks_uri,
        }))
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap())
}

#[tokio::test]
async fn jwks_uri_must_be_https_and_loopback_http_needs_the_option() {
    let strict = start().await;
    for uri in [
        "http://keys.example/jwks.json",
        "ftp://keys.example/jwks.json",
        "http://127.0.0.1:9/jwks.json",
        "http://localhost:9/jwks.json",
        "http://[::1]:9/jwks.json",
    ] {
        let (s, v) = register_jwks_uri(&strict, uri).await;
        assert_error(s, &v, 400, "invalid_client_metadata");
    }
    let (_, v) = register_jwks_uri(&strict, "http://127.0.0.1:9/jwks.json").await;
    assert!(
        v["error_description"]
            .as_str()
            .unwrap()
            .contains("--allow-loopback-jwks-uri"),
        "{v}"
    );
    let (s, v) = register_jwks_uri(&strict, "https://keys.example/jwks.json").await;
    assert_eq!(s, StatusCode::CREATED, "{v}");

    let lenient = start_with(|o| o.allow_loopback_jwks_uri = true).await;
    for uri in [
        "http://127.0.0.1:9/jwks.json",
        "http://localhost:9/jwks.json",
        "http://[::1]:9/jwks.json",
    ] {
        let (s, v) = register_jwks_uri(&lenient, uri).await;
        assert_eq!(s, StatusCode::CREATED, "{uri}: {v}");
    }
    let (s, v) = register_jwks_uri(&lenient, "http://keys.example/jwks.json").await;
    assert_error(s, &v, 400, "invalid_client_metadata");

    // A clients file is held to the same rule.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("clients.json");
    std::fs::write(
        &file,
        json!([{"client_id": "svc", "token_endpoint_auth_method": "private_key_jwt",
                "grant_types": ["client_credentials"], "jwks_uri": "http://127.0.0.1:9/jwks.json"}])
        .to_string(),
    )
    .unwrap();
    let clients = |allow: bool| Options {
        clients_file: Some(file.clone()),
        allow_loopback_jwks_uri: allow,
        ..Options::default()
    };
    let err = Sandbox::start(clients(false)).await.err().expect("refused");
    assert!(format!("{err:#}").contains("jwks_uri"), "{err:#}");
    assert!(Sandbox::start(clients(true)).await.is_ok());
}

/// A JWKS host whose answer never ends: a JSON start, then spaces (valid
/// JSON whitespace) for as long as anyone reads, without Content-Length.
async fn endless_jwks_host() -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut tcp, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut head = [0u8; 4096];
                let _ = tcp.read(&mut head).await;
                let start = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
connection: close\r\n\r\n{\"keys\": [";
                if tcp.write_all(start.as_bytes()).await.is_err() {
                    return;
                }
                let spaces = vec![b' '; 64 * 1024];
                // Paced, so that a reader without a cap fills memory at
                // tens of MB/s rather than as fast as loopback allows.
                while tcp.write_all(&spaces).await.is_ok() {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            });
        }
    });
    format!("http://{addr}/jwks.json")
}

#[tokio::test]
async fn an_endless_jwks_uri_answer_is_cut_off_quickly() {
    let sb = start_with(|o| o.allow_loopback_jwks_uri = true).await;
    let (s, reg) = register_jwks_uri(&sb, &endless_jwks_host().await).await;
    assert_eq!(s, StatusCode::CREATED, "{reg}");
    let id = reg["client_id"].as_str().unwrap();
    let key = TestKey::ec();
    let started = Instant::now();
    let (s, v) = backend_token(
        &sb,
        &key.sign("k1", &assertion_claims(&sb, id)),
        "system/*.rs",
    )
    .await;
    let took = started.elapsed();
    assert_error(s, &v, 401, "invalid_client");
    assert!(
        v["error_description"]
            .as_str()
            .unwrap()
            .contains("larger than 64 KiB"),
        "{v}"
    );
    // Well inside the 5 s fetch limit: the size cap stopped it, not the clock.
    assert!(took < Duration::from_secs(2), "took {took:?}");
}

#[tokio::test]
async fn asymmetric_client_in_the_code_flow() {
    let sb = start_with(|o| o.auto_approve = true).await;
    let key = TestKey::rsa();
    let r = http()
        .post(url(&sb, "/auth/register"))
        .json(&json!({
            "redirect_uris": [REDIRECT],
            "token_endpoint_auth_method": "private_key_jwt",
            "jwks": {"keys": [key.jwk("a")]},
        }))
        .send()
        .await
        .unwrap();
    let id = r.json::<Value>().await.unwrap()["client_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let req = AuthReq::new(&sb, &id, "launch/patient patient/*.rs");
    let q = redirect_params(&req.get(&sb).await);
    let jwt = key.sign("a", &assertion_claims(&sb, &id));
    let (s, tok, _) = token_req(
        &sb,
        &[
            ("grant_type", "authorization_code"),
            ("code", &q["code"]),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &req.verifier),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &jwt),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{tok}");
}

// ------------------------------------------------------------ client files

#[tokio::test]
async fn clients_file_adds_registrations_and_bad_files_fail() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("clients.json");
    std::fs::write(
        &good,
        json!([{
            "client_id": "file-app",
            "client_secret": "s3cret",
            "token_endpoint_auth_method": "client_secret_basic",
            "redirect_uris": ["https://app.example/cb"],
        }])
        .to_string(),
    )
    .unwrap();
    let sb = start_with(|o| o.clients_file = Some(good.clone())).await;
    let c = sb.client("file-app").unwrap();
    assert_eq!(c.secret.as_deref(), Some("s3cret"));

    for (content, needle) in [
        ("not json", "not valid JSON"),
        ("{}", "JSON array"),
        (r#"[{"redirect_uris":["https://a/cb"]}]"#, "no client_id"),
        (
            r#"[{"client_id":"x","token_endpoint_auth_method":"client_secret_basic","redirect_uris":["https://a/cb"]}]"#,
            "needs a client_secret",
        ),
    ] {
        let bad = dir.path().join("bad.json");
        std::fs::write(&bad, content).unwrap();
        let err = Sandbox::start(Options {
            clients_file: Some(bad),
            ..Options::default()
        })
        .await
        .err()
        .expect("bad clients file is refused");
        assert!(err.to_string().contains(needle), "{err}");
    }
}

// ------------------------------------------------------------------ faults

#[tokio::test]
async fn fault_no_pkce() {
    let sb = start_fault(Fault::NoPkce).await;
    let req = AuthReq::new(&sb, CLI, "launch/patient patient/*.rs")
        .without("code_challenge")
        .without("code_challenge_method");
    let q = redirect_params(&req.get(&sb).await);
    let (s, v, _) = token_req(
        &sb,
        &[
            ("grant_type", "authorization_code"),
            ("code", &q["code"]),
            ("redirect_uri", REDIRECT),
            ("client_id", CLI),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // A wrong verifier passes too.
    let req = AuthReq::new(&sb, CLI, "launch/patient patient/*.rs");
    let q = redirect_params(&req.get(&sb).await);
    let (s, _) = exchange(&sb, &q["code"], &pkce().0).await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn fault_state_dropped() {
    let sb = start_fault(Fault::StateDropped).await;
    let q = redirect_params(
        &AuthReq::new(&sb, CLI, "launch/patient patient/*.rs")
            .get(&sb)
            .await,
    );
    assert!(q.contains_key("code"));
    assert!(!q.contains_key("state"));
}

#[tokio::test]
async fn fault_wrong_aud_accepted() {
    let sb = start_fault(Fault::WrongAudAccepted).await;
    let q = redirect_params(
        &AuthReq::new(&sb, CLI, "launch/patient patient/*.rs")
            .set("aud", "https://elsewhere.example/fhir")
            .get(&sb)
            .await,
    );
    assert!(q.contains_key("code"), "{q:?}");
}

#[tokio::test]
async fn fault_token_no_expires_in() {
    let sb = start_fault(Fault::TokenNoExpiresIn).await;
    let tok = login(&sb, "launch/patient patient/*.rs").await;
    assert!(tok.get("expires_in").is_none());
    assert!(tok["access_token"].is_string());
}

#[tokio::test]
async fn fault_slow_token() {
    let sb = start_fault(Fault::SlowToken).await;
    let t = Instant::now();
    login(&sb, "launch/patient patient/*.rs").await;
    assert!(t.elapsed() >= Duration::from_secs(3));
}

#[tokio::test]
async fn fault_refresh_invalid() {
    let sb = start_fault(Fault::RefreshInvalid).await;
    let tok = login(&sb, "launch/patient patient/*.rs offline_access").await;
    let (s, v, _) = token_req(
        &sb,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", tok["refresh_token"].as_str().unwrap()),
            ("client_id", CLI),
        ],
    )
    .await;
    assert_error(s, &v, 400, "invalid_grant");
}

#[tokio::test]
async fn fault_expired_tokens() {
    let sb = start_fault(Fault::ExpiredTokens).await;
    let tok = login(&sb, "launch/patient patient/*.rs").await;
    let at = tok["access_token"].as_str().unwrap();
    assert_eq!(
        fhir_get(&sb, "/Patient", at).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(introspect(&sb, at).await["active"], false);
}

#[tokio::test]
async fn fault_id_token_bad_signature() {
    let sb = start_fault(Fault::IdTokenBadSignature).await;
    let tok = login(&sb, PATIENT_SCOPE).await;
    let jwks: jsonwebtoken::jwk::JwkSet = http()
        .get(url(&sb, "/auth/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id_token = tok["id_token"].as_str().unwrap();
    let kid = jsonwebtoken::decode_header(id_token).unwrap().kid.unwrap();
    let key = DecodingKey::from_jwk(jwks.find(&kid).expect("claims a published kid")).unwrap();
    let mut v = Validation::new(Algorithm::RS256);
    v.set_audience(&[CLI]);
    let err = jsonwebtoken::decode::<Value>(id_token, &key, &v).unwrap_err();
    assert_eq!(
        err.kind(),
        &jsonwebtoken::errors::ErrorKind::InvalidSignature
    );
}

#[tokio::test]
async fn quirk_no_well_known_and_fault_pkce_not_advertised() {
    let sb = start_with(|o| o.quirks = Quirks::parse(&["no-well-known".into()]).unwrap()).await;
    let r = http()
        .get(format!("{}/.well-known/smart-configuration", base(&sb)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let cs: Value = http()
        .get(format!("{}/metadata", base(&sb)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let security = &cs["rest"][0]["security"];
    assert!(security.get("service").is_none(), "{security}");
    assert!(
        security["extension"][0]["url"]
            .as_str()
            .unwrap()
            .ends_with("oauth-uris")
    );

    let sb = start_fault(Fault::PkceNotAdvertised).await;
    let doc: Value = http()
        .get(format!("{}/.well-known/smart-configuration", base(&sb)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc.get("code_challenge_methods_supported").is_none());
    assert!(doc["token_endpoint"].is_string());
    // PKCE is still required and still works.
    login(&sb, "launch/patient patient/*.rs").await;
    let q = redirect_params(
        &AuthReq::new(&sb, CLI, "patient/*.rs")
            .without("code_challenge")
            .without("code_challenge_method")
            .get(&sb)
            .await,
    );
    assert_eq!(q["error"], "invalid_request");
}

#[tokio::test]
async fn fault_scope_reduced() {
    let sb = start_fault(Fault::ScopeReduced).await;
    let tok = login(
        &sb,
        "launch/patient patient/*.rs patient/Observation.cruds offline_access",
    )
    .await;
    assert_eq!(tok["scope"], "launch/patient patient/*.rs");
    assert!(tok.get("refresh_token").is_none());
}

#[tokio::test]
async fn https_with_a_self_signed_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);
    let (ca, ca_key, cert, key) = (p("ca.pem"), p("ca.key"), p("cert.pem"), p("key.pem"));
    std::fs::write(
        p("ext.cnf"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    let openssl = |args: &[&str]| {
        std::process::Command::new("openssl")
            .current_dir(dir.path())
            .args(args)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let made = openssl(
        &[
            &["req", "-x509"][..],
            &ec,
            &[
                "-days",
                "1",
                "-subj",
                "/CN=test CA",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
            ],
        ]
        .concat(),
    ) && openssl(
        &[
            &["req"][..],
            &ec,
            &[
                "-subj",
                "/CN=127.0.0.1",
                "-keyout",
                "key.pem",
                "-out",
                "leaf.csr",
            ],
        ]
        .concat(),
    ) && openssl(&[
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "1",
        "-extfile",
        "ext.cnf",
        "-out",
        "cert.pem",
    ]);
    let _ = ca_key;
    if !made {
        eprintln!("skipped: no openssl to make a test certificate");
        return;
    }
    let sb = start_with(|o| {
        o.tls = Some((cert.clone(), key.clone()));
        // Long enough for a loaded machine's handshake below, short enough
        // for the silent connection to be cut well within 5 s.
        o.header_read_timeout = Duration::from_secs(2);
    })
    .await;
    assert!(base(&sb).starts_with("https://"));
    // A TLS handshake that never comes is cut off like a slow request head.
    {
        use tokio::io::AsyncReadExt;
        let mut silent = tokio::net::TcpStream::connect(super::raw::addr(&sb))
            .await
            .unwrap();
        let mut buf = [0u8; 64];
        let closed = tokio::time::timeout(Duration::from_secs(5), silent.read(&mut buf)).await;
        assert!(
            matches!(closed, Ok(Ok(0)) | Ok(Err(_))),
            "still open: {closed:?}"
        );
    }
    let ca = reqwest::Certificate::from_pem(&std::fs::read(&ca).unwrap()).unwrap();
    let c = reqwest::Client::builder()
        .add_root_certificate(ca)
        .build()
        .unwrap();
    let doc: Value = c
        .get(format!("{}/.well-known/smart-configuration", base(&sb)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["issuer"], base(&sb));

    let bad = Sandbox::start(Options {
        tls: Some((key.clone(), cert.clone())),
        ..Options::default()
    })
    .await;
    assert!(bad.is_err());
}

// ------------------------------------------------------------------ quirks

async fn start_quirks(names: &str) -> Sandbox {
    start_with(|o| {
        o.quirks = Quirks::parse(&[names.to_owned()]).unwrap();
        o.auto_approve = true;
    })
    .await
}

async fn refresh_with(sb: &Sandbox, rt: &str) -> (StatusCode, Value) {
    let (s, v, _) = token_req(
        sb,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", rt),
            ("client_id", CLI),
        ],
    )
    .await;
    (s, v)
}

#[tokio::test]
async fn quirk_expires_in_string() {
    let sb = start_quirks("expires-in-string").await;
    let tok = login(&sb, PATIENT_SCOPE).await;
    assert_eq!(tok["expires_in"], "3600", "{tok}");
}

#[tokio::test]
async fn quirk_refresh_without_offline_access_in_scope() {
    let sb = start_quirks("refresh-without-offline-access").await;
    let tok = login(&sb, PATIENT_SCOPE).await;
    let scope = tok["scope"].as_str().unwrap();
    assert!(
        !scope.contains("offline_access") && scope.contains("patient/*.rs"),
        "{tok}"
    );
    let (s, v) = refresh_with(&sb, tok["refresh_token"].as_str().unwrap()).await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

#[tokio::test]
async fn quirk_refresh_keeps_token_and_drops_context() {
    let sb = start_quirks("refresh-keeps-token,refresh-drops-context").await;
    let tok = login(&sb, PATIENT_SCOPE).await;
    assert!(tok["patient"].is_string(), "{tok}");
    let rt = tok["refresh_token"].as_str().unwrap();
    for _ in 0..2 {
        let (s, v) = refresh_with(&sb, rt).await;
        assert_eq!(s, StatusCode::OK, "the same token again: {v}");
        assert!(v.get("refresh_token").is_none(), "{v}");
        assert!(
            v.get("patient").is_none() && v.get("need_patient_banner").is_none(),
            "{v}"
        );
        // The grant still has its patient: a patient/ scope still works.
        let at = v["access_token"].as_str().unwrap();
        assert_eq!(fhir_get(&sb, "/Patient", at).await, StatusCode::OK);
    }
}

async fn jwks_kids(sb: &Sandbox) -> Vec<String> {
    let set: Value = http()
        .get(url(sb, "/auth/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    set["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

fn id_token_kid(tok: &Value) -> String {
    jsonwebtoken::decode_header(tok["id_token"].as_str().unwrap())
        .unwrap()
        .kid
        .unwrap()
}

#[tokio::test]
async fn quirk_jwks_rotation_and_fault_id_token_unknown_kid() {
    let sb = start_quirks("jwks-rotation").await;
    let before = jwks_kids(&sb).await;
    let tok = login(&sb, PATIENT_SCOPE).await;
    let kid = id_token_kid(&tok);
    assert!(
        !before.contains(&kid),
        "signed with a key the first JWKS lacks"
    );
    let after = jwks_kids(&sb).await;
    assert!(
        after.contains(&kid) && after.contains(&before[0]),
        "{after:?}"
    );

    let sb = start_fault(Fault::IdTokenUnknownKid).await;
    let tok = login(&sb, PATIENT_SCOPE).await;
    let kid = id_token_kid(&tok);
    for _ in 0..2 {
        assert!(!jwks_kids(&sb).await.contains(&kid), "never published");
    }
}

#[tokio::test]
async fn quirk_issuer_trailing_slash() {
    let sb = start_quirks("issuer-trailing-slash").await;
    let tok = login(&sb, PATIENT_SCOPE).await;
    let payload = tok["id_token"]
        .as_str()
        .unwrap()
        .split('.')
        .nth(1)
        .unwrap()
        .to_owned();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    assert_eq!(claims["iss"], format!("{}/", base(&sb)));
    let doc: Value = http()
        .get(format!("{}/.well-known/smart-configuration", base(&sb)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["issuer"], base(&sb));
}

#[tokio::test]
async fn quirk_scopes_v1_only_and_v2_only() {
    for (quirk, kept, dropped, capability, other) in [
        (
            "scopes-v1-only",
            "patient/*.read",
            "patient/*.rs",
            "permission-v1",
            "permission-v2",
        ),
        (
            "scopes-v2-only",
            "patient/*.rs",
            "patient/*.read",
            "permission-v2",
            "permission-v1",
        ),
    ] {
        let sb = start_quirks(quirk).await;
        let doc: Value = http()
            .get(format!("{}/.well-known/smart-configuration", base(&sb)))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let caps: Vec<&str> = doc["capabilities"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(
            caps.contains(&capability) && !caps.contains(&other),
            "{quirk}: {caps:?}"
        );
        let supported = doc["scopes_supported"].as_array().unwrap();
        assert!(!supported.iter().any(|s| s == dropped), "{quirk}");
        let tok = login(&sb, &format!("launch/patient {kept} {dropped}")).await;
        assert_eq!(
            tok["scope"],
            format!("launch/patient {kept}"),
            "{quirk}: {tok}"
        );
    }
}

#[tokio::test]
async fn access_tokens_are_jwts_unless_quirk_opaque_tokens() {
    let sb = start_with(|o| o.auto_approve = true).await;
    let tok = login(&sb, PATIENT_SCOPE).await;
    let at = tok["access_token"].as_str().unwrap();
    let header = jsonwebtoken::decode_header(at).unwrap();
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    // Signed with the published key (RFC 9068), for the FHIR base.
    let jwks: jsonwebtoken::jwk::JwkSet = http()
        .get(url(&sb, "/auth/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = DecodingKey::from_jwk(jwks.find(&header.kid.unwrap()).unwrap()).unwrap();
    let mut v = Validation::new(Algorithm::RS256);
    v.set_audience(&[base(&sb)]);
    v.set_issuer(&[base(&sb)]);
    let claims = jsonwebtoken::decode::<Value>(at, &key, &v).unwrap().claims;
    assert_eq!(claims["client_id"], CLI);
    assert_eq!(claims["scope"], tok["scope"]);
    assert_eq!(fhir_get(&sb, "/Patient", at).await, StatusCode::OK);

    let sb = start_quirks("opaque-tokens").await;
    let tok = login(&sb, PATIENT_SCOPE).await;
    let at = tok["access_token"].as_str().unwrap();
    assert!(jsonwebtoken::decode_header(at).is_err(), "not a JWT: {at}");
    assert_eq!(fhir_get(&sb, "/Patient", at).await, StatusCode::OK);
}

#[tokio::test]
async fn quirk_basic_auth_raw() {
    let secret = "s+cr/t=&%41";
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clients.json");
    let client = json!([{
        "client_id": "odd", "client_secret": secret,
        "token_endpoint_auth_method": "client_secret_basic",
        "grant_types": ["authorization_code"], "redirect_uris": [REDIRECT],
    }]);
    std::fs::write(&path, client.to_string()).unwrap();
    for (raw, works_raw) in [(false, false), (true, true)] {
        let sb = start_with(|o| {
            o.clients_file = Some(path.clone());
            if raw {
                o.quirks = Quirks::parse(&["basic-auth-raw".into()]).unwrap();
            }
        })
        .await;
        let form_encoded = "s%2Bcr%2Ft%3D%26%2541";
        for (sent, ok) in [(secret, works_raw), (form_encoded, !works_raw)] {
            let b64 = base64::engine::general_purpose::STANDARD.encode(format!("odd:{sent}"));
            let r = http()
                .post(url(&sb, "/auth/token"))
                .header("authorization", format!("Basic {b64}"))
                .form(&[
                    ("grant_type", "authorization_code"),
                    ("code", "x"),
                    ("redirect_uri", REDIRECT),
                ])
                .send()
                .await
                .unwrap();
            let v: Value = r.json().await.unwrap();
            // Authenticated: the (made-up) code is what fails then.
            let expected = if ok {
                "invalid_grant"
            } else {
                "invalid_client"
            };
            assert_eq!(v["error"], expected, "raw quirk {raw}, sent {sent}: {v}");
        }
    }
}

// ------------------------------------- registered scopes cover, not equal

/// A backend client registered with `registered`, asking `asked` by
/// client_credentials: (status, token answer).
async fn backend_asks(sb: &Sandbox, registered: &str, asked: &str) -> (StatusCode, Value) {
    let key = TestKey::ec();
    let id = register_backend(
        sb,
        json!({"jwks": {"keys": [key.jwk("k1")]}, "scope": registered}),
    )
    .await;
    backend_token(sb, &key.sign("k1", &assertion_claims(sb, &id)), asked).await
}

#[tokio::test]
async fn a_backend_client_registered_with_system_star_rs_gets_narrower_scopes() {
    let sb = start().await;
    for asked in [
        "system/Patient.rs",
        "system/*.read",
        "system/Patient.read",
        "system/Patient.read system/Observation.read system/Condition.rs",
        "system/Observation.rs?category=laboratory",
    ] {
        let (s, tok) = backend_asks(&sb, "system/*.rs", asked).await;
        assert_eq!(s, StatusCode::OK, "{asked}: {tok}");
        assert_eq!(tok["scope"], asked, "granted as asked");
    }
    // The token does what its scope says: a per-type v1 scope reads that
    // type, and only that type.
    let (_, tok) = backend_asks(&sb, "system/*.rs", "system/Patient.read").await;
    let at = tok["access_token"].as_str().unwrap();
    assert_eq!(fhir_get(&sb, "/Patient?_count=1", at).await, StatusCode::OK);
    assert_eq!(
        fhir_get(&sb, "/Observation?_count=1", at).await,
        StatusCode::FORBIDDEN
    );
    // What the registration does not cover is left out, or refused alone.
    let (s, tok) = backend_asks(&sb, "system/*.rs", "system/Patient.read system/Patient.cud").await;
    assert_eq!(s, StatusCode::OK, "{tok}");
    assert_eq!(tok["scope"], "system/Patient.read");
    for wider in ["system/*.cruds", "system/*.*", "system/Patient.write"] {
        let (s, v) = backend_asks(&sb, "system/*.rs", wider).await;
        assert_error(s, &v, 400, "invalid_scope");
    }
}

#[tokio::test]
async fn a_backend_client_registered_in_v1_gets_v2_scopes() {
    let sb = start().await;
    let (s, tok) = backend_asks(&sb, "system/*.read", "system/Patient.rs system/*.s").await;
    assert_eq!(s, StatusCode::OK, "{tok}");
    assert_eq!(tok["scope"], "system/Patient.rs system/*.s");
    let (s, tok) = backend_asks(&sb, "system/Observation.*", "system/Observation.cruds").await;
    assert_eq!(s, StatusCode::OK, "{tok}");
    assert_eq!(tok["scope"], "system/Observation.cruds");
    // v1 `read` is read and search: a registration of `r` alone is narrower.
    let (s, v) = backend_asks(&sb, "system/*.r", "system/*.read").await;
    assert_error(s, &v, 400, "invalid_scope");
}

#[tokio::test]
async fn a_code_flow_client_registered_with_wildcards_gets_narrower_scopes() {
    let sb = start_with(|o| o.auto_approve = true).await;
    let r = http()
        .post(url(&sb, "/auth/register"))
        .json(&json!({
            "redirect_uris": [REDIRECT],
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", "refresh_token"],
            "scope": "launch/patient patient/*.rs offline_access",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let id = r.json::<Value>().await.unwrap()["client_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let asked =
        "launch/patient patient/Observation.rs patient/Patient.read user/*.rs offline_access";
    let req = AuthReq::new(&sb, &id, asked);
    let q = redirect_params(&req.get(&sb).await);
    let (s, tok, _) = token_req(
        &sb,
        &[
            ("grant_type", "authorization_code"),
            ("code", &q["code"]),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &req.verifier),
            ("client_id", &id),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{tok}");
    // `user/*.rs` is beyond the registration: dropped, the rest granted.
    assert_eq!(
        tok["scope"],
        "launch/patient patient/Observation.rs patient/Patient.read offline_access"
    );
}

#[tokio::test]
async fn a_refresh_may_ask_any_scope_the_grant_covers() {
    let sb = start_with(|o| o.auto_approve = true).await;
    let tok = login(&sb, PATIENT_SCOPE).await;
    let refresh = |rt: String, scope: &'static str| {
        let sb = &sb;
        async move {
            let (s, v, _) = token_req(
                sb,
                &[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", &rt),
                    ("client_id", CLI),
                    ("scope", scope),
                ],
            )
            .await;
            (s, v)
        }
    };
    let rt = tok["refresh_token"].as_str().unwrap().to_owned();
    let (s, t2) = refresh(rt, "patient/Observation.rs patient/Condition.read").await;
    assert_eq!(s, StatusCode::OK, "{t2}");
    assert_eq!(t2["scope"], "patient/Observation.rs patient/Condition.read");
    let at = t2["access_token"].as_str().unwrap();
    assert_eq!(
        fhir_get(&sb, "/Observation?_count=1", at).await,
        StatusCode::OK
    );
    assert_eq!(
        fhir_get(&sb, "/Encounter?_count=1", at).await,
        StatusCode::FORBIDDEN
    );
    // The refresh token keeps the original grant: a later refresh may still
    // ask for all of it, never for more.
    let rt = t2["refresh_token"].as_str().unwrap().to_owned();
    let (s, t3) = refresh(rt, "patient/*.read").await;
    assert_eq!(s, StatusCode::OK, "{t3}");
    assert_eq!(t3["scope"], "patient/*.read");
    let rt = t3["refresh_token"].as_str().unwrap().to_owned();
    let (s, v) = refresh(rt, "patient/*.cruds").await;
    assert_error(s, &v, 400, "invalid_scope");
}
