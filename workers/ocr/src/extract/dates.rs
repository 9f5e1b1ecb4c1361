//! Dates as documents print them, to ISO 8601: `2025年03月14日`, `2025-03-14`, `14.03.2025`,
//! `03/14/2025` or `14/03/2025` (by the document's convention), `14 March 2025`,
//! `March 14, 2025`, `14. März 2025`, `14 mars 2025`.

use std::ops::Range;
use std::sync::OnceLock;

use regex_lite::Regex;

/// Whether `a/b/yyyy` means day/month (Europe, China) or month/day (US).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// `14/03/2025`.
    DayFirst,
    /// `03/14/2025`.
    MonthFirst,
}

/// A date found in text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundDate {
    /// Byte range in the text.
    pub range: Range<usize>,
    /// `YYYY-MM-DD`.
    pub iso: String,
}

const MONTHS: [(&str, u32); 40] = [
    ("january", 1),
    ("february", 2),
    ("march", 3),
    ("april", 4),
    ("may", 5),
    ("june", 6),
    ("july", 7),
    ("august", 8),
    ("september", 9),
    ("october", 10),
    ("november", 11),
    ("december", 12),
    ("januar", 1),
    ("februar", 2),
    ("märz", 3),
    ("maerz", 3),
    ("juni", 6),
    ("juli", 7),
    ("oktober", 10),
    ("dezember", 12),
    ("janvier", 1),
    ("février", 2),
    ("fevrier", 2),
    ("mars", 3),
    ("avril", 4),
    ("mai", 5),
    ("juin", 6),
    ("juillet", 7),
    ("août", 8),
    ("aout", 8),
    ("septembre", 9),
    ("octobre", 10),
    ("novembre", 11),
    ("décembre", 12),
    ("decembre", 12),
    ("sept", 9),
    ("jan", 1),
    ("feb", 2),
    ("mar", 3),
    ("dec", 12),
];

fn month(name: &str) -> Option<u32> {
    let n = name.to_lowercase();
    let n = n.trim_end_matches('.');
    MONTHS
        .iter()
        .find(|(m, _)| *m == n)
        .map(|(_, v)| *v)
        .or_else(|| {
            // Three-letter abbreviations of the English months.
            (n.len() == 3)
                .then(|| {
                    MONTHS[..12]
                        .iter()
                        .find(|(m, _)| m.starts_with(n))
                        .map(|(_, v)| *v)
                })
                .flatten()
        })
}

fn iso(y: u32, m: u32, d: u32) -> Option<String> {
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400) => 29,
        2 => 28,
        _ => return None,
    };
    ((1900..=2100).contains(&y) && (1..=days).contains(&d)).then(|| format!("{y:04}-{m:02}-{d:02}"))
}

fn patterns() -> &'static [Regex; 4] {
    static RE: OnceLock<[Regex; 4]> = OnceLock::new();
    RE.get_or_init(|| {
        let re = |s: &str| Regex::new(s).expect("valid regex");
        [
            // 2025年03月14日, 2025-03-14, 2025/3/14, 2025.03.14
            re(r"(\d{4})\s*(?:年|[-/.])\s*(\d{1,2})\s*(?:月|[-/.])\s*(\d{1,2})\s*日?"),
            // 14.03.2025, 03/14/2025, 14-03-2025
            re(r"(\d{1,2})\s*[./-]\s*(\d{1,2})\s*[./-]\s*(\d{4})"),
            // 14 March 2025, 14. März 2025, 14 mars 2025
            re(r"(\d{1,2})\.?\s+([A-Za-zéûäÄ]{3,10})\.?,?\s+(\d{4})"),
            // March 14, 2025
            re(r"([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})"),
        ]
    })
}

/// All dates in `text`, left to right.
pub fn dates(text: &str, order: Order) -> Vec<FoundDate> {
    let [ymd, numeric, day_month, month_day] = patterns();
    let mut found = Vec::new();
    let num = |s: &str| s.parse::<u32>().ok();
    for c in ymd.captures_iter(text) {
        let (Some(all), Some(y), Some(m), Some(d)) = (c.get(0), c.get(1), c.get(2), c.get(3))
        else {
            continue;
        };
        if let (Some(y), Some(m), Some(d)) = (num(y.as_str()), num(m.as_str()), num(d.as_str()))
            && let Some(iso) = iso(y, m, d)
        {
            found.push(FoundDate {
                range: all.range(),
                iso,
            });
        }
    }
    for c in numeric.captures_iter(text) {
        let (Some(all), Some(a), Some(b), Some(y)) = (c.get(0), c.get(1), c.get(2), c.get(3))
        else {
            continue;
        };
        let (Some(a), Some(b), Some(y)) = (num(a.as_str()), num(b.as_str()), num(y.as_str()))
        else {
            continue;
        };
        let dotted = all.as_str().contains('.');
        let (d, m) = if a > 12 || dotted {
            (a, b)
        } else if b > 12 {
            (b, a)
        } else {
            match order {
                Order::DayFirst => (a, b),
                Order::MonthFirst => (b, a),
            }
        };
        if let Some(iso) = iso(y, m, d) {
            found.push(FoundDate {
                range: all.range(),
                iso,
            });
        }
    }
    for c in day_month.captures_iter(text) {
        let (Some(all), Some(d), Some(m), Some(y)) = (c.get(0), c.get(1), c.get(2), c.get(3))
        else {
            continue;
        };
        if let (Some(d), Some(m), Some(y)) = (num(d.as_str()), month(m.as_str()), num(y.as_str()))
            && let Some(iso) = iso(y, m, d)
        {
            found.push(FoundDate {
                range: all.range(),
                iso,
            });
        }
    }
    for c in month_day.captures_iter(text) {
        let (Some(all), Some(m), Some(d), Some(y)) = (c.get(0), c.get(1), c.get(2), c.get(3))
        else {
            continue;
        };
        if let (Some(m), Some(d), Some(y)) = (month(m.as_str()), num(d.as_str()), num(y.as_str()))
            && let Some(iso) = iso(y, m, d)
        {
            found.push(FoundDate {
                range: all.range(),
                iso,
            });
        }
    }
    found.sort_by_key(|d| d.range.start);
    // Overlapping readings of the same characters: the first (the most specific pattern) wins.
    let mut out: Vec<FoundDate> = Vec::new();
    for d in found {
        if out.last().is_none_or(|l| l.range.end <= d.range.start) {
            out.push(d);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str, order: Order) -> Option<String> {
        dates(text, order).into_iter().next().map(|d| d.iso)
    }

    #[test]
    fn formats() {
        let want = Some("2025-03-14".to_owned());
        assert_eq!(one("开票日期: 2025年03月14日", Order::DayFirst), want);
        assert_eq!(one("开票日期:2025 年 3 月 14 日", Order::DayFirst), want);
        assert_eq!(one("Date 2025-03-14", Order::MonthFirst), want);
        assert_eq!(one("Rechnungsdatum: 14.03.2025", Order::MonthFirst), want);
        assert_eq!(one("Invoice Date: 03/14/2025", Order::DayFirst), want);
        assert_eq!(one("Date : 14/03/2025", Order::DayFirst), want);
        assert_eq!(one("Date: 14 March 2025", Order::DayFirst), want);
        assert_eq!(one("den 14. März 2025", Order::DayFirst), want);
        assert_eq!(one("le 14 mars 2025", Order::DayFirst), want);
        assert_eq!(one("March 14, 2025", Order::DayFirst), want);
        assert_eq!(
            one("02/03/2025", Order::MonthFirst).as_deref(),
            Some("2025-02-03")
        );
        assert_eq!(
            one("02/03/2025", Order::DayFirst).as_deref(),
            Some("2025-03-02")
        );
        assert_eq!(one("2025-02-30", Order::DayFirst), None);
    }
}
