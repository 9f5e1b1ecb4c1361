//! Time and money as the platforms write them: `yyyy-MM-dd HH:mm:ss` in GMT+8, RFC 3339,
//! yuan strings and numbers from integer fen.

use chrono::{DateTime, FixedOffset, NaiveDateTime, Offset, Utc};
use serde_json::Value;

const GMT8_SECONDS: i32 = 8 * 3600;
const GMT8_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

fn gmt8_offset() -> FixedOffset {
    // 8 h is always a valid offset; the fallback only keeps the code free of panics.
    FixedOffset::east_opt(GMT8_SECONDS).unwrap_or(Utc.fix())
}

fn utc(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// `yyyy-MM-dd HH:mm:ss` in GMT+8 (Taobao, JD, PDD and Douyin dates).
pub(crate) fn gmt8(ms: i64) -> String {
    utc(ms)
        .with_timezone(&gmt8_offset())
        .format(GMT8_FORMAT)
        .to_string()
}

/// `yyMMdd` in GMT+8 (the prefix of a PDD order number).
pub(crate) fn gmt8_yymmdd(ms: i64) -> String {
    utc(ms)
        .with_timezone(&gmt8_offset())
        .format("%y%m%d")
        .to_string()
}

/// Reads `yyyy-MM-dd HH:mm:ss` as GMT+8 into unix ms.
pub(crate) fn parse_gmt8(text: &str) -> Option<i64> {
    let naive = NaiveDateTime::parse_from_str(text.trim(), GMT8_FORMAT).ok()?;
    Some(naive.and_utc().timestamp_millis() - i64::from(GMT8_SECONDS) * 1000)
}

/// RFC 3339 in UTC (Shopify dates).
pub(crate) fn rfc3339(ms: i64) -> String {
    utc(ms).to_rfc3339()
}

/// Whether `at` is within `window_ms` of `now` either way.
pub(crate) fn within(at: i64, now: i64, window_ms: i64) -> bool {
    (at - now).abs() <= window_ms
}

/// Fen as a yuan string with two places (`10490` → `"104.90"`).
pub(crate) fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// Fen as a yuan JSON number (PDD's order amounts); rendering only, never computed with.
pub(crate) fn yuan_number(fen: i64) -> Value {
    // A float is what PDD sends; the sandbox only ever converts integer fen into it.
    #[allow(clippy::cast_precision_loss)] // reason: order amounts are far below 2^53 fen
    let v = fen as f64 / 100.0;
    serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
}

/// Reads a yuan string (`"104.9"`, `"104.90"`, `"5"`) into fen; `None` if it is not money.
pub(crate) fn parse_yuan(text: &str) -> Option<i64> {
    let t = text.trim();
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || frac.len() > 2 {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let frac_fen: i64 = format!("{frac:0<2}").parse().ok()?;
    whole.checked_mul(100)?.checked_add(frac_fen)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gmt8_round_trips() {
        let ms = parse_gmt8("2026-11-24 10:00:00").unwrap();
        assert_eq!(gmt8(ms), "2026-11-24 10:00:00");
        assert_eq!(ms % 1000, 0);
        assert_eq!(gmt8_yymmdd(ms), "261124");
    }

    #[test]
    fn money() {
        assert_eq!(yuan(10490), "104.90");
        assert_eq!(yuan(5), "0.05");
        assert_eq!(parse_yuan("104.9"), Some(10490));
        assert_eq!(parse_yuan("10.00"), Some(1000));
        assert_eq!(parse_yuan("1.234"), None);
        assert_eq!(parse_yuan("x"), None);
        assert_eq!(yuan_number(10490).to_string(), "104.9");
    }
}
