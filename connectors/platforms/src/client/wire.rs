//! The HTTP exchange as the dialects see it (built and read without sockets, so they are unit
//! tested), and the small conversions every platform needs: GMT+8 times, JSON lookups.

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone};
use serde_json::Value;

use crate::error::Error;

/// A request a dialect built.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// `GET` or `POST`.
    pub method: &'static str,
    /// The full URL.
    pub url: String,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Body,
}

/// A request body.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// No body.
    Empty,
    /// `application/x-www-form-urlencoded`.
    Form(Vec<(String, String)>),
    /// `application/json` text.
    Json(String),
}

/// What came back.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// `Retry-After` in seconds, when sent.
    pub retry_after: Option<f64>,
    /// The body text.
    pub body: String,
}

impl Response {
    /// The body as JSON, or a `Malformed` error that quotes its start.
    pub fn json(&self) -> Result<Value, Error> {
        serde_json::from_str(&self.body).map_err(|e| Error::Malformed {
            detail: format!(
                "HTTP {} with a body that is not JSON ({e}): {}",
                self.status,
                self.body.chars().take(120).collect::<String>()
            ),
        })
    }

    /// A 5xx answer (the gateway or a proxy failed).
    pub fn server_error(&self) -> Option<Error> {
        (self.status >= 500).then(|| Error::Unavailable {
            detail: format!("HTTP {}", self.status),
        })
    }
}

fn gmt8() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("+08:00 is a valid offset")
}

/// The answer of a TOP-family gateway (Taobao, JD, Pinduoduo): a 5xx, or an `error_response`
/// read by `error`, is an error; otherwise the object under `key` (`…_response`).
pub fn top_family_answer(
    resp: &Response,
    key: &str,
    error: fn(&Value) -> Error,
) -> Result<Value, Error> {
    if let Some(e) = resp.server_error() {
        return Err(e);
    }
    let mut body = resp.json()?;
    if let Some(e) = body.get("error_response") {
        return Err(error(e));
    }
    body.get_mut(key)
        .map(Value::take)
        .ok_or_else(|| Error::Malformed {
            detail: format!("no `{key}` in the answer"),
        })
}

/// `yyyy-MM-dd HH:mm:ss` in GMT+8, as the Chinese gateways want their timestamps.
pub fn gmt8_timestamp(now_ms: i64) -> String {
    gmt8()
        .timestamp_millis_opt(now_ms)
        .single()
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

/// A GMT+8 `yyyy-MM-dd HH:mm:ss` time as RFC 3339 (`2026-11-24T10:00:00+08:00`).
pub fn gmt8_to_rfc3339(s: &str) -> Option<String> {
    let naive = NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%d %H:%M:%S").ok()?;
    gmt8()
        .from_local_datetime(&naive)
        .single()
        .map(|t| t.to_rfc3339())
}

/// Unix seconds as RFC 3339 in GMT+8.
pub fn unix_to_rfc3339(secs: i64) -> Option<String> {
    (secs > 0)
        .then(|| gmt8().timestamp_opt(secs, 0).single())
        .flatten()
        .map(|t| t.to_rfc3339())
}

/// Any RFC 3339 time, normalised.
pub fn rfc3339(s: &str) -> Option<String> {
    DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|t| t.to_rfc3339())
}

/// A JSON value as text: strings as they are, numbers printed, anything else empty.
pub fn text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

/// A JSON value as an integer, from a number or a string of digits.
pub fn int(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A model value as JSON.
pub fn to_json<T: serde::Serialize>(value: &T) -> Result<Value, Error> {
    serde_json::to_value(value).map_err(|e| Error::Malformed {
        detail: e.to_string(),
    })
}

/// `Some(text)` unless empty.
pub fn non_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

/// Reads "retry after N s" / "last for N more seconds" out of a platform's message.
pub fn seconds_in(message: &str) -> Option<f64> {
    let lower = message.to_ascii_lowercase();
    for marker in ["retry after ", "last for ", "more than "] {
        if let Some(pos) = lower.find(marker) {
            let rest = &lower[pos + marker.len()..];
            let digits: String = rest
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            if let Ok(n) = digits.parse::<f64>() {
                return Some(n);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_gmt8() {
        // 2016-01-01 12:00:00 GMT+8 = 2016-01-01 04:00:00 UTC.
        assert_eq!(gmt8_timestamp(1_451_620_800_000), "2016-01-01 12:00:00");
        assert_eq!(
            gmt8_to_rfc3339("2016-01-01 12:00:00").as_deref(),
            Some("2016-01-01T12:00:00+08:00")
        );
        assert_eq!(
            unix_to_rfc3339(1_451_620_800).as_deref(),
            Some("2016-01-01T12:00:00+08:00")
        );
        assert_eq!(
            seconds_in("This ban will last for 3 more seconds"),
            Some(3.0)
        );
        assert_eq!(seconds_in("调用过于频繁, retry after 1.5 s"), Some(1.5));
    }
}
