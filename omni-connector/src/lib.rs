//! Build connectors for [Omni](https://github.com/getomnico/omni).
#![warn(missing_docs)]

pub mod client;
pub mod context;
pub mod error;
mod http;
pub mod models;
#[cfg(feature = "testing")]
pub mod testing;

pub use error::{
    BoxError, ConfigurationError, ConnectorError, Result, ResultExt, SdkClientError,
    SdkClientErrorKind, SyncCancelledError,
};
pub use models::*;
