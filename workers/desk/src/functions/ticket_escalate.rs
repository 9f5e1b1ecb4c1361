//! `ticket.escalate`: `with: {ticket_id, reason}` → the ticket in the escalation queue, with
//! a supervisor when one has room (see docs/functions/ticket.escalate.md).

use std::sync::Arc;

use futures::future::BoxFuture;
use serde_json::Value;
use shopflow_core::{CallContext, Function, WorkflowError};

use super::{Args, output, workflow_error};
use crate::{Desk, Error};

const NAME: &str = "ticket.escalate";

/// The function.
pub struct TicketEscalate {
    desk: Arc<Desk>,
}

impl TicketEscalate {
    /// Escalates tickets at `desk`.
    pub fn new(desk: Arc<Desk>) -> Self {
        Self { desk }
    }
}

impl Function for TicketEscalate {
    fn call(
        &self,
        ctx: CallContext,
        args: Value,
    ) -> BoxFuture<'static, Result<Value, WorkflowError>> {
        let desk = Arc::clone(&self.desk);
        Box::pin(async move {
            let fail = |e: &Error| workflow_error(e, NAME, &ctx.instance);
            let (id, reason) = Args::new(NAME, &args, &["ticket_id", "reason"])
                .and_then(|a| Ok((a.string("ticket_id")?, a.string("reason")?)))
                .map_err(|e| fail(&e))?;
            let out = desk
                .escalate(&id, &reason, &ctx.idempotency_key)
                .await
                .map_err(|e| fail(&e))?;
            output(&out, NAME, &ctx.instance)
        })
    }

    fn summary(&self) -> &'static str {
        "Moves a ticket to the escalation queue and a supervisor with room."
    }
}
