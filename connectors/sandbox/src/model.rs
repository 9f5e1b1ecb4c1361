//! The sandbox's business state in platform-neutral terms; each gateway renders it in its own
//! platform's words (status codes, units, field names).

use serde::{Deserialize, Serialize};
use shopflow_connectors::Platform;

/// Where an order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum OrderStatus {
    /// Created, waiting for the buyer to pay (closes itself at the deadline).
    Unpaid,
    /// Paid, waiting for the seller to ship.
    Paid,
    /// Shipped, waiting for the buyer to sign for it.
    Shipped,
    /// The buyer signed for it: finished.
    Finished,
    /// Closed (unpaid at the deadline, cancelled, or fully refunded).
    Closed,
}

impl OrderStatus {
    /// The stored name.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Unpaid => "unpaid",
            Self::Paid => "paid",
            Self::Shipped => "shipped",
            Self::Finished => "finished",
            Self::Closed => "closed",
        }
    }

    /// Reads a stored name.
    pub(crate) fn parse(s: &str) -> Option<Self> {
        [
            Self::Unpaid,
            Self::Paid,
            Self::Shipped,
            Self::Finished,
            Self::Closed,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

/// What the buyer asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RefundKind {
    /// Money back, goods kept (仅退款).
    Refund,
    /// Goods sent back, then money back (退货退款).
    Return,
}

impl RefundKind {
    /// The stored name.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Refund => "refund",
            Self::Return => "return",
        }
    }

    /// Reads a stored name.
    pub(crate) fn parse(s: &str) -> Option<Self> {
        match s {
            "refund" => Some(Self::Refund),
            "return" => Some(Self::Return),
            _ => None,
        }
    }
}

/// Where a refund / after-sale is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RefundStatus {
    /// Waiting for the seller to agree or refuse.
    WaitSeller,
    /// Return agreed, waiting for the buyer to send the goods back.
    WaitBuyerReturn,
    /// The buyer sent the goods back; waiting for the seller to confirm and refund.
    BuyerReturned,
    /// The seller refused.
    Refused,
    /// Closed without a refund (the buyer withdrew it, or it timed out).
    Closed,
    /// Refunded.
    Success,
}

impl RefundStatus {
    /// The stored name.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::WaitSeller => "wait_seller",
            Self::WaitBuyerReturn => "wait_buyer_return",
            Self::BuyerReturned => "buyer_returned",
            Self::Refused => "refused",
            Self::Closed => "closed",
            Self::Success => "success",
        }
    }

    /// Reads a stored name.
    pub(crate) fn parse(s: &str) -> Option<Self> {
        [
            Self::WaitSeller,
            Self::WaitBuyerReturn,
            Self::BuyerReturned,
            Self::Refused,
            Self::Closed,
            Self::Success,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Item {
    /// The line's id (Taobao `oid`, JD `skuId`, Shopify line item id).
    pub line_id: String,
    /// The product's title.
    pub title: String,
    /// How many.
    pub quantity: i64,
    /// Unit price in fen.
    pub price_fen: i64,
    /// The seller's SKU code.
    pub sku: String,
}

/// An order as the sandbox keeps it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Order {
    pub shop: String,
    pub platform: Platform,
    pub order_id: String,
    pub status: OrderStatus,
    /// A presale (deposit) order; Taobao renders it as `type = step`.
    pub presale: bool,
    pub buyer_nick: String,
    /// The buyer's platform id (open uid, pin, doudian open id, Shopify customer id).
    pub buyer_id: String,
    pub receiver_name: String,
    pub receiver_phone: String,
    pub province: String,
    pub city: String,
    pub district: String,
    pub address: String,
    pub zip: String,
    pub email: String,
    pub items: Vec<Item>,
    pub post_fee_fen: i64,
    pub refunded_fen: i64,
    pub created_ms: i64,
    pub paid_ms: Option<i64>,
    pub shipped_ms: Option<i64>,
    pub finished_ms: Option<i64>,
    pub closed_ms: Option<i64>,
    /// When an unpaid order closes itself.
    pub close_deadline_ms: Option<i64>,
}

impl Order {
    /// The goods' total in fen.
    pub(crate) fn goods_fen(&self) -> i64 {
        self.items.iter().map(|i| i.price_fen * i.quantity).sum()
    }

    /// What the buyer pays in fen (goods plus postage).
    pub(crate) fn total_fen(&self) -> i64 {
        self.goods_fen() + self.post_fee_fen
    }

    /// The first line's id (what single-line push messages name as `oid`).
    pub(crate) fn first_line(&self) -> &str {
        self.items.first().map_or("", |i| i.line_id.as_str())
    }
}

/// A refund / after-sale / Shopify refund or return.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Refund {
    pub shop: String,
    pub refund_id: String,
    pub order_id: String,
    pub line_id: String,
    pub kind: RefundKind,
    pub status: RefundStatus,
    pub amount_fen: i64,
    pub reason: String,
    pub created_ms: i64,
    pub updated_ms: i64,
}

/// A return address of a shop.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ReturnAddress {
    pub shop: String,
    pub address_id: String,
    pub name: String,
    pub phone: String,
    pub province: String,
    pub city: String,
    pub district: String,
    pub detail: String,
    pub is_default: bool,
}

/// A buyer's request for an invoice (PDD).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct InvoiceApplication {
    pub shop: String,
    pub order_id: String,
    /// 0 person, 1 company.
    pub business_type: i64,
    pub payer_name: String,
    pub payer_register_no: String,
    pub amount_fen: i64,
    pub apply_ms: i64,
    /// 0 pending, 1 invoiced.
    pub status: i64,
}
