//! The server's settings and the environment they come from (PROTOCOL.md §1).

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use crate::client::MANAGER_URL_ENV;
use crate::context::FlushPolicy;
use crate::error::ConfigurationError;

/// The environment variable with the host name the manager reaches the
/// connector at.
pub const HOST_NAME_ENV: &str = "CONNECTOR_HOST_NAME";
/// The environment variable with the port to listen on.
pub const PORT_ENV: &str = "PORT";
/// The environment variable with the optional shared secret every request
/// but `GET /health` must carry (see [`ServerConfig::shared_secret`]).
pub const SHARED_SECRET_ENV: &str = "CONNECTOR_SHARED_SECRET";
/// The header that carries the shared secret.
pub const SHARED_SECRET_HEADER: &str = "x-omni-connector-secret";

/// Settings of the connector's HTTP server. Every limit has a default that
/// suits Omni's manager; see each field. `Debug` never shows the shared
/// secret.
#[derive(Clone)]
#[non_exhaustive]
pub struct ServerConfig {
    /// The manager's base URL (`CONNECTOR_MANAGER_URL`).
    pub manager_url: String,
    /// The host name the manager reaches this connector at
    /// (`CONNECTOR_HOST_NAME`); the manifest's URL is
    /// `http://{host_name}:{port}`.
    pub host_name: String,
    /// The port to listen on (`PORT`); 0 picks a free one.
    pub port: u16,
    /// The address to listen on (default all interfaces, 0.0.0.0).
    pub bind: IpAddr,
    /// Largest request body accepted (default 8 MiB); larger ones get 413.
    pub body_limit: usize,
    /// Time a client has to send a request's headers (default 30 s); an
    /// idle keep-alive connection is closed after it too.
    pub header_timeout: Duration,
    /// Largest request head (request line and headers) accepted, in bytes
    /// (default 64 KiB, at least 8 KiB); a larger head gets 431 and the
    /// connection is closed. At most 100 headers are accepted whatever the
    /// size (431 too).
    pub max_header_bytes: usize,
    /// Time a client has to send a request's body (default 60 s).
    pub body_timeout: Duration,
    /// Most connections served at once (default 1024); more wait to be
    /// accepted.
    pub max_connections: usize,
    /// How long a cancelled sync may take to stop before it is aborted and
    /// its slot freed (default 30 s).
    pub cancel_grace: Duration,
    /// How long shutdown waits for syncs to stop and flush (default 20 s).
    pub shutdown_timeout: Duration,
    /// How often the connector registers with the manager (default 30 s;
    /// the manager forgets a registration after 300 s).
    pub register_interval: Duration,
    /// Flush thresholds for every run instead of each mode's defaults
    /// (PROTOCOL.md §6); the local command line uses small ones to show
    /// documents as they come.
    pub flush_policy: Option<FlushPolicy>,
    /// A secret every request except `GET /health` must carry in the
    /// `x-omni-connector-secret` header, compared in constant time; 401
    /// otherwise. Off (`None`) by default, because Omni's manager does not
    /// send one today; set it (`CONNECTOR_SHARED_SECRET`) when a proxy or a
    /// newer manager adds the header.
    pub shared_secret: Option<String>,
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConfig")
            .field("manager_url", &self.manager_url)
            .field("host_name", &self.host_name)
            .field("port", &self.port)
            .field("bind", &self.bind)
            .field("body_limit", &self.body_limit)
            .field("header_timeout", &self.header_timeout)
            .field("max_header_bytes", &self.max_header_bytes)
            .field("body_timeout", &self.body_timeout)
            .field("max_connections", &self.max_connections)
            .field("cancel_grace", &self.cancel_grace)
            .field("shutdown_timeout", &self.shutdown_timeout)
            .field("register_interval", &self.register_interval)
            .field("flush_policy", &self.flush_policy)
            .field(
                "shared_secret",
                &self.shared_secret.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// The smallest head limit the server sets.
pub(crate) const MIN_HEADER_BYTES: usize = 8 * 1024;

impl ServerConfig {
    /// Settings with the given manager URL, host name and port, and every
    /// limit at its default.
    pub fn new(manager_url: impl Into<String>, host_name: impl Into<String>, port: u16) -> Self {
        Self {
            manager_url: manager_url.into(),
            host_name: host_name.into(),
            port,
            bind: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            body_limit: 8 * 1024 * 1024,
            header_timeout: Duration::from_secs(30),
            max_header_bytes: 64 * 1024,
            body_timeout: Duration::from_secs(60),
            max_connections: 1024,
            cancel_grace: Duration::from_secs(30),
            shutdown_timeout: Duration::from_secs(20),
            register_interval: Duration::from_secs(30),
            flush_policy: None,
            shared_secret: None,
        }
    }

    /// Settings from `CONNECTOR_MANAGER_URL`, `CONNECTOR_HOST_NAME` and
    /// `PORT`; a missing or malformed one is an error naming it.
    pub fn from_env() -> Result<Self, ConfigurationError> {
        let manager_url = required_env(
            MANAGER_URL_ENV,
            "the base URL of Omni's connector-manager, e.g. http://connector-manager:3004",
        )?;
        let host_name = required_env(
            HOST_NAME_ENV,
            "the host name the manager reaches this connector at, e.g. the compose service name",
        )?;
        let port = parse_port(&required_env(PORT_ENV, "the port to listen on, e.g. 8000")?)?;
        Ok(Self::new(manager_url, host_name, port).with_env_secret())
    }

    /// Takes the shared secret from `CONNECTOR_SHARED_SECRET`, when set and
    /// not blank.
    pub(crate) fn with_env_secret(mut self) -> Self {
        if let Ok(secret) = std::env::var(SHARED_SECRET_ENV) {
            if !secret.trim().is_empty() {
                self.shared_secret = Some(secret.trim().to_owned());
            }
        }
        self
    }
}

/// Compares two byte strings in time that depends only on their lengths,
/// not on where they differ.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = u8::from(a.len() != b.len());
    let n = a.len().max(b.len());
    for i in 0..n {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0xff);
        diff |= x ^ y;
    }
    diff == 0
}

pub(crate) fn required_env(
    name: &'static str,
    purpose: &'static str,
) -> Result<String, ConfigurationError> {
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => Ok(value.trim().to_owned()),
        _ => Err(ConfigurationError::MissingEnv { name, purpose }),
    }
}

fn parse_port(text: &str) -> Result<u16, ConfigurationError> {
    text.parse().map_err(|_| ConfigurationError::Invalid {
        name: PORT_ENV.into(),
        value: text.into(),
        reason: "it must be a port number from 0 to 65535".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_and_stay_out_of_debug() {
        assert!(constant_time_eq(b"s3cret", b"s3cret"));
        assert!(!constant_time_eq(b"s3cret", b"s3creT"));
        assert!(!constant_time_eq(b"s3cret", b"s3cre"));
        assert!(!constant_time_eq(b"", b"x"));
        assert!(constant_time_eq(b"", b""));
        let mut config = ServerConfig::new("http://m:1", "h", 1);
        config.shared_secret = Some("hunter2-secret".into());
        let shown = format!("{config:?}");
        assert!(
            !shown.contains("hunter2") && shown.contains("<redacted>"),
            "{shown}"
        );
    }

    #[test]
    fn ports() {
        assert_eq!(parse_port("8000").ok(), Some(8000));
        let err = parse_port("80a").unwrap_err().to_string();
        assert!(err.contains("PORT") && err.contains("80a"), "{err}");
        assert!(parse_port("70000").is_err());
    }
}
