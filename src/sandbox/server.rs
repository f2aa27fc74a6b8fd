//! Binding, serving and stopping the sandbox.

use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::oneshot;
use url::Url;

use super::{Options, State, auth, fhir};

/// A running sandbox. Dropping it stops the server.
pub struct Sandbox {
    pub addr: SocketAddr,
    pub state: Arc<State>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Sandbox {
    /// Binds and starts serving in the background.
    pub async fn start(opts: Options) -> anyhow::Result<Sandbox> {
        let listener = tokio::net::TcpListener::bind((opts.bind, opts.port)).await?;
        let addr = listener.local_addr()?;
        let scheme = if opts.tls.is_some() { "https" } else { "http" };
        let host = match addr.ip() {
            std::net::IpAddr::V6(ip) => format!("[{ip}]"),
            std::net::IpAddr::V4(ip) => ip.to_string(),
        };
        let origin = Url::parse(&format!("{scheme}://{host}:{}", addr.port()))?;
        let fhir_base = origin.join("/fhir")?;
        let fhir = fhir::FhirState::new(&opts)?;
        let auth = auth::AuthState::new(&opts)?;
        let state = Arc::new(State {
            opts,
            origin,
            fhir_base,
            auth,
            fhir,
        });
        let app = axum::Router::new()
            .merge(auth::router())
            .merge(fhir::router())
            .with_state(state.clone());
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(Sandbox {
            addr,
            state,
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    /// The FHIR base URL, e.g. `http://127.0.0.1:8321/fhir`.
    pub fn fhir_base(&self) -> &Url {
        &self.state.fhir_base
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
