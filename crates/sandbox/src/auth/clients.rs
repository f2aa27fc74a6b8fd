//! The client registry: two built-in registrations, clients from
//! `--clients FILE`, and clients registered at run time (RFC 7591).
//!
//! Client metadata is validated in one place ([`Client::from_metadata`]) so
//! that a file and a registration request are held to the same rules.

use std::collections::HashMap;
use std::path::Path;
use std::sync::RwLock;

use serde_json::{Value, json};
use url::Url;

/// Said with every "unknown client": registrations live in memory, so a
/// restarted sandbox has forgotten the clients registered before.
pub(crate) const FORGOTTEN: &str = "this sandbox keeps registered clients in memory, and a restart forgets them: register again with `smart register --force`";

/// The built-in public client: loopback redirect on any port, path `/callback`.
pub(crate) const PUBLIC_CLIENT_ID: &str = "smart-cli";
/// The built-in confidential-symmetric client and its (documented, fixed) secret.
pub(crate) const CONFIDENTIAL_CLIENT_ID: &str = "smart-confidential";
pub(crate) const CONFIDENTIAL_CLIENT_SECRET: &str = "smart-sandbox-secret";

/// How a client authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthMethod {
    None,
    ClientSecretBasic,
    ClientSecretPost,
    PrivateKeyJwt,
}

impl AuthMethod {
    pub(crate) fn name(self) -> &'static str {
        match self {
            AuthMethod::None => "none",
            AuthMethod::ClientSecretBasic => "client_secret_basic",
            AuthMethod::ClientSecretPost => "client_secret_post",
            AuthMethod::PrivateKeyJwt => "private_key_jwt",
        }
    }
    fn parse(s: &str) -> Option<AuthMethod> {
        Some(match s {
            "none" => AuthMethod::None,
            "client_secret_basic" => AuthMethod::ClientSecretBasic,
            "client_secret_post" => AuthMethod::ClientSecretPost,
            "private_key_jwt" => AuthMethod::PrivateKeyJwt,
            _ => return None,
        })
    }
    pub(crate) fn is_symmetric(self) -> bool {
        matches!(
            self,
            AuthMethod::ClientSecretBasic | AuthMethod::ClientSecretPost
        )
    }
}

#[derive(Debug, Clone)]
pub struct Client {
    pub(crate) client_id: String,
    pub(crate) client_name: Option<String>,
    pub secret: Option<String>,
    /// Methods this client may authenticate with. Registrations carry one;
    /// the built-in confidential client accepts both secret methods.
    pub(crate) auth_methods: Vec<AuthMethod>,
    pub(crate) redirect_uris: Vec<String>,
    pub(crate) grant_types: Vec<String>,
    /// Inline JWKS (`{"keys":[…]}`) for private_key_jwt.
    pub(crate) jwks: Option<Value>,
    pub(crate) jwks_uri: Option<Url>,
    /// Registered scope limit; `None` = any scope.
    pub(crate) scope: Option<Vec<String>>,
}

/// A registration the sandbox refuses: RFC 7591 §3.2.2 error code + why.
#[derive(Debug, Clone)]
pub(crate) struct MetadataError {
    pub(crate) error: &'static str,
    pub(crate) description: String,
}

fn bad_meta(d: impl Into<String>) -> MetadataError {
    MetadataError {
        error: "invalid_client_metadata",
        description: d.into(),
    }
}

const GRANT_TYPES: &[&str] = &["authorization_code", "refresh_token", "client_credentials"];

impl Client {
    pub(crate) fn allows_grant(&self, grant_type: &str) -> bool {
        self.grant_types.iter().any(|g| g == grant_type)
    }

    pub(crate) fn is_public(&self) -> bool {
        self.auth_methods == [AuthMethod::None]
    }

    /// Is `presented` one of this client's redirect URIs? Exact string
    /// match, except that loopback `http` URIs match on any port
    /// (RFC 8252 §7.3), the rest (host, path, query) still exactly.
    pub(crate) fn redirect_uri_allowed(&self, presented: &str) -> bool {
        self.redirect_uris
            .iter()
            .any(|r| r == presented || loopback_equal(r, presented))
    }

    /// Builds a client from RFC 7591 metadata (`meta`), with the given id and
    /// secret. For symmetric methods a missing secret is an error. A
    /// `jwks_uri` must be https, or plain http on loopback when
    /// `allow_loopback_jwks_uri`.
    pub(crate) fn from_metadata(
        meta: &Value,
        client_id: String,
        secret: Option<String>,
        allow_loopback_jwks_uri: bool,
    ) -> Result<Client, MetadataError> {
        let obj = meta
            .as_object()
            .ok_or_else(|| bad_meta("client metadata must be a JSON object"))?;
        let str_field = |name: &str| -> Result<Option<String>, MetadataError> {
            match obj.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(bad_meta(format!("`{name}` must be a string"))),
            }
        };
        let list_field = |name: &str| -> Result<Option<Vec<String>>, MetadataError> {
            match obj.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::Array(a)) => a
                    .iter()
                    .map(|v| {
                        v.as_str()
                            .map(str::to_owned)
                            .ok_or_else(|| bad_meta(format!("`{name}` must hold strings")))
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map(Some),
                Some(_) => Err(bad_meta(format!("`{name}` must be an array of strings"))),
            }
        };

        let method_name = str_field("token_endpoint_auth_method")?
            .unwrap_or_else(|| "client_secret_basic".into());
        let method = AuthMethod::parse(&method_name).ok_or_else(|| {
            bad_meta(format!(
                "token_endpoint_auth_method `{method_name}` is not supported"
            ))
        })?;

        let grant_types =
            list_field("grant_types")?.unwrap_or_else(|| vec!["authorization_code".into()]);
        if grant_types.is_empty() {
            return Err(bad_meta("grant_types must not be empty"));
        }
        if let Some(g) = grant_types
            .iter()
            .find(|g| !GRANT_TYPES.contains(&g.as_str()))
        {
            return Err(bad_meta(format!("grant type `{g}` is not supported")));
        }
        if let Some(rt) = list_field("response_types")?
            && rt.iter().any(|r| r != "code")
        {
            return Err(bad_meta("only the `code` response type is supported"));
        }

        let redirect_uris = list_field("redirect_uris")?.unwrap_or_default();
        let uses_code = grant_types.iter().any(|g| g == "authorization_code");
        if uses_code && redirect_uris.is_empty() {
            return Err(MetadataError {
                error: "invalid_redirect_uri",
                description: "redirect_uris is required for the authorization_code grant".into(),
            });
        }
        for r in &redirect_uris {
            check_redirect_uri(r)?;
        }

        if grant_types.iter().any(|g| g == "client_credentials")
            && method != AuthMethod::PrivateKeyJwt
        {
            return Err(bad_meta(
                "client_credentials needs token_endpoint_auth_method private_key_jwt (SMART Backend Services)",
            ));
        }

        let jwks = match obj.get("jwks") {
            None | Some(Value::Null) => None,
            Some(v @ Value::Object(o)) if o.get("keys").is_some_and(Value::is_array) => {
                Some(v.clone())
            }
            Some(_) => return Err(bad_meta("`jwks` must be an object with a `keys` array")),
        };
        let jwks_uri = match str_field("jwks_uri")? {
            None => None,
            Some(s) => Some(check_jwks_uri(&s, allow_loopback_jwks_uri)?),
        };
        if jwks.is_some() && jwks_uri.is_some() {
            return Err(bad_meta(
                "give either jwks or jwks_uri, not both (RFC 7591 §2)",
            ));
        }
        if method == AuthMethod::PrivateKeyJwt && jwks.is_none() && jwks_uri.is_none() {
            return Err(bad_meta("private_key_jwt needs jwks or jwks_uri"));
        }

        let secret = if method.is_symmetric() {
            Some(secret.ok_or_else(|| bad_meta(format!("{method_name} needs a client_secret")))?)
        } else {
            None
        };
        let scope = str_field("scope")?.map(|s| super::super::scopes::split(&s));

        Ok(Client {
            client_id,
            client_name: str_field("client_name")?,
            secret,
            auth_methods: vec![method],
            redirect_uris,
            grant_types,
            jwks,
            jwks_uri,
            scope,
        })
    }

    /// The registration as RFC 7591 metadata (secret included: only ever
    /// shown to the client that registered, or printed at start).
    pub(crate) fn metadata(&self) -> Value {
        let mut m = json!({
            "client_id": self.client_id,
            "token_endpoint_auth_method": self.auth_methods.first().map(|m| m.name()),
            "grant_types": self.grant_types,
            "response_types": if self.allows_grant("authorization_code") { json!(["code"]) } else { json!([]) },
            "redirect_uris": self.redirect_uris,
        });
        if let Some(n) = &self.client_name {
            m["client_name"] = json!(n);
        }
        if let Some(s) = &self.secret {
            m["client_secret"] = json!(s);
            m["client_secret_expires_at"] = json!(0);
        }
        if let Some(j) = &self.jwks {
            m["jwks"] = j.clone();
        }
        if let Some(u) = &self.jwks_uri {
            m["jwks_uri"] = json!(u.as_str());
        }
        if let Some(s) = &self.scope {
            m["scope"] = json!(s.join(" "));
        }
        m
    }
}

/// Both are `http` loopback URIs that differ at most in the port.
fn loopback_equal(registered: &str, presented: &str) -> bool {
    let (Ok(mut r), Ok(mut p)) = (Url::parse(registered), Url::parse(presented)) else {
        return false;
    };
    if r.scheme() != "http" || p.scheme() != "http" || !smart_vocab::is_loopback(&r) {
        return false;
    }
    if r.host() != p.host() || p.fragment().is_some() || !p.username().is_empty() {
        return false;
    }
    let (Ok(()), Ok(())) = (r.set_port(None), p.set_port(None)) else {
        return false;
    };
    r == p
}

/// Redirect URIs must be absolute, without fragment (RFC 6749 §3.1.2), and
/// plain http only on loopback (RFC 8252 §8.3). Private-use schemes for
/// native apps are allowed.
fn check_redirect_uri(r: &str) -> Result<(), MetadataError> {
    let bad = |why: &str| MetadataError {
        error: "invalid_redirect_uri",
        description: format!("redirect_uri `{r}` {why}"),
    };
    let u = Url::parse(r).map_err(|_| bad("is not an absolute URI"))?;
    if u.fragment().is_some() {
        return Err(bad("must not have a fragment"));
    }
    if u.scheme() == "http" && !smart_vocab::is_loopback(&u) {
        return Err(bad("uses http on a non-loopback host"));
    }
    if u.scheme() == "javascript" || u.scheme() == "data" {
        return Err(bad("uses a forbidden scheme"));
    }
    Ok(())
}

/// The sandbox fetches a `jwks_uri` on every assertion, so whoever can
/// register could point it at any host: https only, and plain http only on
/// loopback and only when the operator allows it (for local tests).
fn check_jwks_uri(s: &str, allow_loopback: bool) -> Result<Url, MetadataError> {
    let u = Url::parse(s)
        .ok()
        .filter(|u| matches!(u.scheme(), "https" | "http") && u.host().is_some())
        .ok_or_else(|| bad_meta(format!("jwks_uri `{s}` is not an http(s) URL")))?;
    match u.scheme() {
        "http" if !smart_vocab::is_loopback(&u) => Err(bad_meta(format!(
            "jwks_uri `{s}` must be https (plain http only on loopback)"
        ))),
        "http" if !allow_loopback => Err(bad_meta(format!(
            "jwks_uri `{s}` must be https; plain http on loopback needs `smart sandbox --allow-loopback-jwks-uri`"
        ))),
        _ => Ok(u),
    }
}

pub(crate) struct Registry(RwLock<HashMap<String, Client>>);

impl Registry {
    pub(crate) fn with_builtins() -> Registry {
        let loopback: Vec<String> = [
            "http://127.0.0.1/callback",
            "http://localhost/callback",
            "http://[::1]/callback",
        ]
        .into_iter()
        .map(str::to_owned)
        .collect();
        let grants = vec!["authorization_code".to_owned(), "refresh_token".to_owned()];
        let mut map = HashMap::new();
        map.insert(
            PUBLIC_CLIENT_ID.to_owned(),
            Client {
                client_id: PUBLIC_CLIENT_ID.into(),
                client_name: Some("smart command-line tool (public client)".into()),
                secret: None,
                auth_methods: vec![AuthMethod::None],
                redirect_uris: loopback.clone(),
                grant_types: grants.clone(),
                jwks: None,
                jwks_uri: None,
                scope: None,
            },
        );
        map.insert(
            CONFIDENTIAL_CLIENT_ID.to_owned(),
            Client {
                client_id: CONFIDENTIAL_CLIENT_ID.into(),
                client_name: Some("confidential client (client_secret_basic or _post)".into()),
                secret: Some(CONFIDENTIAL_CLIENT_SECRET.into()),
                auth_methods: vec![AuthMethod::ClientSecretBasic, AuthMethod::ClientSecretPost],
                redirect_uris: loopback,
                grant_types: grants,
                jwks: None,
                jwks_uri: None,
                scope: None,
            },
        );
        Registry(RwLock::new(map))
    }

    pub(crate) fn get(&self, client_id: &str) -> Option<Client> {
        self.0
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(client_id)
            .cloned()
    }

    pub(crate) fn insert(&self, client: Client) {
        self.0
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(client.client_id.clone(), client);
    }

    /// Removes a registration; whether there was one.
    pub(crate) fn remove(&self, client_id: &str) -> bool {
        self.0
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(client_id)
            .is_some()
    }

    /// Every registration, sorted by id (what `smart sandbox` prints).
    pub(crate) fn all(&self) -> Vec<Client> {
        let mut v: Vec<Client> = self
            .0
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect();
        v.sort_by(|a, b| a.client_id.cmp(&b.client_id));
        v
    }

    /// Adds the clients of a `--clients` file: a JSON array of RFC 7591
    /// metadata objects, each with `client_id` (and `client_secret` for the
    /// secret methods).
    pub(crate) fn load_file(
        &self,
        path: &Path,
        allow_loopback_jwks_uri: bool,
    ) -> anyhow::Result<()> {
        let shown = path.display();
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read clients file {shown}: {e}"))?;
        let v: Value = serde_json::from_str(&text)
            .map_err(|e| anyhow::anyhow!("clients file {shown} is not valid JSON: {e}"))?;
        let arr = v.as_array().ok_or_else(|| {
            anyhow::anyhow!("clients file {shown} must hold a JSON array of client objects")
        })?;
        for (i, c) in arr.iter().enumerate() {
            let id = c
                .get("client_id")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .ok_or_else(|| {
                    anyhow::anyhow!("clients file {shown}: client #{} has no client_id", i + 1)
                })?;
            let secret = c
                .get("client_secret")
                .and_then(Value::as_str)
                .map(str::to_owned);
            let client = Client::from_metadata(c, id.to_owned(), secret, allow_loopback_jwks_uri)
                .map_err(|e| {
                anyhow::anyhow!("clients file {shown}: client `{id}`: {}", e.description)
            })?;
            self.insert(client);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_redirects_match_on_any_port_only() {
        let reg = Registry::with_builtins();
        let c = reg.get(PUBLIC_CLIENT_ID).unwrap();
        assert!(c.redirect_uri_allowed("http://127.0.0.1:5555/callback"));
        assert!(c.redirect_uri_allowed("http://127.0.0.1/callback"));
        assert!(c.redirect_uri_allowed("http://[::1]:1/callback"));
        assert!(c.redirect_uri_allowed("http://localhost:80/callback"));
        assert!(!c.redirect_uri_allowed("http://127.0.0.1:5555/other"));
        assert!(!c.redirect_uri_allowed("http://127.0.0.1:5555/callback?x=1"));
        assert!(!c.redirect_uri_allowed("http://127.0.0.2:5555/callback"));
        assert!(!c.redirect_uri_allowed("https://127.0.0.1:5555/callback"));
        assert!(!c.redirect_uri_allowed("http://evil.example/callback"));
        assert!(!c.redirect_uri_allowed("http://127.0.0.1:5555/callback#f"));
    }

    #[test]
    fn metadata_rules() {
        let ok = Client::from_metadata(
            &json!({"redirect_uris": ["https://app.example/cb"], "token_endpoint_auth_method": "none"}),
            "a".into(),
            None,
            false,
        )
        .unwrap();
        assert!(ok.redirect_uri_allowed("https://app.example/cb"));
        assert!(!ok.redirect_uri_allowed("https://app.example:8443/cb"));
        for bad in [
            json!({"redirect_uris": ["http://app.example/cb"], "token_endpoint_auth_method": "none"}),
            json!({"token_endpoint_auth_method": "none"}),
            json!({"redirect_uris": ["https://a/cb"], "token_endpoint_auth_method": "magic"}),
            json!({"grant_types": ["client_credentials"], "token_endpoint_auth_method": "client_secret_basic"}),
            json!({"grant_types": ["client_credentials"], "token_endpoint_auth_method": "private_key_jwt"}),
            json!({"redirect_uris": ["https://a/cb#x"], "token_endpoint_auth_method": "none"}),
            json!({"grant_types": ["client_credentials"], "token_endpoint_auth_method": "private_key_jwt",
                   "jwks_uri": "http://keys.example/jwks.json"}),
            json!({"grant_types": ["client_credentials"], "token_endpoint_auth_method": "private_key_jwt",
                   "jwks_uri": "file:///etc/passwd"}),
        ] {
            assert!(
                Client::from_metadata(&bad, "b".into(), Some("s".into()), true).is_err(),
                "{bad}"
            );
        }
    }
}
