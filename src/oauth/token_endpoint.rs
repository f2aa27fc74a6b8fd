//! Token endpoint requests (code exchange, refresh, client credentials) on
//! the `oauth2` crate, with client authentication, and checks of the answer.
//!
//! The crate builds and reads the requests; they travel over our [`Http`]
//! (see [`super::transport`]), which never follows redirects (RFC 9700
//! §4.11): a 3xx from a token endpoint is an error, not a hop.
//!
//! Kept by hand: `private_key_jwt`, which the crate does not know — the
//! client assertion goes in as extra parameters, with no secret — and the
//! client authentication of our own revocation requests (RFC 7009, which the
//! crate refuses on plain-http loopback servers). Introspection keeps its
//! own request too, in `commands/token.rs`: it prints the answer as sent.

use base64::Engine;
use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
};
use oauth2::{
    AuthType, AuthorizationCode, ClientId, ClientSecret, EndpointNotSet, EndpointSet,
    PkceCodeVerifier, RedirectUrl, RefreshToken, RequestTokenError, Scope, StandardRevocableToken,
    TokenUrl,
};
use url::Url;

use super::keys::SigningKey;
use super::response::SmartTokenResponse;
use super::transport::{ErrorAnswer, Transport};
use crate::config::{BasicAuthEncoding, TokenAuthMethod};
use crate::error::{Error, OAuthError, OAuthErrorCode, Result, token_endpoint_kind};
use crate::http::Http;

/// How the client proves who it is at the token endpoint. Built once, where
/// the profile is resolved: a client that needs a secret or a key and has
/// none fails there, before any request.
#[derive(Debug, Clone)]
pub enum ClientAuth {
    /// A public client: only its `client_id` in the form.
    None { client_id: String },
    /// `client_secret_basic` or `client_secret_post`.
    Secret {
        client_id: String,
        secret: ClientSecret,
        method: SecretMethod,
    },
    /// `private_key_jwt`: a new signed assertion per request.
    Assertion { client_id: String, key: SigningKey },
}

/// Where a client secret goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretMethod {
    /// `Authorization: Basic`, id and secret form-encoded first (RFC 6749
    /// §2.3.1), or raw for servers that want plain HTTP Basic.
    Basic(BasicAuthEncoding),
    /// `client_id` and `client_secret` in the form body.
    Post,
}

impl ClientAuth {
    /// The authentication `method` asks for, from what is stored: `secret`
    /// for the secret methods, `key` for `private_key_jwt`; a missing one is
    /// an error now. `profile` names the profile in the error.
    pub fn build(
        method: TokenAuthMethod,
        client_id: &str,
        profile: &str,
        secret: Option<ClientSecret>,
        key: Option<SigningKey>,
    ) -> Result<ClientAuth> {
        let client_id = client_id.to_owned();
        let secret_method = match method {
            TokenAuthMethod::None => return Ok(ClientAuth::None { client_id }),
            TokenAuthMethod::PrivateKeyJwt => {
                let key = key.ok_or_else(|| {
                    Error::auth(format!(
                        "client `{client_id}` authenticates with private_key_jwt, and no private key is configured"
                    ))
                    .with_hint("set SMART_PRIVATE_KEY, or the profile's private_key (`smart keys generate`)")
                })?;
                return Ok(ClientAuth::Assertion { client_id, key });
            }
            TokenAuthMethod::ClientSecretBasic => SecretMethod::Basic(BasicAuthEncoding::Form),
            TokenAuthMethod::ClientSecretPost => SecretMethod::Post,
        };
        let secret = secret.ok_or_else(|| {
            Error::auth(format!(
                "profile `{profile}` needs a client secret, and none is stored"
            ))
            .with_hint(format!(
                "store it with `smart profile set-secret {profile}` or pass --secret-stdin"
            ))
        })?;
        Ok(ClientAuth::Secret {
            client_id,
            secret,
            method: secret_method,
        })
    }

    /// The profile's `basic_auth_encoding` for client_secret_basic (other
    /// methods are unchanged).
    pub fn with_basic_encoding(mut self, encoding: BasicAuthEncoding) -> ClientAuth {
        if let ClientAuth::Secret {
            method: SecretMethod::Basic(e),
            ..
        } = &mut self
        {
            *e = encoding;
        }
        self
    }

    /// The `Authorization` value to send instead of the crate's, for raw
    /// Basic (the crate always form-encodes).
    fn raw_basic(&self) -> Option<String> {
        match self {
            ClientAuth::Secret {
                client_id,
                secret,
                method: SecretMethod::Basic(BasicAuthEncoding::Raw),
            } => Some(basic_authorization(
                client_id,
                secret,
                BasicAuthEncoding::Raw,
            )),
            _ => None,
        }
    }

    /// For an `invalid_client` answer to client_secret_basic: when the id or
    /// secret has characters that form-encoding changes, the other encoding
    /// may be what the server wants. Names the setting, never the secret.
    fn encoding_hint(&self) -> Option<&'static str> {
        let ClientAuth::Secret {
            client_id,
            secret,
            method: SecretMethod::Basic(encoding),
        } = self
        else {
            return None;
        };
        let changed = |s: &str| form_encode(s) != s;
        if !changed(client_id) && !changed(secret.secret()) {
            return None;
        }
        Some(match encoding {
            BasicAuthEncoding::Form => {
                "the client secret (or id) has characters that RFC 6749 form-encodes before Basic auth, and some servers (Epic is reported) want them raw: set `basic_auth_encoding = \"raw\"` in the profile"
            }
            BasicAuthEncoding::Raw => {
                "the client secret (or id) was sent raw (`basic_auth_encoding = \"raw\"`), and it has characters that RFC 6749 form-encodes first: remove basic_auth_encoding from the profile"
            }
        })
    }

    pub fn client_id(&self) -> &str {
        match self {
            ClientAuth::None { client_id }
            | ClientAuth::Secret { client_id, .. }
            | ClientAuth::Assertion { client_id, .. } => client_id,
        }
    }

    /// The method, as recorded in the token set for later refreshes.
    pub fn method(&self) -> TokenAuthMethod {
        match self {
            ClientAuth::None { .. } => TokenAuthMethod::None,
            ClientAuth::Secret {
                method: SecretMethod::Basic(_),
                ..
            } => TokenAuthMethod::ClientSecretBasic,
            ClientAuth::Secret {
                method: SecretMethod::Post,
                ..
            } => TokenAuthMethod::ClientSecretPost,
            ClientAuth::Assertion { .. } => TokenAuthMethod::PrivateKeyJwt,
        }
    }

    /// `client_assertion_type` and `client_assertion` for `private_key_jwt`,
    /// none otherwise. A new assertion per request: its jti must never
    /// repeat, and its `aud` is the token URL.
    fn assertion_params(&self, token_url: &str) -> Result<Vec<(&'static str, String)>> {
        let ClientAuth::Assertion { client_id, key } = self else {
            return Ok(Vec::new());
        };
        let jwt = super::assertion::sign(key, client_id, token_url)?;
        Ok(vec![
            (
                "client_assertion_type",
                super::assertion::JWT_BEARER.to_owned(),
            ),
            ("client_assertion", jwt.expose().to_owned()),
        ])
    }

    /// Authenticates one of our own form requests (revocation: not done by
    /// the crate, see the module docs).
    /// `token_url` is the assertion's audience.
    pub fn own_request(&self, token_url: &str) -> Result<OwnRequestAuth> {
        let id = ("client_id", self.client_id().to_owned());
        let (authorization, form) = match self {
            ClientAuth::None { .. } => (None, vec![id]),
            ClientAuth::Secret {
                client_id,
                secret,
                method: SecretMethod::Basic(encoding),
            } => (
                Some(basic_authorization(client_id, secret, *encoding)),
                Vec::new(),
            ),
            ClientAuth::Secret {
                secret,
                method: SecretMethod::Post,
                ..
            } => (
                None,
                vec![id, ("client_secret", secret.secret().to_owned())],
            ),
            ClientAuth::Assertion { .. } => {
                let mut form = vec![id];
                form.extend(self.assertion_params(token_url)?);
                (None, form)
            }
        };
        Ok(OwnRequestAuth {
            authorization,
            form,
        })
    }
}

/// Client authentication for one of our own requests. No `Debug`: it holds
/// the secret or the assertion in plain text.
pub struct OwnRequestAuth {
    /// The `Authorization` header value, for client_secret_basic.
    pub authorization: Option<String>,
    /// Form fields to add.
    pub form: Vec<(&'static str, String)>,
}

/// The crate's client, with our response type and the token URL set.
type Client = oauth2::Client<
    BasicErrorResponse,
    SmartTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

fn client(auth: &ClientAuth, token_url: &Url) -> Client {
    let c = oauth2::Client::new(ClientId::new(auth.client_id().to_owned()))
        .set_token_uri(TokenUrl::from_url(token_url.clone()));
    match auth {
        ClientAuth::Secret { secret, method, .. } => c
            .set_client_secret(secret.clone())
            .set_auth_type(match method {
                SecretMethod::Basic(_) => AuthType::BasicAuth,
                SecretMethod::Post => AuthType::RequestBody,
            }),
        // No secret: the crate puts client_id in the form.
        ClientAuth::None { .. } | ClientAuth::Assertion { .. } => c,
    }
}

/// `authorization_code` (RFC 6749 §4.1.3 with RFC 7636's verifier). The
/// code is taken by value: it can be used once.
pub async fn exchange_code(
    http: &Http,
    token_url: &Url,
    auth: &ClientAuth,
    code: AuthorizationCode,
    redirect_uri: &str,
    verifier: Option<PkceCodeVerifier>,
) -> Result<SmartTokenResponse> {
    let redirect = RedirectUrl::new(redirect_uri.to_owned())
        .map_err(|e| Error::usage(format!("redirect URI `{redirect_uri}`: {e}")))?;
    let client = client(auth, token_url).set_redirect_uri(redirect);
    let mut req = client.exchange_code(code);
    if let Some(v) = verifier {
        req = req.set_pkce_verifier(v);
    }
    for (k, v) in auth.assertion_params(token_url.as_str())? {
        req = req.add_extra_param(k, v);
    }
    let transport = Transport::new(http, "token endpoint").with_authorization(auth.raw_basic());
    let result = req.request_async(&transport).await;
    answer(&transport, auth, result)
}

/// `refresh_token` (RFC 6749 §6).
pub async fn refresh(
    http: &Http,
    token_url: &Url,
    auth: &ClientAuth,
    refresh_token: &RefreshToken,
) -> Result<SmartTokenResponse> {
    let client = client(auth, token_url);
    let mut req = client.exchange_refresh_token(refresh_token);
    for (k, v) in auth.assertion_params(token_url.as_str())? {
        req = req.add_extra_param(k, v);
    }
    let transport = Transport::new(http, "token endpoint").with_authorization(auth.raw_basic());
    let result = req.request_async(&transport).await;
    answer(&transport, auth, result)
}

/// `client_credentials` (RFC 6749 §4.4; SMART Backend Services).
pub async fn client_credentials(
    http: &Http,
    token_url: &Url,
    auth: &ClientAuth,
    scope: &str,
) -> Result<SmartTokenResponse> {
    let client = client(auth, token_url);
    let mut req = client
        .exchange_client_credentials()
        .add_scopes(scope.split_whitespace().map(|s| Scope::new(s.to_owned())));
    for (k, v) in auth.assertion_params(token_url.as_str())? {
        req = req.add_extra_param(k, v);
    }
    let transport = Transport::new(http, "token endpoint").with_authorization(auth.raw_basic());
    let result = req.request_async(&transport).await;
    answer(&transport, auth, result)
}

/// The crate's result in our terms, with the hint a server's
/// `invalid_client` earns when the Basic encoding may be the cause.
fn answer(
    transport: &Transport,
    auth: &ClientAuth,
    result: std::result::Result<SmartTokenResponse, RequestTokenError<Error, BasicErrorResponse>>,
) -> Result<SmartTokenResponse> {
    read_answer(transport.error_answer(), result).map_err(|err| match auth.encoding_hint() {
        Some(h) if err.oauth_code() == Some(&OAuthErrorCode::InvalidClient) => err.with_hint(h),
        _ => err,
    })
}

/// The crate's result in our terms. The RFC 6749 `error` code becomes
/// [`OAuthError`]; its kind (exit code) follows the HTTP status.
/// `seen` is the error answer the transport passed on, if any.
pub(crate) fn read_answer(
    seen: Option<ErrorAnswer>,
    result: std::result::Result<SmartTokenResponse, RequestTokenError<Error, BasicErrorResponse>>,
) -> Result<SmartTokenResponse> {
    let err = match result {
        Ok(resp) => return resp.checked(),
        Err(e) => e,
    };
    let status = seen.as_ref().map(|s| s.status.as_u16()).unwrap_or(400);
    Err(match err {
        RequestTokenError::Request(e) => e,
        RequestTokenError::ServerResponse(body) => {
            // The transport's reading of the same body: its description is
            // redacted of what the request carried.
            let oauth = seen
                .as_ref()
                .and_then(|s| s.oauth.clone())
                .unwrap_or(OAuthError {
                    code: OAuthErrorCode::parse(body.error().as_ref()),
                    description: None,
                });
            Error::new(
                token_endpoint_kind(status),
                format!("the token endpoint refused: {oauth}"),
            )
            .with_oauth(oauth)
        }
        // An error answer without a readable RFC 6749 body (an HTML page,
        // nothing at all): its status and the start of the body. The
        // parse error itself is not shown: it may quote the body.
        RequestTokenError::Parse(..) | RequestTokenError::Other(_) => match seen {
            Some(ErrorAnswer {
                oauth: Some(oauth), ..
            }) => Error::new(
                token_endpoint_kind(status),
                format!("the token endpoint refused: {oauth}"),
            )
            .with_oauth(oauth),
            Some(s) => Error::new(
                token_endpoint_kind(status),
                format!("the token endpoint refused: {} ({})", s.status, s.snippet),
            ),
            None => Error::server("the token response cannot be read"),
        },
    })
}

/// `Basic …` for client_secret_basic. RFC 6749 §2.3.1 form-urlencodes the
/// id and the secret before base64 (plain HTTP Basic does not), so a secret
/// with `:` or `%` in it works — as the crate does; `Raw` is plain HTTP
/// Basic, for servers that want that.
pub fn basic_authorization(
    client_id: &str,
    secret: &ClientSecret,
    encoding: BasicAuthEncoding,
) -> String {
    let creds = match encoding {
        BasicAuthEncoding::Form => format!(
            "{}:{}",
            form_encode(client_id),
            form_encode(secret.secret())
        ),
        BasicAuthEncoding::Raw => format!("{client_id}:{}", secret.secret()),
    };
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(creds)
    )
}

fn form_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Scopes asked for but not granted (for a warning).
pub fn missing_scopes<'a>(requested: &'a str, granted: &str) -> Vec<&'a str> {
    let granted: Vec<&str> = granted.split_whitespace().collect();
    requested
        .split_whitespace()
        .filter(|s| !granted.contains(s))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Kind;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A token endpoint that answers each connection with the next canned
    /// response and hands back the requests it received.
    async fn endpoint(answers: Vec<String>) -> (Url, tokio::task::JoinHandle<Vec<String>>) {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = Url::parse(&format!("http://{}/token", l.local_addr().unwrap())).unwrap();
        let seen = tokio::spawn(async move {
            let mut seen = Vec::new();
            for answer in answers {
                let (mut s, _) = l.accept().await.unwrap();
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let n = s.read(&mut chunk).await.unwrap();
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf).to_string();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let len = text[..end]
                            .lines()
                            .find_map(|l| {
                                let (k, v) = l.split_once(':')?;
                                k.eq_ignore_ascii_case("content-length")
                                    .then(|| v.trim().parse::<usize>().unwrap())
                            })
                            .unwrap_or(0);
                        if buf.len() >= end + 4 + len || n == 0 {
                            break;
                        }
                    }
                }
                seen.push(String::from_utf8_lossy(&buf).to_string());
                s.write_all(answer.as_bytes()).await.unwrap();
                s.shutdown().await.unwrap();
            }
            seen
        });
        (url, seen)
    }

    fn answer(status: &str, content_type: &str, body: &str) -> String {
        format!(
            "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
    }

    fn http() -> Http {
        Http::new(&crate::http::Options::default()).unwrap()
    }

    fn basic() -> ClientAuth {
        ClientAuth::Secret {
            client_id: "app".into(),
            secret: ClientSecret::new("s3cret:%".into()),
            method: SecretMethod::Basic(BasicAuthEncoding::Form),
        }
    }

    #[tokio::test]
    async fn a_code_exchange_goes_through_the_crate_and_reads_a_lax_answer() {
        let (url, seen) = endpoint(vec![answer(
            "200 OK",
            "text/plain",
            r#"{"access_token":"AT","token_type":"bearer","expires_in":"3600","patient":"p1"}"#,
        )])
        .await;
        let (_, verifier) = oauth2::PkceCodeChallenge::new_random_sha256();
        let v = verifier.secret().clone();
        let r = exchange_code(
            &http(),
            &url,
            &basic(),
            AuthorizationCode::new("C0DE".into()),
            "http://127.0.0.1:5000/callback",
            Some(verifier),
        )
        .await
        .unwrap();
        assert_eq!(r.lifetime(), Some(3600));
        assert_eq!(r.smart.patient.as_deref(), Some("p1"));
        let req = &seen.await.unwrap()[0];
        let lower = req.to_ascii_lowercase();
        assert!(
            lower.contains(
                &basic_authorization(
                    "app",
                    &ClientSecret::new("s3cret:%".into()),
                    BasicAuthEncoding::Form
                )
                .to_ascii_lowercase()
            ),
            "{req}"
        );
        assert!(req.contains("grant_type=authorization_code"), "{req}");
        assert!(req.contains("code=C0DE"), "{req}");
        assert!(req.contains(&format!("code_verifier={v}")), "{req}");
        assert!(
            req.contains("redirect_uri=http%3A%2F%2F127.0.0.1%3A5000%2Fcallback"),
            "{req}"
        );
        assert!(
            !req.contains("client_secret"),
            "Basic: no secret in the body: {req}"
        );
    }

    #[tokio::test]
    async fn client_credentials_with_an_assertion_send_no_secret() {
        let (url, seen) = endpoint(vec![answer(
            "200 OK",
            "application/json",
            r#"{"access_token":"AT","token_type":"Bearer","expires_in":300}"#,
        )])
        .await;
        let key = crate::oauth::keys::PrivateKey::generate(crate::oauth::keys::SigningAlg::ES384)
            .unwrap();
        let auth = ClientAuth::Assertion {
            client_id: "svc".into(),
            key: SigningKey {
                kid: key.thumbprint(),
                key,
                alg: crate::oauth::keys::SigningAlg::ES384,
                jku: None,
            },
        };
        client_credentials(&http(), &url, &auth, "system/*.rs  system/Patient.r")
            .await
            .unwrap();
        let req = &seen.await.unwrap()[0];
        assert!(req.contains("grant_type=client_credentials"), "{req}");
        assert!(
            req.contains("scope=system%2F*.rs+system%2FPatient.r")
                || req.contains("scope=system%2F%2A.rs+system%2FPatient.r"),
            "{req}"
        );
        assert!(req.contains("client_id=svc"), "{req}");
        assert!(
            req.contains("client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"),
            "{req}"
        );
        assert!(req.contains("client_assertion=ey"), "{req}");
        assert!(
            !req.to_ascii_lowercase().contains("authorization: basic"),
            "{req}"
        );
        assert!(!req.contains("client_secret"), "{req}");
    }

    #[tokio::test]
    async fn error_answers_carry_the_rfc_6749_code_and_no_secret() {
        let (url, _) = endpoint(vec![
            answer(
                "400 Bad Request",
                "application/json",
                r#"{"error":"invalid_grant","error_description":"code already used"}"#,
            ),
            answer("503 Service Unavailable", "text/html", "<html>down</html>"),
            "HTTP/1.1 302 Found\r\nlocation: https://elsewhere/\r\ncontent-length: 0\r\n\r\n"
                .into(),
            answer("200 OK", "text/html", "<html>sign in</html>"),
            // A server that echoes the form back into its message.
            answer(
                "400 Bad Request",
                "application/json",
                r#"{"error":"invalid_grant","error_description":"refresh_token=RT-secret unknown; client app:s3cret:% \u001b[2J"}"#,
            ),
        ])
        .await;
        let rt = RefreshToken::new("RT-secret".into());
        let mut errors = Vec::new();
        for _ in 0..5 {
            errors.push(refresh(&http(), &url, &basic(), &rt).await.unwrap_err());
        }
        let e = &errors[0];
        assert_eq!(e.kind, Kind::Auth);
        assert_eq!(e.oauth_code(), Some(&OAuthErrorCode::InvalidGrant));
        assert_eq!(
            e.message,
            "the token endpoint refused: invalid_grant: code already used"
        );
        let e = &errors[1];
        assert_eq!(e.kind, Kind::Server);
        assert!(e.oauth.is_none());
        assert!(
            e.message
                .contains("503 Service Unavailable (<html>down</html>)"),
            "{}",
            e.message
        );
        assert!(errors[2].message.contains("never follow redirects"));
        assert_eq!(errors[3].kind, Kind::Server);
        assert!(
            errors[3].message.contains("not a JSON object (text/html"),
            "{}",
            errors[3].message
        );
        let e = &errors[4];
        assert_eq!(e.oauth_code(), Some(&OAuthErrorCode::InvalidGrant));
        assert!(e.message.contains("[redacted]"), "{}", e.message);
        assert!(!e.message.contains('\u{1b}'), "{}", e.message);
        for e in &errors {
            let text = format!("{} {:?} {e:?}", e.message, e.hint);
            assert!(
                !text.contains("RT-secret") && !text.contains("s3cret"),
                "{text}"
            );
        }
    }

    #[tokio::test]
    async fn a_lax_error_body_still_carries_its_code() {
        // error_uri as a number: the crate's error type refuses the body.
        let (url, _) = endpoint(vec![answer(
            "400 Bad Request",
            "application/json",
            r#"{"error":"invalid_grant","error_description":"expired","error_uri":7}"#,
        )])
        .await;
        let rt = RefreshToken::new("RT".into());
        let e = refresh(&http(), &url, &basic(), &rt).await.unwrap_err();
        assert_eq!(e.kind, Kind::Auth);
        assert_eq!(e.oauth_code(), Some(&OAuthErrorCode::InvalidGrant));
        assert_eq!(
            e.message,
            "the token endpoint refused: invalid_grant: expired"
        );
    }

    #[test]
    #[should_panic(expected = "does not follow redirects")]
    fn token_requests_refuse_an_http_that_follows_redirects() {
        let follows = Http::new(&crate::http::Options {
            follow_redirects: true,
            ..Default::default()
        })
        .unwrap();
        let _ = Transport::new(&follows, "token endpoint");
    }

    #[test]
    fn missing_scopes_lists_the_difference() {
        assert_eq!(
            missing_scopes("openid patient/*.rs offline_access", "openid patient/*.rs"),
            vec!["offline_access"]
        );
    }

    #[test]
    fn basic_credentials_are_form_encoded() {
        assert_eq!(form_encode("a b:c"), "a+b%3Ac");
        let decoded = |encoding| {
            let h = basic_authorization("my app", &ClientSecret::new("p:w%".into()), encoding);
            let b64 = h.strip_prefix("Basic ").unwrap().to_owned();
            base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap()
        };
        assert_eq!(decoded(BasicAuthEncoding::Form), b"my+app:p%3Aw%25");
        assert_eq!(decoded(BasicAuthEncoding::Raw), b"my app:p:w%");
    }

    #[test]
    fn a_secret_method_without_a_secret_fails_when_built() {
        let no_key = None;
        let e = ClientAuth::build(TokenAuthMethod::ClientSecretBasic, "c", "p", None, None)
            .unwrap_err();
        assert!(e.message.contains("needs a client secret"), "{}", e.message);
        assert!(e.hint.unwrap().contains("set-secret p"));
        let a = ClientAuth::build(
            TokenAuthMethod::ClientSecretPost,
            "c",
            "p",
            Some(ClientSecret::new("s".into())),
            no_key,
        )
        .unwrap();
        assert_eq!(a.method(), TokenAuthMethod::ClientSecretPost);
        assert!(!format!("{a:?}").contains("\"s\""));
        let e =
            ClientAuth::build(TokenAuthMethod::PrivateKeyJwt, "c", "p", None, None).unwrap_err();
        assert!(e.message.contains("no private key"), "{}", e.message);
        let a = ClientAuth::build(TokenAuthMethod::None, "c", "p", None, None).unwrap();
        assert_eq!(
            a.own_request("https://x/token").unwrap().form,
            vec![("client_id", "c".to_owned())]
        );
    }
}
