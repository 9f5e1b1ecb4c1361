//! Money and numbers as printed: `¥104.90`, `1,234.56`, `1.234,56`, `1 234,56 €`, read into
//! integer fen (cents) with the document's decimal separator.

use std::ops::Range;
use std::sync::OnceLock;

use regex_lite::Regex;

/// Which character separates the decimals on a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decimal {
    /// `1,234.56` (Chinese, English).
    Dot,
    /// `1.234,56` or `1 234,56` (German, French, most of Europe).
    Comma,
}

fn dot_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(?:^|[^\d.,])(-?\d{1,3}(?:,\d{3})+|-?\d+)\.(\d{2})(?:$|[^\d])")
            .expect("valid regex")
    })
}

fn comma_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(?:^|[^\d.,])(-?\d{1,3}(?:[. ]\d{3})+|-?\d+),(\d{2})(?:$|[^\d])")
            .expect("valid regex")
    })
}

/// An amount found in text: where it is and how many fen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Amount {
    /// Byte range of the figure (without currency marks).
    pub range: Range<usize>,
    /// The amount in fen.
    pub fen: i64,
}

/// All amounts with exactly two decimals in `text`, left to right.
pub fn amounts(text: &str, decimal: Decimal) -> Vec<Amount> {
    let re = match decimal {
        Decimal::Dot => dot_re(),
        Decimal::Comma => comma_re(),
    };
    let mut out = Vec::new();
    let mut at = 0;
    while at < text.len() {
        let Some(c) = re.captures_at(text, at) else {
            break;
        };
        let (Some(whole), Some(frac)) = (c.get(1), c.get(2)) else {
            break;
        };
        let digits: String = whole
            .as_str()
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == '-')
            .collect();
        if let (Ok(w), Ok(f)) = (digits.parse::<i64>(), frac.as_str().parse::<i64>()) {
            let fen = if w < 0 || digits.starts_with('-') {
                w * 100 - f
            } else {
                w * 100 + f
            };
            out.push(Amount {
                range: whole.start()..frac.end(),
                fen,
            });
        }
        // The closing context character may start the next amount.
        at = frac.end();
    }
    out
}

/// Which separator a document uses, from its text: the one that more figures end with.
pub fn detect_decimal(text: &str) -> Decimal {
    let dot = amounts(text, Decimal::Dot).len();
    let comma = amounts(text, Decimal::Comma).len();
    if comma > dot {
        Decimal::Comma
    } else {
        Decimal::Dot
    }
}

/// A plain number (a quantity): `2`, `1.5`, `1,5` with `decimal`.
pub fn quantity(token: &str, decimal: Decimal) -> Option<String> {
    let t = token.trim();
    let t = match decimal {
        Decimal::Dot => t.to_owned(),
        Decimal::Comma => t.replace(',', "."),
    };
    let ok = !t.is_empty()
        && t.chars().all(|c| c.is_ascii_digit() || c == '.')
        && t.chars().next().is_some_and(|c| c.is_ascii_digit())
        && t.matches('.').count() <= 1
        && !t.ends_with('.');
    ok.then_some(t)
}

/// A unit price, which fapiao print with up to 13 decimals (`46.41592920`), as fen when it is
/// a whole number of fen.
pub fn price(token: &str, decimal: Decimal) -> Option<String> {
    let q = quantity(token, decimal)?;
    let (whole, frac) = q.split_once('.').unwrap_or((&q, ""));
    let frac = frac.trim_end_matches('0');
    if frac.len() > 2 {
        return Some(format!("{whole}.{frac}"));
    }
    Some(format!("{whole}.{frac:0<2}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures() {
        let a = amounts("Total $1,234.56 USD and ¥92.84", Decimal::Dot);
        assert_eq!(a.iter().map(|a| a.fen).collect::<Vec<_>>(), [123_456, 9284]);
        let a = amounts("Gesamtbetrag 1.480,91 EUR", Decimal::Comma);
        assert_eq!(a[0].fen, 148_091);
        let a = amounts("Total TTC 1 510,20 €", Decimal::Comma);
        assert_eq!(a[0].fen, 151_020);
        let a = amounts("13% 12.07 1.234,56", Decimal::Dot);
        assert_eq!(a.iter().map(|a| a.fen).collect::<Vec<_>>(), [1207]);
        assert_eq!(amounts("version 2.0.13", Decimal::Dot), vec![]);
        assert_eq!(detect_decimal("1.234,56 und 9,90"), Decimal::Comma);
        assert_eq!(price("46.4200", Decimal::Dot).as_deref(), Some("46.42"));
        assert_eq!(
            price("46.41592920", Decimal::Dot).as_deref(),
            Some("46.4159292")
        );
        assert_eq!(quantity("1,5", Decimal::Comma).as_deref(), Some("1.5"));
        assert_eq!(quantity("x2", Decimal::Dot), None);
    }
}
