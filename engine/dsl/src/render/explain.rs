//! A flow in plain words for the people who run it: who it is, what starts it, what input it
//! needs, its steps in order, and what it touches (functions, events, timers, subflows).

mod steps;
mod summary;

use std::fmt::Write as _;

use crate::model::{Consumption, Schedule, Workflow};
use crate::render::duration::human;
use crate::render::events;
use crate::render::medium::Medium;

/// Describes `wf` in plain words, as several short sections.
pub fn explain(wf: &Workflow) -> String {
    let mut out = String::new();
    let doc = &wf.document;
    if let Some(title) = &doc.title {
        let _ = writeln!(out, "{title}");
    }
    let _ = writeln!(
        out,
        "Flow {}/{}, version {}",
        doc.namespace, doc.name, doc.version
    );
    if let Some(summary) = &doc.summary {
        let _ = writeln!(out, "{}", summary.trim_end());
    }
    out.push('\n');
    starts(wf.schedule.as_ref(), &mut out);
    input(wf, &mut out);
    out.push('\n');
    steps::write(wf, &mut out);
    out.push('\n');
    summary::write(wf, &mut out);
    out
}

/// What starts the flow.
fn starts(schedule: Option<&Schedule>, out: &mut String) {
    let Some(s) = schedule else {
        out.push_str("Starts: on request (REST/CLI).\n");
        return;
    };
    out.push_str("Starts:\n");
    if let Some(cron) = &s.cron {
        // croner describes a pattern as a sentence ("At 09:00, on Monday."); it reads here as a clause.
        match cron.parse::<croner::Cron>().map(|c| clause(&c.describe())) {
            Ok(when) if !when.is_empty() => {
                let _ = writeln!(out, "  - on the cron schedule `{cron}`: {when}");
            }
            _ => {
                let _ = writeln!(out, "  - on the cron schedule `{cron}`");
            }
        }
    }
    if let Some(every) = s.every {
        let _ = writeln!(out, "  - every {}", human(every));
    }
    if let Some(after) = s.after {
        let _ = writeln!(out, "  - {} after the previous run completes", human(after));
    }
    if let Some(on) = &s.on {
        let _ = writeln!(out, "  - when {}", arrival(on));
    }
}

/// A sentence as a clause: first letter lower-cased, final full stop dropped.
fn clause(sentence: &str) -> String {
    let trimmed = sentence.trim().trim_end_matches('.');
    let mut chars = trimmed.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `an event with type = x arrives`, `all of these events: … have arrived`.
pub(crate) fn arrival(c: &Consumption) -> String {
    let what = events::consumption(c, Medium::Prose);
    match c {
        Consumption::All(_) => format!("{what} have arrived"),
        Consumption::One(_) | Consumption::Any { .. } => format!("{what} arrives"),
    }
}

/// The input the flow needs: required fields of its schema, with their types when given.
fn input(wf: &Workflow, out: &mut String) {
    let Some(schema) = wf.input.as_ref().and_then(|i| i.schema.as_ref()) else {
        out.push_str("Input: not checked (no schema).\n");
        return;
    };
    let doc = &schema.document;
    let required: Vec<String> = doc
        .get("required")
        .and_then(serde_json::Value::as_array)
        .map(|names| {
            names
                .iter()
                .filter_map(serde_json::Value::as_str)
                .map(|name| {
                    match doc.pointer(&format!("/properties/{}/type", pointer_escape(name))) {
                        Some(serde_json::Value::String(ty)) => format!("{name} ({ty})"),
                        _ => name.to_owned(),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    if required.is_empty() {
        out.push_str("Input: checked against a schema; no field is required.\n");
    } else {
        let _ = writeln!(out, "Input: requires {}.", required.join(", "));
    }
}

/// Escapes a property name for a JSON pointer segment.
fn pointer_escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}
