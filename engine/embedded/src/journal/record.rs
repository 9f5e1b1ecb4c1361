//! The values the journal stores and returns: runs, status changes, events and timers.

use serde_json::Value;
use shopflow_core::{CloudEvent, RunStatus};

/// One run as journaled. Times are milliseconds since the Unix epoch, from the caller's
/// clock (the journal never reads the wall clock, so tests can drive time).
#[derive(Debug, Clone, PartialEq)]
pub struct RunRecord {
    /// The run id.
    pub id: String,
    /// The flow as `namespace/name`.
    pub flow: String,
    /// The flow's version.
    pub version: String,
    /// Where the run is.
    pub status: RunStatus,
    /// The run's input.
    pub input: Value,
    /// The output, once completed.
    pub output: Option<Value>,
    /// The error object, once faulted.
    pub error: Option<Value>,
    /// When the run was accepted.
    pub created_ms: i64,
    /// When its status last changed.
    pub updated_ms: i64,
}

/// A run's move to a new status, with its output or error when it ends.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusChange {
    /// The new status.
    pub status: RunStatus,
    /// The output (for `completed`); `None` leaves the stored output as it is.
    pub output: Option<Value>,
    /// The error object (for `faulted`); `None` leaves the stored error as it is.
    pub error: Option<Value>,
    /// When it changed, milliseconds since the Unix epoch.
    pub at_ms: i64,
}

/// An accepted CloudEvent to keep in the inbox.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// The CloudEvent `id`: a second event with the same id is a duplicate.
    pub id: String,
    /// The CloudEvent `type`.
    pub kind: String,
    /// The CloudEvent `subject` (order or refund id), if any.
    pub subject: Option<String>,
    /// The whole CloudEvent.
    pub body: CloudEvent,
    /// When it was accepted, milliseconds since the Unix epoch.
    pub received_ms: i64,
}

/// What [`Journal::insert_event`](super::Journal::insert_event) did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventInsert {
    /// Stored, with its position in the inbox.
    Inserted {
        /// Inbox order: later events have larger numbers.
        seq: i64,
    },
    /// An event with the same id is already stored; nothing was written.
    Duplicate,
}

/// A timer that is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueTimer {
    /// The run waiting on it.
    pub run_id: String,
    /// The StepId of the `sleep` or `listen` deadline.
    pub step: String,
    /// When it was due, milliseconds since the Unix epoch.
    pub due_ms: i64,
}
