//! Taobao / Tmall (TOP): `POST /router/rest` with signed form parameters.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::operation::{Operation, PayerKind};
use super::shape::{self, AddressFields, ItemFields};
use super::wire::{self, Body, Request, Response, gmt8_to_rfc3339, text, to_json};
use crate::config::Shop;
use crate::error::Error;
use crate::model::{Order, OrderStatus, Refund, RefundKind, RefundStatus};
use crate::money::{format_fen, yuan_to_fen};
use crate::sign::{SignMethod, top};

const TRADE_FIELDS: &str = "tid,status,type,buyer_nick,buyer_open_uid,payment,total_fee,created,\
pay_time,timeout_action_time,consign_time,end_time,receiver_name,receiver_mobile,receiver_state,\
receiver_city,receiver_district,orders";

/// The TOP method and business parameters of `op`.
/// Business parameters, in the order they are documented.
type Params = Vec<(&'static str, String)>;

fn method_and_params(op: &Operation, key: &str) -> Result<(&'static str, Params), Error> {
    let key = key.to_owned();
    Ok(match op {
        Operation::OrderGet { order_id } => (
            "taobao.trade.fullinfo.get",
            vec![("fields", TRADE_FIELDS.into()), ("tid", order_id.clone())],
        ),
        Operation::UnpaidOrders { limit } => (
            "taobao.trades.sold.get",
            vec![
                ("fields", TRADE_FIELDS.into()),
                ("status", "WAIT_BUYER_PAY".into()),
                ("page_no", "1".into()),
                ("page_size", (*limit).clamp(1, 100).to_string()),
            ],
        ),
        Operation::RefundGet { refund_id, .. } => (
            "taobao.refund.get",
            vec![
                ("fields", "refund_id,tid,oid,status,refund_fee,reason,desc,has_good_return,good_status,created,company_name,sid".into()),
                ("refund_id", refund_id.clone()),
            ],
        ),
        Operation::RefundAgree { refund_id, amount_fen, .. } => {
            let amount = amount_fen.ok_or_else(|| Error::Invalid {
                detail: "Taobao needs the refund `amount` to agree a refund".into(),
            })?;
            (
                "taobao.rp.refunds.agree",
                vec![
                    ("refund_infos", format!("{refund_id}|{amount}|0|onsale")),
                    ("out_request_id", key),
                ],
            )
        }
        Operation::RefundRefuse { refund_id, reason, .. } => (
            "taobao.refund.refuse",
            vec![
                ("refund_id", refund_id.clone()),
                ("refuse_message", reason.clone()),
                ("out_request_id", key),
            ],
        ),
        Operation::ReturnAgree { refund_id, address_id, .. } => (
            "taobao.rp.returngoods.agree",
            vec![
                ("refund_id", refund_id.clone()),
                ("seller_address_id", address_id.clone()),
                ("out_request_id", key),
            ],
        ),
        Operation::ReturnRefuse { refund_id, reason, .. } => (
            "taobao.rp.returngoods.refuse",
            vec![
                ("refund_id", refund_id.clone()),
                ("refuse_proof", reason.clone()),
                ("out_request_id", key),
            ],
        ),
        Operation::ReturnAddresses => (
            "taobao.logistics.address.search",
            vec![("rdef", "cancel_def".into())],
        ),
        Operation::InvoiceRequests { .. } => {
            return Err(Error::Unsupported {
                detail: "listing Taobao invoice requests is not among the APIs shopflow uses \
                         yet; take the request from the buyer's message or the order"
                    .into(),
            });
        }
        Operation::MessageSend { .. } => {
            return Err(Error::Unsupported {
                detail: "Taobao offers no buyer-message API to apps; send an SMS instead".into(),
            });
        }
        Operation::InvoiceUpload(inv) => {
            use base64::Engine as _;
            let mut p = vec![
                ("platform_tid", inv.order_id.clone()),
                ("serial_no", key),
                ("invoice_no", inv.number.clone()),
                ("invoice_date", inv.issue_date.clone()),
                ("sum_price", format_fen(inv.amount_fen)),
                ("sum_tax", format_fen(inv.tax_fen)),
                ("invoice_amount", format_fen(inv.amount_fen + inv.tax_fen)),
                ("payer_name", inv.payer_name.clone()),
                (
                    "business_type",
                    if inv.payer_kind == PayerKind::Company { "1" } else { "0" }.into(),
                ),
                (
                    "invoice_file_data",
                    base64::engine::general_purpose::STANDARD.encode(&inv.pdf),
                ),
            ];
            if let Some(id) = &inv.payer_tax_id {
                p.push(("payer_register_no", id.clone()));
            }
            ("alibaba.einvoice.detail.upload", p)
        }
        Operation::RefreshToken { refresh_token } => (
            "taobao.top.auth.token.refresh",
            vec![("refresh_token", refresh_token.clone())],
        ),
    })
}

/// The signed parameters of a TOP call (also what `shopflow sign` shows).
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
    p.insert("method".into(), method.into());
    p.insert("app_key".into(), shop.app_key.clone());
    p.insert("session".into(), token.into());
    p.insert("timestamp".into(), wire::gmt8_timestamp(now_ms));
    p.insert("format".into(), "json".into());
    p.insert("v".into(), "2.0".into());
    p.insert(
        "sign_method".into(),
        sign_method_name(shop.sign_method).into(),
    );
    let signed = top::sign(&p, shop.app_secret.expose(), shop.sign_method);
    p.insert("sign".into(), signed.sign);
    p
}

/// TOP's name for a digest.
pub fn sign_method_name(m: SignMethod) -> &'static str {
    match m {
        SignMethod::Md5 => "md5",
        SignMethod::HmacMd5 => "hmac",
        SignMethod::HmacSha256 => "hmac-sha256",
    }
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
    Ok(Request {
        method: "POST",
        url: format!("{}/router/rest", shop.endpoint),
        headers: Vec::new(),
        body: Body::Form(params.into_iter().collect()),
    })
}

/// The key TOP wraps a method's answer in.
fn response_key(method: &str) -> String {
    format!(
        "{}_response",
        method.trim_start_matches("taobao.").replace('.', "_")
    )
}

/// Reads TOP's `error_response`.
fn error(e: &Value) -> Error {
    let code = wire::int(e.get("code")).unwrap_or(0);
    let msg = text(e.get("msg"));
    let sub_code = text(e.get("sub_code"));
    let sub_msg = text(e.get("sub_msg"));
    let detail = format!("TOP error {code} {msg} ({sub_code}: {sub_msg})");
    match code {
        7 => Error::RateLimited {
            retry_after: std::time::Duration::from_secs_f64(
                wire::seconds_in(&sub_msg).unwrap_or(1.0),
            ),
            detail,
        },
        15 if sub_code.starts_with("isv.") && sub_code.contains("not-exist") => {
            Error::NotFound { detail }
        }
        15 if sub_code.starts_with("isv.") => Error::Refused { detail },
        10 | 15 => Error::Unavailable { detail },
        26 | 27 => Error::TokenExpired { detail },
        11 | 12 => Error::Forbidden { detail },
        25 | 28 | 29 | 30 | 31 => Error::Authentication { detail },
        _ if sub_code.starts_with("isp.") => Error::Unavailable { detail },
        _ => Error::Invalid { detail },
    }
}

/// Reads the answer to `op`.
pub fn parse(shop: &Shop, op: &Operation, resp: &Response) -> Result<Value, Error> {
    let (method, _) = method_and_params(op, "")?;
    let key = response_key(method);
    let r = wire::top_family_answer(resp, &key, error)?;
    match op {
        Operation::OrderGet { .. } => {
            let t = shape::part(&r, "trade")?;
            to_json(&order(shop, t))
        }
        Operation::UnpaidOrders { .. } => Ok(shape::order_list(
            r.pointer("/trades/trade"),
            wire::int(r.get("total_results")),
            |t| order(shop, t),
        )),
        Operation::RefundGet { .. } => {
            let f = shape::part(&r, "refund")?;
            to_json(&refund(shop, f))
        }
        Operation::ReturnAddresses => Ok(shape::addresses(
            r.pointer("/addresses/address_result"),
            &AddressFields {
                id: "contact_id",
                contact: "contact_name",
                phone: "mobile_phone",
                parts: ["province", "city", "country", "addr"],
                default: "cancel_def",
            },
        )),
        Operation::RefreshToken { .. } => {
            let raw = text(r.get("token_result"));
            let t: Value = serde_json::from_str(&raw).map_err(|e| Error::Malformed {
                detail: format!("`token_result` is not JSON: {e}"),
            })?;
            Ok(t)
        }
        _ => {
            let ok = ["is_success", "result", "succ"]
                .iter()
                .find_map(|k| r.get(*k).and_then(Value::as_bool))
                .unwrap_or(true);
            if !ok {
                return Err(Error::Refused {
                    detail: format!("TOP answered {r}"),
                });
            }
            Ok(json!({"done": true}))
        }
    }
}

const ITEM: ItemFields = ItemFields {
    title: "title",
    quantity: "num",
    price: "price",
    price_in_fen: false,
    sku: "outer_sku_id",
};

fn order(shop: &Shop, t: &Value) -> Order {
    let status = match text(t.get("status")).as_str() {
        "WAIT_BUYER_PAY" | "TRADE_NO_CREATE_PAY" | "PAY_PENDING" => OrderStatus::Unpaid,
        "WAIT_SELLER_SEND_GOODS" | "SELLER_CONSIGNED_PART" => OrderStatus::Paid,
        "WAIT_BUYER_CONFIRM_GOODS" => OrderStatus::Shipped,
        "TRADE_FINISHED" | "TRADE_BUYER_SIGNED" => OrderStatus::Completed,
        _ => OrderStatus::Closed,
    };
    let name = text(t.get("receiver_name"));
    Order {
        platform: shop.platform,
        shop: shop.name.clone(),
        order_id: text(t.get("tid")),
        status,
        presale: text(t.get("type")) == "step",
        buyer_id: wire::non_empty(text(t.get("buyer_open_uid")))
            .unwrap_or_else(|| text(t.get("buyer_nick"))),
        total: format_fen(t.get("payment").and_then(yuan_to_fen).unwrap_or(0)),
        currency: "CNY".into(),
        created_at: gmt8_to_rfc3339(&text(t.get("created"))),
        paid_at: gmt8_to_rfc3339(&text(t.get("pay_time"))),
        auto_close_at: gmt8_to_rfc3339(&text(t.get("timeout_action_time")))
            .filter(|_| status == OrderStatus::Unpaid),
        shipped_at: gmt8_to_rfc3339(&text(t.get("consign_time"))),
        // `end_time` is also set when a trade closes; only a finished trade was received.
        received_at: gmt8_to_rfc3339(&text(t.get("end_time")))
            .filter(|_| status == OrderStatus::Completed),
        items: shape::items(t.pointer("/orders/order"), &ITEM),
        receiver: shape::receiver(
            &name,
            &text(t.get("receiver_mobile")),
            &[
                text(t.get("receiver_state")),
                text(t.get("receiver_city")),
                text(t.get("receiver_district")),
            ],
        ),
    }
}

fn refund(shop: &Shop, f: &Value) -> Refund {
    let has_return = f
        .get("has_good_return")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    Refund {
        platform: shop.platform,
        shop: shop.name.clone(),
        refund_id: text(f.get("refund_id")),
        order_id: text(f.get("tid")),
        kind: if has_return {
            RefundKind::Return
        } else {
            RefundKind::Refund
        },
        status: match text(f.get("status")).as_str() {
            "WAIT_SELLER_AGREE" => RefundStatus::WaitingSeller,
            "WAIT_BUYER_RETURN_GOODS" => RefundStatus::WaitingBuyerReturn,
            "WAIT_SELLER_CONFIRM_GOODS" => RefundStatus::BuyerReturned,
            "SELLER_REFUSE_BUYER" => RefundStatus::Refused,
            "SUCCESS" => RefundStatus::Refunded,
            _ => RefundStatus::Closed,
        },
        amount: format_fen(f.get("refund_fee").and_then(yuan_to_fen).unwrap_or(0)),
        reason: text(f.get("reason")),
        created_at: gmt8_to_rfc3339(&text(f.get("created"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    pub(crate) fn shop() -> Shop {
        crate::client::tests::shop(crate::Platform::Taobao)
    }

    #[test]
    fn signs_the_request_and_reads_an_order() {
        let s = shop();
        let req = build(
            &s,
            "sess",
            &Operation::OrderGet {
                order_id: "1001".into(),
            },
            "k",
            1_451_620_800_000,
        )
        .unwrap();
        let Body::Form(form) = &req.body else {
            panic!("form body")
        };
        let p: BTreeMap<String, String> = form.iter().cloned().collect();
        assert_eq!(p["timestamp"], "2016-01-01 12:00:00");
        let again = top::sign(&p, "helloworld", SignMethod::HmacSha256);
        assert_eq!(p["sign"], again.sign);
        let resp = Response {
            status: 200,
            retry_after: None,
            body: json!({"trade_fullinfo_get_response": {"trade": {
                "tid": 1001, "status": "WAIT_BUYER_PAY", "buyer_nick": "买家", "payment": "104.9",
                "created": "2026-11-24 10:00:00", "timeout_action_time": "2026-11-25 10:00:00",
                "receiver_name": "张三", "receiver_mobile": "13812345678", "receiver_state": "浙江省",
                "receiver_city": "杭州市", "receiver_district": "西湖区", "receiver_address": "文三路 1 号",
                "orders": {"order": [{"title": "羊毛围巾", "num": 1, "price": "104.90"}]}
            }}})
            .to_string(),
        };
        let o = parse(
            &s,
            &Operation::OrderGet {
                order_id: "1001".into(),
            },
            &resp,
        )
        .unwrap();
        assert_eq!(o["status"], "unpaid");
        assert_eq!(o["total"], "104.90");
        assert_eq!(o["auto_close_at"], "2026-11-25T10:00:00+08:00");
        assert_eq!(o["receiver"]["phone"], "138****5678");
        assert!(!o.to_string().contains("文三路"));
        let _ = Secret::default();
    }

    #[test]
    fn maps_top_errors() {
        let s = shop();
        let op = Operation::OrderGet {
            order_id: "1".into(),
        };
        let err = |code: i64, sub: &str, msg: &str| {
            parse(&s, &op, &Response {
                status: 200,
                retry_after: None,
                body: json!({"error_response": {"code": code, "msg": "m", "sub_code": sub, "sub_msg": msg}}).to_string(),
            })
            .unwrap_err()
        };
        assert!(
            matches!(err(7, "accesscontrol.limited-by-app-access-count", "This ban will last for 2 more seconds"),
            Error::RateLimited { retry_after, .. } if retry_after.as_secs() == 2)
        );
        assert!(matches!(err(25, "", ""), Error::Authentication { .. }));
        assert!(matches!(
            err(27, "invalid-sessionkey", ""),
            Error::TokenExpired { .. }
        ));
        assert!(matches!(
            err(15, "isp.remote-service-error", ""),
            Error::Unavailable { .. }
        ));
        assert!(matches!(
            err(15, "isv.trade-not-exist", ""),
            Error::NotFound { .. }
        ));
        assert!(matches!(
            err(15, "isv.refund-status-invalid", ""),
            Error::Refused { .. }
        ));
        assert!(matches!(
            err(41, "isv.invalid-parameter:tid", ""),
            Error::Invalid { .. }
        ));
    }
}
