//! The invoice review view of a finance task (`invoice_review`, opened by
//! `workflows/invoice-ocr.yaml`): the scanned page with a box around every field OCR read,
//! coloured by confidence; the fields; the computed invoice; and the form to correct the payer,
//! the order id, the expected total and the lines before approving. Only what the clerk
//! changed goes into the decision's `changes`, in the shape the flow reads.

use std::collections::BTreeMap;

use maud::{Markup, html};
use serde_json::{Map, Value, json};
use shopflow_connectors::money::{format_fen, parse_yuan};
use shopflow_desk::Task;

use super::ConsoleState;
use super::artifacts::image_size;
use super::layout::Ctx;
use super::run::{ArtifactRef, artifact_href, collect_artifacts};
use super::session::{self, Permission};
use super::tasks::decision_form;

/// Confidence at or above which a field is drawn green.
pub const HIGH: f64 = 0.85;
/// Confidence below which a field is drawn red (OCR's own `low_confidence` threshold).
pub const LOW: f64 = 0.6;

/// `high`, `medium` or `low` for a confidence.
pub fn band(confidence: f64) -> &'static str {
    if confidence >= HIGH {
        "high"
    } else if confidence >= LOW {
        "medium"
    } else {
        "low"
    }
}

/// Fields whose reading a reason doubts (drawn red whatever their confidence).
fn doubted(task: &Task) -> Vec<String> {
    task.reasons
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r.get("field").and_then(Value::as_str))
        .map(|f| f.trim_start_matches('/').to_owned())
        .collect()
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// A line's amount including tax (what the flow's lines hold): amount + tax, in yuan.
fn gross(line: &Value) -> String {
    match (
        parse_yuan(text(line, "amount")),
        parse_yuan(text(line, "tax")),
    ) {
        (Some(a), Some(t)) => format_fen(a + t),
        _ => String::new(),
    }
}

/// A value as text for an input (strings as they are, numbers written out).
fn plain(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// The review view.
pub fn view(ctx: &Ctx<'_>, state: &ConsoleState, task: &Task, may_decide: bool) -> Markup {
    let data = &task.data;
    let shown = session::masked(ctx.user, data);
    let payer = shown.get("payer").cloned().unwrap_or(Value::Null);
    let lines: Vec<Value> = shown
        .get("lines")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let fields = shown
        .get("ocr_fields")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let doubted = doubted(task);
    let band_of = |name: &str, f: &Value| {
        let c = f.get("confidence").and_then(Value::as_f64).unwrap_or(0.0);
        if doubted.iter().any(|d| d.contains(name)) {
            "low"
        } else {
            band(c)
        }
    };
    html! {
        div.cols {
            div {
                h2 { (ctx.t("invoice.scan")) }
                (scan(ctx, state, data, &fields, &band_of))
                @if !fields.is_empty() {
                    p.note {
                        (ctx.t("invoice.legend")) " "
                        span.chip.high {} (ctx.t("invoice.high")) " · "
                        span.chip.medium {} (ctx.t("invoice.medium")) " · "
                        span.chip.low {} (ctx.t("invoice.low"))
                    }
                    table #ocr-fields {
                        thead { tr { th { (ctx.t("invoice.field")) } th { (ctx.t("invoice.value")) } th.num { (ctx.t("invoice.confidence")) } } }
                        tbody {
                            @for (name, f) in &fields {
                                @let c = f.get("confidence").and_then(Value::as_f64).unwrap_or(0.0);
                                @let b = band_of(name, f);
                                tr {
                                    td { span class={ "chip " (b) } {} code { (name) } }
                                    td.mono { (plain(f.get("value"))) }
                                    td.num { span class={ "conf " (b) } { (format!("{:.0} %", c * 100.0)) } }
                                }
                            }
                        }
                    }
                }
            }
            div {
                h2 { (ctx.t("invoice.computed")) }
                div.card #computed {
                    dl.facts {
                        dt { (ctx.t("invoice.shop")) } dd { (text(&shown, "shop")) }
                        dt { (ctx.t("invoice.order_id")) } dd.mono { (plain(shown.get("order_id"))) }
                        dt { (ctx.t("invoice.payer")) }
                        dd {
                            (plain(payer.get("name"))) " · " (kind_label(ctx, text(&payer, "kind")))
                            br; span.mono { (plain(payer.get("tax_id"))) }
                        }
                    }
                    table style="margin-top:.8rem" {
                        thead { tr {
                            th { (ctx.t("invoice.item")) }
                            th.num { (ctx.t("invoice.quantity")) }
                            th.num { (ctx.t("invoice.unit_price")) }
                            th.num { (ctx.t("invoice.amount")) }
                            th.num { (ctx.t("invoice.tax_rate")) }
                            th.num { (ctx.t("invoice.tax")) }
                        } }
                        tbody {
                            @for l in &lines { tr {
                                td { (text(l, "name")) }
                                td.num { (plain(l.get("quantity"))) }
                                td.num { (text(l, "unit_price")) }
                                td.num { (text(l, "amount")) }
                                td.num { (text(l, "tax_rate")) }
                                td.num { (text(l, "tax")) }
                            } }
                        }
                        tfoot {
                            tr { th colspan="3" { (ctx.t("invoice.amount")) " / " (ctx.t("invoice.tax")) } th.num { (text(&shown, "amount")) } th {} th.num { (text(&shown, "tax")) } }
                            tr { th colspan="3" { (ctx.t("invoice.total")) } th.num #total { (text(&shown, "total")) } th colspan="2" {} }
                            tr { th colspan="3" { (ctx.t("invoice.expected_total")) } th.num { (plain(shown.get("expected_total"))) } th colspan="2" {} }
                        }
                    }
                }
                @if may_decide { (edit_form(ctx, task)) }
            }
        }
    }
}

fn kind_label(ctx: &Ctx<'_>, kind: &str) -> &'static str {
    if kind == "company" {
        ctx.t("invoice.company")
    } else {
        ctx.t("invoice.person")
    }
}

/// The scanned page with the boxes, an SVG scaled to the column (the image's own pixels are
/// the boxes' coordinates).
fn scan(
    ctx: &Ctx<'_>,
    state: &ConsoleState,
    data: &Value,
    fields: &Map<String, Value>,
    band_of: &dyn Fn(&str, &Value) -> &'static str,
) -> Markup {
    let mut refs: Vec<ArtifactRef> = Vec::new();
    if let Some(s) = data.get("screenshot") {
        collect_artifacts(s, &mut refs);
    }
    let Some(shot) = refs.first() else {
        return html! { p.muted { (ctx.t("invoice.no_scan")) } };
    };
    if !session::can(ctx.user, Permission::SeePersonalData) {
        return html! { p.muted { (ctx.t("run.artifacts_hidden")) } };
    }
    let bytes = state
        .artifacts
        .as_ref()
        .and_then(|s| s.get(&shot.reference).ok().flatten());
    let Some((w, h)) = bytes.as_deref().and_then(image_size) else {
        return html! {
            p { (ctx.t("invoice.pdf_scan")) " " a href=(artifact_href(shot)) target="_blank" { (shot.name) } }
        };
    };
    let href = artifact_href(shot);
    html! {
        div.scan {
            svg #scan viewBox={ "0 0 " (w) " " (h) } xmlns="http://www.w3.org/2000/svg" role="img" {
                image href=(href) x="0" y="0" width=(w) height=(h) {}
                @for (name, f) in fields {
                    @if let Some(b) = f.get("box").filter(|b| b.get("page").and_then(Value::as_u64).unwrap_or(1) == 1) {
                        @let x = b.get("x").and_then(Value::as_f64).unwrap_or(0.0);
                        @let y = b.get("y").and_then(Value::as_f64).unwrap_or(0.0);
                        @let bw = b.get("width").and_then(Value::as_f64).unwrap_or(0.0);
                        @let bh = b.get("height").and_then(Value::as_f64).unwrap_or(0.0);
                        @let class = band_of(name, f);
                        g class=(class) data-field=(name) {
                            rect class={ "box " (class) } x=(x - 4.0) y=(y - 4.0) width=(bw + 8.0) height=(bh + 8.0) rx="4" {
                                title { (name) " " (format!("{:.0} %", f.get("confidence").and_then(Value::as_f64).unwrap_or(0.0) * 100.0)) }
                            }
                            text class=(class) x=(x) y=((y - 8.0).max(18.0)) { (name) }
                        }
                    }
                }
            }
        }
        p.note { a href=(href) target="_blank" { (shot.name) } }
    }
}

/// The correction form.
fn edit_form(ctx: &Ctx<'_>, task: &Task) -> Markup {
    let data = &task.data;
    let payer = data.get("payer").cloned().unwrap_or(Value::Null);
    let lines: Vec<Value> = data
        .get("lines")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let kind = text(&payer, "kind");
    let fields = html! {
        p.note { (ctx.t("invoice.edit_note")) }
        h2 { (ctx.t("invoice.payer")) }
        div.field-row {
            label for="payer_kind" { (ctx.t("invoice.payer_kind")) }
            select #payer_kind name="payer_kind" {
                option value="company" selected[kind == "company"] { (ctx.t("invoice.company")) }
                option value="person" selected[kind != "company"] { (ctx.t("invoice.person")) }
            }
        }
        div.field-row {
            label for="payer_name" { (ctx.t("invoice.payer_name")) }
            input #payer_name type="text" name="payer_name" value=(plain(payer.get("name")));
        }
        div.field-row {
            label for="payer_tax_id" { (ctx.t("invoice.tax_id")) }
            input #payer_tax_id.mono type="text" name="payer_tax_id" value=(plain(payer.get("tax_id")));
        }
        div.field-row {
            label for="order_id" { (ctx.t("invoice.order_id")) }
            input #order_id.mono type="text" name="order_id" value=(plain(data.get("order_id")));
        }
        div.field-row {
            label for="expected_total" { (ctx.t("invoice.expected_total")) }
            input #expected_total type="text" name="expected_total" value=(plain(data.get("expected_total")));
        }
        h2 { (ctx.t("invoice.lines")) }
        table.edit {
            thead { tr {
                th { (ctx.t("invoice.item")) }
                th { (ctx.t("invoice.quantity")) }
                th { (ctx.t("invoice.gross")) }
                th { (ctx.t("invoice.tax_rate")) }
            } }
            tbody {
                @for (i, l) in lines.iter().enumerate() {
                    tr {
                        td { input type="text" name={ "line" (i) "_name" } value=(text(l, "name")); }
                        td { input type="text" name={ "line" (i) "_quantity" } value=(plain(l.get("quantity"))) size="5"; }
                        td { input type="text" name={ "line" (i) "_gross" } value=(gross(l)) size="9"; }
                        td { input type="text" name={ "line" (i) "_rate" } value=(text(l, "tax_rate")) size="5"; }
                    }
                }
                @let n = lines.len();
                tr {
                    td { input type="text" name={ "line" (n) "_name" } placeholder=(ctx.t("invoice.add_line")); }
                    td { input type="text" name={ "line" (n) "_quantity" } size="5"; }
                    td { input type="text" name={ "line" (n) "_gross" } size="9"; }
                    td { input type="text" name={ "line" (n) "_rate" } value="13%" size="5"; }
                }
            }
        }
    };
    decision_form(ctx, task, fields)
}

/// The corrections in `form` against the task's `data`, as the flow reads them:
/// `payer.{kind,name,tax_id}`, `order_id`, `lines`, `expected_total` — each only when changed.
/// A line that is incomplete or has a malformed number is refused with its number (from 1).
pub fn changes(data: &Value, form: &BTreeMap<String, String>) -> Result<Value, usize> {
    let field = |k: &str| form.get(k).map(|v| v.trim().to_owned());
    let mut out = Map::new();
    let payer = data.get("payer").cloned().unwrap_or(Value::Null);
    let mut payer_changes = Map::new();
    for (key, name) in [
        ("kind", "payer_kind"),
        ("name", "payer_name"),
        ("tax_id", "payer_tax_id"),
    ] {
        let Some(new) = field(name) else { continue };
        if new != plain(payer.get(key)) {
            let value = if new.is_empty() {
                Value::Null
            } else {
                json!(new)
            };
            payer_changes.insert(key.to_owned(), value);
        }
    }
    if !payer_changes.is_empty() {
        out.insert("payer".to_owned(), Value::Object(payer_changes));
    }
    for key in ["order_id", "expected_total"] {
        if let Some(new) = field(key)
            && new != plain(data.get(key))
        {
            let value = if new.is_empty() {
                Value::Null
            } else {
                json!(new)
            };
            out.insert(key.to_owned(), value);
        }
    }
    let original: Vec<Value> = data
        .get("lines")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let as_sent = |l: &Value| {
        json!({"name": text(l, "name"), "quantity": plain(l.get("quantity")),
               "amount": gross(l), "tax_rate": text(l, "tax_rate")})
    };
    let before: Vec<Value> = original.iter().map(as_sent).collect();
    let mut after: Vec<Value> = Vec::new();
    for i in 0..=original.len() {
        let get = |part: &str| field(&format!("line{i}_{part}")).unwrap_or_default();
        let (name, quantity, amount, rate) =
            (get("name"), get("quantity"), get("gross"), get("rate"));
        if name.is_empty() && quantity.is_empty() && amount.is_empty() {
            continue;
        }
        let quantity_ok = quantity.parse::<f64>().is_ok_and(|q| q > 0.0);
        let amount_ok = parse_yuan(&amount).is_some();
        let rate_ok = rate.ends_with('%') && rate.trim_end_matches('%').parse::<f64>().is_ok();
        if name.is_empty() || !quantity_ok || !amount_ok || !rate_ok {
            return Err(i + 1);
        }
        let amount = parse_yuan(&amount).map(format_fen).unwrap_or(amount);
        after.push(json!({"name": name, "quantity": quantity, "amount": amount, "tax_rate": rate}));
    }
    if after != before && !after.is_empty() {
        out.insert("lines".to_owned(), Value::Array(after));
    }
    Ok(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> Value {
        json!({
            "shop": "tmall", "order_id": "T1",
            "payer": {"kind": "company", "name": "上海悦家", "tax_id": "91350100M000100Y44"},
            "lines": [{"name": "空气炸锅", "quantity": "1", "unit_price": "406.19",
                       "amount": "406.19", "tax_rate": "13%", "tax": "52.81"}],
            "amount": "406.19", "tax": "52.81", "total": "459.00", "expected_total": "459.00"
        })
    }

    fn form(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        let mut f: BTreeMap<String, String> = [
            ("payer_kind", "company"),
            ("payer_name", "上海悦家"),
            ("payer_tax_id", "91350100M000100Y44"),
            ("order_id", "T1"),
            ("expected_total", "459.00"),
            ("line0_name", "空气炸锅"),
            ("line0_quantity", "1"),
            ("line0_gross", "459.00"),
            ("line0_rate", "13%"),
            ("line1_rate", "13%"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        for (k, v) in pairs {
            f.insert((*k).to_owned(), (*v).to_owned());
        }
        f
    }

    #[test]
    fn only_changed_fields_are_sent() {
        assert_eq!(changes(&data(), &form(&[])), Ok(json!({})));
        let c = changes(&data(), &form(&[("payer_tax_id", "91350100M000100Y43")]));
        assert_eq!(c, Ok(json!({"payer": {"tax_id": "91350100M000100Y43"}})));
    }

    #[test]
    fn changed_lines_are_sent_whole_with_tax_inclusive_amounts() {
        let c = changes(
            &data(),
            &form(&[
                ("line0_gross", "449"),
                ("line1_name", "运费"),
                ("line1_quantity", "1"),
                ("line1_gross", "10.00"),
            ]),
        )
        .expect("valid");
        assert_eq!(
            c["lines"],
            json!([
            {"name": "空气炸锅", "quantity": "1", "amount": "449.00", "tax_rate": "13%"},
            {"name": "运费", "quantity": "1", "amount": "10.00", "tax_rate": "13%"}])
        );
        assert_eq!(
            changes(&data(), &form(&[("line0_quantity", "zero")])),
            Err(1)
        );
    }

    #[test]
    fn confidence_bands() {
        assert_eq!(band(0.93), "high");
        assert_eq!(band(0.7), "medium");
        assert_eq!(band(0.3), "low");
    }
}
