//! Douyin's business methods (the set in `docs/platform-protocols.md`).

use serde_json::{Map, Value, json};

use super::render;
use crate::gate::params::{json_int, json_required, json_text};
use crate::gate::{Ctx, Done, Reject, Subject, redact};
use crate::model::OrderStatus;
use crate::store::table;
use crate::tokens;
use crate::transitions::{self, Action};

/// Runs `method`.
pub(crate) fn dispatch(
    ctx: &Ctx<'_>,
    method: &str,
    p: &Map<String, Value>,
) -> Result<Done, Reject> {
    match method {
        "order.orderDetail" => order_detail(ctx, p),
        "order.searchList" => search(ctx, p),
        "afterSale.Detail" => after_sale(ctx, p),
        "afterSale.operate" => operate(ctx, p),
        "address.list" => addresses(ctx),
        super::REFRESH => refresh(ctx, p),
        other => Err(Reject::UnknownMethod(other.to_owned())),
    }
}

fn order_detail(ctx: &Ctx<'_>, p: &Map<String, Value>) -> Result<Done, Reject> {
    let id = json_required(p, "shop_order_id")?;
    let order =
        table::order(ctx.conn, &ctx.shop.name, &id)?.ok_or(Reject::NotFound(Subject::Order))?;
    Ok(Done::read(
        json!({ "shop_order_detail": render::order(&order) }),
    ))
}

fn search(ctx: &Ctx<'_>, p: &Map<String, Value>) -> Result<Done, Reject> {
    let status = match json_text(p, "order_status").as_deref() {
        None => None,
        Some("1") => Some(OrderStatus::Unpaid),
        Some("2") => Some(OrderStatus::Paid),
        Some("3") => Some(OrderStatus::Shipped),
        Some("4") => Some(OrderStatus::Closed),
        Some("5") => Some(OrderStatus::Finished),
        Some(_) => return Err(Reject::Invalid("order_status".into())),
    };
    let page = json_text(p, "page").map_or(Ok(0), |t| {
        t.parse::<i64>().map_err(|_| Reject::Invalid("page".into()))
    })?;
    let size = json_text(p, "size").map_or(Ok(20), |t| {
        t.parse::<i64>().map_err(|_| Reject::Invalid("size".into()))
    })?;
    if page < 0 {
        return Err(Reject::Invalid("page".into()));
    }
    if !(1..=100).contains(&size) {
        return Err(Reject::Invalid("size".into()));
    }
    let (orders, total) = table::orders_page(ctx.conn, &ctx.shop.name, status, page * size, size)?;
    let list: Vec<Value> = orders.iter().map(render::order).collect();
    Ok(Done::read(
        json!({ "shop_order_list": list, "total": total, "page": page, "size": size }),
    ))
}

fn after_sale(ctx: &Ctx<'_>, p: &Map<String, Value>) -> Result<Done, Reject> {
    let id = json_required(p, "after_sale_id")?;
    let refund =
        table::refund(ctx.conn, &ctx.shop.name, &id)?.ok_or(Reject::NotFound(Subject::Refund))?;
    Ok(Done::read(
        json!({ "process_info": { "after_sale_info": render::after_sale(&refund) } }),
    ))
}

fn operate(ctx: &Ctx<'_>, p: &Map<String, Value>) -> Result<Done, Reject> {
    let action = match json_int(p, "type")? {
        201 => Action::AgreeRefund,
        202 => Action::RefuseRefund,
        101 => Action::AgreeReturn,
        102 => Action::RefuseReturn,
        _ => return Err(Reject::Invalid("type".into())),
    };
    let items = match p.get("items") {
        Some(Value::Array(items)) if !items.is_empty() => items,
        Some(_) => return Err(Reject::Invalid("items".into())),
        None => return Err(Reject::Missing("items".into())),
    };
    let mut done = Done::default();
    let mut results = Vec::new();
    for item in items {
        let Value::Object(item) = item else {
            return Err(Reject::Invalid("items".into()));
        };
        let id = json_required(item, "aftersale_id")?;
        if action == Action::AgreeReturn {
            let address = item
                .get("logistics")
                .and_then(Value::as_object)
                .and_then(|l| json_text(l, "receiver_address_id"))
                .ok_or_else(|| Reject::Missing("logistics.receiver_address_id".into()))?;
            transitions::check_address(ctx, &address, "logistics.receiver_address_id")?;
        }
        transitions::apply(ctx, &id, action, redact(p), &mut done)?;
        results.push(json!({ "aftersale_id": id, "status_code": 0, "status_msg": "success" }));
    }
    done.data = json!({ "items": results });
    Ok(done)
}

fn addresses(ctx: &Ctx<'_>) -> Result<Done, Reject> {
    let list: Vec<Value> = table::addresses(ctx.conn, &ctx.shop.name)?
        .iter()
        .map(render::address)
        .collect();
    let total = list.len();
    Ok(Done::read(json!({ "address_list": list, "total": total })))
}

fn refresh(ctx: &Ctx<'_>, p: &Map<String, Value>) -> Result<Done, Reject> {
    if json_text(p, "grant_type").as_deref() != Some("refresh_token") {
        return Err(Reject::Invalid("grant_type".into()));
    }
    let (access, refresh) = tokens::issue(ctx, "dy", "dyr")?;
    Ok(Done::read(json!({
        "access_token": access,
        "refresh_token": refresh,
        "expires_in": tokens::EXPIRES_IN_S,
        "scope": "SCOPE",
        "shop_id": ctx.shop.shop_id,
        "shop_name": ctx.shop.name,
    })))
}
