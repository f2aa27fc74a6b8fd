//! `smart login`: the SMART App Launch authorization code flow from a
//! terminal — discovery, loopback listener, browser (or a printed URL),
//! PKCE S256, `state` and `nonce` checks, code exchange without redirects,
//! id_token validation, tokens into the token store.

use colored::Colorize;
use std::sync::Arc;
use std::time::{Duration, Instant};
use url::Url;

use super::RunContext;
use crate::cli::LoginArgs;
use crate::config::{self, ClientType, PkceMode, Profile, Store, TokenAuthMethod};
use crate::discovery::{self, Discovery, FhirBase};
use crate::error::{Error, Result};
use crate::http::Http;
use crate::oauth::authorize::AuthorizeRequest;
use crate::oauth::callback::{self, Listener, Outcome};
use crate::oauth::token::{self, ClientAuth};
use crate::oauth::tokens::{Issuer, TokenSet};
use crate::oauth::{browser, id_token, pkce};
use crate::output;
use crate::secret::Secret;
use crate::session;
use crate::settings::{self, DEFAULT_EHR_SCOPE, Environment, Flags, Settings};
use crate::token_store::{Item, StoreKind, TokenStore};

const DEFAULT_WAIT: u64 = 300;

pub async fn run(g: &RunContext, args: LoginArgs) -> Result<()> {
    let mut config = g.invocation.load_config()?;
    let (name, profile, created, saved) = resolve_profile(g, &args, &config)?;
    let flags = Flags {
        fhir_base: args.fhir_base.as_deref(),
        client_id: args.client_id.as_deref(),
        scope: args.scope.as_deref(),
    };
    let settings = Settings::for_profile(&g.invocation, &flags, &name, &profile, saved)?;
    let store = settings.store();

    // Read now, stored only once the login has worked: a mistyped secret
    // must not replace a good one.
    let new_secret = if args.secret_stdin {
        Some(crate::prompt::read_secret_stdin(g.env().in_ci())?)
    } else {
        None
    };
    // A keychain that cannot be used should be found before the user signs
    // in, not after (the grant would be lost).
    session::blocking(|| store.get(&name, Item::Tokens))?;

    let client_id = settings.require_client_id()?;
    let client_type = settings.client_type.value;
    if client_type == ClientType::Backend {
        if args.ehr || args.launch.is_some() {
            return Err(Error::usage(format!(
                "profile `{name}` is a backend client: it has no user and no launch"
            )));
        }
        let set =
            session::usable_with(&super::http_options(g, false), &store, &settings, true).await?;
        if store.kind() == StoreKind::None {
            output::warn("--token-store none: the token is not kept; each command fetches its own");
        }
        save_created(&mut config, created, &name, &profile)?;
        return output::status::print(g.json, &name, Some(&set), &store, Some(&settings));
    }
    // Nobody can sign in in CI unless BROWSER plays the user: say so now,
    // before any network round trip or wait.
    if g.env().in_ci() && !args.ehr && g.env().browser().is_none() {
        return Err(Error::auth(
            "smart login needs a browser, and CI is set: nothing can sign in here",
        )
        .with_hint(
            "in CI use a backend profile (client_type = \"backend\" with SMART_PRIVATE_KEY), or set SMART_ACCESS_TOKEN",
        ));
    }

    let wait = Duration::from_secs(g.timeout.unwrap_or(DEFAULT_WAIT));
    let deadline = Instant::now() + wait;
    let http = Http::new(&super::http_options(g, true))?;
    let token_http = Http::new(&super::http_options(g, false))?;

    let (port, path) = redirect_target(&args, &profile)?;
    let listener = Arc::new(Listener::bind(port, &path)?);

    let state = pkce::new_state();
    let pkce = pkce::Pkce::new();

    // The EHR launch tells us which server to use; otherwise the profile does.
    let (base, launch, discovery, pending) = if args.ehr {
        eprintln!("{} {}", "Launch URL:".bold(), listener.launch_url());
        eprintln!(
            "Open it from the EHR (register it as the app's launch URL); waiting up to {}s…",
            wait.as_secs()
        );
        let l = listener.clone();
        let (launch, pending) = session::blocking(move || l.wait_for_launch(deadline))?;
        let base = match check_iss(&launch.iss, &profile, created) {
            Ok(b) => b,
            Err(e) => {
                pending.fail(&e.message);
                return Err(e);
            }
        };
        let d = match discovery::discover(&http, &base).await {
            Ok(d) => d,
            Err(e) => {
                pending.fail(&e.message);
                return Err(e);
            }
        };
        (base, Some(launch.launch), d, Some(pending))
    } else if let (Some(iss), Some(l)) = (&args.iss, &args.launch) {
        let base = check_iss(iss, &profile, created)?;
        let d = discovery::discover(&http, &base).await?;
        (base, Some(l.clone()), d, None)
    } else {
        let base = settings.require_base()?;
        let d = discovery::discover(&http, &base).await?;
        (base, None, d, None)
    };

    let authorize_ep = discovery
        .endpoint("authorization_endpoint")?
        .ok_or_else(|| {
            Error::server(format!(
                "{base} advertises no authorization_endpoint; it cannot do a user login"
            ))
        })?;
    let token_ep = discovery
        .endpoint("token_endpoint")?
        .ok_or_else(|| Error::server(format!("{base} advertises no token_endpoint")))?;

    let scope = match settings.scope.source {
        settings::Source::Default if launch.is_some() => DEFAULT_EHR_SCOPE.to_owned(),
        _ => settings.scope.value.clone(),
    };
    let wants_openid = scope.split_whitespace().any(|s| s == "openid");
    let nonce = wants_openid.then(pkce::new_nonce);

    let use_pkce = match profile.pkce.unwrap_or(PkceMode::Always) {
        PkceMode::Always => true,
        PkceMode::IfAdvertised => discovery.supports_s256(),
    };
    if !use_pkce {
        output::warn(
            "PKCE is off: the server does not advertise S256 and the profile says pkce = \"if-advertised\"",
        );
    }
    let aud = match profile.effective_aud() {
        // The profile's aud override stands; otherwise the base we really use.
        Some(_) if profile.aud.is_some() => profile.aud.clone(),
        Some(_) => Some(base.to_string()),
        None => None,
    };
    let redirect_uri = listener.redirect_uri();
    let url = AuthorizeRequest {
        endpoint: &authorize_ep,
        client_id: &client_id,
        redirect_uri: &redirect_uri,
        scope: &scope,
        state: &state,
        code_challenge: use_pkce.then_some(pkce.challenge.as_str()),
        aud: aud.as_deref(),
        nonce: nonce.as_ref(),
        launch: launch.as_deref(),
        extra: &profile.authorize_params,
    }
    .url();

    // Known before the user signs in: a missing secret or key fails now.
    let auth = client_auth(
        &store,
        new_secret.as_ref(),
        &settings,
        &client_id,
        client_type,
        &profile,
        &discovery,
    )?;
    let paste = browser::can_paste(g.env());
    if let Some(pending) = pending {
        // The EHR's browser goes on to the authorization server.
        pending.redirect(&url);
    } else {
        show_authorize_url(&url, &listener, args.no_browser, paste, g.env())?;
    }

    let l = listener.clone();
    let st = state.clone();
    let outcome = session::blocking(move || callback::race_with_paste(l, st, deadline, paste))?;
    let Outcome::Code(code) = outcome;

    let mut form = vec![
        ("grant_type", "authorization_code".to_owned()),
        ("code", code.expose().to_owned()),
        ("redirect_uri", redirect_uri.clone()),
    ];
    if use_pkce {
        form.push(("code_verifier", pkce.verifier.expose().to_owned()));
    }
    let resp = token::request(&token_http, &token_ep, form, &auth).await?;

    if resp.expires_in.is_none() {
        output::warn("the token response has no expires_in; the token's lifetime is unknown");
    }
    // Verified before anything is kept: a bad id_token fails the login.
    let verified_user = match &resp.id_token {
        Some(idt) => {
            let claims =
                verify_id_token(&http, &discovery, &base, &client_id, idt, nonce.as_ref()).await?;
            claims
                .get("fhirUser")
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        }
        None => {
            if wants_openid {
                output::warn("openid was requested but the server sent no id_token");
            }
            None
        }
    };
    let mut set = TokenSet::issued(
        Issuer {
            fhir_base: &base,
            client_id: &client_id,
            token_endpoint: &token_ep,
            auth_method: auth.method,
            discovery: Some(&discovery),
        },
        &resp,
        &scope,
    );
    if verified_user.is_some() {
        set.context.fhir_user = verified_user;
    }
    if store.kind() == StoreKind::None {
        output::warn(
            "--token-store none: the tokens are not kept; the next command cannot use them",
        );
    } else {
        let _lock = session::blocking(|| store.lock(&name, Duration::from_secs(60)))?;
        session::save(&store, &name, &set)?;
        if let Some(secret) = &new_secret {
            session::blocking(|| store.put(&name, Item::ClientSecret, secret))?;
        }
    }
    save_created(&mut config, created, &name, &profile)?;
    output::status::print(g.json, &name, Some(&set), &store, Some(&settings))
}

/// Saves a profile made for this login (from `--fhir-base`), once it worked.
fn save_created(config: &mut Store, created: bool, name: &str, profile: &Profile) -> Result<()> {
    if !created {
        return Ok(());
    }
    config
        .config
        .profiles
        .insert(name.to_owned(), profile.clone());
    if config.config.default.is_none() {
        config.config.default = Some(name.to_owned());
    }
    config.save()
}

/// The profile to log in with: `-p`/default, one made from `--fhir-base`
/// (saved only after a successful login), or an unsaved one when only the
/// environment names the server (`SMART_FHIR_BASE`: CI keeps no config).
/// Returns (name, profile, created, saved).
fn resolve_profile(
    g: &RunContext,
    args: &LoginArgs,
    store: &Store,
) -> Result<(String, Profile, bool, bool)> {
    let base_flag = args.fhir_base.clone();
    let base_env = g.env().get("SMART_FHIR_BASE");
    let requested = g.invocation.profile_name();
    if let Some(name) = requested {
        if let Some(p) = store.config.profiles.get(name) {
            // Tokens are stored per profile: a profile logs in to its own
            // server only, so that they can never be sent to another one.
            if let Some(b) = &base_flag
                && discovery::parse_base(b)?.as_str() != p.fhir_base
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
            return Ok((name.to_owned(), p.clone(), false, true));
        }
        if base_flag.is_none()
            && let Some(b) = &base_env
        {
            config::validate_name(name).map_err(Error::usage)?;
            return Ok((name.to_owned(), unsaved(b)?, false, false));
        }
    } else if base_flag.is_none() {
        if store.config.default.is_none()
            && let Some(b) = &base_env
        {
            let p = unsaved(b)?;
            return Ok((settings::profile_name_for(&p.fhir_base), p, false, false));
        }
        let (name, p) = store.resolve(None)?;
        return Ok((name.to_owned(), p.clone(), false, true));
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
        return Ok((name, existing.clone(), false, true));
    }
    let p = Profile {
        fhir_base: base,
        client_id: args.client_id.clone(),
        scope: args.scope.clone(),
        ..Profile::default()
    };
    Ok((name, p, true, false))
}

fn unsaved(base: &str) -> Result<Profile> {
    Ok(Profile {
        fhir_base: discovery::parse_base(base)?.to_string(),
        ..Profile::default()
    })
}

/// The EHR's `iss` must be the profile's server (an app only trusts servers
/// it knows); a profile made for this launch takes it as its base.
fn check_iss(iss: &str, profile: &Profile, created: bool) -> Result<FhirBase> {
    let base = discovery::parse_base(iss)?;
    let b = base.as_str();
    if !(profile.fhir_base == b || created && profile.fhir_base.is_empty()) {
        return Err(Error::auth(format!(
            "the EHR launched with iss {b}, but this profile is for {}; refusing an unknown server",
            profile.fhir_base
        )));
    }
    Ok(base)
}

fn redirect_target(args: &LoginArgs, profile: &Profile) -> Result<(u16, String)> {
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

fn show_authorize_url(
    url: &Url,
    listener: &Listener,
    no_browser: bool,
    paste: bool,
    env: &Environment,
) -> Result<()> {
    let opened = if no_browser {
        browser::Opened::NotTried("--no-browser".into())
    } else {
        browser::open(url.as_str(), env)
    };
    match &opened {
        browser::Opened::Started(how) => {
            eprintln!("Opening the sign-in page with {how}. If nothing opens, visit:");
        }
        browser::Opened::NotTried(why) => {
            if env.in_ci() && !no_browser && env.browser().is_none() {
                return Err(Error::auth(
                    "smart login needs a browser, and CI is set: nothing can sign in here",
                )
                .with_hint("in CI use a backend-services profile or set SMART_ACCESS_TOKEN"));
            }
            eprintln!("Not opening a browser ({why}). Open this URL to sign in:");
        }
    }
    eprintln!("\n  {url}\n");
    if matches!(opened, browser::Opened::NotTried(_)) {
        let port = listener.port();
        eprintln!(
            "On another machine? Forward the port first: ssh -L {port}:127.0.0.1:{port} <this-host>"
        );
        if paste {
            eprintln!(
                "…or paste here the whole URL the browser ends on (http://127.0.0.1:{port}/…):"
            );
        }
    }
    Ok(())
}

fn client_auth(
    store: &TokenStore,
    new_secret: Option<&Secret>,
    settings: &Settings,
    client_id: &str,
    client_type: ClientType,
    p: &Profile,
    d: &Discovery,
) -> Result<ClientAuth> {
    let profile = settings.name();
    let advertised = d.list("token_endpoint_auth_methods_supported");
    let method = p.token_auth_method.unwrap_or(match client_type {
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
        ClientType::ConfidentialAsymmetric | ClientType::Backend => TokenAuthMethod::PrivateKeyJwt,
    });
    let secret = match method {
        TokenAuthMethod::ClientSecretBasic | TokenAuthMethod::ClientSecretPost => {
            let stored = match new_secret {
                Some(s) => Some(s.clone()),
                None => session::client_secret(store, settings)?,
            };
            Some(stored.ok_or_else(|| {
                Error::auth(format!(
                    "profile `{profile}` needs a client secret, and none is stored"
                ))
                .with_hint(format!(
                    "store it with `smart profile set-secret {profile}` or pass --secret-stdin"
                ))
            })?)
        }
        TokenAuthMethod::PrivateKeyJwt | TokenAuthMethod::None => None,
    };
    let key = match method {
        TokenAuthMethod::PrivateKeyJwt => Some(settings.signing_key(store)?),
        _ => None,
    };
    Ok(ClientAuth {
        client_id: client_id.to_owned(),
        method,
        secret,
        key,
    })
}

async fn verify_id_token(
    http: &Http,
    d: &Discovery,
    base: &FhirBase,
    client_id: &str,
    idt: &Secret,
    nonce: Option<&Secret>,
) -> Result<serde_json::Map<String, serde_json::Value>> {
    let jwks_uri = d.endpoint("jwks_uri")?.ok_or_else(|| {
        Error::auth("the server sent an id_token but advertises no jwks_uri to check it with")
    })?;
    let jwks = id_token::fetch_jwks(http, &jwks_uri).await?;
    let base_str = base.to_string();
    let issuer = d.str_field("issuer").unwrap_or(&base_str);
    id_token::verify(
        idt,
        &jwks,
        &id_token::Expect {
            issuer,
            client_id,
            nonce,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uri_must_be_a_loopback_ip_literal_with_port() {
        let p = Profile::default();
        let mut a = LoginArgs {
            fhir_base: None,
            client_id: None,
            scope: None,
            launch: None,
            iss: None,
            ehr: false,
            no_browser: false,
            redirect_port: None,
            redirect_uri: Some("http://127.0.0.1:8765/cb".into()),
            secret_stdin: false,
        };
        assert_eq!(redirect_target(&a, &p).unwrap(), (8765, "/cb".to_owned()));
        a.redirect_uri = Some("http://localhost:8765/cb".into());
        assert!(redirect_target(&a, &p).is_err());
        a.redirect_uri = Some("http://127.0.0.1/cb".into());
        assert!(redirect_target(&a, &p).is_err());
        a.redirect_uri = None;
        assert_eq!(
            redirect_target(&a, &p).unwrap(),
            (0, "/callback".to_owned())
        );
    }
}
