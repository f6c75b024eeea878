//! The manager's registration rules for action input schemas and source
//! types (PROTOCOL.md §4).

use serde_json::Value;

/// The source types the manager knows (a closed list).
pub(crate) const KNOWN_SOURCE_TYPES: &[&str] = &[
    "google_drive",
    "gmail",
    "google_chat",
    "confluence",
    "jira",
    "slack",
    "github",
    "local_files",
    "file_system",
    "web",
    "notion",
    "hubspot",
    "one_drive",
    "share_point",
    "outlook",
    "outlook_calendar",
    "ms_teams",
    "fireflies",
    "imap",
    "clickup",
    "linear",
    "paperless_ngx",
    "nextcloud",
    "google_ads",
    "darwinbox",
    "windshift",
];

/// Keywords rejected anywhere in a schema.
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

/// Keywords rejected at the top level only.
const TOP_LEVEL_FORBIDDEN: &[&str] = &["anyOf", "oneOf", "allOf"];

/// Keywords whose values are data, not schemas: never searched.
const DATA_KEYWORDS: &[&str] = &["enum", "const", "default", "examples", "example"];

/// Keywords whose values map names to schemas: their keys are names.
const NAME_MAPS: &[&str] = &["properties", "patternProperties"];

/// Whether `source_type` is one the manager knows.
pub(crate) fn is_known_source_type(source_type: &str) -> bool {
    KNOWN_SOURCE_TYPES.contains(&source_type)
}

/// Checks one action's input schema; the error is the manager's message.
pub(crate) fn validate_input_schema(
    connector: &str,
    action: &str,
    schema: &Value,
) -> Result<(), String> {
    let prefix = format!("{connector}.{action} input_schema");
    let Value::Object(map) = schema else {
        return Err(format!("{prefix} must be a JSON object"));
    };
    if let Some(kind) = map.get("type") {
        if kind != "object" {
            return Err(format!("{prefix}.type must be \"object\""));
        }
    }
    for keyword in TOP_LEVEL_FORBIDDEN {
        if map.contains_key(*keyword) {
            return Err(format!("{prefix}.{keyword} is not supported"));
        }
    }
    let mut path = prefix;
    match find_forbidden(schema, false, &mut path) {
        true => Err(format!("{path} is not supported")),
        false => Ok(()),
    }
}

/// Depth-first search for a forbidden keyword; on a hit `path` is left
/// pointing at it.
fn find_forbidden(value: &Value, names: bool, path: &mut String) -> bool {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let len = path.len();
                path.push('.');
                path.push_str(key);
                if !names && FORBIDDEN.contains(&key.as_str()) {
                    return true;
                }
                let skip = !names && DATA_KEYWORDS.contains(&key.as_str());
                let child_names = !names && NAME_MAPS.contains(&key.as_str());
                if !skip && find_forbidden(child, child_names, path) {
                    return true;
                }
                path.truncate(len);
            }
            false
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                let len = path.len();
                path.push('.');
                path.push_str(&i.to_string());
                if find_forbidden(child, false, path) {
                    return true;
                }
                path.truncate(len);
            }
            false
        }
        _ => false,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(schema: Value) -> Result<(), String> {
        validate_input_schema("x", "a", &schema)
    }

    #[test]
    fn fixture_message() {
        assert_eq!(
            check(json!({"type":"object","properties":{"p":{"$ref":"#/x"}}})).unwrap_err(),
            "x.a input_schema.properties.p.$ref is not supported"
        );
    }

    #[test]
    fn accepts_plain_schemas() {
        assert!(check(json!({})).is_ok());
        assert!(check(json!({
            "type": "object",
            "properties": {
                "not": {"type": "string", "enum": ["if", "then"]},
                "q": {"type": "array", "items": {"anyOf": [{"type":"string"},{"type":"null"}]}},
                "d": {"type": "object", "default": {"$ref": "data, not a schema"}}
            },
            "required": ["q"]
        }))
        .is_ok());
    }

    #[test]
    fn rejects_each_rule() {
        assert_eq!(
            check(json!([])).unwrap_err(),
            "x.a input_schema must be a JSON object"
        );
        assert_eq!(
            check(json!({"type":"string"})).unwrap_err(),
            "x.a input_schema.type must be \"object\""
        );
        for k in ["anyOf", "oneOf", "allOf"] {
            assert_eq!(
                check(json!({k: []})).unwrap_err(),
                format!("x.a input_schema.{k} is not supported")
            );
        }
        for k in FORBIDDEN {
            assert!(
                check(json!({"properties": {"p": {"items": [{}, {*k: {}}]}}}))
                    .unwrap_err()
                    .ends_with(&format!(
                        "input_schema.properties.p.items.1.{k} is not supported"
                    ))
            );
            assert!(check(json!({*k: true})).is_err());
        }
    }

    #[test]
    fn source_types() {
        assert!(is_known_source_type("web"));
        assert!(is_known_source_type("windshift"));
        assert!(!is_known_source_type("Web"));
        assert!(!is_known_source_type("custom"));
    }
}
