//! SyncContext against the in-process manager, over real loopback HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use omni_connector::testing::{Faults, MockManager, RunStatus, SourceSeed};
use omni_connector::{FlushPolicy, RetryPolicy, SyncContext, SyncMode};
use omni_connector_suite::{client, client_with, doc, document_ids};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Cursor {
    cursor: String,
}

struct Setup {
    manager: MockManager,
    source_id: String,
    run_id: String,
}

async fn setup(mode: SyncMode) -> Setup {
    let manager = MockManager::start().await.unwrap();
    let source_id = manager.add_source(SourceSeed::new("web"));
    let run_id = manager.create_run(&source_id, mode);
    Setup {
        manager,
        source_id,
        run_id,
    }
}

impl Setup {
    fn context<S>(&self, mode: SyncMode) -> SyncContext<S> {
        SyncContext::builder(client(&self.manager), &self.run_id, &self.source_id)
            .sync_mode(mode)
            .build()
    }

    fn batches(&self) -> usize {
        self.manager.count_requests("POST", "/sdk/events/batch")
    }

    /// Paths of the requests about the run, in order, without ids.
    fn run_calls(&self) -> Vec<String> {
        self.manager
            .requests()
            .into_iter()
            .filter(|r| r.path.starts_with("/sdk/sync/") || r.path == "/sdk/events/batch")
            .map(|r| r.path.rsplit('/').next().unwrap_or_default().to_owned())
            .collect()
    }
}

async fn emit_n(ctx: &SyncContext<Value>, from: usize, n: usize) {
    for i in from..from + n {
        ctx.emit(doc(i, "c")).await.unwrap();
    }
}

#[tokio::test]
async fn full_mode_sends_a_batch_every_500_events() {
    let s = setup(SyncMode::Full).await;
    let ctx = s.context::<Value>(SyncMode::Full);
    emit_n(&ctx, 0, 499).await;
    assert_eq!(s.batches(), 0, "499 events stay buffered");
    emit_n(&ctx, 499, 1).await;
    assert_eq!(s.batches(), 1);
    assert_eq!(s.manager.events(&s.run_id).len(), 500);
}

#[tokio::test]
async fn incremental_mode_sends_a_batch_every_100_events() {
    let s = setup(SyncMode::Incremental).await;
    let ctx = s.context::<Value>(SyncMode::Incremental);
    emit_n(&ctx, 0, 99).await;
    assert_eq!(s.batches(), 0);
    emit_n(&ctx, 99, 151).await;
    assert_eq!(s.batches(), 2);
    assert_eq!(s.manager.events(&s.run_id).len(), 200, "50 still buffered");
    ctx.flush().await.unwrap();
    assert_eq!(s.manager.events(&s.run_id).len(), 250);
}

#[tokio::test]
async fn realtime_mode_sends_every_event() {
    let s = setup(SyncMode::Realtime).await;
    let ctx = s.context::<Value>(SyncMode::Realtime);
    emit_n(&ctx, 0, 3).await;
    assert_eq!(s.batches(), 3);
    assert_eq!(s.manager.events(&s.run_id).len(), 3);
}

#[test]
fn default_thresholds_are_the_seeds() {
    let full = FlushPolicy::for_mode(&SyncMode::Full);
    assert_eq!(
        (full.max_events, full.max_age),
        (500, Duration::from_secs(300))
    );
    let incremental = FlushPolicy::for_mode(&SyncMode::Incremental);
    assert_eq!(
        (incremental.max_events, incremental.max_age),
        (100, Duration::from_secs(60))
    );
    assert_eq!(FlushPolicy::for_mode(&SyncMode::Realtime).max_events, 1);
}

#[tokio::test]
async fn old_events_are_flushed_without_further_emits() {
    let s = setup(SyncMode::Full).await;
    let ctx: SyncContext<Value> = SyncContext::builder(client(&s.manager), &s.run_id, &s.source_id)
        .flush_policy(FlushPolicy {
            max_events: 1000,
            max_age: Duration::from_millis(100),
        })
        .build();
    emit_n(&ctx, 0, 3).await;
    assert_eq!(s.batches(), 0);
    let deadline = Instant::now() + Duration::from_secs(5);
    while s.manager.events(&s.run_id).len() < 3 {
        assert!(Instant::now() < deadline, "aged events were never flushed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(s.batches(), 1);
}

#[tokio::test]
async fn events_arrive_in_the_order_emitted() {
    let s = setup(SyncMode::Incremental).await;
    let ctx = s.context::<Value>(SyncMode::Incremental);
    emit_n(&ctx, 0, 1234).await;
    ctx.emit_deleted("doc-3").await.unwrap();
    ctx.flush().await.unwrap();
    let ids = document_ids(&s.manager, &s.run_id);
    let mut expected: Vec<String> = (0..1234).map(|i| format!("doc-{i}")).collect();
    expected.push("doc-3".into());
    assert_eq!(ids, expected);
}

#[tokio::test]
async fn save_state_flushes_events_before_the_checkpoint() {
    let s = setup(SyncMode::Full).await;
    let ctx = s.context::<Cursor>(SyncMode::Full);
    for i in 0..10 {
        ctx.emit(doc(i, "c")).await.unwrap();
    }
    ctx.increment_scanned();
    ctx.save_state(&Cursor {
        cursor: "p2".into(),
    })
    .await
    .unwrap();
    assert_eq!(s.run_calls(), ["batch", "scanned", "checkpoint"]);
    let run = s.manager.run(&s.run_id).unwrap();
    assert_eq!(run.events, 10);
    assert_eq!(run.checkpoint, Some(json!({"cursor": "p2"})));
    assert_eq!(
        ctx.state().unwrap(),
        Some(Cursor {
            cursor: "p2".into()
        })
    );
}

#[tokio::test]
async fn complete_flushes_then_checkpoints_then_completes() {
    let s = setup(SyncMode::Full).await;
    let ctx = s.context::<Cursor>(SyncMode::Full);
    for i in 0..5 {
        ctx.emit(doc(i, "c")).await.unwrap();
    }
    ctx.complete(Cursor {
        cursor: "end".into(),
    })
    .await
    .unwrap();
    assert_eq!(s.run_calls(), ["batch", "checkpoint", "complete"]);
    let run = s.manager.run(&s.run_id).unwrap();
    assert_eq!(run.status, RunStatus::Completed);
    assert_eq!(run.events, 5);
    let source = s.manager.source(&s.source_id).unwrap();
    assert_eq!(source.checkpoint, Some(json!({"cursor": "end"})));
    // The run is over: the context refuses to send more.
    assert!(ctx.emit(doc(9, "c")).await.is_err());
}

#[tokio::test]
async fn events_of_a_failed_flush_are_delivered_by_the_next() {
    let s = setup(SyncMode::Full).await;
    let ctx: SyncContext<Value> = SyncContext::builder(
        client_with(&s.manager, RetryPolicy::none()),
        &s.run_id,
        &s.source_id,
    )
    .flush_policy(FlushPolicy {
        max_events: 4,
        max_age: Duration::from_secs(300),
    })
    .build();
    emit_n(&ctx, 0, 3).await;
    s.manager.set_faults(Faults {
        fail_every_nth: Some(1),
        ..Faults::default()
    });
    let err = ctx.emit(doc(3, "c")).await.unwrap_err();
    assert!(err.to_string().contains("503"), "{err}");
    assert!(s.manager.events(&s.run_id).is_empty());
    // Still failing: the buffer keeps growing, nothing is lost.
    assert!(ctx.emit(doc(4, "c")).await.is_err());
    assert_eq!(
        ctx.documents_emitted(),
        5,
        "buffered documents count as emitted"
    );
    s.manager.set_faults(Faults::default());
    emit_n(&ctx, 5, 1).await;
    ctx.flush().await.unwrap();
    let expected: Vec<String> = (0..6).map(|i| format!("doc-{i}")).collect();
    assert_eq!(document_ids(&s.manager, &s.run_id), expected);
}

#[tokio::test]
async fn a_503_is_retried() {
    let s = setup(SyncMode::Realtime).await;
    let ctx = s.context::<Value>(SyncMode::Realtime);
    s.manager.set_faults(Faults {
        fail_every_nth: Some(2),
        ..Faults::default()
    });
    emit_n(&ctx, 0, 10).await;
    let id = ctx
        .content_storage
        .save("text", "text/plain")
        .await
        .unwrap();
    assert!(s.manager.content(&id).is_some());
    let failures = s
        .manager
        .requests()
        .iter()
        .filter(|r| r.status == 503)
        .count();
    assert!(failures >= 5, "faults were injected: {failures}");
    assert_eq!(s.manager.events(&s.run_id).len(), 10);
}

#[tokio::test]
async fn a_429_waits_for_retry_after() {
    let s = setup(SyncMode::Realtime).await;
    let ctx = s.context::<Value>(SyncMode::Realtime);
    s.manager.set_faults(Faults {
        rate_limit_every_nth: Some(1),
        retry_after_secs: 1,
        ..Faults::default()
    });
    let task = {
        let ctx = ctx.clone();
        tokio::spawn(async move { ctx.emit(doc(0, "c")).await })
    };
    // Let the first attempt be refused, then lift the limit.
    let deadline = Instant::now() + Duration::from_secs(5);
    while !s.manager.requests().iter().any(|r| r.status == 429) {
        assert!(Instant::now() < deadline, "no 429 was answered");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let limited_at = Instant::now();
    s.manager.set_faults(Faults::default());
    task.await.unwrap().unwrap();
    assert!(
        limited_at.elapsed() >= Duration::from_millis(800),
        "retried after {:?}, before Retry-After",
        limited_at.elapsed()
    );
    assert_eq!(s.manager.events(&s.run_id).len(), 1);
}

#[tokio::test]
async fn a_400_for_a_run_that_is_not_running_is_final() {
    let s = setup(SyncMode::Realtime).await;
    let ctx = s.context::<Value>(SyncMode::Realtime);
    s.manager.mark_run_failed(&s.run_id, "stale");
    let err = ctx.emit(doc(0, "c")).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("Events may only be emitted for a running sync run"),
        "{err}"
    );
    assert_eq!(s.batches(), 1, "no retry on 400");
    // Nothing more is sent for the refused run.
    let before = s.manager.request_count();
    assert!(ctx.emit(doc(1, "c")).await.is_err());
    assert!(ctx.save_state(&json!({"x": 1})).await.is_err());
    assert!(ctx.content_storage.save("x", "text/plain").await.is_err());
    assert_eq!(s.manager.request_count(), before);
}

#[tokio::test]
async fn scanned_counts_are_coalesced() {
    let s = setup(SyncMode::Full).await;
    let ctx = s.context::<Value>(SyncMode::Full);
    for i in 0..1000 {
        ctx.emit(doc(i, "c")).await.unwrap();
        ctx.increment_scanned();
    }
    ctx.increment_updated();
    ctx.complete(None).await.unwrap();
    let run = s.manager.run(&s.run_id).unwrap();
    assert_eq!(run.documents_scanned, 1000);
    assert_eq!(run.documents_updated, 1);
    assert_eq!(ctx.documents_scanned(), 1000);
    assert_eq!(ctx.documents_emitted(), 1000);
    let scanned_calls = s
        .manager
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/scanned"))
        .count();
    // Each of the two batches carries the count so far along; the final
    // flush has nothing left to add.
    assert!(
        scanned_calls <= 3,
        "{scanned_calls} scanned calls for 1000 scans"
    );
    assert_eq!(s.batches(), 2);
}

#[tokio::test]
async fn save_binary_stores_base64() {
    let s = setup(SyncMode::Full).await;
    let ctx = s.context::<Value>(SyncMode::Full);
    let id = ctx
        .content_storage
        .save_binary(&[0, 159, 146, 150, 255], "application/octet-stream")
        .await
        .unwrap();
    let stored = s.manager.content(&id).unwrap();
    assert_eq!(stored.content, "AJ+Slv8=");
    assert_eq!(
        stored.content_type.as_deref(),
        Some("application/octet-stream")
    );
}

#[tokio::test]
async fn extraction_waits_out_a_busy_extractor() {
    let s = setup(SyncMode::Full).await;
    let ctx: SyncContext<Value> = SyncContext::builder(client(&s.manager), &s.run_id, &s.source_id)
        .extract_retry(RetryPolicy {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(5),
            max_backoff: Duration::from_millis(20),
            max_elapsed: Duration::from_secs(10),
        })
        .build();
    s.manager.set_faults(Faults {
        extractor_busy_calls: 2,
        retry_after_secs: 0,
        ..Faults::default()
    });
    let id = ctx
        .content_storage
        .extract_and_store_content(b"hello from a file", "text/plain", Some("a.txt"))
        .await
        .unwrap();
    assert_eq!(s.manager.content(&id).unwrap().content, "hello from a file");
    assert_eq!(s.manager.count_requests("POST", "/sdk/extract-content"), 3);

    s.manager.set_faults(Faults {
        extractor_busy_calls: 1,
        ..Faults::default()
    });
    let text = ctx
        .content_storage
        .extract_text(b"plain words", "text/plain", None)
        .await
        .unwrap();
    assert_eq!(text, "plain words");
    assert_eq!(s.manager.count_requests("POST", "/sdk/extract-text"), 2);
}

#[tokio::test]
async fn complete_without_state_keeps_the_starting_checkpoint() {
    let manager = MockManager::start().await.unwrap();
    let source_id = manager.add_source(SourceSeed::new("web").checkpoint(json!({"cursor": "a"})));
    let run_id = manager.create_run(&source_id, SyncMode::Incremental);
    let start = manager.source(&source_id).unwrap().checkpoint.unwrap();
    let ctx: SyncContext<Cursor> = SyncContext::builder(client(&manager), &run_id, &source_id)
        .sync_mode(SyncMode::Incremental)
        .initial_state(start)
        .build();
    assert_eq!(ctx.state().unwrap(), Some(Cursor { cursor: "a".into() }));
    ctx.emit(doc(0, "c")).await.unwrap();
    ctx.complete(None).await.unwrap();
    let source = manager.source(&source_id).unwrap();
    assert_eq!(source.checkpoint, Some(json!({"cursor": "a"})));

    // Control: completing a run that put no checkpoint wipes the source's,
    // which is what the context must avoid.
    let raw_run = manager.create_run(&source_id, SyncMode::Incremental);
    client(&manager).complete(&raw_run).await.unwrap();
    assert_eq!(manager.source(&source_id).unwrap().checkpoint, None);
}

#[tokio::test]
async fn complete_without_state_publishes_the_last_saved_one() {
    let s = setup(SyncMode::Full).await;
    let ctx = s.context::<Cursor>(SyncMode::Full);
    ctx.save_state(&Cursor {
        cursor: "mid".into(),
    })
    .await
    .unwrap();
    ctx.complete(None).await.unwrap();
    let source = s.manager.source(&s.source_id).unwrap();
    assert_eq!(source.checkpoint, Some(json!({"cursor": "mid"})));
}

#[tokio::test]
async fn other_events_and_counters() {
    let s = setup(SyncMode::Full).await;
    let ctx = s.context::<Value>(SyncMode::Full);
    ctx.emit_updated(doc(1, "c")).await.unwrap();
    ctx.emit_group_membership(
        "eng@example.com",
        Some("Engineering".into()),
        vec!["a@example.com".into()],
    )
    .await
    .unwrap();
    ctx.emit_person_sync(
        omni_connector::PersonSyncRecord::new("u1", "a@example.com").display_name("Ada"),
    )
    .await
    .unwrap();
    ctx.emit_person_deleted("b@example.com").await.unwrap();
    ctx.emit_error("doc-9", "could not parse");
    ctx.heartbeat().await.unwrap();
    ctx.save_connector_state(&json!({"webhook": "w1"}))
        .await
        .unwrap();
    ctx.fail("gave up").await.unwrap();
    let types: Vec<String> = s
        .manager
        .events(&s.run_id)
        .iter()
        .map(|e| e.event_type().to_string())
        .collect();
    assert_eq!(
        types,
        [
            "document_updated",
            "group_membership_sync",
            "person_sync",
            "person_deleted"
        ]
    );
    assert_eq!(ctx.errors(), 1);
    let run = s.manager.run(&s.run_id).unwrap();
    assert_eq!(run.status, RunStatus::Failed);
    assert_eq!(run.error.as_deref(), Some("gave up"));
    assert_eq!(
        s.manager.source(&s.source_id).unwrap().connector_state,
        Some(json!({"webhook": "w1"}))
    );
}

#[tokio::test]
async fn metadata_title_defaults_to_the_document_title() {
    let s = setup(SyncMode::Realtime).await;
    let ctx = s.context::<Value>(SyncMode::Realtime);
    ctx.emit(doc(7, "c")).await.unwrap();
    match &s.manager.events(&s.run_id)[0] {
        omni_connector::ConnectorEvent::DocumentCreated {
            metadata,
            permissions,
            ..
        } => {
            assert_eq!(metadata.title.as_deref(), Some("Document 7"));
            assert_eq!(metadata.size.as_deref(), Some("2048"));
            assert!(permissions.public);
        }
        other => panic!("unexpected event {other:?}"),
    }
}

/// A manager that answers every request with `400 {"error": ...}` and counts
/// the requests it got.
async fn refusing_manager() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = std::sync::Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            seen.fetch_add(1, Ordering::SeqCst);
            let mut buf = vec![0u8; 64 * 1024];
            let _ = stream.read(&mut buf).await;
            let body = r#"{"error":"refused"}"#;
            let answer = format!(
                "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(answer.as_bytes()).await;
        }
    });
    (url, count)
}

#[tokio::test]
async fn only_a_refused_events_call_closes_the_run() {
    use std::sync::atomic::Ordering;
    let (url, count) = refusing_manager().await;
    let client = omni_connector::SdkClient::builder(&url)
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let ctx: SyncContext<Value> = SyncContext::builder(client, "run", "source")
        .sync_mode(SyncMode::Realtime)
        .build();
    // A file the extractor refuses, or content the manager refuses, fails
    // that call only.
    assert!(ctx
        .content_storage
        .extract_text(b"x", "application/x-odd", None)
        .await
        .is_err());
    assert!(ctx.content_storage.save("x", "text/plain").await.is_err());
    assert!(ctx.content_storage.save("y", "text/plain").await.is_err());
    assert_eq!(count.load(Ordering::SeqCst), 3, "each call was sent");
    // A refused events batch closes the run: nothing more is sent.
    assert!(ctx.emit(doc(0, "c")).await.is_err());
    assert_eq!(count.load(Ordering::SeqCst), 4);
    assert!(ctx.emit(doc(1, "c")).await.is_err());
    assert!(ctx.content_storage.save("z", "text/plain").await.is_err());
    assert_eq!(count.load(Ordering::SeqCst), 4);
}

/// A manager whose events calls are answered only when `release` is
/// notified; it keeps the document ids of every batch, in order.
async fn gated_manager() -> (
    String,
    std::sync::Arc<tokio::sync::Notify>,
    std::sync::Arc<std::sync::Mutex<Vec<Vec<String>>>>,
) {
    use std::sync::{Arc, Mutex};
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let release = Arc::new(tokio::sync::Notify::new());
    let batches = Arc::new(Mutex::new(Vec::new()));
    let (gate, seen) = (release.clone(), batches.clone());
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (gate, seen) = (gate.clone(), seen.clone());
            tokio::spawn(async move {
                let mut stream = BufReader::new(stream);
                loop {
                    let mut length = 0;
                    let mut line = String::new();
                    loop {
                        line.clear();
                        if stream.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        if line == "\r\n" {
                            break;
                        }
                        if let Some((name, value)) = line.split_once(':') {
                            if name.eq_ignore_ascii_case("content-length") {
                                length = value.trim().parse().unwrap();
                            }
                        }
                    }
                    let mut body = vec![0; length];
                    stream.read_exact(&mut body).await.unwrap();
                    let body: Value = serde_json::from_slice(&body).unwrap();
                    let ids = body["events"].as_array().map(|events| {
                        events
                            .iter()
                            .map(|e| e["document_id"].as_str().unwrap().to_owned())
                            .collect::<Vec<_>>()
                    });
                    if let Some(ids) = ids {
                        gate.notified().await;
                        seen.lock().unwrap().push(ids);
                    }
                    let answer = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 15\r\n\r\n{\"status\":\"ok\"}";
                    stream.get_mut().write_all(answer.as_bytes()).await.unwrap();
                }
            });
        }
    });
    (url, release, batches)
}

#[tokio::test]
async fn other_tasks_keep_emitting_while_a_batch_is_sent() {
    let (url, release, batches) = gated_manager().await;
    let client = omni_connector::SdkClient::builder(&url)
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let ctx: SyncContext<Value> = SyncContext::builder(client, "run", "source")
        .flush_policy(FlushPolicy {
            max_events: 2,
            max_age: Duration::from_secs(300),
        })
        .build();
    emit_n(&ctx, 0, 1).await;
    // The second event fills the buffer: that emit waits for its batch.
    let filling = {
        let ctx = ctx.clone();
        tokio::spawn(async move { ctx.emit(doc(1, "c")).await })
    };
    // On this single-threaded runtime the spawned emit runs until it waits
    // for the manager's answer, past taking the batch.
    while ctx.documents_emitted() < 2 {
        tokio::task::yield_now().await;
    }
    // Meanwhile another task's emit goes into the next buffer at once.
    tokio::time::timeout(Duration::from_secs(10), emit_n(&ctx, 2, 1))
        .await
        .expect("an emit waited for another task's batch");
    assert!(
        !filling.is_finished(),
        "the first batch is still unanswered"
    );
    release.notify_one();
    filling.await.unwrap().unwrap();
    let flushing = {
        let ctx = ctx.clone();
        tokio::spawn(async move { ctx.flush().await })
    };
    release.notify_one();
    flushing.await.unwrap().unwrap();
    assert_eq!(
        *batches.lock().unwrap(),
        [vec!["doc-0", "doc-1"], vec!["doc-2"]],
        "batches in the order emitted"
    );
}
