//! Creating orders and moving them along as the buyer and the platform would, each with the
//! platform's push message.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};
use shopflow_connectors::Shop;

use super::{ControlError, publish};
use crate::ids::Rng;
use crate::model::{Item, OrderStatus};
use crate::push::events::{self, Event};
use crate::sandbox::Inner;
use crate::seed::people;
use crate::store::table;

#[derive(Debug, Deserialize)]
pub(super) struct NewItem {
    title: String,
    quantity: Option<i64>,
    price_fen: i64,
    sku: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct NewOrder {
    shop: String,
    status: Option<String>,
    items: Option<Vec<NewItem>>,
    order_id: Option<String>,
    /// Minutes until an unpaid order closes by itself (default 1440, one day).
    close_after_minutes: Option<i64>,
}

pub(super) fn shop_named(sb: &Inner, name: &str) -> Result<Shop, ControlError> {
    sb.shop(name)
        .cloned()
        .ok_or_else(|| ControlError::not_found(format!("no shop `{name}` in the configuration")))
}

/// `POST /_sandbox/orders`.
pub(super) async fn create(
    State(sb): State<Arc<Inner>>,
    Json(req): Json<NewOrder>,
) -> Result<Json<Value>, ControlError> {
    let shop = shop_named(&sb, &req.shop)?;
    let status = match req.status.as_deref().unwrap_or("unpaid") {
        "unpaid" => OrderStatus::Unpaid,
        "paid" => OrderStatus::Paid,
        other => {
            return Err(ControlError::bad(format!(
                "status `{other}`: expected unpaid or paid"
            )));
        }
    };
    let now = sb.now();
    let mut rng = Rng::fresh(now);
    let items = match req.items {
        None => people::items(&mut rng, shop.platform),
        Some(list) if list.is_empty() => return Err(ControlError::bad("items is empty")),
        Some(list) => {
            let mut items = Vec::new();
            for i in list {
                if i.price_fen <= 0 || i.quantity.unwrap_or(1) <= 0 {
                    return Err(ControlError::bad("price_fen and quantity must be positive"));
                }
                items.push(Item {
                    line_id: people::line_id(&mut rng, shop.platform),
                    title: i.title,
                    quantity: i.quantity.unwrap_or(1),
                    price_fen: i.price_fen,
                    sku: i.sku.unwrap_or_else(|| format!("SKU-{}", rng.digits(6))),
                });
            }
            items
        }
    };
    let mut order = people::order(&mut rng, &shop, req.order_id, status, now, items);
    if status == OrderStatus::Paid {
        order.paid_ms = Some(now);
    }
    // Free shipping, so a test's amounts are exactly its items.
    order.post_fee_fen = 0;
    let close_after = req.close_after_minutes.unwrap_or(24 * 60);
    if !(1..=30 * 24 * 60).contains(&close_after) {
        return Err(ControlError::bad(
            "close_after_minutes must be 1 to 43200 (30 days)",
        ));
    }
    order.close_deadline_ms = Some(now + close_after * 60_000);
    {
        let conn = sb.store.lock();
        if !table::insert_order(&conn, &order)? {
            return Err(ControlError::conflict(format!(
                "order {} already exists",
                order.order_id
            )));
        }
    }
    publish(
        &sb,
        events::push_for(&shop, &order, None, Event::OrderCreated)
            .into_iter()
            .collect(),
    )?;
    Ok(Json(json!(order)))
}

/// `GET /_sandbox/orders/{shop}/{order_id}`: the order, its refunds, messages and invoices.
pub(super) async fn show(
    State(sb): State<Arc<Inner>>,
    Path((shop, order_id)): Path<(String, String)>,
) -> Result<Json<Value>, ControlError> {
    let conn = sb.store.lock();
    let order = table::order(&conn, &shop, &order_id)?
        .ok_or_else(|| ControlError::not_found(format!("no order {order_id} in shop {shop}")))?;
    Ok(Json(json!({
        "order": order,
        "refunds": table::refunds_of(&conn, &shop, &order_id)?,
        "messages": table::messages_of(&conn, &shop, &order_id)?,
        "invoices": table::invoices_of(&conn, &shop, &order_id)?,
    })))
}

/// `POST /_sandbox/orders/{shop}/{order_id}/{pay|close|ship|deliver}`.
pub(super) async fn act(
    State(sb): State<Arc<Inner>>,
    Path((shop_name, order_id, action)): Path<(String, String, String)>,
) -> Result<Json<Value>, ControlError> {
    let shop = shop_named(&sb, &shop_name)?;
    let (allowed, to, event): (&[OrderStatus], OrderStatus, Event) = match action.as_str() {
        "pay" => (&[OrderStatus::Unpaid], OrderStatus::Paid, Event::OrderPaid),
        "close" => (
            &[OrderStatus::Unpaid, OrderStatus::Paid],
            OrderStatus::Closed,
            Event::OrderClosed,
        ),
        "ship" => (
            &[OrderStatus::Paid],
            OrderStatus::Shipped,
            Event::OrderShipped,
        ),
        "deliver" => (
            &[OrderStatus::Shipped],
            OrderStatus::Finished,
            Event::OrderFinished,
        ),
        other => {
            return Err(ControlError::bad(format!(
                "action `{other}`: expected pay, close, ship or deliver"
            )));
        }
    };
    let order = {
        let conn = sb.store.lock();
        let order = table::order(&conn, &shop.name, &order_id)?.ok_or_else(|| {
            ControlError::not_found(format!("no order {order_id} in shop {shop_name}"))
        })?;
        if !allowed.contains(&order.status) {
            return Err(ControlError::conflict(format!(
                "order {order_id} is {}; cannot {action}",
                order.status.as_str()
            )));
        }
        table::set_order_status(&conn, &shop.name, &order_id, to, sb.now())?;
        table::order(&conn, &shop.name, &order_id)?
            .ok_or_else(|| ControlError::not_found(format!("order {order_id} vanished")))?
    };
    publish(
        &sb,
        events::push_for(&shop, &order, None, event)
            .into_iter()
            .collect(),
    )?;
    Ok(Json(json!(order)))
}
