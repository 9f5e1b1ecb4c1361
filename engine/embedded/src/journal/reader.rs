//! Reads on their own connection, so they never queue behind the writer: a step's result,
//! the runs to resume after a restart, and the timers that are due.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde_json::Value;
use shopflow_core::RunStatus;

use super::{DueTimer, Error, FlowRecord, RunFilter, RunRecord, ScheduleRecord, TokenRecord};

/// The read connection. WAL lets it read the last committed state while the writer writes.
#[derive(Debug)]
pub(crate) struct Reader {
    conn: Mutex<Connection>,
    path: PathBuf,
}

impl Reader {
    /// Wraps a connection opened for reading.
    pub(crate) fn new(conn: Connection, path: &Path) -> Reader {
        Reader {
            conn: Mutex::new(conn),
            path: path.to_path_buf(),
        }
    }

    /// Runs `read` on the read connection (for the access tables' reads).
    pub(crate) fn with_conn<T>(
        &self,
        read: impl FnOnce(&Connection, &Path) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        read(&conn, &self.path)
    }

    /// Every journaled step result of `run`, by StepId.
    pub(crate) fn load_steps(&self, run: &str) -> Result<BTreeMap<String, Value>, Error> {
        let conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        let fail = |e| Error::sqlite("load step results", &self.path, &e);
        let mut stmt = conn
            .prepare_cached("SELECT step, result FROM steps WHERE run_id = ?1")
            .map_err(fail)?;
        let rows = stmt
            .query_map(params![run], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
            })
            .map_err(fail)?;
        let mut steps = BTreeMap::new();
        for row in rows {
            let (step, result) = row.map_err(fail)?;
            let value = decode(&result, || format!("result of run {run} step {step}"))?;
            steps.insert(step, value);
        }
        Ok(steps)
    }

    /// Runs whose status is not final, oldest first: the ones to resume after a restart.
    pub(crate) fn unfinished_runs(&self) -> Result<Vec<RunRecord>, Error> {
        let conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        let fail = |e| Error::sqlite("list unfinished runs", &self.path, &e);
        let mut stmt = conn
            .prepare_cached(
                "SELECT id, flow, version, status, input, output, error, created_ms, updated_ms, \
                 parent FROM runs WHERE status NOT IN ('completed', 'faulted', 'cancelled') \
                 ORDER BY created_ms, id",
            )
            .map_err(fail)?;
        let rows = stmt.query_map([], RawRun::from_row).map_err(fail)?;
        rows.map(|row| row.map_err(fail)?.decode()).collect()
    }

    /// Timers due at or before `now_ms`, earliest first.
    pub(crate) fn due_timers(&self, now_ms: i64) -> Result<Vec<DueTimer>, Error> {
        let conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        let fail = |e| Error::sqlite("list due timers", &self.path, &e);
        let mut stmt = conn
            .prepare_cached(
                "SELECT run_id, step, due_ms FROM timers WHERE due_ms <= ?1 \
                 ORDER BY due_ms, run_id, step",
            )
            .map_err(fail)?;
        let rows = stmt
            .query_map(params![now_ms], |row| {
                Ok(DueTimer {
                    run_id: row.get(0)?,
                    step: row.get(1)?,
                    due_ms: row.get(2)?,
                })
            })
            .map_err(fail)?;
        rows.map(|row| row.map_err(fail)).collect()
    }

    /// One run, if it exists.
    pub(crate) fn run(&self, id: &str) -> Result<Option<RunRecord>, Error> {
        let conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        let fail = |e| Error::sqlite("read a run", &self.path, &e);
        let mut stmt = conn
            .prepare_cached(&format!("SELECT {RUN_COLUMNS} FROM runs WHERE id = ?1"))
            .map_err(fail)?;
        let raw = stmt
            .query_row(params![id], RawRun::from_row)
            .optional()
            .map_err(fail)?;
        raw.map(RawRun::decode).transpose()
    }

    /// Runs matching `filter`, newest first.
    pub(crate) fn list_runs(&self, filter: &RunFilter) -> Result<Vec<RunRecord>, Error> {
        let conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        let fail = |e| Error::sqlite("list runs", &self.path, &e);
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {RUN_COLUMNS} FROM runs WHERE (?1 IS NULL OR flow = ?1) \
                 AND (?2 IS NULL OR status = ?2) ORDER BY created_ms DESC, id DESC LIMIT ?3"
            ))
            .map_err(fail)?;
        let limit = filter.limit.map_or(-1, i64::from);
        let status = filter.status.map(RunStatus::as_str);
        let rows = stmt
            .query_map(params![filter.flow, status, limit], RawRun::from_row)
            .map_err(fail)?;
        rows.map(|row| row.map_err(fail)?.decode()).collect()
    }

    /// Run counts by flow and status.
    pub(crate) fn count_by_status(&self) -> Result<Vec<(String, String, u64)>, Error> {
        let conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        let fail = |e| Error::sqlite("count runs", &self.path, &e);
        let mut stmt = conn
            .prepare_cached(
                "SELECT flow, status, count(*) FROM runs GROUP BY flow, status ORDER BY 1, 2",
            )
            .map_err(fail)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)?)))
            .map_err(fail)?;
        rows.map(|row| {
            let (flow, status, n) = row.map_err(fail)?;
            Ok((flow, status, u64::try_from(n).unwrap_or(0)))
        })
        .collect()
    }

    /// Every deployed flow version, in deployment order.
    pub(crate) fn flows(&self) -> Result<Vec<FlowRecord>, Error> {
        let conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        let fail = |e| Error::sqlite("list deployed flows", &self.path, &e);
        let mut stmt = conn
            .prepare_cached(
                "SELECT namespace, name, version, source, deployed_ms FROM flows \
                 ORDER BY deployed_ms, namespace, name, version",
            )
            .map_err(fail)?;
        let rows = stmt
            .query_map([], |r| {
                Ok(FlowRecord {
                    namespace: r.get(0)?,
                    name: r.get(1)?,
                    version: r.get(2)?,
                    source: r.get(3)?,
                    deployed_ms: r.get(4)?,
                })
            })
            .map_err(fail)?;
        rows.map(|row| row.map_err(fail)).collect()
    }

    /// Every flow's schedule state.
    pub(crate) fn schedules(&self) -> Result<Vec<ScheduleRecord>, Error> {
        let conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        let fail = |e| Error::sqlite("list schedules", &self.path, &e);
        let mut stmt = conn
            .prepare_cached("SELECT flow, enabled, last_tick_ms FROM schedules ORDER BY flow")
            .map_err(fail)?;
        let rows = stmt
            .query_map([], |r| {
                Ok(ScheduleRecord {
                    flow: r.get(0)?,
                    enabled: r.get(1)?,
                    last_tick_ms: r.get(2)?,
                })
            })
            .map_err(fail)?;
        rows.map(|row| row.map_err(fail)).collect()
    }

    /// The token with this hash.
    pub(crate) fn token(&self, hash: &str) -> Result<Option<TokenRecord>, Error> {
        let conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        let fail = |e| Error::sqlite("read a token", &self.path, &e);
        conn.prepare_cached("SELECT hash, name, role, created_ms FROM tokens WHERE hash = ?1")
            .and_then(|mut stmt| {
                stmt.query_row(params![hash], |r| {
                    Ok(TokenRecord {
                        hash: r.get(0)?,
                        name: r.get(1)?,
                        role: r.get(2)?,
                        created_ms: r.get(3)?,
                    })
                })
                .optional()
            })
            .map_err(fail)
    }

    /// Events that no `listen` has consumed yet, oldest first: (inbox order, event, when it
    /// was received). An event is consumed when a journaled step result names its id under
    /// `consumed_event_id`.
    pub(crate) fn unconsumed_events(&self) -> Result<Vec<(i64, Value, i64)>, Error> {
        let conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        let fail = |e| Error::sqlite("list unconsumed events", &self.path, &e);
        let mut stmt = conn
            .prepare(
                "SELECT seq, body, received_ms FROM events \
                 WHERE consumed_by IS NULL AND id NOT IN ( \
                     SELECT json_extract(result, '$.consumed_event_id') FROM steps \
                     WHERE json_type(result, '$.consumed_event_id') = 'text') \
                 ORDER BY seq",
            )
            .map_err(fail)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })
            .map_err(fail)?;
        rows.map(|row| {
            let (seq, body, received_ms) = row.map_err(fail)?;
            let event = decode(&body, || format!("inbox event {seq}"))?;
            Ok((seq, event, received_ms))
        })
        .collect()
    }

    /// When the earliest pending timer is due, if any: how long the scheduler may sleep.
    pub(crate) fn next_timer_due(&self) -> Result<Option<i64>, Error> {
        let conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        conn.query_row("SELECT min(due_ms) FROM timers", [], |row| row.get(0))
            .map_err(|e| Error::sqlite("find the next timer", &self.path, &e))
    }
}

/// A `runs` row as stored, before its JSON and status are decoded.
struct RawRun {
    id: String,
    flow: String,
    version: String,
    status: String,
    input: String,
    output: Option<String>,
    error: Option<String>,
    created_ms: i64,
    updated_ms: i64,
    parent: Option<String>,
}

/// The columns [`RawRun::from_row`] reads, in order.
const RUN_COLUMNS: &str =
    "id, flow, version, status, input, output, error, created_ms, updated_ms, parent";

impl RawRun {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<RawRun> {
        Ok(RawRun {
            id: row.get(0)?,
            flow: row.get(1)?,
            version: row.get(2)?,
            status: row.get(3)?,
            input: row.get(4)?,
            output: row.get(5)?,
            error: row.get(6)?,
            created_ms: row.get(7)?,
            updated_ms: row.get(8)?,
            parent: row.get(9)?,
        })
    }

    fn decode(self) -> Result<RunRecord, Error> {
        let id = self.id;
        let status = self
            .status
            .parse::<RunStatus>()
            .map_err(|message| Error::Decode {
                what: format!("status of run {id}"),
                message,
            })?;
        let input = decode(&self.input, || format!("input of run {id}"))?;
        let output = self
            .output
            .map(|o| decode(&o, || format!("output of run {id}")))
            .transpose()?;
        let error = self
            .error
            .map(|e| decode(&e, || format!("error of run {id}")))
            .transpose()?;
        Ok(RunRecord {
            id,
            flow: self.flow,
            version: self.version,
            status,
            input,
            output,
            error,
            created_ms: self.created_ms,
            updated_ms: self.updated_ms,
            parent: self.parent,
        })
    }
}

/// Parses stored JSON; `what` names the value in the error.
fn decode(text: &str, what: impl FnOnce() -> String) -> Result<Value, Error> {
    serde_json::from_str(text).map_err(|e| Error::Decode {
        what: what(),
        message: e.to_string(),
    })
}
