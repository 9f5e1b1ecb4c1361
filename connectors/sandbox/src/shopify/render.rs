//! Orders, refunds and returns in Shopify's words (REST Admin API JSON, yuan-style decimal
//! strings, RFC 3339 times).

use serde_json::{Value, json};

use crate::clock::{rfc3339, yuan};
use crate::ids::{id_value, return_gid};
use crate::model::{Order, OrderStatus, Refund, RefundStatus};

/// `financial_status`.
pub(crate) fn financial_status(o: &Order) -> &'static str {
    if o.paid_ms.is_none() {
        return if o.status == OrderStatus::Closed {
            "voided"
        } else {
            "pending"
        };
    }
    if o.refunded_fen >= o.total_fen() && o.refunded_fen > 0 {
        "refunded"
    } else if o.refunded_fen > 0 {
        "partially_refunded"
    } else {
        "paid"
    }
}

/// A return's `status` in the GraphQL Admin API.
pub(crate) fn return_status(r: &Refund) -> &'static str {
    match r.status {
        RefundStatus::WaitSeller => "REQUESTED",
        RefundStatus::WaitBuyerReturn | RefundStatus::BuyerReturned => "OPEN",
        RefundStatus::Refused => "DECLINED",
        RefundStatus::Closed | RefundStatus::Success => "CLOSED",
    }
}

/// The order number shown to people (`#1001`), derived from the id so it is stable.
fn name(o: &Order) -> String {
    let tail: u64 = o
        .order_id
        .chars()
        .rev()
        .take(4)
        .collect::<String>()
        .chars()
        .rev()
        .collect::<String>()
        .parse()
        .unwrap_or(0);
    format!("#{}", 1000 + tail)
}

fn split_name(full: &str) -> (&str, &str) {
    full.split_once(' ').unwrap_or((full, ""))
}

/// An `order` resource.
pub(crate) fn order(o: &Order) -> Value {
    let lines: Vec<Value> = o
        .items
        .iter()
        .map(|i| {
            json!({
                "id": id_value(&i.line_id),
                "title": i.title,
                "quantity": i.quantity,
                "price": yuan(i.price_fen),
                "sku": i.sku,
            })
        })
        .collect();
    let (first, last) = split_name(&o.receiver_name);
    json!({
        "id": id_value(&o.order_id),
        "name": name(o),
        "email": o.email,
        "financial_status": financial_status(o),
        "fulfillment_status": if matches!(o.status, OrderStatus::Shipped | OrderStatus::Finished) {
            Value::String("fulfilled".into())
        } else {
            Value::Null
        },
        "cancelled_at": if o.status == OrderStatus::Closed { o.closed_ms.map(rfc3339) } else { None },
        "closed_at": o.finished_ms.or(o.closed_ms).map(rfc3339),
        "created_at": rfc3339(o.created_ms),
        "processed_at": rfc3339(o.created_ms),
        "updated_at": rfc3339(o.finished_ms.or(o.closed_ms).or(o.shipped_ms).or(o.paid_ms).unwrap_or(o.created_ms)),
        "total_price": yuan(o.total_fen()),
        "subtotal_price": yuan(o.goods_fen()),
        "total_tax": "0.00",
        "currency": "USD",
        "customer": {
            "id": id_value(&o.buyer_id),
            "first_name": first,
            "last_name": last,
            "phone": o.receiver_phone,
            "email": o.email,
        },
        "shipping_address": {
            "name": o.receiver_name,
            "phone": o.receiver_phone,
            "address1": o.address,
            "city": o.city,
            "province": o.province,
            "country": "United States",
            "zip": o.zip,
        },
        "line_items": lines,
    })
}

/// A `refund` resource.
pub(crate) fn refund(r: &Refund, note: &str) -> Value {
    json!({
        "id": id_value(&r.refund_id),
        "order_id": id_value(&r.order_id),
        "created_at": rfc3339(r.created_ms),
        "processed_at": rfc3339(r.created_ms),
        "note": note,
        "transactions": [{
            "kind": "refund",
            "status": "success",
            "amount": yuan(r.amount_fen),
            "currency": "USD",
        }],
    })
}

/// The `returns/request` webhook body.
pub(crate) fn return_request(r: &Refund) -> Value {
    json!({
        "id": id_value(&r.refund_id),
        "admin_graphql_api_id": return_gid(&r.refund_id),
        "order": { "id": id_value(&r.order_id), "admin_graphql_api_id": format!("gid://shopify/Order/{}", r.order_id) },
        "status": return_status(r).to_ascii_lowercase(),
        "return_line_items": [{ "return_reason": "OTHER", "customer_note": r.reason, "quantity": 1 }],
        "total_return_line_items": 1,
    })
}
