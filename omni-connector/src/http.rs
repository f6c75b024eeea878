//! Small HTTP helpers shared by the connector's server and the in-process
//! manager: bodies, JSON answers, path segments.

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Body;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Response, StatusCode};
use serde::Serialize;

/// The body type of every request and answer the SDK builds.
pub(crate) type FullBody = Full<Bytes>;

/// Why a body could not be read.
#[derive(Debug)]
pub(crate) enum BodyError {
    /// Longer than the limit.
    TooLarge(usize),
    /// The connection broke or timed out while reading.
    Read(String),
}

/// Reads a whole body, refusing one over `limit` bytes without buffering
/// more than that.
pub(crate) async fn read_body<B>(body: B, limit: usize) -> Result<Bytes, BodyError>
where
    B: Body,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(BodyError::TooLarge(limit)),
        Err(e) => Err(BodyError::Read(e.to_string())),
    }
}

/// A JSON answer. Serializing our own models cannot fail; if it ever did,
/// the answer is a 500 with a plain message rather than a panic.
pub(crate) fn json_response<T: Serialize + ?Sized>(
    status: StatusCode,
    value: &T,
) -> Response<FullBody> {
    match serde_json::to_vec(value) {
        Ok(bytes) => with_content_type(status, Bytes::from(bytes), "application/json"),
        Err(e) => text_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("could not encode the answer: {e}"),
        ),
    }
}

/// A plain-text answer.
pub(crate) fn text_response(status: StatusCode, text: impl Into<String>) -> Response<FullBody> {
    with_content_type(
        status,
        Bytes::from(text.into()),
        "text/plain; charset=utf-8",
    )
}

fn with_content_type(
    status: StatusCode,
    body: Bytes,
    content_type: &'static str,
) -> Response<FullBody> {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// Whether a request's content type is JSON (`application/json`, with or
/// without parameters, or any `+json` type).
pub(crate) fn is_json_content_type(value: Option<&HeaderValue>) -> bool {
    let Some(text) = value.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = text
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Percent-encodes one path segment (everything but RFC 3986's unreserved
/// characters), so an id can never change the path it is put in.
#[allow(dead_code)] // used by the SDK client, not on this branch
pub(crate) fn encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Decodes a percent-encoded path segment; `None` when it is not valid
/// percent-encoding of UTF-8.
pub(crate) fn decode_segment(segment: &str) -> Option<String> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = segment.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_round_trip() {
        for s in ["01HXYZ", "a b/c?d#e%f", "émoji 🚀", ""] {
            assert_eq!(decode_segment(&encode_segment(s)).as_deref(), Some(s));
        }
        assert_eq!(encode_segment("a/b"), "a%2Fb");
        assert_eq!(decode_segment("%zz"), None);
        assert_eq!(decode_segment("%4"), None);
    }

    #[test]
    fn json_content_types() {
        let ok = |s: &'static str| is_json_content_type(Some(&HeaderValue::from_static(s)));
        assert!(ok("application/json"));
        assert!(ok("application/json; charset=utf-8"));
        assert!(ok("Application/JSON"));
        assert!(ok("application/problem+json"));
        assert!(!ok("text/plain"));
        assert!(!is_json_content_type(None));
    }
}
