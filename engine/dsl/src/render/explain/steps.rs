//! The numbered list of a flow's steps, nested lists indented under their task.

use std::fmt::Write as _;

use crate::model::{Call, FlowDirective, NamedTask, TaskKind, TaskList, Try, Workflow};
use crate::render::calls;
use crate::render::events;
use crate::render::medium::{Medium, keys};
use crate::render::policies;

const P: Medium = Medium::Prose;

/// Writes the `Steps:` section.
pub(crate) fn write(wf: &Workflow, out: &mut String) {
    out.push_str("Steps:\n");
    list(
        wf,
        &wf.tasks,
        &Place {
            prefix: "",
            depth: 0,
            first: 1,
            owner: None,
        },
        out,
    );
}

/// Where a list is written: its numbering, indentation, and the task that holds it.
struct Place<'a> {
    /// Number of the holding task (`1.2.`); empty at the top.
    prefix: &'a str,
    /// Nesting depth, for indentation.
    depth: usize,
    /// Number of the list's first step (`catch` steps continue after the `try` steps).
    first: usize,
    /// The task that holds the list; `None` for the flow's own `do`.
    owner: Option<&'a str>,
}

fn list(wf: &Workflow, tasks: &TaskList, place: &Place<'_>, out: &mut String) {
    let indent = "   ".repeat(place.depth);
    for (i, t) in tasks.iter().enumerate() {
        let number = format!("{}{}.", place.prefix, place.first + i);
        let mut line = format!("{indent}{number} {} — ", t.name);
        if let Some(cond) = &t.task.if_ {
            line.push_str(&format!("only if {}: ", P.code(cond)));
        }
        line.push_str(&does(wf, t, tasks, i, place.owner));
        if let Some(timeout) = &t.task.timeout {
            line.push_str(&format!(
                "; times out after {}",
                policies::timeout(timeout, wf, P)
            ));
        }
        // A switch says where each case goes; a raise never goes on.
        if let Some(then) = t
            .task
            .then
            .as_ref()
            .filter(|d| **d != FlowDirective::Continue)
            && !matches!(t.task.kind, TaskKind::Switch(_) | TaskKind::Raise(_))
        {
            line.push_str(&format!(
                "; then {}",
                directive(then, tasks, i, place.owner)
            ));
        }
        let _ = writeln!(out, "{line}");
        let inner = Place {
            prefix: &number,
            depth: place.depth + 1,
            first: 1,
            owner: Some(&t.name),
        };
        match &t.task.kind {
            TaskKind::Do(sub) => list(wf, sub, &inner, out),
            TaskKind::For(f) => list(wf, &f.tasks, &inner, out),
            TaskKind::Fork(f) => list(wf, &f.branches, &inner, out),
            TaskKind::Listen(l) => {
                if let Some(each) = &l.foreach {
                    list(wf, &each.tasks, &inner, out);
                }
            }
            TaskKind::Try(tr) => try_(wf, t, tr, &inner, out),
            _ => {}
        }
    }
}

/// The `try` steps, then what happens on an error, then the `catch` steps numbered on.
fn try_(wf: &Workflow, t: &NamedTask, tr: &Try, inner: &Place<'_>, out: &mut String) {
    list(wf, &tr.tasks, inner, out);
    let c = &tr.catch;
    let mut line = format!(
        "{}If an error occurs ({}): ",
        "   ".repeat(inner.depth),
        policies::caught(c, P)
    );
    let handled = match &c.tasks {
        Some(_) => "runs the steps below",
        None => "the error is set aside and the flow carries on after",
    };
    match &c.retry {
        Some(r) => {
            let then = if c.tasks.is_some() {
                handled.to_owned()
            } else {
                format!("{handled} {}", t.name)
            };
            line.push_str(&format!(
                "retries {}; if it still fails, {then}",
                policies::retry(r, wf, P)
            ));
        }
        None if c.tasks.is_some() => line.push_str(handled),
        None => line.push_str(&format!("{handled} {}", t.name)),
    }
    let _ = writeln!(out, "{line}");
    if let Some(handler) = &c.tasks {
        let place = Place {
            first: tr.tasks.len() + 1,
            ..*inner
        };
        list(wf, handler, &place, out);
    }
}

/// What one task does, in a phrase.
fn does(
    wf: &Workflow,
    t: &NamedTask,
    siblings: &TaskList,
    index: usize,
    owner: Option<&str>,
) -> String {
    match &t.task.kind {
        TaskKind::Call(Call::Function(f)) => match calls::defined_function(&f.name, wf, P) {
            Some(def) => format!("calls {} (defined in this flow: {def})", f.name),
            None => format!("calls {}", f.name),
        },
        TaskKind::Call(call) => format!("calls {}", calls::target(call, P)),
        TaskKind::Do(_) => "runs the steps below in order".to_owned(),
        TaskKind::Emit(e) => match events::emitted_type(e, P) {
            Some(ty) => format!("emits event {ty}"),
            None => "emits an event".to_owned(),
        },
        TaskKind::For(f) => {
            let mut s = format!("for each {} in {}", P.code_text(&f.each), P.code(&f.in_));
            if let Some(w) = &f.while_ {
                s.push_str(&format!(", while {}", P.code(w)));
            }
            s.push_str(", runs the steps below");
            s
        }
        TaskKind::Fork(f) if f.compete => {
            "runs the branches below at the same time; the first to finish wins and the others are cancelled".to_owned()
        }
        TaskKind::Fork(_) => "runs the branches below at the same time and waits for all of them".to_owned(),
        TaskKind::Listen(l) => {
            let mut s = format!("waits for {}", events::consumption(&l.to, P));
            if let Some(each) = &l.foreach {
                s.push_str(&format!(", and for each event (as {}) runs the steps below", P.code_text(&each.item)));
            }
            s
        }
        TaskKind::Raise(r) => format!("fails with error {}", policies::raised(&r.error, wf, P)),
        TaskKind::RunWorkflow(r) if r.await_ => {
            format!("runs subflow {}/{} version {} and waits for it", r.namespace, r.name, r.version)
        }
        TaskKind::RunWorkflow(r) => {
            format!("starts subflow {}/{} version {} without waiting for it", r.namespace, r.name, r.version)
        }
        TaskKind::Set(template) => match keys(template).as_slice() {
            [] => format!("sets the data to {}", P.value(template)),
            names => format!("sets {}", names.join(", ")),
        },
        TaskKind::Switch(cases) => {
            let mut choices: Vec<String> = cases
                .iter()
                .map(|c| {
                    let go = directive(&c.then, siblings, index, owner);
                    match &c.when {
                        Some(w) => format!("if {} → {go}", P.code(w)),
                        None => format!("otherwise → {go}"),
                    }
                })
                .collect();
            if cases.iter().all(|c| c.when.is_some()) {
                let then = t.task.then.clone().unwrap_or(FlowDirective::Continue);
                choices.push(format!("otherwise → {}", directive(&then, siblings, index, owner)));
            }
            format!("decides: {}", choices.join("; "))
        }
        TaskKind::Try(_) => "tries the steps below".to_owned(),
        TaskKind::Wait(d) => format!("waits {}", policies::duration_value(d, P)),
    }
}

/// Where a directive leads, from the task at `index` of `siblings`.
fn directive(d: &FlowDirective, siblings: &TaskList, index: usize, owner: Option<&str>) -> String {
    match (d, owner) {
        (FlowDirective::Continue, _) if index + 1 < siblings.len() => {
            "continues with the next step".to_owned()
        }
        (FlowDirective::Continue | FlowDirective::Exit, None) | (FlowDirective::End, _) => {
            "the flow ends".to_owned()
        }
        (FlowDirective::Continue | FlowDirective::Exit, Some(owner)) => format!("leaves {owner}"),
        (FlowDirective::Goto(name), _) => match siblings.iter().position(|t| &t.name == name) {
            Some(j) if j <= index => format!("goes back to {name}"),
            _ => format!("goes to {name}"),
        },
    }
}
