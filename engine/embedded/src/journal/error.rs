//! The journal's failures, and which of them are worth retrying.

use std::io;
use std::path::Path;

use rusqlite::ErrorCode;

/// Why a journal operation failed.
///
/// Cloneable because one failed batch commit is reported to every caller in the batch.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// The file is a SQLite database that belongs to another program.
    #[error(
        "{path} is not a shopflow database (application_id {found:#010x}); refusing to touch it"
    )]
    Foreign {
        /// The database file.
        path: String,
        /// The `application_id` found in its header (0 when unset but the file has tables).
        found: i32,
    },
    /// The file is not SQLite at all, or SQLite reports it corrupt.
    #[error("{path} is not a readable SQLite database ({reason}); the file was left untouched")]
    Corrupt {
        /// The database file.
        path: String,
        /// What was wrong with it.
        reason: String,
    },
    /// The file was written by a newer shopflow.
    #[error(
        "{path} has journal schema version {found}, but this shopflow knows versions up to \
         {known}; upgrade shopflow to open it"
    )]
    NewerSchema {
        /// The database file.
        path: String,
        /// The schema version in the file.
        found: i32,
        /// The newest schema version this build knows.
        known: i32,
    },
    /// Another journal (in this or another process) has the database open.
    #[error(
        "database {path} is in use by pid {pid} (started {started}); stop that process or use \
         another database file"
    )]
    InUse {
        /// The database file.
        path: String,
        /// The holder's process id, as it wrote it into the lock file (`unknown` if unreadable).
        pid: String,
        /// When the holder opened the database, as it wrote it (`unknown` if unreadable).
        started: String,
    },
    /// The sidecar lock file could not be created, locked or written.
    #[error("cannot use lock file {path}: {message}")]
    LockFile {
        /// The lock file.
        path: String,
        /// The operating system's reason.
        message: String,
        /// The kind of I/O failure.
        kind: io::ErrorKind,
    },
    /// SQLite failed while doing `op`.
    #[error("SQLite failed to {op}: {message}")]
    Sqlite {
        /// What the journal was doing.
        op: &'static str,
        /// SQLite's primary result code, when the failure came from SQLite itself.
        code: Option<ErrorCode>,
        /// SQLite's message.
        message: String,
    },
    /// A step already has a different result journaled: the flow is not replaying
    /// deterministically.
    #[error(
        "run {run} step {step} already has a different result journaled; the flow did not \
         replay deterministically"
    )]
    StepConflict {
        /// The run.
        run: String,
        /// The StepId.
        step: String,
    },
    /// The run id is not in the journal (record the run before its steps, timers or status).
    #[error("run {run} is not in the journal; record it before its steps, timers or status")]
    UnknownRun {
        /// The run.
        run: String,
    },
    /// A run with this id is already journaled.
    #[error("run {run} is already in the journal")]
    RunExists {
        /// The run.
        run: String,
    },
    /// The run has ended (completed, faulted or cancelled); its status no longer changes.
    #[error("run {run} has already ended ({status})")]
    RunEnded {
        /// The run.
        run: String,
        /// Its final status.
        status: String,
    },
    /// This flow version is deployed with different text.
    #[error(
        "flow {flow} version {version} is already deployed with different content; \
         raise document.version to deploy a change"
    )]
    FlowConflict {
        /// `namespace/name`.
        flow: String,
        /// The version.
        version: String,
    },
    /// A stored value could not be read back.
    #[error("stored {what} is unreadable: {message}")]
    Decode {
        /// Which value (`run r1 status`, `step result`, …).
        what: String,
        /// Why.
        message: String,
    },
    /// The writer thread has stopped (the journal is closing, or it panicked).
    #[error("the journal writer has stopped")]
    Closed,
}

impl Error {
    /// Whether trying the same operation again later may succeed: the database was busy or
    /// locked, or the disk was full.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Sqlite { code, .. } => matches!(
                code,
                Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked | ErrorCode::DiskFull)
            ),
            Error::Foreign { .. }
            | Error::Corrupt { .. }
            | Error::NewerSchema { .. }
            | Error::InUse { .. }
            | Error::LockFile { .. }
            | Error::StepConflict { .. }
            | Error::UnknownRun { .. }
            | Error::RunExists { .. }
            | Error::RunEnded { .. }
            | Error::FlowConflict { .. }
            | Error::Decode { .. }
            | Error::Closed => false,
        }
    }

    /// Wraps a SQLite failure; corruption becomes [`Error::Corrupt`] for `path`.
    pub(crate) fn sqlite(op: &'static str, path: &Path, err: &rusqlite::Error) -> Self {
        let code = err.sqlite_error_code();
        match code {
            Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => Error::Corrupt {
                path: path.display().to_string(),
                reason: err.to_string(),
            },
            _ => Error::Sqlite {
                op,
                code,
                message: err.to_string(),
            },
        }
    }

    /// Wraps a failure on the lock file at `path`.
    pub(crate) fn lock_file(path: &Path, err: &io::Error) -> Self {
        Error::LockFile {
            path: path.display().to_string(),
            message: err.to_string(),
            kind: err.kind(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sqlite(code: ErrorCode) -> Error {
        Error::Sqlite {
            op: "commit",
            code: Some(code),
            message: String::new(),
        }
    }

    #[test]
    fn busy_locked_and_full_are_retryable_the_rest_is_not() {
        assert!(sqlite(ErrorCode::DatabaseBusy).is_retryable());
        assert!(sqlite(ErrorCode::DatabaseLocked).is_retryable());
        assert!(sqlite(ErrorCode::DiskFull).is_retryable());
        assert!(!sqlite(ErrorCode::ConstraintViolation).is_retryable());
        let corrupt = Error::Corrupt {
            path: "x.db".into(),
            reason: "garbage".into(),
        };
        assert!(!corrupt.is_retryable());
        let newer = Error::NewerSchema {
            path: "x.db".into(),
            found: 9,
            known: 1,
        };
        assert!(!newer.is_retryable());
        assert!(!Error::Closed.is_retryable());
    }
}
