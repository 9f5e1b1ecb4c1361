//! Tax rates on a fapiao (DOMAIN.md): the VAT rates 13 %, 9 %, 6 % and 0 %, the collection
//! rates 5 % and 3 % and the reduced 1 % of small-scale taxpayers; a line's tax, and the split
//! of a tax-inclusive amount, both rounded half up to the fen.

use serde_json::Value;

use crate::decimal::{Decimal, div_round};

/// A rate in hundredths of a percent (13 % = 1300), so `1.5%` is representable and refused
/// for what it is, not for its form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TaxRate {
    basis: i64,
}

/// The rates a fapiao may carry, highest first.
pub const ALLOWED: [TaxRate; 7] = [
    TaxRate { basis: 1300 },
    TaxRate { basis: 900 },
    TaxRate { basis: 600 },
    TaxRate { basis: 500 },
    TaxRate { basis: 300 },
    TaxRate { basis: 100 },
    TaxRate { basis: 0 },
];

/// 100 % in hundredths of a percent.
const WHOLE: i64 = 10_000;

impl TaxRate {
    /// Reads `"13%"` (a percentage, at most two decimals) or `"0.13"` / `0.13` (a fraction, at
    /// most four decimals). A whole JSON number other than 0 is refused: `13` could mean 13 %
    /// or 1300 %.
    pub fn from_json(v: &Value) -> Result<Self, String> {
        match v {
            Value::String(s) => Self::parse(s),
            Value::Number(n) if n.is_i64() || n.is_u64() => {
                if n.as_i64() == Some(0) {
                    Ok(Self { basis: 0 })
                } else {
                    Err(format!(
                        "is the number {n}; write the rate as a percentage string (\"13%\") or a fraction (0.13)"
                    ))
                }
            }
            Value::Number(n) => Self::parse(&n.to_string()),
            other => Err(format!(
                "must be a rate like \"13%\" or 0.13, got {}",
                crate::args::describe(other)
            )),
        }
    }

    /// Reads `"13%"`, `"13 %"` or `"0.13"`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        let basis = match t.strip_suffix('%').or_else(|| t.strip_suffix('％')) {
            Some(percent) => {
                let d = Decimal::parse(percent, 2).map_err(|e| format!("{e} (in `{t}`)"))?;
                d.units * 100 / d.denominator()
            }
            None => {
                let d = Decimal::parse(t, 4).map_err(|e| {
                    format!("{e}; write the rate as \"13%\" or as a fraction like \"0.13\"")
                })?;
                d.units * 10_000 / d.denominator()
            }
        };
        let basis = i64::try_from(basis).unwrap_or(i64::MAX);
        if basis >= WHOLE {
            return Err(format!(
                "`{t}` is 100 % or more; write the rate as \"13%\" or as a fraction like \"0.13\""
            ));
        }
        Ok(Self { basis })
    }

    /// The rate in hundredths of a percent (13 % → 1300).
    pub fn basis(&self) -> i64 {
        self.basis
    }

    /// Whether a fapiao may carry this rate.
    pub fn is_allowed(&self) -> bool {
        ALLOWED.contains(self)
    }

    /// As printed: `13%`, `1.5%`.
    pub fn display(&self) -> String {
        Decimal {
            units: i128::from(self.basis),
            scale: 2,
        }
        .display(0)
            + "%"
    }

    /// The tax on `amount_fen` before tax: `round-half-up(amount × rate)`.
    pub fn tax_on(&self, amount_fen: i64) -> i64 {
        let exact = i128::from(amount_fen) * i128::from(self.basis);
        narrow(div_round(exact, i128::from(WHOLE)))
    }

    /// The amount before tax inside `gross_fen`: `round-half-up(gross / (1 + rate))`; the tax
    /// is the rest.
    pub fn net_of(&self, gross_fen: i64) -> i64 {
        let exact = i128::from(gross_fen) * i128::from(WHOLE);
        narrow(div_round(exact, i128::from(WHOLE + self.basis)))
    }

    /// `|tax − amount × rate|` exactly, in ten-thousandths of a fen.
    pub fn deviation(&self, amount_fen: i64, tax_fen: i64) -> i128 {
        (i128::from(tax_fen) * i128::from(WHOLE) - i128::from(amount_fen) * i128::from(self.basis))
            .abs()
    }
}

/// Money that started as an `i64` and was multiplied then divided back stays in range.
fn narrow(v: i128) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn reads_percentages_and_fractions() {
        let r = |v: Value| TaxRate::from_json(&v).map(|r| r.display());
        assert_eq!(r(json!("13%")), Ok("13%".into()));
        assert_eq!(r(json!("13 %")), Ok("13%".into()));
        assert_eq!(r(json!("0.13")), Ok("13%".into()));
        assert_eq!(r(json!(0.09)), Ok("9%".into()));
        assert_eq!(r(json!(0)), Ok("0%".into()));
        assert_eq!(r(json!("1.5%")), Ok("1.5%".into()));
        assert!(r(json!(13)).unwrap_err().contains("\"13%\""));
        assert!(r(json!("13")).unwrap_err().contains("100 % or more"));
        assert!(r(json!("abc")).is_err());
        assert!(r(json!(true)).is_err());
        assert!(TaxRate::parse("9%").unwrap().is_allowed());
        assert!(!TaxRate::parse("10%").unwrap().is_allowed());
        assert!(!TaxRate::parse("1.5%").unwrap().is_allowed());
    }

    #[test]
    fn taxes_round_half_up_and_splits_add_up() {
        let r13 = TaxRate::parse("13%").unwrap();
        let r9 = TaxRate::parse("9%").unwrap();
        // 0.50 × 13 % = 0.065 → 0.07; 1.50 × 9 % = 0.135 → 0.14; 2.50 × 13 % = 0.325 → 0.33
        // (0.325 is 0.32499… as an f64 and would round down).
        assert_eq!(r13.tax_on(50), 7);
        assert_eq!(r9.tax_on(150), 14);
        assert_eq!(r13.tax_on(250), 33);
        assert_eq!(r13.tax_on(9283), 1207);
        // 104.90 with 13 % inside: 92.83 before tax, 12.07 tax.
        assert_eq!(r13.net_of(10490), 9283);
        assert_eq!(TaxRate::parse("0%").unwrap().net_of(10490), 10490);
        // 12.07 − 92.83 × 13 % = 12.07 − 12.0679 = 0.0021 yuan = 0.21 fen.
        assert_eq!(r13.deviation(9283, 1207), 2100);
    }
}
