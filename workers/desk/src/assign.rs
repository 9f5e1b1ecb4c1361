//! `ticket.assign`: a new ticket goes to the skilled agent with the fewest open tickets below
//! their cap (ties: the one assigned least recently), or waits in its department's queue, by
//! priority, until such an agent frees up. Idempotent by ticket id and by idempotency key.

use serde::{Deserialize, Serialize};
use shopflow_classify::{Department, Urgency};

use crate::audit::{self, DESK, Subject};
use crate::book::Book;
use crate::routing::{Waiting, place};
use crate::status::TicketStatus;
use crate::ticket::Ticket;
use crate::time::rfc3339;
use crate::{Error, calls};

/// The function's name, also the idempotency table's.
pub const FUNCTION: &str = "ticket.assign";

/// A ticket to route.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketRequest {
    /// The ticket id (`ticket_id`).
    pub ticket_id: String,
    /// The shop's name.
    pub shop: String,
    /// The platform's buyer id, when known.
    pub buyer_id: Option<String>,
    /// The department (from `ticket.classify`).
    pub department: Department,
    /// Language tag (`zh`, `en`).
    pub language: String,
    /// Urgency (from `ticket.classify`).
    pub urgency: Urgency,
    /// The flow found the buyer is a VIP (the `[desk]` VIP list counts too).
    pub vip: bool,
    /// A person must take over from the bot (`handoff` of `ticket.classify`).
    pub handover: bool,
    /// A short summary; cut and masked before it is stored.
    pub summary: Option<String>,
}

/// Where a ticket went (the output of `ticket.assign`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assignment {
    /// The ticket.
    pub ticket_id: String,
    /// Its queue: the department, or the escalation queue.
    pub queue: String,
    /// Who has it; `null` while it waits.
    pub agent: Option<String>,
    /// `assigned` or `queued` for a new ticket (a ticket seen before: where it is now).
    pub status: TicketStatus,
    /// Minutes to resolve.
    pub sla_minutes: u32,
    /// When it should be resolved, RFC 3339.
    pub sla_due_at: String,
    /// Queue order, higher first.
    pub priority: i64,
}

impl Assignment {
    /// Where `ticket` is.
    pub fn of(ticket: &Ticket) -> Self {
        Self {
            ticket_id: ticket.id.clone(),
            queue: ticket.queue.clone(),
            agent: ticket.agent.clone(),
            status: ticket.status,
            sla_minutes: ticket.sla_minutes,
            sla_due_at: rfc3339(ticket.sla_due_ms),
            priority: ticket.priority,
        }
    }
}

/// Queue order: a handover (+20) before a VIP (+10) before urgency (high 3, normal 2, low 1).
pub fn priority(urgency: Urgency, vip: bool, handover: bool) -> i64 {
    let urgency = match urgency {
        Urgency::High => 3,
        Urgency::Normal => 2,
        Urgency::Low => 1,
    };
    urgency + if vip { 10 } else { 0 } + if handover { 20 } else { 0 }
}

/// Routes `req` (see the module).
pub fn assign(book: &mut Book, req: TicketRequest, key: &str) -> Result<Assignment, Error> {
    let f = book.err("assign a ticket");
    if let Some(done) = calls::recall(&book.conn, FUNCTION, key).map_err(&f)? {
        return Ok(done);
    }
    let now = book.now();
    if let Some(known) = Ticket::get(&book.conn, &req.ticket_id).map_err(&f)? {
        let out = Assignment::of(&known);
        calls::remember(&book.conn, FUNCTION, key, &out, now).map_err(&f)?;
        return Ok(out);
    }
    let listed = req
        .buyer_id
        .as_deref()
        .is_some_and(|b| book.settings.vip_tier(&req.shop, b).is_some());
    let vip = req.vip || listed;
    let priority = priority(req.urgency, vip, req.handover);
    let sla_minutes = book.settings.sla.of(req.urgency);
    let department = req.department.as_str();
    let mut ticket = Ticket {
        seq: 0,
        id: req.ticket_id,
        shop: req.shop,
        buyer_id: req.buyer_id,
        department: req.department,
        language: req.language,
        urgency: req.urgency,
        vip,
        handover: req.handover,
        priority,
        queue: department.to_owned(),
        agent: None,
        status: TicketStatus::Queued,
        summary: req.summary.as_deref().and_then(crate::summary::summarize),
        sla_minutes,
        sla_due_ms: now.saturating_add(i64::from(sla_minutes) * 60_000),
        created_ms: now,
        assigned_ms: None,
        assign_seq: None,
        escalated_ms: None,
        escalation_reason: None,
        previous_agent: None,
        resolved_ms: None,
        resolved_by: None,
    };
    match book.routing.pick_agent(department, &ticket.language) {
        Some(seat) => {
            ticket.assign_seq = Some(book.routing.take(seat));
            ticket.agent = Some(book.routing.seat(seat).agent.name.clone());
            ticket.status = TicketStatus::Assigned;
            ticket.assigned_ms = Some(now);
        }
        None => {
            if book.routing.first_unstaffed(department, &ticket.language) {
                tracing::warn!(
                    department,
                    language = %ticket.language,
                    "no agent in [desk] has both skills; such tickets wait in the queue"
                );
            }
        }
    }
    ticket.seq = ticket.insert(&book.conn).map_err(&f)?;
    if ticket.status == TicketStatus::Queued {
        let waiting = Waiting {
            ticket_id: ticket.id.clone(),
            department: department.to_owned(),
            language: ticket.language.clone(),
        };
        book.routing
            .enqueue(place(priority, ticket.seq), waiting, false);
    }
    audit::record(
        &book.conn,
        (Subject::Ticket, &ticket.id),
        ticket.status.as_str(),
        DESK,
        now,
        None,
        Some(&ticket.snapshot()),
    )
    .map_err(&f)?;
    let out = Assignment::of(&ticket);
    calls::remember(&book.conn, FUNCTION, key, &out, now).map_err(&f)?;
    Ok(out)
}
