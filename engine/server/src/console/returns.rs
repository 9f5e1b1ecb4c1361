//! The return review view of a returns task (`return_review`, opened by
//! `workflows/return-voucher.yaml`): the refund, the order's items and the no-reason window,
//! and the form to approve or reject with a reason.

use maud::{Markup, html};
use serde_json::Value;
use shopflow_desk::Task;

use super::layout::{self, Ctx};
use super::session;
use super::tasks::decision_form;

fn plain(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// The review view.
pub fn view(ctx: &Ctx<'_>, task: &Task, may_decide: bool) -> Markup {
    let d = session::masked(ctx.user, &task.data);
    let items: Vec<Value> = d
        .get("items")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    html! {
        div.cols {
            div.card {
                h2 style="margin-top:0" { (ctx.t("returns.title")) }
                dl.facts {
                    dt { (ctx.t("invoice.shop")) } dd { (plain(d.get("shop"))) " · " (plain(d.get("platform"))) }
                    dt { (ctx.t("invoice.order_id")) } dd.mono { (plain(d.get("order_id"))) }
                    dt { (ctx.t("tasks.subject")) } dd.mono { (plain(d.get("refund_id"))) }
                    dt { (ctx.t("returns.kind")) } dd { (plain(d.get("kind"))) }
                    dt { (ctx.t("returns.refund_amount")) } dd { (plain(d.get("amount"))) " / " (plain(d.get("order_total"))) }
                    dt { (ctx.t("returns.reason")) } dd { (plain(d.get("reason"))) }
                    dt { (ctx.t("returns.window")) } dd { (plain(d.get("window_ends_at"))) }
                }
                h2 { (ctx.t("returns.items")) }
                table {
                    thead { tr { th { (ctx.t("invoice.item")) } th.num { (ctx.t("invoice.quantity")) } th.num { (ctx.t("invoice.amount")) } } }
                    tbody { @for i in &items { tr {
                        td { (plain(i.get("title"))) } td.num { (plain(i.get("quantity"))) } td.num { (plain(i.get("price"))) }
                    } } }
                }
                details {
                    summary { (ctx.t("tasks.data")) }
                    (layout::json_block(ctx.lang, &d))
                }
            }
            div {
                @if may_decide { (decision_form(ctx, task, html! {})) }
            }
        }
    }
}
