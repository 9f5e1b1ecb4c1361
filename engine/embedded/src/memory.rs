//! An in-memory durable context: results by StepId, real (or paused tokio) timers, an event
//! inbox that keeps events until a `listen` consumes them, and child runs of known flows.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures::future::BoxFuture;
use serde_json::Value;
use shopflow_core::{
    CallContext, CallRequest, CloudEvent, Durable, ErrorKind, EventMatcher, FlowRef,
    FunctionRegistry, RunOptions, StepId, TaskEvent, WorkflowError, complete_emitted,
    idempotency_key, run_workflow,
};
use shopflow_dsl::Workflow;
use tokio::sync::Notify;

/// The versions of one flow, lowest first.
type Versions = Vec<(semver_key::Key, Arc<Workflow>)>;

/// Flows a run may start as children (`run.workflow`), by namespace, name and version.
/// Clones share one catalog, so a flow deployed later is visible to every holder.
#[derive(Clone, Default)]
pub struct FlowCatalog {
    flows: Arc<std::sync::RwLock<BTreeMap<(String, String), Versions>>>,
}

mod semver_key {
    /// Orders versions by SemVer precedence (`1.10.0` after `1.9.0`, `1.0.0-rc1` before
    /// `1.0.0`); versions that are not SemVer sort after all SemVer ones, by their parts.
    #[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
    pub enum Key {
        SemVer(semver::Version),
        Other(Vec<(u64, String)>),
    }

    impl Key {
        pub fn new(v: &str) -> Self {
            match semver::Version::parse(v) {
                Ok(version) => Key::SemVer(version),
                Err(_) => Key::Other(
                    v.split(['.', '-', '+'])
                        .map(|p| (p.parse().unwrap_or(u64::MAX), p.to_owned()))
                        .collect(),
                ),
            }
        }
    }

    #[cfg(test)]
    mod tests {
        use super::Key;

        #[test]
        fn pre_releases_come_before_their_release() {
            assert!(Key::new("1.0.0-rc1") < Key::new("1.0.0"));
            assert!(Key::new("1.9.0") < Key::new("1.10.0"));
        }
    }
}

impl FlowCatalog {
    /// Adds a flow (replacing one with the same namespace, name and version).
    pub fn add(&self, wf: Arc<Workflow>) {
        let d = &wf.document;
        let mut flows = self.flows.write().unwrap_or_else(PoisonError::into_inner);
        let list = flows
            .entry((d.namespace.clone(), d.name.clone()))
            .or_default();
        list.retain(|(_, old)| old.document.version != d.version);
        list.push((semver_key::Key::new(&d.version), Arc::clone(&wf)));
        list.sort_by(|a, b| a.0.cmp(&b.0));
    }

    /// Every flow, each name's versions lowest first.
    pub fn all(&self) -> Vec<Arc<Workflow>> {
        let flows = self.flows.read().unwrap_or_else(PoisonError::into_inner);
        flows
            .values()
            .flat_map(|list| list.iter().map(|(_, wf)| Arc::clone(wf)))
            .collect()
    }

    /// The newest version of every flow.
    pub fn latest(&self) -> Vec<Arc<Workflow>> {
        let flows = self.flows.read().unwrap_or_else(PoisonError::into_inner);
        flows
            .values()
            .filter_map(|list| list.last().map(|(_, wf)| Arc::clone(wf)))
            .collect()
    }

    /// The flow a reference names; `latest` is the highest version.
    pub fn get(&self, flow: &FlowRef) -> Option<Arc<Workflow>> {
        let flows = self.flows.read().unwrap_or_else(PoisonError::into_inner);
        let list = flows.get(&(flow.namespace.clone(), flow.name.clone()))?;
        if flow.version == "latest" {
            return list.last().map(|(_, wf)| Arc::clone(wf));
        }
        list.iter()
            .find(|(_, wf)| wf.document.version == flow.version)
            .map(|(_, wf)| Arc::clone(wf))
    }
}

struct Shared {
    /// Wall-clock time when the context was made, and the runtime's instant then: `now` is
    /// their sum with the runtime's elapsed time, so it agrees with timers (also under tokio's
    /// paused clock in tests).
    epoch_ms: i64,
    started: tokio::time::Instant,
    registry: FunctionRegistry,
    catalog: FlowCatalog,
    inbox: Mutex<VecDeque<CloudEvent>>,
    arrived: Notify,
    emitted: Mutex<Vec<CloudEvent>>,
    log: Mutex<Vec<TaskEvent>>,
    sequence: Mutex<u64>,
}

/// A durable context that lives in memory for one run and its children.
#[derive(Clone)]
pub struct MemoryContext {
    run_id: String,
    shared: Arc<Shared>,
    decisions: Arc<Mutex<BTreeMap<StepId, Value>>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl MemoryContext {
    /// A context for run `run_id` with these functions and child flows.
    pub fn new(run_id: &str, registry: FunctionRegistry, catalog: FlowCatalog) -> Self {
        Self {
            run_id: run_id.to_owned(),
            shared: Arc::new(Shared {
                epoch_ms: chrono::Utc::now().timestamp_millis(),
                started: tokio::time::Instant::now(),
                registry,
                catalog,
                inbox: Mutex::new(VecDeque::new()),
                arrived: Notify::new(),
                emitted: Mutex::new(Vec::new()),
                log: Mutex::new(Vec::new()),
                sequence: Mutex::new(0),
            }),
            decisions: Arc::new(Mutex::new(BTreeMap::new())),
        }
    }

    /// Runs `wf` to the end on this context.
    pub async fn run(
        &self,
        wf: &Workflow,
        input: Value,
        secrets: Value,
    ) -> Result<Value, WorkflowError> {
        let options = RunOptions {
            run_id: self.run_id.clone(),
            input,
            secrets,
            ..RunOptions::default()
        };
        run_workflow(wf, self, options).await
    }

    /// Delivers an event to the run (kept until a `listen` consumes it).
    pub fn publish(&self, event: CloudEvent) {
        lock(&self.shared.inbox).push_back(event);
        self.shared.arrived.notify_waiters();
    }

    /// The task log so far.
    pub fn task_log(&self) -> Vec<TaskEvent> {
        lock(&self.shared.log).clone()
    }

    /// Events the run emitted.
    pub fn emitted(&self) -> Vec<CloudEvent> {
        lock(&self.shared.emitted).clone()
    }

    /// Milliseconds since the Unix epoch, on the runtime's clock.
    fn clock_ms(&self) -> i64 {
        let elapsed = i64::try_from(self.shared.started.elapsed().as_millis()).unwrap_or(i64::MAX);
        self.shared.epoch_ms.saturating_add(elapsed)
    }

    fn next_sequence(&self) -> u64 {
        let mut s = lock(&self.shared.sequence);
        *s += 1;
        *s
    }

    fn take_matching(&self, matcher: &EventMatcher) -> Option<CloudEvent> {
        let mut inbox = lock(&self.shared.inbox);
        let i = inbox.iter().position(|e| matcher(e))?;
        inbox.remove(i)
    }
}

impl Durable for MemoryContext {
    fn call(
        &self,
        step: &StepId,
        request: CallRequest,
    ) -> impl Future<Output = Result<Value, WorkflowError>> + Send {
        let ctx = CallContext {
            run_id: self.run_id.clone(),
            idempotency_key: idempotency_key(&self.run_id, step),
            instance: request.instance.clone(),
        };
        self.shared
            .registry
            .call(&request.function, ctx, request.args)
    }

    fn sleep(&self, _step: &StepId, duration: Duration) -> impl Future<Output = ()> + Send {
        tokio::time::sleep(duration)
    }

    fn next_event(
        &self,
        _step: &StepId,
        matcher: EventMatcher,
    ) -> impl Future<Output = CloudEvent> + Send {
        let this = self.clone();
        async move {
            loop {
                let notified = this.shared.arrived.notified();
                if let Some(e) = this.take_matching(&matcher) {
                    return e;
                }
                notified.await;
            }
        }
    }

    fn emit(
        &self,
        _step: &StepId,
        event: CloudEvent,
    ) -> impl Future<Output = Result<CloudEvent, WorkflowError>> + Send {
        let n = self.next_sequence();
        let result = complete_emitted(event, || format!("{}-{n}", self.run_id), self.clock_ms())
            .inspect(|event| {
                lock(&self.shared.emitted).push(event.clone());
                self.publish(event.clone());
            });
        std::future::ready(result)
    }

    fn now(&self, _step: &StepId) -> impl Future<Output = i64> + Send {
        std::future::ready(self.clock_ms())
    }

    fn random(&self, step: &StepId) -> impl Future<Output = u64> + Send {
        // Stable per step and run; good enough spread for jitter.
        let key = idempotency_key(&self.run_id, step);
        std::future::ready(u64::from_str_radix(&key[..16], 16).unwrap_or(0))
    }

    fn child(
        &self,
        step: &StepId,
        flow: FlowRef,
        input: Value,
    ) -> impl Future<Output = Result<Value, WorkflowError>> + Send {
        let found = self.shared.catalog.get(&flow);
        let child = MemoryContext {
            run_id: format!("{}/{}", self.run_id, step),
            shared: Arc::clone(&self.shared),
            decisions: Arc::new(Mutex::new(BTreeMap::new())),
        };
        let fut: BoxFuture<'static, Result<Value, WorkflowError>> = Box::pin(async move {
            let Some(wf) = found else {
                return Err(WorkflowError::new(ErrorKind::Configuration, "Unknown flow")
                    .with_detail(format!(
                        "no flow {}/{}:{} is deployed",
                        flow.namespace, flow.name, flow.version
                    ))
                    .retryable(false));
            };
            if flow.wait {
                child.run(&wf, input, Value::Null).await
            } else {
                tokio::spawn(async move {
                    let _ = child.run(&wf, input, Value::Null).await;
                });
                Ok(Value::Null)
            }
        });
        fut
    }

    fn decide(&self, step: &StepId, proposed: Value) -> impl Future<Output = Value> + Send {
        let v = lock(&self.decisions)
            .entry(step.clone())
            .or_insert(proposed)
            .clone();
        std::future::ready(v)
    }

    fn recorded(&self, step: &StepId) -> impl Future<Output = Option<Value>> + Send {
        std::future::ready(lock(&self.decisions).get(step).cloned())
    }

    fn observe(&self, event: TaskEvent) {
        lock(&self.shared.log).push(event);
    }
}
