//! Whether a reading can be used without a person: the layout's required fields are there and
//! confident, and the figures agree in integer fen — the lines add up to the amount, amount
//! plus tax is the total, and each line's tax is its amount times its rate rounded half up,
//! within DOMAIN.md's tolerances (6 fen per line, 1.27 yuan per invoice).

use shopflow_connectors::money::{format_fen, parse_yuan};

use super::{Extracted, LOW_CONFIDENCE};
use crate::result::{Layout, Reason};

/// Tolerance of one line's tax against round-half-up(amount × rate), fen.
pub const LINE_TAX_TOLERANCE: i64 = 6;
/// Tolerance of an invoice's tax against the sum of its lines' exact taxes, fen.
pub const INVOICE_TAX_TOLERANCE: i64 = 127;

fn required(layout: Layout) -> &'static [&'static str] {
    match layout {
        Layout::Fapiao => &[
            "invoice_number",
            "issue_date",
            "buyer_name",
            "seller_name",
            "seller_tax_id",
            "amount",
            "tax",
            "total",
        ],
        Layout::WesternInvoice => &[
            "invoice_number",
            "issue_date",
            "seller_name",
            "total",
            "currency",
        ],
        Layout::OrderScreenshot => &["order_number", "issue_date", "total"],
        Layout::Unknown => &[],
    }
}

pub(crate) fn check(layout: Layout, out: &mut Extracted) {
    for name in required(layout) {
        if !out.fields.contains_key(*name) {
            out.reasons.push(Reason::field(
                "missing_field",
                name,
                format!("no `{name}` was found"),
            ));
        }
    }
    let corroborated = corroborated_money(out);
    for (name, field) in &out.fields {
        let flagged = out.reasons.iter().any(|r| r.field.as_deref() == Some(name));
        if field.confidence < LOW_CONFIDENCE && !flagged && !corroborated.contains(&name.as_str()) {
            out.reasons.push(Reason::field(
                "low_confidence",
                name,
                format!(
                    "`{}` was read with confidence {:.2}",
                    field.value, field.confidence
                ),
            ));
        }
    }
    let (amount, tax, total) = (fen(out, "amount"), fen(out, "tax"), fen(out, "total"));
    let mut reasons = Vec::new();

    if let (Some(sum), Some(amount)) = (line_amount_sum(out), amount)
        && sum != amount
    {
        reasons.push(Reason::field(
            "lines_sum_mismatch",
            "amount",
            format!(
                "the line amounts add up to {}, the amount reads {}",
                format_fen(sum),
                format_fen(amount)
            ),
        ));
    }
    if let (Some(amount), Some(tax), Some(total)) = (amount, tax, total)
        && amount + tax != total
    {
        reasons.push(Reason::field(
            "total_mismatch",
            "total",
            format!(
                "amount {} + tax {} = {}, the total reads {}",
                format_fen(amount),
                format_fen(tax),
                format_fen(amount + tax),
                format_fen(total)
            ),
        ));
    }

    if layout == Layout::Fapiao {
        let mut exact_sum_milli = 0i64;
        let mut line_tax_sum = 0i64;
        let mut all_lines = !out.line_items.is_empty();
        for (i, line) in out.line_items.iter().enumerate() {
            let a = line.amount.as_deref().and_then(parse_yuan);
            let t = line.tax.as_deref().and_then(parse_yuan);
            let r = line.tax_rate.as_deref().and_then(rate_percent);
            let (Some(a), Some(t), Some(r)) = (a, t, r) else {
                all_lines = false;
                continue;
            };
            let expected = (a * r + 50).div_euclid(100);
            if (t - expected).abs() > LINE_TAX_TOLERANCE {
                reasons.push(Reason::field(
                    "line_tax_mismatch",
                    "line_items",
                    format!(
                        "line {}: tax {} is not {} × {r}% = {} (± {LINE_TAX_TOLERANCE} fen)",
                        i + 1,
                        format_fen(t),
                        format_fen(a),
                        format_fen(expected)
                    ),
                ));
            }
            exact_sum_milli += a * r * 10;
            line_tax_sum += t;
        }
        if all_lines && let Some(tax) = tax {
            if line_tax_sum != tax {
                reasons.push(Reason::field(
                    "line_taxes_sum_mismatch",
                    "tax",
                    format!(
                        "the line taxes add up to {}, the tax reads {}",
                        format_fen(line_tax_sum),
                        format_fen(tax)
                    ),
                ));
            }
            // Exact tax in thousandths of a fen against the printed tax.
            if (tax * 1000 - exact_sum_milli).abs() > INVOICE_TAX_TOLERANCE * 1000 {
                reasons.push(Reason::field(
                    "tax_rounding_exceeded",
                    "tax",
                    format!(
                        "the tax {} differs from amount × rate by more than {} (the invoice must be split)",
                        format_fen(tax),
                        format_fen(INVOICE_TAX_TOLERANCE)
                    ),
                ));
            }
        }
    }
    out.reasons.extend(reasons);
}

/// The money fields whose readings the arithmetic confirms, so a low OCR confidence on them
/// (Tesseract often doubts a glyph like `¥` next to correctly read figures) is no reason for a
/// person to look: amount + tax = total exactly in fen, and, when line items were read, their
/// amounts add up to the amount. Three independently misread figures that still satisfy both
/// equations are not a practical risk; any disagreement leaves every field to its confidence.
fn corroborated_money(out: &Extracted) -> Vec<&'static str> {
    let (Some(amount), Some(tax), Some(total)) =
        (fen(out, "amount"), fen(out, "tax"), fen(out, "total"))
    else {
        return Vec::new();
    };
    if amount + tax != total || (!out.line_items.is_empty() && line_amount_sum(out) != Some(amount))
    {
        return Vec::new();
    }
    vec!["amount", "tax", "total"]
}

/// A money field in fen.
fn fen(out: &Extracted, name: &str) -> Option<i64> {
    out.fields.get(name).and_then(|f| parse_yuan(&f.value))
}

/// The sum of the line items' amounts in fen; `None` without lines or with an unreadable one.
fn line_amount_sum(out: &Extracted) -> Option<i64> {
    if out.line_items.is_empty() {
        return None;
    }
    out.line_items
        .iter()
        .map(|l| l.amount.as_deref().and_then(parse_yuan))
        .sum()
}

/// `13%` → 13.
fn rate_percent(rate: &str) -> Option<i64> {
    rate.trim().trim_end_matches('%').trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::{Field, LineItem};

    fn field(v: &str) -> Field {
        Field {
            value: v.into(),
            confidence: 0.95,
            bbox: None,
        }
    }

    fn line(amount: &str, rate: &str, tax: &str) -> LineItem {
        LineItem {
            name: "x".into(),
            quantity: None,
            unit_price: None,
            amount: Some(amount.into()),
            tax_rate: Some(rate.into()),
            tax: Some(tax.into()),
            confidence: 0.9,
            bbox: None,
        }
    }

    fn codes(e: &Extracted) -> Vec<&str> {
        e.reasons.iter().map(|r| r.code.as_str()).collect()
    }

    #[test]
    fn consistent_fapiao_passes_and_tampering_is_caught() {
        let mut e = Extracted::default();
        for (k, v) in [
            ("invoice_number", "25312000000012345678"),
            ("issue_date", "2025-03-14"),
            ("buyer_name", "甲"),
            ("seller_name", "乙"),
            ("seller_tax_id", "91350100M000100Y43"),
            ("amount", "92.84"),
            ("tax", "12.07"),
            ("total", "104.91"),
        ] {
            e.fields.insert(k.into(), field(v));
        }
        e.line_items.push(line("92.84", "13%", "12.07"));
        check(Layout::Fapiao, &mut e);
        assert!(e.reasons.is_empty(), "{:?}", e.reasons);

        e.fields.insert("total".into(), field("114.91"));
        e.line_items[0].tax = Some("12.17".into());
        check(Layout::Fapiao, &mut e);
        assert_eq!(
            codes(&e),
            [
                "total_mismatch",
                "line_tax_mismatch",
                "line_taxes_sum_mismatch"
            ]
        );
    }

    #[test]
    fn money_confirmed_by_the_arithmetic_is_not_sent_for_review() {
        let unsure = |v: &str| Field {
            confidence: 0.2,
            ..field(v)
        };
        let mut e = Extracted::default();
        for (k, v) in [("amount", "92.84"), ("tax", "12.07"), ("total", "104.91")] {
            e.fields.insert(k.into(), unsure(v));
        }
        e.fields
            .insert("invoice_number".into(), unsure("25312000000012345678"));
        e.line_items.push(line("92.84", "13%", "12.07"));
        check(Layout::Unknown, &mut e);
        let flagged: Vec<_> = e
            .reasons
            .iter()
            .filter_map(|r| r.field.as_deref())
            .collect();
        assert_eq!(flagged, ["invoice_number"], "{:?}", e.reasons);

        // Lines that do not add up: every unsure figure goes to a person again.
        let mut e2 = Extracted::default();
        for (k, v) in [("amount", "92.84"), ("tax", "12.07"), ("total", "104.91")] {
            e2.fields.insert(k.into(), unsure(v));
        }
        e2.line_items.push(line("90.00", "13%", "11.70"));
        check(Layout::Unknown, &mut e2);
        let low = e2
            .reasons
            .iter()
            .filter(|r| r.code == "low_confidence")
            .count();
        assert_eq!(low, 3, "{:?}", e2.reasons);
    }

    #[test]
    fn missing_and_unsure_fields() {
        let mut e = Extracted::default();
        e.fields.insert(
            "order_number".into(),
            Field {
                confidence: 0.3,
                ..field("123")
            },
        );
        check(Layout::OrderScreenshot, &mut e);
        assert_eq!(
            codes(&e),
            ["missing_field", "missing_field", "low_confidence"]
        );
    }
}
