//! A small `multipart/form-data` parser (RFC 7578) for the extractor
//! endpoints. It buffers nothing beyond the body it is given and reports
//! malformed input as a message, never a panic.

/// One part of a form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Part {
    /// The `name` of its `Content-Disposition`.
    pub name: String,
    /// The `filename`, for file parts.
    pub filename: Option<String>,
    /// Its own `Content-Type`, if any.
    pub content_type: Option<String>,
    /// Its bytes.
    pub data: Vec<u8>,
}

/// The boundary of a `multipart/form-data` content type.
pub(crate) fn boundary(content_type: &str) -> Result<String, String> {
    let mut pieces = split_params(content_type).into_iter();
    let essence = pieces.next().unwrap_or_default().to_ascii_lowercase();
    if essence != "multipart/form-data" {
        return Err(format!(
            "Expected a multipart/form-data body, got content type `{content_type}`"
        ));
    }
    for piece in pieces {
        if let Some((key, value)) = parse_param(&piece) {
            if key.eq_ignore_ascii_case("boundary") {
                if value.is_empty() || value.len() > 200 {
                    return Err("Invalid multipart boundary".into());
                }
                return Ok(value);
            }
        }
    }
    Err("Missing boundary in multipart/form-data content type".into())
}

/// Parses a whole multipart body.
pub(crate) fn parse(body: &[u8], boundary: &str) -> Result<Vec<Part>, String> {
    let delimiter = format!("--{boundary}");
    let delimiter = delimiter.as_bytes();
    let next_delimiter = format!("\r\n--{boundary}");
    let next_delimiter = next_delimiter.as_bytes();

    // The first delimiter: at the very start, or after a preamble line.
    let mut pos = if body.starts_with(delimiter) {
        delimiter.len()
    } else {
        find(body, next_delimiter, 0)
            .map(|i| i + next_delimiter.len())
            .ok_or("Malformed multipart body: no opening boundary")?
    };
    let mut parts = Vec::new();
    loop {
        let rest = &body[pos..];
        if rest.starts_with(b"--") {
            return Ok(parts);
        }
        // Transport padding, then CRLF.
        let line_end = find(body, b"\r\n", pos).ok_or("Malformed multipart body: truncated")?;
        if body[pos..line_end]
            .iter()
            .any(|b| !matches!(b, b' ' | b'\t'))
        {
            return Err("Malformed multipart body: garbage after a boundary".into());
        }
        pos = line_end + 2;
        let headers_end = find(body, b"\r\n\r\n", pos)
            .map(|i| (i, i + 4))
            .or_else(|| body[pos..].starts_with(b"\r\n").then_some((pos, pos + 2)))
            .ok_or("Malformed multipart body: part headers never end")?;
        let headers = std::str::from_utf8(&body[pos..headers_end.0])
            .map_err(|_| "Malformed multipart body: part headers are not UTF-8")?;
        let mut part = part_from_headers(headers)?;
        pos = headers_end.1;
        let data_end = find(body, next_delimiter, pos)
            .ok_or("Malformed multipart body: missing closing boundary")?;
        part.data = body[pos..data_end].to_vec();
        parts.push(part);
        pos = data_end + next_delimiter.len();
    }
}

fn part_from_headers(headers: &str) -> Result<Part, String> {
    let mut name = None;
    let mut filename = None;
    let mut content_type = None;
    for line in headers.split("\r\n").filter(|l| !l.is_empty()) {
        let (key, value) = line
            .split_once(':')
            .ok_or_else(|| format!("Malformed multipart part header `{line}`"))?;
        let key = key.trim();
        let value = value.trim();
        if key.eq_ignore_ascii_case("content-disposition") {
            let mut pieces = split_params(value).into_iter();
            let kind = pieces.next().unwrap_or_default();
            if !kind.eq_ignore_ascii_case("form-data") {
                return Err(format!("Unsupported multipart disposition `{kind}`"));
            }
            for piece in pieces {
                match parse_param(&piece) {
                    Some((k, v)) if k.eq_ignore_ascii_case("name") => name = Some(v),
                    Some((k, v)) if k.eq_ignore_ascii_case("filename") => filename = Some(v),
                    _ => {}
                }
            }
        } else if key.eq_ignore_ascii_case("content-type") {
            content_type = Some(value.to_owned());
        }
    }
    let name = name.ok_or("Multipart part without a Content-Disposition name")?;
    Ok(Part {
        name,
        filename,
        content_type,
        data: Vec::new(),
    })
}

/// Splits `a; b="c;d"; e` on semicolons outside quotes, trimmed.
fn split_params(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut escaped = false;
    for c in text.chars() {
        match c {
            _ if escaped => {
                current.push(c);
                escaped = false;
            }
            '\\' if quoted => {
                current.push(c);
                escaped = true;
            }
            '"' => {
                current.push(c);
                quoted = !quoted;
            }
            ';' if !quoted => out.push(std::mem::take(&mut current).trim().to_owned()),
            _ => current.push(c),
        }
    }
    out.push(current.trim().to_owned());
    out
}

/// `key=value` or `key="quoted \" value"`.
fn parse_param(piece: &str) -> Option<(String, String)> {
    let (key, value) = piece.split_once('=')?;
    let value = value.trim();
    let value = match value.strip_prefix('"') {
        Some(inner) => {
            let mut out = String::new();
            let mut chars = inner.chars();
            loop {
                match chars.next()? {
                    '\\' => out.push(chars.next()?),
                    '"' => break,
                    c => out.push(c),
                }
            }
            out
        }
        None => value.to_owned(),
    };
    Some((key.trim().to_owned(), value))
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from > haystack.len() {
        return None;
    }
    let first = needle[0];
    let mut i = from;
    while i + needle.len() <= haystack.len() {
        match haystack[i..].iter().position(|&b| b == first) {
            Some(offset) => {
                let at = i + offset;
                if haystack.get(at..at + needle.len()) == Some(needle) {
                    return Some(at);
                }
                i = at + 1;
            }
            None => return None,
        }
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn body(parts: &[(&str, Option<&str>, &[u8])], b: &str) -> Vec<u8> {
        let mut out = Vec::new();
        for (name, filename, data) in parts {
            out.extend_from_slice(format!("--{b}\r\n").as_bytes());
            match filename {
                Some(f) => out.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
                ),
                None => out.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
                ),
            }
            out.extend_from_slice(data);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(format!("--{b}--\r\n").as_bytes());
        out
    }

    #[test]
    fn boundary_from_content_type() {
        assert_eq!(
            boundary("multipart/form-data; boundary=abc").unwrap(),
            "abc"
        );
        assert_eq!(
            boundary("Multipart/Form-Data; charset=x; boundary=\"a;b c\"").unwrap(),
            "a;b c"
        );
        assert!(boundary("application/json").is_err());
        assert!(boundary("multipart/form-data").is_err());
        assert!(boundary("multipart/form-data; boundary=").is_err());
    }

    #[test]
    fn parses_fields_and_files() {
        let data: &[u8] = b"bin\r\n--not-the-boundary\x00\xff";
        let b = body(
            &[
                ("sync_run_id", None, b"run1"),
                ("mime_type", None, b"text/plain"),
                ("data", Some("a \\\"q\\\".txt"), data),
            ],
            "XyZ",
        );
        let parts = parse(&b, "XyZ").unwrap();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0].name, "sync_run_id");
        assert_eq!(parts[0].data, b"run1");
        assert_eq!(parts[2].filename.as_deref(), Some("a \"q\".txt"));
        assert_eq!(
            parts[2].content_type.as_deref(),
            Some("application/octet-stream")
        );
        assert_eq!(parts[2].data, data);
    }

    #[test]
    fn empty_form_and_preamble() {
        assert_eq!(parse(b"--b--\r\n", "b").unwrap(), vec![]);
        let mut b = b"preamble text\r\n".to_vec();
        b.extend(body(&[("x", None, b"1")], "b"));
        assert_eq!(parse(&b, "b").unwrap()[0].data, b"1");
    }

    #[test]
    fn malformed_input_is_an_error() {
        assert!(parse(b"", "b").is_err());
        assert!(parse(b"garbage", "b").is_err());
        assert!(parse(
            b"--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nno end",
            "b"
        )
        .is_err());
        assert!(parse(
            b"--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--",
            "b"
        )
        .is_err());
        assert!(parse(b"--b\r\nNoColon\r\n\r\nx\r\n--b--", "b").is_err());
        assert!(parse(b"--bjunk\r\n", "b").is_err());
        assert!(parse(b"--b\r\nContent-Disposition: form-data; name=\"x\"", "b").is_err());
    }
}
