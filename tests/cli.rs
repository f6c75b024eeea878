//! The connector binary's command line, driven through `run_with_args`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::ExitCode;

use omni_connector::cli::run_with_args;
use omni_connector_suite::probe::Probe;
use serde_json::Value;

async fn cli(args: &[&str]) -> (ExitCode, String) {
    let mut out = Vec::new();
    let mut argv = vec!["probe"];
    argv.extend_from_slice(args);
    let code = run_with_args(Probe::default(), argv, &mut out).await;
    (code, String::from_utf8(out).unwrap())
}

fn temp(name: &str, contents: &str) -> String {
    let dir = std::env::temp_dir().join(format!("omni-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path.to_string_lossy().into_owned()
}

#[tokio::test]
async fn manifest_prints_the_manifest() {
    let (code, out) = cli(&["manifest"]).await;
    assert_eq!(code, ExitCode::SUCCESS);
    let manifest: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(manifest["name"], "probe");
    assert_eq!(manifest["actions"][0]["name"], "echo");
}

#[tokio::test]
async fn sync_prints_documents_a_summary_and_the_state() {
    let events = temp("events.jsonl", "");
    let state_out = temp("state.json", "");
    let (code, out) = cli(&[
        "sync",
        "--config",
        r#"{"docs": 3}"#,
        "--credentials",
        r#"{"token": "t"}"#,
        "--events",
        &events,
        "--state-out",
        &state_out,
    ])
    .await;
    assert_eq!(code, ExitCode::SUCCESS, "{out}");
    assert!(out.contains("+ doc-0  Document 0  [18 chars]"), "{out}");
    assert!(out.contains("+ doc-2"), "{out}");
    assert!(
        out.contains("sync completed: 3 created, 0 updated, 0 deleted"),
        "{out}"
    );
    assert!(out.contains(r#"state: {"synced":3}"#), "{out}");
    let lines: Vec<Value> = std::fs::read_to_string(&events)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[1]["type"], "document_created");
    assert_eq!(lines[1]["document_id"], "doc-1");

    // The next run takes the state it ended with.
    let (code, out) = cli(&[
        "sync",
        "--config",
        r#"{"docs": 1}"#,
        "--credentials",
        r#"{"token": "t"}"#,
        "--state",
        &state_out,
        "--mode",
        "incremental",
    ])
    .await;
    assert_eq!(code, ExitCode::SUCCESS, "{out}");
    assert!(out.contains("+ doc-3"), "{out}");
    assert!(out.contains(r#"state: {"synced":4}"#), "{out}");
}

#[tokio::test]
async fn a_failing_sync_exits_non_zero_with_its_error() {
    let (code, out) = cli(&[
        "sync",
        "--config",
        r#"{"behaviour": "error"}"#,
        "--credentials",
        r#"{"token": "t"}"#,
    ])
    .await;
    assert_eq!(code, ExitCode::FAILURE);
    assert!(out.contains("sync failed"), "{out}");
    assert!(
        out.contains("failed: reading the source: disk on fire"),
        "{out}"
    );
}

#[tokio::test]
async fn bad_inputs_exit_non_zero() {
    let missing = cli(&["sync", "--config", "/no/such/config.json"]).await;
    assert_eq!(missing.0, ExitCode::FAILURE);
    let broken = temp("broken.json", "{\"docs\": ");
    assert_eq!(
        cli(&["sync", "--config", &broken]).await.0,
        ExitCode::FAILURE
    );
    assert_eq!(
        cli(&["sync", "--config", "{nope"]).await.0,
        ExitCode::FAILURE
    );
    // Config the connector cannot decode is refused before the sync starts.
    let refused = cli(&[
        "sync",
        "--config",
        r#"{"docs": "x"}"#,
        "--credentials",
        r#"{"token": "t"}"#,
    ])
    .await;
    assert_eq!(refused.0, ExitCode::FAILURE);
    assert_eq!(
        cli(&["sync", "--mode", "hourly"]).await.0,
        ExitCode::from(2)
    );
    assert_eq!(cli(&["frobnicate"]).await.0, ExitCode::from(2));
}

#[tokio::test]
async fn actions_print_their_response() {
    let (code, out) = cli(&[
        "action",
        "echo",
        "--params",
        r#"{"text": "hi"}"#,
        "--credentials",
        r#"{"token": "abc"}"#,
    ])
    .await;
    assert_eq!(code, ExitCode::SUCCESS);
    let response: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        response["result"],
        serde_json::json!({"text": "hi", "token_len": 3})
    );

    let (code, out) = cli(&["action", "echo"]).await;
    assert_eq!(code, ExitCode::FAILURE);
    assert!(out.contains("missing parameter `text`"), "{out}");

    let (code, out) = cli(&["action", "nope"]).await;
    assert_eq!(code, ExitCode::FAILURE);
    assert!(out.is_empty());
    assert_eq!(
        cli(&["action", "echo", "--params", "[1]"]).await.0,
        ExitCode::FAILURE
    );
}

#[tokio::test]
async fn help_shows_an_example_for_each_command() {
    for command in ["sync", "action", "manifest", "serve"] {
        let (code, _) = cli(&[command, "--help"]).await;
        assert_eq!(code, ExitCode::SUCCESS);
    }
}
