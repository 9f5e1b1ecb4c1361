//! The life of a human task: a flow opens it (`task.open`), reminds about it (`task.remind`),
//! a person decides it (`POST /api/v1/tasks/{id}/decision`), which queues
//! `shopflow.task.decided` for the waiting flow. Every step leaves an audit row.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::audit::{self, DESK, Subject};
use crate::book::Book;
use crate::status::TaskStatus;
use crate::task::{Decision, Task};
use crate::time::rfc3339;
use crate::{Error, calls, outbox};

/// `task.open`'s name, also the idempotency table's.
pub const OPEN: &str = "task.open";
/// `task.remind`'s name, also the idempotency table's.
pub const REMIND: &str = "task.remind";

/// A task to open.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTask {
    /// The queue (`returns`, `finance-review`).
    pub queue: String,
    /// The sort of task (`return_review`).
    pub kind: String,
    /// One line for the list.
    pub title: String,
    /// What it is about (an order, refund or ticket id).
    pub subject: String,
    /// Why a person must look (a JSON array).
    pub reasons: Value,
    /// What they need to decide (a JSON object).
    pub data: Value,
    /// The run waiting for the decision.
    pub run_id: Option<String>,
}

/// The output of `task.open`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Opened {
    /// The new task's id (`T-000001`).
    pub task_id: String,
}

/// The output of `task.remind`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reminder {
    /// The task.
    pub task_id: String,
    /// Its queue.
    pub queue: String,
    /// `open` or `decided`.
    pub status: TaskStatus,
    /// Reminders so far, this one included.
    pub reminders: u32,
    /// Whether this call counted a reminder (`false`: the task was decided already).
    pub reminded: bool,
}

/// Opens `task`; the same `key` again answers the same task.
pub fn open(book: &mut Book, task: NewTask, key: &str) -> Result<Opened, Error> {
    let f = book.err("open a task");
    if let Some(done) = calls::recall(&book.conn, OPEN, key).map_err(&f)? {
        return Ok(done);
    }
    let now = book.now();
    let seq = Task::next_seq(&book.conn).map_err(&f)?;
    let task = Task {
        seq,
        id: Task::id_for(seq),
        queue: task.queue,
        kind: task.kind,
        title: task.title,
        subject: task.subject,
        reasons: task.reasons,
        data: task.data,
        run_id: task.run_id,
        status: TaskStatus::Open,
        reminders: 0,
        created_ms: now,
        decided_ms: None,
        decision: None,
    };
    task.insert(&book.conn).map_err(&f)?;
    audit::record(
        &book.conn,
        (Subject::Task, &task.id),
        "opened",
        DESK,
        now,
        None,
        Some(&task.snapshot()),
    )
    .map_err(&f)?;
    let out = Opened { task_id: task.id };
    calls::remember(&book.conn, OPEN, key, &out, now).map_err(&f)?;
    Ok(out)
}

/// Counts a reminder on an open task; the same `key` again counts nothing.
pub fn remind(book: &mut Book, task_id: &str, key: &str) -> Result<Reminder, Error> {
    let f = book.err("remind about a task");
    if let Some(done) = calls::recall(&book.conn, REMIND, key).map_err(&f)? {
        return Ok(done);
    }
    let mut task = Task::get(&book.conn, task_id)
        .map_err(&f)?
        .ok_or_else(|| Error::NotFound(format!("no task `{task_id}` at the desk")))?;
    let now = book.now();
    let reminded = task.status == TaskStatus::Open;
    if reminded {
        let before = task.snapshot();
        task.reminders += 1;
        task.update(&book.conn).map_err(&f)?;
        audit::record(
            &book.conn,
            (Subject::Task, &task.id),
            "reminded",
            DESK,
            now,
            Some(&before),
            Some(&task.snapshot()),
        )
        .map_err(&f)?;
    }
    let out = Reminder {
        task_id: task.id,
        queue: task.queue,
        status: task.status,
        reminders: task.reminders,
        reminded,
    };
    calls::remember(&book.conn, REMIND, key, &out, now).map_err(&f)?;
    Ok(out)
}

/// Records `decision` on an open task and queues `shopflow.task.decided`; a decided task
/// refuses ([`Error::Conflict`]).
pub fn decide(book: &mut Book, task_id: &str, decision: Decision) -> Result<Task, Error> {
    let f = book.err("decide a task");
    let mut task = Task::get(&book.conn, task_id)
        .map_err(&f)?
        .ok_or_else(|| Error::NotFound(format!("no task `{task_id}` at the desk")))?;
    if let Some(first) = &task.decision {
        return Err(Error::Conflict(format!(
            "task `{task_id}` was decided already: {} by {} at {}",
            first.decision.as_str(),
            first.by,
            task.decided_ms.map(rfc3339).unwrap_or_default()
        )));
    }
    let now = book.now();
    let before = task.snapshot();
    task.status = TaskStatus::Decided;
    task.decided_ms = Some(now);
    task.decision = Some(decision.clone());
    task.update(&book.conn).map_err(&f)?;
    audit::record(
        &book.conn,
        (Subject::Task, &task.id),
        "decided",
        &decision.by,
        now,
        Some(&before),
        Some(&task.snapshot()),
    )
    .map_err(&f)?;
    outbox::push(&book.conn, &outbox::task_decided(&task.id, &decision, now)).map_err(&f)?;
    book.outbox_added = true;
    Ok(task)
}
