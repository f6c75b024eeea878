//! Drives the in-process manager over real loopback HTTP and checks it
//! answers like the real connector-manager (`shared/fixtures/manager`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request, Response};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use omni_connector::testing::{Faults, MockManager, RunStatus, SourceSeed};
use omni_connector::SyncMode;
use serde_json::{json, Value};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/fixtures/manager");

struct Answer {
    status: u16,
    content_type: String,
    retry_after: Option<String>,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

type TestClient = Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>;

fn client() -> TestClient {
    Client::builder(TokioExecutor::new())
        .retry_canceled_requests(false)
        .build_http()
}

async fn send(
    client: &TestClient,
    method: Method,
    url: &str,
    content_type: Option<&str>,
    body: impl Into<Bytes>,
) -> Result<Answer, String> {
    let mut builder = Request::builder().method(method).uri(url);
    if let Some(ct) = content_type {
        builder = builder.header("content-type", ct);
    }
    let request = builder.body(Full::new(body.into())).unwrap();
    let response = client.request(request).await.map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let content_type = header("content-type").unwrap_or_default();
    let retry_after = header("retry-after");
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Ok(Answer {
        status,
        content_type,
        retry_after,
        body: String::from_utf8(body.to_vec()).unwrap(),
    })
}

/// A client bound to one manager.
struct Api {
    client: TestClient,
    base: String,
}

impl Api {
    fn new(m: &MockManager) -> Self {
        Api {
            client: client(),
            base: m.url(),
        }
    }

    async fn get(&self, path: &str) -> Answer {
        self.try_call(Method::GET, path, None, "").await.unwrap()
    }

    async fn post_json(&self, path: &str, body: Value) -> Answer {
        self.call(Method::POST, path, body).await
    }

    async fn call(&self, method: Method, path: &str, body: Value) -> Answer {
        self.try_call(method, path, Some("application/json"), body.to_string())
            .await
            .unwrap()
    }

    async fn try_call(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: impl Into<Bytes>,
    ) -> Result<Answer, String> {
        send(
            &self.client,
            method,
            &format!("{}{path}", self.base),
            content_type,
            body,
        )
        .await
    }
}

/// A fixture `.http` file: status, content type, body.
fn fixture_http(name: &str) -> (u16, String, String) {
    let text = std::fs::read_to_string(format!("{FIXTURES}/{name}"))
        .unwrap()
        .replace("\r\n", "\n");
    let (head, body) = text.split_once("\n\n").unwrap();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let content_type = lines
        .find_map(|l| l.strip_prefix("content-type: "))
        .unwrap()
        .to_owned();
    (status, content_type, body.trim_end_matches('\n').to_owned())
}

fn fixture_json(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(format!("{FIXTURES}/{name}")).unwrap()).unwrap()
}

fn assert_fixture(answer: &Answer, name: &str) {
    let (status, content_type, body) = fixture_http(name);
    assert_eq!(answer.status, status, "{name}");
    assert_eq!(answer.content_type, content_type, "{name}");
    assert_eq!(answer.body, body, "{name}");
}

fn is_manager_timestamp(v: &Value) -> bool {
    let s = v.as_str().unwrap_or("");
    s.len() == 33 && s.starts_with("+00") && s.ends_with("000Z") && s.as_bytes()[22] == b'.'
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

fn deleted(run: &str, source: &str, doc: &str) -> Value {
    json!({"type": "document_deleted", "sync_run_id": run, "source_id": source, "document_id": doc})
}

/// A tiny connector: answers /health, /sync (with `sync_status`) and
/// /cancel, and remembers the /sync bodies.
struct FakeConnector {
    url: String,
    syncs: Arc<std::sync::Mutex<Vec<Value>>>,
}

async fn fake_connector(sync_status: u16) -> FakeConnector {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let syncs = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = syncs.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let seen = seen.clone();
            tokio::spawn(async move {
                let service =
                    hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                        let seen = seen.clone();
                        async move {
                            let path = req.uri().path().to_owned();
                            let body = req.into_body().collect().await.unwrap().to_bytes();
                            let (status, answer) = match path.as_str() {
                                "/health" => (200, json!({"status": "healthy", "service": "fake"})),
                                "/sync" => {
                                    seen.lock()
                                        .unwrap()
                                        .push(serde_json::from_slice(&body).unwrap());
                                    (sync_status, json!({"status": "started"}))
                                }
                                "/cancel" => (200, json!({"status": "cancelled"})),
                                _ => (404, json!({})),
                            };
                            let mut response =
                                Response::new(Full::new(Bytes::from(answer.to_string())));
                            *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
                            Ok::<_, Infallible>(response)
                        }
                    });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    FakeConnector { url, syncs }
}

fn manifest(connector_url: &str, actions: Value) -> Value {
    json!({
        "name": "x", "display_name": "X", "version": "1.0.0", "sync_modes": ["full"],
        "connector_id": "x", "connector_url": connector_url, "actions": actions
    })
}

#[tokio::test]
async fn source_credentials_and_sync_config_match_the_fixtures() {
    let m = MockManager::start().await.unwrap();
    let api = Api::new(&m);
    let fixture = fixture_json("source.json");
    let id = m.add_source(
        SourceSeed::new("web")
            .id("01M8YAKRHTSWK1WSMZYJYQD08Y")
            .name("realcm fake web source")
            .checkpoint(json!({"cursor": "page-2", "seen": 1}))
            .credentials(json!({"token": "t0k"})),
    );
    let source = api.get(&format!("/sdk/source/{id}")).await;
    assert_eq!(source.status, 200);
    assert_eq!(source.content_type, "application/json");
    let source = source.json();
    assert_eq!(keys(&source), keys(&fixture));
    for key in keys(&fixture) {
        if key.ends_with("_at") {
            assert!(
                is_manager_timestamp(&source[&key]),
                "{key}: {}",
                source[&key]
            );
        } else {
            assert_eq!(source[&key], fixture[&key], "{key}");
        }
    }
    // The SDK's own model decodes the six-digit-year form.
    let decoded: omni_connector::Source = serde_json::from_value(source).unwrap();
    assert_eq!(decoded.id, id);

    let creds = api.get(&format!("/sdk/credentials/{id}")).await.json();
    let fixture = fixture_json("credentials.json");
    assert_eq!(keys(&creds), keys(&fixture));
    assert_eq!(creds["credentials"], fixture["credentials"]);
    assert_eq!(creds["source_id"], json!(id));
    assert_eq!(creds["user_id"], Value::Null);
    assert!(is_manager_timestamp(&creds["created_at"]));
    let _: omni_connector::ServiceCredential = serde_json::from_value(creds).unwrap();

    let config = api.get(&format!("/sdk/source/{id}/sync-config")).await;
    assert_eq!(config.json(), fixture_json("sync-config.json"));

    assert_fixture(
        &api.get("/sdk/source/01NOPENOPENOPENOPENOPENOPE").await,
        "source-unknown.http",
    );
    m.add_source(SourceSeed::new("web").id("01M8YAN0X3QKNSJ702BPWZVW16"));
    assert_fixture(
        &api.get("/sdk/credentials/01M8YAN0X3QKNSJ702BPWZVW16").await,
        "credentials-none.http",
    );

    // The other source routes.
    m.add_source(SourceSeed::new("custom").id("c1"));
    assert_eq!(api.get("/sdk/source/c1/sync-config").await.status, 400);
    assert_eq!(
        api.get(&format!("/sdk/source/{id}/user-email"))
            .await
            .status,
        404
    );
    m.set_user_email(&id, "a@b.c");
    assert_eq!(
        api.get(&format!("/sdk/source/{id}/user-email"))
            .await
            .json(),
        json!({"email": "a@b.c"})
    );
    let by_type = api.get("/sdk/sources/by-type/web").await.json();
    assert_eq!(by_type.as_array().unwrap().len(), 2);
    assert_eq!(by_type[0]["id"], json!(id));
    m.set_connector_config("google", json!({"client_id": "c"}));
    assert_eq!(
        api.get("/sdk/connector-configs/google").await.json(),
        json!({"client_id": "c"})
    );
    let put = api
        .call(
            Method::PUT,
            &format!("/sdk/source/{id}/connector-state"),
            json!({"s": 1}),
        )
        .await;
    assert_eq!((put.status, put.json()), (200, json!({"status": "ok"})));
    assert_eq!(
        m.source(&id).unwrap().connector_state,
        Some(json!({"s": 1}))
    );
    m.shutdown().await;
}

#[tokio::test]
async fn json_rejections_match_the_fixtures() {
    let m = MockManager::start().await.unwrap();
    let api = Api::new(&m);
    let missing = api
        .try_call(
            Method::POST,
            "/sdk/events",
            Some("application/json"),
            r#"{"sync_run_id":"r"}"#,
        )
        .await
        .unwrap();
    assert_fixture(&missing, "events-missing-field.http");
    let broken = api
        .try_call(
            Method::POST,
            "/sdk/events",
            Some("application/json"),
            r#"{"sync_run_id":"#,
        )
        .await
        .unwrap();
    assert_fixture(&broken, "events-bad-json.http");
    let no_type = api
        .try_call(Method::POST, "/sdk/events", None, "{}")
        .await
        .unwrap();
    assert_fixture(&no_type, "events-no-content-type.http");

    let nope = api.get("/sdk/nope").await;
    assert_eq!(
        (nope.status, nope.json()),
        (404, json!({"error": "Not found"}))
    );
    assert_eq!(api.get("/sdk/events").await.status, 405);
}

#[tokio::test]
async fn events_are_ordered_checked_and_all_or_nothing() {
    let m = MockManager::start().await.unwrap();
    let api = Api::new(&m);
    let src = m.add_source(SourceSeed::new("web"));
    let run = m.create_run(&src, SyncMode::Full);

    let unknown = api
        .post_json(
            "/sdk/events",
            json!({"sync_run_id": "nope", "source_id": src, "event": deleted("nope", &src, "d")}),
        )
        .await;
    assert_fixture(&unknown, "events-unknown-run.http");

    let one = api
        .post_json(
            "/sdk/events",
            json!({"sync_run_id": run, "source_id": src, "event": deleted(&run, &src, "d0")}),
        )
        .await;
    assert_eq!((one.status, one.json()), (200, json!({"status": "ok"})));
    let batch: Vec<Value> = (1..=5)
        .map(|i| deleted(&run, &src, &format!("d{i}")))
        .collect();
    let ok = api
        .post_json(
            "/sdk/events/batch",
            json!({"sync_run_id": run, "source_id": src, "events": batch}),
        )
        .await;
    assert_eq!(ok.status, 200);

    // One stray event rejects the whole batch.
    let mixed = vec![deleted(&run, &src, "d6"), deleted(&run, "other", "d7")];
    let bad = api
        .post_json(
            "/sdk/events/batch",
            json!({"sync_run_id": run, "source_id": src, "events": mixed}),
        )
        .await;
    assert_eq!(bad.status, 400);
    assert!(bad.json()["error"].as_str().unwrap().contains("match"));
    // An envelope for another source.
    let other = api
        .post_json(
            "/sdk/events",
            json!({"sync_run_id": run, "source_id": "other", "event": deleted(&run, "other", "x")}),
        )
        .await;
    assert_eq!(other.status, 400);

    let ids: Vec<String> = m
        .events(&run)
        .iter()
        .map(|e| e.document_id().unwrap().to_owned())
        .collect();
    assert_eq!(ids, ["d0", "d1", "d2", "d3", "d4", "d5"]);
    assert_eq!(m.run(&run).unwrap().events, 6);

    m.mark_run_failed(&run, "stale");
    let late = api
        .post_json(
            "/sdk/events",
            json!({"sync_run_id": run, "source_id": src, "event": deleted(&run, &src, "late")}),
        )
        .await;
    assert_fixture(&late, "events-run-not-running.http");
    assert_eq!(m.run(&run).unwrap().status, RunStatus::Failed);
    assert_eq!(m.run(&run).unwrap().error.as_deref(), Some("stale"));
}

#[tokio::test]
async fn run_lifecycle_counters_and_checkpoints() {
    let m = MockManager::start().await.unwrap();
    let api = Api::new(&m);
    let src = m.add_source(SourceSeed::new("web").checkpoint(json!({"c": 0})));
    let run = m.create_run(&src, SyncMode::Incremental);

    assert_eq!(
        api.post_json(&format!("/sdk/sync/{run}/heartbeat"), json!(null))
            .await
            .status,
        200
    );
    let empty = api
        .try_call(Method::POST, &format!("/sdk/sync/{run}/scanned"), None, "")
        .await
        .unwrap();
    assert_eq!(empty.status, 200);
    api.post_json(&format!("/sdk/sync/{run}/scanned"), json!({"count": 4}))
        .await;
    api.post_json(&format!("/sdk/sync/{run}/scanned"), json!({}))
        .await;
    api.post_json(&format!("/sdk/sync/{run}/updated"), json!({"count": 2}))
        .await;
    let put = api
        .call(
            Method::PUT,
            &format!("/sdk/sync/{run}/checkpoint"),
            json!({"c": 7}),
        )
        .await;
    assert_eq!(put.status, 200);
    let snap = m.run(&run).unwrap();
    assert_eq!((snap.documents_scanned, snap.documents_updated), (6, 2));
    assert_eq!(snap.checkpoint, Some(json!({"c": 7})));

    let waiter = {
        let m = m.clone();
        let run = run.clone();
        tokio::spawn(async move { m.wait_for_run(&run, Duration::from_secs(5)).await })
    };
    tokio::task::yield_now().await;
    let done = api
        .try_call(Method::POST, &format!("/sdk/sync/{run}/complete"), None, "")
        .await
        .unwrap();
    assert_eq!(done.status, 200);
    let snap = waiter.await.unwrap().unwrap();
    assert_eq!(snap.status, RunStatus::Completed);
    assert_eq!(m.source(&src).unwrap().checkpoint, Some(json!({"c": 7})));

    // Not running any more: 200 and ignored.
    let scanned = api
        .post_json(&format!("/sdk/sync/{run}/scanned"), json!({"count": 9}))
        .await;
    assert_fixture(&scanned, "scanned-run-not-running.http");
    let again = api
        .try_call(Method::POST, &format!("/sdk/sync/{run}/complete"), None, "")
        .await
        .unwrap();
    assert_fixture(&again, "complete-run-not-running.http");
    api.call(
        Method::PUT,
        &format!("/sdk/sync/{run}/checkpoint"),
        json!({"c": 99}),
    )
    .await;
    api.post_json(&format!("/sdk/sync/{run}/fail"), json!({"error": "late"}))
        .await;
    let snap = m.run(&run).unwrap();
    assert_eq!(snap.status, RunStatus::Completed);
    assert_eq!(snap.documents_scanned, 6);
    assert_eq!(snap.checkpoint, Some(json!({"c": 7})));

    // A run that saved no checkpoint wipes the source's on completion.
    let run2 = m.create_run(&src, SyncMode::Full);
    api.post_json(&format!("/sdk/sync/{run2}/complete"), json!({}))
        .await;
    assert_eq!(m.source(&src).unwrap().checkpoint, None);

    // Fail, cancel, create, webhook, unknown runs.
    let run3 = m.create_run(&src, SyncMode::Full);
    api.post_json(&format!("/sdk/sync/{run3}/fail"), json!({"error": "boom"}))
        .await;
    assert_eq!(m.run(&run3).unwrap().error.as_deref(), Some("boom"));
    let created = api
        .post_json(
            "/sdk/sync/create",
            json!({"source_id": src, "sync_type": "full"}),
        )
        .await
        .json();
    let run4 = created["sync_run_id"].as_str().unwrap().to_owned();
    assert_eq!(m.run(&run4).unwrap().mode, SyncMode::Full);
    let cancel = api
        .post_json("/sdk/sync/cancel", json!({"sync_run_id": run4}))
        .await;
    assert_eq!(cancel.json(), json!({"success": true}));
    assert_eq!(m.run(&run4).unwrap().status, RunStatus::Cancelled);
    let hook = api
        .post_json(
            "/sdk/webhook/notify",
            json!({"source_id": src, "event_type": "push"}),
        )
        .await
        .json();
    let run5 = hook["sync_run_id"].as_str().unwrap();
    assert_eq!(m.run(run5).unwrap().mode, SyncMode::Incremental);
    let unknown = api.post_json("/sdk/sync/zzz/heartbeat", json!({})).await;
    assert_eq!(
        (unknown.status, unknown.json()),
        (404, json!({"error": "Sync run not found: zzz"}))
    );
    assert!(m
        .wait_for_run(run5, Duration::from_millis(20))
        .await
        .is_none());
}

#[tokio::test]
async fn content_and_extraction() {
    let m = MockManager::start().await.unwrap();
    let api = Api::new(&m);
    let stored = api
        .post_json(
            "/sdk/content",
            json!({"sync_run_id": "r", "content": "hello", "content_type": "text/plain"}),
        )
        .await;
    let (status, content_type, body) = fixture_http("content-ok.http");
    assert_eq!(
        (stored.status, stored.content_type.as_str()),
        (status, content_type.as_str())
    );
    assert_eq!(stored.body.len(), body.len());
    let id = stored.json()["content_id"].as_str().unwrap().to_owned();
    assert_eq!(m.content(&id).unwrap().content, "hello");

    let form = b"--BB\r\nContent-Disposition: form-data; name=\"sync_run_id\"\r\n\r\nr\r\n--BB\r\nContent-Disposition: form-data; name=\"mime_type\"\r\n\r\ntext/plain\r\n--BB\r\nContent-Disposition: form-data; name=\"data\"; filename=\"a.txt\"\r\n\r\nfile \xff text\r\n--BB--\r\n";
    let ct = Some("multipart/form-data; boundary=BB");
    let extracted = api
        .try_call(Method::POST, "/sdk/extract-content", ct, &form[..])
        .await
        .unwrap();
    assert_eq!(extracted.status, 200);
    let cid = extracted.json()["content_id"].as_str().unwrap().to_owned();
    let content = m.content(&cid).unwrap();
    assert_eq!(content.content, "file \u{fffd} text");
    assert_eq!(content.content_type.as_deref(), Some("text/plain"));
    let text = api
        .try_call(Method::POST, "/sdk/extract-text", ct, &form[..])
        .await
        .unwrap();
    assert_eq!(text.json(), json!({"text": "file \u{fffd} text"}));
    let broken = api
        .try_call(Method::POST, "/sdk/extract-text", ct, &b"--BB\r\nnope"[..])
        .await
        .unwrap();
    assert_eq!(broken.status, 400);
    assert!(broken.json()["error"].is_string());
}

#[tokio::test]
async fn registration_rules() {
    let m = MockManager::start().await.unwrap();
    let api = Api::new(&m);
    let connector = fake_connector(200).await;
    let bad_schema = manifest(
        &connector.url,
        json!([{"name": "a", "description": "", "input_schema":
            {"type": "object", "properties": {"p": {"$ref": "#/x"}}}, "source_types": ["web"],
            "admin_only": false, "hidden": false}]),
    );
    assert_fixture(
        &api.post_json("/sdk/register", bad_schema).await,
        "register-bad-schema.http",
    );
    assert_fixture(
        &api.post_json("/sdk/register", manifest("http://127.0.0.1:1", json!([])))
            .await,
        "register-unreachable.http",
    );
    let bad_type = manifest(
        &connector.url,
        json!([{"name": "a", "description": "", "input_schema": {}, "source_types": ["nope"],
            "admin_only": false, "hidden": false}]),
    );
    let rejected = api.post_json("/sdk/register", bad_type).await;
    assert_eq!(
        (rejected.status, rejected.content_type.as_str()),
        (422, "text/plain; charset=utf-8")
    );
    assert_eq!(
        api.post_json("/sdk/register", manifest("", json!([])))
            .await
            .status,
        400
    );
    assert!(m.registrations().is_empty());

    let good = api
        .post_json("/sdk/register", manifest(&connector.url, json!([])))
        .await;
    assert_eq!((good.status, good.json()), (200, json!({"status": "ok"})));
    m.set_registration_health_check(false);
    let unchecked = api
        .post_json("/sdk/register", manifest("http://127.0.0.1:1", json!([])))
        .await;
    assert_eq!(unchecked.status, 200);
    assert_eq!(m.registrations().len(), 2);
    assert_eq!(m.count_requests("POST", "/sdk/register"), 6);
}

#[tokio::test]
async fn trigger_resume_and_cancel_call_the_connector() {
    let m = MockManager::start().await.unwrap();
    let api = Api::new(&m);
    let connector = fake_connector(200).await;
    let src = m.add_source(SourceSeed::new("web").checkpoint(json!({"c": 1})));
    let run = m
        .trigger_sync(&connector.url, &src, SyncMode::Full)
        .await
        .unwrap();
    api.call(
        Method::PUT,
        &format!("/sdk/sync/{run}/checkpoint"),
        json!({"c": 2}),
    )
    .await;
    api.post_json(&format!("/sdk/sync/{run}/complete"), json!({}))
        .await;
    let run2 = m
        .trigger_sync(&connector.url, &src, SyncMode::Incremental)
        .await
        .unwrap();
    api.call(
        Method::PUT,
        &format!("/sdk/sync/{run2}/checkpoint"),
        json!({"c": 3}),
    )
    .await;
    m.resume_sync(&connector.url, &run2).await.unwrap();
    {
        let syncs = connector.syncs.lock().unwrap();
        assert_eq!(syncs.len(), 3);
        assert_eq!(syncs[0]["checkpoint"], json!({"c": 1}));
        assert!(syncs[0].get("last_sync_at").is_none());
        assert!(syncs[0].get("is_resume").is_none());
        assert_eq!(syncs[1]["checkpoint"], json!({"c": 2}));
        assert_eq!(syncs[1]["sync_mode"], "incremental");
        assert!(syncs[1]["last_sync_at"].is_string());
        assert_eq!(syncs[2]["checkpoint"], json!({"c": 3}));
        assert_eq!(syncs[2]["is_resume"], true);
    }
    let (status, body) = m.cancel_sync(&connector.url, &run2).await.unwrap();
    assert_eq!((status, body), (200, json!({"status": "cancelled"})));
    assert_eq!(m.run(&run2).unwrap().status, RunStatus::Cancelled);

    let refusing = fake_connector(409).await;
    let err = m
        .trigger_sync(&refusing.url, &src, SyncMode::Full)
        .await
        .unwrap_err();
    assert_eq!(err.status, 409);
    assert_eq!(m.requests().len(), m.request_count());
    let refused_run = refusing.syncs.lock().unwrap()[0]["sync_run_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let failed = m
        .wait_for_run(&refused_run, Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(failed.status, RunStatus::Failed);
    let unreachable = m
        .trigger_sync("http://127.0.0.1:1", &src, SyncMode::Full)
        .await
        .unwrap_err();
    assert_eq!(unreachable.status, 0);
}

#[tokio::test]
async fn fault_knobs() {
    let m = MockManager::start().await.unwrap();
    let api = Api::new(&m);
    let src = m.add_source(SourceSeed::new("web"));
    let path = format!("/sdk/source/{src}");

    m.set_faults(Faults {
        fail_every_nth: Some(3),
        ..Faults::default()
    });
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(api.get(&path).await.status);
    }
    assert_eq!(statuses, [200, 200, 503, 200, 200, 503]);
    let injected = {
        m.set_faults(Faults {
            fail_fraction: 1.0,
            ..Faults::default()
        });
        api.get(&path).await
    };
    assert_eq!(injected.json(), json!({"error": "injected fault"}));

    let pattern = |seed| {
        let m = m.clone();
        let api = Api::new(&m);
        let path = path.clone();
        async move {
            m.set_faults(Faults {
                fail_fraction: 0.5,
                seed,
                ..Faults::default()
            });
            let mut out = Vec::new();
            for _ in 0..20 {
                out.push(api.get(&path).await.status);
            }
            out
        }
    };
    let a = pattern(11).await;
    assert_eq!(a, pattern(11).await);
    assert!(a.contains(&200) && a.contains(&503));

    m.set_faults(Faults {
        rate_limit_every_nth: Some(2),
        retry_after_secs: 7,
        ..Faults::default()
    });
    assert_eq!(api.get(&path).await.status, 200);
    let limited = api.get(&path).await;
    assert_eq!(
        (limited.status, limited.retry_after.as_deref()),
        (429, Some("7"))
    );

    m.set_faults(Faults {
        extractor_busy_calls: 1,
        retry_after_secs: 2,
        ..Faults::default()
    });
    let form = "--B\r\nContent-Disposition: form-data; name=\"sync_run_id\"\r\n\r\nr\r\n--B\r\nContent-Disposition: form-data; name=\"mime_type\"\r\n\r\ntext/plain\r\n--B\r\nContent-Disposition: form-data; name=\"data\"\r\n\r\nx\r\n--B--\r\n";
    let ct = Some("multipart/form-data; boundary=B");
    assert_eq!(api.get(&path).await.status, 200);
    let busy = api
        .try_call(Method::POST, "/sdk/extract-text", ct, form)
        .await
        .unwrap();
    assert_eq!((busy.status, busy.retry_after.as_deref()), (429, Some("2")));
    let free = api
        .try_call(Method::POST, "/sdk/extract-text", ct, form)
        .await
        .unwrap();
    assert_eq!(free.status, 200);

    m.set_faults(Faults {
        delay: Some(Duration::from_millis(60)),
        ..Faults::default()
    });
    let started = Instant::now();
    assert_eq!(api.get(&path).await.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(60));

    m.set_faults(Faults {
        drop_every_nth: Some(2),
        ..Faults::default()
    });
    assert!(api.try_call(Method::GET, &path, None, "").await.is_ok());
    assert!(api.try_call(Method::GET, &path, None, "").await.is_err());
    m.set_faults(Faults {
        drop_fraction: 1.0,
        ..Faults::default()
    });
    assert!(Api::new(&m)
        .try_call(Method::GET, &path, None, "")
        .await
        .is_err());
    assert_eq!(m.requests().last().unwrap().status, 0);

    m.set_faults(Faults::default());
    assert_eq!(Api::new(&m).get(&path).await.status, 200);
}

#[tokio::test]
async fn concurrent_load_and_shutdown() {
    let m = MockManager::start().await.unwrap();
    let src = m.add_source(SourceSeed::new("web"));
    let run = m.create_run(&src, SyncMode::Full);
    let done = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (m, run, done) = (m.clone(), run.clone(), done.clone());
        tasks.push(tokio::spawn(async move {
            let api = Api::new(&m);
            for _ in 0..50 {
                let a = api
                    .post_json(&format!("/sdk/sync/{run}/scanned"), json!({"count": 1}))
                    .await;
                assert_eq!(a.status, 200);
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(m.run(&run).unwrap().documents_scanned, 400);
    assert_eq!(m.count_requests("post", "/sdk/sync/"), 400);
    let url = m.url();
    m.shutdown().await;
    assert!(send(
        &client(),
        Method::GET,
        &format!("{url}/sdk/source/x"),
        None,
        ""
    )
    .await
    .is_err());
}

#[tokio::test]
async fn pause_and_resume_keep_the_port_and_the_state() {
    use omni_connector_suite::http::send as raw_send;
    let m = MockManager::start().await.unwrap();
    let src = m.add_source(SourceSeed::new("web"));
    let path = format!("/sdk/source/{src}");
    assert_eq!(raw_send(m.addr(), "GET", &path, None).await.status, 200);
    assert!(m.is_listening());
    m.pause().await;
    assert!(!m.is_listening());
    assert!(
        tokio::net::TcpStream::connect(m.addr()).await.is_err(),
        "connections are refused while paused"
    );
    m.resume().await;
    assert!(m.is_listening());
    let back = raw_send(m.addr(), "GET", &path, None).await;
    assert_eq!(back.status, 200, "same port, same sources");
    assert_eq!(back.json()["id"], src);
    m.resume().await; // not paused: nothing happens
    assert!(m.is_listening());
}

#[tokio::test]
async fn lost_answers_take_effect() {
    let m = MockManager::start().await.unwrap();
    let api = Api::new(&m);
    let src = m.add_source(SourceSeed::new("web"));
    let run = m.create_run(&src, SyncMode::Full);
    m.set_faults(Faults {
        lose_answer_fraction: 1.0,
        ..Faults::default()
    });
    let path = format!("/sdk/sync/{run}/scanned");
    let body = r#"{"count": 2}"#;
    assert!(api
        .try_call(Method::POST, &path, Some("application/json"), body)
        .await
        .is_err());
    m.set_faults(Faults::default());
    assert_eq!(m.run(&run).unwrap().documents_scanned, 2);
    assert_eq!(m.requests().last().unwrap().status, 0);
}

#[tokio::test]
async fn counting_only_manager_keeps_nothing_but_counts() {
    use omni_connector::testing::ManagerOptions;
    let m = MockManager::start_with(ManagerOptions::counting_only())
        .await
        .unwrap();
    let src = m.add_source(SourceSeed::new("web"));
    let run = m.create_run(&src, SyncMode::Full);
    let c = client();
    let url = |path: &str| format!("{}{path}", m.url());
    let stored = send(
        &c,
        Method::POST,
        &url("/sdk/content"),
        Some("application/json"),
        json!({"sync_run_id": run, "content": "hello"}).to_string(),
    )
    .await
    .unwrap();
    assert_eq!(stored.status, 200);
    let content_id = stored.json()["content_id"].as_str().unwrap().to_owned();
    let event = json!({"type": "document_deleted", "sync_run_id": run, "source_id": src, "document_id": "d"});
    let batch = send(
        &c,
        Method::POST,
        &url("/sdk/events/batch"),
        Some("application/json"),
        json!({"sync_run_id": run, "source_id": src, "events": [event.clone(), event]}).to_string(),
    )
    .await
    .unwrap();
    assert_eq!(batch.status, 200);
    // Validation still applies: a mismatched source is refused.
    let refused = send(
        &c,
        Method::POST,
        &url("/sdk/events/batch"),
        Some("application/json"),
        json!({"sync_run_id": run, "source_id": "other", "events": []}).to_string(),
    )
    .await
    .unwrap();
    assert_eq!(refused.status, 400);

    assert_eq!(m.request_count(), 3);
    assert!(m.requests().is_empty());
    assert!(m.content(&content_id).is_none());
    assert!(m.events(&run).is_empty());
    assert_eq!(m.run(&run).unwrap().events, 2);
}
