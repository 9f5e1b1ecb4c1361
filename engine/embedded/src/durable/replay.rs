//! [`Replay`]: a read-only [`Durable`] context that drives a run's flow over the run's journaled
//! steps only, to show people what the run did: each task with the arguments its calls were
//! made with (which the journal does not keep: they are evaluated again from the same inputs,
//! deterministically) and its output, and where the run is now.
//!
//! Nothing is executed and nothing is written: a journaled step returns its stored result; the
//! first step with no result (a wait, a call in flight, a step not reached yet) never
//! completes, and the replay stops there. Secrets are replaced by a placeholder before the
//! replay starts, so arguments built from `$secrets` show the placeholder, never a value.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use serde_json::Value;
use shopflow_core::{
    CallRequest, CloudEvent, Durable, EventMatcher, FlowRef, RunOptions, StepId, TaskEvent,
    WorkflowError, run_workflow,
};
use shopflow_dsl::Workflow;

use super::record;

/// What a secret's value is shown as.
pub const SECRET_PLACEHOLDER: &str = "[secret]";

/// A durable operation the replay met, with what it was given.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplayedOp {
    /// `call`, `run` (a child flow), `emit`, `listen` or `wait`.
    pub kind: &'static str,
    /// The function called (calls), or the child flow (`namespace/name:version`).
    pub target: Option<String>,
    /// The evaluated arguments (calls), the child's input, or the event emitted.
    pub input: Option<Value>,
    /// The journaled result as the flow saw it (`None`: not journaled, the run is there).
    pub result: Option<Result<Value, Value>>,
    /// When it happened or is due, if known: a timer's due time, a received event's time.
    pub at_ms: Option<i64>,
}

/// What a replay found.
#[derive(Debug, Clone, Default)]
pub struct Replayed {
    /// Task progress in the order it happened.
    pub log: Vec<TaskEvent>,
    /// Durable operations by StepId.
    pub ops: BTreeMap<String, ReplayedOp>,
    /// StepIds of the operations the replay stopped at (the run's current position).
    pub blocked: Vec<String>,
    /// The run's result, when the replay reached its end.
    pub result: Option<Result<Value, WorkflowError>>,
}

/// The read-only replay context.
#[derive(Clone)]
pub struct Replay {
    run_id: String,
    steps: Arc<BTreeMap<String, Value>>,
    now_ms: i64,
    found: Arc<Mutex<Replayed>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `value` at once when the journal has it; otherwise never (the replay stops there).
async fn or_never<T>(value: Option<T>) -> T {
    match value {
        Some(v) => v,
        None => std::future::pending().await,
    }
}

impl Replay {
    /// A replay of run `run_id` over its journaled `steps`; timers due after `now_ms` have
    /// not fired.
    pub fn new(run_id: &str, steps: BTreeMap<String, Value>, now_ms: i64) -> Replay {
        Replay {
            run_id: run_id.to_owned(),
            steps: Arc::new(steps),
            now_ms,
            found: Arc::new(Mutex::new(Replayed::default())),
        }
    }

    /// Drives `wf` with `input` as far as the journal goes. `secrets` is what the flow would
    /// get; every value in it is replaced by [`SECRET_PLACEHOLDER`] first.
    pub fn run(self, wf: &Workflow, input: Value, secrets: &Value) -> Replayed {
        let options = RunOptions {
            run_id: self.run_id.clone(),
            input,
            secrets: redact(secrets),
            ..RunOptions::default()
        };
        // Every journaled step is ready at once and the interpreter has no other waits, so
        // one poll goes as far as the journal allows. What it found is taken before the
        // future is dropped: dropping it would log every task in progress as cancelled.
        let run = std::pin::pin!(run_workflow(wf, &self, options));
        let waker = futures::task::noop_waker();
        let result = match run.poll(&mut Context::from_waker(&waker)) {
            Poll::Ready(result) => Some(result),
            Poll::Pending => None,
        };
        let mut found = std::mem::take(&mut *lock(&self.found));
        found.result = result;
        found
    }

    fn stored(&self, step: &StepId) -> Option<&Value> {
        self.steps.get(step.as_str())
    }

    /// Field `name` of `step`'s journaled result, read with `read`.
    fn stored_field<T>(
        &self,
        step: &StepId,
        name: &str,
        read: impl FnOnce(&Value) -> Option<T>,
    ) -> Option<T> {
        self.stored(step)
            .and_then(|s| record::field(s, name))
            .and_then(read)
    }

    fn note(&self, step: &StepId, op: ReplayedOp) {
        let mut found = lock(&self.found);
        if op.result.is_none() {
            found.blocked.push(step.as_str().to_owned());
        }
        found.ops.insert(step.as_str().to_owned(), op);
    }
}

/// `secrets` with every leaf value replaced by the placeholder (the shape stays, so flows that
/// test for a secret's presence take the same path).
pub fn redact(secrets: &Value) -> Value {
    match secrets {
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), redact(v))).collect()),
        Value::Array(a) => Value::Array(a.iter().map(redact).collect()),
        Value::Null => Value::Null,
        _ => Value::String(SECRET_PLACEHOLDER.to_owned()),
    }
}

fn outcome_of(stored: &Value) -> Result<Value, Value> {
    record::read_outcome(stored).map_err(|e| serde_json::to_value(e).unwrap_or(Value::Null))
}

/// The `time` of a CloudEvent in milliseconds, if it has a readable one.
fn event_time(event: &Value) -> Option<i64> {
    let text = event.get("time")?.as_str()?;
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.timestamp_millis())
}

impl Durable for Replay {
    fn call(
        &self,
        step: &StepId,
        request: CallRequest,
    ) -> impl Future<Output = Result<Value, WorkflowError>> + Send {
        let stored = self.stored(step).cloned();
        self.note(
            step,
            ReplayedOp {
                kind: "call",
                target: Some(request.function),
                input: Some(request.args),
                result: stored.as_ref().map(outcome_of),
                at_ms: None,
            },
        );
        async move {
            match stored {
                Some(s) => record::read_outcome(&s),
                None => std::future::pending().await,
            }
        }
    }

    fn sleep(&self, step: &StepId, _duration: Duration) -> impl Future<Output = ()> + Send {
        let due = self.stored_field(step, "due_ms", Value::as_i64);
        let fired = due.is_some_and(|d| d <= self.now_ms);
        self.note(
            step,
            ReplayedOp {
                kind: "wait",
                target: None,
                input: None,
                result: fired.then(|| Ok(Value::Null)),
                at_ms: due,
            },
        );
        async move {
            if !fired {
                std::future::pending::<()>().await;
            }
        }
    }

    fn next_event(
        &self,
        step: &StepId,
        _matcher: EventMatcher,
    ) -> impl Future<Output = CloudEvent> + Send {
        let event = self.stored_field(step, "received", |v| Some(v.clone()));
        self.note(
            step,
            ReplayedOp {
                kind: "listen",
                target: None,
                input: None,
                at_ms: event.as_ref().and_then(event_time),
                result: event.clone().map(Ok),
            },
        );
        or_never(event)
    }

    fn emit(
        &self,
        step: &StepId,
        event: CloudEvent,
    ) -> impl Future<Output = Result<CloudEvent, WorkflowError>> + Send {
        let emitted = self.stored_field(step, "emitted", |v| Some(v.clone()));
        self.note(
            step,
            ReplayedOp {
                kind: "emit",
                target: None,
                input: Some(event),
                at_ms: emitted.as_ref().and_then(event_time),
                result: emitted.clone().map(Ok),
            },
        );
        or_never(emitted.map(Ok))
    }

    fn now(&self, step: &StepId) -> impl Future<Output = i64> + Send {
        or_never(self.stored_field(step, "now", Value::as_i64))
    }

    fn random(&self, step: &StepId) -> impl Future<Output = u64> + Send {
        or_never(self.stored_field(step, "random", Value::as_u64))
    }

    fn child(
        &self,
        step: &StepId,
        flow: FlowRef,
        input: Value,
    ) -> impl Future<Output = Result<Value, WorkflowError>> + Send {
        let stored = self.stored(step).cloned();
        self.note(
            step,
            ReplayedOp {
                kind: "run",
                target: Some(format!("{}/{}:{}", flow.namespace, flow.name, flow.version)),
                input: Some(input),
                result: stored.as_ref().map(outcome_of),
                at_ms: None,
            },
        );
        async move {
            match stored {
                Some(s) => record::read_outcome(&s),
                None => std::future::pending().await,
            }
        }
    }

    fn decide(&self, step: &StepId, proposed: Value) -> impl Future<Output = Value> + Send {
        let decided = self
            .stored(step)
            .and_then(|s| record::field(s, "decided").cloned())
            .unwrap_or(proposed);
        std::future::ready(decided)
    }

    fn recorded(&self, step: &StepId) -> impl Future<Output = Option<Value>> + Send {
        std::future::ready(
            self.stored(step)
                .and_then(|s| record::field(s, "decided").cloned()),
        )
    }

    fn observe(&self, event: TaskEvent) {
        lock(&self.found).log.push(event);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn flow(yaml: &str) -> Workflow {
        shopflow_dsl::load(yaml.as_bytes(), &["echo"])
            .expect("valid flow")
            .workflow
    }

    const FLOW: &str = "document: {dsl: '1.0.3', namespace: t, name: f, version: '1.0.0'}
use:
  secrets: [shop]
do:
  - greet:
      call: echo
      with:
        to: ${ .name }
        key: ${ $secrets.shop.key }
  - approval:
      listen:
        to:
          one:
            with:
              type: t.approved
";

    #[test]
    fn a_replay_shows_call_arguments_and_stops_at_the_wait() {
        let wf = flow(FLOW);
        let steps: BTreeMap<String, Value> =
            [("/do/0/greet".to_owned(), json!({"ok": {"hello": "王芳"}}))].into();
        let found = Replay::new("r1", steps, 0).run(
            &wf,
            json!({"name": "王芳"}),
            &json!({"shop": {"key": "s3cret"}}),
        );
        let greet = &found.ops["/do/0/greet"];
        assert_eq!(greet.target.as_deref(), Some("echo"));
        assert_eq!(
            greet.input,
            Some(json!({"to": "王芳", "key": SECRET_PLACEHOLDER}))
        );
        assert!(!format!("{found:?}").contains("s3cret"));
        assert_eq!(found.blocked, vec!["/do/1/approval:e0".to_owned()]);
        assert!(found.result.is_none());
        assert!(
            found.log.iter().any(|e| e.step.as_str() == "/do/1/approval"
                && e.status == shopflow_core::TaskStatus::Started),
            "the task the run waits in is in progress"
        );
        assert!(
            !found
                .log
                .iter()
                .any(|e| e.status == shopflow_core::TaskStatus::Cancelled),
            "stopping the replay cancels nothing"
        );
    }

    #[test]
    fn a_finished_run_replays_to_its_end() {
        let wf = flow(FLOW);
        let event = json!({"id": "e1", "type": "t.approved", "time": "2026-01-01T00:00:00Z"});
        let steps: BTreeMap<String, Value> = [
            ("/do/0/greet".to_owned(), json!({"ok": {}})),
            (
                "/do/1/approval:e0".to_owned(),
                json!({"received": event, "consumed_event_id": "e1"}),
            ),
        ]
        .into();
        let found = Replay::new("r1", steps, 0).run(&wf, json!({"name": "x"}), &Value::Null);
        assert!(found.blocked.is_empty());
        assert!(matches!(found.result, Some(Ok(_))));
        assert_eq!(
            found.ops["/do/1/approval:e0"].at_ms,
            Some(1_767_225_600_000)
        );
    }
}
