//! What the `platform.*` functions return: one shape for every platform, money as decimal
//! strings, times as RFC 3339, and the buyer's personal data masked (a flow never needs a full
//! phone number or street address: messages and SMS go through the platform by order id).

use serde::Serialize;

use crate::platform::Platform;

/// Where an order is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Created, waiting for the buyer to pay.
    Unpaid,
    /// Paid, not shipped yet.
    Paid,
    /// Shipped, not received yet.
    Shipped,
    /// The buyer received it (trade finished).
    Completed,
    /// Closed or cancelled without completing.
    Closed,
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderItem {
    /// Product title.
    pub title: String,
    /// How many.
    pub quantity: i64,
    /// Unit price, decimal string.
    pub price: String,
    /// The seller's SKU code, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
}

/// The receiver, masked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Receiver {
    /// Name with all but the first character masked.
    pub name: String,
    /// Phone with the middle masked (`138****5678`).
    pub phone: String,
    /// Province, city and district only.
    pub region: String,
}

/// An order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Order {
    /// Its platform.
    pub platform: Platform,
    /// The shop's name in `shopflow.toml`.
    pub shop: String,
    /// The platform's order id.
    pub order_id: String,
    /// Where it is.
    pub status: OrderStatus,
    /// A presale (deposit) order; payment chasing leaves these alone.
    pub presale: bool,
    /// The platform's id or nick of the buyer.
    pub buyer_id: String,
    /// What the buyer pays, decimal string.
    pub total: String,
    /// ISO 4217 currency.
    pub currency: String,
    /// When it was created (RFC 3339).
    pub created_at: Option<String>,
    /// When it was paid.
    pub paid_at: Option<String>,
    /// When the platform closes it if still unpaid.
    pub auto_close_at: Option<String>,
    /// When the seller shipped it, when the platform says (Taobao, Pinduoduo, Douyin).
    pub shipped_at: Option<String>,
    /// When the buyer signed for it and the trade finished (Taobao, Pinduoduo, Douyin): the
    /// 7-day no-reason return window starts the day after.
    pub received_at: Option<String>,
    /// Its lines.
    pub items: Vec<OrderItem>,
    /// The receiver, masked.
    pub receiver: Option<Receiver>,
}

/// What a refund asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundKind {
    /// Money back without sending goods back.
    Refund,
    /// Goods back, then money back.
    Return,
}

/// Where a refund is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    /// Waiting for the seller to decide.
    WaitingSeller,
    /// Agreed; waiting for the buyer to send the goods back.
    WaitingBuyerReturn,
    /// The buyer sent the goods back; waiting for the seller to confirm.
    BuyerReturned,
    /// The seller refused.
    Refused,
    /// Closed without refund.
    Closed,
    /// Money refunded.
    Refunded,
}

/// A refund or return request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Refund {
    /// Its platform.
    pub platform: Platform,
    /// The shop's name.
    pub shop: String,
    /// The platform's refund / after-sales id.
    pub refund_id: String,
    /// The order it belongs to.
    pub order_id: String,
    /// Refund only, or return.
    pub kind: RefundKind,
    /// Where it is.
    pub status: RefundStatus,
    /// Amount asked, decimal string.
    pub amount: String,
    /// The buyer's reason.
    pub reason: String,
    /// When it was asked (RFC 3339).
    pub created_at: Option<String>,
}

/// A buyer's request for an invoice, waiting to be issued.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InvoiceRequest {
    /// Its platform.
    pub platform: Platform,
    /// The shop's name.
    pub shop: String,
    /// The order to invoice.
    pub order_id: String,
    /// `person` or `company`.
    pub payer_kind: &'static str,
    /// The name on the invoice.
    pub payer_name: String,
    /// The company's taxpayer id (unified social credit code), when given.
    pub payer_tax_id: Option<String>,
    /// The amount to invoice, tax included, decimal string.
    pub amount: String,
    /// When the buyer asked (RFC 3339).
    pub requested_at: Option<String>,
}

/// A seller's return address (business data, not masked: it goes on the return voucher).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReturnAddress {
    /// The platform's address id.
    pub id: String,
    /// Contact name.
    pub contact: String,
    /// Contact phone.
    pub phone: String,
    /// The full address.
    pub address: String,
    /// The shop's default return address.
    pub default: bool,
}

/// Masks all but the first character of a name.
pub fn mask_name(name: &str) -> String {
    let mut chars = name.trim().chars();
    match chars.next() {
        None => String::new(),
        Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
    }
}

/// Keeps the first 3 and last 4 digits of a phone number (`138****5678`); shorter numbers and
/// anything already masked by the platform are masked entirely but for the last 2.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.trim().chars().collect();
    if chars.len() >= 11 {
        let n = chars.len();
        chars[..3]
            .iter()
            .chain(std::iter::repeat_n(&'*', n - 7))
            .chain(chars[n - 4..].iter())
            .collect()
    } else {
        let keep = chars.len().min(2);
        std::iter::repeat_n('*', chars.len() - keep)
            .chain(chars[chars.len() - keep..].iter().copied())
            .collect()
    }
}

/// Joins the non-empty region parts with spaces.
pub fn region(parts: &[&str]) -> String {
    parts
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_personal_data() {
        assert_eq!(mask_name("张三丰"), "张**");
        assert_eq!(mask_name("Ann Lee"), "A******");
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("+8613812345678"), "+86*******5678");
        assert_eq!(mask_phone("5551234"), "*****34");
        assert_eq!(
            region(&["浙江省", "杭州市", "", "西湖区"]),
            "浙江省 杭州市 西湖区"
        );
    }
}
