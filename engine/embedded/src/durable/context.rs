//! [`SqliteContext`]: the [`Durable`] context of one run on the SQLite journal.
//!
//! **When a result is durable.** Every result is journaled before the flow sees it, but the
//! context does not wait for each write's fsync. It waits — a *barrier* — before anything
//! outside the run can depend on what the run has done so far: before a call of a function
//! with effects, before a child run starts, before an event is emitted, before a listen
//! starts waiting, and before the run's end is reported. A crash can therefore lose only
//! results of effect-free work after the last barrier, which the replay recomputes; a call
//! with effects that was in flight runs again with the same idempotency key. A timer's due
//! time is queued without a barrier: a crash before it is committed restarts the timer from
//! the replay's clock. Queued rows are *lazy*: the writer holds them (at most a few
//! milliseconds) for the next row someone waits for, and a barrier flushes them, so a run of
//! effect-free steps costs one commit at its end, not one per step.
//!
//! A journal write that fails (disk full, database busy) stops the run where it is: the
//! failure is reported by [`SqliteContext::drive`], the flow never sees it as a task error,
//! and the run can be driven again from its journal once the condition clears.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use serde_json::{Value, json};
use shopflow_core::{
    CallContext, CallRequest, CloudEvent, Durable, ErrorKind, EventMatcher, FlowRef,
    FunctionRegistry, RunOptions, RunStatus, StepId, TaskEvent, WorkflowError, complete_emitted,
    idempotency_key, run_workflow,
};
use shopflow_dsl::Workflow;
use tokio::sync::Notify;

use super::clock::{Clock, SystemClock};
use super::record;
use super::store::Store;
use crate::FlowCatalog;
use crate::journal::{Error, NewEvent, Pending, RunRecord, StatusChange};

/// Starts a detached child run (`run.workflow` with `await: false`) as a run of its own: the
/// engine hands its run scheduler in here; without one the child runs on a plain tokio task.
pub type Spawner = Arc<dyn Fn(SqliteContext, Arc<Workflow>, Value) + Send + Sync>;

/// Starts the runs of the flows whose `schedule.on` an emitted event completes (the engine's
/// triggers); starting again for the same event finds the runs already started.
pub type Triggers = Arc<dyn Fn(CloudEvent) -> BoxFuture<'static, Result<(), Error>> + Send + Sync>;

/// Told about every executed call, for metrics.
pub trait CallObserver: Send + Sync {
    /// A call of `function` in a run of `flow` ended after `elapsed`; `ok` unless it raised.
    fn call_done(&self, flow: &str, function: &str, ok: bool, elapsed: Duration);

    /// A durable timer fired `lateness` after it was due.
    fn timer_fired(&self, lateness: Duration) {
        let _ = lateness;
    }
}

/// How a drive ended: the run's own result, or a journal failure that stopped it.
pub type Driven = Result<Result<Value, WorkflowError>, Error>;

/// A durable context for one run, backed by the journal of a [`Store`].
///
/// Made with [`open`](Self::open), which loads what the run has journaled so far: driving
/// the flow again on it replays those steps and carries on from the first one missing.
#[derive(Clone)]
pub struct SqliteContext {
    run_id: String,
    flow: Arc<OnceLock<String>>,
    store: Arc<Store>,
    registry: FunctionRegistry,
    catalog: FlowCatalog,
    clock: Arc<dyn Clock>,
    steps: Arc<Mutex<BTreeMap<String, Value>>>,
    /// Writes queued since the last barrier (and failed ones, until reported).
    pending: Arc<Mutex<Vec<Shared<Pending>>>>,
    log: Option<Arc<Mutex<Vec<TaskEvent>>>>,
    failure: Arc<Failure>,
    waiting: Arc<AtomicUsize>,
    spawner: Option<Spawner>,
    triggers: Option<Triggers>,
    observer: Option<Arc<dyn CallObserver>>,
    secrets: Option<SecretSource>,
    /// The evictor, and how far away (ms) a timer's due time must be to offer the run.
    evictor: Option<(Evictor, i64)>,
    /// Calls, children and listens in progress: a run with any is never evicted.
    busy: Arc<AtomicUsize>,
}

/// Offered a run that is about to wait for a timer due at the given time (milliseconds since
/// the Unix epoch) with nothing else in progress. Returning `true` takes the run out of
/// memory: everything it journaled is durable by then, its task ends, and whoever accepted
/// drives it again from the journal when the timer is due.
pub type Evictor = Arc<dyn Fn(&str, i64) -> bool + Send + Sync>;

/// `$secrets` for a child run's flow (resolved when it is driven, never journaled).
pub type SecretSource = Arc<dyn Fn(&Workflow) -> Value + Send + Sync>;

/// The first journal failure of a run, and the wake-up for the drive that races it.
#[derive(Default)]
struct Failure {
    error: Mutex<Option<Error>>,
    raised: Notify,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Counts one of something in progress (a wait, a call) in a counter while alive.
struct Counted<'a>(&'a AtomicUsize);

impl<'a> Counted<'a> {
    fn start(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::AcqRel);
        Counted(count)
    }
}

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Writes queued without a barrier before old, committed ones are pruned.
const PRUNE_PENDING_AT: usize = 8;

impl SqliteContext {
    /// A context for run `run_id`, with its journaled steps loaded.
    pub fn open(
        store: Arc<Store>,
        run_id: &str,
        registry: FunctionRegistry,
        catalog: FlowCatalog,
    ) -> Result<Self, Error> {
        let steps = store.journal().load_steps(run_id)?;
        let ctx = Self::new_run(store, run_id, registry, catalog);
        *lock(&ctx.steps) = steps;
        Ok(ctx)
    }

    /// A context for a run id that has nothing journaled yet (a new run): no journal read.
    pub fn new_run(
        store: Arc<Store>,
        run_id: &str,
        registry: FunctionRegistry,
        catalog: FlowCatalog,
    ) -> Self {
        Self {
            run_id: run_id.to_owned(),
            flow: Arc::new(OnceLock::new()),
            store,
            registry,
            catalog,
            clock: Arc::new(SystemClock::new()),
            steps: Arc::new(Mutex::new(BTreeMap::new())),
            pending: Arc::new(Mutex::new(Vec::new())),
            log: Some(Arc::new(Mutex::new(Vec::new()))),
            failure: Arc::new(Failure::default()),
            waiting: Arc::new(AtomicUsize::new(0)),
            spawner: None,
            triggers: None,
            observer: None,
            secrets: None,
            evictor: None,
            busy: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Uses `clock` for the time and timers (a [`SystemClock`] unless set); child runs share it.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Starts detached children through `spawner`; child runs share it.
    pub fn with_spawner(mut self, spawner: Spawner) -> Self {
        self.spawner = Some(spawner);
        self
    }

    /// Hands emitted events to `triggers` once they are stored; child runs share it.
    pub fn with_triggers(mut self, triggers: Triggers) -> Self {
        self.triggers = Some(triggers);
        self
    }

    /// Reports executed calls to `observer`; child runs share it.
    pub fn with_observer(mut self, observer: Arc<dyn CallObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Offers timer waits longer than `after` to `evictor` (top-level runs only: an awaited
    /// child waits inside its parent's task).
    pub fn with_evictor(mut self, evictor: Evictor, after: Duration) -> Self {
        let after = i64::try_from(after.as_millis()).unwrap_or(i64::MAX);
        self.evictor = Some((evictor, after));
        self
    }

    /// Resolves `$secrets` for child runs' flows; child runs share it.
    pub fn with_secrets(mut self, secrets: SecretSource) -> Self {
        self.secrets = Some(secrets);
        self
    }

    /// Counts this run's waits in `waiting` (shared with whoever reports the run's status).
    pub fn with_waiting(mut self, waiting: Arc<AtomicUsize>) -> Self {
        self.waiting = waiting;
        self
    }

    /// Keeps no task log (a long-lived engine has no use for it).
    pub fn without_task_log(mut self) -> Self {
        self.log = None;
        self
    }

    /// The run id.
    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// Whether the run is waiting for a timer or an event now.
    pub fn is_waiting(&self) -> bool {
        self.waiting.load(Ordering::Acquire) > 0
    }

    /// Journals the run as started (durable when this returns); an already journaled run is
    /// left as it is. `parent` is the run awaiting this one as a child.
    pub async fn record(
        &self,
        wf: &Workflow,
        input: &Value,
        parent: Option<&str>,
    ) -> Result<(), Error> {
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
            parent: parent.map(str::to_owned),
        };
        match self.store.journal().record_run(&run).await {
            Ok(()) | Err(Error::RunExists { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Runs `wf` (already [`record`](Self::record)ed) to its end, replaying the journaled
    /// steps, and journals the final status. The outer error is a journal failure that
    /// stopped the run: nothing after the last barrier is lost, and driving it again later
    /// carries on from the journal.
    pub async fn drive(&self, wf: &Workflow, input: Value, secrets: Value) -> Driven {
        let d = &wf.document;
        let _ = self.flow.set(format!("{}/{}", d.namespace, d.name));
        let options = RunOptions {
            run_id: self.run_id.clone(),
            input,
            secrets,
            ..RunOptions::default()
        };
        let raised = async {
            loop {
                let raised = self.failure.raised.notified();
                if let Some(e) = lock(&self.failure.error).clone() {
                    return e;
                }
                raised.await;
            }
        };
        let result = tokio::select! {
            biased;
            e = raised => return Err(e),
            result = run_workflow(wf, self, options) => result,
        };
        if let Some(e) = lock(&self.failure.error).clone() {
            return Err(e);
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
        // Rows commit in queue order: the status row carries the run's queued step rows into
        // its commit, so once it is durable every step is too; the barrier after it only
        // reports a step row that failed on its own.
        match self.store.journal().set_status(&self.run_id, &change).await {
            // Cancelled while it ran: the cancellation stands.
            Ok(()) | Err(Error::RunEnded { .. }) => {}
            Err(e) => return Err(e),
        }
        self.barrier().await?;
        Ok(result)
    }

    /// [`record`](Self::record) and [`drive`](Self::drive) in one, with a journal failure
    /// reported as a `runtime` error (for callers that run one flow and stop).
    pub async fn run(
        &self,
        wf: &Workflow,
        input: Value,
        secrets: Value,
    ) -> Result<Value, WorkflowError> {
        self.record(wf, &input, None)
            .await
            .map_err(|e| record::journal_error("record the run", &e.to_string()))?;
        match self.drive(wf, input, secrets).await {
            Ok(result) => result,
            Err(e) => Err(record::journal_error("journal a step", &e.to_string())),
        }
    }

    /// The task log so far (not durable; empty without a task log).
    pub fn task_log(&self) -> Vec<TaskEvent> {
        self.log
            .as_ref()
            .map(|l| lock(l).clone())
            .unwrap_or_default()
    }

    /// Milliseconds since the Unix epoch, on the context's clock.
    fn clock_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    fn stored(&self, step: &StepId) -> Option<Value> {
        lock(&self.steps).get(step.as_str()).cloned()
    }

    /// Journals `result` for `step` without waiting for the commit and keeps it in memory; a
    /// failure to queue stops the run.
    async fn journal(&self, step: &StepId, result: Value) {
        match self
            .store
            .journal()
            .enqueue_step(&self.run_id, step, &result)
        {
            Ok(pending) => self.queued(pending),
            Err(e) => match self.fail(e).await {},
        }
        lock(&self.steps).insert(step.as_str().to_owned(), result);
    }

    fn queued(&self, pending: Pending) {
        let mut queue = lock(&self.pending);
        queue.push(pending.shared());
        if queue.len() >= PRUNE_PENDING_AT {
            // Committed writes need no more waiting; failed ones stay until a barrier reports
            // them. Polling a clone once (without waiting) is what tells a finished write.
            queue.retain(|p| !matches!(p.clone().now_or_never(), Some(Ok(()))));
        }
    }

    /// Waits until every write this run has queued is durable; a failed one stops the run.
    async fn barrier(&self) -> Result<(), Error> {
        let queued: Vec<Shared<Pending>> = lock(&self.pending).clone();
        if queued.iter().any(|w| w.clone().now_or_never().is_none()) {
            // Queued rows are lazy: a flush commits them now (rows commit in queue order).
            self.store.journal().flush().await?;
        }
        for write in &queued {
            write.clone().await?;
        }
        lock(&self.pending).retain(|p| !matches!(p.clone().now_or_never(), Some(Ok(()))));
        Ok(())
    }

    /// [`barrier`](Self::barrier) for operations that cannot report errors.
    async fn barrier_or_stop(&self) {
        if let Err(e) = self.barrier().await {
            match self.fail(e).await {}
        }
    }

    /// Stops the run on a journal failure: records it for [`drive`](Self::drive), which
    /// returns it, and never completes.
    async fn fail(&self, e: Error) -> Infallible {
        lock(&self.failure.error).get_or_insert(e);
        self.failure.raised.notify_waiters();
        std::future::pending().await
    }

    /// A context for the child run started by `step`, on the same store.
    fn child_context(&self, step: &StepId) -> Result<SqliteContext, Error> {
        let mut child = SqliteContext::open(
            Arc::clone(&self.store),
            &format!("{}/{}", self.run_id, step),
            self.registry.clone(),
            self.catalog.clone(),
        )?
        .with_clock(Arc::clone(&self.clock));
        child.spawner.clone_from(&self.spawner);
        child.triggers.clone_from(&self.triggers);
        child.waiting = Arc::clone(&self.waiting);
        child.busy = Arc::clone(&self.busy);
        child.observer.clone_from(&self.observer);
        child.secrets.clone_from(&self.secrets);
        if self.log.is_none() {
            child.log = None;
        }
        Ok(child)
    }

    /// Stores an emitted event in the inbox (a duplicate of an earlier emit is a no-op).
    async fn publish(&self, event: &CloudEvent) -> Result<(), Error> {
        let new = NewEvent::from_cloud_event(event, self.clock_ms());
        self.store.publish(&new).await?;
        // Like an event from outside, an emitted one starts the flows it triggers; on a replay
        // of the emit this finds the runs it started the first time (their ids come from the
        // event's id).
        match &self.triggers {
            Some(trigger) => trigger(event.clone()).await,
            None => Ok(()),
        }
    }

    async fn start_child(
        &self,
        step: &StepId,
        flow: &FlowRef,
        input: Value,
    ) -> Result<Value, WorkflowError> {
        let Some(wf) = self.catalog.get(flow) else {
            return Err(WorkflowError::new(ErrorKind::Configuration, "Unknown flow")
                .with_detail(format!(
                    "no flow {}/{}:{} is deployed",
                    flow.namespace, flow.name, flow.version
                ))
                .retryable(false));
        };
        self.barrier_or_stop().await;
        let child = match self.child_context(step) {
            Ok(child) => child,
            Err(e) => match self.fail(e).await {},
        };
        let parent = flow.wait.then_some(self.run_id.as_str());
        if let Err(e) = child.record(&wf, &input, parent).await {
            match self.fail(e).await {}
        }
        if !flow.wait {
            match &self.spawner {
                Some(spawn) => spawn(child, wf, input),
                None => {
                    tokio::spawn(async move {
                        let _ = child.drive(&wf, input, Value::Null).await;
                    });
                }
            }
            return Ok(Value::Null);
        }
        let secrets = self.secrets.as_ref().map_or(Value::Null, |s| s(&wf));
        match child.drive(&wf, input, secrets).await {
            Ok(result) => result,
            Err(e) => match self.fail(e).await {},
        }
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
            let _admitted = self.store.gate().admit().await;
            let _busy = Counted::start(&self.busy);
            if self.registry.has_effects(&request.function) {
                self.barrier_or_stop().await;
            }
            let ctx = CallContext {
                run_id: self.run_id.clone(),
                idempotency_key: idempotency_key(&self.run_id, &step),
                instance: request.instance.clone(),
            };
            let started = Instant::now();
            let result = self
                .registry
                .call(&request.function, ctx, request.args)
                .await;
            if let (Some(observer), Some(flow)) = (&self.observer, self.flow.get()) {
                observer.call_done(flow, &request.function, result.is_ok(), started.elapsed());
            }
            self.journal(&step, record::outcome(&result)).await;
            result
        }
    }

    fn sleep(&self, step: &StepId, duration: Duration) -> impl Future<Output = ()> + Send {
        let step = step.clone();
        async move {
            // A timer whose journaled due time has passed has fired: replays go straight on.
            let journaled = self
                .stored(&step)
                .and_then(|s| record::field(&s, "due_ms").and_then(Value::as_i64));
            let due = match journaled {
                Some(due) if due <= self.clock_ms() => return,
                Some(due) => due,
                None => {
                    let millis = i64::try_from(duration.as_millis()).unwrap_or(i64::MAX);
                    let due = self.clock_ms().saturating_add(millis);
                    self.journal(&step, json!({ "due_ms": due })).await;
                    due
                }
            };
            // The timers table lists pending timers for operators; the due time in the step
            // is what the replay reads. Queued, not waited for: nothing outside the run
            // depends on a timer having started.
            let journal = self.store.journal();
            match journal.enqueue_timer(&self.run_id, &step, due) {
                Ok(pending) => self.queued(pending),
                Err(e) => match self.fail(e).await {},
            }
            let waiting = Counted::start(&self.waiting);
            if let Some((evict, after)) = &self.evictor
                && due.saturating_sub(self.clock_ms()) > *after
                && self.busy.load(Ordering::Acquire) == 0
            {
                // Everything journaled so far must be on disk before the run leaves memory.
                self.barrier_or_stop().await;
                if self.busy.load(Ordering::Acquire) == 0 && evict(&self.run_id, due) {
                    return std::future::pending().await;
                }
            }
            self.clock.sleep_until(due).await;
            drop(waiting);
            if let Some(observer) = &self.observer {
                let late = u64::try_from(self.clock_ms().saturating_sub(due)).unwrap_or(0);
                observer.timer_fired(Duration::from_millis(late));
            }
            match journal.enqueue_remove_timer(&self.run_id, &step) {
                Ok(pending) => self.queued(pending),
                Err(e) => match self.fail(e).await {},
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
            let mut waiting = None;
            loop {
                let arrived = self.store.arrived();
                if let Some(event) = self.store.take_event(|e| matcher(e)) {
                    self.journal(&step, record::received(&event)).await;
                    return event;
                }
                if waiting.is_none() {
                    waiting = Some((Counted::start(&self.waiting), Counted::start(&self.busy)));
                    self.barrier_or_stop().await;
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
            if let Some(event) = self
                .stored(&step)
                .and_then(|s| record::field(&s, "emitted").cloned())
            {
                // The inbox insert may not have happened before a crash; a repeat is a no-op.
                if let Err(e) = self.publish(&event).await {
                    match self.fail(e).await {}
                }
                return Ok(event);
            }
            let event = complete_emitted(
                event,
                || idempotency_key(&self.run_id, &step),
                self.clock_ms(),
            )?;
            self.journal(&step, json!({ "emitted": event })).await;
            // Everything the run did before the emit is durable before anyone sees the event.
            self.barrier_or_stop().await;
            if let Err(e) = self.publish(&event).await {
                match self.fail(e).await {}
            }
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
            self.journal(&step, json!({ "now": now })).await;
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
            self.journal(&step, json!({ "random": n })).await;
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
            let busy = Counted::start(&this.busy);
            let result = this.start_child(&step, &flow, input).await;
            drop(busy);
            this.journal(&step, record::outcome(&result)).await;
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
            let entry = lock(&self.steps)
                .entry(step.as_str().to_owned())
                .or_insert_with(|| json!({ "decided": proposed }))
                .clone();
            self.journal(&step, entry.clone()).await;
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
        if let Some(log) = &self.log {
            lock(log).push(event);
        }
    }
}
