//! Binding, serving and stopping the sandbox: one accept loop, plain or
//! through rustls, feeding hyper-util's auto (HTTP/1.1 + HTTP/2) connection
//! builder, with a cap on open connections and a deadline for each request
//! head (no slowloris).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use hyper::service::Service as _;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, oneshot, watch};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;
use url::Url;

use axum::http::HeaderMap;

use super::{Grant, Journal, Options, State, auth, fhir};

/// A running sandbox. Dropping it stops the server.
pub struct Sandbox {
    pub(crate) state: Arc<State>,
    journal: Journal,
    /// One per listener: the main origin and the storage origin.
    shutdown: Vec<oneshot::Sender<()>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Sandbox {
    /// Binds and starts serving in the background.
    pub async fn start(opts: Options) -> anyhow::Result<Sandbox> {
        // TLS files first: a bad file should not leave a half-started server.
        let tls = match &opts.tls {
            Some((cert, key)) => Some(tls_acceptor(cert, key)?),
            None => None,
        };
        let listener = TcpListener::bind((opts.bind, opts.port))
            .await
            .with_context(|| {
                format!("cannot listen on {}", SocketAddr::new(opts.bind, opts.port))
            })?;
        // The storage origin: another port of the same address, unless told.
        let storage_bind = opts.storage_bind.unwrap_or(opts.bind);
        let storage = TcpListener::bind((storage_bind, 0))
            .await
            .with_context(|| format!("cannot listen on {}", SocketAddr::new(storage_bind, 0)))?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        let origin = origin_of(scheme, listener.local_addr()?)?;
        let storage_origin = origin_of(scheme, storage.local_addr()?)?;
        let fhir_base = origin.join("/fhir")?;
        let fhir = fhir::FhirState::new(&opts)?;
        let auth = auth::AuthState::new(&opts, &fhir_base)?;
        let state = Arc::new(State {
            opts,
            origin,
            fhir_base,
            storage_origin,
            auth,
            fhir,
        });
        let journal = Journal::default();
        let app = axum::Router::new()
            .merge(auth::router())
            .merge(fhir::router());
        let limits = Limits {
            header_read_timeout: state.opts.header_read_timeout,
            // Whole permits for the final drain are counted in u32.
            max_connections: state.opts.max_connections.clamp(1, u32::MAX as usize),
            tls_legacy: state.opts.faults.has(crate::Fault::TlsLegacy),
        };
        let mut shutdown = Vec::new();
        let mut tasks = Vec::new();
        for (listener, routes) in [(listener, app), (storage, fhir::storage_router())] {
            let mut app = routes.with_state(state.clone());
            if state.opts.faults.has(crate::Fault::EchoSecrets) {
                app = app.layer(axum::middleware::from_fn(crate::echo::echo));
            }
            if state.opts.record {
                app = app.layer(axum::middleware::from_fn_with_state(
                    journal.clone(),
                    crate::journal::record,
                ));
            }
            let (tx, rx) = oneshot::channel::<()>();
            shutdown.push(tx);
            tasks.push(tokio::spawn(accept_loop(
                listener,
                tls.clone(),
                app,
                limits,
                rx,
            )));
        }
        Ok(Sandbox {
            state,
            journal,
            shutdown,
            tasks,
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

    /// The second origin (another port), serving Bulk Data export files as
    /// presigned URLs: `{storage}/bucket/{job}/{name}?sig=…`.
    pub fn storage_origin(&self) -> &Url {
        &self.state.storage_origin
    }

    /// The directory the export jobs' files are written to, once a job was
    /// started; removed with every file when the sandbox stops.
    pub fn export_dir(&self) -> Option<std::path::PathBuf> {
        self.state.fhir.exports.root()
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

    /// Stops accepting connections and waits for the server tasks.
    pub async fn stop(mut self) {
        for tx in self.shutdown.drain(..) {
            let _ = tx.send(());
        }
        for t in self.tasks.drain(..) {
            let _ = t.await;
        }
        self.state.fhir.exports.shutdown();
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        for tx in self.shutdown.drain(..) {
            let _ = tx.send(());
        }
        // Connections still draining would find their files gone: the
        // export directory must not outlive the sandbox.
        self.state.fhir.exports.shutdown();
    }
}

/// `http://127.0.0.1:PORT` for a bound address. A wildcard bind still needs
/// a reachable origin for `iss`/`aud`: it is named by loopback, where it is
/// always reachable.
fn origin_of(scheme: &str, addr: SocketAddr) -> anyhow::Result<Url> {
    let host = match addr.ip() {
        std::net::IpAddr::V6(ip) if ip.is_unspecified() => "[::1]".to_owned(),
        std::net::IpAddr::V4(ip) if ip.is_unspecified() => "127.0.0.1".to_owned(),
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        std::net::IpAddr::V4(ip) => ip.to_string(),
    };
    Ok(Url::parse(&format!("{scheme}://{host}:{}", addr.port()))?)
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

/// How long `stop` waits for open connections to finish their requests.
const DRAIN_TIME: Duration = Duration::from_secs(5);

/// Accepts connections up to `opts.max_connections` at once and serves each
/// until it closes, or until `shutdown`, after which open connections are
/// closed gracefully (for up to [`DRAIN_TIME`]).
async fn accept_loop(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    app: axum::Router,
    opts: Limits,
    mut shutdown: oneshot::Receiver<()>,
) {
    let permits = Arc::new(Semaphore::new(opts.max_connections));
    let (closing_tx, closing) = watch::channel(false);
    loop {
        // The permit comes before the accept: past the cap, new connections
        // wait in the listen backlog, unserved, until an open one closes.
        let permit = tokio::select! {
            _ = &mut shutdown => break,
            p = permits.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let tcp = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => tcp,
                // Out of file descriptors and the like: back off, keep serving.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        tokio::spawn(connection(
            tcp,
            tls.clone(),
            app.clone(),
            opts,
            closing.clone(),
            permit,
        ));
    }
    drop(listener);
    let _ = closing_tx.send(true);
    // Every permit back means every connection has ended.
    let all = u32::try_from(opts.max_connections).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(DRAIN_TIME, permits.acquire_many(all)).await;
}

/// What [`accept_loop`] needs of the [`Options`].
#[derive(Debug, Clone, Copy)]
struct Limits {
    header_read_timeout: Duration,
    max_connections: usize,
    /// The `tls-legacy` fault: TLS 1.0/1.1-only hellos get a ServerHello.
    tls_legacy: bool,
}

/// One connection, holding its `permit` until it ends. Until its first
/// request head has arrived, the whole connection — TLS handshake, HTTP
/// version detection, HTTP/2 preface — must fit in the header timeout:
/// hyper's own `header_read_timeout` covers HTTP/1 heads only.
async fn connection(
    tcp: TcpStream,
    tls: Option<TlsAcceptor>,
    app: axum::Router,
    opts: Limits,
    closing: watch::Receiver<bool>,
    _permit: OwnedSemaphorePermit,
) {
    let deadline = tokio::time::Instant::now() + opts.header_read_timeout;
    let first_request = Arc::new(Notify::new());
    let seen = first_request.clone();
    let serve = async move {
        match tls {
            None => serve_io(tcp, app, opts, seen, closing).await,
            Some(acceptor) => {
                let mut tcp = tcp;
                if opts.tls_legacy
                    && tokio::time::timeout_at(deadline, crate::tls_legacy::answer_legacy(&mut tcp))
                        .await
                        .unwrap_or(false)
                {
                    return;
                }
                if let Ok(Ok(stream)) =
                    tokio::time::timeout_at(deadline, acceptor.accept(tcp)).await
                {
                    serve_io(stream, app, opts, seen, closing).await;
                }
            }
        }
    };
    tokio::pin!(serve);
    tokio::select! {
        _ = &mut serve => return,
        _ = first_request.notified() => {}
        // Dropping `serve` closes the connection.
        _ = tokio::time::sleep_until(deadline) => return,
    }
    serve.await;
}

/// HTTP/1.1 or HTTP/2 on `io` until the peer closes, or gracefully once
/// `closing`; `seen` is told of every request.
async fn serve_io<I>(
    io: I,
    app: axum::Router,
    opts: Limits,
    seen: Arc<Notify>,
    mut closing: watch::Receiver<bool>,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let app = TowerToHyperService::new(app);
    let service = hyper::service::service_fn(move |req| {
        seen.notify_one();
        app.call(req)
    });
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(opts.header_read_timeout);
    // Pings find HTTP/2 peers that went away without closing.
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(opts.header_read_timeout)
        .keep_alive_timeout(opts.header_read_timeout);
    let conn = builder.serve_connection_with_upgrades(TokioIo::new(io), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => return,
        _ = closing.wait_for(|c| *c) => conn.as_mut().graceful_shutdown(),
    }
    let _ = conn.await;
}
