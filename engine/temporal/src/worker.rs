//! [`Worker`]: a process's share of the work — it runs the `shopflow` workflow type and every
//! function of its registry as activities on one task queue. Start more (`shopflow worker`)
//! to scale out; Temporal hands each task to one of them.

use std::sync::Arc;
use std::time::Duration;

use shopflow_core::FunctionRegistry;
use temporalio_common::RetryPolicy;
use temporalio_sdk::runtime::RuntimeOptions;
use temporalio_sdk::{Runtime, WorkerOptions};

use crate::activity::{EventRouter, SecretLookup, WorkerActivities};
use crate::catalog::FlowCatalog;
use crate::client::Cluster;
use crate::error::Error;
use crate::router::Broadcast;
use crate::workflow::{ShopflowWorkflow, WorkflowSetup};

/// How calls run as activities: their timeouts and how Temporal retries a *lost* attempt.
///
/// A function's own errors never reach Temporal's retry (see `activity.rs`); the flow's
/// `retry` stays the only retry of those. `max_attempts` bounds retries of attempts that were
/// lost (worker crash, timeout, panic); when they run out the call raises a retryable
/// `runtime` error the flow can catch.
#[derive(Debug, Clone)]
pub struct ActivityPolicy {
    /// Longest one attempt may take.
    pub start_to_close: Duration,
    /// Longest a running attempt may go without a heartbeat (activities heartbeat every third
    /// of it); a dead worker's call moves on after this.
    pub heartbeat_timeout: Duration,
    /// Attempts Temporal makes of a call whose attempts are lost (0: no limit).
    pub max_attempts: u32,
}

impl Default for ActivityPolicy {
    fn default() -> Self {
        Self {
            start_to_close: Duration::from_secs(600),
            heartbeat_timeout: Duration::from_secs(30),
            max_attempts: 10,
        }
    }
}

impl ActivityPolicy {
    /// Temporal's retry policy for lost attempts.
    pub(crate) fn retry_policy(&self) -> RetryPolicy {
        RetryPolicy::builder()
            .initial_interval(Duration::from_secs(1))
            .backoff_coefficient(2.0)
            .maximum_interval(Duration::from_secs(60))
            .maximum_attempts(self.max_attempts)
            .build()
    }
}

/// What a worker is made of.
pub struct WorkerConfig {
    /// The task queue to poll (runs are started on it; children inherit it).
    pub task_queue: String,
    /// The functions this worker runs.
    pub registry: FunctionRegistry,
    /// The flows deployed to this worker (runs started with a source do not need them).
    pub catalog: FlowCatalog,
    /// `$secrets` values by name.
    pub secrets: SecretLookup,
    /// Where emitted events go besides the emitting run ([`Broadcast`] to the runs on
    /// `task_queue` when `None`).
    pub router: Option<Arc<dyn EventRouter>>,
    /// Activity timeouts and retries.
    pub policy: ActivityPolicy,
    /// History length (events) past which a run continues as new.
    pub history_limit: u32,
}

impl WorkerConfig {
    /// A configuration with the defaults: no flows deployed, no secrets, broadcast routing,
    /// the default activity policy, continue-as-new past 10,000 history events.
    pub fn new(task_queue: &str, registry: FunctionRegistry) -> Self {
        let builtins = registry.names().into_iter().map(str::to_owned).collect();
        Self {
            task_queue: task_queue.to_owned(),
            registry,
            catalog: FlowCatalog::new(builtins),
            secrets: Arc::new(|_| serde_json::Value::Object(serde_json::Map::new())),
            router: None,
            policy: ActivityPolicy::default(),
            history_limit: 10_000,
        }
    }

    /// What the workflow instances share.
    pub(crate) fn setup(&self) -> Arc<WorkflowSetup> {
        Arc::new(WorkflowSetup {
            catalog: self.catalog.clone(),
            secrets: Arc::clone(&self.secrets),
            policy: self.policy.clone(),
            history_limit: self.history_limit,
        })
    }
}

/// A running worker (create and run it inside a tokio runtime; `run` is not `Send`, so drive
/// it with `block_on` or on a `LocalSet`).
pub struct Worker {
    inner: temporalio_sdk::Worker,
    task_queue: String,
    // The SDK's runtime must outlive the worker made on it.
    _runtime: Runtime,
}

impl Worker {
    /// A worker on `cluster` as `config` says.
    pub fn new(cluster: &Cluster, config: WorkerConfig) -> Result<Self, Error> {
        let runtime = Runtime::from_current_tokio(RuntimeOptions::default())
            .map_err(|e| Error::Worker(e.to_string()))?;
        let setup = config.setup();
        let router = config
            .router
            .clone()
            .unwrap_or_else(|| Arc::new(Broadcast::new(cluster.clone(), &config.task_queue)));
        let options = WorkerOptions::new(config.task_queue.clone())
            .register_workflow_with_factory::<ShopflowWorkflow, _>(move || {
                ShopflowWorkflow::new(Arc::clone(&setup))
            })
            .map_err(|e| Error::Worker(e.to_string()))?
            .register_activities(WorkerActivities {
                registry: config.registry.clone(),
                secrets: Arc::clone(&config.secrets),
                router,
            })
            .graceful_shutdown_period(Duration::from_secs(10))
            .build();
        let inner = temporalio_sdk::Worker::new(&runtime, cluster.client().clone(), options)
            .map_err(|e| Error::Worker(e.to_string()))?;
        Ok(Self {
            inner,
            task_queue: config.task_queue,
            _runtime: runtime,
        })
    }

    /// The task queue polled.
    pub fn task_queue(&self) -> &str {
        &self.task_queue
    }

    /// A function that asks the worker to stop (calls in flight get the grace period).
    pub fn shutdown_handle(&self) -> impl Fn() + Send + Sync + 'static {
        self.inner.shutdown_handle()
    }

    /// Polls for work until shut down.
    pub async fn run(&mut self) -> Result<(), Error> {
        self.inner
            .run()
            .await
            .map_err(|e| Error::WorkerStopped(e.to_string()))
    }
}
