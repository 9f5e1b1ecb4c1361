//! Orders, refunds and addresses in Taobao's words (TOP field names, yuan strings, GMT+8).

use serde_json::{Map, Value, json};

use crate::clock::{gmt8, yuan};
use crate::ids::id_value;
use crate::model::{Order, OrderStatus, Refund, RefundKind, RefundStatus, ReturnAddress};

/// `Trade.status`.
pub(crate) fn trade_status(o: &Order) -> &'static str {
    match o.status {
        OrderStatus::Unpaid => "WAIT_BUYER_PAY",
        OrderStatus::Paid => "WAIT_SELLER_SEND_GOODS",
        OrderStatus::Shipped => "WAIT_BUYER_CONFIRM_GOODS",
        OrderStatus::Finished => "TRADE_FINISHED",
        // Closed before payment: Taobao closed it (timeout or buyer cancel).
        OrderStatus::Closed if o.paid_ms.is_none() => "TRADE_CLOSED_BY_TAOBAO",
        OrderStatus::Closed => "TRADE_CLOSED",
    }
}

/// `Refund.status`.
pub(crate) fn refund_status(r: &Refund) -> &'static str {
    match r.status {
        RefundStatus::WaitSeller => "WAIT_SELLER_AGREE",
        RefundStatus::WaitBuyerReturn => "WAIT_BUYER_RETURN_GOODS",
        RefundStatus::BuyerReturned => "WAIT_SELLER_CONFIRM_GOODS",
        RefundStatus::Refused => "SELLER_REFUSE_BUYER",
        RefundStatus::Closed => "CLOSED",
        RefundStatus::Success => "SUCCESS",
    }
}

fn put_time(m: &mut Map<String, Value>, key: &str, ms: Option<i64>) {
    if let Some(ms) = ms {
        m.insert(key.into(), Value::String(gmt8(ms)));
    }
}

/// A `Trade` with the fields `taobao.trade.fullinfo.get` returns.
pub(crate) fn trade(o: &Order) -> Value {
    let lines: Vec<Value> = o
        .items
        .iter()
        .map(|i| {
            json!({
                "oid": id_value(&i.line_id),
                "title": i.title,
                "num": i.quantity,
                "price": yuan(i.price_fen),
                "total_fee": yuan(i.price_fen * i.quantity),
                "outer_sku_id": i.sku,
                "status": trade_status(o),
            })
        })
        .collect();
    let mut m = json!({
        "tid": id_value(&o.order_id),
        "status": trade_status(o),
        "type": if o.presale { "step" } else { "fixed" },
        "buyer_nick": o.buyer_nick,
        "buyer_open_uid": o.buyer_id,
        "payment": yuan(o.total_fen()),
        "total_fee": yuan(o.goods_fen()),
        "post_fee": yuan(o.post_fee_fen),
        "created": gmt8(o.created_ms),
        "receiver_name": o.receiver_name,
        "receiver_mobile": o.receiver_phone,
        "receiver_state": o.province,
        "receiver_city": o.city,
        "receiver_district": o.district,
        "receiver_address": o.address,
        "orders": { "order": lines },
    });
    if let Value::Object(map) = &mut m {
        put_time(map, "pay_time", o.paid_ms);
        if o.status == OrderStatus::Unpaid {
            put_time(map, "timeout_action_time", o.close_deadline_ms);
        }
        put_time(map, "consign_time", o.shipped_ms);
        put_time(map, "end_time", o.finished_ms.or(o.closed_ms));
    }
    m
}

/// A `Refund` with the fields `taobao.refund.get` returns.
pub(crate) fn refund(r: &Refund, order: Option<&Order>) -> Value {
    let returned = matches!(r.status, RefundStatus::BuyerReturned)
        || (r.kind == RefundKind::Return && r.status == RefundStatus::Success);
    let good_status = if returned {
        "BUYER_RETURNED_GOODS"
    } else if r.kind == RefundKind::Return
        || order.is_some_and(|o| matches!(o.status, OrderStatus::Finished))
    {
        "BUYER_RECEIVED"
    } else {
        "BUYER_NOT_RECEIVED"
    };
    let mut m = json!({
        "refund_id": id_value(&r.refund_id),
        "tid": id_value(&r.order_id),
        "oid": id_value(&r.line_id),
        "status": refund_status(r),
        "refund_fee": yuan(r.amount_fen),
        "total_fee": order.map(|o| yuan(o.total_fen())),
        "reason": r.reason,
        "desc": r.reason,
        "has_good_return": r.kind == RefundKind::Return,
        "good_status": good_status,
        "created": gmt8(r.created_ms),
        "modified": gmt8(r.updated_ms),
    });
    if returned && let Value::Object(map) = &mut m {
        map.insert("company_name".into(), json!("顺丰速运"));
        let tail: String = r
            .refund_id
            .chars()
            .rev()
            .take(10)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        map.insert("sid".into(), json!(format!("SF1{tail}")));
    }
    m
}

/// An `AddressResult` of `taobao.logistics.address.search`.
pub(crate) fn address(a: &ReturnAddress) -> Value {
    json!({
        "contact_id": id_value(&a.address_id),
        "contact_name": a.name,
        "mobile_phone": a.phone,
        "province": a.province,
        "city": a.city,
        "country": a.district,
        "addr": a.detail,
        "cancel_def": a.is_default,
        "get_def": false,
        "send_def": false,
    })
}
