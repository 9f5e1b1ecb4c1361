//! What the demo's shops sell and what their buyers say: products with SKUs and prices (some
//! perishable, some custom-made, some dear enough for a person to look at), refund reasons,
//! companies asking for invoices, and the held-out ticket texts.

use shopflow_connectors::tax_id::{credit_code_check_char, org_code_check_char};

/// A product on sale.
#[derive(Debug, Clone, Copy)]
pub struct Product {
    /// Title as listed.
    pub title: &'static str,
    /// The seller's SKU code (`FRESH-` perishable, `CUSTOM-` made to order).
    pub sku: &'static str,
    /// Unit price in fen.
    pub price_fen: i64,
}

/// The Chinese shops' catalogue.
pub const PRODUCTS: &[Product] = &[
    Product {
        title: "纯棉短袖T恤 白色 L",
        sku: "TEE-WHT-L",
        price_fen: 7_900,
    },
    Product {
        title: "不锈钢保温杯 500ml",
        sku: "CUP-500",
        price_fen: 5_900,
    },
    Product {
        title: "无线蓝牙耳机 降噪版",
        sku: "EAR-ANC",
        price_fen: 29_900,
    },
    Product {
        title: "羊毛围巾 灰色",
        sku: "SCARF-GRY",
        price_fen: 15_900,
    },
    Product {
        title: "儿童绘本套装（10册）",
        sku: "BOOK-KIDS10",
        price_fen: 12_800,
    },
    Product {
        title: "机械键盘 青轴",
        sku: "KB-BLUE",
        price_fen: 34_900,
    },
    Product {
        title: "智能手表 运动版",
        sku: "WATCH-S",
        price_fen: 89_900,
    },
    Product {
        title: "阳澄湖大闸蟹 礼盒 8只",
        sku: "FRESH-CRAB8",
        price_fen: 38_800,
    },
    Product {
        title: "定制刻字钢笔",
        sku: "CUSTOM-PEN",
        price_fen: 21_900,
    },
    Product {
        title: "瑜伽垫 加厚 10mm",
        sku: "YOGA-10",
        price_fen: 8_900,
    },
    Product {
        title: "陶瓷餐具 四件套",
        sku: "DISH-4",
        price_fen: 13_800,
    },
    Product {
        title: "空气炸锅 4.5L",
        sku: "FRYER-45",
        price_fen: 45_900,
    },
];

/// Reasons buyers give for a return (a few are quality claims).
pub const RETURN_REASONS: &[&str] = &[
    "七天无理由退货",
    "尺码不合适",
    "不想要了",
    "颜色和图片有差异",
    "买多了",
    "收到商品破损",
    "质量问题，用了一天就坏了",
    "发错货了",
];

/// Reasons for a refund before shipment.
pub const REFUND_REASONS: &[&str] = &["拍错了", "不想要了", "地址填错了", "找到更便宜的了"];

/// Companies that ask for invoices.
pub const COMPANIES: &[&str] = &[
    "杭州青禾贸易有限公司",
    "上海悦家电子商务有限公司",
    "深圳市云帆科技有限公司",
    "北京晨曦文化传媒有限公司",
    "成都蜀锦餐饮管理有限公司",
    "南京和光建筑设计有限公司",
];

/// People who ask for invoices in their own name.
pub const PERSONS: &[&str] = &["王芳", "李娜", "张伟", "刘洋", "陈静", "杨磊"];

/// The held-out ticket examples (never used to train the shipped model).
pub fn ticket_texts() -> Vec<String> {
    include_str!("../../../workflows/data/tickets/test.jsonl")
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter_map(|v| v.get("text").and_then(|t| t.as_str()).map(str::to_owned))
        .collect()
}

/// A unified social credit code (GB 32100) that passes both check characters, made from
/// `n`: `91` (enterprise), a Hangzhou region code, an organisation code and the checks.
pub fn credit_code(n: u64) -> String {
    let body = format!("{:08}", n % 100_000_000);
    let Some(org_check) = org_code_check_char(body.as_bytes()) else {
        return String::new();
    };
    let first17 = format!("91330106{body}{}", org_check as char);
    match credit_code_check_char(first17.as_bytes()) {
        Some(check) => format!("{first17}{}", check as char),
        None => String::new(),
    }
}

/// `code` with its last character changed, so the checksum fails (a buyer's typo).
pub fn mistyped(code: &str) -> String {
    let mut chars: Vec<char> = code.chars().collect();
    if let Some(last) = chars.last_mut() {
        *last = if *last == '1' { '2' } else { '1' };
    }
    chars.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use shopflow_connectors::tax_id::is_valid_credit_code;

    #[test]
    fn generated_codes_pass_and_mistyped_ones_fail() {
        for n in [0, 1, 4242, 99_999_999] {
            let code = credit_code(n);
            assert_eq!(code.len(), 18, "{code}");
            assert!(is_valid_credit_code(&code), "{code}");
            assert!(!is_valid_credit_code(&mistyped(&code)), "{code}");
        }
        assert!(ticket_texts().len() >= 200);
    }
}
