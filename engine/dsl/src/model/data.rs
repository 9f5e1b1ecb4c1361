//! Data flow pieces: runtime expressions, value templates, input/output/export and schemas.

use std::sync::Arc;

use crate::diagnostic::Pos;
use crate::expr::Expr;

/// A compiled runtime expression and where it was written.
#[derive(Debug, Clone)]
pub struct Expression {
    /// The compiled jq filter.
    pub expr: Expr,
    /// Where it is in the file.
    pub pos: Pos,
}

/// A JSON value whose strings may be runtime expressions, compiled once.
#[derive(Debug, Clone)]
pub enum Template {
    /// A value with no expression in it.
    Literal(serde_json::Value),
    /// A runtime expression; its result is the value.
    Expr(Expression),
    /// An object with at least one expression inside, keys in source order.
    Object(Vec<(String, Template)>),
    /// A list with at least one expression inside.
    Array(Vec<Template>),
}

impl Template {
    /// Whether the template needs no evaluation.
    pub fn is_literal(&self) -> bool {
        matches!(self, Template::Literal(_))
    }

    /// Calls `f` on every expression inside, depth first.
    pub fn for_each_expr<'a>(&'a self, f: &mut impl FnMut(&'a Expression)) {
        match self {
            Template::Literal(_) => {}
            Template::Expr(e) => f(e),
            Template::Object(fields) => fields.iter().for_each(|(_, t)| t.for_each_expr(f)),
            Template::Array(items) => items.iter().for_each(|t| t.for_each_expr(f)),
        }
    }
}

/// A JSON Schema, checked to be valid when loaded.
#[derive(Clone)]
pub struct Schema {
    /// The schema document.
    pub document: serde_json::Value,
    /// The compiled validator.
    pub validator: Arc<jsonschema::Validator>,
}

impl std::fmt::Debug for Schema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Schema")
            .field("document", &self.document)
            .finish()
    }
}

/// `input`: validate then transform what a workflow or task receives.
#[derive(Debug, Clone, Default)]
pub struct Input {
    /// Schema of the raw input.
    pub schema: Option<Schema>,
    /// Transformation (`from`).
    pub from: Option<Template>,
}

/// `output`: transform then validate what a workflow or task produces.
#[derive(Debug, Clone, Default)]
pub struct Output {
    /// Transformation (`as`).
    pub as_: Option<Template>,
    /// Schema of the transformed output.
    pub schema: Option<Schema>,
}

/// `export`: what a task writes into `$context`.
#[derive(Debug, Clone, Default)]
pub struct Export {
    /// Transformation (`as`); its result replaces the context.
    pub as_: Option<Template>,
    /// Schema of the new context.
    pub schema: Option<Schema>,
}
