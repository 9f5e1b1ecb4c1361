//! Phrases for events: what a filter matches, how a `listen` consumes, what an `emit` sends.

use crate::model::{Consumption, Correlation, Emit, EventFilter, FilterValue, Until};
use crate::render::medium::{Medium, field};

/// What one filter matches: `type=com.x, data: .n > 1` (diagram) or
/// ``type = com.x, data where `.n > 1` `` (prose), with its correlations.
pub(crate) fn filter(f: &EventFilter, medium: Medium) -> String {
    let mut parts: Vec<String> = f
        .with
        .iter()
        .map(|(attr, value)| match (value, medium) {
            (FilterValue::Value(v), Medium::Diagram) => format!("{attr}={}", json_text(v)),
            (FilterValue::Value(v), Medium::Prose) => format!("{attr} = {}", json_text(v)),
            (FilterValue::Expr(e), Medium::Diagram) => format!("{attr}: {}", medium.code(e)),
            (FilterValue::Expr(e), Medium::Prose) => format!("{attr} where {}", medium.code(e)),
        })
        .collect();
    parts.extend(
        f.correlate
            .iter()
            .map(|(key, c)| correlation(key, c, medium)),
    );
    if parts.is_empty() {
        return "any event".to_owned();
    }
    parts.join(", ")
}

/// One correlation: which value of the event must match what.
fn correlation(key: &str, c: &Correlation, medium: Medium) -> String {
    match (&c.expect, medium) {
        (Some(expect), Medium::Diagram) => {
            format!("{key}: {} = {}", medium.code(&c.from), medium.value(expect))
        }
        (None, Medium::Diagram) => format!("{key}: {}", medium.code(&c.from)),
        (Some(expect), Medium::Prose) => {
            format!(
                "correlated by {key} ({} must equal {})",
                medium.code(&c.from),
                medium.value(expect)
            )
        }
        (None, Medium::Prose) => {
            format!(
                "correlated by {key} ({} must equal the first value seen)",
                medium.code(&c.from)
            )
        }
    }
}

/// What a consumption waits for, in one line.
pub(crate) fn consumption(c: &Consumption, medium: Medium) -> String {
    match (c, medium) {
        (Consumption::One(f), Medium::Diagram) => filter(f, medium),
        (Consumption::One(f), Medium::Prose) => format!("an event with {}", filter(f, medium)),
        (Consumption::All(fs), Medium::Diagram) => format!("all of {}", list(fs, medium)),
        (Consumption::All(fs), Medium::Prose) => {
            format!("all of these events: {}", list(fs, medium))
        }
        (Consumption::Any { filters, until }, _) => {
            let what = match (filters.as_slice(), medium) {
                ([], _) => "any event".to_owned(),
                ([only], Medium::Diagram) => filter(only, medium),
                ([only], Medium::Prose) => format!("an event with {}", filter(only, medium)),
                (fs, Medium::Diagram) => format!("any of {}", list(fs, medium)),
                (fs, Medium::Prose) => format!("any of these events: {}", list(fs, medium)),
            };
            match until.as_deref() {
                None => what,
                Some(u) => format!("{what}, until {}", until_text(u, medium)),
            }
        }
    }
}

/// When a `listen … any` stops.
fn until_text(u: &Until, medium: Medium) -> String {
    match (u, medium) {
        (Until::Expr(e), _) => medium.code(e),
        (Until::Events(c), Medium::Diagram) => consumption(c, medium),
        (Until::Events(c), Medium::Prose) => format!("{} arrives", consumption(c, medium)),
    }
}

/// Several filters: `(1) …; (2) …`.
fn list(filters: &[EventFilter], medium: Medium) -> String {
    let items: Vec<String> = filters
        .iter()
        .enumerate()
        .map(|(i, f)| format!("({}) {}", i + 1, filter(f, medium)))
        .collect();
    items.join("; ")
}

/// Every filter of a consumption, nested `until` events included, in order.
pub(crate) fn filters(c: &Consumption) -> Vec<&EventFilter> {
    match c {
        Consumption::One(f) => vec![f],
        Consumption::All(fs) => fs.iter().collect(),
        Consumption::Any {
            filters: own,
            until,
        } => {
            let mut out: Vec<&EventFilter> = own.iter().collect();
            if let Some(Until::Events(inner)) = until.as_deref() {
                out.extend(filters(inner));
            }
            out
        }
    }
}

/// The `type` an `emit` sends, when it is written in the flow.
pub(crate) fn emitted_type(e: &Emit, medium: Medium) -> Option<String> {
    field(&e.event, "type").map(|f| f.show(medium))
}

/// A JSON value as text: strings bare, anything else compact JSON.
fn json_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
