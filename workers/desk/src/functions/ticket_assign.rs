//! `ticket.assign`: `with:` the classified ticket → the agent or the queue
//! (see docs/functions/ticket.assign.md).

use std::sync::Arc;

use futures::future::BoxFuture;
use serde_json::Value;
use shopflow_classify::{Department, Urgency};
use shopflow_core::{CallContext, Function, WorkflowError};

use super::{Args, output, workflow_error};
use crate::settings::{department_names, is_language};
use crate::{Desk, Error, TicketRequest};

const NAME: &str = "ticket.assign";

const ARGS: &[&str] = &[
    "ticket_id",
    "shop",
    "buyer_id",
    "department",
    "language",
    "urgency",
    "vip",
    "handover",
    "text_summary",
];

/// The function.
pub struct TicketAssign {
    desk: Arc<Desk>,
}

impl TicketAssign {
    /// Routes tickets at `desk`.
    pub fn new(desk: Arc<Desk>) -> Self {
        Self { desk }
    }
}

/// Reads the arguments of `ticket.assign`.
pub fn request(args: &Value) -> Result<TicketRequest, Error> {
    let args = Args::new(NAME, args, ARGS)?;
    let department = args.string("department")?;
    let department = Department::parse(&department).ok_or_else(|| {
        Error::invalid(
            "department",
            format!(
                "unknown department `{department}`; use one of {}",
                department_names()
            ),
        )
    })?;
    let urgency = args.string("urgency")?;
    let urgency = Urgency::parse(&urgency).ok_or_else(|| {
        Error::invalid(
            "urgency",
            format!("unknown urgency `{urgency}`; use high, normal or low"),
        )
    })?;
    let language = args.string("language")?;
    if !is_language(&language) {
        return Err(Error::invalid(
            "language",
            format!("`{language}` is not a language tag; use `zh`, `en`, …"),
        ));
    }
    let summary = match args.raw("text_summary") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(Error::invalid("text_summary", "must be a string")),
    };
    Ok(TicketRequest {
        ticket_id: args.string("ticket_id")?,
        shop: args.string("shop")?,
        buyer_id: args.optional_string("buyer_id")?,
        department,
        language,
        urgency,
        vip: args.flag("vip", false)?,
        handover: args.flag("handover", false)?,
        summary,
    })
}

impl Function for TicketAssign {
    fn call(
        &self,
        ctx: CallContext,
        args: Value,
    ) -> BoxFuture<'static, Result<Value, WorkflowError>> {
        let desk = Arc::clone(&self.desk);
        Box::pin(async move {
            let fail = |e: &Error| workflow_error(e, NAME, &ctx.instance);
            let req = request(&args).map_err(|e| fail(&e))?;
            let out = desk
                .assign(req, &ctx.idempotency_key)
                .await
                .map_err(|e| fail(&e))?;
            output(&out, NAME, &ctx.instance)
        })
    }

    fn summary(&self) -> &'static str {
        "Assigns a ticket to a skilled agent with room (load-balanced, round-robin), or queues it."
    }
}
