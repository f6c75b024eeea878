//! `action`: invoke one of the connector's actions locally.

use std::io::Write;

use chrono::Utc;
use serde_json::Value;

use crate::connector::{ActionContext, Connector};
use crate::models::{ServiceCredential, Source, SourceScope, UserFilterMode};

/// Runs the action; returns the exit code: 0 success, 1 error, 2 unknown
/// action.
pub(crate) async fn run<C: Connector>(
    connector: C,
    name: &str,
    params: Value,
    credentials: Option<Value>,
    config: Option<Value>,
    out: &mut (dyn Write + Send),
) -> Result<u8, String> {
    let manifest = connector.manifest("http://localhost");
    if manifest.action(name).is_none() {
        let known: Vec<&str> = manifest.actions.iter().map(|a| a.name.as_str()).collect();
        let list = if known.is_empty() {
            "it has none".to_owned()
        } else {
            format!("it has: {}", known.join(", "))
        };
        return Err(format!(
            "unknown action `{name}` for connector {}; {list}",
            manifest.name
        ));
    }
    if !params.is_object() {
        return Err("--params: expected a JSON object of parameters".into());
    }
    let now = Utc::now();
    let source_type = manifest
        .source_types
        .first()
        .cloned()
        .unwrap_or_else(|| "web".into());
    let source = Source {
        id: "local-source".into(),
        name: format!("local {}", manifest.name),
        source_type: source_type.clone(),
        integration_type: Some("connector".into()),
        config: config.unwrap_or_else(|| Value::Object(Default::default())),
        is_active: true,
        is_deleted: false,
        scope: SourceScope::Org,
        user_filter_mode: UserFilterMode::All,
        user_whitelist: None,
        user_blacklist: None,
        connector_state: None,
        checkpoint: None,
        sync_interval_seconds: None,
        created_at: now,
        updated_at: now,
        created_by: "local".into(),
    };
    let credential = credentials.map(|secrets| ServiceCredential {
        id: "local-credential".into(),
        source_id: source.id.clone(),
        user_id: None,
        provider: source_type,
        auth_type: "local".into(),
        principal_email: None,
        credentials: secrets,
        config: Value::Object(Default::default()),
        expires_at: None,
        last_validated_at: None,
        created_at: now,
        updated_at: now,
    });
    let ctx = ActionContext::new(credential, Some(source), None);
    let response = connector.execute_action(name, params, ctx).await;
    let text = serde_json::to_string_pretty(&response).map_err(|e| e.to_string())?;
    writeln!(out, "{text}").map_err(|e| e.to_string())?;
    Ok(if response.is_success() { 0 } else { 1 })
}
