//! One scenario's state: the definition and input it arranges, and the run it starts.
//!
//! Each run gets its own OS thread with a current-thread tokio runtime. Runs that do not talk to
//! the local HTTP services use a paused clock (`start_paused`), so `wait: PT1H`, retry delays
//! and timeouts pass instantly in virtual time and the scenario can check how much virtual time
//! went by. Runs that do HTTP keep the real clock: a paused runtime advances its clock whenever
//! it is idle, which would fire client timeouts while a request is merely in flight.
//!
//! When `temporal::select(true)` is in force, runs go to a Temporal dev server instead (see
//! `temporal.rs`); the steps see the same run either way.

use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use cucumber::World;
use serde_json::{Value, json};
use shopflow_core::{Limits, RunOptions, TaskEvent, TaskStatus, WorkflowError, run_workflow};
use shopflow_dsl::Workflow;
use shopflow_embedded::{FlowCatalog, MemoryContext};
use tokio::sync::{mpsc, oneshot, watch};

use crate::functions;
use crate::local_services::LocalServices;
use crate::probe::Probe;
use crate::temporal;

/// The local services, started once by `main` before any scenario runs.
pub static SERVICES: OnceLock<LocalServices> = OnceLock::new();

/// How long (real time) a scenario waits for its run to reach a point or to end before it
/// fails: a guard against a hung run, never a way to let time pass.
const GUARD: Duration = Duration::from_secs(60);

/// How a run ended.
#[derive(Debug, Clone)]
pub enum Ending {
    /// It completed with this output.
    Completed(Value),
    /// It faulted with this error.
    Faulted(WorkflowError),
    /// The scenario cancelled it.
    Cancelled,
}

/// What a finished run left behind.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// How it ended.
    pub ending: Ending,
    /// The task log (started, skipped, completed, faulted, cancelled), in order.
    pub log: Vec<TaskEvent>,
    /// Time that passed on the run's clock (virtual when `paused`).
    pub elapsed: Duration,
    /// Whether the run's clock was tokio's paused clock.
    pub paused: bool,
}

impl Outcome {
    /// The names of the tasks in the order they started.
    pub fn started(&self) -> Vec<&str> {
        self.with_status(TaskStatus::Started)
            .map(|e| e.name.as_str())
            .collect()
    }

    /// The log entries with `status`.
    pub fn with_status(&self, status: TaskStatus) -> impl Iterator<Item = &TaskEvent> {
        self.log.iter().filter(move |e| e.status == status)
    }

    /// The log entries of task `name`.
    pub fn of_task<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s TaskEvent> {
        self.log.iter().filter(move |e| e.name == name)
    }

    /// The output, or a panic that shows how the run really ended.
    pub fn output(&self) -> &Value {
        match &self.ending {
            Ending::Completed(v) => v,
            other => panic!("the workflow did not complete: {}", describe(other)),
        }
    }

    /// The log, one line a task event, for failure messages.
    pub fn log_text(&self) -> String {
        self.log
            .iter()
            .map(|e| {
                format!(
                    "  {:?} {} ({}){}",
                    e.status,
                    e.name,
                    e.step,
                    e.detail
                        .as_ref()
                        .map(|d| format!(" {d}"))
                        .unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// An ending in words, for failure messages.
pub fn describe(ending: &Ending) -> String {
    match ending {
        Ending::Completed(v) => format!("it completed with {v}"),
        Ending::Faulted(e) => format!("it faulted with {}", e.to_json()),
        Ending::Cancelled => "it was cancelled".to_owned(),
    }
}

/// What a run's thread hands the scenario once the run is under way.
pub struct Started {
    /// The embedded run's context (events go in here, the task log comes out).
    pub context: Option<MemoryContext>,
    /// How many `listen`s wait for an event.
    pub listening: watch::Receiver<usize>,
    /// Where a Temporal run takes events.
    pub remote: Option<mpsc::UnboundedSender<Value>>,
}

/// A run in progress (or finished) on its own thread.
struct Run {
    id: String,
    context: Option<MemoryContext>,
    remote: Option<mpsc::UnboundedSender<Value>>,
    listening: watch::Receiver<usize>,
    cancel: Option<oneshot::Sender<()>>,
    finished: Option<oneshot::Receiver<Outcome>>,
    outcome: Option<Outcome>,
}

impl Drop for Run {
    fn drop(&mut self) {
        // A run the scenario abandoned (a failed step) must not keep its thread forever.
        if let Some(cancel) = self.cancel.take() {
            let _ = cancel.send(());
        }
    }
}

/// The state of one scenario.
#[derive(World)]
#[world(init = Self::new)]
pub struct FlowWorld {
    services: LocalServices,
    definition: Option<String>,
    input: Value,
    secrets: Value,
    subflows: Vec<String>,
    early_events: Vec<Value>,
    step_limit: Option<u64>,
    events_published: u64,
    run: Option<Run>,
}

impl fmt::Debug for FlowWorld {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FlowWorld")
            .field("definition", &self.definition)
            .field("input", &self.input)
            .field("subflows", &self.subflows.len())
            .field(
                "outcome",
                &self
                    .run
                    .as_ref()
                    .and_then(|r| r.outcome.as_ref())
                    .map(|o| describe(&o.ending)),
            )
            .finish_non_exhaustive()
    }
}

impl FlowWorld {
    fn new() -> Self {
        Self {
            services: SERVICES
                .get()
                .cloned()
                .expect("main starts the local services before the scenarios"),
            definition: None,
            input: Value::Null,
            secrets: json!({}),
            subflows: Vec::new(),
            early_events: Vec::new(),
            step_limit: None,
            events_published: 0,
            run: None,
        }
    }

    /// Sets the definition under test.
    pub fn set_definition(&mut self, yaml: &str) {
        self.definition = Some(self.services.rewrite(yaml));
    }

    /// Sets the workflow input.
    pub fn set_input(&mut self, input: Value) {
        self.input = input;
    }

    /// Sets the values of the flow's secrets.
    pub fn set_secrets(&mut self, secrets: Value) {
        self.secrets = secrets;
    }

    /// Adds a flow the run may start with `run.workflow`.
    pub fn add_subflow(&mut self, yaml: &str) {
        self.subflows.push(self.services.rewrite(yaml));
    }

    /// Limits the number of task executions of the run.
    pub fn set_step_limit(&mut self, limit: u64) {
        self.step_limit = Some(limit);
    }

    /// Queues an event that is delivered before the run starts.
    pub fn publish_before_start(&mut self, event: Value) {
        let event = self.complete_event(event);
        self.early_events.push(event);
    }

    /// Fills the CloudEvent attributes a test leaves out (`specversion`, `id`, `source`).
    fn complete_event(&mut self, mut event: Value) -> Value {
        self.events_published += 1;
        if let Some(e) = event.as_object_mut() {
            e.entry("specversion").or_insert_with(|| json!("1.0"));
            e.entry("id")
                .or_insert_with(|| json!(format!("ctk-event-{}", self.events_published)));
            e.entry("source")
                .or_insert_with(|| json!("urn:shopflow:ctk"));
        }
        event
    }

    /// The run's id (the seed of its idempotency keys).
    pub fn run_id(&self) -> &str {
        self.run
            .as_ref()
            .map(|r| r.id.as_str())
            .expect("the workflow has not been executed")
    }

    /// Loads the definitions and starts the run on its own thread; returns once it is running.
    pub async fn execute(&mut self) {
        let definition = self
            .definition
            .clone()
            .expect("no workflow definition was given");
        let names = functions::registry()
            .names()
            .into_iter()
            .map(str::to_owned)
            .collect::<Vec<_>>();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let workflow = load(&definition, &names);
        let catalog = FlowCatalog::default();
        for sub in &self.subflows {
            catalog.add(Arc::new(load(sub, &names)));
        }
        // Runs that reach the local services keep the real clock (see the module docs).
        let paused = !definition.contains(&self.services.base);
        let on_temporal = temporal::selected();
        let id = if on_temporal {
            static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
            let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            format!("ctk-{}-{}-{n}", workflow.document.name, std::process::id())
        } else {
            format!("ctk-{}", workflow.document.name)
        };
        let options = RunOptions {
            run_id: id.clone(),
            input: self.input.clone(),
            secrets: self.secrets.clone(),
            limits: self.step_limit.map_or_else(Limits::default, |max| Limits {
                max_task_executions: max,
            }),
        };
        let early = std::mem::take(&mut self.early_events);
        let (started_tx, started_rx) = oneshot::channel();
        let (cancel_tx, cancel_rx) = oneshot::channel();
        let (finished_tx, finished_rx) = oneshot::channel();
        let thread = std::thread::Builder::new().name(format!("run {id}"));
        let spawned = if on_temporal {
            let start = temporal::Start {
                definition,
                subflows: self.subflows.clone(),
                options,
                early,
            };
            thread.spawn(move || temporal::run_thread(start, started_tx, cancel_rx, finished_tx))
        } else {
            thread.spawn(move || {
                run_thread(
                    workflow,
                    catalog,
                    options,
                    early,
                    paused,
                    started_tx,
                    cancel_rx,
                    finished_tx,
                )
            })
        };
        spawned.expect("a thread for the run");
        let started = started_rx.await.expect("the run thread starts");
        self.run = Some(Run {
            id,
            context: started.context,
            remote: started.remote,
            listening: started.listening,
            cancel: Some(cancel_tx),
            finished: Some(finished_rx),
            outcome: None,
        });
    }

    fn run_mut(&mut self) -> &mut Run {
        self.run
            .as_mut()
            .expect("the workflow has not been executed")
    }

    /// Waits until the run is waiting for an event.
    pub async fn until_listening(&mut self) {
        let run = self.run_mut();
        let waiting = run.listening.wait_for(|n| *n > 0);
        match tokio::time::timeout(GUARD, waiting).await {
            Ok(Ok(_)) => {}
            Ok(Err(_)) => panic!("the run ended without waiting for an event"),
            Err(_) => panic!("the run did not start listening within {GUARD:?}"),
        }
    }

    /// Delivers `event` to the running flow.
    pub fn publish(&mut self, event: Value) {
        let event = self.complete_event(event);
        let run = self.run_mut();
        if let Some(context) = &run.context {
            context.publish(event);
        } else if let Some(remote) = &run.remote {
            let _ = remote.send(event);
        }
    }

    /// Cancels the run.
    pub fn cancel(&mut self) {
        if let Some(cancel) = self.run_mut().cancel.take() {
            let _ = cancel.send(());
        }
    }

    /// Waits for the run to end and returns what it left.
    pub async fn outcome(&mut self) -> &Outcome {
        let run = self.run_mut();
        if run.outcome.is_none() {
            let finished = run
                .finished
                .take()
                .expect("the run's outcome is awaited once");
            let outcome = match tokio::time::timeout(GUARD, finished).await {
                Ok(Ok(outcome)) => outcome,
                Ok(Err(_)) => panic!("the run's thread died (a panic in the engine?)"),
                Err(_) => {
                    let log = run
                        .context
                        .as_ref()
                        .map(MemoryContext::task_log)
                        .unwrap_or_default();
                    let text = log
                        .iter()
                        .map(|e| format!("  {:?} {}", e.status, e.name))
                        .collect::<Vec<_>>()
                        .join("\n");
                    panic!(
                        "the run did not end within {GUARD:?} of real time; task log so far:\n{text}"
                    )
                }
            };
            run.outcome = Some(outcome);
        }
        run.outcome.as_ref().expect("set above")
    }
}

/// Loads and validates a definition or fails the scenario with the diagnostics.
fn load(definition: &str, builtins: &[&str]) -> Workflow {
    match shopflow_dsl::load(definition.as_bytes(), builtins) {
        Ok(loaded) => loaded.workflow,
        Err(diagnostics) => {
            let text = diagnostics
                .iter()
                .map(|d| format!("  {d:?}"))
                .collect::<Vec<_>>()
                .join("\n");
            panic!("the definition does not load:\n{text}\n---\n{definition}")
        }
    }
}

/// The body of a run's thread: a fresh runtime, the context, the run, the outcome.
#[allow(
    clippy::too_many_arguments,
    reason = "the thread's whole hand-over from the scenario, used once"
)]
fn run_thread(
    workflow: Workflow,
    catalog: FlowCatalog,
    options: RunOptions,
    early: Vec<Value>,
    paused: bool,
    started: oneshot::Sender<Started>,
    mut cancel: oneshot::Receiver<()>,
    finished: oneshot::Sender<Outcome>,
) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(paused)
        .build()
        .expect("a runtime for the run");
    runtime.block_on(async move {
        // The registry is made here so HTTP clients live on this run's runtime.
        let context = MemoryContext::new(&options.run_id, functions::registry(), catalog);
        for event in early {
            context.publish(event);
        }
        let probe = Probe::new(context.clone());
        let handed = Started {
            context: Some(context.clone()),
            listening: probe.listening(),
            remote: None,
        };
        if started.send(handed).is_err() {
            return;
        }
        let clock = tokio::time::Instant::now();
        let ending = tokio::select! {
            result = run_workflow(&workflow, &probe, options) => match result {
                Ok(output) => Ending::Completed(output),
                Err(error) => Ending::Faulted(error),
            },
            Ok(()) = &mut cancel => Ending::Cancelled,
        };
        let outcome = Outcome {
            ending,
            log: context.task_log(),
            elapsed: clock.elapsed(),
            paused,
        };
        let _ = finished.send(outcome);
    });
}
