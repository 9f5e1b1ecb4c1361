//! Instants as the API shows them: RFC 3339 in UTC with milliseconds.

/// `ms` since the Unix epoch as RFC 3339 (`2026-11-24T10:00:00.000Z`).
pub fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_utc_millis() {
        assert_eq!(
            super::rfc3339(1_795_478_400_000),
            "2026-11-24T00:00:00.000Z"
        );
    }
}
