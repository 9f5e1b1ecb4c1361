//! The outbox: CloudEvents the desk owes the engine (`shopflow.ticket.resolved`,
//! `shopflow.task.decided`, `shopflow.ticket.assigned`), written in the same transaction as
//! the change they announce and removed once the engine has journaled them. A crash between
//! the two leaves the event here, to be published again; the engine drops the copy by `id`.

use rusqlite::{Connection, params};
use serde_json::{Value, json};

use crate::task::Decision;
use crate::ticket::Ticket;
use crate::time::rfc3339;

/// The `source` of every desk event.
pub const SOURCE: &str = "shopflow/desk";

/// `shopflow.ticket.resolved`, subject the ticket id.
pub fn ticket_resolved(ticket: &Ticket, by: &str, now_ms: i64) -> Value {
    event(
        format!("desk:ticket.resolved:{}", ticket.id),
        "shopflow.ticket.resolved",
        &ticket.id,
        now_ms,
        json!({"ticket_id": ticket.id, "agent": ticket.agent, "by": by}),
    )
}

/// `shopflow.ticket.assigned`, subject the ticket id: a waiting ticket got an agent or a
/// supervisor when a seat freed up.
pub fn ticket_assigned(ticket: &Ticket, now_ms: i64) -> Value {
    event(
        // A ticket waits at most once in its department queue and once in the escalation
        // queue, so the queue makes the id unique.
        format!("desk:ticket.assigned:{}:{}", ticket.id, ticket.queue),
        "shopflow.ticket.assigned",
        &ticket.id,
        now_ms,
        json!({
            "ticket_id": ticket.id,
            "agent": ticket.agent,
            "queue": ticket.queue,
            "status": ticket.status.as_str(),
        }),
    )
}

/// `shopflow.task.decided`, subject the task id.
pub fn task_decided(task_id: &str, decision: &Decision, now_ms: i64) -> Value {
    event(
        format!("desk:task.decided:{task_id}"),
        "shopflow.task.decided",
        task_id,
        now_ms,
        json!({
            "task_id": task_id,
            "decision": decision.decision.as_str(),
            "reason": decision.reason,
            "changes": decision.changes,
            "by": decision.by,
        }),
    )
}

fn event(id: String, kind: &str, subject: &str, now_ms: i64, data: Value) -> Value {
    json!({
        "specversion": "1.0",
        "id": id,
        "source": SOURCE,
        "type": kind,
        "subject": subject,
        "time": rfc3339(now_ms),
        "datacontenttype": "application/json",
        "data": data,
    })
}

/// Queues `event`.
pub fn push(conn: &Connection, event: &Value) -> rusqlite::Result<()> {
    conn.prepare_cached("INSERT INTO outbox (event) VALUES (?1)")?
        .execute([event.to_string()])?;
    Ok(())
}

/// The queued events, oldest first, with their row numbers.
pub fn pending(conn: &Connection) -> rusqlite::Result<Vec<(i64, Value)>> {
    let mut stmt = conn.prepare_cached("SELECT seq, event FROM outbox ORDER BY seq")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
    let mut out = Vec::new();
    for row in rows {
        let (seq, text) = row?;
        // The desk wrote it; one it cannot read again is dropped rather than blocking the rest.
        if let Ok(event) = serde_json::from_str(&text) {
            out.push((seq, event));
        }
    }
    Ok(out)
}

/// Removes delivered events.
pub fn remove(conn: &Connection, seqs: &[i64]) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare_cached("DELETE FROM outbox WHERE seq = ?1")?;
    for seq in seqs {
        stmt.execute(params![seq])?;
    }
    Ok(())
}
