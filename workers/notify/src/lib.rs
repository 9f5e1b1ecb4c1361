//! shopflow's messages to buyers: `notify.send` over the platform (Pinduoduo buyer messages),
//! Aliyun SMS (Dysms `SendSms`) and Aliyun voice (Dyvms `SingleCallByTts`); reminders keep to
//! quiet hours and to at most one per buyer per shop per `min_gap_hours`; every call is
//! idempotent by its key, kept in the contact ledger `DATA/notify.db`. The buyer's phone
//! number is looked up here and never leaves the worker unmasked. Documented in
//! docs/functions/notify.send.md.

pub mod aliyun;
pub mod args;
pub mod error;
pub mod function;
pub mod ledger;
pub mod outcome;
pub mod problem;
pub mod quiet;
pub mod settings;
pub mod template;

use std::path::Path;
use std::sync::Arc;

use shopflow_connectors::Connectors;
use shopflow_connectors::client::Clock;
use shopflow_core::FunctionRegistry;

pub use error::Error;
pub use function::NotifySend;
pub use ledger::Ledger;
pub use outcome::{Channel, Outcome, Reason};
pub use quiet::QuietHours;
pub use settings::{Settings, SmsSettings, Template, VoiceSettings};

/// The contact ledger's file name in the data directory.
pub const LEDGER_FILE: &str = "notify.db";

/// Registers `notify.send` with a contact ledger in memory and the settings of the
/// connectors' configuration (the defaults when it is invalid): for registries that only list
/// function names and must write nothing. A process that sends messages uses [`register`].
pub fn register_in_memory(registry: &mut FunctionRegistry, connectors: Connectors, clock: Clock) {
    let settings = Settings::from_config(connectors.config())
        .or_else(|_| Settings::from_config(&shopflow_connectors::Config::default()));
    if let (Ok(settings), Ok(ledger)) = (settings, Ledger::in_memory()) {
        registry.register(
            "notify.send",
            Arc::new(NotifySend::new(settings, connectors, ledger, clock)),
        );
    }
}

/// Registers `notify.send`: reads `[notify]` from the connectors' configuration (no section:
/// the function is there, and a call for SMS or voice says what to configure), opens
/// `data_dir/notify.db` (creating the directory), and takes "now" from `clock`.
pub fn register(
    registry: &mut FunctionRegistry,
    connectors: Connectors,
    data_dir: &Path,
    clock: Clock,
) -> Result<(), Error> {
    let settings = Settings::from_config(connectors.config())?;
    std::fs::create_dir_all(data_dir).map_err(|source| Error::DataDir {
        path: data_dir.to_owned(),
        source,
    })?;
    let ledger = Ledger::open(&data_dir.join(LEDGER_FILE))?;
    registry.register(
        "notify.send",
        Arc::new(NotifySend::new(settings, connectors, ledger, clock)),
    );
    Ok(())
}
