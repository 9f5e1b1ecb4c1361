//! Runtime expressions: compiling jq source text with jaq and evaluating it against JSON values.
//!
//! Every runtime expression of a flow (DSL 1.0.3 "runtime expressions") goes through this module.
//! An [`Expr`] is compiled once and evaluated many times; compiling declares the
//! [`VARIABLES`] as global variables, so a misspelt `$contxt` is a compile error.
//!
//! Limits (jaq's lexer, parser, compiler and interpreter all recurse, and a stack overflow
//! aborts the process, so bad input has to be stopped before it reaches them):
//! * Sources longer than [`MAX_SOURCE_LEN`] bytes, nested deeper than [`MAX_NESTING`] levels,
//!   or whose syntax tree would be deeper than [`MAX_TREE_DEPTH`] are rejected before jaq
//!   parses them.
//! * Values passed in or returned may be nested at most [`MAX_VALUE_DEPTH`] levels deep;
//!   `fromjson` enforces the same limit on the text it parses.
//! * With these limits, compiling and evaluating stay within about 1.5 MiB of stack in
//!   unoptimised builds and a quarter of that in release builds, so the 2 MiB of a spawned
//!   thread are enough.
//! * A panic inside jaq becomes an error instead of unwinding into the caller.
//! * Evaluation time and memory are not bounded: `repeat(.)` in [`Expr::eval_all`], a
//!   recursive `def` that never ends, or `"x" * 1000000000000` run until they exhaust time,
//!   memory or the stack. Flow authors are trusted not to write those.
//!
//! Determinism: the filters of jaq's standard library that depend on the clock, the
//! environment or the time zone, or that act on the process, are left out: `now`, `env`,
//! `localtime`, `strflocaltime`, `halt`, `halt_error` (`input`, `inputs` and `$ENV` do not
//! exist in this setup either). Using them is an "undefined function" error. `debug` and
//! `stderr` remain; they pass their input through and log it with the `log` crate.

use std::any::Any;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, OnceLock};

use jaq_core::box_iter::box_once;
use jaq_core::load::parse::Def;
use jaq_core::load::{self, Arena, File, Loader, lex, parse};
use jaq_core::{Compiler, Ctx, Cv, Exn, ValXs, compile, data, native};
use jaq_json::{Num, Val};
use serde_json::{Map, Number, Value};

/// Variables every runtime expression may use (DSL 1.0.3 "runtime expression arguments").
pub const VARIABLES: [&str; 8] = [
    "$context",
    "$input",
    "$output",
    "$secrets",
    "$authorization",
    "$task",
    "$workflow",
    "$runtime",
];

/// Longest accepted expression source, in bytes.
pub const MAX_SOURCE_LEN: usize = 64 * 1024;

/// Deepest accepted nesting of brackets, braces, parentheses, string interpolations and
/// `if ... end` in an expression source.
pub const MAX_NESTING: usize = 64;

/// Deepest accepted syntax tree of an expression, as estimated before parsing: operators,
/// keywords and path steps count as well as brackets. jaq's compiler and interpreter recurse
/// over the tree, so this bounds the stack they need.
pub const MAX_TREE_DEPTH: usize = 128;

/// How many levels of [`MAX_TREE_DEPTH`] a call with arguments, such as `map(f)`, counts for
/// (besides its parentheses).
const CALL_WEIGHT: usize = 3;

/// Deepest accepted nesting of arrays and objects in values going into or out of an expression.
pub const MAX_VALUE_DEPTH: usize = 128;

/// Longest runtime error message kept, in characters (jq messages quote the values involved,
/// which can be large).
const MAX_MESSAGE_LEN: usize = 1000;

/// Native filters of jaq's standard library that are left out because they are not
/// deterministic or act on the process.
const EXCLUDED_NATIVES: [&str; 5] = ["now", "env", "localtime", "strflocaltime", "halt"];

/// Definitions of jaq's standard library that are left out (they call excluded natives).
const EXCLUDED_DEFS: [&str; 2] = ["halt", "halt_error"];

/// The kind of data jaq filters run on here.
type Data = data::JustLut<Val>;

/// A compiled jaq filter.
type Filter = jaq_core::Filter<Data>;

/// A compiled runtime expression: the source text and its jq filter.
///
/// Cloning is cheap (the compiled filter is shared) and the value can be shared between
/// threads.
#[derive(Clone)]
pub struct Expr {
    inner: Arc<Compiled>,
}

/// The shared part of an [`Expr`].
struct Compiled {
    source: String,
    filter: Filter,
    /// Every variable name (with `$`) the source mentions outside strings and comments.
    mentioned: Vec<String>,
    /// Which of [`VARIABLES`] the source mentions; the others are passed as null.
    uses: [bool; VARIABLES.len()],
    /// Scoped variables declared after [`VARIABLES`] (`$item`, `$error`, …), in declaration
    /// order: those of [`Expr::compile_with`]'s `locals` that the source mentions.
    locals: Vec<String>,
}

/// Values of the expression arguments; `Default` makes them all null.
#[derive(Clone, Debug, Default)]
pub struct Vars {
    /// `$context`: the flow's context data.
    pub context: Value,
    /// `$input`: the current task's transformed input.
    pub input: Value,
    /// `$output`: the current task's transformed output.
    pub output: Value,
    /// `$secrets`: the flow's secrets (only where the DSL allows them).
    pub secrets: Value,
    /// `$authorization`: the resolved authorization of the current call.
    pub authorization: Value,
    /// `$task`: the descriptor of the current task.
    pub task: Value,
    /// `$workflow`: the descriptor of the running flow.
    pub workflow: Value,
    /// `$runtime`: the descriptor of the runtime.
    pub runtime: Value,
    /// Scoped variables by name with `$` (`$item`, `$index`, `$error`) for expressions
    /// compiled with [`Expr::compile_with`]; later entries shadow earlier ones.
    pub locals: Vec<(String, Value)>,
}

impl Vars {
    /// The values in the order of [`VARIABLES`].
    fn in_order(&self) -> [&Value; VARIABLES.len()] {
        [
            &self.context,
            &self.input,
            &self.output,
            &self.secrets,
            &self.authorization,
            &self.task,
            &self.workflow,
            &self.runtime,
        ]
    }
}

/// Why an expression source does not compile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct CompileError {
    /// Byte offset into the source where the problem is (best effort; 0 if unknown).
    pub offset: usize,
    /// What is wrong, in plain words, e.g. "unexpected token `)`".
    pub message: String,
    /// When the problem is an undefined variable: its name, with `$`.
    pub undefined_variable: Option<String>,
    /// When the problem is an undefined function: `name/arity`.
    pub undefined_function: Option<String>,
}

impl CompileError {
    /// An error that is neither an undefined variable nor an undefined function.
    fn new(offset: usize, message: impl Into<String>) -> Self {
        Self {
            offset,
            message: message.into(),
            undefined_variable: None,
            undefined_function: None,
        }
    }
}

/// Why evaluating an expression failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct EvalError {
    /// What went wrong, in plain words, e.g. `cannot calculate 1 + "x"`; the text itself when
    /// the expression raised a string with `error`. Cut to 1000 characters.
    pub message: String,
}

impl EvalError {
    /// An error with the given message.
    fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

impl Expr {
    /// Compiles jq source text (already stripped of `${ }`).
    ///
    /// All [`VARIABLES`] are declared as global variables in that order, so a misspelt
    /// `$contxt` fails to compile with [`CompileError::undefined_variable`] set.
    pub fn compile(src: &str) -> Result<Expr, CompileError> {
        Self::compile_with(src, &[])
    }

    /// Compiles jq source text with scoped variables (names with `$`, e.g. `$item`) declared
    /// after [`VARIABLES`]; their values come from [`Vars::locals`] by name.
    ///
    /// Only the locals the source mentions are declared; duplicates and names of
    /// [`VARIABLES`] are ignored.
    pub fn compile_with(src: &str, locals: &[String]) -> Result<Expr, CompileError> {
        let mentioned = check_source(src)?;
        let uses = VARIABLES.map(|name| mentioned.iter().any(|m| m == name));
        let mut declared: Vec<String> = Vec::new();
        for local in locals {
            if mentioned.contains(local)
                && !declared.contains(local)
                && !VARIABLES.contains(&local.as_str())
            {
                declared.push(local.clone());
            }
        }
        // jaq is not expected to panic, but if it does on some input, that is a compile error
        let filter =
            panic::catch_unwind(|| compile_filter(src, &declared)).unwrap_or_else(|payload| {
                Err(CompileError::new(0, internal_error(payload.as_ref())))
            })?;
        Ok(Expr {
            inner: Arc::new(Compiled {
                source: src.to_owned(),
                filter,
                mentioned,
                uses,
                locals: declared,
            }),
        })
    }

    /// Whether the source mentions the variable `name` (with `$`) outside strings and
    /// comments; cheap, for skipping work such as preparing a value nobody reads.
    pub fn mentions(&self, name: &str) -> bool {
        self.inner.mentioned.iter().any(|m| m == name)
    }

    /// The source text the expression was compiled from.
    pub fn source(&self) -> &str {
        &self.inner.source
    }

    /// Runs the filter on `input` with `vars` and returns the first output, or
    /// [`Value::Null`] when the filter yields nothing.
    ///
    /// A jq runtime error (for example adding a number to a string) is an [`EvalError`].
    pub fn eval(&self, input: &Value, vars: &Vars) -> Result<Value, EvalError> {
        self.run(input, vars, |mut outputs| match outputs.next() {
            None => Ok(Value::Null),
            Some(output) => output_to_json(output),
        })
    }

    /// Runs the filter on `input` with `vars` and returns all its outputs.
    ///
    /// The first runtime error ends the evaluation.
    pub fn eval_all(&self, input: &Value, vars: &Vars) -> Result<Vec<Value>, EvalError> {
        self.run(input, vars, |outputs| outputs.map(output_to_json).collect())
    }

    /// Converts the input and the variables to jaq values, runs the filter and hands its
    /// outputs to `consume`.
    fn run<T>(
        &self,
        input: &Value,
        vars: &Vars,
        consume: impl for<'a> FnOnce(ValXs<'a, Val>) -> Result<T, EvalError>,
    ) -> Result<T, EvalError> {
        let compiled = &*self.inner;
        let mut values = Vec::with_capacity(VARIABLES.len());
        for ((value, used), name) in vars
            .in_order()
            .into_iter()
            .zip(compiled.uses)
            .zip(VARIABLES)
        {
            values.push(if used {
                json_to_val(value, 0).map_err(|e| EvalError::new(format!("{name}: {e}")))?
            } else {
                Val::Null
            });
        }
        for name in &compiled.locals {
            let value = vars.locals.iter().rev().find(|(n, _)| n == name);
            values.push(match value {
                Some((_, value)) => {
                    json_to_val(value, 0).map_err(|e| EvalError::new(format!("{name}: {e}")))?
                }
                None => Val::Null,
            });
        }
        let input = json_to_val(input, 0).map_err(|e| EvalError::new(format!("input: {e}")))?;
        let ctx = Ctx::<Data>::new(&compiled.filter.lut, jaq_core::Vars::new(values));
        // jaq is not expected to panic, but if it does on some input, that is an eval error
        panic::catch_unwind(AssertUnwindSafe(|| {
            consume(compiled.filter.id.run((ctx, input)))
        }))
        .unwrap_or_else(|payload| Err(EvalError::new(internal_error(payload.as_ref()))))
    }
}

impl fmt::Debug for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Expr").field(&self.inner.source).finish()
    }
}

impl PartialEq for Expr {
    fn eq(&self, other: &Self) -> bool {
        self.inner.source == other.inner.source
    }
}

impl Eq for Expr {}

/// If the whole trimmed string is `${ ... }`, returns the inner text trimmed; else `None`.
pub fn strip_expression(s: &str) -> Option<&str> {
    s.trim()
        .strip_prefix("${")?
        .strip_suffix('}')
        .map(str::trim)
}

// ---------------------------------------------------------------------------------------------
// Compiling

/// The standard definitions (jaq core, std and json), parsed once.
fn prelude() -> &'static [Def<&'static str>] {
    static PRELUDE: OnceLock<Vec<Def<&'static str>>> = OnceLock::new();
    PRELUDE.get_or_init(|| {
        jaq_core::defs()
            .chain(jaq_std::defs())
            .chain(jaq_json::defs())
            .filter(|def| !EXCLUDED_DEFS.contains(&def.name))
            .collect()
    })
}

/// The native filters (jaq core, std and json), with the excluded ones left out and
/// `fromjson` replaced by a depth-checked one.
fn natives() -> impl Iterator<Item = native::Fun<Data>> {
    let checked: native::Filter<jaq_core::RunPtr<Data>> = ("fromjson", native::v(0), fromjson);
    jaq_core::funs::<Data>()
        .chain(jaq_std::funs())
        .chain(jaq_json::funs())
        .filter(|(name, _, _)| !EXCLUDED_NATIVES.contains(name) && *name != "fromjson")
        .chain([native::run::<Data>(checked)])
}

/// Lexes, parses and compiles `src` with [`VARIABLES`] and then `locals` as global variables,
/// turning jaq's errors into a [`CompileError`].
fn compile_filter(src: &str, locals: &[String]) -> Result<Filter, CompileError> {
    let arena = Arena::default();
    let loader = Loader::new(prelude().iter().cloned());
    let modules = loader
        .load(
            &arena,
            File {
                code: src,
                path: (),
            },
        )
        .map_err(|errs| load_error(src, errs))?;
    // `import "path" as $name` binds a data file without reading a module: refuse it too
    load::import(&modules, |_| Err(String::new())).map_err(|errs| load_error(src, errs))?;
    Compiler::default()
        .with_funs(natives())
        .with_global_vars(
            VARIABLES
                .into_iter()
                .chain(locals.iter().map(String::as_str)),
        )
        .compile(modules)
        .map_err(|errs| undefined_error(src, errs))
}

/// Converts the first lexer, parser or module error into a [`CompileError`].
fn load_error(src: &str, errs: load::Errors<&str, ()>) -> CompileError {
    let Some((_, err)) = errs.into_iter().next() else {
        return CompileError::new(0, "invalid expression");
    };
    match err {
        load::Error::Lex(errs) => match errs.first() {
            Some((expect, rest)) => lex_error(src, expect, rest),
            None => CompileError::new(0, "invalid expression"),
        },
        load::Error::Parse(errs) => match errs.first() {
            Some((expect, found)) => parse_error(src, expect, found),
            None => CompileError::new(0, "invalid expression"),
        },
        load::Error::Io(errs) => match errs.first() {
            Some((path, _)) => CompileError::new(
                offset_in(src, path),
                format!("modules cannot be included or imported (`{path}`)"),
            ),
            None => CompileError::new(0, "modules cannot be included or imported"),
        },
    }
}

/// A lexer error: `rest` is the input left where the lexer stopped.
fn lex_error(src: &str, expect: &lex::Expect<&str>, rest: &str) -> CompileError {
    let at = offset_in(src, rest);
    match expect {
        lex::Expect::Delim(open) => {
            let open_at = offset_in(src, open);
            let close = match *open {
                "(" => "`)`",
                "[" => "`]`",
                "{" => "`}`",
                _ => "`\"`",
            };
            if *open == "\"" {
                CompileError::new(open_at, "unterminated string")
            } else if rest.trim().is_empty() {
                CompileError::new(open_at, format!("unclosed `{open}`, expected {close}"))
            } else {
                CompileError::new(
                    at,
                    format!(
                        "expected {close} to close `{open}`, found `{}`",
                        first_char(rest)
                    ),
                )
            }
        }
        lex::Expect::Digit => CompileError::new(at, "expected a digit"),
        lex::Expect::Ident => CompileError::new(at, "expected an identifier"),
        lex::Expect::Escape => CompileError::new(at, "invalid escape sequence in string"),
        lex::Expect::Unicode => {
            CompileError::new(at, "invalid unicode escape, expected 4 hexadecimal digits")
        }
        // `Expect::Token`, and whatever later versions of jaq add; show the text from there
        _ => CompileError::new(at, format!("unexpected token `{}`", snippet(rest))),
    }
}

/// A parser error: `found` is the offending token (empty at the end of the source).
fn parse_error(src: &str, expect: &parse::Expect<&str>, found: &str) -> CompileError {
    let at = offset_in(src, found);
    let expected = match expect {
        parse::Expect::Just(s) => format!("`{s}`"),
        parse::Expect::Var => "a variable".to_owned(),
        parse::Expect::Pattern => "a variable or a destructuring pattern".to_owned(),
        parse::Expect::ElseOrEnd => "`else` or `end`".to_owned(),
        parse::Expect::CommaOrRBrack => "`,` or `]`".to_owned(),
        parse::Expect::CommaOrRBrace => "`,` or `}`".to_owned(),
        parse::Expect::SemicolonOrRParen => "`;` or `)`".to_owned(),
        parse::Expect::Term => "an expression".to_owned(),
        parse::Expect::Key => "a key".to_owned(),
        parse::Expect::Ident => "an identifier".to_owned(),
        parse::Expect::Arg => "an argument".to_owned(),
        parse::Expect::Str => "a string".to_owned(),
        parse::Expect::Nothing => String::new(),
        other => other.as_str().to_owned(),
    };
    let message = match (found.is_empty(), expected.is_empty()) {
        (true, true) => "unexpected end of expression".to_owned(),
        (true, false) => format!("unexpected end of expression, expected {expected}"),
        (false, true) => format!("unexpected token `{}`", snippet(found)),
        (false, false) => format!("unexpected token `{}`, expected {expected}", snippet(found)),
    };
    CompileError::new(at, message)
}

/// Converts the first "undefined symbol" error of the compiler into a [`CompileError`].
fn undefined_error(src: &str, errs: compile::Errors<&str, ()>) -> CompileError {
    let first = errs.into_iter().flat_map(|(_, errs)| errs).next();
    let Some((name, undefined)) = first else {
        return CompileError::new(0, "invalid expression");
    };
    let mut err = CompileError::new(offset_in(src, name), "");
    match undefined {
        compile::Undefined::Var => {
            err.message = format!("undefined variable `{name}`");
            err.undefined_variable = Some(name.to_owned());
        }
        compile::Undefined::Filter(arity) => {
            let function = format!("{name}/{arity}");
            err.message = format!("undefined function `{function}`");
            err.undefined_function = Some(function);
        }
        compile::Undefined::Label => err.message = format!("undefined label `{name}`"),
        compile::Undefined::Mod => err.message = format!("undefined module `{name}`"),
        other => err.message = format!("undefined {} `{name}`", other.as_str()),
    }
    err
}

/// The message for a panic caught in jaq.
fn internal_error(payload: &(dyn Any + Send)) -> String {
    let detail = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("unknown cause");
    format!("internal error of the jq interpreter: {detail}")
}

/// Byte offset of `part` in `whole` when `part` is a slice of `whole`, else 0.
fn offset_in(whole: &str, part: &str) -> usize {
    let start = whole.as_ptr() as usize;
    let at = part.as_ptr() as usize;
    match at.checked_sub(start) {
        Some(offset) if offset + part.len() <= whole.len() => offset,
        _ => 0,
    }
}

/// The start of `s` for an error message: its first line, at most 24 characters.
fn snippet(s: &str) -> String {
    shorten(s.trim_start().lines().next().unwrap_or_default(), 24)
}

/// The first character of `s` (where the lexer stopped).
fn first_char(s: &str) -> &str {
    s.char_indices().nth(1).map_or(s, |(end, _)| &s[..end])
}

/// `s` cut to at most `max` characters, with `…` when something was cut.
fn shorten(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &s[..cut]),
        None => s.to_owned(),
    }
}

/// Checks the size and nesting limits before jaq sees `src`, and returns the variable names
/// (with `$`) it mentions.
///
/// The scan follows jq's lexical structure just enough: it skips comments and the text of
/// string literals but enters their `\( ... )` interpolations. Besides the nesting of
/// brackets (and `if ... end`), it estimates from above how deep the syntax tree will be:
/// every operator, separator (`,` `;`), keyword, path step and interpolation adds a level
/// (jaq builds chains of them), only the branches of an `if` do not add up. Unbalanced input
/// is left for jaq to report.
fn check_source(src: &str) -> Result<Vec<String>, CompileError> {
    if src.len() > MAX_SOURCE_LEN {
        return Err(CompileError::new(
            MAX_SOURCE_LEN,
            format!(
                "expression is too long ({} bytes, at most {MAX_SOURCE_LEN} are allowed)",
                src.len()
            ),
        ));
    }
    let mut scan = Scan::new();
    let bytes = src.as_bytes();
    let mut i = 0;
    // whether the last token could end a term, so that a `[` after it indexes
    let mut after_term = false;
    while let Some(&c) = bytes.get(i) {
        if scan.in_string() {
            match c {
                b'"' => {
                    scan.close_one()?;
                    after_term = true;
                    i += 1;
                }
                b'\\' if bytes.get(i + 1) == Some(&b'(') => {
                    scan.open(Open::Group(b')'), i)?;
                    // each interpolation adds a level: the parts are concatenated in a chain
                    scan.parent_op(i)?;
                    i += 2;
                }
                b'\\' => i += 2,
                _ => i += 1,
            }
            continue;
        }
        match c {
            b'"' => {
                scan.open(Open::Str, i)?;
                i += 1;
            }
            b'#' => i = comment_end(bytes, i),
            b'(' => {
                scan.open(Open::Group(b')'), i)?;
                i += 1;
            }
            b'[' => {
                scan.open(Open::Group(b']'), i)?;
                if after_term {
                    // an index: a path step of the enclosing term
                    scan.parent_op(i)?;
                }
                i += 1;
            }
            b'{' => {
                scan.open(Open::Group(b'}'), i)?;
                i += 1;
            }
            b')' | b']' | b'}' => {
                scan.close_group()?;
                i += 1;
            }
            b',' | b';' | b'?' => {
                scan.op(i)?;
                i += 1;
            }
            b'.' if bytes.get(i + 1) == Some(&b'.') => i += 2,
            b'.' => {
                scan.op(i)?;
                i = ident_end(bytes, i + 1);
            }
            b'$' => {
                let end = ident_end(bytes, i + 1);
                scan.mention(&src[i..end]);
                i = end;
            }
            b'@' => i = ident_end(bytes, i + 1),
            b'0'..=b'9' => i = number_end(bytes, i),
            b'|' | b'=' | b'!' | b'<' | b'>' | b'+' | b'-' | b'*' | b'/' | b'%' => {
                scan.op(i)?;
                i += 1;
                while bytes.get(i).is_some_and(|c| b"|=!<>+*/%".contains(c)) {
                    i += 1;
                }
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let end = ident_end(bytes, i);
                let call = src[end..].trim_start().starts_with('(');
                scan.word(&src[i..end], call, i)?;
                i = end;
            }
            _ => i += 1,
        }
        if !(c.is_ascii_whitespace() || c == b'#' || c == b'"') {
            after_term = i
                .checked_sub(1)
                .and_then(|last| bytes.get(last))
                .is_some_and(|&last| last.is_ascii_alphanumeric() || b"_])}?.".contains(&last));
        }
    }
    scan.finish()
}

/// What the source scanner is inside of.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Open {
    /// The whole source.
    Top,
    /// A bracket, brace or parenthesis (or the `\(` of an interpolation), with its closer.
    Group(u8),
    /// `if`, closed by `end`.
    If,
    /// A string literal.
    Str,
}

/// A construct open while scanning, with what is known of the depth of its syntax tree.
struct Frame {
    kind: Open,
    /// Byte offset of its opening token.
    at: usize,
    /// Operators, keywords and path steps in the current segment.
    ops: usize,
    /// The most of them in an earlier segment (the branches of an `if`, separated by
    /// `then`, `elif` and `else`, are segments).
    segment_max: usize,
    /// The deepest tree estimated for a construct nested in this one.
    child_max: usize,
}

impl Frame {
    fn new(kind: Open, at: usize) -> Self {
        Self {
            kind,
            at,
            ops: 0,
            segment_max: 0,
            child_max: 0,
        }
    }

    /// Estimated depth of this construct's syntax tree, from above.
    fn depth(&self) -> usize {
        self.ops.max(self.segment_max) + 1 + self.child_max
    }
}

/// State of [`check_source`].
struct Scan {
    /// Never empty: the first frame is [`Open::Top`].
    frames: Vec<Frame>,
    /// Number of open groups and `if`s.
    nesting: usize,
    /// Variable names mentioned, with `$`, each once.
    mentioned: Vec<String>,
}

impl Scan {
    fn new() -> Self {
        Self {
            frames: vec![Frame::new(Open::Top, 0)],
            nesting: 0,
            mentioned: Vec::new(),
        }
    }

    fn top(&mut self) -> Option<&mut Frame> {
        self.frames.last_mut()
    }

    fn top_kind(&self) -> Open {
        self.frames.last().map_or(Open::Top, |f| f.kind)
    }

    fn in_string(&self) -> bool {
        self.top_kind() == Open::Str
    }

    fn open(&mut self, kind: Open, at: usize) -> Result<(), CompileError> {
        if kind != Open::Str {
            self.nesting += 1;
            if self.nesting > MAX_NESTING {
                return Err(CompileError::new(
                    at,
                    format!("expression is nested too deeply (more than {MAX_NESTING} levels)"),
                ));
            }
        }
        self.frames.push(Frame::new(kind, at));
        Ok(())
    }

    /// Closes the innermost construct (never the top one) and returns its kind.
    fn close_one(&mut self) -> Result<Option<Open>, CompileError> {
        if self.frames.len() <= 1 {
            return Ok(None);
        }
        let Some(frame) = self.frames.pop() else {
            return Ok(None);
        };
        if frame.kind != Open::Str {
            self.nesting = self.nesting.saturating_sub(1);
        }
        let depth = frame.depth();
        if depth > MAX_TREE_DEPTH {
            return Err(too_complex(frame.at));
        }
        if let Some(parent) = self.top() {
            parent.child_max = parent.child_max.max(depth);
        }
        Ok(Some(frame.kind))
    }

    /// Closes the innermost group, and whatever is left open inside it.
    fn close_group(&mut self) -> Result<(), CompileError> {
        while let Some(kind) = self.close_one()? {
            if matches!(kind, Open::Group(_)) {
                break;
            }
        }
        Ok(())
    }

    /// Counts an operator, keyword or path step at `at` in the innermost construct.
    fn op(&mut self, at: usize) -> Result<(), CompileError> {
        if let Some(frame) = self.top() {
            frame.ops += 1;
        }
        self.check_running(at)
    }

    /// Counts an operator at `at` in the construct around the innermost one.
    fn parent_op(&mut self, at: usize) -> Result<(), CompileError> {
        let parent = self.frames.len().saturating_sub(2);
        if let Some(frame) = self.frames.get_mut(parent) {
            frame.ops += 1;
        }
        self.check_running(at)
    }

    /// Fails when the constructs open at `at` already make the tree too deep.
    fn check_running(&self, at: usize) -> Result<(), CompileError> {
        let running: usize = self
            .frames
            .iter()
            .map(|f| f.ops.max(f.segment_max) + 1)
            .sum();
        if running > MAX_TREE_DEPTH {
            return Err(too_complex(at));
        }
        Ok(())
    }

    /// Starts a new segment of siblings in the innermost construct.
    fn next_segment(&mut self) {
        if let Some(frame) = self.top() {
            frame.segment_max = frame.segment_max.max(frame.ops);
            frame.ops = 0;
        }
    }

    /// Notes a variable mentioned by name (with `$`).
    fn mention(&mut self, name: &str) {
        if !self.mentioned.iter().any(|m| m == name) {
            self.mentioned.push(name.to_owned());
        }
    }

    /// Handles a keyword or function name at `at`; `call` tells whether arguments follow.
    ///
    /// A call with arguments counts as [`CALL_WEIGHT`] levels: running it goes through the
    /// called definition's body and the closures of its arguments.
    fn word(&mut self, word: &str, call: bool, at: usize) -> Result<(), CompileError> {
        match word {
            "if" => self.open(Open::If, at),
            "then" | "elif" | "else" if self.top_kind() == Open::If => {
                self.next_segment();
                Ok(())
            }
            "end" if self.top_kind() == Open::If => self.close_one().map(|_| ()),
            "and" | "or" | "as" | "try" | "catch" | "reduce" | "foreach" | "label" | "def"
            | "import" | "include" => self.op(at),
            "then" | "elif" | "else" | "end" => Ok(()),
            _ if call => (0..CALL_WEIGHT).try_for_each(|_| self.op(at)),
            _ => Ok(()),
        }
    }

    /// Closes what is left open and checks the depth of the whole tree.
    fn finish(mut self) -> Result<Vec<String>, CompileError> {
        while self.close_one()?.is_some() {}
        let depth = self.frames.first().map_or(0, Frame::depth);
        if depth > MAX_TREE_DEPTH {
            return Err(too_complex(0));
        }
        Ok(self.mentioned)
    }
}

/// The error for a syntax tree deeper than [`MAX_TREE_DEPTH`], found at `at`.
fn too_complex(at: usize) -> CompileError {
    CompileError::new(
        at,
        format!(
            "expression is too complex: its operators, calls and brackets nest more than \
             {MAX_TREE_DEPTH} levels deep"
        ),
    )
}

/// The end of the number literal starting at `i` (digits, fraction, exponent).
fn number_end(bytes: &[u8], mut i: usize) -> usize {
    let digits = |bytes: &[u8], mut i: usize| {
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        i
    };
    i = digits(bytes, i);
    if bytes.get(i) == Some(&b'.') {
        i = digits(bytes, i + 1);
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(bytes.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        i = digits(bytes, i);
    }
    i
}

/// The end of the identifier (`[A-Za-z0-9_]*`, with `::` module paths) starting at `i`.
fn ident_end(bytes: &[u8], mut i: usize) -> usize {
    while let Some(&c) = bytes.get(i) {
        if c.is_ascii_alphanumeric() || c == b'_' {
            i += 1;
        } else if c == b':' && bytes.get(i + 1) == Some(&b':') {
            i += 2;
        } else {
            break;
        }
    }
    i
}

/// The end of the comment starting at `i`: the end of its line, where a line ending in an
/// odd number of backslashes continues the comment (as in jq).
fn comment_end(bytes: &[u8], mut i: usize) -> usize {
    loop {
        let line_end = bytes[i..]
            .iter()
            .position(|&c| c == b'\n')
            .map_or(bytes.len(), |n| i + n);
        let line = &bytes[i..line_end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let backslashes = line.iter().rev().take_while(|&&c| c == b'\\').count();
        i = (line_end + 1).min(bytes.len());
        if backslashes % 2 == 0 || i >= bytes.len() {
            return i;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Values

/// Converts a JSON value into a jaq value, refusing nesting deeper than [`MAX_VALUE_DEPTH`].
fn json_to_val(value: &Value, depth: usize) -> Result<Val, String> {
    Ok(match value {
        Value::Null => Val::Null,
        Value::Bool(b) => Val::Bool(*b),
        Value::Number(n) => Val::Num(if let Some(i) = n.as_i64() {
            Num::from_integral(i)
        } else if let Some(u) = n.as_u64() {
            Num::from_integral(u)
        } else {
            Num::Float(n.as_f64().unwrap_or(f64::NAN))
        }),
        Value::String(s) => Val::utf8_str(s.clone().into_bytes()),
        Value::Array(items) => {
            check_depth(depth)?;
            let items = items
                .iter()
                .map(|item| json_to_val(item, depth + 1))
                .collect::<Result<Vec<_>, _>>()?;
            Val::Arr(items.into())
        }
        Value::Object(entries) => {
            check_depth(depth)?;
            let entries = entries
                .iter()
                .map(|(k, v)| {
                    Ok((
                        Val::utf8_str(k.clone().into_bytes()),
                        json_to_val(v, depth + 1)?,
                    ))
                })
                .collect::<Result<jaq_json::Map, String>>()?;
            Val::obj(entries)
        }
    })
}

/// Converts a jaq value into a JSON value, refusing nesting deeper than [`MAX_VALUE_DEPTH`].
///
/// Integers stay integers (beyond `u64` they become floats), floats stay floats; NaN becomes
/// null and infinities the largest finite floats, as jq prints them. Byte strings and
/// non-string object keys become strings.
fn val_to_json(val: Val, depth: usize) -> Result<Value, String> {
    Ok(match val {
        Val::Null => Value::Null,
        Val::Bool(b) => Value::Bool(b),
        Val::Num(n) => num_to_json(&n),
        Val::TStr(b) | Val::BStr(b) => Value::String(bytes_to_string(&b)),
        Val::Arr(items) => {
            check_depth(depth)?;
            let items = jaq_json::Rc::unwrap_or_clone(items);
            let items = items
                .into_iter()
                .map(|item| val_to_json(item, depth + 1))
                .collect::<Result<Vec<_>, _>>()?;
            Value::Array(items)
        }
        Val::Obj(entries) => {
            check_depth(depth)?;
            let entries = jaq_json::Rc::unwrap_or_clone(entries);
            let mut map = Map::with_capacity(entries.len());
            for (k, v) in entries {
                let key = match k {
                    Val::TStr(b) | Val::BStr(b) => bytes_to_string(&b),
                    other => other.to_string(),
                };
                map.insert(key, val_to_json(v, depth + 1)?);
            }
            Value::Object(map)
        }
    })
}

/// Fails when an array or object at `depth` would be one level too many.
fn check_depth(depth: usize) -> Result<(), String> {
    if depth >= MAX_VALUE_DEPTH {
        Err(format!(
            "value is nested deeper than {MAX_VALUE_DEPTH} levels"
        ))
    } else {
        Ok(())
    }
}

/// Text of a jaq string; invalid UTF-8 (possible in byte strings) is replaced.
fn bytes_to_string(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Converts a jaq number into a JSON number.
fn num_to_json(n: &Num) -> Value {
    match n {
        Num::Int(i) => Value::Number(Number::from(*i as i64)),
        Num::Float(f) => float_to_json(*f),
        // big integers and decimal literals: go through their text
        other => {
            let text = other.to_string();
            if let Ok(i) = text.parse::<i64>() {
                Value::Number(Number::from(i))
            } else if let Ok(u) = text.parse::<u64>() {
                Value::Number(Number::from(u))
            } else {
                float_to_json(text.parse::<f64>().unwrap_or(f64::NAN))
            }
        }
    }
}

/// A float as JSON: NaN becomes null, infinities the largest finite floats (as jq prints them).
fn float_to_json(f: f64) -> Value {
    let f = if f.is_infinite() {
        f.signum() * f64::MAX
    } else {
        f
    };
    Number::from_f64(f).map_or(Value::Null, Value::Number)
}

/// Converts one output of a filter.
fn output_to_json(output: Result<Val, Exn<'_, Val>>) -> Result<Value, EvalError> {
    match output {
        Ok(val) => val_to_json(val, 0).map_err(|e| EvalError::new(format!("result: {e}"))),
        Err(exn) => Err(EvalError::new(exn_message(exn))),
    }
}

/// The message of a jq runtime error, at most [`MAX_MESSAGE_LEN`] characters. A string error
/// value is shown as its text.
fn exn_message(exn: Exn<'_, Val>) -> String {
    match exn.get_err() {
        Ok(err) => {
            let message = match err.into_val() {
                Val::TStr(b) | Val::BStr(b) => bytes_to_string(&b),
                other => other.to_string(),
            };
            shorten(&message, MAX_MESSAGE_LEN)
        }
        Err(exn) => match exn.get_halt() {
            Ok(code) => format!("expression halted with exit code {code}"),
            Err(_) => "internal error of the jq interpreter".to_owned(),
        },
    }
}

/// `fromjson`, refusing text nested deeper than [`MAX_VALUE_DEPTH`] (jaq's JSON reader
/// recurses).
fn fromjson(cv: Cv<'_, Data>) -> ValXs<'_, Val> {
    let input = cv.1;
    let text = match input.try_as_utf8_bytes_owned() {
        Ok(text) => text,
        Err(e) => return box_once(Err(Exn::from(e))),
    };
    if json_text_depth(&text) > MAX_VALUE_DEPTH {
        let message = format!("cannot parse JSON nested deeper than {MAX_VALUE_DEPTH} levels");
        return box_once(Err(Exn::from(jaq_json::Error::str(message))));
    }
    let shown = shorten(&String::from_utf8_lossy(&text), 40);
    let values = jaq_json::bytes_valrs(text, move |text| {
        Box::new(jaq_json::read::parse_many(text).map(move |r| {
            r.map_err(|e| jaq_json::Error::str(format!("cannot parse {shown:?} as JSON: {e}")))
        }))
    });
    Box::new(values.map(|r| r.map_err(Exn::from)))
}

/// The deepest nesting of `[` and `{` in JSON text, not counting those inside strings.
fn json_text_depth(text: &[u8]) -> usize {
    let (mut depth, mut max, mut in_str, mut escaped) = (0usize, 0usize, false, false);
    for &c in text {
        if in_str {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            b'"' => in_str = true,
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn compile(src: &str) -> Expr {
        match Expr::compile(src) {
            Ok(expr) => expr,
            Err(e) => panic!("{src:?} should compile: {e:?}"),
        }
    }

    fn compile_err(src: &str) -> CompileError {
        match Expr::compile(src) {
            Ok(_) => panic!("{src:?} should not compile"),
            Err(e) => e,
        }
    }

    fn eval(src: &str, input: Value) -> Value {
        match compile(src).eval(&input, &Vars::default()) {
            Ok(value) => value,
            Err(e) => panic!("{src:?} should evaluate: {e:?}"),
        }
    }

    fn eval_err(src: &str, input: Value) -> EvalError {
        match compile(src).eval(&input, &Vars::default()) {
            Ok(value) => panic!("{src:?} should fail, gave {value}"),
            Err(e) => e,
        }
    }

    /// A JSON value made of `depth` nested arrays around `0`.
    fn nested_arrays(depth: usize) -> Value {
        let mut value = json!(0);
        for _ in 0..depth {
            value = Value::Array(vec![value]);
        }
        value
    }

    #[test]
    fn compiles_valid_expressions() {
        for src in [
            ".",
            ".a.b",
            "$input.x",
            "[.[] | select(. > 1)]",
            "{name: .n}",
            r#""\(.a)-x""#,
            "if .a then 1 elif .b then 2 else 3 end",
            "reduce .[] as $x (0; . + $x)",
            "map(. * 2) | length",
            r#"to_entries | map(select(.key | test("^a"))) | from_entries"#,
            "def double: . * 2; .a | double",
            ".a # a comment with ( [ { and \" in it\n| .b",
            "$context, $input, $output, $secrets, $authorization, $task, $workflow, $runtime",
            "try error(\"x\") catch .",
            "label $out | 1, break $out",
            ". as {a: $x, b: [$y]} | $x + $y",
            r#""2015-03-05T23:51:47Z" | fromdate | todate"#,
        ] {
            let expr = compile(src);
            assert_eq!(expr.source(), src);
        }
    }

    #[test]
    fn syntax_errors_have_readable_messages_and_offsets() {
        let err = compile_err(".a | )");
        assert_eq!(err.message, "unexpected token `)`");
        assert_eq!(err.offset, 5);
        assert_eq!(err.undefined_variable, None);
        assert_eq!(err.undefined_function, None);

        let err = compile_err(".a +");
        assert_eq!(
            err.message,
            "unexpected end of expression, expected an expression"
        );
        assert_eq!(err.offset, 4);

        let err = compile_err("{a: }");
        assert_eq!(err.message, "unexpected token `}`, expected an expression");
        assert_eq!(err.offset, 4);

        let err = compile_err("if . then 1");
        assert_eq!(
            err.message,
            "unexpected end of expression, expected `else` or `end`"
        );

        let err = compile_err(".a | [1, 2");
        assert_eq!(err.message, "unclosed `[`, expected `]`");
        assert_eq!(err.offset, 5);

        let err = compile_err("(1]");
        assert_eq!(err.message, "expected `)` to close `(`, found `]`");
        assert_eq!(err.offset, 2);

        let err = compile_err(r#".a + "abc"#);
        assert_eq!(err.message, "unterminated string");
        assert_eq!(err.offset, 5);

        let err = compile_err(r#""\q""#);
        assert_eq!(err.message, "invalid escape sequence in string");

        // offsets are in bytes, also after non-ASCII text
        let err = compile_err(r#""é" | )"#);
        assert_eq!(err.offset, 7);

        // no Rust debug output in messages
        for src in [
            ".a | )", ".a +", "{a: }", "(1]", "1 +* 2", "é", "def f: ;", ".",
        ] {
            if let Err(e) = Expr::compile(src) {
                assert!(!e.message.contains("Some("), "{src:?}: {}", e.message);
                assert!(!e.message.contains("Expect"), "{src:?}: {}", e.message);
                assert!(!e.message.is_empty(), "{src:?}");
            }
        }
    }

    #[test]
    fn undefined_variable_is_reported_by_name() {
        let err = compile_err("$contxt.orderId");
        assert_eq!(err.undefined_variable.as_deref(), Some("$contxt"));
        assert_eq!(err.undefined_function, None);
        assert_eq!(err.message, "undefined variable `$contxt`");
        assert_eq!(err.offset, 0);

        let err = compile_err(".a + $inptu");
        assert_eq!(err.undefined_variable.as_deref(), Some("$inptu"));
        assert_eq!(err.offset, 5);

        assert_eq!(
            compile_err("$ENV").undefined_variable.as_deref(),
            Some("$ENV")
        );
    }

    #[test]
    fn undefined_function_is_reported_with_arity() {
        let err = compile_err(".items | lenght");
        assert_eq!(err.undefined_function.as_deref(), Some("lenght/0"));
        assert_eq!(err.undefined_variable, None);
        assert_eq!(err.message, "undefined function `lenght/0`");
        assert_eq!(err.offset, 9);

        let err = compile_err("foo(1; 2)");
        assert_eq!(err.undefined_function.as_deref(), Some("foo/2"));
    }

    #[test]
    fn non_deterministic_and_process_functions_are_left_out() {
        for (src, function) in [
            ("now", "now/0"),
            ("env", "env/0"),
            ("0 | localtime", "localtime/0"),
            (r#"0 | strflocaltime("%Y")"#, "strflocaltime/1"),
            ("halt", "halt/0"),
            ("halt_error", "halt_error/0"),
            ("halt_error(1)", "halt_error/1"),
            ("input", "input/0"),
            ("inputs", "inputs/0"),
        ] {
            let err = compile_err(src);
            assert_eq!(err.undefined_function.as_deref(), Some(function), "{src}");
        }
    }

    #[test]
    fn modules_cannot_be_loaded() {
        for src in [
            r#"include "x"; 1"#,
            r#"import "x" as $d; $d"#,
            r#"import "x" as x; 1"#,
        ] {
            let err = compile_err(src);
            assert!(
                err.message.contains("cannot be included or imported"),
                "{src}: {err}"
            );
        }
    }

    #[test]
    fn deep_nesting_is_rejected_before_parsing() {
        for (src, at) in [
            ("(".repeat(10_000), 64),
            ("[".repeat(10_000), 64),
            ("{a:".repeat(10_000), 64 * 3),
            (format!("{}1{}", "(".repeat(10_000), ")".repeat(10_000)), 64),
            ("[{(".repeat(10_000), 64),
        ] {
            let err = compile_err(&src);
            assert_eq!(
                err.message,
                "expression is nested too deeply (more than 64 levels)"
            );
            assert_eq!(err.offset, at);
        }
        // other nesting hits the same or the syntax tree limit
        for src in [
            "\"\\(".repeat(10_000),
            "if . then ".repeat(5_000),
            "if (".repeat(10_000),
        ] {
            let err = compile_err(&src);
            assert!(
                err.message.contains("nested too deeply") || err.message.contains("too complex"),
                "{}",
                err.message
            );
        }
        // 64 levels are fine
        let src = format!("{}1{}", "(".repeat(64), ")".repeat(64));
        assert_eq!(eval(&src, Value::Null), json!(1));
        // brackets inside strings and comments do not count
        let src = format!(
            "\"{}\" # {}\n| length",
            "(".repeat(10_000),
            "[".repeat(10_000)
        );
        assert_eq!(eval(&src, Value::Null), json!(10_000));
    }

    #[test]
    fn long_chains_are_rejected_before_parsing() {
        for src in [
            format!("1{}", " + 1".repeat(10_000)),
            format!(".{}", " | .".repeat(10_000)),
            format!("[1{}]", ", 1".repeat(10_000)),
            format!("{}1", "- ".repeat(10_000)),
            format!("{}1", "try ".repeat(10_000)),
            format!(".a{}", ".a".repeat(10_000)),
            format!(".{}", "[0]".repeat(10_000)),
            format!("{{a0: 1{}}}", ", a: 1".repeat(5_000)),
            format!("\"{}\"", "\\(1)".repeat(5_000)),
            format!("{}.", "map(".repeat(40) + &")".repeat(40)),
        ] {
            let err = compile_err(&src);
            assert!(err.message.contains("too complex"), "{}", err.message);
        }
        // a long but reasonable expression is fine
        let src = format!("1{}", " + 1".repeat(100));
        assert_eq!(eval(&src, Value::Null), json!(101));
        // objects with many entries are fine too
        let src = format!(
            "{{a0: 1{}}} | length",
            (1..50).map(|i| format!(", a{i}: .")).collect::<String>()
        );
        assert_eq!(eval(&src, Value::Null), json!(50));
    }

    #[test]
    fn overlong_source_is_rejected() {
        let src = format!(".a{}", " ".repeat(MAX_SOURCE_LEN));
        let err = compile_err(&src);
        assert!(err.message.contains("too long"), "{}", err.message);
        assert!(
            err.message.contains(&MAX_SOURCE_LEN.to_string()),
            "{}",
            err.message
        );
    }

    #[test]
    fn evaluates_basic_expressions() {
        assert_eq!(eval(".a + 1", json!({"a": 1})), json!(2));
        assert_eq!(
            eval("[.[] | select(. > 1)]", json!([0, 1, 2, 3])),
            json!([2, 3])
        );
        assert_eq!(
            eval("{name: .n}", json!({"n": "Ann", "x": 1})),
            json!({"name": "Ann"})
        );
        assert_eq!(eval(r#""\(.a)-x""#, json!({"a": 7})), json!("7-x"));
        assert_eq!(eval(r#""\(.a)-x""#, json!({"a": "s"})), json!("s-x"));
        assert_eq!(eval(".missing", json!({})), Value::Null);
        assert_eq!(eval("length", json!("héllo")), json!(5));
        assert_eq!(eval(r#"split(",")"#, json!("a,b")), json!(["a", "b"]));
        assert_eq!(eval(r#"test("^a.c$")"#, json!("abc")), json!(true));
        assert_eq!(eval("ascii_downcase", json!("ABC")), json!("abc"));
        assert_eq!(eval("tostring", json!([1])), json!("[1]"));
        assert_eq!(
            eval("to_entries", json!({"a": 1})),
            json!([{"key": "a", "value": 1}])
        );
        assert_eq!(eval("map(. * 2)", json!([1, 2])), json!([2, 4]));
        assert_eq!(
            eval(r#"tojson | fromjson"#, json!({"a": [1]})),
            json!({"a": [1]})
        );
        assert_eq!(eval("@base64", json!("a")), json!("YQ=="));
        assert_eq!(
            eval("0 | todate", Value::Null),
            json!("1970-01-01T00:00:00Z")
        );
    }

    #[test]
    fn object_key_order_is_kept() {
        let out = eval("{b: 1, a: 2} + .", json!({"c": 3}));
        let keys: Vec<_> = out
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        assert_eq!(keys, ["b", "a", "c"]);
    }

    #[test]
    fn variables_are_bound_in_order() {
        let vars = Vars {
            context: json!("context"),
            input: json!({"x": "input"}),
            output: json!("output"),
            secrets: json!("secrets"),
            authorization: json!("authorization"),
            task: json!("task"),
            workflow: json!("workflow"),
            runtime: json!("runtime"),
            locals: Vec::new(),
        };
        let expr = compile(
            "[$context, $input.x, $output, $secrets, $authorization, $task, $workflow, $runtime]",
        );
        assert_eq!(
            expr.eval(&Value::Null, &vars),
            Ok(json!([
                "context",
                "input",
                "output",
                "secrets",
                "authorization",
                "task",
                "workflow",
                "runtime"
            ]))
        );
        assert_eq!(
            compile("$input.x").eval(&Value::Null, &vars),
            Ok(json!("input"))
        );
        // variables inside interpolations count as mentioned
        assert_eq!(
            compile(r#""\($task)-\($runtime)""#).eval(&Value::Null, &vars),
            Ok(json!("task-runtime"))
        );
        // local bindings shadow the arguments
        assert_eq!(
            compile(". as $input | $input").eval(&json!(5), &vars),
            Ok(json!(5))
        );
        // unset arguments are null
        assert_eq!(
            compile("$secrets").eval(&Value::Null, &Vars::default()),
            Ok(Value::Null)
        );
    }

    #[test]
    fn scoped_variables_come_from_locals() {
        let scope = vec!["$item".to_owned(), "$index".to_owned(), "$error".to_owned()];
        let expr = match Expr::compile_with("[$item, $index]", &scope) {
            Ok(expr) => expr,
            Err(e) => panic!("{e:?}"),
        };
        let vars = Vars {
            locals: vec![
                ("$item".to_owned(), json!("old")),
                ("$index".to_owned(), json!(3)),
                ("$item".to_owned(), json!("new")),
            ],
            ..Vars::default()
        };
        // later entries shadow earlier ones
        assert_eq!(expr.eval(&Value::Null, &vars), Ok(json!(["new", 3])));
        // a declared local without a value is null
        assert_eq!(
            expr.eval(&Value::Null, &Vars::default()),
            Ok(json!([null, null]))
        );
        // locals not in scope are undefined
        let err = Expr::compile_with("$item", &[]).unwrap_err();
        assert_eq!(err.undefined_variable.as_deref(), Some("$item"));
        let err = Expr::compile_with("$itme", &scope).unwrap_err();
        assert_eq!(err.undefined_variable.as_deref(), Some("$itme"));
        // names of the standard variables and duplicates are ignored
        let scope = vec!["$input".to_owned(), "$x".to_owned(), "$x".to_owned()];
        let vars = Vars {
            input: json!(1),
            locals: vec![("$x".to_owned(), json!(2)), ("$input".to_owned(), json!(9))],
            ..Vars::default()
        };
        let expr = Expr::compile_with("$input + $x", &scope);
        assert_eq!(expr.map(|e| e.eval(&Value::Null, &vars)), Ok(Ok(json!(3))));
    }

    #[test]
    fn mentions_sees_variables_outside_strings_and_comments() {
        let expr = compile(r#"$input.a + "\($task.b)" + "$context" # $secrets"#);
        assert!(expr.mentions("$input"));
        assert!(expr.mentions("$task"));
        assert!(!expr.mentions("$context"));
        assert!(!expr.mentions("$secrets"));
        assert!(!expr.mentions("$inp"));
        assert!(compile("{$runtime}").mentions("$runtime"));
    }

    #[test]
    fn unmentioned_variables_are_not_converted() {
        let vars = Vars {
            secrets: nested_arrays(MAX_VALUE_DEPTH + 10),
            ..Vars::default()
        };
        assert_eq!(compile(". + 1").eval(&json!(1), &vars), Ok(json!(2)));
        let err = compile("$secrets").eval(&Value::Null, &vars).unwrap_err();
        assert!(err.message.starts_with("$secrets: "), "{}", err.message);
    }

    #[test]
    fn numbers_round_trip() {
        for value in [
            json!(0),
            json!(-1),
            json!(i64::MAX),
            json!(i64::MIN),
            json!(u64::MAX),
            json!(1.5),
            json!(1.0),
            json!(-0.25),
            json!(1e300),
        ] {
            let out = eval(".", value.clone());
            assert_eq!(out, value);
            assert_eq!(out.is_i64(), value.is_i64(), "{value}");
            assert_eq!(out.is_u64(), value.is_u64(), "{value}");
            assert_eq!(out.is_f64(), value.is_f64(), "{value}");
        }
        assert_eq!(
            eval(". + 1", json!(i64::MAX)),
            json!(9_223_372_036_854_775_808_u64)
        );
        assert_eq!(eval("1.5", Value::Null), json!(1.5));
        assert_eq!(eval(". * 2", json!(21)), json!(42));
        assert!(eval(". * 2", json!(21)).is_i64());
        assert_eq!(eval(". / 2", json!(3)), json!(1.5));
        // jq prints NaN as null and infinities as the largest floats
        assert_eq!(eval("nan", Value::Null), Value::Null);
        assert_eq!(eval("infinite", Value::Null), json!(f64::MAX));
        assert_eq!(eval("-infinite", Value::Null), json!(-f64::MAX));
    }

    #[test]
    fn runtime_error_is_readable() {
        let err = eval_err(r#".a + "x""#, json!({"a": 1}));
        assert_eq!(err.message, r#"cannot calculate 1 + "x""#);
        assert_eq!(eval_err(r#"error("boom")"#, Value::Null).message, "boom");
        assert_eq!(eval_err("error({a: 1})", Value::Null).message, r#"{"a":1}"#);
        assert_eq!(
            eval_err(".a", json!(1)).message,
            r#"cannot index 1 with "a""#
        );
    }

    #[test]
    fn long_error_messages_are_cut() {
        let err = eval_err(r#"error("x" * 5000)"#, Value::Null);
        assert_eq!(err.message.chars().count(), MAX_MESSAGE_LEN + 1);
        assert!(err.message.ends_with('…'));
        let err = eval_err("fromjson", json!(format!("[{}", "1,".repeat(1000))));
        assert!(err.message.len() < 200, "{}", err.message);
    }

    #[test]
    fn panics_in_jaq_become_errors() {
        // jaq's string repetition overflows the capacity of a `Vec` and panics
        let err = eval_err(r#""abc" * 4611686018427387904"#, Value::Null);
        assert!(err.message.starts_with("internal error"), "{}", err.message);
    }

    #[test]
    fn empty_output_is_null() {
        assert_eq!(eval("empty", json!(1)), Value::Null);
        assert_eq!(eval(".[] | select(. > 5)", json!([1, 2])), Value::Null);
    }

    #[test]
    fn eval_all_returns_every_output() {
        let expr = compile(".[]");
        assert_eq!(
            expr.eval_all(&json!([1, "a", null]), &Vars::default()),
            Ok(vec![json!(1), json!("a"), Value::Null])
        );
        assert_eq!(expr.eval_all(&json!([]), &Vars::default()), Ok(vec![]));
        assert_eq!(expr.eval(&json!([1, 2]), &Vars::default()), Ok(json!(1)));
        let err = compile(r#"1, error("late")"#).eval_all(&Value::Null, &Vars::default());
        assert_eq!(err.map_err(|e| e.message), Err("late".to_owned()));
        // `eval` stops after the first output
        assert_eq!(
            compile(r#"1, error("late")"#).eval(&Value::Null, &Vars::default()),
            Ok(json!(1))
        );
    }

    #[test]
    fn value_depth_is_limited() {
        assert_eq!(eval("length", nested_arrays(MAX_VALUE_DEPTH)), json!(1));
        let err = eval_err("length", nested_arrays(MAX_VALUE_DEPTH + 1));
        assert!(err.message.starts_with("input: "), "{}", err.message);

        let deep_text = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let err = eval_err("fromjson", json!(deep_text));
        assert!(err.message.contains("nested deeper"), "{}", err.message);
        assert_eq!(eval("fromjson", json!("[[1]]")), json!([[1]]));
        assert!(
            eval_err("fromjson", json!("{"))
                .message
                .starts_with("cannot parse")
        );

        let err = eval_err("reduce range(200) as $i (0; [.])", Value::Null);
        assert!(err.message.starts_with("result: "), "{}", err.message);
    }

    #[test]
    fn strip_expression_cases() {
        assert_eq!(strip_expression("${ .a }"), Some(".a"));
        assert_eq!(strip_expression("${.a}"), Some(".a"));
        assert_eq!(strip_expression("  ${ .a } "), Some(".a"));
        assert_eq!(strip_expression("${ {a: 1} }"), Some("{a: 1}"));
        assert_eq!(strip_expression("${}"), Some(""));
        assert_eq!(strip_expression("a ${ .b }"), None);
        assert_eq!(strip_expression("${ .b } c"), None);
        assert_eq!(strip_expression("${"), None);
        assert_eq!(strip_expression("$"), None);
        assert_eq!(strip_expression(".a"), None);
        assert_eq!(strip_expression(""), None);
    }

    #[test]
    fn expr_is_cheap_shared_and_compared_by_source() {
        fn assert_send_sync<T: Send + Sync + Clone>() {}
        assert_send_sync::<Expr>();
        assert_send_sync::<CompileError>();
        assert_send_sync::<EvalError>();

        let a = compile(".a + 1");
        let b = a.clone();
        assert_eq!(a, b);
        assert_eq!(a, compile(".a + 1"));
        assert_ne!(a, compile(".a+1"));
        assert_eq!(format!("{a:?}"), r#"Expr(".a + 1")"#);

        let handle = std::thread::spawn(move || b.eval(&json!({"a": 1}), &Vars::default()));
        assert_eq!(handle.join().ok(), Some(Ok(json!(2))));
    }

    #[test]
    fn errors_display_their_message() {
        let err = compile_err("lenght");
        assert_eq!(err.to_string(), "undefined function `lenght/0`");
        let err = eval_err(r#"error("boom")"#, Value::Null);
        assert_eq!(err.to_string(), "boom");
    }
}
