//! A 数电票 (fully digital fapiao) page: number and date top right, buyer and seller side by
//! side, the item table, 合计, 价税合计 in words and figures, remarks and issuer.

use image::GrayImage;
use shopflow_connectors::money::format_fen;
use shopflow_connectors::tax_id::credit_code_check_char;

use super::canvas::{Align, Canvas, FontPair};
use super::words::yuan_in_words;
use super::{RenderOptions, Tamper, Truth, fields, item};
use crate::result::Layout;

/// How many data sets there are.
pub(crate) const VARIANTS: usize = 3;

struct Line {
    name: &'static str,
    model: &'static str,
    unit: &'static str,
    quantity: i64,
    unit_price_fen: i64,
    rate_percent: i64,
}

struct Data {
    number: &'static str,
    date: (u32, u32, u32),
    buyer: &'static str,
    /// The first 17 characters; the check character is computed.
    buyer_id: Option<&'static str>,
    seller: &'static str,
    seller_id: &'static str,
    lines: Vec<Line>,
    issuer: &'static str,
}

fn data(variant: usize) -> Data {
    let line = |name, model, unit, quantity, unit_price_fen, rate_percent| Line {
        name,
        model,
        unit,
        quantity,
        unit_price_fen,
        rate_percent,
    };
    match variant % VARIANTS {
        0 => Data {
            number: "25312000000012345678",
            date: (2025, 3, 14),
            buyer: "上海悦家贸易有限公司",
            buyer_id: Some("91310115MA1K3YJ8X"),
            seller: "杭州云帆电子商务有限公司",
            seller_id: "91330106MA2H4KD75",
            lines: vec![
                line("*日用杂品*不锈钢保温杯", "500ml", "个", 2, 4642, 13),
                line("*纸制品*抽纸", "3层120抽", "提", 5, 1280, 13),
                line("*现代服务*快递服务费", "", "次", 1, 1000, 6),
            ],
            issuer: "王芳",
        },
        1 => Data {
            number: "25442000000087654321",
            date: (2025, 6, 2),
            buyer: "北京明辉科技有限公司",
            buyer_id: Some("91110108MA01R2NQ4"),
            seller: "深圳市海纳百川实业有限公司",
            seller_id: "91440300MA5G7WTB0",
            lines: vec![
                line("*计算机配套产品*无线鼠标", "M330", "个", 3, 5900, 13),
                line("*谷物*有机大米", "5kg", "袋", 2, 3990, 9),
            ],
            issuer: "李娜",
        },
        _ => Data {
            number: "24512000000000432109",
            date: (2024, 12, 30),
            buyer: "张伟",
            buyer_id: None,
            seller: "成都小溪文具有限公司",
            seller_id: "91510104MA6CUL3P1",
            lines: vec![
                line("*文具*中性笔", "0.5mm", "盒", 4, 1850, 3),
                line("*纸制品*笔记本", "A5", "本", 10, 660, 3),
            ],
            issuer: "陈静",
        },
    }
}

/// The full 18-character credit code for a 17-character base.
fn credit_code(base: &str) -> String {
    let check = credit_code_check_char(base.as_bytes()).map_or('0', char::from);
    format!("{base}{check}")
}

/// Round half up of `amount × percent / 100`, in fen.
fn tax_of(amount: i64, percent: i64) -> i64 {
    (amount * percent + 50).div_euclid(100)
}

pub(crate) fn render(fonts: FontPair, options: &RenderOptions) -> (GrayImage, Truth) {
    let d = data(options.variant);
    let dpi = options.dpi.max(50) as f32;
    let mut c = Canvas::new(210.0, 297.0, dpi / 25.4, dpi / 72.0, fonts, 255);
    let (label, ink, rule) = (90, 20, 120);
    let (y, m, day) = d.date;
    let date_text = format!("{y}年{m:02}月{day:02}日");
    let buyer_id = d.buyer_id.map(credit_code);
    let seller_id = credit_code(d.seller_id);
    let printed_seller_id = if options.tamper == Tamper::BadSellerTaxId {
        // The next character of the charset: always wrong, always a legal character.
        let charset = shopflow_connectors::tax_id::CREDIT_CODE_CHARSET;
        let last = seller_id.as_bytes()[17];
        let at = charset.iter().position(|&c| c == last).unwrap_or(0);
        format!(
            "{}{}",
            &seller_id[..17],
            char::from(charset[(at + 1) % charset.len()])
        )
    } else {
        seller_id.clone()
    };

    c.text(105.0, 24.0, 20.0, "电子发票（普通发票）", 40, Align::Center);
    c.text(135.0, 17.0, 10.0, "发票号码：", label, Align::Left);
    c.text(157.0, 17.0, 10.0, d.number, ink, Align::Left);
    c.text(135.0, 24.0, 10.0, "开票日期：", label, Align::Left);
    c.text(157.0, 24.0, 10.0, &date_text, ink, Align::Left);

    // Buyer and seller side by side.
    c.hline(10.0, 200.0, 32.0, 0.3, rule);
    for (x, title, name, id) in [
        (
            13.0,
            "购买方信息",
            d.buyer,
            buyer_id.clone().unwrap_or_default(),
        ),
        (108.0, "销售方信息", d.seller, printed_seller_id),
    ] {
        c.text(x, 39.0, 9.0, title, label, Align::Left);
        c.text(x, 47.0, 9.0, "名称：", label, Align::Left);
        c.text(x + 10.0, 47.0, 9.0, name, ink, Align::Left);
        c.text(
            x,
            56.0,
            9.0,
            "统一社会信用代码/纳税人识别号：",
            label,
            Align::Left,
        );
        c.text(x + 50.0, 56.0, 9.0, &id, ink, Align::Left);
    }
    c.vline(105.0, 32.0, 62.0, 0.3, rule);
    c.hline(10.0, 200.0, 62.0, 0.3, rule);

    // The item table: text columns left-aligned, numbers right-aligned.
    let columns: [(&str, f32, Align); 8] = [
        ("项目名称", 13.0, Align::Left),
        ("规格型号", 70.0, Align::Left),
        ("单位", 95.0, Align::Left),
        ("数量", 118.0, Align::Right),
        ("单价", 140.0, Align::Right),
        ("金额", 163.0, Align::Right),
        ("税率/征收率", 181.0, Align::Right),
        ("税额", 198.0, Align::Right),
    ];
    for (title, x, align) in columns {
        c.text(x, 69.0, 9.0, title, label, align);
    }
    let mut row_y = 77.0;
    let (mut amount_sum, mut tax_sum) = (0, 0);
    let mut line_items = Vec::new();
    for l in &d.lines {
        let amount = l.quantity * l.unit_price_fen;
        let tax = tax_of(amount, l.rate_percent);
        amount_sum += amount;
        tax_sum += tax;
        let cells = [
            l.name.to_owned(),
            l.model.to_owned(),
            l.unit.to_owned(),
            l.quantity.to_string(),
            format_fen(l.unit_price_fen),
            format_fen(amount),
            format!("{}%", l.rate_percent),
            format_fen(tax),
        ];
        for ((_, x, align), text) in columns.iter().zip(&cells) {
            c.text(*x, row_y, 9.0, text, ink, *align);
        }
        line_items.push(item(&[
            ("name", l.name.to_owned()),
            ("quantity", l.quantity.to_string()),
            ("unit_price", format_fen(l.unit_price_fen)),
            ("amount", format_fen(amount)),
            ("tax_rate", format!("{}%", l.rate_percent)),
            ("tax", format_fen(tax)),
        ]));
        row_y += 7.0;
    }
    let total = amount_sum + tax_sum;
    let printed_total = if options.tamper == Tamper::WrongTotal {
        total + 1000
    } else {
        total
    };
    let sum_y = row_y + 4.0;
    c.text(13.0, sum_y, 9.0, "合计", label, Align::Left);
    c.text(
        163.0,
        sum_y,
        9.0,
        &format!("¥{}", format_fen(amount_sum)),
        ink,
        Align::Right,
    );
    c.text(
        198.0,
        sum_y,
        9.0,
        &format!("¥{}", format_fen(tax_sum)),
        ink,
        Align::Right,
    );
    c.hline(10.0, 200.0, sum_y + 4.0, 0.3, rule);
    let words_y = sum_y + 12.0;
    c.text(13.0, words_y, 9.0, "价税合计（大写）", label, Align::Left);
    c.text(
        55.0,
        words_y,
        9.0,
        &yuan_in_words(printed_total),
        ink,
        Align::Left,
    );
    c.text(145.0, words_y, 9.0, "（小写）", label, Align::Left);
    c.text(
        160.0,
        words_y,
        9.0,
        &format!("¥{}", format_fen(printed_total)),
        ink,
        Align::Left,
    );
    c.hline(10.0, 200.0, words_y + 4.0, 0.3, rule);
    c.text(13.0, words_y + 13.0, 9.0, "备注", label, Align::Left);
    c.text(
        30.0,
        words_y + 13.0,
        9.0,
        "合同编号：HT2025-031",
        ink,
        Align::Left,
    );
    c.hline(10.0, 200.0, words_y + 18.0, 0.3, rule);
    c.vline(10.0, 32.0, words_y + 18.0, 0.3, rule);
    c.vline(200.0, 32.0, words_y + 18.0, 0.3, rule);
    c.text(13.0, words_y + 27.0, 9.0, "开票人：", label, Align::Left);
    c.text(28.0, words_y + 27.0, 9.0, d.issuer, ink, Align::Left);

    let date_iso = format!("{y}-{m:02}-{day:02}");
    let (amount, tax, total) = (
        format_fen(amount_sum),
        format_fen(tax_sum),
        format_fen(total),
    );
    let mut f = fields(&[
        ("invoice_number", d.number),
        ("issue_date", &date_iso),
        ("buyer_name", d.buyer),
        ("seller_name", d.seller),
        ("seller_tax_id", &seller_id),
        ("amount", &amount),
        ("tax", &tax),
        ("total", &total),
        ("currency", "CNY"),
    ]);
    if let Some(id) = buyer_id {
        f.insert("buyer_tax_id".into(), id);
    }
    (
        c.image,
        Truth {
            layout: Layout::Fapiao,
            fields: f,
            line_items,
        },
    )
}

#[cfg(test)]
mod tests {
    use shopflow_connectors::tax_id::is_valid_credit_code;

    use super::*;

    #[test]
    fn the_made_up_tax_ids_validate() {
        for v in 0..VARIANTS {
            let d = data(v);
            for base in d.buyer_id.into_iter().chain([d.seller_id]) {
                assert_eq!(base.len(), 17, "{base}");
                assert!(is_valid_credit_code(&credit_code(base)), "{base}");
            }
        }
    }
}
