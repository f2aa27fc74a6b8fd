//! `smart sandbox`: an embedded SMART on FHIR server — authorization server,
//! synthetic FHIR data (or a proxy in front of a plain FHIR server), named
//! faults and named quirks of real servers — for demos, for server
//! implementers to compare against, and for our own tests, all offline.
//!
//! URL layout, for an origin `http://127.0.0.1:PORT`:
//! - FHIR base `{origin}/fhir` (also the OpenID issuer), with
//!   `/fhir/.well-known/smart-configuration`, `/fhir/.well-known/openid-configuration`
//!   and `/fhir/metadata`;
//! - the authorization server under `{origin}/auth/` (`authorize`, `token`,
//!   `introspect`, `revoke`, `register`, `jwks`, `launch`);
//! - attachments' content under the FHIR base (`Binary/{id}`);
//! - Bulk Data export under the FHIR base (`$export`, `$export-status/…`,
//!   `$export-file/…`), and the same files on a second, "storage" origin
//!   (another port): `{storage}/bucket/{job}/{name}?sig=…`.
//!
//! The two halves meet in [`Grant`]: the auth side turns a bearer token into
//! a `Grant`, the FHIR side asks the grant what it may do ([`Access`]).

mod by_name;
pub mod clock;
pub mod faults;
pub mod quirks;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use url::Url;

pub use faults::{Fault, Faults};
pub use journal::{Journal, Received};
pub use quirks::{Quirk, Quirks};

/// Everything `smart sandbox` can be told, independent of clap.
#[derive(Debug, Clone)]
pub struct Options {
    pub bind: std::net::IpAddr,
    /// The address of the storage origin (export files as presigned URLs);
    /// `None`: `bind`. Tests in a network namespace of their own put it on
    /// another kind of address than the FHIR base's.
    pub storage_bind: Option<std::net::IpAddr>,
    /// 0 = ephemeral.
    pub port: u16,
    pub patients: usize,
    pub seed: u64,
    pub upstream: Option<Url>,
    pub token_lifetime: Duration,
    /// Extra client registrations (RFC 7591 client metadata, JSON array).
    pub clients_file: Option<PathBuf>,
    pub faults: Faults,
    pub quirks: Quirks,
    pub auto_approve: bool,
    /// (certificate chain PEM, private key PEM) for https.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Keep a [`Journal`] of every request received (for tests).
    pub record: bool,
    /// Accept plain-http `jwks_uri`s on loopback (registration and
    /// `clients_file`); otherwise a `jwks_uri` must be https.
    pub allow_loopback_jwks_uri: bool,
    /// A connection must send a complete request head (and, for https, its
    /// TLS handshake first) within this time, or it is closed: no slowloris.
    pub header_read_timeout: Duration,
    /// Connections served at once; more wait, unaccepted, until one closes.
    pub max_connections: usize,
    /// How long a Bulk Data export job stays "in progress" after its
    /// kick-off (at least; also until its files are written).
    pub export_delay: Duration,
    /// Resources per export file at most; a type with more gets several.
    pub export_file_lines: usize,
    /// Export jobs one client may have running at once; a kick-off past
    /// it gets 429 with `Retry-After`.
    pub export_jobs_per_client: usize,
    /// Bytes the kept export files may hold; a kick-off past it gets 429.
    pub export_disk_limit: u64,
    /// FHIR requests a second that the `rate-limited` fault answers; more
    /// in the same second get 429 with `Retry-After`.
    pub rate_limit: u32,
    /// Where the time comes from (tests inject a [`clock::ManualClock`]).
    pub clock: Arc<dyn clock::Clock>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            bind: std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
            storage_bind: None,
            port: 0,
            patients: 100,
            seed: 1,
            upstream: None,
            token_lifetime: Duration::from_secs(3600),
            clients_file: None,
            faults: Faults::default(),
            quirks: Quirks::default(),
            auto_approve: false,
            tls: None,
            record: false,
            allow_loopback_jwks_uri: false,
            header_read_timeout: Duration::from_secs(10),
            max_connections: 256,
            export_delay: Duration::from_secs(2),
            export_file_lines: 10_000,
            export_jobs_per_client: 10,
            export_disk_limit: 2 << 30,
            rate_limit: 10,
            clock: Arc::new(clock::SystemClock),
        }
    }
}

/// What a valid access token lets its bearer do. Produced by the
/// authorization side from a bearer token; consumed by the FHIR side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub client_id: String,
    /// Granted scopes, as issued.
    pub scopes: Vec<String>,
    /// Launch context patient, when one was chosen.
    pub patient: Option<String>,
    pub encounter: Option<String>,
    /// `Practitioner/…` or `Patient/…` of the user, when there is one.
    pub fhir_user: Option<String>,
    pub expires_at: SystemTime,
}

pub use smart_vocab::scope::Interaction;

/// The answer to "may this grant do that to this resource type?".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// No scope permits it: 403.
    Denied,
    /// Permitted within this patient's compartment only (`patient/` scopes).
    Compartment(String),
    /// Permitted for every resource of the type (`user/` or `system/` scopes).
    All,
}

pub mod auth;
mod echo;
pub mod fhir;
mod journal;
pub mod scopes;
mod server;
mod summary;
mod tls_legacy;

pub use server::Sandbox;

/// Shared by every handler.
pub(crate) struct State {
    pub(crate) opts: Options,
    /// `http://127.0.0.1:PORT` (or https), no trailing slash.
    pub(crate) origin: Url,
    /// `{origin}/fhir`
    pub(crate) fhir_base: Url,
    /// The second listener's origin, serving export files as presigned
    /// URLs (`/bucket/…`), no trailing slash.
    pub(crate) storage_origin: Url,
    pub(crate) auth: auth::AuthState,
    pub(crate) fhir: fhir::FhirState,
}

impl State {
    /// `{origin}/auth/{path}`, e.g. `auth_url("token")`.
    pub(crate) fn auth_url(&self, path: &str) -> Url {
        self.origin
            .join(&format!("/auth/{path}"))
            .expect("origin joins with a path")
    }

    /// The time, from the injected clock.
    pub(crate) fn now(&self) -> SystemTime {
        self.opts.clock.now()
    }

    /// The FHIR base as a string without trailing slash (the `aud` to expect).
    pub(crate) fn fhir_base_str(&self) -> &str {
        self.fhir_base.as_str().trim_end_matches('/')
    }
}
