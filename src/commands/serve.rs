//! `shopflow serve`: the embedded engine on one SQLite file behind the REST API, until
//! SIGTERM or Ctrl-C; with `--backend temporal` the same API, webhooks and pages with the runs
//! on a Temporal cluster (the SQLite file keeps flows, events, schedules and tokens) and a
//! worker inside serve.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use shopflow::app::temporal::{self, InProcessWorker, TemporalTarget, WorkerThread};
use shopflow_embedded::{Engine, EngineOptions};

use shopflow_connectors::client::system_clock;
use shopflow_server::Backend;

use crate::commands::worker::{self as worker_command, DEFAULT_TASK_QUEUE, TemporalArgs};

use crate::commands::{
    WorkerSetup, builtin_names, data_dir_for, load_config, secrets_from_env, workers,
};

/// What `shopflow serve` was asked to do.
pub struct ServeArgs {
    /// The database file.
    pub db: PathBuf,
    /// Where to listen.
    pub listen: SocketAddr,
    /// How long calls in flight may take to finish at shutdown.
    pub grace: Duration,
    /// Days to keep ended runs and events.
    pub retention_days: u32,
    /// The most megabytes the database may grow to.
    pub max_db_mb: Option<u64>,
    /// `shopflow.toml`: shops and their credentials.
    pub config: Option<PathBuf>,
    /// A ticket model from `shopflow train`.
    pub ticket_model: Option<PathBuf>,
    /// Artifacts and the voucher key (default: `NAME-data` beside the database).
    pub data_dir: Option<PathBuf>,
    /// The backend, and the Temporal cluster and task queue with `--backend temporal`.
    pub temporal: TemporalArgs,
    /// With `--backend temporal`: run no worker inside serve (only `shopflow worker`s).
    pub no_worker: bool,
}

/// Serves until a shutdown signal; exit 1 when the database or the address cannot be used.
pub fn run(args: &ServeArgs) -> ExitCode {
    crate::init_logging("info");
    let runtime = match crate::commands::runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    match runtime.block_on(serve(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            tracing::error!("{message}");
            eprintln!("error: {message}");
            ExitCode::from(1)
        }
    }
}

/// The cluster and task queue with `--backend temporal`; connecting first reports an
/// unreachable address before anything is opened on disk.
async fn cluster(args: &ServeArgs) -> Result<Option<(shopflow_temporal::Cluster, String)>, String> {
    if args.temporal.backend != worker_command::Backend::Temporal {
        return Ok(None);
    }
    let target = TemporalTarget {
        address: args.temporal.address()?.to_owned(),
        namespace: args.temporal.namespace.clone(),
        task_queue: args
            .temporal
            .task_queue
            .clone()
            .unwrap_or_else(|| DEFAULT_TASK_QUEUE.to_owned()),
    };
    let cluster = temporal::connect(&target).await?;
    Ok(Some((cluster, target.task_queue)))
}

async fn serve(args: &ServeArgs) -> Result<(), String> {
    let cluster = cluster(args).await?;
    let config = load_config(args.config.as_deref())?;
    let shops = config.shops.len();
    let ticket_model = crate::commands::load_ticket_model(args.ticket_model.as_deref())?;
    let data_dir = data_dir_for(&args.db, args.data_dir.as_deref());
    let workers = workers(WorkerSetup {
        config: config.clone(),
        ticket_model,
        data_dir: data_dir.clone(),
        public_url: format!("http://{}", args.listen),
    })?;
    let retention = (args.retention_days > 0)
        .then(|| Duration::from_secs(u64::from(args.retention_days) * 24 * 3600));
    let options = EngineOptions {
        journal: shopflow_embedded::journal::Options {
            max_bytes: args.max_db_mb.map(|mb| mb.saturating_mul(1024 * 1024)),
            ..shopflow_embedded::journal::Options::default()
        },
        retention,
        secrets: Arc::new(|wf: &shopflow_dsl::Workflow| secrets_from_env(&wf.uses.secrets)),
        ..EngineOptions::default()
    };
    let options = match &cluster {
        Some((cluster, queue)) => temporal::on_cluster(options, cluster, queue),
        None => options,
    };
    let engine = Engine::open(&args.db, options, workers.registry.clone(), builtin_names())
        .map_err(|e| e.to_string())?;
    match std::env::var("SHOPFLOW_ADMIN_TOKEN") {
        Ok(token) if !token.trim().is_empty() => {
            let now = chrono_now_ms();
            shopflow_server::auth::seed_admin(&engine, token.trim(), now)
                .await
                .map_err(|e| format!("cannot store the admin token: {e}"))?;
        }
        _ => tracing::warn!(
            "SHOPFLOW_ADMIN_TOKEN is not set: only tokens already in the database are accepted"
        ),
    }
    let (backend, worker) = match cluster {
        None => (Backend::from(engine.clone()), None),
        Some((cluster, queue)) => {
            let runs = temporal::runs(engine.clone(), cluster, &queue);
            let worker = if args.no_worker {
                None
            } else {
                let setup = InProcessWorker {
                    secrets: Arc::new(|names: &[String]| secrets_from_env(names)),
                    policy: shopflow_temporal::ActivityPolicy {
                        heartbeat_timeout: Duration::from_secs(
                            args.temporal.heartbeat_timeout.max(1),
                        ),
                        ..shopflow_temporal::ActivityPolicy::default()
                    },
                };
                Some(WorkerThread::start(&runs, workers.registry.clone(), setup)?)
            };
            tracing::info!(
                address = %runs.cluster().address(),
                task_queue = %queue,
                worker = worker.is_some(),
                "runs run on Temporal"
            );
            (Backend::from(runs), worker)
        }
    };
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let resumed = engine
        .start_background()
        .map_err(|e| format!("cannot resume runs: {e}"))?;
    tracing::info!(
        db = %args.db.display(),
        data_dir = %data_dir.display(),
        listen = %args.listen,
        resumed,
        shops,
        "shopflow serve started"
    );
    let intake = shopflow_server::Intake {
        config: Arc::new(config),
        clock: system_clock(),
    };
    let served = shopflow_server::serve(backend, intake, workers.services, listener, args.grace)
        .await
        .map_err(|e| format!("the HTTP server failed: {e}"));
    if let Some(worker) = worker {
        worker.stop().await;
    }
    // Calls in flight have finished or been parked: no browser is needed any more.
    workers.browser.shutdown().await;
    // Free the OCR engines before exit, else Tesseract reports them as leaks on stderr.
    shopflow_ocr::engine::Engines::global().release();
    served?;
    tracing::info!("stopped");
    Ok(())
}

fn chrono_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
