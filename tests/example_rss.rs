//! The rss example: syncs against the in-process manager, incremental runs,
//! checkpoints, and its action over HTTP — a macro-built connector end to
//! end.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../examples/rss/connector.rs"]
mod connector;

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use connector::{Rss, RssState};
use omni_connector::testing::{run_sync, LocalRun, LocalSync, MockManager, RunStatus, SourceSeed};
use omni_connector::{Connector, Server, ServerConfig, SyncMode};
use omni_connector_suite::http::send;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/rss/sample-feed.xml");

fn temp_file(name: &str, contents: &str) -> String {
    let dir = std::env::temp_dir().join(format!("omni-rss-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path.to_string_lossy().into_owned()
}

/// An RSS feed with `n` entries, one a day from 2026-01-01.
fn feed(n: usize) -> String {
    let mut xml = String::from(
        r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Generated</title><link>https://g.example.com/</link><description>d</description>"#,
    );
    for i in 0..n {
        let day = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap()
            + chrono::Duration::days(i as i64);
        xml.push_str(&format!(
            "<item><title>Entry {i}</title><guid>entry-{i}</guid><link>https://g.example.com/{i}</link><pubDate>{}</pubDate><description>Body of entry {i}</description></item>",
            day.to_rfc2822()
        ));
    }
    xml.push_str("</channel></rss>");
    xml
}

#[tokio::test]
async fn full_sync_of_the_sample_feed() {
    let report = run_sync(Rss, LocalSync::new(json!({"feed_url": SAMPLE})))
        .await
        .unwrap();
    assert!(report.is_completed(), "{:?}", report.error);
    assert_eq!(report.documents.len(), 11);
    assert_eq!(report.documents_scanned, 12);
    assert_eq!(
        report.errors.len(),
        1,
        "the empty entry is reported, not fatal"
    );
    assert_eq!(report.errors[0].external_id, "blog-example-post-008");

    let doc = report.document("blog-example-post-002").unwrap();
    assert_eq!(
        doc.metadata.title.as_deref(),
        Some("How we cut search latency by 40%")
    );
    assert_eq!(
        doc.metadata.url.as_deref(),
        Some("https://blog.example.com/posts/how-we-cut-search-latency-by-40")
    );
    assert!(doc
        .metadata
        .author
        .as_deref()
        .unwrap()
        .contains("dev.patel@example.com"));
    assert_eq!(
        doc.metadata.extra.as_ref().unwrap()["feed_title"],
        "Example Engineering Blog"
    );
    assert_eq!(
        doc.metadata.created_at.unwrap().to_rfc3339(),
        "2026-11-05T14:30:00+00:00"
    );
    assert!(doc.permissions.as_ref().unwrap().public);
    let text = doc.content.as_deref().unwrap();
    assert!(
        text.contains("The p99 dropped from 180 ms to 108 ms."),
        "{text}"
    );
    assert!(!text.contains("<p>"), "HTML is stripped: {text}");

    let state: RssState = report.state_as().unwrap().unwrap();
    assert_eq!(
        state.last_sync_time.to_rfc3339(),
        "2026-12-02T08:00:00+00:00"
    );
}

#[tokio::test]
async fn incremental_sync_emits_only_newer_entries() {
    let path = temp_file("grow.xml", &feed(5));
    let first = run_sync(Rss, LocalSync::new(json!({"feed_url": path})))
        .await
        .unwrap();
    assert_eq!(first.documents.len(), 5);
    let state = first.state.clone().unwrap();

    let unchanged = run_sync(
        Rss,
        LocalSync::new(json!({"feed_url": path}))
            .state(state.clone())
            .mode(SyncMode::Incremental),
    )
    .await
    .unwrap();
    assert!(unchanged.is_completed());
    assert!(unchanged.documents.is_empty());
    assert_eq!(
        unchanged.state,
        Some(state.clone()),
        "state kept when nothing is new"
    );

    std::fs::write(&path, feed(7)).unwrap();
    let grown = run_sync(
        Rss,
        LocalSync::new(json!({"feed_url": path}))
            .state(state)
            .mode(SyncMode::Incremental),
    )
    .await
    .unwrap();
    let ids: Vec<&str> = grown.documents.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["entry-5", "entry-6"]);
}

#[tokio::test]
async fn a_checkpoint_every_50_entries() {
    let path = temp_file("big.xml", &feed(120));
    let mut run = LocalRun::start(Rss, LocalSync::new(json!({"feed_url": path})))
        .await
        .unwrap();
    let manager = run.manager().clone();
    let _ = run.new_events();
    let report = run.finish().await.unwrap();
    assert_eq!(report.documents.len(), 120);
    let checkpoints = manager
        .requests()
        .iter()
        .filter(|r| r.method == "PUT" && r.path.ends_with("/checkpoint"))
        .count();
    assert_eq!(
        checkpoints, 3,
        "after entries 50 and 100, then at completion"
    );
}

#[tokio::test]
async fn a_missing_feed_fails_the_sync_with_the_reason() {
    let report = run_sync(
        Rss,
        LocalSync::new(json!({"feed_url": "/no/such/feed.xml"})),
    )
    .await
    .unwrap();
    assert_eq!(report.outcome, RunStatus::Failed);
    let error = report.error.unwrap();
    assert!(
        error.starts_with("reading the feed /no/such/feed.xml: cannot read"),
        "{error}"
    );
}

#[tokio::test]
async fn atom_feeds_sync_too() {
    let atom = r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Atom Example</title><id>urn:uuid:feed</id><updated>2026-10-01T00:00:00Z</updated>
  <entry><title>First</title><id>urn:uuid:1</id><updated>2026-10-01T00:00:00Z</updated>
    <author><name>Ada</name><email>ada@example.com</email></author>
    <link href="https://a.example.com/1"/><summary>Hello Atom</summary></entry>
</feed>"#;
    let path = temp_file("atom.xml", atom);
    let report = run_sync(Rss, LocalSync::new(json!({"feed_url": path})))
        .await
        .unwrap();
    assert_eq!(report.documents.len(), 1);
    let doc = &report.documents[0];
    assert_eq!(doc.id, "urn:uuid:1");
    assert_eq!(doc.metadata.author.as_deref(), Some("ada@example.com"));
    assert_eq!(doc.content.as_deref(), Some("First\n\nHello Atom"));
}

/// Serves one HTTP answer with the feed, then stops.
async fn serve_feed_once(body: String) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/feed.xml", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 4096];
        let _ = stream.read(&mut buf).await;
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.write_all(body.as_bytes()).await.unwrap();
    });
    url
}

#[tokio::test]
async fn feeds_are_fetched_over_http() {
    let url = serve_feed_once(feed(3)).await;
    let report = run_sync(Rss, LocalSync::new(json!({"feed_url": url})))
        .await
        .unwrap();
    assert!(report.is_completed(), "{:?}", report.error);
    assert_eq!(report.documents.len(), 3);
}

#[tokio::test]
async fn served_and_called_over_http() {
    let manager = MockManager::start().await.unwrap();
    let mut config = ServerConfig::new(manager.url(), "127.0.0.1", 0);
    config.bind = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let server = Server::new(Rss, config).start().await.unwrap();
    let addr = server.local_addr();

    // Registration passes the manager's schema rules, and a sync runs.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while manager.registrations().is_empty() {
        assert!(std::time::Instant::now() < deadline, "never registered");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let source = manager.add_source(SourceSeed::new("web").config(json!({"feed_url": SAMPLE})));
    let run_id = manager
        .trigger_sync(&server.local_url(), &source, SyncMode::Full)
        .await
        .unwrap();
    let run = manager
        .wait_for_run(&run_id, Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(run.status, RunStatus::Completed);
    assert_eq!(run.events, 11);

    let action = |params: Value| json!({"action": "validate_feed", "params": params}).to_string();
    let ok = send(
        addr,
        "POST",
        "/action",
        Some(&action(json!({"url": SAMPLE}))),
    )
    .await;
    assert_eq!(ok.status, 200);
    assert_eq!(
        ok.json()["result"],
        json!({
            "title": "Example Engineering Blog",
            "format": "RSS 2.0",
            "entries": 12,
            "newest_entry": "2026-12-02T08:00:00Z"
        })
    );

    let not_a_feed = temp_file("not-a-feed.xml", "this is not xml at all");
    let bad = send(
        addr,
        "POST",
        "/action",
        Some(&action(json!({"url": not_a_feed}))),
    )
    .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["status"], "error");
    assert!(bad.json()["error"]
        .as_str()
        .unwrap()
        .contains("not an RSS or Atom feed"));

    let missing = send(addr, "POST", "/action", Some(&action(json!({})))).await;
    assert_eq!(missing.status, 400);
    assert_eq!(missing.json()["error"], "missing parameter `url`");

    let wrong = send(
        addr,
        "POST",
        "/action",
        Some(&action(json!({"url": SAMPLE, "timeout_secs": "soon"}))),
    )
    .await;
    assert_eq!(wrong.status, 400);
    assert!(wrong.json()["error"]
        .as_str()
        .unwrap()
        .starts_with("invalid parameter `timeout_secs`"));

    let unknown = send(
        addr,
        "POST",
        "/action",
        Some(r#"{"action":"fetch_everything"}"#),
    )
    .await;
    assert_eq!(unknown.status, 404);
    assert_eq!(
        unknown.json(),
        json!({"status": "error", "error": "Action not supported: fetch_everything"})
    );
    server.shutdown().await;
}

#[test]
fn the_manifest_is_what_omni_expects() {
    let manifest = serde_json::to_value(Connector::manifest(&Rss, "http://rss:8000")).unwrap();
    assert_eq!(manifest["name"], "rss");
    assert_eq!(manifest["connector_id"], "rss");
    assert_eq!(manifest["sync_modes"], json!(["full", "incremental"]));
    assert_eq!(manifest["source_types"], json!(["web"]));
    assert_eq!(manifest["read_only"], true);
    let action = &manifest["actions"][0];
    assert_eq!(action["name"], "validate_feed");
    assert_eq!(action["mode"], "read");
    assert_eq!(
        action["description"],
        "Validate that a feed URL is accessible and parses."
    );
    assert_eq!(action["input_schema"]["required"], json!(["url"]));
    assert_eq!(
        action["input_schema"]["properties"]["url"]["type"],
        "string"
    );
}
