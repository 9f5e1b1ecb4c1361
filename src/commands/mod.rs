//! One module per subcommand, plus what they share: reading a flow file and reporting problems.

pub mod bench;
pub mod bench_dispatch;
pub mod bench_temporal;
pub mod classify;
pub mod demo;
pub mod explain;
pub mod graph;
pub mod ocr;
pub mod run;
pub mod run_temporal;
pub mod sandbox;
pub mod schema;
pub mod serve;
pub mod sign;
pub mod train;
pub mod users;
pub mod validate;
pub mod worker;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use shopflow::app::secret_env_var;
pub use shopflow::app::{WorkerSetup, registry, workers};
use shopflow_connectors::Config;
use shopflow_dsl::{Diagnostic, Loaded};

/// Exit status for an invalid flow definition where a valid one was needed (`run`, `graph`, `explain`).
pub const EXIT_INVALID_DEFINITION: u8 = 2;

/// The multi-thread tokio runtime the engine commands run on; on failure the error is
/// printed and the exit status returned.
pub fn runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            eprintln!("error: cannot start the runtime: {e}");
            ExitCode::from(1)
        })
}

/// `--data-dir` when given, else `NAME-data` beside the database file `NAME.db`.
pub fn data_dir_for(db: &Path, data_dir: Option<&Path>) -> PathBuf {
    if let Some(d) = data_dir {
        return d.to_owned();
    }
    let stem = db
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "shopflow".into());
    db.with_file_name(format!("{stem}-data"))
}

/// Reads `--ticket-model` (a model from `shopflow train`), if given.
pub fn load_ticket_model(
    path: Option<&Path>,
) -> Result<Option<Arc<shopflow_classify::Classifier>>, String> {
    path.map(|p| shopflow_classify::Classifier::load(p).map(Arc::new))
        .transpose()
}

/// Reads `--config` (no shops when not given); the error names the file and what is wrong.
pub fn load_config(path: Option<&Path>) -> Result<Config, String> {
    match path {
        Some(p) => Config::load(p).map_err(|e| e.to_string()),
        None => Ok(Config::default()),
    }
}

/// Names and one-line summaries of the built-in functions (for `shopflow schema`).
pub fn builtin_functions() -> Vec<(String, &'static str)> {
    registry()
        .summaries()
        .into_iter()
        .map(|(n, s)| (n.to_owned(), s))
        .collect()
}

/// Names of the built-in functions the validator accepts in `call:`.
pub fn builtin_names() -> Vec<String> {
    registry().names().into_iter().map(str::to_owned).collect()
}

/// Why a flow file could not be used.
pub enum LoadFailure {
    /// The file could not be read.
    Unreadable(String),
    /// The file was read but is not a valid flow.
    Invalid(Vec<Diagnostic>),
}

/// Reads and validates one flow file.
pub fn load_file(path: &Path) -> Result<Loaded, LoadFailure> {
    let bytes = std::fs::read(path).map_err(|e| LoadFailure::Unreadable(e.to_string()))?;
    let names = builtin_names();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    shopflow_dsl::load(&bytes, &names).map_err(LoadFailure::Invalid)
}

/// Prints problems to stderr in the compiler format.
pub fn print_diagnostics(path: &Path, diags: &[Diagnostic]) {
    let file = path.display().to_string();
    for d in diags {
        eprintln!("{}", d.render(&file));
    }
}

/// Loads a flow that a command needs valid; reports problems and gives the exit status otherwise.
pub fn load_valid(path: &Path) -> Result<Loaded, ExitCode> {
    match load_file(path) {
        Ok(loaded) => {
            print_diagnostics(path, &loaded.warnings);
            Ok(loaded)
        }
        Err(LoadFailure::Unreadable(e)) => {
            eprintln!("{}: error: cannot read the file: {e}", path.display());
            Err(ExitCode::from(EXIT_INVALID_DEFINITION))
        }
        Err(LoadFailure::Invalid(diags)) => {
            print_diagnostics(path, &diags);
            Err(ExitCode::from(EXIT_INVALID_DEFINITION))
        }
    }
}

/// `$secrets`: each name in `use.secrets` from `SHOPFLOW_SECRET_<NAME>` (upper case, other
/// characters as `_`); JSON values are parsed, anything else is a string.
pub fn secrets_from_env(names: &[String]) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    for name in names {
        if let Ok(raw) = std::env::var(secret_env_var(name)) {
            let value = serde_json::from_str(&raw).unwrap_or(serde_json::Value::String(raw));
            out.insert(name.clone(), value);
        }
    }
    serde_json::Value::Object(out)
}
