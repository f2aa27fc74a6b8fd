//! Resolved settings: what a command uses for each value a profile can hold,
//! and where that value came from.
//!
//! Scripts and CI jobs configure `smart` through the environment, people
//! through profiles, and both now and then through a flag. The rule is one
//! and the same for every value — flag > environment > profile > default —
//! and it lives here so that no command applies it differently. Each value
//! remembers its [`Source`], which `smart status --json` shows (secrets as
//! `[redacted]`), so "why is it using that?" has an answer.
//!
//! A command can run with no config file at all: when `SMART_FHIR_BASE` (or
//! `--fhir-base`) names the server, the profile is an unsaved one named after
//! the server's host (or `-p NAME`), which is also what the token store and
//! the lock are keyed by.
//!
//! The environment is read here and nowhere else: [`Environment::capture`]
//! takes one snapshot of the variables `smart` knows, and everything below
//! the commands gets its values from that snapshot (tests build one by hand).

use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use crate::config::{self, ClientType, Profile};
use crate::discovery::{FhirBase, parse_base};
use crate::error::{Error, Result};
use crate::oauth::keys::{PrivateKey, SigningAlg, SigningKey};
use crate::report::Reporter;
use crate::secret::Secret;
use crate::session;
use crate::token_store::{self, Item, StoreKind, TokenStore};

/// Every environment variable `smart` reads.
pub const VARIABLES: &[&str] = &[
    "SMART_PROFILE",
    "SMART_TOKEN_STORE",
    "SMART_FHIR_BASE",
    "SMART_CLIENT_ID",
    "SMART_CLIENT_SECRET",
    "SMART_CLIENT_TYPE",
    "SMART_SCOPE",
    "SMART_PRIVATE_KEY",
    "SMART_KID",
    "SMART_ALG",
    "SMART_JKU",
    "SMART_ACCESS_TOKEN",
    "SMART_CONFIG",
    "SMART_STATE_DIR",
    "XDG_CONFIG_HOME",
    "XDG_STATE_HOME",
    "CI",
    "BROWSER",
    "DISPLAY",
    "WAYLAND_DISPLAY",
    "NO_COLOR",
    "TERM",
];

/// A snapshot of the environment variables `smart` reads. An empty value
/// counts as unset everywhere.
#[derive(Clone, Default)]
pub struct Environment {
    vars: BTreeMap<&'static str, OsString>,
}

/// Names only: the values include `SMART_CLIENT_SECRET`, `SMART_ACCESS_TOKEN`
/// and `SMART_PRIVATE_KEY`, and everything that holds an `Environment`
/// (`Invocation`, `Settings`, `RunContext`) derives `Debug` through it.
impl std::fmt::Debug for Environment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Environment")
            .field("set", &self.vars.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Environment {
    /// The process environment, read once.
    pub fn capture() -> Environment {
        Environment {
            vars: VARIABLES
                .iter()
                .filter_map(|&name| std::env::var_os(name).map(|v| (name, v)))
                .collect(),
        }
    }

    /// An environment with just these variables (tests).
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'static str, &'a str)>) -> Self {
        Environment {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k, OsString::from(v)))
                .collect(),
        }
    }

    /// A set, non-empty variable, as it is.
    fn raw(&self, name: &str) -> Option<&OsStr> {
        debug_assert!(VARIABLES.contains(&name), "{name} is not in VARIABLES");
        self.vars
            .get(name)
            .map(OsString::as_os_str)
            .filter(|v| !v.is_empty())
    }

    /// A variable with a value that is not blank (the rule for every value
    /// a profile can hold).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.raw(name)
            .and_then(OsStr::to_str)
            .filter(|v| !v.trim().is_empty())
    }

    fn path(&self, name: &str) -> Option<PathBuf> {
        self.raw(name).map(PathBuf::from)
    }

    /// True for CI systems (`CI=true` or `CI=1`), where nothing may prompt
    /// or pop up.
    pub fn in_ci(&self) -> bool {
        self.raw("CI")
            .and_then(OsStr::to_str)
            .is_some_and(|v| v != "0" && !v.eq_ignore_ascii_case("false"))
    }

    /// `BROWSER`: the command that opens URLs (in CI, it plays the user).
    pub fn browser(&self) -> Option<&OsStr> {
        self.raw("BROWSER")
    }

    /// `DISPLAY` or `WAYLAND_DISPLAY` is set.
    pub fn has_display(&self) -> bool {
        self.raw("DISPLAY").is_some() || self.raw("WAYLAND_DISPLAY").is_some()
    }

    /// `auto` colors are off: `NO_COLOR` is set, or `TERM=dumb`.
    pub fn colors_unwanted(&self) -> bool {
        self.raw("NO_COLOR").is_some() || self.raw("TERM").is_some_and(|t| t == "dumb")
    }

    /// The config file (`SMART_CONFIG`, `XDG_CONFIG_HOME`, the platform's).
    pub fn config_path(&self) -> Result<PathBuf> {
        config::path(self.path("SMART_CONFIG"), self.path("XDG_CONFIG_HOME"))
    }

    /// The token store's state directory (`SMART_STATE_DIR`,
    /// `XDG_STATE_HOME`, the platform's).
    pub fn state_dir(&self) -> Result<PathBuf> {
        token_store::state_dir(self.path("SMART_STATE_DIR"), self.path("XDG_STATE_HOME"))
    }

    /// A store of this kind in this environment's state directory.
    pub fn token_store(&self, kind: StoreKind) -> TokenStore {
        TokenStore::new(kind, self.state_dir())
    }
}

/// What this run was given before any profile is read: `-p` /
/// `SMART_PROFILE`, `--token-store` / `SMART_TOKEN_STORE`, the environment,
/// and where warnings go. The command layer builds it once.
#[derive(Debug, Clone)]
pub(crate) struct Invocation {
    pub profile: Option<Setting<String>>,
    pub token_store: Setting<StoreKind>,
    pub env: Environment,
    pub reporter: Reporter,
}

impl Invocation {
    /// `profile` and `token_store` as clap merged each flag with its
    /// variable; `store_flag_given` says whether `--token-store` was on
    /// the command line (provenance needs them apart).
    pub fn new(
        profile: Option<String>,
        token_store: Option<StoreKind>,
        store_flag_given: bool,
        env: Environment,
        reporter: Reporter,
    ) -> Invocation {
        let profile = profile.map(|p| {
            let source = if env.get("SMART_PROFILE") == Some(p.as_str()) {
                Source::Env("SMART_PROFILE")
            } else {
                Source::Flag("--profile")
            };
            Setting::new(p, source)
        });
        let token_store = match token_store {
            Some(k) if store_flag_given => Setting::new(k, Source::Flag("--token-store")),
            Some(k) => Setting::new(k, Source::Env("SMART_TOKEN_STORE")),
            None => Setting::new(StoreKind::default(), Source::Default),
        };
        Invocation {
            profile,
            token_store,
            env,
            reporter,
        }
    }

    /// `--fhir-base` (the command's `flag`), else `SMART_FHIR_BASE`: the
    /// server named before any profile is read.
    pub fn base_given<'a>(&'a self, flag: Option<&'a str>) -> Option<&'a str> {
        flag.or(self.env.get("SMART_FHIR_BASE"))
    }

    /// The profile named by `-p` / `SMART_PROFILE`, if any.
    pub fn profile_name(&self) -> Option<&str> {
        self.profile.as_ref().map(|p| p.value.as_str())
    }

    /// The chosen token store, reporting its warnings.
    pub fn store(&self) -> TokenStore {
        self.env
            .token_store(self.token_store.value)
            .reporting_to(self.reporter.clone())
    }

    /// The config file, or an empty one when there is none or no place for
    /// one (a CI job with no HOME still runs from the environment).
    pub fn load_config(&self) -> Result<config::Store> {
        match self.env.config_path() {
            Ok(p) => config::Store::load_from(p),
            Err(_) => Ok(config::Store {
                path: PathBuf::new(),
                config: config::Config::default(),
            }),
        }
    }
}

/// Scopes a user login asks for when neither the flag nor the profile says.
pub(crate) const DEFAULT_SCOPE: &str = "openid fhirUser launch/patient patient/*.rs offline_access";
/// The same for an EHR launch, where the EHR supplies the context.
pub(crate) const DEFAULT_EHR_SCOPE: &str = "openid fhirUser launch patient/*.rs offline_access";

/// What a backend client asks for when nothing says otherwise.
pub(crate) const DEFAULT_BACKEND_SCOPE: &str = "system/*.rs";

/// The profile value `private_key = "keychain"`: the key is the profile's
/// private-key item in the token store.
pub(crate) const KEY_IN_STORE: &str = "keychain";

/// What a profile stores for a key given on the command line: `keychain`
/// as is, a path made absolute (so the profile works from any directory).
pub(crate) fn key_reference(given: &str) -> String {
    if given == KEY_IN_STORE {
        return given.to_owned();
    }
    std::path::absolute(given)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| given.to_owned())
}

/// The kid under which the JWKS beside the key file `path` publishes `key`;
/// none when there is no such file or it is another key's.
pub(crate) fn published_beside(
    key: &PrivateKey,
    path: &Path,
) -> Option<(String, Option<SigningAlg>)> {
    let text = std::fs::read_to_string(crate::oauth::keys::jwks_beside(path)).ok()?;
    key.published_as(&serde_json::from_str(&text).ok()?)
}

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    /// A command-line flag, e.g. `--fhir-base`.
    Flag(&'static str),
    /// An environment variable, e.g. `SMART_FHIR_BASE`.
    Env(&'static str),
    /// The profile in the config file.
    Profile,
    /// Built in, or derived from other values (e.g. `kid` from the key).
    Default,
}

impl Source {
    /// `flag --fhir-base`, `env SMART_FHIR_BASE`, `profile`, `default`.
    pub fn label(&self) -> String {
        match self {
            Source::Flag(f) => format!("flag {f}"),
            Source::Env(v) => format!("env {v}"),
            Source::Profile => "profile".to_owned(),
            Source::Default => "default".to_owned(),
        }
    }
}

/// A value and its source.
#[derive(Debug, Clone)]
pub(crate) struct Setting<T> {
    pub value: T,
    pub source: Source,
}

impl<T> Setting<T> {
    fn new(value: T, source: Source) -> Self {
        Setting { value, source }
    }
}

/// Where the signing key is.
#[derive(Debug, Clone)]
pub(crate) enum KeyRef {
    /// PEM text given directly (`SMART_PRIVATE_KEY` holding the key itself).
    Pem(Secret),
    /// A PEM file.
    File(PathBuf),
    /// A `SMART_PRIVATE_KEY` that is neither PEM nor an existing file (a key
    /// without its armour, say): never shown, only its length.
    Unusable { len: usize },
    /// The profile's private-key item in the token store.
    Store,
}

/// Values given by a command's own flags (the top of the precedence).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Flags<'a> {
    pub fhir_base: Option<&'a str>,
    pub client_id: Option<&'a str>,
    pub scope: Option<&'a str>,
}

/// The settings a command runs with.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// Profile name: keys the token store and the lock.
    pub profile: Setting<String>,
    /// True when the profile exists in the config file.
    pub saved: bool,
    /// The config's profile (empty when unsaved): the workarounds and other
    /// values that have no environment variable.
    pub stored: Profile,
    pub fhir_base: Option<Setting<FhirBase>>,
    pub client_id: Option<Setting<String>>,
    pub scope: Setting<String>,
    pub client_type: Setting<ClientType>,
    pub client_secret: Option<Setting<Secret>>,
    pub private_key: Option<Setting<KeyRef>>,
    pub kid: Option<Setting<String>>,
    pub alg: Option<Setting<SigningAlg>>,
    pub jku: Option<Setting<String>>,
    pub access_token: Option<Setting<Secret>>,
    pub token_store: Setting<StoreKind>,
    /// The run's environment and reporter (for the token store).
    invocation: Invocation,
}

/// `https://ehr.example.org:8443/r4` → `ehr.example.org-8443`: the name of
/// a profile made for a server.
pub(crate) fn profile_name_for(base: &str) -> String {
    let Ok(u) = url::Url::parse(base) else {
        return "default".into();
    };
    let mut n = u
        .host_str()
        .unwrap_or("default")
        .replace(['[', ']', ':'], "");
    if let Some(p) = u.port() {
        n.push_str(&format!("-{p}"));
    }
    n
}

/// flag > env > profile, the first that has a value.
fn pick(
    env: &Environment,
    flag: Option<(&'static str, Option<&str>)>,
    env_name: Option<&'static str>,
    profile: Option<&str>,
) -> Option<Setting<String>> {
    if let Some((name, Some(v))) = flag
        && !v.is_empty()
    {
        return Some(Setting::new(v.to_owned(), Source::Flag(name)));
    }
    if let Some(e) = env_name
        && let Some(v) = env.get(e)
    {
        return Some(Setting::new(v.to_owned(), Source::Env(e)));
    }
    profile
        .filter(|v| !v.is_empty())
        .map(|v| Setting::new(v.to_owned(), Source::Profile))
}

impl Settings {
    /// Settings for the profile chosen by `-p`/`SMART_PROFILE` or the
    /// config's default — or an unsaved one when the environment (or a
    /// flag) names the server.
    pub fn resolve(inv: &Invocation, flags: &Flags) -> Result<Settings> {
        let config = inv.load_config()?;
        let base_given = inv.base_given(flags.fhir_base);
        let (name, stored, saved) = match &inv.profile {
            Some(requested) => match config.config.profiles.get(&requested.value) {
                Some(p) => (requested.clone(), p.clone(), true),
                None if base_given.is_some() => {
                    config::validate_name(&requested.value).map_err(Error::usage)?;
                    (requested.clone(), Profile::default(), false)
                }
                None => {
                    return Err(config.unknown_profile(&requested.value).with_hint(
                        "add it with `smart profile add`, or name the server with SMART_FHIR_BASE",
                    ));
                }
            },
            None => match (&config.config.default, &base_given) {
                (Some(d), _) => {
                    let p = config.config.profiles.get(d).cloned().unwrap_or_default();
                    (Setting::new(d.clone(), Source::Profile), p, true)
                }
                (None, Some(b)) => {
                    let base = parse_base(b)?;
                    (
                        Setting::new(profile_name_for(base.as_str()), Source::Default),
                        Profile::default(),
                        false,
                    )
                }
                (None, None) => {
                    return Err(Error::usage("no profile given and no default profile set")
                        .with_hint("add one with `smart profile add NAME --fhir-base URL`, pass -p NAME, or set SMART_FHIR_BASE (and SMART_CLIENT_ID)"));
                }
            },
        };
        let config_dir = config.path.parent().map(Path::to_path_buf);
        Self::build(inv, flags, name, stored, saved, config_dir)
    }

    /// Settings for a profile the caller has chosen (and may not have
    /// saved yet: `smart login --fhir-base`, `smart register`).
    pub fn for_profile(
        inv: &Invocation,
        flags: &Flags,
        name: &str,
        profile: &Profile,
        saved: bool,
    ) -> Result<Settings> {
        let config_dir = inv
            .env
            .config_path()
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf));
        let source = match inv.profile_name() {
            Some(p) if p == name => Source::Flag("--profile"),
            _ if saved => Source::Profile,
            _ => Source::Default,
        };
        Self::build(
            inv,
            flags,
            Setting::new(name.to_owned(), source),
            profile.clone(),
            saved,
            config_dir,
        )
    }

    /// Settings for a profile known only by name (callers that resolved
    /// the profile themselves), with the store of `store`'s kind.
    pub fn for_named(inv: &Invocation, name: &str, store: StoreKind) -> Result<Settings> {
        let config = inv.load_config()?;
        let (stored, saved) = match config.config.profiles.get(name) {
            Some(p) => (p.clone(), true),
            None => (Profile::default(), false),
        };
        let config_dir = config.path.parent().map(Path::to_path_buf);
        let inv = Invocation {
            token_store: Setting::new(store, Source::Default),
            ..inv.clone()
        };
        Self::build(
            &inv,
            &Flags::default(),
            Setting::new(name.to_owned(), Source::Profile),
            stored,
            saved,
            config_dir,
        )
    }

    fn build(
        inv: &Invocation,
        flags: &Flags,
        profile: Setting<String>,
        stored: Profile,
        saved: bool,
        config_dir: Option<PathBuf>,
    ) -> Result<Settings> {
        let env = &inv.env;
        let fhir_base = match pick(
            env,
            Some(("--fhir-base", flags.fhir_base)),
            Some("SMART_FHIR_BASE"),
            Some(&stored.fhir_base),
        ) {
            Some(s) => Some(Setting::new(
                parse_base(&s.value).map_err(|e| {
                    Error::usage(format!(
                        "fhir_base from {}: {}",
                        s.source.label(),
                        e.message
                    ))
                })?,
                s.source,
            )),
            None => None,
        };
        let client_id = pick(
            env,
            Some(("--client-id", flags.client_id)),
            Some("SMART_CLIENT_ID"),
            stored.client_id.as_deref(),
        );
        let client_secret = env
            .get("SMART_CLIENT_SECRET")
            .map(|s| Setting::new(Secret::new(s), Source::Env("SMART_CLIENT_SECRET")));

        let private_key = if let Some(v) = env.get("SMART_PRIVATE_KEY") {
            let r = if v.contains("-----BEGIN") {
                KeyRef::Pem(Secret::new(v))
            } else if Path::new(v).exists() {
                KeyRef::File(PathBuf::from(v))
            } else {
                KeyRef::Unusable {
                    len: v.chars().count(),
                }
            };
            Some(Setting::new(r, Source::Env("SMART_PRIVATE_KEY")))
        } else {
            stored
                .private_key
                .as_deref()
                .filter(|v| !v.is_empty())
                .map(|v| {
                    let r = if v == KEY_IN_STORE {
                        KeyRef::Store
                    } else {
                        let p = PathBuf::from(v);
                        match (&config_dir, p.is_relative()) {
                            (Some(d), true) => KeyRef::File(d.join(p)),
                            _ => KeyRef::File(p),
                        }
                    };
                    Setting::new(r, Source::Profile)
                })
        };
        let kid = pick(env, None, Some("SMART_KID"), stored.kid.as_deref());
        let alg = match env.get("SMART_ALG") {
            Some(a) => Some(Setting::new(
                SigningAlg::parse(a).ok_or_else(|| {
                    Error::usage(format!("SMART_ALG `{a}` is not ES384 or RS384"))
                })?,
                Source::Env("SMART_ALG"),
            )),
            None => stored.alg.map(|a| Setting::new(a, Source::Profile)),
        };
        let jku = pick(env, None, Some("SMART_JKU"), stored.jku.as_deref());

        let client_type = match env.get("SMART_CLIENT_TYPE") {
            Some(t) => {
                Setting::new(
                    ClientType::parse(t).ok_or_else(|| {
                        Error::usage(format!(
                            "SMART_CLIENT_TYPE `{t}` is not public, confidential-symmetric, confidential-asymmetric or backend"
                        ))
                    })?,
                    Source::Env("SMART_CLIENT_TYPE"),
                )
            }
            None => match stored.client_type {
                Some(t) => Setting::new(t, Source::Profile),
                // A key and no user means a backend service; a secret, a
                // confidential client; otherwise a native app.
                None if private_key.is_some() => Setting::new(ClientType::Backend, Source::Default),
                None if client_secret.is_some() => {
                    Setting::new(ClientType::ConfidentialSymmetric, Source::Default)
                }
                None => Setting::new(ClientType::Public, Source::Default),
            },
        };
        let scope = pick(
            env,
            Some(("--scope", flags.scope)),
            Some("SMART_SCOPE"),
            stored.scope.as_deref(),
        )
        .unwrap_or_else(|| {
            let d = if client_type.value == ClientType::Backend {
                DEFAULT_BACKEND_SCOPE
            } else {
                DEFAULT_SCOPE
            };
            Setting::new(d.to_owned(), Source::Default)
        });
        let access_token = env
            .get("SMART_ACCESS_TOKEN")
            .map(|t| Setting::new(Secret::new(t.trim()), Source::Env("SMART_ACCESS_TOKEN")));
        Ok(Settings {
            profile,
            saved,
            stored,
            fhir_base,
            client_id,
            scope,
            client_type,
            client_secret,
            private_key,
            kid,
            alg,
            jku,
            access_token,
            token_store: inv.token_store.clone(),
            invocation: inv.clone(),
        })
    }

    pub fn name(&self) -> &str {
        &self.profile.value
    }

    /// A client secret given with `flag` (`--secret-stdin`): like
    /// `SMART_CLIENT_SECRET`, it makes a client that names no type
    /// confidential-symmetric. A client that authenticates otherwise refuses
    /// it: a secret given on purpose is never ignored.
    pub fn secret_given(&mut self, flag: &'static str) -> Result<()> {
        use crate::config::TokenAuthMethod as M;
        let t = &self.client_type;
        let uses_secret = match self.stored.token_auth_method {
            Some(m) => matches!(m, M::ClientSecretBasic | M::ClientSecretPost),
            None => t.value == ClientType::ConfidentialSymmetric,
        };
        if uses_secret {
            return Ok(());
        }
        if t.source == Source::Default
            && t.value == ClientType::Public
            && self.stored.token_auth_method.is_none()
        {
            self.client_type = Setting::new(ClientType::ConfidentialSymmetric, Source::Flag(flag));
            return Ok(());
        }
        let how = match self.stored.token_auth_method {
            Some(m) => format!("authenticates with {m} (profile)"),
            None => format!("is a {} client ({})", t.value, t.source.label()),
        };
        Err(Error::usage(format!(
            "{flag} gives a client secret, but profile `{}` {how}, which uses none",
            self.name()
        ))
        .with_hint(format!(
            "leave out {flag}, or make the profile confidential: `smart profile add {} --fhir-base URL --client-type confidential-symmetric --force`",
            self.name()
        )))
    }

    pub fn store(&self) -> TokenStore {
        self.invocation.store()
    }

    /// Where this run's warnings go.
    pub fn reporter(&self) -> &Reporter {
        &self.invocation.reporter
    }

    /// The FHIR base, or an error saying how to give one.
    pub fn require_base(&self) -> Result<FhirBase> {
        let b = self.fhir_base.as_ref().ok_or_else(|| {
            Error::usage(format!("profile `{}` has no FHIR base", self.name()))
                .with_hint("set SMART_FHIR_BASE or pass --fhir-base URL")
        })?;
        Ok(b.value.clone())
    }

    /// The client id, or an error saying how to give one.
    pub fn require_client_id(&self) -> Result<String> {
        self.client_id.as_ref().map(|c| c.value.clone()).ok_or_else(|| {
            Error::usage(format!("profile `{}` has no client id", self.name()))
                .with_hint("set SMART_CLIENT_ID, pass --client-id ID, or `smart profile add NAME --fhir-base URL --client-id ID --force`")
        })
    }

    /// The private key, read from wherever the settings say.
    pub fn private_key(&self, store: &TokenStore) -> Result<Option<PrivateKey>> {
        let Some(k) = &self.private_key else {
            return Ok(None);
        };
        let origin = k.source.label();
        match &k.value {
            KeyRef::Pem(pem) => PrivateKey::from_pem(pem.expose(), &origin).map(Some),
            KeyRef::Unusable { len } => Err(Error::usage(format!(
                "{origin} is not a PEM key or a readable file ({len} characters)"
            ))
            .with_hint(
                "give the key with its -----BEGIN … KEY----- lines, or the path of a PEM file",
            )),
            KeyRef::File(path) => {
                let pem = std::fs::read_to_string(path).map_err(|e| {
                    Error::usage(format!(
                        "cannot read the private key {} ({origin}): {e}",
                        path.display()
                    ))
                })?;
                PrivateKey::from_pem(&pem, &path.display().to_string()).map(Some)
            }
            KeyRef::Store => {
                let name = self.name().to_owned();
                let pem = session::blocking(|| store.get(&name, Item::PrivateKey))?.ok_or_else(|| {
                    Error::auth(format!(
                        "profile `{name}` keeps its private key in the token store ({}), and none is there",
                        store.describe()
                    ))
                    .with_hint(format!("create one with `smart keys generate --keychain -p {name}`"))
                })?;
                PrivateKey::from_pem(
                    pem.expose(),
                    &format!("the {} item of profile `{name}`", Item::PrivateKey.label()),
                )
                .map(Some)
            }
        }
    }

    /// The key, algorithm, kid and jku for client assertions.
    pub fn signing_key(&self, store: &TokenStore) -> Result<SigningKey> {
        let key = self.private_key(store)?.ok_or_else(|| {
            Error::auth(format!(
                "profile `{}` is a {} client and has no private key",
                self.name(),
                self.client_type.value
            ))
            .with_hint(format!(
                "set SMART_PRIVATE_KEY (PEM or a path), or run `smart keys generate -p {}`",
                self.name()
            ))
        })?;
        let published = self.published_kid(&key);
        let alg = match (&self.alg, &published) {
            (Some(a), _) => {
                key.check_alg(a.value).map_err(|e| {
                    Error::usage(format!("alg from {}: {}", a.source.label(), e.message))
                })?;
                a.value
            }
            (None, Some((_, Some(a)))) if key.check_alg(*a).is_ok() => *a,
            (None, _) => key.natural_alg(),
        };
        let kid = match (&self.kid, published) {
            (Some(k), _) => k.value.clone(),
            (None, Some((k, _))) => k,
            (None, None) => key.thumbprint(),
        };
        Ok(SigningKey {
            key,
            alg,
            kid,
            jku: self.jku.as_ref().map(|j| j.value.clone()),
        })
    }

    /// With no kid given, a key file's kid as published beside it (see
    /// `keys::jwks_beside`): what `smart keys generate --kid` registered.
    pub fn published_kid(&self, key: &PrivateKey) -> Option<(String, Option<SigningAlg>)> {
        if self.kid.is_some() {
            return None;
        }
        match &self.private_key.as_ref()?.value {
            KeyRef::File(path) => published_beside(key, path),
            _ => None,
        }
    }

    /// Every value with its source, secrets redacted: `status --json`.
    pub fn provenance(&self) -> Value {
        fn show<T>(s: &Option<Setting<T>>, f: impl Fn(&T) -> Value) -> Value {
            match s {
                Some(s) => json!({"value": f(&s.value), "source": s.source.label()}),
                None => Value::Null,
            }
        }
        let redacted = |_: &Secret| json!(crate::redact::REDACTED);
        json!({
            "profile": {"value": self.profile.value, "source": self.profile.source.label(), "saved": self.saved},
            "fhir_base": show(&self.fhir_base, |v| json!(v.as_str())),
            "client_id": show(&self.client_id, |v| json!(v)),
            "client_type": {"value": self.client_type.value.to_string(), "source": self.client_type.source.label()},
            "scope": {"value": self.scope.value, "source": self.scope.source.label()},
            "client_secret": show(&self.client_secret, redacted),
            "private_key": show(&self.private_key, |k| match k {
                KeyRef::Pem(_) => json!(crate::redact::REDACTED),
                KeyRef::File(p) => json!(p.display().to_string()),
                KeyRef::Unusable { len } => {
                    json!(format!("[not a PEM key or a readable file: {len} characters]"))
                }
                KeyRef::Store => json!(KEY_IN_STORE),
            }),
            "kid": show(&self.kid, |v| json!(v)),
            "alg": show(&self.alg, |v| json!(v.name())),
            "jku": show(&self.jku, |v| json!(v)),
            "access_token": show(&self.access_token, redacted),
            "token_store": {"value": self.token_store.value, "source": self.token_store.source.label()},
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_names_from_bases() {
        assert_eq!(
            profile_name_for("https://ehr.example.org/r4"),
            "ehr.example.org"
        );
        assert_eq!(
            profile_name_for("http://127.0.0.1:8321/fhir"),
            "127.0.0.1-8321"
        );
    }

    #[test]
    fn flag_beats_profile_and_empty_values_do_not_count() {
        let env = Environment::from_pairs([("SMART_SCOPE", "e"), ("SMART_KID", " ")]);
        let s = pick(
            &env,
            Some(("--scope", Some("a"))),
            Some("SMART_SCOPE"),
            Some("b"),
        )
        .unwrap();
        assert_eq!((s.value.as_str(), s.source), ("a", Source::Flag("--scope")));
        let s = pick(
            &env,
            Some(("--scope", Some(""))),
            Some("SMART_SCOPE"),
            Some("b"),
        )
        .unwrap();
        assert_eq!(
            (s.value.as_str(), s.source),
            ("e", Source::Env("SMART_SCOPE"))
        );
        let s = pick(&env, None, Some("SMART_KID"), Some("b")).unwrap();
        assert_eq!((s.value.as_str(), s.source), ("b", Source::Profile));
        assert!(pick(&env, None, None, Some("")).is_none());
    }

    #[test]
    fn the_environment_counts_empty_as_unset() {
        let env = Environment::from_pairs([("CI", "0"), ("BROWSER", ""), ("TERM", "dumb")]);
        assert!(!env.in_ci());
        assert!(env.browser().is_none());
        assert!(env.colors_unwanted());
        assert!(Environment::from_pairs([("CI", "true")]).in_ci());
        assert!(!Environment::from_pairs([("CI", "false")]).in_ci());
        assert!(!Environment::default().colors_unwanted());
    }

    #[test]
    fn debug_shows_names_not_values() {
        let env = Environment::from_pairs([
            ("SMART_CLIENT_SECRET", "s3cret-value"),
            ("SMART_ACCESS_TOKEN", "at-value"),
        ]);
        let shown = format!("{env:?}");
        assert!(shown.contains("SMART_CLIENT_SECRET"), "{shown}");
        assert!(
            !shown.contains("s3cret-value") && !shown.contains("at-value"),
            "{shown}"
        );
    }

    #[test]
    fn sources_read_naturally() {
        assert_eq!(
            Source::Env("SMART_FHIR_BASE").label(),
            "env SMART_FHIR_BASE"
        );
        assert_eq!(Source::Flag("--scope").label(), "flag --scope");
    }
}
