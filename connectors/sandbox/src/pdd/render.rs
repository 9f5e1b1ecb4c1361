//! Orders, after-sales and addresses in Pinduoduo's words (yuan numbers for order amounts, fen
//! for after-sales and invoices, GMT+8 text dates, unix seconds for applications).

use serde_json::{Value, json};

use crate::clock::{gmt8, yuan_number};
use crate::model::{
    InvoiceApplication, Order, OrderStatus, Refund, RefundKind, RefundStatus, ReturnAddress,
};

/// `order_status`: 1 waiting to ship, 2 shipped, 3 received. PDD's API does not show unpaid
/// orders to apps; the sandbox answers 0 for unpaid and 4 for closed orders rather than
/// pretending they do not exist (documented in the README).
pub(crate) fn order_status(o: &Order) -> i64 {
    match o.status {
        OrderStatus::Unpaid => 0,
        OrderStatus::Paid => 1,
        OrderStatus::Shipped => 2,
        OrderStatus::Finished => 3,
        OrderStatus::Closed => 4,
    }
}

/// `after_sales_status`.
pub(crate) fn after_sales_status(r: &Refund) -> i64 {
    match r.status {
        RefundStatus::WaitSeller => 1,
        RefundStatus::WaitBuyerReturn => 2,
        RefundStatus::BuyerReturned => 3,
        RefundStatus::Refused => 4,
        RefundStatus::Closed => 5,
        RefundStatus::Success => 6,
    }
}

fn opt_time(ms: Option<i64>) -> Value {
    ms.map_or(Value::String(String::new()), |ms| Value::String(gmt8(ms)))
}

/// `order_info` of `pdd.order.information.get`.
pub(crate) fn order(o: &Order) -> Value {
    let items: Vec<Value> = o
        .items
        .iter()
        .map(|i| {
            json!({
                "goods_name": i.title,
                "goods_count": i.quantity,
                "goods_price": yuan_number(i.price_fen),
                "outer_id": i.sku,
                "goods_id": crate::ids::id_value(&i.line_id),
            })
        })
        .collect();
    json!({
        "order_sn": o.order_id,
        "order_status": order_status(o),
        "refund_status": if o.refunded_fen > 0 { 4 } else { 1 },
        "pay_amount": yuan_number(o.total_fen()),
        "goods_amount": yuan_number(o.goods_fen()),
        "postage": yuan_number(o.post_fee_fen),
        "created_time": gmt8(o.created_ms),
        "pay_time": opt_time(o.paid_ms),
        "shipping_time": opt_time(o.shipped_ms),
        "confirm_time": opt_time(o.paid_ms),
        "receive_time": opt_time(o.finished_ms),
        "receiver_name": o.receiver_name,
        "receiver_phone": o.receiver_phone,
        "province": o.province,
        "city": o.city,
        "town": o.district,
        "address": o.address,
        "item_list": items,
    })
}

/// The answer of `pdd.refund.information.get`.
pub(crate) fn after_sale(r: &Refund, goods_name: &str) -> Value {
    json!({
        "id": crate::ids::id_value(&r.refund_id),
        "order_sn": r.order_id,
        "after_sales_type": if r.kind == RefundKind::Refund { 1 } else { 2 },
        "after_sales_status": after_sales_status(r),
        "refund_amount": r.amount_fen,
        "after_sales_reason": r.reason,
        "goods_name": goods_name,
        "created_time": gmt8(r.created_ms),
        "updated_time": gmt8(r.updated_ms),
    })
}

/// One entry of `refund_address_list`.
pub(crate) fn address(a: &ReturnAddress) -> Value {
    json!({
        "id": crate::ids::id_value(&a.address_id),
        "refund_name": a.name,
        "refund_phone": a.phone,
        "province_name": a.province,
        "city_name": a.city,
        "district_name": a.district,
        "refund_address": a.detail,
        "default": a.is_default,
    })
}

/// One entry of `invoice_application_list`.
pub(crate) fn application(a: &InvoiceApplication) -> Value {
    json!({
        "order_sn": a.order_id,
        "business_type": a.business_type,
        "payer_name": a.payer_name,
        "payer_register_no": a.payer_register_no,
        "invoice_amount": a.amount_fen,
        "apply_time": a.apply_ms / 1000,
        "status": a.status,
        "invoice_type": 0,
        "invoice_kind": 0,
    })
}
