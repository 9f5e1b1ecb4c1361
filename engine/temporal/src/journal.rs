//! The run's in-memory journal: each step's result as a small JSON envelope, keyed by StepId.
//!
//! Within one Temporal execution the history is the journal; this map is what a
//! continue-as-new carries to the next execution, so the interpreter replays earlier steps
//! from it instead of issuing their commands again. The envelopes match the embedded
//! engine's:
//!
//! | step          | recorded as                                               |
//! |---------------|-----------------------------------------------------------|
//! | call, child   | `{"ok": v}` or `{"err": error, "retryable": bool}`        |
//! | now           | `{"now": ms}`                                             |
//! | random        | `{"random": n}`                                           |
//! | decide        | `{"decided": v}`                                          |
//! | sleep         | `{"due_ms": ms}` (fired once workflow time has passed it) |
//! | emit          | `{"emitted": event}`                                      |
//! | next_event    | `{"received": event}`                                     |

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use serde_json::{Value, json};
use shopflow_core::{CloudEvent, ErrorKind, StepId, WorkflowError};

/// Step results by StepId text.
#[derive(Default)]
pub(crate) struct Journal {
    steps: Mutex<BTreeMap<String, Value>>,
}

impl Journal {
    /// A journal holding what an earlier execution carried over.
    pub(crate) fn from_carried(steps: BTreeMap<String, Value>) -> Self {
        Self {
            steps: Mutex::new(steps),
        }
    }

    /// The record of `step`, if any.
    pub(crate) fn get(&self, step: &StepId) -> Option<Value> {
        self.lock().get(step.as_str()).cloned()
    }

    /// Records `value` for `step` (replacing an earlier record).
    pub(crate) fn put(&self, step: &StepId, value: Value) {
        self.lock().insert(step.as_str().to_owned(), value);
    }

    /// Records `value` unless `step` has a record; returns the record that stands.
    pub(crate) fn put_first(&self, step: &StepId, value: Value) -> Value {
        self.lock()
            .entry(step.as_str().to_owned())
            .or_insert(value)
            .clone()
    }

    /// Everything recorded, for continue-as-new.
    pub(crate) fn snapshot(&self) -> BTreeMap<String, Value> {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Value>> {
        self.steps.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A call's (or child run's) result as recorded ([`shopflow_core::step_outcome`]).
pub(crate) fn outcome(result: &Result<Value, WorkflowError>) -> Value {
    shopflow_core::step_outcome(result)
}

/// A recorded call result back as the flow saw it, retryable flag included.
pub(crate) fn read_outcome(stored: &Value) -> Result<Value, WorkflowError> {
    shopflow_core::read_step_outcome(stored).unwrap_or_else(|detail| {
        Err(
            WorkflowError::new(ErrorKind::Runtime, "Unreadable step result")
                .with_detail(detail)
                .retryable(false),
        )
    })
}

/// A field of a scalar envelope (`now`, `random`, `due_ms`, `decided`, `received`, `emitted`).
pub(crate) fn field<'a>(stored: &'a Value, name: &str) -> Option<&'a Value> {
    stored.get(name)
}

/// The record of a consumed event.
pub(crate) fn received(event: &CloudEvent) -> Value {
    json!({ "received": event })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_round_trip_with_their_retryable_flag() {
        let err = WorkflowError::new(ErrorKind::Communication, "Down").retryable(true);
        let stored = outcome(&Err(err.clone()));
        let back = read_outcome(&stored).expect_err("an error comes back as an error");
        assert_eq!(back, err);
        assert!(back.retryable);
        assert_eq!(read_outcome(&outcome(&Ok(json!(3)))).ok(), Some(json!(3)));
    }

    #[test]
    fn the_first_decision_stands() {
        let journal = Journal::default();
        let step = StepId::from_raw("/do/0/race:winner");
        assert_eq!(journal.put_first(&step, json!(1)), json!(1));
        assert_eq!(journal.put_first(&step, json!(2)), json!(1));
    }
}
