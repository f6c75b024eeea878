//! The connector manifest (PROTOCOL.md §4).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::string_enum::string_enum;
use super::{ActionDefinition, SyncMode};

/// What a connector tells the manager about itself when it registers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectorManifest {
    /// Lowercase kebab-case name; also the `connector_id`.
    pub name: String,
    /// Human-readable name.
    pub display_name: String,
    /// Semantic version.
    pub version: String,
    /// The sync modes it supports.
    pub sync_modes: Vec<SyncMode>,
    /// Its id: the name.
    pub connector_id: String,
    /// Where the manager reaches it: `http://{CONNECTOR_HOST_NAME}:{PORT}`.
    pub connector_url: String,
    /// Always `connector` for SDK connectors.
    #[serde(default = "default_integration_type")]
    pub integration_type: String,
    /// The source types it syncs (PROTOCOL.md §4's closed list).
    #[serde(default)]
    pub source_types: Vec<String>,
    /// What it does.
    #[serde(default)]
    pub description: Option<String>,
    /// The actions it offers.
    #[serde(default)]
    pub actions: Vec<ActionDefinition>,
    /// Search operators it adds (`from:`, `status:`...).
    #[serde(default)]
    pub search_operators: Vec<SearchOperator>,
    /// True when it never writes to the source.
    #[serde(default)]
    pub read_only: bool,
    /// JSON Schema of extra source configuration.
    #[serde(default)]
    pub extra_schema: Option<Value>,
    /// JSON Schema of the attributes its documents carry.
    #[serde(default)]
    pub attributes_schema: Option<Value>,
    /// Whether it serves MCP.
    #[serde(default)]
    pub mcp_enabled: bool,
    /// Whether its MCP catalog is loaded.
    #[serde(default)]
    pub mcp_catalog_loaded: bool,
    /// MCP resources.
    #[serde(default)]
    pub resources: Vec<Value>,
    /// MCP prompts.
    #[serde(default)]
    pub prompts: Vec<Value>,
    /// Skills.
    #[serde(default)]
    pub skills: Vec<Value>,
    /// OAuth configuration for the web app's generic flow.
    #[serde(default)]
    pub oauth: Option<Value>,
}

fn default_integration_type() -> String {
    "connector".into()
}

impl ConnectorManifest {
    /// A manifest with the required fields and every other one defaulted.
    /// `connector_id` is the name; `connector_url` is empty until the server
    /// fills it in.
    pub fn new(
        name: impl Into<String>,
        display_name: impl Into<String>,
        version: impl Into<String>,
        sync_modes: Vec<SyncMode>,
    ) -> Self {
        let name = name.into();
        Self {
            connector_id: name.clone(),
            name,
            display_name: display_name.into(),
            version: version.into(),
            sync_modes,
            connector_url: String::new(),
            integration_type: default_integration_type(),
            source_types: Vec::new(),
            description: None,
            actions: Vec::new(),
            search_operators: Vec::new(),
            read_only: false,
            extra_schema: None,
            attributes_schema: None,
            mcp_enabled: false,
            mcp_catalog_loaded: false,
            resources: Vec::new(),
            prompts: Vec::new(),
            skills: Vec::new(),
            oauth: None,
        }
    }

    /// The action with this name.
    pub fn action(&self, name: &str) -> Option<&ActionDefinition> {
        self.actions.iter().find(|a| a.name == name)
    }
}

string_enum! {
    /// The kind of value a search operator takes.
    #[derive(Default)]
    pub enum SearchValueType {
        /// Free text (the default).
        #[default]
        Text = "text",
        /// A person, matched by email or name.
        Person = "person",
        /// A date or time.
        Datetime = "datetime",
    }
}

/// A search operator such as `status:open`, mapped to a document attribute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchOperator {
    /// The operator users type, without the colon.
    pub operator: String,
    /// The attribute it filters on.
    pub attribute_key: String,
    /// The kind of value.
    #[serde(default)]
    pub value_type: SearchValueType,
}

impl SearchOperator {
    /// A text operator.
    pub fn new(operator: impl Into<String>, attribute_key: impl Into<String>) -> Self {
        Self {
            operator: operator.into(),
            attribute_key: attribute_key.into(),
            value_type: SearchValueType::Text,
        }
    }
}
