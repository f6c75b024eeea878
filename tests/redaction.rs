//! Credentials and source config never reach the logs, even when syncs and
//! actions fail. Captures every log line of a whole session at TRACE.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use omni_connector::testing::{MockManager, RunStatus, SourceSeed};
use omni_connector::{Server, ServerConfig, SyncMode};
use omni_connector_suite::client;
use omni_connector_suite::http::send;
use omni_connector_suite::probe::Probe;
use serde_json::json;

const TOKEN: &str = "tok-9f8e7d6c5b4a";
const CONFIG_SECRET: &str = "cfg-1a2b3c4d5e6f";

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn secrets_never_reach_the_logs() {
    let capture = Capture::default();
    let writer = capture.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing_subscriber::filter::LevelFilter::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();

    let manager = MockManager::start().await.unwrap();
    let server = Server::new(
        Probe::default(),
        ServerConfig::new(manager.url(), "127.0.0.1", 0),
    )
    .configure(|c| c.bind = IpAddr::V4(Ipv4Addr::LOCALHOST))
    .client(client(&manager))
    .start()
    .await
    .unwrap();
    let source_id = manager.add_source(
        SourceSeed::new("web")
            .config(json!({"behaviour": "error", "api_key": CONFIG_SECRET}))
            .credentials(json!({"token": TOKEN})),
    );
    // A sync that fails.
    let run_id = manager
        .trigger_sync(&server.local_url(), &source_id, SyncMode::Full)
        .await
        .unwrap();
    let run = manager
        .wait_for_run(&run_id, Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(run.status, RunStatus::Failed);

    // A sync refused because the secret has the wrong type.
    let bad = manager.add_source(SourceSeed::new("web").credentials(json!({"token": [TOKEN]})));
    assert!(manager
        .trigger_sync(&server.local_url(), &bad, SyncMode::Full)
        .await
        .is_err());

    // A sync refused because the config has the wrong type: the refusal
    // names the field but never quotes the value.
    let odd = manager.add_source(
        SourceSeed::new("web")
            .config(json!({"docs": CONFIG_SECRET}))
            .credentials(json!({"token": TOKEN})),
    );
    let refused = manager
        .trigger_sync(&server.local_url(), &odd, SyncMode::Full)
        .await
        .unwrap_err();
    assert_eq!(refused.status, 400);
    assert!(refused.body.contains("config.docs"), "{}", refused.body);
    assert!(
        !refused.body.contains(CONFIG_SECRET),
        "the refusal quotes the config: {}",
        refused.body
    );
    tracing::info!(refusal = %refused, "refusal seen by the manager");

    // Actions that fail, carrying the credential row and the source.
    let source = serde_json::to_value(manager.source(&source_id).unwrap()).unwrap();
    let row = json!({
        "id": "c1", "source_id": source_id, "provider": "web", "auth_type": "bearer_token",
        "credentials": {"token": TOKEN}, "config": {"secret": CONFIG_SECRET},
        "created_at": "+002026-12-03T16:08:46.354247000Z",
        "updated_at": "+002026-12-03T16:08:46.354247000Z"
    });
    for action in ["echo", "explode", "nope"] {
        let body = json!({"action": action, "params": {}, "credentials": row, "source": source});
        let answer = send(
            server.local_addr(),
            "POST",
            "/action",
            Some(&body.to_string()),
        )
        .await;
        assert_ne!(answer.status, 200);
        assert!(!String::from_utf8_lossy(&answer.body).contains(TOKEN));
    }
    // Debug output of the models that carry secrets.
    let credential: omni_connector::ServiceCredential = serde_json::from_value(row).unwrap();
    tracing::error!(?credential, source = ?manager.source(&source_id).unwrap(), "debug dump");
    server.shutdown().await;

    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("sync failed"), "the capture works: {logs}");
    assert!(logs.contains("debug dump") && logs.contains("<redacted>"));
    assert!(
        !logs.contains(TOKEN),
        "a credential leaked into the logs:\n{logs}"
    );
    assert!(
        !logs.contains(CONFIG_SECRET),
        "source config leaked into the logs:\n{logs}"
    );
}
