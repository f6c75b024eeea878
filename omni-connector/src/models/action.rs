//! Actions: their definitions in the manifest, and the manager's calls
//! (PROTOCOL.md §2 and §4).

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::string_enum::string_enum;
use super::{ServiceCredential, Source};

string_enum! {
    /// Whether an action only reads or also changes the source.
    #[derive(Default)]
    pub enum ActionMode {
        /// Reads only.
        Read = "read",
        /// May change the source (the default).
        #[default]
        Write = "write",
    }
}

/// An action as listed in the manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionDefinition {
    /// The name the manager calls it by.
    pub name: String,
    /// What it does; shown to users and to AI agents.
    pub description: String,
    /// A JSON Schema object describing its parameters (PROTOCOL.md §4 says
    /// which keywords the manager refuses).
    #[serde(default = "empty_object_schema")]
    pub input_schema: Value,
    /// Read or write.
    #[serde(default)]
    pub mode: ActionMode,
    /// OAuth scopes the action needs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_scopes: Option<Vec<String>>,
    /// Source types it applies to (empty: all the connector's).
    #[serde(default)]
    pub source_types: Vec<String>,
    /// Only administrators may call it.
    #[serde(default)]
    pub admin_only: bool,
    /// Hidden from chat and agent tools, still callable by name.
    #[serde(default)]
    pub hidden: bool,
}

fn empty_object_schema() -> Value {
    json!({"type": "object", "properties": {}})
}

impl ActionDefinition {
    /// A write action with the given input schema.
    pub fn new(
        name: impl Into<String>,
        description: impl Into<String>,
        input_schema: Value,
    ) -> Self {
        Self {
            name: name.into(),
            description: description.into(),
            input_schema,
            mode: ActionMode::Write,
            required_scopes: None,
            source_types: Vec::new(),
            admin_only: false,
            hidden: false,
        }
    }

    /// An action whose schema is built from simple parameters, the way the
    /// Python SDK declares them.
    ///
    /// ```
    /// use omni_connector::{ActionDefinition, ActionParameter};
    /// let action = ActionDefinition::from_parameters(
    ///     "validate_feed",
    ///     "Check that a feed parses",
    ///     [ActionParameter::new("url", "string").required(true).description("Feed URL")],
    /// );
    /// assert_eq!(action.input_schema["required"][0], "url");
    /// ```
    pub fn from_parameters(
        name: impl Into<String>,
        description: impl Into<String>,
        parameters: impl IntoIterator<Item = ActionParameter>,
    ) -> Self {
        Self::new(name, description, ActionParameter::input_schema(parameters))
    }

    /// Sets the mode.
    pub fn mode(mut self, mode: ActionMode) -> Self {
        self.mode = mode;
        self
    }
}

/// One parameter in the Python SDK's form: a name, a JSON type and a flag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionParameter {
    /// Parameter name.
    pub name: String,
    /// JSON Schema type: `string`, `integer`, `number`, `boolean`, `array`
    /// or `object`.
    #[serde(rename = "type")]
    pub param_type: String,
    /// Whether the caller must give it.
    #[serde(default)]
    pub required: bool,
    /// What it means.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl ActionParameter {
    /// An optional parameter with no description.
    pub fn new(name: impl Into<String>, param_type: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            param_type: param_type.into(),
            required: false,
            description: None,
        }
    }

    /// Sets whether it is required.
    pub fn required(mut self, required: bool) -> Self {
        self.required = required;
        self
    }

    /// Sets the description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// The JSON Schema object for a list of parameters:
    /// `{"type":"object","properties":{...},"required":[...]}`.
    pub fn input_schema(parameters: impl IntoIterator<Item = ActionParameter>) -> Value {
        let mut properties = Map::new();
        let mut required = Vec::new();
        for p in parameters {
            let mut schema = Map::new();
            schema.insert("type".into(), Value::String(p.param_type));
            if let Some(description) = p.description {
                schema.insert("description".into(), Value::String(description));
            }
            if p.required {
                required.push(Value::String(p.name.clone()));
            }
            properties.insert(p.name, Value::Object(schema));
        }
        let mut schema = Map::new();
        schema.insert("type".into(), "object".into());
        schema.insert("properties".into(), Value::Object(properties));
        if !required.is_empty() {
            schema.insert("required".into(), Value::Array(required));
        }
        Value::Object(schema)
    }
}

/// `POST /action`: the manager asks the connector to run an action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionRequest {
    /// The action's name.
    pub action: String,
    /// Its parameters (absent or `null` means `{}`).
    #[serde(default = "empty_object", deserialize_with = "null_as_empty_object")]
    pub params: Value,
    /// The source's credential row; the secrets are its `credentials` field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<ServiceCredential>,
    /// The source the action runs for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    /// The user who asked for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_email: Option<String>,
}

fn empty_object() -> Value {
    Value::Object(Map::new())
}

/// PROTOCOL.md: an optional field may be absent or `null`; for `params`
/// both mean `{}`.
fn null_as_empty_object<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
    Ok(Option::<Value>::deserialize(d)?.unwrap_or_else(empty_object))
}

string_enum! {
    /// `success` or `error`.
    pub enum ActionStatus {
        /// The action ran.
        Success = "success",
        /// It did not.
        Error = "error",
    }
}

/// The answer to `POST /action`. Absent fields are omitted, not null.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionResponse {
    /// Success or error.
    pub status: ActionStatus,
    /// The action's result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    /// What went wrong.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl ActionResponse {
    /// A success carrying `result`.
    pub fn success(result: Value) -> Self {
        Self {
            status: ActionStatus::Success,
            result: Some(result),
            error: None,
        }
    }

    /// An error with a message.
    pub fn failure(error: impl Into<String>) -> Self {
        Self {
            status: ActionStatus::Error,
            result: None,
            error: Some(error.into()),
        }
    }

    /// The answer to an action the connector does not have:
    /// `Action not supported: <name>`.
    pub fn not_supported(action: &str) -> Self {
        Self::failure(format!("Action not supported: {action}"))
    }

    /// True for a success.
    pub fn is_success(&self) -> bool {
        self.status == ActionStatus::Success
    }
}
