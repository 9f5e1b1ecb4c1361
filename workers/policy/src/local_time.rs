//! Times as flows and platforms write them (RFC 3339) and the shop's local day: the 7-day
//! window counts whole local days, and quiet hours are local clock times.

use chrono::{DateTime, Duration, FixedOffset, Offset, TimeZone, Utc};
use serde::Deserialize;

/// A UTC offset written `+08:00` (the shop's local time; China has one time zone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct UtcOffset(pub FixedOffset);

impl Default for UtcOffset {
    fn default() -> Self {
        Self(china())
    }
}

impl TryFrom<String> for UtcOffset {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        parse_offset(&text)
            .map(Self)
            .ok_or_else(|| format!("`{text}` is not a UTC offset like `+08:00`"))
    }
}

/// GMT+8.
pub fn china() -> FixedOffset {
    // 8 h is always a valid offset; the fallback only keeps the code free of panics.
    FixedOffset::east_opt(8 * 3600).unwrap_or(Utc.fix())
}

fn parse_offset(text: &str) -> Option<FixedOffset> {
    let t = text.trim();
    let (sign, rest) = match t.as_bytes().first()? {
        b'+' => (1, &t[1..]),
        b'-' => (-1, &t[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':')?;
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    if !(0..=14).contains(&h) || !(0..60).contains(&m) {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

/// Reads an RFC 3339 time into unix milliseconds.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .map(|t| t.timestamp_millis())
}

/// Unix milliseconds as RFC 3339 in `offset` (`2026-11-24T10:05:12+08:00`).
pub fn to_rfc3339(ms: i64, offset: FixedOffset) -> String {
    DateTime::from_timestamp_millis(ms)
        .map(|t| t.with_timezone(&offset).to_rfc3339())
        .unwrap_or_default()
}

/// The start (00:00 local) of the `days`-th day after the local day of `ms`: with `days = 1`,
/// the beginning of the next day.
pub fn local_day_start_after(ms: i64, days: i64, offset: FixedOffset) -> Option<i64> {
    let local = DateTime::from_timestamp_millis(ms)?.with_timezone(&offset);
    let day = local
        .date_naive()
        .checked_add_signed(Duration::days(days))?;
    let midnight = day.and_hms_opt(0, 0, 0)?;
    offset
        .from_local_datetime(&midnight)
        .single()
        .map(|t| t.timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_local_day_starts_at_midnight_in_china() {
        // 2026-11-24 23:30 +08:00 → 2026-11-25 00:00 +08:00 = 2026-11-24T16:00Z.
        let t = parse_rfc3339("2026-11-24T23:30:00+08:00").unwrap();
        let next = local_day_start_after(t, 1, china()).unwrap();
        assert_eq!(to_rfc3339(next, china()), "2026-11-25T00:00:00+08:00");
        // 00:30 local is still the same local day although it is the previous UTC day.
        let t = parse_rfc3339("2026-11-25T00:30:00+08:00").unwrap();
        let next = local_day_start_after(t, 1, china()).unwrap();
        assert_eq!(to_rfc3339(next, china()), "2026-11-26T00:00:00+08:00");
    }

    #[test]
    fn offsets_are_checked() {
        assert_eq!(parse_offset("+08:00"), Some(china()));
        assert_eq!(
            parse_offset("-05:30").map(|o| o.local_minus_utc()),
            Some(-19_800)
        );
        assert!(parse_offset("8").is_none());
    }
}
