//! Hostile and malformed requests against every endpoint of the connector.
//! The corpus is generated here as a table of cases: each says what it
//! sends and what it must get back, either a clear 4xx with a JSON error
//! body from the SDK, or, where HTTP parsing itself fails, hyper's bare
//! answer or a closed connection (each case says which). After every batch
//! the server must still answer `/health`, and memory must stay bounded.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use omni_connector::testing::{MockManager, SourceSeed};
use omni_connector::{Server, ServerConfig, ServerHandle, SyncMode};
use omni_connector_suite::client;
use omni_connector_suite::probe::Probe;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const BODY_LIMIT: usize = 256 * 1024;

async fn serve(manager: &MockManager, change: impl FnOnce(&mut ServerConfig)) -> ServerHandle {
    Server::new(
        Probe::default(),
        ServerConfig::new(manager.url(), "127.0.0.1", 0),
    )
    .configure(|c| {
        c.bind = IpAddr::V4(Ipv4Addr::LOCALHOST);
        c.body_limit = BODY_LIMIT;
        c.header_timeout = Duration::from_secs(2);
        c.body_timeout = Duration::from_secs(2);
        c.cancel_grace = Duration::from_millis(200);
        c.shutdown_timeout = Duration::from_secs(1);
        change(c);
    })
    .client(client(manager))
    .start()
    .await
    .unwrap()
}

// ---- a raw exchange -------------------------------------------------------------

/// What came back for some bytes.
#[derive(Debug)]
enum Outcome {
    /// An HTTP answer: status and body.
    Answer(u16, Vec<u8>),
    /// The connection closed (or was reset) without an answer.
    Closed,
}

/// Sends `bytes` (writing while reading, so an early answer to a body the
/// server will not read is still seen) and reads until the server closes.
async fn exchange(addr: SocketAddr, bytes: Vec<u8>) -> Outcome {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let write = tokio::spawn(async move {
        let _ = writer.write_all(&bytes).await;
        // Keep the write half open: a half-close could end the exchange early.
        tokio::time::sleep(Duration::from_secs(15)).await;
        drop(writer);
    });
    let mut got = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        match tokio::time::timeout_at(deadline, reader.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Err(_) => panic!(
                "no end to the answer within 15 s: {:?}",
                String::from_utf8_lossy(&got)
            ),
        }
    }
    write.abort();
    parse(&got)
}

fn parse(bytes: &[u8]) -> Outcome {
    let Some(split) = bytes.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Outcome::Closed;
    };
    let head = String::from_utf8_lossy(&bytes[..split]);
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Outcome::Answer(status, bytes[split + 4..].to_vec())
}

// ---- the corpus ---------------------------------------------------------------------

/// What a case must get.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// This status with a JSON error body from the SDK.
    Json(u16),
    /// hyper's own answer to a request it cannot parse: this status, no
    /// JSON, then the connection closes.
    Bare(u16),
    /// The connection closes without an answer.
    Closed,
}

struct Case {
    name: String,
    bytes: Vec<u8>,
    expect: Expect,
}

fn request(method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("{method} {path} HTTP/1.1\r\nHost: connector\r\nConnection: close\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

fn json_post(path: &str, body: &[u8]) -> Vec<u8> {
    request("POST", path, &[("Content-Type", "application/json")], body)
}

const POSTS: [&str; 3] = ["/sync", "/cancel", "/action"];

fn corpus() -> Vec<Case> {
    let mut cases = Vec::new();
    let mut add = |name: String, bytes: Vec<u8>, expect: Expect| {
        cases.push(Case {
            name,
            bytes,
            expect,
        })
    };

    // 1. JSON that does not parse, or is not an object.
    let broken: &[&str] = &[
        "",
        "{",
        "}",
        "{{}",
        "{}}",
        "[1,2",
        "nul",
        "{'a':1}",
        r#"{"a":}"#,
        r#"{"a" 1}"#,
        r#"{"sync_run_id":"r",}"#,
        r#"{"sync_run_id":"r"} trailing"#,
        "/* comment */ {}",
        "\u{feff}{}",
        "NaN",
        "-",
        "1e999999",
        r#"{"a":"\ud800"}"#,
        r#"{"a":"\x"}"#,
        "\"unterminated",
        "[]",
        "null",
        "true",
        "123",
        "\"a string\"",
        "\0",
    ];
    for path in POSTS {
        for body in broken {
            add(
                format!("broken JSON {body:?} to {path}"),
                json_post(path, body.as_bytes()),
                Expect::Json(400),
            );
        }
    }

    // 2. Wrong types and missing fields.
    let sync_bad = [
        json!({}),
        json!({"source_id": "s", "sync_mode": "full"}),
        json!({"sync_run_id": "r", "sync_mode": "full"}),
        json!({"sync_run_id": "r", "source_id": "s"}),
        json!({"sync_run_id": 1, "source_id": "s", "sync_mode": "full"}),
        json!({"sync_run_id": "r", "source_id": null, "sync_mode": "full"}),
        json!({"sync_run_id": "r", "source_id": ["s"], "sync_mode": "full"}),
        json!({"sync_run_id": "r", "source_id": "s", "sync_mode": 5}),
        json!({"sync_run_id": "r", "source_id": "s", "sync_mode": "sideways"}),
        json!({"sync_run_id": "r", "source_id": "s", "sync_mode": "full", "is_resume": "yes"}),
        json!({"sync_run_id": "r", "source_id": "s", "sync_mode": "full", "last_sync_at": "yesterday"}),
        json!({"sync_run_id": "r", "source_id": "s", "sync_mode": "full", "last_sync_at": 17}),
        json!({"sync_run_id": {"$gt": ""}, "source_id": "s", "sync_mode": "full"}),
        json!({"sync_run_id": true, "source_id": false, "sync_mode": null}),
    ];
    for body in sync_bad {
        add(
            format!("sync request {body}"),
            json_post("/sync", body.to_string().as_bytes()),
            Expect::Json(400),
        );
    }
    for body in [
        json!({}),
        json!({"sync_run_id": 1}),
        json!({"sync_run_id": null}),
        json!({"sync_run_id": ["r"]}),
        json!({"sync_run_id": {"id": "r"}}),
        json!({"run": "r"}),
    ] {
        add(
            format!("cancel request {body}"),
            json_post("/cancel", body.to_string().as_bytes()),
            Expect::Json(400),
        );
    }
    for id in ["nope", "", "../../x", "r\u{0}", &"x".repeat(10_000)] {
        add(
            format!("cancel of an unknown run {:.40}", id),
            json_post("/cancel", json!({"sync_run_id": id}).to_string().as_bytes()),
            Expect::Json(404),
        );
    }
    for body in [
        json!({}),
        json!({"params": {}}),
        json!({"action": 1}),
        json!({"action": null}),
        json!({"action": ["echo"]}),
        json!({"action": "echo", "credentials": "token"}),
        json!({"action": "echo", "credentials": [1, 2]}),
        json!({"action": "echo", "source": "s"}),
        json!({"action": "echo", "source": {"id": 1}}),
        json!({"action": "echo", "actor_email": 5}),
        json!({"action": "echo", "params": {"text": 5}}),
        json!({"action": "echo", "params": "text"}),
        json!({"action": "echo", "params": []}),
    ] {
        add(
            format!("action request {body}"),
            json_post("/action", body.to_string().as_bytes()),
            Expect::Json(400),
        );
    }
    for name in [
        "nope",
        "",
        "ECHO",
        "echo ",
        "../echo",
        "\u{202e}ohce",
        &"a".repeat(5000),
    ] {
        add(
            format!("unknown action {:.40}", name),
            json_post("/action", json!({"action": name}).to_string().as_bytes()),
            Expect::Json(404),
        );
    }

    // 3. Bytes that are not UTF-8.
    let invalid_utf8: [&[u8]; 4] = [
        b"{\"sync_run_id\":\"\xff\xfe\"}",
        b"{\"action\":\"\xc3\x28\"}",
        b"\xff\xff\xff\xff",
        b"{\"a\xed\xa0\x80\":1}",
    ];
    for path in POSTS {
        for body in invalid_utf8 {
            add(
                format!("invalid UTF-8 {body:?} to {path}"),
                json_post(path, body),
                Expect::Json(400),
            );
        }
    }

    // 4. Content types that are not JSON.
    let types = [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/xml",
        "application/jsonx",
        "json",
        "",
    ];
    for path in POSTS {
        for ct in types {
            add(
                format!("content type {ct:?} to {path}"),
                request("POST", path, &[("Content-Type", ct)], b"{}"),
                Expect::Json(415),
            );
        }
        let mut latin = request("POST", path, &[], b"{}");
        let at = latin.windows(2).position(|w| w == b"\r\n").unwrap() + 2;
        latin.splice(
            at..at,
            b"Content-Type: application/\xe9json\r\n".iter().copied(),
        );
        add(
            format!("non-ASCII content type to {path}"),
            latin,
            Expect::Json(415),
        );
    }

    // 5. Bodies over the limit, declared or not, and lies about the length.
    for path in POSTS {
        let big = vec![b' '; BODY_LIMIT + 1];
        add(
            format!("declared body over the limit to {path}"),
            json_post(path, &big),
            Expect::Json(413),
        );
        let mut chunked = format!(
            "POST {path} HTTP/1.1\r\nHost: c\r\nConnection: close\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        .into_bytes();
        for _ in 0..(BODY_LIMIT / 8192 + 2) {
            chunked.extend_from_slice(b"2000\r\n");
            chunked.extend_from_slice(&[b' '; 8192]);
            chunked.extend_from_slice(b"\r\n");
        }
        chunked.extend_from_slice(b"0\r\n\r\n");
        add(
            format!("chunked body over the limit to {path}"),
            chunked,
            Expect::Json(413),
        );
        add(
            format!("a terabyte declared to {path}"),
            format!(
                "POST {path} HTTP/1.1\r\nHost: c\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 1000000000000\r\n\r\n{{}}"
            )
            .into_bytes(),
            Expect::Json(413),
        );
        add(
            format!("body shorter than declared to {path}"),
            format!(
                "POST {path} HTTP/1.1\r\nHost: c\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{}}"
            )
            .into_bytes(),
            // The client half-closes nothing; the body timeout answers.
            Expect::Json(408),
        );
    }

    // 6. Deep nesting: serde_json's recursion limit (128) refuses it.
    for path in POSTS {
        let arrays = "[".repeat(100_000);
        add(
            format!("100k nested arrays to {path}"),
            json_post(path, arrays.as_bytes()),
            Expect::Json(400),
        );
        let closed = format!("{}{}", "[".repeat(5_000), "]".repeat(5_000));
        add(
            format!("5k balanced nested arrays to {path}"),
            json_post(path, closed.as_bytes()),
            Expect::Json(400),
        );
        let objects = format!(
            "{{\"action\":\"echo\",\"params\":{}",
            "{\"a\":".repeat(20_000)
        );
        add(
            format!("20k nested objects in a field to {path}"),
            json_post(path, objects.as_bytes()),
            Expect::Json(400),
        );
        let checkpoint = format!(
            "{{\"sync_run_id\":\"r\",\"source_id\":\"s\",\"sync_mode\":\"full\",\"checkpoint\":{}1{}}}",
            "[".repeat(1000),
            "]".repeat(1000)
        );
        add(
            format!("1000-deep checkpoint to {path}"),
            json_post(path, checkpoint.as_bytes()),
            // /cancel skips the field it does not know (serde_json skips
            // without recursing) and answers for the run id.
            Expect::Json(if path == "/cancel" { 404 } else { 400 }),
        );
    }
    let wide = format!(
        "{{\"action\":\"echo\",\"params\":{{\"text\":\"{}\"}}}}",
        "w".repeat(200_000)
    );
    add(
        "a 200 KB string parameter".into(),
        json_post("/action", wide.as_bytes()),
        Expect::Json(200),
    );

    // 7. Paths.
    let paths: &[(&str, &str, Expect)] = &[
        ("GET", "/sync/", Expect::Json(404)),
        ("GET", "/sync/%zz", Expect::Json(404)),
        ("GET", "/sync/%C3%28", Expect::Json(404)),
        ("GET", "/sync/%ff%fe", Expect::Json(404)),
        ("GET", "/sync/a/b", Expect::Json(404)),
        ("GET", "/sync/..%2F..%2Fetc%2Fpasswd", Expect::Json(200)),
        ("GET", "/sync/%00", Expect::Json(200)),
        ("GET", "/sync/r%20un", Expect::Json(200)),
        ("GET", "/sync/%", Expect::Json(404)),
        ("GET", "/sync/%4", Expect::Json(404)),
        ("GET", "/sync//", Expect::Json(404)),
        ("GET", "/../../etc/passwd", Expect::Json(404)),
        ("GET", "//health", Expect::Json(404)),
        ("GET", "/health/", Expect::Json(404)),
        ("GET", "/HEALTH", Expect::Json(404)),
        ("GET", "/%ff", Expect::Json(404)),
        ("GET", "/manifest.json", Expect::Json(404)),
        ("GET", "/health?x=%ff&&==", Expect::Json(200)),
        ("GET", "/sync?id=1", Expect::Json(405)),
        ("GET", "http://evil.example/health", Expect::Json(200)),
        ("GET", "/index.php?page=../../etc/passwd", Expect::Json(404)),
        ("GET", "/.env", Expect::Json(404)),
        ("GET", "/.git/config", Expect::Json(404)),
        ("OPTIONS", "*", Expect::Json(404)),
        ("GET", "/sync/%E2%80%AE", Expect::Json(200)),
    ];
    for (method, path, expect) in paths {
        add(
            format!("{method} {path}"),
            request(method, path, &[], b""),
            *expect,
        );
    }
    let long_id = format!("/sync/{}", "x".repeat(20_000));
    add(
        "GET a 20k-character run id".into(),
        request("GET", &long_id, &[], b""),
        Expect::Json(200),
    );
    let huge_path = format!("/sync/{}", "y".repeat(100_000));
    add(
        "GET a 100k-character path (over the head limit)".into(),
        request("GET", &huge_path, &[], b""),
        Expect::Bare(431),
    );

    // 8. Methods the endpoints do not take.
    let routes = [
        "/health",
        "/manifest",
        "/sync",
        "/cancel",
        "/action",
        "/sync/abc",
    ];
    for method in [
        "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "FOO", "TRACE", "M-SEARCH",
    ] {
        for path in routes {
            let expect = if method == "HEAD" {
                // HEAD answers carry no body: the status alone says it.
                Expect::Bare(405)
            } else {
                Expect::Json(405)
            };
            add(
                format!("{method} {path}"),
                request(method, path, &[], b""),
                expect,
            );
        }
    }
    for get_only in ["/sync", "/cancel", "/action"] {
        add(
            format!("GET {get_only}"),
            request("GET", get_only, &[], b""),
            Expect::Json(405),
        );
    }
    for post_only in ["/health", "/manifest", "/sync/abc"] {
        add(
            format!("POST {post_only}"),
            json_post(post_only, b"{}"),
            Expect::Json(405),
        );
    }

    // 9. Header floods.
    let many = |n: usize| -> Vec<(String, String)> {
        (0..n)
            .map(|i| (format!("X-Flood-{i}"), "v".into()))
            .collect()
    };
    for (name, n) in [
        ("101 headers", 101usize),
        ("1,000 headers", 1000),
        ("10,000 headers", 10_000),
    ] {
        let headers = many(n);
        let refs: Vec<(&str, &str)> = headers
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        add(
            name.into(),
            request("GET", "/health", &refs, b""),
            Expect::Bare(431),
        );
    }
    let big_value = "v".repeat(100 * 1024);
    add(
        "one 100 KiB header".into(),
        request("GET", "/health", &[("X-Big", &big_value)], b""),
        Expect::Bare(431),
    );
    let cookie = "c=".to_owned() + &"k".repeat(70 * 1024);
    add(
        "a 70 KiB cookie".into(),
        request("POST", "/sync", &[("Cookie", &cookie)], b"{}"),
        Expect::Bare(431),
    );
    add(
        "50 headers of 1 KiB".into(),
        {
            let value = "z".repeat(1024);
            let headers: Vec<(String, String)> = (0..50)
                .map(|i| (format!("X-H{i}"), value.clone()))
                .collect();
            let refs: Vec<(&str, &str)> = headers
                .iter()
                .map(|(a, b)| (a.as_str(), b.as_str()))
                .collect();
            request("GET", "/health", &refs, b"")
        },
        Expect::Json(200),
    );

    // 10. Malformed HTTP and request smuggling shapes.
    let raw_cases: Vec<(&str, Vec<u8>, Expect)> = vec![
        (
            "Content-Length and Transfer-Encoding both",
            b"POST /cancel HTTP/1.1\r\nHost: c\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /manifest HTTP/1.1\r\nHost: c\r\n\r\n".to_vec(),
            // Transfer-Encoding wins (RFC 9112 6.3): the body is empty.
            // `conflicting_lengths_never_smuggle_a_second_request` checks
            // the connection then closes.
            Expect::Json(400),
        ),
        (
            "two different Content-Lengths",
            b"POST /cancel HTTP/1.1\r\nHost: c\r\nConnection: close\r\nContent-Length: 2\r\nContent-Length: 40\r\n\r\n{}".to_vec(),
            Expect::Bare(400),
        ),
        (
            "a list of Content-Lengths",
            b"POST /cancel HTTP/1.1\r\nHost: c\r\nConnection: close\r\nContent-Length: 2, 40\r\n\r\n{}".to_vec(),
            Expect::Bare(400),
        ),
        (
            "a negative Content-Length",
            b"POST /cancel HTTP/1.1\r\nHost: c\r\nConnection: close\r\nContent-Length: -1\r\n\r\n{}".to_vec(),
            Expect::Bare(400),
        ),
        (
            "a signed Content-Length",
            b"POST /cancel HTTP/1.1\r\nHost: c\r\nConnection: close\r\nContent-Length: +2\r\n\r\n{}".to_vec(),
            Expect::Bare(400),
        ),
        (
            "a hex Content-Length",
            b"POST /cancel HTTP/1.1\r\nHost: c\r\nConnection: close\r\nContent-Length: 0x2\r\n\r\n{}".to_vec(),
            Expect::Bare(400),
        ),
        (
            "a Content-Length past u64",
            b"POST /cancel HTTP/1.1\r\nHost: c\r\nConnection: close\r\nContent-Length: 99999999999999999999999\r\n\r\n{}".to_vec(),
            Expect::Bare(400),
        ),
        (
            "Transfer-Encoding not ending in chunked",
            b"POST /cancel HTTP/1.1\r\nHost: c\r\nConnection: close\r\nTransfer-Encoding: chunked, identity\r\n\r\n2\r\n{}\r\n0\r\n\r\n".to_vec(),
            Expect::Bare(400),
        ),
        (
            "an unknown Transfer-Encoding",
            b"POST /cancel HTTP/1.1\r\nHost: c\r\nConnection: close\r\nTransfer-Encoding: xchunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n".to_vec(),
            Expect::Bare(400),
        ),
        (
            "a chunk size that is not hex",
            b"POST /cancel HTTP/1.1\r\nHost: c\r\nConnection: close\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n".to_vec(),
            Expect::Json(400),
        ),
        (
            "a chunk size past u64",
            b"POST /cancel HTTP/1.1\r\nHost: c\r\nConnection: close\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffffff\r\n{}\r\n0\r\n\r\n".to_vec(),
            Expect::Json(400),
        ),
        (
            "a chunk longer than its size",
            b"POST /cancel HTTP/1.1\r\nHost: c\r\nConnection: close\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}xx\r\n0\r\n\r\n".to_vec(),
            Expect::Json(400),
        ),
        (
            "a folded header line",
            b"GET /health HTTP/1.1\r\nHost: c\r\nConnection: close\r\nX-A: 1\r\n folded\r\n\r\n".to_vec(),
            Expect::Bare(400),
        ),
        (
            "a space before the colon",
            b"GET /health HTTP/1.1\r\nHost: c\r\nConnection: close\r\nX-A : 1\r\n\r\n".to_vec(),
            Expect::Bare(400),
        ),
        (
            "a NUL in a header value",
            b"GET /health HTTP/1.1\r\nHost: c\r\nConnection: close\r\nX-A: a\x00b\r\n\r\n".to_vec(),
            Expect::Bare(400),
        ),
        (
            "a header without a colon",
            b"GET /health HTTP/1.1\r\nHost: c\r\nConnection: close\r\nnonsense\r\n\r\n".to_vec(),
            Expect::Bare(400),
        ),
        (
            "a method with a NUL",
            b"GE\x00T /health HTTP/1.1\r\nHost: c\r\nConnection: close\r\n\r\n".to_vec(),
            Expect::Bare(400),
        ),
        (
            "a space in the path",
            b"GET /he alth HTTP/1.1\r\nHost: c\r\nConnection: close\r\n\r\n".to_vec(),
            Expect::Bare(400),
        ),
        (
            "HTTP/9.9",
            b"GET /health HTTP/9.9\r\nHost: c\r\nConnection: close\r\n\r\n".to_vec(),
            Expect::Bare(400),
        ),
        (
            "an HTTP/2 preface",
            b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec(),
            // HTTP/1 only: hyper hangs up on the HTTP/2 preface.
            Expect::Closed,
        ),
        (
            "a TLS client hello",
            vec![0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03],
            Expect::Bare(400),
        ),
        (
            "a request line alone and the connection closed",
            b"GET /health HTTP/1.1\r\n".to_vec(),
            // The client stops sending: the header timeout closes it.
            Expect::Closed,
        ),
    ];
    for (name, bytes, expect) in raw_cases {
        add(name.into(), bytes, expect);
    }

    // 11. Random bytes (a fixed seed).
    let mut seed = 0x5eed_u64;
    for i in 0..20 {
        let len = 16 + (i * 37) % 400;
        let mut bytes = Vec::with_capacity(len);
        for _ in 0..len {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            bytes.push((seed >> 33) as u8);
        }
        bytes.extend_from_slice(b"\r\n\r\n");
        add(format!("random bytes #{i}"), bytes, Expect::Bare(400));
    }
    cases
}

fn check(case: &Case, outcome: &Outcome) -> Result<(), String> {
    let fail = |why: &str| Err(format!("{}: {why}; got {outcome:?}", case.name));
    match (case.expect, outcome) {
        (Expect::Json(want), Outcome::Answer(status, body)) => {
            if *status != want {
                return fail(&format!("expected {want}"));
            }
            json_error(want, body).map_err(|why| format!("{}: {why}", case.name))
        }
        (Expect::Bare(want), Outcome::Answer(status, body)) => {
            if *status != want {
                return fail(&format!("expected hyper's bare {want}"));
            }
            if serde_json::from_slice::<Value>(body).is_ok() && !body.is_empty() {
                return fail("expected no JSON body from hyper");
            }
            Ok(())
        }
        (Expect::Closed, Outcome::Closed) => Ok(()),
        (expect, _) => fail(&format!("expected {expect:?}")),
    }
}

/// An SDK answer: a JSON object; for errors, with a message.
fn json_error(status: u16, body: &[u8]) -> Result<(), String> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| format!("not JSON ({e}): {}", String::from_utf8_lossy(body)))?;
    if status < 400 {
        return Ok(());
    }
    let message = value
        .get("message")
        .or_else(|| value.get("error"))
        .and_then(Value::as_str);
    let fine = match message {
        Some(m) => !m.is_empty() && value["status"] == "error",
        None => value["status"] == "not_found",
    };
    if fine {
        Ok(())
    } else {
        Err(format!("not a clear JSON error: {value}"))
    }
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

async fn healthy(addr: SocketAddr) {
    let outcome = exchange(addr, request("GET", "/health", &[], b"")).await;
    assert!(
        matches!(&outcome, Outcome::Answer(200, body) if body.starts_with(b"{\"status\":\"healthy\"")),
        "/health after a batch: {outcome:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_hostile_request_gets_a_clear_answer_and_the_server_lives_on() {
    let manager = MockManager::start().await.unwrap();
    let server = serve(&manager, |_| {}).await;
    let addr = server.local_addr();
    let cases = corpus();
    assert!(cases.len() >= 200, "only {} cases", cases.len());

    let rss_before = rss_kib();
    let started = Instant::now();
    let mut failures = Vec::new();
    for batch in cases.chunks(16) {
        let outcomes =
            futures_join(batch.iter().map(|case| exchange(addr, case.bytes.clone()))).await;
        for (case, outcome) in batch.iter().zip(&outcomes) {
            if let Err(why) = check(case, outcome) {
                failures.push(why);
            }
        }
        healthy(addr).await;
    }
    let rss_after = rss_kib();
    println!(
        "bad input: {} cases in {:.1?}, RSS {rss_before} KiB -> {rss_after} KiB",
        cases.len(),
        started.elapsed()
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        rss_after < rss_before + 128 * 1024,
        "memory grew by {} KiB",
        rss_after.saturating_sub(rss_before)
    );
    // Nothing was started by any of it.
    assert_eq!(server.running_syncs(), 0);
    server.shutdown().await;
}

/// A request with both lengths on a keep-alive connection, followed by a
/// second request hidden where the Content-Length says the body is: the
/// server answers the first and closes, never answering the hidden one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conflicting_lengths_never_smuggle_a_second_request() {
    let manager = MockManager::start().await.unwrap();
    let server = serve(&manager, |_| {}).await;
    let shapes: [&[u8]; 3] = [
        b"POST /cancel HTTP/1.1\r\nHost: c\r\nContent-Type: application/json\r\nContent-Length: 45\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /manifest HTTP/1.1\r\nHost: c\r\n\r\n",
        b"POST /cancel HTTP/1.1\r\nHost: c\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\nGET /manifest HTTP/1.1\r\nHost: c\r\n\r\n",
        b"POST /cancel HTTP/1.1\r\nHost: c\r\nContent-Type: application/json\r\nContent-Length: 0\r\nContent-Length: 45\r\n\r\nGET /manifest HTTP/1.1\r\nHost: c\r\n\r\n",
    ];
    for shape in shapes {
        let stream = TcpStream::connect(server.local_addr()).await.unwrap();
        let (mut reader, mut writer) = stream.into_split();
        writer.write_all(shape).await.unwrap();
        let mut got = Vec::new();
        let read =
            tokio::time::timeout(Duration::from_secs(10), reader.read_to_end(&mut got)).await;
        assert!(read.is_ok(), "the connection was left open");
        let text = String::from_utf8_lossy(&got);
        assert_eq!(text.matches("HTTP/1.1 ").count(), 1, "{text}");
        assert!(text.starts_with("HTTP/1.1 400"), "{text}");
        assert!(
            !text.contains("\"connector_id\""),
            "the manifest leaked: {text}"
        );
        drop(writer);
    }
    healthy(server.local_addr()).await;
    server.shutdown().await;
}

async fn futures_join<F: std::future::Future<Output = Outcome> + Send + 'static>(
    futures: impl Iterator<Item = F>,
) -> Vec<Outcome> {
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for handle in handles {
        out.push(handle.await.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_are_cut_off_by_the_timeouts() {
    let manager = MockManager::start().await.unwrap();
    let server = serve(&manager, |c| {
        c.header_timeout = Duration::from_secs(1);
        c.body_timeout = Duration::from_secs(1);
    })
    .await;
    let addr = server.local_addr();

    // Headers at one byte per 300 ms: cut off at the header timeout.
    let started = Instant::now();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let head = b"GET /health HTTP/1.1\r\nHost: c\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    let mut cut = None;
    for byte in head {
        if stream.write_all(&[*byte]).await.is_err() {
            cut = Some(started.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        let mut probe = [0u8; 512];
        if let Ok(Ok(n)) =
            tokio::time::timeout(Duration::from_millis(1), stream.read(&mut probe)).await
        {
            assert!(
                n == 0 || probe.starts_with(b"HTTP/1.1 408"),
                "{:?}",
                String::from_utf8_lossy(&probe[..n])
            );
            cut = Some(started.elapsed());
            break;
        }
    }
    let cut = cut.expect("the slow header was never cut off");
    println!("slow headers cut off after {cut:.1?} (timeout 1 s)");
    assert!(cut < Duration::from_secs(5));

    // A body at one byte per 300 ms: 408 with a JSON error.
    let started = Instant::now();
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    writer
        .write_all(b"POST /cancel HTTP/1.1\r\nHost: c\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n")
        .await
        .unwrap();
    let trickle = tokio::spawn(async move {
        for byte in b"{\"sync_run_id\": \"slow-slow-slow-slow\"}  " {
            if writer.write_all(&[*byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    });
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), reader.read_to_end(&mut answer)).await;
    trickle.abort();
    let outcome = parse(&answer);
    println!(
        "slow body answered after {:.1?}: {outcome:?}",
        started.elapsed()
    );
    match outcome {
        Outcome::Answer(408, body) => json_error(408, &body).unwrap(),
        other => panic!("expected 408: {other:?}"),
    }

    // A connection that sends nothing is closed too.
    let started = Instant::now();
    let mut idle = TcpStream::connect(addr).await.unwrap();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), idle.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "an idle connection stays open");
    println!("idle connection closed after {:.1?}", started.elapsed());
    healthy(addr).await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_limit_wait_and_are_served_later() {
    let manager = MockManager::start().await.unwrap();
    let server = serve(&manager, |c| {
        c.max_connections = 4;
        c.header_timeout = Duration::from_secs(1);
    })
    .await;
    let addr = server.local_addr();
    // Four idle connections take every slot...
    let mut idle = Vec::new();
    for _ in 0..4 {
        idle.push(TcpStream::connect(addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    // ...so a fifth is not served until the header timeout frees them.
    let started = Instant::now();
    healthy(addr).await;
    let waited = started.elapsed();
    println!("with 4 of 4 connections idle, /health answered after {waited:.1?}");
    assert!(waited >= Duration::from_millis(500), "{waited:?}");
    assert!(waited < Duration::from_secs(8), "{waited:?}");
    drop(idle);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shared_secret_guards_everything_but_health() {
    const SECRET: &str = "s3cret-shared-9z";
    let manager = MockManager::start().await.unwrap();
    let server = serve(&manager, |c| c.shared_secret = Some(SECRET.into())).await;
    let addr = server.local_addr();
    let source_id = manager.add_source(
        SourceSeed::new("web")
            .config(json!({"docs": 2}))
            .credentials(json!({"token": "t"})),
    );

    // The manager sends no secret today: refused, except /health.
    let refused = manager
        .trigger_sync(&server.local_url(), &source_id, SyncMode::Full)
        .await
        .unwrap_err();
    assert_eq!(refused.status, 401, "{refused}");
    assert!(!refused.body.contains(SECRET));
    healthy(addr).await;

    let echo = json!({"action": "echo", "params": {"text": "hi"}}).to_string();
    let with = |secret: Option<&str>, method: &str, path: &str, body: &str| {
        let mut headers = vec![("Content-Type", "application/json")];
        if let Some(secret) = secret {
            headers.push(("X-Omni-Connector-Secret", secret));
        }
        request(method, path, &headers, body.as_bytes())
    };
    let wrong = [
        None,
        Some(""),
        Some("s3cret-shared-9"),
        Some("s3cret-shared-9zz"),
        Some("S3CRET-SHARED-9Z"),
        Some("x"),
    ];
    for secret in wrong {
        for (method, path, body) in [
            ("GET", "/manifest", ""),
            ("POST", "/action", echo.as_str()),
            ("POST", "/cancel", "{\"sync_run_id\":\"r\"}"),
            ("GET", "/sync/r", ""),
            ("GET", "/nope", ""),
        ] {
            match exchange(addr, with(secret, method, path, body)).await {
                Outcome::Answer(401, body) => {
                    json_error(401, &body).unwrap();
                    assert!(!String::from_utf8_lossy(&body).contains(SECRET));
                }
                other => panic!("{method} {path} with {secret:?}: {other:?}"),
            }
        }
    }
    for (method, path, body, status) in [
        ("GET", "/manifest", "", 200),
        ("POST", "/action", echo.as_str(), 200),
        ("POST", "/cancel", "{\"sync_run_id\":\"r\"}", 404),
        ("GET", "/sync/r", "", 200),
    ] {
        match exchange(addr, with(Some(SECRET), method, path, body)).await {
            Outcome::Answer(got, _) => assert_eq!(got, status, "{method} {path}"),
            Outcome::Closed => panic!("{method} {path} closed"),
        }
    }
    server.shutdown().await;

    // Off by default: the same request goes through without a header.
    let open = serve(&manager, |_| {}).await;
    match exchange(open.local_addr(), with(None, "POST", "/action", &echo)).await {
        Outcome::Answer(200, _) => {}
        other => panic!("{other:?}"),
    }
    open.shutdown().await;
}
