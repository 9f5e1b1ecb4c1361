//! Positioned YAML → typed model, collecting every problem instead of stopping at the first.

mod events;
mod jumps;
mod policy;
mod task;
mod values;
mod workflow;

pub(crate) use jumps::finish as finish_jumps;
pub use values::parse_iso8601;
pub use workflow::parse_cron;
pub(crate) use workflow::parse_workflow;

use std::collections::BTreeSet;

use crate::diagnostic::{Code, Diagnostic, Pos, did_you_mean};
use crate::model::EvalMode;
use crate::yaml::{Key, Node, Value};

/// State while parsing: the problems found so far and what is in scope.
pub(crate) struct Ctx {
    pub diags: Vec<Diagnostic>,
    pub mode: EvalMode,
    /// Variables that expressions may use besides the standard arguments (`for.each`, `catch.as`, …).
    pub scope: Vec<String>,
    /// Names defined under `use`, read before anything refers to them.
    pub defined: Defined,
    /// Names of the built-in functions.
    pub builtins: BTreeSet<String>,
    /// Every task name in the flow, for telling "wrong depth" from "does not exist".
    pub task_names: BTreeSet<String>,
    /// `then` targets not found in their own list, resolved at the end.
    pub pending_jumps: Vec<jumps::PendingJump>,
}

/// The names of the reusable components a flow defines.
#[derive(Default)]
pub(crate) struct Defined {
    pub authentications: BTreeSet<String>,
    pub errors: BTreeSet<String>,
    pub functions: BTreeSet<String>,
    pub retries: BTreeSet<String>,
    pub secrets: BTreeSet<String>,
    pub timeouts: BTreeSet<String>,
}

impl Ctx {
    pub fn new(builtins: BTreeSet<String>) -> Self {
        Self {
            diags: Vec::new(),
            mode: EvalMode::Strict,
            scope: Vec::new(),
            defined: Defined::default(),
            builtins,
            task_names: BTreeSet::new(),
            pending_jumps: Vec::new(),
        }
    }

    /// Reports `name` when it is not in `defined`, suggesting a close one.
    pub fn check_reference(
        &mut self,
        code: Code,
        kind: &str,
        section: &str,
        name: &str,
        pos: Pos,
        pointer: &str,
    ) {
        let defined = match code {
            Code::UndefinedAuthentication => &self.defined.authentications,
            Code::UndefinedError => &self.defined.errors,
            Code::UndefinedRetry => &self.defined.retries,
            Code::UndefinedSecret => &self.defined.secrets,
            _ => &self.defined.timeouts,
        };
        if defined.contains(name) {
            return;
        }
        let help = match did_you_mean(name, defined.iter().map(String::as_str)) {
            Some(s) => format!("did you mean `{s}`?"),
            None if defined.is_empty() => format!("define it under `use.{section}`"),
            None => format!(
                "define it under `use.{section}`; defined there: {}",
                defined
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        self.error_help(
            code,
            pos,
            pointer,
            format!("{kind} `{name}` is not defined"),
            help,
        );
    }

    pub fn error(&mut self, code: Code, pos: Pos, pointer: &str, message: impl Into<String>) {
        self.diags
            .push(Diagnostic::new(code, pos, pointer, message));
    }

    pub fn error_help(
        &mut self,
        code: Code,
        pos: Pos,
        pointer: &str,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.diags
            .push(Diagnostic::new(code, pos, pointer, message).with_help(help));
    }

    pub fn wrong_type(&mut self, node: &Node, pointer: &str, expected: &str) {
        self.error(
            Code::WrongType,
            node.pos,
            pointer,
            format!(
                "expected {expected} at `{}`, found {}",
                display_pointer(pointer),
                node.kind_name()
            ),
        );
    }

    /// Runs `f` with `vars` added to the expression scope.
    pub fn with_vars<T>(&mut self, vars: &[&str], f: impl FnOnce(&mut Ctx) -> T) -> T {
        let before = self.scope.len();
        self.scope.extend(vars.iter().map(|v| format!("${v}")));
        let out = f(self);
        self.scope.truncate(before);
        out
    }
}

/// `/do/0/a` for messages; the root shows as `/`.
pub(crate) fn display_pointer(pointer: &str) -> &str {
    if pointer.is_empty() { "/" } else { pointer }
}

/// Appends a key to a JSON pointer, escaping `~` and `/`.
pub(crate) fn child(pointer: &str, key: &str) -> String {
    let mut out = String::with_capacity(pointer.len() + key.len() + 1);
    out.push_str(pointer);
    out.push('/');
    for c in key.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c => out.push(c),
        }
    }
    out
}

/// Reads the fields of one mapping, remembering which were used so unknown keys can be reported.
pub(crate) struct Fields<'a> {
    node: &'a Node,
    entries: &'a [(Key, Node)],
    used: Vec<bool>,
    pointer: String,
    what: &'static str,
    allowed: &'static [&'static str],
}

impl<'a> Fields<'a> {
    /// Starts reading `node` as the object `what` with the given keys; reports a non-mapping.
    pub fn new(
        ctx: &mut Ctx,
        node: &'a Node,
        pointer: &str,
        what: &'static str,
        allowed: &'static [&'static str],
    ) -> Option<Self> {
        match &node.value {
            Value::Map(entries) => Some(Self {
                node,
                entries,
                used: vec![false; entries.len()],
                pointer: pointer.to_owned(),
                what,
                allowed,
            }),
            _ => {
                ctx.error(
                    Code::WrongType,
                    node.pos,
                    pointer,
                    format!("{what} must be a mapping, found {}", node.kind_name()),
                );
                None
            }
        }
    }

    pub fn pointer(&self) -> &str {
        &self.pointer
    }

    pub fn pos(&self) -> Pos {
        self.node.pos
    }

    /// Where `key` is written, if present.
    pub fn key_pos(&self, key: &str) -> Option<Pos> {
        self.entries
            .iter()
            .find(|(k, _)| k.name == key)
            .map(|(k, _)| k.pos)
    }

    pub fn has(&self, key: &str) -> bool {
        self.entries.iter().any(|(k, _)| k.name == key)
    }

    /// The keys present, in order.
    pub fn keys(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        let entries: &'a [(Key, Node)] = self.entries;
        entries.iter().map(|(k, _)| k.name.as_str())
    }

    /// Takes an optional field: its node and pointer.
    pub fn take(&mut self, key: &str) -> Option<(&'a Node, String)> {
        debug_assert!(
            self.allowed.contains(&key),
            "{key} not declared for {}",
            self.what
        );
        let i = self.entries.iter().position(|(k, _)| k.name == key)?;
        self.used[i] = true;
        Some((&self.entries[i].1, child(&self.pointer, key)))
    }

    /// Takes a required field, reporting it when missing.
    pub fn require(&mut self, ctx: &mut Ctx, key: &str) -> Option<(&'a Node, String)> {
        let found = self.take(key);
        if found.is_none() {
            ctx.error_help(
                Code::MissingField,
                self.node.pos,
                &self.pointer,
                format!("{} is missing the required field `{key}`", self.what),
                format!(
                    "add `{key}:` to {} at `{}`",
                    self.what,
                    display_pointer(&self.pointer)
                ),
            );
        }
        found
    }

    /// Takes an optional string field.
    pub fn string(&mut self, ctx: &mut Ctx, key: &str) -> Option<String> {
        let (node, ptr) = self.take(key)?;
        string(ctx, node, &ptr)
    }

    /// Takes a required string field.
    pub fn req_string(&mut self, ctx: &mut Ctx, key: &str) -> Option<String> {
        let (node, ptr) = self.require(ctx, key)?;
        string(ctx, node, &ptr)
    }

    /// Takes an optional boolean field.
    pub fn boolean(&mut self, ctx: &mut Ctx, key: &str) -> Option<bool> {
        let (node, ptr) = self.take(key)?;
        match node.value {
            Value::Bool(b) => Some(b),
            _ => {
                ctx.wrong_type(node, &ptr, "true or false");
                None
            }
        }
    }

    /// Reports keys that were not declared, with a suggestion when one is close.
    pub fn finish(self, ctx: &mut Ctx) {
        for ((key, _), used) in self.entries.iter().zip(&self.used) {
            if *used || self.allowed.contains(&key.name.as_str()) {
                continue;
            }
            let ptr = child(&self.pointer, &key.name);
            let message = format!("unknown key `{}` in {}", key.name, self.what);
            let help = match did_you_mean(&key.name, self.allowed.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("{} accepts: {}", self.what, self.allowed.join(", ")),
            };
            ctx.error_help(Code::UnknownKey, key.pos, &ptr, message, help);
        }
    }
}

/// A string, or a type error.
pub(crate) fn string(ctx: &mut Ctx, node: &Node, pointer: &str) -> Option<String> {
    match &node.value {
        Value::Str(s) => Some(s.clone()),
        // Unquoted numbers where a string is expected (`version: 1.0`) are a classic YAML trap.
        Value::Int(_) | Value::Float(_) | Value::Bool(_) => {
            ctx.error_help(
                Code::WrongType,
                node.pos,
                pointer,
                format!(
                    "expected a string at `{}`, found {}",
                    display_pointer(pointer),
                    node.kind_name()
                ),
                "quote the value, e.g. '1.0.0', so YAML reads it as text",
            );
            None
        }
        _ => {
            ctx.wrong_type(node, pointer, "a string");
            None
        }
    }
}

/// A list of strings.
pub(crate) fn string_list(ctx: &mut Ctx, node: &Node, pointer: &str) -> Option<Vec<String>> {
    let Value::Seq(items) = &node.value else {
        ctx.wrong_type(node, pointer, "a list of strings");
        return None;
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        out.push(string(ctx, item, &child(pointer, &i.to_string()))?);
    }
    Some(out)
}

/// The entries of a mapping, or a type error.
pub(crate) fn entries<'a>(
    ctx: &mut Ctx,
    node: &'a Node,
    pointer: &str,
    what: &str,
) -> Option<&'a [(Key, Node)]> {
    match &node.value {
        Value::Map(entries) => Some(entries),
        _ => {
            ctx.error(
                Code::WrongType,
                node.pos,
                pointer,
                format!("{what} must be a mapping, found {}", node.kind_name()),
            );
            None
        }
    }
}
