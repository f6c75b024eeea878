//! SdkClient: every endpoint against the in-process manager, and its errors.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use omni_connector::testing::{Faults, MockManager, RunStatus, SourceSeed};
use omni_connector::{
    ConnectorEvent, ConnectorManifest, RetryPolicy, SdkClient, SdkClientErrorKind, SyncMode,
};
use omni_connector_suite::{client, client_with};
use serde_json::json;

#[tokio::test]
async fn every_endpoint_round_trips() {
    let manager = MockManager::start().await.unwrap();
    let c = client(&manager);
    let source_id = manager.add_source(
        SourceSeed::new("github")
            .name("Repos")
            .config(json!({"org": "acme"}))
            .credentials(json!({"token": "t0k"}))
            .checkpoint(json!({"page": 2})),
    );

    manager.set_registration_health_check(false);
    let mut manifest = ConnectorManifest::new("probe", "Probe", "1.0.0", vec![SyncMode::Full]);
    manifest.connector_url = "http://127.0.0.1:1".into();
    c.register(&manifest).await.unwrap();
    assert_eq!(manager.registrations(), [manifest]);

    let source = c.get_source(&source_id).await.unwrap();
    assert_eq!(
        (source.name.as_str(), source.source_type.as_str()),
        ("Repos", "github")
    );
    assert_eq!(source.checkpoint, Some(json!({"page": 2})));
    let credential = c.get_credentials(&source_id).await.unwrap().unwrap();
    assert_eq!(credential.credentials, json!({"token": "t0k"}));
    let config = c.get_sync_config(&source_id).await.unwrap();
    assert_eq!(config.config, json!({"org": "acme"}));
    let by_type = c.get_sources_by_type("github").await.unwrap();
    assert_eq!(by_type.len(), 1);

    let bare = manager.add_source(SourceSeed::new("web"));
    assert!(
        c.get_credentials(&bare).await.unwrap().is_none(),
        "404 means none"
    );

    manager.set_user_email(&source_id, "ada@example.com");
    assert_eq!(
        c.get_user_email(&source_id).await.unwrap(),
        "ada@example.com"
    );
    manager.set_connector_config("github", json!({"app_id": 7}));
    assert_eq!(
        c.get_connector_config("github").await.unwrap(),
        json!({"app_id": 7})
    );
    c.save_connector_state(&source_id, &json!({"hook": 1}))
        .await
        .unwrap();
    assert_eq!(
        manager.source(&source_id).unwrap().connector_state,
        Some(json!({"hook": 1}))
    );

    let run = c.create_sync(&source_id, "full").await.unwrap();
    let event = ConnectorEvent::DocumentDeleted {
        sync_run_id: run.clone(),
        source_id: source_id.clone(),
        document_id: "d1".into(),
    };
    c.emit_event(&run, &source_id, &event).await.unwrap();
    c.emit_events_batch(&run, &source_id, std::slice::from_ref(&event))
        .await
        .unwrap();
    assert_eq!(manager.events(&run), [event.clone(), event]);
    let content_id = c
        .store_content(&run, "hello", Some("text/plain"))
        .await
        .unwrap();
    assert_eq!(manager.content(&content_id).unwrap().content, "hello");
    let extracted = c
        .extract_content(&run, b"file text", "text/plain", Some("f.txt"), None)
        .await
        .unwrap();
    assert_eq!(manager.content(&extracted).unwrap().content, "file text");
    c.heartbeat(&run).await.unwrap();
    c.increment_scanned(&run, 5).await.unwrap();
    c.increment_updated(&run, 2).await.unwrap();
    c.save_checkpoint(&run, &json!({"page": 3})).await.unwrap();
    let snapshot = manager.run(&run).unwrap();
    assert_eq!(
        (snapshot.documents_scanned, snapshot.documents_updated),
        (5, 2)
    );
    c.complete(&run).await.unwrap();
    assert_eq!(
        manager.source(&source_id).unwrap().checkpoint,
        Some(json!({"page": 3}))
    );
    // Calls for a run that is over answer 200 and change nothing.
    c.increment_scanned(&run, 1).await.unwrap();
    assert_eq!(manager.run(&run).unwrap().documents_scanned, 5);

    let failing = c.create_sync(&source_id, "incremental").await.unwrap();
    c.fail(&failing, "broken").await.unwrap();
    assert_eq!(
        manager.run(&failing).unwrap().error.as_deref(),
        Some("broken")
    );
    let cancelled = manager.create_run(&source_id, SyncMode::Full);
    assert!(c.cancel_sync(&cancelled).await.unwrap());
    assert_eq!(
        manager.run(&cancelled).unwrap().status,
        RunStatus::Cancelled
    );
    let notified = c.notify_webhook(&source_id, "push").await.unwrap();
    assert!(manager.run(&notified).is_some());
}

#[tokio::test]
async fn errors_name_the_call_the_status_and_the_message() {
    let manager = MockManager::start().await.unwrap();
    let c = client(&manager);
    let err = c.get_source("nope").await.unwrap_err();
    assert_eq!(err.status(), Some(404));
    assert_eq!(err.body(), Some("Source not found: nope"));
    assert_eq!(err.operation(), "GET /sdk/source/nope");
    assert_eq!(err.attempts(), 1, "a 404 is not retried");
    assert_eq!(
        err.to_string(),
        "GET /sdk/source/nope failed: manager answered 404: Source not found: nope"
    );
    // Ids cannot change the path they are put in.
    let err = c.get_source("../register").await.unwrap_err();
    assert_eq!(err.operation(), "GET /sdk/source/..%2Fregister");
}

#[tokio::test]
async fn retries_are_bounded_and_reported() {
    let manager = MockManager::start().await.unwrap();
    let c = client_with(
        &manager,
        RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(5),
            max_elapsed: Duration::from_secs(5),
        },
    );
    let source_id = manager.add_source(SourceSeed::new("web"));
    manager.set_faults(Faults {
        fail_every_nth: Some(1),
        ..Faults::default()
    });
    let err = c.get_source(&source_id).await.unwrap_err();
    assert_eq!((err.status(), err.attempts()), (Some(503), 3));
    assert!(err.to_string().contains("after 3 attempts"), "{err}");
    assert_eq!(manager.request_count(), 3);

    manager.set_faults(Faults {
        drop_every_nth: Some(2),
        ..Faults::default()
    });
    for _ in 0..5 {
        c.get_source(&source_id).await.unwrap();
    }
}

#[tokio::test]
async fn a_slow_manager_times_out() {
    let manager = MockManager::start().await.unwrap();
    let c = SdkClient::builder(&manager.url())
        .timeout(Duration::from_millis(100))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    manager.set_faults(Faults {
        delay: Some(Duration::from_secs(2)),
        ..Faults::default()
    });
    let started = Instant::now();
    let err = c.heartbeat("r1").await.unwrap_err();
    assert!(
        matches!(err.kind(), SdkClientErrorKind::Timeout(_)),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn an_unreachable_manager_is_a_transport_error() {
    let manager = MockManager::start().await.unwrap();
    let url = manager.url();
    manager.shutdown().await;
    let c = SdkClient::builder(&url)
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let err = c.heartbeat("r1").await.unwrap_err();
    assert!(
        matches!(err.kind(), SdkClientErrorKind::Transport(_)),
        "{err}"
    );
    assert!(err.is_retryable());
}

#[test]
fn bad_manager_urls_are_configuration_errors() {
    let err = SdkClient::new("https://manager:3004")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("https://manager:3004") && err.contains("http://"),
        "{err}"
    );
}
