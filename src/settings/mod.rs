//! Resolved settings: what a command uses for each value a profile can hold,
//! and where that value came from.
//!
//! Scripts and CI jobs configure `smart` through the environment, people
//! through profiles, and both now and then through a flag. The rule is one
//! and the same for every value — flag > environment > profile > default —
//! and it lives here so that no command applies it differently. Each value
//! remembers its `Source`, which `smart status --json` shows (secrets as
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
//!
//! The module is split at its seams: `environment` (what this run was
//! given), `resolve` (the precedence rule), `credentials` (secrets and
//! keys, read from the store on demand).

mod credentials;
mod environment;
mod resolve;

use serde_json::{Value, json};
use std::path::PathBuf;

use crate::config::{ClientType, Profile};
use crate::discovery::FhirBase;
use crate::error::{Error, Result};
use crate::oauth::keys::SigningAlg;
use crate::reporter::Reporter;
use crate::secret::Secret;
use crate::token_store::{StoreKind, TokenStore};

pub(crate) use credentials::{
    KEY_IN_STORE, client_secret, credentials_for, key_reference, published_beside,
};
pub(crate) use environment::Invocation;
pub use environment::{Environment, VARIABLES};
pub(crate) use resolve::{DEFAULT_BACKEND_SCOPE, DEFAULT_EHR_SCOPE, default_scope};

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
    /// PEM or JWK text given directly (`SMART_PRIVATE_KEY` holding the key
    /// itself).
    Inline(Secret),
    /// A PEM or JWK file.
    File(PathBuf),
    /// A `SMART_PRIVATE_KEY` that is neither PEM, JSON nor an existing file (a key
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

impl Settings {
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

    /// HTTP options for this profile's server: `base`'s (the command line's
    /// `-H` among them) with the profile's headers added, all bound to the
    /// FHIR base's origin (see [`crate::custom_headers`]).
    pub fn http_options(&self, base: &crate::http::Options) -> Result<crate::http::Options> {
        let mut opts = base.clone();
        opts.headers = opts.headers.with_profile(
            self.name(),
            &self.stored.headers,
            self.stored.header_token_endpoint,
        )?;
        Ok(match &self.fhir_base {
            Some(b) => opts.for_base(b.value.url()),
            None => opts,
        })
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
                KeyRef::Inline(_) => json!(crate::redact::REDACTED),
                KeyRef::File(p) => json!(p.display().to_string()),
                KeyRef::Unusable { len } => {
                    json!(format!("[not a PEM or JWK key, nor a readable file: {len} characters]"))
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
    use super::resolve::pick;
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
