//! `serve`, the default command when CONNECTOR_MANAGER_URL is set: the
//! connector registers, syncs for the manager, and stops cleanly on SIGTERM.
//! The only test in this binary, since it sets environment variables and
//! signals its own process.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::ExitCode;
use std::time::{Duration, Instant};

use omni_connector::cli::run_with_args;
use omni_connector::testing::{MockManager, RunStatus, SourceSeed};
use omni_connector::SyncMode;
use omni_connector_suite::probe::Probe;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_by_default_and_stops_on_sigterm() {
    let manager = MockManager::start().await.unwrap();
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    std::env::set_var("CONNECTOR_MANAGER_URL", manager.url());
    std::env::set_var("CONNECTOR_HOST_NAME", "127.0.0.1");
    std::env::set_var("PORT", port.to_string());

    // No command: serve, because CONNECTOR_MANAGER_URL is set.
    let serving = tokio::spawn(async move {
        let mut out = Vec::new();
        run_with_args(Probe::default(), ["probe"], &mut out).await
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    while manager.registrations().is_empty() {
        assert!(Instant::now() < deadline, "the connector never registered");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let url = format!("http://127.0.0.1:{port}");
    assert_eq!(manager.registrations()[0].connector_url, url);

    let source = manager.add_source(
        SourceSeed::new("web")
            .config(json!({"docs": 2}))
            .credentials(json!({"token": "t"})),
    );
    let run = manager
        .trigger_sync(&url, &source, SyncMode::Full)
        .await
        .unwrap();
    let done = manager
        .wait_for_run(&run, Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(done.status, RunStatus::Completed);

    // SIGTERM, as a container runtime sends it. The server installed its
    // handler before registering, so the signal does not kill the test.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &std::process::id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let code = tokio::time::timeout(Duration::from_secs(10), serving)
        .await
        .expect("serve did not stop after SIGTERM")
        .unwrap();
    assert_eq!(code, ExitCode::SUCCESS);
    assert!(
        tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err(),
        "the port is closed"
    );
}
