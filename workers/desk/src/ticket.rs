//! A ticket as the desk stores it (no message text: at most a short, masked summary), its rows
//! in `tickets`, and how the API shows it.

use rusqlite::types::Type;
use rusqlite::{Connection, OptionalExtension, Row, ToSql, params};
use serde_json::{Value, json};
use shopflow_classify::{Department, Urgency};

use crate::status::TicketStatus;
use crate::time::rfc3339;

/// A stored ticket.
#[derive(Debug, Clone, PartialEq)]
pub struct Ticket {
    /// Arrival order.
    pub seq: i64,
    /// The helpdesk's or flow's ticket id.
    pub id: String,
    /// The shop's name in `shopflow.toml`.
    pub shop: String,
    /// The platform's buyer id (`None`: the helpdesk did not know the buyer).
    pub buyer_id: Option<String>,
    /// The department (and its queue).
    pub department: Department,
    /// Language tag (`zh`, `en`).
    pub language: String,
    /// How soon it needs an answer.
    pub urgency: Urgency,
    /// A VIP buyer's ticket.
    pub vip: bool,
    /// Handed over from the bot to a person (negative emotion, asked for a human).
    pub handover: bool,
    /// Queue order: higher first.
    pub priority: i64,
    /// The department's queue, or the escalation queue.
    pub queue: String,
    /// Who holds it.
    pub agent: Option<String>,
    /// Where it is.
    pub status: TicketStatus,
    /// A short summary, phone numbers masked.
    pub summary: Option<String>,
    /// Minutes to resolve.
    pub sla_minutes: u32,
    /// When it should be resolved (ms).
    pub sla_due_ms: i64,
    /// When it arrived (ms).
    pub created_ms: i64,
    /// When its current holder got it (ms).
    pub assigned_ms: Option<i64>,
    /// The assignment counter then (round-robin order).
    pub assign_seq: Option<i64>,
    /// When it was escalated (ms).
    pub escalated_ms: Option<i64>,
    /// Why.
    pub escalation_reason: Option<String>,
    /// Who held it before the escalation.
    pub previous_agent: Option<String>,
    /// When it was resolved (ms).
    pub resolved_ms: Option<i64>,
    /// Who resolved it.
    pub resolved_by: Option<String>,
}

const COLUMNS: &str = "seq, id, shop, buyer, department, language, urgency, vip, handover, \
    priority, queue, agent, status, summary, sla_minutes, sla_due_ms, created_ms, assigned_ms, \
    assign_seq, escalated_ms, escalation_reason, previous_agent, resolved_ms, resolved_by";

fn bad(column: usize, what: &str, found: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        column,
        Type::Text,
        format!("unknown {what} `{found}`").into(),
    )
}

impl Ticket {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Ticket> {
        let department: String = row.get(4)?;
        let urgency: String = row.get(6)?;
        let status: String = row.get(12)?;
        Ok(Ticket {
            seq: row.get(0)?,
            id: row.get(1)?,
            shop: row.get(2)?,
            buyer_id: row.get(3)?,
            department: Department::parse(&department)
                .ok_or_else(|| bad(4, "department", &department))?,
            language: row.get(5)?,
            urgency: Urgency::parse(&urgency).ok_or_else(|| bad(6, "urgency", &urgency))?,
            vip: row.get(7)?,
            handover: row.get(8)?,
            priority: row.get(9)?,
            queue: row.get(10)?,
            agent: row.get(11)?,
            status: TicketStatus::parse(&status).ok_or_else(|| bad(12, "status", &status))?,
            summary: row.get(13)?,
            sla_minutes: row.get(14)?,
            sla_due_ms: row.get(15)?,
            created_ms: row.get(16)?,
            assigned_ms: row.get(17)?,
            assign_seq: row.get(18)?,
            escalated_ms: row.get(19)?,
            escalation_reason: row.get(20)?,
            previous_agent: row.get(21)?,
            resolved_ms: row.get(22)?,
            resolved_by: row.get(23)?,
        })
    }

    /// The ticket `id`.
    pub fn get(conn: &Connection, id: &str) -> rusqlite::Result<Option<Ticket>> {
        conn.prepare_cached(&format!("SELECT {COLUMNS} FROM tickets WHERE id = ?1"))?
            .query_row([id], Ticket::from_row)
            .optional()
    }

    /// Stores a new ticket (its `seq` is assigned by SQLite and returned).
    pub fn insert(&self, conn: &Connection) -> rusqlite::Result<i64> {
        conn.prepare_cached(
            "INSERT INTO tickets (id, shop, buyer, department, language, urgency, vip, handover,
                 priority, queue, agent, status, summary, sla_minutes, sla_due_ms, created_ms,
                 assigned_ms, assign_seq)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                 ?17, ?18)",
        )?
        .execute(params![
            self.id,
            self.shop,
            self.buyer_id,
            self.department.as_str(),
            self.language,
            self.urgency.as_str(),
            self.vip,
            self.handover,
            self.priority,
            self.queue,
            self.agent,
            self.status.as_str(),
            self.summary,
            self.sla_minutes,
            self.sla_due_ms,
            self.created_ms,
            self.assigned_ms,
            self.assign_seq,
        ])?;
        Ok(conn.last_insert_rowid())
    }

    /// Writes the fields routing changes: holder, status, queue, assignment, escalation,
    /// resolution.
    pub fn update(&self, conn: &Connection) -> rusqlite::Result<()> {
        conn.prepare_cached(
            "UPDATE tickets SET queue = ?2, agent = ?3, status = ?4, assigned_ms = ?5,
                 assign_seq = ?6, escalated_ms = ?7, escalation_reason = ?8,
                 previous_agent = ?9, resolved_ms = ?10, resolved_by = ?11
             WHERE id = ?1",
        )?
        .execute(params![
            self.id,
            self.queue,
            self.agent,
            self.status.as_str(),
            self.assigned_ms,
            self.assign_seq,
            self.escalated_ms,
            self.escalation_reason,
            self.previous_agent,
            self.resolved_ms,
            self.resolved_by,
        ])?;
        Ok(())
    }

    /// Tickets matching `filter`, newest first.
    pub fn list(conn: &Connection, filter: &TicketFilter) -> rusqlite::Result<Vec<Ticket>> {
        let mut clauses = Vec::new();
        let mut args: Vec<&dyn ToSql> = Vec::new();
        let status = filter.status.map(TicketStatus::as_str);
        if let Some(agent) = &filter.agent {
            args.push(agent);
            clauses.push(format!("agent = ?{}", args.len()));
        }
        if let Some(status) = &status {
            args.push(status);
            clauses.push(format!("status = ?{}", args.len()));
        }
        if let Some(queue) = &filter.queue {
            args.push(queue);
            clauses.push(format!("queue = ?{}", args.len()));
        }
        let filter_sql = if clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", clauses.join(" AND "))
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM tickets {filter_sql} ORDER BY seq DESC LIMIT {}",
            filter.limit
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(args.as_slice(), Ticket::from_row)?;
        rows.collect()
    }

    /// Whether it holds a seat: with an agent or supervisor and not resolved.
    pub fn is_held(&self) -> bool {
        self.agent.is_some()
            && matches!(
                self.status,
                TicketStatus::Assigned | TicketStatus::Escalated
            )
    }

    /// Whether it waits in a queue for a seat.
    pub fn is_waiting(&self) -> bool {
        self.agent.is_none()
            && matches!(self.status, TicketStatus::Queued | TicketStatus::Escalated)
    }

    /// What the audit log keeps before and after a change.
    pub fn snapshot(&self) -> Value {
        json!({"status": self.status.as_str(), "queue": self.queue, "agent": self.agent})
    }

    /// The API's view at `now_ms` (`overdue`: past the SLA and not resolved).
    pub fn to_json(&self, now_ms: i64) -> Value {
        let at = |ms: Option<i64>| ms.map(rfc3339);
        json!({
            "id": self.id,
            "shop": self.shop,
            "buyer_id": self.buyer_id,
            "department": self.department.as_str(),
            "language": self.language,
            "urgency": self.urgency.as_str(),
            "vip": self.vip,
            "handover": self.handover,
            "priority": self.priority,
            "queue": self.queue,
            "agent": self.agent,
            "status": self.status.as_str(),
            "summary": self.summary,
            "sla_minutes": self.sla_minutes,
            "sla_due_at": rfc3339(self.sla_due_ms),
            "overdue": self.status != TicketStatus::Resolved && now_ms > self.sla_due_ms,
            "created_at": rfc3339(self.created_ms),
            "assigned_at": at(self.assigned_ms),
            "escalated_at": at(self.escalated_ms),
            "escalation_reason": self.escalation_reason,
            "previous_agent": self.previous_agent,
            "resolved_at": at(self.resolved_ms),
            "resolved_by": self.resolved_by,
        })
    }
}

/// Which tickets `GET /api/v1/tickets` lists.
#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    /// Held by this agent.
    pub agent: Option<String>,
    /// In this status.
    pub status: Option<TicketStatus>,
    /// In this queue.
    pub queue: Option<String>,
    /// At most this many (newest first).
    pub limit: u32,
}
