//! Every function a flow can call, made from `shopflow.toml` and the data directory: the
//! connectors (`platform.*`), messages (`notify.send`), the service desk (`ticket.*`,
//! `task.*`, `customer.vip`), the shop policies (`returns.check`, `chase.plan`), invoices,
//! vouchers, OCR, the browser, the ticket classifier and HTTP.

use std::path::PathBuf;
use std::sync::Arc;

use shopflow_browser::{Browser, BrowserConfig};
use shopflow_connectors::{Config, Connectors};
use shopflow_core::{ArtifactStore, FunctionRegistry};
use shopflow_desk::Desk;
use shopflow_embedded::{Clock, SystemClock};
use shopflow_invoice::{InvoiceSettings, Invoices};
use shopflow_policy::Policies;
use shopflow_voucher::{FontFiles, Vouchers};

use crate::app::ms_clock;

/// What the workers of a running shopflow are made from.
pub struct WorkerSetup {
    /// `shopflow.toml`: shops (the `platform.*` functions) and the worker sections.
    pub config: Config,
    /// A model from `shopflow train` for `ticket.classify` (the shipped one when `None`).
    pub ticket_model: Option<Arc<shopflow_classify::Classifier>>,
    /// Where artifacts, the voucher key and the workers' files live.
    pub data_dir: PathBuf,
    /// The address links to this shopflow start with (voucher links).
    pub public_url: String,
}

/// What the functions of a running shopflow need besides the registry.
pub struct Workers {
    /// Every function.
    pub registry: FunctionRegistry,
    /// The HTTP pages and APIs that belong to functions (voucher links, the service desk).
    pub services: shopflow_server::Services,
    /// The browser pool; [`Browser::shutdown`] it before exiting so no Chromium is left.
    pub browser: Arc<Browser>,
    /// Where artifacts are kept.
    pub artifacts: ArtifactStore,
}

/// Every function this shopflow can run, by name, with no shops configured: for names and
/// summaries only. Nothing is written: its vouchers would be signed with a throwaway key, its
/// desk and contact ledger live in memory.
pub fn registry() -> FunctionRegistry {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock::new());
    let ms = ms_clock(&clock);
    let data_dir = std::env::temp_dir().join("shopflow-names-only");
    let store = ArtifactStore::new(&data_dir);
    let config = Config::default();
    let vouchers = Arc::new(Vouchers::new(
        vec![0; 32],
        store.clone(),
        "http://127.0.0.1:8080",
        FontFiles::from_env(),
    ));
    let browser = Arc::new(Browser::new(BrowserConfig::new(&data_dir)));
    let mut registry = common(
        &config,
        None,
        Policies::default(),
        &store,
        vouchers,
        browser,
        ms.clone(),
    );
    let connectors = Connectors::new(config.clone(), ms.clone());
    shopflow_notify::register_in_memory(&mut registry, connectors, ms.clone());
    if let Ok(desk) = Desk::in_memory(shopflow_desk::DeskSettings::default(), ms.clone()) {
        shopflow_desk::register(&mut registry, Arc::new(desk));
    }
    shopflow_invoice::register(
        &mut registry,
        Arc::new(Invoices::new(
            InvoiceSettings::default(),
            &data_dir,
            store,
            FontFiles::from_env(),
            ms,
        )),
    );
    registry
}

/// The functions and HTTP services of a running shopflow on the system clock; see
/// [`workers_with_clock`].
pub fn workers(setup: WorkerSetup) -> Result<Workers, String> {
    workers_with_clock(setup, Arc::new(SystemClock::new()))
}

/// The functions and the HTTP services of a running shopflow reading `clock`: artifacts under
/// `DATA/artifacts`, vouchers signed with `[voucher] key` or `DATA/voucher.key` (made on first
/// start), browser profiles under `DATA/browser`, the desk in `DATA/desk.db`, the contact
/// ledger in `DATA/notify.db`, invoice numbers in `DATA/invoice.db`. The error says which file
/// or setting is wrong.
pub fn workers_with_clock(setup: WorkerSetup, clock: Arc<dyn Clock>) -> Result<Workers, String> {
    let ms = ms_clock(&clock);
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
    let browser = Arc::new(Browser::new(BrowserConfig::from_env(
        setup.data_dir.join("browser"),
    )));
    let desk = Arc::new(
        Desk::from_config(&setup.config, &setup.data_dir, ms.clone()).map_err(|e| e.to_string())?,
    );
    let invoice_settings = InvoiceSettings::from_config(&setup.config)?;
    let invoices = Invoices::open(
        invoice_settings,
        &setup.data_dir,
        store.clone(),
        FontFiles::from_env(),
        ms.clone(),
    )
    .map_err(|e| e.to_string())?;
    let policies = Policies::from_config(&setup.config).map_err(|e| e.to_string())?;
    let mut registry = common(
        &setup.config,
        setup.ticket_model,
        policies,
        &store,
        vouchers.clone(),
        browser.clone(),
        ms.clone(),
    );
    shopflow_notify::register(
        &mut registry,
        Connectors::new(setup.config.clone(), ms.clone()),
        &setup.data_dir,
        ms,
    )
    .map_err(|e| e.to_string())?;
    shopflow_desk::register(&mut registry, desk.clone());
    shopflow_invoice::register(&mut registry, Arc::new(invoices));
    Ok(Workers {
        registry,
        services: shopflow_server::Services {
            vouchers: Some(vouchers),
            desk: Some(desk),
            artifacts: Some(store.clone()),
        },
        browser,
        artifacts: store,
    })
}

/// The functions every registry has, configured from `config`.
fn common(
    config: &Config,
    ticket_model: Option<Arc<shopflow_classify::Classifier>>,
    policies: Policies,
    store: &ArtifactStore,
    vouchers: Arc<Vouchers>,
    browser: Arc<Browser>,
    clock: shopflow_connectors::client::Clock,
) -> FunctionRegistry {
    let mut registry = FunctionRegistry::with_builtins();
    shopflow_http::register(&mut registry, shopflow_http::HttpConfig::default());
    shopflow_connectors::functions::register(
        &mut registry,
        Connectors::new(config.clone(), clock),
        Some(store.clone()),
    );
    shopflow_classify::register(&mut registry, ticket_model);
    shopflow_voucher::register(&mut registry, vouchers);
    shopflow_ocr::register(&mut registry, Some(store.clone()));
    shopflow_browser::register(
        &mut registry,
        browser,
        store.clone(),
        Arc::new(secret_from_env),
    );
    shopflow_policy::register(&mut registry, policies);
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
pub fn secret_env_var(name: &str) -> String {
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
