//! Counters the writer keeps about its group commits, for `/metrics` and `shopflow bench`.

use std::sync::atomic::{AtomicU64, Ordering};

use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};

/// Live counters, updated by the writer thread after every batch.
#[derive(Debug)]
pub(crate) struct Counters {
    batches: AtomicU64,
    rows: AtomicU64,
    last_batch_rows: AtomicU64,
    max_batch_rows: AtomicU64,
    /// Rows per batch, for `/metrics`.
    pub(crate) batch_rows: Histogram,
}

impl Default for Counters {
    fn default() -> Self {
        Counters {
            batches: AtomicU64::new(0),
            rows: AtomicU64::new(0),
            last_batch_rows: AtomicU64::new(0),
            max_batch_rows: AtomicU64::new(0),
            batch_rows: Histogram::new(exponential_buckets(1.0, 2.0, 12)),
        }
    }
}

impl Counters {
    /// Counts one committed (or failed) batch of `rows` rows.
    pub(crate) fn record_batch(&self, rows: usize) {
        let rows = u64::try_from(rows).unwrap_or(u64::MAX);
        self.batches.fetch_add(1, Ordering::Relaxed);
        self.rows.fetch_add(rows, Ordering::Relaxed);
        self.last_batch_rows.store(rows, Ordering::Relaxed);
        self.max_batch_rows.fetch_max(rows, Ordering::Relaxed);
        #[expect(clippy::cast_precision_loss, reason = "batch sizes are far below 2^52")]
        self.batch_rows.observe(rows as f64);
    }

    /// A copy of the counters now.
    pub(crate) fn snapshot(&self) -> Metrics {
        Metrics {
            batches: self.batches.load(Ordering::Relaxed),
            rows: self.rows.load(Ordering::Relaxed),
            last_batch_rows: self.last_batch_rows.load(Ordering::Relaxed),
            max_batch_rows: self.max_batch_rows.load(Ordering::Relaxed),
        }
    }
}

/// What the group-commit writer has done since the journal was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Metrics {
    /// Transactions the writer has run (one fsync each with [`Synchronous::Full`](super::Synchronous::Full)).
    pub batches: u64,
    /// Rows written in them.
    pub rows: u64,
    /// Rows in the most recent batch (sample it for a batch-size histogram).
    pub last_batch_rows: u64,
    /// The largest batch so far.
    pub max_batch_rows: u64,
}
