//! `Probe`: a hand-written connector whose behaviour each source's config
//! chooses, for exercising the runtime.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use omni_connector::{
    ActionContext, ActionDefinition, ActionParameter, ActionResponse, Connector, ConnectorError,
    Document, DocumentPermissions, Result, ResultExt, SyncContext, SyncMode,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// What a probe sync does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Behaviour {
    /// Emits its documents and completes with a new state.
    #[default]
    Complete,
    /// Emits its documents and returns Ok without completing.
    ReturnOk,
    /// Emits its documents, then returns an error with a cause.
    Error,
    /// Emits its documents, then panics.
    Panic,
    /// Emits one document per 20 ms, checking for cancellation.
    Cooperative,
    /// Emits one document, then never returns and ignores cancellation.
    Hang,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ProbeConfig {
    #[serde(default)]
    pub behaviour: Behaviour,
    #[serde(default = "three")]
    pub docs: usize,
}

fn three() -> usize {
    3
}

#[derive(Debug, Clone, Deserialize)]
pub struct ProbeCredentials {
    pub token: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeState {
    pub synced: usize,
}

/// What the probe saw, for assertions.
#[derive(Debug, Default)]
pub struct Seen {
    pub states: Mutex<Vec<(Option<ProbeState>, bool)>>,
    pub tokens: Mutex<Vec<String>>,
    pub cancels: Mutex<Vec<String>>,
    pub syncs: AtomicUsize,
}

#[derive(Debug, Clone, Default)]
pub struct Probe {
    pub seen: Arc<Seen>,
    pub realtime: bool,
}

impl Connector for Probe {
    type Config = ProbeConfig;
    type Credentials = ProbeCredentials;
    type State = ProbeState;

    fn name(&self) -> &str {
        "probe"
    }

    fn version(&self) -> &str {
        "0.1.0"
    }

    fn sync_modes(&self) -> Vec<SyncMode> {
        let mut modes = vec![SyncMode::Full, SyncMode::Incremental];
        if self.realtime {
            modes.push(SyncMode::Realtime);
        }
        modes
    }

    fn source_types(&self) -> Vec<String> {
        vec!["web".into()]
    }

    fn actions(&self) -> Vec<ActionDefinition> {
        vec![
            ActionDefinition::from_parameters(
                "echo",
                "Answers its parameters",
                [ActionParameter::new("text", "string").required(true)],
            ),
            ActionDefinition::from_parameters("explode", "Panics", []),
        ]
    }

    async fn sync(
        &self,
        config: ProbeConfig,
        credentials: ProbeCredentials,
        state: Option<ProbeState>,
        ctx: &SyncContext<ProbeState>,
    ) -> Result<()> {
        self.seen.syncs.fetch_add(1, Ordering::SeqCst);
        self.seen
            .states
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((state.clone(), ctx.is_resume()));
        self.seen
            .tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(credentials.token.clone());
        let start = state.map_or(0, |s| s.synced);
        match config.behaviour {
            Behaviour::Cooperative => {
                for i in start.. {
                    tokio::select! {
                        _ = ctx.cancelled() => return Err(ctx.cancelled_error()),
                        _ = tokio::time::sleep(Duration::from_millis(20)) => {}
                    }
                    emit(ctx, i).await?;
                }
                Ok(())
            }
            Behaviour::Hang => {
                emit(ctx, start).await?;
                ctx.flush().await?;
                loop {
                    // Deliberately deaf to cancellation.
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                }
            }
            behaviour => {
                for i in start..start + config.docs {
                    emit(ctx, i).await?;
                    ctx.increment_scanned();
                }
                let synced = start + config.docs;
                match behaviour {
                    Behaviour::Complete => ctx.complete(ProbeState { synced }).await,
                    Behaviour::ReturnOk => {
                        ctx.save_state(&ProbeState { synced }).await?;
                        Ok(())
                    }
                    Behaviour::Error => {
                        Err(std::io::Error::other("disk on fire")).context("reading the source")
                    }
                    _ => panic!("probe told to panic after {synced} documents"),
                }
            }
        }
    }

    fn cancel(&self, sync_run_id: &str) {
        self.seen
            .cancels
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(sync_run_id.to_owned());
    }

    async fn execute_action(
        &self,
        action: &str,
        params: Value,
        ctx: ActionContext,
    ) -> ActionResponse {
        match action {
            "echo" => match params.get("text").and_then(Value::as_str) {
                Some(text) => {
                    let token = ctx
                        .credentials_as::<ProbeCredentials>()
                        .map(|c| c.token.len())
                        .unwrap_or(0);
                    ActionResponse::success(json!({"text": text, "token_len": token}))
                }
                None => ActionResponse::failure("missing parameter `text`"),
            },
            "explode" => panic!("explode was called"),
            other => ActionResponse::not_supported(other),
        }
    }
}

async fn emit(ctx: &SyncContext<ProbeState>, i: usize) -> Result<(), ConnectorError> {
    let content_id = ctx
        .content_storage
        .save(&format!("body of document {i}"), "text/plain")
        .await?;
    ctx.emit(
        Document::new(format!("doc-{i}"), format!("Document {i}"), content_id)
            .with_permissions(DocumentPermissions::public()),
    )
    .await
}
