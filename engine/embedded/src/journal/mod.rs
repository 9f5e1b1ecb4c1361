//! The SQLite journal the embedded engine runs on: runs, step results, the event inbox and
//! timers in one database file.
//!
//! **Durability contract.** A step result (and every other write) is durable when its
//! `async` call returns `Ok`: the row was committed, and with the default
//! [`Synchronous::Full`] fsynced, before the caller is woken. Writes from all callers go
//! through one writer thread that commits everything queued as one transaction — one fsync
//! per batch, not per row (group commit), so throughput grows with concurrency while each
//! caller still waits for its own row to be on disk.
//!
//! **Why rusqlite:** synchronous, thin and mature bindings; the engine keeps SQLite on its
//! own threads, so an async driver would add a layer without removing a blocking call.
//! **Why the `bundled` feature:** it compiles a known, recent SQLite into the binary, so
//! there is no system library to install and every machine runs the same SQLite.
//!
//! One journal per file: opening takes an exclusive lock on `<db>.lock` and refuses, naming
//! the holder's pid, when another journal has it. Files that are not ours (another
//! program's database, garbage, a newer schema) are refused without being written to.

mod access;
mod error;
mod lock;
mod metrics;
mod options;
mod reader;
mod record;
mod schema;
mod writer;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use rusqlite::{Connection, OpenFlags};
use serde_json::Value;
use shopflow_core::StepId;

pub use access::{
    AuditFilter, AuditKind, AuditRecord, LoginFailure, NewAudit, NewSession, NewUserToken, PutMode,
    PutUser, PutUserOutcome, RevokeTokens, SessionGrant, Throttle, Throttled, TokenGrant,
    UserRecord, after_failure,
};
pub use error::Error;
pub use lock::lock_path;
pub use metrics::Metrics;
pub use options::{Options, Synchronous};
pub use record::{
    DueTimer, EventInsert, FlowInsert, FlowRecord, NewEvent, RunFilter, RunRecord, ScheduleRecord,
    StatusChange, TokenRecord,
};
pub use schema::{APPLICATION_ID, latest_version};
pub use writer::Pending;

use lock::HolderLock;
use metrics::Counters;
use reader::Reader;
use writer::{Outcome, Row, Writer};

/// An open journal: one writer thread for all writes, one connection for reads.
///
/// Dropping it lets the writer commit what is queued, closes the database and releases the
/// lock (it blocks for at most one batch).
#[derive(Debug)]
pub struct Journal {
    // Field order is drop order: stop the writer before releasing the lock.
    writer: Writer,
    reader: Reader,
    counters: Arc<Counters>,
    _lock: HolderLock,
}

impl Journal {
    /// Opens (creating if missing) the journal at `path`, migrating its schema to the newest
    /// version.
    ///
    /// Refuses a file that another journal has open ([`Error::InUse`]), that is not SQLite
    /// ([`Error::Corrupt`]), that belongs to another program ([`Error::Foreign`]) or that has
    /// a newer schema ([`Error::NewerSchema`]); a refused file is left byte for byte as it was.
    pub fn open(path: impl AsRef<Path>, options: Options) -> Result<Journal, Error> {
        let path = path.as_ref();
        schema::precheck(path)?;
        let lock = HolderLock::acquire(path)?;
        let fail = |op| move |e| Error::sqlite(op, path, &e);

        let mut conn = Connection::open(path).map_err(fail("open the database"))?;
        conn.busy_timeout(options.busy_timeout)
            .map_err(fail("set the busy timeout"))?;
        // Nothing above wrote to the file; `check` decides whether anything may.
        let version = schema::check(&conn, path)?;
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get::<_, String>(0))
            .map_err(fail("switch to WAL mode"))?;
        conn.pragma_update(None, "synchronous", options.synchronous.pragma())
            .map_err(fail("set synchronous"))?;
        conn.pragma_update(None, "foreign_keys", true)
            .map_err(fail("turn on foreign keys"))?;
        schema::migrate(&mut conn, path, version)?;
        if let Some(max) = options.max_bytes {
            let page: i64 = conn
                .query_row("PRAGMA page_size", [], |r| r.get(0))
                .map_err(fail("read the page size"))?;
            let page = u64::try_from(page).unwrap_or(4096).max(1);
            let pages = i64::try_from(max / page).unwrap_or(i64::MAX).max(1);
            conn.pragma_update(None, "max_page_count", pages)
                .map_err(fail("limit the database size"))?;
        }

        let read = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(fail("open the read connection"))?;
        read.busy_timeout(options.busy_timeout)
            .map_err(fail("set the busy timeout"))?;

        let counters = Arc::new(Counters::default());
        let writer = Writer::start(conn, path, options.batch_cap, Arc::clone(&counters))?;
        Ok(Journal {
            writer,
            reader: Reader::new(read, path),
            counters,
            _lock: lock,
        })
    }

    /// Journals a new run. Fails with [`Error::RunExists`] if the id is taken.
    pub async fn record_run(&self, run: &RunRecord) -> Result<(), Error> {
        self.write(Row::Run {
            id: run.id.clone(),
            flow: run.flow.clone(),
            version: run.version.clone(),
            status: run.status.as_str(),
            input: run.input.to_string(),
            output: run.output.as_ref().map(Value::to_string),
            error: run.error.as_ref().map(Value::to_string),
            created_ms: run.created_ms,
            updated_ms: run.updated_ms,
            parent: run.parent.clone(),
        })
        .await
    }

    /// Moves `run` to a new status (with its output or error when it ends).
    pub async fn set_status(&self, run: &str, change: &StatusChange) -> Result<(), Error> {
        self.write(Row::Status {
            run: run.to_owned(),
            status: change.status.as_str(),
            output: change.output.as_ref().map(Value::to_string),
            error: change.error.as_ref().map(Value::to_string),
            at_ms: change.at_ms,
        })
        .await
    }

    /// Journals the result of `step` of `run`; durable when this returns `Ok`.
    ///
    /// Recording the same result again is a no-op; a different one is
    /// [`Error::StepConflict`]. The run must have been recorded first ([`Error::UnknownRun`]).
    pub async fn record_step(&self, run: &str, step: &StepId, result: &Value) -> Result<(), Error> {
        self.write(Row::Step {
            run: run.to_owned(),
            step: step.as_str().to_owned(),
            result: result.to_string(),
        })
        .await
    }

    /// Queues the result of `step` of `run` without waiting: the returned [`Pending`] reports
    /// its commit. Rows commit in queue order, so awaiting the newest `Pending` of a run
    /// waits for every earlier write of that run too.
    pub fn enqueue_step(&self, run: &str, step: &StepId, result: &Value) -> Result<Pending, Error> {
        self.writer.enqueue(Row::Step {
            run: run.to_owned(),
            step: step.as_str().to_owned(),
            result: result.to_string(),
        })
    }

    /// Waits until every row queued so far has been committed (or has failed); a reader
    /// opened afterwards sees them all.
    pub async fn flush(&self) -> Result<(), Error> {
        self.write(Row::Flush).await
    }

    /// Cancels `run` and the children it awaits, unless it has ended ([`Error::RunEnded`]).
    pub async fn cancel_run(&self, run: &str, at_ms: i64) -> Result<(), Error> {
        self.write(Row::Cancel {
            run: run.to_owned(),
            at_ms,
        })
        .await
    }

    /// Stores a deployed flow version; the same text again is [`FlowInsert::Unchanged`],
    /// different text under a deployed version is [`Error::FlowConflict`].
    pub async fn record_flow(&self, flow: &FlowRecord) -> Result<FlowInsert, Error> {
        let row = Row::Flow {
            namespace: flow.namespace.clone(),
            name: flow.name.clone(),
            version: flow.version.clone(),
            source: flow.source.clone(),
            deployed_ms: flow.deployed_ms,
        };
        match self.writer.submit(row).await? {
            Outcome::Flow(inserted) => Ok(inserted),
            _ => Ok(FlowInsert::Inserted),
        }
    }

    /// Every deployed flow version, in deployment order (a blocking read).
    pub fn flows(&self) -> Result<Vec<FlowRecord>, Error> {
        self.reader.flows()
    }

    /// Switches a flow's schedule on or off and/or records its last tick.
    pub async fn update_schedule(
        &self,
        flow: &str,
        enabled: Option<bool>,
        last_tick_ms: Option<i64>,
    ) -> Result<(), Error> {
        self.write(Row::Schedule {
            flow: flow.to_owned(),
            enabled,
            last_tick_ms,
        })
        .await
    }

    /// Every flow's schedule state (a blocking read).
    pub fn schedules(&self) -> Result<Vec<ScheduleRecord>, Error> {
        self.reader.schedules()
    }

    /// Stores an API token's hash (an existing hash is left as it is).
    pub async fn add_token(&self, token: &TokenRecord) -> Result<(), Error> {
        self.write(Row::Token {
            hash: token.hash.clone(),
            name: token.name.clone(),
            role: token.role.clone(),
            created_ms: token.created_ms,
        })
        .await
    }

    /// The token with this hash, if any (a blocking read).
    pub fn token(&self, hash: &str) -> Result<Option<TokenRecord>, Error> {
        self.reader.token(hash)
    }

    /// Deletes ended runs (with their steps) and events older than `before_ms`; returns how
    /// many runs went.
    pub async fn purge(&self, before_ms: i64) -> Result<usize, Error> {
        match self.writer.submit(Row::Purge { before_ms }).await? {
            Outcome::Changed(n) => Ok(n),
            _ => Ok(0),
        }
    }

    /// One run, if it exists (a blocking read).
    pub fn run(&self, id: &str) -> Result<Option<RunRecord>, Error> {
        self.reader.run(id)
    }

    /// Runs matching `filter`, newest first (a blocking read).
    pub fn list_runs(&self, filter: &RunFilter) -> Result<Vec<RunRecord>, Error> {
        self.reader.list_runs(filter)
    }

    /// How many runs there are in each status (a blocking read).
    pub fn count_by_status(&self) -> Result<Vec<(String, String, u64)>, Error> {
        self.reader.count_by_status()
    }

    /// Sets (or moves) the timer of `step` of `run` to `due_ms`.
    pub async fn add_timer(&self, run: &str, step: &StepId, due_ms: i64) -> Result<(), Error> {
        self.write(Row::AddTimer {
            run: run.to_owned(),
            step: step.as_str().to_owned(),
            due_ms,
        })
        .await
    }

    /// Queues setting the timer of `step` of `run` to `due_ms` without waiting (see
    /// [`enqueue_step`](Self::enqueue_step)).
    pub fn enqueue_timer(&self, run: &str, step: &StepId, due_ms: i64) -> Result<Pending, Error> {
        self.writer.enqueue(Row::AddTimer {
            run: run.to_owned(),
            step: step.as_str().to_owned(),
            due_ms,
        })
    }

    /// Queues removing the timer of `step` of `run` without waiting.
    pub fn enqueue_remove_timer(&self, run: &str, step: &StepId) -> Result<Pending, Error> {
        self.writer.enqueue(Row::RemoveTimer {
            run: run.to_owned(),
            step: step.as_str().to_owned(),
        })
    }

    /// Removes the timer of `step` of `run` (fired or cancelled); no-op if there is none.
    pub async fn remove_timer(&self, run: &str, step: &StepId) -> Result<(), Error> {
        self.write(Row::RemoveTimer {
            run: run.to_owned(),
            step: step.as_str().to_owned(),
        })
        .await
    }

    /// Stores an accepted event, unless one with the same id is already stored.
    pub async fn insert_event(&self, event: &NewEvent) -> Result<EventInsert, Error> {
        let row = Row::Event {
            id: event.id.clone(),
            kind: event.kind.clone(),
            subject: event.subject.clone(),
            body: event.body.to_string(),
            received_ms: event.received_ms,
        };
        match self.writer.submit(row).await? {
            Outcome::Event(inserted) => Ok(inserted),
            _ => Ok(EventInsert::Duplicate),
        }
    }

    /// Every journaled step result of `run`, by StepId (a short blocking read).
    pub fn load_steps(&self, run: &str) -> Result<BTreeMap<String, Value>, Error> {
        self.reader.load_steps(run)
    }

    /// Runs that are not completed, faulted or cancelled, oldest first (a blocking read).
    pub fn unfinished_runs(&self) -> Result<Vec<RunRecord>, Error> {
        self.reader.unfinished_runs()
    }

    /// Events no `listen` has consumed yet, oldest first, as (inbox order, event, received
    /// ms) (a blocking read, for loading the inbox at open).
    pub fn unconsumed_events(&self) -> Result<Vec<(i64, Value, i64)>, Error> {
        self.reader.unconsumed_events()
    }

    /// Timers due at or before `now_ms`, earliest first (a short blocking read).
    pub fn due_timers(&self, now_ms: i64) -> Result<Vec<DueTimer>, Error> {
        self.reader.due_timers(now_ms)
    }

    /// When the earliest pending timer is due, if any (a short blocking read).
    pub fn next_timer_due(&self) -> Result<Option<i64>, Error> {
        self.reader.next_timer_due()
    }

    /// The group-commit counters so far.
    pub fn metrics(&self) -> Metrics {
        self.counters.snapshot()
    }

    /// Rows per committed batch, as a Prometheus histogram (a handle on the live one).
    pub fn batch_histogram(&self) -> prometheus_client::metrics::histogram::Histogram {
        self.counters.batch_rows.clone()
    }

    async fn write(&self, row: Row) -> Result<(), Error> {
        self.writer.submit(row).await.map(|_| ())
    }
}
