//! `emit`, `listen`, event filters and consumption strategies.

use crate::diagnostic::Code;
use crate::model::{
    Consumption, Correlation, Emit, EventFilter, FilterValue, Listen, ReadMode,
    SubscriptionIterator, Template, Until,
};
use crate::parse::task::task_list;
use crate::parse::values::{export, expression, flatten, output, template};
use crate::parse::{Ctx, Fields, child, entries, string};
use crate::yaml::{Node, Value};

const EMIT_FIELDS: &[&str] = &["event"];
const EVENT_FIELDS: &[&str] = &["with"];

/// `emit: { event: { with: {…} } }`.
pub(crate) fn emit(ctx: &mut Ctx, node: &Node, pointer: &str) -> Option<Emit> {
    let mut f = Fields::new(ctx, node, pointer, "`emit`", EMIT_FIELDS)?;
    let event = f.require(ctx, "event");
    f.finish(ctx);
    let (event, event_ptr) = event?;
    let mut e = Fields::new(ctx, event, &event_ptr, "`emit.event`", EVENT_FIELDS)?;
    let with = e.require(ctx, "with");
    e.finish(ctx);
    let (with, with_ptr) = with?;
    let attrs = entries(ctx, with, &with_ptr, "the event's attributes")?;
    if !attrs.iter().any(|(k, _)| k.name == "type") {
        ctx.error_help(
            Code::MissingField,
            with.pos,
            &with_ptr,
            "the emitted event has no `type`",
            "add `type:` (for example `com.example.order.shipped.v1`); `id`, `source` and `time` are filled in when absent",
        );
        return None;
    }
    Some(Emit {
        event: template(ctx, with, &with_ptr)?,
    })
}

const LISTEN_FIELDS: &[&str] = &["to", "read"];

/// `listen: { to: …, read: … }` (its `foreach` is read by the task).
pub(crate) fn listen(ctx: &mut Ctx, node: &Node, pointer: &str) -> Option<Listen> {
    let mut f = Fields::new(ctx, node, pointer, "`listen`", LISTEN_FIELDS)?;
    let to = f
        .require(ctx, "to")
        .and_then(|(n, p)| consumption(ctx, n, &p));
    let read = match f.take("read") {
        None => Some(ReadMode::Data),
        Some((n, p)) => match n.as_str() {
            Some("data") => Some(ReadMode::Data),
            Some("envelope") => Some(ReadMode::Envelope),
            Some("raw") => Some(ReadMode::Raw),
            _ => {
                ctx.error_help(
                    Code::InvalidValue,
                    n.pos,
                    &p,
                    "`read` must be `data`, `envelope` or `raw`",
                    "`data` is the default",
                );
                None
            }
        },
    };
    f.finish(ctx);
    Some(Listen {
        to: to?,
        read: read?,
        foreach: None,
    })
}

const CONSUMPTION_FIELDS: &[&str] = &["all", "any", "one", "until"];

/// `all` / `any` (+ `until`) / `one`.
pub(crate) fn consumption(ctx: &mut Ctx, node: &Node, pointer: &str) -> Option<Consumption> {
    let mut f = Fields::new(
        ctx,
        node,
        pointer,
        "an event consumption strategy",
        CONSUMPTION_FIELDS,
    )?;
    let present: Vec<&str> = ["all", "any", "one"]
        .into_iter()
        .filter(|k| f.has(k))
        .collect();
    let out = match present.as_slice() {
        ["all"] => {
            let (n, p) = f.take("all")?;
            filters(ctx, n, &p, false).map(Consumption::All)
        }
        ["any"] => {
            let (n, p) = f.take("any")?;
            let filters = filters(ctx, n, &p, true);
            let until = f.take("until").map(|(n, p)| until(ctx, n, &p));
            match (filters, flatten(until)) {
                (Some(filters), Some(until)) => Some(Consumption::Any {
                    filters,
                    until: until.map(Box::new),
                }),
                _ => None,
            }
        }
        ["one"] => {
            let (n, p) = f.take("one")?;
            event_filter(ctx, n, &p).map(Consumption::One)
        }
        [] => {
            ctx.error_help(
                Code::MissingField,
                f.pos(),
                pointer,
                "the consumption strategy sets none of `all`, `any`, `one`",
                "`one:` waits for one event, `any:` for any of several, `all:` for all of them",
            );
            None
        }
        _ => {
            ctx.error_help(
                Code::ExclusiveFields,
                f.pos(),
                pointer,
                format!(
                    "the consumption strategy sets {}; set exactly one",
                    present
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(" and ")
                ),
                "`one:` waits for one event, `any:` for any of several, `all:` for all of them",
            );
            None
        }
    };
    if present.as_slice() != ["any"]
        && let Some((n, p)) = f.take("until")
    {
        ctx.error_help(
            Code::InvalidValue,
            n.pos,
            &p,
            "`until` only applies to `any`",
            "remove `until` or use `any:`",
        );
    }
    f.finish(ctx);
    out
}

fn until(ctx: &mut Ctx, node: &Node, pointer: &str) -> Option<Until> {
    match &node.value {
        Value::Str(_) => expression(ctx, node, pointer).map(Until::Expr),
        _ => consumption(ctx, node, pointer).map(Until::Events),
    }
}

fn filters(
    ctx: &mut Ctx,
    node: &Node,
    pointer: &str,
    may_be_empty: bool,
) -> Option<Vec<EventFilter>> {
    let Value::Seq(items) = &node.value else {
        ctx.wrong_type(node, pointer, "a list of event filters");
        return None;
    };
    if items.is_empty() && !may_be_empty {
        ctx.error(
            Code::MissingField,
            node.pos,
            pointer,
            "`all` needs at least one event filter",
        );
        return None;
    }
    let mut out = Vec::with_capacity(items.len());
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        match event_filter(ctx, item, &child(pointer, &i.to_string())) {
            Some(f) => out.push(f),
            None => ok = false,
        }
    }
    ok.then_some(out)
}

const FILTER_FIELDS: &[&str] = &["with", "correlate"];
const CORRELATION_FIELDS: &[&str] = &["from", "expect"];

/// `{ with: {attr: value}, correlate: {name: {from, expect}} }`.
pub(crate) fn event_filter(ctx: &mut Ctx, node: &Node, pointer: &str) -> Option<EventFilter> {
    let mut f = Fields::new(ctx, node, pointer, "an event filter", FILTER_FIELDS)?;
    let with = f.require(ctx, "with");
    let correlate = f.take("correlate");
    let pos = f.pos();
    f.finish(ctx);
    let (with, with_ptr) = with?;
    let attrs = entries(ctx, with, &with_ptr, "an event filter's `with`")?;
    if attrs.is_empty() {
        ctx.error_help(
            Code::EmptyEventFilter,
            with.pos,
            &with_ptr,
            "the event filter names no attribute, so it would match every event",
            "filter on at least `type`, e.g. `type: shopflow.taobao.trade.buyerpay`",
        );
        return None;
    }
    let mut out = Vec::with_capacity(attrs.len());
    let mut ok = true;
    for (k, v) in attrs {
        let p = child(&with_ptr, &k.name);
        let value = match &v.value {
            Value::Str(s) if crate::expr::strip_expression(s).is_some() => {
                expression(ctx, v, &p).map(FilterValue::Expr)
            }
            _ => Some(FilterValue::Value(v.to_json())),
        };
        match value {
            Some(value) => out.push((k.name.clone(), value)),
            None => ok = false,
        }
    }
    let mut correlations = Vec::new();
    if let Some((c, c_ptr)) = correlate {
        for (k, v) in entries(ctx, c, &c_ptr, "`correlate`")? {
            let p = child(&c_ptr, &k.name);
            let Some(mut cf) = Fields::new(ctx, v, &p, "a correlation", CORRELATION_FIELDS) else {
                ok = false;
                continue;
            };
            let from = cf
                .require(ctx, "from")
                .and_then(|(n, p)| expression(ctx, n, &p));
            let expect = cf.take("expect").map(|(n, p)| match &n.value {
                Value::Str(s) if crate::expr::strip_expression(s).is_some() => {
                    expression(ctx, n, &p).map(Template::Expr)
                }
                _ => Some(Template::Literal(n.to_json())),
            });
            cf.finish(ctx);
            match (from, flatten(expect)) {
                (Some(from), Some(expect)) => {
                    correlations.push((k.name.clone(), Correlation { from, expect }))
                }
                _ => ok = false,
            }
        }
    }
    ok.then_some(EventFilter {
        with: out,
        correlate: correlations,
        pos,
    })
}

const ITERATOR_FIELDS: &[&str] = &["item", "at", "do", "output", "export"];

/// `foreach` of a `listen`.
pub(crate) fn subscription_iterator(
    ctx: &mut Ctx,
    node: &Node,
    pointer: &str,
) -> Option<SubscriptionIterator> {
    let mut f = Fields::new(ctx, node, pointer, "`foreach`", ITERATOR_FIELDS)?;
    let item = f
        .take("item")
        .and_then(|(n, p)| string(ctx, n, &p))
        .unwrap_or_else(|| "item".to_owned());
    let at = f
        .take("at")
        .and_then(|(n, p)| string(ctx, n, &p))
        .unwrap_or_else(|| "index".to_owned());
    let (tasks, out, exp) = ctx.with_vars(&[&item, &at], |ctx| {
        (
            f.require(ctx, "do")
                .and_then(|(n, p)| task_list(ctx, n, &p)),
            f.take("output").map(|(n, p)| output(ctx, n, &p)),
            f.take("export").map(|(n, p)| export(ctx, n, &p)),
        )
    });
    f.finish(ctx);
    Some(SubscriptionIterator {
        item,
        at,
        tasks: tasks?,
        output: flatten(out)?,
        export: flatten(exp)?,
    })
}
