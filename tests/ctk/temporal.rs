//! The scenarios' second backend: a run on a real Temporal dev server (started once for the
//! whole binary, `shopflow_temporal::dev_server`) with a worker of its own on a task queue of
//! its own, in the run's thread. The scenario talks to it as to an embedded run: events go in
//! as the envelope signal, "the run listens" is the `shopflow.status` query, cancellation is
//! Temporal's, and the task log comes back through the `shopflow.tasks` query.
//!
//! Time is real on Temporal (the dev server cannot skip it), so suites with `wait: PT1H` or
//! virtual-time checks run on the embedded backend only; see tests/ctk.rs.

use std::path::Path;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures::future::BoxFuture;
use serde_json::Value;
use shopflow_core::{RunOptions, StepId, TaskEvent, TaskStatus};
use shopflow_temporal::{Cluster, FlowCatalog, RunEnding, RunInput, Worker, WorkerConfig};
use tokio::sync::{mpsc, oneshot, watch};

use crate::functions;
use crate::world::{Ending, Outcome, Started};

/// Whether new scenarios run on Temporal (set by `main` around a suite).
static ON_TEMPORAL: AtomicBool = AtomicBool::new(false);

/// Runs the scenarios that start from now on on Temporal (`true`) or embedded.
pub fn select(on: bool) {
    ON_TEMPORAL.store(on, Ordering::Release);
}

/// Whether scenarios run on Temporal.
pub fn selected() -> bool {
    ON_TEMPORAL.load(Ordering::Acquire)
}

/// The dev server of this test binary, started on first use.
pub fn address() -> &'static str {
    static ADDRESS: OnceLock<String> = OnceLock::new();
    ADDRESS.get_or_init(|| {
        shopflow_temporal::dev_server::start(Path::new(env!("CARGO_MANIFEST_DIR")))
            .unwrap_or_else(|e| panic!("no Temporal for the conformance kit: {e}"))
    })
}

/// What a Temporal run is started from.
pub struct Start {
    /// The flow's YAML.
    pub definition: String,
    /// Flows `run.workflow` may start.
    pub subflows: Vec<String>,
    /// Run id, input, secrets and the task limit (which travels with the run).
    pub options: RunOptions,
    /// Events delivered right after the start.
    pub early: Vec<Value>,
}

/// The body of a Temporal run's thread: a runtime, a worker, the run, the outcome.
pub fn run_thread(
    start: Start,
    started: oneshot::Sender<Started>,
    cancel: oneshot::Receiver<()>,
    finished: oneshot::Sender<Outcome>,
) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime for the run");
    runtime.block_on(async move {
        let outcome = drive(start, started, cancel).await;
        let _ = finished.send(outcome);
    });
}

async fn drive(
    start: Start,
    started: oneshot::Sender<Started>,
    mut cancel: oneshot::Receiver<()>,
) -> Outcome {
    let cluster = Cluster::connect(address(), "default")
        .await
        .expect("the dev server accepts connections");
    let registry = functions::registry();
    let mut config = WorkerConfig::new(&format!("{}-q", start.options.run_id), registry);
    let secrets = start.options.secrets.clone();
    config.secrets = Arc::new(move |_: &[String]| secrets.clone());
    let catalog = FlowCatalog::new(
        config
            .registry
            .names()
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
    );
    config.catalog = catalog.clone();
    let flow = catalog
        .add(&start.definition)
        .expect("the definition loads");
    let flows = start
        .subflows
        .iter()
        .map(|s| catalog.add(s).expect("the sub-flow loads"))
        .collect();
    let queue = config.task_queue.clone();
    let run_id = start.options.run_id.clone();
    let mut worker = Worker::new(&cluster, config).expect("a worker");
    let shutdown = worker.shutdown_handle();
    let (listening_tx, listening) = watch::channel(0usize);
    let (remote, mut events) = mpsc::unbounded_channel::<Value>();
    let clock = std::time::Instant::now();
    let body = async {
        let input = RunInput {
            run_id: run_id.clone(),
            flow,
            flows,
            input: start.options.input.clone(),
            carried: None,
            max_task_executions: Some(start.options.limits.max_task_executions),
        };
        cluster.start(input, &queue).await.expect("the run starts");
        for event in start.early {
            cluster.publish(&run_id, event).await.expect("delivered");
        }
        let _ = started.send(Started {
            context: None,
            listening,
            remote: Some(remote),
        });
        let mut waiting = pin!(cluster.wait(&run_id));
        let mut poll = tokio::time::interval(Duration::from_millis(100));
        let mut cancel_answered = false;
        loop {
            tokio::select! {
                ending = &mut waiting => break ending.expect("the run's result"),
                Some(event) = events.recv() => {
                    // A scenario may publish more than the run takes: once the run has ended
                    // Temporal refuses the signal, as the embedded engine would keep the event
                    // for no one. Any other refusal fails the scenario.
                    if let Err(e) = cluster.publish(&run_id, event).await {
                        let ended = tokio::time::timeout(Duration::from_secs(5), cluster.wait(&run_id))
                            .await
                            .is_ok_and(|ending| ending.is_ok());
                        assert!(ended, "an event for the open run {run_id} was refused: {e}");
                    }
                }
                // A oneshot receiver must not be polled again once it has answered.
                asked = &mut cancel, if !cancel_answered => {
                    cancel_answered = true;
                    if asked.is_ok() {
                        cluster.cancel(&run_id).await.expect("cancelled");
                    }
                }
                _ = poll.tick() => {
                    if let Ok(n) = cluster.listening(&run_id).await {
                        listening_tx.send_replace(n);
                    }
                }
            }
        }
    };
    let mut running = pin!(worker.run());
    let ending = tokio::select! {
        ending = body => ending,
        stopped = &mut running => panic!("the worker stopped: {stopped:?}"),
    };
    let log = tokio::select! {
        log = log_with_children(&cluster, run_id.clone()) => log,
        stopped = &mut running => panic!("the worker stopped: {stopped:?}"),
    };
    shutdown();
    let _ = tokio::time::timeout(Duration::from_secs(20), running).await;
    Outcome {
        ending: match ending {
            RunEnding::Completed(v) => Ending::Completed(v),
            RunEnding::Faulted(e) => Ending::Faulted(e),
            RunEnding::Cancelled => Ending::Cancelled,
            RunEnding::Ended(how) => panic!("Temporal ended the run: {how}"),
        },
        log: log.iter().filter_map(task_event).collect(),
        elapsed: clock.elapsed(),
        paused: false,
    }
}

/// The run's task log with each child run's log spliced in after the task that started it
/// (a child is the workflow `RUN_ID/STEP`), as the embedded engine logs children in place.
fn log_with_children(cluster: &Cluster, run_id: String) -> BoxFuture<'_, Vec<Value>> {
    Box::pin(async move {
        let mut log = Vec::new();
        for entry in cluster.tasks(&run_id).await.unwrap_or_default() {
            let child = (entry["status"] == "started")
                .then(|| {
                    entry["step"]
                        .as_str()
                        .map(|step| format!("{run_id}/{step}"))
                })
                .flatten();
            log.push(entry);
            if let Some(child) = child {
                log.extend(log_with_children(cluster, child).await);
            }
        }
        log
    })
}

/// One entry of the `shopflow.tasks` query as a task event.
fn task_event(entry: &Value) -> Option<TaskEvent> {
    let status = match entry["status"].as_str()? {
        "started" => TaskStatus::Started,
        "skipped" => TaskStatus::Skipped,
        "completed" => TaskStatus::Completed,
        "faulted" => TaskStatus::Faulted,
        "cancelled" => TaskStatus::Cancelled,
        _ => return None,
    };
    Some(TaskEvent {
        name: entry["name"].as_str()?.to_owned(),
        step: StepId::from_raw(entry["step"].as_str()?),
        status,
        detail: entry.get("detail").filter(|d| !d.is_null()).cloned(),
    })
}
