//! The journal's tables, how a file is recognised as ours, and the migrations between
//! schema versions (`PRAGMA user_version`).

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};

use super::Error;

/// `PRAGMA application_id` of every shopflow database: "SFLW".
pub const APPLICATION_ID: i32 = 0x5346_4C57;

/// Migration `i` takes the schema from version `i` to `i + 1`; the last index + 1 is the
/// newest version this build knows. Append only: never edit a released migration.
const MIGRATIONS: &[&str] = &[
    // v1: runs, their step results, the event inbox and pending timers.
    "CREATE TABLE runs (
         id         TEXT PRIMARY KEY NOT NULL,
         flow       TEXT NOT NULL,
         version    TEXT NOT NULL,
         status     TEXT NOT NULL CHECK (status IN ('pending', 'running', 'waiting',
                        'suspended', 'cancelled', 'faulted', 'completed')),
         input      TEXT NOT NULL,
         output     TEXT,
         error      TEXT,
         created_ms INTEGER NOT NULL,
         updated_ms INTEGER NOT NULL
     );
     CREATE INDEX runs_by_status ON runs (status);
     CREATE TABLE steps (
         run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
         step   TEXT NOT NULL,
         result TEXT NOT NULL,
         PRIMARY KEY (run_id, step)
     ) WITHOUT ROWID;
     CREATE TABLE events (
         seq         INTEGER PRIMARY KEY,
         id          TEXT NOT NULL UNIQUE,
         type        TEXT NOT NULL,
         subject     TEXT,
         body        TEXT NOT NULL,
         received_ms INTEGER NOT NULL,
         consumed_by TEXT
     );
     CREATE TABLE timers (
         run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
         step   TEXT NOT NULL,
         due_ms INTEGER NOT NULL,
         PRIMARY KEY (run_id, step)
     ) WITHOUT ROWID;
     CREATE INDEX timers_by_due ON timers (due_ms);",
    // v2: deployed flow versions, child runs' parents, schedules, API tokens, run listing.
    "CREATE TABLE flows (
         namespace   TEXT NOT NULL,
         name        TEXT NOT NULL,
         version     TEXT NOT NULL,
         source      TEXT NOT NULL,
         deployed_ms INTEGER NOT NULL,
         PRIMARY KEY (namespace, name, version)
     ) WITHOUT ROWID;
     ALTER TABLE runs ADD COLUMN parent TEXT;
     CREATE INDEX runs_by_flow ON runs (flow, status, created_ms);
     CREATE INDEX runs_by_updated ON runs (updated_ms);
     CREATE TABLE schedules (
         flow         TEXT PRIMARY KEY NOT NULL,
         enabled      INTEGER NOT NULL DEFAULT 1,
         last_tick_ms INTEGER
     ) WITHOUT ROWID;
     CREATE TABLE tokens (
         hash       TEXT PRIMARY KEY NOT NULL,
         name       TEXT NOT NULL,
         role       TEXT NOT NULL CHECK (role IN ('admin', 'ops', 'finance', 'viewer')),
         created_ms INTEGER NOT NULL
     ) WITHOUT ROWID;",
    // v3: people who sign in (argon2id hashes), their sessions (hashed ids), tokens owned by a
    // user, login throttling for names that are no user, and the security audit log. The
    // token `SHOPFLOW_ADMIN_TOKEN` seeded is marked, so seeding a new one replaces it.
    "CREATE TABLE users (
         name            TEXT PRIMARY KEY NOT NULL,
         role            TEXT NOT NULL CHECK (role IN ('admin', 'ops', 'finance', 'viewer')),
         password_hash   TEXT NOT NULL,
         created_ms      INTEGER NOT NULL,
         updated_ms      INTEGER NOT NULL,
         failed_logins   INTEGER NOT NULL DEFAULT 0,
         locked_until_ms INTEGER
     ) WITHOUT ROWID;
     CREATE TABLE sessions (
         hash         TEXT PRIMARY KEY NOT NULL,
         user         TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
         created_ms   INTEGER NOT NULL,
         last_seen_ms INTEGER NOT NULL,
         expires_ms   INTEGER NOT NULL,
         client       TEXT
     ) WITHOUT ROWID;
     CREATE INDEX sessions_by_user ON sessions (user);
     CREATE TABLE login_throttle (
         name            TEXT PRIMARY KEY NOT NULL,
         failed_logins   INTEGER NOT NULL,
         locked_until_ms INTEGER,
         updated_ms      INTEGER NOT NULL
     ) WITHOUT ROWID;
     CREATE TABLE audit (
         seq    INTEGER PRIMARY KEY,
         at_ms  INTEGER NOT NULL,
         kind   TEXT NOT NULL,
         user   TEXT,
         actor  TEXT,
         client TEXT,
         detail TEXT NOT NULL DEFAULT '{}'
     );
     CREATE INDEX audit_by_user ON audit (user, seq);
     ALTER TABLE tokens ADD COLUMN user TEXT REFERENCES users (name) ON DELETE CASCADE;
     ALTER TABLE tokens ADD COLUMN seed INTEGER NOT NULL DEFAULT 0;
     CREATE INDEX tokens_by_user ON tokens (user);
     UPDATE tokens SET seed = 1, name = 'admin' WHERE name = 'admin (SHOPFLOW_ADMIN_TOKEN)';",
];

/// The newest schema version this build knows.
pub fn latest_version() -> i32 {
    i32::try_from(MIGRATIONS.len()).unwrap_or(i32::MAX)
}

/// The first bytes of every SQLite 3 file.
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// Refuses a file that is plainly not ours by reading its 100-byte header with plain file
/// I/O, before SQLite or the lock file touch anything. A missing or empty file passes (it
/// becomes a new journal).
///
/// In WAL mode the header can lag behind the WAL, so this only rejects what the WAL cannot
/// change: a file that is not SQLite, or one that another program stamped with its own
/// `application_id`. [`check`] gives the authoritative answer through SQLite.
pub(crate) fn precheck(path: &Path) -> Result<(), Error> {
    let mut header = Vec::with_capacity(100);
    match File::open(path) {
        Ok(file) => file
            .take(100)
            .read_to_end(&mut header)
            .map_err(|e| corrupt(path, &format!("cannot read its header: {e}")))?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(corrupt(path, &format!("cannot read it: {e}"))),
    };
    if header.is_empty() {
        return Ok(());
    }
    if header.len() < 100 || !header.starts_with(SQLITE_MAGIC) {
        return Err(corrupt(path, "no SQLite header"));
    }
    // Fields every valid header has: a power-of-two page size (1 means 65536) and the fixed
    // payload fractions 64/32/32. Without them the rest of the header means nothing.
    let page_size = u16::from_be_bytes([header[16], header[17]]);
    let page_size_ok = page_size == 1 || (page_size >= 512 && page_size.is_power_of_two());
    if !page_size_ok || header[21..24] != [64, 32, 32] {
        return Err(corrupt(path, "its SQLite header is damaged"));
    }
    let found = i32::from_be_bytes([header[68], header[69], header[70], header[71]]);
    if found != 0 && found != APPLICATION_ID {
        return Err(foreign(path, found));
    }
    Ok(())
}

/// Checks, without writing, that the open database is ours (or empty) and not newer than
/// this build; returns its schema version.
pub(crate) fn check(conn: &Connection, path: &Path) -> Result<i32, Error> {
    let read = |sql: &str| -> Result<i32, Error> {
        conn.query_row(sql, [], |row| row.get(0))
            .map_err(|e| Error::sqlite("read the database header", path, &e))
    };
    let found = read("PRAGMA application_id")?;
    let version = read("PRAGMA user_version")?;
    let tables = read("SELECT count(*) FROM sqlite_schema")?;
    if found != APPLICATION_ID && (found != 0 || tables > 0) {
        return Err(foreign(path, found));
    }
    if version > latest_version() {
        return Err(Error::NewerSchema {
            path: path.display().to_string(),
            found: version,
            known: latest_version(),
        });
    }
    Ok(version)
}

/// Brings the schema from `from` to the newest version, one transaction per migration, and
/// stamps the file with [`APPLICATION_ID`] in the first one.
pub(crate) fn migrate(conn: &mut Connection, path: &Path, from: i32) -> Result<(), Error> {
    let start = usize::try_from(from).unwrap_or(0);
    for (version, sql) in (1_i32..).zip(MIGRATIONS).skip(start) {
        let fail = |e: rusqlite::Error| Error::sqlite("migrate the journal schema", path, &e);
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(fail)?;
        tx.execute_batch(sql).map_err(fail)?;
        tx.pragma_update(None, "application_id", APPLICATION_ID)
            .map_err(fail)?;
        tx.pragma_update(None, "user_version", version)
            .map_err(fail)?;
        tx.commit().map_err(fail)?;
    }
    Ok(())
}

fn corrupt(path: &Path, reason: &str) -> Error {
    Error::Corrupt {
        path: path.display().to_string(),
        reason: reason.to_owned(),
    }
}

fn foreign(path: &Path, found: i32) -> Error {
    Error::Foreign {
        path: path.display().to_string(),
        found,
    }
}
