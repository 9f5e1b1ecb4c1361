//! What each box of a diagram says and which shape it has, by task kind.

use crate::model::{Call, Catch, Consumption, NamedTask, TaskKind, Until, Workflow};
use crate::render::calls;
use crate::render::duration::iso8601;
use crate::render::events;
use crate::render::graph::chart::{Node, Shape};
use crate::render::medium::{Medium, keys, shorten};
use crate::render::policies;

/// Longest list of `set` keys shown in a box before it is cut.
const SET_KEYS_CHARS: usize = 40;

/// The box of a task drawn as one node: its name, then what it does.
pub(crate) fn node(t: &NamedTask, id: &str, wf: &Workflow) -> Node {
    let d = Medium::Diagram;
    let (shape, mut does) = match &t.task.kind {
        TaskKind::Call(Call::Function(f)) => (Shape::Call, vec![format!("call {}", f.name)]),
        TaskKind::Call(call) => (Shape::Call, vec![calls::target(call, d)]),
        TaskKind::Emit(e) => (
            Shape::Emit,
            vec![
                events::emitted_type(e, d)
                    .map_or_else(|| "emit event".to_owned(), |ty| format!("emit {ty}")),
            ],
        ),
        TaskKind::Set(template) => {
            let what = match keys(template).as_slice() {
                [] => d.value(template),
                names => shorten(&names.join(", "), SET_KEYS_CHARS),
            };
            (Shape::Step, vec![format!("set {what}")])
        }
        TaskKind::Wait(duration) => (
            Shape::Waiting,
            vec![format!("⏳ wait {}", policies::duration_value(duration, d))],
        ),
        TaskKind::Listen(l) => (Shape::Waiting, listen(&l.to)),
        TaskKind::Raise(r) => (
            Shape::Raise,
            vec![format!("raise {}", policies::raised(&r.error, wf, d))],
        ),
        TaskKind::RunWorkflow(r) => {
            let wait = if r.await_ { "" } else { " (no wait)" };
            (
                Shape::Subflow,
                vec![format!("run {}{wait}", calls::subflow(r))],
            )
        }
        TaskKind::Switch(_) => (Shape::Decision, vec!["switch".to_owned()]),
        TaskKind::For(f) => {
            let mut lines = vec![format!("for each {} in {}", f.each, d.code(&f.in_))];
            if let Some(w) = &f.while_ {
                lines.push(format!("while {}", d.code(w)));
            }
            (Shape::Loop, lines)
        }
        other @ (TaskKind::Do(_) | TaskKind::Fork(_) | TaskKind::Try(_)) => {
            (Shape::Step, vec![other.keyword().to_owned()])
        }
    };
    let mut lines = vec![t.name.clone()];
    lines.append(&mut does);
    if let Some(timeout) = &t.task.timeout {
        lines.push(format!("timeout {}", policies::timeout(timeout, wf, d)));
    }
    Node {
        id: id.to_owned(),
        lines,
        shape,
    }
}

/// The box on a `catch` path: which errors are caught, and the retry policy.
pub(crate) fn catch(c: &Catch, id: &str, wf: &Workflow) -> Node {
    let mut lines = vec![format!("catch {}", policies::caught(c, Medium::Diagram))];
    if let Some(r) = &c.retry {
        lines.push(format!("retry {}", policies::retry(r, wf, Medium::Diagram)));
    }
    Node {
        id: id.to_owned(),
        lines,
        shape: Shape::Catch,
    }
}

/// The caption of a task drawn as a group: `base`, and the task's timeout if it has one.
pub(crate) fn group(t: &NamedTask, base: &str, wf: &Workflow) -> String {
    match &t.task.timeout {
        Some(timeout) => format!(
            "{base} (timeout {})",
            policies::timeout(timeout, wf, Medium::Diagram)
        ),
        None => base.to_owned(),
    }
}

/// What a `listen` waits for, a line per filter.
fn listen(to: &Consumption) -> Vec<String> {
    let d = Medium::Diagram;
    match to {
        Consumption::One(f) => vec![format!("listen: {}", events::filter(f, d))],
        Consumption::All(fs) => std::iter::once("listen for all of:".to_owned())
            .chain(fs.iter().map(|f| events::filter(f, d)))
            .collect(),
        Consumption::Any { filters, until } => {
            let mut lines = match filters.as_slice() {
                [] => vec!["listen: any event".to_owned()],
                [only] => vec![format!("listen: {}", events::filter(only, d))],
                fs => std::iter::once("listen for any of:".to_owned())
                    .chain(fs.iter().map(|f| events::filter(f, d)))
                    .collect(),
            };
            match until.as_deref() {
                Some(Until::Expr(e)) => lines.push(format!("until {}", d.code(e))),
                Some(Until::Events(c)) => {
                    lines.push(format!("until {}", events::consumption(c, d)))
                }
                None => {}
            }
            lines
        }
    }
}

/// What starts the flow besides requests, a line each; empty when nothing does.
pub(crate) fn triggers(wf: &Workflow) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(s) = &wf.schedule {
        if let Some(cron) = &s.cron {
            lines.push(format!("⏰ cron {cron}"));
        }
        if let Some(every) = s.every {
            lines.push(format!("⏰ every {}", iso8601(every)));
        }
        if let Some(after) = s.after {
            lines.push(format!("⏰ {} after each run", iso8601(after)));
        }
        if let Some(on) = &s.on {
            lines.push(format!(
                "on event {}",
                events::consumption(on, Medium::Diagram)
            ));
        }
    }
    lines
}
