//! Which profile a login is for and which server it may go to: the profile
//! from `-p`, `--fhir-base` or the environment, the `iss` of a launch
//! checked against it, and the loopback redirect it registers.

use url::Url;

use crate::cli::LoginArgs;
use crate::commands::RunContext;
use crate::config::{self, ConfigFile, Profile};
use crate::discovery::{self, FhirBase};
use crate::error::{Error, Result};
use crate::settings::{self, Environment};

/// The profile a login is for, and where it came from.
#[derive(Debug, Clone)]
pub(super) struct LoginProfile {
    pub(super) name: String,
    pub(super) profile: Profile,
    /// Made for this login (from `--fhir-base` or `--iss`): saved to the
    /// config only once the login has worked.
    pub(super) created: bool,
    /// Already in the config file (not made from the environment alone).
    pub(super) saved: bool,
}

/// An EHR launch for a profile made for it has no server to compare its
/// `iss` with: any page that finds the port could choose one. Only a person
/// at the terminal may vouch for it; otherwise the base must be given.
pub(super) fn refuse_unknown_issuer_without_a_person(
    args: &LoginArgs,
    target: &LoginProfile,
    env: &Environment,
) -> Result<()> {
    if args.ehr && target.profile.fhir_base.is_empty() && !crate::prompt::can_ask(env.in_ci()) {
        return Err(Error::usage(format!(
            "smart login --ehr for the new profile `{}` needs --fhir-base URL: the server it may be launched from",
            target.name
        )));
    }
    Ok(())
}

/// Saves a profile made for this login (from `--fhir-base`), once it worked.
pub(super) fn save_created(config: &mut ConfigFile, target: &LoginProfile) -> Result<()> {
    if !target.created {
        return Ok(());
    }
    // Into the file as it is now: the login may have waited minutes for the
    // browser, and other commands may have changed it meanwhile.
    config.update(|c| {
        c.profiles
            .insert(target.name.clone(), target.profile.clone());
        if c.default.is_none() {
            c.default = Some(target.name.clone());
        }
        Ok(())
    })
}

/// The profile to log in with: `-p`/default, one made from `--fhir-base`
/// (saved only after a successful login), or an unsaved one when only the
/// environment names the server (`SMART_FHIR_BASE`: CI keeps no config).
pub(super) fn resolve_profile(
    g: &RunContext,
    args: &LoginArgs,
    store: &ConfigFile,
) -> Result<LoginProfile> {
    let found = |name: &str, profile: &Profile, created, saved| LoginProfile {
        name: name.to_owned(),
        profile: profile.clone(),
        created,
        saved,
    };
    let base_flag = args.fhir_base.clone();
    let base_env = g.env().get("SMART_FHIR_BASE");
    let requested = g.invocation.profile_name();
    if let Some(name) = requested {
        if let Some(p) = store.config.profiles.get(name) {
            // Tokens are stored per profile: a profile logs in to its own
            // server only, so that they can never be sent to another one.
            if let Some(b) = &base_flag
                && !is_profile_base(p, &discovery::parse_base(b)?)
            {
                return Err(Error::usage(format!(
                    "profile `{name}` is for {}, not {}",
                    p.fhir_base,
                    discovery::parse_base(b)?
                ))
                .with_hint(format!(
                    "use another -p NAME, or change it with `smart profile add {name} --fhir-base URL --force`"
                )));
            }
            return Ok(found(name, p, false, true));
        }
        if base_flag.is_none()
            && let Some(b) = &base_env
        {
            config::validate_name(name).map_err(Error::usage)?;
            return Ok(found(name, &unsaved(b)?, false, false));
        }
    } else if base_flag.is_none() {
        if store.config.default.is_none()
            && let Some(b) = &base_env
        {
            let p = unsaved(b)?;
            return Ok(found(
                &settings::profile_name_for(&p.fhir_base),
                &p,
                false,
                false,
            ));
        }
        let (name, p) = store.resolve(None)?;
        return Ok(found(name, p, false, true));
    }
    // A new profile: from --fhir-base (or, for an EHR launch, from iss later).
    let base = match (&base_flag, &args.iss) {
        (Some(b), _) => discovery::parse_base(b)?.to_string(),
        (None, Some(iss)) => discovery::parse_base(iss)?.to_string(),
        (None, None) if args.ehr => String::new(),
        (None, None) => {
            return Err(store
                .unknown_profile(requested.unwrap_or_default())
                .with_hint(
                    "add it with `smart profile add`, or pass --fhir-base URL --client-id ID",
                ));
        }
    };
    let name = match requested {
        Some(n) => n.to_owned(),
        None => settings::profile_name_for(&base),
    };
    config::validate_name(&name).map_err(Error::usage)?;
    if let Some(existing) = store.config.profiles.get(&name)
        && existing.fhir_base == base
    {
        return Ok(found(&name, existing, false, true));
    }
    let p = Profile {
        fhir_base: base,
        client_id: args.client_id.clone(),
        scope: args.scope.clone(),
        ..Profile::default()
    };
    Ok(found(&name, &p, true, false))
}

pub(super) fn unsaved(base: &str) -> Result<Profile> {
    Ok(Profile {
        fhir_base: discovery::parse_base(base)?.to_string(),
        ..Profile::default()
    })
}

/// `--iss` must be the profile's server (an app only trusts servers it
/// knows); a profile made from `--iss` has it as its base already.
pub(super) fn check_iss(iss: &str, profile: &Profile) -> Result<FhirBase> {
    let base = discovery::parse_base(iss)?;
    if !is_profile_base(profile, &base) {
        return Err(Error::auth(format!(
            "the EHR launched with iss {base}, but this profile is for {}; refusing an unknown server",
            profile.fhir_base
        )));
    }
    Ok(base)
}

/// Compared as parsed bases: a trailing slash or the host's case in the
/// config file makes no other server.
pub(super) fn is_profile_base(profile: &Profile, base: &FhirBase) -> bool {
    FhirBase::parse(&profile.fhir_base).is_ok_and(|b| &b == base)
}

/// The person at the terminal vouches for the server a launch names, for a
/// profile that has none yet.
pub(super) fn confirm_issuer(iss: &FhirBase, profile: &str) -> Result<()> {
    eprintln!("An EHR launched this app with iss {iss}.");
    let question = format!("Trust {iss} as the FHIR server of the new profile `{profile}`?");
    if crate::prompt::confirm(&question)? {
        return Ok(());
    }
    Err(
        Error::auth(format!("launch from {iss} not trusted; login abandoned"))
            .with_hint("pass --fhir-base URL with the server you expect"),
    )
}

pub(super) fn redirect_target(args: &LoginArgs, profile: &Profile) -> Result<(u16, String)> {
    if let Some(uri) = &args.redirect_uri {
        let u =
            Url::parse(uri).map_err(|e| Error::usage(format!("--redirect-uri `{uri}`: {e}")))?;
        if u.scheme() != "http" || u.host_str() != Some("127.0.0.1") {
            return Err(Error::usage(format!(
                "--redirect-uri `{uri}` must be http://127.0.0.1:PORT/PATH (a loopback IP literal, RFC 8252 §7.3)"
            )));
        }
        let port = u.port().ok_or_else(|| {
            Error::usage(format!("--redirect-uri `{uri}` needs an explicit port"))
        })?;
        let path = if u.path().is_empty() {
            "/".to_owned()
        } else {
            u.path().to_owned()
        };
        return Ok((port, path));
    }
    Ok((
        args.redirect_port.or(profile.redirect_port).unwrap_or(0),
        "/callback".to_owned(),
    ))
}
