//! Why the sandbox could not start or do what it was asked.

use std::path::PathBuf;

/// A failure of the sandbox itself (not a simulated platform error, which is an answer).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The SQLite file could not be opened or its tables created.
    #[error("sandbox database {path}: {source}")]
    Open {
        /// The database file.
        path: PathBuf,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// A read or write of the sandbox's state failed.
    #[error("sandbox database: {0}")]
    Store(#[from] rusqlite::Error),
    /// A request to the control API or `seed` was not usable.
    #[error("{0}")]
    Invalid(String),
}
