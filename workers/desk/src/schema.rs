//! `DATA/desk.db`: its tables, the pragmas every connection gets, and the migrations between
//! schema versions (`PRAGMA user_version`).

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use crate::Error;

/// `PRAGMA application_id` of a desk database: "SFDK".
pub const APPLICATION_ID: i32 = 0x5346_444B;

/// Migration `i` takes the schema from version `i` to `i + 1`. Append only.
///
/// Every query the desk makes in a hot path goes through a primary key or one of these
/// indexes: tickets by id, by agent (loads, round-robin, `?agent=`), by status (queues at
/// start, `?status=`) and by queue (`?queue=`); tasks by id, queue and status; audit rows by
/// subject.
const MIGRATIONS: &[&str] = &[
    // v1
    "CREATE TABLE tickets (
         seq               INTEGER PRIMARY KEY,
         id                TEXT NOT NULL UNIQUE,
         shop              TEXT NOT NULL,
         buyer             TEXT,
         department        TEXT NOT NULL,
         language          TEXT NOT NULL,
         urgency           TEXT NOT NULL,
         vip               INTEGER NOT NULL,
         handover          INTEGER NOT NULL,
         priority          INTEGER NOT NULL,
         queue             TEXT NOT NULL,
         agent             TEXT,
         status            TEXT NOT NULL CHECK (status IN ('queued', 'assigned', 'escalated',
                               'resolved')),
         summary           TEXT,
         sla_minutes       INTEGER NOT NULL,
         sla_due_ms        INTEGER NOT NULL,
         created_ms        INTEGER NOT NULL,
         assigned_ms       INTEGER,
         assign_seq        INTEGER,
         escalated_ms      INTEGER,
         escalation_reason TEXT,
         previous_agent    TEXT,
         resolved_ms       INTEGER,
         resolved_by       TEXT
     );
     CREATE INDEX tickets_by_agent ON tickets (agent, assign_seq);
     CREATE INDEX tickets_by_status ON tickets (status, seq);
     CREATE INDEX tickets_by_queue ON tickets (queue, seq);
     CREATE TABLE tasks (
         seq        INTEGER PRIMARY KEY,
         id         TEXT NOT NULL UNIQUE,
         queue      TEXT NOT NULL,
         kind       TEXT NOT NULL,
         title      TEXT NOT NULL,
         subject    TEXT NOT NULL,
         reasons    TEXT NOT NULL,
         data       TEXT NOT NULL,
         run_id     TEXT,
         status     TEXT NOT NULL CHECK (status IN ('open', 'decided')),
         reminders  INTEGER NOT NULL DEFAULT 0,
         created_ms INTEGER NOT NULL,
         decided_ms INTEGER,
         decision   TEXT
     );
     CREATE INDEX tasks_by_queue ON tasks (queue, status, seq);
     CREATE INDEX tasks_by_status ON tasks (status, seq);
     CREATE TABLE audit (
         seq     INTEGER PRIMARY KEY,
         kind    TEXT NOT NULL CHECK (kind IN ('ticket', 'task')),
         subject TEXT NOT NULL,
         action  TEXT NOT NULL,
         by      TEXT NOT NULL,
         at_ms   INTEGER NOT NULL,
         before  TEXT,
         after   TEXT
     );
     CREATE INDEX audit_by_subject ON audit (kind, subject, seq);
     CREATE TABLE calls (
         key      TEXT NOT NULL,
         function TEXT NOT NULL,
         result   TEXT NOT NULL,
         at_ms    INTEGER NOT NULL,
         PRIMARY KEY (key, function)
     ) WITHOUT ROWID;
     CREATE TABLE outbox (
         seq   INTEGER PRIMARY KEY,
         event TEXT NOT NULL
     );",
];

/// The newest schema version this build knows.
pub fn latest_version() -> i32 {
    i32::try_from(MIGRATIONS.len()).unwrap_or(i32::MAX)
}

/// Opens the write connection: WAL, `synchronous=FULL`, the schema migrated to the newest
/// version. Refuses a file of another program or of a newer shopflow.
pub fn open_writer(path: &Path) -> Result<Connection, Error> {
    let at = path.display().to_string();
    let fail = |op| {
        let at = at.clone();
        move |e: rusqlite::Error| Error::store(&at, op, &e)
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::Store {
            path: at.clone(),
            op: "create its directory",
            message: e.to_string(),
        })?;
    }
    let conn = Connection::open(path).map_err(fail("open the database"))?;
    prepare(conn, &at)
}

/// Opens a private in-memory desk (nothing survives the process): the write connection and
/// a read connection on the same database, for a registry that only lists functions.
pub fn open_memory() -> Result<(Connection, Connection, String), Error> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let name = format!(
        "file:shopflow-desk-{}-{}?mode=memory&cache=shared",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let writer = Connection::open_with_flags(&name, flags)
        .map_err(|e| Error::store(&name, "open the database", &e))?;
    let writer = prepare(writer, &name)?;
    let reader = Connection::open_with_flags(&name, flags)
        .map_err(|e| Error::store(&name, "open the read connection", &e))?;
    Ok((writer, reader, name))
}

/// Checks that `conn` is a desk database (or empty) not newer than this build, sets the
/// pragmas and migrates the schema.
fn prepare(mut conn: Connection, at: &str) -> Result<Connection, Error> {
    let fail = |op| move |e: rusqlite::Error| Error::store(at, op, &e);
    conn.busy_timeout(Duration::from_secs(5))
        .map_err(fail("set the busy timeout"))?;
    let read = |conn: &Connection, sql: &str| -> Result<i32, Error> {
        conn.query_row(sql, [], |r| r.get(0))
            .map_err(fail("read the database header"))
    };
    let found = read(&conn, "PRAGMA application_id")?;
    let version = read(&conn, "PRAGMA user_version")?;
    let tables = read(&conn, "SELECT count(*) FROM sqlite_schema")?;
    if found != APPLICATION_ID && (found != 0 || tables > 0) {
        return Err(Error::Config(format!(
            "{at} is not a shopflow desk database (application id {found:#x}); move it away \
             or point the data directory elsewhere"
        )));
    }
    if version > latest_version() {
        return Err(Error::Config(format!(
            "{at} has desk schema version {version}, newer than this shopflow knows ({}); \
             run the newer shopflow",
            latest_version()
        )));
    }
    conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0))
        .map_err(fail("switch to WAL mode"))?;
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(fail("set synchronous"))?;
    let start = usize::try_from(version).unwrap_or(0);
    for (to, sql) in (1_i32..).zip(MIGRATIONS).skip(start) {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(fail("migrate the schema"))?;
        tx.execute_batch(sql).map_err(fail("migrate the schema"))?;
        tx.pragma_update(None, "application_id", APPLICATION_ID)
            .map_err(fail("migrate the schema"))?;
        tx.pragma_update(None, "user_version", to)
            .map_err(fail("migrate the schema"))?;
        tx.commit().map_err(fail("migrate the schema"))?;
    }
    Ok(conn)
}

/// Opens a read-only connection (the REST API's lists), after [`open_writer`].
pub fn open_reader(path: &Path) -> Result<Connection, Error> {
    let at = path.display().to_string();
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| Error::store(&at, "open the read connection", &e))?;
    conn.busy_timeout(Duration::from_secs(5))
        .map_err(|e| Error::store(&at, "set the busy timeout", &e))?;
    Ok(conn)
}
