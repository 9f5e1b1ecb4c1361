//! Tasks and task lists.

use std::collections::BTreeSet;

use crate::diagnostic::{Code, did_you_mean};
use crate::model::{
    Call, Catch, Endpoint, ErrorFilter, FlowDirective, For, Fork, FunctionCall, HttpCall,
    HttpOutput, NamedTask, OpenApiCall, Raise, RunWorkflow, SwitchCase, Task, TaskKind, TaskList,
    Try, UriValue,
};
use crate::parse::events::{emit, listen, subscription_iterator};
use crate::parse::policy::{auth_ref, error_ref, retry_ref, timeout_ref};
use crate::parse::values::{duration_value, export, expression, flatten, input, output, template};
use crate::parse::{Ctx, Fields, child, display_pointer, string};
use crate::yaml::{Node, Value};

/// The task kinds, by their keyword.
pub(crate) const KINDS: &[&str] = &[
    "call", "do", "emit", "for", "fork", "listen", "raise", "run", "set", "switch", "try", "wait",
];

macro_rules! task_fields {
    ($($k:literal),*) => { &["if", "input", "output", "export", "timeout", "then", "metadata", $($k),*] };
}

const CALL: &[&str] = task_fields!("call", "with");
const DO: &[&str] = task_fields!("do");
const EMIT: &[&str] = task_fields!("emit");
const FOR: &[&str] = task_fields!("for", "while", "do");
const FORK: &[&str] = task_fields!("fork");
const LISTEN: &[&str] = task_fields!("listen", "foreach");
const RAISE: &[&str] = task_fields!("raise");
const RUN: &[&str] = task_fields!("run");
const SET: &[&str] = task_fields!("set");
const SWITCH: &[&str] = task_fields!("switch");
const TRY: &[&str] = task_fields!("try", "catch");
const WAIT: &[&str] = task_fields!("wait");
const ANY_TASK: &[&str] = task_fields!(
    "call", "with", "do", "emit", "for", "while", "fork", "listen", "foreach", "raise", "run",
    "set", "switch", "try", "catch", "wait"
);

/// A list of `- name: task` entries.
pub(crate) fn task_list(ctx: &mut Ctx, node: &Node, pointer: &str) -> Option<TaskList> {
    let Value::Seq(items) = &node.value else {
        ctx.error_help(
            Code::WrongType,
            node.pos,
            pointer,
            format!(
                "expected a list of tasks at `{}`, found {}",
                display_pointer(pointer),
                node.kind_name()
            ),
            "write tasks as a list: `- taskName:` followed by the task, indented",
        );
        return None;
    };
    if items.is_empty() {
        ctx.error_help(
            Code::MissingField,
            node.pos,
            pointer,
            format!("the task list at `{}` is empty", display_pointer(pointer)),
            "add at least one task",
        );
        return None;
    }
    let mut tasks = Vec::with_capacity(items.len());
    let mut names = BTreeSet::new();
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        let item_ptr = child(pointer, &i.to_string());
        let entry = match &item.value {
            Value::Map(entries) if entries.len() == 1 => &entries[0],
            _ => {
                ctx.error_help(
                    Code::TaskEntry,
                    item.pos,
                    &item_ptr,
                    format!("task list entry #{} must be a mapping with exactly one key, the task's name", i + 1),
                    "write `- taskName:` and indent the task's fields under it",
                );
                ok = false;
                continue;
            }
        };
        let (key, body) = entry;
        let task_ptr = child(&item_ptr, &key.name);
        if !names.insert(key.name.clone()) {
            ctx.error_help(
                Code::DuplicateTask,
                key.pos,
                &task_ptr,
                format!("task name `{}` is used twice in this list", key.name),
                "give each task in a list its own name; `then` and errors refer to tasks by name",
            );
            ok = false;
        }
        match task(ctx, body, &task_ptr) {
            Some(task) => {
                let definition = body.to_json();
                let uses_task_descriptor = definition.to_string().contains("$task");
                tasks.push(NamedTask {
                    name: key.name.clone(),
                    pointer: task_ptr,
                    pos: key.pos,
                    definition: std::sync::Arc::new(definition),
                    uses_task_descriptor,
                    task,
                })
            }
            None => ok = false,
        }
    }
    // A list with a broken jump would also get "unreachable" warnings for the tasks the jump
    // meant to reach; the error alone says it better.
    let jumps_ok = crate::parse::jumps::check_targets(ctx, items, pointer);
    if jumps_ok {
        crate::parse::jumps::check_reachable(ctx, items, pointer);
    }
    ok.then_some(tasks)
}

/// One task.
pub(crate) fn task(ctx: &mut Ctx, node: &Node, pointer: &str) -> Option<Task> {
    let Value::Map(entries) = &node.value else {
        ctx.error_help(
            Code::WrongType,
            node.pos,
            pointer,
            format!("a task must be a mapping, found {}", node.kind_name()),
            format!("a task has one of: {}", KINDS.join(", ")),
        );
        return None;
    };
    let present: Vec<&str> = entries
        .iter()
        .map(|(k, _)| k.name.as_str())
        .filter(|k| {
            KINDS.contains(k) && !(*k == "do" && entries.iter().any(|(k2, _)| k2.name == "for"))
        })
        .collect();
    let kind = match present.as_slice() {
        [one] => *one,
        [] => {
            let mut suggested = false;
            for (k, _) in entries {
                if ANY_TASK.contains(&k.name.as_str()) {
                    continue;
                }
                if let Some(s) = did_you_mean(&k.name, KINDS.iter().copied()) {
                    ctx.error_help(
                        Code::UnknownKey,
                        k.pos,
                        &child(pointer, &k.name),
                        format!("unknown key `{}` in a task", k.name),
                        format!("did you mean `{s}`?"),
                    );
                    suggested = true;
                }
            }
            if !suggested {
                ctx.error_help(
                    Code::TaskKind,
                    node.pos,
                    pointer,
                    format!(
                        "the task at `{}` does not say what it does",
                        display_pointer(pointer)
                    ),
                    format!("a task has exactly one of: {}", KINDS.join(", ")),
                );
            }
            return None;
        }
        many => {
            ctx.error_help(
                Code::TaskKind,
                node.pos,
                pointer,
                format!(
                    "the task has {}; a task does exactly one thing",
                    many.iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(" and ")
                ),
                "split it into several tasks in a `do` list",
            );
            return None;
        }
    };
    let allowed = match kind {
        "call" => CALL,
        "do" => DO,
        "emit" => EMIT,
        "for" => FOR,
        "fork" => FORK,
        "listen" => LISTEN,
        "raise" => RAISE,
        "run" => RUN,
        "set" => SET,
        "switch" => SWITCH,
        "try" => TRY,
        _ => WAIT,
    };
    let mut f = Fields::new(ctx, node, pointer, "a task", allowed)?;
    let if_ = f.take("if").map(|(n, p)| expression(ctx, n, &p));
    let input = f.take("input").map(|(n, p)| input(ctx, n, &p));
    let output = f.take("output").map(|(n, p)| output(ctx, n, &p));
    let export = f.take("export").map(|(n, p)| export(ctx, n, &p));
    let timeout = f.take("timeout").map(|(n, p)| timeout_ref(ctx, n, &p));
    let then = f
        .take("then")
        .map(|(n, p)| string(ctx, n, &p).map(|s| FlowDirective::parse(&s)));
    let metadata = f.take("metadata").map(|(n, _)| Some(n.to_json()));
    let kind = match kind {
        "call" => call(ctx, &mut f),
        "do" => f
            .require(ctx, "do")
            .and_then(|(n, p)| task_list(ctx, n, &p))
            .map(TaskKind::Do),
        "emit" => f
            .require(ctx, "emit")
            .and_then(|(n, p)| emit(ctx, n, &p))
            .map(TaskKind::Emit),
        "for" => for_(ctx, &mut f).map(TaskKind::For),
        "fork" => fork(ctx, &mut f).map(TaskKind::Fork),
        "listen" => {
            let l = f
                .require(ctx, "listen")
                .and_then(|(n, p)| listen(ctx, n, &p));
            let each = f
                .take("foreach")
                .map(|(n, p)| subscription_iterator(ctx, n, &p));
            match (l, flatten(each)) {
                (Some(mut l), Some(each)) => {
                    l.foreach = each;
                    Some(TaskKind::Listen(l))
                }
                _ => None,
            }
        }
        "raise" => raise(ctx, &mut f).map(TaskKind::Raise),
        "run" => run(ctx, &mut f).map(TaskKind::RunWorkflow),
        "set" => f
            .require(ctx, "set")
            .and_then(|(n, p)| set(ctx, n, &p))
            .map(TaskKind::Set),
        "switch" => f
            .require(ctx, "switch")
            .and_then(|(n, p)| switch(ctx, n, &p))
            .map(TaskKind::Switch),
        "try" => try_(ctx, &mut f).map(TaskKind::Try),
        _ => f
            .require(ctx, "wait")
            .and_then(|(n, p)| duration_value(ctx, n, &p))
            .map(TaskKind::Wait),
    };
    f.finish(ctx);
    Some(Task {
        if_: flatten(if_)?,
        input: flatten(input)?,
        output: flatten(output)?,
        export: flatten(export)?,
        timeout: flatten(timeout)?,
        then: flatten(then)?,
        metadata: metadata.flatten(),
        kind: kind?,
    })
}

const UNSUPPORTED_CALLS: &[(&str, &str)] = &[
    (
        "grpc",
        "call the service through an HTTP/JSON gateway with `call: http`",
    ),
    (
        "asyncapi",
        "publish with `emit` and consume with `listen`; shopflow's events are CloudEvents",
    ),
    ("a2a", "call the agent's HTTP endpoint with `call: http`"),
    (
        "mcp",
        "call the tool's HTTP endpoint with `call: http`, or write a built-in function",
    ),
];

fn call(ctx: &mut Ctx, f: &mut Fields<'_>) -> Option<TaskKind> {
    let (name_node, name_ptr) = f.require(ctx, "call")?;
    let name = string(ctx, name_node, &name_ptr)?;
    let with = f.take("with");
    if name == "http" {
        let Some((with, with_ptr)) = with else {
            ctx.error_help(
                Code::MissingField,
                name_node.pos,
                f.pointer(),
                "`call: http` is missing `with` (method and endpoint)",
                "add `with:` with `method:` and `endpoint:`",
            );
            return None;
        };
        return http(ctx, with, &with_ptr).map(|h| TaskKind::Call(Call::Http(h)));
    }
    if name == "openapi" {
        let Some((with, with_ptr)) = with else {
            ctx.error_help(
                Code::MissingField,
                name_node.pos,
                f.pointer(),
                "`call: openapi` is missing `with` (document and operationId)",
                "add `with:` with `document: { endpoint: … }` and `operationId:`",
            );
            return None;
        };
        return openapi(ctx, with, &with_ptr).map(|o| TaskKind::Call(Call::OpenApi(o)));
    }
    if let Some((_, alt)) = UNSUPPORTED_CALLS.iter().find(|(k, _)| *k == name) {
        ctx.error_help(
            Code::NotSupported,
            name_node.pos,
            &name_ptr,
            format!("`call: {name}` is not supported by shopflow"),
            *alt,
        );
        return None;
    }
    if name.contains('@') || name.contains("://") {
        ctx.error_help(
            Code::NotSupported,
            name_node.pos,
            &name_ptr,
            format!("`call: {name}` refers to a function in a remote catalog, which shopflow does not load"),
            "define the function under `use.functions` in this file, or use a built-in function",
        );
        return None;
    }
    if !ctx.builtins.contains(&name) && !ctx.defined.functions.contains(&name) {
        let candidates: Vec<&str> = ctx
            .builtins
            .iter()
            .chain(ctx.defined.functions.iter())
            .map(String::as_str)
            .collect();
        let help = match did_you_mean(&name, candidates.iter().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => "define it under `use.functions`, or see `shopflow schema` for the built-in functions".to_owned(),
        };
        ctx.error_help(
            Code::UndefinedFunction,
            name_node.pos,
            &name_ptr,
            format!("function `{name}` is neither built in nor defined in `use.functions`"),
            help,
        );
    }
    let with = match with {
        Some((n, p)) => {
            if !matches!(n.value, Value::Map(_)) {
                ctx.wrong_type(n, &p, "a mapping of arguments");
                return None;
            }
            Some(template(ctx, n, &p)?)
        }
        None => None,
    };
    Some(TaskKind::Call(Call::Function(FunctionCall { name, with })))
}

const HTTP_FIELDS: &[&str] = &[
    "method", "endpoint", "headers", "body", "query", "output", "redirect",
];
const ENDPOINT_FIELDS: &[&str] = &["uri", "authentication"];
const HTTP_METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

fn http(ctx: &mut Ctx, node: &Node, pointer: &str) -> Option<HttpCall> {
    let mut f = Fields::new(ctx, node, pointer, "`call: http` arguments", HTTP_FIELDS)?;
    let method = f.require(ctx, "method").and_then(|(n, p)| {
        let t = template(ctx, n, &p)?;
        if let crate::model::Template::Literal(serde_json::Value::String(m)) = &t {
            if !HTTP_METHODS.contains(&m.to_ascii_uppercase().as_str()) {
                ctx.error_help(
                    Code::InvalidValue,
                    n.pos,
                    &p,
                    format!("`{m}` is not an HTTP method"),
                    format!(
                        "use one of: {}",
                        HTTP_METHODS.join(", ").to_ascii_lowercase()
                    ),
                );
                return None;
            }
        } else if !matches!(t, crate::model::Template::Expr(_)) {
            ctx.wrong_type(n, &p, "an HTTP method");
            return None;
        }
        Some(t)
    });
    let endpoint = f
        .require(ctx, "endpoint")
        .and_then(|(n, p)| endpoint(ctx, n, &p));
    let headers = f
        .take("headers")
        .map(|(n, p)| object_or_expression(ctx, n, &p, "headers"));
    let body = f.take("body").map(|(n, p)| template(ctx, n, &p));
    let query = f
        .take("query")
        .map(|(n, p)| object_or_expression(ctx, n, &p, "query parameters"));
    let output = http_output(ctx, f.take("output"));
    let redirect = f.boolean(ctx, "redirect").unwrap_or(false);
    f.finish(ctx);
    Some(HttpCall {
        method: method?,
        endpoint: endpoint?,
        headers: flatten(headers)?,
        body: flatten(body)?,
        query: flatten(query)?,
        output: output?,
        redirect,
    })
}

const OPENAPI_FIELDS: &[&str] = &[
    "document",
    "operationId",
    "parameters",
    "authentication",
    "output",
    "redirect",
];
const RESOURCE_FIELDS: &[&str] = &["name", "endpoint"];

fn openapi(ctx: &mut Ctx, node: &Node, pointer: &str) -> Option<OpenApiCall> {
    let mut f = Fields::new(
        ctx,
        node,
        pointer,
        "`call: openapi` arguments",
        OPENAPI_FIELDS,
    )?;
    let document = f.require(ctx, "document").and_then(|(n, p)| {
        let mut d = Fields::new(ctx, n, &p, "an external resource", RESOURCE_FIELDS)?;
        d.string(ctx, "name");
        let e = d
            .require(ctx, "endpoint")
            .and_then(|(n, p)| endpoint(ctx, n, &p));
        d.finish(ctx);
        e
    });
    let operation_id = f.req_string(ctx, "operationId");
    let parameters = f.take("parameters").map(|(n, p)| {
        if !matches!(n.value, Value::Map(_)) {
            ctx.wrong_type(n, &p, "a mapping of parameters");
            return None;
        }
        template(ctx, n, &p)
    });
    let authentication = f.take("authentication").map(|(n, p)| auth_ref(ctx, n, &p));
    let output = http_output(ctx, f.take("output"));
    let redirect = f.boolean(ctx, "redirect").unwrap_or(false);
    f.finish(ctx);
    Some(OpenApiCall {
        document: document?,
        operation_id: operation_id?,
        parameters: flatten(parameters)?,
        authentication: flatten(authentication)?,
        output: output?,
        redirect,
    })
}

fn http_output(ctx: &mut Ctx, field: Option<(&Node, String)>) -> Option<HttpOutput> {
    let Some((n, p)) = field else {
        return Some(HttpOutput::Content);
    };
    match n.as_str() {
        Some("content") => Some(HttpOutput::Content),
        Some("response") => Some(HttpOutput::Response),
        Some("raw") => Some(HttpOutput::Raw),
        _ => {
            ctx.error_help(
                Code::InvalidValue,
                n.pos,
                &p,
                "`output` of an HTTP call must be `content`, `response` or `raw`",
                "`content` gives the body, `response` the status, headers and body, `raw` the body as base64",
            );
            None
        }
    }
}

/// A mapping (whose values may be expressions) or one expression that yields a mapping.
fn object_or_expression(
    ctx: &mut Ctx,
    node: &Node,
    pointer: &str,
    what: &str,
) -> Option<crate::model::Template> {
    let is_expr = node
        .as_str()
        .is_some_and(|s| crate::expr::strip_expression(s).is_some());
    if !is_expr && !matches!(node.value, Value::Map(_)) {
        ctx.wrong_type(
            node,
            pointer,
            &format!("a mapping of {what} or a `${{ … }}` expression"),
        );
        return None;
    }
    template(ctx, node, pointer)
}

fn endpoint(ctx: &mut Ctx, node: &Node, pointer: &str) -> Option<Endpoint> {
    match &node.value {
        Value::Str(_) => Some(Endpoint {
            uri: uri(ctx, node, pointer)?,
            authentication: None,
        }),
        _ => {
            let mut f = Fields::new(ctx, node, pointer, "an endpoint", ENDPOINT_FIELDS)?;
            let uri = f.require(ctx, "uri").and_then(|(n, p)| uri(ctx, n, &p));
            let auth = f.take("authentication").map(|(n, p)| auth_ref(ctx, n, &p));
            f.finish(ctx);
            Some(Endpoint {
                uri: uri?,
                authentication: flatten(auth)?,
            })
        }
    }
}

/// A URI template (`https://host/pets/{petId}`) or an expression.
pub(crate) fn uri(ctx: &mut Ctx, node: &Node, pointer: &str) -> Option<UriValue> {
    let s = string(ctx, node, pointer)?;
    if crate::expr::strip_expression(&s).is_some() {
        return expression(ctx, node, pointer).map(UriValue::Expr);
    }
    let problem = if s.trim().is_empty() {
        Some("the URI is empty".to_owned())
    } else if s.chars().any(char::is_whitespace) {
        Some(format!("`{s}` contains whitespace"))
    } else if !balanced_braces(&s) {
        Some(format!("`{s}` has an unclosed or nested `{{` placeholder"))
    } else if !(s.starts_with("http://")
        || s.starts_with("https://")
        || s.starts_with('/')
        || s.starts_with('{'))
    {
        Some(format!("`{s}` is not an http(s) URI"))
    } else {
        None
    };
    if let Some(message) = problem {
        ctx.error_help(
            Code::InvalidUri,
            node.pos,
            pointer,
            message,
            "write an absolute URI such as `https://api.example.com/orders/{orderId}`, or an expression `${ … }`",
        );
        return None;
    }
    Some(UriValue::Template(s))
}

fn balanced_braces(s: &str) -> bool {
    let mut open = false;
    for c in s.chars() {
        match c {
            '{' if open => return false,
            '{' => open = true,
            '}' if !open => return false,
            '}' => open = false,
            _ => {}
        }
    }
    !open
}

const FOR_FIELDS: &[&str] = &["each", "in", "at"];

fn for_(ctx: &mut Ctx, f: &mut Fields<'_>) -> Option<For> {
    let (node, ptr) = f.require(ctx, "for")?;
    let mut ff = Fields::new(ctx, node, &ptr, "`for`", FOR_FIELDS)?;
    let each = ff.string(ctx, "each").unwrap_or_else(|| "item".to_owned());
    let at = ff.string(ctx, "at").unwrap_or_else(|| "index".to_owned());
    let in_ = ff
        .require(ctx, "in")
        .and_then(|(n, p)| expression(ctx, n, &p));
    ff.finish(ctx);
    let (while_, tasks) = ctx.with_vars(&[&each, &at], |ctx| {
        let while_ = f.take("while").map(|(n, p)| expression(ctx, n, &p));
        let tasks = f
            .require(ctx, "do")
            .and_then(|(n, p)| task_list(ctx, n, &p));
        (while_, tasks)
    });
    Some(For {
        each,
        in_: in_?,
        at,
        while_: flatten(while_)?,
        tasks: tasks?,
    })
}

const FORK_FIELDS: &[&str] = &["branches", "compete"];

fn fork(ctx: &mut Ctx, f: &mut Fields<'_>) -> Option<Fork> {
    let (node, ptr) = f.require(ctx, "fork")?;
    let mut ff = Fields::new(ctx, node, &ptr, "`fork`", FORK_FIELDS)?;
    let branches = ff
        .require(ctx, "branches")
        .and_then(|(n, p)| task_list(ctx, n, &p));
    let compete = ff.boolean(ctx, "compete").unwrap_or(false);
    ff.finish(ctx);
    Some(Fork {
        branches: branches?,
        compete,
    })
}

const RAISE_FIELDS: &[&str] = &["error"];

fn raise(ctx: &mut Ctx, f: &mut Fields<'_>) -> Option<Raise> {
    let (node, ptr) = f.require(ctx, "raise")?;
    let mut ff = Fields::new(ctx, node, &ptr, "`raise`", RAISE_FIELDS)?;
    let error = ff
        .require(ctx, "error")
        .and_then(|(n, p)| error_ref(ctx, n, &p));
    ff.finish(ctx);
    Some(Raise { error: error? })
}

const RUN_FIELDS: &[&str] = &[
    "container",
    "script",
    "shell",
    "workflow",
    "await",
    "return",
];
const RUN_WORKFLOW_FIELDS: &[&str] = &["namespace", "name", "version", "input"];

fn run(ctx: &mut Ctx, f: &mut Fields<'_>) -> Option<RunWorkflow> {
    let (node, ptr) = f.require(ctx, "run")?;
    let mut ff = Fields::new(ctx, node, &ptr, "`run`", RUN_FIELDS)?;
    for (kind, alt) in [
        (
            "container",
            "wrap the container behind an HTTP service and use `call: http`, or write a built-in function",
        ),
        (
            "script",
            "move the logic into jq expressions (`set`), a subflow, or a built-in function",
        ),
        (
            "shell",
            "shell commands cannot be made durable or idempotent; write a built-in function or call an HTTP service",
        ),
    ] {
        if let Some((n, p)) = ff.take(kind) {
            ctx.error_help(
                Code::NotSupported,
                ff.key_pos(kind).unwrap_or(n.pos),
                &p,
                format!("`run.{kind}` is not supported by shopflow"),
                alt,
            );
            ff.take("await");
            ff.take("return");
            return None;
        }
    }
    let await_ = ff.boolean(ctx, "await").unwrap_or(true);
    ff.take("return");
    let Some((wf, wf_ptr)) = ff.take("workflow") else {
        ctx.error_help(
            Code::MissingField,
            ff.pos(),
            &ptr,
            "`run` is missing `workflow`",
            "shopflow runs subflows: `run: { workflow: { namespace, name, version } }`",
        );
        return None;
    };
    ff.finish(ctx);
    let mut w = Fields::new(ctx, wf, &wf_ptr, "`run.workflow`", RUN_WORKFLOW_FIELDS)?;
    let namespace = w.req_string(ctx, "namespace");
    let name = w.req_string(ctx, "name");
    let version = w
        .string(ctx, "version")
        .unwrap_or_else(|| "latest".to_owned());
    let input = w.take("input").map(|(n, p)| template(ctx, n, &p));
    w.finish(ctx);
    Some(RunWorkflow {
        namespace: namespace?,
        name: name?,
        version,
        input: flatten(input)?,
        await_,
    })
}

fn set(ctx: &mut Ctx, node: &Node, pointer: &str) -> Option<crate::model::Template> {
    match &node.value {
        Value::Map(_) => template(ctx, node, pointer),
        Value::Str(_) => expression(ctx, node, pointer).map(crate::model::Template::Expr),
        _ => {
            ctx.wrong_type(node, pointer, "a mapping of values or a runtime expression");
            None
        }
    }
}

const CASE_FIELDS: &[&str] = &["when", "then"];

fn switch(ctx: &mut Ctx, node: &Node, pointer: &str) -> Option<Vec<SwitchCase>> {
    let Value::Seq(items) = &node.value else {
        ctx.wrong_type(
            node,
            pointer,
            "a list of cases (`- caseName: {when, then}`)",
        );
        return None;
    };
    let mut cases = Vec::with_capacity(items.len());
    let mut ok = true;
    let mut default_seen = false;
    for (i, item) in items.iter().enumerate() {
        let item_ptr = child(pointer, &i.to_string());
        let Value::Map(entries) = &item.value else {
            ctx.error_help(
                Code::TaskEntry,
                item.pos,
                &item_ptr,
                "a switch case must be `- caseName: {when, then}`",
                "name each case",
            );
            ok = false;
            continue;
        };
        let [(key, body)] = entries.as_slice() else {
            ctx.error_help(
                Code::TaskEntry,
                item.pos,
                &item_ptr,
                "a switch case must be `- caseName: {when, then}`",
                "name each case",
            );
            ok = false;
            continue;
        };
        let case_ptr = child(&item_ptr, &key.name);
        let Some(mut f) = Fields::new(ctx, body, &case_ptr, "a switch case", CASE_FIELDS) else {
            ok = false;
            continue;
        };
        let when = f.take("when").map(|(n, p)| expression(ctx, n, &p));
        let then = f
            .require(ctx, "then")
            .and_then(|(n, p)| string(ctx, n, &p))
            .map(|s| FlowDirective::parse(&s));
        f.finish(ctx);
        if when.is_none() {
            if default_seen {
                ctx.error_help(
                    Code::SwitchDefaults,
                    key.pos,
                    &case_ptr,
                    format!("case `{}` is a second default case (no `when`)", key.name),
                    "a switch has at most one case without `when`; give this one a condition",
                );
                ok = false;
            }
            default_seen = true;
        }
        match (flatten(when), then) {
            (Some(when), Some(then)) => cases.push(SwitchCase {
                name: key.name.clone(),
                when,
                then,
                pos: key.pos,
            }),
            _ => ok = false,
        }
    }
    ok.then_some(cases)
}

const CATCH_FIELDS: &[&str] = &["errors", "as", "when", "exceptWhen", "retry", "do"];
const ERRORS_FIELDS: &[&str] = &["with"];
const ERROR_FILTER_FIELDS: &[&str] = &["type", "status", "instance", "title", "details", "detail"];

fn try_(ctx: &mut Ctx, f: &mut Fields<'_>) -> Option<Try> {
    let tasks = f
        .require(ctx, "try")
        .and_then(|(n, p)| task_list(ctx, n, &p));
    let (node, ptr) = f.require(ctx, "catch")?;
    let mut c = Fields::new(ctx, node, &ptr, "`catch`", CATCH_FIELDS)?;
    let errors = match c.take("errors") {
        None => Some(ErrorFilter::default()),
        Some((n, p)) => error_filter(ctx, n, &p),
    };
    let as_ = c.string(ctx, "as").unwrap_or_else(|| "error".to_owned());
    let (when, except_when, retry, tasks_on_error) = ctx.with_vars(&[&as_], |ctx| {
        (
            c.take("when").map(|(n, p)| expression(ctx, n, &p)),
            c.take("exceptWhen").map(|(n, p)| expression(ctx, n, &p)),
            c.take("retry").map(|(n, p)| retry_ref(ctx, n, &p)),
            c.take("do").map(|(n, p)| task_list(ctx, n, &p)),
        )
    });
    c.finish(ctx);
    Some(Try {
        tasks: tasks?,
        catch: Catch {
            errors: errors?,
            as_,
            when: flatten(when)?,
            except_when: flatten(except_when)?,
            retry: flatten(retry)?,
            tasks: flatten(tasks_on_error)?,
        },
    })
}

fn error_filter(ctx: &mut Ctx, node: &Node, pointer: &str) -> Option<ErrorFilter> {
    let mut f = Fields::new(ctx, node, pointer, "`catch.errors`", ERRORS_FIELDS)?;
    let with = f.take("with");
    f.finish(ctx);
    let Some((node, ptr)) = with else {
        return Some(ErrorFilter::default());
    };
    let mut w = Fields::new(ctx, node, &ptr, "an error filter", ERROR_FILTER_FIELDS)?;
    let type_ = w.string(ctx, "type");
    let status = match w.take("status") {
        None => None,
        Some((n, p)) => match n.value {
            Value::Int(i) => Some(i),
            _ => {
                ctx.wrong_type(n, &p, "an integer status");
                return None;
            }
        },
    };
    let instance = w.string(ctx, "instance");
    let title = w.string(ctx, "title");
    let detail = w.string(ctx, "details").or_else(|| w.string(ctx, "detail"));
    w.finish(ctx);
    Some(ErrorFilter {
        type_,
        status,
        instance,
        title,
        detail,
    })
}
