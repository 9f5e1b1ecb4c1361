//! Invoices in Western layouts: English (US dollars, month-first dates; UK pounds, spelled-out
//! dates) and European (German and French: day-first dates, decimal commas, VAT ids).

use image::GrayImage;
use shopflow_connectors::money::format_fen;

use super::canvas::{Align, Canvas, FontPair};
use super::{RenderOptions, Truth, fields, item};
use crate::result::Layout;

struct Style {
    title: &'static str,
    number_label: &'static str,
    number: &'static str,
    date_label: &'static str,
    date_text: &'static str,
    date_iso: &'static str,
    seller: &'static str,
    seller_address: &'static str,
    tax_id_label: &'static str,
    tax_id_text: &'static str,
    tax_id: &'static str,
    bill_to: &'static str,
    buyer: &'static str,
    buyer_address: &'static str,
    headers: [&'static str; 4],
    subtotal_label: &'static str,
    tax_label: &'static str,
    total_label: &'static str,
    /// Tax rate in thousandths of a percent (8.875 % = 8875).
    rate_milli_percent: i64,
    /// `(thousands separator, decimal separator)`.
    separators: (&'static str, &'static str),
    currency: &'static str,
    /// How the currency is written next to totals, and whether before the figure.
    currency_mark: (&'static str, bool),
    items: [(&'static str, i64, i64); 3],
    footer: &'static str,
}

fn english(variant: usize) -> Style {
    if variant.is_multiple_of(2) {
        Style {
            title: "INVOICE",
            number_label: "Invoice No.:",
            number: "INV-2025-0042",
            date_label: "Invoice Date:",
            date_text: "03/14/2025",
            date_iso: "2025-03-14",
            seller: "Northwind Trading LLC",
            seller_address: "1200 Harbor Blvd, Oakland, CA 94607",
            tax_id_label: "Tax ID:",
            tax_id_text: "94-3175208",
            tax_id: "94-3175208",
            bill_to: "Bill To:",
            buyer: "Acme Retail Inc.",
            buyer_address: "55 Market St, San Francisco, CA 94105",
            headers: ["Description", "Qty", "Unit Price", "Amount"],
            subtotal_label: "Subtotal",
            tax_label: "Sales Tax (8.875%)",
            total_label: "Total",
            rate_milli_percent: 8875,
            separators: (",", "."),
            currency: "USD",
            currency_mark: ("$", true),
            items: [
                ("Wireless mouse M330", 3, 2499),
                ("Standing desk frame", 4, 28900),
                ("USB-C charging cable 2 m", 10, 850),
            ],
            footer: "Payment due within 30 days. Thank you for your business.",
        }
    } else {
        Style {
            title: "INVOICE",
            number_label: "Invoice No.",
            number: "10482",
            date_label: "Date:",
            date_text: "14 March 2025",
            date_iso: "2025-03-14",
            seller: "Brightwater Supplies Ltd",
            seller_address: "12 Kings Road, Manchester M1 2AB",
            tax_id_label: "VAT Reg No:",
            tax_id_text: "GB 123 4567 89",
            tax_id: "GB123456789",
            bill_to: "Invoice To:",
            buyer: "Harlow & Finch Ltd",
            buyer_address: "3 Mill Lane, Leeds LS1 4DY",
            headers: ["Description", "Qty", "Unit Price", "Amount"],
            subtotal_label: "Net Total",
            tax_label: "VAT 20%",
            total_label: "Total",
            rate_milli_percent: 20_000,
            separators: (",", "."),
            currency: "GBP",
            currency_mark: ("£", true),
            items: [
                ("Office chair ergonomic", 2, 14900),
                ("Desk lamp LED", 5, 2250),
                ("Delivery", 1, 1500),
            ],
            footer: "Please pay by bank transfer within 14 days.",
        }
    }
}

fn european(variant: usize) -> Style {
    if variant.is_multiple_of(2) {
        Style {
            title: "RECHNUNG",
            number_label: "Rechnungsnummer:",
            number: "RE-2025-0314",
            date_label: "Rechnungsdatum:",
            date_text: "14.03.2025",
            date_iso: "2025-03-14",
            seller: "Schneider Bürotechnik GmbH",
            seller_address: "Hauptstraße 12, 10115 Berlin",
            tax_id_label: "USt-IdNr.:",
            tax_id_text: "DE 812 345 678",
            tax_id: "DE812345678",
            bill_to: "Rechnungsempfänger:",
            buyer: "Weber Handel GmbH",
            buyer_address: "Lindenallee 5, 50667 Köln",
            headers: ["Bezeichnung", "Menge", "Einzelpreis", "Betrag"],
            subtotal_label: "Nettobetrag",
            tax_label: "zzgl. 19 % MwSt.",
            total_label: "Gesamtbetrag",
            rate_milli_percent: 19_000,
            separators: (".", ","),
            currency: "EUR",
            currency_mark: ("EUR", false),
            items: [
                ("Laserdrucker LX-200", 2, 48900),
                ("Tonerkartusche schwarz", 4, 6414),
                ("Versandpauschale", 1, 990),
            ],
            footer: "Zahlbar innerhalb von 14 Tagen ohne Abzug.",
        }
    } else {
        Style {
            title: "FACTURE",
            number_label: "Facture N° :",
            number: "F-2025-0117",
            date_label: "Date :",
            date_text: "14/03/2025",
            date_iso: "2025-03-14",
            seller: "Atelier Lumière SARL",
            seller_address: "8 rue des Lilas, 69003 Lyon",
            tax_id_label: "N° TVA :",
            tax_id_text: "FR 40 123456789",
            tax_id: "FR40123456789",
            bill_to: "Client :",
            buyer: "Maison Durand SAS",
            buyer_address: "21 avenue Foch, 75016 Paris",
            headers: ["Désignation", "Qté", "Prix unitaire", "Montant"],
            subtotal_label: "Total HT",
            tax_label: "TVA 20 %",
            total_label: "Total TTC",
            rate_milli_percent: 20_000,
            separators: (" ", ","),
            currency: "EUR",
            currency_mark: ("€", false),
            items: [
                ("Lampe de bureau", 3, 12990),
                ("Ampoule LED E27", 24, 495),
                ("Installation", 1, 75000),
            ],
            footer: "Paiement à 30 jours. Pénalités de retard : 3 fois le taux légal.",
        }
    }
}

/// `fen` with the style's separators (`1.234,56`, `1 234,56`, `1,234.56`).
fn money(fen: i64, (thousands, decimal): (&str, &str)) -> String {
    let plain = format_fen(fen);
    let (whole, frac) = plain.split_once('.').unwrap_or((&plain, "00"));
    let digits: Vec<char> = whole.chars().collect();
    let mut grouped = String::new();
    for (i, ch) in digits.iter().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push_str(thousands);
        }
        grouped.push(*ch);
    }
    format!("{grouped}{decimal}{frac}")
}

fn with_currency(text: String, (mark, before): (&str, bool)) -> String {
    if before {
        format!("{mark}{text}")
    } else {
        format!("{text} {mark}")
    }
}

pub(crate) fn render_english(fonts: FontPair, options: &RenderOptions) -> (GrayImage, Truth) {
    render(english(options.variant), fonts, options)
}

pub(crate) fn render_european(fonts: FontPair, options: &RenderOptions) -> (GrayImage, Truth) {
    render(european(options.variant), fonts, options)
}

fn render(s: Style, fonts: FontPair, options: &RenderOptions) -> (GrayImage, Truth) {
    let dpi = options.dpi.max(50) as f32;
    let mut c = Canvas::new(210.0, 297.0, dpi / 25.4, dpi / 72.0, fonts, 255);
    let ink = 25;
    let grey = 80;
    c.text(15.0, 28.0, 22.0, s.title, ink, Align::Left);
    c.text(15.0, 44.0, 11.0, s.seller, ink, Align::Left);
    c.text(15.0, 50.0, 10.0, s.seller_address, grey, Align::Left);
    c.text(
        15.0,
        56.0,
        10.0,
        &format!("{} {}", s.tax_id_label, s.tax_id_text),
        grey,
        Align::Left,
    );
    c.text(125.0, 44.0, 10.0, s.number_label, grey, Align::Left);
    c.text(195.0, 44.0, 10.0, s.number, ink, Align::Right);
    c.text(125.0, 50.0, 10.0, s.date_label, grey, Align::Left);
    c.text(195.0, 50.0, 10.0, s.date_text, ink, Align::Right);
    c.text(15.0, 72.0, 10.0, s.bill_to, grey, Align::Left);
    c.text(15.0, 78.0, 11.0, s.buyer, ink, Align::Left);
    c.text(15.0, 84.0, 10.0, s.buyer_address, grey, Align::Left);

    let columns = [
        (15.0, Align::Left),
        (120.0, Align::Right),
        (155.0, Align::Right),
        (195.0, Align::Right),
    ];
    for (title, (x, align)) in s.headers.iter().zip(columns) {
        c.text(x, 102.0, 10.0, title, ink, align);
    }
    c.hline(15.0, 195.0, 105.0, 0.4, 60);
    let mut y = 113.0;
    let mut net = 0;
    let mut line_items = Vec::new();
    for (name, quantity, unit) in s.items {
        let amount = quantity * unit;
        net += amount;
        let cells = [
            name.to_owned(),
            quantity.to_string(),
            money(unit, s.separators),
            money(amount, s.separators),
        ];
        for (text, (x, align)) in cells.iter().zip(columns) {
            c.text(x, y, 10.0, text, ink, align);
        }
        line_items.push(item(&[
            ("name", name.to_owned()),
            ("quantity", quantity.to_string()),
            ("unit_price", format_fen(unit)),
            ("amount", format_fen(amount)),
        ]));
        y += 8.0;
    }
    c.hline(15.0, 195.0, y - 4.0, 0.4, 60);
    let tax = (net * s.rate_milli_percent + 50_000).div_euclid(100_000);
    let total = net + tax;
    y += 4.0;
    for (label, value) in [
        (s.subtotal_label, net),
        (s.tax_label, tax),
        (s.total_label, total),
    ] {
        c.text(120.0, y, 10.0, label, ink, Align::Left);
        let text = with_currency(money(value, s.separators), s.currency_mark);
        c.text(195.0, y, 10.0, &text, ink, Align::Right);
        y += 8.0;
    }
    c.text(15.0, y + 20.0, 9.0, s.footer, grey, Align::Left);

    let (net, tax, total) = (format_fen(net), format_fen(tax), format_fen(total));
    let f = fields(&[
        ("invoice_number", s.number),
        ("issue_date", s.date_iso),
        ("seller_name", s.seller),
        ("seller_tax_id", s.tax_id),
        ("buyer_name", s.buyer),
        ("amount", &net),
        ("tax", &tax),
        ("total", &total),
        ("currency", s.currency),
    ]);
    (
        c.image,
        Truth {
            layout: Layout::WesternInvoice,
            fields: f,
            line_items,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators() {
        assert_eq!(money(123_456, (".", ",")), "1.234,56");
        assert_eq!(money(123_456, (" ", ",")), "1 234,56");
        assert_eq!(money(123_456_789, (",", ".")), "1,234,567.89");
        assert_eq!(money(5, (",", ".")), "0.05");
    }
}
