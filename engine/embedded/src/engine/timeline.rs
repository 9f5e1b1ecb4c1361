//! A run's timeline for people: every task it ran, in order, with the arguments of its calls
//! and its output or error, and where it is now — read from the journal by a read-only
//! [`Replay`] (nothing runs, nothing is written; secrets show as a placeholder).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use shopflow_core::TaskStatus;

use super::{Engine, EngineError};
use crate::durable::replay::{Replay, ReplayedOp};

/// What became of a task in the timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryStatus {
    /// It finished.
    Completed,
    /// It raised an error (maybe caught by a `try`).
    Faulted,
    /// Its `if` was false.
    Skipped,
    /// A timeout or a competing branch stopped it.
    Cancelled,
    /// It started and has not finished: the run is here.
    InProgress,
}

impl EntryStatus {
    /// `completed`, `faulted`, `skipped`, `cancelled` or `in_progress`.
    pub fn as_str(self) -> &'static str {
        match self {
            EntryStatus::Completed => "completed",
            EntryStatus::Faulted => "faulted",
            EntryStatus::Skipped => "skipped",
            EntryStatus::Cancelled => "cancelled",
            EntryStatus::InProgress => "in_progress",
        }
    }
}

/// One task of the timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineEntry {
    /// The task's StepId (pointer and scope: `/do/2/charge[i1]`).
    pub step: String,
    /// The task's JSON pointer in the flow (`/do/2/charge`).
    pub pointer: String,
    /// The task's name.
    pub name: String,
    /// What became of it.
    pub status: EntryStatus,
    /// The durable operations the task made (a call, a wait, the events of a listen, an
    /// emit, a child run, a timeout's timer), with their arguments; none for tasks that only
    /// compute (`set`, `switch`).
    pub ops: Vec<ReplayedOp>,
    /// The task's output (completed) or error (faulted).
    pub detail: Option<Value>,
}

/// A run's timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    /// Tasks that hold no other tasks, in the order they started.
    pub entries: Vec<TimelineEntry>,
    /// JSON pointers of the tasks the run is at now (empty once it ended).
    pub position: Vec<String>,
    /// JSON pointers of every task that ran (for drawing the path taken).
    pub visited: Vec<String>,
}

/// The JSON pointer part of a StepId: up to the first scope (`[…]`) or operation (`:…`).
pub fn pointer_of(step: &str) -> &str {
    let end = step.find(['[', ':']).unwrap_or(step.len());
    &step[..end]
}

/// The operations of the task at `step`: its own, and those named after it (`:e0`, `:timeout`).
fn ops_of(ops: &BTreeMap<String, ReplayedOp>, step: &str) -> Vec<ReplayedOp> {
    let sub = format!("{step}:");
    ops.iter()
        .filter(|(k, _)| k.as_str() == step || k.starts_with(&sub))
        .map(|(_, op)| op.clone())
        .collect()
}

impl Engine {
    /// The deployed flow version `flow` names (`namespace/name[:version]`, newest without one).
    pub fn workflow(
        &self,
        flow: &str,
    ) -> Result<std::sync::Arc<shopflow_dsl::Workflow>, EngineError> {
        self.resolve(flow)
    }

    /// The timeline of run `id`, replayed from its journal with the flow version it runs.
    pub fn timeline(&self, id: &str) -> Result<Timeline, EngineError> {
        let record = self.get(id)?.record;
        let wf = self.flow_of(&record)?;
        let steps = self.inner.store.journal().load_steps(id)?;
        let secrets = (self.inner.options.secrets)(&wf);
        let found = Replay::new(id, steps, self.now_ms()).run(&wf, record.input, &secrets);
        let ended = record.status.is_final();
        // Tasks that hold others (`do`, `try`, `for`, `fork`) are shown by what they hold.
        let pointers: BTreeSet<&str> = found
            .log
            .iter()
            .map(|e| pointer_of(e.step.as_str()))
            .collect();
        let is_container = |p: &str| {
            let prefix = format!("{p}/");
            pointers.iter().any(|q| q.starts_with(&prefix))
        };
        let mut entries: Vec<TimelineEntry> = Vec::new();
        for event in &found.log {
            let step = event.step.as_str();
            let pointer = pointer_of(step);
            if is_container(pointer) {
                continue;
            }
            let status = match event.status {
                TaskStatus::Started => EntryStatus::InProgress,
                TaskStatus::Completed => EntryStatus::Completed,
                TaskStatus::Faulted => EntryStatus::Faulted,
                TaskStatus::Skipped => EntryStatus::Skipped,
                TaskStatus::Cancelled => EntryStatus::Cancelled,
            };
            if let Some(open) = entries
                .iter_mut()
                .rev()
                .find(|e| e.step == step && e.status == EntryStatus::InProgress)
            {
                open.status = status;
                open.detail.clone_from(&event.detail);
                continue;
            }
            entries.push(TimelineEntry {
                step: step.to_owned(),
                pointer: pointer.to_owned(),
                name: event.name.clone(),
                status,
                ops: ops_of(&found.ops, step),
                detail: event.detail.clone(),
            });
        }
        // A replay that stops at a step leaves it in progress; the ops noted there say what
        // it waits for. An ended run (cancelled, faulted on a journal it cannot read) is
        // nowhere.
        let mut position: Vec<String> = Vec::new();
        if !ended {
            for e in &entries {
                if e.status == EntryStatus::InProgress && !position.contains(&e.pointer) {
                    position.push(e.pointer.clone());
                }
            }
        }
        let mut visited: Vec<String> = Vec::new();
        for p in found.log.iter().map(|e| pointer_of(e.step.as_str())) {
            if !visited.iter().any(|v| v == p) {
                visited.push(p.to_owned());
            }
        }
        Ok(Timeline {
            entries,
            position,
            visited,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_drop_scopes_and_operations() {
        assert_eq!(pointer_of("/do/0/a/try/1/b[i2][r1]"), "/do/0/a/try/1/b");
        assert_eq!(pointer_of("/do/3/wait:timeout"), "/do/3/wait");
        assert_eq!(pointer_of("/do/1/x"), "/do/1/x");
    }
}
