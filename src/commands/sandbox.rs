//! `shopflow sandbox`: the five platforms simulated on one loopback address (see
//! docs/sandbox.md), reading the same `shopflow.toml` as `shopflow serve` so credentials agree.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use shopflow_sandbox::{Sandbox, SandboxOptions};

/// What `shopflow sandbox` was asked to do.
pub struct SandboxArgs {
    /// Where to listen.
    pub listen: SocketAddr,
    /// The shops to simulate.
    pub config: PathBuf,
    /// The sandbox's own database.
    pub db: PathBuf,
    /// shopflow's hook base URL (`http://127.0.0.1:8080/hooks`).
    pub hooks: Option<String>,
    /// Orders to seed per shop (0: none).
    pub seed: usize,
}

/// Serves until Ctrl-C or SIGTERM; exit 1 when the config, database or address cannot be used.
pub fn run(args: &SandboxArgs) -> ExitCode {
    crate::init_logging("info");
    let runtime = match crate::commands::runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    match runtime.block_on(serve(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(1)
        }
    }
}

async fn serve(args: &SandboxArgs) -> Result<(), String> {
    let config = crate::commands::load_config(Some(&args.config))?;
    let mut options = SandboxOptions::new(config, &args.db);
    options.hooks = args.hooks.clone();
    let sandbox = Sandbox::open(options).map_err(|e| e.to_string())?;
    if args.seed > 0 {
        let summary = sandbox.seed(args.seed, 7).map_err(|e| e.to_string())?;
        tracing::info!(?summary, "seeded");
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    println!("sandbox listening on http://{addr}");
    sandbox
        .serve(listener)
        .await
        .map_err(|e| format!("the sandbox server failed: {e}"))
}
