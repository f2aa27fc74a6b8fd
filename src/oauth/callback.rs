//! The loopback redirect listener (RFC 8252 §7.3): `127.0.0.1` only, an
//! ephemeral port unless one is fixed, exactly one accepted callback.
//!
//! Requests to other paths (favicon, probes) get 404 and are ignored. A
//! callback without our `state` gets an error page and the login goes on
//! waiting (any local process or page can reach the port: it must not be
//! able to end the user's sign-in); the server's `error=` ends it. An EHR
//! launch naming another server than the trusted one is treated the same
//! way: an error page, and the wait goes on for the right launch. The HTTP
//! underneath (`loopback.rs`) bounds what a connection may cost, so that
//! idle or huge connections cannot hold up the real callback.

use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use url::Url;

use oauth2::{AuthorizationCode, CsrfToken};

use crate::discovery::FhirBase;
use crate::error::{Error, OAuthError, OAuthErrorCode, Result};
use crate::oauth::loopback::{Request, Server};
use crate::oauth::pkce;
use crate::reporter::Reporter;

pub struct Listener {
    server: Server,
    callback_path: String,
}

/// The EHR's browser request to `/launch`, still waiting for its answer.
pub struct PendingLaunch(Request);

impl PendingLaunch {
    /// Sends the browser on to the authorization request.
    pub fn redirect(self, to: &Url) {
        self.0.respond(
            302,
            &[("Location", to.as_str()), ("Cache-Control", "no-store")],
            "",
        );
    }

    /// Shows the browser why the launch cannot go on.
    pub fn fail(self, message: &str) {
        respond(
            self.0,
            400,
            "text/html; charset=utf-8",
            page("Launch failed", &html_escape(message)),
        );
    }
}

/// What the launch requests an EHR sent showed (`smart check --ehr`).
pub enum LaunchSeen {
    /// A launch from the trusted server, its browser waiting.
    Launched(Launch, PendingLaunch),
    /// A launch from the trusted server without `launch` (answered with an
    /// error page).
    WithoutLaunch(FhirBase),
    /// Only refused launches came before the deadline: the last one's reason.
    Refused(String),
}

/// An EHR launch request received on the listener.
#[derive(Debug, Clone)]
pub struct Launch {
    pub iss: FhirBase,
    pub launch: String,
}

impl Listener {
    /// Listens on `127.0.0.1:port` (0 = ephemeral).
    pub fn bind(port: u16, callback_path: &str) -> Result<Listener> {
        let server = Server::bind(port).map_err(|e| {
            let mut err = Error::usage(format!("cannot listen on 127.0.0.1:{port}: {e}"));
            if port != 0 {
                err = err.with_hint(
                    "the port is taken (another login?); choose another --redirect-port, or leave it out for an ephemeral port",
                );
            }
            err
        })?;
        Ok(Listener {
            server,
            callback_path: callback_path.to_owned(),
        })
    }

    pub fn port(&self) -> u16 {
        self.server.port()
    }

    /// `http://127.0.0.1:PORT/callback`
    pub fn redirect_uri(&self) -> String {
        format!("http://127.0.0.1:{}{}", self.port(), self.callback_path)
    }

    /// `http://127.0.0.1:PORT/launch`, the app launch URL for `--ehr`.
    pub fn launch_url(&self) -> String {
        format!("http://127.0.0.1:{}/launch", self.port())
    }

    /// Waits for an EHR to open `/launch?iss=…&launch=…` with an `iss` that
    /// is `trusted` (compared as FHIR bases), or any FHIR base when there is
    /// none yet (the caller then asks the user). A launch from another
    /// server gets an error page and the wait goes on: it could have come
    /// from any page that found the port, and would send the browser, the
    /// client's secret and the code to whatever server it names. The browser
    /// that opened the accepted one waits for an answer:
    /// [`PendingLaunch::redirect`] sends it on to the authorization server,
    /// as a real app would.
    pub fn wait_for_launch(
        &self,
        deadline: Instant,
        trusted: Option<&FhirBase>,
    ) -> Result<(Launch, PendingLaunch)> {
        match self.launches(deadline, trusted, false)? {
            LaunchSeen::Launched(l, p) => Ok((l, p)),
            LaunchSeen::Refused(why) => Err(match trusted {
                Some(base) => Error::auth(format!(
                    "no EHR launch from {base} arrived in time; the last one refused: {why}"
                ))
                .with_hint("open the app from the EHR of this profile's server"),
                None => timeout_error("EHR launch"),
            }),
            // Not returned when `incomplete_ends` is false.
            LaunchSeen::WithoutLaunch(_) => Err(timeout_error("EHR launch")),
        }
    }

    /// [`Listener::wait_for_launch`] for `smart check --ehr`, which judges
    /// the EHR instead of only waiting for a good launch: a launch from the
    /// `trusted` server without `launch` ends the wait (that EHR's launch is
    /// incomplete, and waiting longer would not change it), and when the
    /// time is up after refused launches, the last refusal is the answer.
    /// Launches naming another server are refused as for a login. Only a
    /// wait that saw no launch at all is an error.
    pub fn wait_for_launch_judged(
        &self,
        deadline: Instant,
        trusted: &FhirBase,
    ) -> Result<LaunchSeen> {
        self.launches(deadline, Some(trusted), true)
            .map_err(|_| {
                Error::auth(format!(
                    "no EHR launch arrived at {} in time",
                    self.launch_url()
                ))
                .with_hint(
                    "register that URL as the app's launch URL and open the app from the EHR; --timeout SECS waits longer",
                )
            })
    }

    /// The launch requests until a good one (or, with `incomplete_ends`, one
    /// from `trusted` without `launch`); at the deadline, the last refusal,
    /// or a timeout error when nothing came.
    fn launches(
        &self,
        deadline: Instant,
        trusted: Option<&FhirBase>,
        incomplete_ends: bool,
    ) -> Result<LaunchSeen> {
        let mut refused: Option<String> = None;
        loop {
            let Some(req) = self.next_request(deadline)? else {
                return match refused {
                    Some(why) => Ok(LaunchSeen::Refused(why)),
                    None => Err(timeout_error("EHR launch")),
                };
            };
            let url = request_url(req.target());
            if url.path() != "/launch" {
                respond(req, 404, "text/plain", "not found".into());
                continue;
            }
            let get = |k: &str| {
                url.query_pairs()
                    .find(|(n, _)| n == k)
                    .map(|(_, v)| v.into_owned())
            };
            let incomplete = |req: Request| {
                respond(
                    req,
                    400,
                    "text/html; charset=utf-8",
                    page(
                        "Launch incomplete",
                        "The launch request needs both <code>iss</code> and <code>launch</code>.",
                    ),
                )
            };
            let why = match (get("iss").map(|i| FhirBase::parse(&i)), get("launch")) {
                // A login answers and waits on: whoever sent it learns nothing.
                (None, _) | (Some(_), None) if !incomplete_ends => {
                    incomplete(req);
                    continue;
                }
                (None, _) => {
                    incomplete(req);
                    refused = Some("it has no iss".to_owned());
                    continue;
                }
                (Some(Err(_)), _) => "its iss is not a FHIR base URL".to_owned(),
                (Some(Ok(iss)), _) if trusted.is_some_and(|base| &iss != base) => format!(
                    "it names {iss}, but this app is set up for {}",
                    trusted.map(FhirBase::as_str).unwrap_or_default()
                ),
                (Some(Ok(iss)), Some(launch)) => {
                    return Ok(LaunchSeen::Launched(
                        Launch { iss, launch },
                        PendingLaunch(req),
                    ));
                }
                (Some(Ok(iss)), None) => {
                    incomplete(req);
                    return Ok(LaunchSeen::WithoutLaunch(iss));
                }
            };
            respond(
                req,
                400,
                "text/html; charset=utf-8",
                page(
                    "Launch refused",
                    &html_escape(&format!("smart refused this launch: {why}.")),
                ),
            );
            refused = Some(why);
        }
    }

    /// Waits for the one callback with the right `state`. A request without
    /// it (a forged or stale one, from any local process or page) is answered
    /// with an error page and does not end the login: whoever sent it cannot
    /// stop the user's sign-in. Only our server's answer ends it.
    pub fn wait_for_code(&self, state: &CsrfToken, deadline: Instant) -> Result<AuthorizationCode> {
        let mut refused: Option<Error> = None;
        loop {
            let Some(req) = self.next_request(deadline)? else {
                return Err(match refused {
                    Some(e) => Error::auth(format!(
                        "no authorization response with our `state` arrived in time; the last one refused: {}",
                        e.message
                    ))
                    .with_hint("run smart login again, and finish it in the browser it opens"),
                    None => timeout_error("authorization response"),
                });
            };
            let url = request_url(req.target());
            if url.path() != self.callback_path {
                respond(req, 404, "text/plain", "not found".into());
                continue;
            }
            if !carries_state(&url, state) {
                let e = check_callback(&url, state).err().unwrap_or_else(|| {
                    Error::auth("the authorization response has the wrong `state`")
                });
                respond(
                    req,
                    400,
                    "text/html; charset=utf-8",
                    page("Sign-in failed", &html_escape(&e.message)),
                );
                refused = Some(e);
                continue;
            }
            match check_callback(&url, state) {
                Ok(code) => {
                    respond(
                        req,
                        200,
                        "text/html; charset=utf-8",
                        page(
                            "Signed in",
                            "smart has your authorization. You can close this tab and return to the terminal.",
                        ),
                    );
                    return Ok(code);
                }
                Err(e) => {
                    respond(
                        req,
                        400,
                        "text/html; charset=utf-8",
                        page("Sign-in failed", &html_escape(&e.message)),
                    );
                    return Err(e);
                }
            }
        }
    }

    /// Waits for any request to the callback path and returns its URL,
    /// unchecked: for `smart check`, which judges what the server sent back
    /// (an error, a missing `state`) instead of acting on it.
    pub fn wait_for_redirect(&self, deadline: Instant) -> Result<Url> {
        self.wait_for_redirect_serving(deadline, None)
    }

    /// [`Listener::wait_for_redirect`], answering GETs of `page.0` with the
    /// HTML `page.1` meanwhile: the local page that `smart check --browser`
    /// opens to send an authorization request as a form POST.
    pub fn wait_for_redirect_serving(
        &self,
        deadline: Instant,
        page: Option<(&str, &str)>,
    ) -> Result<Url> {
        loop {
            let Some(req) = self.next_request(deadline)? else {
                return Err(
                    Error::auth("no redirect came back to the loopback listener in time")
                        .with_hint(
                            "sign in in the browser that opened; --timeout SECS waits longer",
                        ),
                );
            };
            let url = request_url(req.target());
            if let Some((path, html)) = page
                && url.path() == path
            {
                respond(req, 200, "text/html; charset=utf-8", html.to_owned());
                continue;
            }
            if url.path() != self.callback_path {
                respond(req, 404, "text/plain", "not found".into());
                continue;
            }
            respond(
                req,
                200,
                "text/html; charset=utf-8",
                self::page(
                    "redirect received",
                    "<code>smart check</code> has what it needs; you can close this window.",
                ),
            );
            return Ok(url);
        }
    }

    /// `http://127.0.0.1:PORT{path}`
    pub fn url_of(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port())
    }

    fn next_request(&self, deadline: Instant) -> Result<Option<Request>> {
        let left = deadline.saturating_duration_since(Instant::now());
        Ok(self.server.recv_timeout(left))
    }

    /// Stops the listener: later connections are refused.
    pub fn close(&self) {
        self.server.close();
    }
}

// No `Drop` here: dropping the `Server` inside closes the port.

/// Checks a redirect URL (from the listener, or pasted by the user): an
/// `error` ends the login, a wrong or missing `state` ends it, else the code.
/// The server's refusal carries its RFC 6749 error as [`OAuthError`].
pub fn check_callback(url: &Url, expected_state: &CsrfToken) -> Result<AuthorizationCode> {
    // RFC 6749 §3.1: a parameter sent twice is an error; which copy would a
    // server or an attacker mean?
    for name in ["state", "code", "error"] {
        if url.query_pairs().filter(|(n, _)| n == name).count() > 1 {
            return Err(Error::auth(format!(
                "the authorization response repeats `{name}`; login aborted (a parameter may appear only once)"
            )));
        }
    }
    let get = |k: &str| {
        url.query_pairs()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.into_owned())
    };
    // `state` first: until it matches, nothing in the response (an error
    // description included) comes from our authorization request.
    let error = get("error");
    let reported = error
        .as_deref()
        .map(|e| format!(" (it reports `{e}`)"))
        .unwrap_or_default();
    match get("state") {
        None => {
            return Err(Error::auth(format!(
                "the authorization response has no `state`{reported}; login aborted (the server dropped it, or the response was forged)"
            )));
        }
        Some(s) if !pkce::same(&s, expected_state.secret()) => {
            return Err(Error::auth(format!(
                "the authorization response has the wrong `state`{reported}; login aborted (possible cross-site request forgery)"
            )));
        }
        Some(_) => {}
    }
    if let Some(error) = error {
        let refusal = OAuthError {
            code: OAuthErrorCode::parse(&error),
            // Shown to the user: no control characters (ESC could drive the
            // terminal), and not a page of text.
            description: get("error_description").map(|d| crate::redact::server_text(&d, &[], 300)),
        };
        return Err(
            Error::auth(format!("the authorization server refused: {refusal}")).with_oauth(refusal),
        );
    }
    match get("code") {
        Some(c) if !c.is_empty() => Ok(AuthorizationCode::new(c)),
        _ => Err(Error::auth("the authorization response has no `code`")),
    }
}

/// Exactly one `state`, and ours.
fn carries_state(url: &Url, expected: &CsrfToken) -> bool {
    let mut states = url.query_pairs().filter(|(n, _)| n == "state");
    match (states.next(), states.next()) {
        (Some((_, s)), None) => pkce::same(&s, expected.secret()),
        _ => false,
    }
}

fn timeout_error(what: &str) -> Error {
    Error::auth(format!("no {what} arrived in time; login abandoned"))
        .with_hint("run smart login again; --timeout SECS waits longer")
}

/// The URL of a request to the listener, from its request target.
pub(crate) fn request_url(target: &str) -> Url {
    Url::parse("http://127.0.0.1")
        .and_then(|b| b.join(target))
        .unwrap_or_else(|_| Url::parse("http://127.0.0.1/").expect("static URL"))
}

fn respond(req: Request, status: u16, content_type: &str, body: String) {
    req.respond(
        status,
        &[
            ("Content-Type", content_type),
            ("Cache-Control", "no-store"),
            ("Referrer-Policy", "no-referrer"),
        ],
        &body,
    );
}

fn page(title: &str, body_html: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>smart: {title}</title>\
<style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}}\
h1{{font-size:1.4rem}}</style></head><body><h1>{title}</h1><p>{body_html}</p></body></html>"
    )
}

pub fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Where pasted redirect URLs come from, a line at a time (`read_line`'s
/// contract): stdin, or a test's own lines.
pub type PasteSource = Box<dyn FnMut(&mut String) -> std::io::Result<usize> + Send>;

/// Stdin as a [`PasteSource`], read through its own buffer (no reader of
/// ours would keep what follows the pasted line from later prompts).
pub fn stdin_paste() -> PasteSource {
    Box::new(|line| std::io::stdin().read_line(line))
}

/// Runs [`Listener::wait_for_code`] on a thread and, when there is a `paste`
/// source, also reads pasted redirect URLs from it; the first valid one
/// wins. The listener is closed either way: once the login has its code, the
/// port must not stay open for whoever finds it next.
pub fn race_with_paste(
    listener: Arc<Listener>,
    state: CsrfToken,
    deadline: Instant,
    paste: Option<PasteSource>,
    reporter: Reporter,
) -> Result<AuthorizationCode> {
    let (tx, rx) = mpsc::channel::<Result<AuthorizationCode>>();
    {
        let tx = tx.clone();
        let listener = listener.clone();
        let state = state.clone();
        std::thread::spawn(move || {
            let _ = tx.send(listener.wait_for_code(&state, deadline));
        });
    }
    if let Some(mut pasted) = paste {
        let state = state.clone();
        std::thread::spawn(move || {
            let mut line = String::new();
            loop {
                line.clear();
                match pasted(&mut line) {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
                let text = line.trim();
                if text.is_empty() {
                    continue;
                }
                match Url::parse(text) {
                    Ok(u) => match check_callback(&u, &state) {
                        Ok(o) => {
                            let _ = tx.send(Ok(o));
                            return;
                        }
                        Err(e) => {
                            reporter.note(&format!(
                                "that URL does not finish the login: {}",
                                e.message
                            ));
                            // The server's refusal ends the login; a URL
                            // from another attempt (wrong state) does not.
                            if e.oauth.is_some() {
                                let _ = tx.send(Err(e));
                                return;
                            }
                        }
                    },
                    Err(_) => reporter.note(
                        "paste the whole URL the browser ended on (it starts with http://127.0.0.1:)",
                    ),
                }
            }
        });
    }
    let left = deadline.saturating_duration_since(Instant::now()) + Duration::from_secs(2);
    let result = rx
        .recv_timeout(left)
        .unwrap_or_else(|_| Err(timeout_error("authorization response")));
    listener.close();
    result
}

/// A page that POSTs `fields` to `action` as soon as it loads (with a
/// button for browsers without scripts): an authorization request sent as a
/// form, as SMART's `authorize-post` has it.
pub fn auto_post_page(action: &str, fields: &[(String, String)]) -> String {
    let inputs: String = fields
        .iter()
        .map(|(k, v)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                html_escape(k),
                html_escape(v)
            )
        })
        .collect();
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>smart: authorization by POST</title></head>\
<body onload=\"document.forms[0].submit()\"><form method=\"post\" action=\"{}\">{inputs}\
<button type=\"submit\">Continue to the authorization server</button></form></body></html>",
        html_escape(action)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> CsrfToken {
        CsrfToken::new("expected-state".into())
    }

    /// What the listener answers a plain GET of `path`.
    fn get(port: u16, path: &str) -> String {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        use std::io::{Read, Write};
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    }

    #[test]
    fn our_state_with_an_empty_code_is_refused() {
        // An empty `code` would be sent on to the token endpoint as if it
        // were one; it is the same as none.
        for q in ["code=&state=expected-state", "state=expected-state"] {
            let u = Url::parse(&format!("http://127.0.0.1:1/callback?{q}")).unwrap();
            let e = check_callback(&u, &state()).unwrap_err();
            assert_eq!(e.kind, crate::error::Kind::Auth, "{q}");
            assert!(e.message.contains("no `code`"), "{q}: {}", e.message);
        }
    }

    #[test]
    fn a_good_callback_yields_the_code() {
        let u = Url::parse("http://127.0.0.1:1/callback?code=C1&state=expected-state").unwrap();
        let c = check_callback(&u, &state()).unwrap();
        assert_eq!(c.secret(), "C1");
        assert!(!format!("{c:?}").contains("C1"));
    }

    #[test]
    fn a_repeated_code_or_state_is_refused() {
        for q in [
            "code=C&state=expected-state&state=expected-state",
            "code=C&code=D&state=expected-state",
            "code=C&state=expected-state&error=x&error=y",
        ] {
            let u = Url::parse(&format!("http://127.0.0.1:1/callback?{q}")).unwrap();
            let e = check_callback(&u, &state()).unwrap_err();
            assert!(e.message.contains("repeats"), "{q}: {}", e.message);
            assert!(e.oauth.is_none());
        }
    }

    #[test]
    fn only_the_servers_refusal_carries_an_oauth_error() {
        let refused =
            Url::parse("http://127.0.0.1:1/callback?error=access_denied&state=expected-state")
                .unwrap();
        let e = check_callback(&refused, &state()).unwrap_err();
        assert_eq!(e.oauth_code(), Some(&OAuthErrorCode::AccessDenied));
        // A wrong state says "refused" nowhere and carries no server error,
        // even when the forged response has an `error`.
        let forged =
            Url::parse("http://127.0.0.1:1/callback?error=access_denied&state=other").unwrap();
        assert!(
            check_callback(&forged, &state())
                .unwrap_err()
                .oauth
                .is_none()
        );
    }

    #[test]
    fn wrong_or_missing_state_and_errors_end_the_login() {
        for q in [
            "code=C&state=other",
            "code=C",
            "error=access_denied&error_description=User+said+no&state=expected-state",
        ] {
            let u = Url::parse(&format!("http://127.0.0.1:1/callback?{q}")).unwrap();
            let e = check_callback(&u, &state()).unwrap_err();
            assert_eq!(e.kind, crate::error::Kind::Auth);
            assert!(!e.message.contains("C&"), "{}", e.message);
        }
        let u = Url::parse(
            "http://127.0.0.1:1/callback?error=access_denied&error_description=User+said+no&state=expected-state",
        )
        .unwrap();
        assert!(
            check_callback(&u, &state())
                .unwrap_err()
                .message
                .contains("User said no")
        );
        // Without our state, the description is not trusted (or shown).
        let u = Url::parse(
            "http://127.0.0.1:1/callback?error=access_denied&error_description=Call+this+number",
        )
        .unwrap();
        let msg = check_callback(&u, &state()).unwrap_err().message;
        assert!(
            msg.contains("no `state`") && msg.contains("access_denied"),
            "{msg}"
        );
        assert!(!msg.contains("Call this number"), "{msg}");
    }

    /// The answer to `GET path`, as it came.
    #[test]
    fn idle_and_huge_connections_cannot_stop_the_real_callback() {
        use std::io::{Read, Write};
        let l = Listener::bind(0, "/callback").unwrap();
        let port = l.port();
        let t = std::thread::spawn(move || {
            l.wait_for_code(
                &CsrfToken::new("s1".into()),
                Instant::now() + Duration::from_secs(20),
            )
        });
        let connect = || {
            let s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            s
        };
        // Connections that send nothing, and a 1 MiB head (with our state:
        // served, it would end the login with its code).
        let idle: Vec<_> = (0..64).map(|_| connect()).collect();
        let mut big = connect();
        let huge = std::thread::spawn(move || {
            let mut head = b"GET /callback?code=evil&state=s1 HTTP/1.1\r\nX-Big: ".to_vec();
            head.resize(1 << 20, b'a');
            let _ = big.write_all(&head);
            let _ = big.write_all(b"\r\n\r\n");
            let mut out = Vec::new();
            let _ = big.read_to_end(&mut out);
            String::from_utf8_lossy(&out).to_string()
        });
        let started = Instant::now();
        assert!(get(port, "/callback?code=abc&state=s1").starts_with("HTTP/1.1 200"));
        assert_eq!(t.join().unwrap().unwrap().secret(), "abc");
        assert!(started.elapsed() < Duration::from_secs(5));
        let answer = huge.join().unwrap();
        assert!(
            answer.is_empty() || answer.starts_with("HTTP/1.1 431"),
            "{answer}"
        );
        // The silent connections were closed, not left to pile up.
        let closed = idle
            .iter()
            .filter(|s| {
                s.set_nonblocking(true).unwrap();
                let mut s: &std::net::TcpStream = s;
                match s.read(&mut [0u8; 8]) {
                    Ok(n) => n == 0,
                    Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
                }
            })
            .count();
        assert!(closed >= 32, "only {closed} of 64 idle connections closed");
    }

    #[test]
    fn listener_ignores_other_paths_and_accepts_one_callback() {
        let l = Listener::bind(0, "/callback").unwrap();
        let port = l.port();
        let t = std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(10);
            l.wait_for_code(&CsrfToken::new("s1".into()), deadline)
        });
        let get = |path: &str| get(port, path);
        assert!(get("/favicon.ico").starts_with("HTTP/1.1 404"));
        // Forged, stale or doubled: refused, and the login goes on.
        assert!(get("/callback?code=evil&state=forged").starts_with("HTTP/1.1 400"));
        assert!(get("/callback?code=evil").starts_with("HTTP/1.1 400"));
        assert!(get("/callback?code=evil&state=s1&state=s1").starts_with("HTTP/1.1 400"));
        assert!(get("/callback?code=abc&state=s1").starts_with("HTTP/1.1 200"));
        let c = t.join().unwrap().unwrap();
        assert_eq!(c.secret(), "abc");
    }

    #[test]
    fn a_launch_from_another_server_is_refused_and_the_wait_goes_on() {
        let l = Listener::bind(0, "/callback").unwrap();
        let port = l.port();
        let trusted = FhirBase::parse("https://ehr.example/tenantA/fhir").unwrap();
        let t = std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(10);
            l.wait_for_launch(deadline, Some(&trusted))
                .map(|(launch, pending)| {
                    pending.redirect(&Url::parse("https://ehr.example/authorize").unwrap());
                    launch
                })
        });
        for iss in [
            "https%3A%2F%2Fevil.example%2Ffhir",
            "https%3A%2F%2Fehr.example%2FtenantB%2Ffhir",
            "not-a-url",
        ] {
            let answer = get(port, &format!("/launch?iss={iss}&launch=x"));
            assert!(answer.starts_with("HTTP/1.1 400"), "{iss}: {answer}");
            assert!(answer.contains("Launch refused"), "{answer}");
        }
        // The trusted base, with a trailing slash: the same base.
        let answer = get(
            port,
            "/launch?iss=https%3A%2F%2Fehr.example%2FtenantA%2Ffhir%2F&launch=good",
        );
        assert!(answer.starts_with("HTTP/1.1 302"), "{answer}");
        let launch = t.join().unwrap().unwrap();
        assert_eq!(launch.launch, "good");
        assert_eq!(launch.iss.as_str(), "https://ehr.example/tenantA/fhir");
    }

    #[test]
    fn a_refused_launch_alone_times_out_and_says_why() {
        let l = Listener::bind(0, "/callback").unwrap();
        let port = l.port();
        let t = std::thread::spawn(move || {
            let trusted = FhirBase::parse("https://ehr.example/fhir").unwrap();
            l.wait_for_launch(Instant::now() + Duration::from_millis(800), Some(&trusted))
                .map(|(launch, _)| launch)
        });
        get(
            port,
            "/launch?iss=https%3A%2F%2Fevil.example%2Ffhir&launch=x",
        );
        let e = t.join().unwrap().unwrap_err();
        assert!(
            e.message.contains("names https://evil.example/fhir"),
            "{}",
            e.message
        );
        assert!(e.message.contains("in time"), "{}", e.message);
    }

    #[test]
    fn a_wrong_state_alone_times_out_and_says_so() {
        let l = Listener::bind(0, "/callback").unwrap();
        let port = l.port();
        let t = std::thread::spawn(move || {
            l.wait_for_code(
                &CsrfToken::new("s1".into()),
                Instant::now() + Duration::from_millis(800),
            )
        });
        get(port, "/callback?code=evil&state=forged");
        let e = t.join().unwrap().unwrap_err();
        assert!(e.message.contains("wrong `state`"), "{}", e.message);
        assert!(e.message.contains("in time"), "{}", e.message);
    }

    #[test]
    fn listener_times_out() {
        let l = Listener::bind(0, "/callback").unwrap();
        let e = l
            .wait_for_code(
                &CsrfToken::new("s".into()),
                Instant::now() + Duration::from_millis(200),
            )
            .unwrap_err();
        assert!(e.message.contains("in time"));
    }

    #[test]
    fn the_redirect_and_launch_urls_are_loopback_ip_urls_with_our_port() {
        // RFC 8252 §7.3: the IP literal, not `localhost`; the port the
        // listener got, and the path the profile registered.
        let l = Listener::bind(0, "/cb/here").unwrap();
        let port = l.port();
        assert_ne!(port, 0);
        assert_eq!(l.redirect_uri(), format!("http://127.0.0.1:{port}/cb/here"));
        assert_eq!(l.launch_url(), format!("http://127.0.0.1:{port}/launch"));
    }

    /// Connections to `port` are refused within a generous wait (the accept
    /// loop lets go of the socket on its own thread).
    fn refused_soon(port: u16) -> bool {
        let until = Instant::now() + Duration::from_secs(10);
        while Instant::now() < until {
            match std::net::TcpStream::connect(("127.0.0.1", port)) {
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => return true,
                _ => std::thread::sleep(Duration::from_millis(20)),
            }
        }
        false
    }

    fn pasted(lines: &str) -> Option<PasteSource> {
        use std::io::BufRead;
        let mut c = std::io::Cursor::new(lines.to_owned());
        Some(Box::new(move |line: &mut String| c.read_line(line)))
    }

    fn notes() -> (Reporter, Arc<std::sync::Mutex<Vec<String>>>) {
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let s = seen.clone();
        let r = Reporter::new(move |_, m| s.lock().unwrap().push(m.to_owned()));
        (r, seen)
    }

    #[test]
    fn a_pasted_url_wins_and_the_port_is_closed_after_it() {
        let l = Arc::new(Listener::bind(0, "/callback").unwrap());
        let port = l.port();
        let (reporter, seen) = notes();
        // Not a URL, another attempt's URL, then ours.
        let lines = "\nnot a url\n\
            http://127.0.0.1:1/callback?code=OLD&state=other\n\
            http://127.0.0.1:1/callback?code=PASTED&state=s1\n";
        let code = race_with_paste(
            l,
            CsrfToken::new("s1".into()),
            Instant::now() + Duration::from_secs(30),
            pasted(lines),
            reporter,
        )
        .unwrap();
        assert_eq!(code.secret(), "PASTED");
        assert!(refused_soon(port), "the loopback port is still open");
        let seen = seen.lock().unwrap();
        assert!(seen[0].contains("paste the whole URL"), "{seen:?}");
        assert!(seen[1].contains("wrong `state`"), "{seen:?}");
        assert_eq!(seen.len(), 2, "{seen:?}");
    }

    #[test]
    fn a_pasted_refusal_ends_the_login() {
        let l = Arc::new(Listener::bind(0, "/callback").unwrap());
        let port = l.port();
        let e = race_with_paste(
            l,
            CsrfToken::new("s1".into()),
            Instant::now() + Duration::from_secs(30),
            pasted("http://127.0.0.1:1/callback?error=access_denied&state=s1\n"),
            Reporter::default(),
        )
        .unwrap_err();
        assert_eq!(e.oauth_code(), Some(&OAuthErrorCode::AccessDenied));
        assert!(refused_soon(port), "the loopback port is still open");
    }

    #[test]
    fn the_browser_callback_wins_when_nothing_is_pasted() {
        let l = Arc::new(Listener::bind(0, "/callback").unwrap());
        let port = l.port();
        let t = std::thread::spawn(move || {
            race_with_paste(
                l,
                CsrfToken::new("s1".into()),
                Instant::now() + Duration::from_secs(30),
                pasted(""),
                Reporter::default(),
            )
        });
        assert!(get(port, "/callback?code=abc&state=s1").starts_with("HTTP/1.1 200"));
        assert_eq!(t.join().unwrap().unwrap().secret(), "abc");
        assert!(refused_soon(port), "the loopback port is still open");
    }

    #[test]
    fn a_race_nobody_answers_times_out() {
        // A deadline already near: the wait must not underflow it.
        let l = Arc::new(Listener::bind(0, "/callback").unwrap());
        let e = race_with_paste(
            l,
            CsrfToken::new("s1".into()),
            Instant::now() + Duration::from_millis(100),
            None,
            Reporter::default(),
        )
        .unwrap_err();
        assert!(e.message.contains("in time"), "{}", e.message);
    }

    #[test]
    fn a_closed_listener_refuses_connections() {
        let l = Listener::bind(0, "/callback").unwrap();
        let port = l.port();
        l.close();
        assert!(refused_soon(port));
    }

    #[test]
    fn smart_check_gets_the_redirect_unchecked() {
        let l = Listener::bind(0, "/callback").unwrap();
        let port = l.port();
        let t = std::thread::spawn(move || {
            l.wait_for_redirect(Instant::now() + Duration::from_secs(20))
        });
        assert!(get(port, "/other?code=x").starts_with("HTTP/1.1 404"));
        let answer = get(port, "/callback?error=invalid_scope&state=whatever");
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(
            answer.contains("smart check</code> has what it needs"),
            "{answer}"
        );
        let url = t.join().unwrap().unwrap();
        assert_eq!(url.path(), "/callback");
        assert_eq!(url.query(), Some("error=invalid_scope&state=whatever"));
        let e = Listener::bind(0, "/callback")
            .unwrap()
            .wait_for_redirect(Instant::now() + Duration::from_millis(100))
            .unwrap_err();
        assert!(e.message.contains("in time"), "{}", e.message);
    }

    #[test]
    fn a_failed_launch_shows_the_browser_why_escaped() {
        let l = Listener::bind(0, "/callback").unwrap();
        let port = l.port();
        let t = std::thread::spawn(move || {
            let (launch, pending) = l
                .wait_for_launch(Instant::now() + Duration::from_secs(20), None)
                .unwrap();
            pending.fail("no <client> for \"this\" & that");
            launch
        });
        let answer = get(
            port,
            "/launch?iss=https%3A%2F%2Fehr.example%2Ffhir&launch=L1",
        );
        assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
        assert!(
            answer.contains("<title>smart: Launch failed</title>"),
            "{answer}"
        );
        assert!(
            answer.contains("no &lt;client&gt; for &quot;this&quot; &amp; that"),
            "{answer}"
        );
        assert_eq!(t.join().unwrap().launch, "L1");
    }

    #[test]
    fn a_launch_without_iss_or_launch_is_answered_and_the_wait_goes_on() {
        let l = Listener::bind(0, "/callback").unwrap();
        let port = l.port();
        let t = std::thread::spawn(move || {
            l.wait_for_launch(Instant::now() + Duration::from_secs(20), None)
                .map(|(launch, _)| launch)
        });
        assert!(get(port, "/favicon.ico").starts_with("HTTP/1.1 404"));
        let answer = get(port, "/launch?launch=only");
        assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
        assert!(answer.contains("Launch incomplete"), "{answer}");
        get(
            port,
            "/launch?iss=https%3A%2F%2Fehr.example%2Ffhir&launch=L2",
        );
        let launch = t.join().unwrap().unwrap();
        assert_eq!(
            (launch.launch.as_str(), launch.iss.as_str()),
            ("L2", "https://ehr.example/fhir")
        );
    }

    #[test]
    fn check_ehr_refuses_other_servers_and_stops_at_its_servers_launch_without_launch() {
        let l = Listener::bind(0, "/callback").unwrap();
        let port = l.port();
        let base = FhirBase::parse("https://ehr.example/fhir").unwrap();
        let t = std::thread::spawn(move || {
            l.wait_for_launch_judged(Instant::now() + Duration::from_secs(20), &base)
        });
        let other = get(
            port,
            "/launch?iss=https%3A%2F%2Fevil.example%2Ffhir&launch=x",
        );
        assert!(other.contains("Launch refused"), "{other}");
        let answer = get(port, "/launch?iss=https%3A%2F%2Fehr.example%2Ffhir");
        assert!(answer.contains("Launch incomplete"), "{answer}");
        match t.join().unwrap().unwrap() {
            LaunchSeen::WithoutLaunch(iss) => assert_eq!(iss.as_str(), "https://ehr.example/fhir"),
            _ => panic!("not the launch without `launch`"),
        }
    }

    #[test]
    fn check_ehr_reports_the_last_refusal_when_the_time_is_up() {
        let l = Listener::bind(0, "/callback").unwrap();
        let port = l.port();
        let base = FhirBase::parse("https://ehr.example/fhir").unwrap();
        let deadline = Instant::now() + Duration::from_secs(3);
        let t = std::thread::spawn(move || l.wait_for_launch_judged(deadline, &base));
        get(port, "/launch?iss=https%3A%2F%2Fehr.example&launch=x");
        match t.join().unwrap().unwrap() {
            LaunchSeen::Refused(why) => assert_eq!(
                why,
                "it names https://ehr.example, but this app is set up for https://ehr.example/fhir"
            ),
            _ => panic!("not a refusal"),
        }
        // Nothing at all: an error that says where to launch.
        let l = Listener::bind(0, "/callback").unwrap();
        let base = FhirBase::parse("https://ehr.example/fhir").unwrap();
        let Err(e) = l.wait_for_launch_judged(Instant::now() + Duration::from_secs(1), &base)
        else {
            panic!("no launch is an error");
        };
        assert_eq!(e.kind, crate::error::Kind::Auth);
        assert!(e.message.contains(&l.launch_url()), "{}", e.message);
    }

    #[test]
    fn the_post_page_submits_every_field_escaped() {
        let html = auto_post_page(
            "https://as.example/authorize?tenant=1&x=2",
            &[
                ("scope".into(), "openid \"x\"".into()),
                ("state".into(), "<s>".into()),
            ],
        );
        assert!(html.contains(r#"action="https://as.example/authorize?tenant=1&amp;x=2""#));
        assert!(
            html.contains(r#"name="scope" value="openid &quot;x&quot;""#),
            "{html}"
        );
        assert!(html.contains(r#"name="state" value="&lt;s&gt;""#), "{html}");
        assert!(html.contains(r#"<form method="post""#));
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            html_escape(r#"<a href="x">&</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;"
        );
    }

    #[test]
    fn a_taken_port_is_a_clear_error() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = taken.local_addr().unwrap().port();
        let e = Listener::bind(port, "/callback").err().unwrap();
        assert!(e.message.contains(&format!("127.0.0.1:{port}")));
        assert!(e.hint.unwrap().contains("--redirect-port"));
    }
}
