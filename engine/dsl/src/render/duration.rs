//! Durations written for people ("1 day 2 hours") and for diagrams (ISO 8601, `P1DT2H`).

use std::time::Duration;

const UNITS: [(u128, &str); 5] = [
    (86_400_000, "day"),
    (3_600_000, "hour"),
    (60_000, "minute"),
    (1_000, "second"),
    (1, "millisecond"),
];

/// `1 day 2 hours`, `30 seconds`, `1 minute 500 milliseconds`; sub-millisecond parts are dropped.
pub(crate) fn human(d: Duration) -> String {
    let mut rest = d.as_millis();
    if rest == 0 {
        return "0 seconds".to_owned();
    }
    let mut parts = Vec::new();
    for (size, unit) in UNITS {
        let n = rest / size;
        rest %= size;
        if n > 0 {
            parts.push(format!("{n} {unit}{}", if n == 1 { "" } else { "s" }));
        }
    }
    parts.join(" ")
}

/// ISO 8601 duration as the DSL writes it: `PT30S`, `P1DT2H`, `PT0.5S`.
pub(crate) fn iso8601(d: Duration) -> String {
    let millis = d.as_millis();
    let (days, rest) = (millis / 86_400_000, millis % 86_400_000);
    let (hours, rest) = (rest / 3_600_000, rest % 3_600_000);
    let (minutes, rest) = (rest / 60_000, rest % 60_000);
    let (seconds, ms) = (rest / 1_000, rest % 1_000);
    let mut out = String::from("P");
    if days > 0 {
        out.push_str(&format!("{days}D"));
    }
    if hours + minutes + seconds + ms > 0 || days == 0 {
        out.push('T');
    }
    if hours > 0 {
        out.push_str(&format!("{hours}H"));
    }
    if minutes > 0 {
        out.push_str(&format!("{minutes}M"));
    }
    if ms > 0 {
        let fraction = format!("{ms:03}");
        out.push_str(&format!("{seconds}.{}S", fraction.trim_end_matches('0')));
    } else if seconds > 0 || millis == 0 {
        out.push_str(&format!("{seconds}S"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_names_each_unit_once_largest_first() {
        assert_eq!(human(Duration::from_secs(300)), "5 minutes");
        assert_eq!(human(Duration::from_secs(93_600)), "1 day 2 hours");
        assert_eq!(human(Duration::from_secs(1)), "1 second");
        assert_eq!(
            human(Duration::from_millis(61_500)),
            "1 minute 1 second 500 milliseconds"
        );
        assert_eq!(human(Duration::ZERO), "0 seconds");
    }

    #[test]
    fn iso8601_matches_how_flows_write_durations() {
        assert_eq!(iso8601(Duration::from_secs(30)), "PT30S");
        assert_eq!(iso8601(Duration::from_secs(300)), "PT5M");
        assert_eq!(iso8601(Duration::from_secs(93_600)), "P1DT2H");
        assert_eq!(iso8601(Duration::from_secs(86_400)), "P1D");
        assert_eq!(iso8601(Duration::from_millis(500)), "PT0.5S");
        assert_eq!(iso8601(Duration::from_millis(3_250)), "PT3.25S");
        assert_eq!(iso8601(Duration::ZERO), "PT0S");
    }
}
