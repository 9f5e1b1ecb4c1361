//! What a flow touches, gathered from all its tasks: functions called, events awaited and
//! emitted, timers, and subflows run.

use std::fmt::Write as _;

use crate::model::{Call, NamedTask, TaskKind, TaskList, Workflow};
use crate::render::calls;
use crate::render::events;
use crate::render::medium::Medium;
use crate::render::policies;

const P: Medium = Medium::Prose;

/// Writes the summary sections.
pub(crate) fn write(wf: &Workflow, out: &mut String) {
    let mut inv = Inventory::default();
    let mut awaited = Vec::new();
    if let Some(on) = wf.schedule.as_ref().and_then(|s| s.on.as_ref()) {
        awaited.extend(
            events::filters(on)
                .into_iter()
                .map(|f| format!("{} (starts the flow)", events::filter(f, P))),
        );
    }
    if let Some(t) = &wf.timeout {
        inv.timers.push(format!(
            "the whole flow times out after {}",
            policies::timeout(t, wf, P)
        ));
    }
    inv.visit(wf, &wf.tasks);
    awaited.extend(inv.awaited.lines());
    section(out, "Functions called", &inv.functions.lines());
    section(out, "Events awaited", &awaited);
    section(out, "Events emitted", &inv.emitted.lines());
    section(out, "Timers", &inv.timers);
    section(out, "Subflows run", &inv.subflows.lines());
}

fn section(out: &mut String, title: &str, lines: &[String]) {
    if lines.is_empty() {
        let _ = writeln!(out, "{title}: none");
        return;
    }
    let _ = writeln!(out, "{title}:");
    for l in lines {
        let _ = writeln!(out, "  - {l}");
    }
}

/// Things listed once each, with the tasks that use them, in order of first use.
#[derive(Default)]
struct Uses(Vec<(String, Vec<String>)>);

impl Uses {
    fn add(&mut self, what: String, by: &str) {
        match self.0.iter_mut().find(|(w, _)| *w == what) {
            Some((_, users)) => users.push(by.to_owned()),
            None => self.0.push((what, vec![by.to_owned()])),
        }
    }

    fn lines(&self) -> Vec<String> {
        self.0
            .iter()
            .map(|(what, by)| format!("{what} (by {})", by.join(", ")))
            .collect()
    }
}

#[derive(Default)]
struct Inventory {
    functions: Uses,
    awaited: Uses,
    emitted: Uses,
    timers: Vec<String>,
    subflows: Uses,
}

impl Inventory {
    fn visit(&mut self, wf: &Workflow, tasks: &TaskList) {
        for t in tasks {
            self.task(wf, t);
        }
    }

    fn task(&mut self, wf: &Workflow, t: &NamedTask) {
        let name = t.name.as_str();
        if let Some(timeout) = &t.task.timeout {
            self.timers.push(format!(
                "{name} times out after {}",
                policies::timeout(timeout, wf, P)
            ));
        }
        match &t.task.kind {
            TaskKind::Call(Call::Function(f)) => {
                let what = match calls::defined_function(&f.name, wf, P) {
                    Some(def) => format!("{} (defined in this flow: {def})", f.name),
                    None => f.name.clone(),
                };
                self.functions.add(what, name);
            }
            TaskKind::Call(call) => self.functions.add(calls::target(call, P), name),
            TaskKind::Do(sub) => self.visit(wf, sub),
            TaskKind::Emit(e) => {
                let what = events::emitted_type(e, P)
                    .unwrap_or_else(|| "an event with no fixed type".to_owned());
                self.emitted.add(what, name);
            }
            TaskKind::For(f) => self.visit(wf, &f.tasks),
            TaskKind::Fork(f) => self.visit(wf, &f.branches),
            TaskKind::Listen(l) => {
                let filters = events::filters(&l.to);
                if filters.is_empty() {
                    self.awaited.add("any event".to_owned(), name);
                }
                for f in filters {
                    self.awaited.add(events::filter(f, P), name);
                }
                if let Some(each) = &l.foreach {
                    self.visit(wf, &each.tasks);
                }
            }
            TaskKind::Raise(_) | TaskKind::Set(_) | TaskKind::Switch(_) => {}
            TaskKind::RunWorkflow(r) => {
                let how = if r.await_ {
                    "waits for it"
                } else {
                    "does not wait"
                };
                self.subflows
                    .add(format!("{}, {how}", calls::subflow(r)), name);
            }
            TaskKind::Try(tr) => {
                if let Some(r) = &tr.catch.retry {
                    self.timers.push(format!(
                        "{name} retries {} (errors: {})",
                        policies::retry(r, wf, P),
                        policies::caught(&tr.catch, P)
                    ));
                }
                self.visit(wf, &tr.tasks);
                if let Some(handler) = &tr.catch.tasks {
                    self.visit(wf, handler);
                }
            }
            TaskKind::Wait(d) => self
                .timers
                .push(format!("{name} waits {}", policies::duration_value(d, P))),
        }
    }
}
