//! The floor: a bare hyper client, one keep-alive connection, the same
//! `/sdk/content` requests one after the other, and nothing else.

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

/// Sends `documents` content requests; errors on any non-200.
pub(crate) async fn run(
    addr: SocketAddr,
    sync_run_id: &str,
    documents: u64,
    text_bytes: usize,
) -> Result<(), String> {
    let stream = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| e.to_string())?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    let connection = tokio::spawn(connection);
    let filler = filler(text_bytes);
    let host = addr.to_string();
    for n in 0..documents {
        let text = text(n, &filler);
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
