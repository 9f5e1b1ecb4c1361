//! How each kind of step result is journaled: a small JSON envelope per kind, so a replay
//! reads back exactly what the first execution returned.
//!
//! | step          | journaled as                                              |
//! |---------------|-----------------------------------------------------------|
//! | call, child   | `{"ok": v}` or `{"err": error, "retryable": bool}`        |
//! | now           | `{"now": ms}`                                             |
//! | random        | `{"random": n}`                                           |
//! | decide        | `{"decided": v}`                                          |
//! | sleep         | `{"due_ms": ms}` (fired once the clock has passed it)     |
//! | emit          | `{"emitted": event}`                                      |
//! | next_event    | `{"received": event, "consumed_event_id": id}`            |

use serde_json::{Value, json};
use shopflow_core::{CloudEvent, ErrorKind, WorkflowError};

/// A call's (or child run's) result as journaled ([`shopflow_core::step_outcome`]).
pub(crate) fn outcome(result: &Result<Value, WorkflowError>) -> Value {
    shopflow_core::step_outcome(result)
}

/// A journaled call result back as the flow saw it, retryable flag included.
pub(crate) fn read_outcome(stored: &Value) -> Result<Value, WorkflowError> {
    shopflow_core::read_step_outcome(stored).unwrap_or_else(|detail| Err(unreadable(&detail)))
}

/// A scalar envelope (`now`, `random`, `due_ms`, `decided`).
pub(crate) fn field<'a>(stored: &'a Value, name: &str) -> Option<&'a Value> {
    stored.get(name)
}

/// The journaled event of a `listen` step.
pub(crate) fn received(event: &CloudEvent) -> Value {
    let id = event.get("id").cloned().unwrap_or(Value::Null);
    json!({ "received": event, "consumed_event_id": id })
}

/// The error for a journal that cannot be read or written.
pub(crate) fn journal_error(what: &str, detail: &str) -> WorkflowError {
    WorkflowError::new(ErrorKind::Runtime, "Journal unavailable")
        .with_detail(format!("{what}: {detail}"))
        .retryable(true)
}

/// The error for a journaled result this build cannot read.
fn unreadable(detail: &str) -> WorkflowError {
    WorkflowError::new(ErrorKind::Runtime, "Unreadable journal entry")
        .with_detail(detail.to_owned())
        .retryable(false)
}
