//! The group-commit writer: one thread owns the write connection and turns everything
//! queued into one transaction, so many runs share one fsync.

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, ffi, params};
use serde_json::Value;
use tokio::sync::oneshot;

use super::access::{self, AccessOutcome, AccessWrite};
use super::metrics::Counters;
use super::{Error, EventInsert, FlowInsert};

/// One change to journal, with its JSON already serialised by the caller's thread.
#[derive(Debug)]
pub(crate) enum Row {
    /// A new run.
    Run {
        id: String,
        flow: String,
        version: String,
        status: &'static str,
        input: String,
        output: Option<String>,
        error: Option<String>,
        created_ms: i64,
        updated_ms: i64,
        parent: Option<String>,
    },
    /// A run's new status; `None` output or error leave the stored one.
    Status {
        run: String,
        status: &'static str,
        output: Option<String>,
        error: Option<String>,
        at_ms: i64,
    },
    /// A run and its awaited children cancelled (those not ended yet).
    Cancel { run: String, at_ms: i64 },
    /// A deployed flow version.
    Flow {
        namespace: String,
        name: String,
        version: String,
        source: String,
        deployed_ms: i64,
    },
    /// A flow's schedule switched on or off, or its last tick.
    Schedule {
        flow: String,
        enabled: Option<bool>,
        last_tick_ms: Option<i64>,
    },
    /// An API token (hashed).
    Token {
        hash: String,
        name: String,
        role: String,
        created_ms: i64,
    },
    /// Ended runs and events older than `before_ms` deleted (retention).
    Purge { before_ms: i64 },
    /// Nothing: its commit tells that every row queued before it is durable.
    Flush,
    /// A change to users, sessions, tokens, login throttling or the audit log.
    Access(AccessWrite),
    /// A step's result.
    Step {
        run: String,
        step: String,
        result: String,
    },
    /// A timer set (or moved) for a run's step.
    AddTimer {
        run: String,
        step: String,
        due_ms: i64,
    },
    /// A timer fired or cancelled.
    RemoveTimer { run: String, step: String },
    /// An accepted event.
    Event {
        id: String,
        kind: String,
        subject: Option<String>,
        body: String,
        received_ms: i64,
    },
}

/// What writing a row did.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Outcome {
    /// The row is durable.
    Written,
    /// The event row is durable, or was a duplicate.
    Event(EventInsert),
    /// The flow row is durable, or the same text was there already.
    Flow(FlowInsert),
    /// How many rows a cancel or purge changed.
    Changed(usize),
    /// What an access change did.
    Access(AccessOutcome),
}

/// A row waiting for the writer, and where to report once its batch has committed.
struct Request {
    row: Row,
    ack: oneshot::Sender<Result<Outcome, Error>>,
    /// Nobody waits for this row yet: the writer may hold it briefly for a batch that
    /// someone waits for.
    lazy: bool,
}

/// How long the writer holds a batch of lazy rows for a row someone waits for, so that a
/// run's effect-free steps and its next waited write share one commit.
const LAZY_HOLD: Duration = Duration::from_millis(5);

/// The handle callers use; dropping it lets the writer finish what is queued and stop.
#[derive(Debug)]
pub(crate) struct Writer {
    queue: Option<Sender<Request>>,
    thread: Option<JoinHandle<()>>,
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.row.fmt(f)
    }
}

impl Writer {
    /// Starts the writer thread on `conn`.
    pub(crate) fn start(
        conn: Connection,
        path: &Path,
        batch_cap: usize,
        counters: Arc<Counters>,
    ) -> Result<Writer, Error> {
        let (queue, inbox) = mpsc::channel();
        let path = path.to_path_buf();
        let batch_cap = batch_cap.max(1);
        let thread = thread::Builder::new()
            .name("shopflow-journal-writer".into())
            .spawn(move || run(conn, &path, &inbox, batch_cap, &counters))
            .map_err(|e| Error::Sqlite {
                op: "start the journal writer thread",
                code: None,
                message: e.to_string(),
            })?;
        Ok(Writer {
            queue: Some(queue),
            thread: Some(thread),
        })
    }

    /// Queues `row` and waits until the batch that carries it has committed.
    ///
    /// Dropping the returned future does not withdraw the row: it is written all the same.
    pub(crate) async fn submit(&self, row: Row) -> Result<Outcome, Error> {
        self.send(row, false)?.await.map_err(|_| Error::Closed)?
    }

    /// Queues `row` now and returns what reports its commit: rows are committed in the order
    /// they were queued, so once a row's commit is reported every row queued before it is
    /// durable too.
    ///
    /// The row is *lazy*: the writer may hold it for up to a few milliseconds so it commits
    /// with the next row someone waits for (a [`submit`](Self::submit)); wait for it with a
    /// submitted row (a flush) rather than on its own.
    pub(crate) fn enqueue(&self, row: Row) -> Result<Pending, Error> {
        self.send(row, true).map(Pending)
    }

    fn send(
        &self,
        row: Row,
        lazy: bool,
    ) -> Result<oneshot::Receiver<Result<Outcome, Error>>, Error> {
        let (ack, done) = oneshot::channel();
        self.queue
            .as_ref()
            .ok_or(Error::Closed)?
            .send(Request { row, ack, lazy })
            .map_err(|_| Error::Closed)?;
        Ok(done)
    }
}

/// A queued row's commit, reported once its batch has committed (or failed).
#[derive(Debug)]
pub struct Pending(oneshot::Receiver<Result<Outcome, Error>>);

impl Future for Pending {
    type Output = Result<(), Error>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        std::pin::Pin::new(&mut self.0)
            .poll(cx)
            .map(|r| r.unwrap_or(Err(Error::Closed)).map(|_| ()))
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // Closing the queue ends the writer's loop once it has drained and committed.
        drop(self.queue.take());
        if let Some(thread) = self.thread.take() {
            // A panicked writer has already failed its callers with `Closed`.
            let _ = thread.join();
        }
    }
}

/// The writer thread: wait for one row, take everything else queued up to the cap, commit
/// it as one transaction, answer every caller.
fn run(
    mut conn: Connection,
    path: &Path,
    inbox: &Receiver<Request>,
    batch_cap: usize,
    counters: &Counters,
) {
    while let Ok(first) = inbox.recv() {
        let mut batch = vec![first];
        while batch.len() < batch_cap {
            match inbox.try_recv() {
                Ok(request) => batch.push(request),
                Err(_) => break,
            }
        }
        // Only lazy rows: hold them a moment for a row someone waits for.
        let held = Instant::now();
        while batch.len() < batch_cap && batch.iter().all(|r| r.lazy) {
            let Some(left) = LAZY_HOLD.checked_sub(held.elapsed()) else {
                break;
            };
            match inbox.recv_timeout(left) {
                Ok(request) => batch.push(request),
                Err(_) => break,
            }
        }
        let results = commit_batch(&mut conn, path, &batch);
        counters.record_batch(batch.len());
        for (request, result) in batch.into_iter().zip(results) {
            // The caller may have stopped waiting; its row is durable all the same.
            let _ = request.ack.send(result);
        }
    }
}

/// Writes the batch in one transaction. A row that breaks a rule (unknown run, conflicting
/// step) fails alone, since SQLite undoes just that statement; a failure that aborts the
/// transaction or the commit fails every row.
fn commit_batch(
    conn: &mut Connection,
    path: &Path,
    batch: &[Request],
) -> Vec<Result<Outcome, Error>> {
    let all_fail = |err: Error| batch.iter().map(|_| Err(err.clone())).collect();
    let tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => return all_fail(Error::sqlite("begin a journal batch", path, &e)),
    };
    let mut results = Vec::with_capacity(batch.len());
    for request in batch {
        let result = write_row(&tx, path, &request.row);
        if let Err(err) = &result
            && tx.is_autocommit()
        {
            return all_fail(err.clone());
        }
        results.push(result);
    }
    match tx.commit() {
        Ok(()) => results,
        Err(e) => all_fail(Error::sqlite("commit a journal batch", path, &e)),
    }
}

/// Writes one row inside the batch's transaction.
fn write_row(tx: &Transaction<'_>, path: &Path, row: &Row) -> Result<Outcome, Error> {
    match row {
        Row::Run {
            id,
            flow,
            version,
            status,
            input,
            output,
            error,
            created_ms,
            updated_ms,
            parent,
        } => {
            let changed = tx
                .prepare_cached(
                    "INSERT INTO runs (id, flow, version, status, input, output, error, \
                     created_ms, updated_ms, parent) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) \
                     ON CONFLICT (id) DO NOTHING",
                )
                .and_then(|mut stmt| {
                    stmt.execute(params![
                        id, flow, version, status, input, output, error, created_ms, updated_ms,
                        parent
                    ])
                })
                .map_err(|e| row_error("record a run", path, id, &e))?;
            if changed == 0 {
                return Err(Error::RunExists { run: id.clone() });
            }
        }
        Row::Status {
            run,
            status,
            output,
            error,
            at_ms,
        } => {
            let changed = tx
                .prepare_cached(
                    "UPDATE runs SET status = ?2, output = coalesce(?3, output), \
                     error = coalesce(?4, error), updated_ms = ?5 \
                     WHERE id = ?1 AND status NOT IN ('completed', 'faulted', 'cancelled')",
                )
                .and_then(|mut stmt| stmt.execute(params![run, status, output, error, at_ms]))
                .map_err(|e| row_error("set a run's status", path, run, &e))?;
            if changed == 0 {
                return Err(ended_or_unknown(tx, path, run));
            }
        }
        Row::Cancel { run, at_ms } => {
            let changed = tx
                .prepare_cached(
                    "UPDATE runs SET status = 'cancelled', updated_ms = ?2 \
                     WHERE (id = ?1 OR (substr(id, 1, length(?1) + 1) = ?1 || '/' \
                                         AND parent IS NOT NULL)) \
                     AND status NOT IN ('completed', 'faulted', 'cancelled')",
                )
                .and_then(|mut stmt| stmt.execute(params![run, at_ms]))
                .map_err(|e| row_error("cancel a run", path, run, &e))?;
            if changed == 0 {
                return Err(ended_or_unknown(tx, path, run));
            }
            tx.prepare_cached(
                "DELETE FROM timers WHERE run_id IN (SELECT id FROM runs \
                 WHERE status = 'cancelled' AND (id = ?1 OR \
                 (substr(id, 1, length(?1) + 1) = ?1 || '/' AND parent IS NOT NULL)))",
            )
            .and_then(|mut stmt| stmt.execute(params![run]))
            .map_err(|e| row_error("cancel a run's timers", path, run, &e))?;
            return Ok(Outcome::Changed(changed));
        }
        Row::Flow {
            namespace,
            name,
            version,
            source,
            deployed_ms,
        } => {
            let changed = tx
                .prepare_cached(
                    "INSERT INTO flows (namespace, name, version, source, deployed_ms) \
                     VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
                )
                .and_then(|mut stmt| {
                    stmt.execute(params![namespace, name, version, source, deployed_ms])
                })
                .map_err(|e| Error::sqlite("deploy a flow", path, &e))?;
            if changed == 1 {
                return Ok(Outcome::Flow(FlowInsert::Inserted));
            }
            let stored: String = tx
                .prepare_cached(
                    "SELECT source FROM flows WHERE namespace = ?1 AND name = ?2 AND version = ?3",
                )
                .and_then(|mut stmt| {
                    stmt.query_row(params![namespace, name, version], |r| r.get(0))
                })
                .map_err(|e| Error::sqlite("read a deployed flow", path, &e))?;
            if &stored == source {
                return Ok(Outcome::Flow(FlowInsert::Unchanged));
            }
            return Err(Error::FlowConflict {
                flow: format!("{namespace}/{name}"),
                version: version.clone(),
            });
        }
        Row::Schedule {
            flow,
            enabled,
            last_tick_ms,
        } => {
            tx.prepare_cached(
                "INSERT INTO schedules (flow, enabled, last_tick_ms) \
                 VALUES (?1, coalesce(?2, 1), ?3) ON CONFLICT (flow) DO UPDATE SET \
                 enabled = coalesce(?2, enabled), last_tick_ms = coalesce(?3, last_tick_ms)",
            )
            .and_then(|mut stmt| stmt.execute(params![flow, enabled, last_tick_ms]))
            .map_err(|e| Error::sqlite("update a schedule", path, &e))?;
        }
        Row::Token {
            hash,
            name,
            role,
            created_ms,
        } => {
            tx.prepare_cached(
                "INSERT INTO tokens (hash, name, role, created_ms) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (hash) DO NOTHING",
            )
            .and_then(|mut stmt| stmt.execute(params![hash, name, role, created_ms]))
            .map_err(|e| Error::sqlite("store a token", path, &e))?;
        }
        Row::Flush => {}
        Row::Access(change) => return access::apply(tx, path, change).map(Outcome::Access),
        Row::Purge { before_ms } => {
            let runs = tx
                .prepare_cached(
                    "DELETE FROM runs WHERE status IN ('completed', 'faulted', 'cancelled') \
                     AND updated_ms < ?1",
                )
                .and_then(|mut stmt| stmt.execute(params![before_ms]))
                .map_err(|e| Error::sqlite("delete old runs", path, &e))?;
            tx.prepare_cached("DELETE FROM events WHERE received_ms < ?1")
                .and_then(|mut stmt| stmt.execute(params![before_ms]))
                .map_err(|e| Error::sqlite("delete old events", path, &e))?;
            return Ok(Outcome::Changed(runs));
        }
        Row::Step { run, step, result } => {
            let changed = tx
                .prepare_cached(
                    "INSERT INTO steps (run_id, step, result) VALUES (?1, ?2, ?3) \
                     ON CONFLICT (run_id, step) DO NOTHING",
                )
                .and_then(|mut stmt| stmt.execute(params![run, step, result]))
                .map_err(|e| row_error("record a step result", path, run, &e))?;
            if changed == 0 {
                check_same_result(tx, path, run, step, result)?;
            }
        }
        Row::AddTimer { run, step, due_ms } => {
            tx.prepare_cached(
                "INSERT INTO timers (run_id, step, due_ms) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (run_id, step) DO UPDATE SET due_ms = excluded.due_ms",
            )
            .and_then(|mut stmt| stmt.execute(params![run, step, due_ms]))
            .map_err(|e| row_error("add a timer", path, run, &e))?;
        }
        Row::RemoveTimer { run, step } => {
            tx.prepare_cached("DELETE FROM timers WHERE run_id = ?1 AND step = ?2")
                .and_then(|mut stmt| stmt.execute(params![run, step]))
                .map_err(|e| row_error("remove a timer", path, run, &e))?;
        }
        Row::Event {
            id,
            kind,
            subject,
            body,
            received_ms,
        } => {
            let changed = tx
                .prepare_cached(
                    "INSERT INTO events (id, type, subject, body, received_ms) \
                     VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (id) DO NOTHING",
                )
                .and_then(|mut stmt| stmt.execute(params![id, kind, subject, body, received_ms]))
                .map_err(|e| Error::sqlite("insert an event", path, &e))?;
            let inserted = if changed == 0 {
                EventInsert::Duplicate
            } else {
                EventInsert::Inserted {
                    seq: tx.last_insert_rowid(),
                }
            };
            return Ok(Outcome::Event(inserted));
        }
    }
    Ok(Outcome::Written)
}

/// A step journaled twice is fine when the result is the same (a retried write) and a
/// determinism bug when it differs.
fn check_same_result(
    tx: &Transaction<'_>,
    path: &Path,
    run: &str,
    step: &str,
    result: &str,
) -> Result<(), Error> {
    let stored: Option<String> = tx
        .prepare_cached("SELECT result FROM steps WHERE run_id = ?1 AND step = ?2")
        .and_then(|mut stmt| stmt.query_row(params![run, step], |r| r.get(0)).optional())
        .map_err(|e| Error::sqlite("read a step result", path, &e))?;
    let same = stored.is_some_and(|stored| {
        stored == result
            || serde_json::from_str::<Value>(&stored).ok()
                == serde_json::from_str::<Value>(result).ok()
    });
    if same {
        Ok(())
    } else {
        Err(Error::StepConflict {
            run: run.to_owned(),
            step: step.to_owned(),
        })
    }
}

/// Why a status change touched no row: the run has ended already, or does not exist.
fn ended_or_unknown(tx: &Transaction<'_>, path: &Path, run: &str) -> Error {
    let status: Result<Option<String>, _> = tx
        .prepare_cached("SELECT status FROM runs WHERE id = ?1")
        .and_then(|mut stmt| stmt.query_row(params![run], |r| r.get(0)).optional());
    match status {
        Ok(Some(status)) => Error::RunEnded {
            run: run.to_owned(),
            status,
        },
        Ok(None) => Error::UnknownRun {
            run: run.to_owned(),
        },
        Err(e) => Error::sqlite("read a run's status", path, &e),
    }
}

/// A failed row write; a foreign-key failure means the run was never recorded.
fn row_error(op: &'static str, path: &Path, run: &str, err: &rusqlite::Error) -> Error {
    match err {
        rusqlite::Error::SqliteFailure(e, _)
            if e.extended_code == ffi::SQLITE_CONSTRAINT_FOREIGNKEY =>
        {
            Error::UnknownRun {
                run: run.to_owned(),
            }
        }
        _ => Error::sqlite(op, path, err),
    }
}
