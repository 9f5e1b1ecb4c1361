//! A running shopflow: the functions ([`workers()`]), the engine on its SQLite file — running
//! the flows itself, or handing them to a Temporal cluster ([`temporal`]) — and the HTTP
//! application over both, all reading one clock.

pub mod clock;
pub mod stack;
pub mod temporal;
pub mod workers;

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use shopflow_connectors::Config;
use shopflow_embedded::{Clock, Engine, EngineOptions};

pub use clock::ms_clock;
pub use workers::{
    WorkerSetup, Workers, registry, secret_env_var, secret_from_env, workers, workers_with_clock,
};

/// How to open an [`App`].
pub struct AppOptions {
    /// The engine's database file.
    pub db: PathBuf,
    /// `shopflow.toml` as loaded.
    pub config: Config,
    /// A model from `shopflow train` for `ticket.classify` (the shipped one when `None`).
    pub ticket_model: Option<Arc<shopflow_classify::Classifier>>,
    /// Artifacts, the voucher key and the workers' own files.
    pub data_dir: PathBuf,
    /// The address links to this shopflow start with.
    pub public_url: String,
    /// The engine's settings; its `clock` is the one every part reads.
    pub engine: EngineOptions,
    /// Run the flows on this Temporal task queue, with a worker in this process (`None`: on
    /// the embedded engine).
    pub temporal: Option<TemporalQueue>,
}

/// A Temporal task queue to run the flows on, and the worker this process adds to it.
pub struct TemporalQueue {
    /// The cluster ([`temporal::connect`]).
    pub cluster: shopflow_temporal::Cluster,
    /// The task queue.
    pub task_queue: String,
    /// The worker in this process (`None`: only `shopflow worker` processes run the flows).
    pub worker: Option<temporal::InProcessWorker>,
}

/// The engine, its functions and its HTTP side, ready to serve.
pub struct App {
    /// The embedded engine (runs not yet resumed: call [`Engine::start_background`]); on
    /// Temporal the control plane only.
    pub engine: Engine,
    /// Where runs run: [`App::engine`] itself, or a Temporal cluster.
    pub backend: shopflow_server::Backend,
    /// The worker inside this process when runs run on Temporal; stop it before exiting.
    pub worker: Option<temporal::WorkerThread>,
    /// Webhook intake for the configured shops.
    pub intake: shopflow_server::Intake,
    /// The functions' HTTP pages and the service desk.
    pub services: shopflow_server::Services,
    /// The browser pool; shut it down before exiting.
    pub browser: Arc<shopflow_browser::Browser>,
    /// Where artifacts are kept.
    pub artifacts: shopflow_core::ArtifactStore,
}

impl App {
    /// Opens the engine on `options.db` with every function configured from
    /// `options.config`; the error names the file or setting that is wrong.
    pub fn open(options: AppOptions) -> Result<Self, String> {
        let clock: Arc<dyn Clock> = options.engine.clock.clone();
        let workers = workers_with_clock(
            WorkerSetup {
                config: options.config.clone(),
                ticket_model: options.ticket_model,
                data_dir: options.data_dir,
                public_url: options.public_url,
            },
            clock.clone(),
        )?;
        let names = workers
            .registry
            .names()
            .into_iter()
            .map(str::to_owned)
            .collect();
        let registry = workers.registry.clone();
        let mut engine_options = options.engine;
        if let Some(queue) = &options.temporal {
            engine_options =
                temporal::on_cluster(engine_options, &queue.cluster, &queue.task_queue);
        }
        let engine = Engine::open(&options.db, engine_options, workers.registry, names)
            .map_err(|e| e.to_string())?;
        let (backend, worker) = match options.temporal {
            None => (shopflow_server::Backend::from(engine.clone()), None),
            Some(queue) => {
                let runs = temporal::runs(engine.clone(), queue.cluster, &queue.task_queue);
                let worker = queue
                    .worker
                    .map(|setup| temporal::WorkerThread::start(&runs, registry, setup))
                    .transpose()?;
                (shopflow_server::Backend::from(runs), worker)
            }
        };
        let intake = shopflow_server::Intake {
            config: Arc::new(options.config),
            clock: ms_clock(&clock),
        };
        Ok(Self {
            engine,
            backend,
            worker,
            intake,
            services: workers.services,
            browser: workers.browser,
            artifacts: workers.artifacts,
        })
    }

    /// The whole HTTP application (REST API, webhooks, voucher links, /metrics, /healthz).
    pub fn router(&self) -> Router {
        shopflow_server::router_full(
            self.backend.clone(),
            self.intake.clone(),
            self.services.clone(),
        )
    }
}
