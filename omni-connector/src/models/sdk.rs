//! Bodies of the manager's `/sdk/*` API (PROTOCOL.md §3).
//!
//! The SDK client writes and reads these; the in-process manager reads and
//! writes them the other way round.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{ConnectorEvent, UserFilterMode};

/// `{"status":"ok"}` and the like.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusResponse {
    /// `ok` on success.
    pub status: String,
}

impl StatusResponse {
    /// `{"status":"ok"}`.
    pub fn ok() -> Self {
        Self {
            status: "ok".into(),
        }
    }
}

/// The manager's error body: `{"error": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorResponse {
    /// What went wrong.
    pub error: String,
}

/// `POST /sdk/events`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRequest {
    /// Must equal the event's.
    pub sync_run_id: String,
    /// Must equal the event's.
    pub source_id: String,
    /// The event.
    pub event: ConnectorEvent,
}

/// `POST /sdk/events/batch`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventBatchRequest {
    /// Must equal every event's.
    pub sync_run_id: String,
    /// Must equal every event's.
    pub source_id: String,
    /// The events, in order.
    pub events: Vec<ConnectorEvent>,
}

/// `POST /sdk/content`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentRequest {
    /// The run storing it.
    pub sync_run_id: String,
    /// The text.
    pub content: String,
    /// Its MIME type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
}

/// The answer to `POST /sdk/content` and `/sdk/extract-content`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentResponse {
    /// The stored content's id (a ULID).
    pub content_id: String,
}

/// The answer to `POST /sdk/extract-text`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtractTextResponse {
    /// The extracted text.
    pub text: String,
}

/// `POST /sdk/sync/{id}/scanned` and `/updated`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountRequest {
    /// How many to add (absent means 1 for `scanned`).
    #[serde(default = "one")]
    pub count: u64,
}

fn one() -> u64 {
    1
}

/// `POST /sdk/sync/{id}/fail`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailRequest {
    /// Why the run failed.
    pub error: String,
}

/// `POST /sdk/sync/cancel`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SdkCancelRequest {
    /// The run to cancel.
    pub sync_run_id: String,
}

/// The answer to `POST /sdk/sync/cancel`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SdkCancelResponse {
    /// Whether the run was cancelled.
    pub success: bool,
}

/// `POST /sdk/sync/create`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateSyncRequest {
    /// The source to sync.
    pub source_id: String,
    /// `full`, `incremental` or `realtime`.
    pub sync_type: String,
}

/// The answer to `/sdk/sync/create` and `/sdk/webhook/notify`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRunResponse {
    /// The new run's id.
    pub sync_run_id: String,
}

/// `POST /sdk/webhook/notify`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookNotifyRequest {
    /// The source that changed.
    pub source_id: String,
    /// What happened.
    pub event_type: String,
}

/// The answer to `GET /sdk/source/{id}/user-email`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserEmailResponse {
    /// The email of the source's user.
    pub email: String,
}

/// The answer to `GET /sdk/source/{id}/sync-config` (Omni's built-in source
/// types only).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncConfigResponse {
    /// The source's configuration.
    #[serde(default)]
    pub config: Value,
    /// The secrets.
    #[serde(default)]
    pub credentials: Value,
    /// Source-level state.
    #[serde(default)]
    pub connector_state: Option<Value>,
    /// The last published checkpoint.
    #[serde(default)]
    pub checkpoint: Option<Value>,
    /// The source's type.
    #[serde(default)]
    pub source_type: Option<String>,
    /// Which users are indexed.
    #[serde(default)]
    pub user_filter_mode: UserFilterMode,
    /// Users indexed with `whitelist`.
    #[serde(default)]
    pub user_whitelist: Option<Vec<String>>,
    /// Users skipped with `blacklist`.
    #[serde(default)]
    pub user_blacklist: Option<Vec<String>>,
}

impl std::fmt::Debug for SyncConfigResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncConfigResponse")
            .field("source_type", &self.source_type)
            .field("config", &"<redacted>")
            .field("credentials", &"<redacted>")
            .field("checkpoint", &self.checkpoint)
            .finish_non_exhaustive()
    }
}
