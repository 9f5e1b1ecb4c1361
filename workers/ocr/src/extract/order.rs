//! An order-detail page of a shopping app (Taobao, JD, Pinduoduo): 订单编号, 下单时间 or
//! 成交时间, the shop, the items with price and quantity, and 实付款.

use std::sync::OnceLock;

use regex_lite::Regex;
use shopflow_connectors::money::format_fen;

use super::dates::{Order, dates};
use super::money::{Decimal, amounts};
use super::{Doc, Extracted, compact};
use crate::layout::round3;
use crate::result::{Field, LineItem};

struct Patterns {
    number: Regex,
    time: Regex,
    paid: Regex,
    shop: Regex,
    quantity: Regex,
    summary: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        let re = |s: &str| Regex::new(s).expect("valid regex");
        Patterns {
            number: re(r"订\s*单\s*(?:编\s*号|号\s*码|号)\s*:?\s*([0-9][0-9\- ]{6,40}[0-9])"),
            time: re(r"(?:下\s*单|成\s*交|创\s*建|付\s*款|拍\s*单)\s*时\s*间\s*:?\s*(.*)$"),
            paid: re(r"(?:实\s*付\s*款|实\s*付\s*金\s*额|实\s*付|应\s*付\s*总\s*额|订\s*单\s*金\s*额)"),
            shop: re(r"(旗舰店|专营店|专卖店|自营|店铺|小店|商店|店)"),
            quantity: re(r"(?:^|[\s\t])[xX×]\s*([\dlI|]{1,4})(?:$|\s)"),
            summary: re(
                r"(商品总价|商品总额|运费|优惠|实付|应付|合计|订单编号|订单号|下单时间|成交时间|支付)",
            ),
        }
    })
}

pub(crate) fn extract(doc: &Doc<'_>) -> Extracted {
    let p = patterns();
    let mut out = Extracted::default();
    if let Some((row, range)) = doc.captures(&p.number).into_iter().next() {
        let value: String = doc.rows[row].text[range.clone()]
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == '-')
            .collect();
        out.fields
            .insert("order_number".into(), doc.field(row, &range, value, 1.0));
    }
    let time = doc.rows.iter().enumerate().find_map(|(row, r)| {
        let c = p.time.captures(&r.text)?;
        let rest = c.get(1)?;
        let d = dates(rest.as_str(), Order::DayFirst).into_iter().next()?;
        let start = rest.start() + d.range.start;
        let after = &r.text[rest.start() + d.range.end..];
        let clock: String = after
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == ':')
            .collect();
        Some((row, start..rest.start() + d.range.end, d.iso, clock))
    });
    if let Some((row, range, iso, clock)) = time {
        if clock.len() >= 5 {
            out.fields.insert(
                "order_time".into(),
                doc.field(row, &range, format!("{iso} {clock}"), 1.0),
            );
        }
        out.fields
            .insert("issue_date".into(), doc.field(row, &range, iso, 1.0));
    }
    let paid = doc.rows.iter().enumerate().find_map(|(row, r)| {
        let m = p.paid.find(&r.text)?;
        let a = amounts(&r.text[m.end()..], Decimal::Dot)
            .into_iter()
            .last()?;
        Some((row, a.range.start + m.end()..a.range.end + m.end(), a.fen))
    });
    if let Some((row, range, fen)) = paid {
        out.fields
            .insert("total".into(), doc.field(row, &range, format_fen(fen), 1.0));
    }
    // The shop: the first row naming a store, above the items.
    let shop = doc.rows.iter().enumerate().find(|(_, r)| {
        let c = compact(&r.text);
        p.shop.is_match(&c) && !p.summary.is_match(&c) && amounts(&r.text, Decimal::Dot).is_empty()
    });
    if let Some((row, r)) = shop {
        let text = r.text.split('\t').next().unwrap_or_default();
        let value = compact(text).trim_end_matches(['>', '〉', '›']).to_owned();
        out.fields.insert(
            "seller_name".into(),
            doc.field(row, &(0..text.len()), value, 1.0),
        );
    }
    let total_box = out.fields.get("total").and_then(|f| f.bbox);
    out.fields.insert(
        "currency".into(),
        Field {
            value: "CNY".into(),
            confidence: 1.0,
            bbox: total_box,
        },
    );

    // Items: a row with a name and a price that is not a summary line; the quantity (x2) on
    // it or on the next row.
    let start = shop.map_or(0, |(row, _)| row + 1);
    for i in start..doc.rows.len() {
        let r = &doc.rows[i];
        let c = compact(&r.text);
        if p.summary.is_match(&c) {
            break;
        }
        let Some(price) = amounts(&r.text, Decimal::Dot).into_iter().last() else {
            continue;
        };
        // The segment before the price: a thumbnail's edges read as junk in front of it.
        let before = r.text[..price.range.start]
            .trim_end()
            .trim_end_matches(['¥', 'Y', '\t', ' ']);
        let name =
            super::fapiao::trim_junk(&compact(before.rsplit('\t').next().unwrap_or_default()));
        if name.is_empty() {
            continue;
        }
        let qty = [Some(r), doc.rows.get(i + 1)]
            .into_iter()
            .flatten()
            .find_map(|row| {
                p.quantity
                    .captures(&row.text)
                    .and_then(|c| c.get(1))
                    .and_then(|m| m.as_str().replace(['l', 'I', '|'], "1").parse::<i64>().ok())
            });
        out.line_items.push(LineItem {
            name,
            quantity: qty.map(|q| q.to_string()),
            unit_price: Some(format_fen(price.fen)),
            amount: qty.map(|q| format_fen(q * price.fen)),
            tax_rate: None,
            tax: None,
            confidence: round3(f64::from(r.min_confidence())),
            bbox: r.bbox(),
        });
    }
    out
}
