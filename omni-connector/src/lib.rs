//! Build connectors for [Omni](https://github.com/getomnico/omni).
#![warn(missing_docs)]

#[cfg(feature = "cli")]
pub mod cli;
pub mod client;
pub mod connector;
pub mod context;
pub mod error;
mod http;
pub mod models;
pub mod server;
#[cfg(feature = "testing")]
pub mod testing;

#[cfg(feature = "cli")]
pub use cli::run;
pub use client::{RetryPolicy, SdkClient, SdkClientBuilder};
pub use connector::{ActionContext, Connector, NoConfig, NoCredentials};
pub use context::{
    ContentStorage, FlushPolicy, ItemError, RunOutcome, SyncContext, SyncContextBuilder,
    SyncProgress,
};
pub use error::{
    BoxError, ConfigurationError, ConnectorError, Result, ResultExt, SdkClientError,
    SdkClientErrorKind, SyncCancelledError,
};
pub use models::*;
pub use server::{serve, ServeExt, Server, ServerConfig, ServerHandle};

// ---------------------------------------------------------------------------
// Macros (issue #4): `#[connector]`, `#[derive(Schema)]`, the `Schema` trait,
// the prelude, and the hidden paths the generated code uses.
// ---------------------------------------------------------------------------

mod action_error;
pub mod schema;

pub use action_error::ActionError;

pub use omni_connector_macros::{action, connector, param, params, sync, Schema};
pub use schema::Schema;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

#[doc(hidden)]
pub use server::__fuzz;

/// Everything a connector usually needs: `use omni_connector::prelude::*;`.
pub mod prelude {
    pub use crate::{
        action, connector, param, params, sync, ActionContext, ActionError, ActionMode,
        ActionResponse, Connector, ConnectorError, Document, DocumentMetadata, DocumentPermissions,
        NoConfig, NoCredentials, Result, ResultExt, Schema, ServeExt, SyncContext, SyncMode,
    };
    pub use chrono::{DateTime, Utc};
    pub use serde::{Deserialize, Serialize};
}

/// The workspace README's code blocks, compiled as doc tests so they stay
/// true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
