//! An invoice in an English or European layout: Invoice No. / Rechnungsnummer / Facture N°,
//! the date, seller and buyer, the VAT id, items, Subtotal/Net, VAT/Tax and Total, with the
//! document's decimal separator and date order.

use std::ops::Range;
use std::sync::OnceLock;

use regex_lite::Regex;
use shopflow_connectors::money::format_fen;

use super::dates::{Order, dates};
use super::money::{Decimal, amounts, price, quantity};
use super::tax_ids::plausible_foreign;
use super::{Doc, Extracted};
use crate::layout::round3;
use crate::result::{Field, LineItem, Reason};

struct Patterns {
    number: Regex,
    date_label: Regex,
    tax_id: Regex,
    buyer_label: Regex,
    legal_form: Regex,
    title: Regex,
    item_header: Regex,
    subtotal: Regex,
    tax: Regex,
    total: Regex,
    not_money_row: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        let re = |s: &str| Regex::new(s).expect("valid regex");
        Patterns {
            number: re(
                r"(?i)(?:invoice\s*(?:no\.?|number|num\.?|#)|rechnungs?\s*-?\s*(?:nr\.?|nummer)|facture\s*n\s*[°o0]?\.?|n\s*[°o]\s*de\s*facture|factura\s*n[°o]?\.?)\s*[:#]?\s*([A-Z0-9][A-Z0-9\-/.]*[A-Z0-9])",
            ),
            date_label: re(
                r"(?i)(?:invoice\s*date|date\s*of\s*issue|issue\s*date|rechnungsdatum|datum|date\s*de\s*facture|date)\b",
            ),
            tax_id: re(
                r"(?i:vat\s*(?:reg(?:istration)?\.?\s*)?(?:no\.?|number|id)|ust\s*-?\s*id\s*(?:nr)?\.?|n\s*[°o]\s*tva(?:\s*intracom\w*)?|tva\s*intracom\w*|tax\s*id|\bein\b|steuer\s*-?\s*nr\.?)\s*:?\s*([A-Z]{2}[A-Z0-9 ]{7,16}[0-9A-Z]|\d{2}-\d{7})",
            ),
            buyer_label: re(
                r"(?i)^\s*(?:bill(?:ed)?\s*to|invoice\s*to|sold\s*to|customer|client|rechnungsempf\S*|kunde|destinataire)\s*(?::\s*(.*))?$",
            ),
            legal_form: re(
                r"(?i)\b(?:gmbh|ag|ug|kg|ltd|limited|llc|inc|corp|co|plc|sarl|sas|sa|srl|spa|bv|nv|ab|oy)\b\.?",
            ),
            title: re(r"(?i)^\s*(?:invoice|tax invoice|rechnung|facture|factura|fattura)\s*$"),
            item_header: re(
                r"(?i)\b(?:description|item|bezeichnung|artikel|leistung|d.signation|produit|article)\b",
            ),
            subtotal: re(
                r"(?i)(?:sub\s*-?\s*total|net\s*total|net\s*amount|total\s*net|nettobetrag|netto|zwischensumme|summe\s*netto|total\s*ht|montant\s*ht)",
            ),
            tax: re(
                r"(?i)(?:\bvat\b|sales\s*tax|\btax\b|mw\s*s?\s*st|\bust\b|umsatzsteuer|\btva\b|zzgl)",
            ),
            total: re(
                r"(?i)(?:grand\s*total|total\s*due|amount\s*due|balance\s*due|gesamtbetrag|rechnungsbetrag|endbetrag|total\s*ttc|net\s*[àa]\s*payer|\btotal\b)",
            ),
            not_money_row: re(r"(?i)(?:reg|id\s*nr|idnr|n\s*[°o]\s*tva|intracom|tax\s*id)"),
        }
    })
}

pub(crate) fn extract(doc: &Doc<'_>) -> Extracted {
    let p = patterns();
    let mut out = Extracted::default();
    let all_text: String = doc
        .rows
        .iter()
        .map(|r| r.text.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let currency = currency(&all_text);
    let order =
        if doc.decimal == Decimal::Comma || matches!(currency.as_deref(), Some("EUR" | "GBP")) {
            Order::DayFirst
        } else {
            Order::MonthFirst
        };

    if let Some((row, range)) = doc.captures(&p.number).into_iter().next() {
        let value = doc.rows[row].text[range.clone()].to_owned();
        out.fields
            .insert("invoice_number".into(), doc.field(row, &range, value, 1.0));
    }

    // The date after a date label, else the first date of the document.
    let labelled = doc.rows.iter().enumerate().find_map(|(row, r)| {
        let m = p.date_label.find(&r.text)?;
        let found = dates(&r.text[m.end()..], order).into_iter().next()?;
        Some((
            row,
            found.range.start + m.end()..found.range.end + m.end(),
            found.iso,
        ))
    });
    let date = labelled.or_else(|| {
        doc.rows.iter().enumerate().find_map(|(row, r)| {
            dates(&r.text, order)
                .into_iter()
                .next()
                .map(|d| (row, d.range, d.iso))
        })
    });
    if let Some((row, range, iso)) = date {
        out.fields
            .insert("issue_date".into(), doc.field(row, &range, iso, 1.0));
    }

    if let Some((row, range)) = doc.captures(&p.tax_id).into_iter().next() {
        let value: String = doc.rows[row].text[range.clone()]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_uppercase();
        let mut field = doc.field(row, &range, value.clone(), 1.0);
        if !plausible_foreign(&value) {
            field.confidence = field.confidence.min(0.4);
            out.reasons.push(Reason::field(
                "tax_id_format",
                "seller_tax_id",
                format!("`{value}` does not have the shape of a VAT id of its country"),
            ));
        }
        out.fields.insert("seller_tax_id".into(), field);
    }

    parties(doc, &mut out);

    if let Some(code) = currency {
        // The currency's box is the total's, once known.
        out.fields.insert(
            "currency".into(),
            Field {
                value: code,
                confidence: 0.95,
                bbox: None,
            },
        );
    }

    // Summary rows: the last figure of a row with the label.
    let labelled_amount = |re: &Regex, exclude: Option<&Regex>| {
        doc.rows.iter().enumerate().rev().find_map(|(row, r)| {
            let m = re.find(&r.text)?;
            if exclude.is_some_and(|x| x.is_match(&r.text)) || p.not_money_row.is_match(&r.text) {
                return None;
            }
            let a = amounts(&r.text[m.end()..], doc.decimal)
                .into_iter()
                .last()?;
            Some((row, a.range.start + m.end()..a.range.end + m.end(), a.fen))
        })
    };
    let subtotal = labelled_amount(&p.subtotal, None);
    let tax = labelled_amount(&p.tax, Some(&p.subtotal))
        .filter(|t| Some(t.0) != subtotal.as_ref().map(|s| s.0));
    let total = labelled_amount(&p.total, Some(&p.subtotal))
        .filter(|t| Some(t.0) != tax.as_ref().map(|s| s.0));
    for (name, found) in [("amount", subtotal), ("tax", tax), ("total", total)] {
        if let Some((row, range, fen)) = found {
            out.fields
                .insert(name.into(), doc.field(row, &range, format_fen(fen), 1.0));
        }
    }
    let total_box = out.fields.get("total").and_then(|f| f.bbox);
    if let Some(c) = out.fields.get_mut("currency") {
        c.bbox = total_box;
    }

    // Items: between the header row and the first summary row.
    let header = doc
        .rows
        .iter()
        .position(|r| p.item_header.is_match(&r.text));
    let end = doc
        .rows
        .iter()
        .enumerate()
        .skip(header.map_or(0, |h| h + 1))
        .find(|(_, r)| p.subtotal.is_match(&r.text) || p.total.is_match(&r.text))
        .map(|(i, _)| i);
    if let (Some(h), Some(e)) = (header, end) {
        out.line_items = items(doc, h + 1..e);
    }
    out
}

/// The ISO code of the currency the document uses most.
fn currency(text: &str) -> Option<String> {
    let upper = text.to_uppercase();
    let marks: [(&str, &[&str]); 5] = [
        ("EUR", &["EUR", "€"]),
        ("GBP", &["GBP", "£"]),
        ("USD", &["USD", "US$", "$"]),
        ("CNY", &["CNY", "RMB", "¥", "元"]),
        ("CHF", &["CHF"]),
    ];
    marks
        .iter()
        .map(|(code, signs)| {
            (
                code,
                signs
                    .iter()
                    .map(|s| upper.matches(s).count())
                    .sum::<usize>(),
            )
        })
        .filter(|(_, n)| *n > 0)
        .max_by_key(|(_, n)| *n)
        .map(|(code, _)| (*code).to_owned())
}

/// Seller: the first company-looking row above the buyer block (issuers print themselves
/// first); buyer: the row after (or the rest of the row of) "Bill To", "Rechnungsempfänger",
/// "Client".
fn parties(doc: &Doc<'_>, out: &mut Extracted) {
    let p = patterns();
    let buyer_at = doc.rows.iter().enumerate().find_map(|(row, r)| {
        let segment = r.text.split('\t').next().unwrap_or_default();
        let c = p.buyer_label.captures(segment)?;
        let rest = c.get(1).filter(|m| m.as_str().trim().len() > 2);
        if let Some(rest) = rest {
            Some((row, row, rest.range()))
        } else {
            let next = row + 1;
            let text = doc.rows.get(next)?.text.split('\t').next()?;
            Some((row, next, 0..text.len()))
        }
    });
    if let Some((_, row, range)) = &buyer_at {
        let value = doc.rows[*row].text[range.clone()].trim().to_owned();
        out.fields
            .insert("buyer_name".into(), doc.field(*row, range, value, 1.0));
    }
    let limit = buyer_at.as_ref().map_or(doc.rows.len(), |b| b.0);
    let company = |row: usize| -> Option<Range<usize>> {
        let text = &doc.rows[row].text;
        let segment_end = text.find('\t').unwrap_or(text.len());
        let segment = &text[..segment_end];
        (p.legal_form.is_match(segment) && !p.title.is_match(segment)).then_some(0..segment_end)
    };
    let seller = (0..limit)
        .find_map(|row| company(row).map(|r| (row, r)))
        .or_else(|| {
            // No legal form: the first row under the title that is not a label.
            (0..limit).find_map(|row| {
                let text = &doc.rows[row].text;
                let segment = text.split('\t').next().unwrap_or_default();
                (segment.len() > 3
                    && !p.title.is_match(segment)
                    && !segment.contains(':')
                    && segment.chars().any(char::is_alphabetic))
                .then_some((row, 0..segment.len()))
            })
        });
    if let Some((row, range)) = seller {
        let value = doc.rows[row].text[range.clone()].trim().to_owned();
        out.fields
            .insert("seller_name".into(), doc.field(row, &range, value, 1.0));
    }
}

/// Item rows read right to left: amount, unit price, quantity, then the description.
fn items(doc: &Doc<'_>, rows: Range<usize>) -> Vec<LineItem> {
    let mut out = Vec::new();
    for i in rows {
        let row = &doc.rows[i];
        let found = amounts(&row.text, doc.decimal);
        if found.len() < 2 {
            continue;
        }
        let amount = &found[found.len() - 1];
        let unit = &found[found.len() - 2];
        let before = row.text[..unit.range.start].trim_end();
        let before = before.trim_end_matches(['$', '£', '€']).trim_end();
        let (name, qty) = match before.rsplit_once([' ', '\t']) {
            Some((name, q)) => match quantity(q, doc.decimal) {
                Some(q) => (name.trim(), Some(q)),
                None => (before, None),
            },
            None => (before, None),
        };
        let name = name.replace('\t', " ").trim().to_owned();
        out.push(LineItem {
            name,
            quantity: qty,
            unit_price: price(&format_fen(unit.fen), Decimal::Dot),
            amount: Some(format_fen(amount.fen)),
            tax_rate: None,
            tax: None,
            confidence: round3(f64::from(row.min_confidence())),
            bbox: row.bbox(),
        });
    }
    out
}
