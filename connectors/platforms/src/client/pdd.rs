//! Pinduoduo: `POST /api/router` with one flat, signed JSON object.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::operation::{Operation, PayerKind};
use super::shape::{self, AddressFields, ItemFields};
use super::wire::{self, Body, Request, Response, gmt8_to_rfc3339, text, to_json, unix_to_rfc3339};
use crate::config::Shop;
use crate::error::Error;
use crate::model::{InvoiceRequest, Order, OrderStatus, Refund, RefundKind, RefundStatus};
use crate::money::{fen, format_fen, yuan_to_fen};
use crate::sign::top;

/// Business parameters, in the order they are documented.
type Params = Vec<(&'static str, String)>;

fn method_and_params(op: &Operation, key: &str) -> Result<(&'static str, Params), Error> {
    let key = key.to_owned();
    let order = |o: &Option<String>| -> Result<String, Error> {
        o.clone().ok_or_else(|| Error::Invalid {
            detail: "Pinduoduo needs the `order_id` (order_sn) of the refund".into(),
        })
    };
    Ok(match op {
        Operation::OrderGet { order_id } => (
            "pdd.order.information.get",
            vec![("order_sn", order_id.clone())],
        ),
        Operation::RefundGet {
            refund_id,
            order_id,
        } => (
            "pdd.refund.information.get",
            vec![
                ("after_sales_id", refund_id.clone()),
                ("order_sn", order(order_id)?),
            ],
        ),
        Operation::RefundAgree {
            refund_id,
            order_id,
            ..
        } => (
            "pdd.refund.agree",
            vec![
                ("after_sales_id", refund_id.clone()),
                ("order_sn", order(order_id)?),
                ("operate_desc", "同意退款".into()),
                ("request_id", key),
            ],
        ),
        Operation::ReturnAgree {
            refund_id,
            order_id,
            address_id,
        } => (
            "pdd.refund.returngoods.agree",
            vec![
                ("after_sales_id", refund_id.clone()),
                ("order_sn", order(order_id)?),
                ("return_address_id", address_id.clone()),
                ("request_id", key),
            ],
        ),
        Operation::ReturnAddresses => ("pdd.refund.address.list.get", vec![]),
        Operation::InvoiceRequests { limit } => (
            "pdd.invoice.application.query",
            vec![
                ("page", "1".into()),
                ("page_size", (*limit).clamp(1, 100).to_string()),
                ("status", "0".into()),
            ],
        ),
        Operation::MessageSend { order_id, text } => (
            "pdd.open.msg.service.send.msg",
            vec![
                ("order_sn", order_id.clone()),
                ("content", text.clone()),
                ("request_id", key),
            ],
        ),
        Operation::InvoiceUpload(inv) => {
            use base64::Engine as _;
            let company = inv.payer_kind == PayerKind::Company;
            if company && inv.payer_tax_id.is_none() {
                return Err(Error::Invalid {
                    detail: "Pinduoduo requires `payer_tax_id` (payer_register_no) for a company invoice".into(),
                });
            }
            let ms = chrono::NaiveDate::parse_from_str(&inv.issue_date, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|t| t.and_utc().timestamp_millis() - 8 * 3_600_000)
                .ok_or_else(|| Error::Invalid {
                    detail: format!("`issue_date` `{}` is not YYYY-MM-DD", inv.issue_date),
                })?;
            let mut p = vec![
                ("order_sn", inv.order_id.clone()),
                ("invoice_no", inv.number.clone()),
                ("invoice_time", ms.to_string()),
                ("invoice_amount", (inv.amount_fen + inv.tax_fen).to_string()),
                ("sum_price", inv.amount_fen.to_string()),
                ("sum_tax", inv.tax_fen.to_string()),
                ("business_type", if company { "1" } else { "0" }.into()),
                ("payer_name", inv.payer_name.clone()),
                ("invoice_kind", "0".into()),
                (
                    "invoice_file_content",
                    base64::engine::general_purpose::STANDARD.encode(&inv.pdf),
                ),
                ("request_id", key),
            ];
            if let Some(id) = &inv.payer_tax_id {
                p.push(("payer_register_no", id.clone()));
            }
            ("pdd.invoice.detail.upload", p)
        }
        Operation::RefreshToken { refresh_token } => (
            "pdd.pop.auth.token.refresh",
            vec![("refresh_token", refresh_token.clone())],
        ),
        Operation::UnpaidOrders { .. } => {
            return Err(Error::Unsupported {
                detail: "Pinduoduo cannot list unpaid orders; start payment chasing from its \
                         `pdd_trade_TradeCreate` push messages instead"
                    .into(),
            });
        }
        Operation::RefundRefuse { .. } | Operation::ReturnRefuse { .. } => {
            return Err(Error::Unsupported {
                detail: "Pinduoduo offers no API to refuse a refund or return; refuse it in the \
                         merchant back office (hand the case to a person)"
                    .into(),
            });
        }
    })
}

/// The signed parameters of a PDD call.
pub fn signed_params(
    shop: &Shop,
    token: &str,
    method: &str,
    business: Params,
    now_ms: i64,
) -> BTreeMap<String, String> {
    let mut p: BTreeMap<String, String> = business
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    p.insert("type".into(), method.into());
    p.insert("client_id".into(), shop.app_key.clone());
    p.insert("access_token".into(), token.into());
    p.insert("timestamp".into(), (now_ms / 1000).to_string());
    p.insert("data_type".into(), "JSON".into());
    let signed = top::sign(&p, shop.app_secret.expose(), crate::sign::SignMethod::Md5);
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
    let params = signed_params(shop, token, method, business, now_ms);
    let body: Map<String, Value> = params
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    Ok(Request {
        method: "POST",
        url: format!("{}/api/router", shop.endpoint),
        headers: Vec::new(),
        body: Body::Json(Value::Object(body).to_string()),
    })
}

fn error(e: &Value) -> Error {
    let code = wire::int(e.get("error_code")).unwrap_or(0);
    let sub_msg = text(e.get("sub_msg"));
    let detail = format!("PDD error {code} {} ({sub_msg})", text(e.get("error_msg")));
    match code {
        70031 => Error::RateLimited {
            retry_after: std::time::Duration::from_secs_f64(
                wire::seconds_in(&sub_msg).unwrap_or(1.0),
            ),
            detail,
        },
        50000..=59999 => Error::Unavailable { detail },
        10019 => Error::TokenExpired { detail },
        10016 | 10045 | 10001 => Error::Authentication { detail },
        20004 => Error::NotFound { detail },
        20000..=29999 => Error::Refused { detail },
        _ => Error::Invalid { detail },
    }
}

/// Reads the answer to `op`.
pub fn parse(shop: &Shop, op: &Operation, resp: &Response) -> Result<Value, Error> {
    let (method, _) = method_and_params(op, "")?;
    let key = format!(
        "{}_response",
        method.trim_start_matches("pdd.").replace('.', "_")
    );
    let r = wire::top_family_answer(resp, &key, error)?;
    match op {
        Operation::OrderGet { .. } => {
            let o = shape::part(&r, "order_info")?;
            to_json(&order(shop, o))
        }
        Operation::RefundGet { .. } => to_json(&refund(shop, &r)),
        Operation::InvoiceRequests { .. } => {
            let list = r
                .get("invoice_application_list")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let requests: Vec<InvoiceRequest> =
                list.iter().map(|a| invoice_request(shop, a)).collect();
            Ok(
                json!({"total": wire::int(r.get("total")).unwrap_or(requests.len() as i64), "requests": requests}),
            )
        }
        Operation::ReturnAddresses => Ok(shape::addresses(
            r.get("refund_address_list"),
            &AddressFields {
                id: "id",
                contact: "refund_name",
                phone: "refund_phone",
                parts: [
                    "province_name",
                    "city_name",
                    "district_name",
                    "refund_address",
                ],
                default: "default",
            },
        )),
        Operation::RefreshToken { .. } => Ok(r),
        Operation::InvoiceUpload(_) => Ok(json!({"done": true, "serial_no": r.get("serial_no")})),
        _ => {
            if r.pointer("/result/succ").and_then(Value::as_bool) == Some(false) {
                return Err(Error::Refused {
                    detail: format!("PDD answered {r}"),
                });
            }
            Ok(json!({"done": true}))
        }
    }
}

const ITEM: ItemFields = ItemFields {
    title: "goods_name",
    quantity: "goods_count",
    price: "goods_price",
    price_in_fen: false,
    sku: "outer_id",
};

fn order(shop: &Shop, o: &Value) -> Order {
    let status = match wire::int(o.get("order_status")) {
        Some(1) => OrderStatus::Paid,
        Some(2) => OrderStatus::Shipped,
        Some(3) => OrderStatus::Completed,
        _ => OrderStatus::Closed,
    };
    let name = text(o.get("receiver_name"));
    Order {
        platform: shop.platform,
        shop: shop.name.clone(),
        order_id: text(o.get("order_sn")),
        status,
        presale: false,
        buyer_id: String::new(),
        total: format_fen(o.get("pay_amount").and_then(yuan_to_fen).unwrap_or(0)),
        currency: "CNY".into(),
        created_at: gmt8_to_rfc3339(&text(o.get("created_time"))),
        paid_at: gmt8_to_rfc3339(&text(o.get("pay_time"))),
        auto_close_at: None,
        shipped_at: gmt8_to_rfc3339(&text(o.get("shipping_time"))),
        received_at: gmt8_to_rfc3339(&text(o.get("receive_time"))),
        items: shape::items(o.get("item_list"), &ITEM),
        receiver: shape::receiver(
            &name,
            &text(o.get("receiver_phone")),
            &[
                text(o.get("province")),
                text(o.get("city")),
                text(o.get("town")),
            ],
        ),
    }
}

fn invoice_request(shop: &Shop, a: &Value) -> InvoiceRequest {
    InvoiceRequest {
        platform: shop.platform,
        shop: shop.name.clone(),
        order_id: text(a.get("order_sn")),
        payer_kind: if wire::int(a.get("business_type")) == Some(1) {
            "company"
        } else {
            "person"
        },
        payer_name: text(a.get("payer_name")),
        payer_tax_id: wire::non_empty(text(a.get("payer_register_no"))),
        amount: format_fen(a.get("invoice_amount").and_then(fen).unwrap_or(0)),
        requested_at: wire::int(a.get("apply_time")).and_then(unix_to_rfc3339),
    }
}

fn refund(shop: &Shop, r: &Value) -> Refund {
    Refund {
        platform: shop.platform,
        shop: shop.name.clone(),
        refund_id: text(r.get("id")),
        order_id: text(r.get("order_sn")),
        kind: if wire::int(r.get("after_sales_type")) == Some(2) {
            RefundKind::Return
        } else {
            RefundKind::Refund
        },
        status: match wire::int(r.get("after_sales_status")) {
            Some(1) => RefundStatus::WaitingSeller,
            Some(2) => RefundStatus::WaitingBuyerReturn,
            Some(3) => RefundStatus::BuyerReturned,
            Some(4) => RefundStatus::Refused,
            Some(6) => RefundStatus::Refunded,
            _ => RefundStatus::Closed,
        },
        amount: format_fen(r.get("refund_amount").and_then(fen).unwrap_or(0)),
        reason: text(r.get("after_sales_reason")),
        created_at: wire::int(r.get("created_time"))
            .and_then(unix_to_rfc3339)
            .or_else(|| gmt8_to_rfc3339(&text(r.get("created_time")))),
    }
}
