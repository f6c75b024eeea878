//! The connector's HTTP service: the endpoints the manager calls
//! (PROTOCOL.md §2), the syncs it starts, registration, and shutdown.
//!
//! ```no_run
//! # use omni_connector::Connector;
//! # async fn demo<C: Connector>(connector: C) -> omni_connector::Result<()> {
//! use omni_connector::server::Server;
//! // CONNECTOR_MANAGER_URL, CONNECTOR_HOST_NAME and PORT from the environment;
//! // runs until SIGTERM or Ctrl-C.
//! Server::from_env(connector)?.serve().await
//! # }
//! ```

mod config;
mod lifecycle;
mod registration;
mod registry;
mod routes;

use std::collections::VecDeque;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use config::{ServerConfig, HOST_NAME_ENV, PORT_ENV, SHARED_SECRET_ENV, SHARED_SECRET_HEADER};

use crate::client::{RetryPolicy, SdkClient};
use crate::connector::Connector;
use crate::context::{Run, SyncProgress};
use crate::error::{ConnectorError, Result};
use crate::models::{ConnectorManifest, HealthResponse};
use registry::Registry;

/// What every request handler shares.
pub(crate) struct App<C: Connector> {
    pub(crate) connector: Arc<C>,
    pub(crate) manifest: ConnectorManifest,
    pub(crate) client: SdkClient,
    pub(crate) registry: Registry,
    pub(crate) config: ServerConfig,
    /// Fires when shutdown begins.
    pub(crate) stop: CancellationToken,
    /// The supervisors of running syncs, awaited on shutdown.
    pub(crate) supervisors: TaskTracker,
    pub(crate) health_json: Bytes,
    pub(crate) manifest_json: Bytes,
    /// Progress of the latest finished runs, oldest first.
    pub(crate) finished: std::sync::Mutex<VecDeque<(String, SyncProgress)>>,
}

/// How many finished runs keep their summary.
const FINISHED_KEPT: usize = 64;

impl<C: Connector> App<C> {
    /// Keeps a finished run's summary for [`ServerHandle::sync_progress`].
    pub(crate) fn remember(&self, run: &Run) {
        let mut finished = self.finished.lock().unwrap_or_else(|p| p.into_inner());
        if finished.len() == FINISHED_KEPT {
            finished.pop_front();
        }
        finished.push_back((run.sync_run_id.clone(), run.progress()));
    }
}

/// A connector's HTTP server, ready to start.
pub struct Server<C: Connector> {
    connector: C,
    config: ServerConfig,
    client: Option<SdkClient>,
}

impl<C: Connector> Server<C> {
    /// A server with the given settings.
    pub fn new(connector: C, config: ServerConfig) -> Self {
        Self {
            connector,
            config,
            client: None,
        }
    }

    /// A server configured from `CONNECTOR_MANAGER_URL`,
    /// `CONNECTOR_HOST_NAME` and `PORT`.
    pub fn from_env(connector: C) -> Result<Self> {
        Ok(Self::new(connector, ServerConfig::from_env()?))
    }

    /// The settings, to change before starting.
    pub fn config_mut(&mut self) -> &mut ServerConfig {
        &mut self.config
    }

    /// Changes the settings with a closure.
    pub fn configure(mut self, change: impl FnOnce(&mut ServerConfig)) -> Self {
        change(&mut self.config);
        self
    }

    /// Uses this client for the manager instead of one built from
    /// `manager_url` (to change its timeouts or retry policy).
    pub fn client(mut self, client: SdkClient) -> Self {
        self.client = Some(client);
        self
    }

    /// Binds the port, starts serving and registering in the background,
    /// and returns a handle to stop the server.
    pub async fn start(self) -> Result<ServerHandle> {
        let Self {
            connector,
            config,
            client,
        } = self;
        let client = match client {
            Some(client) => client,
            None => SdkClient::new(&config.manager_url)?,
        };
        let listener = TcpListener::bind((config.bind, config.port))
            .await
            .map_err(|e| {
                ConnectorError::msg(format!(
                    "could not listen on {}:{}: {e}",
                    config.bind, config.port
                ))
            })?;
        let local_addr = listener.local_addr()?;
        let connector_url = format!("http://{}:{}", config.host_name, local_addr.port());
        let manifest = connector.manifest(&connector_url);
        let health_json = Bytes::from(serde_json::to_vec(&HealthResponse::healthy(
            &manifest.name,
        ))?);
        let manifest_json = Bytes::from(serde_json::to_vec(&manifest)?);
        let stop = CancellationToken::new();
        let app = Arc::new(App {
            connector: Arc::new(connector),
            manifest,
            client,
            registry: Registry::default(),
            config,
            stop: stop.clone(),
            supervisors: TaskTracker::new(),
            health_json,
            manifest_json,
            finished: Default::default(),
        });
        tracing::info!(
            connector = %app.manifest.name,
            version = %app.manifest.version,
            addr = %local_addr,
            url = %connector_url,
            "connector listening"
        );
        let task = tokio::spawn(run(app.clone(), listener));
        Ok(ServerHandle {
            local_addr,
            connector_url,
            app,
            task,
        })
    }

    /// Starts, serves until SIGTERM or Ctrl-C, then shuts down gracefully.
    pub async fn serve(self) -> Result<()> {
        let handle = self.start().await?;
        shutdown_signal().await;
        tracing::info!("shutdown signal received");
        handle.shutdown().await;
        Ok(())
    }
}

/// A running server.
pub struct ServerHandle {
    local_addr: SocketAddr,
    connector_url: String,
    app: Arc<dyn AppView>,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for ServerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerHandle")
            .field("local_addr", &self.local_addr)
            .field("connector_url", &self.connector_url)
            .finish_non_exhaustive()
    }
}

/// The parts of a running app a handle needs, without its connector type.
trait AppView: Send + Sync {
    fn stop(&self) -> &CancellationToken;
    fn running_syncs(&self) -> usize;
    fn manifest(&self) -> &ConnectorManifest;
    fn sync_progress(&self, sync_run_id: &str) -> Option<SyncProgress>;
}

impl<C: Connector> AppView for App<C> {
    fn stop(&self) -> &CancellationToken {
        &self.stop
    }

    fn running_syncs(&self) -> usize {
        self.registry.len()
    }

    fn manifest(&self) -> &ConnectorManifest {
        &self.manifest
    }

    fn sync_progress(&self, sync_run_id: &str) -> Option<SyncProgress> {
        if let Some((_, Some(run))) = self.registry.get(sync_run_id) {
            return Some(run.progress());
        }
        let finished = self.finished.lock().unwrap_or_else(|p| p.into_inner());
        finished
            .iter()
            .rev()
            .find(|(id, _)| id == sync_run_id)
            .map(|(_, progress)| progress.clone())
    }
}

impl ServerHandle {
    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// A URL that reaches the server from this machine
    /// (`http://127.0.0.1:{port}` when it listens on all interfaces).
    pub fn local_url(&self) -> String {
        let ip = self.local_addr.ip();
        let host = if ip.is_unspecified() {
            "127.0.0.1".to_owned()
        } else if ip.is_ipv6() {
            format!("[{ip}]")
        } else {
            ip.to_string()
        };
        format!("http://{host}:{}", self.local_addr.port())
    }

    /// The URL in the manifest: `http://{host_name}:{port}`.
    pub fn connector_url(&self) -> &str {
        &self.connector_url
    }

    /// The manifest as served.
    pub fn manifest(&self) -> &ConnectorManifest {
        self.app.manifest()
    }

    /// A run's counts and reported item errors, while it runs and for the
    /// latest 64 finished runs.
    pub fn sync_progress(&self, sync_run_id: &str) -> Option<SyncProgress> {
        self.app.sync_progress(sync_run_id)
    }

    /// How many syncs run now.
    pub fn running_syncs(&self) -> usize {
        self.app.running_syncs()
    }

    /// Stops accepting connections, stops the syncs (flushing what they
    /// emitted, without completing or failing them, so the manager resumes
    /// them), and waits for the server to end, within the configured
    /// shutdown timeout plus a few seconds of connection draining.
    pub async fn shutdown(self) {
        self.app.stop().cancel();
        if let Err(e) = self.task.await {
            tracing::error!("server task ended abnormally: {e}");
        }
    }
}

/// Serves a connector configured from the environment until SIGTERM or
/// Ctrl-C: the one line a connector's `main` needs.
pub async fn serve<C: Connector>(connector: C) -> Result<()> {
    Server::from_env(connector)?.serve().await
}

/// `connector.serve(port)`, as in the Python SDK: the manager URL and host
/// name come from the environment.
pub trait ServeExt: Connector + Sized {
    /// Serves on `port` until SIGTERM or Ctrl-C.
    fn serve(self, port: u16) -> impl Future<Output = Result<()>> + Send {
        async move {
            let mut config = ServerConfig::from_env_for_port(port)?;
            config.port = port;
            Server::new(self, config).serve().await
        }
    }
}

impl<C: Connector> ServeExt for C {}

impl ServerConfig {
    fn from_env_for_port(port: u16) -> Result<Self, crate::ConfigurationError> {
        let manager_url = config::required_env(
            crate::client::MANAGER_URL_ENV,
            "the base URL of Omni's connector-manager, e.g. http://connector-manager:3004",
        )?;
        let host_name = config::required_env(
            HOST_NAME_ENV,
            "the host name the manager reaches this connector at, e.g. the compose service name",
        )?;
        Ok(Self::new(manager_url, host_name, port).with_env_secret())
    }
}

/// Accepts connections until shutdown, then stops the syncs and drains the
/// connections.
async fn run<C: Connector>(app: Arc<App<C>>, listener: TcpListener) {
    let registration_client = SdkClient::builder(app.client.base_url())
        .retry(RetryPolicy::none())
        .timeout(Duration::from_secs(10))
        .build();
    match registration_client {
        Ok(client) => {
            tokio::spawn(registration::keep_registered(
                client,
                app.manifest.clone(),
                app.config.register_interval,
                app.stop.child_token(),
            ));
        }
        Err(e) => tracing::error!(error = %e, "cannot register with the manager"),
    }

    let graceful = GracefulShutdown::new();
    let connections = Arc::new(Semaphore::new(app.config.max_connections.max(1)));
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(app.config.header_timeout)
        .max_header_size(app.config.max_header_bytes.max(config::MIN_HEADER_BYTES))
        .keep_alive(true);

    loop {
        let permit = tokio::select! {
            _ = app.stop.cancelled() => break,
            permit = connections.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        let accepted = tokio::select! {
            _ = app.stop.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of file descriptors and the like: wait a little rather
                // than spin.
                tracing::warn!(error = %e, "could not accept a connection");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let service_app = app.clone();
        let service = service_fn(move |request| {
            let app = service_app.clone();
            async move { Ok::<_, Infallible>(routes::handle(app, request).await) }
        });
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    tracing::info!("stopping syncs");
    lifecycle::stop_all(&app).await;
    if tokio::time::timeout(Duration::from_secs(5), graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("some connections did not close within 5 s");
    }
    tracing::info!("server stopped");
}

/// Request decoding and routing, for the fuzz targets in `fuzz/`; not an
/// API.
#[doc(hidden)]
pub mod __fuzz {
    use crate::models::{ActionRequest, CancelRequest, SyncRequest};

    /// Decodes a `POST /sync` body as the endpoint does.
    pub fn decode_sync(body: &[u8]) -> Result<SyncRequest, String> {
        super::routes::decode_body(body)
    }

    /// Decodes a `POST /cancel` body as the endpoint does.
    pub fn decode_cancel(body: &[u8]) -> Result<CancelRequest, String> {
        super::routes::decode_body(body)
    }

    /// Decodes a `POST /action` body as the endpoint does.
    pub fn decode_action(body: &[u8]) -> Result<ActionRequest, String> {
        super::routes::decode_body(body)
    }

    /// Routes a method and path: the route's name, and for `GET
    /// /sync/{id}` the decoded id.
    pub fn route(method: &[u8], path: &str) -> (String, Option<String>) {
        let Ok(method) = hyper::Method::from_bytes(method) else {
            return ("bad method".into(), None);
        };
        match super::routes::route(&method, path) {
            super::routes::Route::SyncStatus(segment) => {
                ("sync status".into(), super::routes::sync_status_id(segment))
            }
            other => (format!("{other:?}"), None),
        }
    }
}

/// Resolves on SIGTERM or SIGINT (Ctrl-C).
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
}
