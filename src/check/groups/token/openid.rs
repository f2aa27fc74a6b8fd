//! The OpenID Connect checks on the good exchange's id_token, as Inferno's
//! `smart_openid_*` tests make them: the issuer's
//! `.well-known/openid-configuration`, the JWKS and the token's header,
//! its claims, and the `fhirUser` it names. `token.id-token-valid`
//! verifies the signature; these judge what that does not.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::Method;
use reqwest::header::{ACCEPT, ORIGIN};
use serde_json::{Map, Value};
use url::Url;

use super::super::super::catalogue::{FHIR_USER, ID_TOKEN_CLAIMS, ID_TOKEN_RS256, OPENID_CONFIG};
use super::super::super::flow::read::with_token_get;
use super::super::super::flow::{Client, PROBE_ORIGIN, cors_allows};
use super::super::super::model::Verdict;
use super::super::super::probe::Exchange;
use super::super::super::run::Run;
use crate::secret::Secret;

/// What the OpenID Connect Discovery document must hold (Inferno 1.3.03).
const REQUIRED: [&str; 7] = [
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "jwks_uri",
    "response_types_supported",
    "subject_types_supported",
    "id_token_signing_alg_values_supported",
];

/// The resource types a `fhirUser` may name.
const USER_TYPES: [&str; 4] = ["Patient", "Practitioner", "RelatedPerson", "Person"];

pub const CHECKS: [&super::super::super::catalogue::Check; 4] = [
    &OPENID_CONFIG,
    &ID_TOKEN_RS256,
    &ID_TOKEN_CLAIMS,
    &FHIR_USER,
];

/// Header and payload of a JWT, unverified.
pub fn decode(jwt: &str) -> Option<(Map<String, Value>, Map<String, Value>)> {
    let mut parts = jwt.split('.');
    let mut part = || -> Option<Map<String, Value>> {
        let bytes = URL_SAFE_NO_PAD
            .decode(parts.next()?.trim_end_matches('='))
            .ok()?;
        serde_json::from_slice(&bytes).ok()
    };
    Some((part()?, part()?))
}

/// Runs the four checks on `body` (the good exchange's answer).
pub async fn run(
    run: &mut Run<'_>,
    body: &Value,
    client: &Client,
    access_token: Option<&Secret>,
    exchange: &Exchange,
) {
    if !CHECKS.iter().any(|c| run.wants(c)) {
        return;
    }
    let skip_all = |run: &mut Run<'_>, why: &str| {
        for c in CHECKS {
            run.record(c, Verdict::skip(why), vec![exchange.clone()]);
        }
    };
    if !client.scope.split_whitespace().any(|s| s == "openid") {
        return skip_all(run, "openid was not asked for");
    }
    let Some((header, claims)) = body["id_token"].as_str().and_then(decode) else {
        // token.id-token-valid reports a missing or unreadable id_token.
        return skip_all(run, "no readable id_token came");
    };
    run.record(
        &ID_TOKEN_CLAIMS,
        claims_verdict(&claims),
        vec![exchange.clone()],
    );

    // The configuration at the token's own issuer (Inferno 1.3.02/1.3.03).
    let iss = claims.get("iss").and_then(Value::as_str).unwrap_or("");
    let (config, ex) = get_json(
        run,
        &format!(
            "{}/.well-known/openid-configuration",
            iss.trim_end_matches('/')
        ),
    )
    .await;
    let v = match &config {
        Err(e) => Verdict::unmet(e.clone()),
        Ok(doc) => config_verdict(doc),
    };
    run.record(&OPENID_CONFIG, v, vec![ex.clone()]);

    // The JWKS the configuration names, and the token's header against it.
    let jwks_uri = config
        .as_ref()
        .ok()
        .and_then(|d| d.get("jwks_uri")?.as_str().map(str::to_owned));
    match jwks_uri {
        None => run.record(
            &ID_TOKEN_RS256,
            Verdict::skip("no jwks_uri in the OpenID configuration"),
            vec![ex],
        ),
        Some(uri) => {
            let (jwks, ex2) = get_json(run, &uri).await;
            let v = match jwks {
                Err(e) => Verdict::unmet(format!("the jwks_uri: {e}")),
                Ok(set) => header_verdict(&header, &set),
            };
            run.record(&ID_TOKEN_RS256, v, vec![ex2]);
        }
    }

    let (v, ev) = fhir_user(run, &claims, client, access_token).await;
    run.record(&FHIR_USER, v, [vec![exchange.clone()], ev].concat());
}

/// A GET of a JSON object: the object, or what was wrong.
async fn get_json(run: &Run<'_>, url: &str) -> (Result<Map<String, Value>, String>, Exchange) {
    let Ok(url) = Url::parse(url) else {
        return (
            Err(format!("`{url}` is not a URL")),
            super::super::super::flow::exchange::unsent_get(url),
        );
    };
    let req = run
        .probe
        .http()
        .request(Method::GET, url)
        .header(ACCEPT, "application/json");
    let (resp, ex) = run.probe.send(req).await;
    let r = match resp {
        Err(e) => Err(format!("no answer: {}", e.message)),
        Ok(r) if !r.status.is_success() => Err(format!("answered {}", r.status.as_u16())),
        Ok(r) => {
            let json = r
                .content_type()
                .is_some_and(|c| c.to_ascii_lowercase().contains("json"));
            match serde_json::from_slice::<Value>(&r.body) {
                Ok(Value::Object(o)) if json => Ok(o),
                Ok(Value::Object(_)) => Err(format!(
                    "served as `{}`, not application/json",
                    r.content_type().unwrap_or("no Content-Type")
                )),
                _ => Err("the body is not a JSON object".to_owned()),
            }
        }
    };
    (r, ex)
}

fn config_verdict(doc: &Map<String, Value>) -> Verdict {
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|f| doc.get(*f).is_none_or(Value::is_null))
        .collect();
    if !missing.is_empty() {
        return Verdict::unmet(format!("missing {}", missing.join(", ")));
    }
    let algs = &doc["id_token_signing_alg_values_supported"];
    if !algs
        .as_array()
        .is_some_and(|a| a.iter().any(|x| x == "RS256"))
    {
        return Verdict::unmet(format!(
            "id_token_signing_alg_values_supported is {algs}, without RS256"
        ));
    }
    Verdict::met("served, every required field, RS256 among the id_token algorithms")
}

/// RS256, the RSA keys importable, and a `kid` that picks one of them
/// (required when there are several).
fn header_verdict(header: &Map<String, Value>, jwks: &Map<String, Value>) -> Verdict {
    let Some(keys) = jwks.get("keys").and_then(Value::as_array) else {
        return Verdict::unmet("the JWKS has no keys array");
    };
    let rsa: Vec<&Value> = keys.iter().filter(|k| k["kty"] == "RSA").collect();
    if rsa.is_empty() {
        return Verdict::unmet("the JWKS has no RSA key");
    }
    for k in &rsa {
        let usable = serde_json::from_value::<jsonwebtoken::jwk::Jwk>((*k).clone())
            .ok()
            .and_then(|j| jsonwebtoken::DecodingKey::from_jwk(&j).ok());
        if usable.is_none() {
            return Verdict::unmet(format!(
                "the RSA key {} cannot be imported",
                k["kid"].as_str().unwrap_or("without a kid")
            ));
        }
    }
    match header.get("alg").and_then(Value::as_str) {
        Some("RS256") => {}
        other => {
            return Verdict::unmet(format!(
                "the id_token is signed with {}, not RS256",
                other.unwrap_or("no alg")
            ));
        }
    }
    let kid = header.get("kid").and_then(Value::as_str);
    let known = |kid: &str| rsa.iter().any(|k| k["kid"] == kid);
    match (kid, rsa.len()) {
        (None, n) if n > 1 => Verdict::unmet(format!("no kid, and the JWKS has {n} RSA keys")),
        (None, _) => Verdict::met("RS256; no kid, and the JWKS has one RSA key"),
        (Some(k), _) if known(k) => Verdict::met(format!("RS256 under kid {k}, published")),
        (Some(k), _) => Verdict::unmet(format!("kid {k} is not an RSA key of the JWKS")),
    }
}

/// `iss`, `sub`, `aud`, `exp`, `iat` present; `sub` not blank, at most
/// 255 characters (OpenID Connect Core 2).
fn claims_verdict(claims: &Map<String, Value>) -> Verdict {
    let missing: Vec<&str> = ["iss", "sub", "aud", "exp", "iat"]
        .into_iter()
        .filter(|c| !claims.contains_key(*c))
        .collect();
    if !missing.is_empty() {
        return Verdict::unmet(format!("no {}", missing.join(", ")));
    }
    match claims["sub"].as_str() {
        Some(s) if s.trim().is_empty() => Verdict::unmet("sub is blank"),
        Some(s) if s.chars().count() > 255 => Verdict::unmet(format!(
            "sub has {} characters (at most 255)",
            s.chars().count()
        )),
        Some(_) => Verdict::met("iss, sub, aud, exp and iat; sub within 255 characters"),
        None => Verdict::unmet(format!("sub is {}, not a string", claims["sub"])),
    }
}

/// The `fhirUser` claim: present when fhirUser was asked for, a Patient,
/// Practitioner, RelatedPerson or Person, and readable with the token,
/// cross-origin (Inferno 1.3.07/1.3.08).
async fn fhir_user(
    run: &Run<'_>,
    claims: &Map<String, Value>,
    client: &Client,
    token: Option<&Secret>,
) -> (Verdict, Vec<Exchange>) {
    if !client.scope.split_whitespace().any(|s| s == "fhirUser") {
        return (Verdict::skip("fhirUser was not asked for"), vec![]);
    }
    let Some(user) = claims.get("fhirUser").and_then(Value::as_str) else {
        return (
            Verdict::unmet("fhirUser was asked for and the id_token has no fhirUser claim"),
            vec![],
        );
    };
    let segs: Vec<&str> = user.trim_end_matches('/').rsplit('/').take(2).collect();
    let (ty, id) = match segs.as_slice() {
        [id, ty] if USER_TYPES.contains(ty) && !id.is_empty() => (*ty, *id),
        _ => {
            return (
                Verdict::unmet(format!(
                    "fhirUser `{user}` is not a Patient, Practitioner, RelatedPerson or Person"
                )),
                vec![],
            );
        }
    };
    let Some(token) = token else {
        return (Verdict::skip("no access token to read it with"), vec![]);
    };
    // The token goes only to this server's FHIR base: read Type/id there.
    let url = run.base.join(&format!("{ty}/{id}"));
    let req = with_token_get(run, url, token).header(ORIGIN, PROBE_ORIGIN);
    let (resp, ex) = run.probe.send(req).await;
    let v = match resp {
        Err(e) => Verdict::unmet(format!("reading {ty}/{id}: no answer: {}", e.message)),
        Ok(r) if !r.status.is_success() => {
            Verdict::unmet(format!("reading {ty}/{id} answered {}", r.status.as_u16()))
        }
        Ok(r) => {
            let body: Value = serde_json::from_slice(&r.body).unwrap_or_default();
            let allow = r
                .headers
                .get("access-control-allow-origin")
                .and_then(|v| v.to_str().ok());
            if body["resourceType"] != ty {
                Verdict::unmet(format!(
                    "reading {ty}/{id} gave resourceType {}",
                    body["resourceType"]
                ))
            } else if let Err(e) = cors_allows(allow) {
                Verdict::unmet(format!("{ty}/{id} reads, but not cross-origin: {e}"))
            } else {
                Verdict::met(format!(
                    "fhirUser {ty}/{id} reads with the token, cross-origin"
                ))
            }
        }
    };
    (v, vec![ex])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn claims_need_iat_and_a_short_sub() {
        let ok = obj(json!({"iss": "i", "sub": "s", "aud": "a", "exp": 1, "iat": 0}));
        assert!(matches!(claims_verdict(&ok), Verdict::Met(_)));
        let mut c = ok.clone();
        c.remove("iat");
        assert_eq!(claims_verdict(&c), Verdict::unmet("no iat"));
        c.insert("iat".into(), json!(0));
        c.insert("sub".into(), json!("x".repeat(256)));
        assert_eq!(
            claims_verdict(&c),
            Verdict::unmet("sub has 256 characters (at most 255)")
        );
    }

    #[test]
    fn the_configuration_needs_rs256() {
        let mut d = obj(
            json!({"issuer": "i", "authorization_endpoint": "a", "token_endpoint": "t",
            "jwks_uri": "j", "response_types_supported": ["code"], "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"]}),
        );
        assert!(matches!(config_verdict(&d), Verdict::Met(_)));
        d.insert(
            "id_token_signing_alg_values_supported".into(),
            json!(["ES256"]),
        );
        assert!(matches!(config_verdict(&d), Verdict::Unmet(_)));
        d.remove("subject_types_supported");
        assert_eq!(
            config_verdict(&d),
            Verdict::unmet("missing subject_types_supported")
        );
    }

    #[test]
    fn a_kid_is_required_among_several_keys() {
        // A real RSA public key (RFC 7517 appendix A.1's).
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        let key = |kid: &str| json!({"kty": "RSA", "kid": kid, "n": n, "e": "AQAB"});
        let two = obj(json!({"keys": [key("a"), key("b")]}));
        let one = obj(json!({"keys": [key("a")]}));
        let h = |v: Value| obj(v);
        assert!(matches!(
            header_verdict(&h(json!({"alg": "RS256", "kid": "b"})), &two),
            Verdict::Met(_)
        ));
        assert_eq!(
            header_verdict(&h(json!({"alg": "RS256"})), &two),
            Verdict::unmet("no kid, and the JWKS has 2 RSA keys")
        );
        assert!(matches!(
            header_verdict(&h(json!({"alg": "RS256"})), &one),
            Verdict::Met(_)
        ));
        assert!(matches!(
            header_verdict(&h(json!({"alg": "ES256", "kid": "a"})), &one),
            Verdict::Unmet(_)
        ));
        assert!(matches!(
            header_verdict(&h(json!({"alg": "RS256", "kid": "z"})), &one),
            Verdict::Unmet(_)
        ));
        let bad = obj(json!({"keys": [{"kty": "RSA", "kid": "a", "n": "!!", "e": "AQAB"}]}));
        assert!(matches!(
            header_verdict(&h(json!({"alg": "RS256", "kid": "a"})), &bad),
            Verdict::Unmet(_)
        ));
    }

    #[test]
    fn decode_reads_header_and_payload() {
        let enc = |v: Value| URL_SAFE_NO_PAD.encode(v.to_string());
        let jwt = format!(
            "{}.{}.sig",
            enc(json!({"alg": "RS256"})),
            enc(json!({"sub": "s"}))
        );
        let (h, c) = decode(&jwt).unwrap();
        assert_eq!(
            (h["alg"].as_str(), c["sub"].as_str()),
            (Some("RS256"), Some("s"))
        );
        assert!(decode("nonsense").is_none());
    }
}
