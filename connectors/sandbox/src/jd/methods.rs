//! JD's business methods: order detail and refund review.

use serde_json::{Map, Value, json};

use crate::clock::{gmt8, yuan};
use crate::gate::params::{json_int, json_required};
use crate::gate::{Ctx, Done, Reject, Subject, redact};
use crate::model::{Order, OrderStatus};
use crate::store::table;
use crate::transitions::{self, Action};

/// Runs `method`.
pub(crate) fn dispatch(
    ctx: &Ctx<'_>,
    method: &str,
    p: &Map<String, Value>,
) -> Result<Done, Reject> {
    match method {
        "jingdong.pop.order.get" => order_get(ctx, p),
        super::REPLY_REFUND => reply_refund(ctx, p),
        other => Err(Reject::UnknownMethod(other.to_owned())),
    }
}

/// `orderState`; unpaid orders are not offered by the POP APIs (see the protocol doc).
fn order_state(o: &Order) -> Option<&'static str> {
    Some(match o.status {
        OrderStatus::Unpaid => return None,
        OrderStatus::Paid => "WAIT_SELLER_STOCK_OUT",
        OrderStatus::Shipped => "WAIT_GOODS_RECEIVE_CONFIRM",
        OrderStatus::Finished => "FINISHED_L",
        OrderStatus::Closed => "TRADE_CANCELED",
    })
}

fn order_get(ctx: &Ctx<'_>, p: &Map<String, Value>) -> Result<Done, Reject> {
    let id = json_required(p, "order_id")?;
    let order =
        table::order(ctx.conn, &ctx.shop.name, &id)?.ok_or(Reject::NotFound(Subject::Order))?;
    let state = order_state(&order).ok_or(Reject::NotFound(Subject::Order))?;
    let items: Vec<Value> = order
        .items
        .iter()
        .map(|i| {
            json!({
                "skuId": i.line_id,
                "skuName": i.title,
                "itemTotal": i.quantity.to_string(),
                "jdPrice": yuan(i.price_fen),
                "outerSkuId": i.sku,
            })
        })
        .collect();
    let info = json!({
        "orderId": order.order_id,
        "orderState": state,
        "orderTotalPrice": yuan(order.goods_fen()),
        "orderPayment": yuan(order.total_fen()),
        "freightPrice": yuan(order.post_fee_fen),
        "pin": order.buyer_nick,
        "orderStartTime": gmt8(order.created_ms),
        "paymentConfirmTime": order.paid_ms.map(gmt8).unwrap_or_default(),
        "itemInfoList": items,
        "consigneeInfo": {
            "fullname": order.receiver_name,
            "mobile": order.receiver_phone,
            "province": order.province,
            "city": order.city,
            "county": order.district,
            "fullAddress": format!("{}{}{}{}", order.province, order.city, order.district, order.address),
        },
    });
    Ok(Done::read(
        json!({ "orderDetailInfo": { "orderInfo": info } }),
    ))
}

fn reply_refund(ctx: &Ctx<'_>, p: &Map<String, Value>) -> Result<Done, Reject> {
    let action = match json_int(p, "status")? {
        1 => Action::AgreeRefund,
        2 => Action::RefuseRefund,
        _ => return Err(Reject::Invalid("status".into())),
    };
    let id = json_required(p, "id")?;
    json_required(p, "checkUserName")?;
    let mut done = Done::default();
    transitions::apply(ctx, &id, action, redact(p), &mut done)?;
    done.data = json!({ "replyResult": { "success": true, "errorCode": "", "errorMessage": "" } });
    Ok(done)
}
