//! The top level of a flow: `document`, `use`, `schedule`, `evaluate` and the main `do`.

use std::collections::BTreeMap;

use crate::diagnostic::Code;
use crate::model::{Document, EvalMode, Evaluate, Schedule, Use, Workflow};
use crate::parse::events::consumption;
use crate::parse::policy::{authentication, error_def, retry_policy, timeout, timeout_ref};
use crate::parse::task::{task, task_list};
use crate::parse::values::{duration, flatten, input, output};
use crate::parse::{Ctx, Fields, child, entries, string, string_list};
use crate::yaml::{Key, Node, Value};

const WORKFLOW_FIELDS: &[&str] = &[
    "document", "input", "use", "do", "timeout", "output", "schedule", "evaluate",
];

/// Parses a whole flow; `None` when any error was reported.
pub(crate) fn parse_workflow(ctx: &mut Ctx, root: &Node) -> Option<Workflow> {
    if !matches!(root.value, Value::Map(_)) {
        ctx.error_help(
            Code::WrongType,
            root.pos,
            "",
            format!("a flow must be a mapping, found {}", root.kind_name()),
            "a flow starts with `document:` (dsl, namespace, name, version) and `do:` (its tasks)",
        );
        return None;
    }
    let mut f = Fields::new(ctx, root, "", "the workflow", WORKFLOW_FIELDS)?;
    collect_defined(ctx, root);
    let evaluate = match f.take("evaluate") {
        None => Some(Evaluate::default()),
        Some((n, p)) => evaluate(ctx, n, &p),
    };
    ctx.mode = evaluate.map_or(EvalMode::Strict, |e| e.mode);
    let document = f
        .require(ctx, "document")
        .and_then(|(n, p)| document(ctx, n, &p));
    let input = f.take("input").map(|(n, p)| input(ctx, n, &p));
    let uses = match f.take("use") {
        None => Some(Use::default()),
        Some((n, p)) => uses(ctx, n, &p),
    };
    let tasks = f
        .require(ctx, "do")
        .and_then(|(n, p)| task_list(ctx, n, &p));
    let timeout = f.take("timeout").map(|(n, p)| timeout_ref(ctx, n, &p));
    let output = f.take("output").map(|(n, p)| output(ctx, n, &p));
    let schedule = f.take("schedule").map(|(n, p)| schedule(ctx, n, &p));
    f.finish(ctx);
    let definition = root.to_json();
    Some(Workflow {
        document: document?,
        input: flatten(input)?,
        uses: uses?,
        tasks: tasks?,
        timeout: flatten(timeout)?,
        output: flatten(output)?,
        schedule: flatten(schedule)?,
        evaluate: evaluate?,
        uses_workflow_descriptor: definition.to_string().contains("$workflow"),
        definition: std::sync::Arc::new(definition),
    })
}

/// Reads the names under `use` first, so references anywhere can be checked where they are written.
fn collect_defined(ctx: &mut Ctx, root: &Node) {
    let Value::Map(top) = &root.value else { return };
    let Some((_, uses)) = top.iter().find(|(k, _)| k.name == "use") else {
        return;
    };
    let Value::Map(sections) = &uses.value else {
        return;
    };
    for (k, v) in sections {
        let names: Vec<String> = match &v.value {
            Value::Map(items) => items.iter().map(|(k, _)| k.name.clone()).collect(),
            Value::Seq(items) => items
                .iter()
                .filter_map(|n| n.as_str().map(str::to_owned))
                .collect(),
            _ => continue,
        };
        let into = match k.name.as_str() {
            "authentications" => &mut ctx.defined.authentications,
            "errors" => &mut ctx.defined.errors,
            "functions" => &mut ctx.defined.functions,
            "retries" => &mut ctx.defined.retries,
            "secrets" => &mut ctx.defined.secrets,
            "timeouts" => &mut ctx.defined.timeouts,
            _ => continue,
        };
        into.extend(names);
    }
}

const EVALUATE_FIELDS: &[&str] = &["language", "mode"];

fn evaluate(ctx: &mut Ctx, node: &Node, pointer: &str) -> Option<Evaluate> {
    let mut f = Fields::new(ctx, node, pointer, "`evaluate`", EVALUATE_FIELDS)?;
    if let Some((n, p)) = f.take("language")
        && n.as_str() != Some("jq")
    {
        ctx.error_help(
            Code::NotSupported,
            n.pos,
            &p,
            "shopflow evaluates runtime expressions in jq only",
            "remove `language` or set it to `jq`",
        );
    }
    let mode = match f.take("mode") {
        None => Some(EvalMode::Strict),
        Some((n, p)) => match n.as_str() {
            Some("strict") => Some(EvalMode::Strict),
            Some("loose") => Some(EvalMode::Loose),
            _ => {
                ctx.error_help(
                    Code::InvalidValue,
                    n.pos,
                    &p,
                    "`mode` must be `strict` or `loose`",
                    "`strict` (the default) evaluates only `${ … }` strings",
                );
                None
            }
        },
    };
    f.finish(ctx);
    Some(Evaluate { mode: mode? })
}

const DOCUMENT_FIELDS: &[&str] = &[
    "dsl",
    "namespace",
    "name",
    "version",
    "title",
    "summary",
    "tags",
    "metadata",
];

fn document(ctx: &mut Ctx, node: &Node, pointer: &str) -> Option<Document> {
    let mut f = Fields::new(ctx, node, pointer, "`document`", DOCUMENT_FIELDS)?;
    let dsl = f.require(ctx, "dsl").and_then(|(n, p)| {
        let v = string(ctx, n, &p)?;
        let ok = semver::Version::parse(&v)
            .is_ok_and(|s| s.major == 1 && s.minor == 0 && s.pre.is_empty());
        if !ok {
            ctx.error_help(
                Code::DslVersion,
                n.pos,
                &p,
                format!("DSL version `{v}` is not one shopflow runs"),
                "shopflow runs Serverless Workflow DSL 1.0.x; write `dsl: '1.0.3'`",
            );
            return None;
        }
        Some(v)
    });
    let namespace = f
        .require(ctx, "namespace")
        .and_then(|(n, p)| dsl_name(ctx, n, &p, "namespace"));
    let name = f
        .require(ctx, "name")
        .and_then(|(n, p)| dsl_name(ctx, n, &p, "name"));
    let version = f.require(ctx, "version").and_then(|(n, p)| {
        let v = string(ctx, n, &p)?;
        if let Err(e) = semver::Version::parse(&v) {
            ctx.error_help(
                Code::InvalidSemver,
                n.pos,
                &p,
                format!("version `{v}` is not a semantic version: {e}"),
                "write MAJOR.MINOR.PATCH, e.g. '1.0.0' (quoted)",
            );
            return None;
        }
        Some(v)
    });
    let title = f.string(ctx, "title");
    let summary = f.string(ctx, "summary");
    let mut tags = BTreeMap::new();
    if let Some((n, p)) = f.take("tags") {
        for (k, v) in entries(ctx, n, &p, "`tags`").unwrap_or_default() {
            let value = match &v.value {
                Value::Str(s) => s.clone(),
                _ => v.to_json().to_string(),
            };
            tags.insert(k.name.clone(), value);
        }
    }
    let metadata = f.take("metadata").map(|(n, _)| n.to_json());
    f.finish(ctx);
    Some(Document {
        dsl: dsl?,
        namespace: namespace?,
        name: name?,
        version: version?,
        title,
        summary,
        tags,
        metadata,
    })
}

/// Namespaces and names: lower-case letters and digits, dashes inside (RFC 1123 label).
fn dsl_name(ctx: &mut Ctx, node: &Node, pointer: &str, what: &str) -> Option<String> {
    let s = string(ctx, node, pointer)?;
    let valid = !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-');
    if !valid {
        let suggestion: String = s
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect::<String>()
            .trim_matches('-')
            .to_owned();
        let help = if suggestion.is_empty() {
            "use lower-case ASCII letters, digits and dashes (e.g. `return-voucher`); put a name in another language in `document.title`".to_owned()
        } else {
            format!("use lower-case letters, digits and dashes, e.g. `{suggestion}`")
        };
        ctx.error_help(
            Code::InvalidName,
            node.pos,
            pointer,
            format!("{what} `{s}` is not a valid DSL name"),
            help,
        );
        return None;
    }
    Some(s)
}

const USE_FIELDS: &[&str] = &[
    "authentications",
    "catalogs",
    "errors",
    "extensions",
    "functions",
    "retries",
    "secrets",
    "timeouts",
];

fn uses(ctx: &mut Ctx, node: &Node, pointer: &str) -> Option<Use> {
    let mut f = Fields::new(ctx, node, pointer, "`use`", USE_FIELDS)?;
    let mut out = Use::default();
    let mut ok = true;
    for (key, alt) in [
        (
            "catalogs",
            "copy the functions you need under `use.functions`; shopflow does not fetch definitions at run time",
        ),
        (
            "extensions",
            "put the extra steps in the flow as tasks, or mock functions in dry runs with `shopflow run --mock NAME=JSON`",
        ),
    ] {
        if let Some((n, p)) = f.take(key) {
            ctx.error_help(
                Code::NotSupported,
                f.key_pos(key).unwrap_or(n.pos),
                &p,
                format!("`use.{key}` is not supported by shopflow"),
                alt,
            );
            ok = false;
        }
    }
    if let Some((n, p)) = f.take("authentications") {
        ok &= named(
            ctx,
            n,
            &p,
            "`use.authentications`",
            &mut out.authentications,
            authentication,
        );
    }
    if let Some((n, p)) = f.take("errors") {
        ok &= named(ctx, n, &p, "`use.errors`", &mut out.errors, error_def);
    }
    if let Some((n, p)) = f.take("functions") {
        ok &= named(ctx, n, &p, "`use.functions`", &mut out.functions, task);
    }
    if let Some((n, p)) = f.take("retries") {
        ok &= named(ctx, n, &p, "`use.retries`", &mut out.retries, retry_policy);
    }
    if let Some((n, p)) = f.take("timeouts") {
        ok &= named(ctx, n, &p, "`use.timeouts`", &mut out.timeouts, timeout);
    }
    if let Some((n, p)) = f.take("secrets") {
        match string_list(ctx, n, &p) {
            Some(s) => out.secrets = s,
            None => ok = false,
        }
    }
    f.finish(ctx);
    ok.then_some(out)
}

type Parser<T> = fn(&mut Ctx, &Node, &str) -> Option<T>;

fn named<T>(
    ctx: &mut Ctx,
    node: &Node,
    pointer: &str,
    what: &str,
    into: &mut BTreeMap<String, T>,
    parse: Parser<T>,
) -> bool {
    let Some(items) = entries(ctx, node, pointer, what) else {
        return false;
    };
    let mut ok = true;
    for (Key { name, .. }, v) in items {
        match parse(ctx, v, &child(pointer, name)) {
            Some(t) => {
                into.insert(name.clone(), t);
            }
            None => ok = false,
        }
    }
    ok
}

/// Parses a schedule's cron expression: five fields (minute hour day-of-month month
/// day-of-week) or a nickname such as `@daily`; no seconds or years, so every expression means
/// the same thing to shopflow as to cron(8).
pub fn parse_cron(expr: &str) -> Result<croner::Cron, croner::errors::CronError> {
    croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Disallowed)
        .year(croner::parser::Year::Disallowed)
        .build()
        .parse(expr)
}

const SCHEDULE_FIELDS: &[&str] = &["every", "cron", "after", "on"];

fn schedule(ctx: &mut Ctx, node: &Node, pointer: &str) -> Option<Schedule> {
    let mut f = Fields::new(ctx, node, pointer, "`schedule`", SCHEDULE_FIELDS)?;
    let mut out = Schedule {
        pos: node.pos,
        ..Schedule::default()
    };
    let mut ok = true;
    if let Some((n, p)) = f.take("every") {
        out.every = duration(ctx, n, &p);
        ok &= out.every.is_some();
    }
    if let Some((n, p)) = f.take("after") {
        out.after = duration(ctx, n, &p);
        ok &= out.after.is_some();
    }
    if let Some((n, p)) = f.take("cron") {
        out.cron = string(ctx, n, &p).and_then(|c| match parse_cron(&c) {
            Ok(_) => Some(c),
            Err(e) => {
                ctx.error_help(
                    Code::InvalidCron,
                    n.pos,
                    &p,
                    format!("`{c}` is not a valid cron expression: {e}"),
                    "write five fields `minute hour day-of-month month day-of-week`, e.g. '0 9 * * *' for 09:00 daily",
                );
                None
            }
        });
        ok &= out.cron.is_some();
    }
    if let Some((n, p)) = f.take("on") {
        out.on = consumption(ctx, n, &p);
        ok &= out.on.is_some();
    }
    let empty =
        out.every.is_none() && out.after.is_none() && out.cron.is_none() && out.on.is_none();
    if empty && ok {
        ctx.error_help(
            Code::MissingField,
            f.pos(),
            pointer,
            "`schedule` sets none of `every`, `cron`, `after`, `on`",
            "set one, e.g. `cron: '0 9 * * *'` or `on: { one: { with: { type: … } } }`",
        );
        ok = false;
    }
    f.finish(ctx);
    ok.then_some(out)
}
