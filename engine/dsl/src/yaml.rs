//! YAML text → a tree of nodes that know their line and column, within hard size limits.
//!
//! shopflow reads YAML through `saphyr-parser`'s event stream (not a serde bridge) so that every
//! node keeps its position, all problems can be reported in one pass, and aliases, nesting and
//! size are bounded before anything is allocated for them.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

use crate::diagnostic::{Code, Diagnostic, Pos};

/// Largest file accepted, in bytes.
pub const MAX_FILE_BYTES: usize = 4 * 1024 * 1024;
/// Deepest nesting of sequences and mappings accepted.
pub const MAX_DEPTH: usize = 128;
/// Most nodes a document may expand to, aliases included.
pub const MAX_NODES: usize = 1_000_000;
/// Most nodes that aliases may add by expansion.
pub const MAX_ALIAS_NODES: usize = 100_000;

/// A YAML node with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Where the node starts.
    pub pos: Pos,
    /// The value.
    pub value: Value,
    /// For strings on one line: how many characters precede the content at `pos` (a quote).
    /// `None` for block scalars and other multi-line strings.
    pub content_offset: Option<u32>,
}

/// A mapping key with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    /// The key's text.
    pub name: String,
    /// Where the key starts.
    pub pos: Pos,
}

/// The value of a node, resolved with the YAML 1.2 core schema.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`, `~` or nothing.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer that fits in 64 bits.
    Int(i64),
    /// Any other number.
    Float(f64),
    /// A string.
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in source order, keys unique.
    Map(Vec<(Key, Node)>),
}

impl Node {
    /// What kind of value this is, in the words an error message uses.
    pub fn kind_name(&self) -> &'static str {
        match &self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) | Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The node as plain JSON (positions dropped).
    pub fn to_json(&self) -> serde_json::Value {
        match &self.value {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            Value::Str(s) => serde_json::Value::String(s.clone()),
            Value::Seq(items) => items.iter().map(Node::to_json).collect(),
            Value::Map(entries) => serde_json::Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.name.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }

    /// The node a JSON pointer (`/properties/a/type`) leads to.
    pub fn at_pointer(&self, pointer: &str) -> Option<&Node> {
        let mut node = self;
        for raw in pointer.split('/').skip(1) {
            let key = raw.replace("~1", "/").replace("~0", "~");
            node = match &node.value {
                Value::Map(entries) => &entries.iter().find(|(k, _)| k.name == key)?.1,
                Value::Seq(items) => items.get(key.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(node)
    }

    fn count(&self) -> usize {
        1 + match &self.value {
            Value::Seq(items) => items.iter().map(Node::count).sum(),
            Value::Map(entries) => entries.iter().map(|(_, v)| 1 + v.count()).sum(),
            _ => 0,
        }
    }
}

/// Loads one YAML document from raw bytes, checking encoding and limits first.
pub fn load_bytes(bytes: &[u8]) -> Result<Node, Diagnostic> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(Diagnostic::new(
            Code::FileTooLarge,
            Pos::new(1, 1),
            "",
            format!("the file is {} bytes; shopflow reads flow files up to {} bytes", bytes.len(), MAX_FILE_BYTES),
        )
        .with_help("split the flow into subflows called with `run.workflow`, or move data out of the definition"));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let good = &bytes[..e.valid_up_to()];
        let line = good.iter().filter(|b| **b == b'\n').count() + 1;
        let line_start = good.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        let col = String::from_utf8_lossy(&good[line_start..]).chars().count() + 1;
        Diagnostic::new(
            Code::NotUtf8,
            Pos::new(to_u32(line), to_u32(col)),
            "",
            format!(
                "byte 0x{:02X} at offset {} is not valid UTF-8",
                bytes[e.valid_up_to()],
                e.valid_up_to()
            ),
        )
        .with_help("save the file as UTF-8 (YAML files must be UTF-8 text)")
    })?;
    load_str(text)
}

/// Loads one YAML document from text.
pub fn load_str(text: &str) -> Result<Node, Diagnostic> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    while let Some(next) = parser.next_event() {
        let (event, span) = next.map_err(|e| {
            let m = e.marker();
            if e.info().contains("recursion limit") {
                return Diagnostic::new(
                    Code::TooDeep,
                    Pos::new(to_u32(m.line()), to_u32(m.col() + 1)),
                    "",
                    format!("the YAML nests deeper than {MAX_DEPTH} levels"),
                )
                .with_help(
                    "flatten the structure; deep task nesting is easier to read as subflows",
                );
            }
            if e.info().contains("unknown anchor") {
                return Diagnostic::new(
                    Code::UnknownAnchor,
                    Pos::new(to_u32(m.line()), to_u32(m.col() + 1)),
                    "",
                    "alias to an anchor that is not defined",
                )
                .with_help("define the anchor (`&name`) before the alias (`*name`) that uses it");
            }
            let help = if e.info().contains("tab") {
                "indent with spaces; YAML does not allow tabs for indentation"
            } else if e.info().contains("mapping values are not allowed") {
                "an unquoted value cannot contain `: ` (jq objects like `{ key: value }` do); \
                 wrap the whole value in single quotes: '${ … }'"
            } else {
                "check the indentation and quoting around this position"
            };
            Diagnostic::new(
                Code::YamlSyntax,
                Pos::new(to_u32(m.line()), to_u32(m.col() + 1)),
                "",
                format!("YAML syntax: {}", e.info()),
            )
            .with_help(help)
        })?;
        if builder.on_event(event, span)? {
            break;
        }
    }
    builder.finish()
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn pos_of(span: &Span) -> Pos {
    Pos::new(to_u32(span.start.line()), to_u32(span.start.col() + 1))
}

enum Frame {
    Seq {
        pos: Pos,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        pos: Pos,
        anchor: usize,
        entries: Vec<(Key, Node)>,
        key: Option<Key>,
    },
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    root: Option<Node>,
    documents: usize,
    nodes: usize,
    alias_nodes: usize,
}

impl Builder {
    /// Handles one event; returns true when the stream is over.
    fn on_event(&mut self, event: Event<'_>, span: Span) -> Result<bool, Diagnostic> {
        let pos = pos_of(&span);
        match event {
            Event::StreamEnd => return Ok(true),
            Event::DocumentStart(_) => {
                self.documents += 1;
                if self.documents > 1 {
                    return Err(Diagnostic::new(
                        Code::MultipleDocuments,
                        pos,
                        "",
                        "the file holds more than one YAML document",
                    )
                    .with_help("put each flow in a file of its own (remove the second `---`)"));
                }
            }
            Event::Nothing | Event::StreamStart | Event::DocumentEnd => {}
            Event::Alias(id) => {
                let Some(node) = self.anchors.get(&id) else {
                    return Err(Diagnostic::new(
                        Code::UnknownAnchor,
                        pos,
                        "",
                        "alias to an anchor that is not defined",
                    ));
                };
                let added = node.count();
                self.alias_nodes += added;
                if self.alias_nodes > MAX_ALIAS_NODES {
                    return Err(Diagnostic::new(
                        Code::AliasBomb,
                        pos,
                        "",
                        format!("aliases expand to more than {MAX_ALIAS_NODES} nodes"),
                    )
                    .with_help(
                        "write the repeated part once, or use a reusable definition under `use`",
                    ));
                }
                let mut node = node.clone();
                node.pos = pos;
                self.push(node, added)?;
            }
            Event::Scalar(text, style, anchor, tag) => {
                let single_line = span.start.line() == span.end.line();
                // Columns inside the string map to the file only when the content is written
                // verbatim: no escapes (`\"`, `''`) shifted it.
                let verbatim =
                    span.end.index().saturating_sub(span.start.index()) == text.chars().count() + 2;
                let content_offset = match style {
                    ScalarStyle::Plain if single_line => Some(0),
                    ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted
                        if single_line && verbatim =>
                    {
                        Some(1)
                    }
                    _ => None,
                };
                let force_str = tag.as_ref().is_some_and(|t| t.suffix == "str");
                let value = if style == ScalarStyle::Plain && !force_str {
                    resolve_plain(&text)
                } else {
                    Value::Str(text.into_owned())
                };
                let node = Node {
                    pos,
                    value,
                    content_offset,
                };
                if anchor > 0 {
                    self.anchors.insert(anchor, node.clone());
                }
                self.push(node, 1)?;
            }
            Event::SequenceStart(anchor, _) => self.open(Frame::Seq {
                pos,
                anchor,
                items: Vec::new(),
            })?,
            Event::MappingStart(anchor, _) => self.open(Frame::Map {
                pos,
                anchor,
                entries: Vec::new(),
                key: None,
            })?,
            Event::SequenceEnd | Event::MappingEnd => {
                let (node, anchor) = match self.stack.pop() {
                    Some(Frame::Seq { pos, anchor, items }) => (
                        Node {
                            pos,
                            value: Value::Seq(items),
                            content_offset: None,
                        },
                        anchor,
                    ),
                    Some(Frame::Map {
                        pos,
                        anchor,
                        entries,
                        ..
                    }) => (
                        Node {
                            pos,
                            value: Value::Map(entries),
                            content_offset: None,
                        },
                        anchor,
                    ),
                    None => return Ok(false),
                };
                if anchor > 0 {
                    self.anchors.insert(anchor, node.clone());
                }
                self.push(node, 0)?;
            }
        }
        Ok(false)
    }

    fn open(&mut self, frame: Frame) -> Result<(), Diagnostic> {
        if self.stack.len() >= MAX_DEPTH {
            let pos = match &frame {
                Frame::Seq { pos, .. } | Frame::Map { pos, .. } => *pos,
            };
            return Err(Diagnostic::new(
                Code::TooDeep,
                pos,
                "",
                format!("the YAML nests deeper than {MAX_DEPTH} levels"),
            )
            .with_help("flatten the structure; deep task nesting is easier to read as subflows"));
        }
        self.count_nodes(1, &frame)?;
        self.stack.push(frame);
        Ok(())
    }

    fn count_nodes(&mut self, added: usize, frame: &Frame) -> Result<(), Diagnostic> {
        self.nodes += added;
        if self.nodes > MAX_NODES {
            let pos = match frame {
                Frame::Seq { pos, .. } | Frame::Map { pos, .. } => *pos,
            };
            return Err(Diagnostic::new(
                Code::FileTooLarge,
                pos,
                "",
                format!("the document has more than {MAX_NODES} nodes"),
            )
            .with_help("split the flow into subflows called with `run.workflow`, or move data out of the definition"));
        }
        Ok(())
    }

    fn push(&mut self, node: Node, added: usize) -> Result<(), Diagnostic> {
        self.nodes += added;
        if self.nodes > MAX_NODES {
            return Err(Diagnostic::new(
                Code::FileTooLarge,
                node.pos,
                "",
                format!("the document has more than {MAX_NODES} nodes"),
            )
            .with_help("split the flow into subflows called with `run.workflow`, or move data out of the definition"));
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                None => {
                    let name = match &node.value {
                        Value::Str(s) => s.clone(),
                        Value::Null => "null".to_owned(),
                        Value::Bool(b) => b.to_string(),
                        Value::Int(i) => i.to_string(),
                        Value::Float(f) => f.to_string(),
                        Value::Seq(_) | Value::Map(_) => {
                            return Err(Diagnostic::new(
                                Code::BadKey,
                                node.pos,
                                "",
                                format!("a mapping key must be a string, not {}", node.kind_name()),
                            ));
                        }
                    };
                    if entries.iter().any(|(k, _)| k.name == name) {
                        return Err(Diagnostic::new(
                            Code::BadKey,
                            node.pos,
                            "",
                            format!("key `{name}` appears twice in the same mapping"),
                        )
                        .with_help("remove one of them; YAML keys must be unique"));
                    }
                    *key = Some(Key {
                        name,
                        pos: node.pos,
                    });
                }
                Some(k) => entries.push((k, node)),
            },
        }
        Ok(())
    }

    fn finish(self) -> Result<Node, Diagnostic> {
        match self.root {
            Some(Node { value: Value::Null, pos, .. }) => Err(Diagnostic::new(
                Code::EmptyFile,
                pos,
                "",
                "the document is null",
            )
            .with_help("a flow starts with `document:` (dsl, namespace, name, version) and `do:` (its tasks)")),
            None => Err(Diagnostic::new(
                Code::EmptyFile,
                Pos::new(1, 1),
                "",
                "the file holds no YAML document (it is empty or only comments)",
            )
            .with_help("a flow starts with `document:` (dsl, namespace, name, version) and `do:` (its tasks)")),
            Some(root) => Ok(root),
        }
    }
}

/// Resolves a plain scalar with the YAML 1.2 core schema.
fn resolve_plain(t: &str) -> Value {
    match t {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Value::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        _ => {}
    }
    if let Some(hex) = t.strip_prefix("0x")
        && let Ok(i) = i64::from_str_radix(hex, 16)
    {
        return Value::Int(i);
    }
    if let Some(oct) = t.strip_prefix("0o")
        && let Ok(i) = i64::from_str_radix(oct, 8)
    {
        return Value::Int(i);
    }
    let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
    if !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && let Ok(i) = t.parse::<i64>()
    {
        return Value::Int(i);
    }
    if is_core_float(digits)
        && let Ok(f) = t.parse::<f64>()
    {
        return Value::Float(f);
    }
    Value::Str(t.to_owned())
}

/// `(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?` (sign already stripped).
fn is_core_float(t: &str) -> bool {
    let (mantissa, exp) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], Some(&t[i + 1..])),
        None => (t, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => {
            (!int.is_empty() || !frac.is_empty())
                && int.bytes().all(|b| b.is_ascii_digit())
                && frac.bytes().all(|b| b.is_ascii_digit())
        }
        None => !mantissa.is_empty() && mantissa.bytes().all(|b| b.is_ascii_digit()),
    };
    let exp_ok = exp.is_none_or(|e| {
        let d = e.strip_prefix(['-', '+']).unwrap_or(e);
        !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit())
    });
    mantissa_ok && exp_ok && (mantissa.contains('.') || exp.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(s: &str) -> Node {
        load_str(s).expect("loads")
    }

    #[test]
    fn keeps_positions() {
        let n = load("a:\n  b: 'x'\n  c: [1, 2.5, true, ~]\n");
        let Value::Map(top) = &n.value else {
            panic!("map")
        };
        assert_eq!(top[0].0.pos, Pos::new(1, 1));
        let Value::Map(inner) = &top[0].1.value else {
            panic!("map")
        };
        assert_eq!(inner[0].1.pos, Pos::new(2, 6));
        assert_eq!(inner[0].1.content_offset, Some(1));
        assert_eq!(
            inner[1].1.to_json(),
            serde_json::json!([1, 2.5, true, null])
        );
    }

    #[test]
    fn core_schema() {
        assert_eq!(load("x").value, Value::Str("x".into()));
        assert_eq!(load("'1'").value, Value::Str("1".into()));
        assert_eq!(load("0x1F").value, Value::Int(31));
        assert_eq!(load("1e3").value, Value::Float(1000.0));
        assert_eq!(load("1.0.0").value, Value::Str("1.0.0".into()));
        assert_eq!(load("!!str 12").value, Value::Str("12".into()));
    }

    #[test]
    fn rejects_bad_input_cleanly() {
        assert_eq!(load_str("").unwrap_err().code, Code::EmptyFile);
        assert_eq!(
            load_str("# only a comment\n").unwrap_err().code,
            Code::EmptyFile
        );
        assert_eq!(load_bytes(b"a: \xff\n").unwrap_err().code, Code::NotUtf8);
        assert_eq!(load_str("a: [1,\n").unwrap_err().code, Code::YamlSyntax);
        assert_eq!(load_str("a: 1\na: 2\n").unwrap_err().code, Code::BadKey);
        assert_eq!(
            load_str("a: 1\n---\nb: 2\n").unwrap_err().code,
            Code::MultipleDocuments
        );
        let deep = "[".repeat(10_000);
        assert_eq!(load_str(&deep).unwrap_err().code, Code::TooDeep);
        let big = vec![b'#'; MAX_FILE_BYTES + 1];
        assert_eq!(load_bytes(&big).unwrap_err().code, Code::FileTooLarge);
    }

    #[test]
    fn stops_alias_bombs() {
        let mut doc = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let prev = i - 1;
            doc.push_str(&format!(
                "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
            ));
        }
        assert_eq!(load_str(&doc).unwrap_err().code, Code::AliasBomb);
        assert_eq!(
            load("a: &x 1\nb: *x\n").to_json(),
            serde_json::json!({"a": 1, "b": 1})
        );
    }
}
