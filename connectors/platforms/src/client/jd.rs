//! JD (JOS): `POST /routerjson` with system parameters signed like TOP and every business
//! parameter inside one JSON string, `360buy_param_json`.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::operation::Operation;
use super::shape::{self, ItemFields};
use super::wire::{self, Body, Request, Response, gmt8_to_rfc3339, text, to_json};
use crate::config::Shop;
use crate::error::Error;
use crate::model::{Order, OrderStatus};
use crate::money::{format_fen, yuan_to_fen};
use crate::sign::{SignMethod, top};

fn method_and_params(op: &Operation, key: &str) -> Result<(&'static str, Value), Error> {
    Ok(match op {
        Operation::OrderGet { order_id } => (
            "jingdong.pop.order.get",
            json!({"order_id": order_id, "optional_fields": "orderId,orderState,orderTotalPrice,orderPayment,pin,orderStartTime,paymentConfirmTime,itemInfoList,consigneeInfo"}),
        ),
        Operation::RefundAgree { refund_id, .. } => (
            "jingdong.pop.afs.soa.refundapply.replyRefund",
            json!({"status": 1, "id": refund_id, "checkUserName": "shopflow", "remark": "", "outRequestId": key}),
        ),
        Operation::RefundRefuse {
            refund_id, reason, ..
        } => (
            "jingdong.pop.afs.soa.refundapply.replyRefund",
            json!({"status": 2, "id": refund_id, "checkUserName": "shopflow", "remark": reason, "outRequestId": key}),
        ),
        other => {
            return Err(Error::Unsupported {
                detail: format!(
                    "JD's POP APIs offer no `{}`: unpaid orders are not listed, returns, \
                     invoices and buyer messages are handled in JD's own back office",
                    other.name()
                ),
            });
        }
    })
}

/// The signed form parameters of a JOS call.
pub fn signed_params(
    shop: &Shop,
    token: &str,
    method: &str,
    business: &Value,
    now_ms: i64,
) -> BTreeMap<String, String> {
    let mut p = BTreeMap::new();
    p.insert("method".to_owned(), method.to_owned());
    p.insert("access_token".into(), token.into());
    p.insert("app_key".into(), shop.app_key.clone());
    p.insert("timestamp".into(), wire::gmt8_timestamp(now_ms));
    p.insert("v".into(), "2.0".into());
    p.insert("360buy_param_json".into(), business.to_string());
    p.insert(
        "sign_method".into(),
        match shop.sign_method {
            SignMethod::Md5 => "md5",
            SignMethod::HmacMd5 => "hmacmd5",
            SignMethod::HmacSha256 => "hmacsha256",
        }
        .into(),
    );
    let signed = top::sign(&p, shop.app_secret.expose(), shop.sign_method);
    p.insert("sign".into(), signed.sign);
    p
}

/// Builds the request for `op`.
pub fn build(
    shop: &Shop,
    token: &str,
    op: &Operation,
    key: &str,
    now_ms: i64,
) -> Result<Request, Error> {
    let (method, business) = method_and_params(op, key)?;
    let params = signed_params(shop, token, method, &business, now_ms);
    Ok(Request {
        method: "POST",
        url: format!("{}/routerjson", shop.endpoint),
        headers: Vec::new(),
        body: Body::Form(params.into_iter().collect()),
    })
}

fn error(e: &Value) -> Error {
    let code = text(e.get("code"));
    let en = text(e.get("en_desc"));
    let detail = format!("JOS error {code} {} ({en})", text(e.get("zh_desc")));
    match code.as_str() {
        "8" => Error::RateLimited {
            retry_after: std::time::Duration::from_secs_f64(wire::seconds_in(&en).unwrap_or(1.0)),
            detail,
        },
        "66" | "1" => Error::Unavailable { detail },
        "7" | "19" | "12" | "14" => Error::Authentication { detail },
        "404" => Error::NotFound { detail },
        "50" => Error::Invalid { detail },
        _ => Error::Refused { detail },
    }
}

/// Reads the answer to `op`.
pub fn parse(shop: &Shop, op: &Operation, resp: &Response) -> Result<Value, Error> {
    let (method, _) = method_and_params(op, "")?;
    let key = format!("{}_responce", method.replace('.', "_"));
    let r = wire::top_family_answer(resp, &key, error)?;
    match op {
        Operation::OrderGet { .. } => {
            let o = r
                .pointer("/orderDetailInfo/orderInfo")
                .ok_or_else(|| Error::NotFound {
                    detail: "JOS answered without `orderDetailInfo.orderInfo`".into(),
                })?;
            to_json(&order(shop, o))
        }
        _ => {
            let result = r.get("replyResult").cloned().unwrap_or(Value::Null);
            if result.get("success").and_then(Value::as_bool) == Some(false) {
                return Err(Error::Refused {
                    detail: format!(
                        "JOS refused: {} {}",
                        text(result.get("errorCode")),
                        text(result.get("errorMessage"))
                    ),
                });
            }
            Ok(json!({"done": true}))
        }
    }
}

const ITEM: ItemFields = ItemFields {
    title: "skuName",
    quantity: "itemTotal",
    price: "jdPrice",
    price_in_fen: false,
    sku: "skuId",
};

fn order(shop: &Shop, o: &Value) -> Order {
    let status = match text(o.get("orderState")).as_str() {
        "WAIT_SELLER_STOCK_OUT" | "LOCKED" => OrderStatus::Paid,
        "WAIT_GOODS_RECEIVE_CONFIRM" | "SEND_TO_DISTRIBUTION_CENER" => OrderStatus::Shipped,
        "FINISHED_L" => OrderStatus::Completed,
        "WAIT_PAY" => OrderStatus::Unpaid,
        _ => OrderStatus::Closed,
    };
    let c = o.get("consigneeInfo").cloned().unwrap_or(Value::Null);
    let name = text(c.get("fullname"));
    Order {
        platform: shop.platform,
        shop: shop.name.clone(),
        order_id: text(o.get("orderId")),
        status,
        presale: false,
        buyer_id: text(o.get("pin")),
        total: format_fen(o.get("orderPayment").and_then(yuan_to_fen).unwrap_or(0)),
        currency: "CNY".into(),
        created_at: gmt8_to_rfc3339(&text(o.get("orderStartTime"))),
        paid_at: gmt8_to_rfc3339(&text(o.get("paymentConfirmTime"))),
        auto_close_at: None,
        shipped_at: None,
        received_at: None,
        items: shape::items(o.get("itemInfoList"), &ITEM),
        receiver: shape::receiver(
            &name,
            &text(c.get("mobile")),
            &[text(c.get("province")), text(c.get("city"))],
        ),
    }
}
