//! What `ocr.text`, `ocr.invoice` and `shopflow ocr --json` return (the contract in
//! DESIGN.md): fields with a value, a confidence and a box, the text lines, and whether a person
//! should check the reading and why.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// What to read a document as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Only the text: `lines` and `text`, no fields.
    Text,
    /// An invoice, fapiao or order screenshot: fields, line items and cross-checks.
    Invoice,
}

/// The kind of document an invoice reading found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Layout {
    /// A Chinese fapiao (数电票 or the older VAT fapiao with the same labels).
    Fapiao,
    /// An order-detail page or screenshot of a shopping app (Taobao, JD, Pinduoduo).
    OrderScreenshot,
    /// An invoice in an English or European layout (Invoice No., VAT, Total).
    WesternInvoice,
    /// Text without the labels of any known layout.
    Unknown,
}

/// A rectangle on a page, in pixels of the page as it was given (an image's own pixels; a PDF
/// page rasterised at 300 dpi), with `page` counted from 1. Boxes found on the deskewed and
/// rescaled working image are mapped back, so a box on a skewed scan is the upright rectangle
/// around the rotated text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoundingBox {
    /// Page number, from 1.
    pub page: u32,
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

impl BoundingBox {
    /// The smallest box around both (on the page of `self`).
    pub fn union(self, other: BoundingBox) -> BoundingBox {
        let x = self.x.min(other.x);
        let y = self.y.min(other.y);
        let right = (self.x + self.width).max(other.x + other.width);
        let bottom = (self.y + self.height).max(other.y + other.height);
        BoundingBox {
            page: self.page,
            x,
            y,
            width: right - x,
            height: bottom - y,
        }
    }
}

/// One extracted value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    /// The value, normalised: dates `YYYY-MM-DD`, money `"104.90"`, tax ids upper case without
    /// spaces, currency an ISO 4217 code.
    pub value: String,
    /// 0 to 1: Tesseract's confidence in the words the value was read from, lowered when the
    /// value had to be repaired or fails a check.
    pub confidence: f64,
    /// Where the value is; `null` for values inferred rather than read (the currency of a
    /// fapiao).
    #[serde(rename = "box")]
    pub bbox: Option<BoundingBox>,
}

/// A line item. Money as two-decimal strings, `quantity` as read (`"2"`, `"1.5"`), `tax_rate`
/// as on the document (`"13%"`); absent parts are `null`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LineItem {
    /// Item name (项目名称, Description).
    pub name: String,
    /// Quantity.
    pub quantity: Option<String>,
    /// Unit price.
    pub unit_price: Option<String>,
    /// Amount before tax (金额); the price times the quantity on order screenshots.
    pub amount: Option<String>,
    /// Tax rate (税率/征收率), fapiao only.
    pub tax_rate: Option<String>,
    /// Tax (税额), fapiao only.
    pub tax: Option<String>,
    /// Lowest word confidence on the row.
    pub confidence: f64,
    /// The row.
    #[serde(rename = "box")]
    pub bbox: Option<BoundingBox>,
}

/// A line of text as read, top to bottom, left to right.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextLine {
    /// The text; wide gaps (table columns) become two spaces.
    pub text: String,
    /// Mean word confidence, 0 to 1.
    pub confidence: f64,
    /// Where the line is.
    #[serde(rename = "box")]
    pub bbox: BoundingBox,
}

/// Facts about one page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageInfo {
    /// Page number, from 1.
    pub page: u32,
    /// Width of the page as given (the coordinate space of the boxes).
    pub width: u32,
    /// Height.
    pub height: u32,
    /// The skew found and corrected, in degrees (positive: the text ran uphill to the right).
    pub skew_degrees: f64,
    /// The factor the page was scaled by before recognition.
    pub scale: f64,
    /// Mean word confidence on the page, 0 to 1.
    pub confidence: f64,
}

/// Why a reading needs a person, one per problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    /// A stable code (see docs/functions/ocr.invoice.md): `no_text`, `unknown_layout`,
    /// `missing_field`, `low_confidence`, `tax_id_checksum`, `tax_id_corrected`,
    /// `lines_sum_mismatch`, `line_tax_mismatch`, `line_taxes_sum_mismatch`,
    /// `tax_rounding_exceeded`, `total_mismatch`.
    pub code: String,
    /// The field concerned, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// What is wrong, for people.
    pub message: String,
}

impl Reason {
    /// A reason about `field`.
    pub fn field(code: &str, field: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            field: Some(field.to_owned()),
            message: message.into(),
        }
    }

    /// A reason about the whole document.
    pub fn document(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            field: None,
            message: message.into(),
        }
    }
}

/// A reading.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OcrResult {
    /// What was asked for.
    pub kind: Kind,
    /// For invoices, the layout found; absent for text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layout: Option<Layout>,
    /// Field name → field (empty for text).
    pub fields: BTreeMap<String, Field>,
    /// Line items (empty for text).
    pub line_items: Vec<LineItem>,
    /// The text lines of all pages.
    pub lines: Vec<TextLine>,
    /// All text, lines joined by `\n`, pages by a form feed.
    pub text: String,
    /// Per page facts.
    pub pages: Vec<PageInfo>,
    /// Whether a person should check the reading before it is used.
    pub needs_review: bool,
    /// Why (empty when `needs_review` is false).
    pub reasons: Vec<Reason>,
}
