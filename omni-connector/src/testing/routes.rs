//! Routing and the `/sdk/*` handlers (PROTOCOL.md §3).

// The error of these functions is the HTTP answer itself, built once per
// rejected request: boxing it would only add an allocation.
#![allow(clippy::result_large_err)]

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, ALLOW, CONTENT_TYPE, RETRY_AFTER};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{json, Value};
use tokio::sync::Notify;

use super::faults::{FaultState, Verdict};
use super::outbound::{self, HttpClient};
use super::schema;
use super::state::{source_json, EventRejection, RunCall, Store};
use super::types::{ManagerOptions, RequestRecord, RunStatus};
use super::{json as jsonbody, multipart};
use crate::http::{decode_segment, json_response, read_body, BodyError, FullBody};
use crate::models::{
    ConnectorManifest, ContentRequest, ContentResponse, CountRequest, CreateSyncRequest,
    EventBatchRequest, EventRequest, ExtractTextResponse, FailRequest, SdkCancelRequest,
    SdkCancelResponse, StatusResponse, SyncConfigResponse, SyncMode, SyncRunResponse,
    UserEmailResponse, WebhookNotifyRequest,
};

/// The largest request body the manager reads (64 MiB).
pub(crate) const BODY_LIMIT: usize = 64 * 1024 * 1024;

/// How long the registration health check waits.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(2);

/// The manager's shared state.
#[derive(Debug)]
pub(crate) struct Inner {
    pub store: Mutex<Store>,
    pub requests: Mutex<Vec<RequestRecord>>,
    /// Requests answered (or dropped), counted even when not recorded.
    pub request_total: AtomicUsize,
    pub options: ManagerOptions,
    pub faults: Mutex<FaultState>,
    pub faults_active: AtomicBool,
    pub health_check: AtomicBool,
    /// Woken whenever a run stops running.
    pub run_changed: Notify,
    pub client: HttpClient,
}

/// Locks a mutex, shrugging off poisoning (a panicking test must not take
/// the manager down with it).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Inner {
    pub fn new(options: ManagerOptions) -> Self {
        Self {
            store: Mutex::new(Store::with_options(options)),
            requests: Mutex::new(Vec::new()),
            request_total: AtomicUsize::new(0),
            options,
            faults: Mutex::new(FaultState::default()),
            faults_active: AtomicBool::new(false),
            health_check: AtomicBool::new(true),
            run_changed: Notify::new(),
            client: outbound::client(),
        }
    }

    pub fn store(&self) -> MutexGuard<'_, Store> {
        lock(&self.store)
    }
}

/// The service error that makes hyper close the connection unanswered.
#[derive(Debug)]
pub(crate) struct DroppedOnPurpose;

impl std::fmt::Display for DroppedOnPurpose {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for DroppedOnPurpose {}

type Answer = Response<FullBody>;

fn error(status: StatusCode, message: impl Into<String>) -> Answer {
    json_response(status, &json!({ "error": message.into() }))
}

fn ok() -> Answer {
    json_response(StatusCode::OK, &StatusResponse::ok())
}

fn with_retry_after(mut answer: Answer, secs: u64) -> Answer {
    answer
        .headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from(secs));
    answer
}

/// Every route of the manager's SDK API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route<'a> {
    Register,
    Source(&'a str),
    SyncConfig(&'a str),
    ConnectorState(&'a str),
    UserEmail(&'a str),
    Credentials(&'a str),
    SourcesByType(&'a str),
    ConnectorConfig(&'a str),
    Event,
    EventBatch,
    Content,
    ExtractContent,
    ExtractText,
    SyncCancel,
    SyncCreate,
    Heartbeat(&'a str),
    Scanned(&'a str),
    Updated(&'a str),
    Checkpoint(&'a str),
    Complete(&'a str),
    Fail(&'a str),
    WebhookNotify,
}

impl<'a> Route<'a> {
    fn parse(path: &'a str) -> Option<Self> {
        let rest = path.strip_prefix("/sdk/")?;
        let segments: Vec<&str> = rest.split('/').collect();
        Some(match segments.as_slice() {
            ["register"] => Self::Register,
            ["source", id] => Self::Source(id),
            ["source", id, "sync-config"] => Self::SyncConfig(id),
            ["source", id, "connector-state"] => Self::ConnectorState(id),
            ["source", id, "user-email"] => Self::UserEmail(id),
            ["credentials", id] => Self::Credentials(id),
            ["sources", "by-type", t] => Self::SourcesByType(t),
            ["connector-configs", p] => Self::ConnectorConfig(p),
            ["events"] => Self::Event,
            ["events", "batch"] => Self::EventBatch,
            ["content"] => Self::Content,
            ["extract-content"] => Self::ExtractContent,
            ["extract-text"] => Self::ExtractText,
            ["sync", "cancel"] => Self::SyncCancel,
            ["sync", "create"] => Self::SyncCreate,
            ["sync", id, "heartbeat"] => Self::Heartbeat(id),
            ["sync", id, "scanned"] => Self::Scanned(id),
            ["sync", id, "updated"] => Self::Updated(id),
            ["sync", id, "checkpoint"] => Self::Checkpoint(id),
            ["sync", id, "complete"] => Self::Complete(id),
            ["sync", id, "fail"] => Self::Fail(id),
            ["webhook", "notify"] => Self::WebhookNotify,
            _ => return None,
        })
    }

    fn method(&self) -> Method {
        match self {
            Self::Source(_)
            | Self::SyncConfig(_)
            | Self::UserEmail(_)
            | Self::Credentials(_)
            | Self::SourcesByType(_)
            | Self::ConnectorConfig(_) => Method::GET,
            Self::ConnectorState(_) | Self::Checkpoint(_) => Method::PUT,
            _ => Method::POST,
        }
    }

    /// The id segment, decoded; `None` when it is not valid encoding.
    fn id(&self) -> Option<String> {
        match self {
            Self::Source(s)
            | Self::SyncConfig(s)
            | Self::ConnectorState(s)
            | Self::UserEmail(s)
            | Self::Credentials(s)
            | Self::SourcesByType(s)
            | Self::ConnectorConfig(s)
            | Self::Heartbeat(s)
            | Self::Scanned(s)
            | Self::Updated(s)
            | Self::Checkpoint(s)
            | Self::Complete(s)
            | Self::Fail(s) => decode_segment(s),
            _ => Some(String::new()),
        }
    }
}

/// A request's method, content type and whole body.
struct Req {
    content_type: Option<HeaderValue>,
    body: Bytes,
}

impl Req {
    fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, Answer> {
        jsonbody::decode(self.content_type.as_ref(), &self.body)
    }
}

/// Answers one request (the hyper service).
pub(crate) async fn handle(
    inner: &Arc<Inner>,
    request: Request<Incoming>,
) -> Result<Answer, DroppedOnPurpose> {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let result = answer(inner, request, &method, &path).await;
    let status = match &result {
        Ok(answer) => answer.status().as_u16(),
        Err(DroppedOnPurpose) => 0,
    };
    if inner.options.keep_requests {
        lock(&inner.requests).push(RequestRecord {
            method: method.as_str().to_owned(),
            path,
            status,
        });
    }
    inner.request_total.fetch_add(1, Ordering::Relaxed);
    result
}

async fn answer(
    inner: &Arc<Inner>,
    request: Request<Incoming>,
    method: &Method,
    path: &str,
) -> Result<Answer, DroppedOnPurpose> {
    let route = Route::parse(path);
    if path.starts_with("/sdk/") && inner.faults_active.load(Ordering::Relaxed) {
        let is_extract = matches!(route, Some(Route::ExtractContent | Route::ExtractText));
        let (verdict, delay) = {
            let mut faults = lock(&inner.faults);
            (faults.decide(is_extract), faults.delay())
        };
        if let Some(delay) = delay {
            tokio::time::sleep(delay).await;
        }
        match verdict {
            Verdict::Pass => {}
            Verdict::LoseAnswer => {
                // Carry the request out, then hang up before answering.
                let _ = routed(inner, request, method, route).await;
                return Err(DroppedOnPurpose);
            }
            Verdict::Drop => return Err(DroppedOnPurpose),
            Verdict::Fail => return Ok(error(StatusCode::SERVICE_UNAVAILABLE, "injected fault")),
            Verdict::RateLimit(secs) => {
                return Ok(with_retry_after(
                    error(StatusCode::TOO_MANY_REQUESTS, "Too many requests"),
                    secs,
                ))
            }
            Verdict::ExtractorBusy(secs) => {
                return Ok(with_retry_after(
                    error(StatusCode::TOO_MANY_REQUESTS, "Extractor busy, retry later"),
                    secs,
                ))
            }
        }
    }

    routed(inner, request, method, route).await
}

/// Routes and answers a request that fault injection let through.
async fn routed(
    inner: &Arc<Inner>,
    request: Request<Incoming>,
    method: &Method,
    route: Option<Route<'_>>,
) -> Result<Answer, DroppedOnPurpose> {
    let Some(route) = route else {
        return Ok(error(StatusCode::NOT_FOUND, "Not found"));
    };
    let expected = route.method();
    if *method != expected {
        let mut answer = Response::new(FullBody::default());
        *answer.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
        answer.headers_mut().insert(
            ALLOW,
            HeaderValue::from_str(expected.as_str()).unwrap_or(HeaderValue::from_static("GET")),
        );
        return Ok(answer);
    }
    let Some(id) = route.id() else {
        return Ok(error(
            StatusCode::BAD_REQUEST,
            "Invalid percent-encoding in the path",
        ));
    };
    let content_type = request.headers().get(CONTENT_TYPE).cloned();
    let body = match read_body(request.into_body(), BODY_LIMIT).await {
        Ok(body) => body,
        Err(BodyError::TooLarge(limit)) => {
            return Ok(error(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("Request body is larger than {limit} bytes"),
            ))
        }
        Err(BodyError::Read(e)) => {
            tracing::debug!(error = %e, "request body could not be read");
            return Err(DroppedOnPurpose);
        }
    };
    let req = Req { content_type, body };
    Ok(dispatch(inner, route, id, req)
        .await
        .unwrap_or_else(|rejection| rejection))
}

async fn dispatch(
    inner: &Arc<Inner>,
    route: Route<'_>,
    id: String,
    req: Req,
) -> Result<Answer, Answer> {
    Ok(match route {
        Route::Register => register(inner, &req).await?,
        Route::Source(_) => match inner.store().source_json(&id) {
            Some(source) => json_response(StatusCode::OK, &source),
            None => source_not_found(&id),
        },
        Route::Credentials(_) => {
            let store = inner.store();
            if !store.sources.contains_key(&id) {
                source_not_found(&id)
            } else {
                match store.credential_json(&id) {
                    Some(row) => json_response(StatusCode::OK, &row),
                    None => error(
                        StatusCode::NOT_FOUND,
                        format!("Credentials not found for source: {id}"),
                    ),
                }
            }
        }
        Route::SyncConfig(_) => sync_config(inner, &id),
        Route::ConnectorState(_) => {
            let state: Value = req.json()?;
            let mut store = inner.store();
            match store.sources.get_mut(&id) {
                Some(entry) => {
                    entry.source.connector_state = (!state.is_null()).then_some(state);
                    entry.source.updated_at = super::timefmt::now_micros();
                    ok()
                }
                None => source_not_found(&id),
            }
        }
        Route::UserEmail(_) => {
            let store = inner.store();
            match store.sources.get(&id) {
                None => source_not_found(&id),
                Some(entry) => match &entry.user_email {
                    Some(email) => json_response(
                        StatusCode::OK,
                        &UserEmailResponse {
                            email: email.clone(),
                        },
                    ),
                    None => error(
                        StatusCode::NOT_FOUND,
                        format!("User email not found for source: {id}"),
                    ),
                },
            }
        }
        Route::SourcesByType(_) => {
            let store = inner.store();
            let sources: Vec<Value> = store
                .source_order
                .iter()
                .filter_map(|sid| store.sources.get(sid))
                .filter(|e| e.source.source_type == id && !e.source.is_deleted)
                .map(|e| source_json(&e.source))
                .collect();
            json_response(StatusCode::OK, &sources)
        }
        Route::ConnectorConfig(_) => match inner.store().connector_configs.get(&id) {
            Some(value) => json_response(StatusCode::OK, value),
            None => error(
                StatusCode::NOT_FOUND,
                format!("Connector config not found for provider: {id}"),
            ),
        },
        Route::Event => {
            let body: EventRequest = req.json()?;
            events(inner, &body.sync_run_id, &body.source_id, vec![body.event])
        }
        Route::EventBatch => {
            let body: EventBatchRequest = req.json()?;
            events(inner, &body.sync_run_id, &body.source_id, body.events)
        }
        Route::Content => {
            let body: ContentRequest = req.json()?;
            let mut store = inner.store();
            store.touch_run(&body.sync_run_id);
            let content_id = store.store_content(body.content, body.content_type);
            json_response(StatusCode::OK, &ContentResponse { content_id })
        }
        Route::ExtractContent | Route::ExtractText => extract(inner, &req, route)?,
        Route::SyncCancel => {
            let body: SdkCancelRequest = req.json()?;
            match inner
                .store()
                .stop_run(&body.sync_run_id, RunStatus::Cancelled, None)
            {
                RunCall::Unknown => run_not_found(&body.sync_run_id),
                RunCall::Ignored => {
                    json_response(StatusCode::OK, &SdkCancelResponse { success: false })
                }
                RunCall::Applied(_) => {
                    inner.run_changed.notify_waiters();
                    json_response(StatusCode::OK, &SdkCancelResponse { success: true })
                }
            }
        }
        Route::SyncCreate => {
            let body: CreateSyncRequest = req.json()?;
            let mode = match body.sync_type.as_str() {
                "full" => SyncMode::Full,
                "incremental" => SyncMode::Incremental,
                "realtime" => SyncMode::Realtime,
                other => {
                    return Err(error(
                        StatusCode::BAD_REQUEST,
                        format!("Invalid sync type: {other}"),
                    ))
                }
            };
            new_run(inner, &body.source_id, mode)
        }
        Route::WebhookNotify => {
            let body: WebhookNotifyRequest = req.json()?;
            new_run(inner, &body.source_id, SyncMode::Incremental)
        }
        Route::Heartbeat(_) => run_call(inner, &id, inner.store().with_running_run(&id, |_| {})),
        Route::Scanned(_) | Route::Updated(_) => {
            let count = if req.body.is_empty() {
                1
            } else {
                req.json::<CountRequest>()?.count
            };
            let scanned = matches!(route, Route::Scanned(_));
            let outcome = inner.store().with_running_run(&id, |run| {
                if scanned {
                    run.scanned = run.scanned.saturating_add(count);
                } else {
                    run.updated = run.updated.saturating_add(count);
                }
            });
            run_call(inner, &id, outcome)
        }
        Route::Checkpoint(_) => {
            let checkpoint: Value = req.json()?;
            let outcome = inner.store().with_running_run(&id, |run| {
                run.checkpoint = (!checkpoint.is_null()).then_some(checkpoint);
            });
            run_call(inner, &id, outcome)
        }
        Route::Complete(_) => {
            let outcome = inner.store().complete_run(&id);
            run_call(inner, &id, outcome)
        }
        Route::Fail(_) => {
            let body: FailRequest = req.json()?;
            let outcome = inner
                .store()
                .stop_run(&id, RunStatus::Failed, Some(body.error));
            run_call(inner, &id, outcome)
        }
    })
}

fn source_not_found(id: &str) -> Answer {
    error(StatusCode::NOT_FOUND, format!("Source not found: {id}"))
}

fn run_not_found(id: &str) -> Answer {
    error(StatusCode::NOT_FOUND, format!("Sync run not found: {id}"))
}

/// The answer to a run-scoped call; wakes waiters when a run stopped.
fn run_call(inner: &Inner, id: &str, outcome: RunCall) -> Answer {
    match outcome {
        RunCall::Unknown => run_not_found(id),
        RunCall::Ignored => ok(),
        RunCall::Applied(changed) => {
            if changed {
                inner.run_changed.notify_waiters();
            }
            ok()
        }
    }
}

fn new_run(inner: &Inner, source_id: &str, mode: SyncMode) -> Answer {
    let mut store = inner.store();
    if !store.sources.contains_key(source_id) {
        return source_not_found(source_id);
    }
    let sync_run_id = store.create_run(source_id, mode);
    json_response(StatusCode::OK, &SyncRunResponse { sync_run_id })
}

fn events(
    inner: &Inner,
    sync_run_id: &str,
    source_id: &str,
    events: Vec<crate::models::ConnectorEvent>,
) -> Answer {
    match inner.store().accept_events(sync_run_id, source_id, events) {
        Ok(()) => ok(),
        Err(
            rejection @ (EventRejection::UnknownRun
            | EventRejection::NotRunning
            | EventRejection::Mismatch(_)),
        ) => error(StatusCode::BAD_REQUEST, rejection.message()),
    }
}

fn sync_config(inner: &Inner, id: &str) -> Answer {
    let store = inner.store();
    let Some(entry) = store.sources.get(id) else {
        return source_not_found(id);
    };
    let source = &entry.source;
    if !schema::is_known_source_type(&source.source_type) {
        return error(
            StatusCode::BAD_REQUEST,
            format!(
                "Sync config is only available for built-in source types, not {}",
                source.source_type
            ),
        );
    }
    let config = SyncConfigResponse {
        config: source.config.clone(),
        credentials: entry
            .credential
            .as_ref()
            .map(|c| c.credentials.clone())
            .unwrap_or_else(|| json!({})),
        connector_state: source.connector_state.clone(),
        checkpoint: source.checkpoint.clone(),
        source_type: Some(source.source_type.clone()),
        user_filter_mode: source.user_filter_mode.clone(),
        user_whitelist: source.user_whitelist.clone(),
        user_blacklist: source.user_blacklist.clone(),
    };
    json_response(StatusCode::OK, &config)
}

async fn register(inner: &Inner, req: &Req) -> Result<Answer, Answer> {
    let manifest: ConnectorManifest = req.json()?;
    // The manager's model types action source types as a closed enum, so an
    // unknown one fails in its JSON extractor: 422, plain text.
    for (i, action) in manifest.actions.iter().enumerate() {
        for (j, source_type) in action.source_types.iter().enumerate() {
            if !schema::is_known_source_type(source_type) {
                let expected = schema::KNOWN_SOURCE_TYPES
                    .iter()
                    .map(|t| format!("`{t}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                return Err(crate::http::text_response(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!(
                        "Failed to deserialize the JSON body into the target type: actions[{i}].source_types[{j}]: unknown variant `{source_type}`, expected one of {expected}"
                    ),
                ));
            }
        }
    }
    if manifest.connector_id.trim().is_empty() {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "connector_id must not be empty",
        ));
    }
    if manifest.connector_url.trim().is_empty() {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "connector_url must not be empty",
        ));
    }
    for action in &manifest.actions {
        schema::validate_input_schema(&manifest.connector_id, &action.name, &action.input_schema)
            .map_err(|message| error(StatusCode::BAD_REQUEST, message))?;
    }
    if inner.health_check.load(Ordering::Relaxed) {
        let url = outbound::join(&manifest.connector_url, "/health");
        let healthy = matches!(
            outbound::send(&inner.client, Method::GET, &url, None, HEALTH_TIMEOUT).await,
            Ok((status, _)) if (200..300).contains(&status)
        );
        if !healthy {
            return Err(error(
                StatusCode::BAD_REQUEST,
                format!(
                    "Connector health check failed at {}. Registration rejected.",
                    manifest.connector_url
                ),
            ));
        }
    }
    inner.store().registrations.push(manifest);
    Ok(ok())
}

fn extract(inner: &Inner, req: &Req, route: Route<'_>) -> Result<Answer, Answer> {
    let content_type = req
        .content_type
        .as_ref()
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let boundary =
        multipart::boundary(content_type).map_err(|m| error(StatusCode::BAD_REQUEST, m))?;
    let parts =
        multipart::parse(&req.body, &boundary).map_err(|m| error(StatusCode::BAD_REQUEST, m))?;
    let field = |name: &str| parts.iter().find(|p| p.name == name);
    let text_field = |name: &str| -> Result<String, Answer> {
        let part = field(name).ok_or_else(|| {
            error(
                StatusCode::BAD_REQUEST,
                format!("Missing multipart field: {name}"),
            )
        })?;
        String::from_utf8(part.data.clone()).map_err(|_| {
            error(
                StatusCode::BAD_REQUEST,
                format!("Multipart field {name} is not UTF-8"),
            )
        })
    };
    let sync_run_id = text_field("sync_run_id")?;
    let mime_type = text_field("mime_type")?;
    let data = field("data")
        .ok_or_else(|| error(StatusCode::BAD_REQUEST, "Missing multipart field: data"))?;
    let text = String::from_utf8_lossy(&data.data).into_owned();
    let mut store = inner.store();
    store.touch_run(&sync_run_id);
    Ok(if matches!(route, Route::ExtractText) {
        json_response(StatusCode::OK, &ExtractTextResponse { text })
    } else {
        let content_id = store.store_content(text, Some(mime_type));
        json_response(StatusCode::OK, &ContentResponse { content_id })
    })
}
