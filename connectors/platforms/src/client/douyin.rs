//! Douyin shop (抖店): `POST /{method path}` with signed query parameters and `param_json` as
//! the body; every answer has `code` (10000 = success) and `data`.

use serde_json::{Value, json};

use super::operation::Operation;
use super::shape::{self, AddressFields, ItemFields};
use super::wire::{self, Body, Request, Response, text, to_json, unix_to_rfc3339};
use crate::config::Shop;
use crate::error::Error;
use crate::model::{Order, OrderStatus, Refund, RefundKind, RefundStatus};
use crate::money::{fen, format_fen};
use crate::sign::{SignMethod, douyin};

fn method_and_params(op: &Operation, key: &str) -> Result<(&'static str, Value), Error> {
    let operate = |kind: i64, refund_id: &str, reason: &str, address: Option<&str>| {
        let mut item = json!({"aftersale_id": refund_id, "reason": reason});
        if let Some(a) = address {
            item["logistics"] = json!({"receiver_address_id": a});
        }
        (
            "afterSale.operate",
            json!({"type": kind, "items": [item], "out_request_id": key}),
        )
    };
    Ok(match op {
        Operation::OrderGet { order_id } => {
            ("order.orderDetail", json!({"shop_order_id": order_id}))
        }
        Operation::UnpaidOrders { limit } => (
            "order.searchList",
            json!({"order_status": 1, "page": 0, "size": (*limit).clamp(1, 100)}),
        ),
        Operation::RefundGet { refund_id, .. } => {
            ("afterSale.Detail", json!({"after_sale_id": refund_id}))
        }
        Operation::RefundAgree { refund_id, .. } => operate(201, refund_id, "", None),
        Operation::RefundRefuse {
            refund_id, reason, ..
        } => operate(202, refund_id, reason, None),
        Operation::ReturnAgree {
            refund_id,
            address_id,
            ..
        } => operate(101, refund_id, "", Some(address_id)),
        Operation::ReturnRefuse {
            refund_id, reason, ..
        } => operate(102, refund_id, reason, None),
        Operation::ReturnAddresses => ("address.list", json!({})),
        Operation::RefreshToken { refresh_token } => (
            "token.refresh",
            json!({"refresh_token": refresh_token, "grant_type": "refresh_token"}),
        ),
        Operation::MessageSend { .. }
        | Operation::InvoiceUpload(_)
        | Operation::InvoiceRequests { .. } => {
            return Err(Error::Unsupported {
                detail: format!("Douyin shop offers no `{}` API to apps", op.name()),
            });
        }
    })
}

/// The signed query string parameters and the `param_json` body of a Douyin call.
pub fn signed(
    shop: &Shop,
    token: &str,
    method: &str,
    business: &Value,
    now_ms: i64,
) -> (Vec<(String, String)>, String) {
    let pj = douyin::param_json(business);
    let ts = wire::gmt8_timestamp(now_ms);
    let sign = douyin::sign(
        &shop.app_key,
        method,
        &pj,
        &ts,
        shop.app_secret.expose(),
        shop.sign_method,
    );
    let method_name = match shop.sign_method {
        SignMethod::Md5 => "md5",
        _ => "hmac-sha256",
    };
    let query = vec![
        ("app_key".to_owned(), shop.app_key.clone()),
        ("method".into(), method.into()),
        ("v".into(), "2".into()),
        ("timestamp".into(), ts),
        ("sign".into(), sign),
        ("sign_method".into(), method_name.into()),
        ("access_token".into(), token.into()),
    ];
    (query, pj)
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
    let (query, pj) = signed(shop, token, method, &business, now_ms);
    let qs = serde_urlencoded::to_string(&query).map_err(|e| Error::Invalid {
        detail: e.to_string(),
    })?;
    Ok(Request {
        method: "POST",
        url: format!("{}/{}?{qs}", shop.endpoint, method.replace('.', "/")),
        headers: Vec::new(),
        body: Body::Json(pj),
    })
}

fn error(body: &Value, code: i64) -> Error {
    let sub_msg = text(body.get("sub_msg"));
    let detail = format!(
        "Douyin error {code} {} ({}: {sub_msg})",
        text(body.get("msg")),
        text(body.get("sub_code"))
    );
    match code {
        40004 => Error::RateLimited {
            retry_after: std::time::Duration::from_secs_f64(
                wire::seconds_in(&sub_msg).unwrap_or(1.0),
            ),
            detail,
        },
        20000..=29999 => Error::Unavailable { detail },
        30005 => Error::TokenExpired { detail },
        30001..=30004 => Error::Authentication { detail },
        50004 => Error::NotFound { detail },
        50000..=59999 => Error::Refused { detail },
        _ => Error::Invalid { detail },
    }
}

/// Reads the answer to `op`.
pub fn parse(shop: &Shop, op: &Operation, resp: &Response) -> Result<Value, Error> {
    if let Some(e) = resp.server_error() {
        return Err(e);
    }
    let body = resp.json()?;
    let code = wire::int(body.get("code")).unwrap_or(-1);
    if code != 10000 {
        return Err(error(&body, code));
    }
    let d = body.get("data").cloned().unwrap_or(Value::Null);
    match op {
        Operation::OrderGet { .. } => {
            let o = shape::part(&d, "shop_order_detail")?;
            to_json(&order(shop, o))
        }
        Operation::UnpaidOrders { .. } => Ok(shape::order_list(
            d.get("shop_order_list"),
            wire::int(d.get("total")),
            |o| order(shop, o),
        )),
        Operation::RefundGet { .. } => {
            let a = shape::part(&d, "/process_info/after_sale_info")?;
            to_json(&refund(shop, a))
        }
        Operation::ReturnAddresses => Ok(shape::addresses(
            d.get("address_list"),
            &AddressFields {
                id: "address_id",
                contact: "receiver_name",
                phone: "receiver_tel",
                parts: ["province_name", "city_name", "town_name", "detail"],
                default: "is_default",
            },
        )),
        Operation::RefreshToken { .. } => Ok(d),
        _ => {
            let failed = d.get("items").and_then(Value::as_array).and_then(|items| {
                items
                    .iter()
                    .find(|i| wire::int(i.get("status_code")).unwrap_or(0) != 0)
                    .cloned()
            });
            if let Some(item) = failed {
                return Err(Error::Refused {
                    detail: format!("Douyin refused: {}", text(item.get("status_msg"))),
                });
            }
            Ok(json!({"done": true}))
        }
    }
}

const ITEM: ItemFields = ItemFields {
    title: "product_name",
    quantity: "item_num",
    price: "origin_amount",
    price_in_fen: true,
    sku: "code",
};

fn order(shop: &Shop, o: &Value) -> Order {
    let status = match wire::int(o.get("order_status")) {
        Some(1) => OrderStatus::Unpaid,
        Some(2) | Some(105) => OrderStatus::Paid,
        Some(3) => OrderStatus::Shipped,
        Some(5) => OrderStatus::Completed,
        _ => OrderStatus::Closed,
    };
    let addr = o.get("post_addr").cloned().unwrap_or(Value::Null);
    let name = text(o.get("mask_post_receiver"));
    Order {
        platform: shop.platform,
        shop: shop.name.clone(),
        order_id: text(o.get("order_id")),
        status,
        presale: false,
        buyer_id: text(o.get("doudian_open_id")),
        total: format_fen(o.get("pay_amount").and_then(fen).unwrap_or(0)),
        currency: "CNY".into(),
        created_at: wire::int(o.get("create_time")).and_then(unix_to_rfc3339),
        paid_at: wire::int(o.get("pay_time")).and_then(unix_to_rfc3339),
        auto_close_at: wire::int(o.get("order_expire_time"))
            .and_then(unix_to_rfc3339)
            .filter(|_| status == OrderStatus::Unpaid),
        shipped_at: wire::int(o.get("ship_time"))
            .filter(|t| *t > 0)
            .and_then(unix_to_rfc3339),
        received_at: wire::int(o.get("finish_time"))
            .filter(|t| *t > 0)
            .and_then(unix_to_rfc3339),
        items: shape::items(o.get("sku_order_list"), &ITEM),
        receiver: shape::receiver(
            &name,
            &text(o.get("mask_post_tel")),
            &[
                text(addr.pointer("/province/name")),
                text(addr.pointer("/city/name")),
                text(addr.pointer("/town/name")),
            ],
        ),
    }
}

fn refund(shop: &Shop, a: &Value) -> Refund {
    Refund {
        platform: shop.platform,
        shop: shop.name.clone(),
        refund_id: text(a.get("after_sale_id")),
        order_id: text(a.get("order_id")),
        kind: if wire::int(a.get("after_sale_type")) == Some(0) {
            RefundKind::Return
        } else {
            RefundKind::Refund
        },
        status: match wire::int(a.get("after_sale_status")) {
            Some(6) => RefundStatus::WaitingSeller,
            Some(11) => RefundStatus::WaitingBuyerReturn,
            Some(12) => RefundStatus::BuyerReturned,
            Some(27) => RefundStatus::Refused,
            Some(29) => RefundStatus::Refunded,
            _ => RefundStatus::Closed,
        },
        amount: format_fen(a.get("refund_amount").and_then(fen).unwrap_or(0)),
        reason: text(a.get("reason")),
        created_at: wire::int(a.get("apply_time")).and_then(unix_to_rfc3339),
    }
}
