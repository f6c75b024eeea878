//! The [`Connector`] trait: what a connector is, for the runtime.
//!
//! The `#[connector]` macro implements it from an annotated impl block; it
//! can also be implemented by hand.

use std::future::Future;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::context::SyncContext;
use crate::error::{ConfigurationError, Result};
use crate::models::{
    ActionDefinition, ActionResponse, ConnectorManifest, SearchOperator, ServiceCredential, Source,
    SyncMode,
};

/// A connector: its description (the manifest), its sync, and its actions.
///
/// `Config`, `Credentials` and `State` are the connector's own serde types:
/// the runtime decodes the source's config, its credential secrets and the
/// starting checkpoint into them before the sync starts, and rejects the
/// sync (400, naming the field) when they do not fit.
///
/// ```no_run
/// use omni_connector::{Connector, Document, DocumentPermissions, NoCredentials, Result, SyncContext};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Deserialize)]
/// struct Config { greeting: String }
///
/// #[derive(Serialize, Deserialize)]
/// struct State { runs: u32 }
///
/// struct Hello;
///
/// impl Connector for Hello {
///     type Config = Config;
///     type Credentials = NoCredentials;
///     type State = State;
///
///     fn name(&self) -> &str { "hello" }
///     fn version(&self) -> &str { "0.1.0" }
///
///     async fn sync(&self, config: Config, _: NoCredentials, state: Option<State>,
///                   ctx: &SyncContext<State>) -> Result<()> {
///         let content_id = ctx.content_storage.save(&config.greeting, "text/plain").await?;
///         ctx.emit(Document::new("greeting", "Greeting", content_id)
///             .with_permissions(DocumentPermissions::public())).await?;
///         let runs = state.map_or(1, |s| s.runs + 1);
///         ctx.complete(State { runs }).await
///     }
/// }
/// ```
pub trait Connector: Send + Sync + 'static {
    /// The source's configuration (`Source.config`).
    type Config: DeserializeOwned + Send + 'static;
    /// The secrets (`ServiceCredential.credentials`); [`NoCredentials`] when
    /// the connector needs none.
    type Credentials: DeserializeOwned + Send + 'static;
    /// The checkpoint a sync saves and the next one starts from.
    type State: Serialize + DeserializeOwned + Send + Sync + 'static;

    /// Lowercase kebab-case name; also the connector id.
    fn name(&self) -> &str;

    /// Semantic version.
    fn version(&self) -> &str;

    /// Human-readable name (default: the name).
    fn display_name(&self) -> &str {
        self.name()
    }

    /// What the connector does.
    fn description(&self) -> Option<&str> {
        None
    }

    /// The sync modes it supports (default: full).
    fn sync_modes(&self) -> Vec<SyncMode> {
        vec![SyncMode::Full]
    }

    /// The source types it syncs (PROTOCOL.md §4's closed list).
    fn source_types(&self) -> Vec<String> {
        Vec::new()
    }

    /// The actions it offers.
    fn actions(&self) -> Vec<ActionDefinition> {
        Vec::new()
    }

    /// The search operators it adds.
    fn search_operators(&self) -> Vec<SearchOperator> {
        Vec::new()
    }

    /// True when it never writes to the source.
    fn read_only(&self) -> bool {
        false
    }

    /// JSON Schema of extra source configuration.
    fn extra_schema(&self) -> Option<Value> {
        None
    }

    /// JSON Schema of the attributes its documents carry.
    fn attributes_schema(&self) -> Option<Value> {
        None
    }

    /// The manifest, with `connector_url` filled in.
    fn manifest(&self, connector_url: &str) -> ConnectorManifest {
        let mut manifest = ConnectorManifest::new(
            self.name(),
            self.display_name(),
            self.version(),
            self.sync_modes(),
        );
        manifest.connector_url = connector_url.to_owned();
        manifest.description = self.description().map(str::to_owned);
        manifest.source_types = self.source_types();
        manifest.actions = self.actions();
        manifest.search_operators = self.search_operators();
        manifest.read_only = self.read_only();
        manifest.extra_schema = self.extra_schema();
        manifest.attributes_schema = self.attributes_schema();
        manifest
    }

    /// Syncs a source: emit its documents through `ctx`, save state as it
    /// goes, and finish with `ctx.complete(..)`. A sync that returns `Ok`
    /// without completing is completed by the runtime; one that returns an
    /// error is failed with it.
    fn sync(
        &self,
        config: Self::Config,
        credentials: Self::Credentials,
        state: Option<Self::State>,
        ctx: &SyncContext<Self::State>,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Called when the manager cancels a run, after the run's cancellation
    /// token fired. The default does nothing.
    fn cancel(&self, sync_run_id: &str) {
        let _ = sync_run_id;
    }

    /// Runs an action. The runtime only calls this for actions listed by
    /// [`actions`](Self::actions) (others get a 404); an `error` response is
    /// answered with 400.
    fn execute_action(
        &self,
        action: &str,
        params: Value,
        ctx: ActionContext,
    ) -> impl Future<Output = ActionResponse> + Send {
        let _ = (params, ctx);
        let response = ActionResponse::not_supported(action);
        async move { response }
    }
}

/// What an action receives besides its parameters.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ActionContext {
    /// The source's credential row, when the manager sent one.
    pub credentials: Option<ServiceCredential>,
    /// The source the action runs for.
    pub source: Option<Source>,
    /// The user who asked for it.
    pub actor_email: Option<String>,
}

impl ActionContext {
    /// A context with the given parts.
    pub fn new(
        credentials: Option<ServiceCredential>,
        source: Option<Source>,
        actor_email: Option<String>,
    ) -> Self {
        Self {
            credentials,
            source,
            actor_email,
        }
    }

    /// The credential secrets decoded into the connector's type; an empty
    /// object when the manager sent no credentials.
    pub fn credentials_as<T: DeserializeOwned>(&self) -> Result<T> {
        let secrets = self.credentials.as_ref().map_or_else(
            || Value::Object(Default::default()),
            |c| c.credentials.clone(),
        );
        decode_json("credentials", secrets)
    }

    /// The source's config decoded into the connector's type.
    pub fn config_as<T: DeserializeOwned>(&self) -> Result<T> {
        let config = self
            .source
            .as_ref()
            .map_or_else(|| Value::Object(Default::default()), |s| s.config.clone());
        decode_json("config", config)
    }
}

/// Decodes a JSON document into a connector type, naming what it is and
/// the field that does not fit (`config.feed_url: invalid type: ...`).
///
/// Secrets never reach the message: for `credentials` only the field's
/// path is said, and for `config` the path and what was expected, since
/// serde's messages quote the offending value.
pub(crate) fn decode_json<T: DeserializeOwned>(what: &str, value: Value) -> Result<T> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        let location = if path == "." {
            what.to_owned()
        } else {
            format!("{what}.{path}")
        };
        let message = if what == "credentials" && !inner.starts_with("missing field") {
            format!("{location}: value of the wrong type or form (not shown: it may be secret)")
        } else if what == "config" && !inner.starts_with("missing field") {
            // A source's config may hold secrets too (an API key in the
            // wrong field): say what was expected, never quote the value.
            match inner.split_once(", expected ") {
                Some((_, expected)) => {
                    format!("{location}: value of the wrong type or form (not shown), expected {expected}")
                }
                None => format!("{location}: value of the wrong type or form (not shown)"),
            }
        } else {
            format!("{location}: {inner}")
        };
        ConfigurationError::Decode {
            what: what.to_owned(),
            message,
        }
        .into()
    })
}

/// Credentials of a connector that needs none: decodes from anything.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoCredentials;

impl<'de> serde::Deserialize<'de> for NoCredentials {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(d).map(|_| NoCredentials)
    }
}

/// Configuration of a connector that takes none: decodes from anything.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoConfig;

impl<'de> serde::Deserialize<'de> for NoConfig {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(d).map(|_| NoConfig)
    }
}
