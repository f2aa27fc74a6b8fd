//! The one precedence rule, flag > environment > profile > default, applied
//! to every value a profile can hold.

use std::path::{Path, PathBuf};

use crate::config::{self, ClientType, Profile};
use crate::discovery::parse_base;
use crate::error::{Error, Result};
use crate::oauth::keys::SigningAlg;
use crate::secret::Secret;
use crate::token_store::StoreKind;

use super::*;

/// Scopes a user login asks for when neither the flag nor the profile says.
pub(crate) const DEFAULT_SCOPE: &str = "openid fhirUser launch/patient patient/*.rs offline_access";
/// The same for an EHR launch, where the EHR supplies the context.
pub(crate) const DEFAULT_EHR_SCOPE: &str = "openid fhirUser launch patient/*.rs offline_access";

/// What a backend client asks for when nothing says otherwise.
pub(crate) const DEFAULT_BACKEND_SCOPE: &str = "system/*.rs";

/// The scope a login of `client_type` asks for when neither a flag, the
/// environment nor the profile names one (standalone; an EHR launch asks
/// [`DEFAULT_EHR_SCOPE`]).
pub(crate) fn default_scope(client_type: ClientType) -> &'static str {
    if client_type == ClientType::Backend {
        DEFAULT_BACKEND_SCOPE
    } else {
        DEFAULT_SCOPE
    }
}

/// flag > env > profile, the first that has a value.
pub(super) fn pick(
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
                    // The unknown profile's own hint ("did you mean …?",
                    // the known names) says more than a general one.
                    return Err(config.unknown_profile(&requested.value).or_hint(
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
            let r = if v.contains("-----BEGIN") || crate::oauth::private_jwk::looks_like_json(v) {
                KeyRef::Inline(Secret::new(v))
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
            Setting::new(default_scope(client_type.value).to_owned(), Source::Default)
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
}
