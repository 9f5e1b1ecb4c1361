//! Changes to the access tables, each written by the journal's writer thread inside its batch
//! transaction, together with the audit rows that record it.

use std::path::Path;

use rusqlite::{OptionalExtension, Transaction, params};
use serde_json::{Value, json};

use super::record::{
    AuditKind, LoginFailure, NewAudit, NewSession, NewUserToken, PutMode, PutUser, PutUserOutcome,
    RevokeTokens,
};
use crate::journal::Error;

/// One change to the access tables.
#[derive(Debug, Clone)]
pub(crate) enum AccessWrite {
    /// Create or update a user.
    PutUser(PutUser),
    /// A token owned by a user.
    UserToken(NewUserToken),
    /// Tokens of a user revoked.
    RevokeTokens(RevokeTokens),
    /// The seeded admin token, replacing the previous one.
    SeedToken { hash: String, at_ms: i64 },
    /// A login that succeeded.
    LoginSucceeded(NewSession),
    /// A login that failed.
    LoginFailed(LoginFailure),
    /// A session used.
    TouchSession { hash: String, at_ms: i64 },
    /// A session ended (logout).
    EndSession {
        hash: String,
        at_ms: i64,
        client: Option<String>,
    },
    /// One audit row.
    Audit(NewAudit),
}

/// What an access change did.
#[derive(Debug, Clone, Copy)]
pub(crate) enum AccessOutcome {
    /// Whether the change found what it changes.
    Done(bool),
    /// A user put.
    User(PutUserOutcome),
    /// A failed login: locked until then, if it locked the name.
    Locked(Option<i64>),
    /// Tokens revoked: how many (`None`: no such user).
    Revoked(Option<u32>),
}

/// The failed-login count and lock after one more failure: `max_failures` in a row lock the
/// name for `lock_ms` from `now_ms` and start the count again.
pub fn after_failure(failed: u32, now_ms: i64, max_failures: u32, lock_ms: i64) -> Throttled {
    let failed = failed.saturating_add(1);
    if failed >= max_failures.max(1) {
        Throttled {
            failed_logins: 0,
            locked_until_ms: Some(now_ms.saturating_add(lock_ms)),
        }
    } else {
        Throttled {
            failed_logins: failed,
            locked_until_ms: None,
        }
    }
}

/// The state [`after_failure`] leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttled {
    /// Failed logins in a row from now on.
    pub failed_logins: u32,
    /// Locked until then, if this failure locked the name.
    pub locked_until_ms: Option<i64>,
}

/// Writes `change` inside the batch's transaction.
pub(crate) fn write(
    tx: &Transaction<'_>,
    path: &Path,
    change: &AccessWrite,
) -> Result<AccessOutcome, Error> {
    match change {
        AccessWrite::PutUser(user) => put_user(tx, path, user).map(AccessOutcome::User),
        AccessWrite::UserToken(token) => user_token(tx, path, token).map(AccessOutcome::Done),
        AccessWrite::RevokeTokens(revoke) => {
            revoke_tokens(tx, path, revoke).map(AccessOutcome::Revoked)
        }
        AccessWrite::SeedToken { hash, at_ms } => {
            seed_token(tx, path, hash, *at_ms).map(AccessOutcome::Done)
        }
        AccessWrite::LoginSucceeded(session) => {
            login_succeeded(tx, path, session).map(|()| AccessOutcome::Done(true))
        }
        AccessWrite::LoginFailed(failure) => {
            login_failed(tx, path, failure).map(AccessOutcome::Locked)
        }
        AccessWrite::TouchSession { hash, at_ms } => {
            let changed = tx
                .prepare_cached(
                    "UPDATE sessions SET last_seen_ms = max(last_seen_ms, ?2) WHERE hash = ?1",
                )
                .and_then(|mut stmt| stmt.execute(params![hash, at_ms]))
                .map_err(|e| Error::sqlite("mark a session used", path, &e))?;
            Ok(AccessOutcome::Done(changed > 0))
        }
        AccessWrite::EndSession {
            hash,
            at_ms,
            client,
        } => end_session(tx, path, hash, *at_ms, client.as_deref()).map(AccessOutcome::Done),
        AccessWrite::Audit(entry) => audit(tx, path, entry).map(|()| AccessOutcome::Done(true)),
    }
}

fn put_user(tx: &Transaction<'_>, path: &Path, user: &PutUser) -> Result<PutUserOutcome, Error> {
    let fail = |e| Error::sqlite("store a user", path, &e);
    let stored: Option<(String, String)> = tx
        .prepare_cached("SELECT role, password_hash FROM users WHERE name = ?1")
        .and_then(|mut stmt| {
            stmt.query_row(params![user.name], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
        })
        .map_err(fail)?;
    let entry = |kind, detail| NewAudit {
        at_ms: user.at_ms,
        kind,
        user: Some(user.name.clone()),
        actor: Some(user.actor.clone()),
        client: user.client.clone(),
        detail,
    };
    match (stored, user.mode) {
        (Some(_), PutMode::Create) => Ok(PutUserOutcome::Exists),
        (None, PutMode::Update) => Ok(PutUserOutcome::Missing),
        (None, PutMode::Create | PutMode::CreateOrUpdate) => {
            let Some(hash) = &user.password_hash else {
                return Ok(PutUserOutcome::Missing);
            };
            tx.prepare_cached(
                "INSERT INTO users (name, role, password_hash, created_ms, updated_ms) \
                 VALUES (?1, ?2, ?3, ?4, ?4)",
            )
            .and_then(|mut stmt| stmt.execute(params![user.name, user.role, hash, user.at_ms]))
            .map_err(fail)?;
            audit(
                tx,
                path,
                &entry(AuditKind::UserCreated, json!({ "role": user.role })),
            )?;
            Ok(PutUserOutcome::Created)
        }
        (Some((role, hash)), PutMode::Update | PutMode::CreateOrUpdate) => {
            let role_changed = role != user.role;
            let password_changed = user.password_hash.as_ref().is_some_and(|h| *h != hash);
            if !role_changed && !password_changed {
                return Ok(PutUserOutcome::Updated {
                    role_changed,
                    password_changed,
                    sessions_ended: 0,
                });
            }
            tx.prepare_cached(
                "UPDATE users SET role = ?2, password_hash = coalesce(?3, password_hash), \
                 updated_ms = ?4, \
                 failed_logins = CASE WHEN ?3 IS NULL THEN failed_logins ELSE 0 END, \
                 locked_until_ms = CASE WHEN ?3 IS NULL THEN locked_until_ms ELSE NULL END \
                 WHERE name = ?1",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![
                    user.name,
                    user.role,
                    user.password_hash,
                    user.at_ms
                ])
            })
            .map_err(fail)?;
            let sessions_ended = tx
                .prepare_cached("DELETE FROM sessions WHERE user = ?1")
                .and_then(|mut stmt| stmt.execute(params![user.name]))
                .map_err(|e| Error::sqlite("end a user's sessions", path, &e))?;
            if role_changed {
                let detail =
                    json!({ "from": role, "to": user.role, "sessions_ended": sessions_ended });
                audit(tx, path, &entry(AuditKind::RoleChanged, detail))?;
            }
            if password_changed {
                let detail = json!({ "sessions_ended": sessions_ended });
                audit(tx, path, &entry(AuditKind::PasswordChanged, detail))?;
            }
            Ok(PutUserOutcome::Updated {
                role_changed,
                password_changed,
                sessions_ended,
            })
        }
    }
}

fn user_token(tx: &Transaction<'_>, path: &Path, token: &NewUserToken) -> Result<bool, Error> {
    let fail = |e| Error::sqlite("store a token", path, &e);
    let role: Option<String> = tx
        .prepare_cached("SELECT role FROM users WHERE name = ?1")
        .and_then(|mut stmt| stmt.query_row(params![token.user], |r| r.get(0)).optional())
        .map_err(fail)?;
    let Some(role) = role else {
        return Ok(false);
    };
    tx.prepare_cached(
        "INSERT INTO tokens (hash, name, role, created_ms, user) VALUES (?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT (hash) DO NOTHING",
    )
    .and_then(|mut stmt| {
        stmt.execute(params![
            token.hash,
            token.label,
            role,
            token.at_ms,
            token.user
        ])
    })
    .map_err(fail)?;
    audit(
        tx,
        path,
        &NewAudit {
            at_ms: token.at_ms,
            kind: AuditKind::TokenCreated,
            user: Some(token.user.clone()),
            actor: Some(token.actor.clone()),
            client: token.client.clone(),
            detail: json!({ "label": token.label, "token": short(&token.hash) }),
        },
    )?;
    Ok(true)
}

fn revoke_tokens(
    tx: &Transaction<'_>,
    path: &Path,
    revoke: &RevokeTokens,
) -> Result<Option<u32>, Error> {
    let fail = |e| Error::sqlite("revoke tokens", path, &e);
    let known = tx
        .prepare_cached("SELECT 1 FROM users WHERE name = ?1")
        .and_then(|mut stmt| stmt.exists(params![revoke.user]))
        .map_err(fail)?;
    if !known {
        return Ok(None);
    }
    let deleted = tx
        .prepare_cached(
            "DELETE FROM tokens WHERE user = ?1 AND seed = 0 AND (?2 IS NULL OR name = ?2)",
        )
        .and_then(|mut stmt| stmt.execute(params![revoke.user, revoke.label]))
        .map_err(fail)?;
    let deleted = u32::try_from(deleted).unwrap_or(u32::MAX);
    if deleted > 0 {
        audit(
            tx,
            path,
            &NewAudit {
                at_ms: revoke.at_ms,
                kind: AuditKind::TokenRevoked,
                user: Some(revoke.user.clone()),
                actor: Some(revoke.actor.clone()),
                client: revoke.client.clone(),
                detail: json!({ "label": revoke.label, "revoked": deleted }),
            },
        )?;
    }
    Ok(Some(deleted))
}

fn seed_token(tx: &Transaction<'_>, path: &Path, hash: &str, at_ms: i64) -> Result<bool, Error> {
    let fail = |e| Error::sqlite("store the seeded admin token", path, &e);
    let replaced = tx
        .prepare_cached("DELETE FROM tokens WHERE seed = 1 AND hash <> ?1")
        .and_then(|mut stmt| stmt.execute(params![hash]))
        .map_err(fail)?;
    let inserted = tx
        .prepare_cached(
            "INSERT INTO tokens (hash, name, role, created_ms, seed) \
             VALUES (?1, 'admin', 'admin', ?2, 1) ON CONFLICT (hash) DO NOTHING",
        )
        .and_then(|mut stmt| stmt.execute(params![hash, at_ms]))
        .map_err(fail)?;
    if inserted > 0 {
        audit(
            tx,
            path,
            &NewAudit {
                at_ms,
                kind: AuditKind::TokenCreated,
                user: Some("admin".to_owned()),
                actor: Some("SHOPFLOW_ADMIN_TOKEN".to_owned()),
                client: None,
                detail: json!({ "seeded": true, "replaced": replaced, "token": short(hash) }),
            },
        )?;
    }
    Ok(inserted > 0)
}

fn login_succeeded(tx: &Transaction<'_>, path: &Path, session: &NewSession) -> Result<(), Error> {
    let fail = |e| Error::sqlite("start a session", path, &e);
    tx.prepare_cached("DELETE FROM sessions WHERE expires_ms <= ?1 OR last_seen_ms <= ?1 - ?2")
        .and_then(|mut stmt| stmt.execute(params![session.at_ms, session.idle_ms]))
        .map_err(fail)?;
    tx.prepare_cached("UPDATE users SET failed_logins = 0, locked_until_ms = NULL WHERE name = ?1")
        .and_then(|mut stmt| stmt.execute(params![session.user]))
        .map_err(fail)?;
    tx.prepare_cached(
        "INSERT INTO sessions (hash, user, created_ms, last_seen_ms, expires_ms, client) \
         VALUES (?1, ?2, ?3, ?3, ?4, ?5)",
    )
    .and_then(|mut stmt| {
        stmt.execute(params![
            session.hash,
            session.user,
            session.at_ms,
            session.expires_ms,
            session.client
        ])
    })
    .map_err(fail)?;
    audit(
        tx,
        path,
        &NewAudit {
            at_ms: session.at_ms,
            kind: AuditKind::Login,
            user: Some(session.user.clone()),
            actor: None,
            client: session.client.clone(),
            detail: json!({ "session": short(&session.hash) }),
        },
    )
}

fn login_failed(
    tx: &Transaction<'_>,
    path: &Path,
    failure: &LoginFailure,
) -> Result<Option<i64>, Error> {
    let fail = |e| Error::sqlite("count a failed login", path, &e);
    let user_failures: Option<u32> = tx
        .prepare_cached("SELECT failed_logins FROM users WHERE name = ?1")
        .and_then(|mut stmt| {
            stmt.query_row(params![failure.name], |r| r.get(0))
                .optional()
        })
        .map_err(fail)?;
    let failures = match user_failures {
        Some(n) => n,
        None => {
            // Names that are no user are throttled alike, so a lockout tells nothing about
            // whether the name exists; rows of names not tried for a day are dropped.
            tx.prepare_cached("DELETE FROM login_throttle WHERE updated_ms < ?1 - 86400000")
                .and_then(|mut stmt| stmt.execute(params![failure.at_ms]))
                .map_err(fail)?;
            tx.prepare_cached("SELECT failed_logins FROM login_throttle WHERE name = ?1")
                .and_then(|mut stmt| {
                    stmt.query_row(params![failure.name], |r| r.get(0))
                        .optional()
                })
                .map_err(fail)?
                .unwrap_or(0)
        }
    };
    let next = after_failure(
        failures,
        failure.at_ms,
        failure.max_failures,
        failure.lock_ms,
    );
    let sql = if user_failures.is_some() {
        "UPDATE users SET failed_logins = ?2, \
         locked_until_ms = coalesce(?3, locked_until_ms) WHERE name = ?1"
    } else {
        "INSERT INTO login_throttle (name, failed_logins, locked_until_ms, updated_ms) \
         VALUES (?1, ?2, ?3, ?4) ON CONFLICT (name) DO UPDATE SET \
         failed_logins = excluded.failed_logins, \
         locked_until_ms = coalesce(excluded.locked_until_ms, locked_until_ms), \
         updated_ms = excluded.updated_ms"
    };
    tx.prepare_cached(sql)
        .and_then(|mut stmt| {
            if user_failures.is_some() {
                stmt.execute(params![
                    failure.name,
                    next.failed_logins,
                    next.locked_until_ms
                ])
            } else {
                stmt.execute(params![
                    failure.name,
                    next.failed_logins,
                    next.locked_until_ms,
                    failure.at_ms
                ])
            }
        })
        .map_err(fail)?;
    let entry = |kind, detail| NewAudit {
        at_ms: failure.at_ms,
        kind,
        user: Some(failure.name.clone()),
        actor: None,
        client: failure.client.clone(),
        detail,
    };
    audit(
        tx,
        path,
        &entry(
            AuditKind::LoginFailed,
            json!({ "failed_in_a_row": failures.saturating_add(1) }),
        ),
    )?;
    if let Some(until) = next.locked_until_ms {
        audit(
            tx,
            path,
            &entry(AuditKind::Lockout, json!({ "locked_until_ms": until })),
        )?;
    }
    Ok(next.locked_until_ms)
}

fn end_session(
    tx: &Transaction<'_>,
    path: &Path,
    hash: &str,
    at_ms: i64,
    client: Option<&str>,
) -> Result<bool, Error> {
    let fail = |e| Error::sqlite("end a session", path, &e);
    let user: Option<String> = tx
        .prepare_cached("DELETE FROM sessions WHERE hash = ?1 RETURNING user")
        .and_then(|mut stmt| stmt.query_row(params![hash], |r| r.get(0)).optional())
        .map_err(fail)?;
    let Some(user) = user else {
        return Ok(false);
    };
    audit(
        tx,
        path,
        &NewAudit {
            at_ms,
            kind: AuditKind::Logout,
            user: Some(user),
            actor: None,
            client: client.map(str::to_owned),
            detail: json!({ "session": short(hash) }),
        },
    )?;
    Ok(true)
}

fn audit(tx: &Transaction<'_>, path: &Path, entry: &NewAudit) -> Result<(), Error> {
    let detail = match &entry.detail {
        Value::Null => "{}".to_owned(),
        other => other.to_string(),
    };
    tx.prepare_cached(
        "INSERT INTO audit (at_ms, kind, user, actor, client, detail) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .and_then(|mut stmt| {
        stmt.execute(params![
            entry.at_ms,
            entry.kind.as_str(),
            entry.user,
            entry.actor,
            entry.client,
            detail
        ])
    })
    .map_err(|e| Error::sqlite("write an audit row", path, &e))?;
    Ok(())
}

/// The first 12 hex digits of a hash: enough to tell sessions and tokens apart in the log,
/// useless for finding the secret.
fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fifth_failure_in_a_row_locks_and_restarts_the_count() {
        let mut failed = 0;
        for n in 1..5 {
            let next = after_failure(failed, 1_000, 5, 900_000);
            assert_eq!(next.failed_logins, n);
            assert_eq!(next.locked_until_ms, None);
            failed = next.failed_logins;
        }
        let locked = after_failure(failed, 1_000, 5, 900_000);
        assert_eq!(locked.failed_logins, 0);
        assert_eq!(locked.locked_until_ms, Some(901_000));
    }
}
