//! A human task (a return to review, an invoice to check) and the decision made on it: its
//! rows in `tasks`, and how the API shows it.

use rusqlite::types::Type;
use rusqlite::{Connection, OptionalExtension, Row, ToSql, params};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::status::{TaskStatus, Verdict};
use crate::time::rfc3339;

/// A stored task.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    /// Creation order.
    pub seq: i64,
    /// `T-000001`.
    pub id: String,
    /// The queue people work from (`returns`, `finance-review`).
    pub queue: String,
    /// What sort of task (`return_review`, `invoice_review`).
    pub kind: String,
    /// One line for the list.
    pub title: String,
    /// What it is about (an order, refund or ticket id).
    pub subject: String,
    /// Why a person has to look (a JSON array).
    pub reasons: Value,
    /// What the person needs to decide (a JSON object).
    pub data: Value,
    /// The run waiting for the decision.
    pub run_id: Option<String>,
    /// Open or decided.
    pub status: TaskStatus,
    /// How often the flow reminded.
    pub reminders: u32,
    /// When it was opened (ms).
    pub created_ms: i64,
    /// When it was decided (ms).
    pub decided_ms: Option<i64>,
    /// The decision.
    pub decision: Option<Decision>,
}

/// What a person decided.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// Approve or reject.
    pub decision: Verdict,
    /// Why (may be empty).
    pub reason: String,
    /// Corrections to the task's data (an object; empty when none).
    pub changes: Value,
    /// Who decided.
    pub by: String,
}

const COLUMNS: &str = "seq, id, queue, kind, title, subject, reasons, data, run_id, status, \
    reminders, created_ms, decided_ms, decision";

fn json_column(row: &Row<'_>, i: usize) -> rusqlite::Result<Value> {
    let text: String = row.get(i)?;
    serde_json::from_str(&text)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, Type::Text, Box::new(e)))
}

impl Task {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Task> {
        let status: String = row.get(9)?;
        let decision: Option<String> = row.get(13)?;
        Ok(Task {
            seq: row.get(0)?,
            id: row.get(1)?,
            queue: row.get(2)?,
            kind: row.get(3)?,
            title: row.get(4)?,
            subject: row.get(5)?,
            reasons: json_column(row, 6)?,
            data: json_column(row, 7)?,
            run_id: row.get(8)?,
            status: TaskStatus::parse(&status).ok_or_else(|| {
                rusqlite::Error::FromSqlConversionFailure(
                    9,
                    Type::Text,
                    format!("unknown task status `{status}`").into(),
                )
            })?,
            reminders: row.get(10)?,
            created_ms: row.get(11)?,
            decided_ms: row.get(12)?,
            decision: decision
                .map(|d| serde_json::from_str(&d))
                .transpose()
                .map_err(|e| {
                    rusqlite::Error::FromSqlConversionFailure(13, Type::Text, Box::new(e))
                })?,
        })
    }

    /// The task `id`.
    pub fn get(conn: &Connection, id: &str) -> rusqlite::Result<Option<Task>> {
        conn.prepare_cached(&format!("SELECT {COLUMNS} FROM tasks WHERE id = ?1"))?
            .query_row([id], Task::from_row)
            .optional()
    }

    /// The `seq` the next task gets.
    pub fn next_seq(conn: &Connection) -> rusqlite::Result<i64> {
        conn.prepare_cached("SELECT COALESCE(MAX(seq), 0) + 1 FROM tasks")?
            .query_row([], |r| r.get(0))
    }

    /// The id of the task numbered `seq`.
    pub fn id_for(seq: i64) -> String {
        format!("T-{seq:06}")
    }

    /// Stores a new task.
    pub fn insert(&self, conn: &Connection) -> rusqlite::Result<()> {
        conn.prepare_cached(
            "INSERT INTO tasks (seq, id, queue, kind, title, subject, reasons, data, run_id,
                 status, reminders, created_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        )?
        .execute(params![
            self.seq,
            self.id,
            self.queue,
            self.kind,
            self.title,
            self.subject,
            self.reasons.to_string(),
            self.data.to_string(),
            self.run_id,
            self.status.as_str(),
            self.reminders,
            self.created_ms,
        ])?;
        Ok(())
    }

    /// Writes status, reminders and decision.
    pub fn update(&self, conn: &Connection) -> rusqlite::Result<()> {
        let decision = self.decision.as_ref().map(|d| json!(d).to_string());
        conn.prepare_cached(
            "UPDATE tasks SET status = ?2, reminders = ?3, decided_ms = ?4, decision = ?5
             WHERE id = ?1",
        )?
        .execute(params![
            self.id,
            self.status.as_str(),
            self.reminders,
            self.decided_ms,
            decision,
        ])?;
        Ok(())
    }

    /// Tasks matching `filter`, oldest first (the order people work through a queue).
    pub fn list(conn: &Connection, filter: &TaskFilter) -> rusqlite::Result<Vec<Task>> {
        let mut clauses = Vec::new();
        let mut args: Vec<&dyn ToSql> = Vec::new();
        let status = filter.status.map(TaskStatus::as_str);
        if let Some(queue) = &filter.queue {
            args.push(queue);
            clauses.push(format!("queue = ?{}", args.len()));
        }
        if let Some(status) = &status {
            args.push(status);
            clauses.push(format!("status = ?{}", args.len()));
        }
        let filter_sql = if clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", clauses.join(" AND "))
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM tasks {filter_sql} ORDER BY seq LIMIT {}",
            filter.limit
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(args.as_slice(), Task::from_row)?;
        rows.collect()
    }

    /// What the audit log keeps before and after a change.
    pub fn snapshot(&self) -> Value {
        json!({"status": self.status.as_str(), "reminders": self.reminders, "decision": self.decision})
    }

    /// The API's view.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "queue": self.queue,
            "kind": self.kind,
            "title": self.title,
            "subject": self.subject,
            "reasons": self.reasons,
            "data": self.data,
            "run_id": self.run_id,
            "status": self.status.as_str(),
            "reminders": self.reminders,
            "created_at": rfc3339(self.created_ms),
            "decided_at": self.decided_ms.map(rfc3339),
            "decision": self.decision,
        })
    }
}

/// Which tasks `GET /api/v1/tasks` lists.
#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    /// In this queue.
    pub queue: Option<String>,
    /// In this status.
    pub status: Option<TaskStatus>,
    /// At most this many (oldest first).
    pub limit: u32,
}
