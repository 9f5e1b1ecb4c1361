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
    /// The run whose `run.workflow` step awaits this one: such a child is resumed by its
    /// parent's replay, not on its own. `None` for top-level and detached runs.
    pub parent: Option<String>,
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

impl NewEvent {
    /// An accepted CloudEvent as the inbox keeps it: its `id`, `type` and `subject` pulled out
    /// for lookups (missing ones as empty or none), the whole event as the body.
    pub fn from_cloud_event(event: &CloudEvent, received_ms: i64) -> NewEvent {
        let text = |name: &str| event.get(name).and_then(Value::as_str).map(str::to_owned);
        NewEvent {
            id: text("id").unwrap_or_default(),
            kind: text("type").unwrap_or_default(),
            subject: text("subject"),
            body: event.clone(),
            received_ms,
        }
    }
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

/// One deployed version of a flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowRecord {
    /// `document.namespace`.
    pub namespace: String,
    /// `document.name`.
    pub name: String,
    /// `document.version`.
    pub version: String,
    /// The YAML as deployed.
    pub source: String,
    /// When it was deployed, milliseconds since the Unix epoch.
    pub deployed_ms: i64,
}

/// What [`Journal::record_flow`](super::Journal::record_flow) did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowInsert {
    /// A new version was stored.
    Inserted,
    /// The same text was already deployed under this version; nothing changed.
    Unchanged,
}

/// Which runs [`Journal::list_runs`](super::Journal::list_runs) returns, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunFilter {
    /// Only runs of this flow (`namespace/name`).
    pub flow: Option<String>,
    /// Only runs with this status.
    pub status: Option<RunStatus>,
    /// At most this many (all when `None`).
    pub limit: Option<u32>,
}

/// A flow's schedule state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleRecord {
    /// The flow (`namespace/name`).
    pub flow: String,
    /// Whether the schedule starts runs.
    pub enabled: bool,
    /// The last tick that started a run, milliseconds since the Unix epoch.
    pub last_tick_ms: Option<i64>,
}

/// An API token as stored: only its SHA-256, never the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    /// Hex SHA-256 of the token.
    pub hash: String,
    /// Who or what it is for.
    pub name: String,
    /// `admin`, `ops`, `finance` or `viewer`.
    pub role: String,
    /// When it was made, milliseconds since the Unix epoch.
    pub created_ms: i64,
}
