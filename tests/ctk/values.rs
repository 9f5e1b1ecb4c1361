//! Values in steps: YAML doc strings, `a.b.0` property paths, quoted path lists, and the
//! "expected fields are present and equal" comparison used for errors.

use std::time::Duration;

use cucumber::gherkin::Step;
use serde_json::Value;

/// The step's doc string as JSON.
pub fn doc_yaml(step: &Step) -> Value {
    yaml(&doc_text(step))
}

/// The step's doc string as text. The gherkin crate keeps a `"""yaml` content type as the first
/// line and the indentation of the feature file; both are removed here.
pub fn doc_text(step: &Step) -> String {
    let raw = step
        .docstring()
        .unwrap_or_else(|| panic!("the step `{}` needs a doc string", step.value));
    let mut lines: Vec<&str> = raw.lines().collect();
    if lines
        .first()
        .is_some_and(|l| matches!(l.trim(), "yaml" | "json" | "yml"))
    {
        lines.remove(0);
    }
    let indent = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    lines
        .iter()
        .map(|l| l.get(indent..).unwrap_or("").trim_end())
        .collect::<Vec<_>>()
        .join("\n")
}

/// YAML text as JSON.
pub fn yaml(text: &str) -> Value {
    match shopflow_dsl::yaml::load_str(text) {
        Ok(node) => node.to_json(),
        Err(d) => panic!("not YAML: {d:?}\n---\n{text}"),
    }
}

/// The value at a dotted path (`content.id`, `items.0.name`); segments that are numbers index
/// lists.
pub fn at_path<'v>(value: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.').try_fold(value, |v, segment| match v {
        Value::Object(map) => map.get(segment),
        Value::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => None,
    })
}

/// The single-quoted items of `'a', 'b.c', 'd'`.
pub fn quoted_list(text: &str) -> Vec<String> {
    let parts: Vec<&str> = text.split('\'').collect();
    let items: Vec<String> = parts
        .iter()
        .skip(1)
        .step_by(2)
        .map(|s| (*s).to_owned())
        .collect();
    assert!(
        !items.is_empty(),
        "expected a list of single-quoted property paths, got `{text}`"
    );
    items
}

/// Whether every field `expected` names is in `actual` with the same value (recursively for
/// objects; lists and scalars must be equal).
pub fn contains(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::Object(a), Value::Object(e)) => e
            .iter()
            .all(|(k, ev)| a.get(k).is_some_and(|av| contains(av, ev))),
        (Value::Number(a), Value::Number(e)) => a.as_f64() == e.as_f64(),
        _ => actual == expected,
    }
}

/// Whether two values are equal, numbers compared by value (`1` equals `1.0`).
pub fn equal(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::Object(a), Value::Object(e)) => {
            a.len() == e.len()
                && e.iter()
                    .all(|(k, ev)| a.get(k).is_some_and(|av| equal(av, ev)))
        }
        (Value::Array(a), Value::Array(e)) => {
            a.len() == e.len() && a.iter().zip(e).all(|(av, ev)| equal(av, ev))
        }
        (Value::Number(a), Value::Number(e)) => a.as_f64() == e.as_f64(),
        _ => actual == expected,
    }
}

/// An ISO 8601 duration from a step (`PT1H`).
pub fn duration(text: &str) -> Duration {
    shopflow_dsl::parse_iso8601(text)
        .unwrap_or_else(|e| panic!("`{text}` is not an ISO 8601 duration: {e}"))
}

/// JSON as indented text, for failure messages.
pub fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}
