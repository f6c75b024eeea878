//! The public records the in-process manager hands to tests.

use serde_json::Value;

use crate::models::{SyncMode, UserFilterMode};

/// What the in-process manager keeps of what it receives. By default it
/// keeps everything, for tests to inspect; a benchmark that sends hundreds
/// of thousands of documents turns keeping off, so that the manager's
/// memory stays flat while it still validates and counts.
///
/// ```
/// use omni_connector::testing::ManagerOptions;
/// let options = ManagerOptions { keep_content: false, ..ManagerOptions::default() };
/// assert!(options.keep_events);
/// assert!(!ManagerOptions::counting_only().keep_requests);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ManagerOptions {
    /// Keep stored content ([`MockManager::content`](super::MockManager::content));
    /// when off, `/sdk/content` still answers a new content id.
    pub keep_content: bool,
    /// Keep accepted events ([`MockManager::events`](super::MockManager::events));
    /// when off, they are validated and counted ([`RunSnapshot::events`]).
    pub keep_events: bool,
    /// Keep a record of every request ([`MockManager::requests`](super::MockManager::requests));
    /// when off, [`MockManager::request_count`](super::MockManager::request_count) still counts them.
    pub keep_requests: bool,
}

impl Default for ManagerOptions {
    /// Keep everything.
    fn default() -> Self {
        Self {
            keep_content: true,
            keep_events: true,
            keep_requests: true,
        }
    }
}

impl ManagerOptions {
    /// Keep nothing; count requests and events only.
    pub fn counting_only() -> Self {
        Self {
            keep_content: false,
            keep_events: false,
            keep_requests: false,
        }
    }
}

/// Where a sync run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RunStatus {
    /// Accepting events.
    Running,
    /// Completed by the connector.
    Completed,
    /// Failed by the connector or marked failed by the manager.
    Failed,
    /// Cancelled.
    Cancelled,
}

impl RunStatus {
    /// The manager's spelling (`running`, `completed`...).
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }
}

/// A copy of one sync run's state.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSnapshot {
    /// The run's id.
    pub id: String,
    /// The source it syncs.
    pub source_id: String,
    /// Full, incremental or realtime.
    pub mode: SyncMode,
    /// Where it stands.
    pub status: RunStatus,
    /// Why it failed, for failed runs.
    pub error: Option<String>,
    /// Sum of the `scanned` counts.
    pub documents_scanned: u64,
    /// Sum of the `updated` counts.
    pub documents_updated: u64,
    /// The last checkpoint the run saved.
    pub checkpoint: Option<Value>,
    /// How many events the run accepted.
    pub events: usize,
}

/// Text stored with `/sdk/content` or `/sdk/extract-content`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredContent {
    /// The text.
    pub content: String,
    /// Its MIME type, when given.
    pub content_type: Option<String>,
}

/// One request the manager answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    /// `GET`, `POST`...
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The status answered; 0 when the connection was dropped on purpose.
    pub status: u16,
}

/// A failed call from the manager to a connector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriggerError {
    /// The connector's status code; 0 when it could not be reached.
    pub status: u16,
    /// The connector's body, or the transport error.
    pub body: String,
}

impl std::fmt::Display for TriggerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.status == 0 {
            write!(f, "connector unreachable: {}", self.body)
        } else {
            write!(f, "connector answered {}: {}", self.status, self.body)
        }
    }
}

impl std::error::Error for TriggerError {}

/// A source to add to the manager, built step by step.
///
/// ```
/// use omni_connector::testing::SourceSeed;
/// let seed = SourceSeed::new("web")
///     .name("Docs site")
///     .config(serde_json::json!({"url": "https://example.com"}));
/// # let _ = seed;
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SourceSeed {
    pub(crate) source_type: String,
    pub(crate) id: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) config: Value,
    pub(crate) credentials: Option<Value>,
    pub(crate) checkpoint: Option<Value>,
    pub(crate) connector_state: Option<Value>,
    pub(crate) user_filter_mode: UserFilterMode,
    pub(crate) user_whitelist: Option<Vec<String>>,
    pub(crate) user_blacklist: Option<Vec<String>>,
    pub(crate) is_active: bool,
}

impl SourceSeed {
    /// A source of type `source_type`, with an empty config.
    pub fn new(source_type: impl Into<String>) -> Self {
        Self {
            source_type: source_type.into(),
            id: None,
            name: None,
            config: Value::Object(Default::default()),
            credentials: None,
            checkpoint: None,
            connector_state: None,
            user_filter_mode: UserFilterMode::All,
            user_whitelist: None,
            user_blacklist: None,
            is_active: true,
        }
    }

    /// Its id (a new ULID by default).
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Its name (derived from the type by default).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Its configuration.
    pub fn config(mut self, config: Value) -> Self {
        self.config = config;
        self
    }

    /// Its secrets: a credential row is stored with these as `credentials`.
    pub fn credentials(mut self, secrets: Value) -> Self {
        self.credentials = Some(secrets);
        self
    }

    /// Its published checkpoint.
    pub fn checkpoint(mut self, checkpoint: Value) -> Self {
        self.checkpoint = Some(checkpoint);
        self
    }

    /// Its source-level connector state.
    pub fn connector_state(mut self, state: Value) -> Self {
        self.connector_state = Some(state);
        self
    }

    /// Its user filter.
    pub fn user_filter(
        mut self,
        mode: UserFilterMode,
        whitelist: Option<Vec<String>>,
        blacklist: Option<Vec<String>>,
    ) -> Self {
        self.user_filter_mode = mode;
        self.user_whitelist = whitelist;
        self.user_blacklist = blacklist;
        self
    }

    /// Whether it is enabled (true by default).
    pub fn active(mut self, active: bool) -> Self {
        self.is_active = active;
        self
    }
}
