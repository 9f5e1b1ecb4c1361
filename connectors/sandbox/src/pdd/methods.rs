//! Pinduoduo's business methods (the set in `docs/platform-protocols.md`).

use base64::Engine as _;
use serde_json::{Value, json};

use super::render;
use crate::gate::params::{self, Params};
use crate::gate::{Ctx, Done, Effect, Reject, Subject, redact, string_map};
use crate::model::Refund;
use crate::store::table;
use crate::tokens;
use crate::transitions::{self, Action};

/// Runs `method`.
pub(crate) fn dispatch(ctx: &Ctx<'_>, method: &str, p: &Params) -> Result<Done, Reject> {
    match method {
        "pdd.order.information.get" => order_get(ctx, p),
        "pdd.refund.information.get" => refund_get(ctx, p),
        "pdd.refund.agree" => {
            params::required(p, "operate_desc")?;
            refund_action(ctx, p, Action::AgreeRefund)
        }
        "pdd.refund.returngoods.agree" => {
            let address = params::required(p, "return_address_id")?;
            transitions::check_address(ctx, address, "return_address_id")?;
            refund_action(ctx, p, Action::AgreeReturn)
        }
        "pdd.refund.address.list.get" => addresses(ctx),
        "pdd.open.msg.service.send.msg" => send_message(ctx, p),
        "pdd.invoice.application.query" => applications(ctx, p),
        "pdd.invoice.detail.upload" => invoice_upload(ctx, p),
        super::REFRESH => refresh(ctx),
        other => Err(Reject::UnknownMethod(other.to_owned())),
    }
}

fn business(p: &Params) -> Value {
    const SYSTEM: [&str; 5] = ["type", "timestamp", "data_type", "version", "sign"];
    redact(&string_map(
        p.iter().filter(|(k, _)| !SYSTEM.contains(&k.as_str())),
    ))
}

fn order_get(ctx: &Ctx<'_>, p: &Params) -> Result<Done, Reject> {
    let sn = params::required(p, "order_sn")?;
    let order =
        table::order(ctx.conn, &ctx.shop.name, sn)?.ok_or(Reject::NotFound(Subject::Order))?;
    Ok(Done::read(json!({ "order_info": render::order(&order) })))
}

/// The after-sale `after_sales_id` of order `order_sn`.
fn after_sale(ctx: &Ctx<'_>, p: &Params) -> Result<Refund, Reject> {
    let id = params::required(p, "after_sales_id")?;
    let sn = params::required(p, "order_sn")?;
    table::refund(ctx.conn, &ctx.shop.name, id)?
        .filter(|r| r.order_id == sn)
        .ok_or(Reject::NotFound(Subject::Refund))
}

fn refund_get(ctx: &Ctx<'_>, p: &Params) -> Result<Done, Reject> {
    let refund = after_sale(ctx, p)?;
    let goods = table::order(ctx.conn, &ctx.shop.name, &refund.order_id)?
        .and_then(|o| {
            o.items
                .iter()
                .find(|i| i.line_id == refund.line_id)
                .or(o.items.first())
                .map(|i| i.title.clone())
        })
        .unwrap_or_default();
    Ok(Done::read(render::after_sale(&refund, &goods)))
}

fn refund_action(ctx: &Ctx<'_>, p: &Params, action: Action) -> Result<Done, Reject> {
    let refund = after_sale(ctx, p)?;
    let mut done = Done::default();
    transitions::apply(ctx, &refund.refund_id, action, business(p), &mut done)?;
    done.data = json!({ "result": { "succ": true } });
    Ok(done)
}

fn addresses(ctx: &Ctx<'_>) -> Result<Done, Reject> {
    let list: Vec<Value> = table::addresses(ctx.conn, &ctx.shop.name)?
        .iter()
        .map(render::address)
        .collect();
    Ok(Done::read(json!({ "refund_address_list": list })))
}

fn send_message(ctx: &Ctx<'_>, p: &Params) -> Result<Done, Reject> {
    let sn = params::required(p, "order_sn")?;
    let content = params::required(p, "content")?;
    if content.chars().count() > 500 {
        return Err(Reject::Invalid("content".into()));
    }
    table::order(ctx.conn, &ctx.shop.name, sn)?.ok_or(Reject::NotFound(Subject::Order))?;
    table::insert_message(ctx.conn, &ctx.shop.name, sn, content, ctx.now_ms)?;
    Ok(Done {
        data: json!({ "result": { "succ": true } }),
        effects: vec![Effect {
            target: sn.to_owned(),
            summary: business(p),
        }],
        pushes: Vec::new(),
    })
}

fn applications(ctx: &Ctx<'_>, p: &Params) -> Result<Done, Reject> {
    let page = params::int_or(p, "page", 1)?;
    let size = params::int_or(p, "page_size", 20)?;
    let status = params::int_or(p, "status", 0)?;
    if page < 1 {
        return Err(Reject::Invalid("page".into()));
    }
    if !(1..=100).contains(&size) {
        return Err(Reject::Invalid("page_size".into()));
    }
    let (list, total) =
        table::applications_page(ctx.conn, &ctx.shop.name, status, (page - 1) * size, size)?;
    let list: Vec<Value> = list.iter().map(render::application).collect();
    Ok(Done::read(
        json!({ "total": total, "invoice_application_list": list }),
    ))
}

fn invoice_upload(ctx: &Ctx<'_>, p: &Params) -> Result<Done, Reject> {
    let sn = params::required(p, "order_sn")?;
    let invoice_no = params::required(p, "invoice_no")?;
    params::required_int(p, "invoice_time")?;
    let amount = params::required_int(p, "invoice_amount")?;
    let sum_price = params::required_int(p, "sum_price")?;
    let sum_tax = params::required_int(p, "sum_tax")?;
    if sum_price + sum_tax != amount || amount <= 0 {
        return Err(Reject::Invalid("invoice_amount".into()));
    }
    let business_type = params::required_int(p, "business_type")?;
    if !matches!(business_type, 0 | 1) {
        return Err(Reject::Invalid("business_type".into()));
    }
    let payer_name = params::required(p, "payer_name")?;
    let register_no = params::optional(p, "payer_register_no").unwrap_or_default();
    if business_type == 1 {
        if register_no.is_empty() {
            return Err(Reject::Missing("payer_register_no".into()));
        }
        if register_no.len() == 18
            && !shopflow_connectors::tax_id::is_valid_credit_code(register_no)
        {
            return Err(Reject::Invalid("payer_register_no".into()));
        }
    }
    let file = params::required(p, "invoice_file_content")?;
    if base64::engine::general_purpose::STANDARD
        .decode(file.trim())
        .is_err()
    {
        return Err(Reject::Invalid("invoice_file_content".into()));
    }
    table::order(ctx.conn, &ctx.shop.name, sn)?.ok_or(Reject::NotFound(Subject::Order))?;
    let serial_no = format!(
        "PDD{}{}",
        ctx.now_ms,
        &sn.replace('-', "")[..6.min(sn.len())]
    );
    let invoice = table::UploadedInvoice {
        order_id: sn.to_owned(),
        serial_no: serial_no.clone(),
        invoice_no: invoice_no.to_owned(),
        amount_fen: amount,
        sum_price_fen: sum_price,
        sum_tax_fen: sum_tax,
        business_type,
        payer_name: payer_name.to_owned(),
        payer_register_no: register_no.to_owned(),
    };
    table::insert_invoice(ctx.conn, &ctx.shop.name, &invoice, ctx.now_ms)?;
    table::mark_invoiced(ctx.conn, &ctx.shop.name, sn)?;
    Ok(Done {
        data: json!({ "serial_no": serial_no }),
        effects: vec![Effect {
            target: sn.to_owned(),
            summary: business(p),
        }],
        pushes: Vec::new(),
    })
}

fn refresh(ctx: &Ctx<'_>) -> Result<Done, Reject> {
    let (access, refresh) = tokens::issue(ctx, "pdd", "pddr")?;
    Ok(Done::read(json!({
        "access_token": access,
        "refresh_token": refresh,
        "expires_in": tokens::EXPIRES_IN_S,
        "refresh_token_expires_in": tokens::REFRESH_EXPIRES_IN_S,
        "owner_id": ctx.shop.shop_id,
        "owner_name": ctx.shop.name,
    })))
}
