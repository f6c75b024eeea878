//! The manager's in-memory tables and the rules that change them. Every
//! method here runs under the store's mutex and does O(1) work (apart from
//! copies for the test-facing getters).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::timefmt::{manager_row, now_micros};
use super::types::{ManagerOptions, RunSnapshot, RunStatus, SourceSeed, StoredContent};
use crate::models::{
    ConnectorEvent, ConnectorManifest, ServiceCredential, Source, SourceScope, SyncMode,
};

/// The largest text `/sdk/content` keeps (5 MiB); longer text is truncated.
pub(crate) const MAX_CONTENT_BYTES: usize = 5 * 1024 * 1024;

/// A new ULID, as text.
pub(crate) fn new_id() -> String {
    ulid::Ulid::new().to_string()
}

/// One source and what hangs off it.
#[derive(Debug)]
pub(crate) struct SourceEntry {
    pub source: Source,
    pub credential: Option<ServiceCredential>,
    pub user_email: Option<String>,
    pub last_completed_at: Option<DateTime<Utc>>,
}

/// One sync run.
#[derive(Debug)]
pub(crate) struct Run {
    pub id: String,
    pub source_id: String,
    pub mode: SyncMode,
    pub status: RunStatus,
    pub error: Option<String>,
    pub scanned: u64,
    pub updated: u64,
    pub checkpoint: Option<Value>,
    pub events: Vec<ConnectorEvent>,
    /// Events accepted, counted even when they are not kept.
    pub event_count: usize,
    pub last_activity: std::time::Instant,
}

impl Run {
    pub fn snapshot(&self) -> RunSnapshot {
        RunSnapshot {
            id: self.id.clone(),
            source_id: self.source_id.clone(),
            mode: self.mode.clone(),
            status: self.status,
            error: self.error.clone(),
            documents_scanned: self.scanned,
            documents_updated: self.updated,
            checkpoint: self.checkpoint.clone(),
            events: self.event_count,
        }
    }

    pub fn touch(&mut self) {
        self.last_activity = std::time::Instant::now();
    }
}

/// Why events were refused (all 400, final).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum EventRejection {
    UnknownRun,
    NotRunning,
    Mismatch(String),
}

impl EventRejection {
    pub fn message(&self) -> String {
        match self {
            Self::UnknownRun => "Unknown sync run".into(),
            Self::NotRunning => "Events may only be emitted for a running sync run".into(),
            Self::Mismatch(m) => m.clone(),
        }
    }
}

/// The outcome of a run-scoped call (`heartbeat`, `scanned`...).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum RunCall {
    /// Applied; `true` when the run's status changed.
    Applied(bool),
    /// The run is no longer running: ignored.
    Ignored,
    /// No such run.
    Unknown,
}

/// Everything the manager remembers.
#[derive(Debug, Default)]
pub(crate) struct Store {
    /// Whether accepted events and stored content are kept (else counted).
    pub keep_events: bool,
    pub keep_content: bool,
    pub sources: HashMap<String, SourceEntry>,
    pub source_order: Vec<String>,
    pub runs: HashMap<String, Run>,
    pub contents: HashMap<String, StoredContent>,
    pub connector_configs: HashMap<String, Value>,
    pub registrations: Vec<ConnectorManifest>,
}

impl Store {
    pub fn with_options(options: ManagerOptions) -> Self {
        Self {
            keep_events: options.keep_events,
            keep_content: options.keep_content,
            ..Self::default()
        }
    }

    pub fn add_source(&mut self, seed: SourceSeed) -> String {
        let id = seed.id.unwrap_or_else(new_id);
        let now = now_micros();
        let source = Source {
            id: id.clone(),
            name: seed
                .name
                .unwrap_or_else(|| format!("{} source", seed.source_type)),
            source_type: seed.source_type,
            integration_type: Some("connector".into()),
            config: seed.config,
            is_active: seed.is_active,
            is_deleted: false,
            scope: SourceScope::Org,
            user_filter_mode: seed.user_filter_mode,
            user_whitelist: seed.user_whitelist,
            user_blacklist: seed.user_blacklist,
            connector_state: seed.connector_state,
            checkpoint: seed.checkpoint,
            sync_interval_seconds: Some(3600),
            created_at: now,
            updated_at: now,
            created_by: "01JGF7V3E0Y2R1X8P5Q7W9T4N6".into(),
        };
        if !self.sources.contains_key(&id) {
            self.source_order.push(id.clone());
        }
        self.sources.insert(
            id.clone(),
            SourceEntry {
                source,
                credential: None,
                user_email: None,
                last_completed_at: None,
            },
        );
        if let Some(secrets) = seed.credentials {
            self.set_credentials(&id, secrets);
        }
        id
    }

    pub fn set_credentials(&mut self, source_id: &str, secrets: Value) {
        let now = now_micros();
        let provider = self
            .sources
            .get(source_id)
            .map(|e| e.source.source_type.clone())
            .unwrap_or_else(|| "unknown".into());
        let row = ServiceCredential {
            id: new_id(),
            source_id: source_id.to_owned(),
            user_id: None,
            provider,
            auth_type: "bearer_token".into(),
            principal_email: None,
            credentials: secrets,
            config: Value::Object(Default::default()),
            expires_at: None,
            last_validated_at: None,
            created_at: now,
            updated_at: now,
        };
        if let Some(entry) = self.sources.get_mut(source_id) {
            entry.credential = Some(row);
        }
    }

    /// The source as the manager serializes it.
    pub fn source_json(&self, id: &str) -> Option<Value> {
        self.sources.get(id).map(|e| source_json(&e.source))
    }

    /// The credential row as the manager serializes it.
    pub fn credential_json(&self, source_id: &str) -> Option<Value> {
        let row = self.sources.get(source_id)?.credential.as_ref()?;
        let value = serde_json::to_value(row).ok()?;
        Some(manager_row(
            value,
            &[
                "created_at",
                "updated_at",
                "expires_at",
                "last_validated_at",
            ],
            &[
                "user_id",
                "principal_email",
                "expires_at",
                "last_validated_at",
            ],
        ))
    }

    pub fn create_run(&mut self, source_id: &str, mode: SyncMode) -> String {
        let id = new_id();
        self.runs.insert(
            id.clone(),
            Run {
                id: id.clone(),
                source_id: source_id.to_owned(),
                mode,
                status: RunStatus::Running,
                error: None,
                scanned: 0,
                updated: 0,
                checkpoint: None,
                events: Vec::new(),
                event_count: 0,
                last_activity: std::time::Instant::now(),
            },
        );
        id
    }

    /// Accepts a whole batch or none of it.
    pub fn accept_events(
        &mut self,
        sync_run_id: &str,
        source_id: &str,
        events: Vec<ConnectorEvent>,
    ) -> Result<(), EventRejection> {
        let run = self
            .runs
            .get_mut(sync_run_id)
            .ok_or(EventRejection::UnknownRun)?;
        if run.status != RunStatus::Running {
            return Err(EventRejection::NotRunning);
        }
        if run.source_id != source_id {
            return Err(EventRejection::Mismatch(format!(
                "Source {source_id} does not match the sync run's source {}",
                run.source_id
            )));
        }
        if let Some((i, e)) = events
            .iter()
            .enumerate()
            .find(|(_, e)| e.sync_run_id() != sync_run_id || e.source_id() != source_id)
        {
            return Err(EventRejection::Mismatch(format!(
                "Event {i} has sync_run_id {} and source_id {}, which do not match the request's sync_run_id {sync_run_id} and source_id {source_id}",
                e.sync_run_id(),
                e.source_id()
            )));
        }
        run.event_count += events.len();
        if self.keep_events {
            run.events.extend(events);
        }
        run.touch();
        Ok(())
    }

    /// Applies `change` to a running run; ignores stopped runs.
    pub fn with_running_run(&mut self, id: &str, change: impl FnOnce(&mut Run)) -> RunCall {
        match self.runs.get_mut(id) {
            None => RunCall::Unknown,
            Some(run) if run.status != RunStatus::Running => RunCall::Ignored,
            Some(run) => {
                let before = run.status;
                change(run);
                run.touch();
                RunCall::Applied(run.status != before)
            }
        }
    }

    /// Completes a running run and publishes its checkpoint to the source
    /// (a run that saved none wipes the source's checkpoint).
    pub fn complete_run(&mut self, id: &str) -> RunCall {
        let mut published = None;
        let outcome = self.with_running_run(id, |run| {
            run.status = RunStatus::Completed;
            published = Some((run.source_id.clone(), run.checkpoint.clone()));
        });
        if let Some((source_id, checkpoint)) = published {
            if let Some(entry) = self.sources.get_mut(&source_id) {
                let now = now_micros();
                entry.source.checkpoint = checkpoint;
                entry.source.updated_at = now;
                entry.last_completed_at = Some(now);
            }
        }
        outcome
    }

    /// Stops a running run with `status`; returns whether it was running.
    pub fn stop_run(&mut self, id: &str, status: RunStatus, error: Option<String>) -> RunCall {
        self.with_running_run(id, |run| {
            run.status = status;
            run.error = error;
        })
    }

    /// Stores text, truncated to [`MAX_CONTENT_BYTES`] on a char boundary.
    pub fn store_content(&mut self, mut content: String, content_type: Option<String>) -> String {
        if content.len() > MAX_CONTENT_BYTES {
            let mut end = MAX_CONTENT_BYTES;
            while !content.is_char_boundary(end) {
                end -= 1;
            }
            content.truncate(end);
        }
        let id = new_id();
        if self.keep_content {
            self.contents.insert(
                id.clone(),
                StoredContent {
                    content,
                    content_type,
                },
            );
        }
        id
    }

    /// Counts a call about a run as activity, when the run exists.
    pub fn touch_run(&mut self, id: &str) {
        if let Some(run) = self.runs.get_mut(id) {
            run.touch();
        }
    }
}

/// A Source row in the manager's JSON form (six-digit-year timestamps,
/// every column present).
pub(crate) fn source_json(source: &Source) -> Value {
    match serde_json::to_value(source) {
        Ok(value) => manager_row(value, &["created_at", "updated_at"], &["integration_type"]),
        Err(_) => Value::Null,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn deleted(run: &str, source: &str) -> ConnectorEvent {
        ConnectorEvent::DocumentDeleted {
            sync_run_id: run.into(),
            source_id: source.into(),
            document_id: "d".into(),
        }
    }

    #[test]
    fn batches_are_all_or_nothing() {
        let mut s = Store::with_options(ManagerOptions::default());
        let src = s.add_source(SourceSeed::new("web"));
        let run = s.create_run(&src, SyncMode::Full);
        let bad = vec![deleted(&run, &src), deleted(&run, "other")];
        assert!(matches!(
            s.accept_events(&run, &src, bad),
            Err(EventRejection::Mismatch(_))
        ));
        assert_eq!(s.runs[&run].events.len(), 0);
        s.accept_events(&run, &src, vec![deleted(&run, &src)])
            .unwrap();
        assert_eq!(s.runs[&run].events.len(), 1);
        assert_eq!(
            s.accept_events("nope", &src, vec![]),
            Err(EventRejection::UnknownRun)
        );
    }

    #[test]
    fn complete_publishes_or_wipes() {
        let mut s = Store::with_options(ManagerOptions::default());
        let src = s.add_source(SourceSeed::new("web").checkpoint(serde_json::json!({"c": 1})));
        let run = s.create_run(&src, SyncMode::Full);
        assert_eq!(s.complete_run(&run), RunCall::Applied(true));
        assert_eq!(s.sources[&src].source.checkpoint, None);
        assert_eq!(s.complete_run(&run), RunCall::Ignored);
        assert_eq!(s.complete_run("x"), RunCall::Unknown);
    }

    #[test]
    fn counting_only_keeps_nothing_but_counts() {
        let mut s = Store::with_options(ManagerOptions::counting_only());
        let src = s.add_source(SourceSeed::new("web"));
        let run = s.create_run(&src, SyncMode::Full);
        s.accept_events(&run, &src, vec![deleted(&run, &src), deleted(&run, &src)])
            .unwrap();
        assert!(s.runs[&run].events.is_empty());
        assert_eq!(s.runs[&run].snapshot().events, 2);
        let id = s.store_content("text".into(), None);
        assert_eq!(id.len(), 26);
        assert!(s.contents.is_empty());
    }

    #[test]
    fn content_is_truncated_on_a_char_boundary() {
        let mut s = Store::with_options(ManagerOptions::default());
        let text = "é".repeat(MAX_CONTENT_BYTES / 2 + 10);
        let id = s.store_content(text, None);
        let stored = &s.contents[&id].content;
        assert!(stored.len() <= MAX_CONTENT_BYTES);
        assert!(stored.len() > MAX_CONTENT_BYTES - 4);
    }
}
