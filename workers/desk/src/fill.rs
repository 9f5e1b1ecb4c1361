//! Handing waiting tickets to a seat that has room: after a resolve or an escalation frees
//! one, and at start-up for caps that grew. Each handed-over ticket gets an audit row and a
//! `shopflow.ticket.assigned` event in the outbox (its flow learns it has an agent now).

use crate::audit::{self, DESK, Subject};
use crate::book::Book;
use crate::status::TicketStatus;
use crate::ticket::Ticket;
use crate::{Error, outbox};

/// Gives seat `seat` the highest-priority waiting tickets it qualifies for while it has room;
/// returns them.
pub fn fill(book: &mut Book, seat: usize) -> Result<Vec<Ticket>, Error> {
    let f = book.err("assign a waiting ticket");
    let mut handed = Vec::new();
    while book.routing.seat(seat).has_room() {
        let Some((place, waiting)) = book.routing.next_for(seat) else {
            break;
        };
        let Some(mut ticket) = Ticket::get(&book.conn, &waiting.ticket_id).map_err(&f)? else {
            // Cannot happen (queues mirror the table); drop the stray entry and go on.
            book.routing
                .dequeue(place, true)
                .or_else(|| book.routing.dequeue(place, false));
            continue;
        };
        let now = book.now();
        let escalated = ticket.status == TicketStatus::Escalated;
        book.routing.dequeue(place, escalated);
        let before = ticket.snapshot();
        ticket.assign_seq = Some(book.routing.take(seat));
        ticket.agent = Some(book.routing.seat(seat).agent.name.clone());
        ticket.assigned_ms = Some(now);
        if !escalated {
            ticket.status = TicketStatus::Assigned;
        }
        ticket.update(&book.conn).map_err(&f)?;
        audit::record(
            &book.conn,
            (Subject::Ticket, &ticket.id),
            "assigned",
            DESK,
            now,
            Some(&before),
            Some(&ticket.snapshot()),
        )
        .map_err(&f)?;
        outbox::push(&book.conn, &outbox::ticket_assigned(&ticket, now)).map_err(&f)?;
        book.outbox_added = true;
        handed.push(ticket);
    }
    Ok(handed)
}

/// [`fill`] for every seat (start-up).
pub fn fill_all(book: &mut Book) -> Result<usize, Error> {
    let mut n = 0;
    for seat in 0..book.routing.seats().len() {
        n += fill(book, seat)?.len();
    }
    Ok(n)
}
