//! The connector's endpoints (PROTOCOL.md §2), routed by method and path.

use std::sync::Arc;

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, ALLOW, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use serde::de::DeserializeOwned;
use tracing::Instrument;

use super::lifecycle::{self, panic_message, StartError};
use super::App;
use crate::connector::{ActionContext, Connector};
use crate::http::{
    decode_segment, is_json_content_type, json_response, read_body, BodyError, FullBody,
};
use crate::models::{
    ActionRequest, ActionResponse, CancelRequest, CancelResponse, SyncRequest, SyncResponse,
    SyncStatusResponse,
};

pub(crate) async fn handle<C: Connector>(
    app: Arc<App<C>>,
    request: Request<Incoming>,
) -> Response<FullBody> {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    if path != "/health" {
        if let Some(secret) = &app.config.shared_secret {
            let given = request
                .headers()
                .get(super::SHARED_SECRET_HEADER)
                .map(HeaderValue::as_bytes)
                .unwrap_or_default();
            if !super::config::constant_time_eq(given, secret.as_bytes()) {
                tracing::warn!(%method, path = %shorten(&path), "request without the shared secret refused");
                let message = format!("missing or wrong {} header", super::SHARED_SECRET_HEADER);
                return if path == "/action" {
                    json_response(StatusCode::UNAUTHORIZED, &ActionResponse::failure(message))
                } else {
                    error(StatusCode::UNAUTHORIZED, message)
                };
            }
        }
    }
    match route(&method, &path) {
        Route::Health => cached_json(&app.health_json),
        Route::Manifest => cached_json(&app.manifest_json),
        Route::Sync => sync(&app, request).await,
        Route::Cancel => cancel(&app, request).await,
        Route::Action => action(&app, request).await,
        Route::SyncStatus(segment) => sync_status(&app, segment),
        Route::MethodNotAllowed(allow) => method_not_allowed(allow),
        Route::NotFound => error(
            StatusCode::NOT_FOUND,
            format!("Not found: {method} {}", shorten(&path)),
        ),
    }
}

/// Where a request goes, from its method and path alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route<'a> {
    Health,
    Manifest,
    Sync,
    Cancel,
    Action,
    /// `GET /sync/{segment}`, the segment still percent-encoded.
    SyncStatus(&'a str),
    /// A known path with the wrong method; the method it takes.
    MethodNotAllowed(&'static str),
    NotFound,
}

pub(crate) fn route<'a>(method: &Method, path: &'a str) -> Route<'a> {
    match (method, path) {
        (&Method::GET, "/health") => Route::Health,
        (&Method::GET, "/manifest") => Route::Manifest,
        (&Method::POST, "/sync") => Route::Sync,
        (&Method::POST, "/cancel") => Route::Cancel,
        (&Method::POST, "/action") => Route::Action,
        (_, "/health" | "/manifest") => Route::MethodNotAllowed("GET"),
        (_, "/sync" | "/cancel" | "/action") => Route::MethodNotAllowed("POST"),
        (&Method::GET, p) => match p.strip_prefix("/sync/") {
            Some(segment) => Route::SyncStatus(segment),
            None => Route::NotFound,
        },
        (_, p) if p.starts_with("/sync/") => Route::MethodNotAllowed("GET"),
        _ => Route::NotFound,
    }
}

/// The run id of `GET /sync/{segment}`: one non-empty, validly
/// percent-encoded UTF-8 segment.
pub(crate) fn sync_status_id(segment: &str) -> Option<String> {
    if segment.contains('/') {
        return None;
    }
    decode_segment(segment).filter(|id| !id.is_empty())
}

async fn sync<C: Connector>(app: &Arc<App<C>>, request: Request<Incoming>) -> Response<FullBody> {
    let sync_request: SyncRequest = match read_json(app, request).await {
        Ok(r) => r,
        Err((status, message)) => return error(status, message),
    };
    match lifecycle::start(app, sync_request).await {
        Ok(()) => json_response(StatusCode::OK, &SyncResponse::started()),
        Err(StartError::Busy) => error(
            StatusCode::CONFLICT,
            "Sync already in progress for this source".into(),
        ),
        Err(StartError::SourceNotFound(m) | StartError::Unsupported(m)) => {
            error(StatusCode::NOT_FOUND, m)
        }
        Err(StartError::BadRequest(m)) => error(StatusCode::BAD_REQUEST, m),
        Err(StartError::Manager(m)) => error(StatusCode::INTERNAL_SERVER_ERROR, m),
        Err(StartError::ShuttingDown) => error(
            StatusCode::SERVICE_UNAVAILABLE,
            "The connector is shutting down".into(),
        ),
    }
}

fn sync_status<C: Connector>(app: &App<C>, segment: &str) -> Response<FullBody> {
    match sync_status_id(segment) {
        Some(id) => json_response(
            StatusCode::OK,
            &SyncStatusResponse {
                running: app.registry.is_running(&id),
            },
        ),
        _ => error(
            StatusCode::NOT_FOUND,
            format!("Not found: GET /sync/{}", shorten(segment)),
        ),
    }
}

async fn cancel<C: Connector>(app: &Arc<App<C>>, request: Request<Incoming>) -> Response<FullBody> {
    let cancel: CancelRequest = match read_json(app, request).await {
        Ok(r) => r,
        Err((status, message)) => return error(status, message),
    };
    if lifecycle::cancel(app, &cancel.sync_run_id) {
        json_response(StatusCode::OK, &CancelResponse::cancelled())
    } else {
        json_response(StatusCode::NOT_FOUND, &CancelResponse::not_found())
    }
}

async fn action<C: Connector>(app: &Arc<App<C>>, request: Request<Incoming>) -> Response<FullBody> {
    let action: ActionRequest = match read_json(app, request).await {
        Ok(r) => r,
        Err((status, message)) => return json_response(status, &ActionResponse::failure(message)),
    };
    if app.manifest.action(&action.action).is_none() {
        return json_response(
            StatusCode::NOT_FOUND,
            &ActionResponse::not_supported(&action.action),
        );
    }
    let name = action.action;
    let span = tracing::info_span!("action", action = %name);
    let ctx = ActionContext::new(action.credentials, action.source, action.actor_email);
    let connector = app.connector.clone();
    let params = action.params;
    let task_name = name.clone();
    // A task of its own, so that a panicking action answers 500 instead of
    // dropping the connection.
    let task = tokio::spawn(
        async move { connector.execute_action(&task_name, params, ctx).await }
            .instrument(span.clone()),
    );
    match task.await {
        Ok(response) if response.is_success() => json_response(StatusCode::OK, &response),
        Ok(response) => {
            tracing::info!(parent: &span, error = response.error.as_deref().unwrap_or(""), "action failed");
            json_response(StatusCode::BAD_REQUEST, &response)
        }
        Err(join) => {
            let message = if join.is_panic() {
                format!(
                    "action `{name}` panicked: {}",
                    panic_message(join.into_panic())
                )
            } else {
                format!("action `{name}` was aborted")
            };
            tracing::error!(parent: &span, "{message}");
            json_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                &ActionResponse::failure(message),
            )
        }
    }
}

/// Reads and decodes a JSON body within the body limit and timeout. The
/// error names what was wrong and, for JSON that does not fit, where.
async fn read_json<C: Connector, T: DeserializeOwned>(
    app: &App<C>,
    request: Request<Incoming>,
) -> Result<T, (StatusCode, String)> {
    let limit = app.config.body_limit;
    let headers = request.headers();
    if headers.contains_key(CONTENT_TYPE) && !is_json_content_type(headers.get(CONTENT_TYPE)) {
        let given = headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("(not text)");
        return Err((
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "expected a JSON body (content-type: application/json), got `{}`",
                shorten(given)
            ),
        ));
    }
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large(limit));
    }
    let body = match tokio::time::timeout(
        app.config.body_timeout,
        read_body(request.into_body(), limit),
    )
    .await
    {
        Ok(Ok(body)) => body,
        Ok(Err(BodyError::TooLarge(_))) => return Err(too_large(limit)),
        Ok(Err(BodyError::Read(why))) => {
            return Err((
                StatusCode::BAD_REQUEST,
                format!("could not read the request body: {why}"),
            ))
        }
        Err(_) => {
            return Err((
                StatusCode::REQUEST_TIMEOUT,
                format!(
                    "request body not received within {:?}",
                    app.config.body_timeout
                ),
            ))
        }
    };
    decode_body(&body).map_err(|message| (StatusCode::BAD_REQUEST, message))
}

/// Decodes a JSON body, naming the field that does not fit.
pub(crate) fn decode_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let path = e.path().to_string();
        if path == "." {
            format!("invalid request body: {}", e.inner())
        } else {
            format!("invalid request body at `{path}`: {}", e.inner())
        }
    })?;
    deserializer
        .end()
        .map_err(|e| format!("invalid request body: {e}"))?;
    Ok(value)
}

fn too_large(limit: usize) -> (StatusCode, String) {
    (
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("request body larger than the limit of {limit} bytes"),
    )
}

fn error(status: StatusCode, message: String) -> Response<FullBody> {
    json_response(status, &SyncResponse::error(message))
}

fn method_not_allowed(allow: &'static str) -> Response<FullBody> {
    let mut response = error(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("Method not allowed; use {allow}"),
    );
    response
        .headers_mut()
        .insert(ALLOW, HeaderValue::from_static(allow));
    response
}

fn cached_json(body: &Bytes) -> Response<FullBody> {
    let mut response = Response::new(FullBody::new(body.clone()));
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// Keeps echoed client input short.
fn shorten(text: &str) -> String {
    const MAX: usize = 200;
    if text.len() <= MAX {
        return text.to_owned();
    }
    let mut end = MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_errors_name_the_field() {
        let err =
            decode_body::<SyncRequest>(br#"{"sync_run_id":"r","source_id":7,"sync_mode":"full"}"#)
                .unwrap_err();
        assert!(err.contains("`source_id`"), "{err}");
        let err = decode_body::<SyncRequest>(br#"{"sync_run_id":"r""#).unwrap_err();
        assert!(err.starts_with("invalid request body"), "{err}");
        let err = decode_body::<SyncRequest>(
            br#"{"sync_run_id":"r","source_id":"s","sync_mode":"full"} x"#,
        )
        .unwrap_err();
        assert!(err.contains("trailing"), "{err}");
    }

    #[test]
    fn shorten_respects_char_boundaries() {
        let long = "é".repeat(300);
        assert!(shorten(&long).ends_with("..."));
        assert_eq!(shorten("short"), "short");
    }
}
