//! shopflow serving on a Temporal cluster: the engine opened as the control plane (flows, the
//! event journal, schedules and triggers, tokens) whose runs start on the cluster
//! ([`TemporalRuns`]), and a worker inside the serving process, on a thread of its own, that
//! runs the flows with every function of this shopflow. Its runs' emits go through the serve's
//! intake, so they start `schedule.on` flows as on the embedded engine.

use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use shopflow_core::FunctionRegistry;
use shopflow_embedded::{Engine, EngineOptions};
use shopflow_server::backend::{TemporalLauncher, TemporalRuns};
use shopflow_temporal::{ActivityPolicy, Cluster, SecretLookup, Worker, WorkerConfig};

/// Where on Temporal a shopflow serves.
#[derive(Debug, Clone)]
pub struct TemporalTarget {
    /// The frontend, `HOST:PORT`.
    pub address: String,
    /// The namespace.
    pub namespace: String,
    /// The task queue runs start on (and the worker inside serve polls).
    pub task_queue: String,
}

/// What the worker inside a serving process is given besides its functions.
#[derive(Clone)]
pub struct InProcessWorker {
    /// `$secrets` values by name.
    pub secrets: SecretLookup,
    /// Activity timeouts and retries.
    pub policy: ActivityPolicy,
}

impl Default for InProcessWorker {
    /// No secrets, the default activity policy.
    fn default() -> Self {
        Self {
            secrets: Arc::new(|_: &[String]| serde_json::Value::Object(serde_json::Map::new())),
            policy: ActivityPolicy::default(),
        }
    }
}

/// How long the in-process worker gives calls in flight when it stops.
const WORKER_GRACE: Duration = Duration::from_secs(15);

/// Connects to the cluster; the error names the address (`cannot reach Temporal at …`).
pub async fn connect(target: &TemporalTarget) -> Result<Cluster, String> {
    Cluster::connect(&target.address, &target.namespace)
        .await
        .map_err(|e| e.to_string())
}

/// `options` with runs handed to `task_queue` of `cluster`.
pub fn on_cluster(
    mut options: EngineOptions,
    cluster: &Cluster,
    task_queue: &str,
) -> EngineOptions {
    options.launcher = Some(Arc::new(TemporalLauncher::new(cluster.clone(), task_queue)));
    options
}

/// The runs of an engine opened with [`on_cluster`].
pub fn runs(engine: Engine, cluster: Cluster, task_queue: &str) -> Arc<TemporalRuns> {
    Arc::new(TemporalRuns::new(engine, cluster, task_queue))
}

/// A worker running on a thread of its own (the SDK's worker is not `Send`).
pub struct WorkerThread {
    stop: Box<dyn Fn() + Send + Sync>,
    thread: Option<JoinHandle<Result<(), String>>>,
}

impl WorkerThread {
    /// Starts a worker for `runs`' task queue with the functions of `registry`, as `setup`
    /// says; returns once it is set up.
    pub fn start(
        runs: &Arc<TemporalRuns>,
        registry: FunctionRegistry,
        setup: InProcessWorker,
    ) -> Result<Self, String> {
        let cluster = runs.cluster().clone();
        let mut config = WorkerConfig::new(runs.task_queue(), registry);
        config.secrets = setup.secrets;
        config.policy = setup.policy;
        config.router = Some(runs.emit_router());
        let (ready, started) = mpsc::channel::<Result<Box<dyn Fn() + Send + Sync>, String>>();
        let thread = std::thread::Builder::new()
            .name("temporal-worker".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("temporal-worker")
                    .enable_all()
                    .build()
                    .map_err(|e| format!("cannot start the worker's runtime: {e}"))?;
                runtime.block_on(async move {
                    let mut worker = match Worker::new(&cluster, config) {
                        Ok(w) => w,
                        Err(e) => {
                            let message = e.to_string();
                            let _ = ready.send(Err(message.clone()));
                            return Err(message);
                        }
                    };
                    let _ = ready.send(Ok(Box::new(worker.shutdown_handle())));
                    worker.run().await.map_err(|e| e.to_string())
                })
            })
            .map_err(|e| format!("cannot start the worker's thread: {e}"))?;
        match started.recv() {
            Ok(Ok(stop)) => Ok(Self {
                stop,
                thread: Some(thread),
            }),
            Ok(Err(message)) => Err(message),
            Err(_) => Err(match thread.join() {
                Ok(Err(message)) => message,
                _ => "the worker's thread ended at start".to_owned(),
            }),
        }
    }

    /// Asks the worker to stop (calls in flight get the grace period) and waits for it, at
    /// most a little longer than the grace period.
    pub async fn stop(mut self) {
        (self.stop)();
        let Some(thread) = self.thread.take() else {
            return;
        };
        let joined = tokio::task::spawn_blocking(move || thread.join());
        match tokio::time::timeout(WORKER_GRACE + Duration::from_secs(5), joined).await {
            Ok(Ok(Ok(Ok(())))) => tracing::info!("the worker stopped"),
            Ok(Ok(Ok(Err(message)))) => tracing::warn!("the worker stopped: {message}"),
            Ok(_) => tracing::warn!("the worker's thread failed"),
            Err(_) => tracing::warn!("the worker did not stop in time"),
        }
    }
}

impl Drop for WorkerThread {
    fn drop(&mut self) {
        if self.thread.is_some() {
            (self.stop)();
        }
    }
}
