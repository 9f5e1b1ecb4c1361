//! `shopflow run FILE`: runs a flow to the end in this process and prints its output (exit 0) or
//! its error (exit 1); an invalid definition exits 2.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use serde_json::Value;
use shopflow_embedded::{FlowCatalog, MemoryContext};

use crate::commands::{EXIT_INVALID_DEFINITION, load_valid, registry};

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
    let mut functions = registry();
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
    let workflow = Arc::new(loaded.workflow);
    let mut catalog = FlowCatalog::default();
    catalog.add(Arc::clone(&workflow));
    for path in &args.flows {
        match load_valid(path) {
            Ok(l) => catalog.add(Arc::new(l.workflow)),
            Err(code) => return code,
        }
    }
    let secrets = secrets_from_env(&workflow.uses.secrets);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let run_id = format!("run-{}", std::process::id());
    let ctx = MemoryContext::new(&run_id, functions, catalog);
    let result = runtime.block_on(ctx.run(&workflow, input, secrets));
    let (value, code) = match result {
        Ok(output) => (output, ExitCode::SUCCESS),
        Err(error) => (error.to_json(), ExitCode::from(1)),
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

/// `$secrets`: each name in `use.secrets` from `SHOPFLOW_SECRET_<NAME>` (upper case, other
/// characters as `_`); JSON values are parsed, anything else is a string.
fn secrets_from_env(names: &[String]) -> Value {
    let mut out = serde_json::Map::new();
    for name in names {
        let var: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_uppercase()
                } else {
                    '_'
                }
            })
            .collect();
        if let Ok(raw) = std::env::var(format!("SHOPFLOW_SECRET_{var}")) {
            let value = serde_json::from_str(&raw).unwrap_or(Value::String(raw));
            out.insert(name.clone(), value);
        }
    }
    Value::Object(out)
}
