//! `task.remind`: `with: {task_id}` → the task's status and reminder count
//! (see docs/functions/task.remind.md).

use std::sync::Arc;

use futures::future::BoxFuture;
use serde_json::Value;
use shopflow_core::{CallContext, Function, WorkflowError};

use super::{Args, output, workflow_error};
use crate::{Desk, Error};

const NAME: &str = "task.remind";

/// The function.
pub struct TaskRemind {
    desk: Arc<Desk>,
}

impl TaskRemind {
    /// Counts reminders at `desk`.
    pub fn new(desk: Arc<Desk>) -> Self {
        Self { desk }
    }
}

impl Function for TaskRemind {
    fn call(
        &self,
        ctx: CallContext,
        args: Value,
    ) -> BoxFuture<'static, Result<Value, WorkflowError>> {
        let desk = Arc::clone(&self.desk);
        Box::pin(async move {
            let fail = |e: &Error| workflow_error(e, NAME, &ctx.instance);
            let id = Args::new(NAME, &args, &["task_id"])
                .and_then(|a| a.string("task_id"))
                .map_err(|e| fail(&e))?;
            let out = desk
                .remind(&id, &ctx.idempotency_key)
                .await
                .map_err(|e| fail(&e))?;
            output(&out, NAME, &ctx.instance)
        })
    }

    fn summary(&self) -> &'static str {
        "Counts a reminder on an open task (the desk shows it); says whether it is decided."
    }
}
