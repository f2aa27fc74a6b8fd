//! Binding, serving and stopping the sandbox: plain http through
//! `axum::serve`, or https through a small rustls accept loop feeding
//! hyper-util's auto (HTTP/1.1 + HTTP/2) connection builder.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use tokio::sync::oneshot;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;
use url::Url;

use axum::http::HeaderMap;

use super::{Grant, Journal, Options, State, auth, fhir};

/// A running sandbox. Dropping it stops the server.
pub struct Sandbox {
    pub(crate) state: Arc<State>,
    journal: Journal,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Sandbox {
    /// Binds and starts serving in the background.
    pub async fn start(opts: Options) -> anyhow::Result<Sandbox> {
        // TLS files first: a bad file should not leave a half-started server.
        let tls = match &opts.tls {
            Some((cert, key)) => Some(tls_acceptor(cert, key)?),
            None => None,
        };
        let listener = tokio::net::TcpListener::bind((opts.bind, opts.port))
            .await
            .with_context(|| {
                format!("cannot listen on {}", SocketAddr::new(opts.bind, opts.port))
            })?;
        let addr = listener.local_addr()?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        // A wildcard bind still needs a reachable origin for `iss`/`aud`:
        // name it by loopback, which is where it is always reachable.
        let host = match addr.ip() {
            std::net::IpAddr::V6(ip) if ip.is_unspecified() => "[::1]".to_owned(),
            std::net::IpAddr::V4(ip) if ip.is_unspecified() => "127.0.0.1".to_owned(),
            std::net::IpAddr::V6(ip) => format!("[{ip}]"),
            std::net::IpAddr::V4(ip) => ip.to_string(),
        };
        let origin = Url::parse(&format!("{scheme}://{host}:{}", addr.port()))?;
        let fhir_base = origin.join("/fhir")?;
        let fhir = fhir::FhirState::new(&opts)?;
        let auth = auth::AuthState::new(&opts, &fhir_base)?;
        let state = Arc::new(State {
            opts,
            origin,
            fhir_base,
            auth,
            fhir,
        });
        let journal = Journal::default();
        let mut app = axum::Router::new()
            .merge(auth::router())
            .merge(fhir::router())
            .with_state(state.clone());
        if state.opts.record {
            app = app.layer(axum::middleware::from_fn_with_state(
                journal.clone(),
                crate::journal::record,
            ));
        }
        let (tx, rx) = oneshot::channel::<()>();
        let task = match tls {
            None => tokio::spawn(async move {
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = rx.await;
                    })
                    .await;
            }),
            Some(acceptor) => tokio::spawn(serve_tls(listener, acceptor, app, rx)),
        };
        Ok(Sandbox {
            state,
            journal,
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    /// The FHIR base URL, e.g. `http://127.0.0.1:8321/fhir`.
    pub fn fhir_base(&self) -> &Url {
        &self.state.fhir_base
    }

    /// `http://127.0.0.1:PORT` (or https), no trailing slash.
    pub fn origin(&self) -> &Url {
        &self.state.origin
    }

    /// `{origin}/auth/{path}`, e.g. `auth_url("token")`.
    pub fn auth_url(&self, path: &str) -> Url {
        self.state.auth_url(path)
    }

    pub fn options(&self) -> &Options {
        &self.state.opts
    }

    /// An access token for `grant`, as the token endpoint would issue it:
    /// for benchmarks and tests that need a token without a login.
    pub fn issue_access_token(&self, grant: Grant) -> String {
        self.state.auth.issue_access_token(grant)
    }

    /// The grant behind the bearer token in `headers`, as the FHIR side sees it.
    pub fn authenticate(&self, headers: &HeaderMap) -> Option<Grant> {
        self.state.auth.authenticate(headers).ok()
    }

    /// The first `n` patients a user may pick, as `(id, display name)`.
    pub fn patient_choices(&self, n: usize) -> Vec<(String, String)> {
        self.state.fhir.patient_choices(n)
    }

    /// A registered client, by id.
    pub fn client(&self, client_id: &str) -> Option<crate::auth::Client> {
        self.state.auth.clients.get(client_id)
    }

    /// What the server received; empty unless started with `record`.
    pub fn journal(&self) -> Journal {
        self.journal.clone()
    }

    /// Stops accepting connections and waits for the server task.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

fn tls_acceptor(cert: &Path, key: &Path) -> anyhow::Result<TlsAcceptor> {
    let open = |p: &Path| {
        std::fs::File::open(p)
            .map(std::io::BufReader::new)
            .with_context(|| format!("cannot read {}", p.display()))
    };
    let certs = rustls_pemfile::certs(&mut open(cert)?)
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("{}: not a PEM certificate chain", cert.display()))?;
    if certs.is_empty() {
        anyhow::bail!("{}: no PEM certificate found", cert.display());
    }
    let key_der = rustls_pemfile::private_key(&mut open(key)?)
        .with_context(|| format!("{}: not a PEM private key", key.display()))?
        .ok_or_else(|| anyhow::anyhow!("{}: no PEM private key found", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key_der)
        .context("the TLS certificate and key do not fit together")?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

async fn serve_tls(
    listener: tokio::net::TcpListener,
    acceptor: TlsAcceptor,
    app: axum::Router,
    mut shutdown: oneshot::Receiver<()>,
) {
    use hyper_util::rt::{TokioExecutor, TokioIo};
    loop {
        let (tcp, _) = tokio::select! {
            _ = &mut shutdown => return,
            accepted = listener.accept() => match accepted {
                Ok(c) => c,
                // Out of file descriptors and the like: back off, keep serving.
                Err(_) => {
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let acceptor = acceptor.clone();
        let app = app.clone();
        tokio::spawn(async move {
            let Ok(tls) = acceptor.accept(tcp).await else {
                return;
            };
            let service = hyper_util::service::TowerToHyperService::new(app);
            let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                .serve_connection_with_upgrades(TokioIo::new(tls), service)
                .await;
        });
    }
}
