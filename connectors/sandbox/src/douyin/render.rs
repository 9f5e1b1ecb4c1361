//! Orders, after-sales and addresses in Douyin's words (fen integers, unix seconds, masked
//! receiver details).

use serde_json::{Value, json};

use crate::model::{Order, OrderStatus, Refund, RefundKind, RefundStatus, ReturnAddress};

/// `order_status`: 1 unpaid, 2 paid / to ship, 3 shipped, 4 cancelled, 5 completed.
pub(crate) fn order_status(o: &Order) -> i64 {
    match o.status {
        OrderStatus::Unpaid => 1,
        OrderStatus::Paid => 2,
        OrderStatus::Shipped => 3,
        OrderStatus::Closed => 4,
        OrderStatus::Finished => 5,
    }
}

/// `after_sale_status`.
pub(crate) fn after_sale_status(r: &Refund) -> i64 {
    match r.status {
        RefundStatus::WaitSeller => 6,
        RefundStatus::WaitBuyerReturn => 11,
        RefundStatus::BuyerReturned => 12,
        RefundStatus::Refused => 27,
        RefundStatus::Closed => 28,
        RefundStatus::Success => 29,
    }
}

/// Douyin shows apps masked receiver details: `张**`, `138****5678`.
fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    let first: String = chars.next().into_iter().collect();
    format!("{first}{}", "*".repeat(chars.count().max(1)))
}

fn mask_phone(phone: &str) -> String {
    if phone.len() == 11 && phone.is_ascii() {
        format!("{}****{}", &phone[..3], &phone[7..])
    } else {
        "***".into()
    }
}

/// `shop_order_detail` / an entry of `shop_order_list`.
pub(crate) fn order(o: &Order) -> Value {
    let skus: Vec<Value> = o
        .items
        .iter()
        .map(|i| {
            json!({
                "sku_order_id": i.line_id,
                "product_name": i.title,
                "item_num": i.quantity,
                "origin_amount": i.price_fen * i.quantity,
                "code": i.sku,
            })
        })
        .collect();
    json!({
        "order_id": o.order_id,
        "shop_order_id": o.order_id,
        "order_status": order_status(o),
        "order_amount": o.total_fen(),
        "pay_amount": if o.paid_ms.is_some() { o.total_fen() } else { 0 },
        "post_amount": o.post_fee_fen,
        "create_time": o.created_ms / 1000,
        "pay_time": o.paid_ms.map_or(0, |ms| ms / 1000),
        "order_expire_time": if o.status == OrderStatus::Unpaid {
            o.close_deadline_ms.map_or(0, |ms| ms / 1000)
        } else {
            0
        },
        "ship_time": o.shipped_ms.map_or(0, |ms| ms / 1000),
        "finish_time": o.finished_ms.map_or(0, |ms| ms / 1000),
        "doudian_open_id": o.buyer_id,
        "mask_post_receiver": mask_name(&o.receiver_name),
        "mask_post_tel": mask_phone(&o.receiver_phone),
        "post_addr": {
            "province": { "name": o.province },
            "city": { "name": o.city },
            "town": { "name": o.district },
            "detail": o.address,
        },
        "sku_order_list": skus,
    })
}

/// `process_info.after_sale_info` of `afterSale.Detail`.
pub(crate) fn after_sale(r: &Refund) -> Value {
    json!({
        "after_sale_id": r.refund_id,
        "order_id": r.order_id,
        "after_sale_type": if r.kind == RefundKind::Return { 0 } else { 1 },
        "after_sale_status": after_sale_status(r),
        "refund_amount": r.amount_fen,
        "reason": r.reason,
        "apply_time": r.created_ms / 1000,
        "update_time": r.updated_ms / 1000,
    })
}

/// One entry of `address_list`.
pub(crate) fn address(a: &ReturnAddress) -> Value {
    json!({
        "address_id": crate::ids::id_value(&a.address_id),
        "receiver_name": a.name,
        "receiver_tel": a.phone,
        "province_name": a.province,
        "city_name": a.city,
        "town_name": a.district,
        "detail": a.detail,
        "is_default": i64::from(a.is_default),
    })
}
