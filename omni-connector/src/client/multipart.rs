//! The multipart/form-data body of `/sdk/extract-content` and
//! `/sdk/extract-text` (PROTOCOL.md §3).

use bytes::{BufMut, Bytes, BytesMut};

/// A form body and the boundary that separates its parts.
pub(crate) struct Multipart {
    pub(crate) boundary: String,
    pub(crate) body: Bytes,
}

impl Multipart {
    /// The content type to send the body with.
    pub(crate) fn content_type(&self) -> String {
        format!("multipart/form-data; boundary={}", self.boundary)
    }
}

/// Builds the form: `sync_run_id`, `mime_type`, optional `filename`, and the
/// file part `data`.
pub(crate) fn extract_form(
    sync_run_id: &str,
    data: &[u8],
    mime_type: &str,
    filename: Option<&str>,
) -> Multipart {
    // A random boundary that cannot occur in the data: retry on the
    // astronomically unlikely collision rather than trust luck.
    let boundary = loop {
        let candidate = format!(
            "omni-connector-{:016x}{:016x}",
            fastrand::u64(..),
            fastrand::u64(..)
        );
        if !contains(data, candidate.as_bytes()) {
            break candidate;
        }
    };
    let mut body = BytesMut::with_capacity(data.len() + 512);
    let mut field = |name: &str, value: &str| {
        body.put_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n")
                .as_bytes(),
        );
        body.put_slice(value.as_bytes());
        body.put_slice(b"\r\n");
    };
    field("sync_run_id", sync_run_id);
    field("mime_type", mime_type);
    if let Some(name) = filename {
        field("filename", name);
    }
    let file_name = quote(filename.unwrap_or("data"));
    body.put_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"data\"; filename=\"{file_name}\"\r\nContent-Type: {mime_type}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.put_slice(data);
    body.put_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    Multipart {
        boundary,
        body: body.freeze(),
    }
}

/// Escapes what would end a quoted header parameter.
fn quote(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace(['\r', '\n'], " ")
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_has_every_part() {
        let form = extract_form(
            "run-1",
            b"%PDF-1.7 bytes",
            "application/pdf",
            Some("a \"b\".pdf"),
        );
        let text = String::from_utf8_lossy(&form.body);
        assert!(form.content_type().ends_with(&form.boundary));
        assert!(text.contains("name=\"sync_run_id\"\r\n\r\nrun-1\r\n"));
        assert!(text.contains("name=\"mime_type\"\r\n\r\napplication/pdf\r\n"));
        assert!(text.contains("name=\"filename\"\r\n\r\na \"b\".pdf\r\n"));
        assert!(text.contains("name=\"data\"; filename=\"a \\\"b\\\".pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.7 bytes\r\n"));
        assert!(text.ends_with(&format!("--{}--\r\n", form.boundary)));
    }
}
