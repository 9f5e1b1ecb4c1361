//! An order-detail screenshot of a Chinese shopping app (Taobao, JD or Pinduoduo style): a
//! phone screen 1080 pixels wide with cards on a light grey background.

use image::GrayImage;
use shopflow_connectors::money::format_fen;

use super::canvas::{Align, Canvas, FontPair};
use super::{RenderOptions, Truth, fields, item};
use crate::result::Layout;

/// How many data sets there are.
pub(crate) const VARIANTS: usize = 3;

struct Data {
    status: &'static str,
    shop: &'static str,
    /// `(name, spec, quantity, unit price in fen)`.
    items: [(&'static str, &'static str, i64, i64); 2],
    goods_label: &'static str,
    shipping_label: &'static str,
    discount_fen: i64,
    paid_label: &'static str,
    number_label: &'static str,
    number: &'static str,
    other_label: &'static str,
    other: &'static str,
    time_label: &'static str,
    date: &'static str,
    time: &'static str,
}

fn data(variant: usize) -> Data {
    match variant % VARIANTS {
        0 => Data {
            status: "交易成功",
            shop: "悦家生活旗舰店",
            items: [
                ("不锈钢保温杯500ml大容量", "颜色分类：白色", 2, 4642),
                ("家用抽纸3层120抽", "规格：整箱", 5, 1280),
            ],
            goods_label: "商品总价",
            shipping_label: "运费（快递）",
            discount_fen: 500,
            paid_label: "实付款",
            number_label: "订单编号：",
            number: "3891234567890123456",
            other_label: "支付宝交易号：",
            other: "2025031422001456781234567890",
            time_label: "下单时间：",
            date: "2025-03-14",
            time: "10:22:31",
        },
        1 => Data {
            status: "已完成",
            shop: "京东自营悦家官方旗舰店",
            items: [
                ("无线鼠标M330静音版", "颜色：黑色", 1, 5900),
                ("机械键盘K835", "轴体：红轴", 1, 22900),
            ],
            goods_label: "商品总额",
            shipping_label: "运费",
            discount_fen: 2000,
            paid_label: "实付款",
            number_label: "订单号：",
            number: "289123456789",
            other_label: "支付方式：",
            other: "在线支付",
            time_label: "下单时间：",
            date: "2025-06-02",
            time: "21:05:47",
        },
        _ => Data {
            status: "已签收",
            shop: "悦家家居专营店",
            items: [
                ("加厚垃圾袋100只装", "尺寸：45x50cm", 3, 990),
                ("厨房湿巾80抽", "规格：单包", 2, 1250),
            ],
            goods_label: "商品总价",
            shipping_label: "运费",
            discount_fen: 0,
            paid_label: "实付",
            number_label: "订单编号：",
            number: "250314-123456789012345",
            other_label: "支付方式：",
            other: "微信支付",
            time_label: "成交时间：",
            date: "2024-12-30",
            time: "08:15:02",
        },
    }
}

pub(crate) fn render(fonts: FontPair, options: &RenderOptions) -> (GrayImage, Truth) {
    let d = data(options.variant);
    let mut c = Canvas::new(1080.0, 1900.0, 1.0, 1.0, fonts, 242);
    let (ink, grey, price) = (30, 120, 70);
    c.fill(0.0, 0.0, 1080.0, 150.0, 255);
    c.text(540.0, 110.0, 44.0, "订单详情", ink, Align::Center);
    c.text(40.0, 250.0, 48.0, d.status, ink, Align::Left);

    c.fill(20.0, 320.0, 1040.0, 480.0, 255);
    c.text(40.0, 390.0, 38.0, d.shop, ink, Align::Left);
    let mut y = 470.0;
    let mut goods = 0;
    let mut line_items = Vec::new();
    for (name, spec, quantity, unit) in d.items {
        c.fill(40.0, y - 40.0, 150.0, 150.0, 215);
        c.text(220.0, y, 36.0, name, ink, Align::Left);
        c.text(
            1040.0,
            y,
            36.0,
            &format!("¥{}", format_fen(unit)),
            ink,
            Align::Right,
        );
        c.text(220.0, y + 60.0, 30.0, spec, grey, Align::Left);
        c.text(
            1040.0,
            y + 60.0,
            30.0,
            &format!("x{quantity}"),
            grey,
            Align::Right,
        );
        goods += quantity * unit;
        line_items.push(item(&[
            ("name", name.to_owned()),
            ("quantity", quantity.to_string()),
            ("unit_price", format_fen(unit)),
            ("amount", format_fen(quantity * unit)),
        ]));
        y += 190.0;
    }

    let paid = goods - d.discount_fen;
    c.fill(20.0, 830.0, 1040.0, 360.0, 255);
    let mut y = 900.0;
    let mut summary = vec![
        (d.goods_label, format!("¥{}", format_fen(goods)), 34.0, ink),
        (d.shipping_label, "¥0.00".to_owned(), 34.0, ink),
    ];
    if d.discount_fen > 0 {
        summary.push((
            "店铺优惠",
            format!("-¥{}", format_fen(d.discount_fen)),
            34.0,
            ink,
        ));
    }
    summary.push((d.paid_label, format!("¥{}", format_fen(paid)), 42.0, price));
    for (label, value, size, shade) in summary {
        c.text(40.0, y, 34.0, label, grey, Align::Left);
        c.text(1040.0, y, size, &value, shade, Align::Right);
        y += 75.0;
    }

    c.fill(20.0, 1220.0, 1040.0, 330.0, 255);
    let info = [
        (d.number_label, d.number.to_owned()),
        (d.other_label, d.other.to_owned()),
        (d.time_label, format!("{} {}", d.date, d.time)),
    ];
    let mut y = 1300.0;
    for (label, value) in info {
        c.text(40.0, y, 32.0, label, grey, Align::Left);
        c.text(
            40.0 + c.text_width(32.0, label) + 8.0,
            y,
            32.0,
            &value,
            ink,
            Align::Left,
        );
        y += 80.0;
    }

    let total = format_fen(paid);
    let f = fields(&[
        ("order_number", d.number),
        ("issue_date", d.date),
        ("seller_name", d.shop),
        ("total", &total),
        ("currency", "CNY"),
    ]);
    (
        c.image,
        Truth {
            layout: Layout::OrderScreenshot,
            fields: f,
            line_items,
        },
    )
}
