//! The authorization request URL (SMART App Launch "Obtain authorization
//! code"): response_type, client_id, redirect_uri, scope, state, aud, PKCE,
//! nonce, launch — plus any extra parameters a profile records.

use std::collections::BTreeMap;
use url::Url;

use crate::secret::Secret;

pub struct AuthorizeRequest<'a> {
    pub endpoint: &'a Url,
    pub client_id: &'a str,
    pub redirect_uri: &'a str,
    pub scope: &'a str,
    pub state: &'a Secret,
    /// The S256 challenge, or `None` when the profile says PKCE only
    /// if advertised and the server does not advertise it.
    pub code_challenge: Option<&'a str>,
    pub aud: Option<&'a str>,
    pub nonce: Option<&'a Secret>,
    pub launch: Option<&'a str>,
    pub extra: &'a BTreeMap<String, String>,
}

impl AuthorizeRequest<'_> {
    pub fn url(&self) -> Url {
        let mut u = self.endpoint.clone();
        {
            let mut q = u.query_pairs_mut();
            q.append_pair("response_type", "code")
                .append_pair("client_id", self.client_id)
                .append_pair("redirect_uri", self.redirect_uri)
                .append_pair("scope", self.scope)
                .append_pair("state", self.state.expose());
            if let Some(aud) = self.aud {
                q.append_pair("aud", aud);
            }
            if let Some(c) = self.code_challenge {
                q.append_pair("code_challenge", c)
                    .append_pair("code_challenge_method", "S256");
            }
            if let Some(n) = self.nonce {
                q.append_pair("nonce", n.expose());
            }
            if let Some(l) = self.launch {
                q.append_pair("launch", l);
            }
            for (k, v) in self.extra {
                q.append_pair(k, v);
            }
        }
        u
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carries_every_parameter_encoded() {
        let ep = Url::parse("https://ehr.example.org/authorize?tenant=1").unwrap();
        let state = Secret::new("st");
        let nonce = Secret::new("no");
        let extra = BTreeMap::from([("prompt".to_owned(), "login".to_owned())]);
        let r = AuthorizeRequest {
            endpoint: &ep,
            client_id: "app",
            redirect_uri: "http://127.0.0.1:5000/callback",
            scope: "openid patient/*.rs",
            state: &state,
            code_challenge: Some("ch"),
            aud: Some("https://ehr.example.org/fhir"),
            nonce: Some(&nonce),
            launch: Some("L1"),
            extra: &extra,
        };
        let u = r.url();
        let q: BTreeMap<_, _> = u.query_pairs().into_owned().collect();
        assert_eq!(q["tenant"], "1");
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["scope"], "openid patient/*.rs");
        assert_eq!(q["redirect_uri"], "http://127.0.0.1:5000/callback");
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["aud"], "https://ehr.example.org/fhir");
        assert_eq!(q["launch"], "L1");
        assert_eq!(q["prompt"], "login");
        assert!(
            u.as_str().contains("scope=openid+patient%2F*.rs")
                || u.as_str().contains("scope=openid+patient%2F%2A.rs")
        );
    }
}
