//! `smart login`: the SMART App Launch authorization code flow from a
//! terminal — discovery, loopback listener, browser (or a printed URL),
//! PKCE S256, `state` and `nonce` checks, code exchange without redirects,
//! id_token validation, tokens into the token store.
//!
//! The flow runs as named steps: [`resolve_profile`] → [`find_server`](UserLogin::find_server)
//! (EHR launch, `--iss`, or the profile) → [`PendingAuthorization::prepare`]
//! → the user signs in → [`PendingAuthorization::exchange`] → [`issue`](UserLogin::issue)
//! (id_token checked) → [`keep`].

use colored::Colorize;
use oauth2::AuthorizationCode;
use std::sync::Arc;
use std::time::{Duration, Instant};
use url::Url;

use super::RunContext;
use crate::cli::LoginArgs;
use crate::clock::{Clock, SystemClock};
use crate::config::{ClientType, PkceMode, Profile, TokenAuthMethod};
use crate::discovery::{self, Discovery, FhirBase};
use crate::error::{Error, Result};
use crate::http::Http;
use crate::oauth::authorize::{AuthorizeRequest, Exchanged, PendingAuthorization};
use crate::oauth::callback::{self, Listener, PendingLaunch};
use crate::oauth::token_endpoint::ClientAuth;
use crate::oauth::token_set::{Issuer, TokenSet};
use crate::oauth::{browser, id_token, scope_dialect};
use crate::output;
use crate::secret::Secret;
use crate::session;
use crate::settings::{self, DEFAULT_EHR_SCOPE, Environment, Flags, Settings};
use crate::token_store::{Item, StoreKind, TokenStore};

mod target;

use target::{
    LoginProfile, check_iss, confirm_issuer, redirect_target,
    refuse_unknown_issuer_without_a_person, resolve_profile, save_created,
};

const DEFAULT_WAIT: u64 = 300;

/// The server this login goes to, as discovered.
struct Server {
    base: FhirBase,
    discovery: Discovery,
    /// The EHR's `launch` value, for an EHR launch or `--iss`/`--launch`.
    launch: Option<String>,
    /// The EHR's browser request, still waiting to be sent on.
    ehr_browser: Option<PendingLaunch>,
}

/// A user login in progress: what every step after discovery needs.
struct UserLogin<'a> {
    env: &'a Environment,
    reporter: &'a crate::reporter::Reporter,
    args: &'a LoginArgs,
    target: &'a LoginProfile,
    settings: &'a Settings,
    client_id: String,
    http: Http,
    token_http: Http,
    listener: Arc<Listener>,
    deadline: Instant,
    wait: Duration,
}

pub async fn run(g: &RunContext, args: LoginArgs) -> Result<()> {
    let mut config = g.invocation.load_config()?;
    let mut target = resolve_profile(g, &args, &config)?;
    refuse_unknown_issuer_without_a_person(&args, &target, g.env())?;
    let flags = Flags {
        fhir_base: args.fhir_base.as_deref(),
        client_id: args.client_id.as_deref(),
        scope: args.scope.as_deref(),
    };
    let mut settings = Settings::for_profile(
        &g.invocation,
        &flags,
        &target.name,
        &target.profile,
        target.saved,
    )?;
    let store = settings.store();

    // Read now, stored only once the login has worked: a mistyped secret
    // must not replace a good one.
    let new_secret = if args.secret_stdin {
        settings.secret_given("--secret-stdin")?;
        Some(crate::prompt::read_secret_stdin(g.env().in_ci())?)
    } else {
        None
    };
    // A keychain that cannot be used should be found before the user signs
    // in, not after (the grant would be lost).
    crate::blocking::blocking(|| store.get(&target.name, Item::Tokens))?;

    let client_id = settings.require_client_id()?;
    let set = if settings.client_type.value == ClientType::Backend {
        backend_login(g, &args, &target, &settings, &store).await?
    } else {
        refuse_ci_without_browser(&args, g.env())?;
        let wait = Duration::from_secs(g.timeout.unwrap_or(DEFAULT_WAIT));
        let (port, path) = redirect_target(&args, &target.profile)?;
        let login = UserLogin {
            env: g.env(),
            reporter: &g.invocation.reporter,
            args: &args,
            target: &target,
            settings: &settings,
            client_id,
            // The profile's custom headers, bound to its base (see
            // `custom_headers`); the token requests are marked as such.
            http: Http::new(&settings.http_options(&g.http_options(true))?)?,
            token_http: Http::new(&settings.http_options(&g.http_options(false))?)?,
            listener: Arc::new(Listener::bind(port, &path)?),
            deadline: Instant::now() + wait,
            wait,
        };
        let set = login.run(&store, new_secret.as_ref()).await?;
        keep(&store, &target.name, &set, new_secret.as_ref())?;
        set
    };
    if target.profile.fhir_base.is_empty() {
        // The issuer the user confirmed for this new profile.
        target.profile.fhir_base = set.fhir_base.clone();
    }
    save_created(&mut config, &target)?;
    output::status::print(
        g.json,
        &target.name,
        Some(&set),
        &store,
        Some(&settings),
        SystemClock.now(),
    )
}

/// A backend client has no user: `client_credentials`, through the session
/// (which caches the token as every later command would).
async fn backend_login(
    g: &RunContext,
    args: &LoginArgs,
    target: &LoginProfile,
    settings: &Settings,
    store: &TokenStore,
) -> Result<TokenSet> {
    if args.ehr || args.launch.is_some() {
        return Err(Error::usage(format!(
            "profile `{}` is a backend client: it has no user and no launch",
            target.name
        )));
    }
    let set =
        session::usable_with(&g.http_options(false), store, settings, true, &SystemClock).await?;
    if store.kind() == StoreKind::None {
        output::warn("--token-store none: the token is not kept; each command fetches its own");
    }
    Ok(set)
}

/// Nobody can sign in in CI unless BROWSER plays the user: say so now,
/// before any network round trip or wait.
fn refuse_ci_without_browser(args: &LoginArgs, env: &Environment) -> Result<()> {
    if env.in_ci() && !args.ehr && env.browser().is_none() {
        return Err(Error::auth(
            "smart login needs a browser, and CI is set: nothing can sign in here",
        )
        .with_hint(
            "in CI use a backend profile (client_type = \"backend\" with SMART_PRIVATE_KEY), or set SMART_ACCESS_TOKEN",
        ));
    }
    Ok(())
}

impl UserLogin<'_> {
    async fn run(&self, store: &TokenStore, new_secret: Option<&Secret>) -> Result<TokenSet> {
        let mut server = self.find_server().await?;
        let authorize_ep = server
            .discovery
            .endpoint("authorization_endpoint")?
            .ok_or_else(|| {
                Error::server(format!(
                    "{} advertises no authorization_endpoint; it cannot do a user login",
                    server.base
                ))
            })?;
        let token_ep = server
            .discovery
            .endpoint("token_endpoint")?
            .ok_or_else(|| {
                Error::server(format!("{} advertises no token_endpoint", server.base))
            })?;
        if let Some(f) = discovery::foreign_token_endpoint(&server.discovery.document, &server.base)
        {
            output::warn(&format!("token_endpoint {}", f.message));
        }
        // The id_token is checked with these keys after the exchange: a
        // jwks_uri that could be rewritten on the way fails the login now,
        // before the user signs in and the code is spent.
        server.discovery.endpoint("jwks_uri")?;

        let scope = self.in_server_dialect(&server.discovery, self.scope(server.launch.is_some()));
        let pending = self.prepare(&server, &authorize_ep, &scope)?;
        // Known before the user signs in: a missing secret or key fails now.
        let auth = client_auth(
            store,
            new_secret,
            self.settings,
            &self.client_id,
            &self.target.profile,
            &server.discovery,
        )?;

        let paste = browser::can_paste(self.env);
        match server.ehr_browser.take() {
            // The EHR's browser goes on to the authorization server.
            Some(ehr) => ehr.redirect(pending.url()),
            None => show_authorize_url(
                pending.url(),
                &self.listener,
                self.args.no_browser,
                paste,
                self.env,
            )?,
        }
        let code = self.wait_for_code(&pending, paste)?;
        let exchanged = pending
            .exchange(&self.token_http, &token_ep, &auth, code)
            .await?;
        self.issue(&server, &token_ep, &auth, exchanged, &scope, &SystemClock)
            .await
    }

    /// The EHR launch tells us which server to use; otherwise `--iss` or the
    /// profile does.
    async fn find_server(&self) -> Result<Server> {
        let (args, target) = (self.args, self.target);
        if args.ehr {
            eprintln!("{} {}", "Launch URL:".bold(), self.listener.launch_url());
            eprintln!(
                "Open it from the EHR (register it as the app's launch URL); waiting up to {}s…",
                self.wait.as_secs()
            );
            // A new profile has no base yet: the user is asked about the
            // launch's issuer (`run` made sure someone is there to answer).
            let trusted = match target.profile.fhir_base.as_str() {
                "" => None,
                b => Some(discovery::parse_base(b)?),
            };
            let l = self.listener.clone();
            let deadline = self.deadline;
            let (launch, ehr) =
                crate::blocking::blocking(move || l.wait_for_launch(deadline, trusted.as_ref()))?;
            // The EHR's browser waits: tell it why, when we cannot go on.
            let found = async {
                let base = launch.iss.clone();
                if target.profile.fhir_base.is_empty() {
                    confirm_issuer(&base, &target.name)?;
                }
                let d = self.discover(&base).await?;
                Ok::<_, Error>((base, d))
            }
            .await;
            return match found {
                Ok((base, discovery)) => Ok(Server {
                    base,
                    discovery,
                    launch: Some(launch.launch),
                    ehr_browser: Some(ehr),
                }),
                Err(e) => {
                    ehr.fail(&e.message);
                    Err(e)
                }
            };
        }
        let (base, launch) = match (&args.iss, &args.launch) {
            (Some(iss), Some(l)) => (check_iss(iss, &target.profile)?, Some(l.clone())),
            _ => (self.settings.require_base()?, None),
        };
        let discovery = self.discover(&base).await?;
        Ok(Server {
            base,
            discovery,
            launch,
            ehr_browser: None,
        })
    }

    /// Discovery, warning about what a fallback to `/metadata` had to
    /// make do with.
    async fn discover(&self, base: &FhirBase) -> Result<Discovery> {
        let d = discovery::discover(&self.http, base).await?;
        for f in d.fallback_findings() {
            self.reporter.warn(&format!(
                "{}: {}",
                f.field,
                crate::redact::printable(&f.message)
            ));
        }
        Ok(d)
    }

    /// The scope to ask for: the flag's or the profile's, else the default
    /// for the kind of launch.
    fn scope(&self, launched: bool) -> String {
        match self.settings.scope.source {
            settings::Source::Default if launched => DEFAULT_EHR_SCOPE.to_owned(),
            _ => self.settings.scope.value.clone(),
        }
    }

    /// `scope` as the server will take it: a server that advertises one
    /// scope dialect only drops resource scopes of the other, so they are
    /// rewritten (and the user told), unless the profile says
    /// `scope_translation = false`.
    fn in_server_dialect(&self, d: &Discovery, scope: String) -> String {
        if !self.target.profile.scope_translation {
            return scope;
        }
        let Some(t) = scope_dialect::for_server(&scope, &d.capabilities()) else {
            return scope;
        };
        let changed: Vec<String> = t
            .changed
            .iter()
            .map(|(from, to)| format!("{to} for {from}"))
            .collect();
        self.reporter.note(&format!(
            "the server advertises {} scopes only: asking for {} (scope_translation = false in the profile turns this off)",
            t.dialect.capability(),
            changed.join(", ")
        ));
        t.scope
    }

    /// The authorization request: PKCE unless the profile allows leaving it
    /// out and the server does not advertise S256, `aud` unless the profile
    /// turns it off, a nonce when openid is asked for.
    fn prepare(
        &self,
        server: &Server,
        authorize_ep: &Url,
        scope: &str,
    ) -> Result<PendingAuthorization> {
        let profile = &self.target.profile;
        let pkce = match profile.pkce.unwrap_or(PkceMode::Always) {
            PkceMode::Always => true,
            PkceMode::IfAdvertised => server.discovery.supports_s256(),
        };
        if !pkce {
            output::warn(
                "PKCE is off: the server does not advertise S256 and the profile says pkce = \"if-advertised\"",
            );
        }
        let aud = match profile.effective_aud() {
            // The profile's aud override stands; otherwise the base we really use.
            Some(_) if profile.aud.is_some() => profile.aud.clone(),
            Some(_) => Some(server.base.to_string()),
            None => None,
        };
        let redirect_uri = self.listener.redirect_uri();
        PendingAuthorization::prepare(&AuthorizeRequest {
            endpoint: authorize_ep,
            client_id: &self.client_id,
            redirect_uri: &redirect_uri,
            scope,
            pkce,
            aud: aud.as_deref(),
            nonce: wants_openid(scope),
            launch: server.launch.as_deref(),
            extra: &profile.authorize_params,
        })
    }

    /// Waits for the callback (or a pasted redirect URL) with our `state`.
    fn wait_for_code(
        &self,
        pending: &PendingAuthorization,
        paste: bool,
    ) -> Result<AuthorizationCode> {
        let l = self.listener.clone();
        let state = pending.state().clone();
        let deadline = self.deadline;
        let reporter = self.reporter.clone();
        crate::blocking::blocking(move || {
            let paste = paste.then(callback::stdin_paste);
            callback::race_with_paste(l, state, deadline, paste, reporter)
        })
    }

    /// The token set from the exchange, its id_token verified first: a bad
    /// id_token fails the login before anything is kept.
    async fn issue(
        &self,
        server: &Server,
        token_ep: &Url,
        auth: &ClientAuth,
        exchanged: Exchanged,
        scope: &str,
        clock: &dyn Clock,
    ) -> Result<TokenSet> {
        let resp = &exchanged.response;
        if resp.lifetime().is_none() {
            output::warn("the token response has no expires_in; the token's lifetime is unknown");
        }
        let verified_user = match resp.id_token() {
            Some(idt) => {
                let claims = id_token::verify_from_server(
                    self.reporter,
                    &self.http,
                    &server.discovery,
                    &server.base,
                    &self.client_id,
                    idt,
                    exchanged.nonce.as_ref(),
                )
                .await?;
                claims
                    .get("fhirUser")
                    .and_then(|v| v.as_str())
                    .map(str::to_owned)
            }
            None => {
                if wants_openid(scope) {
                    output::warn("openid was requested but the server sent no id_token");
                }
                None
            }
        };
        let mut set = TokenSet::issued(
            Issuer {
                fhir_base: &server.base,
                client_id: &self.client_id,
                token_endpoint: token_ep,
                auth_method: auth.method(),
                discovery: Some(&server.discovery),
            },
            resp,
            scope,
            clock.now(),
        );
        let missing = set.ungranted(scope);
        if !missing.is_empty() {
            output::warn(&format!("not granted: {}", missing.join(" ")));
        }
        if verified_user.is_some() {
            set.context.fhir_user = verified_user;
        }
        Ok(set)
    }
}

fn wants_openid(scope: &str) -> bool {
    scope.split_whitespace().any(|s| s == "openid")
}

/// Stores the new tokens (and a secret given with `--secret-stdin`) under
/// the profile lock.
fn keep(store: &TokenStore, name: &str, set: &TokenSet, new_secret: Option<&Secret>) -> Result<()> {
    if store.kind() == StoreKind::None {
        output::warn(
            "--token-store none: the tokens are not kept; the next command cannot use them",
        );
        return Ok(());
    }
    let _lock = session::lock(store, name)?;
    session::save(store, name, set)?;
    if let Some(secret) = new_secret {
        crate::blocking::blocking(|| store.put(name, Item::ClientSecret, secret))?;
    }
    Ok(())
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

/// How this client authenticates at the token endpoint: the profile's
/// method, else the one its client type implies (for a secret, the one the
/// server advertises), with the secret (`--secret-stdin`, the environment
/// or the store) or the signing key it needs.
fn client_auth(
    store: &TokenStore,
    new_secret: Option<&Secret>,
    settings: &Settings,
    client_id: &str,
    p: &Profile,
    d: &Discovery,
) -> Result<ClientAuth> {
    let profile = settings.name();
    let advertised = d.list("token_endpoint_auth_methods_supported");
    let method = p
        .token_auth_method
        .unwrap_or_else(|| settings.client_type.value.default_auth_method(&advertised));
    let (secret, key) = match (method, new_secret) {
        (TokenAuthMethod::ClientSecretBasic | TokenAuthMethod::ClientSecretPost, Some(s)) => {
            (Some(oauth2::ClientSecret::new(s.expose().to_owned())), None)
        }
        _ => crate::settings::credentials_for(method, store, settings)?,
    };
    Ok(ClientAuth::build(method, client_id, profile, secret, key)?
        .with_basic_encoding(p.basic_encoding()))
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
