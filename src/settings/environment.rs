//! What this run was given before any profile is read: the environment
//! snapshot and the invocation built from it.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::path::PathBuf;

use crate::config::{self};
use crate::error::Result;
use crate::reporter::Reporter;
use crate::token_store::{self, StoreKind, TokenStore};

use super::*;

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

    /// The chosen token store, reporting its warnings, unless the store
    /// was typed on this command line: whoever wrote `--token-store file`
    /// knows where the tokens go, and a warning for it would repeat on every
    /// command of a script. `SMART_TOKEN_STORE`, set once and forgotten,
    /// still gets the warning.
    pub fn store(&self) -> TokenStore {
        let store = self.env.token_store(self.token_store.value);
        match self.token_store.source {
            Source::Flag(_) => store,
            _ => store.reporting_to(self.reporter.clone()),
        }
    }

    /// The config file, or an empty one when there is none or no place for
    /// one (a CI job with no HOME still runs from the environment).
    pub fn load_config(&self) -> Result<config::ConfigFile> {
        match self.env.config_path() {
            Ok(p) => config::ConfigFile::load_from(p),
            Err(_) => Ok(config::ConfigFile {
                path: PathBuf::new(),
                config: config::Config::default(),
            }),
        }
    }
}
