//! The manager's JSON body extractor: the same rejections (415, 400, 422,
//! plain text) and messages, including the path prefix of the field where
//! decoding stopped (`sync_run_id: EOF while parsing ...`).

// The error of these functions is the HTTP answer itself, built once per
// rejected request: boxing it would only add an allocation.
#![allow(clippy::result_large_err)]

use hyper::header::HeaderValue;
use hyper::{Response, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::error::Category;

use crate::http::{is_json_content_type, text_response, FullBody};

/// Decodes a JSON body, or builds the manager's rejection.
pub(crate) fn decode<T: DeserializeOwned>(
    content_type: Option<&HeaderValue>,
    body: &[u8],
) -> Result<T, Response<FullBody>> {
    if !is_json_content_type(content_type) {
        return Err(text_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Expected request with `Content-Type: application/json`",
        ));
    }
    serde_json::from_slice(body).map_err(|e| rejection(body, &e))
}

/// The rejection for a body serde could not decode.
pub(crate) fn rejection(body: &[u8], e: &serde_json::Error) -> Response<FullBody> {
    let path = error_path(body, e.line(), e.column());
    let message = if path.is_empty() {
        e.to_string()
    } else {
        format!("{path}: {e}")
    };
    match e.classify() {
        Category::Data => text_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("Failed to deserialize the JSON body into the target type: {message}"),
        ),
        Category::Syntax | Category::Eof | Category::Io => text_response(
            StatusCode::BAD_REQUEST,
            format!("Failed to parse the request body as JSON: {message}"),
        ),
    }
}

enum Frame {
    Object { key: Option<String>, want_key: bool },
    Array { index: usize },
}

/// The path (`events[0].document_id`) of the value being read when
/// decoding stopped at `line:column` (1-based, as serde_json reports them).
pub(crate) fn error_path(body: &[u8], line: usize, column: usize) -> String {
    if line == 0 {
        return String::new();
    }
    let mut offset = 0;
    for _ in 1..line {
        match body[offset..].iter().position(|&b| b == b'\n') {
            Some(i) => offset += i + 1,
            None => break,
        }
    }
    let end = (offset + column).min(body.len());
    let prefix = &body[..end];

    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    while i < prefix.len() {
        match prefix[i] {
            b'"' => {
                let start = i + 1;
                let mut j = start;
                let mut closed = false;
                while j < prefix.len() {
                    match prefix[j] {
                        b'\\' => j += 2,
                        b'"' => {
                            closed = true;
                            break;
                        }
                        _ => j += 1,
                    }
                }
                if let Some(Frame::Object { key, want_key }) = stack.last_mut() {
                    if *want_key && closed {
                        let raw = &prefix[start..j];
                        *key = Some(
                            serde_json::from_slice::<String>(&prefix[start - 1..=j])
                                .unwrap_or_else(|_| String::from_utf8_lossy(raw).into_owned()),
                        );
                    }
                }
                i = j + 1;
                continue;
            }
            b':' => {
                if let Some(Frame::Object { want_key, .. }) = stack.last_mut() {
                    *want_key = false;
                }
            }
            b',' => match stack.last_mut() {
                Some(Frame::Object { key, want_key }) => {
                    *key = None;
                    *want_key = true;
                }
                Some(Frame::Array { index }) => *index += 1,
                None => {}
            },
            b'{' => stack.push(Frame::Object {
                key: None,
                want_key: true,
            }),
            b'[' => stack.push(Frame::Array { index: 0 }),
            b'}' | b']' => {
                stack.pop();
            }
            _ => {}
        }
        i += 1;
    }

    let mut path = String::new();
    for frame in &stack {
        match frame {
            Frame::Object {
                key: Some(key),
                want_key: false,
            } => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
            }
            Frame::Object { .. } => break,
            Frame::Array { index } => {
                path.push('[');
                path.push_str(&index.to_string());
                path.push(']');
            }
        }
    }
    path
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::models::EventRequest;

    fn message(body: &str) -> (u16, String) {
        let ct = HeaderValue::from_static("application/json");
        match decode::<EventRequest>(Some(&ct), body.as_bytes()) {
            Ok(_) => (200, String::new()),
            Err(r) => {
                let status = r.status().as_u16();
                let body = r.into_body();
                let bytes = futures_bytes(body);
                (status, String::from_utf8_lossy(&bytes).into_owned())
            }
        }
    }

    fn futures_bytes(body: FullBody) -> Vec<u8> {
        use http_body_util::BodyExt;
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(body.collect()).unwrap().to_bytes().to_vec()
    }

    #[test]
    fn fixture_messages() {
        assert_eq!(
            message("{\"sync_run_id\":"),
            (
                400,
                "Failed to parse the request body as JSON: sync_run_id: EOF while parsing a value at line 1 column 15".into()
            )
        );
        assert_eq!(
            message("{\"sync_run_id\":\"r\"}"),
            (
                422,
                "Failed to deserialize the JSON body into the target type: missing field `source_id` at line 1 column 19".into()
            )
        );
    }

    #[test]
    fn nested_paths() {
        assert_eq!(error_path(br#"{"a":[1,{"b":"#, 1, 13), "a[1].b");
        assert_eq!(error_path(br#"{"a":1,"#, 1, 7), "");
        assert_eq!(error_path(b"{\n\"a\\\"b\": x", 2, 9), "a\"b");
        let (status, text) = message(r#"{"sync_run_id":5,"source_id":"s","event":{}}"#);
        assert_eq!(status, 422);
        assert!(text.contains(": sync_run_id: invalid type"), "{text}");
    }

    #[test]
    fn not_json() {
        let r = decode::<EventRequest>(None, b"{}").unwrap_err();
        assert_eq!(r.status(), 415);
    }
}
