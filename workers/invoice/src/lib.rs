//! shopflow's e-invoices (数电票): `invoice.compute` works out lines, taxes and totals in
//! integer fen and reports what keeps an invoice from being issued (rates, tolerances, tax
//! ids, an unexpected total); `invoice.render` numbers the invoice from a durable sequence and
//! prints it as a PDF with an embedded CJK font, stored as a run artifact.
//!
//! See docs/functions/invoice.compute.md and docs/functions/invoice.render.md.

pub mod args;
pub mod compute;
pub mod decimal;
pub mod error;
pub mod function;
pub mod layout;
pub mod ledger;
pub mod rate;
pub mod render;
pub mod settings;
pub mod tax_ids;
pub mod words;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{DateTime, NaiveDate};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use shopflow_connectors::client::Clock;
use shopflow_core::{Artifact, ArtifactStore, FunctionRegistry};
use shopflow_voucher::sheet::Sheet;
use shopflow_voucher::{FontFiles, Fonts};

pub use compute::{Computation, Output, Problem, ProblemCode};
pub use error::Error;
pub use settings::{InvoiceKind, InvoiceSettings};

use crate::ledger::{Ledger, Wanted};
use crate::render::{Invoice, number_prefix};

/// The ledger's file name in the data directory.
pub const LEDGER_FILE: &str = "invoice.db";

/// Computes and renders invoices: the settings, the artifact store, the number ledger, the
/// fonts and the clock that dates an invoice when the flow gives no date.
pub struct Invoices {
    settings: InvoiceSettings,
    store: ArtifactStore,
    ledger_path: PathBuf,
    /// Opened on first use, and again after a failure.
    ledger: Mutex<Option<Ledger>>,
    font_files: FontFiles,
    fonts: OnceLock<Result<Fonts, String>>,
    clock: Clock,
}

/// What `invoice.render` returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rendered {
    /// The 20-digit invoice number.
    pub invoice_number: String,
    /// The issue date printed, `YYYY-MM-DD`.
    pub issue_date: String,
    /// The PDF.
    pub pdf: Artifact,
}

impl Invoices {
    /// Invoices with `settings`, PDFs in `store`, numbers in `DATA_DIR/invoice.db` (opened on
    /// the first render, so making this touches no file), dated by `clock` (unix ms).
    pub fn new(
        settings: InvoiceSettings,
        data_dir: &Path,
        store: ArtifactStore,
        fonts: FontFiles,
        clock: Clock,
    ) -> Self {
        Self {
            settings,
            store,
            ledger_path: data_dir.join(LEDGER_FILE),
            ledger: Mutex::new(None),
            font_files: fonts,
            fonts: OnceLock::new(),
            clock,
        }
    }

    /// Like [`Invoices::new`], and opens the ledger now, so a data directory that cannot be
    /// written is found at start rather than at the first invoice.
    pub fn open(
        settings: InvoiceSettings,
        data_dir: &Path,
        store: ArtifactStore,
        fonts: FontFiles,
        clock: Clock,
    ) -> Result<Self, Error> {
        let invoices = Self::new(settings, data_dir, store, fonts, clock);
        let ledger = Ledger::open(&invoices.ledger_path)?;
        *invoices.ledger_guard() = Some(ledger);
        Ok(invoices)
    }

    /// The settings in use.
    pub fn settings(&self) -> &InvoiceSettings {
        &self.settings
    }

    fn ledger_guard(&self) -> std::sync::MutexGuard<'_, Option<Ledger>> {
        // A panic while holding the lock leaves the connection usable: SQLite rolled back.
        self.ledger.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn with_ledger<T>(&self, f: impl FnOnce(&mut Ledger) -> Result<T, Error>) -> Result<T, Error> {
        let mut guard = self.ledger_guard();
        if guard.is_none() {
            *guard = Some(Ledger::open(&self.ledger_path)?);
        }
        match guard.as_mut() {
            Some(ledger) => f(ledger),
            None => Err(Error::Ledger {
                path: self.ledger_path.display().to_string(),
                message: "not open".into(),
            }),
        }
    }

    fn fonts(&self) -> Result<&Fonts, Error> {
        self.fonts
            .get_or_init(|| Fonts::load(&self.font_files).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| Error::Fonts(e.clone()))
    }

    /// `invoice.compute` on `args`.
    pub fn compute(&self, args: &Value) -> Result<Output, Error> {
        compute::run(args, self.settings.seller().as_ref())
    }

    /// `invoice.render` on `args` for the step with `idempotency_key`: the same key gives the
    /// same number and the same PDF.
    pub fn render(&self, args: &Value, idempotency_key: &str) -> Result<Rendered, Error> {
        let request = render::Request::from_args(args, &self.settings)?;
        let args_sha256 = sha256_hex(&serde_json::to_vec(args).unwrap_or_default());
        let date = request.issue_date.unwrap_or_else(|| self.today());
        let prefix;
        let wanted = match &request.invoice_number {
            Some(n) => Wanted::Given(n),
            None => {
                let province = self.settings.province.as_deref().ok_or_else(|| {
                    Error::Settings(
                        "numbering an invoice needs the province: set `[invoice] province = \"33\"` (GB/T 2260) in shopflow.toml, or pass `invoice_number`".into(),
                    )
                })?;
                prefix = number_prefix(date, province, self.settings.channel);
                Wanted::Next { prefix: &prefix }
            }
        };
        let iso = date.format("%Y-%m-%d").to_string();
        let held = self.with_ledger(|l| l.reserve(idempotency_key, &args_sha256, &iso, wanted))?;
        // A given number with the default date: the date is the first attempt's, so every
        // attempt of the step answers alike.
        if held.number.get(..2) != held.issue_date.get(2..4) {
            return Err(Error::invalid(
                "/invoice_number",
                format!(
                    "starts with year {} but the invoice is issued on {}; give the `issue_date` of the number",
                    held.number.get(..2).unwrap_or_default(),
                    held.issue_date
                ),
            ));
        }
        if let Some(pdf) = &held.pdf
            && self.store.path(&pdf.artifact).is_ok_and(|p| p.exists())
        {
            return Ok(Rendered {
                invoice_number: held.number,
                issue_date: held.issue_date,
                pdf: pdf.clone(),
            });
        }
        let issue_date = render::parse_date(&held.issue_date).unwrap_or(date);
        let invoice = Invoice {
            request,
            number: held.number.clone(),
            issue_date,
        };
        let bytes = self.pdf(&invoice)?;
        let pdf = self
            .store
            .put(
                &bytes,
                "application/pdf",
                &format!("invoice-{}.pdf", invoice.number),
            )
            .map_err(|e| Error::Store(e.to_string()))?;
        self.with_ledger(|l| l.set_pdf(idempotency_key, &pdf))?;
        Ok(Rendered {
            invoice_number: held.number,
            issue_date: held.issue_date,
            pdf,
        })
    }

    /// The PDF of `invoice` (the same bytes for the same invoice).
    pub fn pdf(&self, invoice: &Invoice) -> Result<Vec<u8>, Error> {
        let pages: Vec<Sheet> = layout::layout(invoice);
        Sheet::render(
            &pages,
            self.fonts()?,
            &format!("{} {}", invoice.request.kind.title(), invoice.number),
        )
        .map_err(Error::Render)
    }

    /// Today in China (UTC+8) by the clock.
    fn today(&self) -> NaiveDate {
        DateTime::from_timestamp_millis((self.clock)().saturating_add(8 * 3_600_000))
            .unwrap_or_default()
            .date_naive()
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    Sha256::digest(bytes)
        .iter()
        .fold(String::with_capacity(64), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Registers `invoice.compute` and `invoice.render` over `invoices`.
pub fn register(registry: &mut FunctionRegistry, invoices: Arc<Invoices>) {
    registry.register(
        "invoice.compute",
        Arc::new(function::InvoiceCompute::new(invoices.clone())),
    );
    registry.register(
        "invoice.render",
        Arc::new(function::InvoiceRender::new(invoices)),
    );
}
