//! The SDK's errors.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

/// A boxed error from any source.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The SDK's result type: `Result<T, ConnectorError>` unless said otherwise.
pub type Result<T, E = ConnectorError> = std::result::Result<T, E>;

/// Everything that can go wrong in a connector.
///
/// A sync returns it; the runtime fails the run with its full chain of
/// causes. Most SDK errors convert into it with `?`; wrap others with
/// [`ConnectorError::other`] or [`ResultExt::context`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectorError {
    /// A call to the manager failed.
    #[error(transparent)]
    Sdk(#[from] SdkClientError),
    /// The sync was cancelled.
    #[error(transparent)]
    Cancelled(#[from] SyncCancelledError),
    /// Configuration, credentials, state or environment are wrong.
    #[error(transparent)]
    Configuration(#[from] ConfigurationError),
    /// JSON that did not encode or decode.
    #[error("JSON error: {0}")]
    Json(#[from] serde_json::Error),
    /// An I/O error.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// A message, with an optional cause.
    #[error("{message}")]
    Message {
        /// What went wrong.
        message: String,
        /// Why.
        #[source]
        source: Option<BoxError>,
    },
    /// Any other error.
    #[error(transparent)]
    Other(BoxError),
}

impl ConnectorError {
    /// An error with just a message.
    pub fn msg(message: impl fmt::Display) -> Self {
        Self::Message {
            message: message.to_string(),
            source: None,
        }
    }

    /// Wraps any error.
    pub fn other(error: impl Into<BoxError>) -> Self {
        Self::Other(error.into())
    }

    /// True when this is a cancellation, which the runtime neither completes
    /// nor fails.
    pub fn is_cancelled(&self) -> bool {
        matches!(self, Self::Cancelled(_))
    }

    /// The error and all its causes, joined with `: `.
    pub fn chain(&self) -> String {
        error_chain(self)
    }
}

impl From<BoxError> for ConnectorError {
    fn from(error: BoxError) -> Self {
        Self::Other(error)
    }
}

/// Formats an error with all its causes, skipping causes whose text the
/// previous message already contains (as `#[error(transparent)]` and
/// `{0}`-style messages repeat them).
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(err) = cause {
        let part = err.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        cause = err.source();
    }
    text
}

/// Adds context to any error, turning it into a [`ConnectorError`].
///
/// ```
/// use omni_connector::{ResultExt, Result};
/// fn read(path: &str) -> Result<String> {
///     std::fs::read_to_string(path).context(format!("reading {path}"))
/// }
/// let err = read("/no/such/file").unwrap_err();
/// assert!(err.chain().starts_with("reading /no/such/file: "));
/// ```
pub trait ResultExt<T> {
    /// Wraps the error with a message saying what was being done.
    fn context(self, message: impl fmt::Display) -> Result<T>;
}

impl<T, E: Into<BoxError>> ResultExt<T> for std::result::Result<T, E> {
    fn context(self, message: impl fmt::Display) -> Result<T> {
        self.map_err(|e| ConnectorError::Message {
            message: message.to_string(),
            source: Some(e.into()),
        })
    }
}

/// A call to the manager that failed: which call, how, and after how many
/// attempts.
#[derive(Debug)]
pub struct SdkClientError {
    operation: Cow<'static, str>,
    kind: SdkClientErrorKind,
    attempts: u32,
}

/// How a call to the manager failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum SdkClientErrorKind {
    /// The manager answered with a status that is not a success.
    Status {
        /// The HTTP status.
        status: u16,
        /// The answer's body (the manager's `error` message when it sent one).
        body: String,
        /// The `Retry-After` it asked for, on 429.
        retry_after: Option<Duration>,
    },
    /// The manager could not be reached, or the connection broke.
    Transport(String),
    /// No answer within the request timeout.
    Timeout(Duration),
    /// The answer did not decode.
    Decode(String),
    /// The request could not be built or sent at all (bad URL, a run that is
    /// no longer running, a cancelled sync).
    Request(String),
}

impl SdkClientError {
    #[allow(dead_code)] // used by the SDK client, not on this branch
    pub(crate) fn new(operation: impl Into<Cow<'static, str>>, kind: SdkClientErrorKind) -> Self {
        Self {
            operation: operation.into(),
            kind,
            attempts: 1,
        }
    }

    #[allow(dead_code)] // used by the SDK client, not on this branch
    pub(crate) fn with_attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts;
        self
    }

    /// The operation that failed, e.g. `POST /sdk/events/batch`.
    pub fn operation(&self) -> &str {
        &self.operation
    }

    /// How it failed.
    pub fn kind(&self) -> &SdkClientErrorKind {
        &self.kind
    }

    /// How many attempts were made.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The HTTP status, when the manager answered.
    pub fn status(&self) -> Option<u16> {
        match self.kind {
            SdkClientErrorKind::Status { status, .. } => Some(status),
            _ => None,
        }
    }

    /// The answer's body, when the manager answered.
    pub fn body(&self) -> Option<&str> {
        match &self.kind {
            SdkClientErrorKind::Status { body, .. } => Some(body),
            _ => None,
        }
    }

    /// Whether trying again may succeed: connection errors, timeouts, 5xx
    /// and 429. Other 4xx answers are final (PROTOCOL.md §3: a 400 for a run
    /// that is not running must never be retried).
    pub fn is_retryable(&self) -> bool {
        match &self.kind {
            SdkClientErrorKind::Status { status, .. } => *status == 429 || *status >= 500,
            SdkClientErrorKind::Transport(_) | SdkClientErrorKind::Timeout(_) => true,
            SdkClientErrorKind::Decode(_) | SdkClientErrorKind::Request(_) => false,
        }
    }

    /// Whether the manager refused the call for good (a 4xx other than 429).
    pub fn is_rejected(&self) -> bool {
        matches!(self.status(), Some(400..=499)) && self.status() != Some(429)
    }
}

impl fmt::Display for SdkClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed", self.operation)?;
        if self.attempts > 1 {
            write!(f, " after {} attempts", self.attempts)?;
        }
        match &self.kind {
            SdkClientErrorKind::Status { status, body, .. } => {
                write!(f, ": manager answered {status}")?;
                if !body.is_empty() {
                    write!(f, ": {body}")?;
                }
                Ok(())
            }
            SdkClientErrorKind::Transport(why) => write!(f, ": could not reach the manager: {why}"),
            SdkClientErrorKind::Timeout(after) => write!(f, ": no answer within {after:?}"),
            SdkClientErrorKind::Decode(why) => write!(f, ": unexpected answer: {why}"),
            SdkClientErrorKind::Request(why) => write!(f, ": {why}"),
        }
    }
}

impl std::error::Error for SdkClientError {}

/// The sync was cancelled (the manager called `POST /cancel`, or the
/// connector is shutting down).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("sync {sync_run_id} was cancelled")]
pub struct SyncCancelledError {
    /// The cancelled run.
    pub sync_run_id: String,
}

/// Configuration, credentials, state or the environment are wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigurationError {
    /// A required environment variable is not set.
    #[error("environment variable {name} is not set: {purpose}")]
    MissingEnv {
        /// The variable.
        name: &'static str,
        /// What it is for.
        purpose: &'static str,
    },
    /// A setting has a value that cannot work.
    #[error("invalid {name} `{value}`: {reason}")]
    Invalid {
        /// The setting.
        name: String,
        /// Its value.
        value: String,
        /// Why it cannot work.
        reason: String,
    },
    /// A JSON document did not decode into the connector's type.
    #[error("{what} does not match the connector's type: {message}")]
    Decode {
        /// `config`, `credentials`, `state`...
        what: String,
        /// The decoder's message, naming the field.
        message: String,
    },
}
