//! shopflow's service desk: agents with skills and caps, VIP buyers, ticket assignment with
//! SLAs and escalation, and human review tasks with their decisions and an audit log, kept in
//! `DATA/desk.db`.
//!
//! Flows use it through five functions (`customer.vip`, `ticket.assign`, `ticket.escalate`,
//! `task.open`, `task.remind`); people through the REST API of `shopflow-server`
//! (`/api/v1/tickets`, `/api/v1/tasks`), whose resolves and decisions come back to flows as
//! CloudEvents from the desk's outbox. See docs/functions/ticket.assign.md and the others.
//!
//! **Why rusqlite:** the same embedded SQLite as the engine's journal (WAL,
//! `synchronous=FULL`), with one group-commit writer thread so that hundreds of assignments a
//! second share fsyncs.

pub mod assign;
pub mod audit;
mod book;
mod calls;
pub mod desk;
pub mod error;
pub mod escalate;
mod fill;
pub mod functions;
pub mod outbox;
pub mod resolve;
pub mod review;
pub mod routing;
pub mod schema;
pub mod settings;
pub mod status;
pub mod summary;
pub mod task;
pub mod ticket;
pub mod time;
mod writer;

use std::sync::Arc;

use shopflow_core::FunctionRegistry;

use functions::{customer_vip, task_open, task_remind, ticket_assign, ticket_escalate};

pub use assign::{Assignment, TicketRequest};
pub use audit::Entry;
pub use desk::Desk;
pub use error::Error;
pub use escalate::Escalation;
pub use resolve::Resolution;
pub use review::{NewTask, Opened, Reminder};
pub use settings::{DeskSettings, Settings};
pub use status::{TaskStatus, TicketStatus, Verdict};
pub use task::{Decision, Task, TaskFilter};
pub use ticket::{Ticket, TicketFilter};

/// Registers `customer.vip`, `ticket.assign`, `ticket.escalate`, `task.open` and
/// `task.remind` over `desk`.
pub fn register(registry: &mut FunctionRegistry, desk: Arc<Desk>) {
    registry.register(
        "customer.vip",
        Arc::new(customer_vip::CustomerVip::new(Arc::clone(&desk))),
    );
    registry.register(
        "ticket.assign",
        Arc::new(ticket_assign::TicketAssign::new(Arc::clone(&desk))),
    );
    registry.register(
        "ticket.escalate",
        Arc::new(ticket_escalate::TicketEscalate::new(Arc::clone(&desk))),
    );
    registry.register(
        "task.open",
        Arc::new(task_open::TaskOpen::new(Arc::clone(&desk))),
    );
    registry.register("task.remind", Arc::new(task_remind::TaskRemind::new(desk)));
}
