//! Shopify's simulated endpoints: order reads, refunds, return approval and decline.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::render;
use crate::clock::parse_yuan;
use crate::gate::{Ctx, Done, Effect, Reject, Subject};
use crate::ids::{self, Rng, return_gid, strip_return_gid};
use crate::model::{OrderStatus, Refund, RefundKind, RefundStatus};
use crate::push::events::{self, Event};
use crate::store::table;
use crate::transitions::{self, Action};

/// `GET orders.json`, `GET orders/{id}.json`.
pub(crate) fn get(ctx: &Ctx<'_>, rest: &str, q: &HashMap<String, String>) -> Result<Done, Reject> {
    if rest == "orders.json" {
        return list(ctx, q);
    }
    if let Some(id) = rest
        .strip_prefix("orders/")
        .and_then(|r| r.strip_suffix(".json"))
        && !id.contains('/')
    {
        let order =
            table::order(ctx.conn, &ctx.shop.name, id)?.ok_or(Reject::NotFound(Subject::Order))?;
        return Ok(Done::read(json!({ "order": render::order(&order) })));
    }
    Err(Reject::UnknownMethod(rest.to_owned()))
}

fn list(ctx: &Ctx<'_>, q: &HashMap<String, String>) -> Result<Done, Reject> {
    let limit: i64 = match q.get("limit") {
        None => 50,
        Some(l) => l.parse().map_err(|_| Reject::Invalid("limit".into()))?,
    };
    if !(1..=250).contains(&limit) {
        return Err(Reject::Invalid("limit".into()));
    }
    let financial = q
        .get("financial_status")
        .map(String::as_str)
        .unwrap_or("any");
    let status = q.get("status").map(String::as_str).unwrap_or("open");
    if !matches!(status, "open" | "closed" | "cancelled" | "any") {
        return Err(Reject::Invalid("status".into()));
    }
    let (orders, _) = table::orders_page(ctx.conn, &ctx.shop.name, None, 0, i64::MAX)?;
    let list: Vec<Value> = orders
        .iter()
        .filter(|o| financial == "any" || render::financial_status(o) == financial)
        .filter(|o| match status {
            "open" => !matches!(o.status, OrderStatus::Finished | OrderStatus::Closed),
            "closed" => o.status == OrderStatus::Finished,
            "cancelled" => o.status == OrderStatus::Closed,
            _ => true,
        })
        .take(usize::try_from(limit).unwrap_or(50))
        .map(render::order)
        .collect();
    Ok(Done::read(json!({ "orders": list })))
}

/// `POST orders/{id}/refunds.json`, `POST graphql.json`.
pub(crate) fn post(ctx: &Ctx<'_>, method: &str, body: &Value) -> Result<Done, Reject> {
    if let Some(id) = method
        .strip_prefix("orders/")
        .and_then(|r| r.strip_suffix("/refunds.json"))
    {
        return refund(ctx, id, body);
    }
    match method {
        "graphql.json:returnApproveRequest" => {
            return_decision(ctx, body, Action::AgreeReturn, "returnApproveRequest")
        }
        "graphql.json:returnDeclineRequest" => {
            return_decision(ctx, body, Action::RefuseReturn, "returnDeclineRequest")
        }
        other => Err(Reject::UnknownMethod(other.to_owned())),
    }
}

fn refund(ctx: &Ctx<'_>, order_id: &str, body: &Value) -> Result<Done, Reject> {
    let refund = body
        .get("refund")
        .ok_or_else(|| Reject::Missing("refund".into()))?;
    let transactions = refund
        .get("transactions")
        .and_then(Value::as_array)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Reject::Missing("transactions".into()))?;
    let mut amount = 0;
    for t in transactions {
        let text = match t.get("amount") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => return Err(Reject::Missing("amount".into())),
        };
        amount += parse_yuan(&text)
            .filter(|a| *a > 0)
            .ok_or_else(|| Reject::Invalid("amount".into()))?;
    }
    let note = refund
        .get("note")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let mut order = table::order(ctx.conn, &ctx.shop.name, order_id)?
        .ok_or(Reject::NotFound(Subject::Order))?;
    if order.paid_ms.is_none() {
        return Err(Reject::Refused(Subject::Order, "not paid".into()));
    }
    let remaining = order.total_fen() - order.refunded_fen;
    if remaining <= 0 {
        return Err(Reject::Already(Subject::Order, "refunded".into()));
    }
    if amount > remaining {
        return Err(Reject::Refused(
            Subject::Order,
            format!("refundable only up to {}", crate::clock::yuan(remaining)),
        ));
    }
    let mut rng = Rng::fresh(ctx.now_ms);
    let row = Refund {
        shop: ctx.shop.name.clone(),
        refund_id: ids::refund_id(&mut rng, ctx.shop.platform),
        order_id: order_id.to_owned(),
        line_id: order.first_line().to_owned(),
        kind: RefundKind::Refund,
        status: RefundStatus::Success,
        amount_fen: amount,
        reason: note.to_owned(),
        created_ms: ctx.now_ms,
        updated_ms: ctx.now_ms,
    };
    table::insert_refund(ctx.conn, &row)?;
    table::add_refunded(ctx.conn, &ctx.shop.name, order_id, amount)?;
    order.refunded_fen += amount;
    let mut done = Done {
        data: json!({ "refund": render::refund(&row, note) }),
        effects: vec![Effect {
            target: order_id.to_owned(),
            summary: body.clone(),
        }],
        pushes: Vec::new(),
    };
    done.pushes.extend(events::push_for(
        ctx.shop,
        &order,
        Some(&row),
        Event::RefundCreated,
    ));
    Ok(done)
}

fn return_decision(
    ctx: &Ctx<'_>,
    body: &Value,
    action: Action,
    name: &str,
) -> Result<Done, Reject> {
    let input = body
        .pointer("/variables/input")
        .ok_or_else(|| Reject::Missing("input".into()))?;
    let gid = input
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| Reject::Missing("id".into()))?;
    let id = strip_return_gid(gid);
    let found =
        table::refund(ctx.conn, &ctx.shop.name, id)?.filter(|r| r.kind == RefundKind::Return);
    if found.is_none() {
        return Err(Reject::NotFound(Subject::Refund));
    }
    let mut done = Done::default();
    let updated = transitions::apply(
        ctx,
        id,
        action,
        body.get("variables").cloned().unwrap_or(Value::Null),
        &mut done,
    )?;
    done.data = json!({ "data": { name: {
        "return": { "id": return_gid(id), "status": render::return_status(&updated) },
        "userErrors": [],
    } } });
    Ok(done)
}
