//! A fapiao's fields: 发票号码, 开票日期, buyer and seller (名称, 统一社会信用代码/纳税人识别号),
//! the item table (项目名称 … 税额), 合计 and 价税合计.

use std::ops::Range;
use std::sync::OnceLock;

use regex_lite::Regex;
use shopflow_connectors::money::{format_fen, parse_yuan};

use super::dates::{Order, dates};
use super::money::{Decimal, amounts, price, quantity};
use super::tax_ids::{Checked, check_chinese};
use super::{Doc, Extracted, compact};
use crate::layout::{is_cjk, round3};
use crate::result::{Field, LineItem, Reason};

struct Patterns {
    number: Regex,
    twenty: Regex,
    name: Regex,
    tax_id: Regex,
    rate: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        let re = |s: &str| Regex::new(s).expect("valid regex");
        Patterns {
            number: re(r"发\s*票\s*号\s*码\s*:?\s*([0-9][0-9 ]{17,28}[0-9])"),
            twenty: re(r"(?:^|[^0-9])([0-9]{20})(?:$|[^0-9])"),
            // 项目名称 (preceded by 目) is a column title, not a party's name.
            name: re(r"(.?)名 *称 *[:;]?[ \t]*([^\t:]+)"),
            tax_id: re(
                r"(?:识 *别 *号|信 *用 *代 *码)[^:\t]{0,20}[:;]?[ \t]*([0-9A-Za-z|][0-9A-Za-z| ]{13,24}[0-9A-Za-z])",
            ),
            rate: re(r"^(\d{1,2})\s*%$"),
        }
    })
}

pub(crate) fn extract(doc: &Doc<'_>) -> Extracted {
    let p = patterns();
    let mut out = Extracted::default();
    let fields = &mut out.fields;

    // 发票号码: the digits after the label, else any 20-digit run.
    let number = doc
        .captures(&p.number)
        .into_iter()
        .map(|(row, range)| {
            let digits: String = doc.rows[row].text[range.clone()]
                .chars()
                .filter(char::is_ascii_digit)
                .collect();
            (row, range, digits)
        })
        .find(|(_, _, d)| d.len() == 20)
        .or_else(|| {
            doc.captures(&p.twenty)
                .into_iter()
                .next()
                .map(|(row, range)| {
                    let d = doc.rows[row].text[range.clone()].to_owned();
                    (row, range, d)
                })
        });
    if let Some((row, range, digits)) = number {
        fields.insert("invoice_number".into(), doc.field(row, &range, digits, 1.0));
    }

    // 开票日期.
    let date = doc
        .row_with(&["开票日期"])
        .and_then(|row| {
            let text = &doc.rows[row].text;
            let after = text.find("日期").unwrap_or(0);
            dates(&text[after..], Order::DayFirst)
                .into_iter()
                .next()
                .map(|d| (row, d.range.start + after..d.range.end + after, d.iso))
        })
        .or_else(|| {
            doc.rows.iter().enumerate().find_map(|(row, r)| {
                dates(&r.text, Order::DayFirst)
                    .into_iter()
                    .next()
                    .map(|d| (row, d.range, d.iso))
            })
        });
    if let Some((row, range, iso)) = date {
        fields.insert("issue_date".into(), doc.field(row, &range, iso, 1.0));
    }

    // Buyer and seller: side by side (left buyer, right seller) or one above the other.
    let name_hits: Vec<(usize, Range<usize>)> = doc
        .rows
        .iter()
        .enumerate()
        .flat_map(|(i, r)| {
            p.name
                .captures_iter(&r.text)
                .filter(|c| c.get(1).is_none_or(|m| m.as_str() != "目"))
                .filter_map(|c| c.get(2).map(|m| (i, m.range())))
                .collect::<Vec<_>>()
        })
        .collect();
    let names = parties(doc, name_hits);
    for (party, (row, range)) in names {
        let value = clean_name(&doc.rows[row].text[range.clone()]);
        if !value.is_empty() {
            fields.insert(format!("{party}_name"), doc.field(row, &range, value, 1.0));
        }
    }
    let ids = parties(doc, doc.captures(&p.tax_id));
    for (party, (row, range)) in ids {
        let name = format!("{party}_tax_id");
        let raw: String = doc.rows[row].text[range.clone()]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_uppercase();
        let field = match check_chinese(&raw) {
            Checked::Valid(_) => doc.field(row, &range, raw, 1.0),
            Checked::Corrected(fixed, _) => {
                out.reasons.push(Reason::field(
                    "tax_id_corrected",
                    &name,
                    format!("read `{raw}`, which fails its check character; `{fixed}` (misread O/I/S/Z undone) passes"),
                ));
                doc.field(row, &range, fixed, 0.8)
            }
            Checked::Invalid => {
                out.reasons.push(Reason::field(
                    "tax_id_checksum",
                    &name,
                    format!("`{raw}` is not a valid unified social credit code or taxpayer id (its check character is wrong)"),
                ));
                let mut f = doc.field(row, &range, raw, 1.0);
                f.confidence = f.confidence.min(0.3);
                f
            }
        };
        out.fields.insert(name, field);
    }

    // The item table, 合计 and 价税合计.
    let header = doc.row_with(&["项目名称", "货物或应税劳务", "规格型号"]);
    let sum_row = doc
        .rows
        .iter()
        .enumerate()
        .skip(header.unwrap_or(0))
        .position(|(_, r)| {
            let c = compact(&r.text);
            c.starts_with("合计") || (c.contains("合计") && !c.contains("价税"))
        })
        .map(|i| i + header.unwrap_or(0));
    if let (Some(h), Some(s)) = (header, sum_row) {
        out.line_items = items(doc, h + 1..s);
    }
    if let Some(s) = sum_row {
        let found = amounts(&doc.rows[s].text, Decimal::Dot);
        if let Some(a) = found.first() {
            out.fields.insert(
                "amount".into(),
                doc.field(s, &a.range, format_fen(a.fen), 1.0),
            );
        }
        if let Some(t) = found.get(1) {
            out.fields
                .insert("tax".into(), doc.field(s, &t.range, format_fen(t.fen), 1.0));
        }
    }
    if let Some(row) = doc.row_with(&["价税合计", "小写"]) {
        let in_row = amounts(&doc.rows[row].text, Decimal::Dot);
        let found = in_row.last().map(|a| (row, a.clone())).or_else(|| {
            let next = row + 1;
            doc.rows.get(next).and_then(|r| {
                amounts(&r.text, Decimal::Dot)
                    .last()
                    .map(|a| (next, a.clone()))
            })
        });
        if let Some((row, a)) = found {
            out.fields.insert(
                "total".into(),
                doc.field(row, &a.range, format_fen(a.fen), 1.0),
            );
        }
    }
    // A fapiao is in yuan; the figure's box stands for it.
    let bbox = out.fields.get("total").and_then(|f| f.bbox);
    out.fields.insert(
        "currency".into(),
        Field {
            value: "CNY".into(),
            confidence: 1.0,
            bbox,
        },
    );
    out
}

/// Assigns label hits to `buyer` and `seller`: two hits side by side or one per half go by
/// position, hits one above the other by order.
fn parties(
    doc: &Doc<'_>,
    hits: Vec<(usize, Range<usize>)>,
) -> Vec<(&'static str, (usize, Range<usize>))> {
    let placed: Vec<_> = hits
        .into_iter()
        .filter_map(|(row, range)| {
            let b = doc.rows[row].bbox_of(&range)?;
            Some((doc.on_right_half(&b), (row, range)))
        })
        .collect();
    let side_by_side = placed.iter().any(|(right, _)| *right);
    if side_by_side {
        let buyer = placed
            .iter()
            .find(|(right, _)| !right)
            .map(|(_, h)| h.clone());
        let seller = placed
            .iter()
            .find(|(right, _)| *right)
            .map(|(_, h)| h.clone());
        buyer
            .map(|h| ("buyer", h))
            .into_iter()
            .chain(seller.map(|h| ("seller", h)))
            .collect()
    } else {
        placed
            .into_iter()
            .take(2)
            .zip(["buyer", "seller"])
            .map(|((_, h), party)| (party, h))
            .collect()
    }
}

/// A name as read: trailing punctuation and stray spaces between Chinese characters removed.
fn clean_name(raw: &str) -> String {
    let chars: Vec<char> = raw.trim().chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' {
            let before = i.checked_sub(1).and_then(|j| chars.get(j)).copied();
            let after = chars.get(i + 1).copied();
            if before.is_some_and(is_cjk) || after.is_some_and(is_cjk) {
                continue;
            }
        }
        out.push(c);
    }
    trim_junk(&out)
}

/// A value without the punctuation and rule remnants OCR leaves at its ends.
pub(crate) fn trim_junk(s: &str) -> String {
    s.trim_matches(|c: char| ":;|丨“”\"'‘’,.。、，".contains(c) || c.is_whitespace())
        .to_owned()
}

/// An item name: `*类别*名称`, whose asterisks OCR often reads as quotes.
fn item_name(raw: &str) -> String {
    let starred: String = raw
        .trim()
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if "“”\"＊".contains(c) || (i == 0 && c == '+') {
                '*'
            } else {
                c
            }
        })
        .collect();
    let chars: Vec<char> = trim_junk(&starred).chars().collect();
    let wide = |c: char| is_cjk(c) || c == '*';
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let before = i.checked_sub(1).and_then(|j| chars.get(j)).copied();
        let after = chars.get(i + 1).copied();
        let squeezed = c == ' ' && (before.is_some_and(wide) || after.is_some_and(wide));
        if !(squeezed || (c == '*' && out.ends_with('*'))) {
            out.push(c);
        }
    }
    out
}

/// VAT rates and collection rates a fapiao line can carry (DOMAIN.md, and older ones).
const RATES: [&str; 11] = ["0", "1", "3", "5", "6", "9", "10", "11", "13", "16", "17"];

/// A rate OCR garbled (`138%`, `139`, `1396`): the legal rate whose digits start the token and
/// whose tax on the amount comes closest to the printed tax, within 6 fen.
fn misread_rate(token: &str, amount: &str, tax: &str) -> Option<String> {
    let digits: String = token.chars().take_while(char::is_ascii_digit).collect();
    let (amount, tax) = (parse_yuan(amount)?, parse_yuan(tax)?);
    RATES
        .iter()
        .filter(|r| !digits.is_empty() && digits.starts_with(*r))
        .filter_map(|r| {
            let percent: i64 = r.parse().ok()?;
            let off = ((amount * percent + 50).div_euclid(100) - tax).abs();
            (off <= 6).then_some((off, r))
        })
        .min()
        .map(|(_, r)| format!("{r}%"))
}

/// The rows of the item table, read right to left: 税额, 税率, 金额, 单价, 数量, then the name
/// in the first column (规格型号 and 单位 are not reported).
fn items(doc: &Doc<'_>, rows: Range<usize>) -> Vec<LineItem> {
    let p = patterns();
    let mut out: Vec<LineItem> = Vec::new();
    for i in rows {
        let row = &doc.rows[i];
        let text = row.text.replace(" %", "%");
        let mut tokens: Vec<&str> = text.split([' ', '\t']).filter(|t| !t.is_empty()).collect();
        let money = |t: &str| {
            amounts(t.trim_start_matches('¥'), Decimal::Dot)
                .first()
                .filter(|a| a.range.len() + 1 >= t.trim_start_matches('¥').len())
                .map(|a| format_fen(a.fen))
        };
        let mut parsed = || -> Option<LineItem> {
            let tax = money(tokens.pop()?)?;
            let rate_token = tokens.pop()?;
            let amount = money(tokens.pop()?)?;
            let rate = p
                .rate
                .captures(rate_token)
                .and_then(|c| c.get(1))
                .map(|m| format!("{}%", m.as_str()))
                .filter(|r| RATES.contains(&r.trim_end_matches('%')))
                .or_else(|| misread_rate(rate_token, &amount, &tax))?;
            let unit_price = price(tokens.pop()?, Decimal::Dot)?;
            let qty = quantity(tokens.pop()?, Decimal::Dot)?;
            Some(LineItem {
                name: String::new(),
                quantity: Some(qty),
                unit_price: Some(unit_price),
                amount: Some(amount),
                tax_rate: Some(rate),
                tax: Some(tax),
                confidence: round3(f64::from(row.min_confidence())),
                bbox: row.bbox(),
            })
        };
        match parsed() {
            Some(mut item) => {
                let first_segment = row.text.split('\t').next().unwrap_or_default();
                item.name = item_name(first_segment);
                out.push(item);
            }
            None => {
                // A wrapped item name continues on the next row without figures.
                if amounts(&row.text, Decimal::Dot).is_empty()
                    && let Some(last) = out.last_mut()
                {
                    let more = item_name(row.text.split('\t').next().unwrap_or_default());
                    last.name.push_str(&more);
                }
            }
        }
    }
    out
}
