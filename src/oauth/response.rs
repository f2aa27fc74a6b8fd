//! The token response as SMART servers send it: the RFC 6749 §5.1 fields
//! plus SMART's launch context (`patient`, `encounter`, `fhirContext`,
//! `need_patient_banner`, `smart_style_url`, `intent`, `tenant`) and the
//! OpenID `id_token`.
//!
//! Our own type, implementing the `oauth2` crate's [`TokenResponse`] trait,
//! because the crate's standard response refuses answers real servers send
//! (`expires_in` as the string `"3600"`, a numeric `patient` id, a missing
//! `token_type`): every field is read leniently here and then checked in our
//! own words by [`SmartTokenResponse::checked`].

use std::time::Duration;

use oauth2::basic::BasicTokenType;
use oauth2::{AccessToken, ExtraTokenFields, RefreshToken, Scope, TokenResponse};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::secret::Secret;

/// The longest access token lifetime we believe: ten years. A server that
/// says more (`u64::MAX`, `1e300`) means "long"; taken literally, the expiry
/// would overflow.
pub const MAX_LIFETIME: u64 = 10 * 365 * 24 * 60 * 60;

/// A token endpoint's answer. `Debug` shows no token (the crate's secret
/// types and [`Secret`] redact themselves).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SmartTokenResponse {
    #[serde(default = "no_access_token", deserialize_with = "lax::access_token")]
    access_token: AccessToken,
    #[serde(default = "no_token_type", deserialize_with = "lax::token_type")]
    token_type: BasicTokenType,
    #[serde(default, deserialize_with = "lax::seconds")]
    expires_in: Option<u64>,
    #[serde(default, deserialize_with = "lax::refresh_token")]
    refresh_token: Option<RefreshToken>,
    #[serde(default, deserialize_with = "lax::scopes")]
    scope: Option<Vec<Scope>>,
    #[serde(flatten)]
    pub smart: SmartTokenFields,
}

/// SMART's fields of the token response, as the crate's extra token fields.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SmartTokenFields {
    #[serde(default, deserialize_with = "lax::text")]
    pub patient: Option<String>,
    #[serde(default, deserialize_with = "lax::text")]
    pub encounter: Option<String>,
    /// Some servers put `fhirUser` in the token response as well.
    #[serde(default, rename = "fhirUser", deserialize_with = "lax::text")]
    pub fhir_user: Option<String>,
    #[serde(default, rename = "fhirContext")]
    pub fhir_context: Option<Value>,
    #[serde(default, deserialize_with = "lax::flag")]
    pub need_patient_banner: Option<bool>,
    #[serde(default, deserialize_with = "lax::text")]
    pub smart_style_url: Option<String>,
    #[serde(default, deserialize_with = "lax::text")]
    pub intent: Option<String>,
    #[serde(default, deserialize_with = "lax::text")]
    pub tenant: Option<String>,
    /// The crate has no id_token type; [`Secret`] keeps it out of output.
    #[serde(default, deserialize_with = "lax::id_token")]
    pub id_token: Option<Secret>,
}

impl ExtraTokenFields for SmartTokenFields {}

impl TokenResponse for SmartTokenResponse {
    type TokenType = BasicTokenType;

    fn access_token(&self) -> &AccessToken {
        &self.access_token
    }
    fn token_type(&self) -> &BasicTokenType {
        &self.token_type
    }
    fn expires_in(&self) -> Option<Duration> {
        self.expires_in.map(Duration::from_secs)
    }
    fn refresh_token(&self) -> Option<&RefreshToken> {
        self.refresh_token.as_ref()
    }
    fn scopes(&self) -> Option<&Vec<Scope>> {
        self.scope.as_ref()
    }
}

impl SmartTokenResponse {
    /// Reads and checks a token response body (the crate does this for
    /// requests; this is for tests).
    #[cfg(test)]
    pub fn from_json(v: Value) -> Result<SmartTokenResponse> {
        serde_json::from_value::<SmartTokenResponse>(v)
            // serde's message may quote a value (a token): say only where.
            .map_err(|_| Error::server("the token response cannot be read"))?
            .checked()
    }

    /// Checks what the lenient reading let through: an access token is
    /// there, and it is a Bearer token.
    pub fn checked(self) -> Result<SmartTokenResponse> {
        if self.access_token.secret().is_empty() {
            return Err(Error::server("the token response has no access_token"));
        }
        match &self.token_type {
            BasicTokenType::Bearer => Ok(self),
            BasicTokenType::Extension(t) if t.is_empty() => {
                Err(Error::server("the token response has no token_type"))
            }
            other => Err(Error::server(format!(
                "the token response has token_type `{}`; only Bearer is supported",
                other.as_ref()
            ))),
        }
    }

    /// Seconds the access token lives, when the server said.
    pub fn lifetime(&self) -> Option<u64> {
        self.expires_in
    }

    /// The granted scope as one string; `None` when the server omitted it
    /// (= as requested, RFC 6749 §5.1).
    pub fn scope_text(&self) -> Option<String> {
        self.scope
            .as_ref()
            .map(|s| s.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" "))
    }

    pub fn id_token(&self) -> Option<&Secret> {
        self.smart.id_token.as_ref()
    }
}

fn no_access_token() -> AccessToken {
    AccessToken::new(String::new())
}

fn no_token_type() -> BasicTokenType {
    BasicTokenType::Extension(String::new())
}

/// Deserializers that take what servers really send and never fail: a
/// field of the wrong shape reads as absent, and [`SmartTokenResponse::checked`]
/// says what is missing.
mod lax {
    use super::*;

    fn value<'de, D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }

    fn non_empty(v: Value) -> Option<String> {
        match v {
            Value::String(s) if !s.is_empty() => Some(s),
            _ => None,
        }
    }

    pub fn access_token<'de, D: Deserializer<'de>>(d: D) -> Result<AccessToken, D::Error> {
        Ok(AccessToken::new(non_empty(value(d)?).unwrap_or_default()))
    }

    pub fn refresh_token<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<RefreshToken>, D::Error> {
        Ok(non_empty(value(d)?).map(RefreshToken::new))
    }

    pub fn id_token<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Secret>, D::Error> {
        Ok(non_empty(value(d)?).map(Secret::new))
    }

    /// `Bearer` in any case; another type is kept to be refused by name.
    pub fn token_type<'de, D: Deserializer<'de>>(d: D) -> Result<BasicTokenType, D::Error> {
        Ok(match value(d)? {
            Value::String(s) if s.eq_ignore_ascii_case("bearer") => BasicTokenType::Bearer,
            Value::String(s) if s.eq_ignore_ascii_case("mac") => BasicTokenType::Mac,
            Value::String(s) => BasicTokenType::Extension(s),
            _ => BasicTokenType::Extension(String::new()),
        })
    }

    /// A number of seconds, also as a string (`"3600"`) or a float, capped
    /// at [`MAX_LIFETIME`]; a negative one is 0 (expired). Not a number
    /// (`"NaN"`, `"inf"`, text) reads as absent.
    pub fn seconds<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
        let secs = match value(d)? {
            Value::Number(n) => n.as_u64().map(|u| u as f64).or_else(|| n.as_f64()),
            Value::String(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        };
        Ok(secs
            .filter(|f| f.is_finite())
            .map(|f| f.clamp(0.0, MAX_LIFETIME as f64) as u64))
    }

    /// RFC 6749 §3.3: space-delimited.
    pub fn scopes<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<Scope>>, D::Error> {
        Ok(match value(d)? {
            Value::String(s) => Some(
                s.split_whitespace()
                    .map(|s| Scope::new(s.to_owned()))
                    .collect(),
            ),
            _ => None,
        })
    }

    /// A string, or a number given for an id.
    pub fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        Ok(match value(d)? {
            Value::String(s) => Some(s),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
    }

    /// `true`/`false`, also as strings.
    pub fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
        Ok(match value(d)? {
            Value::Bool(b) => Some(b),
            Value::String(s) => s.parse().ok(),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_smart_fields_are_read_by_the_shared_names() {
        use smart_vocab::launch;
        let mut body = json!({"access_token": "AT", "token_type": "Bearer"});
        for name in [
            launch::PATIENT,
            launch::ENCOUNTER,
            launch::FHIR_USER,
            launch::SMART_STYLE_URL,
            launch::INTENT,
            launch::TENANT,
        ] {
            body[name] = json!(format!("v-{name}"));
        }
        body[launch::NEED_PATIENT_BANNER] = json!(true);
        body[launch::FHIR_CONTEXT] = json!([{"reference": "Appointment/1"}]);
        body[launch::ID_TOKEN] = json!("a.b.c");
        let f = SmartTokenResponse::from_json(body).unwrap().smart;
        assert_eq!(f.patient.as_deref(), Some("v-patient"));
        assert_eq!(f.encounter.as_deref(), Some("v-encounter"));
        assert_eq!(f.fhir_user.as_deref(), Some("v-fhirUser"));
        assert_eq!(f.smart_style_url.as_deref(), Some("v-smart_style_url"));
        assert_eq!(f.intent.as_deref(), Some("v-intent"));
        assert_eq!(f.tenant.as_deref(), Some("v-tenant"));
        assert_eq!(f.need_patient_banner, Some(true));
        assert!(f.fhir_context.is_some() && f.id_token.is_some());
    }
    use serde_json::json;

    #[test]
    fn bearer_is_case_insensitive_and_expires_in_may_be_a_string() {
        let r = SmartTokenResponse::from_json(
            json!({"access_token":"a","token_type":"bearer","expires_in":"3600","patient":"p1"}),
        )
        .unwrap();
        assert_eq!(r.lifetime(), Some(3600));
        assert_eq!(r.expires_in(), Some(Duration::from_secs(3600)));
        assert_eq!(r.smart.patient.as_deref(), Some("p1"));
    }

    #[test]
    fn huge_lifetimes_are_capped_and_nonsense_reads_as_unknown() {
        let life = |v: Value| {
            SmartTokenResponse::from_json(
                json!({"access_token": "a", "token_type": "Bearer", "expires_in": v}),
            )
            .unwrap()
            .lifetime()
        };
        for huge in [
            json!(u64::MAX),
            json!(1e300),
            json!("18446744073709551615"),
            json!("1e300"),
            json!(MAX_LIFETIME + 1),
        ] {
            assert_eq!(life(huge.clone()), Some(MAX_LIFETIME), "{huge}");
        }
        assert_eq!(life(json!(3600)), Some(3600));
        assert_eq!(life(json!(-5)), Some(0), "negative: already expired");
        assert_eq!(life(json!(-1e300)), Some(0));
        assert_eq!(life(json!("-5")), Some(0));
        for nonsense in ["NaN", "nan", "inf", "-inf", "infinity", "soon", ""] {
            assert_eq!(life(json!(nonsense)), None, "{nonsense:?}");
        }
    }

    #[test]
    fn non_bearer_and_missing_tokens_are_refused() {
        let msg = |v| SmartTokenResponse::from_json(v).unwrap_err().message;
        assert!(msg(json!({"access_token":"a","token_type":"mac"})).contains("token_type `mac`"));
        assert!(msg(json!({"token_type":"Bearer"})).contains("no access_token"));
        assert!(msg(json!({"access_token":"","token_type":"Bearer"})).contains("no access_token"));
        assert!(msg(json!({"access_token":"a"})).contains("no token_type"));
    }

    #[test]
    fn smart_fields_are_read_leniently() {
        let r = SmartTokenResponse::from_json(json!({
            "access_token": "a", "token_type": "Bearer", "expires_in": 299.7,
            "scope": "openid  patient/*.rs", "patient": 123, "need_patient_banner": "true",
            "fhirContext": [{"reference": "Appointment/1"}], "intent": "reconcile",
            "tenant": "t1", "smart_style_url": "https://x/style.json", "encounter": "e1",
            "id_token": "h.p.s", "refresh_token": "R"
        }))
        .unwrap();
        assert_eq!(r.lifetime(), Some(299));
        assert_eq!(r.scope_text().as_deref(), Some("openid patient/*.rs"));
        assert_eq!(r.scopes().unwrap().len(), 2);
        assert_eq!(r.smart.patient.as_deref(), Some("123"));
        assert_eq!(r.smart.need_patient_banner, Some(true));
        assert_eq!(
            r.smart.fhir_context.as_ref().unwrap()[0]["reference"],
            "Appointment/1"
        );
        assert_eq!(r.smart.intent.as_deref(), Some("reconcile"));
        assert_eq!(r.refresh_token().unwrap().secret(), "R");
        assert_eq!(r.id_token().unwrap().expose(), "h.p.s");
    }

    #[test]
    fn debug_shows_no_token() {
        let r = SmartTokenResponse::from_json(json!({
            "access_token": "AT-secret", "token_type": "Bearer",
            "refresh_token": "RT-secret", "id_token": "IDT-secret"
        }))
        .unwrap();
        let d = format!("{r:?}");
        assert!(!d.contains("-secret"), "{d}");
    }
}
