//! `shopflow worker --backend temporal`: one of any number of worker processes on a Temporal
//! cluster; and the `--backend` options `run`, `worker` and `bench` share.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::ValueEnum;
use shopflow_core::FunctionRegistry;
use shopflow_temporal::{Cluster, FlowSource, Worker, WorkerConfig};

use crate::commands::{
    EXIT_INVALID_DEFINITION, WorkerSetup, data_dir_for, load_config, load_ticket_model,
    print_diagnostics, secrets_from_env, workers,
};

/// Which durable engine runs the flows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Backend {
    /// The embedded engine: one process, one SQLite file.
    #[default]
    Embedded,
    /// A Temporal cluster (`--temporal-address`).
    Temporal,
}

/// Which backend, and where the Temporal backend connects and which queue it serves.
#[derive(Clone, Debug, clap::Args)]
pub struct TemporalArgs {
    /// The durable engine: `embedded` (one process, SQLite) or `temporal` (a cluster).
    #[arg(long, value_enum, default_value_t = Backend::Embedded)]
    pub backend: Backend,
    /// The Temporal frontend, HOST:PORT (with --backend temporal).
    #[arg(long = "temporal-address", value_name = "HOST:PORT")]
    pub address: Option<String>,
    /// The Temporal namespace.
    #[arg(long, value_name = "NAME", default_value = "default")]
    pub namespace: String,
    /// The Temporal task queue (default: `shopflow` for `serve` and `worker`, one of its own for
    /// `run`).
    #[arg(long, value_name = "NAME")]
    pub task_queue: Option<String>,
    /// Seconds a running call may go without a heartbeat before Temporal gives it to another
    /// worker (calls heartbeat every third of it).
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub heartbeat_timeout: u64,
}

impl TemporalArgs {
    /// The address, or the message for its absence.
    pub(crate) fn address(&self) -> Result<&str, String> {
        self.address
            .as_deref()
            .ok_or_else(|| "--backend temporal needs --temporal-address HOST:PORT".to_owned())
    }
}

/// The task queue `shopflow worker` serves unless told otherwise.
pub const DEFAULT_TASK_QUEUE: &str = "shopflow";

/// What `shopflow worker` was asked to do.
pub struct WorkerArgs {
    /// The backend (only Temporal has separate workers) and the cluster.
    pub temporal: TemporalArgs,
    /// Flows to deploy to this worker (runs started with only a reference need them).
    pub flows: Vec<PathBuf>,
    /// `shopflow.toml`: shops for the `platform.*` functions.
    pub config: Option<PathBuf>,
    /// A ticket model from `shopflow train`.
    pub ticket_model: Option<PathBuf>,
    /// Artifacts and the voucher key.
    pub data_dir: PathBuf,
}

/// Runs a worker until SIGTERM or Ctrl-C; exit 1 when the cluster cannot be used, 2 for bad
/// arguments or flows.
pub fn run_worker(args: &WorkerArgs) -> ExitCode {
    crate::init_logging("info");
    if args.temporal.backend != Backend::Temporal {
        eprintln!(
            "error: the embedded engine runs its work inside `shopflow serve`; `shopflow worker` is for --backend temporal"
        );
        return ExitCode::from(EXIT_INVALID_DEFINITION);
    }
    let runtime = match crate::commands::runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    match runtime.block_on(serve_queue(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err((code, message)) => {
            eprintln!("error: {message}");
            ExitCode::from(code)
        }
    }
}

async fn serve_queue(args: &WorkerArgs) -> Result<(), (u8, String)> {
    let address = args
        .temporal
        .address()
        .map_err(|m| (EXIT_INVALID_DEFINITION, m))?;
    // The cluster first: an unreachable address is reported before anything is set up on disk.
    let cluster = Cluster::connect(address, &args.temporal.namespace)
        .await
        .map_err(|e| (1, e.to_string()))?;
    let config = load_config(args.config.as_deref()).map_err(|m| (EXIT_INVALID_DEFINITION, m))?;
    let ticket_model = load_ticket_model(args.ticket_model.as_deref())
        .map_err(|m| (EXIT_INVALID_DEFINITION, m))?;
    let workers = workers(WorkerSetup {
        config,
        ticket_model,
        data_dir: args.data_dir.clone(),
        public_url: "http://127.0.0.1:8080".into(),
    })
    .map_err(|m| (1, m))?;
    let task_queue = args
        .temporal
        .task_queue
        .clone()
        .unwrap_or_else(|| DEFAULT_TASK_QUEUE.to_owned());
    let config = worker_config(&task_queue, workers.registry.clone(), &args.temporal);
    for path in &args.flows {
        deploy(&config, path)
            .map_err(|code| (code, format!("{} is not deployed", path.display())))?;
    }
    let mut worker = Worker::new(&cluster, config).map_err(|e| (1, e.to_string()))?;
    let shutdown = worker.shutdown_handle();
    tracing::info!(
        "worker on Temporal at {address}, namespace {}, task queue {task_queue}, {} flows deployed",
        args.temporal.namespace,
        args.flows.len()
    );
    tokio::spawn(async move {
        stop_signal().await;
        tracing::info!("stopping: calls in flight get up to 10 s");
        shutdown();
    });
    let result = worker.run().await.map_err(|e| (1, e.to_string()));
    workers.browser.shutdown().await;
    shopflow_ocr::engine::Engines::global().release();
    result
}

/// SIGTERM or Ctrl-C.
async fn stop_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

/// A worker configuration over `registry`: secrets from `SHOPFLOW_SECRET_<NAME>` like the
/// embedded engine's.
pub fn worker_config(
    task_queue: &str,
    registry: FunctionRegistry,
    temporal: &TemporalArgs,
) -> WorkerConfig {
    let mut config = WorkerConfig::new(task_queue, registry);
    config.secrets = Arc::new(|names: &[String]| secrets_from_env(names));
    config.policy.heartbeat_timeout = Duration::from_secs(temporal.heartbeat_timeout.max(1));
    config
}

/// Adds a flow file to the worker's catalog; prints what is wrong and gives the exit status
/// otherwise.
pub(crate) fn deploy(config: &WorkerConfig, path: &Path) -> Result<FlowSource, u8> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        eprintln!("{}: error: cannot read the file: {e}", path.display());
        EXIT_INVALID_DEFINITION
    })?;
    config.catalog.add(&text).map_err(|diags| {
        print_diagnostics(path, &diags);
        EXIT_INVALID_DEFINITION
    })
}

/// `--data-dir`, or `shopflow-data` in the working directory.
pub fn worker_data_dir(data_dir: Option<&Path>) -> PathBuf {
    data_dir_for(Path::new("shopflow.db"), data_dir)
}
