//! A quick run of the benchmark's workloads with tiny sizes, so that CI
//! exercises it: counts only, never times.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use omni_connector_bench::{Bench, Scenario, Settings};

fn settings() -> Settings {
    let mut settings = Settings::new(PathBuf::from(env!("CARGO_BIN_EXE_bench")));
    settings.sources = 4;
    settings.concurrency = 4;
    settings
}

#[test]
fn sequential_in_process_delivers_every_document_with_one_request_each() {
    let bench = Bench::new(settings()).unwrap();
    let m = bench.run(Scenario::Sequential, 50).unwrap();
    assert_eq!(m.documents, 50);
    // 50 contents, plus source, credentials, one batch, one scanned count,
    // the checkpoint and complete.
    let requests = m.requests.unwrap();
    assert!((50..=58).contains(&requests), "{requests} requests");
    assert!(m.connector_cpu_s.is_some() && m.manager_cpu_s.is_some());
}

#[test]
fn every_workload_runs_in_process() {
    let bench = Bench::new(settings()).unwrap();
    for scenario in [
        Scenario::Floor,
        Scenario::FloorConcurrent,
        Scenario::StoreOnly,
        Scenario::Concurrent,
        Scenario::ManySyncs,
    ] {
        let m = bench.run(scenario, 20).unwrap();
        assert!(m.documents >= 20, "{scenario:?}: {}", m.documents);
        assert!(m.requests.unwrap() >= 20, "{scenario:?}");
    }
}

#[test]
fn separate_process_connector_and_startup() {
    let mut settings = settings();
    settings.separate_process = true;
    let bench = Bench::new(settings).unwrap();
    let m = bench.run(Scenario::Sequential, 50).unwrap();
    assert_eq!(m.mode, "separate-process");
    assert_eq!(m.documents, 50);
    assert!(m.peak_rss_kib.unwrap() > 0);
    // The floor client runs as a process of its own too.
    let floor = bench.run(Scenario::FloorConcurrent, 40).unwrap();
    assert_eq!(floor.requests, Some(40));
    assert!(floor.connector_cpu_s.is_some() && floor.peak_rss_kib.unwrap() > 0);
    let startup = bench.run(Scenario::Startup, 0).unwrap();
    assert!(startup.startup_ms.is_some());
    assert!(startup.idle_rss_kib.unwrap() > 0);
}

#[test]
fn a_manager_that_waits_still_gets_every_document() {
    let mut settings = settings();
    settings.manager_delay = Some(std::time::Duration::from_millis(1));
    let bench = Bench::new(settings).unwrap();
    let m = bench.run(Scenario::Sequential, 20).unwrap();
    assert_eq!(m.documents, 20);
    assert!((20..=28).contains(&m.requests.unwrap()));
}
