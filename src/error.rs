//! Error kinds and the exit codes they map to — in one place, so the codes
//! documented in README.md cannot drift from what the binary does.
//!
//! Every failure the user can cause or meet is an [`Error`] with a kind and a
//! one-line message (plus an optional hint). Messages must never contain a
//! secret: callers pass redacted URLs and bodies only.

use std::fmt;
use std::process::ExitCode;

/// What went wrong, as far as a script branching on `$?` cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Bad command line, bad configuration file, bad local input. Exit 1.
    Usage,
    /// DNS, connect, TLS, timeout, truncated transfer. Exit 2.
    Network,
    /// The server answered, but with an error or a document we cannot use. Exit 3.
    Server,
    /// Authentication is needed, was refused, or the token store is unusable. Exit 4.
    Auth,
    /// The command ran, and what it checked has errors (`discover` findings). Exit 5.
    Findings,
    /// Stopped by Ctrl-C, after saying what was left behind (`export`). Exit
    /// 130, the shell's code for a process ended by SIGINT.
    Interrupted,
}

impl Kind {
    /// The name scripts see (`--json` errors' `kind`): spelled here, so that
    /// renaming a variant cannot change the output.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Usage => "usage",
            Kind::Network => "network",
            Kind::Server => "server",
            Kind::Auth => "auth",
            Kind::Findings => "findings",
            Kind::Interrupted => "interrupted",
        }
    }

    pub fn exit_code(self) -> u8 {
        match self {
            Kind::Usage => 1,
            Kind::Network => 2,
            Kind::Server => 3,
            Kind::Auth => 4,
            Kind::Findings => 5,
            Kind::Interrupted => 130,
        }
    }
}

/// A user-facing failure: a kind, one line of message, an optional hint line.
#[derive(Debug, Clone)]
pub struct Error {
    pub kind: Kind,
    pub message: String,
    pub hint: Option<String>,
    /// Further lines shown under the message (one per OperationOutcome issue).
    pub details: Vec<String>,
    /// The OperationOutcome the server sent, for `--json` error output
    /// (boxed: errors travel in every `Result` and should stay small).
    pub outcome: Option<Box<serde_json::Value>>,
    /// The RFC 6749 error an authorization server answered with: code
    /// paths branch on this value, never on the message text.
    pub oauth: Option<Box<OAuthError>>,
}

/// An OAuth 2.0 error response (RFC 6749 §4.1.2.1 and §5.2) as a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub code: OAuthErrorCode,
    /// `error_description`: the server's words, for people only.
    pub description: Option<String>,
}

/// The `error` codes of RFC 6749 §4.1.2.1 (authorization endpoint) and
/// §5.2 (token endpoint); any other code is kept as it came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OAuthErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    InvalidScope,
    AccessDenied,
    UnsupportedResponseType,
    ServerError,
    TemporarilyUnavailable,
    Other(String),
}

impl OAuthErrorCode {
    pub fn parse(code: &str) -> OAuthErrorCode {
        use OAuthErrorCode::*;
        match code {
            "invalid_request" => InvalidRequest,
            "invalid_client" => InvalidClient,
            "invalid_grant" => InvalidGrant,
            "unauthorized_client" => UnauthorizedClient,
            "unsupported_grant_type" => UnsupportedGrantType,
            "invalid_scope" => InvalidScope,
            "access_denied" => AccessDenied,
            "unsupported_response_type" => UnsupportedResponseType,
            "server_error" => ServerError,
            "temporarily_unavailable" => TemporarilyUnavailable,
            other => Other(other.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        use OAuthErrorCode::*;
        match self {
            InvalidRequest => "invalid_request",
            InvalidClient => "invalid_client",
            InvalidGrant => "invalid_grant",
            UnauthorizedClient => "unauthorized_client",
            UnsupportedGrantType => "unsupported_grant_type",
            InvalidScope => "invalid_scope",
            AccessDenied => "access_denied",
            UnsupportedResponseType => "unsupported_response_type",
            ServerError => "server_error",
            TemporarilyUnavailable => "temporarily_unavailable",
            Other(s) => s,
        }
    }
}

impl fmt::Display for OAuthErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.description {
            Some(d) => write!(f, "{}: {d}", self.code),
            None => write!(f, "{}", self.code),
        }
    }
}

/// The kind of a token endpoint's error answer, by its HTTP status: a 4xx
/// means our credentials or grant were not accepted (exit 4), a 5xx is the
/// server's fault (exit 3), whatever the `error` code says.
pub fn token_endpoint_kind(status: u16) -> Kind {
    if (500..600).contains(&status) {
        Kind::Server
    } else {
        Kind::Auth
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: one_line(message.into()),
            hint: None,
            details: Vec::new(),
            outcome: None,
            oauth: None,
        }
    }
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(Kind::Usage, message)
    }
    pub fn network(message: impl Into<String>) -> Self {
        Self::new(Kind::Network, message)
    }
    pub fn server(message: impl Into<String>) -> Self {
        Self::new(Kind::Server, message)
    }
    pub fn auth(message: impl Into<String>) -> Self {
        Self::new(Kind::Auth, message)
    }
    pub fn findings(message: impl Into<String>) -> Self {
        Self::new(Kind::Findings, message)
    }
    pub fn interrupted(message: impl Into<String>) -> Self {
        Self::new(Kind::Interrupted, message)
    }
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(one_line(hint.into()));
        self
    }
    /// A hint for errors that have none: an error's own hint names the
    /// better fix (an unknown profile's "did you mean …?"), so callers that
    /// add a general one must not overwrite it.
    pub fn or_hint(mut self, hint: impl Into<String>) -> Self {
        if self.hint.is_none() {
            self.hint = Some(one_line(hint.into()));
        }
        self
    }
    /// Says what was being done (`what: message`); kind, hint, details and
    /// the server's answer are kept.
    pub fn context(mut self, what: impl fmt::Display) -> Self {
        self.message = one_line(format!("{what}: {}", self.message));
        self
    }
    pub fn with_details(mut self, lines: Vec<String>) -> Self {
        self.details = lines.into_iter().map(one_line).collect();
        self
    }
    pub fn with_outcome(mut self, outcome: serde_json::Value) -> Self {
        self.outcome = Some(Box::new(outcome));
        self
    }
    /// Carries an authorization server's error code (see [`OAuthError`]).
    pub fn with_oauth(mut self, oauth: OAuthError) -> Self {
        self.oauth = Some(Box::new(oauth));
        self
    }
    /// The RFC 6749 error code the server answered with, if any.
    pub fn oauth_code(&self) -> Option<&OAuthErrorCode> {
        self.oauth.as_ref().map(|o| &o.code)
    }
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.kind.exit_code())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::usage(e.to_string())
    }
}

/// Error messages are printed as one line; collapse anything a server or a
/// library put on several.
/// Also drops other control characters: messages quote servers, and a
/// server's text must not drive the terminal (escape sequences).
fn one_line(s: String) -> String {
    if !s.chars().any(char::is_control) {
        return s;
    }
    s.split(['\n', '\r'])
        .map(|l| l.chars().filter(|c| !c.is_control()).collect::<String>())
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
impl Kind {
    /// Every kind, for the tests that check where the codes are documented.
    pub(crate) const ALL: [Kind; 6] = [
        Kind::Usage,
        Kind::Network,
        Kind::Server,
        Kind::Auth,
        Kind::Findings,
        Kind::Interrupted,
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_are_the_documented_ones() {
        assert_eq!(Kind::Usage.exit_code(), 1);
        assert_eq!(Kind::Network.exit_code(), 2);
        assert_eq!(Kind::Server.exit_code(), 3);
        assert_eq!(Kind::Auth.exit_code(), 4);
        assert_eq!(Kind::Findings.exit_code(), 5);
        assert_eq!(Kind::Interrupted.exit_code(), 130);
    }

    /// Every kind's code is in README's "Exit codes" table, and the table has
    /// no code the binary does not use (`--help` is checked in `cli.rs`).
    #[test]
    fn readme_table_lists_every_exit_code() {
        let kinds = Kind::ALL;
        let readme = include_str!("../README.md");
        let table = readme
            .split("## Exit codes")
            .nth(1)
            .and_then(|t| t.split("\n## ").next())
            .expect("README has an Exit codes section");
        let documented: Vec<u8> = table
            .lines()
            .filter_map(|l| l.strip_prefix("| ")?.split(' ').next()?.parse().ok())
            .collect();
        let mut used: Vec<u8> = kinds.iter().map(|k| k.exit_code()).collect();
        used.insert(0, 0);
        assert_eq!(documented, used, "README's exit-code table");
    }

    #[test]
    fn token_endpoint_errors_map_by_status() {
        assert_eq!(token_endpoint_kind(400).exit_code(), 4);
        assert_eq!(token_endpoint_kind(401).exit_code(), 4);
        assert_eq!(token_endpoint_kind(503).exit_code(), 3);
    }

    #[test]
    fn oauth_codes_round_trip() {
        for c in [
            "invalid_client",
            "invalid_grant",
            "access_denied",
            "x_custom",
        ] {
            assert_eq!(OAuthErrorCode::parse(c).as_str(), c);
        }
        assert_eq!(
            OAuthErrorCode::parse("invalid_client"),
            OAuthErrorCode::InvalidClient
        );
    }

    #[test]
    fn escape_sequences_are_dropped() {
        let e = Error::server("bad \u{1b}[31mred\u{1b}[0m \u{7}bell");
        assert_eq!(e.message, "bad [31mred[0m bell");
    }

    #[test]
    fn or_hint_keeps_the_errors_own_hint() {
        let own = Error::usage("unknown profile `sandbx`").with_hint("did you mean `sandbox`?");
        let e = own.or_hint("pass a FHIR base URL");
        assert_eq!(e.hint.as_deref(), Some("did you mean `sandbox`?"));
        let none = Error::usage("no base").or_hint("pass a FHIR base URL");
        assert_eq!(none.hint.as_deref(), Some("pass a FHIR base URL"));
    }

    #[test]
    fn context_keeps_kind_and_hint() {
        let e = Error::auth("no key")
            .with_hint("set SMART_PRIVATE_KEY")
            .context("no public keys");
        assert_eq!(e.kind, Kind::Auth);
        assert_eq!(e.message, "no public keys: no key");
        assert_eq!(e.hint.as_deref(), Some("set SMART_PRIVATE_KEY"));
    }

    #[test]
    fn kind_names_are_the_documented_ones() {
        let names: Vec<&str> = [
            Kind::Usage,
            Kind::Network,
            Kind::Server,
            Kind::Auth,
            Kind::Findings,
            Kind::Interrupted,
        ]
        .iter()
        .map(|k| k.name())
        .collect();
        assert_eq!(
            names,
            [
                "usage",
                "network",
                "server",
                "auth",
                "findings",
                "interrupted"
            ]
        );
    }

    #[test]
    fn messages_are_folded_to_one_line() {
        let e = Error::server("first\n  second\r\n\nthird");
        assert_eq!(e.message, "first second third");
    }
}
