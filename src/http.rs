//! The HTTP client every command uses: rustls with verification always on
//! (an extra trust root via `--cacert`, never a switch to turn it off), a
//! per-request timeout, bounded bodies, and a `--verbose` wire trace on stderr
//! with secrets redacted.

use bytes::Bytes;
use futures_util::StreamExt;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, LOCATION};
use reqwest::{Method, StatusCode};
use std::path::PathBuf;
use std::time::Duration;
use url::Url;

use crate::custom_headers::CustomHeaders;
use crate::error::{Error, Result};
use crate::redact;

pub const USER_AGENT: &str = concat!("smart/", env!("CARGO_PKG_VERSION"));

/// How a command wants its client.
#[derive(Debug, Clone)]
pub struct Options {
    pub timeout: Duration,
    pub cacert: Option<PathBuf>,
    pub verbose: bool,
    /// Follow redirects (discovery documents, JWKS). Token requests never do
    /// (RFC 9700); the FHIR client sets its own same-origin policy.
    pub follow_redirects: bool,
    /// `-H` and the profile's headers, for the FHIR base's origin only.
    pub headers: CustomHeaders,
}

impl Options {
    /// These options with the custom headers bound to `base`'s origin.
    pub fn for_base(mut self, base: &Url) -> Options {
        self.headers = self.headers.for_base(base);
        self
    }
}

/// Marks a request to the authorization server (token, revocation,
/// introspection, registration endpoints): it gets the custom headers only
/// with `--header-token-endpoint`. A header, because reqwest keeps a
/// request's extensions to itself; [`Http`] removes it before sending.
const TO_AUTHORIZATION_SERVER: &str = "x-smart-to-authorization-server";

/// Whether a header name is the mark of [`to_authorization_server`] (which
/// is removed before sending, so never seen on the wire).
pub fn is_mark(name: &str) -> bool {
    name.eq_ignore_ascii_case(TO_AUTHORIZATION_SERVER)
}

/// `req`, marked as a request to the authorization server (see
/// [`crate::custom_headers`]).
pub fn to_authorization_server(req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
    req.header(TO_AUTHORIZATION_SERVER, "1")
}

/// Most redirects followed in one request.
const MAX_REDIRECTS: usize = 5;

impl Default for Options {
    fn default() -> Self {
        Options {
            timeout: Duration::from_secs(30),
            cacert: None,
            verbose: false,
            follow_redirects: false,
            headers: CustomHeaders::default(),
        }
    }
}

#[derive(Clone)]
pub struct Http {
    client: reqwest::Client,
    /// Every secret this client sent or was given, to redact by value in
    /// the `-v` trace and in what its callers record.
    known: std::sync::Arc<redact::Known>,
    verbose: bool,
    timeout: Duration,
    follows_redirects: bool,
    headers: CustomHeaders,
    /// Redirects are followed here, hop by hop, rather than by reqwest,
    /// which would carry the custom headers along to another origin.
    redirects_by_hand: bool,
}

/// A response with its body read (up to a limit).
#[derive(Debug)]
pub struct Response {
    pub status: StatusCode,
    pub url: Url,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Response {
    pub fn content_type(&self) -> Option<&str> {
        self.headers.get(CONTENT_TYPE)?.to_str().ok()
    }

    pub fn is_json(&self) -> bool {
        self.content_type().is_some_and(|ct| {
            let ct = ct.to_ascii_lowercase();
            ct.contains("json")
        })
    }

    /// The first bytes of the body, printable and redacted, for error
    /// messages about answers we cannot use (HTML error pages, a token
    /// response in the wrong format…).
    pub fn snippet(&self) -> String {
        self.snippet_hiding(&[])
    }

    /// [`Response::snippet`], also without `secrets` (what the request
    /// carried, see [`redact::secrets_in_request`]): they are replaced
    /// before the cut, which would otherwise leave half of one showing.
    pub fn snippet_hiding(&self, secrets: &[String]) -> String {
        let text = String::from_utf8_lossy(&self.body);
        let shown = redact::values(&redact::body(self.content_type(), &text), secrets);
        snippet(shown.as_bytes())
    }
}

pub fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(80)]);
    let mut s: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if body.len() > 80 {
        s.push('…');
    }
    s
}

impl Http {
    pub fn new(opts: &Options) -> Result<Http> {
        Self::with_builder(opts, |b| b)
    }

    /// Like [`Http::new`], with the last word on the client's settings: a
    /// command's own redirect policy, or no TLS roots for a plain-http base.
    pub fn with_builder(
        opts: &Options,
        tweak: impl FnOnce(reqwest::ClientBuilder) -> reqwest::ClientBuilder,
    ) -> Result<Http> {
        let redirects_by_hand = opts.follow_redirects && !opts.headers.is_empty();
        let mut b = reqwest::Client::builder()
            .use_rustls_tls()
            .user_agent(USER_AGENT)
            .connect_timeout(opts.timeout)
            .timeout(opts.timeout)
            .redirect(if opts.follow_redirects && !redirects_by_hand {
                no_downgrade_policy()
            } else {
                reqwest::redirect::Policy::none()
            });
        if let Some(path) = &opts.cacert {
            let pem = std::fs::read(path).map_err(|e| {
                Error::usage(format!("cannot read --cacert {}: {e}", path.display()))
            })?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                Error::usage(format!(
                    "--cacert {}: not a PEM certificate: {e}",
                    path.display()
                ))
            })?;
            if certs.is_empty() {
                return Err(Error::usage(format!(
                    "--cacert {}: no PEM certificate found",
                    path.display()
                )));
            }
            for c in certs {
                b = b.add_root_certificate(c);
            }
        }
        let client = tweak(b)
            .build()
            .map_err(|e| Error::usage(format!("cannot set up the HTTP client: {e}")))?;
        let known: std::sync::Arc<redact::Known> = Default::default();
        // A key in a custom header is redacted wherever a server echoes it.
        for (name, value) in opts.headers.iter() {
            if redact::is_secret_header(name.as_str())
                && let Ok(v) = value.to_str()
            {
                known.add(v);
            }
        }
        Ok(Http {
            client,
            known,
            verbose: opts.verbose,
            timeout: opts.timeout,
            follows_redirects: opts.follow_redirects,
            headers: opts.headers.clone(),
            redirects_by_hand,
        })
    }

    /// The secrets this client has sent or been given so far.
    pub fn known(&self) -> &redact::Known {
        &self.known
    }

    /// The values of the custom headers whose names look secret (see
    /// [`redact::is_secret_header`]), to hide should a server echo them in
    /// an error.
    pub fn secret_header_values(&self) -> Vec<String> {
        self.headers
            .iter()
            .filter(|(n, _)| redact::is_secret_header(n.as_str()))
            .filter_map(|(_, v)| v.to_str().ok().map(str::to_owned))
            .collect()
    }

    /// Whether this client was built to follow redirects.
    pub fn follows_redirects(&self) -> bool {
        self.follows_redirects
    }

    pub fn request(&self, method: Method, url: Url) -> reqwest::RequestBuilder {
        self.client.request(method, url)
    }

    /// Sends a request and reads at most `limit` bytes of the answer.
    pub async fn send(&self, req: reqwest::RequestBuilder, limit: usize) -> Result<Response> {
        let resp = self.execute(req).await?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let final_url = resp.url().clone();
        let body = match read_limited(resp, limit).await {
            Ok(b) => b,
            Err(BodyError::TooLarge) => {
                return Err(Error::server(format!(
                    "{}: answer is larger than {}; refusing to read it",
                    origin_path(&final_url),
                    human_size(limit)
                )));
            }
            Err(BodyError::Transport(e)) => return Err(self.network_error(&final_url, e).await),
        };
        let resp = Response {
            status,
            url: final_url,
            headers,
            body,
        };
        let location = resp.headers.get(LOCATION).and_then(|v| v.to_str().ok());
        self.known.learn_response(&resp.body, location);
        if self.verbose {
            eprint!("{}", self.known.apply(&response_trace(&resp)));
        }
        Ok(resp)
    }

    /// Sends a request and hands back the answer unread, for bodies that
    /// are streamed to disk (bulk export files); `-v` traces the head only.
    pub async fn open(&self, req: reqwest::RequestBuilder) -> Result<reqwest::Response> {
        let r = self.execute(req).await?;
        let location = r.headers().get(LOCATION).and_then(|v| v.to_str().ok());
        self.known.learn_response(b"", location);
        if self.verbose {
            eprint!("{}", self.known.apply(&head_trace(r.status(), r.headers())));
        }
        Ok(r)
    }

    /// Builds and sends a request (traced with `-v`); the answer unread.
    async fn execute(&self, req: reqwest::RequestBuilder) -> Result<reqwest::Response> {
        let mut req = req
            .build()
            .map_err(|e| Error::usage(format!("cannot build request: {}", e.without_url())))?;
        let to_authorization_server = req.headers_mut().remove(TO_AUTHORIZATION_SERVER).is_some();
        let method = req.method().clone();
        let mut resp = self.execute_one(req, to_authorization_server).await?;
        if !self.redirects_by_hand {
            return Ok(resp);
        }
        // By hand: each hop is a request of its own, so the custom headers
        // go with the hops on the FHIR base's origin and with no other.
        let mut hops = 0;
        while let Some(next) = redirect_target(&resp, &method) {
            hops += 1;
            let from = resp.url().clone();
            if self.verbose {
                eprint!(
                    "{}",
                    self.known.apply(&head_trace(resp.status(), resp.headers()))
                );
            }
            if hops > MAX_REDIRECTS {
                return Err(Error::network(format!(
                    "{}: too many redirects",
                    origin_path(&from)
                )));
            }
            if from.scheme() == "https"
                && next.scheme() != "https"
                && !smart_vocab::is_loopback(&next)
            {
                return Err(Error::network(format!(
                    "{}: refusing a redirect from https to plain http",
                    origin_path(&from)
                )));
            }
            // 301, 302 and 303 go on as a GET, as reqwest does; a 307 or
            // 308 only for a GET or HEAD (their bodies are not kept).
            let again = if method == Method::HEAD {
                Method::HEAD
            } else {
                Method::GET
            };
            let hop =
                self.client.request(again, next).build().map_err(|e| {
                    Error::usage(format!("cannot build request: {}", e.without_url()))
                })?;
            resp = self.execute_one(hop, to_authorization_server).await?;
        }
        Ok(resp)
    }

    /// One request with the custom headers its URL gets, traced with `-v`.
    async fn execute_one(
        &self,
        mut req: reqwest::Request,
        to_authorization_server: bool,
    ) -> Result<reqwest::Response> {
        let url = req.url().clone();
        let own: Vec<reqwest::header::HeaderName> = req.headers().keys().cloned().collect();
        for (name, value) in self.headers.for_request(&url, to_authorization_server) {
            // The request's own headers (Accept, Prefer…) win.
            if !own.contains(name) {
                req.headers_mut().append(name.clone(), value.clone());
            }
        }
        self.learn_request(&req);
        if self.verbose {
            eprint!("{}", self.known.apply(&request_trace(&req)));
        }
        match self.client.execute(req).await {
            Ok(r) => Ok(r),
            Err(e) => Err(self.network_error(&url, e).await),
        }
    }

    /// Remembers the secrets `req` carries (see [`redact::Known`]).
    fn learn_request(&self, req: &reqwest::Request) {
        let header = |name| {
            req.headers()
                .get(name)
                .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
        };
        let form = req
            .body()
            .and_then(|b| b.as_bytes())
            .filter(|_| {
                header(CONTENT_TYPE)
                    .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"))
            })
            .map(String::from_utf8_lossy);
        self.known
            .learn_request(form.as_deref(), header(AUTHORIZATION));
    }

    /// A transport failure in words, told apart by type (the reqwest error
    /// and the `io::Error` in its source chain), never by its text.
    pub async fn network_error(&self, url: &Url, e: reqwest::Error) -> Error {
        let target = origin_path(url);
        if e.is_timeout() {
            return Error::network(format!(
                "{target}: no answer within {}s",
                self.timeout.as_secs()
            ))
            .with_hint(
                "the server may be slow or unreachable; raise --timeout if it is just slow",
            );
        }
        let chain = error_chain(&e);
        match classify(&e) {
            Failure::Tls => Error::network(format!("{target}: TLS error: {chain}"))
                .with_hint("TLS is always verified; pass --cacert FILE to trust a private CA"),
            Failure::Connect => {
                let err = Error::network(format!("{target}: cannot connect: {chain}"));
                let refused =
                    io_errors(&e).any(|io| io.kind() == std::io::ErrorKind::ConnectionRefused);
                if refused {
                    err.with_hint(refused_hint(url))
                } else if resolves(url).await {
                    err
                } else {
                    err.with_hint("check the host name")
                }
            }
            Failure::Transfer => Error::network(format!("{target}: transfer broke off: {chain}")),
            Failure::Other => Error::network(format!("{target}: {chain}")),
        }
    }
}

/// What kind of transport failure an error is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    Tls,
    Connect,
    Transfer,
    Other,
}

fn classify(e: &reqwest::Error) -> Failure {
    // tokio-rustls reports every TLS failure (a bad certificate, a broken
    // handshake) as an io::Error of kind InvalidData around the
    // rustls::Error. rustls is not a direct dependency, so its type cannot
    // be named here; the kind can, and TCP itself never reports it.
    let tls = io_errors(e).any(|io| io.kind() == std::io::ErrorKind::InvalidData);
    if tls && (e.is_connect() || e.is_request()) {
        Failure::Tls
    } else if e.is_connect() {
        Failure::Connect
    } else if e.is_body() || e.is_decode() {
        Failure::Transfer
    } else {
        Failure::Other
    }
}

/// The `io::Error`s in an error's source chain, including those wrapped in
/// another `io::Error` (whose `source()` skips the wrapped error itself).
fn io_errors<'a>(e: &'a reqwest::Error) -> impl Iterator<Item = &'a std::io::Error> + 'a {
    let mut cur: Option<&'a (dyn std::error::Error + 'static)> = std::error::Error::source(e);
    std::iter::from_fn(move || {
        let this = cur?;
        cur = match this.downcast_ref::<std::io::Error>() {
            Some(io) => io
                .get_ref()
                .map(|inner| inner as _)
                .or_else(|| this.source()),
            None => this.source(),
        };
        Some(this)
    })
    .filter_map(|s| s.downcast_ref::<std::io::Error>())
}

/// A refused connection: the host is there, but nothing listens on the port.
fn refused_hint(url: &Url) -> String {
    let at = match (url.host_str(), url.port_or_known_default()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        _ => origin_path(url),
    };
    format!(
        "nothing is listening on {at}: is the server running (a local one: `smart sandbox`), and is the port right?"
    )
}

/// Whether `url`'s host resolves, for a failed connect. A DNS failure has
/// no type of its own in the chain (hyper-util's ConnectError is private;
/// std reports getaddrinfo failures as an io::Error of an unstable kind),
/// so the resolver is asked again instead of reading the message.
async fn resolves(url: &Url) -> bool {
    let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else {
        return true;
    };
    if url
        .host()
        .is_some_and(|h| !matches!(h, url::Host::Domain(_)))
    {
        return true;
    }
    let lookup = tokio::net::lookup_host((host.to_owned(), port));
    match tokio::time::timeout(Duration::from_secs(2), lookup).await {
        Ok(Ok(mut addrs)) => addrs.next().is_some(),
        Ok(Err(_)) => false,
        // No verdict in time: say nothing rather than guess.
        Err(_) => true,
    }
}

/// Where a redirect answer to a `method` request leads, when it is one to
/// follow by hand (see [`Http::execute`]).
fn redirect_target(resp: &reqwest::Response, method: &Method) -> Option<Url> {
    let status = resp.status().as_u16();
    let follow = match status {
        301..=303 => true,
        307 | 308 => *method == Method::GET || *method == Method::HEAD,
        _ => false,
    };
    if !follow {
        return None;
    }
    let location = resp.headers().get(LOCATION)?.to_str().ok()?;
    resp.url().join(location).ok()
}

/// Follows up to 5 redirects, never from https to plain http (except on
/// loopback): a downgraded hop would let anyone on the path rewrite the
/// document, e.g. a SMART configuration's token endpoint.
fn no_downgrade_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let downgrade = attempt.previous().iter().any(|u| u.scheme() == "https")
            && attempt.url().scheme() != "https"
            && !smart_vocab::is_loopback(attempt.url());
        if downgrade {
            attempt.error("refusing a redirect from https to plain http")
        } else if attempt.previous().len() > 5 {
            attempt.error("too many redirects")
        } else {
            attempt.follow()
        }
    })
}

/// `scheme://host[:port]/path` of a URL, without query (which may hold secrets).
pub fn origin_path(url: &Url) -> String {
    let mut u = url.clone();
    u.set_query(None);
    u.set_fragment(None);
    let _ = u.set_password(None);
    u.to_string()
}

fn error_chain(e: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&dyn std::error::Error> = e.source();
    while let Some(s) = cur {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = s.source();
    }
    if parts.is_empty() {
        parts.push(e.without_url_ref());
    }
    // The innermost causes say the most; keep the message short.
    let tail: Vec<String> = parts.into_iter().rev().take(2).collect();
    tail.into_iter().rev().collect::<Vec<_>>().join(": ")
}

trait WithoutUrlRef {
    fn without_url_ref(&self) -> String;
}
impl WithoutUrlRef for reqwest::Error {
    fn without_url_ref(&self) -> String {
        let s = self.to_string();
        match self.url() {
            Some(u) => s
                .replace(&format!(" ({u})"), "")
                .replace(u.as_str(), "<url>"),
            None => s,
        }
    }
}

enum BodyError {
    TooLarge,
    Transport(reqwest::Error),
}

async fn read_limited(
    resp: reqwest::Response,
    limit: usize,
) -> std::result::Result<Bytes, BodyError> {
    if resp.content_length().is_some_and(|n| n > limit as u64) {
        return Err(BodyError::TooLarge);
    }
    let mut stream = resp.bytes_stream();
    let mut buf = bytes::BytesMut::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(BodyError::Transport)?;
        if buf.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge);
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

pub fn human_size(n: usize) -> String {
    if n >= 1 << 20 {
        format!("{} MiB", n >> 20)
    } else if n >= 1 << 10 {
        format!("{} KiB", n >> 10)
    } else {
        format!("{n} bytes")
    }
}

const TRACE_BODY_MAX: usize = 4096;

/// The `-v` lines of a request, redacted.
pub(crate) fn request_trace(req: &reqwest::Request) -> String {
    let mut out = format!("> {} {}\n", req.method(), redact::url(req.url()));
    for (name, value) in req.headers() {
        let v = value.to_str().unwrap_or("<binary>");
        out.push_str(&format!(
            "> {}: {}\n",
            name,
            redact::header_value(name.as_str(), v)
        ));
    }
    if let Some(body) = req.body().and_then(|b| b.as_bytes()) {
        let ct = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        out.push_str(&format!("> \n{}\n", trace_body(ct, body)));
    }
    out
}

/// The `-v` lines of a response, redacted.
pub(crate) fn response_trace(resp: &Response) -> String {
    let mut out = head_trace(resp.status, &resp.headers);
    if !resp.body.is_empty() {
        out.push_str(&format!(
            "< \n{}\n",
            trace_body(resp.content_type(), &resp.body)
        ));
    }
    out
}

/// The `-v` lines of a response's status and headers, redacted.
fn head_trace(status: StatusCode, headers: &HeaderMap) -> String {
    let mut out = format!("< {status}\n");
    for (name, value) in headers {
        let v = value.to_str().unwrap_or("<binary>");
        out.push_str(&format!(
            "< {}: {}\n",
            name,
            redact::header_value(name.as_str(), v)
        ));
    }
    out
}

fn trace_body(content_type: Option<&str>, body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut red = redact::body(content_type, &text);
    if red.len() > TRACE_BODY_MAX {
        let mut cut = TRACE_BODY_MAX;
        while !red.is_char_boundary(cut) {
            cut -= 1;
        }
        red.truncate(cut);
        red.push_str(&format!("… [{} bytes in all]", body.len()));
    }
    red
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_path_drops_query_and_password() {
        let u = Url::parse("https://u:pw@x.org/a?code=1#f").unwrap();
        assert_eq!(origin_path(&u), "https://u@x.org/a");
    }

    #[test]
    fn snippet_is_short_and_printable() {
        let s = snippet(b"<html>\n<body>\tHello</body></html>");
        assert_eq!(s, "<html> <body> Hello</body></html>");
        assert!(snippet(&[b'a'; 200]).ends_with('…'));
    }

    fn http() -> Http {
        Http::new(&Options {
            timeout: Duration::from_secs(5),
            ..Options::default()
        })
        .unwrap()
    }

    async fn get(url: &str) -> Error {
        let h = http();
        let req = h.request(Method::GET, Url::parse(url).unwrap());
        h.send(req, 1024).await.unwrap_err()
    }

    #[tokio::test]
    async fn a_refused_connection_is_a_connect_failure() {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let e = get(&format!("http://127.0.0.1:{port}/x")).await;
        assert_eq!(e.kind, crate::error::Kind::Network);
        assert!(e.message.contains("cannot connect"), "{}", e.message);
        let hint = e.hint.expect("a refused connection gets a hint");
        assert!(
            hint.contains(&format!("nothing is listening on 127.0.0.1:{port}"))
                && hint.contains("smart sandbox"),
            "{hint}"
        );
    }

    #[tokio::test]
    async fn a_plain_http_answer_to_https_is_a_tls_failure() {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        tokio::spawn(async move {
            use tokio::io::AsyncWriteExt;
            while let Ok((mut s, _)) = l.accept().await {
                let _ = s
                    .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
                    .await;
            }
        });
        let e = get(&format!("https://127.0.0.1:{port}/x")).await;
        assert!(e.message.contains("TLS error"), "{}", e.message);
        assert!(e.hint.unwrap().contains("--cacert"));
    }

    #[tokio::test]
    async fn an_unknown_host_gets_the_host_name_hint() {
        // `.invalid` never resolves (RFC 6761).
        assert!(!resolves(&Url::parse("https://no-such-host.invalid/").unwrap()).await);
        assert!(resolves(&Url::parse("https://127.0.0.1/").unwrap()).await);
        let e = get("http://no-such-host.invalid/x").await;
        assert!(e.message.contains("cannot connect"), "{}", e.message);
        assert_eq!(e.hint.as_deref(), Some("check the host name"));
    }

    /// A server on loopback that answers every request with `answer`
    /// (`{port}` replaced by its own port); how many requests it got.
    async fn answering(
        answer: &'static str,
    ) -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let seen = count.clone();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = l.accept().await {
                seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                let text = answer.replace("{port}", &port.to_string());
                let _ = s.write_all(text.as_bytes()).await;
            }
        });
        (port, count)
    }

    fn with_headers(base: &str) -> Http {
        let headers = CustomHeaders::from_flags(&["X-Tenant: t".into()], false)
            .unwrap()
            .for_base(&Url::parse(base).unwrap());
        Http::new(&Options {
            follow_redirects: true,
            headers,
            ..Options::default()
        })
        .unwrap()
    }

    #[tokio::test]
    async fn redirects_followed_by_hand_stop_after_five_hops() {
        let (port, count) = answering(
            "HTTP/1.1 302 Found\r\nlocation: http://127.0.0.1:{port}/again\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
        )
        .await;
        let base = format!("http://127.0.0.1:{port}/");
        let h = with_headers(&base);
        let e = h
            .send(h.request(Method::GET, Url::parse(&base).unwrap()), 1024)
            .await
            .unwrap_err();
        assert!(e.message.contains("too many redirects"), "{}", e.message);
        assert_eq!(
            count.load(std::sync::atomic::Ordering::SeqCst),
            1 + MAX_REDIRECTS
        );
    }

    #[tokio::test]
    async fn a_307_to_a_post_is_not_followed_by_hand() {
        let (port, count) = answering(
            "HTTP/1.1 307 Temporary Redirect\r\nlocation: http://127.0.0.1:{port}/again\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
        )
        .await;
        let base = format!("http://127.0.0.1:{port}/");
        let h = with_headers(&base);
        let req = h
            .request(Method::POST, Url::parse(&base).unwrap())
            .body("x=1");
        let r = h.send(req, 1024).await.unwrap();
        assert_eq!(r.status, StatusCode::TEMPORARY_REDIRECT);
        assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    #[test]
    fn trace_body_redacts_token_responses() {
        let b = br#"{"access_token":"AT-123","token_type":"Bearer"}"#;
        let t = trace_body(Some("application/json"), b);
        assert!(!t.contains("AT-123"));
        assert!(t.contains("Bearer"));
    }
}
