//! Sources and their credentials, as the manager stores them (PROTOCOL.md §5).

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::string_enum::string_enum;
use super::time;

string_enum! {
    /// Which of a source's users are indexed.
    #[derive(Default)]
    pub enum UserFilterMode {
        /// Everyone.
        #[default]
        All = "all",
        /// Only listed users.
        Whitelist = "whitelist",
        /// Everyone but listed users.
        Blacklist = "blacklist",
    }
}

string_enum! {
    /// Whether a source belongs to the organisation or to one user.
    #[derive(Default)]
    pub enum SourceScope {
        /// Organisation-wide.
        #[default]
        Org = "org",
        /// One user's.
        User = "user",
    }
}

/// A configured source: one instance of a connector, with its settings.
///
/// Its `Debug` output leaves out `config`, which may hold secrets.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Source {
    /// The source's id.
    pub id: String,
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// Its type, from PROTOCOL.md §4's list (`web`, `github`...).
    pub source_type: String,
    /// `connector` for SDK connectors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integration_type: Option<String>,
    /// The connector's configuration for this source.
    #[serde(default)]
    pub config: Value,
    /// Whether it is enabled.
    #[serde(default)]
    pub is_active: bool,
    /// Whether it was deleted.
    #[serde(default)]
    pub is_deleted: bool,
    /// Organisation or user.
    #[serde(default)]
    pub scope: SourceScope,
    /// Which users are indexed.
    #[serde(default)]
    pub user_filter_mode: UserFilterMode,
    /// Users indexed with `whitelist`.
    #[serde(default)]
    pub user_whitelist: Option<Vec<String>>,
    /// Users skipped with `blacklist`.
    #[serde(default)]
    pub user_blacklist: Option<Vec<String>>,
    /// Source-level state kept outside the run checkpoint.
    #[serde(default)]
    pub connector_state: Option<Value>,
    /// The last published checkpoint.
    #[serde(default)]
    pub checkpoint: Option<Value>,
    /// How often the manager schedules a sync.
    #[serde(default)]
    pub sync_interval_seconds: Option<i64>,
    /// When it was created.
    #[serde(with = "time::required")]
    pub created_at: DateTime<Utc>,
    /// When it was last changed.
    #[serde(with = "time::required")]
    pub updated_at: DateTime<Utc>,
    /// The user who created it.
    #[serde(default)]
    pub created_by: String,
}

impl Source {
    /// Whether a user's items are indexed under this source's user filter.
    pub fn should_index_user(&self, email: &str) -> bool {
        let listed = |list: &Option<Vec<String>>| {
            list.as_deref()
                .unwrap_or_default()
                .iter()
                .any(|e| e.eq_ignore_ascii_case(email))
        };
        match &self.user_filter_mode {
            UserFilterMode::Whitelist => listed(&self.user_whitelist),
            UserFilterMode::Blacklist => !listed(&self.user_blacklist),
            // `all`, and modes this SDK does not know: index rather than drop.
            UserFilterMode::All | UserFilterMode::Other(_) => true,
        }
    }
}

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Source")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("source_type", &self.source_type)
            .field("config", &REDACTED)
            .field("is_active", &self.is_active)
            .field("scope", &self.scope)
            .field("user_filter_mode", &self.user_filter_mode)
            .field("checkpoint", &self.checkpoint)
            .finish_non_exhaustive()
    }
}

/// A source's credential row. The connector's secrets are its `credentials`
/// field.
///
/// Its `Debug` output leaves out `credentials` and `config`.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceCredential {
    /// The row's id.
    pub id: String,
    /// The source it belongs to.
    pub source_id: String,
    /// The user it belongs to, for user-scoped sources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The provider (`github`, `google`...).
    pub provider: String,
    /// How it authenticates (`bearer_token`, `oauth`...).
    pub auth_type: String,
    /// The account the credential acts as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_email: Option<String>,
    /// The secrets.
    pub credentials: Value,
    /// Provider configuration.
    #[serde(default)]
    pub config: Value,
    /// When it expires.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::optional"
    )]
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was last checked.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::optional"
    )]
    pub last_validated_at: Option<DateTime<Utc>>,
    /// When it was created.
    #[serde(with = "time::required")]
    pub created_at: DateTime<Utc>,
    /// When it was last changed.
    #[serde(with = "time::required")]
    pub updated_at: DateTime<Utc>,
}

impl fmt::Debug for ServiceCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceCredential")
            .field("id", &self.id)
            .field("source_id", &self.source_id)
            .field("provider", &self.provider)
            .field("auth_type", &self.auth_type)
            .field("principal_email", &self.principal_email)
            .field("credentials", &REDACTED)
            .field("config", &REDACTED)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// Stands in for secrets in `Debug` output.
struct Redacted;

const REDACTED: Redacted = Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}
