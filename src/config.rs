//! Profiles: the TOML config file that names servers and how to talk to them.
//!
//! Path: `$SMART_CONFIG`, else `$XDG_CONFIG_HOME/smart/config.toml` (the
//! platform's config dir elsewhere). Secrets never go in this file.
//!
//! Unknown keys are kept on rewrite (`extra` maps), so a newer `smart` or a
//! hand edit is never lost. Writes go to a temp file that is renamed over the
//! old one. A file that does not parse is reported with its line and key and
//! is never written to.
//!
//! Every change goes through [`ConfigFile::update`]: under a lock on
//! `<config>.lock`, the file is read again, changed and written. What this
//! process loaded minutes ago (a login waits for the browser) is never
//! written back over what another `smart` or an editor saved meanwhile.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Name of the default profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    pub fhir_base: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_port: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_type: Option<ClientType>,
    /// Sent as `aud` instead of the FHIR base.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    /// `false` for servers that reject `aud`.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub send_aud: bool,
    /// Workaround: when to use PKCE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pkce: Option<PkceMode>,
    /// Workaround: force a token endpoint auth method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_auth_method: Option<TokenAuthMethod>,
    /// Workaround: extra authorize request parameters.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub authorize_params: BTreeMap<String, String>,
    /// Workaround: add `_format=json` to FHIR requests.
    #[serde(default, skip_serializing_if = "is_false")]
    pub format_json: bool,
    /// Workaround: how client_secret_basic encodes id and secret (default
    /// `form`, RFC 6749 §2.3.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basic_auth_encoding: Option<BasicAuthEncoding>,
    /// `false`: ask for resource scopes as written, even when the server
    /// advertises only the other scope dialect.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub scope_translation: bool,
    /// The longest `Retry-After` wait honoured, in seconds (default 60).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_retry_wait: Option<u64>,
    /// Bulk export: origins besides the FHIR base's that get the token for
    /// the files (`https://files.example.org`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub token_origins: Vec<String>,
    /// Headers sent with every request to the FHIR server's origin (not to
    /// the token endpoint unless `header_token_endpoint`); `-H` adds more.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// The headers also go to the authorization server's endpoints.
    #[serde(default, skip_serializing_if = "is_false")]
    pub header_token_endpoint: bool,
    /// private_key_jwt: PEM file of the signing key (relative paths are
    /// relative to the config file), or `keychain` for the token store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_key: Option<String>,
    /// private_key_jwt: the `kid` the server knows the key by (default: its
    /// RFC 7638 thumbprint).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// private_key_jwt: ES384 or RS384 (default: what the key signs with).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<crate::oauth::keys::SigningAlg>,
    /// private_key_jwt: URL where the public JWKS is hosted, sent as `jku`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jku: Option<String>,
    /// Keys this version does not know, kept as they were.
    #[serde(flatten)]
    pub extra: toml::Table,
}

impl Default for Profile {
    fn default() -> Self {
        Profile {
            fhir_base: String::new(),
            client_id: None,
            scope: None,
            redirect_port: None,
            client_type: None,
            aud: None,
            send_aud: true,
            pkce: None,
            token_auth_method: None,
            authorize_params: BTreeMap::new(),
            format_json: false,
            basic_auth_encoding: None,
            scope_translation: true,
            max_retry_wait: None,
            token_origins: Vec::new(),
            headers: BTreeMap::new(),
            header_token_endpoint: false,
            private_key: None,
            kid: None,
            alg: None,
            jku: None,
            extra: toml::Table::new(),
        }
    }
}

fn yes() -> bool {
    true
}
fn is_true(b: &bool) -> bool {
    *b
}
fn is_false(b: &bool) -> bool {
    !*b
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClientType {
    /// No client secret (native app); PKCE protects the code
    Public,
    /// Client secret (kept in the OS keychain)
    ConfidentialSymmetric,
    /// Private key JWT at the token endpoint
    ConfidentialAsymmetric,
    /// SMART Backend Services (client_credentials, no user)
    Backend,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PkceMode {
    /// Always send S256 PKCE, advertised or not
    Always,
    /// Send PKCE only when the server advertises S256
    IfAdvertised,
}

/// How `client_secret_basic` puts the client id and secret into the
/// `Authorization: Basic` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BasicAuthEncoding {
    /// Form-encoded, then base64 (RFC 6749 §2.3.1)
    #[default]
    Form,
    /// Base64 of the raw `id:secret` (plain HTTP Basic; some servers want it)
    Raw,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenAuthMethod {
    None,
    ClientSecretBasic,
    ClientSecretPost,
    PrivateKeyJwt,
}

impl ClientType {
    pub const ALL: [ClientType; 4] = [
        ClientType::Public,
        ClientType::ConfidentialSymmetric,
        ClientType::ConfidentialAsymmetric,
        ClientType::Backend,
    ];

    /// The name profiles and messages use (as serde writes it).
    pub fn as_str(self) -> &'static str {
        match self {
            ClientType::Public => "public",
            ClientType::ConfidentialSymmetric => "confidential-symmetric",
            ClientType::ConfidentialAsymmetric => "confidential-asymmetric",
            ClientType::Backend => "backend",
        }
    }

    /// Case-insensitive, for `SMART_CLIENT_TYPE`.
    pub fn parse(s: &str) -> Option<ClientType> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(s))
    }

    /// How a client of this type authenticates when its profile names no
    /// method: a secret goes in Basic (which RFC 6749 §2.3.1 makes every
    /// server take), unless the server advertises only the form post.
    pub fn default_auth_method(self, advertised: &[&str]) -> TokenAuthMethod {
        match self {
            ClientType::Public => TokenAuthMethod::None,
            ClientType::ConfidentialSymmetric => {
                if advertised.contains(&"client_secret_post")
                    && !advertised.contains(&"client_secret_basic")
                {
                    TokenAuthMethod::ClientSecretPost
                } else {
                    TokenAuthMethod::ClientSecretBasic
                }
            }
            ClientType::ConfidentialAsymmetric | ClientType::Backend => {
                TokenAuthMethod::PrivateKeyJwt
            }
        }
    }
}

impl PkceMode {
    pub fn as_str(self) -> &'static str {
        match self {
            PkceMode::Always => "always",
            PkceMode::IfAdvertised => "if-advertised",
        }
    }
}

impl BasicAuthEncoding {
    pub fn as_str(self) -> &'static str {
        match self {
            BasicAuthEncoding::Form => "form",
            BasicAuthEncoding::Raw => "raw",
        }
    }
}

impl TokenAuthMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenAuthMethod::None => "none",
            TokenAuthMethod::ClientSecretBasic => "client_secret_basic",
            TokenAuthMethod::ClientSecretPost => "client_secret_post",
            TokenAuthMethod::PrivateKeyJwt => "private_key_jwt",
        }
    }
}

macro_rules! display_as_str {
    ($($t:ty),*) => {$(
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    )*};
}
display_as_str!(ClientType, PkceMode, TokenAuthMethod, BasicAuthEncoding);

impl Profile {
    /// How client_secret_basic encodes the credentials.
    pub fn basic_encoding(&self) -> BasicAuthEncoding {
        self.basic_auth_encoding.unwrap_or_default()
    }

    /// What to send as `aud`: `None` when the profile says not to send it.
    pub fn effective_aud(&self) -> Option<&str> {
        if !self.send_aud {
            return None;
        }
        Some(self.aud.as_deref().unwrap_or(&self.fhir_base))
    }
}

/// Where the config file lives: `explicit` (`SMART_CONFIG`), else under
/// `xdg_config_home`, else the platform's config directory. The caller
/// reads the environment (see `settings::Environment::config_path`).
pub fn path(explicit: Option<PathBuf>, xdg_config_home: Option<PathBuf>) -> Result<PathBuf> {
    if let Some(p) = explicit {
        return Ok(p);
    }
    if let Some(x) = xdg_config_home {
        return Ok(x.join("smart").join("config.toml"));
    }
    directories::ProjectDirs::from("", "", "smart")
        .map(|d| d.config_dir().join("config.toml"))
        .ok_or_else(|| {
            Error::usage("cannot find a config directory (no home directory)")
                .with_hint("set SMART_CONFIG to the config file path")
        })
}

/// A loaded config and where it came from.
#[derive(Debug)]
pub struct ConfigFile {
    pub path: PathBuf,
    pub config: Config,
}

impl ConfigFile {
    /// Loads the config; a missing file is an empty config.
    pub fn load_from(path: PathBuf) -> Result<ConfigFile> {
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => {
                return Err(Error::usage(format!(
                    "cannot read config file {}: {e}",
                    path.display()
                )));
            }
        };
        let config = parse(&text).map_err(|e| e.in_file(&path))?;
        Ok(ConfigFile { path, config })
    }

    /// Applies `change` to the config file as it is now, under its lock:
    /// read again, changed, written. `change` sees the current profiles (a
    /// check like "already exists" belongs inside it). `self` then holds
    /// what was written.
    pub fn update<T>(&mut self, change: impl FnOnce(&mut Config) -> Result<T>) -> Result<T> {
        let _lock = self.lock()?;
        let mut now = ConfigFile::load_from(self.path.clone())?;
        let out = change(&mut now.config)?;
        now.save()?;
        self.config = now.config;
        Ok(out)
    }

    /// The writers' lock, `<config>.lock` beside the file. Writers hold it
    /// for milliseconds; a wait this long means a stuck process.
    fn lock(&self) -> Result<crate::fsutil::FileLock> {
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| {
                Error::usage(format!("config path {} names no file", self.path.display()))
            })?;
        let lock = self.path.with_file_name(format!("{name}.lock"));
        if let Some(dir) = lock.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::usage(format!("cannot create {}: {e}", dir.display())))?;
        }
        crate::fsutil::lock_file(&lock, std::time::Duration::from_secs(10)).map_err(|e| {
            let what = format!("the config file {}", self.path.display());
            if e.kind() == std::io::ErrorKind::WouldBlock {
                Error::usage(format!(
                    "{what} is busy: another smart process holds its lock ({e})"
                ))
                .with_hint("try again; the lock goes away when that process exits")
            } else {
                Error::usage(format!("cannot lock {what}: {e}"))
            }
        })
    }

    /// Writes atomically: temp file in the same directory, then rename.
    /// Callers go through [`ConfigFile::update`].
    fn save(&self) -> Result<()> {
        let text = toml::to_string_pretty(&self.config)
            .map_err(|e| Error::usage(format!("cannot serialize config: {e}")))?;
        crate::fsutil::write_atomically(
            &self.path,
            text.as_bytes(),
            crate::fsutil::Access::Private,
            crate::fsutil::Replace::Yes,
        )
        .map_err(|e| {
            Error::usage(format!(
                "cannot write config file {}: {e}",
                self.path.display()
            ))
        })
    }

    /// The profile a command should use: the `--profile` flag / `SMART_PROFILE`,
    /// else the default.
    pub fn resolve(&self, requested: Option<&str>) -> Result<(&str, &Profile)> {
        let name = match requested {
            Some(n) => n,
            None => self.config.default.as_deref().ok_or_else(|| {
                Error::usage("no profile given and no default profile set").with_hint(
                    "add one with `smart profile add NAME --fhir-base URL`, or pass -p NAME",
                )
            })?,
        };
        self.config
            .profiles
            .get_key_value(name)
            .map(|(k, v)| (k.as_str(), v))
            .ok_or_else(|| self.unknown_profile(name))
    }

    pub fn unknown_profile(&self, name: &str) -> Error {
        let known: Vec<&str> = self.config.profiles.keys().map(String::as_str).collect();
        let hint = if known.is_empty() {
            "no profiles yet: add one with `smart profile add NAME --fhir-base URL`".to_owned()
        } else if let Some(near) = crate::similar::closest(name, known.iter().copied()) {
            format!(
                "did you mean {near}? (known profiles: {})",
                known.join(", ")
            )
        } else {
            format!(
                "known profiles: {}; or add it with `smart profile add {name} --fhir-base URL`",
                known.join(", ")
            )
        };
        Error::usage(format!("no profile named `{name}`")).with_hint(hint)
    }
}

/// A parse failure with the line and key it concerns.
#[derive(Debug)]
pub struct ParseError {
    pub line: Option<usize>,
    pub key: Option<String>,
    pub message: String,
}

impl ParseError {
    fn in_file(self, path: &Path) -> Error {
        let mut where_ = path.display().to_string();
        if let Some(l) = self.line {
            where_.push_str(&format!(" line {l}"));
        }
        if let Some(k) = &self.key {
            where_.push_str(&format!(", key `{k}`"));
        }
        Error::usage(format!("invalid config file {where_}: {}", self.message))
            .with_hint("fix the file by hand; smart will not overwrite it while it is invalid")
    }
}

pub fn parse(text: &str) -> std::result::Result<Config, ParseError> {
    let config: Config = toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
        ParseError {
            line,
            key: key_at(text, e.span().map(|s| s.start)),
            message: e.message().trim().to_owned(),
        }
    })?;
    for (name, p) in &config.profiles {
        validate_profile(name, p).map_err(|message| ParseError {
            line: find_table_line(text, name),
            key: Some(format!("profiles.{name}")),
            message,
        })?;
    }
    if let Some(d) = &config.default
        && !config.profiles.contains_key(d)
    {
        return Err(ParseError {
            line: text
                .lines()
                .position(|l| l.trim_start().starts_with("default"))
                .map(|i| i + 1),
            key: Some("default".into()),
            message: format!("default profile `{d}` is not defined"),
        });
    }
    Ok(config)
}

/// The dotted key whose value starts at `offset`: table header plus key name.
fn key_at(text: &str, offset: Option<usize>) -> Option<String> {
    let offset = offset?.min(text.len());
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next().unwrap_or("");
    let table = before[..line_start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('[') && l.ends_with(']'))
        .map(|l| l.trim_matches(['[', ']']).trim().to_owned());
    let key = line
        .split_once('=')
        .map(|(k, _)| k.trim().trim_matches('"').to_owned())
        .filter(|k| !k.is_empty() && !k.starts_with('['));
    match (table, key) {
        (Some(t), Some(k)) => Some(format!("{t}.{k}")),
        (None, Some(k)) => Some(k),
        (Some(t), None) => Some(t),
        (None, None) => None,
    }
}

fn find_table_line(text: &str, profile: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            let l = l.trim().replace(' ', "");
            l == format!("[profiles.{profile}]") || l == format!("[profiles.\"{profile}\"]")
        })
        .map(|i| i + 1)
}

/// Authorization parameters the flow sets and a profile's
/// `authorize_params` may never replace: they carry its security (state,
/// PKCE, aud, redirect).
pub(crate) const RESERVED_AUTHORIZE_PARAMS: &[&str] = &[
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "aud",
    "code_challenge",
    "code_challenge_method",
    "nonce",
    "launch",
];

/// Checks that a profile is usable; the message names the offending key.
pub fn validate_profile(name: &str, p: &Profile) -> std::result::Result<(), String> {
    validate_name(name)?;
    crate::discovery::parse_base(&p.fhir_base).map_err(|e| format!("fhir_base: {}", e.message))?;
    if let Some(aud) = &p.aud {
        url::Url::parse(aud).map_err(|e| format!("aud: `{aud}` is not a URL ({e})"))?;
    }
    if let Some(jku) = &p.jku {
        url::Url::parse(jku).map_err(|e| format!("jku: `{jku}` is not a URL ({e})"))?;
    }
    if let Some(k) = p
        .authorize_params
        .keys()
        .find(|k| RESERVED_AUTHORIZE_PARAMS.contains(&k.as_str()))
    {
        return Err(format!(
            "authorize_params.{k}: `{k}` is set by smart itself and cannot be overridden"
        ));
    }
    for o in &p.token_origins {
        crate::bulk::reach::parse_token_origin(o)
            .map_err(|e| format!("token_origins: {}", e.message))?;
    }
    for (n, v) in &p.headers {
        crate::custom_headers::header(n, v, "headers").map_err(|e| e.message)?;
    }
    if p.redirect_port == Some(0) {
        return Err(
            "redirect_port: 0 is not a fixed port; leave it out for an ephemeral port".into(),
        );
    }
    Ok(())
}

pub fn validate_name(name: &str) -> std::result::Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "profile name `{name}`: use 1-64 letters, digits, `-`, `_` or `.`"
        ))
    }
}

#[cfg(test)]
mod proptests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_survive_a_round_trip() {
        let text = r#"
default = "a"
[profiles.a]
fhir_base = "https://fhir.example.org/r4"
future_setting = 42
[profiles.a.nested_future]
x = "y"
"#;
        let c = parse(text).unwrap();
        let out = toml::to_string_pretty(&c).unwrap();
        let again = parse(&out).unwrap();
        assert_eq!(
            again.profiles["a"].extra["future_setting"].as_integer(),
            Some(42)
        );
        assert_eq!(
            again.profiles["a"].extra["nested_future"]["x"].as_str(),
            Some("y")
        );
    }

    #[test]
    fn type_errors_name_line_and_key() {
        let text = "[profiles.a]\nfhir_base = \"https://x.org\"\nredirect_port = \"abc\"\n";
        let e = parse(text).unwrap_err();
        assert_eq!(e.line, Some(3));
        assert_eq!(e.key.as_deref(), Some("profiles.a.redirect_port"));
    }

    #[test]
    fn bad_profile_values_are_rejected() {
        let text = "[profiles.a]\nfhir_base = \"http://remote.example.org\"\n";
        let e = parse(text).unwrap_err();
        assert_eq!(e.key.as_deref(), Some("profiles.a"));
        assert!(e.message.contains("fhir_base"), "{}", e.message);
    }

    #[test]
    fn security_parameters_cannot_be_overridden() {
        let text = "[profiles.a]\nfhir_base = \"https://x.org\"\n[profiles.a.authorize_params]\ncode_challenge_method = \"plain\"\n";
        let e = parse(text).unwrap_err();
        assert!(e.message.contains("code_challenge_method"), "{}", e.message);
        let ok = "[profiles.a]\nfhir_base = \"https://x.org\"\n[profiles.a.authorize_params]\nprompt = \"login\"\n";
        assert!(parse(ok).is_ok());
    }

    #[test]
    fn an_update_keeps_what_others_wrote_since_the_load() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("config.toml");
        let profile = |base: &str| Profile {
            fhir_base: base.into(),
            ..Default::default()
        };
        let mut early = ConfigFile::load_from(path.clone()).unwrap();
        let mut other = ConfigFile::load_from(path.clone()).unwrap();
        other
            .update(|c| {
                c.profiles.insert("b".into(), profile("https://b.org/fhir"));
                Ok(())
            })
            .unwrap();
        early
            .update(|c| {
                c.profiles.insert("a".into(), profile("https://a.org/fhir"));
                Ok(())
            })
            .unwrap();
        let now = ConfigFile::load_from(path).unwrap();
        let names: Vec<_> = now.config.profiles.keys().cloned().collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(
            early.config.profiles.len(),
            2,
            "the store holds what was written"
        );
        assert!(d.path().join("config.toml.lock").exists());
    }

    #[test]
    fn aud_defaults_to_base_and_can_be_suppressed() {
        let mut p = Profile {
            fhir_base: "https://x.org/fhir".into(),
            ..Default::default()
        };
        assert_eq!(p.effective_aud(), Some("https://x.org/fhir"));
        p.aud = Some("https://other".into());
        assert_eq!(p.effective_aud(), Some("https://other"));
        p.send_aud = false;
        assert_eq!(p.effective_aud(), None);
    }
}
