//! Fault injection, end to end over loopback HTTP: a manager that fails,
//! resets, rate-limits, goes away and refuses runs; a connector that hangs,
//! panics and is shut down mid-sync. The SDK must finish what it can, lose
//! no document it accepted, and stay up. Each test prints what it measured
//! (see `omni-connector/RELIABILITY.md`); run with `--nocapture` to see it.
//!
//! Time bounds are generous: CI runs this on a loaded 2-core machine.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use omni_connector::testing::{Faults, MockManager, RunStatus, SourceSeed};
use omni_connector::{
    Connector, Document, DocumentPermissions, FlushPolicy, Result, RetryPolicy, SdkClient, Server,
    ServerConfig, ServerHandle, SyncContext, SyncMode,
};
use omni_connector_suite::http::send;
use serde::{Deserialize, Serialize};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(30);

/// The test that measures the process's memory holds this for writing,
/// every other test for reading: it runs alone, the others side by side.
static MEMORY: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

// ---- a connector that streams numbered documents --------------------------

/// What a streamer sync does, from the source's config.
#[derive(Debug, Clone, Deserialize)]
struct StreamConfig {
    /// Documents `doc-0` .. `doc-{total-1}`.
    total: usize,
    /// Save the cursor after every this many documents (0: never).
    #[serde(default)]
    save_every: usize,
    /// Pause between documents.
    #[serde(default)]
    delay_ms: u64,
    /// After the documents, hang forever, deaf to cancellation.
    #[serde(default)]
    hang: bool,
    /// Panic instead of emitting this document.
    #[serde(default)]
    panic_at: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Cursor {
    next: usize,
}

/// What the streamer saw: where each sync started and every error its
/// calls returned.
#[derive(Debug, Default)]
struct Seen {
    starts: Mutex<Vec<(Option<usize>, bool)>>,
    errors: Mutex<Vec<String>>,
}

#[derive(Debug, Clone, Default)]
struct Streamer {
    seen: Arc<Seen>,
}

impl Streamer {
    fn errors(&self) -> Vec<String> {
        self.seen.errors.lock().unwrap().clone()
    }

    fn starts(&self) -> Vec<(Option<usize>, bool)> {
        self.seen.starts.lock().unwrap().clone()
    }

    fn note<T>(&self, result: Result<T>) -> Result<T> {
        if let Err(e) = &result {
            self.seen.errors.lock().unwrap().push(e.chain());
        }
        result
    }
}

impl Connector for Streamer {
    type Config = StreamConfig;
    type Credentials = omni_connector::NoCredentials;
    type State = Cursor;

    fn name(&self) -> &str {
        "streamer"
    }

    fn version(&self) -> &str {
        "1.0.0"
    }

    fn sync_modes(&self) -> Vec<SyncMode> {
        vec![SyncMode::Full, SyncMode::Incremental]
    }

    fn source_types(&self) -> Vec<String> {
        vec!["web".into()]
    }

    async fn sync(
        &self,
        config: StreamConfig,
        _: omni_connector::NoCredentials,
        state: Option<Cursor>,
        ctx: &SyncContext<Cursor>,
    ) -> Result<()> {
        let start = state.as_ref().map_or(0, |c| c.next);
        self.seen
            .starts
            .lock()
            .unwrap()
            .push((state.map(|c| c.next), ctx.is_resume()));
        for i in start..config.total {
            if config.panic_at == Some(i) {
                panic!("streamer gave up at document {i}");
            }
            if ctx.is_cancelled() && !config.hang {
                return Err(ctx.cancelled_error());
            }
            self.note(ctx.emit(numbered(i)).await)?;
            ctx.increment_scanned();
            if config.save_every > 0 && (i + 1) % config.save_every == 0 {
                self.note(ctx.save_state(&Cursor { next: i + 1 }).await)?;
            }
            if config.delay_ms > 0 {
                let pause = tokio::time::sleep(Duration::from_millis(config.delay_ms));
                if config.hang {
                    pause.await;
                } else {
                    tokio::select! {
                        _ = ctx.cancelled() => return Err(ctx.cancelled_error()),
                        _ = pause => {}
                    }
                }
            }
        }
        if config.hang {
            self.note(ctx.flush().await)?;
            loop {
                // Deaf to cancellation on purpose.
                tokio::time::sleep(Duration::from_secs(3600)).await;
            }
        }
        let done = ctx.complete(Cursor { next: config.total }).await;
        self.note(done)
    }
}

fn numbered(i: usize) -> Document {
    Document::new(format!("doc-{i}"), format!("Document {i}"), "content-0")
        .with_permissions(DocumentPermissions::public())
}

// ---- helpers ------------------------------------------------------------------

fn client_with(manager: &MockManager, retry: RetryPolicy) -> SdkClient {
    SdkClient::builder(&manager.url())
        .retry(retry)
        .timeout(Duration::from_secs(5))
        .connect_timeout(Duration::from_secs(1))
        .build()
        .unwrap()
}

/// Quick retries with a generous attempt budget: a call fails only when
/// about 20 attempts in a row fail.
fn patient() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 25,
        initial_backoff: Duration::from_millis(2),
        max_backoff: Duration::from_millis(20),
        max_elapsed: Duration::from_secs(30),
    }
}

async fn start(
    manager: &MockManager,
    streamer: Streamer,
    retry: RetryPolicy,
    change: impl FnOnce(&mut ServerConfig),
) -> ServerHandle {
    Server::new(streamer, ServerConfig::new(manager.url(), "127.0.0.1", 0))
        .configure(|c| {
            c.bind = IpAddr::V4(Ipv4Addr::LOCALHOST);
            c.cancel_grace = Duration::from_millis(300);
            c.shutdown_timeout = Duration::from_secs(5);
            change(c);
        })
        .client(client_with(manager, retry))
        .start()
        .await
        .unwrap()
}

fn small_batches(max_events: usize) -> impl FnOnce(&mut ServerConfig) {
    move |c| {
        c.flush_policy = Some(FlushPolicy {
            max_events,
            max_age: Duration::from_secs(300),
        })
    }
}

fn stream_source(manager: &MockManager, config: serde_json::Value) -> String {
    manager.add_source(SourceSeed::new("web").config(config))
}

/// The document numbers of a run's events, in arrival order.
fn numbers(manager: &MockManager, run_id: &str) -> Vec<usize> {
    manager
        .events(run_id)
        .iter()
        .filter_map(|e| e.document_id())
        .map(|id| id.trim_start_matches("doc-").parse().unwrap())
        .collect()
}

/// Checks that `arrived` is `0..total` in order, at least once each, where
/// a repeat only ever replays documents already delivered (a batch sent
/// again): never a gap, never one ahead of its turn. Returns how many
/// arrived more than once.
fn assert_in_order_at_least_once(arrived: &[usize], total: usize) -> usize {
    let mut next = 0;
    let mut duplicates = 0;
    for (at, &n) in arrived.iter().enumerate() {
        if n == next {
            next += 1;
        } else if n < next {
            duplicates += 1;
        } else {
            panic!("doc-{n} arrived at position {at} before doc-{next}: a gap or reordering");
        }
    }
    assert_eq!(next, total, "documents lost: only 0..{next} arrived");
    duplicates
}

async fn until(what: &str, bound: Duration, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + bound;
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn finished(manager: &MockManager, run_id: &str) -> omni_connector::testing::RunSnapshot {
    manager
        .wait_for_run(run_id, WAIT)
        .await
        .expect("run did not finish in time")
}

// ---- the tests ------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_documents_through_503s_resets_and_429s() {
    let _shared = MEMORY.read().await;
    const TOTAL: usize = 10_000;
    let manager = MockManager::start().await.unwrap();
    let streamer = Streamer::default();
    let server = start(&manager, streamer.clone(), patient(), small_batches(50)).await;
    let source_id = stream_source(&manager, json!({"total": TOTAL, "save_every": 2500}));
    manager.set_faults(Faults {
        fail_fraction: 0.20,
        drop_fraction: 0.05,
        lose_answer_fraction: 0.05,
        rate_limit_every_nth: Some(97),
        retry_after_secs: 0,
        seed: 7,
        ..Faults::default()
    });

    let started = Instant::now();
    let run_id = manager
        .trigger_sync(&server.local_url(), &source_id, SyncMode::Full)
        .await
        .unwrap();
    let run = finished(&manager, &run_id).await;
    let elapsed = started.elapsed();
    manager.set_faults(Faults::default());

    assert_eq!(run.status, RunStatus::Completed, "{:?}", run.error);
    assert!(streamer.errors().is_empty(), "{:?}", streamer.errors());
    let arrived = numbers(&manager, &run_id);
    let duplicates = assert_in_order_at_least_once(&arrived, TOTAL);
    assert_eq!(run.checkpoint, Some(json!({"next": TOTAL})));

    let requests = manager.requests();
    let sdk: Vec<_> = requests
        .iter()
        .filter(|r| r.path.starts_with("/sdk/"))
        .collect();
    let batches = sdk.iter().filter(|r| r.path == "/sdk/events/batch").count();
    let failed = sdk.iter().filter(|r| r.status == 503).count();
    let limited = sdk.iter().filter(|r| r.status == 429).count();
    let reset = sdk.iter().filter(|r| r.status == 0).count();
    println!(
        "10k sync under faults: {TOTAL} documents, {} events arrived, {duplicates} \
         duplicates, 0 lost; {} /sdk requests ({batches} batch posts for {} batches of 50), \
         {failed} x 503, {limited} x 429, {reset} resets or lost answers; {elapsed:.1?}",
        arrived.len(),
        sdk.len(),
        TOTAL / 50,
    );
    assert!(failed > 0 && limited > 0 && reset > 0, "the faults fired");
    // Duplicates come only from answers lost after the batch was taken:
    // bounded by one batch per lost answer.
    assert!(duplicates <= reset * 50);
    assert!(elapsed < Duration::from_secs(60), "took {elapsed:?}");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_down_for_five_seconds_is_ridden_out() {
    let _shared = MEMORY.read().await;
    let manager = MockManager::start().await.unwrap();
    let streamer = Streamer::default();
    // Enough retry budget for the outage: waits up to 500 ms, 30 s in all.
    let retry = RetryPolicy {
        max_attempts: 100,
        initial_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(500),
        max_elapsed: Duration::from_secs(30),
    };
    let server = start(&manager, streamer.clone(), retry, small_batches(10)).await;
    let source_id = stream_source(
        &manager,
        json!({"total": 300, "save_every": 50, "delay_ms": 5}),
    );
    let run_id = manager
        .trigger_sync(&server.local_url(), &source_id, SyncMode::Full)
        .await
        .unwrap();
    until("the first documents", WAIT, || {
        manager.run(&run_id).is_some_and(|r| r.events >= 60)
    })
    .await;
    let before = manager.run(&run_id).unwrap().events;
    manager.pause().await;
    assert!(!manager.is_listening());
    tokio::time::sleep(Duration::from_secs(5)).await;
    manager.resume().await;
    let back = Instant::now();
    let run = finished(&manager, &run_id).await;
    assert_eq!(run.status, RunStatus::Completed, "{:?}", run.error);
    let arrived = numbers(&manager, &run_id);
    let duplicates = assert_in_order_at_least_once(&arrived, 300);
    println!(
        "manager down 5 s at {before} events: resumed and completed {:.1?} after it came back; \
         {} events, {duplicates} duplicates, 0 lost",
        back.elapsed(),
        arrived.len()
    );
    assert!(streamer.errors().is_empty(), "{:?}", streamer.errors());
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_longer_than_the_retry_budget_fails_clearly_and_loses_nothing() {
    let _shared = MEMORY.read().await;
    let manager = MockManager::start().await.unwrap();
    let streamer = Streamer::default();
    let retry = RetryPolicy {
        max_attempts: 100,
        initial_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(200),
        max_elapsed: Duration::from_secs(1),
    };
    let server = start(&manager, streamer.clone(), retry, small_batches(10)).await;
    let source_id = stream_source(
        &manager,
        json!({"total": 200, "save_every": 25, "delay_ms": 5}),
    );
    let run_id = manager
        .trigger_sync(&server.local_url(), &source_id, SyncMode::Full)
        .await
        .unwrap();
    until("the first documents", WAIT, || {
        manager.run(&run_id).is_some_and(|r| r.events >= 40)
    })
    .await;
    manager.pause().await;
    // The sync gives up within its budget, while the manager is still down.
    until("the sync to give up", WAIT, || server.running_syncs() == 0).await;
    let errors = streamer.errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("/sdk/") && errors[0].contains("attempt"),
        "a clear error naming the call and the attempts: {}",
        errors[0]
    );
    manager.resume().await;

    // The run is neither completed nor failed (the manager could not be
    // told), and its checkpoint never passed an undelivered document.
    let run = manager.run(&run_id).unwrap();
    assert_eq!(run.status, RunStatus::Running);
    let checkpoint = run
        .checkpoint
        .as_ref()
        .map_or(0, |c| c["next"].as_u64().unwrap()) as usize;
    let delivered: HashSet<usize> = numbers(&manager, &run_id).into_iter().collect();
    assert!((0..checkpoint).all(|n| delivered.contains(&n)));

    // The manager resumes the run from its checkpoint; it completes with
    // every document.
    manager
        .resume_sync(&server.local_url(), &run_id)
        .await
        .unwrap();
    let run = finished(&manager, &run_id).await;
    assert_eq!(run.status, RunStatus::Completed, "{:?}", run.error);
    assert_eq!(streamer.starts().last(), Some(&(Some(checkpoint), true)));
    let all: HashSet<usize> = numbers(&manager, &run_id).into_iter().collect();
    assert_eq!(all.len(), 200, "every document arrived");
    println!(
        "outage past a 1 s retry budget: the sync failed with `{}`; checkpoint {checkpoint}, \
         resumed from it and completed",
        errors[0]
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_the_manager_refuses_gets_nothing_more() {
    let _shared = MEMORY.read().await;
    let manager = MockManager::start().await.unwrap();
    let streamer = Streamer::default();
    let server = start(&manager, streamer.clone(), patient(), small_batches(5)).await;
    let source_id = stream_source(&manager, json!({"total": 100_000, "delay_ms": 2}));
    let run_id = manager
        .trigger_sync(&server.local_url(), &source_id, SyncMode::Full)
        .await
        .unwrap();
    until("the first documents", WAIT, || {
        manager.run(&run_id).is_some_and(|r| r.events >= 20)
    })
    .await;
    let before = manager.request_count();
    manager.mark_run_failed(&run_id, "stale: no activity");
    let marked = Instant::now();
    until("the sync to stop", WAIT, || server.running_syncs() == 0).await;
    let stopped = marked.elapsed();
    // Let anything still in flight land.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after: Vec<_> = manager.requests()[before..]
        .iter()
        .map(|r| format!("{} {} {}", r.method, r.path, r.status))
        .collect();
    println!(
        "run refused by the manager: sync stopped {stopped:.1?} later after {} requests: {after:?}",
        after.len()
    );
    // At most the call in flight and the one refused, and no retry of the
    // refusal.
    assert!(after.len() <= 3, "{after:?}");
    assert_eq!(
        after.iter().filter(|r| r.ends_with(" 400")).count(),
        1,
        "{after:?}"
    );
    assert!(stopped < Duration::from_secs(5));
    let run = manager.run(&run_id).unwrap();
    assert_eq!(run.status, RunStatus::Failed);
    assert_eq!(run.error.as_deref(), Some("stale: no activity"));
    let health = send(server.local_addr(), "GET", "/health", None).await;
    assert_eq!(health.status, 200);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connector_started_before_its_manager_registers_when_it_appears() {
    let _shared = MEMORY.read().await;
    let manager = MockManager::start().await.unwrap();
    manager.pause().await;
    let started = Instant::now();
    // Default registration settings: every 30 s, failures retried after 1,
    // 2, 4 ... s.
    let server = start(&manager, Streamer::default(), patient(), |_| {}).await;
    let health = send(server.local_addr(), "GET", "/health", None).await;
    assert_eq!(health.status, 200, "serves while the manager is down");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(manager.registrations().is_empty());
    manager.resume().await;
    let up = Instant::now();
    until("the registration", WAIT, || {
        !manager.registrations().is_empty()
    })
    .await;
    println!(
        "manager up 2 s after the connector: registered {:.1?} after it appeared ({:.1?} after start)",
        up.elapsed(),
        started.elapsed()
    );
    assert!(up.elapsed() < Duration::from_secs(10));
    assert_eq!(
        manager.registrations()[0].connector_url,
        server.connector_url()
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_mid_sync_flushes_and_the_resume_continues_from_the_checkpoint() {
    let _shared = MEMORY.read().await;
    let manager = MockManager::start().await.unwrap();
    let first = Streamer::default();
    // Default flush thresholds for a full sync (500 events or 300 s): what
    // was emitted since the last checkpoint sits in the buffer.
    let server = start(&manager, first.clone(), patient(), |_| {}).await;
    let source_id = stream_source(
        &manager,
        json!({"total": 1000, "save_every": 40, "delay_ms": 3}),
    );
    let run_id = manager
        .trigger_sync(&server.local_url(), &source_id, SyncMode::Full)
        .await
        .unwrap();
    until("two checkpoints", WAIT, || {
        manager
            .run(&run_id)
            .and_then(|r| r.checkpoint)
            .is_some_and(|c| c["next"].as_u64() >= Some(80))
    })
    .await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let began = Instant::now();
    server.shutdown().await;
    let took = began.elapsed();
    let run = manager.run(&run_id).unwrap();
    assert_eq!(
        run.status,
        RunStatus::Running,
        "not failed: {:?}",
        run.error
    );
    let checkpoint = run.checkpoint.unwrap()["next"].as_u64().unwrap() as usize;
    let arrived = numbers(&manager, &run_id);
    let emitted_then = arrived.len();
    assert_in_order_at_least_once(&arrived, emitted_then);
    assert!(
        emitted_then > checkpoint,
        "the events after the checkpoint were flushed on shutdown ({emitted_then} <= {checkpoint})"
    );
    assert!(took < Duration::from_secs(5), "shutdown took {took:?}");

    // The manager re-triggers the run on a new connector process.
    let second = Streamer::default();
    let server = start(&manager, second.clone(), patient(), |_| {}).await;
    manager
        .resume_sync(&server.local_url(), &run_id)
        .await
        .unwrap();
    let run = finished(&manager, &run_id).await;
    assert_eq!(run.status, RunStatus::Completed, "{:?}", run.error);
    assert_eq!(second.starts(), vec![(Some(checkpoint), true)]);
    let all: HashSet<usize> = numbers(&manager, &run_id).into_iter().collect();
    assert_eq!(all.len(), 1000);
    println!(
        "shutdown mid-sync: {took:.1?}; {emitted_then} events delivered, checkpoint at \
         {checkpoint}; the resume re-sent {} and completed",
        numbers(&manager, &run_id).len() - emitted_then
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_sync_is_freed_and_a_panicking_one_fails_with_its_message() {
    let _shared = MEMORY.read().await;
    let manager = MockManager::start().await.unwrap();
    let server = start(&manager, Streamer::default(), patient(), |_| {}).await;
    let hung = stream_source(&manager, json!({"total": 3, "hang": true}));
    let run_id = manager
        .trigger_sync(&server.local_url(), &hung, SyncMode::Full)
        .await
        .unwrap();
    until("the documents", WAIT, || {
        manager.run(&run_id).is_some_and(|r| r.events == 3)
    })
    .await;
    let (status, _) = manager
        .cancel_sync(&server.local_url(), &run_id)
        .await
        .unwrap();
    assert_eq!(status, 200);
    let cancelled = Instant::now();
    until("the slot to be freed", WAIT, || server.running_syncs() == 0).await;
    println!(
        "hung sync: slot freed {:.1?} after cancel (grace 300 ms)",
        cancelled.elapsed()
    );
    assert_eq!(
        send(server.local_addr(), "GET", "/health", None)
            .await
            .status,
        200
    );
    let again = manager
        .trigger_sync(&server.local_url(), &hung, SyncMode::Full)
        .await;
    assert!(again.is_ok(), "{again:?}");

    let panics = stream_source(&manager, json!({"total": 10, "panic_at": 4}));
    let run_id = manager
        .trigger_sync(&server.local_url(), &panics, SyncMode::Full)
        .await
        .unwrap();
    let run = finished(&manager, &run_id).await;
    assert_eq!(run.status, RunStatus::Failed);
    assert_eq!(
        run.error.as_deref(),
        Some("sync panicked: streamer gave up at document 4")
    );
    assert_eq!(run.events, 4, "what came before the panic was delivered");
    assert_eq!(
        send(server.local_addr(), "GET", "/health", None)
            .await
            .status,
        200
    );
    server.shutdown().await;
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_syncs_started_and_cancelled_leak_nothing() {
    let _alone = MEMORY.write().await;
    let manager = MockManager::start().await.unwrap();
    let server = start(&manager, Streamer::default(), patient(), |c| {
        c.cancel_grace = Duration::from_millis(200);
    })
    .await;
    let cooperative = stream_source(&manager, json!({"total": 1_000_000, "delay_ms": 1}));
    let deaf = stream_source(&manager, json!({"total": 2, "hang": true}));
    let metrics = tokio::runtime::Handle::current().metrics();

    let cycle = |source: String| {
        let manager = manager.clone();
        let url = server.local_url();
        async move {
            let run_id = manager
                .trigger_sync(&url, &source, SyncMode::Full)
                .await
                .unwrap();
            tokio::time::sleep(Duration::from_millis(5)).await;
            let (status, _) = manager.cancel_sync(&url, &run_id).await.unwrap();
            assert_eq!(status, 200);
        }
    };
    // Warm up the connection pools, then measure.
    cycle(cooperative.clone()).await;
    until("the warm-up to end", WAIT, || server.running_syncs() == 0).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let tasks_before = metrics.num_alive_tasks();
    let rss_before = rss_kib();
    let began = Instant::now();
    for i in 0..100 {
        // Every tenth sync ignores its cancellation and must be aborted.
        let source = if i % 10 == 9 { &deaf } else { &cooperative };
        cycle(source.clone()).await;
        // One sync per slot: the next trigger waits for the slot.
        until("the slot", WAIT, || server.running_syncs() == 0).await;
    }
    let cycles = began.elapsed();
    // Cancel grace timers and connections settle.
    let mut tasks_after = metrics.num_alive_tasks();
    let deadline = Instant::now() + Duration::from_secs(10);
    while tasks_after > tasks_before + 4 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
        tasks_after = metrics.num_alive_tasks();
    }
    let rss_after = rss_kib();
    println!(
        "100 syncs started and cancelled in {cycles:.1?}: tokio tasks {tasks_before} -> \
         {tasks_after}, RSS {rss_before} KiB -> {rss_after} KiB"
    );
    assert!(
        tasks_after <= tasks_before + 4,
        "tasks leaked: {tasks_before} -> {tasks_after}"
    );
    assert!(
        rss_after < rss_before + 64 * 1024,
        "memory grew by {} KiB",
        rss_after - rss_before
    );
    assert_eq!(
        send(server.local_addr(), "GET", "/health", None)
            .await
            .status,
        200
    );
    server.shutdown().await;
}

// ---- a real SIGTERM, on a child process ------------------------------------------

/// The child's side of `sigterm_on_a_child_process_*`: when run by it (the
/// variable set), serves a streamer from the environment until SIGTERM,
/// through the same `Server::serve` a connector's `main` uses. Otherwise it
/// does nothing.
#[test]
fn sigterm_child() {
    if std::env::var_os("OMNI_FAULTS_SIGTERM_CHILD").is_none() {
        return;
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let server = Server::from_env(Streamer::default())
            .unwrap()
            .client(client_with_url(
                &std::env::var("CONNECTOR_MANAGER_URL").unwrap(),
            ));
        server.serve().await.unwrap();
    });
    println!("child: served until SIGTERM");
}

fn client_with_url(url: &str) -> SdkClient {
    SdkClient::builder(url).retry(patient()).build().unwrap()
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_on_a_child_process_flushes_and_leaves_the_run_to_resume() {
    let _shared = MEMORY.read().await;
    use std::process::Stdio;

    let manager = MockManager::start().await.unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut child = tokio::process::Command::new(exe)
        .args([
            "--exact",
            "sigterm_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("OMNI_FAULTS_SIGTERM_CHILD", "1")
        .env("CONNECTOR_MANAGER_URL", manager.url())
        .env("CONNECTOR_HOST_NAME", "127.0.0.1")
        .env("PORT", "0")
        .env_remove("CONNECTOR_SHARED_SECRET")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    until("the child to register", WAIT, || {
        !manager.registrations().is_empty()
    })
    .await;
    let url = manager.registrations()[0].connector_url.clone();
    let source_id = stream_source(
        &manager,
        json!({"total": 100_000, "save_every": 30, "delay_ms": 2}),
    );
    let run_id = manager
        .trigger_sync(&url, &source_id, SyncMode::Full)
        .await
        .unwrap();
    until("a checkpoint", WAIT, || {
        manager.run(&run_id).and_then(|r| r.checkpoint).is_some()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(30)).await;
    let pid = child.id().unwrap().to_string();
    let began = Instant::now();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = tokio::time::timeout(WAIT, child.wait())
        .await
        .expect("the child did not exit after SIGTERM")
        .unwrap();
    let took = began.elapsed();
    let mut out = String::new();
    if let Some(mut stdout) = child.stdout.take() {
        use tokio::io::AsyncReadExt;
        let _ = stdout.read_to_string(&mut out).await;
    }
    assert!(status.success(), "child exit {status:?}: {out}");
    assert!(out.contains("child: served until SIGTERM"), "{out}");
    let run = manager.run(&run_id).unwrap();
    assert_eq!(
        run.status,
        RunStatus::Running,
        "not failed: {:?}",
        run.error
    );
    let checkpoint = run.checkpoint.unwrap()["next"].as_u64().unwrap() as usize;
    let arrived = numbers(&manager, &run_id);
    assert_in_order_at_least_once(&arrived, arrived.len());
    assert!(arrived.len() >= checkpoint);
    println!(
        "SIGTERM on a child connector mid-sync: exited in {took:.1?}, {} events flushed, \
         checkpoint {checkpoint}, run left running for the manager to resume",
        arrived.len()
    );
    assert!(took < Duration::from_secs(15), "took {took:?}");
}
