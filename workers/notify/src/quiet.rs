//! Quiet hours: a daily window in the shop's local time (a fixed UTC offset) during which no
//! buyer is contacted. `22:00`–`08:00` wraps midnight; a window whose start equals its end is
//! empty (no quiet hours).

use chrono::{
    DateTime, Duration, FixedOffset, NaiveTime, Offset, SecondsFormat, TimeZone, Timelike, Utc,
};

/// The window and the offset its times are in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    start: NaiveTime,
    end: NaiveTime,
    offset: FixedOffset,
}

/// The default window: 22:00–08:00 at +08:00 (China Standard Time).
pub const DEFAULT_QUIET_HOURS: (&str, &str, &str) = ("22:00", "08:00", "+08:00");

impl QuietHours {
    /// Reads `start` and `end` (`HH:MM`, 24-hour) and `utc_offset` (`+08:00`, `-05:00`, `Z`).
    /// The error names the value that is wrong and the form it needs.
    pub fn parse(start: &str, end: &str, utc_offset: &str) -> Result<Self, String> {
        let time = |field: &str, v: &str| {
            NaiveTime::parse_from_str(v.trim(), "%H:%M")
                .map_err(|_| format!("`{field}` is `{v}`; write a 24-hour time like \"22:00\""))
        };
        Ok(Self {
            start: time("start", start)?,
            end: time("end", end)?,
            offset: parse_offset(utc_offset).ok_or_else(|| {
                format!("`utc_offset` is `{utc_offset}`; write it like \"+08:00\" or \"-05:00\"")
            })?,
        })
    }

    /// 22:00–08:00 at +08:00.
    pub fn default_window() -> Self {
        let (start, end, offset) = DEFAULT_QUIET_HOURS;
        Self::parse(start, end, offset).unwrap_or(Self {
            start: NaiveTime::MIN,
            end: NaiveTime::MIN,
            offset: Utc.fix(),
        })
    }

    /// The offset local times are in.
    pub fn offset(&self) -> FixedOffset {
        self.offset
    }

    /// When `at_ms` falls inside the window, the end of that window (unix ms); else `None`.
    pub fn ends_after(&self, at_ms: i64) -> Option<i64> {
        if self.start == self.end {
            return None;
        }
        let local = DateTime::from_timestamp_millis(at_ms)?.with_timezone(&self.offset);
        let now = local.time().with_nanosecond(0)?;
        let (inside, end_tomorrow) = if self.start < self.end {
            (now >= self.start && now < self.end, false)
        } else {
            // Wraps midnight: quiet from `start` to 24:00 and from 00:00 to `end`.
            (now >= self.start || now < self.end, now >= self.start)
        };
        if !inside {
            return None;
        }
        let mut day = local.date_naive();
        if end_tomorrow {
            day += Duration::days(1);
        }
        self.offset
            .from_local_datetime(&day.and_time(self.end))
            .single()
            .map(|t| t.timestamp_millis())
    }

    /// The first moment at or after `at_ms` outside the window.
    pub fn next_open(&self, at_ms: i64) -> i64 {
        self.ends_after(at_ms).unwrap_or(at_ms)
    }

    /// `at_ms` as RFC 3339 in the window's offset (`2026-11-25T08:00:00+08:00`).
    pub fn format(&self, at_ms: i64) -> String {
        DateTime::from_timestamp_millis(at_ms)
            .unwrap_or_default()
            .with_timezone(&self.offset)
            .to_rfc3339_opts(SecondsFormat::Secs, true)
    }
}

fn parse_offset(text: &str) -> Option<FixedOffset> {
    let t = text.trim();
    if t == "Z" || t == "z" {
        return FixedOffset::east_opt(0);
    }
    let (sign, rest) = match t.as_bytes().first()? {
        b'+' => (1, &t[1..]),
        b'-' => (-1, &t[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    if h > 14 || m > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Unix ms of a `+08:00` local time on 2026-11-24.
    fn cst(hh: u32, mm: u32) -> i64 {
        FixedOffset::east_opt(8 * 3600)
            .unwrap()
            .with_ymd_and_hms(2026, 11, 24, hh, mm, 0)
            .unwrap()
            .timestamp_millis()
    }

    #[test]
    fn a_window_across_midnight_ends_the_next_morning() {
        let q = QuietHours::default_window();
        assert_eq!(q.ends_after(cst(21, 59)), None);
        let end = q.ends_after(cst(22, 0)).unwrap();
        assert_eq!(q.format(end), "2026-11-25T08:00:00+08:00");
        assert_eq!(
            q.format(q.ends_after(cst(23, 30)).unwrap()),
            "2026-11-25T08:00:00+08:00"
        );
        assert_eq!(
            q.format(q.ends_after(cst(3, 0)).unwrap()),
            "2026-11-24T08:00:00+08:00"
        );
        assert_eq!(q.ends_after(cst(8, 0)), None);
        assert_eq!(q.next_open(cst(12, 0)), cst(12, 0));
    }

    #[test]
    fn a_daytime_window_and_other_offsets() {
        let q = QuietHours::parse("12:00", "13:30", "+08:00").unwrap();
        assert_eq!(q.ends_after(cst(11, 59)), None);
        assert_eq!(q.ends_after(cst(12, 15)), Some(cst(13, 30)));
        assert_eq!(q.ends_after(cst(13, 30)), None);
        // 22:00 in New York (-05:00) is 11:00 the next day in Beijing.
        let ny = QuietHours::parse("22:00", "08:00", "-05:00").unwrap();
        let at = cst(11, 0) + 86_400_000;
        assert_eq!(
            ny.format(ny.ends_after(at).unwrap()),
            "2026-11-25T08:00:00-05:00"
        );
        assert_eq!(ny.ends_after(cst(23, 0)), None);
        let none = QuietHours::parse("00:00", "00:00", "Z").unwrap();
        assert_eq!(none.ends_after(cst(3, 0)), None);
    }

    #[test]
    fn bad_values_are_named() {
        assert_eq!(
            QuietHours::parse("25:00", "08:00", "+08:00").unwrap_err(),
            "`start` is `25:00`; write a 24-hour time like \"22:00\""
        );
        assert!(
            QuietHours::parse("22:00", "08:00", "8")
                .unwrap_err()
                .starts_with("`utc_offset` is `8`")
        );
    }
}
