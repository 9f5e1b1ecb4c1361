//! Money as integer fen: platforms send yuan strings (`"104.90"`), yuan numbers or fen
//! integers; flows see decimal strings with two places. No floating point touches an amount
//! except to read a platform's yuan number, which is rounded to the nearest fen at once.

use serde_json::Value;

/// Reads a yuan amount given as a string (`"104.9"`, `"104.90"`, `"1,024.00"` is refused) or a
/// JSON number, as fen.
pub fn yuan_to_fen(v: &Value) -> Option<i64> {
    match v {
        Value::String(s) => parse_yuan(s),
        Value::Number(n) => n
            .as_i64()
            .map(|i| i.checked_mul(100))
            .unwrap_or_else(|| n.as_f64().map(|f| (f * 100.0).round() as i64)),
        _ => None,
    }
}

/// Parses `"104.90"`-style text (at most two decimals, optional sign) as fen.
pub fn parse_yuan(s: &str) -> Option<i64> {
    let s = s.trim();
    let (neg, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || frac.len() > 2 {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let frac: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().ok()? * 10,
        _ => frac.parse().ok()?,
    };
    let fen = whole.checked_mul(100)?.checked_add(frac)?;
    Some(if neg { -fen } else { fen })
}

/// Reads an amount in fen given as a number or a string of digits.
pub fn fen(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Formats fen as a decimal string with two places (`10490` → `"104.90"`).
pub fn format_fen(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn round_trips_and_refuses_what_is_not_money() {
        assert_eq!(parse_yuan("104.9"), Some(10490));
        assert_eq!(parse_yuan("104.90"), Some(10490));
        assert_eq!(parse_yuan("0.05"), Some(5));
        assert_eq!(parse_yuan("-3"), Some(-300));
        assert_eq!(parse_yuan("1.005"), None);
        assert_eq!(parse_yuan("1,024.00"), None);
        assert_eq!(parse_yuan(""), None);
        assert_eq!(yuan_to_fen(&json!(104.9)), Some(10490));
        assert_eq!(yuan_to_fen(&json!(12)), Some(1200));
        assert_eq!(format_fen(10490), "104.90");
        assert_eq!(format_fen(-5), "-0.05");
        assert_eq!(fen(&json!("1999")), Some(1999));
    }
}
