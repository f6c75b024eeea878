//! A sync from `/sync` to its end: fetch the source, decode the
//! connector's types, run the sync as a task, and finish the run whatever
//! the task does (PROTOCOL.md §2, §3 and §6).

use std::sync::atomic::Ordering;
use std::sync::Arc;

use serde_json::Value;
use tokio::task::JoinHandle;
use tracing::Instrument;

use super::registry::Slot;
use super::App;
use crate::connector::{decode_json, Connector};
use crate::context::{Run, RunOutcome, SyncContext};
use crate::error::Result;
use crate::models::{SyncMode, SyncRequest};

/// Why a sync was not started, with the answer it gets.
#[derive(Debug)]
pub(crate) enum StartError {
    /// 409: the slot is taken.
    Busy,
    /// 404: the manager does not know the source.
    SourceNotFound(String),
    /// 404: the connector does not do this mode.
    Unsupported(String),
    /// 400: the request, config, credentials or state do not fit.
    BadRequest(String),
    /// 500: the source or credentials could not be fetched.
    Manager(String),
    /// 503: the connector is shutting down.
    ShuttingDown,
}

/// Everything a sync needs, decoded before it starts.
struct Prepared<C: Connector> {
    config: C::Config,
    credentials: C::Credentials,
    state: Option<C::State>,
    run: Run,
}

/// Starts a sync in the background, or says why not.
pub(crate) async fn start<C: Connector>(
    app: &Arc<App<C>>,
    request: SyncRequest,
) -> Result<(), StartError> {
    if app.stop.is_cancelled() {
        return Err(StartError::ShuttingDown);
    }
    if let SyncMode::Other(mode) = &request.sync_mode {
        return Err(StartError::BadRequest(format!(
            "sync_mode: unknown mode `{mode}`, expected full, incremental or realtime"
        )));
    }
    if request.sync_mode.is_realtime() && !app.manifest.sync_modes.contains(&SyncMode::Realtime) {
        return Err(StartError::Unsupported(format!(
            "Realtime sync is not supported by connector {}",
            app.manifest.name
        )));
    }
    let slot = Slot {
        source_id: request.source_id.clone(),
        realtime: request.sync_mode.is_realtime(),
    };
    let cancel = app
        .registry
        .reserve(&request.sync_run_id, slot)
        .map_err(|_| StartError::Busy)?;

    // The slot is ours from here on: every way out must release it.
    let prepared = match prepare(app, &request, cancel.clone()).await {
        Ok(prepared) => prepared,
        Err(e) => {
            app.registry.release(&request.sync_run_id);
            return Err(e);
        }
    };
    if cancel.is_cancelled() {
        // Cancelled or shut down while the source was being fetched.
        app.registry.release(&request.sync_run_id);
        return Ok(());
    }

    let Prepared {
        config,
        credentials,
        state,
        run,
    } = prepared;
    let run = Arc::new(run);
    run.spawn_age_flusher();
    let span = tracing::info_span!(
        "sync",
        sync_run_id = %run.sync_run_id,
        source_id = %run.source_id,
        mode = %run.sync_mode,
    );
    let ctx = SyncContext::<C::State>::from_run(run.clone());
    let connector = app.connector.clone();
    let task = tokio::spawn(
        async move { connector.sync(config, credentials, state, &ctx).await }
            .instrument(span.clone()),
    );
    app.registry
        .started(&run.sync_run_id, run.clone(), task.abort_handle());
    tracing::info!(parent: &span, is_resume = run.is_resume, "sync started");
    app.supervisors
        .spawn(supervise(app.clone(), run, task).instrument(span));
    Ok(())
}

/// Fetches the source and its credentials and decodes the connector's
/// types, so that a sync that cannot work is refused before it starts.
async fn prepare<C: Connector>(
    app: &App<C>,
    request: &SyncRequest,
    cancel: tokio_util::sync::CancellationToken,
) -> Result<Prepared<C>, StartError> {
    let source = app
        .client
        .get_source(&request.source_id)
        .await
        .map_err(|e| {
            if e.status() == Some(404) {
                StartError::SourceNotFound(format!("Source not found: {}", request.source_id))
            } else {
                StartError::Manager(format!("could not fetch the source: {e}"))
            }
        })?;
    let credential = app
        .client
        .get_credentials(&request.source_id)
        .await
        .map_err(|e| StartError::Manager(format!("could not fetch the credentials: {e}")))?;

    let config_json = match &source.config {
        Value::Null => Value::Object(Default::default()),
        other => other.clone(),
    };
    let secrets = credential
        .map(|c| c.credentials)
        .filter(|v| !v.is_null())
        .unwrap_or_else(|| Value::Object(Default::default()));
    let bad = |e: crate::ConnectorError| StartError::BadRequest(e.to_string());
    let config = decode_json::<C::Config>("config", config_json).map_err(bad)?;
    let credentials = decode_json::<C::Credentials>("credentials", secrets).map_err(bad)?;
    let state = match request.checkpoint.clone() {
        None | Some(Value::Null) => None,
        Some(checkpoint) => Some(decode_json::<C::State>("state", checkpoint).map_err(bad)?),
    };

    let mut builder =
        SyncContext::builder(app.client.clone(), &request.sync_run_id, &request.source_id)
            .request(request)
            .source(source);
    if let Some(policy) = app.config.flush_policy {
        builder = builder.flush_policy(policy);
    }
    let run = builder.into_run(cancel);
    Ok(Prepared {
        config,
        credentials,
        state,
        run,
    })
}

/// Waits for the sync's task and finishes the run the way its end calls
/// for, then frees the slot.
async fn supervise<C: Connector>(app: Arc<App<C>>, run: Arc<Run>, task: JoinHandle<Result<()>>) {
    let ended = task.await;
    let ctx = SyncContext::<Value>::from_run(run.clone());
    if run.silenced.load(Ordering::Acquire) {
        // PROTOCOL.md §2 /cancel: the manager cancelled the run; it expects
        // nothing more from us.
        tracing::info!("sync cancelled");
    } else if app.stop.is_cancelled() {
        // Shutting down: deliver what was emitted, but neither complete nor
        // fail, so that the manager resumes the run (PROTOCOL.md §3).
        if let Err(e) = run.flush().await {
            tracing::warn!(error = %e, "could not flush the sync's events during shutdown");
        }
        tracing::info!("sync stopped for shutdown; the manager will resume it");
    } else {
        match ended {
            Ok(Ok(())) => {
                if run.outcome() == RunOutcome::Running {
                    match ctx.complete(None).await {
                        Ok(()) => tracing::info!("sync completed"),
                        Err(e) => tracing::error!(error = %e.chain(), "could not complete the run"),
                    }
                } else {
                    tracing::info!(outcome = ?run.outcome(), "sync finished");
                }
            }
            Ok(Err(e)) if e.is_cancelled() => tracing::info!("sync stopped: {e}"),
            Ok(Err(e)) => fail(&ctx, &run, e.chain()).await,
            Err(join) if join.is_panic() => {
                let message = panic_message(join.into_panic());
                fail(&ctx, &run, format!("sync panicked: {message}")).await;
            }
            Err(_) => tracing::info!("sync aborted"),
        }
    }
    app.remember(&run);
    app.registry.release(&run.sync_run_id);
}

async fn fail(ctx: &SyncContext<Value>, run: &Run, message: String) {
    tracing::error!(error = %message, "sync failed");
    if run.outcome() != RunOutcome::Running {
        return;
    }
    if let Err(e) = ctx.fail(&message).await {
        tracing::error!(error = %e.chain(), "could not report the failure to the manager");
    }
}

/// The text of a panic payload (`panic!` with a literal or a format).
pub(crate) fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic with a non-text payload".to_owned()
    }
}

/// Cancels a running sync: silences it, wakes it, tells the connector, and
/// frees the slot after the grace period whatever the task does. False when
/// no such sync runs.
pub(crate) fn cancel<C: Connector>(app: &Arc<App<C>>, sync_run_id: &str) -> bool {
    let Some((token, run)) = app.registry.get(sync_run_id) else {
        return false;
    };
    if let Some(run) = &run {
        run.silenced.store(true, Ordering::Release);
    }
    token.cancel();
    let connector = app.connector.clone();
    if let Err(payload) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        connector.cancel(sync_run_id)
    })) {
        tracing::error!(
            sync_run_id,
            "the connector's cancel hook panicked: {}",
            panic_message(payload)
        );
    }
    tracing::info!(sync_run_id, "cancel requested");

    let app = app.clone();
    let sync_run_id = sync_run_id.to_owned();
    tokio::spawn(async move {
        tokio::time::sleep(app.config.cancel_grace).await;
        if let Some(entry) = app.registry.release(&sync_run_id) {
            if let Some(abort) = entry.abort {
                abort.abort();
            }
            tracing::warn!(
                sync_run_id,
                grace_ms = app.config.cancel_grace.as_millis() as u64,
                "cancelled sync did not stop within the grace period: aborted, slot freed"
            );
        }
    });
    true
}

/// Stops every sync for shutdown: wakes them, waits up to the shutdown
/// timeout for them to end and flush, then aborts the rest and flushes what
/// they buffered.
pub(crate) async fn stop_all<C: Connector>(app: &Arc<App<C>>) {
    for id in app.registry.running() {
        if let Some((token, _)) = app.registry.get(&id) {
            token.cancel();
        }
    }
    app.supervisors.close();
    if tokio::time::timeout(app.config.shutdown_timeout, app.supervisors.wait())
        .await
        .is_ok()
    {
        return;
    }
    for id in app.registry.running() {
        if let Some(entry) = app.registry.release(&id) {
            if let Some(abort) = entry.abort {
                abort.abort();
            }
            if let Some(run) = entry.run {
                let flushed =
                    tokio::time::timeout(std::time::Duration::from_secs(5), run.flush()).await;
                if !matches!(flushed, Ok(Ok(()))) {
                    tracing::warn!(sync_run_id = %id, "could not flush an aborted sync's events during shutdown");
                }
            }
            tracing::warn!(sync_run_id = %id, "sync did not stop in time for shutdown: aborted");
        }
    }
}
