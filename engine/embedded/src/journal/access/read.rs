//! Reads of the access tables on the journal's read connection.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde_json::Value;

use super::record::{AuditFilter, AuditRecord, SessionGrant, Throttle, TokenGrant, UserRecord};
use crate::journal::Error;

const USER_COLUMNS: &str =
    "name, role, password_hash, created_ms, updated_ms, failed_logins, locked_until_ms";

fn user_row(r: &Row<'_>) -> rusqlite::Result<UserRecord> {
    Ok(UserRecord {
        name: r.get(0)?,
        role: r.get(1)?,
        password_hash: r.get(2)?,
        created_ms: r.get(3)?,
        updated_ms: r.get(4)?,
        failed_logins: r.get(5)?,
        locked_until_ms: r.get(6)?,
    })
}

/// One user.
pub(crate) fn user(
    conn: &Connection,
    path: &Path,
    name: &str,
) -> Result<Option<UserRecord>, Error> {
    conn.prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users WHERE name = ?1"))
        .and_then(|mut stmt| stmt.query_row(params![name], user_row).optional())
        .map_err(|e| Error::sqlite("read a user", path, &e))
}

/// Every user, by name.
pub(crate) fn users(conn: &Connection, path: &Path) -> Result<Vec<UserRecord>, Error> {
    let fail = |e| Error::sqlite("list users", path, &e);
    let mut stmt = conn
        .prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY name"))
        .map_err(fail)?;
    let rows = stmt.query_map([], user_row).map_err(fail)?;
    rows.map(|row| row.map_err(fail)).collect()
}

/// Who a token is: its owner with the owner's role now, or the token's own name and role.
pub(crate) fn token_grant(
    conn: &Connection,
    path: &Path,
    hash: &str,
) -> Result<Option<TokenGrant>, Error> {
    conn.prepare_cached(
        "SELECT coalesce(t.user, t.name), coalesce(u.role, t.role), t.user, t.created_ms \
         FROM tokens t LEFT JOIN users u ON u.name = t.user \
         WHERE t.hash = ?1 AND (t.user IS NULL OR u.name IS NOT NULL)",
    )
    .and_then(|mut stmt| {
        stmt.query_row(params![hash], |r| {
            Ok(TokenGrant {
                name: r.get(0)?,
                role: r.get(1)?,
                user: r.get(2)?,
                created_ms: r.get(3)?,
            })
        })
        .optional()
    })
    .map_err(|e| Error::sqlite("read a token", path, &e))
}

/// The failed-login state of a name that is no user.
pub(crate) fn login_throttle(
    conn: &Connection,
    path: &Path,
    name: &str,
) -> Result<Option<Throttle>, Error> {
    conn.prepare_cached("SELECT failed_logins, locked_until_ms FROM login_throttle WHERE name = ?1")
        .and_then(|mut stmt| {
            stmt.query_row(params![name], |r| {
                Ok(Throttle {
                    failed_logins: r.get(0)?,
                    locked_until_ms: r.get(1)?,
                })
            })
            .optional()
        })
        .map_err(|e| Error::sqlite("read login failures", path, &e))
}

/// A session and its user's role now.
pub(crate) fn session(
    conn: &Connection,
    path: &Path,
    hash: &str,
) -> Result<Option<SessionGrant>, Error> {
    conn.prepare_cached(
        "SELECT s.user, u.role, s.created_ms, s.last_seen_ms, s.expires_ms \
         FROM sessions s JOIN users u ON u.name = s.user WHERE s.hash = ?1",
    )
    .and_then(|mut stmt| {
        stmt.query_row(params![hash], |r| {
            Ok(SessionGrant {
                user: r.get(0)?,
                role: r.get(1)?,
                created_ms: r.get(2)?,
                last_seen_ms: r.get(3)?,
                expires_ms: r.get(4)?,
            })
        })
        .optional()
    })
    .map_err(|e| Error::sqlite("read a session", path, &e))
}

/// Audit rows matching `filter`, newest first.
pub(crate) fn audit(
    conn: &Connection,
    path: &Path,
    filter: &AuditFilter,
) -> Result<Vec<AuditRecord>, Error> {
    let fail = |e| Error::sqlite("read the audit log", path, &e);
    let mut stmt = conn
        .prepare_cached(
            "SELECT seq, at_ms, kind, user, actor, client, detail FROM audit \
             WHERE (?1 IS NULL OR user = ?1) AND (?2 IS NULL OR kind = ?2) \
             AND (?3 IS NULL OR seq < ?3) ORDER BY seq DESC LIMIT ?4",
        )
        .map_err(fail)?;
    let kind = filter.kind.map(|k| k.as_str());
    let rows = stmt
        .query_map(
            params![filter.user, kind, filter.before_seq, filter.limit],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, String>(6)?,
                ))
            },
        )
        .map_err(fail)?;
    rows.map(|row| {
        let (seq, at_ms, kind, user, actor, client, detail) = row.map_err(fail)?;
        let detail = serde_json::from_str::<Value>(&detail).map_err(|e| Error::Decode {
            what: format!("detail of audit row {seq}"),
            message: e.to_string(),
        })?;
        Ok(AuditRecord {
            seq,
            at_ms,
            kind,
            user,
            actor,
            client,
            detail,
        })
    })
    .collect()
}
