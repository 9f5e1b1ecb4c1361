//! One module per subcommand, plus what they share: reading a flow file and reporting problems.

pub mod bench;
pub mod classify;
pub mod explain;
pub mod graph;
pub mod ocr;
pub mod run;
pub mod sandbox;
pub mod schema;
pub mod serve;
pub mod sign;
pub mod train;
pub mod validate;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use shopflow_browser::{Browser, BrowserConfig};
use shopflow_connectors::client::system_clock;
use shopflow_connectors::{Config, Connectors};
use shopflow_core::{ArtifactStore, FunctionRegistry};
use shopflow_dsl::{Diagnostic, Loaded};
use shopflow_voucher::{FontFiles, Vouchers};

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

/// Every function this shopflow can run, by name, with no shops configured: for names and
/// summaries only (its vouchers would be signed with a throwaway key and stored nowhere).
pub fn registry() -> FunctionRegistry {
    let setup = WorkerSetup {
        config: Config::default(),
        ticket_model: None,
        data_dir: std::env::temp_dir().join("shopflow-names-only"),
        public_url: "http://127.0.0.1:8080".into(),
    };
    let store = ArtifactStore::new(&setup.data_dir);
    let vouchers = Arc::new(Vouchers::new(
        vec![0; 32],
        store.clone(),
        &setup.public_url,
        FontFiles::from_env(),
    ));
    let browser = Arc::new(Browser::new(BrowserConfig::new(&setup.data_dir)));
    registry_with(setup, store, vouchers, browser)
}

/// What the workers of a running shopflow are made from.
pub struct WorkerSetup {
    /// `shopflow.toml`: shops (the `platform.*` functions) and `[voucher]`.
    pub config: Config,
    /// A model from `shopflow train` for `ticket.classify` (the shipped one when `None`).
    pub ticket_model: Option<Arc<shopflow_classify::Classifier>>,
    /// Where artifacts and the voucher key live.
    pub data_dir: PathBuf,
    /// The address links to this shopflow start with (voucher links).
    pub public_url: String,
}

/// What the functions of a running shopflow need besides the registry.
pub struct Workers {
    /// Every function.
    pub registry: FunctionRegistry,
    /// The HTTP pages that belong to functions (voucher links).
    pub services: shopflow_server::Services,
    /// The browser pool; [`Browser::shutdown`] it before exiting so no Chromium is left.
    pub browser: Arc<Browser>,
}

/// The functions and the HTTP services of a running shopflow: artifacts under
/// `DATA/artifacts`, vouchers signed with `[voucher] key` or `DATA/voucher.key` (made on first
/// start), browser profiles under `DATA/browser`. The error says which file or setting is
/// wrong.
pub fn workers(setup: WorkerSetup) -> Result<Workers, String> {
    let store = ArtifactStore::open(setup.data_dir.join("artifacts"))
        .map_err(|e| format!("the data directory cannot be used: {e}"))?;
    let key = match &setup.config.voucher.key {
        Some(k) => k.expose().as_bytes().to_vec(),
        None => Vouchers::key_file(&setup.data_dir.join("voucher.key"))?,
    };
    let public_url = setup
        .config
        .voucher
        .base_url
        .clone()
        .unwrap_or_else(|| setup.public_url.clone());
    let vouchers = Arc::new(Vouchers::new(
        key,
        store.clone(),
        &public_url,
        FontFiles::from_env(),
    ));
    let services = shopflow_server::Services {
        vouchers: Some(vouchers.clone()),
    };
    let browser = Arc::new(Browser::new(BrowserConfig::from_env(
        setup.data_dir.join("browser"),
    )));
    Ok(Workers {
        registry: registry_with(setup, store, vouchers, browser.clone()),
        services,
        browser,
    })
}

fn registry_with(
    setup: WorkerSetup,
    store: ArtifactStore,
    vouchers: Arc<Vouchers>,
    browser: Arc<Browser>,
) -> FunctionRegistry {
    let mut registry = FunctionRegistry::with_builtins();
    shopflow_http::register(&mut registry, shopflow_http::HttpConfig::default());
    shopflow_connectors::functions::register(
        &mut registry,
        Connectors::new(setup.config, system_clock()),
    );
    shopflow_classify::register(&mut registry, setup.ticket_model);
    shopflow_voucher::register(&mut registry, vouchers);
    shopflow_ocr::register(&mut registry, Some(store.clone()));
    shopflow_browser::register(&mut registry, browser, store, Arc::new(secret_from_env));
    registry
}

/// One secret for a worker: `NAME` from `SHOPFLOW_SECRET_<NAME>`, or `NAME.FIELD` from the
/// JSON object in `SHOPFLOW_SECRET_<NAME>` (as `$secrets.NAME.FIELD` reads it in a flow).
pub fn secret_from_env(name: &str) -> Option<String> {
    let mut path = name.split('.');
    let first = path.next()?;
    let raw = std::env::var(secret_env_var(first)).ok()?;
    let rest: Vec<&str> = path.collect();
    if rest.is_empty() {
        return Some(raw);
    }
    let mut value: serde_json::Value = serde_json::from_str(&raw).ok()?;
    for field in rest {
        value = value.get_mut(field)?.take();
    }
    match value {
        serde_json::Value::String(s) => Some(s),
        serde_json::Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// `SHOPFLOW_SECRET_` and the secret's name in upper case, other characters as `_`.
fn secret_env_var(name: &str) -> String {
    let upper: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("SHOPFLOW_SECRET_{upper}")
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
