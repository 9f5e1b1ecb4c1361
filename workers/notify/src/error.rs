//! Why the notify worker could not start: its `[notify]` settings or its contact ledger.

use std::path::PathBuf;

/// A failure to set up `notify.send` (failures of a call are `WorkflowError`s).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `shopflow.toml` could not be read into `[notify]` (a wrong type, an unknown key).
    #[error(transparent)]
    Config(#[from] shopflow_connectors::config::Error),
    /// A `[notify…]` value is wrong.
    #[error("{path}: [{table}]: {message}")]
    Setting {
        /// The configuration file.
        path: PathBuf,
        /// The table (`notify.sms`, `notify.templates.NAME`, …).
        table: String,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// The data directory could not be created.
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The contact ledger could not be opened or its table created.
    #[error("contact ledger {path}: {source}")]
    Open {
        /// The SQLite file.
        path: PathBuf,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// A read or write of the contact ledger failed.
    #[error("contact ledger: {0}")]
    Ledger(#[from] rusqlite::Error),
}
