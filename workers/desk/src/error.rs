//! What can go wrong at the desk, and whether trying again can help.

/// A refused or failed desk operation.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// An argument or request member is wrong; `field` names it (`department`, `/by`).
    #[error("`{field}`: {message}")]
    Invalid {
        /// The argument's name.
        field: String,
        /// What is wrong and what would be right.
        message: String,
    },
    /// No ticket or task with that id.
    #[error("{0}")]
    NotFound(String),
    /// The ticket or task has already reached the state asked for (resolved, decided).
    #[error("{0}")]
    Conflict(String),
    /// `[desk]` in `shopflow.toml` is wrong; the message names the file and the key.
    #[error("{0}")]
    Config(String),
    /// SQLite failed (disk full, busy, I/O): nothing of the operation was stored.
    #[error("the desk database {path}: cannot {op}: {message}")]
    Store {
        /// The database file.
        path: String,
        /// What was being done.
        op: &'static str,
        /// SQLite's message.
        message: String,
    },
    /// The desk's writer has stopped (shutting down).
    #[error("the desk is shutting down")]
    Closed,
}

impl Error {
    /// An invalid argument.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Error::Invalid {
            field: field.to_owned(),
            message: message.into(),
        }
    }

    /// Whether the same request can succeed later (SQLite failures, shutdown).
    pub fn is_retryable(&self) -> bool {
        matches!(self, Error::Store { .. } | Error::Closed)
    }

    /// A SQLite failure while doing `op` on the database at `path`.
    pub(crate) fn store(path: &str, op: &'static str, e: &rusqlite::Error) -> Self {
        Error::Store {
            path: path.to_owned(),
            op,
            message: e.to_string(),
        }
    }
}
