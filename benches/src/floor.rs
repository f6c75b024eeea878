//! The floor: a bare hyper client sending the same `/sdk/content` requests
//! and nothing else, one after the other over one keep-alive connection,
//! or over `connections` connections at once.

use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{CONTENT_TYPE, HOST};
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use serde::{Deserialize, Serialize};

use crate::connector::{filler, text};

#[derive(Serialize)]
struct ContentBody<'a> {
    sync_run_id: &'a str,
    content: &'a str,
    content_type: &'static str,
}

#[derive(Deserialize)]
struct ContentAnswer {
    content_id: String,
}

/// Sends `documents` content requests over `connections` keep-alive
/// connections at once (each sends its share one after the other); errors
/// on any non-200.
pub(crate) async fn run(
    addr: SocketAddr,
    sync_run_id: &str,
    documents: u64,
    text_bytes: usize,
    connections: usize,
) -> Result<(), String> {
    let connections = (connections.max(1) as u64).min(documents.max(1));
    let filler: std::sync::Arc<str> = filler(text_bytes).into();
    let mut tasks = tokio::task::JoinSet::new();
    for c in 0..connections {
        // Documents c, c + connections, c + 2 * connections, ...
        let numbers = (c..documents).step_by(connections as usize);
        let (filler, run) = (filler.clone(), sync_run_id.to_owned());
        tasks.spawn(async move { one_connection(addr, &run, numbers, &filler).await });
    }
    while let Some(done) = tasks.join_next().await {
        done.map_err(|e| e.to_string())??;
    }
    Ok(())
}

async fn one_connection(
    addr: SocketAddr,
    sync_run_id: &str,
    numbers: impl Iterator<Item = u64>,
    filler: &str,
) -> Result<(), String> {
    let stream = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| e.to_string())?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    let connection = tokio::spawn(connection);
    let host = addr.to_string();
    for n in numbers {
        let text = text(n, filler);
        let body = serde_json::to_vec(&ContentBody {
            sync_run_id,
            content: &text,
            content_type: "text/plain",
        })
        .map_err(|e| e.to_string())?;
        let request = Request::builder()
            .method(Method::POST)
            .uri("/sdk/content")
            .header(HOST, host.as_str())
            .header(CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| e.to_string())?;
        sender.ready().await.map_err(|e| e.to_string())?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        if !status.is_success() {
            return Err(format!("floor: the manager answered {status}"));
        }
        let answer: ContentAnswer = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
        if answer.content_id.is_empty() {
            return Err("floor: empty content id".into());
        }
    }
    drop(sender);
    let _ = connection.await;
    Ok(())
}
