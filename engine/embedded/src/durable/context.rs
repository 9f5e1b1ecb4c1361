//! [`SqliteContext`]: the [`Durable`] context of one run on the SQLite journal. Every result
//! is journaled (durable) before the flow sees it; a step found in the journal is returned
//! without doing the work again.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures::future::BoxFuture;
use serde_json::{Value, json};
use shopflow_core::{
    CallContext, CallRequest, CloudEvent, Durable, ErrorKind, EventMatcher, FlowRef,
    FunctionRegistry, RunOptions, RunStatus, StepId, TaskEvent, WorkflowError, idempotency_key,
    run_workflow,
};
use shopflow_dsl::Workflow;

use super::clock::{Clock, SystemClock};
use super::record;
use super::store::Store;
use crate::FlowCatalog;
use crate::journal::{Error, NewEvent, RunRecord, StatusChange};

/// A durable context for one run, backed by the journal of a [`Store`].
///
/// Made with [`open`](Self::open), which loads what the run has journaled so far: running
/// the flow again on it replays those steps and carries on from the first one missing.
#[derive(Clone)]
pub struct SqliteContext {
    run_id: String,
    store: Arc<Store>,
    registry: FunctionRegistry,
    catalog: FlowCatalog,
    clock: Arc<dyn Clock>,
    steps: Arc<Mutex<BTreeMap<String, Value>>>,
    log: Arc<Mutex<Vec<TaskEvent>>>,
    /// The first journal write that failed in an operation that cannot report errors; the run
    /// then ends with an error instead of completing undurably.
    failure: Arc<Mutex<Option<String>>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl SqliteContext {
    /// A context for run `run_id`, with its journaled steps loaded.
    pub fn open(
        store: Arc<Store>,
        run_id: &str,
        registry: FunctionRegistry,
        catalog: FlowCatalog,
    ) -> Result<Self, Error> {
        let steps = store.journal().load_steps(run_id)?;
        Ok(Self {
            run_id: run_id.to_owned(),
            store,
            registry,
            catalog,
            clock: Arc::new(SystemClock::new()),
            steps: Arc::new(Mutex::new(steps)),
            log: Arc::new(Mutex::new(Vec::new())),
            failure: Arc::new(Mutex::new(None)),
        })
    }

    /// Uses `clock` for the time and timers (a [`SystemClock`] unless set); child runs share it.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The run id.
    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// Runs `wf` to the end on this context: journals the run (once), replays its journaled
    /// steps, and journals its final status.
    pub async fn run(
        &self,
        wf: &Workflow,
        input: Value,
        secrets: Value,
    ) -> Result<Value, WorkflowError> {
        let d = &wf.document;
        let now = self.clock_ms();
        let run = RunRecord {
            id: self.run_id.clone(),
            flow: format!("{}/{}", d.namespace, d.name),
            version: d.version.clone(),
            status: RunStatus::Running,
            input: input.clone(),
            output: None,
            error: None,
            created_ms: now,
            updated_ms: now,
        };
        match self.store.journal().record_run(&run).await {
            Ok(()) | Err(Error::RunExists { .. }) => {}
            Err(e) => return Err(record::journal_error("record the run", &e.to_string())),
        }
        let options = RunOptions {
            run_id: self.run_id.clone(),
            input,
            secrets,
            ..RunOptions::default()
        };
        let result = run_workflow(wf, self, options).await;
        if let Some(failure) = lock(&self.failure).clone() {
            return Err(record::journal_error("journal a step", &failure));
        }
        let change = match &result {
            Ok(output) => StatusChange {
                status: RunStatus::Completed,
                output: Some(output.clone()),
                error: None,
                at_ms: self.clock_ms(),
            },
            Err(e) => StatusChange {
                status: RunStatus::Faulted,
                output: None,
                error: Some(serde_json::to_value(e).unwrap_or(Value::Null)),
                at_ms: self.clock_ms(),
            },
        };
        self.store
            .journal()
            .set_status(&self.run_id, &change)
            .await
            .map_err(|e| record::journal_error("record the run's end", &e.to_string()))?;
        result
    }

    /// The task log so far (not durable).
    pub fn task_log(&self) -> Vec<TaskEvent> {
        lock(&self.log).clone()
    }

    /// Milliseconds since the Unix epoch, on the context's clock.
    fn clock_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    fn stored(&self, step: &StepId) -> Option<Value> {
        lock(&self.steps).get(step.as_str()).cloned()
    }

    /// Journals `result` for `step` (durable when this returns) and keeps it in memory.
    async fn journal(&self, step: &StepId, result: Value) -> Result<(), Error> {
        self.store
            .journal()
            .record_step(&self.run_id, step, &result)
            .await?;
        lock(&self.steps).insert(step.as_str().to_owned(), result);
        Ok(())
    }

    /// Journals `result` for an operation that cannot report errors; a failure ends the run.
    async fn journal_or_note(&self, step: &StepId, result: Value) {
        if let Err(e) = self.journal(step, result).await {
            self.note_failure(&e);
        }
    }

    fn note_failure(&self, e: &Error) {
        lock(&self.failure).get_or_insert_with(|| e.to_string());
    }

    /// A context for the child run started by `step`, on the same store.
    fn child_context(&self, step: &StepId) -> Result<SqliteContext, Error> {
        let child = SqliteContext::open(
            Arc::clone(&self.store),
            &format!("{}/{}", self.run_id, step),
            self.registry.clone(),
            self.catalog.clone(),
        )?;
        Ok(child.with_clock(Arc::clone(&self.clock)))
    }

    /// Stores an emitted event in the inbox (a duplicate of an earlier emit is a no-op).
    async fn publish(&self, event: &CloudEvent) -> Result<(), Error> {
        let text = |name: &str| event.get(name).and_then(Value::as_str).map(str::to_owned);
        let new = NewEvent {
            id: text("id").unwrap_or_default(),
            kind: text("type").unwrap_or_default(),
            subject: text("subject"),
            body: event.clone(),
            received_ms: self.clock_ms(),
        };
        self.store.publish(&new).await.map(|_| ())
    }
}

impl Durable for SqliteContext {
    fn call(
        &self,
        step: &StepId,
        request: CallRequest,
    ) -> impl Future<Output = Result<Value, WorkflowError>> + Send {
        let step = step.clone();
        async move {
            if let Some(stored) = self.stored(&step) {
                return record::read_outcome(&stored);
            }
            let ctx = CallContext {
                run_id: self.run_id.clone(),
                idempotency_key: idempotency_key(&self.run_id, &step),
                instance: request.instance.clone(),
            };
            let result = self
                .registry
                .call(&request.function, ctx, request.args)
                .await;
            self.journal(&step, record::outcome(&result))
                .await
                .map_err(|e| record::journal_error("journal a call result", &e.to_string()))?;
            result
        }
    }

    fn sleep(&self, step: &StepId, duration: Duration) -> impl Future<Output = ()> + Send {
        let step = step.clone();
        async move {
            let fired = record::fired_step(&step);
            if self.stored(&fired).is_some() {
                return;
            }
            let journaled = self
                .stored(&step)
                .and_then(|s| record::field(&s, "due_ms").and_then(Value::as_i64));
            let due = match journaled {
                Some(due) => due,
                None => {
                    let millis = i64::try_from(duration.as_millis()).unwrap_or(i64::MAX);
                    let due = self.clock_ms().saturating_add(millis);
                    self.journal_or_note(&step, json!({ "due_ms": due })).await;
                    due
                }
            };
            // Also after a restart: the timer row may not have been written before the crash.
            if let Err(e) = self
                .store
                .journal()
                .add_timer(&self.run_id, &step, due)
                .await
            {
                self.note_failure(&e);
            }
            self.clock.sleep_until(due).await;
            self.journal_or_note(&fired, json!({ "fired": true })).await;
            if let Err(e) = self.store.journal().remove_timer(&self.run_id, &step).await {
                self.note_failure(&e);
            }
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
                .stored(&step)
                .and_then(|s| record::field(&s, "received").cloned())
            {
                return event;
            }
            loop {
                let arrived = self.store.arrived();
                {
                    let _claim = self.store.claim().await;
                    match self.store.unconsumed_events() {
                        Ok(events) => {
                            if let Some(event) = events.into_iter().find(|e| matcher(e)) {
                                self.journal_or_note(&step, record::received(&event)).await;
                                return event;
                            }
                        }
                        Err(e) => self.note_failure(&e),
                    }
                }
                arrived.await;
            }
        }
    }

    fn emit(
        &self,
        step: &StepId,
        event: CloudEvent,
    ) -> impl Future<Output = Result<CloudEvent, WorkflowError>> + Send {
        let step = step.clone();
        async move {
            let fail = |e: Error| record::journal_error("journal an emitted event", &e.to_string());
            if let Some(event) = self
                .stored(&step)
                .and_then(|s| record::field(&s, "emitted").cloned())
            {
                // The inbox insert may not have happened before a crash; a repeat is a no-op.
                self.publish(&event).await.map_err(fail)?;
                return Ok(event);
            }
            let mut event = event;
            let Some(e) = event.as_object_mut() else {
                return Err(WorkflowError::new(ErrorKind::Validation, "Invalid event")
                    .with_detail("an emitted event must be an object of CloudEvent attributes")
                    .retryable(false));
            };
            e.entry("specversion").or_insert_with(|| json!("1.0"));
            e.entry("id")
                .or_insert_with(|| json!(idempotency_key(&self.run_id, &step)));
            e.entry("source").or_insert_with(|| json!("shopflow"));
            let time = chrono::DateTime::from_timestamp_millis(self.clock_ms())
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
                .unwrap_or_default();
            e.entry("time").or_insert_with(|| json!(time));
            self.journal(&step, json!({ "emitted": event }))
                .await
                .map_err(fail)?;
            self.publish(&event).await.map_err(fail)?;
            Ok(event)
        }
    }

    fn now(&self, step: &StepId) -> impl Future<Output = i64> + Send {
        let step = step.clone();
        async move {
            if let Some(now) = self
                .stored(&step)
                .and_then(|s| record::field(&s, "now").and_then(Value::as_i64))
            {
                return now;
            }
            let now = self.clock_ms();
            self.journal_or_note(&step, json!({ "now": now })).await;
            now
        }
    }

    fn random(&self, step: &StepId) -> impl Future<Output = u64> + Send {
        let step = step.clone();
        async move {
            if let Some(n) = self
                .stored(&step)
                .and_then(|s| record::field(&s, "random").and_then(Value::as_u64))
            {
                return n;
            }
            // Spread by run, step and time; replays read the journaled value.
            let key = idempotency_key(&format!("{}@{}", self.run_id, self.clock_ms()), &step);
            let n = u64::from_str_radix(&key[..16], 16).unwrap_or(0);
            self.journal_or_note(&step, json!({ "random": n })).await;
            n
        }
    }

    fn child(
        &self,
        step: &StepId,
        flow: FlowRef,
        input: Value,
    ) -> impl Future<Output = Result<Value, WorkflowError>> + Send {
        let this = self.clone();
        let step = step.clone();
        let fut: BoxFuture<'static, Result<Value, WorkflowError>> = Box::pin(async move {
            if let Some(stored) = this.stored(&step) {
                return record::read_outcome(&stored);
            }
            let Some(wf) = this.catalog.get(&flow) else {
                return Err(WorkflowError::new(ErrorKind::Configuration, "Unknown flow")
                    .with_detail(format!(
                        "no flow {}/{}:{} is deployed",
                        flow.namespace, flow.name, flow.version
                    ))
                    .retryable(false));
            };
            let child = this
                .child_context(&step)
                .map_err(|e| record::journal_error("load the child run", &e.to_string()))?;
            let result = if flow.wait {
                child.run(&wf, input, Value::Null).await
            } else {
                tokio::spawn(async move {
                    let _ = child.run(&wf, input, Value::Null).await;
                });
                Ok(Value::Null)
            };
            this.journal(&step, record::outcome(&result))
                .await
                .map_err(|e| record::journal_error("journal a child run", &e.to_string()))?;
            result
        });
        fut
    }

    fn decide(&self, step: &StepId, proposed: Value) -> impl Future<Output = Value> + Send {
        let step = step.clone();
        async move {
            let existing = lock(&self.steps).get(step.as_str()).cloned();
            if let Some(decided) = existing.and_then(|s| record::field(&s, "decided").cloned()) {
                return decided;
            }
            // First value wins: keep it in memory before journaling so a concurrent branch
            // deciding the same step sees it.
            lock(&self.steps)
                .entry(step.as_str().to_owned())
                .or_insert_with(|| json!({ "decided": proposed }));
            let entry = self.stored(&step).unwrap_or(Value::Null);
            self.journal_or_note(&step, entry.clone()).await;
            record::field(&entry, "decided")
                .cloned()
                .unwrap_or(Value::Null)
        }
    }

    fn recorded(&self, step: &StepId) -> impl Future<Output = Option<Value>> + Send {
        let decided = self
            .stored(step)
            .and_then(|s| record::field(&s, "decided").cloned());
        std::future::ready(decided)
    }

    fn observe(&self, event: TaskEvent) {
        lock(&self.log).push(event);
    }
}
