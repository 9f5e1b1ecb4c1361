//! The durable context the interpreter runs against: every effect, timer, event and clock read
//! goes through it, keyed by StepId, so a backend can journal and replay them.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::error::WorkflowError;
use crate::step::StepId;

/// A CloudEvent as JSON (`specversion`, `id`, `source`, `type`, `data`, …).
pub type CloudEvent = Value;

/// A call's (or child run's) result as every backend records it: `{"ok": v}` or
/// `{"err": error, "retryable": bool}`.
pub fn step_outcome(result: &Result<Value, WorkflowError>) -> Value {
    match result {
        Ok(v) => serde_json::json!({ "ok": v }),
        Err(e) => serde_json::json!({
            "err": serde_json::to_value(e).unwrap_or(Value::Null),
            "retryable": e.retryable,
        }),
    }
}

/// A recorded [`step_outcome`] back as the flow saw it, retryable flag included; the outer
/// `Err` says why the record cannot be read (the backend words that as its own error).
pub fn read_step_outcome(stored: &Value) -> Result<Result<Value, WorkflowError>, String> {
    if let Some(ok) = stored.get("ok") {
        return Ok(Ok(ok.clone()));
    }
    let retryable = stored
        .get("retryable")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let err = stored.get("err").cloned().unwrap_or(Value::Null);
    serde_json::from_value::<WorkflowError>(err)
        .map(|e| Err(e.retryable(retryable)))
        .map_err(|e| e.to_string())
}

/// An emitted event with the CloudEvent attributes it left out filled in: `specversion`
/// `1.0`, `id` from `id`, `source` `shopflow`, and `time` (`now_ms`, RFC 3339 in UTC). A value
/// that is not an object is a non-retryable validation error. Every backend's `emit` starts
/// here, so an emitted event looks the same on each.
pub fn complete_emitted(
    mut event: CloudEvent,
    id: impl FnOnce() -> String,
    now_ms: i64,
) -> Result<CloudEvent, WorkflowError> {
    let Some(e) = event.as_object_mut() else {
        return Err(
            WorkflowError::new(crate::error::ErrorKind::Validation, "Invalid event")
                .with_detail("an emitted event must be an object of CloudEvent attributes")
                .retryable(false),
        );
    };
    e.entry("specversion").or_insert_with(|| "1.0".into());
    e.entry("id").or_insert_with(|| id().into());
    e.entry("source").or_insert_with(|| "shopflow".into());
    e.entry("time").or_insert_with(|| {
        chrono::DateTime::from_timestamp_millis(now_ms)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
            .unwrap_or_default()
            .into()
    });
    Ok(event)
}

/// Decides whether an event is the one a `listen` waits for. Pure: the same event always gives
/// the same answer, so matching is safe to repeat on replay.
pub type EventMatcher = Arc<dyn Fn(&CloudEvent) -> bool + Send + Sync>;

/// A call of a function by name, with evaluated arguments.
#[derive(Debug, Clone)]
pub struct CallRequest {
    /// The function (`http`, `openapi`, `noop`, `platform.order.get`, …).
    pub function: String,
    /// Its arguments.
    pub args: Value,
    /// The task's JSON pointer, for errors.
    pub instance: String,
}

/// Which flow a `run.workflow` runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowRef {
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// Version, or `latest`.
    pub version: String,
    /// Whether the parent waits for the child's output (`await`).
    pub wait: bool,
}

/// What happened to a task, for run timelines and the conformance kit's ordering checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskStatus {
    /// The task started.
    Started,
    /// Its `if` was false.
    Skipped,
    /// It completed.
    Completed,
    /// It raised an error.
    Faulted,
    /// It was cancelled (a timeout or a competing fork branch won).
    Cancelled,
}

/// One entry of a run's task log.
#[derive(Debug, Clone)]
pub struct TaskEvent {
    /// The task's name.
    pub name: String,
    /// The task's StepId.
    pub step: StepId,
    /// What happened.
    pub status: TaskStatus,
    /// The output (completed) or error (faulted).
    pub detail: Option<Value>,
}

/// The operations the interpreter needs from a durable backend.
///
/// Each operation with a StepId happens at most once per run as far as the flow can tell: a
/// backend that has the step's result journaled returns it instead of doing the work again.
pub trait Durable: Send + Sync {
    /// Runs a function once for this step and returns its (journaled) result.
    fn call(
        &self,
        step: &StepId,
        request: CallRequest,
    ) -> impl Future<Output = Result<Value, WorkflowError>> + Send;

    /// Waits for `duration` (a durable timer).
    fn sleep(&self, step: &StepId, duration: Duration) -> impl Future<Output = ()> + Send;

    /// Waits for the next event that `matcher` accepts and consumes it.
    fn next_event(
        &self,
        step: &StepId,
        matcher: EventMatcher,
    ) -> impl Future<Output = CloudEvent> + Send;

    /// Publishes an event; the backend fills `id`, `time`, `source` and `specversion` when
    /// missing and returns the event as published.
    fn emit(
        &self,
        step: &StepId,
        event: CloudEvent,
    ) -> impl Future<Output = Result<CloudEvent, WorkflowError>> + Send;

    /// The current time in milliseconds since the Unix epoch, fixed for this step.
    fn now(&self, step: &StepId) -> impl Future<Output = i64> + Send;

    /// A random 64-bit number, fixed for this step.
    fn random(&self, step: &StepId) -> impl Future<Output = u64> + Send;

    /// Runs a child flow to completion and returns its output.
    fn child(
        &self,
        step: &StepId,
        flow: FlowRef,
        input: Value,
    ) -> impl Future<Output = Result<Value, WorkflowError>> + Send;

    /// Returns the value recorded for this step, recording `proposed` when there is none
    /// (which branch won a race, for example).
    fn decide(&self, step: &StepId, proposed: Value) -> impl Future<Output = Value> + Send;

    /// The value recorded for this step, if any, without recording.
    fn recorded(&self, step: &StepId) -> impl Future<Output = Option<Value>> + Send;

    /// Notes a task's progress (not durable; for timelines and tests).
    fn observe(&self, event: TaskEvent);
}
