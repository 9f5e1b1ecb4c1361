//! What a voucher says: the request a flow passes to `voucher.issue`, its checks, the public
//! record behind the link, and the printed page.

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::sheet::{A4, Sheet, Weight, text_width, wrap};

/// The most items one voucher lists.
pub const MAX_ITEMS: usize = 50;

/// `with:` of `voucher.issue`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    /// The return authorisation number; derived from the step when absent.
    #[serde(default)]
    pub rma: Option<String>,
    /// The shop's name as buyers know it.
    pub shop: String,
    /// The platform the order was placed on (`taobao`, `jd`, …), shown for reference.
    #[serde(default)]
    pub platform: Option<String>,
    /// The platform's order id.
    pub order_id: String,
    /// The platform's refund / after-sale id.
    #[serde(default)]
    pub refund_id: Option<String>,
    /// What is coming back.
    pub items: Vec<Item>,
    /// Where it goes (as `platform.return.addresses` gives it).
    pub return_address: ReturnAddress,
    /// The last day (`2026-12-02`) or moment (RFC 3339) to send the goods.
    pub deadline: String,
    /// Extra lines under the standard instructions.
    #[serde(default)]
    pub instructions: Vec<String>,
}

/// A returned item.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    /// Product name.
    pub name: String,
    /// The shop's SKU or model, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    /// How many (default 1).
    #[serde(default = "one")]
    pub quantity: u32,
}

fn one() -> u32 {
    1
}

/// The shop's return address.
#[derive(Debug, Clone, Deserialize)]
pub struct ReturnAddress {
    /// Who receives the parcel (a team or a person).
    #[serde(default)]
    pub contact: String,
    /// Their phone.
    #[serde(default)]
    pub phone: String,
    /// The full address, region first (`浙江省 杭州市 余杭区 …`).
    pub address: String,
    /// Postcode, if any.
    #[serde(default)]
    pub postcode: Option<String>,
}

/// The voucher's public record: what the link shows to anyone holding it. No contact names,
/// phones or street addresses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Record format.
    pub v: u32,
    /// Return authorisation number.
    pub rma: String,
    /// Shop name.
    pub shop: String,
    /// Platform.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// Order id.
    pub order_id: String,
    /// Refund id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_id: Option<String>,
    /// Items and quantities.
    pub items: Vec<RecordItem>,
    /// Province / city / district of the return address.
    pub return_region: String,
    /// As given.
    pub deadline: String,
}

/// An item as the public record shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordItem {
    /// Product name.
    pub name: String,
    /// How many.
    pub quantity: u32,
}

/// A deadline read from the request.
#[derive(Debug, Clone, Copy)]
pub enum Deadline {
    /// The end of this day (in the shop's time, UTC+8 when nothing else is known).
    Day(NaiveDate),
    /// This moment.
    Moment(DateTime<FixedOffset>),
}

impl Deadline {
    /// Reads `2026-12-02` or an RFC 3339 timestamp.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(Deadline::Day)
            .ok()
            .or_else(|| {
                DateTime::parse_from_rfc3339(text)
                    .ok()
                    .map(Deadline::Moment)
            })
    }

    /// As printed: `2026-12-02` or `2026-12-02 18:00 (UTC+08:00)`.
    pub fn display(&self) -> String {
        match self {
            Deadline::Day(d) => d.format("%Y-%m-%d").to_string(),
            Deadline::Moment(m) => format!("{} (UTC{})", m.format("%Y-%m-%d %H:%M"), m.offset()),
        }
    }

    /// Whether the deadline is over at `now_ms` (ms since the epoch); a day ends at midnight UTC+8.
    pub fn passed(&self, now_ms: i64) -> bool {
        let end_ms = match self {
            Deadline::Day(d) => d
                .succ_opt()
                .and_then(|next| next.and_hms_opt(0, 0, 0))
                .map(|t| t.and_utc().timestamp_millis() - 8 * 3600 * 1000)
                .unwrap_or(i64::MAX),
            Deadline::Moment(m) => m.timestamp_millis(),
        };
        now_ms >= end_ms
    }
}

/// The region part of an address: its first three space-separated parts when they end like
/// Chinese divisions (省 市 区 县 州 盟 旗), else the first part.
pub fn region(address: &str) -> String {
    let parts: Vec<&str> = address.split_whitespace().collect();
    let divisions: Vec<&str> = parts
        .iter()
        .take(3)
        .take_while(|p| {
            ["省", "市", "区", "县", "州", "盟", "旗", "自治区"]
                .iter()
                .any(|s| p.ends_with(s))
        })
        .copied()
        .collect();
    if divisions.is_empty() {
        parts.first().map(|p| (*p).to_owned()).unwrap_or_default()
    } else {
        divisions.join(" ")
    }
}

impl Request {
    /// Reads `with:`; the error says which argument is wrong and how to fix it.
    pub fn from_args(args: Value) -> Result<Self, String> {
        let req: Request = serde_json::from_value(args).map_err(|e| {
            format!(
                "`voucher.issue` arguments: {e}; give `shop`, `order_id`, `items: [{{name, quantity}}]`, `return_address: {{contact, phone, address}}` and `deadline`"
            )
        })?;
        req.check()?;
        Ok(req)
    }

    fn check(&self) -> Result<(), String> {
        let nonempty = |name: &str, v: &str| -> Result<(), String> {
            if v.trim().is_empty() {
                Err(format!("`{name}` is empty"))
            } else if v.chars().count() > 200 {
                Err(format!("`{name}` is longer than 200 characters"))
            } else {
                Ok(())
            }
        };
        nonempty("shop", &self.shop)?;
        nonempty("order_id", &self.order_id)?;
        nonempty("return_address.address", &self.return_address.address)?;
        if let Some(rma) = &self.rma
            && (rma.is_empty()
                || rma.len() > 32
                || !rma.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        {
            return Err(format!(
                "`rma` `{rma}` must be 1–32 letters, digits or `-` (leave it out to have one made)"
            ));
        }
        if self.items.is_empty() || self.items.len() > MAX_ITEMS {
            return Err(format!(
                "`items` has {} entries; a voucher lists 1 to {MAX_ITEMS}",
                self.items.len()
            ));
        }
        for (i, item) in self.items.iter().enumerate() {
            nonempty(&format!("items[{i}].name"), &item.name)?;
            if item.quantity == 0 {
                return Err(format!("`items[{i}].quantity` is 0"));
            }
        }
        if Deadline::parse(&self.deadline).is_none() {
            return Err(format!(
                "`deadline` `{}` is not a date (`2026-12-02`) or an RFC 3339 time (`2026-12-02T18:00:00+08:00`)",
                self.deadline
            ));
        }
        if self.instructions.len() > 10 {
            return Err("`instructions` has more than 10 lines".into());
        }
        Ok(())
    }

    /// The public record for `rma`.
    pub fn record(&self, rma: &str) -> Record {
        Record {
            v: 1,
            rma: rma.to_owned(),
            shop: self.shop.trim().to_owned(),
            platform: self.platform.clone(),
            order_id: self.order_id.trim().to_owned(),
            refund_id: self.refund_id.clone(),
            items: self
                .items
                .iter()
                .map(|i| RecordItem {
                    name: i.name.trim().to_owned(),
                    quantity: i.quantity,
                })
                .collect(),
            return_region: region(&self.return_address.address),
            deadline: self.deadline.trim().to_owned(),
        }
    }
}

/// The standard instructions, Chinese then English.
pub const INSTRUCTIONS: [(&str, &str); 4] = [
    (
        "请打印本凭证，随商品一同放入包裹。",
        "Print this voucher and put it in the parcel with the goods.",
    ),
    (
        "请在截止时间前寄出，并在平台订单中填写快递单号。",
        "Ship before the deadline and enter the tracking number on the platform's order page.",
    ),
    (
        "商品、配件、赠品和包装请保持完整。",
        "Return the goods complete with accessories, gifts and packaging.",
    ),
    (
        "请勿使用到付；运费按平台规则处理。",
        "Do not send cash on delivery; shipping costs follow the platform's rules.",
    ),
];

/// Lays out the voucher: title, RMA, QR code of `link`, order, items, return address,
/// deadline, instructions.
pub fn layout(req: &Request, rma: &str, link: &str) -> Result<Sheet, String> {
    let mut s = Sheet::new();
    let (w, _) = A4;
    let left = 48.0;
    let right = w - 48.0;
    let deadline = Deadline::parse(&req.deadline)
        .map(|d| d.display())
        .unwrap_or_else(|| req.deadline.clone());

    s.text(left, 70.0, 22.0, Weight::Bold, "退货凭证  Return Voucher");
    let shop_line = match &req.platform {
        Some(p) => format!("{} · {}", req.shop.trim(), p),
        None => req.shop.trim().to_owned(),
    };
    s.text(left, 96.0, 11.0, Weight::Regular, &shop_line);
    s.text(left, 132.0, 10.0, Weight::Regular, "退货编号 RMA");
    s.text(left, 156.0, 20.0, Weight::Bold, rma);
    s.text(left, 186.0, 10.0, Weight::Regular, "寄回截止 Return by");
    s.text(left, 206.0, 14.0, Weight::Bold, &deadline);
    let qr_size = 130.0;
    s.qr(right - qr_size, 40.0, qr_size, link.as_bytes())
        .map_err(|e| format!("the link does not fit a QR code: {e}"))?;
    s.text(
        right - qr_size + 12.0,
        40.0 + qr_size + 4.0,
        7.5,
        Weight::Regular,
        "扫码验证 Scan to verify",
    );

    let mut y = 236.0;
    s.line((left, y), (right, y), 0.6);
    y += 22.0;
    s.text(left, y, 10.0, Weight::Regular, "订单号 Order");
    s.text(left + 110.0, y, 10.0, Weight::Bold, req.order_id.trim());
    if let Some(refund) = &req.refund_id {
        y += 17.0;
        s.text(left, y, 10.0, Weight::Regular, "售后单号 Refund");
        s.text(left + 110.0, y, 10.0, Weight::Bold, refund);
    }

    y += 28.0;
    s.text(left, y, 12.0, Weight::Bold, "退回商品  Items");
    y += 8.0;
    s.fill(left, y, right - left, 18.0, 235);
    s.text(left + 6.0, y + 13.0, 9.0, Weight::Bold, "商品 Item");
    s.text(right - 150.0, y + 13.0, 9.0, Weight::Bold, "规格 SKU");
    s.text(right - 40.0, y + 13.0, 9.0, Weight::Bold, "数量 Qty");
    y += 18.0;
    for item in &req.items {
        let lines = wrap(item.name.trim(), right - 160.0 - left, 10.0);
        let first = y + 14.0;
        for (i, l) in lines.iter().enumerate() {
            s.text(
                left + 6.0,
                first + i as f32 * 14.0,
                10.0,
                Weight::Regular,
                l,
            );
        }
        if let Some(sku) = &item.sku {
            let sku: String = sku.chars().take(18).collect();
            s.text(right - 150.0, first, 9.0, Weight::Regular, &sku);
        }
        let qty = item.quantity.to_string();
        s.text(
            right - 12.0 - text_width(&qty, 10.0),
            first,
            10.0,
            Weight::Regular,
            &qty,
        );
        y = first + (lines.len().max(1) as f32 - 1.0) * 14.0 + 6.0;
        s.line((left, y), (right, y), 0.3);
    }

    y += 30.0;
    s.text(left, y, 12.0, Weight::Bold, "退货地址  Return address");
    y += 20.0;
    let a = &req.return_address;
    let who = [a.contact.trim(), a.phone.trim()]
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("  ");
    if !who.is_empty() {
        s.text(left, y, 11.0, Weight::Regular, &who);
        y += 17.0;
    }
    y = s.paragraph(
        left,
        y,
        right - left,
        11.0,
        Weight::Regular,
        a.address.trim(),
    );
    if let Some(pc) = a.postcode.as_deref().filter(|p| !p.trim().is_empty()) {
        s.text(
            left,
            y,
            10.0,
            Weight::Regular,
            &format!("邮编 Postcode {}", pc.trim()),
        );
        y += 16.0;
    }

    y += 18.0;
    s.text(left, y, 12.0, Weight::Bold, "说明  Instructions");
    y += 20.0;
    let mut n = 0;
    for (zh, en) in INSTRUCTIONS {
        n += 1;
        y = s.paragraph(
            left,
            y,
            right - left,
            10.0,
            Weight::Regular,
            &format!("{n}. {zh}"),
        );
        y = s.paragraph(
            left + 14.0,
            y,
            right - left - 14.0,
            9.0,
            Weight::Regular,
            en,
        );
        y += 4.0;
    }
    for extra in &req.instructions {
        n += 1;
        y = s.paragraph(
            left,
            y,
            right - left,
            10.0,
            Weight::Regular,
            &format!("{n}. {}", extra.trim()),
        );
        y += 4.0;
    }

    let footer = A4.1 - 40.0;
    s.line((left, footer - 16.0), (right, footer - 16.0), 0.3);
    s.paragraph(
        left,
        footer,
        right - left,
        7.5,
        Weight::Regular,
        &format!("验证 Verify: {link}"),
    );
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_and_deadlines() {
        assert_eq!(
            region("浙江省 杭州市 余杭区 仓前街道 文一西路 1001 号"),
            "浙江省 杭州市 余杭区"
        );
        assert_eq!(region("上海市 浦东新区 张江路 88 号"), "上海市 浦东新区");
        assert_eq!(region("221B Baker Street, London"), "221B");
        let day = Deadline::parse("2026-12-02").unwrap();
        assert_eq!(day.display(), "2026-12-02");
        // 2026-12-02 23:59 in UTC+8 is 15:59 UTC: not yet over; 16:00 UTC is.
        let before = DateTime::parse_from_rfc3339("2026-12-02T15:59:00Z").unwrap();
        let after = DateTime::parse_from_rfc3339("2026-12-02T16:00:00Z").unwrap();
        assert!(!day.passed(before.timestamp_millis()));
        assert!(day.passed(after.timestamp_millis()));
        let moment = Deadline::parse("2026-12-02T18:00:00+08:00").unwrap();
        assert_eq!(moment.display(), "2026-12-02 18:00 (UTC+08:00)");
        assert!(Deadline::parse("next Tuesday").is_none());
    }
}
