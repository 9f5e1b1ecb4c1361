//! Runtime expressions: compiling jq source text with jaq and evaluating it against JSON values.
//!
//! Every runtime expression of a flow (DSL 1.0.3 "runtime expressions") goes through this module.
//! An [`Expr`] is compiled once and evaluated many times; compiling declares the
//! [`VARIABLES`] as global variables, so a misspelt `$contxt` is a compile error.
//!
//! Limits and determinism:
//! * Sources longer than [`MAX_SOURCE_LEN`] bytes or nested deeper than [`MAX_NESTING`]
//!   levels are rejected before jaq sees them, because jaq's parser and compiler recurse.
//! * Values passed in or returned may be nested at most [`MAX_VALUE_DEPTH`] levels deep;
//!   `fromjson` enforces the same limit on the text it parses.
//! * The non-deterministic or process-affecting filters of jaq's standard library are left
//!   out: `now`, `env`, `localtime`, `strflocaltime`, `halt`, `halt_error` (and jaq has no
//!   `input`, `inputs` or `$ENV` in this setup). Using them is an "undefined function" error.
//! * Evaluation time and memory are not bounded: an expression such as `repeat(.)` in
//!   [`Expr::eval_all`], or a recursive `def` that never ends, runs until it exhausts memory or
//!   the stack. Flow authors are trusted not to write those.

use std::fmt;
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
    /// Which of [`VARIABLES`] the source mentions; the others are passed as null.
    uses: [bool; VARIABLES.len()],
    /// Scoped variables declared after [`VARIABLES`] (`$item`, `$error`, …), in declaration order.
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
    /// Scoped variables by name with `$` (`$item`, `$index`, `$error`); later entries shadow earlier ones.
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
    /// What went wrong, in plain words, e.g. `cannot calculate 1 + "x"`.
    pub message: String,
}

impl EvalError {
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
    pub fn compile_with(src: &str, locals: &[String]) -> Result<Expr, CompileError> {
        let uses = check_source(src)?;
        let mut declared: Vec<String> = Vec::with_capacity(locals.len());
        for local in locals {
            // Only variables the source mentions are bound; shadowed duplicates collapse.
            if src.contains(local.as_str())
                && !declared.contains(local)
                && !VARIABLES.contains(&local.as_str())
            {
                declared.push(local.clone());
            }
        }
        let filter = compile_filter(src, &declared)?;
        Ok(Expr {
            inner: Arc::new(Compiled {
                source: src.to_owned(),
                filter,
                uses,
                locals: declared,
            }),
        })
    }

    /// Whether the source mentions `name` (a variable with `$`); cheap, for skipping work.
    pub fn mentions(&self, name: &str) -> bool {
        self.inner.source.contains(name)
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
            let value = vars
                .locals
                .iter()
                .rev()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v);
            values.push(match value {
                Some(v) => json_to_val(v, 0).map_err(|e| EvalError::new(format!("{name}: {e}")))?,
                None => Val::Null,
            });
        }
        let input = json_to_val(input, 0).map_err(|e| EvalError::new(format!("input: {e}")))?;
        let ctx = Ctx::<Data>::new(&compiled.filter.lut, jaq_core::Vars::new(values));
        consume(compiled.filter.id.run((ctx, input)))
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

/// Lexes, parses and compiles `src`, turning jaq's errors into a [`CompileError`].
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
    load::import(&modules, |import| {
        Err(format!("cannot import `{}`", import.path))
    })
    .map_err(|errs| load_error(src, errs))?;
    Compiler::default()
        .with_funs(natives())
        .with_global_vars(
            VARIABLES
                .iter()
                .copied()
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
                        snippet(rest)
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
        lex::Expect::Token => {
            CompileError::new(at, format!("unexpected token `{}`", snippet(rest)))
        }
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
    let line = s.trim_start().lines().next().unwrap_or_default();
    match line.char_indices().nth(24) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line.to_owned(),
    }
}

/// Checks the size and nesting limits before jaq sees `src`, and finds out which of
/// [`VARIABLES`] it mentions.
///
/// The scan follows jq's lexical structure just enough: it skips comments and the text of
/// string literals but enters their `\( ... )` interpolations. Besides the nesting of
/// brackets (and `if ... end`), it estimates from above how deep the syntax tree will be:
/// every operator, separator (`,` `;`), keyword, path step and interpolation adds a level
/// (jaq builds chains of them), only the branches of an `if` do not add up. Unbalanced input
/// is left for jaq to report.
fn check_source(src: &str) -> Result<[bool; VARIABLES.len()], CompileError> {
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
    while let Some(&c) = bytes.get(i) {
        if scan.in_string() {
            match c {
                b'"' => {
                    scan.close_one()?;
                    i += 1;
                }
                b'\\' if bytes.get(i + 1) == Some(&b'(') => {
                    // each interpolation adds a level: the parts are concatenated in a chain
                    scan.op(i)?;
                    scan.open(Open::Group(b')'), i)?;
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
                // `[` also indexes: a path step
                scan.op(i)?;
                scan.open(Open::Group(b']'), i)?;
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
    uses: [bool; VARIABLES.len()],
}

impl Scan {
    fn new() -> Self {
        Self {
            frames: vec![Frame::new(Open::Top, 0)],
            nesting: 0,
            uses: [false; VARIABLES.len()],
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

    /// Counts an operator, keyword or path step at `at`.
    fn op(&mut self, at: usize) -> Result<(), CompileError> {
        if let Some(frame) = self.top() {
            frame.ops += 1;
        }
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
        if let Some(k) = VARIABLES.iter().position(|v| *v == name) {
            self.uses[k] = true;
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
    fn finish(mut self) -> Result<[bool; VARIABLES.len()], CompileError> {
        while self.close_one()?.is_some() {}
        let depth = self.frames.first().map_or(0, Frame::depth);
        if depth > MAX_TREE_DEPTH {
            return Err(too_complex(0));
        }
        Ok(self.uses)
    }
}

fn too_complex(at: usize) -> CompileError {
    CompileError::new(
        at,
        format!(
            "expression is too complex (its syntax tree would be more than {MAX_TREE_DEPTH} \
             levels deep); split it up"
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

/// The message of a jq runtime error. A string error value is shown as its text.
fn exn_message(exn: Exn<'_, Val>) -> String {
    match exn.get_err() {
        Ok(err) => match err.into_val() {
            Val::TStr(b) | Val::BStr(b) => bytes_to_string(&b),
            other => other.to_string(),
        },
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
    let values = jaq_json::bytes_valrs(text, move |text| {
        Box::new(jaq_json::read::parse_many(text).map(move |r| {
            r.map_err(|e| jaq_json::Error::str(format!("cannot parse {input} as JSON: {e}")))
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
    use super::*;

    use serde_json::json;

    fn eval(src: &str, input: Value) -> Result<Value, EvalError> {
        Expr::compile(src)
            .expect("compiles")
            .eval(&input, &Vars::default())
    }

    #[test]
    fn smoke() {
        assert_eq!(eval(".a + 1", json!({"a": 1})).unwrap(), json!(2));
    }
}
