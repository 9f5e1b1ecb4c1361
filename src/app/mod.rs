//! A running shopflow on the embedded engine: the functions ([`workers()`]), the engine on its
//! SQLite file, and the HTTP application over both, all reading one clock.

pub mod clock;
pub mod stack;
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
}

/// The engine, its functions and its HTTP side, ready to serve.
pub struct App {
    /// The embedded engine (runs not yet resumed: call [`Engine::start_background`]).
    pub engine: Engine,
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
        let engine = Engine::open(&options.db, options.engine, workers.registry, names)
            .map_err(|e| e.to_string())?;
        let intake = shopflow_server::Intake {
            config: Arc::new(options.config),
            clock: ms_clock(&clock),
        };
        Ok(Self {
            engine,
            intake,
            services: workers.services,
            browser: workers.browser,
            artifacts: workers.artifacts,
        })
    }

    /// The whole HTTP application (REST API, webhooks, voucher links, /metrics, /healthz).
    pub fn router(&self) -> Router {
        shopflow_server::router_full(
            self.engine.clone(),
            self.intake.clone(),
            self.services.clone(),
        )
    }
}
