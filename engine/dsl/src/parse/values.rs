//! Expressions, value templates, durations and schemas as they appear in field values.

use std::sync::Arc;
use std::time::Duration;

use crate::diagnostic::{Code, Pos, did_you_mean};
use crate::expr::{self, Expr};
use crate::model::{DurationValue, EvalMode, Export, Expression, Input, Output, Schema, Template};
use crate::parse::{Ctx, Fields, child, display_pointer, entries};
use crate::yaml::{Node, Value};

/// A field that is always a runtime expression: `${ … }` or bare jq text.
pub(crate) fn expression(ctx: &mut Ctx, node: &Node, pointer: &str) -> Option<Expression> {
    let Value::Str(text) = &node.value else {
        // `if: true` and the like: a constant written as YAML.
        if matches!(
            node.value,
            Value::Bool(_) | Value::Int(_) | Value::Float(_) | Value::Null
        ) {
            let src = node.to_json().to_string();
            return compile_at(ctx, &src, node, pointer, 0, false);
        }
        ctx.wrong_type(node, pointer, "a runtime expression (a string)");
        return None;
    };
    let (inner, start) = match expr::strip_expression(text) {
        Some(inner) => (inner, char_offset(text, inner)),
        None => (text.as_str(), 0),
    };
    compile_at(ctx, inner, node, pointer, start, true)
}

/// Character offset of `inner` (a subslice of `text`) within `text`.
fn char_offset(text: &str, inner: &str) -> usize {
    let byte = (inner.as_ptr() as usize).saturating_sub(text.as_ptr() as usize);
    text.get(..byte).map_or(0, |p| p.chars().count())
}

/// Compiles `src` with the variables in scope, reporting problems at their place in the file.
fn compile_at(
    ctx: &mut Ctx,
    src: &str,
    node: &Node,
    pointer: &str,
    start: usize,
    exact: bool,
) -> Option<Expression> {
    // Where byte `offset` of `src` is in the file, when the string is written verbatim on one line.
    let pos_at = |offset: usize| match node.content_offset {
        Some(lead) if exact => {
            let col = src.get(..offset).map_or(0, |p| p.chars().count());
            Pos::new(
                node.pos.line,
                node.pos.col + lead + u32::try_from(start + col).unwrap_or(0),
            )
        }
        _ => node.pos,
    };
    match Expr::compile_with(src, &ctx.scope) {
        Ok(expr) => {
            for (offset, name) in secret_names(src) {
                let pos = pos_at(offset);
                ctx.check_reference(
                    Code::UndefinedSecret,
                    "secret",
                    "secrets",
                    name,
                    pos,
                    pointer,
                );
            }
            Some(Expression {
                expr,
                pos: node.pos,
            })
        }
        Err(e) => {
            let pos = pos_at(e.offset);
            if let Some(var) = &e.undefined_variable {
                let known: Vec<&str> = expr::VARIABLES
                    .iter()
                    .copied()
                    .chain(ctx.scope.iter().map(String::as_str))
                    .collect();
                let help = match did_you_mean(var, known.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("variables here: {}", known.join(", ")),
                };
                ctx.error_help(
                    Code::UnknownVariable,
                    pos,
                    pointer,
                    format!(
                        "unknown variable `{var}` in expression at `{}`",
                        display_pointer(pointer)
                    ),
                    help,
                );
            } else {
                ctx.error_help(
                    Code::ExpressionSyntax,
                    pos,
                    pointer,
                    format!("expression does not compile: {}", e.message),
                    expression_help(src, &e),
                );
            }
            None
        }
    }
}

/// Common jq functions, for suggestions when a name is misspelt.
const JQ_FUNCTIONS: &[&str] = &[
    "add",
    "all",
    "any",
    "ascii_downcase",
    "ascii_upcase",
    "contains",
    "del",
    "empty",
    "endswith",
    "error",
    "first",
    "flatten",
    "floor",
    "from_entries",
    "fromjson",
    "getpath",
    "group_by",
    "has",
    "index",
    "indices",
    "join",
    "keys",
    "last",
    "length",
    "limit",
    "ltrimstr",
    "map",
    "map_values",
    "max",
    "max_by",
    "min",
    "min_by",
    "not",
    "paths",
    "range",
    "reverse",
    "round",
    "rtrimstr",
    "select",
    "sort",
    "sort_by",
    "split",
    "startswith",
    "test",
    "to_entries",
    "tojson",
    "tonumber",
    "tostring",
    "type",
    "unique",
    "unique_by",
    "values",
    "with_entries",
];

/// Advice for an expression that does not compile, specific where we can be.
fn expression_help(src: &str, e: &expr::CompileError) -> String {
    let function = e.undefined_function.as_deref().unwrap_or_default();
    let name = function.split('/').next().unwrap_or_default();
    if matches!(
        name,
        "now" | "localtime" | "strflocaltime" | "env" | "halt" | "halt_error"
    ) {
        return format!(
            "`{name}` is left out so that a run replays the same way; use `$workflow.startedAt` or \
             `$task.startedAt` (`.epoch.seconds`, `.iso8601`) for the time"
        );
    }
    if src.contains("&&") || src.contains("||") {
        return "jq writes `and` and `or`, not `&&` and `||`".to_owned();
    }
    if e.message.contains("nest") || e.message.contains("too long") {
        return "split the expression over several `set` tasks, or simplify it".to_owned();
    }
    if let Some(close) = did_you_mean(name, JQ_FUNCTIONS.iter().copied()) {
        return format!("did you mean `{close}`?");
    }
    if !function.is_empty() {
        return format!(
            "jq has no function `{function}`; see https://jqlang.org/manual/ for the functions there are"
        );
    }
    "runtime expressions are jq; check brackets, quotes and function names (https://jqlang.org/manual/)".to_owned()
}

/// Names read as `$secrets.NAME` or `$secrets["NAME"]` in an expression, with their byte offsets.
fn secret_names(src: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = src[from..].find("$secrets") {
        let at = from + i;
        let rest = &src[at + "$secrets".len()..];
        let name = if let Some(r) = rest.strip_prefix('.') {
            let end = r
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(r.len());
            &r[..end]
        } else if let Some(r) = rest.strip_prefix("[\"") {
            r.find('"').map_or("", |end| &r[..end])
        } else {
            ""
        };
        if !name.is_empty() {
            out.push((at, name));
        }
        from = at + "$secrets".len();
    }
    out
}

/// Any JSON value whose strings may be expressions.
pub(crate) fn template(ctx: &mut Ctx, node: &Node, pointer: &str) -> Option<Template> {
    match &node.value {
        Value::Str(s) => match (ctx.mode, expr::strip_expression(s)) {
            (_, Some(inner)) => {
                let start = char_offset(s, inner);
                compile_at(ctx, inner, node, pointer, start, true).map(Template::Expr)
            }
            (EvalMode::Loose, None) => Some(match Expr::compile_with(s, &ctx.scope) {
                Ok(expr) => Template::Expr(Expression {
                    expr,
                    pos: node.pos,
                }),
                Err(_) => Template::Literal(serde_json::Value::String(s.clone())),
            }),
            (EvalMode::Strict, None) => {
                Some(Template::Literal(serde_json::Value::String(s.clone())))
            }
        },
        Value::Seq(items) => {
            let mut out = Vec::with_capacity(items.len());
            let mut ok = true;
            for (i, item) in items.iter().enumerate() {
                match template(ctx, item, &child(pointer, &i.to_string())) {
                    Some(t) => out.push(t),
                    None => ok = false,
                }
            }
            ok.then(|| collapse_array(out))
        }
        Value::Map(fields) => {
            let mut out = Vec::with_capacity(fields.len());
            let mut ok = true;
            for (k, v) in fields {
                match template(ctx, v, &child(pointer, &k.name)) {
                    Some(t) => out.push((k.name.clone(), t)),
                    None => ok = false,
                }
            }
            ok.then(|| collapse_object(out))
        }
        _ => Some(Template::Literal(node.to_json())),
    }
}

fn collapse_array(items: Vec<Template>) -> Template {
    if items.iter().all(Template::is_literal) {
        Template::Literal(
            items
                .into_iter()
                .map(|t| match t {
                    Template::Literal(v) => v,
                    _ => serde_json::Value::Null,
                })
                .collect(),
        )
    } else {
        Template::Array(items)
    }
}

fn collapse_object(fields: Vec<(String, Template)>) -> Template {
    if fields.iter().all(|(_, t)| t.is_literal()) {
        Template::Literal(serde_json::Value::Object(
            fields
                .into_iter()
                .map(|(k, t)| match t {
                    Template::Literal(v) => (k, v),
                    _ => (k, serde_json::Value::Null),
                })
                .collect(),
        ))
    } else {
        Template::Object(fields)
    }
}

/// `input.from`, `output.as`, `export.as`: an expression string or an object template.
pub(crate) fn transform(ctx: &mut Ctx, node: &Node, pointer: &str) -> Option<Template> {
    match &node.value {
        Value::Str(_) => expression(ctx, node, pointer).map(Template::Expr),
        Value::Map(_) => template(ctx, node, pointer),
        _ => {
            ctx.wrong_type(node, pointer, "a runtime expression or an object");
            None
        }
    }
}

/// A duration: ISO 8601 text (`PT1S`) or an object (`seconds: 1`).
pub(crate) fn duration(ctx: &mut Ctx, node: &Node, pointer: &str) -> Option<Duration> {
    let result = match &node.value {
        Value::Str(s) => parse_iso8601(s),
        Value::Map(_) => return duration_object(ctx, node, pointer),
        _ => Err(format!(
            "expected an ISO 8601 duration or a duration object, found {}",
            node.kind_name()
        )),
    };
    match result {
        Ok(d) => Some(d),
        Err(message) => {
            ctx.error_help(
                Code::InvalidDuration,
                node.pos,
                pointer,
                message,
                "write an ISO 8601 duration such as `PT30S`, `PT15M`, `P1DT2H`, or an object like `minutes: 15`",
            );
            None
        }
    }
}

/// A duration that may also be a runtime expression (`wait`).
pub(crate) fn duration_value(ctx: &mut Ctx, node: &Node, pointer: &str) -> Option<DurationValue> {
    if let Value::Str(s) = &node.value
        && expr::strip_expression(s).is_some()
    {
        return expression(ctx, node, pointer).map(DurationValue::Expr);
    }
    duration(ctx, node, pointer).map(DurationValue::Fixed)
}

const DURATION_FIELDS: &[&str] = &["days", "hours", "minutes", "seconds", "milliseconds"];

fn duration_object(ctx: &mut Ctx, node: &Node, pointer: &str) -> Option<Duration> {
    let mut f = Fields::new(ctx, node, pointer, "a duration", DURATION_FIELDS)?;
    let mut total = Duration::ZERO;
    let mut any = false;
    let mut ok = true;
    for (key, unit_ms) in [
        ("days", 86_400_000u64),
        ("hours", 3_600_000),
        ("minutes", 60_000),
        ("seconds", 1_000),
        ("milliseconds", 1),
    ] {
        let Some((n, ptr)) = f.take(key) else {
            continue;
        };
        any = true;
        match n.value {
            Value::Int(i) if i >= 0 => {
                total += Duration::from_millis((i as u64).saturating_mul(unit_ms));
            }
            _ => {
                ctx.error_help(
                    Code::InvalidDuration,
                    n.pos,
                    &ptr,
                    format!("`{key}` must be a whole number ≥ 0, found {}", n.kind_name()),
                    "use a smaller unit for fractions, e.g. `seconds: 90` instead of `minutes: 1.5`",
                );
                ok = false;
            }
        }
    }
    let pos = f.pos();
    f.finish(ctx);
    if !any {
        ctx.error_help(
            Code::InvalidDuration,
            pos,
            pointer,
            "a duration object needs at least one of days, hours, minutes, seconds, milliseconds",
            "for example `seconds: 30`",
        );
        return None;
    }
    ok.then_some(total)
}

/// Parses an ISO 8601 duration; years and months are refused because their length varies.
pub fn parse_iso8601(s: &str) -> Result<Duration, String> {
    let bad = || format!("`{s}` is not an ISO 8601 duration");
    if !s.starts_with('P') || s.len() < 3 {
        return Err(bad());
    }
    // The crate accepts trailing garbage in some forms; insist the whole text is a duration.
    if s.chars()
        .any(|c| !(c.is_ascii_digit() || "PYMWDTHS.,".contains(c)))
    {
        return Err(bad());
    }
    match iso8601::duration(s).map_err(|_| bad())? {
        iso8601::Duration::Weeks(w) => Ok(Duration::from_secs(u64::from(w) * 7 * 86_400)),
        iso8601::Duration::YMDHMS {
            year,
            month,
            day,
            hour,
            minute,
            second,
            millisecond,
        } => {
            if year != 0 || month != 0 {
                return Err(format!(
                    "`{s}` uses years or months, which have no fixed length; use days (`P30D`)"
                ));
            }
            let secs = u64::from(day) * 86_400
                + u64::from(hour) * 3_600
                + u64::from(minute) * 60
                + u64::from(second);
            Ok(Duration::from_secs(secs) + Duration::from_millis(u64::from(millisecond)))
        }
    }
}

const SCHEMA_FIELDS: &[&str] = &["format", "document", "resource"];

/// A `schema` block: an inline JSON Schema, compiled to check it is valid.
pub(crate) fn schema(ctx: &mut Ctx, node: &Node, pointer: &str) -> Option<Schema> {
    let mut f = Fields::new(ctx, node, pointer, "a schema", SCHEMA_FIELDS)?;
    if let Some((fnode, fptr)) = f.take("format") {
        let format = super::string(ctx, fnode, &fptr).unwrap_or_default();
        let base = format.split(':').next().unwrap_or_default();
        if base != "json" {
            ctx.error_help(
                Code::NotSupported,
                fnode.pos,
                &fptr,
                format!("schema format `{format}` is not supported by shopflow"),
                "use `format: json` with a JSON Schema document",
            );
        }
    }
    let resource = f.take("resource");
    let document = f.take("document");
    let pos = f.pos();
    f.finish(ctx);
    if let Some((n, ptr)) = resource {
        ctx.error_help(
            Code::NotSupported,
            n.pos,
            &ptr,
            "external schema resources are not supported by shopflow",
            "inline the schema under `document:` so the flow is self-contained and versioned with it",
        );
        return None;
    }
    let Some((doc, ptr)) = document else {
        ctx.error_help(
            Code::MissingField,
            pos,
            pointer,
            "a schema is missing the required field `document`",
            "add `document:` with a JSON Schema",
        );
        return None;
    };
    entries(ctx, doc, &ptr, "a schema document")?;
    let json = doc.to_json();
    match jsonschema::validator_for(&json) {
        Ok(v) => Some(Schema {
            document: json,
            validator: Arc::new(v),
        }),
        Err(e) => {
            let at = e.instance_path().to_string();
            let (pos, message) = match doc.at_pointer(&at) {
                Some(n) if !at.is_empty() => {
                    (n.pos, format!("not a valid JSON Schema at `{at}`: {e}"))
                }
                _ => (doc.pos, format!("not a valid JSON Schema: {e}")),
            };
            ctx.error_help(
                Code::InvalidSchema,
                pos,
                &ptr,
                message,
                "check the schema against https://json-schema.org/understanding-json-schema/",
            );
            None
        }
    }
}

const INPUT_FIELDS: &[&str] = &["schema", "from"];
const OUTPUT_FIELDS: &[&str] = &["schema", "as"];

/// An `input` block.
pub(crate) fn input(ctx: &mut Ctx, node: &Node, pointer: &str) -> Option<Input> {
    let mut f = Fields::new(ctx, node, pointer, "input", INPUT_FIELDS)?;
    let schema = f.take("schema").map(|(n, p)| schema(ctx, n, &p));
    let from = f.take("from").map(|(n, p)| transform(ctx, n, &p));
    f.finish(ctx);
    Some(Input {
        schema: flatten(schema)?,
        from: flatten(from)?,
    })
}

/// An `output` block.
pub(crate) fn output(ctx: &mut Ctx, node: &Node, pointer: &str) -> Option<Output> {
    let mut f = Fields::new(ctx, node, pointer, "output", OUTPUT_FIELDS)?;
    let schema = f.take("schema").map(|(n, p)| schema(ctx, n, &p));
    let as_ = f.take("as").map(|(n, p)| transform(ctx, n, &p));
    f.finish(ctx);
    Some(Output {
        schema: flatten(schema)?,
        as_: flatten(as_)?,
    })
}

/// An `export` block.
pub(crate) fn export(ctx: &mut Ctx, node: &Node, pointer: &str) -> Option<Export> {
    let mut f = Fields::new(ctx, node, pointer, "export", OUTPUT_FIELDS)?;
    let schema = f.take("schema").map(|(n, p)| schema(ctx, n, &p));
    let as_ = f.take("as").map(|(n, p)| transform(ctx, n, &p));
    f.finish(ctx);
    Some(Export {
        schema: flatten(schema)?,
        as_: flatten(as_)?,
    })
}

/// `None` (field absent) → `Some(None)`; `Some(None)` (field invalid) → `None`.
pub(crate) fn flatten<T>(v: Option<Option<T>>) -> Option<Option<T>> {
    match v {
        None => Some(None),
        Some(None) => None,
        Some(Some(t)) => Some(Some(t)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_durations() {
        assert_eq!(parse_iso8601("PT1S"), Ok(Duration::from_secs(1)));
        assert_eq!(parse_iso8601("P1DT2H"), Ok(Duration::from_secs(93_600)));
        assert_eq!(parse_iso8601("PT0.5S"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_iso8601("P2W"), Ok(Duration::from_secs(14 * 86_400)));
        assert!(parse_iso8601("P1M").is_err());
        assert!(parse_iso8601("1 second").is_err());
        assert!(parse_iso8601("PTxS").is_err());
        assert!(parse_iso8601("P").is_err());
    }
}
