//! What a voucher says: the request a flow passes to `voucher.issue`, its checks, the public
//! record behind the link, and the printed page.

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::sheet::{A4, Sheet, Weight, text_width, wrap};

/// The most items one voucher lists (they flow onto further pages).
pub const MAX_ITEMS: usize = 50;
/// The most extra instruction lines.
pub const MAX_INSTRUCTIONS: usize = 10;
/// The most characters of one extra instruction.
pub const MAX_INSTRUCTION: usize = 300;
/// The most characters of the shop's name (it shares the top of the page with the QR code).
pub const MAX_SHOP: usize = 60;
/// The most characters of `platform`.
pub const MAX_PLATFORM: usize = 20;
/// The most characters of a postcode.
pub const MAX_POSTCODE: usize = 20;
/// The most characters of the other texts (ids, item names, SKUs, the address, contact and
/// phone).
pub const MAX_TEXT: usize = 200;

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
        let at_most = |name: &str, v: &str, max: usize| -> Result<(), String> {
            if v.chars().count() > max {
                Err(format!("`{name}` is longer than {max} characters"))
            } else {
                Ok(())
            }
        };
        let nonempty = |name: &str, v: &str, max: usize| -> Result<(), String> {
            if v.trim().is_empty() {
                Err(format!("`{name}` is empty"))
            } else {
                at_most(name, v, max)
            }
        };
        nonempty("shop", &self.shop, MAX_SHOP)?;
        nonempty("order_id", &self.order_id, MAX_TEXT)?;
        nonempty(
            "return_address.address",
            &self.return_address.address,
            MAX_TEXT,
        )?;
        at_most(
            "platform",
            self.platform.as_deref().unwrap_or(""),
            MAX_PLATFORM,
        )?;
        at_most(
            "refund_id",
            self.refund_id.as_deref().unwrap_or(""),
            MAX_TEXT,
        )?;
        at_most(
            "return_address.contact",
            &self.return_address.contact,
            MAX_TEXT,
        )?;
        at_most("return_address.phone", &self.return_address.phone, MAX_TEXT)?;
        at_most(
            "return_address.postcode",
            self.return_address.postcode.as_deref().unwrap_or(""),
            MAX_POSTCODE,
        )?;
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
            nonempty(&format!("items[{i}].name"), &item.name, MAX_TEXT)?;
            at_most(
                &format!("items[{i}].sku"),
                item.sku.as_deref().unwrap_or(""),
                MAX_TEXT,
            )?;
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
        if self.instructions.len() > MAX_INSTRUCTIONS {
            return Err(format!(
                "`instructions` has more than {MAX_INSTRUCTIONS} lines"
            ));
        }
        for (i, line) in self.instructions.iter().enumerate() {
            at_most(&format!("instructions[{i}]"), line, MAX_INSTRUCTION)?;
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

/// Left and right margins.
const LEFT: f32 = 48.0;
const RIGHT: f32 = A4.0 - 48.0;
/// The baseline of the footer (the link and the page number).
const FOOTER: f32 = A4.1 - 40.0;
/// Body text ends above this, clear of the footer's rule.
const BODY_BOTTOM: f32 = FOOTER - 28.0;
/// Where the body starts on a continuation page.
const CONTINUED_TOP: f32 = 84.0;

/// The pages being laid out: the current one and where its body has reached.
struct Pages {
    done: Vec<Sheet>,
    sheet: Sheet,
    y: f32,
    rma: String,
}

impl Pages {
    fn new(rma: &str) -> Self {
        Self {
            done: Vec::new(),
            sheet: Sheet::new(),
            y: 0.0,
            rma: rma.to_owned(),
        }
    }

    /// Makes sure `height` points of body fit below `y` on the current page, starting a
    /// continuation page (titled with the RMA) when they do not. True when it started one.
    fn room(&mut self, height: f32) -> bool {
        if self.y + height <= BODY_BOTTOM || self.y <= CONTINUED_TOP {
            return false;
        }
        let full = std::mem::take(&mut self.sheet);
        self.done.push(full);
        self.sheet.text(
            LEFT,
            50.0,
            11.0,
            Weight::Bold,
            &format!("退货凭证 Return Voucher  {}  (续 continued)", self.rma),
        );
        self.sheet.line((LEFT, 62.0), (RIGHT, 62.0), 0.6);
        self.y = CONTINUED_TOP;
        true
    }

    /// Height of `text` as a paragraph `width` wide at `size`.
    fn height(text: &str, width: f32, size: f32) -> f32 {
        wrap(text, width, size).len() as f32 * size * 1.45
    }

    /// The pages, each with the verification link and `page/pages` at the bottom.
    fn finish(mut self, link: &str) -> Vec<Sheet> {
        let last = std::mem::take(&mut self.sheet);
        self.done.push(last);
        let count = self.done.len();
        for (i, sheet) in self.done.iter_mut().enumerate() {
            sheet.line((LEFT, FOOTER - 16.0), (RIGHT, FOOTER - 16.0), 0.3);
            sheet.paragraph(
                LEFT,
                FOOTER,
                RIGHT - LEFT - 80.0,
                7.5,
                Weight::Regular,
                &format!("验证 Verify: {link}"),
            );
            let number = format!("页 Page {}/{count}", i + 1);
            sheet.text(
                RIGHT - text_width(&number, 7.5),
                FOOTER,
                7.5,
                Weight::Regular,
                &number,
            );
        }
        self.done
    }
}

/// Lays out the voucher: title, RMA, QR code of `link`, order, items, return address,
/// deadline, instructions; what does not fit the first A4 page flows onto more pages.
pub fn layout(req: &Request, rma: &str, link: &str) -> Result<Vec<Sheet>, String> {
    let mut p = Pages::new(rma);
    let (left, right) = (LEFT, RIGHT);
    let deadline = Deadline::parse(&req.deadline)
        .map(|d| d.display())
        .unwrap_or_else(|| req.deadline.clone());

    let qr_size = 130.0;
    p.sheet
        .text(left, 70.0, 22.0, Weight::Bold, "退货凭证  Return Voucher");
    let shop_line = match &req.platform {
        Some(p) => format!("{} · {}", req.shop.trim(), p.trim()),
        None => req.shop.trim().to_owned(),
    };
    // Two lines at most between the title and the RMA, left of the QR code: a name too long
    // for that at 11 pt is set smaller (the argument limits make it fit at 8.5 pt).
    let shop_width = right - qr_size - 16.0 - left;
    let shop_size = if wrap(&shop_line, shop_width, 11.0).len() <= 2 {
        11.0
    } else {
        8.5
    };
    p.sheet.paragraph(
        left,
        96.0,
        shop_width,
        shop_size,
        Weight::Regular,
        &shop_line,
    );
    p.sheet
        .text(left, 132.0, 10.0, Weight::Regular, "退货编号 RMA");
    p.sheet.text(left, 156.0, 20.0, Weight::Bold, rma);
    p.sheet
        .text(left, 186.0, 10.0, Weight::Regular, "寄回截止 Return by");
    p.sheet.text(left, 206.0, 14.0, Weight::Bold, &deadline);
    p.sheet
        .qr(right - qr_size, 40.0, qr_size, link.as_bytes())
        .map_err(|e| format!("the link does not fit a QR code: {e}"))?;
    p.sheet.text(
        right - qr_size + 12.0,
        40.0 + qr_size + 4.0,
        7.5,
        Weight::Regular,
        "扫码验证 Scan to verify",
    );

    p.y = 236.0;
    p.sheet.line((left, p.y), (right, p.y), 0.6);
    p.y += 22.0;
    let id_width = right - left - 110.0;
    id_row(&mut p, left, id_width, "订单号 Order", req.order_id.trim());
    if let Some(refund) = &req.refund_id {
        p.y += 17.0;
        id_row(&mut p, left, id_width, "售后单号 Refund", refund.trim());
    }

    let name_width = right - 160.0 - left;
    let item_height = |name: &str| wrap(name, name_width, 10.0).len().max(1) as f32 * 14.0 + 6.0;
    p.y += 28.0;
    // The section title, the table's header and the first item stay together.
    p.room(26.0 + item_height(req.items[0].name.trim()));
    items_header(&mut p, "退回商品  Items");
    for item in &req.items {
        let name = item.name.trim();
        if p.room(item_height(name)) {
            items_header(&mut p, "退回商品（续） Items (continued)");
        }
        let lines = wrap(name, name_width, 10.0);
        let first = p.y + 14.0;
        for (i, l) in lines.iter().enumerate() {
            p.sheet.text(
                left + 6.0,
                first + i as f32 * 14.0,
                10.0,
                Weight::Regular,
                l,
            );
        }
        if let Some(sku) = &item.sku {
            let sku: String = sku.chars().take(18).collect();
            p.sheet
                .text(right - 150.0, first, 9.0, Weight::Regular, &sku);
        }
        let qty = item.quantity.to_string();
        p.sheet.text(
            right - 12.0 - text_width(&qty, 10.0),
            first,
            10.0,
            Weight::Regular,
            &qty,
        );
        p.y = first + (lines.len().max(1) as f32 - 1.0) * 14.0 + 6.0;
        p.sheet.line((left, p.y), (right, p.y), 0.3);
    }

    // The return address stays on one page.
    let a = &req.return_address;
    let who = [a.contact.trim(), a.phone.trim()]
        .into_iter()
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("  ");
    let postcode = a
        .postcode
        .as_deref()
        .map(str::trim)
        .filter(|pc| !pc.is_empty());
    let address_height = 30.0
        + 20.0
        + Pages::height(&who, right - left, 11.0) * f32::from(u8::from(!who.is_empty()))
        + Pages::height(a.address.trim(), right - left, 11.0)
        + if postcode.is_some() { 16.0 } else { 0.0 };
    p.room(address_height);
    p.y += 30.0;
    p.sheet
        .text(left, p.y, 12.0, Weight::Bold, "退货地址  Return address");
    p.y += 20.0;
    if !who.is_empty() {
        p.y = p
            .sheet
            .paragraph(left, p.y, right - left, 11.0, Weight::Regular, &who);
    }
    p.y = p.sheet.paragraph(
        left,
        p.y,
        right - left,
        11.0,
        Weight::Regular,
        a.address.trim(),
    );
    if let Some(pc) = postcode {
        p.sheet.text(
            left,
            p.y,
            10.0,
            Weight::Regular,
            &format!("邮编 Postcode {pc}"),
        );
        p.y += 16.0;
    }

    let mut numbered: Vec<(String, Option<&str>)> = INSTRUCTIONS
        .iter()
        .enumerate()
        .map(|(i, (zh, en))| (format!("{}. {zh}", i + 1), Some(*en)))
        .collect();
    for extra in &req.instructions {
        numbered.push((format!("{}. {}", numbered.len() + 1, extra.trim()), None));
    }
    let instruction_height = |(zh, en): &(String, Option<&str>)| {
        Pages::height(zh, right - left, 10.0)
            + en.map_or(0.0, |en| Pages::height(en, right - left - 14.0, 9.0))
            + 4.0
    };
    // The title stays with the first instruction.
    p.room(38.0 + instruction_height(&numbered[0]));
    p.y += 18.0;
    p.sheet
        .text(left, p.y, 12.0, Weight::Bold, "说明  Instructions");
    p.y += 20.0;
    for instruction in &numbered {
        p.room(instruction_height(instruction));
        let (zh, en) = instruction;
        p.y = p
            .sheet
            .paragraph(left, p.y, right - left, 10.0, Weight::Regular, zh);
        if let Some(en) = en {
            p.y = p.sheet.paragraph(
                left + 14.0,
                p.y,
                right - left - 14.0,
                9.0,
                Weight::Regular,
                en,
            );
        }
        p.y += 4.0;
    }
    Ok(p.finish(link))
}

/// The items table's title and column heads, at the current position.
/// A label at `left` and an identifier (wrapped in `width`, bold) beside it; the pen ends on
/// the identifier's last line.
fn id_row(p: &mut Pages, left: f32, width: f32, label: &str, id: &str) {
    p.sheet.text(left, p.y, 10.0, Weight::Regular, label);
    p.y = p
        .sheet
        .paragraph(left + 110.0, p.y, width, 10.0, Weight::Bold, id)
        - 14.5;
}

fn items_header(p: &mut Pages, title: &str) {
    p.sheet.text(LEFT, p.y, 12.0, Weight::Bold, title);
    p.y += 8.0;
    p.sheet.fill(LEFT, p.y, RIGHT - LEFT, 18.0, 235);
    p.sheet
        .text(LEFT + 6.0, p.y + 13.0, 9.0, Weight::Bold, "商品 Item");
    p.sheet
        .text(RIGHT - 150.0, p.y + 13.0, 9.0, Weight::Bold, "规格 SKU");
    p.sheet
        .text(RIGHT - 40.0, p.y + 13.0, 9.0, Weight::Bold, "数量 Qty");
    p.y += 18.0;
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
