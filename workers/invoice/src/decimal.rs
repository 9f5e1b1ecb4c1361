//! Exact decimals for quantities, unit prices and rates, and the one rounding rule of a fapiao
//! (half up). Nothing here goes through floating point: a JSON number is read from its
//! shortest decimal text, so `0.13` is 13/100, not 0.130000000000000004.

use std::fmt::Write as _;

/// A non-negative decimal `units / 10^scale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decimal {
    /// The digits as an integer.
    pub units: i128,
    /// How many of them are decimals.
    pub scale: u32,
}

/// At most this many significant digits, so products of two decimals fit an `i128`.
const MAX_DIGITS: usize = 18;

impl Decimal {
    /// A whole number.
    pub fn whole(n: i128) -> Self {
        Self { units: n, scale: 0 }
    }

    /// Reads `"2"`, `"2.50"`, `"0.13"`: digits, at most one dot, at most `max_scale` decimals,
    /// no sign, no exponent, no thousands separators. The error says what is wrong.
    pub fn parse(text: &str, max_scale: u32) -> Result<Self, String> {
        let t = text.trim();
        let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
        if t.starts_with('-') {
            return Err("is negative".into());
        }
        if whole.is_empty()
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
            || (t.contains('.') && frac.is_empty())
        {
            return Err(format!(
                "`{t}` is not a decimal number like \"2\" or \"12.50\""
            ));
        }
        if frac.len() > max_scale as usize {
            return Err(format!(
                "`{t}` has {} decimals; at most {max_scale} are allowed",
                frac.len()
            ));
        }
        let digits = format!("{}{frac}", whole.trim_start_matches('0'));
        if digits.len() > MAX_DIGITS {
            return Err(format!("`{t}` has more than {MAX_DIGITS} digits"));
        }
        let units = if digits.is_empty() {
            0
        } else {
            digits.parse::<i128>().map_err(|e| format!("`{t}`: {e}"))?
        };
        Ok(Self {
            units,
            scale: frac.len() as u32,
        })
    }

    /// Whether this is zero.
    pub fn is_zero(&self) -> bool {
        self.units == 0
    }

    /// `10^scale`.
    pub fn denominator(&self) -> i128 {
        pow10(self.scale)
    }

    /// The value written with at least `min_scale` decimals and no trailing zeros beyond them
    /// (`2.50` with `min_scale` 0 → `"2.5"`, with 2 → `"2.50"`).
    pub fn display(&self, min_scale: u32) -> String {
        let (mut units, mut scale) = (self.units, self.scale);
        while scale > min_scale && units % 10 == 0 {
            units /= 10;
            scale -= 1;
        }
        let den = pow10(scale);
        let mut out = (units / den).to_string();
        if scale > 0 {
            let _ = write!(out, ".{:0width$}", units % den, width = scale as usize);
        }
        if scale < min_scale {
            if scale == 0 {
                out.push('.');
            }
            out.extend(std::iter::repeat_n('0', (min_scale - scale) as usize));
        }
        out
    }
}

/// `10^n` (n ≤ 36).
pub fn pow10(n: u32) -> i128 {
    10i128.pow(n)
}

/// `num / den` rounded half up, for `num ≥ 0` and `den > 0` (DOMAIN.md: round-half-up).
/// Written without `2 × num`, which could overflow for the largest products of two decimals.
pub fn div_round(num: i128, den: i128) -> i128 {
    num / den + i128::from(num % den >= den - num % den)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exactly_and_refuses_the_rest() {
        assert_eq!(
            Decimal::parse("2.50", 8),
            Ok(Decimal {
                units: 250,
                scale: 2
            })
        );
        assert_eq!(Decimal::parse(" 0013 ", 0), Ok(Decimal::whole(13)));
        assert_eq!(
            Decimal::parse("0.00", 2),
            Ok(Decimal { units: 0, scale: 2 })
        );
        for bad in ["", ".5", "5.", "1,000", "1e3", "+1", "1.2.3", "１２"] {
            assert!(Decimal::parse(bad, 8).is_err(), "{bad}");
        }
        assert_eq!(Decimal::parse("-1", 2).unwrap_err(), "is negative");
        assert_eq!(
            Decimal::parse("1.005", 2).unwrap_err(),
            "`1.005` has 3 decimals; at most 2 are allowed"
        );
        assert!(Decimal::parse("1234567890123456789", 0).is_err());
    }

    #[test]
    fn displays_with_a_minimum_of_decimals() {
        let d = |s| Decimal::parse(s, 8).unwrap();
        assert_eq!(d("2.50").display(0), "2.5");
        assert_eq!(d("2.50").display(2), "2.50");
        assert_eq!(d("2").display(2), "2.00");
        assert_eq!(d("2").display(0), "2");
        assert_eq!(d("0.12345678").display(2), "0.12345678");
        assert_eq!(d("10.10000").display(2), "10.10");
    }

    #[test]
    fn rounds_half_up() {
        assert_eq!(div_round(65, 10), 7);
        assert_eq!(div_round(64, 10), 6);
        assert_eq!(div_round(0, 3), 0);
        assert_eq!(div_round(5, 10), 1);
        assert_eq!(div_round(4, 10), 0);
        assert_eq!(div_round(1, 3), 0);
        assert_eq!(div_round(2, 3), 1);
        // The largest product of two 18-digit decimals, times 100 for fen.
        let big = (10i128.pow(18) - 1) * (10i128.pow(18) - 1) * 100;
        assert_eq!(div_round(big, 10), big / 10);
    }
}
