//! The connector's HTTP server, end to end: a hand-written connector served
//! on loopback and driven by the in-process manager.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use omni_connector::testing::{MockManager, RunStatus, SourceSeed};
use omni_connector::{ConfigurationError, Server, ServerConfig, ServerHandle, SyncMode};
use omni_connector_suite::http::send;
use omni_connector_suite::probe::{Probe, ProbeState};
use omni_connector_suite::{client, document_ids};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(10);

async fn serve(manager: &MockManager, probe: Probe) -> ServerHandle {
    Server::new(probe, ServerConfig::new(manager.url(), "127.0.0.1", 0))
        .configure(|c| {
            c.bind = IpAddr::V4(Ipv4Addr::LOCALHOST);
            c.cancel_grace = Duration::from_millis(300);
            c.shutdown_timeout = Duration::from_secs(1);
            c.body_limit = 64 * 1024;
        })
        .client(client(manager))
        .start()
        .await
        .unwrap()
}

fn source(manager: &MockManager, config: serde_json::Value) -> String {
    manager.add_source(
        SourceSeed::new("web")
            .config(config)
            .credentials(json!({"token": "s3cr3t-t0ken"})),
    )
}

async fn finished(manager: &MockManager, run_id: &str) -> omni_connector::testing::RunSnapshot {
    manager
        .wait_for_run(run_id, WAIT)
        .await
        .expect("run did not finish in time")
}

async fn until(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn registers_then_syncs_to_completion() {
    let manager = MockManager::start().await.unwrap();
    let probe = Probe::default();
    let server = serve(&manager, probe.clone()).await;
    until("registration", || !manager.registrations().is_empty()).await;
    let manifest = &manager.registrations()[0];
    assert_eq!(manifest.connector_id, "probe");
    assert_eq!(manifest.connector_url, server.connector_url());

    let source_id = source(&manager, json!({"docs": 4}));
    let run_id = manager
        .trigger_sync(&server.local_url(), &source_id, SyncMode::Full)
        .await
        .unwrap();
    let run = finished(&manager, &run_id).await;
    assert_eq!(run.status, RunStatus::Completed, "{run:?}");
    assert_eq!(run.documents_scanned, 4);
    assert_eq!(run.checkpoint, Some(json!({"synced": 4})));
    assert_eq!(
        document_ids(&manager, &run_id),
        ["doc-0", "doc-1", "doc-2", "doc-3"]
    );
    let content_id = match &manager.events(&run_id)[2] {
        omni_connector::ConnectorEvent::DocumentCreated { content_id, .. } => content_id.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        manager.content(&content_id).unwrap().content,
        "body of document 2"
    );
    assert_eq!(
        probe.seen.tokens.lock().unwrap().as_slice(),
        ["s3cr3t-t0ken"]
    );
    until("slot release", || server.running_syncs() == 0).await;

    // The next incremental run starts from the published state.
    let run_id = manager
        .trigger_sync(&server.local_url(), &source_id, SyncMode::Incremental)
        .await
        .unwrap();
    assert_eq!(
        finished(&manager, &run_id).await.status,
        RunStatus::Completed
    );
    assert_eq!(
        document_ids(&manager, &run_id),
        ["doc-4", "doc-5", "doc-6", "doc-7"]
    );
    let states = probe.seen.states.lock().unwrap().clone();
    assert_eq!(
        states,
        [(None, false), (Some(ProbeState { synced: 4 }), false)]
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_resumed_run_starts_from_its_own_checkpoint() {
    let manager = MockManager::start().await.unwrap();
    let probe = Probe::default();
    let server = serve(&manager, probe.clone()).await;
    let source_id = source(&manager, json!({"docs": 2}));
    let run_id = manager.create_run(&source_id, SyncMode::Full);
    client(&manager)
        .save_checkpoint(&run_id, &json!({"synced": 10}))
        .await
        .unwrap();
    manager
        .resume_sync(&server.local_url(), &run_id)
        .await
        .unwrap();
    assert_eq!(
        finished(&manager, &run_id).await.status,
        RunStatus::Completed
    );
    assert_eq!(
        probe.seen.states.lock().unwrap().as_slice(),
        [(Some(ProbeState { synced: 10 }), true)]
    );
    assert_eq!(document_ids(&manager, &run_id), ["doc-10", "doc-11"]);
    server.shutdown().await;
}

#[tokio::test]
async fn one_sync_per_slot_and_realtime_has_its_own() {
    let manager = MockManager::start().await.unwrap();
    let probe = Probe {
        realtime: true,
        ..Probe::default()
    };
    let server = serve(&manager, probe.clone()).await;
    let source_id = source(&manager, json!({"behaviour": "cooperative"}));
    let first = manager
        .trigger_sync(&server.local_url(), &source_id, SyncMode::Full)
        .await
        .unwrap();
    let second = manager
        .trigger_sync(&server.local_url(), &source_id, SyncMode::Incremental)
        .await
        .unwrap_err();
    assert_eq!(second.status, 409);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&second.body).unwrap(),
        json!({"status": "error", "message": "Sync already in progress for this source"})
    );
    let realtime = manager
        .trigger_sync(&server.local_url(), &source_id, SyncMode::Realtime)
        .await
        .unwrap();
    // The realtime run's events go out one by one; the full run buffers.
    until("both syncs running", || {
        probe.seen.syncs.load(Ordering::SeqCst) == 2 && !manager.events(&realtime).is_empty()
    })
    .await;
    assert_eq!(server.running_syncs(), 2);
    let status = send(server.local_addr(), "GET", &format!("/sync/{first}"), None).await;
    assert_eq!(status.json(), json!({"running": true}));
    for run in [&first, &realtime] {
        manager.cancel_sync(&server.local_url(), run).await.unwrap();
    }
    until("slots released", || server.running_syncs() == 0).await;
    server.shutdown().await;
}

#[tokio::test]
async fn realtime_is_refused_when_not_declared() {
    let manager = MockManager::start().await.unwrap();
    let server = serve(&manager, Probe::default()).await;
    let source_id = source(&manager, json!({}));
    let err = manager
        .trigger_sync(&server.local_url(), &source_id, SyncMode::Realtime)
        .await
        .unwrap_err();
    assert_eq!(err.status, 404);
    server.shutdown().await;
}

#[tokio::test]
async fn cancel_stops_a_cooperative_sync_within_a_second() {
    let manager = MockManager::start().await.unwrap();
    let probe = Probe::default();
    let server = serve(&manager, probe.clone()).await;
    let source_id = source(&manager, json!({"behaviour": "cooperative"}));
    let run_id = manager
        .trigger_sync(&server.local_url(), &source_id, SyncMode::Full)
        .await
        .unwrap();
    until("some content", || {
        manager.count_requests("POST", "/sdk/content") >= 2
    })
    .await;
    let asked = Instant::now();
    let (status, body) = manager
        .cancel_sync(&server.local_url(), &run_id)
        .await
        .unwrap();
    assert_eq!((status, body), (200, json!({"status": "cancelled"})));
    until("the sync to stop", || server.running_syncs() == 0).await;
    assert!(
        asked.elapsed() < Duration::from_secs(1),
        "took {:?}",
        asked.elapsed()
    );
    assert_eq!(
        probe.seen.cancels.lock().unwrap().as_slice(),
        std::slice::from_ref(&run_id)
    );
    let status = send(server.local_addr(), "GET", &format!("/sync/{run_id}"), None).await;
    assert_eq!(status.json(), json!({"running": false}));

    // Nothing more is sent for the run.
    let after = manager.request_count();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(manager.request_count(), after);
    assert_eq!(manager.run(&run_id).unwrap().status, RunStatus::Cancelled);

    let unknown = manager
        .cancel_sync(&server.local_url(), "no-such-run")
        .await
        .unwrap();
    assert_eq!(unknown, (404, json!({"status": "not_found"})));
    server.shutdown().await;
}

#[tokio::test]
async fn a_sync_that_ignores_cancel_is_aborted_and_its_slot_freed() {
    let manager = MockManager::start().await.unwrap();
    let server = serve(&manager, Probe::default()).await;
    let source_id = source(&manager, json!({"behaviour": "hang"}));
    let run_id = manager
        .trigger_sync(&server.local_url(), &source_id, SyncMode::Full)
        .await
        .unwrap();
    until("the first document", || !manager.events(&run_id).is_empty()).await;
    manager
        .cancel_sync(&server.local_url(), &run_id)
        .await
        .unwrap();
    // Within the grace period the slot is still held...
    assert_eq!(server.running_syncs(), 1);
    // ...and after it, freed whatever the task does.
    until("the slot to be freed", || server.running_syncs() == 0).await;
    let health = send(server.local_addr(), "GET", "/health", None).await;
    assert_eq!(health.status, 200);
    let again = manager
        .trigger_sync(&server.local_url(), &source_id, SyncMode::Full)
        .await;
    assert!(again.is_ok(), "a new sync is accepted: {again:?}");
    // Shutdown is bounded even with a sync that ignores it.
    let started = Instant::now();
    server.shutdown().await;
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_panicking_sync_fails_its_run_and_the_server_lives_on() {
    let manager = MockManager::start().await.unwrap();
    let server = serve(&manager, Probe::default()).await;
    let source_id = source(&manager, json!({"behaviour": "panic", "docs": 2}));
    let run_id = manager
        .trigger_sync(&server.local_url(), &source_id, SyncMode::Full)
        .await
        .unwrap();
    let run = finished(&manager, &run_id).await;
    assert_eq!(run.status, RunStatus::Failed);
    assert_eq!(
        run.error.as_deref(),
        Some("sync panicked: probe told to panic after 2 documents")
    );
    assert_eq!(
        run.events, 2,
        "what was emitted before the panic is delivered"
    );
    let health = send(server.local_addr(), "GET", "/health", None).await;
    assert_eq!(
        health.json(),
        json!({"status": "healthy", "service": "probe"})
    );
    server.shutdown().await;
}

#[tokio::test]
async fn an_error_fails_the_run_with_its_whole_chain() {
    let manager = MockManager::start().await.unwrap();
    let server = serve(&manager, Probe::default()).await;
    let source_id = source(&manager, json!({"behaviour": "error"}));
    let run_id = manager
        .trigger_sync(&server.local_url(), &source_id, SyncMode::Full)
        .await
        .unwrap();
    let run = finished(&manager, &run_id).await;
    assert_eq!(run.status, RunStatus::Failed);
    assert_eq!(
        run.error.as_deref(),
        Some("reading the source: disk on fire")
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_sync_that_returns_ok_is_completed_with_its_saved_state() {
    let manager = MockManager::start().await.unwrap();
    let server = serve(&manager, Probe::default()).await;
    let source_id = source(&manager, json!({"behaviour": "return_ok", "docs": 2}));
    let run_id = manager
        .trigger_sync(&server.local_url(), &source_id, SyncMode::Full)
        .await
        .unwrap();
    let run = finished(&manager, &run_id).await;
    assert_eq!(run.status, RunStatus::Completed);
    assert_eq!(
        manager.source(&source_id).unwrap().checkpoint,
        Some(json!({"synced": 2}))
    );
    server.shutdown().await;
}

#[tokio::test]
async fn sync_requests_that_cannot_work_are_refused_before_starting() {
    let manager = MockManager::start().await.unwrap();
    let probe = Probe::default();
    let server = serve(&manager, probe.clone()).await;
    let addr = server.local_addr();

    let bad_config = source(&manager, json!({"docs": "many"}));
    let err = manager
        .trigger_sync(&server.local_url(), &bad_config, SyncMode::Full)
        .await
        .unwrap_err();
    assert_eq!(err.status, 400);
    assert!(err.body.contains("config.docs"), "{}", err.body);

    let no_token = manager.add_source(SourceSeed::new("web").credentials(json!({"user": "x"})));
    let err = manager
        .trigger_sync(&server.local_url(), &no_token, SyncMode::Full)
        .await
        .unwrap_err();
    assert_eq!(err.status, 400);
    assert!(err.body.contains("missing field `token`"), "{}", err.body);

    let wrong_type =
        manager.add_source(SourceSeed::new("web").credentials(json!({"token": 12345678})));
    let err = manager
        .trigger_sync(&server.local_url(), &wrong_type, SyncMode::Full)
        .await
        .unwrap_err();
    assert!(err.body.contains("credentials.token"), "{}", err.body);
    assert!(
        !err.body.contains("12345678"),
        "secret echoed: {}",
        err.body
    );

    let bad_state = manager.add_source(
        SourceSeed::new("web")
            .credentials(json!({"token": "t"}))
            .checkpoint(json!({"synced": -1})),
    );
    let err = manager
        .trigger_sync(&server.local_url(), &bad_state, SyncMode::Full)
        .await
        .unwrap_err();
    assert_eq!(err.status, 400);
    assert!(err.body.contains("state.synced"), "{}", err.body);

    let unknown = send(
        addr,
        "POST",
        "/sync",
        Some(r#"{"sync_run_id":"r1","source_id":"nope","sync_mode":"full"}"#),
    )
    .await;
    assert_eq!(unknown.status, 404);
    assert_eq!(
        unknown.json(),
        json!({"status": "error", "message": "Source not found: nope"})
    );
    assert_eq!(probe.seen.syncs.load(Ordering::SeqCst), 0, "no sync ran");
    assert_eq!(
        server.running_syncs(),
        0,
        "every refused sync released its slot"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn bad_requests_get_clear_answers() {
    let manager = MockManager::start().await.unwrap();
    let server = serve(&manager, Probe::default()).await;
    let addr = server.local_addr();

    let malformed = send(addr, "POST", "/sync", Some(r#"{"sync_run_id": "#)).await;
    assert_eq!(malformed.status, 400);
    assert_eq!(malformed.json()["status"], "error");

    let wrong_type = send(
        addr,
        "POST",
        "/sync",
        Some(r#"{"sync_run_id":1,"source_id":"s","sync_mode":"full"}"#),
    )
    .await;
    assert_eq!(wrong_type.status, 400);
    let message = wrong_type.json()["message"].as_str().unwrap().to_owned();
    assert!(message.contains("`sync_run_id`"), "{message}");

    let huge = format!(r#"{{"sync_run_id":"{}"}}"#, "x".repeat(100 * 1024));
    let oversized = send(addr, "POST", "/sync", Some(&huge)).await;
    assert_eq!(oversized.status, 413);

    let unknown = send(addr, "GET", "/nowhere", None).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.json()["status"], "error");

    let wrong_method = send(addr, "DELETE", "/sync", None).await;
    assert_eq!(wrong_method.status, 405);
    assert_eq!(wrong_method.header("allow"), Some("POST"));

    let manifest = send(addr, "GET", "/manifest", None).await.json();
    assert_eq!(manifest["name"], "probe");
    assert_eq!(manifest["connector_url"], server.connector_url());
    assert_eq!(manifest["actions"][0]["name"], "echo");
    server.shutdown().await;
}

#[tokio::test]
async fn actions_answer_over_http() {
    let manager = MockManager::start().await.unwrap();
    let server = serve(&manager, Probe::default()).await;
    let addr = server.local_addr();

    let ok = send(
        addr,
        "POST",
        "/action",
        Some(r#"{"action":"echo","params":{"text":"hi"}}"#),
    )
    .await;
    assert_eq!(ok.status, 200);
    assert_eq!(
        ok.json(),
        json!({"status": "success", "result": {"text": "hi", "token_len": 0}})
    );

    let failed = send(addr, "POST", "/action", Some(r#"{"action":"echo"}"#)).await;
    assert_eq!(failed.status, 400);
    assert_eq!(
        failed.json(),
        json!({"status": "error", "error": "missing parameter `text`"})
    );

    let unknown = send(
        addr,
        "POST",
        "/action",
        Some(r#"{"action":"nope","params":{}}"#),
    )
    .await;
    assert_eq!(unknown.status, 404);
    assert_eq!(
        String::from_utf8(unknown.body).unwrap(),
        r#"{"status":"error","error":"Action not supported: nope"}"#
    );

    let panicked = send(addr, "POST", "/action", Some(r#"{"action":"explode"}"#)).await;
    assert_eq!(panicked.status, 500);
    assert_eq!(
        panicked.json()["error"],
        "action `explode` panicked: explode was called"
    );

    let malformed = send(addr, "POST", "/action", Some("{")).await;
    assert_eq!(malformed.status, 400);
    assert_eq!(malformed.json()["status"], "error");
    assert!(send(addr, "GET", "/health", None).await.status == 200);
    server.shutdown().await;
}

#[tokio::test]
async fn shutdown_flushes_and_leaves_the_run_to_be_resumed() {
    let manager = MockManager::start().await.unwrap();
    let server = serve(&manager, Probe::default()).await;
    let source_id = source(&manager, json!({"behaviour": "cooperative"}));
    let run_id = manager
        .trigger_sync(&server.local_url(), &source_id, SyncMode::Full)
        .await
        .unwrap();
    until("some content", || {
        manager.count_requests("POST", "/sdk/content") >= 3
    })
    .await;
    let started = Instant::now();
    server.shutdown().await;
    assert!(started.elapsed() < Duration::from_secs(5));
    let run = manager.run(&run_id).unwrap();
    assert_eq!(
        run.status,
        RunStatus::Running,
        "not failed: the manager resumes it"
    );
    // Every document whose content was stored was emitted and delivered.
    let stored = manager.count_requests("POST", "/sdk/content");
    assert_eq!(manager.events(&run_id).len(), stored);
}

#[test]
fn missing_environment_variables_are_named() {
    // The only test in this binary that touches the environment.
    for name in ["CONNECTOR_MANAGER_URL", "CONNECTOR_HOST_NAME", "PORT"] {
        std::env::remove_var(name);
    }
    let err = ServerConfig::from_env().unwrap_err();
    assert!(matches!(
        err,
        ConfigurationError::MissingEnv {
            name: "CONNECTOR_MANAGER_URL",
            ..
        }
    ));
    assert!(err.to_string().contains("CONNECTOR_MANAGER_URL"), "{err}");
    std::env::set_var("CONNECTOR_MANAGER_URL", "http://127.0.0.1:9");
    let err = ServerConfig::from_env().unwrap_err().to_string();
    assert!(
        err.starts_with("environment variable CONNECTOR_HOST_NAME is not set"),
        "{err}"
    );
    std::env::set_var("CONNECTOR_HOST_NAME", "probe");
    std::env::set_var("PORT", "eighty");
    let err = ServerConfig::from_env().unwrap_err().to_string();
    assert!(err.contains("PORT") && err.contains("eighty"), "{err}");
    std::env::set_var("PORT", "8080");
    let config = ServerConfig::from_env().unwrap();
    assert_eq!((config.host_name.as_str(), config.port), ("probe", 8080));
}
