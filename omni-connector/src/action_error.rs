//! [`ActionError`]: the error an action returns to its caller.

use std::fmt;

/// An action's failure, answered as `{"status":"error","error":<message>}`.
///
/// Any `E: Display` works as an action's error type; this one is a message
/// that converts from the SDK's errors and from strings.
///
/// ```
/// use omni_connector::ActionError;
/// let err = ActionError::new("feed is empty");
/// assert_eq!(err.to_string(), "feed is empty");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionError {
    message: String,
}

impl ActionError {
    /// An error with this message.
    pub fn new(message: impl fmt::Display) -> Self {
        Self {
            message: message.to_string(),
        }
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ActionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ActionError {}

impl From<crate::ConnectorError> for ActionError {
    fn from(error: crate::ConnectorError) -> Self {
        Self::new(error.chain())
    }
}

impl From<String> for ActionError {
    fn from(message: String) -> Self {
        Self { message }
    }
}

impl From<&str> for ActionError {
    fn from(message: &str) -> Self {
        Self::new(message)
    }
}

impl From<serde_json::Error> for ActionError {
    fn from(error: serde_json::Error) -> Self {
        Self::new(error)
    }
}
