//! `smart keys generate|jwks`: the client's signing key for
//! `private_key_jwt`, made here so that setting up a backend service needs
//! no openssl incantations.
//!
//! The private key goes to a 0600 PKCS#8 PEM file or, with `--format jwk`,
//! a 0600 private JWK (written atomically, never over an existing one
//! without `--force`), or to the token store; only the
//! public JWKS is printed, ready to paste into a server's registration or to
//! host as a `jwks_url`. The selected profile is pointed at the new key when
//! it was named explicitly or is a private_key_jwt client, so the next
//! `smart login` uses it.

use std::path::{Path, PathBuf};

use super::RunContext;
use crate::cli::{KeyFileFormat, KeysCommand, KeysGenerateArgs, KeysJwksArgs};
use crate::config::{ClientType, ConfigFile};
use crate::error::{Error, Result};
use crate::oauth::keys::PrivateKey;
use crate::output;
use crate::secret::Secret;
use crate::settings::{Flags, KEY_IN_STORE, Settings, key_reference, published_beside};
use crate::token_store::Item;

pub async fn run(ctx: &RunContext, cmd: KeysCommand) -> Result<()> {
    match cmd {
        KeysCommand::Generate(a) => generate(ctx, a),
        KeysCommand::Jwks(a) => jwks(ctx, a),
    }
}

/// The profile `keys generate` should point at the new key: one named with
/// `-p`/`SMART_PROFILE` (saved or not), or a default profile that signs
/// with a key. `(name, saved)`.
fn target_profile(ctx: &RunContext, config: &ConfigFile) -> Option<(String, bool)> {
    if let Some(n) = ctx.invocation.profile_name() {
        return Some((n.to_owned(), config.config.profiles.contains_key(n)));
    }
    let d = config.config.default.as_ref()?;
    let p = config.config.profiles.get(d)?;
    matches!(
        p.client_type,
        Some(ClientType::Backend | ClientType::ConfidentialAsymmetric)
    )
    .then(|| (d.clone(), true))
}

fn generate(ctx: &RunContext, a: KeysGenerateArgs) -> Result<()> {
    let mut config = ctx.invocation.load_config()?;
    let target = target_profile(ctx, &config);
    if let Some((n, _)) = &target {
        crate::config::validate_name(n).map_err(Error::usage)?;
    }
    let key = PrivateKey::generate(a.alg.into())?;
    let kid = a.kid.clone().unwrap_or_else(|| key.thumbprint());
    let jwks = key.public_jwks(&kid);
    let pem = key.to_pkcs8_pem()?;

    let reference = if a.keychain {
        let Some((name, _)) = &target else {
            return Err(Error::usage("--keychain keeps the key under a profile, and none is selected")
                .with_hint("pass -p NAME (the profile may be registered later with `smart register --private-key keychain`)"));
        };
        let store = ctx.invocation.store();
        crate::blocking::blocking(|| store.put(name, Item::PrivateKey, &pem))?;
        eprintln!(
            "stored the private key in {} for profile `{name}`",
            store.describe()
        );
        KEY_IN_STORE.to_owned()
    } else {
        let dir = a.out.clone().unwrap_or_else(|| PathBuf::from("."));
        let stem = target.as_ref().map_or("smart", |(n, _)| n.as_str());
        let (key_path, private) = match a.format {
            KeyFileFormat::Pem => (dir.join(format!("{stem}.key.pem")), pem),
            KeyFileFormat::Jwk => {
                let jwk = crate::oauth::private_jwk::to_private_jwk(&key, &kid);
                let text = serde_json::to_string_pretty(&jwk).unwrap_or_default() + "\n";
                (dir.join(format!("{stem}.key.json")), Secret::new(text))
            }
        };
        // Where a later use of the key without a kid finds it again.
        let jwks_path = crate::oauth::keys::jwks_beside(&key_path);
        write_private(&key_path, &private, a.force)?;
        let text = serde_json::to_string_pretty(&jwks).unwrap_or_default() + "\n";
        write_public(&jwks_path, text.as_bytes(), a.force)?;
        eprintln!(
            "wrote the private key to {} (mode 0600) and the public JWKS to {}",
            key_path.display(),
            jwks_path.display()
        );
        key_reference(&key_path.display().to_string())
    };

    match &target {
        Some((name, true)) => {
            config.update(|c| {
                if let Some(p) = c.profiles.get_mut(name) {
                    p.private_key = Some(reference);
                    p.kid = a.kid.clone();
                    p.alg = None;
                }
                Ok(())
            })?;
            eprintln!("profile `{name}` now signs with this key (kid `{kid}`)");
        }
        Some((name, false)) => eprintln!(
            "profile `{name}` does not exist yet: `smart -p {name} register --private-key {reference}` creates it"
        ),
        None if reference != KEY_IN_STORE => eprintln!(
            "use it with SMART_PRIVATE_KEY={reference}{}, or `smart register --private-key {reference}`",
            a.kid
                .as_ref()
                .map_or(String::new(), |k| format!(" SMART_KID={k}"))
        ),
        None => {}
    }
    output::print_json(&jwks)
}

fn jwks(ctx: &RunContext, a: KeysJwksArgs) -> Result<()> {
    let (key, kid) = match &a.key {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| Error::usage(format!("cannot read {}: {e}", path.display())))?;
            let loaded = crate::oauth::key_file::read(&text, &path.display().to_string())?;
            let kid = loaded
                .kid
                .or_else(|| published_beside(&loaded.key, path).map(|(k, _)| k));
            (loaded.key, kid)
        }
        None => {
            let s = Settings::resolve(&ctx.invocation, &Flags::default())?;
            let store = s.store();
            let loaded = s.private_key(&store)?.ok_or_else(|| {
                Error::usage(format!("profile `{}` has no private key", s.name())).with_hint(
                    "create one with `smart keys generate`, set SMART_PRIVATE_KEY, or pass --key FILE",
                )
            })?;
            let kid = loaded
                .kid
                .or_else(|| s.published_kid(&loaded.key).map(|(k, _)| k));
            (loaded.key, s.kid.map(|k| k.value).or(kid))
        }
    };
    let kid = a.kid.or(kid).unwrap_or_else(|| key.thumbprint());
    output::print_json(&key.public_jwks(&kid))
}

/// Writes the private key readable by the owner only, atomically, and
/// refuses to replace a key unless told to (a lost key means re-registering).
fn write_private(path: &Path, pem: &Secret, force: bool) -> Result<()> {
    write_file(path, pem.expose().as_bytes(), force, true)
}

fn write_public(path: &Path, bytes: &[u8], force: bool) -> Result<()> {
    write_file(path, bytes, force, false)
}

fn write_file(path: &Path, bytes: &[u8], force: bool, private: bool) -> Result<()> {
    use crate::fsutil::{Access, Replace, write_atomically};
    let access = if private {
        Access::Private
    } else {
        Access::Public
    };
    let replace = if force { Replace::Yes } else { Replace::No };
    write_atomically(path, bytes, access, replace).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            Error::usage(format!("{} already exists", path.display()))
                .with_hint("pass --force to replace it, or --out DIR for another directory")
        } else {
            Error::usage(format!("cannot write {}: {e}", path.display()))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(unix)]
    fn private_keys_are_0600_and_not_overwritten() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("k.pem");
        write_private(&p, &Secret::new("x"), false).unwrap();
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert!(write_private(&p, &Secret::new("y"), false).is_err());
        write_private(&p, &Secret::new("y"), true).unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "y");
    }

    #[test]
    fn keychain_references_stay_as_they_are() {
        assert_eq!(key_reference("keychain"), "keychain");
        assert!(Path::new(&key_reference("k.pem")).is_absolute());
    }
}
