//! The client for the manager's `/sdk/*` API (PROTOCOL.md §3).
//!
//! One [`SdkClient`] holds one pool of keep-alive connections; clone it
//! freely (clones share the pool). Every call has a timeout and is retried
//! per its [`RetryPolicy`]; failures are [`SdkClientError`]s naming the
//! call, the status and the manager's message.

mod multipart;
mod pool;
mod retry;

use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{BufMut, Bytes, BytesMut};
use http_body_util::Full;
use hyper::header::{HeaderValue, CONTENT_TYPE, RETRY_AFTER};
use hyper::{Method, Request, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

pub use retry::RetryPolicy;

use crate::error::{ConfigurationError, SdkClientError, SdkClientErrorKind};
use crate::http::{encode_segment, read_body, BodyError};
use crate::models::{
    ConnectorEvent, ConnectorManifest, ContentResponse, CreateSyncRequest, ErrorResponse,
    ExtractTextResponse, SdkCancelRequest, SdkCancelResponse, ServiceCredential, Source,
    SyncConfigResponse, SyncRunResponse, UserEmailResponse, WebhookNotifyRequest,
};

/// Largest answer the client reads from the manager.
const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

/// The environment variable naming the manager's base URL.
pub const MANAGER_URL_ENV: &str = "CONNECTOR_MANAGER_URL";

/// A client for the manager's `/sdk/*` API.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use omni_connector::SdkClient;
/// let client = SdkClient::new("http://connector-manager:3004")?;
/// let source = client.get_source("01J8SOURCE").await?;
/// println!("syncing {}", source.name);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct SdkClient {
    inner: Arc<ClientInner>,
}

struct ClientInner {
    base_url: String,
    /// The base URL's path (`""` or `/prefix`), put before every call's.
    path_prefix: String,
    pool: pool::Pool,
    timeout: Duration,
    retry: RetryPolicy,
    /// The buffer event batches are serialized into, kept between batches
    /// (see [`SdkClient::emit_events_batch`]).
    batch_buffer: std::sync::Mutex<BytesMut>,
}

impl std::fmt::Debug for SdkClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SdkClient")
            .field("base_url", &self.inner.base_url)
            .field("timeout", &self.inner.timeout)
            .field("retry", &self.inner.retry)
            .finish()
    }
}

/// Settings for an [`SdkClient`].
#[derive(Debug, Clone)]
pub struct SdkClientBuilder {
    base_url: String,
    timeout: Duration,
    connect_timeout: Duration,
    retry: RetryPolicy,
}

impl SdkClientBuilder {
    /// Time for one attempt, from sending the request to the end of the
    /// answer (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Time to open a connection (default 5 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How failed calls are retried.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Builds the client. The URL must be `http://host[:port][/prefix]`:
    /// the manager is reached inside the deployment's network, without TLS.
    pub fn build(self) -> Result<SdkClient, ConfigurationError> {
        let base = validate_base_url(&self.base_url)?;
        let pool = pool::Pool::new(pool::PoolConfig {
            host: base.host,
            port: base.port,
            host_header: base.host_header,
            connect_timeout: self.connect_timeout,
            idle_timeout: Duration::from_secs(30),
        });
        Ok(SdkClient {
            inner: Arc::new(ClientInner {
                base_url: base.url,
                path_prefix: base.path_prefix,
                pool,
                timeout: self.timeout,
                retry: self.retry,
                batch_buffer: Default::default(),
            }),
        })
    }
}

/// A checked base URL and what the connections need of it.
#[derive(Debug)]
struct BaseUrl {
    /// The URL, trimmed, without a trailing slash.
    url: String,
    host: String,
    port: u16,
    host_header: HeaderValue,
    path_prefix: String,
}

fn validate_base_url(url: &str) -> Result<BaseUrl, ConfigurationError> {
    let invalid = |reason: &str| ConfigurationError::Invalid {
        name: "manager URL".into(),
        value: url.into(),
        reason: reason.into(),
    };
    let trimmed = url.trim().trim_end_matches('/');
    let Some(rest) = trimmed.strip_prefix("http://") else {
        return Err(invalid(
            "it must start with http:// (the manager is reached without TLS)",
        ));
    };
    if rest.is_empty() || rest.starts_with('/') {
        return Err(invalid("it has no host"));
    }
    let uri: hyper::Uri = trimmed
        .parse()
        .map_err(|_| invalid("it is not a valid URL"))?;
    if uri.query().is_some() {
        return Err(invalid("it must not have a query"));
    }
    let Some(authority) = uri.authority() else {
        return Err(invalid("it has no host"));
    };
    if authority.as_str().contains('@') {
        return Err(invalid("it must not carry credentials"));
    }
    let host_header = HeaderValue::from_str(authority.as_str())
        .map_err(|_| invalid("its host is not a valid Host header"))?;
    // `[::1]` in a URL, `::1` to connect to.
    let host = authority.host();
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    Ok(BaseUrl {
        url: trimmed.to_owned(),
        host: host.to_owned(),
        port: authority.port_u16().unwrap_or(80),
        host_header,
        path_prefix: uri.path().trim_end_matches('/').to_owned(),
    })
}

/// Which extraction endpoint to call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Extraction {
    /// `/sdk/extract-content`: extract and store, answer the content id.
    Store,
    /// `/sdk/extract-text`: extract and answer the text.
    Text,
}

/// A file to extract text from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ExtractFile<'a> {
    pub(crate) data: &'a [u8],
    pub(crate) mime_type: &'a str,
    pub(crate) filename: Option<&'a str>,
}

/// The body of one request, cheap to clone for each attempt.
enum Body {
    Empty,
    Json(Bytes),
    Form { content_type: String, body: Bytes },
}

impl SdkClient {
    /// A client with default settings for the manager at `base_url`.
    pub fn new(base_url: &str) -> Result<Self, ConfigurationError> {
        Self::builder(base_url).build()
    }

    /// A client for the manager named by `CONNECTOR_MANAGER_URL`.
    pub fn from_env() -> Result<Self, ConfigurationError> {
        Self::new(&manager_url_from_env()?)
    }

    /// Settings for a client of the manager at `base_url`.
    pub fn builder(base_url: &str) -> SdkClientBuilder {
        SdkClientBuilder {
            base_url: base_url.to_owned(),
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(5),
            retry: RetryPolicy::default(),
        }
    }

    /// The manager's base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The retry policy of this client.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    // ---- registration and sources -------------------------------------

    /// `POST /sdk/register`.
    pub async fn register(&self, manifest: &ConnectorManifest) -> Result<(), SdkClientError> {
        self.send(Method::POST, "/sdk/register".into(), json(manifest)?, None)
            .await
            .map(drop)
    }

    /// `GET /sdk/source/{id}`.
    pub async fn get_source(&self, source_id: &str) -> Result<Source, SdkClientError> {
        let path = format!("/sdk/source/{}", encode_segment(source_id));
        self.get_json(path).await
    }

    /// `GET /sdk/credentials/{id}`; `None` when the source has none (the
    /// manager's 404).
    pub async fn get_credentials(
        &self,
        source_id: &str,
    ) -> Result<Option<ServiceCredential>, SdkClientError> {
        let path = format!("/sdk/credentials/{}", encode_segment(source_id));
        match self.get_json(path).await {
            Ok(credential) => Ok(Some(credential)),
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `GET /sdk/source/{id}/sync-config` (Omni's built-in source types only;
    /// prefer [`get_source`](Self::get_source) and
    /// [`get_credentials`](Self::get_credentials)).
    pub async fn get_sync_config(
        &self,
        source_id: &str,
    ) -> Result<SyncConfigResponse, SdkClientError> {
        let path = format!("/sdk/source/{}/sync-config", encode_segment(source_id));
        self.get_json(path).await
    }

    /// `PUT /sdk/source/{id}/connector-state`.
    pub async fn save_connector_state(
        &self,
        source_id: &str,
        state: &Value,
    ) -> Result<(), SdkClientError> {
        let path = format!("/sdk/source/{}/connector-state", encode_segment(source_id));
        self.send(Method::PUT, path.into(), json(state)?, None)
            .await
            .map(drop)
    }

    /// `GET /sdk/source/{id}/user-email`.
    pub async fn get_user_email(&self, source_id: &str) -> Result<String, SdkClientError> {
        let path = format!("/sdk/source/{}/user-email", encode_segment(source_id));
        let answer: UserEmailResponse = self.get_json(path).await?;
        Ok(answer.email)
    }

    /// `GET /sdk/sources/by-type/{source_type}`.
    pub async fn get_sources_by_type(
        &self,
        source_type: &str,
    ) -> Result<Vec<Source>, SdkClientError> {
        let path = format!("/sdk/sources/by-type/{}", encode_segment(source_type));
        self.get_json(path).await
    }

    /// `GET /sdk/connector-configs/{provider}`.
    pub async fn get_connector_config(&self, provider: &str) -> Result<Value, SdkClientError> {
        let path = format!("/sdk/connector-configs/{}", encode_segment(provider));
        self.get_json(path).await
    }

    // ---- events and content ---------------------------------------------

    /// `POST /sdk/events`: one event.
    pub async fn emit_event(
        &self,
        sync_run_id: &str,
        source_id: &str,
        event: &ConnectorEvent,
    ) -> Result<(), SdkClientError> {
        #[derive(Serialize)]
        struct Envelope<'a> {
            sync_run_id: &'a str,
            source_id: &'a str,
            event: &'a ConnectorEvent,
        }
        let body = json(&Envelope {
            sync_run_id,
            source_id,
            event,
        })?;
        self.send(Method::POST, "/sdk/events".into(), body, None)
            .await
            .map(drop)
    }

    /// `POST /sdk/events/batch`: events in order, accepted or rejected whole.
    pub async fn emit_events_batch(
        &self,
        sync_run_id: &str,
        source_id: &str,
        events: &[ConnectorEvent],
    ) -> Result<(), SdkClientError> {
        #[derive(Serialize)]
        struct Envelope<'a> {
            sync_run_id: &'a str,
            source_id: &'a str,
            events: &'a [ConnectorEvent],
        }
        // A batch of 500 documents is a few hundred KiB of JSON. Allocating
        // and freeing that for every batch made glibc raise its mmap
        // threshold and keep such blocks in every thread's arena, so a
        // long sync's RSS crept up with each worker thread the flush ran
        // on. One buffer, reused once the previous batch's bytes are
        // dropped, keeps memory flat. Concurrent batches (other runs)
        // find it taken and use a buffer of their own.
        let mut buffer = std::mem::take(&mut *lock(&self.inner.batch_buffer));
        buffer.clear();
        let envelope = Envelope {
            sync_run_id,
            source_id,
            events,
        };
        serde_json::to_writer((&mut buffer).writer(), &envelope).map_err(|e| {
            SdkClientError::new(
                "encoding a request",
                SdkClientErrorKind::Request(e.to_string()),
            )
        })?;
        let bytes = buffer.split().freeze();
        let len = bytes.len();
        let sent = self
            .send(
                Method::POST,
                "/sdk/events/batch".into(),
                Body::Json(bytes),
                None,
            )
            .await;
        // The batch's bytes are gone now: take the whole allocation back
        // for the next batch.
        if buffer.try_reclaim(len) {
            *lock(&self.inner.batch_buffer) = buffer;
        }
        sent.map(drop)
    }

    /// `POST /sdk/content`: stores text, returns its content id.
    pub async fn store_content(
        &self,
        sync_run_id: &str,
        content: &str,
        content_type: Option<&str>,
    ) -> Result<String, SdkClientError> {
        #[derive(Serialize)]
        struct ContentBody<'a> {
            sync_run_id: &'a str,
            content: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            content_type: Option<&'a str>,
        }
        // The text, a little escaping, and the other fields.
        let capacity = content.len() + content.len() / 16 + sync_run_id.len() + 96;
        let body = json_sized(
            &ContentBody {
                sync_run_id,
                content,
                content_type,
            },
            capacity,
        )?;
        let answer: ContentResponse = self.post_json("/sdk/content", body).await?;
        Ok(answer.content_id)
    }

    /// `POST /sdk/extract-content`: the manager extracts the text of a
    /// binary file and stores it; returns the content id. A busy extractor
    /// (429) is retried per `retry`, or the client's policy.
    pub async fn extract_content(
        &self,
        sync_run_id: &str,
        data: &[u8],
        mime_type: &str,
        filename: Option<&str>,
        retry: Option<&RetryPolicy>,
    ) -> Result<String, SdkClientError> {
        let file = ExtractFile {
            data,
            mime_type,
            filename,
        };
        self.extract(Extraction::Store, sync_run_id, file, retry)
            .await
    }

    /// `POST /sdk/extract-text`: the manager extracts and returns the text of
    /// a binary file without storing it.
    pub async fn extract_text(
        &self,
        sync_run_id: &str,
        data: &[u8],
        mime_type: &str,
        filename: Option<&str>,
        retry: Option<&RetryPolicy>,
    ) -> Result<String, SdkClientError> {
        let file = ExtractFile {
            data,
            mime_type,
            filename,
        };
        self.extract(Extraction::Text, sync_run_id, file, retry)
            .await
    }

    /// Sends a file to one of the two extraction endpoints; answers the
    /// content id (store) or the text.
    pub(crate) async fn extract(
        &self,
        kind: Extraction,
        sync_run_id: &str,
        file: ExtractFile<'_>,
        retry: Option<&RetryPolicy>,
    ) -> Result<String, SdkClientError> {
        let form = multipart::extract_form(sync_run_id, file.data, file.mime_type, file.filename);
        let body = Body::Form {
            content_type: form.content_type(),
            body: form.body,
        };
        let path = match kind {
            Extraction::Store => "/sdk/extract-content",
            Extraction::Text => "/sdk/extract-text",
        };
        let bytes = self.send(Method::POST, path.into(), body, retry).await?;
        match kind {
            Extraction::Store => {
                decode::<ContentResponse>(&Method::POST, path, &bytes).map(|a| a.content_id)
            }
            Extraction::Text => {
                decode::<ExtractTextResponse>(&Method::POST, path, &bytes).map(|a| a.text)
            }
        }
    }

    // ---- run lifecycle ---------------------------------------------------

    /// `POST /sdk/sync/{id}/heartbeat`.
    pub async fn heartbeat(&self, sync_run_id: &str) -> Result<(), SdkClientError> {
        self.run_call(Method::POST, sync_run_id, "heartbeat", Body::Empty)
            .await
    }

    /// `POST /sdk/sync/{id}/scanned`: adds `count` to the run's scanned count.
    pub async fn increment_scanned(
        &self,
        sync_run_id: &str,
        count: u64,
    ) -> Result<(), SdkClientError> {
        let body = json(&serde_json::json!({ "count": count }))?;
        self.run_call(Method::POST, sync_run_id, "scanned", body)
            .await
    }

    /// `POST /sdk/sync/{id}/updated`: adds `count` to the run's updated count.
    pub async fn increment_updated(
        &self,
        sync_run_id: &str,
        count: u64,
    ) -> Result<(), SdkClientError> {
        let body = json(&serde_json::json!({ "count": count }))?;
        self.run_call(Method::POST, sync_run_id, "updated", body)
            .await
    }

    /// `PUT /sdk/sync/{id}/checkpoint`.
    pub async fn save_checkpoint(
        &self,
        sync_run_id: &str,
        checkpoint: &Value,
    ) -> Result<(), SdkClientError> {
        self.run_call(Method::PUT, sync_run_id, "checkpoint", json(checkpoint)?)
            .await
    }

    /// `POST /sdk/sync/{id}/complete`: the manager publishes the run's last
    /// checkpoint to the source.
    pub async fn complete(&self, sync_run_id: &str) -> Result<(), SdkClientError> {
        self.run_call(Method::POST, sync_run_id, "complete", Body::Empty)
            .await
    }

    /// `POST /sdk/sync/{id}/fail`.
    pub async fn fail(&self, sync_run_id: &str, error: &str) -> Result<(), SdkClientError> {
        let body = json(&serde_json::json!({ "error": error }))?;
        self.run_call(Method::POST, sync_run_id, "fail", body).await
    }

    /// `POST /sdk/sync/cancel`; true when the manager cancelled the run.
    pub async fn cancel_sync(&self, sync_run_id: &str) -> Result<bool, SdkClientError> {
        let body = json(&SdkCancelRequest {
            sync_run_id: sync_run_id.to_owned(),
        })?;
        let answer: SdkCancelResponse = self.post_json("/sdk/sync/cancel", body).await?;
        Ok(answer.success)
    }

    /// `POST /sdk/sync/create`: asks the manager to start a run; returns its id.
    pub async fn create_sync(
        &self,
        source_id: &str,
        sync_type: &str,
    ) -> Result<String, SdkClientError> {
        let body = json(&CreateSyncRequest {
            source_id: source_id.to_owned(),
            sync_type: sync_type.to_owned(),
        })?;
        let answer: SyncRunResponse = self.post_json("/sdk/sync/create", body).await?;
        Ok(answer.sync_run_id)
    }

    /// `POST /sdk/webhook/notify`: tells the manager a source changed;
    /// returns the run it started.
    pub async fn notify_webhook(
        &self,
        source_id: &str,
        event_type: &str,
    ) -> Result<String, SdkClientError> {
        let body = json(&WebhookNotifyRequest {
            source_id: source_id.to_owned(),
            event_type: event_type.to_owned(),
        })?;
        let answer: SyncRunResponse = self.post_json("/sdk/webhook/notify", body).await?;
        Ok(answer.sync_run_id)
    }

    // ---- plumbing ----------------------------------------------------------

    async fn run_call(
        &self,
        method: Method,
        sync_run_id: &str,
        what: &str,
        body: Body,
    ) -> Result<(), SdkClientError> {
        let path = format!("/sdk/sync/{}/{what}", encode_segment(sync_run_id));
        self.send(method, path.into(), body, None).await.map(drop)
    }

    async fn post_json<T: DeserializeOwned>(
        &self,
        path: &'static str,
        body: Body,
    ) -> Result<T, SdkClientError> {
        let bytes = self.send(Method::POST, path.into(), body, None).await?;
        decode(&Method::POST, path, &bytes)
    }

    async fn get_json<T: DeserializeOwned>(&self, path: String) -> Result<T, SdkClientError> {
        let bytes = self
            .send(Method::GET, path.clone().into(), Body::Empty, None)
            .await?;
        decode(&Method::GET, &path, &bytes)
    }

    /// Sends a request, retrying per the policy; returns the body of a 2xx.
    async fn send(
        &self,
        method: Method,
        path: Cow<'static, str>,
        body: Body,
        retry: Option<&RetryPolicy>,
    ) -> Result<Bytes, SdkClientError> {
        let policy = retry.unwrap_or(&self.inner.retry);
        let started = Instant::now();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let error = match self.attempt(&method, &path, &body).await {
                Ok(bytes) => return Ok(bytes),
                Err(kind) => {
                    SdkClientError::new(operation(&method, &path), kind).with_attempts(attempt)
                }
            };
            if !error.is_retryable() || attempt >= policy.max_attempts.max(1) {
                return Err(error);
            }
            let wait = match error.kind() {
                SdkClientErrorKind::Status {
                    retry_after: Some(after),
                    ..
                } => *after,
                _ => policy.backoff(attempt),
            };
            if started.elapsed() + wait > policy.max_elapsed {
                return Err(error);
            }
            tracing::debug!(
                operation = error.operation(),
                attempt,
                wait_ms = wait.as_millis() as u64,
                error = %error,
                "retrying manager call"
            );
            tokio::time::sleep(wait).await;
        }
    }

    /// One attempt: the request, its answer, and the answer's body, all
    /// within the timeout.
    async fn attempt(
        &self,
        method: &Method,
        path: &str,
        body: &Body,
    ) -> Result<Bytes, SdkClientErrorKind> {
        // Origin-form: the pool's connections all go to the manager.
        let uri = format!("{}{path}", self.inner.path_prefix);
        let mut request = Request::builder().method(method.clone()).uri(&uri);
        let payload = match body {
            Body::Empty => Bytes::new(),
            Body::Json(bytes) => {
                request =
                    request.header(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                bytes.clone()
            }
            Body::Form { content_type, body } => {
                request = request.header(CONTENT_TYPE, content_type.as_str());
                body.clone()
            }
        };
        let request = request.body(Full::new(payload)).map_err(|e| {
            SdkClientErrorKind::Request(format!(
                "invalid request to {}{path}: {e}",
                self.inner.base_url
            ))
        })?;
        let timeout = self.inner.timeout;
        let exchange = async {
            let (response, connection) = self
                .inner
                .pool
                .send(request)
                .await
                .map_err(SdkClientErrorKind::Transport)?;
            let status = response.status();
            let retry_after = response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            let bytes = read_body(response.into_body(), MAX_RESPONSE_BYTES)
                .await
                .map_err(|e| match e {
                    BodyError::TooLarge(limit) => {
                        SdkClientErrorKind::Decode(format!("answer larger than {limit} bytes"))
                    }
                    BodyError::Read(why) => SdkClientErrorKind::Transport(why),
                })?;
            connection.release();
            if status.is_success() {
                Ok(bytes)
            } else {
                Err(SdkClientErrorKind::Status {
                    status: status.as_u16(),
                    body: error_message(status, &bytes),
                    retry_after,
                })
            }
        };
        match tokio::time::timeout(timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err(SdkClientErrorKind::Timeout(timeout)),
        }
    }
}

/// The manager's message: the `error` field of its JSON errors, or the
/// plain text its JSON extractor answers with.
fn error_message(status: StatusCode, body: &[u8]) -> String {
    if let Ok(ErrorResponse { error }) = serde_json::from_slice(body) {
        return error;
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        status.canonical_reason().unwrap_or("").to_owned()
    } else {
        text.chars().take(2000).collect()
    }
}

fn operation(method: &Method, path: &str) -> Cow<'static, str> {
    Cow::Owned(format!("{method} {path}"))
}

fn json<T: Serialize + ?Sized>(value: &T) -> Result<Body, SdkClientError> {
    json_sized(value, 128)
}

/// [`json`] into a buffer of `capacity` bytes to start with, for bodies
/// whose size is known to be large (stored contents).
fn json_sized<T: Serialize + ?Sized>(value: &T, capacity: usize) -> Result<Body, SdkClientError> {
    let mut buffer = Vec::with_capacity(capacity);
    serde_json::to_writer(&mut buffer, value)
        .map(|()| Body::Json(Bytes::from(buffer)))
        .map_err(|e| {
            SdkClientError::new(
                "encoding a request",
                SdkClientErrorKind::Request(e.to_string()),
            )
        })
}

/// Decodes a 2xx answer; the error names the call (built only then: this
/// runs once per stored content).
fn decode<T: DeserializeOwned>(
    method: &Method,
    path: &str,
    bytes: &[u8],
) -> Result<T, SdkClientError> {
    serde_json::from_slice(bytes).map_err(|e| {
        SdkClientError::new(
            operation(method, path),
            SdkClientErrorKind::Decode(e.to_string()),
        )
    })
}

fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Reads `CONNECTOR_MANAGER_URL`.
pub(crate) fn manager_url_from_env() -> Result<String, ConfigurationError> {
    match std::env::var(MANAGER_URL_ENV) {
        Ok(url) if !url.trim().is_empty() => Ok(url),
        _ => Err(ConfigurationError::MissingEnv {
            name: MANAGER_URL_ENV,
            purpose: "the base URL of Omni's connector-manager, e.g. http://connector-manager:3004",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        let url = validate_base_url("http://cm:3004/").unwrap();
        assert_eq!(url.url, "http://cm:3004");
        assert_eq!((url.host.as_str(), url.port), ("cm", 3004));
        assert_eq!(url.host_header, "cm:3004");
        assert_eq!(url.path_prefix, "");
        let url = validate_base_url(" http://127.0.0.1:9 ").unwrap();
        assert_eq!(url.url, "http://127.0.0.1:9");
        let url = validate_base_url("http://[::1]/omni/manager/").unwrap();
        assert_eq!((url.host.as_str(), url.port), ("::1", 80));
        assert_eq!(url.host_header, "[::1]");
        assert_eq!(url.path_prefix, "/omni/manager");
        assert!(validate_base_url("http://cm:3004/?x=1").is_err());
        assert!(validate_base_url("http://user:pw@cm:3004").is_err());
        assert!(validate_base_url("https://cm:3004").is_err());
        assert!(validate_base_url("cm:3004").is_err());
        assert!(validate_base_url("http://").is_err());
        let err = validate_base_url("ftp://x").unwrap_err().to_string();
        assert!(err.contains("ftp://x"), "{err}");
    }

    #[cfg(feature = "testing")]
    #[tokio::test]
    async fn batches_reuse_one_buffer_and_arrive_whole() {
        use crate::testing::{MockManager, SourceSeed};
        let manager = MockManager::start().await.unwrap();
        let source = manager.add_source(SourceSeed::new("web"));
        let run = manager.create_run(&source, crate::models::SyncMode::Full);
        let client = SdkClient::new(&manager.url()).unwrap();
        let events: Vec<ConnectorEvent> = (0..200)
            .map(|n| ConnectorEvent::DocumentDeleted {
                sync_run_id: run.clone(),
                source_id: source.clone(),
                document_id: format!("doc-{n}"),
            })
            .collect();
        let body_len = serde_json::to_vec(&events).unwrap().len();
        client
            .emit_events_batch(&run, &source, &events)
            .await
            .unwrap();
        client
            .emit_events_batch(&run, &source, &events[..3])
            .await
            .unwrap();
        client
            .emit_events_batch(&run, &source, &events)
            .await
            .unwrap();
        let received = manager.events(&run);
        assert_eq!(received.len(), 403);
        assert_eq!(&received[200..203], &events[..3]);
        assert_eq!(&received[203..], &events[..]);
        // The kept buffer holds nothing, and takes back the whole first
        // allocation once the batches' bytes are gone.
        let kept = std::mem::take(&mut *lock(&client.inner.batch_buffer));
        assert!(kept.is_empty());
        assert!(
            kept.capacity() >= body_len,
            "{} < {body_len}",
            kept.capacity()
        );
    }

    #[test]
    fn error_messages_prefer_the_manager_text() {
        assert_eq!(
            error_message(StatusCode::BAD_REQUEST, br#"{"error":"Unknown sync run"}"#),
            "Unknown sync run"
        );
        assert_eq!(
            error_message(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                b"Expected request with `Content-Type: application/json`"
            ),
            "Expected request with `Content-Type: application/json`"
        );
        assert_eq!(error_message(StatusCode::BAD_GATEWAY, b""), "Bad Gateway");
    }
}
