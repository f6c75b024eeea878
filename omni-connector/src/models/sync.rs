//! The manager's sync and cancel requests, and the connector's answers
//! (PROTOCOL.md §2).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::string_enum::string_enum;
use super::time;

string_enum! {
    /// How a sync runs.
    pub enum SyncMode {
        /// Everything, from scratch.
        Full = "full",
        /// Only what changed since the state the run starts from.
        Incremental = "incremental",
        /// A long-lived run that sends changes as they happen.
        Realtime = "realtime",
    }
}

impl SyncMode {
    /// `realtime` has a slot of its own: one realtime and one
    /// full/incremental run may go on at once for a source (PROTOCOL.md §2).
    pub fn is_realtime(&self) -> bool {
        matches!(self, Self::Realtime)
    }
}

/// `POST /sync`: the manager asks the connector to sync a source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncRequest {
    /// The run's id.
    pub sync_run_id: String,
    /// The source to sync.
    pub source_id: String,
    /// Full, incremental or realtime.
    pub sync_mode: SyncMode,
    /// When the source last synced successfully.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::optional"
    )]
    pub last_sync_at: Option<DateTime<Utc>>,
    /// The state the sync starts from: the source's published checkpoint on
    /// a fresh run, the run's own last checkpoint on a resumed one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<Value>,
    /// True when the manager resumes a run the connector lost (absent or
    /// `null` means false).
    #[serde(
        default,
        skip_serializing_if = "std::ops::Not::not",
        deserialize_with = "null_as_false"
    )]
    pub is_resume: bool,
}

/// PROTOCOL.md: an optional field may be absent or `null`; both mean false.
fn null_as_false<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(Option::<bool>::deserialize(d)?.unwrap_or(false))
}

/// The answer to `POST /sync`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncResponse {
    /// `started` or `error`.
    pub status: String,
    /// What went wrong, with `error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl SyncResponse {
    /// `{"status":"started"}`.
    pub fn started() -> Self {
        Self {
            status: "started".into(),
            message: None,
        }
    }

    /// `{"status":"error","message":...}`.
    pub fn error(message: impl Into<String>) -> Self {
        Self {
            status: "error".into(),
            message: Some(message.into()),
        }
    }
}

/// `GET /sync/{sync_run_id}`: whether the connector is running that sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncStatusResponse {
    /// True while the run's task is alive.
    pub running: bool,
}

/// `POST /cancel`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelRequest {
    /// The run to cancel.
    pub sync_run_id: String,
}

/// The answer to `POST /cancel`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelResponse {
    /// `cancelled` or `not_found`.
    pub status: String,
}

impl CancelResponse {
    /// `{"status":"cancelled"}`.
    pub fn cancelled() -> Self {
        Self {
            status: "cancelled".into(),
        }
    }

    /// `{"status":"not_found"}`.
    pub fn not_found() -> Self {
        Self {
            status: "not_found".into(),
        }
    }
}

/// `GET /health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthResponse {
    /// Always `healthy`.
    pub status: String,
    /// The connector's name.
    pub service: String,
}

impl HealthResponse {
    /// `{"status":"healthy","service":name}`.
    pub fn healthy(service: impl Into<String>) -> Self {
        Self {
            status: "healthy".into(),
            service: service.into(),
        }
    }
}
