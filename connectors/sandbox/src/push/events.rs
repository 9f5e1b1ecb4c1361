//! Which message each platform pushes for an order or refund event, with the exact fields of
//! `docs/platform-protocols.md`.

use serde_json::{Value, json};
use shopflow_connectors::{Platform, Shop};

use crate::clock::{gmt8, yuan, yuan_number};
use crate::ids::id_value;
use crate::model::{Order, Refund, RefundKind};
use crate::store::{BodyBuilder, NewPush};
use crate::{douyin, pdd, shopify, taobao};

/// Something that happened to an order or a refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Event {
    OrderCreated,
    OrderPaid,
    OrderClosed,
    OrderShipped,
    OrderFinished,
    RefundCreated,
    RefundBuyerReturned,
    RefundSuccess,
    RefundClosed,
}

fn taobao_topic(e: Event) -> &'static str {
    match e {
        Event::OrderCreated => "taobao_trade_TradeCreate",
        Event::OrderPaid => "taobao_trade_TradeBuyerPay",
        Event::OrderClosed => "taobao_trade_TradeClose",
        Event::OrderShipped => "taobao_trade_TradeSellerShip",
        Event::OrderFinished => "taobao_trade_TradeSuccess",
        Event::RefundCreated => "taobao_refund_RefundCreated",
        Event::RefundBuyerReturned => "taobao_refund_RefundBuyerReturnGoods",
        Event::RefundSuccess => "taobao_refund_RefundSuccess",
        Event::RefundClosed => "taobao_refund_RefundClosed",
    }
}

fn pdd_topic(e: Event) -> Option<&'static str> {
    Some(match e {
        Event::OrderCreated => "pdd_trade_TradeCreate",
        Event::OrderPaid => "pdd_trade_TradeConfirmed",
        Event::OrderClosed => "pdd_trade_TradeClose",
        Event::OrderShipped => "pdd_trade_TradeSellerShip",
        Event::OrderFinished => "pdd_trade_TradeReceived",
        Event::RefundCreated => "pdd_refund_RefundCreated",
        Event::RefundBuyerReturned => "pdd_refund_RefundReturnGoods",
        Event::RefundSuccess | Event::RefundClosed => return None,
    })
}

fn douyin_tag(e: Event) -> &'static str {
    match e {
        Event::OrderCreated => "100",
        Event::OrderPaid => "101",
        Event::OrderShipped => "102",
        Event::OrderFinished => "103",
        Event::OrderClosed => "106",
        Event::RefundCreated => "200",
        Event::RefundBuyerReturned => "203",
        Event::RefundSuccess => "206",
        Event::RefundClosed => "207",
    }
}

fn shopify_topic(e: Event, refund: Option<&Refund>) -> Option<&'static str> {
    Some(match e {
        Event::OrderCreated => "orders/create",
        Event::OrderPaid => "orders/paid",
        Event::OrderClosed => "orders/cancelled",
        Event::RefundCreated if refund.is_some_and(|r| r.kind == RefundKind::Return) => {
            "returns/request"
        }
        Event::RefundCreated => "refunds/create",
        _ => return None,
    })
}

fn shop_id(shop: &Shop) -> Value {
    shop.shop_id.as_deref().map_or(Value::Null, id_value)
}

/// The message `shop`'s platform pushes for `event`, if it pushes one.
pub(crate) fn push_for(
    shop: &Shop,
    order: &Order,
    refund: Option<&Refund>,
    event: Event,
) -> Option<NewPush> {
    let (topic, body): (String, BodyBuilder) = match shop.platform {
        Platform::Jd => return None,
        Platform::Taobao => {
            let topic = taobao_topic(event);
            let mut content = json!({
                "tid": id_value(&order.order_id),
                "oid": id_value(order.first_line()),
                "status": taobao::render::trade_status(order),
                "buyer_nick": order.buyer_nick,
                "payment": yuan(order.total_fen()),
            });
            if let (Some(r), Value::Object(m)) = (refund, &mut content) {
                m.insert("refund_id".into(), id_value(&r.refund_id));
                m.insert("refund_fee".into(), json!(yuan(r.amount_fen)));
                m.insert("status".into(), json!(taobao::render::refund_status(r)));
                m.insert("oid".into(), id_value(&r.line_id));
            }
            let (user_id, nick) = (shop_id(shop), shop.name.clone());
            (
                topic.to_owned(),
                Box::new(move |id: &str, at: i64| {
                    json!({
                        "messageType": 2,
                        "id": id,
                        "topic": topic,
                        "user_id": user_id,
                        "user_nick": nick,
                        "pub_time": gmt8(at),
                        "content": content.to_string(),
                    })
                    .to_string()
                }),
            )
        }
        Platform::Pdd => {
            let topic = pdd_topic(event)?;
            let mut content = json!({
                "tid": order.order_id,
                "status": pdd::render::order_status(order),
                "pay_amount": yuan_number(order.total_fen()),
            });
            if let (Some(r), Value::Object(m)) = (refund, &mut content) {
                m.insert("refund_id".into(), id_value(&r.refund_id));
                m.insert("status".into(), json!(pdd::render::after_sales_status(r)));
            }
            // The frame around this (`commandType`, `id`, `sendTime`) is built at each send.
            let message =
                json!({ "type": topic, "mallID": shop_id(shop), "content": content.to_string() });
            (
                topic.to_owned(),
                Box::new(move |_: &str, _: i64| message.to_string()),
            )
        }
        Platform::Douyin => {
            let tag = douyin_tag(event);
            let order_id = id_value(&order.order_id);
            let mut data = json!({
                "p_id": order_id,
                "s_ids": [order_id],
                "shop_id": shop_id(shop),
                "order_status": douyin::render::order_status(order),
            });
            if let (Some(r), Value::Object(m)) = (refund, &mut data) {
                m.insert("aftersale_id".into(), id_value(&r.refund_id));
                m.insert(
                    "aftersale_status".into(),
                    json!(douyin::render::after_sale_status(r)),
                );
                m.insert("refund_amount".into(), json!(r.amount_fen));
            }
            (
                format!("douyin_{tag}"),
                Box::new(move |id: &str, at: i64| {
                    if let Value::Object(m) = &mut data {
                        m.insert("update_time".into(), json!(at / 1000));
                    }
                    json!([{ "tag": tag, "msg_id": id, "data": data.to_string() }]).to_string()
                }),
            )
        }
        Platform::Shopify => {
            let topic = shopify_topic(event, refund)?;
            let body = match (topic, refund) {
                ("returns/request", Some(r)) => shopify::render::return_request(r),
                ("refunds/create", Some(r)) => shopify::render::refund(r, &r.reason),
                _ => shopify::render::order(order),
            };
            (
                topic.to_owned(),
                Box::new(move |_: &str, _: i64| body.to_string()),
            )
        }
    };
    Some(NewPush {
        platform: shop.platform,
        shop: shop.name.clone(),
        topic,
        body,
    })
}
