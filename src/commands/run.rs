//! `shopflow run FILE`: runs a flow to the end in this process and prints its output (exit 0) or
//! its error (exit 1); an invalid definition exits 2.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use serde_json::Value;
use shopflow_core::RunStatus;
use shopflow_embedded::{Engine, EngineError, EngineOptions};

use crate::commands::run_temporal::{TemporalRun, run_on_temporal};
use crate::commands::worker::Backend;
use crate::commands::{
    EXIT_INVALID_DEFINITION, builtin_names, load_valid, print_diagnostics, secrets_from_env,
};

/// What `shopflow run` was asked to do.
pub struct RunArgs {
    /// The flow.
    pub file: PathBuf,
    /// Input as JSON text.
    pub input: Option<String>,
    /// Input from a JSON file.
    pub input_file: Option<PathBuf>,
    /// `NAME=JSON` results replacing functions.
    pub mocks: Vec<String>,
    /// More flows that `run.workflow` may start.
    pub flows: Vec<PathBuf>,
    /// The database to run on (a temporary one unless given).
    pub db: Option<PathBuf>,
    /// `shopflow.toml`: shops for the `platform.*` functions.
    pub config: Option<PathBuf>,
    /// A ticket model from `shopflow train`.
    pub ticket_model: Option<PathBuf>,
    /// Artifacts and the voucher key (default: `NAME-data` beside the database; temporary
    /// like the database when neither is given).
    pub data_dir: Option<PathBuf>,
    /// The backend, and the Temporal cluster when it is `temporal`.
    pub temporal: crate::commands::worker::TemporalArgs,
}

/// Runs the flow; see the module docs for the exit status.
pub fn run(args: RunArgs) -> ExitCode {
    let loaded = match load_valid(&args.file) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let input = match read_input(&args) {
        Ok(v) => v,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(EXIT_INVALID_DEFINITION);
        }
    };
    let config = match crate::commands::load_config(args.config.as_deref()) {
        Ok(c) => c,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(EXIT_INVALID_DEFINITION);
        }
    };
    let ticket_model = match crate::commands::load_ticket_model(args.ticket_model.as_deref()) {
        Ok(m) => m,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(EXIT_INVALID_DEFINITION);
        }
    };
    // The temporary directory (database and artifacts unless --db) lives until the run ends.
    let temp = match tempfile::TempDir::new() {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: cannot make a temporary directory: {e}");
            return ExitCode::from(1);
        }
    };
    let db = args
        .db
        .clone()
        .unwrap_or_else(|| temp.path().join("run.db"));
    let workers = match crate::commands::workers(crate::commands::WorkerSetup {
        config,
        ticket_model,
        data_dir: crate::commands::data_dir_for(&db, args.data_dir.as_deref()),
        public_url: "http://127.0.0.1:8080".into(),
    }) {
        Ok(w) => w,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(1);
        }
    };
    let mut functions = workers.registry;
    for mock in &args.mocks {
        let Some((name, json)) = mock.split_once('=') else {
            eprintln!("error: --mock takes NAME=JSON, got `{mock}`");
            return ExitCode::from(EXIT_INVALID_DEFINITION);
        };
        match serde_json::from_str(json) {
            Ok(v) => functions.mock(name, v),
            Err(e) => {
                eprintln!("error: --mock {name}: the result is not JSON: {e}");
                return ExitCode::from(EXIT_INVALID_DEFINITION);
            }
        }
    }
    let runtime = match crate::commands::runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let code = runtime.block_on(async {
        let code = match args.temporal.backend {
            Backend::Embedded => {
                run_on_engine(&args, &db, &loaded.workflow, input, functions).await
            }
            Backend::Temporal => {
                run_on_temporal(TemporalRun {
                    file: &args.file,
                    workflow: &loaded.workflow,
                    flows: &args.flows,
                    input,
                    functions,
                    temporal: &args.temporal,
                })
                .await
            }
        };
        workers.browser.shutdown().await;
        shopflow_ocr::engine::Engines::global().release();
        code
    });
    drop(temp);
    code
}

/// Deploys the flow (and `--flow` files) on an engine over `--db` or a temporary database,
/// starts one run and waits for its end.
async fn run_on_engine(
    args: &RunArgs,
    db: &Path,
    workflow: &shopflow_dsl::Workflow,
    input: Value,
    functions: shopflow_core::FunctionRegistry,
) -> ExitCode {
    let options = EngineOptions {
        secrets: Arc::new(|wf: &shopflow_dsl::Workflow| secrets_from_env(&wf.uses.secrets)),
        schedules: false,
        ..EngineOptions::default()
    };
    let engine = match Engine::open(db, options, functions, builtin_names()) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    for path in std::iter::once(&args.file).chain(&args.flows) {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("{}: error: cannot read the file: {e}", path.display());
                return ExitCode::from(EXIT_INVALID_DEFINITION);
            }
        };
        match engine.deploy(&text).await {
            Ok(_) => {}
            Err(EngineError::Invalid(diags)) => {
                print_diagnostics(path, &diags);
                return ExitCode::from(EXIT_INVALID_DEFINITION);
            }
            Err(e) => {
                eprintln!("{}: error: {e}", path.display());
                return ExitCode::from(EXIT_INVALID_DEFINITION);
            }
        }
    }
    let d = &workflow.document;
    let flow = format!("{}/{}:{}", d.namespace, d.name, d.version);
    let id = match engine.start(&flow, input).await {
        Ok(id) => id,
        Err(e) => {
            eprintln!("error: cannot start the run: {e}");
            return ExitCode::from(1);
        }
    };
    let view = match engine.wait(&id).await {
        Ok(v) => v,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    let record = view.record;
    let (value, code) = match record.status {
        RunStatus::Completed => (record.output.unwrap_or(Value::Null), ExitCode::SUCCESS),
        RunStatus::Faulted => (record.error.unwrap_or(Value::Null), ExitCode::from(1)),
        other => {
            eprintln!(
                "error: run {id} stopped {}: {}",
                other.as_str(),
                view.paused
                    .unwrap_or_else(|| "see the log above".to_owned())
            );
            return ExitCode::from(1);
        }
    };
    println!(
        "{}",
        serde_json::to_string_pretty(&value).unwrap_or_else(|_| value.to_string())
    );
    code
}

fn read_input(args: &RunArgs) -> Result<Value, String> {
    let text = match (&args.input, &args.input_file) {
        (Some(_), Some(_)) => return Err("give --input or --input-file, not both".to_owned()),
        (Some(t), None) => t.clone(),
        (None, Some(p)) => read(p)?,
        (None, None) => return Ok(Value::Object(serde_json::Map::new())),
    };
    serde_json::from_str(&text).map_err(|e| format!("the input is not JSON: {e}"))
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}
