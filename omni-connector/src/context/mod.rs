//! [`SyncContext`]: what a sync uses to emit documents, store content, save
//! its state and finish (PROTOCOL.md §6).

mod buffer;
mod content;
mod run;

use std::future::Future;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

pub use buffer::FlushPolicy;
pub use content::ContentStorage;
pub use run::{ItemError, RunOutcome, SyncProgress, MAX_KEPT_ERRORS};

use run::Counters;
pub(crate) use run::Run;

use crate::client::{RetryPolicy, SdkClient};
use crate::connector::decode_json;
use crate::error::{ConnectorError, Result, SyncCancelledError};
use crate::models::{ConnectorEvent, Document, PersonSyncRecord, Source, SyncMode, SyncRequest};

/// The handle a sync works through: emit documents, store content, count
/// progress, save state, and finish.
///
/// `S` is the connector's own state type: [`save_state`](Self::save_state)
/// and [`complete`](Self::complete) take it and send it as the run's
/// checkpoint, and the next run receives it back.
///
/// Events are buffered and sent in order in batches (PROTOCOL.md §6: 500
/// events or 300 s for `full`, 100 or 60 s for `incremental`, every event
/// for `realtime`); scanned and updated counts are coalesced. A batch the
/// manager did not take stays buffered and goes with the next flush, so
/// nothing emitted is dropped. Saving state and completing flush first.
///
/// The context is cheap to clone; clones share the run, so content can be
/// stored from several tasks at once.
///
/// ```no_run
/// use omni_connector::{Document, DocumentPermissions, SyncContext, Result};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Serialize, Deserialize)]
/// struct State { cursor: u64 }
///
/// async fn sync(ctx: &SyncContext<State>) -> Result<()> {
///     for n in 0..3u64 {
///         if ctx.is_cancelled() {
///             return Ok(());
///         }
///         let content_id = ctx.content_storage.save(&format!("item {n}"), "text/plain").await?;
///         ctx.emit(
///             Document::new(format!("item-{n}"), format!("Item {n}"), content_id)
///                 .with_permissions(DocumentPermissions::public()),
///         )
///         .await?;
///         ctx.increment_scanned();
///     }
///     ctx.complete(State { cursor: 3 }).await
/// }
/// ```
pub struct SyncContext<S = Value> {
    /// Stores document content; `ctx.content_storage.save(text, type)`.
    pub content_storage: ContentStorage,
    run: Arc<Run>,
    _state: PhantomData<fn() -> S>,
}

impl<S> Clone for SyncContext<S> {
    fn clone(&self) -> Self {
        Self {
            content_storage: self.content_storage.clone(),
            run: self.run.clone(),
            _state: PhantomData,
        }
    }
}

impl<S> std::fmt::Debug for SyncContext<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncContext")
            .field("sync_run_id", &self.run.sync_run_id)
            .field("source_id", &self.run.source_id)
            .field("sync_mode", &self.run.sync_mode)
            .field("is_resume", &self.run.is_resume)
            .finish_non_exhaustive()
    }
}

impl SyncContext {
    /// Settings for a context; the runtime builds one for each run, and
    /// tests or custom runtimes can build their own.
    pub fn builder(
        client: SdkClient,
        sync_run_id: impl Into<String>,
        source_id: impl Into<String>,
    ) -> SyncContextBuilder {
        SyncContextBuilder {
            client,
            sync_run_id: sync_run_id.into(),
            source_id: source_id.into(),
            sync_mode: SyncMode::Full,
            is_resume: false,
            last_sync_at: None,
            source: None,
            initial_state: None,
            flush_policy: None,
            extract_retry: None,
        }
    }
}

impl<S> SyncContext<S> {
    pub(crate) fn from_run(run: Arc<Run>) -> Self {
        Self {
            content_storage: ContentStorage::new(run.clone()),
            run,
            _state: PhantomData,
        }
    }

    // ---- what the run is -------------------------------------------------

    /// The run's id.
    pub fn sync_run_id(&self) -> &str {
        &self.run.sync_run_id
    }

    /// The source's id.
    pub fn source_id(&self) -> &str {
        &self.run.source_id
    }

    /// Full, incremental or realtime.
    pub fn sync_mode(&self) -> &SyncMode {
        &self.run.sync_mode
    }

    /// True when the manager resumed a run this connector lost (restart).
    pub fn is_resume(&self) -> bool {
        self.run.is_resume
    }

    /// When the source last synced successfully, as the manager says.
    pub fn last_sync_at(&self) -> Option<DateTime<Utc>> {
        self.run.last_sync_at
    }

    /// The source being synced, with its settings.
    pub fn source(&self) -> Option<&Source> {
        self.run.source.as_ref()
    }

    /// Whether a user's items should be indexed under the source's user
    /// filter (all, whitelist, blacklist); true when the source is unknown.
    pub fn should_index_user(&self, email: &str) -> bool {
        self.run
            .source
            .as_ref()
            .is_none_or(|source| source.should_index_user(email))
    }

    // ---- documents and other events ------------------------------------

    /// Emits a new document (`document_created`).
    pub async fn emit(&self, document: Document) -> Result<()> {
        let wire = document.into_wire();
        let event = ConnectorEvent::DocumentCreated {
            sync_run_id: self.run.sync_run_id.clone(),
            source_id: self.run.source_id.clone(),
            document_id: wire.document_id,
            content_id: wire.content_id,
            metadata: wire.metadata,
            permissions: wire.permissions.unwrap_or_default(),
            attributes: wire.attributes,
        };
        self.run.push(event).await
    }

    /// Emits a changed document (`document_updated`).
    pub async fn emit_updated(&self, document: Document) -> Result<()> {
        let wire = document.into_wire();
        let event = ConnectorEvent::DocumentUpdated {
            sync_run_id: self.run.sync_run_id.clone(),
            source_id: self.run.source_id.clone(),
            document_id: wire.document_id,
            content_id: wire.content_id,
            metadata: wire.metadata,
            permissions: wire.permissions,
            attributes: wire.attributes,
        };
        self.run.push(event).await
    }

    /// Emits the deletion of a document (`document_deleted`).
    pub async fn emit_deleted(&self, external_id: impl Into<String>) -> Result<()> {
        self.run
            .push(ConnectorEvent::DocumentDeleted {
                sync_run_id: self.run.sync_run_id.clone(),
                source_id: self.run.source_id.clone(),
                document_id: external_id.into(),
            })
            .await
    }

    /// Emits the members of a group (`group_membership_sync`).
    pub async fn emit_group_membership(
        &self,
        group_email: impl Into<String>,
        group_name: Option<String>,
        member_emails: Vec<String>,
    ) -> Result<()> {
        self.run
            .push(ConnectorEvent::GroupMembershipSync {
                sync_run_id: self.run.sync_run_id.clone(),
                source_id: self.run.source_id.clone(),
                group_email: group_email.into(),
                group_name,
                member_emails,
            })
            .await
    }

    /// Emits a person from the source's directory (`person_sync`).
    pub async fn emit_person_sync(&self, person: PersonSyncRecord) -> Result<()> {
        self.run
            .push(ConnectorEvent::PersonSync {
                sync_run_id: self.run.sync_run_id.clone(),
                source_id: self.run.source_id.clone(),
                person,
            })
            .await
    }

    /// Emits the removal of a person (`person_deleted`).
    pub async fn emit_person_deleted(&self, email: impl Into<String>) -> Result<()> {
        self.run
            .push(ConnectorEvent::PersonDeleted {
                sync_run_id: self.run.sync_run_id.clone(),
                source_id: self.run.source_id.clone(),
                email: email.into(),
            })
            .await
    }

    /// Reports an item that could not be synced. The manager has no endpoint
    /// for this: it is logged as a warning and counted, and the sync goes on.
    pub fn emit_error(&self, external_id: &str, error: impl std::fmt::Display) {
        let message = error.to_string();
        tracing::warn!(
            sync_run_id = %self.run.sync_run_id,
            document_id = external_id,
            error = %message,
            "item skipped"
        );
        self.run.report_error(external_id, message);
    }

    // ---- progress --------------------------------------------------------

    /// Counts one item scanned. Counts are sent coalesced, with the next
    /// flush, so this costs no request of its own.
    pub fn increment_scanned(&self) {
        self.run.counters.scanned.fetch_add(1, Ordering::Relaxed);
        self.run
            .counters
            .pending_scanned
            .fetch_add(1, Ordering::AcqRel);
    }

    /// Counts one item updated; coalesced like scanned counts.
    pub fn increment_updated(&self) {
        self.run.counters.updated.fetch_add(1, Ordering::Relaxed);
        self.run
            .counters
            .pending_updated
            .fetch_add(1, Ordering::AcqRel);
    }

    /// Documents emitted so far (created and updated).
    pub fn documents_emitted(&self) -> u64 {
        self.run.counters.emitted.load(Ordering::Relaxed)
    }

    /// Items counted as scanned so far.
    pub fn documents_scanned(&self) -> u64 {
        self.run.counters.scanned.load(Ordering::Relaxed)
    }

    /// Items counted as updated so far.
    pub fn documents_updated(&self) -> u64 {
        self.run.counters.updated.load(Ordering::Relaxed)
    }

    /// Items reported with [`emit_error`](Self::emit_error) so far.
    pub fn errors(&self) -> u64 {
        self.run.counters.errors.load(Ordering::Relaxed)
    }

    /// Sends buffered events and pending counts now.
    pub async fn flush(&self) -> Result<()> {
        self.run.flush().await
    }

    /// Tells the manager the run is alive during long silent work (it fails
    /// runs that show no activity for its stale timeout).
    pub async fn heartbeat(&self) -> Result<()> {
        self.run.check_open()?;
        self.run
            .client
            .heartbeat(&self.run.sync_run_id)
            .await
            .map_err(ConnectorError::from)
    }

    // ---- cancellation ----------------------------------------------------

    /// True once the run was cancelled (or the connector is shutting down).
    pub fn is_cancelled(&self) -> bool {
        self.run.cancel.is_cancelled()
    }

    /// Resolves when the run is cancelled; for `tokio::select!` around slow
    /// work.
    ///
    /// ```no_run
    /// # async fn demo(ctx: &omni_connector::SyncContext) -> omni_connector::Result<()> {
    /// tokio::select! {
    ///     _ = ctx.cancelled() => return Ok(()),
    ///     page = fetch_next_page() => { /* ... */ }
    /// }
    /// # Ok(()) }
    /// # async fn fetch_next_page() {}
    /// ```
    pub fn cancelled(&self) -> impl Future<Output = ()> + Send + '_ {
        self.run.cancel.cancelled()
    }

    /// An error to return from a sync that stops because it was cancelled.
    pub fn cancelled_error(&self) -> ConnectorError {
        SyncCancelledError {
            sync_run_id: self.run.sync_run_id.clone(),
        }
        .into()
    }

    /// The counts so far and the item errors reported.
    pub fn progress(&self) -> SyncProgress {
        self.run.progress()
    }

    /// How the run stands: running, completed or failed.
    pub fn outcome(&self) -> RunOutcome {
        self.run.outcome()
    }
}

impl<S: Serialize + DeserializeOwned> SyncContext<S> {
    /// The latest state: the last one saved in this run, or else the one it
    /// started from.
    pub fn state(&self) -> Result<Option<S>> {
        match self.run.current_state() {
            Some(value) => decode_json("state", value).map(Some),
            None => Ok(None),
        }
    }

    /// Saves a checkpoint: flushes buffered events first, so the manager
    /// never holds a checkpoint past events it has not received. Doubles as
    /// a heartbeat.
    pub async fn save_state(&self, state: &S) -> Result<()> {
        let value = serde_json::to_value(state)?;
        self.run.flush().await?;
        self.run.put_checkpoint(value).await
    }

    /// Finishes the run: flushes, puts the checkpoint, and marks the run
    /// completed.
    ///
    /// With `None`, the checkpoint put is the last state saved in this run,
    /// or else the state the run started from: completing publishes the
    /// run's checkpoint to the source, and a run without one would wipe it
    /// (PROTOCOL.md §6).
    pub async fn complete(&self, new_state: impl Into<Option<S>>) -> Result<()> {
        self.run.check_open()?;
        let state = match new_state.into() {
            Some(state) => Some(serde_json::to_value(&state)?),
            None => self.run.current_state(),
        };
        self.run.flush().await?;
        if let Some(state) = state {
            self.run.put_checkpoint(state).await?;
        }
        self.run.client.complete(&self.run.sync_run_id).await?;
        self.run.set_outcome(RunOutcome::Completed);
        Ok(())
    }

    /// Fails the run with a message, after a best-effort flush of what was
    /// emitted.
    pub async fn fail(&self, error: impl std::fmt::Display) -> Result<()> {
        self.run.check_open()?;
        let message = error.to_string();
        if let Err(e) = self.run.flush().await {
            tracing::warn!(sync_run_id = %self.run.sync_run_id, error = %e, "could not flush before failing the run");
        }
        self.run
            .client
            .fail(&self.run.sync_run_id, &message)
            .await?;
        self.run.set_outcome(RunOutcome::Failed(message));
        Ok(())
    }

    /// Saves source-level state, kept outside the run's checkpoint (for
    /// example a webhook subscription id).
    pub async fn save_connector_state<T: Serialize + ?Sized>(&self, state: &T) -> Result<()> {
        let value = serde_json::to_value(state)?;
        self.run.check_open()?;
        self.run
            .client
            .save_connector_state(&self.run.source_id, &value)
            .await
            .map_err(ConnectorError::from)
    }
}

/// Settings for a [`SyncContext`].
#[derive(Debug)]
pub struct SyncContextBuilder {
    client: SdkClient,
    sync_run_id: String,
    source_id: String,
    sync_mode: SyncMode,
    is_resume: bool,
    last_sync_at: Option<DateTime<Utc>>,
    source: Option<Source>,
    initial_state: Option<Value>,
    flush_policy: Option<FlushPolicy>,
    extract_retry: Option<RetryPolicy>,
}

impl SyncContextBuilder {
    /// Takes mode, resume flag, last sync time and starting state from the
    /// manager's request.
    pub fn request(mut self, request: &SyncRequest) -> Self {
        self.sync_mode = request.sync_mode.clone();
        self.is_resume = request.is_resume;
        self.last_sync_at = request.last_sync_at;
        self.initial_state = request.checkpoint.clone().filter(|v| !v.is_null());
        self
    }

    /// The sync mode (default full); also picks the flush thresholds.
    pub fn sync_mode(mut self, mode: SyncMode) -> Self {
        self.sync_mode = mode;
        self
    }

    /// Marks the run as resumed.
    pub fn resume(mut self, is_resume: bool) -> Self {
        self.is_resume = is_resume;
        self
    }

    /// When the source last synced.
    pub fn last_sync_at(mut self, at: DateTime<Utc>) -> Self {
        self.last_sync_at = Some(at);
        self
    }

    /// The source being synced.
    pub fn source(mut self, source: Source) -> Self {
        self.source = Some(source);
        self
    }

    /// The state the run starts from.
    pub fn initial_state(mut self, state: Value) -> Self {
        self.initial_state = Some(state).filter(|v| !v.is_null());
        self
    }

    /// Flush thresholds other than the mode's defaults.
    pub fn flush_policy(mut self, policy: FlushPolicy) -> Self {
        self.flush_policy = Some(policy);
        self
    }

    /// How long a busy extractor (429) is waited for (default: up to 30
    /// attempts within 5 minutes).
    pub fn extract_retry(mut self, policy: RetryPolicy) -> Self {
        self.extract_retry = Some(policy);
        self
    }

    /// Builds the context, typed with the connector's state type. Must be
    /// called inside a Tokio runtime for age-based flushing to run.
    pub fn build<S>(self) -> SyncContext<S> {
        let run = Arc::new(self.into_run(CancellationToken::new()));
        run.spawn_age_flusher();
        SyncContext::from_run(run)
    }

    pub(crate) fn into_run(self, cancel: CancellationToken) -> Run {
        let policy = self
            .flush_policy
            .unwrap_or_else(|| FlushPolicy::for_mode(&self.sync_mode));
        Run {
            client: self.client,
            sync_run_id: self.sync_run_id,
            source_id: self.source_id,
            sync_mode: self.sync_mode,
            is_resume: self.is_resume,
            last_sync_at: self.last_sync_at,
            source: self.source,
            initial_state: self.initial_state,
            policy,
            extract_retry: self.extract_retry.unwrap_or(RetryPolicy {
                max_attempts: 30,
                initial_backoff: Duration::from_millis(500),
                max_backoff: Duration::from_secs(15),
                max_elapsed: Duration::from_secs(300),
            }),
            buffer: Default::default(),
            sending: Default::default(),
            saved_state: Mutex::new(None),
            counters: Counters::default(),
            cancel,
            silenced: AtomicBool::new(false),
            refused: Mutex::new(None),
            outcome: Mutex::new(RunOutcome::Running),
            reported_errors: Mutex::new(Vec::new()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contexts_are_shareable() {
        fn is<T: Send + Sync + Clone>() {}
        is::<SyncContext<Value>>();
        is::<ContentStorage>();
    }
}
