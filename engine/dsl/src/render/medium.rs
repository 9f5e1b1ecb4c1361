//! Where rendered text goes (a diagram label or a sentence), and how expressions and values are
//! written there.

use crate::model::{Expression, Template};

/// Longest expression shown in a diagram label before it is cut with `…`.
const LABEL_CODE_CHARS: usize = 48;

/// Where a phrase will be shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Medium {
    /// A diagram label: expressions plain and shortened.
    Diagram,
    /// A sentence for people: expressions whole, in backticks.
    Prose,
}

impl Medium {
    /// An expression as this medium shows code.
    pub(crate) fn code(self, e: &Expression) -> String {
        self.code_text(e.expr.source())
    }

    /// Source text as this medium shows code.
    pub(crate) fn code_text(self, source: &str) -> String {
        let flat = source.split_whitespace().collect::<Vec<_>>().join(" ");
        match self {
            Medium::Diagram => shorten(&flat, LABEL_CODE_CHARS),
            Medium::Prose => format!("`{flat}`"),
        }
    }

    /// A value that may be an expression: strings as written, other JSON compact, expressions as code.
    pub(crate) fn value(self, t: &Template) -> String {
        match t {
            Template::Literal(serde_json::Value::String(s)) => s.clone(),
            Template::Literal(v) => v.to_string(),
            Template::Expr(e) => self.code(e),
            Template::Object(fields) => {
                let keys: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
                format!("{{{}}}", keys.join(", "))
            }
            Template::Array(items) => format!("[{} items]", items.len()),
        }
    }
}

/// Cuts `s` to at most `max` characters, ending with `…` when cut.
pub(crate) fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The field `key` of an object template, if the template is an object that has it.
pub(crate) fn field<'t>(t: &'t Template, key: &str) -> Option<FieldValue<'t>> {
    match t {
        Template::Literal(serde_json::Value::Object(map)) => map.get(key).map(FieldValue::Json),
        Template::Object(fields) => fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| FieldValue::Template(v)),
        _ => None,
    }
}

/// A field found by [`field`]: plain JSON inside a literal, or a template.
pub(crate) enum FieldValue<'t> {
    /// Part of a literal value.
    Json(&'t serde_json::Value),
    /// A template, possibly an expression.
    Template(&'t Template),
}

impl FieldValue<'_> {
    /// The field as `medium` shows values.
    pub(crate) fn show(&self, medium: Medium) -> String {
        match self {
            FieldValue::Json(serde_json::Value::String(s)) => s.clone(),
            FieldValue::Json(v) => v.to_string(),
            FieldValue::Template(t) => medium.value(t),
        }
    }
}

/// The top-level keys of an object template, in source order.
pub(crate) fn keys(t: &Template) -> Vec<String> {
    match t {
        Template::Literal(serde_json::Value::Object(map)) => map.keys().cloned().collect(),
        Template::Object(fields) => fields.iter().map(|(k, _)| k.clone()).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shorten_cuts_on_characters_not_bytes() {
        assert_eq!(shorten("abc", 3), "abc");
        assert_eq!(shorten("äöüäöü", 4), "äöü…");
    }

    #[test]
    fn literal_fields_and_keys_are_found() {
        let t = Template::Literal(serde_json::json!({"type": "com.x", "n": 1}));
        assert_eq!(
            field(&t, "type").map(|f| f.show(Medium::Prose)).as_deref(),
            Some("com.x")
        );
        assert_eq!(
            field(&t, "n").map(|f| f.show(Medium::Prose)).as_deref(),
            Some("1")
        );
        assert!(field(&t, "source").is_none());
        assert_eq!(keys(&t), ["type", "n"]);
    }
}
