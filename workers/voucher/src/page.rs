//! The page behind a voucher link (`GET /v/{token}`): for the buyer, and for the warehouse
//! that scans the QR code on a returned parcel. It shows only the public record — no names,
//! phones or street addresses — and whether the deadline has passed.

use crate::voucher::{Deadline, Record};

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:'Noto Sans CJK SC','PingFang SC',sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#222}\
h1{font-size:1.4rem}table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #ddd}\
.ok{color:#176b2c;font-weight:bold}.late{color:#a1260d;font-weight:bold}.rma{font-size:1.6rem;font-weight:bold;letter-spacing:.05em}";

/// The page for a genuine voucher at `now_ms`; `pdf_href` links the printable PDF.
pub fn voucher_page(record: &Record, now_ms: i64, pdf_href: &str) -> String {
    let late = Deadline::parse(&record.deadline).is_some_and(|d| d.passed(now_ms));
    let deadline = Deadline::parse(&record.deadline)
        .map(|d| d.display())
        .unwrap_or_else(|| record.deadline.clone());
    let status = if late {
        r#"<p class="late">已过寄回截止时间 · The return deadline has passed</p>"#
    } else {
        r#"<p class="ok">有效退货凭证 · Valid return voucher</p>"#
    };
    let mut rows = String::new();
    let mut row = |label: &str, value: &str| {
        rows.push_str(&format!(
            "<tr><th>{label}</th><td>{}</td></tr>",
            escape(value)
        ));
    };
    row("店铺 Shop", &record.shop);
    if let Some(p) = &record.platform {
        row("平台 Platform", p);
    }
    row("订单号 Order", &record.order_id);
    if let Some(r) = &record.refund_id {
        row("售后单号 Refund", r);
    }
    row("寄回截止 Return by", &deadline);
    row("寄回地区 Return to", &record.return_region);
    let items: String = record
        .items
        .iter()
        .map(|i| {
            format!(
                "<tr><td>{}</td><td>{}</td></tr>",
                escape(&i.name),
                i.quantity
            )
        })
        .collect();
    format!(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<meta name=\"robots\" content=\"noindex\"><title>退货凭证 {rma}</title><style>{STYLE}</style></head><body>\
<h1>退货凭证 · Return voucher</h1><p class=\"rma\">{rma}</p>{status}<table>{rows}</table>\
<h2>退回商品 · Items</h2><table><tr><th>商品 Item</th><th>数量 Qty</th></tr>{items}</table>\
<p><a href=\"{pdf}\">下载并打印凭证 · Download and print the voucher (PDF)</a></p></body></html>",
        rma = escape(&record.rma),
        pdf = escape(pdf_href),
    )
}

/// The page for a link that is not a genuine voucher (altered, mistyped or from elsewhere).
pub fn invalid_page() -> String {
    format!(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
<meta name=\"robots\" content=\"noindex\"><title>凭证无效 Invalid voucher</title><style>{STYLE}</style></head><body>\
<h1>凭证无效 · Invalid voucher</h1>\
<p class=\"late\">此链接不是本店签发的有效退货凭证，可能被修改或复制不完整。</p>\
<p>This link is not a valid return voucher from this shop: it may have been altered or copied incompletely. \
Open the link from the shop's message again, or ask the shop's customer service.</p></body></html>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::voucher::RecordItem;

    #[test]
    fn escapes_and_states() {
        let record = Record {
            v: 1,
            rma: "RMA-1".into(),
            shop: "<script>x</script>".into(),
            platform: None,
            order_id: "O1".into(),
            refund_id: None,
            items: vec![RecordItem {
                name: "茶 & 杯".into(),
                quantity: 2,
            }],
            return_region: "浙江省 杭州市".into(),
            deadline: "2026-12-02".into(),
        };
        let page = voucher_page(&record, 0, "/v/t/voucher.pdf");
        assert!(page.contains("&lt;script&gt;"));
        assert!(page.contains("茶 &amp; 杯"));
        assert!(page.contains("Valid return voucher"));
        let late = voucher_page(&record, 4_000_000_000_000, "/v/t/voucher.pdf");
        assert!(late.contains("deadline has passed"));
    }
}
