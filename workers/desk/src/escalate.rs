//! `ticket.escalate`: the ticket moves to the escalation queue and to the supervisor with the
//! fewest open tickets below their cap (or waits there for one); the agent who had it frees a
//! seat and takes the next waiting ticket. A ticket already escalated or resolved is left as
//! it is, so the call is idempotent by ticket as well as by key.

use serde::{Deserialize, Serialize};

use crate::assign::Assignment;
use crate::audit::{self, DESK, Subject};
use crate::book::Book;
use crate::fill::fill;
use crate::routing::{Waiting, place};
use crate::status::TicketStatus;
use crate::ticket::Ticket;
use crate::{Error, calls};

/// The function's name, also the idempotency table's.
pub const FUNCTION: &str = "ticket.escalate";

/// The output of `ticket.escalate`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Escalation {
    /// Where the ticket is now (`status` `escalated`, or `resolved` when it was resolved
    /// before the escalation came).
    #[serde(flatten)]
    pub assignment: Assignment,
    /// Who had it before the escalation (`null`: it was waiting).
    pub previous_agent: Option<String>,
}

/// Escalates `ticket_id` for `reason` (see the module).
pub fn escalate(
    book: &mut Book,
    ticket_id: &str,
    reason: &str,
    key: &str,
) -> Result<Escalation, Error> {
    let f = book.err("escalate a ticket");
    if let Some(done) = calls::recall(&book.conn, FUNCTION, key).map_err(&f)? {
        return Ok(done);
    }
    let mut ticket = Ticket::get(&book.conn, ticket_id)
        .map_err(&f)?
        .ok_or_else(|| Error::NotFound(format!("no ticket `{ticket_id}` at the desk")))?;
    let now = book.now();
    if matches!(
        ticket.status,
        TicketStatus::Escalated | TicketStatus::Resolved
    ) {
        let out = Escalation {
            assignment: Assignment::of(&ticket),
            previous_agent: ticket.previous_agent.clone(),
        };
        calls::remember(&book.conn, FUNCTION, key, &out, now).map_err(&f)?;
        return Ok(out);
    }
    let before = ticket.snapshot();
    if ticket.is_waiting() {
        book.routing
            .dequeue(place(ticket.priority, ticket.seq), false);
    }
    let previous = ticket.agent.take();
    ticket.previous_agent.clone_from(&previous);
    ticket.queue.clone_from(&book.settings.escalation_queue);
    ticket.status = TicketStatus::Escalated;
    ticket.escalated_ms = Some(now);
    ticket.escalation_reason = Some(reason.to_owned());
    ticket.assigned_ms = None;
    match book.routing.pick_supervisor(&ticket.language) {
        Some(seat) => {
            ticket.assign_seq = Some(book.routing.take(seat));
            ticket.agent = Some(book.routing.seat(seat).agent.name.clone());
            ticket.assigned_ms = Some(now);
        }
        None => {
            let waiting = Waiting {
                ticket_id: ticket.id.clone(),
                department: ticket.department.as_str().to_owned(),
                language: ticket.language.clone(),
            };
            book.routing
                .enqueue(place(ticket.priority, ticket.seq), waiting, true);
        }
    }
    ticket.update(&book.conn).map_err(&f)?;
    let mut after = ticket.snapshot();
    after["reason"] = serde_json::json!(reason);
    audit::record(
        &book.conn,
        (Subject::Ticket, &ticket.id),
        "escalated",
        DESK,
        now,
        Some(&before),
        Some(&after),
    )
    .map_err(&f)?;
    if let Some(seat) = previous.as_deref().and_then(|p| book.routing.release(p)) {
        fill(book, seat)?;
    }
    let out = Escalation {
        assignment: Assignment::of(&ticket),
        previous_agent: previous,
    };
    calls::remember(&book.conn, FUNCTION, key, &out, now).map_err(&f)?;
    Ok(out)
}
