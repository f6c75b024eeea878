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
