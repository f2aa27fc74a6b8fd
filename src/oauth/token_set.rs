//! The token set we keep per profile: the tokens, when they expire, what was
//! granted, the launch context, and everything needed to refresh later in a
//! new process without rediscovery (token endpoint, client id, auth method).
//!
//! The stored JSON is the same whatever the Rust types: the refresh and
//! access tokens are the `oauth2` crate's [`RefreshToken`] and
//! [`AccessToken`], which serialize as the plain string. The id_token is a
//! [`Secret`] because the crate has no type for it.
//!
//! Whether a token has expired is decided against a time passed in (see
//! [`Clock`](crate::clock::Clock)), so tests set the time instead of sleeping.

use oauth2::{AccessToken, RefreshToken, TokenResponse as _};
use serde::{Deserialize, Serialize};
use std::time::Duration;

use crate::config::TokenAuthMethod;
use crate::discovery::Discovery;
use crate::oauth::response::SmartTokenResponse;
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

    pub access_token: AccessToken,
    pub token_type: String,
    /// Unix seconds; `None` when the server gave no `expires_in`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
    /// The granted scope.
    #[serde(default)]
    pub scope: String,
    /// The scope as asked for (after any dialect translation); `None` in
    /// sets stored before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope_asked: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<RefreshToken>,
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
    pub fn merge(&mut self, resp: &SmartTokenResponse) {
        let f = &resp.smart;
        for (field, value) in [
            (&mut self.patient, &f.patient),
            (&mut self.encounter, &f.encounter),
            (&mut self.fhir_user, &f.fhir_user),
            (&mut self.smart_style_url, &f.smart_style_url),
            (&mut self.tenant, &f.tenant),
            (&mut self.intent, &f.intent),
        ] {
            if let Some(v) = value {
                *field = Some(v.clone());
            }
        }
        if let Some(v) = f.need_patient_banner {
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

impl TokenSet {
    /// A new set from a token response. `requested` is the scope asked for:
    /// what was granted when the server does not say (RFC 6749 §5.1).
    /// `now` is when. Scopes asked for but not granted are for the caller to
    /// report ([`TokenSet::ungranted`]).
    pub fn issued(
        issuer: Issuer,
        resp: &SmartTokenResponse,
        requested: &str,
        now: u64,
    ) -> TokenSet {
        let granted = resp.scope_text().unwrap_or_else(|| requested.to_owned());
        let field = |name: &str| {
            issuer
                .discovery
                .and_then(|d| d.str_field(name))
                .map(str::to_owned)
        };
        let mut context = LaunchContext::default();
        context.merge(resp);
        TokenSet {
            v: 1,
            fhir_base: issuer.fhir_base.to_string(),
            client_id: issuer.client_id.to_owned(),
            token_endpoint: issuer.token_endpoint.to_string(),
            auth_method: issuer.auth_method,
            revocation_endpoint: field("revocation_endpoint"),
            introspection_endpoint: field("introspection_endpoint"),
            issuer: field("issuer"),
            access_token: resp.access_token().clone(),
            token_type: "Bearer".into(),
            expires_at: resp.lifetime().map(|s| now.saturating_add(s)),
            scope: granted,
            scope_asked: Some(requested.to_owned()),
            refresh_token: resp.refresh_token().cloned(),
            id_token: resp.id_token().cloned(),
            context,
            obtained_at: now,
        }
    }

    /// The scopes of `requested` that this set was not granted. A refresh
    /// token is what `offline_access` and `online_access` ask for: a server
    /// that sends one but leaves them out of `scope` has granted them in
    /// effect, and saying otherwise would mislead.
    pub fn ungranted<'a>(&self, requested: &'a str) -> Vec<&'a str> {
        let mut missing = crate::oauth::token_endpoint::missing_scopes(requested, &self.scope);
        if self.refresh_token.is_some() {
            missing.retain(|s| !matches!(*s, "offline_access" | "online_access"));
        }
        missing
    }

    /// What was asked for and not granted, when what was asked is known.
    pub fn dropped(&self) -> Vec<&str> {
        self.scope_asked
            .as_deref()
            .map(|asked| self.ungranted(asked))
            .unwrap_or_default()
    }

    /// This set after a refresh: what the response carries replaces what we
    /// had; a refresh token the server did not rotate is kept. `now` is when.
    pub fn refreshed(&self, resp: &SmartTokenResponse, now: u64) -> TokenSet {
        let mut next = self.clone();
        next.access_token = resp.access_token().clone();
        next.token_type = "Bearer".into();
        next.expires_at = resp.lifetime().map(|s| now.saturating_add(s));
        if let Some(s) = resp.scope_text() {
            next.scope = s;
        }
        if let Some(r) = resp.refresh_token() {
            next.refresh_token = Some(r.clone());
        }
        if let Some(i) = resp.id_token() {
            next.id_token = Some(i.clone());
        }
        next.context.merge(resp);
        next.obtained_at = now;
        next
    }

    /// Seconds from `now` until the access token expires (negative when
    /// expired); `None` when unknown.
    pub fn expires_in(&self, now: u64) -> Option<i64> {
        // In i128, then saturated: an absurd stored expiry (a JWT's `exp`)
        // must not wrap around to "expired".
        self.expires_at.map(|e| {
            let left = i128::from(e) - i128::from(now);
            i64::try_from(left).unwrap_or(if left < 0 { i64::MIN } else { i64::MAX })
        })
    }

    /// True when the access token expires within `margin` of `now` (or has).
    pub fn expires_within(&self, margin: Duration, now: u64) -> bool {
        self.expires_in(now)
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
    use crate::clock::{Clock, FixedClock};
    use serde_json::json;

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
            access_token: AccessToken::new("AT".into()),
            token_type: "Bearer".into(),
            expires_at,
            scope: "openid patient/*.rs".into(),
            scope_asked: None,
            refresh_token: Some(RefreshToken::new("RT".into())),
            id_token: None,
            context: LaunchContext::default(),
            obtained_at: NOW,
        }
    }

    const NOW: u64 = 1_700_000_000;

    fn response(v: serde_json::Value) -> SmartTokenResponse {
        SmartTokenResponse::from_json(v).unwrap()
    }

    // Found by prop_token_responses_read_leniently_and_check_strictly: an
    // `expires_in` near u64::MAX overflowed (a panic in debug builds, a
    // token "expired" at once in release ones).
    #[test]
    fn a_huge_lifetime_is_a_long_one() {
        for lifetime in [json!(1e300), json!(u64::MAX), json!("18446744073709551615")] {
            let r = response(
                json!({"access_token": "a", "token_type": "Bearer", "expires_in": lifetime}),
            );
            let s = set(None).refreshed(&r, NOW);
            let cap = crate::oauth::response::MAX_LIFETIME;
            assert_eq!(s.expires_at, Some(NOW + cap));
            assert_eq!(s.expires_in(NOW), Some(cap as i64));
            assert!(!s.expires_within(Duration::from_secs(60), NOW));
        }
        // A JWT `exp` read as is (SMART_ACCESS_TOKEN) may be anything too.
        assert_eq!(set(Some(u64::MAX)).expires_in(0), Some(i64::MAX));
        assert_eq!(set(Some(0)).expires_in(u64::MAX), Some(i64::MIN));
    }

    #[test]
    fn a_refresh_keeps_what_the_server_did_not_replace() {
        let old = set(Some(1));
        let kept = old.refreshed(
            &response(serde_json::json!({
                "access_token": "AT2", "token_type": "Bearer", "expires_in": 60, "patient": "p9"
            })),
            NOW,
        );
        assert_eq!(kept.access_token.secret(), "AT2");
        assert_eq!(kept.expires_at, Some(NOW + 60));
        assert_eq!(kept.obtained_at, NOW);
        assert_eq!(
            kept.refresh_token.as_ref().unwrap().secret(),
            "RT",
            "not rotated: kept"
        );
        assert_eq!(kept.scope, old.scope, "no scope in the answer: unchanged");
        assert_eq!(kept.context.patient.as_deref(), Some("p9"));
        let rotated = old.refreshed(
            &response(serde_json::json!({
                "access_token": "AT3", "token_type": "bearer", "refresh_token": "RT2", "scope": "openid"
            })),
            NOW,
        );
        assert_eq!(rotated.refresh_token.unwrap().secret(), "RT2");
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
            NOW,
        );
        assert_eq!(s.fhir_base, "https://ehr.example.org/fhir");
        assert_eq!(s.token_endpoint, "https://ehr.example.org/token");
        assert_eq!(
            s.scope, "openid patient/*.rs",
            "omitted scope = as requested"
        );
        assert_eq!(s.context.need_patient_banner, Some(true));
        assert_eq!(s.context.encounter.as_deref(), Some("e1"));
        assert_eq!(s.expires_in(NOW), Some(300));
        assert_eq!(s.expires_in(NOW + 301), Some(-1));
    }

    #[test]
    fn the_longest_lifetime_neither_overflows_nor_reads_as_expired() {
        let base = crate::discovery::FhirBase::parse("https://ehr.example.org/fhir").unwrap();
        let token = url::Url::parse("https://ehr.example.org/token").unwrap();
        let resp = response(serde_json::json!({
            "access_token": "A", "token_type": "Bearer", "expires_in": u64::MAX
        }));
        let issuer = || Issuer {
            fhir_base: &base,
            client_id: "app",
            token_endpoint: &token,
            auth_method: TokenAuthMethod::None,
            discovery: None,
        };
        // Late in time too: `now + lifetime` must not overflow (a panic in
        // debug builds, a wrap to "expired" in release).
        for now in [NOW, u64::MAX - 1_000_000] {
            let s = TokenSet::issued(issuer(), &resp, "openid", now);
            assert!(s.expires_in(now).unwrap() > 0, "now {now}");
            assert!(!s.expires_within(Duration::from_secs(60), now));
            assert!(s.refreshed(&resp, now).expires_in(now).unwrap() > 0);
        }
        // A set stored with an absurd expiry (a JWT's `exp`, an older
        // version) is not "expired" either.
        assert_eq!(set(Some(u64::MAX)).expires_in(0), Some(i64::MAX));
        assert!(set(Some(0)).expires_in(u64::MAX).unwrap() < 0);
    }

    #[test]
    fn a_refresh_token_stands_for_offline_access() {
        let mut s = set(None);
        s.scope_asked = Some("openid patient/*.rs offline_access launch".into());
        assert_eq!(s.dropped(), ["launch"]);
        s.refresh_token = None;
        assert_eq!(s.dropped(), ["offline_access", "launch"]);
        s.scope_asked = None;
        assert!(s.dropped().is_empty(), "unknown: nothing said");
    }

    #[test]
    fn expiry_margin() {
        let m = Duration::from_secs(60);
        assert!(set(Some(NOW + 30)).expires_within(m, NOW));
        assert!(!set(Some(NOW + 600)).expires_within(m, NOW));
        assert!(!set(None).expires_within(m, NOW));
        // Time passes without sleeping: the same set, ten minutes later.
        let later = FixedClock(NOW + 560);
        assert!(set(Some(NOW + 600)).expires_within(m, later.now()));
        assert!(set(Some(NOW + 600)).expires_within(Duration::ZERO, NOW + 600));
    }

    #[test]
    fn the_stored_json_is_unchanged() {
        // A set stored by earlier versions (Secret everywhere) still loads,
        // and is written back the same.
        let stored = r#"{"v":1,"fhir_base":"https://x/fhir","client_id":"c","token_endpoint":"https://x/token","auth_method":"none","access_token":"AT","token_type":"Bearer","expires_at":1700000060,"scope":"openid","refresh_token":"RT","id_token":"a.b.c","context":{"patient":"p1"},"obtained_at":1700000000}"#;
        let s = TokenSet::from_json(&Secret::new(stored)).unwrap();
        assert_eq!(s.refresh_token.as_ref().unwrap().secret(), "RT");
        assert_eq!(s.id_token.as_ref().unwrap().expose(), "a.b.c");
        assert_eq!(s.to_json().expose(), stored);
    }

    #[test]
    fn json_round_trip_keeps_secrets_out_of_debug() {
        let s = set(Some(1));
        let back = TokenSet::from_json(&s.to_json()).unwrap();
        assert_eq!(back.access_token.secret(), "AT");
        assert!(!format!("{back:?}").contains("\"AT\""));
    }
}
