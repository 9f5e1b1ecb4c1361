//! The audit log: every change to a ticket or task, who made it (`desk` for the router), when,
//! and the record before and after.

use rusqlite::{Connection, params};
use serde_json::{Value, json};

use crate::time::rfc3339;

/// What an audit row is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// A ticket.
    Ticket,
    /// A task.
    Task,
}

impl Subject {
    fn as_str(self) -> &'static str {
        match self {
            Subject::Ticket => "ticket",
            Subject::Task => "task",
        }
    }
}

/// The name audit rows give the router's own changes.
pub const DESK: &str = "desk";

/// One change.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// `assigned`, `queued`, `escalated`, `resolved`, `opened`, `reminded`, `decided`.
    pub action: String,
    /// Who.
    pub by: String,
    /// When (ms).
    pub at_ms: i64,
    /// The record before (`None` when it was made).
    pub before: Option<Value>,
    /// The record after.
    pub after: Option<Value>,
}

impl Entry {
    /// The API's view.
    pub fn to_json(&self) -> Value {
        json!({
            "action": self.action,
            "by": self.by,
            "at": rfc3339(self.at_ms),
            "before": self.before,
            "after": self.after,
        })
    }
}

/// Appends a change.
pub fn record(
    conn: &Connection,
    subject: (Subject, &str),
    action: &str,
    by: &str,
    at_ms: i64,
    before: Option<&Value>,
    after: Option<&Value>,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO audit (kind, subject, action, by, at_ms, before, after)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        subject.0.as_str(),
        subject.1,
        action,
        by,
        at_ms,
        before.map(Value::to_string),
        after.map(Value::to_string),
    ])?;
    Ok(())
}

/// The changes to one ticket or task, oldest first.
pub fn history(conn: &Connection, subject: Subject, id: &str) -> rusqlite::Result<Vec<Entry>> {
    let mut stmt = conn.prepare_cached(
        "SELECT action, by, at_ms, before, after FROM audit
         WHERE kind = ?1 AND subject = ?2 ORDER BY seq",
    )?;
    let rows = stmt.query_map(params![subject.as_str(), id], |r| {
        let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
        Ok(Entry {
            action: r.get(0)?,
            by: r.get(1)?,
            at_ms: r.get(2)?,
            before: parse(r.get(3)?),
            after: parse(r.get(4)?),
        })
    })?;
    rows.collect()
}
