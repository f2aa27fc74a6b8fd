//! The token set we keep per profile: the tokens, when they expire, what was
//! granted, the launch context, and everything needed to refresh later in a
//! new process without rediscovery (token endpoint, client id, auth method).

use serde::{Deserialize, Serialize};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::config::TokenAuthMethod;
use crate::discovery::Discovery;
use crate::oauth::token::TokenResponse;
use crate::secret::Secret;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenSet {
    /// Format version of this record.
    pub v: u32,
    pub fhir_base: String,
    pub client_id: String,
    pub token_endpoint: String,
    pub auth_method: TokenAuthMethod,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introspection_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,

    pub access_token: Secret,
    pub token_type: String,
    /// Unix seconds; `None` when the server gave no `expires_in`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
    #[serde(default)]
    pub scope: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<Secret>,
    #[serde(default)]
    pub context: LaunchContext,
    /// Unix seconds when the tokens were obtained.
    pub obtained_at: u64,
}

/// Launch context parameters of the token response (SMART App Launch §
/// "Launch context arrives with your access_token"), plus `fhirUser` from the
/// id_token.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LaunchContext {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patient: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encounter: Option<String>,
    #[serde(default, rename = "fhirUser", skip_serializing_if = "Option::is_none")]
    pub fhir_user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub need_patient_banner: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smart_style_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent: Option<String>,
}

impl LaunchContext {
    /// Takes the launch context parameters a token response carries.
    pub fn merge(&mut self, resp: &TokenResponse) {
        let s = |k: &str| resp.str_field(k);
        for (field, key) in [
            (&mut self.patient, "patient"),
            (&mut self.encounter, "encounter"),
            (&mut self.fhir_user, "fhirUser"),
            (&mut self.smart_style_url, "smart_style_url"),
            (&mut self.tenant, "tenant"),
            (&mut self.intent, "intent"),
        ] {
            if let Some(v) = s(key) {
                *field = Some(v);
            }
        }
        if let Some(v) = resp.bool_field("need_patient_banner") {
            self.need_patient_banner = Some(v);
        }
    }
}

/// Who issued a token set, and how to go back to them: what a new process
/// needs to refresh, revoke or introspect without rediscovery.
pub struct Issuer<'a> {
    pub fhir_base: &'a crate::discovery::FhirBase,
    pub client_id: &'a str,
    pub token_endpoint: &'a url::Url,
    pub auth_method: TokenAuthMethod,
    /// For the revocation and introspection endpoints and the issuer.
    pub discovery: Option<&'a Discovery>,
}

pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs()
}

impl TokenSet {
    /// A new set from a token response. `requested` is the scope asked for:
    /// what was granted when the server does not say (RFC 6749 §5.1), and
    /// scopes asked for but not granted are warned about.
    pub fn issued(issuer: Issuer, resp: &TokenResponse, requested: &str) -> TokenSet {
        let granted = resp.scope.clone().unwrap_or_else(|| requested.to_owned());
        let missing = crate::oauth::token::missing_scopes(requested, &granted);
        if !missing.is_empty() {
            crate::output::warn(&format!("not granted: {}", missing.join(" ")));
        }
        let field = |name: &str| {
            issuer
                .discovery
                .and_then(|d| d.str_field(name))
                .map(str::to_owned)
        };
        let mut context = LaunchContext::default();
        context.merge(resp);
        let now = now_secs();
        TokenSet {
            v: 1,
            fhir_base: issuer.fhir_base.to_string(),
            client_id: issuer.client_id.to_owned(),
            token_endpoint: issuer.token_endpoint.to_string(),
            auth_method: issuer.auth_method,
            revocation_endpoint: field("revocation_endpoint"),
            introspection_endpoint: field("introspection_endpoint"),
            issuer: field("issuer"),
            access_token: resp.access_token.clone(),
            token_type: resp.token_type.clone(),
            expires_at: resp.expires_in.map(|s| now + s),
            scope: granted,
            refresh_token: resp.refresh_token.clone(),
            id_token: resp.id_token.clone(),
            context,
            obtained_at: now,
        }
    }

    /// This set after a refresh: what the response carries replaces what we
    /// had; a refresh token the server did not rotate is kept.
    pub fn refreshed(&self, resp: &TokenResponse) -> TokenSet {
        let now = now_secs();
        let mut next = self.clone();
        next.access_token = resp.access_token.clone();
        next.token_type = resp.token_type.clone();
        next.expires_at = resp.expires_in.map(|s| now + s);
        if let Some(s) = &resp.scope {
            next.scope = s.clone();
        }
        if let Some(r) = &resp.refresh_token {
            next.refresh_token = Some(r.clone());
        }
        if let Some(i) = &resp.id_token {
            next.id_token = Some(i.clone());
        }
        next.context.merge(resp);
        next.obtained_at = now;
        next
    }

    /// Seconds until the access token expires (negative when expired);
    /// `None` when unknown.
    pub fn expires_in(&self) -> Option<i64> {
        self.expires_at.map(|e| e as i64 - now_secs() as i64)
    }

    /// True when the access token expires within `margin` (or has).
    pub fn expires_within(&self, margin: Duration) -> bool {
        self.expires_in()
            .is_some_and(|left| left <= margin.as_secs() as i64)
    }

    pub fn scopes(&self) -> Vec<&str> {
        self.scope.split_whitespace().collect()
    }

    pub fn to_json(&self) -> Secret {
        Secret::new(serde_json::to_string(self).expect("a token set serializes"))
    }

    pub fn from_json(s: &Secret) -> Result<TokenSet, String> {
        // serde's message may quote a value (a token): give only its kind
        // and position.
        serde_json::from_str(s.expose()).map_err(|e| {
            format!(
                "stored token set is unreadable ({:?} error at line {} column {})",
                e.classify(),
                e.line(),
                e.column()
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(expires_at: Option<u64>) -> TokenSet {
        TokenSet {
            v: 1,
            fhir_base: "https://x/fhir".into(),
            client_id: "c".into(),
            token_endpoint: "https://x/token".into(),
            auth_method: TokenAuthMethod::None,
            revocation_endpoint: None,
            introspection_endpoint: None,
            issuer: None,
            access_token: Secret::new("AT"),
            token_type: "Bearer".into(),
            expires_at,
            scope: "openid patient/*.rs".into(),
            refresh_token: Some(Secret::new("RT")),
            id_token: None,
            context: LaunchContext::default(),
            obtained_at: now_secs(),
        }
    }

    fn response(v: serde_json::Value) -> TokenResponse {
        crate::oauth::token::parse(v.as_object().unwrap().clone()).unwrap()
    }

    #[test]
    fn a_refresh_keeps_what_the_server_did_not_replace() {
        let old = set(Some(1));
        let kept = old.refreshed(&response(serde_json::json!({
            "access_token": "AT2", "token_type": "Bearer", "expires_in": 60, "patient": "p9"
        })));
        assert_eq!(kept.access_token.expose(), "AT2");
        assert_eq!(
            kept.refresh_token.as_ref().unwrap().expose(),
            "RT",
            "not rotated: kept"
        );
        assert_eq!(kept.scope, old.scope, "no scope in the answer: unchanged");
        assert_eq!(kept.context.patient.as_deref(), Some("p9"));
        let rotated = old.refreshed(&response(serde_json::json!({
            "access_token": "AT3", "token_type": "bearer", "refresh_token": "RT2", "scope": "openid"
        })));
        assert_eq!(rotated.refresh_token.unwrap().expose(), "RT2");
        assert_eq!(rotated.scope, "openid");
        assert_eq!(rotated.expires_at, None, "no expires_in: unknown");
    }

    #[test]
    fn an_issued_set_records_its_issuer_and_granted_scope() {
        let base = crate::discovery::FhirBase::parse("https://ehr.example.org/fhir").unwrap();
        let token = url::Url::parse("https://ehr.example.org/token").unwrap();
        let resp = response(serde_json::json!({
            "access_token": "A", "token_type": "Bearer", "expires_in": 300,
            "need_patient_banner": true, "encounter": "e1"
        }));
        let s = TokenSet::issued(
            Issuer {
                fhir_base: &base,
                client_id: "app",
                token_endpoint: &token,
                auth_method: TokenAuthMethod::None,
                discovery: None,
            },
            &resp,
            "openid patient/*.rs",
        );
        assert_eq!(s.fhir_base, "https://ehr.example.org/fhir");
        assert_eq!(s.token_endpoint, "https://ehr.example.org/token");
        assert_eq!(
            s.scope, "openid patient/*.rs",
            "omitted scope = as requested"
        );
        assert_eq!(s.context.need_patient_banner, Some(true));
        assert_eq!(s.context.encounter.as_deref(), Some("e1"));
        assert!(s.expires_in().unwrap() > 290);
    }

    #[test]
    fn expiry_margin() {
        assert!(set(Some(now_secs() + 30)).expires_within(Duration::from_secs(60)));
        assert!(!set(Some(now_secs() + 600)).expires_within(Duration::from_secs(60)));
        assert!(!set(None).expires_within(Duration::from_secs(60)));
    }

    #[test]
    fn json_round_trip_keeps_secrets_out_of_debug() {
        let s = set(Some(1));
        let back = TokenSet::from_json(&s.to_json()).unwrap();
        assert_eq!(back.access_token.expose(), "AT");
        assert!(!format!("{back:?}").contains("\"AT\""));
    }
}
