//! Connector events, tagged by `type` (PROTOCOL.md §5).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::string_enum::string_enum;
use super::time;
use super::{DocumentMetadata, DocumentPermissions};

/// One event a sync sends to the manager.
///
/// You rarely build these by hand: [`SyncContext`](crate::SyncContext)'s
/// `emit*` methods do it. They are public for tests and custom runtimes.
// The document variants are larger than the others; boxing them would change
// the public shape of the enum for no gain on a short-lived wire value.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ConnectorEvent {
    /// A new document.
    DocumentCreated {
        /// The run this event belongs to.
        sync_run_id: String,
        /// The source this event belongs to.
        source_id: String,
        /// The document's external id.
        document_id: String,
        /// The id of its stored content.
        content_id: String,
        /// Its metadata (may be empty, never absent).
        metadata: DocumentMetadata,
        /// Its permissions.
        permissions: DocumentPermissions,
        /// Typed attributes.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        attributes: Option<Map<String, Value>>,
    },
    /// A document that changed.
    DocumentUpdated {
        /// The run this event belongs to.
        sync_run_id: String,
        /// The source this event belongs to.
        source_id: String,
        /// The document's external id.
        document_id: String,
        /// The id of its stored content.
        content_id: String,
        /// Its metadata (may be empty, never absent).
        metadata: DocumentMetadata,
        /// Its permissions, when they changed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        permissions: Option<DocumentPermissions>,
        /// Typed attributes.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        attributes: Option<Map<String, Value>>,
    },
    /// A document that is gone from the source.
    DocumentDeleted {
        /// The run this event belongs to.
        sync_run_id: String,
        /// The source this event belongs to.
        source_id: String,
        /// The document's external id.
        document_id: String,
    },
    /// The members of a group, for permission checks.
    GroupMembershipSync {
        /// The run this event belongs to.
        sync_run_id: String,
        /// The source this event belongs to.
        source_id: String,
        /// The group's email.
        group_email: String,
        /// The group's display name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        group_name: Option<String>,
        /// Emails of its members.
        member_emails: Vec<String>,
    },
    /// A person from the source's directory.
    PersonSync {
        /// The run this event belongs to.
        sync_run_id: String,
        /// The source this event belongs to.
        source_id: String,
        /// The person.
        person: PersonSyncRecord,
    },
    /// A person removed from the source's directory.
    PersonDeleted {
        /// The run this event belongs to.
        sync_run_id: String,
        /// The source this event belongs to.
        source_id: String,
        /// The person's email.
        email: String,
    },
}

impl ConnectorEvent {
    /// The event's `type` tag.
    pub fn event_type(&self) -> EventType {
        match self {
            Self::DocumentCreated { .. } => EventType::DocumentCreated,
            Self::DocumentUpdated { .. } => EventType::DocumentUpdated,
            Self::DocumentDeleted { .. } => EventType::DocumentDeleted,
            Self::GroupMembershipSync { .. } => EventType::GroupMembershipSync,
            Self::PersonSync { .. } => EventType::PersonSync,
            Self::PersonDeleted { .. } => EventType::PersonDeleted,
        }
    }

    /// The run the event belongs to.
    pub fn sync_run_id(&self) -> &str {
        match self {
            Self::DocumentCreated { sync_run_id, .. }
            | Self::DocumentUpdated { sync_run_id, .. }
            | Self::DocumentDeleted { sync_run_id, .. }
            | Self::GroupMembershipSync { sync_run_id, .. }
            | Self::PersonSync { sync_run_id, .. }
            | Self::PersonDeleted { sync_run_id, .. } => sync_run_id,
        }
    }

    /// The source the event belongs to.
    pub fn source_id(&self) -> &str {
        match self {
            Self::DocumentCreated { source_id, .. }
            | Self::DocumentUpdated { source_id, .. }
            | Self::DocumentDeleted { source_id, .. }
            | Self::GroupMembershipSync { source_id, .. }
            | Self::PersonSync { source_id, .. }
            | Self::PersonDeleted { source_id, .. } => source_id,
        }
    }

    /// The document id, for the three document events.
    pub fn document_id(&self) -> Option<&str> {
        match self {
            Self::DocumentCreated { document_id, .. }
            | Self::DocumentUpdated { document_id, .. }
            | Self::DocumentDeleted { document_id, .. } => Some(document_id),
            _ => None,
        }
    }
}

string_enum! {
    /// The `type` tag of a [`ConnectorEvent`].
    pub enum EventType {
        /// `document_created`
        DocumentCreated = "document_created",
        /// `document_updated`
        DocumentUpdated = "document_updated",
        /// `document_deleted`
        DocumentDeleted = "document_deleted",
        /// `group_membership_sync`
        GroupMembershipSync = "group_membership_sync",
        /// `person_sync`
        PersonSync = "person_sync",
        /// `person_deleted`
        PersonDeleted = "person_deleted",
    }
}

/// A person from a directory, sent with `person_sync`. Only `external_id`
/// and `email` are required; unset fields are left out of the JSON.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PersonSyncRecord {
    /// The person's id in the source.
    pub external_id: String,
    /// Their email.
    pub email: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Given name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    /// Middle name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<String>,
    /// Surname.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub surname: Option<String>,
    /// Job title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_title: Option<String>,
    /// Department.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// Division.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub division: Option<String>,
    /// Company name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_name: Option<String>,
    /// Office location.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub office_location: Option<String>,
    /// Country of work.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub work_country: Option<String>,
    /// Employee id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employee_id: Option<String>,
    /// Employee type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employee_type: Option<String>,
    /// Cost center.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_center: Option<String>,
    /// Grade.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grade: Option<String>,
    /// Band.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub band: Option<String>,
    /// Confirmation status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation_status: Option<String>,
    /// Start of employment, as the source writes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employment_start_date: Option<String>,
    /// End of employment, as the source writes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employment_end_date: Option<String>,
    /// Phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Whether the person is active.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_active: Option<bool>,
    /// Top-level department.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_department: Option<String>,
    /// External id of their manager.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager_external_id: Option<String>,
    /// When the source last changed this record.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::optional"
    )]
    pub source_updated_at: Option<DateTime<Utc>>,
}

impl PersonSyncRecord {
    /// A record with only the two required fields set.
    pub fn new(external_id: impl Into<String>, email: impl Into<String>) -> Self {
        Self {
            external_id: external_id.into(),
            email: email.into(),
            ..Self::default()
        }
    }

    /// Sets the display name.
    pub fn display_name(mut self, name: impl Into<String>) -> Self {
        self.display_name = Some(name.into());
        self
    }
}
