//! The manager's calls to connectors (`/health`, `/sync`, `/cancel`), with
//! hyper-util's legacy client.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Method, Request};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::http::FullBody;

/// The HTTP client the manager calls connectors with.
pub(crate) type HttpClient = Client<HttpConnector, FullBody>;

/// A client with keep-alive and no proxy.
pub(crate) fn client() -> HttpClient {
    Client::builder(TokioExecutor::new()).build_http()
}

/// `{base}{path}` with the base's trailing slashes dropped.
pub(crate) fn join(base: &str, path: &str) -> String {
    format!("{}{path}", base.trim_end_matches('/'))
}

/// Sends a request and reads the whole answer: `(status, body)`, or the
/// transport error (including a timeout) as text.
pub(crate) async fn send(
    client: &HttpClient,
    method: Method,
    url: &str,
    json: Option<Vec<u8>>,
    timeout: Duration,
) -> Result<(u16, Bytes), String> {
    let mut builder = Request::builder().method(method).uri(url);
    if json.is_some() {
        builder = builder.header(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }
    let request = builder
        .body(Full::new(Bytes::from(json.unwrap_or_default())))
        .map_err(|e| format!("invalid request to {url}: {e}"))?;
    let call = async {
        let response = client.request(request).await.map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        Ok((status, body))
    };
    match tokio::time::timeout(timeout, call).await {
        Ok(result) => result,
        Err(_) => Err(format!("timed out after {timeout:?} calling {url}")),
    }
}
