//! The manager's timestamp form for database rows: a signed six-digit year
//! and nanoseconds with microsecond precision
//! (`+002026-12-03T16:08:16.248478000Z`).

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde_json::Value;

/// Formats `t` the way the real manager serializes Source and
/// ServiceCredential timestamps (PostgreSQL keeps microseconds).
pub(crate) fn format_manager_timestamp(t: &DateTime<Utc>) -> String {
    let year = t.year();
    let sign = if year < 0 { '-' } else { '+' };
    // A leap second shows as nanos >= 1e9; clamp it into the last microsecond.
    let micros = t.timestamp_subsec_micros().min(999_999);
    format!(
        "{sign}{:06}-{:02}-{:02}T{:02}:{:02}:{:02}.{micros:06}000Z",
        year.unsigned_abs(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
    )
}

/// Rewrites the named timestamp fields of a serialized row into the
/// manager's form, and makes the named optional fields explicit `null`s
/// when absent (the manager never omits a column).
pub(crate) fn manager_row(mut value: Value, timestamps: &[&str], nullable: &[&str]) -> Value {
    if let Value::Object(map) = &mut value {
        for field in timestamps {
            if let Some(Value::String(text)) = map.get(*field) {
                if let Ok(t) = crate::models::parse_timestamp(text) {
                    map.insert(
                        (*field).to_owned(),
                        Value::String(format_manager_timestamp(&t)),
                    );
                }
            }
        }
        for field in nullable {
            map.entry((*field).to_owned()).or_insert(Value::Null);
        }
    }
    value
}

/// Now, truncated to microseconds like a PostgreSQL `timestamptz`.
pub(crate) fn now_micros() -> DateTime<Utc> {
    let now = Utc::now();
    let micros = now.timestamp_micros();
    DateTime::from_timestamp_micros(micros).unwrap_or(now)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn six_digit_year_form() {
        let t = Utc
            .with_ymd_and_hms(2026, 12, 3, 16, 8, 16)
            .single()
            .unwrap()
            + chrono::Duration::microseconds(248_478);
        assert_eq!(
            format_manager_timestamp(&t),
            "+002026-12-03T16:08:16.248478000Z"
        );
        // Sub-microsecond digits are dropped, as PostgreSQL does.
        let t2 = t + chrono::Duration::nanoseconds(999);
        assert_eq!(
            format_manager_timestamp(&t2),
            "+002026-12-03T16:08:16.248478000Z"
        );
    }

    #[test]
    fn round_trips_through_the_model_decoder() {
        let t = now_micros();
        let text = format_manager_timestamp(&t);
        assert_eq!(crate::models::parse_timestamp(&text).unwrap(), t);
    }

    #[test]
    fn rows_get_rewritten_and_nulls_added() {
        let row = serde_json::json!({"created_at": "2026-12-03T16:08:16Z", "x": 1});
        let out = manager_row(row, &["created_at"], &["user_id"]);
        assert_eq!(out["created_at"], "+002026-12-03T16:08:16.000000000Z");
        assert_eq!(out["user_id"], Value::Null);
        assert_eq!(out["x"], 1);
    }
}
