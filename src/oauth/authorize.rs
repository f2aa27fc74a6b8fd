//! The authorization code flow as phases (SMART App Launch "Obtain
//! authorization code", then "Obtain access token"):
//!
//! 1. [`PendingAuthorization::prepare`] makes the request URL with the
//!    `oauth2` crate's `authorize_url` — response_type, client_id,
//!    redirect_uri, scope, a 256-bit `state`, the PKCE S256 challenge — plus
//!    SMART's `aud`, `launch` and `nonce` and the profile's extra
//!    parameters as the crate's extra parameters;
//! 2. the caller sends the user there and waits for the callback, checking
//!    [`PendingAuthorization::state`];
//! 3. [`PendingAuthorization::exchange`] trades the code for tokens and
//!    consumes the pending authorization: its verifier and the code can be
//!    used once.

use std::collections::BTreeMap;

use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, CsrfToken, PkceCodeChallenge, PkceCodeVerifier,
    RedirectUrl, Scope,
};
use url::Url;

use super::response::SmartTokenResponse;
use super::token_endpoint::ClientAuth;
use crate::error::{Error, Result};
use crate::http::Http;
use crate::secret::Secret;

/// What goes into the authorization request.
pub struct AuthorizeRequest<'a> {
    pub endpoint: &'a Url,
    pub client_id: &'a str,
    pub redirect_uri: &'a str,
    pub scope: &'a str,
    /// S256 PKCE; `false` only when the profile says PKCE only if
    /// advertised and the server does not advertise it.
    pub pkce: bool,
    pub aud: Option<&'a str>,
    /// Send a `nonce` (and expect it back in the id_token).
    pub nonce: bool,
    pub launch: Option<&'a str>,
    pub extra: &'a BTreeMap<String, String>,
}

/// An authorization request sent out, waiting for its code. Holds what must
/// come back (`state`) and what only the exchange may use (the verifier).
/// `Debug` shows no secret (the URL carries `state`: only its path shows).
pub struct PendingAuthorization {
    url: Url,
    state: CsrfToken,
    verifier: Option<PkceCodeVerifier>,
    nonce: Option<Secret>,
    redirect_uri: String,
}

impl std::fmt::Debug for PendingAuthorization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingAuthorization")
            .field("url", &crate::http::origin_path(&self.url))
            .field("state", &self.state)
            .field("verifier", &self.verifier)
            .field("nonce", &self.nonce)
            .field("redirect_uri", &self.redirect_uri)
            .finish()
    }
}

/// What the exchange got: the token response and the nonce that its
/// id_token must carry.
#[derive(Debug)]
pub struct Exchanged {
    pub response: SmartTokenResponse,
    pub nonce: Option<Secret>,
}

impl PendingAuthorization {
    /// Phase 1: new `state`, PKCE pair and `nonce`, and the URL to send the
    /// user to.
    pub fn prepare(req: &AuthorizeRequest) -> Result<PendingAuthorization> {
        Self::prepare_with(req, super::pkce::new_state())
    }

    fn prepare_with(req: &AuthorizeRequest, state: CsrfToken) -> Result<PendingAuthorization> {
        let redirect = RedirectUrl::new(req.redirect_uri.to_owned())
            .map_err(|e| Error::usage(format!("redirect URI `{}`: {e}", req.redirect_uri)))?;
        let client = BasicClient::new(ClientId::new(req.client_id.to_owned()))
            .set_auth_uri(AuthUrl::from_url(req.endpoint.clone()))
            .set_redirect_uri(redirect);
        let nonce = req.nonce.then(super::pkce::new_nonce);
        let (challenge, verifier) = if req.pkce {
            let (c, v) = PkceCodeChallenge::new_random_sha256();
            (Some(c), Some(v))
        } else {
            (None, None)
        };
        let mut ask = client.authorize_url(|| state).add_scopes(
            req.scope
                .split_whitespace()
                .map(|s| Scope::new(s.to_owned())),
        );
        if let Some(c) = challenge {
            ask = ask.set_pkce_challenge(c);
        }
        if let Some(aud) = req.aud {
            ask = ask.add_extra_param("aud", aud);
        }
        if let Some(n) = &nonce {
            ask = ask.add_extra_param("nonce", n.expose());
        }
        if let Some(l) = req.launch {
            ask = ask.add_extra_param("launch", l);
        }
        for (k, v) in req.extra {
            ask = ask.add_extra_param(k.as_str(), v.as_str());
        }
        let (url, state) = ask.url();
        Ok(PendingAuthorization {
            url,
            state,
            verifier,
            nonce,
            redirect_uri: req.redirect_uri.to_owned(),
        })
    }

    /// Where to send the user.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The `state` the callback must bring back.
    pub fn state(&self) -> &CsrfToken {
        &self.state
    }

    #[cfg(test)]
    pub fn uses_pkce(&self) -> bool {
        self.verifier.is_some()
    }

    /// Phase 3: the code for tokens, with the verifier and the same
    /// redirect_uri. Consumes the pending authorization.
    pub async fn exchange(
        self,
        http: &Http,
        token_url: &Url,
        auth: &ClientAuth,
        code: AuthorizationCode,
    ) -> Result<Exchanged> {
        let response = super::token_endpoint::exchange_code(
            http,
            token_url,
            auth,
            code,
            &self.redirect_uri,
            self.verifier,
        )
        .await?;
        Ok(Exchanged {
            response,
            nonce: self.nonce,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request<'a>(ep: &'a Url, extra: &'a BTreeMap<String, String>) -> AuthorizeRequest<'a> {
        AuthorizeRequest {
            endpoint: ep,
            client_id: "app",
            redirect_uri: "http://127.0.0.1:5000/callback",
            scope: "openid patient/*.rs",
            pkce: true,
            aud: Some("https://ehr.example.org/fhir"),
            nonce: true,
            launch: Some("L1"),
            extra,
        }
    }

    #[test]
    fn carries_every_parameter_encoded() {
        let ep = Url::parse("https://ehr.example.org/authorize?tenant=1").unwrap();
        let extra = BTreeMap::from([("prompt".to_owned(), "login".to_owned())]);
        let p = PendingAuthorization::prepare(&request(&ep, &extra)).unwrap();
        let u = p.url();
        let q: BTreeMap<_, _> = u.query_pairs().into_owned().collect();
        assert_eq!(q["tenant"], "1");
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["client_id"], "app");
        assert_eq!(q["scope"], "openid patient/*.rs");
        assert_eq!(q["redirect_uri"], "http://127.0.0.1:5000/callback");
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["code_challenge"].len(), 43);
        assert_eq!(q["aud"], "https://ehr.example.org/fhir");
        assert_eq!(q["launch"], "L1");
        assert_eq!(q["prompt"], "login");
        assert_eq!(q["state"], p.state().secret().as_str());
        assert_eq!(q["state"].len(), 43, "256 random bits");
        assert_eq!(q["nonce"].len(), 43);
        assert!(
            u.as_str().contains("scope=openid+patient%2F*.rs")
                || u.as_str().contains("scope=openid+patient%2F%2A.rs")
        );
        assert!(p.uses_pkce());
    }

    #[test]
    fn the_challenge_is_the_s256_of_the_kept_verifier() {
        let ep = Url::parse("https://ehr.example.org/authorize").unwrap();
        let extra = BTreeMap::new();
        let p = PendingAuthorization::prepare(&request(&ep, &extra)).unwrap();
        let q: BTreeMap<_, _> = p.url().query_pairs().into_owned().collect();
        let v = p.verifier.as_ref().unwrap();
        assert_eq!(
            q["code_challenge"],
            PkceCodeChallenge::from_code_verifier_sha256(v).as_str()
        );
        // Debug output names no secret.
        let d = format!("{p:?}");
        assert!(!d.contains(v.secret().as_str()), "{d}");
        assert!(!d.contains(p.state().secret().as_str()), "{d}");
    }

    #[test]
    fn without_pkce_there_is_no_challenge() {
        let ep = Url::parse("https://ehr.example.org/authorize").unwrap();
        let extra = BTreeMap::new();
        let mut r = request(&ep, &extra);
        r.pkce = false;
        r.nonce = false;
        r.aud = None;
        let p = PendingAuthorization::prepare_with(&r, CsrfToken::new("st".into())).unwrap();
        let q: BTreeMap<_, _> = p.url().query_pairs().into_owned().collect();
        assert!(!q.contains_key("code_challenge") && !q.contains_key("nonce"));
        assert!(!q.contains_key("aud"));
        assert_eq!(q["state"], "st");
    }
}
