//! Which events a flow's `listen` tasks could ever consume, by their `type` filter. The
//! embedded engine keeps only such events in memory while they wait for a listener; any other
//! event stays in the journal alone (it can still start runs through `schedule.on`).

use crate::model::Workflow;
use crate::model::events::{Consumption, EventFilter, FilterValue, Until};
use crate::model::task::{Task, TaskKind, TaskList};

/// The event types a flow listens for.
#[derive(Debug, Clone)]
pub enum ListenedTypes {
    /// Some listen has no fixed type (no `type` filter, or an expression): any event may match.
    Any,
    /// Only events whose `type` matches one of these filter values (a string: equal, or a
    /// whole-string regular expression).
    Only(Vec<FilterValue>),
}

impl ListenedTypes {
    /// Adds what `other` listens for.
    pub fn merge(&mut self, other: ListenedTypes) {
        match (&mut *self, other) {
            (ListenedTypes::Any, _) => {}
            (_, ListenedTypes::Any) => *self = ListenedTypes::Any,
            (ListenedTypes::Only(mine), ListenedTypes::Only(theirs)) => {
                for t in theirs {
                    if !mine.iter().any(|m| same(m, &t)) {
                        mine.push(t);
                    }
                }
            }
        }
    }
}

fn same(a: &FilterValue, b: &FilterValue) -> bool {
    matches!((a, b), (FilterValue::Value(x), FilterValue::Value(y)) if x == y)
}

/// What `wf` listens for, in its tasks and its custom functions.
pub fn listened_types(wf: &Workflow) -> ListenedTypes {
    let mut found = ListenedTypes::Only(Vec::new());
    visit(&wf.tasks, &mut found);
    for task in wf.uses.functions.values() {
        task_kind(task, &mut found);
    }
    found
}

fn visit(tasks: &TaskList, found: &mut ListenedTypes) {
    for t in tasks {
        task_kind(&t.task, found);
    }
}

fn task_kind(task: &Task, found: &mut ListenedTypes) {
    match &task.kind {
        TaskKind::Do(sub) => visit(sub, found),
        TaskKind::For(f) => visit(&f.tasks, found),
        TaskKind::Fork(f) => visit(&f.branches, found),
        TaskKind::Try(t) => {
            visit(&t.tasks, found);
            if let Some(handler) = &t.catch.tasks {
                visit(handler, found);
            }
        }
        TaskKind::Listen(l) => {
            consumption(&l.to, found);
            if let Some(each) = &l.foreach {
                visit(&each.tasks, found);
            }
        }
        TaskKind::Call(_)
        | TaskKind::Emit(_)
        | TaskKind::Raise(_)
        | TaskKind::RunWorkflow(_)
        | TaskKind::Set(_)
        | TaskKind::Switch(_)
        | TaskKind::Wait(_) => {}
    }
}

fn consumption(c: &Consumption, found: &mut ListenedTypes) {
    let (filters, until): (&[EventFilter], _) = match c {
        Consumption::All(f) => (f, None),
        Consumption::One(f) => (std::slice::from_ref(f), None),
        Consumption::Any { filters, until } => {
            if filters.is_empty() {
                found.merge(ListenedTypes::Any);
            }
            (filters, until.as_deref())
        }
    };
    for f in filters {
        match f.with.iter().find(|(attr, _)| attr == "type") {
            Some((_, v @ FilterValue::Value(serde_json::Value::String(_)))) => {
                found.merge(ListenedTypes::Only(vec![v.clone()]));
            }
            _ => found.merge(ListenedTypes::Any),
        }
    }
    if let Some(Until::Events(more)) = until {
        consumption(more, found);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The listened types as text, `None` for any event.
    fn types(yaml: &str) -> Option<Vec<String>> {
        let loaded = crate::load(yaml.as_bytes(), &[]).expect("valid flow");
        match listened_types(&loaded.workflow) {
            ListenedTypes::Any => None,
            ListenedTypes::Only(v) => Some(
                v.iter()
                    .map(|f| match f {
                        FilterValue::Value(serde_json::Value::String(s)) => s.clone(),
                        other => format!("{other:?}"),
                    })
                    .collect(),
            ),
        }
    }

    #[test]
    fn collects_listen_types_in_nested_tasks() {
        let t = types(
            r#"
document: { dsl: '1.0.3', namespace: t, name: t, version: '1.0.0' }
do:
  - outer:
      try:
        - wait:
            listen:
              to:
                one:
                  with: { type: shopflow.taobao.trade.buyerpay }
      catch:
        do:
          - again:
              listen:
                to:
                  any:
                    - with: { type: 'shopflow\.pdd\..*' }
"#,
        );
        assert_eq!(
            t,
            Some(vec![
                "shopflow.taobao.trade.buyerpay".to_owned(),
                "shopflow\\.pdd\\..*".to_owned()
            ])
        );
        let t = types(
            r#"
document: { dsl: '1.0.3', namespace: t, name: t, version: '1.0.0' }
do:
  - wait:
      listen:
        to:
          one:
            with: { source: 'https://x' }
"#,
        );
        assert_eq!(t, None);
        let t = types(
            "document: { dsl: '1.0.3', namespace: t, name: t, version: '1.0.0' }\ndo:\n  - a:\n      set: { x: 1 }\n",
        );
        assert_eq!(t, Some(vec![]));
    }
}
