//! Resolving a ticket (`POST /api/v1/tickets/{id}/resolve`): it leaves its queue or frees its
//! holder's seat, the holder takes the next waiting ticket they qualify for, and
//! `shopflow.ticket.resolved` goes to the outbox in the same transaction. A second resolve is
//! refused ([`Error::Conflict`]).

use crate::audit::{self, Subject};
use crate::book::Book;
use crate::fill::fill;
use crate::routing::place;
use crate::status::TicketStatus;
use crate::ticket::Ticket;
use crate::time::rfc3339;
use crate::{Error, outbox};

/// What a resolve did.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolution {
    /// The ticket, resolved.
    pub ticket: Ticket,
    /// Waiting tickets the freed seat took.
    pub assigned: Vec<Ticket>,
}

/// Resolves `ticket_id`, as `by`.
pub fn resolve(book: &mut Book, ticket_id: &str, by: &str) -> Result<Resolution, Error> {
    let f = book.err("resolve a ticket");
    let mut ticket = Ticket::get(&book.conn, ticket_id)
        .map_err(&f)?
        .ok_or_else(|| Error::NotFound(format!("no ticket `{ticket_id}` at the desk")))?;
    if ticket.status == TicketStatus::Resolved {
        return Err(Error::Conflict(format!(
            "ticket `{ticket_id}` was resolved already, by {} at {}",
            ticket.resolved_by.as_deref().unwrap_or("someone"),
            ticket.resolved_ms.map(rfc3339).unwrap_or_default()
        )));
    }
    let now = book.now();
    let before = ticket.snapshot();
    if ticket.is_waiting() {
        let escalated = ticket.status == TicketStatus::Escalated;
        book.routing
            .dequeue(place(ticket.priority, ticket.seq), escalated);
    }
    let holder = ticket.is_held().then(|| ticket.agent.clone()).flatten();
    ticket.status = TicketStatus::Resolved;
    ticket.resolved_ms = Some(now);
    ticket.resolved_by = Some(by.to_owned());
    ticket.update(&book.conn).map_err(&f)?;
    audit::record(
        &book.conn,
        (Subject::Ticket, &ticket.id),
        "resolved",
        by,
        now,
        Some(&before),
        Some(&ticket.snapshot()),
    )
    .map_err(&f)?;
    outbox::push(&book.conn, &outbox::ticket_resolved(&ticket, by, now)).map_err(&f)?;
    book.outbox_added = true;
    let assigned = match holder.as_deref().and_then(|h| book.routing.release(h)) {
        Some(seat) => fill(book, seat)?,
        None => Vec::new(),
    };
    Ok(Resolution { ticket, assigned })
}
