//! Running a connector's sync locally, against an in-process manager: what
//! `my-connector sync` and connector authors' tests use.

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::{MockManager, RunStatus, SourceSeed};
use crate::client::SdkClient;
use crate::connector::{decode_json, Connector};
use crate::context::{FlushPolicy, ItemError, SyncProgress};
use crate::error::{ConnectorError, Result};
use crate::models::{ConnectorEvent, DocumentMetadata, DocumentPermissions, SyncMode};
use crate::server::{Server, ServerConfig, ServerHandle};

/// What a local sync starts from.
///
/// ```
/// use omni_connector::testing::LocalSync;
/// use omni_connector::SyncMode;
/// use serde_json::json;
/// let options = LocalSync::new(json!({"feed_url": "feed.xml"}))
///     .state(json!({"last_sync_time": "2026-01-01T00:00:00Z"}))
///     .mode(SyncMode::Incremental);
/// # let _ = options;
/// ```
#[derive(Debug, Clone)]
pub struct LocalSync {
    config: Value,
    credentials: Option<Value>,
    state: Option<Value>,
    mode: SyncMode,
    source_type: Option<String>,
    flush_policy: Option<FlushPolicy>,
    timeout: Duration,
}

impl LocalSync {
    /// A full sync of a source with this config, without credentials or
    /// state, that may take up to 5 minutes.
    pub fn new(config: Value) -> Self {
        Self {
            config,
            credentials: None,
            state: None,
            mode: SyncMode::Full,
            source_type: None,
            flush_policy: None,
            timeout: Duration::from_secs(300),
        }
    }

    /// The credential secrets.
    pub fn credentials(mut self, credentials: Value) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// The state the sync starts from (a previous run's final state).
    pub fn state(mut self, state: Value) -> Self {
        self.state = Some(state).filter(|s| !s.is_null());
        self
    }

    /// The sync mode (default full).
    pub fn mode(mut self, mode: SyncMode) -> Self {
        self.mode = mode;
        self
    }

    /// The source's type (default: the connector's first, or `web`).
    pub fn source_type(mut self, source_type: impl Into<String>) -> Self {
        self.source_type = Some(source_type.into());
        self
    }

    /// Flush thresholds instead of the mode's defaults.
    pub fn flush_policy(mut self, policy: FlushPolicy) -> Self {
        self.flush_policy = Some(policy);
        self
    }

    /// How long [`run_sync`] waits for the sync to end (default 5 minutes).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

/// A sync running against a private in-process manager: the connector is
/// served on loopback, and the manager triggers the sync over HTTP exactly
/// as Omni would.
#[derive(Debug)]
pub struct LocalRun {
    manager: MockManager,
    server: Option<ServerHandle>,
    source_id: String,
    sync_run_id: String,
    read: usize,
    started: Instant,
    timeout: Duration,
}

impl LocalRun {
    /// Starts the manager and the connector's server, and triggers the
    /// sync. A sync the connector refuses (config that does not decode, say)
    /// is an error carrying the connector's message.
    pub async fn start<C: Connector>(connector: C, options: LocalSync) -> Result<Self> {
        let manager = MockManager::start()
            .await
            .map_err(|e| ConnectorError::msg(format!("could not start the local manager: {e}")))?;
        let source_type = options
            .source_type
            .clone()
            .or_else(|| connector.source_types().into_iter().next())
            .unwrap_or_else(|| "web".to_owned());
        let mut seed = SourceSeed::new(source_type)
            .name(format!("local {}", connector.name()))
            .config(options.config.clone());
        if let Some(credentials) = options.credentials.clone() {
            seed = seed.credentials(credentials);
        }
        if let Some(state) = options.state.clone() {
            seed = seed.checkpoint(state);
        }
        let source_id = manager.add_source(seed);

        let mut config = ServerConfig::new(manager.url(), "127.0.0.1", 0);
        config.bind = IpAddr::V4(Ipv4Addr::LOCALHOST);
        config.flush_policy = options.flush_policy;
        config.cancel_grace = Duration::from_secs(5);
        config.shutdown_timeout = Duration::from_secs(5);
        let client = SdkClient::new(&manager.url())?;
        let server = Server::new(connector, config)
            .client(client)
            .start()
            .await?;
        let started = Instant::now();
        let sync_run_id = match manager
            .trigger_sync(&server.local_url(), &source_id, options.mode.clone())
            .await
        {
            Ok(id) => id,
            Err(e) => {
                server.shutdown().await;
                manager.shutdown().await;
                return Err(ConnectorError::msg(format!(
                    "the connector refused the sync ({}): {}",
                    e.status,
                    refusal_message(&e.body)
                )));
            }
        };
        Ok(Self {
            manager,
            server: Some(server),
            source_id,
            sync_run_id,
            read: 0,
            started,
            timeout: options.timeout,
        })
    }

    /// The run's id.
    pub fn sync_run_id(&self) -> &str {
        &self.sync_run_id
    }

    /// The in-process manager, to inspect anything else.
    pub fn manager(&self) -> &MockManager {
        &self.manager
    }

    /// Events the manager accepted since the last call, in order.
    pub fn new_events(&mut self) -> Vec<ConnectorEvent> {
        let events = self.manager.events_since(&self.sync_run_id, self.read);
        self.read += events.len();
        events
    }

    /// The stored text of a content id.
    pub fn content(&self, content_id: &str) -> Option<String> {
        self.manager.content(content_id).map(|c| c.content)
    }

    /// The connector's counts so far.
    pub fn progress(&self) -> SyncProgress {
        self.server
            .as_ref()
            .and_then(|s| s.sync_progress(&self.sync_run_id))
            .unwrap_or_default()
    }

    /// Time since the sync was triggered.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Whether the run has ended (completed, failed or cancelled) and the
    /// connector released it.
    pub fn is_finished(&self) -> bool {
        let ended = self
            .manager
            .run(&self.sync_run_id)
            .is_some_and(|r| r.status != RunStatus::Running);
        ended && self.server.as_ref().is_none_or(|s| s.running_syncs() == 0)
    }

    /// Waits for the run to end (within the timeout given in
    /// [`LocalSync::timeout`]), stops the connector and the manager, and
    /// reports what happened.
    pub async fn finish(mut self) -> Result<SyncReport> {
        let deadline = self.started + self.timeout;
        while !self.is_finished() {
            if Instant::now() >= deadline {
                self.stop().await;
                return Err(ConnectorError::msg(format!(
                    "the sync did not finish within {:?}",
                    self.timeout
                )));
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let duration = self.started.elapsed();
        let progress = self.progress();
        let run = self.manager.run(&self.sync_run_id);
        let events = self.manager.events(&self.sync_run_id);
        let source = self.manager.source(&self.source_id);
        let (outcome, error, scanned, run_checkpoint) = match run {
            Some(run) => (run.status, run.error, run.documents_scanned, run.checkpoint),
            None => (RunStatus::Failed, Some("the run vanished".into()), 0, None),
        };
        // A completed run published its checkpoint to the source; otherwise
        // the run's own last checkpoint is where a retry would resume.
        let state = if outcome == RunStatus::Completed {
            source.and_then(|s| s.checkpoint)
        } else {
            run_checkpoint
        };
        let mut report = SyncReport {
            outcome,
            error,
            documents: Vec::new(),
            deleted: Vec::new(),
            other_events: Vec::new(),
            state,
            errors: progress.reported_errors,
            documents_scanned: scanned,
            duration,
        };
        for event in events {
            match event {
                ConnectorEvent::DocumentCreated {
                    document_id,
                    content_id,
                    metadata,
                    permissions,
                    attributes,
                    ..
                } => report.documents.push(self.document(
                    document_id,
                    false,
                    content_id,
                    metadata,
                    Some(permissions),
                    attributes,
                )),
                ConnectorEvent::DocumentUpdated {
                    document_id,
                    content_id,
                    metadata,
                    permissions,
                    attributes,
                    ..
                } => report.documents.push(self.document(
                    document_id,
                    true,
                    content_id,
                    metadata,
                    permissions,
                    attributes,
                )),
                ConnectorEvent::DocumentDeleted { document_id, .. } => {
                    report.deleted.push(document_id)
                }
                other => report.other_events.push(other),
            }
        }
        self.stop().await;
        Ok(report)
    }

    fn document(
        &self,
        id: String,
        updated: bool,
        content_id: String,
        metadata: DocumentMetadata,
        permissions: Option<DocumentPermissions>,
        attributes: Option<Map<String, Value>>,
    ) -> EmittedDocument {
        EmittedDocument {
            content: self.content(&content_id),
            id,
            updated,
            content_id,
            metadata,
            permissions,
            attributes,
        }
    }

    async fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
        self.manager.clone().shutdown().await;
    }
}

/// The message of a connector's error answer, or the body as it is.
fn refusal_message(body: &str) -> String {
    serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| body.to_owned())
}

/// Runs one sync of `connector` against a private in-process manager, over
/// real loopback HTTP, and reports what it emitted: the few lines a
/// connector's test needs.
///
/// ```no_run
/// # async fn demo<C: omni_connector::Connector>(my_connector: C) -> omni_connector::Result<()> {
/// use omni_connector::testing::{run_sync, LocalSync, RunStatus};
/// let report = run_sync(my_connector, LocalSync::new(serde_json::json!({"folder": "docs"}))).await?;
/// assert_eq!(report.outcome, RunStatus::Completed);
/// assert!(report.document("readme.md").is_some());
/// # Ok(()) }
/// ```
pub async fn run_sync<C: Connector>(connector: C, options: LocalSync) -> Result<SyncReport> {
    LocalRun::start(connector, options).await?.finish().await
}

/// What a local sync did.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SyncReport {
    /// How the run ended.
    pub outcome: RunStatus,
    /// Why it failed, when it did.
    pub error: Option<String>,
    /// Documents created and updated, in order, with their stored text.
    pub documents: Vec<EmittedDocument>,
    /// Ids of deleted documents, in order.
    pub deleted: Vec<String>,
    /// Group and person events, in order.
    pub other_events: Vec<ConnectorEvent>,
    /// The state the next run would start from.
    pub state: Option<Value>,
    /// Items the sync reported as errors.
    pub errors: Vec<ItemError>,
    /// The scanned count the manager holds.
    pub documents_scanned: u64,
    /// From trigger to end.
    pub duration: Duration,
}

impl SyncReport {
    /// The final state, decoded into the connector's state type.
    pub fn state_as<S: DeserializeOwned>(&self) -> Result<Option<S>> {
        match &self.state {
            Some(state) => decode_json("state", state.clone()).map(Some),
            None => Ok(None),
        }
    }

    /// The last emitted version of a document.
    pub fn document(&self, id: &str) -> Option<&EmittedDocument> {
        self.documents.iter().rev().find(|d| d.id == id)
    }

    /// Whether the run completed.
    pub fn is_completed(&self) -> bool {
        self.outcome == RunStatus::Completed
    }
}

/// A document as the manager received it, with its stored text.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct EmittedDocument {
    /// The external id.
    pub id: String,
    /// True for `document_updated`.
    pub updated: bool,
    /// The content id it points at.
    pub content_id: String,
    /// The stored text (`None` when the content id is unknown).
    pub content: Option<String>,
    /// Its metadata.
    pub metadata: DocumentMetadata,
    /// Its permissions (always set on created documents).
    pub permissions: Option<DocumentPermissions>,
    /// Its attributes.
    pub attributes: Option<Map<String, Value>>,
}
