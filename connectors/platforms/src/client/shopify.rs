//! Shopify Admin API (REST for orders and refunds, GraphQL for returns), authenticated with the
//! shop's access token; the idempotency key goes in an `Idempotency-Key` header.

use serde_json::{Value, json};

use super::operation::Operation;
use super::shape::{self, ItemFields};
use super::wire::{self, Body, Request, Response, rfc3339, text, to_json};
use crate::config::Shop;
use crate::error::Error;
use crate::model::{Order, OrderStatus};
use crate::money::{format_fen, yuan_to_fen};

const RETURN_APPROVE: &str = "mutation returnApproveRequest($input: ReturnApproveRequestInput!) { returnApproveRequest(input: $input) { return { id status } userErrors { field message } } }";
const RETURN_DECLINE: &str = "mutation returnDeclineRequest($input: ReturnDeclineRequestInput!) { returnDeclineRequest(input: $input) { return { id status } userErrors { field message } } }";

/// Builds the request for `op`.
pub fn build(
    shop: &Shop,
    token: &str,
    op: &Operation,
    key: &str,
    _now_ms: i64,
) -> Result<Request, Error> {
    let base = format!("{}/admin/api/{}", shop.endpoint, shop.api_version);
    let mut headers = vec![("X-Shopify-Access-Token".to_owned(), token.to_owned())];
    let (method, url, body) = match op {
        Operation::OrderGet { order_id } => {
            ("GET", format!("{base}/orders/{order_id}.json"), Body::Empty)
        }
        Operation::UnpaidOrders { limit } => (
            "GET",
            format!(
                "{base}/orders.json?financial_status=pending&status=open&limit={}",
                (*limit).clamp(1, 250)
            ),
            Body::Empty,
        ),
        Operation::RefundAgree {
            order_id,
            amount_fen,
            ..
        } => {
            let order_id = order_id.as_deref().ok_or_else(|| Error::Invalid {
                detail: "Shopify refunds an order: give `order_id`".into(),
            })?;
            let amount = amount_fen.ok_or_else(|| Error::Invalid {
                detail: "Shopify needs the refund `amount`".into(),
            })?;
            let body = json!({"refund": {"notify": true, "note": "refund agreed by shopflow",
                "transactions": [{"kind": "refund", "amount": format_fen(amount)}]}});
            (
                "POST",
                format!("{base}/orders/{order_id}/refunds.json"),
                Body::Json(body.to_string()),
            )
        }
        Operation::ReturnAgree { refund_id, .. } => {
            let body = json!({"query": RETURN_APPROVE, "variables": {"input": {"id": refund_id}}});
            (
                "POST",
                format!("{base}/graphql.json"),
                Body::Json(body.to_string()),
            )
        }
        Operation::ReturnRefuse {
            refund_id, reason, ..
        } => {
            let body = json!({"query": RETURN_DECLINE, "variables": {"input": {"id": refund_id, "declineReason": "OTHER", "declineNote": reason}}});
            (
                "POST",
                format!("{base}/graphql.json"),
                Body::Json(body.to_string()),
            )
        }
        other => {
            return Err(Error::Unsupported {
                detail: format!(
                    "Shopify has no `{}` in the Admin API shopflow uses (refund requests are \
                     returns; messages and invoices go through other apps)",
                    other.name()
                ),
            });
        }
    };
    if method == "POST" {
        headers.push(("Idempotency-Key".into(), key.to_owned()));
    }
    Ok(Request {
        method,
        url,
        headers,
        body,
    })
}

fn error(resp: &Response) -> Error {
    let detail = format!(
        "HTTP {}: {}",
        resp.status,
        resp.body.chars().take(200).collect::<String>()
    );
    match resp.status {
        429 => Error::RateLimited {
            retry_after: std::time::Duration::from_secs_f64(resp.retry_after.unwrap_or(2.0)),
            detail,
        },
        401 => Error::Authentication { detail },
        402 | 403 | 423 => Error::Forbidden { detail },
        404 => Error::NotFound { detail },
        400 | 406 | 422 => Error::Invalid { detail },
        s if s >= 500 => Error::Unavailable { detail },
        _ => Error::Refused { detail },
    }
}

/// Reads the answer to `op`.
pub fn parse(shop: &Shop, op: &Operation, resp: &Response) -> Result<Value, Error> {
    if !(200..300).contains(&resp.status) {
        return Err(error(resp));
    }
    let body = resp.json()?;
    match op {
        Operation::OrderGet { .. } => {
            let o = shape::part(&body, "order")?;
            to_json(&order(shop, o))
        }
        Operation::UnpaidOrders { .. } => Ok(shape::order_list(body.get("orders"), None, |o| {
            order(shop, o)
        })),
        Operation::RefundAgree { .. } => {
            Ok(json!({"done": true, "refund_id": text(body.pointer("/refund/id"))}))
        }
        _ => {
            let data = body
                .get("data")
                .and_then(Value::as_object)
                .and_then(|d| d.values().next().cloned());
            let errors = data
                .as_ref()
                .and_then(|d| d.get("userErrors"))
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if let Some(e) = errors.first() {
                return Err(Error::Refused {
                    detail: format!("Shopify: {}", text(e.get("message"))),
                });
            }
            if let Some(errs) = body.get("errors") {
                return Err(Error::Invalid {
                    detail: format!("Shopify GraphQL: {errs}"),
                });
            }
            Ok(
                json!({"done": true, "status": text(data.as_ref().and_then(|d| d.pointer("/return/status")))}),
            )
        }
    }
}

const ITEM: ItemFields = ItemFields {
    title: "title",
    quantity: "quantity",
    price: "price",
    price_in_fen: false,
    sku: "sku",
};

fn order(shop: &Shop, o: &Value) -> Order {
    let financial = text(o.get("financial_status"));
    let cancelled = o.get("cancelled_at").is_some_and(|v| !v.is_null());
    let status = if cancelled || financial == "voided" || financial == "refunded" {
        OrderStatus::Closed
    } else if matches!(
        financial.as_str(),
        "pending" | "authorized" | "partially_paid"
    ) {
        OrderStatus::Unpaid
    } else if text(o.get("fulfillment_status")) == "fulfilled" {
        OrderStatus::Shipped
    } else {
        OrderStatus::Paid
    };
    let addr = o.get("shipping_address").cloned().unwrap_or(Value::Null);
    let name = text(addr.get("name"));
    Order {
        platform: shop.platform,
        shop: shop.name.clone(),
        order_id: text(o.get("id")),
        status,
        presale: false,
        buyer_id: text(o.pointer("/customer/id")),
        total: format_fen(o.get("total_price").and_then(yuan_to_fen).unwrap_or(0)),
        currency: wire::non_empty(text(o.get("currency"))).unwrap_or_else(|| "USD".into()),
        created_at: rfc3339(&text(o.get("created_at"))),
        paid_at: rfc3339(&text(o.get("processed_at"))).filter(|_| status != OrderStatus::Unpaid),
        auto_close_at: None,
        shipped_at: None,
        received_at: None,
        items: shape::items(o.get("line_items"), &ITEM),
        receiver: shape::receiver(
            &name,
            &text(addr.get("phone")),
            &[
                text(addr.get("city")),
                text(addr.get("province")),
                text(addr.get("country")),
            ],
        ),
    }
}
