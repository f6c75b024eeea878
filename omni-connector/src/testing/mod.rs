//! The in-process manager: a real HTTP server on loopback that speaks the
//! manager's `/sdk/*` API (PROTOCOL.md §3) and validates requests the way
//! the real connector-manager does, for tests and benchmarks.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use omni_connector::testing::{MockManager, SourceSeed};
//! use omni_connector::SyncMode;
//!
//! let manager = MockManager::start().await?;
//! let source_id = manager.add_source(SourceSeed::new("web"));
//! let run = manager.create_run(&source_id, SyncMode::Full);
//! // ... point a connector at manager.url() ...
//! let _ = manager.run(&run);
//! manager.shutdown().await;
//! # Ok(()) }
//! ```

mod faults;
mod json;
mod local;
mod multipart;
mod outbound;
mod routes;
mod schema;
mod server;
mod state;
mod timefmt;
mod types;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use hyper::Method;
use serde_json::Value;

pub use faults::Faults;
pub use local::{run_sync, EmittedDocument, LocalRun, LocalSync, SyncReport};
pub use types::{
    ManagerOptions, RequestRecord, RunSnapshot, RunStatus, SourceSeed, StoredContent, TriggerError,
};

use crate::models::{
    CancelRequest, ConnectorEvent, ConnectorManifest, Source, SyncMode, SyncRequest,
};
use routes::{lock, Inner};
use server::{Control, ServerGuard};

/// How long the manager waits for a connector to answer `/sync` or
/// `/cancel`.
const CONNECTOR_TIMEOUT: Duration = Duration::from_secs(30);

/// An in-process Omni connector-manager. Cheap to clone: clones share the
/// same server and state. The server stops on [`shutdown`](Self::shutdown)
/// or when the last clone is dropped.
#[derive(Debug, Clone)]
pub struct MockManager {
    inner: Arc<Inner>,
    guard: Arc<ServerGuard>,
    addr: std::net::SocketAddr,
}

impl MockManager {
    /// Binds 127.0.0.1 on a free port and serves in a spawned task.
    pub async fn start() -> std::io::Result<MockManager> {
        Self::start_with(ManagerOptions::default()).await
    }

    /// Like [`start`](Self::start), keeping only what `options` says
    /// (benchmarks keep nothing, so that memory stays flat).
    pub async fn start_with(options: ManagerOptions) -> std::io::Result<MockManager> {
        let inner = Arc::new(Inner::new(options));
        let (addr, guard) = server::spawn(inner.clone()).await?;
        Ok(MockManager {
            inner,
            guard: Arc::new(guard),
            addr,
        })
    }

    /// The base URL, `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address the server listens on.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.addr
    }

    /// Adds (or replaces) a source; returns its id.
    pub fn add_source(&self, seed: SourceSeed) -> String {
        self.inner.store().add_source(seed)
    }

    /// The source, as stored.
    pub fn source(&self, id: &str) -> Option<Source> {
        self.inner.store().sources.get(id).map(|e| e.source.clone())
    }

    /// Stores a full ServiceCredential row for the source, with `secrets` as
    /// its `credentials`. Does nothing for an unknown source.
    pub fn set_credentials(&self, source_id: &str, secrets: Value) {
        self.inner.store().set_credentials(source_id, secrets);
    }

    /// What `GET /sdk/connector-configs/{provider}` answers.
    pub fn set_connector_config(&self, provider: &str, value: Value) {
        self.inner
            .store()
            .connector_configs
            .insert(provider.to_owned(), value);
    }

    /// What `GET /sdk/source/{id}/user-email` answers. Does nothing for an
    /// unknown source.
    pub fn set_user_email(&self, source_id: &str, email: &str) {
        if let Some(entry) = self.inner.store().sources.get_mut(source_id) {
            entry.user_email = Some(email.to_owned());
        }
    }

    /// Creates a run in status `Running`; returns its id.
    pub fn create_run(&self, source_id: &str, mode: SyncMode) -> String {
        self.inner.store().create_run(source_id, mode)
    }

    /// Creates a run and asks the connector to sync it, as the manager does
    /// (`checkpoint` is the source's published checkpoint, `last_sync_at`
    /// the time of its last completed run). A non-200 answer marks the run
    /// failed.
    pub async fn trigger_sync(
        &self,
        connector_url: &str,
        source_id: &str,
        mode: SyncMode,
    ) -> Result<String, TriggerError> {
        let request = {
            let mut store = self.inner.store();
            let (checkpoint, last_sync_at) = match store.sources.get(source_id) {
                Some(entry) => (entry.source.checkpoint.clone(), entry.last_completed_at),
                None => (None, None),
            };
            let sync_run_id = store.create_run(source_id, mode.clone());
            SyncRequest {
                sync_run_id,
                source_id: source_id.to_owned(),
                sync_mode: mode,
                last_sync_at,
                checkpoint,
                is_resume: false,
            }
        };
        let id = request.sync_run_id.clone();
        self.post_sync(connector_url, &request).await?;
        Ok(id)
    }

    /// Asks the connector to resume a run (`is_resume: true`, the run's own
    /// last checkpoint). A non-200 answer marks the run failed.
    pub async fn resume_sync(
        &self,
        connector_url: &str,
        sync_run_id: &str,
    ) -> Result<(), TriggerError> {
        let request = {
            let store = self.inner.store();
            let run = store.runs.get(sync_run_id).ok_or_else(|| TriggerError {
                status: 404,
                body: format!("Sync run not found: {sync_run_id}"),
            })?;
            SyncRequest {
                sync_run_id: sync_run_id.to_owned(),
                source_id: run.source_id.clone(),
                sync_mode: run.mode.clone(),
                last_sync_at: store
                    .sources
                    .get(&run.source_id)
                    .and_then(|e| e.last_completed_at),
                checkpoint: run.checkpoint.clone(),
                is_resume: true,
            }
        };
        self.post_sync(connector_url, &request).await
    }

    async fn post_sync(
        &self,
        connector_url: &str,
        request: &SyncRequest,
    ) -> Result<(), TriggerError> {
        let body = serde_json::to_vec(request).map_err(|e| TriggerError {
            status: 0,
            body: e.to_string(),
        })?;
        let url = outbound::join(connector_url, "/sync");
        let outcome = outbound::send(
            &self.inner.client,
            Method::POST,
            &url,
            Some(body),
            CONNECTOR_TIMEOUT,
        )
        .await;
        let failure = match outcome {
            Ok((200, _)) => return Ok(()),
            Ok((status, body)) => TriggerError {
                status,
                body: String::from_utf8_lossy(&body).into_owned(),
            },
            Err(e) => TriggerError { status: 0, body: e },
        };
        self.mark_run_failed(&request.sync_run_id, &failure.to_string());
        Err(failure)
    }

    /// Asks the connector to cancel a run (`POST {connector_url}/cancel`);
    /// on 200 the run is marked cancelled. Answers the connector's status
    /// and body (a non-JSON body comes back as a JSON string).
    pub async fn cancel_sync(
        &self,
        connector_url: &str,
        sync_run_id: &str,
    ) -> Result<(u16, Value), TriggerError> {
        let body = serde_json::to_vec(&CancelRequest {
            sync_run_id: sync_run_id.to_owned(),
        })
        .map_err(|e| TriggerError {
            status: 0,
            body: e.to_string(),
        })?;
        let url = outbound::join(connector_url, "/cancel");
        let (status, body) = outbound::send(
            &self.inner.client,
            Method::POST,
            &url,
            Some(body),
            CONNECTOR_TIMEOUT,
        )
        .await
        .map_err(|e| TriggerError { status: 0, body: e })?;
        if status == 200 {
            let changed = self
                .inner
                .store()
                .stop_run(sync_run_id, RunStatus::Cancelled, None);
            if changed == state::RunCall::Applied(true) {
                self.inner.run_changed.notify_waiters();
            }
        }
        let value = serde_json::from_slice(&body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
        Ok((status, value))
    }

    /// Waits until the run is no longer running; `None` on timeout.
    pub async fn wait_for_run(&self, sync_run_id: &str, timeout: Duration) -> Option<RunSnapshot> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.inner.run_changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(snapshot) = self.run(sync_run_id) {
                if snapshot.status != RunStatus::Running {
                    return Some(snapshot);
                }
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return None;
            }
        }
    }

    /// A copy of the run's state.
    pub fn run(&self, sync_run_id: &str) -> Option<RunSnapshot> {
        self.inner
            .store()
            .runs
            .get(sync_run_id)
            .map(|r| r.snapshot())
    }

    /// Marks a running run failed, as the manager does for a stale run:
    /// its events are then refused with 400.
    pub fn mark_run_failed(&self, sync_run_id: &str, error: &str) {
        let outcome =
            self.inner
                .store()
                .stop_run(sync_run_id, RunStatus::Failed, Some(error.to_owned()));
        if outcome == state::RunCall::Applied(true) {
            self.inner.run_changed.notify_waiters();
        }
    }

    /// The run's accepted events, in order.
    pub fn events(&self, sync_run_id: &str) -> Vec<ConnectorEvent> {
        self.inner
            .store()
            .runs
            .get(sync_run_id)
            .map(|r| r.events.clone())
            .unwrap_or_default()
    }

    /// The run's events from position `from` on (for following a run as
    /// it goes without copying what was already read).
    pub fn events_since(&self, sync_run_id: &str, from: usize) -> Vec<ConnectorEvent> {
        self.inner
            .store()
            .runs
            .get(sync_run_id)
            .and_then(|r| r.events.get(from..))
            .map(<[ConnectorEvent]>::to_vec)
            .unwrap_or_default()
    }

    /// Stored content, by id.
    pub fn content(&self, content_id: &str) -> Option<StoredContent> {
        self.inner.store().contents.get(content_id).cloned()
    }

    /// Every accepted registration, in order.
    pub fn registrations(&self) -> Vec<ConnectorManifest> {
        self.inner.store().registrations.clone()
    }

    /// Every request answered (or dropped), in order (empty when
    /// [`ManagerOptions::keep_requests`] is off).
    pub fn requests(&self) -> Vec<RequestRecord> {
        lock(&self.inner.requests).clone()
    }

    /// How many requests were answered (or dropped).
    pub fn request_count(&self) -> usize {
        self.inner.request_total.load(Ordering::Relaxed)
    }

    /// How many requests had this method and a path starting with
    /// `path_prefix`.
    pub fn count_requests(&self, method: &str, path_prefix: &str) -> usize {
        lock(&self.inner.requests)
            .iter()
            .filter(|r| r.method.eq_ignore_ascii_case(method) && r.path.starts_with(path_prefix))
            .count()
    }

    /// Installs fault injection for `/sdk/*` requests (replacing earlier
    /// faults and restarting their counters).
    pub fn set_faults(&self, faults: Faults) {
        let mut state = lock(&self.inner.faults);
        state.set(faults);
        self.inner
            .faults_active
            .store(state.active(), Ordering::Relaxed);
    }

    /// Whether registration first checks `GET {connector_url}/health`
    /// (on by default).
    pub fn set_registration_health_check(&self, on: bool) {
        self.inner.health_check.store(on, Ordering::Relaxed);
    }

    /// Takes the manager down, as a restart or an outage does, keeping its
    /// state: closes the listener (new connections are refused) and drops
    /// every open connection, unanswered. Returns once the port is closed.
    /// [`resume`](Self::resume) brings it back on the same port.
    ///
    /// ```no_run
    /// # async fn demo(manager: omni_connector::testing::MockManager) {
    /// manager.pause().await;
    /// tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    /// manager.resume().await;
    /// # }
    /// ```
    pub async fn pause(&self) {
        if !self.guard.switch(Control::Pause).await {
            tracing::warn!("the in-process manager did not confirm the pause");
        }
    }

    /// Brings a paused manager back on the same port, with the state it had;
    /// returns once it listens again. Does nothing when it is not paused.
    pub async fn resume(&self) {
        if !self.guard.switch(Control::Serve).await {
            tracing::warn!("the in-process manager did not confirm it listens again");
        }
    }

    /// Whether the manager is listening (not paused, not shut down).
    pub fn is_listening(&self) -> bool {
        *self.guard.listening.borrow()
    }

    /// Stops accepting connections and drops open ones.
    pub async fn shutdown(self) {
        let _ = self.guard.control.send(Control::Stop);
        let task = lock(&self.guard.task).take();
        if let Some(task) = task {
            let _ = task.await;
        }
    }
}
