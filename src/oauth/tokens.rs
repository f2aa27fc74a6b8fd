//! The token set we keep per profile: the tokens, when they expire, what was
//! granted, the launch context, and everything needed to refresh later in a
//! new process without rediscovery (token endpoint, client id, auth method).

use serde::{Deserialize, Serialize};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::config::TokenAuthMethod;
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

pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs()
}

impl TokenSet {
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
