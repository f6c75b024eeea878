//! Timestamp decoding that accepts both forms the manager sends.
//!
//! PROTOCOL.md conventions: document metadata and `last_sync_at` come as
//! RFC 3339 (`2026-12-03T16:08:16Z`), while `Source` and `ServiceCredential`
//! rows use the ISO 8601 extended form with a signed six-digit year
//! (`+002026-12-03T16:08:16.248478000Z`), which a plain RFC 3339 parser
//! rejects. Everything the SDK writes is RFC 3339.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{de, Deserialize, Deserializer, Serializer};

/// Parses an RFC 3339 timestamp, or the expanded-year ISO 8601 form the
/// manager uses for database rows (`+002026-12-03T16:08:16.248478000Z`).
///
/// ```
/// use omni_connector::models::parse_timestamp;
/// let a = parse_timestamp("2026-12-03T16:08:16Z").unwrap();
/// let b = parse_timestamp("+002026-12-03T16:08:16.000000000Z").unwrap();
/// assert_eq!(a, b);
/// ```
pub fn parse_timestamp(text: &str) -> Result<DateTime<Utc>, String> {
    let normalized = normalize_expanded_year(text)?;
    DateTime::parse_from_rfc3339(normalized.as_deref().unwrap_or(text))
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("invalid timestamp `{text}`: {e} (expected RFC 3339)"))
}

/// Rewrites `+YYYYYY-...` into the four-digit form RFC 3339 requires, or
/// returns `None` when the text has no expanded year.
fn normalize_expanded_year(text: &str) -> Result<Option<String>, String> {
    let Some(rest) = text.strip_prefix('+').or_else(|| text.strip_prefix('-')) else {
        return Ok(None);
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let year: u32 = rest[..digits]
        .parse()
        .map_err(|_| format!("invalid timestamp `{text}`: no year after the sign"))?;
    if text.starts_with('-') || year > 9999 {
        return Err(format!(
            "invalid timestamp `{text}`: year out of the supported range 0000-9999"
        ));
    }
    Ok(Some(format!("{year:04}{}", &rest[digits..])))
}

/// Formats a timestamp the way the SDK writes them: RFC 3339, UTC, `Z`.
pub(crate) fn format_timestamp(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// `#[serde(with = "...")]` for a required timestamp.
pub(crate) mod required {
    use super::*;

    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_timestamp(t))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        parse_timestamp(&text).map_err(de::Error::custom)
    }
}

/// `#[serde(with = "...")]` for an optional timestamp (absent or `null`).
pub(crate) mod optional {
    use super::*;

    pub fn serialize<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&format_timestamp(t)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        match Option::<std::borrow::Cow<'de, str>>::deserialize(d)? {
            Some(text) => parse_timestamp(&text).map(Some).map_err(de::Error::custom),
            None => Ok(None),
        }
    }
}
