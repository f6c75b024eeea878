//! The state one sync run shares between its context, its content storage,
//! the runtime that started it and the background flusher.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::buffer::{EventBuffer, FlushPolicy};
use crate::client::{RetryPolicy, SdkClient};
use crate::error::{
    ConnectorError, Result, SdkClientError, SdkClientErrorKind, SyncCancelledError,
};
use crate::models::{ConnectorEvent, Source, SyncMode};

/// How a run ended, as far as this connector knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunOutcome {
    /// Still going.
    Running,
    /// `complete` was accepted by the manager.
    Completed,
    /// `fail` was sent, with this message.
    Failed(String),
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) emitted: AtomicU64,
    pub(crate) scanned: AtomicU64,
    pub(crate) updated: AtomicU64,
    pub(crate) errors: AtomicU64,
    /// Scanned and updated counts not yet sent (PROTOCOL.md §6: coalesced).
    pub(crate) pending_scanned: AtomicU64,
    pub(crate) pending_updated: AtomicU64,
}

/// An item a sync could not sync, reported with
/// [`SyncContext::emit_error`](crate::SyncContext::emit_error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemError {
    /// The item's external id.
    pub external_id: String,
    /// What went wrong.
    pub message: String,
}

/// How far a sync has got, as its context counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SyncProgress {
    /// Documents emitted (created and updated).
    pub emitted: u64,
    /// Items counted as scanned.
    pub scanned: u64,
    /// Items counted as updated.
    pub updated: u64,
    /// Items reported as errors.
    pub errors: u64,
    /// The first [`MAX_KEPT_ERRORS`] reported errors.
    pub reported_errors: Vec<ItemError>,
}

/// How many reported item errors a run keeps for its summary.
pub const MAX_KEPT_ERRORS: usize = 1000;

/// Which buffered events a flush sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Only {
    /// Only when the flush policy says they are due.
    Due,
    /// Whatever is buffered.
    Any,
}

/// Which coalesced count a flush sends.
#[derive(Debug, Clone, Copy)]
enum Count {
    Scanned,
    Updated,
}

pub(crate) struct Run {
    pub(crate) client: SdkClient,
    pub(crate) sync_run_id: String,
    pub(crate) source_id: String,
    pub(crate) sync_mode: SyncMode,
    pub(crate) is_resume: bool,
    pub(crate) last_sync_at: Option<DateTime<Utc>>,
    pub(crate) source: Option<Source>,
    pub(crate) initial_state: Option<Value>,
    pub(crate) policy: FlushPolicy,
    pub(crate) extract_retry: RetryPolicy,
    pub(crate) buffer: tokio::sync::Mutex<EventBuffer>,
    /// Held while a batch is sent: one at a time, in order.
    pub(crate) sending: tokio::sync::Mutex<()>,
    pub(crate) saved_state: Mutex<Option<Value>>,
    pub(crate) counters: Counters,
    /// Wakes the sync: set by `/cancel` and by shutdown.
    pub(crate) cancel: CancellationToken,
    /// Set by `/cancel`: nothing more is sent for the run.
    pub(crate) silenced: AtomicBool,
    /// Why the manager refused the run for good (a final 4xx), if it did.
    pub(crate) refused: Mutex<Option<String>>,
    pub(crate) outcome: Mutex<RunOutcome>,
    pub(crate) reported_errors: Mutex<Vec<ItemError>>,
}

impl Run {
    /// Errors unless the run may still send: not cancelled, not refused by
    /// the manager, not completed or failed.
    pub(crate) fn check_open(&self) -> Result<()> {
        if self.silenced.load(Ordering::Acquire) {
            return Err(SyncCancelledError {
                sync_run_id: self.sync_run_id.clone(),
            }
            .into());
        }
        if let Some(reason) = lock(&self.refused).clone() {
            return Err(self.closed_error(format!(
                "the manager no longer accepts calls for this run: {reason}"
            )));
        }
        match &*lock(&self.outcome) {
            RunOutcome::Running => Ok(()),
            RunOutcome::Completed => Err(self.closed_error("the run is already completed".into())),
            RunOutcome::Failed(_) => Err(self.closed_error("the run has already failed".into())),
        }
    }

    fn closed_error(&self, why: String) -> ConnectorError {
        SdkClientError::new(
            format!("sync run {}", self.sync_run_id),
            SdkClientErrorKind::Request(why),
        )
        .into()
    }

    /// Converts the error of an events call, remembering a final refusal so
    /// that no further call is made for this run (PROTOCOL.md §3: events
    /// for a run that is not running get a 400 that "is final, never retry
    /// it"). Other calls' 4xx answers concern that call only (a file the
    /// extractor cannot read, say) and leave the run open.
    fn refused_events(&self, error: SdkClientError) -> ConnectorError {
        if error.is_rejected() {
            let mut refused = lock(&self.refused);
            if refused.is_none() {
                tracing::warn!(
                    sync_run_id = %self.sync_run_id,
                    error = %error,
                    "manager refused the run; nothing more will be sent for it"
                );
                *refused = Some(error.body().unwrap_or_default().to_owned());
            }
        }
        error.into()
    }

    /// Adds an event, flushing when the policy says so. Once buffered, the
    /// event is accepted (and counted, for documents) even when the flush
    /// that follows fails: it stays buffered for the next one.
    ///
    /// The buffer is locked only to add the event: while the emit that
    /// filled it waits for its batch, other tasks sharing the context keep
    /// emitting into a fresh buffer.
    pub(crate) async fn push(&self, event: ConnectorEvent) -> Result<()> {
        self.check_open()?;
        let is_document = matches!(
            event,
            ConnectorEvent::DocumentCreated { .. } | ConnectorEvent::DocumentUpdated { .. }
        );
        let due = {
            let mut buffer = self.buffer.lock().await;
            buffer.push(event);
            if is_document {
                self.counters.emitted.fetch_add(1, Ordering::Relaxed);
            }
            buffer.is_due(&self.policy)
        };
        if due {
            self.send_events(Only::Due).await?;
            self.flush_counters().await?;
        }
        Ok(())
    }

    /// Sends every buffered event, then the pending counters.
    pub(crate) async fn flush(&self) -> Result<()> {
        self.send_events(Only::Any).await?;
        self.flush_counters().await
    }

    /// Sends the buffered events as one batch. Batches go one at a time,
    /// so they arrive in the order emitted; a batch that fails is put back
    /// in front of the buffer for the next flush.
    async fn send_events(&self, only: Only) -> Result<()> {
        let _sending = self.sending.lock().await;
        let batch = {
            let mut buffer = self.buffer.lock().await;
            // Another task may have sent the buffer while this one waited.
            if buffer.is_empty() || (only == Only::Due && !buffer.is_due(&self.policy)) {
                return Ok(());
            }
            buffer.take()
        };
        let sent = match self.check_open() {
            Err(e) => Err(e),
            Ok(()) => self
                .client
                .emit_events_batch(&self.sync_run_id, &self.source_id, &batch.events)
                .await
                .map_err(|e| self.refused_events(e)),
        };
        let mut buffer = self.buffer.lock().await;
        match sent {
            Ok(()) => {
                tracing::trace!(sync_run_id = %self.sync_run_id, events = batch.events.len(), "flushed events");
                buffer.recycle(batch.events);
                Ok(())
            }
            Err(e) => {
                buffer.put_back(batch);
                Err(e)
            }
        }
    }

    /// Sends the coalesced scanned and updated counts. A count that could
    /// not be sent is put back for the next flush.
    pub(crate) async fn flush_counters(&self) -> Result<()> {
        self.send_pending(&self.counters.pending_scanned, Count::Scanned)
            .await?;
        self.send_pending(&self.counters.pending_updated, Count::Updated)
            .await
    }

    /// Sends one coalesced count, putting it back when it could not be sent.
    async fn send_pending(&self, pending: &AtomicU64, kind: Count) -> Result<()> {
        let count = pending.swap(0, Ordering::AcqRel);
        if count == 0 {
            return Ok(());
        }
        let sent = match self.check_open() {
            Err(e) => Err(e),
            Ok(()) => match kind {
                Count::Scanned => {
                    self.client
                        .increment_scanned(&self.sync_run_id, count)
                        .await
                }
                Count::Updated => {
                    self.client
                        .increment_updated(&self.sync_run_id, count)
                        .await
                }
            }
            .map_err(ConnectorError::from),
        };
        if sent.is_err() {
            pending.fetch_add(count, Ordering::AcqRel);
        }
        sent
    }

    pub(crate) fn has_pending_counts(&self) -> bool {
        self.counters.pending_scanned.load(Ordering::Acquire) > 0
            || self.counters.pending_updated.load(Ordering::Acquire) > 0
    }

    /// Puts a checkpoint and remembers it as the run's last saved state.
    pub(crate) async fn put_checkpoint(&self, state: Value) -> Result<()> {
        self.check_open()?;
        self.client
            .save_checkpoint(&self.sync_run_id, &state)
            .await?;
        *lock(&self.saved_state) = Some(state);
        Ok(())
    }

    /// The state a completion must publish: the last one saved in this run,
    /// or else the one the run started from (PROTOCOL.md §6).
    pub(crate) fn current_state(&self) -> Option<Value> {
        lock(&self.saved_state)
            .clone()
            .or_else(|| self.initial_state.clone())
    }

    /// Counts and keeps an item error.
    pub(crate) fn report_error(&self, external_id: &str, message: String) {
        self.counters.errors.fetch_add(1, Ordering::Relaxed);
        let mut kept = lock(&self.reported_errors);
        if kept.len() < MAX_KEPT_ERRORS {
            kept.push(ItemError {
                external_id: external_id.to_owned(),
                message,
            });
        }
    }

    /// The counts so far, and the errors kept.
    pub(crate) fn progress(&self) -> SyncProgress {
        SyncProgress {
            emitted: self.counters.emitted.load(Ordering::Relaxed),
            scanned: self.counters.scanned.load(Ordering::Relaxed),
            updated: self.counters.updated.load(Ordering::Relaxed),
            errors: self.counters.errors.load(Ordering::Relaxed),
            reported_errors: lock(&self.reported_errors).clone(),
        }
    }

    pub(crate) fn set_outcome(&self, outcome: RunOutcome) {
        *lock(&self.outcome) = outcome;
    }

    pub(crate) fn outcome(&self) -> RunOutcome {
        lock(&self.outcome).clone()
    }

    /// Flushes events whose age is due, and counters, in the background, so
    /// that a quiet sync still delivers what it emitted (and shows activity).
    pub(crate) fn spawn_age_flusher(self: &Arc<Self>) {
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let tick =
            (self.policy.max_age / 4).clamp(Duration::from_millis(10), Duration::from_secs(5));
        let run: Weak<Run> = Arc::downgrade(self);
        handle.spawn(async move {
            loop {
                tokio::time::sleep(tick).await;
                let Some(run) = run.upgrade() else { return };
                if run.check_open().is_err() {
                    return;
                }
                let due = {
                    let buffer = run.buffer.lock().await;
                    buffer.is_old(&run.policy) || (buffer.is_empty() && run.has_pending_counts())
                };
                if due {
                    if let Err(e) = run.flush().await {
                        tracing::warn!(sync_run_id = %run.sync_run_id, error = %e, "background flush failed; will retry");
                    }
                }
            }
        });
    }
}

/// Locks a mutex, recovering the data if a panicking thread poisoned it:
/// every value guarded here is valid at all times.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
