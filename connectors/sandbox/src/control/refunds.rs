//! Buyers asking for refunds and returns, sending goods back or withdrawing, and asking for
//! invoices, each with the platform's push message.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};
use shopflow_connectors::Platform;

use super::orders::shop_named;
use super::{ControlError, publish};
use crate::ids::{self, Rng};
use crate::model::{InvoiceApplication, Refund, RefundKind, RefundStatus};
use crate::push::events::{self, Event};
use crate::sandbox::Inner;
use crate::store::table;

#[derive(Debug, Deserialize)]
pub(super) struct NewRefund {
    shop: String,
    order_id: String,
    kind: String,
    reason: Option<String>,
    amount_fen: Option<i64>,
}

/// A refund as the control API shows it: Shopify returns are named by their gid.
fn refund_json(r: &Refund, platform: Platform) -> Value {
    let mut v = json!(r);
    if platform == Platform::Shopify
        && r.kind == RefundKind::Return
        && let Value::Object(m) = &mut v
    {
        m.insert("refund_id".into(), json!(ids::return_gid(&r.refund_id)));
    }
    v
}

/// `POST /_sandbox/refunds`.
pub(super) async fn create(
    State(sb): State<Arc<Inner>>,
    Json(req): Json<NewRefund>,
) -> Result<Json<Value>, ControlError> {
    let shop = shop_named(&sb, &req.shop)?;
    let kind = RefundKind::parse(&req.kind).ok_or_else(|| {
        ControlError::bad(format!("kind `{}`: expected refund or return", req.kind))
    })?;
    let now = sb.now();
    let mut rng = Rng::fresh(now);
    let (refund, order) = {
        let conn = sb.store.lock();
        let mut order = table::order(&conn, &shop.name, &req.order_id)?.ok_or_else(|| {
            ControlError::not_found(format!("no order {} in shop {}", req.order_id, shop.name))
        })?;
        let remaining = order.total_fen() - order.refunded_fen;
        let amount = req.amount_fen.unwrap_or(remaining);
        if amount <= 0 || amount > remaining {
            return Err(ControlError::bad(format!(
                "amount_fen must be between 1 and {remaining}"
            )));
        }
        // A Shopify refund is made by the merchant and done at once; everything else waits for
        // the seller.
        let status = if shop.platform == Platform::Shopify && kind == RefundKind::Refund {
            RefundStatus::Success
        } else {
            RefundStatus::WaitSeller
        };
        let refund = Refund {
            shop: shop.name.clone(),
            refund_id: ids::refund_id(&mut rng, shop.platform),
            order_id: order.order_id.clone(),
            line_id: order.first_line().to_owned(),
            kind,
            status,
            amount_fen: amount,
            reason: req.reason.unwrap_or_else(|| "不想要了".into()),
            created_ms: now,
            updated_ms: now,
        };
        table::insert_refund(&conn, &refund)?;
        if status == RefundStatus::Success {
            table::add_refunded(&conn, &shop.name, &order.order_id, amount)?;
            order.refunded_fen += amount;
        }
        (refund, order)
    };
    publish(
        &sb,
        events::push_for(&shop, &order, Some(&refund), Event::RefundCreated)
            .into_iter()
            .collect(),
    )?;
    Ok(Json(refund_json(&refund, shop.platform)))
}

/// `POST /_sandbox/refunds/{shop}/{refund_id}/{buyer_return|close}`.
pub(super) async fn act(
    State(sb): State<Arc<Inner>>,
    Path((shop_name, refund_id, action)): Path<(String, String, String)>,
) -> Result<Json<Value>, ControlError> {
    let shop = shop_named(&sb, &shop_name)?;
    let refund_id = ids::strip_return_gid(&refund_id).to_owned();
    let (allowed, to, event): (&[RefundStatus], RefundStatus, Event) = match action.as_str() {
        "buyer_return" => (
            &[RefundStatus::WaitBuyerReturn],
            RefundStatus::BuyerReturned,
            Event::RefundBuyerReturned,
        ),
        "close" => (
            &[
                RefundStatus::WaitSeller,
                RefundStatus::WaitBuyerReturn,
                RefundStatus::BuyerReturned,
                RefundStatus::Refused,
            ],
            RefundStatus::Closed,
            Event::RefundClosed,
        ),
        other => {
            return Err(ControlError::bad(format!(
                "action `{other}`: expected buyer_return or close"
            )));
        }
    };
    let (refund, order) = {
        let conn = sb.store.lock();
        let mut refund = table::refund(&conn, &shop.name, &refund_id)?.ok_or_else(|| {
            ControlError::not_found(format!("no refund {refund_id} in shop {shop_name}"))
        })?;
        if !allowed.contains(&refund.status) {
            return Err(ControlError::conflict(format!(
                "refund {refund_id} is {}; cannot {action}",
                refund.status.as_str()
            )));
        }
        table::set_refund_status(&conn, &shop.name, &refund_id, to, sb.now())?;
        refund.status = to;
        let order = table::order(&conn, &shop.name, &refund.order_id)?
            .ok_or_else(|| ControlError::not_found("the refund's order is gone"))?;
        (refund, order)
    };
    publish(
        &sb,
        events::push_for(&shop, &order, Some(&refund), event)
            .into_iter()
            .collect(),
    )?;
    Ok(Json(refund_json(&refund, shop.platform)))
}

#[derive(Debug, Deserialize)]
pub(super) struct NewInvoiceRequest {
    shop: String,
    order_id: String,
    business_type: i64,
    payer_name: String,
    payer_register_no: Option<String>,
}

/// `POST /_sandbox/invoice-requests` (Pinduoduo shops).
pub(super) async fn invoice_request(
    State(sb): State<Arc<Inner>>,
    Json(req): Json<NewInvoiceRequest>,
) -> Result<Json<Value>, ControlError> {
    let shop = shop_named(&sb, &req.shop)?;
    if shop.platform != Platform::Pdd {
        return Err(ControlError::bad(
            "invoice applications exist on Pinduoduo shops only",
        ));
    }
    if !matches!(req.business_type, 0 | 1) {
        return Err(ControlError::bad(
            "business_type must be 0 (person) or 1 (company)",
        ));
    }
    let register_no = req.payer_register_no.unwrap_or_default();
    if req.business_type == 1 && register_no.is_empty() {
        return Err(ControlError::bad(
            "payer_register_no is required for companies",
        ));
    }
    let conn = sb.store.lock();
    let order = table::order(&conn, &shop.name, &req.order_id)?.ok_or_else(|| {
        ControlError::not_found(format!("no order {} in shop {}", req.order_id, shop.name))
    })?;
    let application = InvoiceApplication {
        shop: shop.name.clone(),
        order_id: order.order_id.clone(),
        business_type: req.business_type,
        payer_name: req.payer_name,
        payer_register_no: register_no,
        amount_fen: order.total_fen() - order.refunded_fen,
        apply_ms: sb.now(),
        status: 0,
    };
    table::upsert_application(&conn, &application)?;
    Ok(Json(json!(application)))
}
