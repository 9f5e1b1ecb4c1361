//! How a journal is opened: durability level, lock wait and batch size.

use std::time::Duration;

/// How hard SQLite syncs a commit to disk (`PRAGMA synchronous`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Synchronous {
    /// Every commit is fsynced before it returns: a journaled step survives power loss.
    #[default]
    Full,
    /// WAL commits are synced only at checkpoints: survives a crash of the process but may
    /// lose the last commits on power loss. For benchmarks and throw-away runs.
    Normal,
}

impl Synchronous {
    /// The value for `PRAGMA synchronous`.
    pub(crate) fn pragma(self) -> &'static str {
        match self {
            Synchronous::Full => "FULL",
            Synchronous::Normal => "NORMAL",
        }
    }
}

/// Settings for [`Journal::open`](super::Journal::open).
#[derive(Debug, Clone)]
pub struct Options {
    /// Durability of each commit; [`Synchronous::Full`] unless benchmarking.
    pub synchronous: Synchronous,
    /// How long SQLite waits for a lock held by another connection before failing with a
    /// retryable busy error.
    pub busy_timeout: Duration,
    /// The most rows one group commit takes; more queued rows go into the next batch.
    pub batch_cap: usize,
    /// The most bytes the database file may grow to (`PRAGMA max_page_count`); past it every
    /// write fails as if the disk were full, runs pause, and they carry on once space is
    /// freed (retention, or a restart with a larger limit). `None`: the disk is the limit.
    pub max_bytes: Option<u64>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            synchronous: Synchronous::Full,
            busy_timeout: Duration::from_secs(5),
            batch_cap: 1024,
            max_bytes: None,
        }
    }
}
