//! The command line, as clap definitions only. Completions and the man page
//! are generated from these same definitions (see [`generate`]).
//!
//! Commands validate nothing here beyond what clap can; each command module
//! in `commands/` turns its args into work.

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

use crate::config::{BasicAuthEncoding, ClientType, PkceMode, TokenAuthMethod};
use crate::oauth::keys::SigningAlg;
use crate::output::render::Format;
use crate::token_store::StoreKind;

#[derive(Debug, Parser)]
#[command(
    name = "smart",
    version,
    about = "A command-line SMART on FHIR launch and query tool",
    long_about = "smart talks to SMART on FHIR servers from a terminal: discover what a server \
supports, log in with the SMART App Launch flow, and query FHIR data.\n\n\
Exit codes: 0 ok, 1 usage or configuration error, 2 network or TLS error, 3 the server \
answered with an error or an invalid document, 4 authentication needed or failed, \
5 the checked document has errors (findings), 130 interrupted (Ctrl-C).",
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// Parses the process's arguments, noting where `--token-store` came from.
    pub fn parse_args() -> Result<Cli, clap::Error> {
        use clap::{CommandFactory, FromArgMatches};
        let matches = match Cli::command().try_get_matches() {
            Ok(m) => m,
            // An error's usage line lists every argument present, and clap
            // counts one set from the environment (SMART_PROFILE,
            // SMART_TOKEN_STORE) as typed: `Usage: smart get --token-store
            // <STORE> <TARGET>` reads as if it were required. The same error
            // from a parse without the environment shows what was typed.
            Err(e) if e.use_stderr() => {
                let without_env = Cli::command()
                    .mut_arg("profile", |a| a.env(None))
                    .mut_arg("token_store", |a| a.env(None))
                    .try_get_matches();
                return Err(match without_env {
                    Err(plain) if plain.kind() == e.kind() => plain,
                    _ => e,
                });
            }
            Err(e) => return Err(e),
        };
        let mut cli = Cli::from_arg_matches(&matches)?;
        cli.global.token_store_from_flag = from_command_line(&matches, "token_store");
        Ok(cli)
    }
}

/// Global flags may be given after any subcommand: look at every level.
fn from_command_line(m: &clap::ArgMatches, id: &str) -> bool {
    m.value_source(id) == Some(clap::parser::ValueSource::CommandLine)
        || m.subcommand()
            .is_some_and(|(_, sub)| from_command_line(sub, id))
}

/// Under their own heading, after a subcommand's own options: `smart get
/// --help` starts with what `get` takes.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Profile to use (default: the one chosen with `smart profile use`)
    #[arg(
        short = 'p',
        long,
        global = true,
        env = "SMART_PROFILE",
        value_name = "NAME"
    )]
    pub profile: Option<String>,

    /// Machine-readable JSON output wherever there is output
    #[arg(long, global = true)]
    pub json: bool,

    /// Trace HTTP requests and responses on stderr (secrets are redacted)
    #[arg(short, long, global = true)]
    pub verbose: bool,

    /// When to use colors (`NO_COLOR` is honoured by `auto`)
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    /// Network timeout per request (default 30); for `login`, also how long
    /// to wait for the browser (default 300)
    #[arg(long, global = true, value_name = "SECS",
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: Option<u64>,

    /// Extra PEM trust root(s) for TLS (TLS is always verified)
    #[arg(long, global = true, value_name = "FILE")]
    pub cacert: Option<PathBuf>,

    /// Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere
    #[arg(
        long,
        global = true,
        value_enum,
        env = "SMART_TOKEN_STORE",
        value_name = "STORE"
    )]
    pub token_store: Option<StoreKindArg>,

    /// Add a header to every request to the FHIR server's origin (discovery
    /// included; not the token endpoint): 'Name: value', repeatable
    #[arg(
        short = 'H',
        long = "header",
        global = true,
        value_name = "NAME: VALUE"
    )]
    pub header: Vec<String>,

    /// Send the -H and profile headers to the token endpoint too (and
    /// revocation, introspection, registration), on the same origin only
    #[arg(long, global = true)]
    pub header_token_endpoint: bool,

    /// Whether `--token-store` was on the command line rather than from
    /// `SMART_TOKEN_STORE` (clap merges the two; provenance needs them
    /// apart). Set by [`Cli::parse_args`].
    #[arg(skip)]
    pub token_store_from_flag: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// A clap value enum that mirrors a domain enum (which knows nothing of
/// clap), with the `From` conversion into it. The doc comments are the
/// possible values' help in `--help` and the completion scripts.
macro_rules! value_enum {
    ($(#[$m:meta])* $name:ident => $domain:ident { $($(#[$vm:meta])* $v:ident,)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
        pub enum $name {
            $($(#[$vm])* $v,)*
        }

        impl From<$name> for $domain {
            fn from(v: $name) -> $domain {
                match v {
                    $($name::$v => $domain::$v,)*
                }
            }
        }
    };
}

value_enum! {
    /// `--token-store`.
    StoreKindArg => StoreKind {
        /// The OS keychain (Secret Service, macOS Keychain, Windows Credential Manager)
        Keychain,
        /// Files under $XDG_STATE_HOME/smart, mode 0600 (explicit fallback)
        File,
        /// Keep nothing: tokens live for one command (CI with SMART_ACCESS_TOKEN)
        None,
    }
}

value_enum! {
    /// `--client-type`.
    ClientTypeArg => ClientType {
        /// No client secret (native app); PKCE protects the code
        Public,
        /// Client secret (kept in the OS keychain)
        ConfidentialSymmetric,
        /// Private key JWT at the token endpoint
        ConfidentialAsymmetric,
        /// SMART Backend Services (client_credentials, no user)
        Backend,
    }
}

value_enum! {
    /// `--pkce`.
    PkceModeArg => PkceMode {
        /// Always send S256 PKCE, advertised or not
        Always,
        /// Send PKCE only when the server advertises S256
        IfAdvertised,
    }
}

value_enum! {
    /// `--token-auth-method`.
    TokenAuthMethodArg => TokenAuthMethod {
        #[value(name = "none")]
        None,
        #[value(name = "client_secret_basic")]
        ClientSecretBasic,
        #[value(name = "client_secret_post")]
        ClientSecretPost,
        #[value(name = "private_key_jwt")]
        PrivateKeyJwt,
    }
}

value_enum! {
    /// `--basic-auth-encoding`.
    BasicAuthEncodingArg => BasicAuthEncoding {
        /// Form-encode id and secret, then base64 (RFC 6749 §2.3.1; the default)
        Form,
        /// Base64 of the raw id:secret (servers that want plain HTTP Basic)
        Raw,
    }
}

value_enum! {
    /// `--alg`.
    SigningAlgArg => SigningAlg {
        /// ECDSA on P-384 with SHA-384 (small keys, fast; the default)
        #[value(name = "ES384")]
        ES384,
        /// RSASSA-PKCS1-v1_5 with SHA-384
        #[value(name = "RS384")]
        RS384,
    }
}

value_enum! {
    /// `--output`.
    FormatArg => Format {
        /// Pretty JSON: the resource, or an array of the search's resources
        Json,
        /// One resource per line (the default when stdout is not a terminal)
        Ndjson,
        /// The server's Bundle(s) unchanged, one per line
        Bundle,
        /// A compact table: id and a summary per type (the default on a terminal)
        Table,
        /// `Type/id`, one per line
        Ids,
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read and validate a server's SMART configuration
    Discover(DiscoverArgs),

    /// Manage server profiles (stored in the config file; never secrets)
    #[command(subcommand)]
    Profile(ProfileCommand),

    /// Sign in (SMART App Launch: browser, loopback redirect, PKCE) and store the tokens
    Login(LoginArgs),

    /// Show who is logged in, with what context and scopes, and for how long
    Status,

    /// Print the access token (refreshed first when about to expire)
    Token(TokenArgs),

    /// Refresh the tokens now
    Refresh,

    /// Revoke the tokens at the server and delete them here
    Logout(LogoutArgs),

    /// Run an embedded SMART on FHIR server for demos and tests
    ///
    /// Limits, so that an exposed sandbox stays usable: each connection must send its
    /// request head (after its TLS handshake, for https) within 10 s; at most 256
    /// connections are served at once, more wait until one closes. Registration
    /// (/auth/register) is open but accepts only https jwks_uri values (plain http on
    /// loopback with --allow-loopback-jwks-uri), and a jwks_uri answer is read up to
    /// 64 KiB and 5 s. With --upstream, a path with a dot segment or an encoded `.`, `/`
    /// or `\` is refused (400).
    Sandbox(SandboxArgs),

    /// Client signing keys for private_key_jwt (backend services, asymmetric clients)
    #[command(subcommand)]
    Keys(KeysCommand),

    /// Register a client at the server (RFC 7591) and save it as a new profile
    Register(RegisterArgs),

    /// Search: `smart query Patient family=smith --all` (streams; see --output)
    Query(QueryArgs),

    /// Read one resource or any URL on the FHIR server: `smart get Patient/123`
    Get(GetArgs),

    /// Create a resource: `smart create Patient -d @patient.json`
    Create(CreateArgs),

    /// Update a resource: `smart update Patient/123 -d @patient.json [--if-match 3]`
    Update(UpdateArgs),

    /// Delete a resource: `smart delete Patient/123`
    Delete(DeleteArgs),

    /// Summarize the server's CapabilityStatement (`--json` for all of it)
    Capabilities(CapabilitiesArgs),
    /// FHIR Bulk Data export: kick-off, polling, parallel resumable download
    ///
    /// `smart export [system | patient | group GROUP_ID]` starts a Bulk Data export
    /// (Bulk Data Access IG v2), polls until the server has the files, and downloads
    /// them into --out DIR as `<Type>.<n>.ndjson` (error files under DIR/error/),
    /// --parallel at a time, each checked line by line against its declared type and
    /// the manifest's count. The job and each file's state are kept in
    /// DIR/.smart-export.json: after a crash, a kill or Ctrl-C, --resume continues
    /// without a new kick-off (partial files with Range when the server allows).
    /// The token is sent only when the manifest says requiresAccessToken and only to
    /// URLs under the profile's FHIR base; redirects elsewhere (storage) never get it.
    /// A summary goes to stderr (--json: one JSON document on stdout).
    Export(ExportArgs),

    /// Smoke-test a server's SMART conformance (for server implementers)
    ///
    /// Every check has a stable id, a spec reference and a severity; the exit
    /// code is 5 when a required check fails (warnings do not fail the run).
    /// Without a client only the checks that need none run; the others are
    /// reported as skipped, with what to pass to run them.
    Check(CheckArgs),

    /// Print a shell completion script
    Completions(CompletionsArgs),

    /// Print the man page (roff)
    #[command(hide = true)]
    Man,
}

#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// FHIR base URL to check. Default: the profile's
    #[arg(value_name = "FHIR_BASE")]
    pub fhir_base: Option<String>,
    /// Client id for the authorize and token checks (a public client, unless
    /// --secret-stdin, whose registered redirect URI is `--redirect-uri`).
    /// Default: the profile's
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
    /// Read the client's secret from stdin: the checks act as a
    /// confidential client (client_secret_basic, or _post)
    #[arg(long)]
    pub secret_stdin: bool,
    /// Redirect URI registered for the client
    #[arg(
        long,
        value_name = "URI",
        default_value = "http://127.0.0.1:53682/callback"
    )]
    pub redirect_uri: String,
    /// Scope the client asks for
    #[arg(
        long,
        value_name = "SCOPE",
        default_value = "openid fhirUser launch/patient patient/*.rs offline_access"
    )]
    pub scope: String,
    /// A patient id the launch patient's token must not read (for
    /// fhir.patient-compartment)
    #[arg(long, value_name = "ID")]
    pub other_patient: Option<String>,
    /// Run only these groups (discovery, authorize, token, fhir, revocation, registration, backend, bulk)
    /// or check ids; the report lists only them
    #[arg(long, value_name = "GROUP|CHECK_ID", value_delimiter = ',')]
    pub only: Vec<String>,
    /// Leave out these check ids (listed as skipped)
    #[arg(long, value_name = "CHECK_ID", value_delimiter = ',')]
    pub skip: Vec<String>,
    /// Write a JUnit XML report (one testsuite per group) to FILE
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write every HTTP exchange, redacted, to FILE
    #[arg(long, value_name = "FILE")]
    pub transcript: Option<PathBuf>,
    /// Write a self-contained HTML report to FILE
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Complete authorization requests that need a sign-in in the browser
    /// (`BROWSER` honoured; a program that signs in by itself makes it headless)
    #[arg(long, conflicts_with = "no_login")]
    pub browser: bool,
    /// Run only what needs no user (the default without --browser)
    #[arg(long)]
    pub no_login: bool,
    /// EHR launch: print the app's launch URL, wait (up to --timeout, default
    /// 120 s) for the EHR to open it, and run the checks on that launch
    #[arg(long)]
    pub ehr: bool,
    /// List the checks (id, severity, title, reference, SMART 2.2 requirement
    /// ids, Inferno test ids) and exit
    #[arg(long)]
    pub list: bool,
    /// Export levels the bulk checks run at: system, patient, group:ID
    /// (repeat or comma-separate). Default: the levels the CapabilityStatement
    /// declares (a declared Group export needs group:ID)
    #[arg(long, value_name = "LEVEL", value_delimiter = ',')]
    pub bulk_level: Vec<String>,
    /// Seconds an export job of the bulk checks may take to complete
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    pub bulk_timeout: u64,
}

#[derive(Debug, Clone, Args)]
pub struct DiscoverArgs {
    /// FHIR base URL (https; http only for loopback). Default: the profile's
    #[arg(value_name = "FHIR_BASE")]
    pub fhir_base: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ProfileCommand {
    /// Add a profile (the first one becomes the default)
    Add(Box<ProfileAddArgs>),
    /// List profiles
    List,
    /// Show one profile, workarounds included (default: the current one)
    Show {
        #[arg(value_name = "NAME")]
        name: Option<String>,
    },
    /// Make a profile the default
    Use {
        #[arg(value_name = "NAME")]
        name: String,
    },
    /// Remove a profile
    Remove {
        #[arg(value_name = "NAME")]
        name: String,
    },
    /// Store a profile's client secret in the token store (read from stdin, never an argument)
    SetSecret {
        #[arg(value_name = "NAME")]
        name: Option<String>,
    },
}

#[derive(Debug, Clone, Args)]
pub struct LoginArgs {
    /// FHIR base URL (creates or updates no profile unless none exists; see -p)
    #[arg(long, value_name = "URL")]
    pub fhir_base: Option<String>,

    /// OAuth client id (overrides the profile's)
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,

    /// Scopes to request (overrides the profile's)
    #[arg(long, value_name = "SCOPE")]
    pub scope: Option<String>,

    /// EHR launch: the `launch` value the EHR gave (use with --iss)
    #[arg(long, value_name = "VALUE", requires = "iss")]
    pub launch: Option<String>,

    /// EHR launch: the `iss` (FHIR base) the EHR gave
    #[arg(long, value_name = "URL", requires = "launch")]
    pub iss: Option<String>,

    /// EHR launch as a real app receives it: wait on http://127.0.0.1:PORT/launch for the EHR
    #[arg(long, conflicts_with_all = ["launch", "iss"])]
    pub ehr: bool,

    /// Do not open a browser; print the URL (for SSH and containers)
    #[arg(long)]
    pub no_browser: bool,

    /// Fixed loopback port for the redirect URI (default: ephemeral)
    #[arg(long, value_name = "N", conflicts_with = "redirect_uri")]
    pub redirect_port: Option<u16>,

    /// Full pre-registered loopback redirect URI, e.g. http://127.0.0.1:8765/cb
    #[arg(long, value_name = "URL")]
    pub redirect_uri: Option<String>,

    /// Read the client secret from stdin and store it (confidential clients)
    #[arg(long)]
    pub secret_stdin: bool,
}

#[derive(Debug, Clone, Args)]
pub struct TokenArgs {
    /// Show the JWT header and claims (not verified) instead of the token; an opaque token is named as such
    #[arg(long, conflicts_with = "introspect")]
    pub decode: bool,

    /// Ask the server's introspection endpoint whether the token is active
    #[arg(long)]
    pub introspect: bool,
}

#[derive(Debug, Clone, Args)]
pub struct LogoutArgs {
    /// Log out of every profile
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ProfileAddArgs {
    /// Profile name (letters, digits, `-`, `_`, `.`)
    #[arg(value_name = "NAME")]
    pub name: String,

    /// FHIR base URL of the server
    #[arg(long, value_name = "URL")]
    pub fhir_base: String,

    /// OAuth client id registered with the server
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,

    /// Default scope to request at login
    #[arg(long, value_name = "SCOPE")]
    pub scope: Option<String>,

    /// Fixed loopback port for the redirect URI (default: an ephemeral port)
    #[arg(long, value_name = "N")]
    pub redirect_port: Option<u16>,

    /// Kind of OAuth client
    #[arg(long, value_enum, value_name = "TYPE")]
    pub client_type: Option<ClientTypeArg>,

    /// Value to send as `aud` instead of the FHIR base
    #[arg(long, value_name = "URL", conflicts_with = "no_aud")]
    pub aud: Option<String>,

    /// Do not send `aud` (for servers that reject it)
    #[arg(long)]
    pub no_aud: bool,

    /// Workaround: PKCE `always` (default) or only `if-advertised`
    #[arg(long, value_enum, value_name = "MODE")]
    pub pkce: Option<PkceModeArg>,

    /// Workaround: force this token endpoint client authentication method
    #[arg(long, value_enum, value_name = "METHOD")]
    pub token_auth_method: Option<TokenAuthMethodArg>,

    /// Workaround: extra authorize request parameter (repeatable)
    #[arg(long = "authorize-param", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub authorize_params: Vec<(String, String)>,

    /// Workaround: add `_format=json` to FHIR requests (servers that answer XML)
    #[arg(long)]
    pub format_json: bool,

    /// Workaround: how client_secret_basic encodes id and secret
    #[arg(long, value_enum, value_name = "HOW")]
    pub basic_auth_encoding: Option<BasicAuthEncodingArg>,

    /// Ask for scopes as written, even when the server advertises only the other scope dialect
    #[arg(long)]
    pub no_scope_translation: bool,

    /// Longest Retry-After wait to honour on 429/503, in seconds (default 60)
    #[arg(long, value_name = "SECS")]
    pub max_retry_wait: Option<u64>,

    /// private_key_jwt: private key file (PEM, JWK or JWKS), or `keychain` (the token store)
    #[arg(long, value_name = "FILE")]
    pub private_key: Option<String>,

    /// private_key_jwt: key id the server knows the key by (default: its thumbprint)
    #[arg(long, value_name = "ID")]
    pub kid: Option<String>,

    /// private_key_jwt: signing algorithm (default: what the key signs with)
    #[arg(long, value_enum, value_name = "ALG")]
    pub alg: Option<SigningAlgArg>,

    /// private_key_jwt: URL where the public JWKS is hosted (sent as `jku`)
    #[arg(long, value_name = "URL")]
    pub jku: Option<String>,

    /// Replace an existing profile of the same name
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Clone, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct SandboxArgs {
    #[command(subcommand)]
    pub action: Option<SandboxCommand>,

    #[command(flatten)]
    pub serve: SandboxServeArgs,
}

#[derive(Debug, Clone, Subcommand)]
pub enum SandboxCommand {
    /// Print an EHR launch URL for an app, issued by a running sandbox
    LaunchUrl(SandboxLaunchUrlArgs),
}

#[derive(Debug, Clone, Args)]
pub struct SandboxServeArgs {
    /// Port to listen on (0 = an ephemeral port)
    #[arg(long, default_value_t = 8321, value_name = "N")]
    pub port: u16,

    /// Address to bind (loopback by default)
    #[arg(long, default_value = "127.0.0.1", value_name = "ADDR")]
    pub bind: std::net::IpAddr,

    /// Number of synthetic patients to generate
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub patients: usize,

    /// Seed for the synthetic data (same seed, same data)
    #[arg(long, default_value_t = 1, value_name = "S")]
    pub seed: u64,

    /// Put SMART authorization in front of this plain FHIR server instead of the synthetic data
    #[arg(long, value_name = "URL")]
    pub upstream: Option<String>,

    /// Access token lifetime in seconds
    #[arg(long, default_value_t = 3600, value_name = "SECS")]
    pub token_lifetime: u64,

    /// Extra client registrations (JSON file)
    #[arg(long, value_name = "FILE")]
    pub clients: Option<PathBuf>,

    /// Misbehave in one named way (repeatable or comma-separated; `--fault help` lists them)
    #[arg(long = "fault", value_name = "NAME")]
    pub faults: Vec<String>,

    /// Behave like some real EHR servers do (repeatable or comma-separated; `--quirk help` lists them)
    #[arg(long = "quirk", value_name = "NAME")]
    pub quirks: Vec<String>,

    /// Approve authorization requests without showing the consent page
    #[arg(long)]
    pub auto_approve: bool,

    /// Serve https with this certificate chain (PEM)
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// Private key (PEM) for --tls-cert
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    // The doc comment is --help text, where brackets are literal, not links.
    #[allow(rustdoc::broken_intra_doc_links)]
    /// Accept plain-http jwks_uri on loopback (127.0.0.1, [::1], localhost), for local tests;
    /// otherwise a registered jwks_uri must be https
    #[arg(long)]
    pub allow_loopback_jwks_uri: bool,

    /// Bulk export jobs stay in progress at least this long (seconds, fractions allowed)
    #[arg(long, default_value_t = 2.0, value_name = "SECS")]
    pub export_delay: f64,

    /// Resources per bulk export file at most (a type with more gets several files)
    #[arg(long, default_value_t = 10_000, value_name = "N")]
    pub export_file_lines: usize,
}

#[derive(Debug, Clone, Args)]
pub struct SandboxLaunchUrlArgs {
    /// The app's launch URL (where the EHR sends `iss` and `launch`)
    #[arg(long, value_name = "URL")]
    pub app: String,

    /// Patient in context
    #[arg(long, value_name = "ID")]
    pub patient: Option<String>,

    /// Encounter in context
    #[arg(long, value_name = "ID")]
    pub encounter: Option<String>,

    /// FHIR base URL of the running sandbox
    #[arg(long, value_name = "URL", default_value = "http://127.0.0.1:8321/fhir")]
    pub base: String,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a key pair, keep the private key (0600 PEM or JWK, or the keychain), print the public JWKS
    Generate(KeysGenerateArgs),
    /// Print the public JWKS of the profile's key (or of --key FILE)
    Jwks(KeysJwksArgs),
}

#[derive(Debug, Clone, Args)]
pub struct KeysGenerateArgs {
    /// Signing algorithm: ES384 (P-384) or RS384 (RSA 2048)
    #[arg(long, value_enum, default_value_t = SigningAlgArg::ES384, value_name = "ALG")]
    pub alg: SigningAlgArg,

    /// Key id to publish (default: the key's RFC 7638 thumbprint)
    #[arg(long, value_name = "ID")]
    pub kid: Option<String>,

    /// Write the private key (mode 0600) and the JWKS into DIR (default: .)
    #[arg(long, value_name = "DIR", conflicts_with = "keychain")]
    pub out: Option<PathBuf>,

    /// How the private key file is written: PKCS#8 PEM (NAME.key.pem) or a
    /// private JWK with kid and alg (NAME.key.json)
    #[arg(long, value_enum, default_value_t = KeyFileFormat::Pem, value_name = "FORMAT",
          conflicts_with = "keychain")]
    pub format: KeyFileFormat,

    /// Keep the private key in the token store (keychain) under the profile instead
    #[arg(long)]
    pub keychain: bool,

    /// Replace existing key files
    #[arg(long)]
    pub force: bool,
}

/// `keys generate --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KeyFileFormat {
    /// PKCS#8 PEM
    Pem,
    /// A private JWK (JSON with `d`, `kid` and `alg`)
    Jwk,
}

#[derive(Debug, Clone, Args)]
pub struct KeysJwksArgs {
    /// Private key file (PEM, JWK or JWKS) to read instead of the profile's key
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,

    /// Key id to publish (default: the profile's kid, else the key's thumbprint)
    #[arg(long, value_name = "ID")]
    pub kid: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct RegisterArgs {
    /// FHIR base URL of the server (default: SMART_FHIR_BASE)
    #[arg(long, value_name = "URL")]
    pub fhir_base: Option<String>,

    /// Client name shown to users and administrators
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,

    /// Kind of client (default: backend with a key, confidential-asymmetric with a key and
    /// --redirect-port, else public)
    #[arg(long, value_enum, value_name = "TYPE")]
    pub client_type: Option<ClientTypeArg>,

    /// Fixed loopback redirect port (default: any port, RFC 8252)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub redirect_port: Option<u16>,

    /// Public JWKS file to register (default: derived from the private key)
    #[arg(long, value_name = "FILE", conflicts_with = "jwks_url")]
    pub jwks: Option<PathBuf>,

    /// Register this jwks_uri instead of inline keys (also sent as `jku`)
    #[arg(long, value_name = "URL")]
    pub jwks_url: Option<String>,

    /// Private key for the new profile: a PEM, JWK or JWKS file, or `keychain` (default: SMART_PRIVATE_KEY)
    #[arg(long, value_name = "FILE")]
    pub private_key: Option<String>,

    /// Scopes to register and to request (backend default: system/*.rs)
    #[arg(long, value_name = "SCOPE")]
    pub scope: Option<String>,

    /// Replace an existing profile of the same name
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

/// Options every FHIR command (query, get, create, update, delete,
/// capabilities) shares.
#[derive(Debug, Clone, Args)]
pub struct FhirArgs {
    /// Send no token (open servers; any URL is then allowed)
    #[arg(long)]
    pub no_auth: bool,

    /// Retries on 429/503, honouring Retry-After (GET and POST _search only)
    #[arg(long, default_value_t = 3, value_name = "N",
          value_parser = clap::value_parser!(u32).range(0..=10))]
    pub retries: u32,

    /// No progress bar, notes or paging hints on stderr
    #[arg(short, long)]
    pub quiet: bool,

    /// Longest Retry-After wait to honour, in seconds; a server asking for
    /// more fails the command (default: the profile's max_retry_wait, else 60)
    #[arg(long, value_name = "SECS")]
    pub max_retry_wait: Option<u64>,
}

#[derive(Debug, Clone, Args)]
pub struct QueryArgs {
    /// Resource type, e.g. Patient, Observation
    #[arg(value_name = "TYPE")]
    pub resource_type: String,

    /// Search parameters (repeatable): family=smith, name:exact=Ann, `code=http://loinc.org|8867-4`,
    /// subject:Patient.name=lee
    #[arg(value_name = "NAME=VALUE")]
    pub params: Vec<String>,

    /// Follow `next` links to the end, writing each page as it arrives
    #[arg(long, conflicts_with = "limit")]
    pub all: bool,

    /// Stop after N resources (following `next` links as needed)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub limit: Option<u64>,

    /// Page size (sends `_count`)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub count: Option<u32>,

    // The doc comment is --help text, where brackets are literal, not links.
    #[allow(rustdoc::broken_intra_doc_links)]
    /// POST [base]/[Type]/_search with a form body: parameters stay out of URLs and logs
    /// (profile key `post_search = true` makes it the default)
    #[arg(long, conflicts_with = "get")]
    pub post: bool,

    /// Search with GET even when the profile sets `post_search = true`
    #[arg(long)]
    pub get: bool,

    /// Output format [default: table on a terminal, ndjson when piped]
    #[arg(short, long, value_enum, value_name = "FORMAT")]
    pub output: Option<FormatArg>,

    #[command(flatten)]
    pub fhir: FhirArgs,
}

#[derive(Debug, Clone, Args)]
pub struct GetArgs {
    /// Type/id, a URL relative to the FHIR base (Patient?name=x, metadata), or an absolute
    /// URL on the same server
    #[arg(value_name = "TARGET")]
    pub target: String,

    /// A second word (`smart get Patient p1`): taken only to suggest `Patient/p1`
    #[arg(value_name = "ID", hide = true)]
    pub stray: Option<String>,

    /// Output format [default: json; a Bundle answer can be shown as ndjson, table or ids]
    #[arg(short, long, value_enum, value_name = "FORMAT")]
    pub output: Option<FormatArg>,

    #[command(flatten)]
    pub fhir: FhirArgs,
}

#[derive(Debug, Clone, Args)]
pub struct CreateArgs {
    /// Resource type, e.g. Patient
    #[arg(value_name = "TYPE")]
    pub resource_type: String,

    /// The resource: @file.json, - for stdin (the default when stdin is not a terminal),
    /// or inline JSON
    #[arg(short, long, value_name = "DATA")]
    pub data: Option<String>,

    #[command(flatten)]
    pub fhir: FhirArgs,
}

#[derive(Debug, Clone, Args)]
pub struct UpdateArgs {
    /// Type/id of the resource, e.g. Patient/123
    #[arg(value_name = "TYPE/ID")]
    pub target: String,

    /// The resource: @file.json, - for stdin (the default when stdin is not a terminal),
    /// or inline JSON
    #[arg(short, long, value_name = "DATA")]
    pub data: Option<String>,

    /// Only if the current version is this ETag (W/"3", "3" or 3); else the server answers 412
    #[arg(long, value_name = "ETAG")]
    pub if_match: Option<String>,

    #[command(flatten)]
    pub fhir: FhirArgs,
}

#[derive(Debug, Clone, Args)]
pub struct DeleteArgs {
    /// Type/id of the resource, e.g. Patient/123
    #[arg(value_name = "TYPE/ID")]
    pub target: String,

    /// Only if the current version is this ETag (W/"3", "3" or 3)
    #[arg(long, value_name = "ETAG")]
    pub if_match: Option<String>,

    #[command(flatten)]
    pub fhir: FhirArgs,
}

/// The export's level (the group's id comes as its own argument).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportLevelArg {
    /// `[base]/$export`: everything the client may read
    System,
    /// `[base]/Patient/$export`: the data of every patient
    Patient,
    /// `[base]/Group/GROUP_ID/$export`: the data of a group's members
    Group,
}

#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// What to export: system (the default), patient, or group GROUP_ID
    #[arg(value_enum, value_name = "LEVEL", default_value_t = ExportLevelArg::System)]
    pub level: ExportLevelArg,

    /// The group to export (with `group`)
    #[arg(value_name = "GROUP_ID", required_if_eq("level", "group"))]
    pub group_id: Option<String>,

    /// Resource types to export (comma-separated or repeated; sends `_type`)
    #[arg(long = "type", value_name = "TYPE", value_delimiter = ',')]
    pub types: Vec<String>,

    /// Only resources changed since this FHIR instant, e.g. 2024-01-01T00:00:00Z (`_since`);
    /// `auto`: since the last export that finished into --out DIR (numbered exports)
    #[arg(long, value_name = "INSTANT")]
    pub since: Option<String>,

    /// A search the resources of a type must match, e.g. Observation?status=final
    /// (repeatable; sends `_typeFilter`)
    #[arg(long = "type-filter", value_name = "TYPE?SEARCH")]
    pub type_filters: Vec<String>,

    /// Only these elements, e.g. id,status or Patient.birthDate (`_elements`)
    #[arg(long, value_name = "ELEMENT", value_delimiter = ',')]
    pub elements: Vec<String>,

    /// Only these patients (patient and group exports; sends a POST with `patient`)
    #[arg(long = "patient", value_name = "ID", value_delimiter = ',')]
    pub patients: Vec<String>,

    /// Where the files, the export's state and log.ndjson go (a new export
    /// without it: a new directory `export-<timestamp>`; --resume, --status and
    /// --cancel need it)
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Files downloaded at the same time
    #[arg(long, value_name = "N", default_value_t = 4,
          value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallel: u16,

    /// Continue the export saved in DIR (no new kick-off)
    #[arg(long, conflicts_with_all = ["status", "cancel"])]
    pub resume: bool,

    /// Poll the export saved in DIR once and report
    #[arg(long, conflicts_with = "cancel")]
    pub status: bool,

    /// Cancel the export saved in DIR at the server (DELETE) and forget it
    #[arg(long)]
    pub cancel: bool,

    /// `_outputFormat`: application/fhir+ndjson, application/ndjson or ndjson
    #[arg(long, value_name = "FORMAT", default_value = "application/fhir+ndjson")]
    pub output_format: String,

    /// Ask for gzip (Accept-Encoding) and keep the files compressed (.ndjson.gz)
    #[arg(long)]
    pub gzip: bool,

    /// Only resources changed before this FHIR instant (`_until`, Bulk Data 3.0)
    #[arg(long, value_name = "INSTANT")]
    pub until: Option<String>,

    /// Files of mixed types, in blocks per resource of this type, saved as
    /// output.N.ndjson (`organizeOutputBy`, Bulk Data 3.0)
    #[arg(long, value_name = "TYPE", value_parser = ["Patient", "Group", "Organization"])]
    pub organize_output_by: Option<String>,

    /// Let the server ignore parameters it does not support instead of
    /// refusing the export (`Prefer: handling=lenient`)
    #[arg(long)]
    pub lenient: bool,

    /// Associated data to include, e.g. LatestProvenanceResources
    /// (repeatable; `includeAssociatedData`)
    #[arg(long = "include-associated-data", value_name = "VALUE")]
    pub include_associated_data: Vec<String>,

    /// A kick-off parameter smart does not name (repeatable)
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = parse_key_value)]
    pub params: Vec<(String, String)>,

    /// Kick off with POST and a Parameters body (the default is GET, and POST
    /// when the server answers GET with 405)
    #[arg(long)]
    pub post: bool,

    /// An origin besides the FHIR base's that gets the token for the files,
    /// e.g. `https://files.example.org` (repeatable; profile key token_origins)
    #[arg(long = "token-origin", value_name = "ORIGIN")]
    pub token_origins: Vec<String>,

    /// Do not DELETE the job at the server once every file is downloaded and checked
    #[arg(long)]
    pub keep_job: bool,

    /// Give up after this long, all waits included (e.g. 90s, 45m, 12h, 3d;
    /// default: no limit); --resume continues
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub deadline: Option<std::time::Duration>,

    /// Ask for partial manifests (`allowPartialManifests`): download each
    /// manifest page's files as it arrives
    #[arg(long)]
    pub partial_manifests: bool,

    // Hydration (issue 20 §3): these flags stay together.
    /// After the export, fetch what it references but left out (Medication,
    /// Practitioner, PractitionerRole, Organization, Location, missing
    /// Observations) and inline its notes; with --out DIR of a finished
    /// export and no export parameters, hydrate that export (no new one)
    #[arg(long)]
    pub hydrate: bool,

    /// MIME types of the notes --hydrate inlines (comma-separated; default
    /// text/plain,text/html,application/xhtml+xml)
    #[arg(
        long = "attachment-types",
        value_name = "TYPE",
        value_delimiter = ',',
        requires = "hydrate"
    )]
    pub attachment_types: Vec<String>,

    /// The largest note --hydrate inlines, e.g. 500K or 20M (default 10M)
    #[arg(long = "attachment-max-size", value_name = "SIZE", value_parser = parse_size,
          requires = "hydrate")]
    pub attachment_max_size: Option<u64>,
    // Crawl and incremental exports (issue 20 §1, §2); --since takes `auto`.
    /// Crawl with FHIR searches, patient by patient and type by type,
    /// instead of `$export` (for servers whose `$export` is missing, slow or partial)
    #[arg(long, help_heading = "Crawl")]
    pub crawl: bool,

    /// The crawl's patients: a file of ids (one a line, or CSV with an ID or
    /// MRN column) or an earlier export's directory (its Patient files)
    #[arg(
        long = "patients",
        value_name = "FILE|DIR",
        requires = "crawl",
        help_heading = "Crawl"
    )]
    pub patients_from: Option<PathBuf>,

    /// The values of --patients (or --patient) are identifiers of this
    /// system, searched as `identifier=URI|VALUE`
    #[arg(long, value_name = "URI", requires = "crawl", help_heading = "Crawl")]
    pub id_system: Option<String>,

    /// At most R requests a second, all searches together (e.g. 20 or 0.5)
    #[arg(long, value_name = "R", requires = "crawl", value_parser = parse_rate, help_heading = "Crawl")]
    pub max_rate: Option<f64>,

    #[command(flatten)]
    pub fhir: FhirArgs,
}

#[derive(Debug, Clone, Args)]
pub struct CapabilitiesArgs {
    /// Print the whole CapabilityStatement as JSON (same as the global --json)
    #[arg(long = "statement")]
    pub json_statement: bool,

    #[command(flatten)]
    pub fhir: FhirArgs,
}

/// `90`, `90s`, `45m`, `12h`, `3d`: a duration of whole units.
/// `--max-rate`: a positive number of requests a second.
fn parse_rate(s: &str) -> std::result::Result<f64, String> {
    match s.parse::<f64>() {
        Ok(r) if r.is_finite() && r > 0.0 => Ok(r),
        _ => Err(format!(
            "`{s}` is not a positive number of requests a second"
        )),
    }
}

pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let t = s.trim();
    let (num, unit) = match t.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => t.split_at(i),
        None => (t, "s"),
    };
    let n: u64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a duration (e.g. 90s, 45m, 12h, 3d)"))?;
    let secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("`{s}`: the unit is s, m, h or d")),
    };
    if n == 0 {
        return Err("the duration must be more than 0".into());
    }
    n.checked_mul(secs)
        .map(std::time::Duration::from_secs)
        .ok_or_else(|| format!("`{s}` is too long"))
}

/// `4096`, `500K`, `20M`, `1G` (powers of 1024): a size in bytes.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (num, unit) = match t.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => t.split_at(i),
        None => (t, ""),
    };
    let n: u64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a size (e.g. 500K, 20M)"))?;
    let shift = match unit.to_ascii_uppercase().as_str() {
        "" | "B" => 0,
        "K" | "KB" | "KIB" => 10,
        "M" | "MB" | "MIB" => 20,
        "G" | "GB" | "GIB" => 30,
        _ => return Err(format!("`{s}`: the unit is K, M or G")),
    };
    if n == 0 {
        return Err("the size must be more than 0".into());
    }
    n.checked_mul(1 << shift)
        .ok_or_else(|| format!("`{s}` is too large"))
}

fn parse_key_value(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_owned(), v.to_owned())),
        _ => Err(format!("expected KEY=VALUE, got `{s}`")),
    }
}

/// Completion scripts and the man page, generated from the clap definition.
/// `completions/` holds their checked-in copies; a test keeps them in sync.
pub mod generate {
    use super::*;
    use clap_complete::Shell;

    /// (file name in `completions/`, shell) for every checked-in script.
    pub const FILES: &[(&str, Shell)] = &[
        ("smart.bash", Shell::Bash),
        ("_smart", Shell::Zsh),
        ("smart.fish", Shell::Fish),
        ("_smart.ps1", Shell::PowerShell),
        ("smart.elv", Shell::Elvish),
    ];

    /// The man page's file name in `completions/`.
    pub const MAN_FILE: &str = "smart.1";

    pub fn completion(shell: Shell) -> Vec<u8> {
        let mut out = Vec::new();
        clap_complete::generate(shell, &mut Cli::command(), "smart", &mut out);
        out
    }

    pub fn man_page() -> Vec<u8> {
        let mut out = Vec::new();
        clap_mangen::Man::new(Cli::command())
            .render(&mut out)
            .expect("rendering into a Vec cannot fail");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_lists_every_exit_code() {
        use clap::CommandFactory;
        let help = Cli::command()
            .get_long_about()
            .map(|h| h.to_string())
            .unwrap_or_default();
        for k in crate::error::Kind::ALL {
            assert!(
                help.contains(&format!(" {} ", k.exit_code())),
                "--help lacks exit code {}: {help}",
                k.exit_code()
            );
        }
    }

    #[test]
    fn sizes_take_binary_units() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("500K"), Ok(500 << 10));
        assert_eq!(parse_size("20m"), Ok(20 << 20));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        for bad in ["", "0", "-1", "1.5M", "10X", "99999999999999G"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_subcommands_own_options_come_before_the_global_ones() {
        use clap::CommandFactory;
        let mut cli = Cli::command();
        cli.build();
        let help = cli
            .find_subcommand_mut("get")
            .expect("get")
            .render_help()
            .to_string();
        let own = help.find("--output").expect("--output in get --help");
        let heading = help
            .find("Global options:")
            .expect("a Global options heading");
        let global = help.find("--profile").expect("--profile in get --help");
        assert!(own < heading && heading < global, "{help}");
    }

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    /// The mirrors name their values as the domain enums write them
    /// (profiles, `status --json`, messages).
    #[test]
    fn value_enums_name_values_as_the_domain_does() {
        fn same<A: ValueEnum, D: std::fmt::Display + From<A>>() {
            for v in A::value_variants() {
                let name = v.to_possible_value().unwrap().get_name().to_owned();
                assert_eq!(D::from(v.clone()).to_string(), name);
            }
        }
        same::<ClientTypeArg, ClientType>();
        same::<PkceModeArg, PkceMode>();
        same::<TokenAuthMethodArg, TokenAuthMethod>();
        same::<BasicAuthEncodingArg, BasicAuthEncoding>();
        same::<SigningAlgArg, SigningAlg>();
        same::<StoreKindArg, StoreKind>();
    }

    #[test]
    fn key_value_parses_and_rejects() {
        assert_eq!(
            parse_key_value("a=b=c").unwrap(),
            ("a".into(), "b=c".into())
        );
        assert!(parse_key_value("novalue").is_err());
        assert!(parse_key_value("=x").is_err());
    }
}
