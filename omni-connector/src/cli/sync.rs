//! `sync`: one real sync against the in-process manager, printed as it goes.

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::Value;

use crate::connector::Connector;
use crate::context::FlushPolicy;
use crate::models::{ConnectorEvent, SyncMode};
use crate::testing::{LocalRun, LocalSync, RunStatus, SyncReport};

/// What `sync` was asked to do.
pub(crate) struct SyncArgs {
    pub(crate) config: Value,
    pub(crate) credentials: Option<Value>,
    pub(crate) state: Option<Value>,
    pub(crate) mode: SyncMode,
    pub(crate) events: Option<String>,
    pub(crate) state_out: Option<String>,
    pub(crate) quiet: bool,
}

/// Runs the sync; returns whether it completed.
pub(crate) async fn run<C: Connector>(
    connector: C,
    args: SyncArgs,
    out: &mut (dyn Write + Send),
) -> Result<bool, String> {
    let mut events_file = match &args.events {
        Some(path) => {
            Some(BufWriter::new(File::create(path).map_err(|e| {
                format!("--events: cannot create `{path}`: {e}")
            })?))
        }
        None => None,
    };
    let mut options = LocalSync::new(args.config)
        .mode(args.mode)
        // Small batches, so documents show up as the sync finds them.
        .flush_policy(FlushPolicy {
            max_events: 25,
            max_age: Duration::from_millis(200),
        })
        .timeout(Duration::from_secs(365 * 24 * 3600));
    if let Some(credentials) = args.credentials {
        options = options.credentials(credentials);
    }
    if let Some(state) = args.state {
        options = options.state(state);
    }
    let mut run = LocalRun::start(connector, options)
        .await
        .map_err(|e| e.chain())?;

    let progress = progress_bar();
    loop {
        let finished = run.is_finished();
        for event in run.new_events() {
            if let Some(file) = events_file.as_mut() {
                let line = serde_json::to_string(&event).map_err(|e| e.to_string())?;
                writeln!(file, "{line}").map_err(|e| format!("--events: write failed: {e}"))?;
            }
            if !args.quiet {
                let line = describe(&run, &event);
                match &progress {
                    Some(bar) => bar.println(line),
                    None => writeln!(out, "{line}").map_err(|e| e.to_string())?,
                }
            }
        }
        if let Some(bar) = &progress {
            let p = run.progress();
            let rate = p.emitted as f64 / run.elapsed().as_secs_f64().max(0.001);
            bar.set_message(format!(
                "scanned {} · emitted {} · errors {} · {rate:.0} docs/s",
                p.scanned, p.emitted, p.errors
            ));
        }
        if finished {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    if let Some(mut file) = events_file {
        file.flush()
            .map_err(|e| format!("--events: write failed: {e}"))?;
    }
    let report = run.finish().await.map_err(|e| e.chain())?;
    if let Some(path) = &args.state_out {
        let state = serde_json::to_string_pretty(&report.state).map_err(|e| e.to_string())?;
        std::fs::write(path, state)
            .map_err(|e| format!("--state-out: cannot write `{path}`: {e}"))?;
    }
    summary(&report, out).map_err(|e| e.to_string())?;
    Ok(report.outcome == RunStatus::Completed)
}

/// One line per event: what a person wants to see scroll by.
fn describe(run: &LocalRun, event: &ConnectorEvent) -> String {
    match event {
        ConnectorEvent::DocumentCreated {
            document_id,
            content_id,
            metadata,
            ..
        }
        | ConnectorEvent::DocumentUpdated {
            document_id,
            content_id,
            metadata,
            ..
        } => {
            let sign = if matches!(event, ConnectorEvent::DocumentCreated { .. }) {
                '+'
            } else {
                '~'
            };
            let title = metadata.title.as_deref().unwrap_or("(untitled)");
            let size = run.content(content_id).map_or(0, |c| c.chars().count());
            let mut line = format!("{sign} {document_id}  {title}  [{size} chars]");
            if let Some(url) = &metadata.url {
                line.push_str(&format!("  {url}"));
            }
            line
        }
        ConnectorEvent::DocumentDeleted { document_id, .. } => format!("- {document_id}"),
        ConnectorEvent::GroupMembershipSync {
            group_email,
            member_emails,
            ..
        } => format!("@ group {group_email} ({} members)", member_emails.len()),
        ConnectorEvent::PersonSync { person, .. } => format!("@ person {}", person.email),
        ConnectorEvent::PersonDeleted { email, .. } => format!("@ person removed {email}"),
    }
}

fn summary(report: &SyncReport, out: &mut (dyn Write + Send)) -> std::io::Result<()> {
    let created = report.documents.iter().filter(|d| !d.updated).count();
    let updated = report.documents.len() - created;
    writeln!(out)?;
    writeln!(
        out,
        "sync {}: {created} created, {updated} updated, {} deleted, {} other events, {} scanned, {} errors, in {:.2?}",
        report.outcome.as_str(),
        report.deleted.len(),
        report.other_events.len(),
        report.documents_scanned,
        report.errors.len(),
        report.duration,
    )?;
    for error in &report.errors {
        writeln!(out, "  error: {}: {}", error.external_id, error.message)?;
    }
    if let Some(error) = &report.error {
        writeln!(out, "  failed: {error}")?;
    }
    let state = serde_json::to_string(&report.state).unwrap_or_else(|_| "null".into());
    writeln!(out, "state: {state}")?;
    Ok(())
}

/// A live status line on stderr, only when a person watches it.
fn progress_bar() -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{spinner} {elapsed} {msg}") {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(120));
    Some(bar)
}
