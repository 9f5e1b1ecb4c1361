//! Fields from rows of text: which layout a document has, the extractor for it, and the checks
//! that decide whether a person must look (missing fields, low confidence, tax ids, sums).

mod checks;
pub mod dates;
mod fapiao;
pub mod money;
mod order;
pub mod tax_ids;
mod western;

use std::collections::BTreeMap;
use std::ops::Range;

use regex_lite::Regex;

use crate::layout::{Row, round3};
use crate::result::{BoundingBox, Field, Layout, LineItem, Reason};

use money::Decimal;

/// Field confidence below which a reading needs review.
pub const LOW_CONFIDENCE: f64 = 0.6;

/// The rows of a document and what is known about it.
pub(crate) struct Doc<'a> {
    pub rows: &'a [Row],
    /// Page widths by page number (from 1), to tell left columns from right ones.
    pub page_widths: &'a [u32],
    pub decimal: Decimal,
}

impl Doc<'_> {
    /// Every match of `re`'s first group, as `(row, range)`, top to bottom.
    pub fn captures(&self, re: &Regex) -> Vec<(usize, Range<usize>)> {
        let mut out = Vec::new();
        for (i, row) in self.rows.iter().enumerate() {
            for c in re.captures_iter(&row.text) {
                if let Some(m) = c.get(1) {
                    out.push((i, m.range()));
                }
            }
        }
        out
    }

    /// The index of the first row whose text without spaces contains any of `labels`.
    pub fn row_with(&self, labels: &[&str]) -> Option<usize> {
        self.rows.iter().position(|r| {
            let compact = compact(&r.text);
            labels.iter().any(|l| compact.contains(l))
        })
    }

    /// A field read from `range` of row `row`, its confidence times `factor`.
    pub fn field(&self, row: usize, range: &Range<usize>, value: String, factor: f64) -> Field {
        let r = &self.rows[row];
        Field {
            value,
            confidence: round3(f64::from(r.confidence_of(range)) * factor),
            bbox: r.bbox_of(range),
        }
    }

    /// Whether a box lies mostly in the right half of its page.
    pub fn on_right_half(&self, b: &BoundingBox) -> bool {
        let width = self
            .page_widths
            .get(b.page.saturating_sub(1) as usize)
            .copied()
            .unwrap_or(0);
        width > 0 && (b.x + b.width / 2) > width / 2
    }
}

/// Text without whitespace, for finding Chinese labels whatever spacing OCR put in.
pub fn compact(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// What extraction found.
#[derive(Debug, Default)]
pub(crate) struct Extracted {
    pub fields: BTreeMap<String, Field>,
    pub line_items: Vec<LineItem>,
    pub reasons: Vec<Reason>,
}

/// The layout of a document from its text.
pub fn detect_layout(text: &str) -> Layout {
    let compact = compact(text);
    let fapiao = [
        "发票号码",
        "价税合计",
        "开票日期",
        "电子发票",
        "纳税人识别号",
        "统一社会信用代码",
    ];
    let order = [
        "订单编号",
        "订单号",
        "实付款",
        "下单时间",
        "成交时间",
        "订单详情",
    ];
    let count = |labels: &[&str]| labels.iter().filter(|l| compact.contains(*l)).count();
    let (f, o) = (count(&fapiao), count(&order));
    if f > 0 && f >= o {
        return Layout::Fapiao;
    }
    if o > 0 {
        return Layout::OrderScreenshot;
    }
    let western = Regex::new(
        r"(?i)\b(invoice|rechnung|facture|factura|fattura|vat|mwst|ust|tva|subtotal|total|amount due)\b",
    )
    .expect("valid regex");
    if western.is_match(text) {
        Layout::WesternInvoice
    } else {
        Layout::Unknown
    }
}

/// Extracts the fields of `layout` and checks them.
pub(crate) fn extract(doc: &Doc<'_>, layout: Layout) -> Extracted {
    let mut out = match layout {
        Layout::Fapiao => fapiao::extract(doc),
        Layout::OrderScreenshot => order::extract(doc),
        Layout::WesternInvoice => western::extract(doc),
        Layout::Unknown => {
            let mut e = Extracted::default();
            e.reasons.push(Reason::document(
                "unknown_layout",
                "no labels of a fapiao, an order page or an invoice were found",
            ));
            return e;
        }
    };
    checks::check(layout, &mut out);
    out
}
