//! `#[connector]` end to end, without trybuild: the generated manifest, its
//! input schemas against PROTOCOL.md §4, and `execute_action`'s answers.

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, HashMap};

use omni_connector::prelude::*;
use omni_connector::{ActionResponse, Connector};
use serde_json::{json, Value};

#[derive(Deserialize)]
struct FeedConfig {
    feed_url: String,
}

#[derive(Serialize, Deserialize)]
struct FeedState {
    last_sync_time: DateTime<Utc>,
}

#[derive(Serialize)]
struct FeedInfo {
    url: String,
    timeout_secs: Option<u32>,
}

/// How an item is sorted.
#[derive(Debug, Deserialize, Schema)]
#[serde(rename_all = "snake_case")]
enum SortOrder {
    NewestFirst,
    OldestFirst,
}

/// Search the feed.
#[derive(Debug, Deserialize, Schema)]
struct SearchParams {
    /// Words to look for.
    query: String,
    /// At most this many results.
    #[serde(default)]
    limit: u32,
    #[serde(rename = "order")]
    sort: Option<SortOrder>,
}

fn extra_schema() -> Value {
    json!({"type": "object", "properties": {"feed_url": {"type": "string"}}})
}

fn attributes_schema() -> Value {
    json!({"type": "object", "properties": {"status": {"type": "string"}}})
}

struct Feeds;

/// Indexes feeds.
#[connector(
    name = "feed-reader",
    version = "1.2.3-beta.1",
    display_name = "Feed reader",
    sync_modes(full, incremental),
    source_types("web"),
    search_operators(("status", "status"), ("from", "author", person), ("after", "published", datetime)),
    read_only,
    extra_schema = extra_schema,
    attributes_schema = attributes_schema,
)]
impl Feeds {
    async fn sync(
        &self,
        config: FeedConfig,
        _credentials: NoCredentials,
        _state: Option<FeedState>,
        ctx: &SyncContext<FeedState>,
    ) -> Result<()> {
        let _ = config.feed_url;
        ctx.complete(FeedState {
            last_sync_time: Utc::now(),
        })
        .await
    }

    /// Validate that a feed URL is accessible and parses.
    #[action(mode = "read")]
    async fn validate_feed(
        &self,
        #[param(description = "The RSS/Atom feed URL to validate")] url: String,
        timeout_secs: Option<u32>,
    ) -> Result<FeedInfo, ActionError> {
        if url.starts_with("ftp:") {
            return Err(ActionError::new("only http feeds are supported"));
        }
        Ok(FeedInfo { url, timeout_secs })
    }

    /// Search the feed's items.
    #[action(name = "search", mode = "read")]
    async fn search_items(&self, #[params] params: SearchParams) -> Vec<String> {
        vec![format!(
            "{}:{}:{:?}",
            params.query, params.limit, params.sort
        )]
    }

    /// Forget everything about a feed.
    #[action(admin_only, hidden, source_types(web), required_scopes("feeds.write"))]
    async fn purge(&self, ctx: &ActionContext) -> ActionResponse {
        ActionResponse::success(json!({"actor": ctx.actor_email}))
    }

    #[allow(clippy::too_many_arguments)]
    #[action(description = "Takes every supported type.")]
    async fn types(
        &self,
        text: &str,
        flag: bool,
        small: i8,
        big: u64,
        ratio: f64,
        list: Vec<String>,
        map: HashMap<String, i32>,
        sorted: BTreeMap<String, bool>,
        any: Value,
        when: DateTime<Utc>,
        order: SortOrder,
        #[param(name = "type")] kind: Option<String>,
    ) {
        let _ = (
            text, flag, small, big, ratio, list, map, sorted, any, when, order, kind,
        );
    }

    fn cancel(&self, _sync_run_id: &str) {}
}

#[test]
fn manifest_is_exactly_as_declared() {
    let manifest = serde_json::to_value(Feeds.manifest()).unwrap();
    let expected = json!({
        "name": "feed-reader",
        "display_name": "Feed reader",
        "version": "1.2.3-beta.1",
        "sync_modes": ["full", "incremental"],
        "connector_id": "feed-reader",
        "connector_url": "",
        "integration_type": "connector",
        "source_types": ["web"],
        "description": "Indexes feeds.",
        "actions": [
            {
                "name": "validate_feed",
                "description": "Validate that a feed URL is accessible and parses.",
                "input_schema": {
                    "type": "object",
                    "properties": {
                        "url": {"type": "string", "description": "The RSS/Atom feed URL to validate"},
                        "timeout_secs": {"type": "integer", "minimum": 0}
                    },
                    "required": ["url"]
                },
                "mode": "read",
                "source_types": [],
                "admin_only": false,
                "hidden": false
            },
            {
                "name": "search",
                "description": "Search the feed's items.",
                "input_schema": {
                    "type": "object",
                    "description": "Search the feed.",
                    "properties": {
                        "query": {"type": "string", "description": "Words to look for."},
                        "limit": {"type": "integer", "minimum": 0, "description": "At most this many results."},
                        "order": {"type": "string", "description": "How an item is sorted.", "enum": ["newest_first", "oldest_first"]}
                    },
                    "required": ["query"]
                },
                "mode": "read",
                "source_types": [],
                "admin_only": false,
                "hidden": false
            },
            {
                "name": "purge",
                "description": "Forget everything about a feed.",
                "input_schema": {"type": "object", "properties": {}},
                "mode": "write",
                "required_scopes": ["feeds.write"],
                "source_types": ["web"],
                "admin_only": true,
                "hidden": true
            },
            {
                "name": "types",
                "description": "Takes every supported type.",
                "input_schema": {
                    "type": "object",
                    "properties": {
                        "text": {"type": "string"},
                        "flag": {"type": "boolean"},
                        "small": {"type": "integer"},
                        "big": {"type": "integer", "minimum": 0},
                        "ratio": {"type": "number"},
                        "list": {"type": "array", "items": {"type": "string"}},
                        "map": {"type": "object", "additionalProperties": {"type": "integer"}},
                        "sorted": {"type": "object", "additionalProperties": {"type": "boolean"}},
                        "any": {},
                        "when": {"type": "string", "format": "date-time"},
                        "order": {"type": "string", "description": "How an item is sorted.", "enum": ["newest_first", "oldest_first"]},
                        "type": {"type": "string"}
                    },
                    "required": ["text", "flag", "small", "big", "ratio", "list", "map", "sorted", "any", "when", "order"]
                },
                "mode": "write",
                "source_types": [],
                "admin_only": false,
                "hidden": false
            }
        ],
        "search_operators": [
            {"operator": "status", "attribute_key": "status", "value_type": "text"},
            {"operator": "from", "attribute_key": "author", "value_type": "person"},
            {"operator": "after", "attribute_key": "published", "value_type": "datetime"}
        ],
        "read_only": true,
        "extra_schema": {"type": "object", "properties": {"feed_url": {"type": "string"}}},
        "attributes_schema": {"type": "object", "properties": {"status": {"type": "string"}}},
        "mcp_enabled": false,
        "mcp_catalog_loaded": false,
        "resources": [],
        "prompts": [],
        "skills": [],
        "oauth": null
    });
    assert_eq!(manifest, expected, "{manifest:#}");
    assert_eq!(
        Feeds::ACTIONS,
        ["validate_feed", "search", "purge", "types"]
    );
}

/// PROTOCOL.md §4: what the manager refuses in an input schema.
fn protocol_problems(schema: &Value) -> Vec<String> {
    const FORBIDDEN: &[&str] = &[
        "$ref",
        "$defs",
        "definitions",
        "dependentRequired",
        "dependentSchemas",
        "if",
        "then",
        "else",
        "not",
    ];
    fn walk(value: &Value, path: &str, problems: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    // Keys under `properties` are parameter names, not keywords.
                    let is_property_name = path.ends_with("/properties");
                    if !is_property_name && FORBIDDEN.contains(&key.as_str()) {
                        problems.push(format!("{path}: forbidden keyword `{key}`"));
                    }
                    walk(child, &format!("{path}/{key}"), problems);
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    walk(item, &format!("{path}/{i}"), problems);
                }
            }
            _ => {}
        }
    }
    let mut problems = Vec::new();
    let Value::Object(top) = schema else {
        return vec!["not a JSON object".into()];
    };
    if top.get("type").is_some_and(|t| t != "object") {
        problems.push("top-level type is not `object`".into());
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if top.contains_key(key) {
            problems.push(format!("top-level `{key}`"));
        }
    }
    walk(schema, "", &mut problems);
    problems
}

#[test]
fn every_input_schema_passes_the_managers_rules() {
    for action in Feeds.actions() {
        let problems = protocol_problems(&action.input_schema);
        assert!(problems.is_empty(), "{}: {problems:?}", action.name);
    }
    // The checker itself catches what it should.
    assert_eq!(protocol_problems(&json!({"type": "string"})).len(), 1);
    assert_eq!(
        protocol_problems(&json!({"properties": {"a": {"$ref": "#/x"}}})).len(),
        1
    );
    assert!(protocol_problems(&json!({"properties": {"if": {}}})).is_empty());
}

async fn call(action: &str, params: Value) -> ActionResponse {
    Connector::execute_action(&Feeds, action, params, ActionContext::default()).await
}

#[tokio::test]
async fn actions_answer_as_specified() {
    let ok = call(
        "validate_feed",
        json!({"url": "https://example.com/feed", "timeout_secs": 5}),
    )
    .await;
    assert_eq!(
        ok,
        ActionResponse::success(json!({"url": "https://example.com/feed", "timeout_secs": 5}))
    );

    let optional_left_out = call("validate_feed", json!({"url": "https://x"})).await;
    assert_eq!(
        optional_left_out,
        ActionResponse::success(json!({"url": "https://x", "timeout_secs": null}))
    );

    let error_return = call("validate_feed", json!({"url": "ftp://x"})).await;
    assert_eq!(
        error_return,
        ActionResponse::failure("only http feeds are supported")
    );

    let missing = call("validate_feed", json!({"timeout_secs": 5})).await;
    assert_eq!(missing, ActionResponse::failure("missing parameter `url`"));

    let wrong_type = call(
        "validate_feed",
        json!({"url": "https://x", "timeout_secs": "x"}),
    )
    .await;
    assert_eq!(
        wrong_type,
        ActionResponse::failure(
            "invalid parameter `timeout_secs`: invalid type: string \"x\", expected u32"
        )
    );

    let not_object = call("validate_feed", json!([1])).await;
    assert_eq!(
        not_object,
        ActionResponse::failure("parameters must be a JSON object, got an array")
    );

    let unknown = call("no_such_action", json!({})).await;
    assert_eq!(unknown, ActionResponse::not_supported("no_such_action"));
    assert_eq!(
        unknown.error.as_deref(),
        Some("Action not supported: no_such_action")
    );
}

#[tokio::test]
async fn params_struct_context_and_plain_returns() {
    let search = call("search", json!({"query": "rust", "order": "oldest_first"})).await;
    assert_eq!(
        search,
        ActionResponse::success(json!(["rust:0:Some(OldestFirst)"]))
    );
    let bad = call("search", json!({"limit": 3})).await;
    assert_eq!(
        bad,
        ActionResponse::failure("invalid parameters: missing field `query`")
    );

    let ctx = ActionContext::new(None, None, Some("ada@example.com".into()));
    let purge = Connector::execute_action(&Feeds, "purge", Value::Null, ctx).await;
    assert_eq!(
        purge,
        ActionResponse::success(json!({"actor": "ada@example.com"}))
    );

    let types = call(
        "types",
        json!({
            "text": "t", "flag": true, "small": -3, "big": 7, "ratio": 0.5,
            "list": ["a"], "map": {"a": 1}, "sorted": {"b": false}, "any": [null],
            "when": "2024-01-02T03:04:05Z", "order": "newest_first", "type": "x"
        }),
    )
    .await;
    assert_eq!(types, ActionResponse::success(Value::Null));

    let range = call(
        "types",
        json!({
            "text": "t", "flag": true, "small": 300, "big": 7, "ratio": 0.5,
            "list": [], "map": {}, "sorted": {}, "any": null,
            "when": "2024-01-02T03:04:05Z", "order": "newest_first"
        }),
    )
    .await;
    assert_eq!(
        range.error.as_deref(),
        Some("invalid parameter `small`: invalid value: integer `300`, expected i8")
    );
}

#[test]
fn trait_methods_match_the_attribute() {
    assert_eq!(Feeds.name(), "feed-reader");
    assert_eq!(Feeds.version(), "1.2.3-beta.1");
    assert_eq!(
        Feeds.sync_modes(),
        vec![SyncMode::Full, SyncMode::Incremental]
    );
    Connector::cancel(&Feeds, "run-1");
}
