//! [`TemporalContext`]: the interpreter's [`Durable`] context on Temporal.
//!
//! The interpreter needs a `Send + Sync` context, and Temporal's workflow context is neither
//! (it is built on `Rc`). So this context never touches Temporal: it answers what it can from
//! the run's journal and from values the driver keeps current (workflow time, the random
//! seed), and queues everything that needs a Temporal command — a call, a timer, a listen, an
//! emit, a child — as a [`Request`] with a reply channel. The driver ([`crate::driver`]),
//! which polls the interpreter from inside the workflow, turns each request into a command in
//! the order the interpreter made them and replies when Temporal resolves it. A request whose
//! reply receiver is dropped (the losing side of a race, a timed-out listen) is cancelled.

use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures::channel::oneshot;
use serde_json::{Value, json};
use shopflow_core::{
    CallRequest, CloudEvent, Durable, EventMatcher, FlowRef, StepId, TaskEvent, WorkflowError,
    complete_emitted, idempotency_key,
};

use crate::journal::{self, Journal};

/// An operation only the driver can carry out.
pub(crate) enum Operation {
    /// Run a function as an activity; replies with the outcome envelope.
    Call(CallRequest),
    /// Wait until workflow time reaches `due_ms`; replies `null`.
    Sleep {
        /// Milliseconds since the Unix epoch.
        due_ms: i64,
    },
    /// Take the first event the matcher accepts; replies with the event.
    Listen(EventMatcher),
    /// Deliver an event (already completed with id, time, source); replies `null`.
    Emit(CloudEvent),
    /// Run a child flow; replies with the outcome envelope.
    Child {
        /// Which flow.
        flow: FlowRef,
        /// Its input.
        input: Value,
    },
}

/// One queued operation and where its result goes.
pub(crate) struct Request {
    /// The step it belongs to.
    pub step: StepId,
    /// What to do.
    pub op: Operation,
    /// The result; dropped by the interpreter when it no longer waits.
    pub reply: oneshot::Sender<Value>,
}

/// What the context and the driver share.
pub(crate) struct Bridge {
    run_id: String,
    journal: Journal,
    requests: Mutex<Vec<Request>>,
    now_ms: AtomicI64,
    seed: u64,
    secrets: Value,
    log: Mutex<Vec<TaskEvent>>,
    listening: AtomicUsize,
    sleeping: AtomicUsize,
}

impl Bridge {
    /// A bridge for run `run_id`: `journal` from an earlier execution, `seed` drawn from the
    /// workflow's deterministic random source, `secrets` as placeholders.
    pub(crate) fn new(run_id: &str, journal: Journal, seed: u64, secrets: Value) -> Self {
        Self {
            run_id: run_id.to_owned(),
            journal,
            requests: Mutex::new(Vec::new()),
            now_ms: AtomicI64::new(0),
            seed,
            secrets,
            log: Mutex::new(Vec::new()),
            listening: AtomicUsize::new(0),
            sleeping: AtomicUsize::new(0),
        }
    }

    /// Sets how many `listen`s wait for an event (the driver does, each pass).
    pub(crate) fn set_listening(&self, n: usize) {
        self.listening.store(n, Ordering::Release);
    }

    /// How many `listen`s wait for an event.
    pub(crate) fn listening(&self) -> usize {
        self.listening.load(Ordering::Acquire)
    }

    /// Sets how many timers run (the driver does, each pass).
    pub(crate) fn set_sleeping(&self, n: usize) {
        self.sleeping.store(n, Ordering::Release);
    }

    /// How many timers run.
    pub(crate) fn sleeping(&self) -> usize {
        self.sleeping.load(Ordering::Acquire)
    }

    /// The run id.
    pub(crate) fn run_id(&self) -> &str {
        &self.run_id
    }

    /// The run's journal.
    pub(crate) fn journal(&self) -> &Journal {
        &self.journal
    }

    /// `$secrets` as the interpreter sees it (placeholders).
    pub(crate) fn secrets(&self) -> Value {
        self.secrets.clone()
    }

    /// Sets workflow time (the driver does, before each poll of the interpreter).
    pub(crate) fn set_now(&self, ms: i64) {
        self.now_ms.store(ms, Ordering::Release);
    }

    /// Workflow time in milliseconds since the Unix epoch.
    pub(crate) fn now(&self) -> i64 {
        self.now_ms.load(Ordering::Acquire)
    }

    /// The requests queued since the last call, in the order they were made.
    pub(crate) fn take_requests(&self) -> Vec<Request> {
        std::mem::take(&mut *self.requests.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// The task log so far.
    pub(crate) fn task_log(&self) -> Vec<TaskEvent> {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn push(&self, step: &StepId, op: Operation) -> oneshot::Receiver<Value> {
        let (reply, answer) = oneshot::channel();
        self.requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Request {
                step: step.clone(),
                op,
                reply,
            });
        answer
    }
}

/// The [`Durable`] context of one Temporal execution of a run.
#[derive(Clone)]
pub(crate) struct TemporalContext {
    bridge: Arc<Bridge>,
}

impl TemporalContext {
    /// A context over `bridge`.
    pub(crate) fn new(bridge: Arc<Bridge>) -> Self {
        Self { bridge }
    }

    /// Waits for the driver's reply; a driver that went away (the workflow was evicted or
    /// continued as new) never replies, and neither does this.
    async fn ask(&self, step: &StepId, op: Operation) -> Value {
        match self.bridge.push(step, op).await {
            Ok(v) => v,
            Err(oneshot::Canceled) => std::future::pending().await,
        }
    }
}

impl Durable for TemporalContext {
    fn call(
        &self,
        step: &StepId,
        request: CallRequest,
    ) -> impl Future<Output = Result<Value, WorkflowError>> + Send {
        let step = step.clone();
        async move {
            if let Some(stored) = self.bridge.journal.get(&step) {
                return journal::read_outcome(&stored);
            }
            let outcome = self.ask(&step, Operation::Call(request)).await;
            self.bridge.journal.put(&step, outcome.clone());
            journal::read_outcome(&outcome)
        }
    }

    fn sleep(&self, step: &StepId, duration: Duration) -> impl Future<Output = ()> + Send {
        let step = step.clone();
        async move {
            let recorded = self
                .bridge
                .journal
                .get(&step)
                .and_then(|s| journal::field(&s, "due_ms").and_then(Value::as_i64));
            let due_ms = match recorded {
                Some(due) if due <= self.bridge.now() => return,
                Some(due) => due,
                None => {
                    let millis = i64::try_from(duration.as_millis()).unwrap_or(i64::MAX);
                    let due = self.bridge.now().saturating_add(millis);
                    self.bridge.journal.put(&step, json!({ "due_ms": due }));
                    due
                }
            };
            self.ask(&step, Operation::Sleep { due_ms }).await;
        }
    }

    fn next_event(
        &self,
        step: &StepId,
        matcher: EventMatcher,
    ) -> impl Future<Output = CloudEvent> + Send {
        let step = step.clone();
        async move {
            if let Some(event) = self
                .bridge
                .journal
                .get(&step)
                .and_then(|s| journal::field(&s, "received").cloned())
            {
                return event;
            }
            let event = self.ask(&step, Operation::Listen(matcher)).await;
            self.bridge.journal.put(&step, journal::received(&event));
            event
        }
    }

    fn emit(
        &self,
        step: &StepId,
        event: CloudEvent,
    ) -> impl Future<Output = Result<CloudEvent, WorkflowError>> + Send {
        let step = step.clone();
        async move {
            if let Some(event) = self
                .bridge
                .journal
                .get(&step)
                .and_then(|s| journal::field(&s, "emitted").cloned())
            {
                return Ok(event);
            }
            let event = complete_emitted(
                event,
                || idempotency_key(&self.bridge.run_id, &step),
                self.bridge.now(),
            )?;
            self.ask(&step, Operation::Emit(event.clone())).await;
            self.bridge
                .journal
                .put(&step, json!({ "emitted": event.clone() }));
            Ok(event)
        }
    }

    fn now(&self, step: &StepId) -> impl Future<Output = i64> + Send {
        let now = self
            .bridge
            .journal
            .put_first(step, json!({ "now": self.bridge.now() }));
        let now = journal::field(&now, "now")
            .and_then(Value::as_i64)
            .unwrap_or_else(|| self.bridge.now());
        std::future::ready(now)
    }

    fn random(&self, step: &StepId) -> impl Future<Output = u64> + Send {
        // Spread by the execution's seed and the step; a continued run reads the journal.
        let key = idempotency_key(
            &format!("{}@{}", self.bridge.run_id, self.bridge.seed),
            step,
        );
        let fresh = u64::from_str_radix(&key[..16], 16).unwrap_or(self.bridge.seed);
        let stored = self
            .bridge
            .journal
            .put_first(step, json!({ "random": fresh }));
        let n = journal::field(&stored, "random")
            .and_then(Value::as_u64)
            .unwrap_or(fresh);
        std::future::ready(n)
    }

    fn child(
        &self,
        step: &StepId,
        flow: FlowRef,
        input: Value,
    ) -> impl Future<Output = Result<Value, WorkflowError>> + Send {
        let step = step.clone();
        async move {
            if let Some(stored) = self.bridge.journal.get(&step) {
                return journal::read_outcome(&stored);
            }
            let outcome = self.ask(&step, Operation::Child { flow, input }).await;
            self.bridge.journal.put(&step, outcome.clone());
            journal::read_outcome(&outcome)
        }
    }

    fn decide(&self, step: &StepId, proposed: Value) -> impl Future<Output = Value> + Send {
        let stored = self
            .bridge
            .journal
            .put_first(step, json!({ "decided": proposed }));
        std::future::ready(
            journal::field(&stored, "decided")
                .cloned()
                .unwrap_or(Value::Null),
        )
    }

    fn recorded(&self, step: &StepId) -> impl Future<Output = Option<Value>> + Send {
        let decided = self
            .bridge
            .journal
            .get(step)
            .and_then(|s| journal::field(&s, "decided").cloned());
        std::future::ready(decided)
    }

    fn observe(&self, event: TaskEvent) {
        self.bridge
            .log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(event);
    }
}
