//! Taobao's business methods (the set in `docs/platform-protocols.md`).

use base64::Engine as _;
use serde_json::{Value, json};

use super::render;
use crate::clock;
use crate::gate::params::{self, Params};
use crate::gate::{Ctx, Done, Effect, Reject, Subject, redact, string_map};
use crate::model::OrderStatus;
use crate::store::table;
use crate::tokens;
use crate::transitions::{self, Action};

/// Runs `method`.
pub(crate) fn dispatch(ctx: &Ctx<'_>, method: &str, p: &Params) -> Result<Done, Reject> {
    match method {
        "taobao.trade.fullinfo.get" => trade_get(ctx, p),
        "taobao.trades.sold.get" => trades_sold(ctx, p),
        "taobao.refund.get" => refund_get(ctx, p),
        "taobao.rp.refunds.agree" => refunds_agree(ctx, p),
        "taobao.refund.refuse" => {
            params::required(p, "refuse_message")?;
            one_action(ctx, p, Action::RefuseRefund, "is_success")
        }
        "taobao.rp.returngoods.agree" => {
            let address = params::required(p, "seller_address_id")?;
            transitions::check_address(ctx, address, "seller_address_id")?;
            one_action(ctx, p, Action::AgreeReturn, "is_success")
        }
        "taobao.rp.returngoods.refuse" => {
            params::required(p, "refuse_proof")?;
            one_action(ctx, p, Action::RefuseReturn, "result")
        }
        "taobao.logistics.address.search" => addresses(ctx),
        "alibaba.einvoice.detail.upload" => einvoice_upload(ctx, p),
        super::REFRESH => refresh(ctx),
        other => Err(Reject::UnknownMethod(other.to_owned())),
    }
}

/// The business parameters of a call (system parameters left out) for an effect summary.
fn business(p: &Params) -> Value {
    const SYSTEM: [&str; 7] = [
        "method",
        "timestamp",
        "format",
        "v",
        "sign_method",
        "partner_id",
        "simplify",
    ];
    redact(&string_map(
        p.iter().filter(|(k, _)| !SYSTEM.contains(&k.as_str())),
    ))
}

fn trade_get(ctx: &Ctx<'_>, p: &Params) -> Result<Done, Reject> {
    params::required(p, "fields")?;
    let tid = params::required(p, "tid")?;
    let order =
        table::order(ctx.conn, &ctx.shop.name, tid)?.ok_or(Reject::NotFound(Subject::Order))?;
    Ok(Done::read(json!({ "trade": render::trade(&order) })))
}

fn trades_sold(ctx: &Ctx<'_>, p: &Params) -> Result<Done, Reject> {
    params::required(p, "fields")?;
    let status = match params::optional(p, "status") {
        None => None,
        Some("WAIT_BUYER_PAY") => Some(OrderStatus::Unpaid),
        Some("WAIT_SELLER_SEND_GOODS") => Some(OrderStatus::Paid),
        Some("WAIT_BUYER_CONFIRM_GOODS") => Some(OrderStatus::Shipped),
        Some("TRADE_FINISHED") => Some(OrderStatus::Finished),
        Some("TRADE_CLOSED") => Some(OrderStatus::Closed),
        Some(_) => return Err(Reject::Invalid("status".into())),
    };
    let page_no = params::int_or(p, "page_no", 1)?;
    let page_size = params::int_or(p, "page_size", 40)?;
    if page_no < 1 {
        return Err(Reject::Invalid("page_no".into()));
    }
    if !(1..=100).contains(&page_size) {
        return Err(Reject::Invalid("page_size".into()));
    }
    let (orders, total) = table::orders_page(
        ctx.conn,
        &ctx.shop.name,
        status,
        (page_no - 1) * page_size,
        page_size,
    )?;
    let trades: Vec<Value> = orders.iter().map(render::trade).collect();
    Ok(Done::read(json!({
        "total_results": total,
        "has_next": page_no * page_size < total,
        "trades": { "trade": trades },
    })))
}

fn refund_get(ctx: &Ctx<'_>, p: &Params) -> Result<Done, Reject> {
    params::required(p, "fields")?;
    let id = params::required(p, "refund_id")?;
    let refund =
        table::refund(ctx.conn, &ctx.shop.name, id)?.ok_or(Reject::NotFound(Subject::Refund))?;
    let order = table::order(ctx.conn, &ctx.shop.name, &refund.order_id)?;
    Ok(Done::read(
        json!({ "refund": render::refund(&refund, order.as_ref()) }),
    ))
}

/// `refund_infos`: `refund_id|amount_fen|version|phase`, several separated by commas.
fn refunds_agree(ctx: &Ctx<'_>, p: &Params) -> Result<Done, Reject> {
    let infos = params::required(p, "refund_infos")?;
    let mut done = Done::default();
    for info in infos.split(',').filter(|s| !s.trim().is_empty()) {
        let parts: Vec<&str> = info.trim().split('|').collect();
        let [id, amount, _version, _phase] = parts[..] else {
            return Err(Reject::Invalid("refund_infos".into()));
        };
        let amount: i64 = amount
            .parse()
            .map_err(|_| Reject::Invalid("refund_infos".into()))?;
        let refund = table::refund(ctx.conn, &ctx.shop.name, id)?
            .ok_or(Reject::NotFound(Subject::Refund))?;
        if refund.amount_fen != amount {
            return Err(Reject::Invalid("refund_infos".into()));
        }
        transitions::apply(ctx, id, Action::AgreeRefund, business(p), &mut done)?;
    }
    if done.effects.is_empty() {
        return Err(Reject::Invalid("refund_infos".into()));
    }
    done.data = json!({ "is_success": true, "msg": "退款成功" });
    Ok(done)
}

fn one_action(ctx: &Ctx<'_>, p: &Params, action: Action, flag: &str) -> Result<Done, Reject> {
    let id = params::required(p, "refund_id")?;
    let mut done = Done::default();
    transitions::apply(ctx, id, action, business(p), &mut done)?;
    done.data = json!({ flag: true });
    Ok(done)
}

fn addresses(ctx: &Ctx<'_>) -> Result<Done, Reject> {
    let list: Vec<Value> = table::addresses(ctx.conn, &ctx.shop.name)?
        .iter()
        .map(render::address)
        .collect();
    Ok(Done::read(
        json!({ "addresses": { "address_result": list } }),
    ))
}

fn einvoice_upload(ctx: &Ctx<'_>, p: &Params) -> Result<Done, Reject> {
    let tid = params::required(p, "platform_tid")?;
    let serial_no = params::required(p, "serial_no")?;
    let invoice_no = params::required(p, "invoice_no")?;
    let date = params::required(p, "invoice_date")?;
    if chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").is_err() {
        return Err(Reject::Invalid("invoice_date".into()));
    }
    let money = |name: &str| -> Result<i64, Reject> {
        clock::parse_yuan(params::required(p, name)?).ok_or_else(|| Reject::Invalid(name.into()))
    };
    let (sum_price, sum_tax, amount) = (
        money("sum_price")?,
        money("sum_tax")?,
        money("invoice_amount")?,
    );
    if sum_price + sum_tax != amount {
        return Err(Reject::Invalid("invoice_amount".into()));
    }
    let payer_name = params::required(p, "payer_name")?;
    let business_type = params::required_int(p, "business_type")?;
    if !matches!(business_type, 0 | 1) {
        return Err(Reject::Invalid("business_type".into()));
    }
    let register_no = params::optional(p, "payer_register_no").unwrap_or_default();
    if business_type == 1 && register_no.is_empty() {
        return Err(Reject::Missing("payer_register_no".into()));
    }
    let file = params::required(p, "invoice_file_data")?;
    if base64::engine::general_purpose::STANDARD
        .decode(file.trim())
        .is_err()
    {
        return Err(Reject::Invalid("invoice_file_data".into()));
    }
    table::order(ctx.conn, &ctx.shop.name, tid)?.ok_or(Reject::NotFound(Subject::Order))?;
    let invoice = table::UploadedInvoice {
        order_id: tid.to_owned(),
        serial_no: serial_no.to_owned(),
        invoice_no: invoice_no.to_owned(),
        amount_fen: amount,
        sum_price_fen: sum_price,
        sum_tax_fen: sum_tax,
        business_type,
        payer_name: payer_name.to_owned(),
        payer_register_no: register_no.to_owned(),
    };
    table::insert_invoice(ctx.conn, &ctx.shop.name, &invoice, ctx.now_ms)?;
    Ok(Done {
        data: json!({ "result": true }),
        effects: vec![Effect {
            target: tid.to_owned(),
            summary: business(p),
        }],
        pushes: Vec::new(),
    })
}

fn refresh(ctx: &Ctx<'_>) -> Result<Done, Reject> {
    let (access, refresh) = tokens::issue(ctx, "6201", "6202")?;
    let result = json!({
        "access_token": access,
        "refresh_token": refresh,
        "expires_in": tokens::EXPIRES_IN_S,
        "re_expires_in": tokens::REFRESH_EXPIRES_IN_S,
        "taobao_user_id": ctx.shop.shop_id,
        "taobao_user_nick": ctx.shop.name,
        "token_type": "Bearer",
    });
    // TOP returns the token result as a JSON *string*.
    Ok(Done::read(json!({ "token_result": result.to_string() })))
}
