//! The printed 数电票: title, number and date top right, buyer and seller side by side, the
//! item table (项目名称 … 税额), 合计, 价税合计 in words and figures, 备注 and 开票人 — the
//! layout `ocr.invoice` reads back. Lines that do not fit continue on further pages, each with
//! the number and the table header; the totals close the last page.

use shopflow_connectors::money::format_fen;
use shopflow_voucher::sheet::{Sheet, Weight, text_width, wrap};

use crate::render::{Invoice, PrintedLine};
use crate::words::in_words;

/// Millimetres to points.
fn mm(v: f32) -> f32 {
    v * 72.0 / 25.4
}

/// Grey is not available; labels and values differ by weight only.
const LABEL: Weight = Weight::Regular;
const VALUE: Weight = Weight::Regular;
/// Body text size in points.
const BODY: f32 = 9.0;
/// Table rows: one per line, names wrap at this line height (mm).
const ROW: f32 = 7.0;
const WRAPPED: f32 = 4.5;
/// Rows stop here on a page (mm from the top).
const ROWS_END: f32 = 272.0;
/// The page's usable bottom (mm).
const PAGE_END: f32 = 287.0;

/// A table column: title, x (mm), right-aligned, width available (mm).
struct Column {
    title: &'static str,
    x: f32,
    right: bool,
    width: f32,
}

const COLUMNS: [Column; 8] = [
    Column {
        title: "项目名称",
        x: 13.0,
        right: false,
        width: 55.0,
    },
    Column {
        title: "规格型号",
        x: 70.0,
        right: false,
        width: 23.0,
    },
    Column {
        title: "单位",
        x: 95.0,
        right: false,
        width: 10.0,
    },
    Column {
        title: "数量",
        x: 118.0,
        right: true,
        width: 12.0,
    },
    Column {
        title: "单价",
        x: 140.0,
        right: true,
        width: 20.0,
    },
    Column {
        title: "金额",
        x: 163.0,
        right: true,
        width: 21.0,
    },
    Column {
        title: "税率/征收率",
        x: 181.0,
        right: true,
        width: 16.0,
    },
    Column {
        title: "税额",
        x: 198.0,
        right: true,
        width: 14.0,
    },
];

/// The width of `t` at `size` points: Noto Sans CJK SC's advances for the characters of
/// figures (measured with `pdftotext -bbox`, so right-aligned columns line up), the sheet's
/// estimate for the rest.
fn width(t: &str, size: f32) -> f32 {
    t.chars()
        .map(|c| match c {
            '0'..='9' => 0.5456 * size,
            '.' => 0.316 * size,
            '%' => 0.94 * size,
            '¥' => 0.564 * size,
            other => text_width(other.encode_utf8(&mut [0; 4]), size),
        })
        .sum()
}

/// `size`, or smaller so that `text` fits `width` mm (never below 5 pt).
fn fit(text: &str, size: f32, width: f32) -> f32 {
    let w = self::width(text, size);
    if w <= mm(width) {
        size
    } else {
        (size * mm(width) / w).max(5.0)
    }
}

/// Text at (`x`, `y`) mm, left-aligned, shrunk to fit `width` mm.
fn text(s: &mut Sheet, x: f32, y: f32, size: f32, weight: Weight, t: &str, width: f32) {
    s.text(mm(x), mm(y), fit(t, size, width), weight, t);
}

/// Text ending at `right` mm, shrunk to fit `width` mm.
fn text_right(s: &mut Sheet, right: f32, y: f32, size: f32, weight: Weight, t: &str, width: f32) {
    let size = fit(t, size, width);
    s.text(mm(right) - self::width(t, size), mm(y), size, weight, t);
}

fn hline(s: &mut Sheet, y: f32) {
    s.line((mm(10.0), mm(y)), (mm(200.0), mm(y)), 0.6);
}

fn vline(s: &mut Sheet, x: f32, from: f32, to: f32) {
    s.line((mm(x), mm(from)), (mm(x), mm(to)), 0.6);
}

/// The cells of a line, in column order.
fn cells(l: &PrintedLine) -> [String; 8] {
    [
        l.name.clone(),
        l.model.clone().unwrap_or_default(),
        l.unit.clone().unwrap_or_default(),
        l.quantity.map(|q| q.display(0)).unwrap_or_default(),
        l.unit_price.map(|p| p.display(2)).unwrap_or_default(),
        format_fen(l.amount),
        l.rate.display(),
        format_fen(l.tax),
    ]
}

/// The name of a line cut to the name column.
fn name_lines(l: &PrintedLine) -> Vec<String> {
    wrap(&l.name, mm(COLUMNS[0].width), BODY)
}

/// Which lines go on which page: ranges of line indices, and whether the totals need a page
/// of their own.
fn paginate(inv: &Invoice) -> (Vec<std::ops::Range<usize>>, bool) {
    let mut pages = Vec::new();
    let mut start = 0;
    let mut y = rows_top(true);
    for (i, l) in inv.request.lines.iter().enumerate() {
        let h = ROW + (name_lines(l).len().max(1) as f32 - 1.0) * WRAPPED;
        if y + h > ROWS_END && i > start {
            pages.push(start..i);
            start = i;
            y = rows_top(false);
        }
        y += h;
    }
    pages.push(start..inv.request.lines.len());
    let bottom = y - ROW + 3.0;
    (pages, bottom + totals_height(inv) > PAGE_END)
}

/// What the totals, remarks and issuer need below the last row (mm).
fn totals_height(inv: &Invoice) -> f32 {
    40.0 + remark_lines(inv).len() as f32 * WRAPPED
}

/// 备注: the order id, then the flow's remarks (unless they name the order themselves), cut
/// to the column.
fn remark_lines(inv: &Invoice) -> Vec<String> {
    let r = &inv.request;
    let remarks = match &r.remarks {
        // Remarks that already name the order are printed as they are.
        Some(more) if more.contains(&r.order_id) => more.clone(),
        Some(more) => format!("订单号：{}\n{more}", r.order_id),
        None => format!("订单号：{}", r.order_id),
    };
    wrap(&remarks, mm(166.0), BODY)
}

/// Where the table's first row is (mm): below the parties on the first page.
fn rows_top(first: bool) -> f32 {
    if first { 77.0 } else { 47.0 }
}

/// Lays the invoice out on one or more A4 pages.
pub fn layout(inv: &Invoice) -> Vec<Sheet> {
    let (ranges, totals_alone) = paginate(inv);
    let count = ranges.len() + usize::from(totals_alone);
    let mut pages = Vec::with_capacity(count);
    for (p, range) in ranges.iter().enumerate() {
        let mut s = Sheet::new();
        let first = p == 0;
        header(&mut s, inv, first);
        let y = table(&mut s, inv, range.clone(), first);
        let last = p + 1 == ranges.len();
        if last && !totals_alone {
            totals(&mut s, inv, y);
        } else {
            vline(&mut s, 10.0, 32.0, y);
            vline(&mut s, 200.0, 32.0, y);
            hline(&mut s, y);
        }
        footer(&mut s, p + 1, count);
        pages.push(s);
    }
    if totals_alone {
        let mut s = Sheet::new();
        header(&mut s, inv, false);
        hline(&mut s, 32.0);
        totals(&mut s, inv, 36.0);
        footer(&mut s, count, count);
        pages.push(s);
    }
    pages
}

/// Title, number and date; the parties on the first page.
fn header(s: &mut Sheet, inv: &Invoice, first: bool) {
    // Centred left of the number and date, so the three never touch.
    let title = inv.request.kind.title();
    let size = fit(title, 18.0, 62.0);
    s.text(
        mm(98.0) - width(title, size) / 2.0,
        mm(24.0),
        size,
        Weight::Bold,
        title,
    );
    text(s, 135.0, 17.0, 10.0, LABEL, "发票号码：", 22.0);
    text(s, 157.0, 17.0, 10.0, VALUE, &inv.number, 43.0);
    text(s, 135.0, 24.0, 10.0, LABEL, "开票日期：", 22.0);
    let date = inv.issue_date.format("%Y年%m月%d日").to_string();
    text(s, 157.0, 24.0, 10.0, VALUE, &date, 43.0);
    if !first {
        return;
    }
    hline(s, 32.0);
    let r = &inv.request;
    for (x, title, name, id) in [
        (13.0, "购买方信息", &r.buyer.name, &r.buyer.tax_id),
        (108.0, "销售方信息", &r.seller.name, &r.seller.tax_id),
    ] {
        text(s, x, 39.0, BODY, Weight::Bold, title, 40.0);
        text(s, x, 47.0, BODY, LABEL, "名称：", 10.0);
        text(s, x + 10.0, 47.0, BODY, VALUE, name, 80.0);
        text(
            s,
            x,
            56.0,
            BODY,
            LABEL,
            "统一社会信用代码/纳税人识别号：",
            50.0,
        );
        if let Some(id) = id {
            text(s, x + 50.0, 56.0, BODY, VALUE, id, 40.0);
        }
    }
    vline(s, 105.0, 32.0, 62.0);
}

/// The table header and the rows of `range`; returns the y (mm) under the last row.
fn table(s: &mut Sheet, inv: &Invoice, range: std::ops::Range<usize>, first: bool) -> f32 {
    let top = rows_top(first) - 15.0;
    hline(s, top);
    for c in &COLUMNS {
        if c.right {
            text_right(s, c.x, top + 7.0, BODY, LABEL, c.title, 20.0);
        } else {
            text(s, c.x, top + 7.0, BODY, LABEL, c.title, c.width);
        }
    }
    let mut y = rows_top(first);
    let mut bottom = y;
    for l in &inv.request.lines[range] {
        let cells = cells(l);
        let names = name_lines(l);
        for (i, part) in names.iter().enumerate() {
            text(
                s,
                COLUMNS[0].x,
                y + i as f32 * WRAPPED,
                BODY,
                VALUE,
                part,
                COLUMNS[0].width,
            );
        }
        for (c, cell) in COLUMNS.iter().zip(&cells).skip(1) {
            if c.right {
                text_right(s, c.x, y, BODY, VALUE, cell, c.width);
            } else {
                text(s, c.x, y, BODY, VALUE, cell, c.width);
            }
        }
        let extra = (names.len().max(1) as f32 - 1.0) * WRAPPED;
        bottom = y + extra + 3.0;
        y += ROW + extra;
    }
    bottom
}

/// 合计, 价税合计, 备注 and 开票人 under `y` (mm).
fn totals(s: &mut Sheet, inv: &Invoice, y: f32) {
    let r = &inv.request;
    let sum_y = y + 5.0;
    text(s, 13.0, sum_y, BODY, LABEL, "合计", 20.0);
    text_right(
        s,
        163.0,
        sum_y,
        BODY,
        VALUE,
        &format!("¥{}", format_fen(r.amount)),
        30.0,
    );
    text_right(
        s,
        198.0,
        sum_y,
        BODY,
        VALUE,
        &format!("¥{}", format_fen(r.tax)),
        30.0,
    );
    hline(s, sum_y + 4.0);
    let words_y = sum_y + 12.0;
    text(s, 13.0, words_y, BODY, LABEL, "价税合计（大写）", 40.0);
    text(s, 55.0, words_y, BODY, VALUE, &in_words(r.total), 88.0);
    text(s, 145.0, words_y, BODY, LABEL, "（小写）", 15.0);
    text(
        s,
        162.0,
        words_y,
        BODY,
        VALUE,
        &format!("¥{}", format_fen(r.total)),
        37.0,
    );
    hline(s, words_y + 4.0);
    let mut ry = words_y + 13.0;
    text(s, 13.0, ry, BODY, LABEL, "备注", 15.0);
    for line in &remark_lines(inv) {
        text(s, 30.0, ry, BODY, VALUE, line, 168.0);
        ry += WRAPPED;
    }
    let bottom = ry + 0.5;
    hline(s, bottom);
    vline(s, 10.0, 32.0, bottom);
    vline(s, 200.0, 32.0, bottom);
    let issuer_y = bottom + 9.0;
    text(s, 13.0, issuer_y, BODY, LABEL, "开票人：", 15.0);
    text(s, 28.0, issuer_y, BODY, VALUE, &r.issuer, 60.0);
}

/// `第 n 页 共 m 页` when there is more than one page.
fn footer(s: &mut Sheet, page: usize, pages: usize) {
    if pages > 1 {
        let t = format!("第 {page} 页 共 {pages} 页");
        text_right(s, 200.0, PAGE_END + 4.0, 8.0, LABEL, &t, 40.0);
    }
}
