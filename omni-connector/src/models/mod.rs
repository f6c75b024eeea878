//! The wire models: every JSON body of PROTOCOL.md, with serde.
//!
//! Decoding is lenient (unknown fields are ignored, unknown enum strings are
//! kept in an `Other` arm, both timestamp forms are accepted); encoding is
//! exact (unset optional fields are left out, permissions always carry their
//! three fields, `size` is a string).

mod action;
mod document;
mod event;
mod manifest;
mod sdk;
mod source;
mod string_enum;
mod sync;
pub(crate) mod time;

pub use action::{
    ActionDefinition, ActionMode, ActionParameter, ActionRequest, ActionResponse, ActionStatus,
};
pub use document::{Document, DocumentMetadata, DocumentPermissions};
pub use event::{ConnectorEvent, EventType, PersonSyncRecord};
pub use manifest::{ConnectorManifest, SearchOperator, SearchValueType};
pub use sdk::{
    ContentRequest, ContentResponse, CountRequest, CreateSyncRequest, ErrorResponse,
    EventBatchRequest, EventRequest, ExtractTextResponse, FailRequest, SdkCancelRequest,
    SdkCancelResponse, StatusResponse, SyncConfigResponse, SyncRunResponse, UserEmailResponse,
    WebhookNotifyRequest,
};
pub use source::{ServiceCredential, Source, SourceScope, UserFilterMode};
pub use sync::{
    CancelRequest, CancelResponse, HealthResponse, SyncMode, SyncRequest, SyncResponse,
    SyncStatusResponse,
};
pub use time::parse_timestamp;
