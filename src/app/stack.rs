//! A whole local shopflow in one process: the platform sandbox on loopback, the engine with
//! every function, and the HTTP server, sharing one clock — the shipped sandbox configuration
//! (`workflows/sandbox/shopflow.toml`) pointed at the sandbox's real address. The demo
//! (`shopflow demo`) runs it on an accelerated clock; the flows' end-to-end tests on a
//! hand-moved one, on the embedded engine or on a Temporal cluster (with the worker in this
//! process; the cluster keeps its own time).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use shopflow_connectors::Config;
use shopflow_embedded::{Clock, Engine, EngineOptions};
use shopflow_sandbox::{Sandbox, SandboxOptions};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::app::temporal::{TemporalTarget, WorkerThread};
use crate::app::{App, AppOptions, TemporalQueue, ms_clock};

/// The shipped sandbox configuration, with its address written as this placeholder.
const SANDBOX_ADDRESS: &str = "127.0.0.1:9000";

/// How to start a [`Stack`].
pub struct StackOptions {
    /// A directory for the databases, the data directory and the configuration (made if
    /// missing).
    pub dir: PathBuf,
    /// The shipped sandbox configuration (`workflows/sandbox/shopflow.toml`); its secret files
    /// are copied along with it.
    pub sandbox_config: PathBuf,
    /// The one clock.
    pub clock: Arc<dyn Clock>,
    /// Where the sandbox listens.
    pub sandbox_listener: TcpListener,
    /// Where shopflow listens.
    pub listener: TcpListener,
    /// The admin token the API accepts.
    pub admin_token: String,
    /// How often the sandbox re-sends unconfirmed push messages.
    pub resend: Duration,
    /// Flow files to deploy before the server starts.
    pub flows: Vec<PathBuf>,
    /// Run the flows on this Temporal task queue instead of the embedded engine.
    pub temporal: Option<TemporalTarget>,
}

/// The running stack.
pub struct Stack {
    /// The engine (runs, flows, events; on Temporal flows and events only).
    pub engine: Engine,
    /// Where the runs are.
    pub backend: shopflow_server::Backend,
    /// shopflow's base URL (`http://127.0.0.1:PORT`).
    pub api: String,
    /// The sandbox's base URL.
    pub sandbox: String,
    /// The configuration both sides read, as written in `dir`.
    pub config_path: PathBuf,
    /// The configuration as loaded.
    pub config: Config,
    /// Where artifacts are kept.
    pub artifacts: shopflow_core::ArtifactStore,
    /// The service desk.
    pub desk: Option<Arc<shopflow_desk::Desk>>,
    browser: Arc<shopflow_browser::Browser>,
    worker: Option<WorkerThread>,
    stop: Option<oneshot::Sender<()>>,
    server: JoinHandle<std::io::Result<()>>,
    sandbox_task: JoinHandle<std::io::Result<()>>,
}

impl Stack {
    /// Writes the configuration, opens the sandbox and the engine, deploys `flows`, and starts
    /// both servers and the push channels. The error says what could not be used.
    pub async fn start(options: StackOptions) -> Result<Self, String> {
        std::fs::create_dir_all(&options.dir)
            .map_err(|e| format!("cannot make {}: {e}", options.dir.display()))?;
        let sandbox_addr = local(&options.sandbox_listener)?;
        let addr = local(&options.listener)?;
        let config_path = write_config(&options.sandbox_config, &options.dir, sandbox_addr)?;
        let config = Config::load(&config_path).map_err(|e| e.to_string())?;
        let api = format!("http://{addr}");
        let mut sandbox_options =
            SandboxOptions::new(config.clone(), options.dir.join("sandbox.db"));
        sandbox_options.hooks = Some(format!("{api}/hooks"));
        sandbox_options.clock = ms_clock(&options.clock);
        let sandbox = Sandbox::open(sandbox_options).map_err(|e| format!("sandbox: {e}"))?;
        sandbox.set_resend_interval(options.resend);
        // The shops' return addresses (two each); orders come from the caller.
        sandbox.seed(0, 1).map_err(|e| format!("sandbox: {e}"))?;
        let temporal = match &options.temporal {
            None => None,
            Some(target) => Some(TemporalQueue {
                cluster: crate::app::temporal::connect(target).await?,
                task_queue: target.task_queue.clone(),
                worker: Some(crate::app::temporal::InProcessWorker::default()),
            }),
        };
        let app = App::open(AppOptions {
            db: options.dir.join("shopflow.db"),
            config: config.clone(),
            ticket_model: None,
            data_dir: options.dir.join("shopflow-data"),
            public_url: api.clone(),
            engine: EngineOptions {
                clock: options.clock.clone(),
                ..EngineOptions::default()
            },
            temporal,
        })?;
        shopflow_server::auth::seed_admin(
            &app.engine,
            &options.admin_token,
            options.clock.now_ms(),
        )
        .await
        .map_err(|e| format!("cannot store the admin token: {e}"))?;
        for flow in &options.flows {
            let source = std::fs::read_to_string(flow)
                .map_err(|e| format!("cannot read {}: {e}", flow.display()))?;
            app.engine
                .deploy(&source)
                .await
                .map_err(|e| format!("{}: {e}", flow.display()))?;
        }
        app.engine
            .start_background()
            .map_err(|e| format!("cannot resume runs: {e}"))?;
        let sandbox_task = tokio::spawn(sandbox.serve(options.sandbox_listener));
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(shopflow_server::serve_until(
            app.backend.clone(),
            app.intake.clone(),
            app.services.clone(),
            options.listener,
            Duration::from_secs(5),
            async move {
                let _ = stopped.await;
            },
        ));
        Ok(Self {
            engine: app.engine,
            backend: app.backend,
            worker: app.worker,
            api,
            sandbox: format!("http://{sandbox_addr}"),
            config_path,
            config,
            artifacts: app.artifacts,
            desk: app.services.desk,
            browser: app.browser,
            stop: Some(stop),
            server,
            sandbox_task,
        })
    }

    /// Stops the server (calls in flight finish or are parked), the sandbox and the browser.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.server).await;
        if let Some(worker) = self.worker.take() {
            worker.stop().await;
        }
        self.sandbox_task.abort();
        self.browser.shutdown().await;
    }
}

fn local(listener: &TcpListener) -> Result<SocketAddr, String> {
    listener
        .local_addr()
        .map_err(|e| format!("cannot read the listening address: {e}"))
}

/// Copies the sandbox configuration and its `secrets/` into `dir`, pointed at `sandbox`.
fn write_config(source: &Path, dir: &Path, sandbox: SocketAddr) -> Result<PathBuf, String> {
    let text = std::fs::read_to_string(source)
        .map_err(|e| format!("cannot read {}: {e}", source.display()))?;
    let secrets_from = source.parent().unwrap_or(Path::new(".")).join("secrets");
    let secrets_to = dir.join("secrets");
    std::fs::create_dir_all(&secrets_to)
        .map_err(|e| format!("cannot make {}: {e}", secrets_to.display()))?;
    let entries = std::fs::read_dir(&secrets_from)
        .map_err(|e| format!("cannot read {}: {e}", secrets_from.display()))?;
    for entry in entries.flatten() {
        let to = secrets_to.join(entry.file_name());
        std::fs::copy(entry.path(), &to)
            .map_err(|e| format!("cannot copy a secret to {}: {e}", to.display()))?;
    }
    let path = dir.join("shopflow.toml");
    std::fs::write(&path, text.replace(SANDBOX_ADDRESS, &sandbox.to_string()))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}
